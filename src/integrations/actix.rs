//! actix-web 4: extractors that read the body under the provider's limit, verify it and hand
//! your handler a typed [`Delivery`], once per message id.
//!
//! Two extractors, both consuming the payload (so take at most one of them per handler):
//!
//! - [`ProcessOnce<P, St>`](ProcessOnce): the whole pipeline of [`Receiver`]. It takes the
//!   receiver from the app data (`web::Data<Receiver<P, St>>`, or a `Receiver<P, St>`
//!   registered with `app_data`), reads the body, and its [`run`](ProcessOnce::run)
//!   verifies, parses, claims the message id and runs your closure only for a delivery that
//!   must be processed. The [`Received`] it returns is the response (200 processed or
//!   duplicate, 409 with `Retry-After` while another request holds the id, 422 for one id
//!   with two bodies, 500 when your closure failed so the sender retries, 503 when the store
//!   is down, and the verification errors).
//! - [`VerifiedWebhook<P>`](VerifiedWebhook): verification only, with the provider from the
//!   app data (`web::Data<P>` or `P`); duplicates are yours to handle.
//!
//! A body over [`Provider::body_limit`] is refused with 413 before it is read: at once when
//! `Content-Length` says so, and as soon as the limit is crossed when it is streamed
//! (`Transfer-Encoding: chunked`); at most one chunk past the limit is ever held in memory. A
//! body that cannot be read (the client went away, broken chunked encoding, fewer bytes than
//! announced) is 400, and one that has not fully arrived within [`BodyTimeout`] (30 s unless
//! you register another in the app data) is 408. The body is verified exactly as received: no `Content-Encoding` is
//! undone. Every refusal is a [`WebhookRejection`], which implements [`ResponseError`] with
//! the short, leak-free [`WebhookResponse`] of its [`Error`].
//!
//! # Wiring
//!
//! ```
//! use actix_web::{App, web};
//! use webhook_receiver::integrations::actix::ProcessOnce;
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
//! // Once, at start-up: one receiver (provider + store) shared by every worker.
//! let receiver = web::Data::new(Receiver::new(
//!     Receeve::hmac(Secret::new("shared-key")?),
//!     MemoryStore::new(),
//! ));
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
//! and its closure can capture them. Take `Result<ProcessOnce<P>, WebhookRejection>` to log
//! refusals before answering, and inspect the [`Received`] to log a failed handler:
//!
//! ```
//! use actix_web::{HttpResponse, Responder, web};
//! use webhook_receiver::idempotency::Outcome;
//! use webhook_receiver::integrations::Received;
//! use webhook_receiver::integrations::actix::{ProcessOnce, WebhookRejection};
//! use webhook_receiver::providers::munity::Munity;
//!
//! struct Tenant(&'static str);
//!
//! async fn munity_webhook(
//!     tenant: web::Data<Tenant>,
//!     webhook: Result<ProcessOnce<Munity>, WebhookRejection>,
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
//!     if let Received::Verified(Outcome::HandlerFailed { error, .. }) = &received {
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
//! use webhook_receiver::integrations::actix::ProcessOnce;
//! use webhook_receiver::integrations::{Received, Receiver};
//! use webhook_receiver::providers::receeve::Receeve;
//! use webhook_receiver::{MemoryStore, Secret, testing};
//!
//! async fn receeve_webhook(webhook: ProcessOnce<Receeve>) -> Received<(), String> {
//!     webhook.run(|_delivery| async { Ok(()) }).await
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
//! let signed = testing::receeve::claim_created().signed_with(&receeve);
//! let app = test::init_service(
//!     App::new()
//!         .app_data(web::Data::new(Receiver::new(receeve, MemoryStore::new())))
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
//! When the client goes away while your closure runs, actix-web drops the handler's future:
//! the message id then stays claimed until its lease runs out (60 s by default), and the
//! sender's retries get 409 until then, after which one of them processes the event. Spawn
//! the work inside the closure (`actix_web::rt::spawn`, and await its `JoinHandle`) if it
//! must finish regardless.
//!
//! [`Delivery`]: crate::Delivery

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::{Bytes, Data};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, ResponseError};
use futures_util::StreamExt as _;

use super::{Received, Receiver, WebhookResponse};
use crate::idempotency::{IdempotencyStore, MemoryStore};
use crate::{Delivery, Error, Headers, Provider, check_body_limit, verify_and_parse};

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

/// How long the extractors of this module wait for the whole body, from the moment they start
/// reading it; a body still incomplete then is refused with 408
/// ([`Error::BodyReadTimeout`]), so the sender retries. Register it in the app data to change
/// the default ([`BodyTimeout::DEFAULT`], 30 seconds):
///
/// ```
/// use std::time::Duration;
/// use actix_web::App;
/// use webhook_receiver::integrations::actix::BodyTimeout;
///
/// let app = App::new().app_data(BodyTimeout(Duration::from_secs(10)));
/// # let _ = app;
/// ```
///
/// actix-web itself bounds only the reading of the request head
/// (`HttpServer::client_request_timeout`): without this, a client that announces a body and
/// sends it a byte at a time, or never, would hold its connection and the extractor forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTimeout(pub std::time::Duration);

impl BodyTimeout {
    /// 30 seconds: the time Palenca waits for an answer, and far more than any sender needs to
    /// upload a body under the default 1 MiB limit.
    pub const DEFAULT: Self = Self(std::time::Duration::from_secs(30));

    fn of(request: &HttpRequest) -> Self {
        request.app_data::<Self>().copied().unwrap_or_default()
    }
}

impl Default for BodyTimeout {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A verified, parsed delivery: the provider comes from the app data, as `web::Data<P>` or
/// as a `P` registered with `app_data` (cloned per request, which is cheap for every provider
/// of this crate).
///
/// No deduplication: a retried delivery reaches the handler again. Use [`ProcessOnce`] to
/// run the handler once per message id.
///
/// ```
/// use actix_web::{App, web};
/// use webhook_receiver::integrations::actix::VerifiedWebhook;
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

/// The future of this module's extractors: actix-web runs extractors on one thread, so it
/// need not be `Send`.
type Extraction<T> = Pin<Box<dyn Future<Output = Result<T, WebhookRejection>>>>;

impl<P> FromRequest for VerifiedWebhook<P>
where
    P: Provider + Clone + 'static,
{
    type Error = WebhookRejection;
    type Future = Extraction<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let provider = AppData::<P>::find(request);
        let timeout = BodyTimeout::of(request);
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            let provider = provider.ok_or_else(WebhookRejection::not_configured::<P>)?;
            let body =
                read_body(request.headers(), payload, provider.body_limit(), timeout).await?;
            let delivery = verify_and_parse(&*provider, request.headers(), &body)?;
            Ok(Self(delivery))
        })
    }
}

/// A provider found in the app data: shared through `web::Data`, or a clone of one
/// registered directly.
enum AppData<P> {
    Shared(Data<P>),
    Owned(P),
}

impl<P: Clone + 'static> AppData<P> {
    fn find(request: &HttpRequest) -> Option<Self> {
        if let Some(data) = request.app_data::<Data<P>>() {
            return Some(AppData::Shared(Data::clone(data)));
        }
        request.app_data::<P>().cloned().map(AppData::Owned)
    }
}

impl<P> Deref for AppData<P> {
    type Target = P;

    fn deref(&self) -> &P {
        match self {
            AppData::Shared(data) => data,
            AppData::Owned(provider) => provider,
        }
    }
}

/// A delivery on its way through a [`Receiver`]: the receiver comes from the app data
/// (`web::Data<Receiver<P, St>>`, or a `Receiver<P, St>` registered with `app_data`), and
/// [`run`](ProcessOnce::run) verifies, parses, deduplicates and runs your closure once per
/// message id.
///
/// Extraction only reads the body (under the provider's limit); a body over the limit or one
/// that cannot be read is a [`WebhookRejection`]. Everything else, verification included, is
/// decided by [`run`](ProcessOnce::run), whose [`Received`] is the response. See the
/// [module docs](self) for the wiring.
pub struct ProcessOnce<P, St = MemoryStore> {
    receiver: Receiver<P, St>,
    request: HttpRequest,
    body: Bytes,
}

impl<P: Provider, St: IdempotencyStore> ProcessOnce<P, St> {
    /// Verifies and parses the delivery, then runs `handler` if and only if this message id
    /// must be processed now (see [`Receiver::receive`]).
    ///
    /// Return the [`Received`] from your actix-web handler: it is the response. Inspect it
    /// first to log a handler failure ([`Outcome::HandlerFailed`]) or a rejection; the
    /// response itself never carries the error's text.
    ///
    /// [`Outcome::HandlerFailed`]: crate::idempotency::Outcome::HandlerFailed
    pub async fn run<F, Fut, T, E>(self, handler: F) -> Received<T, E>
    where
        F: FnOnce(Delivery<P::Event>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.receiver
            .receive(self.request.headers(), &self.body, handler)
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
        self.request.headers()
    }
}

impl<P, St> fmt::Debug for ProcessOnce<P, St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers may carry a shared token: only their names are shown.
        f.debug_struct("ProcessOnce")
            .field(
                "headers",
                &self.request.headers().keys().collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<P, St> FromRequest for ProcessOnce<P, St>
where
    P: Provider + 'static,
    St: IdempotencyStore + 'static,
{
    type Error = WebhookRejection;
    type Future = Extraction<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let receiver = match request.app_data::<Data<Receiver<P, St>>>() {
            Some(data) => Some(Receiver::clone(data)),
            None => request.app_data::<Receiver<P, St>>().cloned(),
        };
        let timeout = BodyTimeout::of(request);
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            let receiver =
                receiver.ok_or_else(WebhookRejection::not_configured::<Receiver<P, St>>)?;
            let limit = receiver.provider().body_limit();
            let body = read_body(request.headers(), payload, limit, timeout).await?;
            Ok(Self {
                receiver,
                request,
                body,
            })
        })
    }
}

/// Why an extractor of this module refused a request, answered with its
/// [`WebhookResponse`] (status, `Retry-After` where set, and a short body that names the
/// condition only).
///
/// Mostly an [`Error`] of the delivery. The one other case is a server mistake: the provider
/// or receiver is missing from the app data, answered 500 (the sender retries once you fix
/// the wiring) and described by `Display` for your logs.
///
/// ```
/// use actix_web::ResponseError;
/// use webhook_receiver::Error;
/// use webhook_receiver::integrations::actix::WebhookRejection;
///
/// let rejection = WebhookRejection::from(Error::InvalidSignature);
/// assert_eq!(rejection.status_code(), 401);
/// assert_eq!(rejection.response().body(), "unauthorized");
/// assert!(rejection.error().is_some_and(Error::is_authentication));
/// assert_eq!(rejection.error_response().status(), 401);
/// ```
#[derive(Debug)]
pub struct WebhookRejection {
    reason: Reason,
}

#[derive(Debug)]
enum Reason {
    Delivery(Error),
    NotConfigured { missing: &'static str },
}

impl WebhookRejection {
    fn not_configured<T>() -> Self {
        Self {
            reason: Reason::NotConfigured {
                missing: std::any::type_name::<T>(),
            },
        }
    }

    /// What the response is made of.
    #[must_use]
    pub fn response(&self) -> WebhookResponse {
        match &self.reason {
            Reason::Delivery(error) => WebhookResponse::from_error(error),
            Reason::NotConfigured { .. } => WebhookResponse {
                status: 500,
                retry_after: None,
                body: "internal server error",
            },
        }
    }

    /// Why the delivery was refused, for logs; `None` when the server is misconfigured (see
    /// `Display`).
    #[must_use]
    pub fn error(&self) -> Option<&Error> {
        match &self.reason {
            Reason::Delivery(error) => Some(error),
            Reason::NotConfigured { .. } => None,
        }
    }

    /// The underlying error; `None` when the server is misconfigured.
    #[must_use]
    pub fn into_error(self) -> Option<Error> {
        match self.reason {
            Reason::Delivery(error) => Some(error),
            Reason::NotConfigured { .. } => None,
        }
    }
}

impl From<Error> for WebhookRejection {
    fn from(error: Error) -> Self {
        Self {
            reason: Reason::Delivery(error),
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Delivery(error) => fmt::Display::fmt(error, f),
            Reason::NotConfigured { missing } => write!(
                f,
                "no `{missing}` in the app data: register it with `App::app_data` \
                 (wrapped in `web::Data` or not)"
            ),
        }
    }
}

impl StdError for WebhookRejection {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.reason {
            Reason::Delivery(error) => Some(error),
            Reason::NotConfigured { .. } => None,
        }
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        status_code(self.response().status())
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        self.response().into()
    }
}

impl From<WebhookResponse> for HttpResponse {
    /// The status, `Retry-After` where set, and the short body as `text/plain`.
    fn from(response: WebhookResponse) -> Self {
        let mut builder = HttpResponse::build(status_code(response.status()));
        builder.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
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

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Reads the whole body within `timeout`: [`read_body_unbounded`] under a timer.
async fn read_body(
    headers: &HeaderMap,
    payload: Payload,
    limit: usize,
    timeout: BodyTimeout,
) -> Result<Bytes, Error> {
    actix_web::rt::time::timeout(timeout.0, read_body_unbounded(headers, payload, limit))
        .await
        .unwrap_or(Err(Error::BodyReadTimeout { after: timeout.0 }))
}

/// Reads the whole body, refusing one over `limit` without reading it: by its declared
/// length first, then chunk by chunk, so at most `limit` bytes plus one chunk are held.
async fn read_body_unbounded(
    headers: &HeaderMap,
    mut payload: Payload,
    limit: usize,
) -> Result<Bytes, Error> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if let Some(declared) = declared
        && declared > limit as u64
    {
        return Err(Error::BodyTooLarge {
            limit,
            actual: usize::try_from(declared).unwrap_or(usize::MAX),
        });
    }

    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    let mut read: usize = 0;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| unreadable(&err, limit, read))?;
        if chunk.is_empty() {
            continue;
        }
        read = read.saturating_add(chunk.len());
        check_body_limit(limit, read)?;
        match first.take() {
            // A body in one chunk (the usual case) is passed on without a copy.
            None if rest.is_empty() => first = Some(chunk),
            None => rest.extend_from_slice(&chunk),
            Some(head) => {
                // `declared <= limit` here; without a declaration, grow as chunks come.
                let expected = declared.map_or(read, |declared| {
                    usize::try_from(declared).unwrap_or(limit).max(read)
                });
                rest.reserve(expected.min(limit));
                rest.extend_from_slice(&head);
                rest.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(rest)))
}

/// A body that could not be read is the client's fault (it went away, broke the chunked
/// encoding, sent fewer bytes than announced): 400, or 413 where actix-web reports that a
/// size limit was reached.
fn unreadable(err: &PayloadError, limit: usize, read: usize) -> Error {
    match err {
        PayloadError::Overflow => Error::BodyTooLarge {
            limit,
            actual: read.saturating_add(1),
        },
        _ => Error::MalformedPayload(format!("the request body could not be read: {err}")),
    }
}
