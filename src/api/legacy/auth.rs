//! The v1 signature as the legacy SDKs send it: SecretId, Timestamp, Nonce and
//! Signature among the parameters, each Nonce once per SecretId inside the window.

use super::errors::LegacyError;
use super::PATH;
use crate::api::{Api, Request};
use crate::auth::tc_v1::{self, NonceCheck, SignatureMethod};
use std::collections::BTreeMap;

/// Verifies the signature, the timestamp and the Nonce; returns the caller's account and
/// SecretId.
pub(super) async fn authenticate(
    api: &Api,
    req: &Request,
    method: &str,
    params: &BTreeMap<String, String>,
    request_id: &str,
) -> Result<(u64, String), LegacyError> {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let secret_id = get("SecretId").ok_or_else(|| LegacyError::missing("SecretId"))?;
    let signature = get("Signature").ok_or_else(|| LegacyError::missing("Signature"))?;
    let timestamp = get("Timestamp").ok_or_else(|| LegacyError::missing("Timestamp"))?;
    let nonce = get("Nonce").ok_or_else(|| LegacyError::missing("Nonce"))?;
    let timestamp: i64 = digits(timestamp, 19)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| LegacyError::wrong_type("Timestamp must be a Unix time in seconds"))?;
    digits(nonce, 20)
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| LegacyError::wrong_type("Nonce must be a non-negative integer"))?;
    if !secret_id.starts_with("AKID") {
        return Err(LegacyError::secret_id_format());
    }
    let now = api.kms.now();
    let window = api.settings.signature_window;
    tc_v1::check_timestamp(timestamp, now, window)?;

    let host = req.single_host().ok_or_else(|| {
        LegacyError::bad_request(
            "the request needs exactly one Host header: the signature covers the host",
        )
    })?;

    let (account, secret) = api
        .credentials
        .lookup(secret_id)
        .await
        .map_err(|detail| {
            tracing::error!(%detail, "credential lookup failed");
            LegacyError::internal(request_id)
        })?
        .ok_or_else(|| LegacyError::unknown_secret_id(secret_id))?;

    let sig_method = SignatureMethod::from_param(get("SignatureMethod"));
    let src = tc_v1::string_to_sign(
        method,
        host,
        PATH,
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    if let Err(e) = tc_v1::verify(sig_method, secret.expose(), &src, signature) {
        let mut err = LegacyError::from(e);
        if method == "POST" && params.values().any(|v| v.starts_with('@')) {
            err.text.push_str(
                " (a value starting with '@' is signed like any other here; the legacy Python \
                 SDK leaves such values out of its signature)",
            );
        }
        return Err(err);
    }

    let key = tc_v1::nonce_key(secret_id, nonce, None);
    let remembered = api
        .credentials
        .remember_nonce(account, key, timestamp + window, now)
        .await
        .map_err(|detail| {
            tracing::error!(%detail, "recording the Nonce failed");
            LegacyError::internal(request_id)
        })?;
    match remembered {
        NonceCheck::Fresh => Ok((account, secret_id.to_string())),
        NonceCheck::Replayed => Err(LegacyError::replay(format!(
            "the Nonce {nonce} was already used by this SecretId within the last {window} \
             seconds; send a fresh random Nonce with every request"
        ))),
        NonceCheck::Full => Err(LegacyError::throttled()),
    }
}

/// `s` if it is 1 to `max` ASCII digits.
fn digits(s: &str, max: usize) -> Option<&str> {
    (!s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}
