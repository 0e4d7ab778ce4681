//! Sign-in through Госуслуги (ESIA) with its GOST protocol, against the stand-in of
//! `tests/esia_stand_in` on 127.0.0.1: signed `client_secret`, GOST-signed tokens and the trust
//! flag of ESIA's REST API. The scenarios with accounts run on SQLite and on PostgreSQL.

mod common;
mod esia_stand_in;

use chrono::{Duration, Utc};
use common::*;
use esia_stand_in::{CLIENT_ID, CONFIRMED_OID, Defect, EsiaStandIn, UNCONFIRMED_OID};
use pomoshnik_gost::{CRYPTO_PRO_A, Certificate, PrivateKey};
use pomoshnik_test_support::{DatabaseKind, on_both_backends};
use reqwest::{Client, Response, StatusCode, Url};

on_both_backends!(with_esia => confirmed_account_reaches_cabinet);
on_both_backends!(with_esia => unconfirmed_account_rejected);
on_both_backends!(with_esia => foreign_token_signature_rejected);
on_both_backends!(with_esia => wrong_nonce_rejected);
on_both_backends!(with_esia => foreign_access_token_rejected);

fn client_identity() -> (PrivateKey, Certificate) {
    let key = PrivateKey::generate(&CRYPTO_PRO_A);
    let now = Utc::now();
    let certificate = Certificate::self_signed(&key, "Pomoshnik ESIA client", 11, now - Duration::days(1), now + Duration::days(365));
    (key, certificate)
}

/// Starts the stand-in with a registered client certificate and the service configured with
/// that client's key, and runs `scenario`.
async fn with_esia(kind: DatabaseKind, scenario: impl AsyncFnOnce(&TestService, &EsiaStandIn)) {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let (client_key, client_certificate) = client_identity();
    let stand_in = EsiaStandIn::start(client_certificate.clone()).await;
    let config = stand_in.provider_config(directory.path(), &client_key, &client_certificate);
    let service = TestService::start_with_providers(kind, |_| vec![config]).await;
    scenario(&service, &stand_in).await;
    service.stop().await;
}

fn location(response: &Response) -> String {
    let value = response.headers().get("location").unwrap_or_else(|| panic!("a {} response has no Location header", response.status()));
    value.to_str().expect("Location is ASCII").to_owned()
}

fn has_session_cookie(response: &Response) -> bool {
    response.headers().get_all("set-cookie").iter().filter_map(|value| value.to_str().ok()).any(|header| header.starts_with("pomoshnik_session=") && !header.starts_with("pomoshnik_session=;"))
}

/// Starts a sign-in in `browser`, follows the redirect to the stand-in, and returns the
/// authorization URL and the stand-in's response to it.
async fn authorize(service: &TestService, browser: &Client) -> (Url, Response) {
    let start = browser.get(service.url("/auth/esia/login")).send().await.expect("GET /auth/esia/login failed");
    assert_eq!(start.status(), StatusCode::SEE_OTHER, "/auth/esia/login did not redirect to ESIA");
    let authorization = Url::parse(&location(&start)).expect("the redirect goes to an absolute URL");
    let response = browser.get(authorization.clone()).send().await.expect("GET of the authorization URL failed");
    (authorization, response)
}

/// Signs in through the stand-in and returns the response of the service's callback.
async fn sign_in(service: &TestService, browser: &Client) -> Response {
    let (_, response) = authorize(service, browser).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the stand-in rejected the authorization request: {}", response.text().await.unwrap_or_default());
    let callback = location(&response);
    assert!(callback.starts_with(&service.url("/auth/esia/callback")), "the stand-in redirected elsewhere: {callback}");
    browser.get(callback).send().await.expect("GET of the callback failed")
}

async fn linked_user_id(service: &TestService, subject: &str) -> Option<i64> {
    let user = service.state.store.user_by_identity("esia", subject).await.expect("identity lookup failed");
    user.map(|user| user.id)
}

// Scenarios.

async fn confirmed_account_reaches_cabinet(service: &TestService, stand_in: &EsiaStandIn) {
    let browser = service.browser();
    let (authorization, response) = authorize(service, &browser).await;
    let parameter = |name: &str| authorization.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned());
    assert_eq!(parameter("client_id").as_deref(), Some(CLIENT_ID));
    assert!(parameter("timestamp").is_some_and(|timestamp| timestamp.ends_with(" +0300")), "no Moscow timestamp: {authorization}");
    assert!(parameter("client_secret").is_some_and(|secret| secret.len() > 500), "no CMS client_secret: {authorization}");
    assert!(parameter("state").is_some_and(|state| uuid::Uuid::parse_str(&state).is_ok()), "the state is not a UUID: {authorization}");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the stand-in rejected the authorization request");

    let callback = location(&response);
    let finished = browser.get(callback).send().await.expect("GET of the callback failed");
    assert_eq!(finished.status(), StatusCode::SEE_OTHER, "the sign-in failed; stand-in rejections: {:?}", stand_in.rejections());
    assert_eq!(location(&finished), "/my/reports");
    assert!(has_session_cookie(&finished), "the sign-in opened no session");
    assert!(stand_in.rejections().is_empty(), "the stand-in rejected a request: {:?}", stand_in.rejections());

    let (status, page) = get_page(service, &browser, "/my/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Мои обращения"), "the cabinet page lacks its heading: {page}");
    assert!(linked_user_id(service, CONFIRMED_OID).await.is_some(), "no account is linked to the ESIA oid");
}

async fn unconfirmed_account_rejected(service: &TestService, stand_in: &EsiaStandIn) {
    stand_in.sign_in_as(UNCONFIRMED_OID);
    let response = sign_in(service, &service.browser()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "an unconfirmed ESIA account was accepted");
    assert!(!has_session_cookie(&response), "a session was opened");
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("Подтвердите учётную запись на Госуслугах"), "the page does not tell how to confirm the account: {page}");
    assert_eq!(linked_user_id(service, UNCONFIRMED_OID).await, None, "an account was created");
}

async fn foreign_token_signature_rejected(service: &TestService, stand_in: &EsiaStandIn) {
    stand_in.set_defect(Defect::ForeignSignature);
    let response = sign_in(service, &service.browser()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "an ID token with a foreign signature was accepted");
    assert!(!has_session_cookie(&response), "a session was opened");
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("не прошёл проверку"), "the page does not explain the rejection: {page}");
    assert_eq!(linked_user_id(service, CONFIRMED_OID).await, None, "an account was created");

    // The same stand-in without the defect is accepted, so the rejection came from the signature.
    stand_in.set_defect(Defect::None);
    let response = sign_in(service, &service.browser()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the sign-in without the defect failed");
}

async fn wrong_nonce_rejected(service: &TestService, stand_in: &EsiaStandIn) {
    stand_in.set_defect(Defect::WrongNonce);
    let response = sign_in(service, &service.browser()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "an ID token with another nonce was accepted");
    assert!(!has_session_cookie(&response), "a session was opened");
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("не прошёл проверку"), "the page does not explain the rejection: {page}");
    assert_eq!(linked_user_id(service, CONFIRMED_OID).await, None, "an account was created");
}

async fn foreign_access_token_rejected(service: &TestService, stand_in: &EsiaStandIn) {
    stand_in.set_defect(Defect::ForeignAccessToken);
    let response = sign_in(service, &service.browser()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "an access token with a foreign signature was accepted");
    assert!(!has_session_cookie(&response), "a session was opened");
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("не прошёл проверку"), "the page does not explain the rejection: {page}");
    assert_eq!(linked_user_id(service, CONFIRMED_OID).await, None, "an account was created");
}

/// A service whose certificate ESIA does not know is stopped at the authorization endpoint.
#[tokio::test]
async fn unregistered_certificate_rejected() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let (_, registered_certificate) = client_identity();
    let (other_key, other_certificate) = client_identity();
    let stand_in = EsiaStandIn::start(registered_certificate).await;
    let config = stand_in.provider_config(directory.path(), &other_key, &other_certificate);
    let service = TestService::start_with_providers(DatabaseKind::Sqlite, |_| vec![config]).await;

    let (_, response) = authorize(&service, &service.browser()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "the stand-in accepted a client_secret of an unregistered certificate");
    let rejections = stand_in.rejections();
    assert_eq!(rejections.len(), 1, "{rejections:?}");
    assert!(rejections[0].contains("client_secret"), "{rejections:?}");
    service.stop().await;
}

/// The stand-in's token endpoint checks the signed string and its timestamp, so the sign-ins
/// above prove that the service signs both correctly.
#[tokio::test]
async fn stand_in_checks_timestamp() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let (client_key, client_certificate) = client_identity();
    let stand_in = EsiaStandIn::start(client_certificate.clone()).await;
    let config = stand_in.provider_config(directory.path(), &client_key, &client_certificate);
    let keys = pomoshnik_web::oidc::Providers::new(vec![config]).expect("the configuration is valid");
    let gost = keys.get("esia").and_then(|provider| provider.gost()).expect("the provider has GOST keys");
    let http = Client::new();
    let token_url = format!("{}/aas/oauth2/te", stand_in.base_url);
    let state = pomoshnik_web::oidc::esia::random_uuid();

    let stale = pomoshnik_web::oidc::esia::timestamp(Utc::now() - Duration::minutes(30));
    let cases = [
        ("stale timestamp", stale.clone(), gost.client_secret("openid", &stale, CLIENT_ID, &state), "too far from now"),
        ("timestamp in UTC", Utc::now().format("%Y.%m.%d %H:%M:%S +0000").to_string(), String::new(), "not Moscow time"),
        ("signature of another timestamp", pomoshnik_web::oidc::esia::timestamp(Utc::now()), gost.client_secret("openid", &stale, CLIENT_ID, &state), "message digest"),
    ];
    for (case, timestamp, client_secret, expected) in cases {
        let form = [("client_id", CLIENT_ID), ("code", "unknown"), ("grant_type", "authorization_code"), ("client_secret", &client_secret), ("state", &state), ("redirect_uri", "http://127.0.0.1/"), ("scope", "openid"), ("timestamp", &timestamp), ("token_type", "Bearer")];
        let response = http.post(&token_url).form(&form).send().await.expect("POST to the token endpoint failed");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}: accepted");
        let rejections = stand_in.rejections();
        let last = rejections.last().expect("a rejection was recorded");
        assert!(last.contains(expected), "{case}: rejected for another reason: {last}");
    }

    let without_timestamp = [("client_id", CLIENT_ID), ("code", "unknown"), ("client_secret", "x"), ("state", &state), ("scope", "openid")];
    let response = http.post(&token_url).form(&without_timestamp).send().await.expect("POST to the token endpoint failed");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a request without timestamp was accepted");
    assert!(stand_in.rejections().last().is_some_and(|reason| reason.contains("missing")));
}

/// A key file that cannot be read stops the start with an error naming the setting and file.
#[tokio::test]
async fn bad_key_file_stops_start() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let (client_key, client_certificate) = client_identity();
    let stand_in = EsiaStandIn::start(client_certificate.clone()).await;
    let mut config = stand_in.provider_config(directory.path(), &client_key, &client_certificate);
    let gost = config.settings.gost.as_mut().expect("the stand-in's provider has a gost table");
    std::fs::write(&gost.client_key, b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n").expect("write the key file");
    let key_path = gost.client_key.display().to_string();

    let error = pomoshnik_web::oidc::Providers::new(vec![config.clone()]).err().expect("an unreadable key was accepted").to_string();
    assert!(error.contains("client_key"), "the error does not name the setting: {error}");
    assert!(error.contains(&key_path), "the error does not name the file: {error}");
    assert!(error.contains("PRIVATE KEY"), "the error does not say what is wrong: {error}");

    let gost = config.settings.gost.as_mut().expect("gost table");
    gost.client_key = directory.path().join("missing.key");
    let error = pomoshnik_web::oidc::Providers::new(vec![config]).err().expect("a missing key file was accepted").to_string();
    assert!(error.contains("missing.key"), "the error does not name the file: {error}");
}
