//! Helpers of the crash test: the `pomoshnik` binary as a child process, the database read
//! with plain SQL on either backend, and photos made unique by a JPEG comment.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{Value, json};
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

/// How long a started server may take to answer `/readyz`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// One installation: the data directory and database URL every server of a test shares.
#[derive(Clone)]
pub struct Setup {
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Standard error of every server started, appended.
    pub log_path: PathBuf,
    /// Environment variables of every process started, such as the S3 settings.
    pub env: Vec<(String, String)>,
}

impl Setup {
    /// The `pomoshnik` binary with the installation's data directory and database.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pomoshnik"));
        command
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--database-url")
            .arg(&self.database_url)
            .env("POMOSHNIK_LOG", "warn")
            .envs(self.env.iter().map(|(name, value)| (name.as_str(), value.as_str())))
            .kill_on_drop(true);
        command
    }

    pub fn log_file(&self) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap_or_else(|error| panic!("failed to open the server log {}: {error}", self.log_path.display()))
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let start = log.len().saturating_sub(4000);
        log.get(start..).unwrap_or(&log).to_owned()
    }

    /// Runs `pomoshnik user add` with the password on standard input.
    pub async fn add_user(&self, role: &str, email: &str, password: &str) {
        self.add_user_with(&["--role", role, "--email", email], password).await;
    }

    /// Runs `pomoshnik user add ARGUMENTS` with the password on standard input.
    pub async fn add_user_with(&self, arguments: &[&str], password: &str) {
        let mut child = self
            .command()
            .args(["user", "add"])
            .args(arguments)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(self.log_file())
            .spawn()
            .expect("failed to start `pomoshnik user add`");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin.write_all(format!("{password}\n").as_bytes()).await.expect("failed to write the password");
        drop(stdin);

        let status = child.wait().await.expect("failed to wait for `pomoshnik user add`");
        assert!(status.success(), "`pomoshnik user add {}` failed with {status}:\n{}", arguments.join(" "), self.log_tail());
    }

    /// Starts `pomoshnik ARGS` (such as `worker`) in the background, with standard error appended
    /// to the log. The process is killed when the handle is dropped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(self.log_file())
            .spawn()
            .unwrap_or_else(|error| panic!("failed to start `pomoshnik {}`: {error}", args.join(" ")))
    }

    /// Starts `pomoshnik serve` on a free loopback port and waits until it is ready.
    pub async fn start_server(&self) -> Server {
        self.start_server_with(&[]).await
    }

    /// Starts `pomoshnik serve` with `extra` arguments and waits until it is ready.
    pub async fn start_server_with(&self, extra: &[&str]) -> Server {
        let port = free_port();
        let base_url = format!("http://127.0.0.1:{port}");
        let mut child = self
            .command()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &base_url])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(self.log_file())
            .spawn()
            .expect("failed to start `pomoshnik serve`");

        let client = Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("failed to poll the server process") {
                panic!("`pomoshnik serve` exited with {status} before it was ready:\n{}", self.log_tail());
            }
            if let Ok(response) = client.get(format!("{base_url}/readyz")).send().await {
                if response.status().is_success() {
                    break;
                }
            }
            assert!(started.elapsed() < START_TIMEOUT, "`pomoshnik serve` was not ready within {START_TIMEOUT:?}:\n{}", self.log_tail());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server { child, base_url, port }
    }
}

/// A running `pomoshnik serve` process.
pub struct Server {
    child: Child,
    pub base_url: String,
    pub port: u16,
}

impl Server {
    /// Sends SIGTERM, as a service manager does to stop the service.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the server is still running");
        let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("failed to run kill");
        assert!(status.success(), "kill -TERM {pid} failed with {status}");
    }

    /// Waits up to `limit` for the process to exit and returns its status.
    pub async fn wait_for_exit(mut self, limit: Duration) -> std::process::ExitStatus {
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(status) => status.expect("failed to wait for the server"),
            Err(_) => panic!("the server was still running {limit:?} after it was told to stop"),
        }
    }

    /// Sends SIGKILL (what `Child::start_kill` does on Unix) and waits for the process to end.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("failed to send SIGKILL to the server");
        let status = self.child.wait().await.expect("failed to wait for the killed server");
        assert!(!status.success(), "the server exited normally instead of being killed: {status}");
    }
}

/// Returns a loopback port that was free a moment ago; the server binds it shortly after.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("failed to bind a loopback port");
    listener.local_addr().expect("the listener has no address").port()
}

/// Signs in through `POST /api/v1/session` and returns the bearer token.
pub async fn sign_in(client: &Client, base_url: &str, email: &str, password: &str) -> String {
    let response = client
        .post(format!("{base_url}/api/v1/session"))
        .json(&json!({ "login": email, "password": password }))
        .send()
        .await
        .unwrap_or_else(|error| panic!("sign-in of {email} failed: {error}"));
    let status = response.status();
    let body: Value = response.json().await.expect("the sign-in response is not JSON");
    assert!(status.is_success(), "sign-in of {email} failed with {status}: {body}");
    body["token"].as_str().expect("the sign-in response has no token").to_owned()
}

/// A connection pool to the installation's database, for checks in plain SQL.
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    pub async fn connect(url: &str) -> Database {
        if url.starts_with("sqlite:") {
            let options: SqliteConnectOptions = url.parse().unwrap_or_else(|error| panic!("invalid SQLite URL {url}: {error}"));
            let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options.read_only(true)).await;
            Database::Sqlite(pool.unwrap_or_else(|error| panic!("failed to open {url}: {error}")))
        } else {
            let pool = PgPoolOptions::new().max_connections(1).connect(url).await;
            Database::Postgres(pool.unwrap_or_else(|error| panic!("failed to connect to {url}: {error}")))
        }
    }

    /// Runs one query and returns every row; the same SQL must work on both backends.
    pub async fn rows<T>(&self, sql: &'static str) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        let rows = match self {
            Database::Sqlite(pool) => sqlx::query_as::<_, T>(sql).fetch_all(pool).await,
            Database::Postgres(pool) => sqlx::query_as::<_, T>(sql).fetch_all(pool).await,
        };
        rows.unwrap_or_else(|error| panic!("query failed: {sql}: {error}"))
    }

    pub async fn close(self) {
        match self {
            Database::Sqlite(pool) => pool.close().await,
            Database::Postgres(pool) => pool.close().await,
        }
    }
}

/// Returns the JPEG `photo` with a comment segment carrying `marker`, inserted after the
/// application segments (JFIF, Exif), so the photo still decodes and keeps its metadata but has
/// its own SHA-256.
pub fn photo_with_marker(photo: &[u8], marker: &str) -> Vec<u8> {
    assert!(photo.starts_with(&[0xFF, 0xD8]), "the fixture is not a JPEG file");
    let mut offset = 2;
    while photo.len() >= offset + 4 && photo[offset] == 0xFF && (0xE0..=0xEF).contains(&photo[offset + 1]) {
        let length = usize::from(u16::from_be_bytes([photo[offset + 2], photo[offset + 3]]));
        offset += 2 + length;
    }

    let comment_length = u16::try_from(marker.len() + 2).expect("the marker fits in one JPEG segment");
    let mut marked = Vec::with_capacity(photo.len() + marker.len() + 4);
    marked.extend_from_slice(&photo[..offset]);
    marked.extend_from_slice(&[0xFF, 0xFE]);
    marked.extend_from_slice(&comment_length.to_be_bytes());
    marked.extend_from_slice(marker.as_bytes());
    marked.extend_from_slice(&photo[offset..]);
    marked
}

/// Lists every regular file under `directory` as a path relative to `root`, in `/` form.
pub fn files_under(root: &Path, directory: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return found,
        Err(error) => panic!("failed to list {}: {error}", directory.display()),
    };
    for entry in entries {
        let path = entry.expect("failed to read a directory entry").path();
        if path.is_dir() {
            found.extend(files_under(root, &path));
        } else {
            let relative = path.strip_prefix(root).expect("the file is under the root");
            found.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    found.sort();
    found
}
