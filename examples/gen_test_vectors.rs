//! Generates the vectors in `test-vectors/` (schemas: its README): data-key delivery,
//! CiphertextBlob v1, and SM4 / SM4-GCM.
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
//! The generator checks its own output with the library (`unwrap` for delivery, the
//! server's Decrypt steps for blobs, `cmk::open` for SM4-GCM: valid cases give `msg`,
//! invalid ones are refused) before writing. That the files are right is established
//! separately, by each implementation named in a file's `confirmedBy`:
//! `tests/delivery_interop.rs` for the delivery files, `tests/vectors.rs` (through
//! `tests/vectors/confirm.py`) for the CiphertextBlob and SM4 files.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::Digest;
use sm2::elliptic_curve::sec1::ToEncodedPoint;
use smkms::crypto::blob;
use smkms::crypto::cmk::{self, CmkCipher};
use smkms::crypto::context;
use smkms::crypto::deliver::{self, Algorithm, RecipientKey};
use smkms::crypto::keyfile::pem_encode;
use smkms::crypto::secret::SecretBytes;
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
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
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
// CiphertextBlob v1

/// One CMK as a vector group sees it: its cipher, id and every material version.
struct BlobCmk {
    cipher: CmkCipher,
    key_id: uuid::Uuid,
    versions: Vec<(u32, SecretBytes)>,
}

impl BlobCmk {
    fn material(&self, version: u32) -> Option<&SecretBytes> {
        self.versions
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, m)| m)
    }

    /// What Decrypt does with a blob and the EncryptionContext it is given
    /// (kms/crypt.rs): decode strictly, find the CMK the blob names and its version
    /// (another key id answers as if it did not exist), require the CMK's cipher, open
    /// with the canonical context as AAD. `None` for every refusal.
    fn decrypt(&self, blob_bytes: &[u8], context: Option<&str>) -> Option<Vec<u8>> {
        let (header, ct) = blob::decode(blob_bytes).ok()?;
        if header.key_id != self.key_id || header.cipher != self.cipher {
            return None;
        }
        let material = self.material(header.key_version)?;
        let ctx = context::canonical(context).ok()?;
        blob::open(&header, material, &ctx, ct)
            .ok()
            .map(|m| m.expose().to_vec())
    }
}

/// One blob test before it becomes JSON.
struct BlobTest {
    comment: String,
    flags: Vec<&'static str>,
    /// The material version the blob was sealed under.
    key_version: u32,
    nonce: [u8; 12],
    /// The EncryptionContext presented to Decrypt, as the caller writes it.
    context: Option<String>,
    msg: Vec<u8>,
    blob: Vec<u8>,
    valid: bool,
}

fn blob_seal(
    key: &BlobCmk,
    version: u32,
    nonce: [u8; 12],
    context: Option<&str>,
    msg: &[u8],
) -> Vec<u8> {
    let header = blob::Header {
        cipher: key.cipher,
        key_id: key.key_id,
        key_version: version,
        nonce,
    };
    let ctx = context::canonical(context).expect("the generator's contexts are valid");
    blob::seal(&header, key.material(version).unwrap(), &ctx, msg)
}

fn blob_cmk(cipher: CmkCipher) -> BlobCmk {
    let mut r = rng(&format!("blob key {}", cipher.name()));
    let mut id = [0u8; 16];
    r.fill_bytes(&mut id);
    // Versions 1 and 2 as rotation makes them, and 258 (00 00 01 02) so that the
    // big-endian byte order of key_ver shows.
    let versions = [1u32, 2, 258]
        .into_iter()
        .map(|v| (v, SecretBytes::new(random_msg(&mut r, cipher.key_len()))))
        .collect();
    BlobCmk {
        cipher,
        key_id: uuid::Builder::from_random_bytes(id).into_uuid(),
        versions,
    }
}

/// Keys out of order, whitespace everywhere (spaces, a tab, newlines).
const CTX_MESSY: &str = " {\n  \"tenant\" : \"acme\",\t\"app\":\"billing\" ,\"env\": \"prod\" }\n";
/// The same context in canonical form.
const CTX_CANONICAL: &str = r#"{"app":"billing","env":"prod","tenant":"acme"}"#;
/// Keys whose UTF-8 byte order differs from UTF-16 code-unit order (U+FF41 sorts before
/// U+1F600 in UTF-8, after it in UTF-16) and from code-point-agnostic case folding.
const CTX_NON_ASCII: &str =
    r#"{"z":"1","é":"2","Z":"3","中文":"值","a":"4","ａ":"fullwidth a","😀":"emoji"}"#;
/// JSON escapes in the input: \u escapes of non-ASCII (written raw in canonical form)
/// and a quote, a backslash, a newline and a tab in a value (kept as escapes).
const CTX_ESCAPES: &str = r#"{"q":"a \"quoted\" \\ back\nslash\tend","caf\u00e9":"\u4e2d"}"#;

fn blob_tests(key: &BlobCmk) -> Vec<BlobTest> {
    let mut r = rng(&format!("blob tests {}", key.cipher.name()));
    let mut nonce = || {
        let mut n = [0u8; 12];
        r.fill_bytes(&mut n);
        n
    };
    let mut out = Vec::new();
    let mut valid = |comment: String,
                     flags: &[&'static str],
                     version: u32,
                     nonce: [u8; 12],
                     context: Option<&str>,
                     msg: Vec<u8>| {
        let blob = blob_seal(key, version, nonce, context, &msg);
        out.push(BlobTest {
            comment,
            flags: flags.to_vec(),
            key_version: version,
            nonce,
            context: context.map(str::to_string),
            msg,
            blob,
            valid: true,
        });
    };
    let mut m = rng(&format!("blob messages {}", key.cipher.name()));
    for len in [1usize, 16, 32, 1024, 4096] {
        valid(
            format!("{len}-byte plaintext, no EncryptionContext"),
            &["MessageSize", "NoContext"],
            1,
            nonce(),
            None,
            random_msg(&mut m, len),
        );
    }
    let msg = random_msg(&mut m, 32);
    for (ctx, what) in [
        ("", "the empty string"),
        ("{}", "{}"),
        (" { } ", "{} with whitespace"),
    ] {
        valid(
            format!("EncryptionContext {what}: the same as none (nothing is bound)"),
            &["EmptyContext"],
            1,
            nonce(),
            Some(ctx),
            msg.clone(),
        );
    }
    // The same blob opened with the context in canonical form and written messily.
    let n = nonce();
    valid(
        "EncryptionContext already in canonical form".into(),
        &["Context"],
        1,
        n,
        Some(CTX_CANONICAL),
        msg.clone(),
    );
    valid(
        "the same blob with the context's keys out of order and whitespace around everything"
            .into(),
        &["ContextOrder"],
        1,
        n,
        Some(CTX_MESSY),
        msg.clone(),
    );
    valid(
        "non-ASCII keys: sorted by UTF-8 bytes (Z a z é 中文 ａ 😀), not UTF-16 code units".into(),
        &["NonAsciiKeys"],
        1,
        nonce(),
        Some(CTX_NON_ASCII),
        msg.clone(),
    );
    valid(
        "JSON escapes: \\u00e9 and \\u4e2d become UTF-8; a quote, backslash, newline and tab stay escaped"
            .into(),
        &["ContextEscapes"],
        1,
        nonce(),
        Some(CTX_ESCAPES),
        msg.clone(),
    );
    for v in [2u32, 258] {
        valid(
            format!(
                "sealed under material version {v} of the same CMK (key_ver {:08x})",
                v
            ),
            &["KeyVersion"],
            v,
            nonce(),
            Some(CTX_CANONICAL),
            msg.clone(),
        );
    }

    // Tampered and malformed blobs. The base: version 2, the canonical context, 32 bytes.
    let base_nonce = nonce();
    let base = blob_seal(key, 2, base_nonce, Some(CTX_CANONICAL), &msg);
    let mut bad = |comment: String, flags: &[&'static str], blob: Vec<u8>, ctx: Option<&str>| {
        out.push(BlobTest {
            comment,
            flags: flags.to_vec(),
            key_version: 2,
            nonce: base_nonce,
            context: ctx.map(str::to_string),
            msg: msg.clone(),
            blob,
            valid: false,
        });
    };
    let with = |i: usize, f: &dyn Fn(u8) -> u8| {
        let mut b = base.clone();
        b[i] = f(b[i]);
        b
    };
    let ctx = Some(CTX_CANONICAL);
    for v in [0u8, 2] {
        bad(
            format!("version byte {v} (only 1 exists)"),
            &["BadVersion"],
            with(0, &|_| v),
            ctx,
        );
    }
    for c in [0u8, 3] {
        bad(
            format!("cipher byte {c} (only 1 and 2 exist)"),
            &["BadCipher"],
            with(1, &|_| c),
            ctx,
        );
    }
    let other = 3 - key.cipher as u8;
    bad(
        format!("cipher byte {other}, the other cipher: not this CMK's"),
        &["OtherCipher"],
        with(1, &|_| other),
        ctx,
    );
    bad(
        "key_id with its last bit flipped: names a CMK that does not exist".into(),
        &["ModifiedKeyId"],
        with(17, &|b| b ^ 1),
        ctx,
    );
    bad(
        "key_id with its first bit flipped".into(),
        &["ModifiedKeyId"],
        with(2, &|b| b ^ 0x80),
        ctx,
    );
    let set_version = |v: u32| {
        let mut b = base.clone();
        b[18..22].copy_from_slice(&v.to_be_bytes());
        b
    };
    bad(
        "key_ver 2 changed to 1, another existing version of the same CMK".into(),
        &["ModifiedKeyVersion"],
        set_version(1),
        ctx,
    );
    bad(
        "key_ver 2 changed to 3, a version that does not exist".into(),
        &["ModifiedKeyVersion"],
        set_version(3),
        ctx,
    );
    bad(
        "key_ver 2 written little-endian (02 00 00 00)".into(),
        &["ModifiedKeyVersion"],
        set_version(0x0200_0000),
        ctx,
    );
    bad(
        "key_ver 0 (versions start at 1)".into(),
        &["ZeroKeyVersion"],
        set_version(0),
        ctx,
    );
    bad(
        "nonce with its first bit flipped".into(),
        &["ModifiedNonce"],
        with(22, &|b| b ^ 1),
        ctx,
    );
    bad(
        "nonce with its last byte changed".into(),
        &["ModifiedNonce"],
        with(blob::HEADER_LEN - 1, &|b| b.wrapping_add(1)),
        ctx,
    );
    bad(
        "first ciphertext byte flipped".into(),
        &["ModifiedCiphertext"],
        with(blob::HEADER_LEN, &|b| b ^ 0xff),
        ctx,
    );
    bad(
        "last ciphertext byte flipped".into(),
        &["ModifiedCiphertext"],
        with(base.len() - 17, &|b| b ^ 0x01),
        ctx,
    );
    bad(
        "first tag byte flipped".into(),
        &["ModifiedTag"],
        with(base.len() - 16, &|b| b ^ 0x01),
        ctx,
    );
    bad(
        "last tag bit flipped".into(),
        &["ModifiedTag"],
        with(base.len() - 1, &|b| b ^ 0x80),
        ctx,
    );
    let mut zero_tag = base.clone();
    let len = zero_tag.len();
    zero_tag[len - 16..].fill(0);
    bad("tag all zeros".into(), &["ModifiedTag"], zero_tag, ctx);
    let h = blob::HEADER_LEN;
    for (n, what) in [
        (0, "empty".to_string()),
        (h, format!("the {h}-byte header only")),
        (h + 15, "header and 15 bytes (shorter than a tag)".into()),
        (
            h + 16,
            "header and 16 bytes (a tag's length, nothing encrypted)".into(),
        ),
        (base.len() - 1, "the last byte removed".into()),
    ] {
        bad(
            format!("truncated: {what}"),
            &["Truncated"],
            base[..n].to_vec(),
            ctx,
        );
    }
    bad(
        "a zero byte appended".into(),
        &["TrailingBytes"],
        [&base[..], &[0u8][..]].concat(),
        ctx,
    );
    bad(
        "the blob twice".into(),
        &["TrailingBytes"],
        [&base[..], &base[..]].concat(),
        ctx,
    );
    // A correctly authenticated blob one byte longer than the format allows: only the
    // length check refuses it.
    let long_msg = random_msg(&mut m, blob::MAX_PLAINTEXT + 1);
    let header = blob::Header {
        cipher: key.cipher,
        key_id: key.key_id,
        key_version: 2,
        nonce: base_nonce,
    };
    let hb = header.to_bytes();
    let canon = context::canonical(ctx).unwrap();
    let too_long = [
        &hb[..],
        &cmk::seal(
            key.cipher,
            key.material(2).unwrap(),
            &base_nonce,
            &[&hb[..], &canon[..]].concat(),
            &long_msg,
        ),
    ]
    .concat();
    bad(
        format!(
            "an authentic blob of a {}-byte plaintext, one more than a blob carries",
            long_msg.len()
        ),
        &["TooLong"],
        too_long,
        ctx,
    );
    for (c, what) in [
        (
            Some(r#"{"app":"billing","env":"dev","tenant":"acme"}"#),
            "a value changed (env prod → dev)",
        ),
        (None, "no EncryptionContext"),
        (Some("{}"), "the empty context {}"),
        (
            Some(r#"{"app":"billing","env":"prod","tenant":"acme","x":""}"#),
            "an extra key (with an empty value)",
        ),
        (
            Some(r#"{"app":"billing","env":"prod"}"#),
            "a key missing (tenant)",
        ),
        (
            Some(r#"{"App":"billing","env":"prod","tenant":"acme"}"#),
            "a key's case changed (app → App)",
        ),
        (
            Some(r#"{"app":"billing ","env":"prod","tenant":"acme"}"#),
            "whitespace inside a value (billing → \"billing \")",
        ),
    ] {
        bad(
            format!("sealed with {CTX_CANONICAL}, opened with {what}"),
            &["WrongContext"],
            base.clone(),
            c,
        );
    }
    // And the other way round: sealed without a context, opened with one.
    let plain_nonce = nonce();
    let plain = blob_seal(key, 2, plain_nonce, None, &msg);
    out.push(BlobTest {
        comment: "sealed without an EncryptionContext, opened with {\"app\":\"billing\"}".into(),
        flags: vec!["WrongContext"],
        key_version: 2,
        nonce: plain_nonce,
        context: Some(r#"{"app":"billing"}"#.into()),
        msg: msg.clone(),
        blob: plain,
        valid: false,
    });
    out
}

fn blob_cipher_name(c: CmkCipher) -> &'static str {
    match c {
        CmkCipher::Sm4Gcm => "SM4-GCM",
        CmkCipher::Aes256Gcm => "AES-256-GCM",
    }
}

fn blob_file() -> Value {
    let mut tc = 0;
    let mut groups = Vec::new();
    for cipher in [CmkCipher::Sm4Gcm, CmkCipher::Aes256Gcm] {
        let key = blob_cmk(cipher);
        let tests: Vec<Value> = blob_tests(&key)
            .into_iter()
            .map(|t| {
                tc += 1;
                let canonical = context::canonical(t.context.as_deref())
                    .expect("the generator's contexts are valid");
                let opened = key.decrypt(&t.blob, t.context.as_deref());
                match (&opened, t.valid) {
                    (Some(m), true) if *m == t.msg => {}
                    (None, false) => {}
                    _ => panic!(
                        "CiphertextBlob tcId {tc}: valid={} but decrypt gave {opened:?}",
                        t.valid
                    ),
                }
                let mut v = json!({
                    "tcId": tc,
                    "comment": t.comment,
                    "flags": t.flags,
                    "keyVersion": t.key_version,
                    "key": hexs(key.material(t.key_version).unwrap().expose()),
                    "nonce": hexs(&t.nonce),
                    "encryptionContext": t.context,
                    "canonicalContext": String::from_utf8(canonical.clone()).unwrap(),
                    "msg": hexs(&t.msg),
                    "blob": hexs(&t.blob),
                    "result": if t.valid { "valid" } else { "invalid" },
                });
                if t.valid {
                    v["aad"] = json!(hexs(
                        &[&t.blob[..blob::HEADER_LEN], &canonical[..]].concat()
                    ));
                }
                v
            })
            .collect();
        groups.push(json!({
            "type": "CiphertextBlobDecrypt",
            "comment": format!("A CMK with {} material, three versions", blob_cipher_name(cipher)),
            "cipher": blob_cipher_name(cipher),
            "cipherByte": cipher as u8,
            "keySize": cipher.key_len() * 8,
            "keyId": key.key_id.to_string(),
            "keys": key.versions.iter().map(|(v, m)| json!({"keyVersion": v, "key": hexs(m.expose())})).collect::<Vec<_>>(),
            "tests": tests,
        }));
    }
    let notes = json!({
        "MessageSize": "Plaintexts of 1, 16, 32, 1024 and 4096 bytes (4096 is the most a blob carries).",
        "NoContext": "No EncryptionContext: the AAD is the 34-byte header alone.",
        "EmptyContext": "An empty string or empty object: the same as no context (canonical form empty, nothing bound).",
        "Context": "An EncryptionContext already in canonical form.",
        "ContextOrder": "Keys out of order and whitespace around tokens: the canonical form sorts and compacts, so the blob is the one sealed with the canonical text.",
        "NonAsciiKeys": "Non-ASCII keys, sorted by their UTF-8 bytes. U+FF41 sorts before U+1F600 here; sorting UTF-16 code units (Java, JavaScript) puts them the other way round.",
        "ContextEscapes": "JSON escapes in the input. \\u escapes of non-ASCII characters are written as raw UTF-8 in canonical form; a quote, a backslash and control characters stay escaped (\\\", \\\\, \\n, \\t).",
        "KeyVersion": "Sealed under a later material version of the same CMK: 2, and 258 (key_ver 00000102, big-endian).",
        "BadVersion": "The version byte is not 1.",
        "BadCipher": "The cipher byte is neither 1 (SM4-GCM) nor 2 (AES-256-GCM).",
        "OtherCipher": "The cipher byte names the other cipher, not the CMK's.",
        "ModifiedKeyId": "key_id changed: the blob names a CMK that does not exist (and the header is bound as AAD).",
        "ModifiedKeyVersion": "key_ver changed: another existing version (its material does not open the blob), one that does not exist, or the right number in the wrong byte order.",
        "ZeroKeyVersion": "key_ver 0: versions start at 1.",
        "ModifiedNonce": "A nonce byte changed.",
        "ModifiedCiphertext": "A ciphertext byte changed.",
        "ModifiedTag": "A tag byte changed.",
        "Truncated": "Shorter than a blob can be (34-byte header, at least 1 byte of ciphertext, 16-byte tag), or a byte short.",
        "TrailingBytes": "Bytes after the tag.",
        "TooLong": "Longer than a blob can be (header + 4096 + 16 bytes), even though authentic.",
        "WrongContext": "Opened with an EncryptionContext whose canonical form differs from the one it was sealed with.",
    });
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
    json!({
        "algorithm": "CiphertextBlob v1",
        "schema": "smkms CiphertextBlob vectors v1 (test-vectors/README.md)",
        "generatorVersion": GENERATOR,
        "numberOfTests": tc,
        "header": [
            "CiphertextBlob v1, what Encrypt and GenerateDataKey return (DESIGN §2): version u8 = 1 ‖ cipher u8 (1 = SM4-GCM, 2 = AES-256-GCM) ‖ key_id 16 bytes (the CMK's UUID) ‖ key_ver u32 big-endian ‖ nonce 12 bytes ‖ ciphertext ‖ 16-byte tag. AAD = the 34 header bytes ‖ the canonical EncryptionContext.",
            "Canonical EncryptionContext: the JSON object's keys sorted by their UTF-8 bytes, compact serialisation (no whitespace, non-ASCII as raw UTF-8, only \", \\ and control characters escaped); empty when the context is absent, empty or {}.",
            "Each test is a Decrypt: decode the blob strictly (34 + 1 + 16 to 34 + 4096 + 16 bytes, version 1, cipher 1 or 2, key_ver not 0), look up the group's CMK by key_id and the material by key_ver (none: refuse), require the CMK's cipher, and open with AAD = header ‖ canonical(encryptionContext). A valid blob gives msg; an invalid one must be refused, all with the same error.",
            "key, nonce and msg are also given per test: key is the material of keyVersion, the version the blob was sealed under.",
        ],
        "notes": notes,
        "confirmedBy": [
            {"id": "pyca-cryptography", "implementation": "Python cryptography 50.0.2 (OpenSSL 4.0.3)", "ciphers": ["SM4-GCM", "AES-256-GCM"], "how": "AESGCM(key) and Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)) open every valid blob to msg and re-seal msg to the same blob; the canonical context recomputed with json.loads / json.dumps(sort by UTF-8, ensure_ascii=False, separators=(',', ':')); every invalid case refused"},
            {"id": "pycryptodomex", "implementation": "Python pycryptodomex 3.24.2", "ciphers": ["AES-256-GCM"], "how": "AES.new(key, AES.MODE_GCM, nonce).decrypt_and_verify, and encrypt_and_digest to the same blob"},
            {"id": "gmssl-gcm", "implementation": "Python gmssl 3.2.2 SM4 block cipher with GCM (NIST SP 800-38D) written in tests/vectors/confirm.py", "ciphers": ["SM4-GCM"], "how": "CryptSM4.one_round as the block cipher under a GHASH/GCTR written from SP 800-38D, independent of OpenSSL and of RustCrypto"},
        ],
        "testGroups": groups,
    })
}

// ---------------------------------------------------------------------------------------
// SM4 and SM4-GCM

const SM4_STD_KEY: &str = "0123456789abcdeffedcba9876543210";

fn sm4_encrypt_block(key: &[u8], block: &[u8]) -> Vec<u8> {
    use sm4::cipher::{BlockEncrypt, KeyInit};
    let c = sm4::Sm4::new_from_slice(key).unwrap();
    let mut b = sm4::cipher::generic_array::GenericArray::clone_from_slice(block);
    c.encrypt_block(&mut b);
    b.to_vec()
}

fn sm4_file() -> Value {
    let mut tc = 0;
    let mut next = || {
        tc += 1;
        tc
    };
    let k = hex::decode(SM4_STD_KEY).unwrap();
    let mut block_tests = Vec::new();
    // GB/T 32907-2016 Appendix A: one encryption, and the block encrypted 1,000,000 times.
    for (iterations, want, comment) in [
        (
            1u32,
            "681edf34d206965e86b3e94f536e4246",
            "GB/T 32907-2016 Appendix A, example 1",
        ),
        (
            1_000_000,
            "595298c7c6fd271f0402f804c33d3f66",
            "GB/T 32907-2016 Appendix A, example 2: the block encrypted 1,000,000 times",
        ),
    ] {
        let mut ct = k.clone();
        for _ in 0..iterations {
            ct = sm4_encrypt_block(&k, &ct);
        }
        assert_eq!(hexs(&ct), want, "sm4 crate vs GB/T 32907");
        let mut flags = vec!["GBT32907"];
        if iterations > 1 {
            flags.push("Iterated");
        }
        block_tests.push(json!({
            "tcId": next(),
            "comment": comment,
            "flags": flags,
            "key": SM4_STD_KEY,
            "msg": SM4_STD_KEY,
            "iterations": iterations,
            "ct": want,
            "result": "valid",
        }));
    }
    let mut r = rng("sm4 blocks");
    for i in 0..4 {
        let key = random_msg(&mut r, 16);
        let msg = random_msg(&mut r, 16);
        block_tests.push(json!({
            "tcId": next(),
            "comment": format!("generated key and block {}", i + 1),
            "flags": ["Generated"],
            "key": hexs(&key),
            "msg": hexs(&msg),
            "iterations": 1,
            "ct": hexs(&sm4_encrypt_block(&key, &msg)),
            "result": "valid",
        }));
    }

    let mut gcm_tests = Vec::new();
    let mut gcm = |comment: String,
                   flags: &[&str],
                   key: &[u8],
                   iv: &[u8; 12],
                   aad: &[u8],
                   msg: &[u8],
                   ct_tag: &[u8],
                   valid: bool| {
        let material = SecretBytes::from_slice(key);
        let opened = cmk::open(CmkCipher::Sm4Gcm, &material, iv, aad, ct_tag);
        match (&opened, valid) {
            (Ok(m), true) if m.expose() == msg => {}
            (Err(_), false) => {}
            _ => panic!("SM4-GCM {comment}: valid={valid} but open gave {opened:?}"),
        }
        let (ct, tag) = ct_tag.split_at(ct_tag.len() - 16);
        gcm_tests.push(json!({
            "tcId": next(),
            "comment": comment,
            "flags": flags,
            "key": hexs(key),
            "iv": hexs(iv),
            "aad": hexs(aad),
            "msg": hexs(msg),
            "ct": hexs(ct),
            "tag": hexs(tag),
            "result": if valid { "valid" } else { "invalid" },
        }));
    };
    let h = |s: &str| hex::decode(s).unwrap();
    let rfc_iv: [u8; 12] = h("00001234567800000000abcd").try_into().unwrap();
    let rfc_aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let rfc_msg = h("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa");
    let rfc_ct = h("17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d83de3541e4c2b58177e065a9bf7b62ec");
    assert_eq!(
        cmk::seal(
            CmkCipher::Sm4Gcm,
            &SecretBytes::from_slice(&k),
            &rfc_iv,
            &rfc_aad,
            &rfc_msg
        ),
        rfc_ct,
        "RFC 8998 A.1"
    );
    gcm(
        "RFC 8998 Appendix A.1".into(),
        &["RFC8998"],
        &k,
        &rfc_iv,
        &rfc_aad,
        &rfc_msg,
        &rfc_ct,
        true,
    );
    let mut r = rng("sm4-gcm");
    let key = random_msg(&mut r, 16);
    let mut first = None;
    for (msg_len, aad_len) in [
        (0usize, 0usize),
        (0, 20),
        (1, 0),
        (15, 16),
        (16, 16),
        (17, 17),
        (32, 34),
        (64, 0),
        (1024, 55),
        (4096, 100),
    ] {
        let mut iv = [0u8; 12];
        r.fill_bytes(&mut iv);
        let aad = random_msg(&mut r, aad_len);
        let msg = random_msg(&mut r, msg_len);
        let ct = cmk::seal(
            CmkCipher::Sm4Gcm,
            &SecretBytes::from_slice(&key),
            &iv,
            &aad,
            &msg,
        );
        gcm(
            format!("{msg_len}-byte message, {aad_len}-byte AAD"),
            &["Generated"],
            &key,
            &iv,
            &aad,
            &msg,
            &ct,
            true,
        );
        if msg_len == 17 {
            first = Some((iv, aad, msg, ct));
        }
    }
    let (iv, aad, msg, ct) = first.unwrap();
    let n = ct.len();
    let flip = |i: usize, bit: u8| {
        let mut c = ct.clone();
        c[i] ^= bit;
        c
    };
    let mut zero_tag = ct.clone();
    zero_tag[n - 16..].fill(0);
    let mut other_iv = iv;
    other_iv[0] ^= 1;
    let mut other_aad = aad.clone();
    other_aad[0] ^= 1;
    for (comment, flag, iv, aad, c) in [
        (
            "first tag bit flipped",
            "ModifiedTag",
            iv,
            aad.clone(),
            flip(n - 16, 1),
        ),
        (
            "last tag bit flipped",
            "ModifiedTag",
            iv,
            aad.clone(),
            flip(n - 1, 0x80),
        ),
        ("tag all zeros", "ModifiedTag", iv, aad.clone(), zero_tag),
        (
            "first ciphertext bit flipped",
            "ModifiedCiphertext",
            iv,
            aad.clone(),
            flip(0, 1),
        ),
        (
            "last ciphertext byte changed",
            "ModifiedCiphertext",
            iv,
            aad.clone(),
            flip(n - 17, 0xff),
        ),
        (
            "a bit of the IV flipped",
            "ModifiedIv",
            other_iv,
            aad.clone(),
            ct.clone(),
        ),
        (
            "a bit of the AAD flipped",
            "ModifiedAad",
            iv,
            other_aad,
            ct.clone(),
        ),
        ("the AAD empty", "ModifiedAad", iv, Vec::new(), ct.clone()),
    ] {
        gcm(
            format!("17-byte message: {comment}"),
            &[flag],
            &key,
            &iv,
            &aad,
            &msg,
            &c,
            false,
        );
    }

    let notes = json!({
        "GBT32907": "The examples of GB/T 32907-2016 Appendix A.",
        "Iterated": "The block encrypted `iterations` times in a row under the same key (each output is the next input).",
        "RFC8998": "RFC 8998 Appendix A.1 (SM4-GCM).",
        "Generated": "Made by smkms's SM4 (the RustCrypto sm4 crate) and SM4-GCM (aes-gcm's generic GCM over it), confirmed by the implementations in confirmedBy.",
        "ModifiedTag": "The tag changed.",
        "ModifiedCiphertext": "The ciphertext changed.",
        "ModifiedIv": "Opened with another IV.",
        "ModifiedAad": "Opened with other AAD.",
    });
    json!({
        "algorithm": "SM4, SM4-GCM",
        "schema": "smkms SM4 vectors v1 (test-vectors/README.md)",
        "generatorVersion": GENERATOR,
        "numberOfTests": tc,
        "header": [
            "SM4 (GB/T 32907-2016) block encryption, and SM4-GCM (RFC 8998: the GCM of NIST SP 800-38D over SM4) with a 96-bit IV and a 128-bit tag: the SM4 CMK cipher.",
            "Sm4BlockTest: encrypting msg `iterations` times under key gives ct. AeadTest (Wycheproof's layout): with key, iv and aad, a valid ct ‖ tag decrypts to msg and msg encrypts to ct ‖ tag; an invalid one must be refused.",
        ],
        "notes": notes,
        "confirmedBy": [
            {"id": "pyca-cryptography", "implementation": "Python cryptography 50.0.2 (OpenSSL 4.0.3)", "ciphers": ["SM4", "SM4-GCM"], "how": "Cipher(algorithms.SM4(key), modes.ECB()) for the blocks (all 1,000,000 iterations), Cipher(algorithms.SM4(key), modes.GCM(iv, tag)) for SM4-GCM: every valid test reproduced, every invalid one refused"},
            {"id": "gmssl-gcm", "implementation": "Python gmssl 3.2.2 SM4 block cipher with GCM (NIST SP 800-38D) written in tests/vectors/confirm.py", "ciphers": ["SM4", "SM4-GCM"], "how": "CryptSM4.one_round for the blocks and under a GHASH/GCTR written from SP 800-38D; every test except the 1,000,000-iteration one (pure Python: about 40 s)"},
        ],
        "testGroups": [
            {
                "type": "Sm4BlockTest",
                "comment": "SM4 block encryption",
                "cipher": "SM4",
                "keySize": 128,
                "tests": block_tests,
            },
            {
                "type": "AeadTest",
                "comment": "SM4-GCM with a 96-bit IV and a 128-bit tag",
                "cipher": "SM4-GCM",
                "keySize": 128,
                "ivSize": 96,
                "tagSize": 128,
                "tests": gcm_tests,
            },
        ],
    })
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
        ("ciphertext_blob_v1.json", blob_file()),
        ("sm4_gcm.json", sm4_file()),
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
