//! The PostgreSQL schema and the mapping between its rows and the core's records.
//! Columns and meanings are those of the SQLite schema (`store/sqlite/rows.rs`); the
//! differences are PostgreSQL's types, and a `seq` column that gives the creation
//! order SQLite's rowid gives.

use crate::model::{
    Cmk, Credential, DataKey, DataKeyState, ImportToken, KeySpec, KeyState, KeyUsage, Origin,
    Scope, Tag,
};
use crate::store::{StoreError, StoreResult};
use tokio_postgres::Row;

/// The schema's versions, oldest first (see `store::schema`).
pub(super) const MIGRATIONS: &[&str] = &[SCHEMA_V1, KEY_COUNTS_V2, IMPORT_V3];

/// Version 3: bring your own key (as SQLite's version 2): a CMK's material expiry and
/// import fingerprint, and the import tokens, as rows every replica sees.
const IMPORT_V3: &str = "
ALTER TABLE cmks ADD COLUMN valid_to BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cmks ADD COLUMN import_fingerprint BYTEA;
CREATE INDEX cmks_valid_to ON cmks(valid_to) WHERE valid_to > 0;
CREATE TABLE import_tokens (
    seq BIGSERIAL NOT NULL,
    token_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    account BIGINT NOT NULL,
    region TEXT NOT NULL,
    wrapping_algorithm TEXT NOT NULL,
    wrapping_spec TEXT NOT NULL,
    sealed_private_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT NOT NULL
);
CREATE INDEX import_tokens_key ON import_tokens(key_id);
CREATE INDEX import_tokens_expiry ON import_tokens(expires_at);
";

/// Version 2: a row per limited scope holding its number of keys, so that creating a
/// key checks its limit in constant time under that row's lock, rather than counting
/// the scope's keys under an advisory lock (which grew with every key: CreateKey ran
/// at a third of SQLite's rate, far below PostgreSQL's commit rate). Backfilled from
/// the tables as they are.
const KEY_COUNTS_V2: &str = "
CREATE TABLE key_counts (
    kind TEXT NOT NULL,
    account BIGINT NOT NULL,
    region TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (kind, account, region)
);
INSERT INTO key_counts (kind, account, region, n)
    SELECT 'cmks', account, region, COUNT(*) FROM cmks GROUP BY account, region;
INSERT INTO key_counts (kind, account, region, n)
    SELECT 'data_keys', account, '', COUNT(*) FROM data_keys GROUP BY account;
";

/// Rebuilds every count from the tables (after an import).
pub(super) const RECOUNT: &str = "
DELETE FROM key_counts;
INSERT INTO key_counts (kind, account, region, n)
    SELECT 'cmks', account, region, COUNT(*) FROM cmks GROUP BY account, region;
INSERT INTO key_counts (kind, account, region, n)
    SELECT 'data_keys', account, '', COUNT(*) FROM data_keys GROUP BY account;
";

/// Counts one more key of `kind` in (account, region), unless it already holds
/// `limit`: then `LimitReached`. The count's row stays locked until the transaction
/// ends, so concurrent creations in one scope, on any replica, take turns and each
/// sees the others' committed count: never one key too many. If the insert that
/// follows fails, the rollback takes the count back with it.
pub(super) async fn count_one_more<C: GenericClient>(
    c: &C,
    kind: &str,
    account: u64,
    region: &str,
    limit: u32,
) -> StoreResult<()> {
    if limit == 0 {
        return Err(StoreError::LimitReached(0));
    }
    let counted = c
        .query_opt(
            "INSERT INTO key_counts (kind, account, region, n) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (kind, account, region) DO UPDATE SET n = key_counts.n + 1 \
             WHERE key_counts.n < $4 RETURNING n",
            &[&kind, &(account as i64), &region, &(limit as i64)],
        )
        .await
        .map_err(backend)?;
    match counted {
        Some(_) => Ok(()),
        None => Err(StoreError::LimitReached(limit)),
    }
}

/// Counts one key of `kind` in (account, region) fewer, after it was deleted.
pub(super) async fn count_one_fewer<C: GenericClient>(
    c: &C,
    kind: &str,
    account: i64,
    region: &str,
) -> StoreResult<()> {
    c.execute(
        "UPDATE key_counts SET n = n - 1 WHERE kind = $1 AND account = $2 AND region = $3",
        &[&kind, &account, &region],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

const SCHEMA_V1: &str = "
CREATE TABLE cmks (
    seq BIGSERIAL NOT NULL,
    key_id TEXT PRIMARY KEY,
    account BIGINT NOT NULL,
    region TEXT NOT NULL,
    alias TEXT NOT NULL,
    description TEXT NOT NULL,
    usage TEXT NOT NULL,
    -- model::KeySpec::code: 1 SM4, 2 AES_256, 3 SM2, 4 RSA_2048, 5 EC_P256
    cipher SMALLINT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deletion_date BIGINT NOT NULL,
    rotation_enabled BOOLEAN NOT NULL,
    rotate_days BIGINT NOT NULL,
    next_rotate_time BIGINT NOT NULL,
    last_rotate_time BIGINT NOT NULL,
    current_version BIGINT NOT NULL,
    tags TEXT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE UNIQUE INDEX cmks_alias ON cmks(account, region, alias);
CREATE INDEX cmks_scope ON cmks(account, region, created_at, seq);
CREATE INDEX cmks_deletion ON cmks(state, deletion_date);
CREATE INDEX cmks_rotation ON cmks(rotation_enabled, next_rotate_time);
CREATE TABLE cmk_material (
    key_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (key_id, version)
);
CREATE TABLE data_keys (
    seq BIGSERIAL NOT NULL,
    data_key_id TEXT PRIMARY KEY,
    account BIGINT NOT NULL,
    region TEXT NOT NULL,
    key_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    length BIGINT NOT NULL,
    state TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deletion_date BIGINT NOT NULL,
    tags TEXT NOT NULL,
    blob BYTEA NOT NULL,
    context BYTEA NOT NULL,
    revision BIGINT NOT NULL
);
CREATE UNIQUE INDEX data_keys_name ON data_keys(account, region, name);
CREATE INDEX data_keys_scope ON data_keys(account, region, created_at, seq);
CREATE INDEX data_keys_deletion ON data_keys(state, deletion_date);
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
CREATE TABLE credentials (
    seq BIGSERIAL NOT NULL,
    secret_id TEXT PRIMARY KEY,
    account BIGINT NOT NULL,
    sealed_secret BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE nonces (
    account BIGINT NOT NULL,
    key BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE INDEX nonces_expiry ON nonces(expires_at);
";

pub(super) const CMK_COLUMNS: &str =
    "key_id, account, region, alias, description, usage, cipher, origin, state, \
     created_at, deletion_date, rotation_enabled, rotate_days, next_rotate_time, \
     last_rotate_time, current_version, tags, revision, valid_to, import_fingerprint";

const INSERT_CMK: &str = "INSERT INTO cmks (key_id, account, region, alias, \
     description, usage, cipher, origin, state, created_at, deletion_date, rotation_enabled, \
     rotate_days, next_rotate_time, last_rotate_time, current_version, tags, revision, \
     valid_to, import_fingerprint) VALUES \
     ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)";

pub(super) const IMPORT_TOKEN_COLUMNS: &str =
    "token_id, key_id, account, region, wrapping_algorithm, wrapping_spec, \
     sealed_private_key, created_at, expires_at, used_at";

pub(super) const DATA_KEY_COLUMNS: &str =
    "data_key_id, account, region, key_id, name, description, length, \
     state, origin, created_at, deletion_date, tags, blob, context, revision";

const INSERT_DATA_KEY: &str = "INSERT INTO data_keys (data_key_id, account, region, \
     key_id, name, description, length, state, origin, created_at, deletion_date, tags, blob, \
     context, revision) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)";

pub(super) const CREDENTIAL_COLUMNS: &str = "secret_id, account, sealed_secret, created_at";

/// A database error as a store error: a unique violation on `constraint` becomes
/// `on_unique(constraint)`; anything else is a backend failure, described by
/// PostgreSQL's code and message only (its DETAIL may quote row values).
pub(super) fn db_error(
    e: tokio_postgres::Error,
    on_unique: impl Fn(&str) -> Option<StoreError>,
) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION {
            if let Some(mapped) = db.constraint().and_then(&on_unique) {
                return mapped;
            }
        }
        return StoreError::Backend(format!(
            "PostgreSQL {} {}: {}",
            db.severity(),
            db.code().code(),
            db.message()
        ));
    }
    StoreError::Backend(format!("PostgreSQL: {e}"))
}

pub(super) fn backend(e: tokio_postgres::Error) -> StoreError {
    db_error(e, |_| None)
}

fn tags_to_json(tags: &[Tag]) -> String {
    let pairs: Vec<[&str; 2]> = tags
        .iter()
        .map(|t| [t.key.as_str(), t.value.as_str()])
        .collect();
    serde_json::to_string(&pairs).expect("tags serialise")
}

fn tags_from_json(text: &str) -> StoreResult<Vec<Tag>> {
    let pairs: Vec<(String, String)> = serde_json::from_str(text).map_err(|_| corrupt("tags"))?;
    Ok(pairs
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("corrupt {what} in a stored row"))
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> StoreResult<T> {
    row.try_get(i).map_err(backend)
}

fn unsigned<T: TryFrom<i64>>(row: &Row, i: usize, what: &str) -> StoreResult<T> {
    T::try_from(get::<i64>(row, i)?).map_err(|_| corrupt(what))
}

pub(super) fn row_to_cmk(row: &Row) -> StoreResult<Cmk> {
    let usage: &str = get(row, 5)?;
    let cipher: i16 = get(row, 6)?;
    let origin: &str = get(row, 7)?;
    let state: &str = get(row, 8)?;
    Ok(Cmk {
        key_id: get(row, 0)?,
        scope: Scope {
            account: unsigned(row, 1, "account")?,
            region: get(row, 2)?,
        },
        alias: get(row, 3)?,
        description: get(row, 4)?,
        usage: KeyUsage::parse(usage).ok_or_else(|| corrupt("usage"))?,
        spec: u8::try_from(cipher)
            .ok()
            .and_then(KeySpec::from_code)
            .ok_or_else(|| corrupt("cipher"))?,
        origin: Origin::parse(origin).ok_or_else(|| corrupt("origin"))?,
        state: KeyState::parse(state).ok_or_else(|| corrupt("state"))?,
        created_at: get(row, 9)?,
        deletion_date: get(row, 10)?,
        rotation_enabled: get(row, 11)?,
        rotate_days: unsigned(row, 12, "rotate_days")?,
        next_rotate_time: get(row, 13)?,
        last_rotate_time: get(row, 14)?,
        current_version: unsigned(row, 15, "current_version")?,
        tags: tags_from_json(get(row, 16)?)?,
        revision: unsigned(row, 17, "revision")?,
        valid_to: get(row, 18)?,
        import_fingerprint: get(row, 19)?,
    })
}

pub(super) fn row_to_import_token(row: &Row) -> StoreResult<ImportToken> {
    Ok(ImportToken {
        token_id: get(row, 0)?,
        key_id: get(row, 1)?,
        scope: Scope {
            account: unsigned(row, 2, "account")?,
            region: get(row, 3)?,
        },
        wrapping_algorithm: get(row, 4)?,
        wrapping_spec: get(row, 5)?,
        sealed_private_key: get(row, 6)?,
        created_at: get(row, 7)?,
        expires_at: get(row, 8)?,
        used_at: get(row, 9)?,
    })
}

pub(super) async fn insert_import_token<C: GenericClient>(
    c: &C,
    t: &ImportToken,
) -> StoreResult<()> {
    c.execute(
        &format!(
            "INSERT INTO import_tokens ({IMPORT_TOKEN_COLUMNS}) VALUES \
             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
        ),
        &[
            &t.token_id,
            &t.key_id,
            &(t.scope.account as i64),
            &t.scope.region,
            &t.wrapping_algorithm,
            &t.wrapping_spec,
            &t.sealed_private_key,
            &t.created_at,
            &t.expires_at,
            &t.used_at,
        ],
    )
    .await
    .map_err(|e| {
        db_error(e, |constraint| {
            (constraint == "import_tokens_pkey").then_some(StoreError::AlreadyExists)
        })
    })?;
    Ok(())
}

pub(super) fn row_to_data_key(row: &Row) -> StoreResult<DataKey> {
    let state: &str = get(row, 7)?;
    let origin: &str = get(row, 8)?;
    Ok(DataKey {
        data_key_id: get(row, 0)?,
        scope: Scope {
            account: unsigned(row, 1, "account")?,
            region: get(row, 2)?,
        },
        key_id: get(row, 3)?,
        name: get(row, 4)?,
        description: get(row, 5)?,
        length: unsigned(row, 6, "length")?,
        state: DataKeyState::parse(state).ok_or_else(|| corrupt("state"))?,
        origin: Origin::parse(origin).ok_or_else(|| corrupt("origin"))?,
        created_at: get(row, 9)?,
        deletion_date: get(row, 10)?,
        tags: tags_from_json(get(row, 11)?)?,
        blob: get(row, 12)?,
        context: get(row, 13)?,
        revision: unsigned(row, 14, "revision")?,
    })
}

pub(super) fn row_to_credential(row: &Row) -> StoreResult<Credential> {
    Ok(Credential {
        secret_id: get(row, 0)?,
        account: unsigned(row, 1, "account")?,
        sealed_secret: get(row, 2)?,
        created_at: get(row, 3)?,
    })
}

pub(super) async fn insert_cmk<C: GenericClient>(c: &C, cmk: &Cmk) -> StoreResult<()> {
    c.execute(
        INSERT_CMK,
        &[
            &cmk.key_id,
            &(cmk.scope.account as i64),
            &cmk.scope.region,
            &cmk.alias,
            &cmk.description,
            &cmk.usage.as_str(),
            &(cmk.spec.code() as i16),
            &cmk.origin.as_str(),
            &cmk.state.as_str(),
            &cmk.created_at,
            &cmk.deletion_date,
            &cmk.rotation_enabled,
            &(cmk.rotate_days as i64),
            &cmk.next_rotate_time,
            &cmk.last_rotate_time,
            &(cmk.current_version as i64),
            &tags_to_json(&cmk.tags),
            &(cmk.revision as i64),
            &cmk.valid_to,
            &cmk.import_fingerprint,
        ],
    )
    .await
    .map_err(|e| {
        db_error(e, |constraint| match constraint {
            "cmks_alias" => Some(StoreError::AliasExists),
            "cmks_pkey" => Some(StoreError::AlreadyExists),
            _ => None,
        })
    })?;
    Ok(())
}

pub(super) async fn insert_data_key<C: GenericClient>(c: &C, key: &DataKey) -> StoreResult<()> {
    c.execute(
        INSERT_DATA_KEY,
        &[
            &key.data_key_id,
            &(key.scope.account as i64),
            &key.scope.region,
            &key.key_id,
            &key.name,
            &key.description,
            &(key.length as i64),
            &key.state.as_str(),
            &key.origin.as_str(),
            &key.created_at,
            &key.deletion_date,
            &tags_to_json(&key.tags),
            &key.blob,
            &key.context,
            &(key.revision as i64),
        ],
    )
    .await
    .map_err(|e| {
        db_error(e, |constraint| match constraint {
            "data_keys_name" => Some(StoreError::DataKeyNameExists),
            "data_keys_pkey" => Some(StoreError::AlreadyExists),
            _ => None,
        })
    })?;
    Ok(())
}

pub(super) async fn insert_material<C: GenericClient>(
    c: &C,
    key_id: &str,
    version: u32,
    sealed: &[u8],
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO cmk_material (key_id, version, sealed) VALUES ($1, $2, $3)",
        &[&key_id, &(version as i64), &sealed],
    )
    .await
    .map_err(|e| {
        db_error(e, |constraint| {
            (constraint == "cmk_material_pkey").then_some(StoreError::Conflict)
        })
    })?;
    Ok(())
}

pub(super) async fn insert_credential<C: GenericClient>(
    c: &C,
    cred: &Credential,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO credentials (secret_id, account, sealed_secret, created_at) \
         VALUES ($1, $2, $3, $4)",
        &[
            &cred.secret_id,
            &(cred.account as i64),
            &cred.sealed_secret,
            &cred.created_at,
        ],
    )
    .await
    .map_err(|e| {
        db_error(e, |constraint| {
            (constraint == "credentials_pkey").then_some(StoreError::AlreadyExists)
        })
    })?;
    Ok(())
}

/// Writes every mutable column of `cmk` if its stored revision is unchanged. Under
/// PostgreSQL's READ COMMITTED, the `WHERE revision=` is re-checked against the newest
/// committed row after any concurrent writer finishes, so of two replicas updating
/// from the same revision exactly one succeeds: no lost update.
pub(super) async fn update_cmk_row<C: GenericClient>(c: &C, cmk: &Cmk) -> StoreResult<Cmk> {
    let n = c
        .execute(
            "UPDATE cmks SET alias=$2, description=$3, state=$4, deletion_date=$5, \
             rotation_enabled=$6, rotate_days=$7, next_rotate_time=$8, last_rotate_time=$9, \
             current_version=$10, tags=$11, valid_to=$13, import_fingerprint=$14, \
             revision=revision+1 WHERE key_id=$1 AND revision=$12",
            &[
                &cmk.key_id,
                &cmk.alias,
                &cmk.description,
                &cmk.state.as_str(),
                &cmk.deletion_date,
                &cmk.rotation_enabled,
                &(cmk.rotate_days as i64),
                &cmk.next_rotate_time,
                &cmk.last_rotate_time,
                &(cmk.current_version as i64),
                &tags_to_json(&cmk.tags),
                &(cmk.revision as i64),
                &cmk.valid_to,
                &cmk.import_fingerprint,
            ],
        )
        .await
        .map_err(|e| {
            db_error(e, |constraint| {
                (constraint == "cmks_alias").then_some(StoreError::AliasExists)
            })
        })?;
    if n == 0 {
        return Err(
            conflict_or_missing(c, "SELECT 1 FROM cmks WHERE key_id=$1", &cmk.key_id).await,
        );
    }
    let mut stored = cmk.clone();
    stored.revision += 1;
    Ok(stored)
}

/// After an update matched no row: `Conflict` if the record exists (another writer
/// moved its revision), `NotFound` if it does not.
pub(super) async fn conflict_or_missing<C: GenericClient>(
    c: &C,
    sql: &str,
    id: &str,
) -> StoreError {
    match c.query_opt(sql, &[&id]).await {
        Ok(Some(_)) => StoreError::Conflict,
        Ok(None) => StoreError::NotFound,
        Err(e) => backend(e),
    }
}

pub(super) async fn update_data_key_row<C: GenericClient>(
    c: &C,
    key: &DataKey,
) -> StoreResult<DataKey> {
    let n = c
        .execute(
            "UPDATE data_keys SET name=$2, description=$3, state=$4, deletion_date=$5, \
             tags=$6, revision=revision+1 WHERE data_key_id=$1 AND revision=$7",
            &[
                &key.data_key_id,
                &key.name,
                &key.description,
                &key.state.as_str(),
                &key.deletion_date,
                &tags_to_json(&key.tags),
                &(key.revision as i64),
            ],
        )
        .await
        .map_err(|e| {
            db_error(e, |constraint| {
                (constraint == "data_keys_name").then_some(StoreError::DataKeyNameExists)
            })
        })?;
    if n == 0 {
        return Err(conflict_or_missing(
            c,
            "SELECT 1 FROM data_keys WHERE data_key_id=$1",
            &key.data_key_id,
        )
        .await);
    }
    let mut stored = key.clone();
    stored.revision += 1;
    Ok(stored)
}

use tokio_postgres::GenericClient;
