//! Moscow geography for Pomoshnik: which district and okrug a point is in, H3 cells for
//! "reports nearby" queries, and geocoding (an embedded gazetteer and a Nominatim client).
//!
//! All boundary and address data is compiled into the crate, so nothing is read from disk or
//! the network at run time except by [`NominatimGeocoder`]. The data's sources and licenses
//! (OpenStreetMap data is © участники OpenStreetMap, ODbL 1.0) are in `data/moscow/SOURCES.md`.
//!
//! ```
//! use pomoshnik_geo::{CityMap, Location};
//!
//! let map = CityMap::moscow().unwrap();
//! match map.locate(55.7539, 37.6208) {
//!     Location::Inside { district, okrug } => assert_eq!(okrug.code, "cao"),
//!     other => panic!("Red Square located as {other:?}"),
//! }
//! ```

mod address;
mod boundary;
mod gazetteer;
mod geocoder;
mod h3;
mod index;
mod nominatim;
mod pip;

pub use address::{AddressKey, normalize_address, normalize_district_name};
pub use boundary::{District, DistrictOutline, OKRUGS, Okrug, district_outlines};
pub use gazetteer::{ADDRESSES_CSV, Gazetteer, REVERSE_RADIUS_M};
pub use geocoder::{GeocodeError, Geocoder, Place};
pub use h3::{
    DUPLICATE_RESOLUTION, EARTH_RADIUS_M, LatLon, cells_within, cells_within_at, distance_m,
    h3_cell,
};
pub use index::{CityMap, GAP_TOLERANCE_M, Location};
pub use nominatim::{MOSCOW_VIEWBOX, NominatimConfig, NominatimGeocoder};

/// Errors from building the city map or from invalid coordinates.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("embedded data file {file} is invalid: {reason}")]
    InvalidData { file: &'static str, reason: String },
    #[error(
        "invalid coordinates lat={lat}, lon={lon}: expected finite degrees, |lat| <= 90, |lon| <= 180"
    )]
    InvalidCoordinates { lat: f64, lon: f64 },
    #[error("invalid H3 resolution {0}: expected 0..=15")]
    InvalidResolution(u8),
    #[error("invalid radius {0} m: expected a finite number >= 0")]
    InvalidRadius(f64),
}
