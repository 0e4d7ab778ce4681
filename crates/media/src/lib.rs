//! Upload checks by content and content-addressed file storage for Pomoshnik.
//!
//! Uploads are evidence, so their kind is decided from the bytes (magic numbers and container
//! structure), never from the file name or the declared content type. Files are streamed to disk,
//! stored byte for byte and addressed by their SHA-256.

mod error;
mod kind;
mod name;
mod ole;
mod sniff;
mod store;
mod zip;

pub use error::UploadError;
pub use kind::{FileKind, MAX_FILE_BYTES, MAX_FILES_PER_SUBMISSION};
pub use name::sanitize_file_name;
pub use store::{FileStore, StoredFile};
