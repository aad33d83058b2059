//! What the receiver tells an operator: one tracing span per delivery and per inbox attempt
//! (feature `tracing`), and metrics through the [`metrics`](https://docs.rs/metrics) facade
//! (feature `metrics`; the application installs the exporter it wants, Prometheus or other).
//! Without the features nothing is measured and nothing here costs anything.
//!
//! The observability guide (`docs/observability.md`, [`guide::observability`](crate::guide::observability)) lists every metric, label and span field with its
//! meaning; the names are also constants here ([`metric`], [`span`]) so that a test or a
//! dashboard generator can refer to them.
//!
//! # Spans
//!
//! - `webhook.receive` (level INFO, target `webhook_receiver`): one per delivery through a
//!   [`Receiver`](crate::Receiver), an [`Inbox`](crate::inbox::Inbox)'s receiving side or the
//!   `VerifiedWebhook` extractors. It is a child of whatever span is current, so that under
//!   tower-http's `TraceLayer` it nests in the request's span. Fields follow OpenTelemetry's
//!   semantic conventions where one exists: `messaging.message.id`,
//!   `messaging.operation.type` (`receive`), `http.response.status_code`, `error.type`,
//!   `otel.status_code` (`ERROR` when the answer is a 5xx); the rest are `webhook.*`:
//!   the provider, the outcome, and the time each phase took in microseconds.
//! - `webhook.process` (level INFO): one per attempt of an inbox worker, with the provider,
//!   the message id, `messaging.operation.type` (`process`), the attempt number, the outcome
//!   and the handler's time. The handler's own spans and events nest in it.
//!
//! # Events
//!
//! Target `webhook_receiver`, so `RUST_LOG=webhook_receiver=debug` (or `=warn`) picks them out:
//!
//! | level | when |
//! |---|---|
//! | DEBUG | processed, duplicate, in progress, enqueued, verified, an attempt completed |
//! | INFO | a delivery rejected: `reason` (the [`Error::kind`](crate::Error::kind)), `status` and a `detail`: the error's `Display`, which never quotes the body |
//! | WARN | a handler failed (the inline receiver) or an attempt failed and is retried; one id with two bodies; processed but the completion not recorded |
//! | ERROR | a store or inbox could not be reached; a delivery moved to the dead letters |
//!
//! Nothing logged carries a secret, a signature, a token or body bytes: the message id is the
//! only value taken from the delivery (it is a digest of the body for providers whose id is
//! one), and parser messages, which can quote the body, are replaced by their position.
//! Handler errors of inbox workers are logged with their `Display` text, as the dead letters
//! keep it: keep secrets out of your error messages.

// Arrays of handles are indexed by the discriminants of `Verdict` and `Op`, each below its
// array's length by construction.
#![allow(clippy::indexing_slicing)]

use std::time::Duration;

/// The metric names (feature `metrics`).
pub mod metric {
    /// Counter, labels `provider`, `outcome`: every delivery that reached a receiver, by what
    /// became of it (see [`OUTCOMES`](super::OUTCOMES)).
    pub const DELIVERIES: &str = "webhook_receiver_deliveries_total";
    /// Counter, labels `provider`, `reason`: rejected deliveries by
    /// [`Error::kind`](crate::Error::kind) (a fixed set of 17, listed in the observability guide).
    pub const REJECTIONS: &str = "webhook_receiver_rejections_total";
    /// Histogram (seconds), labels `provider`, `result` (`ok`, `error`): how long handlers
    /// ran, inline and in inbox workers (a panic counts as `error`).
    pub const HANDLER_DURATION: &str = "webhook_receiver_handler_duration_seconds";
    /// Histogram (seconds), labels `store`, `operation`: each call to an idempotency store
    /// (`claim`, `complete`, `release`) or an inbox (`enqueue`, `complete`, `retry`,
    /// `release`, `dead_letter`, `extend`), failed or not. The in-process
    /// [`MemoryStore`](crate::idempotency::MemoryStore)'s calls are not timed: they take about as long as
    /// the clock reads that would time them.
    pub const STORE_DURATION: &str = "webhook_receiver_store_operation_duration_seconds";
    /// Counter, labels `store`, `operation`, `error` (the
    /// [`StoreError::kind`](crate::idempotency::StoreError::kind)): failed store calls.
    pub const STORE_ERRORS: &str = "webhook_receiver_store_errors_total";
    /// Counter, label `early` (`true`, `false`): records a full
    /// [`MemoryStore`](crate::idempotency::MemoryStore) dropped to make room; `early="true"` ones were
    /// still within their retention, so a retry of theirs is processed again.
    pub const MEMORY_EVICTIONS: &str = "webhook_receiver_memory_store_evictions_total";
    /// Counter, labels `provider`, `outcome` (`completed`, `retried`, `dead_lettered`,
    /// `released`, `unrecorded`): what became of each attempt of an inbox worker.
    pub const INBOX_ATTEMPTS: &str = "webhook_receiver_inbox_attempts_total";
    /// Gauge, labels `inbox`, `state` (`pending`, `in_flight`, `dead`, `completed`): the
    /// inbox's contents as its [`stats`](crate::inbox::Inbox::stats) last gave them,
    /// sampled by each running worker (every 10 s unless set).
    pub const INBOX_DELIVERIES: &str = "webhook_receiver_inbox_deliveries";
    /// Gauge, label `provider`: handlers running now in this process's workers.
    pub const INBOX_RUNNING: &str = "webhook_receiver_inbox_handlers_running";
}

/// The span names and their fields (feature `tracing`).
pub mod span {
    /// One per delivery received.
    pub const RECEIVE: &str = "webhook.receive";
    /// One per attempt of an inbox worker.
    pub const PROCESS: &str = "webhook.process";
    /// The provider's [`name`](crate::Provider::name).
    pub const PROVIDER: &str = "webhook.provider";
    /// The message id, once the delivery parsed.
    pub const MESSAGE_ID: &str = "messaging.message.id";
    /// `receive` or `process`.
    pub const OPERATION: &str = "messaging.operation.type";
    /// What became of the delivery ([`OUTCOMES`](super::OUTCOMES)) or of the attempt.
    pub const OUTCOME: &str = "webhook.outcome";
    /// The status answered.
    pub const STATUS: &str = "http.response.status_code";
    /// Why it failed: an [`Error::kind`](crate::Error::kind), a
    /// [`StoreError::kind`](crate::idempotency::StoreError::kind), `handler` or `panic`.
    pub const ERROR_TYPE: &str = "error.type";
}

/// Every `outcome` label of [`metric::DELIVERIES`] and `webhook.outcome` of a receive span.
///
/// | outcome | meaning | status |
/// |---|---|---|
/// | `processed` | the handler ran and succeeded, the completion is recorded | 200 |
/// | `processed_unrecorded` | the handler succeeded, the completion could not be recorded | 200 |
/// | `duplicate` | already processed (or already in the inbox) | 200 |
/// | `in_progress` | another request holds the id | 409 |
/// | `conflict` | a live record of the id has another body | 422 |
/// | `handler_failed` | the handler ran and failed | 500 |
/// | `store_failed` | the store or inbox could not be reached | 503 |
/// | `rejected` | verification, parsing or reading the body failed | 400, 401, 408, 413, 422 |
/// | `enqueued` | an inbox recorded it for its workers | 200 |
/// | `verified` | verified and parsed, with no deduplication (`VerifiedWebhook`) | yours |
pub const OUTCOMES: [&str; 10] = [
    "processed",
    "processed_unrecorded",
    "duplicate",
    "in_progress",
    "conflict",
    "handler_failed",
    "store_failed",
    "rejected",
    "enqueued",
    "verified",
];

/// What became of a delivery; indexes [`OUTCOMES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Processed = 0,
    ProcessedUnrecorded = 1,
    Duplicate = 2,
    InProgress = 3,
    Conflict = 4,
    HandlerFailed = 5,
    StoreFailed = 6,
    Rejected = 7,
    #[cfg_attr(not(feature = "inbox"), allow(dead_code))]
    Enqueued = 8,
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    Verified = 9,
}

impl Verdict {
    pub(crate) fn label(self) -> &'static str {
        OUTCOMES[self as usize]
    }

    pub(crate) fn of<T, E>(received: &crate::Received<T, E>) -> Self {
        use crate::Received;
        match received {
            Received::Rejected(_) => Verdict::Rejected,
            Received::Processed(_) => Verdict::Processed,
            Received::ProcessedUnrecorded { .. } => Verdict::ProcessedUnrecorded,
            Received::Duplicate => Verdict::Duplicate,
            Received::InProgress { .. } => Verdict::InProgress,
            Received::Conflict => Verdict::Conflict,
            Received::HandlerFailed { .. } => Verdict::HandlerFailed,
            Received::StoreFailed(_) => Verdict::StoreFailed,
        }
    }
}

/// A store or inbox call, for [`metric::STORE_DURATION`]; indexes [`OPERATIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Claim = 0,
    Complete = 1,
    Release = 2,
    #[cfg_attr(not(feature = "inbox"), allow(dead_code))]
    Enqueue = 3,
    #[cfg_attr(not(feature = "inbox"), allow(dead_code))]
    Retry = 4,
    #[cfg_attr(not(feature = "inbox"), allow(dead_code))]
    DeadLetter = 5,
    #[cfg_attr(not(feature = "inbox"), allow(dead_code))]
    Extend = 6,
}

#[cfg_attr(not(any(feature = "tracing", feature = "metrics")), allow(dead_code))]
const OPERATIONS: [&str; 7] = [
    "claim",
    "complete",
    "release",
    "enqueue",
    "retry",
    "dead_letter",
    "extend",
];

impl Op {
    #[cfg_attr(not(any(feature = "tracing", feature = "metrics")), allow(dead_code))]
    fn label(self) -> &'static str {
        OPERATIONS[self as usize]
    }
}

/// A point in time to measure a phase from, or nothing: without the features, or when
/// nobody would see the measure (a clock read costs about 25 ns, a good share of a
/// duplicate's whole cost).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopwatch {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    start: Option<std::time::Instant>,
}

impl Stopwatch {
    /// Starts measuring when `on`.
    #[inline]
    pub(crate) fn start_if(on: bool) -> Self {
        #[cfg(not(any(feature = "tracing", feature = "metrics")))]
        let _ = on;
        Self {
            #[cfg(any(feature = "tracing", feature = "metrics"))]
            start: on.then(std::time::Instant::now),
        }
    }

    /// The time since the start, `None` when not measuring.
    #[inline]
    pub(crate) fn elapsed(self) -> Option<Duration> {
        #[cfg(any(feature = "tracing", feature = "metrics"))]
        {
            self.start.map(|start| start.elapsed())
        }
        #[cfg(not(any(feature = "tracing", feature = "metrics")))]
        {
            None
        }
    }
}

/// The phases of a receive, for its span's `webhook.*_us` fields.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    Verify,
    Parse,
    /// The claim, or an inbox's enqueue.
    Claim,
    Handler,
    /// The completion or the release after the handler.
    Complete,
}

/// The span of one delivery or one attempt; nothing without feature `tracing`.
#[derive(Debug, Clone)]
pub(crate) struct DeliverySpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl DeliverySpan {
    /// A `webhook.receive` span, child of the current one.
    #[inline]
    pub(crate) fn receive(provider: &'static str) -> Self {
        #[cfg(not(feature = "tracing"))]
        let _ = provider;
        Self {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                target: "webhook_receiver",
                "webhook.receive",
                "webhook.provider" = provider,
                "messaging.operation.type" = "receive",
                "messaging.message.id" = tracing::field::Empty,
                "webhook.outcome" = tracing::field::Empty,
                "http.response.status_code" = tracing::field::Empty,
                "error.type" = tracing::field::Empty,
                "otel.status_code" = tracing::field::Empty,
                "webhook.verify_us" = tracing::field::Empty,
                "webhook.parse_us" = tracing::field::Empty,
                "webhook.claim_us" = tracing::field::Empty,
                "webhook.handler_us" = tracing::field::Empty,
                "webhook.complete_us" = tracing::field::Empty,
            ),
        }
    }

    /// A `webhook.process` span for attempt `attempt` of `id`.
    #[cfg(feature = "inbox")]
    #[inline]
    pub(crate) fn process(provider: &'static str, id: &crate::MessageId, attempt: u32) -> Self {
        #[cfg(not(feature = "tracing"))]
        let _ = (provider, id, attempt);
        Self {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                target: "webhook_receiver",
                "webhook.process",
                "webhook.provider" = provider,
                "messaging.operation.type" = "process",
                "messaging.message.id" = id.as_str(),
                "webhook.attempt" = attempt,
                "webhook.outcome" = tracing::field::Empty,
                "error.type" = tracing::field::Empty,
                "otel.status_code" = tracing::field::Empty,
                "webhook.handler_us" = tracing::field::Empty,
            ),
        }
    }

    /// Runs `future` inside the span (the span goes with the future if it moves to a task).
    #[inline]
    pub(crate) fn wrap<F: std::future::Future>(
        &self,
        future: F,
    ) -> impl std::future::Future<Output = F::Output> {
        #[cfg(feature = "tracing")]
        {
            tracing::Instrument::instrument(future, self.span.clone())
        }
        #[cfg(not(feature = "tracing"))]
        {
            future
        }
    }

    /// Runs `f` inside the span.
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    #[inline]
    pub(crate) fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        #[cfg(feature = "tracing")]
        {
            self.span.in_scope(f)
        }
        #[cfg(not(feature = "tracing"))]
        {
            f()
        }
    }

    #[inline]
    pub(crate) fn id(&self, id: &crate::MessageId) {
        // `record` looks the field up by name even on a span nobody records: skip it then.
        #[cfg(feature = "tracing")]
        if !self.span.is_disabled() {
            self.span.record("messaging.message.id", id.as_str());
        }
        #[cfg(not(feature = "tracing"))]
        let _ = id;
    }

    /// Whether a subscriber records this span (its phases are measured only then).
    #[inline]
    pub(crate) fn is_enabled(&self) -> bool {
        #[cfg(feature = "tracing")]
        {
            !self.span.is_disabled()
        }
        #[cfg(not(feature = "tracing"))]
        {
            false
        }
    }

    #[inline]
    pub(crate) fn phase(&self, phase: Phase, took: Option<Duration>) {
        #[cfg(feature = "tracing")]
        if let Some(took) = took.filter(|_| !self.span.is_disabled()) {
            let field = match phase {
                Phase::Verify => "webhook.verify_us",
                Phase::Parse => "webhook.parse_us",
                Phase::Claim => "webhook.claim_us",
                Phase::Handler => "webhook.handler_us",
                Phase::Complete => "webhook.complete_us",
            };
            self.span
                .record(field, u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (phase, took);
    }

    /// Records the end: what became of it, the status, and why it failed.
    #[inline]
    pub(crate) fn finish(&self, outcome: &'static str, status: Option<u16>, error: Option<&str>) {
        #[cfg(feature = "tracing")]
        if !self.span.is_disabled() {
            self.span.record("webhook.outcome", outcome);
            if let Some(status) = status {
                self.span.record("http.response.status_code", status);
            }
            if let Some(error) = error {
                self.span.record("error.type", error);
                if status.is_none_or(|status| status >= 500) {
                    self.span.record("otel.status_code", "ERROR");
                }
            }
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (outcome, status, error);
    }
}

/// Metric handles of one receiver, inbox or worker, each registered with the installed
/// recorder the first time it is used (so a recorder installed after the receiver was built,
/// but before its first delivery, gets everything); nothing without feature `metrics`.
pub(crate) struct Meters {
    provider: &'static str,
    store: &'static str,
    /// Whether the store's calls are timed: not for an in-process store, whose calls take
    /// about as long as the two clock reads that would time them.
    time_store: bool,
    #[cfg(feature = "metrics")]
    cells: Cells,
}

#[cfg(feature = "metrics")]
#[derive(Default)]
struct Cells {
    deliveries: [std::sync::OnceLock<metrics::Counter>; OUTCOMES.len()],
    handler: [std::sync::OnceLock<metrics::Histogram>; 2],
    ops: [std::sync::OnceLock<metrics::Histogram>; OPERATIONS.len()],
}

impl std::fmt::Debug for Meters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meters")
            .field("provider", &self.provider)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Meters {
    pub(crate) fn new(provider: &'static str, store: &'static str) -> Self {
        Self {
            provider,
            store,
            time_store: true,
            #[cfg(feature = "metrics")]
            cells: Cells::default(),
        }
    }

    /// Meters for an idempotency store: the calls of an in-process one
    /// ([`IdempotencyStore::is_in_process`](crate::idempotency::IdempotencyStore::is_in_process)) are not
    /// timed.
    pub(crate) fn for_store(
        provider: &'static str,
        store: &impl crate::idempotency::IdempotencyStore,
    ) -> Self {
        Self {
            time_store: !store.is_in_process(),
            ..Self::new(provider, store.name())
        }
    }

    /// Whether the store's latency goes to the metrics.
    #[inline]
    pub(crate) fn records_store_latency(&self) -> bool {
        cfg!(feature = "metrics") && self.time_store
    }

    /// Whether the store's calls should be timed: the metrics record their latency or `span`
    /// shows it.
    #[inline]
    pub(crate) fn times_store(&self, span: &DeliverySpan) -> bool {
        self.records_store_latency() || span.is_enabled()
    }

    /// Whether handlers should be timed: their durations are recorded or `span` shows them.
    #[inline]
    pub(crate) fn times_handler(span: &DeliverySpan) -> bool {
        cfg!(feature = "metrics") || span.is_enabled()
    }

    #[inline]
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn provider(&self) -> &'static str {
        self.provider
    }

    /// Counts a delivery's verdict.
    #[inline]
    pub(crate) fn delivered(&self, verdict: Verdict) {
        #[cfg(feature = "metrics")]
        {
            let provider = self.provider;
            self.cells.deliveries[verdict as usize].get_or_init(|| {
                describe();
                metrics::counter!(metric::DELIVERIES, "provider" => provider, "outcome" => verdict.label())
            })
            .increment(1);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = verdict;
    }

    /// A rejected delivery: counted (outcome `rejected`, and by reason), its span finished,
    /// the reason logged at INFO.
    pub(crate) fn rejected(&self, error: &crate::Error, span: &DeliverySpan) {
        span.finish(
            Verdict::Rejected.label(),
            Some(error.status()),
            Some(error.kind()),
        );
        self.delivered(Verdict::Rejected);
        let provider = self.provider;
        #[cfg(feature = "metrics")]
        metrics::counter!(metric::REJECTIONS, "provider" => provider, "reason" => error.kind())
            .increment(1);
        #[cfg(feature = "tracing")]
        tracing::info!(
            target: "webhook_receiver",
            provider,
            reason = error.kind(),
            status = error.status(),
            detail = %error,
            "webhook rejected"
        );
        #[cfg(not(any(feature = "metrics", feature = "tracing")))]
        let _ = provider;
    }

    /// A handler's run.
    #[inline]
    pub(crate) fn handler(&self, ok: bool, took: Option<Duration>) {
        #[cfg(feature = "metrics")]
        if let Some(took) = took {
            let provider = self.provider;
            let result = if ok { "ok" } else { "error" };
            self.cells.handler[usize::from(!ok)].get_or_init(|| {
                describe();
                metrics::histogram!(metric::HANDLER_DURATION, "provider" => provider, "result" => result)
            })
            .record(took);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (ok, took);
    }

    /// A store or inbox call and its result.
    #[inline]
    pub(crate) fn store_op(
        &self,
        op: Op,
        took: Option<Duration>,
        error: Option<&crate::idempotency::StoreError>,
    ) {
        #[cfg(feature = "metrics")]
        {
            let store = self.store;
            if let Some(took) = took.filter(|_| self.time_store) {
                self.cells.ops[op as usize].get_or_init(|| {
                    describe();
                    metrics::histogram!(metric::STORE_DURATION, "store" => store, "operation" => op.label())
                })
                .record(took);
            }
            if let Some(error) = error {
                metrics::counter!(
                    metric::STORE_ERRORS,
                    "store" => store,
                    "operation" => op.label(),
                    "error" => error.kind()
                )
                .increment(1);
            }
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (op, took, error);
        #[cfg(feature = "tracing")]
        if let Some(error) = error {
            if matches!(error, crate::idempotency::StoreError::LeaseLost) {
                tracing::warn!(
                    target: "webhook_receiver",
                    store = self.store,
                    operation = op.label(),
                    "the lease was lost: another worker may take this delivery over"
                );
            } else {
                tracing::error!(
                    target: "webhook_receiver",
                    store = self.store,
                    operation = op.label(),
                    error = %error,
                    "store call failed"
                );
            }
        }
    }

    /// An inbox worker's attempt ended (`outcome` one of the attempt outcomes).
    #[cfg(feature = "inbox")]
    pub(crate) fn attempt(&self, outcome: &'static str) {
        #[cfg(feature = "metrics")]
        metrics::counter!(metric::INBOX_ATTEMPTS, "provider" => self.provider, "outcome" => outcome)
            .increment(1);
        #[cfg(not(feature = "metrics"))]
        let _ = outcome;
    }

    /// A handler starts in an inbox worker; the gauge goes down when the guard drops.
    #[cfg(feature = "inbox")]
    pub(crate) fn running(&self) -> Running {
        #[cfg(feature = "metrics")]
        {
            describe();
            let gauge = metrics::gauge!(metric::INBOX_RUNNING, "provider" => self.provider);
            gauge.increment(1.0);
            Running { gauge }
        }
        #[cfg(not(feature = "metrics"))]
        Running {}
    }

    /// The inbox's contents, sampled by a worker.
    #[cfg(all(feature = "inbox", feature = "metrics"))]
    pub(crate) fn inbox_stats(&self, stats: &crate::inbox::InboxStats) {
        {
            describe();
            #[allow(clippy::cast_precision_loss)] // counts far below 2^52
            for (state, n) in [
                ("pending", stats.pending),
                ("in_flight", stats.in_flight),
                ("dead", stats.dead),
                ("completed", stats.completed),
            ] {
                metrics::gauge!(metric::INBOX_DELIVERIES, "inbox" => self.store, "state" => state)
                    .set(n as f64);
            }
        }
    }
}

/// The gauge of running handlers, lowered on drop (also when a handler is cancelled).
#[cfg(feature = "inbox")]
pub(crate) struct Running {
    #[cfg(feature = "metrics")]
    gauge: metrics::Gauge,
}

#[cfg(feature = "inbox")]
impl Drop for Running {
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        self.gauge.decrement(1.0);
    }
}

/// The eviction counters of one [`MemoryStore`](crate::idempotency::MemoryStore), registered on first use.
#[derive(Default)]
pub(crate) struct Evictions {
    #[cfg(feature = "metrics")]
    counters: [std::sync::OnceLock<metrics::Counter>; 2],
}

impl std::fmt::Debug for Evictions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evictions").finish_non_exhaustive()
    }
}

impl Evictions {
    /// Evictions of a full shard (`early`: still within their retention).
    #[inline]
    pub(crate) fn evicted(&self, total: u64, early: u64) {
        #[cfg(feature = "metrics")]
        for (index, n) in [(0, total.saturating_sub(early)), (1, early)] {
            if n > 0 {
                let early = if index == 1 { "true" } else { "false" };
                self.counters[index]
                    .get_or_init(|| {
                        describe();
                        metrics::counter!(metric::MEMORY_EVICTIONS, "early" => early)
                    })
                    .increment(n);
            }
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (total, early);
    }
}

/// Describes every metric to the recorder (units and help texts), once per process.
#[cfg(feature = "metrics")]
fn describe() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        use metrics::Unit;
        metrics::describe_counter!(
            metric::DELIVERIES,
            Unit::Count,
            "Deliveries by provider and outcome"
        );
        metrics::describe_counter!(
            metric::REJECTIONS,
            Unit::Count,
            "Rejected deliveries by provider and reason"
        );
        metrics::describe_histogram!(
            metric::HANDLER_DURATION,
            Unit::Seconds,
            "Handler run time by provider and result"
        );
        metrics::describe_histogram!(
            metric::STORE_DURATION,
            Unit::Seconds,
            "Idempotency store and inbox call latency by store and operation"
        );
        metrics::describe_counter!(
            metric::STORE_ERRORS,
            Unit::Count,
            "Failed store and inbox calls by store, operation and error"
        );
        metrics::describe_counter!(
            metric::MEMORY_EVICTIONS,
            Unit::Count,
            "Records a full memory store evicted; early=true ones were within their retention"
        );
        metrics::describe_counter!(
            metric::INBOX_ATTEMPTS,
            Unit::Count,
            "Inbox worker attempts by provider and outcome"
        );
        metrics::describe_gauge!(
            metric::INBOX_DELIVERIES,
            Unit::Count,
            "Deliveries in the inbox by state, as last sampled"
        );
        metrics::describe_gauge!(
            metric::INBOX_RUNNING,
            Unit::Count,
            "Handlers running in this process's inbox workers"
        );
    });
}
