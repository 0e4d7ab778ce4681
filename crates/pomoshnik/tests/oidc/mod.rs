//! The OpenID Connect providers of `tests/oidc-provider/provider.mjs`, run with Node on
//! 127.0.0.1 for one test, and the sign-in settings that point the service at them.
//! Needs `node` and `npm`; the first start in a checkout runs `npm ci` there.

#![allow(dead_code, reason = "each test binary that includes this module uses a different part of it")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use pomoshnik_web::oidc::{ProviderConfig, ProviderKind, ProviderSettings};

/// The secret of every client of the test providers.
pub const CLIENT_SECRET: &str = "test-client-secret";

/// How long the providers may take to print their addresses.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Serialises `npm ci` among the tests of one binary.
static NPM_INSTALL: Mutex<()> = Mutex::new(());

/// The Node process with both providers; it exits when this value is dropped.
pub struct TestProviders {
    child: Child,
    /// Issuer of the `oidc-provider` instance.
    pub issuer: String,
    /// Issuer of the stand-in that issues defective ID tokens.
    pub crafted_issuer: String,
}

fn provider_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

/// Runs `npm ci` when `node_modules` is missing, so a fresh checkout installs the locked
/// versions from the npm registry once.
fn install_packages(directory: &Path) {
    let _guard = NPM_INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if directory.join("node_modules/oidc-provider").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(directory)
        .status()
        .expect("npm is missing: install Node.js and npm (bash .ci/run runs npm ci)");
    assert!(status.success(), "npm ci in {} failed with {status}", directory.display());
}

impl TestProviders {
    /// Starts both providers with clients whose redirect URIs point at `service_url`.
    pub fn start(service_url: &str) -> TestProviders {
        let directory = provider_directory();
        install_packages(&directory);
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&directory)
            .env("SERVICE_URL", service_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node is missing: install Node.js 20 or newer");

        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok).unwrap_or_default();
            let _ = sender.send(first);
            // oidc-provider prints notices on standard output too; a closed pipe would end
            // the script at its next notice.
            forward_diagnostics(lines);
        });
        std::thread::spawn(move || forward_diagnostics(BufReader::new(stderr).lines()));
        let line = match receiver.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("the test providers did not print their addresses within {START_TIMEOUT:?}");
            }
        };
        let addresses: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|error| panic!("the test providers printed {line:?} instead of their addresses: {error}"));
        let issuer = addresses["issuer"].as_str().expect("issuer is printed").to_owned();
        let crafted_issuer = addresses["crafted_issuer"].as_str().expect("crafted_issuer is printed").to_owned();
        TestProviders { child, issuer, crafted_issuer }
    }

    /// Settings of the `oidc-provider` client `client_id`, found by discovery.
    pub fn certified(&self, code: &str, client_id: &str, kind: ProviderKind, display_name: &str) -> ProviderConfig {
        let scopes = match kind {
            ProviderKind::Esia => vec!["openid".to_owned(), "email".to_owned(), "trust".to_owned()],
            ProviderKind::Oidc => vec!["openid".to_owned(), "email".to_owned()],
        };
        ProviderConfig {
            code: code.to_owned(),
            settings: ProviderSettings {
                kind,
                display_name: display_name.to_owned(),
                issuer: self.issuer.clone(),
                client_id: client_id.to_owned(),
                client_secret: CLIENT_SECRET.to_owned(),
                scopes,
                authorization_endpoint: None,
                token_endpoint: None,
                jwks_uri: None,
                userinfo_endpoint: None,
                gost: None,
            },
        }
    }

    /// Settings of the stand-in's client `defect` (also the provider code), with explicit
    /// endpoints instead of discovery.
    pub fn crafted(&self, defect: &str) -> ProviderConfig {
        let issuer = &self.crafted_issuer;
        ProviderConfig {
            code: defect.to_owned(),
            settings: ProviderSettings {
                kind: ProviderKind::Oidc,
                display_name: format!("Стенд {defect}"),
                issuer: issuer.clone(),
                client_id: defect.to_owned(),
                client_secret: CLIENT_SECRET.to_owned(),
                scopes: vec!["openid".to_owned()],
                authorization_endpoint: Some(format!("{issuer}/authorize")),
                token_endpoint: Some(format!("{issuer}/token")),
                jwks_uri: Some(format!("{issuer}/jwks")),
                userinfo_endpoint: None,
                gost: None,
            },
        }
    }

    /// Returns the settings of every provider the tests use: mos.ru, Сбер ID and Госуслуги on `oidc-provider`, and the
    /// stand-in's `valid`, `expired`, `wrong-nonce` and `wrong-audience`.
    pub fn all(&self) -> Vec<ProviderConfig> {
        vec![
            self.certified("mosru", "pomoshnik-mosru", ProviderKind::Oidc, "mos.ru"),
            self.certified("sberid", "pomoshnik-sberid", ProviderKind::Oidc, "Сбер ID"),
            self.certified("esia", "pomoshnik-esia", ProviderKind::Esia, "Госуслуги"),
            self.crafted("valid"),
            self.crafted("expired"),
            self.crafted("wrong-nonce"),
            self.crafted("wrong-audience"),
        ]
    }
}

/// Prints the script's messages for a failing test to read, leaving out oidc-provider's
/// development warnings, which every start prints: its in-memory storage, and Node 20 being
/// older than the Node 22 it recommends.
fn forward_diagnostics(lines: impl Iterator<Item = std::io::Result<String>>) {
    for line in lines.map_while(Result::ok) {
        if !line.starts_with("oidc-provider WARNING") && !line.starts_with("oidc-provider NOTICE") {
            eprintln!("test provider: {line}");
        }
    }
}

impl Drop for TestProviders {
    fn drop(&mut self) {
        // Closing standard input ends the script; a kill covers a script that hangs.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
