//! Service requests: filing a report with an API key, the public list and card of reports, tokens
//! and the status history (`servicerequestupdates`).
//!
//! Public views carry no personal data and never name the author. Categories marked
//! `personal_data` in the catalog identify vehicles by their plates, so their reports also show
//! neither the description, the field values nor staff comments: any of them may contain a plate.
//! Coordinates and the address stay exact in every category: they locate the problem, which
//! GeoReport v2 clients need to show it on a map.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::status::{RejectionReason, Status};
use pomoshnik_core::validation::ReportDraft;
use pomoshnik_store::{EventRange, Report, ReportEvent, ReportEventEntry, ReportFilter};

use super::Params;
use super::clients::authenticate;
use super::errors::Open311Error;
use super::format::{Document, Value};
use crate::i18n::{Arg, Tr};
use crate::reports::{self, Submission};
use crate::state::AppState;

/// Period a list covers when the request names no `start_date`: the 90 days before `end_date`,
/// the default GeoReport v2 suggests.
pub const DEFAULT_PERIOD: Duration = Duration::days(90);

/// Maximum results in one response and the default `page_size`, as GeoReport v2 suggests.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// The two statuses of GeoReport v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicStatus {
    Open,
    Closed,
}

impl PublicStatus {
    pub fn code(self) -> &'static str {
        match self {
            PublicStatus::Open => "open",
            PublicStatus::Closed => "closed",
        }
    }

    fn from_code(code: &str) -> Option<PublicStatus> {
        [PublicStatus::Open, PublicStatus::Closed].into_iter().find(|status| status.code() == code)
    }

    /// Our statuses that this one covers.
    pub fn statuses(self) -> Vec<Status> {
        Status::ALL.into_iter().filter(|status| public_status(*status) == self).collect()
    }
}

/// Maps a status to GeoReport v2: a report is open while the city still owes a response
/// (waiting for the resident's details counts as open), closed once resolved, rejected or
/// closed.
pub fn public_status(status: Status) -> PublicStatus {
    match status {
        Status::Accepted | Status::UnderReview | Status::Dispatched | Status::InProgress | Status::InfoRequested | Status::Reopened => {
            PublicStatus::Open
        }
        Status::Resolved | Status::Rejected | Status::Closed => PublicStatus::Closed,
    }
}

/// Returns whether the report's category identifies people or vehicles. A category no longer in the
/// catalog counts as one, so that nothing private leaks after a catalog change.
fn is_personal(catalog: &Catalog, category_code: &str) -> bool {
    catalog.category(category_code).is_none_or(|category| category.personal_data)
}

/// `POST requests`: files a report for the client account of the API key.
pub async fn create(state: &AppState, params: &Params) -> Result<Document, Open311Error> {
    params.check_jurisdiction()?;
    let (api_key, account) = authenticate(state.store.as_ref(), params.get("api_key")).await?;

    if params.get("media_url").is_some() {
        return Err(Open311Error::bad_request("media_url_not_supported"));
    }
    let Some(service_code) = params.get("service_code") else {
        return Err(Open311Error::bad_request("service_code_required"));
    };
    let catalog = state.store.catalog().await?;
    let Some(category) = catalog.category(service_code) else {
        return Err(Open311Error::not_found("category_unknown"));
    };

    let fields = attribute_values(params)?;
    if let Some(unknown) = fields.keys().find(|code| !category.fields.iter().any(|field| &field.code == *code)) {
        return Err(Open311Error::with_args(StatusCode::BAD_REQUEST, "attribute_unknown", &[("code", unknown.clone())]));
    }

    let draft = ReportDraft {
        latitude: coordinate(params, "lat")?,
        longitude: coordinate(params, "long")?,
        address: params.get("address_string").map(str::to_owned),
        // GeoReport v2 has no time of the incident: the submission time stands for it.
        occurred_at: Some(Utc::now()),
        description: params.get("description").unwrap_or_default().to_owned(),
        fields,
        photos: 0,
        videos: 0,
    };
    let submission = Submission { category: category.code.clone(), draft, files: Vec::new(), idempotency_key: None };
    let created = reports::submit(state, &account, submission).await?;
    let report = created.report();
    tracing::info!(report.number = %report.number, api_key.id = api_key.id, "report filed through Open311");

    let notice = Tr.t_with("open311-service-notice", &[("days", Arg::Number(i64::from(report.deadline_working_days)))]);
    let request = Value::Record(vec![
        ("service_request_id", Value::text(report.number.to_string())),
        ("service_notice", Value::text(notice)),
        ("account_id", Value::Null),
    ]);
    Ok(Document::new("service_requests", Value::List("request", vec![request])))
}

/// Reads `attribute[code]=value` parameters. A list field may repeat its code or use
/// `attribute[code][]`; several values are joined with commas, as the validation expects.
fn attribute_values(params: &Params) -> Result<BTreeMap<String, String>, Open311Error> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in &params.0 {
        let Some(rest) = key.strip_prefix("attribute[") else { continue };
        let code = match rest.split_once(']') {
            Some((code, "" | "[]")) if !code.is_empty() => code,
            _ => return Err(Open311Error::with_args(StatusCode::BAD_REQUEST, "attribute_unknown", &[("code", key.clone())])),
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        fields.entry(code.to_owned()).and_modify(|joined| *joined = format!("{joined},{value}")).or_insert_with(|| value.to_owned());
    }
    Ok(fields)
}

/// Parses `lat` or `long`. A value that is not a number is rejected here with the code the
/// validation uses for coordinates out of range.
fn coordinate(params: &Params, name: &str) -> Result<Option<f64>, Open311Error> {
    match params.get(name) {
        None => Ok(None),
        Some(text) => text.parse::<f64>().map(Some).map_err(|_| Open311Error::bad_request("location_invalid")),
    }
}

/// `GET requests`: reports by number, or filed within a period, with filters and pages.
pub async fn list(state: &AppState, params: &Params) -> Result<Document, Open311Error> {
    params.check_jurisdiction()?;
    let catalog = state.store.catalog().await?;

    let numbers = params.list("service_request_id");
    let reports = if numbers.is_empty() {
        let filter = report_filter(params, &catalog, Utc::now())?;
        state.store.filtered_reports(&filter).await?
    } else {
        // GeoReport v2: listed ids override every other filter.
        reports_by_number(state, &numbers).await?
    };
    request_list(state, &catalog, &reports, params.extensions()).await
}

/// `GET requests/{id}`: one report, as a list of one.
pub async fn show(state: &AppState, params: &Params, id: &str) -> Result<Document, Open311Error> {
    params.check_jurisdiction()?;
    let catalog = state.store.catalog().await?;
    let report = find_report(state, id).await?;
    request_list(state, &catalog, &[report], params.extensions()).await
}

/// `GET tokens/{id}`: reports are numbered while the client waits, so the token is the report
/// number itself.
pub async fn token(state: &AppState, params: &Params, id: &str) -> Result<Document, Open311Error> {
    params.check_jurisdiction()?;
    let report = find_report(state, id).await?;
    let number = report.number.to_string();
    let request = Value::Record(vec![("service_request_id", Value::text(&number)), ("token", Value::text(number))]);
    Ok(Document::new("service_requests", Value::List("request", vec![request])))
}

/// `GET servicerequestupdates`: status changes of all reports within the period, oldest first.
pub async fn updates(state: &AppState, params: &Params) -> Result<Document, Open311Error> {
    params.check_jurisdiction()?;
    let catalog = state.store.catalog().await?;
    let (since, until) = period(params, Utc::now())?;
    let (offset, limit) = page(params)?;

    let entries = state.store.events_in_range(&EventRange { since, until, offset, limit }).await?;
    let updates = entries.iter().map(|entry| update_value(&catalog, entry, params.extensions())).collect();
    Ok(Document::new("service_request_updates", Value::List("request_update", updates)))
}

async fn find_report(state: &AppState, id: &str) -> Result<Report, Open311Error> {
    let number: ReportNumber = id.parse().map_err(|_| Open311Error::not_found("not_found"))?;
    state.store.report(&number).await?.ok_or_else(|| Open311Error::not_found("not_found"))
}

async fn reports_by_number(state: &AppState, numbers: &[&str]) -> Result<Vec<Report>, Open311Error> {
    let mut seen = HashSet::new();
    let unique: Vec<&str> = numbers.iter().copied().filter(|number| seen.insert(*number)).collect();
    if unique.len() as i64 > MAX_PAGE_SIZE {
        return Err(Open311Error::with_args(StatusCode::BAD_REQUEST, "too_many_request_ids", &[("max", MAX_PAGE_SIZE.to_string())]));
    }

    let mut reports = Vec::with_capacity(unique.len());
    for text in unique {
        // A malformed number cannot name a report, the same as a number never issued.
        let Ok(number) = text.parse::<ReportNumber>() else { continue };
        if let Some(report) = state.store.report(&number).await? {
            reports.push(report);
        }
    }
    Ok(reports)
}

/// Builds the filter of `GET requests` from its parameters.
fn report_filter(params: &Params, catalog: &Catalog, now: DateTime<Utc>) -> Result<ReportFilter, Open311Error> {
    let mut categories = Vec::new();
    for code in params.list("service_code") {
        if catalog.category(code).is_none() {
            return Err(Open311Error::not_found("category_unknown"));
        }
        categories.push(code.to_owned());
    }

    let mut wanted = Vec::new();
    for code in params.list("status") {
        let status = PublicStatus::from_code(&code.to_ascii_lowercase()).ok_or_else(|| Open311Error::bad_request("status_filter_invalid"))?;
        if !wanted.contains(&status) {
            wanted.push(status);
        }
    }
    // Both open and closed select everything, the same as no filter.
    let statuses = if wanted.len() == 1 { wanted[0].statuses() } else { Vec::new() };

    let (created_from, created_until) = period(params, now)?;
    let (offset, limit) = page(params)?;
    Ok(ReportFilter { categories, statuses, created_from, created_until, offset, limit })
}

/// Reads `start_date` and `end_date`. Without `end_date` the period ends now, or at
/// `start_date` when that lies in the future, so that the list is empty instead of an error.
/// Without `start_date` it begins [`DEFAULT_PERIOD`] before the end.
fn period(params: &Params, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), Open311Error> {
    let read = |name: &str| params.get(name).map(|text| parse_w3c_datetime(text).ok_or_else(|| date_error(name))).transpose();
    let start = read("start_date")?;
    let end = read("end_date")?;

    let until = end.unwrap_or_else(|| start.map_or(now, |start| start.max(now)));
    let since = start.unwrap_or(until - DEFAULT_PERIOD);
    if since > until {
        return Err(Open311Error::bad_request("date_range_invalid"));
    }
    Ok((since, until))
}

fn date_error(param: &str) -> Open311Error {
    Open311Error::with_args(StatusCode::BAD_REQUEST, "date_invalid", &[("param", param.to_owned())])
}

/// Parses a W3C date and time with a time zone: seconds and their fractions are optional.
/// An unencoded `+` of the offset arrives as a space in a query string, so a space is read as
/// `+` when the text does not parse as it is.
pub fn parse_w3c_datetime(text: &str) -> Option<DateTime<Utc>> {
    let parse = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .or_else(|_| DateTime::parse_from_str(&text.replace('Z', "+00:00"), "%Y-%m-%dT%H:%M%:z"))
            .ok()
            .map(|time| time.with_timezone(&Utc))
    };
    parse(text).or_else(|| parse(&text.replace(' ', "+")))
}

/// Reads `page` (from 1) and `page_size` (1 to [`MAX_PAGE_SIZE`], default the maximum) and
/// returns the offset and limit.
fn page(params: &Params) -> Result<(i64, i64), Open311Error> {
    let invalid = || Open311Error::with_args(StatusCode::BAD_REQUEST, "page_invalid", &[("max", MAX_PAGE_SIZE.to_string())]);
    let number = |name: &str, default: i64| params.get(name).map_or(Ok(default), |text| text.parse::<i64>().map_err(|_| invalid()));

    let page = number("page", 1)?;
    let size = number("page_size", MAX_PAGE_SIZE)?;
    if page < 1 || !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(invalid());
    }
    let offset = (page - 1).checked_mul(size).ok_or_else(invalid)?;
    Ok((offset, size))
}

async fn request_list(state: &AppState, catalog: &Catalog, reports: &[Report], extensions: bool) -> Result<Document, Open311Error> {
    let public_ids: Vec<i64> = reports.iter().filter(|report| !is_personal(catalog, &report.category_code)).map(|report| report.id).collect();
    // Comments come in the order they were written, so the last one per report stays.
    let notes: HashMap<i64, String> = state.store.staff_comments(&public_ids).await?.into_iter().collect();

    let requests = reports.iter().map(|report| request_value(catalog, report, notes.get(&report.id).map(String::as_str), extensions)).collect();
    Ok(Document::new("service_requests", Value::List("request", requests)))
}

/// Builds a report as GeoReport v2 shows it. `status_notes` is the last staff comment, which the caller
/// loads only for categories without personal data.
fn request_value(catalog: &Catalog, report: &Report, status_notes: Option<&str>, extensions: bool) -> Value {
    let personal = is_personal(catalog, &report.category_code);
    let status = public_status(report.status);
    let agency_code = report.agency.clone().or_else(|| catalog.category(&report.category_code).map(|category| category.agency.clone()));
    let agency_name = agency_code.map(|code| catalog.agency(&code).map_or(code, |agency| agency.name.clone()));
    // A report rejected as abusive keeps its text out of public view as well.
    // NOTE: other descriptions are public from filing on, before a moderator has screened them.
    let description_public = !personal && report.rejection_reason != Some(RejectionReason::Abusive);

    let mut fields = vec![
        ("service_request_id", Value::text(report.number.to_string())),
        ("status", Value::text(status.code())),
        ("status_notes", Value::optional_text(status_notes.filter(|_| !personal))),
        ("service_name", Value::text(&report.category_name)),
        ("service_code", Value::text(&report.category_code)),
        ("description", Value::optional_text(Some(&report.description).filter(|_| description_public))),
        ("agency_responsible", Value::optional_text(agency_name)),
        ("service_notice", Value::Null),
        ("requested_datetime", Value::datetime(report.created_at)),
        ("updated_datetime", Value::datetime(report.updated_at)),
        ("expected_datetime", Value::optional_datetime(report.deadline_at.filter(|_| status == PublicStatus::Open))),
        ("address", Value::optional_text(report.address.as_deref())),
        ("address_id", Value::Null),
        ("zipcode", Value::Null),
        ("lat", Value::Number(report.latitude)),
        ("long", Value::Number(report.longitude)),
        ("media_url", Value::Null),
    ];
    if extensions {
        let attributes = if personal { Vec::new() } else { attribute_list(catalog, report) };
        let mut extended = detailed_status(report.status, report.decision, report.rejection_reason);
        extended.push(("attributes", Value::List("attribute", attributes)));
        fields.push(("extended_attributes", Value::Record(extended)));
    }
    Value::Record(fields)
}

/// Lists the fields beyond GeoReport v2 that `extensions=true` adds: our status and outcome codes with
/// their Russian names.
fn detailed_status(
    status: Status,
    decision: Option<pomoshnik_core::status::Decision>,
    reason: Option<RejectionReason>,
) -> Vec<(&'static str, Value)> {
    vec![
        ("detailed_status", Value::text(status.code())),
        ("detailed_status_name", Value::text(Tr.status(status))),
        ("decision", Value::optional_text(decision.map(|decision| decision.code()))),
        ("decision_name", Value::optional_text(decision.map(|decision| Tr.decision(decision)))),
        ("rejection_reason", Value::optional_text(reason.map(|reason| reason.code()))),
        ("rejection_reason_name", Value::optional_text(reason.map(|reason| Tr.reason(reason)))),
    ]
}

/// Lists the report's field values in the category's order, with the label and, for list fields, the
/// name of the chosen value.
fn attribute_list(catalog: &Catalog, report: &Report) -> Vec<Value> {
    let Some(category) = catalog.category(&report.category_code) else { return Vec::new() };
    category
        .fields
        .iter()
        .filter_map(|field| {
            let value = report.fields.get(&field.code)?;
            let value_name = field.values.iter().find(|allowed| &allowed.key == value).map(|allowed| allowed.name.clone());
            Some(Value::Record(vec![
                ("code", Value::text(&field.code)),
                ("description", Value::text(&field.label)),
                ("value", Value::text(value)),
                ("value_name", Value::optional_text(value_name)),
            ]))
        })
        .collect()
}

fn update_value(catalog: &Catalog, entry: &ReportEventEntry, extensions: bool) -> Value {
    let event: &ReportEvent = &entry.event;
    let public_comment = event.comment.as_deref().filter(|_| event.actor_role.is_staff() && !is_personal(catalog, &entry.category_code));
    let description = public_comment.map_or_else(|| Tr.status(event.to_status), str::to_owned);

    let mut fields = vec![
        ("update_id", Value::text(event.id.to_string())),
        ("service_request_id", Value::text(entry.report_number.to_string())),
        ("status", Value::text(public_status(event.to_status).code())),
        ("updated_datetime", Value::datetime(event.created_at)),
        ("description", Value::text(description)),
        ("media_url", Value::Null),
    ];
    if extensions {
        let decision = event.decision.filter(|_| event.to_status == Status::Resolved);
        let reason = event.rejection_reason.filter(|_| event.to_status == Status::Rejected);
        fields.push(("extended_attributes", Value::Record(detailed_status(event.to_status, decision, reason))));
    }
    Value::Record(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect())
    }

    fn now() -> DateTime<Utc> {
        "2026-12-04T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn open_statuses_await_the_city() {
        let open = [Status::Accepted, Status::UnderReview, Status::Dispatched, Status::InProgress, Status::InfoRequested, Status::Reopened];
        for status in open {
            assert_eq!(public_status(status), PublicStatus::Open, "{status:?}");
        }
    }

    #[test]
    fn closed_statuses_are_final_answers() {
        for status in [Status::Resolved, Status::Rejected, Status::Closed] {
            assert_eq!(public_status(status), PublicStatus::Closed, "{status:?}");
        }
    }

    #[test]
    fn public_statuses_cover_every_status_once() {
        let mut covered = PublicStatus::Open.statuses();
        covered.extend(PublicStatus::Closed.statuses());
        covered.sort_by_key(|status| status.code());
        let mut all = Status::ALL.to_vec();
        all.sort_by_key(|status| status.code());
        assert_eq!(covered, all);
    }

    #[test]
    fn filter_defaults_to_ninety_days() {
        let filter = report_filter(&params(&[]), &Catalog::moscow_default(), now()).unwrap();
        assert_eq!(filter.created_until, now());
        assert_eq!(filter.created_from, now() - Duration::days(90));
        assert_eq!((filter.offset, filter.limit), (0, 1000));
        assert!(filter.categories.is_empty());
        assert!(filter.statuses.is_empty());
    }

    #[test]
    fn future_start_date_gives_an_empty_period() {
        let start = now() + Duration::hours(1);
        let query = params(&[("start_date", "2026-12-04T16:00:00+03:00")]);
        assert_eq!(period(&query, now()).unwrap(), (start, start));
    }

    #[test]
    fn filter_reads_status_codes_and_pages() {
        let query = params(&[("status", "Closed"), ("service_code", "bus_lane,uncleaned_litter_snow"), ("page", "3"), ("page_size", "10")]);
        let filter = report_filter(&query, &Catalog::moscow_default(), now()).unwrap();
        assert_eq!(filter.statuses, [Status::Resolved, Status::Rejected, Status::Closed]);
        assert_eq!(filter.categories, ["bus_lane", "uncleaned_litter_snow"]);
        assert_eq!((filter.offset, filter.limit), (20, 10));

        let both = report_filter(&params(&[("status", "open,closed")]), &Catalog::moscow_default(), now()).unwrap();
        assert!(both.statuses.is_empty());
    }

    #[test]
    fn filter_rejects_bad_parameters() {
        let catalog = Catalog::moscow_default();
        let cases: [(&[(&str, &str)], StatusCode, &str); 7] = [
            (&[("status", "pending")], StatusCode::BAD_REQUEST, "status_filter_invalid"),
            (&[("service_code", "potholes")], StatusCode::NOT_FOUND, "category_unknown"),
            (&[("start_date", "04.12.2026")], StatusCode::BAD_REQUEST, "date_invalid"),
            (&[("start_date", "2026-12-04T10:00:00+03:00"), ("end_date", "2026-12-01T10:00:00+03:00")], StatusCode::BAD_REQUEST, "date_range_invalid"),
            (&[("page", "0")], StatusCode::BAD_REQUEST, "page_invalid"),
            (&[("page_size", "1001")], StatusCode::BAD_REQUEST, "page_invalid"),
            (&[("page", "9223372036854775807"), ("page_size", "1000")], StatusCode::BAD_REQUEST, "page_invalid"),
        ];
        for (query, status, code) in cases {
            let error = report_filter(&params(query), &catalog, now()).unwrap_err();
            assert_eq!(error.status, status, "{query:?}");
            assert_eq!(error.errors[0].code, code, "{query:?}");
        }
    }

    #[test]
    fn w3c_datetimes_need_a_time_zone() {
        let expected: DateTime<Utc> = "2026-12-04T07:00:00Z".parse().unwrap();
        assert_eq!(parse_w3c_datetime("2026-12-04T10:00:00+03:00"), Some(expected));
        assert_eq!(parse_w3c_datetime("2026-12-04T10:00+03:00"), Some(expected));
        assert_eq!(parse_w3c_datetime("2026-12-04T07:00Z"), Some(expected));
        assert_eq!(parse_w3c_datetime("2026-12-04T10:00:00 03:00"), Some(expected));
        assert_eq!(parse_w3c_datetime("2026-12-04T10:00:00"), None);
        assert_eq!(parse_w3c_datetime("2026-12-04"), None);
    }

    #[test]
    fn attributes_accept_repeated_and_bracketed_codes() {
        let query = params(&[("attribute[object_type]", "bench"), ("attribute[kinds][]", "a"), ("attribute[kinds][]", "b"), ("attribute[empty]", " ")]);
        let fields = attribute_values(&query).unwrap();
        assert_eq!(fields.get("object_type").map(String::as_str), Some("bench"));
        assert_eq!(fields.get("kinds").map(String::as_str), Some("a,b"));
        assert!(!fields.contains_key("empty"));

        let error = attribute_values(&params(&[("attribute[]", "x")])).unwrap_err();
        assert_eq!(error.errors[0].code, "attribute_unknown");
    }
}
