//! Server-rendered pages in Russian. Every core flow works without JavaScript: plain forms, full
//! page loads, redirects after each successful POST.

mod account;
mod admin_index;
mod agencies_admin;
mod answer;
mod api_keys;
mod audit_log;
mod cabinet;
mod calendar_admin;
mod card;
mod catalog_admin;
mod dashboard;
mod deliveries;
mod dialogue;
mod filing;
mod live;
mod public_map;
mod queue;
mod recovery;
mod recovery_review;
mod register;
mod routing_admin;
mod sign_in;
mod staff;
mod support;
mod two_factor;
mod vendor;
mod webhook_failures;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use pomoshnik_core::role::Role;
use pomoshnik_store::{ReportQueue, User};

use crate::auth::Signed;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../static/style.css");
const FORM_SCRIPT: &str = include_str!("../../static/form.js");
const CATEGORIES_SCRIPT: &str = include_str!("../../static/categories.js");
const LIVE_SCRIPT: &str = include_str!("../../static/live.js");
const PUSH_SCRIPT: &str = include_str!("../../static/push.js");
const SERVICE_WORKER: &str = include_str!("../../static/sw.js");
const PUBLIC_MAP_SCRIPT: &str = include_str!("../../static/public_map.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(account::home))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/account", get(sign_in::account))
        .route("/register", get(register::form).post(register::submit))
        .route("/account/confirm", get(register::confirm_form).post(register::confirm))
        .route("/account/confirm/resend", post(register::resend))
        .route("/password/reset", get(register::reset_request_form).post(register::reset_request))
        .route("/password/reset/code", get(register::reset_form).post(register::reset))
        .route("/account/sessions/end", post(register::end_all_sessions))
        .route("/password/recovery", get(recovery::request_form).post(recovery::submit))
        .route("/password/recovery/sent", get(recovery::sent))
        .route("/password/change", get(recovery::change_form).post(recovery::change))
        .route("/staff/recovery", get(recovery_review::queue))
        .route("/staff/recovery/{id}", get(recovery_review::show))
        .route("/staff/recovery/{id}/scan", get(recovery_review::scan))
        .route("/staff/recovery/{id}/approve", post(recovery_review::approve))
        .route("/staff/recovery/{id}/refuse", post(recovery_review::refuse))
        .route("/login/2fa", get(two_factor::second_factor_form).post(two_factor::second_factor))
        .route("/account/2fa", get(two_factor::settings))
        .route("/account/2fa/enable", post(two_factor::enable))
        .route("/account/2fa/disable", post(two_factor::disable))
        .route("/auth/{provider}/login", get(sign_in::start_sign_in))
        .route("/auth/{provider}/link", post(sign_in::start_link))
        .route("/auth/{provider}/callback", get(sign_in::callback))
        .route("/reports/new", get(filing::categories))
        .route("/reports/new/{category}", get(filing::form).post(filing::submit))
        .route("/my/reports", get(cabinet::my_reports))
        .route("/notifications", get(cabinet::notifications))
        .route("/notifications/settings", post(deliveries::save_mode))
        .route("/notifications/read", post(cabinet::mark_all_read))
        .route("/unsubscribe/{token}", get(deliveries::confirm_unsubscribe).post(deliveries::unsubscribe))
        .route("/admin", get(admin_index::show))
        .route("/admin/deliveries", get(deliveries::failed))
        .route("/admin/audit", get(audit_log::show))
        .route("/admin/dashboard", get(dashboard::show))
        .route("/admin/deliveries/retry", post(deliveries::retry))
        .route("/admin/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/admin/api-keys/{name}/revoke", post(api_keys::revoke))
        .route("/admin/webhooks", get(webhook_failures::failed))
        .route("/admin/webhooks/retry", post(webhook_failures::retry))
        .route("/admin/staff", get(staff::list).post(staff::create))
        .route("/admin/catalog", get(catalog_admin::list))
        .route("/admin/calendar", get(calendar_admin::show).post(calendar_admin::upload))
        .route("/admin/catalog/categories", post(catalog_admin::save))
        .route("/admin/catalog/categories/{code}", get(catalog_admin::edit))
        .route("/admin/catalog/agencies", get(agencies_admin::list).post(agencies_admin::save))
        .route("/admin/catalog/agencies/{code}", get(agencies_admin::edit))
        .route("/admin/catalog/routing", get(routing_admin::show).post(routing_admin::add))
        .route("/admin/catalog/routing/remove", post(routing_admin::remove))
        .route("/admin/staff/{id}", post(staff::update))
        .route("/admin/staff/{id}/disabled", post(staff::set_disabled))
        .route("/reports/{number}", get(card::show))
        .route("/reports/{number}/transitions", post(card::transition))
        .route("/reports/{number}/answer.pdf", get(answer::download))
        .route("/reports/{number}/rating", post(card::rate))
        .route("/reports/{number}/messages", post(dialogue::post_message))
        .route("/reports/{number}/question", post(dialogue::ask_question))
        .route("/reports/{number}/reopen", post(dialogue::reopen))
        .route("/reports/{number}/followers", post(card::join))
        .route("/reports/{number}/thumbnail", get(crate::files::duplicate_thumbnail_for_page))
        .route("/reports/{number}/files/{file_id}", get(crate::files::download_for_page))
        .route("/reports/{number}/files/{file_id}/{variant}", get(crate::files::derived_for_page))
        .route("/staff/queue", get(queue::show))
        .route("/static/style.css", get(|| async { ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLESHEET) }))
        .route("/static/form.js", get(|| async { ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], FORM_SCRIPT) }))
        .route("/static/vendor/leaflet/{*file}", get(vendor::leaflet))
        .route("/map", get(public_map::show))
        .route("/live", get(live::stream))
        .route("/help", get(support::show))
        .route("/help/tickets", post(support::create))
        .route("/staff/tickets", get(support::queue))
        .route("/staff/tickets/{id}/close", post(support::close))
        .route("/static/live.js", get(|| async { ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], LIVE_SCRIPT) }))
        .route("/static/push.js", get(|| async { ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], PUSH_SCRIPT) }))
        .route("/sw.js", get(|| async { ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], SERVICE_WORKER) }))
        .route("/push/subscriptions", post(crate::push::subscribe))
        .route("/push/subscriptions/delete", post(crate::push::unsubscribe))
        .route("/static/public_map.js", get(|| async { ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], PUBLIC_MAP_SCRIPT) }))
        .route("/static/categories.js", get(|| async { ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], CATEGORIES_SCRIPT) }))
        .fallback(|| async { error_page(ApiError::not_found()) })
}

/// Which reports a person's list shows.
pub fn queue_of(user: &User) -> ReportQueue {
    match user.role {
        Role::Resident => ReportQueue::Author(user.id),
        Role::Moderator => ReportQueue::Moderation,
        Role::Executor => match &user.district {
            Some(district) => ReportQueue::AgencyDistrict { agency: user.agency.clone().unwrap_or_default(), district: district.clone() },
            None => ReportQueue::Agency(user.agency.clone().unwrap_or_default()),
        },
        Role::Admin => ReportQueue::All,
    }
}

/// Maximum length of a staff search query, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Builds the staff search for `query` within what the user may find: executors their agency's
/// reports (and their district's, when bound to one), moderators and administrators all. Returns
/// None for residents and for a blank query.
pub fn search_of(user: &User, query: &str, before_id: Option<i64>, limit: i64) -> Option<pomoshnik_store::ReportSearch> {
    let query = pomoshnik_core::report_search::normalise_query(query)?;
    let (agency, district) = match user.role {
        Role::Resident => return None,
        Role::Executor => (Some(user.agency.clone().unwrap_or_default()), user.district.clone()),
        Role::Moderator | Role::Admin => (None, None),
    };
    Some(pomoshnik_store::ReportSearch { query, agency, district, before_id, limit })
}

/// The header of every page: who is signed in and what they can open.
pub struct Layout {
    pub title: String,
    pub signed_in: bool,
    pub is_resident: bool,
    pub is_staff: bool,
    /// Moderators and administrators answer the support questions.
    pub handles_support: bool,
    pub is_admin: bool,
    /// Administrators and agency supervisors read the dashboard.
    pub shows_dashboard: bool,
    pub unread: i64,
    pub csrf_token: String,
}

impl Layout {
    pub fn anonymous(title: String) -> Layout {
        Layout { title, signed_in: false, is_resident: false, is_staff: false, handles_support: false, is_admin: false, shows_dashboard: false, unread: 0, csrf_token: String::new() }
    }

    pub async fn for_user(state: &AppState, signed: &Signed, title: String) -> Layout {
        let unread = state.store.unread_notifications(signed.user.id).await.unwrap_or(0);
        Layout {
            title,
            signed_in: true,
            is_resident: signed.user.role == Role::Resident,
            is_staff: signed.user.role.is_staff(),
            handles_support: matches!(signed.user.role, Role::Moderator | Role::Admin),
            is_admin: signed.user.role == Role::Admin,
            shows_dashboard: crate::dashboard::access_of(&signed.user).is_ok(),
            unread,
            csrf_token: signed.session.csrf_token.clone(),
        }
    }
}

pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "page rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Tr.error("internal", &[])).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    t: Tr,
    message: String,
}

/// A page for a failed request, with the status of the error.
pub fn error_page(error: ApiError) -> Response {
    let page = ErrorPage { layout: Layout::anonymous(Tr.t("error-title")), t: Tr, message: error.problem.message.clone() };
    let mut response = render(&page);
    *response.status_mut() = error.status;
    with_retry_after(response, &error)
}

/// Adds the `Retry-After` header of a rate-limited request to a page.
pub fn with_retry_after(mut response: Response, error: &ApiError) -> Response {
    if let Some(seconds) = error.retry_after {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
    }
    response
}
