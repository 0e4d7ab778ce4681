//! E-mail notifications end to end. The service writes deliveries with each status change, and
//! the delivery worker sends them to a real SMTP server on loopback (`aiosmtpd` from PyPI, which
//! `.ci/run` installs). The messages carry the card link and a working unsubscribe link.
//! The worker is driven one round at a time with a chosen clock, so retries and the morning
//! digest need no waiting.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;
#[allow(dead_code, reason = "this test uses the process and database helpers, not the photo ones")]
mod crash_support;
mod smtp_support;

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use crash_support::{Database, Setup, sign_in};
use mailparse::MailHeaderMap;
use pomoshnik::worker::{DeliveryWorker, MailConfig, WorkerConfig};
use pomoshnik_core::role::Role;
use pomoshnik_store::DeliveryMode;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;
use smtp_support::SmtpServer;

on_both_backends!(with_service => email_follows_status_changes, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => email_retry_and_digest, flavor = "multi_thread", worker_threads = 2);

/// How long a `pomoshnik worker` may take to send what is due.
const DELIVERY_LIMIT: Duration = Duration::from_secs(60);

/// The parts of a received message the tests check.
struct Received {
    to: String,
    subject: String,
    body: String,
    unsubscribe: String,
    one_click: String,
}

fn parse(raw: &[u8]) -> Received {
    let message = mailparse::parse_mail(raw).expect("the message is not valid MIME");
    let header = |name: &str| message.headers.get_first_value(name).unwrap_or_default();
    Received {
        to: header("To"),
        subject: header("Subject"),
        body: message.get_body().expect("the body does not decode"),
        unsubscribe: header("List-Unsubscribe"),
        one_click: header("List-Unsubscribe-Post"),
    }
}

fn mail_config(service: &TestService, smtp: &SmtpServer) -> MailConfig {
    MailConfig { smtp_url: smtp.url(), from: "Помощник города <noreply@pomoshnik.test>".to_owned(), public_url: service.base_url.clone() }
}

async fn email_follows_status_changes(service: &TestService) {
    let mut smtp = SmtpServer::reserve();
    smtp.start();
    let store = service.state.store.clone();
    let mail = mail_config(service, &smtp);
    pomoshnik::configure_delivery(store.as_ref(), Some(&mail), false, false).await.expect("configuring delivery failed");
    let worker = DeliveryWorker::new(store.clone(), &mail, WorkerConfig::default()).expect("the worker configuration is valid");

    let resident = service.resident("mail-resident@example.org").await;
    let moderator = service.user("mail-moderator@example.org", Role::Moderator, None).await;
    let (status, body) = resident.file_report(&litter_report(55.7601, 37.6186), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let number = body["number"].as_str().expect("the answer has a number").to_owned();
    assert_eq!(worker.run_once(Utc::now()).await.expect("delivery round failed"), 1);

    let (status, body) = moderator.transition(&number, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::OK, "status change failed: {body}");
    assert_eq!(worker.run_once(Utc::now()).await.expect("delivery round failed"), 1);
    assert_eq!(worker.run_once(Utc::now()).await.expect("delivery round failed"), 0, "a sent delivery was claimed again");

    let messages: Vec<Received> = smtp.messages().iter().map(|raw| parse(raw)).collect();
    assert_eq!(messages.len(), 2, "one message per status change");
    let (accepted, review) = (&messages[0], &messages[1]);
    assert!(accepted.to.contains("mail-resident@example.org"), "recipient: {}", accepted.to);
    assert_eq!(accepted.subject, format!("Обращение № {number}: Принято"));
    assert!(accepted.body.contains(&format!("Ваше обращение № {number} «Неубранный мусор или снег» зарегистрировано")), "{}", accepted.body);
    assert!(accepted.body.contains(&format!("{}/reports/{number}", service.base_url)), "no card link: {}", accepted.body);
    assert_eq!(review.subject, format!("Обращение № {number}: На проверке"));
    assert!(review.body.contains("изменён: На проверке"), "{}", review.body);
    assert_eq!(review.one_click, "List-Unsubscribe=One-Click");
    let unsubscribe = review.unsubscribe.trim_matches(['<', '>']).to_owned();
    assert!(unsubscribe.starts_with(&format!("{}/unsubscribe/", service.base_url)), "unsubscribe header: {}", review.unsubscribe);
    assert!(review.body.contains(&unsubscribe), "the body lacks the unsubscribe link");

    // The link opens a confirmation page, then the one-click POST turns e-mail off.
    let browser = service.browser();
    let page = browser.get(&unsubscribe).send().await.expect("GET unsubscribe failed");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap_or_default().contains("Отписаться"));
    let done = browser.post(&unsubscribe).form(&[("List-Unsubscribe", "One-Click")]).send().await.expect("POST unsubscribe failed");
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap_or_default().contains("письма больше не будут приходить"));
    let unknown = browser.post(service.url("/unsubscribe/no-such-token")).send().await.expect("POST unsubscribe failed");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let (status, body) = moderator.transition(&number, json!({ "to": "dispatched" })).await;
    assert_eq!(status, StatusCode::OK, "status change failed: {body}");
    assert_eq!(worker.run_once(Utc::now()).await.expect("delivery round failed"), 0, "an unsubscribed resident got a delivery");
    assert_eq!(smtp.messages().len(), 2);
}

async fn email_retry_and_digest(service: &TestService) {
    // The relay is down at first.
    let mut smtp = SmtpServer::reserve();
    let store = service.state.store.clone();
    let mail = mail_config(service, &smtp);
    pomoshnik::configure_delivery(store.as_ref(), Some(&mail), false, false).await.expect("configuring delivery failed");
    let worker = DeliveryWorker::new(store.clone(), &mail, WorkerConfig::default()).expect("the worker configuration is valid");

    let immediate = service.resident("immediate@example.org").await;
    let digest = service.resident("digest@example.org").await;
    choose_digest_on_page(service, "digest@example.org").await;
    let digest_user = store.user_by_email("digest@example.org").await.expect("user lookup failed").expect("the user exists").0;
    let modes = store.delivery_modes(digest_user.id).await.expect("reading the modes failed");
    assert_eq!(modes, vec![("email".to_owned(), DeliveryMode::Digest)]);
    let mut digest_numbers = Vec::new();
    for (client, numbers) in [(&immediate, None), (&digest, Some(&mut digest_numbers)), (&digest, None)] {
        let (status, body) = client.file_report(&litter_report(55.7601, 37.6186), &[], None).await;
        assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
        if let Some(numbers) = numbers {
            numbers.push(body["number"].as_str().unwrap_or_default().to_owned());
        }
    }

    let now = Utc::now();
    assert_eq!(worker.run_once(now).await.expect("delivery round failed"), 1, "only the immediate delivery is due");
    assert_eq!(store.pending_deliveries().await.expect("count failed"), 3, "the failed delivery waits for its retry");

    smtp.start();
    let before_retry = now + chrono::Duration::seconds(30);
    assert_eq!(worker.run_once(before_retry).await.expect("delivery round failed"), 0, "retried before the backoff ended");
    let after_retry = now + chrono::Duration::seconds(61);
    assert_eq!(worker.run_once(after_retry).await.expect("delivery round failed"), 1);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert!(parse(&messages[0]).to.contains("immediate@example.org"));

    let digest_time = pomoshnik_core::deadline::next_digest_at(now);
    assert_eq!(worker.run_once(digest_time).await.expect("delivery round failed"), 2);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2, "both digest notifications go in one message");
    let summary = parse(&messages[1]);
    assert!(summary.to.contains("digest@example.org"));
    assert_eq!(summary.subject, "Помощник города: 2 изменения по вашим обращениям");
    assert!(summary.body.contains("произошло 2 изменения"), "{}", summary.body);
    assert!(summary.body.contains(&digest_numbers[0]), "the digest lacks report {}", digest_numbers[0]);
    assert_eq!(store.pending_deliveries().await.expect("count failed"), 0);
}

/// Chooses the daily digest in the settings form of «Уведомления», as the resident would.
async fn choose_digest_on_page(service: &TestService, email: &str) {
    let browser = service.browser();
    sign_in_with_form(service, &browser, email, "/notifications").await;
    let (_, page) = get_page(service, &browser, "/notifications").await;
    assert!(page.contains(r#"value="immediate" checked"#), "immediate is not the default choice");
    let csrf_token = input_value(&page, "csrf_token");

    let response = browser
        .post(service.url("/notifications/settings"))
        .form(&[("csrf_token", csrf_token.as_str()), ("mode", "digest")])
        .send()
        .await
        .expect("POST /notifications/settings failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/notifications?saved=email");
    let (_, page) = get_page(service, &browser, "/notifications?saved=email").await;
    assert!(page.contains("Настройки писем сохранены"), "no confirmation after saving");
    assert!(page.contains(r#"value="digest" checked"#), "the saved choice is not shown");

    let invalid = browser
        .post(service.url("/notifications/settings"))
        .form(&[("csrf_token", csrf_token.as_str()), ("mode", "weekly")])
        .send()
        .await
        .expect("POST /notifications/settings failed");
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    assert!(invalid.text().await.unwrap_or_default().contains("Выберите, когда присылать письма"));
}

/// A worker killed while sending leaves its claimed deliveries to the next worker once the lease
/// ends, and each notification arrives exactly once. The server that wrote them is killed too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_delivers_once() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let data_dir = directory.path().join("data");
    let setup = Setup {
        database_url: format!("sqlite://{}", data_dir.join("pomoshnik.db").display()),
        data_dir,
        log_path: directory.path().join("server.log"),
        env: Vec::new(),
    };
    setup.add_user("resident", "killed-worker-resident@example.org", PASSWORD).await;
    setup.add_user("moderator", "killed-worker-moderator@example.org", PASSWORD).await;
    let server = setup.start_server_with(&["--external-worker"]).await;
    let base_url = server.base_url.clone();
    let client = reqwest::Client::new();
    let resident = sign_in(&client, &base_url, "killed-worker-resident@example.org", PASSWORD).await;
    let moderator = sign_in(&client, &base_url, "killed-worker-moderator@example.org", PASSWORD).await;

    let form = reqwest::multipart::Form::new().text("report", litter_report(55.7601, 37.6186).to_string());
    let filed = client.post(format!("{base_url}/api/v1/reports")).bearer_auth(&resident).multipart(form).send().await.expect("filing failed");
    let (status, body) = json_of(filed).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let number = body["number"].as_str().expect("the answer has a number").to_owned();
    let change = client
        .post(format!("{base_url}/api/v1/reports/{number}/transitions"))
        .bearer_auth(&moderator)
        .json(&json!({ "to": "under_review" }))
        .send()
        .await
        .expect("the status change failed");
    assert_eq!(change.status(), StatusCode::OK);
    server.kill().await;

    // The first worker claims the deliveries and connects to an SMTP server that never greets.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("failed to bind a loopback port");
    let silent_url = format!("smtp://127.0.0.1:{}", silent.local_addr().expect("the listener has an address").port());
    let mut first = setup.spawn(&["worker", "--smtp-url", &silent_url, "--public-url", &base_url, "--lease-seconds", "2"]);
    let (connection, _) = tokio::time::timeout(DELIVERY_LIMIT, silent.accept())
        .await
        .expect("the first worker did not connect to the SMTP server")
        .expect("accepting the worker's connection failed");
    first.start_kill().expect("failed to kill the first worker");
    let killed = first.wait().await.expect("failed to wait for the first worker");
    assert!(!killed.success(), "the first worker exited normally: {killed}");
    drop(connection);

    let database = Database::connect(&setup.database_url).await;
    let claimed: Vec<(String, i64)> = database.rows("SELECT state, attempts FROM deliveries ORDER BY id").await;
    assert_eq!(claimed, vec![("pending".to_owned(), 1); 2], "the killed worker had claimed both deliveries and sent none");

    let mut smtp = SmtpServer::reserve();
    smtp.start();
    let mut second = setup.spawn(&["worker", "--smtp-url", &smtp.url(), "--public-url", &base_url]);
    let started = Instant::now();
    loop {
        let states: Vec<(String,)> = database.rows("SELECT state FROM deliveries WHERE state <> 'sent'").await;
        if states.is_empty() {
            break;
        }
        assert!(started.elapsed() < DELIVERY_LIMIT, "deliveries still not sent: {states:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Another lease period and poll: nothing is sent again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pid = second.id().expect("the second worker is running").to_string();
    let stopped = Command::new("kill").args(["-TERM", &pid]).status().expect("failed to run kill");
    assert!(stopped.success());
    let exit = second.wait().await.expect("failed to wait for the second worker");
    assert!(exit.success(), "the second worker exited with {exit} after SIGTERM");
    database.close().await;

    let subjects: Vec<String> = smtp.messages().iter().map(|raw| parse(raw).subject).collect();
    assert_eq!(
        subjects,
        vec![format!("Обращение № {number}: Принято"), format!("Обращение № {number}: На проверке")],
        "each notification arrives once"
    );
}
