//! Signature v1 on the API 3.0 endpoint, beside TC3, as Tencent documents it and as
//! the official SDKs send it with `signMethod` `HmacSHA1` or `HmacSHA256` (the default
//! of the international Node.js SDK): POST `application/x-www-form-urlencoded` or GET,
//! with `Action`, `Version`, `Region`, `Timestamp`, `Nonce`, `SecretId`,
//! `SignatureMethod` and `Signature` among the parameters, and the action's own
//! parameters flattened (`KeyIds.0`, `Tags.0.TagKey`) into the same typed requests as
//! TC3's JSON.
//!
//! The sign string and HMAC are [`crate::auth::tc_v1`]'s, shared with the legacy API.
//! The host is the one the client signed: the SDKs sign their endpoint, with the port
//! when it has one, so the Host header is tried as sent and then without its port.
//! Each (SecretId, Timestamp, Nonce) is accepted once inside the window, as Tencent
//! documents the Nonce ("together with Timestamp, prevents replay"): the Node.js SDK's
//! Nonce is at most 65535, so keyed on the Nonce alone its requests collide within a
//! window. The memory of Nonces is bounded per account (`auth::tc_v1::NonceGuard`).

use super::errors::TcError;
use super::params::Params;
use super::{check_version, header, run, scope_region};
use crate::api::form::parse_pairs;
use crate::api::{Api, Outcome, Request};
use crate::auth::tc_v1::{self, NonceCheck, SignatureMethod};
use crate::auth::{tc3, AuthError};
use crate::model::Scope;
use serde_json::{Map, Value};

/// Parameters of the v1 envelope, not of the action.
const COMMON: &[&str] = &[
    "Action",
    "Version",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "SignatureMethod",
    "Signature",
    "RequestClient",
    "Language",
    "Token",
];

/// A parameter's value, if it was sent and is not empty.
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Whether a request to `/` is v1-signed: no Authorization header (TC3 always has
/// one), and a form-encoded POST or a GET whose query carries a `Signature`.
pub(super) fn is_v1(req: &Request, is_get: bool) -> bool {
    if req.headers.contains_key("authorization") {
        return false;
    }
    if is_get {
        return form_urlencoded::parse(req.query.as_bytes()).any(|(k, _)| k == tc_v1::SIGNATURE);
    }
    let ct = header(req, "content-type").unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

pub(super) async fn process(
    api: &Api,
    req: &Request,
    outcome: &mut Outcome,
    is_get: bool,
) -> Result<Map<String, Value>, TcError> {
    if !is_get && !req.query.is_empty() {
        return Err(TcError::invalid_parameter(
            "a form-encoded POST carries its parameters in the body; the query string must be empty",
        ));
    }
    let raw = if is_get {
        req.query.as_bytes()
    } else {
        &req.body[..]
    };
    let pairs = parse_pairs(raw).map_err(|e| TcError::invalid_parameter(e.to_string()))?;
    let get = |name: &str| param(&pairs, name);
    let action = get("Action").unwrap_or("").to_string();
    outcome.set_action(&action);
    if get("Token").is_some() {
        return Err(AuthError::Malformed(
            "Token (temporary credentials) is not supported by this server: it has no \
             temporary credentials. Sign with a permanent SecretId/SecretKey and send no token"
                .into(),
        )
        .into());
    }
    let (account, secret_id) = authenticate(api, req, is_get, &pairs).await?;
    outcome.authenticated(account, &secret_id);

    if action.is_empty() {
        return Err(TcError::missing("Action"));
    }
    check_version(get("Version").ok_or_else(|| TcError::missing("Version"))?)?;
    let region = scope_region(api, get("Region").unwrap_or(""))?;
    let params = Params::from_pairs(
        pairs
            .into_iter()
            .filter(|(k, _)| !COMMON.contains(&k.as_str())),
    )?;
    run(api, outcome, Scope { account, region }, &action, params).await
}

/// Verifies the v1 signature, the timestamp and the Nonce; returns the caller's
/// account and SecretId.
async fn authenticate(
    api: &Api,
    req: &Request,
    is_get: bool,
    pairs: &[(String, String)],
) -> Result<(u64, String), TcError> {
    let get = |name: &str| param(pairs, name);
    let required = |name: &'static str| {
        get(name).ok_or_else(|| {
            AuthError::Malformed(format!(
                "{name} is missing: a request signed with HmacSHA1/HmacSHA256 carries \
                 SecretId, Timestamp, Nonce and Signature among its parameters"
            ))
        })
    };
    let secret_id = required("SecretId")?;
    let signature = required("Signature")?;
    let timestamp = required("Timestamp")?;
    let nonce = required("Nonce")?;
    let timestamp: i64 = timestamp
        .parse()
        .map_err(|_| AuthError::Malformed("Timestamp must be a Unix time in seconds".into()))?;
    if nonce.len() > 20 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::Malformed("Nonce must be a non-negative integer".into()).into());
    }
    let sig_method = match get("SignatureMethod") {
        None | Some("HmacSHA1") => SignatureMethod::HmacSha1,
        Some("HmacSHA256") => SignatureMethod::HmacSha256,
        Some(other) => {
            return Err(AuthError::Malformed(format!(
                "SignatureMethod {other:?} is not HmacSHA1 or HmacSHA256 (or use \
                 TC3-HMAC-SHA256 in an Authorization header)"
            ))
            .into())
        }
    };
    let now = api.kms.now();
    let window = api.settings.signature_window;
    tc_v1::check_timestamp(timestamp, now, window)?;

    let host = req.single_host().ok_or_else(|| {
        AuthError::Malformed(
            "the request needs exactly one Host header: the signature covers the host".into(),
        )
    })?;

    let (account, secret) = api
        .credentials
        .lookup(secret_id)
        .await
        .map_err(|detail| {
            tracing::error!(%detail, "credential lookup failed");
            AuthError::Unavailable
        })?
        .ok_or_else(|| AuthError::UnknownSecretId(secret_id.to_string()))?;

    let method = if is_get { "GET" } else { "POST" };
    let verify = |host: &str| {
        let src = tc_v1::string_to_sign(
            method,
            host,
            "/",
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        tc_v1::verify(sig_method, secret.expose(), &src, signature)
    };
    let bare = tc3::host_without_port(host);
    match verify(host) {
        Ok(()) => {}
        Err(AuthError::BadSignature(_)) if bare != host => verify(bare)?,
        Err(e) => return Err(e.into()),
    }

    let key = tc_v1::nonce_key(secret_id, nonce, Some(timestamp));
    let remembered = api
        .credentials
        .remember_nonce(account, key, timestamp.saturating_add(window), now)
        .await
        .map_err(|detail| {
            tracing::error!(%detail, "recording the Nonce failed");
            AuthError::Unavailable
        })?;
    match remembered {
        NonceCheck::Fresh => Ok((account, secret_id.to_string())),
        NonceCheck::Replayed => Err(AuthError::Malformed(format!(
            "the Nonce {nonce} with the Timestamp {timestamp} was already used by this \
             SecretId: a replayed request. Send a fresh random Nonce with every request"
        ))
        .into()),
        NonceCheck::Full => Err(TcError::new(
            "RequestLimitExceeded",
            "this account has sent more signed requests within the signature window than \
             the server remembers Nonces for; retry in a few seconds, or use TC3-HMAC-SHA256",
        )),
    }
}
