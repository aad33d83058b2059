//! Heap allocations of verification, counted by a global allocator. The allocator counts every
//! thread of the process, so this binary runs without the libtest harness (`harness = false`):
//! under libtest, the harness's own thread could allocate while a count is open, and did on a
//! loaded CI machine (4 stray allocations).
//!
//! Pinned: zero for the HMAC header scheme, the token scheme and Standard Webhooks. receeve
//! must unescape `payloadAsString` out of the JSON envelope before it can hash it, which costs
//! two allocations (serde_json's unescaping buffer, and the unescaped text, which is handed on
//! to parsing rather than unescaped again), plus what comparing the unsigned `payload` costs
//! when it is not the same text.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/common/mod.rs"]
mod common;

use std::alloc::System;

use common::*;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use webhook_receiver::Provider;
use webhook_receiver::providers::standard::StandardWebhooks;
use webhook_receiver::testing;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn allocations_of(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    region.change().allocations
}

fn main() {
    verification_allocation_counts();
    println!("allocations: 1 passed, 0 failed");
}

fn verification_allocation_counts() {
    let palenca = palenca();
    let request = testing::palenca::login_success().signed_with(&palenca);
    let n = allocations_of(|| {
        palenca.verify(request.headers(), request.body()).unwrap();
    });
    assert_eq!(n, 0, "HMAC header scheme");

    let munity = munity_token("t0ken");
    let request = testing::munity::webhook_test().signed_with(&munity);
    let n = allocations_of(|| {
        munity.verify(request.headers(), request.body()).unwrap();
    });
    assert_eq!(n, 0, "token scheme");

    let standard: StandardWebhooks =
        StandardWebhooks::from_whsec(testing::standard::EXAMPLE_SECRET).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let request = testing::standard::sign(&standard, "msg_1", now, testing::standard::example());
    let n = allocations_of(|| {
        standard.verify(request.headers(), request.body()).unwrap();
    });
    assert_eq!(n, 0, "Standard Webhooks");

    let receeve = receeve();
    let request = testing::receeve::claim_created().signed_with(&receeve);
    let n = allocations_of(|| {
        receeve.verify(request.headers(), request.body()).unwrap();
    });
    assert_eq!(n, 2, "receeve: the unescaped payloadAsString only");
}
