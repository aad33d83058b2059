//! PostgreSQL stopped mid-run under a `PostgresInbox`: while it is down, receiving answers 503
//! and writes nothing; the running workers wait and resume by themselves when it is back, and
//! every accepted delivery is processed (the runs in flight at the crash at most twice).
//!
//! The test starts a PostgreSQL server of its own (the Debian package's `initdb` and
//! `pg_ctl`, as the `postgres` user when run as root) on a free port of 127.0.0.1 with a data
//! directory of its own, and stops it with `pg_ctl stop -m immediate` (no checkpoint: the
//! restart runs crash recovery), so no other test is disturbed. Fails, never skips, when the
//! server binaries are missing. Bounded: every wait gives up after 30 s.
#![cfg(all(feature = "inbox", feature = "postgres"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use webhook_receiver::__private::InboxOps as _;

use webhook_receiver::inbox::{Inbox, InboxReceived, PostgresInbox, Worker};
use webhook_receiver::providers::munity::{Munity, Webhook};
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Delivery, Secret};

const TOKEN: &str = "postgres-outage-token";

/// A PostgreSQL server of this test, stopped at once when dropped.
struct Server {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Server {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL from scripts/services.sh")
            .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max_by_key(|bin| {
                bin.parent()
                    .and_then(|version| version.file_name())
                    .and_then(|name| name.to_str())
                    .and_then(|name| name.parse::<u32>().ok())
                    .unwrap_or(0)
            })
            .expect("an initdb under /usr/lib/postgresql");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("wr-pg-outage-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let server = Self { bin, dir, port };
        server.own_dir();
        server.run(
            "initdb",
            &[
                "-D",
                &server.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        server.pg_ctl_start();
        server
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn config(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres connect_timeout=2",
            self.port
        )
    }

    /// PostgreSQL refuses to run as root: as root, its files belong to `postgres`.
    fn own_dir(&self) {
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&self.dir)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    /// `tool` of the server's installation with `args`, run as `postgres` when we are root.
    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        let mut command = if is_root() {
            let mut runuser = Command::new("runuser");
            runuser.args(["-u", "postgres", "--"]).arg(&program);
            runuser
        } else {
            Command::new(&program)
        };
        command.args(args);
        command
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let output = self.command(tool, args).output().unwrap();
        assert!(
            output.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}'",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-t",
                "30",
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
            ],
        );
    }

    /// The crash: no checkpoint, clients cut off; the next start runs recovery.
    fn stop_immediately(&self) {
        self.run(
            "pg_ctl",
            &["stop", "-m", "immediate", "-w", "-D", &self.data()],
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl", &["stop", "-m", "immediate", "-D", &data])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

fn body(state: &str) -> Vec<u8> {
    format!(
        r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"{state}"}}"#
    )
    .into_bytes()
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_of_postgresql_is_503_while_down_and_workers_resume_by_themselves() {
    let server = Server::start();
    let munity =
        Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap());
    let backend = PostgresInbox::connect(&server.config()).await.unwrap();
    let inbox = Inbox::builder(munity, backend.clone()).build();
    let headers = [("x-munity-token", TOKEN)];
    for n in 0..40 {
        let received = inbox.receive(&headers[..], &body(&format!("c-{n}"))).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    }

    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let (inbox, runs) = (inbox.clone(), Arc::clone(&runs));
        tokio::spawn(async move {
            let worker = Worker::builder(inbox)
                .concurrency(2)
                .visibility_timeout(Duration::from_secs(2))
                .build();
            let handler = move |delivery: Delivery<Webhook>| {
                let runs = Arc::clone(&runs);
                async move {
                    let state = delivery.event.state.unwrap_or_default();
                    *runs.lock().unwrap().entry(state).or_insert(0) += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, String>(())
                }
            };
            worker
                .run(handler, async move {
                    let _ = stopped.await;
                })
                .await
        })
    };
    wait_for("the first completions", async || {
        backend
            .stats()
            .await
            .is_ok_and(|stats| stats.completed >= 5)
    })
    .await;

    server.stop_immediately();
    let refused = inbox.receive(&headers[..], &body("while-down")).await;
    assert!(
        matches!(refused, InboxReceived::Unavailable(_)),
        "{refused:?}"
    );
    assert_eq!(refused.response().status(), 503);
    assert!(backend.stats().await.is_err(), "the server is down");
    // Down for longer than the workers' visibility (2 s): the outcomes of the runs in flight
    // cannot be recorded in time, and every slot's next take meets the outage.
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.pg_ctl_start();

    // Back: the workers resume without being told, and everything accepted is processed.
    wait_for("all 40 completed after the restart", async || {
        backend
            .stats()
            .await
            .is_ok_and(|stats| stats.completed == 40)
    })
    .await;
    let _ = stop.send(());
    let report = worker.await.unwrap();
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 40, "every accepted delivery ran");
    let total: usize = runs.values().sum();
    // Only the runs in flight at the crash (two handlers) can have run twice.
    assert!(total <= 42, "{total} runs for 40 deliveries: {report:?}");
    assert!(!runs.contains_key("while-down"));
    let stats = backend.stats().await.unwrap();
    assert_eq!((stats.pending, stats.in_flight, stats.dead), (0, 0, 0));
    // Nothing of the refused delivery was written: its retry is accepted as new.
    let retried = inbox.receive(&headers[..], &body("while-down")).await;
    assert!(matches!(retried, InboxReceived::Accepted), "{retried:?}");
}
