//! The Huawei KMS v1.0 dialect's protocol rules: routing (methods, URLs, projects),
//! SDK-HMAC signatures, the body cap, and scopes (projects and accounts).

mod common;
mod huawei_common;
use common::*;
use huawei_common::*;
use serde_json::json;
use smkms::auth::huawei::{format_sdk_date, Algorithm};

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
