//! Helpers shared by the integration tests: providers configured as a user would.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::verify::{HmacScheme, SignatureEncoding, TokenScheme};
use webhook_receiver::{Keyring, Secret};

pub const PALENCA_KEY: &str = "palenca-test-key";
pub const MUNITY_KEY: &str = "munity-test-key";
pub const RECEEVE_KEY: &str = "receeve-test-key";
/// The header the tests agree with "Palenca" for its signature: Palenca does not publish one.
pub const PALENCA_HEADER: &str = "x-palenca-signature";
pub const MUNITY_HEADER: &str = "x-munity-signature";

/// A name no other test (or earlier run against the same server) uses: the process id, the
/// time in nanoseconds (its last 12 digits) and a counter, joined by `_`, to end a table name
/// or a key prefix.
pub fn fresh_name() -> String {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}_{}_{n}", std::process::id(), nanos % 1_000_000_000_000)
}

pub fn secret(text: &str) -> Secret {
    Secret::new(text).unwrap()
}

pub fn palenca_with(keys: impl Into<Keyring>) -> Palenca {
    Palenca::new(
        HmacScheme::new(PALENCA_HEADER, keys)
            .unwrap()
            .prefix("sha256="),
    )
}

pub fn palenca() -> Palenca {
    palenca_with(secret(PALENCA_KEY))
}

pub fn palenca_token(token: &str) -> Palenca {
    Palenca::new(TokenScheme::new("x-palenca-token", secret(token)).unwrap())
}

pub fn munity() -> Munity {
    Munity::new(
        HmacScheme::new(MUNITY_HEADER, secret(MUNITY_KEY))
            .unwrap()
            .encoding(SignatureEncoding::Base64),
    )
}

pub fn munity_token(token: &str) -> Munity {
    Munity::new(TokenScheme::new("x-munity-token", secret(token)).unwrap())
}

pub fn receeve_with(keys: impl Into<Keyring>) -> Receeve {
    Receeve::hmac(keys)
}

pub fn receeve() -> Receeve {
    receeve_with(secret(RECEEVE_KEY))
}

/// An idempotency store whose backend is down: every call fails with `Unavailable`, as a
/// shared store does when its server cannot be reached.
pub struct DownStore;

// Not part of the API: the crate's own tests may stand in for a store (see `__private`).
impl webhook_receiver::__private::Sealed for DownStore {}

impl webhook_receiver::idempotency::IdempotencyStore for DownStore {
    async fn claim_with_digest(
        &self,
        _id: &webhook_receiver::MessageId,
        _digest: Option<[u8; 32]>,
        _lease: std::time::Duration,
    ) -> Result<webhook_receiver::idempotency::Claim, webhook_receiver::idempotency::StoreError>
    {
        Err(webhook_receiver::idempotency::StoreError::Unavailable(
            "connection refused".into(),
        ))
    }

    async fn complete(
        &self,
        _lease: &webhook_receiver::idempotency::Lease,
        _retention: std::time::Duration,
    ) -> Result<(), webhook_receiver::idempotency::StoreError> {
        Err(webhook_receiver::idempotency::StoreError::Unavailable(
            "connection refused".into(),
        ))
    }

    async fn release(
        &self,
        _lease: &webhook_receiver::idempotency::Lease,
    ) -> Result<(), webhook_receiver::idempotency::StoreError> {
        Err(webhook_receiver::idempotency::StoreError::Unavailable(
            "connection refused".into(),
        ))
    }
}
