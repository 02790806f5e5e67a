//! The SQLite engine's own tests: the conformance suite in memory and on disk, two
//! processes on one file, schema versions, file modes.

use super::*;

#[tokio::test]
async fn conformance_in_memory() {
    let store = SqliteStore::open_in_memory().unwrap();
    super::super::conformance::run_all(&store).await;
}

#[tokio::test]
async fn copies_between_stores() {
    let from = SqliteStore::open_in_memory().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let to = SqliteStore::open(&dir.path().join("smkms.db")).unwrap();
    super::super::conformance::copy_between(&from, &to).await;
}

/// Two store objects on one file, as two processes would be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smkms.db");
    let a = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
    let b = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
    super::super::conformance::replicas(a, b).await;
}

/// A database whose recorded schema is newer than this build knows is refused.
#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smkms.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE smkms_schema SET version = 99", [])
        .unwrap();
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found: 99, .. }) => {}
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}

/// A database at version 1 (as the releases before import left it) is brought to
/// version 2: its keys read with no material expiry and no fingerprint, and import
/// tokens can be stored.
#[tokio::test]
async fn version_1_is_upgraded_for_import() {
    use super::super::conformance::{sample_cmk, sample_external_cmk, sample_token};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smkms.db");
    let kept = sample_cmk("v1-key", 3);
    {
        // What a version 1 build wrote: its schema and a key row of its columns.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(rows::SCHEMA_V1).unwrap();
        conn.execute_batch(
            "CREATE TABLE smkms_schema (version INTEGER NOT NULL); \
             INSERT INTO smkms_schema VALUES (1);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO cmks (key_id, account, region, alias, description, usage, \
             cipher, origin, state, created_at, deletion_date, rotation_enabled, \
             rotate_days, next_rotate_time, last_rotate_time, current_version, tags, \
             revision) VALUES (?1, 3, 'ap-guangzhou', 'v1-key', 'd', 'ENCRYPT_DECRYPT', \
             1, 'TENCENT_KMS', 'Enabled', 1700000000, 0, 0, 0, 0, 0, 1, \
             '[[\"team\",\"pay\"]]', 0)",
            [&kept.key_id],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let version: i64 = store
        .inner
        .writer
        .lock()
        .unwrap()
        .query_row("SELECT version FROM smkms_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, rows::MIGRATIONS.len() as i64);
    assert_eq!(store.get_cmk(&kept.key_id).await.unwrap().unwrap(), kept);
    let ext = sample_external_cmk("v1-ext", 3);
    store.create_cmk(&ext, None, 10).await.unwrap();
    let t = sample_token(&ext, 10_000);
    store.put_import_token(&t).await.unwrap();
    drop(store);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(
        again.get_import_token(&t.token_id).await.unwrap().unwrap(),
        t
    );
}

/// Another process (here: another store object on the same file, as the
/// `smkms credentials` command is) committing a write moves our generation.
#[tokio::test]
async fn writes_by_another_connection_move_the_generation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smkms.db");
    let ours = SqliteStore::open(&path).unwrap();
    let theirs = SqliteStore::open(&path).unwrap();
    let g0 = ours.generation().await.unwrap();
    theirs
        .create_cmk(
            &super::super::conformance::sample_cmk("x", 7),
            Some(b"m"),
            10,
        )
        .await
        .unwrap();
    assert_ne!(ours.generation().await.unwrap(), g0);
}

/// Within one request, another process's write is not seen after the first question
/// (the request reads as of that instant); a write by this process is, at once; the
/// next request sees everything.
#[tokio::test]
async fn one_request_asks_once_but_sees_its_own_writes() {
    use super::super::{conformance::sample_cmk, one_request};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smkms.db");
    let ours = SqliteStore::open(&path).unwrap();
    let theirs = SqliteStore::open(&path).unwrap();
    one_request(async {
        let g0 = ours.generation().await.unwrap();
        theirs
            .create_cmk(&sample_cmk("x", 7), Some(b"m"), 10)
            .await
            .unwrap();
        assert_eq!(
            ours.generation().await.unwrap(),
            g0,
            "asked once per request"
        );
        ours.create_cmk(&sample_cmk("y", 7), Some(b"m"), 10)
            .await
            .unwrap();
        let g1 = ours.generation().await.unwrap();
        assert_ne!(g1, g0, "this process wrote: asked again");
        assert_ne!(g1.1, g0.1, "and the other process's write is seen too");
    })
    .await;
    let before = one_request(async { ours.generation().await.unwrap() }).await;
    theirs
        .create_cmk(&sample_cmk("z", 7), Some(b"m"), 10)
        .await
        .unwrap();
    let after = one_request(async { ours.generation().await.unwrap() }).await;
    assert_ne!(before, after, "a new request asks again");
}

#[tokio::test]
async fn conformance_on_disk_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smkms.db");
    let store = SqliteStore::open(&path).unwrap();
    super::super::conformance::run_all(&store).await;
    let cmk = super::super::conformance::sample_cmk("persist-me", 9);
    store.create_cmk(&cmk, Some(b"sealed"), 10).await.unwrap();
    drop(store);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.get_cmk(&cmk.key_id).await.unwrap().unwrap(), cmk);
    let journal: String = again
        .inner
        .writer
        .lock()
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}

/// The database and its -wal and -shm files are 0600; files an earlier version
/// left 0644 are tightened on open.
#[tokio::test]
async fn the_database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smkms.db");
    let mode = |suffix: &str| {
        let p = dir.path().join(format!("smkms.db{suffix}"));
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    let store = SqliteStore::open(&path).unwrap();
    store
        .create_cmk(
            &super::super::conformance::sample_cmk("x", 7),
            Some(b"m"),
            10,
        )
        .await
        .unwrap();
    for suffix in ["", "-wal", "-shm"] {
        assert_eq!(mode(suffix), 0o600, "smkms.db{suffix}");
    }
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.path().join(format!("smkms.db{suffix}"));
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let again = SqliteStore::open(&path).unwrap();
    for suffix in ["", "-wal", "-shm"] {
        assert_eq!(mode(suffix), 0o600, "smkms.db{suffix} reopened");
    }
    drop((store, again));
}
