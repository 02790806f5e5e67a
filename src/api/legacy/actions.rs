//! The legacy actions: read parameters, call the core, shape the answer.

use super::errors::{from_core, LegacyError};
use super::{ALIAS_CHARS, DEFAULT_LIMIT, KEY_USAGE, MAX_LIMIT};
use crate::api::Api;
use crate::b64;
use crate::crypto::cmk::CmkCipher;
use crate::kms::keys::NewKey;
use crate::kms::rules::{data_key_len, MAX_DATA_KEY};
use crate::kms::{Error, RequestContext};
use crate::model::{Cmk, KeyUsage, Origin};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Who is calling, for which scope: the core's context, and the API to call.
pub(super) struct Call<'a> {
    pub api: &'a Api,
    pub ctx: RequestContext,
}

/// An action's parameters. Each getter removes what it reads, so `finish` can name a
/// parameter nobody asked for.
pub(super) struct Args {
    pub map: BTreeMap<String, String>,
}

impl Args {
    fn opt_str(&mut self, name: &str) -> Option<String> {
        self.map.remove(name)
    }

    /// A required value; empty counts as missing.
    fn req_str(&mut self, name: &str) -> Result<String, LegacyError> {
        self.opt_str(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| LegacyError::missing(name))
    }

    /// An optional integer; empty counts as absent.
    fn opt_int(&mut self, name: &str) -> Result<Option<i64>, LegacyError> {
        match self.opt_str(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| LegacyError::wrong_type(format!("{name} must be an integer"))),
        }
    }

    fn key_id(&mut self) -> Result<String, LegacyError> {
        self.req_str("keyId")
    }

    /// `keyId`, or `KeyId` as the legacy Python SDK sends it to some actions.
    fn key_id_either(&mut self) -> Result<String, LegacyError> {
        match (self.opt_str("keyId"), self.opt_str("KeyId")) {
            (Some(_), Some(_)) => Err(LegacyError::bad_request(
                "give the key once, as keyId or as KeyId",
            )),
            (Some(v), None) | (None, Some(v)) if !v.is_empty() => Ok(v),
            _ => Err(LegacyError::missing("keyId")),
        }
    }

    fn finish(self) -> Result<(), LegacyError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(k) => Err(LegacyError::unknown_parameter(k)),
        }
    }
}

/// An action's failure in this dialect (see [`crate::api::Fail`]).
type Fail = crate::api::Fail<LegacyError>;

impl From<LegacyError> for Fail {
    fn from(e: LegacyError) -> Self {
        Fail::Dialect(e)
    }
}

type Handled = Result<Map<String, Value>, Fail>;

pub(super) async fn dispatch(call: &Call<'_>, p: Args) -> Result<Map<String, Value>, LegacyError> {
    let r = match call.ctx.action.as_str() {
        "CreateKey" => create_key(call, p).await,
        "GetKeyAttributes" => get_key_attributes(call, p).await,
        "SetKeyAttributes" => set_key_attributes(call, p).await,
        "ListKey" => list_key(call, p).await,
        "GenerateDataKey" => generate_data_key(call, p).await,
        "Encrypt" => encrypt(call, p).await,
        "Decrypt" => decrypt(call, p).await,
        "EnableKey" => change(call, p, Change::Enable).await,
        "DisableKey" => change(call, p, Change::Disable).await,
        "ScheduleKeyDeletion" => schedule_key_deletion(call, p).await,
        "CancelKeyDeletion" => change(call, p, Change::CancelDeletion).await,
        other => Err(LegacyError::no_such_action(other).into()),
    };
    r.map_err(|f| match f {
        Fail::Dialect(e) => e,
        Fail::Core(e) => from_core(&call.ctx.action, e, &call.ctx.request_id),
    })
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("answers are objects"),
    }
}

fn usage(k: &Cmk) -> &'static str {
    match k.usage {
        KeyUsage::EncryptDecrypt => KEY_USAGE,
        other => other.as_str(),
    }
}

/// keyMetadata as CreateKey answers it.
fn key_metadata(k: &Cmk) -> Map<String, Value> {
    obj(json!({
        "keyId": k.key_id,
        "alias": k.alias,
        "createTime": k.created_at,
        "description": k.description,
        "keyState": k.state.as_str(),
        "keyUsage": usage(k),
    }))
}

fn check_alias(alias: &str) -> Result<(), LegacyError> {
    let n = alias.chars().count();
    if !ALIAS_CHARS.contains(&n) {
        return Err(LegacyError::out_of_range(format!(
            "alias must be {} to {} characters, got {n}",
            ALIAS_CHARS.start(),
            ALIAS_CHARS.end()
        )));
    }
    Ok(())
}

async fn create_key(call: &Call<'_>, mut p: Args) -> Handled {
    let alias = p.req_str("alias")?;
    let description = p.opt_str("description").unwrap_or_default();
    let key_usage = p.opt_str("keyUsage").filter(|u| !u.is_empty());
    let kind = p.opt_int("type")?;
    let key_spec = p.opt_str("keySpec").filter(|s| !s.is_empty());
    p.finish()?;
    check_alias(&alias)?;
    if key_usage.is_some_and(|u| u != KEY_USAGE) {
        return Err(LegacyError::key_usage().into());
    }
    match kind.unwrap_or(1) {
        // 2 asks for material from a quantum random source; this server draws all
        // material from the OS CSPRNG, so both make the same kind of key.
        1 | 2 => {}
        t => {
            return Err(
                LegacyError::out_of_range(format!("type must be 1 (normal) or 2, got {t}")).into(),
            )
        }
    }
    let cipher = match key_spec {
        None => None,
        Some(s) => Some(CmkCipher::from_name(&s).ok_or_else(LegacyError::key_spec)?),
    };
    let k = call
        .api
        .kms
        .create_key(
            &call.ctx,
            NewKey {
                alias,
                description,
                usage: KeyUsage::EncryptDecrypt,
                origin: Origin::Kms,
                cipher,
                tags: Vec::new(),
            },
        )
        .await?;
    Ok(obj(json!({ "keyMetadata": key_metadata(&k) })))
}

async fn get_key_attributes(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id()?;
    p.finish()?;
    let k = call.api.kms.get_key(&call.ctx, &key_id).await?;
    let mut meta = key_metadata(&k);
    meta.insert("deleteTime".into(), json!(k.deletion_date));
    Ok(obj(json!({ "keyMetadata": meta })))
}

async fn set_key_attributes(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id()?;
    let alias = p.req_str("alias")?;
    p.finish()?;
    check_alias(&alias)?;
    call.api
        .kms
        .update_alias(&call.ctx, &key_id, &alias)
        .await?;
    Ok(Map::new())
}

async fn list_key(call: &Call<'_>, mut p: Args) -> Handled {
    let offset = p.opt_int("offset")?.unwrap_or(0);
    let limit = p.opt_int("limit")?.unwrap_or(DEFAULT_LIMIT);
    p.finish()?;
    if offset < 0 {
        return Err(LegacyError::out_of_range(format!(
            "offset must not be negative, got {offset}"
        ))
        .into());
    }
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(LegacyError::out_of_range(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {limit}"
        ))
        .into());
    }
    let page = call
        .api
        .kms
        .list_keys(&call.ctx, offset as u64, limit as u64)
        .await?;
    Ok(obj(json!({
        "totalCount": page.total,
        "keys": page.items.iter().map(|k| json!({"keyId": k.key_id})).collect::<Vec<_>>(),
    })))
}

async fn generate_data_key(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id()?;
    let spec = p.opt_str("keySpec").filter(|s| !s.is_empty());
    let n = p.opt_int("numberOfBytes")?;
    let context = p.opt_str("encryptionContext");
    p.finish()?;
    let spec_len = match spec.as_deref() {
        None => None,
        Some("AES_128") => Some(16),
        Some("AES_256") => Some(32),
        Some(_) => return Err(LegacyError::key_spec().into()),
    };
    // numberOfBytes wins over keySpec. The Java SDK sends numberOfBytes=0 when the
    // caller chose by keySpec, so 0 counts as not given.
    let len = match n {
        Some(n) if n != 0 => data_key_len(n).ok_or_else(|| {
            LegacyError::out_of_range(format!(
                "numberOfBytes must be between 1 and {MAX_DATA_KEY}, got {n}"
            ))
        })?,
        _ => spec_len.ok_or_else(|| {
            LegacyError::missing(&format!(
                "keySpec (AES_128 or AES_256) or numberOfBytes (1-{MAX_DATA_KEY})"
            ))
        })?,
    };
    let (data_key, blob, key) = call
        .api
        .kms
        .generate_data_key(&call.ctx, &key_id, len, context.as_deref())
        .await?;
    Ok(obj(json!({
        "keyId": key.key_id,
        "plaintext": b64::encode(data_key.expose()),
        "ciphertextBlob": b64::encode(&blob),
    })))
}

async fn encrypt(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id()?;
    let plaintext = p.req_str("plaintext")?;
    let context = p.opt_str("encryptionContext");
    p.finish()?;
    let plaintext = zeroize::Zeroizing::new(b64::decode(&plaintext).ok_or_else(|| {
        LegacyError::bad_request("plaintext must be base64 (standard alphabet, with padding)")
    })?);
    let (blob, key) = call
        .api
        .kms
        .encrypt(&call.ctx, &key_id, &plaintext, context.as_deref())
        .await?;
    Ok(obj(json!({
        "keyId": key.key_id,
        "ciphertextBlob": b64::encode(&blob),
    })))
}

async fn decrypt(call: &Call<'_>, mut p: Args) -> Handled {
    let blob = p.req_str("ciphertextBlob")?;
    let context = p.opt_str("encryptionContext");
    p.finish()?;
    let blob = b64::decode(&blob).ok_or(Error::InvalidCiphertext)?;
    let (plaintext, key) = call
        .api
        .kms
        .decrypt(&call.ctx, &blob, context.as_deref())
        .await?;
    Ok(obj(json!({
        "keyId": key.key_id,
        "plaintext": b64::encode(plaintext.expose()),
    })))
}

enum Change {
    Enable,
    Disable,
    CancelDeletion,
}

async fn change(call: &Call<'_>, mut p: Args, change: Change) -> Handled {
    let key_id = match change {
        Change::CancelDeletion => p.key_id_either()?,
        Change::Enable | Change::Disable => p.key_id()?,
    };
    p.finish()?;
    let (kms, s) = (&call.api.kms, &call.ctx);
    match change {
        Change::Enable => kms.enable_key(s, &key_id).await?,
        Change::Disable => kms.disable_key(s, &key_id).await?,
        Change::CancelDeletion => kms.cancel_key_deletion(s, &key_id).await?,
    };
    Ok(Map::new())
}

async fn schedule_key_deletion(call: &Call<'_>, mut p: Args) -> Handled {
    let key_id = p.key_id_either()?;
    let days = p
        .opt_int("pendingWindowInDays")?
        .ok_or_else(|| LegacyError::missing("pendingWindowInDays"))?;
    p.finish()?;
    if !(7..=30).contains(&days) {
        return Err(LegacyError::out_of_range(format!(
            "pendingWindowInDays must be between 7 and 30, got {days}"
        ))
        .into());
    }
    call.api
        .kms
        .schedule_key_deletion(&call.ctx, &key_id, days as u32)
        .await?;
    Ok(Map::new())
}
