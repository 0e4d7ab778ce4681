//! The dashboard of administrators and agency supervisors, page and JSON API, on both backends:
//! who may open it, and figures that match reports filed and handled through the service.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use common::*;
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::role::Role;
use pomoshnik_geo::Location;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(with_service => dashboard_figures_and_access, flavor = "multi_thread", worker_threads = 2);

const TRADE_LAT: f64 = 55.7640;
const TRADE_LON: f64 = 37.6060;
const LITTER_LAT: f64 = 55.7601;
const LITTER_LON: f64 = 37.6186;

async fn dashboard_figures_and_access(service: &TestService) {
    let resident = service.resident("dashboard-resident@example.org").await;
    let moderator = service.user("dashboard-moderator@example.org", Role::Moderator, None).await;
    let madi_executor = service.user("dashboard-madi@example.org", Role::Executor, Some("madi")).await;
    let oati_executor = service.user("dashboard-oati@example.org", Role::Executor, Some("oati")).await;
    let admin = service.user("dashboard-admin@example.org", Role::Admin, None).await;
    service.add_supervisor("dashboard-madi-chief@example.org", "madi").await;
    let madi_chief = service.sign_in("dashboard-madi-chief@example.org").await;

    // Four reports: two trade reports on Tverskaya for madi (one resolved and rated 4, one in
    // progress), a litter report resolved by oati and rated 2, and a litter report not yet
    // dispatched. These categories need no photo.
    let resolved_madi = file(&resident, &trade_report()).await;
    let open_madi = file(&resident, &trade_report()).await;
    let resolved_oati = file(&resident, &litter_report(LITTER_LAT, LITTER_LON)).await;
    file(&resident, &litter_report(LITTER_LAT, LITTER_LON)).await;
    for (number, executor, agency) in [(&resolved_madi, &madi_executor, "madi"), (&open_madi, &madi_executor, "madi"), (&resolved_oati, &oati_executor, "oati")] {
        change(&moderator, number, json!({ "to": "under_review" })).await;
        change(&moderator, number, json!({ "to": "dispatched", "agency": agency })).await;
        if number == &open_madi {
            change(executor, number, json!({ "to": "in_progress" })).await;
        } else {
            change(executor, number, json!({ "to": "resolved", "decision": "fixed", "comment": "Устранено." })).await;
        }
    }
    for (number, score) in [(&resolved_madi, 4), (&resolved_oati, 2)] {
        let (status, body) = resident.post_json(&format!("/api/v1/reports/{number}/rating"), &json!({ "score": score })).await;
        assert_eq!(status, StatusCode::OK, "rating failed: {body}");
    }

    // Administrators see every agency.
    let (status, all) = admin.get_json("/api/v1/dashboard?days=7").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["total_reports"], 4);
    assert_eq!(all["agency"], Value::Null);
    let days = all["days"].as_array().expect("days is a list");
    assert_eq!(days.len(), 7, "seven days, today included");
    assert_eq!(days.iter().map(|day| day["reports"].as_i64().expect("a count")).sum::<i64>(), 4);
    assert_eq!(counts(&all["categories"]), [("unauthorized_trade".to_owned(), 2), ("uncleaned_litter_snow".to_owned(), 2)]);
    assert_eq!(all["categories"][0]["name"], "Несанкционированная торговля");
    let districts = district_counts(&all["districts"]);
    let mut expected_districts = vec![(district_of(service, TRADE_LAT, TRADE_LON), 2), (district_of(service, LITTER_LAT, LITTER_LON), 2)];
    expected_districts.sort();
    if expected_districts[0].0 == expected_districts[1].0 {
        expected_districts = vec![(expected_districts[0].0.clone(), 4)];
    }
    assert_eq!(districts, expected_districts);

    let agencies = all["agencies"].as_array().expect("agencies is a list");
    let codes: Vec<&str> = agencies.iter().map(|agency| agency["code"].as_str().expect("a code")).collect();
    assert_eq!(codes, ["madi", "oati"]);
    let madi = &agencies[0];
    assert_eq!((madi["assigned"].as_i64(), madi["answered"].as_i64(), madi["answered_on_time"].as_i64()), (Some(2), Some(1), Some(1)));
    assert_eq!(madi["on_time_share"], 1.0);
    // With one resolved report, the median and the 90th percentile are its resolution time.
    let madi_hours = resolution_hours(service, &resolved_madi).await;
    assert_hours(&madi["median_resolution_hours"], madi_hours);
    assert_hours(&madi["p90_resolution_hours"], madi_hours);
    assert_eq!((madi["ratings"].as_i64(), madi["average_rating"].as_f64()), (Some(1), Some(4.0)));
    assert_eq!(madi["overdue"], 0);
    let oati = &agencies[1];
    assert_eq!((oati["assigned"].as_i64(), oati["answered"].as_i64()), (Some(1), Some(1)));
    assert_hours(&oati["median_resolution_hours"], resolution_hours(service, &resolved_oati).await);
    assert_eq!((oati["ratings"].as_i64(), oati["average_rating"].as_f64()), (Some(1), Some(2.0)));
    assert_eq!(all["overdue"], json!([]), "nothing is past its deadline yet");

    // The administrator's filter limits every figure to one agency.
    let (status, filtered) = admin.get_json("/api/v1/dashboard?days=30&agency=oati").await;
    assert_eq!(status, StatusCode::OK, "{filtered}");
    assert_eq!(filtered["total_reports"], 1);
    assert_eq!(filtered["agencies"].as_array().map(Vec::len), Some(1));
    assert_eq!(filtered["agencies"][0]["code"], "oati");
    assert_eq!(filtered["days"].as_array().map(Vec::len), Some(30));

    // A supervisor sees only their agency, whatever the filter asks.
    let (status, own) = madi_chief.get_json("/api/v1/dashboard?days=7&agency=oati").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["agency"], "madi");
    assert_eq!(own["total_reports"], 2);
    assert_eq!(counts(&own["categories"]), [("unauthorized_trade".to_owned(), 2)]);
    let own_codes: Vec<&str> = own["agencies"].as_array().expect("agencies is a list").iter().map(|agency| agency["code"].as_str().expect("a code")).collect();
    assert_eq!(own_codes, ["madi"]);

    // Everyone else gets 404, as for a page that does not exist.
    for (who, client) in [("executor", &madi_executor), ("moderator", &moderator), ("resident", &resident)] {
        let (status, body) = client.get_json("/api/v1/dashboard").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} opened the dashboard: {body}");
    }

    // Invalid periods and agencies name the field at fault.
    for (query, code, field) in [
        ("days=8", "dashboard_days_invalid", "days"),
        ("from=2026-11-02&to=2026-11-01", "dashboard_period_reversed", "to"),
        ("from=01.11.2026&to=2026-11-30", "dashboard_date_invalid", "from"),
        ("agency=nowhere", "dashboard_agency_unknown", "agency"),
    ] {
        let (status, body) = admin.get_json(&format!("/api/v1/dashboard?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(error_code(&body), code, "{query}");
        assert_eq!(body["error"]["field"], field, "{query}");
    }

    // The page shows the same figures.
    let browser = service.browser();
    sign_in_with_form(service, &browser, "dashboard-admin@example.org", "/staff/queue").await;
    let (status, queue) = get_page(service, &browser, "/staff/queue").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(r#"href="/admin/dashboard""#), "administrators have no link to the dashboard");
    let (status, page) = get_page(service, &browser, "/admin/dashboard?days=7").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("подано: 4 обращения."), "the summary does not count 4 reports");
    let madi_row = row(&page, "agency-madi");
    assert!(madi_row.contains(r#"<td class="assigned">2</td>"#), "madi row: {madi_row}");
    assert!(madi_row.contains(r#"<td class="on-time">1 (100,0 %)</td>"#), "madi row: {madi_row}");
    assert!(madi_row.contains(r#"<td class="rating">4,0</td>"#), "madi row: {madi_row}");
    assert!(row(&page, "agency-oati").contains(r#"<td class="rating">2,0</td>"#), "oati row is missing its rating");
    assert!(page.contains("<svg"), "no district map");
    let district = district_of(service, TRADE_LAT, TRADE_LON);
    let district_count = if district == district_of(service, LITTER_LAT, LITTER_LON) { "4 обращения" } else { "2 обращения" };
    assert!(page.contains(&format!("<title>{district}: {district_count}</title>")), "the map has no title for {district}");
    assert!(page.contains(r#"<select id="agency" name="agency">"#), "administrators have no agency filter");

    let (status, page) = get_page(service, &browser, "/admin/dashboard?from=2026-11-02&to=2026-11-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Дата окончания периода раньше даты начала."), "the period error is not shown");

    let chief_browser = service.browser();
    sign_in_with_form(service, &chief_browser, "dashboard-madi-chief@example.org", "/staff/queue").await;
    let (status, page) = get_page(service, &chief_browser, "/admin/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"id="agency-madi""#), "the supervisor does not see madi");
    assert!(!page.contains(r#"id="agency-oati""#), "the supervisor sees another agency");
    assert!(!page.contains(r#"name="agency""#), "the supervisor got an agency filter");
    assert!(page.contains("подано: 2 обращения."), "the supervisor's summary does not count madi's 2 reports");

    for email in ["dashboard-madi@example.org", "dashboard-resident@example.org"] {
        let other = service.browser();
        let next = if email.contains("resident") { "/my/reports" } else { "/staff/queue" };
        sign_in_with_form(service, &other, email, next).await;
        let (status, _) = get_page(service, &other, "/admin/dashboard").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{email} opened the dashboard page");
        let (_, home) = get_page(service, &other, next).await;
        assert!(!home.contains(r#"href="/admin/dashboard""#), "{email} has a link to the dashboard");
    }
}

/// Builds an `unauthorized_trade` report on Tverskaya Street, for madi in this test.
fn trade_report() -> Value {
    let mut report = litter_report(TRADE_LAT, TRADE_LON);
    report["category"] = "unauthorized_trade".into();
    report
}

async fn file(resident: &ApiClient, report: &Value) -> String {
    let (status, body) = resident.file_report(report, &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    body["number"].as_str().expect("the response has a number").to_owned()
}

async fn change(client: &ApiClient, number: &str, body: Value) {
    let (status, response) = client.transition(number, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "change {body} of {number} failed: {response}");
}

/// Hours from dispatch to resolution of a report, from the store.
/// Checks a number of hours read from JSON. serde_json may parse a float one unit in the last
/// place away from the value written, so the comparison allows a relative error of 1e-12.
fn assert_hours(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("{actual} is not a number of hours"));
    assert!((actual - expected).abs() <= expected.abs() * 1e-12, "{actual} hours, expected {expected}");
}

async fn resolution_hours(service: &TestService, number: &str) -> f64 {
    let number: ReportNumber = number.parse().expect("a valid report number");
    let report = service.state.store.report(&number).await.expect("report lookup failed").expect("the report exists");
    let dispatched = report.dispatched_at.expect("the report was dispatched");
    let resolved = report.resolved_at.expect("the report was resolved");
    (resolved - dispatched).num_milliseconds() as f64 / 3_600_000.0
}

fn district_of(service: &TestService, lat: f64, lon: f64) -> String {
    match service.state.city.locate(lat, lon) {
        Location::Inside { district, .. } => district.name.clone(),
        other => panic!("{lat}, {lon} is not inside a district: {other:?}"),
    }
}

fn counts(list: &Value) -> Vec<(String, i64)> {
    let items = list.as_array().unwrap_or_else(|| panic!("not a list: {list}"));
    items.iter().map(|item| (item["code"].as_str().expect("a code").to_owned(), item["reports"].as_i64().expect("a count"))).collect()
}

fn district_counts(list: &Value) -> Vec<(String, i64)> {
    let items = list.as_array().unwrap_or_else(|| panic!("not a list: {list}"));
    let mut counts: Vec<(String, i64)> = items.iter().map(|item| (item["name"].as_str().expect("a name").to_owned(), item["reports"].as_i64().expect("a count"))).collect();
    counts.sort();
    counts
}

/// Returns the HTML of the table row with this id.
fn row<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!(r#"<tr id="{id}">"#)).unwrap_or_else(|| panic!("the page has no row {id}"));
    let end = start + page[start..].find("</tr>").expect("the row is closed");
    &page[start..end]
}
