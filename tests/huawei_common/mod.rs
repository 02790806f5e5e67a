//! Shared by the Huawei KMS v1.0 test files: a client of our own that signs as
//! `huaweicloudsdkcore` does (every header, SDK-HMAC-SHA256 or SDK-HMAC-SM3), the
//! request it builds before sending (tests tamper with it), and the checks every
//! KMS and API-gateway error must pass.
#![allow(dead_code)]

use crate::common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use smkms::auth::huawei::{format_sdk_date, sign, Algorithm, ToSign};
use std::net::SocketAddr;

pub const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// A Huawei request before it is sent; tests tamper with it.
#[derive(Clone, Debug)]
pub struct HwReq {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Signed, in this order.
    pub headers: Vec<(String, String)>,
    /// Sent after signing (so not signed).
    pub extra: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HwReq {
    pub fn header_mut(&mut self, name: &str) -> &mut String {
        &mut self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .unwrap()
            .1
    }

    pub fn sign(&mut self, alg: Algorithm, ak: &str, sk: &str) {
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

    pub fn to_bytes(&self) -> Vec<u8> {
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
pub struct Hw {
    pub addr: SocketAddr,
    pub cred: Cred,
    pub project: String,
}

impl Hw {
    pub fn new(server: &Server, cred: &Cred, project: &str) -> Hw {
        Hw {
            addr: server.addr,
            cred: cred.clone(),
            project: project.into(),
        }
    }

    pub fn project(&self, project: &str) -> Hw {
        Hw {
            project: project.into(),
            ..self.clone()
        }
    }

    /// A signed request as the Python SDK sends it (same headers, same body layout).
    pub fn prepare(&self, action: &str, body: &Value) -> HwReq {
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

    pub fn send(&self, r: &HwReq) -> Resp {
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

    pub fn call(&self, action: &str, body: Value) -> Resp {
        self.send(&self.prepare(action, &body))
    }

    pub fn ok(&self, action: &str, body: Value) -> Value {
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

    /// Sends a prepared request, expecting 200; returns its JSON.
    pub fn ok_req(&self, r: &HwReq) -> Value {
        let resp = self.send(r);
        assert_eq!(
            resp.status,
            200,
            "{} {}: {}",
            r.method,
            r.path,
            String::from_utf8_lossy(&resp.body)
        );
        resp.json()
    }

    /// Expects a KMS error; returns (status, code, message).
    pub fn err(&self, action: &str, body: Value) -> (u16, String, String) {
        kms_error(&self.call(action, body))
    }

    pub fn new_key(&self, extra: Value) -> String {
        let mut body = json!({ "key_alias": format!("k{}", uuid::Uuid::new_v4().simple()) });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.ok("create-key", body)["key_info"]["key_id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn state(&self, key_id: &str) -> String {
        self.ok("describe-key", json!({ "key_id": key_id }))["key_info"]["key_state"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub fn kms_error(r: &Resp) -> (u16, String, String) {
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
pub fn gateway_error(r: &Resp) -> (u16, String, String) {
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

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub fn unique_project() -> String {
    format!("p{}", uuid::Uuid::new_v4().simple())
}
