//! receeve: the envelope, typed details, the signed-text-only rule and message types.

mod common;

use common::*;
use webhook_receiver::clock::ManualClock;
use webhook_receiver::providers::receeve::{Details, MessageKind, MessageType, Receeve};
use webhook_receiver::testing::{self, Signer};
use webhook_receiver::verify::SignatureEncoding;
use webhook_receiver::{Error, MessageId, Provider};

const NO_HEADERS: [(&str, &str); 0] = [];

fn parse(
    receeve: &Receeve,
    body: &[u8],
) -> Result<webhook_receiver::Delivery<webhook_receiver::providers::receeve::Message>, Error> {
    receeve.verify_and_parse(&NO_HEADERS, body)
}

#[test]
fn seed_example_parses_verbatim() {
    let receeve = receeve();
    let request = testing::receeve::claim_created().signed_with(&receeve);
    let delivery = receeve
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(
        delivery.id,
        MessageId::new("receeve", "09feeb6f-350a-430a-a040-cd1c558cbc91")
    );
    let message = delivery.event;
    assert_eq!(
        Some(message.timestamp),
        delivery.timestamp,
        "the delivery timestamp is payload.timestamp"
    );
    assert_eq!(message.timestamp.unix_timestamp(), 1_634_225_596);
    let user = message.user.unwrap();
    assert_eq!(user.id.as_deref(), Some("USER_ID"));
    assert_eq!(user.pool_id.as_deref(), Some("POOL_ID"));
    assert_eq!(user.originator.as_deref(), Some("ClientAPI"));
    let Details::ClaimCreated(claim) = message.details else {
        panic!("expected a typed claim");
    };
    assert_eq!(claim.message_type.to_string(), "event.claim.created.v1");
    assert_eq!(claim.claim_ref, "PDN-922-claim-Oct14-00010");
    assert_eq!(
        claim.receeve_claim_ref.as_deref(),
        Some("PDN-922-claim-Oct14-00010")
    );
    assert_eq!(
        claim.account_reference.as_deref(),
        Some("PDN-922-Oct14-0001")
    );
    assert_eq!(claim.amount, 501);
    assert_eq!(claim.currency, "EUR");
    assert_eq!(claim.due_date.unwrap().to_string(), "2021-10-07");
}

#[test]
fn typed_payment_and_fees_and_raw_other_types() {
    let receeve = receeve();
    let payment = testing::receeve::claim_debt_payment_processing().signed_with(&receeve);
    let Details::ClaimDebtPaymentProcessing(p) =
        parse(&receeve, payment.body()).unwrap().event.details
    else {
        panic!("expected payment processing");
    };
    assert_eq!(p.provider_name, "stripe");
    assert_eq!(p.tracking_id, "trk_0001");
    assert_eq!(p.payment_reference.as_deref(), Some("PAY-0001"));

    let fees = testing::receeve::account_amount_total_fees_updated().signed_with(&receeve);
    let Details::AccountAmountTotalFeesUpdated(f) =
        parse(&receeve, fees.body()).unwrap().event.details
    else {
        panic!("expected fees");
    };
    assert_eq!((f.amount, f.total_fees, f.total_amount), (501, 150, 651));

    let other = testing::receeve::strategy_paused().signed_with(&receeve);
    let Details::Other(o) = parse(&receeve, other.body()).unwrap().event.details else {
        panic!("expected raw details");
    };
    assert_eq!(o.message_type.kind(), &MessageKind::StrategyPaused);
    assert_eq!(o.fields["strategyId"], "default-strategy");
    assert_eq!(o.fields["reason"], "debtor-request");
}

#[test]
fn a_later_version_of_a_typed_event_arrives_raw() {
    let receeve = receeve();
    let v2 = testing::receeve::message(
        "event.claim.created.v2",
        r#""claimRef":"C-1","amount":"5.01""#,
        "m-1",
    )
    .signed_with(&receeve);
    let Details::Other(o) = parse(&receeve, v2.body()).unwrap().event.details else {
        panic!("v2 must not be forced into the v1 struct");
    };
    assert_eq!(o.message_type.version(), Some(2));
    assert_eq!(o.fields["amount"], "5.01");
}

#[test]
fn forged_payload_beside_genuine_signature_is_rejected() {
    let receeve = receeve();
    let genuine = testing::receeve::claim_created().signed_with(&receeve);
    let mut envelope: serde_json::Value = serde_json::from_slice(genuine.body()).unwrap();
    envelope["payload"]["details"]["amount"] = 1.into();
    let forged = serde_json::to_vec(&envelope).unwrap();
    let err = parse(&receeve, &forged).unwrap_err();
    assert!(
        matches!(err, Error::PayloadMismatch { field: "payload" }),
        "{err:?}"
    );
    assert_eq!(err.status(), 401);
}

#[test]
fn reformatted_but_equal_payload_is_accepted() {
    let receeve = receeve();
    let genuine = testing::receeve::claim_created().signed_with(&receeve);
    // Re-serialising the envelope compacts `payload` while `payloadAsString` keeps the
    // original text: the same data, so it is accepted.
    let envelope: serde_json::Value = serde_json::from_slice(genuine.body()).unwrap();
    let compact = serde_json::to_vec(&envelope).unwrap();
    assert_ne!(compact, genuine.body());
    assert!(parse(&receeve, &compact).is_ok());
}

#[test]
fn the_event_comes_from_the_signed_text_only() {
    let receeve = receeve();
    let genuine = testing::receeve::claim_created().signed_with(&receeve);
    let mut envelope: serde_json::Value = serde_json::from_slice(genuine.body()).unwrap();
    envelope.as_object_mut().unwrap().remove("payload");
    let without_object = serde_json::to_vec(&envelope).unwrap();
    let delivery = parse(&receeve, &without_object).unwrap();
    assert_eq!(delivery.id.as_str(), "09feeb6f-350a-430a-a040-cd1c558cbc91");
}

#[test]
fn duplicate_keys_cannot_smuggle_a_second_value() {
    let receeve = receeve();
    let genuine = testing::receeve::claim_created().signed_with(&receeve);
    let envelope: serde_json::Value = serde_json::from_slice(genuine.body()).unwrap();
    let signed = envelope["payloadAsString"].as_str().unwrap();
    let signature = envelope["signature"].as_str().unwrap();
    let forged_text = signed.replace("501", "1");

    // A second payloadAsString after the genuine one.
    let body = format!(
        r#"{{"signature":{},"payloadAsString":{},"payloadAsString":{}}}"#,
        serde_json::Value::from(signature),
        serde_json::Value::from(signed),
        serde_json::Value::from(forged_text.as_str()),
    );
    let err = parse(&receeve, body.as_bytes()).unwrap_err();
    assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");

    // A second payload object after the genuine one.
    let body = format!(
        r#"{{"payload":{signed},"payload":{forged_text},"signature":{},"payloadAsString":{}}}"#,
        serde_json::Value::from(signature),
        serde_json::Value::from(signed),
    );
    assert!(parse(&receeve, body.as_bytes()).is_err());

    // Duplicate keys inside the signed text: the signer's own text, still refused rather than
    // guessed at.
    let doubled = r#"{"details":{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":1,"amount":501,"currency":"EUR"},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z"}"#;
    let request = receeve.sign(doubled.as_bytes());
    let err = parse(&receeve, request.body()).unwrap_err();
    assert_eq!(err.status(), 422, "{err:?}");
}

#[test]
fn missing_pieces_each_have_their_error() {
    let receeve = receeve();
    let no_signed = br#"{"payload":{"details":{"messageType":"x"},"messageId":"m","timestamp":"2021-10-14T15:33:16.848Z"},"signature":"00"}"#;
    let err = parse(&receeve, no_signed).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingSignedPayload {
                field: "payloadAsString"
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("payloadAsString"));

    let no_signature = br#"{"payloadAsString":"{}"}"#;
    let err = parse(&receeve, no_signature).unwrap_err();
    assert!(matches!(err, Error::MissingSignature { .. }), "{err:?}");

    let not_json = b"signature=abc";
    assert!(matches!(
        parse(&receeve, not_json),
        Err(Error::MalformedPayload(_))
    ));

    // The signed text's escapes are read as serde_json reads them: a lone surrogate is
    // malformed JSON (400), a signed text that is not a string the wrong shape (422), and
    // `null` no signed text at all.
    let lone_surrogate = br#"{"signature":"00","payloadAsString":"{\"a\":\"\ud800\"}"}"#;
    let err = parse(&receeve, lone_surrogate).unwrap_err();
    assert!(matches!(err, Error::MalformedPayload(_)), "{err:?}");
    for not_text in [
        &br#"{"signature":"00","payloadAsString":12}"#[..],
        br#"{"signature":"00","payloadAsString":{"a":1}}"#,
    ] {
        let err = parse(&receeve, not_text).unwrap_err();
        assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");
    }
    let null = br#"{"signature":"00","payloadAsString":null}"#;
    let err = parse(&receeve, null).unwrap_err();
    assert!(matches!(err, Error::MissingSignedPayload { .. }), "{err:?}");
}

#[test]
fn hex_and_base64_signatures_are_both_accepted_unless_fixed() {
    let payload = testing::receeve::claim_created();
    let hex_signed = payload.signed_with(&receeve());
    let base64_receeve = receeve().signature_encoding(SignatureEncoding::Base64);
    let base64_signed = payload.signed_with(&base64_receeve);
    let either = receeve();
    assert!(parse(&either, hex_signed.body()).is_ok());
    assert!(parse(&either, base64_signed.body()).is_ok());

    let hex_only = receeve().signature_encoding(SignatureEncoding::Hex);
    let err = parse(&hex_only, base64_signed.body()).unwrap_err();
    assert!(matches!(err, Error::MalformedSignature { .. }), "{err:?}");
    assert!(parse(&base64_receeve, hex_signed.body()).is_err());
}

#[test]
fn timestamp_tolerance_is_opt_in() {
    let request = testing::receeve::claim_created().signed_with(&receeve());
    // 2021-10-14T15:33:16.848Z; the clock stands years later.
    assert!(parse(&receeve(), request.body()).is_ok(), "off by default");

    let sent = 1_634_225_596;
    let clock = ManualClock::at_unix(sent + 299);
    let windowed = receeve()
        .timestamp_tolerance(std::time::Duration::from_secs(300))
        .clock(std::sync::Arc::new(clock.clone()));
    assert!(parse(&windowed, request.body()).is_ok());
    clock.set_unix(sent + 301);
    let err = parse(&windowed, request.body()).unwrap_err();
    assert!(
        matches!(err, Error::TimestampOutOfTolerance { .. }),
        "{err:?}"
    );
    clock.set_unix(sent - 299);
    assert!(parse(&windowed, request.body()).is_ok());
    clock.set_unix(sent - 302);
    assert!(parse(&windowed, request.body()).is_err());
}

#[test]
fn every_catalogued_message_type_is_known_with_and_without_v1() {
    let catalogue = include_str!("fixtures/catalogue/receeve-message-types.tsv");
    let rows: Vec<(&str, &str)> = catalogue
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut columns = line.split('\t');
            Some((columns.next()?, columns.next()?))
        })
        .collect();
    assert_eq!(rows.len(), 76);
    assert_eq!(MessageKind::KNOWN.len(), 76);
    for (group, name) in rows {
        let base = name.strip_suffix(".v1").unwrap_or(name);
        for wire in [base.to_owned(), format!("{base}.v1")] {
            let parsed = MessageType::from_wire(&wire);
            assert!(parsed.kind().is_known(), "{wire}");
            assert_eq!(parsed.kind().group(), Some(group), "{wire}");
            assert_eq!(parsed.to_string(), wire);
            let json = serde_json::to_string(&parsed).unwrap();
            assert_eq!(serde_json::from_str::<MessageType>(&json).unwrap(), parsed);
        }
    }
}

proptest::proptest! {
    #[test]
    fn any_message_type_string_round_trips(wire in "\\PC{0,40}(\\.v[0-9]{0,3})?") {
        let parsed = MessageType::from_wire(&wire);
        proptest::prop_assert_eq!(parsed.to_string(), wire.clone());
        proptest::prop_assert_eq!(parsed.to_wire(), wire);
    }
}

#[test]
fn send_sync_and_redacted_debug() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Receeve>();
    let debug = format!("{:?}", receeve());
    assert!(!debug.contains(RECEEVE_KEY), "{debug}");
}

#[test]
fn message_type_anywhere_in_details_and_never_twice() {
    let receeve = receeve();
    let parse_signed = |text: &str| {
        let request = receeve.sign(text.as_bytes());
        receeve.verify_and_parse(request.headers(), request.body())
    };
    // messageType last: read on the slower path, same result.
    let last = r#"{"details":{"claimRef":"C-1","amount":7,"currency":"EUR","messageType":"event.claim.created.v1"},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z"}"#;
    let Details::ClaimCreated(claim) = parse_signed(last).unwrap().event.details else {
        panic!("expected a typed claim");
    };
    assert_eq!(
        (claim.amount, claim.message_type.to_string().as_str()),
        (7, "event.claim.created.v1")
    );
    let other_last = r#"{"details":{"note":"n","messageType":"event.note.created"},"messageId":"m-2","timestamp":"2021-10-14T15:33:16.848Z"}"#;
    let Details::Other(other) = parse_signed(other_last).unwrap().event.details else {
        panic!("expected raw details");
    };
    assert_eq!(other.message_type.kind(), &MessageKind::NoteCreated);
    assert!(!other.fields.contains_key("messageType"));

    // Twice: refused on both paths, for typed and raw types.
    for details in [
        r#"{"messageType":"event.claim.created.v1","claimRef":"C","amount":1,"currency":"EUR","messageType":"event.note.created"}"#,
        r#"{"messageType":"event.note.created","messageType":"event.claim.created.v1"}"#,
        r#"{"claimRef":"C","messageType":"event.note.created","messageType":"event.claim.created.v1"}"#,
    ] {
        let text = format!(
            r#"{{"details":{details},"messageId":"m","timestamp":"2021-10-14T15:33:16.848Z"}}"#
        );
        let err = parse_signed(&text).unwrap_err();
        assert_eq!(err.status(), 422, "{details}: {err:?}");
    }
    let missing =
        r#"{"details":{"claimRef":"C"},"messageId":"m","timestamp":"2021-10-14T15:33:16.848Z"}"#;
    assert_eq!(parse_signed(missing).unwrap_err().status(), 422);
}

#[test]
fn parse_unverified_skips_the_replay_window_as_for_every_provider() {
    let request = testing::receeve::claim_created().signed_with(&receeve());
    // Years after the delivery's timestamp, with a five-minute window.
    let windowed = receeve().timestamp_tolerance(std::time::Duration::from_secs(300));
    assert!(matches!(
        parse(&windowed, request.body()),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
    let replayed =
        webhook_receiver::dangerous::parse_unverified(&windowed, &[("a", "b")], request.body());
    assert_eq!(
        replayed.unwrap().id.as_str(),
        "09feeb6f-350a-430a-a040-cd1c558cbc91"
    );
}

#[test]
fn envelopes_and_messages_that_are_arrays_are_refused() {
    let receeve = receeve();
    // The envelope as an array of its three fields.
    let err = parse(&receeve, br#"[null,"00","{}"]"#).unwrap_err();
    assert_eq!(err.status(), 422, "{err:?}");
    // A genuinely signed message that is an array.
    let signed = receeve.signed_body(
        r#"[{"messageType":"event.claim.created.v1"},"m-1","2021-10-14T15:33:16.848Z"]"#,
    );
    let err = parse(&receeve, &signed).unwrap_err();
    assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");
}

#[test]
fn a_user_that_is_an_array_is_refused() {
    let receeve = receeve();
    let message = |user: &str| {
        receeve.signed_body(&format!(
            r#"{{"details":{{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":1,"currency":"EUR"}},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z","user":{user}}}"#
        ))
    };
    let object = parse(
        &receeve,
        &message(r#"{"id":"u-1","poolId":"p","originator":"ClientAPI"}"#),
    );
    assert!(object.is_ok(), "{object:?}");
    let null = parse(&receeve, &message("null"));
    assert!(null.is_ok(), "{null:?}");
    let err = parse(&receeve, &message(r#"["u-1","p","ClientAPI"]"#)).unwrap_err();
    assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");
    assert_eq!(err.status(), 422);
}

#[test]
fn a_number_out_of_range_for_its_field_is_the_wrong_shape_not_malformed() {
    let receeve = receeve();
    for amount in ["1e400", "99999999999999999999999"] {
        let signed = receeve.signed_body(&format!(
            r#"{{"details":{{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":{amount},"currency":"EUR"}},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z"}}"#
        ));
        let err = parse(&receeve, &signed).unwrap_err();
        assert!(
            matches!(err, Error::UnexpectedPayload(_)),
            "{amount}: {err:?}"
        );
        assert_eq!(err.status(), 422);
    }
}

/// The unsigned `payload` object beside `payloadAsString`, rewritten as an attacker would: the
/// genuine signature, the genuine signed text, and a `payload` that readers of the raw body
/// could read differently.
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // test helpers: a broken fixture is a failed test
mod payload_copies {
    use super::*;
    use proptest::prelude::*;

    /// The genuine signed text and signature of a fixture, with fields whose numbers a
    /// `serde_json::Value` holds as `f64` (fractions, an integer past `u64`).
    fn genuine() -> (Receeve, String, String) {
        genuine_with(
            "\"details\": {\"fees\": [1.5, 2.25, 0.1], \"huge\": 123456789012345678901234567890,",
        )
    }

    /// The genuine signed text and signature of the fixture, with `details` opened by
    /// `details` (extra fields after the brace).
    fn genuine_with(details: &str) -> (Receeve, String, String) {
        let receeve = receeve();
        let request = testing::receeve::claim_created().signed_with(&receeve);
        let envelope: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
        let signed =
            envelope["payloadAsString"]
                .as_str()
                .unwrap()
                .replacen("\"details\": {", details, 1);
        let envelope: serde_json::Value =
            serde_json::from_slice(&receeve.signed_body(&signed)).unwrap();
        let signed = envelope["payloadAsString"].as_str().unwrap().to_owned();
        let signature = envelope["signature"].as_str().unwrap().to_owned();
        (receeve, signed, signature)
    }

    fn envelope(payload: &str, signed: &str, signature: &str) -> Vec<u8> {
        format!(
            r#"{{"payload":{payload},"signature":{},"payloadAsString":{}}}"#,
            serde_json::Value::from(signature),
            serde_json::Value::from(signed),
        )
        .into_bytes()
    }

    /// Where the keys (the start of `"key":`) and the number literals of a JSON text are.
    fn tokens(text: &str) -> (Vec<(usize, String)>, Vec<std::ops::Range<usize>>) {
        let bytes = text.as_bytes();
        let (mut keys, mut numbers) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    let start = i;
                    i += 1;
                    while bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                    let rest = text[i..].trim_start();
                    if rest.starts_with(':') {
                        keys.push((start, text[start..i].to_owned()));
                    }
                }
                b'-' | b'0'..=b'9' => {
                    let start = i;
                    while i < bytes.len()
                        && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        i += 1;
                    }
                    numbers.push(start..i);
                }
                _ => i += 1,
            }
        }
        (keys, numbers)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// A second member under any key of any object, before or after the genuine one, with
        /// any value: refused (a first-wins reader would otherwise see the attacker's value).
        #[test]
        fn a_duplicate_key_anywhere_is_refused(
            which in any::<prop::sample::Index>(),
            value in prop_oneof![
                "\"[a-z]{0,8}\"",
                "-?[1-9][0-9]{0,5}",
                Just("null".to_owned()),
                Just("{}".to_owned()),
            ],
            before in any::<bool>(),
        ) {
            let (receeve, signed, signature) = genuine();
            let (keys, _) = tokens(&signed);
            let (at, key) = which.get(&keys).clone();
            let payload = if before {
                format!("{}{key}:{value},{}", &signed[..at], &signed[at..])
            } else {
                // After the genuine member: find its end by reading the value that follows.
                let value_start = at + signed[at..].find(':').unwrap() + 1;
                let mut de = serde_json::Deserializer::from_str(&signed[value_start..]).into_iter::<serde::de::IgnoredAny>();
                de.next().unwrap().unwrap();
                let end = value_start + de.byte_offset();
                format!("{},{key}:{value}{}", &signed[..end], &signed[end..])
            };
            let err = parse(&receeve, &envelope(&payload, &signed, &signature)).unwrap_err();
            prop_assert!(matches!(err, Error::PayloadMismatch { .. }), "{err:?} for {payload}");
        }

        /// Any number spelled differently, even where `f64` or `u64` reads it the same: refused.
        #[test]
        fn a_number_spelled_otherwise_is_refused(
            which in any::<prop::sample::Index>(),
            spelling in 0usize..5,
        ) {
            let (receeve, signed, signature) = genuine();
            let (_, numbers) = tokens(&signed);
            let range = which.get(&numbers).clone();
            let number = &signed[range.clone()];
            let fraction = if number.contains('.') { "" } else { "." };
            let respelt = match spelling {
                0 => format!("{number}{fraction}0"),
                1 => format!("{number}e0"),
                2 if fraction.is_empty() => format!("{number}e+00"),
                2 => format!("{number}0e-1"),
                3 => format!("{number}{fraction}00000000000000000001"),
                _ => format!("{number}E+0"),
            };
            prop_assert_eq!(
                serde_json::from_str::<f64>(&respelt).unwrap(),
                serde_json::from_str::<f64>(number).unwrap()
            );
            let payload = format!("{}{respelt}{}", &signed[..range.start], &signed[range.end..]);
            let err = parse(&receeve, &envelope(&payload, &signed, &signature)).unwrap_err();
            prop_assert!(matches!(err, Error::PayloadMismatch { .. }), "{err:?} for {payload}");
        }

        /// The same data laid out otherwise (white space, members reordered, a character
        /// escaped): accepted.
        #[test]
        fn the_same_data_laid_out_otherwise_is_accepted(
            pretty in any::<bool>(),
            escape in any::<bool>(),
        ) {
            // The fixture's own numbers, which a `Value` writes back as they were.
            let (receeve, signed, signature) = genuine_with("\"details\": {");
            let value: serde_json::Value = serde_json::from_str(&signed).unwrap();
            let mut payload = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            if escape {
                payload = payload.replacen("EUR", "\\u0045UR", 1);
            }
            prop_assert!(payload != signed);
            prop_assert!(parse(&receeve, &envelope(&payload, &signed, &signature)).is_ok());
        }
    }

    /// The review's example: `"messageId":"evil"` placed before the genuine `messageId`.
    #[test]
    fn the_reviewed_message_id_smuggle_is_refused() {
        let (receeve, signed, signature) = genuine();
        let payload = signed.replacen("\"messageId\"", "\"messageId\": \"evil\", \"messageId\"", 1);
        let err = parse(&receeve, &envelope(&payload, &signed, &signature)).unwrap_err();
        assert!(
            matches!(err, Error::PayloadMismatch { field: "payload" }),
            "{err:?}"
        );
    }
}
