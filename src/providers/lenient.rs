//! Field readers for payloads that are looser than their documentation.

use serde::{Deserialize, Deserializer};

/// An optional string that senders also write as a number or a boolean; `null` and the
/// literal text `"None"` (Python's null leaking into JSON) read as absent.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Text(String),
        Int(i64),
        Uint(u64),
        Float(f64),
        Bool(bool),
    }
    Ok(match Option::<Loose>::deserialize(d)? {
        None => None,
        Some(Loose::Text(s)) if s == "None" => None,
        Some(Loose::Text(s)) => Some(s),
        Some(Loose::Int(n)) => Some(n.to_string()),
        Some(Loose::Uint(n)) => Some(n.to_string()),
        Some(Loose::Float(n)) => Some(n.to_string()),
        Some(Loose::Bool(b)) => Some(b.to_string()),
    })
}

/// A required id that senders write as a string or a number.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string(d)?.ok_or_else(|| serde::de::Error::custom("expected a string or a number"))
}

/// An optional value of a wire enum where `"None"` also means absent.
pub(crate) fn opt_wire<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    Ok(Option::<std::borrow::Cow<'de, str>>::deserialize(d)?
        .filter(|s| s != "None")
        .map(|s| T::from(&s)))
}
