//! Upload checks by content and content-addressed file storage for Pomoshnik.
//!
//! Uploads are evidence, so their kind is decided from the bytes (magic numbers and container
//! structure), never from the file name or the declared content type. Files are streamed to disk,
//! stored byte for byte and addressed by their SHA-256, in a local directory or in an
//! S3-compatible bucket ([`S3Config`]). Stored photos and videos can then be
//! verified ([`verify_image`]), have their metadata read ([`read_metadata`]) and get
//! metadata-free previews ([`derive_images`], and [`derive_video_poster`] for videos when
//! `ffmpeg` is installed).

mod bucket;
mod decode;
mod derive;
mod error;
mod evidence;
mod kind;
mod metadata;
mod name;
mod ole;
mod sniff;
mod store;
mod verify;
mod zip;

pub use bucket::S3Config;
pub use decode::DEFAULT_MAX_PIXELS;
pub use derive::{
    DeriveError, DeriveOptions, Derived, DerivedImage, PREVIEW_FILE_NAME, PosterOptions,
    THUMBNAIL_FILE_NAME, derive_images, derive_images_with, derive_video_poster, fit_within,
};
pub use error::UploadError;
pub use evidence::{Evidence, EvidenceError, process_evidence, process_evidence_with};
pub use kind::{FileKind, MAX_FILE_BYTES, MAX_FILES_PER_SUBMISSION};
pub use metadata::{GpsPoint, Metadata, read_metadata};
pub use name::sanitize_file_name;
pub use store::{ByteStream, FileStore, StoredFile};
pub use verify::{VerifyError, verify_image};
