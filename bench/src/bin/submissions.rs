//! Report submissions per second through `POST /api/v1/reports`, with and without a photo,
//! against three ceilings measured in the same run: a minimal axum handler that reads the same
//! request, the media crate's write-hash-fsync-rename of the same photo, and a bare SQLite
//! single-row insert per transaction. With `--nodes` it measures running `pomoshnik serve`
//! processes instead, spreading the requests over them, and skips the ceilings.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use clap::Parser;
use pomoshnik_bench::load::{self, Limits, expect_success};
use pomoshnik_bench::output::{Check, Row, print_checks, print_table, write_json};
use pomoshnik_bench::places::INNER_BOX;
use pomoshnik_bench::server::{self, Service};
use pomoshnik_core::role::Role;
use pomoshnik_media::FileStore;
use rand::Rng;
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde::Serialize;
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Category used for every submission: it needs neither a photo nor extra fields.
const CATEGORY: &str = "uncleaned_litter_snow";

/// Connections of the SQLite ceiling's pool, as many as `SqliteStore` opens.
const SQLITE_POOL_CONNECTIONS: u32 = 8;

#[derive(Parser, Debug, Serialize)]
#[command(about = "Measure report submissions per second through the JSON API and their ceilings")]
struct Arguments {
    /// Requests sent at the same time, each by its own signed-in resident.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Maximum number of requests of each measurement.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Maximum seconds of each measurement; no request starts later.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// JPEG sent as the photo; by default the 347,609-byte Tverskaya fixture of the pomoshnik crate.
    #[arg(long)]
    photo: Option<PathBuf>,
    /// Also write the results to this JSON file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Base URLs of running `pomoshnik serve` nodes, comma-separated, such as
    /// http://127.0.0.1:8081,http://127.0.0.1:8082. Request i goes to node i mod N. Needs
    /// --database-url.
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<String>,
    /// Database of the nodes, where the benchmark creates its residents.
    #[arg(long, requires = "nodes")]
    database_url: Option<String>,
}

/// New reports one resident may file per hour (`RateLimits::default`), which running nodes enforce.
const REPORTS_PER_RESIDENT: usize = 20;

fn default_photo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/pomoshnik/tests/fixtures/photos-moscow/moscow_tverskaya_orient1.jpg")
}

/// Returns the photo with a JPEG comment segment carrying `index` inserted after the start
/// marker, so every upload has its own SHA-256 and is stored and processed anew, as distinct
/// photos of real residents are.
fn unique_photo(photo: &[u8], index: usize) -> Vec<u8> {
    let comment = format!("pomoshnik-bench {index:012}");
    let length = u16::try_from(comment.len() + 2).expect("the comment is short");
    let mut bytes = Vec::with_capacity(photo.len() + comment.len() + 4);
    bytes.extend_from_slice(&photo[..2]);
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(comment.as_bytes());
    bytes.extend_from_slice(&photo[2..]);
    bytes
}

/// The `report` part of a submission at a random point inside the MKAD box.
fn report_part() -> String {
    let mut rng = rand::rng();
    let (min_lat, max_lat, min_lon, max_lon) = INNER_BOX;
    // The middle of the box: every point there lies inside a district.
    let latitude = rng.random_range(min_lat + 0.1..max_lat - 0.1);
    let longitude = rng.random_range(min_lon + 0.15..max_lon - 0.15);
    json!({
        "category": CATEGORY,
        "lat": latitude,
        "lon": longitude,
        "address": "Москва, Тверская улица, 7",
        "occurred_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "description": "Во дворе не вывезен мусор, контейнеры переполнены.",
    })
    .to_string()
}

fn submission_form(photo: Option<Vec<u8>>) -> Form {
    let form = Form::new().text("report", report_part());
    match photo {
        Some(bytes) => form.part("files", Part::bytes(bytes).file_name("photo.jpg").mime_str("image/jpeg").expect("image/jpeg is a valid MIME type")),
        None => form,
    }
}

/// Sends submission `i` to `base_urls[i % N]` with the token `tokens[i % tokens.len()]`.
async fn submit_load(limits: Limits, client: Client, base_urls: Vec<String>, tokens: Arc<Vec<String>>, photo: Option<Arc<Vec<u8>>>) -> load::Measured {
    load::run(limits, move |index| {
        let client = client.clone();
        let url = format!("{}/api/v1/reports", base_urls[index % base_urls.len()]);
        let token = tokens[index % tokens.len()].clone();
        let photo = photo.as_ref().map(|photo| unique_photo(photo, index));
        async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .multipart(submission_form(photo))
                .send()
                .await;
            expect_success(response).await
        }
    })
    .await
}

/// Ceiling (a): an axum server whose only handler reads the whole body and answers 200.
async fn start_minimal_server() -> anyhow::Result<String> {
    let app = Router::new()
        .route("/api/v1/reports", post(|body: Bytes| async move { format!("{}", body.len()) }))
        .layer(axum::extract::DefaultBodyLimit::disable());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the minimal server failed");
        }
    });
    Ok(format!("http://{address}"))
}

/// Ceiling (b): `FileStore::receive` of the photo, which writes it to a temporary file while
/// hashing it with SHA-256, fsyncs it, renames it to its content address and fsyncs the
/// directory, without the decoding and previews that a submission adds.
async fn store_load(limits: Limits, root: &Path, photo: Arc<Vec<u8>>) -> anyhow::Result<load::Measured> {
    let files = Arc::new(FileStore::open(root).await?);
    Ok(load::run(limits, move |index| {
        let files = files.clone();
        let bytes = Bytes::from(unique_photo(&photo, index));
        async move {
            // Chunks of 64 KiB, about what the multipart parser hands over.
            let chunks: Vec<Result<Bytes, std::io::Error>> = (0..bytes.len()).step_by(64 * 1024).map(|start| Ok(bytes.slice(start..(start + 64 * 1024).min(bytes.len())))).collect();
            files.receive("photo.jpg", futures_util::stream::iter(chunks)).await.map(|_| ()).map_err(|error| error.to_string())
        }
    })
    .await)
}

/// Ceiling (c): one short row per `BEGIN IMMEDIATE` transaction on SQLite with the store's
/// settings (WAL, `synchronous = NORMAL`, 8 connections).
async fn sqlite_insert_load(limits: Limits, path: &Path) -> anyhow::Result<load::Measured> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new().max_connections(SQLITE_POOL_CONNECTIONS).connect_with(options).await?;
    sqlx::query("CREATE TABLE rows (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL)").execute(&pool).await?;

    let measured = load::run(limits, move |index| {
        let pool = pool.clone();
        async move {
            let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await.map_err(|error| error.to_string())?;
            sqlx::query("INSERT INTO rows (author_id, text, created_at) VALUES ($1, $2, $3)")
                .bind(index as i64 % 16)
                .bind("Во дворе не вывезен мусор, контейнеры переполнены.")
                .bind(chrono::Utc::now().timestamp_millis())
                .execute(&mut *transaction)
                .await
                .map_err(|error| error.to_string())?;
            transaction.commit().await.map_err(|error| error.to_string())
        }
    })
    .await;
    Ok(measured)
}

fn main() -> anyhow::Result<()> {
    // The same allocator settings as `pomoshnik serve`, before any thread starts.
    pomoshnik::limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    server::init_logging();
    let arguments = Arguments::parse();
    if arguments.concurrency == 0 || arguments.requests == 0 {
        bail!("--concurrency and --requests must be at least 1");
    }
    let limits = Limits { concurrency: arguments.concurrency, max_requests: arguments.requests, max_duration: Duration::from_secs(arguments.seconds) };
    let photo_path = arguments.photo.clone().unwrap_or_else(default_photo);
    let photo = Arc::new(std::fs::read(&photo_path).with_context(|| format!("failed to read the photo {}", photo_path.display()))?);
    eprintln!("photo: {} ({} bytes)", photo_path.display(), photo.len());

    let work_dir = tempfile::tempdir().context("failed to create a temporary directory")?;
    if !arguments.nodes.is_empty() {
        return run_on_nodes(&arguments, limits, photo, work_dir.path()).await;
    }
    let service = Service::start(&work_dir.path().join("service"), None).await?;
    let client = server::client()?;
    let mut tokens = Vec::with_capacity(arguments.concurrency);
    for index in 0..arguments.concurrency {
        let email = format!("submitter{index:02}@bench.example");
        service.add_user(&email, Role::Resident, None).await?;
        tokens.push(service.sign_in(&client, &email).await?);
    }
    let tokens = Arc::new(tokens);
    let minimal_url = start_minimal_server().await?;

    let mut rows = Vec::new();
    eprintln!("submissions without a photo");
    let measured = submit_load(limits, client.clone(), vec![service.base_url.clone()], tokens.clone(), None).await;
    rows.push(Row::new("api", "POST /api/v1/reports, no photo", measured));
    eprintln!("submissions with one photo");
    let measured = submit_load(limits, client.clone(), vec![service.base_url.clone()], tokens.clone(), Some(photo.clone())).await;
    rows.push(Row::new("api", "POST /api/v1/reports, one photo", measured));

    eprintln!("ceiling (a): minimal axum handler");
    let measured = submit_load(limits, client.clone(), vec![minimal_url.clone()], tokens.clone(), None).await;
    rows.push(Row::new("ceiling", "(a) minimal axum handler, no photo", measured));
    let measured = submit_load(limits, client.clone(), vec![minimal_url], tokens.clone(), Some(photo.clone())).await;
    rows.push(Row::new("ceiling", "(a) minimal axum handler, one photo", measured));
    eprintln!("ceiling (b): write, hash, fsync and rename the photo");
    let measured = store_load(limits, &work_dir.path().join("files-ceiling"), photo.clone()).await?;
    rows.push(Row::new("ceiling", "(b) FileStore::receive of the photo", measured));
    eprintln!("ceiling (c): SQLite single-row insert per transaction");
    let measured = sqlite_insert_load(limits, &work_dir.path().join("ceiling.db")).await?;
    rows.push(Row::new("ceiling", "(c) SQLite one-row transaction", measured));

    service.stop().await?;

    let rate = |name: &str| rows.iter().find(|row| row.name.starts_with(name)).map_or(0.0, |row| row.summary.rate_per_s);
    let p99 = |name: &str| rows.iter().find(|row| row.name.starts_with(name)).map_or(0.0, |row| row.summary.p99_ms);
    let max_rss = rows.iter().filter(|row| row.group == "api").map(|row| row.memory.hwm_mib).fold(0.0, f64::max);
    let photo_ratio = rate("POST /api/v1/reports, one photo") / rate("(b)");
    let plain_ratio = rate("POST /api/v1/reports, no photo") / rate("(c)");
    let checks = vec![
        Check { target: "photo submissions ≥ 1/2 of ceiling (b)".into(), measured: format!("{photo_ratio:.3} of (b)"), met: photo_ratio >= 0.5 },
        Check { target: "photo submissions p99 < 50 ms".into(), measured: format!("{:.1} ms", p99("POST /api/v1/reports, one photo")), met: p99("POST /api/v1/reports, one photo") < 50.0 },
        Check { target: "no-photo submissions ≥ 1/5 of ceiling (c)".into(), measured: format!("{plain_ratio:.3} of (c)"), met: plain_ratio >= 0.2 },
        Check { target: "process VmHWM during submissions < 150 MiB".into(), measured: format!("{max_rss:.1} MiB"), met: max_rss < 150.0 },
    ];

    print_table(&rows);
    print_checks(&checks);
    if let Some(path) = &arguments.json {
        write_json(path, "submissions", &arguments, &rows, &checks)?;
    }
    Ok(())
}

/// Measures the two API loads against running nodes. The residents are created in the nodes'
/// database, enough of them that none exceeds its hourly report limit.
async fn run_on_nodes(arguments: &Arguments, limits: Limits, photo: Arc<Vec<u8>>, work_dir: &Path) -> anyhow::Result<()> {
    let Some(database_url) = &arguments.database_url else {
        bail!("--nodes needs --database-url: the benchmark creates its residents in the nodes' database");
    };
    let installation = pomoshnik::Installation::new(work_dir.join("accounts"), Some(database_url.clone()));
    let store = installation.open_store().await?;
    let client = server::client()?;
    let residents = arguments.concurrency.max(2 * arguments.requests / REPORTS_PER_RESIDENT + 1);
    eprintln!("creating and signing in {residents} residents");
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut tokens = Vec::with_capacity(residents);
    for index in 0..residents {
        let email = format!("submitter{index:04}-{}@bench.example", &run[..8]);
        let request = pomoshnik::UserRequest { email: email.clone(), role: Role::Resident, agency: None, district: None, supervisor: false, password: server::PASSWORD.to_owned() };
        pomoshnik::add_user(store.as_ref(), request).await?;
        let node = &arguments.nodes[index % arguments.nodes.len()];
        let response = client.post(format!("{node}/api/v1/session")).json(&json!({ "login": email, "password": server::PASSWORD })).send().await?;
        let body: serde_json::Value = response.json().await.context("sign-in response is not JSON")?;
        tokens.push(body["token"].as_str().map(str::to_owned).with_context(|| format!("sign-in of {email} failed: {body}"))?);
    }
    store.close().await;
    let tokens = Arc::new(tokens);

    let mut rows = Vec::new();
    eprintln!("submissions without a photo on {} node(s)", arguments.nodes.len());
    let measured = submit_load(limits, client.clone(), arguments.nodes.clone(), tokens.clone(), None).await;
    rows.push(Row::new("nodes", "POST /api/v1/reports, no photo", measured));
    eprintln!("submissions with one photo on {} node(s)", arguments.nodes.len());
    let measured = submit_load(limits, client, arguments.nodes.clone(), tokens, Some(photo)).await;
    rows.push(Row::new("nodes", "POST /api/v1/reports, one photo", measured));

    print_table(&rows);
    if let Some(path) = &arguments.json {
        write_json(path, "submissions", arguments, &rows, &[])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_photo_keeps_jpeg_start_and_rest() {
        let photo = [0xFF, 0xD8, 0xFF, 0xE1, 1, 2, 3];
        let first = unique_photo(&photo, 1);
        let second = unique_photo(&photo, 2);
        assert_ne!(first, second);
        assert_eq!(&first[..4], &[0xFF, 0xD8, 0xFF, 0xFE]);
        assert!(first.ends_with(&photo[2..]));
        let length = u16::from_be_bytes([first[4], first[5]]) as usize;
        assert_eq!(first.len(), photo.len() + 2 + length);
    }
}
