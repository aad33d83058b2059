//! A worker process for `tests/inbox_redis_processes.rs` and `tests/inbox_postgres_processes.rs`,
//! which kill it with SIGKILL mid-job and run two of it on one inbox: a `Worker` over Munity
//! deliveries whose handler records the delivery's `state` and this process's id (the effect),
//! then keeps working.
//!
//! - `BACKEND=redis`: a `RedisInbox` (`REDIS`, a URL; `PREFIX`, its key prefix); the effect is
//!   a line appended to the file `EFFECTS`, at least once.
//! - `BACKEND=postgres`: a `PostgresInbox` (`POSTGRES`, a connection string; `TABLE`, its
//!   table); the effect is a row of the table `EFFECTS`, written in the run's transaction
//!   (`run_in_transaction`), which commits after the work: exactly once.
//!
//! Also required: `MUNITY_TOKEN`, `VISIBILITY_MS`, `WORK_MS` and `CONCURRENCY`. Prints
//! `ready` once connected, and runs until killed.

use std::io::Write as _;
use std::time::Duration;

use webhook_receiver::inbox::{
    Inbox, InboxTransaction, PostgresInbox, RedisInbox, Worker, WorkerBuilder,
};
use webhook_receiver::providers::munity::{Munity, Webhook};
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Delivery, Secret};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(2, &format!("{name} is required")))
}

fn number(name: &str) -> u64 {
    env(name)
        .parse()
        .unwrap_or_else(|_| fail(2, &format!("{name} must be a number")))
}

fn fail(code: i32, message: &str) -> ! {
    eprintln!("inbox_worker: {message}");
    std::process::exit(code)
}

fn options(builder: WorkerBuilder<Munity>) -> WorkerBuilder<Munity> {
    builder
        .concurrency(usize::try_from(number("CONCURRENCY")).unwrap_or(1))
        .visibility_timeout(Duration::from_millis(number("VISIBILITY_MS")))
}

fn line(delivery: &Delivery<Webhook>) -> String {
    delivery.event.state.clone().unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let secret = Secret::new(env("MUNITY_TOKEN")).unwrap_or_else(|err| fail(2, &err.to_string()));
    let scheme =
        TokenScheme::new("x-munity-token", secret).unwrap_or_else(|err| fail(2, &err.to_string()));
    let munity = Munity::new(scheme);
    let effects = env("EFFECTS");
    let work = Duration::from_millis(number("WORK_MS"));
    match env("BACKEND").as_str() {
        "redis" => {
            let backend = RedisInbox::connect(&env("REDIS"))
                .await
                .unwrap_or_else(|err| fail(1, &err.to_string()))
                .with_prefix(env("PREFIX"));
            let worker = options(Worker::builder(Inbox::builder(munity, backend).build())).build();
            println!("ready");
            let handler = move |delivery: Delivery<Webhook>| {
                let effects = effects.clone();
                async move {
                    let line = format!("{} {}\n", line(&delivery), std::process::id());
                    // One write of one short line with O_APPEND: lines of two processes never
                    // mix.
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&effects)
                        .and_then(|mut file| file.write_all(line.as_bytes()))
                        .map_err(|err| err.to_string())?;
                    tokio::time::sleep(work).await;
                    Ok::<_, String>(())
                }
            };
            worker.run(handler, std::future::pending()).await;
        }
        "postgres" => {
            let backend = PostgresInbox::connect_with_table(&env("POSTGRES"), &env("TABLE"))
                .await
                .unwrap_or_else(|err| fail(1, &err.to_string()));
            let worker = options(Worker::builder(Inbox::builder(munity, backend).build())).build();
            let insert = format!("INSERT INTO {effects} (state, process) VALUES ($1, $2)");
            println!("ready");
            let handler = move |delivery: Delivery<Webhook>, tx: InboxTransaction| {
                let insert = insert.clone();
                async move {
                    let process = i64::from(std::process::id());
                    tx.client()
                        .execute(insert.as_str(), &[&line(&delivery), &process])
                        .await
                        .map_err(|err| err.to_string())?;
                    // Still uncommitted: a kill now rolls the effect back.
                    tokio::time::sleep(work).await;
                    Ok::<_, String>(tx)
                }
            };
            if let Err(err) = worker
                .run_in_transaction(handler, std::future::pending())
                .await
            {
                fail(2, &err.to_string());
            }
        }
        other => fail(
            2,
            &format!("BACKEND must be redis or postgres, not {other:?}"),
        ),
    }
}
