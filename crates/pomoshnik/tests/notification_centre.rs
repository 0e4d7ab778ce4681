//! The notification centre in the cabinet: notifications grouped by service area, filters by
//! date, status and topic with Russian messages for values that cannot be used, «Ответить» on a
//! request for more information, and «Отметить все прочитанными».

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(with_service => notification_centre_filters_and_marks, flavor = "multi_thread", worker_threads = 2);

/// Counts the notifications listed on a page, read or not.
fn listed(page: &str) -> usize {
    page.matches(r#"<li class="unread">"#).count() + page.matches("<li class=\"\">").count()
}

async fn notification_centre_filters_and_marks(service: &TestService) {
    service.add_user("centre@example.org", Role::Resident, None).await;
    let api = service.sign_in("centre@example.org").await;
    let moderator = service.user("centre-moderator@example.org", Role::Moderator, None).await;

    let (status, litter) = api.file_report(&litter_report(55.76400, 37.60600), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{litter}");
    let (status, parking) = api.file_report(&parking_report(), &[Upload::photo(TVERSKAYA), Upload::photo(NO_GPS)], None).await;
    assert_eq!(status, StatusCode::CREATED, "{parking}");
    let litter_number = litter["number"].as_str().unwrap();
    let (status, body) = moderator.transition(litter_number, json!({ "to": "under_review", "comment": "Проверяем" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let question = "Уточните, пожалуйста, номер подъезда";
    let (status, body) = moderator.transition(litter_number, json!({ "to": "info_requested", "comment": question })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let browser = service.browser();
    sign_in_with_form(service, &browser, "centre@example.org", "/notifications").await;
    let (status, page) = get_page(service, &browser, "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&page), 4, "two filings, a review and a question: {page}");
    let housing = page.find(">ЖКХ</h2>").expect("no heading of the housing area");
    let transport = page.find(">Транспорт</h2>").expect("no heading of the transport area");
    assert!(housing < transport, "the area of the newest notification comes first");
    assert!(page.contains(question));
    let reply = format!(r#"href="/reports/{litter_number}#message-form""#);
    assert_eq!(page.matches(&reply).count(), 1, "«Ответить» only on the request for information");
    assert!(page.contains("Ответить"));

    let (_, card) = get_page(service, &browser, &format!("/reports/{litter_number}")).await;
    assert!(card.contains(r#"id="message-form""#), "the card has no message form for the reply link");

    let (_, by_status) = get_page(service, &browser, "/notifications?status=info_requested").await;
    assert_eq!(listed(&by_status), 1, "{by_status}");
    assert!(by_status.contains(r#"<option value="info_requested" selected>"#), "the chosen status is lost");

    let (_, by_topic) = get_page(service, &browser, "/notifications?category=parking_violation").await;
    assert_eq!(listed(&by_topic), 1);
    assert!(by_topic.contains(parking["number"].as_str().unwrap()));

    let (_, future) = get_page(service, &browser, "/notifications?from=01.01.2100").await;
    assert_eq!(listed(&future), 0);
    assert!(future.contains("Уведомлений пока нет."));

    let (status, invalid) = get_page(service, &browser, "/notifications?from=31.02.2026&status=info_requested").await;
    assert_eq!(status, StatusCode::OK);
    assert!(invalid.contains("В поле «С даты» дата «31.02.2026» не распознана"), "{invalid}");
    assert!(invalid.contains(r#"value="31.02.2026""#), "the typed date is lost");
    assert_eq!(listed(&invalid), 1, "the other filters still apply");

    let (_, reversed) = get_page(service, &browser, "/notifications?from=2026-12-10&to=2026-12-01").await;
    assert!(reversed.contains("Начало периода позже его конца"));
    assert_eq!(listed(&reversed), 4);

    // Opening the card read the litter report's notifications; the parking one stays unread.
    let (_, unread) = api.get_json("/api/v1/notifications").await;
    assert_eq!(unread["unread"], 1, "{unread}");
    let token = input_value(&page, "csrf_token");
    let rejected = browser.post(service.url("/notifications/read")).form(&[("csrf_token", "wrong")]).send().await.unwrap();
    assert_eq!(rejected.status(), StatusCode::FORBIDDEN);
    let (_, still) = api.get_json("/api/v1/notifications").await;
    assert_eq!(still["unread"], 1, "a request without the form's token marks nothing");

    let marked = browser.post(service.url("/notifications/read")).form(&[("csrf_token", token.as_str())]).send().await.unwrap();
    assert_eq!(marked.status(), StatusCode::SEE_OTHER);
    let location = marked.headers()["location"].to_str().unwrap().to_owned();
    let (_, after) = get_page(service, &browser, &location).await;
    assert!(after.contains("1 уведомление отмечено прочитанным."), "{after}");
    assert!(!after.contains("не прочитано"));
    assert!(!after.contains(r#"id="mark-all-read""#), "nothing left to mark");
    let (_, read) = api.get_json("/api/v1/notifications").await;
    assert_eq!(read["unread"], 0);
}
