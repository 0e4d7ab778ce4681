//! The moderators' review of account recovery requests: the queue, a request with its passport
//! scan, approval with a temporary password and refusal with a reason. Only moderators and
//! administrators see these pages, and everyone else gets 404. Pages that show a request and the
//! scan itself are sent with `Cache-Control: no-store`.

use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::role::Role;
use pomoshnik_media::FileKind;
use pomoshnik_store::{RecoveryApproval, RecoveryRequest, RecoveryState, StoreError};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{self, PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::recovery;
use crate::state::AppState;
use crate::views::moscow_time;

/// Maximum length of a refusal reason, in characters.
const MAX_REASON_CHARS: usize = 1000;
/// Requests shown on the queue page.
const QUEUE_LIMIT: i64 = 200;

fn reviews_recovery(signed: &Signed) -> bool {
    matches!(signed.user.role, Role::Moderator | Role::Admin)
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

async fn audit(state: &AppState, signed: &Signed, action: &str, request: &RecoveryRequest) {
    auth::record_audit(state, Some(signed.user.id), action, format!("recovery:{}", request.id), &format!("user:{}", request.user_id)).await;
}

struct QueueItem {
    id: i64,
    label: String,
    created_text: String,
    full_name: String,
}

#[derive(Template)]
#[template(path = "staff_recovery.html")]
struct QueuePage {
    layout: Layout,
    t: Tr,
    items: Vec<QueueItem>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    done: Option<String>,
}

pub async fn queue(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<QueueQuery>) -> Response {
    if !reviews_recovery(&signed) {
        return error_page(ApiError::not_found());
    }
    let requests = match state.store.pending_recovery_requests(QUEUE_LIMIT).await {
        Ok(requests) => requests,
        Err(error) => return error_page(error.into()),
    };
    let items = requests.into_iter().map(|request| QueueItem { id: request.id, label: Tr.t_with("recovery-queue-request", &[("id", request.id.into())]), created_text: moscow_time(request.created_at), full_name: request.full_name }).collect();
    let notice = match query.done.as_deref() {
        Some("approved") => Some(Tr.t("recovery-done-approved")),
        Some("approved_not_sent") => Some(Tr.t("recovery-done-approved-not-sent")),
        Some("refused") => Some(Tr.t("recovery-done-refused")),
        Some("refused_not_sent") => Some(Tr.t("recovery-done-refused-not-sent")),
        _ => None,
    };
    let layout = Layout::for_user(&state, &signed, Tr.t("recovery-queue-title")).await;
    no_store(render(&QueuePage { layout, t: Tr, items, notice }))
}

#[derive(Template)]
#[template(path = "staff_recovery_request.html")]
struct RequestPage {
    layout: Layout,
    t: Tr,
    id: i64,
    title: String,
    account_login: String,
    account_created: String,
    full_name: String,
    new_contact: String,
    created_text: String,
    pending: bool,
    /// Whether the scan is an image shown on the page. A PDF gets a link instead.
    scan_is_image: bool,
    scan_alt: String,
    /// Outcome of a reviewed request.
    outcome: Option<String>,
    reason: String,
    error: Option<String>,
}

/// Loads a request for a moderator or an administrator. Everyone else, and unknown ids, get 404.
async fn reviewable(state: &AppState, signed: &Signed, id: &str) -> Result<RecoveryRequest, ApiError> {
    if !reviews_recovery(signed) {
        return Err(ApiError::not_found());
    }
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    state.store.recovery_request(id).await?.ok_or_else(ApiError::not_found)
}

async fn request_page(state: &AppState, signed: &Signed, request: &RecoveryRequest, reason: String, error: Option<String>, status: StatusCode) -> Response {
    let user = match state.store.user(request.user_id).await {
        Ok(Some(user)) => user,
        Ok(None) => return error_page(ApiError::not_found()),
        Err(error) => return error_page(error.into()),
    };
    let reviewed_text = request.reviewed_at.map(moscow_time).unwrap_or_default();
    let outcome = match request.state {
        RecoveryState::Pending => None,
        RecoveryState::Approved => Some(Tr.t_with("recovery-review-state-approved", &[("at", reviewed_text.into())])),
        RecoveryState::Refused => {
            let refusal = request.refusal_reason.clone().unwrap_or_default();
            Some(Tr.t_with("recovery-review-state-refused", &[("at", reviewed_text.into()), ("reason", refusal.into())]))
        }
    };
    let scan_kind = request.scan_kind.as_deref().and_then(FileKind::from_code);
    let title = Tr.t_with("recovery-review-title", &[("id", request.id.into())]);
    let page = RequestPage {
        layout: Layout::for_user(state, signed, title.clone()).await,
        t: Tr,
        id: request.id,
        title,
        account_login: user.phone.clone().unwrap_or_else(|| user.email.clone()),
        account_created: moscow_time(user.created_at),
        full_name: request.full_name.clone(),
        new_contact: request.new_contact.clone(),
        created_text: moscow_time(request.created_at),
        pending: request.state == RecoveryState::Pending && request.scan_key.is_some(),
        scan_is_image: scan_kind.is_some_and(FileKind::is_image),
        scan_alt: Tr.t_with("recovery-review-scan-alt", &[("id", request.id.into())]),
        outcome,
        reason,
        error,
    };
    no_store(with_status(render(&page), status))
}

pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser, Path(id): Path<String>) -> Response {
    match reviewable(&state, &signed, &id).await {
        Ok(request) => request_page(&state, &signed, &request, String::new(), None, StatusCode::OK).await,
        Err(error) => error_page(error),
    }
}

/// Serves the passport scan of a pending request, never cached.
pub async fn scan(State(state): State<AppState>, PageUser(signed): PageUser, Path(id): Path<String>) -> Response {
    let request = match reviewable(&state, &signed, &id).await {
        Ok(request) => request,
        Err(error) => return error_page(error),
    };
    let (Some(key), Some(kind)) = (request.scan_key.as_deref(), request.scan_kind.as_deref().and_then(FileKind::from_code)) else {
        return error_page(ApiError::not_found());
    };
    let content = match state.files.read(key).await {
        Ok(content) => content,
        Err(error) => {
            tracing::warn!(%error, recovery.id = request.id, "passport scan missing from the file storage");
            return error_page(ApiError::not_found());
        }
    };
    let headers = [
        (CONTENT_TYPE, kind.mime_type().to_owned()),
        (CONTENT_DISPOSITION, format!("inline; filename=\"scan-{}.{}\"", request.id, kind.code())),
        (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (CACHE_CONTROL, "no-store".to_owned()),
    ];
    (headers, Body::from_stream(content)).into_response()
}

/// Returns the request a decision form names once the CSRF token is checked, or the response to
/// send instead: 404 for what the reviewer may not see, 409 for a request already decided.
async fn pending_for_decision(state: &AppState, signed: &Signed, id: &str, csrf_token: Option<&str>) -> Result<RecoveryRequest, Response> {
    let request = reviewable(state, signed, id).await.map_err(error_page)?;
    signed.check_csrf(csrf_token).map_err(error_page)?;
    if request.state != RecoveryState::Pending {
        return Err(request_page(state, signed, &request, String::new(), Some(Tr.t("recovery-review-already")), StatusCode::CONFLICT).await);
    }
    Ok(request)
}

#[derive(Deserialize)]
pub struct ApproveForm {
    csrf_token: Option<String>,
}

/// Approves a request: the account gets a temporary password, the new contact and no sessions,
/// the scan is deleted and the password goes to the new contact.
pub async fn approve(State(state): State<AppState>, PageUser(signed): PageUser, Path(id): Path<String>, Form(form): Form<ApproveForm>) -> Response {
    let request = match pending_for_decision(&state, &signed, &id, form.csrf_token.as_deref()).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    // The form stores requests of residents only, but the role may have changed since.
    match state.store.user(request.user_id).await {
        Ok(Some(user)) if user.role == Role::Resident => {}
        Ok(_) => return request_page(&state, &signed, &request, String::new(), Some(Tr.t("recovery-review-staff")), StatusCode::CONFLICT).await,
        Err(error) => return error_page(error.into()),
    }

    let password = recovery::generate_temporary_password();
    let password_hash = match auth::hash_password(password.clone()).await {
        Ok(hash) => hash,
        Err(error) => return error_page(ApiError::internal(error)),
    };
    let now = Utc::now();
    let approval = RecoveryApproval { reviewer_id: signed.user.id, at: now, password_hash, expires_at: now + recovery::TEMPORARY_PASSWORD_LIFETIME };
    let approved = match state.store.approve_recovery_request(request.id, &approval).await {
        Ok(approved) => approved,
        Err(StoreError::Duplicate(_)) => {
            return request_page(&state, &signed, &request, String::new(), Some(Tr.t("recovery-review-contact-taken")), StatusCode::CONFLICT).await;
        }
        Err(StoreError::NotFound) => {
            return request_page(&state, &signed, &request, String::new(), Some(Tr.t("recovery-review-already")), StatusCode::CONFLICT).await;
        }
        Err(error) => return error_page(error.into()),
    };
    if let Some(key) = &request.scan_key {
        recovery::delete_scan(&state, key).await;
    }
    audit(&state, &signed, "recovery.approve", &approved).await;

    let sent = recovery::send_to_contact(&state, &approved.new_contact, &recovery::approval_text(&password)).await;
    let done = match sent {
        Ok(()) => "approved",
        Err(error) => {
            tracing::warn!(recovery.id = approved.id, %error, "could not send the temporary password");
            "approved_not_sent"
        }
    };
    tracing::info!(recovery.id = approved.id, user.id = approved.user_id, "recovery request approved");
    Redirect::to(&format!("/staff/recovery?done={done}")).into_response()
}

#[derive(Deserialize)]
pub struct RefuseForm {
    csrf_token: Option<String>,
    #[serde(default)]
    reason: String,
}

/// Refuses a request with a reason, deletes the scan and sends the reason to the new contact.
pub async fn refuse(State(state): State<AppState>, PageUser(signed): PageUser, Path(id): Path<String>, Form(form): Form<RefuseForm>) -> Response {
    let request = match pending_for_decision(&state, &signed, &id, form.csrf_token.as_deref()).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() {
        return request_page(&state, &signed, &request, reason, Some(Tr.t("recovery-review-reason-missing")), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        let message = Tr.t_with("recovery-review-reason-long", &[("max", (MAX_REASON_CHARS as i64).into())]);
        return request_page(&state, &signed, &request, reason, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    let refused = match state.store.refuse_recovery_request(request.id, signed.user.id, &reason, Utc::now()).await {
        Ok(refused) => refused,
        Err(StoreError::NotFound) => {
            return request_page(&state, &signed, &request, String::new(), Some(Tr.t("recovery-review-already")), StatusCode::CONFLICT).await;
        }
        Err(error) => return error_page(error.into()),
    };
    if let Some(key) = &request.scan_key {
        recovery::delete_scan(&state, key).await;
    }
    audit(&state, &signed, "recovery.refuse", &refused).await;

    let done = match recovery::send_to_contact(&state, &refused.new_contact, &recovery::refusal_text(&reason)).await {
        Ok(()) => "refused",
        Err(error) => {
            tracing::warn!(recovery.id = refused.id, %error, "could not send the refusal");
            "refused_not_sent"
        }
    };
    tracing::info!(recovery.id = refused.id, "recovery request refused");
    Redirect::to(&format!("/staff/recovery?done={done}")).into_response()
}
