//! `pomoshnik calendar import`: a malformed file is rejected with the reason, a file that
//! changes a day an open report's deadline was counted over needs confirmation, and an imported
//! year takes effect in the running service, from the upload form at once and from the command
//! through the store's announcement.

mod common;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use common::*;
use pomoshnik::calendar_import::{ImportError, import_calendar, load_calendar};
use pomoshnik_core::calendar::Calendar;
use pomoshnik_core::deadline::{CITY_TIME_ZONE, deadline_with_pauses};
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(with_service => malformed_calendar_rejected);
on_both_backends!(with_service => calendar_change_needs_confirmation, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => calendar_upload_form, flavor = "multi_thread", worker_threads = 2);

/// Reads the shipped calendar document of `year`.
fn embedded_document(year: i32) -> String {
    let path = format!("{}/../core/data/calendar/ru_{year}_calendar.xml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

/// Returns the shipped document of the date's year with the date added as a day off.
fn with_day_off(date: NaiveDate) -> String {
    let day = format!("<day d=\"{:02}.{:02}\" t=\"1\"/>", date.month(), date.day());
    embedded_document(date.year()).replacen("<days>", &format!("<days>\n        {day}"), 1)
}

async fn malformed_calendar_rejected(service: &TestService) {
    let store = service.state.store.as_ref();
    let cases = [
        ("<calendar year=\"2028\"><days>", "invalid calendar XML"),
        ("<calendar year=\"2028\"></calendar>", "has no <days> child"),
        ("<calendar year=\"2028\"><days><day d=\"02.30\" t=\"1\"/></days></calendar>", "day \"02.30\" is not a date of that year"),
        ("<calendar year=\"2028\"><days><day d=\"03.09\" t=\"7\"/></days></calendar>", "unknown type t=\"7\""),
    ];
    for (document, reason) in cases {
        let outcome = import_calendar(store, Calendar::embedded(), document, true).await;
        let Err(error @ ImportError::Invalid(_)) = outcome else { panic!("{document} was not rejected as invalid: {outcome:?}") };
        assert!(error.to_string().contains(reason), "{document}: {error}");
    }
    assert!(store.calendar_documents().await.expect("calendar documents failed").is_empty(), "a rejected file was stored");
}

async fn calendar_change_needs_confirmation(service: &TestService) {
    let store = service.state.store.as_ref();
    let resident = service.resident("calendar@example.ru").await;
    service.add_user("calendar-moderator@example.ru", Role::Moderator, None).await;
    let moderator = service.sign_in("calendar-moderator@example.ru").await;
    let (status, report) = resident.file_report(&litter_report(55.7512, 37.5930), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let number = report["number"].as_str().expect("no number").to_owned();
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(&number, json!({ "to": to })).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }
    let dispatched = store.report(&number.parse().expect("invalid number")).await.expect("lookup failed").expect("report missing");
    let deadline_at = dispatched.deadline_at.expect("a dispatched report has a deadline");

    // A plain working day inside the deadline's span, not listed in its year's file.
    let calendar = Calendar::embedded();
    let mut date = dispatched.dispatched_at.expect("dispatched").with_timezone(&CITY_TIME_ZONE).date_naive() + Duration::days(1);
    while !(calendar.is_working_day(date) && !calendar.is_shortened_day(date) && !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)) {
        date += Duration::days(1);
    }
    assert!(date <= deadline_at.with_timezone(&CITY_TIME_ZONE).date_naive(), "no working day before the deadline");
    let document = with_day_off(date);

    let refused = import_calendar(store, calendar, &document, false).await;
    let Err(error @ ImportError::AffectsOpenReports { .. }) = refused else { panic!("the change was not refused: {refused:?}") };
    let message = error.to_string();
    assert!(message.contains(&number), "the message does not name the report: {message}");
    assert!(message.contains("--confirm"), "the message does not say how to proceed: {message}");
    assert!(store.calendar_documents().await.expect("calendar documents failed").is_empty(), "a refused file was stored");

    let summary = import_calendar(store, calendar, &document, true).await.expect("the confirmed import failed");
    assert_eq!(summary.year, date.year());
    assert_eq!(summary.changed_dates, vec![date]);
    assert_eq!(summary.affected_reports, vec![number.clone()]);
    let loaded = load_calendar(store).await.expect("loading the calendar failed");
    assert!(!loaded.is_working_day(date), "the imported day off is not in the loaded calendar");
    assert!(calendar.is_working_day(date + Duration::days(7)) == loaded.is_working_day(date + Duration::days(7)), "another day changed");
    let after = store.report(&number.parse().expect("invalid number")).await.expect("lookup failed").expect("report missing");
    assert_eq!(after.deadline_at, Some(deadline_at), "the import recomputed a deadline");

    // The running service hears of the import through the store, as another node would.
    let mut waited = 0;
    while service.state.calendar.get().is_working_day(date) {
        assert!(waited < 100, "the running service still counts {date} as a working day");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }

    // The shipped file of a year changes nothing, so it needs no confirmation.
    let unchanged = import_calendar(store, &loaded, &embedded_document(2027), false).await.expect("importing an unchanged year failed");
    assert!(unchanged.changed_dates.is_empty());
    assert_eq!(store.calendar_documents().await.expect("calendar documents failed").len(), 2);
}

/// Dispatches a new litter report and returns its number and a plain working day of its deadline
/// span, not listed in its year's file.
async fn dispatched_report_and_day(service: &TestService, resident: &ApiClient, moderator: &ApiClient) -> (String, NaiveDate) {
    let (status, report) = resident.file_report(&litter_report(55.7512, 37.5930), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let number = report["number"].as_str().expect("no number").to_owned();
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(&number, json!({ "to": to })).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }
    let report = service.state.store.report(&number.parse().expect("invalid number")).await.expect("lookup failed").expect("report missing");
    let calendar = Calendar::embedded();
    let mut date = report.dispatched_at.expect("dispatched").with_timezone(&CITY_TIME_ZONE).date_naive() + Duration::days(1);
    while !(calendar.is_working_day(date) && !calendar.is_shortened_day(date) && !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)) {
        date += Duration::days(1);
    }
    (number, date)
}

async fn upload(service: &TestService, browser: &reqwest::Client, csrf_token: &str, document: &str, confirm: bool) -> (StatusCode, String, String) {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_token.to_owned())
        .part("file", reqwest::multipart::Part::bytes(document.as_bytes().to_vec()).file_name("calendar.xml"));
    if confirm {
        form = form.text("confirm", "on");
    }
    let response = browser.post(service.url("/admin/calendar")).multipart(form).send().await.expect("POST /admin/calendar failed");
    let status = response.status();
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

async fn calendar_upload_form(service: &TestService) {
    let store = service.state.store.as_ref();
    let resident = service.resident("calendar-form@example.ru").await;
    service.add_user("calendar-form-moderator@example.ru", Role::Moderator, None).await;
    let moderator = service.sign_in("calendar-form-moderator@example.ru").await;
    let (number, date) = dispatched_report_and_day(service, &resident, &moderator).await;

    service.add_user("calendar-admin@example.ru", Role::Admin, None).await;
    let admin = service.browser();
    sign_in_with_form(service, &admin, "calendar-admin@example.ru", "/admin/calendar").await;
    let (status, page) = get_page(service, &admin, "/admin/calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("2024, 2025, 2026, 2027"), "the page does not list the years in use");
    let csrf_token = input_value(&page, "csrf_token");

    let (status, _, page) = upload(service, &admin, &csrf_token, "<calendar year=\"2028\"><days><day d=\"02.30\" t=\"1\"/></days></calendar>", false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("День «02.30» не является датой этого года"), "no Russian reason for a malformed file");

    let document = with_day_off(date);
    let (status, _, page) = upload(service, &admin, &csrf_token, &document, false).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("по которым уже посчитаны сроки открытых обращений"), "no Russian reason for the open reports");
    assert!(page.contains(&number), "the message does not name the report");
    assert!(page.contains(r#"name="confirm""#), "no confirmation box");
    assert!(store.calendar_documents().await.expect("calendar documents failed").is_empty(), "a refused file was stored");

    let (status, location, _) = upload(service, &admin, &csrf_token, &document, true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/admin/calendar?imported={}", date.year()));
    assert_eq!(store.calendar_documents().await.expect("calendar documents failed"), vec![document]);
    let entries = store.audit_entries(&pomoshnik_store::AuditFilter { action_prefix: Some("calendar.".to_owned()), limit: 5, ..Default::default() }).await.expect("audit failed");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].details, "year=".to_owned() + &date.year().to_string() + " changed_days=1 affected_reports=1");

    // A report dispatched after the upload gets a deadline counted with the new day off.
    let (second, _) = dispatched_report_and_day(service, &resident, &moderator).await;
    let second = store.report(&second.parse().expect("invalid number")).await.expect("lookup failed").expect("report missing");
    let dispatched_at = second.dispatched_at.expect("dispatched");
    let with_import = load_calendar(store).await.expect("loading the calendar failed");
    let expected = deadline_with_pauses(&with_import, dispatched_at, second.deadline_working_days, &[]);
    let before_import = deadline_with_pauses(Calendar::embedded(), dispatched_at, second.deadline_working_days, &[]);
    assert_eq!(second.deadline_at, expected, "the deadline was not counted with the uploaded calendar");
    assert_ne!(expected, before_import, "the uploaded day off does not lie within the second report's deadline");

    let (status, _, _) = upload(service, &admin, "forged", &embedded_document(2027), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
