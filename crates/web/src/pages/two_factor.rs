//! Pages of two-factor authentication: the second step of a sign-in, and turning TOTP on and off
//! on the profile.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use pomoshnik_store::{NewAccountCode, User};
use rand::RngCore;
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::accounts::{CODE_ATTEMPTS, code_matches, hash_code};
use crate::auth::{self, PageUser, safe_return_path};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::two_factor::{self, PENDING_COOKIE, PENDING_LIFETIME, PURPOSE_SIGN_IN};

fn pending_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{PENDING_COOKIE}={value}; Path=/login; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Remembers that `user` passed the password and sends the browser to enter the second factor.
pub async fn ask_second_factor(state: &AppState, user: &User, next: &str) -> Response {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let salt = URL_SAFE_NO_PAD.encode(&bytes[..8]);
    let now = Utc::now();
    let pending = NewAccountCode {
        user_id: user.id,
        purpose: PURPOSE_SIGN_IN.to_owned(),
        code_hash: format!("{salt}${}", hash_code(&salt, &token)),
        created_at: now,
        expires_at: now + PENDING_LIFETIME,
    };
    if let Err(error) = state.store.create_account_code(&pending).await {
        return error_page(error.into());
    }
    let cookie = pending_cookie(state, &format!("{}.{token}", user.id), PENDING_LIFETIME.num_seconds());
    let target = format!("/login/2fa?next={}", auth::urlencode(next));
    ([(SET_COOKIE, cookie)], Redirect::to(&target)).into_response()
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    layout: Layout,
    t: Tr,
    next: String,
    error: Option<String>,
}

fn second_factor_page(next: String, error: Option<String>, status: StatusCode) -> Response {
    let mut response = render(&SecondFactorPage { layout: Layout::anonymous(Tr.t("accounts-2fa-sign-in-title")), t: Tr, next, error });
    *response.status_mut() = status;
    response
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn second_factor_form(Query(query): Query<NextQuery>) -> Response {
    second_factor_page(safe_return_path(query.next.as_deref()), None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct SecondFactorForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

fn pending_of(headers: &HeaderMap) -> Option<(i64, String)> {
    let cookies = headers.get_all(COOKIE).iter().filter_map(|value| value.to_str().ok());
    let value = cookies.flat_map(|header| header.split(';')).find_map(|pair| pair.trim().strip_prefix(&format!("{PENDING_COOKIE}=")).map(str::to_owned))?;
    let (user_id, token) = value.split_once('.')?;
    Some((user_id.parse().ok()?, token.to_owned()))
}

/// Completes a sign-in with a TOTP code or a recovery code. The pending sign-in allows
/// [`CODE_ATTEMPTS`] wrong codes and lasts [`PENDING_LIFETIME`].
pub async fn second_factor(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<SecondFactorForm>) -> Response {
    let next = safe_return_path(form.next.as_deref());
    let expired = || second_factor_page(next.clone(), Some(Tr.t("accounts-2fa-pending-expired")), StatusCode::UNAUTHORIZED);
    let Some((user_id, token)) = pending_of(&headers) else { return expired() };
    let pending = match state.store.latest_account_code(user_id, PURPOSE_SIGN_IN).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return expired(),
        Err(error) => return error_page(error.into()),
    };
    let now = Utc::now();
    let usable = pending.used_at.is_none() && pending.expires_at > now && pending.attempts < CODE_ATTEMPTS && code_matches(&pending.code_hash, &token);
    if !usable {
        return expired();
    }
    let user = match state.store.user(user_id).await {
        Ok(Some(user)) if !user.disabled => user,
        Ok(_) => return expired(),
        Err(error) => return error_page(error.into()),
    };
    let method = match two_factor::verify(&state, &user, &form.code).await {
        Ok(Some(method)) => method,
        Ok(None) => {
            let attempts = state.store.count_account_code_attempt(pending.id).await.unwrap_or(CODE_ATTEMPTS);
            auth::record_audit(&state, Some(user.id), "sign_in.failure", format!("user:{}", user.id), "method=second_factor").await;
            if attempts >= CODE_ATTEMPTS {
                return second_factor_page(next, Some(Tr.t("accounts-2fa-too-many")), StatusCode::UNAUTHORIZED);
            }
            return second_factor_page(next, Some(Tr.t("accounts-2fa-wrong")), StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(error) => return error_page(error),
    };
    match state.store.use_account_code(pending.id, now).await {
        Ok(true) => {}
        Ok(false) => return expired(),
        Err(error) => return error_page(error.into()),
    }
    let mut response = super::account::open_session_and_go(&state, &user, &format!("method=password+{method}"), next).await;
    if let Ok(value) = pending_cookie(&state, "", 0).parse() {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

#[derive(Template)]
#[template(path = "two_factor_settings.html")]
struct SettingsPage {
    layout: Layout,
    t: Tr,
    enabled: bool,
    required: bool,
    secret: String,
    otpauth_uri: String,
    recovery_left: i64,
    recovery_codes: Vec<String>,
    error: Option<String>,
}

async fn settings_page(state: &AppState, signed: &auth::Signed, secret: Option<String>, recovery_codes: Vec<String>, error: Option<String>) -> Response {
    let user = match state.store.user(signed.user.id).await {
        Ok(Some(user)) => user,
        Ok(None) => return error_page(crate::error::ApiError::not_found()),
        Err(error) => return error_page(error.into()),
    };
    let recovery_left = state.store.unused_recovery_codes(user.id).await.unwrap_or(0);
    let secret = secret.unwrap_or_else(two_factor::new_secret);
    let required = state.config.accounts.staff_two_factor_required && user.role.is_staff();
    let page = SettingsPage {
        layout: Layout::for_user(state, signed, Tr.t("accounts-2fa-title")).await,
        t: Tr,
        enabled: user.totp_enabled,
        required,
        otpauth_uri: two_factor::otpauth_uri(&secret, user.id),
        secret,
        recovery_left,
        recovery_codes,
        error: error.clone(),
    };
    let mut response = render(&page);
    if error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

pub async fn settings(State(state): State<AppState>, PageUser(signed): PageUser) -> Response {
    settings_page(&state, &signed, None, Vec::new(), None).await
}

#[derive(Deserialize)]
pub struct EnableForm {
    csrf_token: Option<String>,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

pub async fn enable(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<EnableForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    if signed.user.totp_enabled {
        return Redirect::to("/account/2fa").into_response();
    }
    if two_factor::matching_step(&form.secret, &form.code).is_none() {
        return settings_page(&state, &signed, Some(form.secret), Vec::new(), Some(Tr.t("accounts-2fa-wrong"))).await;
    }
    let (codes, hashes) = two_factor::new_recovery_codes();
    if let Err(error) = state.store.set_two_factor(signed.user.id, Some(&form.secret), &hashes).await {
        return error_page(error.into());
    }
    auth::record_audit(&state, Some(signed.user.id), "2fa.enable", format!("user:{}", signed.user.id), "").await;
    tracing::info!(user.id = signed.user.id, "two-factor authentication turned on");
    settings_page(&state, &signed, None, codes, None).await
}

#[derive(Deserialize)]
pub struct DisableForm {
    csrf_token: Option<String>,
    #[serde(default)]
    code: String,
}

pub async fn disable(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<DisableForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    if !signed.user.totp_enabled {
        return Redirect::to("/account/2fa").into_response();
    }
    match two_factor::verify(&state, &signed.user, &form.code).await {
        Ok(Some(_)) => {}
        Ok(None) => return settings_page(&state, &signed, None, Vec::new(), Some(Tr.t("accounts-2fa-wrong"))).await,
        Err(error) => return error_page(error),
    }
    if let Err(error) = state.store.set_two_factor(signed.user.id, None, &[]).await {
        return error_page(error.into());
    }
    auth::record_audit(&state, Some(signed.user.id), "2fa.disable", format!("user:{}", signed.user.id), "").await;
    tracing::info!(user.id = signed.user.id, "two-factor authentication turned off");
    Redirect::to("/account/2fa").into_response()
}
