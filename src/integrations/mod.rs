//! Framework adapters: axum 0.8 (feature `axum`) and actix-web 4 (feature `actix-web`).
//!
//! Everything but the translation to a framework is written once, here: reading the body
//! under the provider's limit and the [`BodyTimeout`], the two extractor types, the one
//! rejection type, and the answer ([`WebhookResponse`](crate::WebhookResponse)). [`axum`] and [`actix`] only say how
//! to pull the body out of their request type, where the receiver lives in their state, and
//! how a [`WebhookResponse`](crate::WebhookResponse) becomes their response.
//!
//! Two extractors, both consuming the body (so each is the handler's last argument):
//!
//! - [`ProcessOnce`]: the whole pipeline of a [`Receiver`]. Extraction reads
//!   the body; its `run` (in [`axum`] and [`actix`]) verifies, parses, claims the message id
//!   and runs your closure only for a delivery that must be processed, in a task of its own:
//!   a sender that hangs up does not cancel the handler or its completion. The
//!   [`Received`] it returns is the response: 200 processed or duplicate,
//!   409 with `Retry-After` while another request holds the id, 422 for one id with two
//!   bodies (with [`check_digest`](crate::ReceiverBuilder::check_digest)), 500 when your
//!   closure failed so the sender retries, 503 when the store is down, and the verification
//!   errors.
//! - [`VerifiedWebhook`]: verification only; duplicates are yours to handle.
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
mod rejection;

use std::fmt;
use std::future::Future;

use bytes::Bytes;

pub use self::body::BodyTimeout;
pub(crate) use self::body::{ChunkError, Chunks, read_body};
pub use self::rejection::WebhookRejection;
use crate::idempotency::{IdempotencyStore, Lease};
use crate::observe::{DeliverySpan, Meters, Verdict};
use crate::{Delivery, Error, Headers, Provider, Received, Receiver};

/// A verified, parsed delivery; the provider comes from the framework's state (see
/// [`axum`] and [`actix`] for where).
///
/// No deduplication: a retried delivery reaches the handler again. Use [`ProcessOnce`] to
/// run the handler once per message id. Refusals are a [`WebhookRejection`]: take
/// `Result<VerifiedWebhook<P>, WebhookRejection>` to log them before answering.
pub struct VerifiedWebhook<P: Provider>(pub Delivery<P::Event>);

impl<P: Provider> VerifiedWebhook<P> {
    /// The delivery.
    #[must_use]
    pub fn into_inner(self) -> Delivery<P::Event> {
        self.0
    }
}

impl<P> fmt::Debug for VerifiedWebhook<P>
where
    P: Provider,
    P::Event: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VerifiedWebhook").field(&self.0).finish()
    }
}

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

/// A delivery on its way through a [`Receiver`]: the request's head (`R`, the framework's
/// own: axum's `http::request::Parts`, actix-web's `HttpRequest`) and its body, read under the
/// provider's limit. Its `run` (in [`axum`] and [`actix`]) verifies, parses, deduplicates and
/// runs your closure once per message id, detached from the connection.
///
/// Each framework module names it with its request head filled in
/// (`integrations::axum::ProcessOnce<P, St>`, `integrations::actix::ProcessOnce<P, St>`).
/// Extraction only reads the body; a body over the limit, late or unreadable is a
/// [`WebhookRejection`]. Everything else, verification included, is decided by `run`, whose
/// [`Received`] is the response.
pub struct ProcessOnce<P, St, R> {
    receiver: Receiver<P, St>,
    head: R,
    body: Bytes,
}

/// The head of a request as a framework hands it over (axum's `http::request::Parts`,
/// actix-web's `HttpRequest`): what a [`ProcessOnce`] keeps beside the body, so that no header
/// is copied. Implemented for each framework's type only.
pub trait RequestHead: sealed::Sealed {
    /// The framework's header map.
    type Headers: Headers;

    /// The request's headers.
    fn headers(&self) -> &Self::Headers;
}

mod sealed {
    /// Only the framework modules of this crate implement [`RequestHead`](super::RequestHead).
    pub trait Sealed {}
}

impl<P: Provider, St: IdempotencyStore, R: RequestHead> ProcessOnce<P, St, R> {
    /// A delivery read by an adapter.
    pub(crate) fn new(receiver: Receiver<P, St>, head: R, body: Bytes) -> Self {
        Self {
            receiver,
            head,
            body,
        }
    }

    /// The pipeline in the caller's task; each framework's `run` keeps it from being
    /// cancelled with the connection: axum's runs it in place and moves it to a task of its
    /// own if the request is dropped first, actix-web's spawns it on the worker's thread.
    pub(crate) async fn process<F, Fut, T, E>(self, handler: F) -> Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>, Lease) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.receiver
            .receive_with_lease(self.head.headers(), &self.body, handler)
            .await
    }

    /// The receiver the delivery goes through.
    #[must_use]
    pub fn receiver(&self) -> &Receiver<P, St> {
        &self.receiver
    }

    /// The request's head: method, URI, headers, and (axum) extensions.
    #[must_use]
    pub fn request(&self) -> &R {
        &self.head
    }

    /// The request's headers.
    #[must_use]
    pub fn headers(&self) -> &R::Headers {
        self.head.headers()
    }

    /// The raw body, exactly as received.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// A delivery read by an adapter, on its way into an [`Inbox`](crate::inbox::Inbox): the
/// receiving side of the inbox in one extractor. [`enqueue`](Enqueue::enqueue) verifies,
/// parses and records it, and its [`InboxReceived`](crate::inbox::InboxReceived) is the
/// response (`200 accepted`, `200 duplicate`, the rejection's status, or 503). Nothing needs
/// detaching: the enqueue is one step of the backend, so a sender hanging up leaves the
/// delivery recorded or not, and its retry is answered accordingly.
#[cfg(feature = "inbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
pub struct Enqueue<P, B, R> {
    inbox: crate::inbox::Inbox<P, B>,
    head: R,
    body: Bytes,
}

#[cfg(feature = "inbox")]
impl<P: Provider, B: crate::inbox::InboxBackend, R: RequestHead> Enqueue<P, B, R> {
    /// A delivery read by an adapter.
    pub(crate) fn new(inbox: crate::inbox::Inbox<P, B>, head: R, body: Bytes) -> Self {
        Self { inbox, head, body }
    }

    /// Verifies, parses and enqueues the delivery (see
    /// [`Inbox::receive`](crate::inbox::Inbox::receive)); return the answer from your handler.
    pub async fn enqueue(self) -> crate::inbox::InboxReceived {
        self.inbox.receive(self.head.headers(), &self.body).await
    }

    /// The inbox.
    #[must_use]
    pub fn inbox(&self) -> &crate::inbox::Inbox<P, B> {
        &self.inbox
    }

    /// The framework's request head.
    #[must_use]
    pub fn request(&self) -> &R {
        &self.head
    }
}

#[cfg(feature = "inbox")]
impl<P, B, R> fmt::Debug for Enqueue<P, B, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enqueue")
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<P, St, R> fmt::Debug for ProcessOnce<P, St, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers may carry a shared token, and the body is the sender's: neither is shown.
        f.debug_struct("ProcessOnce")
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}
