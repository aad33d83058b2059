//! The inbox with its in-process backend: the receiving side, the worker runtime (once per
//! id across workers, retries, dead letters and requeue, replay, purge, a dead worker's
//! delivery taken over, heartbeats, graceful shutdown).
#![cfg(feature = "inbox")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use webhook_receiver::inbox::{
    DeadLetterFilter, Inbox, InboxBackend, InboxReceived, MemoryInbox, RetryPolicy, Worker,
};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Delivery, Error, MessageId, Secret};

const TOKEN: &str = "inbox-test-token";

type Event = webhook_receiver::providers::munity::Webhook;

fn munity() -> Munity {
    Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap())
}

fn inbox() -> Inbox<Munity, MemoryInbox> {
    Inbox::builder(munity(), MemoryInbox::new())
        .keep_header("X-Request-Id")
        .build()
}

fn headers() -> Vec<(String, String)> {
    vec![
        ("x-munity-token".to_owned(), TOKEN.to_owned()),
        ("x-request-id".to_owned(), "req-1".to_owned()),
    ]
}

/// A Munity delivery whose id (the body's digest) is set by `state`.
fn body(state: &str) -> Vec<u8> {
    format!(
        r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"{state}"}}"#
    )
    .into_bytes()
}

async fn accept(inbox: &Inbox<Munity, MemoryInbox>, state: &str) -> MessageId {
    let received = inbox.receive(&headers(), &body(state)).await;
    assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    let jobs = inbox.backend().stats().await.unwrap();
    assert!(jobs.pending > 0);
    munity_id(state)
}

fn munity_id(state: &str) -> MessageId {
    use webhook_receiver::Provider as _;
    munity()
        .parse(munity().verify(&headers(), &body(state)).unwrap())
        .unwrap()
        .id
}

fn state_of(delivery: &Delivery<Event>) -> String {
    delivery.event.state.clone().unwrap_or_default()
}

/// Runs `worker` with `handler` until `until` says stop (checked every 10 ms, at most 10 s).
async fn run_until<B: InboxBackend, F, Fut>(
    worker: &Worker<Munity, B>,
    handler: F,
    until: impl Fn() -> bool + Send + 'static,
) -> webhook_receiver::inbox::WorkerReport
where
    F: Fn(Delivery<Event>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    worker
        .run(handler, async move {
            for _ in 0..1000 {
                if until() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the condition did not come true within 10 s");
        })
        .await
}

#[tokio::test]
async fn the_receiving_side_accepts_once_and_refuses_what_is_not_authentic() {
    let inbox = inbox();
    let received = inbox.receive(&headers(), &body("a")).await;
    assert!(matches!(received, InboxReceived::Accepted));
    assert_eq!(
        (received.response().status(), received.response().body()),
        (200, "accepted")
    );
    let again = inbox.receive(&headers(), &body("a")).await;
    assert!(matches!(again, InboxReceived::Duplicate));
    assert_eq!(
        (again.response().status(), again.response().body()),
        (200, "duplicate")
    );

    let forged = vec![("x-munity-token".to_owned(), "wrong".to_owned())];
    let refused = inbox.receive(&forged, &body("b")).await;
    assert!(
        matches!(refused, InboxReceived::Rejected(Error::InvalidToken)),
        "{refused:?}"
    );
    assert_eq!(refused.response().status(), 401);
    let shape = inbox
        .receive(
            &headers(),
            br#"{"workspace_id":"w","event":"integration_installed","payload":[1]}"#,
        )
        .await;
    assert_eq!(shape.response().status(), 422, "{shape:?}");

    let stats = inbox.backend().stats().await.unwrap();
    assert_eq!(
        (stats.pending, stats.in_flight, stats.completed, stats.dead),
        (1, 0, 0, 0)
    );
}

#[tokio::test]
async fn two_workers_handle_each_delivery_once() {
    let inbox = inbox();
    for n in 0..300 {
        let received = inbox.receive(&headers(), &body(&format!("d-{n}"))).await;
        assert_eq!(received.response().status(), 200);
        // Some deliveries arrive twice: the copy is a duplicate, not a second job.
        if n % 7 == 0 {
            let copy = inbox.receive(&headers(), &body(&format!("d-{n}"))).await;
            assert!(matches!(copy, InboxReceived::Duplicate));
        }
    }
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let handler = {
        let seen = Arc::clone(&seen);
        move |delivery: Delivery<Event>| {
            let seen = Arc::clone(&seen);
            async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                *seen.lock().unwrap().entry(state_of(&delivery)).or_default() += 1;
                Ok::<_, String>(())
            }
        }
    };
    let done = {
        let seen = Arc::clone(&seen);
        move || seen.lock().unwrap().len() == 300
    };
    let first = Worker::builder(inbox.clone()).concurrency(3).build();
    let second = Worker::builder(inbox.clone()).concurrency(3).build();
    let done_too = done.clone();
    let (a, b) = tokio::join!(
        run_until(&first, handler.clone(), done),
        run_until(&second, handler, done_too)
    );
    assert_eq!(a.completed + b.completed, 300);
    assert!(a.completed > 0 && b.completed > 0, "{a:?} {b:?}");
    let ran_once = seen.lock().unwrap().values().all(|&runs| runs == 1);
    assert!(ran_once, "a delivery ran twice");
    let stats = inbox.backend().stats().await.unwrap();
    assert_eq!((stats.pending, stats.completed), (0, 300));
}

#[tokio::test]
async fn a_poison_delivery_ends_in_the_dead_letters_and_is_processed_after_a_requeue() {
    let inbox = inbox();
    let poison = accept(&inbox, "poison").await;
    accept(&inbox, "fine").await;
    let fixed = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let handler = {
        let (fixed, runs) = (Arc::clone(&fixed), Arc::clone(&runs));
        move |delivery: Delivery<Event>| {
            let (fixed, runs) = (Arc::clone(&fixed), Arc::clone(&runs));
            async move {
                if state_of(&delivery) == "poison" {
                    runs.fetch_add(1, Ordering::SeqCst);
                    if !fixed.load(Ordering::SeqCst) {
                        return Err("no such customer: cust_42".to_owned());
                    }
                }
                Ok(())
            }
        }
    };
    let worker = Worker::builder(inbox.clone())
        .retry(
            RetryPolicy::attempts(3).backoff(Duration::from_millis(10), Duration::from_millis(40)),
        )
        .build();
    let backend = inbox.backend().clone();
    let report = run_until(&worker, handler.clone(), move || {
        let stats = futures_stats(&backend);
        stats.dead == 1 && stats.completed == 1
    })
    .await;
    assert_eq!(
        (report.completed, report.retried, report.dead_lettered),
        (1, 2, 1)
    );
    assert_eq!(runs.load(Ordering::SeqCst), 3);

    let letters = inbox
        .backend()
        .dead_letters(&DeadLetterFilter::all(), 10)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].delivery.id, poison);
    assert_eq!(letters[0].attempts, 3);
    assert_eq!(letters[0].error, "no such customer: cust_42");
    // Filters pick it or not.
    let none = DeadLetterFilter::all().error_contains("timeout");
    assert!(
        inbox
            .backend()
            .dead_letters(&none, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A sender's retry of a dead delivery is a duplicate: only a requeue brings it back.
    let retry = inbox.receive(&headers(), &body("poison")).await;
    assert!(matches!(retry, InboxReceived::Duplicate));

    fixed.store(true, Ordering::SeqCst);
    let requeued = inbox
        .backend()
        .requeue(&DeadLetterFilter::ids([poison]).error_contains("cust_42"))
        .await
        .unwrap();
    assert_eq!(requeued, 1);
    let backend = inbox.backend().clone();
    let report = run_until(&worker, handler, move || {
        futures_stats(&backend).completed == 2
    })
    .await;
    assert_eq!(report.completed, 1);
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    assert!(
        inbox
            .backend()
            .dead_letters(&DeadLetterFilter::all(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The stats of a memory inbox, read without awaiting (it never waits).
fn futures_stats(backend: &MemoryInbox) -> webhook_receiver::inbox::InboxStats {
    let future = std::pin::pin!(backend.stats());
    match std::future::Future::poll(
        future,
        &mut std::task::Context::from_waker(std::task::Waker::noop()),
    ) {
        std::task::Poll::Ready(stats) => stats.unwrap(),
        std::task::Poll::Pending => panic!("the memory inbox never waits"),
    }
}

#[tokio::test]
async fn a_dead_workers_delivery_is_taken_over_after_its_visibility() {
    let inbox = inbox();
    accept(&inbox, "orphan").await;
    // A worker takes it and dies: it never completes, never renews.
    let lost = inbox
        .backend()
        .take("munity", Duration::from_millis(200), Duration::from_secs(1))
        .await
        .unwrap()
        .expect("the delivery is due");
    assert_eq!(lost.attempt, 1);
    // Invisible meanwhile.
    let meanwhile = inbox
        .backend()
        .take("munity", Duration::from_secs(5), Duration::from_millis(50))
        .await
        .unwrap();
    assert!(meanwhile.is_none());

    let attempts = Arc::new(Mutex::new(Vec::new()));
    let worker = Worker::builder(inbox.clone()).build();
    let handler = {
        let attempts = Arc::clone(&attempts);
        move |delivery: Delivery<Event>| {
            let attempts = Arc::clone(&attempts);
            async move {
                attempts.lock().unwrap().push(state_of(&delivery));
                Ok::<_, String>(())
            }
        }
    };
    let backend = inbox.backend().clone();
    run_until(&worker, handler, move || {
        futures_stats(&backend).completed == 1
    })
    .await;
    assert_eq!(*attempts.lock().unwrap(), ["orphan"]);
    // The dead worker's lease is spent.
    assert!(inbox.backend().complete(&lost).await.is_err());
}

#[tokio::test]
async fn a_heartbeat_keeps_a_long_run_from_being_taken_over() {
    let inbox = inbox();
    accept(&inbox, "slow").await;
    let runs = Arc::new(AtomicUsize::new(0));
    // Visibility 150 ms, handler 600 ms: without renewals the second slot would take it over.
    let worker = Worker::builder(inbox.clone())
        .concurrency(2)
        .visibility_timeout(Duration::from_millis(150))
        .build();
    let handler = {
        let runs = Arc::clone(&runs);
        move |_delivery: Delivery<Event>| {
            let runs = Arc::clone(&runs);
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(600)).await;
                Ok::<_, String>(())
            }
        }
    };
    let backend = inbox.backend().clone();
    let report = run_until(&worker, handler, move || {
        futures_stats(&backend).completed == 1
    })
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(report.completed, 1);
}

#[tokio::test]
async fn a_shutdown_lets_running_handlers_finish() {
    let inbox = inbox();
    accept(&inbox, "in-flight").await;
    let finished = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let worker = Worker::builder(inbox.clone())
        .shutdown_grace(Duration::from_secs(5))
        .build();
    let handler = {
        let (finished, started) = (Arc::clone(&finished), Arc::clone(&started));
        move |_delivery: Delivery<Event>| {
            let (finished, started) = (Arc::clone(&finished), Arc::clone(&started));
            async move {
                started.store(true, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await;
                finished.store(true, Ordering::SeqCst);
                Ok::<_, String>(())
            }
        }
    };
    // Shut down as soon as the handler has started.
    let report = run_until(&worker, handler, move || started.load(Ordering::SeqCst)).await;
    assert!(finished.load(Ordering::SeqCst));
    assert_eq!((report.completed, report.released), (1, 0));
    assert_eq!(inbox.backend().stats().await.unwrap().completed, 1);
}

#[tokio::test]
async fn a_shutdown_past_its_grace_hands_the_delivery_back_uncounted() {
    let inbox = inbox();
    accept(&inbox, "stuck").await;
    let started = Arc::new(AtomicBool::new(false));
    let worker = Worker::builder(inbox.clone())
        .shutdown_grace(Duration::from_millis(100))
        .build();
    let handler = {
        let started = Arc::clone(&started);
        move |_delivery: Delivery<Event>| {
            let started = Arc::clone(&started);
            async move {
                started.store(true, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok::<_, String>(())
            }
        }
    };
    let report = run_until(&worker, handler, move || started.load(Ordering::SeqCst)).await;
    assert_eq!((report.completed, report.released), (0, 1));
    let stats = inbox.backend().stats().await.unwrap();
    assert_eq!((stats.pending, stats.in_flight), (1, 0));
    // The stopped run is not counted: the next take is attempt 1 again.
    let job = inbox
        .backend()
        .take("munity", Duration::from_secs(5), Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.attempt, 1);
}

#[tokio::test]
async fn a_panicking_handler_fails_its_run_and_the_retry_processes() {
    let inbox = inbox();
    accept(&inbox, "panics-once").await;
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = Worker::builder(inbox.clone())
        .retry(
            RetryPolicy::attempts(3).backoff(Duration::from_millis(10), Duration::from_millis(10)),
        )
        .build();
    let handler = {
        let runs = Arc::clone(&runs);
        move |_delivery: Delivery<Event>| {
            let runs = Arc::clone(&runs);
            async move {
                if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("handler bug");
                }
                Ok::<_, String>(())
            }
        }
    };
    let backend = inbox.backend().clone();
    let report = run_until(&worker, handler, move || {
        futures_stats(&backend).completed == 1
    })
    .await;
    assert_eq!((report.retried, report.completed), (1, 1));
}

#[tokio::test]
async fn a_completed_delivery_is_replayed_only_on_purpose_and_purge_forgets() {
    let inbox = inbox();
    let id = accept(&inbox, "replayed").await;
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = Worker::builder(inbox.clone()).build();
    let handler = {
        let runs = Arc::clone(&runs);
        move |delivery: Delivery<Event>| {
            let runs = Arc::clone(&runs);
            async move {
                assert_eq!(state_of(&delivery), "replayed");
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>(())
            }
        }
    };
    let counted = Arc::clone(&runs);
    run_until(&worker, handler.clone(), move || {
        counted.load(Ordering::SeqCst) == 1
    })
    .await;
    // Not waiting or unknown: nothing to replay.
    assert!(!inbox.backend().replay(&munity_id("unknown")).await.unwrap());
    assert!(inbox.backend().replay(&id).await.unwrap());
    let backend = inbox.backend().clone();
    let counted = Arc::clone(&runs);
    run_until(&worker, handler, move || {
        counted.load(Ordering::SeqCst) == 2 && futures_stats(&backend).completed == 1
    })
    .await;

    // Purged, the id is no longer a duplicate.
    let purged = inbox
        .backend()
        .purge(OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(matches!(
        inbox.receive(&headers(), &body("replayed")).await,
        InboxReceived::Accepted
    ));
}

#[tokio::test]
async fn kept_headers_and_the_verified_bytes_reach_the_stored_delivery() {
    let inbox = inbox();
    accept(&inbox, "headers").await;
    let job = inbox
        .backend()
        .take("munity", Duration::from_secs(5), Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.delivery.header("x-request-id"), Some("req-1"));
    // The shared token is not kept: only the headers asked for are.
    assert_eq!(job.delivery.header("x-munity-token"), None);
    assert_eq!(job.delivery.payload, body("headers"));
    assert_eq!(job.delivery.provider, "munity");
    // Another provider's takers do not see it.
    let other = inbox
        .backend()
        .take("palenca", Duration::from_secs(5), Duration::from_millis(20))
        .await
        .unwrap();
    assert!(other.is_none());
}

#[test]
fn the_retry_policy_doubles_up_to_its_cap_with_jitter_in_the_upper_half() {
    let policy = RetryPolicy::attempts(10).backoff(Duration::from_secs(1), Duration::from_secs(60));
    assert_eq!(
        policy.delay(1, 0.999_999),
        Duration::from_secs(1).mul_f64(0.999_999_5)
    );
    assert_eq!(policy.delay(1, 0.0), Duration::from_millis(500));
    assert_eq!(policy.delay(3, 0.0), Duration::from_secs(2));
    assert_eq!(policy.delay(7, 0.0), Duration::from_secs(30));
    assert_eq!(policy.delay(40, 0.0), Duration::from_secs(30));
    assert_eq!(RetryPolicy::attempts(0).max_attempts(), 1);
}

/// A backend that fails every call with `Unavailable` while `down` is set, as a database that
/// went away would, and otherwise hands over to a `MemoryInbox`.
#[derive(Clone, Default)]
struct Flaky {
    inner: MemoryInbox,
    down: Arc<AtomicBool>,
    /// Calls refused while down.
    refused: Arc<AtomicUsize>,
}

impl Flaky {
    fn check(&self) -> Result<(), webhook_receiver::inbox::StoreError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(webhook_receiver::inbox::StoreError::Unavailable(
                "connection refused".to_owned(),
            ));
        }
        Ok(())
    }
}

impl InboxBackend for Flaky {
    async fn enqueue(
        &self,
        delivery: webhook_receiver::inbox::StoredDelivery,
    ) -> Result<webhook_receiver::inbox::Enqueued, webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.enqueue(delivery).await
    }
    async fn take(
        &self,
        provider: &str,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<webhook_receiver::inbox::Job>, webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner
            .take(provider, visibility, wait.min(Duration::from_millis(50)))
            .await
    }
    async fn extend(
        &self,
        job: &webhook_receiver::inbox::Job,
        visibility: Duration,
    ) -> Result<(), webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.extend(job, visibility).await
    }
    async fn complete(
        &self,
        job: &webhook_receiver::inbox::Job,
    ) -> Result<(), webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.complete(job).await
    }
    async fn retry(
        &self,
        job: &webhook_receiver::inbox::Job,
        error: &str,
        at: OffsetDateTime,
    ) -> Result<(), webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.retry(job, error, at).await
    }
    async fn release(
        &self,
        job: &webhook_receiver::inbox::Job,
    ) -> Result<(), webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.release(job).await
    }
    async fn dead_letter(
        &self,
        job: &webhook_receiver::inbox::Job,
        error: &str,
    ) -> Result<(), webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.dead_letter(job, error).await
    }
    async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> Result<Vec<webhook_receiver::inbox::DeadLetter>, webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.dead_letters(filter, limit).await
    }
    async fn requeue(
        &self,
        filter: &DeadLetterFilter,
    ) -> Result<usize, webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.requeue(filter).await
    }
    async fn replay(&self, id: &MessageId) -> Result<bool, webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.replay(id).await
    }
    async fn purge(
        &self,
        before: OffsetDateTime,
    ) -> Result<usize, webhook_receiver::inbox::StoreError> {
        self.check()?;
        self.inner.purge(before).await
    }
    async fn stats(
        &self,
    ) -> Result<webhook_receiver::inbox::InboxStats, webhook_receiver::inbox::StoreError> {
        self.inner.stats().await
    }
}

#[tokio::test]
async fn a_backend_outage_is_503_while_receiving_and_workers_resume_on_their_own() {
    let backend = Flaky::default();
    let inbox = Inbox::new(munity(), backend.clone());
    backend.down.store(true, Ordering::SeqCst);
    let refused = inbox.receive(&headers(), &body("during-outage")).await;
    assert!(
        matches!(refused, InboxReceived::Unavailable(_)),
        "{refused:?}"
    );
    assert_eq!(refused.response().status(), 503);
    assert_eq!(refused.response().retry_after(), Some(1));
    assert_eq!(
        backend.inner.stats().await.unwrap().pending,
        0,
        "nothing half-written"
    );

    backend.down.store(false, Ordering::SeqCst);
    for n in 0..5 {
        let received = inbox.receive(&headers(), &body(&format!("o-{n}"))).await;
        assert!(matches!(received, InboxReceived::Accepted));
    }
    // The backend goes down while the worker runs: it waits, then resumes by itself.
    backend.down.store(true, Ordering::SeqCst);
    let worker = Worker::builder(inbox.clone()).concurrency(2).build();
    let restore = {
        let backend = backend.clone();
        tokio::spawn(async move {
            // Back once the workers have been refused a few times.
            while backend.refused.load(Ordering::SeqCst) < 6 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            backend.down.store(false, Ordering::SeqCst);
        })
    };
    let seen = Arc::new(AtomicUsize::new(0));
    let handler = {
        let seen = Arc::clone(&seen);
        move |_delivery: Delivery<Event>| {
            let seen = Arc::clone(&seen);
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>(())
            }
        }
    };
    let inner = backend.inner.clone();
    let report = run_until(&worker, handler, move || {
        futures_stats(&inner).completed == 5
    })
    .await;
    restore.await.unwrap();
    assert_eq!(report.completed, 5);
    assert_eq!(seen.load(Ordering::SeqCst), 5);
}
