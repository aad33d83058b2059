//! Framework adapters: axum 0.8 (feature `axum`) and actix-web 4 (feature `actix-web`).
//!
//! Everything but the translation to a framework is written once, here: reading the body
//! under the provider's limit and the [`BodyTimeout`], the extractor types, the one rejection
//! type ([`WebhookRejection`]), and the answer ([`WebhookResponse`](crate::WebhookResponse)).
//! The framework modules only say how to pull the body out of their request type, where the
//! receiver lives in their state, and how a [`WebhookResponse`](crate::WebhookResponse)
//! becomes their response; each names the extractors that carry its request type
//! (`Webhook<P>`, `InboxWebhook<P>`).
//!
//! Three extractors in each, all consuming the body (so each is the handler's last argument):
//!
//! - `Webhook<P>`: the whole pipeline of a [`Receiver`](crate::Receiver). Extraction reads
//!   the body; its `run` verifies, parses, claims the message id and runs your closure only
//!   for a delivery that must be processed, detached from the connection: a sender that hangs
//!   up does not cancel the handler or its completion. The
//!   [`Received`](crate::Received) it returns is the response: 200 processed or duplicate,
//!   409 with `Retry-After` while another request holds the id, 422 for one id with two
//!   bodies (with [`check_digest`](crate::ReceiverBuilder::check_digest)), 500 when your
//!   closure failed so the sender retries, 503 when the store is down, and the verification
//!   errors. The store is not in the type: moving from memory to PostgreSQL changes the
//!   line that builds the receiver, not the handlers.
//! - [`VerifiedWebhook<P>`](VerifiedWebhook): verification only; duplicates are yours to handle.
//! - `InboxWebhook<P>` (feature `inbox`): the receiving side of an
//!   [`Inbox`](crate::inbox::Inbox): verify, record, answer `200 accepted`.
//!
//! The body rules, the same under both frameworks:
//!
//! | the client | the answer |
//! |---|---|
//! | announces a body over [`Provider::body_limit`] (`Content-Length`) | 413 at once, nothing read |
//! | streams past the limit (`Transfer-Encoding: chunked`) | 413 as soon as the limit is crossed; at most one chunk past it is held |
//! | goes away, breaks the chunked encoding, sends fewer bytes than announced | 400 ([`Error::BodyUnreadable`]) |
//! | has not sent the whole body within the [`BodyTimeout`] (30 s unless set) | 408: the sender retries |
//!
//! The body is verified exactly as received: no `Content-Encoding` is undone. Every refusal is
//! a [`WebhookRejection`].

#[cfg(feature = "actix-web")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix-web")))]
pub mod actix;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod body;
#[cfg(feature = "axum")]
mod detach;
pub(crate) mod extract;
mod rejection;
#[cfg(feature = "axum")]
mod serve;

pub use self::body::BodyTimeout;
pub(crate) use self::body::{ChunkError, Chunks, read_body};
pub use self::extract::VerifiedWebhook;
pub use self::rejection::WebhookRejection;

use crate::observe::{DeliverySpan, Meters, Verdict};
use crate::{Delivery, Error, Headers, Provider};

/// A body that could not be read (too large, late, cut off): counted and logged as the
/// rejection of a delivery, in a `webhook.receive` span of its own.
pub(crate) fn unread(meters: &Meters, err: Error) -> Error {
    let span = DeliverySpan::receive(meters.provider());
    span.enter(|| meters.rejected(&err, &span));
    err
}

/// [`Provider::verify_and_parse`] for the [`VerifiedWebhook`] extractors,
/// in a `webhook.receive` span and counted (outcome `verified` or `rejected`).
pub(crate) fn verify<P: Provider, H: Headers + ?Sized>(
    provider: &P,
    meters: &Meters,
    headers: &H,
    body: &[u8],
) -> Result<Delivery<P::Event>, Error> {
    let span = DeliverySpan::receive(provider.name());
    span.enter(
        || match crate::receiver::verify_then_parse(provider, headers, body, &span) {
            Ok(delivery) => {
                meters.delivered(Verdict::Verified);
                span.finish(Verdict::Verified.label(), None, None);
                Ok(delivery)
            }
            Err(err) => {
                meters.rejected(&err, &span);
                Err(err)
            }
        },
    )
}
