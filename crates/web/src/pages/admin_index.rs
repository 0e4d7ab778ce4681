//! `GET /admin`: the administrators' starting page, one link to each administration section, so
//! that the header needs a single «Администрирование» entry.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use pomoshnik_core::role::Role;

use super::{Layout, error_page, render};
use crate::auth::PageUser;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

/// The sections as (path, title message, description message), in the order shown.
const SECTIONS: &[(&str, &str, &str)] = &[
    ("/admin/dashboard", "dashboard-title", "admin-index-dashboard"),
    ("/admin/staff", "admin-staff-title", "admin-index-staff"),
    ("/admin/catalog", "admin-catalog-title", "admin-index-catalog"),
    ("/admin/catalog/agencies", "agencies-title", "admin-index-agencies"),
    ("/admin/catalog/routing", "agencies-routing-title", "admin-index-routing"),
    ("/admin/calendar", "admin-calendar-title", "admin-index-calendar"),
    ("/admin/api-keys", "apikeys-title", "admin-index-api-keys"),
    ("/admin/deliveries", "failed-deliveries-title", "admin-index-deliveries"),
    ("/admin/webhooks", "apikeys-webhooks-title", "admin-index-webhooks"),
    ("/admin/audit", "accounts-audit-title", "admin-index-audit"),
    ("/staff/recovery", "recovery-queue-title", "admin-index-recovery"),
];

struct Section {
    path: &'static str,
    title: String,
    description: String,
}

#[derive(Template)]
#[template(path = "admin_index.html")]
struct IndexPage {
    layout: Layout,
    t: Tr,
    sections: Vec<Section>,
}

pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    let sections = SECTIONS.iter().map(|(path, title, description)| Section { path, title: Tr.t(title), description: Tr.t(description) }).collect();
    let layout = Layout::for_user(&state, &signed, Tr.t("admin-index-title")).await;
    render(&IndexPage { layout, t: Tr, sections })
}
