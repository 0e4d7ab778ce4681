//! Downloading a report's files. A file is served only to someone who may see its report.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use pomoshnik_core::number::ReportNumber;
use pomoshnik_media::{FileKind, PREVIEW_FILE_NAME, THUMBNAIL_FILE_NAME};
use pomoshnik_store::{FileRecord, User};

use crate::auth::{ApiUser, PageUser, urlencode};
use crate::error::ApiError;
use crate::reports::visible_report;
use crate::state::AppState;

pub async fn download_for_api(State(state): State<AppState>, ApiUser(signed): ApiUser, Path((number, file_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    serve(&state, &signed.user, &number, &file_id).await
}

pub async fn download_for_page(State(state): State<AppState>, PageUser(signed): PageUser, Path((number, file_id)): Path<(String, String)>) -> Response {
    serve(&state, &signed.user, &number, &file_id).await.unwrap_or_else(crate::pages::error_page)
}

pub async fn derived_for_api(
    State(state): State<AppState>,
    ApiUser(signed): ApiUser,
    Path((number, file_id, variant)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    serve_derived(&state, &signed.user, &number, &file_id, &variant).await
}

pub async fn derived_for_page(State(state): State<AppState>, PageUser(signed): PageUser, Path((number, file_id, variant)): Path<(String, String, String)>) -> Response {
    serve_derived(&state, &signed.user, &number, &file_id, &variant).await.unwrap_or_else(crate::pages::error_page)
}

pub async fn duplicate_thumbnail_for_api(State(state): State<AppState>, ApiUser(signed): ApiUser, Path(number): Path<String>) -> Result<Response, ApiError> {
    serve_duplicate_thumbnail(&state, &signed.user, &number).await
}

pub async fn duplicate_thumbnail_for_page(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>) -> Response {
    serve_duplicate_thumbnail(&state, &signed.user, &number).await.unwrap_or_else(crate::pages::error_page)
}

/// Serves the thumbnail of a report's first photo to any signed-in user while the report is
/// offered as a possible duplicate, so a resident can judge whether it is their problem. The
/// thumbnail carries no metadata and the route returns nothing else: no author, text or file
/// names. Reports of categories marked `personal_data` get 404, because their photos may show
/// vehicle plates; their authors and staff see the photos through the file routes.
async fn serve_duplicate_thumbnail(state: &AppState, user: &User, number: &str) -> Result<Response, ApiError> {
    let parsed: ReportNumber = number.parse().map_err(|_| ApiError::not_found())?;
    let report = state.store.report(&parsed).await?.ok_or_else(ApiError::not_found)?;
    let catalog = state.store.catalog().await?;
    let personal_data = catalog.category(&report.category_code).is_none_or(|category| category.personal_data);
    let offered = !personal_data && crate::reports::is_duplicate_candidate(&report, Utc::now());
    if !offered && !crate::reports::can_view(user, &report) {
        return Err(ApiError::not_found());
    }
    let files = state.store.report_files(report.id).await?;
    let file = files.into_iter().find(|file| file.metadata.has_preview).ok_or_else(ApiError::not_found)?;
    let content = state.files.read_derived(&file.storage_key, THUMBNAIL_FILE_NAME).await.map_err(|error| {
        tracing::warn!(%error, report.number = %report.number, file.id = file.id, "thumbnail missing from the file storage");
        ApiError::not_found()
    })?;
    let headers = [
        (CONTENT_TYPE, "image/jpeg".to_owned()),
        (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (CACHE_CONTROL, "private, max-age=600".to_owned()),
    ];
    Ok((headers, Body::from_stream(content)).into_response())
}

async fn visible_file(state: &AppState, user: &User, number: &str, file_id: &str) -> Result<FileRecord, ApiError> {
    let file_id: i64 = file_id.parse().map_err(|_| ApiError::not_found())?;
    let report = visible_report(state, user, number).await?;
    match state.store.file(file_id).await? {
        Some(file) if file.report_id == Some(report.id) => Ok(file),
        _ => Err(ApiError::not_found()),
    }
}

/// Serves the upright, metadata-free `preview` or `thumbnail` of a photo.
async fn serve_derived(state: &AppState, user: &User, number: &str, file_id: &str, variant: &str) -> Result<Response, ApiError> {
    let name = match variant {
        "preview" => PREVIEW_FILE_NAME,
        "thumbnail" => THUMBNAIL_FILE_NAME,
        _ => return Err(ApiError::not_found()),
    };
    let file = visible_file(state, user, number, file_id).await?;
    if !file.metadata.has_preview {
        return Err(ApiError::not_found());
    }
    let content = state.files.read_derived(&file.storage_key, name).await.map_err(|_| ApiError::not_found())?;
    let headers = [
        (CONTENT_TYPE, "image/jpeg".to_owned()),
        (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (CACHE_CONTROL, "private, max-age=3600".to_owned()),
    ];
    Ok((headers, Body::from_stream(content)).into_response())
}

async fn serve(state: &AppState, user: &User, number: &str, file_id: &str) -> Result<Response, ApiError> {
    let file = visible_file(state, user, number, file_id).await?;
    let kind = FileKind::from_code(&file.kind).ok_or_else(|| ApiError::internal(format!("file {} has unknown kind {}", file.id, file.kind)))?;

    let content = state.files.read(&file.storage_key).await.map_err(ApiError::internal)?;
    let disposition = if kind.is_evidence() { "inline" } else { "attachment" };
    let name = download_name(&file.original_name, kind);

    let headers = [
        (CONTENT_TYPE, kind.mime_type().to_owned()),
        (CONTENT_LENGTH, file.size.to_string()),
        (CONTENT_DISPOSITION, format!("{disposition}; filename=\"file.{}\"; filename*=UTF-8''{}", kind.code(), urlencode(&name))),
        (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (CACHE_CONTROL, "private, max-age=3600".to_owned()),
    ];
    Ok((headers, Body::from_stream(content)).into_response())
}

/// The name offered for saving: the resident's name with the extension of the real type, so a
/// document named `x.msi` is saved as `x.msi.pdf`, not as an installer.
fn download_name(original: &str, kind: FileKind) -> String {
    let extension = format!(".{}", kind.code());
    if original.to_lowercase().ends_with(&extension) || (kind == FileKind::Jpeg && original.to_lowercase().ends_with(".jpg")) {
        original.to_owned()
    } else {
        format!("{original}{extension}")
    }
}
