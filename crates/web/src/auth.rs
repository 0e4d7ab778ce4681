//! Sign-in, sessions and who is asking. The web UI keeps a session token in an HttpOnly cookie;
//! API clients send the same kind of token as `Authorization: Bearer`. Only the token's SHA-256
//! is stored, so a copy of the database does not let anyone sign in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use pomoshnik_store::{Session, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::limits;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "pomoshnik_session";

/// How long a web session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::days(14);

/// A password hash nobody can match, verified when the login is unknown so that the answer takes
/// as long as for a wrong password and does not reveal which logins exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5eNqRs0NuQ9zT3mU2GkdE5yTz5aNLbQmrBGuO0Ej2lY";

pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

pub async fn hash_password(password: String) -> Result<String, HashError> {
    crate::heavy::run(move || {
        let mut salt_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|error| HashError(error.to_string()))?;
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|error| HashError(error.to_string()))
    })
    .await
    .map_err(|error| HashError(error.to_string()))?
}

pub(crate) async fn verify_password(password: String, hash: String) -> bool {
    crate::heavy::run(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .unwrap_or(false)
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// E-mail addresses are logins; compare them without case and surrounding spaces.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks the login and password and opens a session; returns the user and the session token.
/// Fails with 429 once the account or the client `address` has too many failed attempts
/// ([`crate::limits::RateLimits`]), before the password is checked.
pub async fn sign_in(state: &AppState, login: &str, password: &str, address: Option<std::net::IpAddr>) -> Result<(User, String), ApiError> {
    let (user, method) = verify_credentials(state, login, password, address).await?;
    if state.store.temporary_password_expiry(user.id).await?.is_some() {
        // API clients have no page to choose a new password on.
        return Err(password_change_required());
    }
    if user.totp_enabled {
        // API clients have no page to enter the second factor on.
        let mut error = ApiError::forbidden().with_code("second_factor_required");
        error.problem.message = crate::i18n::Tr.t("accounts-2fa-api-refused");
        return Err(error);
    }
    let token = open_session(state, &user).await?;
    record_audit(state, Some(user.id), "sign_in.success", format!("user:{}", user.id), method).await;
    tracing::info!(user.id = user.id, "signed in");
    Ok((user, token))
}

/// Checks the login and password, with the same rate limits as [`sign_in`], without opening a
/// session. Returns the user and the method for the audit log.
pub async fn verify_credentials(state: &AppState, login: &str, password: &str, address: Option<std::net::IpAddr>) -> Result<(User, &'static str), ApiError> {
    let login = normalize_email(login);
    let rate_limits = state.config.rate_limits;
    let account_key = limits::sign_in_account_key(&login);
    let address_key = address.map(limits::sign_in_address_key);
    limits::check(state, &account_key, rate_limits.sign_in_per_account).await?;
    if let Some(key) = &address_key {
        limits::check(state, key, rate_limits.sign_in_per_address).await?;
    }

    // A login without `@` that reads as a Russian mobile number is a phone.
    let phone = if login.contains('@') { None } else { crate::accounts::normalize_phone(&login) };
    let method = if phone.is_some() { "method=phone_password" } else { "method=email_password" };
    let found = match &phone {
        Some(phone) => state.store.user_by_phone(phone).await?,
        None => state.store.user_by_email(&login).await?,
    };
    let hash = found.as_ref().map(|(_, hash)| hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_owned());
    let password_matches = verify_password(password.to_owned(), hash).await;

    let user = match found {
        Some((user, _)) if password_matches && !user.disabled => user,
        other => {
            tracing::info!("sign-in rejected");
            let actor = other.map(|(user, _)| user.id);
            let object = actor.map(|id| format!("user:{id}")).unwrap_or_else(|| "user:unknown".to_owned());
            record_audit(state, actor, "sign_in.failure", object, method).await;
            limits::record(state, &account_key, rate_limits.sign_in_per_account).await;
            if let Some(key) = &address_key {
                limits::record(state, key, rate_limits.sign_in_per_address).await;
            }
            let mut error = ApiError::unauthorized().with_field("login").with_code("invalid_credentials");
            error.problem.message = crate::i18n::Tr.t("accounts-invalid-credentials");
            return Err(error);
        }
    };
    if let Some(expires_at) = state.store.temporary_password_expiry(user.id).await?
        && expires_at <= Utc::now()
    {
        tracing::info!(user.id = user.id, "sign-in rejected: the temporary password expired");
        record_audit(state, Some(user.id), "sign_in.failure", format!("user:{}", user.id), "reason=temporary_password_expired").await;
        let mut error = ApiError::unauthorized().with_field("login").with_code("temporary_password_expired");
        error.problem.message = crate::i18n::Tr.t("recovery-temporary-expired");
        return Err(error);
    }
    if let Err(error) = state.store.clear_rate_limit(&account_key).await {
        tracing::warn!(%error, user.id = user.id, "could not clear the failed sign-ins of an account");
    }
    // Unconfirmed accounts may sign in to confirm their contact; filing reports checks it.
    Ok((user, method))
}

pub(crate) async fn record_audit(state: &AppState, actor_id: Option<i64>, action: &str, object: String, details: &str) {
    if let Err(error) = crate::audit::record(state.store.as_ref(), actor_id, action, object, details).await {
        tracing::warn!(%error, action, "failed to write the audit log");
    }
}

/// Opens a new session of `user` with a fresh token and CSRF token, and returns the token.
/// Every sign-in calls it, so a session token is never carried over from before the sign-in.
pub async fn open_session(state: &AppState, user: &User) -> Result<String, pomoshnik_store::StoreError> {
    let token = random_token();
    let now = Utc::now();
    let session = Session { token_hash: token_hash(&token), user_id: user.id, csrf_token: random_token(), created_at: now, expires_at: now + SESSION_LIFETIME };
    state.store.create_session(&session).await?;
    Ok(token)
}

pub fn session_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", SESSION_LIFETIME.num_seconds())
}

pub fn expired_session_cookie(state: &AppState) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// How the request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Cookie,
    Bearer,
}

/// The signed-in person making the request.
#[derive(Debug, Clone)]
pub struct Signed {
    pub user: User,
    pub session: Session,
    pub credential: Credential,
}

impl Signed {
    /// Checks a form's CSRF token against the session's; bearer requests carry no ambient
    /// credential and need none.
    pub fn check_csrf(&self, form_token: Option<&str>) -> Result<(), ApiError> {
        if self.credential == Credential::Bearer {
            return Ok(());
        }
        let expected = self.session.csrf_token.as_bytes();
        let matches = form_token.is_some_and(|token| constant_time_eq(token.as_bytes(), expected));
        if matches { Ok(()) } else { Err(ApiError::forbidden().with_code("csrf_failed")) }
    }
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

fn presented_token(parts: &Parts) -> Option<(String, Credential)> {
    if let Some(header) = parts.headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok()) {
        return header.strip_prefix("Bearer ").map(|token| (token.trim().to_owned(), Credential::Bearer));
    }
    let cookies = parts.headers.get_all(COOKIE).iter().filter_map(|value| value.to_str().ok());
    for pair in cookies.flat_map(|header| header.split(';')) {
        if let Some((name, value)) = pair.trim().split_once('=') {
            if name == SESSION_COOKIE && !value.is_empty() {
                return Some((value.to_owned(), Credential::Cookie));
            }
        }
    }
    None
}

/// Resolves the request's session, if any. A bearer token may also be an agency's API key
/// (`pomoshnik api-key add --agency`), which acts as the key's executor account.
pub async fn current(parts: &Parts, state: &AppState) -> Result<Option<Signed>, ApiError> {
    let Some((token, credential)) = presented_token(parts) else {
        return Ok(None);
    };
    if credential == Credential::Bearer && token.starts_with(crate::open311::clients::API_KEY_PREFIX) {
        return agency_key(state, &token).await;
    }
    let found = state.store.session(&token_hash(&token), Utc::now()).await?;
    Ok(found.map(|(session, user)| Signed { user, session, credential }))
}

/// Resolves an agency's API key to its executor account. Unknown and revoked keys, keys of
/// Open311 clients (resident accounts) and keys of disabled accounts sign nobody in.
async fn agency_key(state: &AppState, key: &str) -> Result<Option<Signed>, ApiError> {
    let key_hash = token_hash(key);
    let Some((api_key, user)) = state.store.api_key_by_hash(&key_hash).await? else {
        return Ok(None);
    };
    if api_key.revoked_at.is_some() || user.disabled || user.role != pomoshnik_core::role::Role::Executor {
        tracing::info!(api_key.id = api_key.id, "API key rejected as a bearer token: revoked, disabled or not an agency's key");
        return Ok(None);
    }
    // The key is not a session: this record exists only for the request, and bearer requests
    // need no CSRF token.
    let session = Session { token_hash: key_hash, user_id: user.id, csrf_token: String::new(), created_at: api_key.created_at, expires_at: Utc::now() };
    Ok(Some(Signed { user, session, credential: Credential::Bearer }))
}

/// The path of the form where a person signed in with a temporary password chooses a new one.
pub const PASSWORD_CHANGE_PATH: &str = "/password/change";

fn password_change_required() -> ApiError {
    let mut error = ApiError::forbidden().with_code("password_change_required");
    error.problem.message = crate::i18n::Tr.t("recovery-change-required-api");
    error
}

/// Whether the person signed in with a temporary password and has not chosen a new one yet.
/// Bearer requests skip the query: approving a recovery request deletes every session of the
/// account, and [`sign_in`] opens no API session while the password is temporary.
async fn has_temporary_password(state: &AppState, signed: &Signed) -> Result<bool, ApiError> {
    if signed.credential == Credential::Bearer {
        return Ok(false);
    }
    Ok(state.store.temporary_password_expiry(signed.user.id).await?.is_some())
}

/// Fails with 403 `password_change_required` for a person who still has a temporary password.
async fn refuse_temporary_password(state: &AppState, signed: Option<Signed>) -> Result<Option<Signed>, ApiError> {
    match signed {
        Some(signed) if has_temporary_password(state, &signed).await? => Err(password_change_required()),
        other => Ok(other),
    }
}

/// The signed-in person, for API routes: a missing or expired session is a 401.
pub struct ApiUser(pub Signed);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed = refuse_temporary_password(state, current(parts, state).await?).await?;
        signed.map(ApiUser).ok_or_else(ApiError::unauthorized)
    }
}

/// The signed-in person or nobody, for API routes open to everyone.
pub struct MaybeApiUser(pub Option<Signed>);

impl FromRequestParts<AppState> for MaybeApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        refuse_temporary_password(state, current(parts, state).await?).await.map(MaybeApiUser)
    }
}

/// Whether the page at `path` must send the person to [`PASSWORD_CHANGE_PATH`] first.
async fn needs_password_change(state: &AppState, signed: &Signed, path: &str) -> Result<bool, ApiError> {
    let exempt = path == PASSWORD_CHANGE_PATH || path == "/logout";
    if exempt {
        return Ok(false);
    }
    has_temporary_password(state, signed).await
}

/// The signed-in person, for pages: without a session the browser goes to the sign-in page and
/// comes back afterwards.
pub struct PageUser(pub Signed);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match current(parts, state).await {
            Ok(Some(signed)) => match needs_password_change(state, &signed, parts.uri.path()).await {
                Ok(true) => Err(Redirect::to(PASSWORD_CHANGE_PATH).into_response()),
                Ok(false) if needs_two_factor_setup(state, &signed, parts.uri.path()) => Err(Redirect::to("/account/2fa").into_response()),
                Ok(false) => Ok(PageUser(signed)),
                Err(error) => Err(crate::pages::error_page(error)),
            },
            Ok(None) => {
                let next = parts.uri.path_and_query().map(|path| path.as_str()).unwrap_or("/");
                let target = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
            Err(error) => Err(crate::pages::error_page(error)),
        }
    }
}

/// Whether a staff member must set up two-factor authentication before opening `path`, when
/// the configuration requires it of staff.
fn needs_two_factor_setup(state: &AppState, signed: &Signed, path: &str) -> bool {
    let exempt = path.starts_with("/account/2fa") || path == "/logout" || path == "/account/sessions/end";
    state.config.accounts.staff_two_factor_required && signed.user.role.is_staff() && !signed.user.totp_enabled && !exempt
}

/// The signed-in person or nobody, for pages that show something to both.
pub struct MaybeUser(pub Option<Signed>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed = current(parts, state).await.map_err(crate::pages::error_page)?;
        if let Some(signed) = &signed {
            match needs_password_change(state, signed, parts.uri.path()).await {
                Ok(true) => return Err(Redirect::to(PASSWORD_CHANGE_PATH).into_response()),
                Ok(false) => {}
                Err(error) => return Err(crate::pages::error_page(error)),
            }
        }
        Ok(MaybeUser(signed))
    }
}

pub fn urlencode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// Accepts only a local path as the place to return to after sign-in, so a crafted link cannot
/// send the resident to another site.
pub fn safe_return_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
}
