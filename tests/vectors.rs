//! Replays every file in `test-vectors/` (schemas: test-vectors/README.md).
//!
//! Delivery files: each test goes through the library's `unwrap` and through the
//! `smkms unwrap` command: a valid ct must decrypt to msg, an invalid one must be refused
//! (the same opaque error every time). SM2 valid cases that carry their `k` must also be
//! reproduced byte for byte by `deliver_with_rng`. That they agree with other
//! implementations is checked by `tests/delivery_interop.rs`.
//!
//! CiphertextBlob v1 file: each test is a Decrypt through `blob::decode`, the group's
//! key table and `blob::open` with `context::canonical` (a valid blob gives msg and is
//! re-sealed to the same bytes; an invalid one is refused). SM4 / SM4-GCM file: the
//! `sm4` block cipher and `cmk::seal` / `cmk::open`. Both are also checked here by the
//! implementations their `confirmedBy` names, through `tests/vectors/confirm.py` run by
//! the Python found at `SMKMS_PYTHON` (default `<repo>/.venv/bin/python`, with
//! `cryptography`, `gmssl` and `pycryptodomex` from tests/python/requirements.txt). A
//! missing Python fails the test; it never skips.

use base64::Engine as _;
use serde_json::Value;
use smkms::crypto::cmk::{self, CmkCipher};
use smkms::crypto::deliver::{self, Algorithm, ErrorKind};
use smkms::crypto::secret::SecretBytes;
use smkms::crypto::{blob, context};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const DELIVERY_SCHEMA: &str = "smkms delivery vectors v1";
const BLOB_SCHEMA: &str = "smkms CiphertextBlob vectors v1";
const SM4_SCHEMA: &str = "smkms SM4 vectors v1";
const SM2_SIGNATURE_SCHEMA: &str = "smkms SM2 signature vectors v1";

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
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
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
                    let n = if schema.starts_with(DELIVERY_SCHEMA) {
                        replay_delivery_file(&name, &file, scratch)
                    } else if schema.starts_with(BLOB_SCHEMA) {
                        replay_blob_file(&name, &file)
                    } else if schema.starts_with(SM4_SCHEMA) {
                        replay_sm4_file(&name, &file)
                    } else if schema.starts_with(SM2_SIGNATURE_SCHEMA) {
                        replay_sm2_signature_file(&name, &file)
                    } else {
                        panic!(
                            "{name}: no replay for schema {schema:?}; add one to tests/vectors.rs"
                        )
                    };
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
    let mut expected: BTreeSet<String> = Algorithm::ALL.iter().map(|a| a.name().into()).collect();
    expected.insert("CiphertextBlob v1".into());
    expected.insert("SM4, SM4-GCM".into());
    expected.insert("SM2DSA".into());
    assert_eq!(
        algorithms, expected,
        "a vector file for every delivery algorithm, CiphertextBlob v1, and SM4"
    );
}

/// The flags the issue asks the SM2 files to cover, so they cannot quietly disappear.
#[test]
fn sm2_files_cover_the_edge_cases() {
    for path in vector_files() {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let alg = file["algorithm"].as_str().unwrap_or("");
        let schema = file["schema"].as_str().unwrap_or("");
        // The SM2 delivery files (the signature file's flags are checked in its replay).
        if !alg.starts_with("SM2") || !schema.starts_with(DELIVERY_SCHEMA) {
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

// ---------------------------------------------------------------------------------------
// CiphertextBlob v1 and SM4 / SM4-GCM

/// The checks every file gets whatever its schema: the descriptive fields are there,
/// tcIds are unique and increasing, every flag has a note, and `numberOfTests` is right.
/// Calls `each(group, test, what)` for every test.
fn walk_tests(name: &str, file: &Value, mut each: impl FnMut(&Value, &Value, &str)) -> usize {
    for field in ["generatorVersion", "header", "notes", "confirmedBy"] {
        assert!(!file[field].is_null(), "{name}: no {field}");
    }
    let notes = file["notes"].as_object().unwrap();
    let mut last_id = 0;
    let mut count = 0;
    for g in file["testGroups"].as_array().unwrap() {
        for t in g["tests"].as_array().unwrap() {
            count += 1;
            let id = t["tcId"].as_u64().unwrap();
            assert!(id > last_id, "{name}: tcId {id} out of order");
            last_id = id;
            let what = format!("{name} tcId {id} ({})", t["comment"].as_str().unwrap());
            for f in t["flags"].as_array().unwrap() {
                let f = f.as_str().unwrap();
                assert!(notes.contains_key(f), "{what}: flag {f} has no note");
            }
            each(g, t, &what);
        }
    }
    assert_eq!(
        file["numberOfTests"].as_u64(),
        Some(count as u64),
        "{name}: numberOfTests"
    );
    count
}

/// Each cipher a file's groups use must be claimed by at least two `confirmedBy`
/// entries (whether the claims hold is `vector_files_are_confirmed_...`'s job).
fn assert_two_confirmations_per_cipher(name: &str, file: &Value) {
    for g in file["testGroups"].as_array().unwrap() {
        let cipher = g["cipher"].as_str().unwrap();
        let n = file["confirmedBy"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ciphers"].as_array().unwrap().iter().any(|x| x == cipher))
            .count();
        assert!(n >= 2, "{name}: {cipher} has {n} confirmations, needs two");
    }
}

/// A group's CMK: its cipher, id and material versions.
struct Cmk {
    cipher: CmkCipher,
    key_id: uuid::Uuid,
    versions: BTreeMap<u32, SecretBytes>,
}

impl Cmk {
    fn from_group(g: &Value) -> Cmk {
        let cipher = CmkCipher::from_byte(g["cipherByte"].as_u64().unwrap() as u8).unwrap();
        let name = match cipher {
            CmkCipher::Sm4Gcm => "SM4-GCM",
            CmkCipher::Aes256Gcm => "AES-256-GCM",
        };
        assert_eq!(g["cipher"], name);
        assert_eq!(g["keySize"].as_u64(), Some(cipher.key_len() as u64 * 8));
        let versions = g["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                let m = hex_field(k, "key");
                assert_eq!(m.len(), cipher.key_len());
                (
                    k["keyVersion"].as_u64().unwrap() as u32,
                    SecretBytes::new(m),
                )
            })
            .collect();
        Cmk {
            cipher,
            key_id: uuid::Uuid::parse_str(g["keyId"].as_str().unwrap()).unwrap(),
            versions,
        }
    }

    /// Decrypt as the server does (kms/crypt.rs): strict decode, the CMK the blob
    /// names (another id is a CMK that does not exist), its version, its cipher, and
    /// the canonical context as AAD. `None` for every refusal.
    fn decrypt(&self, bytes: &[u8], context: Option<&str>) -> Option<(blob::Header, Vec<u8>)> {
        let (header, ct) = blob::decode(bytes).ok()?;
        if header.key_id != self.key_id || header.cipher != self.cipher {
            return None;
        }
        let material = self.versions.get(&header.key_version)?;
        let ctx = context::canonical(context).ok()?;
        let m = blob::open(&header, material, &ctx, ct).ok()?;
        Some((header, m.expose().to_vec()))
    }
}

/// Checks the CiphertextBlob file; returns how many tests it replayed.
fn replay_blob_file(name: &str, file: &Value) -> usize {
    assert_two_confirmations_per_cipher(name, file);
    walk_tests(name, file, |g, t, what| {
        let cmk = Cmk::from_group(g);
        let context = t["encryptionContext"].as_str();
        let canonical = context::canonical(context).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            std::str::from_utf8(&canonical).unwrap(),
            t["canonicalContext"].as_str().unwrap(),
            "{what}: canonical context"
        );
        let version = t["keyVersion"].as_u64().unwrap() as u32;
        assert_eq!(
            cmk.versions[&version].expose(),
            &hex_field(t, "key")[..],
            "{what}: key is not the material of keyVersion"
        );
        let bytes = hex_field(t, "blob");
        let msg = hex_field(t, "msg");
        let opened = cmk.decrypt(&bytes, context);
        match t["result"].as_str().unwrap() {
            "valid" => {
                let (header, plain) = opened.unwrap_or_else(|| panic!("{what}: refused"));
                assert_eq!(plain, msg, "{what}");
                assert_eq!(header.key_version, version, "{what}: key_ver");
                assert_eq!(
                    &header.nonce[..],
                    &hex_field(t, "nonce")[..],
                    "{what}: nonce"
                );
                let aad = [&bytes[..blob::HEADER_LEN], &canonical[..]].concat();
                assert_eq!(hex_field(t, "aad"), aad, "{what}: aad");
                let again = blob::seal(&header, &cmk.versions[&version], &canonical, &msg);
                assert_eq!(again, bytes, "{what}: not reproduced by blob::seal");
            }
            "invalid" => assert!(opened.is_none(), "{what}: opened"),
            other => panic!("{what}: result {other:?}"),
        }
    })
}

fn sm4_block(key: &[u8], block: &[u8]) -> Vec<u8> {
    use sm4::cipher::{BlockEncrypt, KeyInit};
    let c = sm4::Sm4::new_from_slice(key).unwrap();
    let mut b = sm4::cipher::generic_array::GenericArray::clone_from_slice(block);
    c.encrypt_block(&mut b);
    b.to_vec()
}

/// Checks the SM4 / SM4-GCM file; returns how many tests it replayed.
fn replay_sm4_file(name: &str, file: &Value) -> usize {
    assert_two_confirmations_per_cipher(name, file);
    walk_tests(name, file, |g, t, what| {
        let key = hex_field(t, "key");
        let msg = hex_field(t, "msg");
        let valid = match t["result"].as_str().unwrap() {
            "valid" => true,
            "invalid" => false,
            other => panic!("{what}: result {other:?}"),
        };
        match g["type"].as_str().unwrap() {
            "Sm4BlockTest" => {
                assert!(valid, "{what}: block tests are all valid");
                let mut x = msg;
                for _ in 0..t["iterations"].as_u64().unwrap() {
                    x = sm4_block(&key, &x);
                }
                assert_eq!(x, hex_field(t, "ct"), "{what}");
            }
            "AeadTest" => {
                assert_eq!(
                    (g["ivSize"].as_u64(), g["tagSize"].as_u64()),
                    (Some(96), Some(128))
                );
                let key = SecretBytes::new(key);
                let iv: [u8; 12] = hex_field(t, "iv").try_into().unwrap();
                let aad = hex_field(t, "aad");
                let ct_tag = [hex_field(t, "ct"), hex_field(t, "tag")].concat();
                let opened = cmk::open(CmkCipher::Sm4Gcm, &key, &iv, &aad, &ct_tag);
                if valid {
                    assert_eq!(opened.unwrap().expose(), &msg[..], "{what}");
                    assert_eq!(
                        cmk::seal(CmkCipher::Sm4Gcm, &key, &iv, &aad, &msg),
                        ct_tag,
                        "{what}: not reproduced by cmk::seal"
                    );
                } else {
                    assert!(opened.is_err(), "{what}: opened");
                }
            }
            other => panic!("{what}: group type {other}"),
        }
    })
}

/// What the CiphertextBlob file must keep covering, so cases cannot quietly disappear.
#[test]
fn blob_file_covers_the_cases() {
    let path = Path::new(REPO).join("test-vectors/ciphertext_blob_v1.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let groups = file["testGroups"].as_array().unwrap();
    let ciphers: BTreeSet<u64> = groups
        .iter()
        .map(|g| g["cipherByte"].as_u64().unwrap())
        .collect();
    assert_eq!(ciphers, BTreeSet::from([1, 2]), "both ciphers");
    for g in groups {
        let cipher = g["cipher"].as_str().unwrap();
        let mut valid = BTreeSet::new();
        let mut invalid = BTreeSet::new();
        let mut sizes = BTreeSet::new();
        let mut versions = BTreeSet::new();
        for t in g["tests"].as_array().unwrap() {
            let set = if t["result"] == "valid" {
                sizes.insert(t["msg"].as_str().unwrap().len() / 2);
                versions.insert(t["keyVersion"].as_u64().unwrap());
                &mut valid
            } else {
                &mut invalid
            };
            for f in t["flags"].as_array().unwrap() {
                set.insert(f.as_str().unwrap().to_string());
            }
        }
        for f in [
            "NoContext",
            "EmptyContext",
            "ContextOrder",
            "NonAsciiKeys",
            "KeyVersion",
        ] {
            assert!(valid.contains(f), "{cipher}: no valid {f} case");
        }
        for len in [1, 16, 32, 1024, 4096] {
            assert!(sizes.contains(&len), "{cipher}: no {len}-byte plaintext");
        }
        assert!(versions.len() >= 2, "{cipher}: one key version only");
        for f in [
            "BadVersion",
            "BadCipher",
            "ModifiedKeyId",
            "ModifiedKeyVersion",
            "ModifiedNonce",
            "ModifiedCiphertext",
            "ModifiedTag",
            "Truncated",
            "TrailingBytes",
            "WrongContext",
        ] {
            assert!(invalid.contains(f), "{cipher}: no invalid {f} case");
        }
    }
}

/// Runs `tests/vectors/confirm.py` over the CiphertextBlob and SM4 files and holds each
/// file to its `confirmedBy`: every named implementation checks every test of the
/// ciphers it claims (skips only where the script says why), none disagrees with any
/// test, and every valid test is confirmed by at least two of them (one for a test
/// only one can afford to run, such as 1,000,000 SM4 iterations).
#[test]
fn blob_and_sm4_files_are_confirmed_by_the_implementations_they_name() {
    let python =
        std::env::var("SMKMS_PYTHON").unwrap_or_else(|_| format!("{REPO}/.venv/bin/python"));
    let ok = Command::new(&python)
        .args([
            "-c",
            "import cryptography, gmssl.sm4, Cryptodome.Cipher.AES",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "Python with cryptography, gmssl and pycryptodomex ({python}; set SMKMS_PYTHON): \
         python3 -m venv .venv && .venv/bin/pip install -r tests/python/requirements.txt"
    );
    let files: Vec<(PathBuf, Value)> = vector_files()
        .into_iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, v)
        })
        .filter(|(_, v)| {
            let s = v["schema"].as_str().unwrap_or("");
            s.starts_with(BLOB_SCHEMA) || s.starts_with(SM4_SCHEMA)
        })
        .collect();
    assert_eq!(files.len(), 2, "the CiphertextBlob and SM4 files");
    let out = Command::new(&python)
        .arg(Path::new(REPO).join("tests/vectors/confirm.py"))
        .args(files.iter().map(|(p, _)| p))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "confirm.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (path, file) in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let r = &report[path.to_str().unwrap()];
        let known: BTreeSet<&str> = r["implementations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap())
            .collect();
        let named: Vec<(&str, BTreeSet<&str>)> = file["confirmedBy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let id = c["id"].as_str().unwrap();
                assert!(known.contains(id), "{name}: confirm.py has no {id}");
                let ciphers = c["ciphers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect();
                (id, ciphers)
            })
            .collect();
        let mut confirmed_by: BTreeMap<&str, usize> = BTreeMap::new();
        for g in file["testGroups"].as_array().unwrap() {
            let cipher = g["cipher"].as_str().unwrap();
            for t in g["tests"].as_array().unwrap() {
                let id = t["tcId"].to_string();
                let what = format!("{name} tcId {id} ({})", t["comment"].as_str().unwrap());
                let c = &r["tests"][&id];
                assert_eq!(c["result"], t["result"], "{what}");
                let disagreed = c["disagreed"].as_array().unwrap();
                assert!(disagreed.is_empty(), "{what}: {disagreed:?}");
                let confirmed: BTreeSet<&str> = c["confirmed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap())
                    .collect();
                let skipped: Vec<&str> = c["skipped"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                for (imp, ciphers) in &named {
                    if !ciphers.contains(cipher) {
                        continue;
                    }
                    let skip = skipped.iter().any(|s| s.starts_with(&format!("{imp}:")));
                    assert!(
                        confirmed.contains(imp) || skip,
                        "{what}: {imp} did not check it"
                    );
                    if confirmed.contains(imp) {
                        *confirmed_by.entry(imp).or_default() += 1;
                    }
                }
                let needed = if skipped.is_empty() { 2 } else { 1 };
                assert!(
                    confirmed.len() >= needed,
                    "{what}: confirmed by {confirmed:?} only"
                );
            }
        }
        for (imp, _) in &named {
            assert!(
                confirmed_by.get(imp).copied().unwrap_or(0) > 0,
                "{name}: {imp} confirmed nothing"
            );
        }
        eprintln!("{name}: confirmed {confirmed_by:?}");
    }
}

/// SM2DSA signature file: each test is a verification through `crypto::asym` (what
/// VerifyByAsymmetricKey runs) with the group's public key, read both from its PEM and
/// from its hex point: RAW over msg, and for valid tests DIGEST over e (which must be
/// SM3(Z_A ‖ msg)); a valid test must also verify under no other message. The
/// implementations in `confirmedBy` are run by tests/asym_interop.rs.
fn replay_sm2_signature_file(name: &str, file: &Value) -> usize {
    use smkms::crypto::asym::{Message, PublicKey, SignAlgorithm};
    use smkms::crypto::keyfile::{parse_public_pem, PublicKey as Parsed};
    let mut count = 0;
    let mut flags = BTreeSet::new();
    for g in file["testGroups"].as_array().unwrap() {
        assert_eq!(g["type"], "Sm2SignatureVerify", "{name}");
        assert_eq!(g["uid"], "1234567812345678", "{name}");
        let pem = g["publicKeyPem"].as_str().unwrap();
        let Ok(Parsed::Sm2(point)) = parse_public_pem(pem) else {
            panic!("{name}: publicKeyPem is not an SM2 key");
        };
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let key = PublicKey::from_spki_der(&der).unwrap();
        {
            use sm2::elliptic_curve::sec1::ToEncodedPoint;
            assert_eq!(
                hex::encode(point.to_encoded_point(false).as_bytes()),
                g["publicKeyHex"].as_str().unwrap(),
                "{name}: publicKeyHex and publicKeyPem differ"
            );
        }
        for t in g["tests"].as_array().unwrap() {
            let what = format!("{name} tcId {} ({})", t["tcId"], t["comment"]);
            let msg = hex_field(t, "msg");
            let sig = hex_field(t, "sig");
            let valid = match t["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("{what}: result {other}"),
            };
            let alg = SignAlgorithm::Sm2Dsa;
            assert_eq!(key.verify(alg, Message::Raw(&msg), &sig), valid, "{what}");
            if valid {
                let e = hex_field(t, "e");
                assert!(
                    key.verify(alg, Message::Digest(&e), &sig),
                    "{what}: DIGEST e"
                );
                let mut other = msg.clone();
                other.push(0);
                assert!(!key.verify(alg, Message::Raw(&other), &sig), "{what}");
            }
            for f in t["flags"].as_array().unwrap() {
                flags.insert(f.as_str().unwrap().to_string());
            }
            count += 1;
        }
    }
    for f in [
        "AnnexA",
        "WrongId",
        "RangeR",
        "RangeS",
        "MalleatedS",
        "TrailingBytes",
        "TruncatedDer",
        "NonCanonicalDer",
        "BerLength",
        "LeadingZeroR",
        "LeadingZeroS",
        "TopBitR",
        "TopBitS",
    ] {
        assert!(flags.contains(f), "{name}: no test flagged {f}");
    }
    assert_eq!(
        count,
        file["numberOfTests"].as_u64().unwrap() as usize,
        "{name}"
    );
    count
}
