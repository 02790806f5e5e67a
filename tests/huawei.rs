//! The Huawei KMS v1.0 dialect over the wire, with requests signed by a client of our
//! own that signs as `huaweicloudsdkcore` does (every header, SDK-HMAC-SHA256 or
//! SDK-HMAC-SM3). The official-SDK suite in tests/python covers the same endpoints
//! through `huaweicloudsdkkms`.

mod common;
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use smkms::auth::huawei::{format_sdk_date, sign, Algorithm, ToSign};
use std::net::SocketAddr;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// A Huawei request before it is sent; tests tamper with it.
#[derive(Clone, Debug)]
struct HwReq {
    method: String,
    path: String,
    query: String,
    /// Signed, in this order.
    headers: Vec<(String, String)>,
    /// Sent after signing (so not signed).
    extra: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HwReq {
    fn header_mut(&mut self, name: &str) -> &mut String {
        &mut self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .unwrap()
            .1
    }

    fn sign(&mut self, alg: Algorithm, ak: &str, sk: &str) {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let auth = sign(
            alg,
            ak,
            sk,
            &ToSign {
                method: &self.method,
                path: &self.path,
                query: &self.query,
                headers: &headers,
                body: &self.body,
            },
        );
        self.extra.retain(|(k, _)| k != "Authorization");
        self.extra.push(("Authorization".into(), auth));
    }

    fn to_bytes(&self) -> Vec<u8> {
        let target = if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, target);
        for (k, v) in self.headers.iter().chain(&self.extra) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

#[derive(Clone)]
struct Hw {
    addr: SocketAddr,
    cred: Cred,
    project: String,
}

impl Hw {
    fn new(server: &Server, cred: &Cred, project: &str) -> Hw {
        Hw {
            addr: server.addr,
            cred: cred.clone(),
            project: project.into(),
        }
    }

    fn project(&self, project: &str) -> Hw {
        Hw {
            project: project.into(),
            ..self.clone()
        }
    }

    /// A signed request as the Python SDK sends it (same headers, same body layout).
    fn prepare(&self, action: &str, body: &Value) -> HwReq {
        let mut r = HwReq {
            method: "POST".into(),
            path: format!("/v1.0/{}/kms/{action}", self.project),
            query: String::new(),
            headers: vec![
                (
                    "User-Agent".into(),
                    "huaweicloud-usdk-python/3.0; smkms-test".into(),
                ),
                (
                    "Content-Type".into(),
                    "application/json;charset=utf-8".into(),
                ),
                ("X-Project-Id".into(), self.project.clone()),
                ("X-Sdk-Date".into(), format_sdk_date(now())),
                ("Host".into(), self.addr.to_string()),
            ],
            extra: Vec::new(),
            body: serde_json::to_vec(body).unwrap(),
        };
        r.sign(
            Algorithm::HmacSha256,
            &self.cred.secret_id,
            &self.cred.secret_key,
        );
        r
    }

    fn send(&self, r: &HwReq) -> Resp {
        let resp = raw(self.addr, &r.to_bytes());
        if let Ok(v) = serde_json::from_slice::<Value>(&resp.body) {
            for field in ["plain_text", "data_key"] {
                if let Some(s) = v.get(field).and_then(Value::as_str) {
                    remember_secret(s);
                    remember_secret(&s.to_ascii_lowercase());
                }
            }
        }
        resp
    }

    fn call(&self, action: &str, body: Value) -> Resp {
        self.send(&self.prepare(action, &body))
    }

    fn ok(&self, action: &str, body: Value) -> Value {
        let r = self.call(action, body);
        assert_eq!(
            r.status,
            200,
            "{action}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/json;charset=UTF-8")
        );
        r.json()
    }

    /// Expects a KMS error; returns (status, code, message).
    fn err(&self, action: &str, body: Value) -> (u16, String, String) {
        kms_error(&self.call(action, body))
    }

    fn new_key(&self, extra: Value) -> String {
        let mut body = json!({ "key_alias": format!("k{}", uuid::Uuid::new_v4().simple()) });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.ok("create-key", body)["key_info"]["key_id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn state(&self, key_id: &str) -> String {
        self.ok("describe-key", json!({ "key_id": key_id }))["key_info"]["key_state"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn kms_error(r: &Resp) -> (u16, String, String) {
    let v = r.json();
    let e = &v["error"];
    assert!(e.is_object(), "expected a KMS error, got {}: {v}", r.status);
    // The SDK takes a failed request's id from this header only.
    let rid = r
        .header("x-request-id")
        .expect("X-Request-Id on every error");
    assert_eq!(uuid::Uuid::parse_str(rid).unwrap().to_string(), rid);
    (
        r.status,
        e["error_code"].as_str().unwrap().into(),
        e["error_msg"].as_str().unwrap().into(),
    )
}

/// An API-gateway error (authentication): flat, with a request id.
fn gateway_error(r: &Resp) -> (u16, String, String) {
    let v = r.json();
    assert!(v["error"].is_null(), "{v}");
    let rid = v["request_id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(rid).unwrap().to_string(), rid);
    assert_eq!(r.header("x-request-id"), Some(rid), "header and body agree");
    (
        r.status,
        v["error_code"].as_str().unwrap().into(),
        v["error_msg"].as_str().unwrap().into(),
    )
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn unique_project() -> String {
    format!("p{}", uuid::Uuid::new_v4().simple())
}

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
        (
            "create-key",
            json!({"key_alias": "r", "key_spec": "RSA_2048"}),
            400,
            "KMS.0308",
        ),
        (
            "create-key",
            json!({"key_alias": "r", "key_usage": "SIGN_VERIFY"}),
            400,
            "KMS.0308",
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

#[test]
fn routing_methods_and_urls() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    // A documented Huawei API this server does not implement.
    let (s, c, m) = hw.err("create-grant", json!({}));
    assert_eq!((s, c.as_str()), (400, "KMS.0201"), "{m}");
    // Dedicated keystores live beside /kms/ and are not implemented either.
    let mut r = hw.prepare("list-keys", &json!({}));
    r.path = format!("/v1.0/{}/keystores", hw.project);
    r.method = "GET".into();
    r.body.clear();
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    let (s, c, _) = kms_error(&hw.send(&r));
    assert_eq!((s, c.as_str()), (400, "KMS.0201"));
    // No such API at all: the gateway's 404.
    let r = hw.call("no-such-thing", json!({}));
    let (s, c, _) = gateway_error(&r);
    assert_eq!((s, c.as_str()), (404, "APIGW.0101"));
    // GET on an action.
    let mut r = hw.prepare("list-keys", &json!({}));
    r.method = "GET".into();
    r.body.clear();
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    let (s, c, _) = kms_error(&hw.send(&r));
    assert_eq!((s, c.as_str()), (405, "KMS.0215"));
    // A project id that cannot be a scope.
    let (s, c, _) = hw.project("Bad.Project").err("list-keys", json!({}));
    assert_eq!((s, c.as_str()), (400, "KMS.0201"));
    // X-Project-Id must name the project in the URL.
    let mut r = hw.prepare("list-keys", &json!({}));
    *r.header_mut("X-Project-Id") = "someone-else".into();
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    let (s, c, _) = kms_error(&hw.send(&r));
    assert_eq!((s, c.as_str()), (403, "KMS.0321"));
    // Without X-Project-Id the URL's project is used.
    let mut r = hw.prepare("list-keys", &json!({}));
    r.headers.retain(|(k, _)| k != "X-Project-Id");
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    assert_eq!(hw.send(&r).status, 200);
}

#[test]
fn signatures() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    let body = json!({"limit": "10"});
    let good = hw.prepare("list-keys", &body);
    assert_eq!(hw.send(&good).status, 200);
    // An identical resend inside the window is accepted (as for TC3).
    assert_eq!(hw.send(&good).status, 200);

    let expect = |r: &HwReq, code: &str, needle: &str| {
        let (s, c, m) = gateway_error(&hw.send(r));
        assert_eq!((s, c.as_str()), (401, code), "{m}");
        assert!(m.contains(needle), "{m} lacks {needle:?}");
    };

    // SDK-HMAC-SM3 is accepted too.
    let mut r = good.clone();
    r.sign(Algorithm::HmacSm3, &cred.secret_id, &cred.secret_key);
    assert_eq!(hw.send(&r).status, 200);

    // Wrong secret.
    let mut r = good.clone();
    r.sign(Algorithm::HmacSha256, &cred.secret_id, "wrong");
    expect(&r, "APIGW.0301", "signature");
    // Unknown AK.
    let mut r = good.clone();
    r.sign(Algorithm::HmacSha256, "AKIDnobody", &cred.secret_key);
    expect(&r, "APIGW.0301", "AKIDnobody");
    // Body, path, signed header changed after signing.
    let mut r = good.clone();
    r.body = br#"{"limit": "11"}"#.to_vec();
    expect(&r, "APIGW.0301", "signature");
    let mut r = good.clone();
    r.path = r.path.replace("list-keys", "gen-random");
    expect(&r, "APIGW.0301", "signature");
    let mut r = good.clone();
    *r.header_mut("User-Agent") = "other".into();
    expect(&r, "APIGW.0301", "signature");
    // The path's trailing-slash canonicalisation: the same path with a slash signs
    // identically (the SDK always appends one) but names no action.
    let mut r = good.clone();
    r.path.push('/');
    assert_eq!(gateway_error(&hw.send(&r)).1, "APIGW.0101");
    // X-Sdk-Date outside 15 minutes, both ways; inside is fine.
    for (offset, ok) in [
        (-16 * 60, false),
        (16 * 60, false),
        (-14 * 60, true),
        (14 * 60, true),
    ] {
        let mut r = good.clone();
        *r.header_mut("X-Sdk-Date") = format_sdk_date(now() + offset);
        r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
        if ok {
            assert_eq!(hw.send(&r).status, 200, "{offset}");
        } else {
            expect(&r, "APIGW.0303", "X-Sdk-Date");
        }
    }
    // Malformed date; missing date; date not signed.
    let mut r = good.clone();
    *r.header_mut("X-Sdk-Date") = "2024-01-01T00:00:00Z".into();
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    expect(&r, "APIGW.0301", "X-Sdk-Date");
    let mut r = good.clone();
    let auth = r.extra.pop().unwrap().1;
    r.extra
        .push(("Authorization".into(), auth.replace(";x-sdk-date", "")));
    expect(&r, "APIGW.0301", "x-sdk-date");
    // No Authorization; a token instead; temporary credentials.
    let mut r = good.clone();
    r.extra.clear();
    expect(&r, "APIGW.0301", "Authorization");
    r.extra.push(("X-Auth-Token".into(), "MIIabc".into()));
    expect(&r, "APIGW.0301", "X-Auth-Token");
    let mut r = good.clone();
    r.headers.push(("X-Security-Token".into(), "t".into()));
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    expect(&r, "APIGW.0301", "X-Security-Token");
    // Another algorithm.
    let mut r = good.clone();
    let auth = r.extra.pop().unwrap().1;
    r.extra.push((
        "Authorization".into(),
        auth.replace("SDK-HMAC-SHA256", "SDK-ECDSA-P256-SHA256"),
    ));
    expect(&r, "APIGW.0301", "SDK-ECDSA-P256-SHA256");
    // A signed header sent twice.
    let mut r = good.clone();
    r.extra.push(("User-Agent".into(), "again".into()));
    expect(&r, "APIGW.0301", "more than once");
    // UNSIGNED-PAYLOAD is refused by default; a wrong literal payload hash too.
    let mut r = good.clone();
    r.headers
        .push(("X-Sdk-Content-Sha256".into(), "UNSIGNED-PAYLOAD".into()));
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    expect(&r, "APIGW.0301", "UNSIGNED-PAYLOAD");
    let mut r = good.clone();
    r.headers
        .push(("X-Sdk-Content-Sha256".into(), sha256_hex(b"other")));
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    expect(&r, "APIGW.0301", "does not match the body");
    // The correct literal hash is what the SDK would sign: accepted.
    let mut r = good.clone();
    r.headers
        .push(("X-Sdk-Content-Sha256".into(), sha256_hex(&r.body)));
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    assert_eq!(hw.send(&r).status, 200);
    // A query string is part of the signature.
    let mut r = good.clone();
    r.query = "b=2&a=1".into();
    r.sign(Algorithm::HmacSha256, &cred.secret_id, &cred.secret_key);
    assert_eq!(hw.send(&r).status, 200);
    r.query = "b=2&a=2".into();
    expect(&r, "APIGW.0301", "signature");
}

#[test]
fn body_cap_answers_in_huawei_format() {
    let (_dir, server, cred) = fresh();
    let hw = Hw::new(&server, &cred, &unique_project());
    let mut r = hw.prepare("encrypt-data", &json!({}));
    r.body = vec![b' '; (1 << 20) + 1];
    let resp = hw.send(&r);
    let (s, c, m) = kms_error(&resp);
    assert_eq!((s, c.as_str()), (400, "KMS.0203"), "{m}");
    // The Tencent dialect keeps its own answer on its own path.
    let tc = server.client(&cred);
    let mut req = tc.prepare("Encrypt", &json!({}));
    req.body = vec![b' '; (1 << 20) + 1];
    assert_eq!(
        tc.send(&req).code().as_deref(),
        Some("RequestSizeLimitExceeded")
    );
}

#[test]
fn scopes_are_projects_and_accounts() {
    let (dir, server, cred) = fresh();
    let other_account = create_credential(dir.path(), None);
    let hw = Hw::new(&server, &cred, &unique_project());
    let key = hw.new_key(json!({}));
    let ct =
        hw.ok("encrypt-data", json!({"key_id": key, "plain_text": "p"}))["cipher_text"].clone();
    let elsewhere = hw.project(&unique_project());
    assert_eq!(
        elsewhere.err("describe-key", json!({"key_id": key})).1,
        "KMS.0207"
    );
    assert_eq!(
        elsewhere.err("decrypt-data", json!({"cipher_text": ct})).1,
        "KMS.0207"
    );
    assert_eq!(elsewhere.ok("list-keys", json!({}))["total"], 0);
    let stranger = Hw::new(&server, &other_account, &hw.project);
    assert_eq!(
        stranger.err("describe-key", json!({"key_id": key})).1,
        "KMS.0207"
    );
    // The same alias in another project is another key.
    hw.ok("create-key", json!({"key_alias": "same"}));
    elsewhere.ok("create-key", json!({"key_alias": "same"}));
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
