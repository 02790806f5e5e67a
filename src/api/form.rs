//! Signed parameters in a query string or an `application/x-www-form-urlencoded`
//! body, read strictly: the legacy v2 API and signature v1 on the API 3.0 endpoint
//! sign the decoded values, so every byte must decode one way only.

use percent_encoding::percent_decode;
use std::collections::BTreeMap;

/// Why a form was refused. Each dialect maps it to its own code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("a parameter has an empty name")]
    EmptyName,
    #[error("{0} appears more than once")]
    Repeated(String),
    #[error("a '%' is not followed by two hex digits")]
    BadPercent,
    #[error("a parameter is not UTF-8 after URL-decoding")]
    NotUtf8,
}

/// Parses a query string or form body strictly: `+` is a space, `%XX` a byte, the
/// result UTF-8, each name once.
pub fn parse_form(input: &[u8]) -> Result<BTreeMap<String, String>, FormError> {
    Ok(parse_pairs(input)?.into_iter().collect())
}

/// [`parse_form`]'s pairs in the order they came, for parameters whose order carries
/// meaning (`KeyIds.0`, `KeyIds.1`, ... `KeyIds.10`).
pub fn parse_pairs(input: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for pair in input.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let k = decode(k)?;
        if k.is_empty() {
            return Err(FormError::EmptyName);
        }
        let v = decode(v)?;
        if !seen.insert(k.clone()) {
            return Err(FormError::Repeated(k));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// Strict form decoding: `+` is a space and `%XX` a byte, as everywhere, but a `%`
/// without two hex digits after it is refused (a lenient decoder keeps it literally,
/// and then two parsers can read different values out of one signed request), and so
/// is a value that is not UTF-8 once decoded.
fn decode(raw: &[u8]) -> Result<String, FormError> {
    let malformed = raw.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !raw
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if malformed {
        return Err(FormError::BadPercent);
    }
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced)
        .decode_utf8()
        .map(|v| v.into_owned())
        .map_err(|_| FormError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_parsed_strictly() {
        let p = parse_form(b"a=1&b=x+y%2Bz&&c=&d&e=%E4%BD%A0").unwrap();
        assert_eq!(p["a"], "1");
        assert_eq!(p["b"], "x y+z");
        assert_eq!(p["c"], "");
        assert_eq!(p["d"], "");
        assert_eq!(p["e"], "你");
        assert!(parse_form(b"").unwrap().is_empty());
        assert_eq!(
            parse_form(b"a=1&a=2").unwrap_err(),
            FormError::Repeated("a".into())
        );
        for (bad, why) in [
            (&b"a=%"[..], FormError::BadPercent),
            (b"a=%4", FormError::BadPercent),
            (b"a=%zz", FormError::BadPercent),
            (b"a=%FF", FormError::NotUtf8),
            (b"=1", FormError::EmptyName),
            (b"%ff=1", FormError::NotUtf8),
        ] {
            assert_eq!(parse_form(bad).unwrap_err(), why, "{bad:?}");
        }
    }
}
