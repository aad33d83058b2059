//! The axum integration over real HTTP on 127.0.0.1: a server per test (`axum::serve` on port
//! 0), reqwest or a raw `TcpStream` as the sender, for Palenca (HMAC header), receeve (HMAC in
//! the body) and Munity (token header).
//!
//! Every network step runs under a timeout, so a server that hangs fails the test instead of
//! stalling it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/common/mod.rs"]
mod common;

use std::fmt::Debug;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use common::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use webhook_receiver::integrations::axum::ProcessOnce;
use webhook_receiver::providers::munity::{Event as MunityEvent, Munity};
use webhook_receiver::providers::palenca::{Palenca, WebhookAction};
use webhook_receiver::providers::receeve::{Details, Receeve};
use webhook_receiver::testing::{self, SignedRequest, Signer};
use webhook_receiver::{Delivery, MemoryStore, Provider};
use webhook_receiver::{Received, Receiver};

/// The body limit of every test server: small, so "over the limit" is cheap to produce.
const LIMIT: usize = 2 * 1024;
/// What the over-limit tests announce or start streaming.
const TEN_MIB: usize = 10 * 1024 * 1024;
/// How long the handler works: long enough for concurrent copies to overlap.
const HANDLER_DELAY: Duration = Duration::from_millis(50);
/// The bound on any single network step.
const STEP: Duration = Duration::from_secs(10);
/// The bound on a whole test.
const TEST: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The server under test

/// What the handler saw.
struct Recorder<E> {
    deliveries: Mutex<Vec<Delivery<E>>>,
    /// The handler fails (500) while this is above zero, counting down.
    failures_left: AtomicUsize,
}

struct App<P: Provider> {
    receiver: Receiver<P>,
    recorder: Arc<Recorder<<P as Provider>::Event>>,
}

impl<P: Provider> Clone for App<P> {
    fn clone(&self) -> Self {
        Self {
            receiver: self.receiver.clone(),
            recorder: Arc::clone(&self.recorder),
        }
    }
}

impl<P: Provider> FromRef<App<P>> for Receiver<P> {
    fn from_ref(app: &App<P>) -> Self {
        app.receiver.clone()
    }
}

#[derive(Debug)]
struct HandlerFailed;

async fn on_delivery<P>(
    State(app): State<App<P>>,
    webhook: ProcessOnce<P>,
) -> Received<(), HandlerFailed>
where
    P: Provider + 'static,
    P::Event: Send + 'static,
{
    webhook
        .run(|delivery| async move {
            tokio::time::sleep(HANDLER_DELAY).await;
            let fail = app
                .recorder
                .failures_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                return Err(HandlerFailed);
            }
            app.recorder.deliveries.lock().unwrap().push(delivery);
            Ok(())
        })
        .await
}

struct Server<E> {
    addr: SocketAddr,
    recorder: Arc<Recorder<E>>,
    task: JoinHandle<()>,
}

impl<E> Drop for Server<E> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<E: Clone> Server<E> {
    fn url(&self) -> String {
        format!("http://{}/webhook", self.addr)
    }

    fn deliveries(&self) -> Vec<Delivery<E>> {
        self.recorder.deliveries.lock().unwrap().clone()
    }

    fn runs(&self) -> usize {
        self.recorder.deliveries.lock().unwrap().len()
    }

    fn fail_next(&self, times: usize) {
        self.recorder.failures_left.store(times, Ordering::SeqCst);
    }
}

async fn serve<P>(provider: P) -> Server<P::Event>
where
    P: Provider + Clone + 'static,
    P::Event: Send + 'static,
{
    let recorder = Arc::new(Recorder {
        deliveries: Mutex::new(Vec::new()),
        failures_left: AtomicUsize::new(0),
    });
    let app = App {
        receiver: Receiver::new(provider, MemoryStore::new()),
        recorder: Arc::clone(&recorder),
    };
    let router = Router::new()
        .route("/webhook", post(on_delivery::<P>))
        .with_state(app);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Server {
        addr,
        recorder,
        task,
    }
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

/// Runs `check` on each provider's case, bounded in time.
macro_rules! for_each_provider {
    ($check:ident) => {
        bounded(async {
            $check(palenca_case()).await;
            $check(receeve_case()).await;
            $check(munity_case()).await;
        })
        .await
    };
}

async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST, test)
        .await
        .expect("the test did not finish in time");
}

// ---------------------------------------------------------------------------------------------
// Senders

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

async fn connect(addr: SocketAddr) -> TcpStream {
    tokio::time::timeout(STEP, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap()
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) {
    tokio::time::timeout(STEP, stream.write_all(bytes))
        .await
        .unwrap()
        .unwrap();
}

/// Reads until the end of the response head, the end of the stream, an error or the timeout,
/// and returns the status, if a status line came.
async fn read_status(stream: &mut TcpStream) -> Option<u16> {
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
// Tests

#[tokio::test]
async fn valid_delivery_is_processed_once_with_the_typed_event() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + PartialEq + Debug + 'static,
    {
        let server = serve(case.provider.clone()).await;
        let answer = send(&server.url(), &case.valid).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, "processed"),
            "{}",
            case.name
        );

        let deliveries = server.deliveries();
        assert_eq!(deliveries.len(), 1, "{}", case.name);
        let expected = case
            .provider
            .verify_and_parse(case.valid.headers(), case.valid.body())
            .unwrap();
        assert_eq!(deliveries[0], expected, "{}", case.name);
        (case.check_event)(&deliveries[0].event);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn the_same_delivery_again_is_acknowledged_without_running_the_handler() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        let server = serve(case.provider.clone()).await;
        assert_eq!(send(&server.url(), &case.valid).await.status, 200);
        let retry = send(&server.url(), &case.valid).await;
        assert_eq!(
            (retry.status, retry.body.as_str()),
            (200, "duplicate"),
            "{}",
            case.name
        );
        assert_eq!(server.runs(), 1, "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn concurrent_copies_of_one_delivery_run_the_handler_exactly_once() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        const COPIES: usize = 32;
        let server = serve(case.provider.clone()).await;
        let client = client();
        let start = Arc::new(tokio::sync::Barrier::new(COPIES));
        let senders: Vec<_> = (0..COPIES)
            .map(|_| {
                let (client, url, request) = (client.clone(), server.url(), case.valid.clone());
                let start = Arc::clone(&start);
                tokio::spawn(async move {
                    start.wait().await;
                    post_with(&client, &url, &request).await
                })
            })
            .collect();
        let mut answers = Vec::new();
        for sender in senders {
            answers.push(sender.await.unwrap());
        }

        assert_eq!(server.runs(), 1, "{}", case.name);
        for answer in &answers {
            match answer.status {
                200 => assert!(matches!(answer.body.as_str(), "processed" | "duplicate")),
                409 => {
                    assert_eq!(answer.body, "in progress");
                    let seconds: u64 = answer.retry_after.as_deref().unwrap().parse().unwrap();
                    assert!(seconds >= 1, "{}", case.name);
                }
                other => panic!("{}: unexpected status {other}", case.name),
            }
        }
        let processed = answers.iter().filter(|a| a.body == "processed").count();
        assert_eq!(processed, 1, "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn forged_or_missing_signatures_are_401_and_never_reach_the_handler() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        let server = serve(case.provider.clone()).await;
        for (what, request) in [("forged", &case.forged), ("missing", &case.unsigned)] {
            let answer = send(&server.url(), request).await;
            assert_eq!(
                (answer.status, answer.body.as_str()),
                (401, "unauthorized"),
                "{} {what}",
                case.name
            );
        }
        assert_eq!(server.runs(), 0, "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn malformed_json_is_400_and_the_wrong_shape_is_422() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        let server = serve(case.provider.clone()).await;
        let malformed = send(&server.url(), &case.malformed).await;
        assert_eq!(
            (malformed.status, malformed.body.as_str()),
            (400, "malformed payload"),
            "{}",
            case.name
        );
        let wrong_shape = send(&server.url(), &case.wrong_shape).await;
        assert_eq!(
            (wrong_shape.status, wrong_shape.body.as_str()),
            (422, "unexpected payload"),
            "{}",
            case.name
        );
        assert_eq!(server.runs(), 0, "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_413_before_any_body_byte_is_sent() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        let server = serve(case.provider.clone()).await;
        let mut stream = connect(server.addr).await;
        // The head alone: had the server waited for the 10 MiB, this would time out.
        let framing = format!("Content-Length: {TEN_MIB}\r\n");
        write(&mut stream, &head(&case.valid, &framing)).await;
        assert_eq!(read_status(&mut stream).await, Some(413), "{}", case.name);
        assert_eq!(server.runs(), 0, "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_without_waiting_for_its_end() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        let server = serve(case.provider.clone()).await;
        let stream = connect(server.addr).await;
        let (mut reader, mut writer) = stream.into_split();
        let head = head(&case.valid, "Transfer-Encoding: chunked\r\n");
        // Streams up to 10 MiB, never the final chunk; stops when the server hangs up.
        let sender = tokio::spawn(async move {
            writer.write_all(&head).await?;
            let piece = chunk(&[b' '; 1024]);
            for _ in 0..TEN_MIB / 1024 {
                writer.write_all(&piece).await?;
            }
            std::io::Result::Ok(writer)
        });
        let mut received = Vec::new();
        let mut buf = [0_u8; 1024];
        let read_head = async {
            while !received.windows(4).any(|w| w == b"\r\n\r\n") {
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                }
            }
        };
        tokio::time::timeout(STEP, read_head).await.unwrap();
        let text = String::from_utf8_lossy(&received);
        assert!(text.starts_with("HTTP/1.1 413 "), "{}: {text}", case.name);
        sender.abort();
        assert_eq!(server.runs(), 0, "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn a_handler_error_is_500_and_the_retry_processes_the_delivery() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        let server = serve(case.provider.clone()).await;
        server.fail_next(1);
        let failed = send(&server.url(), &case.valid).await;
        assert_eq!(
            (failed.status, failed.body.as_str()),
            (500, "handler failed"),
            "{}",
            case.name
        );
        assert_eq!(server.runs(), 0, "{}", case.name);

        let retry = send(&server.url(), &case.valid).await;
        assert_eq!(
            (retry.status, retry.body.as_str()),
            (200, "processed"),
            "{}",
            case.name
        );
        assert_eq!(server.runs(), 1, "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn a_valid_delivery_sent_chunked_is_accepted() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + PartialEq + Debug + 'static,
    {
        let server = serve(case.provider.clone()).await;
        let mut stream = connect(server.addr).await;
        write(
            &mut stream,
            &head(&case.valid, "Transfer-Encoding: chunked\r\n"),
        )
        .await;
        // Separate writes a little apart, so the server sees several body frames.
        for piece in case.valid.body().chunks(50) {
            write(&mut stream, &chunk(piece)).await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        write(&mut stream, b"0\r\n\r\n").await;
        assert_eq!(read_status(&mut stream).await, Some(200), "{}", case.name);

        let expected = case
            .provider
            .verify_and_parse(case.valid.headers(), case.valid.body())
            .unwrap();
        assert_eq!(server.deliveries(), vec![expected], "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_400_and_never_processed() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        let server = serve(case.provider.clone()).await;
        let body = case.valid.body();
        let mut stream = connect(server.addr).await;
        let framing = format!("Content-Length: {}\r\n", body.len() + 100);
        write(&mut stream, &head(&case.valid, &framing)).await;
        write(&mut stream, body).await;
        // The sender stops early: the server sees the end of the stream mid-body.
        stream.shutdown().await.unwrap();
        let status = read_status(&mut stream).await;
        assert!(matches!(status, Some(400)), "{}: {status:?}", case.name);
        assert_eq!(server.runs(), 0, "{}", case.name);

        // The server is still serving, and the complete delivery is processed.
        assert_eq!(send(&server.url(), &case.valid).await.status, 200);
        assert_eq!(server.runs(), 1, "{}", case.name);
    }
    for_each_provider!(check);
}

#[tokio::test]
async fn a_body_longer_than_its_content_length_is_read_truncated_and_rejected() {
    async fn check<P>(case: Case<P>)
    where
        P: Provider + Clone + 'static,
        P::Event: Send + Clone + 'static,
    {
        let server = serve(case.provider.clone()).await;
        let body = case.valid.body();
        let mut stream = connect(server.addr).await;
        // The server reads only the announced bytes: a truncated delivery.
        let framing = format!(
            "Content-Length: {}\r\nConnection: close\r\n",
            body.len() - 20
        );
        write(&mut stream, &head(&case.valid, &framing)).await;
        write(&mut stream, body).await;
        let status = read_status(&mut stream).await;
        assert!(
            matches!(status, Some(400 | 401)),
            "{}: {status:?}",
            case.name
        );
        assert_eq!(server.runs(), 0, "{}", case.name);
    }
    for_each_provider!(check);
}
