//! The extractor types, written once: each framework module names them with its own request
//! head (`integrations::axum::Webhook<P>`, `integrations::actix::Webhook<P>`), so they are
//! public types in a private module, reached only through those names.

use std::fmt;

use bytes::Bytes;

use crate::{Delivery, Headers, Provider, Receiver};

/// A verified, parsed delivery; the provider comes from the framework's state (see
/// the framework modules for where).
///
/// No deduplication: a retried delivery reaches the handler again. Use `Webhook` to
/// run the handler once per message id. Refusals are a `WebhookRejection`: take
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

/// A delivery on its way through a [`Receiver`]: the request's head (`R`, the framework's
/// own: axum's `http::request::Parts`, actix-web's `HttpRequest`) and its body, read under the
/// provider's limit. Its `run` (in the framework modules) verifies, parses, deduplicates and
/// runs your closure once per message id, detached from the connection.
///
/// Each framework module names it with its request head filled in
/// (`integrations::axum::Webhook<P>`, `integrations::actix::Webhook<P>`).
/// Extraction only reads the body; a body over the limit, late or unreadable is a
/// `WebhookRejection`. Everything else, verification included, is decided by `run`, whose
/// [`Received`](crate::Received) is the response.
pub struct Webhook<P, R> {
    pub(super) receiver: Receiver<P>,
    pub(super) head: R,
    pub(super) body: Bytes,
}

/// The head of a request as a framework hands it over (axum's `http::request::Parts`,
/// actix-web's `HttpRequest`): what a [`Webhook`] keeps beside the body, so that no header
/// is copied. Implemented for each framework's type only.
pub trait RequestHead: sealed::Sealed {
    /// The framework's header map.
    type Headers: Headers;

    /// The request's headers.
    fn headers(&self) -> &Self::Headers;

    /// The request's target: its path and query, as received.
    fn target(&self) -> &str;
}

/// The head's headers, with its target answered as [`REQUEST_TARGET`](crate::REQUEST_TARGET)
/// for the providers whose sender signs the URL.
pub(crate) fn with_target<R: RequestHead>(head: &R) -> crate::headers::WithTarget<'_, R::Headers> {
    crate::headers::WithTarget {
        headers: head.headers(),
        target: head.target(),
    }
}

pub(crate) mod sealed {
    /// Only the framework modules of this crate implement [`RequestHead`](super::RequestHead).
    pub trait Sealed {}
}

impl<P: Provider, R: RequestHead> Webhook<P, R> {
    /// A delivery read by an adapter.
    pub(crate) fn new(receiver: Receiver<P>, head: R, body: Bytes) -> Self {
        Self {
            receiver,
            head,
            body,
        }
    }

    /// The whole pipeline, for actix-web's `run`, which spawns it on the worker's thread so
    /// that it is not cancelled with the connection. (axum's runs `Receiver::admit` in place
    /// and moves what is left to a task of its own only if the request is dropped first.)
    #[cfg(feature = "actix-web")]
    pub(crate) async fn process<F, Fut, T, E>(self, handler: F) -> crate::Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>, crate::idempotency::Lease) -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
        E: fmt::Display,
    {
        self.receiver
            .receive_with_lease(&with_target(&self.head), &self.body, handler)
            .await
    }
}

/// A delivery read by an adapter, on its way into an [`Inbox`](crate::inbox::Inbox): the
/// receiving side of the inbox in one extractor. `enqueue` verifies,
/// parses and records it, and its [`InboxReceived`](crate::inbox::InboxReceived) is the
/// response (`200 accepted`, `200 duplicate`, the rejection's status, or 503). Nothing needs
/// detaching: the enqueue is one step of the backend, so a sender hanging up leaves the
/// delivery recorded or not, and its retry is answered accordingly.
#[cfg(feature = "inbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
pub struct InboxWebhook<P, R> {
    pub(super) inbox: crate::inbox::Inbox<P>,
    pub(super) head: R,
    pub(super) body: Bytes,
}

#[cfg(feature = "inbox")]
impl<P: Provider, R: RequestHead> InboxWebhook<P, R> {
    /// A delivery read by an adapter.
    pub(crate) fn new(inbox: crate::inbox::Inbox<P>, head: R, body: Bytes) -> Self {
        Self { inbox, head, body }
    }
}

#[cfg(feature = "inbox")]
impl<P, R> fmt::Debug for InboxWebhook<P, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxWebhook")
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<P, R> fmt::Debug for Webhook<P, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers may carry a shared token, and the body is the sender's: neither is shown.
        f.debug_struct("Webhook")
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The extractors' public methods, written in each framework module on its aliases
/// (`Webhook<P>`, `InboxWebhook<P>`): rustdoc shows an alias's methods only when they are
/// implemented on the alias, since the core types here are not documented.
macro_rules! framework_methods {
    ($head:ty, $headers:ty) => {
        impl<P: $crate::Provider> Webhook<P> {
            /// The receiver the delivery goes through.
            #[must_use]
            pub fn receiver(&self) -> &$crate::Receiver<P> {
                &self.receiver
            }

            /// The request's head: method, URI, headers (and axum's extensions).
            #[must_use]
            pub fn request(&self) -> &$head {
                &self.head
            }

            /// The request's headers.
            #[must_use]
            pub fn headers(&self) -> &$headers {
                $crate::integrations::extract::RequestHead::headers(&self.head)
            }

            /// The raw body, exactly as received.
            #[must_use]
            pub fn body(&self) -> &[u8] {
                &self.body
            }
        }

        #[cfg(feature = "inbox")]
        impl<P: $crate::Provider> InboxWebhook<P> {
            /// Verifies, parses and enqueues the delivery (see
            /// [`Inbox::receive`](crate::inbox::Inbox::receive)); return the answer from your
            /// handler.
            pub async fn enqueue(self) -> crate::inbox::InboxReceived {
                let headers = $crate::integrations::extract::with_target(&self.head);
                self.inbox.receive(&headers, &self.body).await
            }

            /// The inbox.
            #[must_use]
            pub fn inbox(&self) -> &crate::inbox::Inbox<P> {
                &self.inbox
            }

            /// The request's head: method, URI, headers (and axum's extensions).
            #[must_use]
            pub fn request(&self) -> &$head {
                &self.head
            }

            /// The raw body, exactly as received.
            #[must_use]
            pub fn body(&self) -> &[u8] {
                &self.body
            }
        }
    };
}

pub(super) use framework_methods;
