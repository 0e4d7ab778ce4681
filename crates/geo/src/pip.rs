//! Exact point-in-polygon test with a latitude-band edge index.
//!
//! A district ring has hundreds of vertices, so testing every edge on each lookup would cost
//! about a microsecond. The polygon's bounding box is cut into horizontal bands, and each band
//! keeps a copy of the edges whose latitude range overlaps it. A lookup then runs the even-odd
//! crossing test over the edges of one band only.

use geo::{Coord, MultiPolygon, Rect};

/// Average number of edges per band that the band count aims for.
const EDGES_PER_BAND: usize = 4;
const MAX_BANDS: usize = 4096;

/// One polygon edge with its endpoints ordered by latitude (`y0 <= y1`).
///
/// Neighbouring districts traverse a shared edge in opposite directions. Ordering the endpoints
/// makes both compute the same crossing longitude bit for bit, so a point on a shared edge is
/// inside exactly one of them.
#[derive(Clone, Copy, Debug)]
struct Edge {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Edge {
    fn new(a: Coord<f64>, b: Coord<f64>) -> Self {
        if a.y <= b.y {
            Edge {
                x0: a.x,
                y0: a.y,
                x1: b.x,
                y1: b.y,
            }
        } else {
            Edge {
                x0: b.x,
                y0: b.y,
                x1: a.x,
                y1: a.y,
            }
        }
    }

    /// Tests whether a ray from (x, y) towards +x crosses this edge, with the half-open rule
    /// `y0 <= y < y1` so that a ray through a vertex counts it once.
    #[inline]
    fn crosses_ray(&self, x: f64, y: f64) -> bool {
        if y < self.y0 || y >= self.y1 {
            return false;
        }
        let crossing_x = self.x0 + (y - self.y0) * (self.x1 - self.x0) / (self.y1 - self.y0);
        x < crossing_x
    }

    /// Squared distance from (x, y) to the segment, in the units of the inputs.
    fn distance_squared(&self, x: f64, y: f64) -> f64 {
        let (dx, dy) = (self.x1 - self.x0, self.y1 - self.y0);
        let length_squared = dx * dx + dy * dy;
        let t = if length_squared == 0.0 {
            0.0
        } else {
            (((x - self.x0) * dx + (y - self.y0) * dy) / length_squared).clamp(0.0, 1.0)
        };
        let (px, py) = (self.x0 + t * dx - x, self.y0 + t * dy - y);
        px * px + py * py
    }
}

/// A (multi)polygon prepared for fast containment tests. Coordinates are lon (x), lat (y).
#[derive(Debug)]
pub(crate) struct BandedPolygon {
    bbox: Rect<f64>,
    band_height: f64,
    /// `band_starts[i]..band_starts[i + 1]` indexes the edges of band `i` in `band_edges`.
    band_starts: Vec<u32>,
    band_edges: Vec<Edge>,
    edges: Vec<Edge>,
}

impl BandedPolygon {
    /// Builds the index. Returns `None` for a geometry without any ring.
    pub(crate) fn new(polygons: &MultiPolygon<f64>) -> Option<Self> {
        let mut edges = Vec::new();
        let mut min = Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut max = Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        for polygon in polygons {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for line in ring.lines() {
                    edges.push(Edge::new(line.start, line.end));
                }
                for c in ring.coords() {
                    min = Coord {
                        x: min.x.min(c.x),
                        y: min.y.min(c.y),
                    };
                    max = Coord {
                        x: max.x.max(c.x),
                        y: max.y.max(c.y),
                    };
                }
            }
        }
        if edges.is_empty() {
            return None;
        }

        let band_count = (edges.len() / EDGES_PER_BAND).clamp(1, MAX_BANDS);
        let band_height = ((max.y - min.y) / band_count as f64).max(f64::MIN_POSITIVE);
        let band_of = |y: f64| (((y - min.y) / band_height) as usize).min(band_count - 1);

        let mut per_band: Vec<Vec<Edge>> = vec![Vec::new(); band_count];
        for edge in &edges {
            // A horizontal edge never crosses a ray, so it is left out of the bands.
            if edge.y0 == edge.y1 {
                continue;
            }
            for band in &mut per_band[band_of(edge.y0)..=band_of(edge.y1)] {
                band.push(*edge);
            }
        }
        let mut band_starts = Vec::with_capacity(band_count + 1);
        let mut band_edges = Vec::new();
        for band in per_band {
            band_starts.push(band_edges.len() as u32);
            band_edges.extend(band);
        }
        band_starts.push(band_edges.len() as u32);

        Some(BandedPolygon {
            bbox: Rect::new(min, max),
            band_height,
            band_starts,
            band_edges,
            edges,
        })
    }

    pub(crate) fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// Even-odd containment. Points on the boundary follow the half-open rule of
    /// [`Edge::crosses_ray`], which puts a point on a shared edge into exactly one neighbour.
    #[inline]
    pub(crate) fn contains(&self, x: f64, y: f64) -> bool {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        if !(x >= min.x && x <= max.x && y >= min.y && y <= max.y) {
            return false;
        }
        let band_count = self.band_starts.len() - 1;
        let band = (((y - min.y) / self.band_height) as usize).min(band_count - 1);
        let start = self.band_starts[band] as usize;
        let end = self.band_starts[band + 1] as usize;
        let mut inside = false;
        for edge in &self.band_edges[start..end] {
            if edge.crosses_ray(x, y) {
                inside = !inside;
            }
        }
        inside
    }

    /// Distance in metres from a point to the nearest edge, on a local equirectangular
    /// projection around the point. The error is well under 1% for the few hundred metres
    /// this is used for.
    pub(crate) fn boundary_distance_m(&self, lon: f64, lat: f64) -> f64 {
        let x_scale = METRES_PER_DEGREE_LAT * lat.to_radians().cos();
        let mut best = f64::INFINITY;
        for edge in &self.edges {
            let scaled = Edge {
                x0: (edge.x0 - lon) * x_scale,
                y0: (edge.y0 - lat) * METRES_PER_DEGREE_LAT,
                x1: (edge.x1 - lon) * x_scale,
                y1: (edge.y1 - lat) * METRES_PER_DEGREE_LAT,
            };
            best = best.min(scaled.distance_squared(0.0, 0.0));
        }
        best.sqrt()
    }
}

/// Metres per degree of latitude on a sphere of the mean Earth radius.
pub(crate) const METRES_PER_DEGREE_LAT: f64 =
    crate::h3::EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Point, polygon};

    #[test]
    fn banded_matches_geo_contains() {
        let shape = polygon![
            (x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 5.0, y: 4.0),
            (x: 0.0, y: 10.0), (x: 0.0, y: 0.0),
        ];
        let banded = BandedPolygon::new(&MultiPolygon(vec![shape.clone()])).unwrap();
        for i in 0..200 {
            for j in 0..200 {
                let (x, y) = (i as f64 * 0.0513 + 0.001, j as f64 * 0.0517 + 0.001);
                let expected = shape.contains(&Point::new(x, y));
                assert_eq!(banded.contains(x, y), expected, "point ({x}, {y})");
            }
        }
    }

    #[test]
    fn shared_edge_point_in_one_square() {
        let left = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        let right =
            polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)];
        let left = BandedPolygon::new(&MultiPolygon(vec![left])).unwrap();
        let right = BandedPolygon::new(&MultiPolygon(vec![right])).unwrap();
        assert!(!left.contains(1.0, 0.5));
        assert!(right.contains(1.0, 0.5));
    }

    #[test]
    fn boundary_distance_of_unit_square() {
        let square = polygon![(x: 37.0, y: 55.0), (x: 37.01, y: 55.0), (x: 37.01, y: 55.01), (x: 37.0, y: 55.01)];
        let banded = BandedPolygon::new(&MultiPolygon(vec![square])).unwrap();
        let distance = banded.boundary_distance_m(37.005, 55.011);
        assert!((distance - 111.2).abs() < 1.0, "distance {distance}");
    }
}
