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
//!   cargo run -p webhook-receiver-e2e --example axum_receiver
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
//! signature answers `401 unauthorized`. receeve signs inside the body, so let the example
//! write the command (`--print-curl palenca|receeve|munity` prints a curl command sending a
//! fixture signed with the configured secrets to port `PORT`, and exits); with the same
//! variables set as for the server:
//!
//! ```text
//! cargo run -q -p webhook-receiver-e2e --example axum_receiver -- --print-curl receeve | sh
//! ```
//!
//! With the e2e package's feature `observe` (on by default) the crate's `tracing` and `metrics`
//! features are on: each delivery's `webhook.receive` span nests in tower-http's request span
//! (`RUST_LOG=webhook_receiver=debug,tower_http=info` shows both), and `GET /metrics` answers
//! every metric in Prometheus' text format (metrics-exporter-prometheus, histograms with
//! buckets from 100 µs to 10 s):
//!
//! ```text
//! curl -s http://127.0.0.1:3000/metrics | grep webhook_receiver_deliveries_total
//! ```
//!
//! Message ids are recorded in the in-process memory store unless `STORE` says otherwise:
//! `STORE=postgres` (a `PostgresStore` on `POSTGRES`, a libpq connection string, default the
//! test database of `scripts/services.sh`, table `STORE_TABLE`, default the store's own) or
//! `STORE=redis` (a `RedisStore` on `REDIS_URL`, default `redis://127.0.0.1:6379/`, keys
//! prefixed by `STORE_PREFIX` if set), as instances sharing the work would have it.
//!
//! The configuration, `--print-curl` and the logging of each outcome are shared with
//! `actix_receiver`, in `e2e/examples/common/mod.rs`; this file is the axum wiring.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::ControlFlow;
use std::process::ExitCode;

use axum::Router;
use axum::routing::post;
use common::{Answer, Config};
use tracing::{error, info, warn};
use webhook_receiver::Provider as _;
use webhook_receiver::Receiver;
use webhook_receiver::idempotency::{PostgresStore, RedisStore};
use webhook_receiver::integrations::axum::{Limits, serve, shutdown_signal};
use webhook_receiver::integrations::{WebhookRejection, axum::Webhook};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;

const DEFAULT_PORT: u16 = 3000;

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

/// Where the receivers record message ids (`STORE`).
enum Store {
    Memory,
    Postgres(PostgresStore),
    Redis(RedisStore),
}

impl Store {
    /// The store `STORE` names, connected.
    async fn from_env() -> Result<Self, String> {
        match std::env::var("STORE").as_deref() {
            Err(_) | Ok("memory") => Ok(Store::Memory),
            Ok("postgres") => {
                let database = std::env::var("POSTGRES").unwrap_or_else(|_| {
                    "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".into()
                });
                let table = std::env::var("STORE_TABLE")
                    .unwrap_or_else(|_| PostgresStore::DEFAULT_TABLE.into());
                // The error never contains the connection string (nor its password).
                PostgresStore::connect_with_table(&database, &table)
                    .await
                    .map(Store::Postgres)
                    .map_err(|err| format!("cannot use PostgreSQL: {err}"))
            }
            Ok("redis") => {
                let url =
                    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
                let store = RedisStore::connect(&url)
                    .await
                    .map_err(|err| format!("cannot use Redis: {err}"))?;
                Ok(Store::Redis(match std::env::var("STORE_PREFIX") {
                    Ok(prefix) => store.with_prefix(prefix),
                    Err(_) => store,
                }))
            }
            Ok(other) => Err(format!(
                "STORE must be memory, postgres or redis, not {other:?}"
            )),
        }
    }

    /// A receiver for `provider` recording its ids here.
    fn receiver<P: webhook_receiver::Provider>(&self, provider: P) -> Receiver<P> {
        let builder = Receiver::builder(provider);
        match self {
            Store::Memory => builder.build(),
            Store::Postgres(store) => builder.store(store.clone()).build(),
            Store::Redis(store) => builder.store(store.clone()).build(),
        }
    }
}

fn app(config: Config, store: &Store) -> Router {
    let router = Router::new()
        .route(
            "/webhooks/palenca",
            post(palenca_webhook).with_state(store.receiver(config.palenca)),
        )
        .route(
            "/webhooks/receeve",
            post(receeve_webhook).with_state(store.receiver(config.receeve)),
        )
        .route(
            "/webhooks/munity",
            post(munity_webhook).with_state(store.receiver(config.munity)),
        );
    #[cfg(feature = "observe")]
    let router = match webhook_receiver_e2e::metrics::install() {
        Ok(handle) => webhook_receiver_e2e::metrics::route(router, handle),
        Err(err) => {
            error!(error = %err, "no /metrics: the Prometheus recorder could not be installed");
            router
        }
    };
    // Every request in a span of its own (INFO, so that the crate's `webhook.receive` span,
    // also INFO, shows inside it).
    router.layer(webhook_receiver_e2e::request_spans())
}

async fn run(config: Config, store: Store) -> std::io::Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(%addr, "receiving webhooks on /webhooks/{{palenca,receeve,munity}}");
    // Not `axum::serve`, which bounds neither request heads nor connections: the crate's, with
    // a head deadline (also for idle connections), a connection cap, and a drain on SIGTERM.
    let drained = serve(
        listener,
        app(config, &store),
        Limits::default(),
        shutdown_signal(),
    )
    .await?;
    if drained.is_complete() {
        info!("drained: every request in flight was answered");
    } else {
        warn!(?drained, "the grace period ran out with work in flight");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match common::start("axum_receiver", DEFAULT_PORT) {
        ControlFlow::Continue(config) => config,
        ControlFlow::Break(code) => return code,
    };
    let port = config.port;
    let store = match Store::from_env().await {
        Ok(store) => store,
        Err(message) => {
            error!("{message}");
            return ExitCode::FAILURE;
        }
    };
    match run(config, store).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            error!(error = %err, port, "cannot serve");
            ExitCode::FAILURE
        }
    }
}
