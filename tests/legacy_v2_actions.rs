//! The legacy KMS API v2 (`/v2/index.php`): every action over GET, POST form and POST
//! with no Content-Type, with both HMACs, and one key seen through both this API and
//! API 3.0.

mod common;
mod legacy_v2_common;
use common::*;
use legacy_v2_common::*;
use serde_json::json;

/// Every action, once per transport and HMAC.
#[test]
fn every_action_over_every_transport_and_hmac() {
    let (_dir, server, cred) = fresh();
    for transport in [Transport::Get, Transport::PostForm, Transport::PostBare] {
        for alg in [Alg::Sha1, Alg::Sha256] {
            let c = V2::new(&server, &cred, transport, alg);
            walk(&c, &format!("{transport:?}-{alg:?}").to_lowercase());
        }
    }
    // All six walks' keys are in one account and region.
    let c = V2::new(&server, &cred, Transport::PostForm, Alg::Sha256);
    let l = c.ok("ListKey", &[("limit", "100")]);
    assert_eq!(l["totalCount"], 6);
    assert_eq!(l["keys"].as_array().unwrap().len(), 6);
    let l = c.ok("ListKey", &[("offset", "4")]);
    assert_eq!(l["totalCount"], 6);
    assert_eq!(l["keys"].as_array().unwrap().len(), 2);
    let l = c.ok("ListKey", &[("offset", "1"), ("limit", "2")]);
    assert_eq!(l["keys"].as_array().unwrap().len(), 2);
}

fn walk(c: &V2, tag: &str) {
    let what = format!("{:?}/{:?}", c.transport, c.alg);
    let alias = format!("walk-{tag}");
    let created = c.ok(
        "CreateKey",
        &[
            ("alias", &alias),
            ("description", "demo key: a+b & c=d / 你好"),
            ("keyUsage", "ENCRYPT/DECRYPT"),
            ("type", "1"),
        ],
    );
    let m = created["keyMetadata"].as_object().unwrap();
    let mut fields: Vec<&str> = m.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "alias",
            "createTime",
            "description",
            "keyId",
            "keyState",
            "keyUsage"
        ],
        "{what}"
    );
    let id = m["keyId"].as_str().unwrap().to_string();
    assert_eq!(m["alias"], alias.as_str());
    assert_eq!(m["description"], "demo key: a+b & c=d / 你好");
    assert_eq!(m["keyState"], "Enabled");
    assert_eq!(m["keyUsage"], "ENCRYPT/DECRYPT");
    assert!((m["createTime"].as_i64().unwrap() - now()).abs() < 60);

    let a = attributes(c, &id);
    assert_eq!(a["keyId"], id.as_str());
    assert_eq!(a["deleteTime"], 0);
    assert_eq!(a["createTime"], m["createTime"]);
    c.ok(
        "SetKeyAttributes",
        &[("keyId", &id), ("alias", &format!("{alias}-2"))],
    );
    assert_eq!(attributes(c, &id)["alias"], format!("{alias}-2").as_str());

    let l = c.ok("ListKey", &[]);
    assert!(l["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["keyId"] == id.as_str()));

    // GenerateDataKey: by keySpec, by numberOfBytes (which wins), and numberOfBytes=0
    // with a keySpec as the Java SDK sends it.
    for (params, len) in [
        (vec![("keySpec", "AES_256")], 32),
        (vec![("keySpec", "AES_128")], 16),
        (vec![("numberOfBytes", "48"), ("keySpec", "AES_128")], 48),
        (vec![("numberOfBytes", "0"), ("keySpec", "AES_256")], 32),
        (vec![("numberOfBytes", "1024")], 1024),
    ] {
        let mut p = params.clone();
        p.push(("keyId", &id));
        let g = c.ok("GenerateDataKey", &p);
        assert_eq!(g["keyId"], id.as_str());
        let plain = g["plaintext"].as_str().unwrap();
        remember(plain);
        assert_eq!(unb64(plain).len(), len, "{what} {params:?}");
        let d = c.ok(
            "Decrypt",
            &[("ciphertextBlob", g["ciphertextBlob"].as_str().unwrap())],
        );
        assert_eq!(d["plaintext"], plain, "{what}");
        assert_eq!(d["keyId"], id.as_str());
    }

    // Encrypt and Decrypt, with an encryptionContext that must match.
    let secret = b64(format!("the payroll password for {tag}: p@ss w+rd/=&").as_bytes());
    remember(&secret);
    let ctx = r#"{"app":"pay roll","tier":"1"}"#;
    let e = c.ok(
        "Encrypt",
        &[
            ("keyId", &id),
            ("plaintext", &secret),
            ("encryptionContext", ctx),
        ],
    );
    assert_eq!(e["keyId"], id.as_str());
    let blob = e["ciphertextBlob"].as_str().unwrap().to_string();
    let d = c.ok(
        "Decrypt",
        &[
            ("ciphertextBlob", &blob),
            ("encryptionContext", r#"{"tier":"1","app":"pay roll"}"#),
        ],
    );
    assert_eq!(d["plaintext"], secret.as_str(), "{what}");
    let (code, _) = c.err("Decrypt", &[("ciphertextBlob", &blob)]);
    assert_eq!(code, 4000, "the wrong context");

    // The lifecycle.
    c.ok("DisableKey", &[("keyId", &id)]);
    assert_eq!(attributes(c, &id)["keyState"], "Disabled");
    let (code, msg) = c.err("Encrypt", &[("keyId", &id), ("plaintext", &secret)]);
    assert_eq!((code, module_of(&msg)), (4550, 10650), "{msg}");
    c.ok("EnableKey", &[("keyId", &id)]);
    assert_eq!(attributes(c, &id)["keyState"], "Enabled");
    c.ok("DisableKey", &[("keyId", &id)]);
    c.ok(
        "ScheduleKeyDeletion",
        &[("keyId", &id), ("pendingWindowInDays", "7")],
    );
    let a = attributes(c, &id);
    assert_eq!(a["keyState"], "PendingDelete");
    assert!((a["deleteTime"].as_i64().unwrap() - (now() + 7 * 86_400)).abs() < 60);
    c.ok("CancelKeyDeletion", &[("keyId", &id)]);
    let a = attributes(c, &id);
    assert_eq!(
        (a["keyState"].as_str(), a["deleteTime"].as_i64()),
        (Some("Disabled"), Some(0))
    );
    // The legacy Python SDK spells the id KeyId in these two actions.
    c.ok(
        "ScheduleKeyDeletion",
        &[("KeyId", &id), ("pendingWindowInDays", "30")],
    );
    c.ok("CancelKeyDeletion", &[("KeyId", &id)]);
    c.ok("EnableKey", &[("keyId", &id)]);
}

/// One key through both Tencent APIs: made in v2 and used through 3.0, and the reverse.
#[test]
fn one_key_through_v2_and_api_3() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let second = create_credential(dir.path(), Some(cred.uin));
    let server = Server::start(dir.path());
    let v2 = V2::new(&server, &cred, Transport::PostBare, Alg::Sha1);
    let v3 = server.client(&cred);
    let secret = b64(b"shared between dialects");
    remember(&secret);

    // Made in v2, used through 3.0.
    let id = v2.ok(
        "CreateKey",
        &[
            ("alias", "from-v2"),
            ("description", "made by the legacy API"),
        ],
    )["keyMetadata"]["keyId"]
        .as_str()
        .unwrap()
        .to_string();
    let m = v3.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(m["Alias"], "from-v2");
    assert_eq!(m["Description"], "made by the legacy API");
    assert_eq!(m["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["CreatorUin"], cred.uin);
    let e = v2.ok("Encrypt", &[("keyId", &id), ("plaintext", &secret)]);
    let d = v3.ok("Decrypt", json!({"CiphertextBlob": e["ciphertextBlob"]}));
    assert_eq!(d["Plaintext"], secret.as_str());
    assert_eq!(d["KeyId"], id.as_str());
    let e3 = v3.ok(
        "Encrypt",
        json!({"KeyId": id, "Plaintext": secret, "EncryptionContext": "{\"a\":\"b\"}"}),
    );
    let d = v2.ok(
        "Decrypt",
        &[
            ("ciphertextBlob", e3["CiphertextBlob"].as_str().unwrap()),
            ("encryptionContext", r#"{"a":"b"}"#),
        ],
    );
    assert_eq!(d["plaintext"], secret.as_str());
    v3.ok(
        "UpdateAlias",
        json!({"KeyId": id, "Alias": "renamed-in-v3"}),
    );
    assert_eq!(attributes(&v2, &id)["alias"], "renamed-in-v3");
    v2.ok("DisableKey", &[("keyId", &id)]);
    assert_eq!(
        v3.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"]["KeyState"],
        "Disabled"
    );
    v3.ok("EnableKey", json!({"KeyId": id}));
    assert_eq!(attributes(&v2, &id)["keyState"], "Enabled");

    // Made in 3.0, used through v2 (by another credential of the same account, over GET).
    let id3 = v3.ok(
        "CreateKey",
        json!({"Alias": "from-v3", "Description": "3.0"}),
    )["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let g2 = V2::new(&server, &second, Transport::Get, Alg::Sha256);
    let a = attributes(&g2, &id3);
    assert_eq!(
        (
            a["alias"].as_str(),
            a["description"].as_str(),
            a["keyUsage"].as_str()
        ),
        (Some("from-v3"), Some("3.0"), Some("ENCRYPT/DECRYPT"))
    );
    let listed = g2.ok("ListKey", &[("limit", "10")]);
    assert_eq!(listed["totalCount"], 2);
    let g = g2.ok(
        "GenerateDataKey",
        &[("keyId", &id3), ("keySpec", "AES_256")],
    );
    remember(g["plaintext"].as_str().unwrap());
    let d = v3.ok("Decrypt", json!({"CiphertextBlob": g["ciphertextBlob"]}));
    assert_eq!(d["Plaintext"], g["plaintext"]);
    let g3 = v3.ok(
        "GenerateDataKey",
        json!({"KeyId": id3, "NumberOfBytes": 24}),
    );
    let d = g2.ok(
        "Decrypt",
        &[("ciphertextBlob", g3["CiphertextBlob"].as_str().unwrap())],
    );
    assert_eq!(d["plaintext"], g3["Plaintext"]);
    assert_eq!(d["keyId"], id3.as_str());
    v3.ok("DisableKey", json!({"KeyId": id3}));
    g2.ok(
        "ScheduleKeyDeletion",
        &[("keyId", &id3), ("pendingWindowInDays", "7")],
    );
    let m = v3.ok("DescribeKey", json!({"KeyId": id3}))["KeyMetadata"].clone();
    assert_eq!(m["KeyState"], "PendingDelete");
    assert_eq!(m["DeletionDate"], attributes(&g2, &id3)["deleteTime"]);

    // The region: named in Region (full or API 2.0 short name), or the server default.
    let mut bj = v2.clone();
    bj.region = Some("ap-beijing".into());
    let in_bj = create(&bj, "in-beijing");
    let (code, _) = v3.err("DescribeKey", json!({"KeyId": in_bj}));
    assert_eq!(code, "ResourceUnavailable.CmkNotFound");
    // (DescribeKeys: the same DescribeKey body in the same second under another region
    // would be TC3's relabelled-signature replay.)
    v3.with_region("ap-beijing")
        .ok("DescribeKeys", json!({"KeyIds": [in_bj]}));
    let mut short = v2.clone();
    short.region = Some("bj".into());
    assert_eq!(attributes(&short, &in_bj)["alias"], "in-beijing");
    let mut gz = v2.clone();
    gz.region = Some("gz".into());
    assert_eq!(attributes(&gz, &id)["alias"], "renamed-in-v3");
}
