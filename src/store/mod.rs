//! Persistence. One trait, [`Store`], over the core's records; engines implement it and
//! every engine must pass the shared conformance suite in `conformance.rs`. SQLite
//! ([`sqlite`]) is the embedded default for one process; PostgreSQL ([`postgres`])
//! lets several replicas share one database, and the trait carries what replicas need
//! from an engine: a generation that sees other processes' writes, exact limits,
//! shared Nonces, and one background leader.
//!
//! The store never sees key material in the clear: the core seals it (see
//! [`crate::crypto::seal`])
//! before handing it over, with the record's identity as associated data.

pub mod cache;
pub mod location;
pub mod postgres;
pub mod schema;
pub mod sqlite;

#[cfg(test)]
pub(crate) mod conformance;

use crate::model::{Cmk, Credential, DataKey, ImportToken, Scope};
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
    /// The database was made by a newer smkms: its schema is past what this one knows.
    #[error(
        "the database's schema is version {found}, newer than this smkms knows (version \
         {known}); run the smkms release that created it, or a newer one"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// `store copy` found records in its target.
    #[error("the target store is not empty: it holds {0}")]
    NotEmpty(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How long an expired import token is kept (seconds), so that presenting it is
/// answered "expired" rather than "unknown" for a while.
pub const IMPORT_TOKEN_GRACE: i64 = 7 * 86_400;

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
pub async fn snapshot_generation<F>(local: u64, read: impl FnOnce() -> F) -> Option<Generation>
where
    F: std::future::Future<Output = Option<Generation>>,
{
    let remembered = REQUEST_SNAPSHOT.try_with(|c| c.get()).ok().flatten();
    if let Some(g) = remembered.filter(|g| g.0 == local) {
        return Some(g);
    }
    let g = read().await;
    let _ = REQUEST_SNAPSHOT.try_with(|c| c.set(g));
    g
}

/// Every record of a store, sealed values as they are stored: what `smkms store copy`
/// moves from one engine to another. Records are in creation order, so that listings
/// on the target come out in the same order as on the source.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Snapshot {
    pub cmks: Vec<Cmk>,
    /// (key id, version, sealed material).
    pub materials: Vec<(String, u32, Vec<u8>)>,
    pub data_keys: Vec<DataKey>,
    pub credentials: Vec<Credential>,
    /// (name, value): the root-key check and any other value the server keeps.
    pub meta: Vec<(String, Vec<u8>)>,
    /// Import tokens issued and not yet forgotten, in creation order.
    pub import_tokens: Vec<ImportToken>,
}

impl Snapshot {
    /// "3 keys, 5 key versions, 2 data keys, 1 credential, 1 server value".
    pub fn counts(&self) -> String {
        let n = |count: usize, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        [
            n(self.cmks.len(), "key", "keys"),
            n(self.materials.len(), "key version", "key versions"),
            n(self.data_keys.len(), "data key", "data keys"),
            n(self.credentials.len(), "credential", "credentials"),
            n(self.meta.len(), "server value", "server values"),
            n(self.import_tokens.len(), "import token", "import tokens"),
        ]
        .join(", ")
    }

    pub fn is_empty(&self) -> bool {
        self.cmks.is_empty()
            && self.materials.is_empty()
            && self.data_keys.is_empty()
            && self.credentials.is_empty()
            && self.meta.is_empty()
            && self.import_tokens.is_empty()
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The store's current generation, asked at most once per request (see
    /// [`snapshot_generation`]); `None` if this engine cannot tell right now (then
    /// nothing is cached).
    async fn generation(&self) -> Option<Generation>;

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
    /// Removes a CMK, every material version and its import tokens for good.
    async fn destroy_cmk(&self, key_id: &str) -> StoreResult<()>;

    /// Imported material: writes `cmk` under the revision rule of `update_cmk` (the core
    /// has set its state, `valid_to`, fingerprint and `current_version`), removes every
    /// material version the key had, and stores `sealed` as version
    /// `cmk.current_version`, all in one transaction.
    async fn replace_material(&self, cmk: &Cmk, sealed: &[u8]) -> StoreResult<Cmk>;
    /// Writes `cmk` under the revision rule and removes every material version of the
    /// key, in one transaction (imported material deleted or expired).
    async fn remove_material(&self, cmk: &Cmk) -> StoreResult<Cmk>;
    /// EXTERNAL keys whose `valid_to` is set and at or before `now`.
    async fn cmks_with_expired_material(&self, now: i64) -> StoreResult<Vec<Cmk>>;

    /// Stores a new import token (refusing a token id already stored).
    async fn put_import_token(&self, token: &ImportToken) -> StoreResult<()>;
    async fn get_import_token(&self, token_id: &str) -> StoreResult<Option<ImportToken>>;
    /// Consumes the token: marks it used at `now` if it is unused, bound to `key_id`,
    /// and not expired at `now`, and says whether this call did so. Atomic: of any
    /// number of calls racing on one token, through any number of replicas, exactly
    /// one gets `true`.
    async fn use_import_token(&self, token_id: &str, key_id: &str, now: i64) -> StoreResult<bool>;

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

    /// Records a signature Nonce (an opaque key, already hashed) of `account` until
    /// `expires_at`, shared by every process on this store: `Some(true)` if it was new
    /// (or only expired), `Some(false)` if it is live (a replay). `None` from an engine
    /// that one process serves alone: the process keeps Nonces in memory, which is
    /// cheaper than a write per request.
    async fn remember_nonce(
        &self,
        account: u64,
        key: &[u8; 16],
        expires_at: i64,
        now: i64,
    ) -> StoreResult<Option<bool>>;

    /// Whether this process should run the background sweep now: true on one process
    /// at a time among those sharing the store. Engines used by one process say yes.
    async fn lead_background(&self) -> StoreResult<bool>;

    /// Forgets what has expired by `now`: shared Nonces, and import tokens that
    /// expired more than [`IMPORT_TOKEN_GRACE`] seconds before `now` (until then an
    /// expired or used token is still recognised as such). Run by the background
    /// leader.
    async fn housekeeping(&self, now: i64) -> StoreResult<()>;

    /// Every record, for `store copy`.
    async fn export(&self) -> StoreResult<Snapshot>;

    /// Writes every record of `snapshot` in one transaction, into a store that holds
    /// no record (otherwise [`StoreError::NotEmpty`], and nothing is written).
    async fn import(&self, snapshot: &Snapshot) -> StoreResult<()>;
}
