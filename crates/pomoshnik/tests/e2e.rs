//! End-to-end tests over real HTTP: each test starts the service in this process on a loopback
//! port and talks to it with an HTTP client, as a mobile app or a browser without JavaScript
//! would. Every scenario runs once on SQLite and once on PostgreSQL; the PostgreSQL runs need a
//! server, see `pomoshnik_test_support::TestDatabase::postgres`.

mod common;

use std::collections::BTreeSet;

use chrono::Utc;
use common::*;
use pomoshnik_core::deadline::CITY_TIME_ZONE;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tokio::task::JoinSet;

on_both_backends!(with_service => api_flow, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => authorization, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => validation, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => idempotency, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => concurrency, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => rejected_transitions, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => web_pages, flavor = "multi_thread", worker_threads = 2);

/// The statuses of the walking skeleton, in the order a report goes through them.
const SKELETON_STATUSES: [&str; 5] = ["accepted", "under_review", "dispatched", "in_progress", "resolved"];

/// Files a valid parking report with two photos and returns its JSON.
async fn file_parking_report(resident: &ApiClient) -> Value {
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let (status, report) = resident.file_report(&parking_report(), &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {report}");
    report
}

fn number_of(report: &Value) -> String {
    report["number"].as_str().unwrap_or_else(|| panic!("report without a number: {report}")).to_owned()
}

fn file_urls(report: &Value) -> Vec<String> {
    let files = report["files"].as_array().unwrap_or_else(|| panic!("report without files: {report}"));
    files.iter().map(|file| file["url"].as_str().expect("file has a url").to_owned()).collect()
}

fn event_statuses(report: &Value) -> Vec<String> {
    let events = report["events"].as_array().unwrap_or_else(|| panic!("report without events: {report}"));
    events.iter().map(|event| event["to"].as_str().expect("event has a status").to_owned()).collect()
}

async fn api_flow(service: &TestService) {
    let resident = service.resident("resident@example.ru").await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let executor = service.user("executor.madi@example.ru", Role::Executor, Some("madi")).await;

    // The catalog.
    let (status, body) = resident.get_json("/api/v1/categories").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let categories = body["categories"].as_array().expect("categories is an array");
    assert_eq!(categories.len(), 8);
    let parking = categories.iter().find(|category| category["code"] == "parking_violation").expect("parking_violation is listed");
    assert_eq!(parking["deadline_working_days"], 1);
    assert_eq!(parking["agency"]["code"], "madi");
    let plate = parking["fields"].as_array().expect("fields is an array").iter().find(|field| field["code"] == "plate").expect("plate is a field");
    assert_eq!(plate["required"], true);

    // Filing with two real photos.
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let (status, report) = resident.file_report(&parking_report(), &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let number = number_of(&report);
    assert!(is_report_number(&number), "number {number:?} is not YYYY-NNNNNNN");
    assert_eq!(report["status"], "accepted");
    let files = report["files"].as_array().expect("files is an array");
    assert_eq!(files.len(), photos.len());

    for (file, photo) in files.iter().zip(&photos) {
        assert_eq!(file["name"], photo.name.as_str());
        assert_eq!(file["sha256"], sha256_hex(&photo.bytes), "sha256 of {}", photo.name);

        let url = file["url"].as_str().expect("file has a url");
        let response = resident.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "download of {url}");
        let downloaded = response.bytes().await.expect("failed to read the download");
        assert!(downloaded.as_ref() == photo.bytes.as_slice(), "{url} does not return the bytes of {}", photo.name);
    }

    // Moderation and dispatch to the category's agency.
    let (status, body) = moderator.transition(&number, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = moderator.transition(&number, json!({ "to": "dispatched" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["agency"]["code"], "madi");

    // The agency's work.
    let queue = executor.report_numbers().await;
    assert!(queue.contains(&number), "the madi executor's list {queue:?} lacks {number}");
    let (status, body) = executor.transition(&number, json!({ "to": "in_progress" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resolution = json!({ "to": "resolved", "decision": "confirmed", "comment": "Нарушение подтверждено, материалы переданы для штрафа." });
    let (status, body) = executor.transition(&number, resolution).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Notifications first: opening the report marks them read.
    let (status, body) = resident.get_json("/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let notifications = body["notifications"].as_array().expect("notifications is an array");
    let notified: Vec<&str> = notifications.iter().map(|notification| notification["status"].as_str().expect("notification has a status")).collect();
    let newest_first: Vec<&str> = SKELETON_STATUSES.iter().rev().copied().collect();
    assert_eq!(notified, newest_first);
    assert!(notifications.iter().all(|notification| notification["report_number"] == number.as_str()), "{body}");
    assert!(notifications.iter().all(|notification| notification["read"] == false), "{body}");
    assert_eq!(body["unread"], 5);

    let card = resident.report(&number).await;
    assert_eq!(card["status"], "resolved");
    assert_eq!(card["decision"], "confirmed");
    assert_eq!(event_statuses(&card), SKELETON_STATUSES);
    assert_eq!(card["events"][0]["from"], Value::Null);

    let (_, body) = resident.get_json("/api/v1/notifications").await;
    assert_eq!(body["unread"], 0, "opening the report should mark its notifications read");
}

async fn authorization(service: &TestService) {
    let author = service.resident("author@example.ru").await;
    let stranger = service.resident("stranger@example.ru").await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let other_executor = service.user("executor.oati@example.ru", Role::Executor, Some("oati")).await;

    let report = file_parking_report(&author).await;
    let number = number_of(&report);
    let report_path = format!("/api/v1/reports/{number}");
    let file_url = file_urls(&report).remove(0);

    // Another resident learns nothing about the report.
    let (status, body) = stranger.get_json(&report_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(error_code(&body), "not_found");
    let response = stranger.get(&file_url).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "a stranger downloaded {file_url}");
    let (status, body) = stranger.transition(&number, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The author may not moderate their own report.
    let (status, body) = author.transition(&number, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "transition_forbidden");

    // Once dispatched to madi, the report stays hidden from oati.
    let (status, body) = moderator.transition(&number, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = moderator.transition(&number, json!({ "to": "dispatched" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = other_executor.get_json(&report_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let response = other_executor.get(&file_url).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "an oati executor downloaded {file_url}");
    let (status, body) = other_executor.transition(&number, json!({ "to": "in_progress" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let oati_queue = other_executor.report_numbers().await;
    assert!(!oati_queue.contains(&number), "the oati list {oati_queue:?} shows a madi report");

    // Without a token.
    let anonymous = reqwest::Client::new();
    for path in ["/api/v1/reports", report_path.as_str(), "/api/v1/notifications"] {
        let response = anonymous.get(service.url(path)).send().await.expect("request failed");
        let (status, body) = json_of(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "GET {path}: {body}");
        assert_eq!(error_code(&body), "unauthorized", "GET {path}");
        assert!(body["error"]["message"].as_str().is_some_and(|message| !message.is_empty()), "GET {path}: {body}");
    }

    // Staff do not file reports, and the uploads of the rejected request are removed.
    let originals_before = service.stored_originals();
    let photos = [Upload::photo(KHIMKI), Upload::photo(NO_GPS)];
    let (status, body) = moderator.file_report(&parking_report(), &photos, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(service.stored_originals(), originals_before);
}

/// A submission the service must reject, and the error it must return.
struct RejectedCase {
    name: &'static str,
    report: Value,
    uploads: Vec<Upload>,
    status: StatusCode,
    code: &'static str,
    field: &'static str,
}

async fn validation(service: &TestService) {
    let resident = service.resident("resident@example.ru").await;

    // An accepted report by someone else, whose photos the rejected requests partly reuse: that
    // shared content must stay.
    let neighbour = service.resident("neighbour@example.ru").await;
    file_parking_report(&neighbour).await;
    let accepted_originals = service.stored_originals();
    assert_eq!(accepted_originals.len(), 2);

    let two_photos = vec![Upload::photo(TVERSKAYA), Upload::photo(KHIMKI)];
    let with = |change: fn(&mut Value)| {
        let mut report = parking_report();
        change(&mut report);
        report
    };
    let text_as_jpeg = Upload { name: "протокол.jpg".to_owned(), bytes: "Это текстовый файл, а не фотография.\n".repeat(20).into_bytes() };
    let six_files: Vec<Upload> = [TVERSKAYA, ZELENOGRAD, KHIMKI, NO_GPS, TVERSKAYA, KHIMKI].into_iter().map(Upload::photo).collect();

    let cases = [
        RejectedCase {
            name: "description of 19 characters",
            report: with(|report| report["description"] = json!("Машина на тротуаре.")),
            uploads: two_photos.clone(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "description_too_short",
            field: "description",
        },
        RejectedCase {
            name: "no location",
            report: with(|report| {
                let object = report.as_object_mut().expect("report is an object");
                object.remove("lat");
                object.remove("lon");
            }),
            uploads: two_photos.clone(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "location_required",
            field: "location",
        },
        RejectedCase {
            name: "time in the future",
            report: with(|report| report["occurred_at"] = json!((Utc::now() + chrono::Duration::days(1)).to_rfc3339())),
            uploads: two_photos.clone(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "occurred_at_in_future",
            field: "occurred_at",
        },
        RejectedCase {
            name: "plate with the letter Б",
            report: with(|report| report["fields"]["plate"] = json!("Б123ВС77")),
            uploads: two_photos.clone(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "plate_invalid_character",
            field: "fields.plate",
        },
        RejectedCase {
            name: "one photo for parking",
            report: parking_report(),
            uploads: vec![Upload::photo(KHIMKI)],
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "photos_too_few",
            field: "files",
        },
        RejectedCase {
            name: "text file named .jpg",
            report: parking_report(),
            uploads: vec![Upload::photo(TVERSKAYA), Upload::photo(KHIMKI), text_as_jpeg.clone()],
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "file_type_not_allowed",
            field: "files",
        },
        RejectedCase {
            name: "six files",
            report: parking_report(),
            uploads: six_files,
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "too_many_files",
            field: "files",
        },
    ];

    for case in cases {
        let name = case.name;
        let (status, body) = resident.file_report(&case.report, &case.uploads, None).await;

        assert_eq!(status, case.status, "{name}: {body}");
        assert_eq!(error_code(&body), case.code, "{name}: {body}");
        assert_eq!(body["error"]["field"], case.field, "{name}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.chars().any(|character| matches!(character, 'а'..='я' | 'А'..='Я')), "{name}: message {message:?} is not in Russian");

        assert_eq!(resident.report_numbers().await, Vec::<String>::new(), "{name}: a report was stored");
        assert_eq!(service.stored_originals(), accepted_originals, "{name}: uploaded content remains in files/originals");
        assert_eq!(service.delete_pending_uploads().await, Vec::<String>::new(), "{name}: upload records remain");
    }

    // The message of a rejected file names the file, and a rule's message is in Russian.
    let (_, body) = resident.file_report(&parking_report(), &[Upload::photo(TVERSKAYA), Upload::photo(KHIMKI), text_as_jpeg.clone()], None).await;
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&text_as_jpeg.name), "message {message:?} does not name {}", text_as_jpeg.name);
    let short = with(|report| report["description"] = json!("Машина на тротуаре."));
    let (_, body) = resident.file_report(&short, &two_photos, None).await;
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Описание слишком короткое"), "unexpected message {message:?}");
}

async fn idempotency(service: &TestService) {
    let resident = service.resident("resident@example.ru").await;
    let photos = vec![Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let report = parking_report();

    let (first_status, first) = resident.file_report(&report, &photos, Some("e2e-repeat")).await;
    let (second_status, second) = resident.file_report(&report, &photos, Some("e2e-repeat")).await;
    assert_eq!(first_status, StatusCode::CREATED, "{first}");
    assert_eq!(second_status, StatusCode::OK, "{second}");
    assert_eq!(second["number"], first["number"]);
    assert_eq!(resident.report_numbers().await.len(), 1);

    // Eight identical submissions at once, as from a client retrying on a bad network.
    let mut submissions = JoinSet::new();
    for _ in 0..8 {
        let (resident, report, photos) = (resident.clone(), report.clone(), photos.clone());
        submissions.spawn(async move { resident.file_report(&report, &photos, Some("e2e-burst")).await });
    }
    let outcomes = submissions.join_all().await;

    let statuses: Vec<StatusCode> = outcomes.iter().map(|(status, _)| *status).collect();
    assert!(statuses.iter().all(|status| matches!(*status, StatusCode::CREATED | StatusCode::OK)), "{outcomes:?}");
    assert_eq!(statuses.iter().filter(|status| **status == StatusCode::CREATED).count(), 1, "{statuses:?}");
    let numbers: BTreeSet<&str> = outcomes.iter().filter_map(|(_, body)| body["number"].as_str()).collect();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    assert_eq!(resident.report_numbers().await.len(), 2);

    // Discarding the duplicates' uploads must not remove the content of the kept report.
    let kept_report = &outcomes[0].1;
    for (url, photo) in file_urls(kept_report).iter().zip(&photos) {
        let response = resident.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "download of {url}");
        let downloaded = response.bytes().await.expect("failed to read the download");
        assert!(downloaded.as_ref() == photo.bytes.as_slice(), "{url} does not return the bytes of {}", photo.name);
    }
}

async fn concurrency(service: &TestService) {
    const RESIDENTS: usize = 20;

    let mut residents = Vec::new();
    for index in 0..RESIDENTS {
        residents.push(service.resident(&format!("resident{index}@example.ru")).await);
    }

    let mut submissions = JoinSet::new();
    for resident in residents {
        submissions.spawn(async move {
            let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
            resident.file_report(&parking_report(), &photos, None).await
        });
    }
    let outcomes = submissions.join_all().await;

    assert!(outcomes.iter().all(|(status, _)| *status == StatusCode::CREATED), "{outcomes:?}");
    let numbers: BTreeSet<String> = outcomes.iter().map(|(_, body)| number_of(body)).collect();
    assert_eq!(numbers.len(), RESIDENTS, "{numbers:?}");
    assert!(numbers.iter().all(|number| is_report_number(number)), "{numbers:?}");

    // Two moderators act on the same version at once: one change wins, the other gets a conflict.
    let first_moderator = service.user("moderator1@example.ru", Role::Moderator, None).await;
    let second_moderator = service.user("moderator2@example.ru", Role::Moderator, None).await;
    let number = numbers.first().expect("a report was filed").clone();
    let version = first_moderator.report(&number).await["version"].as_i64().expect("report has a version");

    let review = json!({ "to": "under_review", "version": version });
    let rejection = json!({ "to": "rejected", "reason": "not_a_violation", "version": version });
    let (first, second) = tokio::join!(first_moderator.transition(&number, review), second_moderator.transition(&number, rejection));

    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{first:?} {second:?}");
    let conflict = if first.0 == StatusCode::CONFLICT { &first.1 } else { &second.1 };
    assert_eq!(error_code(conflict), "conflict");
    assert_eq!(event_statuses(&first_moderator.report(&number).await).len(), 2);
}

async fn rejected_transitions(service: &TestService) {
    let resident = service.resident("resident@example.ru").await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let number = number_of(&file_parking_report(&resident).await);

    let skip_to_resolved = json!({ "to": "resolved", "decision": "confirmed", "comment": "Проверено." });
    let (status, body) = moderator.transition(&number, skip_to_resolved).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "transition_not_allowed");

    let (status, body) = moderator.transition(&number, json!({ "to": "rejected" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "reason_required");
    assert_eq!(body["error"]["field"], "reason");

    let report = moderator.report(&number).await;
    assert_eq!(report["status"], "accepted");
    assert_eq!(event_statuses(&report), ["accepted"]);
}

/// Returns the Moscow time of an hour ago as a `datetime-local` input sends it.
fn local_time_an_hour_ago() -> String {
    (Utc::now() - chrono::Duration::hours(1)).with_timezone(&CITY_TIME_ZONE).format("%Y-%m-%dT%H:%M").to_string()
}

/// Builds the litter form as a browser sends it, with one photo.
fn litter_form(csrf_token: &str, idempotency_key: &str, address: &str, description: &str, photo: &Upload) -> Form {
    Form::new()
        .text("csrf_token", csrf_token.to_owned())
        .text("idempotency_key", idempotency_key.to_owned())
        .text("address", address.to_owned())
        .text("latitude", "55.7512")
        .text("longitude", "37.5930")
        .text("occurred_at", local_time_an_hour_ago())
        .text("description", description.to_owned())
        .part("files", photo.part())
}

async fn web_pages(service: &TestService) {
    let email = "resident@example.ru";
    let resident_api = service.resident(email).await;
    let moderator_email = "moderator@example.ru";
    service.add_user(moderator_email, Role::Moderator, None).await;
    let number = number_of(&file_parking_report(&resident_api).await);

    // Sign-in.
    let browser = service.browser();
    let (status, html) = get_page(service, &browser, "/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<form method="post" action="/login""#), "no sign-in form: {html}");
    assert!(html.contains(r#"name="login""#), "no login input: {html}");
    assert!(html.contains(r#"name="password""#), "no password input: {html}");

    let response = browser
        .post(service.url("/login"))
        .form(&[("login", email), ("password", PASSWORD), ("next", "/my/reports")])
        .send()
        .await
        .expect("POST /login failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers().get("location").and_then(|value| value.to_str().ok()), Some("/my/reports"));
    let cookie = response.headers().get("set-cookie").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.starts_with("pomoshnik_session="), "unexpected Set-Cookie {cookie:?}");
    assert!(cookie.contains("HttpOnly"), "the session cookie is readable by scripts: {cookie:?}");

    // The resident's pages.
    let (status, html) = get_page(service, &browser, "/my/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number), "/my/reports does not list {number}");
    let (status, html) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Принято"), "the card of {number} does not show «Принято»");

    // Forged status changes: a moderator's session is the one worth forging.
    let moderator = service.browser();
    sign_in_with_form(service, &moderator, moderator_email, &format!("/reports/{number}")).await;
    let (status, card) = get_page(service, &moderator, &format!("/reports/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    let csrf_token = input_value(&card, "csrf_token");
    let version = input_value(&card, "version");
    let transitions_url = service.url(&format!("/reports/{number}/transitions"));

    let without_token = moderator.post(&transitions_url).form(&[("to", "under_review"), ("version", version.as_str())]).send().await.expect("POST failed");
    assert_eq!(without_token.status(), StatusCode::FORBIDDEN);
    let cross_site = moderator
        .post(&transitions_url)
        .header("Origin", "http://evil.example")
        .form(&[("csrf_token", csrf_token.as_str()), ("to", "under_review"), ("version", version.as_str())])
        .send()
        .await
        .expect("POST failed");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(resident_api.report(&number).await["status"], "accepted");

    let genuine = moderator
        .post(&transitions_url)
        .form(&[("csrf_token", csrf_token.as_str()), ("to", "under_review"), ("version", version.as_str())])
        .send()
        .await
        .expect("POST failed");
    assert_eq!(genuine.status(), StatusCode::SEE_OTHER, "the moderator's own form was rejected");
    assert_eq!(resident_api.report(&number).await["status"], "under_review");

    // Filing through the HTML form.
    let form_path = "/reports/new/uncleaned_litter_snow";
    let (status, html) = get_page(service, &browser, form_path).await;
    assert_eq!(status, StatusCode::OK);
    let photo = Upload::photo(TVERSKAYA);
    let description = "Во дворе третий день не вывозят мусор, контейнеры переполнены.";
    let form = litter_form(&input_value(&html, "csrf_token"), &input_value(&html, "idempotency_key"), "Москва, улица Арбат, 10", description, &photo);
    let response = browser.post(service.url(form_path)).multipart(form).send().await.expect("POST of the form failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let filed = location.strip_prefix("/reports/").and_then(|rest| rest.strip_suffix("?filed=1"));
    assert!(filed.is_some_and(is_report_number), "unexpected redirect {location:?}");

    // A rejected form keeps what was entered, including the accepted photo.
    let (_, html) = get_page(service, &browser, form_path).await;
    let csrf_token = input_value(&html, "csrf_token");
    let idempotency_key = input_value(&html, "idempotency_key");
    let address = "Москва, Новый Арбат, 15";
    let photo = Upload::photo(ZELENOGRAD);
    let form = litter_form(&csrf_token, &idempotency_key, address, "Мусор у подъезда.", &photo);
    let response = browser.post(service.url(form_path)).multipart(form).send().await.expect("POST of the form failed");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("failed to read the page");
    assert!(html.contains(&format!(r#"value="{address}""#)), "the address was not kept: {html}");
    assert!(html.contains("Описание слишком короткое"), "the Russian message is missing: {html}");
    let kept_file = input_value(&html, "kept_file");
    assert!(html.contains(&photo.name), "the accepted photo is not listed: {html}");

    // Sending it again with the kept photo and no new file, as a browser with an empty file input.
    let form = Form::new()
        .text("csrf_token", csrf_token)
        .text("idempotency_key", idempotency_key)
        .text("address", address)
        .text("latitude", "55.7527")
        .text("longitude", "37.5870")
        .text("occurred_at", local_time_an_hour_ago())
        .text("description", description)
        .text("kept_file", kept_file)
        .part("files", Part::bytes(Vec::new()).file_name(""));
    let response = browser.post(service.url(form_path)).multipart(form).send().await.expect("POST of the form failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let number = location.strip_prefix("/reports/").and_then(|rest| rest.strip_suffix("?filed=1")).unwrap_or_else(|| panic!("unexpected redirect {location:?}"));
    let report = resident_api.report(number).await;
    assert_eq!(report["address"], address);
    assert_eq!(report["files"][0]["sha256"], sha256_hex(&photo.bytes));
    assert_eq!(report["files"].as_array().map(Vec::len), Some(1));
}
