//! Every mainstream preset through the inbox: a delivery verified and enqueued now is parsed
//! again by a worker an hour later (past every replay window), from the stored verified
//! bytes, and comes out with the same message id and event type as the inline path gives. The
//! window is checked once, at the door; the id and type read beside the signed bytes
//! (GitHub's and Shopify's headers) travel with the stored delivery.
#![cfg(feature = "inbox")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use webhook_receiver::clock::{Clock, ManualClock};
use webhook_receiver::inbox::{Inbox, InboxReceived, MemoryInbox, Worker};
use webhook_receiver::providers::{self, Event, RawJson};
use webhook_receiver::testing::Signer;
use webhook_receiver::{Delivery, MessageId, Provider, Secret};

const NOW: i64 = 1_767_225_600;

/// Receives `body` signed by `signer` into an inbox of `provider`, moves the clock an hour on,
/// and answers the id and kind the worker parsed, beside the inline path's.
async fn through_inbox<P>(
    provider: P,
    signer: &impl Signer,
    clock: &ManualClock,
    body: &[u8],
) -> ((MessageId, String), (MessageId, String))
where
    P: Provider<Event = Event<RawJson>> + Send + Sync + 'static,
{
    let signed = signer.sign(body);
    let inline = provider
        .verify_and_parse(signed.headers(), signed.body())
        .unwrap_or_else(|error| panic!("{}: {error}", provider.name()));
    let inbox = Inbox::builder(provider, MemoryInbox::new()).build();
    let received = inbox.receive(signed.headers(), signed.body()).await;
    assert!(matches!(received, InboxReceived::Accepted), "{received:?}");
    clock.advance(time::Duration::hours(1));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let worker = Worker::builder(inbox.clone()).concurrency(1).build();
    let (record, probe) = (Arc::clone(&seen), inbox.clone());
    let report = worker
        .run(
            move |delivery: Delivery<Event<RawJson>>| {
                let record = Arc::clone(&record);
                async move {
                    record
                        .lock()
                        .unwrap()
                        .push((delivery.id, delivery.event.kind));
                    Ok::<_, String>(())
                }
            },
            async move {
                for _ in 0..500 {
                    let stats = probe.stats().await.unwrap();
                    if stats.completed + stats.dead > 0 {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("not processed within 5 s");
            },
        )
        .await;
    assert_eq!(
        (report.completed, report.dead_lettered),
        (1, 0),
        "{report:?}"
    );
    let worker_saw = seen.lock().unwrap().pop().unwrap();
    ((inline.id, inline.event.kind), worker_saw)
}

fn secret(text: &str) -> Secret {
    Secret::new(text).unwrap()
}

#[tokio::test]
async fn every_preset_comes_out_of_the_inbox_as_it_went_in() {
    let json = br#"{"id":"evt_1","event_id":"ev-1","type":"push.event","event_type":"transaction.created","event":"meeting.started","topic":"conversation.user.created","webhookTimestamp":1767225600000,"data":{}}"#;
    let clock = || Arc::new(ManualClock::at_unix(NOW));

    let github = providers::github::GitHub::new(secret("gh"));
    let (inline, worker) =
        through_inbox(github.clone(), &github, &ManualClock::at_unix(NOW), json).await;
    assert_eq!(inline, worker, "github");

    let shopify = providers::shopify::Shopify::new(secret("sh"));
    let (inline, worker) =
        through_inbox(shopify.clone(), &shopify, &ManualClock::at_unix(NOW), json).await;
    assert_eq!(inline, worker, "shopify");

    let c = clock();
    let linear =
        providers::linear::Linear::new(secret("li")).clock(Arc::clone(&c) as Arc<dyn Clock>);
    let (inline, worker) = through_inbox(linear.clone(), &linear, &c, json).await;
    assert_eq!(inline, worker, "linear");

    let square = providers::square::Square::new(secret("sq"), "https://example.com/sq").unwrap();
    let (inline, worker) =
        through_inbox(square.clone(), &square, &ManualClock::at_unix(NOW), json).await;
    assert_eq!(inline, worker, "square");

    let twilio = providers::twilio::Twilio::new(secret("tw"), "https://example.com/tw").unwrap();
    let form = b"CallSid=CA1&CallStatus=completed";
    let (inline, worker) =
        through_inbox(twilio.clone(), &twilio, &ManualClock::at_unix(NOW), form).await;
    assert_eq!(inline, worker, "twilio");

    let intercom = providers::intercom::Intercom::new(secret("ic"));
    let (inline, worker) = through_inbox(
        intercom.clone(),
        &intercom,
        &ManualClock::at_unix(NOW),
        json,
    )
    .await;
    assert_eq!(inline, worker, "intercom");

    let c = clock();
    let stripe =
        providers::stripe::Stripe::new(secret("whsec_st")).clock(Arc::clone(&c) as Arc<dyn Clock>);
    let (inline, worker) = through_inbox(stripe.clone(), &stripe, &c, json).await;
    assert_eq!(inline, worker, "stripe");

    let c = clock();
    let slack = providers::slack::Slack::new(secret("sl")).clock(Arc::clone(&c) as Arc<dyn Clock>);
    let events_api =
        br#"{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}"#;
    let (inline, worker) = through_inbox(slack.clone(), &slack, &c, events_api).await;
    assert_eq!(inline, worker, "slack");
    let command = b"command=%2Fweather&text=94070&user_id=U1";
    let (inline, worker) = through_inbox(slack.clone(), &slack, &c, command).await;
    assert_eq!(inline, worker, "slack command");

    let c = clock();
    let paddle =
        providers::paddle::Paddle::new(secret("pd")).clock(Arc::clone(&c) as Arc<dyn Clock>);
    let (inline, worker) = through_inbox(paddle.clone(), &paddle, &c, json).await;
    assert_eq!(inline, worker, "paddle");

    let c = clock();
    let zoom = providers::zoom::Zoom::new(secret("zm")).clock(Arc::clone(&c) as Arc<dyn Clock>);
    let (inline, worker) = through_inbox(zoom.clone(), &zoom, &c, json).await;
    assert_eq!(inline, worker, "zoom");
}

/// The public-key presets (feature `public-key`) the same way.
#[cfg(feature = "public-key")]
#[tokio::test]
async fn the_public_key_presets_come_out_of_the_inbox_as_they_went_in() {
    use webhook_receiver::testing::{discord, sendgrid};
    use webhook_receiver::verify::PrivateKey;

    let c = Arc::new(ManualClock::at_unix(NOW));
    let signer = discord::KeySigner::from_seed([7; 32]).clock(Arc::clone(&c) as Arc<dyn Clock>);
    let discord = providers::discord::Discord::new(&signer.public_key_hex())
        .unwrap()
        .clock(Arc::clone(&c) as Arc<dyn Clock>);
    let interaction = br#"{"id":"1","type":2,"data":{"name":"ping"}}"#;
    let (inline, worker) = through_inbox(discord, &signer, &c, interaction).await;
    assert_eq!(inline, worker, "discord");

    let c = Arc::new(ManualClock::at_unix(NOW));
    let key = PrivateKey::from_pem(include_str!("fixtures/keys/ec-private.pem")).unwrap();
    let signer = sendgrid::KeySigner::new(key).clock(Arc::clone(&c) as Arc<dyn Clock>);
    let sendgrid = providers::sendgrid::SendGrid::new(&signer.public_key_base64()).unwrap();
    let batch = br#"[{"email":"a@example.com","event":"delivered","sg_event_id":"e1"}]"#;
    let (inline, worker) = through_inbox(sendgrid, &signer, &c, batch).await;
    assert_eq!(inline, worker, "sendgrid");
}
