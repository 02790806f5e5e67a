//! Every path the Huawei SDK sends is the Huawei dialect's: version discovery on
//! `GET /` (only when the request is Huawei-signed and carries nothing of Tencent's)
//! and `GET /v1.0`, the v2 cross-region paths (not implemented), and the actions with
//! ids in their paths (key tags). Also rotation and re-encrypt.

mod common;
mod huawei_common;
use common::*;
use huawei_common::*;
use serde_json::{json, Value};
use smkms::auth::huawei::Algorithm;

/// A signed Huawei request with any method, path and query.
fn at(hw: &Hw, method: &str, path: &str, query: &str, body: Option<Value>) -> HwReq {
    let mut r = hw.prepare("list-keys", &json!({}));
    r.method = method.into();
    r.path = path.into();
    r.query = query.into();
    r.body = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    r.sign(
        Algorithm::HmacSha256,
        &hw.cred.secret_id,
        &hw.cred.secret_key,
    );
    r
}

fn kms_path(hw: &Hw, rest: &str) -> String {
    format!("/v1.0/{}/kms/{rest}", hw.project)
}

#[test]
fn version_discovery_and_unserved_paths() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());

    // GET /, signed as the SDK signs: Huawei's version list.
    let r = hw.send(&at(&hw, "GET", "/", "", None));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let v = r.json();
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{v}");
    assert_eq!(versions[0]["id"], "v1.0");
    assert_eq!(versions[0]["status"], "CURRENT");
    assert_eq!(versions[0]["min_version"], "");
    assert_eq!(versions[0]["links"][0]["rel"], "self");
    assert_eq!(
        versions[0]["links"][0]["href"],
        format!("http://{}/v1.0/", server.addr)
    );
    assert!(versions[0]["updated"].as_str().unwrap().ends_with('Z'));
    // GET /v1.0 (the SDK's show_version): that version alone.
    for path in ["/v1.0", "/v1.0/"] {
        let v = hw.ok_req(&at(&hw, "GET", path, "", None));
        assert_eq!(v["version"]["id"], "v1.0", "{path}");
        assert_eq!(v["version"]["status"], "CURRENT");
    }
    // Another version: Huawei-shaped 404; a POST: 405.
    let (s, c, m) = kms_error(&hw.send(&at(&hw, "GET", "/v3", "", None)));
    assert_eq!((s, c.as_str()), (404, "KMS.0201"), "{m}");
    assert!(m.contains("v1.0"), "{m}");
    let (s, c, _) = kms_error(&hw.send(&at(&hw, "POST", "/v1.0", "", Some(json!({})))));
    assert_eq!((s, c.as_str()), (405, "KMS.0215"));
    // A bad signature on GET / is the gateway's 401: the Huawei dialect answered.
    let mut r = at(&hw, "GET", "/", "", None);
    r.sign(Algorithm::HmacSha256, &cred.secret_id, "wrong");
    assert_eq!(gateway_error(&hw.send(&r)).1, "APIGW.0301");

    // The v2 paths (cross-region keys) are Huawei's, and not implemented.
    let pid = hw.project.clone();
    let id = hw.new_key(json!({}));
    for (method, path, query, body) in [
        (
            "GET",
            format!("/v2/{pid}/kms/regions"),
            "limit=10&offset=0",
            None,
        ),
        (
            "POST",
            format!("/v2/{pid}/kms/keys/{id}/replicate"),
            "",
            Some(json!({"key_id": id, "replica_region": "cn-north-4"})),
        ),
        (
            "PUT",
            format!("/v2/{pid}/kms/keys/{id}/update-primary-region"),
            "",
            Some(json!({"primary_region": "cn-north-4"})),
        ),
    ] {
        let r = hw.send(&at(&hw, method, &path, query, body));
        let (s, c, m) = kms_error(&r);
        assert_eq!((s, c.as_str()), (400, "KMS.0201"), "{path}: {m}");
        assert!(m.contains("not implemented"), "{m}");
    }
    // Unsigned, they are still Huawei's (the gateway's 401, not a Tencent body).
    let r = raw(
        server.addr,
        format!(
            "GET /v2/{pid}/kms/regions HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr
        )
        .as_bytes(),
    );
    assert_eq!(gateway_error(&r).0, 401);
}

#[test]
fn get_slash_stays_tencent_unless_huawei_signed() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    let tc = server.client(&cred);
    // Tencent API 3.0 on POST / is unchanged.
    assert!(tc.ok("GenerateRandom", json!({"NumberOfBytes": 8}))["Plaintext"].is_string());
    // A Huawei-signed GET / that also carries a Tencent header is Tencent's.
    let mut r = at(&hw, "GET", "/", "", None);
    r.extra.push(("X-TC-Action".into(), "ListKeys".into()));
    let resp = hw.send(&r);
    assert_eq!(resp.status, 200);
    assert!(
        resp.json()["Response"]["Error"].is_object(),
        "a Tencent body"
    );
    // A TC3 Authorization with an X-Sdk-Date: Tencent's.
    let mut r = at(&hw, "GET", "/", "", None);
    r.extra.retain(|(k, _)| k != "Authorization");
    r.extra.push((
        "Authorization".into(),
        "TC3-HMAC-SHA256 Credential=x/2024-01-01/kms/tc3_request, SignedHeaders=host, Signature=00"
            .into(),
    ));
    assert!(hw.send(&r).json()["Response"].is_object());
    // Unsigned GET /: Tencent's, as before.
    let r = raw(
        server.addr,
        format!(
            "GET /?Action=ListKeys HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr
        )
        .as_bytes(),
    );
    assert!(r.json()["Response"]["Error"]["Code"]
        .as_str()
        .unwrap()
        .starts_with("AuthFailure"));
}

#[test]
fn rotation() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    let id = hw.new_key(json!({}));
    let status = |id: &str| hw.ok("get-key-rotation-status", json!({ "key_id": id }));
    let s = status(&id);
    assert_eq!(s["key_rotation_enabled"], false);
    assert_eq!(s["rotation_interval"], 365);
    assert_eq!(s["last_rotation_time"], "");
    assert_eq!(s["number_of_rotations"], 0);

    let blob = hw.ok(
        "encrypt-data",
        json!({"key_id": id, "plain_text": "before"}),
    )["cipher_text"]
        .clone();
    assert_eq!(
        hw.ok("enable-key-rotation", json!({ "key_id": id })),
        json!({})
    );
    let s = status(&id);
    assert_eq!(
        (
            s["key_rotation_enabled"].clone(),
            s["rotation_interval"].clone()
        ),
        (json!(true), json!(365))
    );
    assert_eq!(
        hw.ok("describe-key", json!({"key_id": id}))["key_info"]["key_rotation_enabled"],
        "true"
    );
    let (s, c, m) = hw.err("enable-key-rotation", json!({ "key_id": id }));
    assert_eq!((s, c.as_str()), (400, "KMS.2901"), "{m}");
    hw.ok("update-key-rotation-interval", json!({"key_id": id, "rotation_interval": 30, "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"}));
    assert_eq!(status(&id)["rotation_interval"], 30);
    for bad in [json!(29), json!(366), json!("x")] {
        let (s, c, _) = hw.err(
            "update-key-rotation-interval",
            json!({"key_id": id, "rotation_interval": bad}),
        );
        assert_eq!((s, c.as_str()), (400, "KMS.3001"), "{bad}");
    }
    let (_, c, _) = hw.err("update-key-rotation-interval", json!({ "key_id": id }));
    assert_eq!(c, "KMS.0204");

    // rotate-on-demand adds a version; old ciphertexts still open.
    assert_eq!(
        hw.ok("rotate-on-demand", json!({ "key_id": id }))["key_id"],
        id.as_str()
    );
    let s = status(&id);
    assert_eq!(s["number_of_rotations"], 1);
    let t: i64 = s["last_rotation_time"].as_str().unwrap().parse().unwrap();
    assert!((t - now()).abs() < 60, "seconds since the epoch: {t}");
    let d = hw.ok("decrypt-data", json!({ "cipher_text": blob }));
    assert_eq!(d["plain_text"], "before");
    let after = hw.ok("encrypt-data", json!({"key_id": id, "plain_text": "after"}));
    assert_ne!(after["cipher_text"], blob);
    assert_eq!(
        hw.ok("decrypt-data", json!({"cipher_text": after["cipher_text"]}))["plain_text"],
        "after"
    );

    // Interval kept across disable and enable.
    assert_eq!(
        hw.ok("disable-key-rotation", json!({ "key_id": id })),
        json!({})
    );
    assert_eq!(status(&id)["key_rotation_enabled"], false);
    let (s, c, _) = hw.err("disable-key-rotation", json!({ "key_id": id }));
    assert_eq!((s, c.as_str()), (400, "KMS.0313"));
    let (_, c, _) = hw.err(
        "update-key-rotation-interval",
        json!({"key_id": id, "rotation_interval": 60}),
    );
    assert_eq!(c, "KMS.0313");
    hw.ok("enable-key-rotation", json!({ "key_id": id }));
    assert_eq!(status(&id)["rotation_interval"], 30);

    // Imported-material keys do not rotate; a disabled key cannot rotate now; unknown
    // and malformed keys.
    let ext = hw.new_key(json!({"origin": "external"}));
    assert_eq!(
        hw.err("enable-key-rotation", json!({ "key_id": ext })).1,
        "KMS.0312"
    );
    assert_eq!(
        hw.err("rotate-on-demand", json!({ "key_id": ext })).1,
        "KMS.0312"
    );
    hw.ok("disable-key", json!({ "key_id": id }));
    assert_eq!(
        hw.err("rotate-on-demand", json!({ "key_id": id })).1,
        "KMS.0209"
    );
    let (s, c, _) = hw.err(
        "get-key-rotation-status",
        json!({"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}),
    );
    assert_eq!((s, c.as_str()), (404, "KMS.0207"));
    assert_eq!(
        hw.err("enable-key-rotation", json!({"key_id": "nope"})).1,
        "KMS.0205"
    );
    assert_eq!(
        hw.err("enable-key-rotation", json!({"key_id": id, "extra": "1"}))
            .1,
        "KMS.0308"
    );
}

#[test]
fn re_encrypt() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    let a = hw.new_key(json!({}));
    let b = hw.new_key(json!({"key_spec": "SM4"}));

    // encrypt-data's base64 ciphertext, AAD to AAD.
    let c = hw.ok(
        "encrypt-data",
        json!({"key_id": a, "plain_text": "secret words", "additional_authenticated_data": "src"}),
    )["cipher_text"]
        .as_str()
        .unwrap()
        .to_string();
    let r = hw.ok(
        "re-encrypt",
        json!({
            "cipher_text": c, "source_key_id": a, "destination_key_id": b,
            "source_additional_authenticated_data": "src",
            "destination_additional_authenticated_data": "dst",
            "source_encryption_algorithm": "SYMMETRIC_DEFAULT",
            "destination_encryption_algorithm": "SYMMETRIC_DEFAULT",
        }),
    );
    assert_eq!(
        (r["key_id"].as_str(), r["source_key_id"].as_str()),
        (Some(b.as_str()), Some(a.as_str()))
    );
    assert_eq!(r["source_encryption_algorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(r["destination_encryption_algorithm"], "SYMMETRIC_DEFAULT");
    let d = hw.ok(
        "decrypt-data",
        json!({"cipher_text": r["cipher_text"], "additional_authenticated_data": "dst"}),
    );
    assert_eq!(
        (d["plain_text"].as_str(), d["key_id"].as_str()),
        (Some("secret words"), Some(b.as_str()))
    );
    assert_eq!(
        hw.err("decrypt-data", json!({"cipher_text": r["cipher_text"]}))
            .1,
        "KMS.0308"
    );

    // A data key's hex ciphertext stays hex, for decrypt-datakey under the new key.
    let dk = hw.ok(
        "create-datakey",
        json!({"key_id": a, "datakey_length": "256"}),
    );
    for length in [Some("32"), None] {
        let mut body = json!({"cipher_text": dk["cipher_text"], "destination_key_id": b});
        if let Some(n) = length {
            body["datakey_cipher_length"] = json!(n);
        }
        let r = hw.ok("re-encrypt", body);
        let hex = r["cipher_text"].as_str().unwrap();
        assert!(
            hex.bytes()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c)),
            "{hex}"
        );
        let back = hw.ok(
            "decrypt-datakey",
            json!({"key_id": b, "cipher_text": hex, "datakey_cipher_length": "32"}),
        );
        assert_eq!(back["data_key"], dk["plain_text"]);
    }

    // Refusals.
    let same = |extra: Value| {
        let mut body = json!({"cipher_text": c, "destination_key_id": b, "source_additional_authenticated_data": "src"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        hw.err("re-encrypt", body)
    };
    assert_eq!(
        same(json!({"source_key_id": b})).1,
        "KMS.0308",
        "not the blob's key"
    );
    assert_eq!(
        same(json!({"source_additional_authenticated_data": "other"})).1,
        "KMS.0308"
    );
    assert_eq!(
        same(json!({"destination_encryption_algorithm": "SM2_ENCRYPT"})).1,
        "KMS.2105"
    );
    assert_eq!(
        same(json!({"source_encryption_algorithm": "AES"})).1,
        "KMS.0308"
    );
    assert_eq!(
        same(json!({"destination_key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f"})).0,
        404
    );
    assert_eq!(same(json!({"datakey_cipher_length": "0"})).1, "KMS.2202");
    assert_eq!(
        hw.err("re-encrypt", json!({"cipher_text": c})).1,
        "KMS.0204"
    );
    assert_eq!(
        hw.err(
            "re-encrypt",
            json!({"cipher_text": "!!", "destination_key_id": b})
        )
        .1,
        "KMS.0308"
    );
    hw.ok("disable-key", json!({ "key_id": b }));
    assert_eq!(same(json!({})).1, "KMS.0209", "a disabled destination");
}

#[test]
fn key_tags() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, "ap-guangzhou");
    let id = hw.new_key(json!({"key_alias": "tagged-one"}));
    let tags_path = kms_path(&hw, &format!("{id}/tags"));
    let show = || hw.ok_req(&at(&hw, "GET", &tags_path, "", None));
    assert_eq!(show(), json!({"tags": [], "existTagsNum": 0}));

    let add = |tag: Value| {
        hw.send(&at(
            &hw,
            "POST",
            &tags_path,
            "",
            Some(json!({ "tag": tag })),
        ))
    };
    assert_eq!(
        add(json!({"key": "env", "value": "prod"})).json(),
        json!({})
    );
    assert_eq!(
        add(json!({"key": "env", "value": "test"})).status,
        200,
        "re-valued"
    );
    assert_eq!(add(json!({"key": "空 key", "value": ""})).status, 200);
    assert_eq!(
        show(),
        json!({"tags": [{"key": "env", "value": "test"}, {"key": "空 key", "value": ""}], "existTagsNum": 2})
    );
    for (tag, code) in [
        (json!({"key": "a=b", "value": "v"}), "KMS.0406"),
        (json!({"key": "", "value": "v"}), "KMS.0411"),
        (json!({"key": "k".repeat(37), "value": "v"}), "KMS.0411"),
        (json!({"key": "k", "value": "v".repeat(44)}), "KMS.0410"),
        (json!({"key": "k", "value": "<v>"}), "KMS.0405"),
        (json!({"key": "k"}), "KMS.0204"),
    ] {
        assert_eq!(kms_error(&add(tag.clone())).1, code, "{tag}");
    }

    // Batch create and delete; deleting an absent tag in a batch is fine.
    let action = kms_path(&hw, &format!("{id}/tags/action"));
    let batch = |body: Value| hw.send(&at(&hw, "POST", &action, "", Some(body)));
    let r = batch(
        json!({"action": "create", "tags": [{"key": "team", "value": "kms"}, {"key": "tier", "value": "1"}], "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        batch(json!({"action": "delete", "tags": [{"key": "tier"}, {"key": "never"}]})).status,
        200
    );
    assert_eq!(show()["existTagsNum"], 3);
    for (body, code) in [
        (json!({"action": "create", "tags": []}), "KMS.0401"),
        (json!({"action": "create"}), "KMS.0401"),
        (
            json!({"action": "upsert", "tags": [{"key": "a", "value": "b"}]}),
            "KMS.0404",
        ),
        (
            json!({"action": "create", "tags": [{"key": "a", "value": "b"}, {"key": "a", "value": "c"}]}),
            "KMS.0406",
        ),
    ] {
        assert_eq!(kms_error(&batch(body.clone())).1, code, "{body}");
    }
    let many: Vec<Value> = (0..50)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    assert_eq!(
        kms_error(&batch(json!({"action": "create", "tags": many}))).1,
        "KMS.0409"
    );

    // DELETE {key_id}/tags/{key}, the key percent-encoded as the SDK sends it.
    let del = |key: &str| {
        hw.send(&at(
            &hw,
            "DELETE",
            &kms_path(&hw, &format!("{id}/tags/{key}")),
            "",
            None,
        ))
    };
    assert_eq!(del("%E7%A9%BA%20key").status, 200);
    let (s, c, _) = kms_error(&del("%E7%A9%BA%20key"));
    assert_eq!((s, c.as_str()), (404, "KMS.0416"));
    assert_eq!(
        show(),
        json!({"tags": [{"key": "env", "value": "test"}, {"key": "team", "value": "kms"}], "existTagsNum": 2})
    );
    // Wrong methods, unknown keys.
    let (s, c, _) = kms_error(&hw.send(&at(&hw, "PUT", &tags_path, "", Some(json!({})))));
    assert_eq!((s, c.as_str()), (405, "KMS.0215"));
    let missing = kms_path(&hw, "0d0466b0-e727-4d9c-b35d-f84bb474a37f/tags");
    assert_eq!(
        kms_error(&hw.send(&at(&hw, "GET", &missing, "", None))).0,
        404
    );
    assert_eq!(
        kms_error(&hw.send(&at(&hw, "GET", &kms_path(&hw, "NOPE/tags"), "", None))).1,
        "KMS.0205"
    );

    // The same tags through Tencent; Tencent's tags through Huawei.
    let tc = server.client(&cred);
    let other = tc.ok(
        "CreateKey",
        json!({"Alias": "from-tencent", "Tags": [{"TagKey": "env", "TagValue": "prod"}]}),
    )["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = hw.ok_req(&at(
        &hw,
        "GET",
        &kms_path(&hw, &format!("{other}/tags")),
        "",
        None,
    ));
    assert_eq!(shown["tags"], json!([{"key": "env", "value": "prod"}]));

    // The project's tags, and keys by tag.
    let all = hw.ok_req(&at(&hw, "GET", &kms_path(&hw, "tags"), "", None));
    assert_eq!(
        all,
        json!({"tags": [{"key": "env", "values": ["prod", "test"]}, {"key": "team", "values": ["kms"]}]})
    );
    let by = kms_path(&hw, "resource_instances/action");
    let find = |body: Value| hw.ok_req(&at(&hw, "POST", &by, "", Some(body)));
    let r = find(json!({"action": "filter", "tags": [{"key": "env", "values": ["test", "nope"]}]}));
    assert_eq!(r["total_count"], 1);
    assert_eq!(r["resources"][0]["resource_id"], id.as_str());
    assert_eq!(r["resources"][0]["resource_name"], "tagged-one");
    assert_eq!(r["resources"][0]["resource_detail"]["key_id"], id.as_str());
    assert_eq!(
        r["resources"][0]["tags"][1],
        json!({"key": "team", "value": "kms"})
    );
    assert_eq!(
        find(json!({"action": "count", "tags": [{"key": "env", "values": []}]}))["total_count"],
        2
    );
    let r = find(
        json!({"action": "filter", "limit": "1", "offset": "1", "tags": [{"key": "env", "values": []}]}),
    );
    assert_eq!(
        (
            r["total_count"].clone(),
            r["resources"].as_array().unwrap().len()
        ),
        (json!(2), 1)
    );
    let r = find(
        json!({"action": "filter", "matches": [{"key": "resource_name", "value": "tencent"}]}),
    );
    assert_eq!(r["resources"][0]["resource_id"], other.as_str());
    for (body, code) in [
        (json!({"action": "list"}), "KMS.0404"),
        (json!({"action": "filter", "limit": "0"}), "KMS.1601"),
        (json!({"action": "filter", "offset": "-1"}), "KMS.0417"),
        (
            json!({"action": "filter", "matches": [{"key": "alias", "value": "x"}]}),
            "KMS.0403",
        ),
        (
            json!({"action": "filter", "matches": [{"key": "resource_name", "value": ""}]}),
            "KMS.0402",
        ),
    ] {
        assert_eq!(
            kms_error(&hw.send(&at(&hw, "POST", &by, "", Some(body.clone())))).1,
            code,
            "{body}"
        );
    }

    // No tag changes while the key is pending deletion.
    hw.ok(
        "schedule-key-deletion",
        json!({"key_id": id, "pending_days": "7"}),
    );
    assert_eq!(
        kms_error(&add(json!({"key": "late", "value": "v"}))).1,
        "KMS.0210"
    );
}
