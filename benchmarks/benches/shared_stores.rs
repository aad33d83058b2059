//! Latency of the shared idempotency stores against real servers on 127.0.0.1: `PostgresStore`
//! (`WEBHOOK_RECEIVER_TEST_POSTGRES`, on its own table, dropped at the end) and `RedisStore`
//! (`WEBHOOK_RECEIVER_TEST_REDIS`, under its own key prefix, with expiring keys). Defaults are
//! the servers `scripts/services.sh` starts.
//!
//! For each: claim + complete of a new id (every first delivery: two round trips), and the
//! claim of a completed id (every retry: one round trip).
//!
//! `cargo bench -p webhook-receiver-benches --bench shared_stores`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use webhook_receiver::MessageId;
use webhook_receiver::idempotency::PostgresStore;
use webhook_receiver::idempotency::RedisStore;
use webhook_receiver::idempotency::{Claim, DEFAULT_LEASE, IdempotencyStore};

/// Long enough for the duplicate claims, short enough that the benchmark's Redis keys go away
/// soon after (the retention does not change the cost of a call).
const RETENTION: std::time::Duration = std::time::Duration::from_secs(600);

const DEFAULT_POSTGRES: &str =
    "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test";
const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379/";

fn server(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

/// The two measurements of one store.
fn measure<S: IdempotencyStore>(c: &mut Criterion, name: &str, runtime: &Runtime, store: &S) {
    let mut group = c.benchmark_group(name);
    let run = std::process::id();
    let mut next = 0_u64;
    group.bench_function("claim_and_complete_new_id", |b| {
        b.iter(|| {
            next += 1;
            let id = MessageId::new("bench", &format!("new-{run}-{next}"));
            runtime.block_on(async {
                let Claim::Acquired(lease) = store.claim(&id, DEFAULT_LEASE).await.unwrap() else {
                    panic!("a new id must be acquired");
                };
                store.complete(&lease, RETENTION).await.unwrap();
            });
        });
    });

    let duplicate = MessageId::new("bench", &format!("duplicate-{run}"));
    runtime.block_on(async {
        if let Claim::Acquired(lease) = store.claim(&duplicate, DEFAULT_LEASE).await.unwrap() {
            store.complete(&lease, RETENTION).await.unwrap();
        }
    });
    group.bench_function("claim_duplicate", |b| {
        b.iter(|| {
            let claim = runtime.block_on(store.claim(black_box(&duplicate), DEFAULT_LEASE));
            assert!(matches!(claim, Ok(Claim::Completed)));
        });
    });
    group.finish();
}

fn shared_stores(c: &mut Criterion) {
    // One thread drives the calls and the sockets, as one request of a server does; a
    // multi-thread runtime would add a cross-thread wake-up to every round trip.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let table = format!("wr_bench_{}", std::process::id());
    let postgres = runtime
        .block_on(PostgresStore::connect_with_table(
            &server("WEBHOOK_RECEIVER_TEST_POSTGRES", DEFAULT_POSTGRES),
            &table,
        ))
        .unwrap_or_else(|error| {
            panic!("cannot reach PostgreSQL ({error}); run scripts/services.sh")
        });
    measure(c, "postgres_store", &runtime, &postgres);
    runtime.block_on(async {
        let client = postgres.pool().get().await.unwrap();
        client
            .batch_execute(&format!("DROP TABLE IF EXISTS \"{table}\""))
            .await
            .unwrap();
    });

    // Keys expire with the retention; a prefix of its own keeps them apart from the tests'.
    let redis = runtime
        .block_on(RedisStore::connect(&server(
            "WEBHOOK_RECEIVER_TEST_REDIS",
            DEFAULT_REDIS,
        )))
        .unwrap_or_else(|error| panic!("cannot reach Redis ({error}); run scripts/services.sh"))
        .with_prefix(format!("wr-bench-{}:", std::process::id()));
    measure(c, "redis_store", &runtime, &redis);
}

criterion_group!(benches, shared_stores);
criterion_main!(benches);
