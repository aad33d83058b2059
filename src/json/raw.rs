//! JSON kept as the sender wrote it.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::Error;

/// A field the provider documents as arbitrary JSON, kept as the sender wrote it: any valid
/// JSON is accepted (integers of any size included, which `serde_json::Value` refuses), and
/// nothing is built from it until you ask, with [`parse`](RawJson::parse) into your own type
/// or [`to_value`](RawJson::to_value).
///
/// Two values are equal when their text is; serialising writes the text back unchanged.
///
/// ```
/// use webhook_receiver::providers::RawJson;
/// let raw: RawJson = serde_json::from_str(r#"{"amount": [100, 120]}"#).unwrap();
/// assert_eq!(raw.get(), r#"{"amount": [100, 120]}"#);
/// assert_eq!(raw.to_value().unwrap()["amount"][1], 120);
/// let huge: RawJson = serde_json::from_str(&"9".repeat(10_000)).unwrap();
/// assert_eq!(huge.get().len(), 10_000);
/// ```
///
/// It reads only from `serde_json` (the crate's parsers, `serde_json::from_str`), as
/// `serde_json::value::RawValue` does.
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// The JSON text, exactly as sent (without the white space around it).
    #[must_use]
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Whether the value is `null` (also what an absent field reads as).
    #[must_use]
    pub fn is_null(&self) -> bool {
        self.get() == "null"
    }

    /// Parses the value into `T`.
    ///
    /// # Errors
    /// As [`Verified::json`](crate::Verified::json): [`Error::UnexpectedPayload`] when it is not a `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        crate::json::parse_json(self.get().as_bytes())
    }

    /// The value as a `serde_json::Value`.
    ///
    /// # Errors
    /// [`Error::UnexpectedPayload`] when it holds a number `serde_json::Value` cannot
    /// represent (an integer beyond 64 bits, or beyond `f64`'s range).
    pub fn to_value(&self) -> Result<serde_json::Value, Error> {
        self.parse()
    }
}

/// `null`.
impl Default for RawJson {
    fn default() -> Self {
        Self(RawValue::NULL.to_owned())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson {}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson").field(&self.get()).finish()
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(Self)
    }
}
