//! The configuration file, TOML, read by `--config FILE` or from `<data-dir>/pomoshnik.toml`.
//! It contains the settings that do not fit on a command line: the OpenID Connect providers, one
//! table `[providers.CODE]` each, and the webhook destinations of agencies, one table
//! `[webhooks.NAME]` each. `docs/pomoshnik.example.toml` shows every setting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use pomoshnik_web::oidc::{ProviderConfig, ProviderSettings};
use serde::Deserialize;

use crate::webhook::{DEFAULT_TIMEOUT, WebhookSecret, WebhookTarget};

/// Name of the configuration file read from the data directory when no `--config` is given.
pub const DEFAULT_FILE_NAME: &str = "pomoshnik.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    providers: BTreeMap<String, ProviderSettings>,
    #[serde(default)]
    webhooks: BTreeMap<String, WebhookSettings>,
}

/// A `[webhooks.NAME]` table. The secret itself is never in the file, which is often kept in
/// version control, but in the environment variable `secret_env` names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSettings {
    /// Code of the agency whose dispatched reports go to this destination.
    agency: String,
    /// `https://…` (or `http://…` for a receiver on the same host).
    url: String,
    secret_env: String,
    /// Maximum seconds for one attempt.
    timeout_seconds: Option<u64>,
}

/// The settings read from the configuration file.
#[derive(Debug, Default)]
pub struct Config {
    /// Providers ordered by their code.
    pub providers: Vec<ProviderConfig>,
    /// Webhook destinations ordered by their name.
    pub webhooks: Vec<WebhookTarget>,
}

impl Config {
    /// Reads `explicit` when given, and fails if it cannot be read. Otherwise reads
    /// `<data_dir>/pomoshnik.toml` when it exists, and returns an empty configuration when not.
    pub fn load(explicit: Option<&Path>, data_dir: &Path) -> anyhow::Result<Config> {
        let path: PathBuf = match explicit {
            Some(path) => path.to_owned(),
            None => {
                let default = data_dir.join(DEFAULT_FILE_NAME);
                if !default.exists() {
                    return Ok(Config::default());
                }
                default
            }
        };
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        let config = Config::parse(&text).with_context(|| format!("invalid configuration file {}", path.display()))?;
        tracing::info!(path = %path.display(), providers = config.providers.len(), webhooks = config.webhooks.len(), "read the configuration file");
        Ok(config)
    }

    /// Parses and checks the TOML text of a configuration file, reading webhook secrets from the
    /// process environment.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        Config::parse_with_env(text, |name| std::env::var(name).ok())
    }

    /// Parses and checks the TOML text of a configuration file; `env` returns the value of an
    /// environment variable.
    pub fn parse_with_env(text: &str, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let file: ConfigFile = toml::from_str(text)?;
        let providers: Vec<ProviderConfig> = file.providers.into_iter().map(|(code, settings)| ProviderConfig { code, settings }).collect();
        for provider in &providers {
            provider.validate()?;
        }
        let mut webhooks = Vec::with_capacity(file.webhooks.len());
        for (name, settings) in file.webhooks {
            webhooks.push(webhook_target(name, settings, &env)?);
        }
        Ok(Config { providers, webhooks })
    }
}

fn webhook_target(name: String, settings: WebhookSettings, env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<WebhookTarget> {
    if !(settings.url.starts_with("https://") || settings.url.starts_with("http://")) {
        bail!("webhooks.{name}.url must start with https:// or http://, not {:?}", settings.url);
    }
    let secret = env(&settings.secret_env).filter(|secret| !secret.is_empty()).with_context(|| {
        format!("webhooks.{name}: the environment variable {} named by secret_env is missing or empty; set it to the shared secret", settings.secret_env)
    })?;
    let timeout = settings.timeout_seconds.map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    if timeout.is_zero() {
        bail!("webhooks.{name}.timeout_seconds must be at least 1");
    }
    Ok(WebhookTarget { name, agency: settings.agency, url: settings.url, secret: WebhookSecret::new(secret), timeout })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses() {
        let text = include_str!("../../../docs/pomoshnik.example.toml");
        let config = Config::parse_with_env(text, |name| Some(format!("secret of {name}"))).expect("the example configuration is valid");
        let codes: Vec<&str> = config.providers.iter().map(|provider| provider.code.as_str()).collect();
        assert_eq!(codes, ["esia", "mosru", "sberid"]);
        let webhooks: Vec<(&str, &str)> = config.webhooks.iter().map(|target| (target.name.as_str(), target.agency.as_str())).collect();
        assert_eq!(webhooks, [("madi-main", "madi"), ("madi-reserve", "madi")]);
    }

    #[test]
    fn webhook_secret_read_from_environment() {
        let text = "[webhooks.madi-main]\nagency = \"madi\"\nurl = \"https://madi.example/hook\"\nsecret_env = \"MADI_SECRET\"\ntimeout_seconds = 5\n";
        let config = Config::parse_with_env(text, |name| (name == "MADI_SECRET").then(|| "s3cret".to_owned())).expect("the webhook is valid");
        let target = &config.webhooks[0];
        assert_eq!(target.url, "https://madi.example/hook");
        assert_eq!(target.timeout, Duration::from_secs(5));
        assert_eq!(crate::webhook::signature(&target.secret, 1, b"x"), crate::webhook::signature(&WebhookSecret::new("s3cret"), 1, b"x"));

        let error = Config::parse_with_env(text, |_| None).expect_err("a missing secret must be rejected");
        assert!(format!("{error:#}").contains("MADI_SECRET"), "unexpected error: {error:#}");
    }

    #[test]
    fn webhook_url_scheme_checked() {
        let text = "[webhooks.madi-main]\nagency = \"madi\"\nurl = \"ftp://madi.example/hook\"\nsecret_env = \"MADI_SECRET\"\n";
        let error = Config::parse_with_env(text, |_| Some("s".to_owned())).expect_err("an ftp URL must be rejected");
        assert!(format!("{error:#}").contains("https://"), "unexpected error: {error:#}");
    }

    #[test]
    fn unknown_setting_rejected() {
        let text = "[providers.mosru]\ndisplay_name = \"mos.ru\"\nissuer = \"https://login.example\"\nclient_id = \"a\"\nclient_secret = \"b\"\nsecret = \"typo\"\n";
        let error = Config::parse(text).expect_err("an unknown key must be rejected");
        assert!(format!("{error:#}").contains("secret"), "unexpected error: {error:#}");
    }

    #[test]
    fn empty_file_has_no_providers() {
        assert!(Config::parse("").expect("an empty file is valid").providers.is_empty());
    }
}
