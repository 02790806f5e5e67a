//! A bounded connection flood on loopback: thousands of TCP connections that never
//! send a byte must not keep a real client waiting, are closed by the first-byte
//! deadline, and one source address cannot hold more than its share.
//!
//! The flood comes from 127.0.0.2–127.0.0.4 (any 127/8 address is this machine), the
//! real client from 127.0.0.1. The test ends its sockets and its server by itself.

mod common;
use common::*;
use serde_json::json;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const PER_SOURCE: usize = 1000;
const SOURCES: [&str; 3] = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];

/// Raises this process's soft descriptor limit to the hard one and fails, loudly, if
/// that cannot hold the flood: a machine that cannot run this test must say so.
fn ensure_fd_limit(needed: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain struct in, plain struct out.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    assert!(
        lim.rlim_cur >= needed,
        "this environment allows {} open files per process (ulimit -n, hard limit {}); the \
         flood test needs {needed}: raise the limit (ulimit -Hn) to run it",
        lim.rlim_cur,
        lim.rlim_max
    );
}

/// `n` connections to `to` from `from`, that send nothing.
fn open_from(from: &str, to: SocketAddr, n: usize) -> Vec<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ip: IpAddr = from.parse().unwrap();
    rt.block_on(async {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind(SocketAddr::new(ip, 0)).unwrap();
            let stream = s
                .connect(to)
                .await
                .unwrap_or_else(|e| panic!("connection {i} from {from} failed: {e}"));
            out.push(stream.into_std().unwrap());
        }
        out
    })
}

/// True if the server has closed `s` (EOF or reset) within `limit`.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 16];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn thousands_of_idle_connections_do_not_delay_a_real_client() {
    ensure_fd_limit(PER_SOURCE as u64 * SOURCES.len() as u64 + 500);
    let (_dir, server, cred) = fresh_with_config(&format!(
        "[limits]\nfirst_byte_timeout_ms = 4000\nmax_connections_per_source = {PER_SOURCE}\n"
    ));
    let client = server.client(&cred);
    client.ok("GenerateRandom", json!({"NumberOfBytes": 8}));

    let started = Instant::now();
    let mut idle: Vec<TcpStream> = SOURCES
        .iter()
        .flat_map(|from| open_from(from, server.addr, PER_SOURCE))
        .collect();
    let opened_in = started.elapsed();
    eprintln!(
        "flood: {} connections opened in {opened_in:?}",
        SOURCES.len() * PER_SOURCE
    );
    assert_eq!(idle.len(), 3000);

    // A real client, on a connection of its own, is answered at once.
    let fresh = server.client(&cred);
    let t = Instant::now();
    fresh.ok("GenerateRandom", json!({"NumberOfBytes": 8}));
    let took = t.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "a signed request took {took:?} with {} idle connections open (opened in {opened_in:?})",
        idle.len()
    );
    // So is the client whose keep-alive connection predates the flood.
    client.ok("GenerateRandom", json!({"NumberOfBytes": 8}));

    // One more from a source at its cap is closed at once, long before any deadline.
    let mut extra = open_from(SOURCES[0], server.addr, 1).pop().unwrap();
    let t = Instant::now();
    assert!(
        closed_within(&mut extra, Duration::from_secs(2)),
        "a connection past the per-source cap was kept"
    );
    assert!(t.elapsed() < Duration::from_secs(2));

    // The idle ones were accepted (not left in the backlog): the first-byte deadline
    // closes every one of them.
    let deadline = started + Duration::from_secs(4 + 10);
    for (i, s) in idle.iter_mut().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(10);
        assert!(
            closed_within(s, left),
            "idle connection {i} was not closed by the deadline"
        );
    }
    eprintln!(
        "flood: all closed {:?} after the first was opened",
        started.elapsed()
    );
    drop(idle);
    // Their slots are free again: the sources may connect and be served.
    let c = server.client(&cred);
    c.ok("GenerateRandom", json!({"NumberOfBytes": 8}));
}
