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
    RawJson, discord, github, intercom, linear, paddle, shopify, slack, square, stripe, zoom,
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
    let headers = common::http_headers(signed.headers());
    let signed_body = signed.body();
    assert!(typed.verify_and_parse(&headers, signed_body).is_ok());
    assert!(raw.verify_and_parse(&headers, signed_body).is_ok());
    assert!(floor_hmac(body));
    let mut cases = [
        Case::new("floor_hmac", || floor_hmac(body)),
        Case::new("floor_parse", || serde_json::from_slice::<F>(body).unwrap()),
        Case::new("floor_parse_raw", || {
            serde_json::from_slice::<Box<serde_json::value::RawValue>>(body).unwrap()
        }),
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
