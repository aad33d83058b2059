//! [Slack](https://docs.slack.dev/authentication/verifying-requests-from-slack/): Events API
//! deliveries, slash commands and interactivity, signed with the app's signing secret.
//!
//! **What is signed.** `X-Slack-Signature: v0=<hex>`, the lower-case hex HMAC-SHA256 of
//! `v0:{X-Slack-Request-Timestamp}:{raw body}` keyed with the signing secret (its text as
//! bytes). The raw bytes count: a form body re-encoded with `%20` for `+` no longer verifies.
//! Upper-case hex and other version prefixes are refused, as by `slack_sdk`.
//!
//! **Window: 300 s, both ways (a documented choice).** `slack_sdk` (Python) refuses a
//! timestamp more than 5 minutes from now in either direction; Bolt (Node) refuses only stale
//! ones and accepts any future timestamp. The crate follows `slack_sdk` and Slack's guide:
//! [`DEFAULT_TOLERANCE`] either way, edges included, configurable with [`Slack::tolerance`].
//!
//! **Three kinds of body, one representation.** Verification is always over the raw bytes;
//! only then is the body read:
//!
//! | body | [`Event::kind`] | [`Event::body`] (`T`) is read from | message id |
//! |---|---|---|---|
//! | Events API JSON, `type: event_callback` | `event.type` (`app_mention`, `message`, ...) | the whole JSON body | `event_id` (required) |
//! | other Events API JSON (`url_verification`, `app_rate_limited`) | the outer `type` | the whole JSON body | `event_id` if present, else the body digest |
//! | form with `payload=` (interactivity) | the payload's `type` (`block_actions`, `view_submission`, ...) | the `payload` JSON | body digest |
//! | form with `command=` (slash command) | the command as typed (`/weather`) | the form's fields as a JSON object of strings | body digest |
//! | any other form | empty | the form's fields as a JSON object of strings | body digest |
//!
//! A body starting with `{` is JSON; anything else is read as
//! `application/x-www-form-urlencoded`. Slack sends no id for slash commands and interactions
//! (`trigger_id` is per interaction and absent from some payloads), and does not retry them, so
//! their id is `sha256:` + the digest of the verified body: a byte-identical resend is a
//! duplicate. The `X-Slack-Retry-Num` header of an Events API retry is not needed: the retry
//! keeps its `event_id`.
//!
//! **The `url_verification` handshake** is verified and parsed like any event, with kind
//! `url_verification`: for now your handler must answer it, with the body's `challenge`.
//!
//! **Rotation.** Slack has one signing secret per app; to rotate, put the new secret beside the
//! old in the [`Keyring`] until Slack signs with the new one.
//!
//! **What breaks verification.** A framework that parses a form or JSON body and hands on a
//! re-encoded copy; a proxy that rewrites the body; a clock more than 5 minutes off.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::slack::Slack;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{Provider, Secret};
//!
//! let slack: Slack = Slack::new(Secret::new("8f742231b10e8888abcd99yyyzzz85a5").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let body = br#"{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}"#;
//! let request = slack.sign(body);
//! let delivery = slack.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!((delivery.id.key(), delivery.event.kind.as_str()), ("slack:Ev1", "app_mention"));
//!
//! let command = slack.sign(b"command=%2Fweather&text=94070");
//! let delivery = slack.verify_and_parse(command.headers(), command.body()).unwrap();
//! assert_eq!(delivery.event.kind, "/weather");
//! assert_eq!(delivery.event.body.get(), r#"{"command":"/weather","text":"94070"}"#);
//! # }
//! ```

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::pick::{self, Field};
use super::preset::{self, preset};
use super::{Event, RawJson};
use crate::error::JsonError;
use crate::verify::HmacScheme;
use crate::{Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Slack message ids.
pub const NAME: &str = "slack";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-slack-signature";

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";

/// The default window: 300 s either side of now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

preset! {
    /// Receives Slack requests; the body is parsed into `T` (default [`RawJson`]) as the module
    /// docs' table says. Build once, clone freely.
    pub struct Slack(HmacScheme) [window, scheme];
}

impl<T> Slack<T> {
    /// A receiver for the app's signing secret(s).
    #[must_use]
    pub fn new(secrets: impl Into<Keyring>) -> Self {
        Self::with_state(
            HmacScheme::in_body(secrets).prefix("v0="),
            Some(DEFAULT_TOLERANCE),
            (),
        )
    }
}

/// What the crate reads of an Events API body.
#[derive(Deserialize)]
struct Outer<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event: Option<Inner<'a>>,
}

#[derive(Deserialize)]
struct Inner<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Interaction<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
}

/// [`Outer`]'s fields, read in the same pass as the body.
static OUTER: [Field; 3] = [
    Field::Top("type"),
    Field::Top("event_id"),
    Field::In("event", "type"),
];

/// [`Interaction`]'s field, read in the same pass as the payload.
static INTERACTION: [Field; 1] = [Field::Top("type")];

fn unexpected(message: &'static str) -> Error {
    Error::UnexpectedPayload(JsonError::custom(message))
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Slack<T> {
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
        let payload = verified.payload();
        let digest = || MessageId::digest(NAME, payload);
        let first = payload.iter().find(|b| !b.is_ascii_whitespace());
        let (id, kind, body) = if first == Some(&b'{') {
            let (outer, body) = preset::parse_with::<T, _, 3>(
                payload,
                OUTER,
                |[kind, event_id, event_kind]| {
                    Some(Outer {
                        kind: pick::optional_str(kind)?,
                        event_id: pick::optional_str(event_id)?,
                        event: Some(Inner {
                            kind: pick::optional_str(event_kind)?,
                        }),
                    })
                },
                crate::json::parse_json::<Outer<'_>>,
            )?;
            let (id, kind) = match outer.kind.as_deref() {
                Some("event_callback") => {
                    let id = outer
                        .event_id
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| unexpected("event_callback without event_id"))?;
                    let kind = outer
                        .event
                        .and_then(|event| event.kind)
                        .ok_or_else(|| unexpected("event_callback without event.type"))?;
                    (MessageId::new(NAME, &id), kind.into_owned())
                }
                Some(kind) => {
                    let id = match outer.event_id.as_deref() {
                        Some(id) if !id.is_empty() => MessageId::new(NAME, id),
                        _ => digest(),
                    };
                    (id, kind.to_owned())
                }
                None => return Err(unexpected("missing field `type`")),
            };
            (id, kind, body)
        } else {
            let fields = form_fields(payload)?;
            if let Some(json) = fields.get("payload").and_then(serde_json::Value::as_str) {
                let (interaction, body) = preset::parse_with::<T, _, 1>(
                    json.as_bytes(),
                    INTERACTION,
                    |[kind]| {
                        Some(Interaction {
                            kind: kind?.into_str()?,
                        })
                    },
                    crate::json::parse_json::<Interaction<'_>>,
                )?;
                (digest(), interaction.kind.into_owned(), body)
            } else {
                let kind = fields
                    .get("command")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let json = serde_json::Value::Object(fields).to_string();
                (digest(), kind, crate::json::parse_json(json.as_bytes())?)
            }
        };
        Ok(Delivery::new(
            id,
            Event::new(kind, body),
            verified.timestamp(),
        ))
    }
}

/// The fields of an `application/x-www-form-urlencoded` body, decoded (`+` is a space,
/// `%XX` a byte), as a JSON object of strings; a repeated name keeps its first value.
fn form_fields(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let mut fields = serde_json::Map::new();
    let params = super::form::checked(body)
        .map_err(|message| Error::MalformedPayload(JsonError::custom(message)))?;
    for (name, value) in params {
        fields
            .entry(name)
            .or_insert_with(|| serde_json::Value::String(value.into_owned()));
    }
    Ok(fields)
}
