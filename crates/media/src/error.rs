//! Errors returned while receiving an upload.

use crate::kind::FileKind;

/// Reason an upload was not stored. `file_name` fields contain the sanitised name.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("file {file_name:?} is empty")]
    Empty { file_name: String },

    /// The content matches none of the allowed kinds. The file name plays no part in this.
    #[error(
        "file {file_name:?} is not an allowed type. Allowed types are JPEG, PNG, MP4, PDF, DOC, DOCX, XLS and XLSX"
    )]
    TypeNotAllowed { file_name: String },

    #[error("file {file_name:?} is larger than the {limit_bytes}-byte limit for {kind} files")]
    TooLarge {
        file_name: String,
        kind: FileKind,
        limit_bytes: u64,
    },

    /// A DOCX or XLSX whose entries would unpack to more than 200 MiB, or to more than 100
    /// times the compressed size once past 10 MiB (a zip bomb).
    #[error(
        "file {file_name:?} unpacks to {uncompressed_bytes} bytes from {compressed_bytes} compressed bytes, which is more than a document may contain"
    )]
    ArchiveExpandsTooMuch {
        file_name: String,
        uncompressed_bytes: u64,
        compressed_bytes: u64,
    },

    /// The request body stream failed, for example because the client disconnected.
    #[error("failed to read file {file_name:?} from the request: {message}")]
    Read { file_name: String, message: String },

    #[error("failed to store the file: {0}")]
    Storage(#[from] std::io::Error),
}

impl UploadError {
    /// Returns the sanitised file name the error refers to, if any.
    pub fn file_name(&self) -> Option<&str> {
        match self {
            UploadError::Empty { file_name }
            | UploadError::TypeNotAllowed { file_name }
            | UploadError::TooLarge { file_name, .. }
            | UploadError::ArchiveExpandsTooMuch { file_name, .. }
            | UploadError::Read { file_name, .. } => Some(file_name),
            UploadError::Storage(_) => None,
        }
    }

    /// Returns a stable code that the web layer maps to a translated message.
    pub fn code(&self) -> &'static str {
        match self {
            UploadError::Empty { .. } => "file_empty",
            UploadError::TypeNotAllowed { .. } => "file_type_not_allowed",
            UploadError::TooLarge { .. } => "file_too_large",
            UploadError::ArchiveExpandsTooMuch { .. } => "file_archive_too_large",
            UploadError::Read { .. } => "file_read_failed",
            UploadError::Storage(_) => "storage_failed",
        }
    }
}
