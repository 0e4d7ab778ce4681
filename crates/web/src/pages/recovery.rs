//! The recovery request form for people who lost access to their phone or e-mail, and the form
//! where a person signed in with a temporary password chooses a new one.
//!
//! The request form is anonymous, so its CSRF token is a random value kept both in a cookie
//! scoped to the form's path and in a hidden field. A submission must carry both, and they must
//! match. The cross-site write check of the router applies as well.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use pomoshnik_core::role::Role;
use pomoshnik_media::{StoredFile, UploadError};
use pomoshnik_store::{NewRecoveryRequest, User};
use rand::RngCore;
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::accounts::{self, Login};
use crate::auth::{self, PageUser};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::limits::ClientAddress;
use crate::recovery::{self, SCAN_KINDS};
use crate::state::AppState;
use crate::upload;

/// Cookie with the CSRF token of the anonymous request form.
const FORM_COOKIE: &str = "pomoshnik_recovery_form";
/// The multipart part that carries the scan.
const SCAN_PART: &str = "scan";
/// Maximum length of the full name, in characters.
const MAX_FULL_NAME_CHARS: usize = 200;

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn form_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{FORM_COOKIE}={token}; Path=/password/recovery; HttpOnly; SameSite=Strict; Max-Age=7200{secure}")
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get_all(COOKIE).iter().filter_map(|value| value.to_str().ok());
    let prefix = format!("{FORM_COOKIE}=");
    cookies.flat_map(|header| header.split(';')).find_map(|pair| pair.trim().strip_prefix(prefix.as_str()).map(str::to_owned)).filter(|token| !token.is_empty())
}

fn tokens_match(left: &str, right: &str) -> bool {
    left.len() == right.len() && left.bytes().zip(right.bytes()).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

#[derive(Template)]
#[template(path = "recovery_request.html")]
struct RequestPage {
    layout: Layout,
    t: Tr,
    csrf_token: String,
    login: String,
    full_name: String,
    new_contact: String,
    scan_hint: String,
    error: Option<String>,
}

impl RequestPage {
    fn new(csrf_token: String, fields: &RequestFields, error: Option<String>) -> RequestPage {
        let limit = (recovery::max_scan_bytes() / (1024 * 1024)) as i64;
        RequestPage {
            layout: Layout::anonymous(Tr.t("recovery-title")),
            t: Tr,
            csrf_token,
            login: fields.login.clone(),
            full_name: fields.full_name.clone(),
            new_contact: fields.new_contact.clone(),
            scan_hint: Tr.t_with("recovery-scan-hint", &[("limit", limit.into())]),
            error,
        }
    }
}

/// The text fields of the request form.
#[derive(Default)]
struct RequestFields {
    csrf_token: String,
    login: String,
    full_name: String,
    new_contact: String,
}

/// Renders the form with a new CSRF token, or with the browser's token when it has one.
pub async fn request_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = cookie_token(&headers).unwrap_or_else(random_token);
    let page = render(&RequestPage::new(token.clone(), &RequestFields::default(), None));
    ([(SET_COOKIE, form_cookie(&state, &token))], page).into_response()
}

/// The parts of a submitted request: the text fields and the scan, stored but not yet committed.
struct Submission {
    fields: RequestFields,
    scan: Option<StoredFile>,
    /// Reason the scan was rejected, as a Russian message.
    scan_problem: Option<String>,
}

impl Submission {
    /// Removes the received scan, when the request is not kept.
    async fn discard(&mut self, state: &AppState) {
        if let Some(scan) = self.scan.take() {
            upload::discard_staged(state, &scan.key).await;
            recovery::delete_scan(state, &scan.key).await;
        }
    }
}

/// Reads every part of the form. A rejected scan is removed at once. An accepted one stays in
/// the file store's staging area until the request is stored or dropped.
async fn read_submission(state: &AppState, mut multipart: Multipart) -> Result<Submission, (Submission, ApiError)> {
    let mut submission = Submission { fields: RequestFields::default(), scan: None, scan_problem: None };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(submission),
            Err(error) => return Err((submission, upload::multipart_error(error))),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name != SCAN_PART {
            let text = match upload::read_text(field).await {
                Ok(text) => text,
                Err(error) => return Err((submission, error)),
            };
            match name.as_str() {
                "csrf_token" => submission.fields.csrf_token = text,
                "login" => submission.fields.login = text,
                "full_name" => submission.fields.full_name = text,
                "new_contact" => submission.fields.new_contact = text,
                _ => {}
            }
            continue;
        }

        let file_name = field.file_name().unwrap_or_default().to_owned();
        if file_name.is_empty() || submission.scan.is_some() || submission.scan_problem.is_some() {
            if let Err(error) = upload::drain(field).await {
                return Err((submission, error));
            }
            if !file_name.is_empty() && submission.scan_problem.is_none() {
                submission.scan_problem = Some(Tr.t("recovery-scan-one"));
            }
            continue;
        }
        match state.files.receive(&file_name, Box::pin(field)).await {
            Ok(stored) => match check_scan(state, &stored).await {
                None => submission.scan = Some(stored),
                Some(problem) => {
                    upload::discard_staged(state, &stored.key).await;
                    recovery::delete_scan(state, &stored.key).await;
                    submission.scan_problem = Some(problem);
                }
            },
            Err(UploadError::Storage(cause)) => return Err((submission, ApiError::internal(cause))),
            Err(UploadError::Read { .. }) => return Err((submission, ApiError::bad_request("multipart_invalid"))),
            Err(rejected) => {
                tracing::info!(code = rejected.code(), "passport scan rejected");
                submission.scan_problem = Some(upload_problem(&rejected));
            }
        }
    }
}

/// Names the problem of a scan the file store refused.
fn upload_problem(error: &UploadError) -> String {
    let file = error.file_name().unwrap_or_default().to_owned();
    match error {
        UploadError::TooLarge { limit_bytes, .. } => Tr.t_with("recovery-scan-too-large", &[("file", file.into()), ("limit", ((limit_bytes / (1024 * 1024)) as i64).into())]),
        UploadError::Empty { .. } => Tr.t_with("recovery-scan-empty", &[("file", file.into())]),
        _ => Tr.t_with("recovery-scan-type", &[("file", file.into())]),
    }
}

/// Checks that a received file is a JPEG, PNG or PDF and that an image decodes completely.
/// Returns the problem as a Russian message.
async fn check_scan(state: &AppState, stored: &StoredFile) -> Option<String> {
    let file = stored.original_name.clone();
    if !SCAN_KINDS.contains(&stored.kind) {
        tracing::info!(kind = stored.kind.code(), "passport scan rejected: kind not allowed");
        return Some(Tr.t_with("recovery-scan-type", &[("file", file.into())]));
    }
    if !stored.kind.is_image() {
        return None;
    }
    let path = state.files.path_of(&stored.key)?;
    let kind = stored.kind;
    match crate::heavy::run(move || pomoshnik_media::verify_image(&path, kind)).await {
        Ok(Ok(())) => None,
        Ok(Err(cause)) => {
            tracing::info!(%cause, "damaged passport scan rejected");
            Some(Tr.t_with("recovery-scan-damaged", &[("file", file.into())]))
        }
        Err(error) => {
            tracing::error!(%error, "passport scan check task failed");
            Some(Tr.t_with("recovery-scan-damaged", &[("file", file.into())]))
        }
    }
}

/// Checks the text fields and returns the login, the full name with spaces collapsed and the
/// new contact, or the first problem as a Russian message.
fn validate_fields(fields: &RequestFields) -> Result<(Login, String, Login), String> {
    let Some(login) = Login::parse(&fields.login) else {
        return Err(Tr.t("recovery-login-invalid"));
    };
    let full_name = fields.full_name.split_whitespace().collect::<Vec<_>>().join(" ");
    if full_name.is_empty() {
        return Err(Tr.t("recovery-full-name-missing"));
    }
    if full_name.chars().count() > MAX_FULL_NAME_CHARS {
        return Err(Tr.t_with("recovery-full-name-long", &[("max", (MAX_FULL_NAME_CHARS as i64).into())]));
    }
    let Some(new_contact) = Login::parse(&fields.new_contact) else {
        return Err(Tr.t("recovery-new-contact-invalid"));
    };
    if new_contact == login {
        return Err(Tr.t("recovery-new-contact-same"));
    }
    Ok((login, full_name, new_contact))
}

/// Returns the problem of the scan as a Russian message, if it has one or is missing.
fn scan_problem(submission: &Submission) -> Option<String> {
    if let Some(problem) = &submission.scan_problem {
        return Some(problem.clone());
    }
    submission.scan.is_none().then(|| Tr.t("recovery-scan-missing"))
}

fn address_key(address: std::net::IpAddr) -> String {
    format!("recovery:address:{address}")
}

async fn find_user(state: &AppState, login: &Login) -> Result<Option<User>, ApiError> {
    let found = match login {
        Login::Email(email) => state.store.user_by_email(email).await?,
        Login::Phone(phone) => state.store.user_by_phone(phone).await?,
    };
    Ok(found.map(|(user, _)| user))
}

/// Stores a recovery request for review when the login belongs to an enabled resident's account,
/// and responds with the same confirmation page either way. A request for another login, or over
/// the limit of the account, is dropped with its scan.
pub async fn submit(State(state): State<AppState>, ClientAddress(address): ClientAddress, headers: HeaderMap, multipart: Multipart) -> Response {
    let mut submission = match read_submission(&state, multipart).await {
        Ok(submission) => submission,
        Err((mut submission, error)) => {
            tracing::info!(code = %error.problem.code, "recovery request could not be read");
            submission.discard(&state).await;
            return error_page(error);
        }
    };

    let csrf_valid = cookie_token(&headers).is_some_and(|expected| tokens_match(&submission.fields.csrf_token, &expected));
    if !csrf_valid {
        submission.discard(&state).await;
        tracing::info!("recovery request rejected: CSRF token missing or wrong");
        return error_page(ApiError::forbidden().with_code("csrf_failed"));
    }
    let token = submission.fields.csrf_token.clone();

    if let Some(address) = address
        && let Err(error) = crate::limits::hit(&state, &address_key(address), state.config.accounts.recoveries_per_address).await
    {
        submission.discard(&state).await;
        let page = render(&RequestPage::new(token, &submission.fields, Some(error.problem.message.clone())));
        return super::with_retry_after(with_status(page, error.status), &error);
    }

    // A file input comes back empty, so a problem with the text also requests the scan again.
    let (login, full_name, new_contact) = match validate_fields(&submission.fields) {
        Ok(valid) => valid,
        Err(message) => {
            submission.discard(&state).await;
            let message = format!("{message} {}", Tr.t("recovery-scan-again"));
            return with_status(render(&RequestPage::new(token, &submission.fields, Some(message))), StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    if let Some(message) = scan_problem(&submission) {
        submission.discard(&state).await;
        return with_status(render(&RequestPage::new(token, &submission.fields, Some(message))), StatusCode::UNPROCESSABLE_ENTITY);
    }

    match store_request(&state, &mut submission, &login, full_name, &new_contact).await {
        Ok(()) => Redirect::to("/password/recovery/sent").into_response(),
        Err(error) => {
            tracing::warn!(code = %error.problem.code, "recovery request could not be stored");
            submission.discard(&state).await;
            error_page(error)
        }
    }
}

/// Keeps the scan and stores the request when the login belongs to an enabled resident's account
/// under its limit, and drops the scan otherwise. Both outcomes return Ok, so the response is the
/// same. Staff accounts are left out, because a moderator could otherwise take over the account
/// of an administrator.
async fn store_request(state: &AppState, submission: &mut Submission, login: &Login, full_name: String, new_contact: &Login) -> Result<(), ApiError> {
    let user = match find_user(state, login).await? {
        Some(user) if !user.disabled && user.role == Role::Resident => user,
        _ => {
            tracing::info!("recovery request for an unknown, disabled or staff login dropped");
            submission.discard(state).await;
            return Ok(());
        }
    };
    let limit = state.config.accounts.recoveries_per_account;
    let recent = state.store.count_recovery_requests_since(user.id, Utc::now() - limit.window).await?;
    if recent >= limit.max {
        tracing::info!(user.id = user.id, recent, "recovery request dropped: too many requests for the account");
        submission.discard(state).await;
        return Ok(());
    }

    let Some(scan) = submission.scan.clone() else {
        return Err(ApiError::internal("a validated recovery request has no scan"));
    };
    if let Err(error) = state.files.commit(&scan.key).await {
        tracing::error!(%error, storage = %state.files.location(), "failed to move a passport scan to the file storage");
        return Err(ApiError::internal(error));
    }
    let request = NewRecoveryRequest {
        user_id: user.id,
        new_contact: new_contact.text().to_owned(),
        full_name,
        scan_key: scan.key.clone(),
        scan_kind: scan.kind.code().to_owned(),
        created_at: Utc::now(),
    };
    let stored = state.store.create_recovery_request(&request).await?;
    // The scan now belongs to the stored request and must not be removed with the submission.
    submission.scan = None;
    let method = match new_contact {
        Login::Email(_) => "new_contact=email",
        Login::Phone(_) => "new_contact=phone",
    };
    auth::record_audit(state, None, "recovery.requested", format!("recovery:{}", stored.id), &format!("user:{} {method}", user.id)).await;
    tracing::info!(recovery.id = stored.id, user.id = user.id, "recovery request stored");
    Ok(())
}

#[derive(Template)]
#[template(path = "recovery_sent.html")]
struct SentPage {
    layout: Layout,
    t: Tr,
}

pub async fn sent() -> Response {
    render(&SentPage { layout: Layout::anonymous(Tr.t("recovery-sent-title")), t: Tr })
}

#[derive(Template)]
#[template(path = "password_change.html")]
struct ChangePage {
    layout: Layout,
    t: Tr,
    password_hint: String,
    error: Option<String>,
}

async fn change_page(state: &AppState, signed: &auth::Signed, error: Option<String>, status: StatusCode) -> Response {
    let layout = Layout::for_user(state, signed, Tr.t("recovery-change-title")).await;
    let password_hint = Tr.t_with("accounts-password-hint", &[("min", (auth::MIN_PASSWORD_CHARS as i64).into())]);
    with_status(render(&ChangePage { layout, t: Tr, password_hint, error }), status)
}

/// Checks the temporary password of the signed-in person: Ok(false) when the password is not
/// temporary, and an error page that signs the person out when it expired.
async fn temporary_password_state(state: &AppState, signed: &auth::Signed) -> Result<bool, Response> {
    let expires_at = match state.store.temporary_password_expiry(signed.user.id).await {
        Ok(expires_at) => expires_at,
        Err(error) => return Err(error_page(error.into())),
    };
    match expires_at {
        None => Ok(false),
        Some(expires_at) if expires_at > Utc::now() => Ok(true),
        Some(_) => {
            if let Err(error) = state.store.delete_user_sessions(signed.user.id).await {
                return Err(error_page(error.into()));
            }
            let mut error = ApiError::unauthorized().with_code("temporary_password_expired");
            error.problem.message = Tr.t("recovery-temporary-expired");
            Err(([(SET_COOKIE, auth::expired_session_cookie(state))], error_page(error)).into_response())
        }
    }
}

pub async fn change_form(State(state): State<AppState>, PageUser(signed): PageUser) -> Response {
    match temporary_password_state(&state, &signed).await {
        Ok(true) => change_page(&state, &signed, None, StatusCode::OK).await,
        Ok(false) => Redirect::to("/account").into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    csrf_token: Option<String>,
    password: String,
    password_repeat: String,
}

/// Replaces the temporary password with one the person chose, which ends the forced change.
pub async fn change(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<ChangeForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    match temporary_password_state(&state, &signed).await {
        Ok(true) => {}
        Ok(false) => return Redirect::to("/account").into_response(),
        Err(response) => return response,
    }
    let refuse = async |message: String| change_page(&state, &signed, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await;

    if form.password != form.password_repeat {
        return refuse(Tr.t("accounts-password-mismatch")).await;
    }
    let login = signed.user.phone.clone().unwrap_or_else(|| signed.user.email.clone());
    if let Some(problem) = accounts::password_problem(&form.password, &login) {
        return refuse(Tr.t_with(problem, &[("min", (auth::MIN_PASSWORD_CHARS as i64).into())])).await;
    }
    let found = match &signed.user.phone {
        Some(phone) => state.store.user_by_phone(phone).await,
        None => state.store.user_by_email(&signed.user.email).await,
    };
    let current_hash = match found {
        Ok(Some((_, hash))) => hash,
        Ok(None) => return error_page(ApiError::not_found()),
        Err(error) => return error_page(error.into()),
    };
    if auth::verify_password(form.password.clone(), current_hash).await {
        return refuse(Tr.t("recovery-change-same")).await;
    }

    let hash = match auth::hash_password(form.password.clone()).await {
        Ok(hash) => hash,
        Err(error) => return error_page(ApiError::internal(error)),
    };
    if let Err(error) = state.store.set_password_hash(signed.user.id, &hash).await {
        return error_page(error.into());
    }
    auth::record_audit(&state, Some(signed.user.id), "password.temporary_replaced", format!("user:{}", signed.user.id), "").await;
    tracing::info!(user.id = signed.user.id, "temporary password replaced");
    Redirect::to("/").into_response()
}
