//! Sending of SMS notifications through the gateway that also delivers the one-time codes.

use std::sync::Arc;

use pomoshnik_store::Delivery;
use pomoshnik_web::accounts::SmsSender;
use pomoshnik_web::sms::{TWO_PARTS_UNITS, digest_sms, longest_notification_text, notification_sms, sms_units};

use crate::worker::SendFailure;

/// The channel code of SMS deliveries.
pub const SMS_CHANNEL: &str = "sms";

/// Sends each notification, or a recipient's daily digest, as one text message.
pub struct SmsChannelSender {
    gateway: Arc<dyn SmsSender>,
    /// The service's public address without a trailing slash, for links in the messages.
    public_url: String,
}

impl SmsChannelSender {
    /// Returns a sender through `gateway`, and warns when `public_url` is long enough to make
    /// some messages longer than two SMS parts, which costs more.
    pub fn new(gateway: Arc<dyn SmsSender>, public_url: &str) -> SmsChannelSender {
        let public_url = public_url.trim_end_matches('/').to_owned();
        let longest = sms_units(&longest_notification_text(&public_url));
        if longest > TWO_PARTS_UNITS {
            tracing::warn!(public_url, longest_units = longest, limit_units = TWO_PARTS_UNITS, "SMS notifications with this public address may take three or more SMS parts");
        }
        SmsChannelSender { gateway, public_url }
    }

    /// Sends the text of one notification, or one digest text for a group of them.
    pub async fn send(&self, group: &[Delivery]) -> Result<(), SendFailure> {
        let first = &group[0];
        if first.recipient.is_empty() {
            return Err(SendFailure::Permanent("the account has no phone number".to_owned()));
        }
        let text = if first.digest { digest_sms(group.len(), &self.public_url) } else { notification_sms(first, &self.public_url) };
        // The gateway's errors never contain the phone number, so the worker may log them and
        // show them on the administrators' list of failed deliveries.
        match self.gateway.send(&first.recipient, &text).await {
            Ok(()) => Ok(()),
            Err(error) if error.permanent => Err(SendFailure::Permanent(error.message)),
            Err(error) => Err(SendFailure::Transient(error.message)),
        }
    }
}
