use pomoshnik_geo::{
    DUPLICATE_RESOLUTION, LatLon, cells_within, cells_within_at, distance_m, h3_cell,
};

/// Moves a point by `metres` at `bearing_deg` on the sphere (small distances).
fn offset(origin: LatLon, metres: f64, bearing_deg: f64) -> LatLon {
    let metres_per_degree = 111_195.0;
    let bearing = bearing_deg.to_radians();
    LatLon {
        lat: origin.lat + metres * bearing.cos() / metres_per_degree,
        lon: origin.lon
            + metres * bearing.sin() / (metres_per_degree * origin.lat.to_radians().cos()),
    }
}

#[test]
fn points_80m_apart_share_disk() {
    let a = LatLon {
        lat: 55.767273,
        lon: 37.696289,
    };
    let b = offset(a, 80.0, 45.0);
    assert!((distance_m(a, b) - 80.0).abs() < 0.5);
    let cells = cells_within(a.lat, a.lon, 100.0).unwrap();
    assert!(cells.contains(&h3_cell(a.lat, a.lon, DUPLICATE_RESOLUTION).unwrap()));
    assert!(cells.contains(&h3_cell(b.lat, b.lon, DUPLICATE_RESOLUTION).unwrap()));
}

#[test]
fn disk_covers_radius_at_several_resolutions() {
    for resolution in [8, 9, 10, 11] {
        for centre_step in 0..20 {
            let centre = LatLon {
                lat: 55.70 + centre_step as f64 * 0.0071,
                lon: 37.50 + centre_step as f64 * 0.0113,
            };
            let cells = cells_within_at(centre.lat, centre.lon, 100.0, resolution).unwrap();
            for bearing in (0..360).step_by(15) {
                for metres in [25.0, 50.0, 75.0, 99.0] {
                    let p = offset(centre, metres, bearing as f64);
                    let cell = h3_cell(p.lat, p.lon, resolution).unwrap();
                    assert!(
                        cells.contains(&cell),
                        "res {resolution}, {metres} m at {bearing}° from {centre:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn duplicate_resolution_disk_size() {
    assert_eq!(cells_within(55.75, 37.62, 100.0).unwrap().len(), 19);
    assert_eq!(cells_within_at(55.75, 37.62, 100.0, 9).unwrap().len(), 7);
}

#[test]
fn invalid_inputs_rejected() {
    assert!(h3_cell(f64::NAN, 37.6, 9).is_err());
    assert!(h3_cell(55.75, 37.6, 16).is_err());
    assert!(cells_within(55.75, 37.6, -1.0).is_err());
}
