//! The SM2 ciphertext decoders `smkms unwrap` uses (`deliver::unwrap`): GM/T 0009 DER
//! (`SM2_C1C3C2_ASN1`, `Ciphertext::from_der`) and raw `C1 ‖ C3 ‖ C2` (`SM2`,
//! `Ciphertext::from_raw`), then `sm2::decrypt` with a fixed key.
//!
//! Never panics. DER is canonical, so decode → encode must reproduce the input exactly
//! (anything else means a non-DER form was accepted); the raw layout has no length
//! fields and must round-trip too. A ciphertext accepted in one encoding converts to
//! the other and back unchanged, and decrypting it never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smkms::crypto::keyfile::{self, PrivateKey};
use smkms::crypto::sm2::{self, Ciphertext};
use std::sync::OnceLock;

/// The GM/T 0003.5-2012 Annex C key pair (also test-vectors/sm2_delivery_*_test.json's
/// first group), so seeds from those files decrypt and fuzzing starts from real
/// ciphertexts. Parsed once: parsing derives the public key, which would dominate.
const ANNEX_C_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgOUUgj3shRLE/NuOK
xtOflYiTk2koYLUaQvuB7033xbihRANCAAQJ+d8xHlQhoVDdfRYeS8XGchefrRgz
/AdrsI/zVvNQIMzqSQziZ3WlLcbqcYzBqmAK7QX7814ISmYy9gctqa0T
-----END PRIVATE KEY-----
";

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| keyfile::parse_private_pem(ANNEX_C_KEY).unwrap())
}

fn decrypt(ct: &Ciphertext) -> Option<Vec<u8>> {
    let PrivateKey::Sm2(d) = key() else {
        unreachable!("an SM2 key")
    };
    sm2::decrypt(d, ct).ok().map(|m| m.expose().to_vec())
}

fn other_encoding_agrees(ct: &Ciphertext, from_der: bool) {
    if from_der {
        let raw = ct.to_raw();
        assert_eq!(
            Ciphertext::from_raw(&raw).as_ref(),
            Ok(ct),
            "DER → raw → parts"
        );
    } else {
        let der = ct.to_der();
        assert_eq!(
            Ciphertext::from_der(&der).as_ref(),
            Ok(ct),
            "raw → DER → parts"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let der = Ciphertext::from_der(data);
    if let Ok(ct) = &der {
        assert_eq!(ct.to_der(), data, "DER decode → encode");
        other_encoding_agrees(ct, true);
    }
    let raw = Ciphertext::from_raw(data);
    if let Ok(ct) = &raw {
        assert_eq!(ct.to_raw(), data, "raw decode → encode");
        other_encoding_agrees(ct, false);
    }
    // Decrypt what was accepted (C1 on the curve, KDF, C3 check): never a panic.
    for ct in [der, raw].into_iter().flatten() {
        let _ = decrypt(&ct);
    }
});
