//! The resident's cabinet: «Мои обращения» and notifications.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::status::Status;
use pomoshnik_store::{DeliveryMode, Notification, NotificationFilter, ReportPage, ReportQueue};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::{NotificationView, ReportView, moscow_midnight};

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
    /// Notifications by service area, the area of the newest notification first.
    groups: Vec<NotificationGroup>,
    filter: FilterForm,
    /// Messages about filter values that could not be used.
    filter_errors: Vec<String>,
    statuses: Vec<Choice>,
    categories: Vec<Choice>,
    unread: i64,
    /// Code of the chosen e-mail mode, checked in the settings form.
    email_mode: &'static str,
    push_mode: &'static str,
    /// False for an account without an e-mail address, which gets no e-mail to set up.
    has_email: bool,
    /// The introduction of the SMS settings with the masked phone, when the person may choose
    /// SMS notifications.
    sms_intro: Option<String>,
    sms_mode: &'static str,
    /// The VAPID public key when Web Push is on.
    push_key: Option<String>,
    modes: [&'static str; 3],
    /// The channel whose settings were just saved.
    saved: Option<String>,
    marked: Option<String>,
}

/// Notifications about reports of one service area (a group of the category catalog).
struct NotificationGroup {
    name: String,
    notifications: Vec<NotificationView>,
}

/// An option of a filter's list.
struct Choice {
    code: String,
    name: String,
}

/// The filter as the resident typed it, shown again in the form.
#[derive(Deserialize, Default)]
pub struct FilterForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    unread: String,
}

#[derive(Deserialize)]
pub struct NotificationsQuery {
    /// `email` or `push` after saving that channel's settings; `1` from older links means e-mail.
    saved: Option<String>,
    /// How many notifications «Отметить все прочитанными» marked.
    marked: Option<u64>,
    #[serde(flatten)]
    filter: FilterForm,
}

/// Notifications shown on one page.
const NOTIFICATION_LIMIT: i64 = 200;

/// Reads a date typed as `2026-11-30` (what date inputs send) or `30.11.2026`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(text, "%d.%m.%Y")).ok()
}

/// Turns the typed filter into a store filter, with a message for each value that cannot be used.
/// Such a value does not filter.
fn notification_filter(user_id: i64, form: &FilterForm, catalog: &Catalog) -> (NotificationFilter, Vec<String>) {
    let mut filter = NotificationFilter::latest(user_id, NOTIFICATION_LIMIT);
    let mut errors = Vec::new();
    for (text, field, is_end) in [(&form.from, "filter-from", false), (&form.to, "filter-to", true)] {
        if text.trim().is_empty() {
            continue;
        }
        match parse_date(text) {
            // The period includes its last day.
            Some(date) if is_end => filter.until = date.succ_opt().map(moscow_midnight),
            Some(date) => filter.since = Some(moscow_midnight(date)),
            None => errors.push(Tr.t_with("filter-date-invalid", &[("field", Tr.t(field).into()), ("value", text.trim().to_owned().into())])),
        }
    }
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && since >= until
    {
        errors.push(Tr.t("filter-period-reversed"));
        filter.since = None;
        filter.until = None;
    }
    if !form.status.is_empty() {
        filter.status = Status::from_code(&form.status);
        if filter.status.is_none() {
            errors.push(Tr.t("filter-status-unknown"));
        }
    }
    if !form.category.is_empty() {
        if catalog.categories.iter().any(|category| category.code == form.category) {
            filter.category_code = Some(form.category.clone());
        } else {
            errors.push(Tr.t("filter-category-unknown"));
        }
    }
    filter.unread_only = !form.unread.is_empty();
    (filter, errors)
}

/// Groups notifications by the service area of their category, keeping the newest-first order.
fn group_by_area(notifications: &[Notification], catalog: &Catalog) -> Vec<NotificationGroup> {
    let mut groups: Vec<NotificationGroup> = Vec::new();
    for notification in notifications {
        let group = catalog.categories.iter().find(|category| category.code == notification.category_code).map(|category| &category.group);
        let area = group
            .and_then(|code| catalog.groups.iter().find(|group| &group.code == code))
            .map_or_else(|| Tr.t("notifications-other-area"), |group| group.name.clone());
        let view = NotificationView::new(notification);
        match groups.iter_mut().find(|group| group.name == area) {
            Some(group) => group.notifications.push(view),
            None => groups.push(NotificationGroup { name: area, notifications: vec![view] }),
        }
    }
    groups
}

pub async fn notifications(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<NotificationsQuery>) -> Response {
    let catalog = match state.store.catalog().await {
        Ok(catalog) => catalog,
        Err(error) => return error_page(error.into()),
    };
    let (filter, filter_errors) = notification_filter(signed.user.id, &query.filter, &catalog);
    let (notifications, unread) = match (state.store.notifications(&filter).await, state.store.unread_notifications(signed.user.id).await) {
        (Ok(notifications), Ok(unread)) => (notifications, unread),
        (Err(error), _) | (_, Err(error)) => return error_page(error.into()),
    };
    let channel_modes = match super::deliveries::channel_modes(&state, signed.user.id).await {
        Ok(modes) => modes,
        Err(error) => return error_page(error),
    };
    let sms_phone = signed.user.phone.as_deref().filter(|_| super::deliveries::sms_offered(&state, &signed.user));
    let sms_intro = sms_phone.map(|phone| Tr.t_with("sms-settings-intro", &[("phone", crate::accounts::mask_phone(phone).into())]));

    let groups = group_by_area(&notifications, &catalog);
    let statuses = Status::ALL.into_iter().map(|status| Choice { code: status.code().to_owned(), name: Tr.status(status) }).collect();
    let categories = catalog.categories.iter().map(|category| Choice { code: category.code.clone(), name: category.name.clone() }).collect();
    let marked = query.marked.map(|count| Tr.count("notifications-marked", count as i64));
    let layout = Layout::for_user(&state, &signed, Tr.t("notifications-title")).await;
    let modes = DeliveryMode::ALL.map(DeliveryMode::code);
    render(&NotificationsPage {
        layout,
        t: Tr,
        groups,
        filter: query.filter,
        filter_errors,
        statuses,
        categories,
        unread,
        email_mode: channel_modes.email.code(),
        push_mode: channel_modes.push.code(),
        has_email: !signed.user.email.is_empty(),
        sms_intro,
        sms_mode: channel_modes.sms.code(),
        push_key: state.config.push.as_ref().map(|push| push.public_key.clone()),
        modes,
        saved: query.saved.map(|channel| if channel == "push" || channel == "sms" { channel } else { "email".to_owned() }),
        marked,
    })
}

#[derive(Deserialize)]
pub struct MarkAllForm {
    csrf_token: Option<String>,
}

/// Marks all of the person's notifications read («Отметить все прочитанными»).
pub async fn mark_all_read(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<MarkAllForm>) -> Response {
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    match state.store.mark_all_notifications_read(signed.user.id, Utc::now()).await {
        Ok(count) => Redirect::to(&format!("/notifications?marked={count}")).into_response(),
        Err(error) => error_page(error.into()),
    }
}
