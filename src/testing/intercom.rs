//! Intercom notifications signed as Intercom signs them.

use super::{SignedRequest, Signer};
use crate::providers::intercom::{Intercom, SIGNATURE_HEADER};

/// The request Intercom would send with `content` as the body: `X-Hub-Signature: sha1=<hex
/// HMAC-SHA1 of the body>` (primary secret), `content-type: application/json`.
impl<T> Signer for Intercom<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        SignedRequest::new(
            vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                (SIGNATURE_HEADER.to_owned(), self.scheme().sign(content)),
            ],
            content.to_vec(),
        )
    }
}
