//! The public map's data: reports of categories that carry no personal data, as GeoJSON, with
//! nearby points merged into clusters when the view is zoomed out. No sign-in needed.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use pomoshnik_core::catalog::Catalog;
use pomoshnik_store::MapPoint;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::ApiQuery;
use crate::error::ApiError;
use crate::i18n::Tr;
pub use crate::map_index::Bounds;
use crate::state::AppState;
use crate::views::moscow_time;

/// Maximum number of single points in one response; `truncated` is set when there were more.
/// Clusters have no limit because every report of the view is counted in one.
const MAX_POINTS: usize = 5_000;

/// The widest view accepted, in degrees; Moscow with New Moscow spans about 1.2° by 1.2°.
const MAX_SPAN_DEGREES: f64 = 3.0;

/// From this zoom level on every report is its own point.
const ZOOM_WITHOUT_CLUSTERS: u8 = 16;

/// Clusters are formed on a grid of this many cells along each side of the view.
const GRID_CELLS: f64 = 24.0;

#[derive(Deserialize)]
pub struct BoxParameters {
    /// `min_lon,min_lat,max_lon,max_lat`, the order of GeoJSON and Open311 clients.
    bbox: String,
    zoom: Option<u8>,
}

pub fn parse_bbox(text: &str) -> Option<Bounds> {
    let numbers: Vec<f64> = text.split(',').map(|part| part.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
    let [min_lon, min_lat, max_lon, max_lat] = numbers.as_slice() else { return None };
    let bounds = Bounds { min_lon: *min_lon, min_lat: *min_lat, max_lon: *max_lon, max_lat: *max_lat };
    let finite = numbers.iter().all(|number| number.is_finite());
    let ordered = bounds.min_lon < bounds.max_lon && bounds.min_lat < bounds.max_lat;
    let in_range = bounds.min_lat >= -90.0 && bounds.max_lat <= 90.0 && bounds.min_lon >= -180.0 && bounds.max_lon <= 180.0;
    let small = bounds.max_lon - bounds.min_lon <= MAX_SPAN_DEGREES && bounds.max_lat - bounds.min_lat <= MAX_SPAN_DEGREES;
    (finite && ordered && in_range && small).then_some(bounds)
}

/// Categories whose reports may be shown to everyone: none that identify people or vehicles.
pub fn public_categories(catalog: &Catalog) -> HashSet<String> {
    catalog.categories.iter().filter(|category| !category.personal_data).map(|category| category.code.clone()).collect()
}

/// Passes `read` the public reports of the last 90 days inside `bounds`, in no particular order.
pub async fn read_public_reports<R>(state: &AppState, bounds: &Bounds, read: impl FnOnce(Vec<&MapPoint>) -> R) -> Result<R, ApiError> {
    let catalog = state.store.catalog().await?;
    Ok(state.map.read(state.store.as_ref(), &public_categories(&catalog), bounds, read).await?)
}

/// Sorts points newest first and keeps at most `limit`. The flag is true when some were cut.
pub fn newest(mut points: Vec<&MapPoint>, limit: usize) -> (Vec<&MapPoint>, bool) {
    points.sort_unstable_by(|a, b| b.id.cmp(&a.id));
    let truncated = points.len() > limit;
    points.truncate(limit);
    (points, truncated)
}

/// Builds the public feature of one report: nothing the author wrote, nothing about the author.
fn point_feature(report: &MapPoint) -> Value {
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [report.longitude, report.latitude] },
        "properties": {
            "number": report.number.to_string(),
            "category": report.category_name,
            "status": report.status.code(),
            "status_name": Tr.status(report.status),
            "created": moscow_time(report.created_at),
            "district": report.district_name,
        },
    })
}

/// Builds a cluster of `count` reports drawn at their mean position.
fn cluster_feature(count: usize, latitude: f64, longitude: f64) -> Value {
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [longitude, latitude] },
        "properties": { "cluster": true, "count": count, "label": Tr.count("map-cluster", count as i64) },
    })
}

/// Counts of one cell of the clustering grid.
#[derive(Clone, Copy, Default)]
struct Cell<'a> {
    count: usize,
    latitude_sum: f64,
    longitude_sum: f64,
    first: Option<&'a MapPoint>,
}

/// Groups reports by grid cell of the view; a cell with one report stays a point.
fn clusters(reports: &[&MapPoint], bounds: &Bounds) -> Vec<Value> {
    let side = GRID_CELLS as usize;
    let cell_width = (bounds.max_lon - bounds.min_lon) / GRID_CELLS;
    let cell_height = (bounds.max_lat - bounds.min_lat) / GRID_CELLS;
    let mut cells = vec![Cell::default(); side * side];
    for report in reports {
        // Points on the upper edges belong to the last row or column.
        let column = (((report.longitude - bounds.min_lon) / cell_width) as usize).min(side - 1);
        let row = (((report.latitude - bounds.min_lat) / cell_height) as usize).min(side - 1);
        let cell = &mut cells[row * side + column];
        cell.count += 1;
        cell.latitude_sum += report.latitude;
        cell.longitude_sum += report.longitude;
        cell.first.get_or_insert(report);
    }
    cells
        .iter()
        .filter_map(|cell| match (cell.count, cell.first) {
            (1, Some(point)) => Some(point_feature(point)),
            (count, Some(_)) => Some(cluster_feature(count, cell.latitude_sum / count as f64, cell.longitude_sum / count as f64)),
            _ => None,
        })
        .collect()
}

pub async fn reports(State(state): State<AppState>, ApiQuery(parameters): ApiQuery<BoxParameters>) -> Result<Json<Value>, ApiError> {
    let bounds = parse_bbox(&parameters.bbox).ok_or_else(|| ApiError::bad_request("bbox_invalid").with_field("bbox"))?;
    let cluster = parameters.zoom.unwrap_or(0) < ZOOM_WITHOUT_CLUSTERS;

    let body = read_public_reports(&state, &bounds, |reports| {
        let (features, total, truncated) = if cluster {
            (clusters(&reports, &bounds), reports.len(), false)
        } else {
            let (shown, truncated) = newest(reports, MAX_POINTS);
            (shown.iter().copied().map(point_feature).collect(), shown.len(), truncated)
        };
        json!({ "type": "FeatureCollection", "features": features, "total": total, "truncated": truncated })
    })
    .await?;
    Ok(Json(body))
}
