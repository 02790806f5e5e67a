//! `smkms bench` against the real server: every mix entry (as `--list-actions` names
//! them) for a bounded count, a weighted mix, a bounded duration, the refusal of a
//! non-loopback endpoint, and the load spread over several endpoints.
//! No timing assertions: the numbers live in BENCHMARKS.md.

mod common;
use common::*;
use serde_json::Value;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

fn bench(args: &[&str]) -> Output {
    Command::new(bin())
        .arg("bench")
        .args(args)
        .output()
        .expect("run smkms bench")
}

/// Runs `smkms bench --json` with `args`, expecting success; returns the summary.
fn bench_json(server: &Server, creds: &Path, args: &[&str]) -> Value {
    let endpoint = format!("http://{}", server.addr);
    let mut all = vec!["--endpoint", &endpoint];
    all.extend_from_slice(args);
    bench_json_with(creds, &all)
}

/// Like [`bench_json`], with the `--endpoint`s in `args`.
fn bench_json_with(creds: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--credentials-json", creds.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    let out = bench(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench {args:?} failed:\n{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "bench {args:?} printed no JSON:\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn creds_file(dir: &Path, cred: &Cred) -> std::path::PathBuf {
    let path = dir.join("cred.json");
    std::fs::write(
        &path,
        serde_json::json!({
            "SecretId": cred.secret_id,
            "SecretKey": cred.secret_key,
            "Uin": cred.uin.to_string(),
        })
        .to_string(),
    )
    .unwrap();
    path
}

fn assert_clean(summary: &Value, entry: &str, n: u64) {
    assert_eq!(summary["requests"], n, "{summary}");
    assert_eq!(summary["ok"], n, "{summary}");
    assert_eq!(summary["errors"], 0, "{summary}");
    assert_eq!(
        summary["errors_by_code"],
        serde_json::json!({}),
        "{summary}"
    );
    let a = &summary["actions"][entry];
    assert_eq!(a["requests"], n, "{entry}: {summary}");
    assert_eq!(a["errors"], 0, "{entry}: {summary}");
    for p in ["p50", "p99", "p99_9", "max"] {
        assert!(
            a["latency_ms"][p].as_f64().is_some_and(|v| v > 0.0),
            "{entry} {p}: {summary}"
        );
    }
    assert!(summary["requests_per_sec"].as_f64().unwrap() > 0.0);
}

/// `smkms bench --list-actions`: the names `--mix` accepts, from the binary itself.
fn listed_actions() -> Vec<String> {
    let out = bench(&["--list-actions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(!names.is_empty());
    assert!(
        names.iter().all(|n| !n.is_empty() && n.trim() == n),
        "{names:?}"
    );
    names
}

#[test]
fn every_action_is_listed_and_documented() {
    let help = bench(&["--help"]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--list-actions"), "{help}");
    let names = listed_actions();
    for name in &names {
        // Each entry has a line of its own in the mix table of --help.
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{name} "))),
            "{name} is not in --help"
        );
    }
    for name in [
        "GenerateRandom",
        "Encrypt",
        "Decrypt",
        "GenerateDataKey-SM2",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} is not listed");
    }
    // It needs no server, and goes alone.
    let out = bench(&["--list-actions", "--endpoint", "http://127.0.0.1:1"]);
    assert!(!out.status.success());
}

#[test]
fn every_mix_entry_runs_clean() {
    let (dir, server, cred) = fresh();
    let creds = creds_file(dir.path(), &cred);
    let entries = [
        "GenerateRandom",
        "ListAlgorithms",
        "GetServiceStatus",
        "GenerateDataKey",
        "GenerateDataKey-SM2",
        "GenerateDataKey-SM2-fresh",
        "GenerateDataKey-SM2-ASN1",
        "GenerateDataKey-SM2-ASN1-fresh",
        "GenerateDataKey-RSA-PKCS1",
        "GenerateDataKey-RSA-OAEP-1",
        "GenerateDataKey-RSA-OAEP-256",
        "Encrypt",
        "Decrypt",
        "Encrypt@AES_256",
        "Decrypt@AES_256",
        "GenerateDataKey@AES_256",
        "CreateKey",
        "GetPublicKey-SM2",
        "SignByAsymmetricKey-SM2DSA",
        "SignByAsymmetricKey-ECC",
        "SignByAsymmetricKey-RSA-PSS",
        "SignByAsymmetricKey-RSA-PKCS1",
        "VerifyByAsymmetricKey-SM2DSA",
        "AsymmetricSm2Decrypt",
        "AsymmetricRsaDecrypt-OAEP-256",
    ];
    // The binary's catalogue and this list agree, so a new entry cannot go untested.
    for name in listed_actions() {
        assert!(entries.contains(&name.as_str()), "{name} is not tested");
    }
    for entry in entries {
        let s = bench_json(
            &server,
            &creds,
            &[
                "--mix",
                entry,
                "--requests",
                "200",
                "--connections",
                "4",
                // A small pool keeps key generation quick in a debug build.
                "--fresh-keys",
                "64",
            ],
        );
        assert_clean(&s, entry, 200);
        assert_eq!(s["connections"], 4);
    }
    // The CMKs and the five asymmetric keys were created once and reused by every
    // later run; CreateKey made one key per request (and one at setup), each under an
    // alias of its own.
    let keys = server
        .client(&cred)
        .ok("ListKeys", serde_json::json!({"Limit": 200}));
    assert_eq!(keys["TotalCount"], 2 + 5 + 201, "{keys}");
}

#[test]
fn a_weighted_mix_splits_a_counted_run_exactly() {
    let (dir, server, cred) = fresh();
    let creds = creds_file(dir.path(), &cred);
    let s = bench_json(
        &server,
        &creds,
        &[
            "--mix",
            "GenerateRandom:1,Encrypt:2,Decrypt@AES_256:1",
            "--requests",
            "200",
            "--connections",
            "8",
            "--threads",
            "1",
        ],
    );
    assert_eq!(s["requests"], 200, "{s}");
    assert_eq!(s["errors"], 0, "{s}");
    assert_eq!(s["threads"], 1);
    let a = &s["actions"];
    assert_eq!(a["GenerateRandom"]["requests"], 50, "{s}");
    assert_eq!(a["Encrypt"]["requests"], 100, "{s}");
    assert_eq!(a["Encrypt"]["weight"], 2, "{s}");
    assert_eq!(a["Decrypt@AES_256"]["requests"], 50, "{s}");
}

#[test]
fn a_duration_run_ends_and_reports_in_text() {
    let (_dir, server, cred) = fresh();
    let endpoint = format!("http://{}", server.addr);
    let out = bench(&[
        "--endpoint",
        &endpoint,
        "--secret-id",
        &cred.secret_id,
        "--secret-key",
        &cred.secret_key,
        "--duration",
        "1",
        "--warmup",
        "0.5",
        "--connections",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("GenerateRandom"), "{stdout}");
    assert!(stdout.contains("p99 ms"), "{stdout}");
    assert!(stderr.contains("req/s"), "no progress line: {stderr}");
}

#[test]
fn a_non_loopback_endpoint_is_refused_before_connecting() {
    for endpoint in ["http://10.255.255.1:6300", "http://0.0.0.0:6300"] {
        let out = bench(&[
            "--endpoint",
            endpoint,
            "--secret-id",
            "AKIDx",
            "--secret-key",
            "k",
            "--requests",
            "1",
        ]);
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("loopback"), "{stderr}");
        assert!(stderr.contains("--allow-remote"), "{stderr}");
    }
}

#[test]
fn failed_requests_are_counted_by_code_and_fail_the_run() {
    let (dir, server, cred) = fresh();
    let creds = creds_file(dir.path(), &cred);
    let endpoint = format!("http://{}", server.addr);
    // The setup passes, then the credential is deleted under load: every later request
    // is refused, and the run says so.
    let mut child = Command::new(bin())
        .args(["bench", "--endpoint", &endpoint, "--credentials-json"])
        .arg(&creds)
        .args(["--duration", "3", "--connections", "2", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the load to start (the first progress line), then delete.
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("connections to") {
            break;
        }
    }
    let out = Command::new(bin())
        .args(["credentials", "delete", "--data"])
        .arg(dir.path())
        .arg(&cred.secret_id)
        .output()
        .unwrap();
    assert!(out.status.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{seen}{rest:?}");
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused = s["errors_by_code"]["AuthFailure.SecretIdNotFound"]
        .as_u64()
        .unwrap_or(0);
    assert!(refused > 0, "{s}");
    assert_eq!(s["errors"], refused, "{s}");
    assert!(
        rest.iter().any(|l| l.contains("requests failed")),
        "{rest:?}"
    );
    drop(server);
}

/// Each endpoint's share in a summary's `endpoints`: they must be the ones given, each
/// with its round-robin share of the connections and some requests, and add up to the
/// totals. Returns the requests of each.
fn assert_spread(s: &Value, urls: &[&str], connections: &[u64]) -> Vec<u64> {
    let e = s["endpoints"].as_array().unwrap_or_else(|| panic!("{s}"));
    assert_eq!(e.len(), urls.len(), "{s}");
    let mut requests = Vec::new();
    for ((e, url), conns) in e.iter().zip(urls).zip(connections) {
        assert_eq!(e["endpoint"], *url, "{s}");
        assert_eq!(e["connections"], *conns, "{s}");
        let n = e["requests"].as_u64().unwrap();
        assert!(n > 0, "{url} got no requests: {s}");
        assert_eq!(e["ok"], n, "{s}");
        assert_eq!(e["errors"], 0, "{s}");
        requests.push(n);
    }
    assert_eq!(
        requests.iter().sum::<u64>(),
        s["requests"].as_u64().unwrap()
    );
    requests
}

/// A copy of a data directory (files only, which is all the server keeps there), so a
/// second server knows the same credential.
fn copy_data(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for f in std::fs::read_dir(from).unwrap() {
        let f = f.unwrap();
        assert!(f.file_type().unwrap().is_file(), "{:?}", f.path());
        std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
    }
}

#[test]
fn two_servers_share_the_load_round_robin() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let cred = create_credential(&a, None);
    copy_data(&a, &b);
    let (one, two) = (Server::start(&a), Server::start(&b));
    let creds = creds_file(dir.path(), &cred);
    let urls = [
        format!("http://{}", one.addr),
        format!("http://{}", two.addr),
    ];
    let urls = [urls[0].as_str(), urls[1].as_str()];
    // Each server checks the Host its requests were signed for against its own port.
    let s = bench_json_with(
        &creds,
        &[
            "--endpoint",
            urls[0],
            "--endpoint",
            urls[1],
            "--requests",
            "400",
            "--connections",
            "4",
        ],
    );
    assert_clean(&s, "GenerateRandom", 400);
    assert_eq!(s["endpoint"], format!("{},{}", urls[0], urls[1]), "{s}");
    assert_spread(&s, &urls, &[2, 2]);

    // The same in text: a row per endpoint.
    let list = urls.join(",");
    let out = bench(&[
        "--endpoint",
        &list,
        "--credentials-json",
        creds.to_str().unwrap(),
        "--requests",
        "40",
        "--connections",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for url in urls {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{url} "))),
            "{stdout}"
        );
    }

    // These two do not share a database: a CMK made through the first is unknown to
    // the second, and the setup says so before any load.
    let out = bench(&[
        "--endpoint",
        &list,
        "--credentials-json",
        creds.to_str().unwrap(),
        "--requests",
        "40",
        "--mix",
        "Encrypt",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "{stderr}");
    assert!(
        stderr.contains(&format!("endpoint 2 ({})", urls[1]))
            && stderr.contains("CmkNotFound")
            && stderr.contains("same database"),
        "{stderr}"
    );
}

/// A TCP relay from a port of its own to `upstream` that keeps every byte clients send,
/// so a test sees which Host headers came in through it. Its listener lives as long as
/// the test process; each connection's threads end when the client closes.
fn relay(upstream: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let (Ok(client), Ok(server)) = (client, TcpStream::connect(upstream)) else {
                return;
            };
            let (mut from_client, mut to_server) = (client.try_clone().unwrap(), server);
            let (mut from_server, mut to_client) = (to_server.try_clone().unwrap(), client);
            let record = record.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n @ 1..) = from_client.read(&mut buf) {
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                    if to_server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to_server.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_server, &mut to_client);
                let _ = to_client.shutdown(Shutdown::Write);
            });
        }
    });
    (addr, seen)
}

#[test]
fn one_server_given_twice_uses_the_keys_made_through_the_first() {
    let (dir, server, cred) = fresh();
    let creds = creds_file(dir.path(), &cred);
    // The same server under a second address, where we can see the Host that arrives.
    let (relayed, seen) = relay(server.addr);
    let direct = format!("http://{}", server.addr);
    let other = format!("http://{relayed}");
    // A list and a repeat add up, and the first endpoint given again gets a second share.
    let list = format!("{direct},{other}");
    let mix = "GenerateDataKey,Decrypt,Encrypt@AES_256";
    let s = bench_json_with(
        &creds,
        &[
            "--endpoint",
            &list,
            "--endpoint",
            &direct,
            "--mix",
            mix,
            "--requests",
            "600",
            "--connections",
            "6",
        ],
    );
    assert_eq!(
        (&s["requests"], &s["errors"]),
        (&600.into(), &0.into()),
        "{s}"
    );
    for entry in mix.split(',') {
        assert_eq!(s["actions"][entry]["requests"], 200, "{entry}: {s}");
    }
    let requests = assert_spread(&s, &[&direct, &other, &direct], &[2, 2, 2]);

    // The setup made one CMK of each cipher through the first endpoint only.
    let keys = server
        .client(&cred)
        .ok("ListKeys", serde_json::json!({"Limit": 200}));
    assert_eq!(keys["TotalCount"], 2, "{keys}");
    // Every request through the relay was signed for the relay's Host: the load's and
    // the setup's check of each entry through it, and nothing else.
    let seen = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    let hosts: Vec<&str> = seen.lines().filter(|l| l.starts_with("Host: ")).collect();
    let distinct: std::collections::BTreeSet<&str> = hosts.iter().copied().collect();
    assert_eq!(
        distinct.into_iter().collect::<Vec<_>>(),
        [format!("Host: {relayed}")]
    );
    assert_eq!(hosts.len() as u64, requests[1] + 3, "{s}");
}

#[test]
fn a_bad_second_endpoint_is_named() {
    // Refused before connecting to either.
    let out = bench(&[
        "--endpoint",
        "http://127.0.0.1:1,http://10.255.255.1:6300",
        "--secret-id",
        "AKIDx",
        "--secret-key",
        "k",
        "--requests",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{stderr}");
    assert!(
        stderr.contains("\"http://10.255.255.1:6300\" (endpoint 2 of 2)")
            && stderr.contains("loopback"),
        "{stderr}"
    );

    // Nothing listens on the second: the setup finds out and names it.
    let (dir, server, cred) = fresh();
    let creds = creds_file(dir.path(), &cred);
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let list = format!("http://{},http://{closed}", server.addr);
    let out = bench(&[
        "--endpoint",
        &list,
        "--credentials-json",
        creds.to_str().unwrap(),
        "--requests",
        "10",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{stderr}");
    assert!(
        stderr.contains(&format!("endpoint 2 (http://{closed})"))
            && stderr.contains("cannot connect"),
        "{stderr}"
    );
}

/// https endpoints with `--ca`, keep-alive and a new connection per request; an https
/// endpoint without `--ca`, or with a CA that did not issue the server's certificate,
/// fails before any load.
#[test]
fn bench_speaks_https() {
    use common::tls::{Ca, KeyKind};
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "bench-ca");
    let (cert, key) = ca.issue("server", "localhost", true, KeyKind::EcPkcs8);
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let server = Server::start_with(
        dir.path(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.https);
    let creds = creds_file(pki.path(), &cred);
    let endpoint = format!("https://{}", server.addr);
    let ca_file = ca.cert.to_str().unwrap();
    for extra in [&[][..], &["--new-connections"][..]] {
        let mut args = vec![
            "--endpoint",
            &endpoint,
            "--ca",
            ca_file,
            "--mix",
            "GenerateDataKey",
            "--requests",
            "100",
            "--connections",
            "4",
        ];
        args.extend_from_slice(extra);
        let s = bench_json_with(&creds, &args);
        assert_clean(&s, "GenerateDataKey", 100);
        assert_eq!(s["endpoint"], endpoint.as_str(), "{s}");
    }
    let out = bench(&[
        "--endpoint",
        &endpoint,
        "--credentials-json",
        creds.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ca"));
    let other = Ca::new(pki.path(), "other-ca");
    let out = bench(&[
        "--endpoint",
        &endpoint,
        "--ca",
        other.cert.to_str().unwrap(),
        "--credentials-json",
        creds.to_str().unwrap(),
        "--requests",
        "1",
    ]);
    assert!(!out.status.success());
}

/// A standard output that is closed when the report is written (`smkms bench | head -0`)
/// is an error with a message and a failing status, never a panic.
#[test]
fn a_closed_standard_output_is_an_error_not_a_panic() {
    let (dir, server, cred) = fresh();
    let creds = creds_file(dir.path(), &cred);
    let endpoint = format!("http://{}", server.addr);
    let mut child = Command::new(bin())
        .args(["bench", "--endpoint", &endpoint, "--credentials-json"])
        .arg(&creds)
        .args([
            "--mix",
            "GenerateRandom",
            "--requests",
            "20",
            "--warmup",
            "0",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reading end closes before anything is written
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("standard output"), "{stderr}");
}
