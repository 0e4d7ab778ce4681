//! Text of the SMS notifications, in Russian from `sms.ftl`. The delivery worker in the
//! `pomoshnik` crate sends them through the same gateway as the one-time codes.

use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::status::Status;
use pomoshnik_store::{Delivery, NotificationKind};

use crate::i18n::Tr;

/// UTF-16 code units that fit in two concatenated SMS parts. Cyrillic text goes out in the
/// UCS-2 alphabet, where one part carries 70 characters alone, or 67 when it is one part of a
/// longer message because the concatenation header takes the rest (3GPP TS 23.040, 9.2.3.24.1).
pub const TWO_PARTS_UNITS: usize = 2 * 67;

/// Builds the text for one notification: the report number, the new status (or that a message
/// came, or that the report is overdue) and the link to its card. `public_url` is the service's
/// address without a trailing slash.
pub fn notification_sms(delivery: &Delivery, public_url: &str) -> String {
    let notification = &delivery.notification;
    notification_text(notification.kind, notification.report_number, notification.event.to_status, public_url)
}

/// Builds the text of one notification from its parts; see [`notification_sms`].
pub fn notification_text(kind: NotificationKind, number: ReportNumber, status: Status, public_url: &str) -> String {
    let number = number.to_string();
    let url = format!("{public_url}/reports/{number}");
    let id = match kind {
        NotificationKind::Status => "sms-status",
        NotificationKind::Message => "sms-message",
        NotificationKind::Escalation => "sms-escalation",
    };
    Tr.t_with(id, &[("number", number.as_str().into()), ("status", Tr.status(status).into()), ("url", url.into())])
}

/// Builds the daily digest: how many notifications arrived, and the link to the notifications
/// page where they are listed.
pub fn digest_sms(count: usize, public_url: &str) -> String {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    Tr.t_with("sms-digest", &[("count", count.into()), ("url", format!("{public_url}/notifications").into())])
}

/// Returns the UTF-16 code units of `text`, the length that SMS parts are counted in.
pub fn sms_units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Returns the longest text that a notification can have with this public address, so that
/// the worker can warn at start when the address makes messages longer than two parts.
pub fn longest_notification_text(public_url: &str) -> String {
    let number = ReportNumber::new(2026, 9_999_999);
    let kinds = [NotificationKind::Status, NotificationKind::Message, NotificationKind::Escalation];
    let texts = kinds.into_iter().flat_map(|kind| Status::ALL.into_iter().map(move |status| notification_text(kind, number, status, public_url)));
    let digest = digest_sms(1000, public_url);
    texts.chain(std::iter::once(digest)).max_by_key(|text| sms_units(text)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A public address as long as a city portal's subdomain, such as this one.
    const PUBLIC_URL: &str = "https://pomoshnik.mos.example.ru";

    #[test]
    fn status_text_names_report_and_status() {
        let text = notification_text(NotificationKind::Status, ReportNumber::new(2026, 123), Status::InProgress, PUBLIC_URL);
        assert_eq!(text, "Помощник города: обращение № 2026-0000123, статус «В работе». https://pomoshnik.mos.example.ru/reports/2026-0000123");
    }

    #[test]
    fn message_and_escalation_texts() {
        let number = ReportNumber::new(2026, 7);
        let message = notification_text(NotificationKind::Message, number, Status::InProgress, PUBLIC_URL);
        assert!(message.contains("новое сообщение по обращению № 2026-0000007"), "{message}");
        assert!(!message.contains("В работе"), "{message}");
        let escalation = notification_text(NotificationKind::Escalation, number, Status::Dispatched, PUBLIC_URL);
        assert!(escalation.contains("просрочено обращение № 2026-0000007"), "{escalation}");
        assert!(escalation.ends_with("/reports/2026-0000007"), "{escalation}");
    }

    #[test]
    fn digest_plural_forms() {
        assert!(digest_sms(1, PUBLIC_URL).contains(" 1 новое уведомление по обращениям."));
        assert!(digest_sms(3, PUBLIC_URL).contains(" 3 новых уведомления по"));
        assert!(digest_sms(11, PUBLIC_URL).contains(" 11 новых уведомлений по"));
        assert!(digest_sms(21, PUBLIC_URL).contains(" 21 новое уведомление по"));
        assert!(digest_sms(3, PUBLIC_URL).ends_with(" https://pomoshnik.mos.example.ru/notifications"));
    }

    #[test]
    fn public_url_limit_for_two_parts() {
        let at_limit = format!("https://{}", "a".repeat(31));
        assert_eq!(at_limit.len(), 39);
        assert!(sms_units(&longest_notification_text(&at_limit)) <= TWO_PARTS_UNITS, "a 39-character address does not fit");
        let over_limit = format!("{at_limit}a");
        assert!(sms_units(&longest_notification_text(&over_limit)) > TWO_PARTS_UNITS, "a 40-character address still fits, so the documented limit is wrong");
    }

    #[test]
    fn longest_text_fits_two_parts() {
        let longest = longest_notification_text(PUBLIC_URL);
        assert!(sms_units(&longest) <= TWO_PARTS_UNITS, "{} units: {longest}", sms_units(&longest));
        assert!(sms_units(&longest) > 70, "the texts fit one part, so the limit above tests nothing: {longest}");
    }
}
