//! The inbox on Redis: a receiver process that acknowledges at once, and worker processes that
//! run the handlers, all sharing one Redis (run with its append-only file, as
//! `scripts/services.sh` starts it).
//!
//! `ROLE=receive` serves the three routes of `axum_receiver` on 127.0.0.1, port `PORT`
//! (default 3000): each delivery is verified, parsed and enqueued, and answered `200 accepted`
//! or `200 duplicate` without waiting for the handler. `ROLE=work` runs a worker per provider
//! (four handlers each) until Ctrl-C, then finishes what is running and exits. Start as many
//! workers as you like, on as many machines; a worker that dies loses its deliveries to the
//! others 30 s after its last heartbeat.
//!
//! ```text
//! export PALENCA_SECRET=palenca-example-secret RECEEVE_SECRET=receeve-example-secret \
//!   MUNITY_TOKEN=munity-example-token REDIS_URL=redis://127.0.0.1:6379/
//! ROLE=receive cargo run -p webhook-receiver-e2e --example redis_inbox &
//! ROLE=work cargo run -p webhook-receiver-e2e --example redis_inbox &
//! cargo run -q -p webhook-receiver-e2e --example axum_receiver -- --print-curl munity | sh
//! ```
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
use webhook_receiver::inbox::{Inbox, InboxReceived, RedisInbox, Worker};
use webhook_receiver::integrations::axum::Enqueue;
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;

const DEFAULT_PORT: u16 = 3000;

#[derive(Clone)]
struct Inboxes {
    palenca: Inbox<Palenca, RedisInbox>,
    receeve: Inbox<Receeve, RedisInbox>,
    munity: Inbox<Munity, RedisInbox>,
}

impl FromRef<Inboxes> for Inbox<Palenca, RedisInbox> {
    fn from_ref(inboxes: &Inboxes) -> Self {
        inboxes.palenca.clone()
    }
}

impl FromRef<Inboxes> for Inbox<Receeve, RedisInbox> {
    fn from_ref(inboxes: &Inboxes) -> Self {
        inboxes.receeve.clone()
    }
}

impl FromRef<Inboxes> for Inbox<Munity, RedisInbox> {
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

async fn palenca_webhook(webhook: Enqueue<Palenca, RedisInbox>) -> InboxReceived {
    logged("palenca", webhook.enqueue().await)
}

async fn receeve_webhook(webhook: Enqueue<Receeve, RedisInbox>) -> InboxReceived {
    logged("receeve", webhook.enqueue().await)
}

async fn munity_webhook(webhook: Enqueue<Munity, RedisInbox>) -> InboxReceived {
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
    webhook_receiver_e2e::serve(listener, app, webhook_receiver_e2e::Limits::default()).await
}

async fn work(inboxes: Inboxes) {
    // One Ctrl-C stops every worker: each waits on its own receiver of the same signal.
    let (signal, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        info!("shutting down: finishing the handlers that run");
        let _ = signal.send(true);
    });
    let stopped = |mut stop: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    info!("working on the inbox: Ctrl-C to stop");
    let palenca = Worker::builder(inboxes.palenca).build();
    let receeve = Worker::builder(inboxes.receeve).build();
    let munity = Worker::builder(inboxes.munity).build();
    let (palenca, receeve, munity) = tokio::join!(
        palenca.run(common::on_palenca, stopped(stop.clone())),
        receeve.run(common::on_receeve, stopped(stop.clone())),
        munity.run(common::on_munity, stopped(stop)),
    );
    info!(?palenca, ?receeve, ?munity, "stopped");
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match common::start("redis_inbox", DEFAULT_PORT) {
        ControlFlow::Continue(config) => config,
        ControlFlow::Break(code) => return code,
    };
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let backend = match RedisInbox::connect(&url).await {
        Ok(backend) => backend,
        Err(err) => {
            error!(error = %err, %url, "cannot use Redis");
            return ExitCode::FAILURE;
        }
    };
    let inboxes = Inboxes {
        palenca: Inbox::new(config.palenca, backend.clone()),
        receeve: Inbox::new(config.receeve, backend.clone()),
        munity: Inbox::new(config.munity, backend),
    };
    match std::env::var("ROLE").as_deref() {
        Ok("receive") => match receive(inboxes, config.port).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                error!(error = %err, "cannot serve");
                ExitCode::FAILURE
            }
        },
        Ok("work") => {
            work(inboxes).await;
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("redis_inbox: set ROLE=receive or ROLE=work");
            ExitCode::from(2)
        }
    }
}
