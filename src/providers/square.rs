//! Square webhooks (payments, orders, customers, ... of a seller account).
//!
//! **What is signed.** `x-square-hmacsha256-signature`: the base64 HMAC-SHA256, under the
//! subscription's signature key, of the **notification URL** followed by the raw body. The
//! URL is the one registered with Square for the subscription, **byte for byte**: configure
//! the provider with exactly that text ([`Square::new`]). A trailing slash, an explicit
//! `:443`, a host in another case or a missing query string each make every delivery fail, as
//! they do in both official SDKs (`squareup` for Python, `square` for Node). The URL is not read
//! from the request: behind a proxy or load balancer the request's own URL is often not the
//! registered one.
//!
//! **Message id.** The body's `event_id` (kept by Square's retries):
//! [`Delivery::id`](crate::Delivery::id) is `MessageId::new("square", event_id)`; a body
//! without it is [`Error::UnexpectedPayload`]. **Event type:** the body's `type`
//! (`payment.updated`). [`Delivery::timestamp`](crate::Delivery::timestamp) is the body's
//! `created_at` where it reads as RFC 3339.
//!
//! **Window.** None: Square signs no timestamp (`Square-Initial-Delivery-Timestamp` is not
//! signed), so deduplication on `event_id` is what stops a replay from being processed twice.
//!
//! **Rotation.** Square lets you replace a subscription's signature key; build the provider
//! from a [`Keyring`] holding the new key beside the old one until the old
//! one is gone.
//!
//! **SDK differences.** The Python SDK refuses an empty body; the Node SDK accepts a correct
//! signature over the URL alone. An empty body verifies here but is not JSON, so it is
//! refused, as Python does.
//!
//! **What breaks verification.** Configuring the URL in any other form than the registered
//! one; moving the endpoint without updating the subscription; re-serialising the body.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use webhook_receiver::providers::square::Square;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{Provider, Secret};
//!
//! let square: Square = Square::new(
//!     Secret::new("signature-key").unwrap(),
//!     "https://example.com/webhooks/square",
//! )
//! .unwrap();
//! let request = square.sign(br#"{"type":"payment.updated","event_id":"6a8f5f28"}"#);
//! let delivery = square.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "payment.updated");
//! assert_eq!(delivery.id.as_str(), "6a8f5f28");
//! # }
//! ```

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::pick;
use super::preset::{self, preset};
use super::read;
use super::{Event, RawJson};
use crate::verify::{HmacScheme, SignatureEncoding};
use crate::{ConfigError, Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Square message ids.
pub const NAME: &str = "square";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-square-hmacsha256-signature";

preset! {
    /// Receives Square webhooks, parsing the body into `T` (default [`RawJson`]). Build once at
    /// start-up; clone freely.
    pub struct Square(HmacScheme, Box<str>) [scheme];
}

/// Checks that `url` can be a notification URL: `http://` or `https://`, then no white space
/// or control character. It is otherwise kept exactly as given.
pub(crate) fn check_url(url: &str) -> Result<Box<str>, ConfigError> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(ConfigError::new(
            "the notification URL must start with https:// or http://",
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::new(
            "the notification URL contains white space or a control character",
        ));
    }
    Ok(url.into())
}

impl<T> Square<T> {
    /// A receiver for the subscription's signature key(s) (several during a rotation) and its
    /// notification URL, **exactly** as registered with Square.
    ///
    /// # Errors
    /// [`ConfigError`] when `notification_url` does not start with `https://` or `http://`, or
    /// holds white space.
    pub fn new(keys: impl Into<Keyring>, notification_url: &str) -> Result<Self, ConfigError> {
        let scheme =
            HmacScheme::for_header(SIGNATURE_HEADER, keys).encoding(SignatureEncoding::Base64);
        Ok(Self::with_state(scheme, None, check_url(notification_url)?))
    }

    /// The notification URL that is signed with every body.
    #[must_use]
    pub fn notification_url(&self) -> &str {
        &self.inner.extra
    }
}

/// The fields of the body that identify the event.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event_id: Cow<'a, str>,
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    created_at: Option<Cow<'a, str>>,
}

impl<'a> From<Envelope<'a>> for preset::IdKindAt<'a, Cow<'a, str>> {
    fn from(envelope: Envelope<'a>) -> Self {
        (envelope.event_id, envelope.kind, envelope.created_at)
    }
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Square<T> {
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
        let signature = read::signature(&[(SIGNATURE_HEADER, headers.get(SIGNATURE_HEADER))])?;
        self.inner
            .scheme
            .verify_parts(&[self.inner.extra.as_bytes()], body, signature)
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        let ((event_id, kind, created_at), body) = preset::id_kind_at_and_body::<T, Envelope<'_>, _>(
            verified.payload(),
            ["event_id", "type", "created_at"],
            pick::optional_str,
        )?;
        let timestamp = created_at.and_then(|at| OffsetDateTime::parse(&at, &Rfc3339).ok());
        Ok(Delivery::new(
            MessageId::new(NAME, &event_id),
            Event::new(kind.unwrap_or_default(), body),
            timestamp,
        ))
    }
}
