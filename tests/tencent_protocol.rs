//! TC3 authentication, the replay rule and the HTTP envelope, against the real server
//! with requests signed in Rust (and then tampered with).

mod common;
use common::*;
use serde_json::json;

fn code_of(c: &Client, req: &Req) -> Option<String> {
    let r = c.send(req);
    assert_eq!(r.status, 200, "Tencent answers are always HTTP 200");
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.code()
}

#[test]
fn auth_failures_each_get_their_code() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let params = json!({"NumberOfBytes": 16});
    let good = c.prepare("GenerateRandom", &params);
    assert_eq!(code_of(&c, &good), None);

    // Unknown SecretId.
    let stranger = Client::new(
        server.addr,
        &Cred {
            secret_id: "AKIDnobody".into(),
            ..cred.clone()
        },
    );
    assert_eq!(
        code_of(&c, &stranger.prepare("GenerateRandom", &params)).as_deref(),
        Some("AuthFailure.SecretIdNotFound")
    );

    // Wrong SecretKey.
    let wrong = Client::new(
        server.addr,
        &Cred {
            secret_key: "x".repeat(32),
            ..cred.clone()
        },
    );
    assert_eq!(
        code_of(&c, &wrong.prepare("GenerateRandom", &params)).as_deref(),
        Some("AuthFailure.SignatureFailure")
    );

    // Each signed part mutated in turn.
    let mut r = c.prepare("GenerateRandom", &params);
    r.body = br#"{"NumberOfBytes": 17}"#.to_vec();
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.SignatureFailure"),
        "body"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    r.host = "127.0.0.2:1".into();
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.SignatureFailure"),
        "host"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    r.content_type = "application/json; charset=utf-8".into();
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.SignatureFailure"),
        "content-type"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    let sig_at = r.authorization.len() - 1;
    let flipped = if r.authorization.ends_with('0') {
        '1'
    } else {
        '0'
    };
    r.authorization
        .replace_range(sig_at.., &flipped.to_string());
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.SignatureFailure"),
        "signature"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    r.timestamp += 1;
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.SignatureFailure"),
        "timestamp"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    r.authorization = r.authorization.replace("/kms/", "/cvm/");
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.InvalidAuthorization"),
        "service"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    r.authorization = r.authorization.replace(
        "SignedHeaders=content-type;host",
        "SignedHeaders=content-type",
    );
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.InvalidAuthorization"),
        "signed headers"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    r.authorization = r.authorization.replace(
        "SignedHeaders=content-type;host",
        "SignedHeaders=content-type;host;x-tc-action",
    );
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.SignatureFailure"),
        "signed header list"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    let date = smkms::auth::tc3::utc_date(r.timestamp).unwrap();
    r.authorization = r.authorization.replace(&date, "2001-01-01");
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.SignatureFailure"),
        "date"
    );
    let mut r = c.prepare("GenerateRandom", &params);
    r.authorization = "Basic dXNlcjpwYXNz".into();
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.InvalidAuthorization"),
        "scheme"
    );
}

#[test]
fn the_time_window_is_300_seconds() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let p = json!({"NumberOfBytes": 1});
    for (offset, want) in [
        (-301, Some("AuthFailure.SignatureExpire")),
        (301, Some("AuthFailure.SignatureExpire")),
        (-290, None),
        (290, None),
    ] {
        let r = c.prepare_at("GenerateRandom", &p, now() + offset);
        assert_eq!(code_of(&c, &r).as_deref(), want, "offset {offset}");
    }
}

#[test]
fn a_signature_cannot_be_replayed_with_another_action() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let k = c.ok("CreateKey", json!({"Alias": "victim"}));
    let key_id = k["KeyId"].as_str().unwrap();
    let p = json!({"KeyId": key_id});
    let describe = c.prepare("DescribeKey", &p);
    assert_eq!(c.send_session(&describe).code(), None);
    // An identical resend is allowed, from anywhere.
    assert_eq!(code_of(&c, &describe), None);
    // The same signed body, relabelled as DisableKey, is refused...
    let mut swapped = describe.clone();
    swapped.action = "DisableKey".into();
    assert_eq!(
        code_of(&c, &swapped).as_deref(),
        Some("AuthFailure.InvalidAuthorization")
    );
    // ...and so is the same request pointed at another region or version.
    let mut moved = describe.clone();
    moved.region = "ap-beijing".into();
    assert_eq!(
        code_of(&c, &moved).as_deref(),
        Some("AuthFailure.InvalidAuthorization")
    );
    let state = c.ok("DescribeKey", p.clone())["KeyMetadata"]["KeyState"].clone();
    assert_eq!(state, "Enabled", "the replayed DisableKey had no effect");
}

/// An SDK that signs only content-type;host gives two different actions with the same
/// body in the same second the same signature. On the client's own keep-alive
/// connection (as the SDKs send) both are served; the same pair on separate
/// connections is indistinguishable from a relabelled replay and the second is refused.
#[test]
fn same_body_same_second_different_action() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let ts = now();
    let first = c.prepare_at("GetServiceStatus", &json!({}), ts);
    let second = c.prepare_at("ListAlgorithms", &json!({}), ts);
    assert_eq!(first.authorization, second.authorization);
    assert_eq!(c.send_session(&first).code(), None);
    assert_eq!(
        c.send_session(&second).code(),
        None,
        "same connection: served"
    );

    let ts = ts - 1;
    let first = c.prepare_at("GetServiceStatus", &json!({}), ts);
    let second = c.prepare_at("ListAlgorithms", &json!({}), ts);
    assert_eq!(code_of(&c, &first), None);
    assert_eq!(
        code_of(&c, &second).as_deref(),
        Some("AuthFailure.InvalidAuthorization")
    );
}

#[test]
fn unsigned_payload_is_refused_by_default() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let mut r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 4}));
    r.extra_headers
        .push(("X-TC-Content-SHA256".into(), "UNSIGNED-PAYLOAD".into()));
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.InvalidAuthorization")
    );
    let r = c.send(&r);
    assert!(r.message().contains("UNSIGNED-PAYLOAD"), "{}", r.message());
}

#[test]
fn a_deleted_credential_is_refused_at_once() {
    let (dir, server, cred) = fresh();
    let second = create_credential(dir.path(), Some(cred.uin));
    let c2 = server.client(&second);
    // Created while the server runs, usable at once, and in the same account.
    let k = c2.ok("CreateKey", json!({"Alias": "shared"}));
    let c1 = server.client(&cred);
    c1.ok("DescribeKey", json!({"KeyId": k["KeyId"]}));
    let out = std::process::Command::new(bin())
        .args(["credentials", "delete", "--data"])
        .arg(dir.path())
        .arg(&second.secret_id)
        .output()
        .unwrap();
    assert!(out.status.success());
    let (code, _) = c2.err("GenerateRandom", json!({"NumberOfBytes": 4}));
    assert_eq!(code, "AuthFailure.SecretIdNotFound");
    c1.ok("GenerateRandom", json!({"NumberOfBytes": 4}));
}

#[test]
fn envelope_version_action_and_request_ids() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let mut r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 5}));
    r.version = "2017-03-12".into();
    assert_eq!(code_of(&c, &r).as_deref(), Some("NoSuchVersion"));
    // Distinct timestamps: the same `{}` body at the same second would carry the same
    // signature, which the replay rule refuses for a second action (see below).
    let r = c.prepare_at("NoSuchThing", &json!({}), now() - 1);
    assert_eq!(code_of(&c, &r).as_deref(), Some("InvalidAction"));
    let r = c.prepare_at("GetPublicKey", &json!({}), now() - 2);
    assert_eq!(code_of(&c, &r).as_deref(), Some("UnsupportedOperation"));
    let mut r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 6}));
    r.region = "AP_GUANGZHOU!".into();
    assert_eq!(code_of(&c, &r).as_deref(), Some("UnsupportedRegion"));

    let a = c
        .send(&c.prepare("GenerateRandom", &json!({"NumberOfBytes": 4})))
        .json();
    let b = c
        .send(&c.prepare_at("NoSuchThing", &json!({}), now() - 3))
        .json();
    let ids: Vec<&str> = [&a, &b]
        .iter()
        .map(|v| v["Response"]["RequestId"].as_str().unwrap())
        .collect();
    for id in &ids {
        uuid::Uuid::parse_str(id).expect("RequestId is a UUID");
    }
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn body_limits_and_content_types() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    // Over the 1 MiB cap by declaration: refused without the body being read.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr,
        2 << 20
    );
    let r = raw(server.addr, head.as_bytes());
    assert_eq!(r.code().as_deref(), Some("RequestSizeLimitExceeded"));
    // Over the cap in chunks.
    let mut chunked = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.addr
    )
    .into_bytes();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..17 {
        chunked.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend(&chunk);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    let r = raw(server.addr, &chunked);
    assert_eq!(r.code().as_deref(), Some("RequestSizeLimitExceeded"));

    let mut r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 4}));
    r.content_type = "text/plain".into();
    assert_eq!(code_of(&c, &r).as_deref(), Some("InvalidParameter"));
    let mut r = c.prepare("GenerateRandom", &json!({}));
    r.method = "GET".into();
    r.body = b"{}".to_vec();
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("InvalidParameter"),
        "GET with a body"
    );
    let mut r = c.prepare("GenerateRandom", &json!({}));
    r.method = "DELETE".into();
    assert_eq!(code_of(&c, &r).as_deref(), Some("InvalidParameter"));
    let r = raw(
        server.addr,
        format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr
        )
        .as_bytes(),
    );
    assert_eq!(
        r.code().as_deref(),
        Some("AuthFailure.InvalidAuthorization"),
        "unsigned"
    );
}

#[test]
fn parameters_are_checked_by_name_and_type() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let (code, msg) = c.err("GenerateRandom", json!({"NumberOfBytes": 4, "Bogus": 1}));
    assert_eq!(code, "UnknownParameter");
    assert!(msg.contains("Bogus"), "{msg}");
    let (code, msg) = c.err("DescribeKey", json!({}));
    assert_eq!(code, "MissingParameter");
    assert!(msg.contains("KeyId"), "{msg}");
    let (code, msg) = c.err("ListKeys", json!({"Limit": "ten"}));
    assert_eq!(code, "InvalidParameter");
    assert!(msg.contains("Limit"), "{msg}");
    let (code, _) = c.err(
        "ListKeys",
        json!({"Limit": 99999999999999999999u128 as f64}),
    );
    assert_eq!(code, "InvalidParameter");
    // Malformed and duplicate-key JSON, signed properly so only the body is at fault.
    for body in [
        &b"{\"NumberOfBytes\": 4, \"NumberOfBytes\": 5}"[..],
        b"{",
        b"[1,2]",
        b"\xff\xfe",
    ] {
        let mut r = c.prepare("GenerateRandom", &json!({}));
        r.body = body.to_vec();
        r.authorization = smkms::auth::tc3::sign_post(
            &cred.secret_id,
            &cred.secret_key,
            &r.host,
            "application/json",
            r.timestamp,
            body,
        );
        assert_eq!(
            code_of(&c, &r).as_deref(),
            Some("InvalidParameter"),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

/// Signs `req` over content-type, host, x-tc-action, x-tc-region and x-tc-version, as a
/// client that wants no part of the request left unsigned would.
fn sign_everything(c: &Client, req: &mut Req) {
    use smkms::auth::tc3;
    let date = tc3::utc_date(req.timestamp).unwrap();
    req.authorization = tc3::authorization(
        &c.cred.secret_id,
        &c.cred.secret_key,
        req.timestamp,
        &date,
        &[
            ("content-type", &req.content_type),
            ("host", &req.host),
            ("x-tc-action", &req.action),
            ("x-tc-region", &req.region),
            ("x-tc-version", &req.version),
        ],
        &tc3::sha256_hex(&req.body),
    );
}

/// The replay rule's memory is bounded by auth.max_remembered_signatures. Full of live
/// signatures, the server refuses new ones with RequestLimitExceeded instead of
/// forgetting any (which would let a captured request be relabelled), while identical
/// resends and requests that sign the action, region and version themselves still pass.
#[test]
fn the_replay_memory_is_bounded_and_fails_closed() {
    let (_dir, server, cred) = fresh_with_config("[auth]\nmax_remembered_signatures = 1024\n");
    let c = server.client(&cred);

    // A fully signed request needs no remembering, even before the memory fills.
    let mut signed = c.prepare("ListAlgorithms", &json!({}));
    sign_everything(&c, &mut signed);
    assert_eq!(c.send_session(&signed).code(), None);

    let first = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 1}));
    assert_eq!(c.send_session(&first).code(), None);
    for n in 2..=1024 {
        let r = c.send_session(&c.prepare("GenerateRandom", &json!({"NumberOfBytes": n})));
        assert_eq!(r.code(), None, "signature {n} of 1024 is remembered");
    }
    let r = c.send_session(&c.prepare("ListAlgorithms", &json!({})));
    assert_eq!(r.code().as_deref(), Some("RequestLimitExceeded"));
    assert!(r.message().contains("retry"), "{}", r.message());

    assert_eq!(
        c.send_session(&first).code(),
        None,
        "an identical resend of a remembered signature passes"
    );
    let mut relabelled = first.clone();
    relabelled.action = "ListAlgorithms".into();
    assert_eq!(
        code_of(&c, &relabelled).as_deref(),
        Some("AuthFailure.InvalidAuthorization"),
        "and a relabelled one on another connection is still refused"
    );
    let mut fresh_signed = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 7}));
    fresh_signed.body = br#"{"NumberOfBytes":8}"#.to_vec();
    sign_everything(&c, &mut fresh_signed);
    assert_eq!(
        c.send_session(&fresh_signed).code(),
        None,
        "a fully signed request passes while the memory is full"
    );
}

/// Every answer carries its RequestId in an X-Request-Id header too, success or error.
#[test]
fn the_request_id_is_also_a_header() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    for params in [json!({"NumberOfBytes": 8}), json!({"NumberOfBytes": 0})] {
        let r = c.send_session(&c.prepare("GenerateRandom", &params));
        let body = r.json()["Response"]["RequestId"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(r.header("x-request-id"), Some(body.as_str()), "{params}");
    }
}
