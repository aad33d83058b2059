//! The baseline of `scripts/load_axum.sh`: the routes of `axum_receiver`, with the same request
//! spans (tower-http's `TraceLayer`, logging through `tracing` as there), but each handler only
//! reads the body and answers 200, with no verification, parsing or deduplication. What
//! `axum_receiver` achieves as a share of this is the cost of receiving safely.
//!
//! ```text
//! PORT=3001 RUST_LOG=warn cargo run --release -p webhook-receiver-e2e --example bare_axum
//! ```
//!
//! Listens on 127.0.0.1, port `PORT` (default 3001); `RUST_LOG` as for `axum_receiver`
//! (default `info`).
//!
//! With `SPIN_NS=<n>`, each handler also keeps its thread busy for `n` nanoseconds (a loop on
//! the clock), standing for work of that length: how much server CPU per request `n`
//! nanoseconds of handler work cost once the kernel's share is counted (a slower route is
//! woken and wakes its client more often per request), measured as `load_axum.sh` measures.

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;

/// Reads the whole body (axum's default limit of 2 MB applies) and answers like the receiver.
async fn read_body(body: Bytes) -> &'static str {
    std::hint::black_box(body);
    if let Some(&spin) = SPIN.get().filter(|spin| !spin.is_zero()) {
        let until = Instant::now() + spin;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }
    "processed"
}

/// `SPIN_NS`, read once at start-up.
static SPIN: OnceLock<Duration> = OnceLock::new();

/// `SPIN_NS` (default 0) and `PORT` (default 3001).
fn settings() -> Result<(u64, u16), String> {
    use webhook_receiver_e2e::env_or;
    Ok((
        env_or("SPIN_NS", 0, "a number of nanoseconds")?,
        env_or("PORT", 3001, "a port number")?,
    ))
}

#[tokio::main]
async fn main() -> ExitCode {
    webhook_receiver_e2e::log_from_env();
    let (spin, port) = match settings() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("bare_axum: {message}");
            return ExitCode::from(2);
        }
    };
    let _ = SPIN.set(Duration::from_nanos(spin));
    let app = Router::new()
        .route("/webhooks/palenca", post(read_body))
        .route("/webhooks/receeve", post(read_body))
        .route("/webhooks/munity", post(read_body))
        .layer(webhook_receiver_e2e::request_spans());
    webhook_receiver_e2e::serve_baseline("bare_axum", port, app).await
}
