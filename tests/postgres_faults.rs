//! Faults on a real PostgreSQL server of the test's own (tests/common/postgres.rs):
//! a replica SIGKILLed under a write load spread over two replicas, the database
//! stopped under load and started again, and a database too slow for the pool.

mod common;
use common::postgres::{psql, PgServer};
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PT: &str = "ZmF1bHQgdG9sZXJhbnQ=";

fn credential_on(data: &Path, url: &str) -> Cred {
    create_credential_with(data, &["--store", url])
}

/// Replica data directories sharing one root key, each with a config file.
fn replicas(url: &str, n: usize, config: &str) -> (Vec<tempfile::TempDir>, Vec<Server>, Cred) {
    let dirs: Vec<_> = (0..n).map(|_| tempfile::tempdir().unwrap()).collect();
    let cred = credential_on(dirs[0].path(), url);
    for d in &dirs[1..] {
        std::fs::copy(dirs[0].path().join("root.key"), d.path().join("root.key")).unwrap();
    }
    let servers = dirs
        .iter()
        .map(|d| {
            let file = d.path().join("smkms.toml");
            std::fs::write(&file, config).unwrap();
            Server::start_with(
                d.path(),
                &["--store", url, "--config", file.to_str().unwrap()],
            )
        })
        .collect();
    (dirs, servers, cred)
}

/// A request on a connection of its own, bounded by `timeout`; None if the server is
/// gone or did not answer in time.
fn try_call(c: &Client, action: &str, params: &Value, timeout: Duration) -> Option<Value> {
    use std::io::{Read, Write};
    let req = c.prepare(action, params);
    let mut s = std::net::TcpStream::connect_timeout(&c.addr, timeout).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.write_all(&req.to_bytes()).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8(buf).ok()?;
    let body = text.split_once("\r\n\r\n")?.1;
    let v: Value = serde_json::from_str(body).ok()?;
    Some(v["Response"].clone())
}

fn no_half_written_keys(url: &str) {
    let orphans = psql(
        url,
        "SELECT COUNT(*) FROM cmks c WHERE c.state <> 'PendingImport' AND NOT EXISTS \
         (SELECT 1 FROM cmk_material m WHERE m.key_id = c.key_id \
          AND m.version = c.current_version)",
    )
    .unwrap();
    assert_eq!(orphans.trim(), "0", "a key without its material");
}

#[test]
fn sigkill_of_a_replica_under_a_spread_write_load_loses_no_acknowledged_write() {
    let pg = PgServer::start();
    let url = pg.fresh_database();
    let (_dirs, mut servers, cred) = replicas(&url, 2, "");
    let cmk = servers[1]
        .client(&cred)
        .ok("CreateKey", json!({"Alias": "base"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    #[derive(Default)]
    struct Acked {
        keys: Vec<String>,
        blobs: Vec<String>,
        data_keys: Vec<(String, String)>,
    }
    let acked = Arc::new(Mutex::new(Acked::default()));
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let c = servers[w % 2].client(&cred);
            let (acked, count, cmk) = (acked.clone(), count.clone(), cmk.clone());
            std::thread::spawn(move || {
                for i in 0..400 {
                    let (action, params) = match i % 3 {
                        0 => ("CreateKey", json!({"Alias": format!("w{w}-{i}")})),
                        1 => ("Encrypt", json!({"KeyId": cmk, "Plaintext": PT})),
                        _ => (
                            "GenerateDataKey",
                            json!({"KeyId": cmk, "NumberOfBytes": 32, "IsHostedByKms": 1,
                                   "DataKeyName": format!("dk{w}-{i}")}),
                        ),
                    };
                    let Some(v) = try_call(&c, action, &params, Duration::from_secs(10)) else {
                        return; // this worker's replica was killed
                    };
                    assert!(v.get("Error").is_none(), "{action}: {v}");
                    let mut a = acked.lock().unwrap();
                    match action {
                        "CreateKey" => a.keys.push(v["KeyId"].as_str().unwrap().into()),
                        "Encrypt" => a.blobs.push(v["CiphertextBlob"].as_str().unwrap().into()),
                        _ => a.data_keys.push((
                            v["DataKeyId"].as_str().unwrap().into(),
                            v["Plaintext"].as_str().unwrap().into(),
                        )),
                    }
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count.load(std::sync::atomic::Ordering::SeqCst) < 60 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    servers[0].kill9();
    for w in workers {
        w.join().unwrap();
    }
    let acked = Arc::try_unwrap(acked).ok().unwrap().into_inner().unwrap();
    assert!(acked.keys.len() + acked.blobs.len() >= 40, "the load ran");
    let c = servers[1].client(&cred);
    for id in &acked.keys {
        c.ok("DescribeKey", json!({"KeyId": id}));
    }
    for blob in &acked.blobs {
        assert_eq!(
            c.ok("Decrypt", json!({"CiphertextBlob": blob}))["Plaintext"],
            PT
        );
    }
    for (id, pt) in &acked.data_keys {
        assert_eq!(
            c.ok("GetDataKeyPlaintext", json!({"DataKeyId": id}))["Plaintext"].as_str(),
            Some(pt.as_str())
        );
    }
    no_half_written_keys(&url);
}

#[test]
fn the_database_stopped_under_load_is_a_bounded_internal_error_and_service_resumes() {
    let pg = PgServer::start();
    let url = pg.fresh_database();
    let (_dirs, servers, cred) = replicas(&url, 2, "[postgres]\ntimeout_ms = 1000\n");
    let cmk = servers[0]
        .client(&cred)
        .ok("CreateKey", json!({"Alias": "base"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::<(String, Duration)>::new()));
    let acked_keys = Arc::new(Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let c = servers[w % 2].client(&cred);
            let (stop, seen, acked_keys, cmk) =
                (stop.clone(), seen.clone(), acked_keys.clone(), cmk.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    i += 1;
                    let (action, params) = if i % 2 == 0 {
                        ("CreateKey", json!({"Alias": format!("s{w}-{i}")}))
                    } else {
                        (
                            "GenerateDataKey",
                            json!({"KeyId": cmk, "NumberOfBytes": 32}),
                        )
                    };
                    let started = Instant::now();
                    let v = try_call(&c, action, &params, Duration::from_secs(30))
                        .unwrap_or_else(|| panic!("{action}: no answer within 30 s"));
                    let code = match v.get("Error") {
                        None => {
                            if action == "CreateKey" {
                                acked_keys
                                    .lock()
                                    .unwrap()
                                    .push(v["KeyId"].as_str().unwrap().into());
                            }
                            "ok".to_string()
                        }
                        Some(e) => e["Code"].as_str().unwrap().to_string(),
                    };
                    seen.lock().unwrap().push((code, started.elapsed()));
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    pg.stop();
    std::thread::sleep(Duration::from_secs(3));
    let during: Vec<_> = std::mem::take(&mut *seen.lock().unwrap());
    pg.start_again();
    // Served again by the same processes, without a restart, within a bound.
    let deadline = Instant::now() + Duration::from_secs(20);
    for s in &servers {
        let c = s.client(&cred);
        loop {
            match try_call(
                &c,
                "CreateKey",
                &json!({"Alias": format!("back-{}", s.addr.port())}),
                Duration::from_secs(10),
            ) {
                Some(v) if v.get("Error").is_none() => break,
                other => assert!(Instant::now() < deadline, "not serving again: {other:?}"),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    let errors: Vec<_> = during.iter().filter(|(c, _)| c != "ok").collect();
    assert!(!errors.is_empty(), "the outage was seen: {during:?}");
    for (code, took) in &during {
        assert!(
            code == "ok" || code == "InternalError",
            "an outage answers the internal-error code, not {code}"
        );
        assert!(*took < Duration::from_secs(5), "{code} took {took:?}");
    }
    let c = servers[1].client(&cred);
    for id in acked_keys.lock().unwrap().iter() {
        c.ok("DescribeKey", json!({"KeyId": id}));
    }
    no_half_written_keys(&url);
    for s in &servers {
        s.assert_log_has_no_secrets();
    }
}

fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_slow_database_and_an_exhausted_pool_give_bounded_clean_errors() {
    let pg = PgServer::start();
    let url = pg.fresh_database();
    let config = "[postgres]\nmax_connections = 2\ntimeout_ms = 800\n";
    let (_dirs, servers, cred) = replicas(&url, 1, config);
    let server = &servers[0];
    let c = server.client(&cred);
    let cmk = c.ok("CreateKey", json!({"Alias": "base"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let threads_before = threads(server.child.id());
    // Another session holds the key table for 6 s: every write waits on it.
    let holder_url = url.clone();
    let holder = std::thread::spawn(move || {
        psql(
            &holder_url,
            "BEGIN; LOCK TABLE cmks IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;",
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let calls: Vec<_> = (0..24)
        .map(|i| {
            let c = c.clone();
            std::thread::spawn(move || {
                let t = Instant::now();
                let v = try_call(
                    &c,
                    "CreateKey",
                    &json!({"Alias": format!("slow{i}")}),
                    Duration::from_secs(30),
                );
                (v, t.elapsed())
            })
        })
        .collect();
    let mut peak_threads = 0;
    let results: Vec<_> = calls
        .into_iter()
        .map(|h| {
            peak_threads = peak_threads.max(threads(server.child.id()));
            h.join().unwrap()
        })
        .collect();
    for (v, took) in &results {
        let v = v.as_ref().expect("an answer, not a hang");
        assert_eq!(v["Error"]["Code"], "InternalError", "{v}");
        assert!(*took < Duration::from_secs(4), "bounded: {took:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "24 waits on a pool of 2 are bounded"
    );
    assert!(
        peak_threads <= threads_before + 4,
        "no runaway growth: {threads_before} threads before, {peak_threads} at the peak"
    );
    holder.join().unwrap().unwrap();
    // Reads from the cache kept working meanwhile; afterwards writes work again.
    c.ok(
        "GenerateDataKey",
        json!({"KeyId": cmk, "NumberOfBytes": 32}),
    );
    c.ok("CreateKey", json!({"Alias": "after"}));
    no_half_written_keys(&url);
}
