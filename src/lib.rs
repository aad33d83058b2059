//! Receive webhooks safely: verify the raw bytes, then parse a typed event, then process it
//! once.
//!
//! `webhook-receiver` turns a delivery (headers + raw body) into a verified, typed
//! [`Delivery`] with one call, [`Provider::verify_and_parse`], or into an [`Error`] whose
//! [`status`](Error::status) is the right HTTP answer. It knows twelve mainstream senders
//! (GitHub, Stripe, Shopify, Slack, Zoom, Discord, Twilio, SendGrid, Linear, Paddle, Square,
//! Intercom: [`guide::senders`]), Palenca, receeve and Munity (see [`providers`]), every
//! sender that uses the Standard Webhooks scheme (Svix and many others,
//! [`providers::standard`]), and any other signed sender through the [`Provider`] trait and
//! the schemes in [`verify`]. The core is synchronous, does no I/O and needs no framework.
//!
//! # Quick start
//!
//! ```
//! use webhook_receiver::{Provider, Secret};
//! use webhook_receiver::providers::receeve::{Details, Receeve};
//!
//! // Once, at start-up: secrets are checked here, not at the first request.
//! let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
//!
//! // Per request: the raw body bytes and the headers, from any framework.
//! # let payload = r#"{"details":{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":501,"currency":"EUR"},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z"}"#;
//! # let body = receeve.signed_body(payload);
//! let headers = [("content-type", "application/json")];
//! match receeve.verify_and_parse(&headers, &body) {
//!     Ok(delivery) => {
//!         // delivery.id is the deduplication key; delivery.event the typed message.
//!         if let Details::ClaimCreated(claim) = &delivery.event.details {
//!             assert_eq!(claim.amount, 501);
//!         }
//!     }
//!     Err(err) => {
//!         // Answer err.status(): 400, 401, 413 or 422.
//!         panic!("rejected with {}: {err}", err.status());
//!     }
//! }
//! ```
//!
//! # Security model
//!
//! - **Verify first, on the raw bytes.** A provider's [`Provider::verify`] runs on the body
//!   exactly as received and returns a [`Verified`] value that only verification can make;
//!   [`Provider::parse`] takes that value. Parsing unverified input is possible only through
//!   [`dangerous::parse_unverified`], for replays and tests.
//! - **Constant-time comparison.** HMACs are checked with the MAC crate's `verify_slice`;
//!   shared tokens are compared digest against digest with `subtle`. A signature that is empty
//!   (`v1,`, `sha256=`), truncated or over-long is [`Error::MalformedSignature`], never a match.
//! - **Rotation.** A [`Keyring`] holds several secrets; every one is tried.
//! - **Only signed content counts.** receeve deliveries are parsed from the signed
//!   `payloadAsString`; an unsigned `payload` that disagrees with it is
//!   [`Error::PayloadMismatch`].
//! - **Bounded work.** Bodies over the limit (default 1 MiB) are [`Error::BodyTooLarge`] before
//!   any hashing, and no signature header makes a request hash the body more than a fixed
//!   number of times per configured key (see `SECURITY.md`); JSON nesting is bounded by `serde_json`'s limit, so hostile input is an
//!   error, not a stack overflow. No input panics.
//! - **Secrets stay secret.** [`Secret`] prints as `[redacted]`, has no `Display` or
//!   `Serialize`, and errors never echo an expected signature nor quote the body (a JSON
//!   parser's message is [`JsonError::parser_message`], asked for by name). Secret bytes and the HMAC key
//!   states made from them are wiped (`zeroize`) when dropped.
//! - **Unknown is not an error.** New event names and new fields parse (`Other` variants keep
//!   the name and raw JSON); a missing *documented* field is [`Error::UnexpectedPayload`] (422).
//! - `#![forbid(unsafe_code)]`.
//!
//! # Errors and HTTP statuses
//!
//! | status | when |
//! |---|---|
//! | 400 | not JSON, not UTF-8, nested too deeply; a body that could not be read to its end |
//! | 401 | missing, malformed or wrong signature or token; timestamp outside the window; forged unsigned copy |
//! | 408 | the body did not arrive in time (the framework extractors) |
//! | 413 | body over the limit |
//! | 422 | valid JSON of the wrong shape |
//!
//! [`Error::body_text`] is the short body to send with the status. A store that is down is
//! not an error of the delivery: [`Receiver`] reports it as
//! [`Received::StoreFailed`], answered 503.
//!
//! # Feature flags
//!
//! The default build has no feature: serde, serde_json, hmac, sha2, subtle, hex, base64,
//! time, uuid and json-event-parser. No async runtime, HTTP client or database driver.
//!
//! - `http`: [`Headers`] for `http::HeaderMap`, and `SignedRequest::to_http_request`.
//! - `testing`: the [`testing`] kit: fixtures for every documented example and
//!   signers that produce what a real sender sends (each scheme's `sign` methods and
//!   `Receeve::signed_body` come with it; production builds sign nothing).
//! - `public-key`: RSA PKCS#1 v1.5 and ECDSA P-256 signatures (SHA-256) from PEM keys, for
//!   receeve's public-key variant (`Receeve::public_key`), and ed25519 for Standard Webhooks
//!   `v1a` entries. Costs the RustCrypto `rsa` and `p256` crates and `ed25519-dalek`.
//!
//! - `axum`: [`integrations::axum`]: extractors for axum 0.8 that read the body under the
//!   limit and a deadline, verify, deduplicate and answer. Costs axum, http-body-util, bytes
//!   and tokio's timer.
//! - `actix-web`: [`integrations::actix`]: the same for actix-web 4 (one adapter core,
//!   [`integrations`]). Costs actix-web, futures-util and bytes.
//! - `postgres`: [`idempotency::PostgresStore`], one atomic `INSERT ... ON CONFLICT`
//!   per claim on the database clock; with `inbox`, the PostgreSQL inbox (below). Costs
//!   tokio-postgres, deadpool-postgres and graphile_worker (on the same stack, no sqlx).
//! - `redis`: [`idempotency::RedisStore`], one Lua script per operation, TTLs as leases.
//!   Costs the redis crate.
//! - `inbox`: [`inbox`]: acknowledge at once, process later with workers, retries, dead
//!   letters and replay; the in-process `MemoryInbox`, and with `redis` the `RedisInbox` on
//!   Redis Streams. Costs tokio's tasks, timers and notifications.
//! - `inbox` with `postgres`: `inbox::PostgresInbox` (graphile_worker's
//!   queue in PostgreSQL) and `Worker::run_in_transaction` (the handler's writes commit with
//!   the completion).
//! - `tracing`: a `webhook.receive` span per delivery and a `webhook.process` span per inbox
//!   attempt, rejection reasons and failures as events (see [`observe`]). Costs the `tracing`
//!   facade.
//! - `metrics`: deliveries by outcome, rejections by reason, handler and store latency, store
//!   errors, memory-store evictions, inbox attempts and contents (see [`observe`]). Costs the
//!   `metrics` facade.
//!
//! # Process once
//!
//! [`Receiver`] claims each message id in an
//! [`IdempotencyStore`](idempotency::IdempotencyStore) ([`MemoryStore`](idempotency::MemoryStore) embedded), runs the handler, and records the result:
//! a retry or a concurrent copy that comes while the id is claimed or completed does not run
//! it again; a crash mid-way expires with the lease, so the next retry processes the event.
//! That is at-least-once with deduplication: the handler runs again when its effect happened
//! but the completion was not recorded (a crash between the two, a store failure during
//! `complete`, a handler that outlived its lease). The framework extractors detach the handler
//! from the connection; [`Receiver::receive`] says how to do the same without them. See
//! [`Received::ProcessedUnrecorded`].
//!
//! # Rotating secrets without downtime
//!
//! Every scheme accepts several keys at once ([`Keyring`], or several PEM keys) and tries each:
//! add the new secret next to the old one and deploy, let the sender switch to the new one,
//! then remove the old and deploy again. No delivery is rejected in between.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The docs link to items of every feature. docs.rs builds them with all features, and CI checks
// that build with `-D warnings`; a local `cargo doc` with fewer features shows the links to
// what it left out as plain text instead of failing.
#![cfg_attr(
    not(all(
        feature = "testing",
        feature = "http",
        feature = "public-key",
        feature = "axum",
        feature = "actix-web",
        feature = "postgres",
        feature = "redis",
        feature = "inbox",
        feature = "tracing",
        feature = "metrics"
    )),
    allow(rustdoc::broken_intra_doc_links)
)]

pub mod clock;
mod delivery;
mod error;
#[cfg(any(feature = "inbox", feature = "axum"))]
mod future;
pub mod guide;
mod headers;
pub mod idempotency;
#[cfg(feature = "inbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
pub mod inbox;
#[cfg(any(feature = "axum", feature = "actix-web"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "axum", feature = "actix-web"))))]
pub mod integrations;
mod json;
pub mod observe;
mod provider;
pub mod providers;
mod receiver;
mod secret;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod verify;

/// Not part of the API: what seals `idempotency::IdempotencyStore` and
/// `inbox::InboxBackend`. It exists so that this crate's own fault-injection tests can wrap a
/// backend; it changes without notice in any release, and an implementation outside the crate
/// is not held to the guarantees the crate documents.
#[doc(hidden)]
pub mod __private {
    /// Implemented by the crate's stores and inbox backends.
    pub trait Sealed {}

    /// The inbox backends' operations and what they hand out, for the crate's own tests.
    #[cfg(feature = "inbox")]
    pub use crate::inbox::{Backend as InboxOps, Enqueued, Job};
}

pub use delivery::{Delivery, MessageId};
pub use error::{ConfigError, Error, JsonError};
pub use headers::{Headers, REQUEST_TARGET};
pub use provider::{DEFAULT_BODY_LIMIT, Provider, Verified, dangerous};
pub use receiver::{DEFAULT_RETRY_AFTER_CAP, Received, Receiver, ReceiverBuilder, WebhookResponse};
pub use secret::{Keyring, Secret};

// The driver crates the public API names (`PostgresStore::new(pool)`, `complete_in(&tx, ..)`,
// `RedisStore::new(manager)`), re-exported so that an application uses the very versions this
// crate was built with instead of matching them by hand.
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
#[doc(no_inline)]
pub use deadpool_postgres;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
#[doc(no_inline)]
pub use redis;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
#[doc(no_inline)]
pub use tokio_postgres;

/// The README's examples, compiled and run as doc tests so they cannot rot (with the
/// features they use, as the README's test command `cargo test --workspace --all-features`
/// enables).
#[cfg(all(
    doctest,
    feature = "testing",
    feature = "axum",
    feature = "actix-web",
    feature = "inbox"
))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
