//! Shopify: every case of `sdk-vectors/shopify.json` (checked by `@shopify/shopify-api`), the
//! testing signer, the id choice, tampering.

mod sdk_vectors;

use proptest::prelude::*;
use sdk_vectors::{Case, check_all};
use webhook_receiver::providers::shopify::Shopify;
use webhook_receiver::testing::{self, Signer as _};
use webhook_receiver::{Error, Keyring, MessageId, Provider, Secret};

#[allow(clippy::unwrap_used, clippy::expect_used)]
fn shopify(secret: &str) -> Shopify {
    Shopify::new(Secret::new(secret).unwrap())
}

#[allow(clippy::unwrap_used, clippy::expect_used)]
fn vectors_shopify() -> Shopify {
    shopify(&sdk_vectors::sender("shopify").secret.unwrap())
}

#[test]
fn every_sdk_case_gets_the_sdks_verdict() {
    let shopify = vectors_shopify();
    let checked = check_all(&sdk_vectors::sender("shopify"), &[], |case: &Case| {
        shopify
            .verify_and_parse(&case.headers, case.body.as_bytes())
            .map(drop)
            .map_err(|e| e.to_string())
    });
    assert_eq!(checked, 13);
}

#[test]
fn the_id_is_the_event_id_where_sent_else_the_webhook_id() {
    let shopify = vectors_shopify();
    let parse = |name: &str| {
        let case = sdk_vectors::case("shopify", name);
        shopify
            .verify_and_parse(&case.headers, case.body.as_bytes())
            .unwrap()
    };
    let order = parse("valid_order_create");
    assert_eq!(
        order.id,
        MessageId::new("shopify", "98880550-7158-44d4-b7cd-2c97c8a091b5")
    );
    assert_eq!(order.event.kind, "orders/create");
    // The same event delivered to a second subscription is a duplicate.
    assert_eq!(parse("valid_same_event_new_webhook_id").id, order.id);
    assert_eq!(
        parse("valid_without_event_id").id,
        MessageId::new("shopify", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    );
    let events = parse("valid_events_api_unprefixed_headers");
    assert_eq!(
        events.id,
        MessageId::new("shopify", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd044")
    );
    assert_eq!(events.event.kind, "products/update");
    let body: serde_json::Value = events.event.body.parse().unwrap();
    assert_eq!(body["handle"], "ipod-nano");
}

#[test]
fn missing_id_or_topic_headers_are_clear_errors() {
    let shopify = vectors_shopify();
    for name in ["missing_webhook_id_header", "missing_topic_header"] {
        let case = sdk_vectors::case("shopify", name);
        let err = shopify
            .verify_and_parse(&case.headers, case.body.as_bytes())
            .unwrap_err();
        assert!(matches!(err, Error::MissingHeader { .. }), "{name}: {err}");
    }
    let case = sdk_vectors::case("shopify", "missing_hmac_header");
    assert!(matches!(
        shopify.verify_and_parse(&case.headers, case.body.as_bytes()),
        Err(Error::MissingSignature { .. })
    ));
}

#[test]
fn the_testing_signer_signs_as_shopify_does() {
    let shopify = vectors_shopify();
    let order = sdk_vectors::case("shopify", "valid_order_create");
    let request = testing::shopify::sign(&shopify, "orders/create", order.body.as_bytes());
    assert_eq!(
        request.header("x-shopify-hmac-sha256"),
        order.header("X-Shopify-Hmac-Sha256")
    );
    let delivery = shopify
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.event.kind, "orders/create");
    let signed = shopify.sign(br#"{"id":1}"#);
    assert!(
        shopify
            .verify_and_parse(signed.headers(), signed.body())
            .is_ok()
    );
}

#[test]
fn tampering_and_a_wrong_secret_are_refused_and_rotation_works() {
    let shopify = shopify("right");
    let request = testing::shopify::sign(&shopify, "orders/create", &br#"{"a":1}"#[..]);
    let tampered = request.clone().with_body(&br#"{"a":2}"#[..]);
    assert!(matches!(
        shopify.verify_and_parse(tampered.headers(), tampered.body()),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        self::shopify("wrong").verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both: Shopify =
        Shopify::new(Keyring::new(Secret::new("new").unwrap()).with(Secret::new("right").unwrap()));
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn flipping_any_byte_of_body_or_signature_is_refused(
        body in proptest::collection::vec(any::<u8>(), 1..256),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        in_signature in any::<bool>(),
    ) {
        let shopify = shopify("k");
        let request = testing::shopify::sign(&shopify, "orders/create", body.clone());
        let (headers, body) = if in_signature {
            // The base64 text without its padding (a flipped `=` may still decode the same).
            let signature = request.header("x-shopify-hmac-sha256").unwrap();
            let mut signature = signature.trim_end_matches('=').as_bytes().to_vec();
            let i = at.index(signature.len() - 1);
            signature[i] ^= 1 << bit;
            let signature = String::from_utf8_lossy(&signature).into_owned();
            (request.clone().with_header("x-shopify-hmac-sha256", &signature), body)
        } else {
            let mut body = body;
            let i = at.index(body.len());
            body[i] ^= 1 << bit;
            (request.clone(), body)
        };
        prop_assert!(shopify.verify(headers.headers(), &body).is_err());
    }
}
