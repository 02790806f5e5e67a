//! Every record out (for `smkms store copy`) and into an empty database.

use super::backend;
use super::rows::{
    insert_cmk, insert_data_key, insert_import_token, row_to_cmk, row_to_credential,
    row_to_data_key, row_to_import_token,
};
use super::rows::{CMK_COLUMNS, DATA_KEY_COLUMNS, IMPORT_TOKEN_COLUMNS};
use crate::store::{Snapshot, StoreError, StoreResult};
use rusqlite::{params, Connection};

fn all<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare(sql).map_err(backend)?;
    let rows = stmt.query_map([], f).map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

/// Reads every record in one read transaction, so the snapshot is consistent even
/// if a server writes meanwhile. Rows in insertion (rowid) order.
pub(super) fn export(conn: &Connection) -> StoreResult<Snapshot> {
    conn.execute_batch("BEGIN").map_err(backend)?;
    let read = || -> StoreResult<Snapshot> {
        Ok(Snapshot {
            cmks: all(
                conn,
                &format!("SELECT {CMK_COLUMNS} FROM cmks ORDER BY rowid"),
                row_to_cmk,
            )?,
            materials: all(
                conn,
                "SELECT key_id, version, sealed FROM cmk_material ORDER BY key_id, version",
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?,
            data_keys: all(
                conn,
                &format!("SELECT {DATA_KEY_COLUMNS} FROM data_keys ORDER BY rowid"),
                row_to_data_key,
            )?,
            credentials: all(
                conn,
                "SELECT secret_id, account, sealed_secret, created_at FROM credentials \
                 ORDER BY rowid",
                row_to_credential,
            )?,
            meta: all(conn, "SELECT name, value FROM meta ORDER BY name", |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?,
            import_tokens: all(
                conn,
                &format!("SELECT {IMPORT_TOKEN_COLUMNS} FROM import_tokens ORDER BY rowid"),
                row_to_import_token,
            )?,
        })
    };
    let result = read();
    conn.execute_batch("COMMIT").map_err(backend)?;
    result
}

pub(super) fn import(conn: &mut Connection, s: &Snapshot) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend)?;
    let existing = |table: &str| -> StoreResult<i64> {
        tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .map_err(backend)
    };
    let held: i64 = [
        "cmks",
        "cmk_material",
        "data_keys",
        "credentials",
        "meta",
        "import_tokens",
    ]
    .iter()
    .map(|t| existing(t))
    .sum::<StoreResult<i64>>()?;
    if held > 0 {
        return Err(StoreError::NotEmpty(format!("{held} records")));
    }
    for cmk in &s.cmks {
        insert_cmk(&tx, cmk)?;
    }
    for (key_id, version, sealed) in &s.materials {
        tx.execute(
            "INSERT INTO cmk_material (key_id, version, sealed) VALUES (?1, ?2, ?3)",
            params![key_id, version, sealed],
        )
        .map_err(backend)?;
    }
    for key in &s.data_keys {
        insert_data_key(&tx, key)?;
    }
    for c in &s.credentials {
        tx.execute(
            "INSERT INTO credentials (secret_id, account, sealed_secret, created_at) \
             VALUES (?1, ?2, ?3, ?4)",
            params![c.secret_id, c.account as i64, c.sealed_secret, c.created_at],
        )
        .map_err(backend)?;
    }
    for (name, value) in &s.meta {
        tx.execute(
            "INSERT INTO meta (name, value) VALUES (?1, ?2)",
            params![name, value],
        )
        .map_err(backend)?;
    }
    for t in &s.import_tokens {
        insert_import_token(&tx, t)?;
    }
    tx.commit().map_err(backend)
}
