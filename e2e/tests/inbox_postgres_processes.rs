//! `PostgresInbox` with real worker processes (`src/bin/inbox_worker.rs`, `BACKEND=postgres`)
//! on the PostgreSQL that `scripts/services.sh` starts. The handler writes its effect row in
//! the run's transaction and keeps working before the commit:
//!
//! - a worker killed with SIGKILL mid-job loses its deliveries to another worker once their
//!   visibility runs out, and every delivery has exactly one effect row (the killed runs'
//!   rows were never committed);
//! - two workers on one inbox handle each of 1,000 deliveries (some received twice) once.
//!
//! Bounded: every wait gives up after 60 s; traffic only to 127.0.0.1.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use webhook_receiver::Secret;
use webhook_receiver::inbox::{Inbox, InboxReceived, PostgresInbox};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::verify::TokenScheme;

mod worker_processes;

use worker_processes::{Running, body, kill, wait_for};

const TOKEN: &str = "postgres-processes-token";

fn database() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES").unwrap_or_else(|_| {
        "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".to_owned()
    })
}

/// An inbox on a table no other test (or earlier run) uses, and its effects table.
async fn inbox(label: &str) -> (Inbox<Munity>, PostgresInbox, String, String) {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let table = format!(
        "pp_{label}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000
    );
    let munity =
        Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap());
    let backend = PostgresInbox::connect_with_table(&database(), &table)
        .await
        .expect("PostgreSQL from scripts/services.sh");
    let effects = format!("{table}_effects");
    backend
        .pool()
        .get()
        .await
        .unwrap()
        .batch_execute(&format!(
            "CREATE TABLE {effects} (state text NOT NULL, process int8 NOT NULL)"
        ))
        .await
        .unwrap();
    (
        Inbox::builder(munity, backend.clone()).build(),
        backend,
        table,
        effects,
    )
}

/// The committed effects: how many rows each state has, and how many each process wrote.
async fn effects(
    backend: &PostgresInbox,
    table: &str,
) -> (HashMap<String, i64>, HashMap<i64, i64>) {
    let client = backend.pool().get().await.unwrap();
    let rows = client
        .query(&format!("SELECT state, process FROM {table}"), &[])
        .await
        .unwrap();
    let mut runs = HashMap::new();
    let mut by_process = HashMap::new();
    for row in rows {
        *runs.entry(row.get::<_, String>(0)).or_insert(0) += 1;
        *by_process.entry(row.get::<_, i64>(1)).or_insert(0) += 1;
    }
    (runs, by_process)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_leaves_exactly_one_effect_per_delivery() {
    let (inbox, backend, table, effects_table) = inbox("kill").await;
    for n in 0..30 {
        let received = inbox
            .receive(&[("x-munity-token", TOKEN)][..], &body(&format!("k-{n}")))
            .await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    }

    // Visibility 600 ms, 200 ms of work between the effect and the commit: the kill lands
    // mid-job, with effects written and not committed.
    // The kill is aimed at a moment when both of the worker's slots hold a job; the slots
    // can still both finish between that look and the kill (they run in step), so a kill
    // that found nothing held is tried again with a new worker, at most five times.
    let mut killed = 0;
    let mut landed = false;
    while !landed && killed < 5 {
        let mut first = worker(&table, &effects_table, 600, 200);
        let before = inbox.stats().await.unwrap().completed;
        wait_for("the worker's completions, both slots busy", async || {
            let stats = inbox.stats().await.unwrap();
            stats.completed >= before + 3 && stats.in_flight >= 2
        })
        .await;
        kill(&mut first.0);
        killed += 1;
        landed = inbox.stats().await.unwrap().in_flight > 0;
    }
    assert!(landed, "none of {killed} kills landed mid-job");

    let mut second = worker(&table, &effects_table, 600, 200);
    wait_for("all 30 completed", async || {
        inbox.stats().await.unwrap().completed == 30
    })
    .await;
    kill(&mut second.0);

    let (runs, by_process) = effects(&backend, &effects_table).await;
    assert_eq!(runs.len(), 30, "every delivery has its effect");
    assert!(
        runs.values().all(|&n| n == 1),
        "a delivery's effect committed twice: {runs:?}"
    );
    assert!(
        by_process.len() >= 2,
        "the killed and the surviving processes both committed: {by_process:?}"
    );
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.pending, stats.in_flight, stats.dead), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_handle_each_of_1000_deliveries_once() {
    let (inbox, backend, table, effects_table) = inbox("two").await;
    let headers = [("x-munity-token", TOKEN)];
    for n in 0..1000 {
        let received = inbox.receive(&headers[..], &body(&format!("t-{n}"))).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
        if n % 10 == 0 {
            let again = inbox.receive(&headers[..], &body(&format!("t-{n}"))).await;
            assert!(matches!(again, InboxReceived::Duplicate), "{again:?}");
        }
    }
    let mut a = worker(&table, &effects_table, 30_000, 0);
    let mut b = worker(&table, &effects_table, 30_000, 0);
    wait_for("all 1000 completed", async || {
        inbox.stats().await.unwrap().completed == 1000
    })
    .await;
    kill(&mut a.0);
    kill(&mut b.0);
    let (runs, by_process) = effects(&backend, &effects_table).await;
    assert_eq!(runs.len(), 1000);
    assert!(runs.values().all(|&n| n == 1), "a delivery ran twice");
    assert_eq!(by_process.len(), 2, "both processes worked: {by_process:?}");
}

/// A PostgreSQL worker process on `table`, writing its effect rows into `effects`.
fn worker(table: &str, effects: &str, visibility_ms: u64, work_ms: u64) -> Running {
    let database = database();
    worker_processes::worker(
        &[
            ("BACKEND", "postgres"),
            ("POSTGRES", &database),
            ("TABLE", table),
            ("EFFECTS", effects),
        ],
        TOKEN,
        visibility_ms,
        work_ms,
    )
}
