//! Bring your own key over the wire, against the real binary: GetParametersForImport,
//! ImportKeyMaterial, DeleteImportedKeyMaterial. RSA wrapping is done with the RustCrypto
//! `rsa` crate (not the server's RSA code); SM2 wrapping with the library's delivery
//! code. OpenSSL, Python `cryptography` and gmssl wrap in tests/python.

mod common;
use common::*;
use serde_json::{json, Value};
use smkms::b64;

const ALGS: [(&str, &str); 4] = [
    ("RSAES_PKCS1_V1_5", "RSA_2048"),
    ("RSAES_OAEP_SHA_1", "RSA_2048"),
    ("RSAES_OAEP_SHA_256", "RSA_2048"),
    ("SM2_ENCRYPT", "SM2"),
];

fn external_key(c: &Client, alias: &str, spec: Option<&str>) -> String {
    let mut p = json!({"Alias": alias, "Type": 2});
    if let Some(s) = spec {
        p["KeySpec"] = s.into();
    }
    c.ok("CreateKey", p)["KeyId"].as_str().unwrap().to_string()
}

fn meta(c: &Client, id: &str) -> Value {
    c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone()
}

struct Params {
    token: String,
    public_key: Vec<u8>,
    alg: &'static str,
    valid_to: i64,
}

fn params(c: &Client, id: &str, alg: &'static str, spec: &str) -> Params {
    let r = c.ok(
        "GetParametersForImport",
        json!({"KeyId": id, "WrappingAlgorithm": alg, "WrappingKeySpec": spec}),
    );
    assert_eq!(r["KeyId"], id);
    Params {
        token: r["ImportToken"].as_str().unwrap().into(),
        public_key: b64::decode(r["PublicKey"].as_str().unwrap()).unwrap(),
        alg,
        valid_to: r["ParametersValidTo"].as_i64().unwrap(),
    }
}

/// `material` wrapped to the parameters' public key.
fn wrap(p: &Params, material: &[u8]) -> String {
    use rsa::pkcs8::DecodePublicKey;
    let mut rng = rand_core::OsRng;
    let blob = match p.alg {
        "SM2_ENCRYPT" => {
            let pem = format!(
                "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
                b64::encode(&p.public_key)
            );
            let key = smkms::crypto::deliver::parse_public_key(&pem).unwrap();
            smkms::crypto::deliver::deliver(
                &key,
                smkms::crypto::deliver::Algorithm::Sm2C1C3C2Asn1,
                material,
            )
            .unwrap()
        }
        alg => {
            let key = rsa::RsaPublicKey::from_public_key_der(&p.public_key).unwrap();
            assert_eq!(rsa::traits::PublicKeyParts::size(&key), 256, "RSA-2048");
            match alg {
                "RSAES_PKCS1_V1_5" => key.encrypt(&mut rng, rsa::Pkcs1v15Encrypt, material),
                "RSAES_OAEP_SHA_1" => {
                    key.encrypt(&mut rng, rsa::Oaep::new::<sha1::Sha1>(), material)
                }
                "RSAES_OAEP_SHA_256" => {
                    key.encrypt(&mut rng, rsa::Oaep::new::<sha2::Sha256>(), material)
                }
                other => panic!("{other}"),
            }
            .unwrap()
        }
    };
    b64::encode(blob)
}

fn import(c: &Client, id: &str, p: &Params, blob: &str, valid_to: i64) -> Value {
    c.call(
        "ImportKeyMaterial",
        json!({"KeyId": id, "ImportToken": p.token, "EncryptedKeyMaterial": blob, "ValidTo": valid_to}),
    )
}

fn code(r: &Value) -> Option<&str> {
    r.get("Error").map(|e| e["Code"].as_str().unwrap())
}

fn encrypt(c: &Client, id: &str, text: &[u8]) -> String {
    c.ok(
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64::encode(text)}),
    )["CiphertextBlob"]
        .as_str()
        .unwrap()
        .into()
}

fn decrypt(c: &Client, blob: &str) -> Vec<u8> {
    b64::decode(
        c.ok("Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
}

/// The whole flow for each wrapping algorithm, with a restart between the parameters
/// and the import: the token lives in the store.
#[test]
fn each_wrapping_algorithm_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let mut server = Server::start(dir.path());
    let c = server.client(&cred);
    let mut issued = Vec::new();
    for (i, (alg, spec)) in ALGS.into_iter().enumerate() {
        let id = external_key(&c, &format!("byok-{i}"), None);
        let m = meta(&c, &id);
        assert_eq!(
            (m["KeyState"].as_str(), m["Origin"].as_str()),
            (Some("PendingImport"), Some("EXTERNAL"))
        );
        let p = params(&c, &id, alg, spec);
        assert!((p.valid_to - (now() + 86_400)).abs() < 60, "24 hours");
        issued.push((id, p));
    }
    server.stop();
    let server = Server::start(dir.path());
    let c = server.client(&cred);
    for (i, (id, p)) in issued.iter().enumerate() {
        let material = [i as u8 + 0x11; 16];
        let r = import(&c, id, p, &wrap(p, &material), 0);
        assert!(code(&r).is_none(), "{}: {r}", p.alg);
        let m = meta(&c, id);
        assert_eq!(m["KeyState"], "Enabled", "{}", p.alg);
        assert_eq!(m["ValidTo"], 0);
        let blob = encrypt(&c, id, b"imported");
        assert_eq!(decrypt(&c, &blob), b"imported");
        // The same token again: used.
        let again = import(&c, id, p, &wrap(p, &material), 0);
        assert_eq!(
            code(&again),
            Some("ResourceUnavailable.TokenExpired"),
            "{again}"
        );
        assert!(again["Error"]["Message"]
            .as_str()
            .unwrap()
            .contains("already used"));
    }
    server.assert_log_has_no_secrets();
}

#[test]
fn tokens_and_blobs_are_checked() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let a = external_key(&c, "a", None);
    let b = external_key(&c, "b", None);
    let own = c.ok("CreateKey", json!({"Alias": "own"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    // Not EXTERNAL.
    let (code_, msg) = c.err(
        "GetParametersForImport",
        json!({"KeyId": own, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    assert_eq!(code_, "UnsupportedOperation.NotExternalCmk", "{msg}");
    let (code_, _) = c.err("DeleteImportedKeyMaterial", json!({"KeyId": own}));
    assert_eq!(code_, "UnsupportedOperation.NotExternalCmk");
    // Unknown algorithm or spec, and a mismatched pair.
    for (alg, spec) in [
        ("RSAES_OAEP_SHA_512", "RSA_2048"),
        ("RSAES_OAEP_SHA_256", "RSA_4096"),
        ("SM2_ENCRYPT", "RSA_2048"),
    ] {
        let (code_, msg) = c.err(
            "GetParametersForImport",
            json!({"KeyId": a, "WrappingAlgorithm": alg, "WrappingKeySpec": spec}),
        );
        assert_eq!(code_, "InvalidParameter", "{alg} {spec}: {msg}");
    }
    let (code_, _) = c.err(
        "GetParametersForImport",
        json!({"KeyId": a, "WrappingAlgorithm": "RSAES_OAEP_SHA_256"}),
    );
    assert_eq!(code_, "MissingParameter");
    let (code_, _) = c.err(
        "GetParametersForImport",
        json!({"KeyId": "nope", "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    assert_eq!(code_, "InvalidParameterValue.InvalidKeyId");
    // A foreign token: issued for a, presented for b. It is not spent.
    let pa = params(&c, &a, "RSAES_OAEP_SHA_256", "RSA_2048");
    let r = import(&c, &b, &pa, &wrap(&pa, &[1; 16]), 0);
    assert_eq!(code(&r), Some("InvalidParameter"), "{r}");
    assert!(r["Error"]["Message"]
        .as_str()
        .unwrap()
        .contains("another key"));
    let r = c.call(
        "ImportKeyMaterial",
        json!({"KeyId": a, "ImportToken": "bm90IGEgdG9rZW4=", "EncryptedKeyMaterial": wrap(&pa, &[1; 16])}),
    );
    assert_eq!(code(&r), Some("InvalidParameter"), "{r}");
    // ValidTo in the past, or past 2147443200.
    for bad in [now() - 10, 2_147_443_201] {
        let r = import(&c, &a, &pa, &wrap(&pa, &[1; 16]), bad);
        assert_eq!(code(&r), Some("InvalidParameter"), "{r}");
        assert!(r["Error"]["Message"].as_str().unwrap().contains("ValidTo"));
    }
    // Not base64.
    let r = import(&c, &a, &pa, "%%%", 0);
    assert_eq!(code(&r), Some("InvalidParameter"), "{r}");
    // Wrong length: 256-bit material into an SM4 key. The token is spent.
    let r = import(&c, &a, &pa, &wrap(&pa, &[1; 32]), 0);
    assert_eq!(code(&r), Some("InvalidParameter"), "{r}");
    assert!(
        r["Error"]["Message"].as_str().unwrap().contains("128"),
        "{r}"
    );
    assert_eq!(meta(&c, &a)["KeyState"], "PendingImport");
    // An undecryptable blob: one opaque code, whatever is wrong with it.
    for alg in ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_256"] {
        let p = params(&c, &a, alg, "RSA_2048");
        let mut blob = b64::decode(wrap(&p, &[1; 16])).unwrap();
        blob[100] ^= 0x40;
        let r = import(&c, &a, &p, &b64::encode(&blob), 0);
        assert_eq!(
            code(&r),
            Some("InvalidParameter.DecryptMaterialError"),
            "{r}"
        );
    }
    let p = params(&c, &a, "SM2_ENCRYPT", "SM2");
    let r = import(&c, &a, &p, &b64::encode([0x30, 0x03, 0x02, 0x01, 0x01]), 0);
    assert_eq!(
        code(&r),
        Some("InvalidParameter.DecryptMaterialError"),
        "{r}"
    );
    // AES-256 keys take 256 bits.
    let aes = external_key(&c, "aes", Some("AES_256"));
    let p = params(&c, &aes, "RSAES_OAEP_SHA_1", "RSA_2048");
    let r = import(&c, &aes, &p, &wrap(&p, &[2; 16]), 0);
    assert!(
        r["Error"]["Message"].as_str().unwrap().contains("256"),
        "{r}"
    );
    let p = params(&c, &aes, "RSAES_OAEP_SHA_1", "RSA_2048");
    assert!(code(&import(&c, &aes, &p, &wrap(&p, &[2; 32]), 0)).is_none());
    assert_eq!(meta(&c, &aes)["Type"], 2);
    // EXTERNAL keys do not rotate.
    let (code_, _) = c.err("RotateKey", json!({"KeyId": aes}));
    assert_eq!(code_, "UnsupportedOperation.RotateNotSupported");
    let (code_, _) = c.err("EnableKeyRotation", json!({"KeyId": aes}));
    assert_eq!(code_, "UnsupportedOperation.ExternalCmkCanNotRotate");
}

/// An expired token is refused with TokenExpired. The server's clock cannot be moved,
/// so the token's expiry is moved instead, in the database under the running server
/// (tokens are read from the store on every use).
#[test]
fn an_expired_token_is_refused() {
    let (dir, server, cred) = fresh();
    let c = server.client(&cred);
    let id = external_key(&c, "late", None);
    let p = params(&c, &id, "RSAES_OAEP_SHA_256", "RSA_2048");
    let db = rusqlite::Connection::open(dir.path().join("smkms.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let n = db
        .execute(
            "UPDATE import_tokens SET expires_at = ?1 WHERE key_id = ?2",
            rusqlite::params![now() - 1, id],
        )
        .unwrap();
    assert_eq!(n, 1);
    let r = import(&c, &id, &p, &wrap(&p, &[1; 16]), 0);
    assert_eq!(code(&r), Some("ResourceUnavailable.TokenExpired"), "{r}");
    assert!(r["Error"]["Message"].as_str().unwrap().contains("expired"));
    // A fresh token still works.
    let p = params(&c, &id, "RSAES_OAEP_SHA_256", "RSA_2048");
    assert!(code(&import(&c, &id, &p, &wrap(&p, &[1; 16]), 0)).is_none());
}

#[test]
fn re_import_same_and_different_material_and_delete() {
    let (_dir, server, cred) = fresh();
    let c = server.client(&cred);
    let id = external_key(&c, "again", None);
    let p = params(&c, &id, "RSAES_OAEP_SHA_256", "RSA_2048");
    assert!(code(&import(&c, &id, &p, &wrap(&p, &[7; 16]), 0)).is_none());
    let blob = encrypt(&c, &id, b"before");
    // Different material: refused while the key has material ...
    let p = params(&c, &id, "RSAES_OAEP_SHA_256", "RSA_2048");
    let r = import(&c, &id, &p, &wrap(&p, &[8; 16]), 0);
    assert_eq!(
        code(&r),
        Some("InvalidParameterValue.MaterialNotMatch"),
        "{r}"
    );
    c.ok("DeleteImportedKeyMaterial", json!({"KeyId": id}));
    let m = meta(&c, &id);
    assert_eq!(m["KeyState"], "PendingImport");
    let (code_, _) = c.err("Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(code_, "ResourceUnavailable.CmkStateNotSupport");
    // ... and after the material was deleted.
    let p = params(&c, &id, "SM2_ENCRYPT", "SM2");
    let r = import(&c, &id, &p, &wrap(&p, &[9; 16]), 0);
    assert_eq!(
        code(&r),
        Some("InvalidParameterValue.MaterialNotMatch"),
        "{r}"
    );
    // The same material: back, and the blob made before decrypts again.
    let p = params(&c, &id, "SM2_ENCRYPT", "SM2");
    assert!(code(&import(&c, &id, &p, &wrap(&p, &[7; 16]), 0)).is_none());
    assert_eq!(meta(&c, &id)["KeyState"], "Enabled");
    assert_eq!(decrypt(&c, &blob), b"before");
    server.assert_log_has_no_secrets();
}

/// ValidTo: refused from that second on, before any sweep; the sweep then removes
/// the material; the same material imported again brings the key back.
#[test]
fn material_expires_at_valid_to() {
    let (_dir, server, cred) = fresh_with_config("[background]\nsweep_interval_secs = 1\n");
    let c = server.client(&cred);
    let id = external_key(&c, "expiring", None);
    let p = params(&c, &id, "RSAES_PKCS1_V1_5", "RSA_2048");
    let valid_to = now() + 3;
    assert!(code(&import(&c, &id, &p, &wrap(&p, &[5; 16]), valid_to)).is_none());
    assert_eq!(meta(&c, &id)["ValidTo"], valid_to);
    let blob = encrypt(&c, &id, b"short-lived");
    while now() < valid_to {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (code_, msg) = c.err(
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64::encode(b"x")}),
    );
    assert_eq!(code_, "ResourceUnavailable.CmkStateNotSupport", "{msg}");
    assert!(msg.contains("PendingImport"), "{msg}");
    assert!(c
        .err("Decrypt", json!({"CiphertextBlob": blob}))
        .0
        .starts_with("ResourceUnavailable"));
    // The sweep (every second here) clears ValidTo with the material.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let m = meta(&c, &id);
        assert_eq!(m["KeyState"], "PendingImport");
        if m["ValidTo"] == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not swept: {m}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let p = params(&c, &id, "RSAES_PKCS1_V1_5", "RSA_2048");
    assert!(code(&import(&c, &id, &p, &wrap(&p, &[5; 16]), 0)).is_none());
    assert_eq!(decrypt(&c, &blob), b"short-lived");
}
