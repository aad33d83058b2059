//! Typed events serialise back to the provider's field names and read back equal, so users can
//! store them (a queue, an outbox table) and read them later.

mod common;

use common::*;
use webhook_receiver::Provider;
use webhook_receiver::providers::{munity, palenca, receeve};
use webhook_receiver::testing;

#[test]
fn palenca_events_round_trip() {
    let palenca_provider = palenca();
    for fixture in testing::palenca::all() {
        let request = fixture.signed_with(&palenca_provider);
        let event = palenca_provider
            .verify_and_parse(request.headers(), request.body())
            .unwrap()
            .event;
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.contains("\"webhook_action\""), "{json}");
        let back: palenca::Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{}", fixture.name());
    }
}

#[test]
fn receeve_messages_round_trip() {
    let receeve_provider = receeve();
    for fixture in testing::receeve::all() {
        let request = fixture.signed_with(&receeve_provider);
        let message = receeve_provider
            .verify_and_parse(request.headers(), request.body())
            .unwrap()
            .event;
        let json = serde_json::to_string(&message).unwrap();
        assert!(json.contains("\"messageId\""), "{json}");
        let back = serde_json::from_str::<receeve::Message>(&json).unwrap();
        assert_eq!(back, message, "{}", fixture.name());
    }
}

#[test]
fn munity_webhooks_round_trip() {
    let munity_provider = munity();
    for fixture in testing::munity::all() {
        let request = fixture.signed_with(&munity_provider);
        let webhook = munity_provider
            .verify_and_parse(request.headers(), request.body())
            .unwrap()
            .event;
        let json = serde_json::to_string(&webhook).unwrap();
        let back = serde_json::from_str::<munity::Webhook>(&json).unwrap();
        assert_eq!(back, webhook, "{}", fixture.name());
    }
}
