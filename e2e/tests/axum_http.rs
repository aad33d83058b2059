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
use webhook_receiver::inbox::{Inbox, InboxReceived};
use webhook_receiver::integrations::axum::{InboxWebhook, Webhook};
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

async fn on_inbox_delivery<P: Provider + 'static>(webhook: InboxWebhook<P>) -> InboxReceived {
    webhook.enqueue().await
}

/// Serves `router` on 127.0.0.1 with `serve`, until the returned value is dropped.
fn spawn(router: Router) -> Running {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let task = tokio::spawn(async move {
        let limits = webhook_receiver::integrations::axum::Limits::default()
            .head_timeout(http_contract::HEAD_TIMEOUT);
        webhook_receiver::integrations::axum::serve(
            listener,
            router.layer(Extension(body_timeout())),
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

impl Framework for Axum {
    fn serve<P>(receiver: Receiver<P>, recorder: Arc<Recorder<P::Event>>) -> Running
    where
        P: Provider + Clone + 'static,
        P::Event: Send + 'static,
    {
        spawn(
            Router::new()
                .route("/webhook", post(on_delivery::<P>))
                .with_state(App { receiver, recorder }),
        )
    }

    fn serve_inbox<P>(inbox: Inbox<P>) -> Running
    where
        P: Provider + 'static,
    {
        spawn(
            Router::new()
                .route("/webhook", post(on_inbox_delivery::<P>))
                .with_state(inbox),
        )
    }
}

http_contract!(Axum);
