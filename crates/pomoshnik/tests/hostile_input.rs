//! Robustness against malformed and hostile input, over real HTTP on both backends. Every case
//! checks the error the client gets (status and JSON code, or the Russian message of a page).
//! It also checks that nothing stored changed: the number of reports, the stored files and an
//! existing report. The operational endpoints are checked here too, because the metrics count
//! the rejected uploads.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::{DatabaseKind, on_both_backends};
use pomoshnik_web::BodyTimeouts;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_backends!(with_service => oversized_body, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => malformed_submissions, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => path_in_file_name, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => markup_in_text_fields, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => sql_in_text_fields, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => extreme_values, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => oversized_headers, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_short_body_timeouts => stalled_upload, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => operations_endpoints, flavor = "multi_thread", worker_threads = 2);

/// The request body limit of the service: five files of 50 MiB and 1 MiB for the form.
const MAX_BODY_BYTES: u64 = 5 * 50 * 1024 * 1024 + 1024 * 1024;

const BOUNDARY: &str = "hostile-input-boundary";

/// Body timeouts short enough for a test of stalled clients, and long enough for a normal upload
/// over loopback on a busy machine: with one second of idle time, uploads failed when the two
/// cores were shared with several builds.
const SHORT_TIMEOUTS: BodyTimeouts = BodyTimeouts { idle: Duration::from_secs(2), total: Duration::from_secs(6) };

/// How long a stalled request may take before the test fails: the server must end it well
/// before this.
const STALL_TEST_LIMIT: Duration = Duration::from_secs(15);

/// Runs `scenario` against a service with [`SHORT_TIMEOUTS`].
async fn with_short_body_timeouts(kind: DatabaseKind, scenario: impl AsyncFnOnce(&TestService)) {
    let service = TestService::start_with_body_timeouts(kind, SHORT_TIMEOUTS).await;
    scenario(&service).await;
    service.stop().await;
}

/// A resident with one filed report, and an administrator, who may read every report.
struct Setup {
    resident: ApiClient,
    admin: ApiClient,
    number: String,
}

async fn setup(service: &TestService) -> Setup {
    let resident = service.resident("resident@example.ru").await;
    let admin = service.user("admin@example.ru", Role::Admin, None).await;
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let (status, report) = resident.file_report(&parking_report(), &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "filing the existing report failed: {report}");
    let number = report["number"].as_str().expect("report has a number").to_owned();
    Setup { resident, admin, number }
}

/// What a rejected request must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    report_count: usize,
    originals: BTreeSet<String>,
    existing_report: Value,
}

async fn snapshot(service: &TestService, setup: &Setup) -> Snapshot {
    let report = setup.admin.report(&setup.number).await;
    let existing_report = json!({
        "status": report["status"],
        "version": report["version"],
        "description": report["description"],
        "address": report["address"],
        "fields": report["fields"],
        "files": report["files"],
        "events": report["events"],
    });
    Snapshot { report_count: setup.admin.report_numbers().await.len(), originals: service.stored_originals(), existing_report }
}

/// Checks that nothing stored changed since `before` and that no upload was left behind.
async fn assert_untouched(service: &TestService, setup: &Setup, before: &Snapshot, case: &str) {
    let after = snapshot(service, setup).await;
    assert_eq!(after.report_count, before.report_count, "{case}: the number of reports changed");
    assert_eq!(after.originals, before.originals, "{case}: the stored files changed");
    assert_eq!(after.existing_report, before.existing_report, "{case}: the existing report changed");
    assert_eq!(service.delete_pending_uploads().await, Vec::<String>::new(), "{case}: an upload was left behind");
}

/// Checks an API error: its status, its code and that it has a message for people.
fn assert_error(case: &str, actual: &(StatusCode, Value), status: StatusCode, code: &str) {
    let (actual_status, body) = actual;
    assert_eq!(*actual_status, status, "{case}: {body}");
    assert_eq!(body["error"]["code"], code, "{case}: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|message| !message.is_empty()), "{case}: no message in {body}");
}

/// Builds a multipart body with the parts `(name, file name, content)` and the closing boundary.
fn multipart_body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file_name {
            Some(file_name) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a prepared body to `path` with the resident's token.
async fn post_raw(service: &TestService, api: &ApiClient, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = Client::new()
        .post(service.url(path))
        .bearer_auth(&api.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|error| panic!("POST {path} failed: {error}"));
    json_of(response).await
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Returns the Moscow time of an hour ago as a `datetime-local` input sends it.
fn local_time_an_hour_ago() -> String {
    let time = chrono::Utc::now() - chrono::Duration::hours(1);
    time.with_timezone(&pomoshnik_core::deadline::CITY_TIME_ZONE).format("%Y-%m-%dT%H:%M").to_string()
}

/// Signs a browser in and returns it with the page of `path`.
async fn browser_on(service: &TestService, email: &str, path: &str) -> (Client, String) {
    let browser = service.browser();
    sign_in_with_form(service, &browser, email, path).await;
    let (status, html) = get_page(service, &browser, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path} as {email}");
    (browser, html)
}

async fn oversized_body(service: &TestService) {
    let setup = setup(service).await;
    let before = snapshot(service, &setup).await;

    // A sparse file holds the body, so neither memory nor disk carries 251 MiB: the multipart
    // framing is written at both ends and the file content between them reads as zeros.
    //
    // The file content alone reaches one byte over the limit, so the server reads nearly all of
    // the body before it answers: the parser must read the content to find its end, but may stop
    // before the bytes after the closing boundary. A body much larger ends with the server
    // closing the connection while the client still sends, and the client then gets a broken
    // pipe or a reset instead of the 413.
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let path = directory.path().join("oversized-body");
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"report\"\r\n\r\n{}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n",
        parking_report()
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let total_bytes: u64 = MAX_BODY_BYTES + 1 + tail.len() as u64;

    let mut file = tokio::fs::File::create(&path).await.expect("failed to create the body file");
    file.write_all(head.as_bytes()).await.expect("failed to write the body head");
    file.set_len(total_bytes - tail.len() as u64).await.expect("failed to extend the body file");
    file.seek(std::io::SeekFrom::End(0)).await.expect("failed to seek to the end of the body file");
    file.write_all(tail.as_bytes()).await.expect("failed to write the body tail");
    file.flush().await.expect("failed to flush the body file");
    drop(file);

    let body = reqwest::Body::from(tokio::fs::File::open(&path).await.expect("failed to open the body file"));
    let response = Client::new()
        .post(service.url("/api/v1/reports"))
        .bearer_auth(&setup.resident.token)
        .header("content-type", multipart_type())
        .header("content-length", total_bytes)
        .body(body)
        .send()
        .await
        .expect("the oversized request failed without a response");
    let result = json_of(response).await;
    assert_error("body over the limit", &result, StatusCode::PAYLOAD_TOO_LARGE, "request_too_large");
    assert_untouched(service, &setup, &before, "body over the limit").await;
}

async fn malformed_submissions(service: &TestService) {
    let setup = setup(service).await;
    let before = snapshot(service, &setup).await;
    let photo = fixture(TVERSKAYA);
    let report = parking_report().to_string();

    // Multipart framing.
    let valid = multipart_body(&[("report", None, report.as_bytes()), ("files", Some("photo.jpg"), &photo)]);
    let other_boundary = "multipart/form-data; boundary=not-the-boundary-of-the-body";
    let result = post_raw(service, &setup.resident, "/api/v1/reports", other_boundary, valid.clone()).await;
    assert_error("wrong boundary", &result, StatusCode::BAD_REQUEST, "multipart_invalid");
    assert_untouched(service, &setup, &before, "wrong boundary").await;

    let truncated = valid[..valid.len() / 2].to_vec();
    let result = post_raw(service, &setup.resident, "/api/v1/reports", &multipart_type(), truncated).await;
    assert_error("truncated body", &result, StatusCode::BAD_REQUEST, "multipart_invalid");
    assert_untouched(service, &setup, &before, "truncated body").await;

    // NOTE: a multipart content type without a boundary is rejected by axum's `Multipart`
    // extractor before the handler runs, so the body is axum's plain text, not the JSON envelope.
    let result = post_raw(service, &setup.resident, "/api/v1/reports", "multipart/form-data", valid.clone()).await;
    assert_eq!(result.0, StatusCode::BAD_REQUEST, "no boundary: {}", result.1);
    assert_untouched(service, &setup, &before, "no boundary").await;

    // The `report` part.
    let report_cases: [(&str, &[u8], StatusCode, &str); 6] = [
        ("unfinished JSON", br#"{"category": "parking_violation", "lat": 55.76"#, StatusCode::UNPROCESSABLE_ENTITY, "report_part_invalid"),
        ("JSON array", b"[1, 2, 3]", StatusCode::UNPROCESSABLE_ENTITY, "report_part_invalid"),
        ("number as category", br#"{"category": 5, "lat": 55.764, "lon": 37.606}"#, StatusCode::UNPROCESSABLE_ENTITY, "report_part_invalid"),
        ("text as latitude", br#"{"category": "parking_violation", "lat": "north", "lon": 37.606}"#, StatusCode::UNPROCESSABLE_ENTITY, "report_part_invalid"),
        ("list as description", br#"{"category": "parking_violation", "description": ["a", "b"]}"#, StatusCode::UNPROCESSABLE_ENTITY, "report_part_invalid"),
        ("invalid UTF-8", b"{\"category\": \"parking_violation\", \"description\": \"\xff\xfe\xfd\"}", StatusCode::BAD_REQUEST, "invalid_utf8"),
    ];
    for (case, part, status, code) in report_cases {
        let body = multipart_body(&[("report", None, part), ("files", Some("photo.jpg"), &photo)]);
        let result = post_raw(service, &setup.resident, "/api/v1/reports", &multipart_type(), body).await;
        assert_error(case, &result, status, code);
        assert_untouched(service, &setup, &before, case).await;
    }

    // A number where the plate text belongs is taken as its text and fails the plate check.
    let mut numeric_plate = parking_report();
    numeric_plate["fields"]["plate"] = json!(123);
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let result = setup.resident.file_report(&numeric_plate, &photos, None).await;
    assert_eq!(result.0, StatusCode::UNPROCESSABLE_ENTITY, "number as plate: {}", result.1);
    assert_eq!(result.1["error"]["field"], "fields.plate", "number as plate: {}", result.1);
    assert_untouched(service, &setup, &before, "number as plate").await;

    // Invalid UTF-8 in a text field of the web form: a page with the Russian message.
    let (browser, html) = browser_on(service, "resident@example.ru", "/reports/new/uncleaned_litter_snow").await;
    let form = Form::new()
        .text("csrf_token", input_value(&html, "csrf_token"))
        .text("idempotency_key", input_value(&html, "idempotency_key"))
        .part("description", Part::bytes(b"\xd0\xcc\xff\xfe".to_vec()));
    let response = browser.post(service.url("/reports/new/uncleaned_litter_snow")).multipart(form).send().await.expect("POST of the form failed");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "invalid UTF-8 in the form");
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("Текст формы передан в неверной кодировке"), "invalid UTF-8 in the form: no Russian message in {page}");
    assert_untouched(service, &setup, &before, "invalid UTF-8 in the form").await;

    // Transition requests.
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let transitions = format!("/api/v1/reports/{}/transitions", setup.number);
    let transition_cases: [(&str, &str, &[u8], StatusCode); 5] = [
        ("unfinished transition JSON", "application/json", br#"{"to": "under_review""#, StatusCode::BAD_REQUEST),
        ("number as status", "application/json", br#"{"to": 5}"#, StatusCode::UNPROCESSABLE_ENTITY),
        ("text as version", "application/json", br#"{"to": "under_review", "version": "first"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        ("invalid UTF-8 in transition", "application/json", b"{\"to\": \"under_review\", \"comment\": \"\xff\xfe\"}", StatusCode::BAD_REQUEST),
        ("transition without JSON type", "text/plain", br#"{"to": "under_review"}"#, StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ];
    for (case, content_type, body, status) in transition_cases {
        let result = post_raw(service, &moderator, &transitions, content_type, body.to_vec()).await;
        assert_error(case, &result, status, "invalid_json");
        assert_untouched(service, &setup, &before, case).await;
    }
    let result = moderator.transition(&setup.number, json!({ "to": "<script>" })).await;
    assert_error("unknown status", &result, StatusCode::UNPROCESSABLE_ENTITY, "status_unknown");
    assert_untouched(service, &setup, &before, "unknown status").await;
}

async fn path_in_file_name(service: &TestService) {
    let setup = setup(service).await;
    let names = ["../../etc/passwd.jpg", "..\\..\\windows\\win.ini.jpg"];
    let photos: Vec<Upload> = names.iter().zip([TVERSKAYA, ZELENOGRAD]).map(|(name, photo)| Upload { name: (*name).to_owned(), bytes: fixture(photo) }).collect();

    let (status, report) = setup.resident.file_report(&parking_report(), &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let files = report["files"].as_array().expect("files is an array");
    let stored_names: Vec<&str> = files.iter().map(|file| file["name"].as_str().expect("file has a name")).collect();
    assert_eq!(stored_names, ["passwd.jpg", "win.ini.jpg"]);

    // Stored content is named by its SHA-256 only, and nothing was written outside the store.
    for name in service.stored_originals() {
        assert!(name.len() == 64 && name.bytes().all(|byte| byte.is_ascii_hexdigit()), "stored file {name:?} is not named by its SHA-256");
    }
    assert!(!service.data_dir.path().join("etc").exists(), "an upload created data_dir/etc");
    assert!(!service.data_dir.path().join("files/etc").exists(), "an upload created files/etc");

    for (file, photo) in files.iter().zip(&photos) {
        let url = file["url"].as_str().expect("file has a url");
        let response = setup.resident.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "download of {url}");
        let disposition = response.headers().get("content-disposition").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
        assert!(!disposition.contains('/'), "Content-Disposition {disposition:?} carries a path");
        assert!(!disposition.contains('\\'), "Content-Disposition {disposition:?} carries a path");
        assert!(!disposition.contains(".."), "Content-Disposition {disposition:?} carries a path");
        let downloaded = response.bytes().await.expect("failed to read the download");
        assert!(downloaded.as_ref() == photo.bytes.as_slice(), "{url} does not return the uploaded bytes");
    }
}

/// Markup in each text field, with a distinct number so a failure names the field. The file name
/// has no `/`, which would make everything before it count as a path.
const SCRIPT_IN_DESCRIPTION: &str = "<script>alert(11)</script>";
const SCRIPT_IN_ADDRESS: &str = "<script>alert(12)</script>";
const SCRIPT_IN_PLATE: &str = "<script>alert(13)</script>";
const SCRIPT_IN_COMMENT: &str = "<script>alert(14)</script>";
const SCRIPT_IN_FILE_NAME: &str = "<img src=x onerror=alert(15)>.jpg";

/// The HTML-escaped form of `text`, with named entities.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Rewrites the numeric entities of `<` and `>` as named ones, so that a check does not depend
/// on which of the equivalent forms the template engine writes.
fn with_named_entities(html: &str) -> String {
    html.replace("&#60;", "&lt;").replace("&#x3c;", "&lt;").replace("&#x3C;", "&lt;").replace("&#62;", "&gt;").replace("&#x3e;", "&gt;").replace("&#x3E;", "&gt;")
}

/// Checks that a page shows none of `payloads` raw and each of `shown` escaped.
fn assert_escaped(page_name: &str, html: &str, payloads: &[&str], shown: &[&str]) {
    for payload in payloads {
        assert!(!html.contains(payload), "{page_name} contains the raw markup {payload}");
    }
    let html = with_named_entities(html);
    for payload in shown {
        assert!(html.contains(&escaped(payload)), "{page_name} does not show {payload} escaped: {html}");
    }
}

async fn markup_in_text_fields(service: &TestService) {
    let resident_email = "resident@example.ru";
    let resident = service.resident(resident_email).await;
    let moderator_email = "moderator@example.ru";
    let moderator = service.user(moderator_email, Role::Moderator, None).await;
    let payloads = [SCRIPT_IN_DESCRIPTION, SCRIPT_IN_ADDRESS, SCRIPT_IN_PLATE, SCRIPT_IN_COMMENT, "<img src=x onerror=alert(15)>"];

    let mut report = parking_report();
    report["description"] = json!(format!("Машина стоит на тротуаре {SCRIPT_IN_DESCRIPTION} и мешает пройти."));
    report["address"] = json!(format!("Москва, {SCRIPT_IN_ADDRESS} Тверская улица, 7"));
    let photos = [Upload { name: SCRIPT_IN_FILE_NAME.to_owned(), bytes: fixture(TVERSKAYA) }, Upload::photo(ZELENOGRAD)];
    let (status, filed) = resident.file_report(&report, &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["number"].as_str().expect("report has a number").to_owned();
    assert_eq!(filed["description"], report["description"], "the description was not stored verbatim");
    assert_eq!(filed["address"], report["address"], "the address was not stored verbatim");

    let (status, body) = moderator.transition(&number, json!({ "to": "under_review", "comment": SCRIPT_IN_COMMENT })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The plate must match the Russian format, so markup in it is only ever shown back in the
    // rejected form.
    let (browser, form_page) = browser_on(service, resident_email, "/reports/new/parking_violation").await;
    let form = Form::new()
        .text("csrf_token", input_value(&form_page, "csrf_token"))
        .text("idempotency_key", input_value(&form_page, "idempotency_key"))
        .text("address", SCRIPT_IN_ADDRESS)
        .text("latitude", "55.7640")
        .text("longitude", "37.6060")
        .text("occurred_at", local_time_an_hour_ago())
        .text("description", format!("Машина стоит на тротуаре {SCRIPT_IN_DESCRIPTION} и мешает пройти."))
        .text("field_plate", SCRIPT_IN_PLATE);
    let response = browser.post(service.url("/reports/new/parking_violation")).multipart(form).send().await.expect("POST of the form failed");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "a form with markup in the plate");
    let html = response.text().await.expect("failed to read the page");
    assert_escaped("the rejected form", &html, &payloads, &[SCRIPT_IN_ADDRESS, SCRIPT_IN_DESCRIPTION, SCRIPT_IN_PLATE]);

    let card_path = format!("/reports/{number}");
    let card_shows = [SCRIPT_IN_DESCRIPTION, SCRIPT_IN_ADDRESS, SCRIPT_IN_COMMENT, SCRIPT_IN_FILE_NAME];
    let (status, html) = get_page(service, &browser, &card_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_escaped("the author's card", &html, &payloads, &card_shows);

    // The cabinet list and the queue show no text the resident typed, only that it is absent.
    let (status, html) = get_page(service, &browser, "/my/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number), "/my/reports does not list {number}");
    assert_escaped("/my/reports", &html, &payloads, &[]);

    let (status, html) = get_page(service, &browser, "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert_escaped("/notifications", &html, &payloads, &[SCRIPT_IN_COMMENT]);

    let (staff, html) = browser_on(service, moderator_email, "/staff/queue").await;
    assert_escaped("/staff/queue", &html, &payloads, &[]);
    let (status, html) = get_page(service, &staff, &card_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_escaped("the moderator's card", &html, &payloads, &card_shows);
}

async fn sql_in_text_fields(service: &TestService) {
    let setup = setup(service).await;
    let before = snapshot(service, &setup).await;

    let description = "Мусор у подъезда не вывозят третий день'; DROP TABLE reports; --";
    let address = "Москва, улица Арбат, 10'); DELETE FROM users; --";
    let report = json!({
        "category": "uncleaned_litter_snow",
        "lat": 55.7512,
        "lon": 37.5930,
        "address": address,
        "occurred_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "description": description,
    });
    let (status, filed) = setup.resident.file_report(&report, &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["number"].as_str().expect("report has a number").to_owned();

    let stored = setup.admin.report(&number).await;
    assert_eq!(stored["description"], description);
    assert_eq!(stored["address"], address);
    let after = snapshot(service, &setup).await;
    assert_eq!(after.report_count, before.report_count + 1, "the reports table lost or gained rows");
    assert_eq!(after.existing_report, before.existing_report, "the existing report changed");
    service.sign_in("resident@example.ru").await;

    let (_browser, html) = browser_on(service, "resident@example.ru", &format!("/reports/{number}")).await;
    assert!(html.contains("DROP TABLE reports; --"), "the card does not show the description verbatim: {html}");
    assert!(html.contains("DELETE FROM users; --"), "the card does not show the address verbatim: {html}");
}

async fn extreme_values(service: &TestService) {
    let setup = setup(service).await;
    let before = snapshot(service, &setup).await;
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];

    let cases: [(&str, &str, Value, &str); 8] = [
        ("latitude 91", "lat", json!(91.0), "location_invalid"),
        ("longitude -181", "lon", json!(-181.0), "location_invalid"),
        ("latitude 1e308", "lat", json!(1e308), "location_invalid"),
        ("latitude -1e308", "lon", json!(-1e308), "location_invalid"),
        ("NaN as a string", "lat", json!("NaN"), "report_part_invalid"),
        ("occurred in 1900", "occurred_at", json!("1900-01-01T12:00:00+03:00"), "occurred_at_too_old"),
        ("occurred in 2100", "occurred_at", json!("2100-01-01T12:00:00+03:00"), "occurred_at_in_future"),
        ("date without offset", "occurred_at", json!("2026-01-01 12:00"), "occurred_at_not_rfc3339"),
    ];
    for (case, key, value, code) in cases {
        let mut report = parking_report();
        report[key] = value;
        let result = setup.resident.file_report(&report, &photos, None).await;
        assert_error(case, &result, StatusCode::UNPROCESSABLE_ENTITY, code);
        assert_untouched(service, &setup, &before, case).await;
    }

    // 1e999 is valid JSON syntax but no f64, so the part does not parse.
    let part = parking_report().to_string().replacen("55.764", "1e999", 1);
    let body = multipart_body(&[("report", None, part.as_bytes())]);
    let result = post_raw(service, &setup.resident, "/api/v1/reports", &multipart_type(), body).await;
    assert_error("latitude 1e999", &result, StatusCode::UNPROCESSABLE_ENTITY, "report_part_invalid");
    assert_untouched(service, &setup, &before, "latitude 1e999").await;

    // The web form takes coordinates as text; each of these is rejected with the Russian message.
    let form_path = "/reports/new/uncleaned_litter_snow";
    let (browser, html) = browser_on(service, "resident@example.ru", form_path).await;
    let csrf_token = input_value(&html, "csrf_token");
    for (latitude, longitude) in [("NaN", "37.5930"), ("inf", "37.5930"), ("1e308", "37.5930"), ("91", "-181")] {
        let form = Form::new()
            .text("csrf_token", csrf_token.clone())
            .text("idempotency_key", format!("extreme-{latitude}-{longitude}"))
            .text("latitude", latitude)
            .text("longitude", longitude)
            .text("occurred_at", local_time_an_hour_ago())
            .text("description", "Во дворе третий день не вывозят мусор, контейнеры переполнены.");
        let response = browser.post(service.url(form_path)).multipart(form).send().await.expect("POST of the form failed");
        let case = format!("form coordinates {latitude}, {longitude}");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        let page = response.text().await.expect("failed to read the page");
        assert!(page.contains("Координаты указаны неверно"), "{case}: no Russian message in {page}");
        assert_untouched(service, &setup, &before, &case).await;
    }
    for (occurred_at, message) in [("1900-01-01T12:00", "слишком давно"), ("2100-01-01T12:00", "ещё не наступили")] {
        let form = Form::new()
            .text("csrf_token", csrf_token.clone())
            .text("idempotency_key", format!("extreme-{occurred_at}"))
            .text("latitude", "55.7512")
            .text("longitude", "37.5930")
            .text("occurred_at", occurred_at)
            .text("description", "Во дворе третий день не вывозят мусор, контейнеры переполнены.");
        let response = browser.post(service.url(form_path)).multipart(form).send().await.expect("POST of the form failed");
        let case = format!("form date {occurred_at}");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        let page = response.text().await.expect("failed to read the page");
        assert!(page.contains(message), "{case}: no Russian message «{message}» in {page}");
        assert_untouched(service, &setup, &before, &case).await;
    }
}

async fn oversized_headers(service: &TestService) {
    let setup = setup(service).await;
    let before = snapshot(service, &setup).await;
    let client = Client::new();

    // A 64 KiB session cookie matches no session.
    let cookie = format!("pomoshnik_session={}", "A".repeat(64 * 1024));
    let response = client.get(service.url("/api/v1/reports")).header("cookie", &cookie).send().await.expect("a request with a 64 KiB cookie failed");
    let result = json_of(response).await;
    assert_error("64 KiB cookie", &result, StatusCode::UNAUTHORIZED, "unauthorized");

    let response = client
        .post(service.url("/api/v1/reports"))
        .header("cookie", &cookie)
        .multipart(Form::new().text("report", parking_report().to_string()))
        .send()
        .await
        .expect("a filing with a 64 KiB cookie failed");
    let result = json_of(response).await;
    assert_error("64 KiB cookie on filing", &result, StatusCode::UNAUTHORIZED, "unauthorized");

    // Headers beyond what the HTTP server buffers are refused before any handler runs.
    let response = client.get(service.url("/")).header("x-padding", "A".repeat(1024 * 1024)).send().await;
    match response {
        Ok(response) => assert!(response.status().is_client_error(), "a 1 MiB header got {}", response.status()),
        Err(error) => panic!("a 1 MiB header got no response: {error}"),
    }

    let response = client.get(service.url("/healthz")).send().await.expect("the service stopped answering after oversized headers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_untouched(service, &setup, &before, "oversized headers").await;
}

/// Sends `head` and the first `sent_bytes` of `body` over a raw connection, then waits for the
/// response. With `drip`, the rest follows one byte at a time, each within the idle timeout.
async fn stall_request(service: &TestService, head: &str, body: &[u8], sent_bytes: usize, drip: Option<Duration>) -> (String, Duration) {
    let address = service.base_url.strip_prefix("http://").expect("the base URL is http");
    let mut stream = TcpStream::connect(address).await.expect("failed to connect to the service");
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.expect("failed to send the request head");
    stream.write_all(&body[..sent_bytes]).await.expect("failed to send the start of the body");

    let (mut reader, mut writer) = stream.into_split();
    let rest = body[sent_bytes..].to_vec();
    let dripping = tokio::spawn(async move {
        let Some(interval) = drip else { return };
        for byte in rest {
            tokio::time::sleep(interval).await;
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
        }
    });

    let mut response = Vec::new();
    let read = tokio::time::timeout(STALL_TEST_LIMIT, async {
        let mut buffer = [0u8; 4096];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(count) => response.extend_from_slice(&buffer[..count]),
            }
            if response_complete(&response) {
                break;
            }
        }
    })
    .await;
    dripping.abort();
    assert!(read.is_ok(), "the server did not end a stalled request within {STALL_TEST_LIMIT:?}");
    (String::from_utf8_lossy(&response).into_owned(), started.elapsed())
}

/// Whether `response` holds the head and the whole `Content-Length` body.
fn response_complete(response: &[u8]) -> bool {
    let text = String::from_utf8_lossy(response);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok()).flatten()
    });
    length.is_some_and(|length| body.len() >= length)
}

async fn stalled_upload(service: &TestService) {
    let setup = setup(service).await;
    let before = snapshot(service, &setup).await;

    let body = multipart_body(&[("report", None, parking_report().to_string().as_bytes()), ("files", Some("photo.jpg"), &fixture(TVERSKAYA))]);
    let host = service.base_url.strip_prefix("http://").expect("the base URL is http");
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
        setup.resident.token,
        multipart_type(),
        body.len()
    );

    // A few bytes, then nothing: the idle timeout ends the request.
    let (response, elapsed) = stall_request(service, &head, &body, 40, None).await;
    assert!(response.starts_with("HTTP/1.1 400"), "a stalled upload got {response:?}");
    assert!(response.contains("multipart_invalid"), "a stalled upload got {response:?}");
    assert!(elapsed < SHORT_TIMEOUTS.total, "the idle timeout took {elapsed:?}");
    assert_untouched(service, &setup, &before, "stalled upload").await;

    // Part of a photo, then a byte every 500 ms: never idle for the idle timeout, but the whole
    // body takes too long.
    let sent = body.len() / 2;
    let (response, elapsed) = stall_request(service, &head, &body, sent, Some(Duration::from_millis(500))).await;
    assert!(response.starts_with("HTTP/1.1 400"), "a dripping upload got {response:?}");
    assert!(elapsed >= SHORT_TIMEOUTS.total, "the dripping upload ended after {elapsed:?}, before the total timeout");
    assert_untouched(service, &setup, &before, "dripping upload").await;

    // An upload at normal speed still goes through with these timeouts.
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let (status, report) = setup.resident.file_report(&parking_report(), &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
}

/// The value of a sample line `NAME{LABELS} VALUE` of the metrics text, if one has all `labels`.
fn metric_value(metrics: &str, name: &str, labels: &[&str]) -> Option<f64> {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn operations_endpoints(service: &TestService) {
    let setup = setup(service).await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let (status, body) = moderator.transition(&setup.number, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let not_a_photo = Upload { name: "notes.jpg".to_owned(), bytes: b"plain text, not a photo".to_vec() };
    let (status, body) = setup.resident.file_report(&parking_report(), &[not_a_photo], None).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");

    let client = Client::new();
    for path in ["/healthz", "/readyz"] {
        let response = client.get(service.url(path)).send().await.unwrap_or_else(|error| panic!("GET {path} failed: {error}"));
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        assert_eq!(response.text().await.expect("failed to read the body"), "ok", "GET {path}");
    }

    // The metrics are global to the process, which runs other tests too, so the checks are
    // lower bounds.
    let response = client.get(service.url("/metrics")).send().await.expect("GET /metrics failed");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("text/plain"), "/metrics has the content type {content_type:?}");
    let metrics = response.text().await.expect("failed to read /metrics");
    let expected: [(&str, &[&str]); 6] = [
        ("pomoshnik_reports_created_total", &[]),
        ("pomoshnik_status_changes_total", &["to=\"under_review\""]),
        ("pomoshnik_upload_bytes_total", &[]),
        ("pomoshnik_uploads_rejected_total", &["code=\"file_type_not_allowed\""]),
        ("pomoshnik_http_requests_total", &["method=\"POST\"", "route=\"/api/v1/reports\"", "status=\"201\""]),
        ("pomoshnik_http_request_duration_seconds_count", &["method=\"POST\"", "route=\"/api/v1/reports\"", "status=\"201\""]),
    ];
    for (name, labels) in expected {
        let value = metric_value(&metrics, name, labels);
        assert!(value.is_some_and(|value| value >= 1.0), "/metrics has no {name} {labels:?} of at least 1:\n{metrics}");
    }
    let photo_bytes = (fixture(TVERSKAYA).len() + fixture(ZELENOGRAD).len()) as f64;
    let uploaded = metric_value(&metrics, "pomoshnik_upload_bytes_total", &[]).unwrap_or_default();
    assert!(uploaded >= photo_bytes, "pomoshnik_upload_bytes_total is {uploaded}, less than the {photo_bytes} bytes of the filed photos");
    assert!(metrics.contains("pomoshnik_http_request_duration_seconds_bucket{"), "/metrics has no latency buckets:\n{metrics}");
    assert!(!metrics.contains(&setup.number), "/metrics names a report: {metrics}");

    // Every response carries a request id; one sent by the client is kept.
    let response = client.get(service.url("/healthz")).send().await.expect("GET /healthz failed");
    let id = response.headers().get("x-request-id").and_then(|value| value.to_str().ok()).unwrap_or_default();
    assert!(!id.is_empty(), "the response has no x-request-id");
    let response = client.get(service.url("/api/v1/reports")).header("x-request-id", "client-chosen-id-42").send().await.expect("GET /api/v1/reports failed");
    assert_eq!(response.headers().get("x-request-id").and_then(|value| value.to_str().ok()), Some("client-chosen-id-42"));

    // Readiness fails while the file storage cannot take files.
    let files = service.data_dir.path().join("files");
    let moved = service.data_dir.path().join("files-moved-away");
    std::fs::rename(&files, &moved).expect("failed to move the file storage away");
    let response = client.get(service.url("/readyz")).send().await.expect("GET /readyz failed");
    let status = response.status();
    std::fs::rename(&moved, &files).expect("failed to move the file storage back");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "/readyz with the file storage missing");
    let response = client.get(service.url("/readyz")).send().await.expect("GET /readyz failed");
    assert_eq!(response.status(), StatusCode::OK, "/readyz after the file storage is back");
}
