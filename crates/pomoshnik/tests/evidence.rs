//! Photos as evidence over real HTTP: damaged images rejected, upright previews without
//! metadata, warnings for staff, and the location proposed from a photo. Both backends.

mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use reqwest::multipart::Form;

on_both_backends!(with_service => previews_without_metadata, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => damaged_image_rejected, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => staff_see_evidence_warnings, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => location_proposed_from_photo, flavor = "multi_thread", worker_threads = 2);

/// Width and height from a baseline or progressive JPEG's SOF segment.
fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let mut index = 2;
    while index + 9 < bytes.len() {
        let marker = bytes[index + 1];
        let length = u16::from_be_bytes([bytes[index + 2], bytes[index + 3]]) as usize;
        if (0xC0..=0xC2).contains(&marker) {
            let height = u16::from_be_bytes([bytes[index + 5], bytes[index + 6]]) as u32;
            let width = u16::from_be_bytes([bytes[index + 7], bytes[index + 8]]) as u32;
            return (width, height);
        }
        index += 2 + length;
    }
    panic!("no SOF segment found");
}

async fn previews_without_metadata(service: &TestService) {
    let resident = service.resident("preview@example.ru").await;
    let (status, body) = resident.file_report(&litter_report(55.9825, 37.1814), &[Upload::photo(ZELENOGRAD)], None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let file = &body["files"][0];
    let preview_url = file["preview_url"].as_str().expect("a photo has a preview");
    let thumbnail_url = file["thumbnail_url"].as_str().expect("a photo has a thumbnail");
    assert!(preview_url.starts_with("/api/v1/reports/"), "{preview_url}");

    let preview = resident.get(preview_url).await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert_eq!(preview.headers()["content-type"], "image/jpeg");
    let preview = preview.bytes().await.unwrap();
    assert!(!preview.windows(4).any(|window| window == b"Exif"), "the preview carries no EXIF block");

    // The photo's pixels are stored rotated, with orientation 6 telling viewers to turn them; it
    // shows a landscape scene, so only an upright copy is wider than high.
    let (width, height) = jpeg_size(&preview);
    assert!(width > height, "preview {width}x{height} is not upright");

    let thumbnail = resident.get(thumbnail_url).await.bytes().await.unwrap();
    let (width, height) = jpeg_size(&thumbnail);
    assert!(width.max(height) <= 320, "thumbnail {width}x{height} is larger than 320 px");

    let original = resident.get(file["url"].as_str().unwrap()).await.bytes().await.unwrap();
    assert_eq!(original.as_ref(), fixture(ZELENOGRAD).as_slice(), "the original stays byte for byte");

    let stranger = service.resident("stranger@example.ru").await;
    assert_eq!(stranger.get(preview_url).await.status(), StatusCode::NOT_FOUND);
}

async fn damaged_image_rejected(service: &TestService) {
    let resident = service.resident("damaged@example.ru").await;
    let mut truncated = fixture(TVERSKAYA);
    truncated.truncate(truncated.len() / 2);
    let upload = Upload { name: "обрезанное.jpg".to_owned(), bytes: truncated };

    let (status, body) = resident.file_report(&litter_report(55.7640, 37.6060), &[upload], None).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "file_damaged");
    assert!(body["error"]["message"].as_str().unwrap().contains("обрезанное.jpg"), "{body}");
    assert!(resident.report_numbers().await.is_empty());
    assert!(service.stored_originals().is_empty(), "the damaged file is not kept");
}

async fn staff_see_evidence_warnings(service: &TestService) {
    let resident = service.resident("warned@example.ru").await;
    service.add_user("moderator@example.ru", Role::Moderator, None).await;

    // The Tverskaya photo carries GPS 55.7640, 37.6060; the report is placed about 1.1 km away.
    let (status, first) = resident.file_report(&litter_report(55.7540, 37.6060), &[Upload::photo(TVERSKAYA)], None).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, second) = resident.file_report(&litter_report(55.7640, 37.6060), &[Upload::photo(TVERSKAYA)], None).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");

    let browser = service.browser();
    sign_in_with_form(service, &browser, "moderator@example.ru", "/staff/queue").await;
    let first_number = first["number"].as_str().unwrap();
    let (status, html) = get_page(service, &browser, &format!("/reports/{first_number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Обратите внимание"), "the card has a warnings block");
    assert!(html.contains("м от указанного места"), "distance warning shown");
    assert!(html.contains(&format!("уже приложен к обращению № {}", second["number"].as_str().unwrap())), "shared-file warning shown");

    // The photo was taken on 2026-11-20 while the incident is stated an hour ago.
    assert!(html.contains("намного раньше указанного времени"), "early-photo warning shown");

    let resident_browser = service.browser();
    sign_in_with_form(service, &resident_browser, "warned@example.ru", "/").await;
    let (_, html) = get_page(service, &resident_browser, &format!("/reports/{first_number}")).await;
    assert!(!html.contains("Обратите внимание"), "residents do not see staff warnings");
}

async fn location_proposed_from_photo(service: &TestService) {
    service.add_user("form@example.ru", Role::Resident, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, "form@example.ru", "/").await;
    let (_, html) = get_page(service, &browser, "/reports/new/uncleaned_litter_snow").await;

    let photo = Upload::photo(TVERSKAYA);
    let form = Form::new()
        .text("csrf_token", input_value(&html, "csrf_token"))
        .text("idempotency_key", input_value(&html, "idempotency_key"))
        .text("address", "")
        .text("latitude", "")
        .text("longitude", "")
        .text("occurred_at", "")
        .text("description", "Во дворе не вывозят мусор уже третий день подряд")
        .part("files", photo.part());
    let response = browser.post(service.url("/reports/new/uncleaned_litter_snow")).multipart(form).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Координаты взяты из фото"), "the form explains the proposal");
    assert!(html.contains(r#"required value="55.764000""#), "latitude proposed from the photo");
    assert!(html.contains(r#"required value="37.606000""#), "longitude proposed from the photo");
}
