//! The Huawei KMS v1.0 dialect over the wire: every endpoint once, external keys
//! pending import, and one key used through both the Huawei and Tencent dialects.
//! Requests are signed by our own client (tests/huawei_common); the official-SDK
//! suite in tests/python covers the same endpoints through `huaweicloudsdkkms`.

mod common;
mod huawei_common;
use base64::Engine;
use common::*;
use huawei_common::*;
use serde_json::json;
use sha2::{Digest, Sha256};

#[test]
fn every_endpoint_answers() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());

    // create-key: AES_256 by default, SM4 on request.
    let created = hw.ok(
        "create-key",
        json!({"key_alias": "app/main:key_1", "key_description": "walk", "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"}),
    );
    assert_eq!(
        created["key_info"].as_object().unwrap().len(),
        2,
        "exactly key_id and domain_id: {created}"
    );
    assert_eq!(created["key_info"]["domain_id"], cred.uin.to_string());
    let aes = created["key_info"]["key_id"].as_str().unwrap().to_string();
    let sm4 =
        hw.new_key(json!({"key_spec": "SM4", "key_usage": "ENCRYPT_DECRYPT", "origin": "kms"}));

    // describe-key
    let d = hw.ok("describe-key", json!({"key_id": aes}))["key_info"].clone();
    assert_eq!(d["key_alias"], "app/main:key_1");
    assert_eq!(d["key_spec"], "AES_256");
    assert_eq!(d["key_usage"], "ENCRYPT_DECRYPT");
    assert_eq!(d["key_state"], "2");
    assert_eq!(d["origin"], "kms");
    assert_eq!(d["realm"], hw.project.as_str());
    assert_eq!(d["domain_id"], cred.uin.to_string());
    assert_eq!(d["scheduled_deletion_date"], "");
    assert_eq!(d["default_key_flag"], "0");
    assert_eq!(d["key_rotation_enabled"], "false");
    let created_ms: i64 = d["creation_date"].as_str().unwrap().parse().unwrap();
    assert!((created_ms / 1000 - now()).abs() < 60, "milliseconds");
    assert_eq!(
        hw.ok("describe-key", json!({"key_id": sm4}))["key_info"]["key_spec"],
        "SM4"
    );

    // list-keys: paging with string numbers, total an integer.
    let l = hw.ok("list-keys", json!({"limit": "1"}));
    assert_eq!(l["total"], 2);
    assert_eq!(l["truncated"], "true");
    assert_eq!(l["next_marker"], "1");
    assert_eq!(l["keys"], json!([aes]));
    assert_eq!(l["key_details"][0]["key_id"], aes.as_str());
    let l = hw.ok("list-keys", json!({"limit": "1", "marker": "1"}));
    assert_eq!(l["keys"], json!([sm4]));
    assert_eq!(
        (l["truncated"].as_str(), l["next_marker"].as_str()),
        (Some("false"), Some(""))
    );
    let l = hw.ok("list-keys", json!({"key_spec": "SM4"}));
    assert_eq!(l["keys"], json!([sm4]));
    assert_eq!(hw.ok("list-keys", json!({"key_spec": "ALL"}))["total"], 2);
    assert_eq!(
        hw.ok("list-keys", json!({"key_spec": "RSA_2048"}))["total"],
        0
    );
    assert_eq!(hw.ok("list-keys", json!({"key_state": "3"}))["total"], 0);

    // encrypt-data / decrypt-data (base64), with and without AAD.
    for key in [&aes, &sm4] {
        let e = hw.ok(
            "encrypt-data",
            json!({"key_id": key, "plain_text": "hello 世界", "additional_authenticated_data": "ctx"}),
        );
        assert_eq!(e["key_id"], key.as_str());
        let ct = e["cipher_text"].as_str().unwrap();
        assert!(B64.decode(ct).is_ok());
        let p = hw.ok(
            "decrypt-data",
            json!({"cipher_text": ct, "additional_authenticated_data": "ctx"}),
        );
        assert_eq!(p["plain_text"], "hello 世界");
        assert_eq!(p["plain_text_base64"], B64.encode("hello 世界"));
        assert_eq!(p["key_id"], key.as_str());
        let (status, code, _) = hw.err("decrypt-data", json!({"cipher_text": ct}));
        assert_eq!((status, code.as_str()), (400, "KMS.0308"));
    }

    // create-datakey: hex plaintext and ciphertext, 512 bits as in Huawei's example.
    let dk = hw.ok(
        "create-datakey",
        json!({"key_id": aes, "datakey_length": "512"}),
    );
    let plain = hex::decode(dk["plain_text"].as_str().unwrap()).unwrap();
    assert_eq!(plain.len(), 64);
    let ct = dk["cipher_text"].as_str().unwrap().to_string();
    assert_eq!(
        ct,
        ct.to_ascii_uppercase(),
        "upper-case hex as in Huawei's examples"
    );
    let back = hw.ok(
        "decrypt-datakey",
        json!({"key_id": aes, "cipher_text": ct, "datakey_cipher_length": "64"}),
    );
    assert_eq!(
        hex::decode(back["data_key"].as_str().unwrap()).unwrap(),
        plain
    );
    assert_eq!(back["datakey_length"], "64");
    assert_eq!(back["datakey_dgst"], sha256_hex(&plain));
    let default_len = hw.ok("create-datakey", json!({"key_id": sm4}));
    assert_eq!(
        default_len["plain_text"].as_str().unwrap().len(),
        64,
        "256 bits"
    );
    let spec = hw.ok(
        "create-datakey",
        json!({"key_id": sm4, "key_spec": "AES_128"}),
    );
    assert_eq!(spec["plain_text"].as_str().unwrap().len(), 32);

    // create-datakey-without-plaintext
    let np = hw.ok(
        "create-datakey-without-plaintext",
        json!({"key_id": sm4, "datakey_length": "128", "additional_authenticated_data": "a"}),
    );
    assert!(np.get("plain_text").is_none());
    let back = hw.ok(
        "decrypt-datakey",
        json!({"key_id": sm4, "cipher_text": np["cipher_text"], "datakey_cipher_length": "16", "additional_authenticated_data": "a"}),
    );
    assert_eq!(back["datakey_length"], "16");

    // encrypt-datakey: DEK ‖ SHA-256(DEK) for AES keys, DEK ‖ SM3(DEK) for SM4 keys.
    let dek = [7u8; 64];
    let mut with_sha = dek.to_vec();
    with_sha.extend_from_slice(&Sha256::digest(dek));
    let e = hw.ok(
        "encrypt-datakey",
        json!({"key_id": aes, "plain_text": hex::encode(&with_sha), "datakey_plain_length": "64"}),
    );
    assert_eq!(e["datakey_length"], "64");
    let back = hw.ok(
        "decrypt-datakey",
        json!({"key_id": aes, "cipher_text": e["cipher_text"], "datakey_cipher_length": "64"}),
    );
    assert_eq!(back["data_key"], hex::encode_upper(dek));
    let mut with_sm3 = dek.to_vec();
    with_sm3.extend_from_slice(&sm3::Sm3::digest(dek));
    hw.ok(
        "encrypt-datakey",
        json!({"key_id": sm4, "plain_text": hex::encode_upper(&with_sm3), "datakey_plain_length": "64"}),
    );
    let (_, code, msg) = hw.err(
        "encrypt-datakey",
        json!({"key_id": sm4, "plain_text": hex::encode(&with_sha), "datakey_plain_length": "64"}),
    );
    assert_eq!(code, "KMS.2103", "{msg}");
    assert!(msg.contains("SM3"));

    // disable / enable
    let d = hw.ok("disable-key", json!({"key_id": sm4}));
    assert_eq!(d, json!({"key_info": {"key_id": sm4, "key_state": "3"}}));
    let en = hw.ok("enable-key", json!({"key_id": sm4}));
    assert_eq!(en, json!({"key_info": {"key_id": sm4, "key_state": "2"}}));

    // update-key-alias / update-key-description
    let a = hw.ok(
        "update-key-alias",
        json!({"key_id": sm4, "key_alias": "renamed/x"}),
    );
    assert_eq!(
        a,
        json!({"key_info": {"key_id": sm4, "key_alias": "renamed/x"}})
    );
    let u = hw.ok(
        "update-key-description",
        json!({"key_id": sm4, "key_description": "描述"}),
    );
    assert_eq!(
        u,
        json!({"key_info": {"key_id": sm4, "key_description": "描述"}})
    );

    // schedule-key-deletion straight from enabled (Huawei allows it), flat answer.
    let s = hw.ok(
        "schedule-key-deletion",
        json!({"key_id": sm4, "pending_days": "1096"}),
    );
    assert_eq!(s, json!({"key_id": sm4, "key_state": "4"}));
    let d = hw.ok("describe-key", json!({"key_id": sm4}))["key_info"].clone();
    let when: i64 = d["scheduled_deletion_date"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((when / 1000 - (now() + 1096 * 86_400)).abs() < 60);
    let c = hw.ok("cancel-key-deletion", json!({"key_id": sm4}));
    assert_eq!(c, json!({"key_id": sm4, "key_state": "3"}));

    // gen-random: bits in, upper-case hex out.
    let r = hw.ok("gen-random", json!({"random_data_length": "512"}));
    let hexed = r["random_data"].as_str().unwrap();
    assert_eq!(hex::decode(hexed).unwrap().len(), 64);
    assert_eq!(hexed, hexed.to_ascii_uppercase());
    assert_eq!(
        hw.ok("gen-random", json!({"random_data_length": "8192"}))["random_data"]
            .as_str()
            .unwrap()
            .len(),
        2048
    );
}

#[test]
fn external_keys_start_pending_import() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    let id = hw.new_key(json!({"origin": "external"}));
    let d = hw.ok("describe-key", json!({"key_id": id}))["key_info"].clone();
    assert_eq!(
        (d["key_state"].as_str(), d["origin"].as_str()),
        (Some("5"), Some("external"))
    );
    assert_eq!(hw.err("enable-key", json!({"key_id": id})).1, "KMS.1201");
    assert_eq!(
        hw.err("encrypt-data", json!({"key_id": id, "plain_text": "x"}))
            .1,
        "KMS.0209"
    );
    hw.ok(
        "schedule-key-deletion",
        json!({"key_id": id, "pending_days": "7"}),
    );
    assert_eq!(
        hw.ok("cancel-key-deletion", json!({"key_id": id}))["key_state"],
        "5"
    );
}

/// One key through both dialects: Huawei project `ap-guangzhou` is Tencent region
/// `ap-guangzhou`.
#[test]
fn one_key_through_huawei_and_tencent() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, "ap-guangzhou");
    let tc = server.client(&cred);
    assert_eq!(tc.region, "ap-guangzhou");

    // Created through Huawei, used through Tencent.
    let key = hw.new_key(json!({"key_spec": "SM4", "key_description": "from huawei"}));
    let m = tc.ok("DescribeKey", json!({"KeyId": key}))["KeyMetadata"].clone();
    assert_eq!(m["Description"], "from huawei");
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Type"], 4, "SM4");
    let blob = tc.ok(
        "Encrypt",
        json!({"KeyId": key, "Plaintext": B64.encode("to huawei")}),
    )["CiphertextBlob"]
        .clone();
    let p = hw.ok("decrypt-data", json!({"cipher_text": blob}));
    assert_eq!(p["plain_text"], "to huawei");
    // Huawei AAD is the Tencent EncryptionContext {"additional_authenticated_data": ...}.
    let dk = hw.ok(
        "create-datakey",
        json!({"key_id": key, "datakey_length": "256", "additional_authenticated_data": "order-7"}),
    );
    let blob = B64.encode(hex::decode(dk["cipher_text"].as_str().unwrap()).unwrap());
    let back = tc.ok(
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": r#"{"additional_authenticated_data":"order-7"}"#}),
    );
    assert_eq!(
        B64.decode(back["Plaintext"].as_str().unwrap()).unwrap(),
        hex::decode(dk["plain_text"].as_str().unwrap()).unwrap()
    );
    // State changes are shared.
    tc.ok("DisableKey", json!({"KeyId": key}));
    assert_eq!(hw.state(&key), "3");
    hw.ok("enable-key", json!({"key_id": key}));
    assert_eq!(
        tc.ok("DescribeKey", json!({"KeyId": key}))["KeyMetadata"]["KeyState"],
        "Enabled"
    );

    // Created through Tencent, used through Huawei.
    let tkey = tc.ok("CreateKey", json!({"Alias": "from-tencent"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let d = hw.ok("describe-key", json!({"key_id": tkey}))["key_info"].clone();
    assert_eq!(d["key_alias"], "from-tencent");
    assert_eq!(d["key_spec"], "SM4");
    assert_eq!(d["realm"], "ap-guangzhou");
    let gen = tc.ok(
        "GenerateDataKey",
        json!({"KeyId": tkey, "NumberOfBytes": 32}),
    );
    let hexed = hex::encode(B64.decode(gen["CiphertextBlob"].as_str().unwrap()).unwrap());
    let back = hw.ok(
        "decrypt-datakey",
        json!({"key_id": tkey, "cipher_text": hexed, "datakey_cipher_length": "32"}),
    );
    assert_eq!(
        hex::decode(back["data_key"].as_str().unwrap()).unwrap(),
        B64.decode(gen["Plaintext"].as_str().unwrap()).unwrap()
    );
    let e = hw.ok(
        "encrypt-data",
        json!({"key_id": tkey, "plain_text": "to tencent"}),
    );
    let out = tc.ok("Decrypt", json!({"CiphertextBlob": e["cipher_text"]}));
    assert_eq!(
        B64.decode(out["Plaintext"].as_str().unwrap()).unwrap(),
        b"to tencent"
    );
    // An archived key (Tencent only) shows as state 7 and refuses encryption.
    tc.ok("ArchiveKey", json!({"KeyId": tkey}));
    assert_eq!(hw.state(&tkey), "7");
    let (_, code, msg) = hw.err("encrypt-data", json!({"key_id": tkey, "plain_text": "x"}));
    assert_eq!(code, "KMS.0209", "{msg}");
    assert!(msg.contains("archived"), "{msg}");
    // A Huawei deletion is seen through Tencent, with Huawei's window.
    tc.ok("CancelKeyArchive", json!({"KeyId": tkey}));
    hw.ok(
        "schedule-key-deletion",
        json!({"key_id": tkey, "pending_days": "100"}),
    );
    let m = tc.ok("DescribeKey", json!({"KeyId": tkey}))["KeyMetadata"].clone();
    assert_eq!(m["KeyState"], "PendingDelete");
    assert!((m["DeletionDate"].as_i64().unwrap() - (now() + 100 * 86_400)).abs() < 60);
    // Both dialects list both keys.
    assert_eq!(hw.ok("list-keys", json!({}))["total"], 2);
    assert_eq!(tc.ok("ListKeys", json!({}))["TotalCount"], 2);
}
