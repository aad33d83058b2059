//! The inbox contract (`tests/inbox_contract`) against `PostgresInbox` on the real PostgreSQL
//! that `scripts/services.sh` starts, each test on a table of its own (and so on tasks of its
//! own in graphile_worker's queue).
#![cfg(all(feature = "inbox", feature = "postgres"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod inbox_contract;

use std::sync::Mutex;

use webhook_receiver::inbox::PostgresInbox;

fn database() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES").unwrap_or_else(|_| {
        "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".to_owned()
    })
}

/// A table name no other test (or earlier run) uses.
fn fresh_table() -> String {
    format!("inbox_t{}", common::fresh_name())
}

/// An inbox on a fresh table, handed out by the factory (each contract test calls it once).
async fn postgres_inboxes() -> impl Fn() -> PostgresInbox {
    let inbox = PostgresInbox::connect_with_table(&database(), &fresh_table())
        .await
        .expect("PostgreSQL from scripts/services.sh");
    let slot = Mutex::new(Some(inbox));
    move || slot.lock().unwrap().take().expect("one inbox per test")
}

inbox_contract_tests!(postgres_inboxes());

/// An inbox built on a pool of the application's own ([`PostgresInbox::new`]), on a fresh
/// table: no listening connection, so waiting takes look again every 100 ms.
async fn pool_inboxes() -> impl Fn() -> PostgresInbox {
    use webhook_receiver::deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
    let config: webhook_receiver::tokio_postgres::Config = database().parse().unwrap();
    let manager = Manager::from_config(
        config,
        webhook_receiver::tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager).max_size(8).build().unwrap();
    let inbox = PostgresInbox::with_table(pool, &fresh_table())
        .await
        .expect("PostgreSQL from scripts/services.sh");
    let slot = Mutex::new(Some(inbox));
    move || slot.lock().unwrap().take().expect("one inbox per test")
}

mod on_the_applications_pool {
    //! The same contract on an inbox built from the application's pool.

    use super::{inbox_contract, pool_inboxes};

    crate::inbox_contract_tests!(pool_inboxes());

    /// Nothing wakes a waiting take on such an inbox: it must look again by itself, well
    /// before its wait runs out (every 100 ms; the bound here is 30 times that).
    #[tokio::test]
    async fn a_waiting_take_finds_a_delivery_enqueued_meanwhile() {
        use std::time::{Duration, Instant};
        use webhook_receiver::__private::InboxOps as _;
        use webhook_receiver::inbox::{Inbox, InboxReceived};
        use webhook_receiver::providers::munity::Munity;
        use webhook_receiver::{Secret, verify::TokenScheme};

        let backend = (pool_inboxes().await)();
        let munity =
            Munity::new(TokenScheme::new("x-munity-token", Secret::new("t").unwrap()).unwrap());
        let inbox = Inbox::builder(munity, backend.clone()).build();
        let waiting = tokio::spawn({
            let backend = backend.clone();
            async move {
                let started = Instant::now();
                let job = backend
                    .take("munity", Duration::from_secs(30), Duration::from_secs(20))
                    .await
                    .unwrap();
                (job.is_some(), started.elapsed())
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let body = br#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true}}"#;
        let received = inbox.receive(&[("x-munity-token", "t")][..], body).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
        let (taken, after) = waiting.await.unwrap();
        assert!(taken);
        assert!(after < Duration::from_secs(3), "picked up after {after:?}");
    }
}

mod in_transaction {
    //! `Worker::run_in_transaction`: the handler's writes commit with the completion, or not
    //! at all.

    use std::collections::HashMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    use webhook_receiver::__private::InboxOps as _;

    use webhook_receiver::inbox::{
        Inbox, InboxReceived, InboxTransaction, PostgresInbox, RetryPolicy, Worker, WorkerReport,
    };
    use webhook_receiver::providers::munity::Munity;
    use webhook_receiver::verify::TokenScheme;
    use webhook_receiver::{Delivery, Secret};

    use super::{database, fresh_table};

    type Event = webhook_receiver::providers::munity::Webhook;

    const TOKEN: &str = "inbox-tx-token";

    fn munity() -> Munity {
        Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap())
    }

    async fn inbox() -> (Inbox<Munity>, PostgresInbox, String) {
        let table = fresh_table();
        let backend = PostgresInbox::connect_with_table(&database(), &table)
            .await
            .expect("PostgreSQL from scripts/services.sh");
        let effects = format!("{table}_effects");
        let client = backend.pool().get().await.unwrap();
        // No unique constraint: a second effect of one delivery would show as a second row.
        client
            .batch_execute(&format!(
                "CREATE TABLE {effects} (state text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())"
            ))
            .await
            .unwrap();
        (
            Inbox::builder(munity(), backend.clone()).build(),
            backend,
            effects,
        )
    }

    async fn accept(inbox: &Inbox<Munity>, state: &str) {
        let headers = [("x-munity-token", TOKEN)];
        let body = format!(
            r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"{state}"}}"#
        );
        let received = inbox.receive(&headers[..], body.as_bytes()).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    }

    async fn effects(backend: &PostgresInbox, table: &str) -> HashMap<String, i64> {
        let client = backend.pool().get().await.unwrap();
        client
            .query(
                &format!("SELECT state, count(*) FROM {table} GROUP BY state"),
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    }

    fn state_of(delivery: &Delivery<Event>) -> String {
        delivery.event.state.clone().unwrap_or_default()
    }

    /// The handler's writes can commit with the completion only in PostgreSQL: on another
    /// backend the run is refused before anything is taken, and the delivery stays pending.
    #[tokio::test]
    async fn an_inbox_elsewhere_is_refused_before_anything_is_taken() {
        let backend = webhook_receiver::inbox::MemoryInbox::new();
        let inbox = Inbox::builder(munity(), backend).build();
        accept(&inbox, "elsewhere").await;
        let worker = Worker::builder(inbox.clone()).build();
        let refused = worker
            .run_in_transaction(
                |_delivery, tx| async move { Ok::<_, String>(tx) },
                std::future::pending(),
            )
            .await
            .unwrap_err();
        assert!(refused.reason().contains("PostgresInbox"), "{refused}");
        let stats = inbox.stats().await.unwrap();
        assert_eq!((stats.pending, stats.in_flight), (1, 0));
    }

    /// Runs `worker` until the inbox counts `completed` completions (at most 20 s).
    async fn run_until_completed<F, Fut>(
        worker: &Worker<Munity>,
        backend: &PostgresInbox,
        handler: F,
        completed: usize,
    ) -> WorkerReport
    where
        F: Fn(Delivery<Event>, InboxTransaction) -> Fut + Clone + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<InboxTransaction, String>> + Send + 'static,
    {
        let backend = backend.clone();
        worker
            .run_in_transaction(handler, async move {
                for _ in 0..2000 {
                    if backend.stats().await.unwrap().completed >= completed {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("{completed} completions did not come within 20 s");
            })
            .await
            .expect("the inbox is on PostgreSQL")
    }

    /// A run whose transaction is refused at `COMMIT` (a deferred constraint), or that hands
    /// back a transaction a failed statement aborted, has failed: it follows the retry policy
    /// and ends in the dead letters with why. It once left the job locked, taken again after
    /// every sweep, forever, with no backoff and no dead letter.
    #[tokio::test]
    async fn a_transaction_that_does_not_commit_follows_the_retry_policy() {
        let (inbox, backend, table) = inbox().await;
        let deferred = format!("{table}_deferred");
        backend
            .pool()
            .get()
            .await
            .unwrap()
            .batch_execute(&format!(
                "CREATE TABLE {deferred} (v int, CONSTRAINT {deferred}_once UNIQUE (v) \
                 DEFERRABLE INITIALLY DEFERRED)"
            ))
            .await
            .unwrap();
        accept(&inbox, "refused-at-commit").await;
        accept(&inbox, "aborted").await;
        let worker = Worker::builder(inbox.clone())
            .visibility_timeout(Duration::from_millis(300))
            .retry(
                RetryPolicy::attempts(2)
                    .backoff(Duration::from_millis(10), Duration::from_millis(10)),
            )
            .build();
        let runs = Arc::new(AtomicUsize::new(0));
        let handler = {
            let (deferred, runs) = (deferred.clone(), Arc::clone(&runs));
            move |delivery: Delivery<Event>, tx: InboxTransaction| {
                let (deferred, runs) = (deferred.clone(), Arc::clone(&runs));
                async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    if state_of(&delivery) == "aborted" {
                        // A failed statement whose error the handler drops.
                        let _ = tx.client().batch_execute("SELECT 1/0").await;
                    } else {
                        tx.client()
                            .batch_execute(&format!(
                                "INSERT INTO {deferred} VALUES (1); INSERT INTO {deferred} VALUES (1)"
                            ))
                            .await
                            .map_err(|error| error.to_string())?;
                    }
                    Ok::<_, String>(tx)
                }
            }
        };
        let probe = inbox.clone();
        let report = worker
            .run_in_transaction(handler, async move {
                for _ in 0..1000 {
                    if probe.stats().await.unwrap().dead == 2 {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("not in the dead letters within 10 s");
            })
            .await
            .unwrap();
        assert_eq!((report.retried, report.dead_lettered), (2, 2), "{report:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 4);
        let dead = inbox
            .dead_letters(&webhook_receiver::inbox::DeadLetterFilter::all(), 10)
            .await
            .unwrap();
        assert!(
            dead.iter()
                .all(|letter| letter.error.contains("did not commit")),
            "{dead:?}"
        );
    }

    /// The completion of a transactional run removes the take's heartbeat row inside the run's
    /// transaction; a heartbeat that comes meanwhile waits on that row. The worker must keep
    /// polling the run (which then commits and frees the row) instead of waiting for the
    /// heartbeat: it once did not, the run never sent its `COMMIT`, and the whole inbox
    /// stopped. The window is made wide here: while a session setting is on, removing a
    /// heartbeat row takes 500 ms (a trigger), where the heartbeat comes every 100 ms.
    #[tokio::test]
    async fn a_heartbeat_waiting_on_the_runs_own_row_does_not_stall_the_worker() {
        let (inbox, backend, table) = inbox().await;
        backend
            .pool()
            .get()
            .await
            .unwrap()
            .batch_execute(
                "CREATE OR REPLACE FUNCTION webhook_test_slow_deregister() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                   IF current_setting('webhook_test.slow_deregister', true) = 'on' THEN \
                     PERFORM pg_sleep(0.5); \
                   END IF; \
                   RETURN OLD; \
                 END $$; \
                 CREATE OR REPLACE TRIGGER webhook_test_slow_deregister \
                   BEFORE DELETE ON graphile_worker._private_workers \
                   FOR EACH ROW EXECUTE FUNCTION webhook_test_slow_deregister();",
            )
            .await
            .unwrap();
        for n in 0..3 {
            accept(&inbox, &format!("slow-{n}")).await;
        }
        let worker = Worker::builder(inbox.clone())
            .concurrency(1)
            .visibility_timeout(Duration::from_millis(300))
            .build();
        let handler = {
            let table = table.clone();
            move |delivery: Delivery<Event>, tx: InboxTransaction| {
                let table = table.clone();
                async move {
                    tx.client()
                        .batch_execute("SET LOCAL webhook_test.slow_deregister = 'on'")
                        .await
                        .map_err(|error| error.to_string())?;
                    tx.client()
                        .execute(
                            &format!("INSERT INTO {table} (state) VALUES ($1)"),
                            &[&state_of(&delivery)],
                        )
                        .await
                        .map_err(|error| error.to_string())?;
                    Ok(tx)
                }
            }
        };
        let report = tokio::time::timeout(
            Duration::from_secs(30),
            run_until_completed(&worker, &backend, handler, 3),
        )
        .await
        .expect("the worker stalled on its own heartbeat");
        assert_eq!(report.completed, 3, "{report:?}");
        let written = effects(&backend, &table).await;
        assert_eq!(written.len(), 3, "{written:?}");
    }

    /// The handler writes its effect, then fails (error or panic) on the first run of some
    /// deliveries: those writes are rolled back, and every delivery ends with one effect.
    #[tokio::test]
    async fn failed_runs_leave_no_effect_and_each_delivery_has_exactly_one() {
        let (inbox, backend, table) = inbox().await;
        for n in 0..30 {
            let kind = match n % 3 {
                0 => "ok",
                1 => "fails-once",
                _ => "panics-once",
            };
            accept(&inbox, &format!("{kind}-{n}")).await;
        }
        let failed = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
        let worker = Worker::builder(inbox.clone())
            .concurrency(4)
            .retry(
                RetryPolicy::attempts(3)
                    .backoff(Duration::from_millis(10), Duration::from_millis(20)),
            )
            .build();
        let insert = format!("INSERT INTO {table} (state) VALUES ($1)");
        let handler = {
            let failed = Arc::clone(&failed);
            move |delivery: Delivery<Event>, tx: InboxTransaction| {
                let failed = Arc::clone(&failed);
                let insert = insert.clone();
                async move {
                    let state = state_of(&delivery);
                    tx.client()
                        .execute(insert.as_str(), &[&state])
                        .await
                        .map_err(|error| error.to_string())?;
                    let first = failed.lock().unwrap().insert(state.clone());
                    if first && state.starts_with("fails-once") {
                        return Err("failed after writing".to_owned());
                    }
                    if first && state.starts_with("panics-once") {
                        panic!("panicked after writing");
                    }
                    Ok(tx)
                }
            }
        };
        let report = run_until_completed(&worker, &backend, handler, 30).await;
        assert_eq!((report.completed, report.retried), (30, 20), "{report:?}");
        let written = effects(&backend, &table).await;
        assert_eq!(written.len(), 30);
        assert!(written.values().all(|&n| n == 1), "{written:?}");
    }

    /// A run that stalls (its thread blocked, so no heartbeat) past its visibility loses its
    /// take to another worker; when it wakes, its commit is refused and its writes are rolled
    /// back: one effect, from the run that completed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_that_lost_its_take_commits_nothing() {
        let (inbox, backend, table) = inbox().await;
        accept(&inbox, "stalls").await;
        let insert = format!("INSERT INTO {table} (state) VALUES ($1)");
        let stalled = Arc::new(AtomicBool::new(false));
        let runs = Arc::new(AtomicUsize::new(0));
        let handler = {
            let (stalled, runs) = (Arc::clone(&stalled), Arc::clone(&runs));
            move |delivery: Delivery<Event>, tx: InboxTransaction| {
                let (stalled, runs, insert) =
                    (Arc::clone(&stalled), Arc::clone(&runs), insert.clone());
                async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tx.client()
                        .execute(insert.as_str(), &[&state_of(&delivery)])
                        .await
                        .map_err(|error| error.to_string())?;
                    if !stalled.swap(true, Ordering::SeqCst) {
                        // Blocks this worker's only thread: no heartbeat for 1.5 s.
                        std::thread::sleep(Duration::from_millis(1500));
                    }
                    Ok::<_, String>(tx)
                }
            }
        };
        // The stalling worker, on a runtime of its own with one thread.
        let stalling = {
            let (inbox, handler) = (inbox.clone(), handler.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let worker = Worker::builder(inbox)
                        .concurrency(1)
                        .visibility_timeout(Duration::from_millis(300))
                        .build();
                    worker
                        .run_in_transaction(
                            handler,
                            tokio::time::sleep(Duration::from_millis(2500)),
                        )
                        .await
                })
            })
        };
        // Wait for the stall to begin, then a second worker takes the delivery over.
        for _ in 0..500 {
            if stalled.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            stalled.load(Ordering::SeqCst),
            "the first run did not start"
        );
        let worker = Worker::builder(inbox.clone()).concurrency(1).build();
        let taken_over = run_until_completed(&worker, &backend, handler, 1).await;
        let first = stalling.join().unwrap().unwrap();
        assert_eq!(taken_over.completed, 1, "{taken_over:?}");
        assert_eq!((first.completed, first.unrecorded), (0, 1), "{first:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        let written = effects(&backend, &table).await;
        assert_eq!(written.get("stalls"), Some(&1), "{written:?}");
    }
}

mod job_keys {
    //! A delivery's job is keyed within its inbox: inboxes on other tables never share it,
    //! and a job of that key added by hand makes the receive fail whole.

    use std::time::Duration;

    use webhook_receiver::__private::InboxOps as _;

    use webhook_receiver::inbox::{Inbox, InboxReceived, PostgresInbox};
    use webhook_receiver::providers::munity::Munity;
    use webhook_receiver::verify::TokenScheme;
    use webhook_receiver::{MessageId, Secret};

    use super::{database, fresh_table};

    const TOKEN: &str = "inbox-keys-token";
    const BODY: &[u8] = br#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true},"state":"same-everywhere"}"#;

    async fn inbox(table: &str) -> (Inbox<Munity>, PostgresInbox) {
        let munity =
            Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap());
        let backend = PostgresInbox::connect_with_table(&database(), table)
            .await
            .expect("PostgreSQL from scripts/services.sh");
        (Inbox::builder(munity, backend.clone()).build(), backend)
    }

    /// A delivery handed back (a shutdown past its grace) keeps its last error, as the other
    /// backends keep it; it was once cleared.
    #[tokio::test]
    async fn a_release_keeps_the_last_error() {
        let table = fresh_table();
        let (inbox, backend) = inbox(&table).await;
        let received = inbox.receive(&[("x-munity-token", TOKEN)][..], BODY).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
        let wait = Duration::from_secs(5);
        let job = backend.take("munity", wait, wait).await.unwrap().unwrap();
        let due = time::OffsetDateTime::now_utc();
        backend
            .retry(&job, "the first run failed", due)
            .await
            .unwrap();
        let job = backend.take("munity", wait, wait).await.unwrap().unwrap();
        backend.release(&job).await.unwrap();
        let client = backend.pool().get().await.unwrap();
        let error: Option<String> = client
            .query_one(&format!("SELECT error FROM {table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(error.as_deref(), Some("the first run failed"));
    }

    /// Another user of graphile_worker's schema may clean its task identifiers up (`cleanup`
    /// drops those without jobs); the next job then gets a new task id under the same
    /// identifier. A waiting take must find it: it once kept the old id for the process's
    /// life and never saw a job again.
    #[tokio::test]
    async fn a_task_identifier_cleaned_up_meanwhile_is_looked_up_again() {
        let table = fresh_table();
        let (inbox, backend) = inbox(&table).await;
        // A take that finds nothing looks the task id up and keeps it.
        let none = backend
            .take("munity", Duration::from_secs(30), Duration::from_millis(50))
            .await
            .unwrap();
        assert!(none.is_none());
        let client = backend.pool().get().await.unwrap();
        let removed = client
            .execute(
                "DELETE FROM graphile_worker._private_tasks WHERE identifier = $1",
                &[&format!("webhook-receiver:{table}:munity")],
            )
            .await
            .unwrap();
        assert_eq!(removed, 1);
        let received = inbox.receive(&[("x-munity-token", TOKEN)][..], BODY).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
        let job = backend
            .take("munity", Duration::from_secs(30), Duration::from_secs(15))
            .await
            .unwrap();
        assert!(
            job.is_some(),
            "the job under the new task id was never taken"
        );
    }

    #[tokio::test]
    async fn two_inboxes_each_process_the_same_delivery() {
        let (a, b) = (inbox(&fresh_table()).await, inbox(&fresh_table()).await);
        let headers = [("x-munity-token", TOKEN)];
        for (inbox, _) in [&a, &b] {
            let received = inbox.receive(&headers[..], BODY).await;
            assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
        }
        for (inbox, backend) in [&a, &b] {
            let job = backend
                .take("munity", Duration::from_secs(30), Duration::from_secs(2))
                .await
                .unwrap()
                .expect("each inbox has its own job");
            backend.complete(&job).await.unwrap();
            assert_eq!(inbox.stats().await.unwrap().completed, 1);
        }
    }

    #[tokio::test]
    async fn a_job_added_by_hand_under_a_deliverys_key_fails_the_receive_whole() {
        let table = fresh_table();
        let (inbox, backend) = inbox(&table).await;
        let key = format!(
            "webhook-receiver:{table}:{}",
            MessageId::digest("munity", BODY).key()
        );
        let client = backend.pool().get().await.unwrap();
        client
            .execute(
                "SELECT graphile_worker.add_job('someone_elses_task', job_key => $1)",
                &[&key],
            )
            .await
            .unwrap();
        let headers = [("x-munity-token", TOKEN)];
        let received = inbox.receive(&headers[..], BODY).await;
        assert!(
            matches!(received, InboxReceived::Unavailable(_)),
            "{received:?}"
        );
        assert_eq!(received.response().status(), 503);
        let stats = inbox.stats().await.unwrap();
        assert_eq!((stats.pending, stats.in_flight), (0, 0), "nothing written");
        // Once the stray job is gone, the sender's retry is accepted.
        client
            .execute("SELECT graphile_worker.remove_job($1)", &[&key])
            .await
            .unwrap();
        let retried = inbox.receive(&headers[..], BODY).await;
        assert!(matches!(retried, InboxReceived::Accepted), "{retried:?}");
    }
}
