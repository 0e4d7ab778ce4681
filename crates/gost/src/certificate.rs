//! X.509 certificates with GOST R 34.10-2012 256-bit public keys (RFC 9215), PKCS#8 private
//! keys, and PEM text around both.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

use crate::curve::{self, Curve};
use crate::der::{self, DerError, Reader};
use crate::signature::{KeyError, PrivateKey, PublicKey, SCALAR_LENGTH};

/// id-tc26-gost3410-12-256: a GOST R 34.10-2012 key with a 256-bit curve (RFC 9215).
pub const PUBLIC_KEY_OID: &str = "1.2.643.7.1.1.1.1";
/// id-tc26-gost3411-12-256: Streebog-256 (RFC 9215).
pub const DIGEST_OID: &str = "1.2.643.7.1.1.2.2";
/// id-tc26-signwithdigest-gost3410-12-256: a certificate signature with Streebog-256 (RFC 9215).
pub const CERTIFICATE_SIGNATURE_OID: &str = "1.2.643.7.1.1.3.2";
/// id-at-commonName (RFC 5280).
const COMMON_NAME_OID: &str = "2.5.4.3";

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("the file is neither PEM nor DER: {0}")]
    Der(#[from] DerError),
    #[error("the PEM text has no \"-----BEGIN {0}-----\" block; an encrypted key must be decrypted first, for example with `openssl pkcs8`")]
    MissingPemBlock(&'static str),
    #[error("the PEM block is not valid base64")]
    InvalidBase64,
    #[error("the key algorithm is {0}, expected GOST R 34.10-2012 with 256-bit keys ({PUBLIC_KEY_OID})")]
    UnsupportedAlgorithm(String),
    #[error("the curve parameter set {0} is not supported; use 1.2.643.2.2.35.1 or 1.2.643.7.1.2.1.1.1")]
    UnsupportedCurve(String),
    #[error("invalid key: {0}")]
    Key(#[from] KeyError),
    #[error("the private key does not belong to the certificate")]
    KeyMismatch,
}

/// Decodes the first PEM block labelled `label`, such as `CERTIFICATE`.
pub fn pem_decode(text: &str, label: &'static str) -> Result<Vec<u8>, CertificateError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).ok_or(CertificateError::MissingPemBlock(label))? + begin.len();
    let length = text[start..].find(&end).ok_or(CertificateError::MissingPemBlock(label))?;
    let body: String = text[start..start + length].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(body).map_err(|_| CertificateError::InvalidBase64)
}

/// Encodes `der` as a PEM block labelled `label`, 64 base64 characters a line.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

/// Returns the DER bytes of a file that is either PEM with a `label` block or DER already.
fn pem_or_der(bytes: &[u8], label: &'static str) -> Result<Vec<u8>, CertificateError> {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.contains("-----BEGIN") => pem_decode(text, label),
        _ => Ok(bytes.to_vec()),
    }
}

/// Encodes the AlgorithmIdentifier of a 256-bit GOST key on `curve`.
fn key_algorithm(curve: &Curve) -> Vec<u8> {
    let parameters = der::constructed(der::SEQUENCE, &[&der::oid(curve.oid), &der::oid(DIGEST_OID)]);
    der::constructed(der::SEQUENCE, &[&der::oid(PUBLIC_KEY_OID), &parameters])
}

/// Reads the AlgorithmIdentifier of a 256-bit GOST key and returns its curve.
fn read_key_algorithm(reader: &mut Reader) -> Result<&'static Curve, CertificateError> {
    let mut algorithm = reader.expect(der::SEQUENCE)?.members();
    let oid = algorithm.oid()?;
    if oid != PUBLIC_KEY_OID {
        return Err(CertificateError::UnsupportedAlgorithm(oid));
    }
    let curve_oid = algorithm.expect(der::SEQUENCE)?.members().oid()?;
    curve::by_oid(&curve_oid).ok_or(CertificateError::UnsupportedCurve(curve_oid))
}

fn common_name(name: &str) -> Vec<u8> {
    let attribute = der::constructed(der::SEQUENCE, &[&der::oid(COMMON_NAME_OID), &der::element(der::UTF8_STRING, name.as_bytes())]);
    der::constructed(der::SEQUENCE, &[&der::set_of(vec![attribute])])
}

fn utc_time(time: DateTime<Utc>) -> Vec<u8> {
    der::element(der::UTC_TIME, time.format("%y%m%d%H%M%SZ").to_string().as_bytes())
}

/// A parsed certificate with the parts that CMS signatures refer to.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// The whole certificate, DER.
    pub der: Vec<u8>,
    /// The issuer's Name, DER.
    pub issuer: Vec<u8>,
    /// The serial number's INTEGER, DER.
    pub serial: Vec<u8>,
    pub public_key: PublicKey,
}

impl Certificate {
    /// Reads a certificate file, PEM (`CERTIFICATE`) or DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Certificate, CertificateError> {
        Certificate::from_der(&pem_or_der(bytes, "CERTIFICATE")?)
    }

    pub fn from_der(bytes: &[u8]) -> Result<Certificate, CertificateError> {
        let mut outer = Reader::new(bytes);
        let certificate = outer.expect(der::SEQUENCE)?;
        outer.finish()?;
        let mut tbs = certificate.members().expect(der::SEQUENCE)?.members();
        tbs.optional(der::context(0))?;
        let serial = tbs.expect(der::INTEGER)?.encoded.to_vec();
        tbs.expect(der::SEQUENCE)?;
        let issuer = tbs.expect(der::SEQUENCE)?.encoded.to_vec();
        tbs.expect(der::SEQUENCE)?;
        tbs.expect(der::SEQUENCE)?;
        let mut key_info = tbs.expect(der::SEQUENCE)?.members();
        let curve = read_key_algorithm(&mut key_info)?;
        let bits = key_info.expect(der::BIT_STRING)?.content;
        let (_unused_bits, key_der) = bits.split_first().ok_or(DerError::Truncated)?;
        let key_bytes = Reader::new(key_der).expect(der::OCTET_STRING)?.content;
        let public_key = PublicKey::from_le_bytes(curve, key_bytes)?;
        Ok(Certificate { der: bytes.to_vec(), issuer, serial, public_key })
    }

    /// Builds a self-signed certificate for `key` with the common name `name`. Tests and the
    /// ESIA stand-in use it, while a real ESIA client has a certificate from an accredited CA.
    pub fn self_signed(key: &PrivateKey, name: &str, serial: u64, not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> Certificate {
        let name = common_name(name);
        let signature_algorithm = der::constructed(der::SEQUENCE, &[&der::oid(CERTIFICATE_SIGNATURE_OID)]);
        let public_key = der::element(der::OCTET_STRING, &key.public_key().to_le_bytes());
        let key_bits = [&[0u8][..], &public_key].concat();
        let key_info = der::constructed(der::SEQUENCE, &[&key_algorithm(key.curve()), &der::element(der::BIT_STRING, &key_bits)]);
        let tbs = der::constructed(
            der::SEQUENCE,
            &[
                &der::element(der::context(0), &der::unsigned_integer(&[2])),
                &der::unsigned_integer(&serial.to_be_bytes()),
                &signature_algorithm,
                &name,
                &der::constructed(der::SEQUENCE, &[&utc_time(not_before), &utc_time(not_after)]),
                &name,
                &key_info,
            ],
        );
        let signature = key.sign(&tbs).to_bytes();
        let signature_bits = [&[0u8][..], &signature].concat();
        let encoded = der::constructed(der::SEQUENCE, &[&tbs, &signature_algorithm, &der::element(der::BIT_STRING, &signature_bits)]);
        Certificate::from_der(&encoded).expect("a certificate built here parses")
    }

    pub fn to_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }
}

/// Encodes `key` as unencrypted PKCS#8 (RFC 5208), the private key an OCTET STRING of its
/// 32 little-endian bytes (RFC 9215).
pub fn private_key_to_pkcs8(key: &PrivateKey) -> Vec<u8> {
    let private_key = der::element(der::OCTET_STRING, &der::element(der::OCTET_STRING, &key.to_le_bytes()));
    der::constructed(der::SEQUENCE, &[&der::unsigned_integer(&[0]), &key_algorithm(key.curve()), &private_key])
}

/// Reads a private key file in one of these forms:
/// - PEM `PRIVATE KEY` or DER, unencrypted PKCS#8 with algorithm 1.2.643.7.1.1.1.1 and a
///   supported curve, whose private key is an OCTET STRING of 32 little-endian bytes, that
///   OCTET STRING wrapped in another one, or a big-endian INTEGER;
/// - exactly 32 bytes, the key little-endian on the certificate's curve.
///
/// Checks that the key's public key is `certificate`'s.
pub fn read_private_key(bytes: &[u8], certificate: &Certificate) -> Result<PrivateKey, CertificateError> {
    let is_pem = bytes.starts_with(b"-----BEGIN");
    let key = if bytes.len() == SCALAR_LENGTH && !is_pem {
        PrivateKey::from_le_bytes(certificate.public_key.curve(), bytes)?
    } else {
        private_key_from_pkcs8(&pem_or_der(bytes, "PRIVATE KEY")?)?
    };
    if key.public_key() != certificate.public_key {
        return Err(CertificateError::KeyMismatch);
    }
    Ok(key)
}

fn private_key_from_pkcs8(bytes: &[u8]) -> Result<PrivateKey, CertificateError> {
    let mut outer = Reader::new(bytes);
    let mut info = outer.expect(der::SEQUENCE)?.members();
    outer.finish()?;
    info.expect(der::INTEGER)?;
    let curve = read_key_algorithm(&mut info)?;
    let content = info.expect(der::OCTET_STRING)?.content;
    if content.len() == SCALAR_LENGTH {
        return Ok(PrivateKey::from_le_bytes(curve, content)?);
    }
    let inner = Reader::new(content).read()?;
    match inner.tag {
        der::OCTET_STRING => Ok(PrivateKey::from_le_bytes(curve, inner.content)?),
        der::INTEGER => Ok(PrivateKey::from_scalar(curve, num_bigint::BigUint::from_bytes_be(inner.content))?),
        found => Err(DerError::UnexpectedTag { expected: der::OCTET_STRING, found }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{CRYPTO_PRO_A, TC26_256_A};

    fn validity() -> (DateTime<Utc>, DateTime<Utc>) {
        let now = Utc::now();
        (now - chrono::Duration::days(1), now + chrono::Duration::days(365))
    }

    #[test]
    fn self_signed_certificate_parses() {
        let (not_before, not_after) = validity();
        let key = PrivateKey::generate(&TC26_256_A);
        let certificate = Certificate::self_signed(&key, "pomoshnik test client", 42, not_before, not_after);
        let parsed = Certificate::from_pem_or_der(certificate.to_pem().as_bytes()).expect("the PEM certificate parses");
        assert_eq!(parsed.public_key, key.public_key());
        assert_eq!(parsed.serial, der::unsigned_integer(&42u64.to_be_bytes()));
        assert_eq!(Certificate::from_pem_or_der(&certificate.der).expect("the DER certificate parses").der, certificate.der);
    }

    #[test]
    fn private_key_files_read() {
        let (not_before, not_after) = validity();
        let key = PrivateKey::generate(&CRYPTO_PRO_A);
        let certificate = Certificate::self_signed(&key, "client", 1, not_before, not_after);

        let pem = pem_encode("PRIVATE KEY", &private_key_to_pkcs8(&key));
        let from_pem = read_private_key(pem.as_bytes(), &certificate).expect("the PKCS#8 PEM key reads");
        assert_eq!(from_pem.to_le_bytes(), key.to_le_bytes());
        let from_raw = read_private_key(&key.to_le_bytes(), &certificate).expect("the raw key reads");
        assert_eq!(from_raw.to_le_bytes(), key.to_le_bytes());

        let other = PrivateKey::generate(&CRYPTO_PRO_A);
        assert!(matches!(read_private_key(&other.to_le_bytes(), &certificate), Err(CertificateError::KeyMismatch)));
        assert!(matches!(read_private_key(b"-----BEGIN RSA PRIVATE KEY-----\n", &certificate), Err(CertificateError::MissingPemBlock("PRIVATE KEY"))));
        assert!(read_private_key(b"not a key at all, just some text", &certificate).is_err());
    }
}
