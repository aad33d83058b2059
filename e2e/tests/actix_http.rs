//! The HTTP contract (`http_contract/`) against the actix-web adapter: an `HttpServer` on
//! 127.0.0.1 in a thread of its own (actix-web runs on its own system).
#![allow(clippy::unwrap_used)]

mod actix_server;
mod http_contract;

use std::sync::Arc;

use actix_web::web;
use http_contract::{Framework, HandlerFailed, Recorder, Running, body_timeout, handle};
use webhook_receiver::inbox::{Inbox, InboxReceived};
use webhook_receiver::integrations::actix::{InboxWebhook, Webhook};
use webhook_receiver::{Provider, Received, Receiver};

struct Actix;

struct Shared<E>(Arc<Recorder<E>>);

async fn on_delivery<P>(
    recorder: web::Data<Shared<P::Event>>,
    webhook: Webhook<P>,
) -> Received<(), HandlerFailed>
where
    P: Provider + 'static,
    P::Event: Send + 'static,
{
    let recorder = Arc::clone(&recorder.0);
    webhook.run(|delivery| handle(recorder, delivery)).await
}

async fn on_inbox_delivery<P: Provider + 'static>(webhook: InboxWebhook<P>) -> InboxReceived {
    webhook.enqueue().await
}

/// Serves the app `configure` sets up (with the contract's body timeout and head deadline)
/// until the returned value is dropped.
fn spawn<C>(configure: C) -> Running
where
    C: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let with_timeout = move |config: &mut web::ServiceConfig| {
        config.app_data(body_timeout());
        configure(config);
    };
    let (addr, handle) = actix_server::spawn(with_timeout, 2, Some(http_contract::HEAD_TIMEOUT));
    Running {
        addr,
        stop: Some(Box::new(move || drop(handle.stop(false)))),
    }
}

impl Framework for Actix {
    fn serve<P>(receiver: Receiver<P>, recorder: Arc<Recorder<P::Event>>) -> Running
    where
        P: Provider + Clone + 'static,
        P::Event: Send + 'static,
    {
        let receiver = web::Data::new(receiver);
        let shared = web::Data::new(Shared(recorder));
        spawn(move |config: &mut web::ServiceConfig| {
            config
                .app_data(receiver.clone())
                .app_data(shared.clone())
                .route("/webhook", web::post().to(on_delivery::<P>));
        })
    }

    fn serve_inbox<P>(inbox: Inbox<P>) -> Running
    where
        P: Provider + 'static,
    {
        let inbox = web::Data::new(inbox);
        spawn(move |config: &mut web::ServiceConfig| {
            config
                .app_data(inbox.clone())
                .route("/webhook", web::post().to(on_inbox_delivery::<P>));
        })
    }
}

http_contract!(Actix);
