//! Standard Webhooks deliveries signed exactly as a sender would sign them, and the
//! specification's known-answer example.
//!
//! ```
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::standard::StandardWebhooks;
//! use webhook_receiver::testing::standard;
//! use webhook_receiver::verify::StandardScheme;
//! use webhook_receiver::Provider;
//!
//! let scheme = StandardScheme::from_whsec(standard::EXAMPLE_SECRET)
//!     .unwrap()
//!     .clock(Arc::new(ManualClock::at_unix(standard::EXAMPLE_TIMESTAMP)));
//! let provider: StandardWebhooks = StandardWebhooks::new(scheme);
//!
//! let request = standard::sign(&provider, "msg_1", standard::EXAMPLE_TIMESTAMP, standard::example());
//! let delivery = provider.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event["username"], "test_user");
//! ```

use crate::providers::standard::StandardWebhooks;
use crate::testing::{SignedRequest, Signer};
use crate::verify::StandardScheme;
use crate::verify::standard::HeaderNames;

/// Signs as a Standard Webhooks sender does, like every provider's [`Signer`]: `webhook-*`
/// headers, the timestamp read from the scheme's clock (so it lies within the window), and an
/// id derived from the content (`msg_` and the first 16 hex digits of its SHA-256), so that
/// signing the same content twice makes the same delivery, as a sender's retry does.
///
/// ```
/// use webhook_receiver::providers::standard::StandardWebhooks;
/// use webhook_receiver::testing::{Fixture, Signer as _};
/// use webhook_receiver::verify::StandardScheme;
/// use webhook_receiver::Provider;
///
/// let provider: StandardWebhooks = StandardWebhooks::new(StandardScheme::from_whsec(
///     "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
/// ).unwrap());
/// let fixture = Fixture::new("invoice.paid", r#"{"type":"invoice.paid"}"#);
/// let request = fixture.signed_with(&provider);
/// let delivery = provider.verify_and_parse(request.headers(), request.body()).unwrap();
/// assert!(delivery.id.as_str().starts_with("msg_"));
/// // A retry of the same content carries the same id.
/// assert_eq!(fixture.signed_with(&provider).header("webhook-id"), request.header("webhook-id"));
/// ```
impl Signer for StandardScheme {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(content);
        let id = format!("msg_{}", hex::encode(digest.get(..8).unwrap_or_default()));
        self::sign(self, &id, self.now_unix(), content)
    }
}

/// As the [`StandardScheme`] it verifies with.
impl<T> Signer for StandardWebhooks<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        Signer::sign(self.as_ref(), content)
    }
}

/// The secret of the specification's known-answer vector.
pub const EXAMPLE_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
/// The `webhook-id` of the specification's known-answer vector.
pub const EXAMPLE_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
/// The `webhook-timestamp` (unix seconds) of the specification's known-answer vector.
pub const EXAMPLE_TIMESTAMP: i64 = 1_649_367_553;
/// The `webhook-signature` of the specification's known-answer vector.
pub const EXAMPLE_SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

/// The body of the specification's known-answer vector:
/// `{"email":"test@example.com","username":"test_user"}`.
#[must_use]
pub fn example() -> &'static [u8] {
    br#"{"email":"test@example.com","username":"test_user"}"#
}

/// The request a genuine sender would send: `webhook-id`, `webhook-timestamp`,
/// `webhook-signature` (one `v1` entry, made with the primary secret) and
/// `content-type: application/json`, with `body`.
///
/// `signer` is a [`StandardScheme`] or a
/// [`StandardWebhooks`] receiver.
#[must_use]
pub fn sign(
    signer: &impl AsRef<StandardScheme>,
    id: &str,
    timestamp: i64,
    body: impl Into<Vec<u8>>,
) -> SignedRequest {
    signed(
        HeaderNames::WEBHOOK,
        signer.as_ref(),
        id,
        timestamp,
        body.into(),
    )
}

/// As [`sign`], with the headers Svix sends: `svix-id`, `svix-timestamp`, `svix-signature`.
#[must_use]
pub fn sign_svix(
    signer: &impl AsRef<StandardScheme>,
    id: &str,
    timestamp: i64,
    body: impl Into<Vec<u8>>,
) -> SignedRequest {
    signed(
        HeaderNames::SVIX,
        signer.as_ref(),
        id,
        timestamp,
        body.into(),
    )
}

fn signed(
    names: HeaderNames,
    scheme: &StandardScheme,
    id: &str,
    timestamp: i64,
    body: Vec<u8>,
) -> SignedRequest {
    let signature = scheme.sign(id, timestamp, &body);
    SignedRequest::new(
        vec![
            (names.id.to_owned(), id.to_owned()),
            (names.timestamp.to_owned(), timestamp.to_string()),
            (names.signature.to_owned(), signature),
            ("content-type".to_owned(), "application/json".to_owned()),
        ],
        body,
    )
}
