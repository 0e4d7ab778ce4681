//! The service with uploaded files kept in an S3-compatible bucket: moto on loopback
//! (`pip install 'moto[server]'`, which `bash .ci/run` does). Reports are filed over real HTTP, and
//! the bucket is inspected directly.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use std::collections::BTreeSet;

use common::*;
use pomoshnik::Installation;
use pomoshnik_media::S3Config;
use pomoshnik_test_support::DatabaseKind;
use pomoshnik_test_support::s3::{ACCESS_KEY_ID, MotoServer, SECRET_ACCESS_KEY};
use reqwest::{Client, StatusCode};

const BUCKET: &str = "pomoshnik-e2e";

fn s3_config(server: &MotoServer, bucket: &str) -> S3Config {
    let mut config = S3Config::new(bucket);
    config.endpoint = Some(server.endpoint().to_owned());
    config.access_key_id = Some(ACCESS_KEY_ID.to_owned());
    config.secret_access_key = Some(SECRET_ACCESS_KEY.to_owned());
    config
}

fn original_key(sha256: &str) -> String {
    format!("originals/{}/{sha256}", &sha256[..2])
}

fn derived_key(sha256: &str, name: &str) -> String {
    format!("derived/{}/{sha256}/{name}", &sha256[..2])
}

/// Returns every file under `<data_dir>/files`, relative to it. With a bucket no file stays there
/// once a request is finished.
fn local_files(service: &TestService) -> Vec<String> {
    let root = service.data_dir.path().join("files");
    let mut found = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).expect("list the file storage") {
            let path = entry.expect("read a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_photo_kept_in_bucket() {
    let server = MotoServer::start().await;
    server.create_bucket(BUCKET).await;
    let service = TestService::start_with_s3(DatabaseKind::Sqlite, s3_config(&server, BUCKET)).await;

    let ready = Client::new().get(service.url("/readyz")).send().await.expect("GET /readyz failed");
    assert_eq!(ready.status(), StatusCode::OK, "ready with the bucket reachable");

    // The author files a report with a photo and gets the original back byte for byte.
    let author = service.resident("author@example.ru").await;
    let photo = fixture(TVERSKAYA);
    let sha256 = sha256_hex(&photo);
    let (status, report) = author.file_report(&litter_report(55.7640, 37.6060), &[Upload::photo(TVERSKAYA)], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {report}");
    let number = report["number"].as_str().expect("report has a number").to_owned();
    let file = &report["files"][0];
    assert_eq!(file["sha256"], sha256.as_str(), "{file}");

    let original_url = file["url"].as_str().expect("a file has a URL");
    let original = author.get(original_url).await;
    assert_eq!(original.status(), StatusCode::OK);
    let original = original.bytes().await.expect("failed to read the original");
    assert_eq!(sha256_hex(&original), sha256, "hash of the original the author gets");
    assert!(original.as_ref() == photo.as_slice(), "the author gets the original byte for byte");

    // The bucket contains the original and its derived images, and the data directory no file.
    let expected: BTreeSet<String> = [original_key(&sha256), derived_key(&sha256, "preview.jpg"), derived_key(&sha256, "thumbnail.jpg")].into();
    assert_eq!(server.object_keys(BUCKET).await, expected);
    assert_eq!(server.object(BUCKET, &original_key(&sha256)).await.as_deref(), Some(photo.as_slice()), "the object is the photo byte for byte");
    assert_eq!(local_files(&service), Vec::<String>::new(), "no staging copy is left in the data directory");

    let preview = author.get(file["preview_url"].as_str().expect("a photo has a preview")).await.bytes().await.expect("failed to read the preview");
    let preview_object = server.object(BUCKET, &derived_key(&sha256, "preview.jpg")).await.expect("the preview object exists");
    assert!(preview.as_ref() == preview_object.as_slice(), "the preview is served from the bucket");

    // Visitors without a session get nothing; another resident gets only the thumbnail offered
    // with a possible duplicate.
    let anonymous = Client::new();
    for path in [original_url, file["preview_url"].as_str().unwrap(), &format!("/api/v1/reports/{number}/thumbnail")] {
        let response = anonymous.get(service.url(path)).send().await.expect("anonymous GET failed");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "anonymous GET {path}");
    }
    let neighbour = service.resident("neighbour@example.ru").await;
    assert_eq!(neighbour.get(original_url).await.status(), StatusCode::NOT_FOUND, "another resident gets no original");
    assert_eq!(neighbour.get(file["preview_url"].as_str().unwrap()).await.status(), StatusCode::NOT_FOUND, "another resident gets no preview");
    let thumbnail = neighbour.get(&format!("/api/v1/reports/{number}/thumbnail")).await;
    assert_eq!(thumbnail.status(), StatusCode::OK, "another resident gets the duplicate thumbnail");
    let thumbnail = thumbnail.bytes().await.expect("failed to read the thumbnail");
    let thumbnail_object = server.object(BUCKET, &derived_key(&sha256, "thumbnail.jpg")).await.expect("the thumbnail object exists");
    assert!(thumbnail.as_ref() == thumbnail_object.as_slice(), "the thumbnail is served from the bucket");
    assert!(!thumbnail.windows(4).any(|window| window == b"Exif"), "the thumbnail carries no EXIF block");

    // A damaged photo is rejected and leaves no object and no local file.
    let mut truncated = fixture(ZELENOGRAD);
    truncated.truncate(truncated.len() / 2);
    let damaged = Upload { name: "обрезанное.jpg".to_owned(), bytes: truncated };
    let (status, body) = author.file_report(&litter_report(55.7640, 37.6060), &[damaged], None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "file_damaged");
    assert_eq!(server.object_keys(BUCKET).await, expected, "the damaged photo left no object");
    assert_eq!(local_files(&service), Vec::<String>::new(), "the damaged photo left no local file");

    // A report rejected after its valid photo was stored: the photo's objects are removed.
    let mut invalid = litter_report(55.7640, 37.6060);
    invalid["category"] = "no_such_category".into();
    let (status, body) = author.file_report(&invalid, &[Upload::photo(ZELENOGRAD)], None).await;
    assert!(status.is_client_error(), "an unknown category is rejected: {status} {body}");
    assert_eq!(server.object_keys(BUCKET).await, expected, "the rejected report left no object");
    assert_eq!(local_files(&service), Vec::<String>::new(), "the rejected report left no local file");
    assert_eq!(service.delete_pending_uploads().await, Vec::<String>::new(), "the rejected report left no upload record");

    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_bucket_fails_at_start() {
    let server = MotoServer::start().await;
    let data_dir = tempfile::tempdir().expect("failed to create a temporary data directory");
    let installation = Installation::new(data_dir.path(), None).with_s3(Some(s3_config(&server, "no-such-bucket")));

    let error = installation.open_files().await.expect_err("a missing bucket must stop the start");

    let message = format!("{error:#}");
    assert!(message.contains("cannot write to the S3 bucket s3://no-such-bucket"), "unexpected error: {message}");
    assert!(!message.contains(SECRET_ACCESS_KEY), "the error shows the secret: {message}");
}
