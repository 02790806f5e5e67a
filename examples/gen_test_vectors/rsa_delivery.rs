//! RSA data-key delivery vectors (`rsa_delivery_*_test.json`): three keys shared by
//! the PKCS#1 v1.5, OAEP SHA-1 and OAEP SHA-256 files.

use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use smkms::crypto::deliver::{self, Algorithm, RecipientKey};
use smkms::crypto::keyfile::pem_encode;

use crate::{file_json, hexs, random_msg, rng, self_check};

pub(crate) struct RsaKey {
    key: rsa::RsaPrivateKey,
    private_pem: String,
    public: RecipientKey,
}

pub(crate) fn rsa_keys() -> Vec<RsaKey> {
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

pub(crate) fn rsa_file(alg: Algorithm, keys: &[RsaKey]) -> Value {
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
