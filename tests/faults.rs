//! Faults: a tampered or swapped sealed record, SIGKILL during a mixed write load, and
//! a data directory that fills up or turns read-only.
//!
//! A data directory turning read-only *while the server runs* is simulated with the
//! immutable inode flag (`chattr +i`): Linux refuses `mount -o remount,ro` while files
//! are open for writing (EBUSY), but an immutable file refuses writes even through
//! descriptors opened before, as a filesystem the kernel remounted read-only does.

mod common;
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn start_fails(data: &std::path::Path) -> String {
    let out = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the server started on a tampered database"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn db(data: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data.join("smkms.db")).unwrap()
}

#[test]
fn a_tampered_or_swapped_sealed_record_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let cred = create_credential(data, None);
    let mut server = Server::start(data);
    let c = server.client(&cred);
    let a = c.ok("CreateKey", json!({"Alias": "a"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let b = c.ok("CreateKey", json!({"Alias": "b"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(server.stop(), Some(0));
    let sealed = |id: &str| -> Vec<u8> {
        db(data)
            .query_row(
                "SELECT sealed FROM cmk_material WHERE key_id=?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };
    let (sa, sb) = (sealed(&a), sealed(&b));

    // Swap the two keys' material: each still opens under the root key, but not under
    // the other row's identity.
    let conn = db(data);
    conn.execute(
        "UPDATE cmk_material SET sealed=?1 WHERE key_id=?2",
        rusqlite::params![sb, a],
    )
    .unwrap();
    conn.execute(
        "UPDATE cmk_material SET sealed=?1 WHERE key_id=?2",
        rusqlite::params![sa, b],
    )
    .unwrap();
    drop(conn);
    let err = start_fails(data);
    assert!(
        err.contains("does not open") && err.contains("material"),
        "{err}"
    );

    // Put them back: the server starts again.
    let conn = db(data);
    conn.execute(
        "UPDATE cmk_material SET sealed=?1 WHERE key_id=?2",
        rusqlite::params![sa, a],
    )
    .unwrap();
    conn.execute(
        "UPDATE cmk_material SET sealed=?1 WHERE key_id=?2",
        rusqlite::params![sb, b],
    )
    .unwrap();
    drop(conn);
    let mut server = Server::start(data);
    server
        .client(&cred)
        .ok("Encrypt", json!({"KeyId": a, "Plaintext": "aGk="}));
    assert_eq!(server.stop(), Some(0));

    // One flipped bit in a sealed value.
    let mut flipped = sa.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    db(data)
        .execute(
            "UPDATE cmk_material SET sealed=?1 WHERE key_id=?2",
            rusqlite::params![flipped, a],
        )
        .unwrap();
    let err = start_fails(data);
    assert!(err.contains(&a), "{err}");
    db(data)
        .execute(
            "UPDATE cmk_material SET sealed=?1 WHERE key_id=?2",
            rusqlite::params![sa, a],
        )
        .unwrap();

    // A credential's secret moved to another credential's row.
    let other = create_credential(data, Some(cred.uin));
    let secret_of = |id: &str| -> Vec<u8> {
        db(data)
            .query_row(
                "SELECT sealed_secret FROM credentials WHERE secret_id=?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };
    let moved = secret_of(&cred.secret_id);
    db(data)
        .execute(
            "UPDATE credentials SET sealed_secret=?1 WHERE secret_id=?2",
            rusqlite::params![moved, other.secret_id],
        )
        .unwrap();
    let err = start_fails(data);
    assert!(err.contains(&other.secret_id), "{err}");
}

/// Writes of several kinds from several threads, SIGKILLed at a random point (by count
/// of acknowledged writes); after a restart every acknowledged write is there.
#[test]
fn sigkill_during_a_mixed_write_load() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let cred = create_credential(data, None);
    let mut server = Server::start(data);
    let c = server.client(&cred);
    let cmk = c.ok("CreateKey", json!({"Alias": "root"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();

    #[derive(Default)]
    struct Acked {
        keys: HashMap<String, &'static str>,
        blobs: Vec<(String, String)>,
        data_keys: Vec<(String, String)>,
        count: usize,
    }
    let acked = Arc::new(Mutex::new(Acked::default()));
    let kill_after = 20 + smkms::crypto::random::u64_below(60) as usize;
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let c = server.client(&cred);
            let acked = acked.clone();
            let cmk = cmk.clone();
            std::thread::spawn(move || {
                let send = |action: &str, p: Value| -> Option<Value> {
                    let req = c.prepare(action, &p);
                    let resp = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.send(&req))).ok()?;
                    let v = resp.json()["Response"].clone();
                    assert!(v.get("Error").is_none(), "{action}: {v}");
                    Some(v)
                };
                for i in 0..10_000 {
                    let step = match i % 4 {
                        0 => send("CreateKey", json!({"Alias": format!("w{w}-{i}")})).map(|v| {
                            let id = v["KeyId"].as_str().unwrap().to_string();
                            acked.lock().unwrap().keys.insert(id, "Enabled");
                        }),
                        1 => {
                            let id = acked.lock().unwrap().keys.keys().find(|k| k.contains(&format!("{w}"))).cloned();
                            match id {
                                Some(id) if acked.lock().unwrap().keys[&id] == "Enabled" => send("DisableKey", json!({"KeyId": id}))
                                    .map(|_| { acked.lock().unwrap().keys.insert(id, "Disabled"); }),
                                _ => Some(()),
                            }
                        }
                        2 => {
                            let pt = B64.encode(format!("payload {w} {i}"));
                            send("Encrypt", json!({"KeyId": cmk, "Plaintext": pt})).map(|v| {
                                acked.lock().unwrap().blobs.push((v["CiphertextBlob"].as_str().unwrap().to_string(), pt));
                            })
                        }
                        _ => send("GenerateDataKey", json!({"KeyId": cmk, "NumberOfBytes": 32, "IsHostedByKms": 1, "DataKeyName": format!("dk-{w}-{i}")}))
                            .map(|v| {
                                acked.lock().unwrap().data_keys.push((v["DataKeyId"].as_str().unwrap().to_string(), v["Plaintext"].as_str().unwrap().to_string()));
                            }),
                    };
                    if step.is_none() {
                        return;
                    }
                    acked.lock().unwrap().count += 1;
                }
            })
        })
        .collect();
    while acked.lock().unwrap().count < kill_after {
        std::thread::yield_now();
    }
    server.kill9();
    for w in workers {
        let _ = w.join();
    }
    let acked = Arc::try_unwrap(acked).ok().unwrap().into_inner().unwrap();
    assert!(acked.count >= kill_after);

    let server = Server::start(data);
    let c = server.client(&cred);
    for (id, state) in &acked.keys {
        let m = c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
        // A DisableKey may have been applied but not acknowledged: a key acknowledged
        // Disabled must be Disabled; one acknowledged Enabled may be either.
        if *state == "Disabled" {
            assert_eq!(m["KeyState"], "Disabled", "{id}");
        }
    }
    for (blob, pt) in &acked.blobs {
        assert_eq!(
            c.ok("Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"].as_str(),
            Some(pt.as_str())
        );
    }
    for (id, pt) in &acked.data_keys {
        assert_eq!(
            c.ok("GetDataKeyPlaintext", json!({"DataKeyId": id}))["Plaintext"].as_str(),
            Some(pt.as_str())
        );
    }
}

/// A tmpfs mounted over a directory for the duration of a test (needs root, as CI is);
/// unmounted on drop even when the test fails.
struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(dir: &std::path::Path, size: &str) -> Mount {
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status();
        assert!(
            st.map(|s| s.success()).unwrap_or(false),
            "mounting a tmpfs failed: this test needs root (or CAP_SYS_ADMIN) to give the data directory a small filesystem"
        );
        Mount(dir.to_path_buf())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_data_directory_fails_writes_keeps_reads_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _mount = Mount::tmpfs(&mnt, "4m");
    let data = mnt.join("data");
    let cred = create_credential(&data, None);
    // The audit trail lives off the filesystem that fills: a full audit disk refuses
    // every request (tests/audit.rs), and this test is about the store's.
    let config = dir.path().join("smkms.toml");
    let trail = dir.path().join("audit");
    std::fs::write(&config, format!("[audit]\ndir = \"{}\"\n", trail.display())).unwrap();
    let server = Server::start_with(&data, &["--config", config.to_str().unwrap()]);
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "before"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let blob =
        c.ok("Encrypt", json!({"KeyId": key, "Plaintext": "aGk="}))["CiphertextBlob"].clone();

    // Fill the filesystem.
    let filler = mnt.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=64k"])
        .arg(format!("of={}", filler.display()))
        .output();
    let mut failed_writes = 0;
    for i in 0..200 {
        let r = c.call(
            "CreateKey",
            json!({"Alias": format!("full-{i}"), "Description": "x".repeat(1000)}),
        );
        match r["Error"]["Code"].as_str() {
            None => {}
            Some("InternalError") => failed_writes += 1,
            Some(other) => panic!("a write on a full disk answered {other}: {r}"),
        }
        if failed_writes >= 3 {
            break;
        }
    }
    assert!(
        failed_writes >= 3,
        "writes kept succeeding on a full filesystem"
    );
    // Reads keep working.
    c.ok("DescribeKey", json!({"KeyId": key}));
    c.ok("Decrypt", json!({"CiphertextBlob": blob}));
    // Space comes back: so do writes.
    std::fs::remove_file(&filler).unwrap();
    c.ok("CreateKey", json!({"Alias": "after-full"}));

    drop(server);
}

/// Sets or clears the immutable flag on `paths` (needs root, as CI is); cleared on drop.
struct Immutable(Vec<std::path::PathBuf>);

impl Immutable {
    fn set(paths: &[std::path::PathBuf]) -> Immutable {
        for p in paths {
            let st = Command::new("chattr").arg("+i").arg(p).status();
            assert!(
                st.map(|s| s.success()).unwrap_or(false),
                "chattr +i {} failed: this test needs root and a filesystem with inode flags (ext4, xfs, btrfs)",
                p.display()
            );
        }
        Immutable(paths.to_vec())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(p).status();
        }
    }
}

#[test]
fn a_data_directory_turning_read_only_fails_writes_keeps_reads_and_recovers() {
    // tempfile's directory is on the machine's disk (ext4 here), which has inode flags.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cred = create_credential(&data, None);
    let server = Server::start(&data);
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "before"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let blob =
        c.ok("Encrypt", json!({"KeyId": key, "Plaintext": "aGk="}))["CiphertextBlob"].clone();
    let files: Vec<_> = ["smkms.db", "smkms.db-wal"]
        .iter()
        .map(|f| data.join(f))
        .filter(|p| p.exists())
        .collect();
    assert!(!files.is_empty());
    let frozen = Immutable::set(&files);
    for i in 0..3 {
        let r = c.call("CreateKey", json!({"Alias": format!("frozen-{i}")}));
        assert_eq!(r["Error"]["Code"], "InternalError", "{r}");
        assert!(
            !r["Error"]["Message"].as_str().unwrap().contains("smkms.db"),
            "no paths to the client"
        );
    }
    let r = c.call("DisableKey", json!({"KeyId": key}));
    assert_eq!(r["Error"]["Code"], "InternalError", "{r}");
    c.ok("DescribeKey", json!({"KeyId": key}));
    c.ok("Decrypt", json!({"CiphertextBlob": blob}));
    drop(frozen);
    c.ok("CreateKey", json!({"Alias": "after-thaw"}));
    assert_eq!(
        c.ok("DescribeKey", json!({"KeyId": key}))["KeyMetadata"]["KeyState"],
        "Enabled"
    );
}
