//! Process each event once, even when the sender retries, two deliveries race, or a handler
//! crashes half way.
//!
//! Senders deliver at least once: Palenca retries when it gets no 200/201 within 30 s,
//! receeve asks receivers to deduplicate on `messageId`, Standard Webhooks senders retry for
//! days. An [`IdempotencyStore`] keyed on the delivery's [`MessageId`] turns that into "the
//! handler runs once", and a [`Receiver`](crate::Receiver) does the whole dance around your
//! handler (claim, run, complete or release, answer).
//!
//! # The state machine
//!
//! Each message id is in one of three states:
//!
//! ```text
//!            claim                       complete(lease, retention)
//!  absent ─────────────> in progress ───────────────────────────────> completed
//!    ^                   owner token,                                 retention deadline
//!    │                   lease deadline                                     │
//!    │   release(lease), or the lease deadline passes                      │
//!    ├──────────────────────────────┘                                       │
//!    │   the retention deadline passes                                     │
//!    └──────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! - [`claim`](IdempotencyStore::claim) is one atomic step: it answers
//!   [`Claim::Acquired`] with a [`Lease`] (run the handler), [`Claim::InProgress`] (another
//!   worker is on it: answer 409 with `Retry-After`), or [`Claim::Completed`] (a duplicate:
//!   answer 200 without running the handler).
//! - [`complete`](IdempotencyStore::complete) and [`release`](IdempotencyStore::release)
//!   succeed only for the lease that currently owns the id, and only before its deadline.
//!   Anyone else gets [`StoreError::LeaseLost`] and changes nothing. Completing again with
//!   the lease that completed the id succeeds and changes nothing, so a completion whose
//!   reply was lost can be retried. The shared stores retry both on a transient failure until
//!   the lease's deadline is near.
//! - A worker that crashes (or whose future is dropped) between `claim` and `complete` leaves
//!   an in-progress record that expires with its lease; the sender's next retry then takes it
//!   over and processes the event. Nothing is lost.
//! - A record whose deadline has passed behaves exactly like an absent one: the next claim
//!   acquires it. Stores may keep it around until they evict it; nobody can observe it.
//!
//! Defaults: a lease of [`DEFAULT_LEASE`] (60 s) and a retention of [`DEFAULT_RETENTION`]
//! (7 days, longer than every documented retry schedule).
//!
//! # Body digests
//!
//! A claim can carry the SHA-256 of the verified body (the [`Receiver`](crate::Receiver) sends
//! it when built with [`check_digest`](crate::ReceiverBuilder::check_digest)). When a live record of the same id was claimed with a
//! different digest, the store answers [`Claim::Conflict`] instead of treating the delivery
//! as a duplicate: one id, two different events, and something upstream is wrong.
//!
//! # Example
//!
//! ```
//! use std::convert::Infallible;
//! use webhook_receiver::{Received, Receiver, Secret};
//! use webhook_receiver::idempotency::MemoryStore;
//! use webhook_receiver::providers::munity::Munity;
//! use webhook_receiver::verify::TokenScheme;
//!
//! # fn block_on<F: std::future::Future>(future: F) -> F::Output {
//! #     // Your runtime (tokio, async-std, ...) does this part in an application.
//! #     let mut future = std::pin::pin!(future);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop {
//! #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
//! #             return output;
//! #         }
//! #     }
//! # }
//! # block_on(async {
//! let munity = Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken").unwrap()).unwrap());
//! let receiver = Receiver::builder(munity).store(MemoryStore::new()).build();
//! let headers = [("x-munity-token", "t0ken")];
//! let body = br#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true}}"#;
//!
//! let first = receiver.receive(&headers, body, |_delivery| async {
//!     // Your handler: write to the database, enqueue a job, ...
//!     Ok::<_, Infallible>("booked")
//! })
//! .await;
//! assert!(matches!(first, Received::Processed("booked")));
//!
//! // The sender retries: the handler does not run again, and the answer is still 200.
//! let retry = receiver.receive(&headers, body, |_delivery| async {
//!     Ok::<_, Infallible>("booked twice")
//! })
//! .await;
//! assert!(matches!(retry, Received::Duplicate));
//! assert_eq!(retry.response().status(), 200);
//! # });
//! ```

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest as _, Sha256};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::observe::{DeliverySpan, Meters, Op, Phase, Stopwatch};
use crate::{MessageId, Received};

mod any;
mod memory;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "redis")]
pub(crate) mod redis;

pub(crate) use any::AnyStore;
pub use memory::{MemoryStore, MemoryStoreBuilder};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::RedisStore;

/// How long a claim owns a message id before another delivery may take it over: 60 s.
///
/// Choose a lease longer than your handler's worst case: a handler that outlives its lease
/// may run a second time (see [`Received::ProcessedUnrecorded`]).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// How long a completed message id is remembered: 7 days, longer than every documented retry
/// schedule (Palenca, receeve, Standard Webhooks).
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The SHA-256 of a delivery's verified body, compared by [`IdempotencyStore::claim_with_digest`].
#[must_use]
pub(crate) fn body_digest(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

/// The answer to a [`claim`](IdempotencyStore::claim).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The id was absent (or its previous record had expired): the caller owns it until the
    /// lease's deadline and must [`complete`](IdempotencyStore::complete) or
    /// [`release`](IdempotencyStore::release) it.
    Acquired(Lease),
    /// Another worker holds a live lease on the id. Answer 409 with a `Retry-After` header so
    /// the sender comes back when the lease would have run out.
    InProgress {
        /// The time left on the other worker's lease.
        retry_after: Duration,
    },
    /// The id was processed and is still within its retention: a duplicate. Answer 200
    /// without running the handler.
    Completed,
    /// A live record of the id was claimed with a different body digest: one id, two
    /// different events. Never treated as a duplicate.
    Conflict,
}

/// The right to finish one claimed message id, handed out by
/// [`Claim::Acquired`].
///
/// A lease names the id, an owner token and a deadline. Its fields are private: a lease can
/// only be made by [`Lease::new`], which always draws a fresh owner token, so no code can
/// make a lease that matches somebody else's claim.
///
/// The owner token is 128 bits: the low 64 are a process-wide counter (no two leases of one
/// process ever share a token, so a worker whose lease was taken over can never match the
/// new owner), and the high 64 are a SipHash, keyed by a std `RandomState` seeded once per
/// process from the operating system, of that counter, the wall-clock time and the process
/// id (so workers of different processes sharing one store differ too). Tokens tell owners
/// apart; they are not secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    id: MessageId,
    token: u128,
    expires_at: OffsetDateTime,
}

impl Lease {
    /// A lease on `id` with a fresh owner token, valid until `expires_at`.
    ///
    /// For implementors of [`IdempotencyStore`]: a store calls it when a claim succeeds,
    /// records [`Lease::token`] with the id, and checks it in `complete` and `release`.
    #[must_use]
    pub fn new(id: MessageId, expires_at: OffsetDateTime) -> Self {
        Self {
            id,
            token: new_owner_token(),
            expires_at,
        }
    }

    /// A lease with a token already recorded by a shared store, and the deadline computed
    /// by that store's clock. Crate-private: only a store that drew the token with
    /// [`Lease::new`] and recorded it may rebuild the lease around it.
    #[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
    pub(crate) fn from_parts(id: MessageId, token: u128, expires_at: OffsetDateTime) -> Self {
        Self {
            id,
            token,
            expires_at,
        }
    }

    /// The claimed message id.
    #[must_use]
    pub fn id(&self) -> &MessageId {
        &self.id
    }

    /// The owner token a store records with the claim.
    #[must_use]
    pub fn token(&self) -> u128 {
        self.token
    }

    /// When the lease runs out: from then on another claim may take the id over, and
    /// `complete` and `release` with this lease fail with [`StoreError::LeaseLost`].
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }
}

pub(crate) fn new_owner_token() -> u128 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // Keyed once per process by the OS's randomness, the process id and the start time, so
    // that two processes sharing a store draw different tokens; per call only a counter is
    // hashed (`std::process::id` is a system call, too dear for every claim).
    static SEED: OnceLock<(RandomState, u128)> = OnceLock::new();

    let (keys, salt) = SEED.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        (RandomState::new(), nanos ^ u128::from(std::process::id()))
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut hasher = keys.build_hasher();
    hasher.write_u128(*salt);
    hasher.write_u64(count);
    (u128::from(hasher.finish()) << 64) | u128::from(count)
}

/// `now + duration`, saturating at the largest representable date.
pub(crate) fn deadline(now: OffsetDateTime, duration: Duration) -> OffsetDateTime {
    time::Duration::try_from(duration)
        .ok()
        .and_then(|duration| now.checked_add(duration))
        .unwrap_or(PrimitiveDateTime::MAX.assume_utc())
}

/// Runs a shared store's `complete` or `release` again while it fails with
/// [`StoreError::Unavailable`] (a connection lost, a server restarting, a failover), with
/// exponential backoff and jitter (from 50 ms, doubling up to 1 s), until it succeeds, fails
/// otherwise, or the lease's deadline is too close for another try: past it another claim may
/// own the id, and the store would answer [`StoreError::LeaseLost`] anyway. Only then does
/// a [`Receiver`](crate::Receiver) report [`Received::ProcessedUnrecorded`].
///
/// Safe to repeat: a completion whose reply was lost after the store applied it finds the id
/// completed with the same lease's token, which both shared stores answer as done.
#[cfg(any(feature = "postgres", feature = "redis"))]
pub(crate) async fn retry_transient<F, Fut>(lease: &Lease, mut attempt: F) -> Result<(), StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    const FIRST: Duration = Duration::from_millis(50);
    const LONGEST: Duration = Duration::from_secs(1);
    let mut backoff = FIRST;
    loop {
        match attempt().await {
            Err(StoreError::Unavailable(reason)) => {
                // Half the backoff, plus up to as much again at random: instances that lost the
                // store together do not come back in step.
                let spread = u64::try_from(backoff.as_millis() / 2).unwrap_or(1).max(1);
                let wait = backoff / 2 + Duration::from_millis(random_u64() % spread);
                let left = lease.expires_at() - OffsetDateTime::now_utc();
                if left <= time::Duration::try_from(wait).unwrap_or(time::Duration::MAX) {
                    return Err(StoreError::Unavailable(reason));
                }
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(LONGEST);
            }
            other => return other,
        }
    }
}

/// A fresh pseudo-random number (std's per-process random keys, advanced on every call): for
/// jitter, not for secrets.
#[cfg(any(feature = "postgres", feature = "redis"))]
fn random_u64() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// Why an idempotency store could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The lease no longer owns its message id: its deadline passed, another claim took the
    /// id over, or it was already completed or released. Nothing was changed.
    LeaseLost,
    /// The store has no room for another record: every record it may evict is still in
    /// progress. The sender should retry later.
    Full,
    /// The store could not be reached or answered with an error.
    Unavailable(String),
    /// The store's server is configured so that it could forget completed message ids (a
    /// Redis without persistence, or one that may evict the store's keys): refused at start-up
    /// unless explicitly allowed. The message says what to change.
    Misconfigured(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::LeaseLost => f.write_str("the lease on this message id was lost"),
            StoreError::Full => f.write_str("idempotency store is full of events in progress"),
            StoreError::Unavailable(message) => {
                write!(f, "idempotency store unavailable: {message}")
            }
            StoreError::Misconfigured(message) => write!(f, "idempotency store refused: {message}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// The variant's name in snake case (`lease_lost`, `full`, `unavailable`,
    /// `misconfigured`): the `error` label of `webhook_receiver_store_errors_total`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::LeaseLost => "lease_lost",
            StoreError::Full => "full",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Misconfigured(_) => "misconfigured",
        }
    }

    /// The HTTP status a receiver should answer with: 503 for [`Full`](StoreError::Full) and
    /// [`Unavailable`](StoreError::Unavailable) (the sender should retry later), 409 for
    /// [`LeaseLost`](StoreError::LeaseLost) (another worker owns the event now).
    ///
    /// ```
    /// use webhook_receiver::idempotency::StoreError;
    /// assert_eq!(StoreError::Full.status(), 503);
    /// assert_eq!(StoreError::Unavailable("timeout".into()).status(), 503);
    /// assert_eq!(StoreError::LeaseLost.status(), 409);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            StoreError::LeaseLost => 409,
            StoreError::Full | StoreError::Unavailable(_) | StoreError::Misconfigured(_) => 503,
        }
    }
}

/// Where claims on message ids are recorded: [`MemoryStore`] in one process, or a shared
/// database when the receiver runs as several instances.
///
/// **Sealed**: implemented by [`MemoryStore`], `PostgresStore` and `RedisStore` only. The
/// exactly-once guarantees rest on each store's atomic steps, which the crate's contract suite
/// and model tests prove against the real servers; a store outside the crate could not be held
/// to them. The methods are public so that tests and tools can drive a store directly. Every
/// store keeps this contract:
///
/// - Each method is one atomic step on the store: two concurrent claims of one id never both
///   acquire it (no read-then-write window).
/// - A record is live while `now` is strictly before its deadline (the lease deadline in
///   progress, the retention deadline once completed). A record that is not live behaves
///   exactly like an absent one.
/// - `complete` and `release` succeed only while the lease is live and the record still
///   carries its [`token`](Lease::token); otherwise they fail with
///   [`StoreError::LeaseLost`] and change nothing. The one exception: `complete` with the
///   lease that completed a live record succeeds and changes nothing (a retry of a lost reply).
/// - A transient failure of `complete` or `release` should be retried inside the call, with
///   backoff, while the lease lives (the shared stores do): the receiver does not retry.
/// - A claim with a digest, on a live record claimed with a different digest, answers
///   [`Claim::Conflict`]; when either side has no digest, digests are not compared.
///
/// The methods return `impl Future + Send`, so an implementation can be an `async fn` and the
/// futures can be spawned on a multi-threaded runtime.
pub trait IdempotencyStore: crate::__private::Sealed + Send + Sync {
    /// Claims `id` for `lease`, recording `digest` (the SHA-256 of the verified body, which a
    /// receiver built with `check_digest` computes) with it when acquired.
    ///
    /// Answers [`Claim::Acquired`] when the id is absent or its record has expired,
    /// [`Claim::Conflict`] when a live record carries a different digest,
    /// [`Claim::InProgress`] with the time left on a live lease, and [`Claim::Completed`] for
    /// a completed record within its retention.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the store cannot be reached, [`StoreError::Full`]
    /// when it has no room for a new record.
    fn claim_with_digest(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Claims `id` for `lease` without a body digest: [`claim_with_digest`] with `None`.
    ///
    /// # Errors
    ///
    /// As [`claim_with_digest`].
    ///
    /// [`claim_with_digest`]: IdempotencyStore::claim_with_digest
    fn claim(
        &self,
        id: &MessageId,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send {
        self.claim_with_digest(id, None, lease)
    }

    /// Marks the leased id completed: claims answer [`Claim::Completed`] for `retention`
    /// from now.
    ///
    /// # Errors
    ///
    /// [`StoreError::LeaseLost`] when `lease` is past its deadline or no longer owns the id
    /// (nothing is changed); [`StoreError::Unavailable`] when the store cannot be reached.
    fn complete(
        &self,
        lease: &Lease,
        retention: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Gives the leased id up unprocessed: the next claim acquires it (the sender's retry
    /// processes the event).
    ///
    /// # Errors
    ///
    /// [`StoreError::LeaseLost`] when `lease` is past its deadline or no longer owns the id
    /// (nothing is changed); [`StoreError::Unavailable`] when the store cannot be reached.
    fn release(&self, lease: &Lease) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A short name for the `store` label of the metrics (feature `metrics`): `memory`,
    /// `postgres`, `redis`; `custom` for the stand-ins of the crate's own tests.
    fn name(&self) -> &'static str {
        "custom"
    }

    /// Whether the store lives in this process and its calls do no I/O ([`MemoryStore`]):
    /// the metrics (feature `metrics`) then leave its calls untimed, since two clock reads
    /// would cost about as much as the call. `false` unless you say.
    fn is_in_process(&self) -> bool {
        false
    }
}

/// How a [`Receiver`](crate::Receiver) claims and records deliveries: the same for every
/// delivery of a receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcessOptions {
    /// How long the claim owns the id: [`DEFAULT_LEASE`] unless set. Longer than the
    /// handler's worst case.
    pub(crate) lease: Duration,
    /// How long a processed id is remembered: [`DEFAULT_RETENTION`] unless set.
    pub(crate) retention: Duration,
}

impl ProcessOptions {
    /// The defaults: [`DEFAULT_LEASE`], [`DEFAULT_RETENTION`].
    pub(crate) const fn new() -> Self {
        Self {
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
        }
    }
}

/// Processing once per message id, in two steps so that an adapter can take the first in
/// place and detach only the second: [`claim`] the id, then, with the lease, [`run_claimed`]
/// runs the handler and records the id completed on `Ok` or releases it on `Err`. Each store
/// call and the handler's run go to `meters` and to `span`'s phases (feature `metrics`,
/// `tracing`).
///
/// If the second step is dropped or the handler panics, the record stays in progress until
/// its lease runs out; the sender's next retry after that processes the event.
///
/// The claim of `id` in `store`, timed into `meters` and `span`: the lease to run the handler
/// under, or the answer when the handler must not run.
pub(crate) async fn claim<S: IdempotencyStore, T, E>(
    store: &S,
    id: &MessageId,
    digest: Option<[u8; 32]>,
    options: &ProcessOptions,
    meters: &Meters,
    span: &DeliverySpan,
) -> Result<Lease, Received<T, E>> {
    let watch = Stopwatch::start_if(meters.times_store(span));
    let claimed = store.claim_with_digest(id, digest, options.lease).await;
    settle_claim(claimed, watch.elapsed(), meters, span)
}

/// What a claim came to, recorded: the lease, or the answer when the handler must not run.
pub(crate) fn settle_claim<T, E>(
    claimed: Result<Claim, StoreError>,
    took: Option<std::time::Duration>,
    meters: &Meters,
    span: &DeliverySpan,
) -> Result<Lease, Received<T, E>> {
    meters.store_op(Op::Claim, took, claimed.as_ref().err());
    span.phase(Phase::Claim, took);
    match claimed {
        Ok(Claim::Acquired(lease)) => Ok(lease),
        Ok(Claim::InProgress { retry_after }) => Err(Received::InProgress { retry_after }),
        Ok(Claim::Completed) => Err(Received::Duplicate),
        Ok(Claim::Conflict) => Err(Received::Conflict),
        Err(error) => Err(Received::StoreFailed(error)),
    }
}

/// Runs `handler` under `lease`, then records the id completed on `Ok` or releases it on
/// `Err`, each step timed into `meters` and `span`.
pub(crate) async fn run_claimed<S, F, Fut, T, E>(
    store: &S,
    lease: Lease,
    options: &ProcessOptions,
    handler: F,
    meters: &Meters,
    span: &DeliverySpan,
) -> Received<T, E>
where
    S: IdempotencyStore,
    F: FnOnce(Lease) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let timed = meters.times_store(span);
    let watch = Stopwatch::start_if(Meters::times_handler(span));
    let ran = handler(lease.clone()).await;
    let took = watch.elapsed();
    meters.handler(ran.is_ok(), took);
    span.phase(Phase::Handler, took);
    let watch = Stopwatch::start_if(timed);
    let outcome = match ran {
        Ok(value) => {
            let completed = store.complete(&lease, options.retention).await;
            meters.store_op(Op::Complete, watch.elapsed(), completed.as_ref().err());
            match completed {
                Ok(()) => Received::Processed(value),
                Err(error) => Received::ProcessedUnrecorded { value, error },
            }
        }
        Err(error) => {
            let released = store.release(&lease).await;
            meters.store_op(Op::Release, watch.elapsed(), released.as_ref().err());
            Received::HandlerFailed {
                error,
                release_error: released.err(),
            }
        }
    };
    span.phase(Phase::Complete, watch.elapsed());
    outcome
}
