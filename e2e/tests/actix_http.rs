//! The HTTP contract (`http_contract/`) against the actix-web adapter: an `HttpServer` on
//! 127.0.0.1 in a thread of its own (actix-web runs on its own system).
#![allow(clippy::unwrap_used)]

mod http_contract;

use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use http_contract::{Framework, HandlerFailed, Recorder, Running, body_timeout, handle};
use webhook_receiver::integrations::actix::Webhook;
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

impl Framework for Actix {
    fn serve<P>(receiver: Receiver<P>, recorder: Arc<Recorder<P::Event>>) -> Running
    where
        P: Provider + Clone + 'static,
        P::Event: Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let receiver = web::Data::new(receiver);
        let shared = web::Data::new(Shared(recorder));
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(receiver.clone())
                        .app_data(shared.clone())
                        .app_data(body_timeout())
                        .route("/webhook", web::post().to(on_delivery::<P>))
                })
                .workers(2)
                // The head deadline, also between requests on a kept-alive connection.
                .client_request_timeout(http_contract::HEAD_TIMEOUT)
                .keep_alive(http_contract::HEAD_TIMEOUT)
                .max_connections(1024)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)
                .unwrap()
                .run();
                handle_tx.send(server.handle()).unwrap();
                let _ = server.await;
            });
        });
        let handle = handle_rx.recv().unwrap();
        Running {
            addr,
            stop: Some(Box::new(move || drop(handle.stop(false)))),
        }
    }
}

http_contract!(Actix);
