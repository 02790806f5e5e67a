//! Real PostgreSQL servers for the tests, through `.ci/postgres` (read its header):
//!
//! - [`PgServer`]: a server of the test's own, in a temporary directory, which the test
//!   may stop, kill (immediate shutdown, as a crash) and start again on the same port
//!   and data; dropped, it is stopped and its directory deleted.
//! - [`shared_url`]: an empty database of its own on a server shared by the whole run:
//!   the one `.ci/test` started (named by `SMKMS_TEST_POSTGRES_URL`), or else one started
//!   once per test binary.
//!
//! Every server is started with `--stop-with-pid` and `--remove-dir`: a detached
//! watchdog stops it and deletes its directory once the test process is gone, which is
//! how the shared server (a static, never dropped) ends, and how any server ends when a
//! test process is killed.
//!
//! Without PostgreSQL's binaries these panic, telling to install `postgresql` or to run
//! `.ci/test`: the PostgreSQL tests are never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The server `.ci/test` started for the whole run: `postgres://USER:PASSWORD@HOST:PORT/DB`.
pub const URL_ENV: &str = "SMKMS_TEST_POSTGRES_URL";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres")
}

/// The newest `/usr/lib/postgresql/VERSION/bin` that has `program`.
fn debian_bin(program: &str) -> Option<PathBuf> {
    let mut found: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e
                .file_name()
                .to_str()?
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            let path = e.path().join("bin").join(program);
            path.is_file().then_some((version, path))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

fn require_server_binaries() {
    if std::env::var_os("SMKMS_PG_BIN").is_none() && debian_bin("initdb").is_none() {
        panic!(
            "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install them \
             (apt-get install postgresql) or run the suite with .ci/test, which does; \
             the PostgreSQL tests are never skipped"
        );
    }
}

/// `psql`: PostgreSQL's own under /usr/lib/postgresql, else the one on PATH.
fn psql_program() -> PathBuf {
    debian_bin("psql").unwrap_or_else(|| PathBuf::from("psql"))
}

/// Runs `.ci/postgres ARGS`; its one line of stdout on success, a panic with its stderr
/// (which says what went wrong, and has the server log's tail) otherwise.
fn run_script(args: &[&str]) -> String {
    let out = Command::new(script())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script().display()));
    assert!(
        out.status.success(),
        ".ci/postgres {} failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs SQL with psql against `url`: its output (unaligned, tuples only, trimmed), or
/// psql's error message. A connection that cannot be made fails within 10 s.
pub fn psql(url: &str, sql: &str) -> Result<String, String> {
    let out = Command::new(psql_program())
        .args([
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "run psql ({e}): install postgresql (apt-get install postgresql) or run .ci/test"
            )
        });
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// `url` with its database (the URL's path) replaced by `database`; query kept.
pub fn with_database(url: &str, database: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let authority = main
        .find("://")
        .unwrap_or_else(|| panic!("not a postgres:// URL: {url}"))
        + 3;
    let base = match main[authority..].find('/') {
        Some(i) => &main[..authority + i],
        None => main,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// Creates an empty database with a name used nowhere before on the server of `url` and
/// returns its URL (same user and password).
pub fn fresh_database_on(url: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "smkms_test_{}_{}_{nanos:08x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    if let Err(e) = psql(url, &format!("CREATE DATABASE {name}")) {
        panic!("create database {name}: {e}");
    }
    with_database(url, &name)
}

/// The URL of an empty database of its own on the run's shared server: the one named by
/// `SMKMS_TEST_POSTGRES_URL` (`.ci/test` sets it), else one this test binary starts on
/// first use and the watchdog stops (and deletes) after the binary exits.
pub fn shared_url() -> String {
    static BASE: OnceLock<String> = OnceLock::new();
    let base = BASE.get_or_init(|| match std::env::var(URL_ENV) {
        Ok(url) if !url.is_empty() => url,
        _ => {
            require_server_binaries();
            let dir = tempfile::Builder::new()
                .prefix("smkms-pg-")
                .tempdir()
                .expect("temporary directory for PostgreSQL")
                .keep();
            let pid = std::process::id().to_string();
            let dir = dir.to_str().expect("UTF-8 temporary directory");
            run_script(&["start", dir, "--stop-with-pid", &pid, "--remove-dir"])
        }
    });
    fresh_database_on(base)
}

/// A PostgreSQL server of one test's own: see the module comment.
pub struct PgServer {
    dir: tempfile::TempDir,
    owner: u32,
    /// `postgres://smkms:PASSWORD@127.0.0.1:PORT/smkms`, a superuser; the same for the
    /// server's whole life, across stops and restarts.
    pub url: String,
}

impl PgServer {
    /// A new cluster, started and accepting connections.
    pub fn start() -> PgServer {
        PgServer::start_watched_by(std::process::id())
    }

    /// Like [`PgServer::start`], but the watchdog stops the server (and deletes its
    /// directory) once process `owner` has gone rather than this test process.
    pub fn start_watched_by(owner: u32) -> PgServer {
        require_server_binaries();
        let dir = tempfile::Builder::new()
            .prefix("smkms-pg-")
            .tempdir()
            .expect("temporary directory for PostgreSQL");
        let mut server = PgServer {
            dir,
            owner,
            url: String::new(),
        };
        server.url = server.start_command();
        server
    }

    fn dir_str(&self) -> &str {
        self.dir.path().to_str().expect("UTF-8 temporary directory")
    }

    fn start_command(&self) -> String {
        let owner = self.owner.to_string();
        run_script(&[
            "start",
            self.dir_str(),
            "--stop-with-pid",
            &owner,
            "--remove-dir",
        ])
    }

    /// The directory of the cluster (`data/`), its `log`, `port` and `password`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn port(&self) -> u16 {
        std::fs::read_to_string(self.dir.path().join("port"))
            .expect("DIR/port")
            .trim()
            .parse()
            .expect("a port number in DIR/port")
    }

    /// The server's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Fast shutdown: sessions are ended, a checkpoint written. Quiet if not running.
    pub fn stop(&self) {
        run_script(&["stop", self.dir_str()]);
    }

    /// Immediate shutdown, as a crash: no checkpoint; the next start runs recovery.
    pub fn kill(&self) {
        run_script(&["kill", self.dir_str()]);
    }

    /// Starts the server again on the same port and data (after [`stop`](Self::stop) or
    /// [`kill`](Self::kill)); returns once it accepts connections. A running server is
    /// left as it is.
    pub fn start_again(&self) {
        let url = self.start_command();
        assert_eq!(url, self.url, "the restarted server has another URL");
    }

    pub fn is_running(&self) -> bool {
        let status = Command::new(script())
            .args(["status", self.dir_str()])
            .output()
            .expect("run .ci/postgres status");
        match status.status.code() {
            Some(0) => true,
            Some(3) | Some(4) => false,
            _ => panic!(
                ".ci/postgres status: {}\n{}",
                status.status,
                String::from_utf8_lossy(&status.stderr)
            ),
        }
    }

    /// The URL of a new, empty database on this server.
    pub fn fresh_database(&self) -> String {
        fresh_database_on(&self.url)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // Errors ignored: the server may be stopped already, or its directory gone.
        let _ = Command::new(script())
            .args(["stop", self.dir_str()])
            .output();
    }
}
