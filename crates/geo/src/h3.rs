//! H3 cells for "reports near this point" queries, and great-circle distance.

use h3o::{CellIndex, LatLng, Resolution};
use serde::{Deserialize, Serialize};

use crate::GeoError;

/// Mean Earth radius in metres (IUGG), used by [`distance_m`].
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The H3 resolution recommended for storing report locations when looking for duplicates
/// within 100 m.
///
/// At resolution 10 (average edge about 66 m) the cells covering a 100 m radius are a disk of
/// k = 2, i.e. 19 cells of about 0.015 km² each. That is about 9 times the area of the 100 m
/// circle, so few of the candidate rows fetched by cell are dropped by the exact distance
/// filter. Resolution 9 (edge about 174 m) needs only 7 cells but fetches about 24 times the
/// circle's area, and resolution 11 needs 37 cells for a 3 times overfetch.
pub const DUPLICATE_RESOLUTION: u8 = 10;

/// A WGS84 point in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// Great-circle (haversine) distance in metres on a sphere of radius [`EARTH_RADIUS_M`].
/// The error against the WGS84 ellipsoid is below 0.5%.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let (lat_a, lat_b) = (a.lat.to_radians(), b.lat.to_radians());
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (b.lon - a.lon).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn to_latlng(lat: f64, lon: f64) -> Result<LatLng, GeoError> {
    if !(lat.is_finite() && lon.is_finite()) || lat.abs() > 90.0 || lon.abs() > 180.0 {
        return Err(GeoError::InvalidCoordinates { lat, lon });
    }
    LatLng::new(lat, lon).map_err(|_| GeoError::InvalidCoordinates { lat, lon })
}

fn to_resolution(resolution: u8) -> Result<Resolution, GeoError> {
    Resolution::try_from(resolution).map_err(|_| GeoError::InvalidResolution(resolution))
}

/// Finds the H3 cell (as its 64-bit index) containing a point, at `resolution` 0..=15.
pub fn h3_cell(lat: f64, lon: f64, resolution: u8) -> Result<u64, GeoError> {
    let cell = to_latlng(lat, lon)?.to_cell(to_resolution(resolution)?);
    Ok(u64::from(cell))
}

/// Lists the cells at [`DUPLICATE_RESOLUTION`] covering every point within `radius_m` metres of
/// (lat, lon). See [`cells_within_at`].
pub fn cells_within(lat: f64, lon: f64, radius_m: f64) -> Result<Vec<u64>, GeoError> {
    cells_within_at(lat, lon, radius_m, DUPLICATE_RESOLUTION)
}

/// Lists the cells at `resolution` that together cover every point within `radius_m` metres of
/// (lat, lon): a grid disk around the point's cell. Query stored cells with these, then filter
/// the rows by [`distance_m`], because the disk covers more than the circle.
///
/// The disk radius k follows from the size of the centre cell. A disk of k rings contains
/// the circle of radius 1.5·k·e + 0.5·e around the centre cell's centre, where e is the
/// largest centre-to-vertex distance of a cell. A point in the centre cell is at most e from
/// that centre, so k = ⌈(r + 0.5·e) / (1.5·e)⌉ covers radius r. The code takes e as the centre
/// cell's largest vertex distance plus 5% for neighbouring cells that are slightly larger.
pub fn cells_within_at(
    lat: f64,
    lon: f64,
    radius_m: f64,
    resolution: u8,
) -> Result<Vec<u64>, GeoError> {
    if !(radius_m.is_finite() && radius_m >= 0.0) {
        return Err(GeoError::InvalidRadius(radius_m));
    }
    let centre = to_latlng(lat, lon)?;
    let cell: CellIndex = centre.to_cell(to_resolution(resolution)?);
    let k = disk_radius(cell, radius_m);
    Ok(cell
        .grid_disk::<Vec<CellIndex>>(k)
        .into_iter()
        .map(u64::from)
        .collect())
}

fn disk_radius(cell: CellIndex, radius_m: f64) -> u32 {
    let cell_centre = LatLng::from(cell);
    let vertex_distance = cell
        .boundary()
        .iter()
        .map(|vertex| cell_centre.distance_m(*vertex))
        .fold(0.0_f64, f64::max);
    let e = vertex_distance * 1.05;
    ((radius_m + 0.5 * e) / (1.5 * e)).ceil().max(0.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_one_degree_latitude() {
        let d = distance_m(
            LatLon {
                lat: 55.0,
                lon: 37.0,
            },
            LatLon {
                lat: 56.0,
                lon: 37.0,
            },
        );
        assert!((d - 111_195.0).abs() < 10.0, "distance {d}");
    }

    #[test]
    fn disk_radius_for_duplicates() {
        let cell = LatLng::new(55.75, 37.62).unwrap().to_cell(Resolution::Ten);
        assert_eq!(disk_radius(cell, 100.0), 2);
        let cell = LatLng::new(55.75, 37.62).unwrap().to_cell(Resolution::Nine);
        assert_eq!(disk_radius(cell, 100.0), 1);
    }
}
