//! The file types that uploads may contain, with their limits.

const MIB: u64 = 1024 * 1024;

/// Maximum number of files attached to one report or one message.
pub const MAX_FILES_PER_SUBMISSION: usize = 5;

/// Largest size limit of any kind. The HTTP layer uses it to bound request bodies.
pub const MAX_FILE_BYTES: u64 = 50 * MIB;

/// Allowed file type, decided from the file content.
///
/// Evidence kinds are `Jpeg`, `Png` and `Mp4`. Document kinds are `Pdf`, `Doc`, `Docx`, `Xls` and `Xlsx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Jpeg,
    Png,
    Mp4,
    Pdf,
    Doc,
    Docx,
    Xls,
    Xlsx,
}

impl FileKind {
    /// All kinds, in declaration order.
    pub const ALL: [FileKind; 8] = [
        FileKind::Jpeg,
        FileKind::Png,
        FileKind::Mp4,
        FileKind::Pdf,
        FileKind::Doc,
        FileKind::Docx,
        FileKind::Xls,
        FileKind::Xlsx,
    ];

    /// Returns the short code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Mp4 => "mp4",
            FileKind::Pdf => "pdf",
            FileKind::Doc => "doc",
            FileKind::Docx => "docx",
            FileKind::Xls => "xls",
            FileKind::Xlsx => "xlsx",
        }
    }

    /// Parses a code returned by [`FileKind::code`].
    pub fn from_code(code: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// Returns the MIME type to send in `Content-Type`.
    pub fn mime_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Mp4 => "video/mp4",
            FileKind::Pdf => "application/pdf",
            FileKind::Doc => "application/msword",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xls => "application/vnd.ms-excel",
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// Returns true for photos and videos.
    pub fn is_evidence(self) -> bool {
        matches!(self, FileKind::Jpeg | FileKind::Png | FileKind::Mp4)
    }

    /// Returns true for JPEG and PNG.
    pub fn is_image(self) -> bool {
        matches!(self, FileKind::Jpeg | FileKind::Png)
    }

    /// Returns the maximum file size in bytes: 50 MiB for video, 10 MiB for everything else.
    pub fn max_bytes(self) -> u64 {
        match self {
            FileKind::Mp4 => MAX_FILE_BYTES,
            _ => 10 * MIB,
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_round_trips() {
        for kind in FileKind::ALL {
            assert_eq!(FileKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(FileKind::from_code("exe"), None);
        assert_eq!(FileKind::from_code("JPEG"), None);
    }

    #[test]
    fn limits_and_groups() {
        assert_eq!(FileKind::Jpeg.max_bytes(), 10 * 1024 * 1024);
        assert_eq!(FileKind::Docx.max_bytes(), 10 * 1024 * 1024);
        assert_eq!(FileKind::Mp4.max_bytes(), 50 * 1024 * 1024);
        let largest = FileKind::ALL.iter().map(|kind| kind.max_bytes()).max();
        assert_eq!(largest, Some(MAX_FILE_BYTES));

        assert!(FileKind::Mp4.is_evidence());
        assert!(!FileKind::Mp4.is_image());
        assert!(FileKind::Png.is_image());
        assert!(!FileKind::Pdf.is_evidence());
    }
}
