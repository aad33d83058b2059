//! Field readers for payloads that are looser than their documentation, and for fields read
//! without copying.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// An optional string that senders also write as a number or a boolean; `null` and the
/// literal text `"None"` (Python's null leaking into JSON) read as absent. Read in one pass
/// (no buffering of the value).
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Loose;
    impl<'de> Visitor<'de> for Loose {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number, a boolean or null")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok((v != "None").then(|| v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok((v != "None").then_some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(Loose)
}

/// A required id that senders write as a string or a number.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string(d)?.ok_or_else(|| de::Error::custom("expected a string or a number"))
}

/// An optional value of a wire enum where `"None"` also means absent.
pub(crate) fn opt_wire<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct Wire<T>(std::marker::PhantomData<T>);
    impl<'de, T: for<'a> From<&'a str>> Visitor<'de> for Wire<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok((v != "None").then(|| T::from(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    d.deserialize_option(Wire(std::marker::PhantomData))
}

/// An optional JSON string kept as its token (quotes and escapes as written; `null` reads as
/// absent), for [`string_text`](super::string_text) to unescape in one allocation. Anything
/// else is refused as [`borrowed_text`] refuses it: the wrong type.
pub(crate) fn string_token<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<&'de serde_json::value::RawValue>, D::Error> {
    let token = <Option<&'de serde_json::value::RawValue> as serde::Deserialize>::deserialize(d)?;
    match token {
        Some(token) if !token.get().starts_with('"') => {
            let unexpected = match token.get().as_bytes().first() {
                Some(b'{') => de::Unexpected::Map,
                Some(b'[') => de::Unexpected::Seq,
                Some(b't') => de::Unexpected::Bool(true),
                Some(b'f') => de::Unexpected::Bool(false),
                _ => de::Unexpected::Other("number"),
            };
            Err(de::Error::invalid_type(unexpected, &"a string or null"))
        }
        token => Ok(token),
    }
}

/// An optional string borrowed from the body where it has no escapes (serde's own `Cow`
/// support does not borrow through `Option`), so that verification copies only what it must.
pub(crate) fn borrowed_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Text;
    impl<'de> serde::de::Visitor<'de> for Text {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    d.deserialize_option(Text)
}
