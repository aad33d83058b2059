//! The examples' and end-to-end suites' shared server set-up, and (feature `observe`) the
//! axum example's `/metrics`: the crate's users build their own (copy [`serve`]; it is short).
//!
//! `axum::serve` sets no timeout on a request head and no limit on connections: a client that
//! opens a connection and sends nothing, or half a head, holds it forever, and a few hundred
//! such clients exhaust the process's file descriptors, after which genuine deliveries time
//! out. [`serve`] is the same accept loop on hyper 1 with both bounds:
//!
//! - **Head deadline** ([`Limits::head_timeout`]): a connection must deliver a whole request
//!   head within it, the first one and each next one on a kept-alive connection, so an idle
//!   connection is closed after it too (hyper's `header_read_timeout`).
//! - **Connection cap** ([`Limits::max_connections`]): past it, the server stops accepting
//!   until a connection ends, rather than running out of file descriptors; the kernel's backlog
//!   holds the waiting clients.
//!
//! The body is bounded by the extractors' own `BodyTimeout`. actix-web has the same settings on
//! `HttpServer` (`client_request_timeout`, `keep_alive`, `max_connections`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The bounds [`serve`] keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a connection may take to deliver a request head, and may stay idle between
    /// requests (default 10 s).
    pub head_timeout: Duration,
    /// How many connections are served at once (default 1024; keep it under the process's
    /// open-file limit, `ulimit -n`).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            head_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// Serves `router` on `listener` over HTTP/1.1 within `limits`, until accepting fails for good.
///
/// # Errors
///
/// The listener's error when it cannot accept any more (a transient one, such as running out
/// of file descriptors, is waited out instead).
pub async fn serve(listener: TcpListener, router: Router, limits: Limits) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return Ok(());
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) if is_transient(&error) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(error) => return Err(error),
        };
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.head_timeout);
            // A connection that fails (timed out, reset, malformed) is simply closed.
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
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

/// The Prometheus recorder and the `/metrics` route of the axum example (feature `observe`).
#[cfg(feature = "observe")]
pub mod metrics {
    use std::time::Duration;

    use axum::Router;
    use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

    /// Histogram buckets (seconds) for every `*_seconds` metric: handler and store latency.
    const BUCKETS: [f64; 14] = [
        0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5,
        10.0,
    ];

    /// Installs the recorder for the whole process (call it inside the tokio runtime, before
    /// the first delivery); the returned handle renders the text.
    ///
    /// # Errors
    /// When a recorder is installed already.
    pub fn install() -> Result<PrometheusHandle, BuildError> {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)?
            .install_recorder()?;
        // Histograms keep their samples until upkeep folds them into the buckets.
        let upkeep = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        });
        Ok(handle)
    }

    /// `router` with `GET /metrics` answering `handle`'s text.
    pub fn route(router: Router, handle: PrometheusHandle) -> Router {
        router.route(
            "/metrics",
            axum::routing::get(move || std::future::ready(handle.render())),
        )
    }
}
