//! Telling DOCX from XLSX (and from other ZIP files) by the central directory of a stored file.
//!
//! The central directory at the end of a ZIP file lists the entries of the outer archive only,
//! so ZIP files stored inside a document (embedded objects) do not confuse the result.
//!
//! Rule: the archive must contain `[Content_Types].xml`, which every Office Open XML package
//! has. Then `word/document.xml` gives `Docx` and `xl/workbook.xml` gives `Xlsx`. An archive with
//! neither, or with both, is rejected.
//!
//! Zip bombs: the sizes in the central directory are added up, and an archive is rejected when
//! its entries would expand to more than [`MAX_UNCOMPRESSED_BYTES`], or to more than
//! [`MAX_COMPRESSION_RATIO`] times the compressed size once they pass
//! [`RATIO_CHECK_MIN_BYTES`]. The declared sizes are what an unpacker would allocate for, so a
//! later reader of the document should still enforce its own limits while inflating.
//!
//! NOTE: the main part is found by its conventional name. The package relationships
//! (`_rels/.rels`) that point to it are usually compressed and are not read, so a valid package
//! whose main part has another name is rejected.

use std::io::{self, SeekFrom};
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncSeekExt, BufReader};

use crate::kind::FileKind;

const END_RECORD_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
const END_RECORD_BYTES: usize = 22;
const MAX_COMMENT_BYTES: usize = u16::MAX as usize;

const ZIP64_LOCATOR_SIGNATURE: [u8; 4] = *b"PK\x06\x07";
const ZIP64_LOCATOR_BYTES: usize = 20;
const ZIP64_END_RECORD_SIGNATURE: [u8; 4] = *b"PK\x06\x06";
const ZIP64_END_RECORD_BYTES: usize = 56;

const CENTRAL_HEADER_SIGNATURE: [u8; 4] = *b"PK\x01\x02";
const CENTRAL_HEADER_BYTES: usize = 46;
const ZIP64_EXTRA_FIELD_ID: u16 = 0x0001;

/// Maximum total uncompressed size of the entries of a DOCX or XLSX, 200 MiB.
pub(crate) const MAX_UNCOMPRESSED_BYTES: u64 = 200 * 1024 * 1024;
/// Maximum ratio of total uncompressed to compressed size. Office XML usually compresses
/// 5-20 times, so 100 leaves room for repetitive spreadsheets.
pub(crate) const MAX_COMPRESSION_RATIO: u64 = 100;
/// Archives that expand to less than 10 MiB are not checked for their ratio, since they are
/// harmless whatever it is.
pub(crate) const RATIO_CHECK_MIN_BYTES: u64 = 10 * 1024 * 1024;

/// Result of [`classify_zip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZipVerdict {
    Allowed(FileKind),
    /// Not an Office Open XML package of an allowed kind, or a malformed archive.
    NotAllowed,
    /// The entries would expand beyond the limits in the module documentation.
    ExpandsTooMuch {
        uncompressed_bytes: u64,
        compressed_bytes: u64,
    },
}

/// Location of the central directory.
struct CentralDirectory {
    offset: u64,
    size: u64,
    entries: u64,
}

/// Reads the central directory of the ZIP file at `path` (of `file_size` bytes) and applies the
/// rules in the module documentation.
pub(crate) async fn classify_zip(path: &Path, file_size: u64) -> io::Result<ZipVerdict> {
    let mut file = tokio::fs::File::open(path).await?;
    let Some(directory) = find_central_directory(&mut file, file_size).await? else {
        return Ok(ZipVerdict::NotAllowed);
    };

    let mut has_content_types = false;
    let mut has_word_document = false;
    let mut has_workbook = false;

    file.seek(SeekFrom::Start(directory.offset)).await?;
    let mut reader = BufReader::new(file);
    let mut remaining = directory.size;
    let mut header = [0; CENTRAL_HEADER_BYTES];
    let mut name = Vec::new();
    let mut extra = Vec::new();
    let mut uncompressed_bytes: u64 = 0;
    let mut compressed_bytes: u64 = 0;

    for _ in 0..directory.entries {
        if remaining < CENTRAL_HEADER_BYTES as u64 {
            return Ok(ZipVerdict::NotAllowed);
        }
        reader.read_exact(&mut header).await?;
        if header[..4] != CENTRAL_HEADER_SIGNATURE {
            return Ok(ZipVerdict::NotAllowed);
        }

        let name_len = u64::from(read_u16(&header, 28));
        let extra_len = u64::from(read_u16(&header, 30));
        let comment_len = u64::from(read_u16(&header, 32));
        let entry_len = CENTRAL_HEADER_BYTES as u64 + name_len + extra_len + comment_len;
        if entry_len > remaining {
            return Ok(ZipVerdict::NotAllowed);
        }
        remaining -= entry_len;

        name.resize(name_len as usize, 0);
        reader.read_exact(&mut name).await?;
        match name.as_slice() {
            b"[Content_Types].xml" => has_content_types = true,
            b"word/document.xml" => has_word_document = true,
            b"xl/workbook.xml" => has_workbook = true,
            _ => {}
        }
        extra.resize(extra_len as usize, 0);
        reader.read_exact(&mut extra).await?;
        let (uncompressed, compressed) = entry_sizes(&header, &extra);
        uncompressed_bytes = uncompressed_bytes.saturating_add(uncompressed);
        compressed_bytes = compressed_bytes.saturating_add(compressed);
        reader.seek(SeekFrom::Current(comment_len as i64)).await?;
    }

    if expands_too_much(uncompressed_bytes, compressed_bytes) {
        return Ok(ZipVerdict::ExpandsTooMuch {
            uncompressed_bytes,
            compressed_bytes,
        });
    }
    let verdict = match (has_content_types, has_word_document, has_workbook) {
        (true, true, false) => ZipVerdict::Allowed(FileKind::Docx),
        (true, false, true) => ZipVerdict::Allowed(FileKind::Xlsx),
        _ => ZipVerdict::NotAllowed,
    };
    Ok(verdict)
}

fn expands_too_much(uncompressed_bytes: u64, compressed_bytes: u64) -> bool {
    if uncompressed_bytes > MAX_UNCOMPRESSED_BYTES {
        return true;
    }
    uncompressed_bytes > RATIO_CHECK_MIN_BYTES
        && uncompressed_bytes > compressed_bytes.saturating_mul(MAX_COMPRESSION_RATIO)
}

/// Returns the uncompressed and compressed size of a central directory entry. A 32-bit field
/// set to 0xFFFFFFFF means the real value is in the ZIP64 extra field, which holds only the
/// overflowing values, uncompressed size first.
fn entry_sizes(header: &[u8], extra: &[u8]) -> (u64, u64) {
    let mut uncompressed = u64::from(read_u32(header, 24));
    let mut compressed = u64::from(read_u32(header, 20));

    let mut pos = 0;
    while pos + 4 <= extra.len() {
        let id = read_u16(extra, pos);
        let len = usize::from(read_u16(extra, pos + 2));
        let end = (pos + 4 + len).min(extra.len());
        if id == ZIP64_EXTRA_FIELD_ID {
            let mut field = pos + 4;
            for value in [&mut uncompressed, &mut compressed] {
                if *value == u64::from(u32::MAX) && field + 8 <= end {
                    *value = read_u64(extra, field);
                    field += 8;
                }
            }
        }
        pos = end;
    }
    (uncompressed, compressed)
}

/// Finds the end of central directory record (ZIP64 if needed) and checks that the directory lies inside the file.
async fn find_central_directory(
    file: &mut tokio::fs::File,
    file_size: u64,
) -> io::Result<Option<CentralDirectory>> {
    // The end record is the last thing in the file, followed only by a comment of up to 64 KiB.
    let tail_len = file_size.min((END_RECORD_BYTES + MAX_COMMENT_BYTES) as u64) as usize;
    if tail_len < END_RECORD_BYTES {
        return Ok(None);
    }
    let tail_start = file_size - tail_len as u64;
    let mut tail = vec![0; tail_len];
    file.seek(SeekFrom::Start(tail_start)).await?;
    file.read_exact(&mut tail).await?;

    // Search backwards for a signature whose comment length reaches exactly the end of the file.
    let end_record_pos = (0..=tail_len - END_RECORD_BYTES).rev().find(|&pos| {
        let comment_len = usize::from(read_u16(&tail, pos + 20));
        tail[pos..pos + 4] == END_RECORD_SIGNATURE
            && pos + END_RECORD_BYTES + comment_len == tail_len
    });
    let Some(pos) = end_record_pos else {
        return Ok(None);
    };

    let record = &tail[pos..pos + END_RECORD_BYTES];
    let mut directory = CentralDirectory {
        entries: u64::from(read_u16(record, 10)),
        size: u64::from(read_u32(record, 12)),
        offset: u64::from(read_u32(record, 16)),
    };

    let needs_zip64 = directory.entries == u64::from(u16::MAX)
        || directory.size == u64::from(u32::MAX)
        || directory.offset == u64::from(u32::MAX);
    if needs_zip64 {
        let end_record_offset = tail_start + pos as u64;
        match read_zip64_directory(file, end_record_offset).await? {
            Some(zip64) => directory = zip64,
            None => return Ok(None),
        }
    }

    let directory_end = directory.offset.checked_add(directory.size);
    if directory_end.is_none_or(|end| end > file_size) {
        return Ok(None);
    }
    Ok(Some(directory))
}

/// Reads the ZIP64 end record through the locator that sits right before the classic end record.
async fn read_zip64_directory(
    file: &mut tokio::fs::File,
    end_record_offset: u64,
) -> io::Result<Option<CentralDirectory>> {
    let Some(locator_offset) = end_record_offset.checked_sub(ZIP64_LOCATOR_BYTES as u64) else {
        return Ok(None);
    };
    let mut locator = [0; ZIP64_LOCATOR_BYTES];
    file.seek(SeekFrom::Start(locator_offset)).await?;
    file.read_exact(&mut locator).await?;
    if locator[..4] != ZIP64_LOCATOR_SIGNATURE {
        return Ok(None);
    }

    let zip64_record_offset = read_u64(&locator, 8);
    if zip64_record_offset + ZIP64_END_RECORD_BYTES as u64 > locator_offset {
        return Ok(None);
    }
    let mut record = [0; ZIP64_END_RECORD_BYTES];
    file.seek(SeekFrom::Start(zip64_record_offset)).await?;
    file.read_exact(&mut record).await?;
    if record[..4] != ZIP64_END_RECORD_SIGNATURE {
        return Ok(None);
    }

    Ok(Some(CentralDirectory {
        entries: read_u64(&record, 32),
        size: read_u64(&record, 40),
        offset: read_u64(&record, 48),
    }))
}

fn read_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("slice of 4 bytes"))
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("slice of 8 bytes"))
}
