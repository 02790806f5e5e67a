//! Shared by the legacy KMS API v2 (`/v2/index.php`) test files: our own client,
//! written from the reference's signing rules (sign string = METHOD + host + path +
//! "?" + sorted raw key=value pairs, `_` → `.` in names, HMAC-SHA1 or HMAC-SHA256 with
//! the SecretKey, base64; the wire URL-encoded the way the Java SDK's URLEncoder does
//! it) and independent of the server's signer, over GET, POST form and POST with no
//! Content-Type (as the legacy Python SDK sends it), plus the checks every answer
//! must pass.
#![allow(dead_code)]

use crate::common::*;
use base64::Engine;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

pub const PATH: &str = "/v2/index.php";

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|_| panic!("not base64: {text}"))
}

/// Registers a secret the server returned or was sent, as base64 and as hex, so the
/// harness fails the test if it ever reaches the server's log.
pub fn remember(b64_text: &str) {
    remember_secret(b64_text);
    remember_secret(&hex::encode(unb64(b64_text)));
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transport {
    Get,
    PostForm,
    /// A form body with no Content-Type header, as the legacy Python SDK (httplib) sends.
    PostBare,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Alg {
    Sha1,
    Sha256,
}

impl Alg {
    pub fn param(self) -> &'static str {
        match self {
            Alg::Sha1 => "HmacSHA1",
            Alg::Sha256 => "HmacSHA256",
        }
    }
}

/// The sign string, from the reference's rules.
pub fn sign_string(
    method: &str,
    host: &str,
    path: &str,
    params: &BTreeMap<String, String>,
) -> String {
    // A BTreeMap<String, _> iterates in byte order of the names, as the SDKs sort.
    let pairs: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={v}", k.replace('_', ".")))
        .collect();
    format!("{method}{host}{path}?{}", pairs.join("&"))
}

pub fn hmac_b64(alg: Alg, key: &str, msg: &str) -> String {
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
pub fn url_encode(s: &str) -> String {
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

pub fn form(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn next_nonce() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // Distinct within this process; every test's credentials are its own anyway.
    (1_000_000 + NEXT.fetch_add(1, Ordering::SeqCst)).to_string()
}

/// A legacy v2 client: one transport, one HMAC, one credential.
#[derive(Clone)]
pub struct V2 {
    pub addr: SocketAddr,
    pub cred: Cred,
    pub transport: Transport,
    pub alg: Alg,
    pub region: Option<String>,
}

impl V2 {
    pub fn new(server: &Server, cred: &Cred, transport: Transport, alg: Alg) -> V2 {
        V2 {
            addr: server.addr,
            cred: cred.clone(),
            transport,
            alg,
            region: None,
        }
    }

    pub fn method(&self) -> &'static str {
        match self.transport {
            Transport::Get => "GET",
            Transport::PostForm | Transport::PostBare => "POST",
        }
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The action's parameters plus the common ones, signed.
    pub fn signed(&self, action: &str, params: &[(&str, &str)]) -> BTreeMap<String, String> {
        self.signed_at(action, params, now(), &next_nonce())
    }

    pub fn signed_at(
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

    pub fn sign(&self, p: &mut BTreeMap<String, String>) {
        let src = sign_string(self.method(), &self.host(), PATH, p);
        p.insert(
            "Signature".into(),
            hmac_b64(self.alg, &self.cred.secret_key, &src),
        );
    }

    pub fn bytes(&self, p: &BTreeMap<String, String>) -> Vec<u8> {
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

    pub fn send(&self, p: &BTreeMap<String, String>) -> Value {
        envelope(raw(self.addr, &self.bytes(p)))
    }

    pub fn call(&self, action: &str, params: &[(&str, &str)]) -> Value {
        self.send(&self.signed(action, params))
    }

    pub fn ok(&self, action: &str, params: &[(&str, &str)]) -> Value {
        let v = self.call(action, params);
        assert_eq!(v["code"], 0, "{action} failed: {v}");
        assert_eq!(v["message"], "", "{v}");
        v
    }

    /// Expects an error; returns (code, message).
    pub fn err(&self, action: &str, params: &[(&str, &str)]) -> (i64, String) {
        code_of(&self.call(action, params))
    }
}

/// Checks what every answer has in common and returns its body.
pub fn envelope(r: Resp) -> Value {
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

pub fn code_of(v: &Value) -> (i64, String) {
    let code = v["code"].as_i64().unwrap();
    assert_ne!(code, 0, "expected an error: {v}");
    (code, v["message"].as_str().unwrap().to_string())
}

/// The module code in `(module)text`.
pub fn module_of(message: &str) -> u32 {
    message[1..message.find(')').unwrap()].parse().unwrap()
}

pub fn create(c: &V2, alias: &str) -> String {
    c.ok("CreateKey", &[("alias", alias)])["keyMetadata"]["keyId"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn attributes(c: &V2, id: &str) -> Value {
    c.ok("GetKeyAttributes", &[("keyId", id)])["keyMetadata"].clone()
}
