//! Shopify deliveries signed as Shopify signs them.
//!
//! ```
//! use webhook_receiver::providers::shopify::Shopify;
//! use webhook_receiver::{Provider, Secret, testing};
//!
//! let shopify: Shopify = Shopify::new(Secret::new("client-secret").unwrap());
//! let request = testing::shopify::sign(&shopify, "products/update", br#"{"id":632910392}"#);
//! let delivery = shopify.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "products/update");
//! ```

use super::github::content_guid;
use super::{SignedRequest, Signer};
use crate::providers::shopify::Shopify;

/// The request Shopify would send for `topic` (`X-Shopify-Topic`) with `body`:
/// `X-Shopify-Hmac-Sha256` (base64, primary secret), `X-Shopify-Topic`,
/// `X-Shopify-Shop-Domain` (`example.myshopify.com`), `X-Shopify-API-Version`,
/// `X-Shopify-Webhook-Id` and `X-Shopify-Event-Id` (GUIDs derived from the body, so that
/// signing the same body again makes a redelivery) and `content-type: application/json`.
#[must_use]
pub fn sign<T>(shopify: &Shopify<T>, topic: &str, body: impl Into<Vec<u8>>) -> SignedRequest {
    let body = body.into();
    let signature = shopify.scheme().sign(&body);
    let event_id = content_guid(&body);
    let webhook_id = content_guid(&[topic.as_bytes(), b"\n", &body].concat());
    let headers = [
        ("content-type", "application/json"),
        ("x-shopify-topic", topic),
        ("x-shopify-shop-domain", "example.myshopify.com"),
        ("x-shopify-api-version", "2025-10"),
        ("x-shopify-webhook-id", &webhook_id),
        ("x-shopify-event-id", &event_id),
        ("x-shopify-hmac-sha256", &signature),
    ];
    SignedRequest::new(
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body,
    )
}

/// Signs `content` as an `orders/create` delivery; use [`sign`] to name another topic.
impl<T> Signer for Shopify<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        self::sign(self, "orders/create", content)
    }
}
