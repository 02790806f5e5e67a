//! The Huawei KMS v1.0 dialect's errors: every KMS.xxxx code a client can reach,
//! with its HTTP status, signed by our own client (tests/huawei_common).

mod common;
mod huawei_common;
use common::*;
use huawei_common::*;
use serde_json::{json, Value};
use smkms::auth::huawei::Algorithm;

/// Every KMS.xxxx code a client can reach, with its HTTP status.
#[test]
fn error_codes_and_statuses() {
    let (dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    let key = hw.new_key(json!({}));
    let missing = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    let pending = hw.new_key(json!({}));
    hw.ok(
        "schedule-key-deletion",
        json!({"key_id": pending, "pending_days": "7"}),
    );
    let disabled = hw.new_key(json!({}));
    hw.ok("disable-key", json!({"key_id": disabled}));
    let ct = hw.ok("encrypt-data", json!({"key_id": key, "plain_text": "p"}))["cipher_text"]
        .as_str()
        .unwrap()
        .to_string();
    let dk = hw.ok(
        "create-datakey",
        json!({"key_id": key, "datakey_length": "256"}),
    );
    let dk_ct = dk["cipher_text"].as_str().unwrap().to_string();
    let other = hw.new_key(json!({}));
    let long = "x".repeat(256);
    let seq = "919c82d4-8046-4722-9094-35c3c6524cff";
    let sm2_signer = hw.new_key(json!({"key_spec": "SM2", "key_usage": "SIGN_VERIFY"}));
    let sm2_decrypter = hw.new_key(json!({"key_spec": "SM2", "key_usage": "ENCRYPT_DECRYPT"}));
    let disabled_signer = hw.new_key(json!({"key_spec": "SM2"}));
    hw.ok("disable-key", json!({"key_id": disabled_signer}));
    let external = hw.new_key(json!({"key_spec": "SM4", "origin": "external"}));
    let token = hw.ok(
        "get-parameters-for-import",
        json!({"key_id": external, "wrapping_algorithm": "SM2_ENCRYPT"}),
    )["import_token"]
        .as_str()
        .unwrap()
        .to_string();
    // 32 bytes of base64: a digest, and a blob that is no SM2 ciphertext.
    let digest = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("describe-key", json!({}), 400, "KMS.0204"),
        ("describe-key", json!({"key_id": "nope"}), 400, "KMS.0205"),
        (
            "describe-key",
            json!({"key_id": missing.to_uppercase()}),
            400,
            "KMS.0205",
        ),
        (
            "describe-key",
            json!({"key_id": "zzzzzzzz-e727-4d9c-b35d-f84bb474a37f"}),
            400,
            "KMS.0205",
        ),
        (
            "describe-key",
            json!({"key_id": key, "sequence": "short"}),
            400,
            "KMS.0206",
        ),
        ("describe-key", json!({"key_id": missing}), 404, "KMS.0207"),
        (
            "describe-key",
            json!({"key_id": key, "extra": "1"}),
            400,
            "KMS.0308",
        ),
        (
            "encrypt-data",
            json!({"key_id": key, "plain_text": "p", "additional_authenticated_data": "x".repeat(129)}),
            400,
            "KMS.0308",
        ),
        (
            "encrypt-data",
            json!({"key_id": disabled, "plain_text": "p"}),
            400,
            "KMS.0209",
        ),
        (
            "encrypt-data",
            json!({"key_id": pending, "plain_text": "p"}),
            400,
            "KMS.0210",
        ),
        (
            "encrypt-data",
            json!({"key_id": key, "plain_text": ""}),
            400,
            "KMS.0308",
        ),
        (
            "encrypt-data",
            json!({"key_id": key, "plain_text": "x".repeat(4097)}),
            400,
            "KMS.0308",
        ),
        (
            "encrypt-data",
            json!({"key_id": key, "plain_text": "p", "encryption_algorithm": "SM2_ENCRYPT"}),
            400,
            "KMS.2105",
        ),
        (
            "decrypt-data",
            json!({"cipher_text": "!!"}),
            400,
            "KMS.0308",
        ),
        (
            "decrypt-data",
            json!({"cipher_text": ct, "key_id": other}),
            400,
            "KMS.0308",
        ),
        (
            "create-key",
            json!({"key_alias": "bad alias"}),
            400,
            "KMS.1101",
        ),
        (
            "create-key",
            json!({"key_alias": "svc/default"}),
            400,
            "KMS.1101",
        ),
        (
            "create-key",
            json!({"key_alias": "x".repeat(256)}),
            400,
            "KMS.1101",
        ),
        (
            "create-key",
            json!({"key_alias": "d", "key_description": long}),
            400,
            "KMS.1103",
        ),
        (
            "create-key",
            json!({"key_alias": format!("dup{}", &key[..8])}),
            200,
            "",
        ),
        (
            "create-key",
            json!({"key_alias": format!("dup{}", &key[..8])}),
            400,
            "KMS.1104",
        ),
        // Huawei's other asymmetric and HMAC specs are not implemented (KMS.0201),
        // unlike a spec that does not exist (KMS.0308).
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "RSA_3072"}),
            400,
            "KMS.0201",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "EC_P384"}),
            400,
            "KMS.0201",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "ED25519"}),
            400,
            "KMS.0201",
        ),
        // An EC key cannot encrypt (KMS.1114), a symmetric key cannot sign (KMS.1115).
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "EC_P256", "key_usage": "ENCRYPT_DECRYPT"}),
            400,
            "KMS.1114",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "SM4", "key_usage": "SIGN_VERIFY"}),
            400,
            "KMS.1115",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "HMAC_256"}),
            400,
            "KMS.0201",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "RSA_1024"}),
            400,
            "KMS.0308",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_usage": "SIGN_VERIFY"}),
            400,
            "KMS.1115",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_usage": "SIGN"}),
            400,
            "KMS.0308",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "SM2", "origin": "external"}),
            400,
            "KMS.0308",
        ),
        // Asymmetric keys: usage, algorithm and message rules.
        ("get-publickey", json!({"key_id": key}), 400, "KMS.0331"),
        ("get-publickey", json!({"key_id": missing}), 404, "KMS.0207"),
        (
            "sign",
            json!({"key_id": key, "signing_algorithm": "SM2DSA_SM3", "message": digest}),
            400,
            "KMS.0331",
        ),
        (
            "sign",
            json!({"key_id": sm2_decrypter, "signing_algorithm": "SM2DSA_SM3", "message": digest}),
            400,
            "KMS.0334",
        ),
        (
            "sign",
            json!({"key_id": sm2_signer, "signing_algorithm": "ECDSA_SHA_256", "message": digest}),
            400,
            "KMS.0332",
        ),
        (
            "sign",
            json!({"key_id": sm2_signer, "signing_algorithm": "RSASSA_PSS_SHA_512", "message": digest}),
            400,
            "KMS.0332",
        ),
        (
            "sign",
            json!({"key_id": sm2_signer, "signing_algorithm": "SM3WITHSM2", "message": digest}),
            400,
            "KMS.0308",
        ),
        (
            "sign",
            json!({"key_id": sm2_signer, "signing_algorithm": "SM2DSA_SM3", "message": "AAAA"}),
            400,
            "KMS.0329",
        ),
        (
            "sign",
            json!({"key_id": sm2_signer, "signing_algorithm": "SM2DSA_SM3", "message": digest, "message_type": "RAW"}),
            400,
            "KMS.0308",
        ),
        (
            "sign",
            json!({"key_id": sm2_signer, "signing_algorithm": "SM2DSA_SM3", "message": digest, "message_type": "TEXT"}),
            400,
            "KMS.0308",
        ),
        (
            "sign",
            json!({"key_id": sm2_signer, "signing_algorithm": "SM2DSA_SM3", "message": "!!"}),
            400,
            "KMS.0308",
        ),
        (
            "sign",
            json!({"key_id": sm2_signer, "signing_algorithm": "SM2DSA_SM3"}),
            400,
            "KMS.0204",
        ),
        (
            "sign",
            json!({"key_id": disabled_signer, "signing_algorithm": "SM2DSA_SM3", "message": digest}),
            400,
            "KMS.0209",
        ),
        (
            "verify",
            json!({"key_id": sm2_signer, "signing_algorithm": "SM2DSA_SM3", "message": digest}),
            400,
            "KMS.0204",
        ),
        (
            "decrypt-data",
            json!({"key_id": sm2_signer, "encryption_algorithm": "SM2_ENCRYPT", "cipher_text": digest}),
            400,
            "KMS.0335",
        ),
        (
            "decrypt-data",
            json!({"key_id": sm2_decrypter, "encryption_algorithm": "RSAES_OAEP_SHA_256", "cipher_text": digest}),
            400,
            "KMS.2106",
        ),
        (
            "decrypt-data",
            json!({"encryption_algorithm": "SM2_ENCRYPT", "cipher_text": digest}),
            400,
            "KMS.0204",
        ),
        (
            "decrypt-data",
            json!({"key_id": sm2_decrypter, "encryption_algorithm": "SM2_ENCRYPT", "cipher_text": digest}),
            400,
            "KMS.0308",
        ),
        (
            "decrypt-data",
            json!({"key_id": sm2_decrypter, "encryption_algorithm": "RSAES_PKCS1", "cipher_text": digest}),
            400,
            "KMS.0308",
        ),
        (
            "encrypt-data",
            json!({"key_id": sm2_signer, "plain_text": "p"}),
            400,
            "KMS.0325",
        ),
        (
            "enable-key-rotation",
            json!({"key_id": sm2_signer}),
            400,
            "KMS.0325",
        ),
        (
            "create-datakey",
            json!({"key_id": sm2_decrypter}),
            400,
            "KMS.0325",
        ),
        // Import: a KMS-made key (KMS.0309), a bad algorithm, a token, a blob.
        (
            "get-parameters-for-import",
            json!({"key_id": key}),
            400,
            "KMS.0309",
        ),
        (
            "get-parameters-for-import",
            json!({"key_id": external, "wrapping_algorithm": "RSAES_PKCS1_V1_5"}),
            400,
            "KMS.0308",
        ),
        (
            "import-key-material",
            json!({"key_id": external, "import_token": "bm9wZQ==", "encrypted_key_material": digest}),
            400,
            "KMS.0308",
        ),
        (
            "import-key-material",
            json!({"key_id": external, "import_token": token, "encrypted_key_material": "!!"}),
            400,
            "KMS.0308",
        ),
        (
            "import-key-material",
            json!({"key_id": external, "import_token": token, "encrypted_key_material": digest, "encrypted_privatekey": digest}),
            400,
            "KMS.0308",
        ),
        (
            "import-key-material",
            json!({"key_id": external, "import_token": token}),
            400,
            "KMS.0204",
        ),
        (
            "import-key-material",
            json!({"key_id": external, "import_token": token, "encrypted_key_material": digest}),
            400,
            "KMS.0311",
        ),
        (
            "delete-imported-key-material",
            json!({"key_id": key}),
            400,
            "KMS.0309",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "origin": "cloud"}),
            400,
            "KMS.0308",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "keystore_id": "1"}),
            400,
            "KMS.0308",
        ),
        ("enable-key", json!({"key_id": key}), 400, "KMS.1201"),
        ("enable-key", json!({"key_id": pending}), 400, "KMS.0210"),
        ("disable-key", json!({"key_id": disabled}), 400, "KMS.1301"),
        ("disable-key", json!({"key_id": pending}), 400, "KMS.0210"),
        (
            "schedule-key-deletion",
            json!({"key_id": key, "pending_days": "6"}),
            400,
            "KMS.1401",
        ),
        (
            "schedule-key-deletion",
            json!({"key_id": key, "pending_days": "1097"}),
            400,
            "KMS.1401",
        ),
        (
            "schedule-key-deletion",
            json!({"key_id": key, "pending_days": "seven"}),
            400,
            "KMS.1401",
        ),
        (
            "schedule-key-deletion",
            json!({"key_id": key}),
            400,
            "KMS.0204",
        ),
        (
            "schedule-key-deletion",
            json!({"key_id": pending, "pending_days": "7"}),
            400,
            "KMS.1402",
        ),
        (
            "cancel-key-deletion",
            json!({"key_id": key}),
            400,
            "KMS.1501",
        ),
        (
            "update-key-alias",
            json!({"key_id": key, "key_alias": "a b"}),
            400,
            "KMS.1101",
        ),
        (
            "update-key-alias",
            json!({"key_id": pending, "key_alias": "ok"}),
            400,
            "KMS.0210",
        ),
        (
            "update-key-description",
            json!({"key_id": key, "key_description": long}),
            400,
            "KMS.1103",
        ),
        (
            "update-key-description",
            json!({"key_id": pending, "key_description": "d"}),
            400,
            "KMS.0210",
        ),
        ("list-keys", json!({"limit": "0"}), 400, "KMS.1601"),
        ("list-keys", json!({"limit": "1001"}), 400, "KMS.1601"),
        ("list-keys", json!({"marker": "-1"}), 400, "KMS.1602"),
        ("list-keys", json!({"key_state": "9"}), 400, "KMS.0308"),
        ("list-keys", json!({"key_spec": "AES_999"}), 400, "KMS.0308"),
        (
            "gen-random",
            json!({"random_data_length": "0"}),
            400,
            "KMS.1801",
        ),
        (
            "gen-random",
            json!({"random_data_length": "8200"}),
            400,
            "KMS.1801",
        ),
        (
            "gen-random",
            json!({"random_data_length": "12"}),
            400,
            "KMS.1802",
        ),
        (
            "create-datakey",
            json!({"key_id": key, "datakey_length": "4"}),
            400,
            "KMS.1901",
        ),
        (
            "create-datakey",
            json!({"key_id": key, "key_spec": "AES_512"}),
            400,
            "KMS.1902",
        ),
        (
            "create-datakey",
            json!({"key_id": key, "datakey_length": "129"}),
            400,
            "KMS.1903",
        ),
        (
            "create-datakey",
            json!({"key_id": pending}),
            400,
            "KMS.0210",
        ),
        (
            "create-datakey-without-plaintext",
            json!({"key_id": missing}),
            404,
            "KMS.0207",
        ),
        (
            "encrypt-datakey",
            json!({"key_id": key, "plain_text": "zz", "datakey_plain_length": "1"}),
            400,
            "KMS.2101",
        ),
        (
            "encrypt-datakey",
            json!({"key_id": key, "plain_text": "00", "datakey_plain_length": "1025"}),
            400,
            "KMS.2102",
        ),
        (
            "encrypt-datakey",
            json!({"key_id": key, "plain_text": hex::encode([0u8; 33]), "datakey_plain_length": "1"}),
            400,
            "KMS.2103",
        ),
        (
            "encrypt-datakey",
            json!({"key_id": key, "plain_text": "0000", "datakey_plain_length": "1"}),
            400,
            "KMS.2104",
        ),
        (
            "decrypt-datakey",
            json!({"key_id": key, "cipher_text": "xyz", "datakey_cipher_length": "32"}),
            400,
            "KMS.2201",
        ),
        (
            "decrypt-datakey",
            json!({"key_id": key, "cipher_text": "00".repeat(60), "datakey_cipher_length": "32"}),
            400,
            "KMS.2201",
        ),
        (
            "decrypt-datakey",
            json!({"key_id": other, "cipher_text": dk_ct, "datakey_cipher_length": "32"}),
            400,
            "KMS.2201",
        ),
        (
            "decrypt-datakey",
            json!({"key_id": key, "cipher_text": dk_ct, "datakey_cipher_length": "1025"}),
            400,
            "KMS.2202",
        ),
        (
            "decrypt-datakey",
            json!({"key_id": key, "cipher_text": dk_ct, "datakey_cipher_length": "16"}),
            400,
            "KMS.2204",
        ),
        (
            "decrypt-datakey",
            json!({"key_id": key, "cipher_text": dk_ct, "datakey_cipher_length": "32", "additional_authenticated_data": "x"}),
            400,
            "KMS.2201",
        ),
        (
            "decrypt-datakey",
            json!({"key_id": key, "cipher_text": dk_ct, "datakey_cipher_length": "32", "sequence": seq}),
            200,
            "",
        ),
    ];
    for (action, body, status, code) in cases {
        let r = hw.call(action, body.clone());
        if status == 200 {
            assert_eq!(
                r.status,
                200,
                "{action} {body}: {}",
                String::from_utf8_lossy(&r.body)
            );
            continue;
        }
        let (s, c, m) = kms_error(&r);
        assert_eq!((s, c.as_str()), (status, code), "{action} {body}: {m}");
        assert!(!m.is_empty());
    }

    // A body that is not JSON, and a wrong Content-Type.
    let mut r = hw.prepare("describe-key", &json!({}));
    r.body = b"{not json".to_vec();
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    assert_eq!(kms_error(&hw.send(&r)).1, "KMS.0202");
    let mut r = hw.prepare("describe-key", &json!({"key_id": key}));
    *r.header_mut("Content-Type") = "text/plain".into();
    r.extra
        .push(("X-Sdk-Content-Sha256".into(), sha256_hex(&r.body)));
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    assert_eq!(kms_error(&hw.send(&r)).1, "KMS.0202");

    // The key quota answers KMS.1105.
    drop(server);
    let server = Server::start_with(dir.path(), &["--config", &limit_config(dir.path(), 1)]);
    let hw = Hw::new(&server, &cred, &unique_project());
    hw.new_key(json!({}));
    let (s, c, _) = hw.err("create-key", json!({"key_alias": "second"}));
    assert_eq!((s, c.as_str()), (400, "KMS.1105"));
}

fn limit_config(dir: &std::path::Path, n: u32) -> String {
    let path = dir.join("limit.toml");
    std::fs::write(&path, format!("[limits]\ncmks_per_region = {n}\n")).unwrap();
    path.to_str().unwrap().to_string()
}
