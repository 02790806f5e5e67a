//! The client side of `smkms bench`: one keep-alive HTTP/1.1 connection on a tokio
//! `TcpStream`, or on TLS over it (rustls, trusting the `--ca` file), and the TC3
//! signer.
//!
//! Hand-rolled on purpose: the load generator shares the machine with the server it
//! measures, so every microsecond it spends is one the server does not get. A request
//! is encoded into one reused buffer and written with one call; the answer is read into
//! another reused buffer and framed by `Content-Length` (which is how the smkms server
//! always answers). No pipelining: one request in flight per connection.

use smkms::auth::tc3;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where a connection goes: an address, and for https the TLS client and the name
/// the server's certificate must carry.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub tls: Option<(
        Arc<rustls::ClientConfig>,
        rustls_pki_types::ServerName<'static>,
    )>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(bytes).await,
            Stream::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
        }
    }

    async fn read_buf(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read_buf(buf).await,
            Stream::Tls(s) => s.read_buf(buf).await,
        }
    }
}

/// The largest response head accepted; the server's are a few hundred bytes.
const MAX_HEAD: usize = 64 * 1024;
/// The largest response body accepted (a 4 KiB plaintext in base64 plus JSON is far less).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Why an exchange failed below the API level. Each maps to an error code in the
/// summary, so a run against a struggling server still says what went wrong.
#[derive(Debug)]
pub enum HttpError {
    /// The connection failed or closed mid-exchange.
    Io(std::io::Error),
    /// The answer was not an HTTP/1.1 response framed by Content-Length.
    Malformed(&'static str),
}

impl HttpError {
    pub fn code(&self) -> &'static str {
        match self {
            HttpError::Io(_) => "Http.ConnectionError",
            HttpError::Malformed(_) => "Http.MalformedResponse",
        }
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Io(e) => write!(f, "connection error: {e}"),
            HttpError::Malformed(m) => write!(f, "malformed response: {m}"),
        }
    }
}

impl From<std::io::Error> for HttpError {
    fn from(e: std::io::Error) -> Self {
        HttpError::Io(e)
    }
}

/// A response, borrowing its body from the connection's read buffer.
pub struct Response<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

pub struct Conn {
    stream: Stream,
    /// The request being sent (head and body), reused across requests.
    out: Vec<u8>,
    /// The response being read, reused across requests.
    buf: Vec<u8>,
    /// The server said `Connection: close`: this connection must not be reused.
    pub closed: bool,
}

impl Conn {
    /// Connects, and with TLS completes the handshake.
    pub async fn connect(target: &Target) -> std::io::Result<Conn> {
        let tcp = TcpStream::connect(target.addr).await?;
        tcp.set_nodelay(true)?;
        let stream = match &target.tls {
            None => Stream::Plain(tcp),
            Some((config, name)) => {
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                Stream::Tls(Box::new(connector.connect(name.clone(), tcp).await?))
            }
        };
        Ok(Conn {
            stream,
            out: Vec::with_capacity(4096),
            buf: Vec::with_capacity(16 * 1024),
            closed: false,
        })
    }

    /// Signs and sends one POST request and reads its response.
    pub async fn post(
        &mut self,
        signer: &mut Signer,
        action: &str,
        body: &[u8],
        payload_hash: &str,
    ) -> Result<Response<'_>, HttpError> {
        let timestamp = unix_now();
        let authorization = signer.authorization(action, timestamp, payload_hash);
        self.out.clear();
        write!(
            self.out,
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             X-TC-Action: {action}\r\nX-TC-Version: {}\r\nX-TC-Region: {}\r\n\
             X-TC-Timestamp: {timestamp}\r\nAuthorization: {authorization}\r\n\
             Content-Length: {}\r\n\r\n",
            signer.host,
            smkms::api::tencent::VERSION,
            signer.region,
            body.len()
        )
        .expect("writing to a Vec cannot fail");
        self.out.extend_from_slice(body);
        self.stream.write_all(&self.out).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> Result<Response<'_>, HttpError> {
        self.buf.clear();
        let (head_len, status, content_length) = loop {
            if let Some(end) = find_head_end(&self.buf) {
                let (status, len, close) = parse_head(&self.buf[..end])?;
                self.closed = close;
                break (end + 4, status, len);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HttpError::Malformed("the response head is too long"));
            }
            self.fill().await?;
        };
        if content_length > MAX_BODY {
            return Err(HttpError::Malformed("the response body is too large"));
        }
        let total = head_len + content_length;
        while self.buf.len() < total {
            self.fill().await?;
        }
        if self.buf.len() > total {
            // We never pipeline, so nothing may follow the response.
            return Err(HttpError::Malformed("bytes after the response body"));
        }
        Ok(Response {
            status,
            body: &self.buf[head_len..total],
        })
    }

    async fn fill(&mut self) -> Result<(), HttpError> {
        self.buf.reserve(16 * 1024);
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(HttpError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            )));
        }
        Ok(())
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Status, Content-Length and whether the server closes the connection.
fn parse_head(head: &[u8]) -> Result<(u16, usize, bool), HttpError> {
    let head = std::str::from_utf8(head).map_err(|_| HttpError::Malformed("non-UTF-8 head"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(HttpError::Malformed("not an HTTP/1.x status line"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(HttpError::Malformed("no status code"))?;
    let mut close = version == "HTTP/1.0";
    let mut length = None;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or(HttpError::Malformed("a header line without ':'"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n: usize = value
                .parse()
                .map_err(|_| HttpError::Malformed("bad Content-Length"))?;
            if length.replace(n).is_some_and(|m| m != n) {
                return Err(HttpError::Malformed("conflicting Content-Length"));
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(HttpError::Malformed(
                "Transfer-Encoding is not supported (smkms frames by Content-Length)",
            ));
        } else if name.eq_ignore_ascii_case("connection") {
            close = value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"));
        }
    }
    // 1xx, 204 and 304 have no body; smkms sends none of them.
    let length = match length {
        Some(n) => n,
        None if status == 204 || status == 304 || (100..200).contains(&status) => 0,
        None => return Err(HttpError::Malformed("no Content-Length")),
    };
    Ok((status, length, close))
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// TC3-HMAC-SHA256 for every request, over `content-type;host;x-tc-action`.
///
/// Signing `x-tc-action` (as the Go SDK does) rather than only `content-type;host`
/// (what `tc3::sign_post` signs, like the Python SDK) binds each request to its action,
/// so the load also runs against a server with `auth.require_signed_headers =
/// ["x-tc-action"]`.
pub struct Signer {
    secret_id: String,
    secret_key: String,
    pub host: String,
    pub region: String,
    /// The UTC date of `date_for`, recomputed when the second changes.
    date_for: i64,
    date: String,
}

impl Signer {
    pub fn new(secret_id: &str, secret_key: &str, host: &str, region: &str) -> Signer {
        Signer {
            secret_id: secret_id.to_string(),
            secret_key: secret_key.to_string(),
            host: host.to_string(),
            region: region.to_string(),
            date_for: i64::MIN,
            date: String::new(),
        }
    }

    /// The Authorization header for a POST of a body whose SHA-256 is `payload_hash`.
    pub fn authorization(&mut self, action: &str, timestamp: i64, payload_hash: &str) -> String {
        if timestamp != self.date_for {
            self.date = tc3::utc_date(timestamp).unwrap_or_default();
            self.date_for = timestamp;
        }
        tc3::authorization(
            &self.secret_id,
            &self.secret_key,
            timestamp,
            &self.date,
            &[
                ("content-type", "application/json"),
                ("host", &self.host),
                ("x-tc-action", action),
            ],
            payload_hash,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_framed_by_content_length() {
        let h = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12";
        assert_eq!(parse_head(h).unwrap(), (200, 12, false));
        let h = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close";
        assert_eq!(parse_head(h).unwrap(), (200, 3, true));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nx: y").is_err());
        assert!(parse_head(b"SSH-2.0-OpenSSH").is_err());
        assert_eq!(find_head_end(b"a\r\n\r\nb"), Some(1));
    }

    #[test]
    fn the_signature_verifies_like_the_server_checks_it() {
        let body = br#"{"NumberOfBytes":16}"#;
        let hash = tc3::sha256_hex(body);
        let mut s = Signer::new("AKIDx", "secret", "127.0.0.1:9", "ap-guangzhou");
        let ts = 1_700_000_000;
        let value = s.authorization("GenerateRandom", ts, &hash);
        let auth = tc3::parse_authorization(&value).unwrap();
        assert_eq!(auth.signed_headers, ["content-type", "host", "x-tc-action"]);
        let header = |n: &str| match n {
            "content-type" => Some("application/json".to_string()),
            "host" => Some("127.0.0.1:9".to_string()),
            "x-tc-action" => Some("GenerateRandom".to_string()),
            _ => None,
        };
        let parts = tc3::SignedParts {
            method: "POST",
            query: "",
            header: &header,
            payload_hash: &hash,
        };
        let canon = tc3::canonical_request(&parts, &auth.signed_headers).unwrap();
        assert!(tc3::verify(&auth, "secret", ts, &canon).is_ok());
        // Another action, same body and second: another signature.
        let other = s.authorization("ListAlgorithms", ts, &hash);
        assert_ne!(
            tc3::parse_authorization(&other).unwrap().signature,
            auth.signature
        );
    }
}
