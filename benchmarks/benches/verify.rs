//! Verification and parsing against the floor, per provider and body size, and Standard
//! Webhooks against the peer crates on the same delivery.
//!
//! Every group measures, on the same bytes in the same run:
//! - `floor_hmac`: a bare HMAC-SHA256 over the signed bytes (key set up per call, as a
//!   hand-written check does) and a constant-time `verify_slice`;
//! - `floor_parse`: a bare `serde_json::from_slice` into an equivalent plain struct;
//! - `verify`, `parse`, `verify_parse`: this crate.
//!
//! `scripts/bench_table.py` turns the results into the table of ratios in `docs/performance.md`.
//! Run with `cargo bench -p webhook-receiver-benches --bench verify`.

#![allow(clippy::unwrap_used)] // a bench that cannot set up has nothing to measure

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{InvoicePaid, SIZES, lines};
use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::providers::standard::StandardWebhooks;
use webhook_receiver::testing::{self, Signer};
use webhook_receiver::verify::{HmacScheme, TokenScheme};
use webhook_receiver::{Headers, Provider, Secret, dangerous};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const KEY: &[u8] = b"bench-secret-key-0123456789abcdef";

fn sized(target: usize, build: impl Fn(&str) -> String) -> String {
    let base = build("[]").len();
    build(&lines(target.saturating_sub(base)))
}

fn floor_hmac(signed: &[u8], mac: &[u8; 32]) -> bool {
    let mut check = <HmacSha256 as KeyInit>::new_from_slice(KEY).unwrap();
    check.update(signed);
    check.verify_slice(mac).is_ok()
}

fn mac_of(parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(KEY).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// This crate's three measurements of one delivery: verify, parse (unverified), verify+parse.
fn ours<P: Provider>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    provider: &P,
    headers: &http::HeaderMap,
    body: &[u8],
) {
    g.bench_function("verify", |b| {
        b.iter(|| provider.verify(headers, black_box(body)).unwrap())
    });
    g.bench_function("parse", |b| {
        b.iter(|| dangerous::parse_unverified(provider, headers, black_box(body)).unwrap())
    });
    g.bench_function("verify_parse", |b| {
        b.iter(|| provider.verify_and_parse(headers, black_box(body)).unwrap())
    });
}

fn group<'a>(c: &'a mut Criterion, name: String, bytes: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.sample_size(30);
    g
}

// ---- plain structs for the parse floor (owned strings, as a user would write them) ----

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainPalencaData {
    webhook_id: Option<String>,
    account_id: Option<String>,
    external_id: Option<String>,
    platform: Option<String>,
    user_id: String,
    status_details: Option<String>,
    webhook_action: String,
}
#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainPalenca {
    webhook_url: Option<String>,
    data: PlainPalencaData,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainClaim {
    #[serde(rename = "messageType")]
    message_type: String,
    #[serde(rename = "claimRef")]
    claim_ref: String,
    #[serde(rename = "receeveClaimRef")]
    receeve_claim_ref: Option<String>,
    amount: i64,
    currency: String,
    #[serde(rename = "dueDate")]
    due_date: Option<String>,
    #[serde(rename = "accountReference")]
    account_reference: Option<String>,
}
#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainMessage {
    details: PlainClaim,
    #[serde(rename = "messageId")]
    message_id: String,
    timestamp: String,
}
#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainEnvelope {
    signature: String,
    #[serde(rename = "payloadAsString")]
    payload_as_string: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainMunityPayload {
    id: String,
    resource_id: String,
    #[serde(rename = "type")]
    kind: String,
    // Kept as raw JSON text, as the crate keeps these arbitrary-JSON fields.
    diff: Box<serde_json::value::RawValue>,
    data: Box<serde_json::value::RawValue>,
}
#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainMunity {
    workspace_id: String,
    customer_id: Option<String>,
    event: String,
    state: Option<String>,
    payload: PlainMunityPayload,
}

fn palenca(c: &mut Criterion) {
    let provider =
        Palenca::new(HmacScheme::new("x-palenca-signature", Secret::new(KEY).unwrap()).unwrap());
    for (size, label) in SIZES {
        let body = sized(size, |pad| {
            format!(
                r#"{{"webhook_url":"https://example.com/webhooks/palenca","data":{{"webhook_id":"7b0c4a52-0f5e-4d35-9a0e-2b1f4c8d9e10","account_id":"cb39ee15-f29f-427d-9119-0c627575610d","external_id":"None","platform":"uber","user_id":"d1c9b98b-3190-479e-99db-04060ff3997f","status_details":"pending_for_data","webhook_action":"login.created","history":{pad}}}}}"#
            )
        });
        let request = provider.sign(body.as_bytes());
        let headers = common::http_headers(request.headers());
        let mac = mac_of(&[body.as_bytes()]);
        let mut g = group(c, format!("palenca/{label}"), body.len());
        g.bench_function("floor_hmac", |b| {
            b.iter(|| floor_hmac(black_box(body.as_bytes()), &mac))
        });
        g.bench_function("floor_parse", |b| {
            b.iter(|| serde_json::from_slice::<PlainPalenca>(black_box(body.as_bytes())).unwrap())
        });
        ours(&mut g, &provider, &headers, body.as_bytes());
        g.finish();
    }
}

fn receeve(c: &mut Criterion) {
    let provider = Receeve::hmac(Secret::new(KEY).unwrap());
    for (size, label) in SIZES {
        // The envelope carries the payload twice (object and escaped text): size the payload to
        // about half the target so the body lands near it.
        let payload = sized(size / 2, |pad| {
            format!(
                r#"{{"details":{{"messageType":"event.claim.created.v1","accountReference":"PDN-922-Oct14-0001","claimRef":"PDN-922-claim-Oct14-00010","receeveClaimRef":"PDN-922-claim-Oct14-00010","amount":501,"currency":"EUR","dueDate":"2021-10-07","items":{pad}}},"messageId":"09feeb6f-350a-430a-a040-cd1c558cbc91","timestamp":"2021-10-14T15:33:16.848Z","user":{{"id":"USER_ID","poolId":"POOL_ID","originator":"ClientAPI"}}}}"#
            )
        });
        let request = provider.sign(payload.as_bytes());
        let body = request.body().to_vec();
        let headers = common::http_headers(request.headers());
        let mac = mac_of(&[payload.as_bytes()]);
        let mut g = group(c, format!("receeve/{label}"), body.len());
        g.bench_function("floor_hmac", |b| {
            b.iter(|| floor_hmac(black_box(payload.as_bytes()), &mac))
        });
        g.bench_function("floor_parse", |b| {
            b.iter(|| {
                serde_json::from_slice::<PlainMessage>(black_box(payload.as_bytes())).unwrap()
            })
        });
        // The whole receeve sequence written by hand: envelope, HMAC of payloadAsString, parse it.
        g.bench_function("floor_sequence", |b| {
            b.iter(|| {
                let envelope: PlainEnvelope = serde_json::from_slice(black_box(&body)).unwrap();
                let signature = hex::decode(&envelope.signature).unwrap();
                let mut check = <HmacSha256 as KeyInit>::new_from_slice(KEY).unwrap();
                check.update(envelope.payload_as_string.as_bytes());
                check.verify_slice(&signature).unwrap();
                serde_json::from_str::<PlainMessage>(&envelope.payload_as_string).unwrap()
            })
        });
        ours(&mut g, &provider, &headers, &body);
        g.finish();
    }
}

fn munity(c: &mut Criterion) {
    let provider =
        Munity::new(HmacScheme::new("x-munity-signature", Secret::new(KEY).unwrap()).unwrap());
    let token = Munity::new(
        TokenScheme::new("x-munity-token", Secret::new("munity-url-token").unwrap()).unwrap(),
    );
    for (size, label) in SIZES {
        let body = sized(size, |pad| {
            format!(
                r#"{{"workspace_id":"ws_8f2c1a","customer_id":"cust_42","event":"integration_updated_data_model","state":"onboarding-7c1e","payload":{{"id":"int_91","resource_id":"res_1001","type":"invoice","diff":{{"amount":[100,120]}},"data":{{"id":"res_1001","amount":120,"lines":{pad}}}}}}}"#
            )
        });
        let request = provider.sign(body.as_bytes());
        let headers = common::http_headers(request.headers());
        let token_headers = common::http_headers(token.sign(body.as_bytes()).headers());
        let mac = mac_of(&[body.as_bytes()]);
        let mut g = group(c, format!("munity/{label}"), body.len());
        g.bench_function("floor_hmac", |b| {
            b.iter(|| floor_hmac(black_box(body.as_bytes()), &mac))
        });
        g.bench_function("floor_parse", |b| {
            b.iter(|| serde_json::from_slice::<PlainMunity>(black_box(body.as_bytes())).unwrap())
        });
        ours(&mut g, &provider, &headers, body.as_bytes());
        g.bench_function("verify_token", |b| {
            b.iter(|| {
                token
                    .verify(&token_headers, black_box(body.as_bytes()))
                    .unwrap()
            })
        });
        // Munity sends no message id: the body's SHA-256 is the id, a cost the floors lack.
        g.bench_function("floor_digest", |b| {
            b.iter(|| <sha2::Sha256 as sha2::Digest>::digest(black_box(body.as_bytes())))
        });
        g.finish();
    }
}

fn standard(c: &mut Criterion) {
    use base64::Engine as _;
    let whsec = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(KEY)
    );
    let provider = StandardWebhooks::<InvoicePaid>::from_whsec(&whsec).unwrap();
    let peer = standardwebhooks::Webhook::new(&whsec).unwrap();
    let svix_peer = svix::webhooks::Webhook::new(&whsec).unwrap();
    for (size, label) in SIZES {
        let body = sized(size, |pad| {
            format!(
                r#"{{"type":"invoice.paid","timestamp":"2026-11-25T10:00:00Z","data":{{"id":"in_1QaZ","amount":12050,"lines":{pad}}}}}"#
            )
        });
        // Signed "now": both peers check the timestamp against the system clock.
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let request = testing::standard::sign(
            &provider,
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            now,
            body.clone(),
        );
        let headers = common::http_headers(request.headers());
        let ts = now.to_string();
        let mac = mac_of(&[
            b"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.",
            ts.as_bytes(),
            b".",
            body.as_bytes(),
        ]);
        let signed = format!("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.{ts}.{body}");
        let mut g = group(c, format!("standard/{label}"), body.len());
        g.bench_function("floor_hmac", |b| {
            b.iter(|| floor_hmac(black_box(signed.as_bytes()), &mac))
        });
        g.bench_function("floor_parse", |b| {
            b.iter(|| serde_json::from_slice::<InvoicePaid>(black_box(body.as_bytes())).unwrap())
        });
        ours(&mut g, &provider, &headers, body.as_bytes());
        g.bench_function("peer_standardwebhooks", |b| {
            b.iter(|| peer.verify(black_box(body.as_bytes()), &headers).unwrap())
        });
        g.bench_function("peer_svix", |b| {
            b.iter(|| {
                svix_peer
                    .verify(black_box(body.as_bytes()), &headers)
                    .unwrap()
            })
        });
        g.finish();
    }
}

/// Reading a Standard Webhooks delivery's three headers from a realistic `http::HeaderMap` (ten
/// headers): three hashed lookups against one `Headers::get_each` pass, and against a pass
/// whose names are known when compiling (a `match` on literals), the floor of any pass.
fn header_lookups(c: &mut Criterion) {
    let mut map = http::HeaderMap::new();
    for (name, value) in [
        ("host", "example.com"),
        ("user-agent", "Svix-Webhooks/1.0"),
        ("content-type", "application/json"),
        ("content-length", "175"),
        ("accept", "*/*"),
        ("accept-encoding", "gzip"),
        ("x-forwarded-for", "10.0.0.1"),
        ("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
        ("webhook-timestamp", "1764000000"),
        (
            "webhook-signature",
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        ),
    ] {
        map.append(name, http::HeaderValue::from_static(value));
    }
    let names = ["webhook-id", "webhook-timestamp", "webhook-signature"];
    let mut g = c.benchmark_group("headers");
    g.bench_function("three_gets", |b| {
        b.iter(|| names.map(|name| Headers::get(black_box(&map), name)))
    });
    g.bench_function("get_each", |b| {
        b.iter(|| {
            let mut out = [None; 3];
            black_box(&map).get_each(&names, &mut out);
            out
        })
    });
    g.bench_function("literal_match_pass", |b| {
        b.iter(|| {
            let mut out = [None; 3];
            for (k, v) in black_box(&map).iter() {
                let i = match k.as_str() {
                    "webhook-id" => 0,
                    "webhook-timestamp" => 1,
                    "webhook-signature" => 2,
                    _ => continue,
                };
                if let Some(slot @ None) = out.get_mut(i) {
                    *slot = Some(v.as_bytes());
                }
            }
            out
        })
    });
    g.finish();
}

/// A hostile `webhook-signature` list on a 1 MiB body (no key needed to send it): one `v1a`
/// entry, 4,000 copies of one, and 4,000 distinct ones, each a genuine signature of some other
/// message, beside the floor of one ed25519 verification. Only the first
/// `StandardScheme::MAX_V1A_ENTRIES` distinct entries are checked, so the distinct list costs
/// at most that multiple of one entry, and the copies cost one.
fn standard_v1a_lists(c: &mut Criterion) {
    use base64::Engine as _;
    use ed25519_dalek::{Signer as _, SigningKey, Verifier as _};
    use webhook_receiver::verify::StandardScheme;
    let base64 = base64::engine::general_purpose::STANDARD;
    let key = SigningKey::from_bytes(&[7; 32]);
    let whpk = format!("whpk_{}", base64.encode(key.verifying_key().as_bytes()));
    let scheme = StandardScheme::from_whpk(&whpk).unwrap();
    let body = lines(1024 * 1024);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    let message = format!("{id}.{now}.{body}");
    let entries: Vec<String> = (0..4_000)
        .map(|i: u32| {
            format!(
                "v1a,{}",
                base64.encode(key.sign(&i.to_be_bytes()).to_bytes())
            )
        })
        .collect();
    let other = key.sign(b"another message");
    let first = entries.first().unwrap().clone();
    let lists = [
        ("one_entry", first.clone()),
        ("4000_copies", vec![first.as_str(); 4_000].join(" ")),
        ("4000_distinct", entries.join(" ")),
    ];
    let mut g = group(c, "standard_v1a_list/1MiB".to_owned(), body.len());
    g.bench_function("floor_ed25519", |b| {
        b.iter(|| {
            key.verifying_key()
                .verify(black_box(message.as_bytes()), &other)
                .is_err()
        })
    });
    for (name, list) in lists {
        let headers = [
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", list),
        ];
        assert!(matches!(
            scheme.verify(&headers, body.as_bytes()),
            Err(webhook_receiver::Error::InvalidSignature)
        ));
        g.bench_function(name, |b| {
            b.iter(|| scheme.verify(&headers, black_box(body.as_bytes())).is_err())
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    palenca,
    receeve,
    munity,
    standard,
    standard_v1a_lists,
    header_lookups
);
criterion_main!(benches);
