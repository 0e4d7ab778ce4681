//! Live updates of open pages over server-sent events: the unread count in the header on every
//! page, and the status of the report on its card. The stream polls the store, so it works the
//! same on every node of a scaled-out installation.

use std::collections::VecDeque;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use pomoshnik_store::User;
use serde::Deserialize;
use serde_json::json;

use super::error_page;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::reports::readable_report;
use crate::state::AppState;

/// Interval between two store reads for one open page.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Deserialize)]
pub struct LiveQuery {
    /// Number of the report whose card is open.
    report: Option<String>,
    /// Version of the report the card shows; a newer one is sent at once.
    version: Option<i64>,
}

/// State of one open page: the values already sent to it and the events waiting to be sent.
struct Watch {
    state: AppState,
    user: User,
    report: Option<String>,
    version: Option<i64>,
    unread: Option<i64>,
    pending: VecDeque<Event>,
    started: bool,
}

/// `GET /live`: an endless `text/event-stream` with `unread` events (`{"count", "label"}`) and,
/// with `?report=NUMBER&version=N`, `report` events (`{"version", "status", "status_name",
/// "message"}`) when that report changes.
pub async fn stream(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<LiveQuery>) -> Response {
    if let Some(number) = &query.report {
        if let Err(error) = readable_report(&state, &signed.user, number).await {
            return error_page(error);
        }
    }
    let stopping = state.stopping.clone().cancelled_owned();
    let watch = Watch { state, user: signed.user, report: query.report, version: query.version, unread: None, pending: VecDeque::new(), started: false };
    let events = futures_util::stream::unfold(watch, |mut watch| async move {
        loop {
            if let Some(event) = watch.pending.pop_front() {
                return Some((Ok::<_, std::convert::Infallible>(event), watch));
            }
            if watch.started {
                tokio::time::sleep(POLL_INTERVAL).await;
            }
            watch.started = true;
            watch.poll().await;
        }
    });
    // The stream ends when the server starts shutting down, so it does not hold the shutdown.
    let events = events.take_until(stopping);
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

impl Watch {
    /// Queues an event for each change since the last read. A failed read is logged and
    /// repeated at the next interval.
    async fn poll(&mut self) {
        match self.state.store.unread_notifications(self.user.id).await {
            Ok(count) if Some(count) != self.unread => {
                self.unread = Some(count);
                let data = json!({ "count": count, "label": Tr.count("unread-count", count) });
                self.pending.push_back(Event::default().event("unread").data(data.to_string()));
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, user_id = self.user.id, "live update could not count unread notifications"),
        }

        let Some(number) = &self.report else { return };
        // Followers see the status too, so the read allows them.
        match readable_report(&self.state, &self.user, number).await {
            Ok((report, _)) if Some(report.version) != self.version => {
                // The first read only records the version, unless the page showed an older one.
                let changed = self.version.is_some();
                self.version = Some(report.version);
                if changed {
                    let status_name = Tr.status(report.status);
                    let data = json!({
                        "version": report.version,
                        "status": report.status.code(),
                        "status_name": status_name,
                        "message": Tr.t_with("live-status-changed", &[("status", status_name.as_str().into())]),
                    });
                    self.pending.push_back(Event::default().event("report").data(data.to_string()));
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, user_id = self.user.id, "live update could not read the watched report"),
        }
    }
}
