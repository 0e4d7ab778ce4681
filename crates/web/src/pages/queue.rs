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
    /// The search query as typed, shown again in the search box; empty without a search.
    query: String,
    /// Reason the query was not run, such as a query that is too long.
    search_error: Option<String>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    before: Option<i64>,
    /// Staff search over number, description, address and plate.
    q: Option<String>,
}

pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<QueueQuery>) -> Response {
    if !signed.user.role.is_staff() {
        return error_page(ApiError::not_found());
    }
    let typed = query.q.unwrap_or_default();
    let too_long = typed.chars().count() > super::MAX_SEARCH_CHARS;
    let search_error = too_long.then(|| Tr.t_with("search-query-too-long", &[("max", (super::MAX_SEARCH_CHARS as i64).into())]));
    let search = if too_long { None } else { super::search_of(&signed.user, &typed, query.before, PAGE_SIZE) };
    let found = match &search {
        Some(search) => state.store.search_reports(search).await,
        None => state.store.reports(&ReportPage { queue: queue_of(&signed.user), before_id: query.before, limit: PAGE_SIZE }).await,
    };
    let (reports, catalog) = match (found, state.store.catalog().await) {
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
    let heading = if search.is_some() { Tr.t_with("search-results-heading", &[("query", typed.trim().to_owned().into())]) } else { heading };
    let next_before = if reports.len() as i64 == PAGE_SIZE { reports.last().map(|report| report.id) } else { None };
    let reports = reports.iter().map(|report| ReportView::summary(&state, report, &catalog)).collect();
    let layout = Layout::for_user(&state, &signed, Tr.t("queue-title")).await;
    render(&QueuePage { layout, t: Tr, heading, reports, next_before, query: typed, search_error })
}
