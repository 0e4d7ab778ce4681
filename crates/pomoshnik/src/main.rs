//! The `pomoshnik` command: `serve` runs the service, `worker` sends notifications and webhooks,
//! `user add` creates accounts, `copy-to-postgres` moves an embedded installation to
//! PostgreSQL. Every option of `serve` and `worker` can also be set by the environment variable
//! shown in `--help`.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::sync::Arc;

use pomoshnik::registry::{HttpRegistry, RegistryWorker, VehicleRegistry};
use pomoshnik::webhook::{WebhookWorker, configure_webhooks};
use pomoshnik::push::PushConfig;
use pomoshnik::escalation::EscalationSweep;
use pomoshnik::worker::{DeliveryWorker, MailConfig, WorkerConfig};
use pomoshnik_web::push::DEFAULT_ENDPOINT_HOSTS;
use pomoshnik::{Installation, UserRequest};
use pomoshnik_core::role::Role;
use pomoshnik_web::WebConfig;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "pomoshnik", version, about = "Pomoshnik: residents' reports to city agencies")]
struct Cli {
    /// Directory for the SQLite database and uploaded files.
    #[arg(long, global = true, env = "POMOSHNIK_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,

    /// Database: sqlite://PATH or postgres://USER@HOST/DB. Default: SQLite in the data directory.
    #[arg(long, global = true, env = "POMOSHNIK_DATABASE_URL")]
    database_url: Option<String>,

    /// Maximum PostgreSQL connections of this process (SQLite ignores it). Every node and worker
    /// has its own pool, so the sum must stay below the server's max_connections.
    #[arg(long, global = true, env = "POMOSHNIK_DATABASE_POOL_SIZE", default_value_t = pomoshnik_store::DEFAULT_POOL_SIZE)]
    database_pool_size: u32,

    /// Configuration file (TOML) with the sign-in providers and webhook destinations. Default:
    /// <data-dir>/pomoshnik.toml when it exists, otherwise neither.
    #[arg(long, global = true, env = "POMOSHNIK_CONFIG")]
    config: Option<PathBuf>,

    /// Log format: text for a terminal, json for log collectors.
    #[arg(long, global = true, env = "POMOSHNIK_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

// The command line is parsed once per process, so the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the web service.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "POMOSHNIK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,

        /// Public address of the service; cookies get the Secure attribute when it is https.
        #[arg(long, env = "POMOSHNIK_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,

        /// Map tile URL template, e.g. https://tiles.example/{z}/{x}/{y}.png. Without it the
        /// report form has no map and offers address search and coordinates.
        #[arg(long, env = "POMOSHNIK_TILE_URL")]
        tile_url: Option<String>,

        /// Base URL of a Nominatim-compatible geocoder. Without it the embedded Moscow address
        /// list answers address searches.
        #[arg(long, env = "POMOSHNIK_GEOCODER_URL")]
        geocoder_url: Option<String>,

        /// Seconds that requests in flight get to finish after SIGTERM or Ctrl-C before the
        /// service stops anyway.
        #[arg(long, env = "POMOSHNIK_SHUTDOWN_TIMEOUT", default_value_t = pomoshnik::DEFAULT_DRAIN_LIMIT.as_secs())]
        shutdown_timeout: u64,

        #[command(flatten)]
        mail: MailArgs,

        #[command(flatten)]
        push: PushArgs,

        /// Hotline phone number shown on the help page, such as "+7 495 777-77-77".
        #[arg(long, env = "POMOSHNIK_HOTLINE")]
        hotline: Option<String>,

        /// Notifications (e-mail, Web Push, SMS) and webhooks are sent by a separate `pomoshnik
        /// worker`, not by this process.
        #[arg(long, env = "POMOSHNIK_EXTERNAL_WORKER")]
        external_worker: bool,

        #[command(flatten)]
        storage: StorageArgs,

        /// Request header in which the load balancer puts the client's IP address, such as
        /// X-Forwarded-For (the last value counts). The rate limits per address use it; without
        /// it they use the TCP peer, which behind a balancer is the balancer.
        #[arg(long, env = "POMOSHNIK_CLIENT_ADDRESS_HEADER")]
        client_address_header: Option<axum::http::HeaderName>,

        /// New reports one resident may file per hour through the pages and the JSON API.
        /// Open311 clients are not limited.
        #[arg(long, env = "POMOSHNIK_REPORTS_PER_HOUR", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        reports_per_hour: u32,

        #[command(flatten)]
        registry: RegistryArgs,

        #[command(flatten)]
        sms: SmsArgs,
    },
    /// Send notifications (e-mail, Web Push, SMS) and webhooks, look up vehicle owners and
    /// escalate overdue reports, for a deployment where the web service runs with
    /// --external-worker.
    Worker {
        /// Public address of the service, for links in the e-mails.
        #[arg(long, env = "POMOSHNIK_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,

        #[command(flatten)]
        mail: MailArgs,

        #[command(flatten)]
        push: PushArgs,

        #[command(flatten)]
        sms: SmsGatewayArgs,

        /// Seconds a worker holds the deliveries it claimed. If it dies, other workers send them
        /// once this has passed, so it must exceed the time one SMTP delivery can take.
        #[arg(long, env = "POMOSHNIK_WORKER_LEASE_SECONDS", default_value_t = WorkerConfig::default().lease.as_secs())]
        lease_seconds: u64,

        /// Delivery loops in this process, each claiming its own batch. Workers on several
        /// machines can run at once: a claimed delivery is leased to one of them.
        #[arg(long, env = "POMOSHNIK_WORKER_CONCURRENCY", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: u16,

        /// Deliveries one loop claims at once.
        #[arg(long, env = "POMOSHNIK_WORKER_BATCH", default_value_t = WorkerConfig::default().batch, value_parser = clap::value_parser!(i64).range(1..=1000))]
        batch: i64,

        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Serve a stand-in vehicle registry with a few fake owners, for tests and demonstrations. It
    /// accepts only requests with the bearer token of POMOSHNIK_REGISTRY_TOKEN.
    RegistryStandIn {
        /// Address and port to listen on; keep it on loopback.
        #[arg(long, default_value = "127.0.0.1:8091")]
        listen: SocketAddr,
    },
    /// Copy an embedded installation (the SQLite database of --database-url or --data-dir, and
    /// its files) into an empty PostgreSQL database and the S3 bucket or shared file directory
    /// of the scaled-out nodes, then verify row counts, per-table checksums and file hashes. The
    /// source is not changed.
    CopyToPostgres {
        /// The empty PostgreSQL database to fill: postgres://USER@HOST/DB. Migrated first.
        #[arg(long, env = "POMOSHNIK_TARGET_DATABASE_URL")]
        target_database_url: String,

        /// Data directory of the scaled-out nodes; the files go to its files/ directory. It may
        /// be the source data directory, in which case the files are only verified. With a
        /// bucket it is the staging directory and must differ from the source.
        #[arg(long)]
        target_data_dir: PathBuf,

        /// The bucket of the scaled-out nodes, when they keep files in S3.
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Apply database migrations and load the default catalog, then exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the API keys of Open311 clients (GeoReport v2 under /open311/v2) and of agency
    /// systems (the JSON API under /api/v1).
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Manage the production calendar that deadlines are counted with.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
}

#[derive(clap::Subcommand)]
enum CalendarCommand {
    /// Store one year's production calendar (the XML format of xmlcalendar.ru, as in
    /// crates/core/data/calendar) in the database. Running nodes count with it within a minute.
    Import {
        /// The yearly calendar XML file.
        file: std::path::PathBuf,
        /// Import even if the file changes days that open reports' deadlines were counted over.
        #[arg(long)]
        confirm: bool,
    },
}

#[derive(clap::Args)]
struct MailArgs {
    /// SMTP relay for e-mail notifications: smtp://HOST:PORT (unencrypted, for a relay on the
    /// same host), smtp://HOST:587?tls=required or smtps://USER:PASSWORD@HOST:465. Without it no
    /// e-mail is sent.
    #[arg(long, env = "POMOSHNIK_SMTP_URL")]
    smtp_url: Option<String>,

    /// Sender of e-mail notifications.
    #[arg(long, env = "POMOSHNIK_MAIL_FROM", default_value = "Помощник города <noreply@localhost>")]
    mail_from: String,
}

impl MailArgs {
    fn config(&self, public_url: &str) -> Option<MailConfig> {
        let smtp_url = self.smtp_url.clone()?;
        Some(MailConfig { smtp_url, from: self.mail_from.clone(), public_url: public_url.to_owned() })
    }
}

#[derive(clap::Args)]
struct PushArgs {
    /// Contact that push services may write to about this installation's messages, such as
    /// mailto:ops@example.org. With it, residents can turn on notifications in their browsers
    /// (Web Push). The VAPID key is read from POMOSHNIK_PUSH_VAPID_KEY (base64url; every node and
    /// worker needs the same one), else from <data-dir>/vapid-private-key, created on first use.
    #[arg(long, env = "POMOSHNIK_PUSH_CONTACT")]
    push_contact: Option<String>,

    /// Hosts of the push services that browsers' subscriptions may point to, comma-separated.
    /// Plain HTTP is accepted only for a loopback address in this list.
    #[arg(long, env = "POMOSHNIK_PUSH_ENDPOINT_HOSTS", value_delimiter = ',', default_values_t = DEFAULT_ENDPOINT_HOSTS.map(str::to_owned))]
    push_endpoint_hosts: Vec<String>,
}

impl PushArgs {
    fn config(&self, data_dir: &std::path::Path, public_url: &str) -> anyhow::Result<Option<PushConfig>> {
        let Some(contact) = self.push_contact.clone() else {
            return Ok(None);
        };
        if !contact.starts_with("mailto:") && !contact.starts_with("https://") {
            anyhow::bail!("invalid --push-contact {contact:?}: expected mailto:ADDRESS or https://URL");
        }
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let encoded = std::env::var("POMOSHNIK_PUSH_VAPID_KEY").ok();
        let key_pair = pomoshnik::push::load_or_create_key(data_dir, encoded.as_deref())?;
        Ok(Some(PushConfig { key_pair: std::sync::Arc::new(key_pair), contact, endpoint_hosts: self.push_endpoint_hosts.clone(), public_url: public_url.to_owned() }))
    }
}

/// Local accounts: the SMS gateway for the one-time codes of phone accounts and for SMS
/// notifications, and two-factor authentication of staff.
#[derive(clap::Args)]
struct SmsArgs {
    #[command(flatten)]
    gateway: SmsGatewayArgs,

    /// Staff members (moderators, executors, administrators) must turn on two-factor
    /// authentication before they can open any other page.
    #[arg(long, env = "POMOSHNIK_STAFF_TWO_FACTOR_REQUIRED")]
    staff_two_factor_required: bool,
}

#[derive(clap::Args)]
struct SmsGatewayArgs {
    /// URL of an SMS gateway that takes POST with the JSON body {"to": "+7…", "text": "…"} and
    /// Authorization: Bearer with the token of POMOSHNIK_SMS_GATEWAY_TOKEN. With it, `serve`
    /// sends one-time codes to phones, and residents with a confirmed phone can turn on SMS
    /// notifications (off until they do). Without it `serve` writes codes to the log (with the
    /// phone masked) instead of sending them, for development only, and no notification goes
    /// out by SMS.
    #[arg(long, env = "POMOSHNIK_SMS_GATEWAY_URL")]
    sms_gateway_url: Option<String>,

    /// Seconds to wait for the SMS gateway's response.
    #[arg(long, env = "POMOSHNIK_SMS_GATEWAY_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    sms_gateway_timeout: u64,
}

impl SmsGatewayArgs {
    /// Builds the HTTP client of the SMS gateway, or returns None without a gateway URL.
    fn sender(&self) -> anyhow::Result<Option<Arc<dyn pomoshnik_web::accounts::SmsSender>>> {
        let Some(url) = &self.sms_gateway_url else { return Ok(None) };
        let token = std::env::var("POMOSHNIK_SMS_GATEWAY_TOKEN").context("POMOSHNIK_SMS_GATEWAY_TOKEN is not set: the SMS gateway needs its access token")?;
        let timeout = std::time::Duration::from_secs(self.sms_gateway_timeout);
        let sender = pomoshnik_web::accounts::HttpSmsSender::new(url, &token, timeout).map_err(|error| anyhow::anyhow!("invalid SMS gateway settings: {error}"))?;
        Ok(Some(Arc::new(sender)))
    }
}

impl SmsArgs {
    /// Builds the senders of one-time codes: the SMS gateway `gateway` if configured and the
    /// SMTP relay of `mail` if configured, otherwise the log.
    fn accounts_config(&self, gateway: Option<&Arc<dyn pomoshnik_web::accounts::SmsSender>>, mail: Option<&MailConfig>) -> anyhow::Result<pomoshnik_web::accounts::AccountsConfig> {
        let mut accounts = pomoshnik_web::accounts::AccountsConfig { staff_two_factor_required: self.staff_two_factor_required, ..Default::default() };
        if let Some(gateway) = gateway {
            accounts.sms = gateway.clone();
            accounts.sms_notifications = true;
        }
        if let Some(mail) = mail {
            accounts.mail = std::sync::Arc::new(pomoshnik::code_mail::SmtpMailSender::new(mail)?);
        }
        Ok(accounts)
    }
}

/// Settings of the S3 bucket for uploaded files. Each flag overrides the same setting of `[storage.s3]` in the
/// configuration file. The secret access key is read only from POMOSHNIK_S3_SECRET_ACCESS_KEY.
#[derive(clap::Args)]
struct StorageArgs {
    /// S3 bucket for uploaded files. Without one they are kept in <data-dir>/files.
    #[arg(long, env = "POMOSHNIK_S3_BUCKET")]
    s3_bucket: Option<String>,

    /// Base URL of an S3-compatible service, such as https://storage.example. Default: Amazon S3.
    #[arg(long, env = "POMOSHNIK_S3_ENDPOINT")]
    s3_endpoint: Option<String>,

    /// Region of the bucket. Default: us-east-1.
    #[arg(long, env = "POMOSHNIK_S3_REGION")]
    s3_region: Option<String>,

    /// Access key id; the secret goes in POMOSHNIK_S3_SECRET_ACCESS_KEY. Without both, the
    /// standard AWS environment variables and instance metadata are used.
    #[arg(long, env = "POMOSHNIK_S3_ACCESS_KEY_ID")]
    s3_access_key_id: Option<String>,

    /// Path-style requests (ENDPOINT/BUCKET/KEY): true or false. Default: true with
    /// --s3-endpoint, false for Amazon S3.
    #[arg(long, env = "POMOSHNIK_S3_PATH_STYLE")]
    s3_path_style: Option<bool>,
}

impl StorageArgs {
    fn settings(self) -> pomoshnik::config::S3Settings {
        pomoshnik::config::S3Settings {
            bucket: self.s3_bucket,
            endpoint: self.s3_endpoint,
            region: self.s3_region,
            access_key_id: self.s3_access_key_id,
            path_style: self.s3_path_style,
        }
    }
}

/// Settings of the vehicle registry. Each flag overrides the same setting of `[registry]` in the
/// configuration file. The bearer token is read only from POMOSHNIK_REGISTRY_TOKEN (or the
/// variable that `token_env` names).
#[derive(clap::Args)]
struct RegistryArgs {
    /// Base URL of the vehicle registry; owners are looked up at URL/vehicles/PLATE. Without it
    /// owner lookups stay queued.
    #[arg(long, env = "POMOSHNIK_REGISTRY_URL")]
    registry_url: Option<String>,

    /// Maximum seconds for one registry request. Default: 10.
    #[arg(long, env = "POMOSHNIK_REGISTRY_TIMEOUT_SECONDS")]
    registry_timeout_seconds: Option<u64>,

    /// Immediate retries of a lookup the registry did not answer, before it waits for the
    /// worker's backoff. Default: 2.
    #[arg(long, env = "POMOSHNIK_REGISTRY_RETRIES")]
    registry_retries: Option<u32>,
}

impl RegistryArgs {
    /// Combines the flags with `[registry]` and builds the registry, or None without a URL.
    fn registry(self, config: &pomoshnik::config::Config) -> anyhow::Result<Option<Arc<dyn VehicleRegistry>>> {
        let flags = pomoshnik::config::RegistrySettings {
            url: self.registry_url,
            token_env: None,
            timeout_seconds: self.registry_timeout_seconds,
            retries: self.registry_retries,
        };
        let settings = config.registry.clone().overridden_by(flags).into_config(|name| std::env::var(name).ok())?;
        let Some(settings) = settings else { return Ok(None) };
        Ok(Some(Arc::new(HttpRegistry::new(settings)?)))
    }
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a client account and its key; the key is printed once to standard output.
    Add {
        /// Client name: lowercase Latin letters, digits and dashes, such as city-app.
        #[arg(long)]
        name: String,
        /// Agency code: the key is then an agency system's, which reads that agency's reports in
        /// the JSON API and sends their status changes, instead of an Open311 client's.
        #[arg(long)]
        agency: Option<String>,
    },
    /// List every key with its state.
    List,
    /// Revoke the key of a client; the reports it filed stay.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a confirmed account; the password is read from standard input.
    Add {
        #[arg(long)]
        role: RoleArg,
        #[arg(long)]
        email: String,
        /// Agency code, required for executors (see GET /api/v1/categories for the codes).
        #[arg(long)]
        agency: Option<String>,
        /// OKTMO code of the district whose reports an executor of an agency organised by
        /// district (zhilishchnik) works, such as 45375000. Without it the executor gets the reports
        /// of every district.
        #[arg(long)]
        district: Option<String>,
        /// Makes the executor their agency's supervisor: they receive the escalations of overdue
        /// reports and read the agency's figures.
        #[arg(long)]
        supervisor: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Resident,
    Moderator,
    Executor,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Resident => Role::Resident,
            RoleArg::Moderator => Role::Moderator,
            RoleArg::Executor => Role::Executor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("POMOSHNIK_LOG").unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Returns a token cancelled at SIGTERM or Ctrl-C, which every part of the process waits on.
fn stop_on_signal() -> CancellationToken {
    let stop = CancellationToken::new();
    let cancel = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        cancel.cancel();
    });
    stop
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler can be installed");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down; finishing requests in flight");
}

fn main() -> std::process::ExitCode {
    // Before the runtime starts its threads, so that no thread takes an arena beyond the cap.
    pomoshnik::limit_malloc_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: failed to start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(run_command())
}

async fn run_command() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let installation = Installation::new(&cli.data_dir, cli.database_url).with_pool_size(cli.database_pool_size);

    match cli.command {
        Command::Serve { listen, public_url, tile_url, geocoder_url, shutdown_timeout, mail, push, external_worker, hotline, storage, client_address_header, reports_per_hour, registry, sms } => {
            let config = pomoshnik::config::Config::load(cli.config.as_deref(), &cli.data_dir)?;
            let s3 = s3_config(&config, storage)?;
            let installation = installation.with_s3(s3);
            let mail = mail.config(&public_url);
            let push = push.config(&cli.data_dir, &public_url)?;
            let registry = registry.registry(&config)?;
            let sms_gateway = sms.gateway.sender()?;
            let sms_public_url = public_url.clone();
            let mut rate_limits = pomoshnik_web::limits::RateLimits::default();
            rate_limits.reports_per_resident.max = i64::from(reports_per_hour);
            let web = WebConfig {
                secure_cookies: public_url.starts_with("https://"),
                tile_url,
                public_url,
                providers: config.providers,
                hotline,
                client_address_header,
                rate_limits,
                push: push.as_ref().map(PushConfig::settings),
                accounts: sms.accounts_config(sms_gateway.as_ref(), mail.as_ref())?,
            };
            let state = installation.app_state(web, geocoder_url.as_deref()).await?;
            let channels = pomoshnik::DeliveryChannels { email: mail.is_some() || external_worker, push: push.is_some(), sms: sms_gateway.is_some() };
            pomoshnik::configure_channels(state.store.as_ref(), channels).await?;
            let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;

            configure_webhooks(state.store.as_ref(), &config.webhooks).await?;

            let stop = stop_on_signal();
            let mut workers = Vec::new();
            if let Some(mail) = mail {
                let worker = DeliveryWorker::new(state.store.clone(), &mail, WorkerConfig::default())?;
                workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
            }
            if let Some(push) = push.filter(|_| !external_worker) {
                let worker = DeliveryWorker::push(state.store.clone(), push, WorkerConfig::default())?;
                workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
            }
            if let Some(gateway) = sms_gateway.filter(|_| !external_worker) {
                let worker = DeliveryWorker::sms(state.store.clone(), gateway, &sms_public_url, WorkerConfig::default());
                workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
            }
            if !external_worker && !config.webhooks.is_empty() {
                let worker = WebhookWorker::new(state.store.clone(), config.webhooks, WorkerConfig::default())?;
                workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
            }
            if let Some(registry) = registry.filter(|_| !external_worker) {
                let worker = RegistryWorker::new(state.store.clone(), registry, WorkerConfig::default());
                workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
            }
            let drain_limit = std::time::Duration::from_secs(shutdown_timeout);
            let served = pomoshnik::serve_with_drain_limit(listener, state, stop.cancelled_owned(), drain_limit).await;
            for worker in workers {
                worker.await.context("a worker panicked")?;
            }
            served
        }
        Command::Worker { public_url, mail, push, sms, lease_seconds, concurrency, batch, registry } => {
            let config = pomoshnik::config::Config::load(cli.config.as_deref(), &cli.data_dir)?;
            let mail = mail.config(&public_url);
            let push = push.config(&cli.data_dir, &public_url)?;
            let sms_gateway = sms.sender()?;
            let registry = registry.registry(&config)?;
            if mail.is_none() && push.is_none() && sms_gateway.is_none() && config.webhooks.is_empty() && registry.is_none() {
                anyhow::bail!(
                    "`pomoshnik worker` has nothing to do: give --smtp-url (or POMOSHNIK_SMTP_URL) for e-mail, --push-contact for Web Push, --sms-gateway-url for SMS, [webhooks.NAME] tables in the configuration file, or --registry-url for owner lookups"
                );
            }
            let store = installation.open_store().await?;
            configure_webhooks(store.as_ref(), &config.webhooks).await?;
            let stop = stop_on_signal();
            let worker_config = WorkerConfig { batch, lease: std::time::Duration::from_secs(lease_seconds.max(1)), ..WorkerConfig::default() };
            let mut workers = Vec::new();
            let channels = pomoshnik::DeliveryChannels { email: mail.is_some(), push: push.is_some(), sms: sms_gateway.is_some() };
            pomoshnik::configure_channels(store.as_ref(), channels).await?;
            workers.push(tokio::spawn(EscalationSweep::new(store.clone()).run(stop.clone().cancelled_owned())));
            if let Some(mail) = mail {
                for _ in 0..concurrency {
                    let worker = DeliveryWorker::new(store.clone(), &mail, worker_config.clone())?;
                    workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
                }
            }
            if let Some(push) = push {
                for _ in 0..concurrency {
                    let worker = DeliveryWorker::push(store.clone(), push.clone(), worker_config.clone())?;
                    workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
                }
            }
            if let Some(gateway) = sms_gateway {
                for _ in 0..concurrency {
                    let worker = DeliveryWorker::sms(store.clone(), gateway.clone(), &public_url, worker_config);
                    workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
                }
            }
            if let Some(registry) = registry {
                let worker = RegistryWorker::new(store.clone(), registry, worker_config);
                workers.push(tokio::spawn(worker.run(stop.clone().cancelled_owned())));
            }
            if !config.webhooks.is_empty() {
                let worker = WebhookWorker::new(store.clone(), config.webhooks, worker_config)?;
                workers.push(tokio::spawn(worker.run(stop.cancelled_owned())));
            }
            for worker in workers {
                worker.await.context("a worker panicked")?;
            }
            store.close().await;
            Ok(())
        }
        Command::CopyToPostgres { target_database_url, target_data_dir, storage } => {
            let config = pomoshnik::config::Config::load(cli.config.as_deref(), &cli.data_dir)?;
            let s3 = s3_config(&config, storage)?;
            copy_to_postgres(&installation, &target_database_url, &target_data_dir, s3.as_ref()).await
        }
        Command::RegistryStandIn { listen } => {
            let token = std::env::var(pomoshnik::config::REGISTRY_TOKEN_VARIABLE)
                .ok()
                .filter(|token| !token.is_empty())
                .with_context(|| format!("set {} to the bearer token the stand-in accepts", pomoshnik::config::REGISTRY_TOKEN_VARIABLE))?;
            let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(address = %listen, "stand-in vehicle registry listening");
            let stop = stop_on_signal();
            let owners = pomoshnik::registry::stand_in_owners();
            pomoshnik::registry::serve_stand_in(listener, pomoshnik::registry::RegistryToken::new(token), owners, stop.cancelled_owned()).await
        }
        Command::Migrate => {
            installation.open_store().await?;
            Ok(())
        }
        Command::User { command: UserCommand::Add { role, email, agency, district, supervisor } } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();

            let store = installation.open_store().await?;
            let user = pomoshnik::add_user(store.as_ref(), UserRequest { email, role: role.into(), agency, district, supervisor, password }).await?;
            println!("created user {} ({}, id {})", user.email, user.role.code(), user.id);
            Ok(())
        }
        Command::Calendar { command: CalendarCommand::Import { file, confirm } } => {
            let document = std::fs::read_to_string(&file).with_context(|| format!("cannot read the calendar file {}", file.display()))?;
            let store = installation.open_store().await?;
            let current = pomoshnik::calendar_import::load_calendar(store.as_ref()).await?;
            let summary = pomoshnik::calendar_import::import_calendar(store.as_ref(), &current, &document, confirm)
                .await
                .with_context(|| format!("calendar file {} not imported", file.display()))?;
            println!("imported the production calendar of {}: {} day(s) differ from the calendar in use", summary.year, summary.changed_dates.len());
            Ok(())
        }
        Command::ApiKey { command } => {
            let store = installation.open_store().await?;
            run_api_key_command(store.as_ref(), command).await
        }
    }
}

/// Migrates both databases to this version's schema, copies and verifies, and prints a summary.
/// Combines the bucket settings of the configuration file, the flags and the secret's variable.
fn s3_config(config: &pomoshnik::config::Config, storage: StorageArgs) -> anyhow::Result<Option<pomoshnik_media::S3Config>> {
    let secret = std::env::var(pomoshnik::config::S3_SECRET_VARIABLE).ok().filter(|secret| !secret.is_empty());
    config.s3.clone().overridden_by(storage.settings()).into_config(secret).context("invalid S3 storage settings")
}

async fn copy_to_postgres(installation: &Installation, target_database_url: &str, target_data_dir: &std::path::Path, target_s3: Option<&pomoshnik_media::S3Config>) -> anyhow::Result<()> {
    let source = pomoshnik_store::connect(&installation.database_url).await.context("cannot open the source database")?;
    source.migrate().await.context("migration of the source database failed")?;
    source.close().await;
    let target = pomoshnik_store::connect(target_database_url).await.context("cannot connect to the target database")?;
    if target.backend() != pomoshnik_store::Backend::Postgres {
        anyhow::bail!("the target must be a PostgreSQL database (postgres://…), not {}", pomoshnik::copy::redact(target_database_url));
    }
    target.migrate().await.context("migration of the target database failed")?;
    target.close().await;

    let source_files = installation.data_dir.join("files");
    let target_files = target_data_dir.join("files");
    let request = pomoshnik::copy::CopyRequest {
        source_database_url: &installation.database_url,
        source_files: &source_files,
        target_database_url,
        target_files: &target_files,
        target_s3,
    };
    let summary = pomoshnik::copy::copy_installation(&request).await?;
    for (table, rows) in &summary.rows {
        println!("{table}\t{rows} rows\tverified");
    }
    println!("files\t{} files, {} bytes\tverified", summary.files, summary.file_bytes);
    Ok(())
}

async fn run_api_key_command(store: &dyn pomoshnik_store::Store, command: ApiKeyCommand) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Add { name, agency } => {
            let issued = pomoshnik::add_api_key(store, &name, agency.as_deref()).await?;
            let kind = if agency.is_some() { "agency system" } else { "Open311 client" };
            eprintln!(
                "created {kind} {} with account {} (id {}); the key below is shown only once",
                issued.api_key.name, issued.account.email, issued.account.id
            );
            println!("{}", issued.key);
        }
        ApiKeyCommand::List => {
            for key in store.list_api_keys().await? {
                let state = key.revoked_at.map_or_else(|| "active".to_owned(), |at| format!("revoked {}", at.to_rfc3339()));
                println!("{}\t{}\tcreated {}\taccount id {}", key.name, state, key.created_at.to_rfc3339(), key.user_id);
            }
        }
        ApiKeyCommand::Revoke { name } => {
            let key = pomoshnik::revoke_api_key(store, &name).await?;
            let revoked_at = key.revoked_at.map(|at| at.to_rfc3339()).unwrap_or_default();
            println!("API key {} revoked {revoked_at}", key.name);
        }
    }
    Ok(())
}
