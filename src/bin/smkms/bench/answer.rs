//! The one reading of a Tencent API 3.0 answer, for the setup and the load alike:
//!
//! ```text
//! {"Response": {...fields..., "RequestId": "..."}}                      success
//! {"Response": {"Error": {"Code": "...", "Message": "..."}, "RequestId": "..."}}  API error
//! ```
//!
//! anything else (an HTTP status other than 200, a body that is not JSON, JSON of
//! another shape) is a transport-level [`Problem`]. An `Error` wins over a `RequestId`;
//! without an `Error`, a success needs a `RequestId`.
//!
//! The parse borrows from the body: with [`Skip`] (the load, once per request) it
//! allocates nothing unless a key or the error's strings contain escapes; the setup
//! keeps the fields in a [`Map`] instead.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// What an answer says.
#[derive(Debug, PartialEq)]
pub enum Answer<'a, F> {
    /// `Response` has a `RequestId` and no `Error`: its other fields, as `F` keeps them.
    Success(F),
    /// `Response.Error`: the server refused the request.
    Error {
        code: Cow<'a, str>,
        message: Cow<'a, str>,
    },
    /// No API answer at all.
    Transport(Problem),
}

/// Why an HTTP exchange did not carry an API answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// An HTTP status other than 200 (the API answers everything, errors too, with 200).
    Status(u16),
    /// The body is not JSON.
    NotJson,
    /// JSON, but neither a success (`Response` with a `RequestId`) nor an `Error`.
    NotTencent,
}

impl Problem {
    /// The code the load counts it under.
    pub fn code(self) -> String {
        match self {
            Problem::Status(status) => format!("Http.Status{status}"),
            Problem::NotJson | Problem::NotTencent => "Http.NotATencentAnswer".into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Status(status) => write!(f, "HTTP status {status}"),
            Problem::NotJson => f.write_str("the answer is not JSON"),
            Problem::NotTencent => f.write_str(
                "the answer is not a Tencent API answer \
                 (a Response object with a RequestId or an Error)",
            ),
        }
    }
}

/// Classifies one answer, keeping the success fields as `F` does.
pub fn read<'a, F: Fields<'a>>(status: u16, body: &'a [u8]) -> Answer<'a, F> {
    if status != 200 {
        return Answer::Transport(Problem::Status(status));
    }
    match serde_json::from_slice::<Envelope<'a, F>>(body) {
        Ok(Envelope(Inner { error: Some(e), .. })) => Answer::Error {
            code: e.code,
            message: e.message,
        },
        Ok(Envelope(Inner {
            request_id: true,
            fields,
            ..
        })) => Answer::Success(fields),
        Ok(_) => Answer::Transport(Problem::NotTencent),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            Answer::Transport(Problem::NotTencent)
        }
        Err(_) => Answer::Transport(Problem::NotJson),
    }
}

/// What to do with the fields of `Response` other than `Error` and `RequestId`.
pub trait Fields<'de>: Default {
    fn field<A: MapAccess<'de>>(
        &mut self,
        name: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error>;
}

/// Skips the fields: the load only needs to know success from failure.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Skip;

impl<'de> Fields<'de> for Skip {
    fn field<A: MapAccess<'de>>(&mut self, _: Cow<'de, str>, map: &mut A) -> Result<(), A::Error> {
        map.next_value::<IgnoredAny>().map(drop)
    }
}

/// Keeps the fields, for the setup's full checks.
impl<'de> Fields<'de> for Map<String, Value> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        name: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        self.insert(name.into_owned(), map.next_value()?);
        Ok(())
    }
}

/// `{"Response": Inner}`; other top-level keys are ignored.
struct Envelope<'a, F>(Inner<'a, F>);

struct Inner<'a, F> {
    error: Option<ErrorBody<'a>>,
    /// A `RequestId` that is not null.
    request_id: bool,
    fields: F,
}

#[derive(serde::Deserialize)]
struct ErrorBody<'a> {
    #[serde(rename = "Code", borrow)]
    code: Cow<'a, str>,
    #[serde(rename = "Message", borrow, default)]
    message: Cow<'a, str>,
}

/// An object key, borrowed from the body unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de, F: Fields<'de>> Deserialize<'de> for Envelope<'de, F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor<F>(PhantomData<F>);
        impl<'de, F: Fields<'de>> Visitor<'de> for EnvelopeVisitor<F> {
            type Value = Envelope<'de, F>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Tencent API answer, {\"Response\": {...}}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut response = None;
                while let Some(Key(key)) = map.next_key()? {
                    if key == "Response" {
                        if response.is_some() {
                            return Err(de::Error::duplicate_field("Response"));
                        }
                        response = Some(map.next_value::<Inner<'de, F>>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                response
                    .map(Envelope)
                    .ok_or_else(|| de::Error::missing_field("Response"))
            }
        }
        d.deserialize_map(EnvelopeVisitor(PhantomData))
    }
}

impl<'de, F: Fields<'de>> Deserialize<'de> for Inner<'de, F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct InnerVisitor<F>(PhantomData<F>);
        impl<'de, F: Fields<'de>> Visitor<'de> for InnerVisitor<F> {
            type Value = Inner<'de, F>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Response object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut inner = Inner {
                    error: None,
                    request_id: false,
                    fields: F::default(),
                };
                while let Some(Key(key)) = map.next_key()? {
                    match &*key {
                        "Error" => inner.error = map.next_value()?,
                        "RequestId" => {
                            inner.request_id = map.next_value::<Option<IgnoredAny>>()?.is_some()
                        }
                        _ => inner.fields.field(key, &mut map)?,
                    }
                }
                Ok(inner)
            }
        }
        d.deserialize_map(InnerVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(body: &str) -> Answer<'_, Map<String, Value>> {
        read(200, body.as_bytes())
    }

    #[test]
    fn answers_are_classified_once_for_the_setup_and_the_load() {
        // Success: the fields without RequestId, or nothing for the load.
        let ok = r#"{"Response":{"Plaintext":"AA==","KeyId":"k","RequestId":"r"}}"#;
        let Answer::Success(fields) = full(ok) else {
            panic!("{:?}", full(ok))
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["Plaintext", "KeyId"]);
        assert_eq!(fields["Plaintext"], "AA==");
        assert_eq!(read::<Skip>(200, ok.as_bytes()), Answer::Success(Skip));

        // An API error: code and message, borrowed from the body when unescaped.
        let err = r#"{"Response":{"Error":{"Code":"InvalidParameter","Message":"say \"hi\""},"RequestId":"r"}}"#;
        let Answer::Error { code, message } = full(err) else {
            panic!("{:?}", full(err))
        };
        assert!(matches!(code, Cow::Borrowed("InvalidParameter")));
        assert_eq!(message, "say \"hi\"");
        assert_eq!(
            read::<Skip>(200, err.as_bytes()),
            Answer::Error {
                code: "InvalidParameter".into(),
                message: "say \"hi\"".into()
            }
        );
        let Answer::Error { code, message } = read::<Skip>(
            200,
            br#"{"Response":{"RequestId":"r","Error":{"Code":"X.Y"}}}"#,
        ) else {
            panic!("not an error")
        };
        assert_eq!((&*code, &*message), ("X.Y", ""));
        // An Error wins even without a RequestId.
        assert!(matches!(
            read::<Skip>(200, br#"{"Response":{"Error":{"Code":"C","Message":"m"}}}"#),
            Answer::Error { .. }
        ));
        // Escaped keys are still keys.
        assert_eq!(
            read::<Skip>(200, br#"{"Res\u0070onse":{"Re\u0071uestId":"r"}}"#),
            Answer::Success(Skip)
        );

        // Transport-level problems, the same for both readers.
        let ok = ok.as_bytes();
        assert_eq!(
            read::<Skip>(502, ok),
            Answer::Transport(Problem::Status(502))
        );
        for (body, problem) in [
            ("<html>", Problem::NotJson),
            ("", Problem::NotJson),
            (r#"{"Response":{"RequestId":"r"}} x"#, Problem::NotJson),
            ("{}", Problem::NotTencent),
            ("[]", Problem::NotTencent),
            (r#"{"Response":[]}"#, Problem::NotTencent),
            (r#"{"Response":{}}"#, Problem::NotTencent),
            (r#"{"Response":{"RequestId":null}}"#, Problem::NotTencent),
            (
                r#"{"Response":{"Error":null,"Plaintext":"AA=="}}"#,
                Problem::NotTencent,
            ),
            (
                r#"{"Response":{"Error":{"Message":"m"},"RequestId":"r"}}"#,
                Problem::NotTencent,
            ),
            (
                r#"{"Response":{"Error":{"Code":7},"RequestId":"r"}}"#,
                Problem::NotTencent,
            ),
            (
                r#"{"Response":{"RequestId":"r"},"Response":{"RequestId":"r"}}"#,
                Problem::NotTencent,
            ),
        ] {
            assert_eq!(full(body), Answer::Transport(problem), "{body}");
            assert_eq!(
                read::<Skip>(200, body.as_bytes()),
                Answer::Transport(problem),
                "{body}"
            );
        }
        assert_eq!(Problem::Status(404).code(), "Http.Status404");
        assert_eq!(Problem::NotJson.code(), "Http.NotATencentAnswer");
        assert_eq!(Problem::NotTencent.code(), "Http.NotATencentAnswer");
    }
}
