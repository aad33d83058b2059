//! A webhook server with axum: Palenca, receeve and Munity deliveries on their own routes,
//! each verified, parsed and processed once per message id.
//!
//! | route | sender | authentication | secret from |
//! |---|---|---|---|
//! | `POST /webhooks/palenca` | Palenca | `X-Palenca-Signature: sha256=<hex HMAC-SHA256 of the body>` | `PALENCA_SECRET` |
//! | `POST /webhooks/receeve` | receeve | HMAC-SHA256 of `payloadAsString`, in the body's `signature` | `RECEEVE_SECRET` |
//! | `POST /webhooks/munity` | Munity | `X-Munity-Token: <token>` | `MUNITY_TOKEN` |
//!
//! Palenca and Munity do not publish a signature header: the header names above are the ones
//! this server agrees with them. It listens on 127.0.0.1, port `PORT` (default 3000), and logs
//! through `tracing` (`RUST_LOG`, default `info`). A missing or empty secret stops it at start-up
//! with exit code 2.
//!
//! ```text
//! PALENCA_SECRET=palenca-example-secret RECEEVE_SECRET=receeve-example-secret \
//!   MUNITY_TOKEN=munity-example-token \
//!   cargo run --example axum_receiver --features axum,testing
//! ```
//!
//! Then, from the crate's directory, deliveries signed as the senders would (the fixtures of
//! the testing kit; the Palenca signature is the HMAC of that file with
//! `palenca-example-secret`):
//!
//! ```text
//! curl -i http://127.0.0.1:3000/webhooks/palenca -H 'content-type: application/json' \
//!   -H 'x-palenca-signature: sha256=c2d8c92ea49d05727ece1c7764ca312e08e84588ae5fe20f6daa7e74fd040956' \
//!   --data-binary @tests/fixtures/palenca/login_success.json
//! curl -i http://127.0.0.1:3000/webhooks/munity -H 'content-type: application/json' \
//!   -H 'x-munity-token: munity-example-token' \
//!   --data-binary @tests/fixtures/munity/webhook_test.json
//! ```
//!
//! The first answers `200 processed`, the same again `200 duplicate`; a changed byte or
//! signature answers `401 unauthorized`. receeve signs inside the body, so let the server print
//! a signed sample (`--print-sample palenca|receeve|munity` prints a fixture signed with the
//! configured secrets, and exits):
//!
//! ```text
//! cargo run -q --example axum_receiver --features axum,testing -- --print-sample receeve \
//!   | curl -i http://127.0.0.1:3000/webhooks/receeve -H 'content-type: application/json' --data-binary @-
//! ```

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tracing::{error, info, warn};
use tracing_subscriber::EnvFilter;
use webhook_receiver::idempotency::Outcome;
use webhook_receiver::integrations::axum::{ProcessOnce, WebhookRejection};
use webhook_receiver::integrations::{Received, Receiver};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::testing;
use webhook_receiver::verify::{HmacScheme, SignatureEncoding, TokenScheme};
use webhook_receiver::{ConfigError, Delivery, MemoryStore, Provider, Secret};

const PALENCA_HEADER: &str = "x-palenca-signature";
const MUNITY_HEADER: &str = "x-munity-token";

/// The senders, configured from the environment.
struct Senders {
    palenca: Palenca,
    receeve: Receeve,
    munity: Munity,
}

impl Senders {
    fn from_env() -> Result<Self, String> {
        let mut missing = Vec::new();
        let mut secret = |name: &'static str| match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Some(value),
            _ => {
                missing.push(name);
                None
            }
        };
        let (palenca, receeve, munity) = (
            secret("PALENCA_SECRET"),
            secret("RECEEVE_SECRET"),
            secret("MUNITY_TOKEN"),
        );
        let (Some(palenca), Some(receeve), Some(munity)) = (palenca, receeve, munity) else {
            return Err(format!(
                "missing secret{}: set {} (see the example's documentation)",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            ));
        };
        let invalid = |name: &'static str| move |err: ConfigError| format!("{name}: {err}");
        Ok(Self {
            palenca: Palenca::new(
                HmacScheme::new(
                    PALENCA_HEADER,
                    Secret::new(palenca).map_err(invalid("PALENCA_SECRET"))?,
                )
                .map_err(invalid("PALENCA_SECRET"))?
                .encoding(SignatureEncoding::Hex)
                .prefix("sha256="),
            ),
            receeve: Receeve::hmac(Secret::new(receeve).map_err(invalid("RECEEVE_SECRET"))?),
            munity: Munity::new(
                TokenScheme::new(
                    MUNITY_HEADER,
                    Secret::new(munity).map_err(invalid("MUNITY_TOKEN"))?,
                )
                .map_err(invalid("MUNITY_TOKEN"))?,
            ),
        })
    }
}

fn port() -> Result<u16, String> {
    match std::env::var("PORT") {
        Err(_) => Ok(3000),
        Ok(port) => port
            .trim()
            .parse()
            .map_err(|_| format!("PORT must be a port number, not {port:?}")),
    }
}

#[derive(Debug)]
struct HandlerFailed;

async fn palenca_webhook(webhook: Result<ProcessOnce<Palenca>, WebhookRejection>) -> Response {
    receive(webhook, |delivery| async move {
        let event = &delivery.event;
        info!(id = %delivery.id, action = %event.action, user = %event.user_id, "palenca event");
        Ok(())
    })
    .await
}

async fn receeve_webhook(webhook: Result<ProcessOnce<Receeve>, WebhookRejection>) -> Response {
    receive(webhook, |delivery| async move {
        let kind = delivery.event.details.message_type();
        info!(id = %delivery.id, message_type = %kind, "receeve message");
        Ok(())
    })
    .await
}

async fn munity_webhook(webhook: Result<ProcessOnce<Munity>, WebhookRejection>) -> Response {
    receive(webhook, |delivery| async move {
        let webhook = &delivery.event;
        info!(
            id = %delivery.id,
            event = webhook.event.name(),
            workspace = %webhook.workspace_id,
            "munity event"
        );
        Ok(())
    })
    .await
}

/// Runs `handler` once per message id, and logs what was refused or failed.
async fn receive<P, F, Fut>(
    webhook: Result<ProcessOnce<P>, WebhookRejection>,
    handler: F,
) -> Response
where
    P: Provider,
    F: FnOnce(Delivery<P::Event>) -> Fut,
    Fut: Future<Output = Result<(), HandlerFailed>>,
{
    let webhook = match webhook {
        Ok(webhook) => webhook,
        Err(rejection) => {
            warn!(status = rejection.status().as_u16(), error = %rejection, "request refused");
            return rejection.into_response();
        }
    };
    let provider = webhook.receiver().provider().name();
    let received = webhook.run(handler).await;
    match &received {
        Received::Rejected(err) if err.is_authentication() => {
            warn!(provider, error = %err, "delivery failed authentication");
        }
        Received::Rejected(err) => warn!(provider, error = %err, "delivery rejected"),
        Received::Verified(Outcome::HandlerFailed { error, .. }) => {
            error!(provider, ?error, "handler failed; the sender will retry");
        }
        Received::Verified(Outcome::StoreFailed(err)) => {
            error!(provider, error = %err, "idempotency store failed");
        }
        _ => {}
    }
    received.into_response()
}

fn app(senders: Senders) -> Router {
    Router::new()
        .route(
            "/webhooks/palenca",
            post(palenca_webhook).with_state(Receiver::new(senders.palenca, MemoryStore::new())),
        )
        .route(
            "/webhooks/receeve",
            post(receeve_webhook).with_state(Receiver::new(senders.receeve, MemoryStore::new())),
        )
        .route(
            "/webhooks/munity",
            post(munity_webhook).with_state(Receiver::new(senders.munity, MemoryStore::new())),
        )
}

/// `--print-sample <sender>`: a fixture signed as the sender would sign it, body on standard
/// output, headers on standard error.
fn print_sample(senders: &Senders, sender: Option<&str>) -> Result<(), String> {
    let request = match sender {
        Some("palenca") => testing::palenca::login_success().signed_with(&senders.palenca),
        Some("receeve") => testing::receeve::claim_created().signed_with(&senders.receeve),
        Some("munity") => testing::munity::webhook_test().signed_with(&senders.munity),
        other => {
            return Err(format!(
                "--print-sample takes palenca, receeve or munity, not {other:?}"
            ));
        }
    };
    for (name, value) in request.headers() {
        eprintln!("{name}: {value}");
    }
    println!("{}", String::from_utf8_lossy(request.body()));
    Ok(())
}

async fn serve(senders: Senders, port: u16) -> std::io::Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(%addr, "receiving webhooks on /webhooks/{{palenca,receeve,munity}}");
    axum::serve(listener, app(senders)).await
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let senders = match Senders::from_env() {
        Ok(senders) => senders,
        Err(message) => {
            eprintln!("axum_receiver: {message}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--print-sample") {
        return match print_sample(&senders, args.get(1).map(String::as_str)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("axum_receiver: {message}");
                ExitCode::from(2)
            }
        };
    }
    let port = match port() {
        Ok(port) => port,
        Err(message) => {
            eprintln!("axum_receiver: {message}");
            return ExitCode::from(2);
        }
    };
    match serve(senders, port).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            error!(error = %err, port, "cannot serve");
            ExitCode::FAILURE
        }
    }
}
