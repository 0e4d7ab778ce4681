//! Random report locations inside Moscow, placed in their district and H3 cell as the service
//! places them.

use pomoshnik_geo::{CityMap, DUPLICATE_RESOLUTION, Location, h3_cell};
use rand::Rng;

/// The box around Moscow inside the MKAD ring road, where most reports are filed:
/// (min latitude, max latitude, min longitude, max longitude).
pub const INNER_BOX: (f64, f64, f64, f64) = (55.57, 55.91, 37.37, 37.84);

/// The box around the whole city, New Moscow and Zelenograd included.
const CITY_BOX: (f64, f64, f64, f64) = (55.14, 56.02, 36.80, 37.97);

/// Share of points drawn from the whole city box rather than [`INNER_BOX`].
const OUTER_SHARE: f64 = 0.1;

/// A point inside a district of the city.
#[derive(Debug, Clone)]
pub struct Place {
    pub latitude: f64,
    pub longitude: f64,
    pub district_code: String,
    pub district_name: String,
    pub okrug_code: String,
    pub okrug_name: String,
    pub h3_cell: i64,
}

/// Draws points until one lies inside a district polygon; 90 % of the draws come from
/// [`INNER_BOX`], the rest from the whole city.
pub fn random_place(city: &CityMap, rng: &mut impl Rng) -> Place {
    loop {
        let (min_lat, max_lat, min_lon, max_lon) = if rng.random_bool(OUTER_SHARE) { CITY_BOX } else { INNER_BOX };
        let latitude = rng.random_range(min_lat..max_lat);
        let longitude = rng.random_range(min_lon..max_lon);
        let Location::Inside { district, okrug } = city.locate(latitude, longitude) else { continue };
        let Ok(cell) = h3_cell(latitude, longitude, DUPLICATE_RESOLUTION) else { continue };
        return Place {
            latitude,
            longitude,
            district_code: district.code.clone(),
            district_name: district.name.clone(),
            okrug_code: okrug.code.clone(),
            okrug_name: okrug.name.clone(),
            h3_cell: cell as i64,
        };
    }
}
