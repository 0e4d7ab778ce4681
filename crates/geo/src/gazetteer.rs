//! `Gazetteer`: an embedded geocoder over the address sample and the district names.

use std::cmp::Reverse;
use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::address::{AddressKey, HouseMatch, match_house, normalize_address};
use crate::geocoder::{GeocodeError, Geocoder, Place};
use crate::pip::METRES_PER_DEGREE_LAT;
use crate::{CityMap, GeoError, LatLon, Location, distance_m};

/// The data.mos.ru address sample, with the header
/// `source,global_id,address,adm_area,district,lon,lat`.
pub const ADDRESSES_CSV: &str = include_str!("../data/moscow/moscow_addresses.csv");

/// How far [`Gazetteer::reverse`] looks for an address point before it falls back to the
/// district name.
pub const REVERSE_RADIUS_M: f64 = 150.0;

/// Longitude scale for the planar point index: cos(55.75°), Moscow's latitude. Nearest
/// neighbours are re-checked with [`distance_m`], so the small error of this projection across
/// the city only matters for near-ties.
const LON_SCALE: f64 = 0.5628;

#[derive(Debug)]
struct Entry {
    place: Place,
    key: AddressKey,
}

/// Forward and reverse geocoding over data compiled into the crate: the 1,341-row
/// data.mos.ru address sample (deduplicated) and the 146 district names.
pub struct Gazetteer {
    map: Arc<CityMap>,
    entries: Vec<Entry>,
    /// Address points in planar metres, with the index into `entries` as data.
    points: RTree<GeomWithData<[f64; 2], usize>>,
}

#[derive(serde::Deserialize)]
struct AddressRow {
    address: String,
    district: String,
    lon: f64,
    lat: f64,
}

fn project(lat: f64, lon: f64) -> [f64; 2] {
    [
        lon * LON_SCALE * METRES_PER_DEGREE_LAT,
        lat * METRES_PER_DEGREE_LAT,
    ]
}

/// Drops the city prefix that one of the datasets puts before every address.
fn display_label(address: &str) -> &str {
    address
        .strip_prefix("город Москва, ")
        .unwrap_or(address)
        .trim()
}

impl Gazetteer {
    /// Builds the gazetteer. District names for addresses come from `map` (the data's own
    /// district labels are wrong for about 3% of rows), falling back to the label for the few
    /// points outside every district.
    pub fn new(map: Arc<CityMap>) -> Result<Self, GeoError> {
        let file = "moscow_addresses.csv";
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        let mut reader = csv::Reader::from_reader(ADDRESSES_CSV.as_bytes());
        for row in reader.deserialize::<AddressRow>() {
            let row = row.map_err(|e| GeoError::InvalidData {
                file,
                reason: e.to_string(),
            })?;
            let label = display_label(&row.address);
            if !seen.insert(normalize_address(label)) {
                continue;
            }
            let district = match map.locate(row.lat, row.lon) {
                Location::Inside { district, .. } => district.name.clone(),
                _ => row.district,
            };
            let place = Place {
                label: label.to_owned(),
                lat: row.lat,
                lon: row.lon,
                district: Some(district),
            };
            entries.push(Entry {
                key: AddressKey::parse(label),
                place,
            });
        }
        let points = RTree::bulk_load(
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| GeomWithData::new(project(e.place.lat, e.place.lon), i))
                .collect(),
        );

        for (district, _) in map.districts() {
            let Some(point) = map.district_interior_point(&district.code) else {
                continue;
            };
            let place = Place {
                label: district.name.clone(),
                lat: point.lat,
                lon: point.lon,
                district: Some(district.name.clone()),
            };
            entries.push(Entry {
                key: AddressKey::parse(&district.name),
                place,
            });
        }

        Ok(Gazetteer {
            map,
            entries,
            points,
        })
    }

    /// Number of distinct address points (not counting district names).
    pub fn address_count(&self) -> usize {
        self.points.size()
    }

    /// Ranks the entries against `query`. Every query word must be a word of the entry or a
    /// prefix of one. With a house number in the query, only entries whose house number
    /// equals it or starts with it match, and an exact number ranks first.
    pub fn search_sync(&self, query: &str, limit: usize) -> Vec<Place> {
        let query = AddressKey::parse(query);
        if query.words.is_empty() && query.house.is_none() {
            return Vec::new();
        }

        let mut ranked: Vec<(Option<HouseMatch>, usize, usize, &Entry)> = Vec::new();
        'entries: for entry in &self.entries {
            let house = match (&query.house, &entry.key.house) {
                (None, _) => None,
                (Some(typed), Some(stored)) => match match_house(typed, stored) {
                    Some(tier) => Some(tier),
                    None => continue,
                },
                (Some(_), None) => continue,
            };
            let mut exact_words = 0;
            for word in &query.words {
                if entry.key.words.iter().any(|w| w == word) {
                    exact_words += 1;
                } else if !entry.key.words.iter().any(|w| w.starts_with(word.as_str())) {
                    continue 'entries;
                }
            }
            let extra_words = entry.key.words.len().saturating_sub(query.words.len());
            ranked.push((house, exact_words, extra_words, entry));
        }

        ranked.sort_by(|a, b| {
            (Reverse(a.0), Reverse(a.1), a.2, &a.3.place.label).cmp(&(
                Reverse(b.0),
                Reverse(b.1),
                b.2,
                &b.3.place.label,
            ))
        });
        ranked
            .into_iter()
            .take(limit)
            .map(|(.., entry)| entry.place.clone())
            .collect()
    }

    /// Finds the nearest address within [`REVERSE_RADIUS_M`]. Without one, it returns a place at
    /// the given point labelled with the district name. Inside the city but in no district, the
    /// label is the okrug name or «Москва». Outside Moscow it returns `None`.
    pub fn reverse_sync(&self, lat: f64, lon: f64) -> Option<Place> {
        if !(lat.is_finite() && lon.is_finite()) {
            return None;
        }
        let here = LatLon { lat, lon };
        if let Some(nearest) = self.points.nearest_neighbor(&project(lat, lon)) {
            let place = &self.entries[nearest.data].place;
            if distance_m(
                here,
                LatLon {
                    lat: place.lat,
                    lon: place.lon,
                },
            ) <= REVERSE_RADIUS_M
            {
                return Some(place.clone());
            }
        }
        match self.map.locate(lat, lon) {
            Location::Outside => None,
            Location::Inside { district, .. } => Some(Place {
                label: district.name.clone(),
                lat,
                lon,
                district: Some(district.name.clone()),
            }),
            Location::Unassigned { okrug } => {
                let label = okrug.map_or_else(|| "Москва".to_owned(), |o| o.name.clone());
                Some(Place {
                    label,
                    lat,
                    lon,
                    district: None,
                })
            }
        }
    }
}

#[async_trait]
impl Geocoder for Gazetteer {
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Place>, GeocodeError> {
        Ok(self.search_sync(query, limit))
    }

    async fn reverse(&self, lat: f64, lon: f64) -> Result<Option<Place>, GeocodeError> {
        if !(lat.is_finite() && lon.is_finite()) {
            return Err(GeocodeError::InvalidCoordinates { lat, lon });
        }
        Ok(self.reverse_sync(lat, lon))
    }
}
