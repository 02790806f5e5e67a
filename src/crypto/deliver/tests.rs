//! Unit tests for data-key delivery: the standard vector, round trips, the encoding
//! edge cases, and every refusal. Interop with other implementations lives in
//! `tests/delivery_interop.rs`; the published vectors in `tests/vectors.rs`.

use super::*;
use crate::crypto::keyfile::pem_encode;
use crate::crypto::sm2::Ciphertext;
use der::asn1::{BitStringRef, ObjectIdentifier as Oid};
use der::{Decode, Encode};
use rand_chacha::rand_core::SeedableRng;
use rand_core::{CryptoRng, RngCore};
use rsa::pkcs8::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use std::sync::Arc;

const RSA2048_PKCS8: &str = include_str!("testdata/rsa2048.pkcs8");
const RSA2048_PKCS1: &str = include_str!("testdata/rsa2048.pkcs1");
const RSA2048_PUB: &str = include_str!("testdata/rsa2048.pub");
const RSA2048_PKCS1_PUB: &str = include_str!("testdata/rsa2048.pkcs1pub");
const RSA1024_PUB: &str = include_str!("testdata/rsa1024.pub");
const RSA_PSS_PUB: &str = include_str!("testdata/rsa-pss.pub");
const P256_PUB: &str = include_str!("testdata/p256.pub");
const ED25519_PUB: &str = include_str!("testdata/ed25519.pub");
const CERT: &str = include_str!("testdata/cert.pem");
/// `openssl genpkey -algorithm SM2` and its `-pubout`.
const SM2_PKCS8: &str = include_str!("testdata/sm2.pem");
const SM2_PUB: &str = include_str!("testdata/sm2.pub");
/// The same key through `openssl ec`: SEC1 under the label `SM2 PRIVATE KEY`.
const SM2_SEC1: &str = include_str!("testdata/sm2ec.pem");
/// `openssl ecparam -name SM2 -genkey`: an `SM2 PARAMETERS` block, then PKCS#8.
const SM2_WITH_PARAMS: &str = include_str!("testdata/sm2-with-params.pem");

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

// ---------------------------------------------------------------------------------------
// The standard vector

#[test]
fn annex_c_raw_bit_for_bit() {
    let (key, private) = annex_keys();
    let ct = deliver_with_rng(&key, Algorithm::Sm2, ANNEX_M, &mut Replay(h(ANNEX_K), 0)).unwrap();
    let expected = [h(ANNEX_C1), h(ANNEX_C3), h(ANNEX_C2)].concat();
    assert_eq!(hex::encode_upper(&ct), hex::encode_upper(&expected));
    assert_eq!(
        unwrap(&private, Algorithm::Sm2, &ct).unwrap().expose(),
        ANNEX_M
    );
}

#[test]
fn annex_c_asn1_bit_for_bit() {
    let (key, private) = annex_keys();
    let ct = deliver_with_rng(
        &key,
        Algorithm::Sm2C1C3C2Asn1,
        ANNEX_M,
        &mut Replay(h(ANNEX_K), 0),
    )
    .unwrap();
    assert_eq!(hex::encode_upper(&ct), ANNEX_DER);
    assert_eq!(
        unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &ct)
            .unwrap()
            .expose(),
        ANNEX_M
    );
}

// ---------------------------------------------------------------------------------------
// Round trips

#[test]
fn every_algorithm_round_trips() {
    let mut rng = seeded(1);
    let (sm2_key, sm2_private) = fresh_sm2(&mut rng);
    let sm2_from_pem = parse_public_key(SM2_PUB).unwrap();
    let rsa_key = parse_public_key(RSA2048_PUB).unwrap();
    for alg in Algorithm::ALL {
        for len in [1usize, 16, 32, 64] {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let cases: Vec<(&RecipientKey, &str)> = if alg.is_sm2() {
                vec![(&sm2_key, &sm2_private), (&sm2_from_pem, SM2_PKCS8)]
            } else {
                vec![(&rsa_key, RSA2048_PKCS8)]
            };
            for (key, private) in cases {
                let ct = deliver(key, alg, &msg).unwrap();
                let back = unwrap(private, alg, &ct).unwrap();
                assert_eq!(back.expose(), &msg[..], "{} len {len}", alg.name());
                if alg == Algorithm::Sm2 {
                    assert_eq!(ct.len(), 65 + 32 + len);
                    assert_eq!(ct[0], 0x04);
                }
            }
        }
    }
    // SM2 has no length limit worth the name; 4 KiB is Encrypt's largest plaintext.
    let big = vec![0xa5u8; 4096];
    let ct = deliver(&sm2_key, Algorithm::Sm2C1C3C2Asn1, &big).unwrap();
    assert_eq!(
        unwrap(&sm2_private, Algorithm::Sm2C1C3C2Asn1, &ct)
            .unwrap()
            .expose(),
        &big[..]
    );
}

#[test]
fn private_key_formats_from_openssl_all_unwrap() {
    let key = parse_public_key(SM2_PUB).unwrap();
    for private in [SM2_PKCS8, SM2_SEC1] {
        let ct = deliver(&key, Algorithm::Sm2, b"sixteen byte key").unwrap();
        assert_eq!(
            unwrap(private, Algorithm::Sm2, &ct).unwrap().expose(),
            b"sixteen byte key"
        );
    }
    let other = parse_public_key(SM2_WITH_PARAMS).err().unwrap();
    assert!(other.message.contains("private key"), "{other}");
    // unwrap's reader skips the PARAMETERS block in front of the key.
    let d = match keyfile::parse_private_pem(SM2_WITH_PARAMS).unwrap() {
        keyfile::PrivateKey::Sm2(d) => d,
        k => panic!("{k:?}"),
    };
    let own = RecipientKey::Sm2(d.public_key());
    let ct = deliver(&own, Algorithm::Sm2C1C3C2Asn1, b"k").unwrap();
    assert_eq!(
        unwrap(SM2_WITH_PARAMS, Algorithm::Sm2C1C3C2Asn1, &ct)
            .unwrap()
            .expose(),
        b"k"
    );

    let rsa = parse_public_key(RSA2048_PKCS1_PUB).unwrap();
    assert_eq!(rsa, parse_public_key(RSA2048_PUB).unwrap());
    for private in [RSA2048_PKCS8, RSA2048_PKCS1] {
        let ct = deliver(&rsa, Algorithm::RsaOaepSha256, b"k").unwrap();
        assert_eq!(
            unwrap(private, Algorithm::RsaOaepSha256, &ct)
                .unwrap()
                .expose(),
            b"k"
        );
    }
}

#[test]
fn rsa_paddings_are_not_interchangeable() {
    let rsa = parse_public_key(RSA2048_PUB).unwrap();
    let ct = deliver(&rsa, Algorithm::RsaOaepSha256, b"0123456789abcdef").unwrap();
    assert_eq!(ct.len(), 256);
    for other in [Algorithm::RsaOaepSha1, Algorithm::RsaPkcs1V15] {
        let r = unwrap(RSA2048_PKCS8, other, &ct);
        // PKCS#1 v1.5 may by chance "decrypt" an OAEP block; it must not give the key.
        if let Ok(p) = r {
            assert_ne!(p.expose(), b"0123456789abcdef");
        }
    }
}

// ---------------------------------------------------------------------------------------
// DER edge cases, over hundreds of samples

/// Reads one DER TLV with a definite, minimal length; returns (tag, value, rest).
fn tlv(b: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = b[0];
    let (len, hdr) = match b[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 => {
            assert!(b[2] >= 0x80, "non-minimal length");
            (b[2] as usize, 3)
        }
        0x82 => {
            let n = u16::from_be_bytes([b[2], b[3]]) as usize;
            assert!(n > 0xff, "non-minimal length");
            (n, 4)
        }
        other => panic!("unexpected length byte {other:#x}"),
    };
    (tag, &b[hdr..hdr + len], &b[hdr + len..])
}

#[test]
fn hundreds_of_asn1_samples_are_strict_der() {
    let mut rng = seeded(7);
    let mut seen_leading_zero = false;
    let mut seen_top_bit = false;
    let mut seen_plain = false;
    let keys: Vec<_> = (0..8).map(|_| fresh_sm2(&mut rng)).collect();
    for i in 0..1000 {
        let (key, private) = &keys[i % keys.len()];
        let len = [1, 16, 32, 33, 7][i % 5];
        let mut msg = vec![0u8; len];
        rng.fill_bytes(&mut msg);
        let der = deliver_with_rng(key, Algorithm::Sm2C1C3C2Asn1, &msg, &mut rng).unwrap();
        // The `der` crate's strict decoder...
        let parsed = Ciphertext::from_der(&der).unwrap();
        assert_eq!(parsed.to_der(), der, "DER has one encoding");
        // ...and an independent reading of the bytes.
        let (tag, body, rest) = tlv(&der);
        assert_eq!((tag, rest.len()), (0x30, 0));
        let mut body = body;
        for coord in [&parsed.x1, &parsed.y1] {
            let (tag, value, next) = tlv(body);
            assert_eq!(tag, 0x02);
            let stripped: Vec<u8> = coord.iter().copied().skip_while(|&b| b == 0).collect();
            if coord[0] == 0 && coord[1] < 0x80 {
                seen_leading_zero = true;
                assert!(value.len() < 32, "leading zero stripped");
            }
            if coord[0] & 0x80 != 0 {
                seen_top_bit = true;
                assert_eq!(value.len(), 33);
                assert_eq!(value[0], 0);
            } else if coord[0] != 0 {
                seen_plain = true;
            }
            // Minimal: no 00 unless the next byte has its top bit set.
            assert!(value.len() == 1 || value[0] != 0 || value[1] & 0x80 != 0);
            assert!(value[0] & 0x80 == 0, "never negative");
            let v = if value[0] == 0 && value.len() > 1 {
                &value[1..]
            } else {
                value
            };
            assert_eq!(v, &stripped[..]);
            body = next;
        }
        let (tag, c3, next) = tlv(body);
        assert_eq!((tag, c3.len()), (0x04, 32));
        let (tag, c2, next) = tlv(next);
        assert_eq!((tag, c2.len(), next.len()), (0x04, len, 0));
        assert_eq!(
            unwrap(private, Algorithm::Sm2C1C3C2Asn1, &der)
                .unwrap()
                .expose(),
            &msg[..]
        );
    }
    assert!(
        seen_leading_zero,
        "a coordinate whose INTEGER is shorter than 32 bytes"
    );
    assert!(seen_top_bit, "a coordinate with its top bit set");
    assert!(seen_plain);
}

/// The refusals a strict recipient must make, built from one valid ciphertext.
#[test]
fn malformed_sm2_ciphertexts_are_refused() {
    let mut rng = seeded(11);
    let (key, private) = fresh_sm2(&mut rng);
    let msg = b"0123456789abcdef0123456789abcdef";
    let raw = deliver_with_rng(&key, Algorithm::Sm2, msg, &mut rng).unwrap();
    let ct = Ciphertext::from_raw(&raw).unwrap();
    let der = ct.to_der();
    assert!(unwrap(&private, Algorithm::Sm2, &raw).is_ok());
    assert!(unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &der).is_ok());

    let refused = |alg: Algorithm, bytes: &[u8], what: &str| {
        let e = unwrap(&private, alg, bytes).expect_err(what);
        assert_eq!(e.kind, ErrorKind::DecryptFailed, "{what}");
        assert_eq!(
            e.message,
            format!(
                "does not decrypt under this private key with {}",
                alg.name()
            ),
            "opaque: {what}"
        );
    };
    // raw
    let c1c2c3 = [&raw[..65], &ct.c2[..], &ct.c3[..]].concat();
    refused(Algorithm::Sm2, &c1c2c3, "C1C2C3 order");
    refused(Algorithm::Sm2, &raw[1..], "C1 without 04");
    let mut compressed = raw.clone();
    compressed[0] = 0x02;
    refused(Algorithm::Sm2, &compressed, "another prefix");
    refused(Algorithm::Sm2, &[&raw[..], &[0]].concat(), "trailing byte");
    refused(Algorithm::Sm2, &raw[..raw.len() - 1], "truncated");
    refused(Algorithm::Sm2, &raw[..97], "no C2");
    let mut wrong_c3 = raw.clone();
    wrong_c3[70] ^= 1;
    refused(Algorithm::Sm2, &wrong_c3, "wrong C3");
    let mut wrong_c2 = raw.clone();
    *wrong_c2.last_mut().unwrap() ^= 1;
    refused(Algorithm::Sm2, &wrong_c2, "wrong C2");
    let mut off_curve = raw.clone();
    off_curve[64] ^= 1;
    refused(Algorithm::Sm2, &off_curve, "C1 not on the curve");
    refused(Algorithm::Sm2, &der, "DER given as raw");
    // DER
    refused(Algorithm::Sm2C1C3C2Asn1, &raw, "raw given as DER");
    let swapped = Ciphertext {
        c3: ct.c2[..32].try_into().unwrap(),
        c2: ct.c3.to_vec(),
        ..ct.clone()
    };
    refused(Algorithm::Sm2C1C3C2Asn1, &swapped.to_der(), "C1C2C3 order");
    refused(
        Algorithm::Sm2C1C3C2Asn1,
        &[&der[..], &[0]].concat(),
        "trailing byte",
    );
    refused(
        Algorithm::Sm2C1C3C2Asn1,
        &[&der[..], &der[..]].concat(),
        "two SEQUENCEs",
    );
    let mut bad_c3 = ct.clone();
    bad_c3.c3[0] ^= 1;
    refused(Algorithm::Sm2C1C3C2Asn1, &bad_c3.to_der(), "wrong C3");
    let short_c3 = {
        let mut d = der.clone();
        // OCTET STRING C3 of 31 bytes: rebuild by hand.
        let body = fixed_der(&ct.x1, &ct.y1, &ct.c3[..31], &ct.c2, false);
        d.clear();
        d.extend_from_slice(&body);
        d
    };
    refused(Algorithm::Sm2C1C3C2Asn1, &short_c3, "31-byte C3");
    // Fixed 32-byte INTEGERs: for a coordinate with its top bit set that is a negative
    // INTEGER, for one below 2^247 a non-minimal one. Either way not DER.
    let fixed = fixed_der(&ct.x1, &ct.y1, &ct.c3, &ct.c2, true);
    let differs = |c: &[u8; 32]| (c[0] == 0 && c[1] < 0x80) || c[0] >= 0x80;
    if differs(&ct.x1) || differs(&ct.y1) {
        refused(Algorithm::Sm2C1C3C2Asn1, &fixed, "fixed 32-byte INTEGERs");
    }
    // A long-form length where the short form fits (BER, not DER).
    let mut ber = der.clone();
    assert_eq!(
        ber[1], 0x81,
        "a 32-byte message makes a SEQUENCE of 128 to 255 bytes"
    );
    ber.splice(1..2, [0x82, 0x00]);
    refused(Algorithm::Sm2C1C3C2Asn1, &ber, "long-form length");
}

/// `SEQUENCE { INTEGER x, INTEGER y, OCTET STRING c3, OCTET STRING c2 }` written by
/// hand; with `fixed`, the INTEGERs are the 32 bytes as they are (what some encoders
/// wrongly emit), otherwise DER-minimal.
fn fixed_der(x: &[u8; 32], y: &[u8; 32], c3: &[u8], c2: &[u8], fixed: bool) -> Vec<u8> {
    fn put(out: &mut Vec<u8>, tag: u8, v: &[u8]) {
        out.push(tag);
        match v.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
            n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(v);
    }
    fn int(c: &[u8; 32], fixed: bool) -> Vec<u8> {
        if fixed {
            return c.to_vec();
        }
        let mut v: Vec<u8> = c.iter().copied().skip_while(|&b| b == 0).collect();
        if v.is_empty() || v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        v
    }
    let mut body = Vec::new();
    put(&mut body, 0x02, &int(x, fixed));
    put(&mut body, 0x02, &int(y, fixed));
    put(&mut body, 0x04, c3);
    put(&mut body, 0x04, c2);
    let mut out = Vec::new();
    put(&mut out, 0x30, &body);
    out
}

#[test]
fn fixed_width_integers_are_refused_when_they_differ_from_der() {
    // Search for a ciphertext whose x1 has a leading zero byte: its fixed-width
    // INTEGER is non-minimal. And one whose y1 has its top bit set: without the sign
    // byte it is negative.
    let mut rng = seeded(3);
    let (key, private) = fresh_sm2(&mut rng);
    let (mut zero, mut top) = (false, false);
    for _ in 0..4000 {
        let raw = deliver_with_rng(&key, Algorithm::Sm2, b"k", &mut rng).unwrap();
        let ct = Ciphertext::from_raw(&raw).unwrap();
        let minimal = fixed_der(&ct.x1, &ct.y1, &ct.c3, &ct.c2, false);
        assert_eq!(minimal, ct.to_der(), "our hand DER matches the der crate's");
        let fixed = fixed_der(&ct.x1, &ct.y1, &ct.c3, &ct.c2, true);
        if ct.x1[0] == 0 && ct.x1[1] < 0x80 && !zero {
            zero = true;
            assert!(unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &fixed).is_err());
            assert!(unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &minimal).is_ok());
        }
        if ct.y1[0] & 0x80 != 0 && ct.x1[0] & 0x80 == 0 && ct.x1[0] != 0 && !top {
            top = true;
            assert!(unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &fixed).is_err());
        }
        if zero && top {
            return;
        }
    }
    panic!("no sample with a short x1 in 4000 tries (zero={zero}, top={top})");
}

// ---------------------------------------------------------------------------------------
// Keys we refuse, and the ones we accept in unusual spellings

fn refused_key(pem: &str) -> DeliveryError {
    let e = parse_public_key(pem).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::BadKey, "{e}");
    assert_eq!(e.subject, "EncryptionPublicKey");
    e
}

fn assert_says(e: &DeliveryError, words: &[&str]) {
    for w in words {
        assert!(e.message.contains(w), "{e}\n  should mention {w:?}");
    }
}

#[test]
fn wrong_kinds_of_pem_are_refused_helpfully() {
    for private in [SM2_PKCS8, SM2_SEC1, RSA2048_PKCS8, RSA2048_PKCS1] {
        let e = refused_key(private);
        assert_says(&e, &["is a private key", "send the public key", "-pubout"]);
        assert!(
            !e.message.contains(&private[40..60]),
            "never echoes the key"
        );
    }
    assert_says(&refused_key(CERT), &["certificate", "openssl x509"]);
    assert_says(
        &refused_key(&RSA2048_PUB.replace("PUBLIC KEY", "PUBLIC  KEY")),
        &["PUBLIC  KEY", "expected -----BEGIN PUBLIC KEY-----"],
    );
    assert_says(
        &refused_key(&RSA2048_PUB.replacen(
            "-----END PUBLIC KEY-----",
            "-----END RSA PUBLIC KEY-----",
            1,
        )),
        &["ends with -----END RSA PUBLIC KEY-----"],
    );
    assert_says(
        &refused_key(&format!("{RSA2048_PUB}garbage")),
        &["data after", "exactly one PEM block"],
    );
    assert_says(
        &refused_key(&format!("{RSA2048_PUB}{SM2_PUB}")),
        &["exactly one PEM block"],
    );
    assert_says(
        &refused_key(&format!("my key:\n{RSA2048_PUB}")),
        &["text before"],
    );
    assert_says(&refused_key(""), &["is empty"]);
    assert_says(&refused_key("   \n"), &["is empty"]);
    assert_says(&refused_key("hello"), &["not PEM"]);
    assert_says(
        &refused_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE user@host"),
        &["OpenSSH", "ssh-keygen"],
    );
    assert_says(&refused_key(&RSA2048_PUB.replace('\n', "\\n")), &["\\n"]);
    assert_says(
        &refused_key(&RSA2048_PUB.replacen("MII", "MI*", 1)),
        &["not valid base64"],
    );
    assert_says(
        &refused_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        &["SubjectPublicKeyInfo"],
    );
    assert_says(
        &refused_key(&pem_encode("PUBLIC KEY", &[0x30, 0x00])),
        &["SubjectPublicKeyInfo"],
    );
    // Trailing bytes inside the DER.
    let der = {
        let b = keyfile_body(RSA2048_PUB);
        [b, vec![0]].concat()
    };
    assert_says(
        &refused_key(&pem_encode("PUBLIC KEY", &der)),
        &["SubjectPublicKeyInfo"],
    );
    assert_says(
        &refused_key("-----BEGIN PUBLIC KEY-----\nAAAA\n"),
        &["no -----END PUBLIC KEY----- line"],
    );
}

fn keyfile_body(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[test]
fn wrong_curves_and_algorithms_are_named() {
    assert_says(
        &refused_key(P256_PUB),
        &[
            "P-256",
            "1.2.840.10045.3.1.7",
            "sm2p256v1",
            "openssl genpkey -algorithm SM2",
        ],
    );
    assert_says(&refused_key(ED25519_PUB), &["Ed25519", "1.3.101.112"]);
    assert_says(
        &refused_key(RSA_PSS_PUB),
        &["RSASSA-PSS", "only be used to sign"],
    );
    // An unknown algorithm OID.
    assert_says(
        &refused_key(&spki_pem(Oid::new_unwrap("1.2.3.4"), None, &[1, 2, 3])),
        &["OID 1.2.3.4"],
    );
    // Explicit curve parameters instead of a named curve.
    let explicit = [0x30, 0x03, 0x02, 0x01, 0x01];
    let sm2 = ::sm2::SecretKey::random(&mut seeded(5)).public_key();
    let point = sm2.to_sec1_bytes();
    assert_says(
        &refused_key(&spki_pem(
            keyfile::OID_EC_PUBLIC_KEY,
            Some(der::AnyRef::from_der(&explicit).unwrap()),
            &point,
        )),
        &["spells out its curve parameters"],
    );
    assert_says(
        &refused_key(&spki_pem(keyfile::OID_EC_PUBLIC_KEY, None, &point)),
        &["does not name its curve"],
    );
}

#[test]
fn sm2_points_are_validated() {
    let sm2 = ::sm2::SecretKey::random(&mut seeded(6)).public_key();
    let point = sm2.to_sec1_bytes().to_vec();
    let good = parse_public_key(&sm2_spki_pem(&point)).unwrap();
    assert_eq!(good, RecipientKey::Sm2(sm2));
    // The SM2 OID as the SPKI algorithm, with no, NULL or the same parameters.
    let null = [0x05, 0x00];
    let oid = sm2_oid_any();
    for params in [None, Some(&null[..]), Some(&oid[..])] {
        let pem = spki_pem(
            keyfile::OID_SM2,
            params.map(|p| der::AnyRef::from_der(p).unwrap()),
            &point,
        );
        assert_eq!(parse_public_key(&pem).unwrap(), good);
    }
    let p256 = Oid::new_unwrap("1.2.840.10045.3.1.7").to_der().unwrap();
    assert_says(
        &refused_key(&spki_pem(
            keyfile::OID_SM2,
            Some(der::AnyRef::from_der(&p256).unwrap()),
            &point,
        )),
        &["other than sm2p256v1"],
    );
    // Compressed points are unambiguous and accepted.
    use ::sm2::elliptic_curve::sec1::ToEncodedPoint;
    let compressed = sm2.to_encoded_point(true);
    assert_eq!(
        parse_public_key(&sm2_spki_pem(compressed.as_bytes())).unwrap(),
        good
    );
    let mut off = point.clone();
    off[64] ^= 1;
    assert_says(&refused_key(&sm2_spki_pem(&off)), &["not on the SM2 curve"]);
    assert_says(&refused_key(&sm2_spki_pem(&[0])), &["point at infinity"]);
    assert_says(
        &refused_key(&sm2_spki_pem(&point[1..])),
        &["not an SEC1 point encoding"],
    );
    // The point (0, 0) is not on the curve either.
    let mut zero = vec![0u8; 65];
    zero[0] = 4;
    assert_says(
        &refused_key(&sm2_spki_pem(&zero)),
        &["not on the SM2 curve"],
    );
}

fn rsa_spki(n: &[u8], e: &[u8]) -> String {
    let key = rsa::pkcs1::RsaPublicKey {
        modulus: der::asn1::UintRef::new(n).unwrap(),
        public_exponent: der::asn1::UintRef::new(e).unwrap(),
    };
    let inner = key.to_der().unwrap();
    let null = [0x05, 0x00];
    spki_pem(
        keyfile::OID_RSA_ENCRYPTION,
        Some(der::AnyRef::from_der(&null).unwrap()),
        &inner,
    )
}

#[test]
fn rsa_sizes_and_exponents() {
    assert_says(
        &refused_key(RSA1024_PUB),
        &["RSA key of 1024 bits", "2048 to 4096"],
    );
    let rsa = match parse_public_key(RSA2048_PUB).unwrap() {
        RecipientKey::Rsa(k) => k,
        k => panic!("{k:?}"),
    };
    let n = rsa.modulus().to_vec();
    assert!(parse_public_key(&rsa_spki(&n, &[1, 0, 1])).is_ok());
    assert!(parse_public_key(&rsa_spki(&n, &[3])).is_ok());
    assert_says(
        &refused_key(&rsa_spki(&n, &[1])),
        &["exponent 1", "odd", "65537"],
    );
    assert_says(&refused_key(&rsa_spki(&n, &[4])), &["exponent 4"]);
    assert_says(&refused_key(&rsa_spki(&n, &[2])), &["exponent 2"]);
    assert_says(
        &refused_key(&rsa_spki(&n, &[1, 0, 0, 0, 3])),
        &["exponent 4294967299"],
    );
    assert!(parse_public_key(&rsa_spki(&n, &[1, 0, 0, 0, 1])).is_ok());
    assert_says(&refused_key(&rsa_spki(&n, &[0xff; 16])), &["of 128 bits"]);
    let mut even = n.clone();
    *even.last_mut().unwrap() &= 0xfe;
    assert_says(
        &refused_key(&rsa_spki(&even, &[1, 0, 1])),
        &["even RSA modulus"],
    );
    let mut big = vec![0xffu8; 4096 / 8 + 1];
    big[0] = 1;
    assert_says(
        &refused_key(&rsa_spki(&big, &[1, 0, 1])),
        &["RSA key of 4097 bits"],
    );
    let mut b2047 = n.clone();
    b2047[0] = 0x7f;
    assert_says(
        &refused_key(&rsa_spki(&b2047, &[1, 0, 1])),
        &["RSA key of 2047 bits"],
    );
}

// ---------------------------------------------------------------------------------------
// Algorithm names, mismatch, length

#[test]
fn algorithm_names() {
    assert_eq!(Algorithm::parse(None).unwrap(), Algorithm::Sm2);
    assert_eq!(Algorithm::parse(Some("")).unwrap(), Algorithm::Sm2);
    for a in Algorithm::ALL {
        assert_eq!(Algorithm::parse(Some(a.name())).unwrap(), a);
    }
    let e = Algorithm::parse(Some("sm2_c1c3c2_asn1")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownAlgorithm);
    assert_eq!(e.subject, "EncryptionAlgorithm");
    assert_says(&e, &["case-sensitive", "did you mean SM2_C1C3C2_ASN1?"]);
    let e = Algorithm::parse(Some("RSAES_OAEP_SHA_512")).unwrap_err();
    assert_says(
        &e,
        &[
            "\"RSAES_OAEP_SHA_512\"",
            "SM2, SM2_C1C3C2_ASN1, RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256",
        ],
    );
    assert!(!e.message.contains("did you mean"));
    let long = "x".repeat(10_000);
    assert!(Algorithm::parse(Some(&long)).unwrap_err().message.len() < 400);
}

#[test]
fn algorithm_must_fit_the_key() {
    let sm2 = parse_public_key(SM2_PUB).unwrap();
    let rsa = parse_public_key(RSA2048_PUB).unwrap();
    for alg in Algorithm::ALL {
        let (wrong, right) = if alg.is_sm2() {
            (&rsa, &sm2)
        } else {
            (&sm2, &rsa)
        };
        let e = check(wrong, alg, 16).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Mismatch);
        assert_says(&e, &[alg.name(), "needs"]);
        assert!(deliver(wrong, alg, b"0123456789abcdef").is_err());
        check(right, alg, 16).unwrap();
    }
    let e = check(&rsa, Algorithm::Sm2, 16).unwrap_err();
    assert_eq!(
        e.to_string(),
        "EncryptionAlgorithm SM2 needs an SM2 public key, but EncryptionPublicKey is an \
         RSA public key of 2048 bits; use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 or \
         RSAES_PKCS1_V1_5 with this key, or send an SM2 public key"
    );
    let e = unwrap(SM2_PKCS8, Algorithm::RsaOaepSha1, &[0; 256]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Mismatch);
    let e = unwrap(RSA2048_PKCS8, Algorithm::Sm2, &[0; 256]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Mismatch);
}

#[test]
fn rsa_length_limits() {
    let rsa = parse_public_key(RSA2048_PUB).unwrap();
    for (alg, max) in [
        (Algorithm::RsaPkcs1V15, 245),
        (Algorithm::RsaOaepSha1, 214),
        (Algorithm::RsaOaepSha256, 190),
    ] {
        assert_eq!(max_plaintext(&rsa, alg), Some(max));
        check(&rsa, alg, max).unwrap();
        let e = check(&rsa, alg, max + 1).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLong);
        assert_says(
            &e,
            &[
                &format!("at most {max} bytes"),
                &format!("is {} bytes", max + 1),
            ],
        );
        // Exactly at the limit the bytes really fit, and come back.
        let msg = vec![0x5a; max];
        let ct = deliver(&rsa, alg, &msg).unwrap();
        assert_eq!(unwrap(RSA2048_PKCS8, alg, &ct).unwrap().expose(), &msg[..]);
        assert_eq!(
            deliver(&rsa, alg, &[0; 1024]).unwrap_err().kind,
            ErrorKind::TooLong
        );
    }
    let sm2 = parse_public_key(SM2_PUB).unwrap();
    assert_eq!(max_plaintext(&sm2, Algorithm::Sm2), None);
    check(&sm2, Algorithm::Sm2, 1 << 20).unwrap();
    for key in [&sm2, &rsa] {
        let alg = if key == &sm2 {
            Algorithm::Sm2
        } else {
            Algorithm::RsaPkcs1V15
        };
        assert_eq!(
            check(key, alg, 0).unwrap_err().kind,
            ErrorKind::EmptyPlaintext
        );
    }
}

#[test]
fn private_key_refusals() {
    let e = unwrap(SM2_PUB, Algorithm::Sm2, &[0; 100]).unwrap_err();
    assert_eq!((e.kind, e.subject), (ErrorKind::BadKey, "the private key"));
    assert_says(&e, &["is a public key"]);
    let e = unwrap(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
        Algorithm::Sm2,
        &[0; 100],
    )
    .unwrap_err();
    assert_says(&e, &["encrypted", "openssl pkey"]);
    let e = unwrap(CERT, Algorithm::Sm2, &[0; 100]).unwrap_err();
    assert_says(&e, &["CERTIFICATE"]);
    let e = unwrap("nonsense", Algorithm::Sm2, &[0; 100]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadKey);
}

// ---------------------------------------------------------------------------------------
// The cache

#[test]
fn cache_parses_once_and_stays_bounded() {
    let cache = KeyCache::new(2);
    let a = cache.get_or_parse(SM2_PUB).unwrap();
    let a2 = cache.get_or_parse(SM2_PUB).unwrap();
    assert!(
        Arc::ptr_eq(&a.key, &a2.key),
        "second lookup is the cached key"
    );
    assert_eq!(cache.len(), 1);
    let b = cache.get_or_parse(RSA2048_PUB).unwrap();
    assert_eq!(cache.len(), 2);
    // Use `a` again so `b` is the least recently used, then add a third key.
    let _ = cache.get_or_parse(SM2_PUB).unwrap();
    let c = cache.get_or_parse(RSA2048_PKCS1_PUB).unwrap();
    assert_eq!(cache.len(), 2);
    assert_eq!(c.key(), b.key(), "the same RSA key in PKCS#1 spelling");
    assert!(
        Arc::ptr_eq(&a.key, &cache.get_or_parse(SM2_PUB).unwrap().key),
        "a survived"
    );
    assert!(
        !Arc::ptr_eq(&b.key, &cache.get_or_parse(RSA2048_PUB).unwrap().key),
        "b was evicted"
    );
    // Refusals are answered but not cached.
    assert!(cache.get_or_parse(P256_PUB).is_err());
    assert_eq!(cache.len(), 2);
    assert_eq!(KeyCache::default().capacity, KeyCache::DEFAULT_CAPACITY);
    assert_eq!(KeyCache::default().tables, KeyCache::DEFAULT_TABLES);
}

#[test]
fn cache_is_shared_across_threads() {
    let cache = Arc::new(KeyCache::default());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let r = cache.get_or_parse(SM2_PUB).unwrap();
                    deliver_to(&r, Algorithm::Sm2, b"k").unwrap();
                    cache.get_or_parse(RSA2048_PUB).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.tables(), 1, "one table for the one SM2 key");
    assert!(cache.get_or_parse(SM2_PUB).unwrap().has_table());
}

/// A key seen once gets no table; at its second use it does, and keeps it; RSA keys
/// never get one.
#[test]
fn sm2_tables_come_with_the_second_use() {
    let cache = KeyCache::new(8);
    let first = cache.get_or_parse(SM2_PUB).unwrap();
    assert!(!first.has_table());
    assert_eq!(cache.tables(), 0);
    let second = cache.get_or_parse(SM2_PUB).unwrap();
    assert!(second.has_table());
    let third = cache.get_or_parse(SM2_PUB).unwrap();
    assert!(Arc::ptr_eq(
        second.table.as_ref().unwrap(),
        third.table.as_ref().unwrap()
    ));
    for _ in 0..3 {
        assert!(!cache.get_or_parse(RSA2048_PUB).unwrap().has_table());
    }
    assert_eq!(cache.tables(), 1);
    let off = KeyCache::with_tables(8, 0);
    for _ in 0..3 {
        assert!(!off.get_or_parse(SM2_PUB).unwrap().has_table());
    }
    assert_eq!(off.tables(), 0);
}

/// Under a fixed k, a recipient with a table and one without give the same bytes: the
/// Annex C vector through both, in both encodings, and random keys round trip.
#[test]
fn tables_change_no_byte() {
    let (key, private) = annex_keys();
    let with = Recipient::precomputed(key.clone());
    let without = Recipient::new(key);
    assert!(with.has_table() && !without.has_table());
    for alg in [Algorithm::Sm2, Algorithm::Sm2C1C3C2Asn1] {
        let a = deliver_to_with_rng(&with, alg, ANNEX_M, &mut Replay(h(ANNEX_K), 0)).unwrap();
        let b = deliver_to_with_rng(&without, alg, ANNEX_M, &mut Replay(h(ANNEX_K), 0)).unwrap();
        assert_eq!(a, b);
        assert_eq!(unwrap(&private, alg, &a).unwrap().expose(), ANNEX_M);
    }
    let expected = [h(ANNEX_C1), h(ANNEX_C3), h(ANNEX_C2)].concat();
    let ct = deliver_to_with_rng(&with, Algorithm::Sm2, ANNEX_M, &mut Replay(h(ANNEX_K), 0));
    assert_eq!(ct.unwrap(), expected);
    let mut rng = seeded(21);
    for _ in 0..8 {
        let (key, private) = fresh_sm2(&mut rng);
        let r = Recipient::precomputed(key);
        let ct = deliver_to(&r, Algorithm::Sm2C1C3C2Asn1, b"0123456789abcdef").unwrap();
        assert_eq!(
            unwrap(&private, Algorithm::Sm2C1C3C2Asn1, &ct)
                .unwrap()
                .expose(),
            b"0123456789abcdef"
        );
    }
    // RSA recipients are unaffected by `precomputed`.
    let rsa = Recipient::precomputed(parse_public_key(RSA2048_PUB).unwrap());
    assert!(!rsa.has_table());
    let ct = deliver_to(&rsa, Algorithm::RsaOaepSha256, b"k").unwrap();
    assert_eq!(
        unwrap(RSA2048_PKCS8, Algorithm::RsaOaepSha256, &ct)
            .unwrap()
            .expose(),
        b"k"
    );
}

/// At most `tables` keys hold a table; building one more takes the least recently
/// used holder's, and evicting a key gives its table back.
#[test]
fn table_budget_is_bounded() {
    let mut rng = seeded(22);
    let pems: Vec<String> = (0..5)
        .map(|_| {
            let d = ::sm2::SecretKey::random(&mut rng);
            sm2_spki_pem(d.public_key().to_sec1_bytes().as_ref())
        })
        .collect();
    let cache = KeyCache::with_tables(4, 2);
    for pem in &pems[..3] {
        cache.get_or_parse(pem).unwrap();
        assert!(cache.get_or_parse(pem).unwrap().has_table());
        assert!(cache.tables() <= 2);
    }
    assert_eq!(cache.tables(), 2);
    let holds = |pem: &str| {
        let id: [u8; 32] = sha2::Sha256::digest(pem.as_bytes()).into();
        cache.lock().map[&id].table.is_some()
    };
    assert!(!holds(&pems[0]) && holds(&pems[1]) && holds(&pems[2]));
    // pems[0] lost its table to pems[2]; using it again rebuilds it, taking pems[1]'s.
    assert!(cache.get_or_parse(&pems[0]).unwrap().has_table());
    assert!(holds(&pems[0]) && !holds(&pems[1]) && holds(&pems[2]));
    assert_eq!(cache.tables(), 2);
    // Filling the cache past its capacity evicts keys, tables and all.
    for pem in &pems {
        cache.get_or_parse(pem).unwrap();
    }
    assert_eq!(cache.len(), 4);
    let holders = cache
        .lock()
        .map
        .values()
        .filter(|e| e.table.is_some())
        .count();
    assert_eq!(holders, cache.tables());
    assert!(cache.tables() <= 2);
}
