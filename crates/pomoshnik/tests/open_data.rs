//! The open data export: CSV and GeoJSON of the reports of a period, with nothing that identifies
//! a person or a vehicle, open to everyone for the last 90 days and to administrators for any
//! period.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use chrono::{Days, Utc};
use common::*;
use pomoshnik_core::deadline::CITY_TIME_ZONE;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(with_service => export_without_personal_data, flavor = "multi_thread", worker_threads = 2);

async fn export_without_personal_data(service: &TestService) {
    let resident = service.resident("open-data@example.ru").await;
    let (status, litter) = resident.file_report(&litter_report(55.764_321, 37.606_789), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{litter}");
    let (status, parking) = resident.file_report(&parking_report(), &[Upload::photo(TVERSKAYA), Upload::photo(NO_GPS)], None).await;
    assert_eq!(status, StatusCode::CREATED, "{parking}");
    let numbers = [litter["number"].as_str().unwrap().to_owned(), parking["number"].as_str().unwrap().to_owned()];
    let private_texts = ["А123ВС77", "open-data@example.ru", litter["description"].as_str().unwrap(), parking["description"].as_str().unwrap()];

    let anonymous = reqwest::Client::new();
    let response = anonymous.get(service.url("/api/v1/open-data/reports")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"pomoshnik-reports-"), "{disposition}");
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(
        lines[0],
        "\u{feff}number,created_at,category_code,category_name,service_area,status,status_name,agency_code,district,okrug,latitude,longitude,resolved_at"
    );
    assert_eq!(lines.len(), 3, "a header and two reports: {csv}");
    assert!(lines[1].starts_with(&format!("{},", numbers[0])), "filing order: {csv}");
    assert!(lines[1].contains(",uncleaned_litter_snow,Неубранный мусор или снег,ЖКХ,accepted,Принято,"), "{}", lines[1]);
    assert!(lines[1].contains(",Тверской район,Центральный административный округ,55.764,37.607,"), "rounded coordinates: {}", lines[1]);
    assert!(lines[2].starts_with(&format!("{},", numbers[1])));
    for text in private_texts {
        assert!(!csv.contains(text), "the export contains {text:?}");
    }
    assert!(!csv.contains("55.764321"), "exact coordinates leaked");

    let response = anonymous.get(service.url("/api/v1/open-data/reports?format=geojson")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let geojson: Value = response.json().await.unwrap();
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), 2, "{geojson}");
    assert_eq!(features[0]["geometry"]["coordinates"], serde_json::json!([37.607, 55.764]));
    assert_eq!(features[0]["properties"]["number"], numbers[0].as_str());
    assert_eq!(features[0]["properties"]["resolved_at"], Value::Null);
    assert!(features[0]["properties"].get("latitude").is_none());
    for text in private_texts {
        assert!(!geojson.to_string().contains(text), "the GeoJSON contains {text:?}");
    }

    // An empty period is a header and nothing else, and an empty collection.
    let today = Utc::now().with_timezone(&CITY_TIME_ZONE).date_naive();
    let yesterday = today - Days::new(1);
    let (_, empty) = fetch(&anonymous, service, &format!("?from={yesterday}&to={yesterday}")).await;
    assert_eq!(empty.trim_end().split("\r\n").count(), 1, "{empty}");
    let (_, empty) = fetch(&anonymous, service, &format!("?format=geojson&from={yesterday}&to={yesterday}")).await;
    assert_eq!(empty, r#"{"type":"FeatureCollection","features":[]}"#);

    let old = today - Days::new(200);
    let (status, refused) = fetch(&anonymous, service, &format!("?from={old}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let earliest = (today - Days::new(89)).format("%d.%m.%Y").to_string();
    assert!(refused.contains(&format!("Укажите дату начала не раньше {earliest}")), "{refused}");
    let resident_denied = resident.get(&format!("/api/v1/open-data/reports?from={old}")).await;
    assert_eq!(resident_denied.status(), StatusCode::FORBIDDEN, "a resident is not an administrator");

    let admin = service.user("open-data-admin@example.ru", Role::Admin, None).await;
    let response = admin.get(&format!("/api/v1/open-data/reports?from={old}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap().trim_end().split("\r\n").count(), 3);

    let (status, invalid) = fetch(&anonymous, service, "?from=30.11.2026").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(invalid.contains("Укажите её в виде ГГГГ-ММ-ДД"), "{invalid}");
    let (status, invalid) = fetch(&anonymous, service, "?format=xlsx").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(invalid.contains("format=csv"), "{invalid}");
    let (status, reversed) = fetch(&anonymous, service, &format!("?from={today}&to={yesterday}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(reversed.contains("Начало периода позже его конца"), "{reversed}");
}

async fn fetch(client: &reqwest::Client, service: &TestService, query: &str) -> (StatusCode, String) {
    let response = client.get(service.url(&format!("/api/v1/open-data/reports{query}"))).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}
