//! The Pomoshnik service as a library: opening an installation (database and files), serving
//! HTTP, and the administrative commands. `main.rs` only parses the command line.

pub mod code_mail;
pub use pomoshnik_web::calendar_import;
pub mod copy;
pub mod escalation;
pub mod push;
pub mod sms;
pub mod registry;
pub mod webhook;
pub mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::role::Role;
use pomoshnik_geo::{CityMap, Gazetteer, Geocoder, NominatimConfig, NominatimGeocoder};
use pomoshnik_media::{FileStore, S3Config};
use pomoshnik_store::{NewUser, Store, User};
use pomoshnik_web::{AppState, WebConfig};
use tokio::net::TcpListener;

pub mod config;

/// Ages after which [`clean_up`] treats leftovers as abandoned.
#[derive(Debug, Clone, Copy)]
pub struct CleanupAges {
    /// How long an upload may stay unattached: a resident fixing a rejected form keeps the files
    /// accepted so far for this long.
    pub pending_upload: chrono::Duration,
    /// Temporary files older than this belong to uploads that can no longer be in progress.
    pub stale_file: Duration,
}

impl Default for CleanupAges {
    /// 24 hours for pending uploads and one hour for temporary files.
    fn default() -> CleanupAges {
        CleanupAges { pending_upload: chrono::Duration::hours(24), stale_file: Duration::from_secs(60 * 60) }
    }
}

const CLEANUP_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// The data locations of one installation: its directory, its database and where uploaded files
/// are kept.
#[derive(Debug, Clone)]
pub struct Installation {
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The bucket that keeps uploaded files; `None` keeps them in `<data_dir>/files`.
    pub s3: Option<S3Config>,
    /// Maximum PostgreSQL connections of this process; SQLite ignores it.
    pub pool_size: u32,
}

impl Installation {
    /// Creates the description; without a URL the database is SQLite in the data directory.
    /// Uploaded files are kept in the data directory unless [`Installation::with_s3`] sets a bucket.
    pub fn new(data_dir: impl Into<PathBuf>, database_url: Option<String>) -> Installation {
        let data_dir = data_dir.into();
        let database_url = database_url.unwrap_or_else(|| format!("sqlite://{}", data_dir.join("pomoshnik.db").display()));
        Installation { data_dir, database_url, s3: None, pool_size: pomoshnik_store::DEFAULT_POOL_SIZE }
    }

    /// Keeps uploaded files in an S3-compatible bucket when `s3` is set. The data directory then
    /// holds only uploads being received and processed.
    pub fn with_s3(mut self, s3: Option<S3Config>) -> Installation {
        self.s3 = s3;
        self
    }

    /// Sets the maximum number of PostgreSQL connections.
    pub fn with_pool_size(mut self, pool_size: u32) -> Installation {
        self.pool_size = pool_size;
        self
    }

    /// Opens the database, applies migrations and loads Moscow's catalog into an empty database.
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        std::fs::create_dir_all(&self.data_dir).with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        let store = pomoshnik_store::connect_with_pool_size(&self.database_url, self.pool_size).await.context("cannot open the database")?;
        store.migrate().await.context("database migration failed")?;
        if store.load_catalog_if_empty(&Catalog::moscow_default()).await? {
            tracing::info!("loaded the Moscow catalog into an empty database");
        }
        fill_search_texts(store.as_ref()).await?;
        optimize_store(store.as_ref()).await;
        Ok(store)
    }

    /// Opens the file storage and checks that it accepts new files: a probe file in
    /// `<data_dir>/files` and, with a bucket, a probe object written and deleted there.
    pub async fn open_files(&self) -> anyhow::Result<Arc<FileStore>> {
        let root = self.data_dir.join("files");
        let files = match &self.s3 {
            None => FileStore::open(&root).await,
            Some(s3) => FileStore::open_with_s3(&root, s3).await,
        };
        let files = files.with_context(|| format!("cannot open file storage {}", root.display()))?;
        files.probe().await.with_context(|| match &self.s3 {
            None => format!("file storage {} is not writable", root.display()),
            Some(s3) => format!("cannot write to the S3 bucket {}: check that it exists and that the endpoint, region and credentials are right", s3.location()),
        })?;
        tracing::info!(storage = %files.location(), "opened the file storage");
        Ok(Arc::new(files))
    }

    /// Builds everything the HTTP layer shares. `geocoder_url` selects a Nominatim service
    /// instead of the embedded gazetteer.
    pub async fn app_state(&self, web: WebConfig, geocoder_url: Option<&str>) -> anyhow::Result<AppState> {
        let city = Arc::new(CityMap::moscow().context("cannot load the embedded city boundaries")?);
        let geocoder: Arc<dyn Geocoder> = match geocoder_url {
            Some(url) => {
                let config = NominatimConfig::new(url, concat!("pomoshnik/", env!("CARGO_PKG_VERSION")));
                Arc::new(NominatimGeocoder::new(config).context("invalid geocoder configuration")?.with_city_map(city.clone()))
            }
            None => Arc::new(Gazetteer::new(city.clone()).context("cannot load the embedded address list")?),
        };

        let providers = pomoshnik_web::oidc::Providers::new(web.providers.clone()).context("invalid sign-in provider configuration")?;
        let store = self.open_store().await?;
        // A year imported later, on any node or by the command, replaces it while the node runs.
        let calendar = calendar_import::SharedCalendar::new(calendar_import::load_calendar(store.as_ref()).await?);
        calendar.follow(store.clone());
        Ok(AppState {
            providers: Arc::new(providers),
            store,
            files: self.open_files().await?,
            calendar,
            city,
            geocoder,
            config: Arc::new(web),
            stopping: tokio_util::sync::CancellationToken::new(),
            map: Default::default(),
        })
    }
}

/// Enables the channels for new notifications that a worker will deliver, SMS excepted. E-mail:
/// `mail` is set for a worker in this process, `external_worker` for a separate `pomoshnik
/// worker`. Without either the channel is disabled, so that unsent deliveries do not pile up.
/// Web Push: `push`.
pub async fn configure_delivery(store: &dyn Store, mail: Option<&worker::MailConfig>, push: bool, external_worker: bool) -> anyhow::Result<()> {
    configure_channels(store, DeliveryChannels { email: mail.is_some() || external_worker, push, sms: false }).await
}

/// The channels that new notifications get deliveries on.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliveryChannels {
    pub email: bool,
    pub push: bool,
    /// SMS, for the people with a confirmed phone who turned it on.
    pub sms: bool,
}

/// Enables exactly the `channels` for new notifications. Deliveries written before keep their
/// channel.
pub async fn configure_channels(store: &dyn Store, channels: DeliveryChannels) -> anyhow::Result<()> {
    let enabled = [(channels.email, worker::EMAIL_CHANNEL), (channels.push, push::PUSH_CHANNEL), (channels.sms, sms::SMS_CHANNEL)];
    let codes: Vec<&str> = enabled.into_iter().filter(|(on, _)| *on).map(|(_, code)| code).collect();
    store.set_delivery_channels(&codes).await.context("failed to configure delivery channels")?;
    Ok(())
}

/// Caps glibc malloc at two arenas. By default glibc gives busy threads up to eight arenas per
/// core and keeps each arena's peak. The blocking threads that decode photos then left the
/// submission benchmark at 529 MiB, and with two arenas it peaked at 243 MiB at the same rate.
/// Call it first thing in `main`, before other threads start. Does nothing off glibc.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter of the allocator and is called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// How long [`serve`] waits for requests in flight after the shutdown signal before it stops
/// anyway: long enough for a page or a photo on a normal connection.
pub const DEFAULT_DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// Serves HTTP on `listener` until `shutdown` completes, then finishes requests in flight for at
/// most [`DEFAULT_DRAIN_LIMIT`].
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    serve_with_drain_limit(listener, state, shutdown, DEFAULT_DRAIN_LIMIT).await
}

/// Serves HTTP on `listener` until `shutdown` completes. New connections are then refused, and
/// requests in flight get up to `drain_limit` to finish before the remaining ones are dropped.
/// The periodic cleanup and the escalation sweep run alongside.
pub async fn serve_with_drain_limit(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain_limit: Duration,
) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    let cleanup = tokio::spawn(clean_up_periodically(state.clone()));
    let escalation = tokio::spawn(escalation::EscalationSweep::new(state.store.clone()).run(state.stopping.clone().cancelled_owned()));
    let store = state.store.clone();
    let stopping = state.stopping.clone();
    let sweep_stopping = state.stopping.clone();

    let (signalled, signal_received) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        stopping.cancel();
        let _ = signalled.send(());
    };
    let drain_expired = async move {
        match signal_received.await {
            Ok(()) => tokio::time::sleep(drain_limit).await,
            // The server stopped without a signal, so `select!` has already taken the other branch.
            Err(_) => std::future::pending().await,
        }
    };

    tracing::info!(%address, "listening");
    let app = pomoshnik_web::router(state);
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown);
    let result = tokio::select! {
        result = server.into_future() => result.context("HTTP server failed"),
        () = drain_expired => {
            tracing::warn!(limit_seconds = drain_limit.as_secs_f64(), "requests still in flight at the drain limit were dropped");
            Ok(())
        }
    };

    cleanup.abort();
    // The server can also end with an error before any signal, so stop the sweep here too.
    sweep_stopping.cancel();
    if let Err(error) = escalation.await {
        tracing::warn!(%error, "the escalation sweep panicked");
    }
    store.close().await;
    tracing::info!("stopped");
    result
}

async fn clean_up_periodically(state: AppState) {
    let mut interval = tokio::time::interval(CLEANUP_INTERVAL);
    loop {
        interval.tick().await;
        clean_up(&state, CleanupAges::default()).await;
    }
}

/// Fills the staff search text of reports filed before the search existed, in batches.
async fn fill_search_texts(store: &dyn Store) -> anyhow::Result<()> {
    let mut total = 0;
    loop {
        let filled = store.fill_search_texts(500).await.context("failed to fill the search text of existing reports")?;
        if filled == 0 {
            break;
        }
        total += filled;
    }
    if total > 0 {
        tracing::info!(reports = total, "filled the search text of existing reports");
    }
    Ok(())
}

/// Refreshes the query planner's statistics. A failure only costs query speed, so it is logged
/// and the caller carries on.
async fn optimize_store(store: &dyn Store) {
    let started = std::time::Instant::now();
    match store.optimize().await {
        Ok(()) => tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "database statistics refreshed"),
        Err(error) => tracing::warn!(%error, "could not refresh database statistics"),
    }
}

/// Removes uploads never attached to a report and temporary files of interrupted uploads, and
/// refreshes the database's query statistics as the data grows.
pub async fn clean_up(state: &AppState, ages: CleanupAges) {
    optimize_store(state.store.as_ref()).await;

    match state.store.delete_rate_limits_before(chrono::Utc::now() - state.config.rate_limits.longest_window()).await {
        Ok(0) => {}
        Ok(count) => tracing::debug!(count, "deleted expired rate limit windows"),
        Err(error) => tracing::warn!(%error, "could not delete expired rate limit windows"),
    }

    match state.files.remove_stale_temporary_files(ages.stale_file).await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "removed stale temporary files"),
        Err(error) => tracing::warn!(%error, "could not remove stale temporary files"),
    }

    let keys = match state.store.delete_pending_files(chrono::Utc::now() - ages.pending_upload).await {
        Ok(keys) => keys,
        Err(error) => {
            tracing::warn!(%error, "could not delete abandoned uploads");
            return;
        }
    };
    for key in keys {
        pomoshnik_web::remove_unused_content(state, &key).await;
    }

    // A process killed after an upload was stored but before its record was written leaves
    // content that no pending-upload deletion will ever reach.
    // NOTE: this checks the database once per stored file on every run, which grows with the
    // archive. An upload that finds old unreferenced content already stored and reuses it can
    // race with this removal, as it can with `remove_unused_content` after a rejected form.
    match state.files.originals_older_than(ages.stale_file).await {
        Ok(keys) => {
            for key in keys {
                pomoshnik_web::remove_unused_content(state, &key).await;
            }
        }
        Err(error) => tracing::warn!(%error, "could not list stored files to find unreferenced content"),
    }
}

/// The account that `pomoshnik user add` creates.
pub struct UserRequest {
    pub email: String,
    pub role: Role,
    pub agency: Option<String>,
    /// OKTMO code of the district an executor of an agency organised by district works for.
    /// None gives the executor the reports of every district.
    pub district: Option<String>,
    /// Makes an executor their agency's supervisor.
    pub supervisor: bool,
    pub password: String,
}

/// Creates a confirmed account: an operator who creates it vouches for the person.
pub async fn add_user(store: &dyn Store, request: UserRequest) -> anyhow::Result<User> {
    let email = pomoshnik_web::normalize_email(&request.email);
    if !looks_like_email(&email) {
        bail!("invalid e-mail address {email:?}: expected NAME@DOMAIN");
    }
    if request.password.chars().count() < pomoshnik_web::MIN_PASSWORD_CHARS {
        bail!("the password must have at least {} characters", pomoshnik_web::MIN_PASSWORD_CHARS);
    }

    match (request.role, &request.agency) {
        (Role::Executor, None) => bail!("an executor needs --agency CODE: the agency whose reports they work"),
        (Role::Executor, Some(code)) => check_agency(store, code).await?,
        (role, Some(_)) => bail!("--agency applies only to executors, not to the {} role", role.code()),
        (_, None) => {}
    }
    if request.supervisor && request.role != Role::Executor {
        bail!("--supervisor applies only to executors, not to the {} role", request.role.code());
    }
    if let Some(district) = &request.district {
        check_district(store, &request, district).await?;
    }

    let password_hash = pomoshnik_web::hash_password(request.password).await?;
    let user = NewUser {
        email,
        password_hash,
        role: request.role,
        agency: request.agency,
        district: request.district,
        confirmed: true,
        supervisor: request.supervisor,
        created_at: chrono::Utc::now(),
    };
    let created = store.create_user(&user).await.map_err(|error| match error {
        pomoshnik_store::StoreError::Duplicate(_) => anyhow::anyhow!("a user with this e-mail address already exists"),
        other => other.into(),
    })?;
    tracing::info!(user.id = created.id, role = created.role.code(), "user created");
    Ok(created)
}

/// Checks that `--district` names a district of the city and goes with an executor of an agency
/// organised by district.
async fn check_district(store: &dyn Store, request: &UserRequest, district: &str) -> anyhow::Result<()> {
    let Some(agency_code) = request.agency.as_deref().filter(|_| request.role == Role::Executor) else {
        bail!("--district applies only to executors of an agency organised by district, with --agency");
    };
    let catalog = store.catalog().await?;
    let by_district: Vec<&str> = catalog.agencies.iter().filter(|agency| agency.by_district).map(|agency| agency.code.as_str()).collect();
    if !by_district.contains(&agency_code) {
        bail!("agency {agency_code:?} has no district units; --district applies to: {}", by_district.join(", "));
    }
    let city = CityMap::moscow().context("cannot load the embedded city boundaries")?;
    if !city.districts().any(|(known, _)| known.code == district) {
        bail!("unknown district code {district:?}: use the district's 8-digit OKTMO code, such as 45375000 for Басманный район");
    }
    Ok(())
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !email.contains(char::is_whitespace),
        None => false,
    }
}

/// Creates an API key and its account: an Open311 client's resident account, or with `agency`
/// the executor account of that agency's system. The returned key is the only copy; the
/// database keeps its SHA-256.
pub async fn add_api_key(store: &dyn Store, name: &str, agency: Option<&str>) -> anyhow::Result<pomoshnik_web::open311::clients::IssuedKey> {
    use pomoshnik_web::open311::clients;

    let Some(agency) = agency else {
        return Ok(clients::create_client(store, name).await?);
    };
    check_agency(store, agency).await?;
    Ok(clients::create_agency_key(store, name, agency).await?)
}

/// Checks that the catalog has an agency with this code, and lists the codes when not.
pub async fn check_agency(store: &dyn Store, code: &str) -> anyhow::Result<()> {
    let catalog = store.catalog().await?;
    if catalog.agency(code).is_none() {
        let known: Vec<&str> = catalog.agencies.iter().map(|agency| agency.code.as_str()).collect();
        bail!("unknown agency {code:?}; known agencies: {}", known.join(", "));
    }
    Ok(())
}

/// Revokes the API key of the client `name`. The client account and its reports stay.
pub async fn revoke_api_key(store: &dyn Store, name: &str) -> anyhow::Result<pomoshnik_store::ApiKey> {
    let key = store.revoke_api_key(name, chrono::Utc::now()).await.map_err(|error| match error {
        pomoshnik_store::StoreError::NotFound => anyhow::anyhow!("no API key named {name:?}; `pomoshnik api-key list` shows the names"),
        other => other.into(),
    })?;
    tracing::info!(api_key.id = key.id, "API key revoked");
    Ok(key)
}
