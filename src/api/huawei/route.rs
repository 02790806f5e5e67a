//! Which requests are Huawei's, and what each Huawei path names.
//!
//! The Huawei dialect owns, by path alone:
//! - `/v1.0` and everything under `/v1.0/` (the KMS API, keystores, version detail);
//! - `/v2/{project_id}/kms` and everything under it (cross-region replication, which
//!   this server does not implement; everything else under `/v2/` but the legacy
//!   Tencent `/v2/index.php` stays Tencent's);
//! - a bare version segment such as `/v1` or `/v3.0` (version detail, `GET /{version_id}`).
//!
//! `/` is shared with Tencent API 3.0. `GET /` is Huawei's version list only when the
//! request is positively Huawei's and carries nothing of Tencent's: an `Authorization`
//! of the `SDK-HMAC-` schemes or an `X-Sdk-Date` header, and no `X-TC-*` header and no
//! `TC3-` `Authorization`. Every other request to `/` (any POST, a Tencent GET with its
//! query, an unsigned GET) stays Tencent's, as before.

use super::errors::HwError;
use super::Action;
use crate::api::Request;
use http::Method;
use serde_json::{json, Value};

/// The other v1.0 KMS operations Huawei documents (the part of the path after
/// `/kms/`, up to the first `/` where the path carries an id). They are answered with
/// "not implemented" rather than "no such API".
const NOT_IMPLEMENTED: &[&str] = &[
    "create-grant",
    "revoke-grant",
    "retire-grant",
    "list-grants",
    "list-retirable-grants",
    "generate-mac",
    "verify-mac",
    "create-rsa-datakey-pair",
    "create-ec-datakey-pair",
    "derive-shared-secret",
    "user-instances",
    "user-quotas",
    "aliases",
    "alias",
    "key-policies",
    "datakey-capsule",
    "create-pin",
    "access-points",
];

/// The only API version this server speaks, and when Huawei released it.
const VERSION_ID: &str = "v1.0";
const VERSION_UPDATED: &str = "2016-10-29T02:00:00Z";

/// Whether the path alone makes a request Huawei's (see the module comment).
pub fn owns_path(path: &str) -> bool {
    if path == "/v1.0" || path.starts_with(super::PATH_PREFIX) || is_version_segment(path) {
        return true;
    }
    let mut segs = path.strip_prefix("/v2/").unwrap_or("").split('/');
    matches!((segs.next(), segs.next()), (Some(pid), Some("kms")) if !pid.is_empty())
}

/// Whether this request is Huawei's: by its path, or a Huawei-signed `GET /`.
pub fn claims(req: &Request) -> bool {
    if owns_path(&req.path) {
        return true;
    }
    if req.path != "/" || req.method != Method::GET {
        return false;
    }
    let authorization = req
        .headers
        .get("authorization")
        .map(|v| v.as_bytes().to_ascii_uppercase());
    let tencent = req.headers.keys().any(|k| k.as_str().starts_with("x-tc-"))
        || authorization
            .as_deref()
            .is_some_and(|a| a.starts_with(b"TC3-"));
    let huawei = req.headers.contains_key("x-sdk-date")
        || authorization
            .as_deref()
            .is_some_and(|a| a.starts_with(b"SDK-HMAC-"));
    huawei && !tencent
}

/// `/v1`, `/v1.0`, `/v12.3/`: one segment naming an API version.
fn is_version_segment(path: &str) -> bool {
    let seg = path.strip_prefix("/v").unwrap_or("");
    let seg = seg.strip_suffix('/').unwrap_or(seg);
    let (major, minor) = seg.split_once('.').unwrap_or((seg, "0"));
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

/// What a Huawei path names, once authenticated.
pub enum Route<'a> {
    /// Version discovery, answered without a project.
    Versions(Value),
    /// A KMS action in a project.
    Kms {
        project_id: &'a str,
        action: Action,
        params: PathParams,
    },
}

/// The ids a path carries (`/kms/{key_id}/tags/{key}`), as sent (percent-decoded).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PathParams {
    pub key_id: Option<String>,
    pub tag_key: Option<String>,
}

fn no_such_api(req: &Request) -> HwError {
    HwError::gateway(
        404,
        "APIGW.0101",
        format!(
            "{} {} is not an API of this server; Huawei KMS requests go to /v1.0/{{project_id}}/kms/{{action}}",
            req.method, req.path
        ),
    )
}

fn not_implemented(what: impl std::fmt::Display) -> HwError {
    HwError::bad(
        "KMS.0201",
        format!("{what} is not implemented by this server"),
    )
}

fn wrong_method(req: &Request, what: &str, allowed: &str) -> HwError {
    HwError::kms(
        405,
        "KMS.0215",
        format!("{what} takes {allowed}, not {}", req.method),
    )
}

/// The route of an authenticated Huawei request.
pub fn resolve(req: &Request) -> Result<Route<'_>, HwError> {
    let path = req.path.as_str();
    // Version discovery: `GET /` lists, `GET /{version_id}` details.
    if path == "/" || is_version_segment(path) {
        if req.method != Method::GET {
            return Err(wrong_method(req, "version discovery", "GET"));
        }
        if path == "/" {
            return Ok(Route::Versions(json!({ "versions": [version(req)] })));
        }
        let id = path.trim_matches('/');
        if id != VERSION_ID {
            return Err(HwError::kms(
                404,
                "KMS.0201",
                format!("the API version {id} does not exist; this server speaks {VERSION_ID}"),
            ));
        }
        return Ok(Route::Versions(json!({ "version": version(req) })));
    }
    if let Some(rest) = path.strip_prefix("/v2/") {
        let (pid, _) = rest.split_once('/').unwrap_or((rest, ""));
        super::check_project_id(pid)?;
        return Err(not_implemented(format_args!(
            "{} {path} (Huawei KMS v2: cross-region key replication and its regions)",
            req.method
        )));
    }
    let rest = path
        .strip_prefix(super::PATH_PREFIX)
        .ok_or_else(|| no_such_api(req))?;
    let (pid, rest) = rest.split_once('/').ok_or_else(|| no_such_api(req))?;
    if rest == "keystores" || rest.starts_with("keystores/") {
        return Err(not_implemented(
            "dedicated keystores (/v1.0/{project_id}/keystores)",
        ));
    }
    let name = rest.strip_prefix("kms/").ok_or_else(|| no_such_api(req))?;
    super::check_project_id(pid)?;
    let (action, params) = action(req, name)?;
    if req.method != action.method() {
        return Err(wrong_method(req, action.path(), action.method().as_str()));
    }
    Ok(Route::Kms {
        project_id: pid,
        action,
        params,
    })
}

/// What an outcome's action (the path after `/kms/`, or `versions`) names, as a fixed
/// name for a metrics label: the action's path, or its template when it holds an id
/// (`{key_id}/tags`); `None` for a path that is no action.
pub fn action_template(name: &str) -> Option<&'static str> {
    if name == "versions" {
        return Some("versions");
    }
    if let Some(a) = Action::from_path(name) {
        return Some(a.path());
    }
    let segs: Vec<&str> = name.split('/').collect();
    match segs.as_slice() {
        ["resource_instances", "action"] => Some(Action::ListByTags.path()),
        [_, "tags"] => Some(Action::CreateTag.path()),
        [_, "tags", "action"] => Some(Action::BatchTags.path()),
        [_, "tags", _] => Some(Action::DeleteTag.path()),
        _ => None,
    }
}

/// The action a path after `/kms/` names, with its path parameters.
fn action(req: &Request, name: &str) -> Result<(Action, PathParams), HwError> {
    if let Some(a) = Action::from_path(name) {
        return Ok((a, PathParams::default()));
    }
    let segs: Vec<&str> = name.split('/').collect();
    let key = |id: &str| PathParams {
        key_id: Some(id.to_string()),
        tag_key: None,
    };
    match segs.as_slice() {
        ["resource_instances", "action"] => return Ok((Action::ListByTags, PathParams::default())),
        [id, "tags"] if !NOT_IMPLEMENTED.contains(id) => {
            let a = match req.method {
                Method::POST => Action::CreateTag,
                Method::GET => Action::ShowTags,
                _ => return Err(wrong_method(req, "{key_id}/tags", "POST or GET")),
            };
            return Ok((a, key(id)));
        }
        [id, "tags", "action"] if req.method == Method::POST => {
            return Ok((Action::BatchTags, key(id)))
        }
        [id, "tags", tag] if !NOT_IMPLEMENTED.contains(id) => {
            let tag = percent_encoding::percent_decode_str(tag)
                .decode_utf8()
                .map_err(|_| {
                    HwError::bad("KMS.0406", "the tag key in the URL is not valid UTF-8")
                })?;
            let mut p = key(id);
            p.tag_key = Some(tag.into_owned());
            return Ok((Action::DeleteTag, p));
        }
        _ => {}
    }
    let first = segs.first().copied().unwrap_or("");
    let second = segs.get(1).copied().unwrap_or("");
    if NOT_IMPLEMENTED.contains(&first) || NOT_IMPLEMENTED.contains(&second) {
        return Err(not_implemented(format_args!("the Huawei KMS API {name}")));
    }
    Err(no_such_api(req))
}

/// Huawei's ApiVersionDetail of v1.0, its link on the host the client named.
fn version(req: &Request) -> Value {
    let host = req
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    let href = match host {
        Some(h) => {
            let https = req
                .headers
                .get("x-forwarded-proto")
                .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
            format!(
                "{}://{h}/{VERSION_ID}/",
                if https { "https" } else { "http" }
            )
        }
        None => format!("/{VERSION_ID}/"),
    };
    json!({
        "id": VERSION_ID,
        "links": [{ "href": href, "rel": "self" }],
        "version": "",
        "status": "CURRENT",
        "updated": VERSION_UPDATED,
        "min_version": "",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderMap;

    fn req(method: Method, path: &str, headers: &[(&str, &str)]) -> Request {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Request {
            method,
            path: path.into(),
            query: String::new(),
            headers: h,
            body: Bytes::new(),
            peer: None,
        }
    }

    #[test]
    fn paths_huawei_owns() {
        for p in [
            "/v1.0",
            "/v1.0/",
            "/v1.0/p/kms/create-key",
            "/v1",
            "/v3.2/",
            "/v2/p/kms/regions",
            "/v2/p/kms",
        ] {
            assert!(owns_path(p), "{p}");
        }
        for p in [
            "/",
            "/v2/index.php",
            "/v2/p",
            "/v2//kms",
            "/v1.0x",
            "/vx",
            "/v",
            "/v1.0.0",
        ] {
            assert!(!owns_path(p), "{p}");
        }
    }

    #[test]
    fn get_slash_is_huawei_only_when_signed_as_huawei_and_nothing_tencent() {
        let sdk = (
            "authorization",
            "SDK-HMAC-SHA256 Access=a, SignedHeaders=x, Signature=s",
        );
        let date = ("x-sdk-date", "20240101T000000Z");
        let tc3 = ("authorization", "TC3-HMAC-SHA256 Credential=a/b");
        let action = ("x-tc-action", "ListKeys");
        let g = |h: &[(&str, &str)]| claims(&req(Method::GET, "/", h));
        assert!(g(&[sdk, date]));
        assert!(g(&[sdk]));
        assert!(g(&[date]));
        assert!(!g(&[]), "unsigned: Tencent's, as before");
        assert!(!g(&[tc3]));
        assert!(!g(&[tc3, date]));
        assert!(!g(&[sdk, action]));
        assert!(!g(&[date, ("x-tc-timestamp", "1")]));
        assert!(!claims(&req(Method::POST, "/", &[sdk, date])));
        assert!(claims(&req(Method::POST, "/v1.0/p/kms/x", &[tc3])));
    }

    #[test]
    fn action_templates_hold_no_id() {
        assert_eq!(action_template("create-key"), Some("create-key"));
        assert_eq!(action_template("tags"), Some("tags"));
        let id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
        assert_eq!(
            action_template(&format!("{id}/tags")),
            Some("{key_id}/tags")
        );
        assert_eq!(
            action_template(&format!("{id}/tags/action")),
            Some("{key_id}/tags/action")
        );
        assert_eq!(
            action_template(&format!("{id}/tags/owner")),
            Some("{key_id}/tags/{key}")
        );
        assert_eq!(action_template("versions"), Some("versions"));
        assert_eq!(action_template("no-such-thing"), None);
        assert_eq!(action_template("{key_id}/tags/{key}/x"), None);
    }

    #[test]
    fn paths_name_actions() {
        let r = |m: Method, name: &str| action(&req(m, "/", &[]), name);
        let id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
        assert_eq!(
            r(Method::POST, "enable-key-rotation").unwrap().0,
            Action::EnableKeyRotation
        );
        let (a, p) = r(Method::POST, &format!("{id}/tags")).unwrap();
        assert_eq!((a, p.key_id.as_deref()), (Action::CreateTag, Some(id)));
        assert_eq!(
            r(Method::GET, &format!("{id}/tags")).unwrap().0,
            Action::ShowTags
        );
        assert_eq!(
            r(Method::POST, &format!("{id}/tags/action")).unwrap().0,
            Action::BatchTags
        );
        let (a, p) = r(Method::DELETE, &format!("{id}/tags/a%20b%2Fc")).unwrap();
        assert_eq!(
            (a, p.tag_key.as_deref()),
            (Action::DeleteTag, Some("a b/c"))
        );
        assert_eq!(r(Method::GET, "tags").unwrap().0, Action::ListProjectTags);
        assert_eq!(
            r(Method::POST, "resource_instances/action").unwrap().0,
            Action::ListByTags
        );
        assert_eq!(
            r(Method::PUT, &format!("{id}/tags")).unwrap_err().code,
            "KMS.0215"
        );
        assert_eq!(
            r(Method::POST, "create-grant").unwrap_err().code,
            "KMS.0201"
        );
        assert_eq!(
            r(Method::GET, "access-points/x").unwrap_err().code,
            "KMS.0201"
        );
        assert_eq!(r(Method::POST, "nothing").unwrap_err().code, "APIGW.0101");
    }
}
