//! The delivery worker: sends the e-mails, Web Push messages and SMS of the notification
//! outbox. It claims due deliveries with a lease, sends each (or one digest per recipient) and
//! records the outcome. Failures are retried with exponential backoff until the attempts run
//! out, then listed for administrators. It runs inside `pomoshnik serve` by default and alone as
//! `pomoshnik worker`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use pomoshnik_store::{Delivery, Store};
use pomoshnik_web::mail::{digest_email, notification_email};

use crate::push::{PUSH_CHANNEL, PushConfig, PushSender};
use crate::sms::{SMS_CHANNEL, SmsChannelSender};

/// The channel code of e-mail deliveries.
pub const EMAIL_CHANNEL: &str = "email";

pub const DELIVERIES: &str = "pomoshnik_deliveries_total";
pub const DELIVERY_QUEUE_DEPTH: &str = "pomoshnik_delivery_queue_depth";

/// Mail relay address, sender and public address used by the worker.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, for a relay on the same host), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:password@host:465`.
    pub smtp_url: String,
    /// Sender, such as `Помощник города <noreply@example.org>`.
    pub from: String,
    /// The service's public address, for links in the messages.
    pub public_url: String,
}

/// Pace and limits of the worker.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// Deliveries claimed at once.
    pub batch: i64,
    /// Duration of a claim. Deliveries of a worker that died go to other workers after it.
    pub lease: Duration,
    /// Pause between polls when nothing is due.
    pub idle_poll: Duration,
    /// Attempts after which a delivery is failed for good.
    pub max_attempts: i64,
    /// Delay before the first retry. Each next retry waits twice as long, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for WorkerConfig {
    /// 50 deliveries per batch, 5-minute leases, polls every 2 seconds, 10 attempts with retries
    /// from one minute up to 6 hours apart (about 15 hours in all).
    fn default() -> WorkerConfig {
        WorkerConfig {
            batch: 50,
            lease: Duration::from_secs(5 * 60),
            idle_poll: Duration::from_secs(2),
            max_attempts: 10,
            first_backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(6 * 60 * 60),
        }
    }
}

/// Sends the deliveries of one channel of one store: e-mail through an SMTP relay, Web Push, or
/// SMS through the gateway.
pub struct DeliveryWorker {
    store: Arc<dyn Store>,
    sender: Sender,
    config: WorkerConfig,
}

enum Sender {
    Email(EmailSender),
    Push(PushSender),
    Sms(SmsChannelSender),
}

struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Domain of the sender's address, for Message-ID headers.
    domain: String,
    public_url: String,
}

impl DeliveryWorker {
    /// Returns a worker that sends the e-mail deliveries.
    pub fn new(store: Arc<dyn Store>, mail: &MailConfig, config: WorkerConfig) -> anyhow::Result<DeliveryWorker> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&mail.smtp_url)
            .with_context(|| "invalid --smtp-url: expected smtp://HOST:PORT, smtp://HOST:587?tls=required or smtps://USER:PASSWORD@HOST:465")?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from: Mailbox = mail.from.parse().with_context(|| format!("invalid --mail-from {:?}: expected Name <address@domain>", mail.from))?;
        let domain = from.email.domain().to_owned();
        let sender = EmailSender { transport, from, domain, public_url: mail.public_url.trim_end_matches('/').to_owned() };
        Ok(DeliveryWorker { store, sender: Sender::Email(sender), config })
    }

    /// Returns a worker that sends the Web Push deliveries.
    pub fn push(store: Arc<dyn Store>, push: PushConfig, config: WorkerConfig) -> anyhow::Result<DeliveryWorker> {
        Ok(DeliveryWorker { store, sender: Sender::Push(PushSender::new(push)?), config })
    }

    /// Returns a worker that sends the SMS deliveries through `gateway`, with links to the
    /// service at `public_url`.
    pub fn sms(store: Arc<dyn Store>, gateway: Arc<dyn pomoshnik_web::accounts::SmsSender>, public_url: &str, config: WorkerConfig) -> DeliveryWorker {
        DeliveryWorker { store, sender: Sender::Sms(SmsChannelSender::new(gateway, public_url)), config }
    }

    /// Runs until `shutdown` completes, finishing the batch in progress first.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let name = format!("{} delivery worker", self.sender.channel());
        run_rounds(&name, self.config.idle_poll, shutdown, || self.run_once(Utc::now())).await;
    }

    /// Claims and sends one batch of deliveries due at `now`, and returns how many were claimed.
    pub async fn run_once(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let channel = self.sender.channel();
        let lease_until = now + chrono::Duration::from_std(self.config.lease)?;
        let deliveries = self.store.claim_deliveries(channel, now, lease_until, self.config.batch).await?;
        let claimed = deliveries.len();

        for group in messages(deliveries) {
            let ids: Vec<i64> = group.iter().map(|delivery| delivery.id).collect();
            let attempts = group.iter().map(|delivery| delivery.attempts).max().unwrap_or(1);
            let sent = match &self.sender {
                Sender::Email(sender) => sender.send(&group).await,
                Sender::Push(sender) => sender.send(self.store.as_ref(), &group).await,
                Sender::Sms(sender) => sender.send(&group).await,
            };
            match sent {
                Ok(()) => {
                    self.store.mark_delivered(&ids, Utc::now()).await?;
                    metrics::counter!(DELIVERIES, "channel" => channel, "outcome" => "sent").increment(ids.len() as u64);
                }
                Err(error) => self.record_failure(&ids, attempts, &error, now).await?,
            }
        }

        let pending = self.store.pending_deliveries().await?;
        metrics::gauge!(DELIVERY_QUEUE_DEPTH).set(pending as f64);
        Ok(claimed)
    }

    async fn record_failure(&self, ids: &[i64], attempts: i64, failure: &SendFailure, now: DateTime<Utc>) -> anyhow::Result<()> {
        let channel = self.sender.channel();
        let (text, permanent) = match failure {
            SendFailure::Permanent(text) => (text, true),
            SendFailure::Transient(text) => (text, false),
        };
        let retry_at = if permanent { None } else { self.config.retry_at(attempts, now) };
        self.store.mark_delivery_failed(ids, text, retry_at).await?;
        let outcome = if retry_at.is_some() { "retry" } else { "failed" };
        metrics::counter!(DELIVERIES, "channel" => channel, "outcome" => outcome).increment(ids.len() as u64);
        match retry_at {
            Some(at) => tracing::warn!(channel, delivery_ids = ?ids, attempts, error = %text, retry_at = %at, "delivery failed; will retry"),
            None => tracing::error!(channel, delivery_ids = ?ids, attempts, error = %text, "delivery failed for good"),
        }
        Ok(())
    }
}

impl Sender {
    fn channel(&self) -> &'static str {
        match self {
            Sender::Email(_) => EMAIL_CHANNEL,
            Sender::Push(_) => PUSH_CHANNEL,
            Sender::Sms(_) => SMS_CHANNEL,
        }
    }
}

/// Groups claimed deliveries into messages: one per immediate delivery, and one per recipient
/// for the digest deliveries.
fn messages(deliveries: Vec<Delivery>) -> Vec<Vec<Delivery>> {
    let mut messages = Vec::new();
    let mut digests: BTreeMap<i64, Vec<Delivery>> = BTreeMap::new();
    for delivery in deliveries {
        if delivery.digest {
            digests.entry(delivery.notification.user_id).or_default().push(delivery);
        } else {
            messages.push(vec![delivery]);
        }
    }
    messages.extend(digests.into_values());
    messages
}

impl EmailSender {
    /// Sends the e-mail of one notification, or the digest of a group of them.
    async fn send(&self, group: &[Delivery]) -> Result<(), SendFailure> {
        let email = if group[0].digest { digest_email(group, &self.public_url) } else { notification_email(&group[0], &self.public_url) };
        let first = &group[0];
        let recipient: Mailbox = first.recipient.parse().map_err(|_| SendFailure::Permanent("invalid recipient address".to_owned()))?;
        // A message sent again after a crash keeps its Message-ID, so mail clients that group
        // by it show one message.
        let message_id = format!("<delivery-{}-{}@{}>", first.id, &first.unsubscribe_token[..8.min(first.unsubscribe_token.len())], self.domain);
        let message = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(&email.subject)
            .message_id(Some(message_id))
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{}>", email.unsubscribe_url)))
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click".to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone());
        let message = message.map_err(|error| SendFailure::Permanent(format!("message not built: {error}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(SendFailure::Permanent(error.to_string())),
            Err(error) => Err(SendFailure::Transient(error.to_string())),
        }
    }
}

impl WorkerConfig {
    /// Returns when to try again after attempt number `attempts` failed at `now`, or None when
    /// that was the last attempt.
    pub fn retry_at(&self, attempts: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (attempts < self.max_attempts).then(|| now + self.backoff(attempts))
    }

    /// Returns the wait before the retry that follows attempt number `attempts`.
    fn backoff(&self, attempts: i64) -> chrono::Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX).min(20);
        let wait = self.first_backoff.saturating_mul(1 << doublings).min(self.max_backoff);
        chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
    }
}

/// Runs `round` again and again until `shutdown` completes, pausing `idle_poll` after a round
/// that claimed nothing or failed. A round in progress finishes before the loop stops. `name`
/// names the worker in the log.
pub async fn run_rounds<F, R>(name: &str, idle_poll: Duration, shutdown: impl Future<Output = ()>, mut round: F)
where
    F: FnMut() -> R,
    R: Future<Output = anyhow::Result<usize>>,
{
    tokio::pin!(shutdown);
    tracing::info!(worker = name, "worker started");
    loop {
        let claimed = match round().await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(worker = name, error = %format!("{error:#}"), "worker round failed; retrying after a pause");
                0
            }
        };
        if claimed == 0 {
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(idle_poll) => {}
            }
        }
    }
    tracing::info!(worker = name, "worker stopped");
}

/// Reason a message was not sent.
#[derive(Debug)]
pub enum SendFailure {
    /// The relay rejected the message or recipient for good (a 5xx reply), or the stored
    /// address cannot be sent to.
    Permanent(String),
    /// The relay was unreachable or replied with a temporary error.
    Transient(String),
}
