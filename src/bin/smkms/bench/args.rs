//! The `smkms bench` command line ([`BenchArgs`]) and the [`Config`] checked out of it:
//! durations, the endpoint (loopback only unless `--allow-remote`) and credentials.

use super::conn::Signer;
use super::mix::{parse_mix, Entry, MIX_HELP};
use serde_json::Value;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::time::Duration;

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

pub struct Config {
    pub endpoint: String,
    pub addr: SocketAddr,
    pub host: String,
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
    pub fn from_args(a: BenchArgs) -> Result<Config, String> {
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

    pub fn signer(&self) -> Signer {
        Signer::new(&self.secret_id, &self.secret_key, &self.host, &self.region)
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
}
