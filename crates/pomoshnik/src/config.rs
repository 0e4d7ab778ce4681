//! The configuration file, TOML, read by `--config FILE` or from `<data-dir>/pomoshnik.toml`.
//! It contains the settings that do not fit on a command line, today the OpenID Connect
//! providers, one table `[providers.CODE]` each. `docs/pomoshnik.example.toml` shows every setting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use pomoshnik_web::oidc::{ProviderConfig, ProviderSettings};
use serde::Deserialize;

/// Name of the configuration file read from the data directory when no `--config` is given.
pub const DEFAULT_FILE_NAME: &str = "pomoshnik.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    providers: BTreeMap<String, ProviderSettings>,
}

/// The settings read from the configuration file.
#[derive(Debug, Default)]
pub struct Config {
    /// Providers ordered by their code.
    pub providers: Vec<ProviderConfig>,
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
        tracing::info!(path = %path.display(), providers = config.providers.len(), "read the configuration file");
        Ok(config)
    }

    /// Parses and checks the TOML text of a configuration file.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let file: ConfigFile = toml::from_str(text)?;
        let providers: Vec<ProviderConfig> = file.providers.into_iter().map(|(code, settings)| ProviderConfig { code, settings }).collect();
        for provider in &providers {
            provider.validate()?;
        }
        Ok(Config { providers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses() {
        let text = include_str!("../../../docs/pomoshnik.example.toml");
        let config = Config::parse(text).expect("the example configuration is valid");
        let codes: Vec<&str> = config.providers.iter().map(|provider| provider.code.as_str()).collect();
        assert_eq!(codes, ["esia", "mosru", "sberid"]);
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
