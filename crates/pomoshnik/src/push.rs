//! Sending of Web Push messages: each notification goes, encrypted for each browser (RFC 8291)
//! and signed with the installation's VAPID key (RFC 8292), to the push services of the person's
//! subscribed browsers.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pomoshnik_store::{Delivery, PushSubscription, Store};
use pomoshnik_web::push::{PushSettings, endpoint_allowed, push_message};
use web_push_native::jwt_simple::algorithms::{ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair};
use web_push_native::jwt_simple::claims::Claims;
use web_push_native::p256::PublicKey;
use web_push_native::{Auth, WebPushBuilder};

use crate::worker::SendFailure;

/// The channel code of Web Push deliveries.
pub const PUSH_CHANNEL: &str = "push";

/// File under the data directory that keeps the VAPID private key.
const KEY_FILE: &str = "vapid-private-key";

/// How long a push service keeps a message for a browser that is offline.
const MESSAGE_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Web Push settings of the service and the worker.
#[derive(Clone)]
pub struct PushConfig {
    pub key_pair: Arc<ES256KeyPair>,
    /// VAPID contact that push services may write to, such as `mailto:ops@example.org`.
    pub contact: String,
    pub endpoint_hosts: Vec<String>,
    /// The service's public address, for links in the messages.
    pub public_url: String,
}

impl PushConfig {
    /// Returns the settings the web pages need.
    pub fn settings(&self) -> PushSettings {
        let public_key = self.key_pair.public_key().public_key().to_bytes_uncompressed();
        PushSettings { public_key: URL_SAFE_NO_PAD.encode(public_key), endpoint_hosts: self.endpoint_hosts.clone() }
    }
}

/// Returns the VAPID key pair: `encoded` (a base64url private key, for nodes that must share one
/// key), else the one kept in the data directory, created there on first use.
pub fn load_or_create_key(data_dir: &Path, encoded: Option<&str>) -> anyhow::Result<ES256KeyPair> {
    if let Some(encoded) = encoded {
        let bytes = URL_SAFE_NO_PAD.decode(encoded.trim()).context("invalid POMOSHNIK_PUSH_VAPID_KEY: expected a base64url P-256 private key")?;
        return ES256KeyPair::from_bytes(&bytes).map_err(|error| anyhow::anyhow!("invalid POMOSHNIK_PUSH_VAPID_KEY: {error}"));
    }
    let path = data_dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = URL_SAFE_NO_PAD.decode(text.trim()).with_context(|| format!("invalid VAPID key in {}", path.display()))?;
            ES256KeyPair::from_bytes(&bytes).map_err(|error| anyhow::anyhow!("invalid VAPID key in {}: {error}", path.display()))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key_pair = ES256KeyPair::generate();
            write_private(&path, &URL_SAFE_NO_PAD.encode(key_pair.to_bytes()))?;
            tracing::info!(path = %path.display(), "created the VAPID key pair for Web Push");
            Ok(key_pair)
        }
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes a file that only the service's user can read.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}

/// Posts push messages to the push services of the recipients' browsers.
pub struct PushSender {
    config: PushConfig,
    settings: PushSettings,
    client: reqwest::Client,
}

impl PushSender {
    pub fn new(config: PushConfig) -> anyhow::Result<PushSender> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the HTTP client for Web Push")?;
        let settings = config.settings();
        Ok(PushSender { config, settings, client })
    }

    /// Sends the message of `group` (one notification, or a recipient's digest) to each of the
    /// recipient's browsers. Browsers whose subscription has ended are forgotten.
    ///
    /// NOTE: a message counts as sent when one browser took it. When one browser took it and
    /// another failed for a while, the retry sends it to both again.
    pub async fn send(&self, store: &dyn Store, group: &[Delivery]) -> Result<(), SendFailure> {
        let user_id = group[0].notification.user_id;
        let subscriptions = store.push_subscriptions(user_id).await.map_err(|error| SendFailure::Transient(format!("cannot read subscriptions: {error}")))?;
        let message = push_message(group, self.config.public_url.trim_end_matches('/'));
        let body = serde_json::to_vec(&message).map_err(|error| SendFailure::Permanent(format!("message not built: {error}")))?;

        let mut accepted = 0;
        let mut transient = None;
        for subscription in &subscriptions {
            match self.post(subscription, &body).await {
                Ok(()) => accepted += 1,
                Err(PushOutcome::Gone) => {
                    // The browser unsubscribed or the subscription expired (RFC 8030, section 7.3).
                    if let Err(error) = store.delete_push_subscription(&subscription.endpoint, None).await {
                        tracing::warn!(user_id, error = %error, "cannot delete an expired push subscription");
                    }
                }
                Err(PushOutcome::Failed(failure)) => {
                    tracing::warn!(user_id, error = %failure, "push message not accepted");
                    transient.get_or_insert(failure);
                }
            }
        }
        match (accepted, transient) {
            (0, Some(failure)) => Err(SendFailure::Transient(failure)),
            _ => Ok(()),
        }
    }

    async fn post(&self, subscription: &PushSubscription, body: &[u8]) -> Result<(), PushOutcome> {
        if !endpoint_allowed(&self.settings, &subscription.endpoint) {
            return Err(PushOutcome::Gone);
        }
        let endpoint = subscription.endpoint.parse().map_err(|_| PushOutcome::Gone)?;
        let public_key = URL_SAFE_NO_PAD.decode(subscription.p256dh.trim_end_matches('=')).ok().and_then(|bytes| PublicKey::from_sec1_bytes(&bytes).ok());
        let secret = URL_SAFE_NO_PAD.decode(subscription.auth.trim_end_matches('=')).ok().filter(|bytes| bytes.len() == 16);
        let (Some(public_key), Some(secret)) = (public_key, secret) else {
            return Err(PushOutcome::Gone);
        };
        let request = WebPushBuilder::new(endpoint, public_key, Auth::clone_from_slice(&secret))
            .with_valid_duration(MESSAGE_LIFETIME)
            .build(body.to_vec())
            .map_err(|error| PushOutcome::Failed(format!("message not encrypted: {error}")))?;

        let (parts, encrypted) = request.into_parts();
        let authorization = self.vapid_authorization(&subscription.endpoint).map_err(PushOutcome::Failed)?;
        let mut outgoing = self.client.post(subscription.endpoint.as_str()).header("Authorization", authorization).body(encrypted);
        for (name, value) in &parts.headers {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
        let response = outgoing.send().await.map_err(|error| PushOutcome::Failed(format!("push service unreachable: {error}")))?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            404 | 410 => Err(PushOutcome::Gone),
            status => Err(PushOutcome::Failed(format!("push service answered HTTP {status}"))),
        }
    }
}

impl PushSender {
    /// Returns the VAPID `Authorization` header for a message to `endpoint` (RFC 8292): a JWT
    /// for the push service's origin, signed with the installation's key, and that key.
    /// web-push-native leaves the port out of the audience, which a push service on another
    /// port than the scheme's default would refuse, so the header is built here.
    fn vapid_authorization(&self, endpoint: &str) -> Result<String, String> {
        let url = reqwest::Url::parse(endpoint).map_err(|error| format!("invalid endpoint: {error}"))?;
        let origin = url.origin().ascii_serialization();
        let claims = Claims::create(MESSAGE_LIFETIME.into()).with_audience(origin).with_subject(&self.config.contact);
        let token = self.config.key_pair.sign(claims).map_err(|error| format!("VAPID token not signed: {error}"))?;
        Ok(format!("vapid t={token}, k={}", self.settings.public_key))
    }
}

enum PushOutcome {
    /// The subscription no longer exists or cannot be used.
    Gone,
    Failed(String),
}
