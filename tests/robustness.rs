//! Hostile input: never a panic or a stack overflow, always a clear error; thread safety;
//! secrets never printed.

mod common;

use common::*;
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::testing::Signer;
use webhook_receiver::{Delivery, Error, Provider, dangerous};

fn deep(levels: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(levels * 2 + 2);
    body.extend(std::iter::repeat_n(b'[', levels));
    body.extend(std::iter::repeat_n(b']', levels));
    body
}

#[test]
fn non_utf8_bodies_are_malformed() {
    let body = b"{\"user_id\":\"\xff\xfe\",\"webhook_action\":\"user.created\"}";
    let palenca = palenca();
    let request = palenca.sign(body);
    let err = palenca
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert!(matches!(err, Error::MalformedPayload(_)), "{err:?}");

    // Invalid UTF-8 in a field receeve reads: malformed. (Elsewhere in an unsigned envelope it
    // is skipped, and the delivery fails for lack of signed content: still an error.)
    let err = receeve()
        .verify_and_parse(
            &[("a", "b")],
            b"{\"payloadAsString\":\"\xff\",\"signature\":\"00\"}",
        )
        .unwrap_err();
    assert!(matches!(err, Error::MalformedPayload(_)), "{err:?}");
    assert!(
        receeve()
            .verify_and_parse(&[("a", "b")], &body[..])
            .is_err()
    );
}

#[test]
fn bodies_nested_ten_thousand_levels_are_errors_not_stack_overflows() {
    let palenca = palenca();
    // At the top level the shape is wrong before any depth is reached (422); inside an unknown
    // field the value is skipped without recursion (serde_json skips iteratively), so the
    // delivery parses. Neither recurses 10,000 levels.
    let request = palenca.sign(&deep(10_000));
    let err = palenca
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert_eq!(err.status(), 422, "{err:?}");
    let nested = format!(
        r#"{{"webhook_action":"user.created","user_id":"d1c9b98b-3190-479e-99db-04060ff3997f","extra":{}}}"#,
        String::from_utf8(deep(10_000)).unwrap()
    );
    let request = palenca.sign(nested.as_bytes());
    assert!(
        palenca
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );

    let munity = munity();
    let nested_payload = format!(
        r#"{{"workspace_id":"w","event":"brand_new","payload":{}}}"#,
        String::from_utf8(deep(10_000)).unwrap()
    );
    let request = munity.sign(nested_payload.as_bytes());
    // An unknown event's payload is arbitrary JSON, kept as raw text without building it:
    // accepted. Building a `serde_json::Value` from it is where the nesting limit applies.
    let delivery = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    let webhook_receiver::providers::munity::Event::Other { payload, .. } = delivery.event.event
    else {
        panic!("an unknown event");
    };
    assert_eq!(payload.get().len(), 20_000);
    assert_eq!(payload.to_value().unwrap_err().status(), 400);

    let receeve = receeve();
    let signed = format!(
        r#"{{"details":{{"messageType":"event.note.created","x":{}}},"messageId":"m","timestamp":"2021-10-14T15:33:16.848Z"}}"#,
        String::from_utf8(deep(10_000)).unwrap()
    );
    let request = receeve.sign(signed.as_bytes());
    let err = receeve
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert_eq!(err.status(), 400, "{err:?}");
    // A top-level array holds no `payloadAsString`: refused without recursing.
    assert!(
        receeve
            .verify_and_parse(&[("a", "b")], &deep(10_000))
            .is_err()
    );
}

#[test]
fn bodies_over_the_limit_are_413_before_verification() {
    let palenca = palenca().with_body_limit(64);
    let body = vec![b' '; 65];
    // No signature header at all: the size check comes first.
    let err = palenca.verify_and_parse(&[("a", "b")], &body).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BodyTooLarge {
                limit: 64,
                actual: 65
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.status(), 413);
    let at_limit = palenca.sign(&body[..64]);
    assert_ne!(
        palenca
            .verify_and_parse(at_limit.headers(), at_limit.body())
            .unwrap_err()
            .status(),
        413
    );

    let default = receeve();
    let big = vec![b'x'; webhook_receiver::DEFAULT_BODY_LIMIT + 1];
    assert_eq!(
        default
            .verify_and_parse(&[("a", "b")], &big)
            .unwrap_err()
            .status(),
        413
    );
    assert_eq!(
        dangerous::parse_unverified(&default, &[("a", "b")], &big)
            .unwrap_err()
            .status(),
        413
    );
}

#[test]
fn unknown_fields_everywhere_parse() {
    let palenca = palenca();
    let body = br#"{"webhook_url":"u","new_top":1,"data":{"user_id":"d1c9b98b-3190-479e-99db-04060ff3997f","webhook_action":"login.retry","new_inner":[1,2]}}"#;
    let request = palenca.sign(body);
    assert!(
        palenca
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );

    let receeve = receeve();
    let signed = r#"{"details":{"messageType":"event.claim.created.v1","claimRef":"C","amount":1,"currency":"EUR","newField":{"a":1}},"messageId":"m","timestamp":"2021-10-14T15:33:16.848Z","newTop":true,"user":{"id":"u","newUserField":1}}"#;
    let request = receeve.sign(signed.as_bytes());
    assert!(
        receeve
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    let palenca = palenca();
    let receeve = receeve();
    let munity = munity();
    let samples: [&[u8]; 8] = [
        b"",
        b"null",
        b"[]",
        b"{\"payloadAsString\":null,\"signature\":5}",
        b"{\"payloadAsString\":\"\\ud800\",\"signature\":\"\"}",
        b"\x00\x01\x02",
        b"{\"data\":null,\"webhook_action\":7}",
        b"{\"workspace_id\":{},\"event\":[]}",
    ];
    for body in samples {
        let _ = receeve.verify_and_parse(&[("x", "y")], body);
        let request = palenca.sign(body);
        let _ = palenca.verify_and_parse(request.headers(), request.body());
        let request = munity.sign(body);
        let _ = munity.verify_and_parse(request.headers(), request.body());
        let _ = dangerous::parse_unverified(&receeve, &[("x", "y")], body);
    }
}

#[test]
fn dangerous_path_skips_only_the_signature() {
    let receeve = receeve();
    let request = receeve_with(secret("someone-else")).sign(
        br#"{"details":{"messageType":"event.note.created"},"messageId":"m-9","timestamp":"2021-10-14T15:33:16.848Z"}"#,
    );
    assert!(
        receeve
            .verify_and_parse(request.headers(), request.body())
            .is_err()
    );
    let delivery =
        dangerous::parse_unverified(&receeve, request.headers(), request.body()).unwrap();
    assert_eq!(delivery.id.as_str(), "m-9");
}

#[test]
fn providers_and_deliveries_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Palenca>();
    assert_send_sync::<Receeve>();
    assert_send_sync::<Munity>();
    assert_send_sync::<Delivery<webhook_receiver::providers::palenca::Event>>();
    assert_send_sync::<Delivery<webhook_receiver::providers::receeve::Message>>();
    assert_send_sync::<Delivery<webhook_receiver::providers::munity::Webhook>>();
    assert_send_sync::<webhook_receiver::Secret>();
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
}

#[test]
fn debug_never_prints_a_secret() {
    let rendered = [
        format!("{:?}", palenca()),
        format!("{:?}", palenca_token("token-value-123")),
        format!("{:?}", munity()),
        format!("{:?}", receeve()),
        format!("{:?}", secret("plain-secret")),
    ];
    for text in rendered {
        for secret in [
            PALENCA_KEY,
            MUNITY_KEY,
            RECEEVE_KEY,
            "token-value-123",
            "plain-secret",
        ] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
