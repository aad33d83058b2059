//! The inbox: a receiver process that acknowledges at once, and worker processes that run the
//! handlers, all sharing one PostgreSQL (`BACKEND=postgres`, the default) or one Redis
//! (`BACKEND=redis`, run with its append-only file, as `scripts/services.sh` starts it).
//!
//! `ROLE=receive` serves the three routes of `axum_receiver` on 127.0.0.1, port `PORT`
//! (default 3000): each delivery is verified, parsed and enqueued, and answered `200 accepted`
//! or `200 duplicate` without waiting for the handler. `ROLE=work` runs a worker per provider
//! (four handlers each) until Ctrl-C, then finishes what is running and exits. Start as many
//! workers as you like, on as many machines; a worker that dies loses its deliveries to the
//! others 30 s after its last heartbeat.
//!
//! On PostgreSQL the workers run `run_in_transaction`: each handler records the event in the
//! application's table `example_events` in the transaction that also records the delivery
//! completed, so the row exists exactly once per delivery whatever crashes when.
//!
//! ```text
//! export PALENCA_SECRET=palenca-example-secret RECEEVE_SECRET=receeve-example-secret \
//!   MUNITY_TOKEN=munity-example-token \
//!   POSTGRES="host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test"
//! ROLE=receive cargo run -p webhook-receiver-e2e --example inbox &
//! ROLE=work cargo run -p webhook-receiver-e2e --example inbox &
//! cargo run -q -p webhook-receiver-e2e --example axum_receiver -- --print-curl munity | sh
//! ```
//!
//! With Redis: `BACKEND=redis REDIS_URL=redis://127.0.0.1:6379/` instead of `POSTGRES`.
//! `INBOX_NAME` (optional) keeps the inbox apart from others on the same server: its table on
//! PostgreSQL, its key prefix (`<name>:`) on Redis.
//!
//! The configuration (secrets, `PORT`) and the handlers are those of the other examples
//! (`e2e/examples/common/mod.rs`).

// The inline pipeline's answers and logging in `common` are not used here.
#[allow(dead_code)]
mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::ControlFlow;
use std::process::ExitCode;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use tracing::{error, info, warn};
use webhook_receiver::Delivery;
use webhook_receiver::inbox::{
    Inbox, InboxBackend, InboxReceived, InboxTransaction, PostgresInbox, RedisInbox, Worker,
    WorkerReport,
};
use webhook_receiver::integrations::axum::InboxWebhook;
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;

const DEFAULT_PORT: u16 = 3000;

/// The application's own table, written by the PostgreSQL workers' handlers.
const EVENTS_TABLE: &str = "CREATE TABLE IF NOT EXISTS example_events (\
    message_key text NOT NULL, provider text NOT NULL, handled_at timestamptz NOT NULL DEFAULT now())";

#[derive(Clone)]
struct Inboxes {
    palenca: Inbox<Palenca>,
    receeve: Inbox<Receeve>,
    munity: Inbox<Munity>,
}

impl Inboxes {
    fn new(config: common::Config, backend: impl InboxBackend + Clone) -> Self {
        Self {
            palenca: Inbox::builder(config.palenca, backend.clone()).build(),
            receeve: Inbox::builder(config.receeve, backend.clone()).build(),
            munity: Inbox::builder(config.munity, backend).build(),
        }
    }
}

impl FromRef<Inboxes> for Inbox<Palenca> {
    fn from_ref(inboxes: &Inboxes) -> Self {
        inboxes.palenca.clone()
    }
}

impl FromRef<Inboxes> for Inbox<Receeve> {
    fn from_ref(inboxes: &Inboxes) -> Self {
        inboxes.receeve.clone()
    }
}

impl FromRef<Inboxes> for Inbox<Munity> {
    fn from_ref(inboxes: &Inboxes) -> Self {
        inboxes.munity.clone()
    }
}

/// The answer, with what it came to logged (the answer never carries an error's text).
fn logged(provider: &str, received: InboxReceived) -> InboxReceived {
    match &received {
        InboxReceived::Accepted => info!(provider, "accepted"),
        InboxReceived::Duplicate => info!(provider, "duplicate acknowledged"),
        InboxReceived::Rejected(err) => warn!(provider, error = %err, "delivery rejected"),
        InboxReceived::Unavailable(err) => error!(provider, error = %err, "inbox unavailable"),
        _ => {}
    }
    received
}

async fn palenca_webhook(webhook: InboxWebhook<Palenca>) -> InboxReceived {
    logged("palenca", webhook.enqueue().await)
}

async fn receeve_webhook(webhook: InboxWebhook<Receeve>) -> InboxReceived {
    logged("receeve", webhook.enqueue().await)
}

async fn munity_webhook(webhook: InboxWebhook<Munity>) -> InboxReceived {
    logged("munity", webhook.enqueue().await)
}

async fn receive(inboxes: Inboxes, port: u16) -> std::io::Result<()> {
    let app = Router::new()
        .route("/webhooks/palenca", post(palenca_webhook))
        .route("/webhooks/receeve", post(receeve_webhook))
        .route("/webhooks/munity", post(munity_webhook))
        .with_state(inboxes);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(%addr, "acknowledging webhooks on /webhooks/{{palenca,receeve,munity}}");
    webhook_receiver::integrations::axum::serve(
        listener,
        app,
        webhook_receiver::integrations::axum::Limits::default(),
        webhook_receiver::integrations::axum::shutdown_signal(),
    )
    .await
    .map(|_| ())
}

/// Completes when Ctrl-C is pressed; every clone waits for the same press.
fn ctrl_c() -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    let (signal, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        info!("shutting down: finishing the handlers that run");
        let _ = signal.send(true);
    });
    move || {
        let mut stop = stop.clone();
        Box::pin(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        })
    }
}

fn stopped(reports: [WorkerReport; 3]) {
    let [palenca, receeve, munity] = reports;
    info!(?palenca, ?receeve, ?munity, "stopped");
}

async fn work_on_redis(inboxes: Inboxes) {
    let stop = ctrl_c();
    info!("working on the inbox: Ctrl-C to stop");
    let palenca = Worker::builder(inboxes.palenca).build();
    let receeve = Worker::builder(inboxes.receeve).build();
    let munity = Worker::builder(inboxes.munity).build();
    let (palenca, receeve, munity) = tokio::join!(
        palenca.run(common::on_palenca, stop()),
        receeve.run(common::on_receeve, stop()),
        munity.run(common::on_munity, stop()),
    );
    stopped([palenca, receeve, munity]);
}

/// Records the event in the application's table inside the run's transaction, then runs the
/// example's handler: the row commits with the completion, once per delivery.
async fn recorded<E, F>(
    delivery: Delivery<E>,
    tx: InboxTransaction,
    handler: impl FnOnce(Delivery<E>) -> F,
) -> Result<InboxTransaction, common::HandlerError>
where
    F: Future<Output = Result<(), common::HandlerError>>,
{
    tx.client()
        .execute(
            "INSERT INTO example_events (message_key, provider) VALUES ($1, $2)",
            &[&delivery.id.key(), &delivery.id.provider()],
        )
        .await?;
    handler(delivery).await?;
    Ok(tx)
}

async fn work_on_postgres(inboxes: Inboxes, backend: PostgresInbox) -> Result<(), String> {
    let client = backend.pool().get().await.map_err(|err| err.to_string())?;
    client
        .batch_execute(EVENTS_TABLE)
        .await
        .map_err(|err| err.to_string())?;
    drop(client);
    let stop = ctrl_c();
    info!("working on the inbox: Ctrl-C to stop");
    let palenca = Worker::builder(inboxes.palenca).build();
    let receeve = Worker::builder(inboxes.receeve).build();
    let munity = Worker::builder(inboxes.munity).build();
    let (palenca, receeve, munity) = tokio::join!(
        palenca.run_in_transaction(|d, tx| recorded(d, tx, common::on_palenca), stop()),
        receeve.run_in_transaction(|d, tx| recorded(d, tx, common::on_receeve), stop()),
        munity.run_in_transaction(|d, tx| recorded(d, tx, common::on_munity), stop()),
    );
    let error = |err: webhook_receiver::ConfigError| err.to_string();
    stopped([
        palenca.map_err(error)?,
        receeve.map_err(error)?,
        munity.map_err(error)?,
    ]);
    Ok(())
}

async fn serve_or_work(
    inboxes: Inboxes,
    port: u16,
    work: impl AsyncFnOnce(Inboxes) -> Result<(), String>,
) -> ExitCode {
    match std::env::var("ROLE").as_deref() {
        Ok("receive") => match receive(inboxes, port).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                error!(error = %err, "cannot serve");
                ExitCode::FAILURE
            }
        },
        Ok("work") => match work(inboxes).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                error!(error = %err, "cannot work");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("inbox: set ROLE=receive or ROLE=work");
            ExitCode::from(2)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match common::start("inbox", DEFAULT_PORT) {
        ControlFlow::Continue(config) => config,
        ControlFlow::Break(code) => return code,
    };
    let port = config.port;
    match std::env::var("BACKEND").as_deref() {
        Ok("postgres") | Err(_) => {
            let database = std::env::var("POSTGRES").unwrap_or_else(|_| {
                "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".into()
            });
            let table = std::env::var("INBOX_NAME")
                .unwrap_or_else(|_| webhook_receiver::inbox::PostgresInbox::DEFAULT_TABLE.into());
            match PostgresInbox::connect_with_table(&database, &table).await {
                Ok(backend) => {
                    let inboxes = Inboxes::new(config, backend.clone());
                    serve_or_work(inboxes, port, async |inboxes| {
                        work_on_postgres(inboxes, backend).await
                    })
                    .await
                }
                Err(err) => {
                    // The error never contains the connection string (nor its password).
                    error!(error = %err, "cannot use PostgreSQL");
                    ExitCode::FAILURE
                }
            }
        }
        Ok("redis") => {
            let url =
                std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
            match RedisInbox::connect(&url).await {
                Ok(backend) => {
                    let backend = match std::env::var("INBOX_NAME") {
                        Ok(name) => backend.with_prefix(format!("{name}:")),
                        Err(_) => backend,
                    };
                    let inboxes = Inboxes::new(config, backend);
                    serve_or_work(inboxes, port, async |inboxes| {
                        work_on_redis(inboxes).await;
                        Ok(())
                    })
                    .await
                }
                Err(err) => {
                    error!(error = %err, %url, "cannot use Redis");
                    ExitCode::FAILURE
                }
            }
        }
        Ok(other) => {
            eprintln!("inbox: BACKEND must be postgres or redis, not {other:?}");
            ExitCode::from(2)
        }
    }
}
