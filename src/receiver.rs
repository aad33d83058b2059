//! The receiving pipeline that every framework adapter wraps: verify, parse, deduplicate, run
//! the handler, answer.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::idempotency::{
    AnyStore, IdempotencyStore, Lease, MemoryStore, ProcessOptions, StoreError, body_digest, claim,
    run_claimed, settle_claim,
};
use crate::observe::{DeliverySpan, Meters, Phase, Stopwatch, Verdict};
use crate::provider::check_body_limit;
use crate::{Delivery, Error, Headers, Provider};

/// The default cap on the `Retry-After` of a 409 answer: 5 seconds.
///
/// A concurrent copy of a delivery gets 409 while the first copy's handler runs, usually for
/// milliseconds; telling the sender to wait out the whole remaining lease (up to a minute)
/// would delay the duplicate's acknowledgement for nothing.
pub const DEFAULT_RETRY_AFTER_CAP: Duration = Duration::from_secs(5);

/// What to answer the sender: a status, an optional `Retry-After` in whole seconds, and a
/// short body that names the condition and leaks nothing (no signature, no secret, no handler
/// error text), sent as [`CONTENT_TYPE`](WebhookResponse::CONTENT_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookResponse {
    status: u16,
    retry_after: Option<u64>,
    body: &'static str,
}

impl WebhookResponse {
    /// The media type of every answer's body.
    pub const CONTENT_TYPE: &'static str = "text/plain; charset=utf-8";

    /// The answer to a rejected delivery: [`Error::status`] and [`Error::body_text`].
    #[must_use]
    pub fn from_error(err: &Error) -> Self {
        Self {
            status: err.status(),
            retry_after: None,
            body: err.body_text(),
        }
    }

    /// A response of the given parts, for answers of the crate's own (an adapter's
    /// misconfigured server is 500, an inbox's acceptance 200).
    #[cfg(any(feature = "axum", feature = "actix-web", feature = "inbox"))]
    pub(crate) const fn new(status: u16, body: &'static str) -> Self {
        Self {
            status,
            retry_after: None,
            body,
        }
    }

    /// The same with a `Retry-After` in seconds.
    #[cfg(feature = "inbox")]
    pub(crate) const fn retrying_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
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

/// Rounds up, so that a sender never retries before the wait is over.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// What became of one delivery through a [`Receiver`], and what to answer the sender
/// ([`response`](Received::response)).
///
/// | variant | status | the handler |
/// |---|---|---|
/// | [`Rejected`](Received::Rejected) | the error's ([`Error::status`]: 400, 401, 413, 422) | did not run: the delivery is not authentic or not readable |
/// | [`Processed`](Received::Processed) | 200 | ran and succeeded |
/// | [`ProcessedUnrecorded`](Received::ProcessedUnrecorded) | 200 | ran and succeeded, but may run again |
/// | [`Duplicate`](Received::Duplicate) | 200 | did not run: already processed |
/// | [`InProgress`](Received::InProgress) | 409 + `Retry-After` | did not run: another request holds the id |
/// | [`Conflict`](Received::Conflict) | 422 | did not run: same id, different body |
/// | [`HandlerFailed`](Received::HandlerFailed) | 500 | ran and failed; the sender retries |
/// | [`StoreFailed`](Received::StoreFailed) | the error's (503 + `Retry-After: 1` when the store is down or full) | did not run: the store could not claim |
#[derive(Debug)]
#[non_exhaustive]
#[must_use]
pub enum Received<T, E> {
    /// Verification or parsing failed: the delivery is not authentic or not readable, and
    /// the handler did not run.
    Rejected(Error),
    /// The handler ran, succeeded, and the id is recorded as completed.
    Processed(T),
    /// The handler ran and succeeded, but recording it failed: the lease ran out first
    /// ([`StoreError::LeaseLost`], another request may have taken the id over) or the store
    /// stayed unreachable until the lease's deadline was near (the shared stores retry until
    /// then). Answered 200 (the work is done), but the event may be processed again by a
    /// later retry: at-least-once in this corner. A lease longer than the handler's worst
    /// case, and than the store outages you expect, avoids it.
    ProcessedUnrecorded {
        /// What the handler returned.
        value: T,
        /// Why the completion was not recorded.
        error: StoreError,
    },
    /// The id was already processed: the handler did not run.
    Duplicate,
    /// Another request holds the id: the handler did not run. Answered 409 with
    /// `Retry-After`.
    InProgress {
        /// The time to wait: what is left of the other claim's lease, at most the receiver's
        /// [`retry_after_cap`](ReceiverBuilder::retry_after_cap).
        retry_after: Duration,
    },
    /// A live record of the id carries a different body digest
    /// ([`check_digest`](ReceiverBuilder::check_digest)): the handler did not run. Answered
    /// 422 rather than 409, so that logs and metrics tell this anomaly (one id, two different
    /// events) from the ordinary race of [`InProgress`](Received::InProgress).
    Conflict,
    /// The handler ran and failed; the claim was released so the sender's retry processes
    /// the event again. Answered 500.
    HandlerFailed {
        /// What the handler returned.
        error: E,
        /// Set when the release itself failed: the record then stays in progress until its
        /// lease runs out, and retries get 409 until then.
        release_error: Option<StoreError>,
    },
    /// The store could not claim the id: the handler did not run. Answered with the error's
    /// status (503: the sender retries later).
    StoreFailed(StoreError),
}

impl<T, E> Received<T, E> {
    /// What to answer the sender: the status of the table above, `Retry-After` for a 409 (the
    /// wait, rounded up to whole seconds) and a 503 (one second), and a short body that names
    /// the condition and carries no error text.
    ///
    /// ```
    /// use std::time::Duration;
    /// use webhook_receiver::Received;
    /// use webhook_receiver::idempotency::StoreError;
    ///
    /// assert_eq!(Received::<(), ()>::Duplicate.response().status(), 200);
    /// let busy = Received::<(), ()>::InProgress { retry_after: Duration::from_millis(2500) };
    /// assert_eq!((busy.response().status(), busy.response().retry_after()), (409, Some(3)));
    /// assert_eq!(Received::<(), ()>::StoreFailed(StoreError::Full).response().status(), 503);
    /// ```
    pub fn response(&self) -> WebhookResponse {
        let (status, body) = match self {
            Received::Rejected(err) => return WebhookResponse::from_error(err),
            Received::Processed(_) | Received::ProcessedUnrecorded { .. } => (200, "processed"),
            Received::Duplicate => (200, "duplicate"),
            Received::InProgress { .. } => (409, "in progress"),
            Received::Conflict => (422, "conflicting duplicate"),
            Received::HandlerFailed { .. } => (500, "handler failed"),
            Received::StoreFailed(error) => (error.status(), "temporarily unavailable"),
        };
        let retry_after = match self {
            Received::InProgress { retry_after } => Some(whole_seconds(*retry_after)),
            _ => (status == 503).then_some(1),
        };
        WebhookResponse {
            status,
            retry_after,
            body,
        }
    }

    /// Whether the handler ran (and succeeded or failed) for this request.
    #[must_use]
    pub fn ran_handler(&self) -> bool {
        matches!(
            self,
            Received::Processed(_)
                | Received::ProcessedUnrecorded { .. }
                | Received::HandlerFailed { .. }
        )
    }
}

/// A provider and an idempotency store: verifies each delivery, runs the handler once per
/// message id, and says what to answer. Cheap to clone (shared inside).
///
/// Framework-agnostic: give it headers, the raw body and your handler, and it returns a
/// [`Received`] whose [`response`](Received::response) is the status, `Retry-After` and short
/// body to send back. The axum and actix-web adapters (features `axum`, `actix-web`) are thin
/// layers over it; a Lambda or a queue consumer can call it directly.
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use webhook_receiver::providers::munity::Munity;
/// use webhook_receiver::{Receiver, Secret, verify::TokenScheme};
/// use webhook_receiver::idempotency::MemoryStore;
///
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
/// #             return output;
/// #         }
/// #     }
/// # }
/// let munity = Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken").unwrap()).unwrap());
/// let receiver = Receiver::builder(munity)
///     .store(MemoryStore::new())
///     .lease(Duration::from_secs(30))
///     .build();
/// let body = br#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true}}"#;
/// let headers = [("x-munity-token", "t0ken")];
///
/// let handle = |delivery: webhook_receiver::Delivery<_>| async move {
///     let _webhook: webhook_receiver::providers::munity::Webhook = delivery.event;
///     Ok::<_, Infallible>(())
/// };
/// let first = block_on(receiver.receive(&headers, body, handle));
/// assert_eq!(first.response().status(), 200);
/// assert!(first.ran_handler());
/// let retry = block_on(receiver.receive(&headers, body, handle));
/// assert_eq!(retry.response().status(), 200);
/// assert!(!retry.ran_handler(), "a duplicate is acknowledged without running the handler");
/// assert_eq!(block_on(receiver.receive(&[("x-munity-token", "nope")], body, handle)).response().status(), 401);
/// ```
pub struct Receiver<P> {
    inner: Arc<Settings<P>>,
}

struct Settings<P> {
    provider: P,
    store: AnyStore,
    options: ProcessOptions,
    check_digest: bool,
    retry_after_cap: Duration,
    /// Metric handles (feature `metrics`), registered at the first delivery.
    meters: Meters,
}

impl<P> Clone for Receiver<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P> std::fmt::Debug for Receiver<P>
where
    P: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("provider", &self.inner.provider)
            .field("store", &self.inner.store)
            .field("options", &self.inner.options)
            .field("check_digest", &self.inner.check_digest)
            .field("retry_after_cap", &self.inner.retry_after_cap)
            .finish()
    }
}

impl<P: Provider> Receiver<P> {
    /// A builder starting from `provider`, a fresh [`MemoryStore`] and the defaults: lease
    /// 60 s, retention 7 days, no digest check, `Retry-After` capped at
    /// [`DEFAULT_RETRY_AFTER_CAP`].
    pub fn builder(provider: P) -> ReceiverBuilder<P> {
        ReceiverBuilder {
            provider,
            store: AnyStore::Memory(MemoryStore::new()),
            options: ProcessOptions::new(),
            check_digest: false,
            retry_after_cap: DEFAULT_RETRY_AFTER_CAP,
        }
    }
}

impl<P: Provider> Receiver<P> {
    /// The provider.
    #[must_use]
    pub fn provider(&self) -> &P {
        &self.inner.provider
    }

    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn meters(&self) -> &Meters {
        &self.inner.meters
    }

    /// Verifies and parses the delivery, then runs `handler` once per message id: claims the
    /// id, runs the handler only when the claim is acquired, then records the id completed on
    /// `Ok` or releases it on `Err` (see [`Received`] for every answer).
    ///
    /// The future does not detach itself: dropped after the claim (say the client hung up and
    /// your server dropped the request), the handler stops where it was, the id stays claimed
    /// until its lease runs out, and the sender's retry after that runs the handler again. To
    /// finish regardless, run it in a task of its own (as actix-web's extractor does; axum's
    /// runs it in place and moves it to a task only when the request is dropped first, which
    /// spares a task per delivery); with tokio, owning what the task needs:
    ///
    /// ```
    /// # use std::convert::Infallible;
    /// # use webhook_receiver::providers::munity::Munity;
    /// # use webhook_receiver::{Receiver, Secret, verify::TokenScheme};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let munity = Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken").unwrap()).unwrap());
    /// let receiver = Receiver::builder(munity).build();
    /// let headers = vec![("x-munity-token".to_owned(), "t0ken".to_owned())];
    /// let body = br#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true}}"#.to_vec();
    /// let task = tokio::spawn({
    ///     let receiver = receiver.clone();
    ///     async move {
    ///         receiver
    ///             .receive(&headers, &body, |_delivery| async { Ok::<_, Infallible>(()) })
    ///             .await
    ///     }
    /// });
    /// // Dropping `task` here would not stop the handler; awaiting it gives the answer.
    /// assert_eq!(task.await.unwrap().response().status(), 200);
    /// # });
    /// ```
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
        E: std::fmt::Display,
    {
        self.receive_with_lease(headers, body, |delivery, _lease| handler(delivery))
            .await
    }

    /// [`receive`](Receiver::receive), handing the handler the [`Lease`] of its claim too, for
    /// a handler that records the completion in its own transaction
    /// ([`PostgresStore::complete_in`](crate::idempotency::PostgresStore::complete_in)):
    /// exactly-once effects. The completion made after the handler then answers done.
    pub async fn receive_with_lease<H, F, Fut, T, E>(
        &self,
        headers: &H,
        body: &[u8],
        handler: F,
    ) -> Received<T, E>
    where
        H: Headers + ?Sized,
        F: FnOnce(Delivery<P::Event>, Lease) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        match self.clone().admit(headers, body) {
            Ok(admitted) => admitted.finish(handler).await,
            Err(answer) => answer,
        }
    }

    /// The first part of the pipeline, which never waits: verification, parsing and, with the
    /// in-process [`MemoryStore`], the claim, in the delivery's span. `Err` is the answer
    /// when there is nothing left to do (rejected, duplicate, in progress, conflict, store
    /// failure), already counted and logged; `Ok` is the rest to run, with
    /// [`Admitted::finish`]. An adapter that keeps the handler from being cancelled with the
    /// request detaches only that rest, and nothing when there is none.
    pub(crate) fn admit<H, T, E>(
        self,
        headers: &H,
        body: &[u8],
    ) -> Result<Admitted<P>, Received<T, E>>
    where
        H: Headers + ?Sized,
        E: std::fmt::Display,
    {
        let span = DeliverySpan::receive(self.inner.provider.name());
        let admitted = span.enter(|| self.admit_in(headers, body, &span));
        admitted.map(|(delivery, digest, lease)| Admitted {
            receiver: self,
            span,
            delivery,
            digest,
            lease,
        })
    }

    /// [`admit`](Receiver::admit) inside the delivery's span: the delivery, its digest when
    /// checked, and its lease when the in-process store claimed it.
    #[allow(clippy::type_complexity)]
    fn admit_in<H, T, E>(
        &self,
        headers: &H,
        body: &[u8],
        span: &DeliverySpan,
    ) -> Result<(Delivery<P::Event>, Option<[u8; 32]>, Option<Lease>), Received<T, E>>
    where
        H: Headers + ?Sized,
        E: std::fmt::Display,
    {
        let settings = &*self.inner;
        let delivery = match verify_then_parse(&settings.provider, headers, body, span) {
            Ok(delivery) => delivery,
            Err(err) => {
                settings.meters.rejected(&err, span);
                return Err(Received::Rejected(err));
            }
        };
        // An id that is the content's digest already identifies the content: reuse it rather
        // than hash the body a second time.
        let digest = settings.check_digest.then(|| {
            delivery
                .id
                .content_digest()
                .unwrap_or_else(|| body_digest(body))
        });
        let AnyStore::Memory(memory) = &settings.store else {
            return Ok((delivery, digest, None));
        };
        // The in-process store answers at once: claimed here, a duplicate (every retry) is
        // answered without anything left to run.
        let watch = Stopwatch::start_if(settings.meters.times_store(span));
        let claimed = memory.claim_now(&delivery.id, digest, settings.options.lease);
        match settle_claim(claimed, watch.elapsed(), &settings.meters, span) {
            Ok(lease) => Ok((delivery, digest, Some(lease))),
            Err(answer) => Err(settings.answer(span, answer)),
        }
    }
}

impl<P> Settings<P> {
    /// The answer to send, counted and logged: a 409's wait capped.
    fn answer<T, E: std::fmt::Display>(
        &self,
        span: &DeliverySpan,
        outcome: Received<T, E>,
    ) -> Received<T, E> {
        let received = match outcome {
            Received::InProgress { retry_after } => Received::InProgress {
                retry_after: retry_after.min(self.retry_after_cap),
            },
            other => other,
        };
        finished(&self.meters, span, &received);
        received
    }
}

/// A delivery past [`Receiver::admit`]: verified and parsed, claimed if the store is in
/// process; [`finish`](Admitted::finish) runs the rest.
pub(crate) struct Admitted<P: Provider> {
    receiver: Receiver<P>,
    span: DeliverySpan,
    delivery: Delivery<P::Event>,
    digest: Option<[u8; 32]>,
    /// Set when the claim is made already.
    lease: Option<Lease>,
}

impl<P: Provider> Admitted<P> {
    /// The rest of the pipeline, in the delivery's span: the claim if it is still to make,
    /// then the handler once the claim is acquired, then its completion or release.
    pub(crate) async fn finish<F, Fut, T, E>(self, handler: F) -> Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>, Lease) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let Admitted {
            receiver,
            span,
            delivery,
            digest,
            lease,
        } = self;
        let settings = &*receiver.inner;
        let rest = async {
            let lease = match lease {
                Some(lease) => lease,
                None => {
                    let claimed = claim(
                        &settings.store,
                        &delivery.id,
                        digest,
                        &settings.options,
                        &settings.meters,
                        &span,
                    )
                    .await;
                    match claimed {
                        Ok(lease) => lease,
                        Err(answer) => return settings.answer(&span, answer),
                    }
                }
            };
            let outcome = run_claimed(
                &settings.store,
                lease,
                &settings.options,
                move |lease| handler(delivery, lease),
                &settings.meters,
                &span,
            )
            .await;
            settings.answer(&span, outcome)
        };
        span.wrap(rest).await
    }
}

/// [`Provider::verify_and_parse`] with each phase timed into `span`.
pub(crate) fn verify_then_parse<P: Provider, H: Headers + ?Sized>(
    provider: &P,
    headers: &H,
    body: &[u8],
    span: &DeliverySpan,
) -> Result<Delivery<P::Event>, Error> {
    // Only the span shows these two phases: not measured unless it is recorded.
    let timed = span.is_enabled();
    let watch = Stopwatch::start_if(timed);
    let verified = check_body_limit(provider.body_limit(), body.len())
        .and_then(|()| provider.verify(headers, body));
    span.phase(Phase::Verify, watch.elapsed());
    let watch = Stopwatch::start_if(timed);
    let delivery = provider.parse(verified?);
    span.phase(Phase::Parse, watch.elapsed());
    if let Ok(delivery) = &delivery {
        span.id(&delivery.id);
    }
    delivery
}

/// Counts and logs what became of an authentic delivery.
fn finished<T, E: std::fmt::Display>(
    meters: &Meters,
    span: &DeliverySpan,
    outcome: &Received<T, E>,
) {
    let verdict = Verdict::of(outcome);
    meters.delivered(verdict);
    let error = match outcome {
        Received::HandlerFailed { .. } => Some("handler"),
        Received::StoreFailed(error) => Some(error.kind()),
        Received::ProcessedUnrecorded { error, .. } => Some(error.kind()),
        _ => None,
    };
    span.finish(verdict.label(), Some(outcome.response().status()), error);
    #[cfg(feature = "tracing")]
    {
        let provider = meters.provider();
        match outcome {
            Received::HandlerFailed {
                error,
                release_error,
            } => tracing::warn!(
                target: "webhook_receiver",
                provider,
                error = %error,
                released = release_error.is_none(),
                "webhook handler failed; the sender's retry processes it again"
            ),
            Received::ProcessedUnrecorded { error, .. } => tracing::warn!(
                target: "webhook_receiver",
                provider,
                error = %error,
                "webhook processed but its completion was not recorded: a retry may process it again"
            ),
            Received::Conflict => tracing::warn!(
                target: "webhook_receiver",
                provider,
                "one message id arrived with two different bodies; the second was refused"
            ),
            // Logged by the store call that failed; a rejection never reaches the store.
            Received::StoreFailed(_) | Received::Rejected(_) => {}
            Received::Processed(_) | Received::Duplicate | Received::InProgress { .. } => {
                tracing::debug!(
                    target: "webhook_receiver",
                    provider,
                    outcome = verdict.label(),
                    "webhook handled"
                );
            }
        }
    }
}

/// Builds a [`Receiver`]: [`Receiver::builder`], then the settings that differ from the
/// defaults, then [`build`](ReceiverBuilder::build).
#[derive(Debug)]
#[must_use]
pub struct ReceiverBuilder<P> {
    provider: P,
    store: AnyStore,
    options: ProcessOptions,
    check_digest: bool,
    retry_after_cap: Duration,
}

impl<P: Provider> ReceiverBuilder<P> {
    /// Where claims are recorded (default: a fresh [`MemoryStore`]): any
    /// [`IdempotencyStore`]. The store's type does not appear in the receiver's, so handlers
    /// and extractors name `Receiver<P>` whatever the store. The memory store is called
    /// directly; another store's calls go through one boxed future each.
    pub fn store<S: IdempotencyStore + 'static>(mut self, store: S) -> Self {
        self.store = AnyStore::new(store);
        self
    }

    /// How long a claim owns its message id (default
    /// [`DEFAULT_LEASE`](crate::idempotency::DEFAULT_LEASE), 60 s): longer than the handler's
    /// worst case.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.options.lease = lease;
        self
    }

    /// How long a processed message id is remembered (default
    /// [`DEFAULT_RETENTION`](crate::idempotency::DEFAULT_RETENTION), 7 days).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.options.retention = retention;
        self
    }

    /// Whether to compare body digests (default off): with it, the same id arriving with a
    /// different body is answered 422 ([`Received::Conflict`]) instead of being acknowledged
    /// as a duplicate. Leave it off for senders whose retries may re-serialise the body.
    /// Where the message id is itself the content's digest (Munity, Palenca without
    /// `webhook_id`), the id's digest is reused: no second hash, and no conflict can arise.
    pub fn check_digest(mut self, check: bool) -> Self {
        self.check_digest = check;
        self
    }

    /// The longest `Retry-After` a 409 answer carries (default [`DEFAULT_RETRY_AFTER_CAP`],
    /// 5 s); the answer says the lesser of this and the time left on the other claim's lease.
    pub fn retry_after_cap(mut self, cap: Duration) -> Self {
        self.retry_after_cap = cap;
        self
    }

    /// The receiver.
    #[must_use]
    pub fn build(self) -> Receiver<P> {
        let meters = Meters::for_store(self.provider.name(), &self.store);
        Receiver {
            inner: Arc::new(Settings {
                meters,
                provider: self.provider,
                store: self.store,
                options: self.options,
                check_digest: self.check_digest,
                retry_after_cap: self.retry_after_cap,
            }),
        }
    }
}
