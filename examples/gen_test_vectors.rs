//! Generates the data-key delivery vectors in `test-vectors/` (schema: its README).
//!
//! ```text
//! cargo run --release --example gen_test_vectors            # rewrite the files
//! cargo run --release --example gen_test_vectors -- --check # fail if they would change
//! ```
//!
//! Every byte is deterministic: keys, messages and the SM2 `k` values come from ChaCha20
//! seeded with fixed strings, so rerunning reproduces the files exactly. This is the
//! only place deterministic randomness meets `deliver_with_rng`; the server calls
//! `deliver`, which uses the OS CSPRNG.
//!
//! The generator checks its own output with the library's `unwrap` (valid cases give
//! `msg`, invalid ones are refused) before writing. That the files are right is
//! established separately: `tests/delivery_interop.rs` decrypts every valid case with
//! each implementation named in the file's `confirmedBy`, and fails if one disagrees.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::Digest;
use sm2::elliptic_curve::sec1::ToEncodedPoint;
use smkms::crypto::deliver::{self, Algorithm, RecipientKey};
use smkms::crypto::keyfile::pem_encode;
use smkms::crypto::sm2::Ciphertext;
use std::path::PathBuf;

const GENERATOR: &str = concat!(
    "smkms ",
    env!("CARGO_PKG_VERSION"),
    " examples/gen_test_vectors.rs v1"
);

fn rng(purpose: &str) -> ChaCha20Rng {
    let seed: [u8; 32] = sha2::Sha256::digest(format!("smkms test vectors: {purpose}")).into();
    ChaCha20Rng::from_seed(seed)
}

/// Replays fixed bytes: how a chosen `k` reaches `deliver_with_rng`, which reads k as
/// 32 big-endian bytes from its RNG (crypto/sm2.rs, `draw_k`).
struct Replay(Vec<u8>, usize);

impl RngCore for Replay {
    fn next_u32(&mut self) -> u32 {
        unimplemented!("SM2 encryption only fills bytes")
    }
    fn next_u64(&mut self) -> u64 {
        unimplemented!("SM2 encryption only fills bytes")
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.copy_from_slice(&self.0[self.1..self.1 + dest.len()]);
        self.1 += dest.len();
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for Replay {}

fn hexs(b: &[u8]) -> String {
    hex::encode(b)
}

// ---------------------------------------------------------------------------------------
// SM2

struct Sm2Key {
    d: sm2::SecretKey,
    private_pem: String,
    key: RecipientKey,
}

impl Sm2Key {
    fn new(d: sm2::SecretKey) -> Self {
        let private_pem = pem_encode("PRIVATE KEY", d.to_pkcs8_der().unwrap().as_bytes());
        let key = RecipientKey::Sm2(d.public_key());
        Sm2Key {
            d,
            private_pem,
            key,
        }
    }

    fn group_json(&self, comment: &str, tests: Vec<Value>) -> Value {
        let public = self.d.public_key();
        json!({
            "type": "Sm2DeliveryDecrypt",
            "comment": comment,
            "curve": "sm2p256v1",
            "privateKeyHex": hexs(&self.d.to_bytes()),
            "publicKeyHex": hexs(public.to_encoded_point(false).as_bytes()),
            "privateKeyPem": self.private_pem,
            "publicKeyPem": pem_encode("PUBLIC KEY", public.to_public_key_der().unwrap().as_bytes()),
            "tests": tests,
        })
    }
}

/// One valid SM2 encryption: key, message and the k that made it.
struct Sm2Case {
    comment: String,
    flags: Vec<&'static str>,
    msg: Vec<u8>,
    k: [u8; 32],
    ct: Ciphertext,
}

fn sm2_case(
    key: &Sm2Key,
    comment: &str,
    flags: &[&'static str],
    msg: Vec<u8>,
    k: [u8; 32],
) -> Sm2Case {
    let raw = deliver::deliver_with_rng(&key.key, Algorithm::Sm2, &msg, &mut Replay(k.to_vec(), 0))
        .unwrap();
    Sm2Case {
        comment: comment.into(),
        flags: flags.to_vec(),
        msg,
        k,
        ct: Ciphertext::from_raw(&raw).unwrap(),
    }
}

/// A k in [1, n−1] whose C1 = [k]G satisfies `pred(x1, y1)`.
fn find_k(rng: &mut ChaCha20Rng, pred: impl Fn(&[u8], &[u8]) -> bool) -> [u8; 32] {
    loop {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        let Some(s) = Option::<sm2::NonZeroScalar>::from(sm2::NonZeroScalar::from_repr(k.into()))
        else {
            continue;
        };
        let c1 = (sm2::ProjectivePoint::GENERATOR * *s)
            .to_affine()
            .to_encoded_point(false);
        if pred(c1.x().unwrap(), c1.y().unwrap()) {
            return k;
        }
    }
}

/// Neither a leading zero byte nor the top bit: DER writes it as exactly 32 bytes.
fn plain(c: &[u8]) -> bool {
    (0x01..0x80).contains(&c[0])
}

fn random_k(rng: &mut ChaCha20Rng) -> [u8; 32] {
    find_k(rng, |_, _| true)
}

fn random_msg(rng: &mut ChaCha20Rng, len: usize) -> Vec<u8> {
    let mut m = vec![0u8; len];
    rng.fill_bytes(&mut m);
    m
}

/// DER written by hand, so the invalid encodings can be made. `fixed` keeps the
/// INTEGERs at 32 bytes as they are; otherwise they are minimal.
fn der_by_hand(parts: &[(u8, Vec<u8>)], long_form_outer: bool) -> Vec<u8> {
    fn put(out: &mut Vec<u8>, tag: u8, v: &[u8]) {
        out.push(tag);
        match v.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
            n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(v);
    }
    let mut body = Vec::new();
    for (tag, v) in parts {
        put(&mut body, *tag, v);
    }
    let mut out = Vec::new();
    if long_form_outer {
        // Non-minimal: a two-byte long form even where fewer bytes would do.
        out.extend_from_slice(&[0x30, 0x82, (body.len() >> 8) as u8, body.len() as u8]);
        out.extend_from_slice(&body);
    } else {
        put(&mut out, 0x30, &body);
    }
    out
}

fn minimal_int(c: &[u8; 32]) -> Vec<u8> {
    let mut v: Vec<u8> = c.iter().copied().skip_while(|&b| b == 0).collect();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    v
}

/// A comment, a flag and a predicate on (x1, y1) that a case's C1 must satisfy.
type Shape = (&'static str, &'static str, fn(&[u8], &[u8]) -> bool);

/// One test before it becomes JSON; `k` is set for valid SM2 cases only.
struct Test {
    comment: String,
    flags: Vec<&'static str>,
    msg: Vec<u8>,
    ct: Vec<u8>,
    k: Option<[u8; 32]>,
}

fn valid_test(alg: Algorithm, c: &Sm2Case) -> Test {
    Test {
        comment: c.comment.clone(),
        flags: c.flags.clone(),
        msg: c.msg.clone(),
        ct: match alg {
            Algorithm::Sm2 => c.ct.to_raw(),
            _ => c.ct.to_der(),
        },
        k: Some(c.k),
    }
}

/// Invalid encodings of a valid case `c` for `alg`.
fn invalid_tests(alg: Algorithm, c: &Sm2Case, what: &str) -> Vec<Test> {
    let ct = &c.ct;
    let mut out: Vec<Test> = Vec::new();
    let mut add = |comment: String, flags: Vec<&'static str>, bytes: Vec<u8>| {
        out.push(Test {
            comment,
            flags,
            msg: c.msg.clone(),
            ct: bytes,
            k: None,
        });
    };
    let raw = ct.to_raw();
    let der = ct.to_der();
    let mut wrong_c3 = ct.clone();
    wrong_c3.c3[31] ^= 0x01;
    let mut off_curve = ct.clone();
    off_curve.y1[31] ^= 0x01;
    if alg == Algorithm::Sm2 {
        add(
            format!("{what}: C1 ‖ C2 ‖ C3 (the order of the 2010 edition)"),
            vec!["C1C2C3"],
            [&raw[..65], &ct.c2[..], &ct.c3[..]].concat(),
        );
        add(
            format!("{what}: C1 without its 04 prefix (as gmssl and sm-crypto emit it)"),
            vec!["Missing04"],
            raw[1..].to_vec(),
        );
        add(
            format!("{what}: a byte appended"),
            vec!["TrailingBytes"],
            [&raw[..], &[0u8][..]].concat(),
        );
        add(
            format!("{what}: last bit of C3 flipped"),
            vec!["WrongC3"],
            wrong_c3.to_raw(),
        );
        let mut c2 = raw.clone();
        *c2.last_mut().unwrap() ^= 0x80;
        add(format!("{what}: a bit of C2 flipped"), vec!["WrongC2"], c2);
        add(
            format!("{what}: C1 not on the curve (y1 changed)"),
            vec!["NotOnCurve"],
            off_curve.to_raw(),
        );
        let mut compressed = vec![0x02 | (ct.y1[31] & 1)];
        compressed.extend_from_slice(&ct.x1);
        compressed.extend_from_slice(&ct.c3);
        compressed.extend_from_slice(&ct.c2);
        add(
            format!("{what}: C1 compressed (02/03 ‖ x1); the format has 04 ‖ x1 ‖ y1 only"),
            vec!["WrongPrefix"],
            compressed,
        );
        add(
            format!("{what}: C2 missing (C1 ‖ C3 only)"),
            vec!["EmptyC2"],
            raw[..97].to_vec(),
        );
        add(
            format!("{what}: the DER encoding, not raw"),
            vec!["WrongEncoding"],
            der.clone(),
        );
    } else {
        let int = |v: &[u8; 32]| (0x02u8, minimal_int(v));
        let oct = |v: &[u8]| (0x04u8, v.to_vec());
        add(
            format!("{what}: SEQUENCE {{ x1, y1, C2, C3 }} (C1C2C3 order)"),
            vec!["C1C2C3"],
            der_by_hand(&[int(&ct.x1), int(&ct.y1), oct(&ct.c2), oct(&ct.c3)], false),
        );
        // Only where the fixed form differs from DER: a coordinate below 2^248 whose
        // DER INTEGER is shorter (non-minimal when kept at 32), or one with its top
        // bit set (negative without the sign byte).
        let mut why = Vec::new();
        for (name, c) in [("x1", &ct.x1), ("y1", &ct.y1)] {
            if c[0] == 0 && c[1] < 0x80 {
                why.push(format!("{name} keeps its leading 00 (non-minimal INTEGER)"));
            }
            if c[0] >= 0x80 {
                why.push(format!("{name} has no 00 sign byte (a negative INTEGER)"));
            }
        }
        if !why.is_empty() {
            let why = why.join("; ");
            add(
                format!("{what}: INTEGERs as fixed 32 bytes: {why}"),
                vec!["FixedWidthInteger"],
                der_by_hand(
                    &[
                        (0x02, ct.x1.to_vec()),
                        (0x02, ct.y1.to_vec()),
                        oct(&ct.c3),
                        oct(&ct.c2),
                    ],
                    false,
                ),
            );
        }
        add(
            format!("{what}: a byte after the SEQUENCE"),
            vec!["TrailingBytes"],
            [&der[..], &[0u8][..]].concat(),
        );
        add(
            format!("{what}: last bit of C3 flipped"),
            vec!["WrongC3"],
            wrong_c3.to_der(),
        );
        add(
            format!("{what}: C1 not on the curve (y1 changed)"),
            vec!["NotOnCurve"],
            off_curve.to_der(),
        );
        add(
            format!("{what}: SEQUENCE length in a non-minimal long form (BER, not DER)"),
            vec!["BerLength"],
            der_by_hand(&[int(&ct.x1), int(&ct.y1), oct(&ct.c3), oct(&ct.c2)], true),
        );
        let mut indefinite = vec![0x30, 0x80];
        indefinite.extend_from_slice(
            &der_by_hand(&[int(&ct.x1), int(&ct.y1), oct(&ct.c3), oct(&ct.c2)], false)[2..],
        );
        indefinite.extend_from_slice(&[0, 0]);
        if der[1] < 0x80 {
            add(
                format!("{what}: SEQUENCE with indefinite length (BER, not DER)"),
                vec!["BerLength"],
                indefinite,
            );
        }
        add(
            format!("{what}: C3 of 31 bytes"),
            vec!["WrongC3Length"],
            der_by_hand(
                &[int(&ct.x1), int(&ct.y1), oct(&ct.c3[..31]), oct(&ct.c2)],
                false,
            ),
        );
        add(
            format!("{what}: the raw C1 ‖ C3 ‖ C2 encoding, not DER"),
            vec!["WrongEncoding"],
            raw.clone(),
        );
    }
    out
}

fn sm2_notes() -> Value {
    json!({
        "AnnexC": "The example of GM/T 0003.5-2012 Annex C (also in OpenSSL's test/sm2_internal_test.c): fixed d and k. x1 begins with 04 and y1 has its top bit set.",
        "MessageSize": "Messages of 1, 16, 32 and 1024 bytes.",
        "LeadingZeroX1": "x1 < 2^247: raw keeps the 32-byte left-padded x1; DER's INTEGER is shorter than 32 bytes. y1 is neither below 2^248 nor above 2^255.",
        "LeadingZeroY1": "y1 < 2^247, likewise (and x1 neither below 2^248 nor above 2^255).",
        "TopBitX1": "x1 ≥ 2^255: DER's INTEGER needs a 00 sign byte (33 bytes). y1 is neither below 2^248 nor above 2^255.",
        "TopBitY1": "y1 ≥ 2^255, likewise (Annex C's y1 is one).",
        "C1C2C3": "The components in the C1 ‖ C2 ‖ C3 order of the 2010 edition of the SM2 standard, which GM/T 0003-2012 replaced with C1 ‖ C3 ‖ C2. Must be refused (C3 does not verify).",
        "Missing04": "C1 without its 04 prefix. Must be refused: never guess from the first byte whether the prefix is there (x1 may begin with 04).",
        "WrongPrefix": "C1 in compressed form. The format is 04 ‖ x1 ‖ y1 only.",
        "TrailingBytes": "Bytes after the ciphertext. In raw form they become part of C2 and C3 fails; in DER they follow the SEQUENCE.",
        "WrongC3": "C3 changed. A decrypter must check C3 (some do not, and return a wrong plaintext).",
        "WrongC2": "C2 changed, so C3 no longer matches.",
        "NotOnCurve": "C1 is not a point on sm2p256v1.",
        "EmptyC2": "No C2: nothing was encrypted.",
        "FixedWidthInteger": "x1/y1 written as fixed 32-byte INTEGERs: non-minimal (leading 00) or negative (top bit set, no sign byte). Not DER; some decoders accept it.",
        "BerLength": "A BER length form (non-minimal long form, or indefinite). Not DER.",
        "WrongC3Length": "C3 must be exactly 32 bytes.",
        "WrongEncoding": "The other of the two encodings.",
    })
}

fn sm2_file(alg: Algorithm) -> Value {
    // Shared by both files: the same keys, messages and k, in two encodings.
    let annex_d = sm2::SecretKey::from_slice(&hex::decode(ANNEX_D).unwrap()).unwrap();
    let annex = Sm2Key::new(annex_d);
    let annex_k: [u8; 32] = hex::decode(ANNEX_K).unwrap().try_into().unwrap();
    let annex_case = sm2_case(
        &annex,
        "GM/T 0003.5-2012 Annex C: M = \"encryption standard\", fixed k",
        &["AnnexC", "TopBitY1"],
        b"encryption standard".to_vec(),
        annex_k,
    );

    let mut r = rng("sm2 keys");
    let key = Sm2Key::new(sm2::SecretKey::random(&mut r));
    let mut r = rng("sm2 messages and k");
    let mut cases = Vec::new();
    for len in [1usize, 16, 32, 1024] {
        let msg = random_msg(&mut r, len);
        let k = random_k(&mut r);
        cases.push(sm2_case(
            &key,
            &format!("{len}-byte message"),
            &["MessageSize"],
            msg,
            k,
        ));
    }
    // Each shape isolates one coordinate: the other is "plain" (neither a leading zero
    // byte nor its top bit set), so a case tests exactly what its flag says.
    let shapes: [Shape; 4] = [
        ("x1 has a leading zero byte", "LeadingZeroX1", |x, y| {
            x[0] == 0 && x[1] < 0x80 && plain(y)
        }),
        ("y1 has a leading zero byte", "LeadingZeroY1", |x, y| {
            y[0] == 0 && y[1] < 0x80 && plain(x)
        }),
        ("x1 has its top bit set", "TopBitX1", |x, y| {
            x[0] >= 0x80 && plain(y)
        }),
        ("y1 has its top bit set", "TopBitY1", |x, y| {
            y[0] >= 0x80 && plain(x)
        }),
    ];

    for (comment, flag, pred) in shapes {
        let msg = random_msg(&mut r, 16);
        let k = find_k(&mut r, pred);
        cases.push(sm2_case(
            &key,
            &format!("16-byte message; {comment}"),
            &[flag],
            msg,
            k,
        ));
    }

    let annex_tests: Vec<Test> = std::iter::once(valid_test(alg, &annex_case))
        .chain(invalid_tests(alg, &annex_case, "Annex C"))
        .collect();
    let mut key_tests: Vec<Test> = cases.iter().map(|c| valid_test(alg, c)).collect();
    key_tests.extend(invalid_tests(alg, &cases[1], "16-byte message"));
    if alg == Algorithm::Sm2C1C3C2Asn1 {
        // The fixed-width INTEGER mistake on a leading-zero x1 (non-minimal), next to
        // Annex C's top-bit y1 (negative).
        let lz = cases
            .iter()
            .find(|c| c.flags.contains(&"LeadingZeroX1"))
            .unwrap();
        key_tests.extend(
            invalid_tests(alg, lz, "x1 with a leading zero byte")
                .into_iter()
                .filter(|t| t.flags.contains(&"FixedWidthInteger")),
        );
    }

    let mut tc = 0;
    let mut groups = Vec::new();
    for (key, comment, tests) in [
        (
            &annex,
            "The key pair of GM/T 0003.5-2012 Annex C",
            annex_tests,
        ),
        (&key, "A generated key pair", key_tests),
    ] {
        let tests: Vec<Value> = tests
            .into_iter()
            .map(
                |Test {
                     comment,
                     flags,
                     msg,
                     ct,
                     k,
                 }| {
                    tc += 1;
                    let valid = k.is_some();
                    self_check(&key.private_pem, alg, &ct, &msg, valid, tc);
                    let mut t = json!({
                        "tcId": tc,
                        "comment": comment,
                        "flags": flags,
                        "msg": hexs(&msg),
                        "ct": hexs(&ct),
                        "result": if valid { "valid" } else { "invalid" },
                    });
                    if let Some(k) = k {
                        t["k"] = json!(hexs(&k));
                    }
                    t
                },
            )
            .collect();
        groups.push(key.group_json(comment, tests));
    }
    let (encoding, confirmed) = if alg == Algorithm::Sm2 {
        (
            "raw C1 ‖ C3 ‖ C2 with C1 = 04 ‖ x1 ‖ y1 (65 bytes), C3 32 bytes, C2 as long as msg",
            json!([
                {"id": "gmssl", "implementation": "Python gmssl 3.2.2", "how": "sm2.CryptSM2(mode=1).decrypt(ct without its 04 prefix); plaintexts compared (gmssl does not check C3)"},
                {"id": "sm-crypto", "implementation": "npm sm-crypto 0.3.13", "how": "sm2.doDecrypt(hex of ct without its 04 prefix, d, 1, {output: 'array'})"},
                {"id": "bouncycastle", "implementation": "BouncyCastle 1.72 (Debian libbcprov-java)", "how": "SM2Engine(SM2Engine.Mode.C1C3C2).processBlock(ct), key from privateKeyPem"},
            ]),
        )
    } else {
        (
            "GM/T 0009 DER: SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3 (32), OCTET STRING C2 }, minimal INTEGERs",
            json!([
                {"id": "openssl", "implementation": "OpenSSL 3.0 CLI", "how": "openssl pkeyutl -decrypt -inkey privateKeyPem"},
                {"id": "bouncycastle", "implementation": "BouncyCastle 1.72 (Debian libbcprov-java)", "how": "ASN1Primitive.fromByteArray, re-encoded as DER and compared, then SM2Engine(Mode.C1C3C2)"},
                {"id": "gmssl", "implementation": "Python gmssl 3.2.2 with pycryptodomex 3.24.2's DER decoder", "how": "DerSequence().decode(ct, strict=True) to x1, y1, C3, C2, then sm2.CryptSM2(mode=1).decrypt(x1 ‖ y1 ‖ C3 ‖ C2); plaintexts compared"},
            ]),
        )
    };
    file_json(alg, tc, encoding, sm2_notes(), confirmed, groups)
}

const ANNEX_D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const ANNEX_K: &str = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";

// ---------------------------------------------------------------------------------------
// RSA

struct RsaKey {
    key: rsa::RsaPrivateKey,
    private_pem: String,
    public: RecipientKey,
}

fn rsa_keys() -> Vec<RsaKey> {
    let mut r = rng("rsa keys");
    [2048usize, 3072, 4096]
        .into_iter()
        .map(|bits| {
            let key = rsa::RsaPrivateKey::new(&mut r, bits).unwrap();
            let private_pem = pem_encode("PRIVATE KEY", key.to_pkcs8_der().unwrap().as_bytes());
            let public = deliver::parse_public_key(&pem_encode(
                "PUBLIC KEY",
                key.to_public_key().to_public_key_der().unwrap().as_bytes(),
            ))
            .unwrap();
            RsaKey {
                key,
                private_pem,
                public,
            }
        })
        .collect()
}

fn rsa_file(alg: Algorithm, keys: &[RsaKey]) -> Value {
    let mut r = rng(&format!("rsa {}", alg.name()));
    let mut tc = 0;
    let mut groups = Vec::new();
    for k in keys {
        let max = deliver::max_plaintext(&k.public, alg).unwrap();
        let mut tests = Vec::new();
        let mut push = |tests: &mut Vec<Value>,
                        comment: String,
                        flags: Vec<&str>,
                        msg: &[u8],
                        ct: &[u8],
                        valid: bool| {
            tc += 1;
            self_check(&k.private_pem, alg, ct, msg, valid, tc);
            tests.push(json!({
                "tcId": tc,
                "comment": comment,
                "flags": flags,
                "msg": hexs(msg),
                "ct": hexs(ct),
                "result": if valid { "valid" } else { "invalid" },
            }));
        };
        let mut first = None;
        for len in [1usize, 16, 32, max] {
            let msg = random_msg(&mut r, len);
            let ct = deliver::deliver_with_rng(&k.public, alg, &msg, &mut r).unwrap();
            let flag = if len == max {
                "MaxLength"
            } else {
                "MessageSize"
            };
            let comment = if len == max {
                format!("{len}-byte message, the most this key carries")
            } else {
                format!("{len}-byte message")
            };
            push(&mut tests, comment, vec![flag], &msg, &ct, true);
            first.get_or_insert((msg, ct));
        }
        let (msg, ct) = first.unwrap();
        let mut flipped = ct.clone();
        *flipped.last_mut().unwrap() ^= 1;
        push(
            &mut tests,
            "last bit of the ciphertext flipped".into(),
            vec!["ModifiedCiphertext"],
            &msg,
            &flipped,
            false,
        );
        push(
            &mut tests,
            "ciphertext one byte short".into(),
            vec!["WrongLength"],
            &msg,
            &ct[1..],
            false,
        );
        let n = k.key.n().to_bytes_be();
        push(
            &mut tests,
            "ciphertext equal to the modulus".into(),
            vec!["CiphertextOutOfRange"],
            &msg,
            &n,
            false,
        );
        let other: Vec<(String, &str, Vec<u8>)> = {
            let public = k.key.to_public_key();
            let mut v = Vec::new();
            let oaep256_mgf1 = public
                .encrypt(
                    &mut r,
                    rsa::Oaep::new_with_mgf_hash::<sha2::Sha256, sha1::Sha1>(),
                    &msg,
                )
                .unwrap();
            let v15 = public.encrypt(&mut r, rsa::Pkcs1v15Encrypt, &msg).unwrap();
            let oaep1 = public
                .encrypt(&mut r, rsa::Oaep::new::<sha1::Sha1>(), &msg)
                .unwrap();
            let oaep256 = public
                .encrypt(&mut r, rsa::Oaep::new::<sha2::Sha256>(), &msg)
                .unwrap();
            if alg != Algorithm::RsaPkcs1V15 {
                v.push((
                    "encrypted with PKCS#1 v1.5 padding".into(),
                    "WrongPadding",
                    v15,
                ));
            }
            if alg != Algorithm::RsaOaepSha1 {
                v.push((
                    "encrypted with OAEP SHA-1/MGF1-SHA-1".into(),
                    "WrongPadding",
                    oaep1,
                ));
            }
            if alg != Algorithm::RsaOaepSha256 {
                v.push((
                    "encrypted with OAEP SHA-256/MGF1-SHA-256".into(),
                    "WrongPadding",
                    oaep256,
                ));
            }
            v.push((
                "encrypted with OAEP SHA-256 but MGF1-SHA-1 (a common JCE default; not what smkms emits)".into(),
                "WrongMgf",
                oaep256_mgf1,
            ));
            v
        };
        for (comment, flag, ct) in other {
            if alg == Algorithm::RsaPkcs1V15 && deliver::unwrap(&k.private_pem, alg, &ct).is_ok() {
                // A v1.5 decoder can by chance find a well-formed block; such a case
                // would teach nothing, so leave it out (deterministically).
                continue;
            }
            push(&mut tests, comment, vec![flag], &msg, &ct, false);
        }
        groups.push(json!({
            "type": "RsaDeliveryDecrypt",
            "keySize": k.key.n().bits(),
            "n": hexs(&n),
            "e": hexs(&k.key.e().to_bytes_be()),
            "padding": if alg == Algorithm::RsaPkcs1V15 { "PKCS1_V1_5" } else { "OAEP" },
            "sha": match alg { Algorithm::RsaOaepSha1 => json!("SHA-1"), Algorithm::RsaOaepSha256 => json!("SHA-256"), _ => Value::Null },
            "mgfSha": match alg { Algorithm::RsaOaepSha1 => json!("SHA-1"), Algorithm::RsaOaepSha256 => json!("SHA-256"), _ => Value::Null },
            "label": if alg == Algorithm::RsaPkcs1V15 { Value::Null } else { json!("") },
            "privateKeyPem": k.private_pem,
            "publicKeyPem": pem_encode("PUBLIC KEY", k.key.to_public_key().to_public_key_der().unwrap().as_bytes()),
            "tests": tests,
        }));
    }
    let encoding = match alg {
        Algorithm::RsaPkcs1V15 => "RSAES-PKCS1-v1_5 (RFC 8017 §7.2); ct is k bytes",
        Algorithm::RsaOaepSha1 => {
            "RSAES-OAEP (RFC 8017 §7.1), SHA-1, MGF1-SHA-1, empty label; ct is k bytes"
        }
        _ => "RSAES-OAEP (RFC 8017 §7.1), SHA-256, MGF1-SHA-256, empty label; ct is k bytes",
    };
    let notes = json!({
        "MessageSize": "Messages of 1, 16 and 32 bytes.",
        "MaxLength": "The longest message the key carries with this padding (k − 11, k − 42 or k − 66 bytes).",
        "ModifiedCiphertext": "A bit of the ciphertext changed.",
        "WrongLength": "The ciphertext is not k bytes long.",
        "CiphertextOutOfRange": "The ciphertext, as an integer, is not below the modulus.",
        "WrongPadding": "A valid ciphertext under another of the delivery paddings.",
        "WrongMgf": "OAEP with SHA-256 but MGF1 with SHA-1, the flavour Java's OAEPWithSHA-256AndMGF1Padding produces by default. smkms never emits it.",
    });
    let confirmed = json!([
        {"id": "openssl", "implementation": "OpenSSL 3.0 CLI", "how": format!("openssl pkeyutl -decrypt {}", match alg {
            Algorithm::RsaPkcs1V15 => "-pkeyopt rsa_padding_mode:pkcs1",
            Algorithm::RsaOaepSha1 => "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1",
            _ => "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256",
        })},
        {"id": "pyca-cryptography", "implementation": "Python cryptography 50.0.2", "how": "private_key.decrypt(ct, PKCS1v15() / OAEP(MGF1(H), H, None))"},
        {"id": "sunjce", "implementation": "Java 17 SunJCE", "how": "Cipher RSA/ECB/PKCS1Padding or RSA/ECB/OAEPPadding with an explicit OAEPParameterSpec(H, MGF1, MGF1ParameterSpec(H), PSpecified.DEFAULT)"},
        {"id": "bouncycastle", "implementation": "BouncyCastle 1.72 (Debian libbcprov-java)", "how": "PKCS1Encoding(RSAEngine) / OAEPEncoding(RSAEngine, H, H, null)"},
    ]);
    file_json(alg, tc, encoding, notes, confirmed, groups)
}

// ---------------------------------------------------------------------------------------

fn self_check(private_pem: &str, alg: Algorithm, ct: &[u8], msg: &[u8], valid: bool, tc: usize) {
    match deliver::unwrap(private_pem, alg, ct) {
        Ok(m) if valid && m.expose() == msg => {}
        Err(_) if !valid => {}
        other => panic!(
            "{} tcId {tc}: valid={valid} but unwrap gave {other:?}",
            alg.name()
        ),
    }
}

fn file_json(
    alg: Algorithm,
    tests: usize,
    encoding: &str,
    notes: Value,
    confirmed: Value,
    groups: Vec<Value>,
) -> Value {
    // Describe only the flags this file uses.
    let used: std::collections::BTreeSet<String> = groups
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter())
        .flat_map(|t| t["flags"].as_array().unwrap().iter())
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let notes: serde_json::Map<String, Value> = notes
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| used.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut header = vec![
        format!("Data-key delivery with EncryptionAlgorithm {}: {encoding}.", alg.name()),
        "Each test is a decryption: with the group's private key, a valid ct decrypts to msg; an invalid ct must be refused (or at least not yield msg).".to_string(),
    ];
    if alg == Algorithm::RsaPkcs1V15 {
        header.push("For invalid cases, a decrypter with implicit rejection (OpenSSL ≥ 3.2 by default) returns a pseudo-random message instead of an error; passing means not returning msg.".into());
    }
    json!({
        "algorithm": alg.name(),
        "schema": "smkms delivery vectors v1 (test-vectors/README.md)",
        "generatorVersion": GENERATOR,
        "numberOfTests": tests,
        "header": header,
        "notes": notes,
        "confirmedBy": confirmed,
        "testGroups": groups,
    })
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors");
    let rsa = rsa_keys();
    let files = [
        ("sm2_delivery_raw_test.json", sm2_file(Algorithm::Sm2)),
        (
            "sm2_delivery_asn1_test.json",
            sm2_file(Algorithm::Sm2C1C3C2Asn1),
        ),
        (
            "rsa_delivery_pkcs1_v1_5_test.json",
            rsa_file(Algorithm::RsaPkcs1V15, &rsa),
        ),
        (
            "rsa_delivery_oaep_sha1_test.json",
            rsa_file(Algorithm::RsaOaepSha1, &rsa),
        ),
        (
            "rsa_delivery_oaep_sha256_test.json",
            rsa_file(Algorithm::RsaOaepSha256, &rsa),
        ),
    ];
    let mut stale = Vec::new();
    for (name, value) in files {
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        let path = dir.join(name);
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(name);
            }
        } else {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, text).unwrap();
            println!(
                "wrote {} ({} tests)",
                path.display(),
                value["numberOfTests"]
            );
        }
    }
    if !stale.is_empty() {
        eprintln!("out of date (rerun without --check): {}", stale.join(", "));
        std::process::exit(1);
    }
}
