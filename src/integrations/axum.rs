//! axum 0.8: extractors that read the body under the provider's limit, verify it and hand
//! your handler a typed [`Delivery`], once per message id.
//!
//! [`Webhook<P>`](Webhook) takes the [`Receiver`] from the router state (through
//! [`FromRef`]); [`VerifiedWebhook<P>`](VerifiedWebhook) takes the provider. The body rules and
//! the answers are the same as under actix-web: see [the adapters' core](super). A
//! [`BodyTimeout`] other than the default 30 s is a request extension:
//! `.layer(Extension(BodyTimeout(Duration::from_secs(10))))`. The timer is tokio's, as axum's
//! own: the runtime needs its time driver (`#[tokio::main]` and `Runtime::new` enable it).
//!
//! # Wiring
//!
//! ```
//! use axum::{Router, routing::post};
//! use webhook_receiver::integrations::axum::Webhook;
//! use webhook_receiver::{Received, Receiver};
//! use webhook_receiver::providers::receeve::{Details, Message, Receeve};
//! use webhook_receiver::{Delivery, Secret};
//! use webhook_receiver::idempotency::MemoryStore;
//!
//! /// Why a booking failed: its text reaches the crate's warning (feature `tracing`).
//! #[derive(Debug)]
//! struct BookingFailed;
//!
//! impl std::fmt::Display for BookingFailed {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         f.write_str("the booking system refused the claim")
//!     }
//! }
//!
//! // Runs once per message id: retries and concurrent copies of a delivery never reach it.
//! async fn book(delivery: Delivery<Message>) -> Result<(), BookingFailed> {
//!     if let Details::ClaimCreated(claim) = &delivery.event.details {
//!         println!("claim {} of {} {}", claim.claim_ref, claim.amount, claim.currency);
//!     }
//!     Ok(())
//! }
//!
//! async fn receeve_webhook(webhook: Webhook<Receeve>) -> Received<(), BookingFailed> {
//!     webhook.run(book).await
//! }
//!
//! # fn main() -> Result<(), webhook_receiver::ConfigError> {
//! let receeve = Receeve::hmac(Secret::new("shared-key")?);
//! let app: Router = Router::new()
//!     .route("/webhooks/receeve", post(receeve_webhook))
//!     .with_state(Receiver::builder(receeve).build());
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
//! use webhook_receiver::integrations::axum::Webhook;
//! use webhook_receiver::{Received, Receiver};
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
//!     webhook: Webhook<Munity>,
//! ) -> Received<(), std::io::Error> {
//!     webhook
//!         .run(move |delivery| async move {
//!             println!("{}: {} for {}", delivery.id, delivery.event.event.name(), app.tenant);
//!             Ok(())
//!         })
//!         .await
//! }
//! # async fn receeve_webhook(webhook: Webhook<Receeve>) -> Received<(), std::io::Error> {
//! #     webhook.run(|_| async { Ok(()) }).await
//! # }
//!
//! # fn main() -> Result<(), webhook_receiver::ConfigError> {
//! let app = App {
//!     receeve: Receiver::builder(Receeve::hmac(Secret::new("shared-key")?)).build(),
//!     munity: Receiver::builder(Munity::new(TokenScheme::new(
//!         "x-munity-token",
//!         Secret::new("t0ken")?,
//!     )?))
//!     .build(),
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
//! use webhook_receiver::integrations::axum::Webhook;
//! use webhook_receiver::{Received, Receiver};
//! use webhook_receiver::providers::receeve::Receeve;
//! use webhook_receiver::{Secret, testing};
//! use webhook_receiver::idempotency::MemoryStore;
//!
//! async fn receeve_webhook(webhook: Webhook<Receeve>) -> Received<(), String> {
//!     webhook.run(|_delivery| async { Ok(()) }).await
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
//! let request = testing::receeve::claim_created().signed_with(&receeve).to_http_request();
//! let app: Router = Router::new()
//!     .route("/", post(receeve_webhook))
//!     .with_state(Receiver::builder(receeve).build());
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
//! `run` runs the pipeline in the request's task, and when the client
//! goes away while your closure runs and hyper drops the request, it hands the rest to the
//! runtime: the closure and the completion of the claim still run to their end, so the
//! sender's retry is answered as a duplicate. The closure must therefore own what it uses
//! (`'static`). Nothing is spawned on the common path, where the request is not dropped, and
//! nothing is even set aside for it when the delivery is refused or, with the in-process
//! store, a duplicate.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::LengthLimitError;

pub use super::serve::{Drained, Limits, serve, shutdown_signal};

use super::body::BodyTimeout;
use super::detach::DetachOnDrop;
use super::extract::VerifiedWebhook;
use super::rejection::WebhookRejection;
use super::{ChunkError, Chunks, read_body, unread, verify};
use crate::idempotency::Lease;
use crate::observe::Meters;
use crate::{Delivery, Error, Provider, Received, Receiver, WebhookResponse};

/// A delivery on its way through a [`Receiver`] taken from the router state
/// (`Receiver<P>: FromRef<S>`): the core type with axum's request
/// head. See the [module docs](self) for the wiring.
pub type Webhook<P> = super::extract::Webhook<P, Parts>;

impl<P> Webhook<P>
where
    P: Provider + 'static,
    P::Event: Send + 'static,
{
    /// Verifies and parses the delivery, then runs `handler` if and only if this message id
    /// must be processed now (see [`Receiver::receive`]).
    ///
    /// The work runs in place, in the request's task. Verification, parsing and a claim in
    /// the in-process store never wait; from the claim on (a claim over the network, the
    /// handler, the completion), when the sender hangs up (or a timeout layer gives up) and
    /// hyper drops this future before it is done, the rest of it moves to a task of its own
    /// (`tokio::spawn`), so the handler and the completion of the claim run to their end and
    /// the sender's retry is answered as a duplicate instead of running the handler again. Hence the `Send + 'static` bounds: move what the closure needs into it.
    /// Only a runtime shutting down stops it halfway, as it stops every task.
    ///
    /// Return the [`Received`] from your axum handler: it is the response. Inspect it first
    /// to log a handler failure ([`Received::HandlerFailed`]) or a rejection; the response
    /// itself never carries the error's text. A panic in the handler unwinds through here, as
    /// in any axum handler.
    ///
    pub async fn run<F, Fut, T, E>(self, handler: F) -> Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        self.run_with_lease(move |delivery, _lease| handler(delivery))
            .await
    }

    /// `run`, handing the handler the [`Lease`] of its claim too: for a
    /// handler that records the completion in its own transaction
    /// ([`PostgresStore::complete_in`](crate::idempotency::PostgresStore::complete_in)),
    /// so that its effects happen exactly once.
    pub async fn run_with_lease<F, Fut, T, E>(self, handler: F) -> Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>, Lease) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: 'static + Send,
        E: std::fmt::Display + Send + 'static,
    {
        let Self {
            receiver,
            head,
            body,
        } = self;
        // Verification, parsing and a claim in the in-process store never wait: nothing there
        // can be cut off. What can (a claim over the network, the handler, the completion) is
        // detached from the request, and only when there is something left to run: a
        // duplicate or a rejection is answered without it.
        let admitted = match receiver.admit(&super::extract::with_target(&head), &body) {
            Ok(admitted) => admitted,
            Err(answer) => return answer,
        };
        drop((head, body));
        DetachOnDrop::new(admitted.finish(handler)).await
    }
}

/// The receiving side of an [`Inbox`](crate::inbox::Inbox) taken from the router state
/// (`Inbox<P>: FromRef<S>`): the core type with axum's request head.
///
/// ```
/// use axum::{Router, routing::post};
/// use webhook_receiver::inbox::{Inbox, InboxReceived, MemoryInbox};
/// use webhook_receiver::integrations::axum::InboxWebhook;
/// use webhook_receiver::providers::munity::Munity;
/// use webhook_receiver::{Secret, verify::TokenScheme};
///
/// async fn munity_webhook(webhook: InboxWebhook<Munity>) -> InboxReceived {
///     webhook.enqueue().await
/// }
///
/// # fn main() -> Result<(), webhook_receiver::ConfigError> {
/// let munity = Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken")?)?);
/// let app: Router = Router::new()
///     .route("/webhooks/munity", post(munity_webhook))
///     .with_state(Inbox::builder(munity, MemoryInbox::new()).build());
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "inbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
pub type InboxWebhook<P> = super::extract::InboxWebhook<P, Parts>;

#[cfg(feature = "inbox")]
impl<P, S> FromRequest<S> for InboxWebhook<P>
where
    P: Provider,
    crate::inbox::Inbox<P>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let inbox = crate::inbox::Inbox::from_ref(state);
        let (head, body) = read(request, inbox.provider().body_limit())
            .await
            .map_err(|err| unread(inbox.meters(), err))?;
        Ok(Self::new(inbox, head, body))
    }
}

#[cfg(feature = "inbox")]
impl IntoResponse for crate::inbox::InboxReceived {
    fn into_response(self) -> Response {
        self.response().into_response()
    }
}

impl super::extract::sealed::Sealed for Parts {}

super::extract::framework_methods!(Parts, HeaderMap);

impl super::extract::RequestHead for Parts {
    type Headers = HeaderMap;

    fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    fn target(&self) -> &str {
        self.uri
            .path_and_query()
            .map_or("/", |target| target.as_str())
    }
}

/// The provider comes from the router state (`P: FromRef<S>`).
///
/// ```
/// use axum::{Router, routing::post};
/// use webhook_receiver::integrations::VerifiedWebhook;
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
impl<P, S> FromRequest<S> for VerifiedWebhook<P>
where
    P: Provider + FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let provider = P::from_ref(state);
        let meters = Meters::new(provider.name(), "none");
        let (head, body) = read(request, provider.body_limit())
            .await
            .map_err(|err| unread(&meters, err))?;
        let headers = crate::headers::WithTarget {
            headers: &head.headers,
            target: super::extract::RequestHead::target(&head),
        };
        Ok(Self(verify(&provider, &meters, &headers, &body)?))
    }
}

impl<P, S> FromRequest<S> for Webhook<P>
where
    P: Provider,
    Receiver<P>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = Receiver::from_ref(state);
        let (head, body) = read(request, receiver.provider().body_limit())
            .await
            .map_err(|err| unread(receiver.meters(), err))?;
        Ok(Self::new(receiver, head, body))
    }
}

/// The request's head and its whole body, read under `limit` and the request's
/// [`BodyTimeout`].
async fn read(request: Request, limit: usize) -> Result<(Parts, Bytes), Error> {
    let (parts, body) = request.into_parts();
    let timeout = parts
        .extensions
        .get::<BodyTimeout>()
        .copied()
        .unwrap_or_default();
    let body = read_body(
        &parts.headers,
        Frames(body),
        limit,
        timeout,
        tokio::time::sleep,
    )
    .await?;
    Ok((parts, body))
}

/// An axum body's data frames (trailers carry nothing that is signed).
struct Frames(Body);

impl Chunks for Frames {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, ChunkError>>> {
        loop {
            let Some(frame) = ready!(Pin::new(&mut self.0).poll_frame(cx)) else {
                return Poll::Ready(None);
            };
            match frame {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
                Err(err) => return Poll::Ready(Some(Err(classify(err)))),
            }
        }
    }

    fn size_hint(&self) -> u64 {
        // Exact for a `Content-Length` request even where a layer removed the header.
        self.0.size_hint().lower()
    }
}

/// A body-limiting layer in front of us (`DefaultBodyLimit`, `RequestBodyLimitLayer`) stops
/// the body with a `LengthLimitError` somewhere in the chain; anything else is the transport.
fn classify(err: axum::Error) -> ChunkError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(&err);
    while let Some(cause) = source {
        if cause.is::<LengthLimitError>() {
            return ChunkError::TooLarge;
        }
        source = cause.source();
    }
    ChunkError::Unreadable(Box::new(err))
}

impl IntoResponse for WebhookResponse {
    /// The status, `Retry-After` where set, and the short body as `text/plain`.
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body()));
        *response.status_mut() =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(WebhookResponse::CONTENT_TYPE),
        );
        if let Some(seconds) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        self.response().into_response()
    }
}

impl<T, E> IntoResponse for Received<T, E> {
    /// [`Received::response`] as an axum response.
    fn into_response(self) -> Response {
        self.response().into_response()
    }
}
