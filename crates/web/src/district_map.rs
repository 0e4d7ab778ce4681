//! The dashboard's map of Moscow districts as inline SVG, drawn on the server from the district
//! boundaries of `pomoshnik_geo`: no map tiles and no script. Each district is shaded in
//! proportion to its count and carries a `<title>` with its name and count.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;

use pomoshnik_geo::district_outlines;

use crate::i18n::Tr;

/// Width of the drawing in SVG user units; the height follows from the city's shape.
const WIDTH: f64 = 560.0;
/// Simplification tolerance: about a third of a unit at [`WIDTH`] for Moscow's 1.2° of longitude.
const TOLERANCE_DEGREES: f64 = 0.0008;
/// Fill of a district without reports and of the district with the most, as RGB.
const EMPTY_FILL: [u8; 3] = [0xee, 0xf2, 0xf7];
const FULL_FILL: [u8; 3] = [0x08, 0x30, 0x6b];
/// Steps of the legend, as shares of the largest count.
const LEGEND_STEPS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

struct DistrictPath {
    code: String,
    name: String,
    /// SVG path data of all rings.
    data: String,
}

/// The projected outlines, built once per process.
pub struct DistrictMap {
    districts: Vec<DistrictPath>,
    names: HashMap<String, usize>,
    height: f64,
}

static SHARED: OnceLock<Option<DistrictMap>> = OnceLock::new();

impl DistrictMap {
    /// Returns the map, building it on first use (about 2 MB of GeoJSON). None when the
    /// embedded data does not parse, which is logged once; the dashboard then shows tables only.
    pub fn shared() -> Option<&'static DistrictMap> {
        SHARED
            .get_or_init(|| match DistrictMap::build() {
                Ok(map) => Some(map),
                Err(error) => {
                    tracing::error!(%error, "district map not built; the dashboard shows no map");
                    None
                }
            })
            .as_ref()
    }

    fn build() -> Result<DistrictMap, pomoshnik_geo::GeoError> {
        let outlines = district_outlines(TOLERANCE_DEGREES)?;
        let points = || outlines.iter().flat_map(|outline| outline.rings.iter().flatten());
        let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for point in points() {
            (min_lon, max_lon) = (min_lon.min(point.lon), max_lon.max(point.lon));
            (min_lat, max_lat) = (min_lat.min(point.lat), max_lat.max(point.lat));
        }
        // An equirectangular projection at the city's middle latitude keeps shapes true enough
        // for a city 100 km across.
        let x_scale = ((min_lat + max_lat) / 2.0).to_radians().cos();
        let scale = WIDTH / ((max_lon - min_lon) * x_scale);
        let project = |lat: f64, lon: f64| ((lon - min_lon) * x_scale * scale, (max_lat - lat) * scale);

        let mut districts = Vec::with_capacity(outlines.len());
        for outline in &outlines {
            let mut data = String::new();
            for ring in &outline.rings {
                for (index, point) in ring.iter().enumerate() {
                    let (x, y) = project(point.lat, point.lon);
                    let command = if index == 0 { 'M' } else { 'L' };
                    let _ = write!(data, "{command}{x:.1} {y:.1}");
                }
                data.push('Z');
            }
            districts.push(DistrictPath { code: outline.district.code.clone(), name: outline.district.name.clone(), data });
        }
        let names = districts.iter().enumerate().map(|(index, district)| (district.code.clone(), index)).collect();
        Ok(DistrictMap { districts, names, height: (max_lat - min_lat) * scale })
    }

    /// The district's name, such as «Басманный район», for its OKTMO code.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(|index| self.districts[*index].name.as_str())
    }

    /// Draws the map with each district shaded by its count in `counts` (district code → count;
    /// a district not listed has none) and a legend from 0 to the largest count.
    pub fn render(&self, counts: &HashMap<String, i64>, label: &str) -> String {
        let max = counts.values().copied().max().unwrap_or(0);
        let legend_height = 40.0;
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="district-map" viewBox="0 0 {WIDTH:.0} {:.0}" role="img" aria-labelledby="district-map-title"><title id="district-map-title">{}</title>"#,
            self.height + legend_height,
            escape(label)
        );
        svg.push_str(r##"<g stroke="#5b6b80" stroke-width="0.4" fill-rule="evenodd">"##);
        for district in &self.districts {
            let count = counts.get(&district.code).copied().unwrap_or(0);
            let _ = write!(
                svg,
                r#"<path id="district-{}" data-count="{count}" fill="{}" d="{}"><title>{}: {}</title></path>"#,
                escape(&district.code),
                shade(count, max),
                district.data,
                escape(&district.name),
                escape(&Tr.count("dashboard-reports-count", count))
            );
        }
        svg.push_str("</g>");

        // The legend: a swatch and the count it stands for at each step.
        let top = self.height + 12.0;
        let step_width = WIDTH / LEGEND_STEPS.len() as f64;
        for (index, share) in LEGEND_STEPS.iter().enumerate() {
            let value = (max as f64 * share).round() as i64;
            let x = index as f64 * step_width;
            let _ = write!(
                svg,
                r##"<g class="district-map-legend"><rect x="{x:.0}" y="{top:.0}" width="16" height="16" fill="{}" stroke="#5b6b80" stroke-width="0.5"/><text x="{:.0}" y="{:.0}" font-size="12">{}</text></g>"##,
                shade(value, max),
                x + 22.0,
                top + 13.0,
                escape(&Tr.count("dashboard-reports-count", value))
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

/// The fill of a count: linear between [`EMPTY_FILL`] at 0 and [`FULL_FILL`] at `max`.
fn shade(count: i64, max: i64) -> String {
    let share = if max > 0 { (count as f64 / max as f64).clamp(0.0, 1.0) } else { 0.0 };
    let channel = |index: usize| {
        let (empty, full) = (f64::from(EMPTY_FILL[index]), f64::from(FULL_FILL[index]));
        (empty + (full - empty) * share).round() as u8
    };
    format!("#{:02x}{:02x}{:02x}", channel(0), channel(1), channel(2))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shade_is_linear_between_ends() {
        assert_eq!(shade(0, 10), "#eef2f7");
        assert_eq!(shade(10, 10), "#08306b");
        assert_eq!(shade(5, 10), "#7b91b1");
        assert_eq!(shade(0, 0), "#eef2f7");
    }

    #[test]
    fn map_shades_each_district_with_title() {
        let map = DistrictMap::shared().expect("the embedded districts build a map");
        let basmanny = map.districts.iter().find(|district| district.name == "Басманный район").expect("Басманный район is on the map");
        let counts = HashMap::from([(basmanny.code.clone(), 5)]);

        let svg = map.render(&counts, "Обращения по районам");

        assert_eq!(svg.matches("<path ").count(), map.districts.len());
        assert!(map.districts.len() > 100, "only {} districts", map.districts.len());
        let path_start = svg.find(&format!(r#"id="district-{}""#, basmanny.code)).expect("the district has a path");
        let path = &svg[path_start..path_start + svg[path_start..].find("</path>").expect("the path is closed")];
        assert!(path.contains(r##"fill="#08306b""##), "the largest count is not the darkest: {}", &path[..80]);
        assert!(path.contains("<title>Басманный район: 5 обращений</title>"), "no title with name and count");
        assert!(svg.contains(">0 обращений</text>") && svg.contains(">5 обращений</text>"), "the legend does not run from 0 to 5");
    }
}
