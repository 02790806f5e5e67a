//! Rules on request values that several parts of the core share: identifiers, names,
//! descriptions, tags, batches, data-key lengths, paging, and the state checks. One
//! place, so that a limit is stated once and every dialect refuses the same inputs.
//! Imports only the leaves of the core (errors, the state tables, the records).

use super::error::{Error, Field, Result};
use super::states::{allowed, Op};
use crate::crypto::cmk::CmkCipher;
use crate::crypto::context;
use crate::model::{Cmk, KeySpec, KeyUsage, Tag};
use std::ops::RangeInclusive;

/// The longest data key, in bytes.
pub const MAX_DATA_KEY: usize = 1024;

/// Data keys (GenerateDataKey, hosted data keys, imported data keys) are 1 to 1024
/// bytes, the range of Tencent's `NumberOfBytes`; Huawei's `datakey_length` (bits) and
/// the legacy `numberOfBytes` are held to the same range. Dialects check with
/// [`data_key_len`] and name the bounds from here in their own messages.
pub const DATA_KEY_BYTES: RangeInclusive<usize> = 1..=MAX_DATA_KEY;

/// `n` as a data-key length in bytes, if it is one.
pub fn data_key_len(n: impl TryInto<usize>) -> Option<usize> {
    n.try_into().ok().filter(|n| DATA_KEY_BYTES.contains(n))
}

/// GenerateRandom returns 1 to 1024 bytes, as the Tencent API documents.
pub const RANDOM_BYTES: RangeInclusive<usize> = 1..=1024;

/// Aliases as every dialect may store them: the widest rule of all dialects (Huawei's
/// `[a-zA-Z0-9:/_-]{1,255}`). Each dialect checks its own, narrower rule first.
pub fn check_alias_charset(alias: &str) -> Result<()> {
    if alias.is_empty() || alias.len() > 255 {
        return Err(Error::invalid(Field::Alias, "must be 1 to 255 characters"));
    }
    if !alias
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':' | b'/'))
    {
        return Err(Error::invalid(
            Field::Alias,
            "may contain only letters, digits, '_', '-', ':' and '/'",
        ));
    }
    Ok(())
}

pub const MAX_DESCRIPTION_BYTES: usize = 1024;
pub const MAX_BATCH: usize = 100;
pub const MAX_TAGS: usize = 50;

/// Text a store keeps must not hold U+0000: PostgreSQL's text type cannot, and a
/// description or tag that one engine keeps and another refuses would make `store
/// copy` fail on records a client was told were saved.
pub(crate) fn nul_free(field: Field, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(Error::invalid(
            field,
            "must not contain the NUL character (U+0000)",
        ));
    }
    Ok(())
}

pub(crate) fn check_description(d: &str) -> Result<()> {
    nul_free(Field::Description, d)?;
    if d.len() > MAX_DESCRIPTION_BYTES {
        return Err(Error::invalid(
            Field::Description,
            format!(
                "is {} bytes; at most {MAX_DESCRIPTION_BYTES} are allowed",
                d.len()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn check_tags(tags: &[Tag]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            Field::Tags,
            format!("at most {MAX_TAGS} tags are allowed"),
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        nul_free(Field::Tags, &t.key)?;
        nul_free(Field::Tags, &t.value)?;
        if t.key.is_empty() || t.key.chars().count() > 127 {
            return Err(Error::invalid(
                Field::Tags,
                "a tag key must be 1 to 127 characters",
            ));
        }
        if t.value.chars().count() > 255 {
            return Err(Error::invalid(
                Field::Tags,
                "a tag value must be at most 255 characters",
            ));
        }
        if tags[..i].iter().any(|u| u.key == t.key) {
            return Err(Error::Duplicate {
                field: Field::Tags,
                value: t.key.clone(),
            });
        }
    }
    Ok(())
}

/// Key ids are UUIDs. Parsing them first means a malformed id gets its own error rather
/// than "not found", and the stored form (lowercase, hyphenated) is the only one.
pub fn parse_key_id(id: &str) -> Result<String> {
    parse_uuid(id, Field::KeyId)
}

pub(crate) fn parse_uuid(id: &str, field: Field) -> Result<String> {
    match uuid::Uuid::try_parse(id) {
        Ok(u) if id.len() == 36 => Ok(u.hyphenated().to_string()),
        _ => Err(Error::invalid(
            field,
            format!("{id:?} is not an id of the form 1b7c6a3e-2f0d-4c5b-9a8e-0d1f2e3c4b5a"),
        )),
    }
}

pub(crate) fn page<T>(all: Vec<T>, offset: u64, limit: u64) -> Page<T> {
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip(offset.min(usize::MAX as u64) as usize)
        .take(limit.min(usize::MAX as u64) as usize)
        .collect();
    Page { total, items }
}

pub struct Page<T> {
    pub total: u64,
    pub items: Vec<T>,
}

/// The symmetric cipher of `k`, for `op`. Every operation that uses a key's material
/// as a symmetric key (Encrypt, Decrypt, ReEncrypt, GenerateDataKey, hosted data keys,
/// rotation, and the Huawei and legacy paths that reach them) takes its cipher from
/// here and nowhere else, so an asymmetric key's private key can never be used as
/// symmetric material: such a key answers [`Error::WrongUsage`].
pub fn symmetric_cipher(k: &Cmk, op: Op) -> Result<CmkCipher> {
    match k.spec {
        KeySpec::Symmetric(c) if k.usage == KeyUsage::EncryptDecrypt => Ok(c),
        _ => Err(Error::WrongUsage {
            key_id: k.key_id.clone(),
            usage: k.usage,
            op,
        }),
    }
}

pub(crate) fn require(k: &Cmk, op: Op) -> Result<()> {
    if allowed(op, k.state) {
        Ok(())
    } else {
        Err(Error::WrongState {
            key_id: k.key_id.clone(),
            state: k.state,
            op,
        })
    }
}

/// A batch of 1 to 100 distinct ids, each parsed by `parse`.
pub(crate) fn check_id_batch(
    ids: &[String],
    field: Field,
    parse: fn(&str) -> Result<String>,
) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Err(Error::invalid(field, "must name at least one key"));
    }
    if ids.len() > MAX_BATCH {
        return Err(Error::invalid(
            field,
            format!("names {} keys; at most {MAX_BATCH} are allowed", ids.len()),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = parse(id)?;
        if out.contains(&id) {
            return Err(Error::Duplicate { field, value: id });
        }
        out.push(id);
    }
    Ok(out)
}

pub fn parse_data_key_id(id: &str) -> Result<String> {
    parse_uuid(id, Field::DataKeyId)
}

pub fn check_data_key_len(n: usize) -> Result<()> {
    if !DATA_KEY_BYTES.contains(&n) {
        return Err(Error::invalid(
            Field::NumberOfBytes,
            format!(
                "must be between {} and {}, got {n}",
                DATA_KEY_BYTES.start(),
                DATA_KEY_BYTES.end()
            ),
        ));
    }
    Ok(())
}

/// The canonical form of an EncryptionContext (the AAD it is bound as), or the reason
/// it is refused.
pub fn canonical_context(text: Option<&str>) -> Result<Vec<u8>> {
    context::canonical(text).map_err(|reason| Error::invalid(Field::EncryptionContext, reason))
}
