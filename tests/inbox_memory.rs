//! The inbox contract (`tests/inbox_contract`) against the in-process `MemoryInbox`, and the
//! retry policy's arithmetic.
#![cfg(feature = "inbox")]
#![allow(clippy::unwrap_used)]

mod inbox_contract;

use std::time::Duration;

use webhook_receiver::inbox::{MemoryInbox, RetryPolicy};

inbox_contract_tests!(async { MemoryInbox::new });

#[test]
fn the_retry_policy_doubles_up_to_its_cap_with_jitter_in_the_upper_half() {
    let policy = RetryPolicy::attempts(10).backoff(Duration::from_secs(1), Duration::from_secs(60));
    assert_eq!(
        policy.delay(1, 0.999_999),
        Duration::from_secs(1).mul_f64(0.999_999_5)
    );
    assert_eq!(policy.delay(1, 0.0), Duration::from_millis(500));
    assert_eq!(policy.delay(3, 0.0), Duration::from_secs(2));
    assert_eq!(policy.delay(7, 0.0), Duration::from_secs(30));
    assert_eq!(policy.delay(40, 0.0), Duration::from_secs(30));
    assert_eq!(RetryPolicy::attempts(0).max_attempts(), 1);
}

/// The default schedule outlasts a day-long outage of what a handler calls (the senders retry
/// for one to three days), and its table in the docs is what the arithmetic gives.
#[test]
fn the_default_schedule_spans_at_least_a_day() {
    let policy = RetryPolicy::default();
    let waits = |jitter: f64| {
        (1..policy.max_attempts())
            .map(|attempt| policy.delay(attempt, jitter))
            .sum::<Duration>()
    };
    let hours = |h: f64| Duration::from_secs_f64(h * 3600.0);
    assert_eq!(policy.max_attempts(), 26);
    assert!(waits(0.0) >= hours(24.0), "{:?}", waits(0.0));
    assert!(waits(0.999_999) <= hours(48.6), "{:?}", waits(0.999_999));
    // The rows of the table: full waits (jitter near 1) of 8 s after the 4th failure, 2.3 h
    // after the 14th, and the 4 h cap from the 15th on.
    assert_eq!(policy.delay(4, 0.999_999).as_secs(), 7);
    assert_eq!(policy.delay(14, 1.0), Duration::from_secs(8192));
    assert_eq!(policy.delay(15, 1.0), hours(4.0));
    assert_eq!(policy.delay(25, 1.0), hours(4.0));
}

/// A hold runs on the monotonic clock: the wall clock moving on (here it does while the
/// runtime's clock is paused; in production, an NTP step) neither ends it early nor stretches
/// it. It was once on the wall clock, and a jump forward let a second taker in.
#[tokio::test(start_paused = true)]
async fn a_hold_ends_on_the_monotonic_clock_not_the_wall_clock() {
    use webhook_receiver::__private::InboxOps as _;
    let backend = MemoryInbox::new();
    let inbox = inbox_contract::inbox(backend.clone());
    inbox_contract::accept(&inbox, "held").await;
    let visibility = Duration::from_millis(200);
    let first = backend.take("munity", visibility, Duration::ZERO).await;
    assert!(first.unwrap().is_some());
    std::thread::sleep(Duration::from_millis(400));
    let during = backend.take("munity", visibility, Duration::ZERO).await;
    assert!(
        during.unwrap().is_none(),
        "the hold ended on the wall clock"
    );
    tokio::time::advance(Duration::from_millis(250)).await;
    let after = backend.take("munity", visibility, Duration::ZERO).await;
    assert_eq!(after.unwrap().map(|job| job.attempt), Some(2));
}
