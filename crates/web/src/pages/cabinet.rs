//! The resident's cabinet: «Мои обращения» and notifications.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use pomoshnik_store::{DeliveryMode, ReportPage, ReportQueue};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::{NotificationView, ReportView};

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "my_reports.html")]
struct MyReportsPage {
    layout: Layout,
    t: Tr,
    reports: Vec<ReportView>,
    next_before: Option<i64>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<i64>,
}

pub async fn my_reports(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<PageQuery>) -> Response {
    let page = ReportPage { queue: ReportQueue::Author(signed.user.id), before_id: query.before, limit: PAGE_SIZE };
    let (reports, catalog) = match (state.store.reports(&page).await, state.store.catalog().await) {
        (Ok(reports), Ok(catalog)) => (reports, catalog),
        (Err(error), _) | (_, Err(error)) => return error_page(error.into()),
    };

    let next_before = if reports.len() as i64 == PAGE_SIZE { reports.last().map(|report| report.id) } else { None };
    let reports = reports.iter().map(|report| crate::api::reports::list_view(&state, &signed.user, report, &catalog)).collect();
    let layout = Layout::for_user(&state, &signed, Tr.t("my-reports-title")).await;
    render(&MyReportsPage { layout, t: Tr, reports, next_before })
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    t: Tr,
    notifications: Vec<NotificationView>,
    /// Code of the chosen e-mail mode, checked in the settings form.
    email_mode: &'static str,
    modes: [&'static str; 3],
    saved: bool,
}

#[derive(Deserialize)]
pub struct NotificationsQuery {
    saved: Option<u8>,
}

pub async fn notifications(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<NotificationsQuery>) -> Response {
    let notifications = match state.store.notifications(signed.user.id, 100).await {
        Ok(notifications) => notifications,
        Err(error) => return error_page(error.into()),
    };
    let email_mode = match super::deliveries::email_mode(&state, signed.user.id).await {
        Ok(mode) => mode.code(),
        Err(error) => return error_page(error),
    };
    let notifications = notifications.iter().map(NotificationView::new).collect();
    let layout = Layout::for_user(&state, &signed, Tr.t("notifications-title")).await;
    let modes = DeliveryMode::ALL.map(DeliveryMode::code);
    render(&NotificationsPage { layout, t: Tr, notifications, email_mode, modes, saved: query.saved.is_some() })
}
