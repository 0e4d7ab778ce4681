//! Cross-checks with OpenSSL and its GOST engine (Debian package `libengine-gost-openssl`):
//! OpenSSL verifies this crate's detached CMS signatures, certificates and JWT signatures, and
//! signs with this crate's PKCS#8 keys in forms this crate verifies.

use std::path::Path;
use std::process::Command;

use chrono::{Duration, Utc};
use pomoshnik_gost::certificate::{pem_encode, private_key_to_pkcs8};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pomoshnik_gost::{CRYPTO_PRO_A, Certificate, Curve, PrivateKey, TC26_256_A, cms, jwt};

/// Runs `openssl` with the GOST engine loaded and returns its status and combined output.
fn openssl(directory: &Path, arguments: &[&str]) -> (bool, String) {
    let output = Command::new("openssl")
        .args(arguments)
        .current_dir(directory)
        .env("OPENSSL_CONF", directory.join("openssl.cnf"))
        .output()
        .expect("openssl is missing: install openssl and libengine-gost-openssl (bash .ci/run does)");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// Writes an OpenSSL configuration that loads the GOST engine, the way the Debian package's
/// README describes it.
fn write_engine_config(directory: &Path) {
    let config = "openssl_conf = openssl_def\n[openssl_def]\nengines = engine_section\n[engine_section]\ngost = gost_section\n[gost_section]\nengine_id = gost\ndefault_algorithms = ALL\n";
    std::fs::write(directory.join("openssl.cnf"), config).expect("failed to write openssl.cnf");
}

fn signer(curve: &'static Curve) -> (PrivateKey, Certificate) {
    let key = PrivateKey::generate(curve);
    let now = Utc::now();
    let certificate = Certificate::self_signed(&key, "pomoshnik openssl check", 5, now - Duration::days(1), now + Duration::days(30));
    (key, certificate)
}

#[test]
fn openssl_verifies_cms_signature() {
    for curve in [&*CRYPTO_PRO_A, &*TC26_256_A] {
        let directory = tempfile::tempdir().expect("failed to create a temporary directory");
        let path = directory.path();
        write_engine_config(path);
        let (key, certificate) = signer(curve);
        let content = "openid2026.12.05 12:00:00 +0300pomoshnik-esia8e1c2b52-9d35-4a8f-bb2f-7d6fbd0b1f3e";
        std::fs::write(path.join("content.txt"), content).expect("write content");
        std::fs::write(path.join("client.pem"), certificate.to_pem()).expect("write certificate");
        std::fs::write(path.join("signature.der"), cms::sign_detached(content.as_bytes(), &key, &certificate, Utc::now())).expect("write signature");

        let (verified, output) =
            openssl(path, &["cms", "-verify", "-binary", "-inform", "DER", "-in", "signature.der", "-content", "content.txt", "-CAfile", "client.pem", "-out", "/dev/null"]);
        assert!(verified, "{}: openssl rejected the CMS signature: {output}", curve.name);

        std::fs::write(path.join("changed.txt"), format!("{content}x")).expect("write changed content");
        let (changed_verified, _) =
            openssl(path, &["cms", "-verify", "-binary", "-inform", "DER", "-in", "signature.der", "-content", "changed.txt", "-CAfile", "client.pem", "-out", "/dev/null"]);
        assert!(!changed_verified, "{}: openssl accepted the signature for changed content", curve.name);

        let mut corrupted = cms::sign_detached(content.as_bytes(), &key, &certificate, Utc::now());
        let last = corrupted.len() - 1;
        corrupted[last] ^= 0x01;
        std::fs::write(path.join("corrupted.der"), corrupted).expect("write corrupted signature");
        let (corrupted_verified, _) =
            openssl(path, &["cms", "-verify", "-binary", "-inform", "DER", "-in", "corrupted.der", "-content", "content.txt", "-CAfile", "client.pem", "-out", "/dev/null"]);
        assert!(!corrupted_verified, "{}: openssl accepted a corrupted signature value", curve.name);
    }
}

#[test]
fn openssl_signs_with_our_key() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let path = directory.path();
    write_engine_config(path);
    let (key, certificate) = signer(&TC26_256_A);
    std::fs::write(path.join("client.key"), pem_encode("PRIVATE KEY", &private_key_to_pkcs8(&key))).expect("write key");
    std::fs::write(path.join("client.pem"), certificate.to_pem()).expect("write certificate");
    std::fs::write(path.join("content.txt"), "content signed by openssl").expect("write content");

    let (signed, output) = openssl(
        path,
        &["cms", "-sign", "-binary", "-md", "md_gost12_256", "-signer", "client.pem", "-inkey", "client.key", "-in", "content.txt", "-outform", "DER", "-out", "signature.der"],
    );
    assert!(signed, "openssl failed to sign with the PKCS#8 key: {output}");

    let signature = std::fs::read(path.join("signature.der")).expect("read signature");
    let verified = cms::verify_detached(&signature, b"content signed by openssl", &certificate);
    assert!(verified.is_ok(), "openssl's signature does not verify here: {verified:?}");
}

/// OpenSSL verifies a JWT signature of this crate as a raw GOST signature of the signing input,
/// and this crate verifies a token whose signature OpenSSL made.
#[test]
fn openssl_agrees_on_jwt_signatures() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let path = directory.path();
    write_engine_config(path);
    let (key, certificate) = signer(&CRYPTO_PRO_A);
    std::fs::write(path.join("client.pem"), certificate.to_pem()).expect("write certificate");
    std::fs::write(path.join("client.key"), pem_encode("PRIVATE KEY", &private_key_to_pkcs8(&key))).expect("write key");
    let (extracted, output) = openssl(path, &["x509", "-in", "client.pem", "-pubkey", "-noout", "-out", "public.pem"]);
    assert!(extracted, "openssl could not read the public key of the certificate: {output}");

    let token = jwt::sign(r#"{"alg":"GOST3410_2012_256","typ":"JWT"}"#, r#"{"sub":"1000299353"}"#, &key);
    let (signing_input, signature) = token.rsplit_once('.').expect("a token has three parts");
    std::fs::write(path.join("input.txt"), signing_input).expect("write signing input");
    std::fs::write(path.join("signature.bin"), URL_SAFE_NO_PAD.decode(signature).expect("base64url")).expect("write signature");
    let (verified, output) = openssl(path, &["dgst", "-md_gost12_256", "-verify", "public.pem", "-signature", "signature.bin", "input.txt"]);
    assert!(verified, "openssl rejected the JWT signature: {output}");

    let (signed, output) = openssl(path, &["dgst", "-md_gost12_256", "-sign", "client.key", "-out", "openssl.bin", "input.txt"]);
    assert!(signed, "openssl failed to sign: {output}");
    let openssl_signature = std::fs::read(path.join("openssl.bin")).expect("read openssl's signature");
    let openssl_token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(openssl_signature));
    assert!(jwt::verify(&openssl_token, &key.public_key()).is_ok(), "openssl's JWT signature does not verify here");
}
