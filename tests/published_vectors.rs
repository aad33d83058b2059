//! The examples the senders publish in their own documentation, verified by the presets as
//! published: GitHub's "It's a Secret to Everybody", Slack's signing example, Twilio's
//! request-validation example (the values are the senders', recomputed with Python's `hmac`
//! before they were written down here), and the test vectors Square's and SendGrid's SDKs
//! publish in their own test suites.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use webhook_receiver::clock::{Clock, ManualClock};
use webhook_receiver::providers::github::GitHub;
use webhook_receiver::providers::slack::Slack;
use webhook_receiver::providers::square::Square;
use webhook_receiver::providers::twilio::Twilio;
use webhook_receiver::{Error, Provider, Secret};

#[test]
fn githubs_published_example_verifies() {
    let github: GitHub = GitHub::new(Secret::new("It's a Secret to Everybody").unwrap());
    let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let headers = [
        ("x-hub-signature-256", signature),
        ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("x-github-event", "ping"),
    ];
    github.verify(&headers[..], b"Hello, World!").unwrap();
    assert!(matches!(
        github.verify(&headers[..], b"Hello, World?"),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn slacks_published_signing_example_verifies() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let clock = Arc::new(ManualClock::at_unix(1_531_420_618));
    let slack: Slack = Slack::new(Secret::new("8f742231b10e8888abcd99yyyzzz85a5").unwrap())
        .clock(clock as Arc<dyn Clock>);
    let headers = [
        ("x-slack-request-timestamp", "1531420618"),
        (
            "x-slack-signature",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        ),
    ];
    let delivery = slack
        .verify_and_parse(&headers[..], body.as_bytes())
        .unwrap();
    assert_eq!(delivery.event.kind, "/webhook-collect");
}

#[test]
fn twilios_published_validation_example_verifies() {
    let twilio: Twilio = Twilio::new(
        Secret::new("12345").unwrap(),
        "https://mycompany.com/myapp.php?foo=1&bar=2",
    )
    .unwrap();
    let body = "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212";
    let headers = [("x-twilio-signature", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")];
    twilio
        .verify_and_parse(&headers[..], body.as_bytes())
        .unwrap();
    let tampered = body.replace("Digits=1234", "Digits=1235");
    assert!(matches!(
        twilio.verify(&headers[..], tampered.as_bytes()),
        Err(Error::InvalidSignature)
    ));
}

/// Square's signature test vector, as its SDKs' own tests publish it, and their escaped-body
/// case (a body with `>` and `<` signed as sent).
#[test]
fn squares_published_sdk_vectors_verify() {
    let square: Square = Square::new(
        Secret::new("Ibxx_5AKakO-3qeNVR61Dw").unwrap(),
        "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
    )
    .unwrap();
    let body = r#"{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}"#;
    let headers = [(
        "x-square-hmacsha256-signature",
        "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=",
    )];
    let delivery = square
        .verify_and_parse(&headers[..], body.as_bytes())
        .unwrap();
    assert_eq!(delivery.event.kind, "webhooks.test_notification");
    assert_eq!(delivery.id.as_str(), "ac3ac95b-f97d-458c-a6e6-18981597e05f");

    // The same signature for another notification URL is refused: the URL is signed.
    let moved: Square = Square::new(
        Secret::new("Ibxx_5AKakO-3qeNVR61Dw").unwrap(),
        "https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9",
    )
    .unwrap();
    assert!(matches!(
        moved.verify(&headers[..], body.as_bytes()),
        Err(Error::InvalidSignature)
    ));

    let escaped: Square = Square::new(
        Secret::new("signature-key").unwrap(),
        "https://webhook.site/webhooks",
    )
    .unwrap();
    let headers = [(
        "x-square-hmacsha256-signature",
        "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=",
    )];
    escaped
        .verify(&headers[..], br#"{"data":{"type":"webhooks","id":">id<"}}"#)
        .unwrap();
}

/// SendGrid's Event Webhook test vector, as its SDKs' own tests publish it: the key, the
/// signature and the timestamp, with the payload as those tests serialise it.
#[cfg(feature = "public-key")]
#[test]
fn sendgrids_published_sdk_vector_verifies() {
    use webhook_receiver::providers::sendgrid::SendGrid;

    let key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    let other_key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";
    let body = br#"{"category":"example_payload","event":"test_event","message_id":"message_id"}"#;
    let signature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
    let headers = |timestamp| {
        [
            ("x-twilio-email-event-webhook-signature", signature),
            ("x-twilio-email-event-webhook-timestamp", timestamp),
        ]
    };
    let sendgrid: SendGrid<serde_json::Value> = SendGrid::new(key).unwrap();
    let delivery = sendgrid
        .verify_and_parse(&headers("1588788367")[..], body)
        .unwrap();
    assert_eq!(delivery.event.body["event"], "test_event");

    // The SDKs' failing cases: another key, another payload, another timestamp.
    let other: SendGrid<serde_json::Value> = SendGrid::new(other_key).unwrap();
    for (provider, headers, body) in [
        (&other, headers("1588788367"), &body[..]),
        (&sendgrid, headers("1588788367"), &b"payload"[..]),
        (&sendgrid, headers("1388788367"), &body[..]),
    ] {
        assert!(matches!(
            provider.verify(&headers[..], body),
            Err(Error::InvalidSignature)
        ));
    }
}
