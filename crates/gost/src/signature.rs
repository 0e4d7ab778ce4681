//! GOST R 34.10-2012 signature generation and verification with 256-bit keys (RFC 7091).

use num_bigint::BigUint;
use rand::RngCore;
use num_traits::{One, Zero};
use streebog::Digest;

use crate::curve::{Curve, Point};

/// Length in bytes of a 256-bit scalar or coordinate.
pub const SCALAR_LENGTH: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the private key must be {SCALAR_LENGTH} bytes, not {0}")]
    PrivateKeyLength(usize),
    #[error("the private key is 0 or not below the order of the curve {0}")]
    PrivateKeyOutOfRange(&'static str),
    #[error("the public key must be 64 bytes, not {0}")]
    PublicKeyLength(usize),
    #[error("the public key is not a point of order q on the curve {0}")]
    PublicKeyNotOnCurve(&'static str),
}

/// Computes the GOST R 34.11-2012 (Streebog) 256-bit digest of `message`.
pub fn streebog256(message: &[u8]) -> [u8; SCALAR_LENGTH] {
    streebog::Streebog256::digest(message).into()
}

/// Reads a digest as the integer e of the signature algorithm: little-endian, as the OpenSSL
/// gost engine and CryptoPro read Streebog output.
fn digest_to_integer(digest: &[u8; SCALAR_LENGTH]) -> BigUint {
    BigUint::from_bytes_le(digest)
}

/// Writes `value` as exactly 32 big-endian bytes; `value` must be below 2²⁵⁶.
fn to_be_32(value: &BigUint) -> [u8; SCALAR_LENGTH] {
    let bytes = value.to_bytes_be();
    let mut fixed = [0u8; SCALAR_LENGTH];
    fixed[SCALAR_LENGTH - bytes.len()..].copy_from_slice(&bytes);
    fixed
}

/// Draws a uniform-enough integer in [1, q): 64 extra bits before the reduction make the
/// bias below 2⁻⁶⁴.
fn random_scalar(curve: &Curve) -> BigUint {
    let mut bytes = [0u8; SCALAR_LENGTH + 8];
    rand::rng().fill_bytes(&mut bytes);
    BigUint::from_bytes_le(&bytes) % (&curve.q - 1u8) + 1u8
}

/// A signature (r, s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub r: BigUint,
    pub s: BigUint,
}

impl Signature {
    /// Encodes the signature as s, then r, each 32 bytes big-endian. CMS and X.509 carry this
    /// form (RFC 9215), OpenSSL's GOST engine reads and writes it as a raw signature, and ESIA's
    /// JWTs carry it.
    pub fn to_bytes(&self) -> [u8; 2 * SCALAR_LENGTH] {
        let mut bytes = [0u8; 2 * SCALAR_LENGTH];
        bytes[..SCALAR_LENGTH].copy_from_slice(&to_be_32(&self.s));
        bytes[SCALAR_LENGTH..].copy_from_slice(&to_be_32(&self.r));
        bytes
    }

    /// Decodes the form of [`to_bytes`](Self::to_bytes). Returns None unless `bytes` is 64 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Option<Signature> {
        if bytes.len() != 2 * SCALAR_LENGTH {
            return None;
        }
        Some(Signature { s: BigUint::from_bytes_be(&bytes[..SCALAR_LENGTH]), r: BigUint::from_bytes_be(&bytes[SCALAR_LENGTH..]) })
    }
}

/// A private key d on a curve, with 0 < d < q.
#[derive(Clone)]
pub struct PrivateKey {
    curve: &'static Curve,
    d: BigUint,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("PrivateKey").field("curve", &self.curve.name).field("d", &"<redacted>").finish()
    }
}

/// A public key Q = d · P.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    curve: &'static Curve,
    point: Point,
}

impl PrivateKey {
    pub fn from_scalar(curve: &'static Curve, d: BigUint) -> Result<PrivateKey, KeyError> {
        if d.is_zero() || d >= curve.q {
            return Err(KeyError::PrivateKeyOutOfRange(curve.name));
        }
        Ok(PrivateKey { curve, d })
    }

    /// Reads the 32-byte little-endian form of PKCS#8 GOST keys and raw key files.
    pub fn from_le_bytes(curve: &'static Curve, bytes: &[u8]) -> Result<PrivateKey, KeyError> {
        if bytes.len() != SCALAR_LENGTH {
            return Err(KeyError::PrivateKeyLength(bytes.len()));
        }
        PrivateKey::from_scalar(curve, BigUint::from_bytes_le(bytes))
    }

    /// Generates a random key with the thread's cryptographic random generator.
    pub fn generate(curve: &'static Curve) -> PrivateKey {
        PrivateKey { curve, d: random_scalar(curve) }
    }

    pub fn to_le_bytes(&self) -> [u8; SCALAR_LENGTH] {
        let mut bytes = to_be_32(&self.d);
        bytes.reverse();
        bytes
    }

    pub fn curve(&self) -> &'static Curve {
        self.curve
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey { curve: self.curve, point: self.curve.multiply(&self.d, &self.curve.base) }
    }

    /// Signs the Streebog-256 digest of `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.sign_digest(&streebog256(message))
    }

    /// Signs a 32-byte digest with a fresh random nonce k.
    pub fn sign_digest(&self, digest: &[u8; SCALAR_LENGTH]) -> Signature {
        let e = digest_to_integer(digest);
        loop {
            let k = random_scalar(self.curve);
            if let Some(signature) = self.sign_with_nonce(&e, &k) {
                return signature;
            }
        }
    }

    /// Computes the signature of the integer `e` with nonce `k` (RFC 7091). Returns None when r or s is 0, and the caller then picks another k.
    pub(crate) fn sign_with_nonce(&self, e: &BigUint, k: &BigUint) -> Option<Signature> {
        let q = &self.curve.q;
        let mut e = e % q;
        if e.is_zero() {
            e = BigUint::one();
        }
        let Point::Affine { x, .. } = self.curve.multiply(k, &self.curve.base) else {
            return None;
        };
        let r = x % q;
        if r.is_zero() {
            return None;
        }
        let s = (&r * &self.d + k * &e) % q;
        if s.is_zero() {
            return None;
        }
        Some(Signature { r, s })
    }
}

impl PublicKey {
    /// Reads the 64-byte form of X.509 GOST public keys (RFC 9215): x, then y, each 32 bytes
    /// little-endian. Rejects a point that is not of order q on `curve`.
    pub fn from_le_bytes(curve: &'static Curve, bytes: &[u8]) -> Result<PublicKey, KeyError> {
        if bytes.len() != 2 * SCALAR_LENGTH {
            return Err(KeyError::PublicKeyLength(bytes.len()));
        }
        let point = Point::Affine { x: BigUint::from_bytes_le(&bytes[..SCALAR_LENGTH]), y: BigUint::from_bytes_le(&bytes[SCALAR_LENGTH..]) };
        if !curve.is_valid_public_point(&point) {
            return Err(KeyError::PublicKeyNotOnCurve(curve.name));
        }
        Ok(PublicKey { curve, point })
    }

    /// Writes the form that [`from_le_bytes`](Self::from_le_bytes) reads.
    pub fn to_le_bytes(&self) -> [u8; 2 * SCALAR_LENGTH] {
        let Point::Affine { x, y } = &self.point else {
            unreachable!("a public key is never the point at infinity");
        };
        let mut bytes = [0u8; 2 * SCALAR_LENGTH];
        for (target, coordinate) in [(0, x), (SCALAR_LENGTH, y)] {
            let mut le = to_be_32(coordinate);
            le.reverse();
            bytes[target..target + SCALAR_LENGTH].copy_from_slice(&le);
        }
        bytes
    }

    pub fn curve(&self) -> &'static Curve {
        self.curve
    }

    /// Checks `signature` against the Streebog-256 digest of `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.verify_digest(&streebog256(message), signature)
    }

    pub fn verify_digest(&self, digest: &[u8; SCALAR_LENGTH], signature: &Signature) -> bool {
        self.verify_integer(&digest_to_integer(digest), signature)
    }

    /// Checks a signature of the integer `e` (RFC 7091).
    pub(crate) fn verify_integer(&self, e: &BigUint, signature: &Signature) -> bool {
        let q = &self.curve.q;
        let Signature { r, s } = signature;
        if r.is_zero() || s.is_zero() || r >= q || s >= q {
            return false;
        }
        let mut e = e % q;
        if e.is_zero() {
            e = BigUint::one();
        }
        let Some(v) = e.modinv(q) else {
            return false;
        };
        let z1 = (s * &v) % q;
        let z2 = ((q - r) * &v) % q;
        let point = self.curve.add(&self.curve.multiply(&z1, &self.curve.base), &self.curve.multiply(&z2, &self.point));
        match point {
            Point::Affine { x, .. } => &(x % q) == r,
            Point::Infinity => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::tests::test_curve;
    use crate::curve::{CRYPTO_PRO_A, TC26_256_A};

    fn hex_number(hex: &str) -> BigUint {
        BigUint::parse_bytes(hex.as_bytes(), 16).expect("hexadecimal")
    }

    /// RFC 7091, appendix A.1: key d, digest integer e, nonce k and the expected Q, r and s.
    #[test]
    fn rfc_7091_example_reproduced() {
        let curve: &'static Curve = Box::leak(Box::new(test_curve()));
        let key = PrivateKey::from_scalar(curve, hex_number("7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28")).expect("d is in range");
        let e = hex_number("2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5");
        let k = hex_number("77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3");

        let public = key.public_key();
        let expected_q = Point::Affine {
            x: hex_number("7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B"),
            y: hex_number("26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA"),
        };
        assert_eq!(public.point, expected_q, "public key Q = d · P");

        let signature = key.sign_with_nonce(&e, &k).expect("the example's k gives a signature");
        assert_eq!(signature.r, hex_number("41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493"), "r");
        assert_eq!(signature.s, hex_number("01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40"), "s");

        assert!(public.verify_integer(&e, &signature), "the example's signature does not verify");
        assert!(!public.verify_integer(&(&e + 1u8), &signature), "a signature of another digest verified");
        let changed_r = Signature { r: &signature.r + 1u8, s: signature.s.clone() };
        assert!(!public.verify_integer(&e, &changed_r), "a changed r verified");
        let changed_s = Signature { r: signature.r.clone(), s: &signature.s - 1u8 };
        assert!(!public.verify_integer(&e, &changed_s), "a changed s verified");
    }

    /// RFC 6986, test message M1: 63 ASCII digits, and its 256-bit hash. The RFC
    /// writes both most significant byte first, so the bytes here are reversed.
    #[test]
    fn streebog256_matches_rfc_6986_m1() {
        let m1 = b"012345678901234567890123456789012345678901234567890123456789012";
        let mut expected = hex::decode("00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d").expect("hex");
        expected.reverse();
        assert_eq!(streebog256(m1).as_slice(), expected.as_slice());
    }

    #[test]
    fn sign_and_verify_on_esia_curves() {
        for curve in [&*CRYPTO_PRO_A, &*TC26_256_A] {
            let key = PrivateKey::generate(curve);
            let public = key.public_key();
            let message = b"openid1970.01.01 00:00:00 +0300client-id0d5a1a4e-0b0b-4c4c-8d8d-123456789abc";
            let signature = key.sign(message);
            assert!(public.verify(message, &signature), "{}: own signature rejected", curve.name);
            assert!(!public.verify(b"another message", &signature), "{}: a changed message verified", curve.name);
            let other = PrivateKey::generate(curve).public_key();
            assert!(!other.verify(message, &signature), "{}: another key verified the signature", curve.name);
        }
    }

    #[test]
    fn signature_byte_forms_round_trip() {
        let key = PrivateKey::generate(&TC26_256_A);
        let signature = key.sign(b"message");
        let bytes = signature.to_bytes();
        assert_eq!(BigUint::from_bytes_be(&bytes[..32]), signature.s, "the form starts with s, big-endian");
        assert_eq!(BigUint::from_bytes_be(&bytes[32..]), signature.r, "the form ends with r, big-endian");
        assert_eq!(Signature::from_bytes(&bytes), Some(signature));
        assert_eq!(Signature::from_bytes(&bytes[1..]), None, "a short signature was decoded");
    }

    #[test]
    fn key_byte_forms_round_trip() {
        let key = PrivateKey::generate(&CRYPTO_PRO_A);
        let again = PrivateKey::from_le_bytes(&CRYPTO_PRO_A, &key.to_le_bytes()).expect("the key reads back");
        assert_eq!(again.d, key.d);
        let public = key.public_key();
        assert_eq!(PublicKey::from_le_bytes(&CRYPTO_PRO_A, &public.to_le_bytes()), Ok(public.clone()));

        let mut off_curve = public.to_le_bytes();
        off_curve[40] ^= 1;
        assert_eq!(PublicKey::from_le_bytes(&CRYPTO_PRO_A, &off_curve), Err(KeyError::PublicKeyNotOnCurve(CRYPTO_PRO_A.name)));
        assert_eq!(PrivateKey::from_le_bytes(&CRYPTO_PRO_A, &[0u8; 32]).err(), Some(KeyError::PrivateKeyOutOfRange(CRYPTO_PRO_A.name)));
        assert_eq!(PrivateKey::from_le_bytes(&CRYPTO_PRO_A, &[1u8; 31]).err(), Some(KeyError::PrivateKeyLength(31)));
    }
}
