//! The axum example's `/metrics` (`webhook_receiver_e2e::metrics`): the process-wide
//! Prometheus recorder, a Munity route, one delivery processed and one rejected, then the
//! text a Prometheus server would scrape. A process of its own: the recorder is global.
#![cfg(feature = "observe")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::post;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use webhook_receiver::integrations::axum::Webhook;
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{Receiver, Secret};

const TOKEN: &str = "metrics-endpoint-token";

#[tokio::test]
async fn metrics_serves_the_crates_counters_and_bucketed_histograms() {
    let handle = webhook_receiver_e2e::metrics::install().unwrap();
    let munity =
        Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap());
    let app = webhook_receiver_e2e::metrics::route(
        Router::new().route(
            "/webhooks/munity",
            post(|webhook: Webhook<Munity>| async move {
                webhook.run(|_d| async { Ok::<_, Infallible>(()) }).await
            })
            .with_state(Receiver::builder(munity).build()),
        ),
        handle,
    );
    let body = br#"{"workspace_id":"w","event":"webhook_test","payload":{"test":true}}"#;
    for (token, status) in [(TOKEN, 200), ("wrong", 401)] {
        let response = app
            .clone()
            .oneshot(
                Request::post("/webhooks/munity")
                    .header("x-munity-token", token)
                    .body(Body::from(&body[..]))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), status);
    }
    let response = app
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for line in [
        r#"webhook_receiver_deliveries_total{provider="munity",outcome="processed"} 1"#,
        r#"webhook_receiver_deliveries_total{provider="munity",outcome="rejected"} 1"#,
        r#"webhook_receiver_rejections_total{provider="munity",reason="invalid_token"} 1"#,
        r#"webhook_receiver_handler_duration_seconds_count{provider="munity",result="ok"} 1"#,
        "# TYPE webhook_receiver_handler_duration_seconds histogram",
        "# HELP webhook_receiver_deliveries_total Deliveries by provider and outcome",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    assert!(
        text.contains(r#"webhook_receiver_handler_duration_seconds_bucket{provider="munity",result="ok",le="0.0001"}"#),
        "{text}"
    );
}
