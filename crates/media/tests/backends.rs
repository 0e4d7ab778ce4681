//! One storage suite run against both backends: the local directory, and an S3-compatible bucket
//! served by moto on loopback (`pip install 'moto[server]'`, which `bash .ci/run` does).

mod support;

use std::io;
use std::path::Path;
use std::time::Duration;

use pomoshnik_media::{FileKind, FileStore, PREVIEW_FILE_NAME, S3Config, StoredFile, THUMBNAIL_FILE_NAME, UploadError, process_evidence};
use pomoshnik_test_support::s3::{ACCESS_KEY_ID, MotoServer, SECRET_ACCESS_KEY};
use support::*;

/// A store of one backend with what the checks need to look behind it.
struct Setup {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    store: FileStore,
    /// The server and the bucket name with the S3 backend.
    s3: Option<(MotoServer, String)>,
}

impl Setup {
    async fn directory() -> Setup {
        let dir = tempfile::tempdir().expect("create temporary directory");
        let root = dir.path().join("files");
        let store = FileStore::open(&root).await.expect("open the directory store");
        Setup { _dir: dir, root, store, s3: None }
    }

    async fn s3() -> Setup {
        let server = MotoServer::start().await;
        let bucket = server.create_bucket("pomoshnik-files").await;
        let dir = tempfile::tempdir().expect("create temporary directory");
        let root = dir.path().join("files");
        let store = FileStore::open_with_s3(&root, &s3_config(&server, &bucket)).await.expect("open the S3 store");
        store.probe().await.expect("the bucket accepts a probe object");
        Setup { _dir: dir, root, store, s3: Some((server, bucket)) }
    }

    /// Returns the keys of every object in the bucket, none with the directory backend.
    async fn object_keys(&self) -> Vec<String> {
        match &self.s3 {
            Some((server, bucket)) => server.object_keys(bucket).await.into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Returns the files under the root directory, `tmp/` included, relative to the root.
    fn local_files(&self) -> Vec<String> {
        files_under(&self.root)
            .into_iter()
            .map(|path| path.strip_prefix(&self.root).expect("file under root").to_string_lossy().into_owned())
            .filter(|path| !path.starts_with(".probe"))
            .collect()
    }

    /// Receives an upload, makes its derived images and commits it, as the web layer does for
    /// an accepted file.
    async fn store_accepted(&self, name: &str, data: &[u8]) -> StoredFile {
        let stored = self.store.receive(name, chunked(data)).await.unwrap_or_else(|error| panic!("receive {name}: {error}"));
        let original = self.store.path_of(&stored.key).expect("valid key");
        let derived = self.store.derived_dir_of(&stored.key).expect("valid key");
        let kind = stored.kind;
        tokio::task::spawn_blocking(move || process_evidence(&original, kind, &derived))
            .await
            .expect("evidence task")
            .unwrap_or_else(|error| panic!("process {name}: {error}"));
        self.store.commit(&stored.key).await.unwrap_or_else(|error| panic!("commit {name}: {error}"));
        stored
    }
}

fn s3_config(server: &MotoServer, bucket: &str) -> S3Config {
    let mut config = S3Config::new(bucket);
    config.endpoint = Some(server.endpoint().to_owned());
    config.access_key_id = Some(ACCESS_KEY_ID.to_owned());
    config.secret_access_key = Some(SECRET_ACCESS_KEY.to_owned());
    config
}

fn derived_key(stored: &StoredFile, name: &str) -> String {
    format!("derived/{}/{}/{name}", &stored.sha256[..2], stored.sha256)
}

/// Generates `<scenario>_directory` and `<scenario>_s3`, each running `scenario` on a new store.
macro_rules! on_both_storages {
    ($scenario:ident) => {
        pomoshnik_test_support::pastey::paste! {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn [<$scenario _directory>]() {
                $scenario(&Setup::directory().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn [<$scenario _s3>]() {
                $scenario(&Setup::s3().await).await;
            }
        }
    };
}

on_both_storages!(photo_read_back_with_derived_images);
on_both_storages!(large_document_read_back);
on_both_storages!(remove_deletes_original_and_derived);
on_both_storages!(orphans_listed_by_age);
on_both_storages!(rejected_type_leaves_nothing);
on_both_storages!(damaged_photo_leaves_nothing);

async fn photo_read_back_with_derived_images(setup: &Setup) {
    let data = read_fixture("moscow_zelenograd_orient6.jpg");
    let stored = setup.store_accepted("фото.jpg", &data).await;
    assert_eq!(stored.kind, FileKind::Jpeg);
    assert_eq!(stored.sha256, sha256_hex(&data));

    let content = read_all(setup.store.read(&stored.key).await.expect("read the original")).await;
    assert_eq!(sha256_hex(&content), stored.sha256, "hash of the content read back");
    assert!(content == data, "the original is read back byte for byte");

    for name in [PREVIEW_FILE_NAME, THUMBNAIL_FILE_NAME] {
        let image = read_all(setup.store.read_derived(&stored.key, name).await.unwrap_or_else(|error| panic!("read {name}: {error}"))).await;
        assert!(image.starts_with(&[0xFF, 0xD8]), "{name} is a JPEG");
        assert!(image.len() < data.len(), "{name} is smaller than the original");
    }

    let staged = setup.store.path_of(&stored.key).expect("valid key");
    match &setup.s3 {
        Some(_) => {
            let keys = setup.object_keys().await;
            assert!(keys.contains(&stored.key), "the original is in the bucket: {keys:?}");
            assert!(keys.contains(&derived_key(&stored, PREVIEW_FILE_NAME)), "the preview is in the bucket: {keys:?}");
            assert!(keys.contains(&derived_key(&stored, THUMBNAIL_FILE_NAME)), "the thumbnail is in the bucket: {keys:?}");
            assert_eq!(setup.local_files(), Vec::<String>::new(), "the staging copies are removed after the commit");
        }
        None => assert!(staged.is_file(), "the directory keeps the original at {}", staged.display()),
    }
}

/// A document larger than one part of a multipart upload (5 MiB) is sent in parts and read back
/// in full.
async fn large_document_read_back(setup: &Setup) {
    let mut data = b"%PDF-1.4\n".to_vec();
    data.extend((0..7 * 1024 * 1024).map(|index: u32| (index.wrapping_mul(2_654_435_761) >> 24) as u8));
    let stored = setup.store_accepted("отчёт.pdf", &data).await;
    assert_eq!(stored.kind, FileKind::Pdf);

    let content = read_all(setup.store.read(&stored.key).await.expect("read the document")).await;
    assert_eq!(content.len(), data.len(), "length of the document read back");
    assert_eq!(sha256_hex(&content), sha256_hex(&data), "hash of the document read back");

    let error = setup.store.read_derived(&stored.key, PREVIEW_FILE_NAME).await.err().expect("a document has no preview");
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    if setup.s3.is_some() {
        assert_eq!(setup.object_keys().await, vec![stored.key.clone()], "only the original is in the bucket");
    }
}

async fn remove_deletes_original_and_derived(setup: &Setup) {
    let stored = setup.store_accepted("фото.jpg", &read_fixture("moscow_tverskaya_orient1.jpg")).await;

    setup.store.remove(&stored.key).await.expect("remove");
    setup.store.remove(&stored.key).await.expect("removing a removed file succeeds");

    let error = setup.store.read(&stored.key).await.err().expect("the original is gone");
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    let error = setup.store.read_derived(&stored.key, THUMBNAIL_FILE_NAME).await.err().expect("the thumbnail is gone");
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert_eq!(setup.object_keys().await, Vec::<String>::new(), "no object is left in the bucket");
    assert_eq!(setup.local_files(), Vec::<String>::new(), "no local file is left");
}

/// Stored originals and a received file never committed (a process killed in between) are
/// listed once they are older than the given age.
async fn orphans_listed_by_age(setup: &Setup) {
    let committed = setup.store_accepted("фото.jpg", &read_fixture("moscow_tverskaya_orient1.jpg")).await;
    let staged = setup.store.receive("скан.png", chunked(&read_fixture("png_exif_valid_tiny.png"))).await.expect("receive png");

    let recent = setup.store.originals_older_than(Duration::from_secs(3600)).await.expect("list originals");
    assert_eq!(recent, Vec::<String>::new(), "nothing is an hour old");

    // S3 reports modification times in whole seconds.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut old = setup.store.originals_older_than(Duration::from_secs(1)).await.expect("list originals");
    old.sort();
    let mut expected = vec![committed.key.clone(), staged.key.clone()];
    expected.sort();
    assert_eq!(old, expected);
}

async fn rejected_type_leaves_nothing(setup: &Setup) {
    let error = setup.store.receive("virus.jpg", chunked(b"MZ\x90\x00 this is an executable, not a photo")).await.expect_err("not an allowed type");
    assert!(matches!(error, UploadError::TypeNotAllowed { .. }), "{error}");

    assert_eq!(setup.local_files(), Vec::<String>::new(), "no local file is left");
    assert!(files_under(&setup.root.join("tmp")).is_empty(), "no temporary file is left");
    assert_eq!(setup.object_keys().await, Vec::<String>::new(), "no object is in the bucket");
}

/// A photo that is received but fails verification is discarded as the web layer does it.
async fn damaged_photo_leaves_nothing(setup: &Setup) {
    let mut data = read_fixture("moscow_tverskaya_orient1.jpg");
    data.truncate(data.len() / 2);
    let stored = setup.store.receive("обрезанное.jpg", chunked(&data)).await.expect("the head is a JPEG");
    let original = setup.store.path_of(&stored.key).expect("valid key");
    let derived = setup.store.derived_dir_of(&stored.key).expect("valid key");
    let outcome = tokio::task::spawn_blocking(move || process_evidence(&original, FileKind::Jpeg, &derived)).await.expect("evidence task");
    assert!(outcome.is_err(), "a truncated photo is rejected");

    setup.store.discard_staged(&stored.key).await.expect("discard the staging copy");
    setup.store.remove(&stored.key).await.expect("remove the unused content");

    assert!(!Path::new(&setup.store.path_of(&stored.key).unwrap()).exists());
    assert_eq!(setup.local_files(), Vec::<String>::new(), "no local file is left");
    assert_eq!(setup.object_keys().await, Vec::<String>::new(), "no object is in the bucket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_fails_for_missing_bucket() {
    let server = MotoServer::start().await;
    let dir = tempfile::tempdir().expect("create temporary directory");
    let store = FileStore::open_with_s3(dir.path().join("files"), &s3_config(&server, "no-such-bucket")).await.expect("opening sends no request");

    let error = store.probe().await.expect_err("a missing bucket fails the probe");
    assert!(error.to_string().contains("no-such-bucket") || error.to_string().contains("NoSuchBucket"), "unexpected error: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_without_bucket_keeps_local_file() {
    let setup = Setup::directory().await;
    let stored = setup.store.receive("скан.png", chunked(&read_fixture("png_exif_valid_tiny.png"))).await.expect("receive png");

    setup.store.commit(&stored.key).await.expect("commit");
    setup.store.discard_staged(&stored.key).await.expect("discard does nothing without a bucket");

    assert!(setup.store.path_of(&stored.key).unwrap().is_file(), "the directory keeps the file");
}
