//! A receiver as a deploy stops it: the shipped `integrations::axum::serve` with
//! `shutdown_signal()` (SIGTERM, Ctrl-C), for `tests/deploy.rs`.
//!
//! Environment: `MUNITY_TOKEN`; `WORK_MS`, how long each handler works; `GRACE_MS`, the
//! drain's grace period; `EFFECTS`, a file the handler appends `start <state>` and
//! `done <state>` lines to. Prints `ready <port>` once listening on 127.0.0.1, and
//! `drained <connections cut off> <handlers running>` after the drain.

use std::convert::Infallible;
use std::io::Write as _;
use std::time::Duration;

use axum::{Router, routing::post};
use webhook_receiver::integrations::axum::{Limits, Webhook, serve, shutdown_signal};
use webhook_receiver::providers::munity::{Munity, Webhook as Event};
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Delivery, Received, Receiver, Secret};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn number(name: &str) -> u64 {
    env(name).parse().unwrap_or(0)
}

/// One line to the effects file, in one write with `O_APPEND`.
fn record(line: &str) {
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(env("EFFECTS"))
        .and_then(|mut file| file.write_all(format!("{line}\n").as_bytes()));
}

async fn handle(delivery: Delivery<Event>) -> Result<(), Infallible> {
    let state = delivery.event.state.unwrap_or_default();
    record(&format!("start {state}"));
    tokio::time::sleep(Duration::from_millis(number("WORK_MS"))).await;
    record(&format!("done {state}"));
    Ok(())
}

async fn munity_webhook(webhook: Webhook<Munity>) -> Received<(), Infallible> {
    webhook.run(handle).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = Secret::new(env("MUNITY_TOKEN"))?;
    let receiver =
        Receiver::builder(Munity::new(TokenScheme::new("x-munity-token", token)?)).build();
    let app = Router::new()
        .route("/webhooks/munity", post(munity_webhook))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("ready {}", listener.local_addr()?.port());
    let limits = Limits::default().grace(Duration::from_millis(number("GRACE_MS")));
    let drained = serve(listener, app, limits, shutdown_signal()).await?;
    println!(
        "drained {} {}",
        drained.connections_cut_off, drained.handlers_running
    );
    Ok(())
}
