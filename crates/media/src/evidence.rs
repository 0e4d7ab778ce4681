//! The checks and copies made once per stored photo or video: a full verification that an image
//! decodes, its metadata, and its metadata-free preview and thumbnail.

use std::path::Path;

use crate::derive::{DeriveError, Derived, PREVIEW_FILE_NAME, THUMBNAIL_FILE_NAME, derive_images};
use crate::kind::FileKind;
use crate::metadata::{Metadata, read_metadata};
use crate::verify::{VerifyError, verify_image};

/// What was learnt from one evidence file.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub metadata: Metadata,
    /// Whether `preview.jpg` and `thumbnail.jpg` exist in the derived directory.
    pub has_preview: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The file has an image's signature but does not decode: truncated, bad checksums, or too
    /// many pixels to process safely.
    #[error("image is damaged: {0}")]
    Damaged(#[from] VerifyError),
    #[error("previews could not be made: {0}")]
    Derive(#[from] DeriveError),
}

/// Verifies an image, reads the metadata of a photo or video and makes the derived images.
/// Blocking: run it on a blocking thread. Previews already present are kept, so a file stored
/// twice is processed once.
pub fn process_evidence(original: &Path, kind: FileKind, derived_dir: &Path) -> Result<Evidence, EvidenceError> {
    if !kind.is_evidence() {
        return Ok(Evidence { metadata: Metadata::default(), has_preview: false });
    }
    if kind.is_image() {
        verify_image(original, kind)?;
    }

    let metadata = read_metadata(original, kind);
    if !kind.is_image() {
        return Ok(Evidence { metadata, has_preview: false });
    }

    let already_made = derived_dir.join(PREVIEW_FILE_NAME).exists() && derived_dir.join(THUMBNAIL_FILE_NAME).exists();
    if !already_made {
        std::fs::create_dir_all(derived_dir).map_err(DeriveError::Io)?;
        let _: Derived = derive_images(original, kind, metadata.orientation, derived_dir)?;
    }
    Ok(Evidence { metadata, has_preview: true })
}
