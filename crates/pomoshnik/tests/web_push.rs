//! Web Push: a resident's browser subscribes from the notification settings, and a change of
//! their report goes through the outbox to the worker. A push service on loopback receives the
//! message, and the test checks its VAPID signature and decrypts it with the browser's keys.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use pomoshnik::push::PushConfig;
use pomoshnik::worker::{DeliveryWorker, WorkerConfig};
use pomoshnik_core::role::Role;
use pomoshnik_test_support::DatabaseKind;
use pomoshnik_web::push::PushMessage;
use reqwest::StatusCode;
use serde_json::json;
use web_push_native::jwt_simple::prelude::*;
use web_push_native::p256::SecretKey;
use web_push_native::p256::elliptic_curve::rand_core::OsRng;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
use web_push_native::{Auth, decrypt};

/// A request the push service received.
struct Received {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Requests received so far. The path `gone` gets 410 Gone, any other 201 Created.
#[derive(Clone, Default)]
struct PushService {
    received: Arc<Mutex<Vec<Received>>>,
}

async fn receive(State(service): State<PushService>, Path(path): Path<String>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    service.received.lock().unwrap().push(Received { path: path.clone(), headers, body: body.to_vec() });
    if path == "gone" { AxumStatus::GONE } else { AxumStatus::CREATED }
}

/// Starts the push service on loopback and returns its base URL.
async fn start_push_service(service: PushService) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("cannot bind the push service");
    let address = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/push/{path}", post(receive)).with_state(service);
    tokio::spawn(async move { axum::serve(listener, router).await.expect("push service failed") });
    format!("http://{address}")
}

/// A browser's key pair and authentication secret, and the subscription JSON it would send.
struct Browser {
    secret: SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Browser {
        Browser { secret: SecretKey::random(&mut OsRng), auth: *b"sixteen byte key" }
    }

    fn subscription(&self, endpoint: &str, token: &str) -> serde_json::Value {
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "csrf_token": token,
            "endpoint": endpoint,
            "keys": { "p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()), "auth": URL_SAFE_NO_PAD.encode(self.auth) },
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_change_reaches_browser() {
    let push_service = PushService::default();
    let push_base = start_push_service(push_service.clone()).await;
    let key_pair = ES256KeyPair::generate();
    let key_pair = Arc::new(key_pair);
    let mut config = PushConfig { key_pair: key_pair.clone(), contact: "mailto:ops@example.org".to_owned(), endpoint_hosts: vec!["127.0.0.1".to_owned()], public_url: String::new() };
    let service = TestService::start_with_push(DatabaseKind::Sqlite, config.settings()).await;
    config.public_url = service.url("");
    let store = service.state.store.clone();
    pomoshnik::configure_delivery(store.as_ref(), None, true, false).await.expect("configuring delivery failed");

    service.add_user("push@example.org", Role::Resident, None).await;
    let browser = service.browser();
    sign_in_with_form(&service, &browser, "push@example.org", "/notifications").await;
    let (status, page) = get_page(&service, &browser, "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!(r#"data-key="{}""#, config.settings().public_key)), "the settings lack the VAPID key");
    let token = input_value(&page, "csrf_token");

    let chrome = Browser::new();
    let endpoint = format!("{push_base}/push/abc");
    let subscribe = |body: serde_json::Value| browser.post(service.url("/push/subscriptions")).json(&body).send();
    let forged = subscribe(chrome.subscription(&endpoint, "wrong")).await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "a subscription without the form token was saved");
    let elsewhere = subscribe(chrome.subscription("https://push.example.net/abc", &token)).await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);
    let (_, problem) = json_of(elsewhere).await;
    assert!(problem["error"]["message"].as_str().unwrap().contains("Служба уведомлений этого браузера не поддерживается"), "{problem}");
    let saved = subscribe(chrome.subscription(&endpoint, &token)).await.unwrap();
    assert_eq!(saved.status(), StatusCode::NO_CONTENT);
    // A second browser whose subscription has ended at the push service.
    let old = Browser::new();
    let gone_endpoint = format!("{push_base}/push/gone");
    assert_eq!(subscribe(old.subscription(&gone_endpoint, &token)).await.unwrap().status(), StatusCode::NO_CONTENT);

    let api = service.sign_in("push@example.org").await;
    let (status, filed) = api.file_report(&litter_report(55.76400, 37.60600), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["number"].as_str().unwrap();

    let worker = DeliveryWorker::push(store.clone(), config.clone(), WorkerConfig::default()).expect("worker not built");
    let claimed = worker.run_once(chrono::Utc::now()).await.expect("worker round failed");
    assert_eq!(claimed, 1, "one notification, the registration, was due");
    assert_eq!(worker.run_once(chrono::Utc::now()).await.expect("worker round failed"), 0, "the delivery was sent again");

    let received = std::mem::take(&mut *push_service.received.lock().unwrap());
    assert_eq!(received.iter().filter(|request| request.path == "abc").count(), 1);
    let message = received.iter().find(|request| request.path == "abc").unwrap();
    assert_eq!(message.headers["content-encoding"], "aes128gcm");
    assert!(message.headers.contains_key("ttl"));

    // VAPID (RFC 8292): `vapid t=JWT, k=KEY`, signed by the installation's key for the push
    // service's origin.
    let authorization = message.headers["authorization"].to_str().unwrap();
    let (jwt, key) = authorization.strip_prefix("vapid t=").and_then(|rest| rest.split_once(", k=")).expect("not a VAPID authorization");
    assert_eq!(key, config.settings().public_key);
    let options = VerificationOptions { allowed_audiences: Some(HashSet::from_strings(&[push_base.as_str()])), ..VerificationOptions::default() };
    let claims = key_pair.public_key().verify_token::<NoCustomClaims>(jwt, Some(options)).expect("the VAPID signature or audience is wrong");
    assert_eq!(claims.subject.as_deref(), Some("mailto:ops@example.org"));
    let stranger = ES256KeyPair::generate();
    assert!(stranger.public_key().verify_token::<NoCustomClaims>(jwt, None).is_err(), "any key verifies the token");

    let plain = decrypt(message.body.clone(), &chrome.secret, Auth::from_slice(&chrome.auth)).expect("the browser cannot decrypt the message");
    let notification: PushMessage = serde_json::from_slice(&plain).expect("the message is not JSON");
    assert!(notification.title.contains(number), "{notification:?}");
    assert!(notification.title.ends_with(": Принято"), "{notification:?}");
    assert_eq!(notification.body, "Неубранный мусор или снег", "the body names the category");
    assert_eq!(notification.url, service.url(&format!("/reports/{number}")));
    assert!(decrypt(message.body.clone(), &old.secret, Auth::from_slice(&old.auth)).is_err(), "another browser's keys decrypt the message");

    // The push service returned 410 Gone for the old browser, so its subscription is deleted.
    assert_eq!(received.iter().filter(|request| request.path == "gone").count(), 1);
    let user = store.user_by_email("push@example.org").await.unwrap().unwrap().0;
    let left: Vec<String> = store.push_subscriptions(user.id).await.unwrap().into_iter().map(|subscription| subscription.endpoint).collect();
    assert_eq!(left, vec![endpoint.clone()]);

    // With the push channel set to «Не показывать», a change reaches no browser.
    let off = browser.post(service.url("/notifications/settings")).form(&[("csrf_token", token.as_str()), ("channel", "push"), ("mode", "off")]).send().await.unwrap();
    assert_eq!(off.headers()["location"], "/notifications?saved=push");
    let (_, settings) = get_page(&service, &browser, "/notifications?saved=push").await;
    assert!(settings.contains("Настройки уведомлений в браузере сохранены"));
    assert!(settings.contains(r#"value="off" checked"#), "the saved push mode is not shown");
    let moderator = service.user("push-moderator@example.org", Role::Moderator, None).await;
    let (status, body) = moderator.transition(number, json!({ "to": "under_review", "comment": "Проверяем" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(worker.run_once(chrono::Utc::now()).await.expect("worker round failed"), 0, "a push went out with the channel off");
    assert!(push_service.received.lock().unwrap().is_empty());

    // Turning notifications off in the browser deletes the subscription, for its owner only.
    let other = service.browser();
    service.add_user("other@example.org", Role::Resident, None).await;
    sign_in_with_form(&service, &other, "other@example.org", "/notifications").await;
    let (_, other_page) = get_page(&service, &other, "/notifications").await;
    let other_token = input_value(&other_page, "csrf_token");
    let foreign = other.post(service.url("/push/subscriptions/delete")).json(&json!({ "csrf_token": other_token, "endpoint": endpoint })).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND, "another resident removed the subscription");
    let own = browser.post(service.url("/push/subscriptions/delete")).json(&json!({ "csrf_token": token, "endpoint": endpoint })).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::NO_CONTENT);
    assert!(store.push_subscriptions(user.id).await.unwrap().is_empty());
    service.stop().await;
}

#[tokio::test]
async fn push_routes_absent_when_off() {
    let service = TestService::start(DatabaseKind::Sqlite).await;
    service.add_user("nopush@example.org", Role::Resident, None).await;
    let browser = service.browser();
    sign_in_with_form(&service, &browser, "nopush@example.org", "/notifications").await;
    let (_, page) = get_page(&service, &browser, "/notifications").await;
    assert!(!page.contains("push-settings"), "the settings offer Web Push without a VAPID key");
    let token = input_value(&page, "csrf_token");
    let body = Browser::new().subscription("http://127.0.0.1:9/push/abc", &token);
    let response = browser.post(service.url("/push/subscriptions")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    service.stop().await;
}
