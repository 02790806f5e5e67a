//! EncryptionContext: a JSON object of string values, bound into a ciphertext as AAD.
//!
//! It is bound in canonical form (keys sorted by their UTF-8 bytes, compact
//! serialisation), so key order and whitespace do not matter but every key and value
//! does. An absent, empty-string or empty-object context is "no context" and binds
//! nothing, so `{}` and no context are interchangeable.

use std::collections::BTreeMap;

/// The longest context accepted, in characters, as the Tencent API documents.
pub const MAX_CHARS: usize = 1024;

/// Canonical bytes of a context, or a sentence saying what is wrong with it.
pub fn canonical(context: Option<&str>) -> Result<Vec<u8>, String> {
    let Some(text) = context else {
        return Ok(Vec::new());
    };
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(format!(
            "is {chars} characters long; at most {MAX_CHARS} are allowed"
        ));
    }
    let value = crate::json::parse_strict(text)
        .map_err(|_| "must be a JSON object such as {\"purpose\":\"backup\"}".to_string())?;
    let serde_json::Value::Object(map) = value else {
        return Err("must be a JSON object such as {\"purpose\":\"backup\"}".into());
    };
    let mut sorted = BTreeMap::new();
    for (k, v) in map {
        match v {
            serde_json::Value::String(s) => {
                sorted.insert(k, s);
            }
            _ => {
                return Err(format!(
                    "must map keys to strings; the value of {k:?} is not a string"
                ))
            }
        }
    }
    if sorted.is_empty() {
        return Ok(Vec::new());
    }
    Ok(serde_json::to_vec(&sorted).expect("strings serialise"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_whitespace_do_not_matter() {
        let a = canonical(Some(r#"{"b":"2","a":"1"}"#)).unwrap();
        let b = canonical(Some(" {\n \"a\" : \"1\",\t\"b\":\"2\" } ")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, br#"{"a":"1","b":"2"}"#);
        assert_ne!(a, canonical(Some(r#"{"a":"1","b":"3"}"#)).unwrap());
        assert_ne!(a, canonical(Some(r#"{"a":"1","B":"2"}"#)).unwrap());
    }

    #[test]
    fn keys_sort_by_utf8_bytes() {
        let c = canonical(Some(r#"{"é":"x","z":"y","Z":"w"}"#)).unwrap();
        assert_eq!(
            String::from_utf8(c).unwrap(),
            r#"{"Z":"w","z":"y","é":"x"}"#
        );
    }

    #[test]
    fn empty_means_none() {
        assert!(canonical(None).unwrap().is_empty());
        assert!(canonical(Some("")).unwrap().is_empty());
        assert!(canonical(Some("{}")).unwrap().is_empty());
    }

    #[test]
    fn refusals_name_the_problem() {
        assert!(canonical(Some("[]")).is_err());
        assert!(canonical(Some("nope")).is_err());
        assert!(canonical(Some(r#"{"a":1}"#)).unwrap_err().contains("\"a\""));
        assert!(canonical(Some(r#"{"a":"1","a":"2"}"#)).is_err());
        let long = format!(r#"{{"k":"{}"}}"#, "x".repeat(1020));
        assert!(canonical(Some(&long)).unwrap_err().contains("1024"));
    }
}
