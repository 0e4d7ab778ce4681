//! Госуслуги (ESIA): what differs from plain OpenID Connect.
//!
//! The service accepts only confirmed ESIA accounts, whose owner proved who they are in person
//! or with a qualified signature. A simplified or standard account proves only an e-mail or
//! phone number. After the ID token is checked, the adapter reads the account's trust flag from the
//! userinfo endpoint with the access token and rejects the sign-in unless it is `true`.
//!
//! NOTE: real ESIA differs in ways this adapter does not implement, because they need GOST
//! cryptography that no maintained Rust crate offers and an ESIA test stand that cannot be
//! reached from here. ESIA requires the `client_secret` to be a detached CMS signature (GOST R
//! 34.10-2012) of scope, timestamp, client id and state made with the client's certificate; it
//! signs its own tokens with GOST R 34.10-2012, which `jsonwebtoken` cannot verify; and it
//! returns the trust flag from its REST API (`/rs/prns/{oid}`, field `trusted`) rather than from
//! OpenID Connect userinfo. A deployment against real ESIA needs a signing proxy or a GOST
//! library for these parts; the configuration here fits an OIDC-compliant gateway in front of
//! ESIA that exposes `trusted` in userinfo.

use super::{Provider, SignInError, TokenResponse};

/// Rejects the sign-in unless the userinfo of this access token belongs to `subject` and marks
/// the account as confirmed (`"trusted": true`).
pub async fn require_confirmed_account(provider: &Provider, http: &reqwest::Client, tokens: &TokenResponse, subject: &str) -> Result<(), SignInError> {
    let userinfo = provider.userinfo(http, &tokens.access_token).await?;
    // OpenID Connect Core 1.0, section 5.3.2: userinfo of another subject must not be used.
    if userinfo.get("sub").and_then(|value| value.as_str()) != Some(subject) {
        return Err(SignInError::InvalidResponse("userinfo belongs to another subject".to_owned()));
    }
    match userinfo.get("trusted").and_then(|value| value.as_bool()) {
        Some(true) => Ok(()),
        _ => Err(SignInError::EsiaNotConfirmed),
    }
}
