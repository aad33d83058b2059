//! axum 0.8: extractors that read the body under the provider's limit, verify it and hand
//! your handler a typed [`Delivery`], once per message id.
//!
//! Two extractors, both consuming the body (so each is the handler's last argument):
//!
//! - [`ProcessOnce<P, St>`](ProcessOnce): the whole pipeline of [`Receiver`]. It takes the
//!   receiver from the router state (through [`FromRef`]), reads the body, and its
//!   [`run`](ProcessOnce::run) verifies, parses, claims the message id and runs your closure
//!   only for a delivery that must be processed. The [`Received`] it returns is the response
//!   (200 processed or duplicate, 409 with `Retry-After` while another request holds the id,
//!   422 for one id with two bodies, 500 when your closure failed so the sender retries, 503
//!   when the store is down, and the verification errors).
//! - [`VerifiedWebhook<P>`](VerifiedWebhook): verification only, with the provider from the
//!   state; duplicates are yours to handle.
//!
//! A body over [`Provider::body_limit`] is refused with 413 before it is read: at once when
//! `Content-Length` says so, and as soon as the limit is crossed when it is streamed
//! (`Transfer-Encoding: chunked`). A body that cannot be read (the client went away, broken
//! chunked encoding, fewer bytes than announced) is 400. Every refusal is a
//! [`WebhookRejection`], answered with the short, leak-free [`WebhookResponse`] of its
//! [`Error`].
//!
//! These extractors do not time the body: hyper bounds only the reading of the request head,
//! so put a `tower_http::timeout::RequestBodyTimeoutLayer` (or a timeout on the whole
//! request) in front of webhook routes, lest a client that announces a body and never sends
//! it hold its connection. (The actix-web extractors time the body themselves.)
//!
//! # Wiring
//!
//! ```
//! use axum::{Router, routing::post};
//! use webhook_receiver::integrations::axum::ProcessOnce;
//! use webhook_receiver::integrations::{Received, Receiver};
//! use webhook_receiver::providers::receeve::{Details, Message, Receeve};
//! use webhook_receiver::{Delivery, MemoryStore, Secret};
//!
//! #[derive(Debug)]
//! struct BookingFailed;
//!
//! // Runs once per message id: retries and concurrent copies of a delivery never reach it.
//! async fn book(delivery: Delivery<Message>) -> Result<(), BookingFailed> {
//!     if let Details::ClaimCreated(claim) = &delivery.event.details {
//!         println!("claim {} of {} {}", claim.claim_ref, claim.amount, claim.currency);
//!     }
//!     Ok(())
//! }
//!
//! async fn receeve_webhook(webhook: ProcessOnce<Receeve>) -> Received<(), BookingFailed> {
//!     webhook.run(book).await
//! }
//!
//! # fn main() -> Result<(), webhook_receiver::ConfigError> {
//! let receeve = Receeve::hmac(Secret::new("shared-key")?);
//! let app: Router = Router::new()
//!     .route("/webhooks/receeve", post(receeve_webhook))
//!     .with_state(Receiver::new(receeve, MemoryStore::new()));
//! # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # runtime.block_on(async {
//! #     use tower::ServiceExt as _;
//! #     let body = Receeve::hmac(Secret::new("shared-key").unwrap()).signed_body(
//! #         r#"{"details":{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":501,"currency":"EUR"},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z"}"#,
//! #     );
//! #     let request = || axum::http::Request::post("/webhooks/receeve").body(axum::body::Body::from(body.clone())).unwrap();
//! #     assert_eq!(app.clone().oneshot(request()).await.unwrap().status(), 200);
//! #     assert_eq!(app.oneshot(request()).await.unwrap().status(), 200);
//! # });
//! // axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! With several senders, keep each receiver in your own state and say where each comes from
//! with [`FromRef`]; a handler can take other extractors before the webhook, and its closure
//! can capture them:
//!
//! ```
//! use axum::extract::{FromRef, State};
//! use axum::{Router, routing::post};
//! use webhook_receiver::integrations::axum::ProcessOnce;
//! use webhook_receiver::integrations::{Received, Receiver};
//! use webhook_receiver::providers::{munity::Munity, receeve::Receeve};
//! use webhook_receiver::{Secret, verify::TokenScheme};
//!
//! #[derive(Clone)]
//! struct App {
//!     receeve: Receiver<Receeve>,
//!     munity: Receiver<Munity>,
//!     tenant: &'static str,
//! }
//! impl FromRef<App> for Receiver<Receeve> {
//!     fn from_ref(app: &App) -> Self { app.receeve.clone() }
//! }
//! impl FromRef<App> for Receiver<Munity> {
//!     fn from_ref(app: &App) -> Self { app.munity.clone() }
//! }
//!
//! async fn munity_webhook(
//!     State(app): State<App>,
//!     webhook: ProcessOnce<Munity>,
//! ) -> Received<(), std::io::Error> {
//!     webhook
//!         .run(|delivery| async move {
//!             println!("{}: {} for {}", delivery.id, delivery.event.event.name(), app.tenant);
//!             Ok(())
//!         })
//!         .await
//! }
//! # async fn receeve_webhook(webhook: ProcessOnce<Receeve>) -> Received<(), std::io::Error> {
//! #     webhook.run(|_| async { Ok(()) }).await
//! # }
//!
//! # fn main() -> Result<(), webhook_receiver::ConfigError> {
//! let app = App {
//!     receeve: Receiver::new(Receeve::hmac(Secret::new("shared-key")?), Default::default()),
//!     munity: Receiver::new(
//!         Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken")?)?),
//!         Default::default(),
//!     ),
//!     tenant: "acme",
//! };
//! let router: Router = Router::new()
//!     .route("/webhooks/receeve", post(receeve_webhook))
//!     .route("/webhooks/munity", post(munity_webhook))
//!     .with_state(app);
//! # let _ = router;
//! # Ok(())
//! # }
//! ```
//!
//! # Testing your handlers
//!
//! The testing kit (feature `testing`) signs fixtures as the sender would;
//! `SignedRequest::to_http_request` turns one into a request for `tower`'s `oneshot`:
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # fn main() {
//! use axum::{Router, body::Body, routing::post};
//! use tower::ServiceExt as _;
//! use webhook_receiver::integrations::axum::ProcessOnce;
//! use webhook_receiver::integrations::{Received, Receiver};
//! use webhook_receiver::providers::receeve::Receeve;
//! use webhook_receiver::{MemoryStore, Secret, testing};
//!
//! async fn receeve_webhook(webhook: ProcessOnce<Receeve>) -> Received<(), String> {
//!     webhook.run(|_delivery| async { Ok(()) }).await
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
//! let request = testing::receeve::claim_created().signed_with(&receeve).to_http_request();
//! let app: Router = Router::new()
//!     .route("/", post(receeve_webhook))
//!     .with_state(Receiver::new(receeve, MemoryStore::new()));
//!
//! let response = app.clone().oneshot(request.clone().map(Body::from)).await.unwrap();
//! assert_eq!(response.status(), 200);
//! // The sender's retry is acknowledged without running the handler again.
//! let retry = app.oneshot(request.map(Body::from)).await.unwrap();
//! assert_eq!(retry.status(), 200);
//! # });
//! # }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() {}
//! ```
//!
//! # Cancellation
//!
//! When the client goes away while your closure runs, hyper drops the handler's future: the
//! message id then stays claimed until its lease runs out (60 s by default), and the sender's
//! retries get 409 until then, after which one of them processes the event. Spawn the work
//! inside the closure (and await its `JoinHandle`) if it must finish regardless.
//!
//! [`Delivery`]: crate::Delivery
//! [`Received`]: super::Received

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::{BodyExt as _, LengthLimitError};

use super::{Received, Receiver, WebhookResponse};
use crate::idempotency::{IdempotencyStore, MemoryStore};
use crate::{Delivery, Error, Provider, check_body_limit, verify_and_parse};

/// A verified, parsed delivery: the provider comes from the router state (`P: FromRef<S>`).
///
/// No deduplication: a retried delivery reaches the handler again. Use [`ProcessOnce`] to
/// run the handler once per message id.
///
/// ```
/// use axum::{Router, routing::post};
/// use webhook_receiver::integrations::axum::VerifiedWebhook;
/// use webhook_receiver::providers::receeve::Receeve;
/// use webhook_receiver::Secret;
///
/// async fn receeve_webhook(VerifiedWebhook(delivery): VerifiedWebhook<Receeve>) -> &'static str {
///     println!("{} ({})", delivery.id, delivery.event.details.message_type());
///     "ok"
/// }
///
/// let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
/// let app: Router = Router::new()
///     .route("/webhooks/receeve", post(receeve_webhook))
///     .with_state(receeve);
/// # let _ = app;
/// ```
///
/// Refusals are a [`WebhookRejection`]: take `Result<VerifiedWebhook<P>, WebhookRejection>`
/// to log them before answering.
pub struct VerifiedWebhook<P: Provider>(pub Delivery<P::Event>);

impl<P: Provider> VerifiedWebhook<P> {
    /// The delivery.
    #[must_use]
    pub fn into_inner(self) -> Delivery<P::Event> {
        self.0
    }
}

impl<P> fmt::Debug for VerifiedWebhook<P>
where
    P: Provider,
    P::Event: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VerifiedWebhook").field(&self.0).finish()
    }
}

impl<P, S> FromRequest<S> for VerifiedWebhook<P>
where
    P: Provider + FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let provider = P::from_ref(state);
        let (parts, body) = request.into_parts();
        let body = read_body(&parts.headers, body, provider.body_limit()).await?;
        Ok(Self(verify_and_parse(&provider, &parts.headers, &body)?))
    }
}

/// A delivery on its way through a [`Receiver`]: the receiver comes from the router state
/// (`Receiver<P, St>: FromRef<S>`), and [`run`](ProcessOnce::run) verifies, parses,
/// deduplicates and runs your closure once per message id.
///
/// Extraction only reads the body (under the provider's limit); a body over the limit or one
/// that cannot be read is a [`WebhookRejection`]. Everything else, verification included, is
/// decided by [`run`](ProcessOnce::run), whose [`Received`] is the response. See the
/// [module docs](self) for the wiring.
pub struct ProcessOnce<P, St = MemoryStore> {
    receiver: Receiver<P, St>,
    headers: HeaderMap,
    body: Bytes,
}

impl<P: Provider, St: IdempotencyStore> ProcessOnce<P, St> {
    /// Verifies and parses the delivery, then runs `handler` if and only if this message id
    /// must be processed now (see [`Receiver::receive`]).
    ///
    /// Return the [`Received`] from your axum handler: it is the response. Inspect it first
    /// to log a handler failure ([`Outcome::HandlerFailed`]) or a rejection; the response
    /// itself never carries the error's text.
    ///
    /// [`Outcome::HandlerFailed`]: crate::idempotency::Outcome::HandlerFailed
    pub async fn run<F, Fut, T, E>(self, handler: F) -> Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.receiver
            .receive(&self.headers, &self.body, handler)
            .await
    }

    /// The receiver the delivery goes through.
    #[must_use]
    pub fn receiver(&self) -> &Receiver<P, St> {
        &self.receiver
    }

    /// The request's headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl<P, St> fmt::Debug for ProcessOnce<P, St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers may carry a shared token: only their names are shown.
        f.debug_struct("ProcessOnce")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<P, St, S> FromRequest<S> for ProcessOnce<P, St>
where
    P: Provider,
    St: IdempotencyStore,
    Receiver<P, St>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = Receiver::from_ref(state);
        let (parts, body) = request.into_parts();
        let body = read_body(&parts.headers, body, receiver.provider().body_limit()).await?;
        Ok(Self {
            receiver,
            headers: parts.headers,
            body,
        })
    }
}

/// Why an extractor of this module refused a request: the [`Error`], answered with its
/// [`WebhookResponse`] (status, `Retry-After` where set, and a short body that names the
/// condition only).
///
/// ```
/// use axum::response::IntoResponse;
/// use webhook_receiver::Error;
/// use webhook_receiver::integrations::axum::WebhookRejection;
///
/// let rejection = WebhookRejection::from(Error::InvalidSignature);
/// assert_eq!(rejection.status(), 401);
/// assert_eq!(rejection.body_text(), "unauthorized");
/// assert!(rejection.error().is_authentication());
/// assert_eq!(rejection.into_response().status(), 401);
/// ```
#[derive(Debug)]
pub struct WebhookRejection {
    error: Error,
}

impl WebhookRejection {
    /// The response status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        status_code(self.response().status())
    }

    /// The response body: a short text naming the condition.
    #[must_use]
    pub fn body_text(&self) -> String {
        self.response().body().to_owned()
    }

    /// What the response is made of.
    #[must_use]
    pub fn response(&self) -> WebhookResponse {
        WebhookResponse::from_error(&self.error)
    }

    /// Why the request was refused, for logs.
    #[must_use]
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The underlying error.
    #[must_use]
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl From<Error> for WebhookRejection {
    fn from(error: Error) -> Self {
        Self { error }
    }
}

/// The error's own message (for logs; the response carries only
/// [`body_text`](WebhookRejection::body_text)).
impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

/// Transparent over the [`Error`]: the same message and source.
impl StdError for WebhookRejection {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.error.source()
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        self.response().into_response()
    }
}

impl IntoResponse for WebhookResponse {
    /// The status, `Retry-After` where set, and the short body as `text/plain`.
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body()));
        *response.status_mut() = status_code(self.status());
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if let Some(seconds) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl<T, E> IntoResponse for Received<T, E> {
    /// [`Received::response`] as an axum response.
    fn into_response(self) -> Response {
        self.response().into_response()
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Reads the whole body, refusing one over `limit` without reading it: by its declared
/// length first, then while streaming, so at most `limit` bytes plus one frame are buffered.
async fn read_body(headers: &HeaderMap, mut body: Body, limit: usize) -> Result<Bytes, Error> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    // The body's own size hint is exact for a `Content-Length` request even where a layer
    // removed the header.
    let announced = declared.unwrap_or(0).max(body.size_hint().lower());
    if announced > limit as u64 {
        return Err(Error::BodyTooLarge {
            limit,
            actual: usize::try_from(announced).unwrap_or(usize::MAX),
        });
    }
    // `announced <= limit` here, so the conversion cannot fail.
    let expected = usize::try_from(announced).unwrap_or(limit);

    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    let mut read: usize = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| unreadable(&err, limit, read))?;
        // Trailers carry nothing that is signed.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if data.is_empty() {
            continue;
        }
        read = read.saturating_add(data.len());
        check_body_limit(limit, read)?;
        match first.take() {
            // A body in one frame (the usual case) is passed on without a copy.
            None if rest.is_empty() => first = Some(data),
            None => rest.extend_from_slice(&data),
            Some(head) => {
                rest.reserve(expected.max(read).min(limit));
                rest.extend_from_slice(&head);
                rest.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(rest)))
}

/// A body that could not be read is the client's fault (it went away, broke the chunked
/// encoding, sent fewer bytes than announced): 400, or 413 where a body-limiting layer in
/// front of us stopped it.
fn unreadable(err: &axum::Error, limit: usize, read: usize) -> Error {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(cause) = source {
        if cause.is::<LengthLimitError>() {
            return Error::BodyTooLarge {
                limit,
                actual: read.saturating_add(1),
            };
        }
        source = cause.source();
    }
    Error::MalformedPayload(format!("the request body could not be read: {err}"))
}
