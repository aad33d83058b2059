//! Paddle Billing deliveries signed as Paddle signs them.
//!
//! ```
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::paddle::Paddle;
//! use webhook_receiver::{Provider, Secret, testing};
//!
//! let paddle: Paddle = Paddle::new(Secret::new("pdl_ntfset_01_secret").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let request = testing::paddle::sign(&paddle, 1_767_225_599, br#"{"event_id":"evt_1","event_type":"a.b"}"#);
//! assert!(request.header("paddle-signature").unwrap().starts_with("ts=1767225599;h1="));
//! assert!(paddle.verify_and_parse(request.headers(), request.body()).is_ok());
//! ```

use crate::providers::paddle::{Paddle, SIGNATURE_HEADER};
use crate::testing::{SignedRequest, Signer};

/// Signs as Paddle does: `Paddle-Signature: ts=<now on the provider's clock>;h1=<hex>` with the
/// primary secret.
impl<T> Signer for Paddle<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        sign(self, self.settings().now_unix(), content)
    }
}

/// The request Paddle would send for `body` signed at `timestamp` (unix seconds).
#[must_use]
pub fn sign<T>(paddle: &Paddle<T>, timestamp: i64, body: &[u8]) -> SignedRequest {
    let ts = timestamp.to_string();
    let h1 = paddle.scheme().sign(&[ts.as_bytes(), b":", body].concat());
    SignedRequest::new(
        vec![
            (SIGNATURE_HEADER.to_owned(), format!("ts={ts};h1={h1}")),
            ("content-type".to_owned(), "application/json".to_owned()),
        ],
        body.to_vec(),
    )
}
