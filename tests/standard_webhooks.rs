//! Standard Webhooks (Svix): the specification's known answer, tampering, rotation, the replay
//! window, malformed signature lists, header aliases and case, typed events, and the
//! guarantees a receiver relies on (Send + Sync, secrets never printed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use webhook_receiver::clock::ManualClock;
use webhook_receiver::providers::standard::StandardWebhooks;
use webhook_receiver::testing::SignedRequest;
use webhook_receiver::testing::standard::{
    self as kit, EXAMPLE_ID, EXAMPLE_SECRET, EXAMPLE_SIGNATURE, EXAMPLE_TIMESTAMP,
};
use webhook_receiver::verify::StandardScheme;
use webhook_receiver::{Error, Keyring, Provider, Secret, dangerous};

// The known answer recomputed independently with Python's standard library:
//
//   python3 -c 'import hmac,hashlib,base64
//   k=base64.b64decode("C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
//   m=b"msg_27UH4WbU6Z5A5EzD8u03UvzRbpk.1649367553."+b"{\"email\":\"test@example.com\",\"username\":\"test_user\"}"
//   print("v1,"+base64.b64encode(hmac.new(k,m,hashlib.sha256).digest()).decode())'
//
// prints v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=

/// A second and a third secret, for rotation.
const NEW_SECRET: &str = "whsec_bmV3LXNlY3JldC1mb3Itcm90YXRpb24=";
const OTHER_SECRET: &str = "whsec_c29tZWJvZHktZWxzZXMtc2VjcmV0";

/// The example scheme, its clock standing at the example's timestamp.
fn scheme() -> StandardScheme {
    scheme_at(EXAMPLE_TIMESTAMP)
}

fn scheme_at(now: i64) -> StandardScheme {
    StandardScheme::from_whsec(EXAMPLE_SECRET)
        .unwrap()
        .clock(Arc::new(ManualClock::at_unix(now)))
}

fn provider() -> StandardWebhooks {
    StandardWebhooks::new(scheme())
}

fn headers(id: &str, timestamp: &str, signature: &str) -> Vec<(String, String)> {
    vec![
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), timestamp.to_owned()),
        ("webhook-signature".to_owned(), signature.to_owned()),
    ]
}

fn example_headers(signature: &str) -> Vec<(String, String)> {
    headers(EXAMPLE_ID, &EXAMPLE_TIMESTAMP.to_string(), signature)
}

/// The example delivery with its signature header replaced.
fn verify_signature(signature: &str) -> Result<(), Error> {
    scheme()
        .verify(&example_headers(signature), kit::example())
        .map(drop)
}

fn assert_malformed_signature(result: Result<(), Error>) {
    match result {
        Err(Error::MalformedSignature { .. }) => {}
        other => panic!("expected MalformedSignature, got {other:?}"),
    }
}

fn assert_invalid_signature(result: Result<(), Error>) {
    match result {
        Err(Error::InvalidSignature) => {}
        other => panic!("expected InvalidSignature, got {other:?}"),
    }
}

/// A well-formed `v1` entry that no configured key produced.
fn wrong_entry() -> String {
    StandardScheme::from_whsec(OTHER_SECRET).unwrap().sign(
        EXAMPLE_ID,
        EXAMPLE_TIMESTAMP,
        kit::example(),
    )
}

// --- the known answer -----------------------------------------------------------------------

#[test]
fn sign_reproduces_the_specification_known_answer() {
    assert_eq!(
        scheme().sign(EXAMPLE_ID, EXAMPLE_TIMESTAMP, kit::example()),
        EXAMPLE_SIGNATURE
    );
    assert_eq!(
        kit::example(),
        br#"{"email":"test@example.com","username":"test_user"}"#
    );
}

#[test]
fn the_specification_known_answer_verifies() {
    let headers = example_headers(EXAMPLE_SIGNATURE);
    let verified = scheme().verify(&headers, kit::example()).unwrap();
    assert_eq!(verified.payload(), kit::example());
    assert_eq!(verified.id(), Some(EXAMPLE_ID));
    assert_eq!(
        verified.timestamp().map(|t| t.unix_timestamp()),
        Some(EXAMPLE_TIMESTAMP)
    );
}

#[test]
fn the_known_answer_parses_into_a_delivery_keyed_on_webhook_id() {
    let delivery = provider()
        .verify_and_parse(&example_headers(EXAMPLE_SIGNATURE), kit::example())
        .unwrap();
    assert_eq!(delivery.id.provider(), "standard");
    assert_eq!(delivery.id.as_str(), EXAMPLE_ID);
    assert_eq!(
        delivery.timestamp.map(|t| t.unix_timestamp()),
        Some(EXAMPLE_TIMESTAMP)
    );
    assert_eq!(delivery.event["email"], "test@example.com");
}

#[test]
fn the_testing_kit_signs_as_the_specification_does() {
    let request = kit::sign(&scheme(), EXAMPLE_ID, EXAMPLE_TIMESTAMP, kit::example());
    assert_eq!(request.header("webhook-id"), Some(EXAMPLE_ID));
    assert_eq!(request.header("webhook-timestamp"), Some("1649367553"));
    assert_eq!(request.header("webhook-signature"), Some(EXAMPLE_SIGNATURE));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body(), kit::example());
    // The receiver itself is a signer too.
    let again = kit::sign(&provider(), EXAMPLE_ID, EXAMPLE_TIMESTAMP, kit::example());
    assert_eq!(again, request);
}

#[test]
fn a_secret_reads_the_same_with_or_without_the_whsec_prefix_or_as_raw_bytes() {
    let bare = StandardScheme::from_whsec("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let raw = StandardScheme::new(Secret::from_base64("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap());
    for scheme in [bare, raw] {
        assert_eq!(
            scheme.sign(EXAMPLE_ID, EXAMPLE_TIMESTAMP, kit::example()),
            EXAMPLE_SIGNATURE
        );
    }
}

#[test]
fn a_bad_secret_is_a_configuration_error_at_start_up() {
    for secret in ["", "whsec_", "   ", "whsec_not base64!", "whsec_@@@@"] {
        assert!(
            StandardScheme::from_whsec(secret).is_err(),
            "{secret:?} accepted"
        );
        assert!(StandardWebhooks::<serde_json::Value>::from_whsec(secret).is_err());
    }
    assert!(StandardScheme::parse_secret(EXAMPLE_SECRET).is_ok());
}

// --- tampering --------------------------------------------------------------------------------

#[test]
fn flipping_any_byte_of_the_body_is_rejected() {
    let scheme = scheme();
    let headers = example_headers(EXAMPLE_SIGNATURE);
    for i in 0..kit::example().len() {
        let mut body = kit::example().to_vec();
        body[i] ^= 0x01;
        assert!(
            matches!(scheme.verify(&headers, &body), Err(Error::InvalidSignature)),
            "body byte {i} flipped and accepted"
        );
    }
    let mut longer = kit::example().to_vec();
    longer.push(b' ');
    assert!(scheme.verify(&headers, &longer).is_err());
    let shorter = &kit::example()[..kit::example().len() - 1];
    assert!(scheme.verify(&headers, shorter).is_err());
    assert!(scheme.verify(&headers, b"").is_err());
}

#[test]
fn flipping_any_byte_of_the_id_is_rejected() {
    let scheme = scheme();
    for i in 0..EXAMPLE_ID.len() {
        let mut id = EXAMPLE_ID.as_bytes().to_vec();
        id[i] ^= 0x01;
        let id = String::from_utf8(id).unwrap();
        let headers = headers(&id, "1649367553", EXAMPLE_SIGNATURE);
        assert!(
            matches!(
                scheme.verify(&headers, kit::example()),
                Err(Error::InvalidSignature)
            ),
            "id byte {i} flipped and accepted"
        );
    }
}

#[test]
fn flipping_any_byte_of_the_timestamp_is_rejected() {
    // A clock that accepts any timestamp: the signature alone must reject each change.
    let scheme = scheme().tolerance(Duration::from_secs(u64::MAX));
    let timestamp = EXAMPLE_TIMESTAMP.to_string();
    for i in 0..timestamp.len() {
        for flip in [0x01, 0x02, 0x04, 0x08] {
            let mut changed = timestamp.as_bytes().to_vec();
            changed[i] ^= flip;
            let changed = String::from_utf8(changed).unwrap();
            let changed_headers = headers(EXAMPLE_ID, &changed, EXAMPLE_SIGNATURE);
            let result = scheme.verify(&changed_headers, kit::example());
            assert!(
                matches!(
                    result,
                    Err(Error::InvalidSignature | Error::MalformedTimestamp)
                ),
                "timestamp {changed:?} gave {result:?}"
            );
        }
    }
    // The same instant written differently is different signed content.
    let padded = headers(EXAMPLE_ID, "01649367553", EXAMPLE_SIGNATURE);
    assert!(matches!(
        scheme.verify(&padded, kit::example()),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn flipping_any_byte_of_the_signature_is_rejected() {
    let scheme = scheme();
    for i in 0..EXAMPLE_SIGNATURE.len() {
        for flip in [0x01, 0x02, 0x20] {
            let mut changed = EXAMPLE_SIGNATURE.as_bytes().to_vec();
            changed[i] ^= flip;
            let Ok(changed) = String::from_utf8(changed) else {
                continue;
            };
            let changed_headers = example_headers(&changed);
            let result = scheme.verify(&changed_headers, kit::example());
            assert!(
                matches!(
                    result,
                    Err(Error::InvalidSignature | Error::MalformedSignature { .. })
                ),
                "signature {changed:?} gave {result:?}"
            );
        }
    }
}

#[test]
fn a_signature_failure_does_not_echo_the_expected_signature() {
    let err = verify_signature(&wrong_entry()).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(&EXAMPLE_SIGNATURE[3..]), "{shown}");
    assert_eq!(err.status(), 401);
}

// --- rotation -------------------------------------------------------------------------------

fn rotating_scheme() -> StandardScheme {
    let keys = Keyring::new(StandardScheme::parse_secret(NEW_SECRET).unwrap())
        .with(StandardScheme::parse_secret(EXAMPLE_SECRET).unwrap());
    StandardScheme::new(keys).clock(Arc::new(ManualClock::at_unix(EXAMPLE_TIMESTAMP)))
}

#[test]
fn a_keyring_accepts_the_old_and_the_new_secret_and_nothing_else() {
    let scheme = rotating_scheme();
    let signed_by = |secret: &str| {
        StandardScheme::from_whsec(secret).unwrap().sign(
            EXAMPLE_ID,
            EXAMPLE_TIMESTAMP,
            kit::example(),
        )
    };
    for secret in [NEW_SECRET, EXAMPLE_SECRET] {
        let headers = example_headers(&signed_by(secret));
        assert!(scheme.verify(&headers, kit::example()).is_ok(), "{secret}");
    }
    let third = example_headers(&signed_by(OTHER_SECRET));
    assert!(matches!(
        scheme.verify(&third, kit::example()),
        Err(Error::InvalidSignature)
    ));
    // The primary (first) secret signs.
    assert_eq!(
        scheme.sign(EXAMPLE_ID, EXAMPLE_TIMESTAMP, kit::example()),
        signed_by(NEW_SECRET)
    );
}

#[test]
fn every_entry_of_the_list_is_checked_so_the_last_valid_one_accepts() {
    let list = format!(
        "{} v2,abc v1a,Zm9v {} {EXAMPLE_SIGNATURE}",
        wrong_entry(),
        wrong_entry()
    );
    assert!(verify_signature(&list).is_ok());
    let first = format!("{EXAMPLE_SIGNATURE} {}", wrong_entry());
    assert!(verify_signature(&first).is_ok());
    // Entries may be separated by several spaces or tabs.
    let spaced = format!("{}   \t {EXAMPLE_SIGNATURE}", wrong_entry());
    assert!(verify_signature(&spaced).is_ok());
}

#[test]
fn a_list_of_only_wrong_entries_is_an_invalid_signature() {
    assert_invalid_signature(verify_signature(&wrong_entry()));
    let list = format!("{} {}", wrong_entry(), wrong_entry());
    assert_invalid_signature(verify_signature(&list));
    // A malformed entry beside a well-formed wrong one: the wrong one decides.
    assert_invalid_signature(verify_signature(&format!("v1, {}", wrong_entry())));
}

// --- the replay window ---------------------------------------------------------------------

fn verify_at(scheme: &StandardScheme, sent_at: i64) -> Result<(), Error> {
    let request = kit::sign(scheme, EXAMPLE_ID, sent_at, kit::example());
    scheme.verify(request.headers(), request.body()).map(drop)
}

#[test]
fn timestamps_within_300_seconds_either_way_are_accepted() {
    let now = EXAMPLE_TIMESTAMP;
    let scheme = scheme_at(now);
    for offset in [-299, -1, 0, 1, 299, -300, 300] {
        assert!(verify_at(&scheme, now + offset).is_ok(), "offset {offset}");
    }
}

#[test]
fn timestamps_beyond_300_seconds_either_way_are_rejected() {
    let now = EXAMPLE_TIMESTAMP;
    let scheme = scheme_at(now);
    for offset in [-301, 301, -86_400, 86_400] {
        match verify_at(&scheme, now + offset) {
            Err(Error::TimestampOutOfTolerance {
                skew_seconds,
                tolerance_seconds,
            }) => {
                assert_eq!(skew_seconds, offset);
                assert_eq!(tolerance_seconds, 300);
            }
            other => panic!("offset {offset}: {other:?}"),
        }
    }
    // The far past and the far future are rejected too.
    assert!(verify_at(&scheme, 0).is_err());
    assert!(verify_at(&scheme, 253_402_300_799).is_err());
}

#[test]
fn the_window_moves_with_the_injected_clock() {
    let clock = ManualClock::at_unix(EXAMPLE_TIMESTAMP);
    let scheme = StandardScheme::from_whsec(EXAMPLE_SECRET)
        .unwrap()
        .clock(Arc::new(clock.clone()));
    let headers = example_headers(EXAMPLE_SIGNATURE);
    assert!(scheme.verify(&headers, kit::example()).is_ok());
    clock.advance(time::Duration::seconds(301));
    assert!(matches!(
        scheme.verify(&headers, kit::example()),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
}

#[test]
fn the_window_is_configurable() {
    let now = EXAMPLE_TIMESTAMP;
    let narrow = scheme_at(now).tolerance(Duration::from_secs(60));
    assert!(verify_at(&narrow, now - 60).is_ok());
    assert!(verify_at(&narrow, now + 60).is_ok());
    assert!(verify_at(&narrow, now - 61).is_err());
    assert!(verify_at(&narrow, now + 61).is_err());

    let wide = scheme_at(now).tolerance(Duration::from_secs(3_600));
    assert!(verify_at(&wide, now - 3_600).is_ok());
    assert!(verify_at(&wide, now + 3_601).is_err());
    assert_eq!(StandardScheme::DEFAULT_TOLERANCE, Duration::from_secs(300));
}

#[test]
fn the_timestamp_is_checked_before_the_signature() {
    let scheme = scheme_at(EXAMPLE_TIMESTAMP + 3_600);
    assert!(matches!(
        scheme.verify(&example_headers("v1,"), kit::example()),
        Err(Error::TimestampOutOfTolerance { .. })
    ));
}

#[test]
fn a_missing_or_malformed_timestamp_is_rejected() {
    let scheme = scheme();
    let mut missing = example_headers(EXAMPLE_SIGNATURE);
    missing.retain(|(name, _)| name != "webhook-timestamp");
    assert!(matches!(
        scheme.verify(&missing, kit::example()),
        Err(Error::MissingTimestamp)
    ));
    for bad in [
        "",
        "abc",
        "-1649367553",
        "+1649367553",
        "1649367553.0",
        "1.6e9",
        "1649 367553",
        "99999999999999999999999",
        // Beyond the year 9999.
        "253402300800000",
    ] {
        let headers = headers(EXAMPLE_ID, bad, EXAMPLE_SIGNATURE);
        let result = scheme.verify(&headers, kit::example());
        assert!(
            matches!(result, Err(Error::MalformedTimestamp)),
            "{bad:?}: {result:?}"
        );
    }
    let not_utf8: Vec<(&str, &[u8])> = vec![
        ("webhook-id", EXAMPLE_ID.as_bytes()),
        ("webhook-timestamp", b"16493\xff7553"),
        ("webhook-signature", EXAMPLE_SIGNATURE.as_bytes()),
    ];
    assert!(matches!(
        scheme.verify(&not_utf8, kit::example()),
        Err(Error::MalformedTimestamp)
    ));
}

// --- malformed signature lists ---------------------------------------------------------------

#[test]
fn an_empty_v1_entry_never_verifies() {
    // The famous bug: a comparison that stopped at the shorter input accepted `v1,`.
    for list in ["v1,", "v1, ", " v1,", "v1,\t", "v1, v1,", "v1,="] {
        assert_malformed_signature(verify_signature(list));
    }
    // `v1,` then a space and the genuine base64: the base64 is no longer a `v1` entry.
    assert_malformed_signature(verify_signature(&format!(
        "v1, {}",
        &EXAMPLE_SIGNATURE[3..]
    )));
    // With any body whatsoever.
    let scheme = scheme();
    for body in [&b""[..], b"{}", b"anything"] {
        assert!(
            scheme.verify(&example_headers("v1,"), body).is_err(),
            "{body:?}"
        );
    }
}

#[test]
fn an_empty_signature_header_is_malformed() {
    for list in ["", " ", "   \t "] {
        assert_malformed_signature(verify_signature(list));
    }
}

#[test]
fn a_list_of_only_unknown_versions_is_malformed() {
    let mac = &EXAMPLE_SIGNATURE[3..];
    for list in [
        format!("v2,{mac}"),
        "v2,xxx v2,yyy".to_owned(),
        format!("v1a,{mac}"),
        format!("V1,{mac}"),
        mac.to_owned(),
        "garbage".to_owned(),
        ",".to_owned(),
    ] {
        match verify_signature(&list) {
            Err(Error::MalformedSignature { reason }) => {
                assert_eq!(reason, "no supported signature version", "{list}");
            }
            other => panic!("{list}: {other:?}"),
        }
    }
}

#[test]
fn undecodable_v1_entries_are_malformed() {
    let mac = &EXAMPLE_SIGNATURE[3..];
    let wrong_base64 = format!("v1,{}!", &mac[..43]);
    let url_safe = format!("v1,{}", mac.replace('/', "_").replace('+', "-"));
    let truncated = format!("v1,{}", &mac[..40]);
    let over_long = format!("v1,{mac}AAAA");
    let hex = format!(
        "v1,{}",
        "b59d48e3f843ca000980ee5363189277a49dd240d6ea13de9c37be6d36b72a4c"
    );
    for list in [wrong_base64, url_safe, truncated, over_long, hex] {
        assert_malformed_signature(verify_signature(&list));
    }
    // Unpadded base64 is accepted.
    assert!(verify_signature(EXAMPLE_SIGNATURE.trim_end_matches('=')).is_ok());
}

#[test]
fn a_missing_signature_header_is_missing_signature() {
    let mut headers = example_headers(EXAMPLE_SIGNATURE);
    headers.retain(|(name, _)| name != "webhook-signature");
    match scheme().verify(&headers, kit::example()) {
        Err(Error::MissingSignature { location }) => assert_eq!(location, "webhook-signature"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_or_empty_id_is_rejected() {
    let mut headers = example_headers(EXAMPLE_SIGNATURE);
    headers.retain(|(name, _)| name != "webhook-id");
    match scheme().verify(&headers, kit::example()) {
        Err(Error::MissingHeader { header }) => assert_eq!(header, "webhook-id"),
        other => panic!("{other:?}"),
    }
    let empty = self::headers("", "1649367553", EXAMPLE_SIGNATURE);
    assert!(matches!(
        scheme().verify(&empty, kit::example()),
        Err(Error::MalformedHeader { .. })
    ));
}

#[test]
fn every_rejection_is_an_authentication_failure() {
    for list in ["", "v1,", "v2,x", wrong_entry().as_str()] {
        let err = verify_signature(list).unwrap_err();
        assert_eq!(err.status(), 401, "{list}: {err:?}");
        assert!(err.is_authentication());
    }
}

// --- header names -------------------------------------------------------------------------

#[test]
fn svix_headers_are_accepted() {
    let request = kit::sign_svix(&scheme(), EXAMPLE_ID, EXAMPLE_TIMESTAMP, kit::example());
    assert_eq!(request.header("svix-id"), Some(EXAMPLE_ID));
    assert_eq!(request.header("svix-signature"), Some(EXAMPLE_SIGNATURE));
    assert_eq!(request.header("webhook-id"), None);
    let delivery = provider()
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.id.as_str(), EXAMPLE_ID);
}

#[test]
fn errors_name_the_svix_headers_when_the_svix_set_is_used() {
    let headers = [
        ("svix-timestamp", "1649367553"),
        ("svix-signature", EXAMPLE_SIGNATURE),
    ];
    match scheme().verify(&headers, kit::example()) {
        Err(Error::MissingHeader { header }) => assert_eq!(header, "svix-id"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_webhook_set_wins_over_the_svix_set() {
    // A genuine `webhook-` set beside forged `svix-` headers, and the other way round.
    let mut genuine = example_headers(EXAMPLE_SIGNATURE);
    genuine.push(("svix-id".to_owned(), "forged".to_owned()));
    genuine.push(("svix-signature".to_owned(), "v1,".to_owned()));
    assert!(scheme().verify(&genuine, kit::example()).is_ok());

    let mut forged = example_headers(&wrong_entry());
    forged.push(("svix-id".to_owned(), EXAMPLE_ID.to_owned()));
    forged.push(("svix-timestamp".to_owned(), "1649367553".to_owned()));
    forged.push(("svix-signature".to_owned(), EXAMPLE_SIGNATURE.to_owned()));
    assert!(scheme().verify(&forged, kit::example()).is_err());
}

#[test]
fn header_names_match_in_any_case() {
    let headers = [
        ("Webhook-Id", EXAMPLE_ID),
        ("WEBHOOK-TIMESTAMP", "1649367553"),
        ("wEbHoOk-SiGnAtUrE", EXAMPLE_SIGNATURE),
    ];
    assert!(scheme().verify(&headers, kit::example()).is_ok());
    let svix = [
        ("Svix-Id", EXAMPLE_ID),
        ("SVIX-TIMESTAMP", "1649367553"),
        ("Svix-Signature", EXAMPLE_SIGNATURE),
    ];
    assert!(scheme().verify(&svix, kit::example()).is_ok());
}

#[test]
fn header_values_are_trimmed() {
    let headers = headers(
        " msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        "1649367553 ",
        &format!(" {EXAMPLE_SIGNATURE} "),
    );
    assert!(scheme().verify(&headers, kit::example()).is_ok());
}

// --- parsing --------------------------------------------------------------------------------

#[derive(Debug, Deserialize, PartialEq)]
struct Signup {
    email: String,
    username: String,
}

#[test]
fn deliveries_parse_into_the_users_own_type() {
    let provider = StandardWebhooks::<Signup>::new(scheme());
    let request = kit::sign(&provider, "msg_typed", EXAMPLE_TIMESTAMP, kit::example());
    let delivery = provider
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(
        delivery.event,
        Signup {
            email: "test@example.com".to_owned(),
            username: "test_user".to_owned(),
        }
    );
    assert_eq!(delivery.id.key(), "standard:msg_typed");
}

#[test]
fn deliveries_parse_into_json_values_by_default() {
    let provider: StandardWebhooks = StandardWebhooks::new(scheme());
    let body = br#"{"type":"invoice.paid","data":{"amount":1200,"new_field":[1,2]}}"#;
    let request = kit::sign(&provider, "msg_1", EXAMPLE_TIMESTAMP, &body[..]);
    let delivery = provider
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.event["data"]["amount"], 1200);
}

#[test]
fn a_non_json_body_with_a_valid_signature_is_malformed_payload() {
    let provider = StandardWebhooks::<Signup>::new(scheme());
    let request = kit::sign(&provider, "msg_1", EXAMPLE_TIMESTAMP, "not json");
    let err = provider
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert!(matches!(err, Error::MalformedPayload(_)), "{err:?}");
    assert_eq!(err.status(), 400);
}

#[test]
fn json_of_the_wrong_shape_is_unexpected_payload() {
    let provider = StandardWebhooks::<Signup>::new(scheme());
    let request = kit::sign(&provider, "msg_1", EXAMPLE_TIMESTAMP, r#"{"email":42}"#);
    let err = provider
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");
    assert_eq!(err.status(), 422);
}

#[test]
fn an_unverified_body_is_never_parsed() {
    // Invalid JSON under a bad signature: the signature error comes first.
    let provider = StandardWebhooks::<Signup>::new(scheme());
    let err = provider
        .verify_and_parse(&example_headers("v1,"), b"not json")
        .unwrap_err();
    assert!(matches!(err, Error::MalformedSignature { .. }), "{err:?}");
}

// --- provider configuration -------------------------------------------------------------------

#[test]
fn the_namespace_is_configurable() {
    let provider: StandardWebhooks = StandardWebhooks::new(scheme()).namespace("svix-acme");
    assert_eq!(provider.name(), "svix-acme");
    let request = kit::sign(&provider, EXAMPLE_ID, EXAMPLE_TIMESTAMP, kit::example());
    let delivery = provider
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.id.key(), format!("svix-acme:{EXAMPLE_ID}"));
    assert_eq!(provider.clone().name(), "svix-acme");
}

#[test]
fn the_body_limit_is_configurable() {
    let provider: StandardWebhooks = StandardWebhooks::new(scheme()).with_body_limit(16);
    assert_eq!(provider.body_limit(), 16);
    let request = kit::sign(&provider, EXAMPLE_ID, EXAMPLE_TIMESTAMP, kit::example());
    let err = provider
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 16, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), 413);
    assert_eq!(
        StandardWebhooks::<Signup>::new(scheme()).body_limit(),
        webhook_receiver::DEFAULT_BODY_LIMIT
    );
}

#[test]
fn dangerous_parsing_takes_the_id_and_timestamp_from_headers_without_checks() {
    let provider: StandardWebhooks = StandardWebhooks::new(scheme_at(0));
    // A forged signature and a timestamp far outside the window.
    let headers = example_headers("v1,");
    let delivery = dangerous::parse_unverified(&provider, &headers, kit::example()).unwrap();
    assert_eq!(delivery.id.as_str(), EXAMPLE_ID);
    assert_eq!(
        delivery.timestamp.map(|t| t.unix_timestamp()),
        Some(EXAMPLE_TIMESTAMP)
    );
    // Svix names too.
    let svix = [("svix-id", "msg_svix"), ("svix-timestamp", "12")];
    let delivery = dangerous::parse_unverified(&provider, &svix, kit::example()).unwrap();
    assert_eq!(delivery.id.as_str(), "msg_svix");
    // Without an id header: the body digest.
    let none: [(&str, &str); 0] = [];
    let delivery = dangerous::parse_unverified(&provider, &none, kit::example()).unwrap();
    assert!(delivery.id.as_str().starts_with("sha256:"));
    assert_eq!(delivery.timestamp, None);
}

// --- guarantees -----------------------------------------------------------------------------

#[test]
fn receivers_are_send_sync_and_clone_whatever_the_event_type() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<StandardScheme>();
    assert_send_sync_clone::<StandardWebhooks>();
    assert_send_sync_clone::<StandardWebhooks<Signup>>();
    // Even an event type that is itself neither Send nor Sync nor Clone.
    assert_send_sync_clone::<StandardWebhooks<std::rc::Rc<std::cell::Cell<u8>>>>();
}

#[test]
fn debug_output_never_shows_a_secret() {
    let raw_key = StandardScheme::parse_secret(EXAMPLE_SECRET).unwrap();
    let provider: StandardWebhooks = StandardWebhooks::new(rotating_scheme());
    let shown = format!(
        "{provider:?} {provider:#?} {:?} {raw_key:?}",
        provider.scheme()
    );
    for secret in [EXAMPLE_SECRET, NEW_SECRET] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains(&secret[6..16]), "{shown}");
    }
    assert!(shown.contains("keys: 2"), "{shown}");
}

#[test]
fn a_signed_request_from_the_kit_verifies_through_the_provider() {
    let provider = provider();
    let request: SignedRequest = kit::sign(&provider, "msg_kit", EXAMPLE_TIMESTAMP + 10, "{}");
    let delivery = provider
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(delivery.id.as_str(), "msg_kit");
}
