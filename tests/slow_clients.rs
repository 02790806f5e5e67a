//! Slow and greedy clients, on loopback, bounded in time. Nothing here asserts how fast
//! anything is: each wait has a generous upper bound and only checks that the server
//! did the right thing eventually.

mod common;
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn start_limited(dir: &tempfile::TempDir, max_connections: usize) -> (Server, Cred) {
    let cfg = dir.path().join("smkms.toml");
    std::fs::write(
        &cfg,
        format!("[limits]\nheader_read_timeout_secs = 1\nrequest_timeout_secs = 2\nmax_connections = {max_connections}\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let cred = create_credential(&data, None);
    let server = Server::start_with(&data, &["--config", cfg.to_str().unwrap()]);
    (server, cred)
}

/// Waits (at most `limit`) for the server to close `s`; true if it did.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn a_trickling_client_is_cut_off_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cred) = start_limited(&dir, 64);
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let c = server.client(&cred);
    // Served while the slow client dawdles.
    c.ok("GenerateRandom", json!({"NumberOfBytes": 8}));
    // One more header byte now and then does not keep the connection alive.
    let trickler = std::thread::spawn(move || {
        for _ in 0..40 {
            if slow.write_all(b"X").is_err() {
                return (slow, true);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        (slow, false)
    });
    let (mut slow, write_failed) = trickler.join().unwrap();
    assert!(
        write_failed || closed_within(&mut slow, Duration::from_secs(10)),
        "the trickling connection was not closed"
    );
    c.ok("GenerateRandom", json!({"NumberOfBytes": 8}));
}

#[test]
fn idle_connections_beyond_the_cap_queue_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cred) = start_limited(&dir, 4);
    // Eight silent connections: four take the slots, four wait in the accept queue.
    let mut idle: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    // A real client gets through once the header timeout frees a slot.
    let c = server.client(&cred);
    let started = Instant::now();
    c.ok("GenerateRandom", json!({"NumberOfBytes": 8}));
    assert!(started.elapsed() < Duration::from_secs(30));
    for s in idle.iter_mut() {
        assert!(
            closed_within(s, Duration::from_secs(15)),
            "an idle connection was never closed"
        );
    }
    // Many short clients in a row are all served.
    for i in 0..20 {
        server
            .client(&cred)
            .ok("GenerateRandom", json!({"NumberOfBytes": 1 + i}));
    }
}

#[test]
fn a_client_that_vanishes_mid_request_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cred) = start_limited(&dir, 64);
    let c = server.client(&cred);
    let body = br#"{"Alias":"half-sent"}"#;
    let req = c.prepare("CreateKey", &json!({"Alias": "half-sent"}));
    assert_eq!(req.body, body.to_vec());
    // Headers and half the body, then gone.
    let bytes = req.to_bytes();
    let cut = bytes.len() - body.len() / 2;
    {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.write_all(&bytes[..cut]).unwrap();
    }
    // Headers only, declaring a body that never comes: cut off by the body timeout.
    let mut stalled = TcpStream::connect(server.addr).unwrap();
    stalled
        .write_all(&bytes[..bytes.len() - body.len()])
        .unwrap();
    let mut reply = String::new();
    stalled
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let _ = stalled.read_to_string(&mut reply);
    assert!(
        reply.is_empty() || reply.contains("InvalidParameter"),
        "{reply}"
    );
    assert_eq!(
        c.ok("ListKeys", json!({}))["TotalCount"],
        0,
        "no key from a request that never arrived whole"
    );
    // And the same request sent whole works.
    c.ok("CreateKey", json!({"Alias": "half-sent"}));
}
