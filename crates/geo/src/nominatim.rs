//! `NominatimGeocoder`: a client for the Nominatim `/search` and `/reverse` API (jsonv2).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use crate::geocoder::{GeocodeError, Geocoder, Place};
use crate::{CityMap, Location};

/// Longitude/latitude box around Moscow including New Moscow and Zelenograd, as Nominatim's
/// `viewbox` order: west, north, east, south.
pub const MOSCOW_VIEWBOX: [f64; 4] = [36.80, 56.03, 37.97, 55.14];

#[derive(Clone, Debug)]
pub struct NominatimConfig {
    /// Server root without a trailing slash, e.g. "https://nominatim.openstreetmap.org".
    pub base_url: String,
    /// Total time for one request, including connecting.
    pub timeout: Duration,
    /// Sent as the User-Agent header. The public Nominatim service requires one that names the
    /// application.
    pub user_agent: String,
    /// When set, searches are restricted to this box (`viewbox=..&bounded=1`), in the order
    /// west, north, east, south.
    pub viewbox: Option<[f64; 4]>,
}

impl NominatimConfig {
    /// Creates a configuration with a 5 s timeout and searches bounded to [`MOSCOW_VIEWBOX`].
    pub fn new(base_url: impl Into<String>, user_agent: impl Into<String>) -> Self {
        NominatimConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(5),
            user_agent: user_agent.into(),
            viewbox: Some(MOSCOW_VIEWBOX),
        }
    }
}

/// Geocoder backed by a Nominatim server. Results get their district from the [`CityMap`] when
/// one is attached with [`NominatimGeocoder::with_city_map`].
pub struct NominatimGeocoder {
    client: reqwest::Client,
    config: NominatimConfig,
    map: Option<Arc<CityMap>>,
}

/// One result of `/search` or `/reverse` in the jsonv2 format. Nominatim sends coordinates as
/// strings.
#[derive(Deserialize)]
struct JsonV2Place {
    lat: String,
    lon: String,
    display_name: String,
    #[serde(default)]
    address: Option<JsonV2Address>,
}

#[derive(Deserialize)]
struct JsonV2Address {
    road: Option<String>,
    house_number: Option<String>,
}

/// `/reverse` returns `{"error": "Unable to geocode"}` when nothing is near the point.
#[derive(Deserialize)]
#[serde(untagged)]
enum ReverseResponse {
    NotFound { error: String },
    Found(JsonV2Place),
}

impl NominatimGeocoder {
    pub fn new(config: NominatimConfig) -> Result<Self, GeocodeError> {
        if config.user_agent.trim().is_empty() {
            return Err(GeocodeError::Config(
                "user_agent is empty; Nominatim requires one naming the application".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| GeocodeError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(NominatimGeocoder {
            client,
            config,
            map: None,
        })
    }

    pub fn with_city_map(mut self, map: Arc<CityMap>) -> Self {
        self.map = Some(map);
        self
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, GeocodeError> {
        let url = format!("{}{path}", self.config.base_url);
        let response = self
            .client
            .get(&url)
            .query(query)
            .send()
            .await
            .map_err(|source| GeocodeError::Request {
                url: url.clone(),
                source,
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(GeocodeError::Status {
                url,
                status: status.as_u16(),
            });
        }
        let body = response
            .bytes()
            .await
            .map_err(|source| GeocodeError::Request {
                url: url.clone(),
                source,
            })?;
        serde_json::from_slice(&body).map_err(|e| GeocodeError::InvalidResponse {
            url,
            reason: e.to_string(),
        })
    }

    fn to_place(&self, raw: JsonV2Place) -> Result<Place, GeocodeError> {
        let parse = |value: &str, name: &str| {
            value
                .parse::<f64>()
                .map_err(|_| GeocodeError::InvalidResponse {
                    url: self.config.base_url.clone(),
                    reason: format!("{name} {value:?} is not a number"),
                })
        };
        let lat = parse(&raw.lat, "lat")?;
        let lon = parse(&raw.lon, "lon")?;
        let label = match raw.address {
            Some(JsonV2Address {
                road: Some(road),
                house_number: Some(house),
            }) => format!("{road}, {house}"),
            Some(JsonV2Address {
                road: Some(road),
                house_number: None,
            }) => road,
            _ => raw.display_name,
        };
        let district = self
            .map
            .as_ref()
            .and_then(|map| match map.locate(lat, lon) {
                Location::Inside { district, .. } => Some(district.name.clone()),
                _ => None,
            });
        Ok(Place {
            label,
            lat,
            lon,
            district,
        })
    }
}

#[async_trait]
impl Geocoder for NominatimGeocoder {
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Place>, GeocodeError> {
        if query.trim().is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut params = vec![
            ("q", query.to_owned()),
            ("format", "jsonv2".to_owned()),
            ("limit", limit.to_string()),
            ("accept-language", "ru".to_owned()),
            ("addressdetails", "1".to_owned()),
        ];
        if let Some([west, north, east, south]) = self.config.viewbox {
            params.push(("viewbox", format!("{west},{north},{east},{south}")));
            params.push(("bounded", "1".to_owned()));
        }
        let raw: Vec<JsonV2Place> = self.get("/search", &params).await?;
        raw.into_iter()
            .take(limit)
            .map(|place| self.to_place(place))
            .collect()
    }

    async fn reverse(&self, lat: f64, lon: f64) -> Result<Option<Place>, GeocodeError> {
        if !(lat.is_finite() && lon.is_finite()) || lat.abs() > 90.0 || lon.abs() > 180.0 {
            return Err(GeocodeError::InvalidCoordinates { lat, lon });
        }
        let params = [
            ("lat", lat.to_string()),
            ("lon", lon.to_string()),
            ("format", "jsonv2".to_owned()),
            ("accept-language", "ru".to_owned()),
            ("addressdetails", "1".to_owned()),
        ];
        match self.get::<ReverseResponse>("/reverse", &params).await? {
            ReverseResponse::NotFound { error } => {
                tracing::debug!(lat, lon, %error, "Nominatim found no place near the point");
                Ok(None)
            }
            ReverseResponse::Found(place) => self.to_place(place).map(Some),
        }
    }
}
