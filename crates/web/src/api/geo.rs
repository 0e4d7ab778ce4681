//! Address search, reverse lookup and possible duplicates for the report form.

use axum::Json;
use axum::extract::State;
use chrono::{Duration, Utc};
use pomoshnik_geo::{LatLon, Location, Place, cells_within, distance_m};
use pomoshnik_store::NearbyQuery;
use serde::{Deserialize, Serialize};

use super::extract::ApiQuery;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::{Named, moscow_time};

const MAX_PLACES: usize = 10;

/// Open reports of the same category within this distance are shown as possible duplicates.
pub const DUPLICATE_RADIUS_M: f64 = 100.0;

/// How far back possible duplicates are looked for.
pub const DUPLICATE_WINDOW: Duration = Duration::days(30);

const MAX_DUPLICATES: i64 = 20;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: String,
    limit: Option<usize>,
}

#[derive(Serialize)]
pub struct PlaceList {
    places: Vec<Place>,
}

pub async fn search(State(state): State<AppState>, ApiUser(_): ApiUser, ApiQuery(query): ApiQuery<SearchQuery>) -> Result<Json<PlaceList>, ApiError> {
    let limit = query.limit.unwrap_or(MAX_PLACES).clamp(1, MAX_PLACES);
    let places = state.geocoder.search(&query.q, limit).await.map_err(|error| {
        tracing::warn!(%error, "address search failed");
        ApiError::new(axum::http::StatusCode::BAD_GATEWAY, "geocoder_unavailable")
    })?;
    Ok(Json(PlaceList { places }))
}

#[derive(Deserialize)]
pub struct PointQuery {
    lat: f64,
    lon: f64,
}

#[derive(Serialize)]
pub struct PointInfo {
    /// Whether the point lies inside the city.
    inside: bool,
    district: Option<Named>,
    okrug: Option<Named>,
    place: Option<Place>,
}

pub async fn reverse(State(state): State<AppState>, ApiUser(_): ApiUser, ApiQuery(point): ApiQuery<PointQuery>) -> Result<Json<PointInfo>, ApiError> {
    let location = state.city.locate(point.lat, point.lon);
    let inside = !matches!(location, Location::Outside);
    let district = location.district().map(|district| Named { code: district.code.clone(), name: district.name.clone() });
    let okrug = location.okrug().map(|okrug| Named { code: okrug.code.clone(), name: okrug.name.clone() });

    let place = if inside {
        state.geocoder.reverse(point.lat, point.lon).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "reverse geocoding failed");
            None
        })
    } else {
        None
    };
    Ok(Json(PointInfo { inside, district, okrug, place }))
}

#[derive(Deserialize)]
pub struct NearbyParameters {
    category: String,
    lat: f64,
    lon: f64,
}

/// A possible duplicate as another resident may see it: no author, description or plate.
#[derive(Serialize)]
pub struct NearbyReport {
    pub number: String,
    pub status: String,
    pub status_name: String,
    pub created_at: chrono::DateTime<Utc>,
    pub created_text: String,
    pub distance_m: f64,
    /// URL of the thumbnail of the report's first photo. It is absent when the report has no
    /// photo or its category is marked `personal_data`, because such photos may show plates.
    pub thumbnail_url: Option<String>,
}

#[derive(Serialize)]
pub struct NearbyList {
    reports: Vec<NearbyReport>,
}

pub async fn nearby(State(state): State<AppState>, ApiUser(_): ApiUser, ApiQuery(parameters): ApiQuery<NearbyParameters>) -> Result<Json<NearbyList>, ApiError> {
    let reports = possible_duplicates(&state, &parameters.category, parameters.lat, parameters.lon, "/api/v1").await?;
    Ok(Json(NearbyList { reports }))
}

/// Open reports of the category within [`DUPLICATE_RADIUS_M`] of the point, filed within
/// [`DUPLICATE_WINDOW`], newest first; shared by the API and the report form. `url_prefix` is
/// prepended to thumbnail URLs: empty for pages, `/api/v1` for the API.
pub async fn possible_duplicates(state: &AppState, category: &str, lat: f64, lon: f64, url_prefix: &str) -> Result<Vec<NearbyReport>, ApiError> {
    let cells = cells_within(lat, lon, DUPLICATE_RADIUS_M).map_err(|_| ApiError::bad_request("location_invalid"))?;
    let query = NearbyQuery {
        category_code: category.to_owned(),
        cells: cells.into_iter().map(|cell| cell as i64).collect(),
        since: Utc::now() - DUPLICATE_WINDOW,
        limit: MAX_DUPLICATES,
    };
    let here = LatLon { lat, lon };
    let personal_data = state.store.catalog().await?.category(category).is_none_or(|category| category.personal_data);

    let mut found = Vec::new();
    for report in state.store.nearby_reports(&query).await? {
        let distance = distance_m(here, LatLon { lat: report.latitude, lon: report.longitude });
        if distance > DUPLICATE_RADIUS_M {
            continue;
        }
        let thumbnail_url = if personal_data {
            None
        } else {
            let files = state.store.report_files(report.id).await?;
            files.iter().any(|file| file.metadata.has_preview).then(|| format!("{url_prefix}/reports/{}/thumbnail", report.number))
        };
        found.push(NearbyReport {
            number: report.number.to_string(),
            status: report.status.code().to_owned(),
            status_name: Tr.status(report.status),
            created_at: report.created_at,
            created_text: moscow_time(report.created_at),
            distance_m: distance.round(),
            thumbnail_url,
        });
    }
    Ok(found)
}
