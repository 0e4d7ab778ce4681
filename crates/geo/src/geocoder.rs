//! The geocoding interface shared by the embedded gazetteer and the Nominatim client.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A geocoding result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Russian address or place text for display, e.g. "Госпитальная улица, дом 14/1".
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    /// Full district name as in [`crate::District::name`], when known.
    pub district: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum GeocodeError {
    #[error("invalid coordinates lat={lat}, lon={lon}")]
    InvalidCoordinates { lat: f64, lon: f64 },
    #[error("geocoder request to {url} failed: {source}")]
    Request { url: String, source: reqwest::Error },
    #[error("geocoder returned HTTP {status} for {url}")]
    Status { url: String, status: u16 },
    #[error("geocoder response from {url} is invalid: {reason}")]
    InvalidResponse { url: String, reason: String },
    #[error("invalid geocoder configuration: {0}")]
    Config(String),
}

#[async_trait]
pub trait Geocoder: Send + Sync {
    /// Forward geocoding for autocomplete: up to `limit` places matching `query`, best first.
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Place>, GeocodeError>;

    /// Reverse geocoding: the address at or near a point, `None` if nothing is known there.
    async fn reverse(&self, lat: f64, lon: f64) -> Result<Option<Place>, GeocodeError>;
}
