//! JWTs signed with GOST R 34.10-2012, as ESIA issues them. The header's `alg` is
//! `GOST3410_2012_256`, and the signature covers `header.payload` (ASCII) hashed with
//! Streebog-256. The signature part is the 64 bytes of [`Signature::to_bytes`]. Parts are
//! base64url without padding (RFC 7515).
//!
//! NOTE: the signature byte order follows ESIA client libraries that verify ESIA's tokens with
//! OpenSSL's GOST engine unchanged. It was not checked against a token from ESIA itself.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::signature::{PrivateKey, PublicKey, Signature};

/// The `alg` of ESIA's GOST-signed tokens.
pub const ALGORITHM: &str = "GOST3410_2012_256";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("the token does not have three base64url parts")]
    Malformed,
    #[error("the token header is not a JSON object")]
    InvalidHeader,
    #[error("the token algorithm is {0:?}, expected {ALGORITHM}")]
    UnexpectedAlgorithm(String),
    #[error("the token signature does not verify with the configured public key")]
    BadSignature,
}

/// Builds a token from a JSON `header` and `claims` text signed with `key`.
pub fn sign(header: &str, claims: &str, key: &PrivateKey) -> String {
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
    let signature = key.sign(signing_input.as_bytes()).to_bytes();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Checks the token's algorithm and signature and returns its decoded claims bytes. The
/// claims are not checked here.
pub fn verify(token: &str, key: &PublicKey) -> Result<Vec<u8>, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    let header_bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| JwtError::Malformed)?;
    let header_json: serde_json::Value = serde_json::from_slice(&header_bytes).map_err(|_| JwtError::InvalidHeader)?;
    let algorithm = header_json.get("alg").and_then(|value| value.as_str()).ok_or(JwtError::InvalidHeader)?;
    if algorithm != ALGORITHM {
        return Err(JwtError::UnexpectedAlgorithm(algorithm.chars().take(32).collect()));
    }
    let signature_bytes = URL_SAFE_NO_PAD.decode(signature).map_err(|_| JwtError::Malformed)?;
    let signature = Signature::from_bytes(&signature_bytes).ok_or(JwtError::BadSignature)?;
    let signing_input = &token[..header.len() + 1 + claims.len()];
    if !key.verify(signing_input.as_bytes(), &signature) {
        return Err(JwtError::BadSignature);
    }
    URL_SAFE_NO_PAD.decode(claims).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::CRYPTO_PRO_A;

    const HEADER: &str = r#"{"alg":"GOST3410_2012_256","typ":"JWT","sbt":"id"}"#;

    #[test]
    fn signed_token_verifies() {
        let key = PrivateKey::generate(&CRYPTO_PRO_A);
        let token = sign(HEADER, r#"{"sub":"1000299353"}"#, &key);
        assert_eq!(verify(&token, &key.public_key()).as_deref(), Ok(br#"{"sub":"1000299353"}"#.as_slice()));
    }

    #[test]
    fn changed_claims_rejected() {
        let key = PrivateKey::generate(&CRYPTO_PRO_A);
        let token = sign(HEADER, r#"{"sub":"1"}"#, &key);
        let other = sign(HEADER, r#"{"sub":"2"}"#, &key);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], other.split('.').nth(1).expect("claims"), parts[2]);
        assert_eq!(verify(&forged, &key.public_key()), Err(JwtError::BadSignature));
        assert_eq!(verify(&token, &PrivateKey::generate(&CRYPTO_PRO_A).public_key()), Err(JwtError::BadSignature));
    }

    #[test]
    fn other_algorithm_rejected() {
        let key = PrivateKey::generate(&CRYPTO_PRO_A);
        let token = sign(r#"{"alg":"RS256"}"#, "{}", &key);
        assert_eq!(verify(&token, &key.public_key()), Err(JwtError::UnexpectedAlgorithm("RS256".to_owned())));
        assert_eq!(verify("a.b", &key.public_key()), Err(JwtError::Malformed));
    }
}
