//! A rolling deploy, as an orchestrator does it: a receiver (`src/bin/deploy_receiver.rs`, the
//! shipped `integrations::axum::serve` with `shutdown_signal()`) under load from real HTTP
//! clients on keep-alive connections gets SIGTERM. Every request the server took in gets its
//! answer and its handler's end, new connections are refused at once while the drain goes
//! on, and the process exits within the grace period; a handler longer than the grace is
//! reported. Bounded: 8 clients for about a second, the process waited for at most 30 s.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "deploy-token";

struct Server {
    child: Child,
    port: u16,
    stdout: BufReader<ChildStdout>,
    effects: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.effects);
    }
}

fn start(label: &str, work_ms: u64, grace_ms: u64) -> Server {
    let effects = std::env::temp_dir().join(format!(
        "webhook-receiver-deploy-{label}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&effects);
    let mut child = Command::new(env!("CARGO_BIN_EXE_deploy_receiver"))
        .env("MUNITY_TOKEN", TOKEN)
        .env("WORK_MS", work_ms.to_string())
        .env("GRACE_MS", grace_ms.to_string())
        .env("EFFECTS", &effects)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("ready ")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("the receiver did not start: {line:?}"));
    Server {
        child,
        port,
        stdout,
        effects,
    }
}

impl Server {
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit (at most `limit`); answers how long it took and its
    /// `drained` line.
    fn exited(&mut self, limit: Duration) -> (Duration, String) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                let mut line = String::new();
                self.stdout.read_line(&mut line).unwrap();
                return (started.elapsed(), line.trim().to_owned());
            }
            assert!(started.elapsed() < limit, "the receiver did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The states whose handler started, and those whose handler finished.
    fn effects(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        let text = std::fs::read_to_string(&self.effects).unwrap_or_default();
        let (mut started, mut done) = (BTreeSet::new(), BTreeSet::new());
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("start", state)) => started.insert(state.to_owned()),
                Some(("done", state)) => done.insert(state.to_owned()),
                _ => panic!("unexpected effect line {line:?}"),
            };
        }
        (started, done)
    }
}

fn body(state: &str) -> String {
    format!(
        r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"{state}"}}"#
    )
}

/// `clients` senders on keep-alive connections, each sending deliveries one after another
/// until `stop`; answers each delivery's state and whether it was answered 200.
async fn load(
    port: u16,
    clients: usize,
    stop: Arc<AtomicBool>,
) -> Vec<(String, Result<u16, String>)> {
    let mut tasks = Vec::new();
    for client_number in 0..clients {
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            let mut results = Vec::new();
            for n in 0..200 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let state = format!("c{client_number}-{n}");
                let sent = client
                    .post(format!("http://127.0.0.1:{port}/webhooks/munity"))
                    .header("x-munity-token", TOKEN)
                    .header("content-type", "application/json")
                    .body(body(&state))
                    .send()
                    .await;
                let answered = sent
                    .map(|response| response.status().as_u16())
                    .map_err(|error| error.to_string());
                let failed = answered.is_err();
                results.push((state, answered));
                if failed {
                    break;
                }
            }
            results
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

#[tokio::test]
async fn a_deploy_answers_every_request_it_took_and_refuses_new_connections() {
    let mut server = start("drain", 700, 10_000);
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(load(server.port, 8, Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    server.terminate();
    // While the drain goes on (handlers of 700 ms are still running), the listener is closed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", server.port)).await;
    assert!(
        refused.is_err(),
        "a new connection was accepted during the drain"
    );
    stop.store(true, Ordering::SeqCst);
    let results = load.await.unwrap();
    let (took, drained) = server.exited(Duration::from_secs(12));
    assert!(took < Duration::from_secs(10), "exited after {took:?}");
    assert_eq!(drained, "drained 0 0", "work was cut off");
    let (started, done) = server.effects();
    assert!(started.len() >= 8, "too little load: {started:?}");
    // No handler was cut off: every one that started, finished.
    assert_eq!(started, done);
    // Every request the server took in was answered 200; the clients' only failures are
    // requests the server never took in (sent after the listener and the idle connections
    // closed).
    for (state, answered) in &results {
        if started.contains(state) {
            assert_eq!(answered, &Ok(200), "{state} was taken in and not answered");
        } else {
            assert!(
                answered.is_err(),
                "{state} was answered without a handler run"
            );
        }
    }
}

#[tokio::test]
async fn a_handler_longer_than_the_grace_is_reported_and_the_process_still_exits() {
    let mut server = start("cut", 5_000, 500);
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(load(server.port, 2, Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.terminate();
    stop.store(true, Ordering::SeqCst);
    let (took, drained) = server.exited(Duration::from_secs(10));
    assert!(took < Duration::from_secs(3), "exited after {took:?}");
    let results = load.await.unwrap();
    // Both connections were closed at the grace's end, and their handlers, detached from the
    // closed connections, were still running when the process exited.
    assert_eq!(drained, "drained 2 2", "{results:?}");
    // The two requests in flight were cut off: their senders see an error and will retry.
    assert!(
        results.iter().all(|(_, answered)| answered.is_err()),
        "{results:?}"
    );
    let (started, done) = server.effects();
    assert_eq!(started.len(), 2);
    assert!(done.is_empty());
}
