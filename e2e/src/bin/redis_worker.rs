//! A worker process for `tests/inbox_redis_processes.rs`, which kills it with SIGKILL
//! mid-job and runs two of it on one inbox: a `Worker` over a `RedisInbox` of Munity
//! deliveries, whose handler appends the delivery's `state` and this process's id to a file
//! (the effect), then keeps working.
//!
//! Configured from the environment (all required): `REDIS` (a URL), `PREFIX` (the inbox's
//! key prefix), `MUNITY_TOKEN`, `EFFECTS` (the file), `VISIBILITY_MS`, `WORK_MS` and
//! `CONCURRENCY`. Prints `ready` once connected, and runs until killed.

use std::io::Write as _;
use std::time::Duration;

use webhook_receiver::inbox::{Inbox, RedisInbox, Worker};
use webhook_receiver::providers::munity::{Munity, Webhook};
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Delivery, Secret};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("redis_worker: {name} is required");
        std::process::exit(2)
    })
}

fn number(name: &str) -> u64 {
    env(name).parse().unwrap_or_else(|_| {
        eprintln!("redis_worker: {name} must be a number");
        std::process::exit(2)
    })
}

#[tokio::main]
async fn main() {
    let secret = Secret::new(env("MUNITY_TOKEN")).unwrap_or_else(|err| {
        eprintln!("redis_worker: MUNITY_TOKEN: {err}");
        std::process::exit(2)
    });
    let scheme = TokenScheme::new("x-munity-token", secret).unwrap_or_else(|err| {
        eprintln!("redis_worker: {err}");
        std::process::exit(2)
    });
    let backend = match RedisInbox::connect(&env("REDIS")).await {
        Ok(backend) => backend.with_prefix(env("PREFIX")),
        Err(err) => {
            eprintln!("redis_worker: {err}");
            std::process::exit(1)
        }
    };
    let effects = env("EFFECTS");
    let work = Duration::from_millis(number("WORK_MS"));
    let worker = Worker::builder(Inbox::new(Munity::new(scheme), backend))
        .concurrency(usize::try_from(number("CONCURRENCY")).unwrap_or(1))
        .visibility_timeout(Duration::from_millis(number("VISIBILITY_MS")))
        .build();
    println!("ready");
    let handler = move |delivery: Delivery<Webhook>| {
        let effects = effects.clone();
        async move {
            let line = format!(
                "{} {}\n",
                delivery.event.state.unwrap_or_default(),
                std::process::id()
            );
            // One write of one short line with O_APPEND: lines of two processes never mix.
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
