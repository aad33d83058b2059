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

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::{Date, OffsetDateTime};

use crate::clock::{Clock, SystemClock, check_tolerance};
use crate::verify::SignatureEncoding;
use crate::verify::hmac::{MacKeys, decode_mac};
use crate::wire::wire_enum;
use crate::{DEFAULT_BODY_LIMIT, Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

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
    Hmac {
        keys: MacKeys,
        encoding: SignatureEncoding,
    },
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
            signing: Signing::Hmac {
                keys: MacKeys::new(&keys.into()),
                encoding: SignatureEncoding::HexOrBase64,
            },
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
        if let Signing::Hmac { encoding: e, .. } = &mut self.signing {
            *e = encoding;
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

    /// The body a genuine sender would post for `payload` (the JSON text of the `payload`
    /// object): the envelope with `payload`, `signature` (HMAC with the primary key, hex unless
    /// the encoding is fixed to base64) and `payloadAsString`.
    ///
    /// A public-key receiver holds no private key, so its envelope carries an empty signature
    /// that will not verify: sign with `testing::receeve::KeySigner` instead.
    #[must_use]
    pub fn signed_body(&self, payload: &str) -> Vec<u8> {
        let signature = match &self.signing {
            Signing::Hmac { keys, encoding } => {
                let mac = keys.sign(&[payload.as_bytes()]);
                match encoding {
                    SignatureEncoding::Base64 => {
                        use base64::Engine as _;
                        base64::engine::general_purpose::STANDARD.encode(mac)
                    }
                    _ => hex::encode(mac),
                }
            }
            #[cfg(feature = "public-key")]
            Signing::PublicKey(_) => String::new(),
        };
        envelope(payload, &signature)
    }

    fn check_signature(&self, signed: &[u8], signature: &str) -> Result<(), Error> {
        match &self.signing {
            Signing::Hmac { keys, encoding } => {
                let mac = decode_mac(signature.trim(), *encoding)?;
                if keys.verify(&[signed], &mac) {
                    Ok(())
                } else {
                    Err(Error::InvalidSignature)
                }
            }
            #[cfg(feature = "public-key")]
            Signing::PublicKey(scheme) => scheme.verify_signature(signed, signature),
        }
    }
}

/// The envelope receeve posts for `payload` with `signature`. `payload` must be JSON text; where
/// it is not, the body carries only `payloadAsString` (which verification then rejects as not
/// JSON after the signature).
pub(crate) fn envelope(payload: &str, signature: &str) -> Vec<u8> {
    let quoted = serde_json::Value::String(payload.to_owned()).to_string();
    let object = serde_json::from_str::<&RawValue>(payload)
        .map(RawValue::get)
        .unwrap_or("null");
    let signature = serde_json::Value::String(signature.to_owned()).to_string();
    format!(r#"{{"payload":{object},"signature":{signature},"payloadAsString":{quoted}}}"#)
        .into_bytes()
}

impl fmt::Debug for Receeve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("Receeve");
        match &self.signing {
            Signing::Hmac { keys, encoding } => {
                f.field("hmac_keys", &keys.len())
                    .field("encoding", encoding);
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

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "borrowed_text")]
    signature: Option<Cow<'a, str>>,
    #[serde(
        rename = "payloadAsString",
        borrow,
        default,
        deserialize_with = "borrowed_text"
    )]
    payload_as_string: Option<Cow<'a, str>>,
}

/// An optional string borrowed from the body where it has no escapes (serde's own `Cow`
/// support does not borrow through `Option`), so that verification copies only what it must.
fn borrowed_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Text;
    impl<'de> serde::de::Visitor<'de> for Text {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    d.deserialize_option(Text)
}

impl<'a> Envelope<'a> {
    fn read(body: &'a [u8]) -> Result<Self, Error> {
        crate::parse_json(body)
    }

    fn signed(&self) -> Result<&str, Error> {
        self.payload_as_string
            .as_deref()
            .ok_or(Error::MissingSignedPayload {
                field: "payloadAsString",
            })
    }

    /// The unsigned `payload` object must say what the signed text says: byte for byte (the
    /// usual case, no parsing needed), or as equal JSON values.
    fn check_payload_agrees(&self, signed: &str) -> Result<(), Error> {
        let Some(object) = self.payload else {
            return Ok(());
        };
        // White space around a JSON text is not part of its value (`RawValue` drops it).
        if object.get() == signed.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
            return Ok(());
        }
        let signed: serde_json::Value = crate::parse_json(signed.as_bytes())?;
        let object: serde_json::Value = crate::parse_json(object.get().as_bytes())?;
        if signed == object {
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
            let stamp: Stamp = crate::parse_json(signed.as_bytes())?;
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
    ) -> Result<Verified<'a>, Error> {
        Ok(Verified::new(Envelope::read(body)?.into_signed()?))
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
pub fn parse_message(signed: &[u8]) -> Result<Message, Error> {
    crate::parse_json(signed)
}

/// The signed content of a receeve delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// The event's id in receeve's platform, and the deduplication key.
    #[serde(rename = "messageId")]
    pub message_id: String,
    /// When the event reached receeve's message bus (kept on retries).
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// Who triggered the event, where known (the client API, a debtor on the landing page, a
    /// back-office agent); absent for events of the system itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// The event.
    pub details: Details,
}

/// Who triggered a receeve event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user id.
    #[serde(default)]
    pub id: Option<String>,
    /// The user pool.
    #[serde(rename = "poolId", default)]
    pub pool_id: Option<String>,
    /// The source, such as `ClientAPI`.
    #[serde(default)]
    pub originator: Option<String>,
}

/// The `details` of a receeve message: typed where receeve publishes the fields, raw otherwise.
///
/// Typed variants are used for version 1 (or unversioned) message types; a later version of a
/// known type, whose fields may differ, arrives as [`Details::Other`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Details {
    /// `event.claim.created`.
    ClaimCreated(ClaimCreated),
    /// `event.claimDebtPayment.processing`.
    ClaimDebtPaymentProcessing(ClaimDebtPaymentProcessing),
    /// `event.accountAmountTotalFees.updated`.
    AccountAmountTotalFeesUpdated(AccountAmountTotalFeesUpdated),
    /// Any other message type, with all of its fields.
    Other(OtherDetails),
}

/// Reads `details` in one pass when `messageType` comes first (as receeve sends it): the type
/// is read, then the rest of the object goes straight into the typed struct. Otherwise the
/// object is collected first and then dispatched on its `messageType`. Either way a second
/// `messageType` is an error, not a value to pick from.
impl<'de> Deserialize<'de> for Details {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Details;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a receeve details object with a messageType")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Details, A::Error> {
                use serde::de::Error as _;
                use serde::de::value::MapAccessDeserializer;
                let Some(first) = map.next_key::<String>()? else {
                    return Err(A::Error::missing_field("messageType"));
                };
                if first == "messageType" {
                    let message_type: MessageType = map.next_value()?;
                    return Details::typed(message_type, MapAccessDeserializer::new(map));
                }
                let mut fields = serde_json::Map::new();
                fields.insert(first, map.next_value()?);
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value()?;
                    if fields.insert(key, value).is_some() {
                        return Err(A::Error::custom("duplicate field in details"));
                    }
                }
                let message_type = match fields.remove("messageType") {
                    Some(serde_json::Value::String(wire)) => MessageType::from_wire(&wire),
                    Some(_) => return Err(A::Error::custom("messageType is not a string")),
                    None => return Err(A::Error::missing_field("messageType")),
                };
                Details::typed(message_type, serde_json::Value::Object(fields))
                    .map_err(A::Error::custom)
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// The details of a message type without published fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OtherDetails {
    /// The message type as sent.
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    /// Every other field of `details`.
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Details {
    /// The typed details for `message_type`, read from the rest of the `details` object.
    fn typed<'de, D: serde::Deserializer<'de>>(
        message_type: MessageType,
        rest: D,
    ) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let duplicate = || D::Error::duplicate_field("messageType");
        let typed = matches!(message_type.version(), None | Some(1));
        Ok(match message_type.kind() {
            MessageKind::ClaimCreated if typed => {
                let mut d = ClaimCreated::deserialize(rest)?;
                if d.message_type.set_once(message_type) {
                    return Err(duplicate());
                }
                Details::ClaimCreated(d)
            }
            MessageKind::ClaimDebtPaymentProcessing if typed => {
                let mut d = ClaimDebtPaymentProcessing::deserialize(rest)?;
                if d.message_type.set_once(message_type) {
                    return Err(duplicate());
                }
                Details::ClaimDebtPaymentProcessing(d)
            }
            MessageKind::AccountAmountTotalFeesUpdated if typed => {
                let mut d = AccountAmountTotalFeesUpdated::deserialize(rest)?;
                if d.message_type.set_once(message_type) {
                    return Err(duplicate());
                }
                Details::AccountAmountTotalFeesUpdated(d)
            }
            _ => {
                let fields = serde_json::Map::deserialize(rest)?;
                if fields.contains_key("messageType") {
                    return Err(duplicate());
                }
                Details::Other(OtherDetails {
                    message_type,
                    fields,
                })
            }
        })
    }

    /// The message type as sent.
    #[must_use]
    pub fn message_type(&self) -> &MessageType {
        match self {
            Details::ClaimCreated(d) => &d.message_type,
            Details::ClaimDebtPaymentProcessing(d) => &d.message_type,
            Details::AccountAmountTotalFeesUpdated(d) => &d.message_type,
            Details::Other(d) => &d.message_type,
        }
    }
}

/// `event.claim.created`: a claim was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClaimCreated {
    /// The message type as sent.
    #[serde(rename = "messageType", default)]
    pub message_type: MessageType,
    /// Your reference of the claim.
    #[serde(rename = "claimRef")]
    pub claim_ref: String,
    /// receeve's reference of the claim.
    #[serde(rename = "receeveClaimRef", default)]
    pub receeve_claim_ref: Option<String>,
    /// The amount in minor units (cents).
    pub amount: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When the claim is due.
    #[serde(rename = "dueDate", default, with = "iso_date")]
    pub due_date: Option<Date>,
    /// The account the claim belongs to.
    #[serde(rename = "accountReference", default)]
    pub account_reference: Option<String>,
}

/// `event.claimDebtPayment.processing`: a payment was accepted and is being processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClaimDebtPaymentProcessing {
    /// The message type as sent.
    #[serde(rename = "messageType", default)]
    pub message_type: MessageType,
    /// Your reference of the claim.
    #[serde(rename = "claimRef")]
    pub claim_ref: String,
    /// receeve's reference of the claim.
    #[serde(rename = "receeveClaimRef", default)]
    pub receeve_claim_ref: Option<String>,
    /// The amount in minor units (cents).
    pub amount: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When the claim is due.
    #[serde(rename = "dueDate", default, with = "iso_date")]
    pub due_date: Option<Date>,
    /// The account the claim belongs to.
    #[serde(rename = "accountReference", default)]
    pub account_reference: Option<String>,
    /// The payment provider.
    #[serde(rename = "providerName")]
    pub provider_name: String,
    /// The payment provider's tracking id.
    #[serde(rename = "trackingId")]
    pub tracking_id: String,
    /// The payment's reference.
    #[serde(rename = "paymentReference", default)]
    pub payment_reference: Option<String>,
}

/// `event.accountAmountTotalFees.updated`: an account's total amount and fees changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountAmountTotalFeesUpdated {
    /// The message type as sent.
    #[serde(rename = "messageType", default)]
    pub message_type: MessageType,
    /// The account.
    #[serde(rename = "accountReference")]
    pub account_reference: String,
    /// The amount in minor units.
    pub amount: i64,
    /// The total fees in minor units.
    #[serde(rename = "totalFees")]
    pub total_fees: i64,
    /// Amount plus fees in minor units.
    #[serde(rename = "totalAmount")]
    pub total_amount: i64,
}

/// `YYYY-MM-DD` dates.
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::{Date, Month};

    pub(super) fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => s.serialize_str(&format!(
                "{:04}-{:02}-{:02}",
                d.year(),
                u8::from(d.month()),
                d.day()
            )),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let Some(text) = Option::<std::borrow::Cow<'de, str>>::deserialize(d)? else {
            return Ok(None);
        };
        parse(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a YYYY-MM-DD date")))
    }

    fn parse(text: &str) -> Option<Date> {
        let mut parts = text.splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = Month::try_from(parts.next()?.parse::<u8>().ok()?).ok()?;
        let day = parts.next()?.parse().ok()?;
        Date::from_calendar_date(year, month, day).ok()
    }
}

/// A receeve `messageType`: a catalogued [`MessageKind`] (or an unknown one) and the version
/// suffix (`.v1`) when the wire string has one. Round-trips the wire string exactly.
///
/// ```
/// use webhook_receiver::providers::receeve::{MessageKind, MessageType};
/// let t = MessageType::from_wire("event.claim.created.v1");
/// assert_eq!(t.kind(), &MessageKind::ClaimCreated);
/// assert_eq!(t.version(), Some(1));
/// assert_eq!(t.to_string(), "event.claim.created.v1");
/// assert_eq!(MessageType::from_wire("event.claim.created").version(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageType {
    kind: MessageKind,
    version: Option<u32>,
}

/// The empty type, which the `details` reader replaces with the one sent.
impl Default for MessageType {
    fn default() -> Self {
        Self {
            kind: MessageKind::Other(String::new()),
            version: None,
        }
    }
}

impl MessageType {
    /// Replaces an empty (default) type with `read`; `true` when it was not empty, i.e. the
    /// object named its type twice.
    fn set_once(&mut self, read: MessageType) -> bool {
        let was_set = *self != MessageType::default();
        *self = read;
        was_set
    }

    /// Reads a wire string.
    #[must_use]
    pub fn from_wire(wire: &str) -> Self {
        if let Some((base, version)) = split_version(wire) {
            return Self {
                kind: MessageKind::from_wire(base),
                version: Some(version),
            };
        }
        Self {
            kind: MessageKind::from_wire(wire),
            version: None,
        }
    }

    /// A message type from its parts.
    #[must_use]
    pub fn new(kind: MessageKind, version: Option<u32>) -> Self {
        Self { kind, version }
    }

    /// What happened.
    #[must_use]
    pub fn kind(&self) -> &MessageKind {
        &self.kind
    }

    /// The schema version, where the wire string ends in `.v<N>`.
    #[must_use]
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The exact wire string.
    #[must_use]
    pub fn to_wire(&self) -> Cow<'_, str> {
        match self.version {
            None => Cow::Borrowed(self.kind.as_str()),
            Some(v) => Cow::Owned(format!("{}.v{v}", self.kind.as_str())),
        }
    }
}

/// `name.v<N>` with a canonical decimal `N` (no leading zeros, fits `u32`): otherwise the
/// suffix is part of the name, so that every string round-trips.
fn split_version(wire: &str) -> Option<(&str, u32)> {
    let (base, digits) = wire.rsplit_once(".v")?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !canonical {
        return None;
    }
    Some((base, digits.parse().ok()?))
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if let Some(v) = self.version {
            write!(f, ".v{v}")?;
        }
        Ok(())
    }
}

impl Serialize for MessageType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for MessageType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MessageType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a receeve messageType string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MessageType, E> {
                Ok(MessageType::from_wire(v))
            }
        }
        d.deserialize_str(Visitor)
    }
}

impl MessageKind {
    /// The catalogue group (`Account`, `Claim`, `CommunicationEmail`, ...), for known kinds.
    #[must_use]
    pub fn group(&self) -> Option<&'static str> {
        match self {
            MessageKind::AccountAmountTotalFeesUpdated => Some("Account"),
            MessageKind::AccountDebtorUpdated => Some("Account"),
            MessageKind::AccountDebtorUpdateFailed => Some("Account"),
            MessageKind::AccountInvoiceLedgerEntriesDueDateUpdateFailed => Some("Account"),
            MessageKind::AccountLedgerEntriesAdded => Some("Account"),
            MessageKind::AccountLedgerEntriesAddingFailed => Some("Account"),
            MessageKind::AccountMetaSet => Some("Account"),
            MessageKind::AccountMetaSetFailed => Some("Account"),
            MessageKind::WebhookAccountMetaChanged => Some("Account"),
            MessageKind::ClaimCreated => Some("Claim"),
            MessageKind::ClaimResolved => Some("Claim"),
            MessageKind::ClaimDebtPaymentProcessing => Some("Claim"),
            MessageKind::ClaimDebtPaymentSettled => Some("Claim"),
            MessageKind::MultiClaimDebtPaymentSettled => Some("Claim"),
            MessageKind::MultiClaimDebtPaymentProcessing => Some("Claim"),
            MessageKind::MultiClaimDebtPaymentCanceled => Some("Claim"),
            MessageKind::MultiClaimDebtPaymentDeclined => Some("Claim"),
            MessageKind::MultiClaimDebtPaymentDisputed => Some("Claim"),
            MessageKind::ClaimMetaUpdated => Some("Claim"),
            MessageKind::CustomClaimTriggerExecuted => Some("Claim"),
            MessageKind::PartnerClaimExternalStatusChanged => Some("Claim"),
            MessageKind::ClaimTotalAmountUpdated => Some("Claim"),
            MessageKind::DebtorEmailDelivered => Some("CommunicationEmail"),
            MessageKind::DebtorEmailOpened => Some("CommunicationEmail"),
            MessageKind::DebtorEmailQueued => Some("CommunicationEmail"),
            MessageKind::DebtorEmailCommunicationResolutionReceived => Some("CommunicationEmail"),
            MessageKind::DebtorEmailDeliveryFailed => Some("CommunicationEmail"),
            MessageKind::DebtorEmailDeliveryInterrupted => Some("CommunicationEmail"),
            MessageKind::DebtorEmailProcessingFailed => Some("CommunicationEmail"),
            MessageKind::DebtorEmailUnsubscribeRequested => Some("CommunicationEmail"),
            MessageKind::DebtorSMSDelivered => Some("CommunicationSMS"),
            MessageKind::DebtorSMSQueued => Some("CommunicationSMS"),
            MessageKind::DebtorSMSCommunicationResolutionReceived => Some("CommunicationSMS"),
            MessageKind::DebtorSMSDeliveryFailed => Some("CommunicationSMS"),
            MessageKind::DebtorSMSDeliveryTemporaryFailed => Some("CommunicationSMS"),
            MessageKind::DebtorSMSProcessingFailed => Some("CommunicationSMS"),
            MessageKind::DebtorLetterGenerated => Some("CommunicationLetter"),
            MessageKind::DebtorLetterProcessingFailed => Some("CommunicationLetter"),
            MessageKind::InboundCallAnswered => Some("CommunicationCall"),
            MessageKind::InboundCallFinished => Some("CommunicationCall"),
            MessageKind::OutboundCallAnswered => Some("CommunicationCall"),
            MessageKind::OutboundCallFinished => Some("CommunicationCall"),
            MessageKind::DebtorCallCommunicationResolutionReceived => Some("CommunicationCall"),
            MessageKind::DebtorMessageCommunicationResolutionReceived => Some("CommunicationCall"),
            MessageKind::PromiseToPayCreated => Some("FinancePromiseToPay"),
            MessageKind::PromiseToPayExpired => Some("FinancePromiseToPay"),
            MessageKind::PromiseToPayInvalidated => Some("FinancePromiseToPay"),
            MessageKind::PromiseToPayResolved => Some("FinancePromiseToPay"),
            MessageKind::InstalmentPlanCreated => Some("FinanceInstalmentPlan"),
            MessageKind::InstalmentPlanCancelled => Some("FinanceInstalmentPlan"),
            MessageKind::InstalmentPlanDeleted => Some("FinanceInstalmentPlan"),
            MessageKind::InstalmentPlanDisabled => Some("FinanceInstalmentPlan"),
            MessageKind::InstalmentPlanEnabled => Some("FinanceInstalmentPlan"),
            MessageKind::InstalmentPlanInvalidated => Some("FinanceInstalmentPlan"),
            MessageKind::InstalmentPlanResolved => Some("FinanceInstalmentPlan"),
            MessageKind::InstalmentPlanUpdated => Some("FinanceInstalmentPlan"),
            MessageKind::LandingPageFullContentGenerated => Some("LandingPage"),
            MessageKind::LandingPageGetVerificationFieldsFailed => Some("LandingPage"),
            MessageKind::LandingPageInstalmentConfirmed => Some("LandingPage"),
            MessageKind::LandingPageInstalmentSelected => Some("LandingPage"),
            MessageKind::LandingPageLanguageChanged => Some("LandingPage"),
            MessageKind::LandingPagePayLaterCanceled => Some("LandingPage"),
            MessageKind::LandingPagePayLaterSelected => Some("LandingPage"),
            MessageKind::LandingPagePaymentFailed => Some("LandingPage"),
            MessageKind::LandingPagePaymentInterrupted => Some("LandingPage"),
            MessageKind::LandingPagePaymentSucceeded => Some("LandingPage"),
            MessageKind::LandingPagePaymentInitFailed => Some("LandingPage"),
            MessageKind::LandingPagePaymentInitSucceeded => Some("LandingPage"),
            MessageKind::LandingPageVerificationSucceeded => Some("LandingPage"),
            MessageKind::NoteCreated => Some("BackofficeDiary"),
            MessageKind::NoteDeleted => Some("BackofficeDiary"),
            MessageKind::StrategyAssigned => Some("Strategy"),
            MessageKind::StrategyFinished => Some("Strategy"),
            MessageKind::StrategyPaused => Some("Strategy"),
            MessageKind::StrategyResumed => Some("Strategy"),
            MessageKind::StrategyStopped => Some("Strategy"),
            MessageKind::Other(_) => None,
        }
    }
}

wire_enum! {
    /// What a receeve message reports: the 76 catalogued message types (without their version
    /// suffix), and any other kept as sent.
    pub enum MessageKind {
        /// Account total amount and fees were updated (Account).
        AccountAmountTotalFeesUpdated = "event.accountAmountTotalFees.updated",
        /// Account debtor information was updated (Account).
        AccountDebtorUpdated = "event.accountDebtor.updated",
        /// Error occurred while updating debtor details (Account).
        AccountDebtorUpdateFailed = "event.accountDebtorUpdate.failed",
        /// Error updating ledger entry due dates (Account).
        AccountInvoiceLedgerEntriesDueDateUpdateFailed = "event.accountInvoiceLedgerEntriesDueDateUpdate.failed",
        /// New ledger entries were added to account (Account).
        AccountLedgerEntriesAdded = "event.accountLedgerEntries.added",
        /// Error occurred adding ledger entries (Account).
        AccountLedgerEntriesAddingFailed = "event.accountLedgerEntriesAdding.failed",
        /// Account metadata fields were updated (Account).
        AccountMetaSet = "event.accountMeta.set",
        /// Error occurred updating account metadata (Account).
        AccountMetaSetFailed = "event.accountMetaSet.failed",
        /// Change detected in account meta field (Account).
        WebhookAccountMetaChanged = "webhook.accountMeta.changed",
        /// Claim was created (Claim).
        ClaimCreated = "event.claim.created",
        /// Claim was resolved (Claim).
        ClaimResolved = "event.claim.resolved",
        /// Payment accepted and being processed (Claim).
        ClaimDebtPaymentProcessing = "event.claimDebtPayment.processing",
        /// Payment provider confirmed settlement (Claim).
        ClaimDebtPaymentSettled = "event.claimDebtPayment.settled",
        /// Multiple claims settled via single payment (Claim).
        MultiClaimDebtPaymentSettled = "event.multiClaimDebtPayment.settled",
        /// Multiple claims payment processing (Claim).
        MultiClaimDebtPaymentProcessing = "event.multiClaimDebtPayment.processing",
        /// Multiple claims payment canceled (Claim).
        MultiClaimDebtPaymentCanceled = "event.multiClaimDebtPayment.canceled",
        /// Multiple claims payment declined (Claim).
        MultiClaimDebtPaymentDeclined = "event.multiClaimDebtPayment.declined",
        /// Multiple claims payment disputed (Claim).
        MultiClaimDebtPaymentDisputed = "event.multiClaimDebtPayment.disputed",
        /// Claim metadata was updated (Claim).
        ClaimMetaUpdated = "event.claimMeta.updated",
        /// Custom trigger executed via ClientAPI (Claim).
        CustomClaimTriggerExecuted = "event.customClaimTrigger.executed",
        /// External system status changed (Claim).
        PartnerClaimExternalStatusChanged = "event.partnerClaimExternalStatus.changed",
        /// Claim amount was updated (Claim).
        ClaimTotalAmountUpdated = "event.claimTotalAmount.updated",
        /// Email received in debtor inbox (CommunicationEmail).
        DebtorEmailDelivered = "event.debtorEmail.delivered",
        /// Debtor opened email (CommunicationEmail).
        DebtorEmailOpened = "event.debtorEmail.opened",
        /// Email queued with provider (CommunicationEmail).
        DebtorEmailQueued = "event.debtorEmail.queued",
        /// Email resolution received (CommunicationEmail).
        DebtorEmailCommunicationResolutionReceived = "event.debtorEmailCommunicationResolution.received",
        /// Email delivery failed (CommunicationEmail).
        DebtorEmailDeliveryFailed = "event.debtorEmailDelivery.failed",
        /// Email delivery interrupted by provider error (CommunicationEmail).
        DebtorEmailDeliveryInterrupted = "event.debtorEmailDelivery.interrupted",
        /// Email processing failed (template issues) (CommunicationEmail).
        DebtorEmailProcessingFailed = "event.debtorEmailProcessing.failed",
        /// Debtor clicked unsubscribe link (CommunicationEmail).
        DebtorEmailUnsubscribeRequested = "event.debtorEmailUnsubscribe.requested",
        /// SMS delivered to debtor (CommunicationSMS).
        DebtorSMSDelivered = "event.debtorSMS.delivered",
        /// SMS queued with provider (CommunicationSMS).
        DebtorSMSQueued = "event.debtorSMS.queued",
        /// SMS resolution received (CommunicationSMS).
        DebtorSMSCommunicationResolutionReceived = "event.debtorSMSCommunicationResolution.received",
        /// SMS delivery failed (CommunicationSMS).
        DebtorSMSDeliveryFailed = "event.debtorSMSDelivery.failed",
        /// SMS temporary delivery failure (CommunicationSMS).
        DebtorSMSDeliveryTemporaryFailed = "event.debtorSMSDelivery.temporaryFailed",
        /// SMS processing failed (template issues) (CommunicationSMS).
        DebtorSMSProcessingFailed = "event.debtorSMSProcessing.failed",
        /// Letter generated successfully (CommunicationLetter).
        DebtorLetterGenerated = "event.debtorLetter.generated",
        /// Letter processing failed (CommunicationLetter).
        DebtorLetterProcessingFailed = "event.debtorLetterProcessing.failed",
        /// Debtor answered inbound call (CommunicationCall).
        InboundCallAnswered = "event.inboundCall.answered",
        /// Debtor finished inbound call (CommunicationCall).
        InboundCallFinished = "event.inboundCall.finished",
        /// Debtor answered outbound call (CommunicationCall).
        OutboundCallAnswered = "event.outboundCall.answered",
        /// Debtor finished outbound call (CommunicationCall).
        OutboundCallFinished = "event.outboundCall.finished",
        /// Call resolution received (CommunicationCall).
        DebtorCallCommunicationResolutionReceived = "event.debtorCallCommunicationResolution.received",
        /// Message resolution received (CommunicationCall).
        DebtorMessageCommunicationResolutionReceived = "event.debtorMessageCommunicationResolution.received",
        /// Promise to pay created (FinancePromiseToPay).
        PromiseToPayCreated = "event.promiseToPay.created",
        /// Promise to pay not paid by due date (FinancePromiseToPay).
        PromiseToPayExpired = "event.promiseToPay.expired",
        /// Promise to pay no longer needed (FinancePromiseToPay).
        PromiseToPayInvalidated = "event.promiseToPay.invalidated",
        /// Promise to pay successfully paid (FinancePromiseToPay).
        PromiseToPayResolved = "event.promiseToPay.resolved",
        /// Instalment plan created (FinanceInstalmentPlan).
        InstalmentPlanCreated = "event.instalmentPlan.created",
        /// Plan cancelled by agent/system (FinanceInstalmentPlan).
        InstalmentPlanCancelled = "event.instalmentPlan.cancelled",
        /// Plan deleted from system (FinanceInstalmentPlan).
        InstalmentPlanDeleted = "event.instalmentPlan.deleted",
        /// Plan processing suspended (FinanceInstalmentPlan).
        InstalmentPlanDisabled = "event.instalmentPlan.disabled",
        /// Plan active and ready (FinanceInstalmentPlan).
        InstalmentPlanEnabled = "event.instalmentPlan.enabled",
        /// Agreed amount not fully covered (FinanceInstalmentPlan).
        InstalmentPlanInvalidated = "event.instalmentPlan.invalidated",
        /// Plan completed successfully (FinanceInstalmentPlan).
        InstalmentPlanResolved = "event.instalmentPlan.resolved",
        /// Plan updated (payment/chargeback received) (FinanceInstalmentPlan).
        InstalmentPlanUpdated = "event.instalmentPlan.updated",
        /// Landing page generated without errors (LandingPage).
        LandingPageFullContentGenerated = "event.landingPageFullContent.generated",
        /// Verification failed (LandingPage).
        LandingPageGetVerificationFieldsFailed = "event.landingPageGetVerificationFields.failed",
        /// Debtor confirmed instalment plan (LandingPage).
        LandingPageInstalmentConfirmed = "event.landingPageInstalment.confirmed",
        /// Debtor selected instalment option (LandingPage).
        LandingPageInstalmentSelected = "event.landingPageInstalment.selected",
        /// Language preference changed (LandingPage).
        LandingPageLanguageChanged = "event.landingPageLanguage.changed",
        /// Debtor closed after selecting pay later (LandingPage).
        LandingPagePayLaterCanceled = "event.landingPagePayLater.canceled",
        /// Debtor selected pay later option (LandingPage).
        LandingPagePayLaterSelected = "event.landingPagePayLater.selected",
        /// Payment failed (no processing triggered) (LandingPage).
        LandingPagePaymentFailed = "event.landingPagePayment.failed",
        /// Debtor closed during payment (LandingPage).
        LandingPagePaymentInterrupted = "event.landingPagePayment.interrupted",
        /// Payment completed successfully (LandingPage).
        LandingPagePaymentSucceeded = "event.landingPagePayment.succeeded",
        /// Payment provider initialization failed (LandingPage).
        LandingPagePaymentInitFailed = "event.landingPagePaymentInit.failed",
        /// Payment provider initialized (LandingPage).
        LandingPagePaymentInitSucceeded = "event.landingPagePaymentInit.succeeded",
        /// Landing page verification passed (LandingPage).
        LandingPageVerificationSucceeded = "event.landingPageVerification.succeeded",
        /// Agent/user added note to claim (BackofficeDiary).
        NoteCreated = "event.note.created",
        /// Agent/user removed note from claim (BackofficeDiary).
        NoteDeleted = "event.note.deleted",
        /// Default strategy assigned to claim (Strategy).
        StrategyAssigned = "event.strategy.assigned",
        /// Claim ran out of strategy steps (Strategy).
        StrategyFinished = "event.strategy.finished",
        /// Strategy paused (resumable) (Strategy).
        StrategyPaused = "event.strategy.paused",
        /// Strategy resumed after pause (Strategy).
        StrategyResumed = "event.strategy.resumed",
        /// Strategy stopped (non-resumable) (Strategy).
        StrategyStopped = "event.strategy.stopped",
    }
}
