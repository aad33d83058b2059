//! Acknowledge fast, process later: an inbox of verified deliveries, and workers that run
//! your handler on them with retries, dead letters and replay.
//!
//! The inline pipeline ([`Receiver`](crate::Receiver)) runs the handler inside the sender's
//! timeout: a slow handler or a slow database makes every sender retry. With an inbox, the
//! request only verifies the delivery, parses it (so that a payload of the wrong shape is
//! refused with 422 while the sender is still there), and records it as one step with the
//! claim of its message id; the answer is `200 accepted` (not 202: Palenca treats anything but
//! 200 and 201 as a failure), or `200 duplicate` for an id the inbox already holds, without a
//! second job. Workers then take the deliveries, parse them again from the stored verified
//! bytes with the same provider (its [`parse`](crate::Provider::parse); never the unverified
//! escape hatch), and run the handler:
//!
//! - on success the message id is recorded as completed: later copies are duplicates until
//!   [`purge`](Inbox::purge) drops the record;
//! - on failure the delivery is retried after an exponential backoff with jitter
//!   ([`RetryPolicy`]), up to a number of attempts, then moved to the dead letters with the
//!   last error and the attempt count, where it can be listed, requeued after a fix, or left;
//! - a worker that dies mid-job stops renewing its hold on the delivery: after the visibility
//!   timeout another worker takes it over.
//!
//! # Guarantees
//!
//! A delivery answered `200 accepted` is in the inbox (as durable as the backend: see each
//! one). Its handler runs **at least once**; it runs again only when a run did not end in a
//! recorded completion: the worker process died (or lost the backend for longer than the
//! visibility timeout) during the run or between the handler's end and the completion, or the
//! run was stopped by a shutdown past its grace period. A failed run is retried by design.
//! Make handler effects idempotent, or, on PostgreSQL, write them in the run's transaction
//! (`Worker::run_in_transaction`): they then commit with the completion, exactly once.
//!
//! # Backends
//!
//! [`MemoryInbox`]: in this process's memory, for tests and single-process development.
//! **Not durable**: a process that exits loses every delivery not yet processed, deliveries the
//! sender was told were accepted.
//!
//! `RedisInbox` (feature `redis` too): Redis Streams, as durable as the server (its `connect`
//! refuses a Redis without the append-only file, or one that may evict keys).
//!
//! `PostgresInbox` (features `inbox` and `postgres`): a table of deliveries and graphile_worker's job
//! queue in PostgreSQL, with handlers whose writes commit with the completion.
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # fn main() {
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use webhook_receiver::inbox::{Inbox, InboxReceived, MemoryInbox, Worker};
//! use webhook_receiver::providers::munity::Munity;
//! use webhook_receiver::{Secret, testing, verify::TokenScheme};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let munity = Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken").unwrap()).unwrap());
//! let inbox = Inbox::builder(munity.clone(), MemoryInbox::new()).build();
//!
//! // The receiving side (an HTTP handler): verify, parse, enqueue, answer.
//! let request = testing::munity::webhook_test().signed_with(&munity);
//! let received = inbox.receive(request.headers(), request.body()).await;
//! assert!(matches!(received, InboxReceived::Accepted));
//! assert_eq!(received.response().status(), 200);
//! // The sender's retry is a duplicate: no second job.
//! let again = inbox.receive(request.headers(), request.body()).await;
//! assert!(matches!(again, InboxReceived::Duplicate));
//!
//! // The working side: workers run the handler until the shutdown future completes.
//! let worker = Worker::builder(inbox.clone()).concurrency(2).build();
//! let report = worker
//!     .run(
//!         |delivery| async move {
//!             println!("{}: {}", delivery.id, delivery.event.event.name());
//!             Ok::<_, Infallible>(())
//!         },
//!         tokio::time::sleep(Duration::from_millis(200)),
//!     )
//!     .await;
//! assert_eq!(report.completed, 1);
//! # });
//! # }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() {}
//! ```

mod any;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
mod worker;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use time::OffsetDateTime;

use self::any::AnyInbox;
pub use self::memory::MemoryInbox;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use self::postgres::{InboxTransaction, PostgresInbox};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisInbox;
pub use self::worker::{RetryPolicy, Worker, WorkerBuilder, WorkerReport};
use crate::idempotency::StoreError;
use crate::observe::{DeliverySpan, Meters, Op, Phase, Stopwatch, Verdict};
use crate::provider::Verified;
use crate::{Error, Headers, MessageId, Provider, WebhookResponse};

/// A verified delivery as an inbox keeps it: what parsing needs, and what a handler may want
/// to know about the request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredDelivery {
    /// The provider's name ([`Provider::name`]): a worker refuses a delivery of another.
    pub provider: String,
    /// The message id the inbox deduplicates on.
    pub id: MessageId,
    /// The verified bytes to parse: the body for most schemes, the signed text for receeve.
    pub payload: Vec<u8>,
    /// The delivery id the verification covered, where the scheme has one (Standard Webhooks).
    pub verified_id: Option<String>,
    /// The timestamp the verification covered, where the scheme has one.
    pub verified_timestamp: Option<OffsetDateTime>,
    /// The event type the sender named beside the signed bytes, where the provider reads one
    /// there (GitHub's `X-GitHub-Event`).
    pub verified_kind: Option<String>,
    /// When the inbox accepted it.
    pub received_at: OffsetDateTime,
    /// The request headers the [`Inbox`] was told to keep ([`InboxBuilder::keep_header`]), as
    /// sent (names in lower case; values that are not UTF-8 are not kept).
    pub headers: Vec<(String, String)>,
}

impl StoredDelivery {
    /// The verified form again, for the provider's `parse`.
    pub(crate) fn verified(&self) -> Verified<'_> {
        let mut verified = Verified::new(self.payload.as_slice());
        if let Some(id) = &self.verified_id {
            verified = verified.with_id(id.as_str());
        }
        if let Some(timestamp) = self.verified_timestamp {
            verified = verified.with_timestamp(timestamp);
        }
        if let Some(kind) = &self.verified_kind {
            verified = verified.with_kind(kind.as_str());
        }
        verified
    }

    /// A kept header's value (`name` in any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(kept, _)| kept.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A delivery taken by a worker: it is invisible to the other workers until the job is
/// completed, retried, dead-lettered or released, or until its visibility runs out.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[doc(hidden)]
pub struct Job {
    /// The delivery.
    pub delivery: StoredDelivery,
    /// Which attempt this is, from 1.
    pub attempt: u32,
    /// Identifies this take: a job taken over by another worker no longer answers to it.
    pub(crate) token: u128,
    /// The graphile_worker job behind it, for `PostgresInbox`.
    #[cfg(all(feature = "inbox", feature = "postgres"))]
    pub(crate) graphile: Option<Arc<graphile_worker::Job>>,
    /// The visibility it was taken with, for `PostgresInbox` (its taker id carries it).
    #[cfg(all(feature = "inbox", feature = "postgres"))]
    pub(crate) visibility: std::time::Duration,
}

impl Job {
    /// A job as a backend hands it out; `token` must be fresh for every take.
    pub(crate) fn new(delivery: StoredDelivery, attempt: u32, token: u128) -> Self {
        Self {
            delivery,
            attempt,
            token,
            #[cfg(all(feature = "inbox", feature = "postgres"))]
            graphile: None,
            #[cfg(all(feature = "inbox", feature = "postgres"))]
            visibility: std::time::Duration::ZERO,
        }
    }
}

/// What [`Backend::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[doc(hidden)]
pub enum Enqueued {
    /// A new delivery: a job was recorded.
    Accepted,
    /// The inbox already holds this message id (waiting, in progress, completed or dead)
    /// with the same verified bytes: nothing was recorded.
    Duplicate,
    /// The inbox already holds this message id with other verified bytes: nothing was
    /// recorded. Answered as a duplicate unless the inbox
    /// [checks content](InboxBuilder::check_digest). Backends report it where they can
    /// compare within the same atomic step; one that cannot answers
    /// [`Duplicate`](Enqueued::Duplicate).
    Conflict,
}

/// A delivery in the dead letters: every attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The delivery.
    pub delivery: StoredDelivery,
    /// How many attempts ran.
    pub attempts: u32,
    /// The last attempt's error, as the handler's error displayed.
    pub error: String,
    /// When it was moved to the dead letters.
    pub died_at: OffsetDateTime,
}

/// Which dead letters a call is about; the default is all of them.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DeadLetterFilter {
    /// Only this provider's.
    pub provider: Option<String>,
    /// Only these message ids.
    pub ids: Option<Vec<MessageId>>,
    /// Only those whose last error contains this text.
    pub error_contains: Option<String>,
    /// Only those that died before this time.
    pub died_before: Option<OffsetDateTime>,
}

impl DeadLetterFilter {
    /// Every dead letter.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// Only the dead letters with these message ids.
    #[must_use]
    pub fn ids(ids: impl IntoIterator<Item = MessageId>) -> Self {
        Self {
            ids: Some(ids.into_iter().collect()),
            ..Self::default()
        }
    }

    /// Also require this provider.
    #[must_use]
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Also require the last error to contain `text`.
    #[must_use]
    pub fn error_contains(mut self, text: impl Into<String>) -> Self {
        self.error_contains = Some(text.into());
        self
    }

    /// Also require the delivery to have died before `time`.
    #[must_use]
    pub fn died_before(mut self, time: OffsetDateTime) -> Self {
        self.died_before = Some(time);
        self
    }

    /// Whether `letter` is one of those meant.
    #[must_use]
    pub fn matches(&self, letter: &DeadLetter) -> bool {
        self.provider
            .as_ref()
            .is_none_or(|provider| *provider == letter.delivery.provider)
            && self
                .ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&letter.delivery.id))
            && self
                .error_contains
                .as_ref()
                .is_none_or(|text| letter.error.contains(text.as_str()))
            && self.died_before.is_none_or(|time| letter.died_at < time)
    }
}

/// How many deliveries an inbox holds in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxStats {
    /// Waiting to be taken (including those waiting for a retry).
    pub pending: usize,
    /// Taken by a worker.
    pub in_flight: usize,
    /// In the dead letters.
    pub dead: usize,
    /// Completed, remembered as duplicates until purged.
    pub completed: usize,
}

/// Where an [`Inbox`] keeps its deliveries: [`MemoryInbox`], `PostgresInbox` or `RedisInbox`,
/// handed to [`Inbox::builder`].
///
/// **Sealed**, and opaque: the inbox's guarantees (one job per message id, a take fenced by
/// its token, a completion that commits with the handler's writes) rest on each backend's
/// atomic steps, which this crate proves against the real servers in its contract suite; a
/// backend outside the crate could not be held to them. The [`Inbox`] offers what an
/// application does with its deliveries ([`Inbox::dead_letters`], [`Inbox::requeue`],
/// [`Inbox::replay`], [`Inbox::purge`], [`Inbox::stats`]); the [`Worker`] takes and finishes
/// them.
pub trait InboxBackend: Backend + crate::__private::Sealed {}

/// The operations of a backend, each one atomic step of it: what the [`Worker`] and the
/// [`Inbox`] call. Not part of the API (see [`InboxBackend`]).
#[doc(hidden)]
pub trait Backend: Send + Sync + 'static {
    /// Records a delivery unless its message id is already held (in any state).
    fn enqueue(
        &self,
        delivery: StoredDelivery,
    ) -> impl Future<Output = Result<Enqueued, StoreError>> + Send;

    /// Takes the next delivery of `provider` that is due, invisible to other takers for
    /// `visibility`; waits up to `wait` for one (without polling) and answers `None` if none
    /// came. A delivery whose visibility ran out is due again, its attempt counted.
    fn take(
        &self,
        provider: &str,
        visibility: std::time::Duration,
        wait: std::time::Duration,
    ) -> impl Future<Output = Result<Option<Job>, StoreError>> + Send;

    /// Keeps `job` invisible for another `visibility` (a worker's heartbeat).
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] when the job's visibility had run out and another take
    /// holds it (or it was finished).
    fn extend(
        &self,
        job: &Job,
        visibility: std::time::Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records the job's delivery as completed.
    fn complete(&self, job: &Job) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Puts the job back, due at `at`, with its attempt counted and `error` noted.
    fn retry(
        &self,
        job: &Job,
        error: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Puts the job back, due now, without counting the attempt (a worker shutting down).
    fn release(&self, job: &Job) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Moves the job's delivery to the dead letters with `error`.
    fn dead_letter(
        &self,
        job: &Job,
        error: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The dead letters `filter` means, oldest death first, at most `limit`.
    fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DeadLetter>, StoreError>> + Send;

    /// Moves the dead letters `filter` means back to the queue, due now, with a fresh count
    /// of attempts; answers how many.
    fn requeue(
        &self,
        filter: &DeadLetterFilter,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Queues a completed delivery again, on purpose (after fixing a bug in the handler): the
    /// one case in which a completed message id is processed twice. Answers `false` when the
    /// id is not completed here (unknown, purged, waiting, in flight or dead).
    fn replay(&self, id: &MessageId) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Drops the completed records and dead letters finished before `before`; answers how
    /// many. A purged id is no longer recognised as a duplicate.
    fn purge(
        &self,
        before: OffsetDateTime,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// How many deliveries are in each state.
    fn stats(&self) -> impl Future<Output = Result<InboxStats, StoreError>> + Send;

    /// A short name for the `inbox` label of the metrics (feature `metrics`): `memory`,
    /// `postgres`, `redis`; `custom` for the stand-ins of the crate's own tests.
    fn name(&self) -> &'static str {
        "custom"
    }
}

/// The receiving side: verifies, parses and enqueues deliveries of one provider. Cheap to
/// clone (clones share the provider and the backend); [`Worker`]s are built from it.
///
/// The backend is not part of the type: handlers name `Inbox<P>` (or the framework
/// extractors' `InboxWebhook<P>`) whether the deliveries go to memory, PostgreSQL or Redis,
/// and moving between them changes the line that builds the inbox only.
pub struct Inbox<P> {
    inner: Arc<InboxInner<P>>,
}

struct InboxInner<P> {
    provider: P,
    backend: AnyInbox,
    keep_headers: Vec<String>,
    check_digest: bool,
    /// Metric handles of the receiving side and the workers (feature `metrics`).
    meters: Meters,
}

impl<P> Clone for Inbox<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P> fmt::Debug for Inbox<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("backend", &self.inner.backend.name())
            .field("keep_headers", &self.inner.keep_headers)
            .finish_non_exhaustive()
    }
}

impl<P: Provider> Inbox<P> {
    /// An inbox with options, keeping its deliveries in `backend` ([`MemoryInbox`],
    /// `PostgresInbox` or `RedisInbox`).
    pub fn builder(provider: P, backend: impl InboxBackend) -> InboxBuilder<P> {
        InboxBuilder {
            provider,
            backend: AnyInbox::new(backend),
            keep_headers: Vec::new(),
            check_digest: false,
        }
    }

    /// The provider.
    #[must_use]
    pub fn provider(&self) -> &P {
        &self.inner.provider
    }

    /// The backend, for the worker runtime.
    pub(crate) fn backend(&self) -> &AnyInbox {
        &self.inner.backend
    }

    /// The dead letters `filter` means, oldest death first, at most `limit` (of every
    /// provider the backend holds, unless the filter names one).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the backend cannot be reached.
    pub async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        self.inner.backend.dead_letters(filter, limit).await
    }

    /// Moves the dead letters `filter` means back to the queue, due now, with a fresh count of
    /// attempts (after fixing the handler); answers how many.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the backend cannot be reached.
    pub async fn requeue(&self, filter: &DeadLetterFilter) -> Result<usize, StoreError> {
        self.inner.backend.requeue(filter).await
    }

    /// Queues a completed delivery again, on purpose (after fixing a bug in the handler): the
    /// one case in which a completed message id is processed twice. Answers `false` when the
    /// id is not completed here (unknown, purged, waiting, in flight or dead).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the backend cannot be reached.
    pub async fn replay(&self, id: &MessageId) -> Result<bool, StoreError> {
        self.inner.backend.replay(id).await
    }

    /// Drops the completed records and dead letters finished before `before`; answers how
    /// many. A purged id is no longer recognised as a duplicate: purge well after the senders
    /// stop retrying.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the backend cannot be reached.
    pub async fn purge(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        self.inner.backend.purge(before).await
    }

    /// How many deliveries the backend holds in each state.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the backend cannot be reached.
    pub async fn stats(&self) -> Result<InboxStats, StoreError> {
        self.inner.backend.stats().await
    }

    /// Verifies `body`, parses it, and enqueues it unless its message id is already held.
    /// Answer the sender with [`InboxReceived::response`].
    pub async fn receive<H: Headers + ?Sized>(&self, headers: &H, body: &[u8]) -> InboxReceived {
        let span = DeliverySpan::receive(self.inner.provider.name());
        span.wrap(self.receive_in(headers, body, &span)).await
    }

    /// [`receive`](Inbox::receive) inside the delivery's span.
    async fn receive_in<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        span: &DeliverySpan,
    ) -> InboxReceived {
        let meters = &self.inner.meters;
        let delivery = match self.stored(headers, body, span) {
            Ok(delivery) => delivery,
            Err(err) => {
                meters.rejected(&err, span);
                return InboxReceived::Rejected(err);
            }
        };
        let watch = Stopwatch::start_if(meters.times_store(span));
        let enqueued = self.inner.backend.enqueue(delivery).await;
        let took = watch.elapsed();
        meters.store_op(Op::Enqueue, took, enqueued.as_ref().err());
        span.phase(Phase::Claim, took);
        let (received, verdict) = match enqueued {
            Ok(Enqueued::Accepted) => (InboxReceived::Accepted, Verdict::Enqueued),
            Ok(Enqueued::Conflict) if self.inner.check_digest => {
                (InboxReceived::Conflict, Verdict::Conflict)
            }
            Ok(Enqueued::Duplicate | Enqueued::Conflict) => {
                (InboxReceived::Duplicate, Verdict::Duplicate)
            }
            Err(err) => (InboxReceived::Unavailable(err), Verdict::StoreFailed),
        };
        #[cfg(feature = "tracing")]
        if verdict == Verdict::Conflict {
            tracing::warn!(
                target: "webhook_receiver",
                provider = meters.provider(),
                "one message id arrived with two different bodies; the second was refused"
            );
        }
        meters.delivered(verdict);
        let error = match &received {
            InboxReceived::Unavailable(err) => Some(err.kind()),
            _ => None,
        };
        span.finish(verdict.label(), Some(received.response().status()), error);
        #[cfg(feature = "tracing")]
        if error.is_none() {
            tracing::debug!(
                target: "webhook_receiver",
                provider = meters.provider(),
                outcome = verdict.label(),
                "webhook received into the inbox"
            );
        }
        received
    }

    pub(crate) fn meters(&self) -> &Meters {
        &self.inner.meters
    }

    /// Verification and parsing, and what to store. Parsing here refuses a payload of the
    /// wrong shape while the sender can still be told (422); the parsed event is dropped and
    /// made again by the worker from the stored bytes.
    fn stored<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        span: &DeliverySpan,
    ) -> Result<StoredDelivery, Error> {
        let provider = &self.inner.provider;
        let timed = span.is_enabled();
        let watch = Stopwatch::start_if(timed);
        let verified = crate::provider::check_body_limit(provider.body_limit(), body.len())
            .and_then(|()| provider.verify(headers, body));
        span.phase(Phase::Verify, watch.elapsed());
        let verified = verified?;
        let payload = verified.payload().to_vec();
        let verified_id = verified.id().map(str::to_owned);
        let verified_timestamp = verified.timestamp();
        let verified_kind = verified.kind().map(str::to_owned);
        let watch = Stopwatch::start_if(timed);
        let delivery = provider.parse(verified);
        span.phase(Phase::Parse, watch.elapsed());
        let delivery = delivery?;
        span.id(&delivery.id);
        let kept = self
            .inner
            .keep_headers
            .iter()
            .filter_map(|name| {
                let value = std::str::from_utf8(headers.get(name)?).ok()?;
                Some((name.clone(), value.to_owned()))
            })
            .collect();
        Ok(StoredDelivery {
            provider: provider.name().to_owned(),
            id: delivery.id,
            payload,
            verified_id,
            verified_timestamp,
            verified_kind,
            received_at: OffsetDateTime::now_utc(),
            headers: kept,
        })
    }
}

/// Options of an [`Inbox`].
#[derive(Debug)]
#[must_use]
pub struct InboxBuilder<P> {
    provider: P,
    backend: AnyInbox,
    keep_headers: Vec<String>,
    check_digest: bool,
}

impl<P: Provider> InboxBuilder<P> {
    /// Keeps this request header with each delivery, for the handler
    /// ([`StoredDelivery::header`]). Never keep a header that carries a secret (a shared
    /// token, a signature): the inbox stores what it keeps.
    pub fn keep_header(mut self, name: &str) -> Self {
        self.keep_headers.push(name.to_ascii_lowercase());
        self
    }

    /// Refuses a message id that comes again with other verified bytes: `422 conflicting duplicate`, as
    /// [`ReceiverBuilder::check_digest`](crate::ReceiverBuilder::check_digest) does inline,
    /// instead of `200 duplicate`. Off by default: a sender that re-serialises a retry (other
    /// key order, other whitespace) would be refused again and again. Turn it on for senders
    /// whose retries are byte for byte the first delivery and whose ids could be reused for
    /// another event; a refused delivery is not lost, the sender keeps retrying it. Two
    /// copies enqueued at the same moment are compared only once the first has committed:
    /// on PostgreSQL the second may be answered as a duplicate without the comparison.
    pub fn check_digest(mut self, check: bool) -> Self {
        self.check_digest = check;
        self
    }

    /// The inbox.
    pub fn build(self) -> Inbox<P> {
        Inbox {
            inner: Arc::new(InboxInner {
                meters: Meters::new(self.provider.name(), self.backend.name()),
                provider: self.provider,
                backend: self.backend,
                keep_headers: self.keep_headers,
                check_digest: self.check_digest,
            }),
        }
    }
}

/// What [`Inbox::receive`] made of a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum InboxReceived {
    /// Not authentic or not readable: nothing was stored.
    Rejected(Error),
    /// Enqueued: answered `200 accepted`.
    Accepted,
    /// The inbox already holds this message id: answered `200 duplicate`, no second job.
    Duplicate,
    /// The backend could not be reached: nothing was stored; answered 503 so that the sender
    /// retries.
    Unavailable(StoreError),
    /// The inbox holds this message id with other verified bytes and
    /// [checks content](InboxBuilder::check_digest): nothing was stored; answered
    /// `422 conflicting duplicate`.
    Conflict,
}

impl InboxReceived {
    /// What to answer the sender.
    #[must_use]
    pub fn response(&self) -> WebhookResponse {
        match self {
            InboxReceived::Rejected(err) => WebhookResponse::from_error(err),
            InboxReceived::Accepted => WebhookResponse::new(200, "accepted"),
            InboxReceived::Duplicate => WebhookResponse::new(200, "duplicate"),
            InboxReceived::Unavailable(_) => {
                WebhookResponse::new(503, "temporarily unavailable").retrying_after(1)
            }
            InboxReceived::Conflict => WebhookResponse::new(422, "conflicting duplicate"),
        }
    }
}
