//! The configuration file, TOML, read by `--config FILE` or from `<data-dir>/pomoshnik.toml`.
//! It contains the settings that do not fit on a command line: the OpenID Connect providers (one
//! table `[providers.CODE]` each), the webhook destinations of agencies (one table
//! `[webhooks.NAME]` each), the vehicle registry (`[registry]`) and the S3-compatible bucket for
//! uploaded files (`[storage.s3]`),
//! whose settings the `--s3-*` flags can also give. `docs/pomoshnik.example.toml` shows every
//! setting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use pomoshnik_media::S3Config;
use pomoshnik_web::oidc::{ProviderConfig, ProviderSettings};
use serde::Deserialize;

use crate::registry::{RegistryConfig, RegistryToken};
use crate::webhook::{DEFAULT_TIMEOUT, WebhookSecret, WebhookTarget};

/// Name of the configuration file read from the data directory when no `--config` is given.
pub const DEFAULT_FILE_NAME: &str = "pomoshnik.toml";

/// Environment variable with the secret access key of the S3 bucket. The secret is read only from
/// the environment, so that it appears neither in a file nor on a command line.
pub const S3_SECRET_VARIABLE: &str = "POMOSHNIK_S3_SECRET_ACCESS_KEY";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    providers: BTreeMap<String, ProviderSettings>,
    #[serde(default)]
    webhooks: BTreeMap<String, WebhookSettings>,
    #[serde(default)]
    storage: StorageFile,
    #[serde(default)]
    registry: RegistrySettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageFile {
    #[serde(default)]
    s3: S3Settings,
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
    /// The `[storage.s3]` table; all unset without one.
    pub s3: S3Settings,
    /// The `[registry]` table; all unset without one.
    pub registry: RegistrySettings,
}

/// Environment variable with the bearer token of the vehicle registry, read when `[registry]`
/// names no `token_env`. The token itself is never in the file or on a command line.
pub const REGISTRY_TOKEN_VARIABLE: &str = "POMOSHNIK_REGISTRY_TOKEN";

/// Settings of the vehicle registry, from `[registry]` or the `--registry-*` flags. Without a
/// URL no owner is looked up and lookups stay queued.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySettings {
    /// Base URL; lookups go to `{url}/vehicles/{plate}`.
    pub url: Option<String>,
    /// Name of the environment variable with the bearer token; default [`REGISTRY_TOKEN_VARIABLE`].
    pub token_env: Option<String>,
    pub timeout_seconds: Option<u64>,
    /// Immediate retries of one lookup before it waits for the worker's backoff.
    pub retries: Option<u32>,
}

impl RegistrySettings {
    /// Returns these settings with each one that `overrides` sets replaced by it.
    pub fn overridden_by(self, overrides: RegistrySettings) -> RegistrySettings {
        RegistrySettings {
            url: overrides.url.or(self.url),
            token_env: overrides.token_env.or(self.token_env),
            timeout_seconds: overrides.timeout_seconds.or(self.timeout_seconds),
            retries: overrides.retries.or(self.retries),
        }
    }

    /// Builds the registry configuration, reading the token with `env`. Returns None without a URL.
    pub fn into_config(self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<RegistryConfig>> {
        let Some(base_url) = self.url.filter(|url| !url.is_empty()) else {
            return Ok(None);
        };
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            bail!("invalid registry URL {base_url:?}: expected an https:// URL (http:// only for a registry on the same host)");
        }
        let variable = self.token_env.unwrap_or_else(|| REGISTRY_TOKEN_VARIABLE.to_owned());
        let token = env(&variable)
            .filter(|token| !token.is_empty())
            .with_context(|| format!("the vehicle registry needs a bearer token: set the environment variable {variable}"))?;
        let timeout = self.timeout_seconds.map_or(crate::registry::DEFAULT_TIMEOUT, Duration::from_secs);
        if timeout.is_zero() {
            bail!("the registry timeout must be at least 1 second");
        }
        let retries = self.retries.unwrap_or(crate::registry::DEFAULT_RETRIES);
        Ok(Some(RegistryConfig { base_url, token: RegistryToken::new(token), timeout, retries }))
    }
}

/// Settings of the S3-compatible bucket, from `[storage.s3]` or the `--s3-*` flags. Uploaded
/// files stay in the data directory unless `bucket` is set.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: Option<String>,
    /// Base URL of an S3-compatible service; Amazon S3 without one.
    pub endpoint: Option<String>,
    /// Default: `us-east-1`.
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    /// Path-style requests (`<endpoint>/<bucket>/<key>`). Default: on with an endpoint, off for
    /// Amazon S3.
    pub path_style: Option<bool>,
}

impl S3Settings {
    /// Returns these settings with each one that `overrides` sets replaced by it.
    pub fn overridden_by(self, overrides: S3Settings) -> S3Settings {
        S3Settings {
            bucket: overrides.bucket.or(self.bucket),
            endpoint: overrides.endpoint.or(self.endpoint),
            region: overrides.region.or(self.region),
            access_key_id: overrides.access_key_id.or(self.access_key_id),
            path_style: overrides.path_style.or(self.path_style),
        }
    }

    /// Builds the bucket configuration with `secret_access_key` from [`S3_SECRET_VARIABLE`].
    /// Returns `None` when no bucket is set, so files stay in the data directory.
    pub fn into_config(self, secret_access_key: Option<String>) -> anyhow::Result<Option<S3Config>> {
        let Some(bucket) = self.bucket.filter(|bucket| !bucket.is_empty()) else {
            let other_set = self.endpoint.is_some() || self.region.is_some() || self.access_key_id.is_some() || self.path_style.is_some();
            if other_set {
                bail!("S3 settings are given without a bucket: set `bucket` in [storage.s3] or --s3-bucket, or remove the other S3 settings");
            }
            return Ok(None);
        };
        if let Some(endpoint) = &self.endpoint
            && !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
        {
            bail!("invalid S3 endpoint {endpoint:?}: expected an http:// or https:// URL");
        }
        if self.access_key_id.is_some() != secret_access_key.is_some() {
            bail!("the S3 access key id and secret go together: set both the access key id and {S3_SECRET_VARIABLE}, or neither");
        }

        let mut config = S3Config::new(bucket);
        config.path_style = self.path_style.unwrap_or(self.endpoint.is_some());
        config.endpoint = self.endpoint;
        if let Some(region) = self.region {
            config.region = region;
        }
        config.access_key_id = self.access_key_id;
        config.secret_access_key = secret_access_key;
        Ok(Some(config))
    }
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
        Ok(Config { providers, webhooks, s3: file.storage.s3, registry: file.registry })
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
    fn registry_flags_override_file() {
        let text = "[registry]\nurl = \"https://registry.example/api\"\ntoken_env = \"REGISTRY_TOKEN\"\ntimeout_seconds = 5\n";
        let config = Config::parse_with_env(text, |_| None).expect("the registry table is valid");
        let flags = RegistrySettings { retries: Some(4), ..RegistrySettings::default() };
        let registry = config.registry.overridden_by(flags).into_config(|name| (name == "REGISTRY_TOKEN").then(|| "t0ken".to_owned()));
        let registry = registry.expect("the settings are valid").expect("a URL is set");
        assert_eq!(registry.base_url, "https://registry.example/api");
        assert_eq!(registry.timeout, Duration::from_secs(5));
        assert_eq!(registry.retries, 4);
        let missing_token = RegistrySettings { url: Some("https://registry.example".to_owned()), ..RegistrySettings::default() }.into_config(|_| None);
        assert!(missing_token.is_err(), "a registry without a token was accepted");
        assert!(RegistrySettings::default().into_config(|_| None).expect("no registry is valid").is_none());
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
    fn example_file_keeps_files_locally() {
        let text = include_str!("../../../docs/pomoshnik.example.toml");
        let config = Config::parse_with_env(text, |name| Some(format!("secret of {name}"))).expect("the example configuration is valid");
        let s3 = config.s3.into_config(None).expect("the example S3 settings are valid");
        assert_eq!(s3, None, "the example leaves [storage.s3] commented out");
    }

    #[test]
    fn s3_table_parses_and_flags_override() {
        let text = "[storage.s3]\nbucket = \"files\"\nendpoint = \"http://127.0.0.1:9000\"\nregion = \"ru-central1\"\naccess_key_id = \"key-id\"\n";
        let config = Config::parse(text).expect("a [storage.s3] table is valid");
        let flags = S3Settings { bucket: Some("other".to_owned()), path_style: Some(false), ..S3Settings::default() };

        let s3 = config.s3.overridden_by(flags).into_config(Some("secret".to_owned())).expect("valid settings").expect("a bucket is set");

        assert_eq!(s3.bucket, "other");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.region, "ru-central1");
        assert_eq!(s3.access_key_id.as_deref(), Some("key-id"));
        assert_eq!(s3.secret_access_key.as_deref(), Some("secret"));
        assert!(!s3.path_style, "the flag turns path-style requests off");
    }

    #[test]
    fn s3_path_style_follows_endpoint() {
        let with_endpoint = S3Settings { bucket: Some("files".to_owned()), endpoint: Some("https://storage.example".to_owned()), ..S3Settings::default() };
        let amazon = S3Settings { bucket: Some("files".to_owned()), ..S3Settings::default() };
        assert!(with_endpoint.into_config(None).unwrap().unwrap().path_style);
        assert!(!amazon.into_config(None).unwrap().unwrap().path_style);
    }

    #[test]
    fn s3_settings_without_bucket_rejected() {
        let settings = S3Settings { endpoint: Some("http://127.0.0.1:9000".to_owned()), ..S3Settings::default() };
        let error = settings.into_config(None).expect_err("an endpoint without a bucket must be rejected");
        assert!(format!("{error:#}").contains("without a bucket"), "unexpected error: {error:#}");
    }

    #[test]
    fn s3_key_id_without_secret_rejected() {
        let settings = S3Settings { bucket: Some("files".to_owned()), access_key_id: Some("key-id".to_owned()), ..S3Settings::default() };
        let error = settings.into_config(None).expect_err("a key id without its secret must be rejected");
        assert!(format!("{error:#}").contains(S3_SECRET_VARIABLE), "unexpected error: {error:#}");
    }

    #[test]
    fn s3_secret_hidden_from_debug() {
        let settings = S3Settings { bucket: Some("files".to_owned()), access_key_id: Some("key-id".to_owned()), ..S3Settings::default() };
        let config = settings.into_config(Some("very-secret-value".to_owned())).unwrap().unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret-value"), "the secret is printed: {shown}");
        assert!(shown.contains("key-id"), "{shown}");
    }

    #[test]
    fn empty_file_has_no_providers() {
        assert!(Config::parse("").expect("an empty file is valid").providers.is_empty());
    }
}
