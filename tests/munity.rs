//! Munity: the eight documented events, unknown events, loose id types, token and HMAC.

mod common;

use common::*;
use webhook_receiver::providers::munity::Event;
use webhook_receiver::testing::{self, Signer};
use webhook_receiver::{Error, MessageId, Provider};

#[test]
fn every_documented_event_parses_to_its_variant() {
    let munity = munity();
    let expected = [
        "webhook_test",
        "integration_new_data_model",
        "integration_updated_data_model",
        "integration_deleted_data_model",
        "integration_installed",
        "integration_import_done",
        "integration_cannot_refresh_oauth_token",
        "integration_oauth_token_fixed",
    ];
    let fixtures = testing::munity::all();
    assert_eq!(fixtures.len(), expected.len());
    for (fixture, name) in fixtures.iter().zip(expected) {
        let request = fixture.signed_with(&munity);
        let delivery = munity
            .verify_and_parse(request.headers(), request.body())
            .unwrap();
        let webhook = delivery.event;
        assert_eq!(webhook.event.name(), name);
        assert!(!matches!(webhook.event, Event::Other { .. }), "{name}");
        assert_eq!(webhook.workspace_id, "ws_8f2c1a");
        assert_eq!(webhook.customer_id.as_deref(), Some("cust_42"));
        assert_eq!(webhook.state.as_deref(), Some("onboarding-7c1e"));
        assert_eq!(delivery.id, MessageId::digest("munity", request.body()));
    }
}

#[test]
fn payload_fields_are_typed() {
    let munity = munity();
    let parse = |fixture: testing::Fixture| {
        let request = fixture.signed_with(&munity);
        munity
            .verify_and_parse(request.headers(), request.body())
            .unwrap()
            .event
            .event
    };
    assert_eq!(
        parse(testing::munity::webhook_test()),
        Event::WebhookTest { test: true }
    );
    let Event::IntegrationUpdatedDataModel(update) =
        parse(testing::munity::integration_updated_data_model())
    else {
        panic!("expected an update");
    };
    assert_eq!(update.resource_id, "res_1001");
    assert_eq!(update.kind, "invoice");
    assert_eq!(update.diff.to_value().unwrap()["amount"][1], 120);
    assert_eq!(update.data.to_value().unwrap()["currency"], "EUR");
    let Event::IntegrationInstalled(installed) = parse(testing::munity::integration_installed())
    else {
        panic!("expected an installation");
    };
    assert_eq!(installed.connector_type.as_deref(), Some("hubspot"));
    assert_eq!(installed.metadata.to_value().unwrap()["portal"], "eu-1");
    let Event::IntegrationCannotRefreshOauthToken(failure) =
        parse(testing::munity::integration_cannot_refresh_oauth_token())
    else {
        panic!("expected an oauth failure");
    };
    assert_eq!(
        failure.error.parse::<String>().unwrap(),
        "invalid_grant: refresh token revoked"
    );
}

#[test]
fn numeric_ids_read_as_strings() {
    let munity = munity();
    let body = br#"{"workspace_id":17,"customer_id":42,"event":"integration_deleted_data_model","state":null,"payload":{"id":91,"resource_id":1001,"type":"invoice"}}"#;
    let request = munity.sign(body);
    let webhook = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap()
        .event;
    assert_eq!(webhook.workspace_id, "17");
    assert_eq!(webhook.customer_id.as_deref(), Some("42"));
    assert_eq!(webhook.state, None);
    let Event::IntegrationDeletedDataModel(model) = webhook.event else {
        panic!("expected a deletion");
    };
    assert_eq!(
        (model.id.as_str(), model.resource_id.as_str()),
        ("91", "1001")
    );
}

#[test]
fn unknown_events_keep_name_and_payload() {
    let munity = munity();
    let body = br#"{"workspace_id":"w","customer_id":"c","event":"integration_paused","state":"s","payload":{"id":"int_1","reason":"quota"},"new_envelope_field":true}"#;
    let request = munity.sign(body);
    let event = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap()
        .event
        .event;
    let Event::Other { event, payload } = event else {
        panic!("expected Other");
    };
    assert_eq!(event, "integration_paused");
    assert_eq!(payload.to_value().unwrap()["reason"], "quota");
}

#[test]
fn wrong_shape_of_a_documented_event_is_422() {
    let munity = munity();
    let request = munity.sign(
        br#"{"workspace_id":"w","event":"integration_new_data_model","payload":{"id":"int_1"}}"#,
    );
    let err = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedPayload(_)), "{err:?}");
    let request = munity.sign(br#"{"event":"webhook_test","payload":{"test":true}}"#);
    let err = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert_eq!(err.status(), 422, "workspace_id is required: {err:?}");
}

#[test]
fn a_documented_payload_that_is_an_array_is_refused() {
    let munity = munity();
    for (event, payload) in [
        (
            "integration_new_data_model",
            r#"["int_1","res_1","contact"]"#,
        ),
        ("integration_import_done", r#"["int_1","hubspot"]"#),
        ("webhook_test", "[true]"),
    ] {
        let body = format!(r#"{{"workspace_id":"w","event":"{event}","payload":{payload}}}"#);
        let request = munity.sign(body.as_bytes());
        let err = munity
            .verify_and_parse(request.headers(), request.body())
            .unwrap_err();
        assert!(
            matches!(err, Error::UnexpectedPayload(_)),
            "{event}: {err:?}"
        );
        assert_eq!(err.status(), 422);
    }
    // An unknown event's payload is any JSON, an array included.
    let request =
        munity.sign(br#"{"workspace_id":"w","event":"integration_paused","payload":[1,2]}"#);
    let event = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap()
        .event
        .event;
    assert!(matches!(event, Event::Other { .. }), "{event:?}");
}

#[test]
fn token_authentication() {
    let munity = munity_token("munity-url-secret");
    let request = testing::munity::webhook_test().signed_with(&munity);
    assert!(
        munity
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
    let forged = request.with_header("x-munity-token", "guess");
    assert!(matches!(
        munity.verify_and_parse(forged.headers(), forged.body()),
        Err(Error::InvalidToken)
    ));
}

#[test]
fn payload_before_event_parses_the_same_and_duplicates_are_refused() {
    let munity = munity();
    let parse = |body: &str| {
        let request = munity.sign(body.as_bytes());
        munity.verify_and_parse(request.headers(), request.body())
    };
    let payload_first = r#"{"payload":{"id":"int_91","resource_id":"res_1","type":"invoice"},"event":"integration_new_data_model","workspace_id":"w"}"#;
    let Event::IntegrationNewDataModel(model) = parse(payload_first).unwrap().event.event else {
        panic!("expected a new data model");
    };
    assert_eq!(model.resource_id, "res_1");

    for body in [
        r#"{"workspace_id":"w","event":"webhook_test","event":"integration_oauth_token_fixed","payload":{"id":"1"}}"#,
        r#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true},"payload":{"test":false}}"#,
        r#"{"workspace_id":"w","workspace_id":"v","event":"webhook_test","payload":{"test":true}}"#,
    ] {
        let err = parse(body).unwrap_err();
        assert_eq!(err.status(), 422, "{body}: {err:?}");
    }
    let trailing = r#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true}} x"#;
    assert!(matches!(parse(trailing), Err(Error::MalformedPayload(_))));
}

/// The id is the SHA-256 of the body, and carries it: the body-digest check of the idempotency
/// step reuses it instead of hashing the body again.
#[test]
fn the_id_carries_the_body_digest() {
    let munity = munity();
    let request = testing::munity::webhook_test().signed_with(&munity);
    let delivery = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    let digest: [u8; 32] = {
        use sha2::Digest as _;
        sha2::Sha256::digest(request.body()).into()
    };
    assert_eq!(delivery.id.content_digest(), Some(digest));
    assert_eq!(
        delivery.id.as_str(),
        format!("sha256:{}", hex::encode(digest))
    );
    // Equality is by key alone: an id made from the same text is the same id.
    assert_eq!(delivery.id, MessageId::new("munity", delivery.id.as_str()));
}

#[test]
fn arbitrary_json_fields_take_any_valid_json_and_keep_it_verbatim() {
    // Integers beyond 64 bits (here 10,000 digits) are valid JSON: kept as sent, not refused.
    let huge = "9".repeat(10_000);
    let body = format!(
        r#"{{"workspace_id":"w","event":"integration_updated_data_model","payload":{{"id":"int_1","resource_id":"r","type":"invoice","diff":{{"n":[1,{huge}]}},"data":{huge}}}}}"#
    );
    let munity = munity();
    let request = munity.sign(body.as_bytes());
    let webhook = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap()
        .event;
    let Event::IntegrationUpdatedDataModel(update) = &webhook.event else {
        panic!("{:?}", webhook.event);
    };
    assert_eq!(update.data.get(), huge);
    assert_eq!(update.diff.get(), format!("{{\"n\":[1,{huge}]}}"));
    assert!(
        update.data.to_value().is_err(),
        "serde_json::Value cannot hold it"
    );
    // Unknown events keep such payloads too, and a stored webhook reads back as it was.
    let other = format!(r#"{{"workspace_id":"w","event":"integration_paused","payload":{huge}}}"#);
    let request = munity.sign(other.as_bytes());
    let delivery = munity
        .verify_and_parse(request.headers(), request.body())
        .unwrap();
    let stored = serde_json::to_string(&delivery.event).unwrap();
    let back: webhook_receiver::providers::munity::Webhook = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, delivery.event);
    let stored = serde_json::to_string(&webhook).unwrap();
    let back: webhook_receiver::providers::munity::Webhook = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, webhook);
}
