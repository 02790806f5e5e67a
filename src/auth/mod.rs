//! Signature schemes and credentials. Each scheme turns a signed request into the
//! account it speaks for, or an [`AuthError`] that the dialect maps to its codes.

pub mod credentials;
pub mod expiring;
pub mod huawei;
pub mod tc3;
pub mod tc_v1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The Authorization header (or a header it depends on) is missing or malformed.
    #[error("{0}")]
    Malformed(String),
    /// The request's timestamp is outside the accepted window.
    #[error("{0}")]
    Expired(String),
    #[error("the SecretId {0} does not exist or has been deleted")]
    UnknownSecretId(String),
    /// The signature does not match the request.
    #[error("{0}")]
    BadSignature(String),
    /// The server could not read its own credentials or Nonces (the store failed): the
    /// request may be fine, so this is the dialect's internal error, never an
    /// authentication failure that would send a client hunting for a wrong key.
    #[error(
        "the server could not check the request's credential: its database did not answer; \
         retry shortly"
    )]
    Unavailable,
}

/// The values of the `Name=value` parts of an Authorization header after its scheme
/// (`Credential=…, SignedHeaders=…, Signature=…` for TC3, `Access=…` first for Huawei),
/// in the order of `names`. Each name must appear exactly once and nothing else may; the
/// error is a reason for the caller to wrap.
pub(crate) fn named_parts<'a, const N: usize>(
    rest: &'a str,
    names: [&str; N],
) -> Result<[&'a str; N], String> {
    let mut found: [Option<&'a str>; N] = [None; N];
    for part in rest.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            let expected: Vec<String> = names.iter().map(|n| format!("{n}=...")).collect();
            return Err(format!("expected {}", expected.join(", ")));
        };
        let Some(i) = names.iter().position(|n| *n == k) else {
            return Err(format!("unexpected part {k:?}"));
        };
        if found[i].replace(v).is_some() {
            return Err(format!("{k} appears twice"));
        }
    }
    let mut out = [""; N];
    for (i, name) in names.iter().enumerate() {
        out[i] = found[i].ok_or_else(|| format!("{name} is missing"))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::named_parts;

    #[test]
    fn named_parts_in_order_each_once() {
        let names = ["Credential", "SignedHeaders", "Signature"];
        assert_eq!(
            named_parts(" Signature=s, Credential=c/d,SignedHeaders=host", names),
            Ok(["c/d", "host", "s"])
        );
        let err = |rest| named_parts(rest, names).unwrap_err();
        assert_eq!(
            err(" Credential"),
            "expected Credential=..., SignedHeaders=..., Signature=..."
        );
        assert_eq!(err(" Credential=a, Date=b"), "unexpected part \"Date\"");
        assert_eq!(
            err(" Credential=a, Credential=b"),
            "Credential appears twice"
        );
        assert_eq!(
            err(" Credential=a, Signature=s"),
            "SignedHeaders is missing"
        );
        assert_eq!(
            named_parts(
                " Access=AK, SignedHeaders=h, Signature=",
                ["Access", "SignedHeaders", "Signature"]
            ),
            Ok(["AK", "h", ""]),
            "an empty value is the caller's to judge"
        );
    }
}
