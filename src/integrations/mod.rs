//! The receiving pipeline that every framework adapter wraps: verify, parse, deduplicate, run
//! the handler, answer.
//!
//! [`Receiver`] is framework-agnostic: give it headers, the raw body and your handler, and it
//! returns a [`Received`] whose [`response`](Received::response) is the status, `Retry-After`
//! and short body to send back. The axum and actix-web adapters (features `axum`,
//! `actix-web`) are thin layers over it; a Lambda or a queue consumer can call it directly.
//!
//! ```
//! use std::convert::Infallible;
//! use webhook_receiver::integrations::Receiver;
//! use webhook_receiver::providers::munity::Munity;
//! use webhook_receiver::{MemoryStore, Secret, verify::TokenScheme};
//!
//! # fn block_on<F: std::future::Future>(future: F) -> F::Output {
//! #     let mut future = std::pin::pin!(future);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop {
//! #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
//! #             return output;
//! #         }
//! #     }
//! # }
//! let munity = Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken").unwrap()).unwrap());
//! let receiver = Receiver::new(munity, MemoryStore::new());
//! let body = br#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true}}"#;
//! let headers = [("x-munity-token", "t0ken")];
//!
//! let handle = |delivery: webhook_receiver::Delivery<_>| async move {
//!     let _webhook: webhook_receiver::providers::munity::Webhook = delivery.event;
//!     Ok::<_, Infallible>(())
//! };
//! let first = block_on(receiver.receive(&headers, body, handle));
//! assert_eq!(first.response().status(), 200);
//! assert!(first.ran_handler());
//! let retry = block_on(receiver.receive(&headers, body, handle));
//! assert_eq!(retry.response().status(), 200);
//! assert!(!retry.ran_handler(), "a duplicate is acknowledged without running the handler");
//! assert_eq!(block_on(receiver.receive(&[("x-munity-token", "nope")], body, handle)).response().status(), 401);
//! ```

#[cfg(feature = "actix-web")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix-web")))]
pub mod actix;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::idempotency::{
    IdempotencyStore, MemoryStore, Outcome, ProcessOptions, body_digest, process_once,
};
use crate::{Delivery, Error, Headers, Provider, verify_and_parse};

/// What to answer the sender: a status, an optional `Retry-After` in whole seconds, and a
/// short body that names the condition and leaks nothing (no signature, no secret, no handler
/// error text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookResponse {
    status: u16,
    retry_after: Option<u64>,
    body: &'static str,
}

impl WebhookResponse {
    /// The answer to a rejected delivery.
    #[must_use]
    pub fn from_error(err: &Error) -> Self {
        let body = match err {
            Error::BodyTooLarge { .. } => "payload too large",
            Error::MalformedPayload(_) => "malformed payload",
            Error::UnexpectedPayload(_) => "unexpected payload",
            Error::StoreUnavailable(_) => "temporarily unavailable",
            Error::BodyReadTimeout { .. } => "request timeout",
            _ if err.is_authentication() => "unauthorized",
            _ => "rejected",
        };
        let retry_after = matches!(err, Error::StoreUnavailable(_)).then_some(1);
        Self {
            status: err.status(),
            retry_after,
            body,
        }
    }

    /// The answer after the idempotency step.
    #[must_use]
    pub fn from_outcome<T, E>(outcome: &Outcome<T, E>) -> Self {
        let body = match outcome {
            Outcome::Processed(_) | Outcome::ProcessedUnrecorded { .. } => "processed",
            Outcome::Duplicate => "duplicate",
            Outcome::InProgress { .. } => "in progress",
            Outcome::Conflict => "conflicting duplicate",
            Outcome::HandlerFailed { .. } => "handler failed",
            _ => "temporarily unavailable",
        };
        let retry_after = outcome
            .retry_after()
            .map(whole_seconds)
            .or_else(|| (outcome.status() == 503).then_some(1));
        Self {
            status: outcome.status(),
            retry_after,
            body,
        }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Retry-After` header's value in seconds, where the sender should wait.
    #[must_use]
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// A short plain-text body.
    #[must_use]
    pub fn body(&self) -> &'static str {
        self.body
    }
}

/// Rounds up, so that a sender never retries before the lease has run out.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The result of [`Receiver::receive`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Received<T, E> {
    /// Verification or parsing failed; the handler did not run.
    Rejected(Error),
    /// The delivery was verified; what the idempotency step and the handler made of it.
    Verified(Outcome<T, E>),
}

impl<T, E> Received<T, E> {
    /// What to answer the sender.
    #[must_use]
    pub fn response(&self) -> WebhookResponse {
        match self {
            Received::Rejected(err) => WebhookResponse::from_error(err),
            Received::Verified(outcome) => WebhookResponse::from_outcome(outcome),
        }
    }

    /// Whether the handler ran (and succeeded or failed) for this request.
    #[must_use]
    pub fn ran_handler(&self) -> bool {
        matches!(
            self,
            Received::Verified(
                Outcome::Processed(_)
                    | Outcome::ProcessedUnrecorded { .. }
                    | Outcome::HandlerFailed { .. }
            )
        )
    }
}

/// A provider and an idempotency store: verifies each delivery, runs the handler once per
/// message id, and says what to answer. Cheap to clone (shared inside).
pub struct Receiver<P, S = MemoryStore> {
    inner: Arc<Inner<P, S>>,
}

struct Inner<P, S> {
    provider: P,
    store: S,
    options: ProcessOptions,
    check_digest: bool,
}

impl<P, S> Clone for Receiver<P, S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P, S> std::fmt::Debug for Receiver<P, S>
where
    P: std::fmt::Debug,
    S: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("provider", &self.inner.provider)
            .field("store", &self.inner.store)
            .field("options", &self.inner.options)
            .field("check_digest", &self.inner.check_digest)
            .finish()
    }
}

impl<P: Provider, S: IdempotencyStore> Receiver<P, S> {
    /// A receiver with the default lease (60 s) and retention (7 days).
    #[must_use]
    pub fn new(provider: P, store: S) -> Self {
        Self::with_options(provider, store, ProcessOptions::default(), false)
    }

    /// A receiver with chosen lease and retention, and whether to compare body digests: with
    /// `check_digest`, the same id arriving with a different body is answered 422
    /// ([`Outcome::Conflict`]) instead of being acknowledged as a duplicate. Leave it off for
    /// senders whose retries may re-serialise the body. Where the message id is itself the
    /// content's digest (Munity, Palenca without `webhook_id`), the id's digest is reused: no
    /// second hash, and no conflict can arise, since the id already names the content.
    #[must_use]
    pub fn with_options(
        provider: P,
        store: S,
        options: ProcessOptions,
        check_digest: bool,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                provider,
                store,
                options,
                check_digest,
            }),
        }
    }

    /// The provider.
    #[must_use]
    pub fn provider(&self) -> &P {
        &self.inner.provider
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// Verifies and parses the delivery, then runs `handler` once per message id (see
    /// [`process_once`]).
    pub async fn receive<H, F, Fut, T, E>(
        &self,
        headers: &H,
        body: &[u8],
        handler: F,
    ) -> Received<T, E>
    where
        H: Headers + ?Sized,
        F: FnOnce(Delivery<P::Event>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let delivery = match verify_and_parse(&self.inner.provider, headers, body) {
            Ok(delivery) => delivery,
            Err(err) => return Received::Rejected(err),
        };
        let mut options = self.inner.options;
        if self.inner.check_digest {
            // An id that is the content's digest already identifies the content: reuse it
            // rather than hash the body a second time.
            let digest = delivery
                .id
                .content_digest()
                .unwrap_or_else(|| body_digest(body));
            options = options.with_digest(digest);
        }
        let id = delivery.id.clone();
        Received::Verified(
            process_once(&self.inner.store, &id, &options, move || handler(delivery)).await,
        )
    }
}
