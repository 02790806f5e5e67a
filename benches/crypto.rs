//! The building blocks of a request, one criterion group each:
//!
//! - `cmk`: both CMK ciphers (SM4-GCM, AES-256-GCM), seal and open, 32 bytes and 4 KiB;
//! - `blob`: the CiphertextBlob v1 codec (decode, seal, open of a 32-byte data key with
//!   an EncryptionContext, canonicalised as the server does);
//! - `public_key`: EncryptionPublicKey parsing, cold (`parse_public_key`) and through
//!   the server's `KeyCache` (a hit; a miss into a full cache, as a fresh key costs);
//! - `tc3`: verifying a TC3-HMAC-SHA256 signed POST (parse the header, build the
//!   canonical request, recompute and compare the signature);
//! - `asym`: asymmetric CMKs (`crypto::asym`): SM2DSA sign and verify of a 32-byte RAW
//!   message next to the `sm2` crate's own `SigningKey::sign` / `VerifyingKey::verify`
//!   (the baseline, same key, same run), SM2_C1C3C2_ASN1 decryption of a 32-byte key,
//!   ECDSA P-256 sign and verify, and RSA-2048: our constant-time blinded CRT
//!   decryption (OAEP-SHA-256, PKCS#1 v1.5) and PSS signing next to the `rsa` crate's
//!   variable-time decryption (the baseline), and verification.
//!
//! Delivery itself is `benches/delivery.rs`; a whole request is `benches/request.rs`.
//!
//! `cargo bench -j1 --bench crypto -- --warm-up-time 1 --measurement-time 3`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use rand_core::OsRng;
use smkms::auth::tc3;
use smkms::crypto::blob::{self, Header};
use smkms::crypto::cmk::{self, CmkCipher};
use smkms::crypto::deliver::{self, KeyCache};
use smkms::crypto::keyfile::pem_encode;
use smkms::crypto::secret::SecretBytes;
use smkms::crypto::{context, random};

const RSA2048_PUB: &str = include_str!("../src/crypto/deliver/testdata/rsa2048.pub");
const CIPHERS: [CmkCipher; 2] = [CmkCipher::Sm4Gcm, CmkCipher::Aes256Gcm];

fn sm2_pem() -> String {
    use sm2::pkcs8::EncodePublicKey;
    let p = sm2::SecretKey::random(&mut OsRng).public_key();
    pem_encode("PUBLIC KEY", p.to_public_key_der().unwrap().as_bytes())
}

fn cmk_ciphers(c: &mut Criterion) {
    let mut g = c.benchmark_group("cmk");
    for cipher in CIPHERS {
        let key = SecretBytes::new(random::bytes(cipher.key_len()));
        let nonce = [7u8; cmk::NONCE_LEN];
        for len in [32usize, 4096] {
            let msg = random::bytes(len);
            let ct = cmk::seal(cipher, &key, &nonce, b"aad", &msg);
            g.bench_function(format!("{}/seal/{len}", cipher.name()), |b| {
                b.iter(|| cmk::seal(cipher, &key, &nonce, b"aad", black_box(&msg)))
            });
            g.bench_function(format!("{}/open/{len}", cipher.name()), |b| {
                b.iter(|| cmk::open(cipher, &key, &nonce, b"aad", black_box(&ct)).unwrap())
            });
        }
    }
    g.finish();
}

fn blob_codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("blob");
    let context_text = r#"{"app":"billing","tenant":"t-0042"}"#;
    for cipher in CIPHERS {
        let material = SecretBytes::new(random::bytes(cipher.key_len()));
        let header = Header {
            cipher,
            key_id: uuid::Uuid::new_v4(),
            key_version: 1,
            nonce: [9u8; cmk::NONCE_LEN],
        };
        let data_key = random::bytes(32);
        let ctx = context::canonical(Some(context_text)).unwrap();
        let sealed = blob::seal(&header, &material, &ctx, &data_key);
        g.bench_function(format!("{}/decode", cipher.name()), |b| {
            b.iter(|| blob::decode(black_box(&sealed)).unwrap().0.key_version)
        });
        g.bench_function(format!("{}/seal-32", cipher.name()), |b| {
            b.iter(|| {
                let ctx = context::canonical(Some(black_box(context_text))).unwrap();
                blob::seal(&header, &material, &ctx, black_box(&data_key))
            })
        });
        g.bench_function(format!("{}/decode+open-32", cipher.name()), |b| {
            b.iter(|| {
                let (h, ct) = blob::decode(black_box(&sealed)).unwrap();
                let ctx = context::canonical(Some(black_box(context_text))).unwrap();
                blob::open(&h, &material, &ctx, ct).unwrap()
            })
        });
    }
    g.finish();
}

fn public_keys(c: &mut Criterion) {
    let mut g = c.benchmark_group("public_key");
    let sm2 = sm2_pem();
    for (name, pem) in [("SM2", sm2.as_str()), ("RSA-2048", RSA2048_PUB)] {
        g.bench_function(format!("{name}/cold"), |b| {
            b.iter(|| deliver::parse_public_key(black_box(pem)).unwrap())
        });
        let cache = KeyCache::default();
        cache.get_or_parse(pem).unwrap();
        cache.get_or_parse(pem).unwrap(); // the second use builds the SM2 table
        g.bench_function(format!("{name}/cached"), |b| {
            b.iter(|| cache.get_or_parse(black_box(pem)).unwrap())
        });
    }
    // A fresh SM2 key per request: a miss into a full cache (parse, then evict the least
    // recently used of 1024 entries). Each iteration inserts a key not seen before.
    let full = KeyCache::default();
    for _ in 0..KeyCache::DEFAULT_CAPACITY {
        full.get_or_parse(&sm2_pem()).unwrap();
    }
    g.bench_function("SM2/miss-into-full-cache", |b| {
        b.iter_batched(
            sm2_pem,
            |pem| full.get_or_parse(&pem).unwrap(),
            BatchSize::SmallInput,
        )
    });
    // The table a repeated SM2 key gets at its second use, built once per key.
    let p = sm2::SecretKey::random(&mut OsRng).public_key();
    g.bench_function("SM2/build-key-table", |b| {
        b.iter(|| smkms::crypto::sm2::KeyTable::new(black_box(&p)))
    });
    g.finish();
}

fn tc3_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("tc3");
    let (id, key) = (
        "AKIDbench0000000000000000000000000000",
        "benchsecretkey0000000000000000000",
    );
    let host = "127.0.0.1:6300";
    let ct = "application/json";
    let ts = 1_750_000_000;
    let body = br#"{"KeyId":"6f9b1c8e-0000-4000-8000-000000000000","KeySpec":"AES_256"}"#;
    let authorization = tc3::sign_post(id, key, host, ct, ts, body);
    g.bench_function("verify-post", |b| {
        b.iter(|| {
            let auth = tc3::parse_authorization(black_box(&authorization)).unwrap();
            let hash = tc3::sha256_hex(black_box(body));
            let header = |n: &str| match n {
                "content-type" => Some(ct.to_string()),
                "host" => Some(host.to_string()),
                _ => None,
            };
            let parts = tc3::SignedParts {
                method: "POST",
                query: "",
                header: &header,
                payload_hash: &hash,
            };
            let canon = tc3::canonical_request(&parts, &auth.signed_headers).unwrap();
            tc3::verify(&auth, key, ts, &canon).unwrap()
        })
    });
    g.finish();
}

fn asym(c: &mut Criterion) {
    use smkms::crypto::asym::{
        AsymmetricSpec, DecryptAlgorithm, Message, PrivateKey, SignAlgorithm,
    };
    let mut g = c.benchmark_group("asym");
    let msg = [0x42u8; 32];

    // SM2DSA, ours and the sm2 crate's on the same key.
    let sm2_key = PrivateKey::generate(AsymmetricSpec::Sm2);
    let sm2_pub = sm2_key.public_key();
    let sig = sm2_key
        .sign(SignAlgorithm::Sm2Dsa, Message::Raw(&msg))
        .unwrap();
    let baseline = {
        use sm2::pkcs8::DecodePrivateKey;
        let sk = sm2::SecretKey::from_pkcs8_der(sm2_key.to_der().expose()).unwrap();
        sm2::dsa::SigningKey::new("1234567812345678", &sk).unwrap()
    };
    let baseline_sig: sm2::dsa::Signature = {
        use sm2::dsa::signature::Signer;
        baseline.sign(&msg)
    };
    g.bench_function("sm2dsa/sign/smkms", |b| {
        b.iter(|| {
            sm2_key
                .sign(SignAlgorithm::Sm2Dsa, Message::Raw(black_box(&msg)))
                .unwrap()
        })
    });
    g.bench_function("sm2dsa/sign/sm2-crate", |b| {
        use sm2::dsa::signature::Signer;
        b.iter(|| -> sm2::dsa::Signature { baseline.sign(black_box(&msg)) })
    });
    g.bench_function("sm2dsa/verify/smkms", |b| {
        b.iter(|| {
            assert!(sm2_pub.verify(SignAlgorithm::Sm2Dsa, Message::Raw(black_box(&msg)), &sig))
        })
    });
    g.bench_function("sm2dsa/verify/sm2-crate", |b| {
        use sm2::dsa::signature::Verifier;
        let vk = baseline.verifying_key().clone();
        b.iter(|| vk.verify(black_box(&msg), &baseline_sig).unwrap())
    });

    // SM2 decryption of a 32-byte data key.
    let sm2_ct = {
        use sm2::pkcs8::DecodePublicKey;
        let p = sm2::PublicKey::from_public_key_der(&sm2_pub.spki_der()).unwrap();
        smkms::crypto::sm2::encrypt(&p, &msg, &mut OsRng).to_der()
    };
    g.bench_function("sm2/decrypt-32", |b| {
        b.iter(|| {
            sm2_key
                .decrypt(DecryptAlgorithm::Sm2C1C3C2Asn1, black_box(&sm2_ct))
                .unwrap()
        })
    });

    // ECDSA P-256.
    let ec = PrivateKey::generate(AsymmetricSpec::EccP256);
    let ec_pub = ec.public_key();
    let ec_sig = ec
        .sign(SignAlgorithm::EccP256R1, Message::Raw(&msg))
        .unwrap();
    g.bench_function("p256/sign", |b| {
        b.iter(|| {
            ec.sign(SignAlgorithm::EccP256R1, Message::Raw(black_box(&msg)))
                .unwrap()
        })
    });
    g.bench_function("p256/verify", |b| {
        b.iter(|| {
            assert!(ec_pub.verify(
                SignAlgorithm::EccP256R1,
                Message::Raw(black_box(&msg)),
                &ec_sig
            ))
        })
    });

    // RSA-2048: ours (constant-time, blinded CRT) against the rsa crate's decryption.
    let rsa_key = PrivateKey::generate(AsymmetricSpec::Rsa2048);
    let rsa_pub = rsa_key.public_key();
    let theirs = {
        use rsa::pkcs8::DecodePrivateKey;
        rsa::RsaPrivateKey::from_pkcs8_der(rsa_key.to_der().expose()).unwrap()
    };
    let their_pub = rsa::RsaPublicKey::from(&theirs);
    let oaep_ct = their_pub
        .encrypt(&mut OsRng, rsa::Oaep::new::<sha2::Sha256>(), &msg)
        .unwrap();
    let v15_ct = their_pub
        .encrypt(&mut OsRng, rsa::Pkcs1v15Encrypt, &msg)
        .unwrap();
    g.bench_function("rsa2048/decrypt-oaep-sha256/smkms", |b| {
        b.iter(|| {
            rsa_key
                .decrypt(DecryptAlgorithm::RsaOaepSha256, black_box(&oaep_ct))
                .unwrap()
        })
    });
    g.bench_function("rsa2048/decrypt-oaep-sha256/rsa-crate", |b| {
        b.iter(|| {
            theirs
                .decrypt(rsa::Oaep::new::<sha2::Sha256>(), black_box(&oaep_ct))
                .unwrap()
        })
    });
    g.bench_function("rsa2048/decrypt-pkcs1v15/smkms", |b| {
        b.iter(|| {
            rsa_key
                .decrypt(DecryptAlgorithm::RsaPkcs1V15, black_box(&v15_ct))
                .unwrap()
        })
    });
    g.bench_function("rsa2048/decrypt-pkcs1v15/rsa-crate", |b| {
        b.iter(|| {
            theirs
                .decrypt(rsa::Pkcs1v15Encrypt, black_box(&v15_ct))
                .unwrap()
        })
    });
    let pss = rsa_key
        .sign(SignAlgorithm::RsaPssSha256, Message::Raw(&msg))
        .unwrap();
    g.bench_function("rsa2048/sign-pss", |b| {
        b.iter(|| {
            rsa_key
                .sign(SignAlgorithm::RsaPssSha256, Message::Raw(black_box(&msg)))
                .unwrap()
        })
    });
    g.bench_function("rsa2048/verify-pss", |b| {
        b.iter(|| {
            assert!(rsa_pub.verify(
                SignAlgorithm::RsaPssSha256,
                Message::Raw(black_box(&msg)),
                &pss
            ))
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    cmk_ciphers,
    blob_codec,
    public_keys,
    tc3_verify,
    asym
);
criterion_main!(benches);
