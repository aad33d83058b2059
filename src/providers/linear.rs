//! Linear webhooks (issues, comments, projects, ... of a workspace).
//!
//! **What is signed.** `Linear-Signature`: the lower-case hex HMAC-SHA256 of the raw body under
//! the webhook's signing secret (no prefix). Linear's SDK (`@linear/sdk`'s
//! `LinearWebhookClient`) compares the hex text exactly, so upper case is refused here too.
//!
//! **Window.** The body's `webhookTimestamp` (unix **milliseconds**, a JSON number) must lie
//! within 60 s of now, **in either direction**, edges included: what Linear documents and what
//! its SDK does. The timestamp is inside the signed body, so it cannot be changed without
//! breaking the signature. The `Linear-Timestamp` header is not signed and is ignored, as the
//! SDK ignores it. A body without `webhookTimestamp` is [`Error::MissingTimestamp`]; one that
//! is a string, a fraction, or seconds instead of milliseconds (which reads as 1970) is
//! refused. The window is [`tolerance`](Linear::tolerance), on the provider's
//! [`clock`](Linear::clock); [`Delivery::timestamp`](crate::Delivery::timestamp) is
//! `webhookTimestamp`.
//!
//! **Message id.** `Linear-Delivery`, the delivery's UUID, which Linear documents among its
//! webhook headers: [`Delivery::id`](crate::Delivery::id) is `MessageId::new("linear",
//! Linear-Delivery)`; a delivery without it is [`Error::MissingHeader`]. The header is not
//! signed, but the 60 s window bounds how long a captured delivery can be replayed under
//! another id.
//!
//! **Event type.** [`Event::kind`](crate::providers::Event) is the body's `type` (`Issue`,
//! `Comment`, `Project`, ...: the entity, the same as the `Linear-Event` header), which is
//! what Linear's SDK routes on; the `action` (`create`, `update`, `remove`) stays in the body.
//! A body without `type` has an empty kind.
//!
//! **Rotation.** Linear shows one signing secret per webhook; to replace it, build the provider
//! from a [`Keyring`] with the new secret beside the old, deploy, then drop
//! the old one.
//!
//! **What breaks verification.** Re-serialising the body (the signature is over its bytes), and
//! a receiver clock more than a minute off (keep it synchronised).
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::linear::Linear;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{Provider, Secret};
//!
//! let linear: Linear = Linear::new(Secret::new("lin_wh_secret").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! // The signer sets `webhookTimestamp` from the provider's clock.
//! let request = linear.sign(br#"{"action":"create","type":"Issue","data":{"id":"i1"}}"#);
//! let delivery = linear.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "Issue");
//! assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), 1_767_225_600);
//! # }
//! ```

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use time::OffsetDateTime;

use super::preset::preset;
use super::read::required_header;
use super::{Event, RawJson};
use crate::verify::{HmacScheme, SignatureEncoding};
use crate::{Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Linear message ids.
pub const NAME: &str = "linear";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "linear-signature";
/// The delivery's id.
pub const DELIVERY_HEADER: &str = "linear-delivery";
/// The entity type (informative: the kind is read from the signed body).
pub const EVENT_HEADER: &str = "linear-event";

preset! {
    /// Receives Linear webhooks, parsing the body into `T` (default [`RawJson`]). Build once at
    /// start-up; clone freely.
    pub struct Linear(HmacScheme) [window, scheme];
}

impl<T> Linear<T> {
    /// Linear's window: 60 s either side of now.
    pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(60);

    /// A receiver for the webhook's signing secret(s) (several during a rotation), with the
    /// 60 s window on the system clock.
    #[must_use]
    pub fn new(secrets: impl Into<Keyring>) -> Self {
        let scheme =
            HmacScheme::for_header(SIGNATURE_HEADER, secrets).encoding(SignatureEncoding::LowerHex);
        Self::with_state(scheme, Some(Self::DEFAULT_TOLERANCE), ())
    }

    /// "Now" on the provider's clock, in unix milliseconds: the `webhookTimestamp` a signer of
    /// the testing kit writes.
    #[must_use]
    pub fn now_unix_millis(&self) -> i64 {
        i64::try_from(self.inner.settings.clock.now_unix_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }
}

/// The fields of the body verification reads.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "webhookTimestamp", borrow, default)]
    timestamp: Option<&'a RawValue>,
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// `webhookTimestamp` as unix milliseconds: an integer JSON number, nothing else.
fn millis(raw: Option<&RawValue>) -> Result<i64, Error> {
    let raw = raw.ok_or(Error::MissingTimestamp)?;
    raw.get()
        .parse::<i64>()
        .map_err(|_| Error::MalformedTimestamp)
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Linear<T> {
    type Event = Event<T>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.inner.settings.body_limit
    }

    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let verified = self.inner.scheme.verify(headers, body)?;
        let envelope: Envelope<'a> = crate::json::parse_json_object(body)?;
        let millis = millis(envelope.timestamp)?;
        let nanos = i128::from(millis) * 1_000_000;
        self.inner.settings.check_window_nanos(nanos)?;
        let timestamp = OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map_err(|_| Error::MalformedTimestamp)?;
        let id = required_header(headers, &[DELIVERY_HEADER])?;
        Ok(verified
            .with_id(id)
            .with_kind(envelope.kind.unwrap_or_default())
            .with_timestamp(timestamp))
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        let body = verified.json()?;
        let id = verified.id().ok_or(Error::MissingHeader {
            header: DELIVERY_HEADER.into(),
        })?;
        let kind = verified.kind().unwrap_or_default();
        Ok(Delivery::new(
            MessageId::new(NAME, id),
            Event::new(kind, body),
            verified.timestamp(),
        ))
    }

    /// The body, with the id, type and timestamp it claims; nothing is checked (no signature,
    /// no window).
    fn extract_unverified<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<crate::dangerous::Unverified<'a>, Error> {
        let envelope: Envelope<'a> = crate::json::parse_json_object(body)?;
        let id = required_header(headers, &[DELIVERY_HEADER])?;
        let mut extracted = crate::dangerous::Unverified::new(body)
            .with_id(id)
            .with_kind(envelope.kind.unwrap_or_default());
        if let Some(timestamp) = millis(envelope.timestamp).ok().and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        }) {
            extracted = extracted.with_timestamp(timestamp);
        }
        Ok(extracted)
    }
}
