//! actix-web end to end: a real `HttpServer` on 127.0.0.1 (port 0), reqwest or a raw
//! `TcpStream` as the sender, for Palenca (HMAC header), receeve (HMAC inside the body) and
//! Munity (token header). Every network step is bounded by a timeout; nothing asserts timings.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../../tests/common/mod.rs"]
mod common;

use std::fmt::Debug;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use webhook_receiver::integrations::actix::{BodyTimeout, ProcessOnce};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::testing::{self, Fixture, SignedRequest, Signer};
use webhook_receiver::{MemoryStore, Provider, verify_and_parse};
use webhook_receiver::{Received, Receiver};

use common::{PALENCA_HEADER, palenca, palenca_with, receeve, receeve_with, secret};

/// The servers' body limit: small, so that over-limit bodies are cheap to make.
const LIMIT: usize = 4 * 1024;
/// What "too large" means in these tests.
const HUGE: usize = 10 * 1024 * 1024;
/// The bound on every network step (connect, write, read).
const STEP: Duration = Duration::from_secs(10);
/// The servers' body read timeout ([`BodyTimeout`]): well under [`STEP`], far over what a
/// body on loopback needs.
const BODY_TIMEOUT: Duration = Duration::from_secs(2);
/// The bound on a whole test.
const TEST: Duration = Duration::from_secs(90);
const MUNITY_TOKEN: &str = "munity-e2e-token";
const MUNITY_HEADER: &str = "x-munity-token";

/// A sender as the tests need it: configured like the server, or as an impostor.
trait Sender:
    Provider<Event: PartialEq + Debug + Send + 'static> + Signer + Clone + Send + Sync + 'static
{
    /// The server's configuration (body limit [`LIMIT`]).
    fn genuine() -> Self;
    /// Same scheme, another secret.
    fn impostor() -> Self;
    /// A delivery of this sender.
    fn fixture() -> Fixture;
    /// `request` without its signature or token.
    fn without_signature(request: SignedRequest) -> SignedRequest;
}

impl Sender for Palenca {
    fn genuine() -> Self {
        palenca().with_body_limit(LIMIT)
    }
    fn impostor() -> Self {
        palenca_with(secret("palenca-impostor-key"))
    }
    fn fixture() -> Fixture {
        testing::palenca::login_success()
    }
    fn without_signature(request: SignedRequest) -> SignedRequest {
        request.without_header(PALENCA_HEADER)
    }
}

impl Sender for Receeve {
    fn genuine() -> Self {
        receeve().with_body_limit(LIMIT)
    }
    fn impostor() -> Self {
        receeve_with(secret("receeve-impostor-key"))
    }
    fn fixture() -> Fixture {
        testing::receeve::claim_created()
    }
    fn without_signature(request: SignedRequest) -> SignedRequest {
        // receeve signs inside the body: drop the `signature` field, keep the rest.
        let mut envelope: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
        envelope
            .as_object_mut()
            .unwrap()
            .remove("signature")
            .unwrap();
        let body = serde_json::to_vec(&envelope).unwrap();
        request.with_body(body)
    }
}

impl Sender for Munity {
    fn genuine() -> Self {
        common::munity_token(MUNITY_TOKEN).with_body_limit(LIMIT)
    }
    fn impostor() -> Self {
        common::munity_token("munity-impostor-token")
    }
    fn fixture() -> Fixture {
        testing::munity::webhook_test()
    }
    fn without_signature(request: SignedRequest) -> SignedRequest {
        request.without_header(MUNITY_HEADER)
    }
}

// ---------------------------------------------------------------------------------------------
// The server under test.

/// What the handler saw.
struct Probe<E> {
    events: Mutex<Vec<E>>,
    failures_left: AtomicUsize,
}

impl<E> Probe<E> {
    fn runs(&self) -> usize {
        self.events.lock().unwrap().len()
    }
}

#[derive(Debug)]
struct HandlerFailed;

/// Slow enough that concurrent copies of one delivery overlap.
const HANDLER_WORK: Duration = Duration::from_millis(100);

async fn handle<S: Sender>(
    probe: web::Data<Probe<S::Event>>,
    webhook: ProcessOnce<S>,
) -> Received<(), HandlerFailed> {
    webhook
        .run(|delivery| async move {
            actix_web::rt::time::sleep(HANDLER_WORK).await;
            probe.events.lock().unwrap().push(delivery.event);
            let fail = probe
                .failures_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail { Err(HandlerFailed) } else { Ok(()) }
        })
        .await
}

struct Server<E> {
    addr: SocketAddr,
    url: String,
    handle: ServerHandle,
    probe: web::Data<Probe<E>>,
}

async fn start<S: Sender>() -> Server<S::Event> {
    let receiver = web::Data::new(Receiver::new(S::genuine(), MemoryStore::new()));
    let probe = web::Data::new(Probe {
        events: Mutex::new(Vec::new()),
        failures_left: AtomicUsize::new(0),
    });
    let app_probe = probe.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(receiver.clone())
            .app_data(app_probe.clone())
            .app_data(BodyTimeout(BODY_TIMEOUT))
            .route("/webhook", web::post().to(handle::<S>))
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Server {
        addr,
        url: format!("http://{addr}/webhook"),
        handle,
        probe,
    }
}

impl<E> Server<E> {
    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Senders: reqwest, and a raw socket for what HTTP clients will not send.

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(STEP).build().unwrap()
}

async fn post(client: &reqwest::Client, url: &str, request: &SignedRequest) -> (u16, String) {
    let mut builder = client.post(url).body(request.body().to_vec());
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let response = builder.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// A raw HTTP/1.1 connection with every step bounded by [`STEP`].
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, STEP).unwrap();
    stream.set_read_timeout(Some(STEP)).unwrap();
    stream.set_write_timeout(Some(STEP)).unwrap();
    stream
}

/// The request head: the signed request's headers plus `framing` (`Content-Length: n` or
/// `Transfer-Encoding: chunked`).
fn head(request: &SignedRequest, framing: &str) -> Vec<u8> {
    let mut head = String::from("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("{framing}\r\nConnection: close\r\n\r\n"));
    head.into_bytes()
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(b"\r\n");
    chunk
}

const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// The status of the response on `stream`, or `None` when the server closed the connection
/// without answering. Panics when nothing comes within [`STEP`]: the server hung.
fn read_status(stream: &mut TcpStream) -> Option<u16> {
    let mut received = Vec::new();
    let mut buffer = [0; 1024];
    while !received.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(err) => panic!("no answer within {STEP:?}: {err}"),
        }
    }
    let line = String::from_utf8_lossy(&received);
    let line = line.lines().next()?;
    let status = line.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    Some(status.parse().unwrap())
}

/// Writes `parts` on a clone of `stream` from another thread, so the answer can be read while
/// the body is still being sent. The thread ends when everything is written or the server
/// stops taking it (closed connection, or [`STEP`] without progress).
fn write_in_background(
    stream: &TcpStream,
    parts: impl Iterator<Item = Vec<u8>> + Send + 'static,
) -> std::thread::JoinHandle<usize> {
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut written = 0;
        for part in parts {
            if writer.write_all(&part).is_err() {
                break;
            }
            written += part.len();
        }
        written
    })
}

/// The 10 MiB body, in 64 KiB pieces.
fn huge_body() -> impl Iterator<Item = Vec<u8>> + Send {
    let piece = vec![b' '; 64 * 1024];
    std::iter::repeat_n(piece, HUGE / (64 * 1024))
}

// ---------------------------------------------------------------------------------------------
// The behaviours, generic over the sender; instantiated per provider at the bottom.

async fn valid_delivery_is_processed_once_with_its_typed_event<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let expected = verify_and_parse(&S::genuine(), request.headers(), request.body())
        .unwrap()
        .event;
    let client = client();

    assert_eq!(
        post(&client, &server.url, &request).await,
        (200, "processed".to_owned())
    );
    assert_eq!(*server.probe.events.lock().unwrap(), [expected]);

    assert_eq!(
        post(&client, &server.url, &request).await,
        (200, "duplicate".to_owned())
    );
    assert_eq!(server.probe.runs(), 1, "a retry must not run the handler");
    server.stop().await;
}

async fn concurrent_copies_run_the_handler_exactly_once<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let client = client();
    let mut copies = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (client, url, request) = (client.clone(), server.url.clone(), request.clone());
        copies.spawn(async move { post(&client, &url, &request).await });
    }
    let mut statuses = Vec::new();
    while let Some(answer) = copies.join_next().await {
        statuses.push(answer.unwrap().0);
    }
    assert_eq!(statuses.len(), 32);
    assert!(
        statuses.iter().all(|status| [200, 409].contains(status)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200), "{statuses:?}");
    assert_eq!(server.probe.runs(), 1, "{statuses:?}");
    server.stop().await;
}

async fn refused_deliveries_get_their_status_and_never_reach_the_handler<S: Sender>() {
    let server = start::<S>().await;
    let genuine = S::fixture().signed_with(&S::genuine());
    let client = client();
    let cases = [
        (
            "forged signature",
            S::fixture().signed_with(&S::impostor()),
            401,
            "unauthorized",
        ),
        (
            "missing signature",
            S::without_signature(genuine),
            401,
            "unauthorized",
        ),
        (
            "malformed JSON",
            S::genuine().sign(br#"{"event": "#),
            400,
            "malformed payload",
        ),
        (
            "wrong shape",
            S::genuine().sign(br#"{"hello":"world"}"#),
            422,
            "unexpected payload",
        ),
    ];
    for (case, request, status, body) in cases {
        let answer = post(&client, &server.url, &request).await;
        assert_eq!(answer, (status, body.to_owned()), "{case}");
    }
    assert_eq!(server.probe.runs(), 0);
    server.stop().await;
}

async fn a_failed_handler_is_500_and_the_retry_processes_the_event<S: Sender>() {
    let server = start::<S>().await;
    server.probe.failures_left.store(1, Ordering::SeqCst);
    let request = S::fixture().signed_with(&S::genuine());
    let client = client();

    assert_eq!(
        post(&client, &server.url, &request).await,
        (500, "handler failed".to_owned())
    );
    assert_eq!(
        post(&client, &server.url, &request).await,
        (200, "processed".to_owned())
    );
    assert_eq!(
        post(&client, &server.url, &request).await,
        (200, "duplicate".to_owned())
    );
    assert_eq!(server.probe.runs(), 2);
    server.stop().await;
}

async fn a_declared_length_over_the_limit_is_413_before_the_body_is_sent<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let addr = server.addr;
    let status = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        stream
            .write_all(&head(&request, &format!("Content-Length: {HUGE}")))
            .unwrap();
        // A first kibibyte of the announced 10 MiB, and then nothing: the answer must come
        // without the rest.
        stream.write_all(&[b' '; 1024]).unwrap();
        read_status(&mut stream)
    })
    .await
    .unwrap();
    assert_eq!(status, Some(413));
    assert_eq!(server.probe.runs(), 0);
    server.stop().await;
}

async fn ten_mebibytes_with_a_content_length_are_refused_with_413<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let addr = server.addr;
    let (status, written) = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        let head = head(&request, &format!("Content-Length: {HUGE}"));
        let writer = write_in_background(&stream, std::iter::once(head).chain(huge_body()));
        let status = read_status(&mut stream);
        // The server closes a connection whose body it did not read: the writer stops.
        drop(stream);
        (status, writer.join().unwrap())
    })
    .await
    .unwrap();
    assert_eq!(status, Some(413), "after writing {written} bytes");
    assert_eq!(server.probe.runs(), 0);
    server.stop().await;
}

async fn a_chunked_body_is_413_as_soon_as_it_passes_the_limit<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let addr = server.addr;
    let status = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        stream
            .write_all(&head(&request, "Transfer-Encoding: chunked"))
            .unwrap();
        // Twice the limit in 512-byte chunks, with no last chunk: the body never ends, so
        // only stopping at the limit can answer.
        for _ in 0..2 * LIMIT / 512 {
            stream.write_all(&chunk(&[b' '; 512])).unwrap();
        }
        read_status(&mut stream)
    })
    .await
    .unwrap();
    assert_eq!(status, Some(413));
    assert_eq!(server.probe.runs(), 0);
    server.stop().await;
}

async fn ten_mebibytes_chunked_are_refused_with_413<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let addr = server.addr;
    let (status, written) = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        let head = head(&request, "Transfer-Encoding: chunked");
        let body = huge_body().map(|piece| chunk(&piece));
        let parts = std::iter::once(head)
            .chain(body)
            .chain(std::iter::once(LAST_CHUNK.to_vec()));
        let writer = write_in_background(&stream, parts);
        let status = read_status(&mut stream);
        drop(stream);
        (status, writer.join().unwrap())
    })
    .await
    .unwrap();
    assert_eq!(status, Some(413), "after writing {written} bytes");
    assert_eq!(server.probe.runs(), 0);
    server.stop().await;
}

async fn a_valid_body_sent_chunked_is_accepted<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let addr = server.addr;
    let status = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        let mut bytes = head(&request, "Transfer-Encoding: chunked");
        for piece in request.body().chunks(50) {
            bytes.extend(chunk(piece));
        }
        bytes.extend_from_slice(LAST_CHUNK);
        stream.write_all(&bytes).unwrap();
        read_status(&mut stream)
    })
    .await
    .unwrap();
    assert_eq!(status, Some(200));
    assert_eq!(server.probe.runs(), 1);
    server.stop().await;
}

async fn a_body_shorter_than_its_content_length_is_never_accepted_and_never_hangs<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let addr = server.addr;
    let status = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        let declared = request.body().len() + 100;
        stream
            .write_all(&head(&request, &format!("Content-Length: {declared}")))
            .unwrap();
        stream.write_all(request.body()).unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        read_status(&mut stream)
    })
    .await
    .unwrap();
    // The server may answer 400 or close the connection; it must not accept the delivery.
    assert!(matches!(status, None | Some(400)), "{status:?}");
    assert_eq!(server.probe.runs(), 0);
    server.stop().await;
}

/// A client that announces a body, sends half of it and then nothing, keeping the connection
/// open: the extractor gives up after [`BodyTimeout`] with 408 (the sender retries) instead of
/// holding the connection forever, and the retry is processed.
async fn a_body_that_stops_arriving_is_408_and_the_retry_is_processed<S: Sender>() {
    let server = start::<S>().await;
    let request = S::fixture().signed_with(&S::genuine());
    let addr = server.addr;
    let stalled = request.clone();
    let status = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        let body = stalled.body();
        stream
            .write_all(&head(&stalled, &format!("Content-Length: {}", body.len())))
            .unwrap();
        stream.write_all(&body[..body.len() / 2]).unwrap();
        let status = read_status(&mut stream);
        drop(stream);
        status
    })
    .await
    .unwrap();
    assert_eq!(status, Some(408));
    assert_eq!(server.probe.runs(), 0);
    let (status, _) = post(&client(), &server.url, &request).await;
    assert_eq!(status, 200);
    assert_eq!(server.probe.runs(), 1);
    server.stop().await;
}

macro_rules! end_to_end {
    ($($module:ident: $sender:ty),+ $(,)?) => {$(
        mod $module {
            end_to_end!(@tests $sender:
                valid_delivery_is_processed_once_with_its_typed_event,
                concurrent_copies_run_the_handler_exactly_once,
                refused_deliveries_get_their_status_and_never_reach_the_handler,
                a_failed_handler_is_500_and_the_retry_processes_the_event,
                a_declared_length_over_the_limit_is_413_before_the_body_is_sent,
                ten_mebibytes_with_a_content_length_are_refused_with_413,
                a_chunked_body_is_413_as_soon_as_it_passes_the_limit,
                ten_mebibytes_chunked_are_refused_with_413,
                a_valid_body_sent_chunked_is_accepted,
                a_body_shorter_than_its_content_length_is_never_accepted_and_never_hangs,
                a_body_that_stops_arriving_is_408_and_the_retry_is_processed,
            );
        }
    )+};
    (@tests $sender:ty: $($test:ident),+ $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            tokio::time::timeout(super::TEST, super::$test::<$sender>())
                .await
                .expect("the test took too long");
        }
    )+};
}

end_to_end! {
    palenca: webhook_receiver::providers::palenca::Palenca,
    receeve: webhook_receiver::providers::receeve::Receeve,
    munity: webhook_receiver::providers::munity::Munity,
}
