//! Every implemented action once over the wire with Rust-signed requests, and the whole
//! key-state table walked through the API. (The official-SDK suite in tests/python
//! covers the same actions field by field.)

mod common;
use common::*;
use serde_json::{json, Value};

fn new_key(c: &Client, alias: &str) -> String {
    c.ok("CreateKey", json!({"Alias": alias}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string()
}

fn state(c: &Client, id: &str) -> String {
    c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"]["KeyState"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_action_answers() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let created = c.ok(
        "CreateKey",
        json!({
            "Alias": "walk", "Description": "all actions", "KeyUsage": "ENCRYPT_DECRYPT", "Type": 1,
            "Tags": [{"TagKey": "team", "TagValue": "pay"}]
        }),
    );
    let id = created["KeyId"].as_str().unwrap().to_string();
    assert_eq!(created["KeyState"], "Enabled");
    let m = c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(m["Type"], 4, "SM4 by default");
    assert_eq!(m["CreatorUin"], cred.uin);
    assert_eq!(m["ResourceId"], format!("creatorUin/{}/{}", cred.uin, id));
    assert_eq!(m["Origin"], "TENCENT_KMS");
    let aes = c.ok("CreateKey", json!({"Alias": "aes", "KeySpec": "AES_256"}));
    let aes_meta = c.ok("DescribeKey", json!({"KeyId": aes["KeyId"]}))["KeyMetadata"].clone();
    assert_eq!(aes_meta["Type"], 2);
    let ms = c.ok("DescribeKeys", json!({"KeyIds": [id, aes["KeyId"]]}))["KeyMetadatas"].clone();
    assert_eq!(ms.as_array().unwrap().len(), 2);
    let l = c.ok("ListKeys", json!({"Offset": 0, "Limit": 1}));
    assert_eq!(l["TotalCount"], 2);
    assert_eq!(l["Keys"][0]["KeyId"], id.as_str(), "oldest first");
    let d = c.ok(
        "ListKeyDetail",
        json!({"TagFilters": [{"TagKey": "team", "TagValue": ["pay"]}]}),
    );
    assert_eq!(d["TotalCount"], 1);
    c.ok("UpdateAlias", json!({"KeyId": id, "Alias": "walk2"}));
    c.ok(
        "UpdateKeyDescription",
        json!({"KeyId": id, "Description": "changed"}),
    );
    let m = c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(
        (m["Alias"].as_str(), m["Description"].as_str()),
        (Some("walk2"), Some("changed"))
    );
    c.ok("DisableKeys", json!({"KeyIds": [id, aes["KeyId"]]}));
    assert_eq!(state(&c, &id), "Disabled");
    c.ok("EnableKeys", json!({"KeyIds": [id, aes["KeyId"]]}));
    c.ok("ArchiveKey", json!({"KeyId": id}));
    c.ok("CancelKeyArchive", json!({"KeyId": id}));
    c.ok("DisableKey", json!({"KeyId": id}));
    let s = c.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    );
    let when = s["DeletionDate"].as_i64().unwrap();
    assert!((when - (now() + 7 * 86_400)).abs() < 60);
    assert_eq!(
        c.ok("CancelKeyDeletion", json!({"KeyId": id}))["KeyId"],
        id.as_str()
    );
    c.ok("EnableKey", json!({"KeyId": id}));
    let r = c.ok("GenerateRandom", json!({"NumberOfBytes": 32}));
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r["Plaintext"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes.len(), 32);
    let st = c.ok("GetServiceStatus", json!({}));
    assert_eq!(
        (st["ServiceEnabled"].clone(), st["CmkUserCount"].clone()),
        (Value::Bool(true), json!(2))
    );
    let algs = c.ok("ListAlgorithms", json!({}));
    let names: Vec<&str> = algs["SymmetricAlgorithms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Algorithm"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["SM4", "AES_256"]);
}

/// Each action on a key in each state: allowed ones succeed, refused ones carry the
/// code the Tencent dialect chose for that (action, state).
#[test]
fn the_state_table_over_the_wire() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let mut n = 0;
    let mut in_state = |st: &str| -> String {
        n += 1;
        let id = if st == "PendingImport" {
            c.ok("CreateKey", json!({"Alias": format!("s{n}"), "Type": 2}))["KeyId"]
                .as_str()
                .unwrap()
                .to_string()
        } else {
            new_key(&c, &format!("s{n}"))
        };
        match st {
            "Disabled" => {
                c.ok("DisableKey", json!({"KeyId": id}));
            }
            "PendingDelete" => {
                c.ok("DisableKey", json!({"KeyId": id}));
                c.ok(
                    "ScheduleKeyDeletion",
                    json!({"KeyId": id, "PendingWindowInDays": 7}),
                );
            }
            "Archived" => {
                c.ok("ArchiveKey", json!({"KeyId": id}));
            }
            _ => {}
        }
        assert_eq!(state(&c, &id), st);
        id
    };
    // (action, extra params, [Enabled, Disabled, PendingDelete, PendingImport, Archived])
    let none = None::<&str>;
    let ns = "ResourceUnavailable.CmkStateNotSupport";
    let table: Vec<(&str, Value, [Option<&str>; 5])> = vec![
        (
            "EnableKey",
            json!({}),
            [none, none, Some(ns), Some(ns), Some(ns)],
        ),
        (
            "DisableKey",
            json!({}),
            [none, none, Some(ns), Some(ns), Some(ns)],
        ),
        (
            "ScheduleKeyDeletion",
            json!({"PendingWindowInDays": 7}),
            [
                Some("ResourceUnavailable.CmkShouldBeDisabled"),
                none,
                Some(ns),
                none,
                none,
            ],
        ),
        (
            "CancelKeyDeletion",
            json!({}),
            [
                Some("ResourceUnavailable.CmkNotPendingDelete"),
                Some("ResourceUnavailable.CmkNotPendingDelete"),
                none,
                Some("ResourceUnavailable.CmkNotPendingDelete"),
                Some("ResourceUnavailable.CmkNotPendingDelete"),
            ],
        ),
        (
            "ArchiveKey",
            json!({}),
            [none, Some(ns), Some(ns), Some(ns), none],
        ),
        (
            "CancelKeyArchive",
            json!({}),
            [Some(ns), Some(ns), Some(ns), Some(ns), none],
        ),
        (
            "UpdateKeyDescription",
            json!({"Description": "x"}),
            [none; 5],
        ),
        ("DescribeKey", json!({}), [none; 5]),
    ];
    let states = [
        "Enabled",
        "Disabled",
        "PendingDelete",
        "PendingImport",
        "Archived",
    ];
    for (action, extra, expect) in table {
        for (st, want) in states.iter().zip(expect) {
            let id = in_state(st);
            let mut p = extra.clone();
            p["KeyId"] = json!(id);
            let r = c.call(action, p);
            let got = r["Error"]["Code"].as_str();
            assert_eq!(got, want, "{action} on {st}: {r}");
        }
    }
}

#[test]
fn the_cmk_limit_comes_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("smkms.toml");
    std::fs::write(&cfg, "[limits]\ncmks_per_region = 2\n").unwrap();
    let cred = create_credential(&dir.path().join("data"), None);
    let server = Server::start_with(
        &dir.path().join("data"),
        &["--config", cfg.to_str().unwrap()],
    );
    let c = server.client(&cred);
    new_key(&c, "one");
    new_key(&c, "two");
    let (code, msg) = c.err("CreateKey", json!({"Alias": "three"}));
    assert_eq!(code, "LimitExceeded.CmkLimitExceeded");
    assert!(msg.contains('2'), "{msg}");
    // Another region has its own allowance.
    c.with_region("ap-beijing")
        .ok("CreateKey", json!({"Alias": "three-bj"}));
}
