//! `RedisInbox` with real worker processes (`src/bin/inbox_worker.rs`) on the Redis that
//! `scripts/services.sh` starts: a worker killed with SIGKILL mid-job loses its deliveries to
//! another worker once their holds run out, and two workers on one inbox handle each of 1,000
//! deliveries (some received twice) once. Bounded: every wait gives up after 60 s.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use webhook_receiver::Secret;
use webhook_receiver::inbox::{Inbox, InboxReceived, RedisInbox};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::verify::TokenScheme;

mod worker_processes;

use worker_processes::{Running, body, kill, wait_for};

const TOKEN: &str = "redis-processes-token";

fn url() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

fn unique(label: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("wr-inbox-processes:{}:{nanos}:{label}:", std::process::id())
}

fn munity() -> Munity {
    Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap())
}

async fn inbox(prefix: &str) -> Inbox<Munity> {
    let backend = RedisInbox::connect(&url())
        .await
        .unwrap()
        .with_prefix(prefix);
    Inbox::builder(munity(), backend).build()
}

/// The effects so far: how many times each state ran, and by which processes.
fn effects(path: &std::path::Path) -> (HashMap<String, usize>, HashMap<String, usize>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut runs = HashMap::new();
    let mut by_process = HashMap::new();
    for line in text.lines() {
        let mut parts = line.split(' ');
        let (Some(state), Some(process)) = (parts.next(), parts.next()) else {
            panic!("a torn effect line: {line:?}");
        };
        *runs.entry(state.to_owned()).or_insert(0) += 1;
        *by_process.entry(process.to_owned()).or_insert(0) += 1;
    }
    (runs, by_process)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_loses_its_deliveries_to_another_after_their_holds() {
    let prefix = unique("kill");
    let inbox = inbox(&prefix).await;
    let dir = std::env::temp_dir().join(unique("kill-effects").replace(':', "-"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("effects");
    for n in 0..30 {
        let received = inbox
            .receive(&[("x-munity-token", TOKEN)][..], &body(&format!("k-{n}")))
            .await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    }

    // Visibility 600 ms, 200 ms of work after each effect: the kill lands mid-job.
    let mut first = worker(&prefix, &path, 600, 200);
    wait_for("the first worker's effects", async || {
        effects(&path).0.len() >= 5
    })
    .await;
    kill(&mut first.0);
    let killed_at = effects(&path).0.values().sum::<usize>();
    // The killed worker was mid-job: its deliveries are still held, by nobody alive.
    let held = inbox.stats().await.unwrap().in_flight;
    assert!(held > 0, "the kill did not land mid-job");

    let mut second = worker(&prefix, &path, 600, 200);
    wait_for("all 30 completed", async || {
        inbox.stats().await.unwrap().completed == 30
    })
    .await;
    kill(&mut second.0);

    let (runs, _) = effects(&path);
    assert_eq!(runs.len(), 30, "every delivery ran");
    let total: usize = runs.values().sum();
    // Only the deliveries the killed worker held (two handlers) can have run twice.
    assert!(
        total <= 32,
        "{total} runs for 30 deliveries; {killed_at} before the kill"
    );
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.pending, stats.in_flight, stats.dead), (0, 0, 0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_handle_each_of_1000_deliveries_once() {
    let prefix = unique("two");
    let inbox = inbox(&prefix).await;
    let dir = std::env::temp_dir().join(unique("two-effects").replace(':', "-"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("effects");
    let headers = [("x-munity-token", TOKEN)];
    for n in 0..1000 {
        let received = inbox.receive(&headers[..], &body(&format!("t-{n}"))).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
        if n % 10 == 0 {
            let again = inbox.receive(&headers[..], &body(&format!("t-{n}"))).await;
            assert!(matches!(again, InboxReceived::Duplicate), "{again:?}");
        }
    }
    let mut a = worker(&prefix, &path, 30_000, 0);
    let mut b = worker(&prefix, &path, 30_000, 0);
    wait_for("all 1000 completed", async || {
        inbox.stats().await.unwrap().completed == 1000
    })
    .await;
    kill(&mut a.0);
    kill(&mut b.0);
    let (runs, by_process) = effects(&path);
    assert_eq!(runs.len(), 1000);
    assert!(runs.values().all(|&n| n == 1), "a delivery ran twice");
    assert_eq!(by_process.len(), 2, "both processes worked: {by_process:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A Redis worker process on `prefix`, recording its effects in the file at `effects`.
fn worker(prefix: &str, effects: &std::path::Path, visibility_ms: u64, work_ms: u64) -> Running {
    let (url, effects) = (url(), effects.display().to_string());
    worker_processes::worker(
        &[
            ("BACKEND", "redis"),
            ("REDIS", &url),
            ("PREFIX", prefix),
            ("EFFECTS", &effects),
        ],
        TOKEN,
        visibility_ms,
        work_ms,
    )
}
