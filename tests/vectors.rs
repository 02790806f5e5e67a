//! Replays every file in `test-vectors/` (schema: test-vectors/README.md).
//!
//! Each test goes through the library's `unwrap` and through the `smkms unwrap` command:
//! a valid ct must decrypt to msg, an invalid one must be refused (the same opaque
//! error every time). SM2 valid cases that carry their `k` must also be reproduced
//! byte for byte by `deliver_with_rng`. That the files agree with other
//! implementations is checked by `tests/delivery_interop.rs`.

use base64::Engine as _;
use serde_json::Value;
use smkms::crypto::deliver::{self, Algorithm, ErrorKind};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(REPO).join("test-vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Yields the bytes of a fixed k, as `deliver_with_rng` reads it.
struct Replay(Vec<u8>);

impl rand_core::RngCore for Replay {
    fn next_u32(&mut self) -> u32 {
        unimplemented!()
    }
    fn next_u64(&mut self) -> u64 {
        unimplemented!()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.copy_from_slice(&self.0[..dest.len()]);
        self.0.drain(..dest.len());
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for Replay {}

fn hex_field(t: &Value, field: &str) -> Vec<u8> {
    hex::decode(t[field].as_str().unwrap_or_else(|| panic!("no {field}"))).unwrap()
}

/// The `smkms unwrap` command on one ciphertext: Ok(stdout) or Err(stderr).
fn cli_unwrap(key: &Path, alg: Algorithm, ct: &[u8]) -> Result<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_smkms"))
        .arg("unwrap")
        .arg("--private-key")
        .arg(key)
        .arg("--algorithm")
        .arg(alg.name())
        .arg(base64::engine::general_purpose::STANDARD.encode(ct))
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_string())
    } else {
        Err(String::from_utf8(out.stderr).unwrap())
    }
}

/// Checks one delivery-vector file; returns how many tests it replayed.
fn replay_delivery_file(name: &str, file: &Value, scratch: &Path) -> usize {
    let alg = Algorithm::parse(file["algorithm"].as_str()).unwrap();
    for field in ["generatorVersion", "header", "notes", "confirmedBy"] {
        assert!(!file[field].is_null(), "{name}: no {field}");
    }
    let confirmed = file["confirmedBy"].as_array().unwrap();
    assert!(
        confirmed.len() >= 2,
        "{name}: needs at least two independent confirmations"
    );
    let notes = file["notes"].as_object().unwrap();
    let mut ids = BTreeSet::new();
    let mut count = 0;
    let mut last_id = 0;
    for (gi, g) in file["testGroups"].as_array().unwrap().iter().enumerate() {
        let private = g["privateKeyPem"].as_str().unwrap();
        let key_file = scratch.join(format!("{name}-{gi}.pem"));
        std::fs::write(&key_file, private).unwrap();
        let public = deliver::parse_public_key(g["publicKeyPem"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{name} group {gi}: {e}"));
        deliver::check(&public, alg, 1).unwrap();
        for t in g["tests"].as_array().unwrap() {
            count += 1;
            let id = t["tcId"].as_u64().unwrap();
            assert!(
                ids.insert(id) && id > last_id,
                "{name}: tcId {id} out of order"
            );
            last_id = id;
            let what = format!("{name} tcId {id} ({})", t["comment"].as_str().unwrap());
            for f in t["flags"].as_array().unwrap() {
                let f = f.as_str().unwrap();
                assert!(notes.contains_key(f), "{what}: flag {f} has no note");
            }
            let msg = hex_field(t, "msg");
            let ct = hex_field(t, "ct");
            let lib = deliver::unwrap(private, alg, &ct);
            let cli = cli_unwrap(&key_file, alg, &ct);
            match t["result"].as_str().unwrap() {
                "valid" => {
                    assert_eq!(
                        lib.as_ref().map(|m| m.expose().to_vec()).ok(),
                        Some(msg.clone()),
                        "{what}: {lib:?}"
                    );
                    assert_eq!(cli, Ok(hex::encode(&msg)), "{what}: smkms unwrap");
                    if let Some(k) = t["k"].as_str() {
                        let again = deliver::deliver_with_rng(
                            &public,
                            alg,
                            &msg,
                            &mut Replay(hex::decode(k).unwrap()),
                        )
                        .unwrap();
                        assert_eq!(again, ct, "{what}: not reproduced from its k");
                    }
                }
                "invalid" => {
                    let e = lib.expect_err(&what);
                    assert_eq!(e.kind, ErrorKind::DecryptFailed, "{what}: {e}");
                    let err = cli.expect_err(&what);
                    assert!(err.contains("does not decrypt"), "{what}: {err}");
                }
                other => panic!("{what}: result {other:?}"),
            }
        }
    }
    assert_eq!(
        file["numberOfTests"].as_u64(),
        Some(count as u64),
        "{name}: numberOfTests"
    );
    count
}

#[test]
fn every_vector_file_replays() {
    let files = vector_files();
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vectors");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut algorithms = BTreeSet::new();
    let results: Vec<(String, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .iter()
            .map(|path| {
                let scratch = &scratch;
                s.spawn(move || {
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    let file: Value =
                        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
                    let schema = file["schema"].as_str().unwrap_or("");
                    assert!(
                        schema.starts_with("smkms delivery vectors v1"),
                        "{name}: no replay for schema {schema:?}; add one to tests/vectors.rs"
                    );
                    let n = replay_delivery_file(&name, &file, scratch);
                    (file["algorithm"].as_str().unwrap().to_string(), n)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (alg, n) in &results {
        assert!(*n > 0);
        algorithms.insert(alg.clone());
    }
    let expected: BTreeSet<String> = Algorithm::ALL.iter().map(|a| a.name().into()).collect();
    assert_eq!(
        algorithms, expected,
        "a vector file for every delivery algorithm"
    );
}

/// The flags the issue asks the SM2 files to cover, so they cannot quietly disappear.
#[test]
fn sm2_files_cover_the_edge_cases() {
    for path in vector_files() {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let alg = file["algorithm"].as_str().unwrap_or("");
        if !alg.starts_with("SM2") {
            continue;
        }
        let mut valid = BTreeSet::new();
        let mut invalid = BTreeSet::new();
        let mut sizes = BTreeSet::new();
        for g in file["testGroups"].as_array().unwrap() {
            for t in g["tests"].as_array().unwrap() {
                let set = if t["result"] == "valid" {
                    sizes.insert(t["msg"].as_str().unwrap().len() / 2);
                    &mut valid
                } else {
                    &mut invalid
                };
                for f in t["flags"].as_array().unwrap() {
                    set.insert(f.as_str().unwrap().to_string());
                }
            }
        }
        for f in ["AnnexC", "LeadingZeroX1", "TopBitY1", "MessageSize"] {
            assert!(valid.contains(f), "{alg}: no valid {f} case");
        }
        for len in [1, 16, 32, 1024] {
            assert!(sizes.contains(&len), "{alg}: no {len}-byte message");
        }
        let needed: &[&str] = if alg == "SM2" {
            &["C1C2C3", "Missing04", "TrailingBytes", "WrongC3"]
        } else {
            &["C1C2C3", "FixedWidthInteger", "TrailingBytes", "WrongC3"]
        };
        for f in needed {
            assert!(invalid.contains(*f), "{alg}: no invalid {f} case");
        }
    }
}
