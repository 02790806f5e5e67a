//! The admin listener on the real binary: off by default; with `--admin-listen` it
//! serves `/healthz`, `/readyz` (following a real PostgreSQL server stopped and started
//! again) and `/metrics`, which independent parsers read (the Python
//! `prometheus_client` package's OpenMetrics and Prometheus text parsers) and whose
//! counters move with signed requests, and which never shows a secret.

mod common;
use common::postgres::PgServer;
use common::*;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const SM2_PUB: &str = include_str!("../src/crypto/deliver/testdata/sm2.pub");
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0";

/// The admin address the server printed before its API address.
fn admin_addr(server: &Server) -> SocketAddr {
    server
        .banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("smkms admin listening on http://"))
        .unwrap_or_else(|| panic!("no admin line in {:?}", server.banner))
        .parse()
        .unwrap()
}

fn request(addr: SocketAddr, method: &str, path: &str, accept: Option<&str>) -> Resp {
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    raw(
        addr,
        format!("{method} {path} HTTP/1.1\r\nHost: admin\r\n{accept}Connection: close\r\n\r\n")
            .as_bytes(),
    )
}

fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, None)
}

fn text(r: &Resp) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

/// One sample as the parser read it.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: serde_json::Map<String, Value>,
    value: f64,
}

/// Parses an exposition with the Python client's parser: strict OpenMetrics when
/// `openmetrics`, else the Prometheus text format. Panics on anything it refuses.
fn parse(exposition: &str, openmetrics: bool) -> Vec<Sample> {
    let python =
        std::env::var("SMKMS_PYTHON").unwrap_or_else(|_| format!("{REPO}/.venv/bin/python"));
    let ok = Command::new(&python)
        .args(["-c", "import prometheus_client"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "Python with prometheus_client ({python}; set SMKMS_PYTHON): \
         python3 -m venv .venv && .venv/bin/pip install -r tests/python/requirements.txt"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.txt");
    std::fs::write(&file, exposition).unwrap();
    let script = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as prom
text = open(sys.argv[1], encoding="utf-8").read()
parse = om if sys.argv[2] == "openmetrics" else prom
out = []
for family in parse(text):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value, "type": family.type})
print(json.dumps(out))
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(&file)
        .arg(if openmetrics {
            "openmetrics"
        } else {
            "prometheus"
        })
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the parser refused the exposition: {}\n{exposition}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    v.into_iter()
        .map(|s| Sample {
            name: s["name"].as_str().unwrap().to_string(),
            labels: s["labels"].as_object().unwrap().clone(),
            value: s["value"].as_f64().unwrap(),
        })
        .collect()
}

/// Scrapes as Prometheus does (OpenMetrics) and checks the response.
fn scrape(admin: SocketAddr) -> (String, Vec<Sample>) {
    let r = request(admin, "GET", "/metrics", Some(OPENMETRICS));
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text; version=1.0.0"),
        "{:?}",
        r.headers
    );
    let body = text(&r);
    let samples = parse(&body, true);
    (body, samples)
}

/// The value of the sample named `name` whose labels include `labels`; 0 if none.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).and_then(Value::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

fn start_with_admin(data: &Path, extra: &[&str]) -> (Server, SocketAddr) {
    let mut args = vec!["--admin-listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let server = Server::start_with(data, &args);
    let admin = admin_addr(&server);
    (server, admin)
}

#[test]
fn the_admin_listener_is_off_by_default() {
    let (_dir, server, cred) = fresh();
    assert!(
        !server.banner.contains("admin"),
        "printed: {:?}",
        server.banner
    );
    server.client(&cred).ok("ListKeys", json!({}));
    // The API's port does not serve the admin paths: they are a dialect's requests.
    for path in ["/metrics", "/healthz", "/readyz"] {
        let r = get(server.addr, path);
        assert!(!text(&r).contains("smkms_"), "{path}: {}", text(&r));
        assert_ne!(text(&r), "ok\n");
    }
}

#[test]
fn health_and_unknown_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (server, admin) = start_with_admin(dir.path(), &[]);
    assert_ne!(admin, server.addr);
    let r = get(admin, "/healthz");
    assert_eq!((r.status, text(&r).as_str()), (200, "ok\n"));
    let r = get(admin, "/readyz");
    assert_eq!((r.status, text(&r).as_str()), (200, "ready\n"));
    for path in [
        "/",
        "/metrics/",
        "/health",
        "/v2/index.php",
        "/v1.0/p/kms/create-key",
    ] {
        let r = get(admin, path);
        assert_eq!(r.status, 404, "{path}");
    }
    let r = request(admin, "POST", "/metrics", None);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    // Garbage on the admin port is answered or dropped, and the server stays up.
    let r = raw(admin, b"\x16\x03\x01\x00\x05hello\r\n\r\n");
    assert_eq!(r.status, 400);
    assert_eq!(get(admin, "/healthz").status, 200);
    // The TOML setting does the same as the flag.
    drop(server);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("smkms.toml");
    std::fs::write(&config, "admin_listen = \"127.0.0.1:0\"\n").unwrap();
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(get(admin_addr(&server), "/healthz").status, 200);
}

#[test]
fn metrics_parse_and_move_with_requests_and_hold_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let (server, admin) = start_with_admin(dir.path(), &[]);
    let c = server.client(&cred);

    let key_id = c.ok("CreateKey", json!({"Alias": "metered"}))["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, before) = scrape(admin);
    let ok = [
        ("dialect", "tencent"),
        ("action", "GenerateDataKey"),
        ("code", "ok"),
    ];
    assert_eq!(value(&before, "smkms_requests_total", &ok), 0.0);

    for _ in 0..3 {
        c.ok(
            "GenerateDataKey",
            json!({"KeyId": key_id, "NumberOfBytes": 32}),
        );
    }
    let delivered = c.ok(
        "GenerateDataKey",
        json!({"KeyId": key_id, "NumberOfBytes": 16,
               "EncryptionPublicKey": SM2_PUB, "EncryptionAlgorithm": "SM2"}),
    );
    assert!(delivered["Plaintext"].is_string());
    let plaintext = "bWV0cmljcyBtdXN0IG5ldmVyIHNob3cgdGhpcw==";
    let blob =
        c.ok("Encrypt", json!({"KeyId": key_id, "Plaintext": plaintext}))["CiphertextBlob"].clone();
    c.ok("Decrypt", json!({"CiphertextBlob": blob}));
    // Refused: a bad signature, an action no API has, a key that does not exist.
    let bad = Client::new(
        server.addr,
        &Cred {
            secret_key: "not-the-secret-key-at-all".into(),
            ..cred.clone()
        },
    );
    assert_eq!(
        bad.err("Encrypt", json!({"KeyId": key_id, "Plaintext": plaintext}))
            .0,
        "AuthFailure.SignatureFailure"
    );
    assert_eq!(c.err("NoSuchAction", json!({})).0, "InvalidAction");
    assert_eq!(
        c.err(
            "DescribeKey",
            json!({"KeyId": "00000000-0000-4000-8000-000000000000"})
        )
        .0,
        "ResourceUnavailable.CmkNotFound"
    );

    let (body, after) = scrape(admin);
    assert_eq!(value(&after, "smkms_requests_total", &ok), 4.0);
    assert_eq!(
        value(&after, "smkms_deliveries_total", &[("algorithm", "SM2")]),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "smkms_requests_total",
            &[
                ("action", "Encrypt"),
                ("code", "AuthFailure.SignatureFailure")
            ]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "smkms_requests_total",
            &[("action", "other"), ("code", "InvalidAction")]
        ),
        1.0,
        "an unknown action is not a label of its own"
    );
    assert_eq!(
        value(
            &after,
            "smkms_requests_total",
            &[
                ("action", "DescribeKey"),
                ("code", "ResourceUnavailable.CmkNotFound")
            ]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "smkms_request_duration_seconds_count",
            &[("dialect", "tencent"), ("action", "GenerateDataKey")]
        ),
        4.0
    );
    // The client's keep-alive connection is open; several were accepted.
    assert!(value(&after, "smkms_open_connections", &[]) >= 1.0);
    assert!(value(&after, "smkms_connections_total", &[]) >= 2.0);
    assert!(
        value(
            &after,
            "smkms_store_operation_duration_seconds_count",
            &[("operation", "generation")]
        ) > 0.0
    );
    assert!(
        value(
            &after,
            "smkms_store_operation_duration_seconds_count",
            &[("operation", "create_cmk")]
        ) >= 1.0
    );
    assert!(body.contains("# TYPE smkms_audit_write_duration_seconds histogram"));

    // Repeated requests are answered from the caches.
    for cache in ["credentials", "cmk", "material"] {
        let hits = |s: &[Sample]| value(s, "smkms_cache_hits_total", &[("cache", cache)]);
        assert!(hits(&after) > hits(&before), "{cache}: no hit counted");
        assert!(
            value(&after, "smkms_cache_misses_total", &[("cache", cache)]) >= 1.0,
            "{cache}: the first lookup is a miss"
        );
    }
    let (_, later) = scrape(admin);
    for _ in 0..5 {
        c.ok("Encrypt", json!({"KeyId": key_id, "Plaintext": "aGk="}));
    }
    let (_, last) = scrape(admin);
    for cache in ["credentials", "cmk", "material"] {
        let hits = |s: &[Sample]| value(s, "smkms_cache_hits_total", &[("cache", cache)]);
        assert!(hits(&last) >= hits(&later) + 5.0, "{cache}");
    }

    // Nothing secret, and nothing naming a caller or a key, in either format.
    let prom = text(&get(admin, "/metrics"));
    parse(&prom, false);
    for exposition in [&body, &prom] {
        assert_eq!(find_secret_in(exposition), None);
        for needle in [
            cred.secret_key.as_str(),
            cred.secret_id.as_str(),
            &cred.uin.to_string(),
            key_id.as_str(),
            plaintext,
            blob.as_str().unwrap(),
        ] {
            assert!(!exposition.contains(needle), "{needle} in\n{exposition}");
        }
    }
}

/// `/readyz` answers 503 within its bound once the database is stopped, `/healthz`
/// stays 200, and readiness comes back by itself when the database does.
#[test]
fn readyz_follows_the_database() {
    let pg = PgServer::start();
    let url = pg.fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential_with(dir.path(), &["--store", &url]);
    let config = dir.path().join("smkms.toml");
    std::fs::write(&config, "[postgres]\ntimeout_ms = 1000\n").unwrap();
    let (server, admin) = start_with_admin(
        dir.path(),
        &["--store", &url, "--config", config.to_str().unwrap()],
    );
    let c = server.client(&cred);
    c.ok("ListKeys", json!({}));
    assert_eq!(get(admin, "/readyz").status, 200);

    pg.stop();
    let deadline = Instant::now() + Duration::from_secs(20);
    let reason = loop {
        let asked = Instant::now();
        let r = get(admin, "/readyz");
        assert!(
            asked.elapsed() < Duration::from_secs(4),
            "/readyz took {:?}: past its 2 s bound",
            asked.elapsed()
        );
        if r.status == 503 {
            break text(&r);
        }
        assert_eq!(r.status, 200);
        assert!(
            Instant::now() < deadline,
            "still ready with the database stopped"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(reason.starts_with("not ready: store: "), "{reason}");
    assert!(
        !reason.contains(&pg.url),
        "the URL (with its password) is shown: {reason}"
    );
    assert_eq!(
        get(admin, "/healthz").status,
        200,
        "the process is still up"
    );
    let (_, samples) = scrape(admin);
    assert!(
        value(
            &samples,
            "smkms_store_errors_total",
            &[("error", "backend")]
        ) >= 1.0,
        "store failures are counted"
    );

    pg.start_again();
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(admin, "/readyz").status != 200 {
        assert!(
            Instant::now() < deadline,
            "not ready again after the database came back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    c.ok("ListKeys", json!({}));
}

/// From SIGTERM on, while in-flight requests finish, `/readyz` says so: a balancer sends
/// nothing new to a replica that is going away.
#[test]
fn readyz_answers_503_while_the_server_drains() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (server, admin) = start_with_admin(dir.path(), &[]);
    assert_eq!(get(admin, "/readyz").status, 200);
    // A request in flight: its body is still coming, so the drain waits for it.
    let mut slow = std::net::TcpStream::connect(server.addr).unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let status = Command::new("kill")
        .args(["-15", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = get(admin, "/readyz");
        if r.status == 503 {
            assert_eq!(text(&r), "not ready: shutting down\n");
            break;
        }
        assert!(Instant::now() < deadline, "still ready after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(get(admin, "/healthz").status, 200, "up while draining");
    drop(slow);
}
