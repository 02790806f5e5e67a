//! Several replicas of the real binary on one PostgreSQL database (a real server, see
//! tests/common/postgres.rs): what one replica writes, every other one honours at its
//! next request — keys, credentials, Nonces — and a replica without the deployment's
//! root key refuses to start. Also `smkms store copy` from an embedded deployment.

mod common;
mod legacy_v2_common;
use common::postgres::{psql, shared_url};
use common::*;
use legacy_v2_common::{Alg, Transport, V2};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// `smkms credentials create --store URL`, the root key taken from `data`.
fn credential_on(data: &Path, url: &str) -> Cred {
    create_credential_with(data, &["--store", url])
}

/// A data directory for one more replica: only the root key, copied from `first`.
fn replica_dir(first: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(first.join("root.key"), dir.path().join("root.key")).unwrap();
    dir
}

fn replica(data: &Path, url: &str) -> Server {
    Server::start_with(data, &["--store", url])
}

fn key_id(v: &Value) -> String {
    v["KeyId"].as_str().unwrap().to_string()
}

#[test]
fn replicas_honour_each_others_writes_at_the_next_request() {
    let url = shared_url();
    let a_dir = tempfile::tempdir().unwrap();
    let cred = credential_on(a_dir.path(), &url);
    let b_dir = replica_dir(a_dir.path());
    let a = replica(a_dir.path(), &url);
    let b = replica(b_dir.path(), &url);
    assert!(
        !b.banner.contains("SecretKey"),
        "only the first start of a database makes a first credential"
    );
    let (ca, cb) = (a.client(&cred), b.client(&cred));

    let key = key_id(&ca.ok("CreateKey", json!({"Alias": "shared"})));
    let pt = "aGVsbG8gcmVwbGljYXM=";
    let blob = cb.ok("Encrypt", json!({"KeyId": key, "Plaintext": pt}))["CiphertextBlob"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        ca.ok("Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"],
        pt
    );
    // Each round: A encrypts (its cache holds the key), B disables, A is refused at
    // once; B enables, A serves again. Any staleness in A's cache fails a round.
    for round in 0..10 {
        ca.ok("Encrypt", json!({"KeyId": key, "Plaintext": pt}));
        cb.ok("DisableKey", json!({"KeyId": key}));
        let (code, _) = ca.err("Encrypt", json!({"KeyId": key, "Plaintext": pt}));
        assert!(
            code.starts_with("ResourceUnavailable"),
            "round {round}: {code}"
        );
        cb.ok("EnableKey", json!({"KeyId": key}));
        ca.ok("Encrypt", json!({"KeyId": key, "Plaintext": pt}));
    }
    // A key created on one replica is found by the other at once (no negative cache).
    for _ in 0..5 {
        let _ = cb.err("DescribeKey", json!({"KeyId": uuid_like()}));
        let k = key_id(&ca.ok("CreateKey", json!({"Alias": format!("k{}", uuid_like())})));
        cb.ok("DescribeKey", json!({"KeyId": k}));
    }

    // A legacy-API request replayed to the other replica is refused: the Nonce is
    // shared. (Both replicas see the same Host, as behind a load balancer.)
    let v2 = V2::new(&a, &cred, Transport::PostForm, Alg::Sha256);
    let p = v2.signed("ListKey", &[]);
    let first = legacy_v2_common::envelope(raw(a.addr, &v2.bytes(&p)));
    assert_eq!(first["code"], 0, "{first}");
    let replay = legacy_v2_common::envelope(raw(b.addr, &v2.bytes(&p)));
    assert_ne!(replay["code"], 0, "a replay on another replica: {replay}");
    assert!(
        replay["message"].as_str().unwrap().contains("Nonce"),
        "{replay}"
    );
    let fresh = v2.signed("ListKey", &[]);
    let on_b = legacy_v2_common::envelope(raw(b.addr, &v2.bytes(&fresh)));
    assert_eq!(
        on_b["code"], 0,
        "a fresh Nonce for that Host is fine on B: {on_b}"
    );

    // A credential deleted from the command line is refused by every replica.
    ca.ok("ListKeys", json!({}));
    cb.ok("ListKeys", json!({}));
    let out = Command::new(bin())
        .args([
            "credentials",
            "delete",
            &cred.secret_id,
            "--store",
            &url,
            "--data",
        ])
        .arg(a_dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for c in [&ca, &cb] {
        let (code, _) = c.err("ListKeys", json!({}));
        assert_eq!(code, "AuthFailure.SecretIdNotFound");
    }
    for s in [&a, &b] {
        s.assert_log_has_no_secrets();
        let log = std::fs::read_to_string(&s.log).unwrap();
        assert!(
            !log.contains(password(&url)),
            "the database password was logged"
        );
    }
}

/// The password in postgres://user:PASSWORD@host:port/db.
fn password(url: &str) -> &str {
    let userinfo = url.split("://").nth(1).unwrap().split('@').next().unwrap();
    let pw = userinfo.split(':').nth(1).unwrap();
    assert!(
        pw.len() >= 8,
        "the test server's password is long enough to look for"
    );
    pw
}

fn uuid_like() -> String {
    let n = smkms::crypto::random::u64_below(u64::MAX);
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        n >> 32,
        n & 0xffff_ffff_ffff
    )
}

fn start_fails(data: &Path, url: &str) -> String {
    let out = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--store", url, "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the replica started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Bring your own key across replicas: a token issued through replica A is consumed
/// through replica B, and refused the second time through either; the material then
/// serves both.
#[test]
fn an_import_token_is_used_once_across_replicas() {
    use rsa::pkcs8::DecodePublicKey;
    let url = shared_url();
    let a_dir = tempfile::tempdir().unwrap();
    let cred = credential_on(a_dir.path(), &url);
    let b_dir = replica_dir(a_dir.path());
    let a = replica(a_dir.path(), &url);
    let b = replica(b_dir.path(), &url);
    let (ca, cb) = (a.client(&cred), b.client(&cred));
    let alias = format!("byok{}", uuid_like());
    let key = key_id(&ca.ok("CreateKey", json!({"Alias": alias, "Type": 2})));
    let p = ca.ok(
        "GetParametersForImport",
        json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let public = smkms::b64::decode(p["PublicKey"].as_str().unwrap()).unwrap();
    let public = rsa::RsaPublicKey::from_public_key_der(&public).unwrap();
    let wrapped = public
        .encrypt(
            &mut rand_core::OsRng,
            rsa::Oaep::new::<sha2::Sha256>(),
            &[0x42; 16],
        )
        .unwrap();
    let import = json!({
        "KeyId": key,
        "ImportToken": p["ImportToken"],
        "EncryptedKeyMaterial": smkms::b64::encode(&wrapped),
    });
    cb.ok("ImportKeyMaterial", import.clone());
    for c in [&ca, &cb] {
        let (code, msg) = c.err("ImportKeyMaterial", import.clone());
        assert_eq!(code, "ResourceUnavailable.TokenExpired", "{msg}");
    }
    let pt = "aW1wb3J0ZWQ=";
    let blob = ca.ok("Encrypt", json!({"KeyId": key, "Plaintext": pt}))["CiphertextBlob"].clone();
    assert_eq!(
        cb.ok("Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"],
        pt
    );
    // Deleted through B: A refuses at its next request.
    cb.ok("DeleteImportedKeyMaterial", json!({"KeyId": key}));
    let (code, _) = ca.err("Encrypt", json!({"KeyId": key, "Plaintext": pt}));
    assert_eq!(code, "ResourceUnavailable.CmkStateNotSupport");
}

#[test]
fn a_replica_without_the_root_key_refuses_to_start_and_writes_nothing() {
    let url = shared_url();
    let first = tempfile::tempdir().unwrap();
    let cred = credential_on(first.path(), &url);
    let before = psql(
        &url,
        "SELECT (SELECT COUNT(*) FROM credentials) || ',' || (SELECT COUNT(*) FROM meta)",
    )
    .unwrap();

    // Another root key: refused by the canary.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("root.key"), "ab".repeat(32)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        other.path().join("root.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let err = start_fails(other.path(), &url);
    assert!(err.contains("root key does not match"), "{err}");
    assert!(err.contains("same root key"), "{err}");
    // No root key at all: refused without making one.
    let none = tempfile::tempdir().unwrap();
    let err = start_fails(none.path(), &url);
    assert!(err.contains("has none"), "{err}");
    assert!(!none.path().join("root.key").exists(), "no stray root key");
    assert!(!err.contains(password(&url)), "password shown: {err}");
    let after = psql(
        &url,
        "SELECT (SELECT COUNT(*) FROM credentials) || ',' || (SELECT COUNT(*) FROM meta)",
    )
    .unwrap();
    assert_eq!(before, after, "nothing written under a wrong key");

    // The right key (by SMKMS_ROOT_KEY this time) serves.
    let hex = std::fs::read_to_string(first.path().join("root.key")).unwrap();
    let third = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin())
        .args(["credentials", "list", "--json", "--store", &url, "--data"])
        .arg(third.path())
        .env("SMKMS_ROOT_KEY", hex.trim())
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let listed = String::from_utf8(std::mem::take(&mut child.stdout)).unwrap();
    assert!(listed.contains(&cred.secret_id), "{listed}");
}

#[test]
fn store_copy_moves_an_embedded_deployment() {
    let (dir, mut server, cred) = fresh();
    let c = server.client(&cred);
    let key = key_id(&c.ok("CreateKey", json!({"Alias": "moved"})));
    c.ok("EnableKeyRotation", json!({"KeyId": key}));
    let blob = c.ok(
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "bW92ZSBtZQ=="}),
    )["CiphertextBlob"]
        .as_str()
        .unwrap()
        .to_string();
    let dk = c.ok(
        "GenerateDataKey",
        json!({"KeyId": key, "NumberOfBytes": 32, "IsHostedByKms": 1, "DataKeyName": "moved-dk"}),
    );
    let listed_before = c.ok("ListKeys", json!({}))["Keys"].clone();
    assert_eq!(server.stop(), Some(0));

    let url = shared_url();
    let copy = || {
        Command::new(bin())
            .args(["store", "copy", "--data"])
            .arg(dir.path())
            .args(["--to", &url])
            .output()
            .unwrap()
    };
    let out = copy();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("1 key, 1 key version, 1 data key"), "{said}");
    assert!(!said.contains(password(&url)), "password shown: {said}");

    // The same data directory (its root key) now serves from PostgreSQL.
    let replica = replica(dir.path(), &url);
    let c = replica.client(&cred);
    assert_eq!(
        c.ok("Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"],
        "bW92ZSBtZQ=="
    );
    assert_eq!(
        c.ok("GetDataKeyPlaintext", json!({"DataKeyId": dk["DataKeyId"]}))["Plaintext"],
        dk["Plaintext"]
    );
    assert_eq!(c.ok("ListKeys", json!({}))["Keys"], listed_before);
    assert_eq!(
        c.ok("GetKeyRotationStatus", json!({"KeyId": key}))["KeyRotationEnabled"],
        true
    );

    let again = copy();
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("not empty") && err.contains("nothing was copied"),
        "{err}"
    );
}
