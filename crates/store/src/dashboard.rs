//! Figures of the administrators' and supervisors' dashboard, computed by the database.
//!
//! Definitions shared by both backends:
//! - The scope is the reports filed (`created_at`) in `[from, to)`, and with an agency filter
//!   only those now assigned to that agency (`agency_code`, which a redirect replaces).
//! - A Moscow day is `(created_at + 3 h) / 24 h` in whole days since the Unix epoch: Moscow is
//!   UTC+3 all year (no daylight saving time since 2014).
//! - A report is answered when the agency resolved it: `resolved_at` is set on the change to
//!   `resolved`, kept by `closed` and cleared by `reopened`. Rejected reports never reached an
//!   agency and count as filed only.
//! - Answered on time: `resolved_at <= deadline_at`, the report's deadline including the pauses
//!   while it waited for the resident.
//! - Resolution time: `resolved_at - dispatched_at`, from the latest dispatch (a redirect
//!   restarts it) to the decision, in milliseconds.
//! - Percentiles are nearest-rank: of the n durations in ascending order, the p-th percentile is
//!   the one at position ceil(p × n / 100), counted from 1. The median is p = 50.
//! - Overdue: open with the agency (`dispatched`, `in_progress`, `reopened`) and past
//!   `deadline_at` at `now`, whatever the filing date. `info_requested` is not overdue because
//!   its clock is stopped.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Milliseconds in a day and Moscow's offset from UTC, for the SQL day arithmetic.
const DAY_MS: i64 = 86_400_000;
const MOSCOW_OFFSET_MS: i64 = 10_800_000;

/// The reports a dashboard counts: those filed in `[from, to)`, optionally of one agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardScope {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Only reports now assigned to this agency; every report when None.
    pub agency: Option<String>,
}

/// Reports filed on one Moscow calendar day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyCount {
    pub day: NaiveDate,
    pub reports: i64,
}

/// Reports with one value of a grouping column, such as a category or district code. The code
/// is None for reports without one, such as reports outside every district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeCount {
    pub code: Option<String>,
    pub reports: i64,
}

/// Figures of one agency over the reports of the scope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgencyFigures {
    pub agency: String,
    /// Reports of the scope now assigned to the agency.
    pub assigned: i64,
    /// Of those, the ones the agency resolved.
    pub answered: i64,
    /// Of the answered, the ones resolved by their deadline.
    pub answered_on_time: i64,
    /// Nearest-rank median of the resolution times, None without an answered report.
    pub median_resolution: Option<Duration>,
    /// Nearest-rank 90th percentile of the resolution times.
    pub p90_resolution: Option<Duration>,
    /// Residents' ratings of the scope's reports assigned to the agency.
    pub ratings: i64,
    /// Sum of those ratings' scores, so that the average is exact on both backends.
    pub rating_sum: i64,
    /// The agency's open reports past their deadline at the time asked, filed at any time.
    pub overdue: i64,
}

impl AgencyFigures {
    /// Returns the share of answered reports that were answered by their deadline, from 0 to 1.
    pub fn on_time_share(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.answered_on_time as f64 / self.answered as f64)
    }

    pub fn average_rating(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.rating_sum as f64 / self.ratings as f64)
    }
}

/// An open report past its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueReport {
    pub number: String,
    pub category_code: String,
    pub category_name: String,
    pub agency: String,
    pub deadline_at: DateTime<Utc>,
    /// Started 24-hour periods since the deadline: 1 from the first millisecond after it.
    pub days_overdue: i64,
}

/// Returns the SQL condition selecting the scope, with `$1` = from, `$2` = to and `$3` = agency when
/// the scope has one. A separate text per case lets both backends use an index on the agency.
pub(crate) fn scope_condition(scope: &DashboardScope) -> &'static str {
    match scope.agency {
        Some(_) => "reports.created_at >= $1 AND reports.created_at < $2 AND reports.agency_code = $3",
        None => "reports.created_at >= $1 AND reports.created_at < $2",
    }
}

pub(crate) fn daily_counts_sql(scope: &DashboardScope) -> String {
    format!(
        "SELECT (reports.created_at + {MOSCOW_OFFSET_MS}) / {DAY_MS} AS moscow_day, COUNT(*) FROM reports \
         WHERE {} GROUP BY moscow_day ORDER BY moscow_day",
        scope_condition(scope)
    )
}

/// Counts per value of `column`, in no particular order: the caller sorts them, because the
/// backends order NULL and text (by collation) differently.
pub(crate) fn code_counts_sql(scope: &DashboardScope, column: &str) -> String {
    format!(
        "SELECT reports.{column}, COUNT(*) FROM reports WHERE {} GROUP BY reports.{column}",
        scope_condition(scope)
    )
}

/// Sorts counts largest first, then by code in byte order, with the missing code last.
pub(crate) fn sort_counts(counts: &mut [CodeCount]) {
    counts.sort_by(|a, b| b.reports.cmp(&a.reports).then_with(|| a.code.is_none().cmp(&b.code.is_none())).then_with(|| a.code.cmp(&b.code)));
}

/// Assigned, answered and answered-on-time reports per agency.
pub(crate) fn agency_counts_sql(scope: &DashboardScope) -> String {
    format!(
        "SELECT reports.agency_code, COUNT(*), COUNT(reports.resolved_at), \
         COALESCE(SUM(CASE WHEN reports.resolved_at <= reports.deadline_at THEN 1 ELSE 0 END), 0) \
         FROM reports WHERE {} AND reports.agency_code IS NOT NULL GROUP BY reports.agency_code",
        scope_condition(scope)
    )
}

/// Nearest-rank median and 90th percentile of the resolution times per agency. In integer
/// division, ceil(n / 2) is `(n + 1) / 2` and ceil(9n / 10) is `(9n + 9) / 10`. Ties of equal
/// durations do not matter because the picked value is the same.
pub(crate) fn agency_percentiles_sql(scope: &DashboardScope) -> String {
    format!(
        "SELECT agency_code, MIN(CASE WHEN position = (total + 1) / 2 THEN duration END), \
         MIN(CASE WHEN position = (9 * total + 9) / 10 THEN duration END) \
         FROM (SELECT reports.agency_code AS agency_code, reports.resolved_at - reports.dispatched_at AS duration, \
         ROW_NUMBER() OVER (PARTITION BY reports.agency_code ORDER BY reports.resolved_at - reports.dispatched_at) AS position, \
         COUNT(*) OVER (PARTITION BY reports.agency_code) AS total \
         FROM reports WHERE {} AND reports.agency_code IS NOT NULL AND reports.resolved_at IS NOT NULL \
         AND reports.dispatched_at IS NOT NULL) ranked GROUP BY agency_code",
        scope_condition(scope)
    )
}

/// Number and score sum of the ratings per agency. The sum is cast because PostgreSQL sums a
/// BIGINT column to NUMERIC.
pub(crate) fn agency_ratings_sql(scope: &DashboardScope) -> String {
    format!(
        "SELECT reports.agency_code, COUNT(*), CAST(SUM(report_ratings.score) AS BIGINT) FROM report_ratings \
         JOIN reports ON reports.id = report_ratings.report_id \
         WHERE {} AND reports.agency_code IS NOT NULL GROUP BY reports.agency_code",
        scope_condition(scope)
    )
}

/// The statuses in which the agency's deadline runs; see `Status::is_with_agency`.
const WITH_AGENCY: &str = "reports.status IN ('dispatched', 'in_progress', 'reopened')";

/// Overdue reports per agency, with `$1` = now and `$2` = agency when filtered.
pub(crate) fn overdue_counts_sql(agency: Option<&str>) -> String {
    let agency_condition = if agency.is_some() { " AND reports.agency_code = $2" } else { "" };
    format!(
        "SELECT reports.agency_code, COUNT(*) FROM reports WHERE {WITH_AGENCY} AND reports.deadline_at < $1 \
         AND reports.agency_code IS NOT NULL{agency_condition} GROUP BY reports.agency_code"
    )
}

/// Lists the most overdue reports first, with `$1` = now, `$2` = limit and `$3` = agency when filtered.
pub(crate) fn overdue_reports_sql(agency: Option<&str>) -> String {
    let agency_condition = if agency.is_some() { " AND reports.agency_code = $3" } else { "" };
    format!(
        "SELECT reports.year, reports.sequence, reports.category_code, reports.category_name, reports.agency_code, \
         reports.deadline_at FROM reports WHERE {WITH_AGENCY} AND reports.deadline_at < $1 \
         AND reports.agency_code IS NOT NULL{agency_condition} ORDER BY reports.deadline_at, reports.id LIMIT $2"
    )
}

/// Joins the rows of the four agency queries by agency code, ordered by code: `(code, assigned,
/// answered, on time)`, `(code, median ms, p90 ms)`, `(code, ratings, score sum)` and
/// `(code, overdue)`. An agency missing from a query gets zeros (or None) for its figures.
pub(crate) fn merge_agency_figures(
    counts: Vec<(String, i64, i64, i64)>,
    percentiles: Vec<(String, Option<i64>, Option<i64>)>,
    ratings: Vec<(String, i64, i64)>,
    overdue: Vec<(String, i64)>,
) -> Vec<AgencyFigures> {
    let mut figures: BTreeMap<String, AgencyFigures> = BTreeMap::new();
    fn entry(figures: &mut BTreeMap<String, AgencyFigures>, code: String) -> &mut AgencyFigures {
        figures.entry(code.clone()).or_insert_with(|| AgencyFigures { agency: code, ..AgencyFigures::default() })
    }
    for (code, assigned, answered, on_time) in counts {
        let figure = entry(&mut figures, code);
        (figure.assigned, figure.answered, figure.answered_on_time) = (assigned, answered, on_time);
    }
    for (code, median, p90) in percentiles {
        let figure = entry(&mut figures, code);
        figure.median_resolution = median.map(Duration::milliseconds);
        figure.p90_resolution = p90.map(Duration::milliseconds);
    }
    for (code, count, sum) in ratings {
        let figure = entry(&mut figures, code);
        (figure.ratings, figure.rating_sum) = (count, sum);
    }
    for (code, count) in overdue {
        entry(&mut figures, code).overdue = count;
    }
    figures.into_values().collect()
}

/// Converts a day number of [`daily_counts_sql`] to its date.
pub(crate) fn moscow_day(day: i64) -> crate::Result<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01 is a valid date");
    epoch
        .checked_add_signed(Duration::days(day))
        .ok_or_else(|| crate::StoreError::Corrupt(format!("Moscow day number {day} is out of range")))
}

/// Started 24-hour periods from `deadline` to `now`.
pub(crate) fn days_overdue(deadline: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let late_ms = (now - deadline).num_milliseconds();
    (late_ms + DAY_MS - 1) / DAY_MS
}
