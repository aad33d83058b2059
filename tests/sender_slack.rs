//! Slack: every case of `sdk-vectors/slack.json` (signed and checked by `slack_sdk`, also run
//! through Bolt) gets `slack_sdk`'s verdict; the testing signer's output verifies; id and kind
//! of JSON, slash-command and interactivity bodies; tampering and wrong secrets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod sdk_vectors;

use std::sync::Arc;

use proptest::prelude::*;
use sdk_vectors::Vectors;
use webhook_receiver::clock::ManualClock;
use webhook_receiver::providers::slack::Slack;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::{Error, Keyring, Provider, Secret};

fn vectors() -> Vectors {
    sdk_vectors::sender("slack")
}

fn provider(secret: &str, now: i64) -> Slack {
    Slack::new(Secret::new(secret).unwrap()).clock(Arc::new(ManualClock::at_unix(now)))
}

#[test]
fn every_sdk_vector_gets_the_sdk_verdict() {
    let vectors = vectors();
    assert_eq!(vectors.cases.len(), 19);
    // The `sdk_specific` cases (future_301s, future_1h) are slack_sdk's two-sided window,
    // which the crate follows (module docs): no case differs.
    for case in &vectors.cases {
        let result = provider(vectors.secret.as_deref().unwrap(), case.now)
            .verify_and_parse(&case.headers, case.body.as_bytes());
        assert_eq!(
            result.is_ok(),
            case.sdk_accepts,
            "{}: {result:?}",
            case.name
        );
    }
}

#[test]
fn id_and_kind_of_each_body() {
    let vectors = vectors();
    let run = |name: &str| {
        let c = vectors.cases.iter().find(|c| c.name == name).unwrap();
        let delivery = provider(vectors.secret.as_deref().unwrap(), c.now)
            .verify_and_parse(&c.headers, c.body.as_bytes())
            .unwrap();
        (delivery, c.body.clone())
    };
    let (events, _) = run("valid_events_api_json");
    assert_eq!(events.id.key(), "slack:Ev0001TEST");
    assert_eq!(events.event.kind, "app_mention");
    let value: serde_json::Value = events.event.body.parse().unwrap();
    assert_eq!(value["event"]["text"], "<@U0APP> héllo");

    let (handshake, body) = run("valid_url_verification");
    assert_eq!(handshake.event.kind, "url_verification");
    assert_eq!(
        handshake.id,
        webhook_receiver::MessageId::digest("slack", body.as_bytes())
    );
    let value: serde_json::Value = handshake.event.body.parse().unwrap();
    assert_eq!(
        value["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );

    let (command, body) = run("valid_slash_command_form");
    assert_eq!(command.event.kind, "/weather");
    assert_eq!(
        command.id,
        webhook_receiver::MessageId::digest("slack", body.as_bytes())
    );
    let value: serde_json::Value = command.event.body.parse().unwrap();
    assert_eq!(value["text"], "94070 & more");
    assert_eq!(
        value["response_url"],
        "https://hooks.slack.com/commands/T0001/1/abc"
    );

    let (interaction, _) = run("valid_interactivity_payload_form");
    assert_eq!(interaction.event.kind, "block_actions");
    let value: serde_json::Value = interaction.event.body.parse().unwrap();
    assert_eq!(value["actions"][0]["action_id"], "approve");
    assert_eq!(
        interaction.timestamp.unwrap().unix_timestamp(),
        1_767_225_598
    );
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
        run("missing_timestamp_header"),
        Err(Error::MissingTimestamp)
    ));
    assert!(matches!(
        run("non_numeric_timestamp"),
        Err(Error::MalformedTimestamp)
    ));
    assert!(matches!(
        run("future_301s"),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    assert!(matches!(
        run("stale_301s"),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    assert!(matches!(
        run("uppercase_hex"),
        Err(Error::MalformedSignature { .. })
    ));
    assert!(matches!(
        run("v1_prefix"),
        Err(Error::MalformedSignature { .. })
    ));
    assert!(matches!(
        run("form_reencoded"),
        Err(Error::InvalidSignature)
    ));
}

const NOW: i64 = 1_767_225_600;
const BODY: &str =
    r#"{"type":"event_callback","event_id":"Ev9","event":{"type":"message","text":"hi"}}"#;

#[test]
fn the_testing_signer_signs_as_slack_does() {
    let vectors = vectors();
    let slack = provider(vectors.secret.as_deref().unwrap(), NOW);
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
    let ts: i64 = header("X-Slack-Request-Timestamp").parse().unwrap();
    let request = webhook_receiver::testing::slack::sign(&slack, ts, first.body.as_bytes());
    assert_eq!(
        request.header("x-slack-signature").unwrap(),
        header("X-Slack-Signature")
    );

    let request = slack.sign(BODY.as_bytes());
    let delivery = slack
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.id.key(), "slack:Ev9");
    assert_eq!(delivery.event.kind, "message");
}

#[test]
fn tampering_a_wrong_secret_and_missing_ids_are_refused() {
    let slack = provider("secret-one", NOW);
    let request = slack.sign(BODY.as_bytes());
    assert!(matches!(
        slack.verify_and_parse(request.headers(), BODY.replace("hi", "ho").as_bytes()),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        provider("secret-two", NOW).verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both: Slack = Slack::new(
        Keyring::new(Secret::new("secret-two").unwrap()).with(Secret::new("secret-one").unwrap()),
    )
    .clock(Arc::new(ManualClock::at_unix(NOW)));
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
    // Signed, but an event_callback without its id, a form with bad escapes: errors, no panic.
    for body in [
        &br#"{"type":"event_callback","event":{"type":"message"}}"#[..],
        b"command=%2",
        b"payload=%7B",
        b"text=%ff",
    ] {
        let signed = slack.sign(body);
        let result = slack.verify_and_parse(signed.headers(), signed.body());
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
        let slack = provider("secret-one", NOW);
        let request = slack.sign(BODY.as_bytes());
        let ts = request.header("x-slack-request-timestamp").unwrap().to_owned();
        let signature = request.header("x-slack-signature").unwrap().to_owned();
        let headers = |s: &str| vec![("x-slack-request-timestamp".to_owned(), ts.clone()), ("x-slack-signature".to_owned(), s.to_owned())];
        prop_assert!(slack.verify_and_parse(&headers(&signature), BODY.as_bytes()).is_ok());
        let (mut signature, mut body) = (signature.into_bytes(), BODY.as_bytes().to_vec());
        if in_signature {
            let i = index.index(signature.len());
            signature[i] ^= 1 << bit;
        } else {
            let i = index.index(body.len());
            body[i] ^= 1 << bit;
        }
        let signature = String::from_utf8_lossy(&signature).into_owned();
        prop_assert!(slack.verify_and_parse(&headers(&signature), &body).is_err());
    }
}
