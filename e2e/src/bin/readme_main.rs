//! The README's complete `main`, verbatim below this header (`tests/readme_main.rs` checks
//! that the two stay the same, then runs this binary and sends it deliveries as a newcomer
//! would with `curl`).

use std::convert::Infallible;

use axum::{Router, routing::post};
use webhook_receiver::integrations::axum::{Limits, Webhook, serve, shutdown_signal};
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::{Received, Receiver, Secret};

async fn receeve_webhook(webhook: Webhook<Receeve>) -> Received<(), Infallible> {
    webhook
        .run(|delivery| async move {
            // Verified and typed; runs once per message id.
            println!("{} {}", delivery.id, delivery.event.details.message_type());
            Ok::<_, Infallible>(())
        })
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The secret receeve signs with; a missing or empty one stops the start-up.
    let secret = std::env::var("RECEEVE_SECRET")?;
    let receiver = Receiver::builder(Receeve::hmac(Secret::new(secret)?)).build();

    let app = Router::new()
        .route("/webhooks/receeve", post(receeve_webhook))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    // A head deadline, a connection cap, and on SIGTERM or Ctrl-C a drain: requests in
    // flight finish, new connections are refused.
    serve(listener, app, Limits::default(), shutdown_signal()).await?;
    Ok(())
}
