//! HTTPS and mutual TLS through the real binary, with certificates made by `openssl`
//! for each test: the key formats, TLS 1.2 and 1.3, client certificates, SIGHUP
//! reloads, the handshake timeout, bad files, and the plain-HTTP rule.

mod common;
use common::tls::{client_config, Ca, KeyKind, TlsConn};
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn tls_args<'a>(cert: &'a Path, key: &'a Path) -> Vec<&'a str> {
    vec![
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]
}

/// A signed GenerateRandom over `conn` (keep-alive); its Response object.
fn random_over(conn: &mut TlsConn, client: &Client) -> std::io::Result<serde_json::Value> {
    let req = client.prepare("GenerateRandom", &json!({"NumberOfBytes": 16}));
    let r = conn.request(&req.encode(true))?;
    assert_eq!(r.status, 200);
    Ok(r.json()["Response"].clone())
}

#[test]
fn https_with_each_key_format_and_both_versions() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "test-ca");
    for (i, kind) in [KeyKind::EcPkcs8, KeyKind::EcSec1, KeyKind::RsaPkcs1]
        .into_iter()
        .enumerate()
    {
        let (cert, key) = ca.issue(&format!("server{i}"), "localhost", true, kind);
        let dir = tempfile::tempdir().unwrap();
        let cred = create_credential(dir.path(), None);
        let server = Server::start_with(dir.path(), &tls_args(&cert, &key));
        assert!(server.https, "{kind:?}: the listening line says https://");
        let client = server.client(&cred);
        for versions in [
            &[&rustls::version::TLS13][..],
            &[&rustls::version::TLS12][..],
        ] {
            let cfg = client_config(&ca.cert, None, versions);
            let mut conn = TlsConn::connect(server.addr, cfg).unwrap();
            assert_eq!(conn.version(), versions[0].version);
            let r = random_over(&mut conn, &client).unwrap();
            assert!(r.get("Error").is_none(), "{kind:?}: {r}");
            // The same connection serves a second request (keep-alive).
            let r = random_over(&mut conn, &client).unwrap();
            assert!(r["Plaintext"].is_string(), "{r}");
        }
        // Plain HTTP on the TLS port gets no HTTP answer.
        let mut plain = TcpStream::connect(server.addr).unwrap();
        plain
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        plain
            .write_all(&client.prepare("ListKeys", &json!({})).to_bytes())
            .unwrap();
        let mut got = Vec::new();
        let _ = plain.read_to_end(&mut got);
        assert!(!got.starts_with(b"HTTP/"), "plain HTTP was answered");
    }
}

#[test]
fn mutual_tls_admits_only_clients_of_the_ca() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "test-ca");
    let (cert, key) = ca.issue("server", "localhost", true, KeyKind::EcPkcs8);
    let (client_cert, client_key) = ca.issue("client", "app-1", false, KeyKind::EcPkcs8);
    let other = tempfile::tempdir().unwrap();
    let foreign = Ca::new(other.path(), "foreign-ca");
    let (f_cert, f_key) = foreign.issue("intruder", "app-2", false, KeyKind::EcPkcs8);
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let mut args = tls_args(&cert, &key);
    args.extend(["--tls-client-ca", ca.cert.to_str().unwrap()]);
    let server = Server::start_with(dir.path(), &args);
    let client = server.client(&cred);

    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        let good = client_config(&ca.cert, Some((&client_cert, &client_key)), versions);
        let mut conn = TlsConn::connect(server.addr, good).unwrap();
        let r = random_over(&mut conn, &client).unwrap();
        assert!(r.get("Error").is_none(), "{r}");

        // No certificate, or one from another CA: refused in the handshake (TLS 1.2
        // fails the connect; TLS 1.3 sees the alert on its first read).
        for (what, identity) in [
            ("no certificate", None),
            (
                "a foreign certificate",
                Some((f_cert.as_path(), f_key.as_path())),
            ),
        ] {
            let cfg = client_config(&ca.cert, identity, versions);
            let refused = match TlsConn::connect(server.addr, cfg) {
                Err(_) => true,
                Ok(mut c) => random_over(&mut c, &client).is_err(),
            };
            assert!(refused, "{what} over {:?} was served", versions[0].version);
        }
    }
    // openssl s_client, an independent client: without a certificate, no session.
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &server.addr.to_string(), "-CAfile"])
        .arg(&ca.cert)
        .args(["-tls1_2"])
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("alert") || text.contains("certificate required") || !out.status.success(),
        "{text}"
    );
    drop(server);
}

#[test]
fn sighup_reloads_the_certificate_and_keeps_open_connections() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "test-ca");
    let (cert, key) = ca.issue("server", "first", true, KeyKind::EcPkcs8);
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let served = pki.path().join("served.pem");
    let served_key = pki.path().join("served.key");
    std::fs::copy(&cert, &served).unwrap();
    std::fs::copy(&key, &served_key).unwrap();
    let server = Server::start_with(dir.path(), &tls_args(&served, &served_key));
    let client = server.client(&cred);
    // A client config of its own for each connection: a shared one would resume the
    // earlier session, and a resumed session shows the certificate of its first one.
    let cfg = || client_config(&ca.cert, None, &[]);
    let mut kept = TlsConn::connect(server.addr, cfg()).unwrap();
    random_over(&mut kept, &client).unwrap();
    let first = kept.server_cert();

    let hup = |n: usize, what: &str| {
        Command::new("kill")
            .args(["-HUP", &server.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = std::fs::read_to_string(&server.log).unwrap();
            if log.matches(what).count() >= n {
                return log;
            }
            assert!(Instant::now() < deadline, "no {what:?} in the log:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    // A new certificate (RSA this time) and key, then SIGHUP.
    let (cert2, key2) = ca.issue("server2", "second", true, KeyKind::RsaPkcs1);
    std::fs::copy(&cert2, &served).unwrap();
    std::fs::copy(&key2, &served_key).unwrap();
    hup(1, "TLS certificate and key reloaded");
    let mut fresh = TlsConn::connect(server.addr, cfg()).unwrap();
    random_over(&mut fresh, &client).unwrap();
    let second = fresh.server_cert();
    assert_ne!(first, second, "a new connection gets the new certificate");
    let issued: Vec<u8> = rustls_pki_types::pem::PemObject::from_pem_file(&cert2)
        .map(|c: rustls_pki_types::CertificateDer| c.to_vec())
        .unwrap();
    assert_eq!(second, issued, "the new certificate is the one written");
    // The connection opened before the reload still works.
    let r = random_over(&mut kept, &client).unwrap();
    assert!(r.get("Error").is_none(), "{r}");
    assert_eq!(kept.server_cert(), first);

    // A broken key file: the reload fails, says why without the file, and the
    // current certificate stays.
    let garbage = "not a key, but a secret-looking line 5up3r53cr3tv4lu3";
    std::fs::write(&served_key, garbage).unwrap();
    let log = hup(1, "TLS reload failed");
    assert!(log.contains("no PEM private key"), "{log}");
    assert!(
        !log.contains("5up3r53cr3tv4lu3"),
        "the file's content was logged"
    );
    // A key that is not the certificate's.
    std::fs::copy(&key, &served_key).unwrap();
    let log = hup(2, "TLS reload failed");
    assert!(log.contains("does not belong to the certificate"), "{log}");
    let mut after = TlsConn::connect(server.addr, cfg()).unwrap();
    random_over(&mut after, &client).unwrap();
    assert_eq!(
        after.server_cert(),
        second,
        "the last good certificate is served"
    );
    let r = random_over(&mut kept, &client).unwrap();
    assert!(r.get("Error").is_none(), "{r}");
}

#[test]
fn a_stalled_handshake_is_cut_off() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "test-ca");
    let (cert, key) = ca.issue("server", "localhost", true, KeyKind::EcPkcs8);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("smkms.toml");
    std::fs::write(
        &config,
        "[limits]\nfirst_byte_timeout_ms = 500\ntls_handshake_timeout_ms = 1000\n",
    )
    .unwrap();
    let mut args = tls_args(&cert, &key);
    args.extend(["--config", config.to_str().unwrap()]);
    let data = dir.path().join("data");
    let cred = create_credential(&data, None);
    let server = Server::start_with(&data, &args);
    // The first bytes of a ClientHello, then nothing.
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let closed = matches!(s.read(&mut buf), Ok(0) | Err(_));
    let took = started.elapsed();
    assert!(
        closed && took < Duration::from_secs(5),
        "closed={closed} after {took:?}"
    );
    assert!(
        took >= Duration::from_millis(700),
        "closed too early: {took:?}"
    );
    // Silent from the start: closed by the first-byte deadline.
    let mut silent = TcpStream::connect(server.addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    assert!(matches!(silent.read(&mut buf), Ok(0) | Err(_)));
    assert!(started.elapsed() < Duration::from_secs(3));
    // A real client is served.
    let mut conn = TlsConn::connect(server.addr, client_config(&ca.cert, None, &[])).unwrap();
    random_over(&mut conn, &server.client(&cred)).unwrap();
}

/// Without TLS, SIGHUP is logged and the server keeps serving.
#[test]
fn sighup_without_tls_does_not_stop_the_server() {
    let (_dir, server, cred) = fresh();
    Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&server.log)
        .unwrap()
        .contains("no TLS certificate to reload")
    {
        assert!(Instant::now() < deadline, "SIGHUP was not logged");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
        .client(&cred)
        .ok("GenerateRandom", json!({"NumberOfBytes": 8}));
}

fn serve_output(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(bin());
    cmd.arg("serve").args(args).env("SMKMS_LOG", "info");
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn bad_tls_files_stop_the_start_with_a_clear_message() {
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "test-ca");
    let (cert, key) = ca.issue("server", "localhost", true, KeyKind::EcPkcs8);
    let (_, other_key) = ca.issue("other", "localhost", true, KeyKind::EcSec1);
    let junk = pki.path().join("junk.pem");
    std::fs::write(&junk, "hello 5ecr3tc0nt3nt\n").unwrap();
    let missing = pki.path().join("missing.pem");
    let data = tempfile::tempdir().unwrap();
    let d = data.path().join("d");
    let d = d.to_str().unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--tls-cert".into(), s(&junk), "--tls-key".into(), s(&key)],
            "no PEM CERTIFICATE",
        ),
        (
            vec!["--tls-cert".into(), s(&cert), "--tls-key".into(), s(&junk)],
            "no PEM private key",
        ),
        (
            vec![
                "--tls-cert".into(),
                s(&cert),
                "--tls-key".into(),
                s(&other_key),
            ],
            "does not belong",
        ),
        (
            vec![
                "--tls-cert".into(),
                s(&missing),
                "--tls-key".into(),
                s(&key),
            ],
            "cannot read",
        ),
        (
            vec![
                "--tls-cert".into(),
                s(&cert),
                "--tls-key".into(),
                s(&key),
                "--tls-client-ca".into(),
                s(&junk),
            ],
            "no PEM CERTIFICATE",
        ),
        (vec!["--tls-cert".into(), s(&cert)], "--tls-key"),
    ];
    for (args, expected) in cases {
        let mut all: Vec<&str> = vec!["--data", d, "--listen", "127.0.0.1:0"];
        all.extend(args.iter().map(String::as_str));
        let out = serve_output(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} started");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(
            !err.contains("5ecr3tc0nt3nt") && !err.contains("panicked"),
            "{err}"
        );
    }
    assert!(
        !Path::new(d).exists(),
        "nothing is created when the TLS files are bad"
    );
}

#[test]
fn a_key_file_open_to_others_is_served_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "test-ca");
    let (cert, key) = ca.issue("server", "localhost", true, KeyKind::EcPkcs8);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &tls_args(&cert, &key));
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("readable by other users"), "{log}");
}

#[test]
fn plain_http_off_loopback_needs_allow_plaintext() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().join("d");
    let d = d.to_str().unwrap();
    let out = serve_output(&["--data", d, "--listen", "0.0.0.0:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("not a loopback address")
            && err.contains("--tls-cert")
            && err.contains("--allow-plaintext"),
        "{err}"
    );
    assert!(!Path::new(d).exists(), "nothing was created");
    // The same through the configuration file.
    let cfg = data.path().join("smkms.toml");
    std::fs::write(&cfg, "listen = \"0.0.0.0:0\"\n").unwrap();
    let out = serve_output(&["--data", d, "--config", cfg.to_str().unwrap()]);
    assert!(!out.status.success());
    // With --allow-plaintext (or allow_plaintext = true) it starts; loopback needs neither.
    for (args, toml) in [
        (vec!["--listen", "0.0.0.0:0", "--allow-plaintext"], ""),
        (vec![], "listen = \"0.0.0.0:0\"\nallow_plaintext = true\n"),
    ] {
        std::fs::write(&cfg, toml).unwrap();
        let mut child = Command::new(bin())
            .args(["serve", "--data", d, "--config", cfg.to_str().unwrap()])
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            let n = std::io::BufRead::read_line(&mut out, &mut line).unwrap();
            assert!(n > 0, "exited before listening");
            if line.starts_with("smkms listening on") {
                break;
            }
        }
        assert!(
            line.starts_with("smkms listening on http://0.0.0.0:"),
            "{line}"
        );
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        let _ = child.wait();
    }
}
