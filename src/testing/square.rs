//! Square deliveries signed as Square signs them.
//!
//! ```
//! use webhook_receiver::providers::square::Square;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{Provider, Secret};
//!
//! let square: Square = Square::new(Secret::new("key").unwrap(), "https://example.com/sq").unwrap();
//! let request = square.sign(br#"{"type":"customer.created","event_id":"e1"}"#);
//! assert!(square.verify_and_parse(request.headers(), request.body()).is_ok());
//! ```

use super::{SignedRequest, Signer};
use crate::providers::square::{SIGNATURE_HEADER, Square};

/// The request Square would send to the provider's notification URL with `content` as the
/// body: `x-square-hmacsha256-signature` (base64 HMAC-SHA256 of the URL and the body, primary
/// key), `Square-Retry-Number: 0` and `content-type: application/json`.
impl<T> Signer for Square<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        let signature = self
            .scheme()
            .sign_parts(&[self.notification_url().as_bytes(), content]);
        SignedRequest::new(
            vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("square-retry-number".to_owned(), "0".to_owned()),
                (SIGNATURE_HEADER.to_owned(), signature),
            ],
            content.to_vec(),
        )
    }
}
