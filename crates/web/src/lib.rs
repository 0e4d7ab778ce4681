//! The HTTP interface of Pomoshnik: server-rendered pages in Russian, the JSON API under
//! `/api/v1` and the operational endpoints. Handlers stay thin: rules are in `pomoshnik_core`,
//! storage in `pomoshnik_store` and `pomoshnik_media`.

pub mod accounts;
mod api;
pub mod audit;
pub mod calendar_import;
mod auth;
mod dashboard;
mod district_map;
pub mod error;
mod evidence;
mod files;
mod heavy;
mod map_index;
pub mod i18n;
pub mod limits;
pub mod mail;
mod answer;
mod metrics;
pub mod oidc;
pub mod open311;
mod pages;
pub mod push;
mod recovery;
pub mod sms;
mod reports;
mod state;
pub mod two_factor;
mod upload;
mod views;
pub mod webhook;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pomoshnik_media::{MAX_FILE_BYTES, MAX_FILES_PER_SUBMISSION};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::DeadlineBody;
use tower_http::trace::TraceLayer;

pub use auth::{hash_password, normalize_email, MIN_PASSWORD_CHARS};
pub use map_index::MapIndex;
pub use state::{AppState, WebConfig};
pub use upload::remove_unused_content;

/// Largest request body: five files of the largest kind plus the form.
const MAX_BODY_BYTES: usize = (MAX_FILE_BYTES as usize) * MAX_FILES_PER_SUBMISSION + 1024 * 1024;

/// Limits on how long reading a request body may take, so that a client that stalls in the
/// middle of an upload does not keep a connection and a temporary file forever. A body that
/// exceeds either is cut off, and the handler responds as to a malformed body (400).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeouts {
    /// Maximum wait for the next chunk of the body.
    pub idle: Duration,
    /// Maximum time for the whole body, however steadily it arrives.
    pub total: Duration,
}

impl Default for BodyTimeouts {
    /// 30 seconds without data, and 30 minutes in all: the largest request (five 50 MiB files)
    /// then needs about 140 KiB/s, and a single 50 MiB video about 30 KiB/s.
    fn default() -> BodyTimeouts {
        BodyTimeouts { idle: Duration::from_secs(30), total: Duration::from_secs(30 * 60) }
    }
}

pub fn router(state: AppState) -> Router {
    router_with_body_timeouts(state, BodyTimeouts::default())
}

/// Builds the router with other body timeouts than the default, for tests of slow clients.
pub fn router_with_body_timeouts(state: AppState, timeouts: BodyTimeouts) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    metrics::install();

    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .nest("/open311/v2", open311::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics::render))
        .layer(middleware::from_fn(reject_cross_site_writes))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_request(move |request: Request| async move { request.map(|body| limit_body_time(body, timeouts)) }))
        .layer(middleware::from_fn(metrics::record_request))
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

/// Wraps a request body so that reading it fails once the client sends nothing for
/// `timeouts.idle` or the whole body takes longer than `timeouts.total`.
fn limit_body_time(body: Body, timeouts: BodyTimeouts) -> Body {
    use futures_util::StreamExt;

    // The idle clock runs only while the handler waits for the client: data that arrived while
    // the handler was busy (writing a file, say) is returned however late the handler polls for it.
    // `tower_http::timeout::TimeoutBody` checks its clock before the data and would fail then.
    let chunks = futures_util::stream::unfold(Some(body.into_data_stream()), move |state| async move {
        let mut data = state?;
        match tokio::time::timeout(timeouts.idle, data.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(data))),
            Ok(None) => None,
            Err(_) => {
                let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no request body data for {:?}", timeouts.idle));
                Some((Err(axum::Error::new(timed_out)), None))
            }
        }
    });
    Body::new(DeadlineBody::new(timeouts.total, Body::from_stream(chunks)))
}

/// Ready when the database answers and the file storage accepts new files.
async fn ready(State(state): State<AppState>) -> Response {
    if let Err(error) = state.store.ping().await {
        tracing::warn!(%error, "readiness check failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
    }
    if let Err(error) = state.files.probe().await {
        tracing::warn!(%error, storage = %state.files.location(), "readiness check failed: file storage is not writable");
        return (StatusCode::SERVICE_UNAVAILABLE, "file storage not writable").into_response();
    }
    "ok".into_response()
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
