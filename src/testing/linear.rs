//! Linear deliveries signed as Linear signs them.
//!
//! ```
//! use webhook_receiver::providers::linear::Linear;
//! use webhook_receiver::{Provider, Secret, testing};
//!
//! let linear: Linear = Linear::new(Secret::new("lin_wh_secret").unwrap());
//! let request = testing::linear::sign(&linear, br#"{"action":"update","type":"Comment"}"#);
//! let delivery = linear.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.event.kind, "Comment");
//! ```

use super::github::content_guid;
use super::{SignedRequest, Signer};
use crate::providers::linear::{DELIVERY_HEADER, EVENT_HEADER, Linear, SIGNATURE_HEADER};

/// The request Linear would send for `body`: a JSON object, to which `webhookTimestamp` (now
/// on the provider's clock, in milliseconds) is added unless it has one; then
/// `Linear-Signature` (primary secret), `Linear-Delivery` (a UUID derived from the signed
/// body), `Linear-Event` (the body's `type`), Linear's `User-Agent` and
/// `content-type: application/json`.
#[must_use]
pub fn sign<T>(linear: &Linear<T>, body: &[u8]) -> SignedRequest {
    let body = with_timestamp(body, linear.now_unix_millis());
    let signature = linear.scheme().sign(&body);
    let kind = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default();
    SignedRequest::new(
        vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("user-agent".to_owned(), "Linear-Webhook".to_owned()),
            (DELIVERY_HEADER.to_owned(), content_guid(&body)),
            (EVENT_HEADER.to_owned(), kind),
            (SIGNATURE_HEADER.to_owned(), signature),
        ],
        body,
    )
}

/// As [`sign`].
impl<T> Signer for Linear<T> {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        self::sign(self, content)
    }
}

/// `body` with `"webhookTimestamp":millis` added as the last member of the object, unless it
/// has one or is not an object.
fn with_timestamp(body: &[u8], millis: i64) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_end();
    let has = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(trimmed)
        .map(|map| map.contains_key("webhookTimestamp"));
    match (has, trimmed.strip_suffix('}')) {
        (Ok(false), Some(open)) => {
            let empty = open.trim_end().ends_with('{');
            let sep = if empty { "" } else { "," };
            format!("{open}{sep}\"webhookTimestamp\":{millis}}}").into_bytes()
        }
        _ => body.to_vec(),
    }
}
