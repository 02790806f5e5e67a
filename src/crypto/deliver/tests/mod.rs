//! Unit tests for data-key delivery: the standard vector, round trips, the encoding
//! edge cases, and every refusal. Interop with other implementations lives in
//! `tests/delivery_interop.rs`; the published vectors in `tests/vectors.rs`.
//!
//! This module holds the keys, the Annex C constants and the helpers every group of
//! tests shares; the tests themselves are in the submodules, one per topic.

mod algorithms;
mod cache;
mod keys;
mod sm2_der;
mod vectors;

use super::*;
use crate::crypto::keyfile::pem_encode;
use crate::crypto::sm2::Ciphertext;
use der::asn1::{BitStringRef, ObjectIdentifier as Oid};
use der::{Decode, Encode};
use rand_chacha::rand_core::SeedableRng;
use rand_core::{CryptoRng, RngCore};
use rsa::pkcs8::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use std::sync::Arc;

const RSA2048_PKCS8: &str = include_str!("../testdata/rsa2048.pkcs8");
const RSA2048_PKCS1: &str = include_str!("../testdata/rsa2048.pkcs1");
const RSA2048_PUB: &str = include_str!("../testdata/rsa2048.pub");
const RSA2048_PKCS1_PUB: &str = include_str!("../testdata/rsa2048.pkcs1pub");
const RSA1024_PUB: &str = include_str!("../testdata/rsa1024.pub");
const RSA_PSS_PUB: &str = include_str!("../testdata/rsa-pss.pub");
const P256_PUB: &str = include_str!("../testdata/p256.pub");
const ED25519_PUB: &str = include_str!("../testdata/ed25519.pub");
const CERT: &str = include_str!("../testdata/cert.pem");
/// `openssl genpkey -algorithm SM2` and its `-pubout`.
const SM2_PKCS8: &str = include_str!("../testdata/sm2.pem");
const SM2_PUB: &str = include_str!("../testdata/sm2.pub");
/// The same key through `openssl ec`: SEC1 under the label `SM2 PRIVATE KEY`.
const SM2_SEC1: &str = include_str!("../testdata/sm2ec.pem");
/// `openssl ecparam -name SM2 -genkey`: an `SM2 PARAMETERS` block, then PKCS#8.
const SM2_WITH_PARAMS: &str = include_str!("../testdata/sm2-with-params.pem");

// GM/T 0003.5-2012 Annex C (the standard's worked example; also in OpenSSL's sm2_internal_test.c).
const ANNEX_D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const ANNEX_P: &str = "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020\
                       CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
const ANNEX_K: &str = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";
const ANNEX_M: &[u8] = b"encryption standard";
const ANNEX_C1: &str = "0404EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73\
                        E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0";
const ANNEX_C3: &str = "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766";
const ANNEX_C2: &str = "21886CA989CA9C7D58087307CA93092D651EFA";
const ANNEX_DER: &str = "307C022004EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E14\
                         9A73022100E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E\
                         124DF0042059983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0\
                         BD8766041321886CA989CA9C7D58087307CA93092D651EFA";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// An "RNG" that replays fixed bytes: how a known k reaches the encryption.
struct Replay(Vec<u8>, usize);

impl RngCore for Replay {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(self.1 + dest.len() <= self.0.len(), "replay ran dry");
        dest.copy_from_slice(&self.0[self.1..self.1 + dest.len()]);
        self.1 += dest.len();
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for Replay {}

fn spki_pem(alg_oid: Oid, params: Option<der::AnyRef<'_>>, key: &[u8]) -> String {
    let info = SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: alg_oid,
            parameters: params,
        },
        subject_public_key: BitStringRef::from_bytes(key).unwrap(),
    };
    pem_encode("PUBLIC KEY", &info.to_der().unwrap())
}

fn sm2_oid_any() -> Vec<u8> {
    keyfile::OID_SM2.to_der().unwrap()
}

fn sm2_spki_pem(point: &[u8]) -> String {
    let params = sm2_oid_any();
    spki_pem(
        keyfile::OID_EC_PUBLIC_KEY,
        Some(der::AnyRef::from_der(&params).unwrap()),
        point,
    )
}

fn sm2_private_pem(d: &::sm2::SecretKey) -> String {
    use rsa::pkcs8::EncodePrivateKey;
    pem_encode("PRIVATE KEY", d.to_pkcs8_der().unwrap().as_bytes())
}

fn annex_keys() -> (RecipientKey, String) {
    let d = ::sm2::SecretKey::from_slice(&h(ANNEX_D)).unwrap();
    assert_eq!(
        d.public_key().to_sec1_bytes().as_ref(),
        h(ANNEX_P).as_slice(),
        "d and P of Annex C belong together"
    );
    let key = parse_public_key(&sm2_spki_pem(&h(ANNEX_P))).unwrap();
    (key, sm2_private_pem(&d))
}

fn seeded(seed: u64) -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::seed_from_u64(seed)
}

fn fresh_sm2(rng: &mut rand_chacha::ChaCha20Rng) -> (RecipientKey, String) {
    let d = ::sm2::SecretKey::random(rng);
    let key = RecipientKey::Sm2(d.public_key());
    (key, sm2_private_pem(&d))
}

fn assert_says(e: &DeliveryError, words: &[&str]) {
    for w in words {
        assert!(e.message.contains(w), "{e}\n  should mention {w:?}");
    }
}
