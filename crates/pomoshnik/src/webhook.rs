//! Outbound dispatch by webhook: posts each dispatched report to the systems of its agency.
//! The store writes one delivery per destination in the transaction that dispatches the report;
//! this worker posts them, signed with the destination's secret, and retries with the backoff
//! of [`WorkerConfig`] until the destination answers 2xx. docs/WEBHOOKS.md gives the protocol.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use pomoshnik_store::{Store, WebhookDelivery, WebhookDestination};
use sha2::Sha256;

use crate::worker::{WorkerConfig, run_rounds};

pub const WEBHOOK_DELIVERIES: &str = "pomoshnik_webhook_deliveries_total";
pub const WEBHOOK_QUEUE_DEPTH: &str = "pomoshnik_webhook_queue_depth";

/// Header with the delivery's idempotency key, the same on every attempt.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Header with the Unix time in seconds at which the attempt was signed.
pub const TIMESTAMP_HEADER: &str = "Pomoshnik-Timestamp";
/// Header with `v1=` and the lowercase hex HMAC-SHA256 of `{timestamp}.{body}`.
pub const SIGNATURE_HEADER: &str = "Pomoshnik-Signature";

/// How long one attempt may take when the configuration sets no timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The shared secret of a destination. Its `Debug` output hides the value, so the secret cannot
/// reach a log through a configuration dump.
#[derive(Clone)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn new(secret: impl Into<String>) -> WebhookSecret {
        WebhookSecret(secret.into())
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("WebhookSecret(hidden)")
    }
}

/// A configured destination: where the reports of one agency are posted and how they are signed.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// Unique name, such as `madi-main`; the report card shows it.
    pub name: String,
    pub agency: String,
    pub url: String,
    pub secret: WebhookSecret,
    /// Maximum duration of one attempt, connection included.
    pub timeout: Duration,
}

/// Returns the value of the signature header for `body` signed at `timestamp` (Unix seconds):
/// `v1=` and the lowercase hex HMAC-SHA256, keyed with the secret, of the timestamp's decimal
/// digits, a full stop and the body.
pub fn signature(secret: &WebhookSecret, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks the destinations against the catalog and stores their names and agencies, so that
/// the dispatches from now on get a delivery for each.
pub async fn configure_webhooks(store: &dyn Store, targets: &[WebhookTarget]) -> anyhow::Result<()> {
    for target in targets {
        crate::check_agency(store, &target.agency).await.with_context(|| format!("invalid agency of webhook {:?}", target.name))?;
    }
    let destinations: Vec<WebhookDestination> =
        targets.iter().map(|target| WebhookDestination { name: target.name.clone(), agency_code: target.agency.clone() }).collect();
    store.set_webhook_destinations(&destinations).await.context("failed to configure webhook destinations")?;
    Ok(())
}

/// Posts the webhook deliveries of one store.
pub struct WebhookWorker {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    targets: BTreeMap<String, WebhookTarget>,
    config: WorkerConfig,
}

impl WebhookWorker {
    pub fn new(store: Arc<dyn Store>, targets: Vec<WebhookTarget>, config: WorkerConfig) -> anyhow::Result<WebhookWorker> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("pomoshnik/", env!("CARGO_PKG_VERSION")))
            // A redirect would resend the signed body somewhere the configuration does not name.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("failed to build the webhook HTTP client")?;
        let targets = targets.into_iter().map(|target| (target.name.clone(), target)).collect();
        Ok(WebhookWorker { store, client, targets, config })
    }

    /// Runs until `shutdown` completes, finishing the batch in progress first.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        run_rounds("webhook worker", self.config.idle_poll, shutdown, || self.run_once(Utc::now())).await;
    }

    /// Claims and posts one batch of deliveries due at `now`, and returns how many were claimed.
    pub async fn run_once(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let lease_until = now + chrono::Duration::from_std(self.config.lease)?;
        let deliveries = self.store.claim_webhook_deliveries(now, lease_until, self.config.batch).await?;
        let claimed = deliveries.len();

        for delivery in deliveries {
            let Some(target) = self.targets.get(&delivery.destination) else {
                // The destination was removed from the configuration after the dispatch.
                let error = "destination not configured";
                self.store.mark_webhook_failed(&[delivery.id], error, None).await?;
                metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => "failed").increment(1);
                tracing::error!(webhook.id = delivery.id, destination = %delivery.destination, "webhook delivery failed for good: {error}");
                continue;
            };
            match self.post(target, &delivery).await {
                Ok(()) => {
                    self.store.mark_webhook_delivered(&[delivery.id], Utc::now()).await?;
                    metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => "sent").increment(1);
                    tracing::info!(webhook.id = delivery.id, report_id = delivery.report_id, destination = %target.name, "webhook delivered");
                }
                Err(error) => self.record_failure(&delivery, &error, now).await?,
            }
        }

        let pending = self.store.pending_webhook_deliveries().await?;
        metrics::gauge!(WEBHOOK_QUEUE_DEPTH).set(pending as f64);
        Ok(claimed)
    }

    /// Posts one delivery; any answer but 2xx is a failure.
    async fn post(&self, target: &WebhookTarget, delivery: &WebhookDelivery) -> Result<(), String> {
        let timestamp = Utc::now().timestamp();
        let response = self
            .client
            .post(&target.url)
            .timeout(target.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_HEADER, &delivery.idempotency_key)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature(&target.secret, timestamp, delivery.payload.as_bytes()))
            .body(delivery.payload.clone())
            .send()
            .await
            // Without the URL: it may carry a token of the agency's in its query.
            .map_err(|error| format!("request failed: {}", error.without_url()))?;
        let status = response.status();
        if status.is_success() { Ok(()) } else { Err(format!("the destination answered HTTP {}", status.as_u16())) }
    }

    async fn record_failure(&self, delivery: &WebhookDelivery, error: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let retry_at = self.config.retry_at(delivery.attempts, now);
        self.store.mark_webhook_failed(&[delivery.id], error, retry_at).await?;
        let outcome = if retry_at.is_some() { "retry" } else { "failed" };
        metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
        match retry_at {
            Some(at) => tracing::warn!(webhook.id = delivery.id, destination = %delivery.destination, attempts = delivery.attempts, error, retry_at = %at, "webhook delivery failed; will retry"),
            None => tracing::error!(webhook.id = delivery.id, destination = %delivery.destination, attempts = delivery.attempts, error, "webhook delivery failed for good"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_timestamp_and_body() {
        let secret = WebhookSecret::new("secret");
        let signed = signature(&secret, 1_700_000_000, b"{}");
        assert!(signed.starts_with("v1="), "{signed}");
        assert_eq!(signed.len(), 3 + 64);
        assert_ne!(signed, signature(&secret, 1_700_000_001, b"{}"));
        assert_ne!(signed, signature(&secret, 1_700_000_000, b"{ }"));
        assert_ne!(signed, signature(&WebhookSecret::new("other"), 1_700_000_000, b"{}"));
    }

    #[test]
    fn secret_hidden_in_debug_output() {
        let secret = WebhookSecret::new("do-not-print");
        assert!(!format!("{secret:?}").contains("do-not-print"));
    }
}
