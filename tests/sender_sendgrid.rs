//! SendGrid Event Webhook: every case of `sdk-vectors/sendgrid.json` (checked by SendGrid's
//! Python SDK) gets the SDK's verdict (high-S accepted, no window by default); an opt-in
//! window; the testing signer; the batch as one delivery; tampering and wrong keys.
#![cfg(feature = "public-key")]
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
use sdk_vectors::Vectors;
use webhook_receiver::clock::ManualClock;
use webhook_receiver::providers::sendgrid::SendGrid;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::testing::sendgrid::KeySigner;
use webhook_receiver::verify::PrivateKey;
use webhook_receiver::{Error, MessageId, Provider};

fn vectors() -> Vectors {
    sdk_vectors::sender("sendgrid")
}

fn provider(key: &str, now: i64) -> SendGrid {
    SendGrid::new(key)
        .unwrap()
        .clock(Arc::new(ManualClock::at_unix(now)))
}

#[test]
fn every_sdk_vector_gets_the_sdk_verdict() {
    let vectors = vectors();
    assert_eq!(vectors.cases.len(), 12);
    // The SDK-specific cases (an old timestamp, a high-S signature) are accepted by the SDK
    // and by the crate, as its module docs say: no case differs.
    for case in &vectors.cases {
        let result = provider(vectors.public_key.as_deref().unwrap(), case.now)
            .verify_and_parse(&case.headers, case.body.as_bytes());
        assert_eq!(
            result.is_ok(),
            case.sdk_accepts,
            "{}: {result:?}",
            case.name
        );
        if let Ok(delivery) = result {
            assert_eq!(
                delivery.id,
                MessageId::digest("sendgrid", case.body.as_bytes())
            );
            assert_eq!(delivery.event.kind, "");
            let events: Vec<serde_json::Value> = delivery.event.body.parse().unwrap();
            assert!(events.iter().all(|e| e["sg_event_id"].is_string()));
        }
    }
}

#[test]
fn errors_and_the_opt_in_window() {
    let vectors = vectors();
    let case = |name: &str| vectors.cases.iter().find(|c| c.name == name).unwrap();
    let run = |name: &str| {
        let c = case(name);
        provider(vectors.public_key.as_deref().unwrap(), c.now)
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
        run("raw_r_s_not_der"),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        run("timestamp_changed"),
        Err(Error::InvalidSignature)
    ));
    let old = case("valid_old_timestamp");
    let windowed = provider(vectors.public_key.as_deref().unwrap(), old.now)
        .tolerance(Duration::from_secs(300));
    assert!(matches!(
        windowed.verify_and_parse(&old.headers, old.body.as_bytes()),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    let fresh = case("valid_single_event");
    assert!(
        windowed
            .verify_and_parse(&fresh.headers, fresh.body.as_bytes())
            .is_ok()
    );
    assert!(SendGrid::<()>::new("not base64!").is_err());
    // An RSA key is not a SendGrid key.
    let rsa = include_str!("fixtures/keys/rsa-public.pem");
    let der: String = rsa.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(SendGrid::<()>::new(&der).is_err());
}

const NOW: i64 = 1_767_225_600;
const BODY: &str = "[{\"email\":\"a@example.com\",\"event\":\"open\",\"sg_event_id\":\"e1\"}]\r\n";

fn signer() -> KeySigner {
    let key = PrivateKey::from_pem(include_str!("fixtures/keys/ec-private.pem")).unwrap();
    KeySigner::new(key).clock(Arc::new(ManualClock::at_unix(NOW)))
}

#[test]
fn the_testing_signer_signs_as_sendgrid_does() {
    let signer = signer();
    let sendgrid = provider(&signer.public_key_base64(), NOW);
    let request = signer.sign(BODY.as_bytes());
    assert_eq!(
        request.header("x-twilio-email-event-webhook-timestamp"),
        Some("1767225600")
    );
    let delivery = sendgrid
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), NOW);
    #[derive(serde::Deserialize)]
    struct Mail {
        event: String,
    }
    let typed: SendGrid<Vec<Mail>> = SendGrid::new(&signer.public_key_base64()).unwrap();
    let delivery = typed
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.event.body[0].event, "open");
}

#[test]
fn tampering_and_another_key_are_refused() {
    let signer = signer();
    let sendgrid = provider(&signer.public_key_base64(), NOW);
    let request = signer.sign(BODY.as_bytes());
    assert!(matches!(
        sendgrid.verify_and_parse(request.headers(), BODY.trim_end().as_bytes()),
        Err(Error::InvalidSignature)
    ));
    let vectors = vectors();
    assert!(matches!(
        provider(vectors.public_key.as_deref().unwrap(), NOW)
            .verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both = provider(vectors.public_key.as_deref().unwrap(), NOW)
        .with_key(&signer.public_key_base64())
        .unwrap();
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn flipping_any_byte_of_body_or_signature_refuses(index in any::<prop::sample::Index>(), bit in 0u8..8, in_signature in any::<bool>()) {
        let signer = signer();
        let sendgrid = provider(&signer.public_key_base64(), NOW);
        let request = signer.sign(BODY.as_bytes());
        let ts = request.header("x-twilio-email-event-webhook-timestamp").unwrap().to_owned();
        let signature = request.header("x-twilio-email-event-webhook-signature").unwrap().to_owned();
        let headers = |s: &str| vec![
            ("x-twilio-email-event-webhook-timestamp".to_owned(), ts.clone()),
            ("x-twilio-email-event-webhook-signature".to_owned(), s.to_owned()),
        ];
        prop_assert!(sendgrid.verify_and_parse(&headers(&signature), BODY.as_bytes()).is_ok());
        // The decoded signature's bytes, flipped and encoded again (a flip in the base64 text
        // can land in padding bits that decode to the same bytes).
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let (mut der, mut body) = (b64.decode(&signature).unwrap(), BODY.as_bytes().to_vec());
        if in_signature {
            let i = index.index(der.len());
            der[i] ^= 1 << bit;
        } else {
            let i = index.index(body.len());
            body[i] ^= 1 << bit;
        }
        prop_assert!(sendgrid.verify_and_parse(&headers(&b64.encode(&der)), &body).is_err());
    }
}
