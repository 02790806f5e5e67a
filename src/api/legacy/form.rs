//! The legacy API's parameters: a query string or an
//! `application/x-www-form-urlencoded` body, read strictly.

use super::errors::LegacyError;
use percent_encoding::percent_decode;
use std::collections::BTreeMap;

/// Parses a query string or form body strictly: `+` is a space, `%XX` a byte, the
/// result UTF-8, each name once.
pub fn parse_form(input: &[u8]) -> Result<BTreeMap<String, String>, LegacyError> {
    let mut out = BTreeMap::new();
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
            return Err(LegacyError::unparsable("a parameter has an empty name"));
        }
        let v = decode(v)?;
        if out.contains_key(&k) {
            return Err(LegacyError::repeated(&k));
        }
        out.insert(k, v);
    }
    Ok(out)
}

/// Strict form decoding: `+` is a space and `%XX` a byte, as everywhere, but a `%`
/// without two hex digits after it is refused (a lenient decoder keeps it literally,
/// and then two parsers can read different values out of one signed request), and so
/// is a value that is not UTF-8 once decoded.
fn decode(raw: &[u8]) -> Result<String, LegacyError> {
    let malformed = raw.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !raw
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if malformed {
        return Err(LegacyError::unparsable(
            "a '%' is not followed by two hex digits",
        ));
    }
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced)
        .decode_utf8()
        .map(|v| v.into_owned())
        .map_err(|_| LegacyError::unparsable("a parameter is not UTF-8 after URL-decoding"))
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
        assert_eq!(parse_form(b"a=1&a=2").unwrap_err().module, 10330);
        for bad in [&b"a=%"[..], b"a=%4", b"a=%zz", b"a=%FF", b"=1", b"%ff=1"] {
            let e = parse_form(bad).unwrap_err();
            assert_eq!((e.code, e.module), (4000, 10420), "{bad:?}");
        }
    }
}
