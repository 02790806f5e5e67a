//! Shared test harness: start the real `smkms` binary on 127.0.0.1:0, create
//! credentials with the real CLI, and talk to it over plain HTTP/1.1; `postgres`
//! starts real PostgreSQL servers (through `.ci/postgres`) for the store tests.
#![allow(dead_code)]

pub mod openssl;
pub mod postgres;
pub mod tls;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_smkms")
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[derive(Clone, Debug)]
pub struct Cred {
    pub secret_id: String,
    pub secret_key: String,
    pub uin: u64,
}

/// `smkms credentials create --json`, optionally for an existing account.
pub fn create_credential(data: &Path, uin: Option<u64>) -> Cred {
    let uin = uin.map(|u| u.to_string());
    match &uin {
        Some(u) => create_credential_with(data, &["--uin", u]),
        None => create_credential_with(data, &[]),
    }
}

/// `smkms credentials create --json --data DATA EXTRA…` (`--store URL`, `--uin N`).
pub fn create_credential_with(data: &Path, extra: &[&str]) -> Cred {
    let mut cmd = Command::new(bin());
    cmd.args(["credentials", "create", "--json", "--data"])
        .arg(data)
        .args(extra);
    let out = cmd.output().expect("run smkms credentials create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON credential");
    remember_secret(v["SecretKey"].as_str().unwrap());
    Cred {
        secret_id: v["SecretId"].as_str().unwrap().into(),
        secret_key: v["SecretKey"].as_str().unwrap().into(),
        uin: v["Uin"].as_str().unwrap().parse().unwrap(),
    }
}

/// Secrets a test has seen (SecretKeys, plaintexts and data keys the server returned).
/// Every server's log, written at the most verbose level, is scanned for each of them
/// when the server is dropped: no secret may ever reach a log.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Registers a secret (as text) to be looked for in server logs. Short values would
/// match by chance, so only values of 12 characters or more are kept.
pub fn remember_secret(s: &str) {
    if s.len() >= 12 {
        SECRETS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(s.to_string());
    }
}

/// The first secret the tests have seen (see [`remember_secret`]) that occurs in `text`.
pub fn find_secret_in(text: &str) -> Option<String> {
    let secrets = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    secrets.iter().find(|s| text.contains(s.as_str())).cloned()
}

/// Registers a base64 value and its hex form.
fn remember_b64_secret(s: &str) {
    use base64::Engine;
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s) {
        if bytes.len() >= 8 {
            remember_secret(s);
            remember_secret(&hex::encode(&bytes));
            remember_secret(&hex::encode_upper(&bytes));
        }
    }
}

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// It printed `https://` in its listening line.
    pub https: bool,
    pub data: PathBuf,
    /// Everything the server printed on stdout before the listening line.
    pub banner: String,
    /// The server's stderr (its log, at `trace` level unless SMKMS_TEST_LOG says otherwise).
    pub log: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Self::start_with(data, &[])
    }

    // The child is owned by the returned Server, whose Drop kills and waits for it.
    #[allow(clippy::zombie_processes)]
    pub fn start_with(data: &Path, extra: &[&str]) -> Server {
        let log_dir = tempfile::tempdir().unwrap();
        let log = log_dir.path().join("server.log");
        let mut child = Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .env(
                "SMKMS_LOG",
                std::env::var("SMKMS_TEST_LOG").unwrap_or_else(|_| "trace".into()),
            )
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start smkms serve");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap();
            if n == 0 {
                let status = child.wait();
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("server exited ({status:?}) before listening; printed: {banner}\n{log}");
            }
            let listening = line.trim().strip_prefix("smkms listening on ");
            let url = listening.and_then(|u| {
                u.strip_prefix("http://")
                    .map(|a| (false, a))
                    .or_else(|| u.strip_prefix("https://").map(|a| (true, a)))
            });
            if let Some((https, rest)) = url {
                let addr = rest.parse().unwrap();
                // Keep draining stdout so the server never blocks on a full pipe.
                std::thread::spawn(move || {
                    let mut sink = Vec::new();
                    let _ = reader.read_to_end(&mut sink);
                });
                for secret in banner
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("SecretKey:"))
                {
                    remember_secret(secret.trim());
                }
                return Server {
                    child,
                    addr,
                    https,
                    data: data.to_path_buf(),
                    banner,
                    log,
                    _log_dir: log_dir,
                };
            }
            banner.push_str(&line);
        }
    }

    pub fn kill9(&mut self) {
        unsafe_kill(self.child.id() as i32, 9);
        let _ = self.child.wait();
    }

    /// SIGTERM and wait; returns the exit status code.
    pub fn stop(&mut self) -> Option<i32> {
        unsafe_kill(self.child.id() as i32, 15);
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn client(&self, cred: &Cred) -> Client {
        Client::new(self.addr, cred)
    }
}

impl Server {
    /// Fails if any secret the tests have seen appears in this server's log.
    pub fn assert_log_has_no_secrets(&self) {
        let secrets = SECRETS.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(found) = self.find_in_log(&secrets) {
            panic!(
                "a secret ({}…) appears in the server log {}",
                &found[..6],
                self.log.display()
            );
        }
    }

    /// The first of `needles` that occurs in this server's log.
    pub fn find_in_log(&self, needles: &[String]) -> Option<String> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        needles.iter().find(|n| log.contains(n.as_str())).cloned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            unsafe_kill(self.child.id() as i32, 9);
            let _ = self.child.wait();
        }
        if !std::thread::panicking() {
            self.assert_log_has_no_secrets();
        }
    }
}

fn unsafe_kill(pid: i32, sig: i32) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// A raw HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
    /// The Tencent error code, or None for a success.
    pub fn code(&self) -> Option<String> {
        self.json()["Response"]["Error"]["Code"]
            .as_str()
            .map(str::to_string)
    }
    pub fn message(&self) -> String {
        self.json()["Response"]["Error"]["Message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// Sends raw bytes and reads one response (Content-Length framed).
///
/// The request is written from another thread while this one reads, so a server that
/// answers before reading everything (a body over the cap) is seen answering, and a
/// write that fails because the server closed early is not an error.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut w = s.try_clone().unwrap();
    let request = request.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&request);
    });
    let r = read_response(&mut s);
    let _ = writer.join();
    r
}

pub fn read_response<S: Read>(s: &mut S) -> Resp {
    let mut reader = BufReader::new(s);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"))
        .parse()
        .unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap();
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).unwrap();
    Resp {
        status,
        headers,
        body,
    }
}

/// A Tencent API 3.0 client that signs like the official SDKs (TC3, content-type;host)
/// and, like them, sends its calls over one keep-alive connection. `send` instead
/// opens a fresh connection per request, as someone replaying a captured request would.
#[derive(Clone)]
pub struct Client {
    pub addr: SocketAddr,
    pub cred: Cred,
    pub region: String,
    session: std::sync::Arc<std::sync::Mutex<Option<TcpStream>>>,
}

/// Parts of a request a test may want to tamper with before sending.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub query: String,
    pub host: String,
    pub content_type: String,
    pub action: String,
    pub version: String,
    pub region: String,
    pub timestamp: i64,
    pub authorization: String,
    pub body: Vec<u8>,
    pub extra_headers: Vec<(String, String)>,
}

impl Req {
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode(false)
    }

    pub fn encode(&self, keep_alive: bool) -> Vec<u8> {
        let target = if self.query.is_empty() {
            "/".to_string()
        } else {
            format!("/?{}", self.query)
        };
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nX-TC-Action: {}\r\nX-TC-Version: {}\r\nX-TC-Region: {}\r\nX-TC-Timestamp: {}\r\nAuthorization: {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
            self.method, target, self.host, self.content_type, self.action, self.version, self.region,
            self.timestamp, self.authorization, self.body.len(),
            if keep_alive { "keep-alive" } else { "close" }
        );
        for (k, v) in &self.extra_headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

impl Client {
    pub fn new(addr: SocketAddr, cred: &Cred) -> Client {
        Client {
            addr,
            cred: cred.clone(),
            region: "ap-guangzhou".into(),
            session: Default::default(),
        }
    }

    /// The same credential in another region, on a session of its own.
    pub fn with_region(&self, region: &str) -> Client {
        Client {
            region: region.into(),
            session: Default::default(),
            ..self.clone()
        }
    }

    /// Sends over this client's keep-alive connection (opened on first use).
    pub fn send_session(&self, req: &Req) -> Resp {
        let mut guard = self.session.lock().unwrap();
        for attempt in 0..2 {
            if guard.is_none() {
                let s = TcpStream::connect(self.addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                *guard = Some(s);
            }
            let s = guard.as_mut().unwrap();
            let sent = s.write_all(&req.encode(true));
            let got = sent.ok().and_then(|_| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_response(s))).ok()
            });
            match got {
                Some(r) => return r,
                // The server closed an idle connection: reconnect once.
                None if attempt == 0 => *guard = None,
                None => break,
            }
        }
        panic!("no response on the session connection");
    }

    /// A signed POST request, not yet sent.
    pub fn prepare(&self, action: &str, params: &Value) -> Req {
        self.prepare_at(action, params, now())
    }

    pub fn prepare_at(&self, action: &str, params: &Value, timestamp: i64) -> Req {
        let body = serde_json::to_vec(params).unwrap();
        let host = self.addr.to_string();
        let authorization = smkms::auth::tc3::sign_post(
            &self.cred.secret_id,
            &self.cred.secret_key,
            &host,
            "application/json",
            timestamp,
            &body,
        );
        Req {
            method: "POST".into(),
            query: String::new(),
            host,
            content_type: "application/json".into(),
            action: action.into(),
            version: "2019-01-18".into(),
            region: self.region.clone(),
            timestamp,
            authorization,
            body,
            extra_headers: Vec::new(),
        }
    }

    pub fn send(&self, req: &Req) -> Resp {
        raw(self.addr, &req.to_bytes())
    }

    /// Signs and sends; returns the `Response` object, whether success or error.
    pub fn call(&self, action: &str, params: Value) -> Value {
        if let Some(p) = params.get("Plaintext").and_then(Value::as_str) {
            remember_b64_secret(p);
        }
        let r = self.send_session(&self.prepare(action, &params));
        assert_eq!(r.status, 200);
        let resp = r.json()["Response"].clone();
        if let Some(p) = resp.get("Plaintext").and_then(Value::as_str) {
            remember_b64_secret(p);
        }
        resp
    }

    /// Like `call`, but panics on an error response.
    pub fn ok(&self, action: &str, params: Value) -> Value {
        let r = self.call(action, params);
        assert!(r.get("Error").is_none(), "{action} failed: {r}");
        r
    }

    /// Like `call`, expecting an error; returns (code, message).
    pub fn err(&self, action: &str, params: Value) -> (String, String) {
        let r = self.call(action, params);
        let e = r
            .get("Error")
            .unwrap_or_else(|| panic!("{action} succeeded: {r}"));
        (
            e["Code"].as_str().unwrap().into(),
            e["Message"].as_str().unwrap().into(),
        )
    }
}

/// Like [`fresh`], with the server started on a configuration file holding `toml`.
pub fn fresh_with_config(toml: &str) -> (tempfile::TempDir, Server, Cred) {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let config = dir.path().join("smkms.toml");
    std::fs::write(&config, toml).unwrap();
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    (dir, server, cred)
}

/// A fresh data directory with one credential, and the server on it.
pub fn fresh() -> (tempfile::TempDir, Server, Cred) {
    let dir = tempfile::tempdir().unwrap();
    let cred = create_credential(dir.path(), None);
    let server = Server::start(dir.path());
    (dir, server, cred)
}
