//! Uploads that must be rejected, and the cleanup that follows.

mod support;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use pomoshnik_media::{FileKind, FileStore, UploadError};
use support::*;

const TEN_MIB: u64 = 10 * 1024 * 1024;

async fn assert_type_not_allowed(store: &FileStore, file_name: &str, data: &[u8]) {
    let result = store.receive(file_name, chunked(data)).await;
    match result {
        Err(UploadError::TypeNotAllowed {
            file_name: reported,
        }) => assert_eq!(reported, file_name),
        other => panic!("{file_name}: expected TypeNotAllowed, got {other:?}"),
    }
}

#[tokio::test]
async fn text_renamed_jpg_rejected() {
    let (dir, store) = open_store().await;
    assert_type_not_allowed(&store, "photo.jpg", b"Just some text, not a photo.\n").await;
    assert!(temp_files(dir.path()).is_empty());
    assert!(stored_files(dir.path()).is_empty());
}

#[tokio::test]
async fn html_rejected() {
    let (dir, store) = open_store().await;
    let html = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n";
    assert_type_not_allowed(&store, "photo.jpg", html).await;
    assert_type_not_allowed(&store, "page.html", html).await;
    assert!(stored_files(dir.path()).is_empty());
}

#[tokio::test]
async fn html_mentioning_pdf_rejected() {
    // `infer` alone would call this a PDF, because "%PDF" occurs in the first kilobyte.
    let (_dir, store) = open_store().await;
    let html = b"<html><body><p>Our scans start with %PDF-1.7</p></body></html>\n";
    assert_eq!(
        infer::get(html).map(|kind| kind.mime_type()),
        Some("application/pdf")
    );

    assert_type_not_allowed(&store, "scan.pdf", html).await;
}

#[tokio::test]
async fn windows_executable_renamed_jpg_rejected() {
    let (_dir, store) = open_store().await;
    let mut exe = vec![0u8; 512];
    exe[..2].copy_from_slice(b"MZ");
    exe[0x3C] = 0x80;
    exe[0x80..0x84].copy_from_slice(b"PE\0\0");
    assert_type_not_allowed(&store, "photo.jpg", &exe).await;
}

#[tokio::test]
async fn heic_rejected() {
    let (_dir, store) = open_store().await;
    let data = read_fixture("odd_invalid_gps_truncated.heic");
    assert_type_not_allowed(&store, "IMG_0001.HEIC", &data).await;
}

#[tokio::test]
async fn quicktime_mov_rejected() {
    // `infer` reports the `qt  ` brand as video/quicktime, not video/mp4.
    let (_dir, store) = open_store().await;
    let data = read_fixture("quicktime_head.mov");
    assert_eq!(
        infer::get(&data).map(|kind| kind.mime_type()),
        Some("video/quicktime")
    );

    assert_type_not_allowed(&store, "IMG_0002.MOV", &data).await;
}

#[tokio::test]
async fn pdf_header_after_offset_zero_rejected() {
    let (_dir, store) = open_store().await;
    let mut data = b"   \n".to_vec();
    data.extend_from_slice(&minimal_pdf());
    assert_type_not_allowed(&store, "scan.pdf", &data).await;
}

#[tokio::test]
async fn plain_zip_rejected() {
    let (dir, store) = open_store().await;
    let zip = zip_stored(&[("notes.txt", b"hello"), ("photo.jpg", b"\xFF\xD8\xFF")]);
    assert_type_not_allowed(&store, "archive.docx", &zip).await;
    assert!(temp_files(dir.path()).is_empty());
}

#[tokio::test]
async fn zip_without_content_types_rejected() {
    let (_dir, store) = open_store().await;
    let zip = zip_stored(&[("word/document.xml", b"<w:document/>")]);
    assert_type_not_allowed(&store, "letter.docx", &zip).await;
}

#[tokio::test]
async fn zip_with_both_main_parts_rejected() {
    let (_dir, store) = open_store().await;
    let zip = zip_stored(&[
        ("[Content_Types].xml", CONTENT_TYPES_XML.as_bytes()),
        ("word/document.xml", b"<w:document/>"),
        ("xl/workbook.xml", b"<workbook/>"),
    ]);
    assert_type_not_allowed(&store, "mixed.docx", &zip).await;
}

#[tokio::test]
async fn truncated_zip_rejected() {
    // A DOCX cut before its central directory.
    let (_dir, store) = open_store().await;
    let docx = minimal_docx();
    let truncated = &docx[..docx.len() - 40];
    assert_type_not_allowed(&store, "broken.docx", truncated).await;
}

#[tokio::test]
async fn other_ole2_files_rejected() {
    let (dir, store) = open_store().await;

    let powerpoint = ole2_file(POWERPOINT_97_CLSID_BYTES, "PowerPoint Document", 8);
    assert_type_not_allowed(&store, "slides.doc", &powerpoint).await;

    // A non-Office CLSID wins over a Word stream name.
    let other_clsid = office_clsid(0x000C_1084);
    let installer_like = ole2_file(other_clsid, "WordDocument", 8);
    assert_type_not_allowed(&store, "setup.doc", &installer_like).await;

    let unknown = ole2_file([0; 16], "Contents", 8);
    assert_type_not_allowed(&store, "unknown.xls", &unknown).await;

    assert!(temp_files(dir.path()).is_empty());
    assert!(stored_files(dir.path()).is_empty());
}

#[tokio::test]
async fn empty_file_rejected() {
    let (dir, store) = open_store().await;

    let no_chunks = stream::iter(Vec::<Result<Bytes, io::Error>>::new());
    let error = store
        .receive("empty.jpg", no_chunks)
        .await
        .expect_err("empty upload");
    assert!(
        matches!(&error, UploadError::Empty { file_name } if file_name == "empty.jpg"),
        "{error:?}"
    );
    assert_eq!(error.code(), "file_empty");

    let empty_chunks = stream::iter([Ok::<_, io::Error>(Bytes::new()), Ok(Bytes::new())]);
    let error = store
        .receive("empty.pdf", empty_chunks)
        .await
        .expect_err("empty chunks");
    assert!(matches!(error, UploadError::Empty { .. }), "{error:?}");

    assert!(temp_files(dir.path()).is_empty());
}

/// Returns an endless-enough stream of `chunk_count` 64 KiB chunks that starts with `header`, and a counter of polled chunks.
fn counted_stream(
    header: &'static [u8],
    chunk_count: usize,
) -> (
    impl futures_util::Stream<Item = Result<Bytes, io::Error>> + Unpin + Send,
    Arc<AtomicUsize>,
) {
    let polled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&polled);
    let chunks = stream::iter(0..chunk_count).map(move |index| {
        counter.fetch_add(1, Ordering::SeqCst);
        let mut chunk = vec![0xAB; 64 * 1024];
        if index == 0 {
            chunk[..header.len()].copy_from_slice(header);
        }
        Ok(Bytes::from(chunk))
    });
    (chunks, polled)
}

#[tokio::test]
async fn oversized_jpeg_rejected_while_streaming() {
    let (dir, store) = open_store().await;
    // 20 MiB offered, the limit is 10 MiB, so reading must stop after 161 chunks of 64 KiB.
    let (upload, polled) = counted_stream(b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 320);

    let error = store
        .receive("huge.jpg", upload)
        .await
        .expect_err("oversized upload");

    match &error {
        UploadError::TooLarge {
            file_name,
            kind,
            limit_bytes,
        } => {
            assert_eq!(file_name, "huge.jpg");
            assert_eq!(*kind, FileKind::Jpeg);
            assert_eq!(*limit_bytes, TEN_MIB);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(error.code(), "file_too_large");
    assert_eq!(polled.load(Ordering::SeqCst), 161);
    assert!(temp_files(dir.path()).is_empty());
    assert!(stored_files(dir.path()).is_empty());
}

#[tokio::test]
async fn jpeg_at_exact_limit_accepted() {
    let (_dir, store) = open_store().await;
    let (upload, _polled) = counted_stream(b"\xFF\xD8\xFF\xE0", 160);

    let stored = store
        .receive("limit.jpg", upload)
        .await
        .expect("upload at the limit");

    assert_eq!(stored.size, TEN_MIB);
}

#[tokio::test]
async fn oversized_ole2_rejected_as_document() {
    let (dir, store) = open_store().await;
    let (upload, _polled) = counted_stream(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 200);

    let error = store
        .receive("huge.doc", upload)
        .await
        .expect_err("oversized document");

    assert!(
        matches!(
            error,
            UploadError::TooLarge {
                limit_bytes: TEN_MIB,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(temp_files(dir.path()).is_empty());
}

#[tokio::test]
async fn stream_error_midway_removes_temp_file() {
    let (dir, store) = open_store().await;
    let photo = read_fixture("moscow_tverskaya_orient1.jpg");
    let upload = stream::iter([
        Ok(Bytes::copy_from_slice(&photo[..100_000])),
        Ok(Bytes::copy_from_slice(&photo[100_000..200_000])),
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        )),
        Ok(Bytes::copy_from_slice(&photo[200_000..])),
    ]);

    let error = store
        .receive("photo.jpg", upload)
        .await
        .expect_err("failed stream");

    match &error {
        UploadError::Read { file_name, message } => {
            assert_eq!(file_name, "photo.jpg");
            assert_eq!(message, "connection reset by peer");
        }
        other => panic!("expected Read, got {other:?}"),
    }
    assert_eq!(error.code(), "file_read_failed");
    assert!(temp_files(dir.path()).is_empty());
    assert!(stored_files(dir.path()).is_empty());
}

#[tokio::test]
async fn stream_error_before_type_known() {
    let (dir, store) = open_store().await;
    let upload = stream::iter([Err::<Bytes, _>(io::Error::other("client went away"))]);

    let error = store
        .receive("photo.jpg", upload)
        .await
        .expect_err("failed stream");

    assert!(matches!(error, UploadError::Read { .. }), "{error:?}");
    assert!(temp_files(dir.path()).is_empty());
}

#[tokio::test]
async fn cancelled_upload_removes_temp_file() {
    let (dir, store) = open_store().await;
    let photo = read_fixture("moscow_tverskaya_orient1.jpg");
    // The body stops arriving after 64 KiB, and the caller gives up waiting.
    let head = stream::iter([Ok::<_, io::Error>(Bytes::copy_from_slice(
        &photo[..64 * 1024],
    ))]);
    let upload = head.chain(stream::pending());

    let outcome = tokio::time::timeout(
        Duration::from_millis(200),
        store.receive("photo.jpg", upload),
    )
    .await;

    assert!(
        outcome.is_err(),
        "the upload should still be waiting for data"
    );
    assert!(temp_files(dir.path()).is_empty());
    assert!(stored_files(dir.path()).is_empty());
}

/// Builds a DOCX with one extra deflated entry of `zeros` zero bytes.
fn docx_with_zeros(zeros: u32) -> Vec<u8> {
    let document =
        br#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>"#;
    let stored = |name, data: &[u8]| ZipEntry {
        name,
        method: 0,
        data: data.to_vec(),
        crc: crc32(data),
        uncompressed_size: data.len() as u32,
    };
    zip_archive(&[
        stored("[Content_Types].xml", CONTENT_TYPES_XML.as_bytes()),
        stored("word/document.xml", document),
        ZipEntry {
            name: "word/media/padding.bin",
            method: 8,
            data: deflate_zeros(zeros),
            crc: crc32fast::hash(&vec![0; zeros as usize]),
            uncompressed_size: zeros,
        },
    ])
}

#[tokio::test]
async fn docx_zip_bomb_rejected() {
    // 64 MiB of zeros deflate to about 400 KiB, a ratio of about 150:1.
    let (dir, store) = open_store().await;
    let zeros = 64 * 1024 * 1024;
    let bomb = docx_with_zeros(zeros);
    assert!(bomb.len() < 1024 * 1024, "bomb is {} bytes", bomb.len());

    let result = store.receive("report.docx", chunked(&bomb)).await;
    match result {
        Err(UploadError::ArchiveExpandsTooMuch {
            file_name,
            uncompressed_bytes,
            compressed_bytes,
        }) => {
            assert_eq!(file_name, "report.docx");
            assert!(uncompressed_bytes >= u64::from(zeros));
            assert!(compressed_bytes < 1024 * 1024);
        }
        other => panic!("expected ArchiveExpandsTooMuch, got {other:?}"),
    }
    assert!(temp_files(dir.path()).is_empty());
    assert!(stored_files(dir.path()).is_empty());
}

#[tokio::test]
async fn docx_with_small_compressible_entry_accepted() {
    // 4 MiB of zeros is far past 100:1 but below the 10 MiB size where the ratio is checked.
    let (_dir, store) = open_store().await;
    let docx = docx_with_zeros(4 * 1024 * 1024);
    let stored = store
        .receive("report.docx", chunked(&docx))
        .await
        .expect("small DOCX accepted");
    assert_eq!(stored.kind, FileKind::Docx);
}
