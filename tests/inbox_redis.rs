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
