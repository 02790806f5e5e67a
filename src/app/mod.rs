//! Wiring: a data directory and a configuration become a running service. Shared by
//! the `serve` and `credentials` commands and by tests, so that both commands open a
//! data directory in exactly the same way.

use crate::admin::{self, Readiness};
use crate::api::{Api, ApiSettings};
use crate::auth::credentials::{Credentials, NewCredential};
use crate::config::Config;
use crate::crypto::seal::{self, Sealer};
use crate::crypto::secret::SecretBytes;
use crate::http::limits;
use crate::http::server::{self, HttpLimits};
use crate::http::tls::ServerTls;
use crate::kms::{Clock, Kms, Limits, SystemClock};
use crate::metrics::{store::Measured, Metrics};
use crate::model::Uin;
use crate::store::location::StoreLocation;
use crate::store::postgres::{PostgresOptions, PostgresStore};
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, StoreError};
use std::future::Future;
use std::os::unix::fs::DirBuilderExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub mod audit;
pub mod root_key;

pub const DB_FILE: &str = "smkms.db";
pub const ROOT_KEY_FILE: &str = "root.key";
/// A value sealed under the root key when the data directory is created. Opening it
/// on every start proves the root key is the one the data was sealed with, so a wrong
/// key stops the server at once instead of failing every request later.
const ROOT_CHECK: &str = "root-key-check";
const ROOT_CHECK_PLAINTEXT: &[u8] = b"smkms root key check v1";

pub struct Opened {
    pub store: Arc<dyn Store>,
    pub sealer: Arc<Sealer>,
    pub kms: Arc<Kms>,
    /// True when this call initialised the store (sealed its root-key check): the
    /// deployment's first start.
    pub created: bool,
    /// The store, as it may be shown: the database file, or the PostgreSQL URL without
    /// its password.
    pub shown: String,
    /// `Some` when the configuration has an admin listener: then `store` is measured.
    pub metrics: Option<Arc<Metrics>>,
}

impl Opened {
    pub fn credentials(&self) -> Credentials {
        Credentials::new(self.store.clone(), self.sealer.clone())
    }
}

/// Why a data directory could not be opened. Each message says what to do; none
/// carries key material.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot use the data directory {}: {source}", dir.display())]
    DataDir {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the data directory {} is open to other users (mode {mode:o}) and cannot be made \
         private ({source}); run `chmod 700 {}`",
        dir.display(),
        dir.display()
    )]
    DataDirTooOpen {
        dir: std::path::PathBuf,
        mode: u32,
        source: std::io::Error,
    },
    #[error("root_key / SMKMS_ROOT_KEY: {0}")]
    RootKey(#[from] seal::RootKeyError),
    #[error(transparent)]
    RootKeyFile(#[from] root_key::RootKeyFileError),
    #[error("{0}")]
    Config(String),
    #[error("cannot open the database {db}: {source}")]
    Database { db: String, source: StoreError },
    #[error("reading the database failed: {0}")]
    Store(#[from] StoreError),
    #[error(
        "the root key does not match the records in {store}: they were sealed under another \
         key. Start with the root key they were created with (root.key in the data \
         directory, root_key or SMKMS_ROOT_KEY); every replica of one database needs the \
         same root key. Nothing was written."
    )]
    WrongRootKey { store: String },
    #[error(
        "the database {store} was initialised with a root key, and this replica has none: \
         give it the same root key as the others (SMKMS_ROOT_KEY, root_key, or their \
         root.key copied into {}). Nothing was written.",
        dir.display()
    )]
    NoRootKey {
        store: String,
        dir: std::path::PathBuf,
    },
    #[error(
        "{what} does not open under the root key: the database was altered or the record \
         was copied from another row. smkms will not start on it; restore the database \
         from a backup."
    )]
    Tampered { what: String },
}

/// Opens (creating on first use) the data directory: mode-0700 directory, root key,
/// database (its files mode 0600), root-key check.
pub async fn open(config: &Config) -> Result<Opened, OpenError> {
    open_with_clock(config, Arc::new(SystemClock)).await
}

pub async fn open_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<Opened, OpenError> {
    let dir = &config.data_dir;
    private_data_dir(dir)?;
    let location = config.store_location().map_err(OpenError::Config)?;
    let (store, shown): (Arc<dyn Store>, String) = match &location {
        StoreLocation::Embedded => {
            let db = dir.join(DB_FILE);
            let shown = db.display().to_string();
            let store = SqliteStore::open(&db).map_err(|source| OpenError::Database {
                db: shown.clone(),
                source,
            })?;
            (Arc::new(store), shown)
        }
        StoreLocation::Postgres(url) => {
            let options = PostgresOptions {
                max_connections: config.postgres.max_connections,
                timeout: Duration::from_millis(config.postgres.timeout_ms),
            };
            let store = PostgresStore::connect(url, options)
                .await
                .map_err(|source| OpenError::Database {
                    db: url.to_string(),
                    source,
                })?;
            (Arc::new(store), url.to_string())
        }
    };
    // Metrics only for a server that shows them: the store's calls are measured from
    // here on, the start-up checks below included.
    let metrics = config.admin_listen.map(|_| Arc::new(Metrics::new()));
    let store: Arc<dyn Store> = match &metrics {
        Some(m) => Arc::new(Measured::new(store, m.clone())),
        None => store,
    };
    let root: SecretBytes = match &config.root_key {
        Some(hex) => seal::root_key_from_hex(hex)?,
        None => {
            let path = dir.join(ROOT_KEY_FILE);
            // A shared database already initialised needs its own root key: making a
            // new one here could only be refused below, and would leave a stray file.
            if location != StoreLocation::Embedded
                && !path.exists()
                && store.get_meta(ROOT_CHECK).await?.is_some()
            {
                return Err(OpenError::NoRootKey {
                    store: shown,
                    dir: dir.clone(),
                });
            }
            root_key::load_or_create(&path)?.0
        }
    };
    let sealer = Arc::new(Sealer::new(&root)?);
    // The canary: sealed once, when the store is initialised; every later start opens
    // it before anything else is read or written, so a wrong root key writes nothing.
    let proposed = sealer.seal(ROOT_CHECK, ROOT_CHECK_PLAINTEXT);
    let stored = store.put_meta_if_absent(ROOT_CHECK, &proposed).await?;
    match sealer.open(ROOT_CHECK, &stored) {
        Ok(p) if p.expose() == ROOT_CHECK_PLAINTEXT => {}
        _ => return Err(OpenError::WrongRootKey { store: shown }),
    }
    // Sealing is randomised: the stored check equals ours only if this call stored it.
    let created = stored == proposed;
    verify_sealed_records(store.as_ref(), &sealer).await?;
    let cipher = config.default_cipher;
    let kms = Arc::new(Kms::new(
        store.clone(),
        sealer.clone(),
        clock,
        Limits {
            cmks_per_scope: config.limits.cmks_per_region,
            data_keys_per_account: config.limits.data_keys_per_account,
            public_key_pool: config.limits.public_key_pool,
            ..Limits::default()
        },
        cipher,
    ));
    Ok(Opened {
        store,
        sealer,
        kms,
        created,
        shown,
        metrics,
    })
}

/// Creates the data directory with mode 0700, or makes an existing one so.
///
/// An existing directory open to group or others is tightened (with a warning) rather
/// than refused: unlike the root key file, whose open mode means the key itself may
/// already have been read (so it is refused, for the operator to judge), a directory's
/// mode exposes no secret of its own; its files are 0600 each. Closing it loses and
/// hides nothing. Only when it cannot be changed is the start refused, with the
/// command to run.
fn private_data_dir(dir: &std::path::Path) -> Result<(), OpenError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| OpenError::DataDir {
        dir: dir.to_path_buf(),
        source,
    };
    let private = std::fs::Permissions::from_mode(0o700);
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
        // DirBuilder's mode passes through the umask; make it exactly 0700.
        return std::fs::set_permissions(dir, private).map_err(io);
    }
    let meta = std::fs::metadata(dir).map_err(io)?;
    if !meta.is_dir() {
        return Err(io(std::io::Error::other("it is not a directory")));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, private).map_err(|source| OpenError::DataDirTooOpen {
            dir: dir.to_path_buf(),
            mode,
            source,
        })?;
        tracing::warn!(
            dir = %dir.display(),
            was = %format!("{mode:o}"),
            "the data directory was open to other users; it is now mode 700"
        );
    }
    Ok(())
}

/// Opens every sealed record once: CMK material and credential secrets. A record that
/// was altered, or copied onto another row (its identity is the AAD), does not open,
/// and the server refuses to start rather than serve wrong material or fail later on
/// the requests that touch it. Unsealed values are dropped (and zeroized) at once.
async fn verify_sealed_records(store: &dyn Store, sealer: &Sealer) -> Result<(), OpenError> {
    let bad = |what: String| OpenError::Tampered { what };
    for (key_id, version, sealed) in store.all_materials().await? {
        sealer
            .open(&seal::cmk_identity(&key_id, version), &sealed)
            .map_err(|_| bad(format!("the material of key {key_id} version {version}")))?;
    }
    for cred in store.list_credentials().await? {
        sealer
            .open(
                &seal::credential_identity(&cred.secret_id, cred.account),
                &cred.sealed_secret,
            )
            .map_err(|_| bad(format!("the secret of credential {}", cred.secret_id)))?;
    }
    Ok(())
}

/// A whole service on an in-memory store, under a fixed root key, with one credential
/// for `account`: for unit tests, benchmarks and fuzz targets, which must not touch the
/// disk. Returns the API and the credential (its SecretKey included, for signing).
pub async fn in_memory_api(account: Uin) -> (Api, NewCredential) {
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open_in_memory().expect("an in-memory database opens"));
    let sealer = Arc::new(
        Sealer::new(&SecretBytes::new(vec![9; seal::ROOT_KEY_LEN])).expect("a full-length key"),
    );
    let kms = Arc::new(Kms::new(
        store.clone(),
        sealer.clone(),
        Arc::new(SystemClock),
        Limits::default(),
        crate::crypto::cmk::CmkCipher::Sm4Gcm,
    ));
    let credentials = Credentials::new(store, sealer);
    let cred = credentials
        .create(Some(account), 0)
        .await
        .expect("an in-memory store accepts a credential");
    (Api::new(kms, credentials, ApiSettings::default()), cred)
}

pub fn api_for(opened: &Opened, config: &Config) -> Api {
    Api::new(
        opened.kms.clone(),
        opened.credentials(),
        ApiSettings {
            default_region: config.default_region.clone(),
            signature_window: config.auth.signature_window_secs,
            allow_unsigned_payload: config.auth.allow_unsigned_payload,
            require_signed_headers: config.auth.require_signed_headers.clone(),
        },
    )
}

/// The HTTP limits of `config`; `fd_limit` (the process's file-descriptor limit) sizes
/// the connection cap when the configuration sets none.
pub fn http_limits(config: &Config, fd_limit: u64) -> HttpLimits {
    HttpLimits {
        max_body_bytes: config.limits.max_body_bytes,
        max_connections: config
            .limits
            .max_connections
            .unwrap_or_else(|| limits::default_max_connections(fd_limit)),
        max_connections_per_source: config.limits.max_connections_per_source,
        first_byte_timeout: Duration::from_millis(config.limits.first_byte_timeout_ms),
        tls_handshake_timeout: Duration::from_millis(config.limits.tls_handshake_timeout_ms),
        header_read_timeout: Duration::from_secs(config.limits.header_read_timeout_secs),
        request_timeout: Duration::from_secs(config.limits.request_timeout_secs),
        ..HttpLimits::default()
    }
}

/// Reads the TLS files of `config`, if it has them.
pub fn tls(config: &Config) -> Result<Option<Arc<ServerTls>>, String> {
    match config.tls_files() {
        None => Ok(None),
        Some(files) => ServerTls::load(files)
            .map(|t| Some(Arc::new(t)))
            .map_err(|e| format!("TLS: {e}")),
    }
}

/// Serves until `shutdown` resolves, running the background sweeper alongside, and the
/// admin listener on `admin` when there is one (`config.admin_listen`, bound by the
/// caller so that it can print the address). `fd_limit` is what
/// [`limits::raise_fd_limit`] returned.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    opened: &Opened,
    config: &Config,
    listener: TcpListener,
    admin: Option<TcpListener>,
    tls: Option<Arc<ServerTls>>,
    fd_limit: u64,
    audit: Option<Arc<crate::audit::Audit>>,
    shutdown: impl Future<Output = ()>,
) {
    if config.auth.max_remembered_signatures.is_some() {
        tracing::warn!(
            "auth.max_remembered_signatures is no longer used: TC3 signatures are not \
             remembered (see auth.require_signed_headers); remove it from the configuration"
        );
    }
    let api = Arc::new(api_for(opened, config));
    let kms = opened.kms.clone();
    let every = Duration::from_secs(config.background.sweep_interval_secs);
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            kms.background_tick().await;
        }
    });
    let readiness = Arc::new(Readiness::new(opened.store.clone()));
    if let Some(audit) = audit.clone() {
        readiness.add("audit", move || audit.health());
    }
    let metrics = opened.metrics.clone();
    if let Some(m) = &metrics {
        watch_caches(m, &api);
    }
    let admin = match (admin, &metrics) {
        (Some(listener), Some(m)) => Some(tokio::spawn(admin::serve(
            listener,
            m.clone(),
            readiness.clone(),
            std::future::pending(),
        ))),
        _ => None,
    };
    let draining = readiness.clone();
    let shutdown = async move {
        shutdown.await;
        // The API drains from here on; a balancer asking /readyz stops sending now.
        draining.stopping();
    };
    let limits = http_limits(config, fd_limit);
    if limits.max_connections as u64 + limits::RESERVED_FDS > fd_limit {
        tracing::warn!(
            max_connections = limits.max_connections,
            fd_limit,
            "limits.max_connections is above what the file-descriptor limit allows; \
             raise the limit (LimitNOFILE, ulimit -n) or lower max_connections"
        );
    }
    tracing::info!(
        max_connections = limits.max_connections,
        per_source = limits.max_connections_per_source,
        fd_limit,
        "connection limits"
    );
    server::serve(listener, api, limits, tls, metrics, audit.clone(), shutdown).await;
    sweeper.abort();
    if let Some(admin) = admin {
        admin.abort();
    }
    if let Some(audit) = audit {
        // Signs the head over the last records and syncs.
        let _ = tokio::task::spawn_blocking(move || audit.shutdown()).await;
    }
}

/// Shows the three caches' hits and misses: the credentials the API looks up, and the
/// core's CMK records and unsealed material (counts only).
fn watch_caches(metrics: &Metrics, api: &Arc<Api>) {
    let a = api.clone();
    metrics.add_cache("credentials", move || a.credentials.cache_stats());
    let k = api.kms.clone();
    metrics.add_cache("cmk", move || k.cmk_cache_stats());
    let k = api.kms.clone();
    metrics.add_cache("material", move || k.material_cache_stats());
    let k = api.kms.clone();
    metrics.add_cache("opened_key", move || k.opened_key_cache_stats());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    /// A new data directory is 0700 and its files 0600; an existing directory open to
    /// other users is made 0700.
    #[tokio::test]
    async fn the_data_directory_is_private() {
        let parent = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: parent.path().join("new"),
            ..Config::default()
        };
        let opened = open(&config).await.unwrap();
        assert!(opened.created);
        assert_eq!(mode(&config.data_dir), 0o700);
        assert_eq!(mode(&config.data_dir.join(DB_FILE)), 0o600);
        assert_eq!(mode(&config.data_dir.join(ROOT_KEY_FILE)), 0o600);
        drop(opened);

        for open_mode in [0o755, 0o750, 0o701, 0o777] {
            std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(open_mode))
                .unwrap();
            assert!(!open(&config).await.unwrap().created);
            assert_eq!(
                mode(&config.data_dir),
                0o700,
                "tightened from {open_mode:o}"
            );
        }
        let err = OpenError::DataDirTooOpen {
            dir: "/srv/kms".into(),
            mode: 0o755,
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(
            err.to_string().contains("run `chmod 700 /srv/kms`"),
            "{err}"
        );
    }
}
