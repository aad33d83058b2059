//! Worker throughput side by side with its floors, on as many tasks as the worker has
//! handlers; each iteration processes a batch of deliveries enqueued beforehand (not timed),
//! and the worker's handler does nothing, so the figures are the runtime's own cost:
//!
//! - over `MemoryInbox`, against the backend's own loop of take + complete;
//! - over `RedisInbox` (the Redis of `scripts/services.sh`, `WEBHOOK_RECEIVER_TEST_REDIS`),
//!   against the engine itself: `XREADGROUP` + `XACK` of plain stream entries, with nothing
//!   around them;
//! - over `PostgresInbox` (the PostgreSQL of `scripts/services.sh`,
//!   `WEBHOOK_RECEIVER_TEST_POSTGRES`), against the engine it is built on: graphile_worker's
//!   own runner on trivial jobs. The receiving side too, one delivery after another, against a
//!   bare one-`INSERT` transaction of the same bytes on the same server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use webhook_receiver::__private::InboxOps as _;
use webhook_receiver::inbox::{Inbox, MemoryInbox, PostgresInbox, RedisInbox, Worker};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Provider, Secret};

const BATCH: usize = 2_000;
/// Smaller over Redis: each delivery costs round trips on the loopback.
const REDIS_BATCH: usize = 500;
/// Over PostgreSQL, each delivery costs round trips and commits.
const POSTGRES_BATCH: usize = 500;
const TOKEN: &str = "bench-token";

fn munity() -> Munity {
    Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap())
}

/// Enqueues `count` deliveries of distinct ids (the `round` keeps rounds apart).
async fn fill(inbox: &Inbox<Munity>, round: usize, count: usize) {
    let headers = [("x-munity-token", TOKEN)];
    for n in 0..count {
        let received = inbox.receive(&headers[..], &body(round, n)).await;
        assert_eq!(received.response().body(), "accepted");
    }
}

fn body(round: usize, n: usize) -> Vec<u8> {
    format!(
        r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"r{round}-{n}"}}"#
    )
    .into_bytes()
}

/// A fresh `MemoryInbox` holding `BATCH` deliveries, and the inbox in front of it.
async fn filled(round: usize) -> (Inbox<Munity>, MemoryInbox) {
    let backend = MemoryInbox::new();
    let inbox = Inbox::builder(munity(), backend.clone()).build();
    fill(&inbox, round, BATCH).await;
    (inbox, backend)
}

/// The floor: `tasks` loops taking and completing on the backend until the batch is done.
async fn bare(inbox: &Inbox<Munity>, backend: &MemoryInbox, tasks: usize) {
    let done = Arc::new(AtomicUsize::new(0));
    let mut loops = Vec::new();
    for _ in 0..tasks {
        let (backend, done) = (backend.clone(), Arc::clone(&done));
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

/// The worker with `concurrency` handlers that do nothing, stopped once `batch` deliveries
/// are done.
async fn worker(inbox: &Inbox<Munity>, concurrency: usize, batch: usize) {
    let done = Arc::new(AtomicUsize::new(0));
    let all_done = Arc::new(Notify::new());
    let handler = {
        let (done, all_done) = (Arc::clone(&done), Arc::clone(&all_done));
        move |_delivery| {
            let (done, all_done) = (Arc::clone(&done), Arc::clone(&all_done));
            async move {
                if done.fetch_add(1, Ordering::SeqCst) + 1 == batch {
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
    assert_eq!(report.completed as usize, batch);
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
                    let (inbox, backend) =
                        runtime.block_on(filled(round.fetch_add(1, Ordering::SeqCst)));
                    let started = Instant::now();
                    runtime.block_on(bare(&inbox, &backend, tasks));
                    spent += started.elapsed();
                }
                spent
            });
        });
        group.bench_function(format!("worker/{tasks}"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let (inbox, _) = runtime.block_on(filled(round.fetch_add(1, Ordering::SeqCst)));
                    let started = Instant::now();
                    runtime.block_on(worker(&inbox, tasks, BATCH));
                    spent += started.elapsed();
                }
                spent
            });
        });
    }
    group.finish();
}

fn redis_url() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

fn prefix(round: usize) -> String {
    format!("wr-inbox-bench:{}:{round}:", std::process::id())
}

/// A `RedisInbox` under a fresh prefix holding `REDIS_BATCH` deliveries.
async fn redis_filled(base: &RedisInbox, round: usize) -> Inbox<Munity> {
    let inbox = Inbox::builder(munity(), base.clone().with_prefix(prefix(round))).build();
    fill(&inbox, round, REDIS_BATCH).await;
    inbox
}

/// The engine's floor: a stream of `REDIS_BATCH` plain entries, read and acknowledged one at a
/// time by `tasks` loops, each on a connection of its own.
async fn redis_floor(client: &redis::Client, round: usize, tasks: usize) -> Duration {
    use redis::AsyncCommands as _;
    let stream = format!("{}floor", prefix(round));
    let mut setup = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&stream)
        .arg("g")
        .arg("0")
        .arg("MKSTREAM")
        .query_async(&mut setup)
        .await
        .unwrap();
    for n in 0..REDIS_BATCH {
        let _: String = setup.xadd(&stream, "*", &[("key", n)]).await.unwrap();
    }
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut loops = Vec::new();
    for task in 0..tasks {
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let (stream, done) = (stream.clone(), Arc::clone(&done));
        loops.push(tokio::spawn(async move {
            while done.load(Ordering::SeqCst) < REDIS_BATCH {
                let read: redis::streams::StreamReadReply = connection
                    .xread_options(
                        &[&stream],
                        &[">"],
                        &redis::streams::StreamReadOptions::default()
                            .group("g", format!("c{task}"))
                            .count(1),
                    )
                    .await
                    .unwrap();
                for key in read.keys {
                    for entry in key.ids {
                        let _: i64 = connection.xack(&stream, "g", &[&entry.id]).await.unwrap();
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    for task in loops {
        task.await.unwrap();
    }
    let spent = started.elapsed();
    let _: () = setup.del(&stream).await.unwrap();
    spent
}

fn redis_inbox(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let Ok(base) = runtime.block_on(RedisInbox::connect(&redis_url())) else {
        eprintln!("inbox_redis: no durable Redis at {}; skipped", redis_url());
        return;
    };
    let client = redis::Client::open(redis_url()).unwrap();
    let mut group = c.benchmark_group("inbox_redis");
    group.throughput(Throughput::Elements(REDIS_BATCH as u64));
    group.sample_size(10);
    let round = AtomicUsize::new(1_000_000);
    for tasks in [1, 4] {
        group.bench_function(format!("engine_xreadgroup_xack/{tasks}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let n = round.fetch_add(1, Ordering::SeqCst);
                        runtime.block_on(redis_floor(&client, n, tasks))
                    })
                    .sum()
            });
        });
        group.bench_function(format!("worker/{tasks}"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let n = round.fetch_add(1, Ordering::SeqCst);
                    let inbox = runtime.block_on(redis_filled(&base, n));
                    let started = Instant::now();
                    runtime.block_on(worker(&inbox, tasks, REDIS_BATCH));
                    spent += started.elapsed();
                    // Drop what the round left (completed records, the stream).
                    runtime.block_on(async {
                        let _ = inbox
                            .purge(time::OffsetDateTime::now_utc() + time::Duration::hours(1))
                            .await;
                    });
                }
                spent
            });
        });
    }
    group.finish();
}

fn postgres_config() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES").unwrap_or_else(|_| {
        "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".to_owned()
    })
}

/// A trivial job for graphile_worker's own runner, the engine's floor.
#[derive(serde::Deserialize, serde::Serialize)]
struct Trivial {
    n: usize,
}

impl graphile_worker::TaskHandler for Trivial {
    const IDENTIFIER: &'static str = "wr_bench_trivial";

    async fn run(
        self,
        _ctx: graphile_worker::WorkerContext,
    ) -> impl graphile_worker::IntoTaskHandlerResult {
        let _ = self.n;
    }
}

/// The engine's floor: graphile_worker's runner with `tasks` concurrent jobs, on a schema of
/// its own, working through `POSTGRES_BATCH` trivial jobs added beforehand (not timed).
async fn graphile_floor(pool: &deadpool_postgres::Pool, tasks: usize) -> Duration {
    let worker = graphile_worker::WorkerOptions::default()
        .concurrency(tasks)
        .schema("wr_bench_graphile")
        .define_job::<Trivial>()
        .database(graphile_worker::Database::from(pool.clone()))
        .listen_os_shutdown_signals(false)
        .init()
        .await
        .unwrap();
    let utils = worker.create_utils();
    for n in 0..POSTGRES_BATCH {
        utils
            .add_job(Trivial { n }, graphile_worker::JobSpec::default())
            .await
            .unwrap();
    }
    let started = Instant::now();
    worker.run_once().await.unwrap();
    started.elapsed()
}

/// The receiving side's floors: one `INSERT` of the same bytes per delivery into a table of
/// two columns, each its own transaction: in autocommit (one round trip, one commit) or, with
/// `explicit`, as an application writes one (`BEGIN`, `INSERT`, `COMMIT`).
async fn bare_inserts(pool: &deadpool_postgres::Pool, round: usize, explicit: bool) -> Duration {
    let mut client = pool.get().await.unwrap();
    let table = format!("wr_bench_bare_{}_{round}", std::process::id());
    client
        .batch_execute(&format!(
            "CREATE TABLE {table} (key text PRIMARY KEY, payload bytea NOT NULL)"
        ))
        .await
        .unwrap();
    let insert = client
        .prepare(&format!(
            "INSERT INTO {table} (key, payload) VALUES ($1, $2)"
        ))
        .await
        .unwrap();
    let started = Instant::now();
    for n in 0..POSTGRES_BATCH {
        let key = format!("munity:r{round}-{n}");
        if explicit {
            let transaction = client.transaction().await.unwrap();
            transaction
                .execute(&insert, &[&key, &body(round, n)])
                .await
                .unwrap();
            transaction.commit().await.unwrap();
        } else {
            client
                .execute(&insert, &[&key, &body(round, n)])
                .await
                .unwrap();
        }
    }
    let spent = started.elapsed();
    client
        .batch_execute(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
    spent
}

fn postgres_inbox(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let Ok(base) = runtime.block_on(PostgresInbox::connect_with_table(
        &postgres_config(),
        &format!("wr_bench_inbox_{}", std::process::id()),
    )) else {
        eprintln!("inbox_postgres: no PostgreSQL at the configured address; skipped");
        return;
    };
    let inbox = Inbox::builder(munity(), base.clone()).build();
    let pool = base.pool().clone();
    let mut group = c.benchmark_group("inbox_postgres");
    group.throughput(Throughput::Elements(POSTGRES_BATCH as u64));
    group.sample_size(10);
    let round = AtomicUsize::new(2_000_000);
    let purge = |inbox: &Inbox<Munity>| {
        runtime.block_on(async {
            let _ = inbox
                .purge(time::OffsetDateTime::now_utc() + time::Duration::hours(1))
                .await;
        });
    };
    // The receiving side, one delivery after another: verify, parse, and the one statement
    // that records the row and adds its job.
    for (name, explicit) in [("bare_insert", false), ("bare_insert_transaction", true)] {
        group.bench_function(format!("receive/{name}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let n = round.fetch_add(1, Ordering::SeqCst);
                        runtime.block_on(bare_inserts(&pool, n, explicit))
                    })
                    .sum()
            });
        });
    }
    group.bench_function("receive/inbox", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let n = round.fetch_add(1, Ordering::SeqCst);
                let started = Instant::now();
                runtime.block_on(fill(&inbox, n, POSTGRES_BATCH));
                spent += started.elapsed();
                // Not timed: work the round off, so every round starts from an empty queue.
                runtime.block_on(worker(&inbox, 4, POSTGRES_BATCH));
                purge(&inbox);
            }
            spent
        });
    });
    for tasks in [1, 4] {
        group.bench_function(format!("engine_graphile_worker/{tasks}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| runtime.block_on(graphile_floor(&pool, tasks)))
                    .sum()
            });
        });
        group.bench_function(format!("worker/{tasks}"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let n = round.fetch_add(1, Ordering::SeqCst);
                    runtime.block_on(fill(&inbox, n, POSTGRES_BATCH));
                    let started = Instant::now();
                    runtime.block_on(worker(&inbox, tasks, POSTGRES_BATCH));
                    spent += started.elapsed();
                    purge(&inbox);
                }
                spent
            });
        });
    }
    group.finish();
}

criterion_group!(benches, inbox, redis_inbox, postgres_inbox);
criterion_main!(benches);
