//! The conformance suite on a real PostgreSQL server: the one `.ci/test` starts
//! (`SMKMS_TEST_POSTGRES_URL`), or else one started here with `.ci/postgres` for this
//! test binary. Each test gets a new empty database on it.

use super::*;
use crate::store::conformance;
use std::sync::Arc;

/// A URL of a new, empty database.
pub(crate) async fn fresh_database() -> PostgresUrl {
    let base = server_url();
    let (client, connection) = tokio_postgres::connect(&base, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
    tokio::spawn(connection);
    let name = format!("smkms_t_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').expect("a URL with a database");
    PostgresUrl::parse(&format!("{prefix}/{name}")).unwrap()
}

fn server_url() -> String {
    if let Ok(url) = std::env::var("SMKMS_TEST_POSTGRES_URL") {
        return url;
    }
    static STARTED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STARTED
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("smkms-pg-{}", std::process::id()));
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/postgres");
            let out = std::process::Command::new("bash")
                .arg(script)
                .arg("start")
                .arg(&dir)
                .args(["--stop-with-pid", &std::process::id().to_string()])
                .output()
                .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
            assert!(
                out.status.success(),
                "no PostgreSQL for the tests: set SMKMS_TEST_POSTGRES_URL or install \
                 postgresql (the README's test command does both): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        })
        .clone()
}

async fn store(url: &PostgresUrl) -> PostgresStore {
    PostgresStore::connect(url, PostgresOptions::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn conformance() {
    let url = fresh_database().await;
    conformance::run_all(&store(&url).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas() {
    let url = fresh_database().await;
    let a: Arc<dyn Store> = Arc::new(store(&url).await);
    let b: Arc<dyn Store> = Arc::new(store(&url).await);
    conformance::replicas(a, b).await;
}

#[tokio::test]
async fn copies_from_and_to_sqlite() {
    let sqlite = crate::store::sqlite::SqliteStore::open_in_memory().unwrap();
    let pg = store(&fresh_database().await).await;
    conformance::copy_between(&sqlite, &pg).await;
    let back = crate::store::sqlite::SqliteStore::open_in_memory().unwrap();
    let again = store(&fresh_database().await).await;
    conformance::copy_between(&again, &back).await;
}

/// Replicas starting together migrate once; a newer schema is refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_versioned() {
    let url = fresh_database().await;
    let (a, b) = tokio::join!(
        PostgresStore::connect(&url, PostgresOptions::default()),
        PostgresStore::connect(&url, PostgresOptions::default())
    );
    let (a, _b) = (a.unwrap(), b.unwrap());
    let c = a.client().await.unwrap();
    let v: i32 = c
        .query_one("SELECT version FROM smkms_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v as usize, rows::MIGRATIONS.len());
    c.execute("UPDATE smkms_schema SET version = 99", &[])
        .await
        .unwrap();
    match PostgresStore::connect(&url, PostgresOptions::default()).await {
        Err(StoreError::SchemaTooNew { found: 99, .. }) => {}
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}

/// A database at version 1 (no key counts) is brought to version 2 with its counts
/// taken from the keys it holds, so the limits stay exact across the upgrade.
#[tokio::test]
async fn the_key_counts_migration_backfills() {
    let url = fresh_database().await;
    let s = store(&url).await;
    for i in 0..3 {
        s.create_cmk(
            &conformance::sample_cmk(&format!("v1-{i}"), 55),
            Some(b"m"),
            10,
        )
        .await
        .unwrap();
    }
    s.create_data_key(&conformance::sample_data_key("v1-dk", 55), 10)
        .await
        .unwrap();
    let c = s.client().await.unwrap();
    c.batch_execute(&format!(
        "DROP TABLE key_counts; {UNDO_V3} UPDATE smkms_schema SET version = 1"
    ))
    .await
    .unwrap();
    drop((c, s));
    let s = store(&url).await;
    assert!(matches!(
        s.create_cmk(&conformance::sample_cmk("v1-3", 55), Some(b"m"), 3)
            .await,
        Err(StoreError::LimitReached(3))
    ));
    s.create_cmk(&conformance::sample_cmk("v1-3", 55), Some(b"m"), 4)
        .await
        .unwrap();
    assert!(matches!(
        s.create_data_key(&conformance::sample_data_key("v1-dk2", 55), 1)
            .await,
        Err(StoreError::LimitReached(1))
    ));
}

/// What version 3 added, taken away again: a database as version 2 left it.
const UNDO_V3: &str = "DROP TABLE import_tokens; \
    ALTER TABLE cmks DROP COLUMN valid_to, DROP COLUMN import_fingerprint;";

/// A database at version 2 is brought to version 3: its keys read with no material
/// expiry and no fingerprint, and import tokens can be stored.
#[tokio::test]
async fn the_import_migration_upgrades_version_2() {
    let url = fresh_database().await;
    let s = store(&url).await;
    let kept = conformance::sample_cmk("v2-key", 56);
    s.create_cmk(&kept, Some(b"m"), 10).await.unwrap();
    let ext = conformance::sample_external_cmk("v2-ext", 56);
    s.create_cmk(&ext, None, 10).await.unwrap();
    let c = s.client().await.unwrap();
    c.batch_execute(&format!("{UNDO_V3} UPDATE smkms_schema SET version = 2"))
        .await
        .unwrap();
    drop((c, s));
    let s = store(&url).await;
    let v: i32 = s
        .client()
        .await
        .unwrap()
        .query_one("SELECT version FROM smkms_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v as usize, rows::MIGRATIONS.len());
    assert_eq!(s.get_cmk(&kept.key_id).await.unwrap().unwrap(), kept);
    let read = s.get_cmk(&ext.key_id).await.unwrap().unwrap();
    assert_eq!((read.valid_to, read.import_fingerprint), (0, None));
    let t = conformance::sample_token(&ext, 10_000);
    s.put_import_token(&t).await.unwrap();
    assert!(s
        .use_import_token(&t.token_id, &ext.key_id, 1)
        .await
        .unwrap());
}

/// A database that does not answer gives an error within the timeout, never a hang,
/// and the pool serves again once it answers.
#[tokio::test]
async fn a_stalled_database_is_a_bounded_error() {
    let url = fresh_database().await;
    // The schema first, with the default bound: creating every table of a new
    // database is not what this test times, and can take more than 500 ms on a busy
    // machine.
    drop(store(&url).await);
    let options = PostgresOptions {
        max_connections: 2,
        timeout: Duration::from_millis(500),
    };
    let s = PostgresStore::connect(&url, options).await.unwrap();
    let cmk = conformance::sample_cmk("stalled", 1);
    s.create_cmk(&cmk, Some(b"m"), 10).await.unwrap();
    // Another session holds the table: reads and writes wait on its lock.
    let (blocker, connection) = tokio_postgres::connect(url.expose(), NoTls).await.unwrap();
    tokio::spawn(connection);
    blocker
        .batch_execute("BEGIN; LOCK TABLE cmks IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut waits = tokio::task::JoinSet::new();
    let s = Arc::new(s);
    for _ in 0..8 {
        let s = s.clone();
        let id = cmk.key_id.clone();
        waits.spawn(async move { s.get_cmk(&id).await });
    }
    while let Some(r) = waits.join_next().await {
        assert!(matches!(r.unwrap(), Err(StoreError::Backend(_))));
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "8 calls on a pool of 2 each gave up within its bound: {took:?}"
    );
    blocker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(s.get_cmk(&cmk.key_id).await.unwrap().unwrap(), cmk);
}

/// Batched snapshot questions stay exact: with questions always in flight on replica
/// A (background askers), every question that starts after replica B's write was
/// acknowledged sees a new generation, never one taken before the write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_generations_never_predate_an_acknowledged_write() {
    let url = fresh_database().await;
    let a = Arc::new(store(&url).await);
    let b = store(&url).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut background = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (a, stop) = (a.clone(), stop.clone());
        background.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                crate::store::one_request(a.generation()).await;
                tokio::task::yield_now().await;
            }
        });
    }
    let mut cmk = conformance::sample_cmk("batched", 77);
    b.create_cmk(&cmk, Some(b"m"), 10).await.unwrap();
    for round in 0..50 {
        let before = crate::store::one_request(a.generation()).await.unwrap();
        cmk.description = format!("round {round}");
        cmk = b.update_cmk(&cmk).await.unwrap();
        let mut askers = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let a = a.clone();
            askers.spawn(crate::store::one_request(
                async move { a.generation().await },
            ));
        }
        while let Some(g) = askers.join_next().await {
            assert_ne!(
                g.unwrap().unwrap(),
                before,
                "round {round}: a stale generation"
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    while background.join_next().await.is_some() {}
}
