//! Outbound dispatch by webhook end to end. A moderator dispatches a report; the webhook worker
//! posts it to stand-in agency systems, axum servers on loopback that check the signature and
//! record each request. The worker is driven one round at a time with a chosen clock, so
//! retries need no waiting. The agency then sends a status change back with its API key.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use chrono::Utc;
use common::*;
use hmac::{Hmac, KeyInit, Mac};
use pomoshnik::webhook::{WebhookSecret, WebhookTarget, WebhookWorker, configure_webhooks};
use pomoshnik::worker::WorkerConfig;
use pomoshnik_core::role::Role;
use pomoshnik_store::OutboxState;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;

on_both_backends!(with_service => destination_down_then_up, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => two_destinations_one_failing, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => agency_key_sends_status_back, flavor = "multi_thread", worker_threads = 2);

/// A request the stand-in received.
#[derive(Debug, Clone)]
struct Received {
    idempotency_key: String,
    timestamp: String,
    signature_valid: bool,
    body: Vec<u8>,
}

/// What the stand-in answers and what it has received.
struct Receiver {
    secret: String,
    /// Status codes for the next requests, in order; 200 once they run out.
    answers: Mutex<Vec<u16>>,
    received: Mutex<Vec<Received>>,
}

/// A stand-in agency system on a loopback port.
struct StandIn {
    address: SocketAddr,
    receiver: Arc<Receiver>,
    server: tokio::task::JoinHandle<()>,
}

impl StandIn {
    /// Starts a receiver on `address` (port 0 picks a free one) that answers `answers` in turn.
    async fn start(address: SocketAddr, secret: &str, answers: &[u16]) -> StandIn {
        let receiver = Arc::new(Receiver { secret: secret.to_owned(), answers: Mutex::new(answers.iter().rev().copied().collect()), received: Mutex::default() });
        let listener = TcpListener::bind(address).await.expect("failed to bind the stand-in's port");
        let address = listener.local_addr().expect("the listener has no address");
        let app = axum::Router::new().route("/hook", post(receive)).with_state(receiver.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the stand-in failed");
        });
        StandIn { address, receiver, server }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.address)
    }

    fn received(&self) -> Vec<Received> {
        self.receiver.received.lock().expect("lock poisoned").clone()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Checks the signature as an agency's receiver would, with its own HMAC code: `v1=` and the hex
/// HMAC-SHA256 of `{timestamp}.{body}`.
async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let timestamp = header("pomoshnik-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(receiver.secret.as_bytes()).expect("HMAC accepts any key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&body);
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    let received = Received {
        idempotency_key: header("idempotency-key"),
        signature_valid: header("pomoshnik-signature") == expected && header("content-type") == "application/json",
        timestamp,
        body: body.to_vec(),
    };
    receiver.received.lock().expect("lock poisoned").push(received);
    let answer = receiver.answers.lock().expect("lock poisoned").pop().unwrap_or(200);
    AxumStatus::from_u16(answer).expect("a valid status code")
}

fn target(name: &str, agency: &str, url: String, secret: &str) -> WebhookTarget {
    WebhookTarget { name: name.to_owned(), agency: agency.to_owned(), url, secret: WebhookSecret::new(secret), timeout: Duration::from_secs(5) }
}

/// Configures the destinations in the store and returns a worker that posts to them.
async fn worker(service: &TestService, targets: Vec<WebhookTarget>) -> WebhookWorker {
    let store = service.state.store.clone();
    configure_webhooks(store.as_ref(), &targets).await.expect("configuring webhooks failed");
    WebhookWorker::new(store, targets, WorkerConfig::default()).expect("the worker configuration is valid")
}

/// Files a parking report, for madi, and has a moderator dispatch it. Returns its number.
async fn dispatched_report(service: &TestService, author_email: &str) -> String {
    let resident = service.resident(author_email).await;
    let moderator = service.user(&format!("moderator-of-{author_email}"), Role::Moderator, None).await;
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let (status, body) = resident.file_report(&parking_report(), &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let number = body["number"].as_str().expect("the answer has a number").to_owned();
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(&number, json!({ "to": to, "comment": "Передано в МАДИ" })).await;
        assert_eq!(status, StatusCode::OK, "{to} of {number}: {body}");
    }
    number
}

async fn report_id(service: &TestService, number: &str) -> i64 {
    let number = number.parse().expect("a valid report number");
    service.state.store.report(&number).await.expect("report lookup failed").expect("the report exists").id
}

/// Returns the states of the report's latest dispatch, by destination name.
async fn dispatch_states(service: &TestService, number: &str) -> Vec<(String, OutboxState)> {
    let statuses = service.state.store.report_webhook_status(report_id(service, number).await).await.expect("reading the dispatch failed");
    statuses.into_iter().map(|status| (status.destination, status.state)).collect()
}

/// Returns the moderator's card of the report.
async fn staff_card(service: &TestService, email: &str, number: &str) -> String {
    let browser = service.browser();
    let card = format!("/reports/{number}");
    sign_in_with_form(service, &browser, email, &card).await;
    let (status, page) = get_page(service, &browser, &card).await;
    assert_eq!(status, StatusCode::OK);
    page
}

async fn destination_down_then_up(service: &TestService) {
    // A port with nothing listening: the destination is down.
    let address = std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("failed to find a free port");
    let secret = "madi-shared-secret";
    let worker = worker(service, vec![target("madi-main", "madi", format!("http://{address}/hook"), secret)]).await;
    let number = dispatched_report(service, "webhook-down@example.org").await;

    let now = Utc::now();
    assert_eq!(worker.run_once(now).await.expect("webhook round failed"), 1);
    assert_eq!(dispatch_states(service, &number).await, [("madi-main".to_owned(), OutboxState::Pending)]);
    let statuses = service.state.store.report_webhook_status(report_id(service, &number).await).await.expect("reading the dispatch failed");
    assert_eq!(statuses[0].attempts, 1);
    assert!(statuses[0].last_error.as_deref().is_some_and(|error| error.starts_with("request failed")), "{:?}", statuses[0].last_error);

    // Up, but answering 503 once, then 200.
    let stand_in = StandIn::start(address, secret, &[503]).await;
    assert_eq!(worker.run_once(now + chrono::Duration::seconds(30)).await.expect("webhook round failed"), 0, "retried before the backoff ended");
    assert_eq!(worker.run_once(now + chrono::Duration::seconds(61)).await.expect("webhook round failed"), 1);
    assert_eq!(dispatch_states(service, &number).await, [("madi-main".to_owned(), OutboxState::Pending)], "a 503 is not an acknowledgement");
    assert_eq!(worker.run_once(now + chrono::Duration::seconds(121)).await.expect("webhook round failed"), 0, "the second retry waits twice as long");
    assert_eq!(worker.run_once(now + chrono::Duration::seconds(181)).await.expect("webhook round failed"), 1);
    assert_eq!(dispatch_states(service, &number).await, [("madi-main".to_owned(), OutboxState::Sent)]);
    assert_eq!(worker.run_once(now + chrono::Duration::hours(7)).await.expect("webhook round failed"), 0, "an acknowledged delivery was claimed again");

    let received = stand_in.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        assert!(request.signature_valid, "invalid signature or content type on {request:?}");
        assert!(request.timestamp.parse::<i64>().is_ok_and(|seconds| (seconds - Utc::now().timestamp()).abs() < 600), "timestamp {:?}", request.timestamp);
    }
    assert!(!received[0].idempotency_key.is_empty());
    assert_eq!(received[0].idempotency_key, received[1].idempotency_key, "the idempotency key changed between attempts");
    assert_eq!(received[0].body, received[1].body, "the body changed between attempts");

    let body: Value = serde_json::from_slice(&received[1].body).expect("the body is JSON");
    assert_eq!(body["event"], "report.dispatched");
    assert_eq!(body["agency"], "madi");
    assert_eq!(body["comment"], "Передано в МАДИ");
    assert_eq!(body["report"]["number"], number.as_str());
    assert_eq!(body["report"]["category"]["code"], "parking_violation");
    assert_eq!(body["report"]["fields"]["plate"], "А123ВС77");
    assert_eq!(body["report"]["address"], "Москва, Тверская улица, 7");
    assert_eq!(body["report"]["files"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["transitions_url"], format!("{}/api/v1/reports/{number}/transitions", service.base_url));
    let text = String::from_utf8_lossy(&received[1].body);
    assert!(!text.contains("webhook-down@example.org"), "the body names the resident: {text}");

    let card = staff_card(service, "moderator-of-webhook-down@example.org", &number).await;
    assert!(card.contains("data-all-sent=\"true\""), "the card does not show the dispatch as acknowledged");
    assert!(card.contains("Все системы ведомства подтвердили получение."));
}

async fn two_destinations_one_failing(service: &TestService) {
    let main = StandIn::start("127.0.0.1:0".parse().expect("valid address"), "main-secret", &[]).await;
    let reserve = StandIn::start("127.0.0.1:0".parse().expect("valid address"), "reserve-secret", &[500, 500, 500]).await;
    let worker = worker(
        service,
        vec![target("madi-main", "madi", main.url(), "main-secret"), target("madi-reserve", "madi", reserve.url(), "reserve-secret")],
    )
    .await;
    let number = dispatched_report(service, "webhook-two@example.org").await;

    let now = Utc::now();
    assert_eq!(worker.run_once(now).await.expect("webhook round failed"), 2);
    assert_eq!(worker.run_once(now + chrono::Duration::seconds(61)).await.expect("webhook round failed"), 1, "only the failed destination is retried");
    let states = dispatch_states(service, &number).await;
    assert_eq!(states, [("madi-main".to_owned(), OutboxState::Sent), ("madi-reserve".to_owned(), OutboxState::Pending)]);
    assert_eq!(main.received().len(), 1);
    assert_eq!(reserve.received().len(), 2);
    assert!(main.received()[0].signature_valid && reserve.received()[0].signature_valid, "each destination gets its own signature");
    assert_ne!(main.received()[0].idempotency_key, reserve.received()[0].idempotency_key, "the destinations share an idempotency key");

    // The moderator's card: not marked sent while one destination has not acknowledged.
    let card = staff_card(service, "moderator-of-webhook-two@example.org", &number).await;
    assert!(card.contains("data-all-sent=\"false\""), "the card shows the dispatch as acknowledged");
    assert!(card.contains("Получение подтвердили 1 из 2 систем."), "summary missing from the card");
    assert!(card.contains("data-destination=\"madi-main\" data-state=\"sent\""));
    assert!(card.contains("data-destination=\"madi-reserve\" data-state=\"pending\""));
    assert!(card.contains("2 попытки"), "attempts missing from the card");
    assert!(card.contains("HTTP 500"), "the last error is missing from the card");

    // The resident's card has no dispatch section.
    let browser = service.browser();
    let card = format!("/reports/{number}");
    sign_in_with_form(service, &browser, "webhook-two@example.org", &card).await;
    let (status, resident_card) = get_page(service, &browser, &card).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!resident_card.contains("id=\"dispatch\""), "residents see the dispatch state");
}

async fn agency_key_sends_status_back(service: &TestService) {
    let number = dispatched_report(service, "webhook-back@example.org").await;
    let store = service.state.store.as_ref();
    let madi = pomoshnik::add_api_key(store, "madi-system", Some("madi")).await.expect("issuing the madi key failed");
    let oati = pomoshnik::add_api_key(store, "oati-system", Some("oati")).await.expect("issuing the oati key failed");
    let open311 = pomoshnik::add_api_key(store, "city-app", None).await.expect("issuing the Open311 key failed");
    assert!(pomoshnik::add_api_key(store, "nowhere-system", Some("nowhere")).await.is_err(), "a key for an unknown agency was issued");

    let madi = service.client_with_token(&madi.key);
    let oati = service.client_with_token(&oati.key);
    let path = format!("/api/v1/reports/{number}");

    let (status, _) = oati.get_json(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another agency's key read the report");
    let (status, body) = oati.transition(&number, json!({ "to": "in_progress" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another agency's key changed the report: {body}");
    let (status, _) = service.client_with_token(&open311.key).get_json(&path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an Open311 client's key worked in the JSON API");

    let (status, body) = madi.transition(&number, json!({ "to": "in_progress", "comment": "Инспектор выехал" })).await;
    assert_eq!(status, StatusCode::OK, "the agency's status change failed: {body}");
    assert_eq!(body["status"], "in_progress");
    let (status, body) = madi.transition(&number, json!({ "to": "resolved", "decision": "confirmed", "comment": "Составлен протокол" })).await;
    assert_eq!(status, StatusCode::OK, "the agency's status change failed: {body}");
    assert_eq!(body["status"], "resolved");

    pomoshnik::revoke_api_key(store, "madi-system").await.expect("revoking failed");
    let (status, _) = madi.get_json(&path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked key still works");
}
