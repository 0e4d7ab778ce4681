//! The report card: details, chronology, files, deadline, and the status changes the viewer may
//! make, each as its own small form.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::status::{Decision, RejectionReason, Status};
use pomoshnik_core::transition::{TransitionRequest, check_transition, next_statuses};
use pomoshnik_store::{OutboxState, Report, User, WebhookStatus};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::reports::{self, Access, readable_report, visible_report};
use crate::state::AppState;
use crate::views::{ReportView, moscow_time};

/// A status change offered on the card.
pub struct ActionView {
    pub to: String,
    pub label: String,
    pub comment_required: bool,
    pub decisions: Vec<(String, String)>,
    pub reasons: Vec<(String, String)>,
    pub agencies: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "report_card.html")]
struct CardPage {
    layout: Layout,
    t: Tr,
    report: ReportView,
    agency_name: String,
    actions: Vec<ActionView>,
    filed_notice: Option<String>,
    error: Option<String>,
    /// Evidence warnings, shown to staff only.
    warnings: Vec<String>,
    /// The rating form, for the author of a resolved report.
    rating_form: bool,
    /// The stored rating as a sentence, and its score (0 without a rating).
    rating_text: Option<String>,
    rating_score: i64,
    /// Text of the comment field: the refused draft, or else the stored comment.
    rating_comment: String,
    /// The refused form's text and files, if the card is shown again after a refusal.
    draft: Draft,
    /// Delivery of the latest dispatch to the agency's systems, for staff; None when the
    /// dispatch went to no webhook destination.
    dispatch: Option<DispatchView>,
    /// The dialogue, for the author and staff; None for followers.
    dialogue: Option<super::dialogue::DialogueView>,
    /// Number of messages in the dialogue, for the live updates.
    message_count: usize,
}

/// The content of a refused form of the card, shown again in that form so nothing typed or
/// uploaded is lost.
#[derive(Default)]
pub struct Draft {
    /// The form: `message`, `question`, `rating`, or the target status of a status change
    /// (`reopened` for «Вопрос не решён»).
    pub form: String,
    pub text: String,
    /// Files accepted with the refused form, kept as pending uploads for the next attempt.
    pub files: Vec<crate::views::FileView>,
}

impl Draft {
    pub fn new(form: &str, text: String, files: Vec<crate::views::FileView>) -> Draft {
        Draft { form: form.to_owned(), text, files }
    }

    /// Returns the text typed into `form`, or an empty string for another form.
    pub fn text_for(&self, form: &str) -> &str {
        if self.form == form { &self.text } else { "" }
    }

    /// Returns the files kept for `form`.
    pub fn files_for(&self, form: &str) -> &[crate::views::FileView] {
        if self.form == form { &self.files } else { &[] }
    }
}

/// How the latest dispatch reached the agency's systems.
pub struct DispatchView {
    /// Whether every destination acknowledged it.
    pub all_sent: bool,
    pub summary: String,
    pub destinations: Vec<DestinationView>,
}

pub struct DestinationView {
    pub name: String,
    /// `pending`, `sent` or `failed`, for the CSS class and tests.
    pub state: &'static str,
    pub text: String,
    pub last_error: Option<String>,
}

impl DispatchView {
    /// Describes the deliveries of the latest dispatch; None when there are none.
    fn new(statuses: Vec<WebhookStatus>) -> Option<DispatchView> {
        if statuses.is_empty() {
            return None;
        }
        let total = statuses.len() as i64;
        let sent = statuses.iter().filter(|status| status.state == OutboxState::Sent).count() as i64;
        let summary = if sent == total {
            Tr.t("dispatch-all-sent")
        } else {
            Tr.t_with("dispatch-partly-sent", &[("sent", sent.into()), ("total", total.into())])
        };
        let destinations = statuses
            .into_iter()
            .map(|status| {
                let attempts = Tr.count("dispatch-attempts", status.attempts);
                let text = match (status.state, status.sent_at) {
                    (OutboxState::Sent, Some(at)) => Tr.t_with("dispatch-state-sent", &[("time", moscow_time(at).into())]),
                    (OutboxState::Failed, _) => format!("{}, {attempts}", Tr.t("dispatch-state-failed")),
                    _ => format!("{}, {attempts}", Tr.t("dispatch-state-pending")),
                };
                DestinationView {
                    name: status.destination,
                    state: status.state.code(),
                    text,
                    last_error: status.last_error.filter(|_| status.state != OutboxState::Sent),
                }
            })
            .collect();
        Some(DispatchView { all_sent: sent == total, summary, destinations })
    }
}

/// The statuses the user could move the report to now, found by asking the transition rules
/// with a request that carries every optional part.
fn available_actions(user: &User, report: &Report, catalog: &Catalog) -> Vec<ActionView> {
    let actor = reports::actor(user);
    let state = reports::transition_state(report);
    let default_agency = catalog.category(&report.category_code).map(|category| category.agency.clone());
    let other_agency = catalog.agencies.iter().map(|agency| agency.code.clone()).find(|code| Some(code) != report.agency.as_ref());

    let targets: Vec<Status> = match report.status {
        Status::InfoRequested => report.status_before_info_request.into_iter().collect(),
        status => next_statuses(status).to_vec(),
    };

    let mut actions = Vec::new();
    for to in targets {
        let redirect = to == Status::Dispatched && report.status == Status::Dispatched;
        let probe = TransitionRequest {
            to,
            comment: Some("-".into()),
            decision: Some(Decision::Confirmed),
            reason: Some(RejectionReason::Duplicate),
            agency: if redirect { other_agency.clone() } else { default_agency.clone() },
            duplicate_of: Some(report.number.clone()),
        };
        if check_transition(&state, &actor, &probe, Utc::now()).is_err() {
            continue;
        }

        let label_id = if report.status == Status::InfoRequested {
            "action-answer".to_owned()
        } else if redirect {
            "action-redirect".to_owned()
        } else {
            format!("action-{}", to.code())
        };
        let selected_agency = if redirect { None } else { default_agency.as_deref() };
        let agencies = if to == Status::Dispatched && report.status != Status::InfoRequested {
            catalog
                .agencies
                .iter()
                .filter(|agency| !redirect || Some(&agency.code) != report.agency.as_ref())
                .map(|agency| (agency.code.clone(), agency.name.clone(), Some(agency.code.as_str()) == selected_agency))
                .collect()
        } else {
            Vec::new()
        };

        actions.push(ActionView {
            to: to.code().to_owned(),
            label: Tr.t(&label_id),
            comment_required: matches!(to, Status::Resolved | Status::InfoRequested | Status::Reopened) || redirect || report.status == Status::InfoRequested,
            decisions: if to == Status::Resolved { Decision::ALL.iter().map(|d| (d.code().to_owned(), Tr.decision(*d))).collect() } else { Vec::new() },
            reasons: if to == Status::Rejected { RejectionReason::ALL.iter().map(|r| (r.code().to_owned(), Tr.reason(*r))).collect() } else { Vec::new() },
            agencies,
        });
    }
    actions
}

#[derive(Deserialize)]
pub struct CardQuery {
    filed: Option<String>,
    joined: Option<String>,
}

/// Renders the card. `draft` is what the person put into a refused form, shown again in it; a
/// rating comment there replaces the stored one.
async fn card_page(state: &AppState, signed: &Signed, report: &Report, access: Access, filed_notice: Option<String>, error: Option<String>, draft: Option<Draft>) -> Result<Response, ApiError> {
    let draft = draft.unwrap_or_default();
    let catalog = state.store.catalog().await?;
    let events = state.store.report_events(report.id).await?;
    if report.author_id == signed.user.id || access == Access::Follower {
        state.store.mark_notifications_read(signed.user.id, report.id, Utc::now()).await?;
    }

    let (view, warnings, actions) = match access {
        Access::Full => {
            let files = state.store.report_files(report.id).await?;
            let warnings = if signed.user.role.is_staff() { crate::evidence::warnings(state, report, &files).await? } else { Vec::new() };
            let mut actions = available_actions(&signed.user, report, &catalog);
            // The author answers an information request with a message and files instead.
            if report.status == Status::InfoRequested && report.author_id == signed.user.id {
                actions.clear();
            }
            (ReportView::full(state, report, &catalog, &events, &files, ""), warnings, actions)
        }
        Access::Follower => (ReportView::for_follower(state, report, &catalog, &events), Vec::new(), Vec::new()),
    };
    let view = view.with_original(state, report).await?.with_vehicle_owner(state, &signed.user, report).await?;
    let agency_name = view.agency.as_ref().map(|agency| agency.name.clone()).unwrap_or_else(|| Tr.t("card-agency-not-assigned"));
    let title = Tr.t_with("card-title", &[("number", view.number.clone().into())]);
    let rating_form = report.author_id == signed.user.id && matches!(report.status, Status::Resolved | Status::Closed);
    let rating = state.store.report_rating(report.id).await?;
    let rating_score = rating.as_ref().map_or(0, |rating| rating.score);
    let rating_comment = match draft.form.as_str() {
        "rating" => draft.text.clone(),
        _ => rating.as_ref().and_then(|rating| rating.comment.clone()).unwrap_or_default(),
    };
    let rating_text = rating.map(|rating| {
        let score = Tr.t_with("rating-current", &[("score", rating.score.into())]);
        match rating.comment {
            Some(comment) => format!("{score}: «{comment}»"),
            None => score,
        }
    });
    let dispatch = if signed.user.role.is_staff() { DispatchView::new(state.store.report_webhook_status(report.id).await?) } else { None };
    let dialogue = if super::dialogue::may_take_part(&signed.user, report) {
        Some(super::dialogue::view(state, &signed.user, report, &events).await?)
    } else {
        None
    };
    let message_count = dialogue.as_ref().map_or(0, |dialogue| dialogue.messages.len());
    let layout = Layout::for_user(state, signed, title).await;
    Ok(render(&CardPage {
        layout,
        t: Tr,
        report: view,
        agency_name,
        actions,
        filed_notice,
        error,
        warnings,
        rating_form,
        rating_text,
        rating_score,
        rating_comment,
        draft,
        dispatch,
        dialogue,
        message_count,
    }))
}

/// Renders the card with the reason a dialogue form was refused and what was put into it.
pub(super) async fn refused_page(state: &AppState, signed: &Signed, report: &Report, message: String, draft: Draft) -> Response {
    card_page(state, signed, report, Access::Full, None, Some(message), Some(draft)).await.unwrap_or_else(error_page)
}

pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>, Query(query): Query<CardQuery>) -> Response {
    let (report, access) = match readable_report(&state, &signed.user, &number).await {
        Ok(found) => found,
        Err(error) => return error_page(error),
    };
    let notice = if query.joined.is_some() && access == Access::Follower {
        Some(Tr.t("card-joined-notice"))
    } else {
        query.filed.is_some().then(|| Tr.t_with("card-filed-notice", &[("number", report.number.to_string().into())]))
    };
    card_page(&state, &signed, &report, access, notice, None, None).await.unwrap_or_else(error_page)
}

#[derive(Deserialize)]
pub struct JoinForm {
    csrf_token: Option<String>,
}

/// «Присоединиться» on the report form: the resident follows a possible duplicate instead of
/// filing a new report, and lands on its card.
pub async fn join(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>, Form(form): Form<JoinForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    match reports::join(&state, &signed.user, &number).await {
        Ok((report, _)) => Redirect::to(&format!("/reports/{}?joined=1", report.number)).into_response(),
        Err(error) => error_page(error),
    }
}

#[derive(Deserialize)]
pub struct TransitionForm {
    csrf_token: Option<String>,
    to: String,
    version: Option<i64>,
    comment: Option<String>,
    decision: Option<String>,
    reason: Option<String>,
    agency: Option<String>,
    duplicate_of: Option<String>,
}

pub async fn transition(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>, Form(form): Form<TransitionForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let report = match visible_report(&state, &signed.user, &number).await {
        Ok(report) => report,
        Err(error) => return error_page(error),
    };
    let Some(to) = Status::from_code(&form.to) else {
        return error_page(ApiError::bad_request("status_unknown"));
    };

    let draft = Draft::new(to.code(), form.comment.clone().unwrap_or_default(), Vec::new());
    let request = TransitionRequest {
        to,
        comment: form.comment,
        decision: form.decision.as_deref().and_then(Decision::from_code),
        reason: form.reason.as_deref().and_then(RejectionReason::from_code),
        agency: form.agency.filter(|agency| !agency.is_empty()),
        duplicate_of: match crate::api::reports::parse_original(form.duplicate_of.as_deref()) {
            Ok(number) => number,
            Err(error) => return error_page(error),
        },
    };
    match reports::change_status(&state, &signed.user, &report, request, form.version).await {
        // An executor who redirected the report to another agency no longer sees it.
        Ok(updated) if reports::can_view(&signed.user, &updated) => Redirect::to(&format!("/reports/{}", updated.number)).into_response(),
        Ok(_) => Redirect::to("/staff/queue").into_response(),
        Err(error) if error.status.is_client_error() && error.status != axum::http::StatusCode::NOT_FOUND => {
            let status = error.status;
            let mut response = card_page(&state, &signed, &report, Access::Full, None, Some(error.problem.message), Some(draft)).await.unwrap_or_else(error_page);
            *response.status_mut() = status;
            response
        }
        Err(error) => error_page(error),
    }
}

#[derive(Deserialize)]
pub struct RatingForm {
    csrf_token: Option<String>,
    score: Option<String>,
    comment: Option<String>,
}

/// `POST /reports/{number}/rating`: the author's rating from the card. A refused rating shows the
/// card again with the reason and the typed comment.
pub async fn rate(State(state): State<AppState>, PageUser(signed): PageUser, Path(number): Path<String>, Form(form): Form<RatingForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    // A missing or non-numeric score is out of range, so it gets the same message as 0 or 6.
    let score = form.score.as_deref().and_then(|score| score.parse::<i64>().ok()).unwrap_or(0);
    match reports::rate(&state, &signed.user, &number, score, form.comment.clone()).await {
        Ok(_) => Redirect::to(&format!("/reports/{number}#rating")).into_response(),
        Err(error) if error.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            let report = match visible_report(&state, &signed.user, &number).await {
                Ok(report) => report,
                Err(error) => return error_page(error),
            };
            let message = error.problem.message.clone();
            let draft = Draft::new("rating", form.comment.unwrap_or_default(), Vec::new());
            let mut page = card_page(&state, &signed, &report, Access::Full, None, Some(message), Some(draft)).await.unwrap_or_else(error_page);
            *page.status_mut() = error.status;
            page
        }
        Err(error) => error_page(error),
    }
}
