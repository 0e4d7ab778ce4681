//! Госуслуги (ESIA): what differs from plain OpenID Connect.
//!
//! The service accepts only confirmed ESIA accounts, whose owner proved who they are in person
//! or with a qualified signature. A simplified or standard account proves only an e-mail or
//! phone number.
//!
//! A provider with a `[gost]` table speaks ESIA's own protocol:
//! - The `client_secret` of the authorization and token requests is a detached CMS signature
//!   (GOST R 34.10-2012, Streebog-256) of `scope + timestamp + client_id + state`, made with the
//!   client's key and certificate and encoded base64url. `timestamp` is Moscow time,
//!   `yyyy.MM.dd HH:mm:ss +0300`, and both requests send it. `state` is a UUID, and the token
//!   request signs a new one.
//! - ESIA signs its tokens with GOST R 34.10-2012 (`alg` `GOST3410_2012_256`). The ID token is
//!   checked with the public key of the configured ESIA certificate, then `iss`, `aud`, `exp`,
//!   `nbf`, `iat` and `nonce` as on the OpenID Connect path. Its `sub` is the person's ESIA oid.
//! - The access token must also carry ESIA's GOST signature and the same oid in
//!   `urn:esia:sbj_id`. The trust flag comes from ESIA's REST API,
//!   `GET {rest_url}/rs/prns/{oid}` with the access token as bearer, field `trusted`.
//!
//! The GOST cryptography is in the `pomoshnik-gost` crate. Without a `[gost]` table the provider
//! is an OpenID Connect gateway in front of ESIA that exposes `trusted` in userinfo.
//!
//! NOTE: this is ESIA's CMS-based protocol (endpoints `/aas/oauth2/ac` and `/aas/oauth2/te`).
//! ESIA's newer endpoints (`/aas/oauth2/v2/ac`, `/aas/oauth2/v3/te`) take a raw GOST signature
//! and a `client_certificate_hash` instead, which this adapter does not send. It was tested
//! against the stand-in of `crates/pomoshnik/tests/esia.rs`, not against ESIA's test
//! environment, which cannot be reached from the development machines.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, FixedOffset, Utc};
use pomoshnik_gost::{Certificate, PrivateKey, PublicKey, cms, jwt};
use rand::RngCore;
use serde::Deserialize;

use super::{CLOCK_LEEWAY_SECONDS, ConfigError, IdClaims, MAX_ID_TOKEN_AGE_SECONDS, Provider, RequestSecrets, SignInError, TokenResponse, constant_time_eq};

/// `[providers.CODE.gost]`: the files and the REST API of ESIA's GOST protocol.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GostSettings {
    /// The client's certificate registered with ESIA, PEM or DER.
    pub client_certificate: PathBuf,
    /// The client's private key: unencrypted PKCS#8 (PEM or DER) with a GOST R 34.10-2012
    /// 256-bit key, or a file of exactly 32 bytes, the key little-endian.
    pub client_key: PathBuf,
    /// ESIA's certificate, whose key signs ESIA's tokens, PEM or DER.
    pub esia_certificate: PathBuf,
    /// Base URL of ESIA's REST API, such as `https://esia.gosuslugi.ru`.
    pub rest_url: String,
}

/// The keys of the GOST protocol, read once at start.
pub struct GostKeys {
    client_key: PrivateKey,
    client_certificate: Certificate,
    esia_key: PublicKey,
    rest_url: String,
}

fn read_file(provider: &str, setting: &'static str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|error| gost_file_error(provider, setting, path, error))
}

fn gost_file_error(provider: &str, setting: &'static str, path: &Path, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::GostFile { provider: provider.to_owned(), setting, path: path.display().to_string(), reason: reason.to_string() }
}

impl GostKeys {
    /// Reads and checks the files of `settings`. The private key must belong to the client certificate.
    pub fn load(provider: &str, settings: &GostSettings) -> Result<GostKeys, ConfigError> {
        let certificate_bytes = read_file(provider, "client_certificate", &settings.client_certificate)?;
        let client_certificate =
            Certificate::from_pem_or_der(&certificate_bytes).map_err(|error| gost_file_error(provider, "client_certificate", &settings.client_certificate, error))?;
        let key_bytes = read_file(provider, "client_key", &settings.client_key)?;
        let client_key =
            pomoshnik_gost::read_private_key(&key_bytes, &client_certificate).map_err(|error| gost_file_error(provider, "client_key", &settings.client_key, error))?;
        let esia_bytes = read_file(provider, "esia_certificate", &settings.esia_certificate)?;
        let esia_certificate =
            Certificate::from_pem_or_der(&esia_bytes).map_err(|error| gost_file_error(provider, "esia_certificate", &settings.esia_certificate, error))?;
        Ok(GostKeys { client_key, client_certificate, esia_key: esia_certificate.public_key, rest_url: settings.rest_url.trim_end_matches('/').to_owned() })
    }

    /// Computes the `client_secret` of one request.
    pub fn client_secret(&self, scope: &str, timestamp: &str, client_id: &str, state: &str) -> String {
        let signed = format!("{scope}{timestamp}{client_id}{state}");
        // NOTE: ESIA's guidelines call the encoding "base64 url safe" without saying whether the
        // padding stays; this sends it without padding.
        URL_SAFE_NO_PAD.encode(cms::sign_detached(signed.as_bytes(), &self.client_key, &self.client_certificate, Utc::now()))
    }
}

/// Formats `time` as ESIA's `timestamp`: Moscow time (UTC+3 all year since 2014), `yyyy.MM.dd HH:mm:ss +0300`.
pub fn timestamp(time: DateTime<Utc>) -> String {
    let moscow = FixedOffset::east_opt(3 * 3600).expect("UTC+3 is a valid offset");
    time.with_timezone(&moscow).format("%Y.%m.%d %H:%M:%S %z").to_string()
}

/// Generates a random version 4 UUID (RFC 9562), the form ESIA requires for `state`.
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Builds the URL of ESIA's authorization endpoint with a signed `client_secret`.
pub(super) fn authorization_url(provider: &Provider, keys: &GostKeys, endpoint: &str, redirect_uri: &str, secrets: &RequestSecrets) -> Result<String, SignInError> {
    let settings = &provider.settings;
    let scope = settings.scopes.join(" ");
    let timestamp = timestamp(Utc::now());
    let client_secret = keys.client_secret(&scope, &timestamp, &settings.client_id, &secrets.state);
    let mut url = reqwest::Url::parse(endpoint).map_err(|error| SignInError::InvalidResponse(format!("authorization endpoint is not a URL: {error}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", &settings.client_id)
        .append_pair("client_secret", &client_secret)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &scope)
        .append_pair("response_type", "code")
        .append_pair("state", &secrets.state)
        .append_pair("timestamp", &timestamp)
        .append_pair("access_type", "online")
        .append_pair("nonce", &secrets.nonce);
    Ok(url.into())
}

/// Response of ESIA's token endpoint; other fields are ignored.
#[derive(Deserialize)]
struct EsiaTokenResponse {
    access_token: String,
    id_token: String,
    state: Option<String>,
}

/// Exchanges the authorization code at ESIA's token endpoint, signing a new state.
pub(super) async fn exchange_code(provider: &Provider, keys: &GostKeys, http: &reqwest::Client, endpoint: &str, code: &str, redirect_uri: &str) -> Result<TokenResponse, SignInError> {
    let settings = &provider.settings;
    let scope = settings.scopes.join(" ");
    let timestamp = timestamp(Utc::now());
    let state = random_uuid();
    let client_secret = keys.client_secret(&scope, &timestamp, &settings.client_id, &state);

    let form = [
        ("client_id", settings.client_id.as_str()),
        ("code", code),
        ("grant_type", "authorization_code"),
        ("client_secret", &client_secret),
        ("state", &state),
        ("redirect_uri", redirect_uri),
        ("scope", &scope),
        ("timestamp", &timestamp),
        ("token_type", "Bearer"),
    ];
    let response = http.post(endpoint).form(&form).send().await.map_err(|error| SignInError::Http(format!("token request: {error}")))?;
    let status = response.status();
    if !status.is_success() {
        // The body of an error response is an OAuth error code, never a token.
        let body = response.text().await.unwrap_or_default();
        let error_code = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|value| value["error"].as_str().map(str::to_owned));
        return Err(SignInError::InvalidResponse(format!("token endpoint returned {status}, error {error_code:?}")));
    }

    // The decoding error is left out because it may quote a token from the body.
    let tokens: EsiaTokenResponse = response.json().await.map_err(|_| SignInError::InvalidResponse("the token response is not the expected JSON".to_owned()))?;
    if tokens.state.as_deref().is_some_and(|returned| returned != state) {
        return Err(SignInError::InvalidResponse("the token response names another state".to_owned()));
    }
    Ok(TokenResponse { access_token: tokens.access_token, id_token: tokens.id_token })
}

#[derive(Deserialize)]
struct EsiaIdClaims {
    iss: String,
    aud: serde_json::Value,
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
    nonce: Option<String>,
    sub: Option<serde_json::Value>,
}

/// Checks the GOST signature of ESIA's ID token and its claims against this client and
/// sign-in, and returns the person's oid as the subject.
pub(super) fn verify_id_token(provider: &Provider, keys: &GostKeys, id_token: &str, expected_nonce: &str) -> Result<IdClaims, SignInError> {
    let claims_bytes = jwt::verify(id_token, &keys.esia_key).map_err(|error| SignInError::InvalidIdToken(error.to_string()))?;
    let claims: EsiaIdClaims = serde_json::from_slice(&claims_bytes).map_err(|error| SignInError::InvalidIdToken(format!("claims: {error}")))?;
    let settings = &provider.settings;

    if claims.iss != settings.issuer {
        return Err(SignInError::InvalidIdToken("iss is not the configured issuer".to_owned()));
    }
    let audience_matches = match &claims.aud {
        serde_json::Value::String(audience) => *audience == settings.client_id,
        serde_json::Value::Array(audiences) => audiences.iter().any(|audience| audience.as_str() == Some(settings.client_id.as_str())),
        _ => false,
    };
    if !audience_matches {
        return Err(SignInError::InvalidIdToken("aud does not name this client".to_owned()));
    }

    let now = Utc::now().timestamp();
    let leeway = CLOCK_LEEWAY_SECONDS as i64;
    if claims.exp < now - leeway {
        return Err(SignInError::InvalidIdToken(format!("expired {} s ago", now - claims.exp)));
    }
    if claims.nbf.is_some_and(|nbf| nbf > now + leeway) {
        return Err(SignInError::InvalidIdToken("nbf is in the future".to_owned()));
    }
    if claims.iat.is_some_and(|iat| iat > now + leeway || iat < now - MAX_ID_TOKEN_AGE_SECONDS) {
        return Err(SignInError::InvalidIdToken("iat is too far from now".to_owned()));
    }
    let nonce_matches = claims.nonce.as_deref().is_some_and(|nonce| constant_time_eq(nonce.as_bytes(), expected_nonce.as_bytes()));
    if !nonce_matches {
        return Err(SignInError::NonceMismatch);
    }

    // ESIA writes the oid as a JSON number or string; the REST path needs it as digits.
    let oid = match claims.sub {
        Some(serde_json::Value::Number(number)) => number.to_string(),
        Some(serde_json::Value::String(text)) => text,
        _ => return Err(SignInError::InvalidIdToken("sub is missing".to_owned())),
    };
    if oid.is_empty() || !oid.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(SignInError::InvalidIdToken("sub is not an ESIA oid".to_owned()));
    }
    Ok(IdClaims { subject: oid, verified_email: None })
}

/// Checks that ESIA signed the access token and issued it for the person `oid`, so that the
/// trust flag read with it belongs to the person of the ID token.
fn verify_access_token(keys: &GostKeys, access_token: &str, oid: &str) -> Result<(), SignInError> {
    let claims_bytes = jwt::verify(access_token, &keys.esia_key).map_err(|error| SignInError::InvalidIdToken(format!("access token: {error}")))?;
    let claims: serde_json::Value = serde_json::from_slice(&claims_bytes).map_err(|_| SignInError::InvalidIdToken("the access token's claims are not JSON".to_owned()))?;
    let subject = match claims.get("urn:esia:sbj_id") {
        Some(serde_json::Value::Number(number)) => number.to_string(),
        Some(serde_json::Value::String(text)) => text.clone(),
        _ => return Err(SignInError::InvalidIdToken("the access token has no urn:esia:sbj_id".to_owned())),
    };
    if subject != oid {
        return Err(SignInError::InvalidIdToken("the access token belongs to another person".to_owned()));
    }
    Ok(())
}

/// Rejects the sign-in unless the access token is ESIA's for the person `oid` and ESIA's REST
/// API marks that person as confirmed (`"trusted": true`).
pub async fn require_trusted_person(keys: &GostKeys, http: &reqwest::Client, tokens: &TokenResponse, oid: &str) -> Result<(), SignInError> {
    verify_access_token(keys, &tokens.access_token, oid)?;

    let url = format!("{}/rs/prns/{oid}", keys.rest_url);
    let response = http.get(&url).bearer_auth(&tokens.access_token).send().await.map_err(|error| SignInError::Http(format!("person request: {error}")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(SignInError::InvalidResponse(format!("the person endpoint returned {status}")));
    }
    // The decoding error is left out because it may quote personal data from the body.
    let person: serde_json::Value = response.json().await.map_err(|_| SignInError::InvalidResponse("the person response is not JSON".to_owned()))?;
    match person.get("trusted").and_then(|value| value.as_bool()) {
        Some(true) => Ok(()),
        _ => Err(SignInError::EsiaNotConfirmed),
    }
}

/// Rejects the sign-in unless the userinfo of this access token belongs to `subject` and marks
/// the account as confirmed (`"trusted": true`). This is the check of an OpenID Connect gateway
/// in front of ESIA.
pub async fn require_confirmed_account(provider: &Provider, http: &reqwest::Client, tokens: &TokenResponse, subject: &str) -> Result<(), SignInError> {
    let userinfo = provider.userinfo(http, &tokens.access_token).await?;
    // OpenID Connect Core 1.0, section 5.3.2: userinfo of another subject must not be used.
    if userinfo.get("sub").and_then(|value| value.as_str()) != Some(subject) {
        return Err(SignInError::InvalidResponse("userinfo belongs to another subject".to_owned()));
    }
    match userinfo.get("trusted").and_then(|value| value.as_bool()) {
        Some(true) => Ok(()),
        _ => Err(SignInError::EsiaNotConfirmed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_in_moscow_time() {
        let time = DateTime::from_timestamp(1_796_385_600, 0).expect("valid time");
        assert_eq!(time.to_rfc3339(), "2026-12-04T12:00:00+00:00");
        assert_eq!(timestamp(time), "2026.12.04 15:00:00 +0300");
    }

    #[test]
    fn random_uuid_is_version_4() {
        let uuid = random_uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'4', "version nibble: {uuid}");
        assert!(matches!(uuid.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "variant bits: {uuid}");
        assert_ne!(random_uuid(), uuid);
    }
}
