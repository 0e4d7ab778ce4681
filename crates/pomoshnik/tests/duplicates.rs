//! Possible duplicates and district routing over real HTTP: joining another resident's report
//! from the form or the API, what a follower reads and is notified of, a moderator closing a report as a
//! duplicate of another, and executors of one district «Жилищник» seeing only their district.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(with_service => join_through_api);
on_both_backends!(with_service => personal_data_hidden_from_follower);
on_both_backends!(with_service => join_without_javascript);
on_both_backends!(with_service => moderator_marks_duplicate);
on_both_backends!(with_service => district_executor_sees_own_district);

/// A point on Tverskaya Street, in Тверской район.
const LAT: f64 = 55.7640;
const LON: f64 = 37.6060;

/// Files a litter report with one photo at the test point and returns its number.
async fn file_litter_with_photo(author: &ApiClient) -> String {
    let (status, report) = author.file_report(&litter_report(LAT, LON), &[Upload::photo(TVERSKAYA)], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {report}");
    report["number"].as_str().expect("report has a number").to_owned()
}

fn nearby_path(category: &str) -> String {
    format!("/api/v1/reports/nearby?category={category}&lat={LAT}&lon={LON}")
}

/// Finds the entry for `number` in the nearby list of `client`.
async fn nearby_entry(client: &ApiClient, category: &str, number: &str) -> Value {
    let (status, body) = client.get_json(&nearby_path(category)).await;
    assert_eq!(status, StatusCode::OK, "nearby failed: {body}");
    let reports = body["reports"].as_array().expect("reports is an array");
    reports.iter().find(|report| report["number"] == number).cloned().unwrap_or_else(|| panic!("{number} is not listed nearby: {body}"))
}

async fn join_through_api(service: &TestService) {
    let author = service.resident("author@example.ru").await;
    let neighbour = service.resident("neighbour@example.ru").await;
    let stranger = service.resident("stranger@example.ru").await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let number = file_litter_with_photo(&author).await;

    let entry = nearby_entry(&neighbour, "uncleaned_litter_snow", &number).await;
    let thumbnail_url = entry["thumbnail_url"].as_str().expect("a report with a photo has a thumbnail").to_owned();
    assert_eq!(thumbnail_url, format!("/api/v1/reports/{number}/thumbnail"));
    assert!(entry.get("description").is_none(), "{entry}");
    let thumbnail = neighbour.get(&thumbnail_url).await;
    assert_eq!(thumbnail.status(), StatusCode::OK);
    assert_eq!(thumbnail.headers()["content-type"], "image/jpeg");
    let bytes = thumbnail.bytes().await.expect("failed to read the thumbnail");
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "the thumbnail is not a JPEG");

    let (status, joined) = neighbour.post_json(&format!("/api/v1/reports/{number}/followers"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    assert_eq!(joined["joined"], true);
    assert_eq!(joined["files"], json!([]), "a follower gets no files: {joined}");
    let (status, again) = neighbour.post_json(&format!("/api/v1/reports/{number}/followers"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "joining twice: {again}");

    let (status, body) = author.post_json(&format!("/api/v1/reports/{number}/followers"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "join_own_report");
    let (status, body) = moderator.post_json(&format!("/api/v1/reports/{number}/followers"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = neighbour.post_json("/api/v1/reports/2026-9999999/followers", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert!(neighbour.report_numbers().await.contains(&number), "the followed report is in the follower's list");
    let (_, list) = neighbour.get_json("/api/v1/reports").await;
    let listed = list["reports"].as_array().expect("reports is an array").iter().find(|report| report["number"] == number).cloned().expect("listed");
    assert_eq!(listed["joined"], true);
    let card = neighbour.report(&number).await;
    assert_eq!(card["joined"], true);
    assert!(card["description"].as_str().is_some_and(|text| !text.is_empty()), "litter reports are public, so the text is shown: {card}");
    assert!(!card.to_string().contains("author@example.ru"));

    let (status, _) = stranger.get_json(&format!("/api/v1/reports/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only followers see the report");
    let (status, _) = neighbour.get_json(&format!("/api/v1/reports/{number}/files/1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a follower cannot download files");

    // A change reaches the follower in the cabinet and through the e-mail outbox.
    service.state.store.set_delivery_channels(&["email"]).await.expect("failed to enable e-mail");
    let (status, body) = moderator.transition(&number, json!({ "to": "under_review", "comment": "Проверяем" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, notifications) = neighbour.get_json("/api/v1/notifications").await;
    let first = &notifications["notifications"][0];
    assert_eq!(first["report_number"], number.as_str(), "{notifications}");
    assert_eq!(first["status"], "under_review");
    let now = chrono::Utc::now();
    let deliveries = service.state.store.claim_deliveries("email", now, now + chrono::Duration::minutes(5), 50).await.expect("claim failed");
    let recipients: Vec<&str> = deliveries.iter().map(|delivery| delivery.recipient.as_str()).collect();
    assert!(recipients.contains(&"neighbour@example.ru"), "{recipients:?}");
    assert!(recipients.contains(&"author@example.ru"), "{recipients:?}");
    assert!(!recipients.contains(&"stranger@example.ru"), "{recipients:?}");
}

async fn personal_data_hidden_from_follower(service: &TestService) {
    let author = service.resident("driver.witness@example.ru").await;
    let neighbour = service.resident("neighbour@example.ru").await;
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let (status, report) = author.file_report(&parking_report(), &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {report}");
    let number = report["number"].as_str().expect("report has a number").to_owned();

    let entry = nearby_entry(&neighbour, "parking_violation", &number).await;
    assert_eq!(entry["thumbnail_url"], Value::Null, "photos of parking reports may show plates: {entry}");
    let thumbnail = neighbour.get(&format!("/api/v1/reports/{number}/thumbnail")).await;
    assert_eq!(thumbnail.status(), StatusCode::NOT_FOUND);
    let own_thumbnail = author.get(&format!("/api/v1/reports/{number}/thumbnail")).await;
    assert_eq!(own_thumbnail.status(), StatusCode::OK, "the author sees her own photo");

    let (status, joined) = neighbour.post_json(&format!("/api/v1/reports/{number}/followers"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let card = neighbour.report(&number).await;
    assert_eq!(card["description"], "", "{card}");
    assert_eq!(card["fields"], json!({}), "{card}");
    assert_eq!(card["files"], json!([]), "{card}");
    let text = card.to_string();
    assert!(!text.contains("А123ВС77"), "the plate leaked: {text}");
    assert!(!text.contains("A123BC77"), "the plate leaked in Latin letters: {text}");
    assert!(!text.contains("тротуаре"), "the description leaked: {text}");
    assert!(!text.contains("driver.witness"), "the author leaked: {text}");
}

async fn join_without_javascript(service: &TestService) {
    let author = service.resident("author@example.ru").await;
    let number = file_litter_with_photo(&author).await;
    service.add_user("neighbour@example.ru", Role::Resident, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, "neighbour@example.ru", "/my/reports").await;

    let (status, form) = get_page(service, &browser, &format!("/reports/new/uncleaned_litter_snow?lat={LAT}&lon={LON}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&format!("action=\"/reports/{number}/followers\"")), "the form lists the report with a join button");
    assert!(form.contains("Присоединиться"));
    assert!(form.contains(&format!("src=\"/reports/{number}/thumbnail\"")), "the entry shows the photo's thumbnail");
    let thumbnail = browser.get(service.url(&format!("/reports/{number}/thumbnail"))).send().await.expect("thumbnail request failed");
    assert_eq!(thumbnail.status(), StatusCode::OK);

    let csrf_token = input_value(&form, "csrf_token");
    let without_token = browser.post(service.url(&format!("/reports/{number}/followers"))).form(&[("csrf_token", "wrong")]).send().await.expect("POST failed");
    assert_eq!(without_token.status(), StatusCode::FORBIDDEN);
    let response = browser.post(service.url(&format!("/reports/{number}/followers"))).form(&[("csrf_token", csrf_token.as_str())]).send().await.expect("POST failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().expect("the location is text").to_owned();
    assert_eq!(location, format!("/reports/{number}?joined=1"));

    let (status, card) = get_page(service, &browser, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(card.contains("Вы присоединились к этому обращению"));
    assert!(!card.contains("/transitions"), "a follower gets no actions");
    let (_, my_reports) = get_page(service, &browser, "/my/reports").await;
    assert!(my_reports.contains(&format!("/reports/{number}\"")));
    assert!(my_reports.contains("вы присоединились"));
}

async fn moderator_marks_duplicate(service: &TestService) {
    let first = service.resident("first@example.ru").await;
    let second = service.resident("second@example.ru").await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let (_, original) = first.file_report(&litter_report(LAT, LON), &[], None).await;
    let original = original["number"].as_str().expect("report has a number").to_owned();
    let (_, duplicate) = second.file_report(&litter_report(LAT, LON), &[], None).await;
    let duplicate = duplicate["number"].as_str().expect("report has a number").to_owned();

    let reject = |duplicate_of: Option<&str>| json!({ "to": "rejected", "reason": "duplicate", "duplicate_of": duplicate_of });
    for (duplicate_of, code) in [
        (None, "duplicate_of_required"),
        (Some(duplicate.as_str()), "duplicate_of_same_report"),
        (Some("2026-9999999"), "duplicate_of_not_found"),
        (Some("not-a-number"), "duplicate_of_not_found"),
    ] {
        let (status, body) = moderator.transition(&duplicate, reject(duplicate_of)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{duplicate_of:?}: {body}");
        assert_eq!(error_code(&body), code, "{duplicate_of:?}: {body}");
    }

    let (status, rejected) = moderator.transition(&duplicate, reject(Some(&original))).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["duplicate_of"], original.as_str());

    assert!(second.report_numbers().await.contains(&original), "the duplicate's author follows the original");
    let followed = second.report(&original).await;
    assert_eq!(followed["joined"], true);
    let (status, _) = moderator.transition(&original, json!({ "to": "under_review" })).await;
    assert_eq!(status, StatusCode::OK);
    let (_, notifications) = second.get_json("/api/v1/notifications").await;
    assert_eq!(notifications["notifications"][0]["report_number"], original.as_str(), "{notifications}");

    // A report closed as a duplicate cannot be the original of another.
    let (_, third) = first.file_report(&litter_report(LAT, LON), &[], None).await;
    let third = third["number"].as_str().expect("report has a number").to_owned();
    let (status, body) = moderator.transition(&third, reject(Some(&duplicate))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "duplicate_of_is_duplicate");

    let browser = service.browser();
    sign_in_with_form(service, &browser, "second@example.ru", "/my/reports").await;
    let (status, card) = get_page(service, &browser, &format!("/reports/{duplicate}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(card.contains(&format!("href=\"/reports/{original}\"")), "the duplicate's card links to the original");
}

/// OKTMO codes of the districts used below.
const TVERSKOY: &str = "45382000";
const BASMANNY: &str = "45375000";

async fn district_executor_sees_own_district(service: &TestService) {
    let author = service.resident("author@example.ru").await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    service.add_user_in_district("tverskoy@example.ru", Role::Executor, Some("zhilishchnik"), Some(TVERSKOY)).await;
    service.add_user_in_district("basmanny@example.ru", Role::Executor, Some("zhilishchnik"), Some(BASMANNY)).await;
    let tverskoy = service.sign_in("tverskoy@example.ru").await;
    let basmanny = service.sign_in("basmanny@example.ru").await;
    let whole_agency = service.user("zhilishchnik@example.ru", Role::Executor, Some("zhilishchnik")).await;

    let (_, report) = author.file_report(&litter_report(LAT, LON), &[], None).await;
    let number = report["number"].as_str().expect("report has a number").to_owned();
    assert_eq!(report["district"]["code"], TVERSKOY, "{report}");
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(&number, json!({ "to": to })).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }

    let dispatched = tverskoy.report(&number).await;
    assert_eq!(dispatched["agency"]["code"], "zhilishchnik");
    assert!(dispatched["agency"]["name"].as_str().is_some_and(|name| name.contains("Тверской район")), "{dispatched}");
    assert!(tverskoy.report_numbers().await.contains(&number));
    assert!(whole_agency.report_numbers().await.contains(&number), "an executor without a district sees every district");
    assert_eq!(whole_agency.get(&format!("/api/v1/reports/{number}")).await.status(), StatusCode::OK);

    assert!(!basmanny.report_numbers().await.contains(&number));
    let (status, _) = basmanny.get_json(&format!("/api/v1/reports/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another district's report is missing for this executor");
    let (status, _) = basmanny.transition(&number, json!({ "to": "in_progress" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let browser = service.browser();
    sign_in_with_form(service, &browser, "basmanny@example.ru", "/staff/queue").await;
    let (status, _) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the card is missing too");
    let (status, queue) = get_page(service, &browser, "/staff/queue").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!queue.contains(&number), "the queue of another district leaves the report out");

    let (status, body) = tverskoy.transition(&number, json!({ "to": "in_progress" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn district_needs_district_agency() {
    let service = TestService::start(pomoshnik_test_support::DatabaseKind::Sqlite).await;
    let store = service.state.store.as_ref();
    let request = |agency: &str, district: &str, role: Role| pomoshnik::UserRequest {
        email: format!("{agency}.{district}@example.ru"),
        role,
        agency: (role == Role::Executor).then(|| agency.to_owned()),
        district: Some(district.to_owned()),
        supervisor: false,
        password: PASSWORD.to_owned(),
    };

    let madi = pomoshnik::add_user(store, request("madi", BASMANNY, Role::Executor)).await;
    assert!(madi.is_err_and(|error| error.to_string().contains("no district units")));
    let unknown = pomoshnik::add_user(store, request("zhilishchnik", "99999999", Role::Executor)).await;
    assert!(unknown.is_err_and(|error| error.to_string().contains("unknown district code")));
    let resident = pomoshnik::add_user(store, request("zhilishchnik", BASMANNY, Role::Resident)).await;
    assert!(resident.is_err_and(|error| error.to_string().contains("only to executors")));
    let created = pomoshnik::add_user(store, request("zhilishchnik", BASMANNY, Role::Executor)).await.expect("a district executor is created");
    assert_eq!(created.district.as_deref(), Some(BASMANNY));
    service.stop().await;
}
