//! Zoom: every case of `sdk-vectors/zoom.json` (checked by Zoom's Rivet SDK) gets Rivet's
//! verdict, or the one the module docs give (raw bytes, not re-serialised JSON; a 300 s
//! window); the testing signer; id and kind; tampering and wrong secrets.
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
use webhook_receiver::providers::zoom::Zoom;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::{Error, Keyring, MessageId, Provider, Secret};

fn vectors() -> Vectors {
    sdk_vectors::sender("zoom")
}

fn provider(secret: &str, now: i64) -> Zoom {
    Zoom::new(Secret::new(secret).unwrap()).clock(Arc::new(ManualClock::at_unix(now)))
}

/// Where the crate's documented verdict differs from Rivet's (module docs).
fn documented_verdict(case: &Case) -> bool {
    match case.name.as_str() {
        // The crate's 300 s window; Rivet has none.
        "valid_one_day_old" | "valid_one_day_future" => false,
        // Raw bytes, signed as sent, verify; Rivet hashes a re-serialised copy.
        "pretty_body_signed_raw"
        | "escaped_unicode_signed_raw"
        | "leading_zero_timestamp_signed_raw" => true,
        // A signature over bytes that were never sent does not.
        "valid_pretty_body_signed_reserialised" => false,
        _ => case.sdk_accepts,
    }
}

#[test]
fn every_sdk_vector_gets_the_sdk_verdict_or_the_documented_one() {
    let vectors = vectors();
    assert_eq!(vectors.cases.len(), 15);
    let mut differing = Vec::new();
    for case in &vectors.cases {
        let result = provider(vectors.secret.as_deref().unwrap(), case.now)
            .verify_and_parse(&case.headers, case.body.as_bytes());
        if case.sdk_specific {
            if documented_verdict(case) != case.sdk_accepts {
                differing.push(case.name.as_str());
            }
        } else {
            assert_eq!(documented_verdict(case), case.sdk_accepts, "{}", case.name);
        }
        assert_eq!(
            result.is_ok(),
            documented_verdict(case),
            "{}: {result:?}",
            case.name
        );
        if let Ok(delivery) = result {
            let body: serde_json::Value = serde_json::from_str(&case.body).unwrap();
            assert_eq!(delivery.event.kind, body["event"].as_str().unwrap());
            assert_eq!(delivery.id, MessageId::digest("zoom", case.body.as_bytes()));
        }
    }
    assert_eq!(differing.len(), 6, "{differing:?}");
}

#[test]
fn the_errors_say_what_is_wrong() {
    let vectors = vectors();
    let run = |name: &str| {
        let c = vectors.cases.iter().find(|c| c.name == name).unwrap();
        provider(vectors.secret.as_deref().unwrap(), c.now)
            .verify_and_parse(&c.headers, c.body.as_bytes())
    };
    assert!(matches!(
        run("missing_signature_header"),
        Err(Error::MissingSignature { .. })
    ));
    assert!(matches!(
        run("missing_both_headers"),
        Err(Error::MissingSignature { .. })
    ));
    assert!(matches!(
        run("valid_one_day_old"),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    assert!(matches!(
        run("uppercase_hex"),
        Err(Error::MalformedSignature { .. })
    ));
    assert!(matches!(run("tampered_body"), Err(Error::InvalidSignature)));
    let handshake = run("valid_url_validation").unwrap();
    assert_eq!(handshake.event.kind, "endpoint.url_validation");
    let value: serde_json::Value = handshake.event.body.parse().unwrap();
    assert_eq!(value["payload"]["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
}

const NOW: i64 = 1_767_225_600;
const BODY: &str =
    r#"{"event":"meeting.ended","event_ts":1767225600000,"payload":{"object":{"id":"1"}}}"#;

#[test]
fn the_testing_signer_signs_as_zoom_does() {
    let vectors = vectors();
    let zoom = provider(vectors.secret.as_deref().unwrap(), NOW);
    let first = &vectors.cases[0];
    let header = |name: &str| {
        first
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .clone()
    };
    let ts: i64 = header("x-zm-request-timestamp").parse().unwrap();
    let request = webhook_receiver::testing::zoom::sign(&zoom, ts, first.body.as_bytes());
    assert_eq!(
        request.header("x-zm-signature").unwrap(),
        header("x-zm-signature")
    );

    let request = zoom.sign(BODY.as_bytes());
    let delivery = zoom
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.event.kind, "meeting.ended");
    assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), NOW);
}

#[test]
fn tampering_a_wrong_secret_and_a_missing_event_are_refused() {
    let zoom = provider("token-one", NOW);
    let request = zoom.sign(BODY.as_bytes());
    assert!(matches!(
        zoom.verify_and_parse(
            request.headers(),
            BODY.replace("ended", "started").as_bytes()
        ),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        provider("token-two", NOW).verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both: Zoom = Zoom::new(
        Keyring::new(Secret::new("token-two").unwrap()).with(Secret::new("token-one").unwrap()),
    )
    .clock(Arc::new(ManualClock::at_unix(NOW)));
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
    for body in [&br#"{"payload":{}}"#[..], b"[1]", b"not json"] {
        let signed = zoom.sign(body);
        let result = zoom.verify_and_parse(signed.headers(), signed.body());
        assert!(
            matches!(
                result,
                Err(Error::UnexpectedPayload(_) | Error::MalformedPayload(_))
            ),
            "{result:?}"
        );
    }
}

proptest! {
    #[test]
    fn flipping_any_byte_of_body_or_signature_refuses(index in any::<prop::sample::Index>(), bit in 0u8..8, in_signature in any::<bool>()) {
        let zoom = provider("token-one", NOW);
        let request = zoom.sign(BODY.as_bytes());
        let ts = request.header("x-zm-request-timestamp").unwrap().to_owned();
        let signature = request.header("x-zm-signature").unwrap().to_owned();
        let headers = |s: &str| vec![("x-zm-request-timestamp".to_owned(), ts.clone()), ("x-zm-signature".to_owned(), s.to_owned())];
        prop_assert!(zoom.verify_and_parse(&headers(&signature), BODY.as_bytes()).is_ok());
        let (mut signature, mut body) = (signature.into_bytes(), BODY.as_bytes().to_vec());
        if in_signature {
            let i = index.index(signature.len());
            signature[i] ^= 1 << bit;
        } else {
            let i = index.index(body.len());
            body[i] ^= 1 << bit;
        }
        let signature = String::from_utf8_lossy(&signature).into_owned();
        prop_assert!(zoom.verify_and_parse(&headers(&signature), &body).is_err());
    }
}
