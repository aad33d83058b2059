//! Twilio webhooks signed as Twilio signs them.

use super::{SignedRequest, Signer};
use crate::providers::twilio::{
    IDEMPOTENCY_HEADER, SIGNATURE_HEADER, Twilio, is_json, signed_parts,
};

/// The request Twilio would send to the provider's URL with `content` as the body: a form
/// (`application/x-www-form-urlencoded`, signed over the URL and the sorted parameters) or,
/// when `content` is JSON, `application/json` signed over the URL with `bodySHA256`;
/// `X-Twilio-Signature` with the primary auth token, and `I-Twilio-Idempotency-Token` derived
/// from the body (so that signing the same body again makes a retry).
impl<T> Signer for Twilio<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        let after_url = signed_parts(self.url(), content);
        let mut parts: Vec<&[u8]> = vec![self.url().as_bytes()];
        parts.extend(after_url.iter().map(|part| part.as_ref()));
        let signature = self.scheme().sign_parts(&parts);
        let content_type = if is_json(content) {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        SignedRequest::new(
            vec![
                ("content-type".to_owned(), content_type.to_owned()),
                (
                    IDEMPOTENCY_HEADER.to_owned(),
                    super::github::content_guid(content),
                ),
                (SIGNATURE_HEADER.to_owned(), signature),
            ],
            content.to_vec(),
        )
    }
}
