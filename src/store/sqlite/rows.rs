//! The SQLite schema and the mapping between its rows and the core's records.

use super::backend;
use crate::model::{
    Cmk, DataKey, DataKeyState, ImportToken, KeySpec, KeyState, KeyUsage, Origin, Scope, Tag,
};
use crate::store::{StoreError, StoreResult};
use rusqlite::{params, OptionalExtension, Row};

/// The schema's versions, oldest first (see `store::schema`). Version 1 is the schema
/// of the releases before versions were recorded, written with `IF NOT EXISTS`, so a
/// database they made is adopted as version 1 unchanged.
pub(super) const MIGRATIONS: &[&str] = &[SCHEMA_V1, IMPORT_V2];

/// Version 2: bring your own key. A CMK's imported material has an expiry (`valid_to`,
/// 0 = never) and a keyed fingerprint that outlives the material; import tokens are
/// rows, so that they survive a restart.
const IMPORT_V2: &str = "
ALTER TABLE cmks ADD COLUMN valid_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cmks ADD COLUMN import_fingerprint BLOB;
CREATE INDEX cmks_valid_to ON cmks(valid_to) WHERE valid_to > 0;
CREATE TABLE import_tokens (
    token_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    account INTEGER NOT NULL,
    region TEXT NOT NULL,
    wrapping_algorithm TEXT NOT NULL,
    wrapping_spec TEXT NOT NULL,
    sealed_private_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER NOT NULL
);
CREATE INDEX import_tokens_key ON import_tokens(key_id);
CREATE INDEX import_tokens_expiry ON import_tokens(expires_at);
";

/// Brings the database to the newest schema in one transaction, or refuses a newer one.
pub(super) fn migrate(conn: &mut rusqlite::Connection) -> StoreResult<()> {
    use crate::store::schema::{pending, VERSION_TABLE};
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend)?;
    tx.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)"
    ))
    .map_err(backend)?;
    let found: i64 = tx
        .query_row(
            &format!("SELECT MAX(version) FROM {VERSION_TABLE}"),
            [],
            |r| r.get::<_, Option<i64>>(0),
        )
        .map_err(backend)?
        .unwrap_or(0);
    let steps = pending(found, MIGRATIONS.len())?;
    if steps.is_empty() {
        return Ok(());
    }
    for step in steps {
        tx.execute_batch(MIGRATIONS[step]).map_err(backend)?;
    }
    tx.execute(&format!("DELETE FROM {VERSION_TABLE}"), [])
        .map_err(backend)?;
    tx.execute(
        &format!("INSERT INTO {VERSION_TABLE} (version) VALUES (?1)"),
        [MIGRATIONS.len() as i64],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)
}

pub(super) const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS cmks (
    key_id TEXT PRIMARY KEY,
    account INTEGER NOT NULL,
    region TEXT NOT NULL,
    alias TEXT NOT NULL,
    description TEXT NOT NULL,
    usage TEXT NOT NULL,
    -- model::KeySpec::code: 1 SM4, 2 AES_256, 3 SM2, 4 RSA_2048, 5 EC_P256
    cipher INTEGER NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    deletion_date INTEGER NOT NULL,
    rotation_enabled INTEGER NOT NULL,
    rotate_days INTEGER NOT NULL,
    next_rotate_time INTEGER NOT NULL,
    last_rotate_time INTEGER NOT NULL,
    current_version INTEGER NOT NULL,
    tags TEXT NOT NULL,
    revision INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cmks_alias ON cmks(account, region, alias);
CREATE INDEX IF NOT EXISTS cmks_scope ON cmks(account, region, created_at);
CREATE INDEX IF NOT EXISTS cmks_deletion ON cmks(state, deletion_date);
CREATE TABLE IF NOT EXISTS cmk_material (
    key_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (key_id, version)
);
CREATE TABLE IF NOT EXISTS data_keys (
    data_key_id TEXT PRIMARY KEY,
    account INTEGER NOT NULL,
    region TEXT NOT NULL,
    key_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    length INTEGER NOT NULL,
    state TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    deletion_date INTEGER NOT NULL,
    tags TEXT NOT NULL,
    blob BLOB NOT NULL,
    context BLOB NOT NULL,
    revision INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS data_keys_name ON data_keys(account, region, name);
CREATE INDEX IF NOT EXISTS data_keys_deletion ON data_keys(state, deletion_date);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    secret_id TEXT PRIMARY KEY,
    account INTEGER NOT NULL,
    sealed_secret BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
";

pub(super) const CMK_COLUMNS: &str =
    "key_id, account, region, alias, description, usage, cipher, origin, state, \
     created_at, deletion_date, rotation_enabled, rotate_days, next_rotate_time, \
     last_rotate_time, current_version, tags, revision, valid_to, import_fingerprint";

pub(super) const IMPORT_TOKEN_COLUMNS: &str =
    "token_id, key_id, account, region, wrapping_algorithm, wrapping_spec, \
     sealed_private_key, created_at, expires_at, used_at";

pub(super) const DATA_KEY_COLUMNS: &str =
    "data_key_id, account, region, key_id, name, description, length, \
     state, origin, created_at, deletion_date, tags, blob, context, revision";

pub(super) fn tags_to_json(tags: &[Tag]) -> String {
    let pairs: Vec<[&str; 2]> = tags
        .iter()
        .map(|t| [t.key.as_str(), t.value.as_str()])
        .collect();
    serde_json::to_string(&pairs).expect("tags serialise")
}

pub(super) fn row_to_cmk(row: &Row<'_>) -> rusqlite::Result<Cmk> {
    let usage: String = row.get(5)?;
    let cipher: u8 = row.get(6)?;
    let origin: String = row.get(7)?;
    let state: String = row.get(8)?;
    let tags: String = row.get(16)?;
    Ok(Cmk {
        key_id: row.get(0)?,
        scope: Scope {
            account: row.get::<_, i64>(1)? as u64,
            region: row.get(2)?,
        },
        alias: row.get(3)?,
        description: row.get(4)?,
        usage: KeyUsage::parse(&usage).ok_or_else(|| corrupt("usage"))?,
        spec: KeySpec::from_code(cipher).ok_or_else(|| corrupt("cipher"))?,
        origin: Origin::parse(&origin).ok_or_else(|| corrupt("origin"))?,
        state: KeyState::parse(&state).ok_or_else(|| corrupt("state"))?,
        created_at: row.get(9)?,
        deletion_date: row.get(10)?,
        rotation_enabled: row.get(11)?,
        rotate_days: row.get(12)?,
        next_rotate_time: row.get(13)?,
        last_rotate_time: row.get(14)?,
        current_version: row.get(15)?,
        tags: tags_from_json(&tags)?,
        revision: row.get::<_, i64>(17)? as u64,
        valid_to: row.get(18)?,
        import_fingerprint: row.get(19)?,
    })
}

pub(super) fn row_to_import_token(row: &Row<'_>) -> rusqlite::Result<ImportToken> {
    Ok(ImportToken {
        token_id: row.get(0)?,
        key_id: row.get(1)?,
        scope: Scope {
            account: row.get::<_, i64>(2)? as u64,
            region: row.get(3)?,
        },
        wrapping_algorithm: row.get(4)?,
        wrapping_spec: row.get(5)?,
        sealed_private_key: row.get(6)?,
        created_at: row.get(7)?,
        expires_at: row.get(8)?,
        used_at: row.get(9)?,
    })
}

/// Inserts an import token row; a taken token id is `AlreadyExists`.
pub(super) fn insert_import_token(conn: &rusqlite::Connection, t: &ImportToken) -> StoreResult<()> {
    conn.execute(
        &format!(
            "INSERT INTO import_tokens ({IMPORT_TOKEN_COLUMNS}) VALUES \
             (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
        ),
        params![
            t.token_id,
            t.key_id,
            t.scope.account as i64,
            t.scope.region,
            t.wrapping_algorithm,
            t.wrapping_spec,
            t.sealed_private_key,
            t.created_at,
            t.expires_at,
            t.used_at
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e, "token_id") {
            StoreError::AlreadyExists
        } else {
            backend(e)
        }
    })?;
    Ok(())
}

pub(super) fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("corrupt {what} in a stored row").into(),
    )
}

pub(super) fn tags_from_json(text: &str) -> rusqlite::Result<Vec<Tag>> {
    let pairs: Vec<(String, String)> = serde_json::from_str(text).map_err(|_| corrupt("tags"))?;
    Ok(pairs
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect())
}

pub(super) fn row_to_data_key(row: &Row<'_>) -> rusqlite::Result<DataKey> {
    let state: String = row.get(7)?;
    let origin: String = row.get(8)?;
    let tags: String = row.get(11)?;
    Ok(DataKey {
        data_key_id: row.get(0)?,
        scope: Scope {
            account: row.get::<_, i64>(1)? as u64,
            region: row.get(2)?,
        },
        key_id: row.get(3)?,
        name: row.get(4)?,
        description: row.get(5)?,
        length: row.get(6)?,
        state: DataKeyState::parse(&state).ok_or_else(|| corrupt("state"))?,
        origin: Origin::parse(&origin).ok_or_else(|| corrupt("origin"))?,
        created_at: row.get(9)?,
        deletion_date: row.get(10)?,
        tags: tags_from_json(&tags)?,
        blob: row.get(12)?,
        context: row.get(13)?,
        revision: row.get::<_, i64>(14)? as u64,
    })
}

pub(super) fn row_to_credential(r: &Row<'_>) -> rusqlite::Result<crate::model::Credential> {
    Ok(crate::model::Credential {
        secret_id: r.get(0)?,
        account: r.get::<_, i64>(1)? as u64,
        sealed_secret: r.get(2)?,
        created_at: r.get(3)?,
    })
}

pub(super) fn is_unique_violation(e: &rusqlite::Error, index_hint: &str) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(err, Some(msg)) => {
            err.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains(index_hint)
        }
        _ => false,
    }
}

/// Writes every mutable column of `cmk` if its revision is unchanged.
pub(super) fn update_row(tx: &rusqlite::Transaction<'_>, cmk: &Cmk) -> StoreResult<Cmk> {
    let n = tx
        .execute(
            "UPDATE cmks SET alias=?2, description=?3, state=?4, deletion_date=?5, \
             rotation_enabled=?6, rotate_days=?7, next_rotate_time=?8, last_rotate_time=?9, \
             current_version=?10, tags=?11, valid_to=?13, import_fingerprint=?14, \
             revision=revision+1 WHERE key_id=?1 AND revision=?12",
            params![
                cmk.key_id,
                cmk.alias,
                cmk.description,
                cmk.state.as_str(),
                cmk.deletion_date,
                cmk.rotation_enabled,
                cmk.rotate_days,
                cmk.next_rotate_time,
                cmk.last_rotate_time,
                cmk.current_version,
                tags_to_json(&cmk.tags),
                cmk.revision as i64,
                cmk.valid_to,
                cmk.import_fingerprint
            ],
        )
        .map_err(|e| {
            if is_unique_violation(&e, "alias") {
                StoreError::AliasExists
            } else {
                backend(e)
            }
        })?;
    if n == 0 {
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM cmks WHERE key_id=?1", [&cmk.key_id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(backend)?;
        return Err(if exists.is_some() {
            StoreError::Conflict
        } else {
            StoreError::NotFound
        });
    }
    let mut stored = cmk.clone();
    stored.revision += 1;
    Ok(stored)
}

/// Inserts a new CMK row, mapping a taken alias or key id to its own error.
pub(super) fn insert_cmk(tx: &rusqlite::Transaction<'_>, cmk: &Cmk) -> StoreResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO cmks ({CMK_COLUMNS}) VALUES \
             (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"
        ),
        params![
            cmk.key_id,
            cmk.scope.account as i64,
            cmk.scope.region,
            cmk.alias,
            cmk.description,
            cmk.usage.as_str(),
            cmk.spec.code(),
            cmk.origin.as_str(),
            cmk.state.as_str(),
            cmk.created_at,
            cmk.deletion_date,
            cmk.rotation_enabled,
            cmk.rotate_days,
            cmk.next_rotate_time,
            cmk.last_rotate_time,
            cmk.current_version,
            tags_to_json(&cmk.tags),
            cmk.revision as i64,
            cmk.valid_to,
            cmk.import_fingerprint
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e, "alias") {
            StoreError::AliasExists
        } else if is_unique_violation(&e, "key_id") {
            StoreError::AlreadyExists
        } else {
            backend(e)
        }
    })?;
    Ok(())
}

/// Inserts a new hosted data key row, mapping a taken name or id to its own error.
pub(super) fn insert_data_key(tx: &rusqlite::Transaction<'_>, key: &DataKey) -> StoreResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO data_keys ({DATA_KEY_COLUMNS}) VALUES \
             (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"
        ),
        params![
            key.data_key_id,
            key.scope.account as i64,
            key.scope.region,
            key.key_id,
            key.name,
            key.description,
            key.length,
            key.state.as_str(),
            key.origin.as_str(),
            key.created_at,
            key.deletion_date,
            tags_to_json(&key.tags),
            key.blob,
            key.context,
            key.revision as i64
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e, "name") {
            StoreError::DataKeyNameExists
        } else if is_unique_violation(&e, "data_key_id") {
            StoreError::AlreadyExists
        } else {
            backend(e)
        }
    })?;
    Ok(())
}
