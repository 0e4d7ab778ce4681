//! The help page and the support form. Anyone reads the answers and the hotline, a signed-in
//! resident sends a question, and a moderator finds it with the resident's address and closes it.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;

on_both_backends!(with_service => support_question_reaches_moderator, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => support_questions_limited_per_hour, flavor = "multi_thread", worker_threads = 2);

async fn support_question_reaches_moderator(service: &TestService) {
    service.add_user("asker@example.org", Role::Resident, None).await;
    service.add_user("support-moderator@example.org", Role::Moderator, None).await;

    let anonymous = service.browser();
    let (status, help) = get_page(service, &anonymous, "/help").await;
    assert_eq!(status, StatusCode::OK);
    assert!(help.contains("Частые вопросы"), "no answers on the help page");
    assert!(help.contains(&format!(r#"href="tel:{HOTLINE}""#)), "no hotline on the help page");
    assert!(!help.contains(r#"action="/help/tickets""#), "the form is offered without sign-in");

    let resident = service.browser();
    sign_in_with_form(service, &resident, "asker@example.org", "/help").await;
    let (_, help) = get_page(service, &resident, "/help").await;
    let csrf_token = input_value(&help, "csrf_token");
    let question = "Обращение 2026-0000001 висит без ответа уже месяц, подскажите, что делать?";

    let refused = resident
        .post(service.url("/help/tickets"))
        .form(&[("csrf_token", csrf_token.as_str()), ("topic", ""), ("text", question)])
        .send()
        .await
        .expect("POST /help/tickets failed");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap_or_default();
    assert!(page.contains("Выберите тему вопроса."), "no reason shown");
    assert!(page.contains(question), "the typed question was lost");

    let sent = resident
        .post(service.url("/help/tickets"))
        .form(&[("csrf_token", csrf_token.as_str()), ("topic", "report"), ("report_number", "2026-0000001"), ("text", question)])
        .send()
        .await
        .expect("POST /help/tickets failed");
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let location = sent.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let (_, confirmation) = get_page(service, &resident, &location).await;
    assert!(confirmation.contains("отправлен"), "no confirmation after sending: {location}");
    let (status, _) = get_page(service, &resident, "/staff/tickets").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a resident opened the support queue");

    let moderator = service.browser();
    sign_in_with_form(service, &moderator, "support-moderator@example.org", "/staff/tickets").await;
    let (status, queue) = get_page(service, &moderator, "/staff/tickets").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(question), "the question is not in the queue");
    assert!(queue.contains("mailto:asker@example.org"), "the moderator cannot reply by e-mail");
    assert!(queue.contains("Обращение"), "the topic label is missing");

    let close_path = {
        let start = queue.find("/staff/tickets/").expect("no close form");
        let end = queue[start..].find('"').expect("unterminated form action") + start;
        queue[start..end].to_owned()
    };
    let moderator_token = input_value(&queue, "csrf_token");
    let closed = moderator
        .post(service.url(&close_path))
        .form(&[("csrf_token", moderator_token.as_str())])
        .send()
        .await
        .expect("closing failed");
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    let (_, queue) = get_page(service, &moderator, "/staff/tickets").await;
    assert!(!queue.contains(question), "the closed question is still open");
    assert!(queue.contains("Открытых вопросов нет."));
}

/// The sixth question within an hour is not queued: the page shows how long to wait and keeps the
/// typed text.
async fn support_questions_limited_per_hour(service: &TestService) {
    service.add_user("busy-asker@example.org", Role::Resident, None).await;
    let resident = service.browser();
    sign_in_with_form(service, &resident, "busy-asker@example.org", "/help").await;
    let (_, help) = get_page(service, &resident, "/help").await;
    let csrf_token = input_value(&help, "csrf_token");
    let send = |text: String| {
        let request = resident.post(service.url("/help/tickets")).form(&[("csrf_token", csrf_token.clone()), ("topic", "other".to_owned()), ("text", text)]);
        async move { request.send().await.expect("POST /help/tickets failed") }
    };

    for index in 1..=5 {
        let sent = send(format!("Вопрос номер {index} о работе сервиса")).await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER, "question {index} was not queued");
    }
    let refused = send("Шестой вопрос за час".to_owned()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"), "no Retry-After header");
    let page = refused.text().await.unwrap_or_default();
    assert!(page.contains("Слишком много попыток. Попробуйте снова через"), "no reason shown");
    assert!(page.contains("Шестой вопрос за час"), "the typed question was lost");

    let moderator = service.browser();
    service.add_user("busy-moderator@example.org", Role::Moderator, None).await;
    sign_in_with_form(service, &moderator, "busy-moderator@example.org", "/staff/tickets").await;
    let (_, queue) = get_page(service, &moderator, "/staff/tickets").await;
    assert_eq!(queue.matches("о работе сервиса").count(), 5, "five questions queued");
    assert!(!queue.contains("Шестой вопрос за час"), "the question over the limit was queued");
}
