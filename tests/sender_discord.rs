//! Discord interactions: every case of `sdk-vectors/discord.json` (checked by
//! `discord-interactions`' `verifyKey`) gets the SDK's verdict, or the documented one (a 300 s
//! window); the testing signer reproduces the vectors' signatures; id and kind; tampering and
//! wrong keys.
#![cfg(feature = "public-key")]
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
use webhook_receiver::providers::discord::Discord;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::testing::discord::KeySigner;
use webhook_receiver::{Error, Provider};

fn vectors() -> Vectors {
    sdk_vectors::sender("discord")
}

fn provider(key: &str, now: i64) -> Discord {
    Discord::new(key)
        .unwrap()
        .clock(Arc::new(ManualClock::at_unix(now)))
}

fn documented_verdict(case: &Case) -> bool {
    match case.name.as_str() {
        // verifyKey checks no timestamp; the crate's window is 300 s.
        "valid_old_timestamp" => false,
        _ => case.sdk_accepts,
    }
}

#[test]
fn every_sdk_vector_gets_the_sdk_verdict_or_the_documented_one() {
    let vectors = vectors();
    assert_eq!(vectors.cases.len(), 12);
    for case in &vectors.cases {
        let result = provider(vectors.public_key.as_deref().unwrap(), case.now)
            .verify_and_parse(&case.headers, case.body.as_bytes());
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
                format!("discord:{}", body["id"].as_str().unwrap())
            );
        }
    }
}

#[test]
fn kinds_and_errors() {
    let vectors = vectors();
    let run = |name: &str| {
        let c = vectors.cases.iter().find(|c| c.name == name).unwrap();
        provider(vectors.public_key.as_deref().unwrap(), c.now)
            .verify_and_parse(&c.headers, c.body.as_bytes())
    };
    assert_eq!(run("valid_ping").unwrap().event.kind, "PING");
    assert_eq!(
        run("valid_application_command").unwrap().event.kind,
        "APPLICATION_COMMAND"
    );
    assert!(matches!(
        run("missing_signature_header"),
        Err(Error::MissingSignature { .. })
    ));
    assert!(matches!(
        run("missing_timestamp_header"),
        Err(Error::MissingTimestamp)
    ));
    assert!(matches!(
        run("truncated_signature"),
        Err(Error::MalformedSignature { .. })
    ));
    assert!(matches!(
        run("valid_old_timestamp"),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    assert!(matches!(
        run("signed_body_only"),
        Err(Error::InvalidSignature)
    ));
    assert!(Discord::<()>::new("not hex").is_err());
    assert!(Discord::<()>::new(&"00".repeat(31)).is_err());
}

const NOW: i64 = 1_767_225_600;
const BODY: &str = r#"{"id":"1300000000000000009","type":3,"data":{"custom_id":"ok"}}"#;

fn signer() -> KeySigner {
    let seed: [u8; 32] = hex::decode(vectors().private_key_seed_hex.unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    KeySigner::from_seed(seed).clock(Arc::new(ManualClock::at_unix(NOW)))
}

#[test]
fn the_testing_signer_signs_as_discord_does() {
    let vectors = vectors();
    let signer = signer();
    assert_eq!(
        signer.public_key_hex(),
        vectors.public_key.as_deref().unwrap()
    );
    // Ed25519 is deterministic: the vector's signature, byte for byte.
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
    let request = signer.sign_at(
        header("X-Signature-Timestamp").parse().unwrap(),
        first.body.as_bytes(),
    );
    assert_eq!(
        request.header("x-signature-ed25519").unwrap(),
        header("X-Signature-Ed25519")
    );

    let discord = provider(vectors.public_key.as_deref().unwrap(), NOW);
    let request = signer.sign(BODY.as_bytes());
    let delivery = discord
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.id.key(), "discord:1300000000000000009");
    assert_eq!(delivery.event.kind, "MESSAGE_COMPONENT");
    assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), NOW);
}

#[test]
fn tampering_another_key_and_a_missing_id_are_refused() {
    let signer = signer();
    let discord = provider(&signer.public_key_hex(), NOW);
    let request = signer.sign(BODY.as_bytes());
    assert!(matches!(
        discord.verify_and_parse(request.headers(), BODY.replace("ok", "no").as_bytes()),
        Err(Error::InvalidSignature)
    ));
    let other = KeySigner::from_seed([9; 32]);
    assert!(matches!(
        provider(&other.public_key_hex(), NOW).verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let both = provider(&other.public_key_hex(), NOW)
        .with_key(&signer.public_key_hex())
        .unwrap();
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
    let no_id = signer.sign(br#"{"type":1}"#);
    assert!(matches!(
        discord.verify_and_parse(no_id.headers(), no_id.body()),
        Err(Error::UnexpectedPayload(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn flipping_any_byte_of_body_or_signature_refuses(index in any::<prop::sample::Index>(), bit in 0u8..8, in_signature in any::<bool>()) {
        let signer = signer();
        let discord = provider(&signer.public_key_hex(), NOW);
        let request = signer.sign(BODY.as_bytes());
        let ts = request.header("x-signature-timestamp").unwrap().to_owned();
        let signature = request.header("x-signature-ed25519").unwrap().to_owned();
        let headers = |s: &str| vec![("x-signature-timestamp".to_owned(), ts.clone()), ("x-signature-ed25519".to_owned(), s.to_owned())];
        prop_assert!(discord.verify_and_parse(&headers(&signature), BODY.as_bytes()).is_ok());
        let (mut signature, mut body) = (signature.into_bytes(), BODY.as_bytes().to_vec());
        if in_signature {
            let i = index.index(signature.len());
            // Flipping bit 5 of a hex letter only changes its case, which reads the same.
            let flipped = signature[i] ^ (1 << bit);
            prop_assume!(!flipped.eq_ignore_ascii_case(&signature[i]));
            signature[i] = flipped;
        } else {
            let i = index.index(body.len());
            body[i] ^= 1 << bit;
        }
        let signature = String::from_utf8_lossy(&signature).into_owned();
        prop_assert!(discord.verify_and_parse(&headers(&signature), &body).is_err());
    }
}
