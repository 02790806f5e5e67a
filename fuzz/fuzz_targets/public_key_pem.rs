//! EncryptionPublicKey parsing (`deliver::parse_public_key`): the PEM reader on arbitrary
//! text, and the DER parsers (SPKI for SM2 and RSA, PKCS#1 `RSA PUBLIC KEY`) on
//! arbitrary bytes wrapped in a well-formed PEM block, so that fuzzing reaches past the
//! base64. Never panics, and a key that is accepted can be delivered to: `check` passes
//! for every algorithm of its family and `deliver` encrypts a 16-byte data key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::crypto::deliver::{self, Algorithm, RecipientKey};
use smkms::crypto::keyfile::pem_encode;

fn accepted(key: RecipientKey) {
    let family: &[Algorithm] = match key {
        RecipientKey::Sm2(_) => &[Algorithm::Sm2, Algorithm::Sm2C1C3C2Asn1],
        RecipientKey::Rsa(_) => &[
            Algorithm::RsaPkcs1V15,
            Algorithm::RsaOaepSha1,
            Algorithm::RsaOaepSha256,
        ],
    };
    for &alg in family {
        deliver::check(&key, alg, 16).expect("an accepted key carries 16 bytes");
    }
    let ct = deliver::deliver(&key, family[0], &[7; 16]).expect("an accepted key delivers");
    assert!(!ct.is_empty());
    let _ = key.describe();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = deliver::parse_public_key(text) {
            accepted(key);
        }
    }
    for label in ["PUBLIC KEY", "RSA PUBLIC KEY"] {
        if let Ok(key) = deliver::parse_public_key(&pem_encode(label, data)) {
            accepted(key);
        }
    }
});
