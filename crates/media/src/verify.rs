//! Structural checks and a full decode that prove a JPEG or PNG upload is a complete image.
//!
//! Sniffing looks at the first bytes only, so a truncated photo or a PNG with damaged chunks
//! passes it. [`verify_image`] catches those before the file is shown as evidence.

use std::fs;
use std::io;
use std::path::Path;

use crate::decode::{DEFAULT_MAX_PIXELS, DecodeFailure, decode_rgb};
use crate::kind::FileKind;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
/// Largest chunk length that the PNG specification allows (2^31 - 1).
const PNG_MAX_CHUNK_LENGTH: u32 = 0x7FFF_FFFF;

const JPEG_START_OF_IMAGE: u8 = 0xD8;
const JPEG_END_OF_IMAGE: u8 = 0xD9;
const JPEG_START_OF_SCAN: u8 = 0xDA;

/// Reason an image failed [`verify_image`].
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{kind} files are not images; only JPEG and PNG can be verified")]
    UnsupportedKind { kind: FileKind },

    #[error("file is {size} bytes, more than the {limit}-byte limit for its kind")]
    TooLarge { size: u64, limit: u64 },

    /// The file ends before the image does, for example after an interrupted copy.
    #[error("image is truncated: {0}")]
    Truncated(String),

    /// A PNG chunk's CRC-32 does not match its content.
    #[error("PNG chunk {chunk} at byte offset {offset} has an invalid CRC-32 checksum")]
    ChecksumMismatch { chunk: String, offset: u64 },

    /// The header declares more pixels than the decode limit. Nothing was decoded.
    #[error("image is {width}×{height} pixels, more than the limit of {limit} pixels")]
    TooManyPixels { width: u32, height: u32, limit: u64 },

    #[error("invalid image: {0}")]
    Invalid(String),

    #[error("failed to read the file: {0}")]
    Io(#[from] io::Error),
}

impl From<DecodeFailure> for VerifyError {
    fn from(failure: DecodeFailure) -> Self {
        match failure {
            DecodeFailure::TooManyPixels {
                width,
                height,
                limit,
            } => VerifyError::TooManyPixels {
                width,
                height,
                limit,
            },
            DecodeFailure::Invalid(message) => VerifyError::Invalid(message),
            DecodeFailure::NotAnImage => VerifyError::Invalid("not an image".to_owned()),
        }
    }
}

/// Checks that the JPEG or PNG at `path` is complete and decodes without error.
///
/// JPEG: the segments before the first scan must be well-formed and an end-of-image marker must
/// follow the scan data. PNG: every chunk's CRC-32 must match, `IHDR` must come first and `IEND`
/// must be present. Then the whole image is decoded (a JPEG at 1/8 size, which still reads all
/// entropy-coded data), after the header's pixel count is checked against 50 megapixels.
/// The file is read into memory, so files larger than [`FileKind::max_bytes`] are rejected.
pub fn verify_image(path: &Path, kind: FileKind) -> Result<(), VerifyError> {
    if !kind.is_image() {
        return Err(VerifyError::UnsupportedKind { kind });
    }
    let size = fs::metadata(path)?.len();
    if size > kind.max_bytes() {
        return Err(VerifyError::TooLarge {
            size,
            limit: kind.max_bytes(),
        });
    }
    let data = fs::read(path)?;

    match kind {
        FileKind::Jpeg => {
            check_jpeg_structure(&data)?;
            decode_rgb(&data, kind, DEFAULT_MAX_PIXELS, Some(1))?;
        }
        _ => {
            check_png_chunks(&data)?;
            decode_rgb(&data, kind, DEFAULT_MAX_PIXELS, None)?;
        }
    }
    Ok(())
}

/// Walks the JPEG segments up to the first start-of-scan and looks for the end-of-image marker
/// after it. Entropy-coded data escapes 0xFF as 0xFF00, so 0xFFD9 cannot occur inside a scan.
///
/// Bytes that are not 0xFF between segments are skipped, as libjpeg does with a warning, so
/// files with a slightly wrong segment length (seen in some Samsung phones' APP1) still pass.
fn check_jpeg_structure(data: &[u8]) -> Result<(), VerifyError> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != JPEG_START_OF_IMAGE {
        return Err(VerifyError::Invalid(
            "missing JPEG start-of-image marker".to_owned(),
        ));
    }

    let mut pos = 2;
    let scan_start = loop {
        let Some(offset) = data[pos..].iter().position(|&byte| byte == 0xFF) else {
            return Err(VerifyError::Truncated(
                "file ends before the image data".to_owned(),
            ));
        };
        pos += offset;
        let Some(&marker) = data.get(pos + 1) else {
            return Err(VerifyError::Truncated(
                "file ends inside a marker".to_owned(),
            ));
        };
        match marker {
            // Fill byte before a marker.
            0xFF => pos += 1,
            // Markers without a length: TEM and the restart markers.
            0x01 | 0xD0..=0xD7 => pos += 2,
            JPEG_START_OF_IMAGE | JPEG_END_OF_IMAGE => {
                return Err(VerifyError::Invalid(format!(
                    "unexpected marker 0xFF{marker:02X} at byte offset {pos} before the image data"
                )));
            }
            _ => {
                let Some(length) = data.get(pos + 2..pos + 4) else {
                    return Err(VerifyError::Truncated(
                        "file ends inside a segment header".to_owned(),
                    ));
                };
                let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
                let end = pos + 2 + length;
                if length < 2 || end > data.len() {
                    return Err(VerifyError::Truncated(format!(
                        "segment 0xFF{marker:02X} at byte offset {pos} runs past the end of the file"
                    )));
                }
                if marker == JPEG_START_OF_SCAN {
                    break end;
                }
                pos = end;
            }
        }
    };

    let has_end = data[scan_start..]
        .windows(2)
        .any(|pair| pair == [0xFF, JPEG_END_OF_IMAGE]);
    if !has_end {
        return Err(VerifyError::Truncated(
            "no end-of-image marker after the image data".to_owned(),
        ));
    }
    Ok(())
}

/// Checks the signature, the order of `IHDR` and `IEND` and the CRC-32 of every chunk.
fn check_png_chunks(data: &[u8]) -> Result<(), VerifyError> {
    if !data.starts_with(&PNG_SIGNATURE) {
        return Err(VerifyError::Invalid("missing PNG signature".to_owned()));
    }

    let mut pos = PNG_SIGNATURE.len();
    let mut first = true;
    loop {
        let Some(header) = data.get(pos..pos + 8) else {
            return Err(VerifyError::Truncated(
                "file ends before the IEND chunk".to_owned(),
            ));
        };
        let length = u32::from_be_bytes(header[..4].try_into().expect("4 bytes"));
        let chunk_type = &header[4..8];
        let name = String::from_utf8_lossy(chunk_type).into_owned();
        if length > PNG_MAX_CHUNK_LENGTH || !chunk_type.iter().all(u8::is_ascii_alphabetic) {
            return Err(VerifyError::Invalid(format!(
                "invalid PNG chunk header at byte offset {pos}"
            )));
        }
        if first && chunk_type != b"IHDR" {
            return Err(VerifyError::Invalid(format!(
                "first PNG chunk is {name}, expected IHDR"
            )));
        }
        first = false;

        let data_end = pos + 8 + length as usize;
        let Some(stored_crc) = data.get(data_end..data_end + 4) else {
            return Err(VerifyError::Truncated(format!(
                "PNG chunk {name} at byte offset {pos} runs past the end of the file"
            )));
        };
        let stored_crc = u32::from_be_bytes(stored_crc.try_into().expect("4 bytes"));
        if crc32fast::hash(&data[pos + 4..data_end]) != stored_crc {
            return Err(VerifyError::ChecksumMismatch {
                chunk: name,
                offset: pos as u64,
            });
        }

        if chunk_type == b"IEND" {
            return Ok(());
        }
        pos = data_end + 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_without_scan_rejected() {
        let data = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00];
        assert!(matches!(
            check_jpeg_structure(&data),
            Err(VerifyError::Truncated(_))
        ));
    }

    #[test]
    fn png_signature_required() {
        assert!(matches!(
            check_png_chunks(b"GIF89a......"),
            Err(VerifyError::Invalid(_))
        ));
    }
}
