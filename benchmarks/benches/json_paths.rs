//! Would a faster JSON path pay? serde_json into owned structs (what the crate does), serde_json
//! into borrowed structs, and sonic-rs (SIMD) into the same owned structs, on the payload
//! shapes of `benches/verify.rs`. The crate adopts another path only if it wins by more than
//! 1.5x while keeping the same typed API.
//!
//! Run with `cargo bench -p webhook-receiver-benches --bench json_paths`.

#![allow(clippy::unwrap_used)] // a bench that cannot set up has nothing to measure

mod common;

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Duration;

use common::{InvoicePaid, SIZES, lines};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;

#[allow(dead_code)]
#[derive(Deserialize)]
struct LineRef<'a> {
    #[serde(borrow)]
    sku: Cow<'a, str>,
    qty: u32,
    #[serde(borrow)]
    note: Cow<'a, str>,
}
#[allow(dead_code)]
#[derive(Deserialize)]
struct InvoiceRef<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    data: InvoiceDataRef<'a>,
}
#[allow(dead_code)]
#[derive(Deserialize)]
struct InvoiceDataRef<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    amount: i64,
    #[serde(borrow)]
    lines: Vec<LineRef<'a>>,
}

/// A Palenca-like small event whose large part is an unknown field (skipped).
#[allow(dead_code)]
#[derive(Deserialize)]
struct Small {
    user_id: String,
    webhook_action: String,
    platform: Option<String>,
}

fn json_paths(c: &mut Criterion) {
    for (size, label) in SIZES {
        let typed = format!(
            r#"{{"type":"invoice.paid","data":{{"id":"in_1QaZ","amount":12050,"lines":{}}}}}"#,
            lines(size)
        );
        let skipped = format!(
            r#"{{"user_id":"d1c9b98b-3190-479e-99db-04060ff3997f","webhook_action":"login.success","platform":"uber","history":{}}}"#,
            lines(size)
        );
        let mut g = c.benchmark_group(format!("json/{label}"));
        g.throughput(Throughput::Bytes(typed.len() as u64));
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        g.sample_size(30);
        g.bench_function("serde_json_owned", |b| {
            b.iter(|| serde_json::from_slice::<InvoicePaid>(black_box(typed.as_bytes())).unwrap())
        });
        g.bench_function("serde_json_borrowed", |b| {
            b.iter(|| {
                serde_json::from_slice::<InvoiceRef<'_>>(black_box(typed.as_bytes())).unwrap()
            })
        });
        g.bench_function("sonic_rs_owned", |b| {
            b.iter(|| sonic_rs::from_slice::<InvoicePaid>(black_box(typed.as_bytes())).unwrap())
        });
        g.bench_function("serde_json_skip_unknown", |b| {
            b.iter(|| serde_json::from_slice::<Small>(black_box(skipped.as_bytes())).unwrap())
        });
        g.bench_function("sonic_rs_skip_unknown", |b| {
            b.iter(|| sonic_rs::from_slice::<Small>(black_box(skipped.as_bytes())).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, json_paths);
criterion_main!(benches);
