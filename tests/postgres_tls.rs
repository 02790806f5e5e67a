//! TLS from the store to PostgreSQL, on a real server of its own: `sslmode=verify-full`
//! and `require` with `sslrootcert` are honoured (the sessions show as TLS in
//! `pg_stat_ssl`), a wrong CA or a wrong name is refused, and no error shows the
//! password.

mod common;
use common::postgres::{fresh_database_on, psql, PgServer};
use common::tls::{Ca, KeyKind};
use common::*;
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Gives the server `cert` and `key` (copied into its directory, owned by its user) and
/// turns TLS on with a reload.
fn serve_tls(pg: &PgServer, cert: &Path, key: &Path, n: usize) {
    let c = pg.dir().join(format!("server{n}.crt"));
    let k = pg.dir().join(format!("server{n}.key"));
    std::fs::copy(cert, &c).unwrap();
    std::fs::copy(key, &k).unwrap();
    // As root, .ci/postgres runs the server as smkms-pg: the files must be its own.
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if root {
        for f in [&c, &k] {
            assert!(Command::new("chown")
                .arg("smkms-pg")
                .arg(f)
                .status()
                .unwrap()
                .success());
        }
    }
    for sql in [
        format!("ALTER SYSTEM SET ssl_cert_file = '{}'", c.display()),
        format!("ALTER SYSTEM SET ssl_key_file = '{}'", k.display()),
        "ALTER SYSTEM SET ssl = on".to_string(),
        "SELECT pg_reload_conf()".to_string(),
    ] {
        psql(&pg.url, &sql).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ok = psql(
            &format!("{}?sslmode=require", pg.url),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        )
        .is_ok_and(|v| v == "t")
            && psql(&pg.url, "SHOW ssl_cert_file").is_ok_and(|v| v == c.display().to_string());
        if ok {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "PostgreSQL did not turn TLS on:\n{}",
            pg.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn credentials_create(data: &Path, store: &str) -> std::process::Output {
    Command::new(bin())
        .args(["credentials", "create", "--json", "--data"])
        .arg(data)
        .args(["--store", store])
        .output()
        .unwrap()
}

#[test]
fn the_store_connects_over_tls_and_checks_the_server() {
    let pg = PgServer::start();
    let pki = tempfile::tempdir().unwrap();
    let ca = Ca::new(pki.path(), "pg-ca");
    let (cert, key) = ca.issue("pg", "localhost", true, KeyKind::EcPkcs8);
    serve_tls(&pg, &cert, &key, 1);
    let db = fresh_database_on(&pg.url);
    let password = pg
        .url
        .split_once("smkms:")
        .unwrap()
        .1
        .split_once('@')
        .unwrap()
        .0
        .to_string();
    let ca_file = ca.cert.to_str().unwrap();

    let store = format!("{db}?sslmode=verify-full&sslrootcert={ca_file}");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cred = create_credential_with(&data, &["--store", &store]);
    let server = Server::start_with(&data, &["--store", &store]);
    let c = server.client(&cred);
    c.ok("CreateKey", json!({"Alias": "over-tls"}));
    c.ok("GenerateRandom", json!({"NumberOfBytes": 8}));
    let sessions = |ssl: bool| {
        psql(
            &pg.url,
            &format!(
                "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.application_name = 'smkms' AND s.ssl = {ssl}"
            ),
        )
        .unwrap()
        .parse::<u32>()
        .unwrap()
    };
    assert!(sessions(true) > 0, "no TLS session from smkms");
    assert_eq!(sessions(false), 0, "a session from smkms without TLS");
    drop(server);

    // A certificate for another name: verify-full refuses it, require accepts it.
    let (other, other_key) = ca.issue_ext(
        "pg-other",
        "db.example",
        "subjectAltName=DNS:db.example\nextendedKeyUsage=serverAuth\n",
        KeyKind::EcPkcs8,
    );
    serve_tls(&pg, &other, &other_key, 2);
    let out = credentials_create(&data, &store);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "verify-full accepted a certificate for another name"
    );
    assert!(!err.contains(&password), "{err}");
    let require = format!("{db}?sslmode=require&sslrootcert={ca_file}");
    let out = credentials_create(&data, &require);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A CA that did not issue the server's certificate: refused in both modes.
    let foreign = Ca::new(pki.path(), "foreign-ca");
    for mode in ["require", "verify-full"] {
        let url = format!("{db}?sslmode={mode}&sslrootcert={}", foreign.cert.display());
        let out = credentials_create(&data, &url);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{mode} with a foreign CA was accepted"
        );
        assert!(
            !err.contains(&password) && !err.contains("panicked"),
            "{err}"
        );
    }
    // No CA file: refused before connecting, saying what to add.
    let out = credentials_create(&data, &format!("{db}?sslmode=require"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sslrootcert"));
}
