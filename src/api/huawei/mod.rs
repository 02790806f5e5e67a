//! Huawei Cloud KMS API v1.0 (DEW): `POST /v1.0/{project_id}/kms/{action}` with a JSON
//! body, signed with AK/SK (`SDK-HMAC-SHA256`, see `auth::huawei`).
//!
//! - The AK/SK pair is an smkms SecretId/SecretKey; the account it belongs to is
//!   Huawei's `domain_id`.
//! - The project id is the scope, exactly like a Tencent region: project
//!   `ap-guangzhou` sees the keys of Tencent region `ap-guangzhou`.
//! - Success is HTTP 200 with the action's JSON. KMS errors are
//!   `{"error": {"error_code": "KMS.xxxx", "error_msg": ...}}` with Huawei's status for
//!   the code; authentication errors are the API gateway's flat
//!   `{"error_code": "APIGW.030x", "error_msg", "request_id"}` with 401.
//! - Numbers travel as strings (`"512"`), key states as `"1"`..`"5"`.

mod actions;
mod asymmetric;
mod body;
pub mod errors;
mod import;
mod lifecycle;
mod reencrypt;
mod rotation;
pub mod route;
mod tags;

use super::{Api, Outcome, Refusal, Request, Response};
use crate::auth::{huawei as sig, AuthError};
use crate::kms::{Dialect, RequestContext};
use crate::model::Scope;
use errors::HwError;
use serde_json::{json, Map, Value};

pub const CONTENT_TYPE: &str = "application/json;charset=UTF-8";
/// Huawei's KMS API lives under this path (see [`route`] for every path Huawei owns).
pub const PATH_PREFIX: &str = "/v1.0/";

/// The actions served, by their path after `/kms/` (`{key_id}` and `{key}` stand for
/// the ids a path carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    CreateKey,
    CreateDatakey,
    CreateDatakeyWithoutPlaintext,
    EncryptDatakey,
    DecryptDatakey,
    EncryptData,
    DecryptData,
    DescribeKey,
    ListKeys,
    EnableKey,
    DisableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    UpdateKeyAlias,
    UpdateKeyDescription,
    GenRandom,
    EnableKeyRotation,
    DisableKeyRotation,
    GetKeyRotationStatus,
    UpdateKeyRotationInterval,
    RotateOnDemand,
    ReEncrypt,
    /// `POST {key_id}/tags`: add one tag.
    CreateTag,
    /// `GET {key_id}/tags`.
    ShowTags,
    /// `POST {key_id}/tags/action`: add or remove several.
    BatchTags,
    /// `DELETE {key_id}/tags/{key}`.
    DeleteTag,
    /// `GET tags`: every tag key of the project with its values.
    ListProjectTags,
    /// `POST resource_instances/action`: keys by tag.
    ListByTags,
    /// `get-publickey`: an asymmetric key's public key.
    GetPublicKey,
    Sign,
    /// `verify` (the SDK's `validate_signature`).
    Verify,
    /// `get-parameters-for-import` (the SDK's `create_parameters_for_import`).
    GetParametersForImport,
    ImportKeyMaterial,
    DeleteImportedKeyMaterial,
}

impl Action {
    pub const ALL: [Action; 34] = [
        Action::CreateKey,
        Action::CreateDatakey,
        Action::CreateDatakeyWithoutPlaintext,
        Action::EncryptDatakey,
        Action::DecryptDatakey,
        Action::EncryptData,
        Action::DecryptData,
        Action::DescribeKey,
        Action::ListKeys,
        Action::EnableKey,
        Action::DisableKey,
        Action::ScheduleKeyDeletion,
        Action::CancelKeyDeletion,
        Action::UpdateKeyAlias,
        Action::UpdateKeyDescription,
        Action::GenRandom,
        Action::EnableKeyRotation,
        Action::DisableKeyRotation,
        Action::GetKeyRotationStatus,
        Action::UpdateKeyRotationInterval,
        Action::RotateOnDemand,
        Action::ReEncrypt,
        Action::CreateTag,
        Action::ShowTags,
        Action::BatchTags,
        Action::DeleteTag,
        Action::ListProjectTags,
        Action::ListByTags,
        Action::GetPublicKey,
        Action::Sign,
        Action::Verify,
        Action::GetParametersForImport,
        Action::ImportKeyMaterial,
        Action::DeleteImportedKeyMaterial,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Action::CreateKey => "create-key",
            Action::CreateDatakey => "create-datakey",
            Action::CreateDatakeyWithoutPlaintext => "create-datakey-without-plaintext",
            Action::EncryptDatakey => "encrypt-datakey",
            Action::DecryptDatakey => "decrypt-datakey",
            Action::EncryptData => "encrypt-data",
            Action::DecryptData => "decrypt-data",
            Action::DescribeKey => "describe-key",
            Action::ListKeys => "list-keys",
            Action::EnableKey => "enable-key",
            Action::DisableKey => "disable-key",
            Action::ScheduleKeyDeletion => "schedule-key-deletion",
            Action::CancelKeyDeletion => "cancel-key-deletion",
            Action::UpdateKeyAlias => "update-key-alias",
            Action::UpdateKeyDescription => "update-key-description",
            Action::GenRandom => "gen-random",
            Action::EnableKeyRotation => "enable-key-rotation",
            Action::DisableKeyRotation => "disable-key-rotation",
            Action::GetKeyRotationStatus => "get-key-rotation-status",
            Action::UpdateKeyRotationInterval => "update-key-rotation-interval",
            Action::RotateOnDemand => "rotate-on-demand",
            Action::ReEncrypt => "re-encrypt",
            Action::CreateTag => "{key_id}/tags",
            Action::ShowTags => "{key_id}/tags",
            Action::BatchTags => "{key_id}/tags/action",
            Action::DeleteTag => "{key_id}/tags/{key}",
            Action::ListProjectTags => "tags",
            Action::ListByTags => "resource_instances/action",
            Action::GetPublicKey => "get-publickey",
            Action::Sign => "sign",
            Action::Verify => "verify",
            Action::GetParametersForImport => "get-parameters-for-import",
            Action::ImportKeyMaterial => "import-key-material",
            Action::DeleteImportedKeyMaterial => "delete-imported-key-material",
        }
    }

    /// The HTTP method the action takes.
    pub fn method(self) -> http::Method {
        match self {
            Action::ShowTags | Action::ListProjectTags => http::Method::GET,
            Action::DeleteTag => http::Method::DELETE,
            _ => http::Method::POST,
        }
    }

    /// The action a fixed path names (not one with an id in it).
    pub fn from_path(p: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|a| a.path() == p && !p.contains('{'))
    }
}

/// Who is calling, for which project: the core's context, the action, and the API to
/// call.
pub(crate) struct Call<'a> {
    pub api: &'a Api,
    pub action: Action,
    pub ctx: RequestContext,
    /// The ids the path carries.
    pub params: route::PathParams,
}

pub async fn handle(api: &Api, req: Request) -> Response {
    let mut outcome = Outcome::new(Dialect::Huawei, req.peer);
    let result = process(api, &req, &mut outcome).await;
    render(result, outcome)
}

/// The Huawei-shaped answer to a request the HTTP layer refused.
pub fn refuse(why: Refusal, outcome: Outcome) -> Response {
    let err = match why {
        Refusal::BodyTooLarge { limit } => HwError::bad(
            "KMS.0203",
            format!("the request body is larger than the {limit}-byte limit"),
        ),
        Refusal::BodyUnreadable => {
            HwError::bad("KMS.0202", "the request body could not be read completely")
        }
        Refusal::Unavailable => HwError::internal(&outcome.request_id),
    };
    render(Err(err), outcome)
}

fn render(result: Result<Map<String, Value>, HwError>, mut outcome: Outcome) -> Response {
    outcome.code = result.as_ref().err().map(|e| e.code.to_string());
    let request_id = outcome.request_id.as_str();
    let (status, body) = match result {
        Ok(fields) => (200, Value::Object(fields)),
        Err(e) if e.gateway => (
            e.status,
            json!({ "error_code": e.code, "error_msg": e.message, "request_id": request_id }),
        ),
        Err(e) => (
            e.status,
            json!({ "error": { "error_code": e.code, "error_msg": e.message } }),
        ),
    };
    let body = serde_json::to_vec(&body).expect("JSON values serialise");
    Response {
        status,
        content_type: CONTENT_TYPE,
        body,
        outcome,
    }
}

/// The value of a header sent exactly once; a repeated header is ambiguous and refused
/// wherever it matters.
fn single_header(req: &Request, name: &str) -> Result<Option<Vec<u8>>, AuthError> {
    let mut values = req.headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::Malformed(format!(
            "the header {name} appears more than once"
        )));
    }
    Ok(Some(first.as_bytes().to_vec()))
}

fn header_text(req: &Request, name: &str) -> Result<Option<String>, AuthError> {
    single_header(req, name)?
        .map(|v| {
            String::from_utf8(v)
                .map_err(|_| AuthError::Malformed(format!("the header {name} is not valid text")))
        })
        .transpose()
}

/// Project ids scope keys the way Tencent regions do; the same name is the same scope.
/// Huawei's are 32 hex digits; region-style names (`ap-guangzhou`) are accepted too.
pub(crate) fn check_project_id(pid: &str) -> Result<(), HwError> {
    if pid.is_empty()
        || pid.len() > 64
        || !pid
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(HwError::bad(
            "KMS.0201",
            format!(
                "the project id {pid:?} in the URL is not valid: 1 to 64 lowercase letters, digits, '-' or '_'"
            ),
        ));
    }
    Ok(())
}

async fn process(
    api: &Api,
    req: &Request,
    outcome: &mut Outcome,
) -> Result<Map<String, Value>, HwError> {
    // The action as the path names it, for the outcome of a request refused before
    // routing (a bad signature, say): the segment after `/kms/`.
    if let Some((_, name)) = req.path.split_once("/kms/") {
        outcome.set_action(name);
    }
    let (account, access) = authenticate(api, req).await?;
    outcome.authenticated(account, &access);

    let (pid, action, params) = match route::resolve(req)? {
        route::Route::Versions(v) => {
            outcome.set_action("versions");
            return match v {
                Value::Object(m) => Ok(m),
                _ => unreachable!("version answers are objects"),
            };
        }
        route::Route::Kms {
            project_id,
            action,
            params,
        } => (project_id, action, params),
    };
    if let Some(header_pid) = header_text(req, "x-project-id")? {
        if header_pid != pid {
            return Err(HwError::kms(
                403,
                "KMS.0321",
                format!("the project id in the URL ({pid}) is not the X-Project-Id header's ({header_pid})"),
            ));
        }
    }
    let content_type = header_text(req, "content-type")?.unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or("").trim();
    // A GET or DELETE has nothing to type; a body, if any, must be JSON.
    let bodiless = action.method() != http::Method::POST && req.body.is_empty();
    if !bodiless && !media.eq_ignore_ascii_case("application/json") {
        return Err(HwError::bad(
            "KMS.0202",
            format!("Content-Type must be application/json, got {content_type:?}"),
        ));
    }
    let body = body::Body::parse(&req.body)?;
    let scope = Scope {
        account,
        region: pid.to_string(),
    };
    let call = Call {
        api,
        action,
        ctx: outcome.context(scope, action.path()),
        params,
    };
    let result = actions::dispatch(&call, body).await;
    outcome.record(call.ctx);
    result
}

/// Verifies the AK/SK signature and the date; returns the caller's account and access
/// key.
async fn authenticate(api: &Api, req: &Request) -> Result<(u64, String), HwError> {
    if req.headers.contains_key("x-security-token") {
        return Err(AuthError::Malformed(
            "temporary credentials (X-Security-Token) are not supported; sign with a permanent AK/SK".into(),
        )
        .into());
    }
    let Some(authorization) = header_text(req, "authorization")? else {
        let why = if req.headers.contains_key("x-auth-token") {
            "IAM tokens (X-Auth-Token) are not supported; sign the request with AK/SK (SDK-HMAC-SHA256)"
        } else {
            "the Authorization header is missing; sign the request with AK/SK (SDK-HMAC-SHA256)"
        };
        return Err(AuthError::Malformed(why.into()).into());
    };
    let auth = sig::parse_authorization(&authorization)?;
    let date_text = header_text(req, "x-sdk-date")?
        .ok_or_else(|| AuthError::Malformed("the X-Sdk-Date header is missing".into()))?;
    let date = sig::parse_sdk_date(&date_text)?;
    sig::check_date(date, api.kms.now())?;
    let content = header_text(req, auth.algorithm.content_header())?;
    let payload_hash = sig::payload_hash(
        auth.algorithm,
        &req.body,
        content.as_deref(),
        api.settings.allow_unsigned_payload,
    )?;

    let (account, secret) = api
        .credentials
        .lookup(&auth.access)
        .await
        .map_err(|detail| {
            tracing::error!(%detail, "credential lookup failed");
            AuthError::Unavailable
        })?
        .ok_or_else(|| AuthError::UnknownSecretId(auth.access.clone()))?;

    // Header values as raw bytes; a signed header sent twice is refused.
    let mut values = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        values.push(single_header(req, name)?);
    }
    let lookup = |name: &str| {
        auth.signed_headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| values[i].clone())
    };
    let parts = sig::SignedParts {
        method: req.method.as_str(),
        path: &req.path,
        query: &req.query,
        header: &lookup,
        payload_hash: &payload_hash,
    };
    let canonical = sig::canonical_request(&parts, &auth.signed_headers)?;
    sig::verify(&auth, secret.expose(), &date_text, &canonical)?;
    Ok((account, auth.access))
}
