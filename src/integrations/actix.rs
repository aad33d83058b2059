//! actix-web 4: extractors that read the body under the provider's limit, verify it and hand
//! your handler a typed [`Delivery`], once per message id.
//!
//! [`Webhook<P>`](Webhook) takes the [`Receiver`] from the app data
//! (`web::Data<Receiver<P>>`, or a `Receiver<P>` registered with `app_data`);
//! [`VerifiedWebhook<P>`](VerifiedWebhook) takes the provider the same way (`web::Data<P>` or
//! `P`). The body rules and the answers are the same as under axum: see [the adapters'
//! core](super). A [`BodyTimeout`] other than the default 30 s goes in the app data:
//! `App::new().app_data(BodyTimeout(Duration::from_secs(10)))`. A provider or receiver
//! missing from the app data is a server mistake, answered 500.
//!
//! # Wiring
//!
//! ```
//! use actix_web::{App, web};
//! use webhook_receiver::integrations::actix::Webhook;
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
//! // Once, at start-up: one receiver (provider + store) shared by every worker.
//! let receiver = web::Data::new(Receiver::builder(Receeve::hmac(Secret::new("shared-key")?)).build());
//! let app = move || {
//!     App::new()
//!         .app_data(receiver.clone())
//!         .route("/webhooks/receeve", web::post().to(receeve_webhook))
//! };
//! # actix_web::rt::System::new().block_on(async {
//! #     use actix_web::test;
//! #     let service = test::init_service(app()).await;
//! #     let body = Receeve::hmac(Secret::new("shared-key").unwrap()).signed_body(
//! #         r#"{"details":{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":501,"currency":"EUR"},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z"}"#,
//! #     );
//! #     let request = || test::TestRequest::post().uri("/webhooks/receeve").set_payload(body.clone()).to_request();
//! #     assert_eq!(test::call_service(&service, request()).await.status(), 200);
//! #     assert_eq!(test::call_service(&service, request()).await.status(), 200);
//! # });
//! // actix_web::HttpServer::new(app).bind(("127.0.0.1", 3001))?.run().await
//! # Ok(())
//! # }
//! ```
//!
//! A handler can take other extractors before the webhook (your database pool, the path),
//! and its closure can capture them. Take `Result<Webhook<P>, WebhookRejection>` to log
//! refusals before answering, and inspect the [`Received`] to log a failed handler:
//!
//! ```
//! use actix_web::{HttpResponse, Responder, web};
//! use webhook_receiver::Received;
//! use webhook_receiver::integrations::{actix::Webhook, WebhookRejection};
//! use webhook_receiver::providers::munity::Munity;
//!
//! struct Tenant(&'static str);
//!
//! async fn munity_webhook(
//!     tenant: web::Data<Tenant>,
//!     webhook: Result<Webhook<Munity>, WebhookRejection>,
//! ) -> HttpResponse {
//!     let webhook = match webhook {
//!         Ok(webhook) => webhook,
//!         Err(rejection) => {
//!             eprintln!("refused: {rejection}");
//!             return actix_web::ResponseError::error_response(&rejection);
//!         }
//!     };
//!     let received: Received<(), std::io::Error> = webhook
//!         .run(|delivery| async move {
//!             println!("{}: {} for {}", delivery.id, delivery.event.event.name(), tenant.0);
//!             Ok(())
//!         })
//!         .await;
//!     if let Received::HandlerFailed { error, .. } = &received {
//!         eprintln!("handler failed, the sender will retry: {error}");
//!     }
//!     received.response().into()
//! }
//! # let _ = web::post().to(munity_webhook);
//! ```
//!
//! # Testing your handlers
//!
//! The testing kit (feature `testing`) signs fixtures as the sender would;
//! `SignedRequest::to_actix_request` turns one into an `actix_web::test::TestRequest` for
//! `test::call_service`:
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # fn main() {
//! use actix_web::{App, test, web};
//! use webhook_receiver::integrations::actix::Webhook;
//! use webhook_receiver::{Received, Receiver};
//! use webhook_receiver::providers::receeve::Receeve;
//! use webhook_receiver::{Secret, testing};
//! use webhook_receiver::idempotency::MemoryStore;
//!
//! async fn receeve_webhook(webhook: Webhook<Receeve>) -> Received<(), String> {
//!     webhook.run(|_delivery| async { Ok(()) }).await
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
//! let signed = testing::receeve::claim_created().signed_with(&receeve);
//! let app = test::init_service(
//!     App::new()
//!         .app_data(web::Data::new(Receiver::builder(receeve).build()))
//!         .route("/webhooks/receeve", web::post().to(receeve_webhook)),
//! )
//! .await;
//!
//! let request = signed.to_actix_request().uri("/webhooks/receeve").to_request();
//! assert_eq!(test::call_service(&app, request).await.status(), 200);
//! // The sender's retry is acknowledged without running the handler again.
//! let retry = signed.to_actix_request().uri("/webhooks/receeve").to_request();
//! assert_eq!(test::call_service(&app, retry).await.status(), 200);
//! # });
//! # }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() {}
//! ```
//!
//! # Cancellation
//!
//! `run` spawns the pipeline on the runtime: when the client goes away
//! while your closure runs and actix-web drops the request, the closure and the completion of
//! the claim still run to their end, so the sender's retry is answered as a duplicate. The
//! closure must therefore own what it uses (`'static`).

use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::{Bytes, Data};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, ResponseError};
use futures_util::Stream as _;

use super::body::BodyTimeout;
use super::extract::VerifiedWebhook;
use super::rejection::WebhookRejection;
use super::{ChunkError, Chunks, read_body, unread, verify};
use crate::idempotency::{Lease, StoreError};
use crate::observe::Meters;
use crate::{Delivery, Error, Headers, Provider, Received, Receiver, WebhookResponse};

impl Headers for HeaderMap {
    fn get(&self, name: &str) -> Option<&[u8]> {
        // A scan rather than `HeaderMap::get(&str)`, which allocates a `HeaderName` for every
        // non-standard name (all signature headers). actix's HTTP/1 parser caps a request at 96
        // headers, so the scan is short; a name's values come out in the order received.
        self.iter()
            .find(|(key, _)| key.as_str().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_bytes())
    }

    fn get_each<'h>(&'h self, names: &[&str], out: &mut [Option<&'h [u8]>]) {
        crate::headers::get_each_in_one_pass(
            self.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
            names,
            out,
        );
    }
}

/// A delivery on its way through a [`Receiver`] taken from the app data, with actix-web's
/// request. See the [module docs](self) for the wiring.
pub type Webhook<P> = super::extract::Webhook<P, HttpRequest>;

impl<P> Webhook<P>
where
    P: Provider + 'static,
{
    /// Verifies and parses the delivery, then runs `handler` if and only if this message id
    /// must be processed now (see [`Receiver::receive`]).
    ///
    /// The work runs in a task of its own (`actix_web::rt::spawn`, on the worker's thread):
    /// when the sender hangs up, actix-web drops this future, but the handler and the
    /// completion of the claim run to their end, so the sender's retry is answered as a
    /// duplicate instead of running the handler again. Hence the `'static` bounds: move what
    /// the closure needs into it.
    ///
    /// Return the [`Received`] from your actix-web handler: it is the response. Inspect it
    /// first to log a handler failure ([`Received::HandlerFailed`]) or a rejection; the
    /// response itself never carries the error's text. A panic in the handler is resumed here,
    /// as if it had run in place.
    ///
    pub async fn run<F, Fut, T, E>(self, handler: F) -> Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<T, E>> + 'static,
        T: 'static,
        E: std::fmt::Display + 'static,
    {
        joined(actix_web::rt::spawn(self.process(move |delivery, _lease| handler(delivery))).await)
    }

    /// `run`, handing the handler the [`Lease`] of its claim too: for a
    /// handler that records the completion in its own transaction
    /// ([`PostgresStore::complete_in`](crate::idempotency::PostgresStore::complete_in)),
    /// so that its effects happen exactly once.
    pub async fn run_with_lease<F, Fut, T, E>(self, handler: F) -> Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>, Lease) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<T, E>> + 'static,
        T: 'static,
        E: std::fmt::Display + 'static,
    {
        joined(actix_web::rt::spawn(self.process(handler)).await)
    }
}

/// The result of a detached pipeline: a panic in the handler is resumed in the request's task
/// (as if the handler had run there); a task cancelled because the runtime shuts down is
/// answered 503, so the sender retries once the lease has run out.
fn joined<T, E>(result: Result<Received<T, E>, tokio::task::JoinError>) -> Received<T, E> {
    match result {
        Ok(received) => received,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => Received::StoreFailed(StoreError::Unavailable(
            "the task processing the delivery was cancelled: the runtime is shutting down".into(),
        )),
    }
}

impl super::extract::sealed::Sealed for HttpRequest {}

super::extract::framework_methods!(HttpRequest, HeaderMap);

/// A reference-counted handle: keeping it costs no copy of the headers.
impl super::extract::RequestHead for HttpRequest {
    type Headers = HeaderMap;

    fn headers(&self) -> &HeaderMap {
        HttpRequest::headers(self)
    }

    fn target(&self) -> &str {
        self.uri()
            .path_and_query()
            .map_or("/", |target| target.as_str())
    }
}

/// The future of this module's extractors: actix-web runs extractors on one thread, so it
/// need not be `Send`.
type Extraction<T> = Pin<Box<dyn std::future::Future<Output = Result<T, WebhookRejection>>>>;

/// The provider comes from the app data, as `web::Data<P>` or as a `P` registered with
/// `app_data` (cloned per request, which is cheap for every provider of this crate).
///
/// ```
/// use actix_web::{App, web};
/// use webhook_receiver::integrations::VerifiedWebhook;
/// use webhook_receiver::providers::receeve::Receeve;
/// use webhook_receiver::Secret;
///
/// async fn receeve_webhook(VerifiedWebhook(delivery): VerifiedWebhook<Receeve>) -> &'static str {
///     println!("{} ({})", delivery.id, delivery.event.details.message_type());
///     "ok"
/// }
///
/// let receeve = web::Data::new(Receeve::hmac(Secret::new("shared-key").unwrap()));
/// let app = move || {
///     App::new()
///         .app_data(receeve.clone())
///         .route("/webhooks/receeve", web::post().to(receeve_webhook))
/// };
/// # let _ = app;
/// ```
impl<P> FromRequest for VerifiedWebhook<P>
where
    P: Provider + Clone + 'static,
{
    type Error = WebhookRejection;
    type Future = Extraction<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let provider = AppData::<P>::find(request);
        let read = Read::new(request, payload);
        Box::pin(async move {
            let provider = provider.ok_or_else(WebhookRejection::not_configured::<P>)?;
            let meters = Meters::new(provider.name(), "none");
            let (request, body) = read
                .run(provider.body_limit())
                .await
                .map_err(|err| unread(&meters, err))?;
            let headers = super::extract::with_target(&request);
            Ok(Self(verify(&*provider, &meters, &headers, &body)?))
        })
    }
}

impl<P> FromRequest for Webhook<P>
where
    P: Provider + 'static,
{
    type Error = WebhookRejection;
    type Future = Extraction<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let receiver = AppData::<Receiver<P>>::find(request);
        let read = Read::new(request, payload);
        Box::pin(async move {
            let receiver = receiver.ok_or_else(WebhookRejection::not_configured::<Receiver<P>>)?;
            let limit = receiver.provider().body_limit();
            let (request, body) = read
                .run(limit)
                .await
                .map_err(|err| unread(receiver.meters(), err))?;
            Ok(Self::new(Receiver::clone(&receiver), request, body))
        })
    }
}

/// The receiving side of an [`Inbox`](crate::inbox::Inbox) found in the app data: the
/// core type with actix-web's request.
///
/// ```
/// use actix_web::{App, web};
/// use webhook_receiver::inbox::{Inbox, InboxReceived, MemoryInbox};
/// use webhook_receiver::integrations::actix::InboxWebhook;
/// use webhook_receiver::providers::munity::Munity;
/// use webhook_receiver::{Secret, verify::TokenScheme};
///
/// async fn munity_webhook(webhook: InboxWebhook<Munity>) -> InboxReceived {
///     webhook.enqueue().await
/// }
///
/// let munity = Munity::new(TokenScheme::new("x-munity-token", Secret::new("t0ken").unwrap()).unwrap());
/// let inbox = web::Data::new(Inbox::builder(munity, MemoryInbox::new()).build());
/// let app = move || {
///     App::new()
///         .app_data(inbox.clone())
///         .route("/webhooks/munity", web::post().to(munity_webhook))
/// };
/// # let _ = app;
/// ```
#[cfg(feature = "inbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
pub type InboxWebhook<P> = super::extract::InboxWebhook<P, HttpRequest>;

#[cfg(feature = "inbox")]
impl<P> FromRequest for InboxWebhook<P>
where
    P: Provider + 'static,
{
    type Error = WebhookRejection;
    type Future = Extraction<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let inbox = AppData::<crate::inbox::Inbox<P>>::find(request);
        let read = Read::new(request, payload);
        Box::pin(async move {
            let inbox =
                inbox.ok_or_else(WebhookRejection::not_configured::<crate::inbox::Inbox<P>>)?;
            let limit = inbox.provider().body_limit();
            let (request, body) = read
                .run(limit)
                .await
                .map_err(|err| unread(inbox.meters(), err))?;
            Ok(Self::new(crate::inbox::Inbox::clone(&inbox), request, body))
        })
    }
}

#[cfg(feature = "inbox")]
impl Responder for crate::inbox::InboxReceived {
    type Body = BoxBody;

    /// [`InboxReceived::response`](crate::inbox::InboxReceived::response) as an actix-web
    /// response.
    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        self.response().into()
    }
}

/// A value found in the app data: shared through `web::Data`, or a clone of one registered
/// directly.
enum AppData<T> {
    Shared(Data<T>),
    Owned(T),
}

impl<T: Clone + 'static> AppData<T> {
    fn find(request: &HttpRequest) -> Option<Self> {
        if let Some(data) = request.app_data::<Data<T>>() {
            return Some(AppData::Shared(Data::clone(data)));
        }
        request.app_data::<T>().cloned().map(AppData::Owned)
    }
}

impl<T> Deref for AppData<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            AppData::Shared(data) => data,
            AppData::Owned(value) => value,
        }
    }
}

/// What an extractor takes from the request before its future starts.
struct Read {
    request: HttpRequest,
    payload: Payload,
    timeout: BodyTimeout,
}

impl Read {
    fn new(request: &HttpRequest, payload: &mut Payload) -> Self {
        Self {
            request: request.clone(),
            payload: payload.take(),
            timeout: request
                .app_data::<BodyTimeout>()
                .copied()
                .unwrap_or_default(),
        }
    }

    /// The request and its whole body, read under `limit` and the [`BodyTimeout`].
    async fn run(self, limit: usize) -> Result<(HttpRequest, Bytes), Error> {
        let Read {
            request,
            payload,
            timeout,
        } = self;
        let sleep = actix_web::rt::time::sleep;
        let body = read_body(request.headers(), Chunked(payload), limit, timeout, sleep).await?;
        Ok((request, body))
    }
}

/// An actix-web payload's chunks.
struct Chunked(Payload);

impl Chunks for Chunked {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, ChunkError>>> {
        Pin::new(&mut self.0).poll_next(cx).map(|chunk| {
            chunk.map(|chunk| {
                chunk.map_err(|err| match err {
                    // actix-web's own size limit.
                    PayloadError::Overflow => ChunkError::TooLarge,
                    other => ChunkError::Unreadable(Box::new(other)),
                })
            })
        })
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        self.response().into()
    }
}

impl From<WebhookResponse> for HttpResponse {
    /// The status, `Retry-After` where set, and the short body as `text/plain`.
    fn from(response: WebhookResponse) -> Self {
        let status =
            StatusCode::from_u16(response.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut builder = HttpResponse::build(status);
        builder.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(WebhookResponse::CONTENT_TYPE),
        ));
        if let Some(seconds) = response.retry_after() {
            builder.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        builder.body(response.body())
    }
}

impl Responder for WebhookResponse {
    type Body = BoxBody;

    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        self.into()
    }
}

impl<T, E> Responder for Received<T, E> {
    type Body = BoxBody;

    /// [`Received::response`] as an actix-web response.
    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        self.response().into()
    }
}
