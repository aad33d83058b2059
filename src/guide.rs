//! Guides: the longer explanations, one page each (also in `docs/` in the repository).
//!
//! A guide whose examples need optional features is included in builds with those features
//! (docs.rs builds with all of them, and so do the doc tests of `cargo test --all-features`);
//! otherwise its page says which features show it.

#[cfg_attr(
    all(feature = "axum", feature = "postgres", feature = "redis"),
    doc = include_str!("../docs/process-once.md")
)]
#[cfg_attr(
    not(all(feature = "axum", feature = "postgres", feature = "redis")),
    doc = "Process each event once: `docs/process-once.md`, shown here with the features `axum`, `postgres` and `redis`."
)]
pub mod process_once {}

#[cfg_attr(
    all(feature = "axum", feature = "inbox"),
    doc = include_str!("../docs/inbox.md")
)]
#[cfg_attr(
    not(all(feature = "axum", feature = "inbox")),
    doc = "Acknowledge fast, process later: the inbox: `docs/inbox.md`, shown here with the features `axum` and `inbox`."
)]
pub mod inbox {}

#[doc = include_str!("../docs/observability.md")]
pub mod observability {}

#[doc = include_str!("../docs/providers.md")]
pub mod providers {}

#[cfg_attr(
    all(feature = "axum", feature = "public-key"),
    doc = include_str!("../docs/senders.md")
)]
#[cfg_attr(
    not(all(feature = "axum", feature = "public-key")),
    doc = "The mainstream senders (GitHub, Stripe, Shopify, Slack and eight more): `docs/senders.md`, shown here with the features `axum` and `public-key`."
)]
pub mod senders {}

#[doc = include_str!("../docs/performance.md")]
pub mod performance {}

#[doc = include_str!("../docs/security.md")]
pub mod security {}

#[cfg_attr(
    all(feature = "testing", feature = "axum", feature = "actix-web"),
    doc = include_str!("../docs/testing.md")
)]
#[cfg_attr(
    not(all(feature = "testing", feature = "axum", feature = "actix-web")),
    doc = "Testing your handlers: `docs/testing.md`, shown here with the features `testing`, `axum` and `actix-web`."
)]
pub mod testing {}
