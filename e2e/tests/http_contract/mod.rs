//! The HTTP behaviour every framework adapter must show, written once and run against each
//! (`axum_http.rs`, `actix_http.rs`): a real server on 127.0.0.1 (port 0), reqwest or a raw
//! `TcpStream` as the sender, for Palenca (HMAC header), receeve (HMAC in the body) and Munity
//! (token header).
//!
//! Every network step runs under a timeout, so a server that hangs fails the test instead of
//! stalling it; nothing asserts how fast anything is.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use webhook_receiver::idempotency::IdempotencyStore;
use webhook_receiver::idempotency::MemoryStore;
use webhook_receiver::inbox::Inbox;
use webhook_receiver::integrations::BodyTimeout;
use webhook_receiver::providers::munity::{Event as MunityEvent, Munity};
use webhook_receiver::providers::palenca::{Palenca, WebhookAction};
use webhook_receiver::providers::receeve::{Details, Receeve};
use webhook_receiver::testing::{self, SignedRequest, Signer};
use webhook_receiver::{Delivery, Provider, Receiver};

#[path = "../../../tests/common/mod.rs"]
mod common;
use common::*;

mod presets;
pub use presets::{
    every_preset_is_verified_and_processed_once, every_preset_through_the_memory_inbox,
    every_preset_through_the_postgres_inbox, every_preset_through_the_redis_inbox,
};

/// The body limit of every test server: small, so "over the limit" is cheap to produce.
pub const LIMIT: usize = 2 * 1024;
/// The body timeout of every test server: short, so the stalled-body tests are quick.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(1);
/// The request-head deadline (and idle timeout) of every test server, set the framework's way.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(1);
/// The bound on any single network step.
const STEP: Duration = Duration::from_secs(10);
/// The bound on a whole test.
const TEST: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// What a framework adapter provides

/// A framework under test: serves a receiver at `POST /webhook` with [`handle`] as the
/// handler's closure, the body timeout set to [`BODY_TIMEOUT`] the framework's way.
pub trait Framework {
    /// Starts the server; it stops when the returned value is dropped. Called inside the
    /// test's tokio runtime.
    fn serve<P>(receiver: Receiver<P>, recorder: Arc<Recorder<P::Event>>) -> Running
    where
        P: Provider + Clone + 'static,
        P::Event: Send + 'static;

    /// As [`serve`](Framework::serve), with the inbox's receiving side at `POST /webhook`: the
    /// framework's `InboxWebhook` extractor, answered with its `enqueue`.
    fn serve_inbox<P>(inbox: Inbox<P>) -> Running
    where
        P: Provider + 'static;
}

/// A running server: its address, and what stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub stop: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// What the handler saw, and how it behaves.
pub struct Recorder<E> {
    deliveries: Mutex<Vec<Delivery<E>>>,
    /// Handler runs that have started (the 409 test waits for the first).
    started: AtomicUsize,
    /// The handler fails (500) while this is above zero, counting down.
    failures_left: AtomicUsize,
    /// How long the handler works, in milliseconds.
    delay_ms: AtomicU64,
}

impl<E: Clone> Recorder<E> {
    /// A recorder whose handler succeeds after 10 ms.
    pub fn new() -> Self {
        Self {
            deliveries: Mutex::new(Vec::new()),
            started: AtomicUsize::new(0),
            failures_left: AtomicUsize::new(0),
            delay_ms: AtomicU64::new(10),
        }
    }

    fn deliveries(&self) -> Vec<Delivery<E>> {
        self.deliveries.lock().unwrap().clone()
    }

    fn runs(&self) -> usize {
        self.deliveries.lock().unwrap().len()
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
}

/// Why the handler failed: the sender gets 500, the logs get its `Display`.
#[derive(Debug)]
pub struct HandlerFailed;

impl std::fmt::Display for HandlerFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the test handler failed on purpose")
    }
}

/// The handler every framework's route runs inside `Webhook::run`.
pub async fn handle<E>(
    recorder: Arc<Recorder<E>>,
    delivery: Delivery<E>,
) -> Result<(), HandlerFailed> {
    recorder.started.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(
        recorder.delay_ms.load(Ordering::SeqCst),
    ))
    .await;
    let fail = recorder
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        return Err(HandlerFailed);
    }
    recorder.deliveries.lock().unwrap().push(delivery);
    Ok(())
}

/// A server under test and its handler's record.
struct Server<E> {
    running: Running,
    recorder: Arc<Recorder<E>>,
}

impl<E: Clone> Server<E> {
    fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    fn url(&self) -> String {
        format!("http://{}/webhook", self.running.addr)
    }

    fn deliveries(&self) -> Vec<Delivery<E>> {
        self.recorder.deliveries()
    }

    fn runs(&self) -> usize {
        self.recorder.runs()
    }

    fn started(&self) -> usize {
        self.recorder.started()
    }

    fn fail_next(&self, times: usize) {
        self.recorder.failures_left.store(times, Ordering::SeqCst);
    }

    fn handler_takes(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap();
        self.recorder.delay_ms.store(millis, Ordering::SeqCst);
    }
}

fn serve<F, P, St: IdempotencyStore + 'static>(provider: P, store: St) -> Server<P::Event>
where
    F: Framework,
    P: Provider + Clone + 'static,
    P::Event: Clone + Send + 'static,
{
    let recorder = Arc::new(Recorder::new());
    let running = F::serve(
        Receiver::builder(provider).store(store).build(),
        Arc::clone(&recorder),
    );
    Server { running, recorder }
}

/// The body timeout every framework sets on its server.
pub fn body_timeout() -> BodyTimeout {
    BodyTimeout(BODY_TIMEOUT)
}

// ---------------------------------------------------------------------------------------------
// The three providers, each with the requests a test needs

struct Case<P: Provider> {
    name: &'static str,
    provider: P,
    /// A genuine delivery of a documented event.
    valid: SignedRequest,
    /// Signed, but the signed content is not JSON.
    malformed: SignedRequest,
    /// Signed JSON of the wrong shape.
    wrong_shape: SignedRequest,
    /// The valid delivery with a signature or token made with another key.
    forged: SignedRequest,
    /// The valid delivery without its signature or token.
    unsigned: SignedRequest,
    /// Checks the typed event the handler received for `valid`.
    check_event: fn(&P::Event),
}

fn palenca_case() -> Case<Palenca> {
    let provider = palenca().with_body_limit(LIMIT);
    let valid = testing::palenca::login_success().signed_with(&provider);
    Case {
        name: "palenca",
        malformed: provider.sign(b"{\"webhook_action\": "),
        wrong_shape: provider.sign(br#"{"webhook_action":"login.success"}"#),
        forged: valid.clone().with_header(
            PALENCA_HEADER,
            palenca_with(secret("attacker-key"))
                .sign(valid.body())
                .header(PALENCA_HEADER)
                .unwrap(),
        ),
        unsigned: valid.clone().without_header(PALENCA_HEADER),
        valid,
        provider,
        check_event: |event| {
            assert_eq!(event.action, WebhookAction::LoginSuccess);
            assert_eq!(
                event.user_id.to_string(),
                "d1c9b98b-3190-479e-99db-04060ff3997f"
            );
        },
    }
}

fn receeve_case() -> Case<Receeve> {
    let provider = receeve().with_body_limit(LIMIT);
    let valid = testing::receeve::claim_created().signed_with(&provider);
    let attacker = receeve_with(secret("attacker-key"));
    let body = String::from_utf8(valid.body().to_vec()).unwrap();
    let signature = body
        .split("\"signature\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    Case {
        name: "receeve",
        malformed: provider.sign(b"{\"details\": "),
        wrong_shape: provider.sign(br#"{"messageId":"m-1"}"#),
        forged: testing::receeve::claim_created().signed_with(&attacker),
        unsigned: valid
            .clone()
            .with_body(body.replace(&format!("\"signature\":\"{signature}\","), "")),
        valid,
        provider,
        check_event: |message| {
            assert_eq!(message.message_id, "09feeb6f-350a-430a-a040-cd1c558cbc91");
            match &message.details {
                Details::ClaimCreated(claim) => assert_eq!(claim.amount, 501),
                other => panic!("unexpected details {other:?}"),
            }
        },
    }
}

fn munity_case() -> Case<Munity> {
    let provider = munity_token("munity-token").with_body_limit(LIMIT);
    let valid = testing::munity::webhook_test().signed_with(&provider);
    Case {
        name: "munity",
        malformed: provider.sign(b"{\"workspace_id\": "),
        wrong_shape: provider.sign(br#"{"event":"webhook_test"}"#),
        forged: valid.clone().with_header("x-munity-token", "guessed-token"),
        unsigned: valid.clone().without_header("x-munity-token"),
        valid,
        provider,
        check_event: |webhook| {
            assert_eq!(webhook.workspace_id, "ws_8f2c1a");
            assert_eq!(webhook.event, MunityEvent::WebhookTest { test: true });
        },
    }
}

async fn bounded<T: Future<Output = ()>>(test: T) {
    tokio::time::timeout(TEST, test)
        .await
        .expect("the test did not finish in time");
}

// ---------------------------------------------------------------------------------------------
// Senders

#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(STEP).build().unwrap()
}

async fn post_with(client: &reqwest::Client, url: &str, request: &SignedRequest) -> Answer {
    let mut builder = client.post(url);
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    let response = builder.body(request.body().to_vec()).send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    Answer {
        status,
        retry_after,
        body,
    }
}

async fn send(url: &str, request: &SignedRequest) -> Answer {
    post_with(&client(), url, request).await
}

/// The request line and headers of a POST to `/webhook`, with the request's own headers and
/// the framing headers given.
fn head(request: &SignedRequest, framing: &str) -> Vec<u8> {
    let mut head = String::from("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(framing);
    head.push_str("\r\n");
    head.into_bytes()
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(b"\r\n");
    chunk
}

/// A raw connection that has sent the request's head with `framing`, and no body yet.
async fn open(addr: SocketAddr, request: &SignedRequest, framing: &str) -> TcpStream {
    let mut stream = connect(addr).await;
    assert!(write(&mut stream, &head(request, framing)).await);
    stream
}

async fn connect(addr: SocketAddr) -> TcpStream {
    tokio::time::timeout(STEP, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap()
}

/// Writes `bytes`; `false` when the server has closed the connection.
async fn write(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    matches!(
        tokio::time::timeout(STEP, stream.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

/// Reads until the end of the response head, the end of the stream, an error or the timeout,
/// and returns the status, if a status line came.
async fn read_status(stream: &mut (impl AsyncRead + Unpin)) -> Option<u16> {
    let mut received = Vec::new();
    let mut buf = [0_u8; 4096];
    let read_head = async {
        while !received.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(STEP, read_head).await;
    let text = String::from_utf8_lossy(&received);
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    status.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// The scenarios

/// A genuine delivery of each provider is 200 "processed" with its typed event; the same
/// delivery again is 200 "duplicate" without running the handler.
pub async fn processed_then_duplicate<F: Framework>() {
    async fn check<F: Framework, P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Clone + Send + 'static,
    {
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let first = send(&server.url(), &case.valid).await;
        assert_eq!(
            (first.status, first.body.as_str()),
            (200, "processed"),
            "{}",
            case.name
        );
        let deliveries = server.deliveries();
        assert_eq!(deliveries.len(), 1, "{}", case.name);
        (case.check_event)(&deliveries[0].event);
        let retry = send(&server.url(), &case.valid).await;
        assert_eq!(
            (retry.status, retry.body.as_str()),
            (200, "duplicate"),
            "{}",
            case.name
        );
        assert_eq!(server.runs(), 1, "{}: the retry ran the handler", case.name);
    }
    bounded(async {
        check::<F, _>(palenca_case()).await;
        check::<F, _>(receeve_case()).await;
        check::<F, _>(munity_case()).await;
    })
    .await;
}

/// Forged, unsigned, malformed and misshapen deliveries of each provider get their status
/// and a short body, and never reach the handler.
pub async fn rejections<F: Framework>() {
    async fn check<F: Framework, P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Clone + Send + 'static,
    {
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        for (request, status, body) in [
            (&case.forged, 401, "unauthorized"),
            (&case.unsigned, 401, "unauthorized"),
            (&case.malformed, 400, "malformed payload"),
            (&case.wrong_shape, 422, "unexpected payload"),
        ] {
            let answer = send(&server.url(), request).await;
            assert_eq!(
                (answer.status, answer.body.as_str()),
                (status, body),
                "{}",
                case.name
            );
        }
        assert_eq!(server.runs(), 0, "{}", case.name);
        assert_eq!(server.started(), 0, "{}", case.name);
    }
    bounded(async {
        check::<F, _>(palenca_case()).await;
        check::<F, _>(receeve_case()).await;
        check::<F, _>(munity_case()).await;
    })
    .await;
}

/// Eight copies of one delivery at once run the handler exactly once; each copy is answered
/// 200 or 409, and once the first is done every copy is a duplicate.
pub async fn concurrent_copies_run_once<F: Framework>() {
    bounded(async {
        let case = palenca_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        server.handler_takes(Duration::from_millis(200));
        let client = client();
        let url = server.url();
        let copies = (0..8).map(|_| post_with(&client, &url, &case.valid));
        let answers = futures_util::future::join_all(copies).await;
        for answer in &answers {
            assert!(matches!(answer.status, 200 | 409), "{answer:?}");
        }
        assert_eq!(server.runs(), 1);
        let again = send(&server.url(), &case.valid).await;
        assert_eq!((again.status, again.body.as_str()), (200, "duplicate"));
    })
    .await;
}

/// A copy that arrives while the handler runs is 409 "in progress" with a `Retry-After` of at
/// most the receiver's cap (5 s), not the whole lease (60 s).
pub async fn in_progress_is_409_with_a_capped_retry_after<F: Framework>() {
    bounded(async {
        let case = palenca_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        server.handler_takes(Duration::from_millis(1500));
        let url = server.url();
        let valid = case.valid.clone();
        let first = tokio::spawn(async move { send(&url, &valid).await });
        while server.started() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let copy = send(&server.url(), &case.valid).await;
        assert_eq!((copy.status, copy.body.as_str()), (409, "in progress"));
        let wait: u64 = copy.retry_after.as_deref().unwrap().parse().unwrap();
        assert!((1..=5).contains(&wait), "Retry-After: {wait}");
        let first = first.await.unwrap();
        assert_eq!((first.status, first.body.as_str()), (200, "processed"));
        let retry = send(&server.url(), &case.valid).await;
        assert_eq!((retry.status, retry.body.as_str()), (200, "duplicate"));
        assert_eq!(server.runs(), 1);
    })
    .await;
}

/// A sender that gives up (client timeout 0.5 s) while a 1.5 s handler runs does not cancel
/// it: the handler finishes, its claim is completed, and the sender's resend is answered 200
/// "duplicate" without a second run.
pub async fn a_sender_hanging_up_does_not_cancel_the_handler<F: Framework>() {
    bounded(async {
        let case = receeve_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        server.handler_takes(Duration::from_millis(1500));
        let impatient = reqwest::Client::builder()
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let mut request = impatient.post(server.url());
        for (name, value) in case.valid.headers() {
            request = request.header(name, value);
        }
        let gave_up = request.body(case.valid.body().to_vec()).send().await;
        assert!(
            gave_up.is_err_and(|err| err.is_timeout()),
            "the client should time out"
        );
        // The handler goes on without the connection; its effect appears once.
        let deadline = tokio::time::Instant::now() + STEP;
        while server.runs() == 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            server.runs(),
            1,
            "the handler was cancelled with the connection"
        );
        // Wait until the completion is recorded (the answer is no longer 409), then resend.
        let mut resend = send(&server.url(), &case.valid).await;
        while resend.status == 409 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            resend = send(&server.url(), &case.valid).await;
        }
        assert_eq!((resend.status, resend.body.as_str()), (200, "duplicate"));
        assert_eq!(server.runs(), 1);
        assert_eq!(server.started(), 1);
    })
    .await;
}

/// A failed handler is 500 "handler failed"; the claim is released, so the sender's retry
/// processes the event.
pub async fn handler_failure_is_500_and_the_retry_processes<F: Framework>() {
    bounded(async {
        let case = receeve_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        server.fail_next(1);
        let failed = send(&server.url(), &case.valid).await;
        assert_eq!(
            (failed.status, failed.body.as_str()),
            (500, "handler failed")
        );
        assert_eq!(server.runs(), 0);
        let retry = send(&server.url(), &case.valid).await;
        assert_eq!((retry.status, retry.body.as_str()), (200, "processed"));
        assert_eq!(server.runs(), 1);
    })
    .await;
}

/// A store that cannot be reached is 503 with `Retry-After: 1`, and the handler never runs.
pub async fn store_down_is_503<F: Framework>() {
    bounded(async {
        let case = munity_case();
        let server = serve::<F, _, _>(case.provider, DownStore);
        let answer = send(&server.url(), &case.valid).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (503, "temporarily unavailable")
        );
        assert_eq!(answer.retry_after.as_deref(), Some("1"));
        assert_eq!(server.started(), 0);
    })
    .await;
}

/// A `Content-Length` over the limit is 413 before any body byte is sent.
pub async fn announced_excess_is_413<F: Framework>() {
    bounded(async {
        let case = palenca_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let mut stream = open(
            server.addr(),
            &case.valid,
            &format!("Content-Length: {}\r\n", 10 * 1024 * 1024),
        )
        .await;
        assert_eq!(read_status(&mut stream).await, Some(413));
        assert_eq!(server.started(), 0);
    })
    .await;
}

/// A chunked body is 413 as soon as it passes the limit, without waiting for its end.
pub async fn streamed_excess_is_413<F: Framework>() {
    bounded(async {
        let case = palenca_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let mut stream = open(server.addr(), &case.valid, "Transfer-Encoding: chunked\r\n").await;
        // Past the limit, and then nothing: no terminating chunk ever comes.
        assert!(write(&mut stream, &chunk(&vec![b' '; LIMIT + 1])).await);
        assert_eq!(read_status(&mut stream).await, Some(413));
        assert_eq!(server.started(), 0);
    })
    .await;
}

/// A genuine delivery sent in several chunks is verified whole and processed.
pub async fn chunked_delivery_is_processed<F: Framework>() {
    bounded(async {
        let case = receeve_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let mut stream = open(server.addr(), &case.valid, "Transfer-Encoding: chunked\r\n").await;
        for part in case.valid.body().chunks(100) {
            assert!(write(&mut stream, &chunk(part)).await);
        }
        assert!(write(&mut stream, b"0\r\n\r\n").await);
        assert_eq!(read_status(&mut stream).await, Some(200));
        assert_eq!(server.runs(), 1);
    })
    .await;
}

/// A body that stops arriving is 408 once the body timeout runs out (the sender retries), and
/// the retry is processed.
pub async fn stalled_body_is_408_and_the_retry_processes<F: Framework>() {
    bounded(async {
        let case = palenca_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let body = case.valid.body();
        let mut stream = open(
            server.addr(),
            &case.valid,
            &format!("Content-Length: {}\r\n", body.len()),
        )
        .await;
        assert!(write(&mut stream, &body[..10]).await);
        assert_eq!(read_status(&mut stream).await, Some(408));
        assert_eq!(server.started(), 0);
        let retry = send(&server.url(), &case.valid).await;
        assert_eq!((retry.status, retry.body.as_str()), (200, "processed"));
    })
    .await;
}

/// A body trickled a few bytes at a time, each within any idle timeout, is still cut off
/// with 408 when the whole-body deadline runs out.
pub async fn trickled_body_is_408<F: Framework>() {
    bounded(async {
        let case = palenca_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let body = case.valid.body().to_vec();
        let stream = open(
            server.addr(),
            &case.valid,
            &format!("Content-Length: {}\r\n", body.len()),
        )
        .await;
        let (mut reader, mut writer) = stream.into_split();
        // Two bytes every 200 ms: the body would take many seconds to arrive.
        let trickle = tokio::spawn(async move {
            for pair in body.chunks(2) {
                if writer.write_all(pair).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let status = read_status(&mut reader).await;
        trickle.abort();
        assert_eq!(status, Some(408));
        assert_eq!(server.started(), 0);
    })
    .await;
}

/// Waits until the server ends the connection: `true` when it closed it (or answered and
/// closed it) within the bound of one step.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0_u8; 1024];
    let closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(STEP, closed).await.is_ok()
}

/// A client that sends half a request head and then nothing is cut off at the head deadline.
pub async fn stalled_head_is_cut_off<F: Framework>() {
    bounded(async {
        let case = palenca_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let mut stream = connect(server.addr()).await;
        assert!(
            write(
                &mut stream,
                b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-"
            )
            .await
        );
        assert!(
            closed_by_server(&mut stream).await,
            "a half-sent head held its connection"
        );
        assert_eq!(server.started(), 0);
    })
    .await;
}

/// 300 connections that send nothing do not keep a genuine delivery waiting, and each is
/// closed by the server at the head deadline.
pub async fn idle_connections_are_cut_off_and_deliveries_still_answered<F: Framework>() {
    bounded(async {
        let case = receeve_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let mut idle = Vec::with_capacity(300);
        for _ in 0..300 {
            idle.push(connect(server.addr()).await);
        }
        let answer = send(&server.url(), &case.valid).await;
        assert_eq!((answer.status, answer.body.as_str()), (200, "processed"));
        let mut still_open = 0;
        for stream in &mut idle {
            if !closed_by_server(stream).await {
                still_open += 1;
            }
        }
        assert_eq!(still_open, 0, "idle connections held past the deadline");
    })
    .await;
}

/// A body shorter than its `Content-Length` (the client then closes its side) is never
/// accepted, and the server does not hang on it.
pub async fn short_body_is_never_processed<F: Framework>() {
    bounded(async {
        let case = munity_case();
        let server = serve::<F, _, _>(case.provider, MemoryStore::new());
        let body = case.valid.body();
        let mut stream = open(
            server.addr(),
            &case.valid,
            &format!("Content-Length: {}\r\n", body.len() + 5),
        )
        .await;
        assert!(write(&mut stream, body).await);
        stream.shutdown().await.unwrap();
        let status = read_status(&mut stream).await;
        assert!(matches!(status, None | Some(400)), "{status:?}");
        assert_eq!(server.started(), 0);
    })
    .await;
}

/// One `#[tokio::test]` per scenario for the framework `$framework`.
#[macro_export]
macro_rules! http_contract {
    ($framework:ty) => {
        $crate::http_contract!(@tests $framework;
            processed_then_duplicate,
            rejections,
            concurrent_copies_run_once,
            in_progress_is_409_with_a_capped_retry_after,
            a_sender_hanging_up_does_not_cancel_the_handler,
            handler_failure_is_500_and_the_retry_processes,
            store_down_is_503,
            announced_excess_is_413,
            streamed_excess_is_413,
            chunked_delivery_is_processed,
            stalled_body_is_408_and_the_retry_processes,
            trickled_body_is_408,
            short_body_is_never_processed,
            stalled_head_is_cut_off,
            idle_connections_are_cut_off_and_deliveries_still_answered,
            every_preset_is_verified_and_processed_once,
            every_preset_through_the_memory_inbox,
            every_preset_through_the_postgres_inbox,
            every_preset_through_the_redis_inbox,
        );
    };
    (@tests $framework:ty; $($scenario:ident,)+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                http_contract::$scenario::<$framework>().await;
            }
        )+
    };
}
