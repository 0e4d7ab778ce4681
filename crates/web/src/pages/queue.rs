//! The staff queue: moderators see reports waiting for moderation, executors their agency's
//! reports, administrators everything.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use pomoshnik_core::role::Role;
use pomoshnik_store::ReportPage;
use serde::Deserialize;

use super::{Layout, error_page, queue_of, render};
use crate::auth::PageUser;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::ReportView;

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    layout: Layout,
    t: Tr,
    heading: String,
    reports: Vec<ReportView>,
    next_before: Option<i64>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    before: Option<i64>,
}

pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<QueueQuery>) -> Response {
    if !signed.user.role.is_staff() {
        return error_page(ApiError::not_found());
    }
    let page = ReportPage { queue: queue_of(&signed.user), before_id: query.before, limit: PAGE_SIZE };
    let (reports, catalog) = match (state.store.reports(&page).await, state.store.catalog().await) {
        (Ok(reports), Ok(catalog)) => (reports, catalog),
        (Err(error), _) | (_, Err(error)) => return error_page(error.into()),
    };

    let heading = match signed.user.role {
        Role::Executor => {
            let agency = signed.user.agency.as_deref().and_then(|code| catalog.agency(code)).map(|agency| agency.name.clone()).unwrap_or_default();
            Tr.t_with("queue-agency-heading", &[("agency", agency.into())])
        }
        Role::Moderator => Tr.t("queue-moderation-heading"),
        _ => Tr.t("queue-all-heading"),
    };
    let next_before = if reports.len() as i64 == PAGE_SIZE { reports.last().map(|report| report.id) } else { None };
    let reports = reports.iter().map(|report| ReportView::summary(&state, report, &catalog)).collect();
    let layout = Layout::for_user(&state, &signed, Tr.t("queue-title")).await;
    render(&QueuePage { layout, t: Tr, heading, reports, next_before })
}
