//! [Zoom](https://developers.zoom.us/docs/api/webhooks/): event notifications signed with
//! the app's secret token.
//!
//! **What is signed.** `x-zm-signature: v0=<hex>`, the lower-case hex HMAC-SHA256 of
//! `v0:{x-zm-request-timestamp}:{raw body}` keyed with the secret token's text. The crate
//! verifies the **raw bytes** it received and only then parses them (verify-then-parse).
//!
//! **Where the crate differs from Zoom's SDK, and why.** Zoom's Node SDK (Rivet) and its
//! sample verifier hash `JSON.stringify(JSON.parse(body))`, a re-serialisation, and hash the
//! timestamp as `Number(header).toString()`. Zoom sends compact JSON and plain timestamps, so on
//! real deliveries the two agree; they part only on bytes Zoom does not send. The crate keeps to
//! the raw bytes: a signature must cover exactly what is parsed, and re-serialising before
//! checking would accept a signature over bytes that were never sent (and tie verification to
//! one JavaScript engine's number and string formatting). So a pretty-printed or
//! `\u`-escaped body signed over its raw bytes verifies here and not in Rivet, and a signature
//! over a re-serialised copy verifies in Rivet and not here.
//!
//! **Window: 300 s, both ways (a documented choice).** Rivet checks no timestamp at all. The
//! crate applies [`DEFAULT_TOLERANCE`] either way, as for Slack's identical scheme, so that a
//! captured delivery cannot be replayed later; configurable with [`Zoom::tolerance`]. Zoom
//! re-signs each retry with a new timestamp.
//!
//! **Message id and type.** Zoom documents no delivery id (`x-zm-trackingid` is for tracing,
//! and not documented as stable), so the id is `sha256:` + the digest of the verified body: a
//! retry carries the same body (`event_ts` included) and so the same id, and two distinct
//! events never share one. [`Event::kind`] is the body's `event` (`meeting.started`); a body
//! without it is [`Error::UnexpectedPayload`].
//!
//! **The `endpoint.url_validation` handshake** is verified and parsed like any event, with
//! kind `endpoint.url_validation`: for now your handler must answer it with
//! `{"plainToken": <payload.plainToken>, "encryptedToken": <hex HMAC-SHA256 of plainToken under
//! the secret token>}`.
//!
//! **Rotation.** Zoom has one secret token per app; keep old and new in the [`Keyring`] while
//! you switch.
//!
//! **What breaks verification.** A framework or proxy that re-serialises the JSON before the
//! crate sees it; clocks more than 5 minutes apart.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::zoom::Zoom;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{MessageId, Provider, Secret};
//!
//! let zoom: Zoom = Zoom::new(Secret::new("zoom-secret-token").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let body = br#"{"event":"meeting.started","event_ts":1767225599000,"payload":{}}"#;
//! let request = zoom.sign(body);
//! let delivery = zoom.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "meeting.started");
//! assert_eq!(delivery.id, MessageId::digest("zoom", body));
//! # }
//! ```

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::pick::Field;
use super::preset::{self, preset};
use super::{Event, RawJson};
use crate::verify::HmacScheme;
use crate::{Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Zoom message ids.
pub const NAME: &str = "zoom";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-zm-signature";

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-zm-request-timestamp";

/// The default window: 300 s either side of now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

preset! {
    /// Receives Zoom event notifications; the body is parsed into `T` (default [`RawJson`]).
    pub struct Zoom(HmacScheme) [window, scheme];
}

impl<T> Zoom<T> {
    /// A receiver for the app's secret token(s).
    #[must_use]
    pub fn new(secrets: impl Into<Keyring>) -> Self {
        Self::with_state(
            HmacScheme::in_body(secrets).prefix("v0="),
            Some(DEFAULT_TOLERANCE),
            (),
        )
    }
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Zoom<T> {
    type Event = Event<T>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.inner.settings.body_limit
    }

    /// # Errors
    /// [`Error::MissingSignature`], [`Error::MissingTimestamp`],
    /// [`Error::MalformedTimestamp`], [`Error::TimestampOutOfTolerance`],
    /// [`Error::MalformedSignature`] (not `v0=` + 64 lower-case hex digits),
    /// [`Error::InvalidSignature`].
    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        preset::verify_v0(
            &self.inner.scheme,
            &self.inner.settings,
            headers,
            body,
            SIGNATURE_HEADER,
            TIMESTAMP_HEADER,
        )
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        static FIELDS: [Field; 1] = [Field::Top("event")];
        let (kind, body) = preset::parse_with::<T, _, 1>(
            verified.payload(),
            FIELDS,
            |[event]| event?.into_str(),
            |payload| crate::json::parse_json_object::<Head<'_>>(payload).map(|head| head.event),
        )?;
        Ok(Delivery::new(
            MessageId::digest(NAME, verified.payload()),
            Event::new(kind, body),
            verified.timestamp(),
        ))
    }
}
