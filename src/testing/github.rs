//! GitHub deliveries signed as GitHub signs them.
//!
//! ```
//! use webhook_receiver::providers::github::GitHub;
//! use webhook_receiver::testing::{self, Signer as _};
//! use webhook_receiver::{Provider, Secret};
//!
//! let github: GitHub = GitHub::new(Secret::new("s3cret").unwrap());
//! let request = testing::github::sign(&github, "push", br#"{"ref":"refs/heads/main"}"#);
//! assert!(request.header("x-hub-signature-256").unwrap().starts_with("sha256="));
//! let delivery = github.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "push");
//! // The same content signed again is the same delivery, as GitHub's redelivery is.
//! assert_eq!(testing::github::sign(&github, "push", br#"{"ref":"refs/heads/main"}"#), request);
//! ```

use super::{SignedRequest, Signer};
use crate::providers::github::{DELIVERY_HEADER, EVENT_HEADER, GitHub, SIGNATURE_HEADER};

/// The request GitHub would send for an `event` (`X-GitHub-Event`) with `body`:
/// `X-GitHub-Event`, `X-GitHub-Delivery` (a GUID derived from the body, so that signing the
/// same body again makes a redelivery), `X-Hub-Signature-256` (with the primary secret),
/// GitHub's `User-Agent` and `content-type: application/json`.
#[must_use]
pub fn sign<T>(github: &GitHub<T>, event: &str, body: impl Into<Vec<u8>>) -> SignedRequest {
    let body = body.into();
    let signature = github.scheme().sign(&body);
    SignedRequest::new(
        vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            (
                "user-agent".to_owned(),
                "GitHub-Hookshot/0000000".to_owned(),
            ),
            (EVENT_HEADER.to_owned(), event.to_owned()),
            (DELIVERY_HEADER.to_owned(), content_guid(&body)),
            (SIGNATURE_HEADER.to_owned(), signature),
        ],
        body,
    )
}

/// Signs `content` as a `ping` event (the one event whose type no body names); use [`sign`] to
/// name another.
impl<T> Signer for GitHub<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        self::sign(self, "ping", content)
    }
}

/// A GUID-shaped id derived from `content` (its SHA-256), so that signing the same content
/// twice makes the same delivery, as a sender's retry does.
pub(crate) fn content_guid(content: &[u8]) -> String {
    use sha2::Digest as _;
    let hex = hex::encode(sha2::Sha256::digest(content));
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default();
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}
