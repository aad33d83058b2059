//! receeve (now part of InDebted): debt-collection message envelopes.
//!
//! A receeve delivery is a JSON envelope:
//!
//! ```text
//! {"payload": {"details": {"messageType": "event.claim.created.v1", ...},
//!              "messageId": "...", "timestamp": "2021-10-14T15:33:16.848Z", "user": {...}},
//!  "signature": "...",
//!  "payloadAsString": "{\"details\":...}"}
//! ```
//!
//! `payloadAsString` is the exact text that was signed, and `payload` the same data as an
//! object. **Only the signed text counts:** the event is parsed from `payloadAsString` after
//! its signature checked out, and a `payload` object that disagrees with it (a forged copy
//! next to a genuine signature) rejects the delivery with [`Error::PayloadMismatch`]. A
//! delivery without `payloadAsString` is [`Error::MissingSignedPayload`].
//!
//! **Signatures.** receeve's prose documents HMAC-SHA256 of `payloadAsString` with the shared
//! key, which [`Receeve::hmac`] checks (hex or base64, told apart by length unless you fix the
//! encoding). Its Node sample verifies an asymmetric signature instead (a PEM public key,
//! SHA-256, base64): `Receeve::public_key` checks RSA PKCS#1 v1.5 and ECDSA P-256 signatures
//! (feature `public-key`). Both check every key they hold, so keys rotate without downtime.
//!
//! **Message id** is `payload.messageId`, which receeve documents as the deduplication key
//! (delivery is at-least-once). **Timestamp**: `payload.timestamp`, the time the event reached
//! receeve's bus. Retries keep it, so a replay window on it is opt-in
//! ([`Receeve::timestamp_tolerance`]).
//!
//! ```
//! use webhook_receiver::{Provider, Secret};
//! use webhook_receiver::providers::receeve::{Details, Receeve};
//!
//! let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
//! let payload = r#"{"details":{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":501,"currency":"EUR","dueDate":"2021-10-07"},"messageId":"09feeb6f-350a-430a-a040-cd1c558cbc91","timestamp":"2021-10-14T15:33:16.848Z"}"#;
//! let body = receeve.signed_body(payload);
//! let delivery = receeve.verify_and_parse(&[("content-type", "application/json")], &body).unwrap();
//! assert_eq!(delivery.id.as_str(), "09feeb6f-350a-430a-a040-cd1c558cbc91");
//! match delivery.event.details {
//!     Details::ClaimCreated(claim) => assert_eq!(claim.amount, 501),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::clock::{Clock, SystemClock, check_tolerance};
use crate::json::lenient;
use crate::verify::HmacScheme;
use crate::verify::SignatureEncoding;
use crate::{DEFAULT_BODY_LIMIT, Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

mod catalogue;
mod message;

pub use catalogue::{MessageKind, MessageType};
pub use message::*;

/// The namespace of receeve message ids.
pub const NAME: &str = "receeve";

/// Receives receeve webhooks. Build once at start-up; clone freely.
#[derive(Clone)]
pub struct Receeve {
    signing: Signing,
    body_limit: usize,
    tolerance: Option<Duration>,
    clock: Arc<dyn Clock>,
}

#[derive(Clone)]
enum Signing {
    Hmac(HmacScheme),
    #[cfg(feature = "public-key")]
    PublicKey(crate::verify::PublicKeyScheme),
}

impl Receeve {
    /// A receiver checking HMAC-SHA256 signatures of `payloadAsString` against every key of
    /// `keys`. Signatures are accepted hex or base64 (64 hex digits, or 43-44 base64
    /// characters); fix one with [`signature_encoding`](Self::signature_encoding).
    #[must_use]
    pub fn hmac(keys: impl Into<Keyring>) -> Self {
        Self {
            signing: Signing::Hmac(
                HmacScheme::in_body(keys).encoding(SignatureEncoding::HexOrBase64),
            ),
            body_limit: DEFAULT_BODY_LIMIT,
            tolerance: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// A receiver checking asymmetric signatures of `payloadAsString` (base64), as receeve's
    /// Node sample does with `crypto.createVerify("SHA256")`: RSA PKCS#1 v1.5 or ECDSA P-256
    /// with SHA-256, the algorithm fixed by each key read at start-up. Several keys rotate like
    /// a keyring.
    ///
    /// ```
    /// use webhook_receiver::providers::receeve::Receeve;
    /// use webhook_receiver::verify::PublicKeyScheme;
    /// let pem = "-----BEGIN PUBLIC KEY-----
    /// MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETAez7YIPSDrX7yDEUWiVI6u/XXH9
    /// 9bFgmOEn57el/PHctJ9sC0egWs5mplME/2ktUcQ4qS9B5j9KAmKuJbJhvg==
    /// -----END PUBLIC KEY-----";
    /// let receeve = Receeve::public_key(PublicKeyScheme::from_pem(pem).unwrap());
    /// # let _ = receeve;
    /// ```
    #[cfg(feature = "public-key")]
    #[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
    #[must_use]
    pub fn public_key(keys: impl Into<crate::verify::PublicKeyScheme>) -> Self {
        Self {
            signing: Signing::PublicKey(keys.into()),
            body_limit: DEFAULT_BODY_LIMIT,
            tolerance: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Accepts only HMAC signatures in `encoding`. No effect on a public-key receiver, whose
    /// signatures are always base64.
    #[must_use]
    pub fn signature_encoding(mut self, encoding: SignatureEncoding) -> Self {
        #[allow(irrefutable_let_patterns)] // refutable with the `public-key` feature
        if let Signing::Hmac(scheme) = &mut self.signing {
            scheme.encoding = encoding;
        }
        self
    }

    /// Rejects deliveries whose `payload.timestamp` is more than `tolerance` from now, either
    /// way. Off by default: receeve's retries keep the original timestamp, so a window shorter
    /// than its retry schedule would reject genuine retries.
    #[must_use]
    pub fn timestamp_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Reads "now" from `clock` (default the system clock); for tests.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the largest accepted body in bytes (default 1 MiB).
    #[must_use]
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// The HMAC scheme, for a receiver that checks HMAC signatures (the testing kit signs
    /// with it).
    #[cfg(feature = "testing")]
    pub(crate) fn hmac_scheme(&self) -> Option<&HmacScheme> {
        match &self.signing {
            Signing::Hmac(scheme) => Some(scheme),
            #[cfg(feature = "public-key")]
            Signing::PublicKey(_) => None,
        }
    }

    fn check_signature(&self, signed: &[u8], signature: &str) -> Result<(), Error> {
        match &self.signing {
            Signing::Hmac(scheme) => scheme.verify_parts(&[], signed, signature).map(drop),
            #[cfg(feature = "public-key")]
            Signing::PublicKey(scheme) => scheme.verify_parts(&[], signed, signature).map(drop),
        }
    }
}

impl fmt::Debug for Receeve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("Receeve");
        match &self.signing {
            Signing::Hmac(scheme) => {
                f.field("hmac", scheme);
            }
            #[cfg(feature = "public-key")]
            Signing::PublicKey(scheme) => {
                f.field("public_keys", scheme);
            }
        }
        f.field("body_limit", &self.body_limit)
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

/// A delivery's body, read: the unsigned `payload` as written, the signature, and the signed
/// text.
struct Envelope<'a> {
    payload: Option<&'a RawValue>,
    signature: Option<Cow<'a, str>>,
    payload_as_string: Option<Cow<'a, str>>,
}

/// The body as parsed: `payloadAsString` kept as its JSON token, unescaped afterwards into a
/// buffer of its size (serde_json's own reading grows a scratch buffer, then copies it out).
#[derive(Deserialize)]
struct WireEnvelope<'a> {
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "lenient::borrowed_text")]
    signature: Option<Cow<'a, str>>,
    #[serde(
        rename = "payloadAsString",
        borrow,
        default,
        deserialize_with = "lenient::string_token"
    )]
    payload_as_string: Option<&'a RawValue>,
}

/// `payloadAsString` as serde_json reads it, for what [`string_text`](crate::json::string_text)
/// leaves to it (a lone surrogate escape): the same text, or the same error, as before.
#[derive(Deserialize)]
struct SignedText<'a> {
    #[serde(
        rename = "payloadAsString",
        borrow,
        default,
        deserialize_with = "lenient::borrowed_text"
    )]
    payload_as_string: Option<Cow<'a, str>>,
}

impl<'a> Envelope<'a> {
    fn read(body: &'a [u8]) -> Result<Self, Error> {
        let wire: WireEnvelope<'a> = crate::json::parse_json_object(body)?;
        let payload_as_string = match wire.payload_as_string {
            None => None,
            Some(token) => match crate::json::string_text(token.get()) {
                Some(text) => Some(text),
                None => crate::json::parse_json_object::<SignedText<'a>>(body)?.payload_as_string,
            },
        };
        Ok(Self {
            payload: wire.payload,
            signature: wire.signature,
            payload_as_string,
        })
    }

    fn signed(&self) -> Result<&str, Error> {
        self.payload_as_string
            .as_deref()
            .ok_or(Error::MissingSignedPayload {
                field: "payloadAsString",
            })
    }

    /// The unsigned `payload` object must say what the signed text says: byte for byte (the
    /// usual case, no parsing needed), or as the same JSON tree, compared so that no reader of
    /// the raw body can see a value that was not signed: no duplicate key at any depth,
    /// numbers as written, members in any order ([`same_json`](crate::json::same::same_json)).
    fn check_payload_agrees(&self, signed: &str) -> Result<(), Error> {
        let Some(object) = self.payload else {
            return Ok(());
        };
        // White space around a JSON text is not part of its value (`RawValue` drops it).
        if object.get() == signed.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
            return Ok(());
        }
        if crate::json::same::same_json(signed.as_bytes(), object.get().as_bytes()) {
            Ok(())
        } else {
            Err(Error::PayloadMismatch { field: "payload" })
        }
    }

    fn into_signed(self) -> Result<Cow<'a, [u8]>, Error> {
        match self.payload_as_string {
            Some(Cow::Borrowed(s)) => Ok(Cow::Borrowed(s.as_bytes())),
            Some(Cow::Owned(s)) => Ok(Cow::Owned(s.into_bytes())),
            None => Err(Error::MissingSignedPayload {
                field: "payloadAsString",
            }),
        }
    }
}

/// The one field the replay window needs; the rest of the message is skipped.
#[derive(Deserialize)]
struct Stamp {
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
}

impl Provider for Receeve {
    type Event = Message;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.body_limit
    }

    fn verify<'a, H: Headers + ?Sized>(
        &self,
        _headers: &H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let envelope = Envelope::read(body)?;
        let signed = envelope.signed()?;
        let signature = envelope
            .signature
            .as_deref()
            .ok_or(Error::MissingSignature {
                location: Cow::Borrowed("signature"),
            })?;
        self.check_signature(signed.as_bytes(), signature)?;
        envelope.check_payload_agrees(signed)?;
        if let Some(tolerance) = self.tolerance {
            // The replay window is part of authentication, as in every scheme: checked here,
            // so that `dangerous::parse_unverified` (replays of stored deliveries) skips it.
            let stamp: Stamp = crate::json::parse_json_object(signed.as_bytes())?;
            check_tolerance(
                stamp.timestamp.unix_timestamp_nanos(),
                self.clock.as_ref(),
                tolerance,
            )?;
        }
        Ok(Verified::new(envelope.into_signed()?))
    }

    fn extract_unverified<'a, H: Headers + ?Sized>(
        &self,
        _headers: &H,
        body: &'a [u8],
    ) -> Result<crate::dangerous::Unverified<'a>, Error> {
        Ok(crate::dangerous::Unverified::new(
            Envelope::read(body)?.into_signed()?,
        ))
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Message>, Error> {
        let message = parse_message(verified.payload())?;
        let id = MessageId::new(NAME, &message.message_id);
        let timestamp = Some(message.timestamp);
        Ok(Delivery::new(id, message, timestamp))
    }
}

/// Parses the signed text (`payloadAsString`) of a receeve delivery.
///
/// # Errors
/// [`Error::MalformedPayload`] for invalid JSON, [`Error::UnexpectedPayload`] when a required
/// field (`details.messageType`, `messageId`, `timestamp`) is missing or of the wrong type, or
/// a typed event's documented fields are.
pub(crate) fn parse_message(signed: &[u8]) -> Result<Message, Error> {
    crate::json::parse_json_object(signed)
}
