//! Worker throughput over the in-process inbox, side by side with its floor: the backend's own
//! loop of take + complete with no worker around it, on as many tasks as the worker has
//! handlers. Each iteration processes a batch of deliveries enqueued beforehand (not timed);
//! the worker's handler does nothing, so the figures are the runtime's own cost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use webhook_receiver::inbox::{Inbox, InboxBackend, MemoryInbox, Worker};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Provider, Secret};

const BATCH: usize = 2_000;
const TOKEN: &str = "bench-token";

fn munity() -> Munity {
    Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap())
}

/// A fresh inbox holding `BATCH` deliveries of distinct ids (the `round` keeps them apart).
async fn filled(round: usize) -> Inbox<Munity, MemoryInbox> {
    let inbox = Inbox::new(munity(), MemoryInbox::new());
    let headers = [("x-munity-token", TOKEN)];
    for n in 0..BATCH {
        let body = format!(
            r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"r{round}-{n}"}}"#
        );
        let received = inbox.receive(&headers[..], body.as_bytes()).await;
        assert_eq!(received.response().body(), "accepted");
    }
    inbox
}

/// The floor: `tasks` loops taking and completing until the batch is done.
async fn bare(inbox: &Inbox<Munity, MemoryInbox>, tasks: usize) {
    let done = Arc::new(AtomicUsize::new(0));
    let mut loops = Vec::new();
    for _ in 0..tasks {
        let (backend, done) = (inbox.backend().clone(), Arc::clone(&done));
        let provider = inbox.provider().name();
        loops.push(tokio::spawn(async move {
            while done.load(Ordering::SeqCst) < BATCH {
                let Some(job) = backend
                    .take(provider, Duration::from_secs(30), Duration::from_millis(1))
                    .await
                    .unwrap()
                else {
                    continue;
                };
                backend.complete(&job).await.unwrap();
                done.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for task in loops {
        task.await.unwrap();
    }
}

/// The worker with `concurrency` handlers, stopped once the batch is done.
async fn worker(inbox: &Inbox<Munity, MemoryInbox>, concurrency: usize) {
    let done = Arc::new(AtomicUsize::new(0));
    let all_done = Arc::new(Notify::new());
    let handler = {
        let (done, all_done) = (Arc::clone(&done), Arc::clone(&all_done));
        move |_delivery| {
            let (done, all_done) = (Arc::clone(&done), Arc::clone(&all_done));
            async move {
                if done.fetch_add(1, Ordering::SeqCst) + 1 == BATCH {
                    all_done.notify_one();
                }
                Ok::<_, Infallible>(())
            }
        }
    };
    let report = Worker::builder(inbox.clone())
        .concurrency(concurrency)
        .build()
        .run(handler, async move { all_done.notified().await })
        .await;
    assert_eq!(report.completed as usize, BATCH);
}

fn inbox(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let mut group = c.benchmark_group("inbox");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    let round = AtomicUsize::new(0);
    for tasks in [1, 4] {
        group.bench_function(format!("bare_take_complete/{tasks}"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let inbox = runtime.block_on(filled(round.fetch_add(1, Ordering::SeqCst)));
                    let started = Instant::now();
                    runtime.block_on(bare(&inbox, tasks));
                    spent += started.elapsed();
                }
                spent
            });
        });
        group.bench_function(format!("worker/{tasks}"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let inbox = runtime.block_on(filled(round.fetch_add(1, Ordering::SeqCst)));
                    let started = Instant::now();
                    runtime.block_on(worker(&inbox, tasks));
                    spent += started.elapsed();
                }
                spent
            });
        });
    }
    group.finish();
}

criterion_group!(benches, inbox);
criterion_main!(benches);
