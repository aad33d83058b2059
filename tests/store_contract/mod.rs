//! The behaviour every `IdempotencyStore` must show, written once and run against each store
//! (the shared stores use their server's clock, so expiry is exercised with short leases and
//! real waits that leave wide margins; nothing asserts how fast anything is).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::receive_once::process_once;
use webhook_receiver::idempotency::{Claim, DEFAULT_LEASE, IdempotencyStore, StoreError};
use webhook_receiver::{MessageId, Received};

/// A message id no other test (or earlier run against the same server) uses.
pub fn fresh_id(provider: &str, label: &str) -> MessageId {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    MessageId::new(
        provider,
        &format!("{label}-{nanos}-{n}-{}", std::process::id()),
    )
}

const LONG: Duration = Duration::from_secs(60);

async fn acquire<S: IdempotencyStore>(
    store: &S,
    id: &MessageId,
    lease: Duration,
) -> webhook_receiver::idempotency::Lease {
    match store.claim(id, lease).await.unwrap() {
        Claim::Acquired(lease) => lease,
        other => panic!("expected Acquired for {id}, got {other:?}"),
    }
}

/// absent -> in progress -> completed; a second claim while in progress waits; after
/// completion it is a duplicate.
pub async fn claim_complete_duplicate<S: IdempotencyStore>(store: &S) {
    let id = fresh_id("contract", "lifecycle");
    let lease = acquire(store, &id, LONG).await;
    assert_eq!(lease.id(), &id);
    match store.claim(&id, LONG).await.unwrap() {
        Claim::InProgress { retry_after } => {
            assert!(retry_after <= LONG, "{retry_after:?}");
            assert!(retry_after > Duration::from_secs(50), "{retry_after:?}");
        }
        other => panic!("expected InProgress, got {other:?}"),
    }
    store.complete(&lease, LONG).await.unwrap();
    assert!(matches!(
        store.claim(&id, LONG).await.unwrap(),
        Claim::Completed
    ));
    // Completing again with the same lease (a retry whose reply was lost) succeeds and
    // changes nothing; releasing is not the owner's any more.
    assert_eq!(store.complete(&lease, LONG).await, Ok(()));
    assert_eq!(store.release(&lease).await, Err(StoreError::LeaseLost));
    assert!(matches!(
        store.claim(&id, LONG).await.unwrap(),
        Claim::Completed
    ));
}

/// A released claim can be acquired again at once (the handler failed; the retry runs it).
pub async fn release_frees_the_id<S: IdempotencyStore>(store: &S) {
    let id = fresh_id("contract", "release");
    let lease = acquire(store, &id, LONG).await;
    store.release(&lease).await.unwrap();
    let again = acquire(store, &id, LONG).await;
    assert_ne!(again.token(), lease.token());
    assert_eq!(store.release(&lease).await, Err(StoreError::LeaseLost));
    store.complete(&again, LONG).await.unwrap();
}

/// A crashed worker's claim expires with its lease and is taken over; the old owner can then
/// neither complete nor release.
pub async fn expired_lease_is_taken_over<S: IdempotencyStore>(store: &S) {
    let id = fresh_id("contract", "takeover");
    let crashed = acquire(store, &id, Duration::from_millis(300)).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let next = acquire(store, &id, LONG).await;
    assert_eq!(
        store.complete(&crashed, LONG).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(store.release(&crashed).await, Err(StoreError::LeaseLost));
    store.complete(&next, LONG).await.unwrap();
    assert!(matches!(
        store.claim(&id, LONG).await.unwrap(),
        Claim::Completed
    ));
}

/// A completed id is forgotten when its retention ends.
pub async fn retention_ends<S: IdempotencyStore>(store: &S) {
    let id = fresh_id("contract", "retention");
    let lease = acquire(store, &id, LONG).await;
    store
        .complete(&lease, Duration::from_millis(300))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let again = acquire(store, &id, LONG).await;
    store.release(&again).await.unwrap();
}

/// The same id with a different body digest is a conflict, not a duplicate; the same digest is
/// a duplicate.
pub async fn digest_conflict<S: IdempotencyStore>(store: &S) {
    let id = fresh_id("contract", "digest");
    let lease = match store
        .claim_with_digest(&id, Some([1; 32]), LONG)
        .await
        .unwrap()
    {
        Claim::Acquired(lease) => lease,
        other => panic!("expected Acquired, got {other:?}"),
    };
    assert!(matches!(
        store
            .claim_with_digest(&id, Some([2; 32]), LONG)
            .await
            .unwrap(),
        Claim::Conflict
    ));
    store.complete(&lease, LONG).await.unwrap();
    assert!(matches!(
        store
            .claim_with_digest(&id, Some([2; 32]), LONG)
            .await
            .unwrap(),
        Claim::Conflict
    ));
    assert!(matches!(
        store
            .claim_with_digest(&id, Some([1; 32]), LONG)
            .await
            .unwrap(),
        Claim::Completed
    ));
    assert!(matches!(
        store.claim(&id, LONG).await.unwrap(),
        Claim::Completed
    ));
}

/// Providers' ids never collide: the same id text under two providers is two records.
pub async fn namespaces_are_separate<S: IdempotencyStore>(store: &S) {
    let a = fresh_id("palenca", "same");
    let b = MessageId::new("receeve", a.as_str());
    let lease = acquire(store, &a, LONG).await;
    let other = acquire(store, &b, LONG).await;
    store.complete(&lease, LONG).await.unwrap();
    store.complete(&other, LONG).await.unwrap();
}

/// One delivery of `id` through a receiver on `store`, whose handler counts its runs in
/// `runs`: the answer may be Processed, Duplicate or InProgress, never anything else.
async fn deliver<S: IdempotencyStore + Clone + 'static>(
    store: &S,
    id: &MessageId,
    runs: &AtomicUsize,
) {
    let outcome = process_once(store, id, DEFAULT_LEASE, || async {
        runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok::<_, std::convert::Infallible>(())
    })
    .await;
    match outcome {
        Received::Processed(()) | Received::Duplicate | Received::InProgress { .. } => {}
        other => panic!("unexpected outcome for {id}: {other:?}"),
    }
}

/// `concurrency` tasks deliver each of `ids` ids at once (a store shared by several instances
/// sees exactly this): every handler runs once per id; the others see InProgress or Duplicate.
pub async fn concurrent_deliveries_run_once<S>(store: Arc<S>, ids: usize, concurrency: usize)
where
    S: IdempotencyStore + Clone + 'static,
{
    let runs = Arc::new(AtomicUsize::new(0));
    for round in 0..ids {
        let id = fresh_id("contract", &format!("race{round}"));
        let mut tasks = Vec::with_capacity(concurrency);
        for _ in 0..concurrency {
            let (store, id, runs) = (Arc::clone(&store), id.clone(), Arc::clone(&runs));
            tasks.push(tokio::spawn(
                async move { deliver(&*store, &id, &runs).await },
            ));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            round + 1,
            "id {id} ran more than once"
        );
    }
}

/// Two instances of a shared store (each with its own connections, as two receiver
/// processes have) take `deliveries` concurrent deliveries of each of `ids` ids, alternating
/// between them, `batch` ids at a time: every handler runs exactly once, and every id then
/// reads Completed from either instance. Returns the ids, for the store's own checks.
pub async fn two_instances_run_each_event_once<S>(
    first: Arc<S>,
    second: Arc<S>,
    ids: usize,
    deliveries: usize,
    batch: usize,
) -> Vec<MessageId>
where
    S: IdempotencyStore + Clone + 'static,
{
    let ids: Vec<MessageId> = (0..ids)
        .map(|n| fresh_id("race", &format!("two-instances-{n}")))
        .collect();
    let runs: Arc<Vec<AtomicUsize>> = Arc::new(ids.iter().map(|_| AtomicUsize::new(0)).collect());
    for (start, chunk) in ids.chunks(batch).enumerate() {
        let mut tasks = Vec::with_capacity(chunk.len() * deliveries);
        for (offset, id) in chunk.iter().enumerate() {
            let index = start * batch + offset;
            for delivery in 0..deliveries {
                let store = Arc::clone(if delivery % 2 == 0 { &first } else { &second });
                let (id, runs) = (id.clone(), Arc::clone(&runs));
                tasks.push(tokio::spawn(async move {
                    deliver(&*store, &id, &runs[index]).await;
                }));
            }
        }
        for task in tasks {
            task.await.unwrap();
        }
    }
    for (id, count) in ids.iter().zip(runs.iter()) {
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "{id} ran a wrong number of times"
        );
    }
    for id in ids.iter().step_by(97) {
        assert_eq!(
            first.claim(id, LONG).await.unwrap(),
            Claim::Completed,
            "{id}"
        );
        assert_eq!(
            second.claim(id, LONG).await.unwrap(),
            Claim::Completed,
            "{id}"
        );
    }
    ids
}

/// Everything above, in order.
pub async fn run_all<S: IdempotencyStore + Clone + 'static>(store: Arc<S>) {
    claim_complete_duplicate(&*store).await;
    release_frees_the_id(&*store).await;
    digest_conflict(&*store).await;
    namespaces_are_separate(&*store).await;
    expired_lease_is_taken_over(&*store).await;
    retention_ends(&*store).await;
    concurrent_deliveries_run_once(store, 50, 16).await;
}

/// A TCP proxy on 127.0.0.1 in front of a store's server, that can cut the store off: every
/// open connection is closed and new ones are refused until [`Outage::restore`]. The server
/// itself, which other tests share, is never touched. Plain threads and blocking sockets, so
/// the tests need no more of tokio than they have.
pub struct Outage {
    pub addr: SocketAddr,
    open: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Outage {
    /// A proxy to `upstream`, passing traffic.
    pub fn proxy(upstream: SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<std::net::TcpStream>>> = Arc::default();
        std::thread::spawn({
            let (open, stop, links) = (Arc::clone(&open), Arc::clone(&stop), Arc::clone(&links));
            move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok((client, _)) = listener.accept() else {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    if !open.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let Ok(server) = std::net::TcpStream::connect(upstream) else {
                        continue;
                    };
                    client.set_nonblocking(false).unwrap();
                    let mut held = links.lock().unwrap();
                    held.push(client.try_clone().unwrap());
                    held.push(server.try_clone().unwrap());
                    for (mut from, mut to) in [
                        (client.try_clone().unwrap(), server.try_clone().unwrap()),
                        (server, client),
                    ] {
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut from, &mut to);
                            let _ = to.shutdown(std::net::Shutdown::Both);
                        });
                    }
                }
            }
        });
        Self {
            addr,
            open,
            stop,
            links,
        }
    }

    /// Cuts the store off: open connections closed, new ones refused.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            let _ = link.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Lets traffic through again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.cut();
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The handler has done its work when the store becomes unreachable for a while (shorter than
/// the lease): `complete` keeps trying and records the completion once the store is back, so
/// the event is a duplicate from then on, not processed again. `store` reaches its server
/// through `outage`.
pub async fn completion_survives_a_store_outage<S: IdempotencyStore>(store: &S, outage: &Outage) {
    let id = fresh_id("contract", "outage");
    let lease = acquire(store, &id, Duration::from_secs(30)).await;
    outage.cut();
    let back_in = Duration::from_millis(1500);
    let (completed, ()) = tokio::join!(store.complete(&lease, LONG), async {
        tokio::time::sleep(back_in).await;
        outage.restore();
    });
    assert_eq!(
        completed,
        Ok(()),
        "the completion gave up during the outage"
    );
    assert!(matches!(
        store.claim(&id, LONG).await.unwrap(),
        Claim::Completed
    ));

    // The same for a release (a failed handler): the retry can then claim at once.
    let id = fresh_id("contract", "outage-release");
    let lease = acquire(store, &id, Duration::from_secs(30)).await;
    outage.cut();
    let (released, ()) = tokio::join!(store.release(&lease), async {
        tokio::time::sleep(back_in).await;
        outage.restore();
    });
    assert_eq!(released, Ok(()), "the release gave up during the outage");
    assert!(matches!(
        store.claim(&id, LONG).await.unwrap(),
        Claim::Acquired(_)
    ));
}
