//! Staff administration at /admin/staff: an administrator creates an executor, changes their
//! settings and disables them. A disabled executor's open session and their agency's API key are
//! refused on the next request, and every change is in the audit log.

mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_store::AuditFilter;
use pomoshnik_test_support::on_both_backends;
use reqwest::{Client, StatusCode};

on_both_backends!(with_service => disabled_executor_loses_access, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => refused_staff_form_keeps_values, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => admin_sections_reached_from_header, flavor = "multi_thread", worker_threads = 2);

const EXECUTOR: &str = "new.executor@example.ru";

/// Signs the administrator in and returns their browser and the CSRF token of the staff page.
async fn admin_browser(service: &TestService) -> (Client, String) {
    service.add_user("staff-admin@example.ru", Role::Admin, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, "staff-admin@example.ru", "/admin/staff").await;
    let (status, page) = get_page(service, &browser, "/admin/staff").await;
    assert_eq!(status, StatusCode::OK);
    let csrf_token = input_value(&page, "csrf_token");
    (browser, csrf_token)
}

async fn post_form(service: &TestService, browser: &Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let response = browser.post(service.url(path)).form(form).send().await.unwrap_or_else(|error| panic!("POST {path} failed: {error}"));
    let status = response.status();
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

async fn disabled_executor_loses_access(service: &TestService) {
    let (admin, csrf_token) = admin_browser(service).await;
    let store = service.state.store.clone();

    let form = [("csrf_token", csrf_token.as_str()), ("email", EXECUTOR), ("password", PASSWORD), ("role", "executor"), ("agency", "madi"), ("district", "")];
    let (status, location, _) = post_form(service, &admin, "/admin/staff", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/staff?done=created");
    let (_, page) = get_page(service, &admin, &location).await;
    assert!(page.contains(EXECUTOR), "the new executor is not listed");
    let (executor, _) = store.user_by_email(EXECUTOR).await.expect("lookup failed").expect("the executor was not created");
    assert_eq!(executor.role, Role::Executor);
    assert_eq!(executor.agency.as_deref(), Some("madi"));
    assert!(!executor.supervisor);

    // The executor works in a browser and through the API; the agency's system uses an API key.
    let executor_browser = service.browser();
    sign_in_with_form(service, &executor_browser, EXECUTOR, "/staff/queue").await;
    let (status, _) = get_page(service, &executor_browser, "/staff/queue").await;
    assert_eq!(status, StatusCode::OK);
    let executor_api = service.sign_in(EXECUTOR).await;
    assert_eq!(executor_api.get("/api/v1/reports").await.status(), StatusCode::OK);
    let issued = pomoshnik::add_api_key(store.as_ref(), "madi-system", Some("madi")).await.expect("API key creation failed");
    let key_client = service.client_with_token(&issued.key);
    assert_eq!(key_client.get("/api/v1/reports").await.status(), StatusCode::OK);

    // Making the executor a supervisor ends their sessions: they sign in again.
    let path = format!("/admin/staff/{}", executor.id);
    let change = [("csrf_token", csrf_token.as_str()), ("role", "executor"), ("agency", "madi"), ("district", ""), ("supervisor", "on")];
    let (status, location, _) = post_form(service, &admin, &path, &change).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/staff?done=updated");
    let changed = store.user(executor.id).await.expect("lookup failed").expect("the executor vanished");
    assert!(changed.supervisor);
    let (status, _) = get_page(service, &executor_browser, "/staff/queue").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session survived a change of settings");
    sign_in_with_form(service, &executor_browser, EXECUTOR, "/staff/queue").await;
    let executor_api = service.sign_in(EXECUTOR).await;

    for (user_id, name) in [(executor.id, "executor"), (issued.account.id, "API key account")] {
        let path = format!("/admin/staff/{user_id}/disabled");
        let (status, location, _) = post_form(service, &admin, &path, &[("csrf_token", csrf_token.as_str()), ("disabled", "true")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "disabling the {name}");
        assert_eq!(location, "/admin/staff?done=disabled");
    }

    let (status, page) = get_page(service, &executor_browser, "/staff/queue").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a disabled executor's browser session was accepted: {page}");
    assert_eq!(executor_api.get("/api/v1/reports").await.status(), StatusCode::UNAUTHORIZED, "a disabled executor's API token was accepted");
    assert_eq!(key_client.get("/api/v1/reports").await.status(), StatusCode::UNAUTHORIZED, "a disabled account's API key was accepted");
    let fresh = service.browser();
    let refused = fresh.post(service.url("/login")).form(&[("login", EXECUTOR), ("password", PASSWORD), ("next", "/staff/queue")]).send().await.expect("POST /login failed");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "a disabled executor signed in");

    // Enabling lets them sign in again, but the old sessions stay ended.
    let path = format!("/admin/staff/{}/disabled", executor.id);
    let (status, location, _) = post_form(service, &admin, &path, &[("csrf_token", csrf_token.as_str()), ("disabled", "false")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/staff?done=enabled");
    let (status, _) = get_page(service, &executor_browser, "/staff/queue").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "an ended session came back after enabling");
    sign_in_with_form(service, &executor_browser, EXECUTOR, "/staff/queue").await;

    let entries = store.audit_entries(&AuditFilter { action_prefix: Some("staff.".to_owned()), limit: 20, ..AuditFilter::default() }).await.expect("audit list failed");
    let actions: Vec<(&str, &str)> = entries.iter().rev().map(|entry| (entry.action.as_str(), entry.object.as_str())).collect();
    let executor_object = format!("user:{}", executor.id);
    let key_object = format!("user:{}", issued.account.id);
    let expected = vec![
        ("staff.create", executor_object.as_str()),
        ("staff.update", executor_object.as_str()),
        ("staff.disable", executor_object.as_str()),
        ("staff.disable", key_object.as_str()),
        ("staff.enable", executor_object.as_str()),
    ];
    assert_eq!(actions, expected);
    let admin_id = store.user_by_email("staff-admin@example.ru").await.expect("lookup failed").expect("no admin").0.id;
    assert!(entries.iter().all(|entry| entry.actor_id == Some(admin_id)), "an entry names another actor: {entries:?}");
    assert!(entries.iter().all(|entry| !entry.details.contains('@')), "an entry contains an e-mail address: {entries:?}");
    assert_eq!(entries.last().map(|entry| entry.details.as_str()), Some("role=executor agency=madi district=- supervisor=false"));
}

async fn refused_staff_form_keeps_values(service: &TestService) {
    let (admin, csrf_token) = admin_browser(service).await;
    let store = service.state.store.clone();

    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("email", "not-an-address"), ("password", PASSWORD), ("role", "moderator")], "Электронная почта указана неверно"),
        (&[("email", EXECUTOR), ("password", "short"), ("role", "moderator")], "Пароль слишком короткий: нужно хотя бы 10 символов."),
        (&[("email", EXECUTOR), ("password", PASSWORD), ("role", "executor"), ("agency", "")], "Исполнителю нужно ведомство"),
        (&[("email", EXECUTOR), ("password", PASSWORD), ("role", "moderator"), ("agency", "madi")], "относятся только к исполнителям"),
    ];
    for (fields, message) in cases {
        let mut form = vec![("csrf_token", csrf_token.as_str())];
        form.extend_from_slice(fields);
        let (status, _, page) = post_form(service, &admin, "/admin/staff", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(page.contains(message), "no message {message:?} for {fields:?}");
        let email = fields[0].1;
        assert!(page.contains(&format!(r#"value="{email}""#)), "the typed e-mail was lost for {fields:?}");
        assert!(!page.contains(PASSWORD), "the password was sent back into the page");
    }
    assert!(store.user_by_email(EXECUTOR).await.expect("lookup failed").is_none(), "a refused form created an account");

    let duplicate = [("csrf_token", csrf_token.as_str()), ("email", "staff-admin@example.ru"), ("password", PASSWORD), ("role", "moderator")];
    let (status, _, page) = post_form(service, &admin, "/admin/staff", &duplicate).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Пользователь с такой электронной почтой уже есть"));

    let admin_id = store.user_by_email("staff-admin@example.ru").await.expect("lookup failed").expect("no admin").0.id;
    let path = format!("/admin/staff/{admin_id}/disabled");
    let (status, _, _) = post_form(service, &admin, &path, &[("csrf_token", csrf_token.as_str()), ("disabled", "true")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an administrator disabled themselves");
    let (status, _, _) = post_form(service, &admin, "/admin/staff/999999/disabled", &[("csrf_token", csrf_token.as_str()), ("disabled", "true")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _, _) = post_form(service, &admin, "/admin/staff", &[("csrf_token", "forged"), ("email", EXECUTOR), ("password", PASSWORD), ("role", "moderator")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a form without the session's CSRF token was accepted");
}

/// Checks that every administration page is reached from the header's «Администрирование» link, which only
/// administrators see; anyone else gets 404 at /admin.
async fn admin_sections_reached_from_header(service: &TestService) {
    let (admin, _) = admin_browser(service).await;
    let (status, page) = get_page(service, &admin, "/my/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<a href="/admin">Администрирование</a>"#), "the administrator's header has no administration link");
    let (status, index) = get_page(service, &admin, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    let sections: Vec<&str> = index.split(r#"<a href=""#).skip(1).filter_map(|rest| rest.split('"').next()).filter(|path| path.starts_with("/admin/") || path.starts_with("/staff/")).collect();
    for expected in ["/admin/dashboard", "/admin/staff", "/admin/catalog", "/admin/catalog/agencies", "/admin/catalog/routing", "/admin/calendar", "/admin/api-keys", "/admin/deliveries", "/admin/webhooks", "/admin/audit", "/staff/recovery"] {
        assert!(sections.contains(&expected), "/admin does not link {expected}: {sections:?}");
    }
    for path in sections {
        let (status, _) = get_page(service, &admin, path).await;
        assert_eq!(status, StatusCode::OK, "{path} linked from /admin does not open");
    }

    service.add_user("sections-moderator@example.ru", Role::Moderator, None).await;
    service.add_user("sections-executor@example.ru", Role::Executor, Some("madi")).await;
    service.add_user("sections-resident@example.ru", Role::Resident, None).await;
    for email in ["sections-moderator@example.ru", "sections-executor@example.ru", "sections-resident@example.ru"] {
        let browser = service.browser();
        sign_in_with_form(service, &browser, email, "/notifications").await;
        let (status, page) = get_page(service, &browser, "/notifications").await;
        assert_eq!(status, StatusCode::OK, "{email}");
        assert!(!page.contains(r#"href="/admin""#), "{email} sees the administration link");
        let reviews_recovery = email.contains("moderator");
        assert_eq!(page.contains(r#"href="/staff/recovery""#), reviews_recovery, "{email}: the link to the recovery requests");
        let (status, _) = get_page(service, &browser, "/admin").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{email} opened /admin");
    }
}
