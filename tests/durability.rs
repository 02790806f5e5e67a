//! Nothing acknowledged is lost: across a clean restart, and across SIGKILL in the
//! middle of a stream of CreateKey calls.

mod common;
use common::*;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[test]
fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let mut server = Server::start(dir.path());
    let c = server.client(&cred);
    let k = c.ok("CreateKey", json!({"Alias": "keep", "Description": "d"}));
    let id = k["KeyId"].as_str().unwrap().to_string();
    c.ok("DisableKey", json!({"KeyId": id}));
    assert_eq!(server.stop(), Some(0), "clean exit on SIGTERM");
    let server = Server::start(dir.path());
    assert!(
        server.banner.is_empty(),
        "no new credential on a later start: {}",
        server.banner
    );
    let c = server.client(&cred);
    let m = c.ok("DescribeKey", json!({"KeyId": id}))["KeyMetadata"].clone();
    assert_eq!(m["Alias"], "keep");
    assert_eq!(m["KeyState"], "Disabled");
}

/// A loop of CreateKey calls, SIGKILLed at a random point; after a restart every key
/// whose CreateKey was answered must exist. The kill point is chosen by count of
/// acknowledged keys (random between 5 and 60), not by time.
#[test]
fn sigkill_loses_no_acknowledged_key() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let cred = create_credential(dir.path(), None);
        let mut server = Server::start(dir.path());
        let c = server.client(&cred);
        let kill_after = 5 + (smkms::crypto::random::u64_below(56) as usize);
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let c = c.clone();
                let acked = acked.clone();
                std::thread::spawn(move || {
                    for i in 0..10_000 {
                        let req =
                            c.prepare("CreateKey", &json!({"Alias": format!("r{round}w{w}k{i}")}));
                        // A connection error means the server is gone: stop.
                        let Ok(resp) = std::panic::catch_unwind(|| c.send(&req)) else {
                            return;
                        };
                        let v = resp.json();
                        match v["Response"]["KeyId"].as_str() {
                            Some(id) => acked.lock().unwrap().push(id.to_string()),
                            None => panic!("CreateKey failed: {v}"),
                        }
                    }
                })
            })
            .collect();
        while acked.lock().unwrap().len() < kill_after {
            std::thread::yield_now();
        }
        server.kill9();
        for w in workers {
            let _ = w.join();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(acked.len() >= kill_after);
        let server = Server::start(dir.path());
        let c = server.client(&cred);
        for id in &acked {
            let r = c.call("DescribeKey", json!({"KeyId": id}));
            assert!(
                r.get("Error").is_none(),
                "acknowledged key {id} lost after SIGKILL: {r}"
            );
        }
        let listed = c.ok("ListKeys", json!({"Limit": 200}))["TotalCount"]
            .as_u64()
            .unwrap();
        assert!(listed as usize >= acked.len());
    }
}
