//! The audit trail: one chained JSON line per request that reached a dialect, durable
//! before its response leaves, with periodic SM2-signed chain heads.
//!
//! The HTTP layer hands each response's [`crate::api::Outcome`] to [`Audit::record`] and
//! waits for it; a writer thread (module `writer`) appends what is queued, `fdatasync`s once
//! for the batch and releases every waiter (group commit; what queues during a sync
//! is the next batch). When the trail cannot be
//! written (a full disk, a read-only directory) [`Audit::health`] says so, requests are
//! refused with the dialect's internal error, and the writer retries every second.
//!
//! Files are `<dir>/audit-<replica>-<index, 8 digits>.jsonl` (mode 0600, directory
//! 0700): each replica writes its own chain. [`record`] describes a line, [`verify`]
//! checks a directory. May name [`crate::api::Outcome`] and [`crate::crypto`], never
//! the store or the core: the signing key arrives already opened.

pub mod record;
pub mod verify;
mod writer;

use crate::api::Outcome;
use crate::crypto::sm2::sign::SigningKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How the trail is written.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dir: PathBuf,
    /// This replica's name: `[A-Za-z0-9_-]`, 1–64 characters.
    pub replica: String,
    pub max_file_bytes: u64,
    pub sign_interval: Duration,
}

/// Whether the trail can be written (the writer sets it).
#[derive(Debug, Default)]
pub(crate) struct Health {
    state: RwLock<Option<String>>,
}

impl Health {
    fn set(&self, state: Result<(), String>) {
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = state.err();
    }

    fn get(&self) -> Result<(), String> {
        match &*self.state.read().unwrap_or_else(|p| p.into_inner()) {
            None => Ok(()),
            Some(reason) => Err(reason.clone()),
        }
    }
}

/// The record of a request could not be made durable: the request must be answered
/// with an internal error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the audit trail cannot be written")]
pub struct Unavailable;

/// A running audit trail.
pub struct Audit {
    queue: Arc<writer::Queue>,
    health: Arc<Health>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    dir: PathBuf,
    replica: String,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit").field("dir", &self.dir).finish()
    }
}

/// The file of `replica`'s chain with number `index`.
pub fn file_name(replica: &str, index: u64) -> String {
    format!("audit-{replica}-{index:08}.jsonl")
}

/// Whether `id` may name a replica (it becomes part of file names).
pub fn valid_replica_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Where the records of a file's bytes end: at the first NUL (the open file is
/// extended with zeros ahead of its records; JSON never holds a NUL byte).
pub fn records_end(bytes: &[u8]) -> usize {
    bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len())
}

/// `(replica, index)` of a trail file's name.
pub fn parse_file_name(name: &str) -> Option<(String, u64)> {
    let stem = name.strip_prefix("audit-")?.strip_suffix(".jsonl")?;
    let (replica, index) = stem.rsplit_once('-')?;
    if index.len() != 8 || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !valid_replica_id(replica) {
        return None;
    }
    Some((replica.to_string(), index.parse().ok()?))
}

/// Every file of `replica`'s chain in `dir`, by index.
pub(crate) fn chain_files(dir: &Path, replica: &str) -> Result<Vec<(u64, PathBuf)>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        if let Some((r, i)) = e.file_name().to_str().and_then(parse_file_name) {
            if r == replica {
                out.push((i, e.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Creates `dir` with mode 0700, or makes an existing one so.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode != 0o700 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

impl Audit {
    /// Opens the trail: the directory, where this replica's chain stands, a new file
    /// with its `open` record, and the writer thread.
    pub fn open(settings: Settings, signer: Option<SigningKey>) -> Result<Arc<Audit>, String> {
        if !valid_replica_id(&settings.replica) {
            return Err(format!(
                "the replica id {:?} may hold only letters, digits, '_' and '-' (1 to 64)",
                settings.replica
            ));
        }
        let dir = settings.dir.clone();
        let replica = settings.replica.clone();
        private_dir(&dir)
            .map_err(|e| format!("cannot use the audit directory {}: {e}", dir.display()))?;
        let tail = writer::read_tail(&settings)?;
        let health = Arc::new(Health::default());
        let w = writer::Writer::start(settings, signer, health.clone(), tail)
            .map_err(|e| format!("cannot write to the audit directory {}: {e}", dir.display()))?;
        let queue = Arc::new(writer::Queue::default());
        let q = queue.clone();
        let thread = std::thread::Builder::new()
            .name("smkms-audit".into())
            .spawn(move || w.run(&q))
            .map_err(|e| format!("cannot start the audit writer: {e}"))?;
        Ok(Arc::new(Audit {
            queue,
            health,
            thread: Mutex::new(Some(thread)),
            dir,
            replica,
        }))
    }

    /// `Ok` when the trail is being written; otherwise why not (a message for logs and
    /// `/readyz`, naming the directory's problem, never a secret). Requests are refused
    /// while it is an error.
    pub fn health(&self) -> Result<(), String> {
        self.health.get()?;
        if self.queue.is_closed() {
            return Err("the audit trail is closed".into());
        }
        Ok(())
    }

    /// Whether a request may run: `Err` (why) while the trail cannot be written, and
    /// the request must then be refused before it runs (and changes anything).
    pub fn admit(&self) -> Result<(), String> {
        self.health()
    }

    /// Appends the record of `outcome` and returns once it is durable.
    pub async fn record(&self, outcome: &Outcome) -> Result<(), Unavailable> {
        let (done, wait) = tokio::sync::oneshot::channel();
        let body = record::body(
            &record::now(),
            &self.replica,
            "request",
            &record::request_fields(outcome),
        );
        if !self.queue.push(body, done) {
            return Err(Unavailable);
        }
        match wait.await {
            Ok(true) => Ok(()),
            _ => Err(Unavailable),
        }
    }

    /// Signs the head (when there is a key), syncs and stops the writer. Later records
    /// are refused.
    pub fn shutdown(&self) {
        self.queue.close();
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip_and_refuse_strangers() {
        assert_eq!(file_name("r-1", 3), "audit-r-1-00000003.jsonl");
        assert_eq!(
            parse_file_name("audit-r-1-00000003.jsonl"),
            Some(("r-1".into(), 3))
        );
        for bad in [
            "audit-r-1-3.jsonl",
            "audit--00000003.jsonl",
            "audit-r.1-00000003.jsonl",
            "audit-r-00000003.jsonl.tmp",
            "x-r-00000003.jsonl",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
        assert!(!valid_replica_id(&"a".repeat(65)));
        assert!(!valid_replica_id("a/b"));
    }

    fn settings(dir: &Path) -> Settings {
        Settings {
            dir: dir.to_path_buf(),
            replica: "r1".into(),
            max_file_bytes: 4096,
            sign_interval: Duration::from_secs(3600),
        }
    }

    /// Records through the writer, a restart, and a crash's half line: the chain goes
    /// on across all of them, and `verify` accepts the half line only as declared.
    #[tokio::test]
    async fn the_chain_survives_restarts_rotation_and_a_torn_line() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("audit");
        let key = SigningKey::generate();
        let public = key.public_key();
        let outcome = Outcome::new(crate::kms::Dialect::Huawei, None);
        let a = Audit::open(settings(&dir), Some(key)).unwrap();
        for _ in 0..30 {
            a.admit().unwrap();
            a.record(&outcome).await.unwrap();
        }
        a.shutdown();
        assert!(a.admit().is_err(), "closed");
        assert_eq!(a.record(&outcome).await, Err(Unavailable), "closed");
        assert!(a.health().is_err());
        let chains = verify::verify_dir(&dir, Some(&public), None).unwrap();
        assert!(chains[0].files >= 3, "{:?}", chains[0]);
        assert_eq!(chains[0].requests, 30);
        assert_eq!(chains[0].after_last_head, 0);

        // A crash mid-write: half a line at the end of the newest file.
        let newest = chain_files(&dir, "r1").unwrap().pop().unwrap().1;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&newest)
            .unwrap();
        std::io::Write::write_all(&mut f, br#"{"seq":99,"ti"#).unwrap();
        let bad = verify::verify_dir(&dir, None, None).unwrap_err();
        assert!(bad.what.contains("cut record"), "{bad}");
        let b = Audit::open(settings(&dir), None).unwrap();
        b.record(&outcome).await.unwrap();
        b.shutdown();
        let chains = verify::verify_dir(&dir, Some(&public), None).unwrap();
        assert_eq!(chains[0].requests, 31);
        assert_eq!(chains[0].after_last_head, 2, "no key on the second run");
    }

    /// Many requests at once: each is answered once its record is durable, none is
    /// lost or written twice, and the writer needs no timer to batch them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_records_are_all_written_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("audit");
        let mut s = settings(&dir);
        s.max_file_bytes = 1 << 20;
        let a = Audit::open(s, None).unwrap();
        let tasks: Vec<_> = (0..400)
            .map(|_| {
                let a = a.clone();
                tokio::spawn(async move {
                    let outcome = Outcome::new(crate::kms::Dialect::Tencent, None);
                    a.admit().unwrap();
                    a.record(&outcome).await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(()));
        }
        a.shutdown();
        let chains = verify::verify_dir(&dir, None, None).unwrap();
        assert_eq!(chains[0].requests, 400, "{:?}", chains[0]);
    }
}
