//! The actions: read the body, call the core, shape Huawei's answer.
//!
//! How Huawei's envelope formats map onto the core:
//! - create-datakey, create-datakey-without-plaintext and encrypt-datakey return the
//!   CiphertextBlob (DESIGN.md §2) as upper-case hex in `cipher_text`; decrypt-datakey
//!   takes it back. encrypt-data returns the same blob as base64 (Huawei documents
//!   base64 there) and decrypt-data takes it back. So a Tencent `CiphertextBlob` is a
//!   Huawei decrypt-data `cipher_text` as is, and decrypt-datakey's after base64→hex.
//! - `additional_authenticated_data` (at most 128 bytes) is bound as the
//!   EncryptionContext `{"additional_authenticated_data": "<aad>"}`; an empty string
//!   is no AAD. A Tencent client opens such a blob with exactly that context.
//! - encrypt-datakey takes hex(DEK ‖ digest), the digest SHA-256 for an AES_256 key and
//!   SM3 for an SM4 key; decrypt-datakey answers the DEK and its SHA-256.

use super::body::Body;
use super::errors::{from_core, key_state, HwError};
use super::{Action, Call};
use crate::b64;
use crate::crypto::cmk::CmkCipher;
use crate::kms::keys::{KeyFilter, NewKey};
use crate::kms::rules::{self, data_key_len, MAX_DATA_KEY};
use crate::kms::states::Op;
use crate::model::{Cmk, KeyState, KeyUsage, Origin};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The EncryptionContext key Huawei's AAD is bound under.
pub const AAD_KEY: &str = "additional_authenticated_data";
const MAX_AAD: usize = 128;
const MAX_DESCRIPTION_CHARS: usize = 255;
/// list-keys page size: the default and the largest allowed.
const MAX_LIMIT: u64 = 1000;
/// Huawei's key_spec values for keys this server does not create (yet).
pub(super) const ASYMMETRIC_OR_HMAC_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_P256",
    "EC_P384",
    "SECP256K1",
    "SM2",
    "ED25519",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "HMAC_SM3",
];

/// An action's failure in this dialect (see [`crate::api::Fail`]).
pub(crate) type Fail = crate::api::Fail<HwError>;

impl From<HwError> for Fail {
    fn from(e: HwError) -> Self {
        Fail::Dialect(e)
    }
}

pub(super) type Handled = Result<Map<String, Value>, Fail>;

pub(crate) async fn dispatch(call: &Call<'_>, b: Body) -> Result<Map<String, Value>, HwError> {
    let r = match call.action {
        Action::CreateKey => create_key(call, b).await,
        Action::CreateDatakey => create_datakey(call, b, true).await,
        Action::CreateDatakeyWithoutPlaintext => create_datakey(call, b, false).await,
        Action::EncryptDatakey => encrypt_datakey(call, b).await,
        Action::DecryptDatakey => decrypt_datakey(call, b).await,
        Action::EncryptData => encrypt_data(call, b).await,
        Action::DecryptData => decrypt_data(call, b).await,
        Action::DescribeKey => describe_key(call, b).await,
        Action::ListKeys => list_keys(call, b).await,
        Action::EnableKey => super::lifecycle::enable_key(call, b).await,
        Action::DisableKey => super::lifecycle::disable_key(call, b).await,
        Action::ScheduleKeyDeletion => super::lifecycle::schedule_key_deletion(call, b).await,
        Action::CancelKeyDeletion => super::lifecycle::cancel_key_deletion(call, b).await,
        Action::UpdateKeyAlias => super::lifecycle::update_key_alias(call, b).await,
        Action::UpdateKeyDescription => super::lifecycle::update_key_description(call, b).await,
        Action::GenRandom => gen_random(call, b).await,
        Action::EnableKeyRotation => super::rotation::enable(call, b).await,
        Action::DisableKeyRotation => super::rotation::disable(call, b).await,
        Action::GetKeyRotationStatus => super::rotation::status(call, b).await,
        Action::UpdateKeyRotationInterval => super::rotation::update_interval(call, b).await,
        Action::RotateOnDemand => super::rotation::rotate_on_demand(call, b).await,
        Action::ReEncrypt => super::reencrypt::re_encrypt(call, b).await,
        Action::CreateTag => super::tags::create(call, b).await,
        Action::ShowTags => super::tags::show(call, b).await,
        Action::BatchTags => super::tags::batch(call, b).await,
        Action::DeleteTag => super::tags::delete(call, b).await,
        Action::ListProjectTags => super::tags::list_project(call, b).await,
        Action::ListByTags => super::tags::list_by_tags(call, b).await,
        Action::GetPublicKey => super::asymmetric::get_public_key(call, b).await,
        Action::Sign => super::asymmetric::sign(call, b).await,
        Action::Verify => super::asymmetric::verify(call, b).await,
        Action::GetParametersForImport => super::import::get_parameters(call, b).await,
        Action::ImportKeyMaterial => super::import::import_material(call, b).await,
        Action::DeleteImportedKeyMaterial => super::import::delete_material(call, b).await,
    };
    r.map_err(|f| match f {
        Fail::Dialect(e) => e,
        Fail::Core(e) => from_core(call.action, e, &call.ctx.request_id),
    })
}

pub(super) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("answers are objects"),
    }
}

/// Huawei's key id rule (`^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`,
/// KMS.0205); the core then requires a UUID, which every smkms key id is.
pub(super) fn check_key_id(id: &str) -> Result<(), HwError> {
    let ok = id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_digit() || b.is_ascii_lowercase()
            }
        });
    if ok {
        Ok(())
    } else {
        Err(HwError::bad(
            "KMS.0205",
            format!("key_id {id:?} is not a key id such as 0d0466b0-e727-4d9c-b35d-f84bb474a37f"),
        ))
    }
}

pub(super) fn key_id(b: &mut Body) -> Result<String, HwError> {
    let id = b.req_str("key_id", "KMS.0205")?;
    check_key_id(&id)?;
    Ok(id)
}

/// Huawei's alias rule: `^[a-zA-Z0-9:/_-]{1,255}$`, and not ending in `/default`
/// (reserved for the default keys cloud services create).
pub(super) fn check_alias(alias: &str) -> Result<(), HwError> {
    let ok = (1..=255).contains(&alias.len())
        && alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'));
    if !ok {
        return Err(HwError::bad(
            "KMS.1101",
            format!("key_alias {alias:?} must be 1 to 255 letters, digits, ':', '/', '_' or '-'"),
        ));
    }
    if alias.ends_with("/default") {
        return Err(HwError::bad(
            "KMS.1101",
            format!(
                "key_alias {alias:?} ends in /default, which is reserved for service default keys"
            ),
        ));
    }
    Ok(())
}

pub(super) fn check_description(d: &str) -> Result<(), HwError> {
    let n = d.chars().count();
    if n > MAX_DESCRIPTION_CHARS {
        return Err(HwError::bad(
            "KMS.1103",
            format!(
                "key_description is {n} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"
            ),
        ));
    }
    Ok(())
}

/// A service default key (alias `…/default`) cannot be changed (KMS.0211). Neither
/// dialect can create one, so this only guards keys from elsewhere.
pub(super) fn refuse_default_key(k: &Cmk) -> Result<(), HwError> {
    if k.alias.ends_with("/default") {
        return Err(HwError::bad(
            "KMS.0211",
            format!(
                "the key {} is a service default key and cannot be changed",
                k.key_id
            ),
        ));
    }
    Ok(())
}

/// `additional_authenticated_data` as the EncryptionContext text it is bound as.
pub(super) fn aad(b: &mut Body) -> Result<Option<String>, HwError> {
    aad_field(b, AAD_KEY)
}

/// An AAD field by name (re-encrypt has a source and a destination one); whatever its
/// name, it is bound under [`AAD_KEY`].
pub(super) fn aad_field(b: &mut Body, name: &str) -> Result<Option<String>, HwError> {
    match b.opt_str(name, "KMS.0308")? {
        None => Ok(None),
        Some(a) if a.is_empty() => Ok(None),
        Some(a) if a.len() > MAX_AAD => Err(HwError::invalid(format!(
            "{name} is {} bytes; at most {MAX_AAD} are allowed",
            a.len()
        ))),
        Some(a) => Ok(Some(json!({ AAD_KEY: a }).to_string())),
    }
}

/// An encryption algorithm field of re-encrypt by name: only the symmetric default.
pub(super) fn algorithm_field(b: &mut Body, name: &str) -> Result<(), HwError> {
    match b.opt_str(name, "KMS.0308")?.as_deref() {
        None | Some("SYMMETRIC_DEFAULT") => Ok(()),
        Some(a @ ("RSAES_OAEP_SHA_256" | "RSAES_OAEP_SHA_1" | "SM2_ENCRYPT")) => Err(HwError::bad(
            "KMS.2105",
            format!("{name} {a} is for asymmetric keys; re-encrypt takes only SYMMETRIC_DEFAULT (decrypt-data and encrypt-data take the asymmetric algorithms)"),
        )),
        Some(a) => Err(HwError::invalid(format!(
            "{name} {a:?} is not one of SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2_ENCRYPT"
        ))),
    }
}

/// Fields of the "level-4 crypto assessment" deployments (`pin`, `pin_type`, `vm_id`):
/// read and ignored, as Huawei's own documentation says clients outside them may.
fn ignore(b: &mut Body, names: &[&str]) -> Result<(), HwError> {
    for n in names {
        b.opt_str(n, "KMS.0308")?;
    }
    Ok(())
}

pub(super) fn hex_up(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

pub(super) fn unhex(text: &str, code: &'static str, name: &str) -> Result<Vec<u8>, HwError> {
    hex::decode(text).map_err(|_| {
        HwError::bad(
            code,
            format!("{name} is not a hexadecimal string (two characters per byte)"),
        )
    })
}

pub(super) fn ms(unix_seconds: i64) -> String {
    (unix_seconds * 1000).to_string()
}

/// Huawei's KeyDetails of a key.
pub(super) fn details(k: &Cmk) -> Value {
    json!({
        "key_id": k.key_id,
        "domain_id": k.scope.account.to_string(),
        "key_alias": k.alias,
        "realm": k.scope.region,
        "key_spec": k.spec.name(),
        "key_usage": super::errors::usage_name(k.usage),
        "key_description": k.description,
        "creation_date": ms(k.created_at),
        "scheduled_deletion_date": if k.state == KeyState::PendingDelete { ms(k.deletion_date) } else { String::new() },
        "key_state": key_state(k.state),
        "default_key_flag": if k.alias.ends_with("/default") { "1" } else { "0" },
        "key_type": "1",
        // Imported material's expiry, in milliseconds like the other dates.
        "expiration_time": if k.valid_to > 0 { ms(k.valid_to) } else { String::new() },
        "origin": match k.origin { Origin::Kms => "kms", Origin::External => "external" },
        "key_rotation_enabled": k.rotation_enabled.to_string(),
        "sys_enterprise_project_id": "0",
        "keystore_id": "0",
    })
}

async fn create_key(call: &Call<'_>, mut b: Body) -> Handled {
    let alias = b.req_str("key_alias", "KMS.1101")?;
    check_alias(&alias)?;
    let spec = b.opt_str("key_spec", "KMS.0308")?;
    let usage_name = b.opt_str("key_usage", "KMS.0308")?;
    let (cipher, usage) =
        super::asymmetric::key_spec_and_usage(spec.as_deref(), usage_name.as_deref())?;
    let description = b
        .opt_str("key_description", "KMS.1103")?
        .unwrap_or_default();
    check_description(&description)?;
    let origin = match b.opt_str("origin", "KMS.0308")?.as_deref() {
        None | Some("kms") => Origin::Kms,
        Some("external") => Origin::External,
        Some(o) => {
            return Err(HwError::invalid(format!("origin {o:?} is not kms or external")).into())
        }
    };
    if origin == Origin::External && usage != KeyUsage::EncryptDecrypt {
        return Err(HwError::invalid(format!(
            "origin external (imported material) is supported for AES_256 and SM4 keys only, not key_spec {}; create the {} key with origin kms",
            spec.as_deref().unwrap_or_default(),
            spec.as_deref().unwrap_or_default()
        ))
        .into());
    }
    // Enterprise projects group keys for billing and permissions; this server has none,
    // so the key belongs to the project in the URL whatever is named here.
    b.opt_str("enterprise_project_id", "KMS.0308")?;
    match b.opt_str("keystore_id", "KMS.0308")?.as_deref() {
        None | Some("0") => {}
        Some(k) => {
            return Err(HwError::invalid(format!(
                "keystore_id {k:?}: this server has only the default keystore (0)"
            ))
            .into())
        }
    }
    ignore(&mut b, &["vm_id"])?;
    b.sequence()?;
    b.finish()?;
    let key = call
        .api
        .kms
        .create_key(
            &call.ctx,
            NewKey {
                alias,
                description,
                usage,
                origin,
                cipher,
                tags: Vec::new(),
            },
        )
        .await?;
    Ok(obj(json!({
        "key_info": { "key_id": key.key_id, "domain_id": call.ctx.scope.account.to_string() }
    })))
}

/// The data key's length in bytes: `datakey_length` (bits) wins over `key_spec`; with
/// neither, 256 bits.
fn datakey_len(b: &mut Body) -> Result<usize, HwError> {
    let spec_bits = match b.opt_str("key_spec", "KMS.1902")?.as_deref() {
        None => None,
        Some("AES_256" | "HMAC_256" | "HMAC_SM3") => Some(256),
        Some("AES_128" | "SM4") => Some(128),
        Some("HMAC_384") => Some(384),
        Some("HMAC_512") => Some(512),
        Some(s) => {
            return Err(HwError::bad(
                "KMS.1902",
                format!("key_spec {s:?} is not one of AES_256, AES_128, SM4, HMAC_256, HMAC_384, HMAC_512, HMAC_SM3"),
            ))
        }
    };
    let bits = match b.opt_num("datakey_length", "KMS.1901")? {
        Some(n) if !(8..=MAX_DATA_KEY as u64 * 8).contains(&n) => {
            return Err(HwError::bad(
                "KMS.1901",
                format!(
                    "datakey_length must be between 8 and {} bits, got {n}",
                    MAX_DATA_KEY * 8
                ),
            ))
        }
        Some(n) if n % 8 != 0 => {
            return Err(HwError::bad(
                "KMS.1903",
                format!("datakey_length must be a multiple of 8 bits, got {n}"),
            ))
        }
        Some(n) => n,
        None => spec_bits.unwrap_or(256),
    };
    Ok((bits / 8) as usize)
}

async fn create_datakey(call: &Call<'_>, mut b: Body, with_plaintext: bool) -> Handled {
    let key_id = key_id(&mut b)?;
    let n = datakey_len(&mut b)?;
    let context = aad(&mut b)?;
    ignore(&mut b, &["pin", "pin_type"])?;
    b.sequence()?;
    b.finish()?;
    let (data_key, blob, key) = call
        .api
        .kms
        .generate_data_key(&call.ctx, &key_id, n, context.as_deref())
        .await?;
    let mut out = json!({ "key_id": key.key_id, "cipher_text": hex_up(&blob) });
    if with_plaintext {
        out["plain_text"] = Value::String(hex_up(data_key.expose()));
    }
    Ok(obj(out))
}

/// The digest encrypt-datakey expects after the DEK: SM3 for an SM4 key, else SHA-256.
fn dek_digest(cipher: CmkCipher, dek: &[u8]) -> [u8; 32] {
    match cipher {
        CmkCipher::Sm4Gcm => sm3::Sm3::digest(dek).into(),
        CmkCipher::Aes256Gcm => Sha256::digest(dek).into(),
    }
}

async fn encrypt_datakey(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let plain_text = b.req_str("plain_text", "KMS.2101")?;
    let n = b.req_num("datakey_plain_length", "KMS.2102")?;
    let context = aad(&mut b)?;
    ignore(&mut b, &["pin", "pin_type"])?;
    if let Some(s) = b.opt_str("key_spec", "KMS.0308")? {
        return Err(HwError::invalid(format!(
            "key_spec {s:?} (a data key under an asymmetric key) is not supported by this server"
        ))
        .into());
    }
    b.sequence()?;
    b.finish()?;
    let Some(n) = data_key_len(n) else {
        return Err(HwError::bad(
            "KMS.2102",
            format!("datakey_plain_length must be between 1 and {MAX_DATA_KEY} bytes, got {n}"),
        )
        .into());
    };
    let raw = zeroize::Zeroizing::new(unhex(&plain_text, "KMS.2101", "plain_text")?);
    if raw.len() != n + 32 {
        return Err(HwError::bad(
            "KMS.2104",
            format!(
                "plain_text holds {} bytes; datakey_plain_length {n} plus the 32-byte digest makes {}",
                raw.len(),
                n + 32
            ),
        )
        .into());
    }
    let kms = &call.api.kms;
    let key = kms.get_key(&call.ctx, &key_id).await?;
    let cipher = rules::symmetric_cipher(&key, Op::Encrypt)?;
    let (dek, digest) = raw.split_at(n);
    if !bool::from(dek_digest(cipher, dek).ct_eq(digest)) {
        let which = match cipher {
            CmkCipher::Sm4Gcm => "SM3 (the key is an SM4 key)",
            CmkCipher::Aes256Gcm => "SHA-256 (the key is an AES_256 key)",
        };
        return Err(HwError::bad(
            "KMS.2103",
            format!("the last 32 bytes of plain_text are not the {which} digest of the data key"),
        )
        .into());
    }
    let (blob, key) = kms
        .encrypt(&call.ctx, &key_id, dek, context.as_deref())
        .await?;
    Ok(obj(json!({
        "key_id": key.key_id,
        "cipher_text": hex_up(&blob),
        "datakey_length": n.to_string(),
    })))
}

async fn decrypt_datakey(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let cipher_text = b.req_str("cipher_text", "KMS.2201")?;
    let n = b.req_num("datakey_cipher_length", "KMS.2202")?;
    let context = aad(&mut b)?;
    b.sequence()?;
    b.finish()?;
    if data_key_len(n).is_none() {
        return Err(HwError::bad(
            "KMS.2202",
            format!("datakey_cipher_length (the data key's length) must be between 1 and {MAX_DATA_KEY} bytes, got {n}"),
        )
        .into());
    }
    let blob = unhex(&cipher_text, "KMS.2201", "cipher_text")?;
    let kms = &call.api.kms;
    // The named key first: a missing or malformed key_id answers as such.
    kms.get_key(&call.ctx, &key_id).await?;
    let (dek, owner) = kms.decrypt(&call.ctx, &blob, context.as_deref()).await?;
    if owner.key_id != key_id {
        return Err(HwError::bad(
            "KMS.2201",
            format!("cipher_text was not made under the key {key_id}"),
        )
        .into());
    }
    if dek.len() as u64 != n {
        return Err(HwError::bad(
            "KMS.2204",
            format!(
                "the data key is {} bytes, not datakey_cipher_length {n}",
                dek.len()
            ),
        )
        .into());
    }
    Ok(obj(json!({
        "data_key": hex_up(dek.expose()),
        "datakey_length": dek.len().to_string(),
        "datakey_dgst": hex::encode(Sha256::digest(dek.expose())),
    })))
}

/// An asymmetric `encryption_algorithm` of encrypt-data or decrypt-data, parsed by
/// `parse`, once the rest of the body is checked: no additional_authenticated_data
/// (it binds symmetric ciphertexts only), nothing unknown.
fn asymmetric_algorithm<A>(
    mut b: Body,
    name: &str,
    parse: fn(&str) -> Option<A>,
) -> Result<A, HwError> {
    let Some(alg) = parse(name) else {
        return Err(HwError::invalid(format!(
            "encryption_algorithm {name:?} is not one of SYMMETRIC_DEFAULT, SM2_ENCRYPT, RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1"
        )));
    };
    if aad(&mut b)?.is_some() {
        return Err(HwError::invalid(
            "additional_authenticated_data applies to symmetric keys only; omit it with an asymmetric encryption_algorithm",
        ));
    }
    b.sequence()?;
    b.finish()?;
    Ok(alg)
}

async fn encrypt_data(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    let plain_text = zeroize::Zeroizing::new(b.req_str("plain_text", "KMS.0308")?);
    let algorithm = b.opt_str("encryption_algorithm", "KMS.0308")?;
    if let Some(name) = algorithm.as_deref().filter(|a| *a != "SYMMETRIC_DEFAULT") {
        let alg = asymmetric_algorithm(b, name, super::asymmetric::encryption)?;
        if plain_text.is_empty() {
            return Err(HwError::invalid("plain_text must be 1 to 4096 characters").into());
        }
        return super::asymmetric::encrypt_data(call, name, alg, &key_id, plain_text.as_bytes())
            .await;
    }
    let context = aad(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let (blob, key) = call
        .api
        .kms
        .encrypt(
            &call.ctx,
            &key_id,
            plain_text.as_bytes(),
            context.as_deref(),
        )
        .await?;
    Ok(obj(json!({
        "key_id": key.key_id,
        "cipher_text": b64::encode(blob),
    })))
}

async fn decrypt_data(call: &Call<'_>, mut b: Body) -> Handled {
    let cipher_text = b.req_str("cipher_text", "KMS.0308")?;
    let named = b.opt_str("key_id", "KMS.0205")?;
    let algorithm = b.opt_str("encryption_algorithm", "KMS.0308")?;
    if let Some(name) = algorithm.as_deref().filter(|a| *a != "SYMMETRIC_DEFAULT") {
        let alg = asymmetric_algorithm(b, name, super::asymmetric::decryption)?;
        return super::asymmetric::decrypt_data(call, name, alg, named, &cipher_text).await;
    }
    if let Some(id) = &named {
        check_key_id(id)?;
    }
    let context = aad(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let blob = b64::decode(cipher_text.trim()).ok_or_else(|| {
        HwError::invalid("cipher_text is not valid base64 (standard alphabet, with padding)")
    })?;
    let (plaintext, key) = call
        .api
        .kms
        .decrypt(&call.ctx, &blob, context.as_deref())
        .await?;
    if let Some(id) = named {
        if id != key.key_id {
            return Err(HwError::invalid(format!(
                "cipher_text was not made under the key {id}; omit key_id or name the key it was made under"
            ))
            .into());
        }
    }
    Ok(obj(json!({
        "key_id": key.key_id,
        "plain_text": String::from_utf8_lossy(plaintext.expose()),
        "plain_text_base64": b64::encode(plaintext.expose()),
    })))
}

async fn describe_key(call: &Call<'_>, mut b: Body) -> Handled {
    let key_id = key_id(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let key = call.api.kms.get_key(&call.ctx, &key_id).await?;
    Ok(obj(json!({ "key_info": details(&key) })))
}

async fn list_keys(call: &Call<'_>, mut b: Body) -> Handled {
    let limit = b.opt_num("limit", "KMS.1601")?.unwrap_or(MAX_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(HwError::bad(
            "KMS.1601",
            format!("limit must be between 1 and {MAX_LIMIT}, got {limit}"),
        )
        .into());
    }
    let marker = b.opt_num("marker", "KMS.1602")?.unwrap_or(0);
    let state = match b.opt_str("key_state", "KMS.0308")?.as_deref() {
        None => None,
        Some("1") => Some(None), // pending activation: no key of this server is ever in it
        Some("2") => Some(Some(KeyState::Enabled)),
        Some("3") => Some(Some(KeyState::Disabled)),
        Some("4") => Some(Some(KeyState::PendingDelete)),
        Some("5") => Some(Some(KeyState::PendingImport)),
        Some(s) => {
            return Err(HwError::invalid(format!("key_state {s:?} must be one of 1 to 5")).into())
        }
    };
    // Absent or ALL: every key. A spec: the keys of that spec (SM4, AES_256, SM2,
    // RSA_2048, EC_P256); another valid spec names keys this server does not create,
    // so it matches none.
    let spec = match b.opt_str("key_spec", "KMS.0308")? {
        None => None,
        Some(s) if s == "ALL" => None,
        Some(s)
            if CmkCipher::from_name(&s).is_some()
                || ASYMMETRIC_OR_HMAC_SPECS.contains(&s.as_str()) =>
        {
            Some(s)
        }
        Some(s) => {
            return Err(HwError::invalid(format!(
                "key_spec {s:?} is not a key spec (AES_256, SM4, ..., or ALL)"
            ))
            .into())
        }
    };
    b.opt_str("enterprise_project_id", "KMS.0308")?;
    b.sequence()?;
    b.finish()?;
    let keys: Vec<Cmk> = match state {
        Some(None) => Vec::new(),
        state => {
            let filter = KeyFilter {
                state: state.flatten(),
                ..Default::default()
            };
            call.api
                .kms
                .list_keys_filtered(&call.ctx, &filter, 0, u64::MAX)
                .await?
                .items
        }
    };
    let keys: Vec<Cmk> = keys
        .into_iter()
        .filter(|k| match &spec {
            None => true,
            Some(want) => want == k.spec.name(),
        })
        .collect();
    let total = keys.len() as u64;
    let page: Vec<&Cmk> = keys
        .iter()
        .skip(marker.min(total) as usize)
        .take(limit as usize)
        .collect();
    let end = marker.min(total) + page.len() as u64;
    let truncated = end < total;
    Ok(obj(json!({
        "keys": page.iter().map(|k| k.key_id.clone()).collect::<Vec<_>>(),
        "key_details": page.iter().map(|k| details(k)).collect::<Vec<_>>(),
        "next_marker": if truncated { end.to_string() } else { String::new() },
        "truncated": truncated.to_string(),
        "total": total,
    })))
}

async fn gen_random(call: &Call<'_>, mut b: Body) -> Handled {
    let bits = b.req_num("random_data_length", "KMS.1801")?;
    b.sequence()?;
    b.finish()?;
    if !(8..=8192).contains(&bits) {
        return Err(HwError::bad(
            "KMS.1801",
            format!("random_data_length must be between 8 and 8192 bits, got {bits}"),
        )
        .into());
    }
    if bits % 8 != 0 {
        return Err(HwError::bad(
            "KMS.1802",
            format!("random_data_length must be a multiple of 8 bits, got {bits}"),
        )
        .into());
    }
    let bytes = call.api.kms.generate_random(&call.ctx, bits / 8)?;
    Ok(obj(json!({ "random_data": hex_up(&bytes) })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_aliases() {
        assert!(check_key_id("0d0466b0-e727-4d9c-b35d-f84bb474a37f").is_ok());
        for bad in [
            "",
            "0D0466B0-E727-4D9C-B35D-F84BB474A37F",
            "0d0466b0e7274d9cb35df84bb474a37f",
            "0d0466b0-e727-4d9c-b35d-f84bb474a37",
            "0d0466b0-e727-4d9c-b35d_f84bb474a37f",
        ] {
            assert_eq!(check_key_id(bad).unwrap_err().code, "KMS.0205", "{bad}");
        }
        for ok in ["a", "A:b/c_d-e", &"x".repeat(255), "default", "x/defaults"] {
            assert!(check_alias(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "é", &"x".repeat(256), "kms/default", "/default"] {
            assert_eq!(check_alias(bad).unwrap_err().code, "KMS.1101", "{bad}");
        }
        assert!(check_description(&"字".repeat(255)).is_ok());
        assert_eq!(
            check_description(&"字".repeat(256)).unwrap_err().code,
            "KMS.1103"
        );
    }

    #[test]
    fn data_key_lengths() {
        let len = |body: &str| datakey_len(&mut Body::parse(body.as_bytes()).unwrap());
        assert_eq!(len("{}").unwrap(), 32);
        assert_eq!(len(r#"{"key_spec":"AES_128"}"#).unwrap(), 16);
        assert_eq!(len(r#"{"key_spec":"SM4"}"#).unwrap(), 16);
        assert_eq!(len(r#"{"key_spec":"HMAC_512"}"#).unwrap(), 64);
        assert_eq!(
            len(r#"{"key_spec":"AES_128","datakey_length":"512"}"#).unwrap(),
            64
        );
        assert_eq!(len(r#"{"datakey_length":"8"}"#).unwrap(), 1);
        assert_eq!(len(r#"{"datakey_length":"8192"}"#).unwrap(), 1024);
        assert_eq!(
            len(r#"{"datakey_length":"0"}"#).unwrap_err().code,
            "KMS.1901"
        );
        assert_eq!(
            len(r#"{"datakey_length":"8200"}"#).unwrap_err().code,
            "KMS.1901"
        );
        assert_eq!(
            len(r#"{"datakey_length":"12"}"#).unwrap_err().code,
            "KMS.1903"
        );
        assert_eq!(
            len(r#"{"key_spec":"RSA_2048"}"#).unwrap_err().code,
            "KMS.1902"
        );
    }

    #[test]
    fn aad_is_bound_as_a_context() {
        let get = |body: &str| aad(&mut Body::parse(body.as_bytes()).unwrap());
        assert_eq!(get("{}").unwrap(), None);
        assert_eq!(
            get(r#"{"additional_authenticated_data":""}"#).unwrap(),
            None
        );
        assert_eq!(
            get(r#"{"additional_authenticated_data":"a\"b"}"#)
                .unwrap()
                .unwrap(),
            r#"{"additional_authenticated_data":"a\"b"}"#
        );
        let long = format!(
            r#"{{"additional_authenticated_data":"{}"}}"#,
            "x".repeat(129)
        );
        assert_eq!(get(&long).unwrap_err().code, "KMS.0308");
    }

    #[test]
    fn dek_digests() {
        assert_eq!(
            hex::encode(dek_digest(CmkCipher::Aes256Gcm, b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex::encode(dek_digest(CmkCipher::Sm4Gcm, b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }
}
