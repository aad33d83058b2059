//! [Stripe](https://docs.stripe.com/webhooks): events signed with the endpoint's `whsec_`
//! secret.
//!
//! **What is signed.** `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, each `v1`
//! the lower-case hex HMAC-SHA256 of `{t}.{raw body}`, keyed with the **whole** `whsec_...`
//! string as bytes (it is not base64-decoded; without its prefix it is another key). Only `v1`
//! counts: `v0` and unknown schemes are ignored, and a header with no `v1` is refused. Any one
//! matching `v1` is enough; at most [`MAX_V1_ENTRIES`] are looked at, and each key's MAC is
//! computed once whatever the header lists, so a long header cannot multiply the work.
//! Upper-case hex is refused, as by both official SDKs (they compare the text).
//!
//! **Window: 300 s, both ways (a documented choice).** Stripe's SDKs (Python `stripe` and
//! Node `stripe`) reject a timestamp only when it is more than 300 s *old*, and accept any
//! future one, even an hour ahead. The crate refuses timestamps more than
//! [`DEFAULT_TOLERANCE`] away in either direction, as its Standard Webhooks scheme does: a
//! signature stamped in the future is either a badly skewed clock or a delivery made to be
//! replayed later. Edges are included (exactly 300 s old passes, as in the SDKs). Change it
//! with [`Stripe::tolerance`]; the clock is injectable ([`Stripe::clock`]).
//!
//! **Message id and type.** The body's `id` (`evt_...`, the same on every retry of an event)
//! and `type` (`payment_intent.succeeded`): [`Delivery::id`](crate::Delivery::id) is
//! `MessageId::new("stripe", id)`, [`Event::kind`] the type, [`Event::body`] the whole body as
//! your `T` (default [`RawJson`]). A body without `id` or `type` is
//! [`Error::UnexpectedPayload`]. [`Delivery::timestamp`](crate::Delivery::timestamp) is `t`.
//!
//! **Rotation.** When you roll a secret, Stripe signs with both for a while and sends one `v1`
//! per secret; on your side, put the new secret in the [`Keyring`] beside the old one.
//!
//! **What breaks verification.** Anything that changes the body's bytes before it reaches the
//! crate: a framework or proxy that parses and re-serialises JSON, re-encodes it, or strips
//! a trailing newline. Hand the crate the raw body.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::stripe::Stripe;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{Provider, Secret};
//!
//! let stripe: Stripe = Stripe::new(Secret::new("whsec_test_secret").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let body = br#"{"id":"evt_1","type":"invoice.paid","data":{"object":{}}}"#;
//! let request = stripe.sign(body);
//! let delivery = stripe.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.id.key(), "stripe:evt_1");
//! assert_eq!(delivery.event.kind, "invoice.paid");
//! // One byte changed: refused.
//! assert!(stripe.verify_and_parse(request.headers(), &br#"{"id":"evt_2","type":"invoice.paid","data":{"object":{}}}"#[..]).is_err());
//! # }
//! ```

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::preset::{self, preset};
use super::{Event, RawJson};
use crate::verify::HmacScheme;
use crate::verify::encoding::SignatureEncoding;
use crate::{Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Stripe message ids.
pub const NAME: &str = "stripe";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// The default window: 300 s either side of now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// How many `v1` entries of one header are compared at most (Stripe sends one per active
/// secret); later ones are ignored.
pub const MAX_V1_ENTRIES: usize = 8;

preset! {
    /// Receives Stripe events; the body is parsed into `T` (default [`RawJson`]). Build once,
    /// clone freely.
    pub struct Stripe(HmacScheme) [window, scheme];
}

impl<T> Stripe<T> {
    /// A receiver for the endpoint's signing secret(s), each the whole `whsec_...` text.
    #[must_use]
    pub fn new(secrets: impl Into<Keyring>) -> Self {
        Self::with_state(
            HmacScheme::in_body(secrets).encoding(SignatureEncoding::Hex),
            Some(DEFAULT_TOLERANCE),
            (),
        )
    }
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Stripe<T> {
    type Event = Event<T>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.inner.settings.body_limit
    }

    /// # Errors
    /// [`Error::MissingSignature`] without `Stripe-Signature`; [`Error::MissingTimestamp`]
    /// / [`Error::MalformedTimestamp`] without a readable `t`;
    /// [`Error::TimestampOutOfTolerance`]; [`Error::MalformedSignature`] without a
    /// well-formed `v1`; [`Error::InvalidSignature`] when none matches.
    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        static LIST: preset::Listed =
            preset::Listed::new(SIGNATURE_HEADER, ',', ["t", "v1"], b".", MAX_V1_ENTRIES);
        preset::verify_listed(&self.inner, headers, body, &LIST)
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        let ((id, kind), body) = preset::id_kind_and_body::<T>(verified.payload(), ["id", "type"])?;
        Ok(Delivery::new(
            MessageId::new(NAME, &id),
            Event::new(kind, body),
            verified.timestamp(),
        ))
    }
}
