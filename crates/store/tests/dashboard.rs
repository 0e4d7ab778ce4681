//! Dashboard figures of the `Store` trait against values worked out by hand on a fixed data set,
//! on SQLite and on PostgreSQL. The data set is [`PLANS`]; the comments of
//! [`dashboard_figures_by_hand`] work out the expected figures.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::role::Role;
use pomoshnik_core::status::{Decision, RejectionReason, Status};
use pomoshnik_store::{AgencyFigures, CodeCount, Created, DailyCount, DashboardScope, NewReport, NewUser, Report, ReportArea, StatusChange, Store};
use pomoshnik_test_support::on_both_backends;
use support::with_store;

on_both_backends!(with_store => dashboard_figures_by_hand);

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|error| panic!("invalid test time {text:?}: {error}"))
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap_or_else(|error| panic!("invalid test date {text:?}: {error}"))
}

fn hours(count: i64) -> Option<Duration> {
    Some(Duration::hours(count))
}

/// What happens to one report of the data set after filing.
struct Plan {
    label: &'static str,
    created_at: &'static str,
    category: &'static str,
    district: Option<&'static str>,
    /// Agency, dispatch time and deadline; None leaves the report with the moderators.
    dispatch: Option<(&'static str, &'static str, &'static str)>,
    /// Resolution time, when the agency resolved the report.
    resolved_at: Option<&'static str>,
    /// The status the report ends in after the steps above.
    then: Option<Status>,
    rating: Option<i64>,
}

const PLANS: [Plan; 15] = [
    // Filed at 23:59:59 Moscow time on 9 November, one second before the period: overdue since
    // 12 November 21:00 UTC, so it appears among the overdue reports only.
    Plan { label: "R0", created_at: "2026-11-09T20:59:59Z", category: "parking_violation", district: Some("tverskoy"), dispatch: Some(("madi", "2026-11-09T21:30:00Z", "2026-11-12T21:00:00Z")), resolved_at: None, then: None, rating: None },
    // 10 November (Moscow): R1 at 00:00:00, the first instant of the period.
    Plan { label: "R1", created_at: "2026-11-09T21:00:00Z", category: "parking_violation", district: Some("tverskoy"), dispatch: Some(("madi", "2026-11-09T22:00:00Z", "2026-11-10T21:00:00Z")), resolved_at: Some("2026-11-10T00:00:00Z"), then: None, rating: Some(5) },
    Plan { label: "R2", created_at: "2026-11-10T08:00:00Z", category: "parking_violation", district: Some("tverskoy"), dispatch: Some(("madi", "2026-11-10T09:00:00Z", "2026-11-10T21:00:00Z")), resolved_at: Some("2026-11-10T19:00:00Z"), then: None, rating: Some(4) },
    Plan { label: "R3", created_at: "2026-11-10T20:59:59Z", category: "bus_lane", district: Some("arbat"), dispatch: Some(("madi", "2026-11-10T21:30:00Z", "2026-11-11T21:00:00Z")), resolved_at: Some("2026-11-12T03:30:00Z"), then: None, rating: Some(1) },
    // 11 November (Moscow): R4 at 00:00:00.
    Plan { label: "R4", created_at: "2026-11-10T21:00:00Z", category: "bus_lane", district: Some("arbat"), dispatch: Some(("madi", "2026-11-10T22:00:00Z", "2026-11-13T21:00:00Z")), resolved_at: Some("2026-11-11T02:00:00Z"), then: Some(Status::Closed), rating: None },
    Plan { label: "R5", created_at: "2026-11-11T10:00:00Z", category: "parking_violation", district: None, dispatch: Some(("madi", "2026-11-11T11:00:00Z", "2026-11-11T21:00:00Z")), resolved_at: None, then: Some(Status::InProgress), rating: None },
    Plan { label: "R6", created_at: "2026-11-11T12:00:00Z", category: "parking_on_lawn", district: Some("tverskoy"), dispatch: Some(("oati", "2026-11-11T13:00:00Z", "2026-11-16T21:00:00Z")), resolved_at: Some("2026-11-13T13:00:00Z"), then: None, rating: Some(3) },
    Plan { label: "R7", created_at: "2026-11-11T15:00:00Z", category: "parking_on_lawn", district: Some("arbat"), dispatch: Some(("oati", "2026-11-11T16:00:00Z", "2026-11-14T21:00:00Z")), resolved_at: Some("2026-11-15T20:00:00Z"), then: None, rating: Some(2) },
    // 12 November (Moscow).
    Plan { label: "R8", created_at: "2026-11-11T21:30:00Z", category: "parking_violation", district: Some("tverskoy"), dispatch: Some(("madi", "2026-11-11T22:00:00Z", "2026-11-12T21:00:00Z")), resolved_at: Some("2026-11-11T23:00:00Z"), then: None, rating: None },
    Plan { label: "R9", created_at: "2026-11-12T06:00:00Z", category: "parking_violation", district: Some("tverskoy"), dispatch: Some(("madi", "2026-11-12T07:00:00Z", "2026-11-12T21:00:00Z")), resolved_at: Some("2026-11-13T03:00:00Z"), then: None, rating: Some(2) },
    Plan { label: "R10", created_at: "2026-11-12T09:00:00Z", category: "landscaping_violation", district: Some("arbat"), dispatch: None, resolved_at: None, then: Some(Status::Rejected), rating: None },
    Plan { label: "R11", created_at: "2026-11-12T12:00:00Z", category: "landscaping_violation", district: Some("tverskoy"), dispatch: Some(("oati", "2026-11-12T13:00:00Z", "2026-11-24T21:00:00Z")), resolved_at: None, then: None, rating: None },
    // Waits for the resident past its deadline: its clock is stopped, so it is not overdue.
    Plan { label: "R12", created_at: "2026-11-12T20:00:00Z", category: "parking_violation", district: Some("arbat"), dispatch: Some(("madi", "2026-11-12T20:30:00Z", "2026-11-13T21:00:00Z")), resolved_at: None, then: Some(Status::InfoRequested), rating: None },
    // Resolved, then reopened by the resident: no longer answered, and overdue again.
    Plan { label: "R14", created_at: "2026-11-12T10:00:00Z", category: "bus_lane", district: Some("arbat"), dispatch: Some(("madi", "2026-11-12T11:00:00Z", "2026-11-15T21:00:00Z")), resolved_at: Some("2026-11-12T12:00:00Z"), then: Some(Status::Reopened), rating: None },
    // Filed at 00:00:00 Moscow time on 13 November, the end of the period, which is excluded.
    Plan { label: "R13", created_at: "2026-11-12T21:00:00Z", category: "parking_violation", district: Some("arbat"), dispatch: Some(("oati", "2026-11-12T22:00:00Z", "2026-11-30T21:00:00Z")), resolved_at: Some("2026-11-13T01:00:00Z"), then: None, rating: Some(5) },
];

/// Files the reports of [`PLANS`] and returns them by label.
async fn file_data_set(store: &Arc<dyn Store>) -> BTreeMap<&'static str, Report> {
    let catalog = Catalog::moscow_default();
    let author = add_user(store, "author@example.org", Role::Resident).await;
    let moderator = add_user(store, "moderator@example.org", Role::Moderator).await;

    let mut reports = BTreeMap::new();
    for plan in &PLANS {
        let category = catalog.categories.iter().find(|category| category.code == plan.category).expect("the category is in the catalog");
        let created_at = utc(plan.created_at);
        let new_report = NewReport {
            author_id: author.id,
            idempotency_key: None,
            category_code: category.code.clone(),
            category_name: category.name.clone(),
            deadline_working_days: category.deadline_working_days,
            latitude: 55.75,
            longitude: 37.61,
            address: None,
            occurred_at: created_at - Duration::minutes(10),
            description: format!("Обращение {}", plan.label),
            fields: BTreeMap::new(),
            file_ids: Vec::new(),
            created_at,
            area: plan.district.map(|district| ReportArea {
                district_code: district.to_owned(),
                district_name: format!("район {district}"),
                okrug_code: "cao".to_owned(),
                okrug_name: "Центральный административный округ".to_owned(),
            }),
            h3_cell: None,
        };
        let mut report = match store.create_report(&new_report).await.expect("report creation failed") {
            Created::New(report) => report,
            Created::Existing(report) => panic!("report {} already existed", report.number),
        };

        if let Some((agency, dispatched_at, deadline_at)) = plan.dispatch {
            let mut dispatch = change(&report, moderator.id, Status::Dispatched, utc(dispatched_at));
            dispatch.agency = Some(agency.to_owned());
            dispatch.dispatched_at = Some(utc(dispatched_at));
            dispatch.deadline_at = Some(utc(deadline_at));
            report = store.apply_status_change(&dispatch).await.expect("dispatch failed");
        }
        if let Some(resolved_at) = plan.resolved_at {
            let mut resolve = change(&report, moderator.id, Status::Resolved, utc(resolved_at));
            resolve.decision = Some(Decision::Fixed);
            resolve.resolved_at = Some(utc(resolved_at));
            report = store.apply_status_change(&resolve).await.expect("resolution failed");
        }
        if let Some(then) = plan.then {
            let at = report.updated_at + Duration::minutes(1);
            let mut next = change(&report, moderator.id, then, at);
            match then {
                Status::InfoRequested => next.status_before_info_request = Some(report.status),
                Status::Reopened => next.resolved_at = None,
                Status::Rejected => next.rejection_reason = Some(RejectionReason::NotAViolation),
                _ => {}
            }
            report = store.apply_status_change(&next).await.expect("status change failed");
        }
        if let Some(score) = plan.rating {
            let at = report.resolved_at.expect("only resolved reports are rated") + Duration::hours(1);
            store.rate_report(report.id, author.id, score, None, at).await.expect("rating failed");
        }
        reports.insert(plan.label, report);
    }
    reports
}

async fn dashboard_figures_by_hand(store: Arc<dyn Store>) {
    store.migrate().await.expect("migration failed");
    store.load_catalog_if_empty(&Catalog::moscow_default()).await.expect("catalog load failed");
    let reports = file_data_set(&store).await;
    let statuses: Vec<Status> = ["R4", "R5", "R10", "R12", "R14"].iter().map(|label| reports[label].status).collect();
    assert_eq!(statuses, [Status::Closed, Status::InProgress, Status::Rejected, Status::InfoRequested, Status::Reopened], "the data set was not filed as planned");

    // The period is 10–12 November, Moscow time: [10 Nov 00:00 MSK, 13 Nov 00:00 MSK).
    let all = DashboardScope { from: utc("2026-11-09T21:00:00Z"), to: utc("2026-11-12T21:00:00Z"), agency: None };
    let now = utc("2026-11-20T09:00:00Z");

    // Per Moscow day: R1 R2 R3 on the 10th (R3 at 23:59:59 MSK), R4 R5 R6 R7 on the 11th (R4 at
    // 00:00 MSK), R8 R9 R10 R11 R12 R14 on the 12th; R0 and R13 are outside the period.
    let daily = store.dashboard_daily_counts(&all).await.expect("daily counts failed");
    assert_eq!(daily, [DailyCount { day: day("2026-11-10"), reports: 3 }, DailyCount { day: day("2026-11-11"), reports: 4 }, DailyCount { day: day("2026-11-12"), reports: 6 }]);

    // parking_violation: R1 R2 R5 R8 R9 R12; bus_lane: R3 R4 R14; landscaping_violation: R10
    // R11; parking_on_lawn: R6 R7. Equal counts go by code.
    let categories = store.dashboard_category_counts(&all).await.expect("category counts failed");
    assert_eq!(categories, [count("parking_violation", 6), count("bus_lane", 3), count("landscaping_violation", 2), count("parking_on_lawn", 2)]);

    // arbat: R3 R4 R7 R10 R12 R14; tverskoy: R1 R2 R6 R8 R9 R11; no district: R5.
    let districts = store.dashboard_district_counts(&all).await.expect("district counts failed");
    assert_eq!(districts, [count("arbat", 6), count("tverskoy", 6), CodeCount { code: None, reports: 1 }]);

    // madi: assigned R1 R2 R3 R4 R5 R8 R9 R12 R14 = 9. Answered R1 R2 R3 R4 R8 R9 = 6 (R5 is in
    // progress, R12 waits for the resident, R14 was reopened). On time: R1 R2 R4 R8 = 4; R3 and
    // R9 were resolved after their deadline.
    // Resolution times, sorted: R8 1 h, R1 2 h, R4 4 h, R2 10 h, R9 20 h, R3 30 h. Nearest rank
    // with n = 6: median at ceil(3) = 3 → 4 h; p90 at ceil(5.4) = 6 → 30 h. (Interpolation
    // would give 7 h and 25 h.)
    // Ratings: R1 5, R2 4, R3 1, R9 2: four ratings, sum 12, average 3.
    // Overdue at 20 Nov 09:00 UTC: R0 (filed before the period), R5 and R14; not R12.
    let madi = AgencyFigures {
        agency: "madi".to_owned(),
        assigned: 9,
        answered: 6,
        answered_on_time: 4,
        median_resolution: hours(4),
        p90_resolution: hours(30),
        ratings: 4,
        rating_sum: 12,
        overdue: 3,
    };
    // oati: assigned R6 R7 R11 = 3 (R13 is outside the period). Answered R6 (48 h, on time) and
    // R7 (100 h, late): median at ceil(1) = 1 → 48 h, p90 at ceil(1.8) = 2 → 100 h. Ratings 3
    // and 2: average 2.5. Nothing overdue: R11 and R13 are due on 24 and 30 November.
    let oati = AgencyFigures {
        agency: "oati".to_owned(),
        assigned: 3,
        answered: 2,
        answered_on_time: 1,
        median_resolution: hours(48),
        p90_resolution: hours(100),
        ratings: 2,
        rating_sum: 5,
        overdue: 0,
    };
    let agencies = store.dashboard_agency_figures(&all, now).await.expect("agency figures failed");
    assert_eq!(agencies, [madi.clone(), oati.clone()]);
    assert_eq!(madi.on_time_share(), Some(4.0 / 6.0));
    assert_eq!(madi.average_rating(), Some(3.0));
    assert_eq!(oati.average_rating(), Some(2.5));

    // Overdue, longest first: R5 (due 11 Nov 21:00, 8 d 12 h late → 9 started days), R0 (due
    // 12 Nov 21:00 → 8), R14 (due 15 Nov 21:00 → 5).
    let overdue = store.dashboard_overdue_reports(None, now, 10).await.expect("overdue list failed");
    let listed: Vec<(String, &str, &str, i64)> =
        overdue.iter().map(|report| (report.number.clone(), report.agency.as_str(), report.category_code.as_str(), report.days_overdue)).collect();
    let expected: Vec<(String, &str, &str, i64)> = vec![
        (reports["R5"].number.to_string(), "madi", "parking_violation", 9),
        (reports["R0"].number.to_string(), "madi", "parking_violation", 8),
        (reports["R14"].number.to_string(), "madi", "bus_lane", 5),
    ];
    assert_eq!(listed, expected);
    assert_eq!(overdue[0].deadline_at, utc("2026-11-11T21:00:00Z"));
    assert_eq!(overdue[0].category_name, "Нарушение правил парковки");
    let limited = store.dashboard_overdue_reports(None, now, 2).await.expect("overdue list failed");
    assert_eq!(limited.len(), 2, "the limit is not applied");
    assert_eq!(limited[1].number, reports["R0"].number.to_string());

    // One minute after R14's deadline it is overdue by one started day.
    let just_late = store.dashboard_overdue_reports(Some("madi"), utc("2026-11-15T21:01:00Z"), 10).await.expect("overdue list failed");
    let r14 = just_late.iter().find(|report| report.number == reports["R14"].number.to_string()).expect("R14 is overdue after its deadline");
    assert_eq!(r14.days_overdue, 1);

    // The agency filter restricts every figure to oati's reports: R6 and R7 on the 11th, R11 on
    // the 12th.
    let oati_only = DashboardScope { agency: Some("oati".to_owned()), ..all.clone() };
    let daily = store.dashboard_daily_counts(&oati_only).await.expect("daily counts failed");
    assert_eq!(daily, [DailyCount { day: day("2026-11-11"), reports: 2 }, DailyCount { day: day("2026-11-12"), reports: 1 }]);
    let categories = store.dashboard_category_counts(&oati_only).await.expect("category counts failed");
    assert_eq!(categories, [count("parking_on_lawn", 2), count("landscaping_violation", 1)]);
    let districts = store.dashboard_district_counts(&oati_only).await.expect("district counts failed");
    assert_eq!(districts, [count("tverskoy", 2), count("arbat", 1)]);
    let agencies = store.dashboard_agency_figures(&oati_only, now).await.expect("agency figures failed");
    assert_eq!(agencies, [oati]);
    let overdue = store.dashboard_overdue_reports(Some("oati"), now, 10).await.expect("overdue list failed");
    assert!(overdue.is_empty(), "oati has no overdue report, got {overdue:?}");

    // An empty period has no figures, but the overdue count does not depend on the period.
    let empty = DashboardScope { from: utc("2026-10-01T21:00:00Z"), to: utc("2026-10-02T21:00:00Z"), agency: None };
    assert!(store.dashboard_daily_counts(&empty).await.expect("daily counts failed").is_empty());
    assert!(store.dashboard_category_counts(&empty).await.expect("category counts failed").is_empty());
    let agencies = store.dashboard_agency_figures(&empty, now).await.expect("agency figures failed");
    assert_eq!(agencies, [AgencyFigures { agency: "madi".to_owned(), overdue: 3, ..Default::default() }]);
}

fn count(code: &str, reports: i64) -> CodeCount {
    CodeCount { code: Some(code.to_owned()), reports }
}

async fn add_user(store: &Arc<dyn Store>, email: &str, role: Role) -> pomoshnik_store::User {
    let new_user = NewUser {
        email: email.to_owned(),
        password_hash: "hash".to_owned(),
        role,
        agency: None,
        district: None,
        confirmed: true,
        supervisor: false,
        created_at: utc("2026-01-15T12:00:00Z"),
    };
    store.create_user(&new_user).await.unwrap_or_else(|error| panic!("failed to create user {email}: {error}"))
}

/// A change of `report` from its current status to `to` that notifies no one.
fn change(report: &Report, actor_id: i64, to: Status, at: DateTime<Utc>) -> StatusChange {
    StatusChange {
        report_id: report.id,
        expected_version: report.version,
        actor_id,
        actor_role: Role::Moderator,
        from: report.status,
        to,
        comment: None,
        decision: report.decision,
        rejection_reason: None,
        agency: report.agency.clone(),
        status_before_info_request: None,
        dispatched_at: report.dispatched_at,
        resolved_at: report.resolved_at,
        deadline_at: report.deadline_at,
        duplicate_of_id: None,
        notify_user_ids: Vec::new(),
        webhook_payload: None,
        at,
    }
}
