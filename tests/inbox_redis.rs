//! The inbox contract (`tests/inbox_contract`) against `RedisInbox` on the real Redis that
//! `scripts/services.sh` starts (append-only file on), each test under a key prefix of its own.
#![cfg(all(feature = "inbox", feature = "redis"))]
#![allow(clippy::unwrap_used)]

mod inbox_contract;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use webhook_receiver::inbox::RedisInbox;

fn url() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// A connected inbox, and a factory of the same inbox under a prefix no other test (or earlier
/// run) uses.
async fn redis_inboxes() -> impl Fn() -> RedisInbox {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = RedisInbox::connect(&url()).await.unwrap();
    move || {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        base.clone()
            .with_prefix(format!("wr-inbox-test:{}:{nanos}:{n}:", std::process::id()))
    }
}

inbox_contract_tests!(redis_inboxes());

/// A server that accepts connections and never answers (a hung Redis, a black-holed proxy):
/// connecting gives up with `Unavailable` (each answer waits at most 5 s, a lost connection is
/// tried 3 more times: about 20 s here) instead of waiting forever, as `RedisStore::connect`
/// does. The 60 s bound only keeps a regression from hanging the suite.
#[tokio::test]
async fn a_server_that_never_answers_is_unavailable_not_a_hang() {
    use webhook_receiver::idempotency::StoreError;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    // Accept and hold every connection, reading nothing, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(16).flatten() {
            held.push(stream);
        }
        std::thread::sleep(std::time::Duration::from_secs(60));
    });
    let url = format!("redis://{address}/");
    let connected = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        RedisInbox::connect(&url),
    )
    .await
    .expect("connect must give up within its timeouts, not hang");
    let Err(error) = connected else {
        panic!("a server that never answers is not an inbox");
    };
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
}
