//! Account recovery with a passport scan. A resident who lost the contact sends a request. A
//! moderator approves it, and the temporary password arrives at the stand-in SMS gateway on
//! loopback, or refuses it, and the reason arrives by e-mail at a real SMTP server. The resident
//! must replace the temporary password before anything else. The tests also cover
//! who may see the queue and the scan, rejected files, an unknown login, CSRF and rate limits.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;
#[allow(dead_code, reason = "each test binary uses part of the gateway")]
mod sms_support;
mod smtp_support;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_media::S3Config;
use pomoshnik_store::{AuditFilter, RecoveryApproval, RecoveryState, StaffUpdate};
use pomoshnik_test_support::s3::{ACCESS_KEY_ID, MotoServer, SECRET_ACCESS_KEY};
use pomoshnik_test_support::{DatabaseKind, on_both_backends};
use pomoshnik_web::accounts::AccountsConfig;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sms_support::Gateway;

on_both_backends!(with_gateway => approval_issues_temporary_password, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(on_backend => refusal_sends_reason_by_mail, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => review_hidden_from_others, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => bad_scans_rejected_form_kept, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => unknown_login_same_response, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => form_needs_csrf_token, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => requests_limited, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => expired_temporary_password_rejected, flavor = "multi_thread", worker_threads = 2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_kept_in_bucket_until_review() {
    let server = MotoServer::start().await;
    server.create_bucket(BUCKET).await;
    let mut s3 = S3Config::new(BUCKET);
    s3.endpoint = Some(server.endpoint().to_owned());
    s3.access_key_id = Some(ACCESS_KEY_ID.to_owned());
    s3.secret_access_key = Some(SECRET_ACCESS_KEY.to_owned());
    let service = TestService::start_with_s3(DatabaseKind::Sqlite, s3).await;
    service.add_user(LOST_EMAIL, Role::Resident, None).await;
    let moderator = signed_in(&service, "moderator@example.org", Role::Moderator).await;

    let scan = Scan::photo();
    let sha256 = sha256_hex(&scan.bytes);
    let key = format!("originals/{}/{sha256}", &sha256[..2]);
    let (status, _, _) = submit(&service, &Request::default(), &scan).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the request was not accepted");
    assert_eq!(server.object(BUCKET, &key).await, Some(scan.bytes.clone()), "the scan is not in the bucket");
    assert!(service.stored_originals().is_empty(), "a local copy of the scan stayed behind");

    let id = only_request_id(&service, &moderator).await;
    let response = moderator.get(service.url(&format!("/staff/recovery/{id}/scan"))).send().await.expect("scan request failed");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.expect("scan not read").to_vec(), scan.bytes, "the scan from the bucket differs from the upload");

    let (_, page) = get_page(&service, &moderator, &format!("/staff/recovery/{id}")).await;
    let token = input_value(&page, "csrf_token");
    let (status, _, _) = post_form(&service, &moderator, &format!("/staff/recovery/{id}/refuse"), &[("csrf_token", token.as_str()), ("reason", "Скан нечитаем")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the refusal failed");
    assert!(!server.object_keys(BUCKET).await.contains(&key), "the scan is still in the bucket after the refusal");
    service.stop().await;
}

const BUCKET: &str = "pomoshnik-recovery";
const GATEWAY_TOKEN: &str = "gateway-test-token";
const LOST_EMAIL: &str = "lost@example.org";
const NEW_PHONE: &str = "8 (916) 123-45-67";
const NEW_PHONE_NORMALISED: &str = "+79161234567";
const FULL_NAME: &str = "Иванов Иван Иванович";
const CHOSEN_PASSWORD: &str = "зелёный трамвай 7";
/// Requests one client address may send in the tests before the limit applies.
const REQUESTS_PER_ADDRESS: i64 = 10;

fn test_accounts() -> AccountsConfig {
    let mut accounts = AccountsConfig::default();
    accounts.recoveries_per_address.max = REQUESTS_PER_ADDRESS;
    accounts.recoveries_per_account.max = 2;
    accounts
}

async fn with_gateway(kind: DatabaseKind, scenario: impl AsyncFnOnce(&TestService, &Gateway)) {
    let gateway = Gateway::start(GATEWAY_TOKEN).await;
    let mut accounts = test_accounts();
    accounts.sms = gateway.sender();
    let service = TestService::start_with_accounts(kind, accounts).await;
    scenario(&service, &gateway).await;
    service.stop().await;
}

async fn on_backend(kind: DatabaseKind, scenario: impl AsyncFnOnce(DatabaseKind)) {
    scenario(kind).await;
}

/// A scan to attach: its file name and content.
struct Scan {
    name: &'static str,
    bytes: Vec<u8>,
}

impl Scan {
    fn photo() -> Scan {
        Scan { name: "паспорт.jpg", bytes: fixture(TVERSKAYA) }
    }

    fn pdf() -> Scan {
        Scan { name: "passport.pdf", bytes: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec() }
    }
}

/// The text fields of a recovery request.
struct Request<'a> {
    login: &'a str,
    full_name: &'a str,
    new_contact: &'a str,
}

impl Default for Request<'_> {
    fn default() -> Self {
        Request { login: LOST_EMAIL, full_name: FULL_NAME, new_contact: NEW_PHONE }
    }
}

/// Opens the form, which sets the CSRF cookie, and returns the token of its hidden field.
async fn form_token(service: &TestService, browser: &Client) -> String {
    let (status, page) = get_page(service, browser, "/password/recovery").await;
    assert_eq!(status, StatusCode::OK, "the recovery form did not open");
    input_value(&page, "csrf_token")
}

fn multipart(token: Option<&str>, request: &Request<'_>, scan: Option<&Scan>) -> Form {
    let mut form = Form::new();
    if let Some(token) = token {
        form = form.text("csrf_token", token.to_owned());
    }
    form = form.text("login", request.login.to_owned()).text("full_name", request.full_name.to_owned()).text("new_contact", request.new_contact.to_owned());
    if let Some(scan) = scan {
        let part = Part::bytes(scan.bytes.clone()).file_name(scan.name).mime_str("image/jpeg").expect("valid MIME type");
        form = form.part("scan", part);
    }
    form
}

/// Sends the form and returns the status, the `Location` and the page.
async fn send(service: &TestService, browser: &Client, form: Form) -> (StatusCode, String, String) {
    let response = browser.post(service.url("/password/recovery")).multipart(form).send().await.expect("POST /password/recovery failed");
    let status = response.status();
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

/// Opens the form in a new browser and sends a complete request.
async fn submit(service: &TestService, request: &Request<'_>, scan: &Scan) -> (StatusCode, String, String) {
    let browser = service.browser();
    let token = form_token(service, &browser).await;
    send(service, &browser, multipart(Some(&token), request, Some(scan))).await
}

async fn post_form(service: &TestService, browser: &Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let response = browser.post(service.url(path)).form(form).send().await.unwrap_or_else(|error| panic!("POST {path} failed: {error}"));
    let status = response.status();
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

async fn signed_in(service: &TestService, email: &str, role: Role) -> Client {
    service.add_user(email, role, (role == Role::Executor).then_some("madi")).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, email, "/account").await;
    browser
}

/// Returns the id of the only pending request, as the moderator's queue links to it.
async fn only_request_id(service: &TestService, moderator: &Client) -> i64 {
    let (status, page) = get_page(service, moderator, "/staff/recovery").await;
    assert_eq!(status, StatusCode::OK, "the moderator cannot open the queue");
    let ids: Vec<i64> = page
        .match_indices("href=\"/staff/recovery/")
        .map(|(start, marker)| page[start + marker.len()..].chars().take_while(char::is_ascii_digit).collect::<String>())
        .map(|digits| digits.parse().expect("the queue links to a request without an id"))
        .collect();
    assert_eq!(ids.len(), 1, "not one request in the queue: {ids:?}");
    ids[0]
}

async fn pending_count(service: &TestService) -> usize {
    service.state.store.pending_recovery_requests(100).await.expect("queue not read").len()
}

async fn audit_entries(service: &TestService) -> Vec<String> {
    let entries = service.state.store.audit_entries(&AuditFilter { limit: 100, ..AuditFilter::default() }).await.expect("audit log not read");
    entries.into_iter().map(|entry| format!("{} {} {}", entry.action, entry.object, entry.details)).collect()
}

fn temporary_password(text: &str) -> String {
    let marker = "Временный пароль: ";
    let start = text.find(marker).unwrap_or_else(|| panic!("no temporary password in {text:?}")) + marker.len();
    text[start..].split_whitespace().next().expect("the password is empty").to_owned()
}

async fn approval_issues_temporary_password(service: &TestService, gateway: &Gateway) {
    let resident = signed_in(service, LOST_EMAIL, Role::Resident).await;
    let moderator = signed_in(service, "moderator@example.org", Role::Moderator).await;

    let anonymous = service.browser();
    for path in ["/login", "/password/reset"] {
        let (_, page) = get_page(service, &anonymous, path).await;
        assert!(page.contains(r#"href="/password/recovery""#), "{path} has no link to the recovery form");
        assert!(page.contains("Нет доступа к телефону или почте?"), "{path} has no recovery link text");
    }

    // The authenticator was lost with the phone.
    let store = &service.state.store;
    let account = store.user_by_email(LOST_EMAIL).await.expect("lookup failed").expect("no account").0;
    store.set_two_factor(account.id, Some("JBSWY3DPEHPK3PXP"), &["0".repeat(64)]).await.expect("two-factor not enabled");

    let scan = Scan::photo();
    let (status, location, _) = submit(service, &Request::default(), &scan).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the request was not accepted");
    assert_eq!(location, "/password/recovery/sent");
    let (status, page) = get_page(service, &anonymous, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("модератор рассмотрит запрос"), "no confirmation text");
    let scan_sha = sha256_hex(&scan.bytes);
    assert!(service.stored_originals().contains(&scan_sha), "the scan is not in the file store");

    let id = only_request_id(service, &moderator).await;
    let response = moderator.get(service.url(&format!("/staff/recovery/{id}"))).send().await.expect("request page failed");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("cache-control").and_then(|value| value.to_str().ok()), Some("no-store"));
    let page = response.text().await.expect("request page not read");
    assert!(page.contains(FULL_NAME), "the full name is not shown");
    assert!(page.contains(NEW_PHONE_NORMALISED), "the new contact is not shown");
    assert!(page.contains(LOST_EMAIL), "the account's login is not shown");
    assert!(page.contains(&format!(r#"src="/staff/recovery/{id}/scan""#)), "the scan is not shown");
    let csrf_token = input_value(&page, "csrf_token");

    let response = moderator.get(service.url(&format!("/staff/recovery/{id}/scan"))).send().await.expect("scan request failed");
    assert_eq!(response.status(), StatusCode::OK, "the moderator cannot open the scan");
    assert_eq!(response.headers().get("cache-control").and_then(|value| value.to_str().ok()), Some("no-store"));
    assert_eq!(response.headers().get("content-type").and_then(|value| value.to_str().ok()), Some("image/jpeg"));
    assert_eq!(response.bytes().await.expect("scan not read").to_vec(), scan.bytes, "the served scan differs from the upload");

    let (status, _, _) = post_form(service, &moderator, &format!("/staff/recovery/{id}/approve"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an approval without the CSRF token was accepted");
    let (status, location, _) = post_form(service, &moderator, &format!("/staff/recovery/{id}/approve"), &[("csrf_token", csrf_token.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the approval failed");
    assert_eq!(location, "/staff/recovery?done=approved");
    let (_, page) = get_page(service, &moderator, &location).await;
    assert!(page.contains("временный пароль отправлен"), "no notice of the approval");
    assert!(page.contains("Запросов, ожидающих рассмотрения, нет"), "the approved request is still queued");

    assert!(!service.stored_originals().contains(&scan_sha), "the scan is still on disk after the approval");
    let stored = service.state.store.recovery_request(id).await.expect("request not read").expect("request gone");
    assert_eq!(stored.state, RecoveryState::Approved);
    assert_eq!(stored.scan_key, None, "the approved request still refers to the scan");
    let response = moderator.get(service.url(&format!("/staff/recovery/{id}/scan"))).send().await.expect("scan request failed");
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "the scan is still served after the approval");
    let (status, _, _) = post_form(service, &moderator, &format!("/staff/recovery/{id}/approve"), &[("csrf_token", csrf_token.as_str())]).await;
    assert_eq!(status, StatusCode::CONFLICT, "a reviewed request was approved twice");

    let messages = gateway.messages();
    assert_eq!(messages.len(), 1, "not one SMS with the temporary password: {messages:?}");
    assert_eq!(messages[0].to, NEW_PHONE_NORMALISED);
    let password = temporary_password(&messages[0].text);
    assert!(messages[0].text.contains("72 часа"), "the SMS does not say how long the password works");
    assert!(messages[0].text.contains("одноразовым кодам отключён"), "the SMS does not say that two-factor sign-in is off");
    assert_eq!(store.totp_secret(account.id).await.expect("secret not read"), None, "two-factor authentication survived the approval");
    assert_eq!(store.unused_recovery_codes(account.id).await.expect("codes not counted"), 0, "recovery codes survived the approval");

    let response = resident.get(service.url("/my/reports")).send().await.expect("GET /my/reports failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the resident's old session survived the approval");
    assert!(response.headers().get("location").and_then(|value| value.to_str().ok()).is_some_and(|location| location.starts_with("/login")));
    let (status, _, _) = post_form(service, &service.browser(), "/login", &[("login", LOST_EMAIL), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old login and password still sign in");

    let api = Client::new().post(service.url("/api/v1/session")).json(&json!({ "login": NEW_PHONE, "password": password })).send().await.expect("API sign-in failed");
    assert_eq!(api.status(), StatusCode::FORBIDDEN, "the API opened a session with a temporary password");
    let body: Value = api.json().await.expect("API error is not JSON");
    assert_eq!(error_code(&body), "password_change_required");

    let browser = service.browser();
    let (status, location, _) = post_form(service, &browser, "/login", &[("login", NEW_PHONE), ("password", password.as_str()), ("next", "/my/reports")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the temporary password does not sign in");
    assert_eq!(location, "/my/reports");
    for path in ["/my/reports", "/", "/account", "/reports/new", "/notifications"] {
        let response = browser.get(service.url(path)).send().await.unwrap_or_else(|error| panic!("GET {path} failed: {error}"));
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path} opened before the temporary password was changed");
        assert_eq!(response.headers().get("location").and_then(|value| value.to_str().ok()), Some("/password/change"), "{path}");
    }
    let api = browser.get(service.url("/api/v1/reports")).send().await.expect("API request failed");
    assert_eq!(api.status(), StatusCode::FORBIDDEN, "the JSON API served a session with a temporary password");

    let (status, page) = get_page(service, &browser, "/password/change").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Смените временный пароль"));
    let change_token = input_value(&page, "csrf_token");
    let refusals = [
        (password.as_str(), password.as_str(), "совпадает с временным"),
        ("короткий", "короткий", "слишком короткий"),
        (CHOSEN_PASSWORD, "другой пароль 123", "Пароли не совпадают"),
        ("pass9161234567", "pass9161234567", "содержит ваш телефон"),
    ];
    for (new_password, repeat, reason) in refusals {
        let form = [("csrf_token", change_token.as_str()), ("password", new_password), ("password_repeat", repeat)];
        let (status, _, page) = post_form(service, &browser, "/password/change", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{new_password}");
        assert!(page.contains(reason), "no reason {reason:?} for {new_password}");
    }
    let (status, _, _) = post_form(service, &browser, "/password/change", &[("password", CHOSEN_PASSWORD), ("password_repeat", CHOSEN_PASSWORD)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a change without the CSRF token was accepted");
    let form = [("csrf_token", change_token.as_str()), ("password", CHOSEN_PASSWORD), ("password_repeat", CHOSEN_PASSWORD)];
    let (status, location, _) = post_form(service, &browser, "/password/change", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the new password was not accepted");
    assert_eq!(location, "/");
    let (status, _) = get_page(service, &browser, "/my/reports").await;
    assert_eq!(status, StatusCode::OK, "the resident is still sent to the change form");
    let response = browser.get(service.url("/password/change")).send().await.expect("GET /password/change failed");
    assert_eq!(response.headers().get("location").and_then(|value| value.to_str().ok()), Some("/account"), "the change form opened without a temporary password");

    let (status, _, _) = post_form(service, &service.browser(), "/login", &[("login", NEW_PHONE), ("password", password.as_str()), ("next", "/")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the temporary password still signs in");
    let (status, _, _) = post_form(service, &service.browser(), "/login", &[("login", NEW_PHONE), ("password", CHOSEN_PASSWORD), ("next", "/")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the chosen password does not sign in");

    let entries = audit_entries(service).await;
    let user_id = stored.user_id;
    assert!(entries.contains(&format!("recovery.requested recovery:{id} user:{user_id} new_contact=phone")), "{entries:?}");
    assert!(entries.contains(&format!("recovery.approve recovery:{id} user:{user_id}")), "{entries:?}");
    assert!(entries.contains(&format!("password.temporary_replaced user:{user_id} ")), "{entries:?}");
    assert!(entries.iter().all(|entry| !entry.contains("Иванов") && !entry.contains("9161234567")), "personal data in the audit log: {entries:?}");
}

async fn refusal_sends_reason_by_mail(kind: DatabaseKind) {
    let mut smtp = smtp_support::SmtpServer::reserve();
    smtp.start();
    let mail = pomoshnik::worker::MailConfig { smtp_url: smtp.url(), from: "Помощник города <noreply@pomoshnik.test>".to_owned(), public_url: "http://127.0.0.1".to_owned() };
    let mut accounts = test_accounts();
    accounts.mail = Arc::new(pomoshnik::code_mail::SmtpMailSender::new(&mail).expect("invalid mail settings"));
    let service = TestService::start_with_accounts(kind, accounts).await;

    service.add_user(LOST_EMAIL, Role::Resident, None).await;
    let admin = signed_in(&service, "admin@example.org", Role::Admin).await;
    let scan = Scan::pdf();
    let request = Request { new_contact: "New.Address@Example.org", ..Request::default() };
    let (status, _, _) = submit(&service, &request, &scan).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a PDF scan was not accepted");
    let scan_sha = sha256_hex(&scan.bytes);
    assert!(service.stored_originals().contains(&scan_sha), "the PDF scan is not in the file store");

    let id = only_request_id(&service, &admin).await;
    let (status, page) = get_page(&service, &admin, &format!("/staff/recovery/{id}")).await;
    assert_eq!(status, StatusCode::OK, "an administrator cannot open the request");
    assert!(page.contains(&format!(r#"href="/staff/recovery/{id}/scan""#)), "no link to the PDF scan");
    assert!(page.contains("new.address@example.org"), "the new address is not shown lowercased");
    let csrf_token = input_value(&page, "csrf_token");
    let response = admin.get(service.url(&format!("/staff/recovery/{id}/scan"))).send().await.expect("scan request failed");
    assert_eq!(response.headers().get("content-type").and_then(|value| value.to_str().ok()), Some("application/pdf"));
    assert_eq!(response.bytes().await.expect("scan not read").to_vec(), scan.bytes);

    let refuse = format!("/staff/recovery/{id}/refuse");
    let (status, _, page) = post_form(&service, &admin, &refuse, &[("csrf_token", csrf_token.as_str()), ("reason", "   ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a refusal without a reason was accepted");
    assert!(page.contains("Укажите причину отказа"), "no reason for the rejected refusal");
    assert!(service.stored_originals().contains(&scan_sha), "the scan was deleted by a rejected refusal");

    let reason = "ФИО в запросе не совпадает с паспортом";
    let (status, location, _) = post_form(&service, &admin, &refuse, &[("csrf_token", csrf_token.as_str()), ("reason", reason)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the refusal failed");
    assert_eq!(location, "/staff/recovery?done=refused");
    assert!(!service.stored_originals().contains(&scan_sha), "the scan is still on disk after the refusal");

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "not one e-mail with the refusal");
    let message = mailparse::parse_mail(&messages[0]).expect("the message is not valid MIME");
    use mailparse::MailHeaderMap;
    assert_eq!(message.headers.get_first_value("To").as_deref(), Some("new.address@example.org"));
    let body = message.get_body().expect("no body");
    assert!(body.contains(reason), "the e-mail does not give the reason: {body}");

    let (status, page) = get_page(&service, &admin, &format!("/staff/recovery/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Запрос отклонён"), "the refused request does not show its outcome");
    assert!(page.contains(reason), "the refused request does not show its reason");
    assert!(!page.contains("/scan"), "the refused request still links to the scan");
    let stored = service.state.store.recovery_request(id).await.expect("request not read").expect("request gone");
    assert_eq!((stored.state, stored.scan_key), (RecoveryState::Refused, None));
    let (status, _, _) = post_form(&service, &service.browser(), "/login", &[("login", LOST_EMAIL), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a refusal changed the account's password or login");
    let entries = audit_entries(&service).await;
    assert!(entries.iter().any(|entry| entry.starts_with(&format!("recovery.refuse recovery:{id} "))), "{entries:?}");
    assert!(entries.iter().all(|entry| !entry.contains("совпадает")), "the refusal reason is in the audit log: {entries:?}");
    service.stop().await;
}

async fn review_hidden_from_others(service: &TestService, _gateway: &Gateway) {
    service.add_user(LOST_EMAIL, Role::Resident, None).await;
    let (status, _, _) = submit(service, &Request::default(), &Scan::photo()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = service.state.store.pending_recovery_requests(10).await.expect("queue not read")[0].id;

    let resident = signed_in(service, "other@example.org", Role::Resident).await;
    let executor = signed_in(service, "executor@example.org", Role::Executor).await;
    for (who, browser) in [("resident", &resident), ("executor", &executor)] {
        for path in ["/staff/recovery".to_owned(), format!("/staff/recovery/{id}"), format!("/staff/recovery/{id}/scan")] {
            let (status, page) = get_page(service, browser, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "the {who} opened {path}");
            assert!(!page.contains(FULL_NAME), "the {who} saw the full name at {path}");
        }
        let (_, page) = get_page(service, browser, "/account").await;
        let token = input_value(&page, "csrf_token");
        for action in ["approve", "refuse"] {
            let path = format!("/staff/recovery/{id}/{action}");
            let (status, _, _) = post_form(service, browser, &path, &[("csrf_token", token.as_str()), ("reason", "нет")]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "the {who} could {action}");
        }
        let (_, page) = get_page(service, browser, "/account").await;
        assert!(!page.contains(r#"href="/staff/recovery""#), "the {who} sees the link to the queue");
    }
    let anonymous = service.browser();
    let response = anonymous.get(service.url(&format!("/staff/recovery/{id}/scan"))).send().await.expect("scan request failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the scan was served without a sign-in");
    assert_eq!(pending_count(service).await, 1, "someone else reviewed the request");

    let moderator = signed_in(service, "moderator@example.org", Role::Moderator).await;
    let (_, page) = get_page(service, &moderator, "/account").await;
    assert!(page.contains(r#"href="/staff/recovery""#), "the moderator has no link to the queue");
    let (status, _) = get_page(service, &moderator, "/staff/recovery/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an unknown request did not give 404");

    // The requester became a staff member after sending the request: approving it is rejected.
    let requester = service.state.store.recovery_request(id).await.expect("request not read").expect("request gone").user_id;
    let promotion = StaffUpdate { role: Role::Moderator, agency: None, district: None, supervisor: false };
    service.state.store.update_staff(requester, &promotion).await.expect("role not changed");
    let (_, page) = get_page(service, &moderator, &format!("/staff/recovery/{id}")).await;
    let token = input_value(&page, "csrf_token");
    let (status, _, page) = post_form(service, &moderator, &format!("/staff/recovery/{id}/approve"), &[("csrf_token", token.as_str())]).await;
    assert_eq!(status, StatusCode::CONFLICT, "a staff account was recovered with a passport scan");
    assert!(page.contains("больше не принадлежит жителю"), "no reason for the rejected approval");
    assert_eq!(pending_count(service).await, 1, "the rejected approval changed the request");
}

async fn bad_scans_rejected_form_kept(service: &TestService, _gateway: &Gateway) {
    service.add_user(LOST_EMAIL, Role::Resident, None).await;
    let request = Request::default();

    let disguised = Scan { name: "passport.jpg", bytes: "Это не скан паспорта, а текст.\n".repeat(40).into_bytes() };
    let mut oversized = fixture(TVERSKAYA);
    oversized.resize(10 * 1024 * 1024 + 1, 0);
    let oversized = Scan { name: "большой.jpg", bytes: oversized };
    let mut truncated = fixture(TVERSKAYA);
    truncated.truncate(truncated.len() / 2);
    let truncated = Scan { name: "обрезан.jpg", bytes: truncated };

    let cases = [(disguised, "«passport.jpg» не принят"), (oversized, "слишком большой: предел — 10 МБ"), (truncated, "«обрезан.jpg» повреждён")];
    for (scan, reason) in cases {
        let (status, _, page) = submit(service, &request, &scan).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{} was accepted", scan.name);
        assert!(page.contains(reason), "no reason {reason:?} for {}", scan.name);
        assert!(page.contains(&format!(r#"value="{LOST_EMAIL}""#)), "the login was lost with {}", scan.name);
        assert!(page.contains(&format!(r#"value="{FULL_NAME}""#)), "the full name was lost with {}", scan.name);
        assert!(page.contains(&format!(r#"value="{NEW_PHONE}""#)), "the new contact was lost with {}", scan.name);
    }

    let browser = service.browser();
    let token = form_token(service, &browser).await;
    let (status, _, page) = send(service, &browser, multipart(Some(&token), &request, None)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a request without a scan was accepted");
    assert!(page.contains("Приложите скан паспорта"), "no reason for the missing scan");

    let wrong_contact = Request { new_contact: "8 (495) 123-45-67", ..Request::default() };
    let (status, _, page) = submit(service, &wrong_contact, &Scan::photo()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a landline was accepted as the new contact");
    assert!(page.contains("Не удалось распознать новый телефон"), "no reason for the new contact");
    assert!(page.contains("Приложите скан паспорта ещё раз"), "the form does not ask for the scan again");
    assert!(page.contains(r#"value="8 (495) 123-45-67""#), "the entered contact was lost");
    let same_contact = Request { new_contact: "Lost@Example.org", ..Request::default() };
    let (status, _, page) = submit(service, &same_contact, &Scan::photo()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the lost contact was accepted as the new one");
    assert!(page.contains("совпадает с тем, к которому нет доступа"));
    let nameless = Request { full_name: "   ", ..Request::default() };
    let (status, _, page) = submit(service, &nameless, &Scan::photo()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a request without a name was accepted");
    assert!(page.contains("Укажите фамилию, имя и отчество"));

    assert!(service.stored_originals().is_empty(), "a rejected request left files behind: {:?}", service.stored_originals());
    assert_eq!(pending_count(service).await, 0, "a rejected request was stored");
}

async fn unknown_login_same_response(service: &TestService, _gateway: &Gateway) {
    service.add_user(LOST_EMAIL, Role::Resident, None).await;
    let known = Scan::photo();
    let unknown = Scan { name: "passport.png", bytes: fixture(ZELENOGRAD) };

    let (known_status, known_location, _) = submit(service, &Request::default(), &known).await;
    let unknown_request = Request { login: "nobody@example.org", ..Request::default() };
    let (unknown_status, unknown_location, unknown_page) = submit(service, &unknown_request, &unknown).await;
    assert_eq!((unknown_status, unknown_location.as_str()), (known_status, known_location.as_str()), "an unknown login gets another response");
    assert_eq!(unknown_status, StatusCode::SEE_OTHER);
    assert!(!unknown_page.contains("nobody"), "the response names the login");

    let unknown_phone = Request { login: "+7 999 000-00-00", ..Request::default() };
    let (status, location, _) = submit(service, &unknown_phone, &unknown).await;
    assert_eq!((status, location.as_str()), (known_status, known_location.as_str()), "an unknown phone gets another response");

    // Staff accounts cannot be recovered this way, and the response does not tell.
    service.add_user("moderator@example.org", Role::Moderator, None).await;
    let staff = Request { login: "moderator@example.org", ..Request::default() };
    let (status, location, _) = submit(service, &staff, &unknown).await;
    assert_eq!((status, location.as_str()), (known_status, known_location.as_str()), "a staff login gets another response");

    let originals = service.stored_originals();
    assert!(originals.contains(&sha256_hex(&known.bytes)), "the scan of the known login was not kept");
    assert!(!originals.contains(&sha256_hex(&unknown.bytes)), "the scan of an unknown or staff login was kept");
    assert_eq!(pending_count(service).await, 1, "a request for an unknown or staff login was stored");
}

async fn form_needs_csrf_token(service: &TestService, _gateway: &Gateway) {
    service.add_user(LOST_EMAIL, Role::Resident, None).await;
    let request = Request::default();
    let scan = Scan::photo();

    let browser = service.browser();
    let token = form_token(service, &browser).await;
    let (status, _, page) = send(service, &browser, multipart(None, &request, Some(&scan))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a request without the CSRF field was accepted");
    assert!(page.contains("Форма устарела"), "no reason for the CSRF refusal");
    let (status, _, _) = send(service, &browser, multipart(Some("forged-token"), &request, Some(&scan))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a request with a wrong CSRF token was accepted");

    // The token alone is not enough: a browser without the form's cookie is refused.
    let (status, _, _) = send(service, &service.browser(), multipart(Some(&token), &request, Some(&scan))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a request without the CSRF cookie was accepted");

    let cross_site = browser
        .post(service.url("/password/recovery"))
        .header("origin", "http://attacker.example")
        .multipart(multipart(Some(&token), &request, Some(&scan)))
        .send()
        .await
        .expect("cross-site POST failed");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN, "a cross-site request was accepted");

    assert!(service.stored_originals().is_empty(), "a refused request left the scan behind");
    assert_eq!(pending_count(service).await, 0);
    let (status, _, _) = send(service, &browser, multipart(Some(&token), &request, Some(&scan))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the form with its token was refused");
    assert_eq!(pending_count(service).await, 1);
}

async fn requests_limited(service: &TestService, _gateway: &Gateway) {
    service.add_user(LOST_EMAIL, Role::Resident, None).await;
    let photos = [TVERSKAYA, ZELENOGRAD, KHIMKI];

    // Two requests per account are kept. The third gets the same response and is dropped.
    for (index, photo) in photos.iter().enumerate() {
        let scan = Scan { name: "паспорт.jpg", bytes: fixture(photo) };
        let (status, location, _) = submit(service, &Request::default(), &scan).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/password/recovery/sent"), "request {index}");
    }
    assert_eq!(pending_count(service).await, 2, "the limit per account was not applied");
    assert!(!service.stored_originals().contains(&sha256_hex(&fixture(KHIMKI))), "the scan of a dropped request was kept");

    // The limit per address counts every request that passed the CSRF check.
    let sent = photos.len() as i64;
    let unknown = Request { login: "nobody@example.org", ..Request::default() };
    for index in sent..REQUESTS_PER_ADDRESS {
        let (status, _, _) = submit(service, &unknown, &Scan::photo()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "request {index} was limited too early");
    }
    let browser = service.browser();
    let token = form_token(service, &browser).await;
    let response = browser.post(service.url("/password/recovery")).multipart(multipart(Some(&token), &Request::default(), Some(&Scan::photo()))).send().await.expect("POST failed");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "the limit per address was not applied");
    assert!(response.headers().get("retry-after").is_some(), "no Retry-After");
    let page = response.text().await.expect("page not read");
    assert!(page.contains("Слишком много попыток"), "no reason for the limit");
    assert!(page.contains(&format!(r#"value="{FULL_NAME}""#)), "the form was not kept");
    assert_eq!(pending_count(service).await, 2);
}

async fn expired_temporary_password_rejected(service: &TestService, _gateway: &Gateway) {
    service.add_user(LOST_EMAIL, Role::Resident, None).await;
    let moderator = service.add_user("moderator@example.org", Role::Moderator, None).await;
    let (status, _, _) = submit(service, &Request::default(), &Scan::photo()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = service.state.store.pending_recovery_requests(10).await.expect("queue not read")[0].id;

    // Approved as the review page does, with a password that expires a few seconds from now.
    let password = "temporary-password-1";
    let lifetime = chrono::Duration::seconds(8);
    let now = chrono::Utc::now();
    let approval = RecoveryApproval {
        reviewer_id: moderator.id,
        at: now,
        password_hash: pomoshnik_web::hash_password(password.to_owned()).await.expect("hash failed"),
        expires_at: now + lifetime,
    };
    service.state.store.approve_recovery_request(id, &approval).await.expect("approval failed");

    let browser = service.browser();
    let (status, _, _) = post_form(service, &browser, "/login", &[("login", NEW_PHONE), ("password", password), ("next", "/")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the unexpired temporary password did not sign in");
    let (status, _) = get_page(service, &browser, "/password/change").await;
    assert_eq!(status, StatusCode::OK, "the change form did not open before the expiry");

    let wait = (now + lifetime - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(500);
    tokio::time::sleep(wait).await;

    let (status, page) = get_page(service, &browser, "/password/change").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the change form opened after the expiry");
    assert!(page.contains("Срок действия временного пароля истёк"), "no reason on the change form");
    let response = browser.get(service.url("/my/reports")).send().await.expect("GET /my/reports failed");
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    assert!(location.starts_with("/login"), "the session of an expired temporary password survived: {location:?}");

    let (status, _, page) = post_form(service, &service.browser(), "/login", &[("login", NEW_PHONE), ("password", password), ("next", "/")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an expired temporary password signed in");
    assert!(page.contains("Срок действия временного пароля истёк"), "no reason for the refused sign-in");
}
