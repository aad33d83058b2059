//! A Redis that remembers: `RedisStore::connect` refuses a server that could forget completed
//! ids, and a server run as it asks keeps them across a crash.
//!
//! Each test starts its own `redis-server` (the Debian package `scripts/services.sh`
//! installs) on a free port of 127.0.0.1 with a data directory of its own, so killing it
//! disturbs no other test. The tests fail, never skip, when `redis-server` is missing.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod receive_once;
mod store_contract;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use webhook_receiver::idempotency::RedisStore;
use webhook_receiver::idempotency::{Claim, IdempotencyStore, StoreError};

use store_contract::fresh_id;

const LONG: Duration = Duration::from_secs(3600);

/// The tests of this file run one at a time: a server restarted on its port must not find the
/// port taken by another test's new server (ports freed by a kill are handed out again).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A `redis-server` of this test, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
    args: Vec<String>,
}

impl Server {
    /// Starts `redis-server` with `args` in a fresh directory, on a free port.
    async fn start(args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("wr-redis-durability-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            child: spawn(port, &dir, args),
            port,
            dir,
            args: args.iter().map(|&a| a.to_owned()).collect(),
        };
        server.wait_until_up().await;
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server with SIGKILL (no shutdown, no last save) and starts it again on the
    /// same port and directory.
    async fn crash_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        self.child = spawn(self.port, &self.dir, &args);
        self.wait_until_up().await;
    }

    async fn wait_until_up(&mut self) {
        for _ in 0..100 {
            if let Ok(client) = redis::Client::open(self.url())
                && let Ok(mut connection) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut connection)
                    .await
                    .is_ok()
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("redis-server exited with {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {} did not come up", self.port);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn(port: u16, dir: &PathBuf, args: &[&str]) -> Child {
    Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .arg("--dir")
        .arg(dir)
        .args(["--save", ""])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server is not installed: run `scripts/services.sh` (as root)")
}

fn refusal(result: Result<RedisStore, StoreError>) -> String {
    match result {
        Err(StoreError::Misconfigured(message)) => message,
        Err(other) => panic!("expected Misconfigured, got {other:?}"),
        Ok(_) => panic!("the server was accepted"),
    }
}

#[tokio::test]
async fn connect_refuses_a_server_without_its_append_only_file() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&["--appendonly", "no"]).await;
    let message = refusal(RedisStore::connect(&server.url()).await);
    assert!(message.contains("appendonly yes"), "{message}");
    assert!(message.contains("connect_unchecked"), "{message}");
    // Accepting the loss is an explicit choice.
    assert!(RedisStore::connect_unchecked(&server.url()).await.is_ok());
}

/// The inbox keeps deliveries that were answered `200 accepted`: it refuses the same servers.
#[cfg(feature = "inbox")]
#[tokio::test]
async fn the_redis_inbox_refuses_a_server_without_its_append_only_file() {
    use webhook_receiver::inbox::RedisInbox;
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&["--appendonly", "no"]).await;
    let message = match RedisInbox::connect(&server.url()).await {
        Err(StoreError::Misconfigured(message)) => message,
        Err(other) => panic!("expected Misconfigured, got {other:?}"),
        Ok(_) => panic!("the server was accepted"),
    };
    assert!(message.contains("appendonly yes"), "{message}");
    assert!(RedisInbox::connect_unchecked(&server.url()).await.is_ok());
    let durable = Server::start(&["--appendonly", "yes"]).await;
    assert!(RedisInbox::connect(&durable.url()).await.is_ok());
}

#[tokio::test]
async fn connect_refuses_a_server_that_may_evict_the_store_keys() {
    let _serial = ONE_AT_A_TIME.lock().await;
    for policy in ["allkeys-lru", "volatile-ttl"] {
        let server = Server::start(&[
            "--appendonly",
            "yes",
            "--maxmemory",
            "100mb",
            "--maxmemory-policy",
            policy,
        ])
        .await;
        let message = refusal(RedisStore::connect(&server.url()).await);
        assert!(message.contains(policy), "{message}");
        assert!(message.contains("noeviction"), "{message}");
    }
    // A memory limit that never evicts is fine.
    let server = Server::start(&[
        "--appendonly",
        "yes",
        "--maxmemory",
        "100mb",
        "--maxmemory-policy",
        "noeviction",
    ])
    .await;
    assert!(RedisStore::connect(&server.url()).await.is_ok());
}

/// 200 completed ids, the server killed with SIGKILL and started again: every id is still
/// answered as a duplicate.
#[tokio::test]
async fn completed_ids_survive_a_crash_of_a_server_run_as_connect_asks() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut server = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]).await;
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let ids: Vec<_> = (0..200)
        .map(|n| fresh_id("durable", &n.to_string()))
        .collect();
    for id in &ids {
        let Claim::Acquired(lease) = store.claim(id, LONG).await.unwrap() else {
            panic!("{id} was not new");
        };
        store.complete(&lease, LONG).await.unwrap();
    }
    server.crash_and_restart().await;
    let store = RedisStore::connect(&server.url()).await.unwrap();
    for id in &ids {
        assert_eq!(
            store.claim(id, LONG).await.unwrap(),
            Claim::Completed,
            "{id}"
        );
    }
}

/// The control: the same crash on a server without persistence forgets every id, which is
/// what `connect` refuses.
#[tokio::test]
async fn a_server_without_persistence_forgets_every_completed_id() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut server = Server::start(&["--appendonly", "no"]).await;
    let store = RedisStore::connect_unchecked(&server.url()).await.unwrap();
    let id = fresh_id("forgotten", "0");
    let Claim::Acquired(lease) = store.claim(&id, LONG).await.unwrap() else {
        panic!("{id} was not new");
    };
    store.complete(&lease, LONG).await.unwrap();
    server.crash_and_restart().await;
    let store = RedisStore::connect_unchecked(&server.url()).await.unwrap();
    assert!(matches!(
        store.claim(&id, LONG).await.unwrap(),
        Claim::Acquired(_)
    ));
}

/// The inbox on a Redis that crashes (SIGKILL) while workers run: after the restart the
/// workers resume by themselves, every accepted delivery is processed, and only those in flight
/// at the crash ran again.
#[cfg(feature = "inbox")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_deliveries_survive_a_crash_and_the_workers_resume() {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use webhook_receiver::inbox::{Inbox, InboxReceived, RedisInbox, Worker};
    use webhook_receiver::providers::munity::{Munity, Webhook};
    use webhook_receiver::verify::TokenScheme;
    use webhook_receiver::{Delivery, Secret};

    let _serial = ONE_AT_A_TIME.lock().await;
    let mut server = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]).await;
    let munity =
        Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken").unwrap()).unwrap());
    let inbox = Inbox::builder(munity, RedisInbox::connect(&server.url()).await.unwrap()).build();
    let headers = [("x-munity-token", "t0ken")];
    for n in 0..40 {
        let body = format!(
            r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"c-{n}"}}"#
        );
        let received = inbox.receive(&headers[..], body.as_bytes()).await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    }

    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let handler = {
        let runs = Arc::clone(&runs);
        move |delivery: Delivery<Webhook>| {
            let runs = Arc::clone(&runs);
            async move {
                let state = delivery.event.state.unwrap_or_default();
                *runs.lock().unwrap().entry(state).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok::<_, String>(())
            }
        }
    };
    let worker = Worker::builder(inbox.clone())
        .concurrency(2)
        .visibility_timeout(Duration::from_secs(1))
        .build();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(handler, async {
                let _ = stopped.await;
            })
            .await
    });
    for _ in 0..500 {
        if runs.lock().unwrap().len() >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.crash_and_restart().await;
    let mut completed = 0;
    for _ in 0..3000 {
        // Errors while the connection comes back count as not done yet.
        completed = inbox.stats().await.map_or(0, |stats| stats.completed);
        if completed == 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        completed, 40,
        "the workers did not finish after the restart"
    );
    stop.send(()).unwrap();
    running.await.unwrap();
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 40, "an accepted delivery was lost");
    let again = runs.values().filter(|&&n| n > 1).count();
    // At most the two in flight at the crash ran again.
    assert!(
        again <= 2,
        "{again} deliveries ran more than once: {runs:?}"
    );
}
