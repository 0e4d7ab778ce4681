//! Reading, removing and cleaning up stored files.

mod support;

use std::io;
use std::time::{Duration, SystemTime};

use pomoshnik_media::{FileStore, sanitize_file_name};
use support::*;

#[tokio::test]
async fn open_creates_directories() {
    let dir = tempfile::tempdir().expect("create temporary directory");
    let root = dir.path().join("data/files");

    FileStore::open(&root).await.expect("open store");

    assert!(root.join("tmp").is_dir());
    assert!(root.join("originals").is_dir());
}

#[tokio::test]
async fn read_rejects_path_traversal() {
    let (dir, store) = open_store().await;
    std::fs::write(dir.path().join("secret.txt"), "secret").expect("write file outside the store");
    let stored = store
        .receive(
            "tiny.png",
            chunked(&read_fixture("png_exif_valid_tiny.png")),
        )
        .await
        .expect("store png");
    let sha = &stored.sha256;

    let bad_keys = [
        "../secret.txt".to_owned(),
        "../../etc/passwd".to_owned(),
        "/etc/passwd".to_owned(),
        format!("originals/{}/../../../secret.txt", &sha[..2]),
        format!("originals/../originals/{}/{sha}", &sha[..2]),
        format!("/originals/{}/{sha}", &sha[..2]),
        format!("originals/{}\\..\\{sha}", &sha[..2]),
        format!("tmp/{sha}"),
        format!("originals/{}/{}", &sha[..2], sha.to_uppercase()),
        format!("originals/00/{sha}"),
        format!("originals/{}/{sha}/", &sha[..2]),
        "originals".to_owned(),
        String::new(),
    ];
    for key in &bad_keys {
        assert_eq!(store.path_of(key), None, "path_of accepted {key:?}");
        let error = store
            .read(key)
            .await
            .err()
            .unwrap_or_else(|| panic!("read accepted {key:?}"));
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "read({key:?})");
        let error = store
            .remove(key)
            .await
            .expect_err(&format!("remove accepted {key:?}"));
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "remove({key:?})");
    }

    let content = read_all(store.read(&stored.key).await.expect("read stored file")).await;
    assert_eq!(content.len() as u64, stored.size);
    assert!(dir.path().join("secret.txt").exists());
}

#[tokio::test]
async fn read_missing_key_not_found() {
    let (_dir, store) = open_store().await;
    let sha = "a".repeat(64);
    let key = format!("originals/aa/{sha}");

    let error = store.read(&key).await.err().expect("no such file");

    assert_eq!(error.kind(), io::ErrorKind::NotFound);
}

#[tokio::test]
async fn remove_deletes_and_tolerates_missing() {
    let (dir, store) = open_store().await;
    let stored = store
        .receive("act.pdf", chunked(&minimal_pdf()))
        .await
        .expect("store pdf");
    let path = store.path_of(&stored.key).expect("valid key");
    assert!(path.is_file());

    store.remove(&stored.key).await.expect("remove stored file");
    assert!(!path.exists());
    assert!(stored_files(dir.path()).is_empty());

    store
        .remove(&stored.key)
        .await
        .expect("second remove is not an error");
}

#[tokio::test]
async fn stale_temporary_files_removed() {
    let (dir, store) = open_store().await;
    let temp_dir = dir.path().join("files/tmp");
    let stale = temp_dir.join("stale.part");
    let fresh = temp_dir.join("fresh.part");
    std::fs::write(&stale, b"half an upload").expect("write stale file");
    std::fs::write(&fresh, b"upload in progress").expect("write fresh file");
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .and_then(|file| file.set_modified(two_hours_ago))
        .expect("age the stale file");

    let removed = store
        .remove_stale_temporary_files(Duration::from_secs(3600))
        .await
        .expect("clean up");

    assert_eq!(removed, 1);
    assert!(!stale.exists());
    assert!(fresh.exists());
}

#[test]
fn sanitize_keeps_last_component() {
    assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
    assert_eq!(sanitize_file_name("C:\\Users\\x\\photo.jpg"), "photo.jpg");
    assert_eq!(sanitize_file_name("/var/tmp/mixed\\sep/doc.pdf"), "doc.pdf");
    assert_eq!(sanitize_file_name("photo.jpg"), "photo.jpg");
}

#[test]
fn sanitize_drops_control_characters() {
    assert_eq!(sanitize_file_name("pho\u{0}to\r\n.jpg"), "photo.jpg");
    assert_eq!(sanitize_file_name("\tname\u{7F}.png "), "name.png");
    // U+202E would make "gpj.exe" display as "exe.jpg".
    assert_eq!(sanitize_file_name("photo\u{202E}gpj.exe"), "photogpj.exe");
}

#[test]
fn sanitize_falls_back_to_file() {
    assert_eq!(sanitize_file_name(""), "file");
    assert_eq!(sanitize_file_name("   "), "file");
    assert_eq!(sanitize_file_name("dir/"), "file");
    assert_eq!(sanitize_file_name("\u{1}\u{2}"), "file");
    assert_eq!(sanitize_file_name(".."), "file");
    assert_eq!(sanitize_file_name("a/.."), "file");
}

#[test]
fn sanitize_caps_long_cyrillic_name() {
    let long_name: String = "яма".repeat(100);
    assert_eq!(long_name.chars().count(), 300);

    let sanitized = sanitize_file_name(&long_name);

    assert_eq!(sanitized.chars().count(), 120);
    assert_eq!(sanitized.len(), 240);
    assert!(long_name.starts_with(&sanitized));
}

#[test]
fn sanitize_keeps_cyrillic_with_spaces() {
    assert_eq!(
        sanitize_file_name("  Фото ямы на Тверской.jpg  "),
        "Фото ямы на Тверской.jpg"
    );
}
