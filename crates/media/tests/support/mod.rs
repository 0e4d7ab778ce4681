//! Helpers shared by the integration tests: upload streams, tiny document builders and checks.

#![allow(dead_code)]

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::TryStreamExt;
use futures_util::stream::{self, Stream};
use pomoshnik_media::{ByteStream, FileStore};
use sha2::{Digest, Sha256};

/// Chunk size of test upload streams. It is not a power of two, so chunk and record boundaries fall at odd offsets.
pub const CHUNK_BYTES: usize = 7_000;

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name))
        .unwrap_or_else(|error| panic!("failed to read fixture {name}: {error}"))
}

/// Returns the lowercase hex SHA-256, as `sha256sum` prints it.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Splits `data` into a stream of successful chunks of [`CHUNK_BYTES`].
pub fn chunked(data: &[u8]) -> impl Stream<Item = Result<Bytes, io::Error>> + Unpin + Send + use<> {
    let chunks: Vec<_> = data
        .chunks(CHUNK_BYTES)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    stream::iter(chunks)
}

/// Reads a stored file's content to the end.
pub async fn read_all(content: ByteStream) -> Vec<u8> {
    let chunks: Vec<Bytes> = content.try_collect().await.expect("read stored content");
    chunks.concat()
}

pub async fn open_store() -> (tempfile::TempDir, FileStore) {
    let dir = tempfile::tempdir().expect("create temporary directory");
    let store = FileStore::open(dir.path().join("files"))
        .await
        .expect("open file store");
    (dir, store)
}

/// Returns the paths of all regular files under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("read directory") {
            let path = entry.expect("read directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

pub fn temp_files(root: &Path) -> Vec<PathBuf> {
    files_under(&root.join("files/tmp"))
}

pub fn stored_files(root: &Path) -> Vec<PathBuf> {
    files_under(&root.join("files/originals"))
}

// ---------------------------------------------------------------------------------------------
// PDF

pub fn minimal_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec()
}

// ---------------------------------------------------------------------------------------------
// ZIP: stored (uncompressed) entries, enough to build Office Open XML packages.

pub const CONTENT_TYPES_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;

pub const RELS_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>"#;

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Builds a ZIP archive whose entries are stored without compression.
pub fn zip_stored(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let entries: Vec<ZipEntry> = entries
        .iter()
        .map(|(name, data)| ZipEntry {
            name,
            method: 0,
            data: data.to_vec(),
            crc: crc32(data),
            uncompressed_size: data.len() as u32,
        })
        .collect();
    zip_archive(&entries)
}

/// One entry of [`zip_archive`]. `data` is already compressed with `method` (0 stored, 8 deflate).
pub struct ZipEntry<'a> {
    pub name: &'a str,
    pub method: u16,
    pub data: Vec<u8>,
    pub crc: u32,
    pub uncompressed_size: u32,
}

pub fn zip_archive(entries: &[ZipEntry]) -> Vec<u8> {
    let mut archive = Vec::new();
    let mut central = Vec::new();

    for entry in entries {
        let (name, data, crc, method) = (entry.name, &entry.data, entry.crc, entry.method);
        let offset = archive.len() as u32;
        let size = data.len() as u32;
        let uncompressed_size = entry.uncompressed_size;
        let name_len = name.len() as u16;

        archive.extend_from_slice(b"PK\x03\x04");
        archive.extend_from_slice(&20u16.to_le_bytes()); // version needed to extract
        archive.extend_from_slice(&0u16.to_le_bytes()); // flags
        archive.extend_from_slice(&method.to_le_bytes());
        archive.extend_from_slice(&0u16.to_le_bytes()); // time
        archive.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
        archive.extend_from_slice(&crc.to_le_bytes());
        archive.extend_from_slice(&size.to_le_bytes()); // compressed size
        archive.extend_from_slice(&uncompressed_size.to_le_bytes());
        archive.extend_from_slice(&name_len.to_le_bytes());
        archive.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        archive.extend_from_slice(name.as_bytes());
        archive.extend_from_slice(data);

        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&20u16.to_le_bytes()); // version needed to extract
        central.extend_from_slice(&0u16.to_le_bytes()); // flags
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // time
        central.extend_from_slice(&0x21u16.to_le_bytes()); // date
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&uncompressed_size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }

    let central_offset = archive.len() as u32;
    let central_size = central.len() as u32;
    let count = entries.len() as u16;
    archive.extend_from_slice(&central);
    archive.extend_from_slice(b"PK\x05\x06");
    archive.extend_from_slice(&0u16.to_le_bytes()); // this disk
    archive.extend_from_slice(&0u16.to_le_bytes()); // disk with the central directory
    archive.extend_from_slice(&count.to_le_bytes());
    archive.extend_from_slice(&count.to_le_bytes());
    archive.extend_from_slice(&central_size.to_le_bytes());
    archive.extend_from_slice(&central_offset.to_le_bytes());
    archive.extend_from_slice(&0u16.to_le_bytes()); // comment length
    archive
}

/// Returns a raw deflate stream (one block with the fixed Huffman code) that inflates to `len`
/// zero bytes: one literal zero, then back-references of length 258 at distance 1, then literals.
/// Each back-reference costs 13 bits, so the ratio is about 150:1.
pub fn deflate_zeros(len: u32) -> Vec<u8> {
    struct BitWriter {
        bytes: Vec<u8>,
        bit: u32,
    }
    impl BitWriter {
        /// Writes `count` bits of `value`, least significant first (headers and extra bits).
        fn bits(&mut self, value: u32, count: u32) {
            for i in 0..count {
                if self.bit.is_multiple_of(8) {
                    self.bytes.push(0);
                }
                let last = self.bytes.len() - 1;
                self.bytes[last] |= (((value >> i) & 1) as u8) << (self.bit % 8);
                self.bit += 1;
            }
        }
        /// Writes a Huffman code, most significant bit first.
        fn code(&mut self, code: u32, count: u32) {
            for i in (0..count).rev() {
                self.bits((code >> i) & 1, 1);
            }
        }
    }

    let mut writer = BitWriter {
        bytes: Vec::new(),
        bit: 0,
    };
    writer.bits(1, 1); // BFINAL
    writer.bits(1, 2); // BTYPE = fixed Huffman codes
    let literal_zero = |writer: &mut BitWriter| writer.code(0b0011_0000, 8);
    if len > 0 {
        literal_zero(&mut writer);
        let rest = len - 1;
        for _ in 0..rest / 258 {
            writer.code(0b1100_0101, 8); // length code 285: 258 bytes
            writer.code(0, 5); // distance code 0: distance 1
        }
        for _ in 0..rest % 258 {
            literal_zero(&mut writer);
        }
    }
    writer.code(0, 7); // end of block (code 256)
    writer.bytes
}

/// Builds a DOCX with the entry order Microsoft Word uses, which `infer` also recognises.
pub fn minimal_docx() -> Vec<u8> {
    let document = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Yama na doroge</w:t></w:r></w:p></w:body></w:document>"#;
    zip_stored(&[
        ("[Content_Types].xml", CONTENT_TYPES_XML.as_bytes()),
        ("_rels/.rels", RELS_XML.as_bytes()),
        ("word/_rels/document.xml.rels", RELS_XML.as_bytes()),
        ("word/document.xml", document),
    ])
}

pub fn minimal_xlsx() -> Vec<u8> {
    let workbook = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>"#;
    zip_stored(&[
        ("[Content_Types].xml", CONTENT_TYPES_XML.as_bytes()),
        ("_rels/.rels", RELS_XML.as_bytes()),
        ("xl/_rels/workbook.xml.rels", RELS_XML.as_bytes()),
        ("xl/workbook.xml", workbook),
    ])
}

// ---------------------------------------------------------------------------------------------
// OLE2 compound files, version 3 (512-byte sectors).

const FREE_SECTOR: u32 = 0xFFFF_FFFF;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FAT_SECTOR: u32 = 0xFFFF_FFFD;
const NO_STREAM: u32 = 0xFFFF_FFFF;
const SECTOR_BYTES: usize = 512;
const ENTRIES_PER_FAT_SECTOR: usize = SECTOR_BYTES / 4;

/// Returns a CLSID in on-disk byte order for the Microsoft Office family `{XXXXXXXX-0000-0000-C000-000000000046}`.
pub fn office_clsid(first: u32) -> [u8; 16] {
    let mut clsid = [0; 16];
    clsid[..4].copy_from_slice(&first.to_le_bytes());
    clsid[8] = 0xC0;
    clsid[15] = 0x46;
    clsid
}

pub const WORD_97_CLSID: u32 = 0x0002_0906;
pub const EXCEL_97_CLSID: u32 = 0x0002_0820;
pub const POWERPOINT_97_CLSID_BYTES: [u8; 16] = [
    0x10, 0x8D, 0x81, 0x64, 0x9B, 0x4F, 0xCF, 0x11, 0x86, 0xEA, 0x00, 0xAA, 0x00, 0xB9, 0x29, 0xE8,
];

fn directory_entry(
    name: &str,
    object_type: u8,
    child: u32,
    clsid: [u8; 16],
    start: u32,
    size: u64,
) -> [u8; 128] {
    let mut entry = [0u8; 128];
    if !name.is_empty() {
        for (i, unit) in name.encode_utf16().enumerate() {
            entry[i * 2..i * 2 + 2].copy_from_slice(&unit.to_le_bytes());
        }
        let name_bytes = ((name.encode_utf16().count() + 1) * 2) as u16;
        entry[0x40..0x42].copy_from_slice(&name_bytes.to_le_bytes());
    }
    entry[0x42] = object_type;
    if object_type != 0 {
        entry[0x43] = 1; // black
    }
    entry[0x44..0x48].copy_from_slice(&NO_STREAM.to_le_bytes());
    entry[0x48..0x4C].copy_from_slice(&NO_STREAM.to_le_bytes());
    entry[0x4C..0x50].copy_from_slice(&child.to_le_bytes());
    entry[0x50..0x60].copy_from_slice(&clsid);
    entry[0x74..0x78].copy_from_slice(&start.to_le_bytes());
    entry[0x78..0x80].copy_from_slice(&size.to_le_bytes());
    entry
}

/// Builds an OLE2 file with one stream of `stream_sectors` sectors (at least 8, so the stream is
/// not in the mini stream). The directory sector comes last, after the stream data.
pub fn ole2_file(root_clsid: [u8; 16], stream_name: &str, stream_sectors: usize) -> Vec<u8> {
    assert!(
        stream_sectors >= 8,
        "streams under 4096 bytes belong in the mini stream"
    );

    let mut fat_sectors = 1;
    while fat_sectors * ENTRIES_PER_FAT_SECTOR < fat_sectors + stream_sectors + 1 {
        fat_sectors += 1;
    }
    assert!(fat_sectors <= 109, "the builder writes no DIFAT sectors");
    let first_stream_sector = fat_sectors;
    let directory_sector = fat_sectors + stream_sectors;

    let mut header = vec![0u8; SECTOR_BYTES];
    header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    header[0x18..0x1A].copy_from_slice(&0x003Eu16.to_le_bytes()); // minor version
    header[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes()); // major version
    header[0x1C..0x1E].copy_from_slice(&0xFFFEu16.to_le_bytes()); // byte order
    header[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes()); // sector shift: 512 bytes
    header[0x20..0x22].copy_from_slice(&6u16.to_le_bytes()); // mini sector shift: 64 bytes
    header[0x2C..0x30].copy_from_slice(&(fat_sectors as u32).to_le_bytes());
    header[0x30..0x34].copy_from_slice(&(directory_sector as u32).to_le_bytes());
    header[0x38..0x3C].copy_from_slice(&4096u32.to_le_bytes()); // mini stream cutoff
    header[0x3C..0x40].copy_from_slice(&END_OF_CHAIN.to_le_bytes()); // no mini FAT
    header[0x44..0x48].copy_from_slice(&END_OF_CHAIN.to_le_bytes()); // no DIFAT sectors
    for i in 0..109 {
        let value = if i < fat_sectors {
            i as u32
        } else {
            FREE_SECTOR
        };
        header[0x4C + i * 4..0x50 + i * 4].copy_from_slice(&value.to_le_bytes());
    }

    let mut fat = vec![FREE_SECTOR; fat_sectors * ENTRIES_PER_FAT_SECTOR];
    for entry in fat.iter_mut().take(fat_sectors) {
        *entry = FAT_SECTOR;
    }
    // Chain the stream sectors: each entry points to the next sector, the last ends the chain.
    let stream_entries = &mut fat[first_stream_sector..directory_sector];
    for (offset, entry) in stream_entries.iter_mut().enumerate() {
        *entry = (first_stream_sector + offset + 1) as u32;
    }
    fat[directory_sector - 1] = END_OF_CHAIN;
    fat[directory_sector] = END_OF_CHAIN;

    let mut file = header;
    for value in fat {
        file.extend_from_slice(&value.to_le_bytes());
    }
    for sector in 0..stream_sectors {
        file.extend(std::iter::repeat_n((sector % 251) as u8, SECTOR_BYTES));
    }

    let stream_size = (stream_sectors * SECTOR_BYTES) as u64;
    file.extend_from_slice(&directory_entry(
        "Root Entry",
        5,
        1,
        root_clsid,
        END_OF_CHAIN,
        0,
    ));
    file.extend_from_slice(&directory_entry(
        stream_name,
        2,
        NO_STREAM,
        [0; 16],
        first_stream_sector as u32,
        stream_size,
    ));
    file.extend_from_slice(&directory_entry("", 0, NO_STREAM, [0; 16], 0, 0));
    file.extend_from_slice(&directory_entry("", 0, NO_STREAM, [0; 16], 0, 0));
    file
}
