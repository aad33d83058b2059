//! A webhook server with actix-web: Palenca, receeve and Munity deliveries on their own
//! routes, each verified, parsed and processed once per message id.
//!
//! | route | sender | authentication | secret from |
//! |---|---|---|---|
//! | `POST /webhooks/palenca` | Palenca | header `X-Palenca-Signature: sha256=<hex HMAC-SHA256 of the body>` | `PALENCA_SECRET` |
//! | `POST /webhooks/receeve` | receeve | HMAC-SHA256 of `payloadAsString`, hex, in the body's `signature` field | `RECEEVE_SECRET` |
//! | `POST /webhooks/munity` | Munity | header `X-Munity-Token: <token>` | `MUNITY_TOKEN` |
//!
//! Palenca and Munity publish no signature header: the names above are the ones this server
//! agrees with them. The server listens on 127.0.0.1, port `PORT` (default 3001), and logs
//! through `tracing` (filter from `RUST_LOG`, default `info`). A missing or empty secret
//! stops it at start-up with a message naming the variable, and exit code 2.
//!
//! ```text
//! PALENCA_SECRET=palenca-example-secret RECEEVE_SECRET=receeve-example-secret \
//!   MUNITY_TOKEN=munity-example-token \
//!   cargo run -p webhook-receiver-e2e --example actix_receiver
//! ```
//!
//! From the repository's root, fixtures of the testing kit signed with those secrets (the
//! Palenca signature is the HMAC-SHA256 of `login_success.json` with `palenca-example-secret`):
//!
//! ```text
//! curl -i http://127.0.0.1:3001/webhooks/palenca -H 'content-type: application/json' \
//!   -H 'x-palenca-signature: sha256=c2d8c92ea49d05727ece1c7764ca312e08e84588ae5fe20f6daa7e74fd040956' \
//!   --data-binary @tests/fixtures/palenca/login_success.json
//!
//! curl -i http://127.0.0.1:3001/webhooks/munity -H 'content-type: application/json' \
//!   -H 'x-munity-token: munity-example-token' \
//!   --data-binary @tests/fixtures/munity/webhook_test.json
//!
//! curl -i http://127.0.0.1:3001/webhooks/receeve -H 'content-type: application/json' \
//!   --data-binary '{"payload":{"details":{"messageType":"event.strategy.paused.v1","claimRef":"PDN-922-claim-Oct14-00010","strategyId":"default-strategy","reason":"debtor-request"},"messageId":"e7d6c5b4-a392-4817-8695-a4b3c2d1e0f9","timestamp":"2021-10-22T08:30:00.000Z"},"signature":"a1a755743ecec9021989eece21c704da3a5fdc28c9082973108f95d9236540b5","payloadAsString":"{\"details\":{\"messageType\":\"event.strategy.paused.v1\",\"claimRef\":\"PDN-922-claim-Oct14-00010\",\"strategyId\":\"default-strategy\",\"reason\":\"debtor-request\"},\"messageId\":\"e7d6c5b4-a392-4817-8695-a4b3c2d1e0f9\",\"timestamp\":\"2021-10-22T08:30:00.000Z\"}\n"}'
//! ```
//!
//! Each answers `200 processed` the first time and `200 duplicate` after that (the handler
//! does not run again); a changed byte or signature answers `401 unauthorized`.
//!
//! With secrets of your own, `--print-curl palenca|receeve|munity` prints such a command,
//! signed with the configured secrets and sent to port `PORT`, and exits.
//!
//! The configuration, `--print-curl` and the logging of each outcome are shared with
//! `axum_receiver`, in `e2e/examples/common/mod.rs`; this file is the actix-web wiring.

mod common;

use std::ops::ControlFlow;
use std::process::ExitCode;

use actix_web::{App, HttpServer, web};
use common::Answer;
use tracing::{error, info};
use webhook_receiver::Provider as _;
use webhook_receiver::Receiver;
use webhook_receiver::integrations::{WebhookRejection, actix::Webhook};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;

const DEFAULT_PORT: u16 = 3001;

// ---------------------------------------------------------------------------------------------
// Handlers: each closure runs once per message id.

async fn palenca_webhook(webhook: Result<Webhook<Palenca>, WebhookRejection>) -> Answer {
    let webhook = common::admitted(webhook)?;
    let provider = webhook.receiver().provider().name();
    common::answered(provider, webhook.run(common::on_palenca).await)
}

async fn receeve_webhook(webhook: Result<Webhook<Receeve>, WebhookRejection>) -> Answer {
    let webhook = common::admitted(webhook)?;
    let provider = webhook.receiver().provider().name();
    common::answered(provider, webhook.run(common::on_receeve).await)
}

async fn munity_webhook(webhook: Result<Webhook<Munity>, WebhookRejection>) -> Answer {
    let webhook = common::admitted(webhook)?;
    let provider = webhook.receiver().provider().name();
    common::answered(provider, webhook.run(common::on_munity).await)
}

#[actix_web::main]
async fn main() -> ExitCode {
    let config = match common::start("actix_receiver", DEFAULT_PORT) {
        ControlFlow::Continue(config) => config,
        ControlFlow::Break(code) => return code,
    };

    // One receiver per sender, shared by every worker: a message id claimed on one worker is
    // seen by all of them. Several instances would share a database-backed store instead.
    let palenca = web::Data::new(Receiver::builder(config.palenca).build());
    let receeve = web::Data::new(Receiver::builder(config.receeve).build());
    let munity = web::Data::new(Receiver::builder(config.munity).build());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(palenca.clone())
            .app_data(receeve.clone())
            .app_data(munity.clone())
            .route("/webhooks/palenca", web::post().to(palenca_webhook))
            .route("/webhooks/receeve", web::post().to(receeve_webhook))
            .route("/webhooks/munity", web::post().to(munity_webhook))
    })
    // A request head must arrive within 10 s, an idle kept-alive connection is closed after
    // 10 s, and each worker serves at most 1024 connections; the extractors bound the body.
    .client_request_timeout(std::time::Duration::from_secs(10))
    .keep_alive(std::time::Duration::from_secs(10))
    .max_connections(1024)
    .bind(("127.0.0.1", config.port));
    let server = match server {
        Ok(server) => server,
        Err(err) => {
            error!(port = config.port, %err, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    info!(
        port = config.port,
        "receiving webhooks on /webhooks/palenca, /webhooks/receeve and /webhooks/munity"
    );
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            error!(%err, "server failed");
            ExitCode::FAILURE
        }
    }
}
