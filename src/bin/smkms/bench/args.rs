//! The `smkms bench` command line ([`BenchArgs`]) and the [`Config`] checked out of it:
//! durations, the endpoints (loopback only unless `--allow-remote`) and credentials.

use super::conn::{Signer, Target};
use super::mix::{parse_mix, Entry, MIX_HELP};
use serde_json::Value;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug)]
#[command(after_help = MIX_HELP)]
pub struct BenchArgs {
    /// The server, http://HOST:PORT or https://HOST:PORT (https needs --ca). Loopback
    /// only unless --allow-remote. For replicas of
    /// one database with no load balancer, repeat --endpoint or give a comma-separated
    /// list (both add up, in order): connection i goes to endpoint i mod N, so an
    /// endpoint given twice gets twice the share. The setup (CMKs, the Decrypt blob) goes
    /// through the first, then sends each mix entry once through every other.
    // `required` is waived by --list-actions, which is exclusive and needs no server.
    #[arg(
        long = "endpoint",
        value_name = "URL[,URL...]",
        required = true,
        value_delimiter = ','
    )]
    pub endpoints: Vec<String>,
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
    /// Keep-alive connections, each with one request in flight. The server holds at most
    /// limits.max_connections_per_source (1024 by default) from one address.
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
    /// PEM CA certificate(s) the https endpoints' certificates must chain to.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Open a new connection (TCP, and TLS for https) for every request instead of
    /// keeping each one alive: what connection setup costs.
    #[arg(long)]
    pub new_connections: bool,
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

/// One server the load goes to.
pub struct Endpoint {
    /// As the report names it: http(s)://HOST:PORT, normalised.
    pub url: String,
    pub target: Target,
    /// The Host header, which the signature covers: each connection must sign with its
    /// own endpoint's, or a replica behind another name refuses every request.
    pub host: String,
}

pub struct Config {
    /// At least one, and no more than connections (each gets at least one).
    pub endpoints: Vec<Endpoint>,
    pub secret_id: String,
    pub secret_key: String,
    pub region: String,
    pub connections: usize,
    pub threads: usize,
    pub duration: Option<Duration>,
    pub requests: Option<u64>,
    pub warmup: Duration,
    pub fresh_keys: usize,
    pub entries: Vec<Entry>,
    pub json: bool,
    pub new_connections: bool,
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

/// A resolved endpoint: its Host (for the Host header), the address to connect to,
/// and whether it is https.
#[derive(Debug)]
struct Resolved {
    host: String,
    addr: SocketAddr,
    https: bool,
    /// The host without brackets or port, for the certificate check.
    name: String,
}

/// Reads an endpoint URL. `which` follows the URL in an error, to say which of several
/// endpoints it is.
fn resolve_endpoint(endpoint: &str, which: &str, allow_remote: bool) -> Result<Resolved, String> {
    let bad = |why: &str| format!("--endpoint {endpoint:?}{which}: {why}");
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|_| bad("not a URL; use http://HOST:PORT or https://HOST:PORT"))?;
    let https = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(bad("use http://HOST:PORT or https://HOST:PORT")),
    };
    if !(uri.path() == "/" || uri.path().is_empty()) || uri.query().is_some() {
        return Err(bad("give only http(s)://HOST:PORT (requests go to /)"));
    }
    let authority = uri.authority().ok_or_else(|| bad("no host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("credentials in the URL are not used; use --secret-id"));
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
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
    Ok(Resolved {
        host: authority.as_str().to_string(),
        addr: first,
        https,
        name: host.to_string(),
    })
}

/// A TLS client trusting the certificates of `ca` (and nothing else).
fn tls_client(ca: &std::path::Path) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(ca)
        .map_err(|e| format!("--ca {}: cannot read it ({e})", ca.display()))?;
    for cert in certs {
        let cert =
            cert.map_err(|_| format!("--ca {}: not a valid PEM certificate file", ca.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("--ca {}: not a usable CA certificate ({e})", ca.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "--ca {}: no PEM CERTIFICATE block in it",
            ca.display()
        ));
    }
    let config = rustls::ClientConfig::builder_with_provider(smkms::http::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Every `--endpoint` value, each split at commas by clap, in the order given. A bad one
/// is named by its position too, since several may look alike.
fn resolve_endpoints(
    given: &[String],
    allow_remote: bool,
    ca: Option<&std::path::Path>,
) -> Result<Vec<Endpoint>, String> {
    let mut tls = None;
    let n = given.len();
    let mut out = Vec::with_capacity(n);
    for (i, url) in given.iter().map(|u| u.trim()).enumerate() {
        let which = if n > 1 {
            format!(" (endpoint {} of {n})", i + 1)
        } else {
            String::new()
        };
        if url.is_empty() {
            return Err(format!(
                "--endpoint has an empty entry{which}; separate URLs with single commas"
            ));
        }
        let r = resolve_endpoint(url, &which, allow_remote)?;
        let target = if r.https {
            let Some(ca) = ca else {
                return Err(format!(
                    "--endpoint {url:?}{which}: give --ca FILE, the CA certificate the \
                     server's certificate was issued under"
                ));
            };
            if tls.is_none() {
                tls = Some(tls_client(ca)?);
            }
            let name = rustls_pki_types::ServerName::try_from(r.name.clone())
                .map_err(|_| format!("--endpoint {url:?}{which}: {} is not a host name", r.name))?;
            Target {
                addr: r.addr,
                tls: Some((tls.clone().expect("made above"), name)),
            }
        } else {
            Target {
                addr: r.addr,
                tls: None,
            }
        };
        out.push(Endpoint {
            url: format!("{}://{}", if r.https { "https" } else { "http" }, r.host),
            target,
            host: r.host,
        });
    }
    if out.is_empty() {
        return Err("give --endpoint".into());
    }
    Ok(out)
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
    pub fn from_args(a: BenchArgs) -> Result<Config, String> {
        let endpoints = resolve_endpoints(&a.endpoints, a.allow_remote, a.ca.as_deref())?;
        if endpoints.len() > a.connections as usize {
            return Err(format!(
                "--connections {} is fewer than the {} endpoints; each endpoint needs at \
                 least one connection",
                a.connections,
                endpoints.len()
            ));
        }
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
            endpoints,
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
            new_connections: a.new_connections,
        })
    }

    /// A signer for requests to endpoint `i`, with that endpoint's Host.
    pub fn signer(&self, i: usize) -> Signer {
        let host = &self.endpoints[i].host;
        Signer::new(&self.secret_id, &self.secret_key, host, &self.region)
    }

    /// The endpoint connection `c` goes to: round robin, so the shares differ by at most
    /// one and the first endpoints get the extra ones.
    pub fn endpoint_of(&self, c: usize) -> usize {
        c % self.endpoints.len()
    }

    /// How many connections endpoint `i` gets.
    pub fn connections_to(&self, i: usize) -> usize {
        (0..self.connections)
            .filter(|&c| self.endpoint_of(c) == i)
            .count()
    }

    pub fn needs(&self, f: impl Fn(&Entry) -> bool) -> bool {
        self.entries.iter().any(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_loopback_http() {
        let r = resolve_endpoint("http://127.0.0.1:6300", "", false).unwrap();
        assert_eq!(r.host, "127.0.0.1:6300");
        assert_eq!(r.addr.port(), 6300);
        assert!(!r.https);
        let r = resolve_endpoint("http://[::1]:7/", "", false).unwrap();
        assert_eq!(r.host, "[::1]:7");
        assert!(r.addr.ip().is_loopback());
        let r = resolve_endpoint("https://localhost", "", false).unwrap();
        assert!(r.https);
        assert_eq!((r.addr.port(), r.name.as_str()), (443, "localhost"));
        for bad in [
            "http://10.1.2.3:6300",
            "http://0.0.0.0:6300",
            "http://[::ffff:8.8.8.8]:1",
            "ftp://127.0.0.1:6300",
            "127.0.0.1:6300",
            "http://127.0.0.1:6300/path",
            "http://127.0.0.1:6300/?a=b",
            "http://u:p@127.0.0.1:6300",
        ] {
            assert!(resolve_endpoint(bad, "", false).is_err(), "{bad}");
        }
        let e = resolve_endpoint("http://10.1.2.3:6300", "", false).unwrap_err();
        assert!(
            e.contains("loopback") && e.contains("--allow-remote"),
            "{e}"
        );
        assert!(resolve_endpoint("http://10.1.2.3:6300", "", true).is_ok());
        assert!(resolve_endpoint("http://[::ffff:127.0.0.1]:1", "", false).is_ok());
    }

    fn config(args: &[&str]) -> Result<Config, String> {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            bench: BenchArgs,
        }
        let base = ["bench", "--secret-id", "AKIDx", "--secret-key", "k"];
        let cli = <Cli as clap::Parser>::try_parse_from(base.iter().chain(args))
            .map_err(|e| e.to_string())?;
        Config::from_args(cli.bench)
    }

    #[test]
    fn endpoints_repeat_or_list_and_share_the_connections_round_robin() {
        let cfg = config(&[
            "--endpoint",
            "http://127.0.0.1:1, http://127.0.0.1:2",
            "--endpoint",
            "http://[::1]:3",
            "--connections",
            "5",
        ])
        .unwrap();
        let urls: Vec<&str> = cfg.endpoints.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(
            urls,
            ["http://127.0.0.1:1", "http://127.0.0.1:2", "http://[::1]:3"]
        );
        let of: Vec<usize> = (0..5).map(|c| cfg.endpoint_of(c)).collect();
        assert_eq!(of, [0, 1, 2, 0, 1]);
        let shares: Vec<usize> = (0..3).map(|i| cfg.connections_to(i)).collect();
        assert_eq!(shares, [2, 2, 1]);
        // Each endpoint's requests carry its own Host, which the signature covers.
        assert_eq!(cfg.signer(1).host, "127.0.0.1:2");
        assert_eq!(cfg.signer(2).host, "[::1]:3");

        let one = config(&["--endpoint", "http://127.0.0.1:1"]).unwrap();
        assert_eq!(one.endpoints.len(), 1);
        assert_eq!(one.connections_to(0), 64);
    }

    #[test]
    fn a_bad_endpoint_among_several_is_named() {
        let e = config(&["--endpoint", "http://127.0.0.1:1,http://10.1.2.3:2"])
            .err()
            .unwrap();
        assert!(
            e.contains("\"http://10.1.2.3:2\" (endpoint 2 of 2)") && e.contains("loopback"),
            "{e}"
        );
        let e = config(&["--endpoint", "http://127.0.0.1:1,,http://127.0.0.1:2"])
            .err()
            .unwrap();
        assert!(e.contains("empty entry"), "{e}");
        let e = config(&[
            "--endpoint",
            "http://127.0.0.1:1,http://127.0.0.1:2",
            "--connections",
            "1",
        ])
        .err()
        .unwrap();
        assert!(e.contains("fewer than the 2 endpoints"), "{e}");
    }
}
