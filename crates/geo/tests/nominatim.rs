//! `NominatimGeocoder` against a stand-in Nominatim server on 127.0.0.1 with canned responses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use pomoshnik_geo::{CityMap, GeocodeError, Geocoder, NominatimConfig, NominatimGeocoder};

type Seen = Arc<Mutex<Vec<(String, HashMap<String, String>, String)>>>;

const SEARCH_BODY: &str = r#"[
  {"place_id": 1, "lat": "55.7672730", "lon": "37.6962890", "category": "building", "type": "yes",
   "display_name": "14/1, Госпитальная улица, Басманный район, Москва, Россия",
   "address": {"road": "Госпитальная улица", "house_number": "14/1", "city": "Москва"}},
  {"place_id": 2, "lat": "55.7675", "lon": "37.6970", "category": "highway", "type": "residential",
   "display_name": "Госпитальная улица, Москва, Россия"}
]"#;

const REVERSE_BODY: &str = r#"{"place_id": 3, "lat": "55.7539", "lon": "37.6208",
  "display_name": "Красная площадь, Тверской район, Москва, Россия",
  "address": {"road": "Красная площадь"}}"#;

async fn start_server(seen: Seen) -> String {
    async fn record(seen: &Seen, path: &str, query: HashMap<String, String>, headers: &HeaderMap) {
        let agent = headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        seen.lock().unwrap().push((path.to_owned(), query, agent));
    }
    let app = Router::new()
        .route(
            "/search",
            get(
                |State(seen): State<Seen>,
                 Query(q): Query<HashMap<String, String>>,
                 headers: HeaderMap| async move {
                    let broken = q.get("q").is_some_and(|q| q == "broken");
                    record(&seen, "/search", q, &headers).await;
                    if broken {
                        return (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response();
                    }
                    ([("content-type", "application/json")], SEARCH_BODY).into_response()
                },
            ),
        )
        .route(
            "/reverse",
            get(
                |State(seen): State<Seen>,
                 Query(q): Query<HashMap<String, String>>,
                 headers: HeaderMap| async move {
                    let far = q.get("lat").is_some_and(|lat| lat.starts_with("10"));
                    record(&seen, "/reverse", q, &headers).await;
                    let body = if far {
                        r#"{"error":"Unable to geocode"}"#
                    } else {
                        REVERSE_BODY
                    };
                    ([("content-type", "application/json")], body).into_response()
                },
            ),
        )
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/")
}

fn geocoder(base_url: String) -> NominatimGeocoder {
    let mut config = NominatimConfig::new(base_url, "pomoshnik-test/0.1");
    config.timeout = Duration::from_secs(5);
    NominatimGeocoder::new(config)
        .unwrap()
        .with_city_map(Arc::new(CityMap::moscow().unwrap()))
}

#[tokio::test]
async fn search_sends_jsonv2_parameters() {
    let seen = Seen::default();
    let geocoder = geocoder(start_server(seen.clone()).await);

    let places = geocoder.search("Госпитальная ул 14", 2).await.unwrap();

    assert_eq!(places.len(), 2);
    assert_eq!(places[0].label, "Госпитальная улица, 14/1");
    assert_eq!(places[0].lat, 55.767273);
    assert_eq!(places[0].district.as_deref(), Some("Басманный район"));
    assert_eq!(places[1].label, "Госпитальная улица, Москва, Россия");

    let requests = seen.lock().unwrap();
    let (path, query, agent) = &requests[0];
    assert_eq!(path, "/search");
    assert_eq!(query["q"], "Госпитальная ул 14");
    assert_eq!(query["format"], "jsonv2");
    assert_eq!(query["limit"], "2");
    assert_eq!(query["accept-language"], "ru");
    assert_eq!(query["bounded"], "1");
    assert_eq!(query["viewbox"], "36.8,56.03,37.97,55.14");
    assert_eq!(agent, "pomoshnik-test/0.1");
}

#[tokio::test]
async fn reverse_sends_coordinates() {
    let seen = Seen::default();
    let geocoder = geocoder(start_server(seen.clone()).await);

    let place = geocoder.reverse(55.7539, 37.6208).await.unwrap().unwrap();

    assert_eq!(place.label, "Красная площадь");
    assert_eq!(place.district.as_deref(), Some("Тверской район"));
    let requests = seen.lock().unwrap();
    let (path, query, _) = &requests[0];
    assert_eq!(path, "/reverse");
    assert_eq!(query["lat"], "55.7539");
    assert_eq!(query["lon"], "37.6208");
    assert_eq!(query["format"], "jsonv2");
    assert_eq!(query["accept-language"], "ru");
}

#[tokio::test]
async fn reverse_unable_to_geocode_is_none() {
    let geocoder = geocoder(start_server(Seen::default()).await);
    assert_eq!(geocoder.reverse(10.0, 10.0).await.unwrap(), None);
}

#[tokio::test]
async fn server_error_is_status_error() {
    let geocoder = geocoder(start_server(Seen::default()).await);
    let error = geocoder.search("broken", 5).await.unwrap_err();
    assert!(
        matches!(error, GeocodeError::Status { status: 503, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn empty_user_agent_rejected() {
    let config = NominatimConfig::new("http://127.0.0.1:9", " ");
    assert!(matches!(
        NominatimGeocoder::new(config),
        Err(GeocodeError::Config(_))
    ));
}
