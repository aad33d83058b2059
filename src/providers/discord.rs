//! [Discord interactions](https://discord.com/developers/docs/interactions/overview): slash
//! commands, components and modals posted to your interactions endpoint, signed with Ed25519
//! (feature `public-key`).
//!
//! **What is signed.** `X-Signature-Ed25519` holds the hex Ed25519 signature (128 digits,
//! either case, as the official `discord-interactions` package reads it) of
//! `X-Signature-Timestamp` followed by the raw body, made with the application's private key;
//! you configure its **public key**, hex, from the developer portal. Verification is strict
//! (no small-order keys, no non-canonical signatures): genuine signatures always pass it.
//!
//! **Window: 300 s, both ways (a documented choice).** `discord-interactions`' `verifyKey`
//! checks no timestamp. Discord expects an answer within 3 seconds and does not retry an
//! interaction, so a genuine one is never old: the crate refuses timestamps more than
//! [`DEFAULT_TOLERANCE`] from now in either direction, which stops a captured request from
//! being replayed later. Configurable with [`Discord::tolerance`].
//!
//! **Message id and type.** The body's `id` (the interaction's snowflake). [`Event::kind`] is
//! the body's numeric `type` named as Discord's documentation names it: `PING` (1),
//! `APPLICATION_COMMAND` (2), `MESSAGE_COMPONENT` (3), `APPLICATION_COMMAND_AUTOCOMPLETE` (4),
//! `MODAL_SUBMIT` (5), and the number itself for a type added later. A body without `id` or
//! `type` is [`Error::UnexpectedPayload`].
//!
//! **The PING handshake** (type 1, sent when you save the endpoint URL and now and then) is
//! verified and parsed like any interaction, with kind `PING`: for now your handler must
//! answer it with `{"type":1}`. Discord also sends deliberately bad signatures and expects
//! 401: the crate's errors give it.
//!
//! **Rotation.** An application's key does not change; [`Discord::with_key`] accepts another
//! (several applications on one endpoint).
//!
//! **What breaks verification.** A changed body (re-serialised JSON), a proxy that drops the
//! two headers, a clock more than 5 minutes off.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::discord::Discord;
//! use webhook_receiver::testing::discord::KeySigner;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::Provider;
//!
//! let clock = Arc::new(ManualClock::at_unix(1_767_225_600));
//! let signer = KeySigner::from_seed([7; 32]).clock(clock.clone());
//! let discord: Discord = Discord::new(&signer.public_key_hex()).unwrap().clock(clock);
//! let request = signer.sign(br#"{"id":"1100","type":1,"application_id":"9"}"#);
//! let delivery = discord.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!((delivery.id.key(), delivery.event.kind.as_str()), ("discord:1100", "PING"));
//! # }
//! ```

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::pick::{Field, Scalar};
use super::preset::{self, preset};
use super::{Event, RawJson};
use crate::verify::public_key::ed25519;
use crate::{ConfigError, Delivery, Error, Headers, MessageId, Provider, Verified};

/// The namespace of Discord message ids.
pub const NAME: &str = "discord";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-signature-ed25519";

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-signature-timestamp";

/// The default window: 300 s either side of now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The application's Ed25519 public key(s).
#[derive(Clone)]
pub(crate) struct Keys(Arc<[ed25519_dalek::VerifyingKey]>);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519Keys")
            .field("keys", &self.0.len())
            .finish()
    }
}

preset! {
    /// Receives Discord interactions; the body is parsed into `T` (default [`RawJson`]).
    #[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
    pub struct Discord(Keys) [window];
}

fn read_key(hex_key: &str) -> Result<ed25519_dalek::VerifyingKey, ConfigError> {
    let bytes = hex::decode(hex_key.trim())
        .map_err(|_| ConfigError::new("the Discord public key is not hex"))?;
    ed25519::key(&bytes)
}

impl<T> Discord<T> {
    /// A receiver for the application's public key, as the developer portal shows it (64 hex
    /// digits).
    ///
    /// # Errors
    /// [`ConfigError`] when it is not 32 bytes of hex or not a valid Ed25519 key.
    pub fn new(public_key_hex: &str) -> Result<Self, ConfigError> {
        Ok(Self::with_state(
            Keys(Arc::new([read_key(public_key_hex)?])),
            Some(DEFAULT_TOLERANCE),
            (),
        ))
    }

    /// Also accepts interactions signed for the application whose public key is
    /// `public_key_hex`.
    ///
    /// # Errors
    /// As [`Discord::new`].
    pub fn with_key(mut self, public_key_hex: &str) -> Result<Self, ConfigError> {
        let mut keys = self.inner.scheme.0.to_vec();
        keys.push(read_key(public_key_hex)?);
        Arc::make_mut(&mut self.inner).scheme = Keys(keys.into());
        Ok(self)
    }
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "type")]
    kind: u64,
}

/// Discord's name for an interaction type.
fn kind_name(kind: u64) -> Cow<'static, str> {
    Cow::Borrowed(match kind {
        1 => "PING",
        2 => "APPLICATION_COMMAND",
        3 => "MESSAGE_COMPONENT",
        4 => "APPLICATION_COMMAND_AUTOCOMPLETE",
        5 => "MODAL_SUBMIT",
        other => return Cow::Owned(other.to_string()),
    })
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Discord<T> {
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
    /// [`Error::MalformedSignature`] (not 128 hex digits), [`Error::InvalidSignature`].
    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let settings = &self.inner.settings;
        let stamped = settings.stamped(headers, SIGNATURE_HEADER, TIMESTAMP_HEADER)?;
        let signature = stamped.signature;
        let mut bytes = [0u8; 64];
        if signature.len() != 128 {
            return Err(Error::MalformedSignature {
                reason: "not 64 bytes of hex",
            });
        }
        hex::decode_to_slice(signature, &mut bytes)
            .map_err(|_| Error::MalformedSignature { reason: "not hex" })?;
        // Ed25519 signs the whole message at once: the timestamp and the body, joined once.
        let message = [stamped.timestamp.as_bytes(), body].concat();
        if !ed25519::verifies(&self.inner.scheme.0, &message, &bytes) {
            return Err(Error::InvalidSignature);
        }
        Ok(preset::with_unix_timestamp(
            Verified::new(body),
            stamped.seconds,
        ))
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        static FIELDS: [Field; 2] = [Field::Top("id"), Field::Top("type")];
        let empty =
            || Error::UnexpectedPayload(crate::error::JsonError::custom("the id field is empty"));
        let (head, body) = preset::parse_with::<T, _, 2>(
            verified.payload(),
            FIELDS,
            |[id, kind]| match (id?, kind?) {
                (Scalar::Str(id), Scalar::U64(kind)) if !id.is_empty() => Some(Head { id, kind }),
                _ => None,
            },
            |payload| {
                let head: Head<'_> = crate::json::parse_json_object(payload)?;
                match head.id.is_empty() {
                    true => Err(empty()),
                    false => Ok(head),
                }
            },
        )?;
        Ok(Delivery::new(
            MessageId::new(NAME, &head.id),
            Event::new(kind_name(head.kind), body),
            verified.timestamp(),
        ))
    }
}
