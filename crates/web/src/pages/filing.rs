//! Filing a report: choosing a category, then its form. A rejected submission shows every
//! problem beside its field and keeps what was entered, including files already accepted.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use pomoshnik_core::catalog::{Category, FieldType};
use pomoshnik_core::deadline::CITY_TIME_ZONE;
use pomoshnik_core::search::CategoryIndex;
use pomoshnik_core::validation::ReportDraft;
use pomoshnik_media::MAX_FILES_PER_SUBMISSION;
use pomoshnik_store::{Created, FileRecord};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::PageUser;
use crate::error::{ApiError, Problem};
use crate::i18n::{Arg, Tr};
use crate::reports::{self, Submission};
use crate::state::AppState;
use crate::upload::read_multipart;
use crate::views::FileView;
use crate::api::{NearbyReport, possible_duplicates};

/// Possible duplicates near the point typed in the form, for the list rendered without
/// JavaScript. A point that is missing or invalid gives an empty list.
async fn duplicates_near(state: &AppState, category: &str, values: &FormValues) -> Vec<NearbyReport> {
    let (Some(lat), Some(lon)) = (parse_coordinate(&values.latitude), parse_coordinate(&values.longitude)) else {
        return Vec::new();
    };
    possible_duplicates(state, category, lat, lon, "").await.unwrap_or_else(|error| {
        tracing::warn!(error = %error.problem.code, category, "listing possible duplicates failed");
        Vec::new()
    })
}

pub struct GroupView {
    pub name: String,
    pub categories: Vec<CategoryLink>,
}

pub struct CategoryLink {
    pub code: String,
    pub name: String,
    pub description: String,
    pub deadline_text: String,
}

#[derive(Template)]
#[template(path = "categories.html")]
struct CategoriesPage {
    layout: Layout,
    t: Tr,
    query: String,
    groups: Vec<GroupView>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

fn category_link(category: &Category) -> CategoryLink {
    CategoryLink {
        code: category.code.clone(),
        name: category.name.clone(),
        description: category.description.clone(),
        deadline_text: Tr.count("deadline-working-days", i64::from(category.deadline_working_days)),
    }
}

/// Rejects staff with 403: they work reports in the queue, and only residents file them.
fn require_resident(signed: &crate::auth::Signed) -> Result<(), Response> {
    if signed.user.role != pomoshnik_core::role::Role::Resident {
        return Err(error_page(ApiError::forbidden().with_code("only_residents_file_reports")));
    }
    if !signed.user.confirmed {
        return Err(super::register::not_confirmed_page());
    }
    Ok(())
}

/// Lists categories by service area, or, for a search, the matching ones best first in a
/// group of their own. The search works without JavaScript because it is a plain GET form.
pub async fn categories(State(state): State<AppState>, PageUser(signed): PageUser, Query(search): Query<SearchQuery>) -> Response {
    if let Err(response) = require_resident(&signed) {
        return response;
    }
    let catalog = match state.store.catalog().await {
        Ok(catalog) => catalog,
        Err(error) => return error_page(error.into()),
    };
    let query = search.q.unwrap_or_default().trim().to_owned();

    let groups = if query.is_empty() {
        catalog
            .groups
            .iter()
            .map(|group| GroupView {
                name: group.name.clone(),
                categories: catalog.categories.iter().filter(|category| category.group == group.code).map(category_link).collect(),
            })
            .filter(|group| !group.categories.is_empty())
            .collect()
    } else {
        let index = CategoryIndex::new(&catalog);
        let found = index.search(&query, catalog.categories.len()).into_iter().filter_map(|code| catalog.category(code)).map(category_link).collect();
        vec![GroupView { name: Tr.t("categories-search-results"), categories: found }]
    };

    let layout = Layout::for_user(&state, &signed, Tr.t("categories-title")).await;
    render(&CategoriesPage { layout, t: Tr, query, groups })
}

/// One extra field of the category's form, ready to render.
pub struct FieldInput {
    pub name: String,
    pub label: String,
    pub required: bool,
    pub value: String,
    pub is_select: bool,
    pub is_textarea: bool,
    pub input_type: &'static str,
    pub options: Vec<(String, String, bool)>,
    pub error: Option<String>,
    pub hint: Option<String>,
}

/// The values the resident entered, as text, to put back into the form.
#[derive(Default)]
pub struct FormValues {
    pub address: String,
    pub latitude: String,
    pub longitude: String,
    pub occurred_at: String,
    /// The incident time the server put into the form, sent back in a hidden field. When
    /// `occurred_at` still equals it, the resident has not entered a time of their own.
    pub occurred_at_filled_in: String,
    pub description: String,
    pub fields: BTreeMap<String, String>,
    pub idempotency_key: String,
}

#[derive(Template)]
#[template(path = "report_form.html")]
struct FormPage {
    layout: Layout,
    t: Tr,
    category: Category,
    values: FormValues,
    fields: Vec<FieldInput>,
    kept_files: Vec<FileView>,
    problems: Vec<Problem>,
    max_files: usize,
    now_local: String,
    find: String,
    /// Results of an address search; None when no search was made.
    address_choices: Option<Vec<AddressChoice>>,
    tile_url: Option<String>,
    /// Says that the coordinates were proposed from a photo's GPS data.
    location_notice: Option<String>,
    /// Notice that the incident time was proposed from the capture time of a photo or video.
    time_notice: Option<String>,
    /// Open reports of the category near the chosen point, each with «Присоединиться».
    duplicates: Vec<NearbyReport>,
}

impl FormPage {
    fn error_for(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self.problems.iter().filter(|problem| problem.field.as_deref() == Some(field)).map(|problem| problem.message.as_str()).collect();
        if messages.is_empty() { None } else { Some(messages.join(" ")) }
    }
}

fn field_inputs(category: &Category, values: &FormValues, problems: &[Problem]) -> Vec<FieldInput> {
    category
        .fields
        .iter()
        .map(|definition| {
            let value = values.fields.get(&definition.code).cloned().unwrap_or_default();
            let field = format!("fields.{}", definition.code);
            let error = problems.iter().find(|problem| problem.field.as_deref() == Some(field.as_str())).map(|problem| problem.message.clone());
            let is_select = matches!(definition.datatype, FieldType::Singlevaluelist | FieldType::Multivaluelist);
            let options = definition.values.iter().map(|allowed| (allowed.key.clone(), allowed.name.clone(), allowed.key == value)).collect();
            let input_type = match definition.datatype {
                FieldType::Number => "number",
                FieldType::Datetime => "datetime-local",
                _ => "text",
            };
            let hint = definition.format.map(|_| Tr.t("plate-hint"));
            FieldInput {
                name: format!("field_{}", definition.code),
                label: definition.label.clone(),
                required: definition.required,
                value,
                is_select,
                is_textarea: definition.datatype == FieldType::Text,
                input_type,
                options,
                error,
                hint,
            }
        })
        .collect()
}

/// Generates a random key for the form, so a second press of «Отправить» files nothing new.
fn new_idempotency_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn now_local() -> String {
    Utc::now().with_timezone(&CITY_TIME_ZONE).format("%Y-%m-%dT%H:%M").to_string()
}

async fn find_category(state: &AppState, code: &str) -> Result<Category, ApiError> {
    let catalog = state.store.catalog().await?;
    catalog.category(code).cloned().ok_or_else(ApiError::not_found)
}

/// Parameters of the form page: an address search without JavaScript (`find`), and a place
/// chosen from its results.
#[derive(Deserialize)]
pub struct FormQuery {
    find: Option<String>,
    lat: Option<String>,
    lon: Option<String>,
    address: Option<String>,
}

/// An address found by the search, as a link that opens the form with it filled in.
pub struct AddressChoice {
    pub label: String,
    pub link: String,
}

pub async fn form(State(state): State<AppState>, PageUser(signed): PageUser, Path(code): Path<String>, Query(query): Query<FormQuery>) -> Response {
    if let Err(response) = require_resident(&signed) {
        return response;
    }
    let category = match find_category(&state, &code).await {
        Ok(category) => category,
        Err(error) => return error_page(error),
    };
    let now = now_local();
    let mut values = FormValues { occurred_at: now.clone(), occurred_at_filled_in: now, idempotency_key: new_idempotency_key(), ..FormValues::default() };
    values.latitude = query.lat.unwrap_or_default();
    values.longitude = query.lon.unwrap_or_default();
    values.address = query.address.unwrap_or_default();

    let find = query.find.unwrap_or_default().trim().to_owned();
    let address_choices = if find.is_empty() { None } else { Some(address_choices(&state, &category.code, &find).await) };

    let fields = field_inputs(&category, &values, &[]);
    let duplicates = duplicates_near(&state, &category.code, &values).await;
    let layout = Layout::for_user(&state, &signed, category.name.clone()).await;
    let tile_url = state.config.tile_url.clone();
    render(&FormPage {
        layout,
        t: Tr,
        category,
        values,
        fields,
        kept_files: Vec::new(),
        problems: Vec::new(),
        max_files: MAX_FILES_PER_SUBMISSION,
        now_local: now_local(),
        find,
        address_choices,
        tile_url,
        location_notice: None,
        time_notice: None,
        duplicates,
    })
}

async fn address_choices(state: &AppState, category: &str, find: &str) -> Vec<AddressChoice> {
    let places = state.geocoder.search(find, 10).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "address search failed");
        Vec::new()
    });
    places
        .into_iter()
        .map(|place| {
            let link = format!(
                "/reports/new/{category}?lat={:.6}&lon={:.6}&address={}",
                place.lat,
                place.lon,
                crate::auth::urlencode(&place.label)
            );
            let label = match &place.district {
                Some(district) => format!("{} ({district})", place.label),
                None => place.label,
            };
            AddressChoice { label, link }
        })
        .collect()
}

/// Proposes the position of the first photo taken inside the city when the resident gave no
/// point. The form is shown again with it, for the resident to confirm or change.
fn propose_location_from_photos(state: &AppState, values: &mut FormValues, files: &[FileRecord]) -> Option<String> {
    if !values.latitude.trim().is_empty() || !values.longitude.trim().is_empty() {
        return None;
    }
    let (file, lat, lon) = files.iter().find_map(|file| {
        let (lat, lon) = (file.metadata.gps_latitude?, file.metadata.gps_longitude?);
        let inside = !matches!(state.city.locate(lat, lon), pomoshnik_geo::Location::Outside);
        inside.then_some((file, lat, lon))
    })?;
    values.latitude = format!("{lat:.6}");
    values.longitude = format!("{lon:.6}");
    Some(Tr.t_with("form-location-from-photo", &[("file", file.original_name.clone().into())]))
}

/// Oldest capture time proposed as the incident time. It equals the validator's limit on the age
/// of an incident (365 days in `pomoshnik_core::validation`), because an older time would be
/// rejected anyway. Cameras whose clock was never set show dates years back, such as the
/// factory date or the MP4 epoch of 1904, and this bound leaves those out too.
const MAX_PROPOSED_AGE: Duration = Duration::days(365);

/// Maximum time a capture time may lie ahead of the server clock and still be proposed, as the
/// current time, because phone clocks drift by seconds to minutes. Later times are not proposed.
const CAPTURE_CLOCK_SKEW: Duration = Duration::minutes(5);

/// Returns the capture time as a plausible incident time at `now`, or None when it is more than
/// [`CAPTURE_CLOCK_SKEW`] in the future or more than [`MAX_PROPOSED_AGE`] in the past.
fn plausible_incident_time(taken_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if taken_at > now + CAPTURE_CLOCK_SKEW || taken_at < now - MAX_PROPOSED_AGE {
        return None;
    }
    Some(taken_at.min(now))
}

/// Formats a time as the form's datetime-local value, in Moscow time.
fn form_time(time: DateTime<Utc>) -> String {
    time.with_timezone(&CITY_TIME_ZONE).format("%Y-%m-%dT%H:%M").to_string()
}

/// Proposes the earliest plausible capture time of the photos and videos as the incident time
/// when the resident left the field empty or as the form filled it in. The capture times are
/// stored in UTC, and a file without an offset was read as Moscow time when it was uploaded. The
/// form is shown again with the proposal, for the resident to confirm or change.
///
/// NOTE: the proposal appears only when the form comes back for another reason (an empty time
/// counts), because a valid submission is accepted with the time the form filled in.
fn propose_time_from_files(values: &mut FormValues, files: &[FileRecord], now: DateTime<Utc>) -> Option<String> {
    let entered = values.occurred_at.trim();
    let untouched = entered.is_empty() || entered == values.occurred_at_filled_in;
    if !untouched {
        return None;
    }
    let (file, time) = files
        .iter()
        .filter_map(|file| Some((file, plausible_incident_time(file.metadata.taken_at?, now)?)))
        .min_by_key(|(_, time)| *time)?;

    values.occurred_at = form_time(time);
    values.occurred_at_filled_in = values.occurred_at.clone();
    let source = if file.kind == pomoshnik_media::FileKind::Mp4.code() { "video" } else { "photo" };
    let args = [
        ("file", Arg::Text(file.original_name.clone())),
        ("source", Arg::Text(source.to_owned())),
        ("time", Arg::Text(crate::views::moscow_time(time))),
    ];
    Some(Tr.t_with("form-time-from-file", &args))
}

fn parse_coordinate(text: &str) -> Option<f64> {
    text.trim().replace(',', ".").parse().ok()
}

/// Reads the datetime-local value, which is Moscow time without an offset.
fn parse_local_time(text: &str) -> Option<chrono::DateTime<Utc>> {
    let text = text.trim();
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")).ok()?;
    CITY_TIME_ZONE.from_local_datetime(&naive).earliest().map(|time| time.with_timezone(&Utc))
}

pub async fn submit(State(state): State<AppState>, PageUser(signed): PageUser, Path(code): Path<String>, multipart: Multipart) -> Response {
    // Checked before reading the body, so a staff member's files are never stored.
    if let Err(response) = require_resident(&signed) {
        return response;
    }
    let category = match find_category(&state, &code).await {
        Ok(category) => category,
        Err(error) => return error_page(error),
    };
    // Checked before the body is read, so a rejected request stores no files.
    let reports_key = crate::limits::reports_key(signed.user.id);
    let reports_limit = state.config.rate_limits.reports_per_resident;
    if let Err(error) = crate::limits::check(&state, &reports_key, reports_limit).await {
        return error_page(error);
    }
    let intake = match read_multipart(&state, &signed.user, multipart, 0).await {
        Ok(intake) => intake,
        Err(error) => return error_page(error),
    };
    if let Err(error) = signed.check_csrf(intake.field("csrf_token")) {
        crate::upload::discard(&state, &intake.files).await;
        return error_page(error);
    }

    let text = |name: &str| intake.field(name).unwrap_or_default().to_owned();
    let mut values = FormValues {
        address: text("address"),
        latitude: text("latitude"),
        longitude: text("longitude"),
        occurred_at: text("occurred_at"),
        occurred_at_filled_in: text("occurred_at_filled_in"),
        description: text("description"),
        fields: category.fields.iter().map(|definition| (definition.code.clone(), text(&format!("field_{}", definition.code)))).collect(),
        idempotency_key: intake.field("idempotency_key").filter(|key| !key.is_empty() && key.len() <= 64).map(str::to_owned).unwrap_or_else(new_idempotency_key),
    };

    // Files accepted on an earlier attempt of this form and kept by the resident.
    let kept_ids: Vec<i64> = intake.all("kept_file").filter_map(|id| id.parse().ok()).collect();
    let kept = match state.store.pending_files(signed.user.id, &kept_ids).await {
        Ok(kept) => kept,
        Err(error) => return error_page(error.into()),
    };
    let mut files: Vec<FileRecord> = kept;
    files.extend(intake.files.iter().cloned());
    let mut problems = intake.problems.clone();
    if files.len() > MAX_FILES_PER_SUBMISSION {
        let message = Tr.error("too_many_files", &[("file", files[MAX_FILES_PER_SUBMISSION].original_name.clone()), ("limit", MAX_FILES_PER_SUBMISSION.to_string())]);
        problems.push(Problem { code: "too_many_files".into(), message, field: Some("files".into()) });
        files.truncate(MAX_FILES_PER_SUBMISSION);
    }

    let mut draft = ReportDraft {
        latitude: parse_coordinate(&values.latitude),
        longitude: parse_coordinate(&values.longitude),
        address: Some(values.address.clone()),
        occurred_at: parse_local_time(&values.occurred_at),
        description: values.description.clone(),
        fields: values.fields.clone(),
        photos: 0,
        videos: 0,
    };
    if draft.occurred_at.is_none() && !values.occurred_at.trim().is_empty() {
        problems.push(Problem { code: "occurred_at_invalid".into(), message: Tr.error("occurred_at_invalid", &[]), field: Some("occurred_at".into()) });
    }
    if draft.latitude.is_none() != draft.longitude.is_none() || (draft.latitude.is_none() && !values.latitude.trim().is_empty()) {
        draft.latitude = None;
    }

    if problems.is_empty() {
        let submission = Submission { category: category.code.clone(), draft, files: files.clone(), idempotency_key: Some(values.idempotency_key.clone()) };
        match reports::submit(&state, &signed.user, submission).await {
            Ok(Created::New(report)) => {
                crate::limits::record(&state, &reports_key, reports_limit).await;
                return Redirect::to(&format!("/reports/{}?filed=1", report.number)).into_response();
            }
            Ok(Created::Existing(report)) => {
                return Redirect::to(&format!("/reports/{}?filed=1", report.number)).into_response();
            }
            Err(error) if error.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => problems.extend(error.problems),
            Err(error) => return error_page(error),
        }
    } else if let Err(error) = reports::check_draft(&signed.user, &category, &draft, &files) {
        // Show the form's own problems together with the rejected files.
        problems.extend(error.problems);
    }

    let location_notice = propose_location_from_photos(&state, &mut values, &files);
    let time_notice = propose_time_from_files(&mut values, &files, Utc::now());
    if time_notice.is_some() {
        // The field is filled now, and the notice asks the resident to check it.
        problems.retain(|problem| problem.code != "occurred_at_required");
    }
    let fields = field_inputs(&category, &values, &problems);
    let kept_files = files.iter().map(|file| FileView::new("", file)).collect();
    let duplicates = duplicates_near(&state, &category.code, &values).await;
    let layout = Layout::for_user(&state, &signed, category.name.clone()).await;
    let tile_url = state.config.tile_url.clone();
    let page = FormPage {
        layout,
        t: Tr,
        category,
        values,
        fields,
        kept_files,
        problems,
        max_files: MAX_FILES_PER_SUBMISSION,
        now_local: now_local(),
        find: String::new(),
        address_choices: None,
        tile_url,
        location_notice,
        time_notice,
        duplicates,
    };
    let mut response = render(&page);
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use pomoshnik_store::FileMetadata;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn file(name: &str, kind: &str, taken_at: Option<&str>) -> FileRecord {
        FileRecord {
            id: 1,
            owner_id: 1,
            report_id: None,
            storage_key: String::new(),
            sha256: String::new(),
            size: 1,
            kind: kind.to_owned(),
            original_name: name.to_owned(),
            created_at: at("2026-12-05T10:00:00Z"),
            metadata: FileMetadata { taken_at: taken_at.map(at), ..FileMetadata::default() },
        }
    }

    fn values(occurred_at: &str, filled_in: &str) -> FormValues {
        FormValues { occurred_at: occurred_at.to_owned(), occurred_at_filled_in: filled_in.to_owned(), ..FormValues::default() }
    }

    const NOW: &str = "2026-12-05T10:00:00Z";

    #[test]
    fn plausible_time_bounds() {
        let now = at(NOW);
        assert_eq!(plausible_incident_time(now - Duration::hours(3), now), Some(now - Duration::hours(3)));
        assert_eq!(plausible_incident_time(now + Duration::minutes(2), now), Some(now), "a clock slightly ahead gives the current time");
        assert_eq!(plausible_incident_time(now + Duration::minutes(6), now), None, "the future is not proposed");
        assert_eq!(plausible_incident_time(now - Duration::days(364), now), Some(now - Duration::days(364)));
        assert_eq!(plausible_incident_time(now - Duration::days(366), now), None, "older than a year");
        assert_eq!(plausible_incident_time(at("1904-01-01T00:00:00Z"), now), None, "the MP4 epoch");
    }

    #[test]
    fn form_time_in_moscow() {
        assert_eq!(form_time(at("2026-07-01T09:30:00Z")), "2026-07-01T12:30");
        assert_eq!(form_time(at("2026-12-31T22:15:40+00:00")), "2027-01-01T01:15");
    }

    #[test]
    fn empty_time_takes_earliest_capture() {
        let files = [
            file("later.jpg", "jpeg", Some("2026-12-04T08:00:00Z")),
            file("scan.pdf", "pdf", None),
            file("earlier.jpg", "jpeg", Some("2026-12-04T06:05:00+00:00")),
            file("future.jpg", "jpeg", Some("2027-03-01T00:00:00Z")),
        ];
        let mut form = values("", "");

        let notice = propose_time_from_files(&mut form, &files, at(NOW)).expect("a time is proposed");

        assert_eq!(form.occurred_at, "2026-12-04T09:05");
        assert_eq!(form.occurred_at_filled_in, "2026-12-04T09:05", "the proposal counts as filled in by the form");
        assert!(notice.contains("фото"), "{notice}");
        assert!(notice.contains("earlier.jpg"), "{notice}");
        assert!(notice.contains("04.12.2026 09:05"), "{notice}");
    }

    #[test]
    fn untouched_default_replaced() {
        let files = [file("clip.mp4", "mp4", Some("2026-12-05T07:00:00Z"))];
        let mut form = values("2026-12-05T13:00", "2026-12-05T13:00");

        let notice = propose_time_from_files(&mut form, &files, at(NOW)).expect("a time is proposed");

        assert_eq!(form.occurred_at, "2026-12-05T10:00");
        assert!(notice.contains("видео «clip.mp4»"), "{notice}");
    }

    #[test]
    fn entered_time_kept() {
        let files = [file("photo.jpg", "jpeg", Some("2026-12-04T08:00:00Z"))];
        let mut form = values("2026-12-03T18:30", "2026-12-05T13:00");

        assert_eq!(propose_time_from_files(&mut form, &files, at(NOW)), None);
        assert_eq!(form.occurred_at, "2026-12-03T18:30");
    }

    #[test]
    fn implausible_times_not_proposed() {
        let files = [file("old.jpg", "jpeg", Some("2015-01-01T00:00:00Z")), file("ahead.jpg", "jpeg", Some("2026-12-05T11:00:00Z")), file("none.jpg", "jpeg", None)];
        let mut form = values("", "");

        assert_eq!(propose_time_from_files(&mut form, &files, at(NOW)), None);
        assert_eq!(form.occurred_at, "");
    }
}
