//! The real service started inside the benchmark process on a loopback port, and the accounts
//! the benchmarks sign in with.

use std::path::Path;

use anyhow::{Context, bail};
use pomoshnik::{Installation, UserRequest};
use pomoshnik_core::role::Role;
use pomoshnik_web::{AppState, WebConfig};
use reqwest::Client;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password of every benchmark account.
pub const PASSWORD: &str = "bench-password-1";

/// A running service; [`Service::stop`] shuts it down.
pub struct Service {
    pub base_url: String,
    pub state: AppState,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

/// Returns the web settings of a benchmark server: no map tiles and no sign-in providers, so the
/// public address is never used. Residents may file any number of reports, because each
/// benchmark client files hundreds in a minute.
pub fn web_config() -> WebConfig {
    let mut rate_limits = pomoshnik_web::limits::RateLimits::default();
    rate_limits.reports_per_resident.max = i64::MAX;
    WebConfig { secure_cookies: false, tile_url: None, public_url: "http://127.0.0.1".to_owned(), providers: Vec::new(), hotline: None, client_address_header: None, rate_limits, push: None, accounts: Default::default() }
}

impl Service {
    /// Opens the installation (migrations, catalog), binds `127.0.0.1:0` and serves with
    /// `pomoshnik::serve`, as the `serve` command does.
    pub async fn start(data_dir: &Path, database_url: Option<String>) -> anyhow::Result<Service> {
        let installation = Installation::new(data_dir, database_url);
        let state = installation.app_state(web_config(), None).await?;
        Service::serve(state).await
    }

    /// Serves an already opened state on `127.0.0.1:0`.
    pub async fn serve(state: AppState) -> anyhow::Result<Service> {
        let listener = TcpListener::bind("127.0.0.1:0").await.context("failed to bind a loopback port")?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(pomoshnik::serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Ok(Service { base_url: format!("http://{address}"), state, shutdown, server })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Creates a confirmed account with [`PASSWORD`], as `pomoshnik user add` does.
    pub async fn add_user(&self, email: &str, role: Role, agency: Option<&str>) -> anyhow::Result<()> {
        let request = UserRequest { email: email.to_owned(), role, agency: agency.map(str::to_owned), district: None, supervisor: false, password: PASSWORD.to_owned() };
        pomoshnik::add_user(self.state.store.as_ref(), request).await.with_context(|| format!("failed to add user {email}"))?;
        Ok(())
    }

    /// Signs in through `POST /api/v1/session` and returns the session token, which works both
    /// as a bearer token and as the session cookie.
    pub async fn sign_in(&self, client: &Client, email: &str) -> anyhow::Result<String> {
        sign_in_token(client, &self.base_url, email).await
    }

    /// Stops the server and waits for requests in flight.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(());
        self.server.await.context("the server task panicked")?
    }
}

/// Signs in with [`PASSWORD`] through `POST /api/v1/session` of the server at `base_url` and
/// returns the session token.
pub async fn sign_in_token(client: &Client, base_url: &str, email: &str) -> anyhow::Result<String> {
    let response = client.post(format!("{base_url}/api/v1/session")).json(&json!({ "login": email, "password": PASSWORD })).send().await?;
    let status = response.status();
    let body: Value = response.json().await.context("sign-in response is not JSON")?;
    if !status.is_success() {
        bail!("sign-in of {email} failed with status {status}: {body}");
    }
    body["token"].as_str().map(str::to_owned).context("sign-in response has no token")
}

/// The name of the web session cookie, `pomoshnik_web`'s private `auth::SESSION_COOKIE`.
const SESSION_COOKIE: &str = "pomoshnik_session";

/// The `Cookie` header value that carries a session token, as a browser sends it.
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}")
}

/// A client for loopback benchmarks: no proxy, connections kept alive, no redirects followed.
pub fn client() -> anyhow::Result<Client> {
    Ok(Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(64).build()?)
}

/// Sends log records at `warn` and above (or as `RUST_LOG` sets) to standard error.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
