//! A receiver process for `tests/exactly_once_postgres.rs`, which kills it with SIGKILL at
//! random moments: axum on 127.0.0.1, receeve deliveries, a `PostgresStore`, and a handler
//! that writes one effect row per delivery and then keeps working before it commits.
//!
//! Configured from the environment (all required): `PORT`, `DATABASE` (a PostgreSQL
//! connection string), `STORE_TABLE`, `EFFECTS_TABLE` (`id text`, no unique constraint, so a
//! second effect would show), `LEASE_MS`, `RECEEVE_SECRET`, and `MODE`:
//!
//! - `transactional`: the effect row and the completion commit in one transaction
//!   (`PostgresStore::complete_in`), with work before the commit and after it: exactly once,
//!   whenever the process dies.
//! - `separate`: the effect row commits on its own and the completion comes after the
//!   handler's remaining work: the at-least-once window a kill can fall into.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use webhook_receiver::idempotency::DEFAULT_RETENTION;
use webhook_receiver::idempotency::PostgresStore;
use webhook_receiver::integrations::axum::Webhook;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::{Received, Receiver, Secret};

type HandlerError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone)]
struct App {
    receiver: Receiver<Receeve>,
    /// The receiver's store, kept to record completions in the handler's transaction.
    store: PostgresStore,
    effects: String,
    transactional: bool,
}

impl axum::extract::FromRef<App> for Receiver<Receeve> {
    fn from_ref(app: &App) -> Self {
        app.receiver.clone()
    }
}

/// A few tens of milliseconds of "work" after the write, different for each delivery.
fn work(id: &str) -> Duration {
    let spread = id
        .bytes()
        .fold(7_u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Duration::from_millis(20 + spread % 60)
}

async fn on_delivery(
    State(app): State<App>,
    webhook: Webhook<Receeve>,
) -> Received<(), HandlerError> {
    let store = app.store.clone();
    webhook
        .run_with_lease(move |delivery, lease| async move {
            let id = delivery.id.as_str().to_owned();
            let insert = format!("INSERT INTO {} (id) VALUES ($1)", app.effects);
            let mut client = store.pool().get().await?;
            if app.transactional {
                let tx = client.transaction().await?;
                tx.execute(insert.as_str(), &[&id]).await?;
                // Work inside the transaction, and more after it: a kill can land before the
                // commit (neither the effect nor the completion) or after (both).
                tokio::time::sleep(work(&id)).await;
                store.complete_in(&tx, &lease, DEFAULT_RETENTION).await?;
                tx.commit().await?;
                tokio::time::sleep(work(&id)).await;
            } else {
                client.execute(insert.as_str(), &[&id]).await?;
                tokio::time::sleep(work(&id)).await;
                tokio::time::sleep(work(&id)).await;
            }
            Ok(())
        })
        .await
}

fn var(name: &str) -> Result<String, HandlerError> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// Exits 1 with a message naming what is missing or wrong.
#[tokio::main]
async fn main() -> Result<(), HandlerError> {
    let port: u16 = var("PORT")?.parse().map_err(|_| "PORT is not a port")?;
    let lease_ms: u64 = var("LEASE_MS")?
        .parse()
        .map_err(|_| "LEASE_MS is not a number")?;
    let store = PostgresStore::connect_with_table(&var("DATABASE")?, &var("STORE_TABLE")?).await?;
    let receeve = Receeve::hmac(Secret::new(var("RECEEVE_SECRET")?)?);
    let transactional = match var("MODE")?.as_str() {
        "transactional" => true,
        "separate" => false,
        other => {
            return Err(format!("MODE is `transactional` or `separate`, not `{other}`").into());
        }
    };
    let app = App {
        receiver: Receiver::builder(receeve)
            .store(store.clone())
            .lease(Duration::from_millis(lease_ms))
            .build(),
        store,
        effects: var("EFFECTS_TABLE")?,
        transactional,
    };
    let router = Router::new()
        .route("/webhooks/receeve", post(on_delivery))
        .with_state(app);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
