//! Hosted data keys over the wire, and their survival across a restart.

mod common;
use base64::Engine;
use common::*;
use serde_json::json;

fn b64(v: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

#[test]
fn the_hosted_data_key_family() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let mut server = Server::start(dir.path());
    let c = server.client(&cred);
    let cmk = c.ok("CreateKey", json!({"Alias": "root"}))["KeyId"].clone();
    let g = c.ok(
        "GenerateDataKey",
        json!({
            "KeyId": cmk, "NumberOfBytes": 32, "IsHostedByKms": 1, "DataKeyName": "db-master",
            "Description": "for the db", "EncryptionContext": r#"{"db":"orders"}"#,
            "Tags": [{"TagKey": "team", "TagValue": "pay"}]
        }),
    );
    let id = g["DataKeyId"].as_str().unwrap().to_string();
    assert!(!id.is_empty());
    let dk = b64(&g["Plaintext"]);
    assert_eq!(
        b64(&c.ok("GetDataKeyPlaintext", json!({"DataKeyId": id}))["Plaintext"]),
        dk
    );
    assert_eq!(
        c.ok("GetDataKeyCiphertextBlob", json!({"DataKeyId": id}))["CiphertextBlob"],
        g["CiphertextBlob"]
    );
    let m = c.ok("DescribeDataKey", json!({"DataKeyId": id}))["DataKeyMetadata"].clone();
    assert_eq!(m["DataKeyName"], "db-master");
    assert_eq!(m["KeyName"], "root");
    assert_eq!(m["NumberOfBytes"], 32);
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Origin"], "TENCENT_KMS");
    assert_eq!(m["ResourceId"], format!("creatorUin/{}/{id}", cred.uin));
    let (code, _) = c.err(
        "GenerateDataKey",
        json!({"KeyId": cmk, "NumberOfBytes": 8, "IsHostedByKms": 1, "DataKeyName": "db-master"}),
    );
    assert_eq!(code, "InvalidParameterValue.DataKeyNameAlreadyExists");
    let (code, _) = c.err(
        "GenerateDataKey",
        json!({"KeyId": cmk, "NumberOfBytes": 8, "IsHostedByKms": 1}),
    );
    assert_eq!(code, "InvalidParameterValue.InvalidDataKeyName");

    let imported = c.ok("ImportDataKey", json!({
        "DataKeyName": "imported", "ImportKeyMaterial": base64::engine::general_purpose::STANDARD.encode(b"0123456789abcdef"),
        "ImportType": 2, "KeyId": cmk
    }))["DataKeyId"].clone();
    let l = c.ok("ListDataKeys", json!({}));
    assert_eq!(l["TotalCount"], 2);
    let d = c.ok("ListDataKeyDetail", json!({"Origin": "EXTERNAL"}));
    assert_eq!(d["TotalCount"], 1);
    assert_eq!(d["DataKeyMetadatas"][0]["DataKeyId"], imported);
    let both =
        c.ok("DescribeDataKeys", json!({"DataKeyIds": [id, imported]}))["DataKeyMetadatas"].clone();
    assert_eq!(both.as_array().unwrap().len(), 2);
    assert_eq!(
        c.err("DescribeDataKeys", json!({"DataKeyIds": [id, id]})).0,
        "InvalidParameterValue.DuplicatedDataKeyId"
    );

    c.ok(
        "UpdateDataKeyName",
        json!({"DataKeyId": id, "DataKeyName": "db-main"}),
    );
    c.ok(
        "UpdateDataKeyDescription",
        json!({"DataKeyId": id, "Description": "renamed"}),
    );
    c.ok("DisableDataKeys", json!({"DataKeyIds": [id, imported]}));
    assert_eq!(
        c.err("GetDataKeyPlaintext", json!({"DataKeyId": id})).0,
        "ResourceUnavailable.DataKeyDisabled"
    );
    c.ok(
        "ScheduleDataKeyDeletion",
        json!({"DataKeyId": id, "PendingWindowInDays": 7}),
    );
    assert_eq!(
        c.err("GetDataKeyPlaintext", json!({"DataKeyId": id})).0,
        "ResourceUnavailable.DataKeyPendingDelete"
    );
    assert_eq!(
        c.err("CancelDataKeyDeletion", json!({"DataKeyId": imported}))
            .0,
        "ResourceUnavailable.DataKeyNotPendingDelete"
    );
    assert_eq!(
        c.ok("CancelDataKeyDeletion", json!({"DataKeyId": id}))["DataKeyId"],
        id.as_str()
    );
    c.ok("EnableDataKey", json!({"DataKeyId": id}));
    assert_eq!(
        c.err(
            "ScheduleDataKeyDeletion",
            json!({"DataKeyId": id, "PendingWindowInDays": 7})
        )
        .0,
        "ResourceUnavailable.DataKeyStateNotSupport"
    );
    assert_eq!(
        c.err("DescribeDataKey", json!({"DataKeyId": "nope"})).0,
        "InvalidParameterValue.InvalidDataKeyId"
    );
    assert_eq!(
        c.err(
            "DescribeDataKey",
            json!({"DataKeyId": uuid::Uuid::new_v4().to_string()})
        )
        .0,
        "ResourceUnavailable.DataKeyNotFound"
    );
    let st = c.ok("GetServiceStatus", json!({}));
    assert_eq!(
        (
            st["IsAllowedDataKeyHosted"].clone(),
            st["DataKeyUsedCount"].clone()
        ),
        (json!(true), json!(2))
    );

    // Survives a restart, and a rotation of its CMK.
    c.ok("RotateKey", json!({"KeyId": cmk}));
    assert_eq!(server.stop(), Some(0));
    let server = Server::start(dir.path());
    let c = server.client(&cred);
    assert_eq!(
        b64(&c.ok("GetDataKeyPlaintext", json!({"DataKeyId": id}))["Plaintext"]),
        dk
    );
    // The CMK's state gates the plaintext.
    c.ok("DisableKey", json!({"KeyId": cmk}));
    assert_eq!(
        c.err("GetDataKeyPlaintext", json!({"DataKeyId": id})).0,
        "ResourceUnavailable.CmkDisabled"
    );
}

#[test]
fn the_data_key_limit_comes_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("smkms.toml");
    std::fs::write(&cfg, "[limits]\ndata_keys_per_account = 1\n").unwrap();
    let data = dir.path().join("data");
    let cred = create_credential(&data, None);
    let server = Server::start_with(&data, &["--config", cfg.to_str().unwrap()]);
    let c = server.client(&cred);
    let cmk = c.ok("CreateKey", json!({"Alias": "root"}))["KeyId"].clone();
    c.ok(
        "GenerateDataKey",
        json!({"KeyId": cmk, "KeySpec": "AES_256", "IsHostedByKms": 1, "DataKeyName": "one"}),
    );
    let (code, _) = c.with_region("ap-beijing").err(
        "GenerateDataKey",
        json!({"KeyId": cmk, "KeySpec": "AES_256", "IsHostedByKms": 1, "DataKeyName": "two"}),
    );
    assert_eq!(
        code, "ResourceUnavailable.CmkNotFound",
        "the CMK is regional"
    );
    let (code, _) = c.err(
        "GenerateDataKey",
        json!({"KeyId": cmk, "KeySpec": "AES_128", "IsHostedByKms": 1, "DataKeyName": "two"}),
    );
    assert_eq!(code, "LimitExceeded.DataKeyLimitExceeded");
}

/// A data key that is not Enabled hands out neither its plaintext nor its blob
/// (GetDataKeyCiphertextBlob then Decrypt would read it all the same). A blob handed
/// out while it was Enabled is an ordinary ciphertext under the CMK: the CMK's state
/// decides whether it decrypts.
#[test]
fn a_disabled_or_pending_data_key_hands_out_no_blob() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let cmk = c.ok("CreateKey", json!({"Alias": "dk-states"}))["KeyId"].clone();
    let g = c.ok(
        "GenerateDataKey",
        json!({"KeyId": cmk, "NumberOfBytes": 32, "IsHostedByKms": 1, "DataKeyName": "gated"}),
    );
    let id = g["DataKeyId"].as_str().unwrap().to_string();
    let blob = c.ok("GetDataKeyCiphertextBlob", json!({"DataKeyId": id}))["CiphertextBlob"].clone();
    assert_eq!(blob, g["CiphertextBlob"]);

    c.ok("DisableDataKey", json!({"DataKeyId": id}));
    let (code, message) = c.err("GetDataKeyCiphertextBlob", json!({"DataKeyId": id}));
    assert_eq!(
        code, "ResourceUnavailable.DataKeyStateNotSupport",
        "{message}"
    );
    assert!(
        message.contains(&id) && message.contains("Disabled"),
        "{message}"
    );
    c.ok(
        "ScheduleDataKeyDeletion",
        json!({"DataKeyId": id, "PendingWindowInDays": 7}),
    );
    let (code, message) = c.err("GetDataKeyCiphertextBlob", json!({"DataKeyId": id}));
    assert_eq!(
        code, "ResourceUnavailable.DataKeyStateNotSupport",
        "{message}"
    );
    assert!(message.contains("PendingDelete"), "{message}");

    // What the client already holds is governed by the CMK.
    assert_eq!(
        c.ok("Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"],
        g["Plaintext"]
    );
    c.ok("DisableKey", json!({"KeyId": cmk}));
    assert_eq!(
        c.err("Decrypt", json!({"CiphertextBlob": blob})).0,
        "ResourceUnavailable.CmkDisabled"
    );
    c.ok("EnableKey", json!({"KeyId": cmk}));

    // Back to Enabled, both forms are handed out again.
    c.ok("CancelDataKeyDeletion", json!({"DataKeyId": id}));
    c.ok("EnableDataKey", json!({"DataKeyId": id}));
    assert_eq!(
        c.ok("GetDataKeyCiphertextBlob", json!({"DataKeyId": id}))["CiphertextBlob"],
        blob
    );
    assert_eq!(
        c.ok("GetDataKeyPlaintext", json!({"DataKeyId": id}))["Plaintext"],
        g["Plaintext"]
    );
}
