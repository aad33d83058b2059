//! How provider JSON is read: [`parse_json`] (every provider's entry point, which classifies
//! failures as 400 or 422), the enums of documented wire strings that keep unknown values
//! (`wire_enum!`), and the field readers for payloads looser than their documentation.

pub(crate) mod lenient;
pub(crate) mod object;
mod raw;
pub(crate) mod same;
mod wire_enum;

pub use raw::RawJson;

pub(crate) use wire_enum::wire_enum;

use crate::Error;

/// Parses verified JSON bytes into `T`, classifying failures as
/// [`Error::MalformedPayload`] (400) or [`Error::UnexpectedPayload`] (422).
///
/// # Errors
/// As above. `serde_json`'s nesting limit (128 levels) turns deeply nested input into
/// [`Error::MalformedPayload`] rather than a stack overflow.
pub(crate) fn parse_json<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(Error::from_json)
}

/// [`parse_json`] for a document the provider documents as an object: anything else that is
/// valid JSON (an array, a string, a number) is [`Error::UnexpectedPayload`] (422), even where
/// serde would read a struct from an array's elements in order; invalid JSON stays
/// [`Error::MalformedPayload`] (400). The check is one look at the first byte.
pub(crate) fn parse_json_object<'de, T: serde::Deserialize<'de>>(
    bytes: &'de [u8],
) -> Result<T, Error> {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first == Some(&b'{') {
        return parse_json(bytes);
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(Error::from_json)?;
    Err(Error::UnexpectedPayload(crate::error::JsonError::custom(
        "expected a JSON object",
    )))
}
