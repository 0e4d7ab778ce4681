use std::sync::{Arc, LazyLock};

use pomoshnik_geo::{CityMap, Gazetteer, Geocoder};

static GAZETTEER: LazyLock<Gazetteer> =
    LazyLock::new(|| Gazetteer::new(Arc::new(CityMap::moscow().unwrap())).unwrap());

#[test]
fn search_abbreviated_finds_fraction_house() {
    let results = GAZETTEER.search_sync("город Москва, Госпитальная ул 14", 5);
    assert_eq!(
        results.first().map(|p| p.label.as_str()),
        Some("Госпитальная улица, дом 14/1"),
        "{results:?}"
    );
    assert_eq!(results[0].district.as_deref(), Some("Басманный район"));
}

#[test]
fn search_exact_house_ranks_first() {
    let results = GAZETTEER.search_sync("проспект Буденного 18Б", 5);
    assert_eq!(
        results.first().map(|p| p.label.as_str()),
        Some("проспект Буденного, дом 18Б"),
        "{results:?}"
    );
}

#[test]
fn search_house_with_korpus() {
    let results = GAZETTEER.search_sync("пр-т Буденного д. 39 корп. 1", 5);
    assert_eq!(
        results.first().map(|p| p.label.as_str()),
        Some("проспект Буденного, дом 39, корпус 1"),
        "{results:?}"
    );
}

#[test]
fn search_house_prefix_excludes_other_numbers() {
    let results = GAZETTEER.search_sync("проспект Буденного 3", 20);
    assert!(!results.is_empty());
    for place in &results {
        assert!(place.label.contains("дом 3"), "unexpected {place:?}");
    }
}

#[test]
fn search_district_name() {
    let results = GAZETTEER.search_sync("Филевский парк", 3);
    assert_eq!(
        results.first().map(|p| p.label.as_str()),
        Some("район Филёвский Парк"),
        "{results:?}"
    );
}

#[test]
fn search_respects_limit_and_empty_query() {
    assert_eq!(GAZETTEER.search_sync("улица", 3).len(), 3);
    assert!(GAZETTEER.search_sync(" ,. ", 3).is_empty());
}

#[test]
fn addresses_deduplicated() {
    let count = GAZETTEER.address_count();
    assert!(count > 1000, "count {count}");
    assert!(count < 1341, "count {count}");
}

#[tokio::test]
async fn reverse_near_address_point() {
    // About 30 m north-east of Госпитальная улица, дом 14/1 (55.767273, 37.696289).
    let place = GAZETTEER
        .reverse(55.76745, 37.69660)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(place.label, "Госпитальная улица, дом 14/1");
}

#[tokio::test]
async fn reverse_falls_back_to_district() {
    // Losiny Ostrov forest: no address point within 150 m.
    let place = GAZETTEER.reverse(55.8600, 37.7600).await.unwrap().unwrap();
    assert_eq!(place.lat, 55.8600);
    let district = place.district.clone().unwrap();
    assert_eq!(place.label, district);
}

#[tokio::test]
async fn reverse_outside_is_none() {
    assert_eq!(GAZETTEER.reverse(59.9386, 30.3141).await.unwrap(), None);
    assert!(GAZETTEER.reverse(f64::NAN, 37.6).await.is_err());
}
