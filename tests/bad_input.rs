//! The bad-input catalogue: hostile or broken requests, each with the exact code it
//! must get from the Tencent API 3.0 dialect. Every request is properly signed, so the
//! input under test is the only thing wrong with it. After each group the server must
//! still answer a normal request: nothing here may crash it or produce a 5xx.
//!
//! Read it as a table: `case(name, action, body, expected code)`.

mod common;
use base64::Engine;
use common::*;
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

enum Body {
    Json(Value),
    Raw(Vec<u8>),
}

struct Case {
    name: String,
    action: &'static str,
    body: Body,
    code: &'static str,
}

fn case(name: impl Into<String>, action: &'static str, body: Value, code: &'static str) -> Case {
    Case {
        name: name.into(),
        action,
        body: Body::Json(body),
        code,
    }
}

fn raw(name: impl Into<String>, action: &'static str, body: &[u8], code: &'static str) -> Case {
    Case {
        name: name.into(),
        action,
        body: Body::Raw(body.to_vec()),
        code,
    }
}

fn run(c: &Client, cases: Vec<Case>) {
    let mut failures = Vec::new();
    for (i, k) in cases.iter().enumerate() {
        let body = match &k.body {
            Body::Json(v) => serde_json::to_vec(v).unwrap(),
            Body::Raw(b) => b.clone(),
        };
        // Distinct timestamps keep identical bodies from sharing a signature.
        let mut req = c.prepare_at(k.action, &json!({}), now() - (i as i64 % 200));
        req.authorization = smkms::auth::tc3::sign_post(
            &c.cred.secret_id,
            &c.cred.secret_key,
            &req.host,
            &req.content_type,
            req.timestamp,
            &body,
        );
        req.body = body;
        let r = c.send(&req);
        let got = r.code();
        if r.status != 200 || got.as_deref() != Some(k.code) {
            failures.push(format!(
                "{}: expected {}, got HTTP {} {:?} {}",
                k.name,
                k.code,
                r.status,
                got,
                r.message()
            ));
        } else {
            assert!(
                !r.message().is_empty(),
                "{}: an error must say what is wrong",
                k.name
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    c.ok("GenerateRandom", json!({"NumberOfBytes": 8}));
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/src/crypto/deliver/testdata/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = B64.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn pem_der(text: &str) -> Vec<u8> {
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(b64).unwrap()
}

/// The SM2 public key with one byte of its point's y coordinate changed: off the curve.
fn off_curve_sm2() -> String {
    let mut der = pem_der(&fixture("sm2.pub"));
    let last = der.len() - 1;
    der[last] ^= 0x01;
    pem("PUBLIC KEY", &der)
}

/// A PKCS#1 RSA public key with the modulus of the 2048-bit fixture and exponent 1.
fn rsa_exponent_one() -> String {
    let der = pem_der(&fixture("rsa2048.pkcs1pub"));
    // SEQUENCE (30 82 hi lo) { INTEGER n, INTEGER e }: keep n, replace e with 02 01 01.
    assert_eq!(&der[..2], &[0x30, 0x82]);
    let n_start = 4;
    assert_eq!(der[n_start], 0x02);
    let n_len = match der[n_start + 1] {
        0x82 => ((der[n_start + 2] as usize) << 8 | der[n_start + 3] as usize) + 4,
        0x81 => der[n_start + 2] as usize + 3,
        l => l as usize + 2,
    };
    let mut content = der[n_start..n_start + n_len].to_vec();
    content.extend_from_slice(&[0x02, 0x01, 0x01]);
    let mut out = vec![0x30, 0x82, (content.len() >> 8) as u8, content.len() as u8];
    out.extend(content);
    pem("RSA PUBLIC KEY", &out)
}

#[test]
fn malformed_bodies_and_wrong_types() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "target"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let deep = format!("{{\"KeyId\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
    run(
        &c,
        vec![
            raw(
                "truncated JSON",
                "DescribeKey",
                b"{\"KeyId\": ",
                "InvalidParameter",
            ),
            raw("not JSON", "DescribeKey", b"KeyId=abc", "InvalidParameter"),
            raw(
                "a JSON array",
                "DescribeKey",
                b"[\"KeyId\"]",
                "InvalidParameter",
            ),
            raw(
                "a JSON string",
                "DescribeKey",
                b"\"KeyId\"",
                "InvalidParameter",
            ),
            raw(
                "trailing garbage",
                "GenerateRandom",
                b"{\"NumberOfBytes\": 4} x",
                "InvalidParameter",
            ),
            raw(
                "5000 levels of nesting",
                "DescribeKey",
                deep.as_bytes(),
                "InvalidParameter",
            ),
            raw(
                "duplicate keys",
                "GenerateRandom",
                b"{\"NumberOfBytes\": 4, \"NumberOfBytes\": 5}",
                "InvalidParameter",
            ),
            raw(
                "duplicate nested keys",
                "CreateKey",
                b"{\"Alias\": \"dup\", \"Tags\": [{\"TagKey\": \"a\", \"TagKey\": \"b\"}]}",
                "InvalidParameter",
            ),
            raw(
                "invalid UTF-8",
                "DescribeKey",
                b"{\"KeyId\": \"\xff\xfe\"}",
                "InvalidParameter",
            ),
            raw(
                "a lone surrogate escape",
                "CreateKey",
                br#"{"Alias": "\ud800"}"#,
                "InvalidParameter",
            ),
            case(
                "KeyId as a number",
                "DescribeKey",
                json!({"KeyId": 12345}),
                "InvalidParameter",
            ),
            case(
                "KeyId as null is missing",
                "DescribeKey",
                json!({"KeyId": null}),
                "MissingParameter",
            ),
            case(
                "Limit as a string",
                "ListKeys",
                json!({"Limit": "10"}),
                "InvalidParameter",
            ),
            case(
                "NumberOfBytes as a float",
                "GenerateRandom",
                json!({"NumberOfBytes": 1.5}),
                "InvalidParameter",
            ),
            case(
                "NumberOfBytes as a bool",
                "GenerateRandom",
                json!({"NumberOfBytes": true}),
                "InvalidParameter",
            ),
            case(
                "KeyIds as a string",
                "DescribeKeys",
                json!({"KeyIds": key}),
                "InvalidParameter",
            ),
            case(
                "KeyIds with a number",
                "DescribeKeys",
                json!({"KeyIds": [key, 7]}),
                "InvalidParameter",
            ),
            case(
                "Tags as an object",
                "CreateKey",
                json!({"Alias": "t1", "Tags": {"TagKey": "a"}}),
                "InvalidParameter",
            ),
            case(
                "a Tag without TagKey",
                "CreateKey",
                json!({"Alias": "t2", "Tags": [{"TagValue": "a"}]}),
                "MissingParameter",
            ),
            case(
                "an unknown field in a Tag",
                "CreateKey",
                json!({"Alias": "t3", "Tags": [{"TagKey": "a", "Colour": "red"}]}),
                "UnknownParameter",
            ),
            raw(
                "a number beyond u64",
                "GenerateRandom",
                b"{\"NumberOfBytes\": 18446744073709551616}",
                "InvalidParameter",
            ),
            raw(
                "a number beyond f64",
                "GenerateRandom",
                b"{\"NumberOfBytes\": 1e400}",
                "InvalidParameter",
            ),
            case(
                "a negative Offset",
                "ListKeys",
                json!({"Offset": -1}),
                "InvalidParameter",
            ),
            case(
                "Limit 0",
                "ListKeys",
                json!({"Limit": 0}),
                "InvalidParameter",
            ),
            case(
                "Limit 201",
                "ListKeys",
                json!({"Limit": 201}),
                "InvalidParameter",
            ),
            case(
                "i64::MAX days",
                "ScheduleKeyDeletion",
                json!({"KeyId": key, "PendingWindowInDays": i64::MAX}),
                "InvalidParameter.InvalidPendingWindowInDays",
            ),
            case(
                "an unknown field",
                "DescribeKey",
                json!({"KeyId": key, "Verbose": true}),
                "UnknownParameter",
            ),
            case(
                "a misspelt field",
                "DescribeKey",
                json!({"Keyid": key}),
                "UnknownParameter",
            ),
            case(
                "a missing field",
                "DescribeKey",
                json!({}),
                "MissingParameter",
            ),
            case(
                "MemberAccount",
                "DescribeKey",
                json!({"KeyId": key, "MemberAccount": {"MemberUin": 1}}),
                "UnsupportedOperation.NotRoleOperation",
            ),
        ],
    );
}

#[test]
fn oversize_and_out_of_range_fields() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "target"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let ctx_1025 = format!("{{\"k\":\"{}\"}}", "x".repeat(1017));
    assert_eq!(ctx_1025.chars().count(), 1025);
    run(
        &c,
        vec![
            case(
                "Alias of 61 characters",
                "CreateKey",
                json!({"Alias": "a".repeat(61)}),
                "InvalidParameterValue.InvalidAlias",
            ),
            case(
                "an empty Alias",
                "CreateKey",
                json!({"Alias": ""}),
                "InvalidParameterValue.InvalidAlias",
            ),
            case(
                "Alias with a space",
                "CreateKey",
                json!({"Alias": "a b"}),
                "InvalidParameterValue.InvalidAlias",
            ),
            case(
                "Alias with non-ASCII",
                "CreateKey",
                json!({"Alias": "密钥"}),
                "InvalidParameterValue.InvalidAlias",
            ),
            case(
                "Alias starting with -",
                "CreateKey",
                json!({"Alias": "-a"}),
                "InvalidParameterValue.InvalidAlias",
            ),
            case(
                "the reserved kms- prefix",
                "CreateKey",
                json!({"Alias": "kms-cos"}),
                "InvalidParameterValue.InvalidAlias",
            ),
            case(
                "Description of 1025 bytes",
                "CreateKey",
                json!({"Alias": "d", "Description": "x".repeat(1025)}),
                "InvalidParameterValue",
            ),
            case(
                "Description of 342 three-byte characters (1026 bytes)",
                "UpdateKeyDescription",
                json!({"KeyId": key, "Description": "密".repeat(342)}),
                "InvalidParameterValue",
            ),
            case(
                "a Description holding NUL (no store may keep it)",
                "UpdateKeyDescription",
                json!({"KeyId": key, "Description": "a\u{0}b"}),
                "InvalidParameterValue",
            ),
            case(
                "a tag value holding NUL",
                "CreateKey",
                json!({"Alias": "nul-tag", "Tags": [{"TagKey": "k", "TagValue": "v\u{0}"}]}),
                "InvalidParameterValue",
            ),
            case(
                "Plaintext of 4097 bytes",
                "Encrypt",
                json!({"KeyId": key, "Plaintext": B64.encode(vec![1u8; 4097])}),
                "InvalidParameterValue.InvalidPlaintext",
            ),
            case(
                "an empty Plaintext",
                "Encrypt",
                json!({"KeyId": key, "Plaintext": ""}),
                "InvalidParameterValue.InvalidPlaintext",
            ),
            case(
                "EncryptionContext of 1025 characters",
                "Encrypt",
                json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": ctx_1025}),
                "InvalidParameter",
            ),
            case(
                "EncryptionContext not JSON",
                "Encrypt",
                json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": "a=b"}),
                "InvalidParameter",
            ),
            case(
                "EncryptionContext an array",
                "Encrypt",
                json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": "[\"a\"]"}),
                "InvalidParameter",
            ),
            case(
                "EncryptionContext with a number",
                "Encrypt",
                json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": "{\"a\":1}"}),
                "InvalidParameter",
            ),
            case(
                "EncryptionContext with a duplicate key",
                "Encrypt",
                json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": "{\"a\":\"1\",\"a\":\"2\"}"}),
                "InvalidParameter",
            ),
            case(
                "NumberOfBytes 0",
                "GenerateDataKey",
                json!({"KeyId": key, "NumberOfBytes": 0}),
                "InvalidParameter",
            ),
            case(
                "NumberOfBytes 1025",
                "GenerateDataKey",
                json!({"KeyId": key, "NumberOfBytes": 1025}),
                "InvalidParameter",
            ),
            case(
                "GenerateRandom 0",
                "GenerateRandom",
                json!({"NumberOfBytes": 0}),
                "InvalidParameter",
            ),
            case(
                "GenerateRandom 1025",
                "GenerateRandom",
                json!({"NumberOfBytes": 1025}),
                "InvalidParameter",
            ),
            case(
                "101 KeyIds",
                "DescribeKeys",
                json!({"KeyIds": (0..101).map(|_| uuid::Uuid::new_v4().to_string()).collect::<Vec<_>>()}),
                "InvalidParameter",
            ),
            case(
                "no KeyIds",
                "DescribeKeys",
                json!({"KeyIds": []}),
                "InvalidParameter",
            ),
            case(
                "a KeyId that is not a UUID",
                "DescribeKey",
                json!({"KeyId": "../../etc/passwd"}),
                "InvalidParameterValue.InvalidKeyId",
            ),
            case(
                "a KeyId with SQL",
                "DescribeKey",
                json!({"KeyId": "' OR 1=1 --"}),
                "InvalidParameterValue.InvalidKeyId",
            ),
            case(
                "a KeyId without hyphens",
                "DescribeKey",
                json!({"KeyId": key.replace('-', "")}),
                "InvalidParameterValue.InvalidKeyId",
            ),
            case(
                "a DataKeyId that is not a UUID",
                "DescribeDataKey",
                json!({"DataKeyId": "x"}),
                "InvalidParameterValue.InvalidDataKeyId",
            ),
            case(
                "PendingWindowInDays 6",
                "ScheduleKeyDeletion",
                json!({"KeyId": key, "PendingWindowInDays": 6}),
                "InvalidParameter.InvalidPendingWindowInDays",
            ),
            case(
                "PendingWindowInDays 31",
                "ScheduleKeyDeletion",
                json!({"KeyId": key, "PendingWindowInDays": 31}),
                "InvalidParameter.InvalidPendingWindowInDays",
            ),
            case(
                "RotateDays 6",
                "EnableKeyRotation",
                json!({"KeyId": key, "RotateDays": 6}),
                "InvalidParameterValue",
            ),
            case(
                "Type 3",
                "CreateKey",
                json!({"Alias": "ty", "Type": 3}),
                "InvalidParameterValue.InvalidType",
            ),
            case(
                "an unknown KeyUsage",
                "CreateKey",
                json!({"Alias": "ku", "KeyUsage": "SIGN"}),
                "InvalidParameterValue.InvalidKeyUsage",
            ),
            case(
                "an HsmClusterId",
                "CreateKey",
                json!({"Alias": "hsm", "HsmClusterId": "cls-1"}),
                "InvalidParameterValue.InvalidHsmClusterId",
            ),
        ],
    );
}

#[test]
fn bad_base64_and_bad_blobs() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "target"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    // A blob whose base64 has '+' or '/', so that its URL-safe form really differs.
    let blob = (0..50)
        .map(|_| {
            B64.decode(
                c.ok("Encrypt", json!({"KeyId": key, "Plaintext": "aGVsbG8="}))["CiphertextBlob"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap()
        })
        .find(|b| B64.encode(b).contains(['+', '/']))
        .expect("some blob's base64 has + or /");
    let mut cases = vec![
        case(
            "Plaintext without padding",
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "aGk"}),
            "InvalidParameterValue.InvalidPlaintext",
        ),
        case(
            "Plaintext in the URL-safe alphabet",
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "-_-_"}),
            "InvalidParameterValue.InvalidPlaintext",
        ),
        case(
            "Plaintext with a space",
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "aG k="}),
            "InvalidParameterValue.InvalidPlaintext",
        ),
        case(
            "Plaintext with a newline",
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "aGk=\n"}),
            "InvalidParameterValue.InvalidPlaintext",
        ),
        case(
            "Plaintext with non-zero trailing bits",
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "aGl="}),
            "InvalidParameterValue.InvalidPlaintext",
        ),
        case(
            "CiphertextBlob without padding",
            "Decrypt",
            json!({"CiphertextBlob": B64.encode(&blob).trim_end_matches('=')}),
            "InvalidParameterValue.InvalidCiphertext",
        ),
        case(
            "CiphertextBlob in the URL-safe alphabet",
            "Decrypt",
            json!({"CiphertextBlob": base64::engine::general_purpose::URL_SAFE.encode(&blob)}),
            "InvalidParameterValue.InvalidCiphertext",
        ),
        case(
            "CiphertextBlob with whitespace",
            "Decrypt",
            json!({"CiphertextBlob": format!(" {}", B64.encode(&blob))}),
            "InvalidParameterValue.InvalidCiphertext",
        ),
        case(
            "an empty CiphertextBlob",
            "Decrypt",
            json!({"CiphertextBlob": ""}),
            "InvalidParameterValue.InvalidCiphertext",
        ),
        case(
            "an ImportKeyMaterial in bad base64",
            "ImportDataKey",
            json!({"DataKeyName": "i", "ImportType": 2, "KeyId": key, "ImportKeyMaterial": "%%"}),
            "InvalidParameterValue.InvalidImportKeyMaterial",
        ),
    ];
    for n in 0..blob.len() {
        cases.push(case(
            format!("the blob truncated to {n} bytes"),
            "Decrypt",
            json!({"CiphertextBlob": B64.encode(&blob[..n])}),
            "InvalidParameterValue.InvalidCiphertext",
        ));
    }
    let mut trailing = blob.clone();
    trailing.push(0);
    cases.push(case(
        "the blob with a trailing byte",
        "Decrypt",
        json!({"CiphertextBlob": B64.encode(&trailing)}),
        "InvalidParameterValue.InvalidCiphertext",
    ));
    for (name, at, value) in [
        ("version 0", 0, 0u8),
        ("version 2", 0, 2),
        ("version 255", 0, 255),
        ("cipher 0", 1, 0),
        ("cipher 3", 1, 3),
        ("the other cipher", 1, 2),
    ] {
        let mut b = blob.clone();
        b[at] = value;
        cases.push(case(
            format!("the blob with {name}"),
            "Decrypt",
            json!({"CiphertextBlob": B64.encode(&b)}),
            "InvalidParameterValue.InvalidCiphertext",
        ));
    }
    let mut newer = blob.clone();
    newer[21] = 9;
    cases.push(case(
        "the blob naming a key version that does not exist",
        "Decrypt",
        json!({"CiphertextBlob": B64.encode(&newer)}),
        "InvalidParameterValue.InvalidCiphertext",
    ));
    let mut foreign = blob.clone();
    foreign[2..18].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    cases.push(case(
        "the blob naming another key",
        "Decrypt",
        json!({"CiphertextBlob": B64.encode(&foreign)}),
        "ResourceUnavailable.CmkNotFound",
    ));
    run(&c, cases);
}

#[test]
fn bad_public_keys_and_algorithms() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "target"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let gdk = |pem: String, alg: &str| json!({"KeyId": key, "NumberOfBytes": 32, "EncryptionPublicKey": pem, "EncryptionAlgorithm": alg});
    let sm2_spki = pem_der(&fixture("sm2.pub"));
    run(
        &c,
        vec![
            case(
                "garbage",
                "GenerateDataKey",
                gdk("hello".into(), "SM2"),
                "InvalidParameterValue",
            ),
            case(
                "PEM with garbage inside",
                "GenerateDataKey",
                gdk(
                    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into(),
                    "SM2",
                ),
                "InvalidParameterValue",
            ),
            case(
                "the wrong PEM label",
                "GenerateDataKey",
                gdk(pem("EC PARAMETERS", &sm2_spki), "SM2"),
                "InvalidParameterValue",
            ),
            case(
                "an SM2 private key",
                "GenerateDataKey",
                gdk(fixture("sm2.pem"), "SM2"),
                "InvalidParameterValue",
            ),
            case(
                "an RSA private key",
                "GenerateDataKey",
                gdk(fixture("rsa2048.pkcs8"), "RSAES_OAEP_SHA_256"),
                "InvalidParameterValue",
            ),
            case(
                "a certificate",
                "GenerateDataKey",
                gdk(fixture("cert.pem"), "SM2"),
                "InvalidParameterValue",
            ),
            case(
                "a P-256 key",
                "GenerateDataKey",
                gdk(fixture("p256.pub"), "SM2"),
                "InvalidParameterValue",
            ),
            case(
                "an Ed25519 key",
                "GenerateDataKey",
                gdk(fixture("ed25519.pub"), "SM2"),
                "InvalidParameterValue",
            ),
            case(
                "an RSA-PSS key",
                "GenerateDataKey",
                gdk(fixture("rsa-pss.pub"), "RSAES_OAEP_SHA_256"),
                "InvalidParameterValue",
            ),
            case(
                "an SM2 point off the curve",
                "GenerateDataKey",
                gdk(off_curve_sm2(), "SM2"),
                "InvalidParameterValue",
            ),
            case(
                "a 1024-bit RSA key",
                "GenerateDataKey",
                gdk(fixture("rsa1024.pub"), "RSAES_OAEP_SHA_256"),
                "InvalidParameterValue",
            ),
            case(
                "RSA exponent 1",
                "GenerateDataKey",
                gdk(rsa_exponent_one(), "RSAES_PKCS1_V1_5"),
                "InvalidParameterValue",
            ),
            case(
                "SM2 algorithm with an RSA key",
                "GenerateDataKey",
                gdk(fixture("rsa2048.pub"), "SM2"),
                "InvalidParameterValue",
            ),
            case(
                "RSA algorithm with an SM2 key",
                "GenerateDataKey",
                gdk(fixture("sm2.pub"), "RSAES_PKCS1_V1_5"),
                "InvalidParameterValue",
            ),
            case(
                "an unknown algorithm",
                "GenerateDataKey",
                gdk(fixture("sm2.pub"), "SM2_C1C2C3"),
                "InvalidParameterValue",
            ),
            case(
                "a lower-case algorithm",
                "GenerateDataKey",
                gdk(fixture("sm2.pub"), "sm2"),
                "InvalidParameterValue",
            ),
            case(
                "246 bytes for PKCS#1 v1.5 on 2048 bits",
                "GenerateDataKey",
                json!({"KeyId": key, "NumberOfBytes": 246, "EncryptionPublicKey": fixture("rsa2048.pub"), "EncryptionAlgorithm": "RSAES_PKCS1_V1_5"}),
                "InvalidParameterValue",
            ),
            case(
                "191 bytes for OAEP-SHA256 on 2048 bits",
                "GenerateDataKey",
                json!({"KeyId": key, "NumberOfBytes": 191, "EncryptionPublicKey": fixture("rsa2048.pub"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
                "InvalidParameterValue",
            ),
            case(
                "an algorithm without a key",
                "GenerateDataKey",
                json!({"KeyId": key, "NumberOfBytes": 32, "EncryptionAlgorithm": "SM2"}),
                "InvalidParameterValue",
            ),
            case(
                "EncryptionPublicKey as a number",
                "GenerateDataKey",
                json!({"KeyId": key, "NumberOfBytes": 32, "EncryptionPublicKey": 7}),
                "InvalidParameter",
            ),
        ],
    );
    // No hosted data key was left behind by a refused delivery.
    let mut p = gdk(fixture("rsa1024.pub"), "RSAES_OAEP_SHA_256");
    p["IsHostedByKms"] = json!(1);
    p["DataKeyName"] = json!("never-stored");
    assert_eq!(c.err("GenerateDataKey", p).0, "InvalidParameterValue");
    assert_eq!(c.ok("ListDataKeys", json!({}))["TotalCount"], 0);
}

#[test]
fn envelope_level_refusals() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let mut r = c.prepare("NoSuchAction", &json!({}));
    assert_eq!(c.send(&r).code().as_deref(), Some("InvalidAction"));
    r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 3}));
    r.version = "2020-01-01".into();
    assert_eq!(c.send(&r).code().as_deref(), Some("NoSuchVersion"));
    r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 5}));
    r.version = String::new();
    assert_eq!(c.send(&r).code().as_deref(), Some("MissingParameter"));
    r = c.prepare("", &json!({"NumberOfBytes": 6}));
    assert_eq!(c.send(&r).code().as_deref(), Some("MissingParameter"));
    r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 7}));
    r.content_type = "application/xml".into();
    assert_eq!(
        c.send(&r).code().as_deref(),
        Some("InvalidParameter"),
        "bad Content-Type"
    );
    r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 9}));
    r.method = "GET".into();
    assert_eq!(
        c.send(&r).code().as_deref(),
        Some("InvalidParameter"),
        "GET with a body"
    );
    r = c.prepare("GenerateRandom", &json!({"NumberOfBytes": 10}));
    r.method = "PUT".into();
    assert_eq!(
        c.send(&r).code().as_deref(),
        Some("InvalidParameter"),
        "PUT"
    );
    let big = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        1024 * 1024 + 1
    );
    let resp = common::raw(server.addr, big.as_bytes());
    assert_eq!(
        resp.code().as_deref(),
        Some("RequestSizeLimitExceeded"),
        "declared over the cap, refused unread"
    );
    let path = format!(
        "POST /other HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        server.addr
    );
    assert_eq!(
        common::raw(server.addr, path.as_bytes()).code().as_deref(),
        Some("InvalidParameter"),
        "another path"
    );
    c.ok("GenerateRandom", json!({"NumberOfBytes": 8}));
}
