//! GOST cryptography for ESIA (Госуслуги): GOST R 34.10-2012 signatures with 256-bit keys,
//! GOST R 34.11-2012 (Streebog-256) digests, and the containers ESIA uses them in: X.509
//! certificates, PKCS#8 keys, detached CMS signatures and JWTs.
//!
//! The curve arithmetic is this crate's own, on `num-bigint`; Streebog comes from RustCrypto's
//! `streebog` crate.
//!
//! Byte order differs between the containers, and this crate uses these forms:
//! - A Streebog digest becomes the integer e of the signature algorithm by reading its 32 bytes
//!   little-endian, as the OpenSSL gost engine does.
//! - Signature values are s then r, each 32 bytes big-endian, in CMS and X.509 (RFC 9215) and in
//!   ESIA's JWTs. OpenSSL's GOST engine uses this form for raw signatures.
//! - X.509 public keys are an OCTET STRING of x then y, each 32 bytes little-endian (RFC 9215).
//! - PKCS#8 private keys and raw key files are 32 bytes little-endian.

pub mod certificate;
pub mod cms;
pub mod curve;
pub mod der;
pub mod jwt;
pub mod signature;

pub use certificate::{Certificate, CertificateError, read_private_key};
pub use curve::{CRYPTO_PRO_A, Curve, Point, TC26_256_A};
pub use signature::{KeyError, PrivateKey, PublicKey, Signature, streebog256};
