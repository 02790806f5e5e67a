//! The shared engine: one PostgreSQL database under several smkms replicas.
//!
//! What SQLite's single writer gave for free is made explicit here:
//! - **Exact limits.** Each limited scope (an account's region for CMKs, an account
//!   for hosted data keys) has a row counting its keys, raised in the transaction that
//!   inserts the key and only while under the limit (`rows::count_one_more`): two
//!   replicas creating the last allowed key at once take turns on that row, and the
//!   second is refused. Never one key too many.
//! - **No lost update.** Updates carry the revision they read (`WHERE revision=$n`);
//!   see `rows::update_cmk_row`.
//! - **Exact caches.** [`Store::generation`] is PostgreSQL's transaction snapshot
//!   (`pg_current_snapshot()`), which changes whenever any transaction that wrote has
//!   finished, on any replica; a request asks once, so a key disabled through replica B
//!   is refused by replica A on the next request. Concurrent requests share one
//!   question (`snapshots.rs`), and it needs no write of its own: no hot counter row
//!   that every write would queue on, and nothing a replica killed after its commit
//!   could leave unbumped.
//! - **One sweeper.** The background sweep runs on the replica that holds a
//!   session-level advisory lock on a connection of its own; if that replica dies, its
//!   connection closes, the lock goes, and another replica takes it on its next tick.
//! - **Shared Nonces.** v1 and legacy signatures' Nonces are rows, so a replay sent to
//!   another replica is refused.
//! - **Bounded waits.** Every call is bounded by the configured timeout: the pool's
//!   wait for a connection, connecting, and each statement (also on the server, by
//!   `statement_timeout`, so a cancelled call leaves no query running). A stopped or
//!   stalled database gives a clean error in that time, never a hung request; the pool
//!   reconnects by itself when the database is back.

use super::location::PostgresUrl;
use super::{Generation, Snapshot, Store, StoreError, StoreResult};
use crate::model::{Cmk, Credential, DataKey, ImportToken, Scope};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_postgres::NoTls;

mod rows;
mod snapshot;
mod snapshots;
mod tls;

use rows::{
    backend, count_one_fewer, count_one_more, insert_cmk, insert_credential, insert_data_key,
    insert_import_token, insert_material, row_to_cmk, row_to_credential, row_to_data_key,
    row_to_import_token, update_cmk_row, update_data_key_row, CMK_COLUMNS, CREDENTIAL_COLUMNS,
    DATA_KEY_COLUMNS, IMPORT_TOKEN_COLUMNS,
};

/// Advisory-lock ids in smkms's own namespace (the high 32 bits): who runs the sweep,
/// and who migrates the schema.
const SWEEP_LOCK: i64 = 0x736d_6b6d_0000_0001;
const MIGRATE_LOCK: i64 = 0x736d_6b6d_0000_0002;

#[derive(Debug, Clone, Copy)]
pub struct PostgresOptions {
    /// Connections this replica keeps at most.
    pub max_connections: usize,
    /// The longest any one store call may take, waiting for a connection included.
    pub timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 16,
            timeout: Duration::from_secs(5),
        }
    }
}

pub struct PostgresStore {
    pool: Pool,
    config: tokio_postgres::Config,
    timeout: Duration,
    shown: String,
    /// Writes committed (or attempted) through this store object; see SQLite's.
    local_writes: AtomicU64,
    /// The connection holding [`SWEEP_LOCK`], while this replica leads.
    leader: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
    snapshots: std::sync::Arc<snapshots::SnapshotQueue>,
    /// TLS to the server, when the URL asks for it.
    tls: Option<tls::MakeRustls>,
}

impl PostgresStore {
    /// Connects, checks the database answers, and brings its schema to this build's
    /// version (refusing a newer one).
    pub async fn connect(url: &PostgresUrl, options: PostgresOptions) -> StoreResult<Self> {
        let mut config: tokio_postgres::Config = url
            .expose()
            .parse()
            .map_err(|_| StoreError::Backend(format!("{url} is not a valid PostgreSQL URL")))?;
        let ms = options.timeout.as_millis().max(1);
        let mut server_options = config.get_options().unwrap_or("").to_string();
        server_options.push_str(&format!(
            " -c statement_timeout={ms} -c lock_timeout={ms} \
             -c idle_in_transaction_session_timeout={}",
            ms * 4
        ));
        config
            .options(server_options.trim())
            .connect_timeout(options.timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .application_name("smkms");
        let tls = tls::connector(url)?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &tls {
            Some(t) => Manager::from_config(config.clone(), t.clone(), manager_config),
            None => Manager::from_config(config.clone(), NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .recycle_timeout(Some(options.timeout))
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot make a connection pool: {e}")))?;
        let store = PostgresStore {
            snapshots: snapshots::SnapshotQueue::new(pool.clone(), options.timeout),
            pool,
            config,
            timeout: options.timeout,
            shown: url.to_string(),
            local_writes: AtomicU64::new(0),
            leader: tokio::sync::Mutex::new(None),
            tls,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Runs `f` within the timeout; past it, the call is abandoned with an error that
    /// says so (the server cancels its statement by `statement_timeout`).
    async fn bounded<T>(&self, f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Backend(format!(
                "the database {} did not answer within {} ms",
                self.shown,
                self.timeout.as_millis()
            ))),
        }
    }

    async fn client(&self) -> StoreResult<Object> {
        self.pool.get().await.map_err(|e| {
            StoreError::Backend(format!("no connection to the database {}: {e}", self.shown))
        })
    }

    /// A write: bounded, and counted after it ends, whatever its outcome (a commit
    /// whose acknowledgement was lost still moves the generation).
    async fn write<T>(&self, f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let r = self.bounded(f).await;
        self.local_writes.fetch_add(1, Ordering::SeqCst);
        r
    }

    async fn query_all<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        map: impl Fn(&tokio_postgres::Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.bounded(async {
            let c = self.client().await?;
            let stmt = c.prepare_cached(sql).await.map_err(backend)?;
            let rows = c.query(&stmt, params).await.map_err(backend)?;
            rows.iter().map(map).collect()
        })
        .await
    }

    async fn query_one_opt<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        map: impl Fn(&tokio_postgres::Row) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        self.bounded(async {
            let c = self.client().await?;
            let stmt = c.prepare_cached(sql).await.map_err(backend)?;
            let row = c.query_opt(&stmt, params).await.map_err(backend)?;
            row.as_ref().map(map).transpose()
        })
        .await
    }

    async fn migrate(&self) -> StoreResult<()> {
        use super::schema::{pending, VERSION_TABLE};
        self.bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(backend)?;
            // Replicas starting together take turns; the second finds the work done.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
                .await
                .map_err(backend)?;
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)"
            ))
            .await
            .map_err(backend)?;
            let found: Option<i32> = tx
                .query_one(&format!("SELECT MAX(version) FROM {VERSION_TABLE}"), &[])
                .await
                .map_err(backend)?
                .get(0);
            let steps = pending(found.unwrap_or(0) as i64, rows::MIGRATIONS.len())?;
            if steps.is_empty() {
                return Ok(());
            }
            for step in steps {
                tx.batch_execute(rows::MIGRATIONS[step])
                    .await
                    .map_err(backend)?;
            }
            tx.execute(&format!("DELETE FROM {VERSION_TABLE}"), &[])
                .await
                .map_err(backend)?;
            tx.execute(
                &format!("INSERT INTO {VERSION_TABLE} (version) VALUES ($1)"),
                &[&(rows::MIGRATIONS.len() as i32)],
            )
            .await
            .map_err(backend)?;
            tx.commit().await.map_err(backend)
        })
        .await
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn generation(&self) -> Option<Generation> {
        let local = self.local_writes.load(Ordering::SeqCst);
        super::snapshot_generation(local, || async {
            Some(Generation(local, self.snapshots.current().await?))
        })
        .await
    }

    async fn create_cmk(&self, cmk: &Cmk, material: Option<&[u8]>, limit: u32) -> StoreResult<()> {
        self.write(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(backend)?;
            // The count last: its row is locked from here to the commit, so creations
            // in one scope wait on each other for the shortest time.
            insert_cmk(&*tx, cmk).await?;
            if let Some(sealed) = material {
                insert_material(&*tx, &cmk.key_id, cmk.current_version, sealed).await?;
            }
            count_one_more(&*tx, "cmks", cmk.scope.account, &cmk.scope.region, limit).await?;
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn get_cmk(&self, key_id: &str) -> StoreResult<Option<Cmk>> {
        self.query_one_opt(
            &format!("SELECT {CMK_COLUMNS} FROM cmks WHERE key_id=$1"),
            &[&key_id],
            row_to_cmk,
        )
        .await
    }

    async fn list_cmks(&self, scope: &Scope) -> StoreResult<Vec<Cmk>> {
        self.query_all(
            &format!(
                "SELECT {CMK_COLUMNS} FROM cmks WHERE account=$1 AND region=$2 \
                 ORDER BY created_at, seq"
            ),
            &[&(scope.account as i64), &scope.region],
            row_to_cmk,
        )
        .await
    }

    async fn count_cmks(&self, scope: &Scope) -> StoreResult<u64> {
        let n = self
            .query_one_opt(
                "SELECT COUNT(*) FROM cmks WHERE account=$1 AND region=$2",
                &[&(scope.account as i64), &scope.region],
                |r| r.try_get::<_, i64>(0).map_err(backend),
            )
            .await?;
        Ok(n.unwrap_or(0) as u64)
    }

    async fn update_cmk(&self, cmk: &Cmk) -> StoreResult<Cmk> {
        self.write(async {
            let c = self.client().await?;
            update_cmk_row(&**c, cmk).await
        })
        .await
    }

    async fn add_material(&self, cmk: &Cmk, version: u32, sealed: &[u8]) -> StoreResult<Cmk> {
        self.write(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(backend)?;
            let mut cmk = cmk.clone();
            cmk.current_version = version;
            let stored = update_cmk_row(&*tx, &cmk).await?;
            insert_material(&*tx, &cmk.key_id, version, sealed).await?;
            tx.commit().await.map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn get_material(&self, key_id: &str, version: u32) -> StoreResult<Option<Vec<u8>>> {
        self.query_one_opt(
            "SELECT sealed FROM cmk_material WHERE key_id=$1 AND version=$2",
            &[&key_id, &(version as i64)],
            |r| r.try_get(0).map_err(backend),
        )
        .await
    }

    async fn all_materials(&self) -> StoreResult<Vec<(String, u32, Vec<u8>)>> {
        self.query_all(
            "SELECT key_id, version, sealed FROM cmk_material ORDER BY key_id, version",
            &[],
            snapshot::row_to_material,
        )
        .await
    }

    async fn cmks_due_for_deletion(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.query_all(
            &format!(
                "SELECT {CMK_COLUMNS} FROM cmks WHERE state='PendingDelete' \
                 AND deletion_date<=$1 ORDER BY deletion_date"
            ),
            &[&now],
            row_to_cmk,
        )
        .await
    }

    async fn cmks_due_for_rotation(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.query_all(
            &format!(
                "SELECT {CMK_COLUMNS} FROM cmks WHERE rotation_enabled \
                 AND next_rotate_time<=$1 ORDER BY next_rotate_time"
            ),
            &[&now],
            row_to_cmk,
        )
        .await
    }

    async fn destroy_cmk(&self, key_id: &str) -> StoreResult<()> {
        self.write(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(backend)?;
            tx.execute("DELETE FROM cmk_material WHERE key_id=$1", &[&key_id])
                .await
                .map_err(backend)?;
            tx.execute("DELETE FROM import_tokens WHERE key_id=$1", &[&key_id])
                .await
                .map_err(backend)?;
            let gone = tx
                .query_opt(
                    "DELETE FROM cmks WHERE key_id=$1 RETURNING account, region",
                    &[&key_id],
                )
                .await
                .map_err(backend)?;
            if let Some(row) = gone {
                count_one_fewer(&*tx, "cmks", row.get(0), row.get(1)).await?;
            }
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn replace_material(&self, cmk: &Cmk, sealed: &[u8]) -> StoreResult<Cmk> {
        self.write(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(backend)?;
            let stored = update_cmk_row(&*tx, cmk).await?;
            tx.execute("DELETE FROM cmk_material WHERE key_id=$1", &[&cmk.key_id])
                .await
                .map_err(backend)?;
            insert_material(&*tx, &cmk.key_id, cmk.current_version, sealed).await?;
            tx.commit().await.map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn remove_material(&self, cmk: &Cmk) -> StoreResult<Cmk> {
        self.write(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(backend)?;
            let stored = update_cmk_row(&*tx, cmk).await?;
            tx.execute("DELETE FROM cmk_material WHERE key_id=$1", &[&cmk.key_id])
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn cmks_with_expired_material(&self, now: i64) -> StoreResult<Vec<Cmk>> {
        self.query_all(
            &format!(
                "SELECT {CMK_COLUMNS} FROM cmks WHERE valid_to > 0 AND valid_to<=$1 \
                 AND origin='EXTERNAL' ORDER BY valid_to"
            ),
            &[&now],
            row_to_cmk,
        )
        .await
    }

    async fn put_import_token(&self, token: &ImportToken) -> StoreResult<()> {
        self.write(async {
            let c = self.client().await?;
            insert_import_token(&**c, token).await
        })
        .await
    }

    async fn get_import_token(&self, token_id: &str) -> StoreResult<Option<ImportToken>> {
        self.query_one_opt(
            &format!("SELECT {IMPORT_TOKEN_COLUMNS} FROM import_tokens WHERE token_id=$1"),
            &[&token_id],
            row_to_import_token,
        )
        .await
    }

    async fn use_import_token(&self, token_id: &str, key_id: &str, now: i64) -> StoreResult<bool> {
        // Under READ COMMITTED a second updater waits for the first one's row lock and
        // then re-checks the WHERE on the row it committed: used_at is no longer 0, so
        // it matches nothing. Exactly one of any number of racing calls wins.
        self.write(async {
            let c = self.client().await?;
            let n = c
                .execute(
                    "UPDATE import_tokens SET used_at=$3 WHERE token_id=$1 AND key_id=$2 \
                     AND used_at=0 AND expires_at>$3",
                    &[&token_id, &key_id, &now.max(1)],
                )
                .await
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn create_data_key(&self, key: &DataKey, limit: u32) -> StoreResult<()> {
        self.write(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(backend)?;
            insert_data_key(&*tx, key).await?;
            count_one_more(&*tx, "data_keys", key.scope.account, "", limit).await?;
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn get_data_key(&self, data_key_id: &str) -> StoreResult<Option<DataKey>> {
        self.query_one_opt(
            &format!("SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE data_key_id=$1"),
            &[&data_key_id],
            row_to_data_key,
        )
        .await
    }

    async fn list_data_keys(&self, scope: &Scope) -> StoreResult<Vec<DataKey>> {
        self.query_all(
            &format!(
                "SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE account=$1 AND region=$2 \
                 ORDER BY created_at, seq"
            ),
            &[&(scope.account as i64), &scope.region],
            row_to_data_key,
        )
        .await
    }

    async fn count_data_keys(&self, account: u64) -> StoreResult<u64> {
        let n = self
            .query_one_opt(
                "SELECT COUNT(*) FROM data_keys WHERE account=$1",
                &[&(account as i64)],
                |r| r.try_get::<_, i64>(0).map_err(backend),
            )
            .await?;
        Ok(n.unwrap_or(0) as u64)
    }

    async fn update_data_key(&self, key: &DataKey) -> StoreResult<DataKey> {
        self.write(async {
            let c = self.client().await?;
            update_data_key_row(&**c, key).await
        })
        .await
    }

    async fn data_keys_due_for_deletion(&self, now: i64) -> StoreResult<Vec<DataKey>> {
        self.query_all(
            &format!(
                "SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE state='PendingDelete' \
                 AND deletion_date<=$1 ORDER BY deletion_date"
            ),
            &[&now],
            row_to_data_key,
        )
        .await
    }

    async fn destroy_data_key(&self, data_key_id: &str) -> StoreResult<()> {
        self.write(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(backend)?;
            let gone = tx
                .query_opt(
                    "DELETE FROM data_keys WHERE data_key_id=$1 RETURNING account",
                    &[&data_key_id],
                )
                .await
                .map_err(backend)?;
            if let Some(row) = gone {
                count_one_fewer(&*tx, "data_keys", row.get(0), "").await?;
            }
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn put_credential(&self, cred: &Credential) -> StoreResult<()> {
        self.write(async {
            let c = self.client().await?;
            insert_credential(&**c, cred).await
        })
        .await
    }

    async fn get_credential(&self, secret_id: &str) -> StoreResult<Option<Credential>> {
        self.query_one_opt(
            &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE secret_id=$1"),
            &[&secret_id],
            row_to_credential,
        )
        .await
    }

    async fn list_credentials(&self) -> StoreResult<Vec<Credential>> {
        self.query_all(
            &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY created_at, seq"),
            &[],
            row_to_credential,
        )
        .await
    }

    async fn delete_credential(&self, secret_id: &str) -> StoreResult<bool> {
        self.write(async {
            let c = self.client().await?;
            let n = c
                .execute("DELETE FROM credentials WHERE secret_id=$1", &[&secret_id])
                .await
                .map_err(backend)?;
            Ok(n > 0)
        })
        .await
    }

    async fn get_meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        self.query_one_opt("SELECT value FROM meta WHERE name=$1", &[&name], |r| {
            r.try_get(0).map_err(backend)
        })
        .await
    }

    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
        self.write(async {
            let c = self.client().await?;
            c.execute(
                "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&name, &value],
            )
            .await
            .map_err(backend)?;
            let row = c
                .query_one("SELECT value FROM meta WHERE name=$1", &[&name])
                .await
                .map_err(backend)?;
            row.try_get(0).map_err(backend)
        })
        .await
    }

    async fn remember_nonce(
        &self,
        account: u64,
        key: &[u8; 16],
        expires_at: i64,
        now: i64,
    ) -> StoreResult<Option<bool>> {
        // Inserted, or an expired row taken over: fresh. A live row left alone: replay.
        self.bounded(async {
            let c = self.client().await?;
            let stmt = c
                .prepare_cached(
                    "INSERT INTO nonces (account, key, expires_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (account, key) DO UPDATE SET expires_at = EXCLUDED.expires_at \
                     WHERE nonces.expires_at <= $4",
                )
                .await
                .map_err(backend)?;
            let n = c
                .execute(&stmt, &[&(account as i64), &&key[..], &expires_at, &now])
                .await
                .map_err(backend)?;
            Ok(Some(n == 1))
        })
        .await
    }

    async fn lead_background(&self) -> StoreResult<bool> {
        let mut held = self.leader.lock().await;
        if let Some(c) = held.as_ref() {
            // Still ours only while its connection lives: a query proves it does.
            if !c.is_closed()
                && self
                    .bounded(async { c.simple_query("SELECT 1").await.map_err(backend) })
                    .await
                    .is_ok()
            {
                return Ok(true);
            }
            *held = None;
        }
        let client = self
            .bounded(async {
                match &self.tls {
                    Some(t) => {
                        let (client, connection) =
                            self.config.connect(t.clone()).await.map_err(backend)?;
                        tokio::spawn(async move {
                            let _ = connection.await;
                        });
                        Ok(client)
                    }
                    None => {
                        let (client, connection) =
                            self.config.connect(NoTls).await.map_err(backend)?;
                        tokio::spawn(async move {
                            let _ = connection.await;
                        });
                        Ok(client)
                    }
                }
            })
            .await?;
        let got: bool = self
            .bounded(async {
                let row = client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&SWEEP_LOCK])
                    .await
                    .map_err(backend)?;
                row.try_get(0).map_err(backend)
            })
            .await?;
        if got {
            *held = Some(client);
        }
        Ok(got)
    }

    async fn housekeeping(&self, now: i64) -> StoreResult<()> {
        self.bounded(async {
            let c = self.client().await?;
            c.execute("DELETE FROM nonces WHERE expires_at <= $1", &[&now])
                .await
                .map_err(backend)?;
            c.execute(
                "DELETE FROM import_tokens WHERE expires_at <= $1",
                &[&(now - super::IMPORT_TOKEN_GRACE)],
            )
            .await
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn export(&self) -> StoreResult<Snapshot> {
        self.bounded(async {
            let mut c = self.client().await?;
            snapshot::export(&mut c).await
        })
        .await
    }

    async fn import(&self, snapshot: &Snapshot) -> StoreResult<()> {
        // A copy may be large: not bounded by the per-call timeout (the server's
        // statement_timeout still bounds each statement).
        let r = async {
            let mut c = self.client().await?;
            snapshot::import(&mut c, snapshot).await
        }
        .await;
        self.local_writes.fetch_add(1, Ordering::SeqCst);
        r
    }
}

#[cfg(test)]
mod tests;
