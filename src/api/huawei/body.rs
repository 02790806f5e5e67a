//! Reading a Huawei request body: a JSON object whose values are strings, numbers
//! included (`"datakey_length": "512"`).
//!
//! Each getter removes the field it reads, so [`Body::finish`] can name the first field
//! no action asked for. A numeric field is a string of decimal digits; a JSON integer is
//! accepted too (the SDK's models pass an `int` through unchanged). A value of the
//! wrong type is refused with the code the caller names for that field.

use super::errors::HwError;
use serde_json::{Map, Value};

pub struct Body {
    map: Map<String, Value>,
}

/// The longest numeric text read (enough for any value any field allows).
const MAX_DIGITS: usize = 12;

impl Body {
    /// The body as an object; an empty body is an empty object.
    pub fn parse(body: &[u8]) -> Result<Body, HwError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| HwError::bad("KMS.0202", "the request body is not valid UTF-8"))?;
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() {
            return Ok(Body { map: Map::new() });
        }
        match crate::json::parse_strict(text) {
            Ok(Value::Object(map)) => Ok(Body { map }),
            Ok(_) => Err(HwError::bad(
                "KMS.0202",
                "the request body must be a JSON object",
            )),
            Err(e) => Err(HwError::bad("KMS.0202", e)),
        }
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        match self.map.remove(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// An optional string field; any other JSON type is refused with `code`.
    pub fn opt_str(&mut self, name: &str, code: &'static str) -> Result<Option<String>, HwError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(HwError::bad(code, format!("{name} must be a string"))),
        }
    }

    /// An optional field of any JSON type (lists and objects), for the caller to read.
    pub fn opt_value(&mut self, name: &str) -> Option<Value> {
        self.take(name)
    }

    /// A required string field (KMS.0204 when absent).
    pub fn req_str(&mut self, name: &str, code: &'static str) -> Result<String, HwError> {
        self.opt_str(name, code)?
            .ok_or_else(|| HwError::missing(name))
    }

    /// An optional non-negative number, as a string of digits or a JSON integer.
    pub fn opt_num(&mut self, name: &str, code: &'static str) -> Result<Option<u64>, HwError> {
        let bad = || {
            HwError::bad(
                code,
                format!("{name} must be a non-negative whole number written as a string, such as \"512\""),
            )
        };
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                if s.is_empty() || s.len() > MAX_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                s.parse().map(Some).map_err(|_| bad())
            }
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    pub fn req_num(&mut self, name: &str, code: &'static str) -> Result<u64, HwError> {
        self.opt_num(name, code)?
            .ok_or_else(|| HwError::missing(name))
    }

    /// Fields every request may carry: `sequence`, a 36-byte request serial number
    /// (KMS.0206 otherwise), kept only for the client's own bookkeeping.
    pub fn sequence(&mut self) -> Result<(), HwError> {
        if let Some(s) = self.opt_str("sequence", "KMS.0206")? {
            if s.len() != 36 || !s.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(HwError::bad(
                    "KMS.0206",
                    "sequence must be 36 printable ASCII characters, such as 919c82d4-8046-4722-9094-35c3c6524cff",
                ));
            }
        }
        Ok(())
    }

    /// Refuses the first field nobody read.
    pub fn finish(self) -> Result<(), HwError> {
        match self.map.into_iter().find(|(_, v)| !v.is_null()) {
            None => Ok(()),
            Some((k, _)) => Err(HwError::invalid(format!(
                "the request body has a field {k:?} that this API does not define"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_numbers_and_leftovers() {
        let mut b = Body::parse(
            br#"{"a":"x","n":"512","m":7,"bad":"-1","f":1.5,"s":"919c82d4-8046-4722-9094-35c3c6524cff","z":null}"#,
        )
        .unwrap();
        assert_eq!(b.opt_str("a", "KMS.0308").unwrap().as_deref(), Some("x"));
        assert_eq!(b.opt_num("n", "KMS.1901").unwrap(), Some(512));
        assert_eq!(b.opt_num("m", "KMS.1901").unwrap(), Some(7));
        assert_eq!(b.opt_num("bad", "KMS.1901").unwrap_err().code, "KMS.1901");
        assert_eq!(b.opt_num("f", "KMS.1601").unwrap_err().code, "KMS.1601");
        assert_eq!(b.req_str("gone", "KMS.0308").unwrap_err().code, "KMS.0204");
        assert!(b.opt_str("nothing", "KMS.0308").unwrap().is_none());
        assert!(b.opt_str("z", "KMS.0308").unwrap().is_none());
        let mut s =
            Body::parse(br#"{"sequence":"919c82d4-8046-4722-9094-35c3c6524cff","x":1}"#).unwrap();
        s.sequence().unwrap();
        assert!(s.finish().unwrap_err().message.contains("\"x\""));
        let mut s = Body::parse(br#"{"sequence":"short"}"#).unwrap();
        assert_eq!(s.sequence().unwrap_err().code, "KMS.0206");
        let mut s = Body::parse(br#"{"sequence":7}"#).unwrap();
        assert_eq!(s.sequence().unwrap_err().code, "KMS.0206");
    }

    #[test]
    fn bodies() {
        assert!(Body::parse(b"").unwrap().finish().is_ok());
        assert!(Body::parse(b"  ").unwrap().finish().is_ok());
        for bad in [&b"[]"[..], b"{", b"\xff", br#"{"a":1,"a":2}"#, b"1"] {
            assert_eq!(Body::parse(bad).err().unwrap().code, "KMS.0202");
        }
    }
}
