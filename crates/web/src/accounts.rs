//! Local accounts: logins by mobile phone or e-mail, the password policy, one-time codes that
//! confirm a contact or reset a password, and the senders that deliver the codes (an SMS
//! gateway speaking HTTP JSON, or the log in development).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pomoshnik_store::{NewAccountCode, User};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::i18n::Tr;
use crate::limits::RateLimit;
use crate::state::AppState;

/// How long a code works after it is sent.
pub const CODE_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);
/// Wrong entries after which a code stops working and a new one has to be requested.
pub const CODE_ATTEMPTS: i64 = 5;
pub const PURPOSE_CONFIRM: &str = "confirm";
pub const PURPOSE_RESET: &str = "reset";

const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// The login of a local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// Lowercased e-mail address.
    Email(String),
    /// +7XXXXXXXXXX.
    Phone(String),
}

impl Login {
    /// Reads an e-mail address (anything with `@`) or a Russian mobile number; None when it is
    /// neither.
    pub fn parse(input: &str) -> Option<Login> {
        let input = input.trim();
        if input.contains('@') {
            let email = crate::auth::normalize_email(input);
            let (local, domain) = email.split_once('@')?;
            let valid = !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !email.contains(char::is_whitespace);
            return valid.then_some(Login::Email(email));
        }
        normalize_phone(input).map(Login::Phone)
    }

    pub fn text(&self) -> &str {
        match self {
            Login::Email(email) => email,
            Login::Phone(phone) => phone,
        }
    }
}

/// Normalises a Russian mobile number written as `8 (916) 123-45-67`, `+7 916 1234567` or
/// `9161234567` to `+79161234567`. Other numbers (landlines, other countries) give None.
pub fn normalize_phone(input: &str) -> Option<String> {
    let trimmed = input.trim();
    if trimmed.is_empty() || !trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '+' | '\u{a0}')) {
        return None;
    }
    if trimmed.chars().skip(1).any(|c| c == '+') {
        return None;
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let national = match (trimmed.starts_with('+'), digits.len()) {
        (true, 11) if digits.starts_with('7') => &digits[1..],
        (false, 11) if digits.starts_with('8') || digits.starts_with('7') => &digits[1..],
        (false, 10) => &digits[..],
        _ => return None,
    };
    // Russian mobile numbers start with 9.
    national.starts_with('9').then(|| format!("+7{national}"))
}

/// Hides all but the last two digits of a phone number, for logs.
pub fn mask_phone(phone: &str) -> String {
    let visible: String = phone.chars().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect();
    format!("+7*******{visible}")
}

/// Checks a new password and returns the Fluent id of the reason to reject it, if any.
pub fn password_problem(password: &str, login: &str) -> Option<&'static str> {
    if password.chars().count() < crate::auth::MIN_PASSWORD_CHARS {
        return Some("accounts-password-short");
    }
    let lowered = password.to_lowercase();
    let mut chars = lowered.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Some("accounts-password-repeated");
    }
    if COMMON_PASSWORDS.lines().any(|common| !common.is_empty() && common == lowered) {
        return Some("accounts-password-common");
    }
    let login = login.trim().to_lowercase();
    let login_parts = [login.split('@').next().unwrap_or_default().to_owned(), login.trim_start_matches('+').to_owned(), login.chars().skip(2).collect::<String>()];
    if login_parts.iter().any(|part| part.chars().count() >= 4 && lowered.contains(part.as_str())) {
        return Some("accounts-password-contains-login");
    }
    None
}

fn generate_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

pub(crate) fn hash_code(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

pub(crate) fn code_matches(stored: &str, code: &str) -> bool {
    let Some((salt, hash)) = stored.split_once('$') else { return false };
    let computed = hash_code(salt, code.trim());
    computed.len() == hash.len() && computed.bytes().zip(hash.bytes()).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

/// Creates a new code for `user` (replacing the unused ones of the same purpose) and sends it to
/// the user's contact. Resending is limited per account.
pub async fn send_code(state: &AppState, user: &User, purpose: &str) -> Result<(), ApiError> {
    let limit = state.config.accounts.codes_per_account;
    crate::limits::hit(state, &format!("codes:user:{}", user.id), limit).await?;
    let code = generate_code();
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = hex::encode(salt);
    let now = Utc::now();
    let stored = NewAccountCode { user_id: user.id, purpose: purpose.to_owned(), code_hash: format!("{salt}${}", hash_code(&salt, &code)), created_at: now, expires_at: now + CODE_LIFETIME };
    state.store.create_account_code(&stored).await?;
    let text_id = if purpose == PURPOSE_RESET { "accounts-code-reset-text" } else { "accounts-code-confirm-text" };
    let text = Tr.t_with(text_id, &[("code", code.as_str().into())]);
    let senders = &state.config.accounts;
    let sent = match &user.phone {
        Some(phone) => senders.sms.send(phone, &text).await,
        None => senders.mail.send(&user.email, &Tr.t("accounts-code-mail-subject"), &text).await,
    };
    if let Err(error) = sent {
        tracing::warn!(user.id = user.id, %error, "could not send a one-time code");
        let mut error_response = ApiError::new(axum::http::StatusCode::BAD_GATEWAY, "code_not_sent");
        error_response.problem.message = Tr.t("accounts-code-not-sent");
        return Err(error_response);
    }
    tracing::info!(user.id = user.id, purpose, "sent a one-time code");
    Ok(())
}

/// The outcome of entering a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Accepted,
    /// Wrong code; `left` attempts remain.
    Wrong { left: i64 },
    Expired,
    TooManyAttempts,
    /// No code was sent, or it was used already (a replay) or replaced by a newer one.
    NotValid,
}

impl CodeCheck {
    /// Russian message of a refused code.
    pub fn message(self) -> String {
        match self {
            CodeCheck::Accepted => String::new(),
            CodeCheck::Wrong { left } => Tr.count("accounts-code-wrong", left),
            CodeCheck::Expired => Tr.t("accounts-code-expired"),
            CodeCheck::TooManyAttempts => Tr.t("accounts-code-too-many"),
            CodeCheck::NotValid => Tr.t("accounts-code-not-valid"),
        }
    }
}

/// Checks the code entered for the user's newest code of `purpose` and uses it up when it matches.
pub async fn check_code(state: &AppState, user_id: i64, purpose: &str, entered: &str) -> Result<CodeCheck, ApiError> {
    let Some(code) = state.store.latest_account_code(user_id, purpose).await? else { return Ok(CodeCheck::NotValid) };
    let now = Utc::now();
    if code.used_at.is_some() {
        return Ok(CodeCheck::NotValid);
    }
    if code.attempts >= CODE_ATTEMPTS {
        return Ok(CodeCheck::TooManyAttempts);
    }
    if now >= code.expires_at {
        return Ok(CodeCheck::Expired);
    }
    if code_matches(&code.code_hash, entered) {
        return Ok(if state.store.use_account_code(code.id, now).await? { CodeCheck::Accepted } else { CodeCheck::NotValid });
    }
    let attempts = state.store.count_account_code_attempt(code.id).await?;
    Ok(if attempts >= CODE_ATTEMPTS { CodeCheck::TooManyAttempts } else { CodeCheck::Wrong { left: CODE_ATTEMPTS - attempts } })
}

/// A message that a sender could not hand over.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    /// Sending the same message again would fail the same way, such as a recipient the
    /// gateway rejected. Delivery workers then stop retrying it.
    pub permanent: bool,
}

impl SendError {
    /// Returns an error that a later attempt may not repeat, such as an unreachable gateway.
    pub fn transient(message: impl Into<String>) -> SendError {
        SendError { message: message.into(), permanent: false }
    }

    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError { message: message.into(), permanent: true }
    }
}

/// Sends text messages to mobile phones.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, phone: &str, text: &str) -> Result<(), SendError>;
}

/// Sends short plain-text e-mails, such as a code.
#[async_trait::async_trait]
pub trait MailSender: Send + Sync {
    async fn send(&self, address: &str, subject: &str, text: &str) -> Result<(), SendError>;
}

/// Development sender: writes the message to the log with the phone masked, sends nothing.
#[derive(Debug, Default)]
pub struct LogSmsSender;

#[async_trait::async_trait]
impl SmsSender for LogSmsSender {
    async fn send(&self, phone: &str, text: &str) -> Result<(), SendError> {
        tracing::info!(phone = %mask_phone(phone), text, "SMS not sent: no gateway configured");
        Ok(())
    }
}

/// Development sender: writes the e-mail to the log without the address, sends nothing.
#[derive(Debug, Default)]
pub struct LogMailSender;

#[async_trait::async_trait]
impl MailSender for LogMailSender {
    async fn send(&self, _address: &str, subject: &str, text: &str) -> Result<(), SendError> {
        tracing::info!(subject, text, "e-mail not sent: no SMTP relay configured");
        Ok(())
    }
}

/// An SMS gateway that takes `POST <url>` with `Authorization: Bearer <token>` and the JSON
/// body `{"to": "+79161234567", "text": "…"}`, and returns 2xx once it accepted the message.
/// A 400 or 422 response means the gateway rejected this message, so the error is permanent.
/// Other failures, including 401 and 403 from a wrong token, are transient, so that messages
/// go out once the settings are fixed.
pub struct HttpSmsSender {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl HttpSmsSender {
    pub fn new(url: &str, token: &str, timeout: Duration) -> Result<HttpSmsSender, SendError> {
        let client = reqwest::Client::builder().timeout(timeout).build().map_err(|error| SendError::permanent(error.to_string()))?;
        Ok(HttpSmsSender { client, url: url.to_owned(), token: token.to_owned() })
    }
}

#[async_trait::async_trait]
impl SmsSender for HttpSmsSender {
    async fn send(&self, phone: &str, text: &str) -> Result<(), SendError> {
        let body = serde_json::json!({ "to": phone, "text": text }).to_string();
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| SendError::transient(format!("SMS gateway unreachable: {}", error.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            let message = format!("SMS gateway responded with {status}");
            let rejected = matches!(status, reqwest::StatusCode::BAD_REQUEST | reqwest::StatusCode::UNPROCESSABLE_ENTITY);
            return Err(if rejected { SendError::permanent(message) } else { SendError::transient(message) });
        }
        tracing::info!(phone = %mask_phone(phone), "SMS accepted by the gateway");
        Ok(())
    }
}

/// Settings and senders of local accounts.
#[derive(Clone)]
pub struct AccountsConfig {
    pub sms: Arc<dyn SmsSender>,
    pub mail: Arc<dyn MailSender>,
    /// Codes sent to one account (registration, resend, password reset).
    pub codes_per_account: RateLimit,
    /// Password reset requests from one client address.
    pub resets_per_address: RateLimit,
    /// Account recovery requests (with a passport scan) from one client address.
    pub recoveries_per_address: RateLimit,
    /// Recovery requests stored for one account. Further requests in the window are dropped
    /// without telling the sender, so that the form does not reveal which logins exist.
    pub recoveries_per_account: RateLimit,
    /// Staff members must turn on two-factor authentication before they can open other pages.
    pub staff_two_factor_required: bool,
    /// Notifications go out by SMS too (an SMS gateway is configured), so residents with a
    /// confirmed phone can choose them in their notification settings.
    pub sms_notifications: bool,
}

impl Default for AccountsConfig {
    /// Log-only senders, 5 codes per account and 20 reset requests per address in an hour, 5
    /// recovery requests per address in an hour and 3 per account in a day.
    fn default() -> AccountsConfig {
        let hour = chrono::Duration::hours(1);
        AccountsConfig {
            sms: Arc::new(LogSmsSender),
            mail: Arc::new(LogMailSender),
            codes_per_account: RateLimit { max: 5, window: hour },
            resets_per_address: RateLimit { max: 20, window: hour },
            recoveries_per_address: RateLimit { max: 5, window: hour },
            recoveries_per_account: RateLimit { max: 3, window: chrono::Duration::days(1) },
            staff_two_factor_required: false,
            sms_notifications: false,
        }
    }
}

impl fmt::Debug for AccountsConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("AccountsConfig")
            .field("codes_per_account", &self.codes_per_account)
            .field("resets_per_address", &self.resets_per_address)
            .field("recoveries_per_address", &self.recoveries_per_address)
            .field("recoveries_per_account", &self.recoveries_per_account)
            .field("staff_two_factor_required", &self.staff_two_factor_required)
            .field("sms_notifications", &self.sms_notifications)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_mobile_formats_normalise() {
        for input in ["8 (916) 123-45-67", "+7 916 1234567", "9161234567", "+7(916)123-45-67", "79161234567", "89161234567"] {
            assert_eq!(normalize_phone(input).as_deref(), Some("+79161234567"), "{input}");
        }
    }

    #[test]
    fn other_numbers_refused() {
        for input in ["", "+1 916 123 4567", "8 (495) 123-45-67", "916123456", "+7 916 123 45 678", "916-abc-4567", "++79161234567", "+380501234567"] {
            assert_eq!(normalize_phone(input), None, "{input}");
        }
    }

    #[test]
    fn login_reads_email_or_phone() {
        assert_eq!(Login::parse(" Resident@Example.org "), Some(Login::Email("resident@example.org".to_owned())));
        assert_eq!(Login::parse("8 916 123 45 67"), Some(Login::Phone("+79161234567".to_owned())));
        assert_eq!(Login::parse("resident@"), None);
        assert_eq!(Login::parse("hello"), None);
    }

    #[test]
    fn weak_passwords_refused() {
        assert_eq!(password_problem("short1", "+79161234567"), Some("accounts-password-short"));
        assert_eq!(password_problem("aaaaaaaaaaaa", "+79161234567"), Some("accounts-password-repeated"));
        assert_eq!(password_problem("QwertyUiop", "+79161234567"), Some("accounts-password-common"));
        assert_eq!(password_problem("1234567890", "a@example.org"), Some("accounts-password-common"));
        assert_eq!(password_problem("my9161234567pass", "+79161234567"), Some("accounts-password-contains-login"));
        assert_eq!(password_problem("ivanov-secret-77", "ivanov@example.org"), Some("accounts-password-contains-login"));
        assert_eq!(password_problem("зелёный трамвай 7", "ivanov@example.org"), None);
    }

    #[test]
    fn masked_phone_hides_digits() {
        assert_eq!(mask_phone("+79161234567"), "+7*******67");
    }

    #[test]
    fn code_hash_checks_code() {
        let stored = format!("salt${}", hash_code("salt", "123456"));
        assert!(code_matches(&stored, "123456"));
        assert!(code_matches(&stored, " 123456 "));
        assert!(!code_matches(&stored, "123457"));
        assert!(!code_matches("garbage", "123456"));
        assert_eq!(generate_code().len(), 6);
    }
}
