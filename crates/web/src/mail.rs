//! Text of the e-mails that tell residents about their reports, in Russian from the Fluent
//! files. The worker in the `pomoshnik` crate sends them.

use pomoshnik_core::status::Status;
use pomoshnik_store::{Delivery, Notification, NotificationKind};

use crate::i18n::{Arg, Tr};

/// One plain-text e-mail, ready for the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    /// Address that turns the channel off in one click, for the `List-Unsubscribe` header.
    pub unsubscribe_url: String,
}

/// Builds the e-mail for one notification. `public_url` is the service's address without a
/// trailing slash.
pub fn notification_email(delivery: &Delivery, public_url: &str) -> Email {
    let notification = &delivery.notification;
    let number = notification.report_number.to_string();
    let subject = notification_subject(notification);

    let mut text = vec![Tr.t("mail-greeting"), String::new()];
    text.extend(change_lines(delivery));
    text.push(String::new());
    text.push(Tr.t_with("mail-open-card", &[("url", format!("{public_url}/reports/{number}").into())]));
    let unsubscribe_url = unsubscribe_url(delivery, public_url);
    text.extend(footer(&unsubscribe_url));
    Email { subject, text: text.join("\n"), unsubscribe_url }
}

/// Returns the one-line summary of a notification: the e-mail subject and the push title.
pub fn notification_subject(notification: &Notification) -> String {
    let number = notification.report_number.to_string();
    match notification.kind {
        NotificationKind::Status => Tr.t_with("mail-subject", &[("number", number.as_str().into()), ("status", Tr.status(notification.event.to_status).into())]),
        NotificationKind::Message => Tr.t_with("dialogue-mail-subject", &[("number", number.as_str().into())]),
        NotificationKind::Escalation => Tr.t_with("escalation-mail-subject", &[("number", number.as_str().into())]),
    }
}

/// Builds one e-mail for several notifications of the same recipient, as the daily digest.
/// Panics if `deliveries` is empty.
pub fn digest_email(deliveries: &[Delivery], public_url: &str) -> Email {
    let count = i64::try_from(deliveries.len()).unwrap_or(i64::MAX);
    let subject = Tr.count("mail-digest-subject", count);

    let mut text = vec![Tr.t("mail-greeting"), String::new(), Tr.count("mail-digest-intro", count), String::new()];
    for delivery in deliveries {
        text.extend(change_lines(delivery));
        let number = delivery.notification.report_number.to_string();
        text.push(Tr.t_with("mail-open-card", &[("url", format!("{public_url}/reports/{number}").into())]));
        text.push(String::new());
    }
    let newest = deliveries.last().expect("a digest has at least one notification");
    let unsubscribe_url = unsubscribe_url(newest, public_url);
    text.extend(footer(&unsubscribe_url));
    Email { subject, text: text.join("\n"), unsubscribe_url }
}

/// Describes the change: registration of a new report or its new status, with the decision,
/// the reason for a rejection and the comment, as the card shows them to the resident.
fn change_lines(delivery: &Delivery) -> Vec<String> {
    let notification = &delivery.notification;
    let event = &notification.event;
    let about: [(&str, Arg); 3] = [
        ("number", notification.report_number.to_string().into()),
        ("category", notification.category_name.as_str().into()),
        ("status", Tr.status(event.to_status).into()),
    ];
    match notification.kind {
        NotificationKind::Status => {}
        NotificationKind::Message => {
            let mut lines = vec![Tr.t_with("dialogue-mail-message", &about)];
            if let Some(text) = &notification.message_text {
                lines.push(Tr.t_with("dialogue-mail-text", &[("text", text.as_str().into())]));
            }
            return lines;
        }
        NotificationKind::Escalation => return vec![Tr.t_with("escalation-mail-overdue", &about)],
    }
    let headline = if event.from_status.is_none() && event.to_status == Status::Accepted { "mail-accepted" } else { "mail-status-changed" };

    let mut lines = vec![Tr.t_with(headline, &about)];
    if let Some(decision) = event.decision {
        lines.push(Tr.t_with("mail-decision", &[("decision", Tr.decision(decision).into())]));
    }
    if let Some(reason) = event.rejection_reason {
        lines.push(Tr.t_with("mail-reason", &[("reason", Tr.reason(reason).into())]));
    }
    if let Some(comment) = &event.comment {
        lines.push(Tr.t_with("mail-comment", &[("comment", comment.as_str().into())]));
    }
    lines
}

fn unsubscribe_url(delivery: &Delivery, public_url: &str) -> String {
    format!("{public_url}/unsubscribe/{}", delivery.unsubscribe_token)
}

fn footer(unsubscribe_url: &str) -> Vec<String> {
    vec![
        String::new(),
        "-- ".to_owned(),
        Tr.t("mail-footer"),
        Tr.t_with("mail-unsubscribe", &[("url", unsubscribe_url.into())]),
    ]
}
