//! No secret reaches a log. Every integration test's server runs at `trace` and its log
//! is scanned on drop for every SecretKey, plaintext and data key the test saw (see
//! tests/common); this file checks the scanner itself and drives every path that
//! handles a secret, including the CMK material, which the API never returns.

mod common;
use base64::Engine;
use common::*;
use serde_json::json;
use smkms::crypto::seal;
use smkms::crypto::secret::SecretBytes;
use smkms::store::{sqlite::SqliteStore, Store};

#[test]
fn the_scanner_finds_a_leak() {
    let (_dir, server, cred) = fresh();
    server
        .client(&cred)
        .ok("GenerateRandom", json!({"NumberOfBytes": 16}));
    // The log holds this text, so the scan the harness runs on every server must find it.
    let needle = "smkms::http::server".to_string();
    assert_eq!(
        server.find_in_log(std::slice::from_ref(&needle)),
        Some(needle)
    );
    assert_eq!(server.find_in_log(&["not in any log at all".into()]), None);
}

#[test]
fn every_secret_path_leaves_the_log_clean() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let mut server = Server::start(dir.path());
    let c = server.client(&cred);
    let id = c.ok("CreateKey", json!({"Alias": "logged"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let secret_text =
        base64::engine::general_purpose::STANDARD.encode(b"the payroll database password");
    let e = c.ok("Encrypt", json!({"KeyId": id, "Plaintext": secret_text}));
    c.ok("Decrypt", json!({"CiphertextBlob": e["CiphertextBlob"]}));
    let g = c.ok(
        "GenerateDataKey",
        json!({"KeyId": id, "KeySpec": "AES_256", "IsHostedByKms": 1, "DataKeyName": "logged-dk"}),
    );
    c.ok("GetDataKeyPlaintext", json!({"DataKeyId": g["DataKeyId"]}));
    c.ok("ImportDataKey", json!({"DataKeyName": "imported", "ImportType": 2, "KeyId": id,
        "ImportKeyMaterial": base64::engine::general_purpose::STANDARD.encode(b"imported key material!!")}));
    remember_b64(&base64::engine::general_purpose::STANDARD.encode(b"imported key material!!"));
    c.ok("RotateKey", json!({"KeyId": id}));
    c.call("Decrypt", json!({"CiphertextBlob": "AAAA"}));
    let other = create_credential(dir.path(), Some(cred.uin));
    server.client(&other).ok("ListKeys", json!({}));
    assert_eq!(server.stop(), Some(0));

    // The CMK material (both versions), unsealed with the root key from the data dir.
    let root = std::fs::read_to_string(dir.path().join("root.key")).unwrap();
    let sealer = seal::Sealer::new(&seal::root_key_from_hex(&root).unwrap()).unwrap();
    let store = SqliteStore::open(&dir.path().join("smkms.db")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for version in [1, 2] {
        let sealed = rt
            .block_on(store.get_material(&id, version))
            .unwrap()
            .unwrap();
        let material: SecretBytes = sealer
            .open(&seal::cmk_identity(&id, version), &sealed)
            .unwrap();
        remember_secret(&hex::encode(material.expose()));
        remember_secret(&base64::engine::general_purpose::STANDARD.encode(material.expose()));
    }
    remember_secret(root.trim());
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.lines().count() >= 3,
        "the server logged at trace level: {log}"
    );
    server.assert_log_has_no_secrets();
}

fn remember_b64(s: &str) {
    remember_secret(s);
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
    remember_secret(&hex::encode(bytes));
}
