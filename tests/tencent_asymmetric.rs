//! Asymmetric CMKs over the Tencent API 3.0, against the real binary: CreateKey with
//! every asymmetric usage, GetPublicKey, SignByAsymmetricKey / VerifyByAsymmetricKey,
//! AsymmetricSm2Decrypt / AsymmetricRsaDecrypt (with delivery), ListAlgorithms, usage
//! and state enforcement, bad input, and a key that outlives a restart and works on
//! PostgreSQL. Signatures and ciphertexts are also checked with the `openssl` CLI, an
//! implementation that is not ours (tests/python adds gmssl and `cryptography`).

mod common;
use base64::Engine;
use common::openssl::Scheme;
use common::*;
use serde_json::{json, Value};

fn b64d(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

fn b64e(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn create(c: &Client, alias: &str, usage: &str) -> String {
    let r = c.ok("CreateKey", json!({"Alias": alias, "KeyUsage": usage}));
    assert_eq!(r["KeyUsage"], usage);
    assert_eq!(r["KeyState"], "Enabled");
    r["KeyId"].as_str().unwrap().to_string()
}

fn public_pem(c: &Client, key: &str) -> String {
    let r = c.ok("GetPublicKey", json!({"KeyId": key}));
    let pem = r["PublicKeyPem"].as_str().unwrap().to_string();
    // PublicKey is the same SubjectPublicKeyInfo, base64 DER.
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(r["PublicKey"].as_str().unwrap(), body);
    assert_eq!(r["KeyId"], key);
    pem
}

fn sign(c: &Client, key: &str, alg: &str, msg: &[u8], kind: &str) -> Vec<u8> {
    b64d(
        &c.ok(
            "SignByAsymmetricKey",
            json!({"KeyId": key, "Algorithm": alg, "Message": b64e(msg), "MessageType": kind}),
        )["Signature"],
    )
}

fn verify(c: &Client, key: &str, alg: &str, msg: &[u8], kind: &str, sig: &[u8]) -> bool {
    c.ok(
        "VerifyByAsymmetricKey",
        json!({"KeyId": key, "Algorithm": alg, "Message": b64e(msg), "MessageType": kind,
               "SignatureValue": b64e(sig)}),
    )["SignatureValid"]
        .as_bool()
        .unwrap()
}

/// Whether OpenSSL accepts `sig` over `msg` under `pem` with Tencent's `alg`.
fn openssl_verifies(pem: &str, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let scheme = match alg {
        "SM2DSA" => Scheme::Sm2,
        "ECC_P256_R1" | "RSA_PKCS1_SHA_256" => Scheme::Sha256,
        "RSA_PSS_SHA_256" => Scheme::RsaPssSha256,
        other => panic!("{other}"),
    };
    common::openssl::verifies(pem, scheme, msg, sig)
}

/// `plaintext` encrypted to `pem` by OpenSSL: SM2 (C1C3C2 ASN.1) or RSA with `alg`.
fn openssl_encrypt(pem: &str, alg: &str, plaintext: &[u8]) -> Vec<u8> {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pub.pem"), pem).unwrap();
    std::fs::write(d.path().join("pt"), plaintext).unwrap();
    let mut args = vec![
        "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "pt",
    ];
    match alg {
        "SM2" => {}
        "RSAES_PKCS1_V1_5" => args.extend(["-pkeyopt", "rsa_padding_mode:pkcs1"]),
        "RSAES_OAEP_SHA_1" => args.extend(["-pkeyopt", "rsa_padding_mode:oaep"]),
        "RSAES_OAEP_SHA_256" => args.extend([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ]),
        other => panic!("{other}"),
    }
    let (ok, out, err) = common::openssl::run(d.path(), &args);
    assert!(ok, "openssl encrypt: {err}");
    out
}

#[test]
fn every_usage_creates_and_describes() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let cases = [
        ("ASYMMETRIC_SIGN_VERIFY_SM2", 4),
        ("ASYMMETRIC_DECRYPT_SM2", 4),
        ("ASYMMETRIC_SIGN_VERIFY_ECC", 2),
        ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", 2),
        ("ASYMMETRIC_DECRYPT_RSA_2048", 2),
    ];
    let mut ids = Vec::new();
    for (i, (usage, ty)) in cases.iter().enumerate() {
        let id = create(&c, &format!("k{i}"), usage);
        let m = &c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"];
        assert_eq!(m["KeyUsage"], *usage);
        assert_eq!(m["Type"], *ty, "{usage}");
        assert_eq!(m["Origin"], "TENCENT_KMS");
        ids.push(id);
    }
    let sym = c.ok("CreateKey", json!({"Alias": "sym"}))["KeyId"].clone();
    let all = c.ok("DescribeKeys", json!({"KeyIds": ids}));
    assert_eq!(all["KeyMetadatas"].as_array().unwrap().len(), 5);
    // ListKeyDetail: the default lists ENCRYPT_DECRYPT keys only, as Tencent's does.
    let list = |usage: Option<&str>| -> Vec<String> {
        let mut p = json!({"OrderType": 1, "Limit": 100});
        if let Some(u) = usage {
            p["KeyUsage"] = json!(u);
        }
        c.ok("ListKeyDetail", p)["KeyMetadatas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["KeyId"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list(None), vec![sym.as_str().unwrap().to_string()]);
    assert_eq!(list(Some("ALL")).len(), 6);
    for (i, (usage, _)) in cases.iter().enumerate() {
        assert_eq!(list(Some(usage)), vec![ids[i].clone()], "{usage}");
    }
    // ECDSA P-384 is a usage this server does not create; garbage is not a usage.
    let (code, msg) = c.err(
        "CreateKey",
        json!({"Alias": "p384", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_ECDSA384"}),
    );
    assert_eq!(
        code,
        "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion"
    );
    assert!(msg.contains("ECDSA384"), "{msg}");
    let (code, _) = c.err("CreateKey", json!({"Alias": "x", "KeyUsage": "SM2"}));
    assert_eq!(code, "InvalidParameterValue.InvalidKeyUsage");
    // The symmetric-cipher extension does not combine with an asymmetric usage, nor
    // does material import.
    let (code, msg) = c.err(
        "CreateKey",
        json!({"Alias": "x", "KeyUsage": "ASYMMETRIC_DECRYPT_SM2", "KeySpec": "SM4"}),
    );
    assert_eq!(code, "InvalidParameterValue", "{msg}");
    let (code, msg) = c.err(
        "CreateKey",
        json!({"Alias": "x", "KeyUsage": "ASYMMETRIC_DECRYPT_SM2", "Type": 2}),
    );
    assert_eq!(code, "InvalidParameterValue.InvalidType", "{msg}");
    assert_eq!(
        c.ok("ListKeys", json!({"Limit": 100}))["TotalCount"],
        6,
        "failed CreateKeys leave nothing behind"
    );
}

#[test]
fn signatures_verify_here_and_in_openssl() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let msg = b"transfer 100.00 CNY to account 6222 0000 1111";
    for (usage, algs) in [
        ("ASYMMETRIC_SIGN_VERIFY_SM2", &["SM2DSA"][..]),
        ("ASYMMETRIC_SIGN_VERIFY_ECC", &["ECC_P256_R1"][..]),
        (
            "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
            &["RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"][..],
        ),
    ] {
        let key = create(&c, usage, usage);
        let pem = public_pem(&c, &key);
        for alg in algs {
            let sig = sign(&c, &key, alg, msg, "RAW");
            assert!(verify(&c, &key, alg, msg, "RAW", &sig), "{alg}");
            assert!(
                openssl_verifies(&pem, alg, msg, &sig),
                "OpenSSL refused our {alg}"
            );
            // The default MessageType is RAW.
            let r = c.ok(
                "SignByAsymmetricKey",
                json!({"KeyId": key, "Algorithm": alg, "Message": b64e(msg)}),
            );
            assert!(openssl_verifies(&pem, alg, msg, &b64d(&r["Signature"])));
            // Another message, a flipped bit, a truncation, garbage: false, never an error.
            assert!(!verify(&c, &key, alg, b"another message", "RAW", &sig));
            let mut flipped = sig.clone();
            let last = flipped.len() - 1;
            flipped[last] ^= 1;
            assert!(!verify(&c, &key, alg, msg, "RAW", &flipped));
            assert!(!verify(&c, &key, alg, msg, "RAW", &sig[..sig.len() - 1]));
            assert!(!verify(&c, &key, alg, msg, "RAW", b""));
            assert!(!verify(&c, &key, alg, msg, "RAW", &[0x30; 72]));
            let r = c.ok(
                "VerifyByAsymmetricKey",
                json!({"KeyId": key, "Algorithm": alg, "Message": b64e(msg),
                       "SignatureValue": "not base64!"}),
            );
            assert_eq!(r["SignatureValid"], false);
        }
    }
}

/// DIGEST for ECDSA and RSA is SHA-256(M): a DIGEST signature verifies as a RAW one
/// (here and in OpenSSL), and the other way round.
#[test]
fn digest_messages_are_sha256_for_ecdsa_and_rsa() {
    use sha2::Digest;
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let msg = b"digest me";
    let digest = sha2::Sha256::digest(msg).to_vec();
    for (usage, alg) in [
        ("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC_P256_R1"),
        ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_PKCS1_SHA_256"),
        ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_PSS_SHA_256"),
    ] {
        let key = create(&c, &alg.replace('_', "-"), usage);
        let pem = public_pem(&c, &key);
        let sig = sign(&c, &key, alg, &digest, "DIGEST");
        assert!(openssl_verifies(&pem, alg, msg, &sig), "{alg}");
        assert!(verify(&c, &key, alg, msg, "RAW", &sig));
        let raw = sign(&c, &key, alg, msg, "RAW");
        assert!(verify(&c, &key, alg, &digest, "DIGEST", &raw));
    }
}

/// SM2DSA DIGEST is e = SM3(Z_A ‖ M) with the default user id, signed as it is. The
/// Python suite computes e with gmssl (not ours) and checks that a DIGEST signature
/// verifies as a RAW one in OpenSSL; here, a DIGEST signature of some other 32 bytes
/// verifies as that DIGEST only, never as a RAW signature of the message.
#[test]
fn sm2_digest_is_signed_as_given() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let key = create(&c, "sm2", "ASYMMETRIC_SIGN_VERIFY_SM2");
    let pem = public_pem(&c, &key);
    let msg = b"abc";
    let sig = sign(&c, &key, "SM2DSA", msg, "RAW");
    assert!(openssl_verifies(&pem, "SM2DSA", msg, &sig));
    let not_e = [7u8; 32];
    let sig = sign(&c, &key, "SM2DSA", &not_e, "DIGEST");
    assert!(verify(&c, &key, "SM2DSA", &not_e, "DIGEST", &sig));
    assert!(!verify(&c, &key, "SM2DSA", msg, "RAW", &sig));
    assert!(!openssl_verifies(&pem, "SM2DSA", msg, &sig));
}

#[test]
fn openssl_encrypts_and_we_decrypt() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let sm2 = create(&c, "sm2", "ASYMMETRIC_DECRYPT_SM2");
    let pem = public_pem(&c, &sm2);
    for pt in [
        // 128 bytes of plaintext make at most 246 of C1C3C2 ASN.1, under the 256 allowed.
        &b"x"[..],
        b"a field an app SM2-encrypted to the server",
        &[0u8; 128],
    ] {
        let ct = openssl_encrypt(&pem, "SM2", pt);
        let r = c.ok(
            "AsymmetricSm2Decrypt",
            json!({"KeyId": sm2, "Ciphertext": b64e(&ct)}),
        );
        assert_eq!(b64d(&r["Plaintext"]), pt);
        assert_eq!(r["KeyId"], sm2);
        // Altered: one opaque error.
        let mut bad = ct.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let (code, _) = c.err(
            "AsymmetricSm2Decrypt",
            json!({"KeyId": sm2, "Ciphertext": b64e(&bad)}),
        );
        assert_eq!(code, "FailedOperation.DecryptError");
    }
    // Over 256 bytes of ciphertext is refused before any decryption.
    let long = openssl_encrypt(&pem, "SM2", &[1u8; 160]);
    assert!(long.len() > 256);
    let (code, msg) = c.err(
        "AsymmetricSm2Decrypt",
        json!({"KeyId": sm2, "Ciphertext": b64e(&long)}),
    );
    assert_eq!(code, "InvalidParameter");
    assert!(msg.contains("256"), "{msg}");

    let rsa = create(&c, "rsa", "ASYMMETRIC_DECRYPT_RSA_2048");
    let pem = public_pem(&c, &rsa);
    for alg in ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
        let pt = format!("secret under {alg}");
        let ct = openssl_encrypt(&pem, alg, pt.as_bytes());
        let r = c.ok(
            "AsymmetricRsaDecrypt",
            json!({"KeyId": rsa, "Ciphertext": b64e(&ct), "Algorithm": alg}),
        );
        assert_eq!(b64d(&r["Plaintext"]), pt.as_bytes());
        // The wrong scheme for the ciphertext, or an altered one: one opaque error.
        let other = if alg == "RSAES_OAEP_SHA_256" {
            "RSAES_OAEP_SHA_1"
        } else {
            "RSAES_OAEP_SHA_256"
        };
        let (code, msg) = c.err(
            "AsymmetricRsaDecrypt",
            json!({"KeyId": rsa, "Ciphertext": b64e(&ct), "Algorithm": other}),
        );
        assert_eq!(code, "FailedOperation.DecryptError");
        let (_, msg2) = c.err(
            "AsymmetricRsaDecrypt",
            json!({"KeyId": rsa, "Ciphertext": b64e(&ct[1..]), "Algorithm": alg}),
        );
        assert_eq!(msg, msg2, "every decryption failure reads the same");
    }
    let (code, _) = c.err(
        "AsymmetricRsaDecrypt",
        json!({"KeyId": rsa, "Ciphertext": b64e(b"x"), "Algorithm": "SM2_C1C3C2_ASN1"}),
    );
    assert_eq!(code, "InvalidParameter");
    let (code, _) = c.err(
        "AsymmetricRsaDecrypt",
        json!({"KeyId": rsa, "Ciphertext": b64e(b"x"), "Algorithm": "RSA_OAEP"}),
    );
    assert_eq!(code, "InvalidParameter");
}

/// The plaintext of an asymmetric decryption can be delivered to the caller's public
/// key, as Decrypt's can: here to the key's own twin, an SM2 key of this server, so the
/// delivered ciphertext is opened by AsymmetricSm2Decrypt.
#[test]
fn decrypted_plaintext_is_delivered_like_decrypt() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let src = create(&c, "src", "ASYMMETRIC_DECRYPT_SM2");
    let dst = create(&c, "dst", "ASYMMETRIC_DECRYPT_SM2");
    let src_pem = public_pem(&c, &src);
    let dst_pem = public_pem(&c, &dst);
    let ct = openssl_encrypt(&src_pem, "SM2", b"delivered, never in the clear");
    let r = c.ok(
        "AsymmetricSm2Decrypt",
        json!({"KeyId": src, "Ciphertext": b64e(&ct),
               "EncryptionPublicKey": dst_pem, "EncryptionAlgorithm": "SM2_C1C3C2_ASN1"}),
    );
    let delivered = b64d(&r["Plaintext"]);
    assert_ne!(delivered, b"delivered, never in the clear");
    let back = c.ok(
        "AsymmetricSm2Decrypt",
        json!({"KeyId": dst, "Ciphertext": b64e(&delivered)}),
    );
    assert_eq!(b64d(&back["Plaintext"]), b"delivered, never in the clear");
    let (code, _) = c.err(
        "AsymmetricSm2Decrypt",
        json!({"KeyId": src, "Ciphertext": b64e(&ct), "EncryptionAlgorithm": "SM2_C1C3C2_ASN1"}),
    );
    assert_eq!(code, "InvalidParameter");
}

#[test]
fn usage_is_enforced() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let sign_key = create(&c, "s", "ASYMMETRIC_SIGN_VERIFY_SM2");
    let dec_key = create(&c, "d", "ASYMMETRIC_DECRYPT_SM2");
    let sym = c.ok("CreateKey", json!({"Alias": "sym"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let expect = |action: &str, params: Value, code: &str| {
        let (got, msg) = c.err(action, params);
        assert_eq!(got, code, "{action}: {msg}");
        assert!(msg.contains("KeyUsage"), "{action}: {msg}");
    };
    for k in [&sign_key, &dec_key] {
        expect(
            "Encrypt",
            json!({"KeyId": k, "Plaintext": b64e(b"x")}),
            "InvalidParameter",
        );
        expect(
            "GenerateDataKey",
            json!({"KeyId": k, "KeySpec": "AES_256"}),
            "InvalidParameterValue.InvalidKeyUsage",
        );
        expect(
            "GenerateDataKey",
            json!({"KeyId": k, "KeySpec": "AES_256", "IsHostedByKms": 1, "DataKeyName": "dk"}),
            "InvalidParameterValue.InvalidKeyUsage",
        );
        expect(
            "RotateKey",
            json!({"KeyId": k}),
            "UnsupportedOperation.RotateNotSupported",
        );
        expect(
            "EnableKeyRotation",
            json!({"KeyId": k}),
            "UnsupportedOperation.RotateNotSupported",
        );
    }
    // A signing key does not decrypt; a decryption key does not sign or verify.
    expect(
        "AsymmetricSm2Decrypt",
        json!({"KeyId": sign_key, "Ciphertext": b64e(&[0u8; 120])}),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    let sig_params = |k: &str| json!({"KeyId": k, "Algorithm": "SM2DSA", "Message": b64e(b"m")});
    expect(
        "SignByAsymmetricKey",
        sig_params(&dec_key),
        "InvalidParameter",
    );
    let mut v = sig_params(&dec_key);
    v["SignatureValue"] = json!(b64e(b"sig"));
    expect("VerifyByAsymmetricKey", v, "InvalidParameter");
    // An SM2 decryption key is not an RSA one.
    expect(
        "AsymmetricRsaDecrypt",
        json!({"KeyId": dec_key, "Ciphertext": b64e(&[0u8; 256]), "Algorithm": "RSAES_OAEP_SHA_256"}),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    // Symmetric keys do neither, and have no public key.
    expect("SignByAsymmetricKey", sig_params(&sym), "InvalidParameter");
    expect(
        "AsymmetricSm2Decrypt",
        json!({"KeyId": sym, "Ciphertext": b64e(&[0u8; 120])}),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    expect("GetPublicKey", json!({"KeyId": sym}), "InvalidParameter");
    // The symmetric key still works.
    c.ok("Encrypt", json!({"KeyId": sym, "Plaintext": b64e(b"x")}));
}

#[test]
fn bad_input_gets_documented_codes() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let sm2 = create(&c, "s", "ASYMMETRIC_SIGN_VERIFY_SM2");
    let rsa = create(&c, "r", "ASYMMETRIC_SIGN_VERIFY_RSA_2048");
    let cases = [
        // (params, code, a word the message must contain)
        (
            json!({"KeyId": sm2, "Algorithm": "SM2DSA", "Message": b64e(&[0; 4097])}),
            "InvalidParameter",
            "4096",
        ),
        (
            json!({"KeyId": sm2, "Algorithm": "SM2DSA", "Message": b64e(&[0; 31]), "MessageType": "DIGEST"}),
            "InvalidParameter",
            "32",
        ),
        (
            json!({"KeyId": sm2, "Algorithm": "SM2DSA", "Message": b64e(&[0; 33]), "MessageType": "DIGEST"}),
            "InvalidParameter",
            "32",
        ),
        (
            json!({"KeyId": sm2, "Algorithm": "SM2DSA", "Message": b64e(b"m"), "MessageType": "HASH"}),
            "InvalidParameter",
            "MessageType",
        ),
        (
            json!({"KeyId": sm2, "Algorithm": "ECDSA", "Message": b64e(b"m")}),
            "InvalidParameter",
            "ECDSA",
        ),
        (
            json!({"KeyId": sm2, "Algorithm": "RSA_PSS_SHA_256", "Message": b64e(b"m")}),
            "InvalidParameter",
            "SM2DSA",
        ),
        (
            json!({"KeyId": rsa, "Algorithm": "SM2DSA", "Message": b64e(b"m")}),
            "InvalidParameter",
            "RSA_PSS_SHA_256",
        ),
        (
            json!({"KeyId": sm2, "Algorithm": "SM2DSA", "Message": "%%%"}),
            "InvalidParameter",
            "base64",
        ),
        (
            json!({"KeyId": sm2, "Algorithm": "SM2DSA"}),
            "MissingParameter",
            "Message",
        ),
        (
            json!({"KeyId": sm2, "Message": b64e(b"m")}),
            "MissingParameter",
            "Algorithm",
        ),
        (
            json!({"KeyId": "nope", "Algorithm": "SM2DSA", "Message": b64e(b"m")}),
            "InvalidParameterValue.InvalidKeyId",
            "KeyId",
        ),
        (
            json!({"KeyId": "00000000-0000-4000-8000-000000000000", "Algorithm": "SM2DSA", "Message": b64e(b"m")}),
            "ResourceUnavailable.CmkNotFound",
            "00000000",
        ),
        (
            json!({"KeyId": sm2, "Algorithm": "SM2DSA", "Message": b64e(b"m"), "Extra": 1}),
            "UnknownParameter",
            "Extra",
        ),
    ];
    for (params, code, word) in cases {
        for action in ["SignByAsymmetricKey", "VerifyByAsymmetricKey"] {
            let mut p = params.clone();
            if action == "VerifyByAsymmetricKey" {
                p["SignatureValue"] = json!(b64e(b"sig"));
            }
            let (got, msg) = c.err(action, p.clone());
            assert_eq!(got, code, "{action} {p}: {msg}");
            assert!(msg.contains(word), "{action} {p}: {msg}");
        }
    }
    let (code, _) = c.err("GetPublicKey", json!({"KeyId": "nope"}));
    assert_eq!(code, "InvalidParameterValue.InvalidKeyId");
    let (code, _) = c.err(
        "AsymmetricSm2Decrypt",
        json!({"KeyId": sm2, "Ciphertext": "%%%"}),
    );
    assert_eq!(code, "InvalidParameter");
}

#[test]
fn states_are_enforced() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let key = create(&c, "s", "ASYMMETRIC_SIGN_VERIFY_ECC");
    let msg = b"state";
    let sig = sign(&c, &key, "ECC_P256_R1", msg, "RAW");
    let sign_params = json!({"KeyId": key, "Algorithm": "ECC_P256_R1", "Message": b64e(msg)});
    let mut verify_params = sign_params.clone();
    verify_params["SignatureValue"] = json!(b64e(&sig));

    // Disabled: nothing but metadata.
    c.ok("DisableKey", json!({"KeyId": key}));
    for (action, p) in [
        ("SignByAsymmetricKey", sign_params.clone()),
        ("VerifyByAsymmetricKey", verify_params.clone()),
        ("GetPublicKey", json!({"KeyId": key})),
    ] {
        let (code, m) = c.err(action, p);
        assert_eq!(
            code, "ResourceUnavailable.CmkStateNotSupport",
            "{action}: {m}"
        );
        assert!(m.contains("Disabled"), "{m}");
    }
    c.ok("EnableKey", json!({"KeyId": key}));

    // Archived: old signatures still verify and the public key is still served; no new
    // signatures.
    c.ok("ArchiveKey", json!({"KeyId": key}));
    assert_eq!(
        c.ok("VerifyByAsymmetricKey", verify_params.clone())["SignatureValid"],
        true
    );
    public_pem(&c, &key);
    let (code, _) = c.err("SignByAsymmetricKey", sign_params.clone());
    assert_eq!(code, "ResourceUnavailable.CmkStateNotSupport");
    c.ok("CancelKeyArchive", json!({"KeyId": key}));
    sign(&c, &key, "ECC_P256_R1", msg, "RAW");

    // PendingDelete: refused; cancelling brings it back Disabled.
    c.ok("DisableKey", json!({"KeyId": key}));
    c.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": key, "PendingWindowInDays": 7}),
    );
    let (code, m) = c.err("SignByAsymmetricKey", sign_params.clone());
    assert_eq!(code, "ResourceUnavailable.CmkStateNotSupport");
    assert!(m.contains("PendingDelete"), "{m}");
    c.ok("CancelKeyDeletion", json!({"KeyId": key}));
    c.ok("EnableKey", json!({"KeyId": key}));
    assert!(verify(&c, &key, "ECC_P256_R1", msg, "RAW", &sig));

    // Another account sees nothing.
    let other = create_credential(_dir.path(), None);
    let (code, _) = server
        .client(&other)
        .err("GetPublicKey", json!({"KeyId": key}));
    assert_eq!(code, "ResourceUnavailable.CmkNotFound");
}

#[test]
fn list_algorithms_lists_what_is_supported() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let r = c.ok("ListAlgorithms", json!({}));
    let pairs = |name: &str| -> Vec<(String, String)> {
        r[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["KeyUsage"].as_str().unwrap().to_string(),
                    a["Algorithm"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let p = |u: &str, a: &str| (u.to_string(), a.to_string());
    assert_eq!(
        pairs("AsymmetricAlgorithms"),
        vec![
            p("ASYMMETRIC_DECRYPT_RSA_2048", "RSA_2048"),
            p("ASYMMETRIC_DECRYPT_SM2", "SM2")
        ]
    );
    assert_eq!(
        pairs("AsymmetricSignVerifyAlgorithms"),
        vec![
            p("ASYMMETRIC_SIGN_VERIFY_SM2", "SM2"),
            p("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_2048"),
            p("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC"),
        ]
    );
    // Each listed usage is one CreateKey accepts.
    for (usage, _) in pairs("AsymmetricAlgorithms")
        .into_iter()
        .chain(pairs("AsymmetricSignVerifyAlgorithms"))
    {
        create(&c, &usage.to_lowercase().replace('_', "-"), &usage);
    }
}

/// An asymmetric key's sealed private key is its material like a symmetric key's: it
/// outlives a restart, signatures made before verify after, and the public key is the
/// same.
#[test]
fn keys_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let mut server = Server::start(dir.path());
    let c = server.client(&cred);
    let key = create(&c, "s", "ASYMMETRIC_SIGN_VERIFY_SM2");
    let pem = public_pem(&c, &key);
    let sig = sign(&c, &key, "SM2DSA", b"before", "RAW");
    server.stop();
    drop(server);
    let server = Server::start(dir.path());
    let c = server.client(&cred);
    assert_eq!(public_pem(&c, &key), pem);
    assert!(verify(&c, &key, "SM2DSA", b"before", "RAW", &sig));
    let after = sign(&c, &key, "SM2DSA", b"after", "RAW");
    assert!(openssl_verifies(&pem, "SM2DSA", b"after", &after));
}

/// The same on PostgreSQL: a key made through one replica signs and decrypts through
/// another.
#[test]
fn keys_work_on_postgres() {
    let url = common::postgres::shared_url();
    let a_dir = tempfile::tempdir().unwrap();
    let cred = create_credential_with(a_dir.path(), &["--store", &url]);
    let b_dir = tempfile::tempdir().unwrap();
    std::fs::copy(a_dir.path().join("root.key"), b_dir.path().join("root.key")).unwrap();
    let a = Server::start_with(a_dir.path(), &["--store", &url]);
    let b = Server::start_with(b_dir.path(), &["--store", &url]);
    let (ca, cb) = (a.client(&cred), b.client(&cred));
    let key = create(&ca, "pg", "ASYMMETRIC_DECRYPT_SM2");
    let pem = public_pem(&cb, &key);
    let ct = openssl_encrypt(&pem, "SM2", b"through postgres");
    let r = cb.ok(
        "AsymmetricSm2Decrypt",
        json!({"KeyId": key, "Ciphertext": b64e(&ct)}),
    );
    assert_eq!(b64d(&r["Plaintext"]), b"through postgres");
    assert_eq!(
        ca.ok("DescribeKey", json!({"KeyId": key}))["KeyMetadata"]["KeyUsage"],
        "ASYMMETRIC_DECRYPT_SM2"
    );
}
