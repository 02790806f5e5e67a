//! The legacy KMS API v2 (`/v2/index.php`) over the real server.
//!
//! The client here is our own, written from the reference's signing rules (sign string
//! = METHOD + host + path + "?" + sorted raw key=value pairs, `_` → `.` in names,
//! HMAC-SHA1 or HMAC-SHA256 with the SecretKey, base64; the wire URL-encoded the way
//! the Java SDK's URLEncoder does it) and independent of the server's signer. It first
//! reproduces the reference's published vector, then drives every action over GET,
//! POST form and POST with no Content-Type (as the legacy Python SDK sends it), with
//! both HMACs, then every error code, the Nonce and clock rules, and one key seen
//! through both this API and API 3.0.

mod common;
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

const PATH: &str = "/v2/index.php";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|_| panic!("not base64: {text}"))
}

/// Registers a secret the server returned or was sent, as base64 and as hex, so the
/// harness fails the test if it ever reaches the server's log.
fn remember(b64_text: &str) {
    remember_secret(b64_text);
    remember_secret(&hex::encode(unb64(b64_text)));
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Transport {
    Get,
    PostForm,
    /// A form body with no Content-Type header, as the legacy Python SDK (httplib) sends.
    PostBare,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Alg {
    Sha1,
    Sha256,
}

impl Alg {
    fn param(self) -> &'static str {
        match self {
            Alg::Sha1 => "HmacSHA1",
            Alg::Sha256 => "HmacSHA256",
        }
    }
}

/// The sign string, from the reference's rules.
fn sign_string(method: &str, host: &str, path: &str, params: &BTreeMap<String, String>) -> String {
    // A BTreeMap<String, _> iterates in byte order of the names, as the SDKs sort.
    let pairs: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={v}", k.replace('_', ".")))
        .collect();
    format!("{method}{host}{path}?{}", pairs.join("&"))
}

fn hmac_b64(alg: Alg, key: &str, msg: &str) -> String {
    use hmac::Mac;
    let raw = match alg {
        Alg::Sha1 => {
            let mut m = hmac::Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
            m.update(msg.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Alg::Sha256 => {
            let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
            m.update(msg.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
    };
    b64(&raw)
}

/// `java.net.URLEncoder.encode(s, "utf-8")`: letters, digits and `.-*_` stay, a space
/// becomes `+`, every other byte `%XX`.
fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn next_nonce() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // Distinct within this process; every test's credentials are its own anyway.
    (1_000_000 + NEXT.fetch_add(1, Ordering::SeqCst)).to_string()
}

/// A legacy v2 client: one transport, one HMAC, one credential.
#[derive(Clone)]
struct V2 {
    addr: SocketAddr,
    cred: Cred,
    transport: Transport,
    alg: Alg,
    region: Option<String>,
}

impl V2 {
    fn new(server: &Server, cred: &Cred, transport: Transport, alg: Alg) -> V2 {
        V2 {
            addr: server.addr,
            cred: cred.clone(),
            transport,
            alg,
            region: None,
        }
    }

    fn method(&self) -> &'static str {
        match self.transport {
            Transport::Get => "GET",
            Transport::PostForm | Transport::PostBare => "POST",
        }
    }

    fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The action's parameters plus the common ones, signed.
    fn signed(&self, action: &str, params: &[(&str, &str)]) -> BTreeMap<String, String> {
        self.signed_at(action, params, now(), &next_nonce())
    }

    fn signed_at(
        &self,
        action: &str,
        params: &[(&str, &str)],
        timestamp: i64,
        nonce: &str,
    ) -> BTreeMap<String, String> {
        let mut p: BTreeMap<String, String> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.insert("Action".into(), action.into());
        p.insert("Nonce".into(), nonce.into());
        p.insert("Timestamp".into(), timestamp.to_string());
        p.insert("SecretId".into(), self.cred.secret_id.clone());
        p.insert("SignatureMethod".into(), self.alg.param().into());
        p.insert("RequestClient".into(), "smkms_legacy_test".into());
        if let Some(r) = &self.region {
            p.insert("Region".into(), r.clone());
        }
        self.sign(&mut p);
        p
    }

    fn sign(&self, p: &mut BTreeMap<String, String>) {
        let src = sign_string(self.method(), &self.host(), PATH, p);
        p.insert(
            "Signature".into(),
            hmac_b64(self.alg, &self.cred.secret_key, &src),
        );
    }

    fn bytes(&self, p: &BTreeMap<String, String>) -> Vec<u8> {
        let encoded = form(p);
        let host = self.host();
        match self.transport {
            Transport::Get => format!(
                "GET {PATH}?{encoded} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
            Transport::PostForm => format!(
                "POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{encoded}",
                encoded.len()
            )
            .into_bytes(),
            Transport::PostBare => format!(
                "POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{encoded}",
                encoded.len()
            )
            .into_bytes(),
        }
    }

    fn send(&self, p: &BTreeMap<String, String>) -> Value {
        envelope(raw(self.addr, &self.bytes(p)))
    }

    fn call(&self, action: &str, params: &[(&str, &str)]) -> Value {
        self.send(&self.signed(action, params))
    }

    fn ok(&self, action: &str, params: &[(&str, &str)]) -> Value {
        let v = self.call(action, params);
        assert_eq!(v["code"], 0, "{action} failed: {v}");
        assert_eq!(v["message"], "", "{v}");
        v
    }

    /// Expects an error; returns (code, message).
    fn err(&self, action: &str, params: &[(&str, &str)]) -> (i64, String) {
        code_of(&self.call(action, params))
    }
}

/// Checks what every answer has in common and returns its body.
fn envelope(r: Resp) -> Value {
    assert_eq!(r.status, 200, "legacy answers are always HTTP 200");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert!(v["code"].is_i64(), "code must be a JSON integer: {v}");
    let rid = v["requestId"].as_str().expect("requestId is a string");
    assert!(!rid.is_empty());
    let message = v["message"].as_str().expect("message is a string");
    if v["code"] != 0 {
        assert!(
            message.starts_with('(') && message.contains(')'),
            "errors read (module)text: {v}"
        );
    }
    v
}

fn code_of(v: &Value) -> (i64, String) {
    let code = v["code"].as_i64().unwrap();
    assert_ne!(code, 0, "expected an error: {v}");
    (code, v["message"].as_str().unwrap().to_string())
}

/// The module code in `(module)text`.
fn module_of(message: &str) -> u32 {
    message[1..message.find(')').unwrap()].parse().unwrap()
}

fn create(c: &V2, alias: &str) -> String {
    c.ok("CreateKey", &[("alias", alias)])["keyMetadata"]["keyId"]
        .as_str()
        .unwrap()
        .to_string()
}

fn attributes(c: &V2, id: &str) -> Value {
    c.ok("GetKeyAttributes", &[("keyId", id)])["keyMetadata"].clone()
}

#[test]
fn our_signer_reproduces_the_published_vector() {
    let mut p: BTreeMap<String, String> = [
        ("Action", "CreateKey"),
        ("Nonce", "12345"),
        ("Region", "sh"),
        ("RequestClient", "SDK_Python_1.0"),
        ("SecretId", "AKIDEXAMPLE"),
        ("SignatureMethod", "HmacSHA256"),
        ("Timestamp", "1500000000"),
        ("alias", "test"),
        ("description", "demo key"),
        ("keyUsage", "ENCRYPT/DECRYPT"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let src = sign_string("POST", "kms-sh.api.qcloud.com", PATH, &p);
    assert_eq!(
        src,
        "POSTkms-sh.api.qcloud.com/v2/index.php?Action=CreateKey&Nonce=12345&Region=sh\
         &RequestClient=SDK_Python_1.0&SecretId=AKIDEXAMPLE&SignatureMethod=HmacSHA256\
         &Timestamp=1500000000&alias=test&description=demo key&keyUsage=ENCRYPT/DECRYPT"
    );
    assert_eq!(
        hmac_b64(Alg::Sha256, "SECRETKEYEXAMPLE", &src),
        "uDC6i5ugLrSItU/REr5Q9XO3aShGGJ1fl2eK+gCmGic="
    );
    p.insert("SignatureMethod".into(), "HmacSHA1".into());
    let src = sign_string("POST", "kms-sh.api.qcloud.com", PATH, &p);
    assert_eq!(
        hmac_b64(Alg::Sha1, "SECRETKEYEXAMPLE", &src),
        "rObc3EDnCMPf17cTefUVZFDE7nY="
    );
    // And the server's signer agrees with ours on a request of our own.
    p.insert("alias_0".into(), "x y&z=+/%".into());
    let src = sign_string("GET", "127.0.0.1:1", PATH, &p);
    let theirs = smkms::auth::tc_v1::string_to_sign(
        "GET",
        "127.0.0.1:1",
        PATH,
        p.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    assert_eq!(src, theirs);
    assert!(src.contains("&alias.0=x y&z=+/%&"), "{src}");
}

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

/// Sends `p` exactly as given (already signed or deliberately not).
fn send_raw(c: &V2, bytes: Vec<u8>) -> (i64, String) {
    code_of(&envelope(raw(c.addr, &bytes)))
}

#[test]
fn every_error_code() {
    let (dir, server, cred) = fresh();
    let c = V2::new(&server, &cred, Transport::PostForm, Alg::Sha256);
    let id = create(&c, "errors");
    let expect = |got: (i64, String), code: i64, module: u32, what: &str| {
        assert_eq!(
            (got.0, module_of(&got.1)),
            (code, module),
            "{what}: {}",
            got.1
        );
    };

    // 4000: the request itself.
    expect(c.err("GetKeyAttributes", &[]), 4000, 10010, "missing keyId");
    expect(c.err("CreateKey", &[]), 4000, 10010, "missing alias");
    expect(
        c.err("CreateKey", &[("alias", "")]),
        4000,
        10010,
        "empty alias (the Python SDK's default)",
    );
    expect(c.err("", &[]), 4000, 10010, "empty Action");
    expect(
        c.err("GetKeyAttributes", &[("keyId", &id), ("KeyUsage", "x")]),
        4000,
        10320,
        "unknown parameter",
    );
    expect(
        c.err("CreateKey", &[("alias", &"a".repeat(33))]),
        4000,
        10350,
        "33-character alias",
    );
    expect(
        c.err("CreateKey", &[("alias", "ok"), ("type", "3")]),
        4000,
        10350,
        "type 3",
    );
    expect(c.err("ListKey", &[("limit", "0")]), 4000, 10350, "limit 0");
    expect(
        c.err("ListKey", &[("offset", "-1")]),
        4000,
        10350,
        "negative offset",
    );
    expect(
        c.err("ListKey", &[("offset", "abc")]),
        4000,
        10360,
        "offset not a number",
    );
    expect(
        c.err(
            "GenerateDataKey",
            &[("keyId", &id), ("numberOfBytes", "1025")],
        ),
        4000,
        10350,
        "numberOfBytes 1025",
    );
    expect(
        c.err("GenerateDataKey", &[("keyId", &id)]),
        4000,
        10010,
        "neither keySpec nor numberOfBytes",
    );
    expect(
        c.err("Encrypt", &[("keyId", &id), ("plaintext", "not base64!")]),
        4000,
        10110,
        "plaintext not base64",
    );
    expect(
        c.err(
            "Encrypt",
            &[
                ("keyId", &id),
                ("plaintext", "aGk="),
                ("encryptionContext", "[1]"),
            ],
        ),
        4000,
        10110,
        "context not an object",
    );
    expect(
        c.err("Decrypt", &[("ciphertextBlob", "AAAA")]),
        4000,
        10110,
        "not a ciphertext",
    );
    expect(
        c.err(
            "ScheduleKeyDeletion",
            &[("keyId", &id), ("pendingWindowInDays", "7")],
        ),
        4000,
        10110,
        "scheduling an Enabled key's deletion",
    );
    expect(
        c.err("CancelKeyDeletion", &[("keyId", &id)]),
        4000,
        10110,
        "cancelling a deletion that is not scheduled",
    );
    expect(
        c.err(
            "ScheduleKeyDeletion",
            &[("keyId", &id), ("pendingWindowInDays", "6")],
        ),
        4000,
        10350,
        "a 6-day window",
    );
    expect(
        c.err("DescribeKey", &[("keyId", &id)]),
        4000,
        10430,
        "an API 3.0 action",
    );
    expect(
        c.err("CreateKey", &[("alias", "ok"), ("Region", "Guangzhou!")]),
        4000,
        10350,
        "a malformed Region",
    );
    let host = server.addr;
    let put = format!(
        "PUT {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    expect(send_raw(&c, put.into_bytes()), 4000, 10410, "PUT");
    let body = form(&c.signed("ListKey", &[]));
    let json_ct = format!("POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    expect(send_raw(&c, json_ct.into_bytes()), 4000, 10420, "JSON body");
    let bad = "Action=ListKey&x=%G1";
    let bad = format!("POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{bad}", bad.len());
    expect(send_raw(&c, bad.into_bytes()), 4000, 10420, "bad escape");
    let twice = "Action=ListKey&limit=1&limit=2";
    let twice = format!("POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{twice}", twice.len());
    expect(
        send_raw(&c, twice.into_bytes()),
        4000,
        10330,
        "a repeated parameter",
    );
    let huge = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        2 << 20
    );
    expect(
        send_raw(&c, huge.into_bytes()),
        4000,
        10420,
        "a body over the cap",
    );
    let mut no_akid = c.clone();
    no_akid.cred.secret_id = "XKID".to_string() + &cred.secret_id[4..];
    expect(
        no_akid.err("ListKey", &[]),
        4000,
        10450,
        "a SecretId not starting AKID",
    );
    let mut p = c.signed("ListKey", &[]);
    p.remove("Signature");
    expect(send_raw(&c, c.bytes(&p)), 4000, 10010, "no Signature");

    // 4100: the signature.
    let mut wrong_key = c.clone();
    wrong_key.cred.secret_key = "x".repeat(32);
    expect(
        wrong_key.err("ListKey", &[]),
        4100,
        10030,
        "wrong SecretKey",
    );
    let mut p = c.signed("ListKey", &[("limit", "5")]);
    p.insert("limit".into(), "6".into());
    expect(
        send_raw(&c, c.bytes(&p)),
        4100,
        10030,
        "a parameter changed after signing",
    );
    let mut p = c.signed("ListKey", &[]);
    p.insert("Region".into(), "ap-beijing".into());
    expect(
        send_raw(&c, c.bytes(&p)),
        4100,
        10030,
        "a Region added after signing",
    );
    let mut p = c.signed("ListKey", &[]);
    p.insert("SignatureMethod".into(), "HmacSHA1".into());
    expect(
        send_raw(&c, c.bytes(&p)),
        4100,
        10030,
        "a SHA-256 signature called SHA-1",
    );
    let get = V2 {
        transport: Transport::Get,
        ..c.clone()
    };
    let p = c.signed("ListKey", &[]);
    expect(
        send_raw(&c, get.bytes(&p)),
        4100,
        10030,
        "signed as POST, sent as GET",
    );
    let p = c.signed("ListKey", &[]);
    let moved = String::from_utf8(c.bytes(&p))
        .unwrap()
        .replace(&format!("Host: {host}"), "Host: kms-gz.api.qcloud.com");
    expect(
        send_raw(&c, moved.into_bytes()),
        4100,
        10030,
        "another Host",
    );
    let mut at = c.signed("CreateKey", &[("alias", "at"), ("description", "@home")]);
    // The legacy Python SDK leaves '@' values out of its sign string; we sign them.
    let mut without = at.clone();
    without.remove("description");
    without.remove("Signature");
    let src = sign_string("POST", &c.host(), PATH, &without);
    at.insert("Signature".into(), hmac_b64(c.alg, &cred.secret_key, &src));
    let (code, msg) = send_raw(&c, c.bytes(&at));
    assert_eq!(code, 4100);
    assert!(msg.contains('@'), "{msg}");

    // 4104: an unknown SecretId.
    let mut stranger = c.clone();
    stranger.cred.secret_id = "AKIDnobodyhasthisone".into();
    expect(
        stranger.err("ListKey", &[]),
        4104,
        10270,
        "unknown SecretId",
    );

    // 4105: temporary credentials.
    let (code, _) = c.err("ListKey", &[("Token", "sts-token")]);
    assert_eq!(code, 4105);
    c.ok("ListKey", &[("Token", "")]);

    // CreateKey's own codes, with the page's exact messages.
    let (code, msg) = c.err(
        "CreateKey",
        &[("alias", "u"), ("keyUsage", "ENCRYPT_DECRYPT")],
    );
    assert_eq!(
        (code, msg.as_str()),
        (4490, "(10470)string of KeyUsage must be ENCRYPT/DECRYPT")
    );
    let (code, msg) = c.err("CreateKey", &[("alias", "errors")]);
    assert_eq!(
        (code, msg.as_str()),
        (
            4500,
            "(10480)alias is already existed in your account, please input another unique one"
        )
    );
    let other = create(&c, "errors-2");
    let (code, msg) = c.err(
        "SetKeyAttributes",
        &[("keyId", &other), ("alias", "errors")],
    );
    assert_eq!((code, module_of(&msg)), (4500, 10480), "{msg}");
    let (code, msg) = c.err("CreateKey", &[("alias", "s"), ("keySpec", "DES")]);
    assert_eq!((code, msg.as_str()), (4520, "(10620)keySpec value error"));
    let (code, msg) = c.err("GenerateDataKey", &[("keyId", &id), ("keySpec", "AES_512")]);
    assert_eq!((code, module_of(&msg)), (4520, 10620));
    // keySpec SM4 and AES_256 choose the CMK's cipher (the smkms extension).
    for spec in ["SM4", "AES_256"] {
        let k = c.ok(
            "CreateKey",
            &[("alias", &format!("spec-{spec}")), ("keySpec", spec)],
        );
        let kid = k["keyMetadata"]["keyId"].as_str().unwrap();
        let e = c.ok("Encrypt", &[("keyId", kid), ("plaintext", "aGVsbG8=")]);
        assert_eq!(
            c.ok(
                "Decrypt",
                &[("ciphertextBlob", e["ciphertextBlob"].as_str().unwrap())]
            )["plaintext"],
            "aGVsbG8="
        );
    }
    // type 2 ("quantum") is accepted and makes an ordinary key.
    let q = c.ok("CreateKey", &[("alias", "quantum"), ("type", "2")]);
    assert_eq!(q["keyMetadata"]["keyState"], "Enabled");
    // Characters the core refuses for every dialect.
    let (code, msg) = c.err("CreateKey", &[("alias", "has space")]);
    assert_eq!((code, module_of(&msg)), (4000, 10350), "{msg}");

    // 4530: keys that are not there for this caller.
    let missing = "00000000-0000-4000-8000-000000000000";
    for (action, params) in [
        ("GetKeyAttributes", vec![("keyId", missing)]),
        ("EnableKey", vec![("keyId", missing)]),
        ("Encrypt", vec![("keyId", missing), ("plaintext", "aGk=")]),
        ("GetKeyAttributes", vec![("keyId", "kms-345sdfk")]),
    ] {
        let (code, msg) = c.err(action, &params);
        assert_eq!((code, module_of(&msg)), (4530, 10630), "{action}: {msg}");
    }
    let stranger = create_credential(dir.path(), None);
    let s = V2::new(&server, &stranger, Transport::PostForm, Alg::Sha1);
    let (code, _) = s.err("GetKeyAttributes", &[("keyId", &id)]);
    assert_eq!(code, 4530, "another account's key");
    let e = c.ok("Encrypt", &[("keyId", &id), ("plaintext", "aGVsbG8=")]);
    let blob = e["ciphertextBlob"].as_str().unwrap().to_string();
    let (code, _) = s.err("Decrypt", &[("ciphertextBlob", &blob)]);
    assert_eq!(code, 4530, "another account's ciphertext");
    let mut gz = c.clone();
    gz.region = Some("ap-shanghai".into());
    let (code, _) = gz.err("GetKeyAttributes", &[("keyId", &id)]);
    assert_eq!(code, 4530, "another region's key");

    // 4550: a key that may not be used.
    c.ok("DisableKey", &[("keyId", &id)]);
    for (action, params) in [
        (
            "Encrypt",
            vec![("keyId", id.as_str()), ("plaintext", "aGk=")],
        ),
        (
            "GenerateDataKey",
            vec![("keyId", id.as_str()), ("keySpec", "AES_256")],
        ),
        ("Decrypt", vec![("ciphertextBlob", blob.as_str())]),
    ] {
        let (code, msg) = c.err(action, &params);
        assert_eq!((code, module_of(&msg)), (4550, 10650), "{action}: {msg}");
    }
    c.ok(
        "ScheduleKeyDeletion",
        &[("keyId", &id), ("pendingWindowInDays", "7")],
    );
    let (code, _) = c.err("Decrypt", &[("ciphertextBlob", &blob)]);
    assert_eq!(code, 4550, "a key pending deletion");
    let (code, _) = c.err("EnableKey", &[("keyId", &id)]);
    assert_eq!(code, 4000, "enabling a key pending deletion");
    c.ok("CancelKeyDeletion", &[("keyId", &id)]);
    c.ok("EnableKey", &[("keyId", &id)]);
}

#[test]
fn a_nonce_is_used_once_and_the_clock_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let other = create_credential(dir.path(), Some(cred.uin));
    let server = Server::start(dir.path());
    for transport in [Transport::Get, Transport::PostBare] {
        let c = V2::new(&server, &cred, transport, Alg::Sha1);
        // The identical request twice: the second is a replay.
        let p = c.signed("ListKey", &[]);
        assert_eq!(c.send(&p)["code"], 0);
        let (code, msg) = code_of(&c.send(&p));
        assert_eq!(code, 4500, "{msg}");
        assert!(msg.contains("Nonce"), "{msg}");
        // The same Nonce in another request of the same SecretId: refused too.
        let nonce = p["Nonce"].clone();
        let again = c.signed_at("CreateKey", &[("alias", "replayed")], now(), &nonce);
        assert_eq!(code_of(&c.send(&again)).0, 4500);
        // The same Nonce under another SecretId is that SecretId's first use.
        let o = V2::new(&server, &other, transport, Alg::Sha256);
        assert_eq!(
            o.send(&o.signed_at("ListKey", &[], now(), &nonce))["code"],
            0
        );
        // A fresh Nonce is fine.
        c.ok("ListKey", &[]);
    }

    // Timestamp: 301 s either way is refused, 299 s is accepted.
    let c = V2::new(&server, &cred, Transport::PostForm, Alg::Sha256);
    for skew in [-301, 301, -100_000] {
        let p = c.signed_at("ListKey", &[], now() + skew, &next_nonce());
        let (code, msg) = code_of(&c.send(&p));
        assert_eq!(code, 4500, "{skew}: {msg}");
        assert!(msg.contains("Timestamp"), "{msg}");
    }
    for skew in [-299, 299] {
        let p = c.signed_at("ListKey", &[], now() + skew, &next_nonce());
        assert_eq!(c.send(&p)["code"], 0, "{skew}");
    }
    for bad in ["", "soon", "-5", "1.5e9"] {
        let p = c.signed_at("ListKey", &[], 0, &next_nonce());
        let mut p = p.clone();
        p.insert("Timestamp".into(), bad.into());
        c.sign(&mut p);
        let (code, _) = code_of(&c.send(&p));
        assert_eq!(code, 4000, "Timestamp {bad:?}");
    }
    let mut p = c.signed_at("ListKey", &[], now(), "not-a-number");
    c.sign(&mut p);
    assert_eq!(code_of(&c.send(&p)).0, 4000, "a Nonce that is not a number");
}

#[test]
fn the_cmk_limit_comes_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("smkms.toml");
    std::fs::write(&cfg, "[limits]\ncmks_per_region = 2\n").unwrap();
    let data = dir.path().join("data");
    let cred = create_credential(&data, None);
    let server = Server::start_with(&data, &["--config", cfg.to_str().unwrap()]);
    let c = V2::new(&server, &cred, Transport::PostForm, Alg::Sha1);
    create(&c, "one");
    create(&c, "two");
    let (code, msg) = c.err("CreateKey", &[("alias", "three")]);
    assert_eq!(
        (code, msg.as_str()),
        (
            4510,
            "(10610)number of CMK in your account has reached the limit"
        )
    );
    let mut bj = c.clone();
    bj.region = Some("bj".into());
    create(&bj, "three");
}

#[test]
fn an_internal_failure_is_6000_and_says_nothing_more() {
    let (dir, server, cred) = fresh();
    let c = V2::new(&server, &cred, Transport::PostForm, Alg::Sha256);
    // Creating a key does not load its material; flip a bit of it before first use.
    let id = create(&c, "broken");
    let db = rusqlite::Connection::open(dir.path().join("smkms.db")).unwrap();
    let mut sealed: Vec<u8> = db
        .query_row(
            "SELECT sealed FROM cmk_material WHERE key_id=?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    db.execute(
        "UPDATE cmk_material SET sealed=?1 WHERE key_id=?2",
        rusqlite::params![sealed, id],
    )
    .unwrap();
    let v = c.call("Encrypt", &[("keyId", &id), ("plaintext", "aGVsbG8=")]);
    let (code, msg) = code_of(&v);
    assert_eq!((code, module_of(&msg)), (6000, 10050), "{msg}");
    assert!(msg.contains(v["requestId"].as_str().unwrap()), "{msg}");
    assert!(!msg.contains("sealed") && !msg.contains(&id), "{msg}");
    // Other keys are unaffected.
    let ok = create(&c, "fine");
    c.ok("Encrypt", &[("keyId", &ok), ("plaintext", "aGVsbG8=")]);
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
