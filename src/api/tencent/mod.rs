//! Tencent Cloud API 3.0 (KMS version 2019-01-18): `POST /` with a JSON body or
//! `GET /?query`, the action in `X-TC-Action`, signed with TC3-HMAC-SHA256.
//!
//! Every answer is HTTP 200 with `Content-Type: application/json` and
//! `{"Response": {..., "RequestId"}}`; errors are `{"Response": {"Error": {"Code",
//! "Message"}, "RequestId"}}`. The official Python SDK ignores an error body served
//! under any other content type, so that header is exact.

mod actions;
pub mod codes;
pub mod errors;
pub mod params;
mod v1;

pub(crate) use actions::known_action;

use super::{Api, Outcome, Refusal, Request, Response};
use crate::auth::{tc3, AuthError};
use crate::kms::{Dialect, RequestContext};
use crate::model::Scope;
use errors::TcError;
use params::Params;
use serde_json::{json, Map, Value};

pub const VERSION: &str = "2019-01-18";

/// Who is calling, for which scope: the core's context, and the API to call.
pub(crate) struct Call<'a> {
    pub api: &'a Api,
    pub ctx: RequestContext,
}

pub async fn handle(api: &Api, req: Request) -> Response {
    let mut outcome = Outcome::new(Dialect::Tencent, req.peer);
    let result = process(api, &req, &mut outcome).await;
    render(result, outcome)
}

pub fn refuse(why: Refusal, outcome: Outcome) -> Response {
    let err = match why {
        Refusal::BodyTooLarge { limit } => TcError::new(
            "RequestSizeLimitExceeded",
            format!("the request body is larger than the {limit}-byte limit"),
        ),
        Refusal::BodyUnreadable => {
            TcError::invalid_parameter("the request body could not be read completely")
        }
        Refusal::Unavailable => TcError::internal(&outcome.request_id),
    };
    render(Err(err), outcome)
}

fn render(result: Result<Map<String, Value>, TcError>, mut outcome: Outcome) -> Response {
    outcome.code = result.as_ref().err().map(|e| e.code.to_string());
    let request_id = outcome.request_id.as_str();
    let body = match result {
        Ok(mut fields) => {
            fields.insert("RequestId".into(), Value::String(request_id.to_string()));
            json!({ "Response": fields })
        }
        Err(e) => json!({
            "Response": {
                "Error": { "Code": e.code, "Message": e.message },
                "RequestId": request_id,
            }
        }),
    };
    let body = serde_json::to_vec(&body).expect("JSON values serialise");
    Response {
        status: 200,
        content_type: "application/json",
        body,
        outcome,
    }
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

async fn process(
    api: &Api,
    req: &Request,
    outcome: &mut Outcome,
) -> Result<Map<String, Value>, TcError> {
    let is_get = match req.method {
        http::Method::POST => false,
        http::Method::GET => true,
        ref m => {
            return Err(TcError::invalid_parameter(format!(
                "the HTTP method {m} is not supported; use POST (JSON) or GET"
            )))
        }
    };
    if req.path != "/" {
        return Err(TcError::invalid_parameter(format!(
            "the path {} is not served; Tencent API 3.0 requests go to /",
            req.path
        )));
    }
    if is_get && !req.body.is_empty() {
        return Err(TcError::invalid_parameter(
            "a GET request must not have a body",
        ));
    }
    if v1::is_v1(req, is_get) {
        return v1::process(api, req, outcome, is_get).await;
    }
    if !is_get {
        let ct = header(req, "content-type").unwrap_or("");
        let media = ct.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("application/json") {
            return Err(TcError::invalid_parameter(format!(
                "Content-Type must be application/json (TC3-HMAC-SHA256) or \
                 application/x-www-form-urlencoded (HmacSHA1/HmacSHA256 in the parameters), \
                 got {ct:?}"
            )));
        }
    }

    let action = header(req, "x-tc-action").unwrap_or("");
    outcome.set_action(action);
    let version = header(req, "x-tc-version").unwrap_or("");
    let region = header(req, "x-tc-region").unwrap_or("");
    let (account, secret_id) = authenticate(api, req, is_get).await?;
    outcome.authenticated(account, &secret_id);

    if action.is_empty() {
        return Err(TcError::missing("X-TC-Action"));
    }
    if version.is_empty() {
        return Err(TcError::missing("X-TC-Version"));
    }
    check_version(version)?;
    let region = scope_region(api, region)?;
    let params = if is_get {
        Params::from_query(&req.query)?
    } else {
        Params::from_json_body(&req.body)?
    };
    run(api, outcome, Scope { account, region }, action, params).await
}

/// Runs an authenticated action and records what the core touched.
async fn run(
    api: &Api,
    outcome: &mut Outcome,
    scope: Scope,
    action: &str,
    params: Params,
) -> Result<Map<String, Value>, TcError> {
    let call = Call {
        api,
        ctx: outcome.context(scope, action),
    };
    let result = actions::dispatch(&call, params).await;
    outcome.record(call.ctx);
    result
}

fn check_version(version: &str) -> Result<(), TcError> {
    if version != VERSION {
        return Err(TcError::new(
            "NoSuchVersion",
            format!("the API version {version:?} does not exist for kms; use {VERSION}"),
        ));
    }
    Ok(())
}

/// The region a request names (a region name such as `ap-guangzhou`), or the default.
fn scope_region(api: &Api, region: &str) -> Result<String, TcError> {
    if region.is_empty() {
        return Ok(api.settings.default_region.clone());
    }
    if region.len() <= 40
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Ok(region.to_string());
    }
    Err(TcError::new(
        "UnsupportedRegion",
        format!("{region:?} is not a region name (such as ap-guangzhou)"),
    ))
}

/// Verifies the TC3 signature; returns the caller's account and SecretId.
///
/// As on Tencent's own endpoint, a signature is valid within the time window on any
/// connection, identical resends included, and binds exactly what the client signed.
/// The SDKs sign only `content-type;host`, so X-TC-Action, X-TC-Region and
/// X-TC-Version are bound only when a client lists them in SignedHeaders (then a
/// relabelled copy fails the signature); `auth.require_signed_headers` makes an
/// operator's choice of them mandatory. Over plain HTTP a captured request can be
/// replayed within the window: TLS is what protects it.
async fn authenticate(api: &Api, req: &Request, is_get: bool) -> Result<(u64, String), TcError> {
    if req.headers.contains_key("x-tc-token") {
        return Err(AuthError::Malformed(
            "X-TC-Token (temporary credentials) is not supported by this server: it has no \
             temporary credentials. Sign with a permanent SecretId/SecretKey and send no token"
                .into(),
        )
        .into());
    }
    let authorization = header(req, "authorization").ok_or_else(|| {
        AuthError::Malformed(
            "the Authorization header is missing; sign the request with TC3-HMAC-SHA256".into(),
        )
    })?;
    let auth = tc3::parse_authorization(authorization)?;
    let timestamp: i64 = header(req, "x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| {
            AuthError::Malformed("X-TC-Timestamp is missing or not a unix time in seconds".into())
        })?;
    let now = api.kms.now();
    let window = api.settings.signature_window;
    tc3::check_scope(&auth, timestamp, now, window)?;
    tc3::check_required_headers(&auth, &api.settings.require_signed_headers)?;

    let payload_hash = match header(req, "x-tc-content-sha256") {
        Some(tc3::UNSIGNED_PAYLOAD) if !api.settings.allow_unsigned_payload => {
            return Err(AuthError::Malformed(
                "X-TC-Content-SHA256: UNSIGNED-PAYLOAD is not accepted by this server; sign the body".into(),
            )
            .into())
        }
        // The SDKs hash the literal text in this mode rather than the body.
        Some(tc3::UNSIGNED_PAYLOAD) => tc3::sha256_hex(tc3::UNSIGNED_PAYLOAD.as_bytes()),
        _ if is_get => tc3::sha256_hex(b""),
        _ => tc3::sha256_hex(&req.body),
    };

    let (account, secret) = api
        .credentials
        .lookup(&auth.secret_id)
        .await
        .map_err(|detail| {
            tracing::error!(%detail, "credential lookup failed");
            AuthError::Unavailable
        })?
        .ok_or_else(|| AuthError::UnknownSecretId(auth.secret_id.clone()))?;

    let method = if is_get { "GET" } else { "POST" };
    let verify_with = |host_without_port: bool| -> Result<(), AuthError> {
        let lookup = |name: &str| -> Option<String> {
            let mut values = req.headers.get_all(name).iter();
            let first = values.next()?.to_str().ok()?;
            // A header sent twice is ambiguous; refuse to sign over it.
            if values.next().is_some() {
                return None;
            }
            if host_without_port && name == "host" {
                return Some(tc3::host_without_port(first).to_string());
            }
            Some(first.to_string())
        };
        let parts = tc3::SignedParts {
            method,
            query: if is_get { &req.query } else { "" },
            header: &lookup,
            payload_hash: &payload_hash,
        };
        let canonical = tc3::canonical_request(&parts, &auth.signed_headers)?;
        tc3::verify(&auth, secret.expose(), timestamp, &canonical)
    };
    match verify_with(false) {
        Ok(()) => {}
        // The Node.js SDK signs the host without the port it then sends in Host.
        Err(AuthError::BadSignature(_))
            if header(req, "host").is_some_and(|h| tc3::host_without_port(h) != h) =>
        {
            verify_with(true)?
        }
        Err(e) => return Err(e.into()),
    }
    Ok((account, auth.secret_id))
}
