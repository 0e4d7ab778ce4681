//! Latency of the list pages and map queries with a large seeded database, on SQLite and
//! PostgreSQL: «Мои обращения», the staff queue, their API equivalents, the public map's
//! bounding-box query and the nearby-duplicates query.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use pomoshnik::Installation;
use pomoshnik_bench::load::{self, Limits, expect_success};
use pomoshnik_bench::memory;
use pomoshnik_bench::output::{Check, Row, print_checks, print_table, write_json};
use pomoshnik_bench::places::INNER_BOX;
use pomoshnik_bench::seed::{self, SeedPlan, Seeded};
use pomoshnik_bench::server::{self, Service, session_cookie};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::role::Role;
use pomoshnik_geo::CityMap;
use rand::Rng;
use reqwest::Client;
use serde::Serialize;
use sqlx::{Connection, Executor, PgConnection};

/// p99 target of the list pages and list API calls.
const LIST_TARGET_MS: f64 = 20.0;
/// p99 target of the map and nearby queries.
const MAP_TARGET_MS: f64 = 50.0;
/// Resident memory target of the process during the loads.
const MEMORY_TARGET_MIB: f64 = 150.0;
/// Residents whose lists are requested in turn; the first is the one with the most reports.
const SAMPLED_RESIDENTS: usize = 16;
/// The agency of the executor whose queue is measured: it gets the most reports.
const EXECUTOR_AGENCY: &str = "madi";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug, Serialize)]
#[command(about = "Measure list, queue, map and nearby latency with a large seeded database")]
struct Arguments {
    /// Backends to measure, in this order.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Sqlite, Backend::Postgres])]
    backends: Vec<Backend>,
    /// Reports to seed.
    #[arg(long, default_value_t = 1_000_000)]
    reports: usize,
    /// Residents who filed the seeded reports.
    #[arg(long, default_value_t = 5_000)]
    authors: usize,
    /// Numbers of requests sent at the same time; every endpoint is measured at each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16])]
    concurrency: Vec<usize>,
    /// Maximum number of requests of each measurement.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Maximum seconds of each measurement; no request starts later.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// PostgreSQL server URL without a database name; only loopback servers are expected.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/")]
    postgres_url: String,
    /// Database created (after dropping any old one of that name) and dropped on the server.
    #[arg(long, default_value = "pomoshnik_bench")]
    postgres_database: String,
    /// Keep the seeded databases for inspection (EXPLAIN) and print where they are.
    #[arg(long)]
    keep_databases: bool,
    /// Also write the results to this JSON file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Signed-in sessions used by the measurements.
struct Sessions {
    residents: Vec<String>,
    moderator: String,
    executor: String,
    admin: String,
}

async fn admin_connection(arguments: &Arguments) -> anyhow::Result<PgConnection> {
    let url = format!("{}postgres", arguments.postgres_url);
    PgConnection::connect(&url).await.with_context(|| format!("failed to connect to PostgreSQL at {url}"))
}

/// Validates the database name, since it is written into `CREATE DATABASE` unquoted.
fn checked_database_name(name: &str) -> anyhow::Result<&str> {
    if name.is_empty() || !name.chars().all(|character| character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_') {
        bail!("invalid --postgres-database {name:?}: expected lowercase letters, digits and underscores");
    }
    Ok(name)
}

async fn recreate_postgres_database(arguments: &Arguments) -> anyhow::Result<String> {
    let name = checked_database_name(&arguments.postgres_database)?;
    let mut admin = admin_connection(arguments).await?;
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await?;
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
    admin.close().await?;
    Ok(format!("{}{name}", arguments.postgres_url))
}

async fn drop_postgres_database(arguments: &Arguments) -> anyhow::Result<()> {
    let name = checked_database_name(&arguments.postgres_database)?;
    let mut admin = admin_connection(arguments).await?;
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await?;
    admin.close().await?;
    Ok(())
}

async fn sign_in_sessions(service: &Service, client: &Client, seeded: &Seeded) -> anyhow::Result<Sessions> {
    let mut residents = Vec::with_capacity(SAMPLED_RESIDENTS);
    let step = (seeded.authors.len() / SAMPLED_RESIDENTS).max(1);
    for author in seeded.authors.iter().step_by(step).take(SAMPLED_RESIDENTS) {
        residents.push(service.sign_in(client, &author.email).await?);
    }
    service.add_user("moderator@bench.example", Role::Moderator, None).await?;
    service.add_user("executor@bench.example", Role::Executor, Some(EXECUTOR_AGENCY)).await?;
    service.add_user("admin@bench.example", Role::Admin, None).await?;
    Ok(Sessions {
        residents,
        moderator: service.sign_in(client, "moderator@bench.example").await?,
        executor: service.sign_in(client, "executor@bench.example").await?,
        admin: service.sign_in(client, "admin@bench.example").await?,
    })
}

/// How a measured request authenticates.
#[derive(Clone, Copy)]
enum Credentials {
    /// A browser's session cookie.
    Cookie,
    /// `Authorization: Bearer`, as API clients send.
    Bearer,
}

/// Measures GET requests; `path(i)` gives the path and `token(i)` the session of request i.
async fn measure_get(
    limits: Limits,
    client: &Client,
    base_url: &str,
    credentials: Credentials,
    token: impl Fn(usize) -> Option<String> + Send + Sync + 'static,
    path: impl Fn(usize) -> String + Send + Sync + 'static,
) -> load::Measured {
    let client = client.clone();
    let base_url = base_url.to_owned();
    load::run(limits, move |index| {
        let mut request = client.get(format!("{base_url}{}", path(index)));
        if let Some(token) = token(index) {
            request = match credentials {
                Credentials::Cookie => request.header(reqwest::header::COOKIE, session_cookie(&token)),
                Credentials::Bearer => request.bearer_auth(token),
            };
        }
        async move { expect_success(request.send().await).await }
    })
    .await
}

/// A random bounding box of `width` by `height` degrees inside the MKAD box, as
/// `min_lon,min_lat,max_lon,max_lat`.
fn random_bbox(width: f64, height: f64) -> String {
    let mut rng = rand::rng();
    let (min_lat, max_lat, min_lon, max_lon) = INNER_BOX;
    let lat = rng.random_range(min_lat..(max_lat - height).max(min_lat + 1e-6));
    let lon = rng.random_range(min_lon..(max_lon - width).max(min_lon + 1e-6));
    format!("{lon:.5},{lat:.5},{:.5},{:.5}", lon + width, lat + height)
}

async fn measure_backend(arguments: &Arguments, backend: Backend, catalog: &Catalog, city: &CityMap, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let group = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let data_dir = tempfile::tempdir().context("failed to create a temporary data directory")?;
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(recreate_postgres_database(arguments).await?),
    };
    let installation = Installation::new(data_dir.path(), database_url);
    let state = installation.app_state(pomoshnik_bench::server::web_config(), None).await?;

    let plan = SeedPlan { reports: arguments.reports, authors: arguments.authors, random_seed: 20_261_204 };
    eprintln!("{group}: seeding {} reports by {} residents", plan.reports, plan.authors);
    let seeded = match backend {
        Backend::Sqlite => seed::seed_sqlite(&installation.database_url, plan, catalog, city).await?,
        Backend::Postgres => seed::seed_postgres(&installation.database_url, plan, catalog, city).await?,
    };
    eprintln!("{group}: seeded users in {:.1} s and reports in {:.1} s", seeded.users_elapsed.as_secs_f64(), seeded.reports_elapsed.as_secs_f64());
    // The service refreshes planner statistics at start and every 10 minutes; a seeded database
    // gets them at once, as a running installation would.
    state.store.optimize().await?;
    rows.push(Row {
        group: group.to_owned(),
        name: format!("seeding {} reports (one request = one report)", plan.reports),
        summary: pomoshnik_bench::stats::Summary::new(Vec::new(), 0, seeded.reports_elapsed),
        memory: Default::default(),
        first_error: None,
    });

    eprintln!("{group}: VmRSS {:.1} MiB after seeding", memory::status_field_mib("VmRSS").unwrap_or(0.0));
    let service = Service::serve(state).await?;
    let client = server::client()?;
    let sessions = Arc::new(sign_in_sessions(&service, &client, &seeded).await?);
    eprintln!("{group}: VmRSS {:.1} MiB after signing in", memory::status_field_mib("VmRSS").unwrap_or(0.0));
    let url = service.base_url.clone();
    let resident = {
        let sessions = sessions.clone();
        move |index: usize| Some(sessions.residents[index % sessions.residents.len()].clone())
    };
    let moderator = {
        let sessions = sessions.clone();
        move |_: usize| Some(sessions.moderator.clone())
    };
    let executor = {
        let sessions = sessions.clone();
        move |_: usize| Some(sessions.executor.clone())
    };
    let categories: Arc<Vec<String>> = Arc::new(catalog.categories.iter().map(|category| category.code.clone()).collect());

    let started = Instant::now();
    for &concurrency in &arguments.concurrency {
        let limits = Limits { concurrency, max_requests: arguments.requests, max_duration: Duration::from_secs(arguments.seconds) };
        let group = format!("{group}, {concurrency} client{}", if concurrency == 1 { "" } else { "s" });
        let mut measure = async |name: &str, measured: load::Measured| {
            eprintln!("{group}: {name}: p99 {:.2} ms", measured.summary.p99_ms);
            rows.push(Row::new(&group, name, measured));
        };
        measure("GET /my/reports (resident page)", measure_get(limits, &client, &url, Credentials::Cookie, resident.clone(), |_| "/my/reports".into()).await).await;
        measure("GET /api/v1/reports (resident)", measure_get(limits, &client, &url, Credentials::Bearer, resident.clone(), |_| "/api/v1/reports".into()).await).await;
        measure("GET /staff/queue (moderator)", measure_get(limits, &client, &url, Credentials::Cookie, moderator.clone(), |_| "/staff/queue".into()).await).await;
        measure("GET /api/v1/reports (moderator)", measure_get(limits, &client, &url, Credentials::Bearer, moderator.clone(), |_| "/api/v1/reports".into()).await).await;
        measure("GET /staff/queue (executor, madi)", measure_get(limits, &client, &url, Credentials::Cookie, executor.clone(), |_| "/staff/queue".into()).await).await;
        measure("GET /api/v1/reports (executor, madi)", measure_get(limits, &client, &url, Credentials::Bearer, executor.clone(), |_| "/api/v1/reports".into()).await).await;
        measure(
            "GET /api/v1/public/reports, 0.02°×0.01° box, zoom 16",
            measure_get(limits, &client, &url, Credentials::Bearer, |_| None, |_| format!("/api/v1/public/reports?bbox={}&zoom=16", random_bbox(0.02, 0.01))).await,
        )
        .await;
        measure(
            "GET /api/v1/public/reports, 0.1°×0.05° box, zoom 13",
            measure_get(limits, &client, &url, Credentials::Bearer, |_| None, |_| format!("/api/v1/public/reports?bbox={}&zoom=13", random_bbox(0.1, 0.05))).await,
        )
        .await;
        measure(
            "GET /api/v1/public/reports, whole city box, zoom 10",
            measure_get(limits, &client, &url, Credentials::Bearer, |_| None, |_| "/api/v1/public/reports?bbox=36.80,55.14,37.97,56.02&zoom=10".into()).await,
        )
        .await;
        measure(
            "GET /api/v1/reports/nearby",
            measure_get(limits, &client, &url, Credentials::Bearer, resident.clone(), {
                let categories = categories.clone();
                move |index| {
                let mut rng = rand::rng();
                let (min_lat, max_lat, min_lon, max_lon) = INNER_BOX;
                let category = &categories[index % categories.len()];
                format!("/api/v1/reports/nearby?category={category}&lat={:.5}&lon={:.5}", rng.random_range(min_lat..max_lat), rng.random_range(min_lon..max_lon))
                }
            })
            .await,
        )
        .await;
    }
    eprintln!("{group}: measurements took {:.1} s", started.elapsed().as_secs_f64());

    for format in ["csv", "geojson"] {
        let name = format!("GET /api/v1/open-data/reports, every report, {format}");
        let (measured, bytes) = measure_export(&client, &url, &sessions.admin, format).await;
        eprintln!("{group}: {name}: {bytes} bytes in {:.1} s, VmHWM {:.1} MiB", measured.summary.elapsed_s, measured.memory.hwm_mib);
        rows.push(Row::new(&format!("{group}, 1 client"), &name, measured));
    }

    service.stop().await?;
    if arguments.keep_databases {
        eprintln!("{group}: kept the database at {}", installation.database_url);
        let _ = data_dir.keep();
    } else if backend == Backend::Postgres {
        drop_postgres_database(arguments).await?;
    }
    Ok(())
}

/// Downloads the open data export of every report once, reading the body chunk by chunk so that
/// the client holds no more than one chunk, and returns the measurement and the body's size.
async fn measure_export(client: &Client, base_url: &str, admin: &str, format: &str) -> (load::Measured, u64) {
    let sampler = memory::MemorySampler::start();
    let started = Instant::now();
    let mut bytes = 0_u64;
    let mut first_error = None;
    match client.get(format!("{base_url}/api/v1/open-data/reports?format={format}&from=2000-01-01")).bearer_auth(admin).send().await {
        Ok(mut response) if response.status().is_success() => loop {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes += chunk.len() as u64,
                Ok(None) => break,
                Err(error) => {
                    first_error = Some(error.to_string());
                    break;
                }
            }
        },
        Ok(response) => first_error = Some(format!("status {}", response.status())),
        Err(error) => first_error = Some(error.to_string()),
    }
    let elapsed = started.elapsed();
    let errors = usize::from(first_error.is_some());
    let summary = pomoshnik_bench::stats::Summary::new(vec![elapsed], errors, elapsed);
    (load::Measured { summary, memory: sampler.stop().await, first_error }, bytes)
}

/// Compares each latency row with its target and the memory of all loads with the memory target.
fn checks_of(rows: &[Row]) -> Vec<Check> {
    let mut checks = Vec::new();
    for row in rows.iter().filter(|row| row.summary.requests > 0) {
        let target_ms = if row.name.contains("public/reports") || row.name.contains("nearby") { MAP_TARGET_MS } else { LIST_TARGET_MS };
        checks.push(Check {
            target: format!("{} {}: p99 < {target_ms} ms", row.group, row.name),
            measured: format!("{:.2} ms", row.summary.p99_ms),
            met: row.summary.p99_ms < target_ms && row.summary.errors == 0,
        });
    }
    let peak = rows.iter().map(|row| row.memory.hwm_mib).fold(0.0, f64::max);
    checks.push(Check { target: format!("process VmHWM during the loads < {MEMORY_TARGET_MIB} MiB"), measured: format!("{peak:.1} MiB"), met: peak < MEMORY_TARGET_MIB });
    checks
}

fn main() -> anyhow::Result<()> {
    // The same allocator settings as `pomoshnik serve`, before any thread starts.
    pomoshnik::limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    server::init_logging();
    let arguments = Arguments::parse();
    if arguments.concurrency.contains(&0) || arguments.requests == 0 || arguments.authors < SAMPLED_RESIDENTS {
        bail!("--concurrency and --requests must be at least 1 and --authors at least {SAMPLED_RESIDENTS}");
    }
    let catalog = Catalog::moscow_default();
    let city = CityMap::moscow().context("cannot load the embedded city boundaries")?;

    let mut rows = Vec::new();
    for backend in arguments.backends.clone() {
        measure_backend(&arguments, backend, &catalog, &city, &mut rows).await?;
    }

    let checks = checks_of(&rows);
    print_table(&rows);
    print_checks(&checks);
    if let Some(path) = &arguments.json {
        write_json(path, "lists", &arguments, &rows, &checks)?;
    }
    Ok(())
}
