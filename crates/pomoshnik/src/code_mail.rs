//! Sends one-time codes of local accounts by e-mail through the SMTP relay of the notifications,
//! at once rather than through the delivery queue, because a code expires in minutes.

use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use pomoshnik_web::accounts::{MailSender, SendError};

use crate::worker::MailConfig;

pub struct SmtpMailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailSender {
    pub fn new(mail: &MailConfig) -> anyhow::Result<SmtpMailSender> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&mail.smtp_url)
            .with_context(|| "invalid --smtp-url: expected smtp://HOST:PORT, smtp://HOST:587?tls=required or smtps://USER:PASSWORD@HOST:465")?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from: Mailbox = mail.from.parse().with_context(|| format!("invalid --mail-from {:?}: expected Name <address@domain>", mail.from))?;
        Ok(SmtpMailSender { transport, from })
    }
}

#[async_trait::async_trait]
impl MailSender for SmtpMailSender {
    async fn send(&self, address: &str, subject: &str, text: &str) -> Result<(), SendError> {
        let recipient: Mailbox = address.parse().map_err(|_| SendError::permanent("invalid recipient address"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_owned())
            .map_err(|error| SendError::permanent(format!("message not built: {error}")))?;
        self.transport.send(message).await.map_err(|error| SendError::transient(format!("SMTP relay failed: {error}")))?;
        Ok(())
    }
}
