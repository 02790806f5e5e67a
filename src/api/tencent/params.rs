//! Reading an action's parameters, from a JSON body (POST) or a flattened query string
//! (GET, as the SDKs send with `reqMethod="GET"`: `KeyIds.0=a&Tags.0.TagKey=k`).
//!
//! Each getter removes the field it reads, so [`Params::finish`] can name the first
//! parameter nobody asked for (`UnknownParameter`). Type errors name the field and the
//! type expected. Query-string values are all text, so numbers and booleans are parsed
//! from text there, and only there.

use super::errors::TcError;
use serde_json::{Map, Value};

pub struct Params {
    map: Map<String, Value>,
    from_query: bool,
    /// Prefix for nested objects (e.g. `Tags.0.`) so messages name the full path.
    prefix: String,
}

impl Params {
    pub fn from_json_body(body: &[u8]) -> Result<Params, TcError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| TcError::invalid_parameter("the request body is not valid UTF-8"))?;
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() {
            return Ok(Params::new(Map::new(), false, String::new()));
        }
        let value = crate::json::parse_strict(text).map_err(TcError::invalid_parameter)?;
        match value {
            Value::Object(map) => Ok(Params::new(map, false, String::new())),
            _ => Err(TcError::invalid_parameter(
                "the request body must be a JSON object",
            )),
        }
    }

    pub fn from_query(query: &str) -> Result<Params, TcError> {
        Self::from_pairs(
            form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
    }

    /// Flattened parameters (`KeyIds.0=a`, `Tags.0.TagKey=k`), in the order the client
    /// sent them, as text: a TC3 GET's query, or what a v1-signed request leaves once
    /// its common parameters are taken out.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Params, TcError> {
        let mut root = Value::Object(Map::new());
        let mut seen = std::collections::HashSet::new();
        for (k, v) in pairs {
            if !seen.insert(k.clone()) {
                return Err(TcError::invalid_parameter(format!(
                    "the query parameter {k} appears more than once"
                )));
            }
            insert_path(&mut root, &k, v)?;
        }
        let Value::Object(map) = root else {
            unreachable!()
        };
        Ok(Params::new(map, true, String::new()))
    }

    fn new(map: Map<String, Value>, from_query: bool, prefix: String) -> Params {
        Params {
            map,
            from_query,
            prefix,
        }
    }

    fn path(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        match self.map.remove(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn wrong_type(&self, name: &str, want: &str) -> TcError {
        TcError::invalid_parameter(format!("the parameter {} must be {want}", self.path(name)))
    }

    pub fn opt_str(&mut self, name: &str) -> Result<Option<String>, TcError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong_type(name, "a string")),
        }
    }

    pub fn req_str(&mut self, name: &str) -> Result<String, TcError> {
        self.opt_str(name)?.ok_or_else(|| self.missing(name))
    }

    /// `MissingParameter`, unless the request has the field under a different case
    /// (`Keyid`): then the useful answer is that *that* parameter is unknown.
    fn missing(&self, name: &str) -> TcError {
        match self.map.keys().find(|k| k.eq_ignore_ascii_case(name)) {
            Some(k) => TcError::new(
                "UnknownParameter",
                format!(
                    "the parameter {}{k} is not a parameter of this action; did you mean {}?",
                    self.prefix,
                    self.path(name)
                ),
            ),
            None => TcError::missing(&self.path(name)),
        }
    }

    pub fn opt_int(&mut self, name: &str) -> Result<Option<i64>, TcError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.wrong_type(name, "an integer within 64 bits")),
            Some(Value::String(s)) if self.from_query => s
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.wrong_type(name, "an integer within 64 bits")),
            Some(_) => Err(self.wrong_type(name, "an integer")),
        }
    }

    /// An optional integer that must lie in `range`; `what` completes "must be ...".
    pub fn opt_int_in(
        &mut self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, TcError> {
        let v = self.opt_int(name)?;
        if let Some(n) = v {
            if !range.contains(&n) {
                return Err(TcError::invalid_parameter_value(format!(
                    "the parameter {} must be between {} and {}, got {n}",
                    self.path(name),
                    range.start(),
                    range.end()
                )));
            }
        }
        Ok(v)
    }

    pub fn opt_bool(&mut self, name: &str) -> Result<Option<bool>, TcError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if self.from_query => match s.as_str() {
                "true" | "True" | "1" => Ok(Some(true)),
                "false" | "False" | "0" => Ok(Some(false)),
                _ => Err(self.wrong_type(name, "true or false")),
            },
            Some(_) => Err(self.wrong_type(name, "a boolean")),
        }
    }

    pub fn opt_str_list(&mut self, name: &str) -> Result<Option<Vec<String>>, TcError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(self.wrong_type(name, "a list of strings")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.wrong_type(name, "a list of strings")),
        }
    }

    pub fn req_str_list(&mut self, name: &str) -> Result<Vec<String>, TcError> {
        self.opt_str_list(name)?.ok_or_else(|| self.missing(name))
    }

    /// A list of objects, each read with its own [`Params`] (and its own `finish`).
    pub fn opt_obj_list(&mut self, name: &str) -> Result<Option<Vec<Params>>, TcError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.into_iter().enumerate() {
                    match v {
                        Value::Object(m) => out.push(Params::new(
                            m,
                            self.from_query,
                            format!("{}{name}.{i}.", self.prefix),
                        )),
                        _ => return Err(self.wrong_type(name, "a list of objects")),
                    }
                }
                Ok(Some(out))
            }
            Some(_) => Err(self.wrong_type(name, "a list of objects")),
        }
    }

    /// An object parameter this server accepts only when absent (e.g. `MemberAccount`).
    pub fn present(&mut self, name: &str) -> bool {
        self.take(name).is_some()
    }

    /// Fails with `UnknownParameter` naming a parameter that no getter read.
    pub fn finish(self) -> Result<(), TcError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(k) => Err(TcError::new(
                "UnknownParameter",
                format!(
                    "the parameter {}{k} is not a parameter of this action",
                    self.prefix
                ),
            )),
        }
    }
}

/// Places `value` at a dotted path (`Tags.0.TagKey`), creating arrays for numeric
/// segments. Indexes must arrive in order (0, 1, 2 ...), as the SDKs send them.
fn insert_path(root: &mut Value, key: &str, value: String) -> Result<(), TcError> {
    let bad = || TcError::invalid_parameter(format!("the query parameter {key} is malformed"));
    let segments: Vec<&str> = key.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) || segments.len() > 8 {
        return Err(bad());
    }
    let mut cur = root;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let next_is_index = !last && segments[i + 1].bytes().all(|b| b.is_ascii_digit());
        let fresh = || {
            if last {
                Value::String(value.clone())
            } else if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        cur = match cur {
            Value::Object(map) => {
                if last && map.contains_key(*seg) {
                    return Err(bad());
                }
                map.entry(seg.to_string()).or_insert_with(fresh)
            }
            Value::Array(items) => {
                let idx: usize = seg.parse().map_err(|_| bad())?;
                if idx == items.len() {
                    items.push(fresh());
                } else if idx > items.len() || last {
                    return Err(bad());
                }
                &mut items[idx]
            }
            _ => return Err(bad()),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_body_fields_and_unknowns() {
        let mut p =
            Params::from_json_body(br#"{"KeyId":"k","Limit":5,"Extra":1,"N":null}"#).unwrap();
        assert_eq!(p.req_str("KeyId").unwrap(), "k");
        assert_eq!(p.opt_int("Limit").unwrap(), Some(5));
        assert_eq!(p.opt_int("N").unwrap(), None, "null is absent");
        let e = p.finish().unwrap_err();
        assert_eq!(e.code, "UnknownParameter");
        assert!(e.message.contains("Extra"));
    }

    #[test]
    fn type_errors_name_the_field() {
        let mut p = Params::from_json_body(br#"{"Limit":"5","KeyId":3,"Big":1e30}"#).unwrap();
        let e = p.opt_int("Limit").unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert!(e.message.contains("Limit"));
        assert!(p.req_str("KeyId").unwrap_err().message.contains("KeyId"));
        assert!(p.opt_int("Big").is_err());
        assert_eq!(p.req_str("Missing").unwrap_err().code, "MissingParameter");
        let mut misspelt = Params::from_json_body(br#"{"Keyid":"k"}"#).unwrap();
        let e = misspelt.req_str("KeyId").unwrap_err();
        assert_eq!(e.code, "UnknownParameter");
        assert!(
            e.message.contains("Keyid") && e.message.contains("did you mean KeyId"),
            "{}",
            e.message
        );
    }

    #[test]
    fn query_strings_nest_like_the_sdks() {
        let mut p = Params::from_query(
            "KeyIds.0=a&KeyIds.1=b&Limit=7&Tags.0.TagKey=k&Tags.0.TagValue=v&Flag=true",
        )
        .unwrap();
        assert_eq!(p.req_str_list("KeyIds").unwrap(), vec!["a", "b"]);
        assert_eq!(p.opt_int("Limit").unwrap(), Some(7));
        assert_eq!(p.opt_bool("Flag").unwrap(), Some(true));
        let mut tags = p.opt_obj_list("Tags").unwrap().unwrap();
        assert_eq!(tags[0].req_str("TagKey").unwrap(), "k");
        assert_eq!(tags[0].req_str("TagValue").unwrap(), "v");
        p.finish().unwrap();
        assert!(Params::from_query("A=1&A=2").is_err());
        assert!(
            Params::from_query("KeyIds.1=a").is_err(),
            "gaps are refused"
        );
        assert!(Params::from_query("A..B=1").is_err());
    }

    #[test]
    fn bodies_that_are_not_objects() {
        assert!(Params::from_json_body(b"[1]").is_err());
        assert!(Params::from_json_body(b"{").is_err());
        assert!(Params::from_json_body(b"\xff").is_err());
        assert!(
            Params::from_json_body(b"").is_ok(),
            "an empty body is an empty object"
        );
    }
}
