//! Rating a resolved report: only its author rates, only after the decision, with a score from
//! 1 to 5. Through the API and the card's form, on both backends.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(with_service => rating_after_decision, flavor = "multi_thread", worker_threads = 2);

async fn rating_after_decision(service: &TestService) {
    let resident = service.resident("rating-resident@example.org").await;
    let moderator = service.user("rating-moderator@example.org", Role::Moderator, None).await;
    let executor = service.user("rating-executor@example.org", Role::Executor, Some("oati")).await;
    let (status, body) = resident.file_report(&litter_report(55.7601, 37.6186), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let number = body["number"].as_str().expect("the response has a number").to_owned();
    let path = format!("/api/v1/reports/{number}/rating");

    let (status, body) = resident.post_json(&path, &json!({ "score": 5 })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "rating_not_available");

    for (client, change) in [
        (&moderator, json!({ "to": "under_review" })),
        (&moderator, json!({ "to": "dispatched", "agency": "oati" })),
        (&executor, json!({ "to": "resolved", "decision": "fixed", "comment": "Мусор вывезен." })),
    ] {
        let (status, body) = client.transition(&number, change).await;
        assert_eq!(status, StatusCode::OK, "status change failed: {body}");
    }

    let (status, body) = moderator.post_json(&path, &json!({ "score": 5 })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "rating_not_author");
    let (status, body) = resident.post_json(&path, &json!({ "score": 6 })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "rating_score_invalid");
    assert_eq!(body["error"]["field"], "score");
    assert_eq!(body["error"]["message"], "Выберите оценку от 1 до 5.");

    let (status, body) = resident.post_json(&path, &json!({ "score": 4, "comment": "  Вывезли за два дня.  " })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["score"], 4);
    assert_eq!(body["comment"], "Вывезли за два дня.");

    // The card's form replaces the rating, and staff see it on the card.
    let browser = service.browser();
    sign_in_with_form(service, &browser, "rating-resident@example.org", "/my/reports").await;
    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert!(card.contains(r#"value="4" required checked"#), "the form does not show the current score");
    let csrf_token = input_value(&card, "csrf_token");
    let invalid = browser
        .post(service.url(&format!("/reports/{number}/rating")))
        .form(&[("csrf_token", csrf_token.as_str()), ("comment", "Без оценки")])
        .send()
        .await
        .expect("POST rating failed");
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = invalid.text().await.unwrap_or_default();
    assert!(refused.contains("Выберите оценку от 1 до 5."), "no reason shown");
    assert!(refused.contains(">Без оценки</textarea>"), "the typed comment was lost");
    let saved = browser
        .post(service.url(&format!("/reports/{number}/rating")))
        .form(&[("csrf_token", csrf_token.as_str()), ("score", "2"), ("comment", "Контейнер так и не поставили")])
        .send()
        .await
        .expect("POST rating failed");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    let staff = service.browser();
    sign_in_with_form(service, &staff, "rating-moderator@example.org", "/staff/queue").await;
    let (_, staff_card) = get_page(service, &staff, &format!("/reports/{number}")).await;
    assert!(staff_card.contains("Оценка автора: 2 из 5: «Контейнер так и не поставили»"), "staff do not see the rating");
    assert!(!staff_card.contains(r#"action="/reports/{number}/rating""#), "staff got the rating form");
}
