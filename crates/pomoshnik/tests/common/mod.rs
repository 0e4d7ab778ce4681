//! A Pomoshnik service running in the test process on a loopback port, and the HTTP requests
//! the end-to-end tests send to it.

#![allow(dead_code, reason = "each test binary that includes this module uses a different part of it")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use pomoshnik::{Installation, UserRequest};
use pomoshnik_core::role::Role;
use pomoshnik_media::S3Config;
use pomoshnik_store::User;
use pomoshnik_test_support::{DatabaseKind, TestDatabase};
use pomoshnik_web::push::PushSettings;
use pomoshnik_web::oidc::ProviderConfig;
use pomoshnik_web::{AppState, BodyTimeouts, WebConfig};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password of every test account.
pub const PASSWORD: &str = "e2e-test-password";
/// Hotline number the test service shows on its help page.
pub const HOTLINE: &str = "+7 495 000-00-00";

/// Photos under `tests/fixtures/photos-moscow`; see `SOURCES.md` there.
pub const TVERSKAYA: &str = "moscow_tverskaya_orient1.jpg";
pub const ZELENOGRAD: &str = "moscow_zelenograd_orient6.jpg";
pub const KHIMKI: &str = "khimki_outside_city_orient8.jpg";
pub const NO_GPS: &str = "moscow_no_gps_orient3.jpg";

/// How long the server may take to finish after the shutdown signal.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// The service with its own data directory and database, listening on `127.0.0.1`.
pub struct TestService {
    pub base_url: String,
    /// The state the server runs with, for checks the HTTP interface does not offer.
    pub state: AppState,
    pub data_dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    // Declared last, so the database is removed after everything that uses it is dropped.
    database: TestDatabase,
}

/// Starts the service on a new database of `kind`, runs `scenario` against it and stops it;
/// the runner of `on_both_backends!`.
pub async fn with_service(kind: DatabaseKind, scenario: impl AsyncFnOnce(&TestService)) {
    let service = TestService::start(kind).await;
    scenario(&service).await;
    service.stop().await;
}

impl TestService {
    pub async fn start(kind: DatabaseKind) -> TestService {
        TestService::launch(kind, None, None, None, |_| Vec::new(), None).await
    }

    /// Starts the service with uploaded files kept in the S3-compatible bucket of `s3`.
    pub async fn start_with_s3(kind: DatabaseKind, s3: S3Config) -> TestService {
        TestService::launch(kind, None, Some(s3), None, |_| Vec::new(), None).await
    }

    /// Starts the service with Web Push on, taking subscriptions to the push services of `push`.
    pub async fn start_with_push(kind: DatabaseKind, push: PushSettings) -> TestService {
        TestService::launch(kind, None, None, Some(push), |_| Vec::new(), None).await
    }

    /// Starts the service with the sign-in providers that `providers` returns for the
    /// service's base URL, which the providers need for their redirect URIs.
    pub async fn start_with_providers(kind: DatabaseKind, providers: impl FnOnce(&str) -> Vec<ProviderConfig>) -> TestService {
        TestService::launch(kind, None, None, None, providers, None).await
    }

    /// Starts the service with these senders and limits of local accounts.
    pub async fn start_with_accounts(kind: DatabaseKind, accounts: pomoshnik_web::accounts::AccountsConfig) -> TestService {
        TestService::launch(kind, None, None, None, |_| Vec::new(), Some(accounts)).await
    }

    /// Starts the service with other request body timeouts than the default, for tests of slow
    /// clients. It serves the router without the periodic cleanup that `pomoshnik::serve` runs.
        pub async fn start_with_body_timeouts(kind: DatabaseKind, timeouts: BodyTimeouts) -> TestService {
        TestService::launch(kind, Some(timeouts), None, None, |_| Vec::new(), None).await
    }

    async fn launch(
        kind: DatabaseKind,
        body_timeouts: Option<BodyTimeouts>,
        s3: Option<S3Config>,
        push: Option<PushSettings>,
        providers: impl FnOnce(&str) -> Vec<ProviderConfig>,
        accounts: Option<pomoshnik_web::accounts::AccountsConfig>,
    ) -> TestService {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("failed to bind a loopback port");
        let address = listener.local_addr().expect("the listener has no local address");
        let base_url = format!("http://{address}");

        let database = TestDatabase::create(kind).await;
        let data_dir = tempfile::tempdir().expect("failed to create a temporary data directory");
        let installation = Installation::new(data_dir.path(), Some(database.url().to_owned())).with_s3(s3);
        // Some scenarios file dozens of reports as one resident; cluster.rs tests that limit.
        let mut rate_limits = pomoshnik_web::limits::RateLimits::default();
        rate_limits.reports_per_resident.max = i64::MAX;
        let web = WebConfig {
            secure_cookies: false,
            tile_url: None,
            public_url: base_url.clone(),
            providers: providers(&base_url),
            hotline: Some(HOTLINE.to_owned()),
            client_address_header: None,
            rate_limits,
            push,
            accounts: accounts.unwrap_or_default(),
        };
        let state = installation
            .app_state(web, None)
            .await
            .unwrap_or_else(|error| panic!("failed to open the installation on the {kind:?} test database: {error:#}"));

        let (shutdown, shutdown_signal) = oneshot::channel::<()>();
        let stopped = async move {
            // A dropped sender also stops the server, as when a test panics.
            let _ = shutdown_signal.await;
        };
        let server = match body_timeouts {
            None => tokio::spawn(pomoshnik::serve(listener, state.clone(), stopped)),
            Some(timeouts) => {
                let app = pomoshnik_web::router_with_body_timeouts(state.clone(), timeouts);
                tokio::spawn(async move {
                    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
                    axum::serve(listener, service).with_graceful_shutdown(stopped).await.map_err(anyhow::Error::from)
                })
            }
        };

        TestService {
            base_url,
            state,
            data_dir,
            shutdown: Some(shutdown),
            server: Some(server),
            database,
        }
    }

    /// Stops the server and checks that it finished without an error.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let Some(server) = self.server.take() else { return };
        match tokio::time::timeout(SHUTDOWN_TIMEOUT, server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => panic!("the server failed: {error:#}"),
            Ok(Err(error)) => panic!("the server task panicked: {error}"),
            Err(_) => panic!("the server did not stop within {SHUTDOWN_TIMEOUT:?} of the shutdown signal"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Returns the URL of the service's database, for a second node or a check in plain SQL.
    pub fn database_url(&self) -> &str {
        self.database.url()
    }

    /// Creates a confirmed account with [`PASSWORD`], as `pomoshnik user add` does.
    pub async fn add_user(&self, email: &str, role: Role, agency: Option<&str>) -> User {
        self.add_user_in_district(email, role, agency, None).await
    }

    /// Creates a confirmed account, bound to a district unit when `district` is given.
    pub async fn add_user_in_district(&self, email: &str, role: Role, agency: Option<&str>, district: Option<&str>) -> User {
        let request = UserRequest {
            email: email.to_owned(),
            role,
            agency: agency.map(str::to_owned),
            district: district.map(str::to_owned),
            supervisor: false,
            password: PASSWORD.to_owned(),
        };
        pomoshnik::add_user(self.state.store.as_ref(), request)
            .await
            .unwrap_or_else(|error| panic!("failed to add user {email}: {error:#}"))
    }

    /// Creates a confirmed executor who supervises `agency`.
    pub async fn add_supervisor(&self, email: &str, agency: &str) -> User {
        let request = UserRequest {
            email: email.to_owned(),
            role: Role::Executor,
            agency: Some(agency.to_owned()),
            district: None,
            supervisor: true,
            password: PASSWORD.to_owned(),
        };
        pomoshnik::add_user(self.state.store.as_ref(), request)
            .await
            .unwrap_or_else(|error| panic!("failed to add supervisor {email}: {error:#}"))
    }

    /// Signs in through `POST /api/v1/session`.
    pub async fn sign_in(&self, email: &str) -> ApiClient {
        let response = Client::new()
            .post(self.url("/api/v1/session"))
            .json(&json!({ "login": email, "password": PASSWORD }))
            .send()
            .await
            .expect("sign-in request failed");
        let status = response.status();
        let body: Value = response.json().await.expect("sign-in response is not JSON");
        assert_eq!(status, StatusCode::OK, "sign-in of {email} failed: {body}");
        let token = body["token"].as_str().expect("sign-in response has no token").to_owned();

        ApiClient { client: Client::new(), base_url: self.base_url.clone(), token }
    }

    /// A JSON API client that sends `token`, such as an agency's API key, as its bearer token.
    pub fn client_with_token(&self, token: &str) -> ApiClient {
        ApiClient { client: Client::new(), base_url: self.base_url.clone(), token: token.to_owned() }
    }

    /// Adds an account and signs it in.
    pub async fn user(&self, email: &str, role: Role, agency: Option<&str>) -> ApiClient {
        self.add_user(email, role, agency).await;
        self.sign_in(email).await
    }

    pub async fn resident(&self, email: &str) -> ApiClient {
        self.user(email, Role::Resident, None).await
    }

    /// A browser-like client: it keeps cookies and does not follow redirects, so a test sees
    /// each redirect.
    pub fn browser(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("failed to build the HTTP client")
    }

    /// File names under `<data_dir>/files/originals`, which are the SHA-256 of their content.
    pub fn stored_originals(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        collect_file_names(&self.data_dir.path().join("files/originals"), &mut names);
        names
    }

    /// Deletes the upload records not attached to any report and returns their storage keys.
    /// An empty result means that no rejected request left an upload behind.
    pub async fn delete_pending_uploads(&self) -> Vec<String> {
        let later_than_any_upload = Utc::now() + chrono::Duration::hours(1);
        self.state.store.delete_pending_files(later_than_any_upload).await.expect("failed to delete pending uploads")
    }
}

fn collect_file_names(directory: &Path, names: &mut BTreeSet<String>) {
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return,
        Err(error) => panic!("failed to list {}: {error}", directory.display()),
    };
    for entry in entries {
        let entry = entry.expect("failed to read a directory entry");
        let path = entry.path();
        if path.is_dir() {
            collect_file_names(&path, names);
        } else {
            names.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
}

/// A JSON API client signed in with a bearer token.
#[derive(Clone)]
pub struct ApiClient {
    client: Client,
    base_url: String,
    pub token: String,
}

impl ApiClient {
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path} failed: {error}"))
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        json_of(self.get(path).await).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|error| panic!("POST {path} failed: {error}"));
        json_of(response).await
    }

    /// Requests a status change of report `number`.
    pub async fn transition(&self, number: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(&format!("/api/v1/reports/{number}/transitions"), &body).await
    }

    /// Files a report: `report` as the `report` part and each upload as a `files` part.
    pub async fn file_report(&self, report: &Value, uploads: &[Upload], idempotency_key: Option<&str>) -> (StatusCode, Value) {
        let mut form = Form::new().text("report", report.to_string());
        for upload in uploads {
            form = form.part("files", upload.part());
        }
        let mut request = self.client.post(format!("{}/api/v1/reports", self.base_url)).bearer_auth(&self.token).multipart(form);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.unwrap_or_else(|error| panic!("POST /api/v1/reports failed: {error}"));
        json_of(response).await
    }

    /// Numbers of the reports in `GET /api/v1/reports`: the caller's own, their agency's or
    /// the moderation queue, depending on the role.
    pub async fn report_numbers(&self) -> Vec<String> {
        let (status, body) = self.get_json("/api/v1/reports").await;
        assert_eq!(status, StatusCode::OK, "GET /api/v1/reports failed: {body}");
        body["reports"].as_array().expect("reports is an array").iter().map(|report| report["number"].as_str().expect("report has a number").to_owned()).collect()
    }

    pub async fn report(&self, number: &str) -> Value {
        let (status, body) = self.get_json(&format!("/api/v1/reports/{number}")).await;
        assert_eq!(status, StatusCode::OK, "GET /api/v1/reports/{number} failed: {body}");
        body
    }
}

/// Reads a JSON body; a body that is not JSON becomes a JSON string, so the assertion that
/// follows shows it.
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("failed to read the response body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A file to upload, with the name the resident's device gives it.
#[derive(Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Upload {
    /// A photo from `tests/fixtures/photos-moscow`.
    pub fn photo(name: &str) -> Upload {
        Upload { name: name.to_owned(), bytes: fixture(name) }
    }

    /// Sent as `image/jpeg` whatever the content is, as a browser does for a `.jpg` name: the
    /// service must judge the type by the content.
    pub fn part(&self) -> Part {
        Part::bytes(self.bytes.clone()).file_name(self.name.clone()).mime_str("image/jpeg").expect("image/jpeg is a valid MIME type")
    }
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos-moscow").join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("failed to read fixture {}: {error}", path.display()))
}

/// Returns the lowercase hex SHA-256, as the API reports it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A valid `parking_violation` report on Tverskaya Street, an hour ago.
pub fn parking_report() -> Value {
    json!({
        "category": "parking_violation",
        "lat": 55.7640,
        "lon": 37.6060,
        "address": "Москва, Тверская улица, 7",
        "occurred_at": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "description": "Автомобиль стоит на тротуаре у входа в метро и мешает пешеходам.",
        "fields": { "plate": "А123ВС77" },
    })
}

/// An `uncleaned_litter_snow` report at a point: a category that needs no photo or extra field.
pub fn litter_report(lat: f64, lon: f64) -> Value {
    let mut report = parking_report();
    report["category"] = "uncleaned_litter_snow".into();
    report["fields"] = json!({});
    report["lat"] = lat.into();
    report["lon"] = lon.into();
    report
}

/// Whether `text` has the form of a report number: a four-digit year, a dash, seven digits.
pub fn is_report_number(text: &str) -> bool {
    match text.split_once('-') {
        Some((year, sequence)) => {
            year.len() == 4 && sequence.len() == 7 && year.chars().chain(sequence.chars()).all(|character| character.is_ascii_digit())
        }
        None => false,
    }
}

/// The error code of a JSON error body, `{"error": {"code": …}}`.
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {body}"))
}

/// The value of the first `<input>` named `name` in a page, such as a form's hidden token.
pub fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("the page has no input {name} with a value")) + marker.len();
    let length = html[start..].find('"').expect("the value attribute is not closed");
    html[start..start + length].to_owned()
}

/// Signs a browser client in through the sign-in form and checks the redirect to `next`.
pub async fn sign_in_with_form(service: &TestService, browser: &Client, email: &str, next: &str) {
    let response = browser
        .post(service.url("/login"))
        .form(&[("login", email), ("password", PASSWORD), ("next", next)])
        .send()
        .await
        .expect("POST /login failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in form of {email} was not accepted");
    let location = response.headers().get("location").and_then(|value| value.to_str().ok());
    assert_eq!(location, Some(next));
}

/// Sends a GET with the browser client and returns the status and the HTML.
pub async fn get_page(service: &TestService, browser: &Client, path: &str) -> (StatusCode, String) {
    let response = browser.get(service.url(path)).send().await.unwrap_or_else(|error| panic!("GET {path} failed: {error}"));
    let status = response.status();
    (status, response.text().await.expect("failed to read the page"))
}
