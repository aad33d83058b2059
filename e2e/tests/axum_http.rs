//! The HTTP contract (`http_contract/`) against the axum adapter, served as the examples
//! serve it (`integrations::axum::serve`: hyper 1 with a head deadline and a connection cap)
//! on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod http_contract;

use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::routing::post;
use axum::{Extension, Router};
use http_contract::{Framework, HandlerFailed, Recorder, Running, body_timeout, handle};
use webhook_receiver::integrations::axum::Webhook;
use webhook_receiver::{Provider, Received, Receiver};

struct Axum;

struct App<P: Provider> {
    receiver: Receiver<P>,
    recorder: Arc<Recorder<P::Event>>,
}

impl<P: Provider> Clone for App<P> {
    fn clone(&self) -> Self {
        Self {
            receiver: self.receiver.clone(),
            recorder: Arc::clone(&self.recorder),
        }
    }
}

impl<P: Provider> FromRef<App<P>> for Receiver<P> {
    fn from_ref(app: &App<P>) -> Self {
        app.receiver.clone()
    }
}

async fn on_delivery<P>(
    State(app): State<App<P>>,
    webhook: Webhook<P>,
) -> Received<(), HandlerFailed>
where
    P: Provider + 'static,
    P::Event: Send + 'static,
{
    webhook.run(|delivery| handle(app.recorder, delivery)).await
}

impl Framework for Axum {
    fn serve<P>(receiver: Receiver<P>, recorder: Arc<Recorder<P::Event>>) -> Running
    where
        P: Provider + Clone + 'static,
        P::Event: Send + 'static,
    {
        let router = Router::new()
            .route("/webhook", post(on_delivery::<P>))
            .layer(Extension(body_timeout()))
            .with_state(App { receiver, recorder });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let task = tokio::spawn(async move {
            let limits = webhook_receiver::integrations::axum::Limits::default()
                .head_timeout(http_contract::HEAD_TIMEOUT);
            webhook_receiver::integrations::axum::serve(
                listener,
                router,
                limits,
                std::future::pending(),
            )
            .await
            .unwrap();
        });
        Running {
            addr,
            stop: Some(Box::new(move || task.abort())),
        }
    }
}

http_contract!(Axum);
