//! The audit trail, through the real binary: what a record holds (and never holds),
//! `smkms audit verify` on a clean trail across rotations and on each kind of tamper,
//! fail-closed on a trail that cannot be written, SIGKILL under load, and chain-head
//! signatures checked by OpenSSL and by Python gmssl.
//!
//! The fault tests need root (chattr +i, mount), as tests/faults.rs does.

mod common;
use common::postgres;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn sm2_pub() -> String {
    std::fs::read_to_string(format!("{REPO}/src/crypto/deliver/testdata/sm2.pub")).unwrap()
}

/// The trail's files in `dir`, by name.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    v.sort();
    v
}

/// Every record of the trail in `dir`, in order: whole lines, up to the zeros a file
/// the server did not close ends with (a line a SIGKILL cut is left out).
fn records(dir: &Path) -> Vec<Value> {
    files(dir)
        .iter()
        .flat_map(|f| {
            let mut bytes = std::fs::read(f).unwrap();
            bytes.truncate(smkms::audit::records_end(&bytes));
            String::from_utf8_lossy(&bytes)
                .split_inclusive('\n')
                .filter(|l| l.ends_with('\n'))
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect()
}

/// `smkms audit ARGS`: (success, stdout, stderr).
fn audit(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin())
        .arg("audit")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verify_dir(dir: &Path, public_key: Option<&Path>) -> (bool, String, String) {
    let mut args = vec!["verify", "--dir", dir.to_str().unwrap()];
    if let Some(k) = public_key {
        args.extend(["--public-key", k.to_str().unwrap()]);
    }
    audit(&args)
}

fn public_key(data: &Path) -> PathBuf {
    let (ok, pem, err) = audit(&["public-key", "--data", data.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
    let path = data.join("audit-public.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn records_name_who_did_what_to_which_key_and_hold_no_secret() {
    let (dir, mut server, cred) = fresh();
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "audited"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let context = r#"{"patient":"secret-diagnosis-value"}"#;
    let enc = c.ok(
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "c2VjcmV0IHBheWxvYWQgYnl0ZXM=", "EncryptionContext": context}),
    );
    let dec = c.ok(
        "Decrypt",
        json!({"CiphertextBlob": enc["CiphertextBlob"], "EncryptionContext": context}),
    );
    let gdk = c.ok(
        "GenerateDataKey",
        json!({"KeyId": key, "NumberOfBytes": 32, "EncryptionPublicKey": sm2_pub(),
               "EncryptionAlgorithm": "SM2_C1C3C2_ASN1"}),
    );
    let hosted = c.ok(
        "GenerateDataKey",
        json!({"KeyId": key, "NumberOfBytes": 32, "IsHostedByKms": 1, "DataKeyName": "dk-audited"}),
    );
    let dk_id = hosted["DataKeyId"].as_str().unwrap().to_string();
    // A bad signature, and an unknown SecretId.
    let mut wrong = cred.clone();
    wrong.secret_key = "not-the-secret-key-at-all".into();
    let bad_sig = Client::new(server.addr, &wrong).call("DescribeKey", json!({"KeyId": key}));
    let mut stranger = cred.clone();
    stranger.secret_id = "AKIDnobodyhasthisidatall0000000000".into();
    let unknown = Client::new(server.addr, &stranger).call("DescribeKey", json!({"KeyId": key}));
    assert_eq!(server.stop(), Some(0));

    let audit_dir = dir.path().join("audit");
    assert_eq!(mode(&audit_dir), 0o700);
    for f in files(&audit_dir) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    let recs = records(&audit_dir);
    let by_id = |id: &Value| -> Value {
        recs.iter()
            .find(|r| r["request_id"] == *id)
            .unwrap_or_else(|| panic!("no record of {id}"))
            .clone()
    };
    let r = by_id(&gdk["RequestId"]);
    assert_eq!(r["kind"], "request");
    assert_eq!(r["dialect"], "tencent");
    assert_eq!(r["action"], "GenerateDataKey");
    assert_eq!(r["account"], cred.uin.to_string());
    assert_eq!(r["secret_id"], cred.secret_id.as_str());
    assert!(
        r["source"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{r}"
    );
    assert_eq!(r["key_ids"], json!([key]));
    assert_eq!(r["result"], "ok");
    assert_eq!(r["delivery"], "SM2_C1C3C2_ASN1");
    assert_eq!(
        by_id(&dec["RequestId"])["key_ids"],
        json!([key]),
        "the blob's key"
    );
    assert_eq!(by_id(&hosted["RequestId"])["data_key_ids"], json!([dk_id]));
    let r = by_id(&bad_sig["RequestId"]);
    assert_eq!(r["result"], "AuthFailure.SignatureFailure");
    assert_eq!(r["account"], Value::Null);
    assert_eq!(r["action"], "DescribeKey");
    let r = by_id(&unknown["RequestId"]);
    assert_eq!(r["result"], "AuthFailure.SecretIdNotFound");
    assert_eq!(r["secret_id"], Value::Null, "not authenticated");

    // No secret of any kind: the SecretKey, plaintexts (base64 and hex), data keys, the
    // delivered ciphertext, the context's value and key.
    let text: String = files(&audit_dir)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let mut secrets = vec![
        cred.secret_key.clone(),
        "c2VjcmV0IHBheWxvYWQgYnl0ZXM=".into(),
        hex::encode("secret payload bytes"),
        "secret-diagnosis-value".into(),
        "patient".into(),
        gdk["Plaintext"].as_str().unwrap().into(),
        hosted["Plaintext"].as_str().unwrap().into(),
        enc["CiphertextBlob"].as_str().unwrap().into(),
        "not-the-secret-key-at-all".into(),
    ];
    secrets.push(dec["Plaintext"].as_str().unwrap().into());
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "the trail holds {s}");
    }
    let (ok, out, err) = audit(&["verify", "--data", dir.path().to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("intact") && out.contains("signed heads"),
        "{out}"
    );
}

/// A trail of several files (small max_file_bytes), two server runs; returns the data
/// directory, the public key file and the trail's directory.
fn rotated_trail() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, mut server, cred) =
        fresh_with_config("[audit]\nmax_file_bytes = 4096\nsign_interval_secs = 1\n");
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "k"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..40 {
        c.ok("Encrypt", json!({"KeyId": key, "Plaintext": "aGVsbG8="}));
        if i == 20 {
            // Long enough for a timed head.
            std::thread::sleep(std::time::Duration::from_millis(1200));
        }
    }
    assert_eq!(server.stop(), Some(0));
    let config = dir.path().join("smkms.toml");
    let mut server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    server
        .client(&cred)
        .ok("DescribeKey", json!({"KeyId": key}));
    assert_eq!(server.stop(), Some(0));
    let key_file = public_key(dir.path());
    let trail = dir.path().join("audit");
    (dir, key_file, trail)
}

/// A copy of `trail` to tamper with.
fn copy_of(trail: &Path) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for f in files(trail) {
        std::fs::copy(&f, t.path().join(f.file_name().unwrap())).unwrap();
    }
    t
}

fn lines_of(f: &Path) -> Vec<String> {
    std::fs::read_to_string(f)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(f: &Path, lines: &[String]) {
    std::fs::write(
        f,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

#[test]
fn verify_passes_across_rotations_and_names_each_tamper() {
    let (_dir, key, trail) = rotated_trail();
    let all = files(&trail);
    assert!(all.len() >= 4, "rotation made {} files", all.len());
    let (ok, out, err) = verify_dir(&trail, Some(&key));
    assert!(ok, "{err}");
    let recs = records(&trail);
    let heads = recs.iter().filter(|r| r["kind"] == "head").count();
    assert!(
        heads >= all.len(),
        "a head per rotation and shutdown: {heads}"
    );
    assert!(
        out.contains(&format!("{heads} signed heads ({heads} verified)")),
        "{out}"
    );
    let name = |i: usize| all[i].file_name().unwrap().to_str().unwrap().to_string();

    let expect_bad = |t: &tempfile::TempDir, file: &str, line: Option<usize>, what: &str| {
        let (ok, _, err) = verify_dir(t.path(), Some(&key));
        assert!(!ok, "{what}: verify passed");
        assert!(err.contains(file), "{what}: {err}");
        if let Some(l) = line {
            assert!(err.contains(&format!("line {l}:")), "{what}: {err}");
        }
        assert!(err.contains("BAD"), "{err}");
    };

    // A line deleted from the middle of the second file.
    let t = copy_of(&trail);
    let f = t.path().join(name(1));
    let mut l = lines_of(&f);
    l.remove(3);
    write_lines(&f, &l);
    expect_bad(&t, &name(1), Some(4), "deleted line");

    // A field edited (the result of a request).
    let t = copy_of(&trail);
    let f = t.path().join(name(1));
    let mut l = lines_of(&f);
    l[2] = l[2].replace("\"result\":\"ok\"", "\"result\":\"Nope\"");
    write_lines(&f, &l);
    expect_bad(&t, &name(1), Some(4), "edited field");

    // Two lines swapped.
    let t = copy_of(&trail);
    let f = t.path().join(name(1));
    let mut l = lines_of(&f);
    l.swap(2, 3);
    write_lines(&f, &l);
    expect_bad(&t, &name(1), Some(3), "swapped lines");

    // The last line cut short.
    let t = copy_of(&trail);
    let last = t.path().join(name(all.len() - 1));
    let bytes = std::fs::read(&last).unwrap();
    std::fs::write(&last, &bytes[..bytes.len() - 20]).unwrap();
    let n = lines_of(&last).len();
    expect_bad(&t, &name(all.len() - 1), Some(n), "truncated last line");

    // A file in the middle deleted.
    let t = copy_of(&trail);
    std::fs::remove_file(t.path().join(name(1))).unwrap();
    expect_bad(&t, &name(2), None, "deleted file");
    let (_, _, err) = verify_dir(t.path(), Some(&key));
    assert!(err.contains(&format!("{} is missing", name(1))), "{err}");

    // A forged head: signed by another key, its chain hashes recomputed so that only
    // the signature is wrong.
    let t = copy_of(&trail);
    let f = t.path().join(name(0));
    let mut l = lines_of(&f);
    let at = l
        .iter()
        .position(|x| x.contains("\"kind\":\"head\""))
        .unwrap();
    let mut head: serde_json::Map<String, Value> = serde_json::from_str(&l[at]).unwrap();
    let other = smkms::crypto::sm2::sign::SigningKey::generate();
    let sig = other.sign(head["prev"].as_str().unwrap().as_bytes());
    head.insert("sig".into(), smkms::b64::encode(&sig).into());
    l[at] = serde_json::to_string(&head).unwrap();
    write_lines(&f, &l);
    rechain(t.path());
    expect_bad(&t, &name(0), Some(at + 1), "forged head");
    let (ok, _, err) = verify_dir(t.path(), None);
    assert!(ok, "without a key, a rechained trail passes: {err}");
}

/// Recomputes every `prev` in `dir`: what an attacker who rewrites the whole trail can
/// do, and what only the signatures catch.
fn rechain(dir: &Path) {
    let mut prev = "0".repeat(64);
    for f in files(dir) {
        let mut out = Vec::new();
        for l in lines_of(&f) {
            let mut v: serde_json::Map<String, Value> = serde_json::from_str(&l).unwrap();
            v.insert("prev".into(), prev.clone().into());
            let line = serde_json::to_string(&v).unwrap();
            prev = smkms::audit::record::hash_line(line.as_bytes());
            out.push(line);
        }
        write_lines(&f, &out);
    }
}

/// Sets or clears the immutable flag (needs root); cleared on drop.
struct Immutable(PathBuf);

impl Immutable {
    fn set(p: &Path) -> Immutable {
        let st = Command::new("chattr").arg("+i").arg(p).status();
        assert!(
            st.map(|s| s.success()).unwrap_or(false),
            "chattr +i {} failed: this test needs root and a filesystem with inode flags",
            p.display()
        );
        Immutable(p.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn an_unwritable_trail_refuses_requests_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let mut server = Server::start_with(dir.path(), &["--admin-listen", "127.0.0.1:0"]);
    let admin: std::net::SocketAddr = server
        .banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("smkms admin listening on http://"))
        .expect("the admin address is printed")
        .parse()
        .unwrap();
    let readyz = || {
        let r = raw(
            admin,
            b"GET /readyz HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n",
        );
        (r.status, String::from_utf8_lossy(&r.body).into_owned())
    };
    assert_eq!(readyz().0, 200);
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "k"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let trail = dir.path().join("audit");
    let current = files(&trail).pop().unwrap();
    let frozen = Immutable::set(&current);
    for _ in 0..3 {
        let r = c.call("Encrypt", json!({"KeyId": key, "Plaintext": "aGk="}));
        assert_eq!(r["Error"]["Code"], "InternalError", "{r}");
        assert!(r.get("CiphertextBlob").is_none());
    }
    let r = c.call("CreateKey", json!({"Alias": "unaudited"}));
    assert_eq!(r["Error"]["Code"], "InternalError", "{r}");
    let (status, why) = readyz();
    assert_eq!(status, 503, "{why}");
    assert!(
        why.contains("audit"),
        "/readyz names the audit trail: {why}"
    );
    drop(frozen);
    // The writer retries every second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = c.call("Encrypt", json!({"KeyId": key, "Plaintext": "aGk="}));
        if r.get("Error").is_none() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never recovered: {r}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(readyz().0, 200, "ready again once the trail is writable");
    assert!(c.call("DescribeKey", json!({"KeyId": "x"}))["Error"]["Code"] != "InternalError");
    assert_eq!(server.stop(), Some(0));
    let recs = records(&trail);
    assert!(
        recs.iter().any(|r| r["kind"] == "resumed"),
        "the outage is recorded"
    );
    assert!(!recs.iter().any(|r| r["action"] == "CreateKey"
        && r["result"] == "ok"
        && r["key_ids"].as_array().unwrap().is_empty()),);
    let (ok, _, err) = verify_dir(&trail, Some(&public_key(dir.path())));
    assert!(ok, "{err}");
}

/// A tmpfs mounted over a directory (needs root); unmounted on drop.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_audit_disk_refuses_requests_and_recovers() {
    let outer = tempfile::tempdir().unwrap();
    let mnt = outer.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mnt)
        .status();
    assert!(st.map(|s| s.success()).unwrap_or(false), "mount needs root");
    let _mount = Mount(mnt.clone());
    let trail = mnt.join("audit");
    let (dir, mut server, cred) =
        fresh_with_config(&format!("[audit]\ndir = \"{}\"\n", trail.display()));
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "k"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let filler = mnt.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k"])
        .arg(format!("of={}", filler.display()))
        .output();
    let mut refused = 0;
    for _ in 0..200 {
        let r = c.call("Encrypt", json!({"KeyId": key, "Plaintext": "aGk="}));
        match r["Error"]["Code"].as_str() {
            None => {}
            Some("InternalError") => refused += 1,
            Some(other) => panic!("{other}: {r}"),
        }
        if refused >= 3 {
            break;
        }
    }
    assert!(refused >= 3, "requests kept being served on a full disk");
    std::fs::remove_file(&filler).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while c
        .call("Encrypt", json!({"KeyId": key, "Plaintext": "aGk="}))
        .get("Error")
        .is_some()
    {
        assert!(std::time::Instant::now() < deadline, "never recovered");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(server.stop(), Some(0));
    let (ok, _, err) = verify_dir(&trail, Some(&public_key(dir.path())));
    assert!(ok, "{err}");
}

#[test]
fn sigkill_under_load_loses_no_answered_request() {
    let (dir, mut server, cred) = fresh();
    let c = server.client(&cred);
    let key = c.ok("CreateKey", json!({"Alias": "k"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let c = server.client(&cred);
            let key = key.clone();
            let answered = answered.clone();
            std::thread::spawn(move || {
                for _ in 0..100_000 {
                    let req = c.prepare(
                        "GenerateDataKey",
                        &json!({"KeyId": key, "NumberOfBytes": 32}),
                    );
                    let Ok(resp) =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.send(&req)))
                    else {
                        return;
                    };
                    let v = resp.json()["Response"].clone();
                    answered
                        .lock()
                        .unwrap()
                        .push(v["RequestId"].as_str().unwrap().to_string());
                }
            })
        })
        .collect();
    let target = 100 + smkms::crypto::random::u64_below(200) as usize;
    while answered.lock().unwrap().len() < target {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.kill9();
    for w in workers {
        let _ = w.join();
    }
    let trail = dir.path().join("audit");
    let ids: std::collections::HashSet<String> = records(&trail)
        .iter()
        .filter_map(|r| r["request_id"].as_str().map(str::to_string))
        .collect();
    let answered = answered.lock().unwrap().clone();
    for id in &answered {
        assert!(
            ids.contains(id),
            "answered request {id} is not in the trail"
        );
    }
    // A restart continues the chain (declaring a torn last line, if the kill left one).
    let mut server = Server::start(dir.path());
    server
        .client(&cred)
        .ok("DescribeKey", json!({"KeyId": key}));
    assert_eq!(server.stop(), Some(0));
    let (ok, out, err) = verify_dir(&trail, Some(&public_key(dir.path())));
    assert!(ok, "{err}");
    assert!(out.contains("intact"), "{out}");
}

/// Each head's signature, checked by OpenSSL's CLI and by Python gmssl: neither shares
/// code with smkms.
#[test]
fn chain_head_signatures_verify_with_openssl_and_gmssl() {
    let (dir, key, trail) = rotated_trail();
    let heads: Vec<Value> = records(&trail)
        .into_iter()
        .filter(|r| r["kind"] == "head")
        .collect();
    assert!(heads.len() >= 3);
    let work = tempfile::tempdir().unwrap();
    let openssl = std::env::var("SMKMS_OPENSSL").unwrap_or_else(|_| "openssl".into());
    let python =
        std::env::var("SMKMS_PYTHON").unwrap_or_else(|_| format!("{REPO}/.venv/bin/python"));
    let mut gmssl_input = String::new();
    for (i, h) in heads.iter().enumerate() {
        let msg = work.path().join(format!("msg{i}"));
        let sig = work.path().join(format!("sig{i}"));
        let prev = h["prev"].as_str().unwrap();
        std::fs::write(&msg, prev).unwrap();
        let der = smkms::b64::decode(h["sig"].as_str().unwrap()).unwrap();
        std::fs::write(&sig, &der).unwrap();
        gmssl_input.push_str(&format!("{prev} {}\n", hex::encode(&der)));
        for (m, expect) in [(prev.to_string(), true), (format!("{prev}0"), false)] {
            std::fs::write(&msg, m).unwrap();
            let out = Command::new(&openssl)
                .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
                .arg(&key)
                .args(["-rawin", "-in"])
                .arg(&msg)
                .arg("-sigfile")
                .arg(&sig)
                .args(["-digest", "sm3", "-pkeyopt", "distid:1234567812345678"])
                .output()
                .expect("the OpenSSL CLI (set SMKMS_OPENSSL)");
            let said = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                said.contains("Signature Verified Successfully"),
                expect,
                "openssl on head {i}: {said}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let out = Command::new(&python)
        .arg(format!("{REPO}/tests/audit/verify_heads.py"))
        .arg(&key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(gmssl_input.as_bytes())?;
            child.wait_with_output()
        })
        .expect("Python with gmssl (set SMKMS_PYTHON; see tests/python/requirements.txt)");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(said.matches("OK").count(), heads.len(), "{said}");
    assert!(!said.contains("BAD"), "{said}");
    drop(dir);

    // The other direction: what `audit verify` accepts is what OpenSSL signs.
    let sk = work.path().join("sk.pem");
    let pk = work.path().join("pk.pem");
    let run = |args: &[&str]| {
        let out = Command::new(&openssl).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["genpkey", "-algorithm", "SM2", "-out", sk.to_str().unwrap()]);
    run(&[
        "pkey",
        "-in",
        sk.to_str().unwrap(),
        "-pubout",
        "-out",
        pk.to_str().unwrap(),
    ]);
    let verifier =
        smkms::crypto::sm2::sign::PublicKey::from_pem(&std::fs::read_to_string(&pk).unwrap())
            .unwrap();
    for i in 0..8 {
        let msg = work.path().join("m");
        let sig = work.path().join("s");
        let text = format!("{i:064x}");
        std::fs::write(&msg, &text).unwrap();
        run(&[
            "pkeyutl",
            "-sign",
            "-inkey",
            sk.to_str().unwrap(),
            "-rawin",
            "-in",
            msg.to_str().unwrap(),
            "-out",
            sig.to_str().unwrap(),
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        ]);
        let der = std::fs::read(&sig).unwrap();
        assert!(
            verifier.verify(text.as_bytes(), &der),
            "OpenSSL signature {i}"
        );
        assert!(!verifier.verify(format!("{text}0").as_bytes(), &der));
    }
}

/// Replicas on one PostgreSQL database, sharing an audit directory: one signing key
/// (either replica prints the same public key), one chain each, both verified.
#[test]
fn replicas_share_the_signing_key_and_write_their_own_chains() {
    let url = postgres::shared_url();
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let cred = create_credential_with(a_dir.path(), &["--store", &url]);
    std::fs::copy(a_dir.path().join("root.key"), b_dir.path().join("root.key")).unwrap();
    let shared = tempfile::tempdir().unwrap();
    let trail = shared.path().join("trail");
    let config = shared.path().join("smkms.toml");
    std::fs::write(&config, format!("[audit]\ndir = \"{}\"\n", trail.display())).unwrap();
    let args = ["--store", &url, "--config", config.to_str().unwrap()];
    let mut a = Server::start_with(a_dir.path(), &args);
    let mut b = Server::start_with(b_dir.path(), &args);
    let key = a.client(&cred).ok("CreateKey", json!({"Alias": "shared"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    for s in [&a, &b] {
        s.client(&cred)
            .ok("Encrypt", json!({"KeyId": key, "Plaintext": "aGk="}));
    }
    assert_eq!(a.stop(), Some(0));
    assert_eq!(b.stop(), Some(0));
    let pem = |data: &Path| {
        let (ok, pem, err) = audit(&[
            "public-key",
            "--data",
            data.to_str().unwrap(),
            "--store",
            &url,
        ]);
        assert!(ok, "{err}");
        pem
    };
    let pem_a = pem(a_dir.path());
    assert_eq!(pem_a, pem(b_dir.path()), "one key for every replica");
    let key_file = shared.path().join("audit.pem");
    std::fs::write(&key_file, pem_a).unwrap();
    let replicas: std::collections::BTreeSet<String> = records(&trail)
        .iter()
        .map(|r| r["replica"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(replicas.len(), 2, "{replicas:?}");
    let (ok, out, err) = verify_dir(&trail, Some(&key_file));
    assert!(ok, "{err}");
    assert_eq!(out.matches("replica ").count(), 2, "{out}");
    assert!(out.contains("(1 verified)"), "{out}");
}
