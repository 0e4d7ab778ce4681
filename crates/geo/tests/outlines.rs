//! District outlines for drawing: every district of the city map, simplified but still a ring.

use pomoshnik_geo::{CityMap, Location, district_outlines};

#[test]
fn outlines_cover_every_district() {
    let outlines = district_outlines(0.0008).expect("the embedded districts parse");

    assert_eq!(outlines.len(), 146, "the data has 125 districts, 19 settlements and 2 urban okrugs");
    for outline in &outlines {
        assert!(!outline.rings.is_empty(), "{} has no ring left after simplification", outline.district.name);
        for ring in &outline.rings {
            assert!(ring.len() >= 4, "{} has a ring of {} points", outline.district.name, ring.len());
            assert_eq!(ring.first(), ring.last(), "a ring of {} is not closed", outline.district.name);
        }
    }
}

#[test]
fn outlines_use_city_map_codes() {
    let outlines = district_outlines(0.0008).expect("the embedded districts parse");
    let map = CityMap::moscow().expect("the city map builds");

    let Location::Inside { district, .. } = map.locate(55.7539, 37.6208) else { panic!("Red Square is not inside a district") };
    let outline = outlines.iter().find(|outline| outline.district.code == district.code).expect("the district of Red Square has an outline");
    assert_eq!(outline.district.name, district.name);
}

#[test]
fn simplification_reduces_points() {
    let count = |tolerance: f64| -> usize {
        let outlines = district_outlines(tolerance).expect("the embedded districts parse");
        outlines.iter().flat_map(|outline| outline.rings.iter()).map(Vec::len).sum()
    };

    let exact = count(0.0);
    let simplified = count(0.0008);
    assert!(simplified * 3 < exact, "simplification kept {simplified} of {exact} points");
}
