//! Key tags in Huawei's terms, on the core's CMK tags (the same tags Tencent's
//! CreateKey sets and its list filters read):
//! - `POST {key_id}/tags` adds one (`{"tag": {"key", "value"}}`); a key the CMK
//!   already has takes the new value;
//! - `GET {key_id}/tags` lists a key's tags;
//! - `POST {key_id}/tags/action` adds (`"action": "create"`) or removes (`"delete"`)
//!   several; removing a tag the key does not have is not an error;
//! - `DELETE {key_id}/tags/{key}` removes one (KMS.0416, 404, when the key has no such
//!   tag);
//! - `GET tags` lists every tag key in the project with its values;
//! - `POST resource_instances/action` lists (`"filter"`) or counts (`"count"`) the keys
//!   carrying tags, optionally matching `resource_name` (the alias).
//!
//! Huawei's tag rules: a key 1 to 36 characters, a value 0 to 43, neither with control
//! characters or any of `* < > \ =`. The number of tags per key is the core's limit.

use super::actions::{check_key_id, details, obj, Fail, Handled};
use super::body::Body;
use super::errors::HwError;
use super::lifecycle::{key_for, EDITABLE};
use super::Call;
use crate::kms::keys::KeyFilter;
use crate::kms::states::Op;
use crate::model::{Cmk, Tag};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const MAX_KEY_CHARS: usize = 36;
const MAX_VALUE_CHARS: usize = 43;
const MAX_MATCH_CHARS: usize = 255;
/// resource_instances page size: the default and the largest allowed.
const DEFAULT_LIMIT: u64 = 10;
const MAX_LIMIT: u64 = 1000;

fn forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '*' | '<' | '>' | '\\' | '=')
}

pub(super) fn check_tag_key(k: &str) -> Result<(), HwError> {
    let n = k.chars().count();
    if n == 0 || n > MAX_KEY_CHARS {
        return Err(HwError::bad(
            "KMS.0411",
            format!("a tag key must be 1 to {MAX_KEY_CHARS} characters, got {n}"),
        ));
    }
    if k.chars().any(forbidden) {
        return Err(HwError::bad(
            "KMS.0406",
            format!("the tag key {k:?} contains a control character or one of * < > \\ ="),
        ));
    }
    Ok(())
}

fn check_tag_value(v: &str) -> Result<(), HwError> {
    let n = v.chars().count();
    if n > MAX_VALUE_CHARS {
        return Err(HwError::bad(
            "KMS.0410",
            format!("a tag value must be at most {MAX_VALUE_CHARS} characters, got {n}"),
        ));
    }
    if v.chars().any(forbidden) {
        return Err(HwError::bad(
            "KMS.0405",
            format!("the tag value {v:?} contains a control character or one of * < > \\ ="),
        ));
    }
    Ok(())
}

fn text<'a>(v: &'a Value, what: &str, code: &'static str) -> Result<&'a str, HwError> {
    v.as_str()
        .ok_or_else(|| HwError::bad(code, format!("{what} must be a string")))
}

/// A TagItem `{"key", "value"}`; `value` may be absent where only the key matters.
fn tag_item(v: &Value, need_value: bool) -> Result<Tag, HwError> {
    let obj = v
        .as_object()
        .ok_or_else(|| HwError::bad("KMS.0406", "a tag must be an object {\"key\", \"value\"}"))?;
    let key = obj.get("key").ok_or_else(|| HwError::missing("tag.key"))?;
    let key = text(key, "tag.key", "KMS.0406")?;
    check_tag_key(key)?;
    let value = match obj.get("value") {
        None | Some(Value::Null) if need_value => return Err(HwError::missing("tag.value")),
        None | Some(Value::Null) => "",
        Some(v) => text(v, "tag.value", "KMS.0405")?,
    };
    check_tag_value(value)?;
    if let Some(other) = obj.keys().find(|k| *k != "key" && *k != "value") {
        return Err(HwError::invalid(format!(
            "a tag has a field {other:?}; a tag is {{\"key\", \"value\"}}"
        )));
    }
    Ok(Tag {
        key: key.to_string(),
        value: value.to_string(),
    })
}

/// A non-empty list field (KMS.0401 when empty or absent).
fn list(b: &mut Body, name: &str) -> Result<Vec<Value>, HwError> {
    match b.opt_value(name) {
        None => Err(HwError::bad(
            "KMS.0401",
            format!("{name} is missing; it must list at least one tag"),
        )),
        Some(Value::Array(a)) if a.is_empty() => Err(HwError::bad(
            "KMS.0401",
            format!("{name} is empty; it must list at least one tag"),
        )),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(HwError::bad("KMS.0407", format!("{name} must be a list"))),
    }
}

fn no_duplicates<'a>(keys: impl Iterator<Item = &'a str>) -> Result<(), HwError> {
    let mut seen = std::collections::BTreeSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err(HwError::bad(
                "KMS.0406",
                format!("the tag key {k:?} appears more than once"),
            ));
        }
    }
    Ok(())
}

/// The key in the path, if its tags may change (not pending deletion, not a service
/// default key).
async fn editable_key(call: &Call<'_>) -> Result<Cmk, Fail> {
    let id = path_key_id(call)?;
    key_for(call, &id, Op::Metadata, &EDITABLE).await
}

fn path_key_id(call: &Call<'_>) -> Result<String, HwError> {
    let id = call.params.key_id.clone().unwrap_or_default();
    check_key_id(&id)?;
    Ok(id)
}

fn tag_json(t: &Tag) -> Value {
    json!({ "key": t.key, "value": t.value })
}

pub(super) async fn create(call: &Call<'_>, mut b: Body) -> Handled {
    let tag = match b.opt_value("tag") {
        Some(v) => tag_item(&v, true)?,
        None => return Err(HwError::missing("tag").into()),
    };
    b.sequence()?;
    b.finish()?;
    let key = editable_key(call).await?;
    call.api.kms.tag_key(&call.ctx, &key.key_id, &[tag]).await?;
    Ok(obj(json!({})))
}

pub(super) async fn show(call: &Call<'_>, mut b: Body) -> Handled {
    b.sequence()?;
    b.finish()?;
    let id = path_key_id(call)?;
    let key = call.api.kms.get_key(&call.ctx, &id).await?;
    Ok(obj(json!({
        "tags": key.tags.iter().map(tag_json).collect::<Vec<_>>(),
        "existTagsNum": key.tags.len(),
    })))
}

pub(super) async fn batch(call: &Call<'_>, mut b: Body) -> Handled {
    let action = b.req_str("action", "KMS.0404")?;
    let create = match action.as_str() {
        "create" => true,
        "delete" => false,
        other => {
            return Err(HwError::bad(
                "KMS.0404",
                format!("action {other:?} must be create or delete"),
            )
            .into())
        }
    };
    let tags = list(&mut b, "tags")?
        .iter()
        .map(|v| tag_item(v, create))
        .collect::<Result<Vec<_>, _>>()?;
    b.sequence()?;
    b.finish()?;
    no_duplicates(tags.iter().map(|t| t.key.as_str()))?;
    let key = editable_key(call).await?;
    let kms = &call.api.kms;
    if create {
        kms.tag_key(&call.ctx, &key.key_id, &tags).await?;
    } else {
        let keys: Vec<String> = tags.into_iter().map(|t| t.key).collect();
        kms.untag_key(&call.ctx, &key.key_id, &keys).await?;
    }
    Ok(obj(json!({})))
}

pub(super) async fn delete(call: &Call<'_>, mut b: Body) -> Handled {
    b.sequence()?;
    b.finish()?;
    let tag = call.params.tag_key.clone().unwrap_or_default();
    check_tag_key(&tag)?;
    let key = editable_key(call).await?;
    if !key.tags.iter().any(|t| t.key == tag) {
        return Err(HwError::kms(
            404,
            "KMS.0416",
            format!("the key {} has no tag {tag:?}", key.key_id),
        )
        .into());
    }
    call.api
        .kms
        .untag_key(&call.ctx, &key.key_id, &[tag])
        .await?;
    Ok(obj(json!({})))
}

async fn project_keys(call: &Call<'_>, filter: &KeyFilter) -> Result<Vec<Cmk>, Fail> {
    Ok(call
        .api
        .kms
        .list_keys_filtered(&call.ctx, filter, 0, u64::MAX)
        .await?
        .items)
}

pub(super) async fn list_project(call: &Call<'_>, mut b: Body) -> Handled {
    b.sequence()?;
    b.finish()?;
    let mut all: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for k in project_keys(call, &KeyFilter::default()).await? {
        for t in k.tags {
            let values = all.entry(t.key).or_default();
            if !values.contains(&t.value) {
                values.push(t.value);
            }
        }
    }
    let tags: Vec<Value> = all
        .into_iter()
        .map(|(key, mut values)| {
            values.sort();
            json!({ "key": key, "values": values })
        })
        .collect();
    Ok(obj(json!({ "tags": tags })))
}

/// `tags` of resource_instances: `[{"key", "values": [...]}]`, keys ANDed, a key's
/// values ORed, no values meaning any value.
fn tag_filters(b: &mut Body) -> Result<Vec<(String, Vec<String>)>, HwError> {
    let Some(v) = b.opt_value("tags") else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = v else {
        return Err(HwError::bad("KMS.0407", "tags must be a list"));
    };
    let mut out = Vec::new();
    for item in &items {
        let o = item.as_object().ok_or_else(|| {
            HwError::bad(
                "KMS.0406",
                "a tag filter must be an object {\"key\", \"values\"}",
            )
        })?;
        let key = text(
            o.get("key").ok_or_else(|| HwError::missing("tags.key"))?,
            "tags.key",
            "KMS.0406",
        )?;
        check_tag_key(key)?;
        let values = match o.get("values") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(vs)) => vs
                .iter()
                .map(|v| {
                    let v = text(v, "tags.values", "KMS.0405")?;
                    check_tag_value(v)?;
                    Ok(v.to_string())
                })
                .collect::<Result<Vec<_>, HwError>>()?,
            Some(_) => return Err(HwError::bad("KMS.0413", "tags.values must be a list")),
        };
        out.push((key.to_string(), values));
    }
    no_duplicates(out.iter().map(|(k, _)| k.as_str()))?;
    Ok(out)
}

/// `matches`: `[{"key": "resource_name", "value"}]`, the alias containing `value`.
fn name_matches(b: &mut Body) -> Result<Vec<String>, HwError> {
    let Some(v) = b.opt_value("matches") else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = v else {
        return Err(HwError::bad("KMS.0403", "matches must be a list"));
    };
    let mut out = Vec::new();
    for item in &items {
        let key = item.get("key").and_then(Value::as_str).unwrap_or("");
        if key != "resource_name" {
            return Err(HwError::bad(
                "KMS.0403",
                format!("matches key {key:?} is not resource_name, the only field to match"),
            ));
        }
        let value = item.get("value").and_then(Value::as_str).unwrap_or("");
        let n = value.chars().count();
        if n == 0 || n > MAX_MATCH_CHARS {
            return Err(HwError::bad(
                "KMS.0402",
                format!("a matches value must be 1 to {MAX_MATCH_CHARS} characters, got {n}"),
            ));
        }
        out.push(value.to_string());
    }
    Ok(out)
}

pub(super) async fn list_by_tags(call: &Call<'_>, mut b: Body) -> Handled {
    let action = b.req_str("action", "KMS.0404")?;
    let count = match action.as_str() {
        "filter" => false,
        "count" => true,
        other => {
            return Err(HwError::bad(
                "KMS.0404",
                format!("action {other:?} must be filter or count"),
            )
            .into())
        }
    };
    let limit = b.opt_num("limit", "KMS.1601")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(HwError::bad(
            "KMS.1601",
            format!("limit must be between 1 and {MAX_LIMIT}, got {limit}"),
        )
        .into());
    }
    let offset = b.opt_num("offset", "KMS.0417")?.unwrap_or(0);
    let tags = tag_filters(&mut b)?;
    let names = name_matches(&mut b)?;
    b.sequence()?;
    b.finish()?;
    let filter = KeyFilter {
        tags,
        ..Default::default()
    };
    let keys: Vec<Cmk> = project_keys(call, &filter)
        .await?
        .into_iter()
        .filter(|k| names.iter().all(|n| k.alias.contains(n.as_str())))
        .collect();
    let total = keys.len();
    if count {
        return Ok(obj(json!({ "resources": [], "total_count": total })));
    }
    let resources: Vec<Value> = keys
        .iter()
        .skip(offset.min(total as u64) as usize)
        .take(limit as usize)
        .map(|k| {
            json!({
                "resource_id": k.key_id,
                "resource_detail": details(k),
                "resource_name": k.alias,
                "tags": k.tags.iter().map(tag_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(obj(json!({ "resources": resources, "total_count": total })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_rules() {
        assert!(check_tag_key("env").is_ok());
        assert!(check_tag_key(&"字".repeat(36)).is_ok());
        assert_eq!(check_tag_key("").unwrap_err().code, "KMS.0411");
        assert_eq!(check_tag_key(&"k".repeat(37)).unwrap_err().code, "KMS.0411");
        assert_eq!(check_tag_key("a=b").unwrap_err().code, "KMS.0406");
        assert!(check_tag_value("").is_ok());
        assert_eq!(
            check_tag_value(&"v".repeat(44)).unwrap_err().code,
            "KMS.0410"
        );
        assert_eq!(check_tag_value("a\nb").unwrap_err().code, "KMS.0405");
        let t = tag_item(&json!({"key": "k"}), false).unwrap();
        assert_eq!(t.value, "");
        assert_eq!(
            tag_item(&json!({"key": "k"}), true).unwrap_err().code,
            "KMS.0204"
        );
        assert_eq!(
            tag_item(&json!({"key": "k", "value": "v", "x": 1}), true)
                .unwrap_err()
                .code,
            "KMS.0308"
        );
        assert_eq!(
            no_duplicates(["a", "b", "a"].into_iter()).unwrap_err().code,
            "KMS.0406"
        );
    }
}
