//! `CityMap`: which Moscow district and okrug contains a point.

use geo::InteriorPoint;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Serialize;

use crate::boundary::{self, District, Okrug};
use crate::pip::{BandedPolygon, METRES_PER_DEGREE_LAT};
use crate::{GeoError, LatLon};

/// Maximum distance from a point inside the city boundary (but in no district polygon) to the
/// nearest district for the point to be assigned to that district.
// NOTE: 200 m is a judgement, not measured from the data. No point of the address sample falls
// in such a gap, so the width of the real gaps between the OSM city relation and the district
// relations is unknown.
pub const GAP_TOLERANCE_M: f64 = 200.0;

/// Result of [`CityMap::locate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location<'a> {
    /// Outside Moscow, or the coordinates are not finite or out of range.
    Outside,
    /// Inside a district polygon, or inside the city boundary within [`GAP_TOLERANCE_M`] of a
    /// district.
    Inside {
        district: &'a District,
        okrug: &'a Okrug,
    },
    /// Inside the city boundary but more than [`GAP_TOLERANCE_M`] from every district polygon.
    /// `okrug` comes from the okrug polygons when one contains the point.
    Unassigned { okrug: Option<&'a Okrug> },
}

impl<'a> Location<'a> {
    pub fn district(&self) -> Option<&'a District> {
        match self {
            Location::Inside { district, .. } => Some(district),
            _ => None,
        }
    }

    pub fn okrug(&self) -> Option<&'a Okrug> {
        match self {
            Location::Inside { okrug, .. } => Some(okrug),
            Location::Unassigned { okrug } => *okrug,
            Location::Outside => None,
        }
    }
}

struct IndexedDistrict {
    district: District,
    okrug: Okrug,
    shape: BandedPolygon,
    /// A point guaranteed to be inside the polygon, for showing the district on a map.
    interior: LatLon,
}

type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Moscow's districts and okrugs, indexed for point lookups. Build it once and share it
/// (e.g. in an `Arc`), because [`CityMap::moscow`] parses about 2 MB of GeoJSON.
pub struct CityMap {
    districts: Vec<IndexedDistrict>,
    /// Bounding boxes of `districts`, with the index into `districts` as data.
    tree: RTree<BoxEntry>,
    city: BandedPolygon,
    okrugs: Vec<(Okrug, BandedPolygon)>,
}

impl CityMap {
    /// Builds the map from the boundary data embedded in the crate.
    pub fn moscow() -> Result<Self, GeoError> {
        let mut districts = Vec::new();
        for shape in boundary::load_districts()? {
            let banded =
                BandedPolygon::new(&shape.geometry).ok_or_else(|| GeoError::InvalidData {
                    file: "moscow_districts_osm_lvl8.geojson",
                    reason: format!("district {} has no rings", shape.district.name),
                })?;
            let interior = shape
                .geometry
                .interior_point()
                .map(|p| LatLon {
                    lat: p.y(),
                    lon: p.x(),
                })
                .unwrap_or(LatLon {
                    lat: banded.bbox().center().y,
                    lon: banded.bbox().center().x,
                });
            districts.push(IndexedDistrict {
                district: shape.district,
                okrug: shape.okrug,
                shape: banded,
                interior,
            });
        }

        let entries = districts
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let bbox = d.shape.bbox();
                let rect = Rectangle::from_corners(
                    [bbox.min().x, bbox.min().y],
                    [bbox.max().x, bbox.max().y],
                );
                GeomWithData::new(rect, i)
            })
            .collect();

        let city =
            BandedPolygon::new(&boundary::load_city_boundary()?).ok_or(GeoError::InvalidData {
                file: "moscow_city_boundary_osm.geojson",
                reason: "the city boundary has no rings".into(),
            })?;
        let mut okrugs = Vec::new();
        for shape in boundary::load_okrugs()? {
            if let Some(banded) = BandedPolygon::new(&shape.geometry) {
                okrugs.push((shape.okrug, banded));
            }
        }

        Ok(CityMap {
            districts,
            tree: RTree::bulk_load(entries),
            city,
            okrugs,
        })
    }

    /// Finds the district and okrug containing a point given in WGS84 degrees.
    ///
    /// When two districts share the vertices of a border, a point on it belongs to exactly one
    /// of them: the one to the east, or the one to the north where the border runs west to east.
    /// Should polygons overlap, the district with the smaller OKTMO code wins.
    pub fn locate(&self, lat: f64, lon: f64) -> Location<'_> {
        if !(lat.is_finite() && lon.is_finite()) || lat.abs() > 90.0 || lon.abs() > 180.0 {
            return Location::Outside;
        }
        if let Some(index) = self.containing_district(lat, lon) {
            return self.inside(index);
        }

        let city_bbox = self.city.bbox();
        let near_city = lon >= city_bbox.min().x - 0.01
            && lon <= city_bbox.max().x + 0.01
            && lat >= city_bbox.min().y - 0.01
            && lat <= city_bbox.max().y + 0.01;
        if !near_city || !self.city.contains(lon, lat) {
            return Location::Outside;
        }
        match self.nearest_district_within(lat, lon, GAP_TOLERANCE_M) {
            Some(index) => self.inside(index),
            None => Location::Unassigned {
                okrug: self
                    .okrugs
                    .iter()
                    .find(|(_, shape)| shape.contains(lon, lat))
                    .map(|(okrug, _)| okrug),
            },
        }
    }

    /// Lists all districts with their okrugs, sorted by OKTMO code.
    pub fn districts(&self) -> impl Iterator<Item = (&District, &Okrug)> {
        self.districts.iter().map(|d| (&d.district, &d.okrug))
    }

    /// Returns a point inside the district with this OKTMO code. Unlike the centroid, it is
    /// inside even for a concave district.
    pub fn district_interior_point(&self, code: &str) -> Option<LatLon> {
        self.districts
            .iter()
            .find(|d| d.district.code == code)
            .map(|d| d.interior)
    }

    /// Distance in metres from a point to the boundary of a district, 0 if the point is
    /// inside. Returns `None` for an unknown code.
    pub fn distance_to_district_m(&self, lat: f64, lon: f64, code: &str) -> Option<f64> {
        let d = self.districts.iter().find(|d| d.district.code == code)?;
        if d.shape.contains(lon, lat) {
            return Some(0.0);
        }
        Some(d.shape.boundary_distance_m(lon, lat))
    }

    fn inside(&self, index: usize) -> Location<'_> {
        let d = &self.districts[index];
        Location::Inside {
            district: &d.district,
            okrug: &d.okrug,
        }
    }

    #[inline]
    fn containing_district(&self, lat: f64, lon: f64) -> Option<usize> {
        let mut found: Option<usize> = None;
        for entry in self.tree.locate_all_at_point(&[lon, lat]) {
            let index = entry.data;
            if found.is_some_and(|best| best < index) {
                continue;
            }
            if self.districts[index].shape.contains(lon, lat) {
                found = Some(index);
            }
        }
        found
    }

    fn nearest_district_within(&self, lat: f64, lon: f64, tolerance_m: f64) -> Option<usize> {
        let dlat = tolerance_m / METRES_PER_DEGREE_LAT;
        let dlon = dlat / lat.to_radians().cos();
        let search = AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat]);
        let mut best: Option<(f64, usize)> = None;
        for entry in self.tree.locate_in_envelope_intersecting(&search) {
            let distance = self.districts[entry.data]
                .shape
                .boundary_distance_m(lon, lat);
            let better = match best {
                None => true,
                Some((best_distance, best_index)) => {
                    distance < best_distance
                        || (distance == best_distance && entry.data < best_index)
                }
            };
            if distance <= tolerance_m && better {
                best = Some((distance, entry.data));
            }
        }
        best.map(|(_, index)| index)
    }
}
