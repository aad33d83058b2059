//! Slack requests signed as Slack signs them.
//!
//! ```
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::slack::Slack;
//! use webhook_receiver::{Provider, Secret, testing};
//!
//! let slack: Slack = Slack::new(Secret::new("signing-secret").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let request = testing::slack::sign(&slack, 1_767_225_598, br#"{"type":"url_verification","challenge":"c"}"#);
//! let delivery = slack.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "url_verification");
//! ```

use crate::providers::slack::{SIGNATURE_HEADER, Slack, TIMESTAMP_HEADER};
use crate::testing::{SignedRequest, Signer};

/// Signs as Slack does, with the primary secret, stamped with "now" on the provider's clock;
/// the content type follows the body (JSON when it starts with `{`, a form otherwise).
impl<T> Signer for Slack<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        sign(self, self.settings().now_unix(), content)
    }
}

/// The request Slack would send for `body` at `timestamp` (unix seconds).
#[must_use]
pub fn sign<T>(slack: &Slack<T>, timestamp: i64, body: &[u8]) -> SignedRequest {
    let ts = timestamp.to_string();
    let signature = slack
        .scheme()
        .sign(&[b"v0:", ts.as_bytes(), b":", body].concat());
    let content_type = if body.first() == Some(&b'{') {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    SignedRequest::new(
        vec![
            (TIMESTAMP_HEADER.to_owned(), ts),
            (SIGNATURE_HEADER.to_owned(), signature),
            ("content-type".to_owned(), content_type.to_owned()),
        ],
        body.to_vec(),
    )
}
