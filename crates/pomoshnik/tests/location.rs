//! Location of reports over real HTTP: the city boundary, districts, address search and
//! possible duplicates nearby. Every scenario runs on SQLite and on PostgreSQL.

mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(with_service => outside_city_rejected, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => district_stored_and_shown, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => address_search_and_reverse, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => nearby_open_reports, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => public_map_without_personal_data, flavor = "multi_thread", worker_threads = 2);

async fn outside_city_rejected(service: &TestService) {
    let resident = service.resident("khimki@example.ru").await;

    // Khimki, just outside the north-western city boundary.
    let (status, body) = resident.file_report(&litter_report(55.8970, 37.4297), &[], None).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "location_outside_city");
    assert_eq!(body["error"]["field"], "location");
    assert!(body["error"]["message"].as_str().unwrap().contains("за пределами Москвы"), "{body}");
    assert!(resident.report_numbers().await.is_empty(), "no report is stored");
}

async fn district_stored_and_shown(service: &TestService) {
    let resident = service.resident("tverskoy@example.ru").await;

    let (status, body) = resident.file_report(&litter_report(55.7640, 37.6060), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["district"]["name"], "Тверской район");
    assert_eq!(body["okrug"]["code"], "cao");

    // Zelenograd is a separate part of Moscow, far outside the ring road.
    let (status, body) = resident.file_report(&litter_report(55.9825, 37.1814), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["okrug"]["code"], "zelao");

    let number = body["number"].as_str().unwrap();
    let browser = service.browser();
    sign_in_with_form(service, &browser, "tverskoy@example.ru", "/").await;
    let (status, html) = get_page(service, &browser, &format!("/reports/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Зеленоградский административный округ"), "the card names the okrug");
}

async fn address_search_and_reverse(service: &TestService) {
    let resident = service.resident("search@example.ru").await;

    let (status, body) = resident.get_json("/api/v1/geocode/search?q=%D0%93%D0%BE%D1%81%D0%BF%D0%B8%D1%82%D0%B0%D0%BB%D1%8C%D0%BD%D0%B0%D1%8F%20%D1%83%D0%BB%2014").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["places"][0];
    assert!(first["label"].as_str().unwrap().contains("Госпитальная улица, дом 14"), "{body}");

    let (lat, lon) = (first["lat"].as_f64().unwrap(), first["lon"].as_f64().unwrap());
    let (status, body) = resident.get_json(&format!("/api/v1/geocode/reverse?lat={lat}&lon={lon}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["inside"], true);
    assert!(body["place"]["label"].as_str().unwrap().contains("Госпитальная"), "{body}");

    let (status, body) = resident.get_json("/api/v1/geocode/reverse?lat=59.9386&lon=30.3141").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["inside"], false, "Saint Petersburg is outside Moscow");

    // Without JavaScript the form's address search lists links that fill the coordinates.
    let browser = service.browser();
    sign_in_with_form(service, &browser, "search@example.ru", "/").await;
    let (status, html) = get_page(service, &browser, "/reports/new/uncleaned_litter_snow?find=%D0%93%D0%BE%D1%81%D0%BF%D0%B8%D1%82%D0%B0%D0%BB%D1%8C%D0%BD%D0%B0%D1%8F%2014").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Найденные адреса"));
    assert!(html.contains("/reports/new/uncleaned_litter_snow?lat="), "results link back to the form with coordinates");

    let (status, html) = get_page(service, &browser, "/reports/new/uncleaned_litter_snow?lat=55.764000&lon=37.606000&address=Tverskaya").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"id="latitude" name="latitude" type="text" inputmode="decimal" required value="55.764000""#), "latitude filled in");
    assert!(html.contains(r#"id="longitude" name="longitude" type="text" inputmode="decimal" required value="37.606000""#), "longitude filled in");
    assert!(html.contains(r#"value="Tverskaya""#), "address filled in");
}

async fn nearby_open_reports(service: &TestService) {
    let author = service.resident("first@example.ru").await;
    let neighbour = service.resident("second@example.ru").await;

    let (status, first) = author.file_report(&litter_report(55.76400, 37.60600), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");

    // About 55 m north of the first report: a possible duplicate.
    let (status, body) = neighbour.get_json("/api/v1/reports/nearby?category=uncleaned_litter_snow&lat=55.76450&lon=37.60600").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reports = body["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{body}");
    assert_eq!(reports[0]["number"], first["number"]);
    let distance = reports[0]["distance_m"].as_f64().unwrap();
    assert!((50.0..=60.0).contains(&distance), "distance {distance} m");
    assert!(reports[0].get("description").is_none(), "no report text reaches another resident");

    // About 220 m away: not a duplicate.
    let (_, body) = neighbour.get_json("/api/v1/reports/nearby?category=uncleaned_litter_snow&lat=55.76600&lon=37.60600").await;
    assert_eq!(body["reports"].as_array().unwrap().len(), 0, "{body}");

    // Another category at the same point: not a duplicate.
    let (_, body) = neighbour.get_json("/api/v1/reports/nearby?category=unauthorized_trade&lat=55.76400&lon=37.60600").await;
    assert_eq!(body["reports"].as_array().unwrap().len(), 0, "{body}");
}

async fn public_map_without_personal_data(service: &TestService) {
    let resident = service.resident("public@example.ru").await;
    let (status, litter) = resident.file_report(&litter_report(55.76400, 37.60600), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{litter}");
    let (status, second_litter) = resident.file_report(&litter_report(55.76420, 37.60620), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{second_litter}");
    let (status, parking) = resident.file_report(&parking_report(), &[Upload::photo(TVERSKAYA), Upload::photo(NO_GPS)], None).await;
    assert_eq!(status, StatusCode::CREATED, "{parking}");

    let anonymous = reqwest::Client::new();
    let fetch = |query: &'static str| {
        let anonymous = anonymous.clone();
        let url = service.url(&format!("/api/v1/public/reports?{query}"));
        async move {
            let response = anonymous.get(url).send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };

    let (status, close_up) = fetch("bbox=37.5,55.7,37.7,55.8&zoom=17").await;
    assert_eq!(status, StatusCode::OK, "{close_up}");
    let body: Value = serde_json::from_str(&close_up).unwrap();
    assert_eq!(body["type"], "FeatureCollection");
    let numbers: Vec<&str> = body["features"].as_array().unwrap().iter().filter_map(|feature| feature["properties"]["number"].as_str()).collect();
    assert_eq!(numbers.len(), 2, "{body}");
    assert!(numbers.contains(&litter["number"].as_str().unwrap()));
    assert!(!numbers.contains(&parking["number"].as_str().unwrap()), "parking reports never reach the public map");
    assert!(!close_up.contains("Автомобиль"), "no report text is public");
    assert!(!close_up.contains("А123ВС77"), "no plate is public");
    assert!(!close_up.contains("public@example.ru"), "no author is public");

    // The map keeps its points in memory: a report filed or moved on after an answer shows in the
    // next one.
    let (status, third_litter) = resident.file_report(&litter_report(55.76440, 37.60640), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{third_litter}");
    let moderator = service.user("map-moderator@example.ru", Role::Moderator, None).await;
    let first_number = litter["number"].as_str().unwrap();
    let (status, body) = moderator.transition(first_number, json!({ "to": "under_review", "comment": "Проверяем" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, close_up) = fetch("bbox=37.5,55.7,37.7,55.8&zoom=17").await;
    let body: Value = serde_json::from_str(&close_up).unwrap();
    let statuses: Vec<(&str, &str)> = body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|feature| (feature["properties"]["number"].as_str().unwrap(), feature["properties"]["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses.len(), 3, "{body}");
    assert_eq!(statuses[0], (third_litter["number"].as_str().unwrap(), "accepted"), "newest first: {body}");
    assert!(statuses.contains(&(first_number, "under_review")), "{body}");
    assert_eq!(body["total"], 3);

    let (_, overview) = fetch("bbox=37.5,55.7,37.7,55.8&zoom=10").await;
    let body: Value = serde_json::from_str(&overview).unwrap();
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "three close reports form one cluster: {body}");
    assert_eq!(features[0]["properties"]["count"], 3);
    assert_eq!(features[0]["properties"]["label"], "3 обращения");

    let (status, error) = fetch("bbox=37.7,55.7,37.5,55.8").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error.contains("bbox_invalid"), "{error}");

    let page = anonymous.get(service.url("/map")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Неубранный мусор или снег"), "the list shows public reports");
    assert!(!html.contains("Нарушение правил парковки"), "the list hides parking reports");
    assert!(html.contains("Тверской район"), "the list names the district");
}
