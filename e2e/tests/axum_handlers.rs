//! Testing axum handlers the way users do: a `Router` called with `tower::ServiceExt::oneshot`
//! and requests signed by the testing kit (`SignedRequest::to_http_request`), no sockets.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use common::*;
use http_body_util::{BodyExt as _, Full, Limited};
use tower::ServiceExt as _;
use webhook_receiver::integrations::{VerifiedWebhook, WebhookRejection, axum::Webhook};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::{Details, Message, Receeve};
use webhook_receiver::testing::{self, SignedRequest, Signer};
use webhook_receiver::{Delivery, Error};
use webhook_receiver::{Received, Receiver};

const LIMIT: usize = 2 * 1024;

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn call(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn request(signed: &SignedRequest) -> Request<Body> {
    signed.to_http_request().map(Body::from)
}

/// The signed request's headers around another body.
fn request_with_body(signed: &SignedRequest, body: Body) -> Request<Body> {
    let (parts, _) = signed.to_http_request().into_parts();
    Request::from_parts(parts, body)
}

fn claim_created(receeve: &Receeve) -> SignedRequest {
    testing::receeve::claim_created().signed_with(receeve)
}

// ---------------------------------------------------------------------------------------------
// The verifying extractor alone

async fn describe_claim(VerifiedWebhook(delivery): VerifiedWebhook<Receeve>) -> String {
    match delivery.event.details {
        Details::ClaimCreated(claim) => {
            format!("{} {} {}", delivery.id, claim.amount, claim.currency)
        }
        other => format!("{} {}", delivery.id, other.message_type()),
    }
}

fn verifying_app() -> Router {
    Router::new()
        .route("/", post(describe_claim))
        .with_state(receeve().with_body_limit(LIMIT))
}

#[tokio::test]
async fn verified_webhook_hands_the_typed_event_to_the_handler() {
    let answer = call(&verifying_app(), request(&claim_created(&receeve()))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body,
        "receeve:09feeb6f-350a-430a-a040-cd1c558cbc91 501 EUR"
    );
}

#[tokio::test]
async fn verified_webhook_answers_each_refusal_with_its_status_and_a_short_body() {
    let receeve = receeve();
    let genuine = claim_created(&receeve);
    let cases = [
        (
            "forged signature",
            claim_created(&receeve_with(secret("attacker-key"))),
            401,
            "unauthorized",
        ),
        (
            "not JSON",
            genuine.clone().with_body("{\"payload\""),
            400,
            "malformed payload",
        ),
        (
            "not JSON, signed",
            receeve.sign(b"{\"details\""),
            400,
            "malformed payload",
        ),
        (
            "wrong shape, signed",
            receeve.sign(b"{\"messageId\":\"m\"}"),
            422,
            "unexpected payload",
        ),
    ];
    for (what, signed, status, body) in cases {
        let answer = call(&verifying_app(), request(&signed)).await;
        assert_eq!(answer.status, status, "{what}");
        assert_eq!(answer.body, body, "{what}");
        assert_eq!(
            answer.headers[header::CONTENT_TYPE],
            "text/plain; charset=utf-8",
            "{what}"
        );
        assert!(answer.headers.get(header::RETRY_AFTER).is_none(), "{what}");
    }
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_413_without_reading_the_body() {
    // A body that fails when read: reading it would answer 400, not 413.
    let unreadable = Limited::new(Full::new(Bytes::from_static(b"{}")), 0)
        .map_err(|_| std::io::Error::other("connection reset"));
    let mut request = request_with_body(&claim_created(&receeve()), Body::new(unreadable));
    request
        .headers_mut()
        .insert(header::CONTENT_LENGTH, (10 * 1024 * 1024).into());
    let answer = call(&verifying_app(), request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.body, "payload too large");
}

#[tokio::test]
async fn a_body_over_the_limit_without_content_length_is_413() {
    let signed = claim_created(&receeve());
    let mut oversized = signed.body().to_vec();
    oversized.resize(LIMIT + 1, b' ');
    let oversized = request(&signed.with_body(oversized));
    assert!(oversized.headers().get(header::CONTENT_LENGTH).is_none());
    let answer = call(&verifying_app(), oversized).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);

    // A body of exactly the limit is read: white space after the JSON is harmless.
    let at_limit = claim_created(&receeve());
    let mut padded = at_limit.body().to_vec();
    padded.resize(LIMIT, b' ');
    let answer = call(&verifying_app(), request(&at_limit.with_body(padded))).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_cannot_be_read_is_400() {
    let broken = Limited::new(Full::new(Bytes::from_static(b"{}")), 0)
        .map_err(|_| std::io::Error::other("connection reset"));
    let request = request_with_body(&claim_created(&receeve()), Body::new(broken));
    let answer = call(&verifying_app(), request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body, "unreadable body");
}

#[tokio::test]
async fn a_body_stopped_by_a_limiting_layer_in_front_is_413() {
    let signed = claim_created(&receeve());
    // What a body-limit middleware hands on: a body that errors past its own limit.
    let limited = Limited::new(Full::new(Bytes::from(signed.body().to_vec())), 100);
    let answer = call(
        &verifying_app(),
        request_with_body(&signed, Body::new(limited)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn trailers_after_the_body_are_ignored() {
    let signed = claim_created(&receeve());
    let with_trailers = Full::new(Bytes::from(signed.body().to_vec()))
        .with_trailers(async { Some(Ok(HeaderMap::new())) });
    let answer = call(
        &verifying_app(),
        request_with_body(&signed, Body::new(with_trailers)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn the_rejection_exposes_its_status_body_text_and_error() {
    let forged = claim_created(&receeve_with(secret("attacker-key")));
    let rejection = VerifiedWebhook::<Receeve>::from_request(request(&forged), &receeve())
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 401);
    assert_eq!(rejection.body_text(), "unauthorized");
    assert!(matches!(rejection.error(), Some(Error::InvalidSignature)));
    assert_eq!(rejection.to_string(), Error::InvalidSignature.to_string());
    let response = rejection.into_response();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_result_extractor_sees_the_rejection_before_answering() {
    async fn logged(
        webhook: Result<VerifiedWebhook<Receeve>, WebhookRejection>,
    ) -> Result<&'static str, WebhookRejection> {
        match webhook {
            Ok(_) => Ok("ok"),
            Err(rejection) => {
                assert!(rejection.error().is_some_and(Error::is_authentication));
                Err(rejection)
            }
        }
    }
    let app = Router::new().route("/", post(logged)).with_state(receeve());
    let forged = claim_created(&receeve_with(secret("attacker-key")));
    assert_eq!(call(&app, request(&forged)).await.status, 401);
    assert_eq!(
        call(&app, request(&claim_created(&receeve()))).await.body,
        "ok"
    );
}

// ---------------------------------------------------------------------------------------------
// Deduplication: Webhook over a Receiver in the state

type Seen = Arc<Mutex<Vec<Delivery<Message>>>>;

/// A router whose handler records deliveries.
fn once_app(receiver: Receiver<Receeve>, seen: &Seen) -> Router {
    let seen = Arc::clone(seen);
    let handler = move |webhook: Webhook<Receeve>| {
        let seen = Arc::clone(&seen);
        // The request's head stays available beside the delivery.
        assert_eq!(webhook.request().method, axum::http::Method::POST);
        assert!(webhook.headers().contains_key("content-type"));
        async move {
            webhook
                .run(|delivery| async move {
                    seen.lock().unwrap().push(delivery);
                    Ok::<_, std::convert::Infallible>(())
                })
                .await
        }
    };
    Router::new().route("/", post(handler)).with_state(receiver)
}

fn receiver() -> Receiver<Receeve> {
    Receiver::builder(receeve().with_body_limit(LIMIT)).build()
}

#[tokio::test]
async fn process_once_runs_the_handler_once_and_acknowledges_the_retry() {
    let seen = Seen::default();
    let app = once_app(receiver(), &seen);
    let signed = claim_created(&receeve());

    let first = call(&app, request(&signed)).await;
    assert_eq!(
        (first.status, first.body.as_str()),
        (StatusCode::OK, "processed")
    );
    let retry = call(&app, request(&signed)).await;
    assert_eq!(
        (retry.status, retry.body.as_str()),
        (StatusCode::OK, "duplicate")
    );

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].event.message_id,
        "09feeb6f-350a-430a-a040-cd1c558cbc91"
    );
}

#[tokio::test]
async fn process_once_answers_422_for_one_id_with_two_bodies_when_digests_are_checked() {
    let seen = Seen::default();
    let receeve = receeve();
    let receiver = Receiver::builder(receeve.clone())
        .check_digest(true)
        .build();
    let app = once_app(receiver, &seen);
    let details = |amount: u32| format!(r#""claimRef":"C-1","amount":{amount},"currency":"EUR""#);
    let first = testing::receeve::message("event.claim.created.v1", &details(501), "m-1")
        .signed_with(&receeve);
    let other = testing::receeve::message("event.claim.created.v1", &details(1), "m-1")
        .signed_with(&receeve);

    assert_eq!(call(&app, request(&first)).await.status, StatusCode::OK);
    let conflict = call(&app, request(&other)).await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(conflict.body, "conflicting duplicate");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_received_value_tells_the_handler_what_happened() {
    async fn handler(webhook: Webhook<Receeve>) -> Received<(), &'static str> {
        let received = webhook.run(|_| async { Err("boom") }).await;
        assert!(received.ran_handler());
        assert!(matches!(
            received,
            Received::HandlerFailed { error: "boom", .. }
        ));
        received
    }
    let app = Router::new()
        .route("/", post(handler))
        .with_state(receiver());
    let answer = call(&app, request(&claim_created(&receeve()))).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}

// ---------------------------------------------------------------------------------------------
// Several senders in one application state

#[derive(Clone)]
struct App {
    palenca: Receiver<Palenca>,
    munity: Receiver<Munity>,
}

impl FromRef<App> for Receiver<Palenca> {
    fn from_ref(app: &App) -> Self {
        app.palenca.clone()
    }
}

impl FromRef<App> for Receiver<Munity> {
    fn from_ref(app: &App) -> Self {
        app.munity.clone()
    }
}

async fn palenca_webhook(webhook: Webhook<Palenca>) -> Received<String, &'static str> {
    webhook
        .run(|delivery| async move { Ok(delivery.event.action.to_string()) })
        .await
}

async fn munity_webhook(webhook: Webhook<Munity>) -> Received<String, &'static str> {
    webhook
        .run(|delivery| async move { Ok(delivery.event.event.name().to_owned()) })
        .await
}

#[tokio::test]
async fn receivers_of_several_senders_share_one_state() {
    let app = Router::new()
        .route("/palenca", post(palenca_webhook))
        .route("/munity", post(munity_webhook))
        .with_state(App {
            palenca: Receiver::builder(palenca()).build(),
            munity: Receiver::builder(munity()).build(),
        });
    let at = |signed: &SignedRequest, path: &str| {
        let mut request = request(signed);
        *request.uri_mut() = path.parse().unwrap();
        request
    };

    let login = testing::palenca::login_success().signed_with(&palenca());
    assert_eq!(
        call(&app, at(&login, "/palenca")).await.status,
        StatusCode::OK
    );
    let test = testing::munity::webhook_test().signed_with(&munity());
    assert_eq!(
        call(&app, at(&test, "/munity")).await.status,
        StatusCode::OK
    );
    // Each route verifies with its own sender's secret.
    assert_eq!(
        call(&app, at(&login, "/munity")).await.status,
        StatusCode::UNAUTHORIZED
    );
}
