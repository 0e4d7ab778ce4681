//! Sign-in through external OpenID Connect providers (Госуслуги, mos.ru, Сбер ID): the
//! authorization code flow with PKCE (S256), `state` and `nonce`, and ID tokens checked against
//! the provider's JWKS and the claims `iss`, `aud`, `exp`, `iat` and `nonce`. ESIA with a
//! `[gost]` table uses its own protocol instead, see [`esia`].
//!
//! The service sends HTTP requests only to the configured issuer's discovery document and the
//! endpoints it names, or to the endpoints set in the configuration file. It never follows
//! redirects, so neither a token nor a browser can point it at another address.

pub mod esia;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

/// Time allowed for one request to a provider.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Clock difference tolerated between the service and a provider for `exp` and `iat`.
const CLOCK_LEEWAY_SECONDS: u64 = 60;

/// Largest accepted `iat` age: an ID token is issued at the token request, seconds before the
/// check, so an older one was replayed or the provider's clock is wrong.
const MAX_ID_TOKEN_AGE_SECONDS: i64 = 10 * 60;

/// Signature algorithms accepted for ID tokens. Symmetric (HS*) and `none` are excluded: a
/// JWKS never serves HMAC secrets, and an unsigned token proves nothing.
const ASYMMETRIC_ALGORITHMS: [Algorithm; 8] =
    [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512, Algorithm::ES256, Algorithm::ES384];

/// Kind of a provider, which selects the checks after the ID token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Plain OpenID Connect, such as mos.ru or Сбер ID.
    #[default]
    Oidc,
    /// Госуслуги: accepted only for confirmed accounts, see [`esia`].
    Esia,
}

/// One provider of the configuration file (`[providers.CODE]`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    #[serde(default)]
    pub kind: ProviderKind,
    /// Name on the sign-in button, such as «Госуслуги».
    pub display_name: String,
    /// Issuer identifier; the ID token's `iss` must equal it. Without explicit endpoints the
    /// service reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The OAuth client secret. Empty with [`gost`](Self::gost), whose client secret is a
    /// signature made for each request.
    #[serde(default)]
    pub client_secret: String,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub userinfo_endpoint: Option<String>,
    /// `[providers.CODE.gost]`: speak ESIA's own protocol with GOST signatures instead of plain
    /// OpenID Connect; only with `kind = "esia"`.
    pub gost: Option<esia::GostSettings>,
}

impl std::fmt::Debug for ProviderSettings {
    /// Writes every field but the client secret, so that logging the settings leaks no secret.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ProviderSettings")
            .field("kind", &self.kind)
            .field("display_name", &self.display_name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .field("authorization_endpoint", &self.authorization_endpoint)
            .field("token_endpoint", &self.token_endpoint)
            .field("jwks_uri", &self.jwks_uri)
            .field("userinfo_endpoint", &self.userinfo_endpoint)
            .field("gost", &self.gost)
            .finish()
    }
}

fn default_scopes() -> Vec<String> {
    vec!["openid".to_owned()]
}

/// A configured provider with its code, the `CODE` of `[providers.CODE]`.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub code: String,
    pub settings: ProviderSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid provider code {0:?}: use 1 to 32 lowercase Latin letters, digits and dashes")]
    InvalidCode(String),
    #[error("provider {provider}: {field} {value:?} is not an http:// or https:// URL")]
    InvalidUrl { provider: String, field: &'static str, value: String },
    #[error("provider {0}: scopes must include \"openid\"")]
    MissingOpenidScope(String),
    #[error("provider {0}: set all of authorization_endpoint, token_endpoint and jwks_uri, or none of them to use discovery")]
    PartialEndpoints(String),
    #[error("provider {0}: display_name, client_id and client_secret must not be empty")]
    EmptyField(String),
    #[error("provider {0}: a [gost] table needs kind = \"esia\", authorization_endpoint, token_endpoint and rest_url, and no jwks_uri")]
    InvalidGost(String),
    #[error("provider {provider}: cannot use {setting} {path}: {reason}")]
    GostFile { provider: String, setting: &'static str, path: String, reason: String },
}

impl ProviderConfig {
    /// Checks the settings that can be checked without contacting the provider.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let code = &self.code;
        let valid_code = !code.is_empty() && code.len() <= 32 && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_code {
            return Err(ConfigError::InvalidCode(code.clone()));
        }
        let settings = &self.settings;
        let secret_missing = settings.client_secret.is_empty() && settings.gost.is_none();
        if settings.display_name.trim().is_empty() || settings.client_id.is_empty() || secret_missing {
            return Err(ConfigError::EmptyField(code.clone()));
        }
        if !settings.scopes.iter().any(|scope| scope == "openid") {
            return Err(ConfigError::MissingOpenidScope(code.clone()));
        }

        let urls = [
            ("issuer", Some(&settings.issuer)),
            ("authorization_endpoint", settings.authorization_endpoint.as_ref()),
            ("token_endpoint", settings.token_endpoint.as_ref()),
            ("jwks_uri", settings.jwks_uri.as_ref()),
            ("userinfo_endpoint", settings.userinfo_endpoint.as_ref()),
            ("rest_url", settings.gost.as_ref().map(|gost| &gost.rest_url)),
        ];
        for (field, value) in urls {
            if let Some(value) = value {
                let parsed = reqwest::Url::parse(value).ok();
                if !parsed.is_some_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some()) {
                    return Err(ConfigError::InvalidUrl { provider: code.clone(), field, value: value.clone() });
                }
            }
        }

        if settings.gost.is_some() {
            // ESIA has no discovery document and no JWKS: its tokens are checked with the
            // configured ESIA certificate.
            let complete = settings.kind == ProviderKind::Esia
                && settings.authorization_endpoint.is_some()
                && settings.token_endpoint.is_some()
                && settings.jwks_uri.is_none();
            return if complete { Ok(()) } else { Err(ConfigError::InvalidGost(code.clone())) };
        }
        let explicit = [&settings.authorization_endpoint, &settings.token_endpoint, &settings.jwks_uri];
        let set = explicit.iter().filter(|endpoint| endpoint.is_some()).count();
        if set != 0 && set != explicit.len() {
            return Err(ConfigError::PartialEndpoints(code.clone()));
        }
        Ok(())
    }
}

/// Failure of a sign-in through a provider. Each variant maps to a Russian message by its
/// [`code`](SignInError::code); the log line carries [`Display`](std::fmt::Display), which never
/// contains personal data or tokens.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("no provider with this code is configured")]
    UnknownProvider,
    #[error("the state parameter does not match the sign-in started in this browser")]
    StateMismatch,
    #[error("no unexpired pending sign-in has this state")]
    PendingNotFound,
    #[error("the provider returned error {0:?}")]
    ProviderRefused(String),
    #[error("the callback has no code parameter")]
    MissingCode,
    #[error("request to the provider failed: {0}")]
    Http(String),
    #[error("the provider's response is invalid: {0}")]
    InvalidResponse(String),
    #[error("the ID token is invalid: {0}")]
    InvalidIdToken(String),
    #[error("the ID token's nonce does not match the sign-in")]
    NonceMismatch,
    #[error("the callback's iss parameter names another issuer")]
    IssuerMismatch,
    #[error("the ESIA account is not confirmed")]
    EsiaNotConfirmed,
    #[error("the provider's verified e-mail belongs to a local account")]
    EmailOfLocalAccount,
    #[error("the provider's account is linked to another user")]
    IdentityLinkedElsewhere,
    #[error("the user has another account of this provider linked")]
    ProviderAlreadyLinked,
    #[error("the linked account is disabled")]
    AccountDisabled,
    #[error("linking was started by another user than the one signed in")]
    LinkUserMismatch,
    #[error("storage failed: {0}")]
    Store(#[from] pomoshnik_store::StoreError),
}

impl SignInError {
    /// Error code, also the suffix of the Fluent message `error-<code>`.
    pub fn code(&self) -> &'static str {
        match self {
            SignInError::UnknownProvider => "not_found",
            SignInError::StateMismatch | SignInError::PendingNotFound | SignInError::LinkUserMismatch => "sign_in_expired",
            SignInError::ProviderRefused(_) | SignInError::MissingCode => "sign_in_cancelled",
            SignInError::Http(_) | SignInError::InvalidResponse(_) => "provider_unavailable",
            SignInError::InvalidIdToken(_) | SignInError::NonceMismatch | SignInError::IssuerMismatch => "provider_response_invalid",
            SignInError::EsiaNotConfirmed => "esia_not_confirmed",
            SignInError::EmailOfLocalAccount => "provider_email_taken",
            SignInError::IdentityLinkedElsewhere => "identity_linked_elsewhere",
            SignInError::ProviderAlreadyLinked => "provider_already_linked",
            SignInError::AccountDisabled => "account_disabled",
            SignInError::Store(_) => "internal",
        }
    }

    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            SignInError::UnknownProvider => StatusCode::NOT_FOUND,
            SignInError::Http(_) | SignInError::InvalidResponse(_) => StatusCode::BAD_GATEWAY,
            SignInError::EsiaNotConfirmed | SignInError::AccountDisabled => StatusCode::FORBIDDEN,
            SignInError::EmailOfLocalAccount | SignInError::IdentityLinkedElsewhere | SignInError::ProviderAlreadyLinked => StatusCode::CONFLICT,
            SignInError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The endpoints of a provider, from discovery or the configuration file.
#[derive(Debug, Clone, Deserialize)]
struct Endpoints {
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    userinfo_endpoint: Option<String>,
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    #[serde(flatten)]
    endpoints: Endpoints,
}

/// Response of the token endpoint; other fields are ignored.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub id_token: String,
}

/// The checked claims of an ID token that the service uses.
#[derive(Debug, Clone)]
pub struct IdClaims {
    pub subject: String,
    /// The e-mail claim, present only when the provider marked it verified.
    pub verified_email: Option<String>,
}

#[derive(Deserialize)]
struct RawIdClaims {
    sub: String,
    iat: i64,
    nonce: Option<String>,
    aud: serde_json::Value,
    azp: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
}

/// A configured provider and what the service learned from it.
pub struct Provider {
    pub code: String,
    pub settings: ProviderSettings,
    /// The keys of ESIA's GOST protocol, read at start from the files of `settings.gost`.
    gost: Option<esia::GostKeys>,
    endpoints: RwLock<Option<Endpoints>>,
    keys: RwLock<Option<JwkSet>>,
}

/// The configured providers, in the order of the configuration file, and the HTTP client
/// that talks to them.
pub struct Providers {
    providers: Vec<Arc<Provider>>,
    http: reqwest::Client,
}

impl Providers {
    pub fn new(configs: Vec<ProviderConfig>) -> Result<Providers, ConfigError> {
        for config in &configs {
            config.validate()?;
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .user_agent(concat!("pomoshnik/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client settings are valid");
        let mut providers = Vec::with_capacity(configs.len());
        for config in configs {
            let gost = match &config.settings.gost {
                Some(settings) => Some(esia::GostKeys::load(&config.code, settings)?),
                None => None,
            };
            let endpoints = explicit_endpoints(&config.settings);
            providers.push(Arc::new(Provider { code: config.code, settings: config.settings, gost, endpoints: RwLock::new(endpoints), keys: RwLock::new(None) }));
        }
        Ok(Providers { providers, http })
    }

    pub fn none() -> Providers {
        Providers::new(Vec::new()).expect("an empty list is valid")
    }

    pub fn get(&self, code: &str) -> Option<&Arc<Provider>> {
        self.providers.iter().find(|provider| provider.code == code)
    }

    pub fn all(&self) -> &[Arc<Provider>] {
        &self.providers
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

fn explicit_endpoints(settings: &ProviderSettings) -> Option<Endpoints> {
    // The GOST protocol has no JWKS, so its empty URI is never requested.
    let jwks_uri = if settings.gost.is_some() { Some(String::new()) } else { settings.jwks_uri.clone() };
    Some(Endpoints {
        authorization_endpoint: settings.authorization_endpoint.clone()?,
        token_endpoint: settings.token_endpoint.clone()?,
        jwks_uri: jwks_uri?,
        userinfo_endpoint: settings.userinfo_endpoint.clone(),
    })
}

/// Secrets of one sign-in request: sent to the provider (`state`, `nonce`, the PKCE challenge)
/// or kept by the service until the callback (the PKCE verifier).
pub struct RequestSecrets {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl RequestSecrets {
    pub fn generate() -> RequestSecrets {
        RequestSecrets { state: random_url_safe(32), nonce: random_url_safe(32), pkce_verifier: random_url_safe(32) }
    }

    /// Generates the secrets for a sign-in through `provider`. ESIA's GOST protocol requires
    /// the state to be a UUID.
    pub fn generate_for(provider: &Provider) -> RequestSecrets {
        let mut secrets = RequestSecrets::generate();
        if provider.gost.is_some() {
            secrets.state = esia::random_uuid();
        }
        secrets
    }

    /// Returns the S256 code challenge of the verifier (RFC 7636, section 4.2).
    pub fn pkce_challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.pkce_verifier.as_bytes()))
    }
}

fn random_url_safe(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

impl Provider {
    /// Builds the URL of the provider's authorization endpoint for a new sign-in.
    pub async fn authorization_url(&self, http: &reqwest::Client, redirect_uri: &str, secrets: &RequestSecrets) -> Result<String, SignInError> {
        let endpoints = self.endpoints(http).await?;
        if let Some(gost) = &self.gost {
            return esia::authorization_url(self, gost, &endpoints.authorization_endpoint, redirect_uri, secrets);
        }
        let mut url = reqwest::Url::parse(&endpoints.authorization_endpoint)
            .map_err(|error| SignInError::InvalidResponse(format!("authorization endpoint is not a URL: {error}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &self.settings.scopes.join(" "))
            .append_pair("state", &secrets.state)
            .append_pair("nonce", &secrets.nonce)
            .append_pair("code_challenge", &secrets.pkce_challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Exchanges the authorization code at the token endpoint, authenticating with
    /// `client_secret_basic`.
    pub async fn exchange_code(&self, http: &reqwest::Client, code: &str, pkce_verifier: &str, redirect_uri: &str) -> Result<TokenResponse, SignInError> {
        let endpoints = self.endpoints(http).await?;
        if let Some(gost) = &self.gost {
            return esia::exchange_code(self, gost, http, &endpoints.token_endpoint, code, redirect_uri).await;
        }
        // RFC 6749, section 2.3.1: the client id and secret are form-encoded before Basic.
        let client_id = form_encode(&self.settings.client_id);
        let client_secret = form_encode(&self.settings.client_secret);
        let response = http
            .post(&endpoints.token_endpoint)
            .basic_auth(client_id, Some(client_secret))
            .form(&[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri), ("code_verifier", pkce_verifier)])
            .send()
            .await
            .map_err(|error| SignInError::Http(format!("token request: {error}")))?;
        let status = response.status();
        if !status.is_success() {
            // The body of an error response is an OAuth error code, never a token.
            let body = response.text().await.unwrap_or_default();
            let error_code = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|value| value["error"].as_str().map(str::to_owned));
            return Err(SignInError::InvalidResponse(format!("token endpoint returned {status}, error {error_code:?}")));
        }
        // The decoding error is left out because it may quote a token from the body.
        response.json().await.map_err(|_| SignInError::InvalidResponse("the token response is not the expected JSON".to_owned()))
    }

    /// Checks the ID token's signature against the provider's JWKS and its claims against
    /// this client and sign-in, and returns the claims the service uses.
    pub async fn verify_id_token(&self, http: &reqwest::Client, id_token: &str, expected_nonce: &str) -> Result<IdClaims, SignInError> {
        if let Some(gost) = &self.gost {
            return esia::verify_id_token(self, gost, id_token, expected_nonce);
        }
        let header = jsonwebtoken::decode_header(id_token).map_err(|error| SignInError::InvalidIdToken(format!("header: {error}")))?;
        if !ASYMMETRIC_ALGORITHMS.contains(&header.alg) {
            return Err(SignInError::InvalidIdToken(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = self.decoding_key(http, header.kid.as_deref()).await?;

        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.client_id]);
        validation.leeway = CLOCK_LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.required_spec_claims = HashSet::from(["exp", "iat", "iss", "aud", "sub"].map(str::to_owned));
        let claims = jsonwebtoken::decode::<RawIdClaims>(id_token, &key, &validation)
            .map_err(|error| SignInError::InvalidIdToken(error.to_string()))?
            .claims;

        let now = chrono::Utc::now().timestamp();
        let leeway = CLOCK_LEEWAY_SECONDS as i64;
        if claims.iat > now + leeway || claims.iat < now - MAX_ID_TOKEN_AGE_SECONDS {
            return Err(SignInError::InvalidIdToken(format!("iat is {} s from now", claims.iat - now)));
        }
        // OpenID Connect Core 1.0, section 3.1.3.7: with several audiences, azp names this client.
        let audiences = claims.aud.as_array().map_or(1, Vec::len);
        if audiences > 1 && claims.azp.as_deref() != Some(self.settings.client_id.as_str()) {
            return Err(SignInError::InvalidIdToken("several audiences and azp is not this client".to_owned()));
        }
        let nonce_matches = claims.nonce.as_deref().is_some_and(|nonce| constant_time_eq(nonce.as_bytes(), expected_nonce.as_bytes()));
        if !nonce_matches {
            return Err(SignInError::NonceMismatch);
        }
        if claims.sub.is_empty() {
            return Err(SignInError::InvalidIdToken("sub is empty".to_owned()));
        }

        let verified_email = match (claims.email, claims.email_verified) {
            (Some(email), Some(true)) => Some(email),
            _ => None,
        };
        Ok(IdClaims { subject: claims.sub, verified_email })
    }

    /// Fetches the userinfo endpoint's claims with the access token.
    pub async fn userinfo(&self, http: &reqwest::Client, access_token: &str) -> Result<serde_json::Map<String, serde_json::Value>, SignInError> {
        let endpoints = self.endpoints(http).await?;
        let Some(url) = endpoints.userinfo_endpoint else {
            return Err(SignInError::InvalidResponse("the provider has no userinfo endpoint".to_owned()));
        };
        let response = http.get(&url).bearer_auth(access_token).send().await.map_err(|error| SignInError::Http(format!("userinfo request: {error}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(SignInError::InvalidResponse(format!("userinfo endpoint returned {status}")));
        }
        // The decoding error is left out because it may quote personal data from the body.
        response.json().await.map_err(|_| SignInError::InvalidResponse("the userinfo response is not a JSON object".to_owned()))
    }

    /// Returns the keys of ESIA's GOST protocol, if this provider speaks it.
    pub fn gost(&self) -> Option<&esia::GostKeys> {
        self.gost.as_ref()
    }

    /// Returns whether the provider has a userinfo endpoint.
    pub async fn has_userinfo(&self, http: &reqwest::Client) -> bool {
        self.endpoints(http).await.is_ok_and(|endpoints| endpoints.userinfo_endpoint.is_some())
    }

    async fn endpoints(&self, http: &reqwest::Client) -> Result<Endpoints, SignInError> {
        if let Some(endpoints) = self.endpoints.read().await.as_ref() {
            return Ok(endpoints.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.settings.issuer.trim_end_matches('/'));
        let document: DiscoveryDocument = fetch_json(http, &url, "discovery").await?;
        if document.issuer != self.settings.issuer {
            return Err(SignInError::InvalidResponse("the discovery document names another issuer".to_owned()));
        }
        let mut endpoints = document.endpoints;
        if let Some(userinfo) = &self.settings.userinfo_endpoint {
            endpoints.userinfo_endpoint = Some(userinfo.clone());
        }
        *self.endpoints.write().await = Some(endpoints.clone());
        tracing::info!(provider = %self.code, "read the provider's discovery document");
        Ok(endpoints)
    }

    /// Finds the signing key `kid` in the cached JWKS, and fetches the JWKS again when the
    /// key is not there, since providers rotate keys.
    async fn decoding_key(&self, http: &reqwest::Client, kid: Option<&str>) -> Result<DecodingKey, SignInError> {
        if let Some(keys) = self.keys.read().await.as_ref()
            && let Some(key) = select_key(keys, kid)
        {
            return key;
        }
        let endpoints = self.endpoints(http).await?;
        let keys: JwkSet = fetch_json(http, &endpoints.jwks_uri, "JWKS").await?;
        let selected = select_key(&keys, kid);
        *self.keys.write().await = Some(keys);
        selected.unwrap_or_else(|| Err(SignInError::InvalidIdToken("no key of the provider's JWKS matches the token's kid".to_owned())))
    }
}

fn select_key(keys: &JwkSet, kid: Option<&str>) -> Option<Result<DecodingKey, SignInError>> {
    let jwk = match kid {
        Some(kid) => keys.find(kid)?,
        // Without a kid, the token can only be checked when the set has exactly one key.
        None if keys.keys.len() == 1 => &keys.keys[0],
        None => return None,
    };
    Some(DecodingKey::from_jwk(jwk).map_err(|error| SignInError::InvalidIdToken(format!("JWKS key: {error}"))))
}

async fn fetch_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str, what: &str) -> Result<T, SignInError> {
    let response = http.get(url).send().await.map_err(|error| SignInError::Http(format!("{what} request: {error}")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(SignInError::InvalidResponse(format!("{what} returned {status}")));
    }
    response.json().await.map_err(|error| SignInError::InvalidResponse(format!("{what}: {error}")))
}

fn form_encode(text: &str) -> String {
    reqwest::Url::parse_with_params("x:", &[("v", text)]).map(|url| url.query().unwrap_or_default()[2..].to_owned()).unwrap_or_default()
}

pub(crate) fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(code: &str) -> ProviderConfig {
        ProviderConfig {
            code: code.to_owned(),
            settings: ProviderSettings {
                kind: ProviderKind::Oidc,
                display_name: "mos.ru".to_owned(),
                issuer: "https://login.example/".to_owned(),
                client_id: "client".to_owned(),
                client_secret: "secret".to_owned(),
                scopes: default_scopes(),
                authorization_endpoint: None,
                token_endpoint: None,
                jwks_uri: None,
                userinfo_endpoint: None,
                gost: None,
            },
        }
    }

    #[test]
    fn pkce_challenge_matches_rfc_7636_example() {
        let secrets = RequestSecrets { state: String::new(), nonce: String::new(), pkce_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned() };
        assert_eq!(secrets.pkce_challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn config_rejects_bad_code() {
        assert!(matches!(config("Mos.ru").validate(), Err(ConfigError::InvalidCode(_))));
        assert!(config("mos-ru").validate().is_ok());
    }

    #[test]
    fn config_rejects_partial_endpoints() {
        let mut partial = config("mosru");
        partial.settings.token_endpoint = Some("https://login.example/token".to_owned());
        assert!(matches!(partial.validate(), Err(ConfigError::PartialEndpoints(_))));
    }

    #[test]
    fn config_needs_openid_scope() {
        let mut without = config("mosru");
        without.settings.scopes = vec!["email".to_owned()];
        assert!(matches!(without.validate(), Err(ConfigError::MissingOpenidScope(_))));
    }

    #[test]
    fn config_checks_gost_table() {
        let mut esia = config("esia");
        esia.settings.kind = ProviderKind::Esia;
        esia.settings.client_secret = String::new();
        esia.settings.authorization_endpoint = Some("https://esia.example/aas/oauth2/ac".to_owned());
        esia.settings.token_endpoint = Some("https://esia.example/aas/oauth2/te".to_owned());
        esia.settings.gost = Some(esia::GostSettings {
            client_certificate: "client.pem".into(),
            client_key: "client.key".into(),
            esia_certificate: "esia.pem".into(),
            rest_url: "https://esia.example".to_owned(),
        });
        assert!(esia.validate().is_ok(), "a complete gost table needs no client_secret");

        let mut with_jwks = esia.clone();
        with_jwks.settings.jwks_uri = Some("https://esia.example/jwks".to_owned());
        assert!(matches!(with_jwks.validate(), Err(ConfigError::InvalidGost(_))), "jwks_uri is accepted with gost");

        let mut plain_kind = esia.clone();
        plain_kind.settings.kind = ProviderKind::Oidc;
        assert!(matches!(plain_kind.validate(), Err(ConfigError::InvalidGost(_))), "gost is accepted for kind oidc");

        let mut without_token_endpoint = esia.clone();
        without_token_endpoint.settings.token_endpoint = None;
        assert!(matches!(without_token_endpoint.validate(), Err(ConfigError::InvalidGost(_))), "gost is accepted without token_endpoint");

        let mut bad_rest_url = esia.clone();
        bad_rest_url.settings.gost.as_mut().expect("gost table").rest_url = "esia.example".to_owned();
        assert!(matches!(bad_rest_url.validate(), Err(ConfigError::InvalidUrl { field: "rest_url", .. })));

        let mut without_secret = config("mosru");
        without_secret.settings.client_secret = String::new();
        assert!(matches!(without_secret.validate(), Err(ConfigError::EmptyField(_))), "plain OIDC still needs a client_secret");
    }

    #[test]
    fn form_encode_escapes_reserved() {
        assert_eq!(form_encode("a b:c%"), "a+b%3Ac%25");
    }
}
