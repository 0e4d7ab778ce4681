//! Detection of the file kind from the first bytes of an upload.

use crate::kind::FileKind;

/// Number of leading bytes buffered before the kind is decided.
///
/// The `infer` 0.22 matchers for the allowed kinds read at most the first 1 KiB (the PDF matcher
/// searches that far), so 16 KiB is ample, and it leaves room for a long `ftyp` box in MP4 files.
pub(crate) const SNIFF_BYTES: usize = 16 * 1024;

const OLE2_SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_LOCAL_HEADER_SIGNATURE: [u8; 4] = *b"PK\x03\x04";

/// Result of inspecting the first bytes of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// The kind is known from the first bytes.
    Known(FileKind),
    /// An OLE2 compound file. It becomes `Doc` or `Xls` after its directory entries have been seen.
    Ole2,
    /// A ZIP archive. It becomes `Docx` or `Xlsx` after its central directory has been read.
    Zip,
}

impl Sniffed {
    /// Returns the kind to report in a size error and the size limit to enforce while streaming.
    pub(crate) fn limit(self) -> (FileKind, u64) {
        let kind = match self {
            Sniffed::Known(kind) => kind,
            // Doc and Xls share one limit, as do Docx and Xlsx.
            Sniffed::Ole2 => FileKind::Doc,
            Sniffed::Zip => FileKind::Docx,
        };
        (kind, kind.max_bytes())
    }
}

/// Classifies the first bytes of an upload, or returns `None` when no allowed kind matches.
///
/// `head` is the first [`SNIFF_BYTES`] bytes of the file, or the whole file if it is shorter.
pub(crate) fn sniff(head: &[u8]) -> Option<Sniffed> {
    // Office formats are checked here and not with `infer`: its OLE2 check parses the whole
    // compound file, and its OOXML check looks only at the first few ZIP entries.
    if head.starts_with(&OLE2_SIGNATURE) {
        return Some(Sniffed::Ole2);
    }
    if head.starts_with(&ZIP_LOCAL_HEADER_SIGNATURE) {
        return Some(Sniffed::Zip);
    }

    let detected = infer::get(head)?;
    let kind = match detected.mime_type() {
        "image/jpeg" => FileKind::Jpeg,
        "image/png" => FileKind::Png,
        // `infer` reports ISO BMFF files with an MP4 brand (isom, mp41, mp42, avc1 and others) as
        // video/mp4 and the `M4V ` brand as video/x-m4v. QuickTime (`qt  `) and HEIF brands get
        // other MIME types and are rejected.
        "video/mp4" | "video/x-m4v" => FileKind::Mp4,
        // `infer` accepts "%PDF" anywhere in the first 1 KiB, so an HTML page that mentions it
        // would pass. Requiring the header at offset 0 rejects such files, and also the rare PDF
        // with bytes before its header.
        "application/pdf" if head.starts_with(b"%PDF-") => FileKind::Pdf,
        _ => return None,
    };
    Some(Sniffed::Known(kind))
}
