use std::collections::HashMap;
use std::sync::LazyLock;

use pomoshnik_geo::{ADDRESSES_CSV, CityMap, Location, normalize_district_name};

static MAP: LazyLock<CityMap> =
    LazyLock::new(|| CityMap::moscow().expect("embedded data is valid"));

/// A parking on a street that forms a district border (Мясницкая улица between Басманный and
/// Красносельский, Благовещенский переулок between Тверской and Пресненский) is often labelled
/// with the district across the street. The largest such distance in the sample is 125 m.
const BORDER_TOLERANCE_M: f64 = 130.0;

/// Rows whose stated district is more than `BORDER_TOLERANCE_M` from their point, as
/// (global_id, district the point is in or None, reason).
const MISPLACED: &[(&str, Option<&str>, &str)] = &[
    (
        "1045425932",
        None,
        "labelled Очаково-Матвеевское; point is in no district polygon and 1.65 km from it",
    ),
    (
        "2758177",
        Some("район Ясенево"),
        "labelled Тёплый Стан; point is 236 m across the border",
    ),
    (
        "2758458",
        Some("Алтуфьевский район"),
        "labelled Войковский; point is 6.4 km away, a wrong coordinate",
    ),
    (
        "14020762",
        Some("Даниловский район"),
        "labelled Кузьминки; point is 5.3 km away, a wrong coordinate",
    ),
    (
        "14225463",
        Some("район Крылатское"),
        "«ст. м. Чистые Пруды» with longitude 37.42 instead of about 37.64",
    ),
    (
        "14225473",
        Some("район Крылатское"),
        "same record as 14225463",
    ),
    (
        "19646465",
        Some("район Силино"),
        "labelled Старое Крюково; Zelenograd building 812 is 399 m across the border",
    ),
    (
        "22950209",
        Some("Тропарёво-Никулино"),
        "labelled Раменки; point is 1.1 km away",
    ),
    (
        "63061392",
        Some("Мещанский район"),
        "labelled Красносельский; Мясницкая 19 point is 413 m away",
    ),
    (
        "282199405",
        None,
        "platform Новоподрезково: point is 124 m outside the city, in Moscow Oblast",
    ),
    (
        "282199594",
        Some("Мещанский район"),
        "labelled Тверской; point is 214 m across Цветной бульвар",
    ),
    (
        "282200369",
        Some("район Якиманка"),
        "metro Третьяковская labelled Красносельский; 2.9 km away",
    ),
    (
        "1146362347",
        Some("район Зюзино"),
        "labelled Нагорный; point is 165 m across the border",
    ),
];

fn district_codes() -> HashMap<String, String> {
    MAP.districts()
        .map(|(d, _)| (normalize_district_name(&d.name), d.code.clone()))
        .collect()
}

#[test]
fn map_has_146_units_in_12_okrugs() {
    let districts: Vec<_> = MAP.districts().collect();
    assert_eq!(districts.len(), 146);
    let raions = districts
        .iter()
        .filter(|(d, _)| d.name.contains("район") || d.name == "Тропарёво-Никулино")
        .count();
    assert_eq!(raions, 125);
    let okrugs: std::collections::HashSet<_> =
        districts.iter().map(|(_, o)| o.code.as_str()).collect();
    assert_eq!(okrugs.len(), 12);
}

#[test]
fn addresses_in_stated_district() {
    let codes = district_codes();
    let mut reader = csv::Reader::from_reader(ADDRESSES_CSV.as_bytes());
    let (mut total, mut exact, mut near_border) = (0, 0, 0);
    let mut listed_seen = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        let (id, stated) = (&record[1], &record[4]);
        let lon: f64 = record[5].parse().unwrap();
        let lat: f64 = record[6].parse().unwrap();
        total += 1;
        let location = MAP.locate(lat, lon);
        let found = location.district().map(|d| d.name.as_str());

        if let Some((_, expected, reason)) = MISPLACED.iter().find(|(listed, ..)| *listed == id) {
            assert_eq!(
                found, *expected,
                "row {id} ({reason}) located as {location:?}"
            );
            listed_seen.push(id.to_owned());
            continue;
        }
        if found.map(normalize_district_name) == Some(normalize_district_name(stated)) {
            exact += 1;
            continue;
        }
        let code = codes
            .get(&normalize_district_name(stated))
            .unwrap_or_else(|| panic!("unknown district {stated}"));
        let distance = MAP.distance_to_district_m(lat, lon, code).unwrap();
        assert!(
            distance <= BORDER_TOLERANCE_M,
            "row {id} stated {stated}, located {location:?}, {distance:.0} m from the stated district"
        );
        near_border += 1;
    }
    assert_eq!(total, 1341);
    assert_eq!(listed_seen.len(), MISPLACED.len());
    assert_eq!(near_border, 31);
    assert_eq!(exact, 1341 - 31 - MISPLACED.len());
}

#[test]
fn points_outside_moscow() {
    for (lat, lon) in [
        (55.8970, 37.4297),
        (59.9386, 30.3141),
        (0.0, 0.0),
        (f64::NAN, 37.6),
        (55.75, f64::NAN),
        (f64::INFINITY, 0.0),
        (95.0, 37.6),
    ] {
        assert_eq!(
            MAP.locate(lat, lon),
            Location::Outside,
            "point ({lat}, {lon})"
        );
    }
}

#[test]
fn zelenograd_is_inside() {
    let location = MAP.locate(55.9825, 37.1814);
    assert_eq!(
        location.okrug().map(|o| o.code.as_str()),
        Some("zelao"),
        "{location:?}"
    );
}

#[test]
fn new_moscow_is_inside() {
    // Troitsk centre and Kommunarka.
    let troitsk = MAP.locate(55.4847, 37.3060);
    assert_eq!(
        troitsk.district().map(|d| d.name.as_str()),
        Some("городской округ Троицк"),
        "{troitsk:?}"
    );
    let kommunarka = MAP.locate(55.5690, 37.4890);
    assert_eq!(
        kommunarka.okrug().map(|o| o.code.as_str()),
        Some("nao"),
        "{kommunarka:?}"
    );
}

#[test]
fn red_square_in_tverskoy() {
    let location = MAP.locate(55.7539, 37.6208);
    assert_eq!(
        location.district().map(|d| d.name.as_str()),
        Some("Тверской район")
    );
    assert_eq!(location.okrug().map(|o| o.code.as_str()), Some("cao"));
}

#[test]
fn shared_border_point_in_one_district() {
    // Bisect along a parallel in the centre to the border between two neighbouring districts.
    let (lat, mut west, mut east) = (55.7650, 37.6300, 37.6450);
    let district_at = |lon: f64| MAP.locate(lat, lon).district().cloned();
    let start = district_at(west);
    assert_ne!(start, district_at(east));
    for _ in 0..200 {
        let mid = (west + east) / 2.0;
        if district_at(mid) == start {
            west = mid
        } else {
            east = mid
        }
    }
    // `east` is now within a few ulps of the border; points at and around it each get one
    // district, and repeated calls agree.
    for lon in [west, east, (west + east) / 2.0] {
        let first = MAP.locate(lat, lon);
        assert!(
            first.district().is_some(),
            "border point {lon} located as {first:?}"
        );
        assert_eq!(MAP.locate(lat, lon), first);
    }
}
