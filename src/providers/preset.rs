//! What the mainstream presets share: the replay window on the injectable clock, the body
//! limit, reading the header values they sign, and reading the id and type they name in the
//! body. Not public: each preset documents its own choices.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock, check_tolerance};
use crate::headers::text;
use crate::{DEFAULT_BODY_LIMIT, Error, Headers};

/// The options every preset has: window, clock, body limit.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// `None`: no window (SendGrid by default).
    pub(crate) tolerance: Option<Duration>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) body_limit: usize,
}

impl Settings {
    pub(crate) fn new(tolerance: Option<Duration>) -> Self {
        Self {
            tolerance,
            clock: Arc::new(SystemClock),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// [`Error::TimestampOutOfTolerance`] when `unix_seconds` is further from now than the
    /// tolerance, in either direction (edges included); nothing without a window.
    pub(crate) fn check_window(&self, unix_seconds: i64) -> Result<(), Error> {
        match self.tolerance {
            None => Ok(()),
            Some(tolerance) => check_tolerance(
                i128::from(unix_seconds) * 1_000_000_000,
                self.clock.as_ref(),
                tolerance,
            ),
        }
    }

    /// "Now" on the clock, in unix seconds: what a testing signer stamps.
    #[cfg(feature = "testing")]
    pub(crate) fn now_unix(&self) -> i64 {
        i64::try_from(self.clock.now_unix_nanos() / 1_000_000_000).unwrap_or(i64::MAX)
    }
}

/// A header's value as UTF-8 text, trimmed of nothing (it is signed as sent).
pub(crate) fn header<'h, H: Headers + ?Sized>(
    headers: &'h H,
    name: &'static str,
) -> Result<Option<&'h str>, Error> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => text(value).map(Some).ok_or(Error::MalformedHeader {
            header: Cow::Borrowed(name),
            reason: "not UTF-8",
        }),
    }
}

/// A timestamp header as the sender writes it (unix seconds, ASCII digits only) with its
/// value: [`Error::MissingTimestamp`] when absent, [`Error::MalformedTimestamp`] otherwise.
pub(crate) fn timestamp_header<'h, H: Headers + ?Sized>(
    headers: &'h H,
    name: &'static str,
) -> Result<(&'h str, i64), Error> {
    let text = header(headers, name)
        .map_err(|_| Error::MalformedTimestamp)?
        .ok_or(Error::MissingTimestamp)?;
    Ok((text, unix_seconds(text)?))
}

/// Unix seconds written as ASCII digits (no sign, no fraction, at most 12 digits).
pub(crate) fn unix_seconds(text: &str) -> Result<i64, Error> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::MalformedTimestamp);
    }
    text.parse().map_err(|_| Error::MalformedTimestamp)
}

/// Refuses hex written in upper case: the senders write lower case and their SDKs compare the
/// text exactly, so the crate does too.
pub(crate) fn lowercase_hex(signature: &str) -> Result<&str, Error> {
    if signature.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(Error::MalformedSignature {
            reason: "hex in upper case",
        });
    }
    Ok(signature)
}

/// The id and type a sender writes at the top level of a JSON body under field names of its
/// own, read in one pass that skips everything else.
pub(crate) fn id_and_kind(
    payload: &[u8],
    id_field: &'static str,
    kind_field: &'static str,
) -> Result<(String, String), Error> {
    struct Head {
        id: String,
        kind: String,
    }
    // Rename the two fields at run time: a map visitor that keeps only them.
    struct Fields {
        id: &'static str,
        kind: &'static str,
    }
    impl<'de> serde::de::DeserializeSeed<'de> for Fields {
        type Value = Head;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Head, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> serde::de::Visitor<'de> for Fields {
        type Value = Head;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
            use serde::de::Error as _;
            let (mut id, mut kind) = (None, None);
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key == self.id && id.is_none() {
                    id = Some(map.next_value::<String>()?);
                } else if key == self.kind && kind.is_none() {
                    kind = Some(map.next_value::<String>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(Head {
                id: id.ok_or_else(|| A::Error::missing_field(self.id))?,
                kind: kind.ok_or_else(|| A::Error::missing_field(self.kind))?,
            })
        }
    }
    let mut de = serde_json::Deserializer::from_slice(payload);
    let head = serde::de::DeserializeSeed::deserialize(
        Fields {
            id: id_field,
            kind: kind_field,
        },
        &mut de,
    )
    .and_then(|head| de.end().map(|()| head))
    .map_err(Error::from_json)?;
    if head.id.is_empty() {
        return Err(Error::UnexpectedPayload(crate::error::JsonError::custom(
            "the id field is empty",
        )));
    }
    Ok((head.id, head.kind))
}

/// Slack's and Zoom's scheme: `v0=` + lower-case hex HMAC-SHA256 of `v0:{timestamp}:{body}`,
/// the timestamp (unix seconds) in its own header, checked against the window before any
/// hashing. The timestamp is hashed as sent. The result carries the body and the timestamp.
pub(crate) fn verify_v0<'a, H: Headers + ?Sized>(
    scheme: &crate::verify::HmacScheme,
    settings: &Settings,
    headers: &'a H,
    body: &'a [u8],
    signature_header: &'static str,
    timestamp_header_name: &'static str,
) -> Result<crate::Verified<'a>, Error> {
    let signature = header(headers, signature_header)?.ok_or(Error::MissingSignature {
        location: Cow::Borrowed(signature_header),
    })?;
    let (text, seconds) = timestamp_header(headers, timestamp_header_name)?;
    settings.check_window(seconds)?;
    let verified = scheme.verify_parts(
        &[b"v0:", text.as_bytes(), b":"],
        body,
        lowercase_hex(signature)?,
    )?;
    Ok(with_unix_timestamp(verified, seconds))
}

/// Whether any of the first `max` of `signatures` (lower-case hex MACs) is the MAC, under any
/// key, of the concatenated `parts`: each key's MAC is computed once, at the first well-formed
/// signature, and every further one costs a constant-time comparison, so a header listing many
/// cannot multiply the hashing (Stripe's `v1` entries, Paddle's `h1`).
///
/// # Errors
/// [`Error::MalformedSignature`] when none of them is well-formed, [`Error::InvalidSignature`]
/// when none matches.
pub(crate) fn match_any<'s>(
    keys: &crate::verify::hmac::MacKeys,
    parts: &[&[u8]],
    signatures: impl Iterator<Item = &'s str>,
    max: usize,
) -> Result<(), Error> {
    use crate::verify::encoding::{SignatureEncoding, mac};
    let mut tags = None;
    let mut usable = false;
    let mut matched = false;
    for signature in signatures.take(max) {
        let Ok(mac) = lowercase_hex(signature).and_then(|s| mac(s, SignatureEncoding::Hex)) else {
            continue;
        };
        usable = true;
        matched |= tags.get_or_insert_with(|| keys.tags(parts)).matches(&mac);
    }
    if !usable {
        return Err(Error::MalformedSignature {
            reason: "no well-formed signature",
        });
    }
    if !matched {
        return Err(Error::InvalidSignature);
    }
    Ok(())
}

/// `verified` with its timestamp, where `unix_seconds` is a representable date.
pub(crate) fn with_unix_timestamp(
    verified: crate::Verified<'_>,
    unix_seconds: i64,
) -> crate::Verified<'_> {
    match time::OffsetDateTime::from_unix_timestamp(unix_seconds) {
        Ok(at) => verified.with_timestamp(at),
        Err(_) => verified,
    }
}

/// The builder methods, `Clone` and `Debug` of a preset `$name<T>` with fields `scheme`,
/// `settings` and `event`.
macro_rules! preset_options {
    ($name:ident) => {
        impl<T> $name<T> {
            /// Sets the replay window: a timestamp further than `tolerance` from now, in either
            /// direction, is refused (edges included). The default is in the module docs.
            #[must_use]
            pub fn tolerance(mut self, tolerance: std::time::Duration) -> Self {
                self.settings.tolerance = Some(tolerance);
                self
            }

            /// Sets where "now" comes from (default the system clock); tests inject a
            /// [`ManualClock`](crate::clock::ManualClock).
            #[must_use]
            pub fn clock(mut self, clock: std::sync::Arc<dyn crate::clock::Clock>) -> Self {
                self.settings.clock = clock;
                self
            }

            /// Sets the largest accepted body in bytes (default 1 MiB).
            #[must_use]
            pub fn with_body_limit(mut self, limit: usize) -> Self {
                self.settings.body_limit = limit;
                self
            }
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                Self {
                    scheme: self.scheme.clone(),
                    settings: self.settings.clone(),
                    event: std::marker::PhantomData,
                }
            }
        }

        /// The scheme (key counts, never key bytes) and the options.
        impl<T> std::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("scheme", &self.scheme)
                    .field("tolerance", &self.settings.tolerance)
                    .field("clock", &self.settings.clock)
                    .field("body_limit", &self.settings.body_limit)
                    .finish()
            }
        }
    };
}
pub(crate) use preset_options;
