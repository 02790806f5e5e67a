//! TC3 authentication and the HTTP envelope, against the real server
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
        Some("AuthFailure.SignatureFailure"),
        "service: any name is accepted, but it is part of the signing key"
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

/// As on Tencent's endpoint, a signature binds what the client signed and nothing
/// else, on any connection: an identical resend is served, and so is a copy under
/// another X-TC-Action when the client did not sign X-TC-Action (the official SDKs sign
/// only content-type;host). A client that signs X-TC-Action gets a relabelled copy
/// refused by the signature itself. (TLS protects requests from capture.)
#[test]
fn a_signature_binds_what_the_client_signed() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let k = c.ok("CreateKey", json!({"Alias": "victim"}));
    let key_id = k["KeyId"].as_str().unwrap();
    let p = json!({"KeyId": key_id});
    let describe = c.prepare("DescribeKey", &p);
    assert_eq!(c.send_session(&describe).code(), None);
    assert_eq!(
        code_of(&c, &describe),
        None,
        "an identical resend, elsewhere"
    );
    let mut relabelled = describe.clone();
    relabelled.action = "GetKeyRotationStatus".into();
    assert_eq!(
        code_of(&c, &relabelled),
        None,
        "X-TC-Action was not signed, so it is not bound"
    );

    let mut signed = c.prepare("DescribeKey", &p);
    sign_everything(&c, &mut signed);
    assert_eq!(code_of(&c, &signed), None);
    for (what, change) in [
        (
            "action",
            &(|r: &mut Req| r.action = "DisableKey".into()) as &dyn Fn(&mut Req),
        ),
        ("region", &|r: &mut Req| r.region = "ap-beijing".into()),
        ("version", &|r: &mut Req| r.version = "2017-03-12".into()),
    ] {
        let mut copy = signed.clone();
        change(&mut copy);
        assert_eq!(
            code_of(&c, &copy).as_deref(),
            Some("AuthFailure.SignatureFailure"),
            "a signed {what} cannot be changed"
        );
    }
    let state = c.ok("DescribeKey", p.clone())["KeyMetadata"]["KeyState"].clone();
    assert_eq!(state, "Enabled", "the relabelled DisableKey had no effect");
}

/// tccli and deploy scripts: one client (one process, one connection) per command or
/// region, the same body within one second, so the same signature under different
/// actions and regions on separate connections. All are served.
#[test]
fn same_body_same_second_from_separate_connections() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let ts = now();
    let first = c.prepare_at("GetServiceStatus", &json!({}), ts);
    let second = c.prepare_at("ListAlgorithms", &json!({}), ts);
    assert_eq!(first.authorization, second.authorization);
    assert_eq!(code_of(&c, &first), None);
    assert_eq!(code_of(&c, &second), None);
    let alias = json!({"Alias": "everywhere", "Description": "same"});
    let mut ids = Vec::new();
    for region in ["ap-guangzhou", "ap-beijing", "ap-shanghai", "ap-chengdu"] {
        let r = c.with_region(region).prepare_at("CreateKey", &alias, ts);
        let resp = c.send(&r);
        assert_eq!(resp.code(), None, "{region}: {}", resp.message());
        ids.push(
            resp.json()["Response"]["KeyId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 4, "one key per region");
}

/// An operator who wants the action bound requires it: requests whose SignedHeaders
/// leave it out are refused with a message saying what to sign.
#[test]
fn require_signed_headers_refuses_what_leaves_them_out() {
    let (_dir, server, cred) =
        fresh_with_config("[auth]\nrequire_signed_headers = [\"x-tc-action\"]\n");
    let c = server.client(&cred);
    let sdk_style = c.prepare("ListAlgorithms", &json!({}));
    let r = c.send(&sdk_style);
    assert_eq!(
        r.code().as_deref(),
        Some("AuthFailure.InvalidAuthorization")
    );
    assert!(r.message().contains("x-tc-action"), "{}", r.message());
    let mut signed = c.prepare("ListAlgorithms", &json!({}));
    sign_everything(&c, &mut signed);
    assert_eq!(code_of(&c, &signed), None);
}

/// The Node.js SDK pointed at `127.0.0.1:PORT` takes the credential scope's service
/// from the endpoint's first label ("127") and signs `host` without the port it then
/// sends. Both are accepted: the service is part of the key derivation, and the port is
/// tried both ways. Anything else about the host still has to match.
#[test]
fn node_sdk_signatures_with_another_service_and_a_portless_host() {
    use smkms::auth::tc3;
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let sign = |req: &mut Req, service: &str, signed_host: &str| {
        let date = tc3::utc_date(req.timestamp).unwrap();
        let headers = [
            ("content-type", req.content_type.clone()),
            ("host", signed_host.to_string()),
        ];
        let lookup = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        let canon = tc3::canonical_request(
            &tc3::SignedParts {
                method: "POST",
                query: "",
                header: &lookup,
                payload_hash: &tc3::sha256_hex(&req.body),
            },
            &["content-type".to_string(), "host".to_string()],
        )
        .unwrap();
        let sig = tc3::signature(&c.cred.secret_key, req.timestamp, &date, service, &canon);
        req.authorization = format!(
            "TC3-HMAC-SHA256 Credential={}/{date}/{service}/tc3_request, SignedHeaders=content-type;host, Signature={}",
            c.cred.secret_id,
            hex::encode(sig)
        );
    };
    let port_less = c.addr.ip().to_string();
    let with_port = c.addr.to_string();
    for (service, host) in [
        ("127", &port_less),
        ("127", &with_port),
        ("kms", &port_less),
    ] {
        let mut r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 4}));
        sign(&mut r, service, host);
        assert_eq!(
            code_of(&c, &r),
            None,
            "service {service}, signed host {host}"
        );
    }
    let mut r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 4}));
    sign(&mut r, "127", "127.0.0.2");
    assert_eq!(
        code_of(&c, &r).as_deref(),
        Some("AuthFailure.SignatureFailure")
    );
}

/// Temporary credentials do not exist here: a token is refused rather than ignored, so
/// a client never believes a request was bound to a token that nobody checked.
#[test]
fn a_session_token_is_refused() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let mut r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 4}));
    r.extra_headers.push(("X-TC-Token".into(), "token".into()));
    let resp = c.send(&r);
    assert_eq!(
        resp.code().as_deref(),
        Some("AuthFailure.InvalidAuthorization")
    );
    assert!(resp.message().contains("X-TC-Token"), "{}", resp.message());
}

/// Timestamps at the ends of i64 are outside the window, not an overflow.
#[test]
fn extreme_timestamps_are_expired() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    for ts in [i64::MIN, i64::MIN + 1, i64::MAX, -1, 0] {
        let mut r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 4}));
        r.timestamp = ts;
        assert_eq!(
            code_of(&c, &r).as_deref(),
            Some("AuthFailure.SignatureExpire"),
            "X-TC-Timestamp {ts}"
        );
    }
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
    let r = c.prepare_at("NoSuchThing", &json!({}), now() - 1);
    assert_eq!(code_of(&c, &r).as_deref(), Some("InvalidAction"));
    for action in [
        "CreateWhiteBoxKey",
        "PostQuantumCryptoSign",
        "BindCloudResource",
    ] {
        let r = c.prepare(action, &json!({}));
        assert_eq!(
            code_of(&c, &r).as_deref(),
            Some("UnsupportedOperation"),
            "{action} is a KMS action, not an unknown one"
        );
    }
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
