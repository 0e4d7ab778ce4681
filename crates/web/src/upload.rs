//! Reading multipart submissions: text fields into memory (bounded), files streamed to the file
//! store and recorded as pending uploads of the person submitting.

use axum::extract::Multipart;
use axum::extract::multipart::Field;
use chrono::Utc;
use futures_util::StreamExt;
use pomoshnik_media::{MAX_FILES_PER_SUBMISSION, UploadError};
use pomoshnik_store::{FileRecord, NewFile, User};

use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;

/// Longest text field accepted in a multipart form, in bytes: a 5,000-character description in
/// Cyrillic takes about 10 KB.
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

/// The name of the parts that carry files.
const FILE_PART: &str = "files";

/// What a multipart submission contained.
#[derive(Default)]
pub struct Intake {
    /// Text parts in order, by name.
    pub fields: Vec<(String, String)>,
    /// Files stored by this request.
    pub files: Vec<FileRecord>,
    /// Files rejected, each with its reason.
    pub problems: Vec<Problem>,
}

impl Intake {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.fields.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// Reads every part. `already_attached` counts files kept from an earlier attempt, which count
/// toward the limit of files per submission.
pub async fn read_multipart(state: &AppState, owner: &User, mut multipart: Multipart, already_attached: usize) -> Result<Intake, ApiError> {
    let mut intake = Intake::default();
    let mut file_count = already_attached;

    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();

        if name != FILE_PART {
            let text = read_text(field).await?;
            intake.fields.push((name, text));
            continue;
        }

        let file_name = field.file_name().unwrap_or_default().to_owned();
        if file_name.is_empty() {
            // A file input left empty still sends a part with no name and no content.
            drain(field).await?;
            continue;
        }
        if file_count >= MAX_FILES_PER_SUBMISSION {
            drain(field).await?;
            let limit = MAX_FILES_PER_SUBMISSION.to_string();
            let message = Tr.error("too_many_files", &[("file", file_name.clone()), ("limit", limit)]);
            intake.problems.push(Problem { code: "too_many_files".into(), message, field: Some(FILE_PART.into()) });
            continue;
        }

        match state.files.receive(&file_name, Box::pin(field)).await {
            Ok(stored) => {
                let record = NewFile {
                    owner_id: owner.id,
                    storage_key: stored.key,
                    sha256: stored.sha256,
                    size: stored.size as i64,
                    kind: stored.kind.code().to_owned(),
                    original_name: stored.original_name,
                    created_at: Utc::now(),
                };
                intake.files.push(state.store.add_file(&record).await?);
                file_count += 1;
            }
            Err(UploadError::Storage(cause)) => return Err(ApiError::internal(cause)),
            Err(UploadError::Read { .. }) => return Err(ApiError::bad_request("multipart_invalid")),
            Err(rejected) => {
                tracing::info!(code = rejected.code(), "upload rejected");
                intake.problems.push(Problem::from_upload_error(&rejected));
            }
        }
    }
    Ok(intake)
}

/// A body over the size limit is reported as such (413); anything else is a malformed form.
fn multipart_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "request_too_large")
    } else {
        ApiError::bad_request("multipart_invalid")
    }
}

async fn read_text(mut field: Field<'_>) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_error)?;
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(ApiError::bad_request("field_too_large").with_field(&name));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::bad_request("invalid_utf8").with_field(&name))
}

async fn drain(mut field: Field<'_>) -> Result<(), ApiError> {
    while let Some(chunk) = field.next().await {
        chunk.map_err(multipart_error)?;
    }
    Ok(())
}

/// Removes uploads of a submission that was not accepted, unless another record still uses
/// the same content.
pub async fn discard(state: &AppState, files: &[FileRecord]) {
    for file in files {
        if let Err(error) = state.store.delete_pending_files_by_id(file.owner_id, &[file.id]).await {
            tracing::warn!(file.id = file.id, %error, "could not delete a pending upload");
            continue;
        }
        remove_unused_content(state, &file.storage_key).await;
    }
}

pub async fn remove_unused_content(state: &AppState, storage_key: &str) {
    match state.store.storage_key_in_use(storage_key).await {
        Ok(false) => {
            if let Err(error) = state.files.remove(storage_key).await {
                tracing::warn!(%error, "could not remove file content");
            }
        }
        Ok(true) => {}
        Err(error) => tracing::warn!(%error, "could not check whether file content is in use"),
    }
}
