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
