//! `GET /admin/dashboard`: figures of a period for administrators (all agencies, with a filter)
//! and agency supervisors (their agency only). Anyone else gets 404.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use pomoshnik_core::catalog::Catalog;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, urlencode};
use crate::dashboard::{self, Access, Dashboard, DashboardQuery, NamedCount, OVERDUE_LIMIT, PERIOD_CHOICES};
use crate::district_map::DistrictMap;
use crate::i18n::{Arg, Tr};
use crate::state::AppState;
use crate::views::moscow_time;

/// A link of the period selector.
struct PeriodLink {
    label: String,
    href: String,
    current: bool,
}

struct AgencyOption {
    code: String,
    name: String,
    selected: bool,
}

struct AgencyRow {
    code: String,
    name: String,
    assigned: i64,
    answered: i64,
    /// Count and share, such as «4 (66,7 %)».
    on_time: String,
    median_hours: String,
    p90_hours: String,
    overdue: i64,
    average_rating: String,
    ratings: i64,
}

struct OverdueRow {
    number: String,
    category: String,
    agency: String,
    deadline: String,
    days_overdue: String,
}

/// The figures as the page shows them, already formatted in Russian.
struct Figures {
    summary: String,
    days: Vec<(String, i64)>,
    categories: Vec<NamedCount>,
    districts: Vec<NamedCount>,
    /// The inline SVG map, None when the district data did not load.
    map: Option<String>,
    agencies: Vec<AgencyRow>,
    overdue: Vec<OverdueRow>,
    /// A note that the overdue list stops at its limit.
    overdue_limited: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_dashboard.html")]
struct DashboardPage {
    layout: Layout,
    t: Tr,
    heading: String,
    periods: Vec<PeriodLink>,
    from: String,
    to: String,
    /// The agency filter; empty for supervisors, who have none.
    agency_options: Vec<AgencyOption>,
    error: Option<String>,
    figures: Option<Figures>,
}

pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<DashboardQuery>) -> Response {
    let access = match dashboard::access_of(&signed.user) {
        Ok(access) => access,
        Err(error) => return error_page(error),
    };
    let catalog = match state.store.catalog().await {
        Ok(catalog) => catalog,
        Err(error) => return error_page(error.into()),
    };
    let now = Utc::now();
    let heading = match &access {
        Access::All => Tr.t("dashboard-title"),
        Access::Agency(code) => Tr.t_with("dashboard-title-agency", &[("agency", agency_name(&catalog, code).into())]),
    };
    let layout = Layout::for_user(&state, &signed, Tr.t("dashboard-title")).await;
    let selected_agency = match &access {
        Access::All => query.agency.trim().to_owned(),
        Access::Agency(_) => String::new(),
    };
    let mut page = DashboardPage {
        layout,
        t: Tr,
        heading,
        periods: period_links(&query, &selected_agency),
        from: query.from.trim().to_owned(),
        to: query.to.trim().to_owned(),
        agency_options: match access {
            Access::All => catalog
                .agencies
                .iter()
                .map(|agency| AgencyOption { code: agency.code.clone(), name: agency.short_name.clone(), selected: agency.code == selected_agency })
                .collect(),
            Access::Agency(_) => Vec::new(),
        },
        error: None,
        figures: None,
    };

    let request = dashboard::period_of(&query, dashboard::moscow_today(now)).and_then(|period| Ok((period, dashboard::agency_of(&access, &query, &catalog)?)));
    let (period, agency) = match request {
        Ok(request) => request,
        Err(error) => {
            page.error = Some(error.problem.message.clone());
            let mut response = render(&page);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return response;
        }
    };
    match dashboard::load(&state, &catalog, period, agency, now).await {
        Ok(loaded) => {
            page.figures = Some(figures(&loaded, &catalog));
            render(&page)
        }
        Err(error) => error_page(error),
    }
}

/// Builds the links to the last 7, 30 and 90 days, keeping the agency filter.
fn period_links(query: &DashboardQuery, agency: &str) -> Vec<PeriodLink> {
    let dates_given = !query.from.trim().is_empty() || !query.to.trim().is_empty();
    let current_days = query.days.as_deref().map(str::trim).unwrap_or("").parse::<i64>().unwrap_or(dashboard::DEFAULT_PERIOD_DAYS);
    PERIOD_CHOICES
        .iter()
        .map(|days| {
            let mut href = format!("/admin/dashboard?days={days}");
            if !agency.is_empty() {
                href.push_str(&format!("&agency={}", urlencode(agency)));
            }
            PeriodLink { label: Tr.count("dashboard-last-days", days), href, current: !dates_given && current_days == *days }
        })
        .collect()
}

fn agency_name(catalog: &Catalog, code: &str) -> String {
    catalog.agencies.iter().find(|agency| agency.code == code).map(|agency| agency.short_name.clone()).unwrap_or_else(|| code.to_owned())
}

/// Formats a number with one decimal and a decimal comma, as Russian text writes it.
fn decimal(value: f64) -> String {
    format!("{value:.1}").replace('.', ",")
}

fn optional_decimal(value: Option<f64>) -> String {
    value.map(decimal).unwrap_or_else(|| Tr.t("dashboard-no-value"))
}

fn figures(loaded: &Dashboard, catalog: &Catalog) -> Figures {
    let date = |day: chrono::NaiveDate| day.format("%d.%m.%Y").to_string();
    let summary = Tr.t_with(
        "dashboard-summary",
        &[
            ("from", date(loaded.period.from).into()),
            ("to", date(loaded.period.to).into()),
            ("reports", Arg::Text(Tr.count("dashboard-reports-count", loaded.total_reports))),
        ],
    );
    let map = DistrictMap::shared().map(|map| {
        let counts: HashMap<String, i64> = loaded.districts.iter().filter_map(|count| Some((count.code.clone()?, count.reports))).collect();
        map.render(&counts, &Tr.t("dashboard-map-label"))
    });
    let agencies = loaded
        .agencies
        .iter()
        .map(|agency| AgencyRow {
            code: agency.code.clone(),
            name: agency.name.clone(),
            assigned: agency.assigned,
            answered: agency.answered,
            on_time: match agency.on_time_share {
                Some(share) => format!("{} ({} %)", agency.answered_on_time, decimal(share * 100.0)),
                None => Tr.t("dashboard-no-value"),
            },
            median_hours: optional_decimal(agency.median_resolution_hours),
            p90_hours: optional_decimal(agency.p90_resolution_hours),
            overdue: agency.overdue,
            average_rating: optional_decimal(agency.average_rating),
            ratings: agency.ratings,
        })
        .collect();
    let overdue = loaded
        .overdue
        .iter()
        .map(|report| OverdueRow {
            number: report.number.clone(),
            category: report.category.clone(),
            agency: agency_name(catalog, &report.agency),
            deadline: moscow_time(report.deadline_at),
            days_overdue: Tr.count("dashboard-days-count", report.days_overdue),
        })
        .collect();
    Figures {
        summary,
        days: loaded.days.iter().map(|day| (date(day.date), day.reports)).collect(),
        categories: loaded.categories.clone(),
        districts: loaded.districts.clone(),
        map,
        agencies,
        overdue,
        overdue_limited: (loaded.overdue.len() as i64 == OVERDUE_LIMIT).then(|| Tr.count("dashboard-overdue-limited", OVERDUE_LIMIT)),
    }
}

