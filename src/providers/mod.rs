//! The senders the crate knows, one module each: events, and how a delivery is authenticated
//! and identified.
//!
//! | provider | authentication | message id |
//! |---|---|---|
//! | [`palenca`] | HMAC-SHA256 of the body or a shared token, in a header you name | `data.webhook_id`, else body digest |
//! | [`receeve`] | HMAC-SHA256 of `payloadAsString` (hex or base64), or RSA/ECDSA P-256 (feature `public-key`) | `payload.messageId` |
//! | [`munity`] | a shared token or HMAC-SHA256, in a header you name | body digest |
//! | [`standard`] | Standard Webhooks v1 (`webhook-*` or `svix-*` headers), replay window | `webhook-id` |

pub use crate::json::RawJson;

pub mod munity;
pub mod palenca;
pub mod receeve;
pub mod standard;
