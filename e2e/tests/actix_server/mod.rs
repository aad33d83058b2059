//! An actix-web server for the suites: an app set up by a closure, on 127.0.0.1 (port 0), in a
//! thread of its own (actix-web runs on its own system).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

/// Serves the app `configure` sets up with `workers` workers; with `head_timeout`, that
/// deadline on request heads (also between requests on a kept-alive connection) and a cap of
/// 1,024 connections. Answers the address and the handle that stops the server.
pub fn spawn<C>(
    configure: C,
    workers: usize,
    head_timeout: Option<Duration>,
) -> (SocketAddr, ServerHandle)
where
    C: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let mut server =
                HttpServer::new(move || App::new().configure(configure.clone())).workers(workers);
            if let Some(timeout) = head_timeout {
                server = server
                    .client_request_timeout(timeout)
                    .keep_alive(timeout)
                    .max_connections(1024);
            }
            let server = server
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)
                .unwrap()
                .run();
            handle_tx.send(server.handle()).unwrap();
            let _ = server.await;
        });
    });
    (addr, handle_rx.recv().unwrap())
}
