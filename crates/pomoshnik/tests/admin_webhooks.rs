//! The administrators' page of webhook deliveries whose attempts ran out: a dispatch to a
//! destination that is down fails for good, the page lists it, and its button queues it again.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use pomoshnik::webhook::{WebhookSecret, WebhookTarget, WebhookWorker, configure_webhooks};
use pomoshnik::worker::WorkerConfig;
use pomoshnik_core::role::Role;
use pomoshnik_store::OutboxState;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(with_service => failed_webhook_queued_again, flavor = "multi_thread", worker_threads = 2);

async fn failed_webhook_queued_again(service: &TestService) {
    // A port with nothing listening: the destination is down.
    let address = std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("failed to find a free port");
    let target = WebhookTarget {
        name: "madi-main".to_owned(),
        agency: "madi".to_owned(),
        url: format!("http://{address}/hook"),
        secret: WebhookSecret::new("secret"),
        timeout: Duration::from_secs(5),
    };
    let store = service.state.store.clone();
    configure_webhooks(store.as_ref(), std::slice::from_ref(&target)).await.expect("configuring webhooks failed");
    let worker = WebhookWorker::new(store.clone(), vec![target], WorkerConfig { max_attempts: 1, ..WorkerConfig::default() }).expect("valid worker");

    let resident = service.resident("admin-webhooks-author@example.org").await;
    let moderator = service.user("admin-webhooks-moderator@example.org", Role::Moderator, None).await;
    let (status, body) = resident.file_report(&parking_report(), &[Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let number = body["number"].as_str().expect("the response has a number").to_owned();
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(&number, json!({ "to": to, "comment": "Передано в МАДИ" })).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }
    assert_eq!(worker.run_once(Utc::now()).await.expect("webhook round failed"), 1);
    let failed = store.failed_webhook_deliveries(10).await.expect("listing failed deliveries failed");
    assert_eq!(failed.len(), 1, "the only attempt failed, so the delivery failed for good");
    assert_eq!(failed[0].report_number.to_string(), number);

    service.add_user("admin-webhooks-admin@example.org", Role::Admin, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, "admin-webhooks-admin@example.org", "/admin/webhooks").await;
    let (status, page) = get_page(service, &browser, "/admin/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("data-webhook-delivery=\"{}\"", failed[0].id)), "the failed delivery is not listed");
    assert!(page.contains(&format!("/reports/{number}")), "the row does not link the report");
    assert!(page.contains("1 вебхук не доставлен"), "the count is missing");
    assert!(page.contains("request failed"), "the last error is missing");

    let csrf_token = input_value(&page, "csrf_token");
    let id = failed[0].id.to_string();
    let response = browser
        .post(service.url("/admin/webhooks/retry"))
        .form(&[("csrf_token", csrf_token.as_str()), ("id", id.as_str())])
        .send()
        .await
        .expect("POST failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(store.failed_webhook_deliveries(10).await.expect("listing failed deliveries failed").is_empty(), "the delivery is still failed");
    let report = store.report(&number.parse().expect("a valid number")).await.expect("report lookup failed").expect("the report exists");
    let statuses = store.report_webhook_status(report.id).await.expect("reading the dispatch failed");
    assert_eq!(statuses[0].state, OutboxState::Pending, "the delivery is not queued again");
    assert_eq!(statuses[0].attempts, 0, "the attempts were not reset");
    let (status, page) = get_page(service, &browser, "/admin/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Все вебхуки доставлены или ещё в очереди."));
}
