//! Photos and videos as evidence over real HTTP: damaged images rejected, upright previews
//! without metadata, video posters, warnings for staff, and the location and incident time
//! proposed from a photo or video. Both backends.

mod common;

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use common::*;
use pomoshnik_core::deadline::CITY_TIME_ZONE;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};

on_both_backends!(with_service => previews_without_metadata, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => damaged_image_rejected, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => staff_see_evidence_warnings, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => location_proposed_from_photo, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => time_proposed_from_photo, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => video_poster_and_time, flavor = "multi_thread", worker_threads = 2);

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

/// Returns `bytes` with every occurrence of `from` replaced by `to`, which has the same length.
fn replace_all(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "the replacement keeps the file layout");
    let mut result = bytes.to_vec();
    let mut replaced = 0;
    let mut index = 0;
    while index + from.len() <= result.len() {
        if &result[index..index + from.len()] == from.as_bytes() {
            result[index..index + from.len()].copy_from_slice(to.as_bytes());
            replaced += 1;
            index += from.len();
        } else {
            index += 1;
        }
    }
    assert!(replaced > 0, "{from} not found");
    result
}

/// Returns a fixture photo whose EXIF capture times `from` now read `to` (both `YYYY:MM:DD
/// HH:MM:SS`), so the photo stays recent whenever the test runs.
fn photo_taken_at(name: &str, from: &str, to: &str) -> Upload {
    Upload { name: name.to_owned(), bytes: replace_all(&fixture(name), from, to) }
}

/// Formats a time as the EXIF tags write it, as the camera clock in `offset_hours` showed it.
fn exif_time(time: DateTime<Utc>, offset_hours: i32) -> String {
    time.with_timezone(&chrono::FixedOffset::east_opt(offset_hours * 3600).unwrap()).format("%Y:%m:%d %H:%M:%S").to_string()
}

/// Formats a time as the form's datetime-local value in Moscow time.
fn form_time(time: DateTime<Utc>) -> String {
    time.with_timezone(&CITY_TIME_ZONE).format("%Y-%m-%dT%H:%M").to_string()
}

/// Whether the form's incident time field contains `value`.
fn occurred_at_is(html: &str, value: &str) -> bool {
    let start = html.find(r#"id="occurred_at""#).expect("the form has the incident time field");
    let end = start + html[start..].find('>').expect("the field is closed");
    html[start..end].contains(&format!(r#"value="{value}""#))
}

/// Posts the filing form of the litter category with `occurred_at` and one file part.
async fn post_form(service: &TestService, browser: &Client, page: &str, occurred_at: &str, description: &str, file: Part) -> (StatusCode, String) {
    let form = Form::new()
        .text("csrf_token", input_value(page, "csrf_token"))
        .text("idempotency_key", input_value(page, "idempotency_key"))
        .text("address", "")
        .text("latitude", "")
        .text("longitude", "")
        .text("occurred_at_filled_in", input_value(page, "occurred_at_filled_in"))
        .text("occurred_at", occurred_at.to_owned())
        .text("description", description.to_owned())
        .part("files", file);
    let response = browser.post(service.url("/reports/new/uncleaned_litter_snow")).multipart(form).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

async fn time_proposed_from_photo(service: &TestService) {
    service.add_user("time@example.ru", Role::Resident, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, "time@example.ru", "/").await;
    let (_, page) = get_page(service, &browser, "/reports/new/uncleaned_litter_snow").await;
    let filled_in = input_value(&page, "occurred_at_filled_in");
    assert!(occurred_at_is(&page, &filled_in), "the form fills in the current time and remembers it");
    let description = "Во дворе не вывозят мусор уже третий день подряд";
    let now = Utc::now();

    // The photo has no offset tag, so its clock is read as Moscow time.
    let taken = now - Duration::days(2);
    let no_offset = photo_taken_at(NO_GPS, "2026:11:21 08:30:00", &exif_time(taken, 3));
    let (status, html) = post_form(service, &browser, &page, "", description, no_offset.part()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&format!("Дата и время взяты из фото «{NO_GPS}»")), "the form explains the proposal");
    assert!(occurred_at_is(&html, &form_time(taken)), "the capture time is proposed as Moscow time");
    assert!(!html.contains("Укажите дату и время нарушения"), "the filled field is not reported as missing");
    assert!(html.contains("Укажите место"), "the form came back for the missing location");

    // The photo's tags give UTC+5, and the field shows the same moment in Moscow time.
    let taken = now - Duration::days(3);
    let tverskaya = replace_all(&fixture(TVERSKAYA), "+03:00", "+05:00");
    let tverskaya = Upload { name: TVERSKAYA.to_owned(), bytes: replace_all(&tverskaya, "2026:11:20 09:14:05", &exif_time(taken, 5)) };
    let (status, html) = post_form(service, &browser, &page, &filled_in, "Мусор", tverskaya.part()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&format!("Дата и время взяты из фото «{TVERSKAYA}»")), "the untouched time is replaced");
    assert!(occurred_at_is(&html, &form_time(taken)), "the offset of the photo is applied");
    assert_eq!(input_value(&html, "occurred_at_filled_in"), form_time(taken), "the proposal counts as filled in by the form");

    // A time the resident entered stays, whatever the photo's capture time.
    let entered = form_time(now - Duration::hours(5));
    let (status, html) = post_form(service, &browser, &page, &entered, description, no_offset.part()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!html.contains("Дата и время взяты из"), "no proposal over an entered time");
    assert!(occurred_at_is(&html, &entered));

    // A photo from a camera whose clock shows a date years back proposes nothing.
    let stale = photo_taken_at(NO_GPS, "2026:11:21 08:30:00", "2019:01:01 00:00:00");
    let (status, html) = post_form(service, &browser, &page, "", description, stale.part()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!html.contains("Дата и время взяты из"), "a stale capture time is not proposed");
    assert!(html.contains("Укажите дату и время нарушения"), "the empty time is still missing");
}

/// Encodes a three-second 320×240 H.264 MP4 with ffmpeg, created at `created`.
fn generated_video(created: DateTime<Utc>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=3"])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-metadata"])
        .arg(format!("creation_time={}", created.format("%Y-%m-%dT%H:%M:%SZ")))
        .arg("-y")
        .arg(&path)
        .output()
        .expect("ffmpeg is missing: install Debian's ffmpeg package (bash .ci/run does)");
    assert!(output.status.success(), "ffmpeg failed: {}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(&path).unwrap()
}

fn video_part(bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec()).file_name("clip.mp4").mime_str("video/mp4").unwrap()
}

async fn video_poster_and_time(service: &TestService) {
    let resident = service.resident("video@example.ru").await;
    // MP4 creation times are UTC.
    let created = Utc::now() - Duration::hours(26);
    let video = generated_video(created);

    let form = Form::new().text("report", litter_report(55.7640, 37.6060).to_string()).part("files", video_part(&video));
    let response = Client::new().post(service.url("/api/v1/reports")).bearer_auth(&resident.token).multipart(form).send().await.unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let file = &body["files"][0];
    assert_eq!(file["kind"], "mp4");
    let preview = resident.get(file["preview_url"].as_str().expect("a video has a poster")).await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert_eq!(preview.headers()["content-type"], "image/jpeg");
    let preview = preview.bytes().await.unwrap();
    assert_eq!(jpeg_size(&preview), (320, 240), "the poster keeps the frame size");
    assert!(!preview.windows(4).any(|window| window == b"Lavf"), "the poster carries no encoder tag");
    let thumbnail = resident.get(file["thumbnail_url"].as_str().expect("a video has a thumbnail")).await.bytes().await.unwrap();
    assert_eq!(jpeg_size(&thumbnail), (320, 240));

    let browser = service.browser();
    sign_in_with_form(service, &browser, "video@example.ru", "/").await;
    let number = body["number"].as_str().unwrap();
    let (status, html) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"alt="Кадр из видео: clip.mp4""#), "the card shows the poster");
    assert!(html.contains(&format!("/reports/{number}/files/{}/thumbnail", file["id"])), "the card links the thumbnail");

    // The form proposes the video's creation time, in Moscow time.
    let (_, page) = get_page(service, &browser, "/reports/new/uncleaned_litter_snow").await;
    let (status, html) = post_form(service, &browser, &page, "", "Во дворе не вывозят мусор уже третий день подряд", video_part(&video)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Дата и время взяты из видео «clip.mp4»"), "the notice names the video");
    assert!(occurred_at_is(&html, &form_time(created)), "the UTC creation time is shown in Moscow time");
}
