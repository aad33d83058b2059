//! What the mainstream presets share: the replay window on the injectable clock, the body
//! limit, reading the header values they sign, and reading the id and type they name in the
//! body. Not public: each preset documents its own choices.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::pick::{self, Field, Found};
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
        self.check_window_nanos(i128::from(unix_seconds) * 1_000_000_000)
    }

    /// As [`check_window`](Settings::check_window), for a timestamp in unix nanoseconds.
    pub(crate) fn check_window_nanos(&self, unix_nanos: i128) -> Result<(), Error> {
        match self.tolerance {
            None => Ok(()),
            Some(tolerance) => check_tolerance(unix_nanos, self.clock.as_ref(), tolerance),
        }
    }

    /// "Now" on the clock, in unix seconds: what a testing signer stamps.
    #[cfg(feature = "testing")]
    pub(crate) fn now_unix(&self) -> i64 {
        i64::try_from(self.clock.now_unix_nanos() / 1_000_000_000).unwrap_or(i64::MAX)
    }

    /// A signature header and a timestamp header read, the timestamp checked against the
    /// window before anything is hashed: [`Error::MissingSignature`] first, then the
    /// timestamp's errors, then the window's.
    pub(crate) fn stamped<'h, H: Headers + ?Sized>(
        &self,
        headers: &'h H,
        signature_header: &'static str,
        timestamp_header_name: &'static str,
    ) -> Result<Stamped<'h>, Error> {
        let signature = header(headers, signature_header)?.ok_or(Error::MissingSignature {
            location: Cow::Borrowed(signature_header),
        })?;
        let (timestamp, seconds) = timestamp_header(headers, timestamp_header_name)?;
        self.check_window(seconds)?;
        Ok(Stamped {
            signature,
            timestamp,
            seconds,
        })
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

/// Parses the verified JSON `payload` into `T` and reads the preset's `fields` in the same pass
/// where it can (see [`pick`]): `found` turns what was read into the preset's head (id, type,
/// ...), or `None` where it cannot (a field missing or of another type). Then, and whenever the
/// one pass did not succeed, `head` reads the fields on its own, before `T` is parsed apart:
/// a delivery gets exactly the answer (and the error) of those two separate reads.
pub(crate) fn parse_with<'p, T: DeserializeOwned, H, const N: usize>(
    payload: &'p [u8],
    fields: [Field; N],
    found: impl FnOnce(Found<'p, N>) -> Option<H>,
    head: impl FnOnce(&'p [u8]) -> Result<H, Error>,
) -> Result<(H, T), Error> {
    match pick::parse::<T, N>(payload, fields) {
        Some((body, picked)) => match picked.and_then(found) {
            Some(read) => Ok((read, body)),
            None => Ok((head(payload)?, body)),
        },
        None => {
            let read = head(payload)?;
            Ok((read, crate::json::parse_json(payload)?))
        }
    }
}

/// The body as `T`, with the id and type a sender writes at the top level of a JSON object
/// under the names given: the first of each is taken; a body that is not an object, or lacks
/// either field, or whose id is empty, is refused.
pub(crate) fn id_kind_and_body<'p, T: DeserializeOwned>(
    payload: &'p [u8],
    names: [&'static str; 2],
) -> Result<(IdAndKind<'p>, T), Error> {
    let [id, kind] = names;
    parse_with(
        payload,
        [Field::Top(id), Field::Top(kind)],
        |[id, kind]| {
            let id = id?.into_str().filter(|id| !id.is_empty())?;
            Some((id, kind?.into_str()?))
        },
        |payload| id_and_kind(payload, names),
    )
}

/// The body as `T`, with what Square and Intercom read beside it: an id (a string), a type (an
/// optional string) and a creation time read by `at` (`None` when of another type), under the
/// names given; `E` is the preset's own reader of the three (a JSON object).
pub(crate) fn id_kind_at_and_body<'p, T, E, A>(
    payload: &'p [u8],
    [id, kind, created]: [&'static str; 3],
    at: fn(Option<pick::Scalar<'p>>) -> Option<Option<A>>,
) -> Result<(IdKindAt<'p, A>, T), Error>
where
    T: DeserializeOwned,
    E: serde::Deserialize<'p> + Into<IdKindAt<'p, A>>,
{
    parse_with(
        payload,
        [Field::Top(id), Field::Top(kind), Field::Top(created)],
        |[id, kind, created]| Some((id?.into_str()?, pick::optional_str(kind)?, at(created)?)),
        |payload| crate::json::parse_json_object::<E>(payload).map(Into::into),
    )
}

/// An id, a type if any and a creation time if any.
pub(crate) type IdKindAt<'p, A> = (Cow<'p, str>, Option<Cow<'p, str>>, Option<A>);

/// An id and a type, borrowed from the body where they hold no escape.
pub(crate) type IdAndKind<'p> = (Cow<'p, str>, Cow<'p, str>);

/// The id and type a sender writes at the top level of a JSON body under the names given,
/// read in one pass that skips everything else.
fn id_and_kind<'p>(
    payload: &'p [u8],
    [id, kind]: [&'static str; 2],
) -> Result<IdAndKind<'p>, Error> {
    // Rename the two fields at run time: a map visitor that keeps only them.
    struct Fields {
        id: &'static str,
        kind: &'static str,
    }
    impl<'de> serde::de::DeserializeSeed<'de> for Fields {
        type Value = IdAndKind<'de>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> serde::de::Visitor<'de> for Fields {
        type Value = IdAndKind<'de>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            use serde::de::Error as _;
            let (mut id, mut kind) = (None, None);
            while let Some(key) = map.next_key_seed(pick::Text)? {
                if key == self.id && id.is_none() {
                    id = Some(map.next_value_seed(pick::Text)?);
                } else if key == self.kind && kind.is_none() {
                    kind = Some(map.next_value_seed(pick::Text)?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok((
                id.ok_or_else(|| A::Error::missing_field(self.id))?,
                kind.ok_or_else(|| A::Error::missing_field(self.kind))?,
            ))
        }
    }
    let mut de = serde_json::Deserializer::from_slice(payload);
    let head = serde::de::DeserializeSeed::deserialize(Fields { id, kind }, &mut de)
        .and_then(|head| de.end().map(|()| head))
        .map_err(Error::from_json)?;
    if head.0.is_empty() {
        return Err(Error::UnexpectedPayload(crate::error::JsonError::custom(
            "the id field is empty",
        )));
    }
    Ok(head)
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
    let stamped = settings.stamped(headers, signature_header, timestamp_header_name)?;
    let verified = scheme.verify_parts(
        &[b"v0:", stamped.timestamp.as_bytes(), b":"],
        body,
        lowercase_hex(stamped.signature)?,
    )?;
    Ok(with_unix_timestamp(verified, stamped.seconds))
}

/// A signature in one header and, in another, the time it was made (unix seconds, signed as
/// written), as Slack, Zoom, Discord and SendGrid send them.
pub(crate) struct Stamped<'h> {
    pub(crate) signature: &'h str,
    /// The timestamp as sent, for the signed content.
    pub(crate) timestamp: &'h str,
    pub(crate) seconds: i64,
}

/// How Stripe and Paddle list their signatures: one header of `key=value` items (`t=..,v1=..`,
/// `ts=..;h1=..`), the MAC of `{time}{joiner}{body}` in any of the `signature` items.
pub(crate) struct Listed {
    pub(crate) header: &'static str,
    pub(crate) separator: char,
    pub(crate) time: &'static str,
    pub(crate) signature: &'static str,
    pub(crate) joiner: &'static [u8],
    /// How many signature items are looked at, at most [`MAX_LISTED`].
    pub(crate) max: usize,
}

impl Listed {
    /// `header` lists `{time}={unix seconds}` and `{signature}={hex}` items split by
    /// `separator`; the MAC is of `{time}{joiner}{body}`; at most `max` signatures are compared.
    pub(crate) const fn new(
        header: &'static str,
        separator: char,
        [time, signature]: [&'static str; 2],
        joiner: &'static [u8],
        max: usize,
    ) -> Self {
        Self {
            header,
            separator,
            time,
            signature,
            joiner,
            max,
        }
    }
}

/// The most signature items [`verify_listed`] looks at.
pub(crate) const MAX_LISTED: usize = 8;

/// Verifies a [`Listed`] scheme, reading the header in one pass: the first `time` item (unix
/// seconds, checked against the window before any hashing) and the first `max` signature
/// items, each key's MAC computed once ([`match_any`]). The result carries the timestamp.
pub(crate) fn verify_listed<'a, H: Headers + ?Sized>(
    State {
        scheme, settings, ..
    }: &State<crate::verify::HmacScheme>,
    headers: &'a H,
    body: &'a [u8],
    list: &Listed,
) -> Result<crate::Verified<'a>, Error> {
    let value = header(headers, list.header)?.ok_or(Error::MissingSignature {
        location: Cow::Borrowed(list.header),
    })?;
    let mut time = None;
    let mut signatures = [""; MAX_LISTED];
    let mut listed = 0;
    let max = list.max.min(MAX_LISTED);
    for (key, item) in value
        .split(list.separator)
        .filter_map(|item| item.trim().split_once('='))
    {
        if key == list.time {
            time = time.or(Some(item));
        } else if key == list.signature && listed < max {
            if let Some(slot) = signatures.get_mut(listed) {
                *slot = item;
            }
            listed += 1;
        }
    }
    let time = time.ok_or(Error::MissingTimestamp)?;
    let seconds = unix_seconds(time)?;
    settings.check_window(seconds)?;
    let signatures = signatures.get(..listed).unwrap_or_default();
    match_any(
        &scheme.keys,
        &[time.as_bytes(), list.joiner, body],
        signatures.iter().copied(),
        max,
    )?;
    Ok(with_unix_timestamp(crate::Verified::new(body), seconds))
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

/// What a preset holds, behind one `Arc` (a clone is one reference count): how deliveries are
/// authenticated, the options every preset has, and what else its sender's scheme needs
/// (`extra`: the URL Square and Twilio sign; `()` for the others).
#[derive(Clone)]
pub(crate) struct State<S, X = ()> {
    pub(crate) scheme: S,
    pub(crate) settings: Settings,
    pub(crate) extra: X,
}

/// Declares a preset: `pub struct Name<T = RawJson>` holding an `Arc` of [`State`], with
/// `Clone`, `Debug` (the scheme, which prints key counts and never key bytes, and the options),
/// `with_body_limit`, and the constructor `Name::with_state(scheme, tolerance, extra)`.
/// `pub struct Name(Scheme, Extra)` names the scheme's type and what `State::extra` holds
/// (default `()`); the flags in brackets add:
/// - `window`: `tolerance` and `clock` (the preset has a replay window);
/// - `scheme`: a public `scheme()`, for the testing kit and users' own signers.
macro_rules! preset {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($scheme:ty $(, $extra:ty)?) $([$($flag:ident),*])?;
    ) => {
        $(#[$meta])*
        pub struct $name<T = RawJson> {
            inner: std::sync::Arc<
                $crate::providers::preset::State<$scheme $(, $extra)?>,
            >,
            event: std::marker::PhantomData<fn() -> T>,
        }

        impl<T> $name<T> {
            /// The preset from its scheme, default window (`None`: none) and extra state.
            fn with_state(
                scheme: $scheme,
                tolerance: Option<std::time::Duration>,
                extra: preset!(@extra $($extra)?),
            ) -> Self {
                let settings = $crate::providers::preset::Settings::new(tolerance);
                Self {
                    inner: std::sync::Arc::new($crate::providers::preset::State {
                        scheme,
                        settings,
                        extra,
                    }),
                    event: std::marker::PhantomData,
                }
            }

            /// The options (for the testing kit's signers: "now" on the preset's clock).
            #[allow(dead_code)]
            pub(crate) fn settings(&self) -> &$crate::providers::preset::Settings {
                &self.inner.settings
            }

            /// Sets the largest accepted body in bytes (default 1 MiB).
            #[must_use]
            pub fn with_body_limit(mut self, limit: usize) -> Self {
                std::sync::Arc::make_mut(&mut self.inner).settings.body_limit = limit;
                self
            }
        }

        $($(preset!(@flag $flag $name, $scheme);)*)?

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                Self {
                    inner: std::sync::Arc::clone(&self.inner),
                    event: std::marker::PhantomData,
                }
            }
        }

        impl<T> std::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let settings = &self.inner.settings;
                f.debug_struct(stringify!($name))
                    .field("scheme", &self.inner.scheme)
                    $(.field("extra", &preset!(@show self.inner.extra, $extra)))?
                    .field("tolerance", &settings.tolerance)
                    .field("clock", &settings.clock)
                    .field("body_limit", &settings.body_limit)
                    .finish()
            }
        }
    };
    (@extra) => { () };
    (@extra $extra:ty) => { $extra };
    (@show $value:expr, $extra:ty) => { $value };
    (@flag window $name:ident, $scheme:ty) => {
        impl<T> $name<T> {
            /// Sets the replay window: a timestamp further than `tolerance` from now, in either
            /// direction, is refused (edges included). The default is in the module docs.
            #[must_use]
            pub fn tolerance(mut self, tolerance: std::time::Duration) -> Self {
                std::sync::Arc::make_mut(&mut self.inner).settings.tolerance = Some(tolerance);
                self
            }

            /// Sets where "now" comes from (default the system clock); tests inject a
            /// [`ManualClock`](crate::clock::ManualClock).
            #[must_use]
            pub fn clock(mut self, clock: std::sync::Arc<dyn $crate::clock::Clock>) -> Self {
                std::sync::Arc::make_mut(&mut self.inner).settings.clock = clock;
                self
            }
        }
    };
    (@flag scheme $name:ident, $scheme:ty) => {
        impl<T> $name<T> {
            /// How deliveries are authenticated; its `sign` (feature `testing`) makes the
            /// signature the sender would send.
            #[must_use]
            pub fn scheme(&self) -> &$scheme {
                &self.inner.scheme
            }
        }
    };
}
pub(crate) use preset;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::fmt::Debug;

    use serde::Deserialize;
    use serde::de::DeserializeOwned;

    use super::{id_and_kind, id_kind_and_body};
    use crate::providers::RawJson;

    const FIELDS: [&str; 2] = ["id", "type"];

    /// What the two separate reads give: the id and type, then `T`; errors as text.
    fn apart<T: DeserializeOwned>(body: &[u8]) -> Result<(String, String, T), String> {
        let (id, kind) = id_and_kind(body, FIELDS).map_err(|e| e.to_string())?;
        let parsed = crate::json::parse_json(body).map_err(|e: crate::Error| e.to_string())?;
        Ok((id.into_owned(), kind.into_owned(), parsed))
    }

    fn together<T: DeserializeOwned>(body: &[u8]) -> Result<(String, String, T), String> {
        let ((id, kind), parsed) =
            id_kind_and_body::<T>(body, FIELDS).map_err(|e| e.to_string())?;
        Ok((id.into_owned(), kind.into_owned(), parsed))
    }

    fn same<T: DeserializeOwned + PartialEq + Debug>(body: &str) {
        assert_eq!(
            together::<T>(body.as_bytes()),
            apart::<T>(body.as_bytes()),
            "{body}"
        );
    }

    #[derive(Deserialize, PartialEq, Debug)]
    struct Small {
        id: Option<String>,
        amount: Option<f64>,
    }

    #[derive(Deserialize, PartialEq, Debug)]
    #[serde(tag = "type")]
    enum Tagged {
        #[serde(rename = "invoice.paid")]
        Paid { id: String },
        #[serde(other)]
        Other,
    }

    #[derive(Deserialize, PartialEq, Debug)]
    struct Kind {
        #[serde(rename = "type")]
        kind: KindName,
    }

    #[derive(Deserialize, PartialEq, Debug)]
    enum KindName {
        #[serde(rename = "invoice.paid")]
        Paid,
    }

    #[derive(Deserialize, PartialEq, Debug)]
    struct Flattened {
        id: String,
        #[serde(flatten)]
        rest: HashMap<String, serde_json::Value>,
    }

    #[derive(Deserialize, PartialEq, Debug)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        id: String,
        #[serde(rename = "type")]
        kind: String,
    }

    /// One pass gives exactly what the two separate reads give, values and errors alike.
    #[test]
    fn one_pass_answers_as_two_reads() {
        let bodies = [
            r#"{"id":"evt_1","type":"invoice.paid","amount":5}"#,
            r#"{"amount":5.5,"type":"invoice.paid","id":"evt_\u0031"}"#,
            r#"{"id":"evt_1","type":"invoice.paid","id":"evt_2"}"#,
            r#"{"id":"evt_1"}"#,
            r#"{"type":"x"}"#,
            r#"{"id":"","type":"x"}"#,
            r#"{"id":1,"type":"x"}"#,
            r#"{"id":"a","type":null}"#,
            r#"{"id":"a","type":"x","amount":"no"}"#,
            r#"{"id":"a","type":"x"} trailing"#,
            r#"["evt_1","invoice.paid"]"#,
            r#"{"id":"a","type":"x""#,
            r#"null"#,
            r#"  {"id":"a","type":"invoice.paid","nested":{"id":"b","type":"c"}}  "#,
            "",
        ];
        for body in bodies {
            same::<Small>(body);
            same::<Tagged>(body);
            same::<Kind>(body);
            same::<serde_json::Value>(body);
            same::<HashMap<String, serde_json::Value>>(body);
            same::<Option<Small>>(body);
            same::<Flattened>(body);
            same::<Strict>(body);
            let raw = |r: Result<(String, String, RawJson), String>| {
                r.map(|(id, kind, raw)| (id, kind, raw.get().to_owned()))
            };
            assert_eq!(
                raw(together(body.as_bytes())),
                raw(apart(body.as_bytes())),
                "{body}"
            );
        }
    }
}
