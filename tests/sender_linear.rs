//! Linear: every case of `sdk-vectors/linear.json` (checked by `@linear/sdk`), the window on
//! the injected clock, the testing signer, id and kind, tampering.

mod sdk_vectors;

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use sdk_vectors::{Case, check_all};
use webhook_receiver::clock::ManualClock;
use webhook_receiver::providers::linear::Linear;
use webhook_receiver::testing::{self, Signer as _};
use webhook_receiver::{Error, Keyring, MessageId, Provider, Secret};

const NOW: i64 = 1_767_225_600;

#[allow(clippy::unwrap_used, clippy::expect_used)]
fn linear(secret: &str, now: i64) -> Linear {
    Linear::new(Secret::new(secret).unwrap()).clock(Arc::new(ManualClock::at_unix(now)))
}

#[test]
fn every_sdk_case_gets_the_sdks_verdict() {
    let vectors = sdk_vectors::sender("linear");
    let secret = vectors.secret.clone().unwrap();
    let checked = check_all(&vectors, &[], |case: &Case| {
        linear(&secret, case.now)
            .verify_and_parse(&case.headers, case.body.as_bytes())
            .map(drop)
            .map_err(|e| e.to_string())
    });
    assert_eq!(checked, 16);
}

#[test]
fn id_kind_and_timestamp_are_as_documented() {
    let secret = sdk_vectors::sender("linear").secret.unwrap();
    let case = sdk_vectors::case("linear", "valid_issue_create");
    let delivery = linear(&secret, case.now)
        .verify_and_parse(&case.headers, case.body.as_bytes())
        .unwrap();
    assert_eq!(
        delivery.id,
        MessageId::new("linear", "6f2b2a4e-0000-4000-8000-000000000000")
    );
    assert_eq!(delivery.event.kind, "Issue");
    assert_eq!(
        delivery.timestamp.unwrap().unix_timestamp_nanos(),
        1_767_225_598_000_000_000
    );
    let body: serde_json::Value = delivery.event.body.parse().unwrap();
    assert_eq!(body["action"], "create");
}

#[test]
fn the_window_is_configurable_and_errors_are_precise() {
    let secret = sdk_vectors::sender("linear").secret.unwrap();
    let stale = sdk_vectors::case("linear", "stale_60001ms");
    let strict = linear(&secret, stale.now);
    assert!(matches!(
        strict.verify_and_parse(&stale.headers, stale.body.as_bytes()),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    let lenient = strict.tolerance(Duration::from_secs(61));
    assert!(
        lenient
            .verify_and_parse(&stale.headers, stale.body.as_bytes())
            .is_ok()
    );
    let missing = sdk_vectors::case("linear", "missing_body_timestamp");
    assert!(matches!(
        lenient.verify_and_parse(&missing.headers, missing.body.as_bytes()),
        Err(Error::MissingTimestamp)
    ));
    let string = sdk_vectors::case("linear", "string_body_timestamp");
    assert!(matches!(
        lenient.verify_and_parse(&string.headers, string.body.as_bytes()),
        Err(Error::MalformedTimestamp)
    ));
    let valid = sdk_vectors::case("linear", "valid_issue_create");
    let without_id: Vec<(String, String)> = valid
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("linear-delivery"))
        .cloned()
        .collect();
    assert!(matches!(
        lenient.verify_and_parse(&without_id, valid.body.as_bytes()),
        Err(Error::MissingHeader { .. })
    ));
}

#[test]
fn the_testing_signer_signs_as_linear_does() {
    let secret = sdk_vectors::sender("linear").secret.unwrap();
    let valid = sdk_vectors::case("linear", "valid_issue_create");
    // The vector's body already has its timestamp: the signer signs it as it is.
    let at_vector = linear(&secret, valid.now);
    let request = testing::linear::sign(&at_vector, valid.body.as_bytes());
    assert_eq!(request.body(), valid.body.as_bytes());
    assert_eq!(
        request.header("linear-signature"),
        valid.header("Linear-Signature")
    );
    let linear = linear("k", NOW);
    let request = linear.sign(br#"{"type":"Project","action":"remove"}"#);
    let delivery = linear
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.event.kind, "Project");
    assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), NOW);
}

#[test]
fn tampering_a_wrong_secret_and_rotation() {
    let linear = linear("right", NOW);
    let request = linear.sign(br#"{"type":"Issue","n":1}"#);
    let tampered = request.clone().with_body(
        String::from_utf8(request.body().to_vec())
            .unwrap()
            .replace("\"n\":1", "\"n\":2"),
    );
    assert!(matches!(
        linear.verify_and_parse(tampered.headers(), tampered.body()),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        self::linear("wrong", NOW).verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both: Linear =
        Linear::new(Keyring::new(Secret::new("new").unwrap()).with(Secret::new("right").unwrap()))
            .clock(Arc::new(ManualClock::at_unix(NOW)));
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn flipping_any_byte_of_body_or_signature_is_refused(
        text in "[a-z0-9 ]{0,64}",
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        in_signature in any::<bool>(),
    ) {
        let linear = linear("k", NOW);
        let request = linear.sign(format!(r#"{{"type":"Issue","text":"{text}"}}"#).as_bytes());
        let (headers, body) = if in_signature {
            let mut signature = request.header("linear-signature").unwrap().as_bytes().to_vec();
            let i = at.index(signature.len());
            signature[i] ^= 1 << bit;
            let signature = String::from_utf8_lossy(&signature).into_owned();
            (request.clone().with_header("linear-signature", &signature), request.body().to_vec())
        } else {
            let mut body = request.body().to_vec();
            let i = at.index(body.len());
            body[i] ^= 1 << bit;
            (request.clone(), body)
        };
        prop_assert!(linear.verify(headers.headers(), &body).is_err());
    }
}
