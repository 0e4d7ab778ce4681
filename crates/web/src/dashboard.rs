//! The dashboard of administrators and agency supervisors, shared by the page
//! (`/admin/dashboard`) and the JSON API (`/api/v1/dashboard`): who may see which agency, the
//! period, and the figures with names from the catalog and the district map.
//!
//! The store computes the figures; its module `dashboard.rs` defines them (answered, on time,
//! resolution time, nearest-rank percentiles, overdue).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::role::Role;
use pomoshnik_store::{AgencyFigures, CodeCount, DashboardScope, User};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;

/// Periods offered by the selector, in days ending today.
pub const PERIOD_CHOICES: [i64; 3] = [7, 30, 90];
/// The period when the request names none.
pub const DEFAULT_PERIOD_DAYS: i64 = 30;
/// Maximum length of a requested period, in days.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// Rows of the overdue list.
pub const OVERDUE_LIMIT: i64 = 100;
/// Moscow's offset from UTC. The store counts days with the same fixed offset.
// NOTE: Moscow was UTC+4 until 26 October 2014, so days before then start an hour off.
const MOSCOW_OFFSET: Duration = Duration::hours(3);

/// Scope of the reports a person may see on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Administrators: every agency, with an optional filter.
    All,
    /// An agency's supervisor: only that agency, whatever the request asks.
    Agency(String),
}

/// Returns what `user` may see, or 404 for anyone but administrators and supervisors, so that
/// the dashboard's existence is not revealed to others.
pub fn access_of(user: &User) -> Result<Access, ApiError> {
    match (user.role, &user.agency) {
        (Role::Admin, _) => Ok(Access::All),
        (Role::Executor, Some(agency)) if user.supervisor => Ok(Access::Agency(agency.clone())),
        _ => Err(ApiError::not_found()),
    }
}

/// The query string of both the page and the API.
#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    /// The last 7, 30 or 90 days, today included.
    pub days: Option<String>,
    /// First day, as YYYY-MM-DD (Moscow); with `to`, it replaces `days`.
    #[serde(default)]
    pub from: String,
    /// Last day, included.
    #[serde(default)]
    pub to: String,
    /// Agency code; administrators only.
    #[serde(default)]
    pub agency: String,
}

/// A period of whole Moscow days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Returns the store's scope: from the first instant of `from` to the first instant after `to`.
    pub fn scope(&self, agency: Option<String>) -> DashboardScope {
        DashboardScope { from: start_of_day(self.from), to: start_of_day(self.to + Duration::days(1)), agency }
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while(|day| *day <= self.to)
    }
}

fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    (day.and_time(NaiveTime::MIN) - MOSCOW_OFFSET).and_utc()
}

/// Returns the Moscow date of `now`.
pub fn moscow_today(now: DateTime<Utc>) -> NaiveDate {
    (now + MOSCOW_OFFSET).date_naive()
}

/// Reads the period of `query`: `from` and `to` when either is given, else `days`, else the
/// last [`DEFAULT_PERIOD_DAYS`] days. Errors name the field at fault.
pub fn period_of(query: &DashboardQuery, today: NaiveDate) -> Result<Period, ApiError> {
    let (from, to) = (query.from.trim(), query.to.trim());
    if from.is_empty() && to.is_empty() {
        let days = match query.days.as_deref().map(str::trim).filter(|days| !days.is_empty()) {
            None => DEFAULT_PERIOD_DAYS,
            Some(text) => match text.parse::<i64>() {
                Ok(days) if PERIOD_CHOICES.contains(&days) => days,
                _ => return Err(invalid("dashboard_days_invalid", "days")),
            },
        };
        return Ok(Period { from: today - Duration::days(days - 1), to: today });
    }

    let from = NaiveDate::parse_from_str(from, "%Y-%m-%d").map_err(|_| invalid("dashboard_date_invalid", "from"))?;
    let to = NaiveDate::parse_from_str(to, "%Y-%m-%d").map_err(|_| invalid("dashboard_date_invalid", "to"))?;
    if to < from {
        return Err(invalid("dashboard_period_reversed", "to"));
    }
    if (to - from).num_days() + 1 > MAX_PERIOD_DAYS {
        return Err(invalid("dashboard_period_too_long", "to"));
    }
    Ok(Period { from, to })
}

/// Builds a 422 error with the code `code` on `field`; its message is `dashboard-error-…` with the
/// code's part after `dashboard_`, such as `dashboard-error-days-invalid`.
fn invalid(code: &str, field: &str) -> ApiError {
    let message_id = format!("dashboard-error-{}", code.trim_start_matches("dashboard_").replace('_', "-"));
    let message = Tr.t_with(&message_id, &[("max", MAX_PERIOD_DAYS.into())]);
    ApiError::unprocessable(vec![Problem { code: code.to_owned(), message, field: Some(field.to_owned()) }])
}

/// Returns the agency whose figures to show: a supervisor's own, or the administrator's choice (None
/// for all). An agency the catalog does not have is an error on the `agency` field.
pub fn agency_of(access: &Access, query: &DashboardQuery, catalog: &Catalog) -> Result<Option<String>, ApiError> {
    match access {
        Access::Agency(agency) => Ok(Some(agency.clone())),
        Access::All => match query.agency.trim() {
            "" => Ok(None),
            code if catalog.agencies.iter().any(|agency| agency.code == code) => Ok(Some(code.to_owned())),
            _ => Err(invalid("dashboard_agency_unknown", "agency")),
        },
    }
}

/// Every figure of the dashboard, with names, as the API returns it and the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub period: Period,
    /// The agency the figures are limited to; None for all.
    pub agency: Option<String>,
    /// Reports filed in the period.
    pub total_reports: i64,
    /// Every day of the period, including days without reports.
    pub days: Vec<DayCount>,
    pub categories: Vec<NamedCount>,
    pub districts: Vec<NamedCount>,
    pub agencies: Vec<AgencyView>,
    /// Open reports past their deadline now, longest overdue first, at most [`OVERDUE_LIMIT`].
    pub overdue: Vec<OverdueView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayCount {
    pub date: NaiveDate,
    pub reports: i64,
}

/// A count for a category or a district. `code` is None for reports outside every district.
#[derive(Debug, Clone, Serialize)]
pub struct NamedCount {
    pub code: Option<String>,
    pub name: String,
    pub reports: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgencyView {
    pub code: String,
    pub name: String,
    pub assigned: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    /// `answered_on_time / answered`, from 0 to 1.
    pub on_time_share: Option<f64>,
    /// Nearest-rank median of the hours from dispatch to resolution.
    pub median_resolution_hours: Option<f64>,
    /// Nearest-rank 90th percentile of the hours from dispatch to resolution.
    pub p90_resolution_hours: Option<f64>,
    /// Open reports past their deadline now, filed at any time.
    pub overdue: i64,
    pub ratings: i64,
    /// Average score from 1 to 5.
    pub average_rating: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverdueView {
    pub number: String,
    pub category_code: String,
    pub category: String,
    pub agency: String,
    pub deadline_at: DateTime<Utc>,
    pub days_overdue: i64,
}

/// Reads the figures of `period` for `agency` (all when None) from the store.
pub async fn load(state: &AppState, catalog: &Catalog, period: Period, agency: Option<String>, now: DateTime<Utc>) -> Result<Dashboard, ApiError> {
    let scope = period.scope(agency.clone());
    let store = &state.store;
    let daily = store.dashboard_daily_counts(&scope).await?;
    let categories = store.dashboard_category_counts(&scope).await?;
    let districts = store.dashboard_district_counts(&scope).await?;
    let agencies = store.dashboard_agency_figures(&scope, now).await?;
    let overdue = store.dashboard_overdue_reports(agency.as_deref(), now, OVERDUE_LIMIT).await?;

    let by_day: BTreeMap<NaiveDate, i64> = daily.iter().map(|count| (count.day, count.reports)).collect();
    let days = period.days().map(|date| DayCount { date, reports: by_day.get(&date).copied().unwrap_or(0) }).collect();
    let category_name = |code: &str| catalog.categories.iter().find(|category| category.code == code).map(|category| category.name.clone());
    // The first call parses the district boundaries, so it runs off the async workers.
    let map = tokio::task::spawn_blocking(crate::district_map::DistrictMap::shared).await.map_err(ApiError::internal)?;

    Ok(Dashboard {
        period,
        agency,
        total_reports: daily.iter().map(|count| count.reports).sum(),
        days,
        categories: categories.into_iter().map(|count| name_count(count, |code| category_name(code))).collect(),
        districts: districts.into_iter().map(|count| name_count(count, |code| map.and_then(|map| map.name(code)).map(str::to_owned))).collect(),
        agencies: agencies.into_iter().map(|figures| agency_view(figures, catalog)).collect(),
        overdue: overdue
            .into_iter()
            .map(|report| OverdueView {
                category: category_name(&report.category_code).unwrap_or(report.category_name),
                number: report.number,
                category_code: report.category_code,
                agency: report.agency,
                deadline_at: report.deadline_at,
                days_overdue: report.days_overdue,
            })
            .collect(),
    })
}

/// Names a count by its code, falling back to the code itself for one the catalog or the map
/// no longer has, and to «без района» for a missing code.
fn name_count(count: CodeCount, name_of: impl Fn(&str) -> Option<String>) -> NamedCount {
    let name = match &count.code {
        Some(code) => name_of(code).unwrap_or_else(|| code.clone()),
        None => Tr.t("dashboard-no-district"),
    };
    NamedCount { code: count.code, name, reports: count.reports }
}

fn agency_view(figures: AgencyFigures, catalog: &Catalog) -> AgencyView {
    let hours = |duration: Option<Duration>| duration.map(|duration| duration.num_milliseconds() as f64 / 3_600_000.0);
    AgencyView {
        name: catalog.agencies.iter().find(|agency| agency.code == figures.agency).map(|agency| agency.short_name.clone()).unwrap_or_else(|| figures.agency.clone()),
        on_time_share: figures.on_time_share(),
        average_rating: figures.average_rating(),
        median_resolution_hours: hours(figures.median_resolution),
        p90_resolution_hours: hours(figures.p90_resolution),
        code: figures.agency,
        assigned: figures.assigned,
        answered: figures.answered,
        answered_on_time: figures.answered_on_time,
        overdue: figures.overdue,
        ratings: figures.ratings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a valid test date")
    }

    fn query(days: Option<&str>, from: &str, to: &str) -> DashboardQuery {
        DashboardQuery { days: days.map(str::to_owned), from: from.to_owned(), to: to.to_owned(), agency: String::new() }
    }

    #[test]
    fn period_of_last_days_includes_today() {
        let today = date("2026-12-05");
        assert_eq!(period_of(&query(None, "", ""), today).unwrap(), Period { from: date("2026-11-06"), to: today });
        assert_eq!(period_of(&query(Some("7"), "", ""), today).unwrap(), Period { from: date("2026-11-29"), to: today });
        assert_eq!(period_of(&query(Some("8"), "", ""), today).unwrap_err().problem.code, "dashboard_days_invalid");
    }

    #[test]
    fn period_of_dates_checked() {
        let today = date("2026-12-05");
        assert_eq!(period_of(&query(Some("7"), "2026-01-01", "2026-01-31"), today).unwrap(), Period { from: date("2026-01-01"), to: date("2026-01-31") });
        assert_eq!(period_of(&query(None, "2026-02-30", "2026-03-01"), today).unwrap_err().problem.field.as_deref(), Some("from"));
        assert_eq!(period_of(&query(None, "2026-03-02", "2026-03-01"), today).unwrap_err().problem.code, "dashboard_period_reversed");
        assert!(period_of(&query(None, "2025-01-01", "2026-01-01"), today).is_ok(), "366 days are allowed");
        let too_long = period_of(&query(None, "2024-12-31", "2026-01-01"), today).unwrap_err();
        assert_eq!(too_long.problem.code, "dashboard_period_too_long");
        assert_eq!(too_long.problem.message, "Период не может быть длиннее 366 дней.");
        assert_eq!(period_of(&query(None, "2026-01-01", ""), today).unwrap_err().problem.field.as_deref(), Some("to"));
    }

    #[test]
    fn scope_starts_at_moscow_midnight() {
        let scope = Period { from: date("2026-11-10"), to: date("2026-11-12") }.scope(None);
        assert_eq!(scope.from, "2026-11-09T21:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(scope.to, "2026-11-12T21:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(moscow_today("2026-11-12T21:00:00Z".parse().unwrap()), date("2026-11-13"));
    }
}
