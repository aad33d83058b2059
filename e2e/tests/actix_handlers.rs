//! actix-web handlers tested the way users test theirs: `test::init_service` and
//! `test::call_service`, with requests the testing kit signs (`to_actix_request`). No sockets.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/common/mod.rs"]
mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{App, FromRequest, HttpResponse, ResponseError, test, web};
use futures_util::Stream;
use webhook_receiver::integrations::{VerifiedWebhook, WebhookRejection, actix::Webhook};
use webhook_receiver::providers::munity::{self, Munity};
use webhook_receiver::providers::palenca::{Palenca, WebhookAction};
use webhook_receiver::providers::receeve::{Details, Receeve};
use webhook_receiver::testing::{self, SignedRequest, Signer};
use webhook_receiver::{Error, Headers, Provider};
use webhook_receiver::{Received, Receiver, WebhookResponse};

use common::{PALENCA_HEADER, palenca, palenca_with, receeve, receeve_with, secret};

const MUNITY_TOKEN: &str = "munity-handler-token";

fn munity() -> Munity {
    common::munity_token(MUNITY_TOKEN)
}

/// Sends a signed request to `path` of a test service: (status, `Retry-After`, body).
macro_rules! call {
    ($app:expr, $request:expr, $path:expr) => {
        answer(test::call_service($app, $request.to_actix_request().uri($path).to_request()).await)
            .await
    };
}

async fn answer<B: MessageBody>(response: ServiceResponse<B>) -> (u16, Option<String>, String) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = test::read_body(response).await;
    (
        status,
        retry_after,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

// ---------------------------------------------------------------------------------------------
// VerifiedWebhook: verification only.

async fn receeve_claim(VerifiedWebhook(delivery): VerifiedWebhook<Receeve>) -> HttpResponse {
    match &delivery.event.details {
        Details::ClaimCreated(claim) => HttpResponse::Ok().body(claim.claim_ref.clone()),
        other => HttpResponse::Ok().body(other.message_type().to_string()),
    }
}

async fn palenca_action(VerifiedWebhook(delivery): VerifiedWebhook<Palenca>) -> HttpResponse {
    HttpResponse::Ok().body(delivery.event.action.to_string())
}

#[actix_web::test]
async fn verified_webhook_hands_the_typed_event_to_the_handler() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(receeve()))
            .route("/webhooks/receeve", web::post().to(receeve_claim)),
    )
    .await;
    let request = testing::receeve::claim_created().signed_with(&receeve());
    let (status, _, body) = call!(&app, &request, "/webhooks/receeve");
    assert_eq!((status, body.as_str()), (200, "PDN-922-claim-Oct14-00010"));
}

#[actix_web::test]
async fn verified_webhook_takes_a_provider_registered_without_data() {
    let app = test::init_service(
        App::new()
            .app_data(palenca())
            .route("/", web::post().to(palenca_action)),
    )
    .await;
    let request = testing::palenca::login_success().signed_with(&palenca());
    let (status, _, body) = call!(&app, &request, "/");
    assert_eq!(status, 200);
    assert_eq!(body, WebhookAction::LoginSuccess.to_string());
}

#[actix_web::test]
async fn verification_failures_answer_their_status_without_running_the_handler() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(palenca()))
            .route("/", web::post().to(palenca_action)),
    )
    .await;
    let genuine = testing::palenca::login_success().signed_with(&palenca());
    let cases = [
        (
            "forged signature",
            testing::palenca::login_success().signed_with(&palenca_with(secret("not-the-key"))),
            401,
            "unauthorized",
        ),
        (
            "missing signature",
            genuine.clone().without_header(PALENCA_HEADER),
            401,
            "unauthorized",
        ),
        (
            "tampered body",
            genuine
                .clone()
                .with_body(genuine.body().to_ascii_uppercase()),
            401,
            "unauthorized",
        ),
        (
            "malformed JSON",
            palenca().sign(br#"{"webhook_action": "#),
            400,
            "malformed payload",
        ),
        (
            "wrong shape",
            palenca().sign(br#"{"hello":"world"}"#),
            422,
            "unexpected payload",
        ),
    ];
    for (case, request, status, body) in cases {
        let answer = call!(&app, &request, "/");
        assert_eq!(answer, (status, None, body.to_owned()), "{case}");
    }
}

#[actix_web::test]
async fn header_names_are_matched_whatever_their_case() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(palenca()))
            .route("/", web::post().to(palenca_action)),
    )
    .await;
    let request = testing::palenca::login_success().signed_with(&palenca());
    let signature = request.header(PALENCA_HEADER).unwrap().to_owned();
    let shouted = request
        .without_header(PALENCA_HEADER)
        .with_header("X-PALENCA-SIGNATURE", &signature);
    assert_eq!(call!(&app, &shouted, "/").0, 200);
}

#[actix_web::test]
async fn body_limit_is_inclusive_and_larger_bodies_are_413() {
    let request = testing::palenca::login_success().signed_with(&palenca());
    let exact = request.body().len();
    for (limit, status) in [(exact, 200), (exact - 1, 413)] {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(palenca().with_body_limit(limit)))
                .route("/", web::post().to(palenca_action)),
        )
        .await;
        assert_eq!(call!(&app, &request, "/").0, status, "limit {limit}");
    }
}

#[actix_web::test]
async fn a_handler_can_inspect_the_rejection() {
    async fn logged(webhook: Result<VerifiedWebhook<Palenca>, WebhookRejection>) -> HttpResponse {
        match webhook {
            Ok(_) => HttpResponse::Ok().finish(),
            Err(rejection) => {
                let authentication = rejection.error().is_some_and(Error::is_authentication);
                let mut response = rejection.error_response();
                if authentication {
                    response.headers_mut().insert(
                        HeaderName::from_static("x-logged"),
                        HeaderValue::from_static("authentication"),
                    );
                }
                response
            }
        }
    }
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(palenca()))
            .route("/", web::post().to(logged)),
    )
    .await;
    let forged = testing::palenca::login_success().signed_with(&palenca_with(secret("nope")));
    let response = test::call_service(&app, forged.to_actix_request().to_request()).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers().get("x-logged").unwrap(),
        "authentication"
    );
}

#[actix_web::test]
async fn a_missing_provider_is_a_500_that_says_nothing_to_the_sender() {
    let app = test::init_service(App::new().route("/", web::post().to(palenca_action))).await;
    let request = testing::palenca::login_success().signed_with(&palenca());
    let (status, _, body) = call!(&app, &request, "/");
    assert_eq!((status, body.as_str()), (500, "internal server error"));

    let (http, mut payload) = test::TestRequest::post().to_http_parts();
    let rejection = VerifiedWebhook::<Palenca>::from_request(&http, &mut payload)
        .await
        .unwrap_err();
    assert!(rejection.error().is_none());
    assert!(rejection.to_string().contains("Palenca"), "{rejection}");
}

// ---------------------------------------------------------------------------------------------
// Webhook: verification, deduplication and the handler.

/// What the handlers below did.
#[derive(Default)]
struct Probe {
    runs: AtomicUsize,
}

impl Probe {
    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

async fn munity_once(
    probe: web::Data<Probe>,
    webhook: Webhook<Munity>,
) -> Received<(), Infallible> {
    // The request's head stays available beside the delivery.
    assert_eq!(webhook.request().method(), actix_web::http::Method::POST);
    assert!(webhook.headers().contains_key("x-munity-token"));
    webhook
        .run(|delivery| async move {
            assert_eq!(
                delivery.event.event,
                munity::Event::WebhookTest { test: true }
            );
            probe.runs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .await
}

async fn receeve_once(
    probe: web::Data<Probe>,
    webhook: Webhook<Receeve>,
) -> Received<(), Infallible> {
    webhook
        .run(|_delivery| async move {
            probe.runs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .await
}

#[actix_web::test]
async fn process_once_runs_the_handler_once_and_acknowledges_retries() {
    let probe = web::Data::new(Probe::default());
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(Receiver::builder(munity()).build()))
            .app_data(probe.clone())
            .route("/webhooks/munity", web::post().to(munity_once)),
    )
    .await;
    let request = testing::munity::webhook_test().signed_with(&munity());

    let first = call!(&app, &request, "/webhooks/munity");
    assert_eq!(first, (200, None, "processed".to_owned()));
    let retry = call!(&app, &request, "/webhooks/munity");
    assert_eq!(retry, (200, None, "duplicate".to_owned()));
    assert_eq!(probe.runs(), 1);
}

#[actix_web::test]
async fn one_id_with_two_bodies_is_422_when_digests_are_checked() {
    let receiver = Receiver::builder(receeve()).check_digest(true).build();
    let probe = web::Data::new(Probe::default());
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(receiver))
            .app_data(probe.clone())
            .route("/", web::post().to(receeve_once)),
    )
    .await;
    let first = testing::receeve::message(
        "event.claim.created.v1",
        r#""claimRef":"C-1","amount":1,"currency":"EUR""#,
        "m-1",
    );
    let other = testing::receeve::message(
        "event.claim.created.v1",
        r#""claimRef":"C-1","amount":2,"currency":"EUR""#,
        "m-1",
    );

    let answer = call!(&app, &first.signed_with(&receeve()), "/");
    assert_eq!(answer.0, 200);
    let answer = call!(&app, &other.signed_with(&receeve()), "/");
    assert_eq!(answer, (422, None, "conflicting duplicate".to_owned()));
    assert_eq!(probe.runs(), 1);
}

#[actix_web::test]
async fn a_missing_receiver_is_500() {
    let app = test::init_service(
        App::new()
            // The provider alone is not enough for `Webhook`.
            .app_data(web::Data::new(munity()))
            .app_data(web::Data::new(Probe::default()))
            .route("/", web::post().to(munity_once)),
    )
    .await;
    let request = testing::munity::webhook_test().signed_with(&munity());
    assert_eq!(call!(&app, &request, "/").0, 500);
}

#[actix_web::test]
async fn received_is_inspectable_before_it_becomes_the_response() {
    async fn handler(webhook: Webhook<Munity>) -> WebhookResponse {
        let received = webhook
            .run(|_| async { Err::<(), _>("downstream timeout") })
            .await;
        assert!(received.ran_handler());
        let response = received.response();
        assert_eq!(response.status(), 500);
        // `WebhookResponse` is a `Responder` too.
        response
    }
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(Receiver::builder(munity()).build()))
            .route("/", web::post().to(handler)),
    )
    .await;
    let request = testing::munity::webhook_test().signed_with(&munity());
    // The handler's error text never reaches the sender.
    assert_eq!(
        call!(&app, &request, "/"),
        (500, None, "handler failed".to_owned())
    );
}

// ---------------------------------------------------------------------------------------------
// The payload stream, fed chunk by chunk.

type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// A payload of `chunks`, counting how many the extractor pulled.
fn streamed(
    chunks: impl Iterator<Item = Result<Bytes, PayloadError>> + 'static,
) -> (Payload, Arc<AtomicUsize>) {
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let stream: Chunks = Box::pin(futures_util::stream::iter(chunks.inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    })));
    (Payload::from(stream), pulled)
}

/// A request without `Content-Length` (as with `Transfer-Encoding: chunked`).
fn chunked_request(signed: &SignedRequest, provider: Palenca) -> actix_web::HttpRequest {
    let mut request = test::TestRequest::post().app_data(web::Data::new(provider));
    for (name, value) in signed.headers() {
        request = request.insert_header((name.as_str(), value.as_str()));
    }
    request.to_http_request()
}

#[actix_web::test]
async fn a_streamed_body_is_refused_as_soon_as_it_passes_the_limit() {
    let signed = testing::palenca::login_success().signed_with(&palenca());
    let request = chunked_request(&signed, palenca().with_body_limit(1024));
    // An endless body of 100-byte chunks: reading it all would never end.
    let (mut payload, pulled) =
        streamed(std::iter::repeat_with(|| Ok(Bytes::from(vec![b' '; 100]))));
    let rejection = VerifiedWebhook::<Palenca>::from_request(&request, &mut payload)
        .await
        .unwrap_err();
    assert_eq!(rejection.status_code(), 413);
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        11,
        "stops at the chunk that crosses 1024"
    );
    assert!(matches!(
        rejection.error(),
        Some(Error::BodyTooLarge {
            limit: 1024,
            actual: 1100
        })
    ));
}

#[actix_web::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let signed = testing::palenca::login_success().signed_with(&palenca());
    let request = test::TestRequest::post()
        .app_data(web::Data::new(palenca().with_body_limit(1024)))
        .insert_header(("content-length", "10485760"))
        .to_http_request();
    let (mut payload, pulled) = streamed(std::iter::once(Ok(Bytes::from(signed.body().to_vec()))));
    let rejection = VerifiedWebhook::<Palenca>::from_request(&request, &mut payload)
        .await
        .unwrap_err();
    assert_eq!(rejection.status_code(), 413);
    assert_eq!(pulled.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn a_body_in_several_chunks_is_verified_whole() {
    let signed = testing::palenca::login_success().signed_with(&palenca());
    let request = chunked_request(&signed, palenca());
    let chunks: Vec<_> = signed
        .body()
        .chunks(7)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .chain([Ok(Bytes::new())])
        .collect();
    let (mut payload, _) = streamed(chunks.into_iter());
    let webhook = VerifiedWebhook::<Palenca>::from_request(&request, &mut payload)
        .await
        .unwrap();
    assert_eq!(webhook.0.event.action, WebhookAction::LoginSuccess);
}

#[actix_web::test]
async fn a_body_that_cannot_be_read_is_400_and_a_reported_overflow_413() {
    let signed = testing::palenca::login_success().signed_with(&palenca());
    let errors: [(fn() -> PayloadError, u16); 3] = [
        (|| PayloadError::Incomplete(None), 400),
        (|| PayloadError::EncodingCorrupted, 400),
        (|| PayloadError::Overflow, 413),
    ];
    for (error, status) in errors {
        let request = chunked_request(&signed, palenca());
        let (mut payload, _) =
            streamed([Ok(Bytes::from_static(b"{\"data\":")), Err(error())].into_iter());
        let rejection = VerifiedWebhook::<Palenca>::from_request(&request, &mut payload)
            .await
            .unwrap_err();
        assert_eq!(rejection.status_code(), status, "{rejection}");
    }
}

// ---------------------------------------------------------------------------------------------
// The pieces: header lookup and the testing kit's request.

#[actix_web::test]
async fn actix_header_maps_are_read_case_insensitively_first_value_first() {
    let mut headers = HeaderMap::new();
    headers.append(
        HeaderName::from_static("x-signature"),
        HeaderValue::from_static("first"),
    );
    headers.append(
        HeaderName::from_static("x-signature"),
        HeaderValue::from_static("second"),
    );
    assert_eq!(Headers::get(&headers, "X-Signature"), Some(&b"first"[..]));
    assert_eq!(Headers::get(&headers, "x-missing"), None);
    assert_eq!(Headers::get(&headers, "not a header name"), None);
}

#[actix_web::test]
async fn to_actix_request_is_a_post_with_every_sendable_header_and_the_body() {
    let signed = testing::munity::webhook_test()
        .signed_with(&munity())
        .with_header("x-bad", "line\nbreak");
    let request = signed.to_actix_request().to_http_request();
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.headers().get("x-munity-token").unwrap(),
        MUNITY_TOKEN
    );
    assert!(request.headers().get("x-bad").is_none());
    assert_eq!(
        request
            .headers()
            .get("content-length")
            .unwrap()
            .to_str()
            .unwrap(),
        signed.body().len().to_string()
    );
    let delivery = munity()
        .verify_and_parse(request.headers(), signed.body())
        .unwrap();
    assert_eq!(delivery.id.provider(), munity().name());
}

#[actix_web::test]
async fn to_actix_request_carries_the_exact_body() {
    async fn echo(body: Bytes) -> Bytes {
        body
    }
    let app = test::init_service(App::new().route("/", web::post().to(echo))).await;
    let signed = testing::receeve::claim_created().signed_with(&receeve_with(secret("k")));
    let echoed = test::call_and_read_body(&app, signed.to_actix_request().to_request()).await;
    assert_eq!(echoed, signed.body());
}
