//! The senders the crate knows, one module each: events, and how a delivery is authenticated
//! and identified.
//!
//! | provider | authentication | message id |
//! |---|---|---|
//! | `discord` (feature `public-key`) | Ed25519 of `{X-Signature-Timestamp}{body}`, hex public key, 300 s window | body `id` |
//! | [`github`] | `X-Hub-Signature-256: sha256=` hex HMAC-SHA256 of the body | `X-GitHub-Delivery` (kind: `X-GitHub-Event`) |
//! | [`intercom`] | `X-Hub-Signature: sha1=` hex HMAC-SHA1 of the body | body `id` (kind: body `topic`) |
//! | [`linear`] | `Linear-Signature`: hex HMAC-SHA256 of the body; body `webhookTimestamp` (ms) within 60 s | `Linear-Delivery` (kind: body `type`) |
//! | [`munity`] | a shared token or HMAC-SHA256, in a header you name | body digest |
//! | [`paddle`] | `Paddle-Signature`: `h1` HMAC-SHA256 of `{ts}:{body}` (several during a rotation), 30 s window | body `event_id` |
//! | [`palenca`] | HMAC-SHA256 of the body or a shared token, in a header you name | `data.webhook_id`, else body digest |
//! | [`receeve`] | HMAC-SHA256 of `payloadAsString` (hex or base64), or RSA/ECDSA P-256 (feature `public-key`) | `payload.messageId` |
//! | `sendgrid` (feature `public-key`) | ECDSA P-256 of `{timestamp}{body}`, base64 DER key and signature, no window by default | body digest (one batch of events) |
//! | [`shopify`] | `X-Shopify-Hmac-Sha256` (or `shopify-hmac-sha256`): base64 HMAC-SHA256 of the body | `X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id` (kind: `X-Shopify-Topic`) |
//! | [`slack`] | `X-Slack-Signature`: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`, 300 s window; JSON and form bodies | `event_id`, else body digest |
//! | [`square`] | `x-square-hmacsha256-signature`: base64 HMAC-SHA256 of the notification URL + body | body `event_id` (kind: body `type`) |
//! | [`standard`] | Standard Webhooks v1 (`webhook-*` or `svix-*` headers), replay window | `webhook-id` |
//! | [`stripe`] | `Stripe-Signature`: HMAC-SHA256 of `{t}.{body}` (`v1`, several during a rotation), 300 s window | body `id` |
//! | [`twilio`] | `X-Twilio-Signature`: base64 HMAC-SHA1 of the configured URL + sorted form parameters (JSON: URL with `bodySHA256`) | `I-Twilio-Idempotency-Token`, else body digest (kind: empty) |
//! | [`zoom`] | `x-zm-signature`: `v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}`, 300 s window | body digest |

pub use crate::json::RawJson;

/// An event of a sender that names its event type beside or inside a body whose shape is
/// yours: the type as the sender writes it, and the body parsed into `T` (by default
/// [`RawJson`], read on demand, so that nobody waits for typed models of every event).
///
/// ```
/// use webhook_receiver::providers::{Event, RawJson};
/// # fn show(event: Event<RawJson>) -> Result<(), webhook_receiver::Error> {
/// if event.kind == "push" {
///     let body: serde_json::Value = event.body.parse()?;
///     println!("{}", body["ref"]);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event<T = RawJson> {
    /// The event type as the sender names it (`push`, `checkout.session.completed`,
    /// `orders/create`); empty where the sender names none.
    pub kind: String,
    /// The body, parsed into `T`.
    pub body: T,
}

impl<T> Event<T> {
    /// An event from its parts.
    #[must_use]
    pub fn new(kind: impl Into<String>, body: T) -> Self {
        Self {
            kind: kind.into(),
            body,
        }
    }
}

#[cfg(feature = "public-key")]
#[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
pub mod discord;
pub mod github;
pub mod intercom;
pub mod linear;
pub mod munity;
pub mod paddle;
pub mod palenca;
pub mod receeve;
#[cfg(feature = "public-key")]
#[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
pub mod sendgrid;
pub mod shopify;
pub mod slack;
pub mod square;
pub mod standard;
pub mod stripe;
pub mod twilio;
pub mod zoom;

mod form;
mod pick;
mod preset;
mod read;
