//! What every request handler shares.

use std::sync::Arc;

use pomoshnik_geo::{CityMap, Geocoder};
use pomoshnik_media::FileStore;
use pomoshnik_store::Store;

use crate::oidc::{ProviderConfig, Providers};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Whether cookies carry the `Secure` attribute; on whenever the public address is HTTPS.
    pub secure_cookies: bool,
    /// Map tile URL template such as `https://tiles.example/{z}/{x}/{y}.png`; without one the
    /// form offers address search and coordinates only.
    pub tile_url: Option<String>,
    /// Public base URL of the service, such as `https://pomoshnik.example`; providers redirect
    /// back to `<public_url>/auth/<provider>/callback`.
    pub public_url: String,
    /// OpenID Connect providers of the configuration file.
    pub providers: Vec<ProviderConfig>,
    /// Hotline phone number shown on the help page, such as `+7 495 777-77-77`.
    pub hotline: Option<String>,
    /// Request header in which the load balancer in front of the nodes puts the client's
    /// address, such as `X-Forwarded-For`. Without it the rate limits per address use the TCP
    /// peer, which behind a balancer is the balancer itself.
    pub client_address_header: Option<axum::http::HeaderName>,
    pub rate_limits: crate::limits::RateLimits,
    /// Web Push, when the installation has a VAPID key pair.
    pub push: Option<crate::push::PushSettings>,
    /// Local accounts: who delivers one-time codes, and their limits.
    pub accounts: crate::accounts::AccountsConfig,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub files: Arc<FileStore>,
    /// The production calendar deadlines are counted with.
    pub calendar: crate::calendar_import::SharedCalendar,
    /// The city's boundary and districts.
    pub city: Arc<CityMap>,
    /// Address search and reverse lookup: the embedded gazetteer or a Nominatim service.
    pub geocoder: Arc<dyn Geocoder>,
    pub config: Arc<WebConfig>,
    /// OpenID Connect providers from the configuration file; empty without one.
    pub providers: Arc<Providers>,
    /// Cancelled when the server starts shutting down, so that endless responses (the live
    /// update streams) end instead of holding the shutdown until its drain limit.
    pub stopping: tokio_util::sync::CancellationToken,
    /// The public map's points, kept in memory.
    pub map: Arc<crate::map_index::MapIndex>,
}
