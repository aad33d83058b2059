//! The mainstream presets at 1 KiB against their floors, measured in turns (see
//! `interleave`): the ratios of the preset table in `docs/performance.md`.
//!
//! Per preset, on the same signed bytes:
//! - `floor_hmac`: one HMAC of the signed bytes, key set up per call as a hand-written check
//!   does (HMAC-SHA1 for Intercom; the few bytes of timestamp a scheme adds are left out); for
//!   Discord, one strict Ed25519 verification of the timestamp and the body;
//! - `floor_parse`: `serde_json::from_slice` into a small typed event (`Order`: the order lines
//!   of the body), and `floor_parse_raw` into a boxed raw value (what the default `RawJson`
//!   holds);
//! - Twilio's form body: `floor_hmac` decodes the form (`form_urlencoded`), sorts it and takes
//!   one HMAC-SHA1 of the URL and the parameters, `floor_parse` is `serde_urlencoded` into a
//!   three-field struct, `floor_parse_raw` the decoded parameters in a `Vec`; Twilio's JSON
//!   body: the body's hex SHA-256 and one HMAC-SHA1 of the URL with it; SendGrid: one `p256`
//!   ECDSA verification of the timestamp and the batch, parsed into a `Vec` of small events;
//! - `verify`, `verify_parse` (into `Order`) and `verify_parse_raw` (into `RawJson`).
//!
//! Run with `cargo bench -p webhook-receiver-benches --bench presets` (or `scripts/bench.sh
//! presets`); `ROUNDS` sets the rounds (default 300).

#![allow(clippy::unwrap_used)] // a bench that cannot set up has nothing to measure

#[allow(dead_code)] // the sizes and types of the other benches
mod common;
mod interleave;

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use hmac::{KeyInit, Mac};
use interleave::{Case, fmt_ns};
use serde::Deserialize;
use webhook_receiver::clock::{Clock, ManualClock};
use webhook_receiver::providers::{
    RawJson, discord, github, intercom, linear, paddle, sendgrid, shopify, slack, square, stripe,
    twilio, zoom,
};
use webhook_receiver::testing::{SignedRequest, Signer};
use webhook_receiver::{Provider, Secret};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;
type HmacSha1 = hmac::Hmac<sha1::Sha1>;

const KEY: &[u8] = b"bench-preset-secret";
const NOW: i64 = 1_767_225_600;

/// A small typed event, as a user of a preset declares it: the order lines of the body, the
/// rest skipped.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Order {
    items: Vec<common::Line>,
}

/// Slack's Events API shape: the lines are inside `event`.
#[allow(dead_code)]
#[derive(Deserialize)]
struct SlackOrder {
    event: Order,
}

/// A 1 KiB body: `head` fields, the order lines, then `tail` fields (where the sender writes
/// them: Stripe's `type` comes after `data`).
fn body(head: &str, tail: &str) -> Vec<u8> {
    let base = format!(r#"{{{head}"items":[]{tail}}}"#).len();
    let items = common::lines(1024 - base);
    format!(r#"{{{head}"items":{items}{tail}}}"#).into_bytes()
}

/// One HMAC-SHA256 of `prefix` + body, against its MAC computed beforehand.
fn floor_sha256(prefix: &'static [u8], body: &[u8]) -> impl Fn(&[u8]) -> bool + use<> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(KEY).unwrap();
    mac.update(prefix);
    mac.update(body);
    let mac = mac.finalize().into_bytes();
    move |body: &[u8]| {
        let mut check = <HmacSha256 as KeyInit>::new_from_slice(KEY).unwrap();
        check.update(prefix);
        check.update(body);
        check.verify_slice(&mac).is_ok()
    }
}

/// One HMAC-SHA1 of the body, against its MAC computed beforehand.
fn floor_sha1(body: &[u8]) -> impl Fn(&[u8]) -> bool + use<> {
    let mut mac = <HmacSha1 as KeyInit>::new_from_slice(KEY).unwrap();
    mac.update(body);
    let mac = mac.finalize().into_bytes();
    move |body: &[u8]| {
        let mut check = <HmacSha1 as KeyInit>::new_from_slice(KEY).unwrap();
        check.update(body);
        check.verify_slice(&mac).is_ok()
    }
}

/// Measures one preset (typed as `F`, and as `RawJson`) on `signed` and prints its row.
fn row_signed<P: Provider, R: Provider, F: for<'de> Deserialize<'de>>(
    name: &str,
    (typed, raw): (&P, &R),
    signed: &SignedRequest,
    body: &[u8],
    floor_hmac: impl Fn(&[u8]) -> bool,
    _typed_as: PhantomData<F>,
    rounds: usize,
) {
    row_with(
        name,
        (typed, raw),
        signed,
        body,
        floor_hmac,
        |body| serde_json::from_slice::<F>(body).is_ok(),
        |body| serde_json::from_slice::<Box<serde_json::value::RawValue>>(body).is_ok(),
        rounds,
    );
}

/// Measures one preset on `signed` against the floors given (each returns whether it
/// accepted `body`) and prints its row. Before timing, each floor and the preset accept
/// `body`, and the signature floor and the preset refuse it with one byte changed.
#[allow(clippy::too_many_arguments)] // one row of the table: its name, presets and floors
fn row_with<P: Provider, R: Provider>(
    name: &str,
    (typed, raw): (&P, &R),
    signed: &SignedRequest,
    body: &[u8],
    floor_signature: impl Fn(&[u8]) -> bool,
    floor_parse: impl Fn(&[u8]) -> bool,
    floor_parse_raw: impl Fn(&[u8]) -> bool,
    rounds: usize,
) {
    let headers = common::http_headers(signed.headers());
    let signed_body = signed.body();
    assert!(typed.verify_and_parse(&headers, signed_body).is_ok());
    assert!(raw.verify_and_parse(&headers, signed_body).is_ok());
    assert!(floor_signature(body));
    assert!(floor_parse(body));
    assert!(floor_parse_raw(body));
    let mut tampered = body.to_vec();
    let middle = tampered.len() / 2;
    *tampered.get_mut(middle).unwrap() ^= 1;
    assert!(
        !floor_signature(&tampered),
        "{name}: the floor accepts a changed body"
    );
    assert!(typed.verify(&headers, &tampered).is_err());
    let mut cases = [
        Case::new("floor_hmac", || floor_signature(body)),
        Case::new("floor_parse", || floor_parse(body)),
        Case::new("floor_parse_raw", || floor_parse_raw(body)),
        Case::new("verify", || typed.verify(&headers, signed_body).unwrap()),
        Case::new("verify_parse", || {
            typed.verify_and_parse(&headers, signed_body).unwrap()
        }),
        Case::new("verify_parse_raw", || {
            raw.verify_and_parse(&headers, signed_body).unwrap()
        }),
    ];
    let r = interleave::run(&mut cases, rounds, Duration::from_micros(50));
    println!(
        "| {name} | {} | {} / {} | {} ({:.2}×) | {} ({:.2}×) | {} ({:.2}×) |",
        fmt_ns(r.median("floor_hmac")),
        fmt_ns(r.median("floor_parse")),
        fmt_ns(r.median("floor_parse_raw")),
        fmt_ns(r.median("verify")),
        r.ratio("verify", &["floor_hmac"]),
        fmt_ns(r.median("verify_parse")),
        r.ratio("verify_parse", &["floor_hmac", "floor_parse"]),
        fmt_ns(r.median("verify_parse_raw")),
        r.ratio("verify_parse_raw", &["floor_hmac", "floor_parse_raw"]),
    );
}

/// [`row_signed`] on the request the typed preset's own signer makes.
fn row<P: Provider + Signer, R: Provider, F: for<'de> Deserialize<'de>>(
    name: &str,
    (typed, raw): (&P, &R),
    body: &[u8],
    floor_hmac: impl Fn(&[u8]) -> bool,
    typed_as: PhantomData<F>,
    rounds: usize,
) {
    let signed = typed.sign(body);
    row_signed(
        name,
        (typed, raw),
        &signed,
        body,
        floor_hmac,
        typed_as,
        rounds,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks presets by name.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(300);
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let clock = || Arc::new(ManualClock::at_unix(NOW)) as Arc<dyn Clock>;
    let secret = || Secret::new(KEY).unwrap();
    let (order, slack_order) = (PhantomData::<Order>, PhantomData::<SlackOrder>);

    println!(
        "| preset | floor signature check | floor parse (typed / raw) | verify | verify+parse, typed | verify+parse, `RawJson` |"
    );
    println!("|---|---|---|---|---|---|");
    let plain = body(r#""action":"opened","#, "");
    if wanted("github") {
        let p = (
            &github::GitHub::<Order>::new(secret()),
            &github::GitHub::<RawJson>::new(secret()),
        );
        row(
            "github",
            p,
            &plain,
            floor_sha256(b"", &plain),
            order,
            rounds,
        );
    }
    if wanted("shopify") {
        let p = (
            &shopify::Shopify::<Order>::new(secret()),
            &shopify::Shopify::<RawJson>::new(secret()),
        );
        row(
            "shopify",
            p,
            &plain,
            floor_sha256(b"", &plain),
            order,
            rounds,
        );
    }
    if wanted("stripe") {
        // Stripe writes `type` after `data`, at the end of the event.
        let b = body(
            r#""id":"evt_1","object":"event","created":1767225600,"#,
            r#","livemode":false,"type":"invoice.paid""#,
        );
        let p = (
            &stripe::Stripe::<Order>::new(secret()).clock(clock()),
            &stripe::Stripe::<RawJson>::new(secret()).clock(clock()),
        );
        row("stripe", p, &b, floor_sha256(b"", &b), order, rounds);
    }
    if wanted("slack") {
        // The Events API: the lines inside `event`, `type` and `event_id` after it.
        let base = r#"{"token":"t","team_id":"T1","event":{"type":"app_mention","items":[]},"type":"event_callback","event_id":"Ev1","event_time":1767225600}"#.len();
        let b = format!(
            r#"{{"token":"t","team_id":"T1","event":{{"type":"app_mention","items":{}}},"type":"event_callback","event_id":"Ev1","event_time":1767225600}}"#,
            common::lines(1024 - base)
        )
        .into_bytes();
        let p = (
            &slack::Slack::<SlackOrder>::new(secret()).clock(clock()),
            &slack::Slack::<RawJson>::new(secret()).clock(clock()),
        );
        row("slack", p, &b, floor_sha256(b"", &b), slack_order, rounds);
    }
    if wanted("paddle") {
        let b = body(
            r#""event_id":"evt_01","event_type":"transaction.completed","occurred_at":"2026-01-01T00:00:00Z","#,
            "",
        );
        let p = (
            &paddle::Paddle::<Order>::new(secret()).clock(clock()),
            &paddle::Paddle::<RawJson>::new(secret()).clock(clock()),
        );
        row("paddle", p, &b, floor_sha256(b"", &b), order, rounds);
    }
    if wanted("zoom") {
        let b = body(
            r#""event":"meeting.started","#,
            r#","event_ts":1767225599000"#,
        );
        let p = (
            &zoom::Zoom::<Order>::new(secret()).clock(clock()),
            &zoom::Zoom::<RawJson>::new(secret()).clock(clock()),
        );
        row("zoom", p, &b, floor_sha256(b"", &b), order, rounds);
    }
    if wanted("linear") {
        let b = body(
            &format!(
                r#""action":"create","type":"Issue","webhookTimestamp":{},"#,
                NOW * 1000
            ),
            "",
        );
        let p = (
            &linear::Linear::<Order>::new(secret()).clock(clock()),
            &linear::Linear::<RawJson>::new(secret()).clock(clock()),
        );
        row("linear", p, &b, floor_sha256(b"", &b), order, rounds);
    }
    if wanted("square") {
        let url = "https://example.com/webhooks/square";
        let b = body(
            r#""merchant_id":"M1","type":"payment.updated","event_id":"6a8f5f28","created_at":"2026-01-01T00:00:00Z","#,
            "",
        );
        let p = (
            &square::Square::<Order>::new(secret(), url).unwrap(),
            &square::Square::<RawJson>::new(secret(), url).unwrap(),
        );
        row(
            "square",
            p,
            &b,
            floor_sha256(url.as_bytes(), &b),
            order,
            rounds,
        );
    }
    if wanted("intercom") {
        let b = body(
            r#""type":"notification_event","id":"notif_1","topic":"conversation.user.created","created_at":1767225600,"#,
            "",
        );
        let p = (
            &intercom::Intercom::<Order>::new(secret()),
            &intercom::Intercom::<RawJson>::new(secret()),
        );
        row("intercom", p, &b, floor_sha1(&b), order, rounds);
    }
    if wanted("discord") {
        // Ed25519 over the timestamp and the body: the floor is one strict verification of the
        // same bytes, joined as a hand-written receiver joins them.
        let signer = discord_signer(clock());
        let b = body(r#""id":"1100","type":2,"application_id":"9","#, "");
        let p = (
            &discord::Discord::<Order>::new(&signer.public_key_hex())
                .unwrap()
                .clock(clock()),
            &discord::Discord::<RawJson>::new(&signer.public_key_hex())
                .unwrap()
                .clock(clock()),
        );
        let signed = signer.sign(&b);
        let floor = floor_ed25519(&signed, &signer.public_key_hex());
        row_signed("discord", p, &signed, &b, floor, order, rounds);
    }
    if wanted("twilio") {
        let url = "https://example.com/webhooks/twilio/sms";
        let b = twilio_form(1024);
        let p = (
            &twilio::Twilio::<Sms>::new(secret(), url).unwrap(),
            &twilio::Twilio::<RawJson>::new(secret(), url).unwrap(),
        );
        let signed = p.0.sign(&b);
        row_with(
            "twilio (form)",
            p,
            &signed,
            &b,
            floor_twilio_form(url, &b),
            |body| serde_urlencoded::from_bytes::<Sms>(body).is_ok(),
            |body| !form_urlencoded::parse(body).collect::<Vec<_>>().is_empty(),
            rounds,
        );
        // A JSON body: Twilio signs the URL with `bodySHA256` (the body's SHA-256) added.
        let b = body(
            r#""AccountSid":"AC1","EventType":"com.twilio.messaging.message.delivered","#,
            "",
        );
        let p = (
            &twilio::Twilio::<Order>::new(secret(), url).unwrap(),
            &twilio::Twilio::<RawJson>::new(secret(), url).unwrap(),
        );
        row(
            "twilio (JSON)",
            p,
            &b,
            floor_twilio_json(url, &b),
            order,
            rounds,
        );
    }
    if wanted("sendgrid") {
        let b = sendgrid_batch(1024);
        let key = webhook_receiver::verify::PrivateKey::from_pem(include_str!(
            "../../tests/fixtures/keys/ec-private.pem"
        ))
        .unwrap();
        let signer = webhook_receiver::testing::sendgrid::KeySigner::new(key).clock(clock());
        let public_key = signer.public_key_base64();
        let p = (
            &sendgrid::SendGrid::<Vec<Email>>::new(&public_key).unwrap(),
            &sendgrid::SendGrid::<RawJson>::new(&public_key).unwrap(),
        );
        let signed = signer.sign(&b);
        let floor = floor_ecdsa(&signed, &public_key);
        // A signature of other bytes fails the floor too.
        let other = floor_ecdsa(&signer.sign(b"[]"), &public_key);
        assert!(!other(&b), "sendgrid: the floor accepts another signature");
        row_signed(
            "sendgrid",
            p,
            &signed,
            &b,
            floor,
            PhantomData::<Vec<Email>>,
            rounds,
        );
    }
}

fn discord_signer(clock: Arc<dyn Clock>) -> webhook_receiver::testing::discord::KeySigner {
    webhook_receiver::testing::discord::KeySigner::from_seed([7; 32]).clock(clock)
}

/// One strict Ed25519 verification of `{timestamp}{body}` as Discord signs it.
fn floor_ed25519(signed: &SignedRequest, public_key_hex: &str) -> impl Fn(&[u8]) -> bool + use<> {
    let header = |name: &str| signed.header(name).unwrap().to_owned();
    let timestamp = header(discord::TIMESTAMP_HEADER);
    let mut signature = [0u8; 64];
    hex::decode_to_slice(header(discord::SIGNATURE_HEADER), &mut signature).unwrap();
    let signature = ed25519_dalek::Signature::from_bytes(&signature);
    let mut key = [0u8; 32];
    hex::decode_to_slice(public_key_hex, &mut key).unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).unwrap();
    move |body: &[u8]| {
        let message = [timestamp.as_bytes(), body].concat();
        key.verify_strict(&message, &signature).is_ok()
    }
}

/// A Twilio incoming-SMS callback of `size` bytes: the 20 parameters Twilio sends, phone
/// numbers and text percent-encoded as Twilio encodes them, the message text sized to fit.
fn twilio_form(size: usize) -> Vec<u8> {
    let form = |text: &str| {
        format!(
            "ToCountry=US&ToState=CA&SmsMessageSid=SM8f6a3c2e9b1d4e7f8a0b2c4d6e8f0a1b&NumMedia=0\
             &ToCity=SAN+FRANCISCO&FromZip=94105&SmsSid=SM8f6a3c2e9b1d4e7f8a0b2c4d6e8f0a1b\
             &FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO&Body={text}\
             &FromCountry=US&To=%2B14155550100&MessagingServiceSid=MG2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0d\
             &ToZip=94105&NumSegments=1&ReferralNumMedia=0\
             &MessageSid=SM8f6a3c2e9b1d4e7f8a0b2c4d6e8f0a1b&AccountSid=AC1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d\
             &From=%2B14155550123&ApiVersion=2010-04-01"
        )
    };
    let words = "Hi%21+Your+order+%23A-1042+is+ready%3A+pick+it+up+at+the+front+desk+%28open+9%E2%80%935%29.+";
    let mut text = String::new();
    while form(&text).len() + words.len() <= size {
        text.push_str(words);
    }
    while form(&text).len() < size {
        text.push('x');
    }
    form(&text).into_bytes()
}

/// The fields of a Twilio SMS a handler reads.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sms {
    message_sid: String,
    from: String,
    body: String,
}

/// A careful hand-written Twilio check of a form body: decode the parameters
/// (`form_urlencoded`), sort them by name and value, and one HMAC-SHA1 (key set up per call)
/// of the URL and each name and value, against the MAC computed beforehand.
fn floor_twilio_form(url: &'static str, body: &[u8]) -> impl Fn(&[u8]) -> bool + use<> {
    let check = move |body: &[u8]| {
        let mut params: Vec<_> = form_urlencoded::parse(body).collect();
        params.sort();
        let mut mac = <HmacSha1 as KeyInit>::new_from_slice(KEY).unwrap();
        mac.update(url.as_bytes());
        for (name, value) in &params {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
        mac
    };
    let expected = check(body).finalize().into_bytes();
    move |body: &[u8]| check(body).verify_slice(&expected).is_ok()
}

/// A careful hand-written Twilio check of a JSON body: the hex SHA-256 of the body, then one
/// HMAC-SHA1 (key set up per call) of the URL with `?bodySHA256=` and that hex.
fn floor_twilio_json(url: &'static str, body: &[u8]) -> impl Fn(&[u8]) -> bool + use<> {
    use sha2::Digest as _;
    let check = move |body: &[u8]| {
        let mut digest = [0u8; 64];
        hex::encode_to_slice(sha2::Sha256::digest(body), &mut digest).unwrap();
        let mut mac = <HmacSha1 as KeyInit>::new_from_slice(KEY).unwrap();
        mac.update(url.as_bytes());
        mac.update(b"?bodySHA256=");
        mac.update(&digest);
        mac
    };
    let expected = check(body).finalize().into_bytes();
    move |body: &[u8]| check(body).verify_slice(&expected).is_ok()
}

/// A SendGrid batch of about `size` bytes: delivered events as SendGrid writes them.
fn sendgrid_batch(size: usize) -> Vec<u8> {
    let event = |i: usize, pad: &str| {
        format!(
            r#"{{"email":"customer{i}@example.com","timestamp":{},"smtp-id":"<14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.{i}@ismtpd-{i}>","event":"delivered","category":["receipts"],"sg_event_id":"sg_event_id_delivered_{i:04}{pad}","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","response":"250 OK"}}"#,
            NOW - 60 + i as i64
        )
    };
    let batch = |pad: &str| {
        let events: Vec<String> = (0..4)
            .map(|i| event(i, if i == 3 { pad } else { "" }))
            .collect();
        format!("[{}]", events.join(","))
    };
    let pad = "0".repeat(size.saturating_sub(batch("").len()));
    batch(&pad).into_bytes()
}

/// The fields of a SendGrid event a handler reads.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Email {
    email: String,
    event: String,
    sg_event_id: String,
}

/// One ECDSA P-256 / SHA-256 verification of `{timestamp}{body}` as SendGrid signs it, with
/// the DER signature and key decoded beforehand.
fn floor_ecdsa(signed: &SignedRequest, public_key_base64: &str) -> impl Fn(&[u8]) -> bool + use<> {
    use base64::Engine as _;
    use p256::ecdsa::signature::Verifier as _;
    use p256::pkcs8::DecodePublicKey as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let timestamp = signed
        .header(sendgrid::TIMESTAMP_HEADER)
        .unwrap()
        .to_owned();
    let signature = b64
        .decode(signed.header(sendgrid::SIGNATURE_HEADER).unwrap())
        .unwrap();
    let signature = p256::ecdsa::Signature::from_der(&signature).unwrap();
    let key =
        p256::ecdsa::VerifyingKey::from_public_key_der(&b64.decode(public_key_base64).unwrap())
            .unwrap();
    move |body: &[u8]| {
        let message = [timestamp.as_bytes(), body].concat();
        key.verify(&message, &signature).is_ok()
    }
}
