//! A sender this crate does not ship, in a few lines: it signs `v0:{timestamp}:{body}` with
//! HMAC-SHA256 and sends `v0=<hex>` in `x-acme-signature`, the timestamp in
//! `x-acme-timestamp`. The provider verifies with `HmacScheme::verify_parts`, which hands back
//! a `Verified` only for bytes the MAC covered, and gets the receiver, the extractors, the
//! idempotency layer and the metrics for free.
//!
//! ```text
//! cargo run --example custom_provider
//! ```

use serde::Deserialize;
use webhook_receiver::verify::HmacScheme;
use webhook_receiver::{Delivery, Error, Headers, MessageId, Provider, Secret, Verified};

/// What Acme sends: its own event shape, parsed only after verification.
#[derive(Debug, Deserialize)]
struct AcmeEvent {
    id: String,
    kind: String,
}

#[derive(Clone, Debug)]
struct Acme {
    scheme: HmacScheme,
}

impl Acme {
    fn new(secret: Secret) -> Self {
        Self {
            scheme: HmacScheme::in_body(secret).prefix("v0="),
        }
    }
}

/// A header's text, or the error that says which one is missing.
fn header<'h, H: Headers + ?Sized>(headers: &'h H, name: &'static str) -> Result<&'h [u8], Error> {
    headers.get(name).ok_or(Error::MissingHeader {
        header: name.into(),
    })
}

impl Provider for Acme {
    type Event = AcmeEvent;

    fn name(&self) -> &'static str {
        "acme"
    }

    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let timestamp = header(headers, "x-acme-timestamp")?;
        let signature =
            std::str::from_utf8(header(headers, "x-acme-signature")?).map_err(|_| {
                Error::MalformedSignature {
                    reason: "not UTF-8",
                }
            })?;
        self.scheme
            .verify_parts(&[b"v0:", timestamp, b":"], body, signature)
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<AcmeEvent>, Error> {
        let event: AcmeEvent = verified.json()?;
        Ok(Delivery::new(
            MessageId::new(self.name(), &event.id),
            event,
            None,
        ))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let acme = Acme::new(Secret::new("acme-signing-secret")?);

    // What Acme would send (the testing kit's signer plays the sender here).
    let body = br#"{"id":"evt_1","kind":"invoice.paid"}"#;
    let timestamp = "1700000000";
    let signature = acme
        .scheme
        .sign(&[b"v0:", timestamp.as_bytes(), b":", &body[..]].concat());
    let headers = [
        ("x-acme-timestamp", timestamp),
        ("x-acme-signature", signature.as_str()),
    ];

    let delivery = acme.verify_and_parse(&headers, body)?;
    println!(
        "verified {} ({}): {}",
        delivery.id, delivery.event.id, delivery.event.kind
    );

    // The same signature with another timestamp, and an unsigned body, are refused.
    let replayed = [
        ("x-acme-timestamp", "1700000001"),
        ("x-acme-signature", signature.as_str()),
    ];
    for (what, headers, body) in [
        ("another timestamp", &replayed[..], &body[..]),
        (
            "another body",
            &headers[..],
            &br#"{"id":"evt_1","kind":"refund"}"#[..],
        ),
    ] {
        match acme.verify_and_parse(headers, body) {
            Ok(_) => return Err(format!("{what}: a forged delivery was accepted").into()),
            Err(err) => println!("{what}: {} {err}", err.status()),
        }
    }
    Ok(())
}
