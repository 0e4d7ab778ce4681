//! Start-up helpers shared by the tests that drive real headless Chromium: chromedriver, the
//! service on a loopback port, a browser session with a fresh profile, and signing in.
//! Needs Debian's `chromium` and `chromium-driver`; `.ci/run` installs them.

#![allow(dead_code, reason = "each test binary that includes this module uses a different part of it")]

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pomoshnik::{Installation, UserRequest};
use pomoshnik_core::role::Role;
use pomoshnik_web::WebConfig;
use pomoshnik_web::oidc::ProviderConfig;
use thirtyfour::prelude::*;
use tokio::sync::oneshot;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const RESIDENT_EMAIL: &str = "browser-resident@example.ru";
pub const RESIDENT_PASSWORD: &str = "browser-test-password";
pub const MODERATOR_EMAIL: &str = "browser-moderator@example.ru";
pub const MODERATOR_PASSWORD: &str = "browser-moderator-password";

/// Stops chromedriver when the test ends, also when it fails.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn start_chromedriver() -> (Driver, u16) {
    for program in [CHROMIUM, CHROMEDRIVER] {
        assert!(Path::new(program).exists(), "{program} is missing: install Debian's chromium and chromium-driver (bash .ci/run does)");
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);

    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen on port {port} within 20 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    (driver, port)
}

/// Starts the service with one resident and one moderator account, and returns its base URL
/// and the sender that stops it.
pub async fn start_service(data_dir: &Path, tile_url: Option<String>) -> (String, oneshot::Sender<()>) {
    start_service_with_providers(data_dir, tile_url, |_| Vec::new()).await
}

/// Starts the service as [`start_service`] does, with the sign-in providers that `providers`
/// returns for the service's base URL.
pub async fn start_service_with_providers(
    data_dir: &Path,
    tile_url: Option<String>,
    providers: impl FnOnce(&str) -> Vec<ProviderConfig>,
) -> (String, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let installation = Installation::new(data_dir, None);
    let web = WebConfig { secure_cookies: false, tile_url, public_url: base.clone(), providers: providers(&base), hotline: None, client_address_header: None, rate_limits: Default::default(), push: None, accounts: Default::default() };
    let state = installation.app_state(web, None).await.unwrap();
    let accounts = [(RESIDENT_EMAIL, Role::Resident, RESIDENT_PASSWORD), (MODERATOR_EMAIL, Role::Moderator, MODERATOR_PASSWORD)];
    for (email, role, password) in accounts {
        let request = UserRequest { email: email.into(), role, agency: None, district: None, supervisor: false, password: password.into() };
        pomoshnik::add_user(state.store.as_ref(), request).await.unwrap();
    }

    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(pomoshnik::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (base, stop)
}

/// A service, ChromeDriver and a Chromium session with their temporary directories, for one
/// test. The directories and the ChromeDriver process go when the value is dropped.
pub struct BrowserSession {
    pub browser: WebDriver,
    pub base: String,
    stop: oneshot::Sender<()>,
    _driver: Driver,
    _data_dir: tempfile::TempDir,
    _profile: tempfile::TempDir,
}

impl BrowserSession {
    /// Starts everything; `tile_url` configures the service's map tiles.
    pub async fn start(tile_url: Option<String>) -> BrowserSession {
        let data_dir = tempfile::tempdir().unwrap();
        let profile = tempfile::tempdir().unwrap();
        let (base, stop) = start_service(data_dir.path(), tile_url).await;
        let (driver, port) = start_chromedriver();
        let browser = open_browser(port, profile.path()).await;
        BrowserSession { browser, base, stop, _driver: driver, _data_dir: data_dir, _profile: profile }
    }

    /// Closes the browser and stops the service.
    pub async fn finish(self) {
        self.browser.quit().await.unwrap();
        let _ = self.stop.send(());
    }
}

pub async fn open_browser(port: u16, profile: &Path) -> WebDriver {
    let mut capabilities = DesiredCapabilities::chrome();
    capabilities.set_binary(CHROMIUM).unwrap();
    for argument in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=412,915",
    ] {
        capabilities.add_arg(argument).unwrap();
    }
    capabilities.add_arg(&format!("--user-data-dir={}", profile.display())).unwrap();
    WebDriver::new(format!("http://127.0.0.1:{port}"), capabilities).await.expect("chromium session starts")
}

pub fn fixture_photo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos-moscow/moscow_tverskaya_orient1.jpg")
}

/// Waits until the browser shows a fully loaded page under `prefix`. The URL changes as soon
/// as a navigation commits, before the new document has its elements.
pub async fn wait_for_path(browser: &WebDriver, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = browser.current_url().await.unwrap();
        if url.path().starts_with(prefix) && page_loaded(browser).await {
            return url.path().to_owned();
        }
        assert!(Instant::now() < deadline, "browser stayed on {url}, expected a page under {prefix}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn sign_in(browser: &WebDriver, base: &str) {
    sign_in_as(browser, base, RESIDENT_EMAIL, RESIDENT_PASSWORD).await;
}

pub async fn sign_in_as(browser: &WebDriver, base: &str, email: &str, password: &str) {
    browser.goto(format!("{base}/login")).await.unwrap();
    browser.find(By::Id("login")).await.unwrap().send_keys(email).await.unwrap();
    browser.find(By::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    browser.find(By::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    // The sign-out button appears only on pages of a signed-in session, so its presence shows
    // the sign-in finished; the address alone cannot, since every path starts with "/".
    wait_for_element(browser, By::Css("form[action='/logout']")).await;
}

async fn page_loaded(browser: &WebDriver) -> bool {
    match browser.execute("return document.readyState;", Vec::new()).await {
        Ok(state) => state.json().as_str() == Some("complete"),
        Err(_) => false,
    }
}

/// Waits until an element exists, as after a form post that returns to the same address.
pub async fn wait_for_element(browser: &WebDriver, by: By) -> WebElement {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(element) = browser.find(by.clone()).await {
            return element;
        }
        assert!(Instant::now() < deadline, "no element {by:?} appeared within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until an input has a non-empty value, as a script fills it.
pub async fn wait_for_value(browser: &WebDriver, id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The input may belong to a page still being replaced, so a failed read counts as empty.
        let value = match browser.find(By::Id(id)).await {
            Ok(input) => input.value().await.ok().flatten().unwrap_or_default(),
            Err(_) => String::new(),
        };
        if !value.is_empty() {
            return value;
        }
        assert!(Instant::now() < deadline, "#{id} stayed empty");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs in as the resident and files a litter report with one photo through the form, and
/// returns the number shown on the card the browser lands on.
pub async fn file_report(browser: &WebDriver, base: &str) -> String {
    sign_in(browser, base).await;

    browser.goto(format!("{base}/reports/new")).await.unwrap();
    browser.find(By::LinkText("Неубранный мусор или снег")).await.unwrap().click().await.unwrap();
    wait_for_path(browser, "/reports/new/uncleaned_litter_snow").await;

    browser.find(By::Id("address")).await.unwrap().send_keys("Тверская улица, 7").await.unwrap();
    browser.find(By::Id("latitude")).await.unwrap().send_keys("55.7640").await.unwrap();
    browser.find(By::Id("longitude")).await.unwrap().send_keys("37.6060").await.unwrap();
    let description = "Во дворе третий день не вывозят мусор, контейнеры переполнены";
    browser.find(By::Id("description")).await.unwrap().send_keys(description).await.unwrap();
    let photo = fixture_photo();
    assert!(photo.exists(), "fixture {} is missing", photo.display());
    browser.find(By::Id("files")).await.unwrap().send_keys(photo.display().to_string()).await.unwrap();

    browser.find(By::Css("#report-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_path(browser, "/reports/2").await;
    wait_for_element(browser, By::Id("report-number")).await.text().await.unwrap()
}

/// Keeps a screenshot under the target directory for a person to look at after a run.
pub async fn save_screenshot(browser: &WebDriver, name: &str) -> Vec<u8> {
    let png = browser.screenshot_as_png().await.unwrap();
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join(name), &png).unwrap();
    png
}
