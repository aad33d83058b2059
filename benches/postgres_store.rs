//! Latency of `PostgresStore` against the server of `WEBHOOK_RECEIVER_TEST_POSTGRES` (default:
//! the one `scripts/services.sh` starts): claim + complete of a new id (every first
//! delivery: two round trips), and the claim of a completed id (every retry: one round
//! trip). Runs on its own table, dropped at the end.
//!
//! `cargo bench --features postgres --bench postgres_store`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use webhook_receiver::MessageId;
use webhook_receiver::idempotency::postgres::PostgresStore;
use webhook_receiver::idempotency::{Claim, DEFAULT_LEASE, DEFAULT_RETENTION, IdempotencyStore};

const DEFAULT_SERVER: &str = "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test";

fn postgres_store(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES")
        .unwrap_or_else(|_| DEFAULT_SERVER.to_owned());
    let table = format!("wr_bench_{}", std::process::id());
    let store = runtime
        .block_on(PostgresStore::connect_with_table(&server, &table))
        .unwrap_or_else(|error| {
            panic!("cannot reach PostgreSQL ({error}); run `scripts/services.sh`")
        });

    let mut group = c.benchmark_group("postgres_store");
    let mut next = 0_u64;
    group.bench_function("claim_and_complete_new_id", |b| {
        b.iter(|| {
            next += 1;
            let id = MessageId::new("bench", &format!("new-{next}"));
            runtime.block_on(async {
                let Claim::Acquired(lease) = store.claim(&id, DEFAULT_LEASE).await.unwrap() else {
                    panic!("a new id must be acquired");
                };
                store.complete(&lease, DEFAULT_RETENTION).await.unwrap();
            });
        });
    });

    let duplicate = MessageId::new("bench", "duplicate");
    runtime.block_on(async {
        if let Claim::Acquired(lease) = store.claim(&duplicate, DEFAULT_LEASE).await.unwrap() {
            store.complete(&lease, DEFAULT_RETENTION).await.unwrap();
        }
    });
    group.bench_function("claim_duplicate", |b| {
        b.iter(|| {
            let claim = runtime.block_on(store.claim(black_box(&duplicate), DEFAULT_LEASE));
            assert!(matches!(claim, Ok(Claim::Completed)));
        });
    });
    group.finish();

    runtime.block_on(async {
        let client = store.pool().get().await.unwrap();
        client
            .batch_execute(&format!("DROP TABLE IF EXISTS \"{table}\""))
            .await
            .unwrap();
    });
}

criterion_group!(benches, postgres_store);
criterion_main!(benches);
