//! Signature v1 (HmacSHA1/HmacSHA256 in the parameters) on the API 3.0 endpoint `/`,
//! against the real server, with requests signed here and then replayed or altered.
//! The official Python SDK's v1 requests are in tests/python/test_tencent_v1.py.

mod common;

use common::*;
use serde_json::Value;
use smkms::auth::tc_v1::{self, SignatureMethod};

/// A v1 request: the common parameters, `extra` (already flattened), signed over
/// `host`; GET puts them in the query, POST in a form body.
fn v1_request(
    c: &Client,
    method: &str,
    host: &str,
    action: &str,
    nonce: u64,
    extra: &[(&str, &str)],
) -> Vec<u8> {
    v1_request_at(c, method, host, action, now(), nonce, extra)
}

/// [`v1_request`] with the given Timestamp.
fn v1_request_at(
    c: &Client,
    method: &str,
    host: &str,
    action: &str,
    timestamp: i64,
    nonce: u64,
    extra: &[(&str, &str)],
) -> Vec<u8> {
    let ts = timestamp.to_string();
    let nonce = nonce.to_string();
    let mut params: Vec<(&str, &str)> = vec![
        ("Action", action),
        ("Version", "2019-01-18"),
        ("Region", "ap-guangzhou"),
        ("Timestamp", &ts),
        ("Nonce", &nonce),
        ("SecretId", &c.cred.secret_id),
        ("SignatureMethod", "HmacSHA256"),
    ];
    params.extend_from_slice(extra);
    let src = tc_v1::string_to_sign(method, host, "/", params.iter().copied());
    let sig = tc_v1::sign_base64(SignatureMethod::HmacSha256, &c.cred.secret_key, &src);
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params {
        form.append_pair(k, v);
    }
    form.append_pair("Signature", &sig);
    let encoded = form.finish();
    let addr = c.addr;
    if method == "GET" {
        format!("GET /?{encoded} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .into_bytes()
    } else {
        format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{encoded}",
            encoded.len()
        )
        .into_bytes()
    }
}

fn response(r: &Resp) -> Value {
    assert_eq!(r.status, 200);
    r.json()["Response"].clone()
}

#[test]
fn get_and_post_are_served_and_a_nonce_is_used_once() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let host = c.addr.to_string();
    for (i, method) in ["GET", "POST"].into_iter().enumerate() {
        let nonce = 1000 + i as u64;
        let req = v1_request(
            &c,
            method,
            &host,
            "GenerateRandom",
            nonce,
            &[("NumberOfBytes", "8")],
        );
        let first = response(&raw(c.addr, &req));
        assert!(first.get("Error").is_none(), "{method}: {first}");
        let again = raw(c.addr, &req);
        assert_eq!(
            again.code().as_deref(),
            Some("AuthFailure.InvalidAuthorization")
        );
        assert!(again.message().contains("Nonce"), "{}", again.message());
    }
}

/// The Node.js SDK's Nonce is `Math.round(Math.random() * 65535)`: the same Nonce
/// comes back within a window. A Nonce is refused only with the Timestamp it was first
/// used with (a replay), not in another second.
#[test]
fn a_nonce_is_used_once_per_timestamp() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let host = c.addr.to_string();
    let t = now();
    for method in ["GET", "POST"] {
        let nonce = if method == "GET" { 65535 } else { 0 };
        let earlier = v1_request_at(&c, method, &host, "ListKeys", t - 1, nonce, &[]);
        let later = v1_request_at(&c, method, &host, "ListKeys", t, nonce, &[]);
        for req in [&earlier, &later] {
            let r = response(&raw(c.addr, req));
            assert!(r.get("Error").is_none(), "{method}: {r}");
        }
        for req in [&earlier, &later] {
            let again = raw(c.addr, req);
            assert_eq!(
                again.code().as_deref(),
                Some("AuthFailure.InvalidAuthorization"),
                "{method}"
            );
            assert!(again.message().contains("Nonce"), "{}", again.message());
        }
        // Another request in the same second with the same Nonce reads as a replay too:
        // the pair is what the client promises to use once.
        let other = v1_request_at(
            &c,
            method,
            &host,
            "GenerateRandom",
            t,
            nonce,
            &[("NumberOfBytes", "8")],
        );
        assert_eq!(
            raw(c.addr, &other).code().as_deref(),
            Some("AuthFailure.InvalidAuthorization")
        );
    }
}

#[test]
fn flattened_parameters_reach_the_typed_request() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let host = c.addr.to_string();
    let created = response(&raw(
        c.addr,
        &v1_request(
            &c,
            "POST",
            &host,
            "CreateKey",
            1,
            &[
                ("Alias", "flat"),
                ("Tags.0.TagKey", "team"),
                ("Tags.0.TagValue", "pay"),
            ],
        ),
    ));
    let key_id = created["KeyId"].as_str().unwrap().to_string();
    let described = response(&raw(
        c.addr,
        &v1_request(
            &c,
            "GET",
            &host,
            "DescribeKeys",
            2,
            &[("KeyIds.0", &key_id)],
        ),
    ));
    assert_eq!(described["KeyMetadatas"][0]["Alias"], "flat");
    // The same key through TC3.
    assert_eq!(
        c.ok("DescribeKey", serde_json::json!({"KeyId": key_id}))["KeyMetadata"]["Alias"],
        "flat"
    );
    let unknown = raw(
        c.addr,
        &v1_request(
            &c,
            "GET",
            &host,
            "DescribeKey",
            3,
            &[("KeyId", &key_id), ("Bogus", "1")],
        ),
    );
    assert_eq!(unknown.code().as_deref(), Some("UnknownParameter"));
}

#[test]
fn the_signature_covers_every_parameter_and_the_host() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let host = c.addr.to_string();
    // Signed without the port (as a client whose endpoint has none would): accepted.
    let bare = c.addr.ip().to_string();
    let ok = raw(
        c.addr,
        &v1_request(&c, "GET", &bare, "GetServiceStatus", 10, &[]),
    );
    assert_eq!(ok.code(), None, "{}", ok.message());
    // Another host: refused.
    let other = raw(
        c.addr,
        &v1_request(&c, "GET", "10.0.0.1", "GetServiceStatus", 11, &[]),
    );
    assert_eq!(
        other.code().as_deref(),
        Some("AuthFailure.SignatureFailure")
    );
    // A parameter changed after signing: refused.
    let req = v1_request(
        &c,
        "GET",
        &host,
        "GenerateRandom",
        12,
        &[("NumberOfBytes", "8")],
    );
    let tampered = String::from_utf8(req)
        .unwrap()
        .replace("NumberOfBytes=8", "NumberOfBytes=9");
    let r = raw(c.addr, tampered.as_bytes());
    assert_eq!(r.code().as_deref(), Some("AuthFailure.SignatureFailure"));
    // A token is refused, not ignored.
    let r = raw(
        c.addr,
        &v1_request(&c, "GET", &host, "GetServiceStatus", 13, &[("Token", "t")]),
    );
    assert_eq!(
        r.code().as_deref(),
        Some("AuthFailure.InvalidAuthorization")
    );
    assert!(r.message().contains("Token"), "{}", r.message());
}
