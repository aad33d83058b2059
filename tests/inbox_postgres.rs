//! The inbox contract (`tests/inbox_contract`) against `PostgresInbox` on the real PostgreSQL
//! that `scripts/services.sh` starts, each test on a table of its own (and so on tasks of its
//! own in graphile_worker's queue).
#![cfg(feature = "inbox-postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod inbox_contract;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use webhook_receiver::inbox::PostgresInbox;

fn database() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES").unwrap_or_else(|_| {
        "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".to_owned()
    })
}

/// A table name no other test (or earlier run) uses.
fn fresh_table() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "inbox_t{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
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
