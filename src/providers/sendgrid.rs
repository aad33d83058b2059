//! [SendGrid Event Webhook](https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features):
//! batches of email events signed with ECDSA P-256 (feature `public-key`).
//!
//! **What is signed.** `X-Twilio-Email-Event-Webhook-Signature` holds the base64 of an ASN.1
//! DER ECDSA P-256 / SHA-256 signature of `X-Twilio-Email-Event-Webhook-Timestamp` followed by
//! the raw body (CRLF and all). You configure the verification key SendGrid shows: the base64
//! of a DER SubjectPublicKeyInfo. A raw `r || s` signature is refused, as by SendGrid's SDK.
//!
//! **High-S signatures are accepted (a documented choice).** For every valid ECDSA signature
//! `(r, s)`, `(r, n - s)` is valid too. SendGrid's Python SDK (through OpenSSL) accepts both,
//! and so does the crate: the signature authenticates the body either way, and nothing here
//! is keyed on the signature's bytes (the message id is the body's digest), so the second form
//! gives an attacker nothing.
//!
//! **Window: none by default (a documented choice).** The SDK checks no timestamp, and
//! SendGrid retries a failed batch for up to 24 hours without documenting whether a retry is
//! signed anew; a window could refuse genuine retries. Set one with [`SendGrid::tolerance`]
//! once you know your deliveries arrive fresh. The timestamp must still be unix seconds: it
//! is [`Delivery::timestamp`](crate::Delivery::timestamp).
//!
//! **One delivery, many events; id and type.** The body is a JSON array of events, each with
//! its own `event` type and `sg_event_id`. The crate hands over the whole batch as one
//! delivery, [`Event::body`] being your `T` (default [`RawJson`]; a `Vec<YourEvent>` works)
//! for the handler to iterate. The delivery's id is `sha256:` + the digest of the verified
//! body, so a retried batch is a duplicate; deduplicate single events on `sg_event_id` in your
//! handler if you need to. [`Event::kind`] is empty: SendGrid names no type for a batch.
//!
//! **Rotation.** A new verification key is a new configuration: [`SendGrid::with_key`]
//! accepts a second key while you switch.
//!
//! **What breaks verification.** Anything that changes the body's bytes (trailing CRLF
//! included) or drops the two headers.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::sendgrid::SendGrid;
//! use webhook_receiver::testing::sendgrid::KeySigner;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::verify::PrivateKey;
//! use webhook_receiver::Provider;
//!
//! let key = PrivateKey::from_pem(include_str!("../../tests/fixtures/keys/ec-private.pem")).unwrap();
//! let signer = KeySigner::new(key).clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let sendgrid: SendGrid = SendGrid::new(&signer.public_key_base64()).unwrap();
//! let request = signer.sign(br#"[{"event":"delivered","sg_event_id":"e1"}]"#);
//! let delivery = sendgrid.verify_and_parse(request.headers(), request.body()).unwrap();
//! let events: Vec<serde_json::Value> = delivery.event.body.parse().unwrap();
//! assert_eq!(events[0]["event"], "delivered");
//! # }
//! ```

use serde::de::DeserializeOwned;

use super::preset::{self, preset};
use super::{Event, RawJson};
use crate::verify::{KeyAlgorithm, PublicKey, PublicKeyScheme};
use crate::{ConfigError, Delivery, Error, Headers, MessageId, Provider, Verified};

/// The namespace of SendGrid message ids.
pub const NAME: &str = "sendgrid";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";

preset! {
    /// Receives SendGrid Event Webhook batches; the body (a JSON array) is parsed into `T`
    /// (default [`RawJson`]).
    #[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
    pub struct SendGrid(PublicKeyScheme) [window];
}

fn read_key(base64_der: &str) -> Result<PublicKey, ConfigError> {
    let der = crate::verify::encoding::base64_to_vec(base64_der.trim())
        .ok_or_else(|| ConfigError::new("the SendGrid verification key is not base64"))?;
    let key = PublicKey::from_der(&der)?;
    if key.algorithm() != KeyAlgorithm::EcdsaP256Sha256 {
        return Err(ConfigError::new(
            "the SendGrid verification key is not ECDSA P-256",
        ));
    }
    Ok(key)
}

impl<T> SendGrid<T> {
    /// A receiver for the verification key as SendGrid shows it (base64 of DER
    /// SubjectPublicKeyInfo); no window.
    ///
    /// # Errors
    /// [`ConfigError`] when it is not base64 of an ECDSA P-256 public key.
    pub fn new(public_key_base64: &str) -> Result<Self, ConfigError> {
        Ok(Self::with_state(
            PublicKeyScheme::new(read_key(public_key_base64)?),
            None,
            (),
        ))
    }

    /// Also accepts batches signed with the key whose public half is `public_key_base64`.
    ///
    /// # Errors
    /// As [`SendGrid::new`].
    pub fn with_key(mut self, public_key_base64: &str) -> Result<Self, ConfigError> {
        let key = read_key(public_key_base64)?;
        let state = std::sync::Arc::make_mut(&mut self.inner);
        state.scheme = state.scheme.clone().with(key);
        Ok(self)
    }
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for SendGrid<T> {
    type Event = Event<T>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.inner.settings.body_limit
    }

    /// # Errors
    /// [`Error::MissingSignature`], [`Error::MissingTimestamp`],
    /// [`Error::MalformedTimestamp`], [`Error::TimestampOutOfTolerance`] (with a window),
    /// [`Error::MalformedSignature`] (not base64), [`Error::InvalidSignature`].
    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let settings = &self.inner.settings;
        let stamped = settings.stamped(headers, SIGNATURE_HEADER, TIMESTAMP_HEADER)?;
        let verified = self.inner.scheme.verify_parts(
            &[stamped.timestamp.as_bytes()],
            body,
            stamped.signature,
        )?;
        Ok(preset::with_unix_timestamp(verified, stamped.seconds))
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        let body: T = verified.json()?;
        Ok(Delivery::new(
            MessageId::digest(NAME, verified.payload()),
            Event::new("", body),
            verified.timestamp(),
        ))
    }
}
