//! [Paddle Billing](https://developer.paddle.com/webhooks/signature-verification): events
//! signed with the notification destination's secret key.
//!
//! **What is signed.** `Paddle-Signature: ts=<unix seconds>;h1=<hex>[;h1=<hex>...]`, each `h1`
//! the lower-case hex HMAC-SHA256 of `{ts}:{raw body}` keyed with the secret key's text
//! (`pdl_ntfset_...`) as bytes. Any one matching `h1` is enough (during a secret rotation
//! Paddle sends one per key); at most [`MAX_H1_ENTRIES`] are compared, each key's MAC computed
//! once. Other keys in the header are ignored.
//!
//! **The SDKs disagree; the crate's choices.**
//! - *Several `h1`:* the Python SDK accepts any match; the Node SDK keeps only the last `h1`
//!   and so refuses a header whose first is the valid one. The crate accepts any (it is what a
//!   rotation needs).
//! - *Unknown keys (`h2=`):* the Python SDK raises; Node ignores them. The crate ignores them,
//!   so a future signature version added beside `h1` does not break deliveries.
//! - *Window:* the Python SDK allows ±5 s (edges included), the Node SDK 5 s in the past and any
//!   future. Five seconds is tight: a receiver whose clock is a few seconds off, or a slow
//!   proxy, refuses genuine deliveries. The crate's default is [`DEFAULT_TOLERANCE`], 30 s
//!   **either way**; set `.tolerance(Duration::from_secs(5))` for Paddle's own figure.
//!   Replays inside the window are duplicates of an `event_id` the idempotency store knows.
//!
//! **Message id and type.** The body's `event_id` (`evt_...`) and `event_type`
//! (`transaction.completed`). `notification_id` names one delivery of the event to one
//! destination; the crate keys on the event, so two destinations pointing at one receiver
//! process it once. A body without them is [`Error::UnexpectedPayload`].
//!
//! **What breaks verification.** Re-serialised or re-encoded bodies (hand over the raw
//! bytes), and clocks further apart than the window.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::paddle::Paddle;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{Provider, Secret};
//!
//! let paddle: Paddle = Paddle::new(Secret::new("pdl_ntfset_01_secret").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let request = paddle.sign(br#"{"event_id":"evt_1","event_type":"transaction.completed","data":{}}"#);
//! let delivery = paddle.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.id.key(), "paddle:evt_1");
//! assert_eq!(delivery.event.kind, "transaction.completed");
//! # }
//! ```

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::preset::{self, preset};
use super::{Event, RawJson};
use crate::verify::HmacScheme;
use crate::{Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Paddle message ids.
pub const NAME: &str = "paddle";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "paddle-signature";

/// The default window: 30 s either side of now (Paddle's SDKs use 5 s; see the module docs).
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(30);

/// How many `h1` entries of one header are compared at most; later ones are ignored.
pub const MAX_H1_ENTRIES: usize = 8;

preset! {
    /// Receives Paddle Billing events; the body is parsed into `T` (default [`RawJson`]).
    pub struct Paddle(HmacScheme) [window, scheme];
}

impl<T> Paddle<T> {
    /// A receiver for the destination's secret key(s), each the whole `pdl_ntfset_...` text.
    #[must_use]
    pub fn new(secrets: impl Into<Keyring>) -> Self {
        Self::with_state(HmacScheme::in_body(secrets), Some(DEFAULT_TOLERANCE), ())
    }
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Paddle<T> {
    type Event = Event<T>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.inner.settings.body_limit
    }

    /// # Errors
    /// [`Error::MissingSignature`] without `Paddle-Signature`; [`Error::MissingTimestamp`] /
    /// [`Error::MalformedTimestamp`] without a readable `ts`;
    /// [`Error::TimestampOutOfTolerance`]; [`Error::MalformedSignature`] without a
    /// well-formed `h1`; [`Error::InvalidSignature`].
    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        static LIST: preset::Listed =
            preset::Listed::new(SIGNATURE_HEADER, ';', ["ts", "h1"], b":", MAX_H1_ENTRIES);
        preset::verify_listed(&self.inner, headers, body, &LIST)
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        let ((id, kind), body) =
            preset::id_kind_and_body::<T>(verified.payload(), ["event_id", "event_type"])?;
        Ok(Delivery::new(
            MessageId::new(NAME, &id),
            Event::new(kind, body),
            verified.timestamp(),
        ))
    }
}
