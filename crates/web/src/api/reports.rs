use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use pomoshnik_core::status::{Decision, RejectionReason, Status};
use pomoshnik_core::transition::TransitionRequest;
use pomoshnik_core::validation::ReportDraft;
use pomoshnik_store::{Created, ReportPage};
use serde::{Deserialize, Serialize};

use super::extract::{ApiJson, ApiQuery};
use crate::auth::ApiUser;
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::limits;
use crate::reports::{self, Submission};
use crate::state::AppState;
use crate::upload::{self, read_multipart};
use crate::views::ReportView;

/// Longest accepted `Idempotency-Key` header.
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;
const DEFAULT_PAGE_SIZE: i64 = 50;
const MAX_PAGE_SIZE: i64 = 200;

/// The `report` part of a submission.
#[derive(Deserialize)]
struct ReportInput {
    category: String,
    lat: Option<f64>,
    lon: Option<f64>,
    address: Option<String>,
    occurred_at: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    fields: BTreeMap<String, serde_json::Value>,
}

fn problem(code: &str, field: &str) -> Problem {
    Problem { code: code.to_owned(), message: Tr.error(code, &[]), field: Some(field.to_owned()) }
}

fn parse_report_part(text: Option<&str>) -> Result<(String, ReportDraft), ApiError> {
    let Some(text) = text else {
        return Err(ApiError::unprocessable(vec![problem("report_part_missing", "report")]));
    };
    let input: ReportInput = serde_json::from_str(text).map_err(|_| ApiError::unprocessable(vec![problem("report_part_invalid", "report")]))?;

    let occurred_at = match input.occurred_at.as_deref() {
        None => None,
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(time) => Some(time.with_timezone(&Utc)),
            Err(_) => return Err(ApiError::unprocessable(vec![problem("occurred_at_not_rfc3339", "occurred_at")])),
        },
    };
    let fields = input
        .fields
        .into_iter()
        .map(|(code, value)| {
            let text = match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            (code, text)
        })
        .collect();

    let draft = ReportDraft { latitude: input.lat, longitude: input.lon, address: input.address, occurred_at, description: input.description, fields, photos: 0, videos: 0 };
    Ok((input.category, draft))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().map_err(|_| ApiError::bad_request("idempotency_key_invalid"))?.trim();
    if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err(ApiError::bad_request("idempotency_key_invalid"));
    }
    Ok(Some(key.to_owned()))
}

/// Rejected uploads get the status of their rule (413, 415) when they are the only problem.
fn upload_failure(problems: Vec<Problem>) -> ApiError {
    let status = match problems.as_slice() {
        [only] if only.code == "file_too_large" => Some(StatusCode::PAYLOAD_TOO_LARGE),
        [only] if only.code == "file_type_not_allowed" => Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        _ => None,
    };
    let mut error = ApiError::unprocessable(problems);
    if let Some(status) = status {
        error.status = status;
    }
    error
}

pub async fn create(State(state): State<AppState>, ApiUser(signed): ApiUser, headers: HeaderMap, multipart: Multipart) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    let key = idempotency_key(&headers)?;
    if !signed.user.confirmed {
        return Err(ApiError::forbidden().with_code("account_not_confirmed"));
    }
    // Checked before the body is read, so a rejected request stores no files.
    let reports_key = limits::reports_key(signed.user.id);
    limits::check(&state, &reports_key, state.config.rate_limits.reports_per_resident).await?;
    let intake = read_multipart(&state, &signed.user, multipart, 0).await?;

    if !intake.problems.is_empty() {
        upload::discard(&state, &intake.files).await;
        return Err(upload_failure(intake.problems));
    }
    let (category, draft) = match parse_report_part(intake.field("report")) {
        Ok(parsed) => parsed,
        Err(error) => {
            upload::discard(&state, &intake.files).await;
            return Err(error);
        }
    };

    let submission = Submission { category, draft, files: intake.files.clone(), idempotency_key: key };
    let created = match reports::submit(&state, &signed.user, submission).await {
        Ok(created) => created,
        Err(error) => {
            upload::discard(&state, &intake.files).await;
            return Err(error);
        }
    };

    if let Created::New(_) = &created {
        limits::record(&state, &reports_key, state.config.rate_limits.reports_per_resident).await;
    }
    let status = match &created {
        Created::New(_) => StatusCode::CREATED,
        Created::Existing(_) => {
            // The first submission already holds its own copies of the files.
            upload::discard(&state, &intake.files).await;
            StatusCode::OK
        }
    };
    let view = full_view(&state, created.report()).await?;
    Ok((status, Json(view)))
}

async fn full_view(state: &AppState, report: &pomoshnik_store::Report) -> Result<ReportView, ApiError> {
    let catalog = state.store.catalog().await?;
    let events = state.store.report_events(report.id).await?;
    let files = state.store.report_files(report.id).await?;
    Ok(ReportView::full(state, report, &catalog, &events, &files, "/api/v1").with_original(state, report).await?)
}

async fn follower_view(state: &AppState, report: &pomoshnik_store::Report) -> Result<ReportView, ApiError> {
    let catalog = state.store.catalog().await?;
    let events = state.store.report_events(report.id).await?;
    Ok(ReportView::for_follower(state, report, &catalog, &events).with_original(state, report).await?)
}

#[derive(Deserialize)]
pub struct ListQuery {
    before: Option<i64>,
    limit: Option<i64>,
    /// Staff search over number, description, address and plate.
    q: Option<String>,
}

#[derive(Serialize)]
pub struct ReportList {
    reports: Vec<ReportView>,
    /// Pass as `before` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_before: Option<i64>,
}

pub async fn list(State(state): State<AppState>, ApiUser(signed): ApiUser, ApiQuery(query): ApiQuery<ListQuery>) -> Result<Json<ReportList>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let typed = query.q.as_deref().unwrap_or_default();
    let search = if typed.trim().is_empty() {
        None
    } else if signed.user.role == pomoshnik_core::role::Role::Resident {
        let mut error = ApiError::forbidden().with_code("search_staff_only");
        error.problem.message = Tr.t("search-staff-only");
        return Err(error);
    } else if typed.chars().count() > crate::pages::MAX_SEARCH_CHARS {
        let message = Tr.t_with("search-query-too-long", &[("max", (crate::pages::MAX_SEARCH_CHARS as i64).into())]);
        return Err(ApiError::unprocessable(vec![Problem { code: "search_query_too_long".to_owned(), message, field: Some("q".to_owned()) }]));
    } else {
        crate::pages::search_of(&signed.user, typed, query.before, limit)
    };
    let reports = match &search {
        Some(search) => state.store.search_reports(search).await?,
        None => state.store.reports(&ReportPage { queue: crate::pages::queue_of(&signed.user), before_id: query.before, limit }).await?,
    };
    let catalog = state.store.catalog().await?;

    let next_before = if reports.len() as i64 == limit { reports.last().map(|report| report.id) } else { None };
    let reports = reports.iter().map(|report| list_view(&state, &signed.user, report, &catalog)).collect();
    Ok(Json(ReportList { reports, next_before }))
}

/// Builds a list entry. A resident's list also contains the reports they follow, shown as a
/// follower may read them.
pub(crate) fn list_view(state: &AppState, user: &pomoshnik_store::User, report: &pomoshnik_store::Report, catalog: &pomoshnik_core::catalog::Catalog) -> ReportView {
    if user.role == pomoshnik_core::role::Role::Resident && report.author_id != user.id {
        let mut view = ReportView::for_follower(state, report, catalog, &[]);
        view.events = None;
        view.files = None;
        view
    } else {
        ReportView::summary(state, report, catalog)
    }
}

pub async fn show(State(state): State<AppState>, ApiUser(signed): ApiUser, Path(number): Path<String>) -> Result<Json<ReportView>, ApiError> {
    let (report, access) = reports::readable_report(&state, &signed.user, &number).await?;
    if report.author_id == signed.user.id || access == reports::Access::Follower {
        state.store.mark_notifications_read(signed.user.id, report.id, Utc::now()).await?;
    }
    let view = match access {
        reports::Access::Full => full_view(&state, &report).await?.with_vehicle_owner(&state, &signed.user, &report).await?,
        reports::Access::Follower => follower_view(&state, &report).await?,
    };
    Ok(Json(view))
}

/// Makes the signed-in resident a follower of a possible duplicate: 201 when they join, 200 when
/// they already followed it.
pub async fn follow(State(state): State<AppState>, ApiUser(signed): ApiUser, Path(number): Path<String>) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    let (report, added) = reports::join(&state, &signed.user, &number).await?;
    let status = if added { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(follower_view(&state, &report).await?)))
}

#[derive(Deserialize)]
pub struct TransitionInput {
    to: String,
    comment: Option<String>,
    decision: Option<String>,
    reason: Option<String>,
    agency: Option<String>,
    /// Number of the original when rejecting with the reason `duplicate`.
    duplicate_of: Option<String>,
    /// The report version the client saw; a change made since is reported as a conflict.
    version: Option<i64>,
}

fn parse_code<T>(code: Option<&str>, parse: fn(&str) -> Option<T>, field: &str) -> Result<Option<T>, ApiError> {
    match code {
        None | Some("") => Ok(None),
        Some(code) => parse(code).map(Some).ok_or_else(|| ApiError::unprocessable(vec![problem(&format!("{field}_unknown"), field)])),
    }
}

/// Parses the number of an original; an empty value counts as absent.
pub(crate) fn parse_original(text: Option<&str>) -> Result<Option<pomoshnik_core::number::ReportNumber>, ApiError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| ApiError::unprocessable(vec![problem("duplicate_of_not_found", "duplicate_of")])),
    }
}

pub async fn transition(
    State(state): State<AppState>,
    ApiUser(signed): ApiUser,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<TransitionInput>,
) -> Result<Json<ReportView>, ApiError> {
    let report = reports::visible_report(&state, &signed.user, &number).await?;

    let Some(to) = Status::from_code(&input.to) else {
        return Err(ApiError::unprocessable(vec![problem("status_unknown", "to")]));
    };
    let request = TransitionRequest {
        to,
        comment: input.comment,
        decision: parse_code(input.decision.as_deref(), Decision::from_code, "decision")?,
        reason: parse_code(input.reason.as_deref(), RejectionReason::from_code, "reason")?,
        agency: input.agency.filter(|agency| !agency.is_empty()),
        duplicate_of: parse_original(input.duplicate_of.as_deref())?,
    };
    let updated = reports::change_status(&state, &signed.user, &report, request, input.version).await?;
    Ok(Json(full_view(&state, &updated).await?))
}

#[derive(Deserialize)]
pub struct RatingInput {
    score: i64,
    comment: Option<String>,
}

#[derive(Serialize)]
pub struct RatingOutput {
    score: i64,
    comment: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// `POST /api/v1/reports/{number}/rating`: the author rates a resolved report from 1 to 5.
pub async fn rate(
    State(state): State<AppState>,
    ApiUser(signed): ApiUser,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<RatingInput>,
) -> Result<Json<RatingOutput>, ApiError> {
    let rating = reports::rate(&state, &signed.user, &number, input.score, input.comment).await?;
    Ok(Json(RatingOutput { score: rating.score, comment: rating.comment, created_at: rating.created_at, updated_at: rating.updated_at }))
}
