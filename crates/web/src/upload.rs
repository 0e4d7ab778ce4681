//! Reading multipart submissions: text fields into memory (bounded), files streamed to the file
//! store, examined, moved to their storage and recorded as pending uploads of the person
//! submitting.

use axum::extract::Multipart;
use axum::extract::multipart::Field;
use chrono::Utc;
use futures_util::StreamExt;
use chrono::TimeZone;
use pomoshnik_core::deadline::CITY_TIME_ZONE;
use pomoshnik_media::{EvidenceError, MAX_FILES_PER_SUBMISSION, StoredFile, UploadError, process_evidence};
use pomoshnik_store::{FileMetadata, FileRecord, NewFile, User};

use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;

/// Maximum size of a text field in a multipart form, in bytes: a 5,000-character description in
/// Cyrillic takes about 10 KB.
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

/// The name of the parts that carry files.
const FILE_PART: &str = "files";

/// The parts of a multipart submission.
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
/// toward the limit of files per submission. When reading fails, the files this request stored
/// are removed before the error is returned.
pub async fn read_multipart(state: &AppState, owner: &User, multipart: Multipart, already_attached: usize) -> Result<Intake, ApiError> {
    let mut intake = Intake::default();
    if let Err(error) = read_parts(state, owner, multipart, already_attached, &mut intake).await {
        discard(state, &intake.files).await;
        return Err(error);
    }
    Ok(intake)
}

async fn read_parts(state: &AppState, owner: &User, mut multipart: Multipart, already_attached: usize, intake: &mut Intake) -> Result<(), ApiError> {
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
                let metadata = match examine(state, &stored).await {
                    Ok(metadata) => metadata,
                    Err(problem) => {
                        crate::metrics::upload_rejected(&problem.code);
                        discard_staged(state, &stored.key).await;
                        remove_unused_content(state, &stored.key).await;
                        intake.problems.push(problem);
                        continue;
                    }
                };
                if let Err(error) = state.files.commit(&stored.key).await {
                    tracing::error!(%error, key = %stored.key, storage = %state.files.location(), "failed to move an upload to the file storage");
                    discard_staged(state, &stored.key).await;
                    remove_unused_content(state, &stored.key).await;
                    return Err(ApiError::internal(error));
                }
                crate::metrics::upload_accepted(stored.size);
                let record = NewFile {
                    owner_id: owner.id,
                    storage_key: stored.key,
                    sha256: stored.sha256,
                    size: stored.size as i64,
                    kind: stored.kind.code().to_owned(),
                    original_name: stored.original_name,
                    created_at: Utc::now(),
                    metadata,
                };
                intake.files.push(state.store.add_file(&record).await?);
                file_count += 1;
            }
            Err(UploadError::Storage(cause)) => return Err(ApiError::internal(cause)),
            Err(UploadError::Read { .. }) => return Err(ApiError::bad_request("multipart_invalid")),
            Err(rejected) => {
                tracing::info!(code = rejected.code(), "upload rejected");
                crate::metrics::upload_rejected(rejected.code());
                intake.problems.push(Problem::from_upload_error(&rejected));
            }
        }
    }
    Ok(())
}

/// Verifies a stored photo or video, reads its metadata and makes its previews, on a blocking
/// thread. A damaged image is a problem for the resident to fix, named with the file.
async fn examine(state: &AppState, stored: &StoredFile) -> Result<FileMetadata, Problem> {
    let (Some(original), Some(derived)) = (state.files.path_of(&stored.key), state.files.derived_dir_of(&stored.key)) else {
        return Ok(FileMetadata::default());
    };
    let kind = stored.kind;
    let outcome = crate::heavy::run(move || process_evidence(&original, kind, &derived)).await;

    let evidence = match outcome {
        Ok(Ok(evidence)) => evidence,
        Ok(Err(EvidenceError::Damaged(cause))) => {
            tracing::info!(%cause, "damaged image rejected");
            let message = Tr.error("file_damaged", &[("file", stored.original_name.clone())]);
            return Err(Problem { code: "file_damaged".into(), message, field: Some(FILE_PART.into()) });
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "previews could not be made; the original is kept");
            return Ok(FileMetadata::default());
        }
        Err(error) => {
            tracing::error!(%error, "evidence processing task failed");
            return Ok(FileMetadata::default());
        }
    };

    let metadata = evidence.metadata;
    let taken_at = metadata.taken_at.map(|time| time.with_timezone(&Utc)).or_else(|| {
        // A camera that records no offset uses local time; residents photograph in Moscow.
        metadata.taken_at_local.and_then(|local| CITY_TIME_ZONE.from_local_datetime(&local).earliest()).map(|time| time.with_timezone(&Utc))
    });
    Ok(FileMetadata {
        gps_latitude: metadata.gps.map(|point| point.lat),
        gps_longitude: metadata.gps.map(|point| point.lon),
        taken_at,
        has_preview: evidence.has_preview,
    })
}

/// Maps a multipart error: a body over the size limit becomes 413, anything else a malformed form.
pub(crate) fn multipart_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        crate::metrics::upload_rejected("request_too_large");
        ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "request_too_large")
    } else {
        ApiError::bad_request("multipart_invalid")
    }
}

pub(crate) async fn read_text(mut field: Field<'_>) -> Result<String, ApiError> {
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

pub(crate) async fn drain(mut field: Field<'_>) -> Result<(), ApiError> {
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

/// Removes the local copies of a received file that a bucket was to keep.
pub(crate) async fn discard_staged(state: &AppState, storage_key: &str) {
    if let Err(error) = state.files.discard_staged(storage_key).await {
        tracing::warn!(%error, key = %storage_key, "could not remove the local copy of an upload");
    }
}

/// Removes stored content and its derived images unless a file record still refers to it.
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
