//! Owner lookups in the vehicle registry end to end. A resident files a parking report while the
//! stand-in registry (the one `pomoshnik registry-stand-in` serves) is down: the report is
//! accepted and the lookup waits in its queue. Once the stand-in is up, the worker completes the
//! lookup, and only executors of the report's agency see the owner. The worker is driven one
//! round at a time with a chosen clock, so retries need no waiting.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::*;
use pomoshnik::registry::{HttpRegistry, RegistryConfig, RegistryToken, RegistryWorker, serve_stand_in, stand_in_owners};
use pomoshnik::worker::WorkerConfig;
use pomoshnik_core::role::Role;
use pomoshnik_store::{OutboxState, OwnerLookup};
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;

on_both_backends!(with_service => registry_down_then_up, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => plate_unknown_to_registry, flavor = "multi_thread", worker_threads = 2);

const TOKEN: &str = "registry-test-token";
/// The owner of `А123ВС77` in the stand-in's list.
const OWNER: &str = "Иванов Пётр Сергеевич";

/// A stand-in registry on a loopback port, stopped when dropped.
struct StandIn {
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl StandIn {
    async fn start(address: SocketAddr) -> StandIn {
        let listener = TcpListener::bind(address).await.expect("failed to bind the stand-in's port");
        let server = tokio::spawn(serve_stand_in(listener, RegistryToken::new(TOKEN), stand_in_owners(), std::future::pending()));
        StandIn { server }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("failed to find a free port")
}

fn worker(service: &TestService, address: SocketAddr) -> RegistryWorker {
    let config = RegistryConfig { base_url: format!("http://{address}"), token: RegistryToken::new(TOKEN), timeout: Duration::from_secs(5), retries: 0 };
    let registry = HttpRegistry::new(config).expect("the registry configuration is valid");
    RegistryWorker::new(service.state.store.clone(), Arc::new(registry), WorkerConfig::default())
}

/// Files a parking report with `plate` as `author_email` and returns its number.
async fn file_with_plate(service: &TestService, author_email: &str, plate: &str) -> String {
    let resident = service.resident(author_email).await;
    let mut report = parking_report();
    report["fields"]["plate"] = plate.into();
    let (status, body) = resident.file_report(&report, &[Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    body["number"].as_str().expect("the answer has a number").to_owned()
}

/// Has a moderator dispatch the report to madi.
async fn dispatch(service: &TestService, moderator_email: &str, number: &str) {
    let moderator = service.user(moderator_email, Role::Moderator, None).await;
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(number, json!({ "to": to, "comment": "Передано в МАДИ" })).await;
        assert_eq!(status, StatusCode::OK, "{to} of {number}: {body}");
    }
}

async fn lookup(service: &TestService, number: &str) -> OwnerLookup {
    let number = number.parse().expect("a valid report number");
    let report = service.state.store.report(&number).await.expect("report lookup failed").expect("the report exists");
    service.state.store.owner_lookup(report.id).await.expect("reading the lookup failed").expect("the report has an owner lookup")
}

/// Returns the report card as `email` sees it.
async fn card(service: &TestService, email: &str, number: &str) -> String {
    let browser = service.browser();
    let path = format!("/reports/{number}");
    sign_in_with_form(service, &browser, email, &path).await;
    let (status, page) = get_page(service, &browser, &path).await;
    assert_eq!(status, StatusCode::OK, "{email} cannot open the card");
    page
}

/// Returns the body of an anonymous GET as text, after checking that it succeeded.
async fn public_text(service: &TestService, path: &str) -> String {
    let response = reqwest::get(service.url(path)).await.expect("request failed");
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().await.expect("the body is text")
}

async fn registry_down_then_up(service: &TestService) {
    let address = free_address();
    let worker = worker(service, address);

    // The registry is down: filing still succeeds and the lookup waits.
    let number = file_with_plate(service, "registry-author@example.org", "А123ВС77").await;
    let queued = lookup(service, &number).await;
    assert_eq!(queued.state, OutboxState::Pending);
    assert_eq!(queued.plate, "А123ВС77");
    assert_eq!(queued.attempts, 0);

    let now = Utc::now();
    assert_eq!(worker.run_once(now).await.expect("registry round failed"), 1);
    let failed = lookup(service, &number).await;
    assert_eq!(failed.state, OutboxState::Pending, "a lookup the registry did not answer is retried");
    assert_eq!(failed.attempts, 1);
    assert!(failed.last_error.as_deref().is_some_and(|error| error.contains("unavailable")), "{:?}", failed.last_error);
    assert_eq!(failed.owner, None);

    // Up again: the retry waits for its backoff, then completes the lookup.
    let _stand_in = StandIn::start(address).await;
    assert_eq!(worker.run_once(now + chrono::Duration::seconds(30)).await.expect("registry round failed"), 0, "retried before the backoff ended");
    assert_eq!(worker.run_once(now + chrono::Duration::seconds(61)).await.expect("registry round failed"), 1);
    let done = lookup(service, &number).await;
    assert_eq!(done.state, OutboxState::Sent);
    let owner = done.owner.expect("the stand-in knows the plate");
    assert_eq!(owner.name, OWNER);
    assert_eq!(owner.vehicle.as_deref(), Some("Лада Веста"));
    assert_eq!(worker.run_once(now + chrono::Duration::hours(7)).await.expect("registry round failed"), 0, "a completed lookup was claimed again");

    dispatch(service, "registry-moderator@example.org", &number).await;
    let path = format!("/api/v1/reports/{number}");

    // The executor of madi sees the owner in the API and on the card.
    let executor = service.user("registry-madi@example.org", Role::Executor, Some("madi")).await;
    let (status, body) = executor.get_json(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["vehicle_owner"]["status"], "found");
    assert_eq!(body["vehicle_owner"]["name"], OWNER);
    assert_eq!(body["vehicle_owner"]["vehicle"], "Лада Веста");
    let executor_card = card(service, "registry-madi@example.org", &number).await;
    assert!(executor_card.contains("id=\"vehicle-owner\""), "the executor's card has no owner section");
    assert!(executor_card.contains(OWNER), "the executor's card does not name the owner");

    // The author, a moderator and an administrator do not.
    let author = service.sign_in("registry-author@example.org").await;
    let moderator = service.sign_in("registry-moderator@example.org").await;
    let admin = service.user("registry-admin@example.org", Role::Admin, None).await;
    for (who, client) in [("author", &author), ("moderator", &moderator), ("admin", &admin)] {
        let (status, body) = client.get_json(&path).await;
        assert_eq!(status, StatusCode::OK, "{who} cannot read the report");
        assert!(body.get("vehicle_owner").is_none(), "the {who} sees the owner: {body}");
        assert!(!body.to_string().contains(OWNER), "the {who}'s view names the owner");
    }
    for email in ["registry-author@example.org", "registry-moderator@example.org", "registry-admin@example.org"] {
        let page = card(service, email, &number).await;
        assert!(!page.contains(OWNER), "{email} sees the owner on the card");
        assert!(!page.contains("id=\"vehicle-owner\""), "{email} sees the owner section");
    }

    // Another agency's executor cannot open the report at all.
    let oati = service.user("registry-oati@example.org", Role::Executor, Some("oati")).await;
    let (status, body) = oati.get_json(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another agency's executor read the report: {body}");

    // Public outputs never carry the owner.
    for path in ["/api/v1/public/reports?bbox=37.5,55.7,37.7,55.8&zoom=12", "/api/v1/open-data/reports", "/open311/v2/requests.json", "/open311/v2/requests.xml"] {
        let text = public_text(service, path).await;
        assert!(!text.contains(OWNER) && !text.contains("Лада Веста"), "{path} contains the owner");
    }
    let open311 = public_text(service, &format!("/open311/v2/requests/{number}.json")).await;
    assert!(!open311.contains(OWNER), "the Open311 request names the owner");
}

async fn plate_unknown_to_registry(service: &TestService) {
    let address = free_address();
    let _stand_in = StandIn::start(address).await;
    let worker = worker(service, address);

    let number = file_with_plate(service, "registry-unknown@example.org", "В777ОР77").await;
    assert_eq!(worker.run_once(Utc::now()).await.expect("registry round failed"), 1);
    let done = lookup(service, &number).await;
    assert_eq!(done.state, OutboxState::Sent, "an unknown plate is an answer, not a failure");
    assert_eq!(done.owner, None);
    assert_eq!(done.last_error, None);

    dispatch(service, "registry-unknown-moderator@example.org", &number).await;
    let executor = service.user("registry-unknown-madi@example.org", Role::Executor, Some("madi")).await;
    let (status, body) = executor.get_json(&format!("/api/v1/reports/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["vehicle_owner"], json!({ "status": "unknown" }));
    let page = card(service, "registry-unknown-madi@example.org", &number).await;
    assert!(page.contains("data-status=\"unknown\""), "the card does not show the unknown plate");
    assert!(page.contains("Реестр транспортных средств не знает этот номер."));

    // A report without a plate gets no lookup and no owner section.
    let resident = service.sign_in("registry-unknown@example.org").await;
    let (status, body) = resident.file_report(&litter_report(55.7640, 37.6060), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let litter: Value = body;
    let litter_number = litter["number"].as_str().expect("the answer has a number").parse().expect("a valid number");
    let report = service.state.store.report(&litter_number).await.expect("report lookup failed").expect("the report exists");
    assert_eq!(service.state.store.owner_lookup(report.id).await.expect("reading the lookup failed"), None);
}
