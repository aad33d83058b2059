//! The axum example's `/metrics` route (feature `observe`), the request spans its router and
//! the load script's baselines share, and how those baselines are served. The server set-up
//! the examples and suites share is the crate's own: `webhook_receiver::integrations::axum::serve`.

use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultMakeSpan, TraceLayer};
use tracing::Level;

/// The variable `name` read as a `T` (surrounding white space ignored), `default` when unset,
/// or a message saying what it must be (`what`, e.g. "a port number").
///
/// # Errors
/// The message, when the variable is set but does not read as a `T`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T, what: &str) -> Result<T, String> {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|_| format!("{name} must be {what}, not {value:?}")),
        Err(_) => Ok(default),
    }
}

/// Logs through `tracing` to standard error, filtered by `RUST_LOG` (`info` unless set): every
/// example server starts with it.
pub fn log_from_env() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
}

/// Serves one of the load script's baselines (`bare_axum`, `floor_axum`) on 127.0.0.1:`port`
/// as `axum_receiver` is served (the crate's `serve`, default limits, until SIGTERM or
/// Ctrl-C), so that the comparison is of the routes; `name` starts the message of a failure.
pub async fn serve_baseline(name: &str, port: u16, app: axum::Router) -> std::process::ExitCode {
    use webhook_receiver::integrations::axum::{Limits, serve, shutdown_signal};
    let addr = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port));
    let served = async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        serve(listener, app, Limits::default(), shutdown_signal())
            .await
            .map(|_| ())
    };
    match served.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{name}: cannot serve on {addr}: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// tower-http's request span around every request, at INFO so that the crate's
/// `webhook.receive` span (also INFO) shows inside it: the layer of `axum_receiver`'s router,
/// and of `bare_axum`'s, so that the load script compares the routes and nothing else.
pub fn request_spans() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>> {
    TraceLayer::new_for_http().make_span_with(DefaultMakeSpan::new().level(Level::INFO))
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
