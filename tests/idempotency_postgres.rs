//! `PostgresStore` against a real PostgreSQL server: the store contract, plus what only a
//! shared store shows (two instances racing, the table's creation, an unreachable server, a
//! crashed worker).
//!
//! The server is read from `WEBHOOK_RECEIVER_TEST_POSTGRES` (default: the one
//! `scripts/services.sh` starts). These tests fail, never skip, when it is unreachable. Each
//! test uses its own table (`wr_test_<pid>_<nanos>_<n>`) and drops it at the end.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod receive_once;
mod store_contract;

use receive_once::process_once;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use webhook_receiver::MessageId;
use webhook_receiver::Received;
use webhook_receiver::idempotency::PostgresStore;
use webhook_receiver::idempotency::{Claim, DEFAULT_LEASE, IdempotencyStore, StoreError};

const DEFAULT_SERVER: &str = "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test";

fn server() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

/// A table name no other test (or earlier run) uses.
fn unique_table() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "wr_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A store on a fresh table of the test server; fails the test when the server is down.
async fn test_store(table: &str) -> PostgresStore {
    match PostgresStore::connect_with_table(&server(), table).await {
        Ok(store) => store,
        Err(error) => panic!(
            "cannot reach the test PostgreSQL server ({error}); run `scripts/services.sh` (or \
             set WEBHOOK_RECEIVER_TEST_POSTGRES to a reachable server)"
        ),
    }
}

async fn table_exists(store: &PostgresStore, table: &str) -> bool {
    let client = store.pool().get().await.unwrap();
    let row = client
        .query_one(
            "SELECT to_regclass($1::text) IS NOT NULL",
            &[&format!("\"{table}\"")],
        )
        .await
        .unwrap();
    row.get(0)
}

async fn row_count(store: &PostgresStore) -> i64 {
    let client = store.pool().get().await.unwrap();
    let row = client
        .query_one(&format!("SELECT count(*) FROM \"{}\"", store.table()), &[])
        .await
        .unwrap();
    row.get(0)
}

async fn drop_table(store: &PostgresStore) {
    let client = store.pool().get().await.unwrap();
    client
        .batch_execute(&format!("DROP TABLE IF EXISTS \"{}\"", store.table()))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_keeps_the_contract() {
    let store = test_store(&unique_table()).await;
    store_contract::run_all(Arc::new(store.clone())).await;
    drop_table(&store).await;
}

/// Two instances (two pools, as two servers would have) race on 1,000 ids, 8 deliveries
/// each: every handler runs exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_run_each_handler_once() {
    let table = unique_table();
    let first = Arc::new(test_store(&table).await);
    let second = Arc::new(test_store(&table).await);
    let ids =
        store_contract::two_instances_run_each_event_once(first.clone(), second, 1_000, 8, 25)
            .await;
    assert_eq!(row_count(&first).await, i64::try_from(ids.len()).unwrap());
    drop_table(&first).await;
}

/// `connect` creates the table; `migrate` may run again (and from a second instance) without
/// harm, and keeps the records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_creates_the_table_and_migrate_is_idempotent() {
    let table = unique_table();
    let store = test_store(&table).await;
    assert_eq!(store.table(), table);
    assert!(table_exists(&store, &table).await);

    let id = store_contract::fresh_id("migrate", "kept");
    let Claim::Acquired(lease) = store.claim(&id, Duration::from_secs(60)).await.unwrap() else {
        panic!("expected Acquired");
    };
    store
        .complete(&lease, Duration::from_secs(60))
        .await
        .unwrap();

    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let again = test_store(&table).await;
    let on_own_pool = PostgresStore::with_table(store.pool().clone(), &table).unwrap();
    let (a, b) = tokio::join!(again.migrate(), on_own_pool.migrate());
    a.unwrap();
    b.unwrap();
    assert!(matches!(
        again.claim(&id, Duration::from_secs(60)).await.unwrap(),
        Claim::Completed
    ));
    assert_eq!(row_count(&store).await, 1);
    drop_table(&store).await;
    assert!(!table_exists(&store, &table).await);
}

/// The default table name is the documented one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_table_is_documented() {
    let store = test_store(&unique_table()).await;
    let default = PostgresStore::new(store.pool().clone());
    assert_eq!(default.table(), PostgresStore::DEFAULT_TABLE);
    assert_eq!(PostgresStore::DEFAULT_TABLE, "webhook_receiver_idempotency");
    drop_table(&store).await;
}

/// Only plain identifiers become table names: nothing else is ever put into SQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_table_name_is_refused_at_construction() {
    let store = test_store(&unique_table()).await;
    for bad in [
        "",
        "1table",
        "idempotency; DROP TABLE users",
        "quoted\"name",
        "schema.table",
        "with space",
        "naïve",
        &"x".repeat(51),
    ] {
        let error = PostgresStore::with_table(store.pool().clone(), bad).unwrap_err();
        assert!(error.reason().contains(&format!("{bad:?}")), "{error}");
        match PostgresStore::connect_with_table(&server(), bad).await {
            Err(StoreError::Unavailable(message)) => {
                assert!(message.contains("invalid table name"), "{message}");
            }
            other => panic!("expected the name {bad:?} to be refused, got {other:?}"),
        }
    }
    drop_table(&store).await;
}

/// A server nobody listens on gives `Unavailable` (503) quickly, never a panic, and the
/// message does not leak the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_unavailable() {
    let config = "host=127.0.0.1 port=1 user=postgres password=hunter2-secret dbname=nothing";
    let started = Instant::now();
    let error = PostgresStore::connect(config).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error.status(), 503);
    let StoreError::Unavailable(message) = &error else {
        panic!("expected Unavailable, got {error:?}");
    };
    assert!(!message.contains("hunter2"), "{message}");

    // A store built on such a pool fails every operation the same way.
    let pg_config: deadpool_postgres::tokio_postgres::Config = config.parse().unwrap();
    let manager =
        deadpool_postgres::Manager::new(pg_config, deadpool_postgres::tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(2)
        .build()
        .unwrap();
    let store = PostgresStore::new(pool);
    let id = store_contract::fresh_id("down", "claim");
    let claim = store.claim(&id, Duration::from_secs(60)).await;
    assert!(
        matches!(&claim, Err(StoreError::Unavailable(_))),
        "{claim:?}"
    );
    assert!(matches!(
        store.purge_expired().await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.migrate().await,
        Err(StoreError::Unavailable(_))
    ));
    let outcome = process_once(&store, &id, DEFAULT_LEASE, || async {
        Ok::<_, std::convert::Infallible>(())
    })
    .await;
    assert!(matches!(outcome, Received::StoreFailed(_)));
    assert_eq!(outcome.response().status(), 503);
    assert!(format!("{store:?}").contains(PostgresStore::DEFAULT_TABLE));
}

/// A worker dropped after its claim (a crash) leaves an in-progress record that expires with
/// its lease and is then taken over; purge_expired removes only expired rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_claim_expires_and_is_taken_over() {
    let store = Arc::new(test_store(&unique_table()).await);
    let id = store_contract::fresh_id("crash", "worker");
    let options = Duration::from_millis(400);

    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let crashed = {
        let (store, id) = (Arc::clone(&store), id.clone());
        tokio::spawn(async move {
            let _ = process_once(&*store, &id, options, || async move {
                started_tx.send(()).unwrap();
                std::future::pending::<Result<(), std::convert::Infallible>>().await
            })
            .await;
        })
    };
    started_rx.await.unwrap();
    crashed.abort();
    assert!(crashed.await.unwrap_err().is_cancelled());

    match store.claim(&id, Duration::from_secs(60)).await.unwrap() {
        Claim::InProgress { retry_after } => {
            assert!(retry_after <= Duration::from_millis(400), "{retry_after:?}");
        }
        other => panic!("expected InProgress, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(1_300)).await;

    // A live record and an expired one besides the crashed claim's row.
    let live = store_contract::fresh_id("crash", "live");
    let Claim::Acquired(live_lease) = store.claim(&live, Duration::from_secs(60)).await.unwrap()
    else {
        panic!("expected Acquired");
    };
    let lease_left = live_lease.expires_at() - time::OffsetDateTime::now_utc();
    assert!(
        lease_left > time::Duration::seconds(50) && lease_left <= time::Duration::seconds(70),
        "the database clock's deadline is far from this host's: {lease_left}"
    );
    assert_eq!(row_count(&store).await, 2);
    assert_eq!(store.purge_expired().await.unwrap(), 1);
    assert_eq!(row_count(&store).await, 1);
    assert_eq!(store.purge_expired().await.unwrap(), 0);

    let runs = AtomicUsize::new(0);
    let outcome = process_once(&*store, &id, DEFAULT_LEASE, || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::convert::Infallible>("done")
    })
    .await;
    assert!(
        matches!(outcome, Received::Processed("done")),
        "{outcome:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(matches!(
        store.claim(&id, Duration::from_secs(60)).await.unwrap(),
        Claim::Completed
    ));
    store.release(&live_lease).await.unwrap();
    drop_table(&store).await;
}

/// A digest carried by only one side never conflicts; a takeover of an expired record takes
/// the new digest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digests_follow_the_memory_store() {
    let store = test_store(&unique_table()).await;
    let long = Duration::from_secs(60);

    let id = store_contract::fresh_id("digest", "one-sided");
    let Claim::Acquired(lease) = store.claim(&id, long).await.unwrap() else {
        panic!("expected Acquired");
    };
    assert!(matches!(
        store
            .claim_with_digest(&id, Some([7; 32]), long)
            .await
            .unwrap(),
        Claim::InProgress { .. }
    ));
    store.complete(&lease, long).await.unwrap();
    assert!(matches!(
        store
            .claim_with_digest(&id, Some([7; 32]), long)
            .await
            .unwrap(),
        Claim::Completed
    ));

    let id = store_contract::fresh_id("digest", "takeover");
    let Claim::Acquired(_) = store
        .claim_with_digest(&id, Some([1; 32]), Duration::from_millis(300))
        .await
        .unwrap()
    else {
        panic!("expected Acquired");
    };
    assert!(matches!(
        store
            .claim_with_digest(&id, Some([2; 32]), long)
            .await
            .unwrap(),
        Claim::Conflict
    ));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let Claim::Acquired(lease) = store
        .claim_with_digest(&id, Some([2; 32]), long)
        .await
        .unwrap()
    else {
        panic!("an expired record must be taken over whatever its digest");
    };
    assert!(matches!(
        store
            .claim_with_digest(&id, Some([1; 32]), long)
            .await
            .unwrap(),
        Claim::Conflict
    ));
    store.release(&lease).await.unwrap();
    drop_table(&store).await;
}

/// The snapshot race, forced: a second session inserts a live record of the id in an open
/// transaction; the store's claim starts (taking its snapshot) and waits on that row's lock;
/// the second session commits. The claim's upsert then sees the committed live row and
/// declines it while its snapshot still cannot show it, so the statement returns nothing and
/// the store must run it again: the answer is `InProgress`, never `Acquired` (two owners) or
/// an error, and the re-run is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_racing_a_commit_runs_again_and_sees_the_live_record() {
    let store = test_store(&unique_table()).await;
    let id = MessageId::new("race", "snapshot");
    let (client, connection) = tokio_postgres::connect(&server(), tokio_postgres::NoTls)
        .await
        .expect("a second session");
    tokio::spawn(connection);
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            &format!(
                "INSERT INTO \"{}\" (key, state, token, deadline) \
                 VALUES ($1, 'in_progress', '\\x01'::bytea, now() + interval '1 hour')",
                store.table()
            ),
            &[&id.key()],
        )
        .await
        .unwrap();
    let reruns_before = store.claim_reruns();
    let claiming = {
        let store = store.clone();
        let id = id.clone();
        tokio::spawn(async move { store.claim(&id, Duration::from_secs(30)).await })
    };
    // Wait until the claim is blocked on the uncommitted row (it has its snapshot by then).
    let watcher = store.pool().get().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock' \
                   AND strpos(query, $1) > 0",
                &[&format!("INSERT INTO \"{}\"", store.table())],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the claim never waited on the row lock"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    client.batch_execute("COMMIT").await.unwrap();
    let claim = claiming.await.unwrap();
    assert!(
        matches!(claim, Ok(Claim::InProgress { .. })),
        "expected InProgress, got {claim:?}"
    );
    assert_eq!(
        store.claim_reruns(),
        reruns_before + 1,
        "the claim ran once more"
    );
    drop(watcher);
    drop_table(&store).await;
}

/// PostgreSQL unreachable for 1.5 s (every connection cut, new ones refused) while a
/// completion is due: it is retried and recorded once the server is reachable again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_and_release_survive_an_outage_of_the_server() {
    let config: tokio_postgres::Config = server().parse().unwrap();
    let host = config.get_hosts().first().cloned();
    let host = match host {
        Some(tokio_postgres::config::Host::Tcp(host)) => host,
        other => panic!("the test server must be reached over TCP, not {other:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let upstream = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .unwrap()
        .next()
        .unwrap();
    let outage = store_contract::Outage::proxy(upstream);
    let table = unique_table();
    let through = to_connection_string(&config, outage.addr.port());
    let store = PostgresStore::connect_with_table(&through, &table)
        .await
        .unwrap();
    store_contract::completion_survives_a_store_outage(&store, &outage).await;
    drop_table(&store).await;
}

/// `key=value` pairs for `PostgresStore::connect`: the test server's user, database and
/// password, reached at 127.0.0.1:`port`.
fn to_connection_string(config: &tokio_postgres::Config, port: u16) -> String {
    let mut parts = vec!["host=127.0.0.1".to_owned(), format!("port={port}")];
    if let Some(user) = config.get_user() {
        parts.push(format!("user={user}"));
    }
    if let Some(dbname) = config.get_dbname() {
        parts.push(format!("dbname={dbname}"));
    }
    if let Some(password) = config.get_password() {
        parts.push(format!("password={}", String::from_utf8_lossy(password)));
    }
    parts.join(" ")
}
