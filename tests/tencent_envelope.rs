//! Envelope encryption over the wire: GenerateDataKey/Encrypt/Decrypt/ReEncrypt on both
//! CMK ciphers, contexts, rotation, and blobs that outlive a restart.

mod common;
use base64::Engine;
use common::*;
use serde_json::json;

fn b64(v: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

fn b64e(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn data_keys_round_trip_on_both_ciphers() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    for spec in ["SM4", "AES_256"] {
        let id = c.ok(
            "CreateKey",
            json!({"Alias": format!("k-{spec}"), "KeySpec": spec}),
        )["KeyId"]
            .clone();
        for (params, len) in [
            (json!({"KeySpec": "AES_128"}), 16),
            (json!({"KeySpec": "AES_256"}), 32),
            (json!({"NumberOfBytes": 1}), 1),
            (json!({"NumberOfBytes": 1024, "KeySpec": "AES_128"}), 1024),
        ] {
            let mut p = params.clone();
            p["KeyId"] = id.clone();
            p["EncryptionContext"] = json!(r#"{"app":"billing","env":"prod"}"#);
            let g = c.ok("GenerateDataKey", p);
            let dk = b64(&g["Plaintext"]);
            assert_eq!(dk.len(), len);
            let d = c.ok(
                "Decrypt",
                json!({
                    "CiphertextBlob": g["CiphertextBlob"],
                    "EncryptionContext": r#"{ "env": "prod", "app": "billing" }"#,
                }),
            );
            assert_eq!(b64(&d["Plaintext"]), dk);
            assert_eq!(d["KeyId"], id);
            let (code, _) = c.err("Decrypt", json!({"CiphertextBlob": g["CiphertextBlob"], "EncryptionContext": r#"{"app":"billing","env":"dev"}"#}));
            assert_eq!(code, "InvalidParameterValue.InvalidCiphertext");
        }
    }
}

#[test]
fn encrypt_decrypt_re_encrypt_and_errors() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let a = c.ok("CreateKey", json!({"Alias": "a"}))["KeyId"].clone();
    let b = c.ok("CreateKey", json!({"Alias": "b", "KeySpec": "AES_256"}))["KeyId"].clone();
    let e = c.ok("Encrypt", json!({"KeyId": a, "Plaintext": b64e(b"hello")}));
    assert_eq!(e["KeyId"], a);
    let r = c.ok(
        "ReEncrypt",
        json!({"CiphertextBlob": e["CiphertextBlob"], "DestinationKeyId": b}),
    );
    assert_eq!(
        (
            r["KeyId"].clone(),
            r["SourceKeyId"].clone(),
            r["ReEncrypted"].clone()
        ),
        (b.clone(), a.clone(), json!(true))
    );
    assert_eq!(
        b64(&c.ok("Decrypt", json!({"CiphertextBlob": r["CiphertextBlob"]}))["Plaintext"]),
        b"hello"
    );
    let same = c.ok("ReEncrypt", json!({"CiphertextBlob": e["CiphertextBlob"]}));
    assert_eq!(same["ReEncrypted"], false);
    assert_eq!(same["CiphertextBlob"], e["CiphertextBlob"]);

    let big = vec![7u8; 4097];
    assert_eq!(
        c.err("Encrypt", json!({"KeyId": a, "Plaintext": b64e(&big)}))
            .0,
        "InvalidParameterValue.InvalidPlaintext"
    );
    assert_eq!(
        c.err("Encrypt", json!({"KeyId": a, "Plaintext": "not base64!"}))
            .0,
        "InvalidParameterValue.InvalidPlaintext"
    );
    c.ok(
        "Encrypt",
        json!({"KeyId": a, "Plaintext": b64e(&big[..4096])}),
    );
    assert_eq!(
        c.err("Decrypt", json!({"CiphertextBlob": "AAAA"})).0,
        "InvalidParameterValue.InvalidCiphertext"
    );
    assert_eq!(
        c.err("Decrypt", json!({"CiphertextBlob": "%%%"})).0,
        "InvalidParameterValue.InvalidCiphertext"
    );
    assert_eq!(
        c.err(
            "Encrypt",
            json!({"KeyId": a, "Plaintext": "aGk=", "EncryptionContext": "[1]"})
        )
        .0,
        "InvalidParameter"
    );
    assert_eq!(
        c.err("GenerateDataKey", json!({"KeyId": a})).0,
        "MissingParameter"
    );
    assert_eq!(
        c.err(
            "GenerateDataKey",
            json!({"KeyId": a, "NumberOfBytes": 1025})
        )
        .0,
        "InvalidParameter"
    );
    assert_eq!(
        c.err("GenerateDataKey", json!({"KeyId": a, "NumberOfBytes": 0}))
            .0,
        "InvalidParameter"
    );
    assert_eq!(
        c.err("GenerateDataKey", json!({"KeyId": a, "KeySpec": "AES_512"}))
            .0,
        "InvalidParameter"
    );
    assert_eq!(
        c.err(
            "GenerateDataKey",
            json!({"KeyId": a, "NumberOfBytes": 16, "HsmClusterId": "cls-1"})
        )
        .0,
        "InvalidParameterValue.InvalidHsmClusterId"
    );
    let (code, msg) = c.err("GenerateDataKey", json!({"KeyId": a, "NumberOfBytes": 16, "EncryptionPublicKey": "-----BEGIN PUBLIC KEY-----"}));
    assert_eq!(
        code, "InvalidParameterValue",
        "a key that cannot be delivered to is refused"
    );
    assert!(msg.contains("EncryptionPublicKey"), "{msg}");

    // Key states.
    c.ok("DisableKey", json!({"KeyId": a}));
    assert_eq!(
        c.err("Encrypt", json!({"KeyId": a, "Plaintext": "aGk="})).0,
        "ResourceUnavailable.CmkDisabled"
    );
    assert_eq!(
        c.err("GenerateDataKey", json!({"KeyId": a, "NumberOfBytes": 8}))
            .0,
        "ResourceUnavailable.CmkDisabled"
    );
    assert_eq!(
        c.err("Decrypt", json!({"CiphertextBlob": e["CiphertextBlob"]}))
            .0,
        "ResourceUnavailable.CmkDisabled"
    );
    c.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": a, "PendingWindowInDays": 7}),
    );
    assert_eq!(
        c.err("GenerateDataKey", json!({"KeyId": a, "NumberOfBytes": 8}))
            .0,
        "ResourceUnavailable.KeyPendingDelete"
    );
    assert_eq!(
        c.err("Decrypt", json!({"CiphertextBlob": e["CiphertextBlob"]}))
            .0,
        "ResourceUnavailable.CmkDisabled"
    );
    c.ok("CancelKeyDeletion", json!({"KeyId": a}));
    c.ok("EnableKey", json!({"KeyId": a}));
    c.ok("ArchiveKey", json!({"KeyId": a}));
    assert_eq!(
        c.err("Encrypt", json!({"KeyId": a, "Plaintext": "aGk="})).0,
        "ResourceUnavailable.CmkArchived"
    );
    assert_eq!(
        b64(&c.ok("Decrypt", json!({"CiphertextBlob": e["CiphertextBlob"]}))["Plaintext"]),
        b"hello"
    );
    let ext = c.ok("CreateKey", json!({"Alias": "ext", "Type": 2}))["KeyId"].clone();
    assert_eq!(
        c.err("Encrypt", json!({"KeyId": ext, "Plaintext": "aGk="}))
            .0,
        "ResourceUnavailable.CmkStateNotSupport"
    );

    // Another account's blob answers as a missing key.
    let other = create_credential(&server.data, None);
    let (code, _) = server
        .client(&other)
        .err("Decrypt", json!({"CiphertextBlob": r["CiphertextBlob"]}));
    assert_eq!(code, "ResourceUnavailable.CmkNotFound");
}

#[test]
fn rotation_keeps_old_blobs_readable_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let mut server = Server::start(dir.path());
    let c = server.client(&cred);
    let id = c.ok("CreateKey", json!({"Alias": "rot"}))["KeyId"].clone();
    assert_eq!(
        c.ok("GetKeyRotationStatus", json!({"KeyId": id}))["KeyRotationEnabled"],
        false
    );
    c.ok("EnableKeyRotation", json!({"KeyId": id, "RotateDays": 30}));
    let m = c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(
        (m["KeyRotationEnabled"].clone(), m["RotateDays"].clone()),
        (json!(true), json!(30))
    );
    assert!((m["NextRotateTime"].as_i64().unwrap() - (now() + 30 * 86_400)).abs() < 60);
    assert_eq!(
        c.err("EnableKeyRotation", json!({"KeyId": id, "RotateDays": 6}))
            .0,
        "InvalidParameterValue"
    );
    assert_eq!(
        c.err("EnableKeyRotation", json!({"KeyId": id, "RotateDays": 366}))
            .0,
        "InvalidParameterValue"
    );
    let before =
        c.ok("Encrypt", json!({"KeyId": id, "Plaintext": b64e(b"v1")}))["CiphertextBlob"].clone();
    assert!(!c.ok("RotateKey", json!({"KeyId": id}))["TaskId"]
        .as_str()
        .unwrap()
        .is_empty());
    let after =
        c.ok("Encrypt", json!({"KeyId": id, "Plaintext": b64e(b"v2")}))["CiphertextBlob"].clone();
    assert_eq!(b64(&before)[18..22], [0, 0, 0, 1]);
    assert_eq!(b64(&after)[18..22], [0, 0, 0, 2]);
    let m = c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert!(m["LastRotateTime"].as_i64().unwrap() > 0);
    // ReEncrypt of an old blob under the same key moves it to the new version.
    let r = c.ok("ReEncrypt", json!({"CiphertextBlob": before}));
    assert_eq!(r["ReEncrypted"], true);
    c.ok("DisableKeyRotation", json!({"KeyId": id}));
    assert_eq!(
        c.ok("GetKeyRotationStatus", json!({"KeyId": id}))["KeyRotationEnabled"],
        false
    );
    let ext = c.ok("CreateKey", json!({"Alias": "ext", "Type": 2}))["KeyId"].clone();
    assert_eq!(
        c.err("EnableKeyRotation", json!({"KeyId": ext})).0,
        "UnsupportedOperation.ExternalCmkCanNotRotate"
    );
    assert_eq!(
        c.err("RotateKey", json!({"KeyId": ext})).0,
        "UnsupportedOperation.RotateNotSupported"
    );

    assert_eq!(server.stop(), Some(0));
    let server = Server::start(dir.path());
    let c = server.client(&cred);
    for (blob, want) in [(&before, b"v1"), (&after, b"v2")] {
        assert_eq!(
            b64(&c.ok("Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"]),
            want
        );
    }
}

/// With `limits.public_key_pool` set, key parsing and delivery run on the blocking pool:
/// deliveries to SM2 and RSA keys (fresh, then repeated, which builds an SM2 key's
/// table there) unwrap to the data key that Decrypt returns, and a refused key is still
/// refused with the parameter's code.
#[test]
fn deliveries_through_the_public_key_pool() {
    use smkms::crypto::deliver::{self, Algorithm};
    let (_dir, server, cred) = fresh_with_config("[limits]\npublic_key_pool = 1\n");
    let c = server.client(&cred);
    let id = c.ok("CreateKey", json!({"Alias": "pool"}))["KeyId"].clone();
    let keys = [
        (
            include_str!("../src/crypto/deliver/testdata/sm2.pub"),
            include_str!("../src/crypto/deliver/testdata/sm2.pem"),
            ["SM2", "SM2_C1C3C2_ASN1"],
        ),
        (
            include_str!("../src/crypto/deliver/testdata/rsa2048.pub"),
            include_str!("../src/crypto/deliver/testdata/rsa2048.pkcs8"),
            ["RSAES_OAEP_SHA_256", "RSAES_PKCS1_V1_5"],
        ),
    ];
    for (public, private, algs) in keys {
        for alg in algs.iter().cycle().take(6) {
            let g = c.ok(
                "GenerateDataKey",
                json!({"KeyId": id, "KeySpec": "AES_256", "EncryptionPublicKey": public, "EncryptionAlgorithm": alg}),
            );
            let a = Algorithm::parse(Some(alg)).unwrap();
            let dk = deliver::unwrap(private, a, &b64(&g["Plaintext"])).unwrap();
            let d = c.ok("Decrypt", json!({"CiphertextBlob": g["CiphertextBlob"]}));
            assert_eq!(dk.expose(), &b64(&d["Plaintext"])[..], "{alg}");
        }
    }
    let (code, msg) = c.err(
        "GenerateDataKey",
        json!({"KeyId": id, "NumberOfBytes": 16, "EncryptionPublicKey": "-----BEGIN PUBLIC KEY-----"}),
    );
    assert_eq!(code, "InvalidParameterValue");
    assert!(msg.contains("EncryptionPublicKey"), "{msg}");
    // Logged before the first connection is accepted.
    assert!(
        server
            .find_in_log(&["public_key_pool=1".to_string()])
            .is_some(),
        "the setting reached the server"
    );
}
