//! Optimistic concurrency for the core's records (CMKs and hosted data keys).

use super::error::{Error, Internal, Resource, Result};
use crate::store::{StoreError, StoreResult};

/// How often an update is retried when another writer changed the record in between.
pub(crate) const CONFLICT_RETRIES: usize = 16;

/// Optimistic read-modify-write, shared by CMKs and hosted data keys: `read` the
/// record, let `change` edit it, `write` it back under the store's revision check, and
/// start again from a fresh read if another writer got in between. An edit that
/// changes nothing writes nothing. Any other store refusal goes through `refused`,
/// which knows the record's kind and names.
pub(crate) async fn read_modify_write<T, R, W>(
    (what, id): (Resource, &str),
    read: impl Fn() -> R,
    change: impl Fn(&mut T) -> Result<()>,
    write: impl Fn(T) -> W,
    refused: impl Fn(StoreError, T) -> Error,
) -> Result<T>
where
    T: Clone + PartialEq,
    R: std::future::Future<Output = Result<T>>,
    W: std::future::Future<Output = StoreResult<T>>,
{
    for _ in 0..CONFLICT_RETRIES {
        let mut record = read().await?;
        let before = record.clone();
        change(&mut record)?;
        if record == before {
            return Ok(record);
        }
        match write(record.clone()).await {
            Ok(stored) => return Ok(stored),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(refused(e, record)),
        }
    }
    Err(Internal::Contended {
        what,
        id: id.to_string(),
    }
    .into())
}
