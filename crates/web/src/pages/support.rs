//! Help for residents: answers to common questions, the hotline number and a contact form whose
//! questions wait in the moderators' queue until one of them closes them.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::role::Role;
use pomoshnik_store::SupportTicket;
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{MaybeUser, PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::moscow_time;

/// Topics of the contact form, each with a label `support-topic-<code>`.
const TOPICS: [&str; 4] = ["report", "account", "site", "other"];
/// Questions shown in the answers list, each with `faq-<n>-question` and `faq-<n>-answer`.
const FAQ_ENTRIES: usize = 6;
const MAX_TEXT_CHARS: usize = 5000;
const OPEN_TICKETS_LIMIT: i64 = 200;

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    layout: Layout,
    t: Tr,
    faq: Vec<(String, String)>,
    hotline: Option<String>,
    topics: Vec<(&'static str, String)>,
    /// Values typed into a refused form, shown again.
    topic: String,
    report_number: String,
    text: String,
    error: Option<String>,
    /// Confirmation after a question was sent.
    sent_notice: Option<String>,
}

#[derive(Deserialize)]
pub struct HelpQuery {
    sent: Option<i64>,
}

/// `GET /help`: answers, the hotline and, for a signed-in person, the contact form.
pub async fn show(State(state): State<AppState>, MaybeUser(signed): MaybeUser, Query(query): Query<HelpQuery>) -> Response {
    help_page(&state, signed.as_ref(), TicketForm::default(), None, query.sent).await
}

async fn help_page(state: &AppState, signed: Option<&Signed>, form: TicketForm, error: Option<String>, sent: Option<i64>) -> Response {
    let title = Tr.t("help-title");
    let layout = match signed {
        Some(signed) => Layout::for_user(state, signed, title).await,
        None => Layout::anonymous(title),
    };
    let faq = (1..=FAQ_ENTRIES).map(|n| (Tr.t(&format!("faq-{n}-question")), Tr.t(&format!("faq-{n}-answer")))).collect();
    let topics = TOPICS.iter().map(|code| (*code, Tr.t(&format!("support-topic-{code}")))).collect();
    render(&HelpPage {
        layout,
        t: Tr,
        faq,
        hotline: state.config.hotline.clone(),
        topics,
        topic: form.topic.unwrap_or_default(),
        report_number: form.report_number.unwrap_or_default(),
        text: form.text.unwrap_or_default(),
        error,
        sent_notice: sent.map(|id| Tr.t_with("support-sent", &[("id", id.into())])),
    })
}

#[derive(Deserialize, Default)]
pub struct TicketForm {
    csrf_token: Option<String>,
    topic: Option<String>,
    report_number: Option<String>,
    text: Option<String>,
}

/// `POST /help/tickets`: queues the question for moderators. A refused form comes back with the
/// reason and everything typed.
pub async fn create(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<TicketForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let topic = form.topic.clone().filter(|topic| TOPICS.contains(&topic.as_str()));
    let text = form.text.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let problem = if topic.is_none() {
        Some("support_topic_required")
    } else if text.is_empty() {
        Some("support_text_required")
    } else if text.chars().count() > MAX_TEXT_CHARS {
        Some("support_text_too_long")
    } else {
        None
    };
    if let Some(code) = problem {
        let mut page = help_page(&state, Some(&signed), form, Some(Tr.error(code, &[])), None).await;
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return page;
    }

    let limit = state.config.rate_limits.support_per_user;
    if let Err(error) = crate::limits::hit(&state, &crate::limits::support_key(signed.user.id), limit).await {
        let message = error.problem.message.clone();
        let mut page = help_page(&state, Some(&signed), form, Some(message), None).await;
        *page.status_mut() = error.status;
        return super::with_retry_after(page, &error);
    }

    let report_number = form.report_number.as_deref().map(str::trim).filter(|number| !number.is_empty());
    let topic = topic.unwrap_or_default();
    match state.store.create_ticket(signed.user.id, &topic, report_number, &text, Utc::now()).await {
        Ok(ticket) => {
            tracing::info!(ticket_id = ticket.id, user_id = signed.user.id, "support question queued");
            Redirect::to(&format!("/help?sent={}", ticket.id)).into_response()
        }
        Err(error) => error_page(error.into()),
    }
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    layout: Layout,
    t: Tr,
    tickets: Vec<TicketView>,
}

struct TicketView {
    id: i64,
    /// The asker's e-mail address, for the moderator's reply.
    email: String,
    topic: String,
    report_number: Option<String>,
    text: String,
    created_text: String,
}

impl TicketView {
    fn new(ticket: SupportTicket, email: String) -> TicketView {
        TicketView {
            id: ticket.id,
            email,
            topic: Tr.t(&format!("support-topic-{}", ticket.topic)),
            report_number: ticket.report_number,
            text: ticket.text,
            created_text: moscow_time(ticket.created_at),
        }
    }
}

fn handles_support(signed: &Signed) -> bool {
    matches!(signed.user.role, Role::Moderator | Role::Admin)
}

/// `GET /staff/tickets`: open questions, oldest first, for moderators and administrators.
pub async fn queue(State(state): State<AppState>, PageUser(signed): PageUser) -> Response {
    if !handles_support(&signed) {
        return error_page(ApiError::not_found());
    }
    let open = match state.store.open_tickets(OPEN_TICKETS_LIMIT).await {
        Ok(open) => open,
        Err(error) => return error_page(error.into()),
    };
    let mut tickets = Vec::with_capacity(open.len());
    for ticket in open {
        let email = match state.store.user(ticket.user_id).await {
            Ok(user) => user.map(|user| user.email).unwrap_or_default(),
            Err(error) => return error_page(error.into()),
        };
        tickets.push(TicketView::new(ticket, email));
    }
    let layout = Layout::for_user(&state, &signed, Tr.t("tickets-title")).await;
    render(&TicketsPage { layout, t: Tr, tickets })
}

#[derive(Deserialize)]
pub struct CloseForm {
    csrf_token: Option<String>,
}

/// `POST /staff/tickets/{id}/close`: marks a question answered.
pub async fn close(State(state): State<AppState>, PageUser(signed): PageUser, Path(id): Path<i64>, Form(form): Form<CloseForm>) -> Response {
    if !handles_support(&signed) {
        return error_page(ApiError::not_found());
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    match state.store.close_ticket(id, signed.user.id, Utc::now()).await {
        Ok(()) => {
            tracing::info!(ticket_id = id, moderator_id = signed.user.id, "support question closed");
            Redirect::to("/staff/tickets").into_response()
        }
        Err(error) => error_page(error.into()),
    }
}
