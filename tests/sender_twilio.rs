//! Twilio: every case of `sdk-vectors/twilio.json` (checked by `twilio` for Python and for
//! Node), ports, JSON bodies, the testing signer, id, tampering.

mod sdk_vectors;

use proptest::prelude::*;
use sdk_vectors::{Case, check_all};
use webhook_receiver::providers::twilio::Twilio;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::{Error, Keyring, MessageId, Provider, Secret};

const URL: &str = "https://hooks.example.test/twilio/sms";

#[allow(clippy::unwrap_used, clippy::expect_used)]
fn twilio(token: &str, url: &str) -> Twilio {
    Twilio::new(Secret::new(token).unwrap(), url).unwrap()
}

/// The URL to configure for a case: the URL Twilio called, without the `bodySHA256` it adds.
#[allow(clippy::unwrap_used, clippy::expect_used)]
fn configured_url(case: &Case) -> String {
    let url = case.url.clone().unwrap();
    match url.find("bodySHA256=") {
        Some(at) => url[..at - 1].to_owned(),
        None => url,
    }
}

#[allow(clippy::unwrap_used, clippy::expect_used)]
fn vectors_twilio(case: &Case) -> Twilio {
    let vectors = sdk_vectors::sender("twilio");
    twilio(&vectors.secret.unwrap(), &configured_url(case))
        .shared_key(Secret::new(vectors.shared_key_secret.unwrap()).unwrap())
}

#[test]
fn every_sdk_case_gets_the_sdks_verdict_but_the_documented_port() {
    let documented = [
        // Both SDKs strip any port; only the default port is toggled here.
        ("valid_nondefault_port_signed_without_port", false),
    ];
    let checked = check_all(
        &sdk_vectors::sender("twilio"),
        &documented,
        |case: &Case| {
            vectors_twilio(case)
                .verify_and_parse(&case.headers, case.body.as_bytes())
                .map(drop)
                .map_err(|e| e.to_string())
        },
    );
    assert_eq!(checked, 20);
}

#[test]
fn the_id_is_the_idempotency_token_else_the_body_digest() {
    let case = sdk_vectors::case("twilio", "valid_sms_form");
    let twilio = vectors_twilio(&case);
    let delivery = twilio
        .verify_and_parse(&case.headers, case.body.as_bytes())
        .unwrap();
    assert_eq!(
        delivery.id,
        MessageId::new("twilio", "00000000-0000-0000-0000-0000000000aa")
    );
    assert_eq!(delivery.event.kind, "");
    let params: serde_json::Value = delivery.event.body.parse().unwrap();
    assert_eq!(params["Body"], "Héllo & bye+ok");
    assert_eq!(params["ToCity"], "");
    let without: Vec<(String, String)> = case
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("i-twilio-idempotency-token"))
        .cloned()
        .collect();
    let delivery = twilio
        .verify_and_parse(&without, case.body.as_bytes())
        .unwrap();
    assert_eq!(
        delivery.id,
        MessageId::digest("twilio", case.body.as_bytes())
    );
}

#[test]
fn a_json_body_is_signed_through_its_digest_in_the_url() {
    let case = sdk_vectors::case("twilio", "valid_json_body_sha256");
    let twilio = vectors_twilio(&case);
    let delivery = twilio
        .verify_and_parse(&case.headers, case.body.as_bytes())
        .unwrap();
    let body: serde_json::Value = delivery.event.body.parse().unwrap();
    assert_eq!(body["status"], "delivered");
    let tampered = case.body.replace("delivered", "failed");
    assert!(matches!(
        twilio.verify_and_parse(&case.headers, tampered.as_bytes()),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn shared_key_deliveries_need_a_shared_key() {
    let case = sdk_vectors::case("twilio", "valid_shared_key_hmac_sha256");
    let without = twilio(&sdk_vectors::sender("twilio").secret.unwrap(), URL);
    assert!(matches!(
        without.verify_and_parse(&case.headers, case.body.as_bytes()),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn the_testing_signer_signs_as_twilio_does() {
    let case = sdk_vectors::case("twilio", "valid_sms_form");
    let twilio = vectors_twilio(&case);
    let request = twilio.sign(case.body.as_bytes());
    assert_eq!(
        request.header("x-twilio-signature"),
        case.header("X-Twilio-Signature")
    );
    let json = case_json();
    let twilio = vectors_twilio(&json);
    let request = twilio.sign(json.body.as_bytes());
    assert_eq!(
        request.header("x-twilio-signature"),
        json.header("X-Twilio-Signature")
    );
    assert!(
        twilio
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
}

fn case_json() -> Case {
    sdk_vectors::case("twilio", "valid_json_body_sha256")
}

#[test]
fn tampering_a_wrong_token_and_rotation() {
    let twilio = twilio("right", URL);
    let request = twilio.sign(b"MessageSid=SM1&MessageStatus=sent");
    let tampered = request
        .clone()
        .with_body(&b"MessageSid=SM1&MessageStatus=failed"[..]);
    assert!(matches!(
        twilio.verify_and_parse(tampered.headers(), tampered.body()),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        self::twilio("wrong", URL).verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        self::twilio("right", "https://hooks.example.test/twilio/sms/")
            .verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both: Twilio = Twilio::new(
        Keyring::new(Secret::new("new").unwrap()).with(Secret::new("right").unwrap()),
        URL,
    )
    .unwrap();
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
    assert!(Twilio::<()>::new(Secret::new("k").unwrap(), "hooks.example.test").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn changing_any_parameter_or_the_signature_is_refused(
        value in "[a-zA-Z0-9 ]{1,32}",
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        in_signature in any::<bool>(),
    ) {
        let twilio = twilio("k", URL);
        let body = format!("MessageSid=SM1&Body={}", value.replace(' ', "+"));
        let request = twilio.sign(body.as_bytes());
        let (headers, body) = if in_signature {
            let signature = request.header("x-twilio-signature").unwrap();
            let mut signature = signature.trim_end_matches('=').as_bytes().to_vec();
            let i = at.index(signature.len() - 1);
            signature[i] ^= 1 << bit;
            let signature = String::from_utf8_lossy(&signature).into_owned();
            (request.clone().with_header("x-twilio-signature", &signature), body.into_bytes())
        } else {
            // A byte of the value (flipping `&` or `=` may re-split the same text).
            let mut body = body.into_bytes();
            let start = "MessageSid=SM1&Body=".len();
            let i = start + at.index(body.len() - start);
            body[i] ^= 1 << bit;
            (request.clone(), body)
        };
        prop_assert!(twilio.verify(headers.headers(), &body).is_err());
    }
}
