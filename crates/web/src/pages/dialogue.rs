//! The dialogue on a report between its author and the staff who handle it. It carries messages
//! with files, the author's answer to an information request, the author's question about a
//! report that has not moved, and the materials sent when reopening. Only the author and staff
//! who may see the whole report read and write it, and anyone else gets 404.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use pomoshnik_core::deadline::may_ask_question;
use pomoshnik_core::role::Role;
use pomoshnik_core::status::Status;
use pomoshnik_core::transition::TransitionRequest;
use pomoshnik_media::MAX_FILES_PER_SUBMISSION;
use pomoshnik_store::{FileRecord, MessageKind, NewMessage, Report, ReportEvent, ReportMessage, User};
use serde::Deserialize;

use super::card::Draft;
use super::error_page;
use crate::auth::{PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::reports::{self, visible_report};
use crate::state::AppState;
use crate::views::{FileView, moscow_time};

/// Maximum length of a message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 5000;

/// The dialogue part of the card.
pub struct DialogueView {
    pub messages: Vec<MessageView>,
    /// Whether the viewer may write: the author or staff.
    pub can_post: bool,
    /// Whether the form sends the author's reply to an information request, which resumes the deadline.
    pub answer_mode: bool,
    /// Items that staff requested, one a line, while the report waits for the author.
    pub info_request: Vec<String>,
    /// Whether the author may ask «Задать вопрос по обращению» now.
    pub question_allowed: bool,
}

pub struct MessageView {
    pub id: i64,
    pub author: String,
    pub kind: &'static str,
    pub kind_label: Option<String>,
    pub text: String,
    pub at_text: String,
    pub files: Vec<FileView>,
}

impl MessageView {
    fn new(report: &Report, message: &ReportMessage) -> MessageView {
        let author = if message.author_id == report.author_id { Tr.t("dialogue-author-resident") } else { Tr.t(&format!("dialogue-author-{}", message.author_role.code())) };
        let kind_label = match message.kind {
            MessageKind::Message => None,
            kind => Some(Tr.t(&format!("dialogue-kind-{}", kind.code()))),
        };
        let number = report.number.to_string();
        MessageView {
            id: message.id,
            author,
            kind: message.kind.code(),
            kind_label,
            text: message.text.clone(),
            at_text: moscow_time(message.created_at),
            files: message.files.iter().map(|file| FileView::new(&number, file)).collect(),
        }
    }
}

/// Returns whether the user may read and write the report's dialogue: its author, or staff who
/// see the whole report. Followers may not.
pub fn may_take_part(user: &User, report: &Report) -> bool {
    reports::can_view(user, report) && (report.author_id == user.id || user.role.is_staff())
}

/// Returns the items of the latest information request, one per line of its status change's comment.
pub fn info_request_items(report: &Report, events: &[ReportEvent]) -> Vec<String> {
    if report.status != Status::InfoRequested {
        return Vec::new();
    }
    let Some(event) = events.iter().rev().find(|event| event.to_status == Status::InfoRequested) else {
        return Vec::new();
    };
    event.comment.as_deref().unwrap_or_default().lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect()
}

/// Returns whether the author may ask about the report, which must be open, not waiting for them,
/// and unchanged for more than ten working days.
pub fn question_allowed(state: &AppState, user: &User, report: &Report) -> bool {
    report.author_id == user.id && report.status.is_open() && report.status != Status::InfoRequested && may_ask_question(&state.calendar.get(), report.updated_at, Utc::now())
}

/// Builds the dialogue part of the card for someone who may take part.
pub async fn view(state: &AppState, user: &User, report: &Report, events: &[ReportEvent]) -> Result<DialogueView, ApiError> {
    let messages = state.store.report_messages(report.id).await?;
    Ok(DialogueView {
        messages: messages.iter().map(|message| MessageView::new(report, message)).collect(),
        can_post: true,
        answer_mode: report.author_id == user.id && report.status == Status::InfoRequested,
        info_request: info_request_items(report, events),
        question_allowed: question_allowed(state, user, report),
    })
}

/// Returns the recipients of a message by `author`. Staff messages go to the report's author. The
/// author's go to the executors who handle it, or to the staff who acted on it before dispatch.
async fn recipients(state: &AppState, author: &User, report: &Report) -> Result<Vec<i64>, ApiError> {
    if author.id != report.author_id {
        return Ok(vec![report.author_id]);
    }
    let executors = state.store.report_executors(report.id).await?;
    if !executors.is_empty() {
        return Ok(executors);
    }
    let events = state.store.report_events(report.id).await?;
    let mut staff: Vec<i64> = events.iter().filter(|event| event.actor_role.is_staff()).filter_map(|event| event.actor_id).collect();
    staff.sort_unstable();
    staff.dedup();
    Ok(staff)
}

/// Checks the text of a message: required, and at most [`MAX_MESSAGE_CHARS`] characters.
fn check_text(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err(Tr.t("dialogue-error-text-required"))
    } else if text.chars().count() > MAX_MESSAGE_CHARS {
        Err(Tr.t_with("dialogue-error-text-too-long", &[("limit", (MAX_MESSAGE_CHARS as i64).into())]))
    } else {
        Ok(text.to_owned())
    }
}

async fn store_message(state: &AppState, user: &User, report: &Report, kind: MessageKind, text: String, files: &[FileRecord]) -> Result<ReportMessage, ApiError> {
    let message = NewMessage {
        report_id: report.id,
        author_id: user.id,
        author_role: user.role,
        kind,
        text,
        file_ids: files.iter().map(|file| file.id).collect(),
        notify_user_ids: recipients(state, user, report).await?,
        at: Utc::now(),
    };
    let stored = state.store.create_message(&message).await?;
    tracing::info!(report.number = %report.number, user.id = user.id, message.id = stored.id, kind = kind.code(), files = stored.files.len(), "dialogue message written");
    Ok(stored)
}

/// Shows the card again with the reason a form was refused and what was put into it.
async fn refused(state: &AppState, signed: &Signed, report: &Report, status: StatusCode, message: String, draft: Draft) -> Response {
    let mut page = super::card::refused_page(state, signed, report, message, draft).await;
    *page.status_mut() = status;
    page
}

/// A multipart form of a text field and files, read and checked.
struct Submitted {
    intake: crate::upload::Intake,
    /// Files kept from an earlier refused attempt followed by those of this one.
    files: Vec<FileRecord>,
    /// The text as typed, for the form shown again.
    typed: String,
    /// The text as stored: trimmed.
    text: String,
}

impl Submitted {
    /// Returns the form `form` with the typed text and the accepted files, for a refusal.
    fn draft(&self, form: &str) -> Draft {
        Draft::new(form, self.typed.clone(), self.files.iter().map(|file| FileView::new("", file)).collect())
    }
}

/// Reads a multipart form of a text field, up to five files and the files kept from a refused
/// attempt (`kept_file`), and checks its CSRF token, the text and the files. A refused form gives
/// the card again with the reason, the typed text and the accepted files, which stay pending.
async fn read_text_with_files(state: &AppState, signed: &Signed, report: &Report, multipart: Multipart, form: &str, text_field: &str) -> Result<Submitted, Response> {
    let intake = crate::upload::read_multipart(state, &signed.user, multipart, 0).await.map_err(error_page)?;
    if let Err(error) = signed.check_csrf(intake.field("csrf_token")) {
        crate::upload::discard(state, &intake.files).await;
        return Err(error_page(error));
    }

    let kept_ids: Vec<i64> = intake.all("kept_file").filter_map(|id| id.parse().ok()).collect();
    let mut files = match state.store.pending_files(signed.user.id, &kept_ids).await {
        Ok(kept) => kept,
        Err(error) => {
            crate::upload::discard(state, &intake.files).await;
            return Err(error_page(error.into()));
        }
    };
    files.extend(intake.files.iter().cloned());

    let typed = intake.field(text_field).unwrap_or_default().to_owned();
    let text = typed.trim().to_owned();
    let mut problems: Vec<String> = intake.problems.iter().map(|problem| problem.message.clone()).collect();
    if files.len() > MAX_FILES_PER_SUBMISSION {
        problems.push(Tr.error("too_many_files", &[("file", files[MAX_FILES_PER_SUBMISSION].original_name.clone()), ("limit", MAX_FILES_PER_SUBMISSION.to_string())]));
        let extra = files.split_off(MAX_FILES_PER_SUBMISSION);
        crate::upload::discard(state, &extra).await;
    }
    let submitted = Submitted { intake, files, typed, text };

    let problem = match check_text(&submitted.typed) {
        Err(message) => Some(message),
        Ok(_) if !problems.is_empty() => Some(problems.join(" ")),
        Ok(_) => None,
    };
    if let Some(message) = problem {
        return Err(refused(state, signed, report, StatusCode::UNPROCESSABLE_ENTITY, message, submitted.draft(form)).await);
    }
    Ok(submitted)
}

/// `POST /reports/{number}/messages` (multipart: `text`, up to five `files`, `kept_file` ids): a
/// message of the dialogue. The author's message on a report waiting for them is their reply
/// and resumes the deadline.
pub async fn post_message(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>, multipart: Multipart) -> Response {
    let report = match visible_report(&state, &signed.user, &number).await {
        Ok(report) if may_take_part(&signed.user, &report) => report,
        Ok(_) => return error_page(ApiError::not_found()),
        Err(error) => return error_page(error),
    };
    let submitted = match read_text_with_files(&state, &signed, &report, multipart, "message", "text").await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };

    let answer = report.author_id == signed.user.id && report.status == Status::InfoRequested;
    let mut current = report.clone();
    if answer {
        let Some(back) = report.status_before_info_request else {
            crate::upload::discard(&state, &submitted.files).await;
            return error_page(ApiError::new(StatusCode::CONFLICT, "transition_not_allowed"));
        };
        let request = TransitionRequest { to: back, comment: Some(submitted.text.clone()), decision: None, reason: None, agency: None, duplicate_of: None };
        current = match reports::change_status(&state, &signed.user, &report, request, None).await {
            Ok(updated) => updated,
            Err(error) => return refused(&state, &signed, &report, error.status, error.problem.message, submitted.draft("message")).await,
        };
    }
    let kind = if answer { MessageKind::Answer } else { MessageKind::Message };
    match store_message(&state, &signed.user, &current, kind, submitted.text.clone(), &submitted.files).await {
        Ok(message) => Redirect::to(&format!("/reports/{}#message-{}", report.number, message.id)).into_response(),
        Err(error) => {
            crate::upload::discard(&state, &submitted.files).await;
            error_page(error)
        }
    }
}

#[derive(Deserialize)]
pub struct QuestionForm {
    csrf_token: Option<String>,
    text: Option<String>,
}

/// `POST /reports/{number}/question`: «Задать вопрос по обращению», for the author of a report
/// that has not changed for more than ten working days. Earlier the question is refused with the
/// reason.
pub async fn ask_question(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>, Form(form): Form<QuestionForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let report = match visible_report(&state, &signed.user, &number).await {
        Ok(report) if report.author_id == signed.user.id => report,
        Ok(_) => return error_page(ApiError::not_found()),
        Err(error) => return error_page(error),
    };
    let typed = form.text.unwrap_or_default();
    if !question_allowed(&state, &signed.user, &report) {
        let message = Tr.t_with("dialogue-error-question-early", &[("days", (i64::from(pomoshnik_core::deadline::QUESTION_AFTER_WORKING_DAYS)).into())]);
        // The question form is not shown yet, so the text goes to the message form.
        return refused(&state, &signed, &report, StatusCode::CONFLICT, message, Draft::new("message", typed, Vec::new())).await;
    }
    let text = match check_text(&typed) {
        Ok(text) => text,
        Err(message) => return refused(&state, &signed, &report, StatusCode::UNPROCESSABLE_ENTITY, message, Draft::new("question", typed, Vec::new())).await,
    };
    match store_message(&state, &signed.user, &report, MessageKind::Question, text, &[]).await {
        Ok(message) => Redirect::to(&format!("/reports/{}#message-{}", report.number, message.id)).into_response(),
        Err(error) => error_page(error),
    }
}

/// `POST /reports/{number}/reopen` (multipart: `version`, `comment`, up to five `files`,
/// `kept_file` ids): «Вопрос не решён» with materials. The files appear on the card's dialogue.
pub async fn reopen(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>, multipart: Multipart) -> Response {
    let report = match visible_report(&state, &signed.user, &number).await {
        Ok(report) if report.author_id == signed.user.id && signed.user.role == Role::Resident => report,
        Ok(_) => return error_page(ApiError::not_found()),
        Err(error) => return error_page(error),
    };
    let submitted = match read_text_with_files(&state, &signed, &report, multipart, Status::Reopened.code(), "comment").await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let version = submitted.intake.field("version").and_then(|version| version.parse::<i64>().ok());
    let request = TransitionRequest { to: Status::Reopened, comment: Some(submitted.text.clone()), decision: None, reason: None, agency: None, duplicate_of: None };
    let updated = match reports::change_status(&state, &signed.user, &report, request, version).await {
        Ok(updated) => updated,
        Err(error) => return refused(&state, &signed, &report, error.status, error.problem.message, submitted.draft(Status::Reopened.code())).await,
    };
    if submitted.files.is_empty() {
        return Redirect::to(&format!("/reports/{}", report.number)).into_response();
    }
    match store_message(&state, &signed.user, &updated, MessageKind::Reopen, submitted.text.clone(), &submitted.files).await {
        Ok(message) => Redirect::to(&format!("/reports/{}#message-{}", report.number, message.id)).into_response(),
        Err(error) => {
            crate::upload::discard(&state, &submitted.files).await;
            error_page(error)
        }
    }
}
