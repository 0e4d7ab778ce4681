//! The home page, sign-in and sign-out.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use pomoshnik_core::role::Role;
use serde::Deserialize;

use super::sign_in::{ProviderButton, sign_in_buttons};
use super::{Layout, render};
use crate::auth::{self, MaybeUser, PageUser, safe_return_path};
use crate::i18n::Tr;
use crate::limits::ClientAddress;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    t: Tr,
}

pub async fn home(State(state): State<AppState>, MaybeUser(signed): MaybeUser) -> Response {
    match signed {
        Some(signed) if signed.user.role.is_staff() => Redirect::to("/staff/queue").into_response(),
        Some(signed) => render(&HomePage { layout: Layout::for_user(&state, &signed, Tr.t("home-title")).await, t: Tr }),
        None => render(&HomePage { layout: Layout::anonymous(Tr.t("home-title")), t: Tr }),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    t: Tr,
    login: String,
    next: String,
    error: Option<String>,
    providers: Vec<ProviderButton>,
    /// Set after a password reset, which signs the person out everywhere.
    reset_done: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    reset: Option<String>,
}

pub async fn login_form(State(state): State<AppState>, Query(query): Query<NextQuery>) -> Response {
    let next = safe_return_path(query.next.as_deref());
    let page = LoginPage { layout: Layout::anonymous(Tr.t("login-title")), t: Tr, login: String::new(), next, error: None, providers: sign_in_buttons(&state), reset_done: query.reset.is_some() };
    render(&page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

pub async fn login(State(state): State<AppState>, ClientAddress(address): ClientAddress, Form(form): Form<LoginForm>) -> Response {
    let next = safe_return_path(form.next.as_deref());
    match auth::verify_credentials(&state, &form.login, &form.password, address).await {
        Ok((user, _)) if user.totp_enabled => super::two_factor::ask_second_factor(&state, &user, &next).await,
        Ok((user, method)) => open_session_and_go(&state, &user, method, next).await,
        Err(error) => {
            let providers = sign_in_buttons(&state);
            let page = LoginPage { layout: Layout::anonymous(Tr.t("login-title")), t: Tr, login: form.login, next, error: Some(error.problem.message.clone()), providers, reset_done: false };
            let mut response = render(&page);
            *response.status_mut() = error.status;
            super::with_retry_after(response, &error)
        }
    }
}

/// Opens a session after a complete sign-in and goes to `next`, or to the queue for staff.
pub(super) async fn open_session_and_go(state: &AppState, user: &pomoshnik_store::User, method: &str, next: String) -> Response {
    let token = match auth::open_session(state, user).await {
        Ok(token) => token,
        Err(error) => return super::error_page(error.into()),
    };
    auth::record_audit(state, Some(user.id), "sign_in.success", format!("user:{}", user.id), method).await;
    tracing::info!(user.id = user.id, "signed in");
    let target = if next == "/" && user.role != Role::Resident { "/staff/queue".to_owned() } else { next };
    ([(SET_COOKIE, auth::session_cookie(state, &token))], Redirect::to(&target)).into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

pub async fn logout(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<CsrfForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return super::error_page(error);
    }
    if let Err(error) = state.store.delete_session(&signed.session.token_hash).await {
        return super::error_page(error.into());
    }
    ([(SET_COOKIE, auth::expired_session_cookie(&state))], Redirect::to("/")).into_response()
}

