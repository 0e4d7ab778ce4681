//! `GET /reports/{number}/answer.pdf`: the agency's answer as a printable PDF, for the author
//! and staff, once the report has a decision or a rejection.

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use pomoshnik_core::status::Status;
use pomoshnik_store::{FileRecord, Report, ReportEvent};

use super::error_page;
use crate::answer::{Answer, render};
use crate::auth::PageUser;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::reports::visible_report;
use crate::state::AppState;
use crate::views::moscow_time;

pub async fn download(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>) -> Response {
    let report = match visible_report(&state, &signed.user, &number).await {
        Ok(report) => report,
        Err(error) => return error_page(error),
    };
    match answer_of(&state, &report).await {
        Ok(answer) => pdf_response(&report, answer).await,
        Err(error) => error_page(error),
    }
}

/// Gathers the answer's content, or fails with `answer_not_ready` while the report has no
/// decision or rejection.
async fn answer_of(state: &AppState, report: &Report) -> Result<Answer, ApiError> {
    let events = state.store.report_events(report.id).await?;
    let decided = events.iter().rev().find(|event| matches!(event.to_status, Status::Resolved | Status::Rejected));
    let Some(decided) = decided.filter(|_| matches!(report.status, Status::Resolved | Status::Rejected | Status::Closed)) else {
        return Err(ApiError::new(axum::http::StatusCode::CONFLICT, "answer_not_ready"));
    };
    let catalog = state.store.catalog().await?;
    let files = state.store.report_files(report.id).await?;

    let agency = report.agency.as_deref().and_then(|code| catalog.agency(code)).map_or_else(|| Tr.t("card-agency-not-assigned"), |agency| agency.name.clone());
    let mut facts = vec![
        (Tr.t("answer-number"), report.number.to_string()),
        (Tr.t("card-filed-at"), moscow_time(report.created_at)),
        (Tr.t("card-category"), report.category_name.clone()),
        (Tr.t("card-address"), report.address.clone().unwrap_or_else(|| format!("{:.5}, {:.5}", report.latitude, report.longitude))),
        (Tr.t("card-agency"), agency),
        (Tr.t("answer-status"), Tr.status(report.status)),
        (Tr.t("answer-decided-at"), moscow_time(decided.created_at)),
    ];
    facts.extend(outcome(decided));

    Ok(Answer {
        title: Tr.t_with("answer-title", &[("number", report.number.to_string().into())]),
        facts,
        text_heading: Tr.t("answer-text-heading"),
        text: decided.comment.clone().unwrap_or_else(|| Tr.t("answer-no-text")),
        files_heading: Tr.t("card-files"),
        files: file_lines(&files),
        footer: Tr.t_with("answer-footer", &[("at", moscow_time(Utc::now()).into())]),
    })
}

/// Returns the decision or the rejection reason of the deciding event as a labelled fact.
fn outcome(event: &ReportEvent) -> Option<(String, String)> {
    if let Some(decision) = event.decision {
        return Some((Tr.t("answer-decision"), Tr.decision(decision)));
    }
    event.rejection_reason.map(|reason| (Tr.t("answer-reason"), Tr.reason(reason)))
}

fn file_lines(files: &[FileRecord]) -> Vec<String> {
    if files.is_empty() {
        return vec![Tr.t("answer-no-files")];
    }
    files
        .iter()
        .map(|file| Tr.t_with("answer-file", &[("name", file.original_name.as_str().into()), ("kilobytes", ((file.size + 1023) / 1024).into())]))
        .collect()
}

async fn pdf_response(report: &Report, answer: Answer) -> Response {
    // printpdf's document is not `Send`, so it is built on a blocking thread.
    let rendered = tokio::task::spawn_blocking(move || render(&answer)).await;
    match rendered {
        Ok(Ok(bytes)) => {
            let disposition = format!("attachment; filename=\"answer-{}.pdf\"", report.number);
            ([(CONTENT_TYPE, "application/pdf".to_owned()), (CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
        Ok(Err(error)) => error_page(ApiError::internal(format!("answer PDF of report {} failed: {error}", report.id))),
        Err(error) => error_page(ApiError::internal(format!("answer PDF task of report {} failed: {error}", report.id))),
    }
}
