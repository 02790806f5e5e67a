//! TLS for the listener: rustls (ring provider), TLS 1.2 and 1.3, HTTP/1.1 only.
//!
//! - The certificate chain and private key are PEM files (the key PKCS#8, SEC1 or
//!   PKCS#1). They are read at start (a bad file stops the start with a message saying
//!   what is wrong, never what the file holds) and again on [`ServerTls::reload`]
//!   (SIGHUP): the resolver's current key is swapped, so connections already open keep
//!   theirs and new ones get the new one. A file that does not load on reload keeps the
//!   old key, and the reason is logged.
//! - With a client CA, every client must present a certificate issued under it, or the
//!   handshake fails (mutual TLS). The CA file is read at start only.
//! - A private key file readable by group or others is served with a warning.

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The files a TLS listener is made of.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub client_ca_file: Option<PathBuf>,
}

/// Why a TLS file could not be used. Names the file and the problem; never its content.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {what}", path.display())]
    Invalid { path: PathBuf, what: String },
    #[error(
        "the private key {} does not belong to the certificate {}: give the key the \
         certificate was issued for",
        key.display(),
        cert.display()
    )]
    Mismatch { cert: PathBuf, key: PathBuf },
}

pub use crate::crypto::tls::provider;

fn read(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, TlsError> {
    std::fs::read(path)
        .map(zeroize::Zeroizing::new)
        .map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })
}

fn invalid(path: &Path, what: impl Into<String>) -> TlsError {
    TlsError::Invalid {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

/// Every `CERTIFICATE` block of a PEM file, in order; at least one.
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| invalid(path, "not a valid PEM file (a damaged CERTIFICATE block)"))?;
    if certs.is_empty() {
        return Err(invalid(
            path,
            "no PEM CERTIFICATE block (expected -----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certs)
}

/// The first private key of a PEM file: PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`)
/// or PKCS#1 (`RSA PRIVATE KEY`).
fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    warn_if_readable_by_others(path);
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        invalid(
            path,
            match e {
                rustls_pki_types::pem::Error::NoItemsFound => {
                    "no PEM private key (expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE \
                     KEY; an encrypted key must be decrypted first)"
                }
                _ => "not a valid PEM private key",
            },
        )
    })
}

fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %path.display(),
                mode = %format!("{mode:o}"),
                "the TLS private key file is readable by other users; run `chmod 600` on it"
            );
        }
    }
}

/// Reads and checks a certificate chain and its private key.
pub fn load_certified_key(
    cert_file: &Path,
    key_file: &Path,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain = read_certificates(cert_file)?;
    let key = read_private_key(key_file)?;
    match CertifiedKey::from_der(chain, key, provider) {
        Ok(k) => Ok(Arc::new(k)),
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::Mismatch {
            cert: cert_file.to_path_buf(),
            key: key_file.to_path_buf(),
        }),
        Err(rustls::Error::InvalidCertificate(e)) => Err(invalid(
            cert_file,
            format!("not a usable certificate ({e})"),
        )),
        Err(_) => Err(invalid(
            key_file,
            "a private key of a kind TLS cannot use here (RSA, ECDSA P-256/P-384 or Ed25519 \
             are supported)",
        )),
    }
}

/// The current certificate and key, swapped on reload.
#[derive(Debug)]
struct Resolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

/// A TLS listener's state: its acceptor and what reloading needs.
pub struct ServerTls {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    resolver: Arc<Resolver>,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl ServerTls {
    /// Reads every file; any problem is an error (the server does not start).
    pub fn load(files: TlsFiles) -> Result<ServerTls, TlsError> {
        let provider = provider();
        let key = load_certified_key(&files.cert_file, &files.key_file, &provider)?;
        let resolver = Arc::new(Resolver {
            current: RwLock::new(key),
        });
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| invalid(&files.cert_file, format!("TLS setup failed: {e}")))?;
        let builder = match &files.client_ca_file {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in read_certificates(ca)? {
                    roots
                        .add(cert)
                        .map_err(|e| invalid(ca, format!("not a usable CA certificate ({e})")))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| invalid(ca, format!("cannot verify clients with it ({e})")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls {
            files,
            provider,
            resolver,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        })
    }

    pub fn acceptor(&self) -> &tokio_rustls::TlsAcceptor {
        &self.acceptor
    }

    pub fn mutual(&self) -> bool {
        self.files.client_ca_file.is_some()
    }

    /// Reads the certificate and key again. On success new handshakes use them; on
    /// failure the current ones stay, and the error says why.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = load_certified_key(&self.files.cert_file, &self.files.key_file, &self.provider)?;
        *self
            .resolver
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = key;
        Ok(())
    }

    /// [`Self::reload`], logged: what SIGHUP does.
    pub fn reload_logged(&self) {
        match self.reload() {
            Ok(()) => tracing::info!(
                cert = %self.files.cert_file.display(),
                "TLS certificate and key reloaded"
            ),
            Err(e) => tracing::error!(
                error = %e,
                "TLS reload failed; still serving the previous certificate and key"
            ),
        }
    }
}
