//! Persistence. One trait, [`Store`], over the core's records; engines implement it and
//! every engine must pass the shared conformance suite in `conformance.rs`.
//!
//! The store never sees key material in the clear: the core seals it (see
//! [`crate::crypto::seal`])
//! before handing it over, with the record's identity as associated data.

pub mod cache;
pub mod sqlite;

#[cfg(test)]
pub(crate) mod conformance;

use crate::model::{Cmk, Credential, DataKey, Scope};
use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A CMK alias is taken in its scope.
    #[error("the alias already exists in this scope")]
    AliasExists,
    /// A hosted data key's name is taken in its scope.
    #[error("the data key name already exists in this scope")]
    DataKeyNameExists,
    #[error("the limit of {0} is reached")]
    LimitReached(u32),
    #[error("record already exists")]
    AlreadyExists,
    #[error("record not found")]
    NotFound,
    /// The record changed since it was read; re-read and try again.
    #[error("concurrent update")]
    Conflict,
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Identifies the state of the store: it differs after any committed write, by this
/// process or another. Two values compare equal only if nothing was written between.
/// The first number counts this process's writes; the second is the engine's marker of
/// everyone else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(pub u64, pub u64);

tokio::task_local! {
    static REQUEST_SNAPSHOT: std::cell::Cell<Option<Generation>>;
}

/// Runs `f` as one request, so that an engine asks about other processes' writes at most
/// once per request rather than once per cached lookup (a GenerateDataKey looks up its
/// credential and its CMK; for SQLite each question is a WAL read lock, two `fcntl`
/// calls). The request then reads the store as of its first lookup, as if it had
/// happened at that instant, which is what "a deleted credential is refused at once"
/// needs: a request that starts after the deletion has committed sees it. A write by
/// this process (this request's own, or a concurrent one's) still moves the generation
/// at once, so no request reads its own writes stale.
pub async fn one_request<F: std::future::Future>(f: F) -> F::Output {
    REQUEST_SNAPSHOT.scope(std::cell::Cell::new(None), f).await
}

/// For engines: the current request's generation, if it was taken while this process
/// had made `local` writes; otherwise `read()` (the engine's own question), remembered
/// for the rest of the request. Outside [`one_request`], always `read()`.
pub fn snapshot_generation(
    local: u64,
    read: impl FnOnce() -> Option<Generation>,
) -> Option<Generation> {
    let remembered = REQUEST_SNAPSHOT.try_with(|c| c.get()).ok().flatten();
    if let Some(g) = remembered.filter(|g| g.0 == local) {
        return Some(g);
    }
    let g = read();
    let _ = REQUEST_SNAPSHOT.try_with(|c| c.set(g));
    g
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The store's current generation, cheaply and without blocking on I/O; `None` if
    /// this engine cannot tell (then nothing is cached).
    fn generation(&self) -> Option<Generation>;

    /// Inserts a new CMK and (unless it awaits import) its first sealed material
    /// version, atomically, refusing a duplicate alias in the scope or a scope that
    /// already holds `limit` keys.
    async fn create_cmk(&self, cmk: &Cmk, material: Option<&[u8]>, limit: u32) -> StoreResult<()>;
    async fn get_cmk(&self, key_id: &str) -> StoreResult<Option<Cmk>>;
    /// Every CMK of the scope, in creation order (oldest first, ties by key id).
    async fn list_cmks(&self, scope: &Scope) -> StoreResult<Vec<Cmk>>;
    async fn count_cmks(&self, scope: &Scope) -> StoreResult<u64>;
    /// Writes `cmk` if the stored revision still equals `cmk.revision`, storing
    /// `cmk.revision + 1`. Returns the record as stored.
    async fn update_cmk(&self, cmk: &Cmk) -> StoreResult<Cmk>;
    /// Adds a sealed material version and sets it current, under the same revision rule.
    async fn add_material(&self, cmk: &Cmk, version: u32, sealed: &[u8]) -> StoreResult<Cmk>;
    async fn get_material(&self, key_id: &str, version: u32) -> StoreResult<Option<Vec<u8>>>;
    /// Every sealed material version: (key id, version, sealed bytes). Used at start-up
    /// to prove each one opens under the root key and its own identity.
    async fn all_materials(&self) -> StoreResult<Vec<(String, u32, Vec<u8>)>>;
    /// Keys in PendingDelete whose deletion date is at or before `now`.
    async fn cmks_due_for_deletion(&self, now: i64) -> StoreResult<Vec<Cmk>>;
    /// Keys with automatic rotation on whose next rotation time is at or before `now`.
    async fn cmks_due_for_rotation(&self, now: i64) -> StoreResult<Vec<Cmk>>;
    /// Removes a CMK and every material version for good.
    async fn destroy_cmk(&self, key_id: &str) -> StoreResult<()>;

    /// Inserts a hosted data key, refusing a name taken in its scope or an account
    /// that already holds `limit` data keys (in all scopes).
    async fn create_data_key(&self, key: &DataKey, limit: u32) -> StoreResult<()>;
    async fn get_data_key(&self, data_key_id: &str) -> StoreResult<Option<DataKey>>;
    /// Every data key of the scope, oldest first.
    async fn list_data_keys(&self, scope: &Scope) -> StoreResult<Vec<DataKey>>;
    async fn count_data_keys(&self, account: u64) -> StoreResult<u64>;
    /// Same revision rule as `update_cmk`.
    async fn update_data_key(&self, key: &DataKey) -> StoreResult<DataKey>;
    async fn data_keys_due_for_deletion(&self, now: i64) -> StoreResult<Vec<DataKey>>;
    async fn destroy_data_key(&self, data_key_id: &str) -> StoreResult<()>;

    async fn put_credential(&self, cred: &Credential) -> StoreResult<()>;
    async fn get_credential(&self, secret_id: &str) -> StoreResult<Option<Credential>>;
    async fn list_credentials(&self) -> StoreResult<Vec<Credential>>;
    /// Returns whether a credential was removed.
    async fn delete_credential(&self, secret_id: &str) -> StoreResult<bool>;

    /// Small named values the server keeps about itself (the root-key check value).
    async fn get_meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Stores `value` under `name` unless a value is already there; returns the value
    /// that is stored afterwards (so two processes initialising at once agree).
    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> StoreResult<Vec<u8>>;
}
