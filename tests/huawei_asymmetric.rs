//! Asymmetric keys and import over the Huawei KMS v1.0 API, against the real binary:
//! create-key with key_spec SM2 / RSA_2048 / EC_P256, get-publickey, sign and verify
//! (Huawei's SM2 convention: DIGEST = SM3(Z_A ‖ M), computed here from the standard's
//! formula), asymmetric decrypt-data, and get-parameters-for-import /
//! import-key-material / delete-imported-key-material. Signatures are verified, and
//! ciphertexts and wrapped material made, by the `openssl` CLI, an implementation that
//! is not ours (tests/python adds gmssl and `cryptography`). The same keys are seen
//! through the Tencent API: one core, two dialects.

mod common;
mod huawei_common;
use base64::Engine;
use common::openssl::Scheme;
use common::*;
use huawei_common::*;
use serde_json::{json, Value};
use sm3::{Digest, Sm3};

fn b64e(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn b64d(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

fn pem_of_der(der: &[u8]) -> String {
    let b = b64e(der);
    let lines: Vec<&str> = b
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

fn der_of_pem(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// Whether OpenSSL accepts `sig` over `msg` under `pem` with Huawei's `alg`.
fn openssl_verifies(pem: &str, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let scheme = match alg {
        "SM2DSA_SM3" => Scheme::Sm2,
        "ECDSA_SHA_256" | "RSASSA_PKCS1_V1_5_SHA_256" => Scheme::Sha256,
        "RSASSA_PSS_SHA_256" => Scheme::RsaPssSha256,
        other => panic!("{other}"),
    };
    common::openssl::verifies(pem, scheme, msg, sig)
}

/// `plaintext` encrypted to `pem` by OpenSSL: SM2 (ASN.1 C1C3C2) or RSA OAEP-SHA-256.
fn openssl_encrypt(pem: &str, plaintext: &[u8]) -> Vec<u8> {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pub.pem"), pem).unwrap();
    std::fs::write(d.path().join("pt"), plaintext).unwrap();
    let mut args = vec![
        "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "pt",
    ];
    if pem_is_rsa(pem) {
        args.extend([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ]);
    }
    let (ok, out, err) = common::openssl::run(d.path(), &args);
    assert!(ok, "openssl encrypt: {err}");
    out
}

fn pem_is_rsa(pem: &str) -> bool {
    der_of_pem(pem).len() > 200
}

/// e = SM3(Z_A ‖ M), Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) with the
/// default ID, written out from GB/T 32918.2 §5.5 (not through smkms).
fn sm2_e(spki_der: &[u8], msg: &[u8]) -> Vec<u8> {
    let id = b"1234567812345678";
    let point = &spki_der[spki_der.len() - 65..];
    assert_eq!(point[0], 4);
    let mut z = Sm3::new();
    z.update(((id.len() * 8) as u16).to_be_bytes());
    z.update(id);
    for h in [
        "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
        "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
        "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
        "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0",
    ] {
        z.update(hex::decode(h).unwrap());
    }
    z.update(&point[1..]);
    let za = z.finalize();
    let mut e = Sm3::new();
    e.update(za);
    e.update(msg);
    e.finalize().to_vec()
}

fn public_pem(hw: &Hw, key: &str) -> String {
    let r = hw.ok("get-publickey", json!({"key_id": key}));
    assert_eq!(r["key_id"], key);
    let pem = r["public_key"].as_str().unwrap().to_string();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\r\n"), "{pem}");
    assert!(pem.ends_with("-----END PUBLIC KEY-----\r\n"), "{pem}");
    pem
}

fn sign(hw: &Hw, key: &str, alg: &str, msg: &[u8], kind: Option<&str>) -> Vec<u8> {
    let mut body = json!({"key_id": key, "signing_algorithm": alg, "message": b64e(msg)});
    if let Some(k) = kind {
        body["message_type"] = json!(k);
    }
    b64d(&hw.ok("sign", body)["signature"])
}

fn verify(hw: &Hw, key: &str, alg: &str, msg: &[u8], sig: &[u8], kind: Option<&str>) -> bool {
    let mut body = json!({"key_id": key, "signing_algorithm": alg, "message": b64e(msg), "signature": b64e(sig)});
    if let Some(k) = kind {
        body["message_type"] = json!(k);
    }
    match hw.ok("verify", body)["signature_valid"].as_str().unwrap() {
        "true" => true,
        "false" => false,
        other => panic!("signature_valid {other:?}"),
    }
}

#[test]
fn keys_are_described_in_huawei_terms() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    for (spec, usage, shown, tencent) in [
        ("SM2", None, "SIGN_VERIFY", "ASYMMETRIC_SIGN_VERIFY_SM2"),
        (
            "SM2",
            Some("ENCRYPT_DECRYPT"),
            "ENCRYPT_DECRYPT",
            "ASYMMETRIC_DECRYPT_SM2",
        ),
        (
            "RSA_2048",
            Some("SIGN_VERIFY"),
            "SIGN_VERIFY",
            "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
        ),
        (
            "RSA_2048",
            Some("ENCRYPT_DECRYPT"),
            "ENCRYPT_DECRYPT",
            "ASYMMETRIC_DECRYPT_RSA_2048",
        ),
        ("EC_P256", None, "SIGN_VERIFY", "ASYMMETRIC_SIGN_VERIFY_ECC"),
    ] {
        let mut extra = json!({"key_spec": spec});
        if let Some(u) = usage {
            extra["key_usage"] = json!(u);
        }
        let key = hw.new_key(extra);
        let info = &hw.ok("describe-key", json!({"key_id": key}))["key_info"];
        assert_eq!(
            (info["key_spec"].as_str(), info["key_usage"].as_str()),
            (Some(spec), Some(shown))
        );
        let listed = hw.ok("list-keys", json!({"key_spec": spec}));
        let row = listed["key_details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["key_id"] == key.as_str())
            .unwrap()
            .clone();
        assert_eq!(row["key_usage"], shown);
        // The Tencent API sees the same key with its own usage name.
        let mut tc = server.client(&cred);
        tc.region = hw.project.clone();
        let d = tc.ok("DescribeKey", json!({"KeyId": key}));
        assert_eq!(d["KeyMetadata"]["KeyUsage"], tencent);
    }
}

#[test]
fn signatures_verify_in_openssl() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    let msg = b"transfer 100.00 CNY to 6222 0000 1111";

    let sm2 = hw.new_key(json!({"key_spec": "SM2", "key_usage": "SIGN_VERIFY"}));
    let pem = public_pem(&hw, &sm2);
    let e = sm2_e(&der_of_pem(&pem), msg);
    let sig = sign(&hw, &sm2, "SM2DSA_SM3", &e, None);
    assert_eq!(sig[0], 0x30, "DER");
    assert!(openssl_verifies(&pem, "SM2DSA_SM3", msg, &sig));
    assert!(!openssl_verifies(&pem, "SM2DSA_SM3", b"another", &sig));
    assert!(verify(&hw, &sm2, "SM2DSA_SM3", &e, &sig, Some("DIGEST")));
    assert!(!verify(
        &hw,
        &sm2,
        "SM2DSA_SM3",
        &sm2_e(&der_of_pem(&pem), b"x"),
        &sig,
        None
    ));
    assert!(!verify(&hw, &sm2, "SM2DSA_SM3", &e, b"\x30\x00", None));
    // A plain SM3(M) is not what Huawei means by the digest: not a signature of M.
    let plain = Sm3::digest(msg).to_vec();
    assert!(!openssl_verifies(
        &pem,
        "SM2DSA_SM3",
        msg,
        &sign(&hw, &sm2, "SM2DSA_SM3", &plain, None)
    ));

    // One core, two dialects: the Tencent API verifies the Huawei-made signature of M.
    let mut tc = server.client(&cred);
    tc.region = hw.project.clone();
    let r = tc.ok(
        "VerifyByAsymmetricKey",
        json!({"KeyId": sm2, "Algorithm": "SM2DSA", "Message": b64e(msg), "SignatureValue": b64e(&sig)}),
    );
    assert_eq!(r["SignatureValid"], true);

    for (spec, alg) in [
        ("EC_P256", "ECDSA_SHA_256"),
        ("RSA_2048", "RSASSA_PSS_SHA_256"),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    ] {
        let key = hw.new_key(json!({"key_spec": spec, "key_usage": "SIGN_VERIFY"}));
        let pem = public_pem(&hw, &key);
        let raw = sign(&hw, &key, alg, msg, Some("RAW"));
        assert!(openssl_verifies(&pem, alg, msg, &raw), "{alg}");
        let digest = sha256(msg);
        let by_digest = sign(&hw, &key, alg, &digest, None);
        assert!(openssl_verifies(&pem, alg, msg, &by_digest), "{alg} DIGEST");
        assert!(verify(&hw, &key, alg, msg, &by_digest, Some("RAW")));
        assert!(!verify(&hw, &key, alg, b"other", &raw, Some("RAW")));
    }
}

fn sha256(b: &[u8]) -> Vec<u8> {
    hex::decode(sha256_hex(b)).unwrap()
}

#[test]
fn decrypt_data_opens_what_openssl_encrypts() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    for (spec, alg) in [("SM2", "SM2_ENCRYPT"), ("RSA_2048", "RSAES_OAEP_SHA_256")] {
        let key = hw.new_key(json!({"key_spec": spec, "key_usage": "ENCRYPT_DECRYPT"}));
        let pem = public_pem(&hw, &key);
        let ct = openssl_encrypt(&pem, b"a field an app encrypted");
        let r = hw.ok(
            "decrypt-data",
            json!({"key_id": key, "encryption_algorithm": alg, "cipher_text": b64e(&ct)}),
        );
        assert_eq!(r["plain_text"], "a field an app encrypted");
        assert_eq!(b64d(&r["plain_text_base64"]), b"a field an app encrypted");
        // encrypt-data with the same algorithm: the server encrypts with the public key.
        let e = hw.ok(
            "encrypt-data",
            json!({"key_id": key, "encryption_algorithm": alg, "plain_text": "server-side"}),
        );
        let r = hw.ok(
            "decrypt-data",
            json!({"key_id": key, "encryption_algorithm": alg, "cipher_text": e["cipher_text"]}),
        );
        assert_eq!(r["plain_text"], "server-side");
        let mut bad = ct.clone();
        *bad.last_mut().unwrap() ^= 1;
        let (s, code, _) = hw.err(
            "decrypt-data",
            json!({"key_id": key, "encryption_algorithm": alg, "cipher_text": b64e(&bad)}),
        );
        assert_eq!((s, code.as_str()), (400, "KMS.0308"));
    }
}

#[test]
fn import_wrapped_by_openssl() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    for alg in ["RSAES_OAEP_SHA_256", "SM2_ENCRYPT"] {
        let key = hw.new_key(json!({"key_spec": "SM4", "origin": "external"}));
        assert_eq!(hw.state(&key), "5");
        let p = hw.ok(
            "get-parameters-for-import",
            json!({"key_id": key, "wrapping_algorithm": alg}),
        );
        assert!(p["expiration_time"].as_i64().unwrap() > 0);
        let pem = pem_of_der(&b64d(&p["public_key"]));
        let material = [7u8; 16];
        let blob = openssl_encrypt(&pem, &material);
        hw.ok(
            "import-key-material",
            json!({"key_id": key, "import_token": p["import_token"], "encrypted_key_material": b64e(&blob)}),
        );
        assert_eq!(hw.state(&key), "2");
        let ct =
            hw.ok("encrypt-data", json!({"key_id": key, "plain_text": "p"}))["cipher_text"].clone();
        hw.ok("delete-imported-key-material", json!({"key_id": key}));
        assert_eq!(hw.state(&key), "5");
        let (s, code, _) = hw.err("decrypt-data", json!({"cipher_text": ct}));
        assert_eq!(
            (s, code.as_str()),
            (400, "KMS.0209"),
            "no material, no decryption"
        );
    }
}
