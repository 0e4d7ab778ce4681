//! Uploads of every allowed kind are stored byte for byte under their SHA-256.

mod support;

use pomoshnik_media::{FileKind, FileStore, StoredFile, UploadError};
use support::*;

/// Uploads `data`, expects `kind`, and checks the hash, the key and the stored bytes.
async fn assert_stored(
    store: &FileStore,
    file_name: &str,
    data: &[u8],
    kind: FileKind,
) -> StoredFile {
    let stored = store
        .receive(file_name, chunked(data))
        .await
        .unwrap_or_else(|error| panic!("{file_name} was rejected: {error}"));
    let expected_sha256 = sha256_hex(data);

    assert_eq!(stored.kind, kind, "kind of {file_name}");
    assert_eq!(stored.sha256, expected_sha256, "sha256 of {file_name}");
    assert_eq!(stored.size, data.len() as u64, "size of {file_name}");
    assert_eq!(
        stored.key,
        format!("originals/{}/{}", &expected_sha256[..2], expected_sha256)
    );

    let content = read_all(store.read(&stored.key).await.expect("open stored file")).await;
    assert!(
        content == data,
        "stored bytes of {file_name} differ from the upload"
    );
    stored
}

#[tokio::test]
async fn real_jpeg_photo_accepted() {
    let (dir, store) = open_store().await;
    let data = read_fixture("moscow_tverskaya_orient1.jpg");

    let stored = assert_stored(
        &store,
        "moscow_tverskaya_orient1.jpg",
        &data,
        FileKind::Jpeg,
    )
    .await;

    assert_eq!(stored.original_name, "moscow_tverskaya_orient1.jpg");
    assert_eq!(
        stored.sha256,
        "16ef901923ebc15f380ea46317f94d126bf98254f50497e291b8a29d18c1b9ea"
    );
    assert!(temp_files(dir.path()).is_empty());
    assert_eq!(stored_files(dir.path()).len(), 1);
}

#[tokio::test]
async fn real_png_accepted() {
    let (_dir, store) = open_store().await;
    let data = read_fixture("png_exif_valid_tiny.png");
    assert_stored(&store, "tiny.png", &data, FileKind::Png).await;
}

#[tokio::test]
async fn real_mp4_accepted() {
    let (_dir, store) = open_store().await;
    let data = read_fixture("video_creation_time_no_gps.mp4");
    assert_stored(&store, "clip.mp4", &data, FileKind::Mp4).await;
}

#[tokio::test]
async fn whole_chunk_upload_accepted() {
    // One chunk larger than the sniffing buffer, as a client with a fast connection may send.
    let (_dir, store) = open_store().await;
    let data = read_fixture("moscow_tverskaya_orient1.jpg");
    let stream =
        futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(data.clone()))]);

    let stored = store
        .receive("photo.jpg", stream)
        .await
        .expect("store photo");

    assert_eq!(stored.sha256, sha256_hex(&data));
    assert_eq!(stored.kind, FileKind::Jpeg);
}

#[tokio::test]
async fn pdf_accepted() {
    let (_dir, store) = open_store().await;
    assert_stored(&store, "act.pdf", &minimal_pdf(), FileKind::Pdf).await;
}

#[tokio::test]
async fn docx_accepted() {
    let (_dir, store) = open_store().await;
    let data = minimal_docx();
    assert!(
        infer::doc::is_docx(&data),
        "the test builder made an invalid DOCX"
    );

    assert_stored(&store, "complaint.docx", &data, FileKind::Docx).await;
}

#[tokio::test]
async fn docx_with_unusual_entry_order_accepted() {
    // `infer` looks only at the first few entries, but the central directory lists them all.
    let (_dir, store) = open_store().await;
    let document =
        br#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>"#;
    let data = zip_stored(&[
        ("mimetype", b"x"),
        ("docProps/app.xml", b"<Properties/>"),
        ("docProps/core.xml", b"<coreProperties/>"),
        ("customXml/item1.xml", b"<a/>"),
        ("word/document.xml", document),
        ("[Content_Types].xml", CONTENT_TYPES_XML.as_bytes()),
    ]);
    assert!(
        !infer::doc::is_docx(&data),
        "this layout should be one that infer misses"
    );

    assert_stored(&store, "export.docx", &data, FileKind::Docx).await;
}

#[tokio::test]
async fn xlsx_accepted() {
    let (_dir, store) = open_store().await;
    let data = minimal_xlsx();
    assert!(
        infer::doc::is_xlsx(&data),
        "the test builder made an invalid XLSX"
    );

    assert_stored(&store, "budget.xlsx", &data, FileKind::Xlsx).await;
}

#[tokio::test]
async fn doc_with_word_clsid_accepted() {
    let (_dir, store) = open_store().await;
    let data = ole2_file(office_clsid(WORD_97_CLSID), "WordDocument", 8);
    assert!(
        infer::doc::is_doc(&data),
        "the test builder made an invalid DOC"
    );

    assert_stored(&store, "letter.doc", &data, FileKind::Doc).await;
}

#[tokio::test]
async fn xls_with_excel_clsid_accepted() {
    let (_dir, store) = open_store().await;
    let data = ole2_file(office_clsid(EXCEL_97_CLSID), "Workbook", 8);
    assert!(
        infer::doc::is_xls(&data),
        "the test builder made an invalid XLS"
    );

    assert_stored(&store, "table.xls", &data, FileKind::Xls).await;
}

#[tokio::test]
async fn doc_found_by_stream_name() {
    // Zero root CLSID and a directory 200 KiB into the file, far past the sniffing buffer.
    let (_dir, store) = open_store().await;
    let data = ole2_file([0; 16], "WordDocument", 400);
    assert!(data.len() > 200 * 1024);

    assert_stored(&store, "old.doc", &data, FileKind::Doc).await;
}

#[tokio::test]
async fn xls_found_by_stream_name() {
    let (_dir, store) = open_store().await;

    let workbook = ole2_file([0; 16], "Workbook", 300);
    assert_stored(&store, "generated.xls", &workbook, FileKind::Xls).await;

    let excel_5_book = ole2_file([0; 16], "Book", 8);
    assert_stored(&store, "excel5.xls", &excel_5_book, FileKind::Xls).await;
}

#[tokio::test]
async fn kind_ignores_file_name() {
    // A real PNG named .pdf is stored as PNG, because only the content counts.
    let (_dir, store) = open_store().await;
    let data = read_fixture("png_exif_valid_tiny.png");

    let stored = assert_stored(&store, "scan.pdf", &data, FileKind::Png).await;

    assert_eq!(stored.original_name, "scan.pdf");
}

#[tokio::test]
async fn identical_content_stored_once() {
    let (dir, store) = open_store().await;
    let data = read_fixture("png_exif_valid_tiny.png");

    let first = store
        .receive("first.png", chunked(&data))
        .await
        .expect("store first copy");
    let second = store
        .receive("second.png", chunked(&data))
        .await
        .expect("store second copy");

    assert_eq!(first.key, second.key);
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(first.original_name, "first.png");
    assert_eq!(second.original_name, "second.png");
    assert_eq!(stored_files(dir.path()).len(), 1);
    assert!(temp_files(dir.path()).is_empty());
}

#[tokio::test]
async fn upload_error_codes_and_names() {
    let (_dir, store) = open_store().await;

    let error = store
        .receive("../notes.jpg", chunked(b"plain text"))
        .await
        .expect_err("text must be rejected");

    assert!(matches!(error, UploadError::TypeNotAllowed { .. }));
    assert_eq!(error.code(), "file_type_not_allowed");
    assert_eq!(error.file_name(), Some("notes.jpg"));

    let storage = UploadError::from(std::io::Error::other("disk full"));
    assert_eq!(storage.code(), "storage_failed");
    assert_eq!(storage.file_name(), None);
}
