//! Downloading a report's files. A file is served only to someone who may see its report.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use pomoshnik_media::FileKind;
use pomoshnik_store::User;
use tokio_util::io::ReaderStream;

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

async fn serve(state: &AppState, user: &User, number: &str, file_id: &str) -> Result<Response, ApiError> {
    let file_id: i64 = file_id.parse().map_err(|_| ApiError::not_found())?;
    let report = visible_report(state, user, number).await?;
    let file = match state.store.file(file_id).await? {
        Some(file) if file.report_id == Some(report.id) => file,
        _ => return Err(ApiError::not_found()),
    };
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
    Ok((headers, Body::from_stream(ReaderStream::new(content))).into_response())
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
