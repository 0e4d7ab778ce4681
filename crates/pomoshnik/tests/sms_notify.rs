//! SMS notifications and the escalation sweep. A resident registers with a phone, confirms it
//! with the code from a stand-in SMS gateway on loopback and turns SMS on in the notification
//! settings. Status changes of the resident's report then reach the gateway through the outbox
//! and the SMS delivery worker: at once, after a gateway outage, or as one daily digest. A
//! phone-only account gets no e-mail deliveries. A service without any delivery channel still
//! escalates overdue reports to the agency's supervisor.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;
#[allow(dead_code, reason = "each test binary uses part of the gateway")]
mod sms_support;

use std::time::Duration;

use chrono::Utc;
use common::*;
use pomoshnik::escalation::EscalationSweep;
use pomoshnik::sms::SMS_CHANNEL;
use pomoshnik::worker::{DeliveryWorker, EMAIL_CHANNEL, WorkerConfig};
use pomoshnik::{DeliveryChannels, Installation};
use pomoshnik_core::role::Role;
use pomoshnik_store::{NotificationFilter, NotificationKind};
use pomoshnik_test_support::{DatabaseKind, on_both_backends};
use pomoshnik_web::WebConfig;
use pomoshnik_web::accounts::AccountsConfig;
use reqwest::{Client, StatusCode};
use serde_json::json;
use sms_support::{Gateway, GatewayMode, Sms};

on_both_backends!(with_gateway => status_change_sent_by_sms, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => sms_retried_after_outage, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => rejected_sms_listed_for_admins, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => digest_sent_as_one_sms, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_gateway => phone_account_gets_no_email, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => overdue_report_escalated_without_channels, flavor = "multi_thread", worker_threads = 2);

const GATEWAY_TOKEN: &str = "sms-notify-gateway-token";
const PHONE: &str = "+79161112233";
/// The phone as `mask_phone` writes it for logs and pages.
const MASKED_PHONE: &str = "+7*******33";

/// A service whose SMS gateway is the stand-in, with e-mail and SMS enabled for notifications,
/// and the SMS delivery worker that a test runs round by round.
struct Setup<'a> {
    service: &'a TestService,
    gateway: &'a Gateway,
    worker: DeliveryWorker,
}

async fn with_gateway(kind: DatabaseKind, scenario: impl AsyncFnOnce(&Setup<'_>)) {
    let gateway = Gateway::start(GATEWAY_TOKEN).await;
    let accounts = AccountsConfig { sms: gateway.sender(), sms_notifications: true, ..AccountsConfig::default() };
    let service = TestService::start_with_accounts(kind, accounts).await;
    let store = service.state.store.clone();
    let channels = DeliveryChannels { email: true, push: false, sms: true };
    pomoshnik::configure_channels(store.as_ref(), channels).await.expect("configuring delivery failed");
    let worker = DeliveryWorker::sms(store, gateway.sender(), &service.base_url, WorkerConfig::default());
    scenario(&Setup { service: &service, gateway: &gateway, worker }).await;
    service.stop().await;
}

impl Setup<'_> {
    /// Runs one round of the SMS worker at `now` and returns how many deliveries it claimed.
    async fn deliver(&self, now: chrono::DateTime<Utc>) -> usize {
        self.worker.run_once(now).await.expect("SMS delivery round failed")
    }

    /// Registers a resident with [`PHONE`] through the pages and confirms the phone with the
    /// code the gateway received. Returns the signed-in browser.
    async fn register_phone_resident(&self) -> Client {
        let service = self.service;
        let browser = service.browser();
        let form = [("login", PHONE), ("password", PASSWORD), ("password_repeat", PASSWORD)];
        let registered = browser.post(service.url("/register")).form(&form).send().await.expect("POST /register failed");
        assert_eq!(registered.status(), StatusCode::SEE_OTHER, "registration by phone was not accepted");
        let code_sms = self.gateway.messages().last().cloned().expect("no code was sent");
        assert_eq!(code_sms.to, PHONE);
        let characters: Vec<char> = code_sms.text.chars().collect();
        let start = characters.windows(6).position(|window| window.iter().all(char::is_ascii_digit)).unwrap_or_else(|| panic!("no code in {:?}", code_sms.text));
        let code: String = characters[start..start + 6].iter().collect();

        let (status, page) = get_page(service, &browser, "/account/confirm").await;
        assert_eq!(status, StatusCode::OK);
        let csrf_token = input_value(&page, "csrf_token");
        let form = [("csrf_token", csrf_token.as_str()), ("code", code.as_str())];
        let confirmed = browser.post(service.url("/account/confirm")).form(&form).send().await.expect("POST /account/confirm failed");
        assert_eq!(confirmed.status(), StatusCode::SEE_OTHER, "the code was not accepted");
        browser
    }

    /// Chooses `mode` for SMS on the notification settings page and checks that it is shown.
    async fn choose_sms_mode(&self, browser: &Client, mode: &str) {
        let (status, page) = get_page(self.service, browser, "/notifications").await;
        assert_eq!(status, StatusCode::OK);
        let csrf_token = input_value(&page, "csrf_token");
        let form = [("csrf_token", csrf_token.as_str()), ("channel", "sms"), ("mode", mode)];
        let saved = browser.post(self.service.url("/notifications/settings")).form(&form).send().await.expect("POST /notifications/settings failed");
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "the SMS mode {mode} was not saved");
        assert_eq!(saved.headers()["location"], "/notifications?saved=sms");
        let (_, page) = get_page(self.service, browser, "/notifications?saved=sms").await;
        assert!(page.contains("Настройки уведомлений по SMS сохранены"), "no confirmation of the saved mode");
        let section = &page[page.find(r#"id="sms-settings""#).expect("no SMS settings")..];
        assert!(section.contains(&format!(r#"value="{mode}" checked"#)), "the saved SMS mode {mode} is not checked");
    }

    /// Files a litter report as the resident signed in with [`PHONE`] and returns its number.
    async fn file_phone_report(&self) -> String {
        let resident = self.service.sign_in(PHONE).await;
        let (status, filed) = resident.file_report(&litter_report(55.7601, 37.6186), &[], None).await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        filed["number"].as_str().expect("the response has a number").to_owned()
    }
}

/// Asserts that `sms` is one notification to [`PHONE`] about report `number` with `status`
/// and a link to its card.
fn assert_status_sms(setup: &Setup<'_>, sms: &Sms, number: &str, status: &str) {
    assert_eq!(sms.to, PHONE);
    assert!(sms.text.contains(&format!("№ {number}")), "no report number in {:?}", sms.text);
    assert!(sms.text.contains(&format!("«{status}»")), "no status {status} in {:?}", sms.text);
    assert!(sms.text.ends_with(&setup.service.url(&format!("/reports/{number}"))), "no card link in {:?}", sms.text);
    assert!(pomoshnik_web::sms::sms_units(&sms.text) <= pomoshnik_web::sms::TWO_PARTS_UNITS, "longer than two SMS parts: {:?}", sms.text);
}

async fn status_change_sent_by_sms(setup: &Setup<'_>) {
    let service = setup.service;
    let browser = setup.register_phone_resident().await;
    let (_, page) = get_page(service, &browser, "/notifications").await;
    let section = &page[page.find(r#"id="sms-settings""#).expect("a confirmed phone account is not offered SMS")..];
    assert!(section.contains(MASKED_PHONE), "the settings do not name the masked phone");
    assert!(section.contains(r#"value="off" checked"#), "SMS is not off before the resident turns it on");
    assert!(!page.contains("9161112233"), "the page shows the full phone");
    setup.choose_sms_mode(&browser, "immediate").await;

    let number = setup.file_phone_report().await;
    let seen = setup.gateway.messages().len();
    assert_eq!(setup.deliver(Utc::now()).await, 1, "one notification, the registration, was due");
    let sent = setup.gateway.since(seen);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_status_sms(setup, &sent[0], &number, "Принято");

    let moderator = service.user("sms-moderator@example.org", Role::Moderator, None).await;
    let (status, body) = moderator.transition(&number, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = setup.gateway.messages().len();
    setup.deliver(Utc::now()).await;
    assert_eq!(setup.deliver(Utc::now()).await, 0, "the SMS was claimed again");
    let sent = setup.gateway.since(seen);
    assert_eq!(sent.len(), 1, "exactly one SMS per status change: {sent:?}");
    assert_status_sms(setup, &sent[0], &number, "На проверке");

    // With SMS turned off again, the next change sends nothing.
    setup.choose_sms_mode(&browser, "off").await;
    let (status, body) = moderator.transition(&number, json!({ "to": "dispatched", "agency": "oati" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = setup.gateway.messages().len();
    assert_eq!(setup.deliver(Utc::now() + chrono::Duration::days(2)).await, 0, "an SMS delivery was written with SMS off");
    assert!(setup.gateway.since(seen).is_empty());
}

async fn sms_retried_after_outage(setup: &Setup<'_>) {
    let browser = setup.register_phone_resident().await;
    setup.choose_sms_mode(&browser, "immediate").await;
    let seen = setup.gateway.messages().len();
    setup.gateway.set_mode(GatewayMode::Unavailable);
    let number = setup.file_phone_report().await;

    let failed_at = Utc::now();
    assert_eq!(setup.deliver(failed_at).await, 1, "the SMS was not attempted");
    assert!(setup.gateway.since(seen).is_empty(), "the gateway recorded a message during the outage");
    setup.gateway.set_mode(GatewayMode::Accepting);
    assert_eq!(setup.deliver(failed_at + chrono::Duration::seconds(10)).await, 0, "retried before the backoff passed");

    let retry_at = failed_at + chrono::Duration::minutes(2);
    assert_eq!(setup.deliver(retry_at).await, 1, "the SMS was not retried after the backoff");
    assert_eq!(setup.deliver(retry_at + chrono::Duration::hours(1)).await, 0, "the delivered SMS was claimed again");
    let sent = setup.gateway.since(seen);
    assert_eq!(sent.len(), 1, "the SMS was delivered more than once: {sent:?}");
    assert_status_sms(setup, &sent[0], &number, "Принято");
    assert!(setup.service.state.store.failed_deliveries(10).await.expect("failed deliveries not read").is_empty());
}

async fn rejected_sms_listed_for_admins(setup: &Setup<'_>) {
    let service = setup.service;
    let browser = setup.register_phone_resident().await;
    setup.choose_sms_mode(&browser, "immediate").await;
    setup.gateway.set_mode(GatewayMode::Rejecting);
    let number = setup.file_phone_report().await;
    assert_eq!(setup.deliver(Utc::now()).await, 1);
    assert_eq!(setup.deliver(Utc::now() + chrono::Duration::days(1)).await, 0, "a rejected SMS was retried");

    let failed = service.state.store.failed_deliveries(10).await.expect("failed deliveries not read");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].channel, SMS_CHANNEL);
    assert_eq!(failed[0].attempts, 1);

    service.add_user("sms-admin@example.org", Role::Admin, None).await;
    let admin = service.browser();
    sign_in_with_form(service, &admin, "sms-admin@example.org", "/admin/deliveries").await;
    let (status, page) = get_page(service, &admin, "/admin/deliveries").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&number), "the failed SMS is not listed");
    assert!(page.contains("<td>SMS</td>"), "the channel is not shown");
    assert!(page.contains("SMS gateway responded with 400 Bad Request"), "the gateway's answer is not shown");
    assert!(!page.contains("9161112233"), "the list shows the phone");

    // Retried by the administrator once the gateway accepts the number again.
    setup.gateway.set_mode(GatewayMode::Accepting);
    let csrf_token = input_value(&page, "csrf_token");
    let retried = admin.post(service.url("/admin/deliveries/retry")).form(&[("csrf_token", csrf_token.as_str())]).send().await.expect("retry failed");
    assert_eq!(retried.status(), StatusCode::SEE_OTHER);
    let seen = setup.gateway.messages().len();
    assert_eq!(setup.deliver(Utc::now() + chrono::Duration::minutes(1)).await, 1);
    let sent = setup.gateway.since(seen);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_status_sms(setup, &sent[0], &number, "Принято");
}

async fn digest_sent_as_one_sms(setup: &Setup<'_>) {
    let service = setup.service;
    let browser = setup.register_phone_resident().await;
    setup.choose_sms_mode(&browser, "digest").await;
    let number = setup.file_phone_report().await;
    let moderator = service.user("digest-moderator@example.org", Role::Moderator, None).await;
    let (status, body) = moderator.transition(&number, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resident = service.state.store.user_by_phone(PHONE).await.expect("user not read").expect("no phone account").0;
    let notifications = service.state.store.notifications(&NotificationFilter::latest(resident.id, 10)).await.expect("notifications not read");
    assert_eq!(notifications.len(), 2, "the registration and one status change");

    let seen = setup.gateway.messages().len();
    assert_eq!(setup.deliver(Utc::now()).await, 0, "a digest delivery was due before the digest time");
    // The digest time is 9:00 in Moscow, so two days later it has passed.
    assert_eq!(setup.deliver(Utc::now() + chrono::Duration::days(2)).await, 2);
    assert_eq!(setup.deliver(Utc::now() + chrono::Duration::days(3)).await, 0);
    let sent = setup.gateway.since(seen);
    assert_eq!(sent.len(), 1, "the digest was not one SMS: {sent:?}");
    assert_eq!(sent[0].to, PHONE);
    assert!(sent[0].text.contains("2 новых уведомления"), "no count in {:?}", sent[0].text);
    assert!(sent[0].text.ends_with(&service.url("/notifications")), "no link to the notifications in {:?}", sent[0].text);
}

async fn phone_account_gets_no_email(setup: &Setup<'_>) {
    let service = setup.service;
    let browser = setup.register_phone_resident().await;
    let (_, page) = get_page(service, &browser, "/notifications").await;
    assert!(!page.contains("email-settings-heading"), "an account without e-mail is offered e-mail settings");
    setup.file_phone_report().await;

    // An e-mail resident in the same service gets the e-mail, and no SMS settings.
    service.add_user("sms-email-resident@example.org", Role::Resident, None).await;
    let email_browser = service.browser();
    sign_in_with_form(service, &email_browser, "sms-email-resident@example.org", "/notifications").await;
    let (_, page) = get_page(service, &email_browser, "/notifications").await;
    assert!(page.contains("email-settings-heading"), "the e-mail settings are missing");
    assert!(!page.contains("sms-settings"), "an account without a phone is offered SMS");
    let email_resident = service.sign_in("sms-email-resident@example.org").await;
    let (status, filed) = email_resident.file_report(&litter_report(55.7602, 37.6187), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");

    let store = &service.state.store;
    let now = Utc::now() + chrono::Duration::days(2);
    let emails = store.claim_deliveries(EMAIL_CHANNEL, now, now + chrono::Duration::minutes(5), 50).await.expect("claim failed");
    let recipients: Vec<&str> = emails.iter().map(|delivery| delivery.recipient.as_str()).collect();
    assert_eq!(recipients, vec!["sms-email-resident@example.org"], "e-mail deliveries were written for an account without e-mail");

    // SMS is off until the resident turns it on, so the phone gets no notification either.
    let seen = setup.gateway.messages().len();
    assert_eq!(setup.deliver(now).await, 0, "an SMS delivery was written while SMS is off by default");
    assert!(setup.gateway.since(seen).is_empty());
}

/// Sets the deadline of report `number` to an hour ago, in plain SQL, since no page moves a
/// deadline into the past.
async fn make_overdue(service: &TestService, number: &str) {
    let (year, sequence) = number.split_once('-').expect("a report number has a dash");
    let (year, sequence): (i64, i64) = (year.parse().unwrap(), sequence.parse().unwrap());
    let deadline = (Utc::now() - chrono::Duration::hours(1)).timestamp_millis();
    let sql = "UPDATE reports SET deadline_at = $1 WHERE year = $2 AND sequence = $3";
    let url = service.database_url();
    let updated = if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.expect("opening the database failed");
        let result = sqlx::query(sql).bind(deadline).bind(year).bind(sequence).execute(&pool).await.expect("update failed");
        pool.close().await;
        result.rows_affected()
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("opening the database failed");
        let result = sqlx::query(sql).bind(deadline).bind(year).bind(sequence).execute(&pool).await.expect("update failed");
        pool.close().await;
        result.rows_affected()
    };
    assert_eq!(updated, 1, "report {number} not found");
}

async fn overdue_report_escalated_without_channels(service: &TestService) {
    let resident = service.resident("sweep-author@example.org").await;
    let moderator = service.user("sweep-moderator@example.org", Role::Moderator, None).await;
    let chief = service.add_supervisor("sweep-chief@example.org", "oati").await;
    let (status, filed) = resident.file_report(&litter_report(55.7601, 37.6186), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["number"].as_str().expect("the response has a number").to_owned();
    for change in [json!({ "to": "under_review" }), json!({ "to": "dispatched", "agency": "oati" })] {
        let (status, body) = moderator.transition(&number, change).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    make_overdue(service, &number).await;

    // A second node on the same database, with no e-mail, Web Push or SMS, sweeps at start.
    let data_dir = tempfile::tempdir().expect("failed to create a data directory");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("failed to bind a loopback port");
    let web = WebConfig {
        secure_cookies: false,
        tile_url: None,
        public_url: format!("http://{}", listener.local_addr().unwrap()),
        providers: Vec::new(),
        hotline: None,
        client_address_header: None,
        rate_limits: Default::default(),
        push: None,
        accounts: Default::default(),
    };
    let state = Installation::new(data_dir.path(), Some(service.database_url().to_owned())).app_state(web, None).await.expect("the second node did not open");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = tokio::spawn(pomoshnik::serve(listener, state, async move {
        let _ = stopped.await;
    }));

    let browser = service.browser();
    sign_in_with_form(service, &browser, "sweep-chief@example.org", "/notifications").await;
    let line = format!("Обращение № {number} просрочено");
    let started = std::time::Instant::now();
    loop {
        let (status, page) = get_page(service, &browser, "/notifications").await;
        assert_eq!(status, StatusCode::OK);
        if page.contains(&line) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the supervisor was not notified within 15 seconds");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A sweep of another node finds the escalation recorded and writes no second notification.
    let store = service.state.store.clone();
    assert_eq!(EscalationSweep::new(store.clone()).run_once(Utc::now()).await.expect("sweep failed"), 0);
    let notifications = store.notifications(&NotificationFilter::latest(chief.id, 10)).await.expect("notifications not read");
    assert_eq!(notifications.iter().filter(|notification| notification.kind == NotificationKind::Escalation).count(), 1);

    let _ = stop.send(());
    node.await.expect("the second node panicked").expect("the second node failed");
}
