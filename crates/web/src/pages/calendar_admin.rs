//! The administrators' upload form of production calendar years, the web counterpart of
//! `pomoshnik calendar import`. Messages are in Russian; the import itself is in
//! [`crate::calendar_import`].

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pomoshnik_core::calendar::CalendarError;
use pomoshnik_core::role::Role;
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, Signed};
use crate::calendar_import::{ImportError, import_calendar, load_calendar};
use crate::error::ApiError;
use crate::i18n::{Arg, Tr};
use crate::state::AppState;

/// Calendar files are a few kilobytes; anything larger is not one.
const MAX_FILE_BYTES: usize = 1024 * 1024;

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    layout: Layout,
    t: Tr,
    years: String,
    error: Option<String>,
    notice: Option<String>,
    /// Whether the rejected upload may be sent again with the confirmation box ticked.
    needs_confirmation: bool,
}

#[derive(Deserialize)]
pub struct CalendarQuery {
    imported: Option<i32>,
}

/// `GET /admin/calendar`: the years in use and the upload form.
pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<CalendarQuery>) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    let notice = query.imported.map(|year| Tr.t_with("admin-calendar-imported", &[("year", Arg::Number(year.into()))]));
    calendar_page(&state, &signed, None, notice, false, StatusCode::OK).await
}

async fn calendar_page(state: &AppState, signed: &Signed, error: Option<String>, notice: Option<String>, needs_confirmation: bool, status: StatusCode) -> Response {
    let calendar = match load_calendar(state.store.as_ref()).await {
        Ok(calendar) => calendar,
        Err(error) => return error_page(ApiError::internal(format!("{error:#}"))),
    };
    let years = calendar.years().iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
    let layout = Layout::for_user(state, signed, Tr.t("admin-calendar-title")).await;
    let mut response = render(&CalendarPage { layout, t: Tr, years, error, notice, needs_confirmation });
    *response.status_mut() = status;
    response
}

/// Describes in Russian what is wrong in a calendar file.
fn invalid_message(error: &CalendarError) -> String {
    let text = |value: &str| Arg::Text(value.to_owned());
    match error {
        CalendarError::Xml(cause) => Tr.t_with("admin-calendar-error-xml", &[("detail", text(&cause.to_string()))]),
        CalendarError::UnexpectedRoot { found } => Tr.t_with("admin-calendar-error-root", &[("found", text(found))]),
        CalendarError::MissingYear | CalendarError::InvalidYear { .. } => Tr.t("admin-calendar-error-year"),
        CalendarError::MissingDays { .. } => Tr.t("admin-calendar-error-days"),
        CalendarError::MissingDayAttribute { line, attribute, .. } => {
            Tr.t_with("admin-calendar-error-attribute", &[("line", Arg::Number((*line).into())), ("attribute", text(attribute))])
        }
        CalendarError::InvalidDay { value, .. } => Tr.t_with("admin-calendar-error-day", &[("day", text(value))]),
        CalendarError::UnknownDayType { day, value, .. } => Tr.t_with("admin-calendar-error-type", &[("day", text(day)), ("type", text(value))]),
        CalendarError::DuplicateDay { day, .. } => Tr.t_with("admin-calendar-error-duplicate", &[("day", text(day))]),
        CalendarError::DuplicateYear { .. } => Tr.t("admin-calendar-error-year"),
    }
}

/// `POST /admin/calendar`: imports the uploaded year, as `pomoshnik calendar import` does.
pub async fn upload(State(state): State<AppState>, PageUser(signed): PageUser, mut multipart: Multipart) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    let mut csrf_token = None;
    let mut confirm = false;
    let mut document = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return error_page(ApiError::bad_request("multipart_invalid")),
        };
        match field.name().unwrap_or_default() {
            "csrf_token" => csrf_token = field.text().await.ok(),
            "confirm" => confirm = true,
            "file" => match field.bytes().await {
                Ok(bytes) if bytes.len() <= MAX_FILE_BYTES => document = Some(bytes),
                Ok(_) => return calendar_page(&state, &signed, Some(Tr.t("admin-calendar-error-size")), None, false, StatusCode::UNPROCESSABLE_ENTITY).await,
                Err(_) => return error_page(ApiError::bad_request("multipart_invalid")),
            },
            _ => {}
        }
    }
    if let Err(error) = signed.check_csrf(csrf_token.as_deref()) {
        return error_page(error);
    }
    let Some(document) = document.filter(|bytes| !bytes.is_empty()) else {
        return calendar_page(&state, &signed, Some(Tr.t("admin-calendar-error-missing")), None, false, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let Ok(document) = String::from_utf8(document.to_vec()) else {
        return calendar_page(&state, &signed, Some(Tr.t("admin-calendar-error-encoding")), None, false, StatusCode::UNPROCESSABLE_ENTITY).await;
    };

    let current = match load_calendar(state.store.as_ref()).await {
        Ok(calendar) => calendar,
        Err(error) => return error_page(ApiError::internal(format!("{error:#}"))),
    };
    match import_calendar(state.store.as_ref(), &current, &document, confirm).await {
        Ok(summary) => {
            // This node counts with the new year from the next request; the others on the
            // store's announcement.
            state.calendar.reload(state.store.as_ref()).await;
            let details = format!("year={} changed_days={} affected_reports={}", summary.year, summary.changed_dates.len(), summary.affected_reports.len());
            if let Err(error) = crate::audit::record(state.store.as_ref(), Some(signed.user.id), "calendar.import", format!("calendar:{}", summary.year), details).await {
                tracing::error!(%error, admin_id = signed.user.id, year = summary.year, "could not write the audit log entry of a calendar import");
            }
            Redirect::to(&format!("/admin/calendar?imported={}", summary.year)).into_response()
        }
        Err(ImportError::Invalid(error)) => calendar_page(&state, &signed, Some(invalid_message(&error)), None, false, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(ImportError::AffectsOpenReports { year, changed, count, reports }) => {
            let args = [("year", Arg::Number(year.into())), ("changed", Arg::Number(changed as i64)), ("count", Arg::Number(count as i64)), ("reports", Arg::Text(reports))];
            calendar_page(&state, &signed, Some(Tr.t_with("admin-calendar-error-open-reports", &args)), None, true, StatusCode::CONFLICT).await
        }
        Err(ImportError::Store(error)) => error_page(error.into()),
    }
}
