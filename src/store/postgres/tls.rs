//! TLS to the PostgreSQL server: a rustls connector for tokio-postgres, used when the
//! store URL says `sslmode=require` or `verify-full` with `sslrootcert` (see
//! [`crate::store::location::PgSslMode`]). Only the CA file is trusted. `require`
//! checks the certificate's chain but not its name (as libpq's `verify-ca`);
//! `verify-full` checks both.

use crate::store::location::{PgSslMode, PostgresUrl};
use crate::store::StoreError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use tokio_postgres::Socket;

/// The connector, or None when the URL asks for no TLS.
pub fn connector(url: &PostgresUrl) -> Result<Option<MakeRustls>, StoreError> {
    let (mode, root_cert) = url.tls();
    let (check_name, Some(ca)) = (
        match mode {
            PgSslMode::Disable | PgSslMode::Prefer => return Ok(None),
            PgSslMode::Require => false,
            PgSslMode::VerifyFull => true,
        },
        root_cert,
    ) else {
        return Err(StoreError::Backend("sslrootcert is missing".into()));
    };
    let bad = |why: String| StoreError::Backend(format!("sslrootcert {}: {why}", ca.display()));
    let mut roots = RootCertStore::empty();
    let certs =
        CertificateDer::pem_file_iter(ca).map_err(|e| bad(format!("cannot read it ({e})")))?;
    for cert in certs {
        let cert = cert.map_err(|_| bad("not a valid PEM certificate file".into()))?;
        roots
            .add(cert)
            .map_err(|e| bad(format!("not a usable CA certificate ({e})")))?;
    }
    if roots.is_empty() {
        return Err(bad("no PEM CERTIFICATE block in it".into()));
    }
    let provider = crate::crypto::tls::provider();
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| bad(format!("cannot verify with it ({e})")))?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Backend(format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier { webpki, check_name }))
        .with_no_client_auth();
    Ok(Some(MakeRustls(Arc::new(config))))
}

/// The CA's verifier, with the name check left out for `require`.
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[derive(Clone)]
pub struct MakeRustls(Arc<ClientConfig>);

pub struct Connect {
    config: Arc<ClientConfig>,
    name: Result<ServerName<'static>, String>,
}

impl MakeTlsConnect<Socket> for MakeRustls {
    type Stream = Stream;
    type TlsConnect = Connect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Connect, io::Error> {
        Ok(Connect {
            config: self.0.clone(),
            name: ServerName::try_from(domain.to_string())
                .map_err(|_| format!("{domain} is not a host name TLS can check")),
        })
    }
}

impl TlsConnect<Socket> for Connect {
    type Stream = Stream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, io::Error>> + Send>>;

    fn connect(self, socket: Socket) -> Self::Future {
        Box::pin(async move {
            let name = self.name.map_err(io::Error::other)?;
            let s = tokio_rustls::TlsConnector::from(self.config)
                .connect(name, socket)
                .await?;
            Ok(Stream(Box::new(s)))
        })
    }
}

pub struct Stream(Box<tokio_rustls::client::TlsStream<Socket>>);

impl TlsStream for Stream {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}
