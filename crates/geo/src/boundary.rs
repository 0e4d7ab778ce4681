//! Moscow boundary data embedded in the crate and its conversion to `geo` geometry.
//!
//! The origin, date and license of each file are in `data/moscow/SOURCES.md`.

use geo::{MultiPolygon, Polygon, Simplify};
use geojson::{FeatureCollection, GeoJson};
use serde::Serialize;

use crate::{GeoError, LatLon};

/// OSM relation 102269 (the city of Moscow, admin_level 4).
pub(crate) const CITY_BOUNDARY_GEOJSON: &str =
    include_str!("../data/moscow/moscow_city_boundary_osm.geojson");
/// The 146 OSM admin_level 8 units: 125 districts, 19 settlements and 2 urban okrugs.
pub(crate) const DISTRICTS_GEOJSON: &str =
    include_str!("../data/moscow/moscow_districts_osm_lvl8.geojson");
/// The 12 administrative okrugs from the gis-lab.info extract.
pub(crate) const OKRUGS_GEOJSON: &str = include_str!("../data/moscow/moscow_okrugs_gislab.geojson");

/// A municipal unit: a district (район), a settlement (поселение) or an urban okrug (городской
/// округ) of New Moscow.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct District {
    /// The unit's 8-digit OKTMO code (the `oktmo` property of the OSM data), e.g. "45375000".
    pub code: String,
    /// Full Russian name as in OpenStreetMap, e.g. "Басманный район", "район Арбат",
    /// "поселение Сосенское".
    pub name: String,
}

/// An administrative okrug (административный округ).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Okrug {
    /// Lowercase ASCII slug of the usual abbreviation, e.g. "cao" for ЦАО; see [`OKRUGS`].
    pub code: String,
    /// Full Russian name, e.g. "Центральный административный округ".
    pub name: String,
}

/// The 12 okrugs as (code, full name, short name used by the gis-lab okrug file).
pub const OKRUGS: [(&str, &str, &str); 12] = [
    ("cao", "Центральный административный округ", "Центральный"),
    ("sao", "Северный административный округ", "Северный"),
    (
        "svao",
        "Северо-Восточный административный округ",
        "Северо-Восточный",
    ),
    ("vao", "Восточный административный округ", "Восточный"),
    (
        "yuvao",
        "Юго-Восточный административный округ",
        "Юго-Восточный",
    ),
    ("yuao", "Южный административный округ", "Южный"),
    (
        "yuzao",
        "Юго-Западный административный округ",
        "Юго-Западный",
    ),
    ("zao", "Западный административный округ", "Западный"),
    (
        "szao",
        "Северо-Западный административный округ",
        "Северо-Западный",
    ),
    (
        "zelao",
        "Зеленоградский административный округ",
        "Зеленоградский",
    ),
    (
        "nao",
        "Новомосковский административный округ",
        "Новомосковский",
    ),
    ("tao", "Троицкий административный округ", "Троицкий"),
];

/// Returns the okrug whose full or short Russian name is `name`.
pub(crate) fn okrug_by_name(name: &str) -> Option<Okrug> {
    OKRUGS
        .iter()
        .find(|(_, full, short)| *full == name || *short == name)
        .map(|(code, full, _)| Okrug {
            code: code.to_string(),
            name: full.to_string(),
        })
}

/// A district with its okrug and geometry, as read from the GeoJSON.
pub(crate) struct DistrictShape {
    pub district: District,
    pub okrug: Okrug,
    pub geometry: MultiPolygon<f64>,
}

pub(crate) struct OkrugShape {
    pub okrug: Okrug,
    pub geometry: MultiPolygon<f64>,
}

fn parse_features(text: &str, file: &'static str) -> Result<FeatureCollection, GeoError> {
    let parsed: GeoJson = text.parse().map_err(|e| GeoError::InvalidData {
        file,
        reason: format!("invalid GeoJSON: {e}"),
    })?;
    FeatureCollection::try_from(parsed).map_err(|e| GeoError::InvalidData {
        file,
        reason: format!("not a FeatureCollection: {e}"),
    })
}

fn to_multi_polygon(
    geometry: Option<geojson::Geometry>,
    file: &'static str,
) -> Result<MultiPolygon<f64>, GeoError> {
    let geometry = geometry.ok_or_else(|| GeoError::InvalidData {
        file,
        reason: "feature without geometry".into(),
    })?;
    let converted: geo::Geometry<f64> = geometry.try_into().map_err(|e| GeoError::InvalidData {
        file,
        reason: format!("invalid geometry: {e}"),
    })?;
    match converted {
        geo::Geometry::Polygon(polygon) => Ok(MultiPolygon(vec![polygon])),
        geo::Geometry::MultiPolygon(polygons) => Ok(polygons),
        other => Err(GeoError::InvalidData {
            file,
            reason: format!("expected Polygon or MultiPolygon, found {other:?}"),
        }),
    }
}

fn string_property(
    feature: &geojson::Feature,
    key: &str,
    file: &'static str,
) -> Result<String, GeoError> {
    feature
        .property(key)
        .and_then(|value| value.as_str())
        .map(str::to_owned)
        .ok_or_else(|| GeoError::InvalidData {
            file,
            reason: format!("feature without string property {key}"),
        })
}

/// Reads the districts, sorted by OKTMO code so that the order (and tie-breaking) does not
/// depend on the order of features in the file.
pub(crate) fn load_districts() -> Result<Vec<DistrictShape>, GeoError> {
    let file = "moscow_districts_osm_lvl8.geojson";
    let collection = parse_features(DISTRICTS_GEOJSON, file)?;
    let mut shapes = Vec::with_capacity(collection.features.len());
    for feature in collection.features {
        let code = string_property(&feature, "oktmo", file)?;
        let name = string_property(&feature, "NAME", file)?;
        let okrug_name = string_property(&feature, "ADMIN_L5", file)?;
        let okrug = okrug_by_name(&okrug_name).ok_or_else(|| GeoError::InvalidData {
            file,
            reason: format!("unknown okrug {okrug_name:?} of district {name:?}"),
        })?;
        let geometry = to_multi_polygon(feature.geometry, file)?;
        shapes.push(DistrictShape {
            district: District { code, name },
            okrug,
            geometry,
        });
    }
    shapes.sort_by(|a, b| a.district.code.cmp(&b.district.code));
    Ok(shapes)
}

pub(crate) fn load_okrugs() -> Result<Vec<OkrugShape>, GeoError> {
    let file = "moscow_okrugs_gislab.geojson";
    let collection = parse_features(OKRUGS_GEOJSON, file)?;
    let mut shapes = Vec::with_capacity(collection.features.len());
    for feature in collection.features {
        let name = string_property(&feature, "NAME", file)?;
        let okrug = okrug_by_name(&name).ok_or_else(|| GeoError::InvalidData {
            file,
            reason: format!("unknown okrug {name:?}"),
        })?;
        let geometry = to_multi_polygon(feature.geometry, file)?;
        shapes.push(OkrugShape { okrug, geometry });
    }
    shapes.sort_by(|a, b| a.okrug.code.cmp(&b.okrug.code));
    Ok(shapes)
}

pub(crate) fn load_city_boundary() -> Result<MultiPolygon<f64>, GeoError> {
    let file = "moscow_city_boundary_osm.geojson";
    let collection = parse_features(CITY_BOUNDARY_GEOJSON, file)?;
    let polygons: Vec<Polygon<f64>> = collection
        .features
        .into_iter()
        .map(|feature| to_multi_polygon(feature.geometry, file))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flat_map(|multi| multi.0)
        .collect();
    Ok(MultiPolygon(polygons))
}

/// A district's boundary for drawing, such as on a map of figures per district.
#[derive(Clone, Debug, PartialEq)]
pub struct DistrictOutline {
    pub district: District,
    pub okrug: Okrug,
    /// Outer and inner rings of every part, each closed (its last point repeats the first).
    /// Drawn with the even-odd fill rule, the inner rings leave holes.
    pub rings: Vec<Vec<LatLon>>,
}

/// Returns the outlines of the embedded districts, ordered by OKTMO code, simplified with the
/// Ramer–Douglas–Peucker algorithm so that no point moves more than `tolerance_degrees`.
/// Rings that simplification reduces below a triangle are dropped.
pub fn district_outlines(tolerance_degrees: f64) -> Result<Vec<DistrictOutline>, GeoError> {
    let shapes = load_districts()?;
    let mut outlines = Vec::with_capacity(shapes.len());
    for shape in shapes {
        let simplified = shape.geometry.simplify(tolerance_degrees);
        let rings = simplified
            .0
            .iter()
            .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
            .filter(|ring| ring.0.len() >= 4)
            .map(|ring| ring.0.iter().map(|point| LatLon { lat: point.y, lon: point.x }).collect())
            .collect();
        outlines.push(DistrictOutline { district: shape.district, okrug: shape.okrug, rings });
    }
    Ok(outlines)
}
