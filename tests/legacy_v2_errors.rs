//! The legacy KMS API v2 (`/v2/index.php`): every error code, the CMK limit from the
//! config, and an internal failure that says nothing more than 6000.

mod common;
mod legacy_v2_common;
use common::*;
use legacy_v2_common::*;

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
