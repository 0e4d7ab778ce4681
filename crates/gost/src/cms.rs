//! Detached CMS SignedData (RFC 5652) with GOST R 34.10-2012 and Streebog-256, the form of
//! ESIA's `client_secret`.
//!
//! The signature covers signed attributes (content type, signing time and the content's
//! message digest), as `openssl cms -sign` writes them, and the SignedData carries the
//! signer's certificate.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::certificate::{Certificate, DIGEST_OID, PUBLIC_KEY_OID};
use crate::der::{self, DerError, Reader};
use crate::signature::{PrivateKey, Signature, streebog256};

const SIGNED_DATA_OID: &str = "1.2.840.113549.1.7.2";
const DATA_OID: &str = "1.2.840.113549.1.7.1";
const CONTENT_TYPE_OID: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST_OID: &str = "1.2.840.113549.1.9.4";
const SIGNING_TIME_OID: &str = "1.2.840.113549.1.9.5";

#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error("the CMS data is not valid DER: {0}")]
    Der(#[from] DerError),
    #[error("the CMS content type is {0}, expected SignedData")]
    NotSignedData(String),
    #[error("the CMS {field} algorithm is {found}, expected {expected}")]
    UnexpectedAlgorithm { field: &'static str, found: String, expected: &'static str },
    #[error("the CMS SignedData has no signer")]
    NoSigner,
    #[error("the CMS signer is not the configured certificate")]
    OtherSigner,
    #[error("the CMS signer has no signed attribute {0}")]
    MissingAttribute(&'static str),
    #[error("the CMS signed content type is not id-data")]
    ContentTypeMismatch,
    #[error("the CMS message digest does not match the content")]
    DigestMismatch,
    #[error("the CMS signature value is not 64 bytes")]
    InvalidSignatureLength,
    #[error("the CMS signature does not verify with the certificate's public key")]
    BadSignature,
}

fn algorithm(oid: &str) -> Vec<u8> {
    der::constructed(der::SEQUENCE, &[&der::oid(oid)])
}

fn attribute(oid: &str, value: &[u8]) -> Vec<u8> {
    der::constructed(der::SEQUENCE, &[&der::oid(oid), &der::set_of(vec![value.to_vec()])])
}

/// Signs `content` with `key` and returns a DER ContentInfo with a detached SignedData, which
/// names `certificate` as the signer and carries it.
pub fn sign_detached(content: &[u8], key: &PrivateKey, certificate: &Certificate, signing_time: DateTime<Utc>) -> Vec<u8> {
    let attributes = der::set_of(vec![
        attribute(CONTENT_TYPE_OID, &der::oid(DATA_OID)),
        attribute(SIGNING_TIME_OID, &der::element(der::UTC_TIME, signing_time.format("%y%m%d%H%M%SZ").to_string().as_bytes())),
        attribute(MESSAGE_DIGEST_OID, &der::element(der::OCTET_STRING, &streebog256(content))),
    ]);
    // RFC 5652: the signature covers the attributes encoded as a SET OF, and the
    // SignerInfo carries the same bytes with the tag [0] IMPLICIT.
    let signature = key.sign(&attributes).to_bytes();
    let signed_attributes = [&[der::context(0)][..], &attributes[1..]].concat();

    let signer_id = der::constructed(der::SEQUENCE, &[&certificate.issuer, &certificate.serial]);
    let signer_info = der::constructed(
        der::SEQUENCE,
        &[&der::unsigned_integer(&[1]), &signer_id, &algorithm(DIGEST_OID), &signed_attributes, &algorithm(PUBLIC_KEY_OID), &der::element(der::OCTET_STRING, &signature)],
    );
    let signed_data = der::constructed(
        der::SEQUENCE,
        &[
            &der::unsigned_integer(&[1]),
            &der::set_of(vec![algorithm(DIGEST_OID)]),
            &der::constructed(der::SEQUENCE, &[&der::oid(DATA_OID)]),
            &der::element(der::context(0), &certificate.der),
            &der::set_of(vec![signer_info]),
        ],
    );
    der::constructed(der::SEQUENCE, &[&der::oid(SIGNED_DATA_OID), &der::element(der::context(0), &signed_data)])
}

/// Signed attributes of a verified signature, besides the content's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub signing_time: Option<DateTime<Utc>>,
}

/// Checks that `cms`, a DER ContentInfo with a detached SignedData, is a signature of
/// `content` by `certificate`'s key. The first SignerInfo must name `certificate` by issuer
/// and serial number; certificates carried in the SignedData are ignored.
pub fn verify_detached(cms: &[u8], content: &[u8], certificate: &Certificate) -> Result<VerifiedSignature, CmsError> {
    let mut outer = Reader::new(cms);
    let mut content_info = outer.expect(der::SEQUENCE)?.members();
    outer.finish()?;
    let content_type = content_info.oid()?;
    if content_type != SIGNED_DATA_OID {
        return Err(CmsError::NotSignedData(content_type));
    }
    let mut signed_data = content_info.expect(der::context(0))?.members().expect(der::SEQUENCE)?.members();
    signed_data.expect(der::INTEGER)?;
    signed_data.expect(der::SET)?;
    signed_data.expect(der::SEQUENCE)?;
    signed_data.optional(der::context(0))?;
    signed_data.optional(der::context(1))?;
    let mut signer_infos = signed_data.expect(der::SET)?.members();
    if signer_infos.is_empty() {
        return Err(CmsError::NoSigner);
    }
    let mut signer = signer_infos.expect(der::SEQUENCE)?.members();

    signer.expect(der::INTEGER)?;
    let expected_signer = der::constructed(der::SEQUENCE, &[&certificate.issuer, &certificate.serial]);
    if signer.expect(der::SEQUENCE)?.encoded != expected_signer.as_slice() {
        return Err(CmsError::OtherSigner);
    }
    let digest_algorithm = signer.expect(der::SEQUENCE)?.members().oid()?;
    if digest_algorithm != DIGEST_OID {
        return Err(CmsError::UnexpectedAlgorithm { field: "digest", found: digest_algorithm, expected: DIGEST_OID });
    }
    let attributes = signer.expect(der::context(0)).map_err(|_| CmsError::MissingAttribute("signedAttrs"))?;
    let signature_algorithm = signer.expect(der::SEQUENCE)?.members().oid()?;
    if signature_algorithm != PUBLIC_KEY_OID {
        return Err(CmsError::UnexpectedAlgorithm { field: "signature", found: signature_algorithm, expected: PUBLIC_KEY_OID });
    }
    let signature = Signature::from_bytes(signer.expect(der::OCTET_STRING)?.content).ok_or(CmsError::InvalidSignatureLength)?;

    let mut content_type_found = None;
    let mut message_digest = None;
    let mut signing_time = None;
    let mut members = attributes.members();
    while !members.is_empty() {
        let mut attribute = members.expect(der::SEQUENCE)?.members();
        let oid = attribute.oid()?;
        let value = attribute.expect(der::SET)?.members().read()?;
        match oid.as_str() {
            CONTENT_TYPE_OID => content_type_found = Some(der::parse_oid(value.content)?),
            MESSAGE_DIGEST_OID => message_digest = Some(value.content),
            SIGNING_TIME_OID => signing_time = parse_utc_time(value.content),
            _ => {}
        }
    }
    if content_type_found.ok_or(CmsError::MissingAttribute("contentType"))? != DATA_OID {
        return Err(CmsError::ContentTypeMismatch);
    }
    if message_digest.ok_or(CmsError::MissingAttribute("messageDigest"))? != streebog256(content).as_slice() {
        return Err(CmsError::DigestMismatch);
    }
    let signed_bytes = [&[der::SET][..], &attributes.encoded[1..]].concat();
    if !certificate.public_key.verify(&signed_bytes, &signature) {
        return Err(CmsError::BadSignature);
    }
    Ok(VerifiedSignature { signing_time })
}

fn parse_utc_time(content: &[u8]) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(content).ok()?;
    NaiveDateTime::parse_from_str(text, "%y%m%d%H%M%SZ").ok().map(|time| time.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::TC26_256_A;

    fn signer() -> (PrivateKey, Certificate) {
        let key = PrivateKey::generate(&TC26_256_A);
        let now = Utc::now();
        let certificate = Certificate::self_signed(&key, "pomoshnik", 7, now - chrono::Duration::days(1), now + chrono::Duration::days(30));
        (key, certificate)
    }

    #[test]
    fn detached_signature_verifies() {
        let (key, certificate) = signer();
        let content = "openid2026.12.05 12:00:00 +0300pomoshnik3f2504e0-4f89-11d3-9a0c-0305e82c3301".as_bytes();
        let signing_time = DateTime::from_timestamp(1_796_000_000, 0).expect("valid time");
        let cms = sign_detached(content, &key, &certificate, signing_time);

        let verified = verify_detached(&cms, content, &certificate).expect("the signature verifies");
        assert_eq!(verified.signing_time, Some(signing_time));
    }

    #[test]
    fn changed_content_rejected() {
        let (key, certificate) = signer();
        let cms = sign_detached(b"scope and state", &key, &certificate, Utc::now());
        assert!(matches!(verify_detached(&cms, b"scope and another state", &certificate), Err(CmsError::DigestMismatch)));
    }

    #[test]
    fn other_certificate_rejected() {
        let (key, certificate) = signer();
        let (_, other) = signer();
        let cms = sign_detached(b"content", &key, &certificate, Utc::now());
        // Same issuer name and serial, other key: the signer matches, the signature does not.
        assert!(matches!(verify_detached(&cms, b"content", &other), Err(CmsError::BadSignature)));
    }

    #[test]
    fn changed_signature_rejected() {
        let (key, certificate) = signer();
        let mut cms = sign_detached(b"content", &key, &certificate, Utc::now());
        let last = cms.len() - 1;
        cms[last] ^= 0x01;
        assert!(matches!(verify_detached(&cms, b"content", &certificate), Err(CmsError::BadSignature)));
    }
}
