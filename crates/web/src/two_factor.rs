//! Two-factor authentication: TOTP codes (RFC 6238, SHA-1, 6 digits, 30-second steps, one step
//! of clock skew either way) from an authenticator app, and 10 single-use recovery codes.

use chrono::Utc;
use pomoshnik_store::User;
use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret};

use crate::error::ApiError;
use crate::state::AppState;

pub const RECOVERY_CODES: usize = 10;
/// Purpose of the one-time token that carries a sign-in from the password to the second factor.
pub const PURPOSE_SIGN_IN: &str = "sign_in";
/// Cookie with `<user id>.<token>` of a sign-in waiting for its second factor.
pub const PENDING_COOKIE: &str = "pomoshnik_2fa";
/// How long the second factor may be entered after the password.
pub const PENDING_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// Generates a 160-bit secret, in base32 as authenticator apps take it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill(&mut bytes);
    Secret::from(bytes).to_base32()
}

/// Builds the `otpauth://` URI that authenticator apps import. The account is named by id only.
pub fn otpauth_uri(secret: &str, user_id: i64) -> String {
    format!("otpauth://totp/Pomoshnik:user-{user_id}?secret={secret}&issuer=Pomoshnik&digits=6&period=30")
}

/// Returns the time step the code belongs to, if it is valid for `secret` now.
pub fn matching_step(secret: &str, code: &str) -> Option<u64> {
    let secret = Secret::try_from_base32(secret).ok()?;
    let totp = Builder::new().with_secret(secret).with_skew(1).build().ok()?;
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    totp.check(&digits, Utc::now().timestamp().max(0) as u64)
}

/// Generates recovery codes such as `k7m2-q9xp` and their hashes for the store.
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
            format!("{}-{}", &chars[..4], &chars[4..])
        })
        .collect();
    let hashes = codes.iter().map(|code| recovery_hash(code)).collect();
    (codes, hashes)
}

fn recovery_hash(code: &str) -> String {
    let normalized: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// Checks a second factor of `user`: a TOTP code whose time step was not used before, or an
/// unused recovery code, which is then used up. Returns the method for the audit log.
pub async fn verify(state: &AppState, user: &User, code: &str) -> Result<Option<&'static str>, ApiError> {
    let Some(secret) = state.store.totp_secret(user.id).await? else { return Ok(None) };
    if let Some(step) = matching_step(&secret, code) {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        return Ok(state.store.accept_totp_step(user.id, step).await?.then_some("totp"));
    }
    let is_recovery_code = code.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 8;
    if is_recovery_code && state.store.use_recovery_code(user.id, &recovery_hash(code), Utc::now()).await? {
        return Ok(Some("recovery_code"));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_distinct_and_hashed() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(hashes.len(), RECOVERY_CODES);
        assert_eq!(codes.iter().collect::<std::collections::BTreeSet<_>>().len(), RECOVERY_CODES);
        assert_eq!(recovery_hash(&codes[0]), hashes[0]);
        assert_eq!(recovery_hash(&codes[0].to_uppercase().replace('-', " ")), hashes[0]);
    }

    #[test]
    fn invalid_secret_or_code_rejected() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert_eq!(matching_step(&secret, "abcdef"), None);
        assert_eq!(matching_step("not base32!", "123456"), None);
    }
}
