//! Stripe: every case of `sdk-vectors/stripe.json` (signed and checked by Stripe's own SDKs)
//! gets the SDK's verdict, or the one the module docs give where the crate chooses otherwise;
//! the testing signer's output verifies; id and kind; tampering, wrong secrets, rotation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod sdk_vectors;

use std::sync::Arc;

use proptest::prelude::*;
use sdk_vectors::{Case, Vectors};
use webhook_receiver::clock::ManualClock;
use webhook_receiver::providers::stripe::Stripe;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::{Error, Keyring, Provider, Secret};

fn vectors() -> Vectors {
    sdk_vectors::sender("stripe")
}

fn provider(secret: &str, now: i64) -> Stripe {
    Stripe::new(Secret::new(secret).unwrap()).clock(Arc::new(ManualClock::at_unix(now)))
}

/// Where the crate's documented verdict differs from the SDK's (module docs, "Window").
fn documented_verdict(case: &Case) -> bool {
    match case.name.as_str() {
        // Both SDKs accept a timestamp an hour ahead; the crate's window is two-sided.
        "valid_far_future_timestamp" => false,
        _ => case.sdk_accepts,
    }
}

#[test]
fn every_sdk_vector_gets_the_sdk_verdict() {
    let vectors = vectors();
    assert_eq!(vectors.cases.len(), 15);
    for case in &vectors.cases {
        let stripe = provider(vectors.secret.as_deref().unwrap(), case.now);
        let result = stripe.verify_and_parse(&case.headers, case.body.as_bytes());
        let expected = if case.sdk_specific {
            documented_verdict(case)
        } else {
            assert_eq!(documented_verdict(case), case.sdk_accepts, "{}", case.name);
            case.sdk_accepts
        };
        assert_eq!(result.is_ok(), expected, "{}: {result:?}", case.name);
        if let Ok(delivery) = result {
            let body: serde_json::Value = serde_json::from_str(&case.body).unwrap();
            assert_eq!(
                delivery.id.key(),
                format!("stripe:{}", body["id"].as_str().unwrap())
            );
            assert_eq!(delivery.event.kind, body["type"].as_str().unwrap());
        }
    }
}

#[test]
fn the_errors_say_what_is_wrong() {
    let vectors = vectors();
    let case = |name: &str| vectors.cases.iter().find(|c| c.name == name).unwrap();
    let run = |name: &str| {
        let c = case(name);
        provider(vectors.secret.as_deref().unwrap(), c.now)
            .verify_and_parse(&c.headers, c.body.as_bytes())
    };
    assert!(matches!(
        run("missing_header"),
        Err(Error::MissingSignature { .. })
    ));
    assert!(matches!(
        run("expired_301s"),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    assert!(matches!(
        run("valid_far_future_timestamp"),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    assert!(matches!(
        run("only_v0_scheme"),
        Err(Error::MalformedSignature { .. })
    ));
    assert!(matches!(run("tampered_body"), Err(Error::InvalidSignature)));
    assert!(matches!(run("wrong_secret"), Err(Error::InvalidSignature)));
}

const NOW: i64 = 1_767_225_600;
const BODY: &str = r#"{"id":"evt_42","object":"event","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#;

#[test]
fn the_testing_signer_signs_as_stripe_does() {
    let vectors = vectors();
    let stripe = provider(vectors.secret.as_deref().unwrap(), NOW);
    // The signer reproduces the SDK's header for the first case byte for byte.
    let first = &vectors.cases[0];
    let header = &first
        .headers
        .iter()
        .find(|(n, _)| n == "Stripe-Signature")
        .unwrap()
        .1;
    let t: i64 = header[2..12].parse().unwrap();
    let request = webhook_receiver::testing::stripe::sign(&stripe, t, first.body.as_bytes());
    assert_eq!(request.header("stripe-signature"), Some(header.as_str()));

    let request = stripe.sign(BODY.as_bytes());
    let delivery = stripe
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.id.key(), "stripe:evt_42");
    assert_eq!(delivery.event.kind, "customer.created");
    assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), NOW);

    #[derive(serde::Deserialize)]
    struct Typed {
        data: serde_json::Value,
    }
    let typed: Stripe<Typed> =
        Stripe::new(Secret::new(vectors.secret.as_deref().unwrap()).unwrap())
            .clock(Arc::new(ManualClock::at_unix(NOW)));
    let delivery = typed
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.event.body.data["object"]["id"], "cus_1");
}

#[test]
fn tampering_a_wrong_secret_and_a_missing_id_are_refused() {
    let stripe = provider("whsec_one", NOW);
    let request = stripe.sign(BODY.as_bytes());
    let tampered = BODY.replace("cus_1", "cus_2");
    assert!(matches!(
        stripe.verify_and_parse(request.headers(), tampered.as_bytes()),
        Err(Error::InvalidSignature)
    ));
    let other = provider("whsec_two", NOW);
    assert!(matches!(
        other.verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    // Rotation: a keyring with both secrets accepts either.
    let both: Stripe = Stripe::new(
        Keyring::new(Secret::new("whsec_two").unwrap()).with(Secret::new("whsec_one").unwrap()),
    )
    .clock(Arc::new(ManualClock::at_unix(NOW)));
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
    // Signed, but no id: a clear error, not a panic.
    let no_id = stripe.sign(br#"{"type":"customer.created"}"#);
    assert!(matches!(
        stripe.verify_and_parse(no_id.headers(), no_id.body()),
        Err(Error::UnexpectedPayload(_))
    ));
}

#[test]
fn only_the_first_v1_entries_are_looked_at() {
    let stripe = provider("whsec_one", NOW);
    let request = stripe.sign(BODY.as_bytes());
    let header = request.header("stripe-signature").unwrap();
    let (t, v1) = header.split_once(',').unwrap();
    let junk = format!(",v1={}", "0".repeat(64))
        .repeat(webhook_receiver::providers::stripe::MAX_V1_ENTRIES);
    let late = format!("{t}{junk},{v1}");
    assert!(matches!(
        stripe.verify_and_parse(&[("stripe-signature", late.as_str())], BODY.as_bytes()),
        Err(Error::InvalidSignature)
    ));
    let early = format!("{t},{v1}{junk}");
    assert!(
        stripe
            .verify_and_parse(&[("stripe-signature", early.as_str())], BODY.as_bytes())
            .is_ok()
    );
}

proptest! {
    #[test]
    fn flipping_any_byte_of_body_or_signature_refuses(index in any::<prop::sample::Index>(), bit in 0u8..8, in_signature in any::<bool>()) {
        let stripe = provider("whsec_one", NOW);
        let request = stripe.sign(BODY.as_bytes());
        let header = request.header("stripe-signature").unwrap().to_owned();
        prop_assert!(stripe.verify_and_parse(&[("stripe-signature", header.as_str())], BODY.as_bytes()).is_ok());
        let (mut header, mut body) = (header.into_bytes(), BODY.as_bytes().to_vec());
        if in_signature {
            // Only the signature's hex digits (after "v1=").
            let start = header.len() - 64;
            let i = start + index.index(64);
            header[i] ^= 1 << bit;
        } else {
            let i = index.index(body.len());
            body[i] ^= 1 << bit;
        }
        let header = String::from_utf8_lossy(&header).into_owned();
        prop_assert!(stripe.verify_and_parse(&[("stripe-signature", header.as_str())], &body).is_err());
    }
}
