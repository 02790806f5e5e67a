//! The wrapped key material of ImportKeyMaterial (`crypto::import::unwrap`): RSA-2048
//! PKCS#1 v1.5, OAEP-SHA-1, OAEP-SHA-256 and SM2 (GM/T 0009 ASN.1) blobs opened with
//! fixed wrapping keys. The first byte picks the algorithm, the rest is the blob.
//!
//! Never panics; every failure is the one opaque `DecryptFailed`; a blob under an
//! algorithm that does not fit the key is always refused; whatever does unwrap
//! (seeds made with openssl) unwraps the same way twice.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::crypto::asym::{AsymmetricSpec, PrivateKey};
use smkms::crypto::import::{unwrap, WrappingAlgorithm};
use std::sync::OnceLock;

/// The repository's RSA-2048 test key and the GM/T 0003.5 Annex C SM2 key, so that
/// seeds wrapped to them (fuzz/seeds/import_blob) unwrap.
const RSA_KEY: &str = include_str!("../../src/crypto/deliver/testdata/rsa2048.pkcs8");
const SM2_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgOUUgj3shRLE/NuOK
xtOflYiTk2koYLUaQvuB7033xbihRANCAAQJ+d8xHlQhoVDdfRYeS8XGchefrRgz
/AdrsI/zVvNQIMzqSQziZ3WlLcbqcYzBqmAK7QX7814ISmYy9gctqa0T
-----END PRIVATE KEY-----
";

fn der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    smkms::b64::decode(body).expect("a PEM test key")
}

fn keys() -> &'static (PrivateKey, PrivateKey) {
    static KEYS: OnceLock<(PrivateKey, PrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        (
            PrivateKey::from_der(AsymmetricSpec::Rsa2048, &der(RSA_KEY)).unwrap(),
            PrivateKey::from_der(AsymmetricSpec::Sm2, &der(SM2_KEY)).unwrap(),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, blob)) = data.split_first() else {
        return;
    };
    let alg = WrappingAlgorithm::ALL[pick as usize % WrappingAlgorithm::ALL.len()];
    let (rsa, sm2) = keys();
    let (fits, other) = if alg == WrappingAlgorithm::Sm2Encrypt {
        (sm2, rsa)
    } else {
        (rsa, sm2)
    };
    assert!(unwrap(other, alg, blob).is_err(), "a key of another spec");
    let first = unwrap(fits, alg, blob).map(|m| m.expose().to_vec());
    let second = unwrap(fits, alg, blob).map(|m| m.expose().to_vec());
    assert_eq!(first, second, "unwrapping is a function of the blob");
});
