//! Live updates of open pages over server-sent events: the unread count in the header on every
//! page, and the status of the report on its card. A stream reads the store again when the store
//! announces a change concerning it ([`pomoshnik_store::Store::subscribe_changes`]), which on
//! PostgreSQL arrives from whichever node committed it.

use std::collections::VecDeque;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use pomoshnik_store::{Change, User};
use tokio::sync::broadcast::error::RecvError;
use serde::Deserialize;
use serde_json::json;

use super::error_page;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::reports::readable_report;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LiveQuery {
    /// Number of the report whose card is open.
    report: Option<String>,
    /// Version of the report the card shows; a newer one is sent at once.
    version: Option<i64>,
    /// Number of dialogue messages the card shows; a `message` event follows at once when there
    /// are more.
    messages: Option<usize>,
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
    /// Id of the watched report, known after the first read.
    report_id: Option<i64>,
    /// Number of messages in the watched report's dialogue at the last read, for those who take part.
    messages: Option<usize>,
    changes: tokio::sync::broadcast::Receiver<Change>,
    /// Cancelled when the server starts shutting down.
    stopping: tokio_util::sync::CancellationToken,
}

/// `GET /live`: an endless `text/event-stream` with `unread` events (`{"count", "label"}`) and,
/// with `?report=NUMBER&version=N`, `report` events (`{"version", "status", "status_name",
/// "message"}`) when that report changes, and `message` events (`{"count", "message"}`) when its
/// dialogue gets a message (with `&messages=N`, the count the card shows).
pub async fn stream(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<LiveQuery>) -> Response {
    if let Some(number) = &query.report {
        if let Err(error) = readable_report(&state, &signed.user, number).await {
            return error_page(error);
        }
    }
    let stopping = state.stopping.clone();
    // Subscribed before the first read, so that no change committed after it is missed.
    let changes = state.store.subscribe_changes();
    let watch = Watch {
        state,
        user: signed.user,
        report: query.report,
        version: query.version,
        unread: None,
        pending: VecDeque::new(),
        started: false,
        report_id: None,
        messages: query.messages,
        changes,
        stopping,
    };
    let events = futures_util::stream::unfold(watch, |mut watch| async move {
        loop {
            if let Some(event) = watch.pending.pop_front() {
                return Some((Ok::<_, std::convert::Infallible>(event), watch));
            }
            // Once the server starts shutting down, the stream ends after the events already
            // read, so it neither delays the shutdown nor loses the first state of the page.
            if watch.started {
                let stopping = watch.stopping.clone();
                let changed = tokio::select! {
                    changed = watch.wait_for_change() => changed,
                    () = stopping.cancelled() => false,
                };
                if !changed {
                    return None;
                }
            }
            watch.started = true;
            watch.poll().await;
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

impl Watch {
    /// Waits for a change of the user's notifications or the watched report, or for a sign that
    /// changes were missed. Returns false when the store stops announcing changes.
    async fn wait_for_change(&mut self) -> bool {
        loop {
            match self.changes.recv().await {
                Ok(Change::Notifications(user_id)) if user_id == self.user.id => return true,
                Ok(Change::Report(id)) if self.report.is_some() && self.report_id.is_none_or(|watched| watched == id) => return true,
                Ok(Change::Missed) | Err(RecvError::Lagged(_)) => return true,
                Ok(_) => {}
                Err(RecvError::Closed) => return false,
            }
        }
    }

    /// Queues an event for each change since the last read. A failed read is logged and
    /// repeated at the next change.
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
                self.report_id = Some(report.id);
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
            Ok((report, _)) => self.report_id = Some(report.id),
            Err(error) => tracing::warn!(?error, user_id = self.user.id, "live update could not read the watched report"),
        }
        self.poll_messages().await;
    }

    /// Queues a `message` event (`{"count", "message"}`) when the dialogue of the watched report
    /// got a message since the last read. Followers, who may not read the dialogue, get none.
    async fn poll_messages(&mut self) {
        let Some(report_id) = self.report_id else { return };
        let report = match self.state.store.report_by_id(report_id).await {
            Ok(Some(report)) if super::dialogue::may_take_part(&self.user, &report) => report,
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(%error, user_id = self.user.id, "live update could not read the watched report");
                return;
            }
        };
        match self.state.store.report_messages(report.id).await {
            Ok(messages) => {
                let count = messages.len();
                if self.messages.is_some_and(|seen| seen < count) {
                    let data = json!({ "count": count, "message": Tr.t("dialogue-live-message") });
                    self.pending.push_back(Event::default().event("message").data(data.to_string()));
                }
                self.messages = Some(count);
            }
            Err(error) => tracing::warn!(%error, user_id = self.user.id, "live update could not read the dialogue"),
        }
    }
}
