//! What the presets read beside the signed bytes: the headers a sender documents for the
//! delivery's id and type.

use std::borrow::Cow;

use crate::headers::text;
use crate::{Error, Headers};

/// The value of the first of `names` that is present (trimmed): [`Error::MissingHeader`]
/// naming the first when none is, [`Error::MalformedHeader`] when the value found is not UTF-8
/// or is empty. Senders that renamed a header are read under either name (`names` in order of
/// preference).
pub(crate) fn required_header<'a, H: Headers + ?Sized, const N: usize>(
    headers: &'a H,
    names: &[&'static str; N],
) -> Result<&'a str, Error> {
    required(&names.map(|name| (name, headers.get(name))))
}

/// As [`required_header`], `None` when none of `names` is present.
pub(crate) fn optional_header<'a, H: Headers + ?Sized, const N: usize>(
    headers: &'a H,
    names: &[&'static str; N],
) -> Result<Option<&'a str>, Error> {
    optional(&names.map(|name| (name, headers.get(name))))
}

/// [`required_header`] over values already looked up (names in order of preference, each with
/// its value if present), as [`Headers::get_each`] gives them in one pass.
pub(crate) fn required<'a>(found: &[(&'static str, Option<&'a [u8]>)]) -> Result<&'a str, Error> {
    let missing = || Error::MissingHeader {
        header: Cow::Borrowed(found.first().map(|(name, _)| *name).unwrap_or_default()),
    };
    let (name, value) = found
        .iter()
        .find_map(|(name, value)| value.map(|value| (*name, value)))
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

/// As [`required`], `None` when none is present.
pub(crate) fn optional<'a>(
    found: &[(&'static str, Option<&'a [u8]>)],
) -> Result<Option<&'a str>, Error> {
    if found.iter().all(|(_, value)| value.is_none()) {
        return Ok(None);
    }
    required(found).map(Some)
}

/// The signature header's value, the first of `found` present: [`Error::MissingSignature`]
/// naming the first when none is, [`Error::MalformedSignature`] when it is not UTF-8.
pub(crate) fn signature<'a>(found: &[(&'static str, Option<&'a [u8]>)]) -> Result<&'a str, Error> {
    let value =
        found
            .iter()
            .find_map(|(_, value)| *value)
            .ok_or_else(|| Error::MissingSignature {
                location: Cow::Borrowed(found.first().map(|(name, _)| *name).unwrap_or_default()),
            })?;
    text(value).ok_or(Error::MalformedSignature {
        reason: "not UTF-8",
    })
}

/// The values of `names` in one pass over the request's headers ([`Headers::get_each`]), each
/// beside its name.
pub(crate) fn each<'h, H: Headers + ?Sized, const N: usize>(
    headers: &'h H,
    names: [&'static str; N],
) -> [(&'static str, Option<&'h [u8]>); N] {
    let mut values = [None; N];
    headers.get_each(&names, &mut values);
    let mut values = values.into_iter();
    names.map(|name| (name, values.next().flatten()))
}
