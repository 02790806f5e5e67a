//! The core: accounts' CMKs, their states and limits. It knows no HTTP and no dialect;
//! dialects call the methods here with typed arguments and map [`Error`] to their codes.

pub mod asymmetric;
pub mod context;
pub mod crypt;
pub mod data_keys;
pub mod delivery;
pub mod error;
pub mod import;
pub mod keys;
pub mod material;
pub mod rotation;
pub mod rules;
pub mod states;
pub mod tags;
pub(crate) mod update;

pub use context::{Dialect, RequestContext, Touched};
pub use error::{Error, Field, Result};

use crate::crypto::cmk::CmkCipher;
use crate::crypto::seal::Sealer;
use crate::store::Store;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Where "now" comes from. Production uses the system clock; tests move a manual clock
/// forward to reach deletion dates and rotation times without waiting.
pub trait Clock: Send + Sync + 'static {
    /// Unix seconds.
    fn now(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to. For tests of time-driven behaviour.
#[derive(Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(start)))
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Per-account limits, from configuration.
#[derive(Debug, Clone)]
pub struct Limits {
    /// CMKs per (account, scope). The Tencent legacy API documents 1000.
    pub cmks_per_scope: u32,
    /// How many unsealed material versions are kept in memory.
    pub material_cache: usize,
    /// How many asymmetric private keys are kept opened (parsed) in memory.
    pub opened_key_cache: usize,
    /// Hosted data keys per account, across all scopes.
    pub data_keys_per_account: u32,
    /// Public-key steps allowed at once on the blocking pool; 0 runs them on the async
    /// workers (see `Kms::public_key_work`).
    pub public_key_pool: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cmks_per_scope: 1000,
            material_cache: 10_000,
            opened_key_cache: 1_000,
            data_keys_per_account: 10_000,
            public_key_pool: 0,
        }
    }
}

pub struct Kms {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) sealer: Arc<Sealer>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) limits: Limits,
    pub(crate) default_cipher: CmkCipher,
    pub(crate) materials: material::MaterialCache,
    /// Asymmetric keys opened from their material (version 1), under the same rules
    /// as `materials`: consulted only after the key's record and state were checked,
    /// forgotten with the material ([`Kms::forget_material`]).
    pub(crate) opened: material::MaterialCache<crate::crypto::asym::OpenedKey>,
    pub(crate) recipient_keys: Arc<crate::crypto::deliver::KeyCache>,
    /// CMK records by id, exact (emptied by any write to the store): most requests
    /// read one key and write nothing.
    pub(crate) keys: crate::store::cache::VersionedCache<Option<Arc<crate::model::Cmk>>>,
    /// `Some` when `limits.public_key_pool` > 0.
    pub(crate) public_key_pool: Option<Arc<tokio::sync::Semaphore>>,
}

impl Kms {
    pub fn new(
        store: Arc<dyn Store>,
        sealer: Arc<Sealer>,
        clock: Arc<dyn Clock>,
        limits: Limits,
        default_cipher: CmkCipher,
    ) -> Self {
        Kms {
            store,
            sealer,
            clock,
            materials: material::MaterialCache::new(limits.material_cache),
            opened: material::MaterialCache::new(limits.opened_key_cache),
            recipient_keys: crate::crypto::deliver::KeyCache::default().into(),
            keys: crate::store::cache::VersionedCache::new(10_000),
            public_key_pool: (limits.public_key_pool > 0)
                .then(|| Arc::new(tokio::sync::Semaphore::new(limits.public_key_pool))),
            limits,
            default_cipher,
        }
    }

    /// The periodic work: destroy keys past their deletion date, rotate keys whose
    /// rotation is due, remove imported material past its expiry. Errors are logged and retried on the next tick.
    /// One round of the background work: on one replica at a time when several share
    /// the store (the store elects it), so a due rotation is applied once.
    pub async fn background_tick(&self) {
        match self.store.lead_background().await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::error!(error = %e, "cannot tell whether this replica runs the sweep");
                return;
            }
        }
        if let Err(e) = self.store.housekeeping(self.clock.now()).await {
            tracing::error!(error = %e, "forgetting expired Nonces failed");
        }
        if let Err(e) = self.destroy_due_keys().await {
            tracing::error!(error = %e, "destroying keys past their deletion date failed");
        }
        if let Err(e) = self.destroy_due_data_keys().await {
            tracing::error!(error = %e, "destroying data keys past their deletion date failed");
        }
        if let Err(e) = self.rotate_due_keys().await {
            tracing::error!(error = %e, "automatic rotation failed");
        }
        if let Err(e) = self.expire_imported_material().await {
            tracing::error!(error = %e, "removing expired imported key material failed");
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Lookups of the exact CMK record cache so far (see `store::cache`).
    pub fn cmk_cache_stats(&self) -> crate::store::cache::CacheStats {
        self.keys.stats()
    }

    /// Forgets every cached form of a key's material (unsealed bytes, opened private
    /// key): on destruction, and when imported material is replaced or removed.
    pub(crate) fn forget_material(&self, key_id: &str) {
        self.materials.forget(key_id);
        self.opened.forget(key_id);
    }

    /// Lookups of the opened asymmetric key cache so far: counts only.
    pub fn opened_key_cache_stats(&self) -> crate::store::cache::CacheStats {
        self.opened.stats()
    }

    /// Lookups of the unsealed material cache so far: counts only.
    pub fn material_cache_stats(&self) -> crate::store::cache::CacheStats {
        self.materials.stats()
    }
}
