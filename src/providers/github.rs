//! GitHub webhooks (repository, organisation and app events).
//!
//! **What is signed.** `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body
//! under the webhook's secret. The hex must be lower case, as GitHub sends it: GitHub's own
//! verifier (`@octokit/webhooks-methods`) compares the header's text byte for byte, so upper
//! case or a missing `sha256=` is refused there and here. The legacy SHA-1 header
//! `X-Hub-Signature` is not read. There is no timestamp, so no replay window: a captured
//! delivery verifies forever, and only deduplication on its id stops it being processed twice.
//!
//! **Message id.** [`Delivery::id`](crate::Delivery::id) is `MessageId::new("github",
//! X-GitHub-Delivery)`. GitHub's *redeliver* button and its automatic retries reuse the same
//! GUID (and the same signature), so the id names the event, not the attempt: a redelivery of
//! a processed event is a duplicate. The header is **not covered by the signature**: whoever
//! holds a genuine delivery (a log, a proxy) can replay it under a fresh GUID, and it is then
//! processed again. The signature still guarantees the body is GitHub's; a handler whose
//! effect must happen once per event keys its own writes on something inside the body (the
//! `after` commit of a push, an issue's `id` and `action`).
//!
//! **Event type.** [`Event::kind`](crate::providers::Event) is `X-GitHub-Event` (`push`,
//! `issues`, `ping`, ...); the body's `action` (`opened`, `closed`) is in the body. A delivery
//! without `X-GitHub-Delivery` or `X-GitHub-Event` is [`Error::MissingHeader`] (GitHub always
//! sends both). `ping`, sent when a webhook is created, is an event like any other: answer it
//! with 2xx.
//!
//! **Rotation.** GitHub signs with one secret. Build the provider from a
//! [`Keyring`] holding the new secret beside the old one, deploy, change the
//! secret in GitHub, then drop the old one.
//!
//! **What breaks verification.** Anything that changes the body's bytes before it reaches the
//! provider: a proxy or framework that re-serialises JSON, changes its encoding, or a form
//! content type (`application/x-www-form-urlencoded` webhooks sign the form body: hand over
//! the raw body, not the decoded `payload` field).
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use webhook_receiver::providers::github::GitHub;
//! use webhook_receiver::{Provider, Secret, testing};
//!
//! let github: GitHub = GitHub::new(Secret::new("It's a Secret to Everybody").unwrap());
//! let request = testing::github::sign(&github, "issues", br#"{"action":"opened"}"#);
//! let delivery = github.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "issues");
//! assert_eq!(delivery.id.provider(), "github");
//! let body: serde_json::Value = delivery.event.body.parse().unwrap();
//! assert_eq!(body["action"], "opened");
//! # }
//! ```

use serde::de::DeserializeOwned;

use super::preset::preset;
use super::read::{self, required_header};
use super::{Event, RawJson};
use crate::verify::{HmacScheme, SignatureEncoding};
use crate::{Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of GitHub message ids.
pub const NAME: &str = "github";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The delivery's GUID, kept by redeliveries.
pub const DELIVERY_HEADER: &str = "x-github-delivery";
/// The event type.
pub const EVENT_HEADER: &str = "x-github-event";

preset! {
    /// Receives GitHub webhooks, parsing the body into `T` (default [`RawJson`]). Build once at
    /// start-up; clone freely (the state is shared).
    pub struct GitHub(HmacScheme) [scheme];
}

impl<T> GitHub<T> {
    /// A receiver for the webhook secret(s) in `secrets` (several during a rotation).
    #[must_use]
    pub fn new(secrets: impl Into<Keyring>) -> Self {
        let scheme = HmacScheme::for_header(SIGNATURE_HEADER, secrets)
            .encoding(SignatureEncoding::LowerHex)
            .prefix("sha256=");
        Self::with_state(scheme, None, ())
    }
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for GitHub<T> {
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
        // One pass over the headers for the three this preset reads.
        let [signature, id, kind] =
            read::each(headers, [SIGNATURE_HEADER, DELIVERY_HEADER, EVENT_HEADER]);
        // GitHub's verifier compares the text byte for byte: the prefix in lower case too.
        let signature = super::preset::lowercase_hex(read::signature(&[signature])?)?;
        let verified = self.inner.scheme.verify_parts(&[], body, signature)?;
        let id = read::required(&[id])?;
        let kind = read::required(&[kind])?;
        Ok(verified.with_id(id).with_kind(kind))
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
            None,
        ))
    }

    /// The body, with the id and type the headers claim; nothing is checked.
    fn extract_unverified<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<crate::dangerous::Unverified<'a>, Error> {
        let id = required_header(headers, &[DELIVERY_HEADER])?;
        let kind = required_header(headers, &[EVENT_HEADER])?;
        Ok(crate::dangerous::Unverified::new(body)
            .with_id(id)
            .with_kind(kind))
    }
}
