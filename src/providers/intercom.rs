//! Intercom webhooks (conversation, contact, ticket, ... notifications).
//!
//! **What is signed.** `X-Hub-Signature: sha1=<hex>`: the HMAC-SHA1 of the raw body under the
//! app's client secret, as Intercom documents for signed notifications. Intercom's official
//! SDKs (`intercom-client`, `python-intercom`) contain no verifier, so this preset follows the
//! documentation alone; hex is read in either case, the prefix in either case. HMAC-SHA1 is
//! what Intercom sends; it is not weakened by SHA-1's collisions (see
//! [`MacAlgorithm::Sha1`]).
//!
//! **Message id.** The notification's `id` (`notif_...`), which Intercom keeps across its
//! retries: [`Delivery::id`](crate::Delivery::id) is `MessageId::new("intercom", id)`; a body
//! without it is [`Error::UnexpectedPayload`]. **Event type:** the body's `topic`
//! (`conversation.user.created`, and `ping` for the test notification, an event like any
//! other: answer it with 2xx). [`Delivery::timestamp`](crate::Delivery::timestamp) is the
//! body's `created_at` (unix seconds).
//!
//! **Window.** None: Intercom documents no replay window, and its retries keep `created_at`,
//! so one would refuse genuine late retries. Deduplication on `id` stops a replay from being
//! processed twice.
//!
//! **Rotation.** The client secret belongs to the app; when it changes, keep the old one in
//! the [`Keyring`] until deliveries signed with it stop.
//!
//! **What breaks verification.** Re-serialising the body before it reaches the provider.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use webhook_receiver::providers::intercom::Intercom;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{Provider, Secret};
//!
//! let intercom: Intercom = Intercom::new(Secret::new("client-secret").unwrap());
//! let request = intercom.sign(br#"{"type":"notification_event","id":"notif_1","topic":"ping"}"#);
//! assert!(request.header("x-hub-signature").unwrap().starts_with("sha1="));
//! let delivery = intercom.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!((delivery.id.as_str(), delivery.event.kind.as_str()), ("notif_1", "ping"));
//! # }
//! ```

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::pick;
use super::preset::{self, preset};
use super::{Event, RawJson};
use crate::verify::{HmacScheme, MacAlgorithm, SignatureEncoding};
use crate::{Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Intercom message ids.
pub const NAME: &str = "intercom";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-hub-signature";

preset! {
    /// Receives Intercom webhooks, parsing the body into `T` (default [`RawJson`]). Build once at
    /// start-up; clone freely.
    pub struct Intercom(HmacScheme) [scheme];
}

impl<T> Intercom<T> {
    /// A receiver for the app's client secret(s) (several during a rotation).
    #[must_use]
    pub fn new(secrets: impl Into<Keyring>) -> Self {
        let scheme = HmacScheme::for_header(SIGNATURE_HEADER, secrets)
            .algorithm(MacAlgorithm::Sha1)
            .encoding(SignatureEncoding::Hex)
            .prefix("sha1=");
        Self::with_state(scheme, None, ())
    }
}

/// The fields of the body that identify the notification.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    #[serde(default)]
    created_at: Option<i64>,
}

impl<'a> From<Envelope<'a>> for preset::IdKindAt<'a, i64> {
    fn from(envelope: Envelope<'a>) -> Self {
        (envelope.id, envelope.topic, envelope.created_at)
    }
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Intercom<T> {
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
        self.inner.scheme.verify(headers, body)
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        let ((id, topic, created_at), body) = preset::id_kind_at_and_body::<T, Envelope<'_>, _>(
            verified.payload(),
            ["id", "topic", "created_at"],
            pick::optional_i64,
        )?;
        let timestamp = created_at.and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok());
        Ok(Delivery::new(
            MessageId::new(NAME, &id),
            Event::new(topic.unwrap_or_default(), body),
            timestamp,
        ))
    }
}
