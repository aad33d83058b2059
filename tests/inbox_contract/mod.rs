//! The behaviour every `InboxBackend` must show, written once and run against each backend
//! (`inbox_contract_tests!` makes one test per behaviour): the receiving side, the worker
//! runtime (once per id across workers, retries, dead letters and requeue, replay, purge, a dead
//! worker's delivery taken over, heartbeats, graceful shutdown, a backend outage).
//!
//! Each test asserts exact counts (`stats`), so the factory must hand every test a backend of
//! its own (a shared server: a fresh namespace per call).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use webhook_receiver::__private::{InboxOps, Job};
use webhook_receiver::inbox::{
    DeadLetterFilter, Inbox, InboxBackend, InboxReceived, InboxStats, RetryPolicy, Worker,
};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Delivery, Error, MessageId, Secret};

/// One test per behaviour of the contract, each with backends from `$make`: an expression
/// whose future gives an `impl Fn() -> B` (a fresh backend, or a fresh namespace, per call).
#[macro_export]
macro_rules! inbox_contract_tests {
    ($make:expr) => {
        #[tokio::test]
        async fn the_receiving_side_accepts_once_and_refuses_what_is_not_authentic() {
            let make = $make.await;
            inbox_contract::the_receiving_side_accepts_once_and_refuses_what_is_not_authentic(make).await;
        }

        #[tokio::test]
        async fn an_id_that_comes_again_with_other_bytes_is_refused_only_when_checked() {
            let make = $make.await;
            inbox_contract::an_id_that_comes_again_with_other_bytes_is_refused_only_when_checked(make).await;
        }

        #[tokio::test]
        async fn two_workers_handle_each_delivery_once() {
            let make = $make.await;
            inbox_contract::two_workers_handle_each_delivery_once(make).await;
        }

        #[tokio::test]
        async fn a_poison_delivery_ends_in_the_dead_letters_and_is_processed_after_a_requeue() {
            let make = $make.await;
            inbox_contract::a_poison_delivery_ends_in_the_dead_letters_and_is_processed_after_a_requeue(make).await;
        }

        #[tokio::test]
        async fn a_dead_workers_delivery_is_taken_over_after_its_visibility() {
            let make = $make.await;
            inbox_contract::a_dead_workers_delivery_is_taken_over_after_its_visibility(make).await;
        }

        #[tokio::test]
        async fn a_job_taken_over_answers_only_its_new_holder() {
            let make = $make.await;
            inbox_contract::a_job_taken_over_answers_only_its_new_holder(make).await;
        }

        #[tokio::test]
        async fn a_heartbeat_keeps_a_long_run_from_being_taken_over() {
            let make = $make.await;
            inbox_contract::a_heartbeat_keeps_a_long_run_from_being_taken_over(make).await;
        }

        #[tokio::test]
        async fn a_shutdown_lets_running_handlers_finish() {
            let make = $make.await;
            inbox_contract::a_shutdown_lets_running_handlers_finish(make).await;
        }

        #[tokio::test]
        async fn a_shutdown_past_its_grace_hands_the_delivery_back_uncounted() {
            let make = $make.await;
            inbox_contract::a_shutdown_past_its_grace_hands_the_delivery_back_uncounted(make).await;
        }

        #[tokio::test]
        async fn a_panicking_handler_fails_its_run_and_the_retry_processes() {
            let make = $make.await;
            inbox_contract::a_panicking_handler_fails_its_run_and_the_retry_processes(make).await;
        }

        #[tokio::test]
        async fn a_closure_that_panics_before_its_future_kills_no_slot() {
            let make = $make.await;
            inbox_contract::a_closure_that_panics_before_its_future_kills_no_slot(make).await;
        }

        #[tokio::test]
        async fn a_delivery_taken_past_its_attempts_without_a_result_is_dead_lettered() {
            let make = $make.await;
            inbox_contract::a_delivery_taken_past_its_attempts_without_a_result_is_dead_lettered(make).await;
        }

        #[tokio::test]
        async fn a_shutdown_finishes_a_take_already_answered() {
            let make = $make.await;
            inbox_contract::a_shutdown_finishes_a_take_already_answered(make).await;
        }

        #[tokio::test]
        async fn the_event_type_named_beside_the_signed_bytes_reaches_the_worker() {
            let make = $make.await;
            inbox_contract::the_event_type_named_beside_the_signed_bytes_reaches_the_worker(make).await;
        }

        #[tokio::test]
        async fn a_completed_delivery_is_replayed_only_on_purpose_and_purge_forgets() {
            let make = $make.await;
            inbox_contract::a_completed_delivery_is_replayed_only_on_purpose_and_purge_forgets(make).await;
        }

        #[tokio::test]
        async fn kept_headers_and_the_verified_bytes_reach_the_stored_delivery() {
            let make = $make.await;
            inbox_contract::kept_headers_and_the_verified_bytes_reach_the_stored_delivery(make).await;
        }

        #[tokio::test]
        async fn a_backend_outage_is_503_while_receiving_and_workers_resume_on_their_own() {
            let make = $make.await;
            inbox_contract::a_backend_outage_is_503_while_receiving_and_workers_resume_on_their_own(make).await;
        }
    };
}

const TOKEN: &str = "inbox-test-token";

type Event = webhook_receiver::providers::munity::Webhook;

pub fn munity() -> Munity {
    Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap())
}

/// A backend the contract can drive: cloned into workers and the shutdown checks.
pub trait TestBackend: InboxBackend + Clone {}

impl<B: InboxBackend + Clone> TestBackend for B {}

/// The inbox under test, and its backend to drive directly (the inbox does not hand it out).
pub struct Subject<B> {
    inbox: Inbox<Munity>,
    backend: B,
}

impl<B> Subject<B> {
    fn backend(&self) -> &B {
        &self.backend
    }
}

impl<B> std::ops::Deref for Subject<B> {
    type Target = Inbox<Munity>;

    fn deref(&self) -> &Inbox<Munity> {
        &self.inbox
    }
}

pub fn inbox<B: TestBackend>(backend: B) -> Subject<B> {
    Subject {
        inbox: Inbox::builder(munity(), backend.clone())
            .keep_header("X-Request-Id")
            .build(),
        backend,
    }
}

pub fn headers() -> Vec<(String, String)> {
    vec![
        ("x-munity-token".to_owned(), TOKEN.to_owned()),
        ("x-request-id".to_owned(), "req-1".to_owned()),
    ]
}

/// A Munity delivery whose id (the body's digest) is set by `state`.
pub fn body(state: &str) -> Vec<u8> {
    format!(
        r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"{state}"}}"#
    )
    .into_bytes()
}

pub async fn accept(inbox: &Inbox<Munity>, state: &str) -> MessageId {
    let received = inbox.receive(&headers(), &body(state)).await;
    assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    let jobs = inbox.stats().await.unwrap();
    assert!(jobs.pending > 0);
    munity_id(state)
}

pub fn munity_id(state: &str) -> MessageId {
    use webhook_receiver::Provider as _;
    munity()
        .parse(munity().verify(&headers(), &body(state)).unwrap())
        .unwrap()
        .id
}

fn state_of(delivery: &Delivery<Event>) -> String {
    delivery.event.state.clone().unwrap_or_default()
}

/// A take of a `munity` delivery straight from the backend, as a worker's would be.
async fn take<B: TestBackend>(
    inbox: &Subject<B>,
    visibility: Duration,
    wait: Duration,
) -> Option<Job> {
    inbox
        .backend()
        .take("munity", visibility, wait)
        .await
        .unwrap()
}

/// A handler sharing `state` with the test: each run gets the state and the delivery.
fn with_state<S, F, Fut>(
    state: &S,
    body: F,
) -> impl Fn(Delivery<Event>) -> Fut + Clone + Send + Sync + 'static
where
    S: Clone + Send + Sync + 'static,
    F: Fn(Arc<S>, Delivery<Event>) -> Fut + Clone + Send + Sync + 'static,
{
    let state = Arc::new(state.clone());
    move |delivery| body(Arc::clone(&state), delivery)
}

/// Runs `worker` with `handler` until `until` says stop, given the backend's stats (checked
/// every 10 ms, at most 10 s).
async fn run_until<B: TestBackend, F, Fut>(
    worker: &Worker<Munity>,
    backend: &B,
    handler: F,
    until: impl Fn(InboxStats) -> bool + Send + 'static,
) -> webhook_receiver::inbox::WorkerReport
where
    F: Fn(Delivery<Event>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let backend = backend.clone();
    worker
        .run(handler, async move {
            for _ in 0..1000 {
                let stats = backend.stats().await.unwrap();
                if until(stats) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the condition did not come true within 10 s");
        })
        .await
}

pub async fn the_receiving_side_accepts_once_and_refuses_what_is_not_authentic<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
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

    let stats = inbox.stats().await.unwrap();
    assert_eq!(
        (stats.pending, stats.in_flight, stats.completed, stats.dead),
        (1, 0, 0, 0)
    );
}

/// A sender-chosen id (Standard Webhooks' `webhook-id`) reused for other bytes: refused with
/// 422 when the inbox checks content, a duplicate when it does not; the byte-identical retry
/// is a duplicate either way, also once the first copy is completed.
pub async fn an_id_that_comes_again_with_other_bytes_is_refused_only_when_checked<
    B: TestBackend,
>(
    make: impl Fn() -> B,
) {
    use webhook_receiver::providers::standard::StandardWebhooks;
    use webhook_receiver::testing::standard::sign;
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let id = format!("msg_{}", now_nanos());
    let provider = || StandardWebhooks::<serde_json::Value>::from_whsec(SECRET).unwrap();
    let first = sign(&provider(), &id, now, br#"{"type":"a","n":1}"#.to_vec());
    let other = sign(&provider(), &id, now, br#"{"type":"a","n":2}"#.to_vec());

    // Two receivers of one backend, one checking content.
    let backend = make();
    let checked = Inbox::builder(provider(), backend.clone())
        .check_digest(true)
        .build();
    let unchecked = Inbox::builder(provider(), backend).build();
    let received = checked.receive(first.headers(), first.body()).await;
    assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    let again = unchecked.receive(first.headers(), first.body()).await;
    assert!(matches!(again, InboxReceived::Duplicate), "{again:?}");
    let refused = checked.receive(other.headers(), other.body()).await;
    assert!(matches!(refused, InboxReceived::Conflict), "{refused:?}");
    assert_eq!(
        (refused.response().status(), refused.response().body()),
        (422, "conflicting duplicate")
    );
    let acknowledged = unchecked.receive(other.headers(), other.body()).await;
    assert!(
        matches!(acknowledged, InboxReceived::Duplicate),
        "{acknowledged:?}"
    );

    // Completed, the first copy is still what a retry is compared with.
    let worker = Worker::builder(checked.clone()).build();
    let stats = loop_until_completed(&worker, &checked, 1).await;
    assert_eq!((stats.pending, stats.completed), (0, 1));
    let retry = checked.receive(first.headers(), first.body()).await;
    assert!(matches!(retry, InboxReceived::Duplicate), "{retry:?}");
    let refused = checked.receive(other.headers(), other.body()).await;
    assert!(matches!(refused, InboxReceived::Conflict), "{refused:?}");
    let stats = checked.stats().await.unwrap();
    assert_eq!(
        (stats.pending, stats.in_flight, stats.completed, stats.dead),
        (0, 0, 1, 0),
        "one delivery only"
    );
}

fn now_nanos() -> i128 {
    OffsetDateTime::now_utc().unix_timestamp_nanos()
}

/// Runs `worker` (a handler that succeeds) until `inbox` has `completed` completions, at most
/// 10 s.
async fn loop_until_completed<P>(
    worker: &Worker<P>,
    inbox: &Inbox<P>,
    completed: usize,
) -> InboxStats
where
    P: webhook_receiver::Provider + Send + Sync + 'static,
    P::Event: Send + 'static,
{
    let done = async {
        for _ in 0..1000 {
            if inbox.stats().await.unwrap().completed >= completed {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("not completed within 10 s");
    };
    worker
        .run(|_delivery| async { Ok::<_, String>(()) }, done)
        .await;
    inbox.stats().await.unwrap()
}

pub async fn two_workers_handle_each_delivery_once<B: TestBackend>(make: impl Fn() -> B) {
    let inbox = inbox(make());
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
    let handler = with_state(&seen, |seen, delivery: Delivery<Event>| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        *seen.lock().unwrap().entry(state_of(&delivery)).or_default() += 1;
        Ok::<_, String>(())
    });
    let done = {
        let seen = Arc::clone(&seen);
        move |_| seen.lock().unwrap().len() == 300
    };
    let first = Worker::builder(inbox.clone()).concurrency(3).build();
    let second = Worker::builder(inbox.clone()).concurrency(3).build();
    let done_too = done.clone();
    let (a, b) = tokio::join!(
        run_until(&first, inbox.backend(), handler.clone(), done),
        run_until(&second, inbox.backend(), handler, done_too)
    );
    assert_eq!(a.completed + b.completed, 300);
    assert!(a.completed > 0 && b.completed > 0, "{a:?} {b:?}");
    let ran_once = seen.lock().unwrap().values().all(|&runs| runs == 1);
    assert!(ran_once, "a delivery ran twice");
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.pending, stats.completed), (0, 300));
}

pub async fn a_poison_delivery_ends_in_the_dead_letters_and_is_processed_after_a_requeue<
    B: TestBackend,
>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    let poison = accept(&inbox, "poison").await;
    accept(&inbox, "fine").await;
    let fixed = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let handler = with_state(
        &(Arc::clone(&fixed), Arc::clone(&runs)),
        |state, delivery: Delivery<Event>| async move {
            let (fixed, runs) = &*state;
            if state_of(&delivery) == "poison" {
                runs.fetch_add(1, Ordering::SeqCst);
                if !fixed.load(Ordering::SeqCst) {
                    return Err("no such customer: cust_42".to_owned());
                }
            }
            Ok(())
        },
    );
    let worker = Worker::builder(inbox.clone())
        .retry(
            RetryPolicy::attempts(3).backoff(Duration::from_millis(10), Duration::from_millis(40)),
        )
        .build();
    let report = run_until(&worker, inbox.backend(), handler.clone(), move |stats| {
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
    assert!(inbox.dead_letters(&none, 10).await.unwrap().is_empty());
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
    let report = run_until(&worker, inbox.backend(), handler, move |stats| {
        stats.completed == 2
    })
    .await;
    assert_eq!(report.completed, 1);
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    assert!(
        inbox
            .dead_letters(&DeadLetterFilter::all(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_dead_workers_delivery_is_taken_over_after_its_visibility<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    accept(&inbox, "orphan").await;
    // A worker takes it and dies: it never completes, never renews.
    let lost = take(&inbox, Duration::from_millis(500), Duration::from_secs(1))
        .await
        .expect("the delivery is due");
    assert_eq!(lost.attempt, 1);
    // Invisible meanwhile.
    let meanwhile = take(&inbox, Duration::from_secs(5), Duration::from_millis(50)).await;
    assert!(meanwhile.is_none());

    let attempts = Arc::new(Mutex::new(Vec::new()));
    let worker = Worker::builder(inbox.clone()).build();
    let handler = with_state(
        &attempts,
        |attempts, delivery: Delivery<Event>| async move {
            attempts.lock().unwrap().push(state_of(&delivery));
            Ok::<_, String>(())
        },
    );
    run_until(&worker, inbox.backend(), handler, move |stats| {
        stats.completed == 1
    })
    .await;
    assert_eq!(*attempts.lock().unwrap(), ["orphan"]);
    // The dead worker's lease is spent.
    assert!(inbox.backend().complete(&lost).await.is_err());
}

pub async fn a_job_taken_over_answers_only_its_new_holder<B: TestBackend>(make: impl Fn() -> B) {
    use webhook_receiver::idempotency::StoreError;
    let inbox = inbox(make());
    let backend = inbox.backend();
    accept(&inbox, "stalled").await;
    // A worker takes it and stalls past its visibility; another take gets it (within 5 s).
    let stalled = take(&inbox, Duration::from_millis(300), Duration::from_secs(1))
        .await
        .expect("the delivery is due");
    let mut current = None;
    for _ in 0..50 {
        current = take(&inbox, Duration::from_secs(30), Duration::from_millis(100)).await;
        if current.is_some() {
            break;
        }
    }
    let current = current.expect("taken over after the visibility ran out");
    assert_eq!(current.attempt, 2, "the stalled run is counted");
    // Whatever the stalled worker answers when it wakes up is refused and changes nothing.
    let lost = |result: Result<(), StoreError>| matches!(result, Err(StoreError::LeaseLost));
    assert!(lost(
        backend.extend(&stalled, Duration::from_secs(30)).await
    ));
    assert!(lost(backend.complete(&stalled).await));
    let later = OffsetDateTime::now_utc() + Duration::from_secs(60);
    assert!(lost(backend.retry(&stalled, "late", later).await));
    assert!(lost(backend.release(&stalled).await));
    assert!(lost(backend.dead_letter(&stalled, "late").await));
    let stats = backend.stats().await.unwrap();
    assert_eq!(
        (stats.pending, stats.in_flight, stats.completed, stats.dead),
        (0, 1, 0, 0)
    );
    // The new holder's answers count.
    backend
        .extend(&current, Duration::from_secs(30))
        .await
        .unwrap();
    backend.complete(&current).await.unwrap();
    let stats = backend.stats().await.unwrap();
    assert_eq!((stats.in_flight, stats.completed), (0, 1));
}

pub async fn a_heartbeat_keeps_a_long_run_from_being_taken_over<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    accept(&inbox, "slow").await;
    let runs = Arc::new(AtomicUsize::new(0));
    // Visibility 300 ms, handler 900 ms: without renewals the second slot would take it over
    // (renewals every 100 ms leave 200 ms for a busy machine to be late).
    let worker = Worker::builder(inbox.clone())
        .concurrency(2)
        .visibility_timeout(Duration::from_millis(300))
        .build();
    let handler = with_state(&runs, |runs, _delivery: Delivery<Event>| async move {
        runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(900)).await;
        Ok::<_, String>(())
    });
    let report = run_until(&worker, inbox.backend(), handler, move |stats| {
        stats.completed == 1
    })
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(report.completed, 1);
}

pub async fn a_shutdown_lets_running_handlers_finish<B: TestBackend>(make: impl Fn() -> B) {
    let inbox = inbox(make());
    accept(&inbox, "in-flight").await;
    let finished = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let worker = Worker::builder(inbox.clone())
        .shutdown_grace(Duration::from_secs(5))
        .build();
    let handler = with_state(
        &(Arc::clone(&finished), Arc::clone(&started)),
        |state, _delivery: Delivery<Event>| async move {
            let (finished, started) = &*state;
            started.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            finished.store(true, Ordering::SeqCst);
            Ok::<_, String>(())
        },
    );
    // Shut down as soon as the handler has started.
    let report = run_until(&worker, inbox.backend(), handler, move |_| {
        started.load(Ordering::SeqCst)
    })
    .await;
    assert!(finished.load(Ordering::SeqCst));
    assert_eq!((report.completed, report.released), (1, 0));
    assert_eq!(inbox.stats().await.unwrap().completed, 1);
}

pub async fn a_shutdown_past_its_grace_hands_the_delivery_back_uncounted<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    accept(&inbox, "stuck").await;
    let started = Arc::new(AtomicBool::new(false));
    let worker = Worker::builder(inbox.clone())
        .shutdown_grace(Duration::from_millis(100))
        .build();
    let handler = with_state(&started, |started, _delivery: Delivery<Event>| async move {
        started.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok::<_, String>(())
    });
    let report = run_until(&worker, inbox.backend(), handler, move |_| {
        started.load(Ordering::SeqCst)
    })
    .await;
    assert_eq!((report.completed, report.released), (0, 1));
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.pending, stats.in_flight), (1, 0));
    // The stopped run is not counted: the next take is attempt 1 again.
    let job = take(&inbox, Duration::from_secs(5), Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(job.attempt, 1);
}

pub async fn a_panicking_handler_fails_its_run_and_the_retry_processes<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    accept(&inbox, "panics-once").await;
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = Worker::builder(inbox.clone())
        .retry(
            RetryPolicy::attempts(3).backoff(Duration::from_millis(10), Duration::from_millis(10)),
        )
        .build();
    let handler = with_state(&runs, |runs, _delivery: Delivery<Event>| async move {
        if runs.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("handler bug");
        }
        Ok::<_, String>(())
    });
    let report = run_until(&worker, inbox.backend(), handler, move |stats| {
        stats.completed == 1
    })
    .await;
    assert_eq!((report.retried, report.completed), (1, 1));
}

/// A closure that panics before it returns its future (in its synchronous part) fails that
/// run only: the slot lives on, the other deliveries are processed, and the poison goes to the
/// dead letters after its attempts. It once killed each slot it reached, until none was left.
pub async fn a_closure_that_panics_before_its_future_kills_no_slot<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    accept(&inbox, "poison").await;
    for n in 0..6 {
        accept(&inbox, &format!("fine-{n}")).await;
    }
    let worker = Worker::builder(inbox.clone())
        .concurrency(3)
        .retry(
            RetryPolicy::attempts(3).backoff(Duration::from_millis(10), Duration::from_millis(10)),
        )
        .build();
    let handler = |delivery: Delivery<Event>| {
        assert!(state_of(&delivery) != "poison", "poison pill");
        async { Ok::<_, String>(()) }
    };
    let report = run_until(&worker, inbox.backend(), handler, move |stats| {
        stats.completed == 6 && stats.dead == 1
    })
    .await;
    assert_eq!(
        (report.completed, report.retried, report.dead_lettered),
        (6, 2, 1),
        "{report:?}"
    );
    let dead = inbox
        .dead_letters(&DeadLetterFilter::all(), 10)
        .await
        .unwrap();
    assert_eq!(dead[0].error, "the handler panicked");
}

/// A delivery whose runs end with their worker (a crash, an exhausted process) records
/// nothing; each take counts an attempt, and once the takes pass the policy's attempts the
/// delivery goes to the dead letters without running again, instead of taking down a worker
/// on every restart, forever.
pub async fn a_delivery_taken_past_its_attempts_without_a_result_is_dead_lettered<
    B: TestBackend,
>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    accept(&inbox, "crashes-its-worker").await;
    // Three workers took it and died mid-run (no completion, no renewal).
    for attempt in 1..=3 {
        let lost = loop {
            if let Some(job) =
                take(&inbox, Duration::from_millis(100), Duration::from_secs(2)).await
            {
                break job;
            }
        };
        assert_eq!(lost.attempt, attempt);
    }
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = Worker::builder(inbox.clone())
        .retry(RetryPolicy::attempts(3))
        .build();
    let handler = with_state(&runs, |runs, _delivery: Delivery<Event>| async move {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>(())
    });
    let report = run_until(&worker, inbox.backend(), handler, move |stats| {
        stats.dead == 1
    })
    .await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "run again after its attempts"
    );
    assert_eq!(report.dead_lettered, 1);
    let dead = inbox
        .dead_letters(&DeadLetterFilter::all(), 10)
        .await
        .unwrap();
    assert!(
        dead[0].error.contains("without a recorded result"),
        "{}",
        dead[0].error
    );
}

pub async fn a_completed_delivery_is_replayed_only_on_purpose_and_purge_forgets<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    let id = accept(&inbox, "replayed").await;
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = Worker::builder(inbox.clone()).build();
    let handler = with_state(&runs, |runs, delivery: Delivery<Event>| async move {
        assert_eq!(state_of(&delivery), "replayed");
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>(())
    });
    let counted = Arc::clone(&runs);
    run_until(&worker, inbox.backend(), handler.clone(), move |_| {
        counted.load(Ordering::SeqCst) == 1
    })
    .await;
    // Not waiting or unknown: nothing to replay.
    assert!(!inbox.replay(&munity_id("unknown")).await.unwrap());
    assert!(inbox.replay(&id).await.unwrap());
    let counted = Arc::clone(&runs);
    run_until(&worker, inbox.backend(), handler, move |stats| {
        counted.load(Ordering::SeqCst) == 2 && stats.completed == 1
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

pub async fn kept_headers_and_the_verified_bytes_reach_the_stored_delivery<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = inbox(make());
    accept(&inbox, "headers").await;
    let job = take(&inbox, Duration::from_secs(5), Duration::from_secs(1))
        .await
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

/// A provider that names the event type beside the signed bytes (as GitHub's `X-GitHub-Event`
/// does): Munity's verification, and the type from an `x-event` header.
#[derive(Clone)]
struct Kinded(Munity);

impl webhook_receiver::Provider for Kinded {
    type Event = Option<String>;

    fn name(&self) -> &'static str {
        "kinded"
    }

    fn verify<'a, H: webhook_receiver::Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<webhook_receiver::Verified<'a>, Error> {
        let kind = headers
            .get("x-event")
            .and_then(|value| std::str::from_utf8(value).ok())
            .unwrap_or_default()
            .to_owned();
        Ok(self.0.verify(headers, body)?.with_kind(kind))
    }

    fn parse(
        &self,
        verified: webhook_receiver::Verified<'_>,
    ) -> Result<Delivery<Option<String>>, Error> {
        let kind = verified.kind().map(str::to_owned);
        let id = MessageId::digest("kinded", verified.payload());
        Ok(Delivery::new(id, kind, None))
    }
}

/// The event type a provider reads beside the signed bytes is stored with the delivery and
/// reaches the worker's parse.
pub async fn the_event_type_named_beside_the_signed_bytes_reaches_the_worker<B: TestBackend>(
    make: impl Fn() -> B,
) {
    let inbox = Inbox::builder(Kinded(munity()), make()).build();
    let mut headers = headers();
    headers.push(("x-event".to_owned(), "pull_request".to_owned()));
    let received = inbox.receive(&headers, &body("kinded")).await;
    assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let worker = Worker::builder(inbox.clone()).build();
    let seen = Arc::clone(&kinds);
    let probe = inbox.clone();
    worker
        .run(
            move |delivery: Delivery<Option<String>>| {
                let seen = Arc::clone(&seen);
                async move {
                    seen.lock().unwrap().push(delivery.event);
                    Ok::<_, String>(())
                }
            },
            async move {
                for _ in 0..1000 {
                    if probe.stats().await.unwrap().completed == 1 {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("not completed within 10 s");
            },
        )
        .await;
    assert_eq!(*kinds.lock().unwrap(), [Some("pull_request".to_owned())]);
}

/// A backend that fails every call with `Unavailable` while `down` is set, as a database that
/// went away would, and otherwise hands over to the backend under test.
#[derive(Clone)]
struct Flaky<B> {
    inner: B,
    down: Arc<AtomicBool>,
    /// Calls refused while down.
    refused: Arc<AtomicUsize>,
    /// How long a take's answer is on its way after the backend took the job, in ms.
    reply_delay: Arc<std::sync::atomic::AtomicU64>,
}

impl<B> Flaky<B> {
    fn check(&self) -> Result<(), webhook_receiver::idempotency::StoreError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(webhook_receiver::idempotency::StoreError::Unavailable(
                "connection refused".to_owned(),
            ));
        }
        Ok(())
    }
}

// Not part of the API: the crate's own tests may wrap a backend (see `__private`).
impl<B> webhook_receiver::__private::Sealed for Flaky<B> {}

impl<B: TestBackend> InboxBackend for Flaky<B> {}

impl<B: TestBackend> InboxOps for Flaky<B> {
    async fn enqueue(
        &self,
        delivery: webhook_receiver::inbox::StoredDelivery,
    ) -> Result<webhook_receiver::__private::Enqueued, webhook_receiver::idempotency::StoreError>
    {
        self.check()?;
        self.inner.enqueue(delivery).await
    }
    async fn take(
        &self,
        provider: &str,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Job>, webhook_receiver::idempotency::StoreError> {
        self.check()?;
        let taken = self
            .inner
            .take(provider, visibility, wait.min(Duration::from_millis(50)))
            .await;
        if matches!(taken, Ok(Some(_))) {
            let delay = self.reply_delay.load(Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        taken
    }
    async fn extend(
        &self,
        job: &Job,
        visibility: Duration,
    ) -> Result<(), webhook_receiver::idempotency::StoreError> {
        self.check()?;
        self.inner.extend(job, visibility).await
    }
    async fn complete(&self, job: &Job) -> Result<(), webhook_receiver::idempotency::StoreError> {
        self.check()?;
        self.inner.complete(job).await
    }
    async fn retry(
        &self,
        job: &Job,
        error: &str,
        at: OffsetDateTime,
    ) -> Result<(), webhook_receiver::idempotency::StoreError> {
        self.check()?;
        self.inner.retry(job, error, at).await
    }
    async fn release(&self, job: &Job) -> Result<(), webhook_receiver::idempotency::StoreError> {
        self.check()?;
        self.inner.release(job).await
    }
    async fn dead_letter(
        &self,
        job: &Job,
        error: &str,
    ) -> Result<(), webhook_receiver::idempotency::StoreError> {
        self.check()?;
        self.inner.dead_letter(job, error).await
    }
    async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> Result<Vec<webhook_receiver::inbox::DeadLetter>, webhook_receiver::idempotency::StoreError>
    {
        self.check()?;
        self.inner.dead_letters(filter, limit).await
    }
    async fn requeue(
        &self,
        filter: &DeadLetterFilter,
    ) -> Result<usize, webhook_receiver::idempotency::StoreError> {
        self.check()?;
        self.inner.requeue(filter).await
    }
    async fn replay(
        &self,
        id: &MessageId,
    ) -> Result<bool, webhook_receiver::idempotency::StoreError> {
        self.check()?;
        self.inner.replay(id).await
    }
    async fn purge(
        &self,
        before: OffsetDateTime,
    ) -> Result<usize, webhook_receiver::idempotency::StoreError> {
        self.check()?;
        self.inner.purge(before).await
    }
    async fn stats(
        &self,
    ) -> Result<webhook_receiver::inbox::InboxStats, webhook_receiver::idempotency::StoreError>
    {
        self.inner.stats().await
    }
}

pub async fn a_backend_outage_is_503_while_receiving_and_workers_resume_on_their_own<
    B: TestBackend,
>(
    make: impl Fn() -> B,
) {
    let backend = Flaky {
        inner: make(),
        down: Arc::default(),
        refused: Arc::default(),
        reply_delay: Arc::default(),
    };
    let inbox = Inbox::builder(munity(), backend.clone()).build();
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
    let handler = with_state(&seen, |seen, _delivery: Delivery<Event>| async move {
        seen.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>(())
    });
    let report = run_until(&worker, &backend, handler, move |stats| {
        stats.completed == 5
    })
    .await;
    restore.await.unwrap();
    assert_eq!(report.completed, 5);
    assert_eq!(seen.load(Ordering::SeqCst), 5);
}

/// A take whose answer is on its way when the shutdown comes is finished, not dropped: the
/// delivery it took is processed, never left taken by nobody until its visibility runs out.
/// (The backend here takes the job at once and answers 300 ms later; the shutdown comes at
/// 100 ms.) It was once dropped, and the delivery stayed in flight after the run returned.
pub async fn a_shutdown_finishes_a_take_already_answered<B: TestBackend>(make: impl Fn() -> B) {
    let backend = Flaky {
        inner: make(),
        down: Arc::default(),
        refused: Arc::default(),
        reply_delay: Arc::new(std::sync::atomic::AtomicU64::new(300)),
    };
    let inbox = Inbox::builder(munity(), backend.clone()).build();
    accept(&inbox, "answered-late").await;
    let worker = Worker::builder(inbox.clone()).concurrency(1).build();
    let report = worker
        .run(
            |_delivery: Delivery<Event>| async { Ok::<_, String>(()) },
            tokio::time::sleep(Duration::from_millis(100)),
        )
        .await;
    let stats = inbox.stats().await.unwrap();
    assert_eq!(
        (stats.in_flight, stats.completed, report.completed),
        (0, 1, 1),
        "{stats:?} {report:?}"
    );
}
