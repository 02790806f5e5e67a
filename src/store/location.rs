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

/// A PostgreSQL connection URL. It may carry a password, so it never prints whole:
/// `Display` and `Debug` show `postgres://user@host:port/database`.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    url: String,
    shown: String,
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
        // The parser's own messages may quote the URL, password included: not shown.
        let config: tokio_postgres::Config = url.parse().map_err(|_| {
            "store: not a valid PostgreSQL URL; the form is \
             postgres://user:password@host:port/database"
                .to_string()
        })?;
        if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            return Err(
                "store: sslmode=require cannot be honoured: smkms connects to PostgreSQL \
                 without TLS. Keep the database on a private network, or leave sslmode out"
                    .into(),
            );
        }
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
            "postgres://{}@{}/{}",
            config.get_user().unwrap_or(""),
            hosts.join(","),
            config.get_dbname().unwrap_or("")
        );
        Ok(PostgresUrl {
            url: url.to_string(),
            shown,
        })
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
        assert!(e.contains("sslmode=require"), "{e}");
        let e = StoreLocation::parse(Some("postgres://u:pw@h:notaport/d")).unwrap_err();
        assert!(!e.contains("pw"), "{e}");
    }
}
