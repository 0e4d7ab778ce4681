//! Announcements of committed changes, which wake the live update streams of open pages.
//!
//! On SQLite (one node) a store publishes them in process after the commit. On PostgreSQL the
//! writing transaction sends `NOTIFY pomoshnik_changes`, PostgreSQL delivers it to every node
//! once the transaction commits, and each node's single listener republishes it in process.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;

/// The PostgreSQL channel of [`Change`] notifications.
pub(crate) const CHANNEL: &str = "pomoshnik_changes";

/// Announcements a receiver may fall behind by before it gets [`broadcast::error::RecvError::Lagged`].
const CAPACITY: usize = 1024;

/// Wait before the listener connects again after an error.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// A committed change that open pages, or a node's cached state, may depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The report with this id changed: its status, or it was filed.
    Report(i64),
    /// The notifications of the user with this id changed: a new one, or some were read.
    Notifications(i64),
    /// A production calendar year was imported; every node reads the calendar again.
    Calendar,
    /// Announcements may have been lost, as while the listener reconnected, so every receiver
    /// should read again what it shows.
    Missed,
}

impl Change {
    /// Formats the NOTIFY payload, such as `report:12` or `notifications:7`.
    pub(crate) fn payload(self) -> String {
        match self {
            Change::Report(id) => format!("report:{id}"),
            Change::Notifications(user_id) => format!("notifications:{user_id}"),
            Change::Calendar => "calendar".to_owned(),
            Change::Missed => "missed".to_owned(),
        }
    }

    /// Parses a NOTIFY payload; None for one this version does not know.
    pub(crate) fn parse(payload: &str) -> Option<Change> {
        match payload {
            "missed" => return Some(Change::Missed),
            "calendar" => return Some(Change::Calendar),
            _ => {}
        }
        let (kind, id) = payload.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "report" => Some(Change::Report(id)),
            "notifications" => Some(Change::Notifications(id)),
            _ => None,
        }
    }
}

/// The in-process side: every subscriber receives every change published.
pub(crate) struct ChangeHub {
    sender: broadcast::Sender<Change>,
}

impl ChangeHub {
    pub(crate) fn new() -> ChangeHub {
        ChangeHub { sender: broadcast::channel(CAPACITY).0 }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    pub(crate) fn publish(&self, changes: &[Change]) {
        for change in changes {
            // An error only means that no page is subscribed.
            let _ = self.sender.send(*change);
        }
    }

    /// Starts the task that LISTENs on the pool's database and republishes each notification.
    /// It ends when the pool closes.
    pub(crate) fn listen(&self, pool: PgPool) {
        let sender = self.sender.clone();
        tokio::spawn(async move {
            loop {
                match listen_once(&pool, &sender).await {
                    Ok(()) => return,
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(error) => {
                        tracing::warn!(%error, "the change listener failed; connecting again");
                        let _ = sender.send(Change::Missed);
                        tokio::time::sleep(RECONNECT_DELAY).await;
                    }
                }
            }
        });
    }
}

/// Listens until the pool closes (`Ok`) or an error. A lost connection is re-established by
/// `PgListener` and reported as [`Change::Missed`].
async fn listen_once(pool: &PgPool, sender: &broadcast::Sender<Change>) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    // Changes committed before LISTEN took effect were not seen.
    let _ = sender.send(Change::Missed);
    loop {
        if pool.is_closed() {
            return Ok(());
        }
        match listener.try_recv().await? {
            Some(notification) => match Change::parse(notification.payload()) {
                Some(change) => {
                    let _ = sender.send(change);
                }
                None => tracing::warn!(payload = notification.payload(), "ignored an unknown change notification"),
            },
            None => {
                tracing::warn!("the change listener lost its connection and connected again");
                let _ = sender.send(Change::Missed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips() {
        for change in [Change::Report(12), Change::Notifications(7), Change::Calendar, Change::Missed] {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
    }

    #[test]
    fn unknown_payload_is_none() {
        assert_eq!(Change::parse("report:x"), None);
        assert_eq!(Change::parse("ticket:3"), None);
        assert_eq!(Change::parse(""), None);
    }
}
