//! Where the records live: SQLite in the data directory (the default), or a PostgreSQL
//! database shared by several replicas, named by a `postgres://` URL (`store` in the
//! configuration, `SMKMS_STORE`, `--store`).

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    /// `smkms.db` in the data directory.
    Embedded,
    Postgres(PostgresUrl),
}

impl StoreLocation {
    /// Reads a `store` value: empty means embedded; otherwise a PostgreSQL URL.
    pub fn parse(value: Option<&str>) -> Result<StoreLocation, String> {
        match value.map(str::trim) {
            None | Some("") => Ok(StoreLocation::Embedded),
            Some(url) => PostgresUrl::parse(url).map(StoreLocation::Postgres),
        }
    }
}

/// How the PostgreSQL connection uses TLS: the URL's `sslmode`, read by smkms (the
/// client library knows only disable, prefer and require).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgSslMode {
    /// `disable`: never TLS.
    Disable,
    /// `prefer` (the default when the URL names none): no TLS, as before TLS to
    /// PostgreSQL was supported; smkms has no CA to verify a server with.
    Prefer,
    /// `require`: TLS, the server's certificate chained to `sslrootcert`; its name is
    /// not checked.
    Require,
    /// `verify-full`: TLS, the certificate chained to `sslrootcert` and issued for the
    /// host in the URL.
    VerifyFull,
}

/// A PostgreSQL connection URL. It may carry a password, so it never prints whole:
/// `Display` and `Debug` show `postgres://user@host:port/database`.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    /// For the client library: `sslrootcert` taken out, `sslmode` one it knows.
    url: String,
    shown: String,
    ssl_mode: PgSslMode,
    root_cert: Option<std::path::PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` out of the URL's query: the URL the client library
/// is given (with `sslmode=require` when TLS is wanted), the mode and the CA file.
fn split_tls(url: &str) -> Result<(String, PgSslMode, Option<std::path::PathBuf>), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), PgSslMode::Prefer, None));
    };
    let mut mode = PgSslMode::Prefer;
    let mut root_cert = None;
    let mut kept = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "sslmode" => {
                mode = match &*v {
                    "disable" => PgSslMode::Disable,
                    "prefer" => PgSslMode::Prefer,
                    "require" => PgSslMode::Require,
                    "verify-full" => PgSslMode::VerifyFull,
                    other => {
                        return Err(format!(
                            "store: sslmode={other} is not supported; use disable, prefer, \
                             require or verify-full (with sslrootcert=/path/to/ca.pem)"
                        ))
                    }
                }
            }
            "sslrootcert" => root_cert = Some(std::path::PathBuf::from(&*v)),
            _ => {
                kept.append_pair(&k, &v);
            }
        }
    }
    match (mode, &root_cert) {
        (PgSslMode::Require | PgSslMode::VerifyFull, None) => {
            return Err(
                "store: sslmode=require and verify-full need sslrootcert=/path/to/ca.pem, \
                 the CA that issued the PostgreSQL server's certificate (smkms trusts no \
                 other)"
                    .into(),
            )
        }
        (PgSslMode::Disable | PgSslMode::Prefer, Some(_)) => {
            return Err(
                "store: sslrootcert is given but sslmode is not require or verify-full: say \
                 which (verify-full also checks the server's name)"
                    .into(),
            )
        }
        _ => {}
    }
    match mode {
        PgSslMode::Disable => {
            kept.append_pair("sslmode", "disable");
        }
        PgSslMode::Require | PgSslMode::VerifyFull => {
            kept.append_pair("sslmode", "require");
        }
        PgSslMode::Prefer => {}
    }
    let query = kept.finish();
    let url = if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{query}")
    };
    Ok((url, mode, root_cert))
}

impl PostgresUrl {
    pub fn parse(url: &str) -> Result<PostgresUrl, String> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(
                "store: give a postgres://user:password@host:port/database URL, or leave it \
                 unset for the embedded SQLite database in the data directory"
                    .into(),
            );
        }
        let (url, ssl_mode, root_cert) = split_tls(url)?;
        // The parser's own messages may quote the URL, password included: not shown.
        let config: tokio_postgres::Config = url.parse().map_err(|_| {
            "store: not a valid PostgreSQL URL; the form is \
             postgres://user:password@host:port/database"
                .to_string()
        })?;
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
            .map(|(h, port)| match h {
                tokio_postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
                tokio_postgres::config::Host::Unix(path) => format!("{}", path.display()),
            })
            .collect();
        let shown = format!(
            "postgres://{}@{}/{}{}",
            config.get_user().unwrap_or(""),
            hosts.join(","),
            config.get_dbname().unwrap_or(""),
            match ssl_mode {
                PgSslMode::Require => "?sslmode=require",
                PgSslMode::VerifyFull => "?sslmode=verify-full",
                _ => "",
            }
        );
        Ok(PostgresUrl {
            url,
            shown,
            ssl_mode,
            root_cert,
        })
    }

    /// How the connection uses TLS, and the CA file when it does.
    pub fn tls(&self) -> (PgSslMode, Option<&std::path::Path>) {
        (self.ssl_mode, self.root_cert.as_deref())
    }

    /// The whole URL, for the client library only.
    pub fn expose(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({})", self.shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_prints() {
        let loc =
            StoreLocation::parse(Some("postgres://kms:s3cretpw@db.example:6432/kms")).unwrap();
        let StoreLocation::Postgres(url) = &loc else {
            panic!("{loc:?}")
        };
        assert_eq!(url.to_string(), "postgres://kms@db.example:6432/kms");
        assert!(!format!("{loc:?}").contains("s3cretpw"));
        assert_eq!(url.expose(), "postgres://kms:s3cretpw@db.example:6432/kms");
        assert_eq!(StoreLocation::parse(None).unwrap(), StoreLocation::Embedded);
        assert_eq!(
            StoreLocation::parse(Some(" ")).unwrap(),
            StoreLocation::Embedded
        );
        assert!(StoreLocation::parse(Some("postgresql://u@h/d")).is_ok());
        let e = StoreLocation::parse(Some("mysql://u:pw@h/d")).unwrap_err();
        assert!(e.contains("postgres://") && !e.contains("pw@"), "{e}");
        let e = StoreLocation::parse(Some("postgres://u:pw@h/d?sslmode=require")).unwrap_err();
        assert!(e.contains("sslrootcert"), "{e}");
        let e = StoreLocation::parse(Some("postgres://u:pw@h/d?sslmode=verify-ca")).unwrap_err();
        assert!(e.contains("verify-full"), "{e}");
        assert!(StoreLocation::parse(Some("postgres://u:pw@h/d?sslrootcert=/ca.pem")).is_err());
        let full = PostgresUrl::parse(
            "postgres://u:pw@h/d?connect_timeout=3&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(
            full.tls(),
            (
                PgSslMode::VerifyFull,
                Some(std::path::Path::new("/etc/ca.pem"))
            )
        );
        assert_eq!(
            full.expose(),
            "postgres://u:pw@h/d?connect_timeout=3&sslmode=require"
        );
        assert_eq!(
            full.to_string(),
            "postgres://u@h:5432/d?sslmode=verify-full"
        );
        let off = PostgresUrl::parse("postgres://u:pw@h/d?sslmode=disable").unwrap();
        assert_eq!(off.tls(), (PgSslMode::Disable, None));
        assert_eq!(off.expose(), "postgres://u:pw@h/d?sslmode=disable");
        let e = StoreLocation::parse(Some("postgres://u:pw@h:notaport/d")).unwrap_err();
        assert!(!e.contains("pw"), "{e}");
    }
}
