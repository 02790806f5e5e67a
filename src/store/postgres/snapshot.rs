//! Every record out of the database, and into an empty one (`smkms store copy`).

use super::rows::{
    backend, insert_cmk, insert_credential, insert_data_key, insert_import_token, insert_material,
    row_to_cmk, row_to_credential, row_to_data_key, row_to_import_token, CMK_COLUMNS,
    CREDENTIAL_COLUMNS, DATA_KEY_COLUMNS, IMPORT_TOKEN_COLUMNS,
};
use crate::store::{Snapshot, StoreError, StoreResult};
use deadpool_postgres::Object;

pub(super) fn row_to_material(r: &tokio_postgres::Row) -> StoreResult<(String, u32, Vec<u8>)> {
    let version: i64 = r.try_get(1).map_err(backend)?;
    Ok((
        r.try_get(0).map_err(backend)?,
        u32::try_from(version)
            .map_err(|_| StoreError::Backend("corrupt version in a stored row".into()))?,
        r.try_get(2).map_err(backend)?,
    ))
}

/// One consistent view (a REPEATABLE READ transaction), rows in creation order.
pub(super) async fn export(c: &mut Object) -> StoreResult<Snapshot> {
    let tx = c
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(backend)?;
    let rows = |sql: String| {
        let tx = &tx;
        async move { tx.query(&sql, &[]).await.map_err(backend) }
    };
    let snapshot = Snapshot {
        cmks: rows(format!("SELECT {CMK_COLUMNS} FROM cmks ORDER BY seq"))
            .await?
            .iter()
            .map(row_to_cmk)
            .collect::<StoreResult<_>>()?,
        materials: rows(
            "SELECT key_id, version, sealed FROM cmk_material ORDER BY key_id, version".into(),
        )
        .await?
        .iter()
        .map(row_to_material)
        .collect::<StoreResult<_>>()?,
        data_keys: rows(format!(
            "SELECT {DATA_KEY_COLUMNS} FROM data_keys ORDER BY seq"
        ))
        .await?
        .iter()
        .map(row_to_data_key)
        .collect::<StoreResult<_>>()?,
        credentials: rows(format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY seq"
        ))
        .await?
        .iter()
        .map(row_to_credential)
        .collect::<StoreResult<_>>()?,
        meta: rows("SELECT name, value FROM meta ORDER BY name".into())
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(backend)?,
                    r.try_get(1).map_err(backend)?,
                ))
            })
            .collect::<StoreResult<_>>()?,
        import_tokens: rows(format!(
            "SELECT {IMPORT_TOKEN_COLUMNS} FROM import_tokens ORDER BY seq"
        ))
        .await?
        .iter()
        .map(row_to_import_token)
        .collect::<StoreResult<_>>()?,
    };
    tx.commit().await.map_err(backend)?;
    Ok(snapshot)
}

/// All or nothing, into a database with no record. The tables are locked first, so a
/// replica started on the target meanwhile cannot slip a record in between the check
/// and the copy.
pub(super) async fn import(c: &mut Object, s: &Snapshot) -> StoreResult<()> {
    let tx = c.transaction().await.map_err(backend)?;
    tx.batch_execute(
        "LOCK TABLE cmks, cmk_material, data_keys, credentials, meta, import_tokens \
         IN EXCLUSIVE MODE",
    )
    .await
    .map_err(backend)?;
    let held: i64 = tx
        .query_one(
            "SELECT (SELECT COUNT(*) FROM cmks) + (SELECT COUNT(*) FROM cmk_material) \
             + (SELECT COUNT(*) FROM data_keys) + (SELECT COUNT(*) FROM credentials) \
             + (SELECT COUNT(*) FROM meta) + (SELECT COUNT(*) FROM import_tokens)",
            &[],
        )
        .await
        .map_err(backend)?
        .get(0);
    if held > 0 {
        return Err(StoreError::NotEmpty(format!("{held} records")));
    }
    for cmk in &s.cmks {
        insert_cmk(&*tx, cmk).await?;
    }
    for (key_id, version, sealed) in &s.materials {
        insert_material(&*tx, key_id, *version, sealed).await?;
    }
    for key in &s.data_keys {
        insert_data_key(&*tx, key).await?;
    }
    for cred in &s.credentials {
        insert_credential(&*tx, cred).await?;
    }
    for (name, value) in &s.meta {
        tx.execute(
            "INSERT INTO meta (name, value) VALUES ($1, $2)",
            &[name, value],
        )
        .await
        .map_err(backend)?;
    }
    for t in &s.import_tokens {
        insert_import_token(&*tx, t).await?;
    }
    tx.batch_execute(super::rows::RECOUNT)
        .await
        .map_err(backend)?;
    tx.commit().await.map_err(backend)
}
