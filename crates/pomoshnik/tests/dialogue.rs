//! The dialogue on a report, through the card's forms on both backends. Covers messages with
//! files between the author and the staff who handle it, the answer to an information request,
//! the question about a report that has not moved and reopening with materials. Also covers the
//! escalation of overdue reports to supervisors by e-mail, sent to `aiosmtpd` on loopback.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;
mod smtp_support;

use std::time::Duration;

use chrono::Utc;
use common::*;
use futures_util::StreamExt;
use mailparse::MailHeaderMap;
use pomoshnik::escalation::EscalationSweep;
use pomoshnik::worker::{DeliveryWorker, MailConfig, WorkerConfig};
use pomoshnik_core::role::Role;
use pomoshnik_store::{NotificationFilter, NotificationKind};
use pomoshnik_test_support::on_both_backends;
use reqwest::multipart::Form;
use reqwest::{Client, StatusCode};
use serde_json::json;
use smtp_support::SmtpServer;

on_both_backends!(with_service => messages_between_author_and_staff, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => information_request_answered_with_files, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => refused_forms_keep_text_and_files, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => question_and_reopen_with_files, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => overdue_report_escalated_once, flavor = "multi_thread", worker_threads = 2);

const PHOTO: &str = "moscow_tverskaya_orient1.jpg";

/// Files a litter report as `resident` and has `moderator` dispatch it to OATI; returns its number.
async fn dispatched_litter(resident: &ApiClient, moderator: &ApiClient) -> String {
    let (status, body) = resident.file_report(&litter_report(55.7601, 37.6186), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let number = body["number"].as_str().expect("the response has a number").to_owned();
    for change in [json!({ "to": "under_review" }), json!({ "to": "dispatched", "agency": "oati" })] {
        let (status, body) = moderator.transition(&number, change).await;
        assert_eq!(status, StatusCode::OK, "status change failed: {body}");
    }
    number
}

/// Signs a browser in as `email` and returns it with the CSRF token of the report's card.
async fn card_browser(service: &TestService, email: &str, number: &str) -> (Client, String) {
    let browser = service.browser();
    sign_in_with_form(service, &browser, email, "/my/reports").await;
    let (status, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert_eq!(status, StatusCode::OK, "{email} cannot open the card");
    let csrf_token = input_value(&card, "csrf_token");
    (browser, csrf_token)
}

/// Posts a message from the card's form, with `photos` from the fixtures.
async fn post_message(service: &TestService, browser: &Client, csrf_token: &str, number: &str, text: &str, photos: &[&str]) -> reqwest::Response {
    let mut form = Form::new().text("csrf_token", csrf_token.to_owned()).text("text", text.to_owned());
    for photo in photos {
        form = form.part("files", Upload::photo(photo).part());
    }
    browser.post(service.url(&format!("/reports/{number}/messages"))).multipart(form).send().await.expect("POST of a message failed")
}

/// Reads a `/live` stream until a `message` event arrives and returns its data; fails after 30 s.
async fn next_message_event(response: reqwest::Response) -> serde_json::Value {
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let read = async {
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let event: String = text.drain(..end + 2).collect();
                if !event.lines().any(|line| line == "event: message") {
                    continue;
                }
                let data = event.lines().find_map(|line| line.strip_prefix("data: ")).expect("the event has data");
                return serde_json::from_str(data).expect("the message event is not JSON");
            }
        }
        panic!("the live update stream ended before a message event");
    };
    tokio::time::timeout(Duration::from_secs(30), read).await.expect("no message event arrived within 30 s")
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned()
}

/// Returns the download links of the files on a card.
fn file_links(card: &str, number: &str) -> Vec<String> {
    let marker = format!(r#"href="/reports/{number}/files/"#);
    card.match_indices(&marker)
        .map(|(start, _)| {
            let rest = &card[start + 6..];
            rest[..rest.find('"').expect("the link is closed")].to_owned()
        })
        .collect()
}

async fn messages_between_author_and_staff(service: &TestService) {
    let resident = service.resident("dialogue-author@example.org").await;
    let moderator = service.user("dialogue-moderator@example.org", Role::Moderator, None).await;
    let executor = service.add_user("dialogue-oati@example.org", Role::Executor, Some("oati")).await;
    service.add_user("dialogue-madi@example.org", Role::Executor, Some("madi")).await;
    service.add_user("dialogue-other@example.org", Role::Resident, None).await;
    let number = dispatched_litter(&resident, &moderator).await;

    let (browser, csrf_token) = card_browser(service, "dialogue-author@example.org", &number).await;
    let empty = post_message(service, &browser, &csrf_token, &number, "   ", &[]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().await.unwrap().contains("Напишите текст сообщения."));

    let sent = post_message(service, &browser, &csrf_token, &number, "Мусор так и лежит, прикладываю фото", &[PHOTO]).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert!(location(&sent).starts_with(&format!("/reports/{number}#message-")), "{}", location(&sent));

    let store = &service.state.store;
    let for_executor = store.notifications(&NotificationFilter::latest(executor.id, 10)).await.expect("notifications failed");
    assert_eq!(for_executor.len(), 1, "the executor of the agency is told of the message");
    assert_eq!(for_executor[0].kind, NotificationKind::Message);
    assert_eq!(for_executor[0].message_text.as_deref(), Some("Мусор так и лежит, прикладываю фото"));

    let (executor_browser, executor_csrf) = card_browser(service, "dialogue-oati@example.org", &number).await;
    let (_, card) = get_page(service, &executor_browser, &format!("/reports/{number}")).await;
    assert!(card.contains("Мусор так и лежит, прикладываю фото"), "the executor does not see the message");
    let links = file_links(&card, &number);
    assert_eq!(links.len(), 1, "the message's photo is listed once: {links:?}");
    let download = executor_browser.get(service.url(&links[0])).send().await.expect("download failed");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().to_vec(), fixture(PHOTO));

    // The author's open card learns of the reply through the live updates.
    let (_, author_card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    let attribute = |name: &str| {
        let marker = format!("{name}=\"");
        let start = author_card.find(&marker).unwrap_or_else(|| panic!("the card has no {name}")) + marker.len();
        author_card[start..start + author_card[start..].find('"').unwrap()].to_owned()
    };
    let (version, shown) = (attribute("data-version"), attribute("data-messages"));
    assert_eq!(shown, "1", "the card counts the author's message");
    let live = browser.get(service.url(&format!("/live?report={number}&version={version}&messages={shown}"))).send().await.expect("GET /live failed");
    assert_eq!(live.status(), StatusCode::OK);
    let live_event = tokio::spawn(next_message_event(live));

    let reply = post_message(service, &executor_browser, &executor_csrf, &number, "Бригада выедет завтра", &[]).await;
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    let event = live_event.await.expect("the stream reader panicked");
    assert_eq!(event["message"], "В переписке новое сообщение.");
    assert_eq!(event["count"], 2);
    let author_user = store.user_by_email("dialogue-author@example.org").await.unwrap().expect("the author exists").0;
    let for_author = store.notifications(&NotificationFilter::latest(author_user.id, 10)).await.expect("notifications failed");
    assert_eq!(for_author[0].kind, NotificationKind::Message, "the author is told of the staff's message");
    let (_, centre) = get_page(service, &browser, "/notifications").await;
    assert!(centre.contains("Бригада выедет завтра"));
    assert!(centre.contains(&format!(r#"href="/reports/{number}#message-form""#)), "«Ответить» does not lead to the message form");

    // Other residents and other agencies can neither read nor write the dialogue.
    for email in ["dialogue-madi@example.org", "dialogue-other@example.org"] {
        let outsider = service.browser();
        sign_in_with_form(service, &outsider, email, "/my/reports").await;
        let (status, _) = get_page(service, &outsider, &format!("/reports/{number}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{email} opened the card");
        let download = outsider.get(service.url(&links[0])).send().await.expect("download failed");
        assert_eq!(download.status(), StatusCode::NOT_FOUND, "{email} downloaded a message file");
        let (_, own_page) = get_page(service, &outsider, "/my/reports").await;
        let token = input_value(&own_page, "csrf_token");
        let intrusion = post_message(service, &outsider, &token, &number, "Чужое сообщение", &[]).await;
        assert_eq!(intrusion.status(), StatusCode::NOT_FOUND, "{email} wrote into the dialogue");
    }
    let report = store.report(&number.parse().unwrap()).await.unwrap().expect("the report exists");
    let thread = store.report_messages(report.id).await.expect("thread failed");
    assert_eq!(thread.len(), 2, "only the author's and the executor's messages are stored");
}

async fn information_request_answered_with_files(service: &TestService) {
    let resident = service.resident("request-author@example.org").await;
    let moderator = service.user("request-moderator@example.org", Role::Moderator, None).await;
    let executor = service.user("request-oati@example.org", Role::Executor, Some("oati")).await;
    let number = dispatched_litter(&resident, &moderator).await;
    let (status, body) = executor.transition(&number, json!({ "to": "in_progress" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = executor.transition(&number, json!({ "to": "info_requested", "comment": "Фото места при дневном свете\n\nНомер ближайшего дома" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (browser, csrf_token) = card_browser(service, "request-author@example.org", &number).await;
    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert!(card.contains("<li>Фото места при дневном свете</li>"), "the requested items are not listed");
    assert!(card.contains("<li>Номер ближайшего дома</li>"));
    assert!(card.contains("Ваш ответ на запрос уточнения"));
    let transitions = format!(r#"action="/reports/{number}/transitions""#);
    assert!(!card.contains(&transitions), "the author answers with a message, not the bare status form");

    let answer = post_message(service, &browser, &csrf_token, &number, "Фото прилагаю, дом 12", &[PHOTO]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let report = resident.report(&number).await;
    assert_eq!(report["status"], "in_progress", "the answer returns the report to the interrupted status");
    assert!(report["deadline"]["at"].is_string(), "the deadline clock runs again: {report}");
    assert_eq!(report["files"], json!([]), "message files are not listed as evidence");

    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert!(card.contains("ответ на запрос уточнения"));
    assert_eq!(file_links(&card, &number).len(), 1, "the answer's photo is on the card");
    assert!(!card.contains(r#"id="info-request""#), "the list is gone once answered");
}

async fn question_and_reopen_with_files(service: &TestService) {
    let resident = service.resident("question-author@example.org").await;
    let moderator = service.user("question-moderator@example.org", Role::Moderator, None).await;
    let executor = service.user("question-oati@example.org", Role::Executor, Some("oati")).await;
    let number = dispatched_litter(&resident, &moderator).await;

    let (browser, csrf_token) = card_browser(service, "question-author@example.org", &number).await;
    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert!(!card.contains(r#"id="question-form""#), "the question is offered on a report that just changed");
    let early = browser
        .post(service.url(&format!("/reports/{number}/question")))
        .form(&[("csrf_token", csrf_token.as_str()), ("text", "Когда уберут мусор?")])
        .send()
        .await
        .expect("POST of a question failed");
    assert_eq!(early.status(), StatusCode::CONFLICT);
    let page = early.text().await.unwrap();
    assert!(page.contains("Вопрос можно задать, если обращение не менялось больше 10 рабочих дней."), "{page}");
    assert_eq!(textarea(&page, "message-text"), "Когда уберут мусор?", "the typed question is not offered as a message");

    let (status, body) = executor.transition(&number, json!({ "to": "resolved", "decision": "fixed", "comment": "Убрано." })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert!(card.contains(&format!(r#"action="/reports/{number}/reopen""#)), "«Вопрос не решён» takes files");
    let version = input_value(&card[card.find("/reopen").unwrap()..], "version");
    let form = Form::new()
        .text("csrf_token", csrf_token.clone())
        .text("version", version)
        .text("comment", "Мусор снова на месте")
        .part("files", Upload::photo(PHOTO).part());
    let reopened = browser.post(service.url(&format!("/reports/{number}/reopen"))).multipart(form).send().await.expect("reopen failed");
    assert_eq!(reopened.status(), StatusCode::SEE_OTHER);
    assert_eq!(resident.report(&number).await["status"], "reopened");
    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert!(card.contains("вопрос не решён"), "the reopening materials are not in the dialogue");
    assert_eq!(file_links(&card, &number).len(), 1, "the reopening photo is on the card");
}

async fn overdue_report_escalated_once(service: &TestService) {
    let mut smtp = SmtpServer::reserve();
    smtp.start();
    let store = service.state.store.clone();
    let mail = MailConfig { smtp_url: smtp.url(), from: "Помощник города <noreply@pomoshnik.test>".to_owned(), public_url: service.base_url.clone() };
    pomoshnik::configure_delivery(store.as_ref(), Some(&mail), false, false).await.expect("configuring delivery failed");
    let worker = DeliveryWorker::new(store.clone(), &mail, WorkerConfig::default()).expect("the worker configuration is valid");
    let sweep = EscalationSweep::new(store.clone());

    let resident = service.resident("overdue-author@example.org").await;
    let moderator = service.user("overdue-moderator@example.org", Role::Moderator, None).await;
    let chief = service.add_supervisor("oati-chief@example.org", "oati").await;
    let other_chief = service.add_supervisor("madi-chief@example.org", "madi").await;
    let number = dispatched_litter(&resident, &moderator).await;
    worker.run_once(Utc::now()).await.expect("delivery round failed");
    let before = smtp.messages().len();

    let later = Utc::now() + chrono::Duration::days(90);
    assert_eq!(sweep.run_once(later).await.expect("escalation sweep failed"), 1, "one supervisor of OATI to notify");
    worker.run_once(later).await.expect("delivery round failed");
    assert_eq!(sweep.run_once(later + chrono::Duration::days(1)).await.expect("escalation sweep failed"), 0, "the escalation was repeated");
    worker.run_once(later + chrono::Duration::days(1)).await.expect("delivery round failed");

    let messages = smtp.messages();
    let new: Vec<String> = messages[before..].iter().map(|raw| String::from_utf8_lossy(raw).into_owned()).collect();
    assert_eq!(new.len(), 1, "one escalation e-mail: {new:?}");
    let parsed = mailparse::parse_mail(messages[before].as_slice()).expect("the message is not valid MIME");
    assert_eq!(parsed.headers.get_first_value("To").unwrap_or_default(), "oati-chief@example.org");
    assert_eq!(parsed.headers.get_first_value("Subject").unwrap_or_default(), format!("Просрочено обращение № {number}"));
    assert!(parsed.get_body().unwrap().contains("истёк"));

    let chief_notifications = store.notifications(&NotificationFilter::latest(chief.id, 10)).await.expect("notifications failed");
    assert_eq!(chief_notifications.iter().filter(|notification| notification.kind == NotificationKind::Escalation).count(), 1);
    assert!(store.notifications(&NotificationFilter::latest(other_chief.id, 10)).await.expect("notifications failed").is_empty());
}

/// Returns the text of the first textarea whose id starts with `id` on a page.
fn textarea(page: &str, id: &str) -> String {
    let start = page.find(&format!(r#"<textarea id="{id}"#)).unwrap_or_else(|| panic!("no textarea {id}"));
    let rest = &page[start..];
    let open = rest.find('>').expect("the textarea tag is closed") + 1;
    let close = rest.find("</textarea>").expect("the textarea is closed");
    rest[open..close].to_owned()
}

/// Returns the ids of the files a refused form kept, in the order listed.
fn kept_file_ids(page: &str) -> Vec<String> {
    let marker = r#"name="kept_file" value=""#;
    page.match_indices(marker)
        .map(|(start, _)| {
            let rest = &page[start + marker.len()..];
            rest[..rest.find('"').expect("the value is closed")].to_owned()
        })
        .collect()
}

async fn refused_forms_keep_text_and_files(service: &TestService) {
    let resident = service.resident("kept-author@example.org").await;
    let moderator = service.user("kept-moderator@example.org", Role::Moderator, None).await;
    service.add_user("kept-oati@example.org", Role::Executor, Some("oati")).await;
    let number = dispatched_litter(&resident, &moderator).await;
    let disguised = Upload { name: "photo.jpg".to_owned(), bytes: b"this is text, not a photo".to_vec() };

    // A message with a good photo and a disguised file is refused; the text and the photo stay.
    let (browser, csrf_token) = card_browser(service, "kept-author@example.org", &number).await;
    let form = Form::new()
        .text("csrf_token", csrf_token.clone())
        .text("text", "Прилагаю фото двора")
        .part("files", Upload::photo(PHOTO).part())
        .part("files", disguised.part());
    let refused = browser.post(service.url(&format!("/reports/{number}/messages"))).multipart(form).send().await.expect("POST of a message failed");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("photo.jpg"), "the refusal does not name the disguised file");
    assert_eq!(textarea(&page, "message-text"), "Прилагаю фото двора", "the typed message is lost");
    let kept = kept_file_ids(&page);
    assert_eq!(kept.len(), 1, "the accepted photo is not offered again: {kept:?}");
    assert!(page.contains(PHOTO), "the kept photo is not named");

    let form = Form::new().text("csrf_token", csrf_token.clone()).text("text", "Прилагаю фото двора").text("kept_file", kept[0].clone());
    let sent = browser.post(service.url(&format!("/reports/{number}/messages"))).multipart(form).send().await.expect("POST of a message failed");
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert_eq!(file_links(&card, &number).len(), 1, "the kept photo did not arrive with the message");

    // A status change refused for a missing decision keeps the executor's comment.
    let (executor, executor_csrf) = card_browser(service, "kept-oati@example.org", &number).await;
    let (_, card) = get_page(service, &executor, &format!("/reports/{number}")).await;
    let version = input_value(&card[card.find("/transitions").unwrap()..], "version");
    let refused = executor
        .post(service.url(&format!("/reports/{number}/transitions")))
        .form(&[("csrf_token", executor_csrf.as_str()), ("version", version.as_str()), ("to", "resolved"), ("comment", "Убрано силами ГБУ")])
        .send()
        .await
        .expect("POST of a transition failed");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    let resolved_form = &page[page.find(r#"name="to" value="resolved""#).expect("no form for «resolved»")..];
    assert_eq!(textarea(resolved_form, "comment-"), "Убрано силами ГБУ", "the executor's comment is lost");
    let (status, body) = service.sign_in("kept-oati@example.org").await.transition(&number, json!({ "to": "resolved", "decision": "fixed", "comment": "Убрано." })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // «Вопрос не решён» refused for a disguised file keeps the comment and the good photo.
    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    let version = input_value(&card[card.find("/reopen").unwrap()..], "version");
    let form = Form::new()
        .text("csrf_token", csrf_token.clone())
        .text("version", version)
        .text("comment", "Мусор вернулся")
        .part("files", Upload::photo(PHOTO).part())
        .part("files", disguised.part());
    let refused = browser.post(service.url(&format!("/reports/{number}/reopen"))).multipart(form).send().await.expect("reopen failed");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert_eq!(textarea(&page, "reopen-comment"), "Мусор вернулся", "the reopening comment is lost");
    assert_eq!(kept_file_ids(&page).len(), 1, "the accepted photo of the reopening is not offered again");
    assert_eq!(textarea(&page, "message-text"), "", "the reopening comment went into the message form");
    assert_eq!(resident.report(&number).await["status"], "resolved", "a refused reopening changed the status");
}
