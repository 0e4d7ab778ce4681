//! Telling Word from Excel files in the OLE2 compound file format, while the file streams past.
//!
//! An OLE2 file is split into sectors of 512 or 4096 bytes. The directory is a chain of sectors
//! that contains 128-byte entries. The first entry is the root storage, whose CLSID names the
//! application that wrote the file. The other entries name the streams, e.g. `WordDocument` in
//! Word 97-2003 files and `Workbook` (or `Book` before Excel 97) in Excel files.
//!
//! Sectors start at offsets that are multiples of 512, so every directory entry starts at a
//! multiple of 128. [`Ole2Scanner`] checks each 128-byte aligned record after the 512-byte header,
//! which finds the directory without following the sector allocation table.
//!
//! Classification rule, applied by [`Ole2Scanner::finish`]:
//! 1. The root CLSID of Word (6.0 or 97-2003) gives `Doc`, that of Excel (5.0 or 97-2003) gives `Xls`.
//! 2. Any other non-zero root CLSID (PowerPoint, Windows Installer, Outlook message...) is rejected.
//! 3. With a zero or missing root CLSID, a `WordDocument` stream gives `Doc`, otherwise a
//!    `Workbook` or `Book` stream gives `Xls`. Word wins when both exist, because a Word document
//!    can embed a workbook and the entries of embedded objects appear in the same flat directory.
//! 4. Anything else is rejected.
//!
//! NOTE: records are not checked against the sector allocation table, so stream data crafted to
//! look like a directory entry can make another OLE2 file pass as DOC or XLS.

use crate::kind::FileKind;

const RECORD_BYTES: usize = 128;
const HEADER_BYTES: u64 = 512;

const OBJECT_TYPE_STREAM: u8 = 2;
const OBJECT_TYPE_ROOT: u8 = 5;

/// CLSIDs in their on-disk byte order (the first three fields are little-endian).
const fn ms_office_clsid(first: u32) -> [u8; 16] {
    let b = first.to_le_bytes();
    [
        b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ]
}
const WORD_CLSIDS: [[u8; 16]; 2] = [ms_office_clsid(0x0002_0906), ms_office_clsid(0x0002_0900)];
const EXCEL_CLSIDS: [[u8; 16]; 2] = [ms_office_clsid(0x0002_0820), ms_office_clsid(0x0002_0810)];

/// Incremental scanner for the directory entries of an OLE2 file.
pub(crate) struct Ole2Scanner {
    /// File offset of the first byte in `record`.
    record_offset: u64,
    record: [u8; RECORD_BYTES],
    filled: usize,
    root_clsid: Option<[u8; 16]>,
    has_word_stream: bool,
    has_workbook_stream: bool,
}

impl Ole2Scanner {
    pub(crate) fn new() -> Self {
        Ole2Scanner {
            record_offset: 0,
            record: [0; RECORD_BYTES],
            filled: 0,
            root_clsid: None,
            has_word_stream: false,
            has_workbook_stream: false,
        }
    }

    /// Feeds the next bytes of the file, in order.
    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (RECORD_BYTES - self.filled).min(data.len());
            self.record[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];

            if self.filled == RECORD_BYTES {
                if self.record_offset >= HEADER_BYTES {
                    self.inspect_record();
                }
                self.record_offset += RECORD_BYTES as u64;
                self.filled = 0;
            }
        }
    }

    /// Applies the classification rule in the module documentation to everything fed so far.
    pub(crate) fn finish(&self) -> Option<FileKind> {
        match self.root_clsid {
            Some(clsid) if WORD_CLSIDS.contains(&clsid) => return Some(FileKind::Doc),
            Some(clsid) if EXCEL_CLSIDS.contains(&clsid) => return Some(FileKind::Xls),
            Some(clsid) if clsid != [0; 16] => return None,
            _ => {}
        }

        if self.has_word_stream {
            Some(FileKind::Doc)
        } else if self.has_workbook_stream {
            Some(FileKind::Xls)
        } else {
            None
        }
    }

    fn inspect_record(&mut self) {
        let record = &self.record;
        let object_type = record[0x42];

        if object_type == OBJECT_TYPE_ROOT && entry_name_is(record, "Root Entry") {
            if self.root_clsid.is_none() {
                let mut clsid = [0; 16];
                clsid.copy_from_slice(&record[0x50..0x60]);
                self.root_clsid = Some(clsid);
            }
        } else if object_type == OBJECT_TYPE_STREAM {
            if entry_name_is(record, "WordDocument") {
                self.has_word_stream = true;
            } else if entry_name_is(record, "Workbook") || entry_name_is(record, "Book") {
                self.has_workbook_stream = true;
            }
        }
    }
}

/// Compares the UTF-16LE entry name (bytes 0..64, length in bytes with the terminator at 0x40) with an ASCII name.
fn entry_name_is(record: &[u8; RECORD_BYTES], expected: &str) -> bool {
    let name_bytes = usize::from(u16::from_le_bytes([record[0x40], record[0x41]]));
    if name_bytes != (expected.len() + 1) * 2 {
        return false;
    }

    let units = record[..name_bytes].chunks_exact(2);
    let expected_units = expected.bytes().map(u16::from).chain([0]);
    units
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .eq(expected_units)
}
