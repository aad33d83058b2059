//! The presets beside the peer crates, on the same signed deliveries, measured in turns (see
//! `benches/interleave` of the benchmarks crate): the peer rows of the preset table in
//! `docs/performance.md`.
//!
//! - `webhook-verify` (`verify(Provider::..)`): verification only, against one HMAC.
//! - `octocrab` (`WebhookEvent::try_from_header_and_body`): parsing only, into its GitHub
//!   models; its row adds the floor's HMAC, which a receiver must do by hand beside it.
//! - `async-stripe-webhook` (`Webhook::construct_event`): verify and parse into its `Event`.
//!
//! Each peer first refuses a wrong signature (or, for octocrab, reads the event) before it is
//! timed. Run with `scripts/bench.sh peers`; `ROUNDS` sets the rounds (default 300).

#![allow(clippy::unwrap_used, missing_docs)] // a bench that cannot set up has nothing to measure

#[allow(dead_code)] // the sizes and types of the other benches
#[path = "../../benches/common/mod.rs"]
mod common;
#[path = "../../benches/interleave/mod.rs"]
mod interleave;

use std::time::Duration;

use hmac::{KeyInit, Mac};
use interleave::{Case, fmt_ns};
use serde::Deserialize;
use webhook_receiver::providers::{github, shopify, slack, stripe, zoom};
use webhook_receiver::testing::Signer;
use webhook_receiver::{Provider, Secret};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const SECRET: &str = "whsec_bench-peer-secret";

/// One HMAC-SHA256 of the body, key set up per call, against its MAC computed beforehand.
fn floor_hmac(body: &[u8]) -> impl Fn(&[u8]) -> bool + use<> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    let mac = mac.finalize().into_bytes();
    move |body: &[u8]| {
        let mut check = <HmacSha256 as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
        check.update(body);
        check.verify_slice(&mac).is_ok()
    }
}

/// `headers` with `name`'s value changed in its last character.
fn tampered(headers: &http::HeaderMap, name: &str) -> http::HeaderMap {
    let mut headers = headers.clone();
    let mut value = headers.get(name).unwrap().to_str().unwrap().to_owned();
    let last = if value.ends_with('0') { "1" } else { "0" };
    value.pop();
    value.push_str(last);
    headers.insert(
        http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
        http::HeaderValue::from_str(&value).unwrap(),
    );
    headers
}

fn hex40(i: usize) -> String {
    format!(
        "{:040x}",
        0x1234_5678_9abc_def0_u128.wrapping_mul(i as u128 + 7)
    )
}

/// A GitHub `push` delivery with `n` commits.
fn push_body(n: usize) -> Vec<u8> {
    let person = r#"{"name":"Octo Cat","email":"octo@example.com","username":"octocat"}"#;
    let commits: Vec<String> = (0..n)
        .map(|i| {
            let id = hex40(i);
            format!(
                r#"{{"id":"{id}","tree_id":"{}","distinct":true,"message":"Fix item {i} of the order lines","timestamp":"2026-01-01T00:00:00Z","url":"https://github.com/octo/shop/commit/{id}","author":{person},"committer":{person},"added":[],"removed":[],"modified":["src/lib.rs"]}}"#,
                hex40(i + 100)
            )
        })
        .collect();
    format!(
        r#"{{"ref":"refs/heads/main","before":"{}","after":"{}","created":false,"deleted":false,"forced":false,"base_ref":null,"compare":"https://github.com/octo/shop/compare/a...b","commits":[{}],"head_commit":null,"pusher":{{"name":"octocat","email":"octo@example.com"}}}}"#,
        hex40(1000),
        hex40(1001),
        commits.join(",")
    )
    .into_bytes()
}

/// What a receiver of pushes reads: the ref and each commit's id and message.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    git_ref: String,
    commits: Vec<PushCommit>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PushCommit {
    id: String,
    message: String,
}

/// A Stripe `product.created` event with `n` marketing features.
fn product_body(n: usize) -> Vec<u8> {
    let features: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"name":"Feature {i:03} of the bench product"}}"#))
        .collect();
    format!(
        r#"{{"id":"evt_1RbEnch","object":"event","api_version":null,"created":1767225600,"data":{{"object":{{"id":"prod_Bench","object":"product","active":true,"created":1767225600,"default_price":null,"description":"A product with marketing features","images":[],"livemode":false,"marketing_features":[{}],"metadata":{{}},"name":"Bench product","package_dimensions":null,"shippable":null,"statement_descriptor":null,"tax_code":null,"type":"service","unit_label":null,"updated":1767225600,"url":null}}}},"livemode":false,"pending_webhooks":1,"request":{{"id":null,"idempotency_key":null}},"type":"product.created"}}"#,
        features.join(",")
    )
    .into_bytes()
}

/// What a receiver of products reads: the name and the features.
#[allow(dead_code)]
#[derive(Deserialize)]
struct ProductEvent {
    data: ProductData,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct ProductData {
    object: Product,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Product {
    name: String,
    marketing_features: Vec<Feature>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Feature {
    name: Option<String>,
}

/// webhook-verify for one sender, with its secret made once.
struct Peer {
    provider: webhook_verify::Provider,
    secret: webhook_verify::Secret,
}

impl Peer {
    fn new(provider: webhook_verify::Provider) -> Self {
        Self {
            provider,
            secret: webhook_verify::Secret::new(SECRET),
        }
    }

    fn verifies(&self, headers: &http::HeaderMap, body: &[u8]) -> bool {
        let options = webhook_verify::VerifyOptions::default();
        webhook_verify::verify(self.provider, headers, body, &self.secret, options).is_ok()
    }

    /// Before timing: the peer and the preset accept the delivery and refuse it with
    /// `signature_header` changed.
    fn check<P: Provider>(
        &self,
        ours: &P,
        headers: &http::HeaderMap,
        body: &[u8],
        signature_header: &str,
    ) {
        let wrong = tampered(headers, signature_header);
        assert!(self.verifies(headers, body) && !self.verifies(&wrong, body));
        assert!(ours.verify(headers, body).is_ok() && ours.verify(&wrong, body).is_err());
    }
}

fn ratio_cell(r: &interleave::Rounds, name: &str, floors: &[&str]) -> String {
    format!("{} ({:.2}×)", fmt_ns(r.median(name)), r.ratio(name, floors))
}

fn main() {
    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(300);
    let batch = Duration::from_micros(50);
    let secret = || Secret::new(SECRET).unwrap();
    println!(
        "| sender | body | floor HMAC | floor parse | this crate: verify | this crate: verify+parse | peer | peer's time (ratio to its floor) |"
    );
    println!("|---|---|---|---|---|---|---|---|");

    // GitHub: webhook-verify (verify), octocrab (parse; the floor's HMAC added).
    let body = push_body(2);
    let ours = github::GitHub::<Push>::new(secret());
    let signed = webhook_receiver::testing::github::sign(&ours, "push", body.clone());
    let headers = common::http_headers(signed.headers());
    let hmac = floor_hmac(&body);
    let peer = Peer::new(webhook_verify::Provider::GitHub);
    peer.check(&ours, &headers, &body, github::SIGNATURE_HEADER);
    let event =
        octocrab::models::webhook_events::WebhookEvent::try_from_header_and_body("push", &body)
            .unwrap();
    assert!(matches!(
        event.specific,
        octocrab::models::webhook_events::WebhookEventPayload::Push(_)
    ));
    let mut cases = [
        Case::new("floor_hmac", || hmac(&body)),
        Case::new("floor_parse", || {
            serde_json::from_slice::<Push>(&body).unwrap()
        }),
        Case::new("verify", || ours.verify(&headers, &body).unwrap()),
        Case::new("verify_parse", || {
            ours.verify_and_parse(&headers, &body).unwrap()
        }),
        Case::new("webhook_verify", || assert!(peer.verifies(&headers, &body))),
        Case::new("octocrab", || {
            assert!(hmac(&body));
            octocrab::models::webhook_events::WebhookEvent::try_from_header_and_body("push", &body)
                .unwrap()
        }),
    ];
    let r = interleave::run(&mut cases, rounds, batch);
    let head = |name: &str, r: &interleave::Rounds| {
        format!(
            "| {name} | {} B | {} | {} | {} | {} |",
            body_len(name),
            fmt_ns(r.median("floor_hmac")),
            fmt_ns(r.median("floor_parse")),
            ratio_cell(r, "verify", &["floor_hmac"]),
            ratio_cell(r, "verify_parse", &["floor_hmac", "floor_parse"]),
        )
    };
    fn body_len(name: &str) -> usize {
        match name {
            "github" => push_body(2).len(),
            "stripe" => product_body(18).len(),
            _ => 1024,
        }
    }
    let github_head = head("github", &r);
    println!(
        "{github_head} `webhook-verify` (verify) | {} |",
        ratio_cell(&r, "webhook_verify", &["floor_hmac"])
    );
    println!(
        "{github_head} `octocrab` (parse, + the floor's HMAC) | {} |",
        ratio_cell(&r, "octocrab", &["floor_hmac", "floor_parse"])
    );

    // Stripe: webhook-verify (verify), async-stripe (verify + parse). Both read the system
    // clock, so the delivery is signed now.
    let body = product_body(18);
    let ours = stripe::Stripe::<ProductEvent>::new(secret());
    let signed = ours.sign(&body);
    let headers = common::http_headers(signed.headers());
    let signature = headers
        .get(stripe::SIGNATURE_HEADER)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let text = std::str::from_utf8(&body).unwrap();
    let hmac = floor_hmac(&body);
    let peer = Peer::new(webhook_verify::Provider::Stripe);
    peer.check(&ours, &headers, &body, stripe::SIGNATURE_HEADER);
    let wrong = tampered(&headers, stripe::SIGNATURE_HEADER);
    let wrong_signature = wrong
        .get(stripe::SIGNATURE_HEADER)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(stripe_webhook::Webhook::construct_event(text, &wrong_signature, SECRET).is_err());
    let event = stripe_webhook::Webhook::construct_event(text, &signature, SECRET).unwrap();
    assert!(matches!(
        event.data.object,
        stripe_webhook::EventObject::ProductCreated(_)
    ));
    let mut cases = [
        Case::new("floor_hmac", || hmac(&body)),
        Case::new("floor_parse", || {
            serde_json::from_slice::<ProductEvent>(&body).unwrap()
        }),
        Case::new("verify", || ours.verify(&headers, &body).unwrap()),
        Case::new("verify_parse", || {
            ours.verify_and_parse(&headers, &body).unwrap()
        }),
        Case::new("webhook_verify", || assert!(peer.verifies(&headers, &body))),
        Case::new("async_stripe", || {
            stripe_webhook::Webhook::construct_event(text, &signature, SECRET).unwrap()
        }),
    ];
    let r = interleave::run(&mut cases, rounds, batch);
    let stripe_head = head("stripe", &r);
    println!(
        "{stripe_head} `webhook-verify` (verify) | {} |",
        ratio_cell(&r, "webhook_verify", &["floor_hmac"])
    );
    println!(
        "{stripe_head} `async-stripe-webhook` (verify + parse) | {} |",
        ratio_cell(&r, "async_stripe", &["floor_hmac", "floor_parse"])
    );

    // Verification only, against webhook-verify: Shopify, Slack, Zoom.
    verify_only(
        rounds,
        batch,
        "shopify",
        &shopify::Shopify::<serde_json::Value>::new(secret()),
        webhook_verify::Provider::Shopify,
        shopify::SIGNATURE_HEADERS[0],
    );
    verify_only(
        rounds,
        batch,
        "slack",
        &slack::Slack::<serde_json::Value>::new(secret()),
        webhook_verify::Provider::Slack,
        slack::SIGNATURE_HEADER,
    );
    verify_only(
        rounds,
        batch,
        "zoom",
        &zoom::Zoom::<serde_json::Value>::new(secret()),
        webhook_verify::Provider::Zoom,
        zoom::SIGNATURE_HEADER,
    );
}

/// A 1 KiB body, verified by the preset and by webhook-verify.
fn verify_only<P: Provider + Signer>(
    rounds: usize,
    batch: Duration,
    name: &str,
    ours: &P,
    peer: webhook_verify::Provider,
    signature_header: &str,
) {
    let head = r#"{"id":"evt_1","type":"event_callback","event_id":"Ev1","event":"meeting.started","items":"#;
    let items = common::lines(1024 - head.len() - 1);
    let body = format!("{head}{items}}}").into_bytes();
    let signed = ours.sign(&body);
    let headers = common::http_headers(signed.headers());
    let peer = Peer::new(peer);
    peer.check(ours, &headers, &body, signature_header);
    let hmac = floor_hmac(&body);
    let mut cases = [
        Case::new("floor_hmac", || hmac(&body)),
        Case::new("verify", || ours.verify(&headers, &body).unwrap()),
        Case::new("webhook_verify", || assert!(peer.verifies(&headers, &body))),
    ];
    let r = interleave::run(&mut cases, rounds, batch);
    println!(
        "| {name} | {} B | {} | – | {} | – | `webhook-verify` (verify) | {} |",
        body.len(),
        fmt_ns(r.median("floor_hmac")),
        ratio_cell(&r, "verify", &["floor_hmac"]),
        ratio_cell(&r, "webhook_verify", &["floor_hmac"]),
    );
}
