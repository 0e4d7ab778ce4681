//! Local registration by mobile phone or e-mail, confirmation of the contact with a one-time
//! code, password reset with a code, and signing out on every device.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_store::{NewRegistration, StoreError, User};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::accounts::{self, CodeCheck, Login, PURPOSE_CONFIRM, PURPOSE_RESET};
use crate::auth::{self, PageUser};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::limits::ClientAddress;
use crate::state::AppState;

fn password_hint() -> String {
    Tr.t_with("accounts-password-hint", &[("min", (crate::auth::MIN_PASSWORD_CHARS as i64).into())])
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

async fn audit(state: &AppState, actor_id: Option<i64>, action: &str, user_id: i64, details: &str) {
    if let Err(error) = crate::audit::record(state.store.as_ref(), actor_id, action, format!("user:{user_id}"), details).await {
        tracing::warn!(%error, action, "could not write the audit log");
    }
}

fn method_of(login: &Login) -> &'static str {
    match login {
        Login::Email(_) => "method=email",
        Login::Phone(_) => "method=phone",
    }
}

/// Masks the contact that received the code, for the confirmation page.
fn masked_contact(user: &User) -> String {
    match &user.phone {
        Some(phone) => accounts::mask_phone(phone),
        None => {
            let (local, domain) = user.email.split_once('@').unwrap_or((&user.email, ""));
            format!("{}***@{domain}", local.chars().next().unwrap_or('*'))
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    t: Tr,
    password_hint: String,
    login: String,
    error: Option<String>,
}

pub async fn form() -> Response {
    render(&RegisterPage { layout: Layout::anonymous(Tr.t("accounts-register-title")), t: Tr, password_hint: password_hint(), login: String::new(), error: None })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    login: String,
    password: String,
    password_repeat: String,
}

pub async fn submit(State(state): State<AppState>, Form(form): Form<RegisterForm>) -> Response {
    let refuse = |message: String, status: StatusCode| {
        let page = RegisterPage { layout: Layout::anonymous(Tr.t("accounts-register-title")), t: Tr, password_hint: password_hint(), login: form.login.clone(), error: Some(message) };
        with_status(render(&page), status)
    };
    let Some(login) = Login::parse(&form.login) else {
        return refuse(Tr.t("accounts-login-invalid"), StatusCode::UNPROCESSABLE_ENTITY);
    };
    if form.password != form.password_repeat {
        return refuse(Tr.t("accounts-password-mismatch"), StatusCode::UNPROCESSABLE_ENTITY);
    }
    if let Some(problem) = accounts::password_problem(&form.password, login.text()) {
        return refuse(Tr.t_with(problem, &[("min", (crate::auth::MIN_PASSWORD_CHARS as i64).into())]), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let password_hash = match auth::hash_password(form.password.clone()).await {
        Ok(hash) => hash,
        Err(error) => {
            return error_page(ApiError::internal(error));
        }
    };
    let (email, phone) = match &login {
        Login::Email(email) => (Some(email.clone()), None),
        Login::Phone(phone) => (None, Some(phone.clone())),
    };
    let registration = NewRegistration { email, phone, password_hash, created_at: Utc::now() };
    let user = match state.store.register_user(&registration).await {
        Ok(user) => user,
        Err(StoreError::Duplicate(_)) => return refuse(Tr.t("accounts-login-taken"), StatusCode::CONFLICT),
        Err(error) => return error_page(error.into()),
    };
    audit(&state, Some(user.id), "account.register", user.id, method_of(&login)).await;
    let token = match auth::open_session(&state, &user).await {
        Ok(token) => token,
        Err(error) => return error_page(error.into()),
    };
    // A failure to send is shown on the confirmation page, which offers to send the code again.
    let target = match accounts::send_code(&state, &user, PURPOSE_CONFIRM).await {
        Ok(()) => "/account/confirm",
        Err(_) => "/account/confirm?not_sent=1",
    };
    ([(SET_COOKIE, auth::session_cookie(&state, &token))], Redirect::to(target)).into_response()
}

#[derive(Template)]
#[template(path = "confirm_contact.html")]
struct ConfirmPage {
    layout: Layout,
    t: Tr,
    contact: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    not_sent: Option<String>,
}

async fn confirm_page(state: &AppState, signed: &auth::Signed, notice: Option<String>, error: Option<String>) -> Response {
    let layout = Layout::for_user(state, signed, Tr.t("accounts-confirm-title")).await;
    render(&ConfirmPage { layout, t: Tr, contact: masked_contact(&signed.user), notice, error })
}

pub async fn confirm_form(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<ConfirmQuery>) -> Response {
    if signed.user.confirmed {
        return Redirect::to("/account").into_response();
    }
    let error = query.not_sent.map(|_| Tr.t("accounts-code-not-sent"));
    confirm_page(&state, &signed, None, error).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf_token: Option<String>,
    #[serde(default)]
    code: String,
}

pub async fn confirm(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<CodeForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    if signed.user.confirmed {
        return Redirect::to("/account").into_response();
    }
    match accounts::check_code(&state, signed.user.id, PURPOSE_CONFIRM, &form.code).await {
        Ok(CodeCheck::Accepted) => {
            if let Err(error) = state.store.confirm_user(signed.user.id).await {
                return error_page(error.into());
            }
            audit(&state, Some(signed.user.id), "account.confirm", signed.user.id, "").await;
            tracing::info!(user.id = signed.user.id, "contact confirmed");
            Redirect::to("/account?confirmed=1").into_response()
        }
        Ok(refused) => with_status(confirm_page(&state, &signed, None, Some(refused.message())).await, StatusCode::UNPROCESSABLE_ENTITY),
        Err(error) => error_page(error),
    }
}

pub async fn resend(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<CodeForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    if signed.user.confirmed {
        return Redirect::to("/account").into_response();
    }
    match accounts::send_code(&state, &signed.user, PURPOSE_CONFIRM).await {
        Ok(()) => confirm_page(&state, &signed, Some(Tr.t("accounts-code-resent")), None).await,
        Err(error) => {
            let response = with_status(confirm_page(&state, &signed, None, Some(error.problem.message.clone())).await, error.status);
            super::with_retry_after(response, &error)
        }
    }
}

#[derive(Template)]
#[template(path = "password_reset_request.html")]
struct ResetRequestPage {
    layout: Layout,
    t: Tr,
    login: String,
    error: Option<String>,
}

pub async fn reset_request_form() -> Response {
    render(&ResetRequestPage { layout: Layout::anonymous(Tr.t("accounts-reset-title")), t: Tr, login: String::new(), error: None })
}

#[derive(Deserialize)]
pub struct ResetRequestForm {
    login: String,
}

fn reset_address_key(address: std::net::IpAddr) -> String {
    format!("password-reset:address:{address}")
}

async fn find_user(state: &AppState, login: &Login) -> Result<Option<User>, ApiError> {
    let found = match login {
        Login::Email(email) => state.store.user_by_email(email).await?,
        Login::Phone(phone) => state.store.user_by_phone(phone).await?,
    };
    Ok(found.map(|(user, _)| user))
}

/// Sends a reset code when the login belongs to an account, and redirects to the same page either
/// way, so the form does not reveal which logins exist.
pub async fn reset_request(State(state): State<AppState>, ClientAddress(address): ClientAddress, Form(form): Form<ResetRequestForm>) -> Response {
    let refuse = |message: String, status: StatusCode| {
        let page = ResetRequestPage { layout: Layout::anonymous(Tr.t("accounts-reset-title")), t: Tr, login: form.login.clone(), error: Some(message) };
        with_status(render(&page), status)
    };
    if let Some(address) = address
        && let Err(error) = crate::limits::hit(&state, &reset_address_key(address), state.config.accounts.resets_per_address).await
    {
        return super::with_retry_after(refuse(error.problem.message.clone(), error.status), &error);
    }
    let Some(login) = Login::parse(&form.login) else {
        return refuse(Tr.t("accounts-login-invalid"), StatusCode::UNPROCESSABLE_ENTITY);
    };
    match find_user(&state, &login).await {
        Ok(Some(user)) if !user.disabled => {
            // The limit per account is not shown either, because its message would reveal the account.
            match accounts::send_code(&state, &user, PURPOSE_RESET).await {
                Ok(()) => audit(&state, None, "password.reset_requested", user.id, method_of(&login)).await,
                Err(error) => tracing::info!(user.id = user.id, code = %error.problem.code, "password reset code not sent"),
            }
        }
        Ok(_) => tracing::info!("password reset requested for an unknown login"),
        Err(error) => return error_page(error),
    }
    Redirect::to(&format!("/password/reset/code?login={}", auth::urlencode(login.text()))).into_response()
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    t: Tr,
    password_hint: String,
    login: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct ResetQuery {
    login: Option<String>,
}

pub async fn reset_form(Query(query): Query<ResetQuery>) -> Response {
    render(&ResetPage { layout: Layout::anonymous(Tr.t("accounts-reset-title")), t: Tr, password_hint: password_hint(), login: query.login.unwrap_or_default(), error: None })
}

#[derive(Deserialize)]
pub struct ResetForm {
    login: String,
    #[serde(default)]
    code: String,
    password: String,
    password_repeat: String,
}

pub async fn reset(State(state): State<AppState>, ClientAddress(address): ClientAddress, Form(form): Form<ResetForm>) -> Response {
    let refuse = |message: String, status: StatusCode| {
        let page = ResetPage { layout: Layout::anonymous(Tr.t("accounts-reset-title")), t: Tr, password_hint: password_hint(), login: form.login.clone(), error: Some(message) };
        with_status(render(&page), status)
    };
    if let Some(address) = address
        && let Err(error) = crate::limits::hit(&state, &reset_address_key(address), state.config.accounts.resets_per_address).await
    {
        return super::with_retry_after(refuse(error.problem.message.clone(), error.status), &error);
    }
    let Some(login) = Login::parse(&form.login) else {
        return refuse(Tr.t("accounts-login-invalid"), StatusCode::UNPROCESSABLE_ENTITY);
    };
    if form.password != form.password_repeat {
        return refuse(Tr.t("accounts-password-mismatch"), StatusCode::UNPROCESSABLE_ENTITY);
    }
    if let Some(problem) = accounts::password_problem(&form.password, login.text()) {
        return refuse(Tr.t_with(problem, &[("min", (crate::auth::MIN_PASSWORD_CHARS as i64).into())]), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let user = match find_user(&state, &login).await {
        Ok(Some(user)) if !user.disabled => user,
        Ok(_) => return refuse(CodeCheck::NotValid.message(), StatusCode::UNPROCESSABLE_ENTITY),
        Err(error) => return error_page(error),
    };
    match accounts::check_code(&state, user.id, PURPOSE_RESET, &form.code).await {
        Ok(CodeCheck::Accepted) => {}
        Ok(refused) => return refuse(refused.message(), StatusCode::UNPROCESSABLE_ENTITY),
        Err(error) => return error_page(error),
    }
    let hash = match auth::hash_password(form.password.clone()).await {
        Ok(hash) => hash,
        Err(error) => {
            return error_page(ApiError::internal(error));
        }
    };
    if let Err(error) = state.store.set_password_hash(user.id, &hash).await {
        return error_page(error.into());
    }
    // The code reached the contact, so the contact is confirmed. Every session ends, so a person
    // who knew the old password is signed out.
    if !user.confirmed
        && let Err(error) = state.store.confirm_user(user.id).await
    {
        return error_page(error.into());
    }
    if let Err(error) = state.store.delete_user_sessions(user.id).await {
        return error_page(error.into());
    }
    audit(&state, None, "password.reset", user.id, method_of(&login)).await;
    tracing::info!(user.id = user.id, "password reset");
    Redirect::to("/login?reset=1").into_response()
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf_token: Option<String>,
}

/// Deletes every session of the person, this one included.
pub async fn end_all_sessions(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<CsrfOnly>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let ended = match state.store.delete_user_sessions(signed.user.id).await {
        Ok(ended) => ended,
        Err(error) => return error_page(error.into()),
    };
    audit(&state, Some(signed.user.id), "session.end_all", signed.user.id, &format!("sessions={ended}")).await;
    tracing::info!(user.id = signed.user.id, ended, "signed out everywhere");
    ([(SET_COOKIE, auth::expired_session_cookie(&state))], Redirect::to("/login")).into_response()
}

#[derive(Template)]
#[template(path = "not_confirmed.html")]
struct NotConfirmedPage {
    layout: Layout,
    t: Tr,
}

/// Renders the 403 page for a resident who has not confirmed their contact yet, with a link to do it.
pub fn not_confirmed_page() -> Response {
    with_status(render(&NotConfirmedPage { layout: Layout::anonymous(Tr.t("accounts-confirm-title")), t: Tr }), StatusCode::FORBIDDEN)
}
