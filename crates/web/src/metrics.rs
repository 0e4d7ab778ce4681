//! Prometheus metrics, served as text at `/metrics` by the service's own router. The recorder is
//! process-global (the `metrics` facade allows one), so it is installed once and shared by every
//! router built in the process, as happens when tests start several servers.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "pomoshnik_http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "pomoshnik_http_request_duration_seconds";
pub const REPORTS_CREATED: &str = "pomoshnik_reports_created_total";
pub const STATUS_CHANGES: &str = "pomoshnik_status_changes_total";
pub const UPLOAD_BYTES: &str = "pomoshnik_upload_bytes_total";
pub const UPLOADS_REJECTED: &str = "pomoshnik_uploads_rejected_total";

/// Upper bounds of the latency histogram buckets, in seconds: from a cached page to a
/// multi-minute upload of large videos.
const DURATION_BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// How often histogram samples are folded into the buckets between scrapes, which bounds the
/// memory they take.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The `route` label of requests that matched no route, so that probes of random paths do not
/// create a time series each.
const UNMATCHED_ROUTE: &str = "unmatched";

/// Installs the global recorder on first use and returns its handle.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_REQUEST_DURATION.to_owned()), &DURATION_BUCKETS)
            .expect("the duration bucket list is not empty");
        let handle = match builder.install_recorder() {
            Ok(handle) => handle,
            Err(error) => {
                // Another recorder is already installed in this process; `/metrics` then shows
                // nothing, and the service keeps working.
                tracing::error!(%error, "could not install the Prometheus recorder");
                PrometheusBuilder::new().build_recorder().handle()
            }
        };
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                upkeep.run_upkeep();
            }
        });
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not start the metrics upkeep thread; histograms are drained only when scraped");
        }
        handle
    })
}

/// Installs the recorder, so that counters recorded before the first scrape are kept.
pub fn install() {
    handle();
}

/// `GET /metrics`: every metric in the Prometheus text exposition format 0.0.4.
pub async fn render() -> Response {
    let text = handle().render();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// Counts each request and measures the time until its response headers are ready, labelled by
/// method, route template (such as `/reports/{number}`) and status.
pub async fn record_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned()).unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());

    let response = next.run(request).await;

    let labels = [("method", method), ("route", route), ("status", response.status().as_u16().to_string())];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

pub fn report_created() {
    metrics::counter!(REPORTS_CREATED).increment(1);
}

/// `to` is the status code the report moved to, such as `dispatched`.
pub fn status_changed(to: &'static str) {
    metrics::counter!(STATUS_CHANGES, "to" => to).increment(1);
}

/// Bytes of an upload that was accepted and stored.
pub fn upload_accepted(bytes: u64) {
    metrics::counter!(UPLOAD_BYTES).increment(bytes);
}

/// `code` is the error code returned to the client, such as `file_type_not_allowed`.
pub fn upload_rejected(code: &str) {
    metrics::counter!(UPLOADS_REJECTED, "code" => code.to_owned()).increment(1);
}
