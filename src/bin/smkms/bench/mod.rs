//! `smkms bench`: a load generator for a running smkms server.
//!
//! N keep-alive HTTP/1.1 connections, each driven by a task that sends TC3-signed
//! requests back to back (every request signed anew) until a duration passes or a
//! request count is reached. Which action each request is comes from the mix: request
//! number i runs entry `schedule[i % len]`, where the schedule interleaves the entries
//! by weight, so a counted run's per-entry counts are exact.
//!
//! Before the load starts, a setup phase creates (or reuses, by alias) the CMKs the mix
//! needs, generates the recipients' key pairs, encrypts the blob Decrypt will send, and
//! runs every entry once, checking its answer in full (a delivered key is unwrapped
//! with the private key). During the load, each answer is checked for HTTP 200, a JSON
//! `Response` with a `RequestId`, and no `Error`; failures are counted by code. Both
//! read answers the same way, in [`answer`].
//!
//! Load tests target loopback only: a non-loopback endpoint is refused unless
//! `--allow-remote` is given.

mod answer;
mod conn;
mod report;

use answer::{Answer, Skip};
use conn::{Conn, Signer};
use report::{ActionStats, Summary};
use serde_json::{json, Map, Value};
use smkms::auth::tc3;
use smkms::b64;
use smkms::crypto::deliver::{self, Algorithm};
use smkms::crypto::keyfile::pem_encode;
use std::io::IsTerminal as _;
use std::io::Write as _;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request that takes longer than this counts as `Http.Timeout` and its connection is
/// replaced; it also bounds how long a run can outlast its duration.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Latencies are handed to the shared histograms in batches of this many.
const FLUSH_EVERY: usize = 256;

const MIX_HELP: &str = "\
Mix entries (--mix ACTION[@CMK][:WEIGHT],...; weights default to 1):
  GenerateRandom                  16 random bytes: the cheap HTTP baseline (default mix)
  ListAlgorithms                  a fixed answer, no randomness
  GetServiceStatus                counts the account's keys (two store queries)
  GenerateDataKey                 a 32-byte data key (KeySpec AES_256), in the clear
  GenerateDataKey-SM2             ... delivered to one repeated SM2 public key (raw C1C3C2)
  GenerateDataKey-SM2-fresh       ... to a different SM2 key per request, cycling through
                                  --fresh-keys pre-generated keys (more than the server's
                                  parsed-key cache of 1024, so none is cached)
  GenerateDataKey-SM2-ASN1        ... SM2_C1C3C2_ASN1 to one repeated key
  GenerateDataKey-SM2-ASN1-fresh  ... SM2_C1C3C2_ASN1 to a different key per request
  GenerateDataKey-RSA-PKCS1       ... RSAES_PKCS1_V1_5 to one repeated RSA-2048 key
  GenerateDataKey-RSA-OAEP-1      ... RSAES_OAEP_SHA_1 to one repeated RSA-2048 key
  GenerateDataKey-RSA-OAEP-256    ... RSAES_OAEP_SHA_256 to one repeated RSA-2048 key
  Encrypt                         32 bytes under the CMK
  Decrypt                         a blob encrypted under the CMK at setup

GenerateDataKey*, Encrypt and Decrypt use an SM4 CMK; add @AES_256 to use an AES-256
CMK instead (Encrypt@AES_256). The CMKs are created on the first run under the aliases
smkms-bench-sm4 and smkms-bench-aes256 and reused afterwards.

Latency percentiles are over successful requests. The exit status is non-zero if any
request failed (the summary is printed first).

Examples:
  smkms credentials create --data DIR --json > cred.json
  smkms bench --endpoint http://127.0.0.1:6300 --credentials-json cred.json \\
      --mix GenerateDataKey-SM2 --connections 64 --duration 10 --warmup 2
  smkms bench --endpoint http://127.0.0.1:6300 --credentials-json cred.json \\
      --mix GenerateRandom:1,Encrypt:2,Decrypt:2 --requests 100000 --json";

#[derive(clap::Args, Debug)]
#[command(after_help = MIX_HELP)]
pub struct BenchArgs {
    /// The server, http://HOST:PORT. Loopback only unless --allow-remote.
    // An Option only so that --list-actions, which needs no server, can go without it.
    #[arg(long, value_name = "URL", required = true)]
    pub endpoint: Option<String>,
    /// SecretId to sign with (or use --credentials-json).
    #[arg(
        long,
        value_name = "ID",
        requires = "secret_key",
        required_unless_present = "credentials_json"
    )]
    pub secret_id: Option<String>,
    /// SecretKey to sign with.
    #[arg(long, value_name = "KEY", requires = "secret_id")]
    pub secret_key: Option<String>,
    /// Read SecretId and SecretKey from this file: the output of
    /// `smkms credentials create --json`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["secret_id", "secret_key"])]
    pub credentials_json: Option<PathBuf>,
    /// X-TC-Region of every request.
    #[arg(long, default_value = "ap-guangzhou")]
    pub region: String,
    /// Keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub connections: u32,
    /// Run for this many seconds after the warm-up [default: 10].
    #[arg(long, value_name = "SECS", conflicts_with = "requests")]
    pub duration: Option<f64>,
    /// Send this many requests after the warm-up, then stop.
    #[arg(long, value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: Option<u64>,
    /// Actions to send, with weights: ACTION[@CMK][:WEIGHT],... (see below).
    #[arg(long, value_name = "MIX", default_value = "GenerateRandom")]
    pub mix: String,
    /// Send load for this many seconds before measuring (not counted).
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub warmup: f64,
    /// Client runtime threads [default: the number of CPUs].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: Option<u32>,
    /// How many SM2 keys the *-fresh entries cycle through.
    #[arg(long, value_name = "N", default_value_t = 2048, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub fresh_keys: u32,
    /// Allow an endpoint that is not on loopback.
    #[arg(long)]
    pub allow_remote: bool,
    /// Print the summary as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    pub json: bool,
    /// Print the actions --mix accepts, one per line, and exit (no server needed).
    #[arg(long, exclusive = true)]
    pub list_actions: bool,
}

// ---------------------------------------------------------------------------------------
// The mix

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    GenerateRandom,
    ListAlgorithms,
    GetServiceStatus,
    GenerateDataKey,
    Deliver { alg: Algorithm, fresh: bool },
    Encrypt,
    Decrypt,
}

const CATALOGUE: &[(&str, Op)] = &[
    ("GenerateRandom", Op::GenerateRandom),
    ("ListAlgorithms", Op::ListAlgorithms),
    ("GetServiceStatus", Op::GetServiceStatus),
    ("GenerateDataKey", Op::GenerateDataKey),
    (
        "GenerateDataKey-SM2",
        Op::Deliver {
            alg: Algorithm::Sm2,
            fresh: false,
        },
    ),
    (
        "GenerateDataKey-SM2-fresh",
        Op::Deliver {
            alg: Algorithm::Sm2,
            fresh: true,
        },
    ),
    (
        "GenerateDataKey-SM2-ASN1",
        Op::Deliver {
            alg: Algorithm::Sm2C1C3C2Asn1,
            fresh: false,
        },
    ),
    (
        "GenerateDataKey-SM2-ASN1-fresh",
        Op::Deliver {
            alg: Algorithm::Sm2C1C3C2Asn1,
            fresh: true,
        },
    ),
    (
        "GenerateDataKey-RSA-PKCS1",
        Op::Deliver {
            alg: Algorithm::RsaPkcs1V15,
            fresh: false,
        },
    ),
    (
        "GenerateDataKey-RSA-OAEP-1",
        Op::Deliver {
            alg: Algorithm::RsaOaepSha1,
            fresh: false,
        },
    ),
    (
        "GenerateDataKey-RSA-OAEP-256",
        Op::Deliver {
            alg: Algorithm::RsaOaepSha256,
            fresh: false,
        },
    ),
    ("Encrypt", Op::Encrypt),
    ("Decrypt", Op::Decrypt),
];

/// The names `--mix` accepts (and `--list-actions` prints).
fn action_names() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|(n, _)| *n)
}

impl Op {
    fn x_tc_action(self) -> &'static str {
        match self {
            Op::GenerateRandom => "GenerateRandom",
            Op::ListAlgorithms => "ListAlgorithms",
            Op::GetServiceStatus => "GetServiceStatus",
            Op::GenerateDataKey | Op::Deliver { .. } => "GenerateDataKey",
            Op::Encrypt => "Encrypt",
            Op::Decrypt => "Decrypt",
        }
    }

    fn uses_cmk(self) -> bool {
        matches!(
            self,
            Op::GenerateDataKey | Op::Deliver { .. } | Op::Encrypt | Op::Decrypt
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmk {
    Sm4,
    Aes256,
}

impl Cmk {
    fn spec(self) -> &'static str {
        match self {
            Cmk::Sm4 => "SM4",
            Cmk::Aes256 => "AES_256",
        }
    }
    fn alias(self) -> &'static str {
        match self {
            Cmk::Sm4 => "smkms-bench-sm4",
            Cmk::Aes256 => "smkms-bench-aes256",
        }
    }
    /// KeyMetadata.Type of a CMK with this cipher.
    fn metadata_type(self) -> i64 {
        match self {
            Cmk::Sm4 => 4,
            Cmk::Aes256 => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// As written in --mix, without the weight.
    label: String,
    op: Op,
    cmk: Cmk,
    weight: u32,
}

fn parse_mix(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    for item in text.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(format!("--mix {text:?} has an empty entry"));
        }
        let (label, weight) = match item.rsplit_once(':') {
            Some((l, w)) => {
                let w: u32 = w
                    .parse()
                    .ok()
                    .filter(|w| (1..=1000).contains(w))
                    .ok_or_else(|| {
                        format!(
                            "--mix: the weight in {item:?} must be a whole number from 1 to 1000"
                        )
                    })?;
                (l, w)
            }
            None => (item, 1),
        };
        let (name, cmk) = match label.split_once('@') {
            None => (label, Cmk::Sm4),
            Some((n, "SM4")) => (n, Cmk::Sm4),
            Some((n, "AES_256")) => (n, Cmk::Aes256),
            Some((_, other)) => {
                return Err(format!(
                    "--mix: {other:?} in {item:?} is not a CMK cipher; use @SM4 or @AES_256"
                ))
            }
        };
        let op = CATALOGUE
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
            .ok_or_else(|| {
                format!(
                    "--mix: {name:?} is not an action the bench knows; use one of {}",
                    action_names().collect::<Vec<_>>().join(", ")
                )
            })?;
        if label.contains('@') && !op.uses_cmk() {
            return Err(format!(
                "--mix: {name} uses no CMK, so {label:?} means nothing"
            ));
        }
        if entries.iter().any(|e| e.label == label) {
            return Err(format!("--mix: {label} appears twice"));
        }
        entries.push(Entry {
            label: label.to_string(),
            op,
            cmk,
            weight,
        });
    }
    Ok(entries)
}

/// Entry indices, each appearing `weight / gcd` times, spread out (smooth weighted
/// round robin) so a mix of 1:1 alternates instead of running in blocks.
fn schedule(entries: &[Entry]) -> Vec<u16> {
    fn gcd(a: u32, b: u32) -> u32 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let g = entries.iter().fold(0, |g, e| gcd(g, e.weight)).max(1);
    let weights: Vec<i64> = entries.iter().map(|e| (e.weight / g) as i64).collect();
    let total: i64 = weights.iter().sum();
    let mut current = vec![0i64; weights.len()];
    let mut out = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (c, w) in current.iter_mut().zip(&weights) {
            *c += w;
        }
        let best = (0..current.len())
            .max_by_key(|&i| (current[i], std::cmp::Reverse(i)))
            .expect("at least one entry");
        current[best] -= total;
        out.push(best as u16);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Configuration

struct Config {
    endpoint: String,
    addr: SocketAddr,
    host: String,
    secret_id: String,
    secret_key: String,
    region: String,
    connections: usize,
    threads: usize,
    duration: Option<Duration>,
    requests: Option<u64>,
    warmup: Duration,
    fresh_keys: usize,
    entries: Vec<Entry>,
    json: bool,
}

fn seconds(flag: &str, v: f64, allow_zero: bool, max: f64) -> Result<Duration, String> {
    if !v.is_finite() || v < 0.0 || (!allow_zero && v == 0.0) || v > max {
        return Err(format!(
            "{flag} must be {} and at most {max} seconds, got {v}",
            if allow_zero {
                "0 or more"
            } else {
                "more than 0"
            }
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

/// Host (for the Host header), and the address to connect to.
fn resolve_endpoint(endpoint: &str, allow_remote: bool) -> Result<(String, SocketAddr), String> {
    let bad = |why: &str| format!("--endpoint {endpoint:?}: {why}");
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|_| bad("not a URL; use http://HOST:PORT"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => return Err(bad("https is not supported; smkms serves plain HTTP")),
        _ => return Err(bad("use http://HOST:PORT")),
    }
    if !(uri.path() == "/" || uri.path().is_empty()) || uri.query().is_some() {
        return Err(bad("give only http://HOST:PORT (requests go to /)"));
    }
    let authority = uri.authority().ok_or_else(|| bad("no host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("credentials in the URL are not used; use --secret-id"));
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| bad(&format!("cannot resolve {host}: {e}")))?
        .collect();
    let first = *addrs
        .first()
        .ok_or_else(|| bad(&format!("{host} has no address")))?;
    if !allow_remote {
        if let Some(remote) = addrs.iter().find(|a| !a.ip().to_canonical().is_loopback()) {
            return Err(bad(&format!(
                "{} is not a loopback address; load tests target loopback only \
                 (pass --allow-remote if this one is yours to load)",
                remote.ip()
            )));
        }
    }
    Ok((authority.as_str().to_string(), first))
}

fn read_credentials(path: &std::path::Path) -> Result<(String, String), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|_| {
        format!(
            "{} is not JSON; expected the output of `smkms credentials create --json`",
            path.display()
        )
    })?;
    let field = |name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("{} has no {name}", path.display()))
    };
    Ok((field("SecretId")?, field("SecretKey")?))
}

impl Config {
    fn from_args(a: BenchArgs) -> Result<Config, String> {
        let endpoint = a.endpoint.as_deref().ok_or("give --endpoint")?;
        let (endpoint_host, addr) = resolve_endpoint(endpoint, a.allow_remote)?;
        let (secret_id, secret_key) = match (&a.credentials_json, a.secret_id, a.secret_key) {
            (Some(path), _, _) => read_credentials(path)?,
            (None, Some(id), Some(key)) => (id, key),
            _ => return Err("give --secret-id and --secret-key, or --credentials-json".into()),
        };
        let duration = match (a.duration, a.requests) {
            (Some(d), _) => Some(seconds("--duration", d, false, 86_400.0)?),
            (None, Some(_)) => None,
            (None, None) => Some(Duration::from_secs(10)),
        };
        let threads = match a.threads {
            Some(t) => t as usize,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(Config {
            endpoint: format!("http://{endpoint_host}"),
            addr,
            host: endpoint_host,
            secret_id,
            secret_key,
            region: a.region,
            connections: a.connections as usize,
            threads,
            duration,
            requests: a.requests,
            warmup: seconds("--warmup", a.warmup, true, 3_600.0)?,
            fresh_keys: a.fresh_keys as usize,
            entries: parse_mix(&a.mix)?,
            json: a.json,
        })
    }

    fn signer(&self) -> Signer {
        Signer::new(&self.secret_id, &self.secret_key, &self.host, &self.region)
    }

    fn needs(&self, f: impl Fn(&Entry) -> bool) -> bool {
        self.entries.iter().any(f)
    }
}

// ---------------------------------------------------------------------------------------
// Setup

/// A public key to deliver to (PEM) and, to check the setup answer, its private key.
struct Recipient {
    public_pem: String,
    private_pem: String,
}

struct Recipients {
    sm2: Option<Recipient>,
    rsa: Option<Recipient>,
    /// Public keys the *-fresh entries cycle through; the first one's private key too.
    fresh: Vec<String>,
    fresh_first: Option<Recipient>,
}

fn sm2_recipient() -> Recipient {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let d = ::sm2::SecretKey::random(&mut rand_core::OsRng);
    let public = d
        .public_key()
        .to_public_key_der()
        .expect("an SM2 public key encodes");
    let private = d.to_pkcs8_der().expect("an SM2 private key encodes");
    Recipient {
        public_pem: pem_encode("PUBLIC KEY", public.as_bytes()),
        private_pem: pem_encode("PRIVATE KEY", private.as_bytes()),
    }
}

fn rsa_recipient() -> Result<Recipient, String> {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let d = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
        .map_err(|e| format!("cannot generate an RSA-2048 key: {e}"))?;
    let public = d
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| e.to_string())?;
    let private = d.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(Recipient {
        public_pem: pem_encode("PUBLIC KEY", public.as_bytes()),
        private_pem: pem_encode("PRIVATE KEY", private.as_bytes()),
    })
}

/// `n` SM2 public keys, generated on `threads` threads; the first with its private key.
fn sm2_pool(n: usize, threads: usize) -> (Vec<String>, Recipient) {
    let first = sm2_recipient();
    let rest = n.saturating_sub(1);
    let per = rest.div_ceil(threads.max(1)).max(1);
    let mut keys = vec![first.public_pem.clone()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..rest)
            .step_by(per)
            .map(|from| {
                let count = per.min(rest - from);
                s.spawn(move || {
                    (0..count)
                        .map(|_| sm2_recipient().public_pem)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            keys.extend(h.join().expect("key generation does not panic"));
        }
    });
    (keys, first)
}

fn generate_recipients(cfg: &Config) -> Result<Recipients, String> {
    let started = Instant::now();
    let mut r = Recipients {
        sm2: None,
        rsa: None,
        fresh: Vec::new(),
        fresh_first: None,
    };
    let is = |f: fn(Algorithm) -> bool, fresh: bool| move |e: &Entry| matches!(e.op, Op::Deliver { alg, fresh: fr } if f(alg) && fr == fresh);
    if cfg.needs(is(Algorithm::is_sm2, false)) {
        r.sm2 = Some(sm2_recipient());
    }
    if cfg.needs(is(|a| !a.is_sm2(), false)) {
        r.rsa = Some(rsa_recipient()?);
    }
    if cfg.needs(is(Algorithm::is_sm2, true)) {
        let (keys, first) = sm2_pool(cfg.fresh_keys, cfg.threads);
        r.fresh = keys;
        r.fresh_first = Some(first);
    }
    if r.sm2.is_some() || r.rsa.is_some() || !r.fresh.is_empty() {
        eprintln!(
            "bench: setup: recipient keys generated in {:.2} s{}{}{}",
            started.elapsed().as_secs_f64(),
            if r.sm2.is_some() { ", SM2" } else { "" },
            if r.rsa.is_some() { ", RSA-2048" } else { "" },
            if r.fresh.is_empty() {
                String::new()
            } else {
                format!(", a pool of {} SM2 keys", r.fresh.len())
            },
        );
    }
    Ok(r)
}

/// A request body and the hex SHA-256 the signature covers.
struct Body {
    json: Vec<u8>,
    hash: String,
}

impl Body {
    fn new(v: &Value) -> Body {
        let json = serde_json::to_vec(v).expect("JSON values serialise");
        let hash = tc3::sha256_hex(&json);
        Body { json, hash }
    }
}

/// One mix entry, ready to send.
struct Prepared {
    x_tc_action: &'static str,
    bodies: Vec<Body>,
    cursor: AtomicUsize,
}

impl Prepared {
    fn next_body(&self) -> &Body {
        if self.bodies.len() == 1 {
            &self.bodies[0]
        } else {
            &self.bodies[self.cursor.fetch_add(1, Relaxed) % self.bodies.len()]
        }
    }
}

/// A Tencent error answer, or why there was no answer.
struct CallError {
    code: String,
    message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The setup's own connection, which reads answers in full.
struct SetupClient {
    addr: SocketAddr,
    signer: Signer,
    conn: Option<Conn>,
}

impl SetupClient {
    async fn send(&mut self, action: &str, body: &Body) -> Result<Map<String, Value>, CallError> {
        let transport = |m: String| CallError {
            code: "Http".into(),
            message: m,
        };
        if !matches!(&self.conn, Some(c) if !c.closed) {
            let c = tokio::time::timeout(REQUEST_TIMEOUT, Conn::connect(self.addr))
                .await
                .map_err(|_| transport("connecting timed out".into()))?
                .map_err(|e| transport(format!("cannot connect to {}: {e}", self.addr)))?;
            self.conn = Some(c);
        }
        let conn = self.conn.as_mut().expect("connected above");
        let sent = tokio::time::timeout(
            REQUEST_TIMEOUT,
            conn.post(&mut self.signer, action, &body.json, &body.hash),
        )
        .await;
        let problem = match sent {
            Err(_) => "no answer within the timeout".to_string(),
            Ok(Err(e)) => e.to_string(),
            Ok(Ok(r)) => match answer::read::<Map<String, Value>>(r.status, r.body) {
                Answer::Success(fields) => return Ok(fields),
                Answer::Error { code, message } => {
                    return Err(CallError {
                        code: code.into_owned(),
                        message: message.into_owned(),
                    })
                }
                Answer::Transport(p @ answer::Problem::Status(_)) => format!(
                    "{p}: {}",
                    String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
                ),
                Answer::Transport(p) => p.to_string(),
            },
        };
        // No API answer: do not trust the connection with the next request.
        self.conn = None;
        Err(transport(problem))
    }

    async fn call(&mut self, action: &str, params: Value) -> Result<Map<String, Value>, CallError> {
        self.send(action, &Body::new(&params)).await
    }

    /// The CMK under `cmk`'s alias if it exists and is enabled, else a new one.
    async fn cmk(&mut self, cmk: Cmk) -> Result<String, String> {
        let fail = |what: &str, e: CallError| format!("setup: {what} failed: {e}");
        let found = self
            .call(
                "ListKeyDetail",
                json!({"SearchKeyAlias": cmk.alias(), "KeyState": 1, "Limit": 200}),
            )
            .await
            .map_err(|e| fail("ListKeyDetail", e))?;
        let existing = found
            .get("KeyMetadatas")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|m| {
                m["Alias"] == cmk.alias()
                    && m["Type"].as_i64() == Some(cmk.metadata_type())
                    && m["KeyState"] == "Enabled"
            })
            .and_then(|m| m["KeyId"].as_str());
        if let Some(id) = existing {
            eprintln!(
                "bench: setup: using {} CMK {id} ({})",
                cmk.spec(),
                cmk.alias()
            );
            return Ok(id.to_string());
        }
        let mut alias = cmk.alias().to_string();
        for attempt in 0..2 {
            let created = self
                .call(
                    "CreateKey",
                    json!({
                        "Alias": alias,
                        "Description": "smkms bench (reused by later runs)",
                        "KeySpec": cmk.spec(),
                    }),
                )
                .await;
            match created {
                Ok(r) => {
                    let id = r["KeyId"].as_str().unwrap_or_default().to_string();
                    eprintln!("bench: setup: created {} CMK {id} ({alias})", cmk.spec());
                    return Ok(id);
                }
                // The alias is taken by a key that is not an enabled CMK of this
                // cipher: make one under a name of its own.
                Err(e) if attempt == 0 && e.code.ends_with("AliasAlreadyExists") => {
                    alias = format!(
                        "{}-{}",
                        cmk.alias(),
                        hex::encode(smkms::crypto::random::bytes(4))
                    );
                }
                Err(e) => return Err(fail("CreateKey", e)),
            }
        }
        unreachable!("the loop returns")
    }
}

fn unb64(v: &Value) -> Option<Vec<u8>> {
    b64::decode(v.as_str()?)
}

/// Creates what the mix needs, builds every entry's bodies, and sends each entry once,
/// checking the answer in full.
async fn setup(cfg: &Config, keys: &Recipients) -> Result<Vec<Prepared>, String> {
    let mut client = SetupClient {
        addr: cfg.addr,
        signer: cfg.signer(),
        conn: None,
    };
    let mut cmks: Vec<(Cmk, String)> = Vec::new();
    for e in cfg.entries.iter().filter(|e| e.op.uses_cmk()) {
        if !cmks.iter().any(|(c, _)| *c == e.cmk) {
            let id = client.cmk(e.cmk).await?;
            cmks.push((e.cmk, id));
        }
    }
    let key_of = |c: Cmk| {
        cmks.iter()
            .find(|(k, _)| *k == c)
            .map(|(_, id)| id.clone())
            .unwrap_or_default()
    };
    let secret = smkms::crypto::random::bytes(32);
    let mut prepared = Vec::new();
    for e in &cfg.entries {
        let key_id = key_of(e.cmk);
        let fail = |m: String| format!("setup: {}: {m}", e.label);
        let bodies: Vec<Value> = match e.op {
            Op::GenerateRandom => vec![json!({"NumberOfBytes": 16})],
            Op::ListAlgorithms | Op::GetServiceStatus => vec![json!({})],
            Op::GenerateDataKey => vec![json!({"KeyId": key_id, "KeySpec": "AES_256"})],
            Op::Deliver { alg, fresh } => {
                let pems: Vec<&String> = if fresh {
                    keys.fresh.iter().collect()
                } else if alg.is_sm2() {
                    keys.sm2.iter().map(|r| &r.public_pem).collect()
                } else {
                    keys.rsa.iter().map(|r| &r.public_pem).collect()
                };
                pems.into_iter()
                    .map(|pem| {
                        json!({
                            "KeyId": key_id,
                            "KeySpec": "AES_256",
                            "EncryptionPublicKey": pem,
                            "EncryptionAlgorithm": alg.name(),
                        })
                    })
                    .collect()
            }
            Op::Encrypt => vec![json!({"KeyId": key_id, "Plaintext": b64::encode(&secret)})],
            Op::Decrypt => {
                let r = client
                    .call(
                        "Encrypt",
                        json!({"KeyId": key_id, "Plaintext": b64::encode(&secret)}),
                    )
                    .await
                    .map_err(|err| {
                        fail(format!("Encrypt (for the blob to decrypt) failed: {err}"))
                    })?;
                vec![json!({"CiphertextBlob": r["CiphertextBlob"]})]
            }
        };
        let bodies: Vec<Body> = bodies.iter().map(Body::new).collect();
        let first = client
            .send(e.op.x_tc_action(), &bodies[0])
            .await
            .map_err(|err| fail(err.to_string()))?;
        check_setup_answer(e, &first, keys, &secret).map_err(fail)?;
        prepared.push(Prepared {
            x_tc_action: e.op.x_tc_action(),
            bodies,
            cursor: AtomicUsize::new(1),
        });
    }
    Ok(prepared)
}

/// The full check of one answer per entry, before the load starts. `r` is the answer's
/// success fields, as [`answer::read`] keeps them (through [`SetupClient::send`]).
fn check_setup_answer(
    e: &Entry,
    r: &Map<String, Value>,
    keys: &Recipients,
    secret: &[u8],
) -> Result<(), String> {
    let plaintext = || {
        r.get("Plaintext")
            .and_then(unb64)
            .ok_or_else(|| "the answer has no base64 Plaintext".to_string())
    };
    let want_len = |got: usize, want: usize| {
        if got == want {
            Ok(())
        } else {
            Err(format!("expected {want} bytes, got {got}"))
        }
    };
    match e.op {
        Op::GenerateRandom => want_len(plaintext()?.len(), 16),
        Op::ListAlgorithms | Op::GetServiceStatus => Ok(()),
        Op::GenerateDataKey => want_len(plaintext()?.len(), 32),
        Op::Deliver { alg, fresh } => {
            let recipient = if fresh {
                keys.fresh_first.as_ref()
            } else if alg.is_sm2() {
                keys.sm2.as_ref()
            } else {
                keys.rsa.as_ref()
            }
            .expect("generated for the mix");
            let key = deliver::unwrap(&recipient.private_pem, alg, &plaintext()?)
                .map_err(|err| format!("the delivered key does not unwrap: {err}"))?;
            want_len(key.expose().len(), 32)
        }
        Op::Encrypt => match r.get("CiphertextBlob").and_then(unb64) {
            Some(b) if !b.is_empty() => Ok(()),
            _ => Err("the answer has no CiphertextBlob".into()),
        },
        Op::Decrypt => {
            if plaintext()? == secret {
                Ok(())
            } else {
                Err("Decrypt did not return what was encrypted".into())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The load

struct Shared {
    addr: SocketAddr,
    measure_from: Instant,
    deadline: Option<Instant>,
    limit: Option<u64>,
    schedule: Vec<u16>,
    actions: Vec<Prepared>,
    /// The next measured request number; the warm-up has its own.
    next: AtomicU64,
    warm_next: AtomicU64,
    /// For the progress line.
    done: AtomicU64,
    failed: AtomicU64,
    warm_done: AtomicU64,
    stats: Mutex<Vec<ActionStats>>,
}

/// `Ok` for a Tencent success answer; otherwise the error code to count.
fn check_answer(status: u16, body: &[u8]) -> Result<(), String> {
    match answer::read::<Skip>(status, body) {
        Answer::Success(Skip) => Ok(()),
        Answer::Error { code, .. } => Err(code.into_owned()),
        Answer::Transport(problem) => Err(problem.code()),
    }
}

/// One connection's task: requests back to back until the run ends.
async fn drive(shared: Arc<Shared>, mut signer: Signer) -> Option<Instant> {
    let mut conn: Option<Conn> = None;
    let mut pending: Vec<(u16, Result<Duration, String>)> = Vec::with_capacity(FLUSH_EVERY);
    let mut last_done = None;
    let flush = |pending: &mut Vec<(u16, Result<Duration, String>)>| {
        let mut stats = shared.stats.lock().unwrap_or_else(|p| p.into_inner());
        for (entry, outcome) in pending.drain(..) {
            let s = &mut stats[entry as usize];
            match outcome {
                Ok(latency) => s.record_ok(latency),
                Err(code) => s.record_error(&code),
            }
        }
    };
    loop {
        let now = Instant::now();
        let measuring = now >= shared.measure_from;
        let number = if measuring {
            if shared.deadline.is_some_and(|d| now >= d) {
                break;
            }
            let i = shared.next.fetch_add(1, Relaxed);
            if shared.limit.is_some_and(|n| i >= n) {
                break;
            }
            i
        } else {
            shared.warm_next.fetch_add(1, Relaxed)
        };
        let entry = shared.schedule[(number % shared.schedule.len() as u64) as usize];
        let action = &shared.actions[entry as usize];
        let body = action.next_body();

        let started = Instant::now();
        let outcome: Result<(), String> = async {
            if conn.is_none() {
                match tokio::time::timeout(REQUEST_TIMEOUT, Conn::connect(shared.addr)).await {
                    Ok(Ok(c)) => conn = Some(c),
                    _ => {
                        // Do not spin on a server that is not there.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        return Err("Http.ConnectFailed".to_string());
                    }
                }
            }
            let c = conn.as_mut().expect("connected above");
            let sent = tokio::time::timeout(
                REQUEST_TIMEOUT,
                c.post(&mut signer, action.x_tc_action, &body.json, &body.hash),
            )
            .await;
            let result = match sent {
                Err(_) => Err("Http.Timeout".to_string()),
                Ok(Err(e)) => Err(e.code().to_string()),
                Ok(Ok(r)) => return check_answer(r.status, r.body),
            };
            conn = None;
            result
        }
        .await;
        let latency = started.elapsed();
        if conn.as_ref().is_some_and(|c| c.closed) {
            conn = None;
        }
        if measuring {
            if outcome.is_err() {
                shared.failed.fetch_add(1, Relaxed);
            }
            shared.done.fetch_add(1, Relaxed);
            pending.push((entry, outcome.map(|()| latency)));
            if pending.len() >= FLUSH_EVERY {
                flush(&mut pending);
            }
            last_done = Some(Instant::now());
        } else {
            shared.warm_done.fetch_add(1, Relaxed);
        }
    }
    flush(&mut pending);
    last_done
}

/// Prints a progress line on stderr once a second until aborted.
async fn progress(shared: Arc<Shared>, started: Instant, limit: Option<u64>) {
    let tty = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut previous = 0u64;
    loop {
        tick.tick().await;
        let now = Instant::now();
        let done = shared.done.load(Relaxed);
        let total = done + shared.warm_done.load(Relaxed);
        let per_second = total - previous;
        previous = total;
        let line = if now < shared.measure_from {
            format!(
                "bench: {:>4.0} s  warm-up  {per_second} req/s",
                (now - started).as_secs_f64()
            )
        } else {
            let secs = (now - shared.measure_from).as_secs_f64().max(1e-9);
            format!(
                "bench: {:>4.0} s  {per_second} req/s  (average {:.0} req/s)  {done}{} requests  {} errors",
                (now - started).as_secs_f64(),
                done as f64 / secs,
                limit.map(|n| format!("/{n}")).unwrap_or_default(),
                shared.failed.load(Relaxed)
            )
        };
        if tty {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }
}

async fn run_async(cfg: &Config, keys: Recipients) -> Result<Summary, String> {
    let actions = setup(cfg, &keys).await?;
    drop(keys);
    let started = Instant::now();
    let measure_from = started + cfg.warmup;
    let shared = Arc::new(Shared {
        addr: cfg.addr,
        measure_from,
        deadline: cfg.duration.map(|d| measure_from + d),
        limit: cfg.requests,
        schedule: schedule(&cfg.entries),
        actions,
        next: AtomicU64::new(0),
        warm_next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        warm_done: AtomicU64::new(0),
        stats: Mutex::new(cfg.entries.iter().map(|_| ActionStats::default()).collect()),
    });
    eprintln!(
        "bench: {} connections to {} for {}{}",
        cfg.connections,
        cfg.endpoint,
        match (cfg.duration, cfg.requests) {
            (Some(d), _) => format!("{:.1} s", d.as_secs_f64()),
            (None, Some(n)) => format!("{n} requests"),
            (None, None) => unreachable!("one of them is set"),
        },
        if cfg.warmup.is_zero() {
            String::new()
        } else {
            format!(" after {:.1} s of warm-up", cfg.warmup.as_secs_f64())
        }
    );
    let ticker = tokio::spawn(progress(shared.clone(), started, cfg.requests));
    let tasks: Vec<_> = (0..cfg.connections)
        .map(|_| tokio::spawn(drive(shared.clone(), cfg.signer())))
        .collect();
    let mut last = None;
    for t in tasks {
        let done = t
            .await
            .map_err(|e| format!("a connection task failed: {e}"))?;
        last = last.max(done);
    }
    ticker.abort();
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let elapsed = last
        .unwrap_or_else(Instant::now)
        .saturating_duration_since(measure_from);
    let stats = std::mem::take(&mut *shared.stats.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(Summary {
        endpoint: cfg.endpoint.clone(),
        connections: cfg.connections,
        threads: cfg.threads,
        warmup: cfg.warmup,
        elapsed,
        entries: cfg
            .entries
            .iter()
            .map(|e| (e.label.clone(), e.weight))
            .collect(),
        stats,
    })
}

/// `smkms bench`. Runs on a runtime of its own (with `--threads` workers), on a thread
/// of its own so it can be called from within another runtime.
pub fn run(args: BenchArgs) -> Result<(), String> {
    if args.list_actions {
        let mut out = std::io::stdout().lock();
        for name in action_names() {
            writeln!(out, "{name}").map_err(|e| format!("cannot print the actions: {e}"))?;
        }
        return Ok(());
    }
    let cfg = Config::from_args(args)?;
    let summary = std::thread::scope(|s| {
        s.spawn(|| {
            let keys = generate_recipients(&cfg)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cfg.threads)
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the bench runtime: {e}"))?;
            runtime.block_on(run_async(&cfg, keys))
        })
        .join()
        .map_err(|_| "the bench thread panicked".to_string())?
    })?;
    if cfg.json {
        println!("{}", summary.to_json());
    } else {
        print!("{}", summary.to_text());
    }
    match summary.failed() {
        0 => Ok(()),
        n => Err(format!("{n} requests failed (see the errors by code)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_parse_with_weights_and_cmks() {
        let m = parse_mix("GenerateRandom:3, Encrypt@AES_256 ,Decrypt:2").unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].label.as_str(), m[0].weight), ("GenerateRandom", 3));
        assert_eq!(
            (m[1].label.as_str(), m[1].cmk),
            ("Encrypt@AES_256", Cmk::Aes256)
        );
        assert_eq!((m[2].op, m[2].cmk, m[2].weight), (Op::Decrypt, Cmk::Sm4, 2));
        for bad in [
            "",
            "Nope",
            "GenerateRandom:0",
            "GenerateRandom:x",
            "GenerateRandom:1001",
            "GenerateRandom@AES_256",
            "Encrypt@SM9",
            "Encrypt,Encrypt",
            "Encrypt,,Decrypt",
        ] {
            assert!(parse_mix(bad).is_err(), "{bad:?}");
        }
        // Same action under two CMKs is two entries.
        assert_eq!(parse_mix("Encrypt,Encrypt@AES_256").unwrap().len(), 2);
    }

    #[test]
    fn every_action_is_documented_and_parses() {
        for name in action_names() {
            assert!(
                MIX_HELP.contains(&format!("  {name} ")),
                "{name} is not in --help"
            );
            assert_eq!(parse_mix(name).unwrap()[0].label, name);
        }
    }

    #[test]
    fn the_schedule_honours_weights_and_interleaves() {
        let m = parse_mix("GenerateRandom:2,Encrypt:2,Decrypt:4").unwrap();
        let s = schedule(&m);
        assert_eq!(s.len(), 4, "weights are reduced by their gcd");
        assert_eq!(s.iter().filter(|&&i| i == 2).count(), 2);
        assert_eq!(s.iter().filter(|&&i| i == 0).count(), 1);
        let m = parse_mix("Encrypt,Decrypt").unwrap();
        assert_eq!(schedule(&m), vec![0, 1]);
        let m = parse_mix("Encrypt:3,Decrypt:1").unwrap();
        let s = schedule(&m);
        assert_eq!(s.iter().filter(|&&i| i == 0).count(), 3);
        assert!(!s.windows(2).any(|w| w == [1, 1]));
    }

    #[test]
    fn endpoints_must_be_loopback_http() {
        let (host, addr) = resolve_endpoint("http://127.0.0.1:6300", false).unwrap();
        assert_eq!(host, "127.0.0.1:6300");
        assert_eq!(addr.port(), 6300);
        let (host, addr) = resolve_endpoint("http://[::1]:7/", false).unwrap();
        assert_eq!(host, "[::1]:7");
        assert!(addr.ip().is_loopback());
        for bad in [
            "http://10.1.2.3:6300",
            "http://0.0.0.0:6300",
            "http://[::ffff:8.8.8.8]:1",
            "https://127.0.0.1:6300",
            "127.0.0.1:6300",
            "http://127.0.0.1:6300/path",
            "http://127.0.0.1:6300/?a=b",
            "http://u:p@127.0.0.1:6300",
        ] {
            assert!(resolve_endpoint(bad, false).is_err(), "{bad}");
        }
        let e = resolve_endpoint("http://10.1.2.3:6300", false).unwrap_err();
        assert!(
            e.contains("loopback") && e.contains("--allow-remote"),
            "{e}"
        );
        assert!(resolve_endpoint("http://10.1.2.3:6300", true).is_ok());
        assert!(resolve_endpoint("http://[::ffff:127.0.0.1]:1", false).is_ok());
    }

    #[test]
    fn answers_are_checked_for_errors() {
        let ok = br#"{"Response":{"Plaintext":"AA==","RequestId":"r"}}"#;
        assert_eq!(check_answer(200, ok), Ok(()));
        let err = br#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"m"},"RequestId":"r"}}"#;
        assert_eq!(
            check_answer(200, err).unwrap_err(),
            "AuthFailure.SignatureFailure"
        );
        assert_eq!(check_answer(502, ok).unwrap_err(), "Http.Status502");
        assert_eq!(
            check_answer(200, b"{}").unwrap_err(),
            "Http.NotATencentAnswer"
        );
        assert_eq!(
            check_answer(200, b"<html>").unwrap_err(),
            "Http.NotATencentAnswer"
        );
    }
}
