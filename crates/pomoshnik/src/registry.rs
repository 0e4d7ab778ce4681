//! Owner lookups in the vehicle registry. Filing a report with a plate queues a lookup in the same
//! transaction (`vehicle_owner_lookups`), so a registry that is down or slow never delays the
//! filing. [`RegistryWorker`] then asks the registry and retries failed lookups with the backoff
//! of [`WorkerConfig`]. The owner is personal data: only executors of the report's agency see it,
//! on the report card and in the JSON API, and it is never logged.
//!
//! The registry speaks HTTP JSON: `GET {base_url}/vehicles/{plate}` with the plate in its
//! normalised form (percent-encoded) and `Authorization: Bearer {token}`. It answers 200 with
//! `{"plate": "А123ВС77", "owner": {"name": "…", "vehicle": "…"}}` (`vehicle` optional) or 404
//! when it does not know the plate. [`serve_stand_in`] is a registry of fake owners that speaks
//! the same protocol, for tests and demonstrations.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use pomoshnik_store::{OwnerLookupTask, Store, VehicleOwner};
use serde::{Deserialize, Serialize};

use crate::worker::{WorkerConfig, run_rounds};

pub const OWNER_LOOKUPS: &str = "pomoshnik_owner_lookups_total";

/// Reason a lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry could not be reached, timed out or responded with a server error, so a
    /// later attempt may succeed.
    #[error("vehicle registry unavailable: {0}")]
    Unavailable(String),
    /// The registry rejected the request (an invalid token) or sent a malformed response. Only
    /// a fixed configuration helps, but the worker still retries with backoff so that the queue
    /// completes once it is fixed.
    #[error("vehicle registry rejected the request: {0}")]
    Rejected(String),
}

/// A registry that returns the registered owner of a plate.
#[async_trait::async_trait]
pub trait VehicleRegistry: Send + Sync {
    /// Looks up the owner of `plate`, given in its normalised form such as `А123ВС77`. Returns
    /// None when the registry does not know the plate.
    async fn lookup(&self, plate: &str) -> Result<Option<VehicleOwner>, RegistryError>;
}

/// The bearer token of the registry. Its `Debug` output hides the value.
#[derive(Clone)]
pub struct RegistryToken(String);

impl RegistryToken {
    pub fn new(token: impl Into<String>) -> RegistryToken {
        RegistryToken(token.into())
    }
}

impl fmt::Debug for RegistryToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("RegistryToken(hidden)")
    }
}

/// Settings of the HTTP registry, from `[registry]` in the configuration file or the
/// `--registry-*` flags.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Base URL such as `https://registry.example/api`; lookups go to `{base_url}/vehicles/{plate}`.
    pub base_url: String,
    pub token: RegistryToken,
    /// Maximum duration of one request, connection included.
    pub timeout: Duration,
    /// Immediate retries of one lookup after an unavailable registry, before the lookup waits
    /// for the worker's backoff.
    pub retries: u32,
}

/// Default duration of one registry request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of immediate retries of one lookup.
pub const DEFAULT_RETRIES: u32 = 2;

/// The registry's answer for a known plate.
#[derive(Debug, Serialize, Deserialize)]
struct LookupAnswer {
    plate: String,
    owner: OwnerBody,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OwnerBody {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vehicle: Option<String>,
}

/// A registry reached over HTTP JSON.
pub struct HttpRegistry {
    client: reqwest::Client,
    base_url: reqwest::Url,
    config: RegistryConfig,
}

impl HttpRegistry {
    pub fn new(config: RegistryConfig) -> anyhow::Result<HttpRegistry> {
        let base_url = reqwest::Url::parse(&config.base_url).with_context(|| format!("invalid registry URL {:?}: expected https://HOST/PATH", config.base_url))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            anyhow::bail!("invalid registry URL {:?}: expected an http:// or https:// URL", config.base_url);
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("pomoshnik/", env!("CARGO_PKG_VERSION")))
            // A redirect would send the token somewhere the configuration does not name.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .build()
            .context("failed to build the registry HTTP client")?;
        Ok(HttpRegistry { client, base_url, config })
    }

    fn vehicle_url(&self, plate: &str) -> reqwest::Url {
        let mut url = self.base_url.clone();
        url.path_segments_mut().expect("the base URL was checked to be a base").pop_if_empty().push("vehicles").push(plate);
        url
    }

    async fn lookup_once(&self, plate: &str) -> Result<Option<VehicleOwner>, RegistryError> {
        let response = self
            .client
            .get(self.vehicle_url(plate))
            .bearer_auth(&self.config.token.0)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            // Without the URL: it contains the plate.
            .map_err(|error| RegistryError::Unavailable(format!("request failed: {}", error.without_url())))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(RegistryError::Unavailable(format!("the registry responded with HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(RegistryError::Rejected(format!("the registry responded with HTTP {}", status.as_u16())));
        }
        let answer: LookupAnswer =
            response.json().await.map_err(|error| RegistryError::Rejected(format!("invalid JSON response: {}", error.without_url())))?;
        Ok(Some(VehicleOwner { name: answer.owner.name, vehicle: answer.owner.vehicle.filter(|vehicle| !vehicle.is_empty()) }))
    }
}

#[async_trait::async_trait]
impl VehicleRegistry for HttpRegistry {
    async fn lookup(&self, plate: &str) -> Result<Option<VehicleOwner>, RegistryError> {
        let mut retries_left = self.config.retries;
        let mut pause = Duration::from_millis(200);
        loop {
            match self.lookup_once(plate).await {
                Err(RegistryError::Unavailable(error)) if retries_left > 0 => {
                    tracing::debug!(error, retries_left, "vehicle registry unavailable; retrying");
                    retries_left -= 1;
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return other,
            }
        }
    }
}

/// Completes the queued owner lookups of one store.
pub struct RegistryWorker {
    store: Arc<dyn Store>,
    registry: Arc<dyn VehicleRegistry>,
    config: WorkerConfig,
}

impl RegistryWorker {
    pub fn new(store: Arc<dyn Store>, registry: Arc<dyn VehicleRegistry>, config: WorkerConfig) -> RegistryWorker {
        RegistryWorker { store, registry, config }
    }

    /// Runs until `shutdown` completes, finishing the batch in progress first.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        run_rounds("registry worker", self.config.idle_poll, shutdown, || self.run_once(Utc::now())).await;
    }

    /// Claims and completes one batch of lookups due at `now`, and returns how many were claimed.
    pub async fn run_once(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let lease_until = now + chrono::Duration::from_std(self.config.lease)?;
        let tasks = self.store.claim_owner_lookups(now, lease_until, self.config.batch).await?;
        let claimed = tasks.len();
        for task in tasks {
            match self.registry.lookup(&task.plate).await {
                Ok(owner) => {
                    self.store.complete_owner_lookup(task.id, owner.as_ref(), Utc::now()).await?;
                    let outcome = if owner.is_some() { "found" } else { "unknown" };
                    metrics::counter!(OWNER_LOOKUPS, "outcome" => outcome).increment(1);
                    tracing::info!(lookup.id = task.id, report_id = task.report_id, outcome, "owner lookup completed");
                }
                Err(error) => self.record_failure(&task, &error.to_string(), now).await?,
            }
        }
        Ok(claimed)
    }

    async fn record_failure(&self, task: &OwnerLookupTask, error: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let retry_at = self.config.retry_at(task.attempts, now);
        self.store.mark_owner_lookup_failed(task.id, error, retry_at).await?;
        let outcome = if retry_at.is_some() { "retry" } else { "failed" };
        metrics::counter!(OWNER_LOOKUPS, "outcome" => outcome).increment(1);
        match retry_at {
            Some(at) => tracing::warn!(lookup.id = task.id, report_id = task.report_id, attempts = task.attempts, error, retry_at = %at, "owner lookup failed; will retry"),
            None => tracing::error!(lookup.id = task.id, report_id = task.report_id, attempts = task.attempts, error, "owner lookup failed for good"),
        }
        Ok(())
    }
}

/// Fake owners of the stand-in registry, by normalised plate. The plate of the example parking
/// report, `А123ВС77`, is among them; `В777ОР77` is not.
pub fn stand_in_owners() -> BTreeMap<String, VehicleOwner> {
    let owner = |name: &str, vehicle: Option<&str>| VehicleOwner { name: name.to_owned(), vehicle: vehicle.map(str::to_owned) };
    BTreeMap::from([
        ("А123ВС77".to_owned(), owner("Иванов Пётр Сергеевич", Some("Лада Веста"))),
        ("Е001КХ799".to_owned(), owner("ООО «Городские перевозки»", Some("ГАЗель Next"))),
        ("М456ОТ197".to_owned(), owner("Смирнова Анна Викторовна", None)),
    ])
}

struct StandInState {
    token: RegistryToken,
    owners: BTreeMap<String, VehicleOwner>,
}

/// Serves a stand-in registry of `owners` on `listener` until `shutdown` completes. It answers
/// requests carrying `token` as a bearer token, and 401 to any other.
pub async fn serve_stand_in(
    listener: tokio::net::TcpListener,
    token: RegistryToken,
    owners: BTreeMap<String, VehicleOwner>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = Arc::new(StandInState { token, owners });
    let app = axum::Router::new().route("/vehicles/{plate}", axum::routing::get(stand_in_lookup)).with_state(state);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.context("the stand-in registry failed")
}

async fn stand_in_lookup(State(state): State<Arc<StandInState>>, headers: HeaderMap, Path(plate): Path<String>) -> Response {
    let expected = format!("Bearer {}", state.token.0);
    if headers.get(axum::http::header::AUTHORIZATION).and_then(|value| value.to_str().ok()) != Some(expected.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match state.owners.get(&plate) {
        Some(owner) => {
            let owner = OwnerBody { name: owner.name.clone(), vehicle: owner.vehicle.clone() };
            axum::Json(LookupAnswer { plate, owner }).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hidden_in_debug_output() {
        assert!(!format!("{:?}", RegistryToken::new("do-not-print")).contains("do-not-print"));
    }

    #[test]
    fn vehicle_url_encodes_plate() {
        let config = RegistryConfig { base_url: "http://127.0.0.1:1/api/".to_owned(), token: RegistryToken::new("t"), timeout: DEFAULT_TIMEOUT, retries: 0 };
        let registry = HttpRegistry::new(config).expect("the configuration is valid");
        assert_eq!(registry.vehicle_url("А1").as_str(), "http://127.0.0.1:1/api/vehicles/%D0%901");
    }
}
