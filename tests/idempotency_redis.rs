//! `RedisStore` against a real Redis server: the store contract, two instances racing, keys
//! that expire by themselves, an unreachable server, and a crashed worker's claim.
//!
//! The server is read from `WEBHOOK_RECEIVER_TEST_REDIS` (default
//! `redis://127.0.0.1:6379/`); `scripts/services.sh` installs and starts it. The tests fail,
//! never skip, when it is not there. Each test uses its own key prefix and deletes its keys.
#![cfg(feature = "redis")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod receive_once;
mod store_contract;

use receive_once::process_once;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use webhook_receiver::MessageId;
use webhook_receiver::Received;
use webhook_receiver::idempotency::RedisStore;
use webhook_receiver::idempotency::{Claim, IdempotencyStore, StoreError};

use store_contract::fresh_id;

const LONG: Duration = Duration::from_secs(60);

fn url() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// A key prefix no other test or run uses.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("wr-test:{}:{nanos}:{test}:", std::process::id())
}

/// A store on the test server under a fresh prefix; fails (never skips) without a server.
async fn store(test: &str) -> RedisStore {
    match RedisStore::connect(&url()).await {
        Ok(store) => store.with_prefix(unique_prefix(test)),
        Err(error) => panic!(
            "cannot reach the test Redis server ({error}); run `scripts/services.sh` (as root) \
             to install and start it, or set WEBHOOK_RECEIVER_TEST_REDIS"
        ),
    }
}

/// A plain connection for inspecting keys.
async fn raw() -> MultiplexedConnection {
    redis::Client::open(url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|error| {
            panic!("cannot reach the test Redis server ({error}); run `scripts/services.sh`")
        })
}

/// Every key under `prefix`.
async fn keys(connection: &mut MultiplexedConnection, prefix: &str) -> Vec<String> {
    let mut cursor: u64 = 0;
    let mut found = Vec::new();
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(connection)
            .await
            .unwrap();
        found.extend(batch);
        if next == 0 {
            return found;
        }
        cursor = next;
    }
}

/// Deletes every key under `prefix`.
async fn cleanup(prefix: &str) {
    let mut connection = raw().await;
    for key in keys(&mut connection, prefix).await {
        let _: i64 = redis::cmd("DEL")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .unwrap();
    }
    assert!(keys(&mut connection, prefix).await.is_empty());
}

async fn pttl(connection: &mut MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(key)
        .query_async(connection)
        .await
        .unwrap()
}

async fn acquire(
    store: &RedisStore,
    id: &MessageId,
    lease: Duration,
) -> webhook_receiver::idempotency::Lease {
    match store.claim(id, lease).await.unwrap() {
        Claim::Acquired(lease) => lease,
        other => panic!("expected Acquired for {id}, got {other:?}"),
    }
}

/// Fails instead of hanging.
async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within 60 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_keeps_the_contract() {
    let store = store("contract").await;
    let prefix = store.prefix().to_owned();
    bounded("the contract", store_contract::run_all(Arc::new(store))).await;
    cleanup(&prefix).await;
}

#[tokio::test]
async fn the_prefix_defaults_and_keys_are_namespaced() {
    let store = store("prefix").await;
    let prefix = store.prefix().to_owned();
    assert_eq!(RedisStore::DEFAULT_PREFIX, "webhook-receiver:");
    let id = MessageId::new("receeve", "abc");
    assert_eq!(store.key(&id), format!("{prefix}{}", id.key()));
    let default = store.clone().with_prefix(RedisStore::DEFAULT_PREFIX);
    assert_eq!(default.key(&id), format!("webhook-receiver:{}", id.key()));
    assert!(format!("{store:?}").contains(&prefix));
}

/// The lease's token is the one Redis records, its deadline is the server's time plus the
/// lease, and the digest is kept as hex.
#[tokio::test]
async fn the_lease_matches_the_record() {
    let store = store("record").await;
    let prefix = store.prefix().to_owned();
    let mut connection = raw().await;
    let id = fresh_id("receeve", "record");
    let before = time::OffsetDateTime::now_utc();
    let lease = match store
        .claim_with_digest(&id, Some([0xab; 32]), LONG)
        .await
        .unwrap()
    {
        Claim::Acquired(lease) => lease,
        other => panic!("expected Acquired, got {other:?}"),
    };
    let key = store.key(&id);
    let (state, token, digest): (String, String, String) = redis::cmd("HMGET")
        .arg(&key)
        .arg("s")
        .arg("t")
        .arg("d")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(state, "p");
    assert_eq!(token, format!("{:032x}", lease.token()));
    assert_eq!(digest, "ab".repeat(32));
    // Same machine, so the server's clock is this one's: the deadline is about now + 60 s.
    let ahead = lease.expires_at() - before;
    assert!(
        ahead > time::Duration::seconds(55) && ahead < time::Duration::seconds(65),
        "{ahead}"
    );
    let ttl = pttl(&mut connection, &key).await;
    assert!(ttl > 55_000 && ttl <= 60_000, "{ttl}");

    store.complete(&lease, LONG).await.unwrap();
    let (state, token): (String, Option<String>) = redis::cmd("HMGET")
        .arg(&key)
        .arg("s")
        .arg("t")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(state, "c");
    // The token stays, so that the same lease completing again (a lost reply) is answered done.
    assert_eq!(
        token.as_deref(),
        Some(format!("{:032x}", lease.token()).as_str())
    );
    cleanup(&prefix).await;
}

/// Two stores (two connections, as two receiver instances would have) take 8 concurrent
/// deliveries of each of 1 000 ids: every handler runs exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_run_each_event_once() {
    let first = Arc::new(store("race").await);
    let prefix = first.prefix().to_owned();
    let second = Arc::new(
        RedisStore::connect(&url())
            .await
            .unwrap()
            .with_prefix(prefix.clone()),
    );
    let ids = bounded(
        "the race",
        store_contract::two_instances_run_each_event_once(first, second, 1_000, 8, 100),
    )
    .await;
    let mut connection = raw().await;
    assert_eq!(keys(&mut connection, &prefix).await.len(), ids.len());
    cleanup(&prefix).await;
}

/// In-progress and completed keys carry a TTL (the lease, then the retention): Redis forgets
/// them by itself, and no key of the store is ever left without one.
#[tokio::test]
async fn records_expire_by_themselves() {
    let store = store("ttl").await;
    let prefix = store.prefix().to_owned();
    let mut connection = raw().await;

    let in_progress = fresh_id("contract", "ttl-in-progress");
    let _held = acquire(&store, &in_progress, Duration::from_secs(30)).await;
    let ttl = pttl(&mut connection, &store.key(&in_progress)).await;
    assert!(ttl > 0 && ttl <= 30_000, "{ttl}");

    let completed = fresh_id("contract", "ttl-completed");
    let lease = acquire(&store, &completed, Duration::from_secs(30)).await;
    store
        .complete(&lease, Duration::from_secs(3_600))
        .await
        .unwrap();
    let ttl = pttl(&mut connection, &store.key(&completed)).await;
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "{ttl}");

    // A conflicting, an in-progress and a completed claim do not touch the TTL.
    let with_digest = fresh_id("contract", "ttl-digest");
    let lease = match store
        .claim_with_digest(&with_digest, Some([1; 32]), Duration::from_secs(30))
        .await
        .unwrap()
    {
        Claim::Acquired(lease) => lease,
        other => panic!("expected Acquired, got {other:?}"),
    };
    assert_eq!(
        store
            .claim_with_digest(&with_digest, Some([2; 32]), LONG)
            .await
            .unwrap(),
        Claim::Conflict
    );
    assert!(matches!(
        store.claim(&with_digest, LONG).await.unwrap(),
        Claim::InProgress { retry_after } if retry_after <= Duration::from_secs(30)
    ));
    store
        .complete(&lease, Duration::from_millis(400))
        .await
        .unwrap();
    assert_eq!(
        store.claim(&with_digest, LONG).await.unwrap(),
        Claim::Completed
    );
    let ttl = pttl(&mut connection, &store.key(&with_digest)).await;
    assert!(ttl > 0 && ttl <= 400, "{ttl}");

    // Huge durations are capped, not refused.
    let forever = fresh_id("contract", "ttl-forever");
    let lease = acquire(&store, &forever, Duration::MAX).await;
    store.complete(&lease, Duration::MAX).await.unwrap();
    assert!(pttl(&mut connection, &store.key(&forever)).await > 0);

    for key in keys(&mut connection, &prefix).await {
        let ttl = pttl(&mut connection, &key).await;
        assert!(ttl > 0, "{key} has PTTL {ttl}");
    }

    // The short retention runs out: Redis itself removed the key.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let exists: i64 = redis::cmd("EXISTS")
        .arg(store.key(&with_digest))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(exists, 0);
    cleanup(&prefix).await;
}

/// An unreachable server is `Unavailable` (503) within the connect timeout, not a panic or a
/// hang, and the message does not show the URL's password.
#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    let url = "redis://admin:hunter2-secret@127.0.0.1:1/";
    let result = tokio::time::timeout(Duration::from_secs(30), RedisStore::connect(url))
        .await
        .expect("connect must give up within its timeouts, not hang");
    let error = result.expect_err("nothing listens on port 1");
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert_eq!(error.status(), 503);
    let message = error.to_string();
    assert!(!message.contains("hunter2"), "{message}");

    let error = RedisStore::connect("not a url").await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
}

/// A key of the store's name that is not one of its records is an error, not a panic.
#[tokio::test]
async fn a_foreign_key_is_an_error() {
    let store = store("foreign").await;
    let prefix = store.prefix().to_owned();
    let mut connection = raw().await;
    let id = fresh_id("contract", "foreign");
    let _: () = redis::cmd("SET")
        .arg(store.key(&id))
        .arg("not a hash")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut connection)
        .await
        .unwrap();
    let error = store.claim(&id, LONG).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    cleanup(&prefix).await;
}

/// A worker whose future is dropped after its claim leaves an in-progress record that
/// expires with its lease; the sender's next retry takes it over and processes the event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_claim_expires_and_is_taken_over() {
    let store = Arc::new(store("crash").await);
    let prefix = store.prefix().to_owned();
    let mut connection = raw().await;
    let id = fresh_id("contract", "crash");
    let options = Duration::from_millis(500);
    let runs = Arc::new(AtomicUsize::new(0));

    let (claimed_tx, claimed_rx) = tokio::sync::oneshot::channel::<()>();
    let crashing = {
        let (store, id, runs) = (Arc::clone(&store), id.clone(), Arc::clone(&runs));
        tokio::spawn(async move {
            let _ = process_once(&*store, &id, options, || async move {
                runs.fetch_add(1, Ordering::SeqCst);
                let _ = claimed_tx.send(());
                std::future::pending::<Result<(), std::convert::Infallible>>().await
            })
            .await;
        })
    };
    bounded("the claim", claimed_rx).await.unwrap();
    crashing.abort();
    assert!(crashing.await.unwrap_err().is_cancelled());

    let ttl = pttl(&mut connection, &store.key(&id)).await;
    assert!(ttl > 0 && ttl <= 500, "{ttl}");
    let retry = process_once(&*store, &id, options, || async {
        Ok::<_, std::convert::Infallible>(())
    })
    .await;
    assert!(matches!(retry, Received::InProgress { .. }), "{retry:?}");
    assert_eq!(retry.response().status(), 409);

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let retry = process_once(&*store, &id, options, || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::convert::Infallible>("done")
    })
    .await;
    assert!(matches!(retry, Received::Processed("done")), "{retry:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(store.claim(&id, LONG).await.unwrap(), Claim::Completed);
    cleanup(&prefix).await;
}

/// Redis unreachable for 1.5 s (every connection cut, new ones refused) while a completion is
/// due: it is retried and recorded once the server is reachable again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_and_release_survive_an_outage_of_the_server() {
    let parsed = redis::Client::open(url()).unwrap();
    let (host, port) = match parsed.get_connection_info().addr() {
        redis::ConnectionAddr::Tcp(host, port) => (host.clone(), *port),
        other => panic!("the test server must be reached over TCP, not {other:?}"),
    };
    let upstream = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .unwrap()
        .next()
        .unwrap();
    let outage = store_contract::Outage::proxy(upstream);
    let store = RedisStore::connect(&format!("redis://127.0.0.1:{}/", outage.addr.port()))
        .await
        .unwrap()
        .with_prefix(unique_prefix("outage"));
    store_contract::completion_survives_a_store_outage(&store, &outage).await;
}
