//! `GET /admin/audit`: the audit log for administrators, newest first, filtered by the start of
//! the action code and by the person who acted, in pages of [`PAGE_SIZE`].

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use pomoshnik_core::role::Role;
use pomoshnik_store::AuditFilter;
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, urlencode};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::moscow_time;

pub const PAGE_SIZE: i64 = 50;

struct EntryView {
    id: i64,
    at_text: String,
    actor: String,
    action: String,
    object: String,
    details: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    layout: Layout,
    t: Tr,
    action: String,
    person: String,
    error: Option<String>,
    entries: Vec<EntryView>,
    /// Link to the next (older) page, when there may be one.
    next_page: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    /// The person's user id, as `42` or `user:42`.
    #[serde(default)]
    person: String,
    before: Option<i64>,
}

pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<AuditQuery>) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    let action = query.action.trim().to_owned();
    let person = query.person.trim().to_owned();
    let layout = Layout::for_user(&state, &signed, Tr.t("accounts-audit-title")).await;

    let actor_id = match person.trim_start_matches("user:") {
        "" => None,
        digits => match digits.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let page = AuditPage { layout, t: Tr, action, person, error: Some(Tr.t("accounts-audit-person-invalid")), entries: Vec::new(), next_page: None };
                let mut response = render(&page);
                *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
                return response;
            }
        },
    };
    let filter = AuditFilter { actor_id, action_prefix: (!action.is_empty()).then(|| action.clone()), before_id: query.before, limit: PAGE_SIZE };
    let entries = match state.store.audit_entries(&filter).await {
        Ok(entries) => entries,
        Err(error) => return error_page(error.into()),
    };
    let next_page = (entries.len() as i64 == PAGE_SIZE).then(|| {
        let oldest = entries.last().map(|entry| entry.id).unwrap_or_default();
        format!("/admin/audit?action={}&person={}&before={oldest}", urlencode(&action), urlencode(&person))
    });
    let entries = entries
        .into_iter()
        .map(|entry| EntryView {
            id: entry.id,
            at_text: moscow_time(entry.at),
            actor: entry.actor_id.map(|id| format!("user:{id}")).unwrap_or_else(|| "—".to_owned()),
            action: entry.action,
            object: entry.object,
            details: entry.details,
        })
        .collect();
    render(&AuditPage { layout, t: Tr, action, person, error: None, entries, next_page })
}
