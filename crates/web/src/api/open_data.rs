//! Open data: reports of a period as CSV or GeoJSON, without anything that identifies a person or
//! a vehicle. Everyone may export the last 90 days; administrators may export any period.
//!
//! The export leaves out the author, the description, the address and the category's own fields
//! (plates among them). It rounds coordinates to three decimal places (about 110 m north–south and
//! 65 m east–west in Moscow), so that a report about a courtyard does not point at one entrance.
//! The body is streamed one page of reports at a time, so a million rows take as much
//! memory as one page.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Days, NaiveDate, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::deadline::CITY_TIME_ZONE;
use pomoshnik_core::role::Role;
use pomoshnik_store::{FiledPage, Report, Store};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

use super::extract::ApiQuery;
use crate::auth::MaybeApiUser;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::moscow_midnight;

/// Days of the period everyone may export, today included.
const PUBLIC_DAYS: u64 = 90;

/// Reports read from the store for each streamed chunk.
const PAGE_SIZE: i64 = 1_000;

/// Columns of the CSV export and properties of the GeoJSON features, in this order.
const COLUMNS: [&str; 13] = [
    "number",
    "created_at",
    "category_code",
    "category_name",
    "service_area",
    "status",
    "status_name",
    "agency_code",
    "district",
    "okrug",
    "latitude",
    "longitude",
    "resolved_at",
];

#[derive(Deserialize)]
pub struct ExportParameters {
    /// `csv` (the default) or `geojson`.
    format: Option<String>,
    /// First day of the period, `YYYY-MM-DD`, Moscow time.
    from: Option<String>,
    /// Last day of the period, included.
    to: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    GeoJson,
}

fn parse_day(text: Option<&str>, field: &str) -> Result<Option<NaiveDate>, ApiError> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else { return Ok(None) };
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Some).map_err(|_| ApiError::bad_request("open_data_date_invalid").with_field(field))
}

/// Streams the reports filed in a period as CSV or GeoJSON.
pub async fn reports(State(state): State<AppState>, MaybeApiUser(signed): MaybeApiUser, ApiQuery(parameters): ApiQuery<ExportParameters>) -> Result<Response, ApiError> {
    let format = match parameters.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "geojson" => Format::GeoJson,
        _ => return Err(ApiError::bad_request("open_data_format_invalid").with_field("format")),
    };
    let today = Utc::now().with_timezone(&CITY_TIME_ZONE).date_naive();
    let earliest_public = today - Days::new(PUBLIC_DAYS - 1);
    let last = parse_day(parameters.to.as_deref(), "to")?.unwrap_or(today);
    let first = parse_day(parameters.from.as_deref(), "from")?.unwrap_or(earliest_public.min(last));
    if first > last {
        return Err(ApiError::bad_request("open_data_period_reversed").with_field("from"));
    }
    let administrator = signed.as_ref().is_some_and(|signed| signed.user.role == Role::Admin);
    if first < earliest_public && !administrator {
        let mut error = ApiError::new(StatusCode::FORBIDDEN, "open_data_period_restricted").with_field("from");
        error.problem.message = Tr.t_with("error-open_data_period_restricted", &[("earliest", earliest_public.format("%d.%m.%Y").to_string().into())]);
        return Err(error);
    }

    let catalog = state.store.catalog().await?;
    let page = FiledPage { from: moscow_midnight(first), until: moscow_midnight(last + Days::new(1)), after: None, limit: PAGE_SIZE };
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::GeoJson => ("application/geo+json", "geojson"),
    };
    let file_name = format!("pomoshnik-reports-{first}-{last}.{extension}");
    let body = Body::from_stream(export_stream(state.store.clone(), Arc::new(catalog), page, format));
    Ok(([(CONTENT_TYPE, content_type.to_owned()), (CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\""))], body).into_response())
}

/// Progress of an export between two chunks.
struct Position {
    page: FiledPage,
    started: bool,
    finished: bool,
}

/// Streams the header, one chunk per page of reports, and the closing bytes.
fn export_stream(store: Arc<dyn Store>, catalog: Arc<Catalog>, page: FiledPage, format: Format) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let position = Position { page, started: false, finished: false };
    futures_util::stream::try_unfold(position, move |mut position| {
        let store = store.clone();
        let catalog = catalog.clone();
        async move {
            if position.finished {
                return Ok(None);
            }
            let mut chunk = String::new();
            if !position.started {
                position.started = true;
                chunk.push_str(&match format {
                    // The byte order mark makes spreadsheet programs read the file as UTF-8.
                    Format::Csv => format!("\u{feff}{}\r\n", COLUMNS.join(",")),
                    Format::GeoJson => "{\"type\":\"FeatureCollection\",\"features\":[".to_owned(),
                });
            }
            let reports = store.reports_filed_between(&position.page).await.map_err(|error| {
                tracing::error!(%error, "open data export failed");
                std::io::Error::other(error)
            })?;
            let continues = position.page.after.is_some();
            for (index, report) in reports.iter().enumerate() {
                let values = row(report, &catalog);
                match format {
                    Format::Csv => {
                        let line: Vec<String> = values.iter().map(|value| csv_field(value)).collect();
                        chunk.push_str(&line.join(","));
                        chunk.push_str("\r\n");
                    }
                    Format::GeoJson => {
                        if continues || index > 0 {
                            chunk.push(',');
                        }
                        chunk.push_str(&feature(report, &values).to_string());
                    }
                }
            }
            match reports.last() {
                Some(last) if reports.len() as i64 == position.page.limit => position.page.after = Some((last.created_at, last.id)),
                Some(last) => {
                    position.page.after = Some((last.created_at, last.id));
                    position.finished = true;
                }
                None => position.finished = true,
            }
            if position.finished && format == Format::GeoJson {
                chunk.push_str("]}");
            }
            Ok(Some((Bytes::from(chunk), position)))
        }
    })
}

/// Rounds a coordinate to the export's precision.
fn coarse(degrees: f64) -> String {
    format!("{degrees:.3}")
}

/// Returns the exported values of a report, in the order of [`COLUMNS`].
fn row(report: &Report, catalog: &Catalog) -> [String; 13] {
    let area = catalog
        .categories
        .iter()
        .find(|category| category.code == report.category_code)
        .and_then(|category| catalog.groups.iter().find(|group| group.code == category.group))
        .map(|group| group.name.clone())
        .unwrap_or_default();
    let moscow = |time: DateTime<Utc>| time.with_timezone(&CITY_TIME_ZONE).to_rfc3339();
    [
        report.number.to_string(),
        moscow(report.created_at),
        report.category_code.clone(),
        report.category_name.clone(),
        area,
        report.status.code().to_owned(),
        Tr.status(report.status),
        report.agency.clone().unwrap_or_default(),
        report.area.as_ref().map(|area| area.district_name.clone()).unwrap_or_default(),
        report.area.as_ref().map(|area| area.okrug_name.clone()).unwrap_or_default(),
        coarse(report.latitude),
        coarse(report.longitude),
        report.resolved_at.map(moscow).unwrap_or_default(),
    ]
}

/// Quotes a CSV field that contains a separator, a quote or a line break (RFC 4180).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn feature(report: &Report, values: &[String; 13]) -> serde_json::Value {
    let properties: serde_json::Map<String, serde_json::Value> = COLUMNS
        .iter()
        .zip(values)
        .filter(|(column, _)| !matches!(**column, "latitude" | "longitude"))
        .map(|(column, value)| ((*column).to_owned(), if value.is_empty() { serde_json::Value::Null } else { json!(value) }))
        .collect();
    let latitude: f64 = values[10].parse().unwrap_or(report.latitude);
    let longitude: f64 = values[11].parse().unwrap_or(report.longitude);
    json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [longitude, latitude] }, "properties": properties })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_quoted_when_needed() {
        assert_eq!(csv_field("Тверской район"), "Тверской район");
        assert_eq!(csv_field("Мусор, снег"), "\"Мусор, снег\"");
        assert_eq!(csv_field("«Жилищник» \"Арбат\""), "\"«Жилищник» \"\"Арбат\"\"\"");
        assert_eq!(csv_field("две\nстроки"), "\"две\nстроки\"");
    }

    #[test]
    fn coordinates_rounded_to_three_places() {
        assert_eq!(coarse(55.757_864), "55.758");
        assert_eq!(coarse(37.611_576), "37.612");
    }

    #[test]
    fn midnight_in_moscow() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(moscow_midnight(day).to_rfc3339(), "2026-12-04T21:00:00+00:00");
    }
}
