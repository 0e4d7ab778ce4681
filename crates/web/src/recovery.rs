//! Account recovery for people who lost the phone or e-mail they registered with: the temporary
//! password an approved request issues, and delivery of the decision to the request's new contact.

use pomoshnik_media::FileKind;
use rand::Rng;

use crate::accounts::{Login, SendError};
use crate::i18n::Tr;
use crate::state::AppState;

/// How long a temporary password works after the moderator approves the request.
pub const TEMPORARY_PASSWORD_LIFETIME: chrono::Duration = chrono::Duration::hours(72);

/// Characters of a temporary password: lowercase Latin letters and digits without the ones that
/// are easy to confuse on a phone screen (`0`/`o`, `1`/`l`/`i`).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Length of a temporary password: 14 characters of a 31-character alphabet give about 69 bits.
const PASSWORD_LENGTH: usize = 14;

/// File kinds accepted as a passport scan.
pub const SCAN_KINDS: [FileKind; 3] = [FileKind::Jpeg, FileKind::Png, FileKind::Pdf];

/// Maximum size of a passport scan in bytes, which is the file store's limit for these kinds.
pub fn max_scan_bytes() -> u64 {
    SCAN_KINDS.iter().map(|kind| kind.max_bytes()).max().unwrap_or_default()
}

/// Generates a random temporary password.
pub fn generate_temporary_password() -> String {
    let mut random = rand::rng();
    (0..PASSWORD_LENGTH).map(|_| PASSWORD_ALPHABET[random.random_range(0..PASSWORD_ALPHABET.len())] as char).collect()
}

/// Sends `text` to a contact stored as [`Login::text`]: by SMS to a phone, by e-mail otherwise.
pub async fn send_to_contact(state: &AppState, contact: &str, text: &str) -> Result<(), SendError> {
    let senders = &state.config.accounts;
    match Login::parse(contact) {
        Some(Login::Phone(phone)) => senders.sms.send(&phone, text).await,
        Some(Login::Email(address)) => senders.mail.send(&address, &Tr.t("recovery-mail-subject"), text).await,
        None => Err(SendError::permanent("the contact of the recovery request is neither a phone nor an e-mail address")),
    }
}

/// Builds the message with the temporary password.
pub fn approval_text(password: &str) -> String {
    Tr.t_with("recovery-approved-text", &[("password", password.into()), ("hours", TEMPORARY_PASSWORD_LIFETIME.num_hours().into())])
}

/// Builds the message with the reason of a refusal.
pub fn refusal_text(reason: &str) -> String {
    Tr.t_with("recovery-refused-text", &[("reason", reason.into())])
}

/// Deletes a passport scan from the file store, unless another record still refers to the same
/// content.
pub async fn delete_scan(state: &AppState, scan_key: &str) {
    crate::upload::remove_unused_content(state, scan_key).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_differ() {
        let first = generate_temporary_password();
        let second = generate_temporary_password();
        assert_eq!(first.chars().count(), PASSWORD_LENGTH);
        assert!(first.bytes().all(|byte| PASSWORD_ALPHABET.contains(&byte)), "{first}");
        assert_ne!(first, second);
    }

    #[test]
    fn approval_text_names_password_and_hours() {
        let text = approval_text("abc234");
        assert!(text.contains("abc234"), "{text}");
        assert!(text.contains("72 часа"), "{text}");
    }

    #[test]
    fn scan_limit_is_ten_mebibytes() {
        assert_eq!(max_scan_bytes(), 10 * 1024 * 1024);
    }
}
