//! Local accounts. Registration by phone gets its code from a stand-in SMS gateway on loopback,
//! and registration by e-mail from a real SMTP server. The tests cover rejected codes (wrong, too
//! many attempts, replayed, replaced by a newer one), the resend and reset limits, password reset
//! without account enumeration, signing out everywhere, the audit page and TOTP.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;
#[allow(dead_code, reason = "each test binary uses part of the gateway")]
mod sms_support;
mod smtp_support;

use std::sync::Arc;

use common::*;
use pomoshnik_store::AuditFilter;
use pomoshnik_test_support::{DatabaseKind, on_both_backends};
use pomoshnik_web::accounts::AccountsConfig;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sms_support::{Gateway, Sms};

on_both_backends!(with_gateway => phone_registration_confirmed_by_code, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => code_attempts_and_resend_limited, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => password_reset_by_phone, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => sign_out_everywhere_ends_sessions, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => audit_page_filters_and_pages, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => two_factor_sign_in_and_recovery, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(on_backend => email_registration_confirmed_by_mail, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(on_backend => staff_sent_to_two_factor_setup, flavor = "multi_thread", worker_threads = 2);

const GATEWAY_TOKEN: &str = "gateway-test-token";
const PHONE: &str = "8 (916) 123-45-67";
const NEW_PASSWORD: &str = "зелёный трамвай 7";

async fn with_gateway(kind: DatabaseKind, scenario: impl AsyncFnOnce(&TestService, &Gateway)) {
    let gateway = Gateway::start(GATEWAY_TOKEN).await;
    let mut accounts = AccountsConfig::default();
    accounts.sms = gateway.sender();
    accounts.codes_per_account.max = 3;
    accounts.resets_per_address.max = 10;
    let service = TestService::start_with_accounts(kind, accounts).await;
    scenario(&service, &gateway).await;
    service.stop().await;
}

async fn on_backend(kind: DatabaseKind, scenario: impl AsyncFnOnce(DatabaseKind)) {
    scenario(kind).await;
}

async fn post_form(service: &TestService, browser: &Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let response = browser.post(service.url(path)).form(form).send().await.unwrap_or_else(|error| panic!("POST {path} failed: {error}"));
    let status = response.status();
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

async fn register(service: &TestService, browser: &Client, login: &str, password: &str) -> (StatusCode, String, String) {
    post_form(service, browser, "/register", &[("login", login), ("password", password), ("password_repeat", password)]).await
}

async fn csrf_of(service: &TestService, browser: &Client, path: &str) -> String {
    let (status, page) = get_page(service, browser, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}");
    input_value(&page, "csrf_token")
}

async fn audit_actions(service: &TestService) -> Vec<String> {
    let entries = service.state.store.audit_entries(&AuditFilter { limit: 100, ..AuditFilter::default() }).await.expect("audit log not read");
    entries.into_iter().map(|entry| format!("{} {} {}", entry.action, entry.object, entry.details)).collect()
}

async fn phone_registration_confirmed_by_code(service: &TestService, gateway: &Gateway) {
    let browser = service.browser();
    let (status, page) = get_page(service, &browser, "/register").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"name="password_repeat""#), "no registration form");

    let refusals = [
        ("8 (495) 123-45-67", NEW_PASSWORD, NEW_PASSWORD, "Не удалось распознать телефон"),
        (PHONE, "1234567890", "1234567890", "слишком распространён"),
        (PHONE, "zzzzzzzzzzzz", "zzzzzzzzzzzz", "одного повторяющегося символа"),
        (PHONE, "pass9161234567", "pass9161234567", "содержит ваш телефон"),
        (PHONE, "короткий", "короткий", "слишком короткий"),
        (PHONE, NEW_PASSWORD, "другой пароль 123", "Пароли не совпадают"),
    ];
    for (login, password, repeat, reason) in refusals {
        let (status, _, page) = post_form(service, &browser, "/register", &[("login", login), ("password", password), ("password_repeat", repeat)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{login} / {password}");
        assert!(page.contains(reason), "no reason {reason:?} for {login} / {password}");
        assert!(page.contains(&format!(r#"value="{login}""#)), "the entered login was lost");
    }
    assert!(gateway.messages().is_empty(), "a code was sent for a refused registration");

    let (status, location, _) = register(service, &browser, PHONE, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/account/confirm");
    let sms = gateway.last();
    assert_eq!(sms.to, "+79161234567");
    let code = sms.code();

    let (status, page) = get_page(service, &browser, "/reports/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an unconfirmed account opened the report form");
    assert!(page.contains("подтвердите телефон"), "no reason shown");
    assert!(page.contains(r#"href="/account/confirm""#), "no link to confirm");
    let (status, page) = get_page(service, &browser, "/account/confirm").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("+7*******67"), "the masked phone is not shown");
    assert!(!page.contains("9161234567"), "the full phone is shown");
    let csrf_token = input_value(&page, "csrf_token");

    let (status, _, _) = post_form(service, &browser, "/account/confirm", &[("code", code.as_str())]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a form without its CSRF token was accepted");
    let cross_site = browser
        .post(service.url("/account/confirm"))
        .header("origin", "http://attacker.example")
        .form(&[("csrf_token", csrf_token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .expect("cross-site POST failed");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN, "a cross-site form post was accepted");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, _, page) = post_form(service, &browser, "/account/confirm", &[("csrf_token", csrf_token.as_str()), ("code", wrong)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Осталось 4 попытки"), "no attempts left shown");

    let (status, location, _) = post_form(service, &browser, "/account/confirm", &[("csrf_token", csrf_token.as_str()), ("code", code.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/account?confirmed=1");
    let (status, _) = get_page(service, &browser, "/reports/new").await;
    assert_eq!(status, StatusCode::OK, "the confirmed account cannot open the report form");

    let other = service.browser();
    let (status, _, page) = register(service, &other, "+7 916 1234567", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::CONFLICT, "the same phone registered twice");
    assert!(page.contains("уже есть учётная запись"));

    let (status, location, _) = post_form(service, &other, "/login", &[("login", "9161234567"), ("password", NEW_PASSWORD), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "sign-in by phone failed");
    assert_eq!(location, "/my/reports");

    let actions = audit_actions(service).await;
    assert!(actions.iter().any(|entry| entry.starts_with("account.register user:") && entry.ends_with("method=phone")), "{actions:?}");
    assert!(actions.iter().any(|entry| entry.starts_with("account.confirm user:")), "{actions:?}");
    assert!(actions.iter().any(|entry| entry.starts_with("sign_in.success user:") && entry.ends_with("method=phone_password")), "{actions:?}");
    assert!(actions.iter().all(|entry| !entry.contains("9161234567")), "a phone number in the audit log: {actions:?}");
}

async fn code_attempts_and_resend_limited(service: &TestService, gateway: &Gateway) {
    let browser = service.browser();
    register(service, &browser, "+7 903 111-22-33", NEW_PASSWORD).await;
    let first = gateway.last().code();
    let csrf_token = csrf_of(service, &browser, "/account/confirm").await;
    let confirm = |code: String| {
        let csrf_token = csrf_token.clone();
        let browser = browser.clone();
        async move { post_form(service, &browser, "/account/confirm", &[("csrf_token", csrf_token.as_str()), ("code", code.as_str())]).await }
    };

    let wrong = if first == "000000" { "111111" } else { "000000" }.to_owned();
    for attempt in 1..=4 {
        let (status, _, page) = confirm(wrong.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
        assert!(page.contains("Код неверный"), "attempt {attempt}");
    }
    let (_, _, page) = confirm(wrong.clone()).await;
    assert!(page.contains("слишком много раз"), "the fifth wrong code did not block the code");
    let (status, _, page) = confirm(first.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the right code worked after too many attempts");
    assert!(page.contains("слишком много раз"));

    let (status, _, page) = post_form(service, &browser, "/account/confirm/resend", &[("csrf_token", csrf_token.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Новый код отправлен"));
    let second = gateway.last().code();
    assert_eq!(gateway.messages().len(), 2);

    // The limit is 3 codes per account in this service: registration, the resend above, one more.
    let (status, _, _) = post_form(service, &browser, "/account/confirm/resend", &[("csrf_token", csrf_token.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    let third = gateway.last().code();
    let (status, _, page) = post_form(service, &browser, "/account/confirm/resend", &[("csrf_token", csrf_token.as_str())]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the resend limit was not applied");
    assert!(page.contains("Слишком много попыток"));
    assert_eq!(gateway.messages().len(), 3, "a code was sent over the limit");

    // Only the newest code is compared, so a replaced code reads as a wrong one.
    if second != third {
        let (status, _, page) = confirm(second).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a replaced code still worked");
        assert!(page.contains("Код неверный"));
    }
    let (status, location, _) = confirm(third.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the newest code did not work");
    assert_eq!(location, "/account?confirmed=1");
}

async fn password_reset_by_phone(service: &TestService, gateway: &Gateway) {
    let browser = service.browser();
    register(service, &browser, PHONE, NEW_PASSWORD).await;
    let code = gateway.last().code();
    let csrf_token = csrf_of(service, &browser, "/account/confirm").await;
    post_form(service, &browser, "/account/confirm", &[("csrf_token", csrf_token.as_str()), ("code", code.as_str())]).await;
    let sent_before = gateway.messages().len();

    let anonymous = service.browser();
    let (status, known, _) = post_form(service, &anonymous, "/password/reset", &[("login", "+7 (916) 123 45 67")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, unknown, _) = post_form(service, &anonymous, "/password/reset", &[("login", "+7 999 000 00 00")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "an unknown phone was answered differently");
    assert_eq!(known.replace("79161234567", "X"), unknown.replace("79990000000", "X"), "the answers tell the accounts apart");
    assert_eq!(gateway.messages().len(), sent_before + 1, "exactly one reset code should have been sent");
    let reset_code = gateway.last().code();
    let (status, page) = get_page(service, &anonymous, &known).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Если учётная запись"), "no neutral notice");

    let reset = |code: String, password: &'static str| {
        let anonymous = anonymous.clone();
        async move {
            post_form(service, &anonymous, "/password/reset/code", &[("login", PHONE), ("code", code.as_str()), ("password", password), ("password_repeat", password)]).await
        }
    };
    let wrong = if reset_code == "000000" { "111111" } else { "000000" }.to_owned();
    let (status, _, page) = reset(wrong, "новый пароль для входа").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Код неверный"));
    let (status, _, page) = reset(reset_code.clone(), "qwertyuiop").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a weak new password was accepted");
    assert!(page.contains("распространён"));
    let (status, location, _) = reset(reset_code.clone(), "новый пароль для входа").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the reset with the right code failed");
    assert_eq!(location, "/login?reset=1");
    let (status, _, page) = reset(reset_code.clone(), "ещё один новый пароль").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a replayed code was accepted");
    assert!(page.contains("не действует"));

    let (status, _) = get_page(service, &browser, "/account").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the reset did not end the old session");
    let (status, _, _) = post_form(service, &anonymous, "/login", &[("login", PHONE), ("password", NEW_PASSWORD), ("next", "/")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password still works");
    let (status, _, _) = post_form(service, &anonymous, "/login", &[("login", PHONE), ("password", "новый пароль для входа"), ("next", "/")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the new password does not work");

    // Ten requests per address in this service: six above, four here, then the limit.
    for _ in 0..3 {
        post_form(service, &anonymous, "/password/reset", &[("login", "+7 999 000 00 01")]).await;
    }
    let (status, _, _) = reset("123456".to_owned(), "новый пароль для входа").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, page) = post_form(service, &anonymous, "/password/reset", &[("login", "+7 999 000 00 02")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the limit per address was not applied");
    assert!(page.contains("Слишком много попыток"));

    let actions = audit_actions(service).await;
    assert!(actions.iter().any(|entry| entry.starts_with("password.reset user:")), "{actions:?}");
    assert!(actions.iter().any(|entry| entry.starts_with("sign_in.failure user:")), "{actions:?}");
}

async fn sign_out_everywhere_ends_sessions(service: &TestService, _gateway: &Gateway) {
    service.add_user("everywhere@example.org", pomoshnik_core::role::Role::Resident, None).await;
    let laptop = service.browser();
    let phone = service.browser();

    let response = laptop.post(service.url("/login")).form(&[("login", "everywhere@example.org"), ("password", PASSWORD), ("next", "/")]).send().await.expect("POST /login failed");
    let cookie = response.headers().get("set-cookie").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "Secure on plain http: {cookie}");
    sign_in_with_form(service, &phone, "everywhere@example.org", "/my/reports").await;
    let again = laptop.post(service.url("/login")).form(&[("login", "everywhere@example.org"), ("password", PASSWORD), ("next", "/")]).send().await.expect("POST /login failed");
    let rotated = again.headers().get("set-cookie").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    assert_ne!(cookie.split(';').next(), rotated.split(';').next(), "sign-in kept the session token");

    let csrf_token = csrf_of(service, &laptop, "/account").await;
    let (status, _, _) = post_form(service, &laptop, "/account/sessions/end", &[("csrf_token", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a forged CSRF token was accepted");
    let (status, _) = get_page(service, &phone, "/account").await;
    assert_eq!(status, StatusCode::OK);

    let (status, location, _) = post_form(service, &laptop, "/account/sessions/end", &[("csrf_token", csrf_token.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/login");
    let (status, _) = get_page(service, &phone, "/account").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the other device is still signed in");
    let (status, _) = get_page(service, &laptop, "/account").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "this device is still signed in");

    let actions = audit_actions(service).await;
    assert!(actions.iter().any(|entry| entry.starts_with("session.end_all user:") && entry.ends_with("sessions=3")), "{actions:?}");
}

async fn audit_page_filters_and_pages(service: &TestService, _gateway: &Gateway) {
    use pomoshnik_core::role::Role;

    let admin_user = service.add_user("auditor@example.org", Role::Admin, None).await;
    let resident_user = service.add_user("audited@example.org", Role::Resident, None).await;
    let resident = service.browser();
    sign_in_with_form(service, &resident, "audited@example.org", "/my/reports").await;
    let (status, _, _) = post_form(service, &service.browser(), "/login", &[("login", "audited@example.org"), ("password", "wrong password"), ("next", "/")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get_page(service, &resident, "/admin/audit").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a resident opened the audit log");

    let admin = service.browser();
    sign_in_with_form(service, &admin, "auditor@example.org", "/admin/audit").await;
    let (status, page) = get_page(service, &admin, "/admin/audit?action=sign_in.failure").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("method=email_password"), "no failed sign-in listed");
    assert!(!page.contains("sign_in.success"), "the action filter let other actions through");
    assert!(!page.contains("audited@example.org"), "an e-mail address in the audit log");

    let (_, page) = get_page(service, &admin, &format!("/admin/audit?person=user:{}", resident_user.id)).await;
    assert!(page.contains("sign_in.success"), "the resident's sign-in is missing");
    assert!(!page.contains(&format!("user:{}</td>\n    <td>sign_in", admin_user.id)), "another person's entry was listed");

    let (status, page) = get_page(service, &admin, "/admin/audit?person=Иванов").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Не удалось распознать пользователя"));
    assert!(page.contains(r#"value="Иванов""#), "the entered filter was lost");

    for minute in 0..55 {
        let entry = pomoshnik_store::NewAuditEntry {
            at: chrono::Utc::now(),
            actor_id: Some(admin_user.id),
            action: "category.update".to_owned(),
            object: "category:parking".to_owned(),
            details: format!("change {minute}"),
        };
        service.state.store.record_audit(&entry).await.expect("audit entry not written");
    }
    let (_, first) = get_page(service, &admin, "/admin/audit?action=category.").await;
    assert_eq!(first.matches("<tr id=\"audit-").count(), 50, "the first page is not 50 entries");
    assert!(first.contains("change 54"), "the newest entry is not on the first page");
    assert!(!first.contains("change 4<"), "an old entry is on the first page");
    let next_start = first.find("href=\"/admin/audit?action=category.").expect("no link to older entries");
    let next_end = first[next_start + 6..].find('"').expect("unclosed link") + next_start + 6;
    let next = first[next_start + 6..next_end].replace("&#38;", "&");
    let (_, second) = get_page(service, &admin, &next).await;
    assert_eq!(second.matches("<tr id=\"audit-").count(), 5, "the second page does not hold the rest");
    assert!(second.contains("change 0<"), "the oldest entry is not on the second page");
    assert!(second.contains("change 4<"), "the fifth entry is not on the second page");
    assert!(!second.contains("audit-next"), "a link past the last page");
}

fn totp_code(secret: &str, seconds_from_now: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).expect("the page shows an invalid secret");
    let totp = totp_rs::Builder::new().with_secret(secret).build().expect("invalid TOTP settings");
    totp.generate((chrono::Utc::now().timestamp() + seconds_from_now) as u64).to_string()
}

fn element_text(html: &str, id: &str) -> String {
    let marker = format!(r#"id="{id}">"#);
    let start = html.find(&marker).unwrap_or_else(|| panic!("no element {id}")) + marker.len();
    let end = html[start..].find('<').expect("unclosed element") + start;
    html[start..end].to_owned()
}

async fn sign_in_first_step(service: &TestService, browser: &Client, email: &str) {
    let (status, location, _) = post_form(service, browser, "/login", &[("login", email), ("password", PASSWORD), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/login/2fa?next=/my/reports", "the password alone was not sent on to the second factor");
}

async fn two_factor_sign_in_and_recovery(service: &TestService, _gateway: &Gateway) {
    use pomoshnik_core::role::Role;

    service.add_user("two-factor@example.org", Role::Resident, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, "two-factor@example.org", "/my/reports").await;
    let (status, page) = get_page(service, &browser, "/account/2fa").await;
    assert_eq!(status, StatusCode::OK);
    let secret = element_text(&page, "totp-secret");
    assert!(element_text(&page, "totp-uri").starts_with(&format!("otpauth://totp/Pomoshnik:user-")), "no otpauth URI");
    let csrf_token = input_value(&page, "csrf_token");

    let wrong = if totp_code(&secret, 0) == "000000" { "111111" } else { "000000" };
    let (status, _, page) = post_form(service, &browser, "/account/2fa/enable", &[("csrf_token", csrf_token.as_str()), ("secret", secret.as_str()), ("code", wrong)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a wrong code turned 2FA on");
    assert_eq!(element_text(&page, "totp-secret"), secret, "the secret changed after a wrong code");
    let (status, _, _) = post_form(service, &browser, "/account/2fa/enable", &[("secret", secret.as_str()), ("code", totp_code(&secret, 0).as_str())]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "2FA was turned on without the CSRF token");
    let (status, _, page) = post_form(service, &browser, "/account/2fa/enable", &[("csrf_token", csrf_token.as_str()), ("secret", secret.as_str()), ("code", totp_code(&secret, 0).as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    let recovery: Vec<String> = page.match_indices("<li><code>").map(|(start, _)| page[start + 10..start + 19].to_owned()).collect();
    assert_eq!(recovery.len(), 10, "not 10 recovery codes: {recovery:?}");

    let (status, _) = post_form_json_session(service).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the API signed in with the password alone");

    let laptop = service.browser();
    sign_in_first_step(service, &laptop, "two-factor@example.org").await;
    let (status, _) = get_page(service, &laptop, "/account").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the password alone opened a session");
    let (status, _, page) = post_form(service, &laptop, "/login/2fa", &[("code", wrong), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Код не подходит"));
    let code = totp_code(&secret, 0);
    let (status, location, _) = post_form(service, &laptop, "/login/2fa", &[("code", code.as_str()), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the right TOTP code did not sign in");
    assert_eq!(location, "/my/reports");
    let (status, _) = get_page(service, &laptop, "/account").await;
    assert_eq!(status, StatusCode::OK);

    let replay = service.browser();
    sign_in_first_step(service, &replay, "two-factor@example.org").await;
    let (status, _, _) = post_form(service, &replay, "/login/2fa", &[("code", code.as_str()), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a replayed TOTP code was accepted");
    let (status, _, _) = post_form(service, &replay, "/login/2fa", &[("code", totp_code(&secret, -30).as_str()), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an older TOTP code was accepted after a newer one");
    let (status, _, _) = post_form(service, &replay, "/login/2fa", &[("code", recovery[0].as_str()), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a recovery code did not sign in");

    let again = service.browser();
    sign_in_first_step(service, &again, "two-factor@example.org").await;
    let (status, _, _) = post_form(service, &again, "/login/2fa", &[("code", recovery[0].as_str()), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a used recovery code worked twice");
    for _ in 0..3 {
        post_form(service, &again, "/login/2fa", &[("code", wrong), ("next", "/my/reports")]).await;
    }
    let (status, _, page) = post_form(service, &again, "/login/2fa", &[("code", wrong), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the fifth wrong code did not end the pending sign-in");
    assert!(page.contains("Слишком много неверных кодов"));
    let (status, _, _) = post_form(service, &again, "/login/2fa", &[("code", recovery[1].as_str()), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a pending sign-in worked after too many wrong codes");
    let (status, _, _) = post_form(service, &service.browser(), "/login/2fa", &[("code", recovery[1].as_str()), ("next", "/")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the second factor worked without the password");

    let (_, page) = get_page(service, &laptop, "/account/2fa").await;
    assert!(page.contains("Осталось 9 резервных кодов"), "the used recovery code is still counted");
    let csrf_token = input_value(&page, "csrf_token");
    let (status, location, _) = post_form(service, &laptop, "/account/2fa/disable", &[("csrf_token", csrf_token.as_str()), ("code", recovery[2].as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/account/2fa");
    sign_in_with_form(service, &service.browser(), "two-factor@example.org", "/my/reports").await;

    let actions = audit_actions(service).await;
    assert!(actions.iter().any(|entry| entry.starts_with("2fa.enable user:")), "{actions:?}");
    assert!(actions.iter().any(|entry| entry.starts_with("2fa.disable user:")), "{actions:?}");
    assert!(actions.iter().any(|entry| entry.ends_with("method=password+totp")), "{actions:?}");
    assert!(actions.iter().any(|entry| entry.ends_with("method=password+recovery_code")), "{actions:?}");
}

async fn post_form_json_session(service: &TestService) -> (StatusCode, Value) {
    let body = serde_json::json!({ "login": "two-factor@example.org", "password": PASSWORD });
    let response = Client::new().post(service.url("/api/v1/session")).json(&body).send().await.expect("POST /api/v1/session failed");
    json_of(response).await
}

async fn staff_sent_to_two_factor_setup(kind: DatabaseKind) {
    use pomoshnik_core::role::Role;

    let mut accounts = AccountsConfig::default();
    accounts.staff_two_factor_required = true;
    let service = TestService::start_with_accounts(kind, accounts).await;
    service.add_user("guarded-moderator@example.org", Role::Moderator, None).await;
    service.add_user("free-resident@example.org", Role::Resident, None).await;

    let moderator = service.browser();
    sign_in_with_form(&service, &moderator, "guarded-moderator@example.org", "/staff/queue").await;
    let response = moderator.get(service.url("/staff/queue")).send().await.expect("GET /staff/queue failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers().get("location").and_then(|value| value.to_str().ok()), Some("/account/2fa"), "a staff member without 2FA opened the queue");
    let (status, page) = get_page(&service, &moderator, "/account/2fa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Сотрудникам нужно включить"), "no reason shown");

    let resident = service.browser();
    sign_in_with_form(&service, &resident, "free-resident@example.org", "/my/reports").await;
    let (status, _) = get_page(&service, &resident, "/my/reports").await;
    assert_eq!(status, StatusCode::OK, "a resident was sent to set up 2FA");
    service.stop().await;
}

async fn email_registration_confirmed_by_mail(kind: DatabaseKind) {
    let mut smtp = smtp_support::SmtpServer::reserve();
    smtp.start();
    let mail = pomoshnik::worker::MailConfig { smtp_url: smtp.url(), from: "Помощник города <noreply@pomoshnik.test>".to_owned(), public_url: "http://127.0.0.1".to_owned() };
    let mut accounts = AccountsConfig::default();
    accounts.mail = Arc::new(pomoshnik::code_mail::SmtpMailSender::new(&mail).expect("invalid mail settings"));
    let service = TestService::start_with_accounts(kind, accounts).await;

    let browser = service.browser();
    let (status, location, _) = register(&service, &browser, "New.Resident@Example.org", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/account/confirm");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "not one e-mail with the code");
    let message = mailparse::parse_mail(&messages[0]).expect("the message is not valid MIME");
    use mailparse::MailHeaderMap;
    assert_eq!(message.headers.get_first_value("To").as_deref(), Some("new.resident@example.org"));
    let body = message.get_body().expect("no body");
    let code = Sms { to: String::new(), text: body }.code();

    let (_, page) = get_page(&service, &browser, "/account/confirm").await;
    assert!(page.contains("n***@example.org"), "the masked address is not shown");
    let csrf_token = input_value(&page, "csrf_token");
    let (status, location, _) = post_form(&service, &browser, "/account/confirm", &[("csrf_token", csrf_token.as_str()), ("code", code.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the e-mailed code did not confirm the account");
    assert_eq!(location, "/account?confirmed=1");
    let (status, location, _) = post_form(&service, &service.browser(), "/login", &[("login", "new.resident@example.org"), ("password", NEW_PASSWORD), ("next", "/reports/new")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/reports/new");
    service.stop().await;
}
