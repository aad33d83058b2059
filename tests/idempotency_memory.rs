//! The in-memory idempotency store, alone and under a `Receiver`: races, lease expiry and
//! takeover, retention, digests, capacity, and the HTTP answer of each outcome.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

mod receive_once;

use receive_once::{process_once, process_once_with_body};
use webhook_receiver::clock::ManualClock;
use webhook_receiver::idempotency::{
    Claim, DEFAULT_LEASE, DEFAULT_RETENTION, IdempotencyStore, Lease, MemoryStore, StoreError,
};
use webhook_receiver::{MessageId, Received};

const START: i64 = 1_700_000_000;

fn id(n: usize) -> MessageId {
    MessageId::new("test", &format!("event-{n}"))
}

fn manual_store(capacity: usize) -> (MemoryStore, ManualClock) {
    let clock = ManualClock::at_unix(START);
    let store = MemoryStore::builder()
        .capacity(capacity)
        .clock(Arc::new(clock.clone()))
        .build();
    (store, clock)
}

/// The SHA-256 of a body: the digest a receiver that compares bodies records.
fn sha256(body: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(body).into()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn advance(clock: &ManualClock, by: Duration) {
    clock.advance(time::Duration::try_from(by).unwrap());
}

async fn acquire(store: &MemoryStore, id: &MessageId, lease: Duration) -> Lease {
    match store.claim(id, lease).await.unwrap() {
        Claim::Acquired(lease) => lease,
        other => panic!("expected to acquire {id}, got {other:?}"),
    }
}

#[test]
fn store_and_its_futures_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}
    let store = MemoryStore::new();
    assert_send_sync(&store);
    let id = id(0);
    assert_send(&store.claim(&id, DEFAULT_LEASE));
    let options = DEFAULT_LEASE;
    assert_send(&process_once(&store, &id, options, || async {
        Ok::<_, Infallible>(())
    }));
}

#[test]
fn defaults_are_a_minute_lease_and_a_week_of_retention() {
    assert_eq!(DEFAULT_LEASE, secs(60));
    assert_eq!(DEFAULT_RETENTION, secs(7 * 24 * 3600));
    assert_eq!(MemoryStore::new().capacity(), MemoryStore::DEFAULT_CAPACITY);
    assert_eq!(MemoryStore::DEFAULT_CAPACITY, 100_000);
}

#[test]
fn concurrent_deliveries_of_one_id_run_the_handler_once() {
    const TASKS: usize = 64;
    const IDS: usize = 1_000;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let store = MemoryStore::new();
    runtime.block_on(async {
        for n in 0..IDS {
            let runs = Arc::new(AtomicUsize::new(0));
            let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let store = store.clone();
                    let runs = Arc::clone(&runs);
                    let barrier = Arc::clone(&barrier);
                    tokio::spawn(async move {
                        let id = id(n);
                        barrier.wait().await;
                        process_once(&store, &id, DEFAULT_LEASE, || async {
                            runs.fetch_add(1, Ordering::SeqCst);
                            // Give the other deliveries a chance to arrive mid-handler.
                            tokio::task::yield_now().await;
                            Ok::<_, Infallible>(())
                        })
                        .await
                    })
                })
                .collect();
            let mut processed = 0;
            for task in tasks {
                match task.await.unwrap() {
                    Received::Processed(()) => processed += 1,
                    Received::Duplicate => {}
                    Received::InProgress { retry_after } => {
                        assert!(retry_after > Duration::ZERO && retry_after <= DEFAULT_LEASE);
                    }
                    other => panic!("unexpected outcome for {n}: {other:?}"),
                }
            }
            assert_eq!(runs.load(Ordering::SeqCst), 1, "handler runs for id {n}");
            assert_eq!(processed, 1, "processed outcomes for id {n}");
            assert_eq!(
                store.claim(&id(n), DEFAULT_LEASE).await.unwrap(),
                Claim::Completed
            );
        }
    });
    assert_eq!(store.len(), IDS);
}

#[tokio::test]
async fn a_live_lease_answers_in_progress_with_the_time_left() {
    let (store, clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let lease = acquire(&store, &id(1), secs(30)).await;
    assert_eq!(lease.id(), &id(1));
    assert_eq!(lease.expires_at().unix_timestamp(), START + 30);
    assert_eq!(
        store.claim(&id(1), secs(30)).await.unwrap(),
        Claim::InProgress {
            retry_after: secs(30)
        }
    );
    advance(&clock, secs(12));
    assert_eq!(
        store.claim(&id(1), secs(30)).await.unwrap(),
        Claim::InProgress {
            retry_after: secs(18)
        }
    );
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_the_old_owner_changes_nothing() {
    let (store, clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let crashed = acquire(&store, &id(1), secs(30)).await;
    advance(&clock, secs(30));

    // The sender's retry takes the event over: nothing is lost.
    let retry = acquire(&store, &id(1), secs(30)).await;
    assert_ne!(crashed.token(), retry.token());

    // The first worker wakes up: it can neither complete nor release the new owner's claim.
    assert_eq!(
        store.complete(&crashed, DEFAULT_RETENTION).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(store.release(&crashed).await, Err(StoreError::LeaseLost));
    assert_eq!(
        store.claim(&id(1), secs(30)).await.unwrap(),
        Claim::InProgress {
            retry_after: secs(30)
        }
    );

    store.complete(&retry, DEFAULT_RETENTION).await.unwrap();
    assert_eq!(
        store.claim(&id(1), secs(30)).await.unwrap(),
        Claim::Completed
    );
    assert_eq!(store.release(&crashed).await, Err(StoreError::LeaseLost));
    assert_eq!(
        store.claim(&id(1), secs(30)).await.unwrap(),
        Claim::Completed
    );
}

#[tokio::test]
async fn a_lease_past_its_deadline_cannot_complete_even_without_a_takeover() {
    let (store, clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let slow = acquire(&store, &id(1), secs(30)).await;
    advance(&clock, secs(31));
    assert_eq!(
        store.complete(&slow, DEFAULT_RETENTION).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(store.release(&slow).await, Err(StoreError::LeaseLost));
    acquire(&store, &id(1), secs(30)).await;
}

#[tokio::test]
async fn a_released_lease_is_spent_and_a_completed_one_only_completes_again() {
    let (store, _clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let lease = acquire(&store, &id(1), secs(30)).await;
    store.complete(&lease, DEFAULT_RETENTION).await.unwrap();
    // Completing again with the same lease is the retry of a lost reply: done, nothing changed.
    assert_eq!(store.complete(&lease, DEFAULT_RETENTION).await, Ok(()));
    // Another lease never completes it.
    let stranger = Lease::new(id(1), lease.expires_at());
    assert_eq!(
        store.complete(&stranger, DEFAULT_RETENTION).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(store.release(&lease).await, Err(StoreError::LeaseLost));
    assert_eq!(
        store.claim(&id(1), secs(30)).await.unwrap(),
        Claim::Completed
    );

    let lease = acquire(&store, &id(2), secs(30)).await;
    store.release(&lease).await.unwrap();
    assert_eq!(store.release(&lease).await, Err(StoreError::LeaseLost));
    assert_eq!(
        store.complete(&lease, DEFAULT_RETENTION).await,
        Err(StoreError::LeaseLost)
    );
    // Released: the next delivery processes the event.
    acquire(&store, &id(2), secs(30)).await;
}

#[tokio::test]
async fn a_lease_on_another_id_or_from_another_store_is_lost() {
    let (store, _clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let (other_store, _other_clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let ours = acquire(&store, &id(1), secs(30)).await;
    let theirs = acquire(&other_store, &id(1), secs(30)).await;
    assert_eq!(
        store.complete(&theirs, DEFAULT_RETENTION).await,
        Err(StoreError::LeaseLost)
    );
    // A lease made by hand carries a fresh token: it matches nobody's claim.
    let forged = Lease::new(id(1), ours.expires_at());
    assert_ne!(forged.token(), ours.token());
    assert_eq!(store.release(&forged).await, Err(StoreError::LeaseLost));
    store.complete(&ours, DEFAULT_RETENTION).await.unwrap();
}

#[tokio::test]
async fn retention_expiry_makes_the_id_claimable_again() {
    let (store, clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let lease = acquire(&store, &id(1), secs(30)).await;
    store.complete(&lease, secs(3600)).await.unwrap();
    advance(&clock, secs(3599));
    assert_eq!(
        store.claim(&id(1), secs(30)).await.unwrap(),
        Claim::Completed
    );
    advance(&clock, secs(1));
    acquire(&store, &id(1), secs(30)).await;
}

#[tokio::test]
async fn clones_share_their_records() {
    let store = MemoryStore::new();
    let clone = store.clone();
    let lease = acquire(&store, &id(1), DEFAULT_LEASE).await;
    clone.complete(&lease, DEFAULT_RETENTION).await.unwrap();
    assert_eq!(
        store.claim(&id(1), DEFAULT_LEASE).await.unwrap(),
        Claim::Completed
    );
    assert_eq!(clone.len(), 1);
}

#[tokio::test]
async fn ids_of_different_providers_do_not_collide() {
    let store = MemoryStore::new();
    acquire(&store, &MessageId::new("receeve", "42"), DEFAULT_LEASE).await;
    acquire(&store, &MessageId::new("palenca", "42"), DEFAULT_LEASE).await;
}

#[tokio::test]
async fn a_handler_error_releases_the_claim_so_a_retry_processes_the_event() {
    let store = MemoryStore::new();
    let options = DEFAULT_LEASE;
    let runs = AtomicUsize::new(0);

    let failed = process_once(&store, &id(1), options, || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Err::<(), _>("database down")
    })
    .await;
    assert!(matches!(
        failed,
        Received::HandlerFailed {
            error: "database down",
            release_error: None
        }
    ));
    assert_eq!(failed.response().status(), 500);
    assert_eq!(failed.response().retry_after(), None);

    let retried = process_once(&store, &id(1), options, || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, &str>(7)
    })
    .await;
    assert!(matches!(retried, Received::Processed(7)));

    let duplicate = process_once(&store, &id(1), options, || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, &str>(8)
    })
    .await;
    assert!(matches!(duplicate, Received::Duplicate));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_crashed_handler_is_processed_by_the_retry_after_its_lease() {
    let (store, clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let options = secs(30);
    // A handler that never finishes stands for a crash: its future is dropped mid-way.
    let first = id(1);
    let crashed = process_once(&store, &first, options, || {
        std::future::pending::<Result<(), Infallible>>()
    });
    {
        let mut crashed = std::pin::pin!(crashed);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(crashed.as_mut().poll(&mut cx).is_pending());
    }

    let early = process_once(&store, &id(1), options, || async {
        Ok::<_, Infallible>(())
    })
    .await;
    assert!(matches!(early, Received::InProgress { retry_after } if retry_after == secs(30)));
    assert_eq!(early.response().status(), 409);
    assert_eq!(early.response().retry_after(), Some(30));

    advance(&clock, secs(30));
    let retry = process_once(&store, &id(1), options, || async {
        Ok::<_, Infallible>(())
    })
    .await;
    assert!(matches!(retry, Received::Processed(())));
}

#[tokio::test]
async fn a_handler_that_outlives_its_lease_is_reported_unrecorded() {
    let (store, clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let options = secs(10);
    let outcome = process_once(&store, &id(1), options, || async {
        advance(&clock, secs(11));
        Ok::<_, Infallible>("done")
    })
    .await;
    assert!(matches!(
        outcome,
        Received::ProcessedUnrecorded {
            value: "done",
            error: StoreError::LeaseLost
        }
    ));
    assert_eq!(outcome.response().status(), 200);
    // Nothing was recorded: a later retry processes the event again (at-least-once).
    acquire(&store, &id(1), secs(10)).await;
}

#[tokio::test]
async fn the_same_id_with_a_different_body_is_a_conflict() {
    let (store, clock) = manual_store(MemoryStore::DEFAULT_CAPACITY);
    let (original_body, tampered_body): (&[u8], &[u8]) =
        (br#"{"amount":10}"#, br#"{"amount":1000}"#);
    let (original, tampered) = (sha256(original_body), sha256(tampered_body));

    let lease = match store
        .claim_with_digest(&id(1), Some(original), secs(30))
        .await
        .unwrap()
    {
        Claim::Acquired(lease) => lease,
        other => panic!("expected to acquire, got {other:?}"),
    };
    assert_eq!(
        store
            .claim_with_digest(&id(1), Some(tampered), secs(30))
            .await
            .unwrap(),
        Claim::Conflict
    );
    assert_eq!(
        store
            .claim_with_digest(&id(1), Some(original), secs(30))
            .await
            .unwrap(),
        Claim::InProgress {
            retry_after: secs(30)
        }
    );
    // Without a digest there is nothing to compare.
    assert_eq!(
        store.claim(&id(1), secs(30)).await.unwrap(),
        Claim::InProgress {
            retry_after: secs(30)
        }
    );

    store.complete(&lease, secs(3600)).await.unwrap();
    let options = DEFAULT_LEASE;
    let conflict = process_once_with_body(&store, &id(1), options, Some(tampered_body), || async {
        Ok::<_, Infallible>(())
    })
    .await;
    assert!(matches!(conflict, Received::Conflict));
    assert_eq!(conflict.response().status(), 422);
    assert_eq!(conflict.response().retry_after(), None);
    let duplicate =
        process_once_with_body(&store, &id(1), options, Some(original_body), || async {
            Ok::<_, Infallible>(())
        })
        .await;
    assert!(matches!(duplicate, Received::Duplicate));

    // Once the record has expired, the id is absent again and any body may claim it.
    advance(&clock, secs(3600));
    let again = process_once_with_body(&store, &id(1), options, Some(tampered_body), || async {
        Ok::<_, Infallible>(())
    })
    .await;
    assert!(matches!(again, Received::Processed(())));
}

#[tokio::test]
async fn a_million_ids_never_hold_more_than_the_capacity() {
    const CAPACITY: usize = 100_000;
    let store = MemoryStore::builder().capacity(CAPACITY).build();
    assert_eq!(store.capacity(), CAPACITY);
    for n in 0..1_000_000 {
        let lease = acquire(&store, &id(n), DEFAULT_LEASE).await;
        store.complete(&lease, DEFAULT_RETENTION).await.unwrap();
        if n % 50_000 == 0 {
            assert!(store.len() <= CAPACITY, "{} records", store.len());
        }
    }
    assert!(store.len() <= CAPACITY, "{} records", store.len());
    // The newest records are still remembered.
    assert_eq!(
        store.claim(&id(999_999), DEFAULT_LEASE).await.unwrap(),
        Claim::Completed
    );
}

#[tokio::test]
async fn a_full_store_evicts_the_completed_records_closest_to_expiry_first() {
    // Capacity 8: one shard.
    let (store, _clock) = manual_store(8);
    for n in 0..8 {
        let lease = acquire(&store, &id(n), secs(30)).await;
        // id 0 expires first, id 7 last.
        let hours = u64::try_from(n).unwrap() + 1;
        store.complete(&lease, secs(hours * 3600)).await.unwrap();
    }
    assert_eq!(store.len(), 8);

    acquire(&store, &id(100), secs(30)).await;
    assert_eq!(store.len(), 8);
    for n in 1..8 {
        assert_eq!(
            store.claim(&id(n), secs(30)).await.unwrap(),
            Claim::Completed,
            "id {n}"
        );
    }
    // id 0 was evicted: a retry of it would be processed again.
    acquire(&store, &id(0), secs(30)).await;
    assert_eq!(store.len(), 8);
}

/// Whatever the order of completion, a full shard evicts the record closest to the end of its
/// retention, one per new id (the store stays as full as it can).
#[tokio::test]
async fn a_full_store_evicts_the_records_closest_to_expiry_whatever_their_order() {
    let (store, _clock) = manual_store(16);
    for n in 0..16 {
        let lease = acquire(&store, &id(n), secs(30)).await;
        // Retention deadlines in a shuffled order: id n expires after (n * 7 % 16) + 1 hours.
        let hours = u64::try_from(n * 7 % 16).unwrap() + 1;
        store.complete(&lease, secs(hours * 3600)).await.unwrap();
    }
    acquire(&store, &id(100), secs(30)).await;
    acquire(&store, &id(101), secs(30)).await;
    assert_eq!(store.len(), 16, "two evicted, two added");
    assert_eq!((store.evictions(), store.early_evictions()), (2, 2));
    // ids 0 and 7 had the two earliest deadlines (1 and 2 hours).
    let evicted = |n: usize| n * 7 % 16 < 2;
    for n in (0..16).filter(|&n| !evicted(n)) {
        assert_eq!(
            store.claim(&id(n), secs(30)).await.unwrap(),
            Claim::Completed,
            "id {n}"
        );
    }
    for n in (0..16).filter(|&n| evicted(n)) {
        assert_eq!(store.len(), 16);
        acquire(&store, &id(n), secs(30)).await;
    }
}

/// A record completed again after a take-over is evicted by its new deadline, not its old one.
#[tokio::test]
async fn a_record_taken_over_is_evicted_by_its_new_retention() {
    let (store, clock) = manual_store(8);
    for n in 0..8 {
        let lease = acquire(&store, &id(n), secs(30)).await;
        // id 0 with a retention of a minute; the others for a day and n minutes.
        let minutes = u64::try_from(n).unwrap();
        let retention = if n == 0 {
            secs(60)
        } else {
            secs(86_400 + minutes * 60)
        };
        store.complete(&lease, retention).await.unwrap();
    }
    // id 0 expires and is processed again, now retained for a week.
    advance(&clock, secs(120));
    let lease = acquire(&store, &id(0), secs(30)).await;
    store.complete(&lease, secs(7 * 86_400)).await.unwrap();
    // A new id evicts the earliest day-long record (id 1), not id 0 by its stale minute.
    acquire(&store, &id(100), secs(30)).await;
    assert_eq!(
        store.claim(&id(0), secs(30)).await.unwrap(),
        Claim::Completed
    );
    acquire(&store, &id(1), secs(30)).await;
}

/// The store says when it forgets early: records dropped for room are counted, and completed
/// ones still within their retention are counted apart, as early evictions.
#[tokio::test]
async fn evictions_are_counted_and_early_ones_apart() {
    let (store, clock) = manual_store(8);
    assert_eq!((store.evictions(), store.early_evictions()), (0, 0));
    // Four completions that expire within the hour, four that live for a day.
    for n in 0..8 {
        let lease = acquire(&store, &id(n), secs(30)).await;
        let retention = if n < 4 { secs(600) } else { secs(86_400) };
        store.complete(&lease, retention).await.unwrap();
    }
    // An hour later the four short ones have expired: room is made from them, nothing early.
    advance(&clock, secs(3600));
    acquire(&store, &id(100), secs(30)).await;
    assert_eq!(store.evictions(), 4);
    assert_eq!(store.early_evictions(), 0);
    // Fill up again; the next new id evicts a completed record still within its retention.
    for n in 101..104 {
        acquire(&store, &id(n), secs(30)).await;
    }
    assert_eq!(store.len(), 8);
    assert_eq!(store.early_evictions(), 0);
    acquire(&store, &id(104), secs(30)).await;
    assert_eq!(store.evictions(), 5);
    assert_eq!(store.early_evictions(), 1);
}

#[tokio::test]
async fn a_store_full_of_events_in_progress_answers_full() {
    let (store, clock) = manual_store(8);
    let mut leases = Vec::new();
    for n in 0..8 {
        leases.push(acquire(&store, &id(n), secs(30)).await);
    }
    assert_eq!(store.claim(&id(8), secs(30)).await, Err(StoreError::Full));
    let runs = AtomicUsize::new(0);
    let outcome = process_once(&store, &id(8), DEFAULT_LEASE, || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, Infallible>(())
    })
    .await;
    assert!(matches!(outcome, Received::StoreFailed(StoreError::Full)));
    assert_eq!(outcome.response().status(), 503);
    assert_eq!(runs.load(Ordering::SeqCst), 0);

    // A completed record may be evicted for a new one; the in-progress ones stay.
    let first = leases.remove(0);
    store.complete(&first, DEFAULT_RETENTION).await.unwrap();
    acquire(&store, &id(8), secs(30)).await;
    for n in 1..8 {
        assert!(matches!(
            store.claim(&id(n), secs(30)).await.unwrap(),
            Claim::InProgress { .. }
        ));
    }
    assert_eq!(store.claim(&id(9), secs(30)).await, Err(StoreError::Full));

    // Expired leases make room.
    advance(&clock, secs(30));
    acquire(&store, &id(9), secs(30)).await;
    assert!(store.len() <= 8);
}

#[tokio::test]
async fn a_sharded_full_store_answers_full_before_exceeding_its_capacity() {
    const CAPACITY: usize = 4096;
    let store = MemoryStore::builder().capacity(CAPACITY).build();
    let mut full = 0;
    for n in 0..=CAPACITY {
        match store.claim(&id(n), DEFAULT_LEASE).await {
            Ok(Claim::Acquired(_)) => {}
            Err(StoreError::Full) => full += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(full >= 1);
    assert!(store.len() <= CAPACITY);
}

#[tokio::test]
async fn a_capacity_of_zero_holds_one_record() {
    let store = MemoryStore::builder().capacity(0).build();
    assert_eq!(store.capacity(), 1);
    assert!(store.is_empty());
    acquire(&store, &id(1), DEFAULT_LEASE).await;
    assert_eq!(
        store.claim(&id(2), DEFAULT_LEASE).await,
        Err(StoreError::Full)
    );
}

#[test]
fn outcomes_map_to_http_answers() {
    type O = Received<(), &'static str>;
    let cases: Vec<(O, u16, Option<Duration>)> = vec![
        (Received::Processed(()), 200, None),
        (
            Received::ProcessedUnrecorded {
                value: (),
                error: StoreError::LeaseLost,
            },
            200,
            None,
        ),
        (Received::Duplicate, 200, None),
        (
            Received::InProgress {
                retry_after: secs(42),
            },
            409,
            Some(secs(42)),
        ),
        (Received::Conflict, 422, None),
        (
            Received::HandlerFailed {
                error: "boom",
                release_error: None,
            },
            500,
            None,
        ),
        (Received::StoreFailed(StoreError::Full), 503, None),
        (
            Received::StoreFailed(StoreError::Unavailable("connection refused".into())),
            503,
            None,
        ),
    ];
    for (outcome, status, retry_after) in cases {
        let response = outcome.response();
        assert_eq!(response.status(), status, "{outcome:?}");
        let seconds = retry_after
            .map(|d| d.as_secs())
            .or((status == 503).then_some(1));
        assert_eq!(response.retry_after(), seconds, "{outcome:?}");
    }
    assert_eq!(StoreError::LeaseLost.status(), 409);
}

/// A store of the user's own: here a wrapper that counts calls, written with `async fn`.
#[derive(Clone, Default)]
struct CountingStore {
    inner: MemoryStore,
    calls: Arc<AtomicUsize>,
}

// Not part of the API: the crate's own tests may stand in for a store (see `__private`).
impl webhook_receiver::__private::Sealed for CountingStore {}

impl IdempotencyStore for CountingStore {
    async fn claim_with_digest(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.claim_with_digest(id, digest, lease).await
    }

    async fn complete(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.complete(lease, retention).await
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.release(lease).await
    }
}

#[tokio::test]
async fn a_store_of_your_own_works_under_a_receiver_on_a_spawned_task() {
    let store = CountingStore::default();
    let calls = Arc::clone(&store.calls);
    let outcome = tokio::spawn(async move {
        process_once(&store, &id(1), DEFAULT_LEASE, || async {
            Ok::<_, Infallible>(())
        })
        .await
    })
    .await
    .unwrap();
    assert!(matches!(outcome, Received::Processed(())));
    // claim + complete
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
