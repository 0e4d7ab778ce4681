//! The escalation sweep: notifies agency supervisors of reports past their deadline. It runs in
//! every `pomoshnik serve` and `pomoshnik worker` process, whatever delivery channels they have,
//! so an installation without e-mail or Web Push escalates too. The supervisors see the
//! escalation in their notifications, and the delivery workers send it on the channels they
//! chose.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pomoshnik_store::Store;

use crate::worker::run_rounds;

/// How often each process looks for overdue reports.
pub const ESCALATION_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The periodic search for overdue reports. Several processes may sweep the same store at once,
/// because [`Store::escalate_overdue`] records each (report, supervisor) pair once, in the
/// transaction that writes its notification. Every supervisor is notified once per report.
pub struct EscalationSweep {
    store: Arc<dyn Store>,
    interval: Duration,
}

impl EscalationSweep {
    /// Returns a sweep that runs every [`ESCALATION_INTERVAL`].
    pub fn new(store: Arc<dyn Store>) -> EscalationSweep {
        EscalationSweep { store, interval: ESCALATION_INTERVAL }
    }

    /// Sweeps once at start and then after every `interval` until `shutdown` completes. A
    /// failed sweep is logged and tried again after the interval.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        run_rounds("escalation sweep", self.interval, shutdown, || async {
            self.run_once(Utc::now()).await?;
            // Zero claimed rounds, so `run_rounds` always waits the interval before the next one.
            Ok(0)
        })
        .await;
    }

    /// Escalates every report overdue at `now` to the supervisors not yet notified about it, and
    /// returns how many (report, supervisor) pairs this sweep escalated.
    pub async fn run_once(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let escalations = self.store.escalate_overdue(now).await?;
        for escalation in &escalations {
            tracing::info!(report_id = escalation.report_id, supervisor_id = escalation.supervisor_id, "overdue report escalated");
        }
        Ok(escalations.len())
    }
}
