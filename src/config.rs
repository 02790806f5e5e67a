//! Configuration: embedded defaults, then a TOML file, then environment variables, then
//! command-line flags, each overriding the one before.
//!
//! Every setting and its default is listed in README.md ("Configuration").

use crate::crypto::cmk::CmkCipher;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the database and the root key file live.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// The admin listener (`/metrics`, `/healthz`, `/readyz`); unset (the default)
    /// serves none and records no metrics. It asks for no credential: bind it to a
    /// private address.
    pub admin_listen: Option<SocketAddr>,
    /// The region (Tencent) or project (Huawei) used when a request names none.
    pub default_region: String,
    /// The cipher of new CMKs unless a request chooses: "SM4" or "AES_256".
    #[serde(deserialize_with = "cipher_by_name")]
    pub default_cipher: CmkCipher,
    /// The root key as 64 hex characters; when unset, `<data_dir>/root.key` is used
    /// (and created on first start). Prefer the SMKMS_ROOT_KEY environment variable
    /// over writing it into a file that is not mode 0600. Wiped from memory when the
    /// configuration is dropped.
    pub root_key: Option<zeroize::Zeroizing<String>>,
    /// Where the records live: unset for SQLite in the data directory, or a
    /// `postgres://user:password@host:port/database` URL shared by several replicas.
    pub store: Option<String>,
    /// tracing filter, e.g. "info" or "smkms=debug".
    pub log: String,
    pub limits: LimitsConfig,
    pub auth: AuthConfig,
    pub background: BackgroundConfig,
    pub postgres: PostgresConfig,
    pub audit: AuditConfig,
    pub tls: TlsConfig,
    /// Serve plain HTTP on an address that is not loopback (behind a TLS-terminating
    /// proxy); without it, such a start is refused.
    pub allow_plaintext: bool,
}

/// HTTPS: both files or neither; a client CA only with them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain, the server's own certificate first.
    pub cert_file: Option<PathBuf>,
    /// PEM private key: PKCS#8, SEC1 or PKCS#1.
    pub key_file: Option<PathBuf>,
    /// PEM CA certificate(s): clients must present a certificate issued under one.
    pub client_ca_file: Option<PathBuf>,
}

/// Every setting but the two that may hold secrets: the root key is left out, and the
/// store URL is shown without its password.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("admin_listen", &self.admin_listen)
            .field("default_region", &self.default_region)
            .field("default_cipher", &self.default_cipher)
            .field("root_key", &self.root_key.as_ref().map(|_| "<set>"))
            .field("store", &self.store_location().ok())
            .field("log", &self.log)
            .field("limits", &self.limits)
            .field("auth", &self.auth)
            .field("background", &self.background)
            .field("postgres", &self.postgres)
            .field("tls", &self.tls)
            .field("allow_plaintext", &self.allow_plaintext)
            .field("audit", &self.audit)
            .finish()
    }
}

/// The connection pool of the PostgreSQL store (unused with SQLite).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresConfig {
    /// Connections each replica keeps at most.
    pub max_connections: usize,
    /// The longest one store call may take, waiting for a connection included; past
    /// it the request gets the dialect's internal error instead of hanging.
    pub timeout_ms: u64,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig {
            max_connections: 16,
            timeout_ms: 5000,
        }
    }
}

/// The audit trail (README, "Audit trail").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// On by default. `false` serves without an audit trail: for measuring its cost,
    /// not for production.
    pub enabled: bool,
    /// Where the trail is written; unset: `<data_dir>/audit`.
    pub dir: Option<PathBuf>,
    /// A file past this size is closed (with a signed head) and the next one begun.
    pub max_file_bytes: u64,
    /// How often the chain head is signed while records arrive (also at every file
    /// rotation and at shutdown).
    pub sign_interval_secs: u64,
    /// This replica's name in file names and records; unset: a random id made once and
    /// kept in `<data_dir>/replica.id`.
    pub replica_id: Option<String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            enabled: true,
            dir: None,
            max_file_bytes: 64 << 20,
            sign_interval_secs: 60,
            replica_id: None,
        }
    }
}

impl Config {
    /// The audit trail's directory: `[audit] dir`, or `<data_dir>/audit`.
    pub fn audit_dir(&self) -> PathBuf {
        self.audit
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit"))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub cmks_per_region: u32,
    /// Hosted data keys per account (all regions together).
    pub data_keys_per_account: u32,
    pub max_body_bytes: usize,
    /// Connections served at once; unset: the file-descriptor limit (raised to its
    /// hard limit at start) less 256.
    pub max_connections: Option<usize>,
    /// Connections one source address may hold open; 0: no cap (behind a proxy every
    /// connection comes from the proxy's address).
    pub max_connections_per_source: usize,
    /// How soon a new connection must send its first byte.
    pub first_byte_timeout_ms: u64,
    /// How long a TLS handshake may take, from its first byte.
    pub tls_handshake_timeout_ms: u64,
    pub header_read_timeout_secs: u64,
    /// How long an idle keep-alive connection or a slow body may take.
    pub request_timeout_secs: u64,
    /// Public-key steps (delivery encryption, key parsing) allowed at once on a
    /// blocking thread pool; 0 (the default) runs them on the async workers.
    pub public_key_pool: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub signature_window_secs: i64,
    pub allow_unsigned_payload: bool,
    /// Headers every TC3 signature must list in SignedHeaders, such as
    /// `["x-tc-action", "x-tc-region"]`; empty (the default) accepts what the official
    /// SDKs sign (`content-type;host`), as Tencent does.
    pub require_signed_headers: Vec<String>,
    /// No longer used: the rule that remembered signatures is gone. Accepted so that an
    /// existing configuration still starts; `serve` warns about it.
    pub max_remembered_signatures: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackgroundConfig {
    /// How often keys past their deletion date are looked for.
    pub sweep_interval_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./smkms-data"),
            listen: "127.0.0.1:6300".parse().unwrap(),
            admin_listen: None,
            default_region: "ap-guangzhou".into(),
            default_cipher: CmkCipher::Sm4Gcm,
            root_key: None,
            store: None,
            log: "info".into(),
            limits: LimitsConfig::default(),
            auth: AuthConfig::default(),
            background: BackgroundConfig::default(),
            postgres: PostgresConfig::default(),
            tls: TlsConfig::default(),
            allow_plaintext: false,
            audit: AuditConfig::default(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            cmks_per_region: 1000,
            data_keys_per_account: 10_000,
            max_body_bytes: 1 << 20,
            max_connections: None,
            max_connections_per_source: 1024,
            first_byte_timeout_ms: 3000,
            tls_handshake_timeout_ms: 5000,
            header_read_timeout_secs: 10,
            request_timeout_secs: 30,
            public_key_pool: 0,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            signature_window_secs: 300,
            allow_unsigned_payload: false,
            require_signed_headers: Vec::new(),
            max_remembered_signatures: None,
        }
    }
}

impl Default for BackgroundConfig {
    fn default() -> Self {
        BackgroundConfig {
            sweep_interval_secs: 60,
        }
    }
}

/// `default_cipher` is read by its API name, so a typo fails at start-up with the
/// accepted names rather than later.
fn cipher_by_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CmkCipher, D::Error> {
    let name = String::deserialize(d)?;
    CmkCipher::from_name(&name).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "default_cipher = {name:?}: use \"SM4\" or \"AES_256\""
        ))
    })
}

/// A TOML error as `file: line L, column C: what is wrong`, without the file's text.
///
/// `toml`'s own `Display` quotes the offending line, and that line may be
/// `root_key = "…"`: the message is built from the error's description and position
/// only. A description may still quote a value (serde's "invalid type: integer `…`");
/// on the `root_key` line, whatever it quotes from the value is left out too.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> String {
    let mut what = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let mut at = String::new();
    if let Some(span) = e.span() {
        let start = (0..=span.start.min(text.len()))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        at = format!(" line {line}, column {column}:");
        let line_text = text[line_start..].lines().next().unwrap_or("");
        if line_text.trim_start().starts_with("root_key") {
            let value = line_text.split_once('=').map_or("", |(_, v)| v);
            what = without_quoted(&what, value);
        }
    }
    format!("{}:{at} {what}", path.display())
}

/// `text` with every fragment it quotes (between backticks or double quotes) that
/// occurs in `value` replaced by `…`; an unclosed quote drops the rest.
fn without_quoted(text: &str, value: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['`', '"']) {
        let quote = rest[i..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find(quote) else {
            out.push('…');
            return out;
        };
        let fragment = &after[..j];
        if !fragment.is_empty() && value.contains(fragment) {
            out.push('…');
        } else {
            out.push_str(fragment);
        }
        out.push(quote);
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

impl Config {
    /// The `store` setting, read (its password never appears in an error).
    pub fn store_location(&self) -> Result<crate::store::location::StoreLocation, String> {
        crate::store::location::StoreLocation::parse(self.store.as_deref())
    }

    /// Defaults, overridden by `file` (if given) and then by the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let mut c = match file {
            Some(path) => {
                // The file may hold the root key and a store password: wiped once parsed.
                let text = zeroize::Zeroizing::new(
                    std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                );
                toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        c.validate()?;
        Ok(c)
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        if let Some(v) = get("SMKMS_DATA") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("SMKMS_LISTEN") {
            self.listen = v.parse().map_err(|_| {
                format!("SMKMS_LISTEN={v:?} is not an address such as 127.0.0.1:6300")
            })?;
        }
        if let Some(v) = get("SMKMS_ADMIN_LISTEN") {
            self.admin_listen = Some(v.parse().map_err(|_| {
                format!("SMKMS_ADMIN_LISTEN={v:?} is not an address such as 127.0.0.1:6301")
            })?);
        }
        if let Some(v) = get("SMKMS_ROOT_KEY") {
            self.root_key = Some(zeroize::Zeroizing::new(v));
        }
        if let Some(v) = get("SMKMS_STORE") {
            self.store = Some(v);
        }
        if let Some(v) = get("SMKMS_LOG") {
            self.log = v;
        }
        if let Some(v) = get("SMKMS_DEFAULT_REGION") {
            self.default_region = v;
        }
        Ok(())
    }

    /// The TLS files, when HTTPS is configured.
    pub fn tls_files(&self) -> Option<crate::http::tls::TlsFiles> {
        Some(crate::http::tls::TlsFiles {
            cert_file: self.tls.cert_file.clone()?,
            key_file: self.tls.key_file.clone()?,
            client_ca_file: self.tls.client_ca_file.clone(),
        })
    }

    /// Plain HTTP is served on loopback only, unless `allow_plaintext` says otherwise.
    pub fn check_plaintext(&self) -> Result<(), String> {
        let ip = self.listen.ip().to_canonical();
        if self.tls_files().is_some() || self.allow_plaintext || ip.is_loopback() {
            return Ok(());
        }
        Err(format!(
            "refusing to serve plain HTTP on {}, which is not a loopback address: anyone on \
             the path could read and replay requests. Give --tls-cert FILE --tls-key FILE \
             (tls.cert_file, tls.key_file) to serve HTTPS, or, behind a TLS-terminating \
             proxy, --allow-plaintext (allow_plaintext = true)",
            self.listen
        ))
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.limits.max_body_bytes < 1024 {
            return Err("limits.max_body_bytes must be at least 1024".into());
        }
        if self.limits.max_connections == Some(0) {
            return Err("limits.max_connections must be at least 1".into());
        }
        if !(10..=600_000).contains(&self.limits.first_byte_timeout_ms) {
            return Err("limits.first_byte_timeout_ms must be between 10 and 600000".into());
        }
        if !(100..=600_000).contains(&self.limits.tls_handshake_timeout_ms) {
            return Err("limits.tls_handshake_timeout_ms must be between 100 and 600000".into());
        }
        match (&self.tls.cert_file, &self.tls.key_file) {
            (Some(_), None) => {
                return Err(
                    "tls.cert_file is set without tls.key_file (--tls-key): give both".into(),
                )
            }
            (None, Some(_)) => {
                return Err(
                    "tls.key_file is set without tls.cert_file (--tls-cert): give both".into(),
                )
            }
            (None, None) if self.tls.client_ca_file.is_some() => {
                return Err(
                    "tls.client_ca_file (--tls-client-ca) needs tls.cert_file and tls.key_file \
                     (--tls-cert, --tls-key): mutual TLS is TLS first"
                        .into(),
                )
            }
            _ => {}
        }
        if self.limits.header_read_timeout_secs == 0 || self.limits.request_timeout_secs == 0 {
            return Err("timeouts must be at least 1 second".into());
        }
        if !(1..=3600).contains(&self.auth.signature_window_secs) {
            return Err("auth.signature_window_secs must be between 1 and 3600".into());
        }
        if self.background.sweep_interval_secs == 0 {
            return Err("background.sweep_interval_secs must be at least 1".into());
        }
        for h in &self.auth.require_signed_headers {
            let valid = !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(format!(
                    "auth.require_signed_headers: {h:?} is not a lowercase header name such as \
                     \"x-tc-action\""
                ));
            }
        }
        self.store_location()?;
        if !(1..=1000).contains(&self.postgres.max_connections) {
            return Err("postgres.max_connections must be between 1 and 1000".into());
        }
        if !(100..=600_000).contains(&self.postgres.timeout_ms) {
            return Err("postgres.timeout_ms must be between 100 and 600000".into());
        }
        if self.audit.max_file_bytes < 4096 {
            return Err("audit.max_file_bytes must be at least 4096".into());
        }
        if !(1..=86_400).contains(&self.audit.sign_interval_secs) {
            return Err("audit.sign_interval_secs must be between 1 and 86400".into());
        }
        if let Some(id) = &self.audit.replica_id {
            if !crate::audit::valid_replica_id(id) {
                return Err(format!(
                    "audit.replica_id {id:?} may hold only letters, digits, '_' and '-' (1 to 64)"
                ));
            }
        }
        if self.limits.public_key_pool > 512 {
            // tokio's blocking pool has 512 threads; more permits would only queue there.
            return Err("limits.public_key_pool must be between 0 and 512".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_env_and_file() {
        let mut c = Config::default();
        assert_eq!(c.listen.port(), 6300);
        c.apply_env(|k| match k {
            "SMKMS_LISTEN" => Some("127.0.0.1:0".into()),
            "SMKMS_DATA" => Some("/tmp/x".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.admin_listen, None, "off by default");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        c.apply_env(|k| (k == "SMKMS_ADMIN_LISTEN").then(|| "127.0.0.1:9100".into()))
            .unwrap();
        assert_eq!(c.admin_listen, Some("127.0.0.1:9100".parse().unwrap()));
        assert!(c
            .apply_env(|k| (k == "SMKMS_ADMIN_LISTEN").then(|| "9100".into()))
            .unwrap_err()
            .contains("SMKMS_ADMIN_LISTEN"));
        let admin: Config = toml::from_str("admin_listen = \"10.0.0.5:9100\"").unwrap();
        assert_eq!(admin.admin_listen, Some("10.0.0.5:9100".parse().unwrap()));
        assert!(c.apply_env(|_| Some("nope".into())).is_err());

        let parsed: Config =
            toml::from_str("listen = \"0.0.0.0:7000\"\n[limits]\ncmks_per_region = 5\n").unwrap();
        assert_eq!(parsed.limits.cmks_per_region, 5);
        assert_eq!(
            parsed.limits.max_body_bytes,
            1 << 20,
            "unset fields keep defaults"
        );
        assert!(
            toml::from_str::<Config>("lisen = \"x\"").is_err(),
            "typos are refused"
        );
        let bad = toml::from_str::<Config>("default_cipher = \"DES\"").unwrap_err();
        assert!(
            bad.to_string().contains("use \"SM4\" or \"AES_256\""),
            "{bad}"
        );
        let aes: Config = toml::from_str("default_cipher = \"AES_256\"").unwrap();
        assert_eq!(aes.default_cipher, CmkCipher::Aes256Gcm);
        let mut req: Config =
            toml::from_str("[auth]\nrequire_signed_headers = [\"x-tc-action\"]").unwrap();
        assert!(req.validate().is_ok());
        req.auth.require_signed_headers = vec!["X-TC-Action".into()];
        assert!(req.validate().unwrap_err().contains("lowercase"));
        let old: Config = toml::from_str("[auth]\nmax_remembered_signatures = 1024").unwrap();
        assert!(
            old.validate().is_ok(),
            "an older configuration still starts"
        );
        let mut pool: Config = toml::from_str("[limits]\npublic_key_pool = 4").unwrap();
        assert_eq!(pool.limits.public_key_pool, 4);
        assert!(pool.validate().is_ok());
        pool.limits.public_key_pool = 513;
        assert!(pool.validate().unwrap_err().contains("public_key_pool"));
    }

    #[test]
    fn tls_settings_and_the_plaintext_rule() {
        let c: Config = toml::from_str(
            "listen = \"0.0.0.0:6300\"\n[tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n\
             client_ca_file = \"ca.pem\"\n[limits]\nfirst_byte_timeout_ms = 500\n\
             max_connections_per_source = 0\n",
        )
        .unwrap();
        assert!(c.validate().is_ok());
        assert!(c.check_plaintext().is_ok(), "TLS on any address");
        assert_eq!(
            c.tls_files().unwrap().client_ca_file.unwrap(),
            PathBuf::from("ca.pem")
        );
        let mut plain = Config {
            listen: "10.0.0.11:6300".parse().unwrap(),
            ..Config::default()
        };
        let err = plain.check_plaintext().unwrap_err();
        assert!(
            err.contains("--tls-cert") && err.contains("--allow-plaintext"),
            "{err}"
        );
        plain.allow_plaintext = true;
        assert!(plain.check_plaintext().is_ok());
        for loopback in ["127.0.0.1:1", "[::1]:1", "127.0.0.9:1"] {
            let c = Config {
                listen: loopback.parse().unwrap(),
                ..Config::default()
            };
            assert!(c.check_plaintext().is_ok(), "{loopback}");
        }
        let mut half = Config::default();
        half.tls.cert_file = Some("c.pem".into());
        assert!(half.validate().unwrap_err().contains("key_file"));
        let mut ca_only = Config::default();
        ca_only.tls.client_ca_file = Some("ca.pem".into());
        assert!(ca_only.validate().unwrap_err().contains("mutual TLS"));
        let mut fast = Config::default();
        fast.limits.first_byte_timeout_ms = 0;
        assert!(fast
            .validate()
            .unwrap_err()
            .contains("first_byte_timeout_ms"));
    }

    /// A syntax error in the file names the file, line and column and what is wrong,
    /// and never prints the file's text: the offending line may hold the root key.
    #[test]
    fn a_toml_error_is_reported_without_the_file_text() {
        let key = "0123456789abcdef".repeat(4);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smkms.toml");
        let load = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Config::load(Some(&path)).unwrap_err()
        };
        let err = load(&format!("log = \"info\"\nroot_key = \"{key}\n"));
        assert!(!err.contains(&key), "the key was printed: {err}");
        assert!(
            !err.contains(&key[..16]),
            "part of the key was printed: {err}"
        );
        assert!(
            err.starts_with(&format!("{}: line 2, column ", path.display())),
            "{err}"
        );
        assert!(err.len() > path.display().to_string().len() + 20, "{err}");
        // Unquoted: a value TOML reads as something else.
        for text in [
            format!("root_key = {key}\n"),
            "root_key = 123456789012\n".to_string(),
            format!("root_key = [\"{key}\"]\n"),
            format!("root_key = \"{key}\"\nroot_key = \"{key}\"\n"),
        ] {
            let err = load(&text);
            assert!(!err.contains(&key[..12]), "{text:?} printed the key: {err}");
            assert!(
                !err.contains("123456789012"),
                "{text:?} printed the value: {err}"
            );
            assert!(err.contains("line "), "{err}");
        }
        // Elsewhere, the description is kept whole: it says what to write.
        let err = load("default_cipher = \"DES\"\n");
        assert!(err.contains("line 1, column 18"), "{err}");
        assert!(err.contains("use \"SM4\" or \"AES_256\""), "{err}");
    }

    #[test]
    fn quoted_values_are_left_out() {
        let value = r#" 12 ["ab"]"#;
        assert_eq!(
            without_quoted("invalid type: integer `12`, expected `#` or \"ab\"", value),
            "invalid type: integer `…`, expected `#` or \"…\""
        );
        assert_eq!(without_quoted("a `12", value), "a `…");
        assert_eq!(without_quoted("no quotes", value), "no quotes");
    }
}
