//! The printable answer: once the agency decides, the author downloads a PDF whose text, read
//! back with `pdftotext` (Debian's poppler-utils, which `.ci/run` installs), carries the number,
//! the agency, the decision and the executor's text in Russian.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use std::process::Command;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(with_service => answer_pdf_has_decision, flavor = "multi_thread", worker_threads = 2);

const EXECUTOR_TEXT: &str = "Автомобиль эвакуирован, владельцу выписан штраф по статье 12.16 КоАП РФ.";

/// Returns the text of a PDF as `pdftotext` extracts it.
fn pdf_text(pdf: &[u8]) -> String {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let path = directory.path().join("answer.pdf");
    std::fs::write(&path, pdf).expect("failed to write the PDF");
    let output = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is missing: install Debian's poppler-utils (bash .ci/run does)");
    assert!(output.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("pdftotext printed invalid UTF-8")
}

async fn answer_pdf_has_decision(service: &TestService) {
    let resident = service.resident("answer-resident@example.org").await;
    let moderator = service.user("answer-moderator@example.org", Role::Moderator, None).await;
    let executor = service.user("answer-executor@example.org", Role::Executor, Some("madi")).await;
    service.add_user("answer-other@example.org", Role::Resident, None).await;

    let (status, body) = resident.file_report(&parking_report(), &[Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let number = body["number"].as_str().expect("the response has a number").to_owned();
    let path = format!("/reports/{number}/answer.pdf");

    let browser = service.browser();
    sign_in_with_form(service, &browser, "answer-resident@example.org", "/my/reports").await;
    let (status, page) = get_page(service, &browser, &path).await;
    assert_eq!(status, StatusCode::CONFLICT, "an answer before the decision");
    assert!(page.contains("Ответ по обращению ещё не готов"), "{page}");

    for (client, change) in [
        (&moderator, json!({ "to": "under_review" })),
        (&moderator, json!({ "to": "dispatched" })),
        (&executor, json!({ "to": "in_progress" })),
        (&executor, json!({ "to": "resolved", "decision": "confirmed", "comment": EXECUTOR_TEXT })),
    ] {
        let (status, body) = client.transition(&number, change).await;
        assert_eq!(status, StatusCode::OK, "status change failed: {body}");
    }

    let (_, card) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert!(card.contains(&format!(r#"href="{path}""#)), "the card has no link to the answer");
    let response = browser.get(service.url(&path)).send().await.expect("PDF request failed");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-type").and_then(|value| value.to_str().ok()), Some("application/pdf"));
    let pdf = response.bytes().await.expect("failed to read the PDF");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF file");

    let text = pdf_text(&pdf);
    // pdftotext keeps words but may break lines anywhere between them.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains(&format!("Ответ по обращению № {number}")), "{words}");
    assert!(words.contains("Решение: Нарушение подтверждено"), "{words}");
    assert!(words.contains("Московская административная дорожная инспекция"), "{words}");
    assert!(words.contains(EXECUTOR_TEXT), "{words}");
    assert!(words.contains(TVERSKAYA), "the file list lacks the photo: {words}");

    // Another resident cannot download it.
    let other = service.browser();
    sign_in_with_form(service, &other, "answer-other@example.org", "/my/reports").await;
    let (status, _) = get_page(service, &other, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
