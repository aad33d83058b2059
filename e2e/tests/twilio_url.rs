//! The URL Twilio signs reaches the provider through the axum adapter: the configured URL's
//! scheme and host with the request's own path and query (`REQUEST_TARGET`), so that a query
//! Twilio adds (a callback's parameters, `bodySHA256` for JSON) is verified as sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use sha2::Digest as _;
use tower::ServiceExt as _;
use webhook_receiver::integrations::axum::Webhook;
use webhook_receiver::providers::twilio::Twilio;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::{Received, Receiver, Secret};

const TOKEN: &str = "twilio-auth-token";

async fn twilio_webhook(webhook: Webhook<Twilio>) -> Received<(), Infallible> {
    webhook.run(|_delivery| async { Ok(()) }).await
}

fn app() -> Router {
    let twilio = Twilio::new(Secret::new(TOKEN).unwrap(), "https://example.com/twilio").unwrap();
    Router::new()
        .route("/twilio", post(twilio_webhook))
        .with_state(Receiver::builder(twilio).build())
}

/// What Twilio sends when it calls `url` (signed over it) with `body`, sent to `target`.
fn called(url: &str, body: &[u8], target: &str) -> Request<Body> {
    let signer = Twilio::<()>::new(Secret::new(TOKEN).unwrap(), url).unwrap();
    let signed = signer.sign(body);
    let mut request = Request::builder().method("POST").uri(target);
    for (name, value) in signed.headers() {
        request = request.header(name.as_str(), value.as_str());
    }
    request.body(Body::from(body.to_vec())).unwrap()
}

async fn status(request: Request<Body>) -> StatusCode {
    app().oneshot(request).await.unwrap().status()
}

#[tokio::test]
async fn a_query_twilio_signed_is_verified_as_the_request_carries_it() {
    let form = b"CallSid=CA1&CallStatus=completed";
    let url = "https://example.com/twilio?callId=42";
    assert_eq!(
        status(called(url, form, "/twilio?callId=42")).await,
        StatusCode::OK
    );
    // The query is signed: another value does not verify.
    assert_eq!(
        status(called(url, form, "/twilio?callId=43")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_json_body_is_verified_with_the_body_sha256_the_request_carries() {
    let json = br#"{"CallSid":"CA2"}"#;
    let digest = hex::encode(sha2::Sha256::digest(json));
    let target = format!("/twilio?bodySHA256={digest}");
    assert_eq!(
        status(called("https://example.com/twilio", json, &target)).await,
        StatusCode::OK
    );
    // A `bodySHA256` that is not the body's digest is refused, whatever the signature says.
    let other = hex::encode(sha2::Sha256::digest(b"{}"));
    let signed_over_other = format!("https://example.com/twilio?bodySHA256={other}");
    assert_eq!(
        status(called(
            &signed_over_other,
            json,
            &format!("/twilio?bodySHA256={other}")
        ))
        .await,
        StatusCode::UNAUTHORIZED
    );
}
