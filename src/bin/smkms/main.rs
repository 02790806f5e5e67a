//! The `smkms` command. Thin: parses arguments and calls into the library.

mod bench;

use clap::{Args, Parser, Subcommand};
use smkms::app;
use smkms::config::Config;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "smkms",
    version,
    about = "A self-hosted SM2/SM3/SM4 key management service that speaks the Tencent Cloud KMS API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (creating the data directory and a first credential on first start).
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on [default: 127.0.0.1:6300]; port 0 picks a free port.
        /// Plain HTTP on an address that is not loopback needs --allow-plaintext.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Serve /metrics, /healthz and /readyz on this address too [default: off]. It
        /// asks for no credential: use a private address.
        #[arg(long, value_name = "ADDR")]
        admin_listen: Option<SocketAddr>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Create, list or delete API credentials (SecretId/SecretKey pairs).
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Move records between stores.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Decrypt a data key delivered to your public key (EncryptionPublicKey): the
    /// recipient's side, needing only your private key, not a server.
    Unwrap(UnwrapArgs),
    /// Verify the audit trail, or print the public key its chain heads are signed with.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Load a running server (http or https): TC3-signed requests over N keep-alive
    /// connections (or a new one per request) for a duration or a count, then
    /// requests/s, latency percentiles and errors by code.
    Bench(bench::BenchArgs),
}

#[derive(Args)]
#[command(after_help = "Example:\n  \
    smkms unwrap --private-key sm2.pem --algorithm SM2_C1C3C2_ASN1 \"$PLAINTEXT\"\n  \
    echo \"$PLAINTEXT\" | smkms unwrap --private-key rsa.pem --algorithm RSAES_OAEP_SHA_256 -")]
struct UnwrapArgs {
    /// PEM private key: PKCS#8 (PRIVATE KEY), SEC1 (EC PRIVATE KEY, SM2 PRIVATE KEY) or
    /// PKCS#1 (RSA PRIVATE KEY).
    #[arg(long, value_name = "FILE")]
    private_key: PathBuf,
    /// The EncryptionAlgorithm the data key was delivered with.
    #[arg(long, value_name = "ALG", value_parser = [
        "SM2", "SM2_C1C3C2_ASN1", "RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256",
    ])]
    algorithm: String,
    /// How to print the data key.
    #[arg(long, value_enum, default_value_t = OutputFormat::Hex)]
    output: OutputFormat,
    /// The delivered ciphertext in base64 (the response's Plaintext); `-` or nothing
    /// reads it from standard input.
    #[arg(value_name = "BASE64|-")]
    ciphertext: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    Hex,
    Base64,
}

#[derive(Args)]
struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (server certificate first);
    /// reloaded on SIGHUP. Needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key (PKCS#8, SEC1 or PKCS#1); reloaded on SIGHUP.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Mutual TLS: refuse, in the handshake, every client without a certificate issued
    /// under this PEM CA.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// Serve plain HTTP on an address that is not loopback (behind a TLS-terminating
    /// proxy).
    #[arg(long)]
    allow_plaintext: bool,
}

#[derive(Args)]
struct Common {
    /// TOML configuration file (see README, "Configuration").
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory [default: ./smkms-data].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Keep the records in this PostgreSQL database (postgres://user:password@host:port/db)
    /// instead of SQLite in the data directory; also SMKMS_STORE or `store` in the file.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every replica's chain: exits non-zero naming the first bad record (file
    /// and line), prints a summary when all is well.
    Verify {
        /// TOML configuration file (its `[audit] dir` and `data_dir` are used).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Data directory: the trail is read from its audit/ (or `[audit] dir`).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// The audit directory itself (a copy, say), instead of --data.
        #[arg(long, value_name = "PATH", conflicts_with = "data")]
        dir: Option<PathBuf>,
        /// PEM public key from `smkms audit public-key`: every signed chain head must
        /// verify with it. Without it, signatures are counted, not checked.
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
        /// Check only this replica's chain.
        #[arg(long, value_name = "ID")]
        replica: Option<String>,
    },
    /// Print the public key (PEM, SubjectPublicKeyInfo, SM2) of the chain-head signing
    /// key, which is kept sealed in the store and shared by every replica.
    PublicKey {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Copy an embedded (SQLite) deployment into an empty PostgreSQL database, records
    /// sealed as they are. Stop the server first: later writes would not be copied.
    /// The replicas on the database then need the data directory's root key.
    Copy {
        /// The data directory whose smkms.db is copied.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The PostgreSQL database to fill: postgres://user:password@host:port/database.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Subcommand)]
enum CredentialsCommand {
    /// Create a credential and print its secret (the only time it is shown).
    Create {
        #[command(flatten)]
        common: Common,
        /// Add the credential to this existing account instead of a new one.
        #[arg(long)]
        uin: Option<u64>,
        /// Print {"SecretId", "SecretKey", "Uin"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List credentials (never their secrets).
    List {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// Delete a credential; a running server refuses it from the next request on.
    Delete {
        #[command(flatten)]
        common: Common,
        /// The SecretId to delete.
        secret_id: String,
        #[arg(long)]
        json: bool,
    },
}

fn load_config(common: &Common) -> Result<Config, String> {
    let mut c = Config::load(common.config.as_deref())?;
    if let Some(d) = &common.data {
        c.data_dir = d.clone();
    }
    if let Some(url) = &common.store {
        c.store = Some(url.clone());
        c.validate()?;
    }
    Ok(c)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("smkms: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve {
                common,
                listen,
                admin_listen,
                tls,
            } => serve(common, listen, admin_listen, tls).await,
            Command::Credentials(c) => credentials(c).await,
            Command::Store(c) => store(c).await,
            Command::Audit(c) => audit(c).await,
            Command::Unwrap(args) => unwrap(args),
            Command::Bench(args) => bench::run(args),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smkms: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(
    common: Common,
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    tls: TlsArgs,
) -> Result<(), String> {
    let mut config = load_config(&common)?;
    if let Some(l) = listen {
        config.listen = l;
    }
    if admin_listen.is_some() {
        config.admin_listen = admin_listen;
    }
    if let (Some(cert), Some(key)) = (tls.tls_cert, tls.tls_key) {
        config.tls.cert_file = Some(cert);
        config.tls.key_file = Some(key);
    }
    if let Some(ca) = tls.tls_client_ca {
        config.tls.client_ca_file = Some(ca);
    }
    config.allow_plaintext |= tls.allow_plaintext;
    config.validate()?;
    config.check_plaintext()?;
    init_logging(&config.log);
    let fd_limit = smkms::http::limits::raise_fd_limit();
    // Before anything is created: a bad certificate or key stops the start here.
    let tls = app::tls(&config)?;
    let opened = app::open(&config).await.map_err(|e| e.to_string())?;
    if opened.created {
        let credentials = opened.credentials();
        let c = credentials
            .create(None, opened.kms.now())
            .await
            .map_err(|e| e.to_string())?;
        let banner = zeroize::Zeroizing::new(format!(
            "smkms: initialised {}\n\
             First credential, shown only this once (create more with `smkms credentials create`):\n  \
             SecretId:  {}\n  SecretKey: {}\n  Uin:       {}\n",
            opened.shown,
            c.secret_id,
            c.secret_key.expose(),
            c.account
        ));
        if let Err(e) = print(&banner) {
            return Err(unseen_credential(&credentials, &c.secret_id, e).await
                + &format!(
                    "; create one with `smkms credentials create --data {}`",
                    config.data_dir.display()
                ));
        }
    }
    let audit = app::audit::open_audit(&opened, &config).await?;
    // The admin listener first, so that its line comes before the API's: whoever waits
    // for "smkms listening on" has seen both.
    let admin = match config.admin_listen {
        Some(at) => {
            let admin = tokio::net::TcpListener::bind(at)
                .await
                .map_err(|e| format!("cannot listen on {at} (admin_listen): {e}"))?;
            let addr = admin.local_addr().map_err(|e| e.to_string())?;
            if let Err(e) = print(&format!("smkms admin listening on http://{addr}\n")) {
                tracing::warn!(error = %e, "the admin address was not printed");
            }
            tracing::info!(%addr, "admin listener: /metrics, /healthz, /readyz");
            if addr.ip().is_unspecified() {
                tracing::warn!(
                    %addr,
                    "the admin listener asks for no credential and listens on every \
                     interface: give admin_listen a private address"
                );
            }
            Some(admin)
        }
        None => None,
    };
    let listener =
        listen_on(config.listen).map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Registered before the listening line, so a SIGHUP after it never ends the process.
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(hup) => {
            tokio::spawn(reload_on_sighup(hup, tls.clone()));
        }
        Err(e) => tracing::warn!(
            error = %e,
            "cannot listen for SIGHUP: a TLS certificate will not be reloaded"
        ),
    }
    // Also before it: a SIGTERM that follows the line at once must drain and stop the
    // server (audit head signed), not end the process by the signal's default action.
    let shutdown = shutdown_signal()?;
    // Only the address: the server can run without a standard output.
    if let Err(e) = print(&format!("smkms listening on {scheme}://{addr}\n")) {
        tracing::warn!(error = %e, "the listening address was not printed");
    }
    tracing::info!(
        %addr,
        data = %config.data_dir.display(),
        store = %opened.shown,
        public_key_pool = config.limits.public_key_pool,
        tls = tls.is_some(),
        mutual_tls = tls.as_ref().is_some_and(|t| t.mutual()),
        "serving"
    );
    app::run(
        &opened, &config, listener, admin, tls, fd_limit, audit, shutdown,
    )
    .await;
    Ok(())
}

/// A listener with a deep accept backlog (the kernel caps it at somaxconn), so a burst
/// of new connections waits to be accepted rather than being dropped.
fn listen_on(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// SIGHUP reloads the TLS certificate and key; a failed reload keeps the old ones.
/// Without TLS it is logged and ignored (rather than ending the process, which is
/// SIGHUP's default), so one `systemctl reload` fits every deployment.
async fn reload_on_sighup(
    mut hup: tokio::signal::unix::Signal,
    tls: Option<std::sync::Arc<smkms::http::tls::ServerTls>>,
) {
    while hup.recv().await.is_some() {
        match &tls {
            Some(tls) => tls.reload_logged(),
            None => tracing::info!("SIGHUP: no TLS certificate to reload"),
        }
    }
}

/// SIGTERM or SIGINT, both registered when this is called (not when first awaited).
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

async fn credentials(cmd: CredentialsCommand) -> Result<(), String> {
    match cmd {
        CredentialsCommand::Create { common, uin, json } => {
            let config = load_config(&common)?;
            let opened = app::open(&config).await.map_err(|e| e.to_string())?;
            let c = opened
                .credentials()
                .create(uin, opened.kms.now())
                .await
                .map_err(|e| e.to_string())?;
            let text = if json {
                format!(
                    "{}\n",
                    serde_json::json!({
                        "SecretId": c.secret_id,
                        "SecretKey": c.secret_key.expose(),
                        "Uin": c.account.to_string(),
                    })
                )
            } else {
                format!(
                    "SecretId:  {}\nSecretKey: {}\nUin:       {}\n(the SecretKey is shown only now)\n",
                    c.secret_id,
                    c.secret_key.expose(),
                    c.account
                )
            };
            let text = zeroize::Zeroizing::new(text);
            if let Err(e) = print(&text) {
                return Err(unseen_credential(&opened.credentials(), &c.secret_id, e).await);
            }
            Ok(())
        }
        CredentialsCommand::List { common, json } => {
            let config = load_config(&common)?;
            let opened = app::open(&config).await.map_err(|e| e.to_string())?;
            let list = opened
                .credentials()
                .list()
                .await
                .map_err(|e| e.to_string())?;
            if json {
                let items: Vec<_> = list
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "SecretId": c.secret_id,
                            "Uin": c.account.to_string(),
                            "CreateTime": c.created_at,
                        })
                    })
                    .collect();
                print(&format!("{}\n", serde_json::Value::Array(items)))
            } else {
                let lines: String = list
                    .iter()
                    .map(|c| {
                        format!(
                            "{}  uin={}  created={}\n",
                            c.secret_id, c.account, c.created_at
                        )
                    })
                    .collect();
                print(&lines)
            }
        }
        CredentialsCommand::Delete {
            common,
            secret_id,
            json,
        } => {
            let config = load_config(&common)?;
            let opened = app::open(&config).await.map_err(|e| e.to_string())?;
            if !opened
                .credentials()
                .delete(&secret_id)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("no credential has the SecretId {secret_id}"));
            }
            let shown = if json {
                print(&format!(
                    "{}\n",
                    serde_json::json!({ "Deleted": secret_id })
                ))
            } else {
                print(&format!("deleted {secret_id}\n"))
            };
            shown.map_err(|e| format!("{e} (the credential {secret_id} was deleted)"))
        }
    }
}

async fn audit(cmd: AuditCommand) -> Result<(), String> {
    use smkms::audit::verify;
    use smkms::crypto::sm2::sign::PublicKey;
    match cmd {
        AuditCommand::Verify {
            config,
            data,
            dir,
            public_key,
            replica,
        } => {
            let dir = match dir {
                Some(d) => d,
                None => {
                    let mut c = Config::load(config.as_deref())?;
                    if let Some(d) = data {
                        c.data_dir = d;
                    }
                    c.audit_dir()
                }
            };
            let key = match &public_key {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    Some(
                        PublicKey::from_pem(&text)
                            .map_err(|e| format!("{} {e}", path.display()))?,
                    )
                }
                None => None,
            };
            let chains = verify::verify_dir(&dir, key.as_ref(), replica.as_deref())
                .map_err(|bad| format!("audit trail in {} is BAD: {bad}", dir.display()))?;
            let mut out = format!("audit trail in {} is intact\n", dir.display());
            for c in &chains {
                out.push_str(&format!("  {c}\n"));
            }
            if key.is_none() {
                out.push_str(
                    "  (signatures not checked: give --public-key, from `smkms audit public-key`)\n",
                );
            }
            print(&out)
        }
        AuditCommand::PublicKey { common } => {
            let config = load_config(&common)?;
            let opened = app::open(&config).await.map_err(|e| e.to_string())?;
            let key = app::audit::signing_key(opened.store.as_ref(), &opened.sealer).await?;
            print(&key.public_key().to_pem())
        }
    }
}

async fn store(cmd: StoreCommand) -> Result<(), String> {
    use smkms::store::location::StoreLocation;
    use smkms::store::postgres::{PostgresOptions, PostgresStore};
    use smkms::store::{sqlite::SqliteStore, Store, StoreError};
    let StoreCommand::Copy { data, to } = cmd;
    let StoreLocation::Postgres(url) =
        StoreLocation::parse(Some(&to)).map_err(|e| e.replacen("store:", "--to:", 1))?
    else {
        return Err("--to: give the PostgreSQL database to copy into".into());
    };
    let db = data.join(app::DB_FILE);
    if !db.is_file() {
        return Err(format!(
            "{} has no {}: give the data directory of the server to copy",
            data.display(),
            app::DB_FILE
        ));
    }
    let source =
        SqliteStore::open(&db).map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    let snapshot = source
        .export()
        .await
        .map_err(|e| format!("cannot read {}: {e}", db.display()))?;
    let target = PostgresStore::connect(&url, PostgresOptions::default())
        .await
        .map_err(|e| format!("cannot open the database {url}: {e}"))?;
    match target.import(&snapshot).await {
        Ok(()) => {}
        Err(StoreError::NotEmpty(held)) => {
            return Err(format!(
                "the database {url} is not empty (it holds {held}); `store copy` only fills an \
                 empty database, so nothing was copied. Give a new database, or drop this \
                 one's smkms tables if it holds nothing you need"
            ))
        }
        Err(e) => {
            return Err(format!(
                "copying into {url} failed, nothing was copied: {e}"
            ))
        }
    }
    print(&format!(
        "copied {} from {} into {url}\n\
         Start the replicas with --store and the root key of {} (root.key or SMKMS_ROOT_KEY).\n",
        snapshot.counts(),
        db.display(),
        data.display()
    ))
}

fn unwrap(args: UnwrapArgs) -> Result<(), String> {
    use smkms::b64;
    use smkms::crypto::deliver;
    let alg = deliver::Algorithm::parse(Some(&args.algorithm)).map_err(|e| e.to_string())?;
    let pem = std::fs::read_to_string(&args.private_key)
        .map_err(|e| format!("cannot read {}: {e}", args.private_key.display()))?;
    let text = match args.ciphertext.as_deref() {
        None | Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| format!("cannot read the ciphertext from standard input: {e}"))?;
            s
        }
        Some(b64) => b64.to_string(),
    };
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err("no ciphertext: pass it in base64 as an argument or on standard input".into());
    }
    let ciphertext = b64::decode(&compact)
        .ok_or("the ciphertext is not valid base64 (standard alphabet, with padding)")?;
    let key = deliver::unwrap(&pem, alg, &ciphertext).map_err(|e| e.to_string())?;
    let shown = zeroize::Zeroizing::new(match args.output {
        OutputFormat::Hex => hex::encode(key.expose()),
        OutputFormat::Base64 => b64::encode(key.expose()),
    });
    let line = zeroize::Zeroizing::new(format!("{}\n", shown.as_str()));
    print(&line)
}

/// Writes `text` to standard output and flushes it. Unlike `println!`, which panics,
/// a failed write (a full disk, a closed pipe) comes back as an error to report.
fn print(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))
}

/// A credential whose SecretKey could not be shown is deleted again: nobody holds its
/// secret, so it could only ever be clutter in `credentials list`. Returns the error to
/// report (never the secret).
async fn unseen_credential(
    credentials: &smkms::auth::credentials::Credentials,
    secret_id: &str,
    write_error: String,
) -> String {
    match credentials.delete(secret_id).await {
        Ok(_) => format!(
            "{write_error}; the new credential {secret_id} was not shown, so it was deleted again"
        ),
        Err(e) => format!(
            "{write_error}; the new credential {secret_id} was not shown, and deleting it failed \
             ({e}): delete it with `smkms credentials delete {secret_id}`"
        ),
    }
}
