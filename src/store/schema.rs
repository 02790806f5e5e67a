//! Versioned schemas. Each engine lists its migrations in order; migration `i` (from 0)
//! takes the database to version `i + 1`, and the database records the version it is
//! at in the table `smkms_schema`, in the same transaction as the migration itself. A
//! database at a version this build does not know was made by a newer smkms, whose
//! records this one could misread or overwrite: it is refused, never downgraded.

use super::{StoreError, StoreResult};

/// The table both engines keep their version in: one row, one column.
pub const VERSION_TABLE: &str = "smkms_schema";

/// The migrations to run on a database at version `found`, given `known` of them.
pub fn pending(found: i64, known: usize) -> StoreResult<std::ops::Range<usize>> {
    let known_version = known as i64;
    if found > known_version {
        return Err(StoreError::SchemaTooNew {
            found,
            known: known_version,
        });
    }
    Ok(found.max(0) as usize..known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_is_refused_older_is_brought_forward() {
        assert_eq!(pending(0, 2).unwrap(), 0..2);
        assert_eq!(pending(1, 2).unwrap(), 1..2);
        assert!(pending(2, 2).unwrap().is_empty());
        let e = pending(3, 2).unwrap_err();
        assert_eq!(e, StoreError::SchemaTooNew { found: 3, known: 2 });
        assert!(e.to_string().contains("version 3"), "{e}");
    }
}
