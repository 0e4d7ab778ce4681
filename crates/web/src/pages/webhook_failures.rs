//! The administrators' list of webhook deliveries whose attempts ran out, with buttons that put
//! them back in the queue, as `/admin/deliveries` does for e-mail.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use pomoshnik_core::role::Role;

use super::deliveries::{RetryForm, retry_failed};
use super::{Layout, error_page, render};
use crate::auth::PageUser;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::moscow_time;

/// Failed deliveries listed on one page.
const FAILED_LIMIT: i64 = 200;

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct FailedWebhooksPage {
    layout: Layout,
    t: Tr,
    deliveries: Vec<FailedWebhookView>,
}

struct FailedWebhookView {
    id: i64,
    destination: String,
    report_number: String,
    attempts: i64,
    last_error: String,
    created_text: String,
}

/// `GET /admin/webhooks`: webhook deliveries that failed for good, for administrators.
pub async fn failed(State(state): State<AppState>, PageUser(signed): PageUser) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    let deliveries = match state.store.failed_webhook_deliveries(FAILED_LIMIT).await {
        Ok(deliveries) => deliveries,
        Err(error) => return error_page(error.into()),
    };
    let deliveries = deliveries
        .into_iter()
        .map(|delivery| FailedWebhookView {
            id: delivery.id,
            destination: delivery.destination,
            report_number: delivery.report_number.to_string(),
            attempts: delivery.attempts,
            last_error: delivery.last_error,
            created_text: moscow_time(delivery.created_at),
        })
        .collect();
    let layout = Layout::for_user(&state, &signed, Tr.t("apikeys-webhooks-title")).await;
    render(&FailedWebhooksPage { layout, t: Tr, deliveries })
}

/// `POST /admin/webhooks/retry`: puts one failed webhook delivery, or all listed, back in the queue.
pub async fn retry(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<RetryForm>) -> Response {
    let store = state.store.as_ref();
    let listed = || async { Ok(store.failed_webhook_deliveries(FAILED_LIMIT).await?.iter().map(|delivery| delivery.id).collect()) };
    let retry = |ids: Vec<i64>| async move { store.retry_failed_webhook_deliveries(&ids, Utc::now()).await };
    retry_failed(&signed, form, "webhooks", listed, retry, "/admin/webhooks").await
}
