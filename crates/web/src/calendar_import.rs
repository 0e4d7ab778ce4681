//! `pomoshnik calendar import`: stores a production calendar year in the database, where every
//! node lays it over the embedded years ([`load_calendar`]). A node keeps the result in a
//! [`SharedCalendar`] and reads it again when the store announces an import
//! ([`Change::Calendar`]), and once a minute for imports it cannot hear of, such as one made by
//! the command on SQLite while the service runs.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use chrono::{Datelike, NaiveDate, Utc};
use pomoshnik_core::calendar::Calendar;
use pomoshnik_core::deadline::CITY_TIME_ZONE;
use pomoshnik_store::{Change, Store};
use tokio::sync::broadcast::error::RecvError;

/// How often a node reads the calendar again without an announcement.
const RELOAD_INTERVAL: Duration = Duration::from_secs(60);

/// The production calendar a node counts deadlines with, replaced whole when a year is imported.
#[derive(Clone)]
pub struct SharedCalendar(Arc<RwLock<Arc<Calendar>>>);

impl SharedCalendar {
    pub fn new(calendar: Calendar) -> SharedCalendar {
        SharedCalendar(Arc::new(RwLock::new(Arc::new(calendar))))
    }

    /// Returns the calendar in use now.
    pub fn get(&self) -> Arc<Calendar> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn replace(&self, calendar: Calendar) {
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(calendar);
    }

    /// Reads the calendar from the store again. A failure is logged and the calendar in use kept.
    pub async fn reload(&self, store: &dyn Store) {
        match load_calendar(store).await {
            Ok(calendar) => self.replace(calendar),
            Err(error) => tracing::error!(error = format!("{error:#}"), "could not read the production calendar again; keeping the one in use"),
        }
    }

    /// Starts the task that reloads the calendar on each import announcement and every
    /// [`RELOAD_INTERVAL`]. It ends when the store stops announcing changes.
    pub fn follow(&self, store: Arc<dyn Store>) {
        let calendar = self.clone();
        let mut changes = store.subscribe_changes();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(RELOAD_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                tokio::select! {
                    change = changes.recv() => match change {
                        Ok(Change::Calendar | Change::Missed) | Err(RecvError::Lagged(_)) => {}
                        Ok(_) => continue,
                        Err(RecvError::Closed) => return,
                    },
                    _ = ticks.tick() => {}
                }
                calendar.reload(store.as_ref()).await;
            }
        });
    }
}

/// The outcome of an import: the year and the changes it made.
#[derive(Debug, PartialEq, Eq)]
pub struct ImportSummary {
    pub year: i32,
    /// Dates whose kind (working, shortened, day off) differs from the calendar in use.
    pub changed_dates: Vec<NaiveDate>,
    /// Open reports whose deadline was counted over a changed date.
    pub affected_reports: Vec<String>,
}

/// The reason an import was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Invalid(#[from] pomoshnik_core::calendar::CalendarError),
    #[error(
        "the calendar changes {changed} day(s) of {year} that the deadlines of {count} open report(s) were counted over ({reports}); \
         run again with --confirm to import it anyway. Deadlines already set are not recomputed"
    )]
    AffectsOpenReports { year: i32, changed: usize, count: usize, reports: String },
    #[error(transparent)]
    Store(#[from] pomoshnik_store::StoreError),
}

/// Returns the embedded calendar with the years imported into the database laid over it.
pub async fn load_calendar(store: &dyn Store) -> anyhow::Result<Calendar> {
    let mut calendar = Calendar::embedded().clone();
    for document in store.calendar_documents().await? {
        let year = calendar.add_year_xml(&document).context("an imported calendar year in the database is invalid")?;
        tracing::info!(year, "using the imported production calendar year");
    }
    Ok(calendar)
}

/// Checks a yearly calendar document against `current` and the open reports, and stores it
/// unless it is invalid or, without `confirm`, changes a day that an open report's deadline was
/// counted over.
pub async fn import_calendar(store: &dyn Store, current: &Calendar, document: &str, confirm: bool) -> Result<ImportSummary, ImportError> {
    let mut imported = Calendar::default();
    let year = imported.add_year_xml(document)?;

    let changed_dates: Vec<NaiveDate> = year_dates(year)
        .filter(|date| current.is_working_day(*date) != imported.is_working_day(*date) || current.is_shortened_day(*date) != imported.is_shortened_day(*date))
        .collect();
    let mut affected_reports = Vec::new();
    for (number, dispatched_at, deadline_at) in store.open_deadline_spans().await? {
        let first = dispatched_at.with_timezone(&CITY_TIME_ZONE).date_naive();
        let last = deadline_at.with_timezone(&CITY_TIME_ZONE).date_naive();
        if changed_dates.iter().any(|date| (first..=last).contains(date)) {
            affected_reports.push(number);
        }
    }

    if !affected_reports.is_empty() && !confirm {
        return Err(ImportError::AffectsOpenReports { year, changed: changed_dates.len(), count: affected_reports.len(), reports: affected_reports.join(", ") });
    }
    store.save_calendar_year(year, document, Utc::now()).await?;
    tracing::info!(year, changed = changed_dates.len(), affected = affected_reports.len(), "production calendar year imported");
    Ok(ImportSummary { year, changed_dates, affected_reports })
}

fn year_dates(year: i32) -> impl Iterator<Item = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("January 1 exists");
    first.iter_days().take_while(move |date| date.year() == year)
}
