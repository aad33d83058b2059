//! Square: every case of `sdk-vectors/square.json` (checked by `squareup` for Python, and
//! `square` for Node), the URL configuration, the testing signer, id and kind, tampering.

mod sdk_vectors;

use proptest::prelude::*;
use sdk_vectors::{Case, check_all};
use webhook_receiver::providers::square::Square;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::{Error, Keyring, MessageId, Provider, Secret};

const URL: &str = "https://hooks.example.test/square/webhook?tenant=acme";

#[allow(clippy::unwrap_used, clippy::expect_used)]
fn square(key: &str, url: &str) -> Square {
    Square::new(Secret::new(key).unwrap(), url).unwrap()
}

#[test]
fn every_sdk_case_gets_the_sdks_verdict() {
    let vectors = sdk_vectors::sender("square");
    let key = vectors.secret.clone().unwrap();
    let checked = check_all(&vectors, &[], |case: &Case| {
        square(&key, case.notification_url.as_deref().unwrap())
            .verify_and_parse(&case.headers, case.body.as_bytes())
            .map(drop)
            .map_err(|e| e.to_string())
    });
    assert_eq!(checked, 12);
}

#[test]
fn id_kind_and_timestamp_come_from_the_body() {
    let key = sdk_vectors::sender("square").secret.unwrap();
    let case = sdk_vectors::case("square", "valid_payment_updated");
    let delivery = square(&key, URL)
        .verify_and_parse(&case.headers, case.body.as_bytes())
        .unwrap();
    assert_eq!(
        delivery.id,
        MessageId::new("square", "6a8f5f28-54a1-4eb0-a98a-3111513fd4fc")
    );
    assert_eq!(delivery.event.kind, "payment.updated");
    assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), 1_767_225_600);
    let body: serde_json::Value = delivery.event.body.parse().unwrap();
    assert_eq!(body["data"]["object"]["status"], "COMPLETED");
}

#[test]
fn a_body_without_event_id_is_a_clear_error() {
    let square = square("k", URL);
    let request = square.sign(br#"{"type":"payment.updated"}"#);
    assert!(matches!(
        square.verify_and_parse(request.headers(), request.body()),
        Err(Error::UnexpectedPayload(_))
    ));
}

#[test]
fn the_url_is_checked_at_start_up() {
    for bad in ["", "hooks.example.test/x", "https://a b", "ftp://x"] {
        assert!(
            Square::<()>::new(Secret::new("k").unwrap(), bad).is_err(),
            "{bad}"
        );
    }
    let square = square("k", URL);
    assert_eq!(square.notification_url(), URL);
    assert!(!format!("{square:?}").contains("\"k\""));
}

#[test]
fn the_testing_signer_signs_as_square_does() {
    let vectors = sdk_vectors::sender("square");
    let case = sdk_vectors::case("square", "valid_payment_updated");
    let square = square(&vectors.secret.unwrap(), URL);
    let request = square.sign(case.body.as_bytes());
    assert_eq!(
        request.header("x-square-hmacsha256-signature"),
        case.header("x-square-hmacsha256-signature")
    );
    assert!(
        square
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
}

#[test]
fn tampering_a_wrong_key_another_url_and_rotation() {
    let square = square("right", URL);
    let request = square.sign(br#"{"event_id":"e","n":1}"#);
    let tampered = request.clone().with_body(&br#"{"event_id":"e","n":2}"#[..]);
    assert!(matches!(
        square.verify_and_parse(tampered.headers(), tampered.body()),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        self::square("wrong", URL).verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        self::square("right", "https://hooks.example.test/square/webhook")
            .verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both: Square = Square::new(
        Keyring::new(Secret::new("new").unwrap()).with(Secret::new("right").unwrap()),
        URL,
    )
    .unwrap();
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
        let square = square("k", URL);
        let request = square.sign(&body);
        let (headers, body) = if in_signature {
            let signature = request.header("x-square-hmacsha256-signature").unwrap();
            let mut signature = signature.trim_end_matches('=').as_bytes().to_vec();
            let i = at.index(signature.len() - 1);
            signature[i] ^= 1 << bit;
            let signature = String::from_utf8_lossy(&signature).into_owned();
            (request.clone().with_header("x-square-hmacsha256-signature", &signature), body)
        } else {
            let mut body = body;
            let i = at.index(body.len());
            body[i] ^= 1 << bit;
            (request.clone(), body)
        };
        prop_assert!(square.verify(headers.headers(), &body).is_err());
    }
}
