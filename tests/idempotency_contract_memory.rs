//! The store contract (`tests/store_contract`) against the embedded `MemoryStore`, on the real
//! clock like the shared stores.

mod receive_once;
mod store_contract;

use std::sync::Arc;

use webhook_receiver::idempotency::MemoryStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_keeps_the_contract() {
    store_contract::run_all(Arc::new(MemoryStore::new())).await;
}
