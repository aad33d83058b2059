//! Munity: workspace integration events.
//!
//! Every Munity webhook is an envelope
//! `{"workspace_id", "customer_id", "event", "state", "payload"}` whose `payload` depends on
//! `event`; the eight documented events are typed in [`Event`], any other is kept with its raw
//! payload. Munity documents its format in Python-like notation without types, so ids are
//! read as strings whether they arrive as strings or numbers.
//!
//! **Authentication.** Munity documents no signature. Receivers authenticate it with a secret
//! they control: a [`TokenScheme`](crate::verify::TokenScheme) on a header you configure in
//! Munity (or check a secret path segment in your router), or an
//! [`HmacScheme`](crate::verify::HmacScheme) where your account signs.
//!
//! **Message id.** Munity sends none, so the id is the SHA-256 of the body: identical retries
//! share it.
//!
//! ```
//! use webhook_receiver::{Provider, Secret, verify::TokenScheme};
//! use webhook_receiver::providers::munity::{Event, Munity};
//!
//! let munity = Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken").unwrap()).unwrap());
//! let body = br#"{"workspace_id":"w1","customer_id":"c1","event":"webhook_test","state":"s","payload":{"test":true}}"#;
//! let delivery = munity.verify_and_parse(&[("X-Munity-Token", "t0ken")], body).unwrap();
//! assert_eq!(delivery.event.event, Event::WebhookTest { test: true });
//! ```

use crate::json::RawJson;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::json::lenient;
use crate::verify::Authentication;
use crate::{DEFAULT_BODY_LIMIT, Delivery, Error, Headers, MessageId, Provider, Verified};

/// The namespace of Munity message ids.
pub const NAME: &str = "munity";

/// Receives Munity webhooks. Build once at start-up; clone freely.
#[derive(Debug, Clone)]
pub struct Munity {
    auth: Authentication,
    body_limit: usize,
}

impl Munity {
    /// A receiver authenticating deliveries with `auth`: a
    /// [`TokenScheme`](crate::verify::TokenScheme) or an
    /// [`HmacScheme`](crate::verify::HmacScheme).
    #[must_use]
    pub fn new(auth: impl Into<Authentication>) -> Self {
        Self {
            auth: auth.into(),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Sets the largest accepted body in bytes (default 1 MiB).
    #[must_use]
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// How deliveries are authenticated.
    #[must_use]
    pub fn authentication(&self) -> &Authentication {
        &self.auth
    }
}

impl Provider for Munity {
    type Event = Webhook;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.body_limit
    }

    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        self.auth.verify(headers, body)
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Webhook>, Error> {
        let webhook = parse_webhook(verified.payload())?;
        Ok(Delivery::new(
            MessageId::digest(NAME, verified.payload()),
            webhook,
            None,
        ))
    }
}

/// Parses a Munity body.
///
/// # Errors
/// [`Error::MalformedPayload`] for invalid JSON, [`Error::UnexpectedPayload`] when the envelope
/// lacks `workspace_id` or `event`, or a documented event's payload lacks its fields.
pub(crate) fn parse_webhook(bytes: &[u8]) -> Result<Webhook, Error> {
    use serde::Deserializer as _;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let webhook = de
        .deserialize_map(WireVisitor)
        .and_then(|webhook| de.end().map(|()| webhook))
        .map_err(Error::from_json)?;
    Ok(webhook)
}

/// The envelope's keys, read without allocating.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    WorkspaceId,
    CustomerId,
    Event,
    State,
    Payload,
    #[serde(other)]
    Unknown,
}

/// A [`lenient::opt_string`] value as a type, for `next_value`.
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient::opt_string(d).map(Loose)
    }
}

/// Reads the envelope in one pass: Munity sends `event` before `payload`, so the payload is
/// parsed straight into its typed event. Should `payload` come first, it is kept as raw JSON
/// and parsed once the event name is known.
struct WireVisitor;

impl<'de> serde::de::Visitor<'de> for WireVisitor {
    type Value = Webhook;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a Munity webhook object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Webhook, A::Error> {
        use serde::de::Error as _;
        let parts = read_parts(map)?;
        Ok(Webhook {
            workspace_id: parts
                .workspace_id
                .ok_or_else(|| A::Error::missing_field("workspace_id"))?,
            customer_id: parts.customer_id,
            state: parts.state,
            event: parts.event,
        })
    }
}

/// What one pass over an envelope finds.
struct Parts {
    workspace_id: Option<String>,
    customer_id: Option<String>,
    state: Option<String>,
    event: Event,
}

/// Reads an envelope (or an event's `event` and `payload` alone) in one pass.
fn read_parts<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Parts, A::Error> {
    use serde::de::Error as _;
    let mut workspace_id = None;
    let mut customer_id = None;
    let mut state = None;
    let mut name: Option<String> = None;
    let mut event = None;
    let mut raw: Option<&'de RawValue> = None;
    let mut payload_seen = false;
    while let Some(key) = map.next_key::<Key>()? {
        match key {
            Key::WorkspaceId if workspace_id.is_none() => {
                workspace_id = Some(map.next_value::<Loose>()?.0);
            }
            Key::CustomerId if customer_id.is_none() => {
                customer_id = Some(map.next_value::<Loose>()?.0);
            }
            Key::State if state.is_none() => state = Some(map.next_value::<Loose>()?.0),
            Key::Event if name.is_none() => name = Some(map.next_value()?),
            Key::Payload if !payload_seen => {
                payload_seen = true;
                match &name {
                    Some(name) => event = Some(map.next_value_seed(EventSeed(name))?),
                    None => raw = Some(map.next_value()?),
                }
            }
            Key::Unknown => {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
            _ => return Err(A::Error::custom("duplicate field in the envelope")),
        }
    }
    let name = name.ok_or_else(|| A::Error::missing_field("event"))?;
    let event = match event {
        Some(event) => event,
        None => {
            use serde::de::DeserializeSeed as _;
            let payload = raw.map_or("null", RawValue::get);
            let mut de = serde_json::Deserializer::from_str(payload);
            EventSeed(&name)
                .deserialize(&mut de)
                .map_err(A::Error::custom)?
        }
    };
    Ok(Parts {
        workspace_id: workspace_id.flatten(),
        customer_id: customer_id.flatten(),
        state: state.flatten(),
        event,
    })
}

/// Reads `Webhook` as `parse_webhook` does (the derived reader would buffer the payload,
/// which raw JSON fields cannot be read from).
impl<'de> Deserialize<'de> for Webhook {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(WireVisitor)
    }
}

/// Reads `{"event": ..., "payload": ...}`, the form an `Event` serialises to.
impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> serde::de::Visitor<'de> for EventVisitor {
            type Value = Event;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Munity event object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Event, A::Error> {
                read_parts(map).map(|parts| parts.event)
            }
        }
        d.deserialize_map(EventVisitor)
    }
}

/// Deserialises a payload into the event `0` names.
struct EventSeed<'n>(&'n str);

impl<'de> serde::de::DeserializeSeed<'de> for EventSeed<'_> {
    type Value = Event;

    /// The documented payloads are objects: an array is refused rather than read field by
    /// field ([`MapOnly`]); an unknown event's payload is kept as any JSON.
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Event, D::Error> {
        use crate::json::object::MapOnly;
        Ok(match self.0 {
            "webhook_test" => {
                #[derive(Deserialize)]
                struct Test {
                    #[serde(default)]
                    test: bool,
                }
                let Test { test } = Test::deserialize(MapOnly(d))?;
                Event::WebhookTest { test }
            }
            "integration_new_data_model" => {
                Event::IntegrationNewDataModel(Deserialize::deserialize(MapOnly(d))?)
            }
            "integration_updated_data_model" => {
                Event::IntegrationUpdatedDataModel(Deserialize::deserialize(MapOnly(d))?)
            }
            "integration_deleted_data_model" => {
                Event::IntegrationDeletedDataModel(Deserialize::deserialize(MapOnly(d))?)
            }
            "integration_installed" => {
                Event::IntegrationInstalled(Deserialize::deserialize(MapOnly(d))?)
            }
            "integration_import_done" => {
                Event::IntegrationImportDone(Deserialize::deserialize(MapOnly(d))?)
            }
            "integration_cannot_refresh_oauth_token" => {
                Event::IntegrationCannotRefreshOauthToken(Deserialize::deserialize(MapOnly(d))?)
            }
            "integration_oauth_token_fixed" => {
                Event::IntegrationOauthTokenFixed(Deserialize::deserialize(MapOnly(d))?)
            }
            other => Event::Other {
                event: other.to_owned(),
                payload: Deserialize::deserialize(d)?,
            },
        })
    }
}

/// One Munity webhook: the envelope and its event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Webhook {
    /// Your workspace.
    pub workspace_id: String,
    /// The customer id you passed to Munity's connect function.
    pub customer_id: Option<String>,
    /// The integration state you passed to the connect function: tells which connection this
    /// is about.
    pub state: Option<String>,
    /// The event and its payload.
    #[serde(flatten)]
    pub event: Event,
}

/// A Munity event with its payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// `webhook_test`: sent when you test the webhook.
    WebhookTest {
        /// Always `true` in Munity's documentation.
        #[serde(default)]
        test: bool,
    },
    /// `integration_new_data_model`: a resource appeared in an integration.
    IntegrationNewDataModel(DataModel),
    /// `integration_updated_data_model`: a resource changed.
    IntegrationUpdatedDataModel(DataModelUpdate),
    /// `integration_deleted_data_model`: a resource was deleted.
    IntegrationDeletedDataModel(DataModel),
    /// `integration_installed`: an integration was installed.
    IntegrationInstalled(IntegrationInstalled),
    /// `integration_import_done`: an integration's import finished.
    IntegrationImportDone(IntegrationImportDone),
    /// `integration_cannot_refresh_oauth_token`: the OAuth token could not be refreshed.
    IntegrationCannotRefreshOauthToken(OauthTokenError),
    /// `integration_oauth_token_fixed`: the OAuth token works again.
    IntegrationOauthTokenFixed(IntegrationRef),
    /// An event Munity does not document (yet), with its raw payload.
    #[serde(untagged)]
    Other {
        /// The event name as sent.
        event: String,
        /// The payload as sent (`null` when absent).
        payload: RawJson,
    },
}

impl Event {
    /// The event name as sent.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Event::WebhookTest { .. } => "webhook_test",
            Event::IntegrationNewDataModel(_) => "integration_new_data_model",
            Event::IntegrationUpdatedDataModel(_) => "integration_updated_data_model",
            Event::IntegrationDeletedDataModel(_) => "integration_deleted_data_model",
            Event::IntegrationInstalled(_) => "integration_installed",
            Event::IntegrationImportDone(_) => "integration_import_done",
            Event::IntegrationCannotRefreshOauthToken(_) => {
                "integration_cannot_refresh_oauth_token"
            }
            Event::IntegrationOauthTokenFixed(_) => "integration_oauth_token_fixed",
            Event::Other { event, .. } => event,
        }
    }
}

/// A resource of an integration's data model (new or deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DataModel {
    /// The integration the resource comes from.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// The resource's id.
    #[serde(deserialize_with = "lenient::string")]
    pub resource_id: String,
    /// The kind of resource, per your data mapping.
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
}

/// An updated resource, with what changed and its full new data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DataModelUpdate {
    /// The integration the resource comes from.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// The resource's id.
    #[serde(deserialize_with = "lenient::string")]
    pub resource_id: String,
    /// The kind of resource, per your data mapping.
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
    /// The differences between the old and new model (any JSON).
    #[serde(default)]
    pub diff: RawJson,
    /// The full updated model (any JSON; can be large).
    #[serde(default)]
    pub data: RawJson,
}

/// An installed integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IntegrationInstalled {
    /// The integration.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// The connector type.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub connector_type: Option<String>,
    /// The integration's metadata (any JSON).
    #[serde(default)]
    pub metadata: RawJson,
    /// The state given when the integration was created.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub state: Option<String>,
}

/// An integration whose import finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IntegrationImportDone {
    /// The integration.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// The connector type.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub connector_type: Option<String>,
}

/// An integration whose OAuth token could not be refreshed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OauthTokenError {
    /// The integration.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// The error the refresh raised (usually a message).
    #[serde(default)]
    pub error: RawJson,
}

/// An integration, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IntegrationRef {
    /// The integration.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
}
