//! The audit trail's wiring: the replica id, the chain-head signing key (kept sealed in
//! the store's meta, so that every replica of one database shares it), and the trail.

use super::Opened;
use crate::audit::{Audit, Settings};
use crate::config::Config;
use crate::crypto::seal::Sealer;
use crate::crypto::sm2::sign::SigningKey;
use crate::store::Store;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::time::Duration;

pub const REPLICA_ID_FILE: &str = "replica.id";
/// The store meta entry holding the sealed SM2 signing key; also its sealing identity.
const SIGNING_KEY: &str = "audit-signing-key";

/// `[audit] replica_id`, or the id kept in `<data_dir>/replica.id` (made once, random,
/// mode 0600).
pub fn replica_id(config: &Config) -> Result<String, String> {
    if let Some(id) = &config.audit.replica_id {
        return Ok(id.clone());
    }
    let path = config.data_dir.join(REPLICA_ID_FILE);
    let shown = path.display();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let id = text.trim();
            if crate::audit::valid_replica_id(id) {
                Ok(id.to_string())
            } else {
                Err(format!(
                    "{shown} does not hold a replica id (letters, digits, '_' and '-')"
                ))
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = crate::crypto::random::string(12, b"abcdefghijklmnopqrstuvwxyz0123456789");
            let mut f = std::fs::OpenOptions::new()
                .create_new(true)
                .write(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| format!("cannot create {shown}: {e}"))?;
            f.write_all(format!("{id}\n").as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| format!("cannot write {shown}: {e}"))?;
            Ok(id)
        }
        Err(e) => Err(format!("cannot read {shown}: {e}")),
    }
}

/// The chain-head signing key: made and sealed under the root key on first use, then
/// the one every replica of the store reads.
pub async fn signing_key(store: &dyn Store, sealer: &Sealer) -> Result<SigningKey, String> {
    let fresh = SigningKey::generate();
    let proposed = sealer.seal(SIGNING_KEY, fresh.to_bytes().expose());
    let stored = store
        .put_meta_if_absent(SIGNING_KEY, &proposed)
        .await
        .map_err(|e| format!("cannot read the audit signing key from the store: {e}"))?;
    let opened = sealer.open(SIGNING_KEY, &stored).map_err(|_| {
        "the audit signing key in the store does not open under the root key: it was altered"
            .to_string()
    })?;
    SigningKey::from_bytes(opened.expose())
        .map_err(|_| "the audit signing key in the store is not an SM2 key".to_string())
}

/// Opens the audit trail as configured; `None` when `[audit] enabled = false`.
pub async fn open_audit(opened: &Opened, config: &Config) -> Result<Option<Arc<Audit>>, String> {
    if !config.audit.enabled {
        tracing::warn!("the audit trail is off ([audit] enabled = false): not for production");
        return Ok(None);
    }
    let signer = signing_key(opened.store.as_ref(), &opened.sealer).await?;
    let settings = Settings {
        dir: config.audit_dir(),
        replica: replica_id(config)?,
        max_file_bytes: config.audit.max_file_bytes,
        sign_interval: Duration::from_secs(config.audit.sign_interval_secs),
    };
    tracing::info!(
        dir = %settings.dir.display(),
        replica = settings.replica,
        key = signer.public_key().fingerprint(),
        "audit trail"
    );
    // Opening reads files and syncs: off the async workers.
    tokio::task::spawn_blocking(move || Audit::open(settings, Some(signer)))
        .await
        .map_err(|e| format!("opening the audit trail failed: {e}"))?
        .map(Some)
}
