//! How provider JSON is read: [`parse_json`] (every provider's entry point, which classifies
//! failures as 400 or 422), the enums of documented wire strings that keep unknown values
//! (`wire_enum!`), and the field readers for payloads looser than their documentation.

pub(crate) mod lenient;
mod wire_enum;

pub(crate) use wire_enum::wire_enum;

use crate::Error;

/// Parses verified JSON bytes into `T`, classifying failures as
/// [`Error::MalformedPayload`] (400) or [`Error::UnexpectedPayload`] (422).
///
/// # Errors
/// As above. `serde_json`'s nesting limit (128 levels) turns deeply nested input into
/// [`Error::MalformedPayload`] rather than a stack overflow.
pub fn parse_json<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(Error::from_json)
}
