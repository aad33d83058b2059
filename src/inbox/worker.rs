//! The worker runtime: concurrent handlers over an inbox, with heartbeats, retries, dead
//! letters and a graceful shutdown.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::{Backend, Inbox, Job, StoreError};
use crate::future::done_or;
use crate::observe::{DeliverySpan, Meters, Op, Phase, Stopwatch};
use crate::{Delivery, Provider};

/// How failed runs are retried: exponential backoff with jitter, up to a number of attempts,
/// then the dead letters.
///
/// The wait after the `n`-th failed attempt is `initial * 2^(n-1)`, capped at `max`, then
/// drawn uniformly between half of that and all of it, so that deliveries failing together
/// do not come back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial: Duration,
    max: Duration,
}

impl Default for RetryPolicy {
    /// 26 attempts; waits from 1 s, doubling, capped at 4 hours, each drawn between half and
    /// all of its doubling: the 25 waits add up to between 24.3 and 48.5 hours, so a delivery
    /// whose handler keeps failing (a downstream service down for a day) reaches the dead
    /// letters a day or two after its first failure, as the senders' own schedules do
    /// (Stripe retries for about three days, Standard Webhooks senders for about a day).
    ///
    /// | after failed attempt | wait (full; drawn between half of it and all of it) |
    /// |---|---|
    /// | 1, 2, 3, 4 | 1 s, 2 s, 4 s, 8 s |
    /// | 5, 6, 7, 8 | 16 s, 32 s, 64 s, 128 s |
    /// | 9, 10, 11 | 256 s, 512 s, 1,024 s (17 min) |
    /// | 12, 13, 14 | 2,048 s (34 min), 4,096 s (68 min), 8,192 s (2.3 h) |
    /// | 15 to 25 | 4 h each |
    /// | 26 | none: the dead letters |
    ///
    /// ```
    /// use std::time::Duration;
    /// use webhook_receiver::inbox::RetryPolicy;
    /// let policy = RetryPolicy::default();
    /// let waits = |jitter| (1..policy.max_attempts()).map(|a| policy.delay(a, jitter)).sum::<Duration>();
    /// let hours = |h: f64| Duration::from_secs_f64(h * 3600.0);
    /// assert!(waits(0.0) >= hours(24.0) && waits(0.0) < hours(24.5));
    /// assert!(waits(0.999_999) < hours(48.6));
    /// ```
    fn default() -> Self {
        Self {
            max_attempts: 26,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(4 * 60 * 60),
        }
    }
}

impl RetryPolicy {
    /// At most `max_attempts` runs (at least 1) with the default waits.
    #[must_use]
    pub fn attempts(max_attempts: u32) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            ..Self::default()
        }
    }

    /// The first wait, and the longest.
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial = initial;
        self.max = max.max(initial);
        self
    }

    /// How many runs a delivery gets before the dead letters.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait after failed attempt `attempt` (from 1), for a `jitter` in `[0, 1)`.
    #[must_use]
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        let full = self
            .initial
            .checked_mul(1_u32 << doublings.min(31))
            .unwrap_or(self.max)
            .min(self.max);
        full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// What a [`Worker::run`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerReport {
    /// Runs that succeeded and were recorded completed.
    pub completed: u64,
    /// Runs that failed and were put back for a retry.
    pub retried: u64,
    /// Deliveries moved to the dead letters.
    pub dead_lettered: u64,
    /// Runs handed back uncounted: stopped by the shutdown past its grace period, or (a
    /// transactional run) not started because no connection could be had for its transaction.
    pub released: u64,
    /// Runs whose outcome could not be recorded: their visibility ran out (another worker
    /// may have taken the delivery over) or the backend stayed unreachable. The delivery is
    /// run again after its visibility.
    pub unrecorded: u64,
}

/// Runs a handler over the deliveries of an [`Inbox`].
pub struct Worker<P> {
    inbox: Inbox<P>,
    options: Options,
}

#[derive(Debug, Clone, Copy)]
struct Options {
    concurrency: usize,
    visibility: Duration,
    retry: RetryPolicy,
    grace: Duration,
    wait: Duration,
    /// How often the inbox's contents are sampled into the metrics (feature `metrics`).
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    stats_every: Duration,
}

impl<P> fmt::Debug for Worker<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Options of a [`Worker`].
#[must_use]
pub struct WorkerBuilder<P> {
    inbox: Inbox<P>,
    options: Options,
}

impl<P> fmt::Debug for WorkerBuilder<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerBuilder")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<P> WorkerBuilder<P> {
    /// How many handlers run at once (at least 1; default 4).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.options.concurrency = concurrency.max(1);
        self
    }

    /// How long a taken delivery stays invisible to other workers without a heartbeat
    /// (default 30 s). The worker renews it every third of that while the handler runs, so a
    /// handler may run longer; a worker that dies stops renewing, and another worker takes the
    /// delivery over this long after the last renewal.
    pub fn visibility_timeout(mut self, visibility: Duration) -> Self {
        self.options.visibility = visibility.max(Duration::from_millis(30));
        self
    }

    /// How failed runs are retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.options.retry = retry;
        self
    }

    /// How long a shutdown waits for the handlers running (default 30 s); those still
    /// running then are stopped and their deliveries handed back, uncounted.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.options.grace = grace;
        self
    }

    /// How often a running worker samples the inbox's [`stats`](Inbox::stats) into
    /// the `webhook_receiver_inbox_deliveries` gauges (feature `metrics`; default 10 s, at
    /// least 100 ms). Each sample is one query of the backend (on PostgreSQL a count over the
    /// inbox's table).
    pub fn stats_interval(mut self, every: Duration) -> Self {
        self.options.stats_every = every.max(Duration::from_millis(100));
        self
    }

    /// The worker.
    pub fn build(self) -> Worker<P> {
        Worker {
            inbox: self.inbox,
            options: self.options,
        }
    }
}

/// The stop signals of one run, in order: stop taking, then stop running.
struct Stop {
    taking: tokio::sync::watch::Sender<bool>,
    running: tokio::sync::watch::Sender<bool>,
}

impl Stop {
    fn new() -> Self {
        Self {
            taking: tokio::sync::watch::Sender::new(false),
            running: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Completes once `signal` is given.
    async fn given(signal: &tokio::sync::watch::Sender<bool>) {
        // The sender lives as long as the run, so the wait ends only when the signal is given.
        let _ = signal.subscribe().wait_for(|given| *given).await;
    }
}

/// A handler's future with its panics caught: a panic ends it as `Err(Panicked)`, and the
/// future is not polled again.
struct CatchUnwind<F>(std::pin::Pin<Box<F>>);

/// The handler panicked (the panic hook has reported it).
struct Panicked;

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Self::Output> {
        let future = self.0.as_mut();
        // The future is dropped after a panic (the run fails and nothing polls it again), so
        // no state it left half-changed is seen.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(_) => Poll::Ready(Err(Panicked)),
        }
    }
}

/// A number in `[0, 1)` drawn from the process's token generator (no `rand` needed).
fn jitter() -> f64 {
    let bits = (crate::idempotency::new_owner_token() >> 75) as u64;
    bits as f64 / (1_u64 << 53) as f64
}

impl<P> Worker<P>
where
    P: Provider + Send + Sync + 'static,
    P::Event: Send + 'static,
{
    /// A worker with options, over `inbox`'s backend and provider.
    pub fn builder(inbox: Inbox<P>) -> WorkerBuilder<P> {
        WorkerBuilder {
            inbox,
            options: Options {
                concurrency: 4,
                visibility: Duration::from_secs(30),
                retry: RetryPolicy::default(),
                grace: Duration::from_secs(30),
                // How long a take waits for work before it looks at the stop signal again.
                wait: Duration::from_secs(1),
                stats_every: Duration::from_secs(10),
            },
        }
    }

    /// Runs `handler` on the inbox's deliveries, `concurrency` at a time, until `shutdown`
    /// completes; then stops taking, lets the running handlers finish within the grace
    /// period, hands back those that do not, and answers what it did.
    ///
    /// A panic in the handler fails that run (retried like an error) and nothing else. A backend that cannot be reached is retried with backoff
    /// until it answers again: the worker does not give up on its own.
    pub async fn run<F, Fut, E>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()> + Send,
    ) -> WorkerReport
    where
        F: Fn(Delivery<P::Event>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        self.run_jobs(
            move |delivery, _job: &Job| {
                let run = handler(delivery);
                async move { run.await.map(|()| Ran::Succeeded) }
            },
            shutdown,
        )
        .await
    }

    /// The inbox.
    #[cfg_attr(not(all(feature = "inbox", feature = "postgres")), allow(dead_code))]
    pub(crate) fn inbox(&self) -> &Inbox<P> {
        &self.inbox
    }

    /// [`run`](Worker::run) for a handler that may record its own completion ([`Ran`]).
    pub(crate) async fn run_jobs<F, Fut, E>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()> + Send,
    ) -> WorkerReport
    where
        F: Fn(Delivery<P::Event>, &Job) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Ran, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let stop = Arc::new(Stop::new());
        let report = Arc::new(Mutex::new(WorkerReport::default()));
        let mut slots = JoinSet::new();
        let spawn = |slots: &mut JoinSet<()>| {
            let slot = Slot {
                inbox: self.inbox.clone(),
                options: self.options,
                stop: Arc::clone(&stop),
                report: Arc::clone(&report),
            };
            slots.spawn(slot.run(handler.clone()));
        };
        for _ in 0..self.options.concurrency {
            spawn(&mut slots);
        }
        #[cfg(feature = "metrics")]
        let sampler = tokio::spawn(sample_stats(
            self.inbox.clone(),
            self.options.stats_every,
            Arc::clone(&stop),
        ));
        // Until the shutdown: a slot that ended (its task panicked, which the handler's own
        // panics never do: they are caught) is started again, so the worker keeps its
        // concurrency.
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let ended = std::future::poll_fn(|cx| {
                if shutdown.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                match slots.poll_join_next(cx) {
                    Poll::Ready(Some(ended)) => Poll::Ready(Some(ended.is_err())),
                    // No slot left cannot happen while there are `concurrency` of them.
                    Poll::Ready(None) | Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match ended {
                None => break,
                Some(panicked) => {
                    #[cfg(feature = "tracing")]
                    tracing::error!(
                        target: "webhook_receiver",
                        provider = self.inbox.meters().provider(),
                        panicked,
                        "a worker slot ended before the shutdown: started again"
                    );
                    #[cfg(not(feature = "tracing"))]
                    let _ = panicked;
                    spawn(&mut slots);
                }
            }
        }
        stop.taking.send_replace(true);
        #[cfg(feature = "metrics")]
        sampler.abort();
        let grace = tokio::time::Instant::now() + self.options.grace;
        loop {
            match tokio::time::timeout_at(grace, slots.join_next()).await {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    // Past the grace period: the slots stop their handlers and hand back.
                    stop.running.send_replace(true);
                    while slots.join_next().await.is_some() {}
                    break;
                }
            }
        }
        *report
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Samples the inbox's contents into the gauges until the run stops taking.
#[cfg(feature = "metrics")]
async fn sample_stats<P: Provider>(inbox: Inbox<P>, every: Duration, stop: Arc<Stop>) {
    loop {
        if let Ok(stats) = inbox.stats().await {
            inbox.meters().inbox_stats(&stats);
        }
        if done_or(tokio::time::sleep(every), Stop::given(&stop.taking))
            .await
            .is_none()
        {
            return;
        }
    }
}

/// How a handler's run succeeded.
pub(crate) enum Ran {
    /// The worker records the completion (`Backend::complete`).
    Succeeded,
    /// The handler's wrapper recorded it already (with the handler's own writes, in one
    /// transaction), or failed to: an error here is not retried, the transaction is gone.
    #[cfg_attr(not(all(feature = "inbox", feature = "postgres")), allow(dead_code))]
    Recorded(Result<(), StoreError>),
    /// The handler's wrapper could not start it (no connection for its transaction): an
    /// outage, so the delivery is handed back uncounted and the slot waits before its next take.
    #[cfg_attr(not(all(feature = "inbox", feature = "postgres")), allow(dead_code))]
    Unavailable(StoreError),
}

/// One of the `concurrency` loops of a run.
struct Slot<P> {
    inbox: Inbox<P>,
    options: Options,
    stop: Arc<Stop>,
    /// The run's counts, shared by its slots (kept when a slot's task dies).
    report: Arc<Mutex<WorkerReport>>,
}

impl<P> Slot<P>
where
    P: Provider + Send + Sync + 'static,
    P::Event: Send + 'static,
{
    async fn run<F, Fut, E>(self, handler: F)
    where
        F: Fn(Delivery<P::Event>, &Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Ran, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let mut outage = Backoff::default();
        let provider = self.inbox.provider().name();
        loop {
            if *self.stop.taking.borrow() {
                break;
            }
            // Not cancelled by the stop: a take whose answer is on its way has taken its job,
            // which would otherwise stay taken by nobody until its visibility ran out. A take
            // ends within `wait`, so the stop is seen soon after.
            let taken = Some(
                self.inbox
                    .backend()
                    .take(provider, self.options.visibility, self.options.wait)
                    .await,
            );
            let job = match taken {
                None => break,
                Some(Ok(Some(job))) => {
                    outage = Backoff::default();
                    job
                }
                Some(Ok(None)) => continue,
                Some(Err(_)) => {
                    // The backend is down: wait, then look again, until it comes back.
                    if done_or(outage.wait(), Stop::given(&self.stop.taking))
                        .await
                        .is_none()
                    {
                        break;
                    }
                    continue;
                }
            };
            if *self.stop.running.borrow() {
                // Taken after the grace ran out (a take that was on its way): handed back
                // without a run, so it is not one of the report's runs.
                let backend = self.inbox.backend();
                let _ = self.record(Op::Release, || backend.release(&job)).await;
                break;
            }
            self.process(job, &handler).await;
        }
    }

    async fn process<F, Fut, E>(&self, job: Job, handler: &F)
    where
        F: Fn(Delivery<P::Event>, &Job) -> Fut,
        Fut: Future<Output = Result<Ran, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let meters = self.inbox.meters();
        let span = DeliverySpan::process(meters.provider(), &job.delivery.id, job.attempt);
        let (outcome, error) = span.wrap(self.attempt(&job, handler, &span)).await;
        *outcome.counter(
            &mut self
                .report
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ) += 1;
        meters.attempt(outcome.label());
        span.finish(outcome.label(), None, error);
    }

    /// One attempt at `job`, in its span: what became of it, and why it failed.
    async fn attempt<F, Fut, E>(
        &self,
        job: &Job,
        handler: &F,
        span: &DeliverySpan,
    ) -> (Attempt, Option<&'static str>)
    where
        F: Fn(Delivery<P::Event>, &Job) -> Fut,
        Fut: Future<Output = Result<Ran, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let backend = self.inbox.backend();
        let meters = self.inbox.meters();
        let allowed = self.options.retry.max_attempts();
        if job.attempt > allowed {
            // Every take counts an attempt, and a run that crashes its process (or exhausts
            // it, or loses the backend past its visibility) records nothing: without this
            // bound such a delivery would be taken, and take its worker down, forever.
            let error = format!(
                "taken {} times, past the {allowed} attempts the retry policy allows, without \
                 a recorded result: its runs ended with their worker (a crash, an exhausted \
                 process, a lost backend)",
                job.attempt
            );
            #[cfg(feature = "tracing")]
            tracing::error!(
                target: "webhook_receiver",
                provider = meters.provider(),
                attempt = job.attempt,
                "a delivery whose runs never recorded a result: moved to the dead letters without running again"
            );
            let recorded = self
                .record(Op::DeadLetter, || backend.dead_letter(job, &error))
                .await;
            return (
                Attempt::when(recorded, Attempt::DeadLettered),
                Some("unrecorded_runs"),
            );
        }
        let delivery = match self.inbox.provider().parse(job.delivery.verified()) {
            Ok(delivery) => delivery,
            Err(err) => {
                // Parsed when it was received, so the provider (or its version) changed:
                // no retry can help until a fix, after which it can be requeued.
                let error = format!("the stored delivery no longer parses: {err}");
                #[cfg(feature = "tracing")]
                tracing::error!(
                    target: "webhook_receiver",
                    provider = meters.provider(),
                    attempt = job.attempt,
                    reason = err.kind(),
                    "the stored delivery no longer parses: moved to the dead letters"
                );
                let recorded = self
                    .record(Op::DeadLetter, || backend.dead_letter(job, &error))
                    .await;
                return (
                    Attempt::when(recorded, Attempt::DeadLettered),
                    Some(err.kind()),
                );
            }
        };
        // In place, in this slot's task (no task per delivery); a panic fails the run only,
        // whether it comes from the closure itself or from the future it returns.
        let running = meters.running();
        let watch = Stopwatch::start_if(Meters::times_handler(span));
        let started =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(delivery, job)));
        let outcome = match started {
            Err(_) => Err(Panicked),
            Ok(future) => match self.drive(CatchUnwind(Box::pin(future)), job, span).await {
                Some(outcome) => outcome,
                // Past the shutdown's grace: the handler was stopped; hand the delivery back.
                None => {
                    drop(running);
                    #[cfg(feature = "tracing")]
                    tracing::warn!(
                        target: "webhook_receiver",
                        provider = meters.provider(),
                        "shutdown grace ran out: the handler was stopped and the delivery handed back"
                    );
                    let recorded = self.record(Op::Release, || backend.release(job)).await;
                    return (Attempt::when(recorded, Attempt::Released), None);
                }
            },
        };
        drop(running);
        let took = watch.elapsed();
        let ok = matches!(outcome, Ok(Ok(Ran::Succeeded | Ran::Recorded(_))));
        meters.handler(ok, took);
        span.phase(Phase::Handler, took);
        let (failure, kind) = match outcome {
            Ok(Ok(Ran::Succeeded)) => {
                let recorded = self.record(Op::Complete, || backend.complete(job)).await;
                return (Attempt::when(recorded, Attempt::Completed), None);
            }
            Ok(Ok(Ran::Unavailable(error))) => {
                #[cfg(feature = "tracing")]
                tracing::warn!(
                    target: "webhook_receiver",
                    provider = meters.provider(),
                    attempt = job.attempt,
                    error = %error,
                    "the handler could not start (the backend is unavailable): handed back uncounted"
                );
                let recorded = self.record(Op::Release, || backend.release(job)).await;
                // An outage: wait before the next take, as a take that fails does.
                let _ = done_or(Backoff::default().wait(), Stop::given(&self.stop.taking)).await;
                return (
                    Attempt::when(recorded, Attempt::Released),
                    Some(error.kind()),
                );
            }
            Ok(Ok(Ran::Recorded(recorded))) => {
                return (
                    Attempt::when(recorded.is_ok(), Attempt::Completed),
                    recorded.err().map(|err| err.kind()),
                );
            }
            Ok(Err(err)) => (err.to_string(), "handler"),
            Err(Panicked) => ("the handler panicked".to_owned(), "panic"),
        };
        if job.attempt >= self.options.retry.max_attempts() {
            #[cfg(feature = "tracing")]
            tracing::error!(
                target: "webhook_receiver",
                provider = meters.provider(),
                attempt = job.attempt,
                error = %failure,
                "webhook handler failed on its last attempt: moved to the dead letters"
            );
            let recorded = self
                .record(Op::DeadLetter, || backend.dead_letter(job, &failure))
                .await;
            (Attempt::when(recorded, Attempt::DeadLettered), Some(kind))
        } else {
            let wait = self.options.retry.delay(job.attempt, jitter());
            #[cfg(feature = "tracing")]
            tracing::warn!(
                target: "webhook_receiver",
                provider = meters.provider(),
                attempt = job.attempt,
                retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %failure,
                "webhook handler failed: retried later"
            );
            let at = crate::idempotency::deadline(OffsetDateTime::now_utc(), wait);
            let recorded = self
                .record(Op::Retry, || backend.retry(job, &failure, at))
                .await;
            (Attempt::when(recorded, Attempt::Retried), Some(kind))
        }
    }

    /// Polls the handler's run to its end, renewing the job's visibility every third of it
    /// meanwhile; `None` when the shutdown's grace ran out first (the run is dropped).
    ///
    /// The run is polled while a renewal is on the wire, never left waiting for it: a
    /// transactional run may hold a row lock the renewal waits on (its completion removes the
    /// take's heartbeat row before it commits), and a run not polled would never send its
    /// `COMMIT`, so the renewal would wait forever, and the slot with it.
    async fn drive<T>(
        &self,
        mut run: CatchUnwind<impl Future<Output = T>>,
        job: &Job,
        span: &DeliverySpan,
    ) -> Option<Result<T, Panicked>> {
        let backend = self.inbox.backend();
        let meters = self.inbox.meters();
        let beat = self.options.visibility / 3;
        let mut tick = std::pin::pin!(tokio::time::sleep(beat));
        let mut stopped = std::pin::pin!(Stop::given(&self.stop.running));
        type Renewal<'a> =
            std::pin::Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;
        let mut renewal: Option<(Renewal<'_>, Stopwatch)> = None;
        std::future::poll_fn(|cx| {
            if let Poll::Ready(done) = std::pin::Pin::new(&mut run).poll(cx) {
                return Poll::Ready(Some(done));
            }
            loop {
                if let Some((extending, watch)) = renewal.as_mut() {
                    match extending.as_mut().poll(cx) {
                        // A lost job (taken over after a stall) runs on: its end is not
                        // recorded, and the delivery's new holder decides.
                        Poll::Ready(extended) => {
                            meters.store_op(Op::Extend, watch.elapsed(), extended.as_ref().err());
                            renewal = None;
                        }
                        Poll::Pending => break,
                    }
                }
                if tick.as_mut().poll(cx).is_pending() {
                    break;
                }
                tick.as_mut().reset(tokio::time::Instant::now() + beat);
                renewal = Some((
                    Box::pin(backend.extend(job, self.options.visibility)),
                    Stopwatch::start_if(meters.times_store(span)),
                ));
            }
            if stopped.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            Poll::Pending
        })
        .await
    }

    /// Records an outcome, retrying while the backend is unreachable for as long as the job
    /// would stay invisible; `false` when it could not be recorded.
    async fn record<Fut>(&self, op: Op, mut attempt: impl FnMut() -> Fut) -> bool
    where
        Fut: Future<Output = Result<(), StoreError>>,
    {
        let give_up = tokio::time::Instant::now() + self.options.visibility;
        let mut backoff = Backoff::default();
        loop {
            let watch = Stopwatch::start_if(self.inbox.meters().records_store_latency());
            let result = attempt().await;
            self.inbox
                .meters()
                .store_op(op, watch.elapsed(), result.as_ref().err());
            match result {
                Ok(()) => return true,
                Err(StoreError::Unavailable(_)) if tokio::time::Instant::now() < give_up => {
                    backoff.wait().await;
                }
                Err(_) => return false,
            }
        }
    }
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy)]
enum Attempt {
    Completed,
    Retried,
    DeadLettered,
    Released,
    /// The backend could not record it (lost or unreachable).
    Unrecorded,
}

impl Attempt {
    /// `outcome` when it was recorded, [`Unrecorded`](Attempt::Unrecorded) otherwise.
    fn when(recorded: bool, outcome: Attempt) -> Self {
        if recorded {
            outcome
        } else {
            Attempt::Unrecorded
        }
    }

    /// The `outcome` label of `webhook_receiver_inbox_attempts_total`.
    fn label(self) -> &'static str {
        match self {
            Attempt::Completed => "completed",
            Attempt::Retried => "retried",
            Attempt::DeadLettered => "dead_lettered",
            Attempt::Released => "released",
            Attempt::Unrecorded => "unrecorded",
        }
    }

    /// The report's count of it.
    fn counter(self, report: &mut WorkerReport) -> &mut u64 {
        match self {
            Attempt::Completed => &mut report.completed,
            Attempt::Retried => &mut report.retried,
            Attempt::DeadLettered => &mut report.dead_lettered,
            Attempt::Released => &mut report.released,
            Attempt::Unrecorded => &mut report.unrecorded,
        }
    }
}

/// Waits between tries at an unreachable backend: 50 ms doubling to 2 s, with jitter.
#[derive(Default)]
struct Backoff {
    tries: u32,
}

impl Backoff {
    async fn wait(&mut self) {
        let full = Duration::from_millis(50)
            .saturating_mul(1 << self.tries.min(6))
            .min(Duration::from_secs(2));
        self.tries += 1;
        tokio::time::sleep(full.mul_f64(0.5 + 0.5 * jitter())).await;
    }
}
