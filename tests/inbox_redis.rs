//! The inbox contract (`tests/inbox_contract`) against `RedisInbox` on the real Redis that
//! `scripts/services.sh` starts (append-only file on), each test under a key prefix of its own.
#![cfg(all(feature = "inbox", feature = "redis"))]
#![allow(clippy::unwrap_used)]

mod common;
mod inbox_contract;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use webhook_receiver::__private::InboxOps as _;
use webhook_receiver::MessageId;
use webhook_receiver::clock::Clock;
use webhook_receiver::inbox::{InboxReceived, RedisInbox};

fn url() -> String {
    std::env::var("WEBHOOK_RECEIVER_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// A connected inbox, and a factory of the same inbox under a prefix no other test (or earlier
/// run) uses.
async fn redis_inboxes() -> impl Fn() -> RedisInbox {
    let base = RedisInbox::connect(&url()).await.unwrap();
    move || base.clone().with_prefix(fresh_prefix())
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
    format!("wr-inbox-test:{}:", common::fresh_name())
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

/// Writes `count` finished deliveries as the inbox's scripts lay them out (a delivery hash of
/// state `status` and its entry in the sorted set `set`, `done` or `dead`), with keys
/// `munity:<tag>-<n>`, the `n`-th finished `age_ms` ago by the server's clock plus `n` ms (so
/// that they are in order): many records without running as many deliveries through a
/// worker. Written 5,000 per script call.
#[allow(clippy::unwrap_used, clippy::expect_used)]
async fn fill_finished(
    connection: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
    (set, status): (&str, &str),
    tag: &str,
    count: usize,
    age_ms: i64,
) {
    let fill = redis::Script::new(
        r"
local time = redis.call('TIME')
local base = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) - tonumber(ARGV[4])
for n = tonumber(ARGV[2]), tonumber(ARGV[3]) do
  local fin = base + n
  local key = 'munity:' .. ARGV[5] .. '-' .. n
  redis.call('HSET', ARGV[1] .. 'd:' .. key, 'provider', 'munity', 'key', key,
    'payload', 'payload of ' .. n, 'vid', '', 'vts', '', 'recv', '0', 'headers', '[]',
    'status', ARGV[6], 'attempts', 3, 'error', 'error of ' .. n, 'fin', fin)
  redis.call('ZADD', ARGV[1] .. ARGV[7], fin, key)
end
return 1
",
    );
    for first in (0..count).step_by(5_000) {
        let last = (first + 5_000).min(count) - 1;
        let _: i64 = fill
            .arg(prefix)
            .arg(first)
            .arg(last)
            .arg(age_ms)
            .arg(tag)
            .arg(status)
            .arg(set)
            .invoke_async(connection)
            .await
            .unwrap();
    }
}

/// Watches every command the server runs (`MONITOR`, on a socket of its own) until `stop`
/// reads the marker `ECHO`ed after the calls watched; answers the lines that contain `needle`.
#[allow(clippy::unwrap_used, clippy::expect_used)]
struct Monitor {
    lines: std::sync::mpsc::Receiver<String>,
    marker: String,
}

#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
impl Monitor {
    fn start() -> Self {
        use std::io::{BufRead, Write};
        let url = url();
        let host = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned();
        assert!(
            !host.contains('@'),
            "the MONITOR helper takes a server without credentials"
        );
        let mut socket = std::net::TcpStream::connect(&host).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        socket.write_all(b"MONITOR\r\n").unwrap();
        let mut reader = std::io::BufReader::new(socket);
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert_eq!(first.trim_end(), "+OK");
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Ends when the test drops the receiver (a send fails) or after 60 s of silence.
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            lines,
            marker: format!("monitor-end-{}", fresh_prefix()),
        }
    }

    /// The lines seen until the marker, those containing `needle`.
    async fn stop(
        self,
        connection: &mut redis::aio::MultiplexedConnection,
        needle: &str,
    ) -> Vec<String> {
        let _: String = redis::cmd("ECHO")
            .arg(&self.marker)
            .query_async(connection)
            .await
            .unwrap();
        let mut found = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .expect("the marker did not come within 60 s");
            if line.contains(&self.marker) {
                return found;
            }
            if line.contains(needle) {
                found.push(line);
            }
        }
    }
}

/// The command of a `MONITOR` line (`+<time> [<db> <client>] "<command>" ...`), upper case.
fn command_of(line: &str) -> String {
    line.split("] ")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// A purge of many completions is many short script calls, not one that holds the server for
/// as long as it takes (a script that has written cannot be killed): 20,000 completions, older
/// than the cutoff, take at least 20 calls (at most 1,000 records each), counted on the
/// server (`MONITOR`). Everything finished before the cutoff is gone, nothing after it.
#[tokio::test]
async fn a_purge_of_many_completions_runs_in_bounded_batches() {
    const OLD: usize = 20_000;
    let prefix = fresh_prefix();
    let backend = RedisInbox::connect(&url())
        .await
        .unwrap()
        .with_prefix(prefix.clone());
    let mut connection = redis::Client::open(url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let hour = 3_600_000;
    fill_finished(
        &mut connection,
        &prefix,
        ("done", "c"),
        "old",
        OLD,
        2 * hour,
    )
    .await;
    fill_finished(&mut connection, &prefix, ("done", "c"), "new", 300, 1_000).await;
    fill_finished(
        &mut connection,
        &prefix,
        ("dead", "x"),
        "old",
        200,
        2 * hour,
    )
    .await;
    fill_finished(&mut connection, &prefix, ("dead", "x"), "new", 100, 1_000).await;

    let monitor = Monitor::start();
    let purged = backend
        .purge(time::OffsetDateTime::now_utc() - time::Duration::hours(1))
        .await
        .unwrap();
    let calls = monitor
        .stop(&mut connection, &format!("\"{prefix}done\""))
        .await
        .into_iter()
        .filter(|line| matches!(command_of(line).as_str(), "EVALSHA" | "EVAL"))
        .count();

    assert_eq!(purged, OLD + 200);
    assert!(
        calls >= (OLD + 200) / 1_000,
        "{OLD} completions purged in {calls} script calls"
    );
    let stats = backend.stats().await.unwrap();
    assert_eq!((stats.completed, stats.dead), (300, 100));
    for (tag, n, exists) in [
        ("old", 0, 0),
        ("old", OLD - 1, 0),
        ("new", 0, 1),
        ("new", 299, 1),
    ] {
        let found: i64 = redis::cmd("EXISTS")
            .arg(format!("{prefix}d:munity:{tag}-{n}"))
            .query_async(&mut connection)
            .await
            .unwrap();
        assert_eq!(found, exists, "{tag}-{n}");
    }
}

/// Listing dead letters reads them page by page, applies the filter and the limit as it goes,
/// and loads the payloads of the letters it answers only: of 3,000 letters, the first two whose
/// error matches (the 11th and the 1,501st) are answered, with their payloads; no other payload
/// is read, and the letters after the second match are not read at all.
#[tokio::test]
async fn dead_letters_are_listed_by_pages_loading_only_the_payloads_answered() {
    use webhook_receiver::inbox::DeadLetterFilter;
    let prefix = fresh_prefix();
    let backend = RedisInbox::connect(&url())
        .await
        .unwrap()
        .with_prefix(prefix.clone());
    let mut connection = redis::Client::open(url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    fill_finished(&mut connection, &prefix, ("dead", "x"), "a", 3_000, 60_000).await;
    for n in [10, 1_500, 2_999] {
        let _: () = redis::cmd("HSET")
            .arg(format!("{prefix}d:munity:a-{n}"))
            .arg("error")
            .arg(format!("needle {n}"))
            .query_async(&mut connection)
            .await
            .unwrap();
    }

    let monitor = Monitor::start();
    let letters = backend
        .dead_letters(&DeadLetterFilter::all().error_contains("needle"), 2)
        .await
        .unwrap();
    let reads = monitor
        .stop(&mut connection, &format!("\"{prefix}d:"))
        .await;

    let answered: Vec<(String, Vec<u8>)> = letters
        .iter()
        .map(|letter| (letter.error.clone(), letter.delivery.payload.clone()))
        .collect();
    assert_eq!(
        answered,
        [
            ("needle 10".to_owned(), b"payload of 10".to_vec()),
            ("needle 1500".to_owned(), b"payload of 1500".to_vec()),
        ]
    );
    let payloads = reads
        .iter()
        .filter(|line| command_of(line) == "HGETALL" || line.contains("\"payload\""))
        .count();
    assert_eq!(payloads, 2, "payloads read: {payloads}");
    assert!(
        reads.len() < 3_000,
        "{} reads of letters for two answers",
        reads.len()
    );

    // Ids are looked up (in order of death, each once), and a time of death bounds the scan.
    let ids = [2_999, 10, 2_999, 77].map(|n| MessageId::new("munity", &format!("a-{n}")));
    let by_id = backend
        .dead_letters(&DeadLetterFilter::ids(ids), 10)
        .await
        .unwrap();
    let errors: Vec<&str> = by_id.iter().map(|letter| letter.error.as_str()).collect();
    assert_eq!(errors, ["needle 10", "error of 77", "needle 2999"]);
    let before_second = backend
        .dead_letters(
            &DeadLetterFilter::all()
                .error_contains("needle")
                .died_before(letters[1].died_at),
            10,
        )
        .await
        .unwrap();
    assert_eq!(before_second.len(), 1);
    assert_eq!(before_second[0].error, "needle 10");
}

/// A load run, not a test (ignored; `scripts/purge_load.sh` runs it in release mode): purges
/// `PURGE_LOAD_COUNT` completions (default 1,000,000), written under a fresh prefix, while
/// another connection pings the server every millisecond, and prints the purge's time and the
/// pings' latencies (the goal: every ping answered within 10 ms). Redis on 127.0.0.1 only
/// (`WEBHOOK_RECEIVER_TEST_REDIS`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load run: scripts/purge_load.sh"]
async fn purge_load() {
    let count: usize = std::env::var("PURGE_LOAD_COUNT")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(1_000_000)
        .min(5_000_000);
    assert!(
        url().starts_with("redis://127.0.0.1:"),
        "the load run talks to a Redis on 127.0.0.1 only"
    );
    let prefix = fresh_prefix();
    let backend = RedisInbox::connect(&url())
        .await
        .unwrap()
        .with_prefix(prefix.clone());
    let client = redis::Client::open(url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let filled = std::time::Instant::now();
    fill_finished(
        &mut connection,
        &prefix,
        ("done", "c"),
        "load",
        count,
        7_200_000,
    )
    .await;
    println!("wrote {count} completions in {:?}", filled.elapsed());

    // The pinger: one PING a millisecond on a connection of its own, for at most 10 minutes.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pinger = tokio::spawn({
        let stop = Arc::clone(&stop);
        let mut pings = client.get_multiplexed_async_connection().await.unwrap();
        async move {
            let mut latencies = Vec::new();
            let until = tokio::time::Instant::now() + Duration::from_secs(600);
            while !stop.load(Ordering::Relaxed) && tokio::time::Instant::now() < until {
                let sent = std::time::Instant::now();
                let _: String = redis::cmd("PING").query_async(&mut pings).await.unwrap();
                latencies.push(sent.elapsed());
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            latencies
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let server_before = server_counters(&mut connection).await;
    let started = std::time::Instant::now();
    let purged = backend
        .purge(time::OffsetDateTime::now_utc() - time::Duration::hours(1))
        .await
        .unwrap();
    let took = started.elapsed();
    let server_after = server_counters(&mut connection).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = pinger.await.unwrap();
    latencies.sort();
    let at = |share: f64| latencies[((latencies.len() - 1) as f64 * share) as usize];
    println!(
        "purged {purged} in {took:?}; {} pings during and around it: median {:?}, p99 {:?}, \
         p99.9 {:?}, max {:?}, over 10 ms: {}",
        latencies.len(),
        at(0.5),
        at(0.99),
        at(0.999),
        latencies[latencies.len() - 1],
        latencies
            .iter()
            .filter(|latency| **latency > Duration::from_millis(10))
            .count()
    );
    let [calls, usec, forks] = [0, 1, 2].map(|i| server_after[i] - server_before[i]);
    // The server's own record of the calls that took longest (SLOWLOG: those over its
    // slowlog-log-slower-than, 10 ms unless set), of this run's purge.
    let threshold: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("slowlog-log-slower-than")
        .query_async(&mut connection)
        .await
        .unwrap();
    type Entry = (i64, i64, i64, Vec<String>, String, String);
    let slow: Vec<Entry> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(1_000)
        .query_async(&mut connection)
        .await
        .unwrap();
    let slow: Vec<i64> = slow
        .into_iter()
        .filter(|entry| entry.3.iter().any(|arg| arg == &format!("{prefix}done")))
        .map(|entry| entry.2)
        .collect();
    println!(
        "purge calls the server logged as slow (over {} µs): {}, the slowest {} µs",
        threshold.get(1).map_or("?", String::as_str),
        slow.len(),
        slow.iter().max().copied().unwrap_or(0)
    );
    println!(
        "on the server during the purge: {calls} script calls (EVALSHA), {} µs each on \
         average; {forks} forks (AOF rewrites or snapshots; each holds the server)",
        usec / calls.max(1)
    );
    assert_eq!(purged, count);
}

/// The server's count of `EVALSHA` calls and their total µs, and of forks so far.
#[allow(clippy::unwrap_used, clippy::expect_used)]
async fn server_counters(connection: &mut redis::aio::MultiplexedConnection) -> [u64; 3] {
    let info: String = redis::cmd("INFO")
        .arg("all")
        .query_async(connection)
        .await
        .unwrap();
    let field = |line: &str, name: &str| -> u64 {
        line.split([',', ':'])
            .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let evalsha = info
        .lines()
        .find(|line| line.starts_with("cmdstat_evalsha:"))
        .unwrap_or_default();
    let forks = info
        .lines()
        .find_map(|line| line.strip_prefix("total_forks:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    [field(evalsha, "calls"), field(evalsha, "usec"), forks]
}

/// The consumers of a stream's group `workers`: name, pending entries, by name.
#[allow(clippy::unwrap_used, clippy::expect_used)]
async fn consumers(
    connection: &mut redis::aio::MultiplexedConnection,
    stream: &str,
) -> Vec<(String, i64)> {
    let infos: Vec<std::collections::HashMap<String, String>> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(stream)
        .arg("workers")
        .query_async(connection)
        .await
        .unwrap();
    infos
        .into_iter()
        .map(|info| {
            (
                info.get("name").unwrap().clone(),
                info.get("pending").unwrap().parse().unwrap(),
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Every `RedisInbox` of a process reads as one consumer (a restart of the inbox in the
/// process adds none), and the consumers of workers that died are removed once nothing is
/// pending for them: one that never read, and one that read an entry and died before taking
/// it, whose entry is first taken over (`XAUTOCLAIM`) after the visibility.
#[tokio::test]
async fn consumers_are_one_per_process_and_dead_ones_are_removed() {
    let prefix = fresh_prefix();
    let stream = format!("{prefix}s:munity");
    let visibility = Duration::from_secs(1);
    let first = RedisInbox::connect(&url())
        .await
        .unwrap()
        .with_prefix(prefix.clone());
    let again = RedisInbox::connect(&url())
        .await
        .unwrap()
        .with_prefix(prefix.clone());
    let mut connection = redis::Client::open(url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let inbox = inbox_contract::inbox(first.clone());
    for (state, backend) in [("a", &first), ("b", &again)] {
        inbox_contract::accept(&inbox, state).await;
        let job = backend
            .take("munity", visibility, Duration::from_secs(1))
            .await
            .unwrap()
            .unwrap();
        backend.complete(&job).await.unwrap();
    }
    let ours = consumers(&mut connection, &stream).await;
    assert_eq!(ours.len(), 1, "two inboxes of one process: {ours:?}");
    let ours = ours[0].0.clone();

    // Two workers of other processes that died: one never read, one read an entry.
    let _: i64 = redis::cmd("XGROUP")
        .arg("CREATECONSUMER")
        .arg(&stream)
        .arg("workers")
        .arg("dead-idle")
        .query_async(&mut connection)
        .await
        .unwrap();
    inbox_contract::accept(&inbox, "c").await;
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("workers")
        .arg("dead-reader")
        .arg("COUNT")
        .arg(1)
        .arg("STREAMS")
        .arg(&stream)
        .arg(">")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(consumers(&mut connection, &stream).await, {
        let mut all = vec![
            ("dead-idle".to_owned(), 0),
            ("dead-reader".to_owned(), 1),
            (ours.clone(), 0),
        ];
        all.sort();
        all
    });
    // Past the visibility and the idle time after which a consumer with nothing pending is
    // dropped (2 s).
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let job = first
        .take("munity", visibility, Duration::from_secs(1))
        .await
        .unwrap()
        .expect("the dead reader's entry was not taken over");
    assert_eq!(job.delivery.payload, inbox_contract::body("c"));
    first.complete(&job).await.unwrap();
    let idle = first
        .take("munity", visibility, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(idle.is_none());
    assert_eq!(consumers(&mut connection, &stream).await, [(ours, 0)]);
}

/// A provider whose name has a `:`: Munity's deliveries under another name.
struct Colon(webhook_receiver::providers::munity::Munity);

impl webhook_receiver::Provider for Colon {
    type Event = webhook_receiver::providers::munity::Webhook;

    fn name(&self) -> &'static str {
        "acme:eu"
    }

    fn verify<'a, H: webhook_receiver::Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<webhook_receiver::Verified<'a>, webhook_receiver::Error> {
        self.0.verify(headers, body)
    }

    fn parse(
        &self,
        verified: webhook_receiver::Verified<'_>,
    ) -> Result<webhook_receiver::Delivery<Self::Event>, webhook_receiver::Error> {
        let delivery = self.0.parse(verified)?;
        Ok(webhook_receiver::Delivery::new(
            MessageId::new(self.name(), delivery.id.as_str()),
            delivery.event,
            delivery.timestamp,
        ))
    }
}

/// The inbox's keys and message ids cannot tell `acme:eu` apart (a `MessageId` turns its `:`
/// into `_`, the stream's key keeps it): such a provider is refused with an error that says
/// so, when receiving (nothing is stored) and when taking, instead of deliveries that are
/// accepted and then never processed.
#[tokio::test]
async fn a_provider_name_with_a_colon_is_refused_with_a_clear_error() {
    use webhook_receiver::idempotency::StoreError;
    use webhook_receiver::inbox::{Inbox, InboxStats};
    let backend = RedisInbox::connect(&url())
        .await
        .unwrap()
        .with_prefix(fresh_prefix());
    let inbox = Inbox::builder(Colon(inbox_contract::munity()), backend.clone()).build();
    let received = inbox
        .receive(&inbox_contract::headers(), &inbox_contract::body("colon"))
        .await;
    let InboxReceived::Unavailable(StoreError::Misconfigured(message)) = &received else {
        panic!("a provider named acme:eu was not refused: {received:?}");
    };
    assert!(
        message.contains("\"acme:eu\"") && message.contains("':'"),
        "{message}"
    );
    assert_eq!(backend.stats().await.unwrap(), InboxStats::default());
    let taken = backend
        .take(
            "acme:eu",
            Duration::from_secs(30),
            Duration::from_millis(10),
        )
        .await;
    assert!(
        matches!(&taken, Err(StoreError::Misconfigured(_))),
        "{taken:?}"
    );
}

/// A `redis-server` of a test on a free port of 127.0.0.1, in a directory of its own; killed
/// (SIGKILL) and its directory removed when dropped, on a panic too.
struct SpawnedRedis {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
impl SpawnedRedis {
    /// Starts `redis-server` with `args` (no RDB snapshots) and waits, at most 5 s, until it
    /// answers.
    async fn start(args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("wr-inbox-replica-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .arg("--dir")
            .arg(&dir)
            .args(["--save", "", "--daemonize", "no"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is not installed: run `scripts/services.sh` (as root)");
        let mut server = Self { child, port, dir };
        for _ in 0..100 {
            if let Ok(mut connection) = server.try_connect().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut connection)
                    .await
                    .is_ok()
            {
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("redis-server exited with {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {port} did not come up within 5 s");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn try_connect(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        redis::Client::open(self.url())?
            .get_multiplexed_async_connection()
            .await
    }

    async fn connect(&self) -> redis::aio::MultiplexedConnection {
        self.try_connect().await.unwrap()
    }
}

impl Drop for SpawnedRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits until exactly `count` replicas are connected to `primary` (per `INFO replication`,
/// at most 20 s), and with `count` above 0 until they acknowledge a write (`WAIT`, at most 50
/// tries of 100 ms): a replica listed `online` right after its synchronization may not be sent
/// the stream yet (Redis 7.0 starts it on the replica's next acknowledgement, which can be
/// a second later), and `WAIT` would time out meanwhile.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
async fn wait_for_replicas(primary: &mut redis::aio::MultiplexedConnection, count: usize) {
    let mut info = String::new();
    let mut connected = false;
    for _ in 0..200 {
        info = redis::cmd("INFO")
            .arg("replication")
            .query_async(primary)
            .await
            .unwrap();
        let online = info
            .lines()
            .filter(|line| line.starts_with("slave") && line.contains("state=online"))
            .count();
        let listed = info
            .lines()
            .find_map(|line| line.strip_prefix("connected_slaves:"))
            .and_then(|n| n.trim().parse::<usize>().ok());
        if online == count && listed == Some(count) {
            connected = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        connected,
        "{count} replicas were not online within 20 s:\n{info}"
    );
    if count == 0 {
        return;
    }
    for _ in 0..50 {
        let _: i64 = redis::cmd("INCR")
            .arg("wr-test:replicas-ready")
            .query_async(primary)
            .await
            .unwrap();
        let acknowledged: usize = redis::cmd("WAIT")
            .arg(count)
            .arg(100)
            .query_async(primary)
            .await
            .unwrap();
        if acknowledged >= count {
            return;
        }
    }
    panic!("{count} replicas did not acknowledge a write within 50 tries of 100 ms");
}

/// `with_replicas(1, 200 ms)` on a primary and a replica of this test's own (not the shared
/// server: other tests must not see a replica come and go): a delivery is answered `200
/// accepted` once the replica holds it; with the replica killed, a new delivery is answered 503
/// after the 200 ms (it is on the primary, not acknowledged), and so is its retry while the
/// replica is down (a `200 duplicate` would tell the sender to stop while only the primary holds
/// it); once a replica is back and synchronized, the retry is `200 duplicate`, the replica holds
/// the delivery, and it is queued once.
#[tokio::test]
async fn with_replicas_answers_200_only_once_a_replica_holds_the_delivery() {
    use webhook_receiver::idempotency::StoreError;
    // No 5 s pause before each full synchronization.
    let primary =
        SpawnedRedis::start(&["--appendonly", "yes", "--repl-diskless-sync-delay", "0"]).await;
    let primary_port = primary.port.to_string();
    let replica_args = [
        "--replicaof",
        "127.0.0.1",
        primary_port.as_str(),
        "--appendonly",
        "no",
        "--repl-diskless-load",
        "on-empty-db",
    ];
    let mut observer = primary.connect().await;
    let replica = SpawnedRedis::start(&replica_args).await;
    wait_for_replicas(&mut observer, 1).await;

    let prefix = fresh_prefix();
    let timeout = Duration::from_millis(200);
    let backend = RedisInbox::connect(&primary.url())
        .await
        .unwrap()
        .with_prefix(prefix.clone())
        .with_replicas(1, timeout);
    let inbox = inbox_contract::inbox(backend.clone());
    let send = |state: &'static str| {
        let inbox = &inbox;
        async move {
            let started = std::time::Instant::now();
            let received = tokio::time::timeout(
                Duration::from_secs(10),
                inbox.receive(&inbox_contract::headers(), &inbox_contract::body(state)),
            )
            .await
            .expect("a receive with a 200 ms replica timeout must end within 10 s");
            (received, started.elapsed())
        }
    };
    let exists = |connection: &mut redis::aio::MultiplexedConnection, state: &'static str| {
        let key = format!("{prefix}d:{}", inbox_contract::munity_id(state).key());
        let mut connection = connection.clone();
        async move {
            redis::cmd("EXISTS")
                .arg(key)
                .query_async::<bool>(&mut connection)
                .await
                .unwrap()
        }
    };

    // The replica up: accepted, and the replica holds the delivery when the answer comes.
    let (received, _) = send("replicated").await;
    assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    let mut on_replica = replica.connect().await;
    assert!(exists(&mut on_replica, "replicated").await);

    // The replica gone: the primary records the delivery, the answer is 503 after the timeout.
    drop(replica);
    wait_for_replicas(&mut observer, 0).await;
    let (received, took) = send("unreplicated").await;
    let InboxReceived::Unavailable(StoreError::Unavailable(message)) = &received else {
        panic!("an enqueue no replica acknowledged was answered {received:?}");
    };
    assert!(message.contains("replica"), "{message}");
    assert!(
        took >= timeout,
        "answered after {took:?}, before the timeout"
    );
    assert!(exists(&mut observer, "unreplicated").await);
    // Its retry, while the replica is still down: 503 again, not `200 duplicate`.
    let (received, _) = send("unreplicated").await;
    assert!(
        matches!(received, InboxReceived::Unavailable(_)),
        "a retry no replica acknowledged was answered {received:?}"
    );

    // A replica back (a fresh one: a full synchronization): the retry is a duplicate, and the
    // replica holds it.
    let replica = SpawnedRedis::start(&replica_args).await;
    wait_for_replicas(&mut observer, 1).await;
    // Meanwhile the server forgot the script and closed the inbox's connections (as a restart
    // would): the retry loads the script and opens a new connection by itself.
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut observer)
        .await
        .unwrap();
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .arg("SKIPME")
        .arg("yes")
        .query_async(&mut observer)
        .await
        .unwrap();
    let (received, _) = send("unreplicated").await;
    assert!(matches!(received, InboxReceived::Duplicate), "{received:?}");
    let mut on_replica = replica.connect().await;
    assert!(exists(&mut on_replica, "unreplicated").await);
    // The shared connection of the other calls was closed too: its first call fails, the
    // next one reconnects.
    let mut stats = backend.stats().await;
    for _ in 0..3 {
        if stats.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        stats = backend.stats().await;
    }
    let stats = stats.unwrap();
    assert_eq!(
        (stats.pending, stats.in_flight, stats.dead, stats.completed),
        (2, 0, 0, 0),
        "each delivery is queued once"
    );
}

/// `inbox.receive` of the delivery `state`, which must end within 10 s.
#[allow(clippy::unwrap_used, clippy::expect_used)]
async fn send_within_10s(
    inbox: &webhook_receiver::inbox::Inbox<webhook_receiver::providers::munity::Munity>,
    state: &str,
) -> InboxReceived {
    let headers = inbox_contract::headers();
    let body = inbox_contract::body(state);
    tokio::time::timeout(Duration::from_secs(10), inbox.receive(&headers, &body))
        .await
        .expect("a receive with a 200 ms replica timeout must end within 10 s")
}

/// Sends `signal` (`STOP`, `CONT`) to this test's own `redis-server`, by its process id.
#[allow(clippy::unwrap_used, clippy::expect_used)]
fn signal(server: &SpawnedRedis, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal}: {status}");
}

/// A replica that is connected but behind (stopped with SIGSTOP: its connection stays open,
/// it acknowledges nothing) is not counted, also for a retry that comes on another connection
/// (another receiving process, here another inbox), which wrote nothing itself: the retry finds
/// the id held and is answered 503, not `200 duplicate` (a `WAIT` after a script that writes
/// nothing would answer for that connection's older writes only, acknowledged by the lagging
/// replica long ago); once the replica resumes, the retry is `200 duplicate`. (The marker the
/// script writes for a held id matters from Redis 7.2 on; up to 7.0, where every command moves
/// a connection's offset to the server's, this test passes without it.)
#[tokio::test]
async fn a_retry_on_another_connection_waits_for_the_held_delivery() {
    let primary =
        SpawnedRedis::start(&["--appendonly", "yes", "--repl-diskless-sync-delay", "0"]).await;
    let primary_port = primary.port.to_string();
    let mut observer = primary.connect().await;
    let replica = SpawnedRedis::start(&[
        "--replicaof",
        "127.0.0.1",
        primary_port.as_str(),
        "--appendonly",
        "no",
        "--repl-diskless-load",
        "on-empty-db",
    ])
    .await;
    wait_for_replicas(&mut observer, 1).await;
    let prefix = fresh_prefix();
    let timeout = Duration::from_millis(200);
    let connect = || async {
        let backend = RedisInbox::connect(&primary.url())
            .await
            .unwrap()
            .with_prefix(prefix.clone())
            .with_replicas(1, timeout);
        inbox_contract::inbox(backend)
    };
    let (first, second) = (connect().await, connect().await);
    // Both inboxes have written and waited once with the replica up.
    for (inbox, state) in [(&first, "first"), (&second, "second")] {
        let received = inbox
            .receive(&inbox_contract::headers(), &inbox_contract::body(state))
            .await;
        assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    }

    signal(&replica, "STOP");
    let received = send_within_10s(&first, "lagging").await;
    assert!(
        matches!(received, InboxReceived::Unavailable(_)),
        "an enqueue the stopped replica did not acknowledge was answered {received:?}"
    );
    let received = send_within_10s(&second, "lagging").await;
    assert!(
        matches!(received, InboxReceived::Unavailable(_)),
        "a retry on another connection, the replica stopped, was answered {received:?}"
    );

    signal(&replica, "CONT");
    let received = send_within_10s(&second, "lagging").await;
    assert!(matches!(received, InboxReceived::Duplicate), "{received:?}");
}

/// The whole inbox contract again, on inboxes that wait for one replica (`with_replicas(1, 5
/// s)`), each test on a primary and a replica of its own: while the replica keeps up, waiting
/// changes no answer and no processing.
mod waiting_for_a_replica {
    use super::{RedisInbox, SpawnedRedis, fresh_prefix, inbox_contract, wait_for_replicas};
    use std::sync::Arc;
    use std::time::Duration;

    #[allow(clippy::unwrap_used, clippy::expect_used)]
    async fn replicated_inboxes() -> impl Fn() -> RedisInbox {
        let primary =
            SpawnedRedis::start(&["--appendonly", "yes", "--repl-diskless-sync-delay", "0"]).await;
        let replica = SpawnedRedis::start(&[
            "--replicaof",
            "127.0.0.1",
            &primary.port.to_string(),
            "--appendonly",
            "no",
            "--repl-diskless-load",
            "on-empty-db",
        ])
        .await;
        wait_for_replicas(&mut primary.connect().await, 1).await;
        let base = RedisInbox::connect(&primary.url())
            .await
            .unwrap()
            .with_replicas(1, Duration::from_secs(5));
        // The servers live as long as the factory, the test's.
        let servers = Arc::new((primary, replica));
        move || {
            let _ = &servers;
            base.clone().with_prefix(fresh_prefix())
        }
    }

    crate::inbox_contract_tests!(replicated_inboxes());
}
