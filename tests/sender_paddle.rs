//! Paddle Billing: every case of `sdk-vectors/paddle.json` (signed and checked by Paddle's
//! Python SDK, also run through the Node SDK) gets the Python SDK's verdict at the SDK's own
//! 5 s window, or the one the module docs give; the crate's default window; the testing
//! signer; id and kind; tampering, wrong secrets, rotation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod sdk_vectors;

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use sdk_vectors::{Case, Vectors};
use webhook_receiver::clock::ManualClock;
use webhook_receiver::providers::paddle::Paddle;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::{Error, Keyring, Provider, Secret};

fn vectors() -> Vectors {
    sdk_vectors::sender("paddle")
}

fn provider(secret: &str, now: i64) -> Paddle {
    Paddle::new(Secret::new(secret).unwrap()).clock(Arc::new(ManualClock::at_unix(now)))
}

/// Where the crate's documented verdict differs from the Python SDK's (module docs).
fn documented_verdict(case: &Case) -> bool {
    match case.name.as_str() {
        // Python raises on an `h2=` entry; the crate ignores unknown keys, as Node does.
        "unknown_key_in_header" => true,
        _ => case.sdk_accepts,
    }
}

#[test]
fn every_sdk_vector_gets_the_sdk_verdict_at_the_sdks_window() {
    let vectors = vectors();
    assert_eq!(vectors.cases.len(), 14);
    for case in &vectors.cases {
        // The vectors were checked with `maximum_variance=5`.
        let paddle = provider(vectors.secret.as_deref().unwrap(), case.now)
            .tolerance(Duration::from_secs(5));
        let result = paddle.verify_and_parse(&case.headers, case.body.as_bytes());
        if !case.sdk_specific {
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
            assert_eq!(
                delivery.id.key(),
                format!("paddle:{}", body["event_id"].as_str().unwrap())
            );
            assert_eq!(delivery.event.kind, body["event_type"].as_str().unwrap());
        }
    }
}

#[test]
fn the_default_window_is_30_s_either_way() {
    let vectors = vectors();
    let case = vectors.cases.iter().find(|c| c.name == "stale_6s").unwrap();
    let run = |now: i64| {
        provider(vectors.secret.as_deref().unwrap(), now)
            .verify_and_parse(&case.headers, case.body.as_bytes())
    };
    let ts = case.now - 6;
    assert!(run(ts + 30).is_ok());
    assert!(run(ts - 30).is_ok());
    assert!(matches!(
        run(ts + 31),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    assert!(matches!(
        run(ts - 31),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
}

#[test]
fn the_errors_say_what_is_wrong() {
    let vectors = vectors();
    let run = |name: &str| {
        let c = vectors.cases.iter().find(|c| c.name == name).unwrap();
        provider(vectors.secret.as_deref().unwrap(), c.now)
            .tolerance(Duration::from_secs(5))
            .verify_and_parse(&c.headers, c.body.as_bytes())
    };
    assert!(matches!(
        run("missing_header"),
        Err(Error::MissingSignature { .. })
    ));
    assert!(matches!(
        run("future_6s"),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    assert!(matches!(run("ts_changed"), Err(Error::InvalidSignature)));
    assert!(matches!(run("wrong_secret"), Err(Error::InvalidSignature)));
}

const NOW: i64 = 1_767_225_600;
const BODY: &str = r#"{"event_id":"evt_9","event_type":"subscription.updated","notification_id":"ntf_1","data":{"id":"sub_1"}}"#;

#[test]
fn the_testing_signer_signs_as_paddle_does() {
    let vectors = vectors();
    let paddle = provider(vectors.secret.as_deref().unwrap(), NOW);
    let first = &vectors.cases[0];
    let header = &first
        .headers
        .iter()
        .find(|(n, _)| n == "Paddle-Signature")
        .unwrap()
        .1;
    let ts: i64 = header[3..13].parse().unwrap();
    let request = webhook_receiver::testing::paddle::sign(&paddle, ts, first.body.as_bytes());
    assert_eq!(request.header("paddle-signature"), Some(header.as_str()));

    let request = paddle.sign(BODY.as_bytes());
    let delivery = paddle
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.id.key(), "paddle:evt_9");
    assert_eq!(delivery.event.kind, "subscription.updated");
    assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), NOW);
}

#[test]
fn tampering_a_wrong_secret_and_a_missing_id_are_refused() {
    let paddle = provider("pdl_one", NOW);
    let request = paddle.sign(BODY.as_bytes());
    assert!(matches!(
        paddle.verify_and_parse(request.headers(), BODY.replace("sub_1", "sub_2").as_bytes()),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        provider("pdl_two", NOW).verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both: Paddle = Paddle::new(
        Keyring::new(Secret::new("pdl_two").unwrap()).with(Secret::new("pdl_one").unwrap()),
    )
    .clock(Arc::new(ManualClock::at_unix(NOW)));
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
    let no_id = paddle.sign(br#"{"event_type":"subscription.updated"}"#);
    assert!(matches!(
        paddle.verify_and_parse(no_id.headers(), no_id.body()),
        Err(Error::UnexpectedPayload(_))
    ));
    // Past the cap, a matching h1 is not looked at.
    let header = request.header("paddle-signature").unwrap();
    let (ts, h1) = header.split_once(';').unwrap();
    let junk = format!(";h1={}", "0".repeat(64))
        .repeat(webhook_receiver::providers::paddle::MAX_H1_ENTRIES);
    let late = format!("{ts}{junk};{h1}");
    assert!(
        paddle
            .verify_and_parse(&[("paddle-signature", late.as_str())], BODY.as_bytes())
            .is_err()
    );
    let early = format!("{ts};{h1}{junk}");
    assert!(
        paddle
            .verify_and_parse(&[("paddle-signature", early.as_str())], BODY.as_bytes())
            .is_ok()
    );
}

proptest! {
    #[test]
    fn flipping_any_byte_of_body_or_signature_refuses(index in any::<prop::sample::Index>(), bit in 0u8..8, in_signature in any::<bool>()) {
        let paddle = provider("pdl_one", NOW);
        let request = paddle.sign(BODY.as_bytes());
        let header = request.header("paddle-signature").unwrap().to_owned();
        prop_assert!(paddle.verify_and_parse(&[("paddle-signature", header.as_str())], BODY.as_bytes()).is_ok());
        let (mut header, mut body) = (header.into_bytes(), BODY.as_bytes().to_vec());
        if in_signature {
            let start = header.len() - 64;
            let i = start + index.index(64);
            header[i] ^= 1 << bit;
        } else {
            let i = index.index(body.len());
            body[i] ^= 1 << bit;
        }
        let header = String::from_utf8_lossy(&header).into_owned();
        prop_assert!(paddle.verify_and_parse(&[("paddle-signature", header.as_str())], &body).is_err());
    }
}
