//! Shopify webhooks (and the newer "Events" deliveries).
//!
//! **What is signed.** `X-Shopify-Hmac-Sha256`: the base64 HMAC-SHA256 of the raw body under
//! the app's client secret. Events deliveries send the same headers without the `X-` prefix
//! (`shopify-hmac-sha256`, `shopify-webhook-id`, `shopify-topic`, ...); both spellings are read,
//! as Shopify's own verifier (`@shopify/shopify-api`) reads them. There is no timestamp, so no
//! replay window (`X-Shopify-Triggered-At` is not signed): deduplication on the id is what
//! stops a replay from being processed twice.
//!
//! **Message id: the event, not the delivery.** Shopify sends two ids. `X-Shopify-Webhook-Id`
//! names one delivery to one subscription; `X-Shopify-Event-Id` names the event, and is shared
//! by every delivery of it (a second subscription to the same topic, a redelivery). Shopify's
//! guide to ignoring duplicates says to deduplicate on the event id, so
//! [`Delivery::id`](crate::Delivery::id) is `MessageId::new("shopify", X-Shopify-Event-Id)`
//! when the header is present, else `X-Shopify-Webhook-Id` (older deliveries, the Events
//! headers). A delivery without `X-Shopify-Webhook-Id` or without `X-Shopify-Topic` is
//! [`Error::MissingHeader`], as the SDK refuses it (`missing_headers`); unlike the SDK, the
//! shop domain and API version headers are not required (read them from the request if you
//! need them). Neither id header is covered by the signature: a captured delivery replayed
//! under a fresh id verifies and is processed again; key effects that must happen once on the
//! body (an order's `id`).
//!
//! **Event type.** [`Event::kind`](crate::providers::Event) is `X-Shopify-Topic` as sent
//! (`orders/create`).
//!
//! **Rotation.** Shopify signs with the app's current client secret; after rotating it in the
//! Partner Dashboard, deliveries may still arrive signed with the old one for a while: build
//! the provider from a [`Keyring`] holding both, then drop the old one.
//!
//! **What breaks verification.** A proxy or framework that re-serialises the JSON body (a
//! middleware that parses it first), and an empty body (the signature of nothing; refused as
//! not JSON, as the SDK refuses it).
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use webhook_receiver::providers::shopify::Shopify;
//! use webhook_receiver::{Provider, Secret, testing};
//!
//! let shopify: Shopify = Shopify::new(Secret::new("client-secret").unwrap());
//! let request = testing::shopify::sign(&shopify, "orders/create", br#"{"id":820982911946154508}"#);
//! let delivery = shopify.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "orders/create");
//! assert_eq!(delivery.id.as_str(), request.header("x-shopify-event-id").unwrap());
//! # }
//! ```

use serde::de::DeserializeOwned;

use super::preset::preset;
use super::read;
use super::{Event, RawJson};
use crate::verify::{HmacScheme, SignatureEncoding};
use crate::{Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Shopify message ids.
pub const NAME: &str = "shopify";

/// The signature header, and its Events spelling.
pub const SIGNATURE_HEADERS: [&str; 2] = ["x-shopify-hmac-sha256", "shopify-hmac-sha256"];
/// The id of one delivery to one subscription, and its Events spelling.
pub const WEBHOOK_ID_HEADERS: [&str; 2] = ["x-shopify-webhook-id", "shopify-webhook-id"];
/// The id of the event, shared by all its deliveries, and its Events spelling.
pub const EVENT_ID_HEADERS: [&str; 2] = ["x-shopify-event-id", "shopify-event-id"];
/// The topic, and its Events spelling.
pub const TOPIC_HEADERS: [&str; 2] = ["x-shopify-topic", "shopify-topic"];

preset! {
    /// Receives Shopify webhooks, parsing the body into `T` (default [`RawJson`]). Build once at
    /// start-up; clone freely.
    pub struct Shopify(HmacScheme) [scheme];
}

impl<T> Shopify<T> {
    /// A receiver for the app's client secret(s) (several during a rotation).
    #[must_use]
    pub fn new(secrets: impl Into<Keyring>) -> Self {
        let scheme = HmacScheme::in_body(secrets).encoding(SignatureEncoding::Base64);
        Self::with_state(scheme, None, ())
    }
}

/// Every header this preset reads, under both spellings, in one pass: the signature, the
/// webhook id, the event id and the topic.
fn read_all<H: Headers + ?Sized>(headers: &H) -> [(&'static str, Option<&[u8]>); 8] {
    let [s, s2] = SIGNATURE_HEADERS;
    let [w, w2] = WEBHOOK_ID_HEADERS;
    let [e, e2] = EVENT_ID_HEADERS;
    let [t, t2] = TOPIC_HEADERS;
    read::each(headers, [s, s2, w, w2, e, e2, t, t2])
}

/// The id and topic the headers carry: the event id where present, else the delivery's.
fn id_and_topic<'h>(
    found: &[(&'static str, Option<&'h [u8]>); 8],
) -> Result<(&'h str, &'h str), Error> {
    let [_, _, w, w2, e, e2, t, t2] = *found;
    let webhook_id = read::required(&[w, w2])?;
    let event_id = read::optional(&[e, e2])?;
    let topic = read::required(&[t, t2])?;
    Ok((event_id.unwrap_or(webhook_id), topic))
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Shopify<T> {
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
        let found = read_all(headers);
        let [s, s2, ..] = found;
        let signature = read::signature(&[s, s2])?;
        let verified = self.inner.scheme.verify_parts(&[], body, signature)?;
        let (id, topic) = id_and_topic(&found)?;
        Ok(verified.with_id(id).with_kind(topic))
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        let body = verified.json()?;
        let id = verified.id().ok_or(Error::MissingHeader {
            header: WEBHOOK_ID_HEADERS[0].into(),
        })?;
        let kind = verified.kind().unwrap_or_default();
        Ok(Delivery::new(
            MessageId::new(NAME, id),
            Event::new(kind, body),
            None,
        ))
    }

    /// The body, with the id and topic the headers claim; nothing is checked.
    fn extract_unverified<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<crate::dangerous::Unverified<'a>, Error> {
        let (id, topic) = id_and_topic(&read_all(headers))?;
        Ok(crate::dangerous::Unverified::new(body)
            .with_id(id)
            .with_kind(topic))
    }
}
