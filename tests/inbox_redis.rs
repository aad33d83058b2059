//! The inbox contract (`tests/inbox_contract`) against `RedisInbox` on the real Redis that
//! `scripts/services.sh` starts (append-only file on), each test under a key prefix of its own.
#![cfg(all(feature = "inbox", feature = "redis"))]
#![allow(clippy::unwrap_used)]

mod inbox_contract;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use webhook_receiver::clock::Clock;
use webhook_receiver::inbox::{InboxBackend, InboxReceived, RedisInbox};

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

/// `url()` on database `db` instead: a test that counts the clients of a database has one of
/// its own (no other test uses it).
fn url_on(db: u8) -> String {
    let url = url();
    let host_end = url
        .find("://")
        .map(|scheme| {
            scheme
                + 3
                + url[scheme + 3..]
                    .find('/')
                    .unwrap_or(url.len() - scheme - 3)
        })
        .unwrap();
    format!("{}/{db}", &url[..host_end])
}

/// A key prefix no other test (or earlier run) uses.
fn fresh_prefix() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("wr-inbox-test:{}:{nanos}:{n}:", std::process::id())
}

/// The ids of the clients connected to database `db` (`CLIENT LIST`; ids are never reused).
#[allow(clippy::unwrap_used, clippy::expect_used)]
async fn clients_on(
    observer: &mut redis::aio::MultiplexedConnection,
    db: u8,
) -> std::collections::BTreeSet<u64> {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(observer)
        .await
        .unwrap();
    list.lines()
        .filter(|line| line.split(' ').any(|field| field == format!("db={db}")))
        .filter_map(|line| line.strip_prefix("id=")?.split(' ').next()?.parse().ok())
        .collect()
}

/// A worker waiting on an idle stream: its blocking reads end with the server's empty answer,
/// not a client-side timeout, so it neither reports an error nor opens a new connection, and
/// a delivery that comes while it waits is picked up at once (a read that timed out on the
/// client would leave that delivery read but unmarked until `XAUTOCLAIM`, the visibility
/// later). The 1 s bound is for correctness, not speed (loopback pickups take milliseconds).
#[tokio::test]
async fn an_idle_taker_neither_fails_nor_reconnects_and_picks_up_at_once() {
    const DB: u8 = 13;
    let visibility = Duration::from_secs(30);
    let backend = RedisInbox::connect(&url_on(DB))
        .await
        .unwrap()
        .with_prefix(fresh_prefix());
    let inbox = inbox_contract::inbox(backend.clone());
    // A stream that exists and is empty: the idle state of a running system.
    inbox_contract::accept(&inbox, "first").await;
    let job = backend
        .take("munity", visibility, Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    backend.complete(&job).await.unwrap();
    assert!(
        backend
            .take("munity", visibility, Duration::from_millis(100))
            .await
            .unwrap()
            .is_none()
    );
    let mut observer = redis::Client::open(url_on(DB))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    // The inbox's connection and its reader, and the observer.
    let known = clients_on(&mut observer, DB).await;

    // Three seconds of idle takes.
    let mut errors = Vec::new();
    for _ in 0..3 {
        match backend
            .take("munity", visibility, Duration::from_secs(1))
            .await
        {
            Ok(None) => {}
            Ok(Some(job)) => panic!("nothing was queued: {job:?}"),
            Err(error) => errors.push(error.to_string()),
        }
    }
    assert_eq!(
        (errors, clients_on(&mut observer, DB).await),
        (Vec::<String>::new(), known.clone()),
        "idle takes failed or changed connections"
    );

    // Deliveries that come while a take waits, at different points of its blocking reads.
    for round in 0..5_u64 {
        let waiting = tokio::spawn({
            let backend = backend.clone();
            async move {
                let taken = backend
                    .take("munity", visibility, Duration::from_secs(3))
                    .await;
                (taken, tokio::time::Instant::now())
            }
        });
        tokio::time::sleep(Duration::from_millis(300 + 170 * round)).await;
        let sent = tokio::time::Instant::now();
        let received = inbox
            .receive(
                &inbox_contract::headers(),
                &inbox_contract::body(&format!("idle-{round}")),
            )
            .await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
        let (taken, at) = waiting.await.unwrap();
        let job = taken
            .expect("the waiting take failed")
            .expect("the delivery was not picked up within the take's wait");
        assert!(
            at - sent < Duration::from_secs(1),
            "round {round}: picked up {:?} after it was queued",
            at - sent
        );
        backend.complete(&job).await.unwrap();
    }
    assert_eq!(
        clients_on(&mut observer, DB).await,
        known,
        "takes changed connections"
    );
}

/// The system's clock moved by a fixed amount: another host's clock.
#[derive(Debug)]
struct Skewed(time::Duration);

impl Clock for Skewed {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc() + self.0
    }
}

/// Two hosts whose clocks differ by 20 s share one inbox: every time the inbox keeps (holds,
/// retries' due times, completion times) is the Redis server's, so the skew moves nothing. The
/// host ahead does not take over a delivery the other holds within its visibility, a retry
/// asked for in 10 s by the host behind is not due at once, and a completion recorded by the
/// host ahead is purged as finished now.
#[tokio::test]
async fn hosts_whose_clocks_differ_agree_on_holds_retries_and_purges() {
    let prefix = fresh_prefix();
    let base = RedisInbox::connect(&url()).await.unwrap();
    let on_time = base.clone().with_prefix(prefix.clone());
    let ahead = base
        .clone()
        .with_prefix(prefix.clone())
        .with_clock(Arc::new(Skewed(time::Duration::seconds(20))));
    let behind = base
        .with_prefix(prefix)
        .with_clock(Arc::new(Skewed(time::Duration::seconds(-20))));
    let inbox = inbox_contract::inbox(on_time.clone());
    let visibility = Duration::from_secs(10);

    // A hold of 10 s by the host on time, looked at by the host 20 s ahead.
    inbox_contract::accept(&inbox, "held").await;
    let job = on_time
        .take("munity", visibility, Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    let taken_over = ahead
        .take("munity", visibility, Duration::from_millis(300))
        .await
        .unwrap();
    assert!(
        taken_over.is_none(),
        "the host 20 s ahead took over a delivery held for 10 s (attempt {:?})",
        taken_over.map(|job| job.attempt)
    );
    on_time.extend(&job, visibility).await.unwrap();

    // A retry the host behind asks for in 10 s of its clock.
    let retry_at = Skewed(time::Duration::seconds(-20)).now() + time::Duration::seconds(10);
    behind.retry(&job, "later", retry_at).await.unwrap();
    let early = on_time
        .take("munity", visibility, Duration::from_millis(300))
        .await
        .unwrap();
    assert!(
        early.is_none(),
        "a retry due in 10 s was taken at once (attempt {:?})",
        early.map(|job| job.attempt)
    );

    // A completion by the host ahead is as old as the server says.
    inbox_contract::accept(&inbox, "done").await;
    let job = ahead
        .take("munity", visibility, Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.delivery.payload, inbox_contract::body("done"));
    ahead.complete(&job).await.unwrap();
    let purged = on_time
        .purge(time::OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        purged, 1,
        "a completion recorded by the host ahead was not purged"
    );
}
