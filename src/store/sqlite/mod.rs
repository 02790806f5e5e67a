//! The embedded engine: SQLite in the data directory.
//!
//! WAL with `synchronous=FULL` makes every acknowledged commit durable across `kill -9`
//! and power loss. One writer connection serialises writes (SQLite allows one writer at
//! a time anyway); a few reader connections serve reads concurrently under WAL. Other
//! processes (the `smkms credentials` command) may write to the same file while the
//! server runs: a busy timeout makes them take turns, and each read sees the newest
//! commit, so a credential created or deleted there takes effect at once.
//!
//! rusqlite is synchronous, so every call runs on tokio's blocking pool: an fsync never
//! stalls the async workers.

use super::{Store, StoreError, StoreResult};
use crate::model::{Cmk, Credential, DataKey, ImportToken, Scope};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod rows;

mod snapshot;

use rows::{
    insert_cmk, insert_data_key, insert_import_token, is_unique_violation, row_to_cmk,
    row_to_credential, row_to_data_key, row_to_import_token, tags_to_json, update_row, CMK_COLUMNS,
    DATA_KEY_COLUMNS, IMPORT_TOKEN_COLUMNS,
};

const READERS: usize = 4;

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// A connection that only asks `PRAGMA data_version`, which changes when any
    /// *other* connection (our writer, or another process) commits. None in memory,
    /// where there is no other connection.
    watcher: Option<Mutex<Connection>>,
    /// Writes committed through this store object, counted after each commit; covers
    /// the in-memory engine, where `data_version` cannot see our own writes.
    local_writes: std::sync::atomic::AtomicU64,
}

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A write transaction that takes the write lock at BEGIN. A deferred one that reads
/// first (a limit's count) and then writes cannot wait for the lock when another
/// process committed in between: SQLite fails it at once with "database is locked".
/// Taking the lock first lets the busy timeout make processes take turns.
fn immediate(conn: &mut Connection) -> StoreResult<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Makes the database file and its `-wal` and `-shm` files mode 0600, whatever the
/// process umask. SQLite creates a new database 0644, and gives the `-wal` and `-shm`
/// files the database file's own mode: so a missing database file is created here,
/// empty and 0600 (set explicitly, past the umask), before SQLite opens it, and files
/// left more open (by an earlier version) are tightened. Explicit modes rather than a
/// process-wide umask: they hold however the library is embedded, and the umask is
/// shared by every thread of the process.
///
/// An existing database file is never opened here, only `chmod`ed by name: closing
/// any descriptor of a file drops every POSIX lock this process holds on it, SQLite's
/// included, and a connection that lost its locks may take itself for the last one
/// and delete the WAL from under a running server.
fn private_files(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let private = || std::fs::Permissions::from_mode(0o600);
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(file) => file.set_permissions(private()).map_err(backend)?,
                // Another process created it first; it is tightened below.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(backend(e)),
            }
        }
        Err(e) => return Err(backend(e)),
        Ok(_) => {}
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::metadata(&name) {
            Ok(m) if m.permissions().mode() & 0o777 != 0o600 => {
                std::fs::set_permissions(&name, private()).map_err(backend)?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(backend(e)),
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`. The file and SQLite's
    /// `-wal` and `-shm` files beside it are mode 0600 (see `private_files`).
    pub fn open(path: &Path) -> StoreResult<Self> {
        private_files(path)?;
        let mut writer = Connection::open(path).map_err(backend)?;
        configure(&writer).map_err(backend)?;
        rows::migrate(&mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open(path).map_err(backend)?;
            configure(&r).map_err(backend)?;
            readers.push(Mutex::new(r));
        }
        let watcher = Connection::open(path).map_err(backend)?;
        configure(&watcher).map_err(backend)?;
        // The -wal and -shm files exist now; they took the database file's mode.
        private_files(path)?;
        Ok(Self::from_parts(writer, readers, Some(watcher)))
    }

    /// A private in-memory database (one connection), for tests and fuzzing.
    pub fn open_in_memory() -> StoreResult<Self> {
        let mut writer = Connection::open_in_memory().map_err(backend)?;
        rows::migrate(&mut writer)?;
        Ok(Self::from_parts(writer, Vec::new(), None))
    }

    fn from_parts(
        writer: Connection,
        readers: Vec<Mutex<Connection>>,
        watcher: Option<Connection>,
    ) -> Self {
        SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                watcher: watcher.map(Mutex::new),
                local_writes: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let result = f(&mut conn);
            // Counted after the commit (or failure): a reader that saw the old count
            // may cache what it read, but the next lookup sees the new count.
            inner.local_writes.fetch_add(1, Ordering::SeqCst);
            result
        })
        .await
        .map_err(backend)?
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            if inner.readers.is_empty() {
                let conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
                return f(&conn);
            }
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let conn = inner.readers[i].lock().unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await
        .map_err(backend)?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn generation(&self) -> Option<super::Generation> {
        let local = self.inner.local_writes.load(Ordering::SeqCst);
        super::snapshot_generation(local, || async {
            let external = match &self.inner.watcher {
                None => 0,
                Some(w) => {
                    let conn = w.lock().unwrap_or_else(|p| p.into_inner());
                    // Reads the WAL index in shared memory (no disk I/O) under a WAL read
                    // lock. Every request asks, so the statement is prepared once.
                    conn.prepare_cached("PRAGMA data_version")
                        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
                        .ok()? as u64
                }
            };
            Some(super::Generation(local, external))
        })
        .await
    }

    async fn create_cmk(&self, cmk: &Cmk, material: Option<&[u8]>, limit: u32) -> StoreResult<()> {
        let cmk = cmk.clone();
        let material = material.map(|m| m.to_vec());
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let count: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM cmks WHERE account=?1 AND region=?2",
                    params![cmk.scope.account as i64, cmk.scope.region],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if count >= limit as i64 {
                return Err(StoreError::LimitReached(limit));
            }
            insert_cmk(&tx, &cmk)?;
            if let Some(sealed) = material {
                tx.execute(
                    "INSERT INTO cmk_material (key_id, version, sealed) VALUES (?1, ?2, ?3)",
                    params![cmk.key_id, cmk.current_version, sealed],
                )
                .map_err(backend)?;
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn get_cmk(&self, key_id: &str) -> StoreResult<Option<Cmk>> {
        let key_id = key_id.to_string();
        self.read(move |conn| {
            conn.query_row(
                &format!("SELECT {CMK_COLUMNS} FROM cmks WHERE key_id=?1"),
                [key_id],
                row_to_cmk,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn list_cmks(&self, scope: &Scope) -> StoreResult<Vec<Cmk>> {
        let scope = scope.clone();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {CMK_COLUMNS} FROM cmks WHERE account=?1 AND region=?2 \
                     ORDER BY created_at, rowid"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![scope.account as i64, scope.region], row_to_cmk)
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn count_cmks(&self, scope: &Scope) -> StoreResult<u64> {
        let scope = scope.clone();
        self.read(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM cmks WHERE account=?1 AND region=?2",
                params![scope.account as i64, scope.region],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(backend)
        })
        .await
    }

    async fn update_cmk(&self, cmk: &Cmk) -> StoreResult<Cmk> {
        let cmk = cmk.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let stored = update_row(&tx, &cmk)?;
            tx.commit().map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn add_material(&self, cmk: &Cmk, version: u32, sealed: &[u8]) -> StoreResult<Cmk> {
        let mut cmk = cmk.clone();
        let sealed = sealed.to_vec();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            cmk.current_version = version;
            let stored = update_row(&tx, &cmk)?;
            tx.execute(
                "INSERT INTO cmk_material (key_id, version, sealed) VALUES (?1, ?2, ?3)",
                params![cmk.key_id, version, sealed],
            )
            .map_err(|e| {
                if is_unique_violation(&e, "cmk_material") {
                    StoreError::Conflict
                } else {
                    backend(e)
                }
            })?;
            tx.commit().map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn get_material(&self, key_id: &str, version: u32) -> StoreResult<Option<Vec<u8>>> {
        let key_id = key_id.to_string();
        self.read(move |conn| {
            conn.query_row(
                "SELECT sealed FROM cmk_material WHERE key_id=?1 AND version=?2",
                params![key_id, version],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn all_materials(&self) -> StoreResult<Vec<(String, u32, Vec<u8>)>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT key_id, version, sealed FROM cmk_material ORDER BY key_id, version",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn cmks_due_for_deletion(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {CMK_COLUMNS} FROM cmks WHERE state='PendingDelete' \
                     AND deletion_date<=?1 ORDER BY deletion_date"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([now], row_to_cmk).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn cmks_due_for_rotation(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {CMK_COLUMNS} FROM cmks WHERE rotation_enabled=1 \
                     AND next_rotate_time<=?1 ORDER BY next_rotate_time"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([now], row_to_cmk).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn destroy_cmk(&self, key_id: &str) -> StoreResult<()> {
        let key_id = key_id.to_string();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            tx.execute("DELETE FROM cmk_material WHERE key_id=?1", [&key_id])
                .map_err(backend)?;
            tx.execute("DELETE FROM import_tokens WHERE key_id=?1", [&key_id])
                .map_err(backend)?;
            tx.execute("DELETE FROM cmks WHERE key_id=?1", [&key_id])
                .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn replace_material(&self, cmk: &Cmk, sealed: &[u8]) -> StoreResult<Cmk> {
        let cmk = cmk.clone();
        let sealed = sealed.to_vec();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let stored = update_row(&tx, &cmk)?;
            tx.execute("DELETE FROM cmk_material WHERE key_id=?1", [&cmk.key_id])
                .map_err(backend)?;
            tx.execute(
                "INSERT INTO cmk_material (key_id, version, sealed) VALUES (?1, ?2, ?3)",
                params![cmk.key_id, cmk.current_version, sealed],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn remove_material(&self, cmk: &Cmk) -> StoreResult<Cmk> {
        let cmk = cmk.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let stored = update_row(&tx, &cmk)?;
            tx.execute("DELETE FROM cmk_material WHERE key_id=?1", [&cmk.key_id])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn cmks_with_expired_material(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {CMK_COLUMNS} FROM cmks WHERE valid_to > 0 AND valid_to<=?1 \
                     AND origin='EXTERNAL' ORDER BY valid_to"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([now], row_to_cmk).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn put_import_token(&self, token: &ImportToken) -> StoreResult<()> {
        let token = token.clone();
        self.write(move |conn| insert_import_token(conn, &token))
            .await
    }

    async fn get_import_token(&self, token_id: &str) -> StoreResult<Option<ImportToken>> {
        let id = token_id.to_string();
        self.read(move |conn| {
            conn.query_row(
                &format!("SELECT {IMPORT_TOKEN_COLUMNS} FROM import_tokens WHERE token_id=?1"),
                [id],
                row_to_import_token,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn use_import_token(&self, token_id: &str, key_id: &str, now: i64) -> StoreResult<bool> {
        let (id, key_id) = (token_id.to_string(), key_id.to_string());
        // One statement: SQLite runs it under the write lock, so of two processes on
        // one file only the first finds used_at = 0.
        self.write(move |conn| {
            conn.execute(
                "UPDATE import_tokens SET used_at=?3 WHERE token_id=?1 AND key_id=?2 \
                 AND used_at=0 AND expires_at>?3",
                params![id, key_id, now.max(1)],
            )
            .map(|n| n == 1)
            .map_err(backend)
        })
        .await
    }

    async fn create_data_key(&self, key: &DataKey, limit: u32) -> StoreResult<()> {
        let key = key.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let count: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM data_keys WHERE account=?1",
                    [key.scope.account as i64],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if count >= limit as i64 {
                return Err(StoreError::LimitReached(limit));
            }
            insert_data_key(&tx, &key)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn get_data_key(&self, data_key_id: &str) -> StoreResult<Option<DataKey>> {
        let id = data_key_id.to_string();
        self.read(move |conn| {
            conn.query_row(
                &format!("SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE data_key_id=?1"),
                [id],
                row_to_data_key,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn list_data_keys(&self, scope: &Scope) -> StoreResult<Vec<DataKey>> {
        let scope = scope.clone();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE account=?1 AND region=?2 \
                     ORDER BY created_at, rowid"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![scope.account as i64, scope.region], row_to_data_key)
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn count_data_keys(&self, account: u64) -> StoreResult<u64> {
        self.read(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM data_keys WHERE account=?1",
                [account as i64],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(backend)
        })
        .await
    }

    async fn update_data_key(&self, key: &DataKey) -> StoreResult<DataKey> {
        let key = key.clone();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE data_keys SET name=?2, description=?3, state=?4, deletion_date=?5, \
                     tags=?6, revision=revision+1 WHERE data_key_id=?1 AND revision=?7",
                    params![
                        key.data_key_id,
                        key.name,
                        key.description,
                        key.state.as_str(),
                        key.deletion_date,
                        tags_to_json(&key.tags),
                        key.revision as i64
                    ],
                )
                .map_err(|e| {
                    if is_unique_violation(&e, "name") {
                        StoreError::DataKeyNameExists
                    } else {
                        backend(e)
                    }
                })?;
            if n == 0 {
                let exists: Option<i64> = conn
                    .query_row(
                        "SELECT 1 FROM data_keys WHERE data_key_id=?1",
                        [&key.data_key_id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(backend)?;
                return Err(if exists.is_some() {
                    StoreError::Conflict
                } else {
                    StoreError::NotFound
                });
            }
            let mut stored = key;
            stored.revision += 1;
            Ok(stored)
        })
        .await
    }

    async fn data_keys_due_for_deletion(&self, now: i64) -> StoreResult<Vec<DataKey>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE state='PendingDelete' \
                     AND deletion_date<=?1 ORDER BY deletion_date"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([now], row_to_data_key).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn destroy_data_key(&self, data_key_id: &str) -> StoreResult<()> {
        let id = data_key_id.to_string();
        self.write(move |conn| {
            conn.execute("DELETE FROM data_keys WHERE data_key_id=?1", [id])
                .map(|_| ())
                .map_err(backend)
        })
        .await
    }

    async fn put_credential(&self, cred: &Credential) -> StoreResult<()> {
        let cred = cred.clone();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO credentials (secret_id, account, sealed_secret, created_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    cred.secret_id,
                    cred.account as i64,
                    cred.sealed_secret,
                    cred.created_at
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e, "secret_id") {
                    StoreError::AlreadyExists
                } else {
                    backend(e)
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn get_credential(&self, secret_id: &str) -> StoreResult<Option<Credential>> {
        let secret_id = secret_id.to_string();
        self.read(move |conn| {
            conn.query_row(
                "SELECT secret_id, account, sealed_secret, created_at FROM credentials \
                 WHERE secret_id=?1",
                [secret_id],
                row_to_credential,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn list_credentials(&self) -> StoreResult<Vec<Credential>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT secret_id, account, sealed_secret, created_at FROM credentials \
                     ORDER BY created_at, rowid",
                )
                .map_err(backend)?;
            let rows = stmt.query_map([], row_to_credential).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn get_meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let name = name.to_string();
        self.read(move |conn| {
            conn.query_row("SELECT value FROM meta WHERE name=?1", [name], |r| r.get(0))
                .optional()
                .map_err(backend)
        })
        .await
    }

    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
        let name = name.to_string();
        let value = value.to_vec();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            tx.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES (?1, ?2)",
                params![name, value],
            )
            .map_err(backend)?;
            let stored: Vec<u8> = tx
                .query_row("SELECT value FROM meta WHERE name=?1", [&name], |r| {
                    r.get(0)
                })
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn remember_nonce(
        &self,
        _account: u64,
        _key: &[u8; 16],
        _expires_at: i64,
        _now: i64,
    ) -> StoreResult<Option<bool>> {
        // One server per data directory: its own memory is the whole truth.
        Ok(None)
    }

    async fn lead_background(&self) -> StoreResult<bool> {
        Ok(true)
    }

    async fn housekeeping(&self, now: i64) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM import_tokens WHERE expires_at<=?1",
                [now - super::IMPORT_TOKEN_GRACE],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    async fn export(&self) -> StoreResult<super::Snapshot> {
        self.read(snapshot::export).await
    }

    async fn import(&self, snapshot: &super::Snapshot) -> StoreResult<()> {
        let snapshot = snapshot.clone();
        self.write(move |conn| snapshot::import(conn, &snapshot))
            .await
    }

    async fn delete_credential(&self, secret_id: &str) -> StoreResult<bool> {
        let secret_id = secret_id.to_string();
        self.write(move |conn| {
            conn.execute("DELETE FROM credentials WHERE secret_id=?1", [secret_id])
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }
}

#[cfg(test)]
mod tests;
