//! Rate limits shared by every node: the counters are rows of the database
//! ([`pomoshnik_store::Store::hit_rate_limit`]), so a client that moves between nodes behind a
//! load balancer meets the same count.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// At most `max` hits of one key in a fixed window of `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: i64,
    pub window: chrono::Duration,
}

/// The limits the service applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Failed password sign-ins of one account. A successful sign-in clears the count.
    pub sign_in_per_account: RateLimit,
    /// Failed password sign-ins from one client address, whatever the account. Higher than the
    /// per-account limit, because many residents can share an address behind NAT.
    pub sign_in_per_address: RateLimit,
    /// Reports one resident files, through the pages, the API or Open311.
    pub reports_per_resident: RateLimit,
    /// Questions one user sends through the support form.
    pub support_per_user: RateLimit,
}

impl Default for RateLimits {
    /// 10 failed sign-ins per account and 50 per address in 15 minutes, 20 reports per resident
    /// and 5 support questions per user in an hour.
    fn default() -> RateLimits {
        let quarter_hour = chrono::Duration::minutes(15);
        let hour = chrono::Duration::hours(1);
        RateLimits {
            sign_in_per_account: RateLimit { max: 10, window: quarter_hour },
            sign_in_per_address: RateLimit { max: 50, window: quarter_hour },
            reports_per_resident: RateLimit { max: 20, window: hour },
            support_per_user: RateLimit { max: 5, window: hour },
        }
    }
}

impl RateLimits {
    /// Returns the maximum window; counters whose window started earlier have expired.
    pub fn longest_window(&self) -> chrono::Duration {
        [self.sign_in_per_account, self.sign_in_per_address, self.reports_per_resident, self.support_per_user].iter().map(|limit| limit.window).max().unwrap_or_default()
    }
}


/// The client's IP address: the last value of the configured header set by the load balancer
/// (`WebConfig::client_address_header`), otherwise the peer of the TCP connection. None when
/// neither is available, as in tests that serve the router without connection info.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(header) = &state.config.client_address_header {
            // The balancer appends the address it saw, so the last value is the one to trust.
            let forwarded = parts.headers.get_all(header).iter().filter_map(|value| value.to_str().ok()).flat_map(|value| value.split(',')).last();
            if let Some(address) = forwarded.and_then(|value| value.trim().parse::<IpAddr>().ok()) {
                return Ok(ClientAddress(Some(address)));
            }
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip());
        Ok(ClientAddress(peer))
    }
}

/// Returns the key of the failed sign-ins of an account. The login is hashed so that the table
/// contains no e-mail addresses.
pub fn sign_in_account_key(normalized_login: &str) -> String {
    format!("sign-in:account:{}", hex::encode(&Sha256::digest(normalized_login.as_bytes())[..16]))
}

pub fn sign_in_address_key(address: IpAddr) -> String {
    format!("sign-in:address:{address}")
}

pub fn reports_key(user_id: i64) -> String {
    format!("reports:user:{user_id}")
}

pub fn support_key(user_id: i64) -> String {
    format!("support:user:{user_id}")
}

/// Fails with [`too_many`] when `key` has reached its limit, without counting a hit.
pub async fn check(state: &AppState, key: &str, limit: RateLimit) -> Result<(), ApiError> {
    let now = Utc::now();
    match state.store.rate_limit(key, now, limit.window).await? {
        Some(window) if window.count >= limit.max => Err(too_many(window.window_start + limit.window, now)),
        _ => Ok(()),
    }
}

/// Counts one hit of `key` and fails with [`too_many`] when it goes over the limit.
pub async fn hit(state: &AppState, key: &str, limit: RateLimit) -> Result<(), ApiError> {
    let now = Utc::now();
    let window = state.store.hit_rate_limit(key, now, limit.window).await?;
    if window.count > limit.max {
        return Err(too_many(window.window_start + limit.window, now));
    }
    Ok(())
}

/// Counts one hit of `key` without failing; for failures that are recorded after the fact.
pub async fn record(state: &AppState, key: &str, limit: RateLimit) {
    if let Err(error) = state.store.hit_rate_limit(key, Utc::now(), limit.window).await {
        tracing::warn!(%error, "could not count a rate-limited attempt");
    }
}

/// Builds 429 Too Many Requests with `Retry-After` and a message giving the minutes to wait.
pub fn too_many(allowed_at: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let seconds = (allowed_at - now).num_seconds().max(1);
    let minutes = (seconds + 59) / 60;
    let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    error.problem.message = crate::i18n::Tr.error("too_many_requests", &[("minutes", minutes.to_string())]);
    error.retry_after = Some(seconds as u64);
    tracing::info!(retry_after_seconds = seconds, "request rejected by a rate limit");
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_rounds_up_to_minutes() {
        let now = Utc::now();
        let error = too_many(now + chrono::Duration::seconds(61), now);
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.retry_after, Some(61));
        assert!(error.problem.message.contains("2 минуты"), "{}", error.problem.message);
    }

    #[test]
    fn wait_message_plural_forms() {
        let now = Utc::now();
        let cases = [(60, "1 минуту"), (3 * 60, "3 минуты"), (5 * 60, "5 минут"), (11 * 60, "11 минут"), (21 * 60, "21 минуту"), (22 * 60, "22 минуты")];
        for (seconds, expected) in cases {
            let message = too_many(now + chrono::Duration::seconds(seconds), now).problem.message;
            assert!(message.contains(expected), "{seconds} s: {message}");
        }
    }

    #[test]
    fn account_key_hides_login() {
        let key = sign_in_account_key("resident@example.org");
        assert!(!key.contains("example"), "{key}");
        assert_eq!(key, sign_in_account_key("resident@example.org"));
    }
}
