//! Generates the vectors in `test-vectors/` (schemas: its README): data-key delivery,
//! CiphertextBlob v1, SM4 / SM4-GCM, and SM2DSA signatures.
//!
//! ```text
//! cargo run --release --example gen_test_vectors            # rewrite the files
//! cargo run --release --example gen_test_vectors -- --check # fail if they would change
//! ```
//!
//! Every byte is deterministic: keys, messages and the SM2 `k` values come from ChaCha20
//! seeded with fixed strings, so rerunning reproduces the files exactly. This is the
//! only place deterministic randomness meets `deliver_with_rng`; the server calls
//! `deliver`, which uses the OS CSPRNG.
//!
//! The generator checks its own output with the library (`unwrap` for delivery, the
//! server's Decrypt steps for blobs, `cmk::open` for SM4-GCM: valid cases give `msg`,
//! invalid ones are refused) before writing. That the files are right is established
//! separately, by each implementation named in a file's `confirmedBy`:
//! `tests/delivery_interop.rs` for the delivery files, `tests/vectors.rs` (through
//! `tests/vectors/confirm.py`) for the CiphertextBlob and SM4 files.
//!
//! Layout: this file holds the shared helpers (seeded RNGs, hex, the delivery files'
//! self-check and envelope) and `main`; each family of files has its own module.

mod ciphertext_blob;
mod rsa_delivery;
mod sm2_delivery;
mod sm2_signature;
mod sm4_gcm;

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use serde_json::{json, Value};
use sha2::Digest;
use smkms::crypto::deliver::{self, Algorithm};
use std::path::PathBuf;

use ciphertext_blob::blob_file;
use rsa_delivery::{rsa_file, rsa_keys};
use sm2_delivery::sm2_file;
use sm2_signature::sm2_signature_file;
use sm4_gcm::sm4_file;

// The committed files carry this string, so it still names the generator as it was
// first written (a single `gen_test_vectors.rs`); changing it would rewrite every file.
const GENERATOR: &str = concat!(
    "smkms ",
    env!("CARGO_PKG_VERSION"),
    " examples/gen_test_vectors.rs v1"
);

fn rng(purpose: &str) -> ChaCha20Rng {
    let seed: [u8; 32] = sha2::Sha256::digest(format!("smkms test vectors: {purpose}")).into();
    ChaCha20Rng::from_seed(seed)
}

fn hexs(b: &[u8]) -> String {
    hex::encode(b)
}

fn random_msg(rng: &mut ChaCha20Rng, len: usize) -> Vec<u8> {
    let mut m = vec![0u8; len];
    rng.fill_bytes(&mut m);
    m
}

// ---------------------------------------------------------------------------------------

fn self_check(private_pem: &str, alg: Algorithm, ct: &[u8], msg: &[u8], valid: bool, tc: usize) {
    match deliver::unwrap(private_pem, alg, ct) {
        Ok(m) if valid && m.expose() == msg => {}
        Err(_) if !valid => {}
        other => panic!(
            "{} tcId {tc}: valid={valid} but unwrap gave {other:?}",
            alg.name()
        ),
    }
}

/// The notes of the flags `groups` use: a file describes only its own flags.
fn used_notes(notes: &Value, groups: &[Value]) -> serde_json::Map<String, Value> {
    let used: std::collections::BTreeSet<&str> = groups
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter())
        .flat_map(|t| t["flags"].as_array().unwrap().iter())
        .map(|f| f.as_str().unwrap())
        .collect();
    notes
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| used.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn file_json(
    alg: Algorithm,
    tests: usize,
    encoding: &str,
    notes: Value,
    confirmed: Value,
    groups: Vec<Value>,
) -> Value {
    let notes = used_notes(&notes, &groups);
    let mut header = vec![
        format!("Data-key delivery with EncryptionAlgorithm {}: {encoding}.", alg.name()),
        "Each test is a decryption: with the group's private key, a valid ct decrypts to msg; an invalid ct must be refused (or at least not yield msg).".to_string(),
    ];
    if alg == Algorithm::RsaPkcs1V15 {
        header.push("For invalid cases, a decrypter with implicit rejection (OpenSSL ≥ 3.2 by default) returns a pseudo-random message instead of an error; passing means not returning msg.".into());
    }
    json!({
        "algorithm": alg.name(),
        "schema": "smkms delivery vectors v1 (test-vectors/README.md)",
        "generatorVersion": GENERATOR,
        "numberOfTests": tests,
        "header": header,
        "notes": notes,
        "confirmedBy": confirmed,
        "testGroups": groups,
    })
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors");
    let rsa = rsa_keys();
    let files = [
        ("sm2_delivery_raw_test.json", sm2_file(Algorithm::Sm2)),
        (
            "sm2_delivery_asn1_test.json",
            sm2_file(Algorithm::Sm2C1C3C2Asn1),
        ),
        (
            "rsa_delivery_pkcs1_v1_5_test.json",
            rsa_file(Algorithm::RsaPkcs1V15, &rsa),
        ),
        (
            "rsa_delivery_oaep_sha1_test.json",
            rsa_file(Algorithm::RsaOaepSha1, &rsa),
        ),
        (
            "rsa_delivery_oaep_sha256_test.json",
            rsa_file(Algorithm::RsaOaepSha256, &rsa),
        ),
        ("ciphertext_blob_v1.json", blob_file()),
        ("sm4_gcm.json", sm4_file()),
        ("sm2_signature_test.json", sm2_signature_file()),
    ];
    let mut stale = Vec::new();
    for (name, value) in files {
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        let path = dir.join(name);
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(name);
            }
        } else {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, text).unwrap();
            println!(
                "wrote {} ({} tests)",
                path.display(),
                value["numberOfTests"]
            );
        }
    }
    if !stale.is_empty() {
        eprintln!("out of date (rerun without --check): {}", stale.join(", "));
        std::process::exit(1);
    }
}
