//! What the presets read beside the signed bytes: the headers a sender documents for the
//! delivery's id and type.

use std::borrow::Cow;

use crate::headers::text;
use crate::{Error, Headers};

/// The value of the first of `names` that is present (trimmed): [`Error::MissingHeader`]
/// naming the first when none is, [`Error::MalformedHeader`] when the value found is not UTF-8
/// or is empty. Senders that renamed a header are read under either name (`names` in order of
/// preference).
pub(crate) fn required_header<'a, H: Headers + ?Sized>(
    headers: &'a H,
    names: &[&'static str],
) -> Result<&'a str, Error> {
    let missing = || Error::MissingHeader {
        header: Cow::Borrowed(names.first().copied().unwrap_or_default()),
    };
    let (name, value) = names
        .iter()
        .find_map(|name| headers.get(name).map(|value| (*name, value)))
        .ok_or_else(missing)?;
    let value = text(value).ok_or(Error::MalformedHeader {
        header: Cow::Borrowed(name),
        reason: "not UTF-8",
    })?;
    if value.is_empty() {
        return Err(Error::MalformedHeader {
            header: Cow::Borrowed(name),
            reason: "empty",
        });
    }
    Ok(value)
}

/// As [`required_header`], `None` when none of `names` is present.
pub(crate) fn optional_header<'a, H: Headers + ?Sized>(
    headers: &'a H,
    names: &[&'static str],
) -> Result<Option<&'a str>, Error> {
    if names.iter().all(|name| headers.get(name).is_none()) {
        return Ok(None);
    }
    required_header(headers, names).map(Some)
}
