//! The server a webhook receiver needs, shipped: axum's router on hyper's HTTP/1.1 with a
//! deadline on request heads, a cap on connections, and a graceful drain on shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::detach;
use crate::future::done_or;

/// The bounds [`serve`] keeps, and how long it drains on shutdown.
///
/// ```
/// use std::time::Duration;
/// use webhook_receiver::integrations::axum::Limits;
/// let limits = Limits::default()
///     .head_timeout(Duration::from_secs(5))
///     .max_connections(512)
///     .grace(Duration::from_secs(20));
/// # let _ = limits;
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Limits {
    head_timeout: Duration,
    max_connections: usize,
    grace: Duration,
}

impl Default for Limits {
    /// A 10 s head deadline, 1,024 connections, a 30 s drain.
    fn default() -> Self {
        Self {
            head_timeout: Duration::from_secs(10),
            max_connections: 1024,
            grace: Duration::from_secs(30),
        }
    }
}

impl Limits {
    /// How long a connection may take to deliver a request head, and stay idle between
    /// requests (hyper's `header_read_timeout`): a client that connects and sends nothing, or
    /// half a head, is cut off after it. The body has its own deadline
    /// ([`BodyTimeout`](crate::integrations::BodyTimeout)).
    pub fn head_timeout(mut self, timeout: Duration) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// How many connections are served at once (at least 1): past it, the server stops
    /// accepting until one ends, rather than running out of file descriptors; the kernel's
    /// backlog holds the waiting clients. Keep it under the process's open-file limit.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// How long the drain on shutdown may take: requests in flight finish and detached
    /// handlers run to their end within it (keep it under your orchestrator's grace, e.g.
    /// Kubernetes' `terminationGracePeriodSeconds`, 30 s by default, minus a margin).
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }
}

/// What was still running when [`serve`]'s drain ended: all zero when everything finished
/// within the grace period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drained {
    /// Connections still serving a request when the grace ran out; they were closed (their
    /// senders see the connection reset and retry).
    pub connections_cut_off: usize,
    /// Handlers the crate had detached from their connection (the sender hung up mid-run, or
    /// the connection was cut off at the grace's end) still running when the grace ran out;
    /// they stop when the runtime does. With the
    /// inline [`Receiver`](crate::Receiver), the sender's retry runs such an event again once
    /// its lease runs out; with an inbox, nothing is lost (the worker's own drain hands its
    /// deliveries back).
    pub handlers_running: usize,
}

impl Drained {
    /// Whether everything finished within the grace period.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        *self == Drained::default()
    }
}

/// Serves `router` on `listener` over HTTP/1.1 within `limits` until `shutdown` completes,
/// then drains: the listener is closed at once (new connections are refused), idle
/// keep-alive connections are closed, requests in flight finish and their connections close
/// after their response, handlers the crate detached run to their end, all within the grace
/// period; then it answers what was still running.
///
/// ```no_run
/// use axum::{Router, routing::post};
/// use webhook_receiver::integrations::axum::{Limits, serve, shutdown_signal};
///
/// # async fn run(app: Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
/// let drained = serve(listener, app, Limits::default(), shutdown_signal()).await?;
/// if !drained.is_complete() {
///     eprintln!("stopped with work in flight: {drained:?}");
/// }
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// The listener's error when it cannot accept any more (a transient one, such as running out
/// of file descriptors for a moment, is waited out instead).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<Drained> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A permit, then a connection, unless the shutdown comes first.
        let next = async {
            let permit = Arc::clone(&permits).acquire_owned().await;
            (permit, listener.accept().await)
        };
        let Some((permit, stream)) = done_or(next, shutdown.as_mut()).await else {
            break;
        };
        let Ok(permit) = permit else { break };
        let stream = match stream {
            Ok((stream, _)) => stream,
            Err(error) if is_transient(&error) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(error) => return Err(error),
        };
        let service = TowerToHyperService::new(router.clone());
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.head_timeout);
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        // Reap the connections that ended, so that the set holds the open ones only.
        while connections.try_join_next().is_some() {}
        connections.spawn(async move {
            // A connection that fails (timed out, reset, malformed) is simply closed.
            let _ = connection.await;
            drop(permit);
        });
    }
    // Stop accepting: connections after this are refused by the kernel.
    drop(listener);
    let deadline = tokio::time::Instant::now() + limits.grace;
    let connections_cut_off = match tokio::time::timeout_at(deadline, graceful.shutdown()).await {
        Ok(()) => 0,
        Err(_) => {
            // Past the grace: the connections still serving a request are closed.
            while connections.try_join_next().is_some() {}
            let open = connections.len();
            connections.shutdown().await;
            open
        }
    };
    let handlers_running = match tokio::time::timeout_at(deadline, detach::none_running()).await {
        Ok(()) => 0,
        Err(_) => detach::running(),
    };
    Ok(Drained {
        connections_cut_off,
        handlers_running,
    })
}

/// Completes on SIGTERM (what a deploy sends: Kubernetes, systemd, Docker) or Ctrl-C
/// (SIGINT); on other platforms, on Ctrl-C. If a signal handler cannot be installed, the
/// other still stops the server; if neither can, it never completes.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    // Whichever comes first.
    let _ = done_or(ctrl_c, terminate).await;
}

/// Errors after which accepting can go on: the connection went away first, or the process is
/// out of file descriptors for a moment.
fn is_transient(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) || matches!(error.raw_os_error(), Some(23 | 24)) // ENFILE, EMFILE
}
