//! Stripe deliveries signed as Stripe signs them.
//!
//! ```
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::stripe::Stripe;
//! use webhook_receiver::{Provider, Secret, testing};
//!
//! let stripe: Stripe = Stripe::new(Secret::new("whsec_test").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let request = testing::stripe::sign(&stripe, 1_767_225_590, br#"{"id":"evt_1","type":"charge.succeeded"}"#);
//! assert!(request.header("stripe-signature").unwrap().starts_with("t=1767225590,v1="));
//! assert!(stripe.verify_and_parse(request.headers(), request.body()).is_ok());
//! ```

use crate::providers::stripe::{SIGNATURE_HEADER, Stripe};
use crate::testing::{SignedRequest, Signer};

/// Signs as Stripe does: `Stripe-Signature: t=<now on the provider's clock>,v1=<hex>` with the
/// primary secret, and `content-type: application/json`.
impl<T> Signer for Stripe<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        sign(self, self.settings().now_unix(), content)
    }
}

/// The request Stripe would send for `body` signed at `timestamp` (unix seconds).
#[must_use]
pub fn sign<T>(stripe: &Stripe<T>, timestamp: i64, body: &[u8]) -> SignedRequest {
    let t = timestamp.to_string();
    let v1 = stripe.scheme().sign(&[t.as_bytes(), b".", body].concat());
    SignedRequest::new(
        vec![
            (SIGNATURE_HEADER.to_owned(), format!("t={t},v1={v1}")),
            ("content-type".to_owned(), "application/json".to_owned()),
        ],
        body.to_vec(),
    )
}
