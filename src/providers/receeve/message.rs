//! The signed content of a receeve delivery: the message envelope and its typed details.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{MessageKind, MessageType};

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
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::json::object::opt"
    )]
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
                // The first key borrowed: `messageType`, where receeve writes it, is compared
                // without a copy.
                let Some(first) = map.next_key_seed(crate::providers::pick::Text)? else {
                    return Err(A::Error::missing_field("messageType"));
                };
                if first == "messageType" {
                    let message_type: MessageType = map.next_value()?;
                    return Details::typed(message_type, MapAccessDeserializer::new(map));
                }
                let mut fields = serde_json::Map::new();
                fields.insert(first.into_owned(), map.next_value()?);
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
