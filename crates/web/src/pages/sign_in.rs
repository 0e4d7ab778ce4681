//! Sign-in and account linking through OpenID Connect providers, and the account page that
//! lists the linked providers.
//!
//! `GET /auth/{provider}/login` and `POST /auth/{provider}/link` store a pending sign-in (nonce,
//! PKCE verifier, return path) under the SHA-256 of a random `state`, put the `state` in a
//! short-lived HttpOnly cookie and send the browser to the provider. The callback accepts the
//! `state` only when it equals the cookie's, so a sign-in finishes in the browser that started
//! it, and uses each pending sign-in once.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use pomoshnik_core::role::Role;
use pomoshnik_store::{Identity, NewUser, PendingSignIn, StoreError, User};
use serde::Deserialize;

use super::{Layout, render};
use crate::auth::{self, MaybeUser, PageUser, normalize_email, safe_return_path, token_hash};
use crate::error::{ApiError, Problem};
use crate::i18n::{Arg, Tr};
use crate::oidc::{self, Provider, ProviderKind, RequestSecrets, SignInError};
use crate::state::AppState;

/// Cookie with the `state` of the sign-in started in this browser.
const PENDING_COOKIE: &str = "pomoshnik_sign_in";

/// How long a person may take at the provider before the sign-in must start again.
const PENDING_LIFETIME: Duration = Duration::minutes(10);

/// Domain of the placeholder e-mail of accounts created by a provider sign-in. `.invalid` is
/// reserved (RFC 2606), so no message is ever sent there and no local login can equal it.
const PLACEHOLDER_EMAIL_DOMAIN: &str = "identities.invalid";

/// Starts the password hash of accounts created by a provider sign-in. Argon2 cannot parse
/// it, so a password sign-in with such an account always fails.
const UNUSABLE_PASSWORD_PREFIX: &str = "!unusable-provider-account!";

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /auth/{provider}/login`: sends the browser to the provider to sign in.
pub async fn start_sign_in(State(state): State<AppState>, Path(code): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let return_path = safe_return_path(query.next.as_deref());
    match begin(&state, &code, return_path, None).await {
        Ok(response) => response,
        Err(error) => {
            tracing::warn!(provider = %code, %error, "could not start a provider sign-in");
            error_response(&state, &code, &error)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

/// `POST /auth/{provider}/link`: sends the signed-in person to the provider to link an account.
pub async fn start_link(State(state): State<AppState>, PageUser(signed): PageUser, Path(code): Path<String>, Form(form): Form<CsrfForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        tracing::warn!(provider = %code, user.id = signed.user.id, "linking rejected: the CSRF token does not match the session");
        return super::error_page(error);
    }
    match begin(&state, &code, "/account".to_owned(), Some(signed.user.id)).await {
        Ok(response) => response,
        Err(error) => {
            tracing::warn!(provider = %code, user.id = signed.user.id, %error, "could not start linking a provider");
            error_response(&state, &code, &error)
        }
    }
}

async fn begin(state: &AppState, code: &str, return_path: String, link_user_id: Option<i64>) -> Result<Response, SignInError> {
    let provider = state.providers.get(code).ok_or(SignInError::UnknownProvider)?;
    let secrets = RequestSecrets::generate_for(provider);
    let url = provider.authorization_url(state.providers.http(), &redirect_uri(state, code), &secrets).await?;

    let now = Utc::now();
    let pending = PendingSignIn {
        state_hash: token_hash(&secrets.state),
        provider: provider.code.clone(),
        nonce: secrets.nonce.clone(),
        pkce_verifier: secrets.pkce_verifier.clone(),
        return_path,
        link_user_id,
        created_at: now,
        expires_at: now + PENDING_LIFETIME,
    };
    state.store.create_pending_sign_in(&pending).await?;
    Ok(([(SET_COOKIE, pending_cookie(state, &secrets.state))], Redirect::to(&url)).into_response())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// The issuer, sent by providers that support RFC 9207.
    iss: Option<String>,
}

/// `GET /auth/{provider}/callback`: where the provider returns the browser.
pub async fn callback(
    State(state): State<AppState>,
    MaybeUser(signed): MaybeUser,
    Path(code): Path<String>,
    Query(query): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Response {
    let cookie_state = cookie_value(&headers, PENDING_COOKIE);
    let outcome = finish(&state, &code, &query, cookie_state.as_deref(), signed.as_ref()).await;
    let clear = (SET_COOKIE, expired_pending_cookie(&state));
    match outcome {
        Ok(Finished::SignedIn { user, token, return_path }) => {
            if let Some(previous) = &signed
                && let Err(error) = state.store.delete_session(&previous.session.token_hash).await
            {
                tracing::warn!(user.id = previous.user.id, %error, "could not delete the session replaced by a provider sign-in");
            }
            let target = match (return_path.as_str(), user.role) {
                ("/", Role::Resident) => "/my/reports".to_owned(),
                ("/", _) => "/staff/queue".to_owned(),
                _ => return_path,
            };
            let headers = [(SET_COOKIE, auth::session_cookie(&state, &token)), clear];
            (axum::response::AppendHeaders(headers), Redirect::to(&target)).into_response()
        }
        Ok(Finished::Linked { return_path }) => ([clear], Redirect::to(&return_path)).into_response(),
        Err(error) => {
            let user_id = signed.as_ref().map(|signed| signed.user.id);
            match &error {
                SignInError::Store(_) => tracing::error!(provider = %code, user.id = user_id, %error, "provider sign-in failed"),
                _ => tracing::warn!(provider = %code, user.id = user_id, %error, "provider sign-in rejected"),
            }
            let response = error_response(&state, &code, &error);
            // A callback with another state leaves the cookie, so a forged callback cannot
            // break the sign-in that the browser has under way.
            if matches!(error, SignInError::StateMismatch | SignInError::UnknownProvider) { response } else { ([clear], response).into_response() }
        }
    }
}

enum Finished {
    SignedIn { user: User, token: String, return_path: String },
    Linked { return_path: String },
}

async fn finish(
    state: &AppState,
    code: &str,
    query: &CallbackQuery,
    cookie_state: Option<&str>,
    signed: Option<&auth::Signed>,
) -> Result<Finished, SignInError> {
    let provider = state.providers.get(code).ok_or(SignInError::UnknownProvider)?;
    let returned_state = query.state.as_deref().ok_or(SignInError::StateMismatch)?;
    let expected_state = cookie_state.ok_or(SignInError::StateMismatch)?;
    if !oidc::constant_time_eq(returned_state.as_bytes(), expected_state.as_bytes()) {
        return Err(SignInError::StateMismatch);
    }
    let pending = state.store.take_pending_sign_in(&token_hash(returned_state), Utc::now()).await?.ok_or(SignInError::PendingNotFound)?;
    if pending.provider != provider.code {
        return Err(SignInError::StateMismatch);
    }
    // RFC 9207: a response that names another issuer comes from another provider (a mix-up).
    if query.iss.as_ref().is_some_and(|iss| *iss != provider.settings.issuer) {
        return Err(SignInError::IssuerMismatch);
    }
    if let Some(error) = &query.error {
        // An OAuth error code such as `access_denied`; it carries no personal data.
        return Err(SignInError::ProviderRefused(error.chars().take(64).collect()));
    }
    let authorization_code = query.code.as_deref().ok_or(SignInError::MissingCode)?;

    let http = state.providers.http();
    let tokens = provider.exchange_code(http, authorization_code, &pending.pkce_verifier, &redirect_uri(state, code)).await?;
    let claims = provider.verify_id_token(http, &tokens.id_token, &pending.nonce).await?;
    if let Some(gost) = provider.gost() {
        oidc::esia::require_trusted_person(gost, http, &tokens, &claims.subject).await?;
    } else if provider.settings.kind == ProviderKind::Esia {
        oidc::esia::require_confirmed_account(provider, http, &tokens, &claims.subject).await?;
    }

    match pending.link_user_id {
        Some(user_id) => {
            link(state, provider, user_id, signed, &claims.subject).await?;
            Ok(Finished::Linked { return_path: pending.return_path })
        }
        None => {
            let user = find_or_create_user(state, provider, &tokens, &claims).await?;
            if user.disabled {
                return Err(SignInError::AccountDisabled);
            }
            let token = auth::open_session(state, &user).await?;
            tracing::info!(provider = %provider.code, user.id = user.id, "signed in through a provider");
            Ok(Finished::SignedIn { user, token, return_path: pending.return_path })
        }
    }
}

async fn link(state: &AppState, provider: &Provider, user_id: i64, signed: Option<&auth::Signed>, subject: &str) -> Result<(), SignInError> {
    // The browser must still carry the session that started linking, so a link started by one
    // person cannot finish in a session of another.
    if signed.map(|signed| signed.user.id) != Some(user_id) {
        return Err(SignInError::LinkUserMismatch);
    }
    let identity = Identity { provider: provider.code.clone(), subject: subject.to_owned(), user_id, created_at: Utc::now() };
    match state.store.link_identity(&identity).await {
        Ok(()) => {
            tracing::info!(provider = %provider.code, user.id = user_id, "linked a provider account");
            Ok(())
        }
        Err(StoreError::Duplicate("identity")) => {
            let owner = state.store.user_by_identity(&provider.code, subject).await?;
            if owner.is_some_and(|owner| owner.id == user_id) { Ok(()) } else { Err(SignInError::IdentityLinkedElsewhere) }
        }
        Err(StoreError::Duplicate(_)) => Err(SignInError::ProviderAlreadyLinked),
        Err(other) => Err(other.into()),
    }
}

/// Returns the account linked to the provider's subject, or creates a confirmed resident
/// account for a first sign-in.
async fn find_or_create_user(state: &AppState, provider: &Provider, tokens: &oidc::TokenResponse, claims: &oidc::IdClaims) -> Result<User, SignInError> {
    if let Some(user) = state.store.user_by_identity(&provider.code, &claims.subject).await? {
        return Ok(user);
    }
    // A provider's verified e-mail equal to a local login is no proof that the local account's
    // owner signed in, so the accounts are never merged here. The person signs in with the
    // password and links the provider on the account page.
    if let Some(email) = verified_email(state, provider, tokens, claims).await
        && state.store.user_by_email(&normalize_email(&email)).await?.is_some()
    {
        return Err(SignInError::EmailOfLocalAccount);
    }

    let now = Utc::now();
    let user = NewUser {
        email: format!("{}+{}@{PLACEHOLDER_EMAIL_DOMAIN}", provider.code, random_suffix()),
        password_hash: format!("{UNUSABLE_PASSWORD_PREFIX}{}", random_suffix()),
        role: Role::Resident,
        agency: None,
        district: None,
        confirmed: true,
        supervisor: false,
        created_at: now,
    };
    match state.store.create_user_with_identity(&user, &provider.code, &claims.subject).await {
        Ok(created) => {
            tracing::info!(provider = %provider.code, user.id = created.id, "created an account at the first provider sign-in");
            Ok(created)
        }
        // Two first sign-ins of one person raced, and the other one created the account.
        Err(StoreError::Duplicate("identity")) => state.store.user_by_identity(&provider.code, &claims.subject).await?.ok_or(SignInError::Store(StoreError::NotFound)),
        Err(other) => Err(other.into()),
    }
}

/// Returns the verified e-mail of the ID token or, since many providers put the claims of the
/// `email` scope only in userinfo, of the userinfo endpoint.
async fn verified_email(state: &AppState, provider: &Provider, tokens: &oidc::TokenResponse, claims: &oidc::IdClaims) -> Option<String> {
    if claims.verified_email.is_some() {
        return claims.verified_email.clone();
    }
    if !provider.has_userinfo(state.providers.http()).await {
        return None;
    }
    match provider.userinfo(state.providers.http(), &tokens.access_token).await {
        Ok(userinfo) if userinfo.get("sub").and_then(|value| value.as_str()) == Some(claims.subject.as_str()) => {
            let verified = userinfo.get("email_verified").and_then(|value| value.as_bool()) == Some(true);
            userinfo.get("email").and_then(|value| value.as_str()).filter(|_| verified).map(str::to_owned)
        }
        Ok(_) => {
            tracing::warn!(provider = %provider.code, "userinfo belongs to another subject; its e-mail is ignored");
            None
        }
        // Without the e-mail the person gets a new account, which takes over nothing.
        Err(error) => {
            tracing::warn!(provider = %provider.code, %error, "could not read userinfo for the e-mail check");
            None
        }
    }
}

/// Returns 24 random lowercase letters and digits, for placeholder e-mails and password hashes.
fn random_suffix() -> String {
    RequestSecrets::generate().state.chars().filter(char::is_ascii_alphanumeric).take(24).collect::<String>().to_lowercase()
}

fn redirect_uri(state: &AppState, code: &str) -> String {
    format!("{}/auth/{code}/callback", state.config.public_url.trim_end_matches('/'))
}

fn pending_cookie(state: &AppState, value: &str) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{PENDING_COOKIE}={value}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age={}{secure}", PENDING_LIFETIME.num_seconds())
}

fn expired_pending_cookie(state: &AppState) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{PENDING_COOKIE}=; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let cookies = headers.get_all(COOKIE).into_iter().filter_map(|value| value.to_str().ok());
    for pair in cookies.flat_map(|header| header.split(';')) {
        if let Some((key, value)) = pair.trim().split_once('=')
            && key == name
            && !value.is_empty()
        {
            return Some(value.to_owned());
        }
    }
    None
}

fn error_response(state: &AppState, code: &str, error: &SignInError) -> Response {
    let provider_name = state.providers.get(code).map(|provider| provider.settings.display_name.clone()).unwrap_or_default();
    let message = Tr.error(error.code(), &[("provider", provider_name)]);
    let api_error = ApiError { status: error.status(), problem: Problem { code: error.code().to_owned(), message, field: None }, problems: Vec::new(), retry_after: None };
    super::error_page(api_error)
}

/// A provider's button on the sign-in and account pages.
pub struct ProviderButton {
    pub code: String,
    pub label: String,
    pub linked: bool,
}

/// Returns the sign-in buttons of the configured providers.
pub fn sign_in_buttons(state: &AppState) -> Vec<ProviderButton> {
    state
        .providers
        .all()
        .iter()
        .map(|provider| ProviderButton {
            code: provider.code.clone(),
            label: Tr.t_with("login-with-provider", &[("provider", Arg::Text(provider.settings.display_name.clone()))]),
            linked: false,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    t: Tr,
    providers: Vec<ProviderButton>,
    confirmed: bool,
    just_confirmed: bool,
}

/// `GET /account`: the providers linked to the account and buttons to link the others.
#[derive(serde::Deserialize)]
pub struct AccountQuery {
    confirmed: Option<String>,
}

pub async fn account(State(state): State<AppState>, PageUser(signed): PageUser, axum::extract::Query(query): axum::extract::Query<AccountQuery>) -> Response {
    let linked = match state.store.identities(signed.user.id).await {
        Ok(linked) => linked,
        // The conversion logs the storage error.
        Err(error) => return super::error_page(error.into()),
    };
    let providers = state
        .providers
        .all()
        .iter()
        .map(|provider| ProviderButton {
            code: provider.code.clone(),
            label: provider.settings.display_name.clone(),
            linked: linked.iter().any(|identity| identity.provider == provider.code),
        })
        .collect();
    let confirmed = signed.user.confirmed;
    let just_confirmed = confirmed && query.confirmed.is_some();
    let page = AccountPage { layout: Layout::for_user(&state, &signed, Tr.t("account-title")).await, t: Tr, providers, confirmed, just_confirmed };
    render(&page)
}
