//! The JSON body posted to an agency's systems when a report is dispatched to the agency.
//! docs/WEBHOOKS.md describes the fields, the signature and what the agency sends back.
//!
//! The body carries what the agency needs to act: the place, the problem, the category's own
//! fields (such as a vehicle's plate), the photos and the deadline. It leaves out who filed the
//! report: questions to the resident go through the service (`info_requested`), so the
//! agency needs neither the name nor the e-mail address.

use chrono::{DateTime, Utc};
use pomoshnik_store::{FileRecord, Report, StatusChange};
use serde::Serialize;
use std::collections::BTreeMap;

/// Value of `event` in the body of a dispatch.
pub const DISPATCH_EVENT: &str = "report.dispatched";

#[derive(Debug, Serialize)]
struct DispatchBody<'a> {
    event: &'static str,
    /// The agency the report is dispatched to.
    agency: &'a str,
    /// The moderator's comment on the dispatch, if any.
    comment: Option<&'a str>,
    report: ReportBody<'a>,
    /// Where the agency sends status changes back, with its API key as a bearer token.
    transitions_url: String,
}

#[derive(Debug, Serialize)]
struct ReportBody<'a> {
    number: String,
    url: String,
    category: Category<'a>,
    description: &'a str,
    address: Option<&'a str>,
    location: Location,
    district: Option<Area<'a>>,
    okrug: Option<Area<'a>>,
    /// The category's own fields, such as `plate` for parking violations.
    fields: &'a BTreeMap<String, String>,
    occurred_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    dispatched_at: Option<DateTime<Utc>>,
    deadline_at: Option<DateTime<Utc>>,
    files: Vec<File<'a>>,
}

#[derive(Debug, Serialize)]
struct Category<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct Location {
    lat: f64,
    lon: f64,
}

#[derive(Debug, Serialize)]
struct Area<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct File<'a> {
    /// Download address; the agency's API key opens it.
    url: String,
    kind: &'a str,
    size: i64,
    sha256: &'a str,
}

/// Builds the body for `change`, which dispatches `report` (as it was before the change) to
/// `change.agency`. `public_url` is the service's address without a trailing slash.
pub fn dispatch_payload(public_url: &str, report: &Report, change: &StatusChange, files: &[FileRecord]) -> String {
    let number = report.number.to_string();
    let api_url = format!("{public_url}/api/v1/reports/{number}");
    let body = DispatchBody {
        event: DISPATCH_EVENT,
        agency: change.agency.as_deref().unwrap_or_default(),
        comment: change.comment.as_deref(),
        report: ReportBody {
            url: api_url.clone(),
            category: Category { code: &report.category_code, name: &report.category_name },
            description: &report.description,
            address: report.address.as_deref(),
            location: Location { lat: report.latitude, lon: report.longitude },
            district: report.area.as_ref().map(|area| Area { code: &area.district_code, name: &area.district_name }),
            okrug: report.area.as_ref().map(|area| Area { code: &area.okrug_code, name: &area.okrug_name }),
            fields: &report.fields,
            occurred_at: report.occurred_at,
            created_at: report.created_at,
            dispatched_at: change.dispatched_at,
            deadline_at: change.deadline_at,
            files: files
                .iter()
                .map(|file| File { url: format!("{api_url}/files/{}", file.id), kind: &file.kind, size: file.size, sha256: &file.sha256 })
                .collect(),
            number,
        },
        transitions_url: format!("{api_url}/transitions"),
    };
    serde_json::to_string(&body).expect("the dispatch body has only serializable fields")
}
