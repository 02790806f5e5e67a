//! SM2DSA / ECDSA signature DER (`crypto::asym::sig`) and what VerifyByAsymmetricKey
//! does with arbitrary signature bytes (`PublicKey::verify`) for every algorithm.
//!
//! Never panics. A decoded signature is canonical DER: encoding it again reproduces the
//! input exactly (anything else means a BER form or trailing bytes got through). A
//! signature that verifies is one the strict decoder accepts. The keys are fixed: the
//! GB/T 32918.5 Annex A SM2 key (test-vectors/sm2_signature_test.json's first group,
//! so its seeds include a valid signature of "message digest") and keys derived once
//! for P-256 and RSA-2048.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::crypto::asym::{sig, AsymmetricSpec, Message, PrivateKey, PublicKey, SignAlgorithm};
use std::sync::OnceLock;

const ANNEX_A_KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgOUUgj3shRLE/NuOKxtOflYiTk2koYLUaQvuB7033xbihRANCAAQJ+d8xHlQhoVDdfRYeS8XGchefrRgz/AdrsI/zVvNQIMzqSQziZ3WlLcbqcYzBqmAK7QX7814ISmYy9gctqa0T";

fn keys() -> &'static [(SignAlgorithm, PublicKey)] {
    static KEYS: OnceLock<Vec<(SignAlgorithm, PublicKey)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let der = smkms::b64::decode(ANNEX_A_KEY).unwrap();
        let sm2 = PrivateKey::from_der(AsymmetricSpec::Sm2, &der).unwrap();
        let p256 = PrivateKey::generate(AsymmetricSpec::EccP256);
        let rsa = PrivateKey::generate(AsymmetricSpec::Rsa2048).public_key();
        vec![
            (SignAlgorithm::Sm2Dsa, sm2.public_key()),
            (SignAlgorithm::EccP256R1, p256.public_key()),
            (SignAlgorithm::RsaPssSha256, rsa.clone()),
            (SignAlgorithm::RsaPkcs1Sha256, rsa),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let decoded = sig::decode(data);
    if let Some(rs) = &decoded {
        let (r, s) = rs.split_at(32);
        let again = sig::encode(r.try_into().unwrap(), s.try_into().unwrap());
        assert_eq!(again, data, "decode → encode is not the identity");
    }
    let digest = [0x5au8; 32];
    for (alg, key) in keys() {
        for msg in [Message::Raw(b"message digest"), Message::Digest(&digest)] {
            let ok = key.verify(*alg, msg, data);
            if ok && matches!(alg, SignAlgorithm::Sm2Dsa | SignAlgorithm::EccP256R1) {
                assert!(decoded.is_some(), "a signature verified that is not DER");
            }
        }
    }
});
