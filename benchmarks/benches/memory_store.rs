//! Throughput of the in-memory idempotency store: claim + complete of new ids (the path of
//! every first delivery, evicting old records once the store is full), and the claim of a
//! duplicate (the path of every retry), on one and two threads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::future::Future;
use std::hint::black_box;
use std::sync::Barrier;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use webhook_receiver::MessageId;
use webhook_receiver::idempotency::{
    Claim, DEFAULT_LEASE, DEFAULT_RETENTION, IdempotencyStore, MemoryStore,
};

/// Four times the default capacity: by the time an id comes round again it has long been
/// evicted, so every claim in the loop inserts a new record.
const POOL: usize = 400_000;

/// The memory store never waits, so one poll with a no-op waker finishes each call.
fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

fn claim_and_complete(store: &MemoryStore, id: &MessageId) {
    match now_or_never(store.claim(id, DEFAULT_LEASE)) {
        Ok(Claim::Acquired(lease)) => {
            now_or_never(store.complete(&lease, DEFAULT_RETENTION)).unwrap();
        }
        other => panic!("expected to acquire {id}, got {other:?}"),
    }
}

/// `count` claim + complete pairs on the ids `first`, `first + step`, ... of the pool,
/// wrapping round.
fn run(store: &MemoryStore, ids: &[MessageId], first: usize, step: usize, count: usize) {
    for k in 0..count {
        claim_and_complete(store, &ids[(first + k * step) % ids.len()]);
    }
}

fn memory_store(c: &mut Criterion) {
    let ids: Vec<MessageId> = (0..POOL)
        .map(|n| MessageId::new("bench", &format!("evt_{n:08}")))
        .collect();
    let mut group = c.benchmark_group("memory_store");
    group.throughput(Throughput::Elements(1));

    // One store per benchmark, filled past its capacity first so the figures are those of
    // the steady state (every insertion pays its share of evictions).
    let store = MemoryStore::new();
    run(&store, &ids, 0, 1, POOL);
    let mut cursor = 0;
    group.bench_function("claim_complete/1_thread", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                claim_and_complete(&store, black_box(&ids[cursor]));
                cursor = (cursor + 1) % POOL;
            }
            started.elapsed()
        });
    });

    let store = MemoryStore::new();
    run(&store, &ids, 0, 1, POOL);
    let mut cursor = 0;
    group.bench_function("claim_complete/2_threads", |b| {
        b.iter_custom(|iters| {
            // Each thread does half the pairs, one on the even ids of the pool, the other on
            // the odd ones; an iteration's time is the wall time of both divided by the pairs.
            let per_thread = usize::try_from(iters.div_ceil(2)).unwrap();
            let barrier = Barrier::new(3);
            let started = std::thread::scope(|scope| {
                for thread in 0..2 {
                    let (store, ids, barrier) = (&store, &ids, &barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        run(store, ids, cursor + thread, 2, per_thread);
                    });
                }
                barrier.wait();
                Instant::now()
            });
            let elapsed = started.elapsed();
            cursor = (cursor + 2 * per_thread) % POOL;
            elapsed
        });
    });

    let store = MemoryStore::new();
    let duplicate = MessageId::new("bench", "duplicate");
    claim_and_complete(&store, &duplicate);
    group.bench_function("claim_duplicate/1_thread", |b| {
        b.iter(|| {
            let claim = now_or_never(store.claim(black_box(&duplicate), DEFAULT_LEASE));
            assert_eq!(claim, Ok(Claim::Completed));
        });
    });
    group.finish();
}

criterion_group!(benches, memory_store);
criterion_main!(benches);
