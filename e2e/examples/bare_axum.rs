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

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use tracing_subscriber::EnvFilter;

/// Reads the whole body (axum's default limit of 2 MB applies) and answers like the receiver.
async fn read_body(body: Bytes) -> &'static str {
    std::hint::black_box(body);
    "processed"
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let port = match std::env::var("PORT").map(|port| port.trim().parse::<u16>()) {
        Err(_) => 3001,
        Ok(Ok(port)) => port,
        Ok(Err(_)) => {
            eprintln!("bare_axum: PORT must be a port number");
            return ExitCode::from(2);
        }
    };
    let app = Router::new()
        .route("/webhooks/palenca", post(read_body))
        .route("/webhooks/receeve", post(read_body))
        .route("/webhooks/munity", post(read_body))
        .layer(webhook_receiver_e2e::request_spans());
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let served = async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        // The same server set-up as `axum_receiver`, so that the comparison is of the routes.
        webhook_receiver::integrations::axum::serve(
            listener,
            app,
            webhook_receiver::integrations::axum::Limits::default(),
            webhook_receiver::integrations::axum::shutdown_signal(),
        )
        .await
        .map(|_| ())
    };
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bare_axum: cannot serve on {addr}: {err}");
            ExitCode::FAILURE
        }
    }
}
