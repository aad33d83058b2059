//! The inbox's receiving side over real HTTP on 127.0.0.1, under axum and actix-web: the
//! `InboxWebhook` extractor answers at once (200 accepted, 200 duplicate, 401, 422) while a worker
//! in the same process runs the handler once per delivery, after the answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod actix_server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use webhook_receiver::inbox::{Inbox, InboxReceived, MemoryInbox, Worker};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Delivery, Secret};

const TOKEN: &str = "inbox-http-token";

fn munity() -> Munity {
    Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap())
}

fn body(state: &str) -> String {
    format!(
        r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":true}},"state":"{state}"}}"#
    )
}

async fn post(addr: SocketAddr, token: &str, body: String) -> (u16, String) {
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .post(format!("http://{addr}/webhooks/munity"))
        .header("content-type", "application/json")
        .header("x-munity-token", token)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn serve_axum(inbox: Inbox<Munity>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use webhook_receiver::integrations::axum::InboxWebhook;
    async fn munity_webhook(webhook: InboxWebhook<Munity>) -> InboxReceived {
        webhook.enqueue().await
    }
    let router = axum::Router::new()
        .route("/webhooks/munity", axum::routing::post(munity_webhook))
        .with_state(inbox);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let task = tokio::spawn(async move {
        webhook_receiver::integrations::axum::serve(
            listener,
            router,
            webhook_receiver::integrations::axum::Limits::default(),
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    (addr, task)
}

fn serve_actix(inbox: Inbox<Munity>) -> (SocketAddr, actix_web::dev::ServerHandle) {
    use actix_web::web;
    use webhook_receiver::integrations::actix::InboxWebhook;
    async fn munity_webhook(webhook: InboxWebhook<Munity>) -> InboxReceived {
        webhook.enqueue().await
    }
    let inbox = web::Data::new(inbox);
    actix_server::spawn(
        move |config: &mut web::ServiceConfig| {
            config
                .app_data(inbox.clone())
                .route("/webhooks/munity", web::post().to(munity_webhook));
        },
        1,
        None,
    )
}

/// Sends 40 deliveries (every fifth twice) and a forged and a misshapen one to `addr`, while
/// a worker processes them; checks every answer and that each delivery ran once.
async fn deliveries_are_answered_then_processed_once(addr: SocketAddr, inbox: Inbox<Munity>) {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let handler = {
        let seen = Arc::clone(&seen);
        move |delivery: Delivery<webhook_receiver::providers::munity::Webhook>| {
            let seen = Arc::clone(&seen);
            async move {
                // Slower than the answer: the sender does not wait for this.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let state = delivery.event.state.unwrap_or_default();
                *seen.lock().unwrap().entry(state).or_default() += 1;
                Ok::<_, String>(())
            }
        }
    };
    let worker = Worker::builder(inbox.clone()).concurrency(4).build();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(handler, async {
                let _ = stop_rx.await;
            })
            .await
    });

    for n in 0..40 {
        let (status, text) = post(addr, TOKEN, body(&format!("http-{n}"))).await;
        assert_eq!((status, text.as_str()), (200, "accepted"));
        if n % 5 == 0 {
            let (status, text) = post(addr, TOKEN, body(&format!("http-{n}"))).await;
            assert_eq!(status, 200);
            // Accepted and already processed, or still waiting: a duplicate either way.
            assert_eq!(text, "duplicate");
        }
    }
    let (status, _) = post(addr, "forged", body("forged")).await;
    assert_eq!(status, 401);
    let misshapen = r#"{"workspace_id":"w","event":"integration_installed","payload":[1]}"#;
    let (status, _) = post(addr, TOKEN, misshapen.to_owned()).await;
    assert_eq!(status, 422);

    for _ in 0..500 {
        if inbox.stats().await.unwrap().completed == 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop_tx.send(()).unwrap();
    let report = running.await.unwrap();
    assert_eq!(report.completed, 40);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 40);
    assert!(seen.values().all(|&runs| runs == 1), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_enqueues_and_a_worker_processes_once() {
    let inbox = Inbox::builder(munity(), MemoryInbox::new()).build();
    let (addr, server) = serve_axum(inbox.clone());
    deliveries_are_answered_then_processed_once(addr, inbox).await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_enqueues_and_a_worker_processes_once() {
    let inbox = Inbox::builder(munity(), MemoryInbox::new()).build();
    let (addr, server) = serve_actix(inbox.clone());
    deliveries_are_answered_then_processed_once(addr, inbox).await;
    server.stop(false).await;
}
