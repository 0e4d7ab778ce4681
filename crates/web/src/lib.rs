//! The HTTP interface of Pomoshnik: server-rendered pages in Russian, the JSON API under
//! `/api/v1` and the operational endpoints. Handlers stay thin: rules are in `pomoshnik_core`,
//! storage in `pomoshnik_store` and `pomoshnik_media`.

mod api;
mod auth;
pub mod error;
mod files;
pub mod i18n;
mod pages;
mod reports;
mod state;
mod upload;
mod views;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pomoshnik_media::{MAX_FILE_BYTES, MAX_FILES_PER_SUBMISSION};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use auth::{hash_password, normalize_email, MIN_PASSWORD_CHARS};
pub use state::{AppState, WebConfig};
pub use upload::remove_unused_content;

/// Largest request body: five files of the largest kind plus the form.
const MAX_BODY_BYTES: usize = (MAX_FILE_BYTES as usize) * MAX_FILES_PER_SUBMISSION + 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");

    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .layer(middleware::from_fn(reject_cross_site_writes))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(axum::http::header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(axum::http::header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.headers().get("x-request-id").and_then(|value| value.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request.id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Ready when the database answers.
async fn ready(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ok".into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Refuses state-changing requests that a browser sends from another site with the resident's
/// cookie. Bearer-token requests carry no ambient credential and pass. Forms additionally carry
/// a per-session token checked by each handler.
async fn reject_cross_site_writes(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || request.headers().contains_key(AUTHORIZATION) {
        return next.run(request).await;
    }

    let headers = request.headers();
    let cross_site = headers.get("sec-fetch-site").is_some_and(|value| value.as_bytes() == b"cross-site");
    let foreign_origin = match (headers.get(ORIGIN).and_then(|v| v.to_str().ok()), headers.get(HOST).and_then(|v| v.to_str().ok())) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, authority)| authority) != Some(host),
        _ => false,
    };
    if cross_site || foreign_origin {
        tracing::info!("cross-site write rejected");
        return error::ApiError::forbidden().with_code("csrf_failed").into_response();
    }
    next.run(request).await
}
