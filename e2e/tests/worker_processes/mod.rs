//! What the two worker-process suites (`inbox_redis_processes.rs`,
//! `inbox_postgres_processes.rs`) share: the worker process of `src/bin/inbox_worker.rs`,
//! killed with SIGKILL when dropped, the bounded wait, and the bodies they send.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A worker process, killed (SIGKILL) when dropped: a failing test leaves none behind.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        kill(&mut self.0);
    }
}

/// SIGKILL, then reap.
pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A worker process with two handlers, `backend` (the backend's own variables, `BACKEND`
/// included) and the token, visibility and work time; answers once it printed `ready`.
pub fn worker(backend: &[(&str, &str)], token: &str, visibility_ms: u64, work_ms: u64) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_inbox_worker"))
        .envs(backend.iter().copied())
        .env("MUNITY_TOKEN", token)
        .env("VISIBILITY_MS", visibility_ms.to_string())
        .env("WORK_MS", work_ms.to_string())
        .env("CONCURRENCY", "2")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let running = Running(child);
    assert_eq!(line.trim(), "ready", "the worker did not start");
    running
}

/// Waits until `done`, giving up after 60 s.
pub async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A Munity body whose `state` the worker records as the delivery's effect.
pub fn body(state: &str) -> Vec<u8> {
    format!(
        r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"{state}"}}"#
    )
    .into_bytes()
}
