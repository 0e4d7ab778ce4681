//! The checks and copies made once per stored photo or video: a full verification that an image
//! decodes, its metadata, and its metadata-free preview and thumbnail (of one frame for a video).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::derive::{DeriveError, Derived, PREVIEW_FILE_NAME, PosterOptions, THUMBNAIL_FILE_NAME, derive_images, derive_video_poster};
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

/// Set once the missing `ffmpeg` has been logged as a warning; later uploads log it at debug.
static MISSING_DECODER_WARNED: AtomicBool = AtomicBool::new(false);

/// Verifies an image, reads the metadata of a photo or video and makes the derived images, with
/// `ffmpeg` from `PATH` for video posters. See [`process_evidence_with`].
pub fn process_evidence(original: &Path, kind: FileKind, derived_dir: &Path) -> Result<Evidence, EvidenceError> {
    process_evidence_with(original, kind, derived_dir, &PosterOptions::default())
}

/// Verifies an image, reads the metadata of a photo or video and makes the derived images.
/// Blocking: run it on a blocking thread. Previews already present are kept, so a file stored
/// twice is processed once. A video whose poster cannot be made (no `ffmpeg`, an undecodable
/// stream, the time limit) is still accepted with its metadata and without a preview, and the
/// reason is logged as a warning.
pub fn process_evidence_with(original: &Path, kind: FileKind, derived_dir: &Path, poster: &PosterOptions) -> Result<Evidence, EvidenceError> {
    if !kind.is_evidence() {
        return Ok(Evidence { metadata: Metadata::default(), has_preview: false });
    }
    if kind.is_image() {
        verify_image(original, kind)?;
    }

    let metadata = read_metadata(original, kind);
    let already_made = derived_dir.join(PREVIEW_FILE_NAME).exists() && derived_dir.join(THUMBNAIL_FILE_NAME).exists();
    if already_made {
        return Ok(Evidence { metadata, has_preview: true });
    }

    std::fs::create_dir_all(derived_dir).map_err(DeriveError::Io)?;
    if kind.is_image() {
        let _: Derived = derive_images(original, kind, metadata.orientation, derived_dir)?;
        return Ok(Evidence { metadata, has_preview: true });
    }

    let options = crate::DeriveOptions::default();
    let has_preview = match derive_video_poster(original, metadata.duration_seconds, derived_dir, &options, poster) {
        Ok(_) => true,
        Err(error @ DeriveError::VideoDecoderMissing { .. }) => {
            if MISSING_DECODER_WARNED.swap(true, Ordering::Relaxed) {
                tracing::debug!(%error, "video has no poster");
            } else {
                tracing::warn!(%error, "ffmpeg is missing, so videos get no poster until it is installed (logged once)");
            }
            false
        }
        Err(error) => {
            tracing::warn!(%error, "video has no poster; the original is kept");
            false
        }
    };
    Ok(Evidence { metadata, has_preview })
}
