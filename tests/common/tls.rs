//! TLS for the tests: certificates made with the `openssl` command line, and a
//! blocking rustls client that speaks the harness's raw HTTP/1.1.

use super::{read_response, Resp};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use rustls_pki_types::pem::PemObject;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command line is needed by the TLS tests");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The kinds of private key file a server may be given.
#[derive(Clone, Copy, Debug)]
pub enum KeyKind {
    /// P-256, `PRIVATE KEY`.
    EcPkcs8,
    /// P-256, `EC PRIVATE KEY`.
    EcSec1,
    /// RSA 2048, `RSA PRIVATE KEY`.
    RsaPkcs1,
}

/// A CA in a directory, issuing certificates into it.
pub struct Ca {
    pub dir: PathBuf,
    pub name: String,
    pub cert: PathBuf,
    key: PathBuf,
}

impl Ca {
    pub fn new(dir: &Path, name: &str) -> Ca {
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ]);
        Ca {
            dir: dir.to_path_buf(),
            name: name.into(),
            cert,
            key,
        }
    }

    /// A certificate for `cn` (server: for 127.0.0.1 and localhost), and its key file,
    /// named `file`.pem and `file`.key.
    pub fn issue(&self, file: &str, cn: &str, server: bool, kind: KeyKind) -> (PathBuf, PathBuf) {
        let ext = if server {
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        } else {
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n\
             extendedKeyUsage=clientAuth\n"
        };
        self.issue_ext(file, cn, ext, kind)
    }

    /// A certificate with the extensions `ext` (openssl's extfile format).
    pub fn issue_ext(
        &self,
        file: &str,
        cn: &str,
        ext_text: &str,
        kind: KeyKind,
    ) -> (PathBuf, PathBuf) {
        let d = &self.dir;
        let cert = d.join(format!("{file}.pem"));
        let key = d.join(format!("{file}.key"));
        let csr = d.join(format!("{file}.csr"));
        let ext = d.join(format!("{file}.ext"));
        let newkey: &[&str] = match kind {
            KeyKind::RsaPkcs1 => &["-newkey", "rsa:2048"],
            _ => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        };
        let mut args = vec!["req"];
        args.extend_from_slice(newkey);
        let subj = format!("/CN={cn}");
        args.extend_from_slice(&[
            "-nodes",
            "-subj",
            &subj,
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            csr.to_str().unwrap(),
        ]);
        openssl(&args);
        std::fs::write(&ext, ext_text).unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            csr.to_str().unwrap(),
            "-CA",
            self.cert.to_str().unwrap(),
            "-CAkey",
            self.key.to_str().unwrap(),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            ext.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ]);
        let k = key.to_str().unwrap();
        match kind {
            KeyKind::EcPkcs8 => {}
            KeyKind::EcSec1 => openssl(&["ec", "-in", k, "-out", k]),
            KeyKind::RsaPkcs1 => openssl(&["rsa", "-in", k, "-traditional", "-out", k]),
        }
        let first_line = std::fs::read_to_string(&key).unwrap();
        let expected = match kind {
            KeyKind::EcPkcs8 => "-----BEGIN PRIVATE KEY-----",
            KeyKind::EcSec1 => "-----BEGIN EC PRIVATE KEY-----",
            KeyKind::RsaPkcs1 => "-----BEGIN RSA PRIVATE KEY-----",
        };
        assert!(
            first_line.starts_with(expected),
            "{kind:?}: {}",
            first_line.lines().next().unwrap_or("")
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        (cert, key)
    }
}

/// A client trusting `ca`, presenting `identity` (certificate, key) if given, speaking
/// only `versions` (empty: TLS 1.2 and 1.3).
pub fn client_config(
    ca: &Path,
    identity: Option<(&Path, &Path)>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let versions = if versions.is_empty() {
        rustls::DEFAULT_VERSIONS
    } else {
        versions
    };
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_file_iter(cert)
                    .unwrap()
                    .map(Result::unwrap)
                    .collect(),
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap(),
    };
    Arc::new(config)
}

/// One TLS connection to 127.0.0.1, kept alive across requests.
pub struct TlsConn {
    pub stream: StreamOwned<ClientConnection, TcpStream>,
}

impl TlsConn {
    /// Connects and completes the handshake (with TLS 1.3, a client certificate the
    /// server refuses shows only on the first read: see [`TlsConn::request`]).
    pub fn connect(addr: SocketAddr, config: Arc<ClientConfig>) -> std::io::Result<TlsConn> {
        let mut sock = TcpStream::connect(addr)?;
        sock.set_read_timeout(Some(Duration::from_secs(30)))?;
        let name = ServerName::IpAddress(addr.ip().into());
        let mut conn = ClientConnection::new(config, name).map_err(std::io::Error::other)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)?;
        }
        Ok(TlsConn {
            stream: StreamOwned::new(conn, sock),
        })
    }

    /// Sends raw request bytes and reads one response; an error if the connection
    /// fails or closes first.
    pub fn request(&mut self, bytes: &[u8]) -> std::io::Result<Resp> {
        self.stream.write_all(bytes)?;
        self.stream.flush()?;
        // Read the whole response (framed by Content-Length) before parsing it, so a
        // refused connection is an error here rather than a panic in the parser.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    break;
                }
            }
            let n = std::io::Read::read(&mut self.stream, &mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok(read_response(&mut std::io::Cursor::new(buf)))
    }

    /// The DER of the certificate the server presented.
    pub fn server_cert(&self) -> Vec<u8> {
        self.stream.conn.peer_certificates().unwrap()[0].to_vec()
    }

    pub fn version(&self) -> rustls::ProtocolVersion {
        self.stream.conn.protocol_version().unwrap()
    }
}
