//! Open311 clients and their API keys.
//!
//! GeoReport v2 clients send `api_key` with each new service request. Only confirmed accounts
//! file reports here, so each key comes with its own *client account*: a confirmed resident
//! account, e-mail `open311+<name>@clients.invalid`, whose password hash matches no password,
//! so every sign-in with it fails. Reports filed with the key belong to that account. The key
//! is shown once when issued; the database stores only its SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use pomoshnik_core::role::Role;
use pomoshnik_store::{ApiKey, NewApiKey, NewUser, Store, StoreError, User};
use rand::RngCore;

use super::errors::Open311Error;
use crate::auth::token_hash;

/// Starts every key, so that a leaked key is recognisable in logs and secret scanners.
pub const API_KEY_PREFIX: &str = "pomoshnik311_";

/// Maximum length of a client name, in characters.
pub const MAX_CLIENT_NAME_CHARS: usize = 64;

/// Domain of the client accounts' e-mail addresses; `.invalid` is reserved (RFC 2606), so no
/// message can ever be delivered to them.
const CLIENT_EMAIL_DOMAIN: &str = "clients.invalid";

/// Starts the password hash of client accounts. Argon2 cannot parse it, so every password
/// check fails.
const UNUSABLE_PASSWORD_PREFIX: &str = "!unusable-open311-client!";

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid client name {0:?}: use 1 to {MAX_CLIENT_NAME_CHARS} lowercase Latin letters, digits and dashes, starting with a letter or digit")]
    InvalidName(String),
    #[error("a client named {0:?} already exists (revoked names are not reused); choose another name")]
    NameTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A client created with its key. `key` is the only copy of the secret.
#[derive(Debug)]
pub struct IssuedKey {
    pub key: String,
    pub api_key: ApiKey,
    pub account: User,
}

/// Returns the lowercase hex SHA-256 that the database stores for `key`.
pub fn hash_api_key(key: &str) -> String {
    token_hash(key)
}

fn random_secret(bytes: usize) -> String {
    let mut secret = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut secret);
    URL_SAFE_NO_PAD.encode(secret)
}

fn check_name(name: &str) -> Result<(), ClientError> {
    let mut characters = name.chars();
    let valid = characters.next().is_some_and(|first| first.is_ascii_lowercase() || first.is_ascii_digit())
        && characters.all(|character| character.is_ascii_lowercase() || character.is_ascii_digit() || character == '-')
        && name.chars().count() <= MAX_CLIENT_NAME_CHARS;
    if valid { Ok(()) } else { Err(ClientError::InvalidName(name.to_owned())) }
}

/// Returns the e-mail address of the client account of `name`.
pub fn client_email(name: &str) -> String {
    format!("open311+{name}@{CLIENT_EMAIL_DOMAIN}")
}

/// Returns the e-mail address of the account of the agency system `name`.
pub fn agency_email(name: &str) -> String {
    format!("agency+{name}@{CLIENT_EMAIL_DOMAIN}")
}

/// Creates a client account and its key.
pub async fn create_client(store: &dyn Store, name: &str) -> Result<IssuedKey, ClientError> {
    create_key(store, name, None).await
}

/// Creates the key of an agency's system: its account is an executor of `agency`, so the key
/// opens that agency's reports in the JSON API and moves them on through the transitions
/// endpoint. The caller checks that the agency exists.
pub async fn create_agency_key(store: &dyn Store, name: &str, agency: &str) -> Result<IssuedKey, ClientError> {
    create_key(store, name, Some(agency)).await
}

async fn create_key(store: &dyn Store, name: &str, agency: Option<&str>) -> Result<IssuedKey, ClientError> {
    check_name(name)?;

    let key = format!("{API_KEY_PREFIX}{}", random_secret(32));
    let now = Utc::now();
    let account = NewUser {
        email: match agency {
            Some(_) => agency_email(name),
            None => client_email(name),
        },
        password_hash: format!("{UNUSABLE_PASSWORD_PREFIX}{}", random_secret(16)),
        role: if agency.is_some() { Role::Executor } else { Role::Resident },
        agency: agency.map(str::to_owned),
        district: None,
        confirmed: true,
        supervisor: false,
        created_at: now,
    };
    let new_key = NewApiKey { name: name.to_owned(), key_hash: hash_api_key(&key), account, created_at: now };

    let (api_key, account) = store.create_api_key(&new_key).await.map_err(|error| match error {
        StoreError::Duplicate(_) => ClientError::NameTaken(name.to_owned()),
        other => ClientError::Store(other),
    })?;
    tracing::info!(api_key.id = api_key.id, user.id = account.id, agency = agency, "API key created");
    Ok(IssuedKey { key, api_key, account })
}

/// Finds the active key `key` and its account. A missing key, an unknown or revoked one, and one
/// whose account is disabled are rejected with 403.
pub async fn authenticate(store: &dyn Store, key: Option<&str>) -> Result<(ApiKey, User), Open311Error> {
    let Some(key) = key.map(str::trim).filter(|key| !key.is_empty()) else {
        return Err(Open311Error::forbidden("api_key_missing"));
    };
    match store.api_key_by_hash(&hash_api_key(key)).await? {
        // An agency's key works in the JSON API only, so it cannot file reports here.
        Some((api_key, user)) if api_key.revoked_at.is_none() && !user.disabled && user.role == Role::Resident => Ok((api_key, user)),
        Some((api_key, _)) => {
            tracing::info!(api_key.id = api_key.id, "revoked Open311 key, agency key or disabled client account rejected");
            Err(Open311Error::forbidden("api_key_invalid"))
        }
        None => {
            tracing::info!("unknown Open311 key rejected");
            Err(Open311Error::forbidden("api_key_invalid"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_are_checked() {
        for name in ["city-app", "a", "311", "x2-y3"] {
            assert!(check_name(name).is_ok(), "{name}");
        }
        let too_long = "a".repeat(MAX_CLIENT_NAME_CHARS + 1);
        for name in ["", "-app", "City", "app_1", "app.1", "при", "a b", too_long.as_str()] {
            assert!(check_name(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn client_email_is_undeliverable() {
        assert_eq!(client_email("city-app"), "open311+city-app@clients.invalid");
    }

    #[test]
    fn unusable_password_is_not_an_argon2_hash() {
        let hash = format!("{UNUSABLE_PASSWORD_PREFIX}{}", random_secret(16));
        assert!(argon2::password_hash::PasswordHash::new(&hash).is_err());
    }
}
