//! A stand-in for ESIA (Госуслуги) on 127.0.0.1 that speaks its GOST protocol. The
//! authorization endpoint redirects back with a code. The token endpoint checks the
//! `client_secret` CMS signature against the registered client certificate and returns
//! GOST-signed tokens. `/rs/prns/{oid}` returns the person's trust flag.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use pomoshnik_gost::{Certificate, PrivateKey, TC26_256_A, cms, jwt};
use pomoshnik_web::oidc::esia::GostSettings;
use pomoshnik_web::oidc::{ProviderConfig, ProviderKind, ProviderSettings};
use serde::Deserialize;

/// Client id of the service at the stand-in.
pub const CLIENT_ID: &str = "POMOSHNIK";
/// Largest difference between a request's `timestamp` and the stand-in's clock.
const TIMESTAMP_TOLERANCE: Duration = Duration::minutes(5);

/// The oids of the stand-in's people: one with a confirmed account, one without.
pub const CONFIRMED_OID: &str = "1000299353";
pub const UNCONFIRMED_OID: &str = "1000299354";

/// A deliberate defect of the ID token the stand-in issues next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    None,
    /// Signed with a key other than that of the ESIA certificate.
    ForeignSignature,
    /// Carries a nonce other than the one of the authorization request.
    WrongNonce,
    /// An access token signed with a key other than that of the ESIA certificate.
    ForeignAccessToken,
}

struct Grant {
    oid: String,
    nonce: String,
    redirect_uri: String,
}

struct Inner {
    client_certificate: Certificate,
    esia_key: PrivateKey,
    issuer: String,
    sign_in_as: String,
    defect: Defect,
    grants: HashMap<String, Grant>,
    access_tokens: HashMap<String, String>,
    /// Why the token endpoint rejected requests, for tests to read.
    rejections: Vec<String>,
}

/// The running stand-in; the server task ends with the test's runtime.
pub struct EsiaStandIn {
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
    esia_certificate: Certificate,
}

impl EsiaStandIn {
    /// Starts the stand-in, which accepts `client_certificate` as the registered client.
    pub async fn start(client_certificate: Certificate) -> EsiaStandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("failed to bind a loopback port");
        let base_url = format!("http://{}", listener.local_addr().expect("the listener has an address"));
        let esia_key = PrivateKey::generate(&TC26_256_A);
        let now = Utc::now();
        let esia_certificate = Certificate::self_signed(&esia_key, "ESIA stand-in", 1, now - Duration::days(1), now + Duration::days(30));
        let inner = Arc::new(Mutex::new(Inner {
            client_certificate,
            esia_key,
            issuer: format!("{base_url}/"),
            sign_in_as: CONFIRMED_OID.to_owned(),
            defect: Defect::None,
            grants: HashMap::new(),
            access_tokens: HashMap::new(),
            rejections: Vec::new(),
        }));
        let router = Router::new()
            .route("/aas/oauth2/ac", get(authorize))
            .route("/aas/oauth2/te", post(token))
            .route("/rs/prns/{oid}", get(person))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.expect("the ESIA stand-in failed") });
        EsiaStandIn { base_url, inner, esia_certificate }
    }

    /// Makes the next sign-ins those of the person `oid`.
    pub fn sign_in_as(&self, oid: &str) {
        self.inner.lock().expect("stand-in lock").sign_in_as = oid.to_owned();
    }

    pub fn set_defect(&self, defect: Defect) {
        self.inner.lock().expect("stand-in lock").defect = defect;
    }

    pub fn rejections(&self) -> Vec<String> {
        self.inner.lock().expect("stand-in lock").rejections.clone()
    }

    /// Writes the stand-in's certificate, and the client's key and certificate, to `directory`
    /// and returns the provider settings of the service.
    pub fn provider_config(&self, directory: &Path, client_key: &PrivateKey, client_certificate: &Certificate) -> ProviderConfig {
        let write = |name: &str, contents: Vec<u8>| {
            let path = directory.join(name);
            std::fs::write(&path, contents).unwrap_or_else(|error| panic!("failed to write {}: {error}", path.display()));
            path
        };
        let gost = GostSettings {
            client_certificate: write("client.pem", client_certificate.to_pem().into_bytes()),
            client_key: write("client.key", client_key.to_le_bytes().to_vec()),
            esia_certificate: write("esia.pem", self.esia_certificate.to_pem().into_bytes()),
            rest_url: self.base_url.clone(),
        };
        ProviderConfig {
            code: "esia".to_owned(),
            settings: ProviderSettings {
                kind: ProviderKind::Esia,
                display_name: "Госуслуги".to_owned(),
                issuer: format!("{}/", self.base_url),
                client_id: CLIENT_ID.to_owned(),
                client_secret: String::new(),
                scopes: vec!["openid".to_owned(), "fullname".to_owned()],
                authorization_endpoint: Some(format!("{}/aas/oauth2/ac", self.base_url)),
                token_endpoint: Some(format!("{}/aas/oauth2/te", self.base_url)),
                jwks_uri: None,
                userinfo_endpoint: None,
                gost: Some(gost),
            },
        }
    }
}

/// Returns the reason why `client_secret` is not a valid signature of the other parameters by
/// the registered client, or None when it is.
fn client_secret_problem(client_certificate: &Certificate, parameters: &HashMap<String, String>) -> Option<String> {
    let value = |name: &str| parameters.get(name).map(String::as_str);
    let (Some(secret), Some(scope), Some(timestamp), Some(client_id), Some(state)) =
        (value("client_secret"), value("scope"), value("timestamp"), value("client_id"), value("state"))
    else {
        return Some("a parameter of the signed string is missing".to_owned());
    };
    if client_id != CLIENT_ID {
        return Some(format!("unknown client_id {client_id}"));
    }
    let Ok(time) = DateTime::parse_from_str(timestamp, "%Y.%m.%d %H:%M:%S %z") else {
        return Some(format!("timestamp {timestamp:?} is not yyyy.MM.dd HH:mm:ss +0300"));
    };
    if !timestamp.ends_with(" +0300") {
        return Some(format!("timestamp {timestamp:?} is not Moscow time"));
    }
    if (Utc::now() - time.with_timezone(&Utc)).abs() > TIMESTAMP_TOLERANCE {
        return Some(format!("timestamp {timestamp:?} is too far from now"));
    }
    let Ok(cms_bytes) = URL_SAFE_NO_PAD.decode(secret.trim_end_matches('=')) else {
        return Some("client_secret is not base64url".to_owned());
    };
    let signed = format!("{scope}{timestamp}{client_id}{state}");
    match cms::verify_detached(&cms_bytes, signed.as_bytes(), client_certificate) {
        Ok(_) => None,
        Err(error) => Some(format!("client_secret: {error}")),
    }
}

async fn authorize(State(inner): State<Arc<Mutex<Inner>>>, Query(parameters): Query<HashMap<String, String>>) -> Response {
    let mut inner = inner.lock().expect("stand-in lock");
    if let Some(problem) = client_secret_problem(&inner.client_certificate, &parameters) {
        inner.rejections.push(format!("authorization: {problem}"));
        return (StatusCode::BAD_REQUEST, problem).into_response();
    }
    if parameters.get("response_type").map(String::as_str) != Some("code") {
        return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
    }
    let (Some(redirect_uri), Some(state)) = (parameters.get("redirect_uri"), parameters.get("state")) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri and state are required").into_response();
    };
    let code = pomoshnik_web::oidc::esia::random_uuid();
    let grant = Grant { oid: inner.sign_in_as.clone(), nonce: parameters.get("nonce").cloned().unwrap_or_default(), redirect_uri: redirect_uri.clone() };
    inner.grants.insert(code.clone(), grant);
    let mut target = reqwest::Url::parse(redirect_uri).expect("the service sends a URL");
    target.query_pairs_mut().append_pair("code", &code).append_pair("state", state);
    Redirect::to(target.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(flatten)]
    parameters: HashMap<String, String>,
}

async fn token(State(inner): State<Arc<Mutex<Inner>>>, Form(form): Form<TokenForm>) -> Response {
    let parameters = form.parameters;
    let mut inner = inner.lock().expect("stand-in lock");
    let reject = |inner: &mut Inner, problem: String| {
        inner.rejections.push(format!("token: {problem}"));
        (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": "invalid_request", "error_description": problem }))).into_response()
    };
    if let Some(problem) = client_secret_problem(&inner.client_certificate, &parameters) {
        return reject(&mut inner, problem);
    }
    if parameters.get("grant_type").map(String::as_str) != Some("authorization_code") || parameters.get("token_type").map(String::as_str) != Some("Bearer") {
        return reject(&mut inner, "grant_type or token_type is wrong".to_owned());
    }
    let Some(grant) = parameters.get("code").and_then(|code| inner.grants.remove(code)) else {
        return reject(&mut inner, "unknown or used code".to_owned());
    };
    if parameters.get("redirect_uri") != Some(&grant.redirect_uri) {
        return reject(&mut inner, "redirect_uri differs from the authorization request".to_owned());
    }

    let now = Utc::now().timestamp();
    let oid_number = grant.oid.parse::<u64>().expect("oids are numbers");
    let nonce = if inner.defect == Defect::WrongNonce { "another-nonce".to_owned() } else { grant.nonce };
    let header = r#"{"alg":"GOST3410_2012_256","typ":"JWT","sbt":"id","ver":1}"#;
    let claims = serde_json::json!({
        "iss": inner.issuer, "aud": CLIENT_ID, "sub": oid_number,
        "nbf": now - 1, "iat": now, "exp": now + 3600, "nonce": nonce, "amr": "PWD",
    });
    let signing_key = if inner.defect == Defect::ForeignSignature { PrivateKey::generate(&TC26_256_A) } else { inner.esia_key.clone() };
    let id_token = jwt::sign(header, &claims.to_string(), &signing_key);
    let access_claims = serde_json::json!({
        "iss": inner.issuer, "client_id": CLIENT_ID, "urn:esia:sbj_id": oid_number,
        "nbf": now - 1, "iat": now, "exp": now + 3600, "scope": parameters.get("scope"),
    });
    let access_key = if inner.defect == Defect::ForeignAccessToken { PrivateKey::generate(&TC26_256_A) } else { inner.esia_key.clone() };
    let access_token = jwt::sign(r#"{"alg":"GOST3410_2012_256","typ":"JWT","sbt":"access","ver":1}"#, &access_claims.to_string(), &access_key);
    inner.access_tokens.insert(access_token.clone(), grant.oid);
    Json(serde_json::json!({
        "access_token": access_token, "id_token": id_token, "state": parameters.get("state"),
        "token_type": "Bearer", "expires_in": 3600,
    }))
    .into_response()
}

async fn person(State(inner): State<Arc<Mutex<Inner>>>, UrlPath(oid): UrlPath<String>, headers: HeaderMap) -> Response {
    let inner = inner.lock().expect("stand-in lock");
    let token = headers.get("authorization").and_then(|value| value.to_str().ok()).and_then(|value| value.strip_prefix("Bearer "));
    if token.and_then(|token| inner.access_tokens.get(token)) != Some(&oid) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(serde_json::json!({ "trusted": oid == CONFIRMED_OID, "status": "REGISTERED", "citizenship": "RUS" })).into_response()
}
