//! webhook-receiver (crate docs written below).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod clock;
pub mod idempotency;
mod delivery;
mod error;
mod headers;
mod provider;
pub mod providers;
mod secret;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod verify;
mod wire;

pub use delivery::{Delivery, MessageId};
pub use error::{ConfigError, Error};
pub use headers::Headers;
pub use provider::{
    DEFAULT_BODY_LIMIT, Provider, Verified, check_body_limit, dangerous, parse_json,
    verify_and_parse,
};
pub use secret::{Keyring, Secret};
