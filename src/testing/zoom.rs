//! Zoom notifications signed as Zoom signs them.
//!
//! ```
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::zoom::Zoom;
//! use webhook_receiver::{Provider, Secret, testing};
//!
//! let zoom: Zoom = Zoom::new(Secret::new("zoom-secret-token").unwrap())
//!     .clock(Arc::new(ManualClock::at_unix(1_767_225_600)));
//! let body = br#"{"event":"endpoint.url_validation","payload":{"plainToken":"abc"}}"#;
//! let request = testing::zoom::sign(&zoom, 1_767_225_599, body);
//! let delivery = zoom.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "endpoint.url_validation");
//! ```

use crate::providers::zoom::{SIGNATURE_HEADER, TIMESTAMP_HEADER, Zoom};
use crate::testing::{SignedRequest, Signer};

/// Signs as Zoom does, with the primary secret token, stamped with "now" on the provider's
/// clock.
impl<T> Signer for Zoom<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        sign(self, self.settings().now_unix(), content)
    }
}

/// The request Zoom would send for `body` at `timestamp` (unix seconds).
#[must_use]
pub fn sign<T>(zoom: &Zoom<T>, timestamp: i64, body: &[u8]) -> SignedRequest {
    let ts = timestamp.to_string();
    let signature = zoom
        .scheme()
        .sign(&[b"v0:", ts.as_bytes(), b":", body].concat());
    SignedRequest::new(
        vec![
            (TIMESTAMP_HEADER.to_owned(), ts),
            (SIGNATURE_HEADER.to_owned(), signature),
            ("content-type".to_owned(), "application/json".to_owned()),
        ],
        body.to_vec(),
    )
}
