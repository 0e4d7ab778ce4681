//! Latency of the dashboard figures with a large seeded SQLite database: each store query for
//! periods of 7, 30 and 90 days, for all agencies and for one, and the whole
//! `GET /api/v1/dashboard` call of an administrator and of a supervisor.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Parser;
use pomoshnik::Installation;
use pomoshnik_bench::load::{self, Limits, expect_success};
use pomoshnik_bench::output::{Check, Row, print_checks, print_table, write_json};
use pomoshnik_bench::seed::{self, SeedPlan};
use pomoshnik_bench::server::{self, Service};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::role::Role;
use pomoshnik_geo::CityMap;
use pomoshnik_store::{DashboardScope, Store};
use serde::Serialize;

/// p99 target of one `GET /api/v1/dashboard` call, this benchmark's own choice for a page that
/// a few people open a few times a day.
const API_TARGET_MS: f64 = 1000.0;
/// The agency of the supervisor and of the filtered measurements: it gets the most reports.
const AGENCY: &str = "madi";
/// Maximum rows of the overdue list, the same as the page's.
const OVERDUE_LIMIT: i64 = 100;

#[derive(Parser, Debug, Serialize)]
#[command(about = "Measure the dashboard queries with a large seeded SQLite database")]
struct Arguments {
    /// Reports to seed.
    #[arg(long, default_value_t = 1_000_000)]
    reports: usize,
    /// Residents who filed the seeded reports.
    #[arg(long, default_value_t = 5_000)]
    authors: usize,
    /// Maximum number of calls of each measurement.
    #[arg(long, default_value_t = 50)]
    requests: usize,
    /// Maximum seconds of each measurement; no call starts later.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Also write the results to this JSON file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn main() -> anyhow::Result<()> {
    // The same allocator settings as `pomoshnik serve`, before any thread starts.
    pomoshnik::limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    server::init_logging();
    let arguments = Arguments::parse();
    if arguments.requests == 0 || arguments.reports == 0 {
        bail!("--requests and --reports must be at least 1");
    }
    let catalog = Catalog::moscow_default();
    let city = CityMap::moscow().context("cannot load the embedded city boundaries")?;

    let data_dir = tempfile::tempdir().context("failed to create a temporary data directory")?;
    let installation = Installation::new(data_dir.path(), None);
    let state = installation.app_state(server::web_config(), None).await?;
    let plan = SeedPlan { reports: arguments.reports, authors: arguments.authors, random_seed: 20_261_205 };
    eprintln!("seeding {} reports by {} residents", plan.reports, plan.authors);
    let seeded = seed::seed_sqlite(&installation.database_url, plan, &catalog, &city).await?;
    eprintln!("seeded users in {:.1} s and reports in {:.1} s", seeded.users_elapsed.as_secs_f64(), seeded.reports_elapsed.as_secs_f64());
    let started = Instant::now();
    let rated = seed_ratings(&installation.database_url).await?;
    eprintln!("rated {rated} reports in {:.1} s", started.elapsed().as_secs_f64());
    // The service refreshes planner statistics at start and every 10 minutes; a seeded database
    // gets them at once, as a running installation would.
    state.store.optimize().await?;

    let mut rows = Vec::new();
    let limits = Limits { concurrency: 1, max_requests: arguments.requests, max_duration: Duration::from_secs(arguments.seconds) };
    let store = state.store.clone();
    for days in [7, 30, 90] {
        for agency in [None, Some(AGENCY)] {
            let group = format!("store, {days} days, {}", agency.unwrap_or("all agencies"));
            measure_store(limits, &store, days, agency, &group, &mut rows).await;
        }
    }

    let service = Service::serve(state).await?;
    service.add_user("admin@bench.example", Role::Admin, None).await?;
    pomoshnik::add_user(
        service.state.store.as_ref(),
        pomoshnik::UserRequest {
            email: "chief@bench.example".to_owned(),
            role: Role::Executor,
            agency: Some(AGENCY.to_owned()),
            district: None,
            supervisor: true,
            password: server::PASSWORD.to_owned(),
        },
    )
    .await
    .context("failed to add the supervisor")?;
    let client = server::client()?;
    let admin = service.sign_in(&client, "admin@bench.example").await?;
    let chief = service.sign_in(&client, "chief@bench.example").await?;
    for (name, token, path) in [
        ("GET /api/v1/dashboard?days=30 (administrator)", &admin, "/api/v1/dashboard?days=30"),
        ("GET /api/v1/dashboard?days=90 (administrator)", &admin, "/api/v1/dashboard?days=90"),
        ("GET /api/v1/dashboard?days=90 (supervisor, madi)", &chief, "/api/v1/dashboard?days=90"),
        ("GET /admin/dashboard?days=90 (administrator page)", &admin, "/admin/dashboard?days=90"),
    ] {
        let (client, url, token) = (client.clone(), service.url(path), token.clone());
        let measured = load::run(limits, move |_| {
            let request = client.get(&url).header(reqwest::header::COOKIE, server::session_cookie(&token));
            async move { expect_success(request.send().await).await }
        })
        .await;
        eprintln!("{name}: p99 {:.2} ms", measured.summary.p99_ms);
        rows.push(Row::new("HTTP, 1 client", name, measured));
    }
    service.stop().await?;

    let checks: Vec<Check> = rows
        .iter()
        .filter(|row| row.group.starts_with("HTTP") && row.name.contains("/api/"))
        .map(|row| Check {
            target: format!("{}: p99 < {API_TARGET_MS:.0} ms", row.name),
            measured: format!("{:.1} ms", row.summary.p99_ms),
            met: row.summary.errors == 0 && row.summary.p99_ms < API_TARGET_MS,
        })
        .collect();
    print_table(&rows);
    print_checks(&checks);
    if let Some(path) = &arguments.json {
        write_json(path, "dashboard", &arguments, &rows, &checks)?;
    }
    Ok(())
}

/// Gives every third resolved report a score from 1 to 5 by its author, in one statement.
async fn seed_ratings(database_url: &str) -> anyhow::Result<u64> {
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(database_url).await.context("failed to open the SQLite database for ratings")?;
    let inserted = sqlx::query(
        "INSERT INTO report_ratings (report_id, user_id, score, comment, created_at, updated_at) \
         SELECT id, author_id, id % 5 + 1, NULL, resolved_at, resolved_at FROM reports WHERE resolved_at IS NOT NULL AND id % 3 = 0",
    )
    .execute(&pool)
    .await?;
    pool.close().await;
    Ok(inserted.rows_affected())
}

/// Times each dashboard query of the store for the last `days` days.
async fn measure_store(limits: Limits, store: &Arc<dyn Store>, days: i64, agency: Option<&str>, group: &str, rows: &mut Vec<Row>) {
    let now = Utc::now();
    let scope = Arc::new(DashboardScope { from: now - chrono::Duration::days(days), to: now, agency: agency.map(str::to_owned) });
    let agency = agency.map(str::to_owned);

    let queries: [(&str, u8); 5] = [("daily counts", 0), ("category counts", 1), ("district counts", 2), ("agency figures", 3), ("overdue list", 4)];
    for (name, query) in queries {
        let (store, scope, agency) = (store.clone(), scope.clone(), agency.clone());
        let measured = load::run(limits, move |_| {
            let (store, scope, agency) = (store.clone(), scope.clone(), agency.clone());
            async move {
                let outcome = match query {
                    0 => store.dashboard_daily_counts(&scope).await.map(|rows| rows.len()),
                    1 => store.dashboard_category_counts(&scope).await.map(|rows| rows.len()),
                    2 => store.dashboard_district_counts(&scope).await.map(|rows| rows.len()),
                    3 => store.dashboard_agency_figures(&scope, now).await.map(|rows| rows.len()),
                    _ => store.dashboard_overdue_reports(agency.as_deref(), now, OVERDUE_LIMIT).await.map(|rows| rows.len()),
                };
                outcome.map(|_| ()).map_err(|error| error.to_string())
            }
        })
        .await;
        eprintln!("{group}: {name}: p50 {:.2} ms", measured.summary.p50_ms);
        rows.push(Row::new(group, name, measured));
    }
}
