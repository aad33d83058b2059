//! Palenca: the three body shapes, reason codes, message ids and authentication choices.

mod common;

use common::*;
use webhook_receiver::providers::palenca::{StatusDetails, WebhookAction};
use webhook_receiver::testing::{self, Signer};
use webhook_receiver::{Error, MessageId, Provider};

#[test]
fn seed_flat_example_parses_verbatim() {
    let palenca = palenca();
    let request = testing::palenca::account_created_flat().signed_with(&palenca);
    let delivery = palenca
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    let event = delivery.event;
    assert_eq!(event.action, WebhookAction::AccountCreated);
    assert_eq!(
        event.user_id.to_string(),
        "f2a6d844-22ee-455d-9d2c-deb413d78b74"
    );
    assert_eq!(
        event.account_id.map(|a| a.to_string()).as_deref(),
        Some("d86efb5b-4bbf-4f28-8576-9612430bc5e2")
    );
    assert_eq!(event.country.as_deref(), Some("mx"));
    assert_eq!(event.platform.as_deref(), Some("uber"));
    assert_eq!(event.webhook_url, None);
    assert_eq!(event.webhook_id, None);
}

#[test]
fn seed_tutorial_examples_parse_verbatim() {
    let palenca = palenca();
    let created = testing::palenca::login_created().signed_with(&palenca);
    let created = palenca
        .verify_and_parse(created.headers(), created.body())
        .unwrap()
        .event;
    assert_eq!(created.action, WebhookAction::LoginCreated);
    assert_eq!(created.external_id, None, "the text \"None\" means absent");
    assert_eq!(created.status_details, Some(StatusDetails::PendingForData));
    assert_eq!(
        created.webhook_url.as_deref(),
        Some("https://webhook.site/31f0c91d-a258-475e-800e-80cfd771d017")
    );
    assert!(!created.should_fetch_data());

    let success = testing::palenca::login_success().signed_with(&palenca);
    let success = palenca
        .verify_and_parse(success.headers(), success.body())
        .unwrap()
        .event;
    assert_eq!(success.action, WebhookAction::LoginSuccess);
    assert_eq!(success.status_details, None);
    assert!(success.should_fetch_data());
}

#[test]
fn older_and_current_envelopes_parse() {
    let palenca = palenca();
    let older = testing::palenca::account_connected_envelope().signed_with(&palenca);
    let older = palenca
        .verify_and_parse(older.headers(), older.body())
        .unwrap();
    assert_eq!(older.event.action, WebhookAction::AccountConnected);
    assert_eq!(older.event.country.as_deref(), Some("mx"));

    let current = testing::palenca::login_error().signed_with(&palenca);
    let current = palenca
        .verify_and_parse(current.headers(), current.body())
        .unwrap();
    assert_eq!(current.event.action, WebhookAction::LoginError);
    assert_eq!(current.event.external_id.as_deref(), Some("customer-4711"));
    assert_eq!(
        current.event.status_details,
        Some(StatusDetails::InvalidCredentials)
    );
    assert_eq!(
        current.id,
        MessageId::new("palenca", "7b0c4a52-0f5e-4d35-9a0e-2b1f4c8d9e10"),
        "data.webhook_id is the message id"
    );
}

#[test]
fn message_id_without_webhook_id_is_the_body_digest_and_stable_across_retries() {
    let palenca = palenca();
    let request = testing::palenca::login_success().signed_with(&palenca);
    let first = palenca
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    let retry = palenca
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    assert_eq!(first.id, retry.id);
    assert_eq!(first.id.provider(), "palenca");
    assert_eq!(first.id, MessageId::digest("palenca", request.body()));
    let other = testing::palenca::login_created().signed_with(&palenca);
    let other = palenca
        .verify_and_parse(other.headers(), other.body())
        .unwrap();
    assert_ne!(first.id, other.id);
}

#[test]
fn every_documented_action_round_trips_and_unknown_ones_parse() {
    let documented = include_str!("fixtures/catalogue/palenca-webhook-actions.txt");
    let actions: Vec<&str> = documented.split_whitespace().collect();
    assert_eq!(WebhookAction::KNOWN.len(), 18);
    assert_eq!(actions.len(), 18);
    for action in actions {
        let parsed = WebhookAction::from_wire(action);
        assert!(parsed.is_known(), "{action}");
        assert_eq!(parsed.as_str(), action);
    }
    let palenca = palenca();
    let body = br#"{"user_id":"f2a6d844-22ee-455d-9d2c-deb413d78b74","webhook_action":"payout.sent","brand_new_field":{"x":1}}"#;
    let request = palenca.sign(body);
    let event = palenca
        .verify_and_parse(request.headers(), request.body())
        .unwrap()
        .event;
    assert_eq!(event.action, WebhookAction::Other("payout.sent".into()));
    assert_eq!(event.action.as_str(), "payout.sent");
}

#[test]
fn every_documented_reason_code_round_trips_and_unknown_ones_parse() {
    let documented = include_str!("fixtures/catalogue/palenca-status-details.txt");
    let codes: Vec<&str> = documented.split_whitespace().collect();
    assert_eq!(StatusDetails::KNOWN.len(), codes.len());
    for code in codes {
        let parsed = StatusDetails::from_wire(code);
        assert!(parsed.is_known(), "{code}");
        assert_eq!(parsed.as_str(), code);
    }
    let unknown = StatusDetails::from_wire("brand_new_reason");
    assert!(!unknown.is_known());
    assert_eq!(unknown.as_str(), "brand_new_reason");
}

#[test]
fn shape_errors_are_422_and_syntax_errors_400() {
    let palenca = palenca();
    let missing_action = palenca.sign(br#"{"user_id":"f2a6d844-22ee-455d-9d2c-deb413d78b74"}"#);
    let err = palenca
        .verify_and_parse(missing_action.headers(), missing_action.body())
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");
    assert_eq!(err.status(), 422);

    let bad_uuid = palenca.sign(br#"{"user_id":"not-a-uuid","webhook_action":"user.created"}"#);
    let err = palenca
        .verify_and_parse(bad_uuid.headers(), bad_uuid.body())
        .unwrap_err();
    assert_eq!(err.status(), 422, "{err:?}");

    let syntax = palenca.sign(b"{\"user_id\":");
    let err = palenca
        .verify_and_parse(syntax.headers(), syntax.body())
        .unwrap_err();
    assert!(matches!(err, Error::MalformedPayload(_)), "{err:?}");
    assert_eq!(err.status(), 400);
}

#[test]
fn token_authentication() {
    let palenca = palenca_token("shared-token");
    let request = testing::palenca::login_success().signed_with(&palenca);
    assert_eq!(request.header("x-palenca-token"), Some("shared-token"));
    assert!(
        palenca
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );

    let wrong = request
        .clone()
        .with_header("x-palenca-token", "shared-tokeN");
    let err = palenca
        .verify_and_parse(wrong.headers(), wrong.body())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidToken), "{err:?}");
    let empty = request.clone().with_header("x-palenca-token", "");
    assert!(matches!(
        palenca.verify_and_parse(empty.headers(), empty.body()),
        Err(Error::InvalidToken)
    ));
    let missing = request.without_header("x-palenca-token");
    let err = palenca
        .verify_and_parse(missing.headers(), missing.body())
        .unwrap_err();
    assert!(matches!(err, Error::MissingToken { .. }), "{err:?}");
    assert_eq!(err.status(), 401);
}

#[test]
fn an_envelope_whose_data_is_an_array_is_refused() {
    // The envelope's `data` is documented as an object; as an array serde would read the
    // event's fields from its elements in order.
    let palenca = palenca();
    let object = palenca.sign(
        br#"{"webhook_url":"https://x","data":{"webhook_action":"login.success","user_id":"d1c9b98b-3190-479e-99db-04060ff3997f"}}"#,
    );
    let event = palenca
        .verify_and_parse(object.headers(), object.body())
        .unwrap()
        .event;
    assert!(event.should_fetch_data());
    let array = palenca.sign(
        br#"{"webhook_url":"https://x","data":[null,null,"login.success","d1c9b98b-3190-479e-99db-04060ff3997f"]}"#,
    );
    let err = palenca
        .verify_and_parse(array.headers(), array.body())
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");
    assert_eq!(err.status(), 422);
}

#[test]
fn a_validly_signed_array_is_not_an_event() {
    // serde would read the struct's fields from the array's elements in order; Palenca
    // documents an object.
    let palenca = palenca();
    let array = palenca
        .sign(br#"["https://x",null,"login.success","d1c9b98b-3190-479e-99db-04060ff3997f"]"#);
    let err = palenca
        .verify_and_parse(array.headers(), array.body())
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");
    assert_eq!(err.status(), 422);
    for other in [&b"\"login.success\""[..], b"12", b" null "] {
        let signed = palenca.sign(other);
        let err = palenca
            .verify_and_parse(signed.headers(), signed.body())
            .unwrap_err();
        assert_eq!(err.status(), 422, "{err:?}");
    }
    // Not JSON at all stays 400.
    let broken = palenca.sign(b"[1,");
    let err = palenca
        .verify_and_parse(broken.headers(), broken.body())
        .unwrap_err();
    assert_eq!(err.status(), 400, "{err:?}");
}
