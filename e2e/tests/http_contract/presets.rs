//! The twelve mainstream presets over real HTTP, one table and one body of checks: each
//! preset's genuine delivery (every body kind it takes: Twilio's form and JSON, Slack's Events
//! API JSON, slash command and interactivity form) is sent to a real server of the framework
//! under test, inline (`Webhook::run`) and through an inbox (`InboxWebhook::enqueue` and a
//! worker; memory, PostgreSQL and Redis inboxes); a copy with its signature altered, and
//! deliveries signed over another URL, are refused and never reach the handler; the same
//! delivery again runs it no second time.
//!
//! Where the sender signs a URL, the server is configured with a public URL whose host is not
//! the socket's: Twilio's deliveries go to a path and query of their own, which only verify
//! when the adapter hands the request target to the provider; Square's signature is over the
//! configured URL byte for byte, whatever the request's own URL.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::Digest as _;
use tokio::sync::oneshot;
use webhook_receiver::idempotency::MemoryStore;
use webhook_receiver::inbox::{
    Inbox, MemoryInbox, PostgresInbox, RedisInbox, Worker, WorkerReport,
};
use webhook_receiver::providers::{
    Event, RawJson, discord, github, intercom, linear, paddle, sendgrid, shopify, slack, square,
    stripe, twilio, zoom,
};
use webhook_receiver::testing::{self, SignedRequest, Signer};
use webhook_receiver::{MessageId, Provider, Secret};

use super::common::fresh_name;
use super::{Framework, Recorder, Running, STEP, Server, bounded, send, serve};

/// The event of every preset: the type as the sender names it and the body read on demand.
type Ev = Event<RawJson>;

/// The public URL the URL-signing senders are configured with: not the socket's host.
const PUBLIC: &str = "https://hooks.example.test";

/// One row of the table: a preset with one kind of body.
pub(super) struct Preset {
    name: &'static str,
    /// The request target the genuine delivery is sent to (path and query).
    target: String,
    valid: SignedRequest,
    /// `valid` with one character of its signature changed.
    forged: SignedRequest,
    /// Deliveries the sender never signed for the target each is sent to (401).
    refused: Vec<(String, SignedRequest)>,
    /// What the handler must receive for `valid`.
    id: MessageId,
    kind: String,
    body: Value,
    /// A receiver of the preset (memory store) on the framework the table was made for.
    serve: Box<dyn Fn() -> Server<Ev>>,
    /// An inbox of the preset on the backend given, its receiving side on the framework and a
    /// worker running the handler.
    serve_inbox: Box<dyn Fn(Backend) -> Queued>,
}

/// The rows, each serving on the framework `F`.
struct Table<F> {
    rows: Vec<Preset>,
    framework: PhantomData<F>,
}

impl<F: Framework> Table<F> {
    /// Adds a row sent to `/webhook`, whose handler must see the body as sent.
    fn add<P>(
        &mut self,
        name: &'static str,
        provider: P,
        signature_header: &str,
        valid: SignedRequest,
        (id, kind): (MessageId, &str),
    ) -> &mut Preset
    where
        P: Provider<Event = Ev> + Clone + 'static,
    {
        let body = serde_json::from_slice(valid.body()).unwrap_or(Value::Null);
        let inline = provider.clone();
        self.rows.push(Preset {
            name,
            target: "/webhook".to_owned(),
            forged: forge(&valid, signature_header),
            valid,
            refused: Vec::new(),
            id,
            kind: kind.to_owned(),
            body,
            serve: Box::new(move || serve::<F, _, _>(inline.clone(), MemoryStore::new())),
            serve_inbox: Box::new(move |backend| queue::<F, _>(provider.clone(), backend)),
        });
        self.rows.last_mut().unwrap()
    }
}

impl Preset {
    /// The row sent to `target`.
    fn at(&mut self, target: impl Into<String>) -> &mut Self {
        self.target = target.into();
        self
    }

    /// The row, whose handler must see `body` (a form's fields as JSON).
    fn body(&mut self, body: Value) -> &mut Self {
        self.body = body;
        self
    }

    /// The row, and `request` sent to `target` is refused with 401.
    fn refusing(&mut self, target: impl Into<String>, request: SignedRequest) -> &mut Self {
        self.refused.push((target.into(), request));
        self
    }

    /// Checks that the handler ran once, with the row's id, kind and body.
    fn check(&self, recorder: &Recorder<Ev>) {
        let name = self.name;
        assert_eq!(recorder.started(), 1, "{name}: handler runs");
        let deliveries = recorder.deliveries();
        assert_eq!(deliveries.len(), 1, "{name}: handler runs that succeeded");
        let delivery = &deliveries[0];
        assert_eq!(delivery.id.key(), self.id.key(), "{name}: id");
        assert_eq!(delivery.event.kind, self.kind, "{name}: kind");
        assert_eq!(delivery.event.body.to_value().unwrap(), self.body, "{name}");
    }
}

/// `request` with the first character of the signature in header `name` (after the last
/// `=` that opens a value: `v1=`, `h1=`, `v0=`, `sha256=`; the whole value for base64)
/// changed, within both the hex and the base64 alphabets.
fn forge(request: &SignedRequest, name: &str) -> SignedRequest {
    let value = request.header(name).unwrap();
    let start = value.trim_end_matches('=').rfind('=').map_or(0, |i| i + 1);
    let other = if value[start..].starts_with('0') {
        "1"
    } else {
        "0"
    };
    let forged = format!("{}{other}{}", &value[..start], &value[start + 1..]);
    request.clone().with_header(name, &forged)
}

/// `text` percent-encoded as a form value.
fn form_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn secret(text: &str) -> Secret {
    Secret::new(text).unwrap()
}

/// A header of `request` as the id the sender documents it to be.
fn header_id(provider: &str, request: &SignedRequest, header: &str) -> MessageId {
    MessageId::new(provider, request.header(header).unwrap())
}

/// Every row, serving on `F`.
fn presets<F: Framework>() -> Vec<Preset> {
    let mut t = Table::<F> {
        rows: Vec::new(),
        framework: PhantomData,
    };

    let gh = github::GitHub::new(secret("github-key"));
    let sent = testing::github::sign(&gh, "push", &br#"{"ref":"refs/heads/main"}"#[..]);
    let id = header_id(github::NAME, &sent, github::DELIVERY_HEADER);
    t.add("github", gh, github::SIGNATURE_HEADER, sent, (id, "push"));

    let shop = shopify::Shopify::new(secret("shopify-key"));
    let sent = testing::shopify::sign(&shop, "orders/paid", &br#"{"id":820982911}"#[..]);
    let ([sig, _], [event_id, _]) = (shopify::SIGNATURE_HEADERS, shopify::EVENT_ID_HEADERS);
    let id = header_id(shopify::NAME, &sent, event_id);
    t.add("shopify", shop, sig, sent, (id, "orders/paid"));

    // Linear's signer stamps `webhookTimestamp` (now) into the body.
    let lin = linear::Linear::new(secret("linear-key"));
    let sent = lin.sign(br#"{"action":"create","type":"Issue","data":{"id":"i-1"}}"#);
    let id = header_id(linear::NAME, &sent, linear::DELIVERY_HEADER);
    t.add("linear", lin, linear::SIGNATURE_HEADER, sent, (id, "Issue"));

    // Square signs the URL it was given byte for byte, query included: the request's own URL
    // (127.0.0.1, `/webhook`) plays no part, and the URL without its query does not verify.
    let square_at = |url: &str| square::Square::new(secret("square-key"), url).unwrap();
    let sq = square_at(&format!("{PUBLIC}/sq?tenant=7"));
    let sent = sq.sign(br#"{"type":"payment.updated","event_id":"sq-ev-1","data":{}}"#);
    let unqueried = square_at(&format!("{PUBLIC}/sq")).sign(sent.body());
    let id = (MessageId::new(square::NAME, "sq-ev-1"), "payment.updated");
    t.add("square", sq, square::SIGNATURE_HEADER, sent, id)
        .refusing("/webhook", unqueried);

    // Twilio signs the URL it called: the configured origin with the request's own path and
    // query, which the adapter hands over. Signed for `callId=42`, refused for `callId=43`.
    let twilio_at = |target: &str| {
        let url = format!("{PUBLIC}{target}");
        twilio::Twilio::new(secret("twilio-token"), &url).unwrap()
    };
    let sent = twilio_at("/webhook?callId=42").sign(b"CallSid=CA1&Body=Hi+there%21");
    let id = (
        header_id(twilio::NAME, &sent, twilio::IDEMPOTENCY_HEADER),
        "",
    );
    let (tw, tw_sig) = (twilio_at("/webhook"), twilio::SIGNATURE_HEADER);
    t.add("twilio form", tw.clone(), tw_sig, sent.clone(), id)
        .at("/webhook?callId=42")
        .body(json!({"CallSid": "CA1", "Body": "Hi there!"}))
        .refusing("/webhook?callId=43", sent);

    // A JSON body: Twilio adds `bodySHA256` to the query it signs; the provider checks it
    // against the body, so one over another body is refused even when signed.
    let json = br#"{"CallSid":"CA2","CallStatus":"ringing"}"#;
    let with_digest = |body: &[u8]| {
        let digest = hex::encode(sha2::Sha256::digest(body));
        format!("/webhook?bodySHA256={digest}")
    };
    let (target, other) = (with_digest(json), with_digest(b"{}"));
    let sent = twilio_at(&target).sign(json);
    let id = (
        header_id(twilio::NAME, &sent, twilio::IDEMPOTENCY_HEADER),
        "",
    );
    t.add("twilio json", tw, tw_sig, sent, id)
        .at(&target)
        .refusing(&other, twilio_at(&other).sign(json));

    let ic = intercom::Intercom::new(secret("intercom-key"));
    let sent = ic.sign(br#"{"type":"notification_event","id":"notif_1","topic":"ping"}"#);
    let id = (MessageId::new(intercom::NAME, "notif_1"), "ping");
    t.add("intercom", ic, intercom::SIGNATURE_HEADER, sent, id);

    let st = stripe::Stripe::new(secret("whsec_stripe-key"));
    let sent = st.sign(br#"{"id":"evt_1","object":"event","type":"invoice.paid"}"#);
    let id = (MessageId::new(stripe::NAME, "evt_1"), "invoice.paid");
    t.add("stripe", st, stripe::SIGNATURE_HEADER, sent, id);

    // Slack's three kinds of body: Events API JSON; a slash command, a form whose id is its
    // digest; interactivity, a form whose `payload` is the JSON the handler receives.
    let sl = slack::Slack::new(secret("slack-key"));
    let sl_sig = slack::SIGNATURE_HEADER;
    let sent =
        sl.sign(br#"{"type":"event_callback","event_id":"E1","event":{"type":"app_mention"}}"#);
    let id = (MessageId::new(slack::NAME, "E1"), "app_mention");
    t.add("slack events", sl.clone(), sl_sig, sent, id);
    let sent = sl.sign(b"command=%2Fweather&text=94070&user_id=U1");
    let id = MessageId::digest(slack::NAME, sent.body());
    t.add("slack command", sl.clone(), sl_sig, sent, (id, "/weather"))
        .body(json!({"command": "/weather", "text": "94070", "user_id": "U1"}));
    let payload = json!({"type": "block_actions", "user": {"id": "U1"}, "actions": []});
    let sent = sl.sign(format!("payload={}", form_value(&payload.to_string())).as_bytes());
    let id = (MessageId::digest(slack::NAME, sent.body()), "block_actions");
    t.add("slack interactivity", sl, sl_sig, sent, id)
        .body(payload);

    let pd = paddle::Paddle::new(secret("paddle-key"));
    let sent = pd.sign(br#"{"event_id":"evt_pd1","event_type":"transaction.paid","data":{}}"#);
    let id = (MessageId::new(paddle::NAME, "evt_pd1"), "transaction.paid");
    t.add("paddle", pd, paddle::SIGNATURE_HEADER, sent, id);

    let zm = zoom::Zoom::new(secret("zoom-key"));
    let sent = zm.sign(br#"{"event":"meeting.started","event_ts":1,"payload":{}}"#);
    let id = (
        MessageId::digest(zoom::NAME, sent.body()),
        "meeting.started",
    );
    t.add("zoom", zm, zoom::SIGNATURE_HEADER, sent, id);

    // The public-key presets: the receiver holds the public key, a key signer signs.
    let signer = testing::discord::KeySigner::from_seed([7; 32]);
    let dc = discord::Discord::new(&signer.public_key_hex()).unwrap();
    let sent = signer.sign(br#"{"id":"1100","type":2,"data":{"name":"ping"}}"#);
    let id = (MessageId::new(discord::NAME, "1100"), "APPLICATION_COMMAND");
    t.add("discord", dc, discord::SIGNATURE_HEADER, sent, id);

    let pem = include_str!("../../../tests/fixtures/keys/ec-private.pem");
    let key = webhook_receiver::verify::PrivateKey::from_pem(pem).unwrap();
    let signer = testing::sendgrid::KeySigner::new(key);
    let sg = sendgrid::SendGrid::new(&signer.public_key_base64()).unwrap();
    let sent = signer.sign(br#"[{"email":"a@example.test","event":"delivered"}]"#);
    let id = MessageId::digest(sendgrid::NAME, sent.body());
    t.add("sendgrid", sg, sendgrid::SIGNATURE_HEADER, sent, (id, ""));

    t.rows
}

/// Where an inbox keeps its deliveries: each row's backend is its own (a memory inbox, a
/// fresh table, a fresh key prefix), so rows that share a provider never take each other's.
pub(super) enum Backend {
    Memory,
    Postgres(Box<PostgresInbox>),
    Redis(Box<RedisInbox>),
}

impl Backend {
    fn inbox<P: Provider + 'static>(self, provider: P) -> Inbox<P> {
        match self {
            Backend::Memory => Inbox::builder(provider, MemoryInbox::new()).build(),
            Backend::Postgres(backend) => Inbox::builder(provider, *backend).build(),
            Backend::Redis(backend) => Inbox::builder(provider, *backend).build(),
        }
    }
}

/// A `PostgresInbox` on a fresh table, on the PostgreSQL `scripts/services.sh` starts.
async fn postgres() -> Backend {
    let database = std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES").unwrap_or_else(|_| {
        "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".to_owned()
    });
    let table = format!("presets_{}", fresh_name());
    let backend = PostgresInbox::connect_with_table(&database, &table).await;
    Backend::Postgres(Box::new(
        backend.expect("PostgreSQL from scripts/services.sh"),
    ))
}

/// A `RedisInbox` under a fresh key prefix, on the Redis `scripts/services.sh` starts.
async fn redis() -> Backend {
    let url = std::env::var("WEBHOOK_RECEIVER_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let backend = RedisInbox::connect(&url).await;
    let prefix = format!("wr-presets:{}:", fresh_name());
    let backend = backend.expect("Redis from scripts/services.sh");
    Backend::Redis(Box::new(backend.with_prefix(prefix)))
}

/// An inbox's receiving side served on a framework, and the worker taking from it.
pub(super) struct Queued {
    running: Running,
    recorder: Arc<Recorder<Ev>>,
    stop: oneshot::Sender<()>,
    worker: tokio::task::JoinHandle<WorkerReport>,
}

fn queue<F: Framework, P>(provider: P, backend: Backend) -> Queued
where
    P: Provider<Event = Ev> + Clone + 'static,
{
    let inbox = backend.inbox(provider);
    let recorder = Arc::new(Recorder::new());
    let running = F::serve_inbox(inbox.clone());
    let worker = Worker::builder(inbox).concurrency(2).build();
    let (stop, stopped) = oneshot::channel::<()>();
    let handler = {
        let recorder = Arc::clone(&recorder);
        move |delivery| super::handle(Arc::clone(&recorder), delivery)
    };
    let worker = tokio::spawn(async move {
        worker
            .run(handler, async {
                let _ = stopped.await;
            })
            .await
    });
    Queued {
        running,
        recorder,
        stop,
        worker,
    }
}

/// Sends `request` to `target` on `addr`, expecting `status` and `text`.
async fn expect(
    row: &Preset,
    addr: std::net::SocketAddr,
    target: &str,
    request: &SignedRequest,
    answer: (u16, &str),
) {
    let got = send(&format!("http://{addr}{target}"), request).await;
    assert_eq!(
        (got.status, got.body.as_str()),
        answer,
        "{}: {target}",
        row.name
    );
}

/// Every preset's delivery, inline: the forged and the unsigned-for URLs are 401 without a
/// handler run, the genuine one is processed with its id, kind and body, and its copy is a
/// duplicate that does not run the handler again.
pub async fn every_preset_is_verified_and_processed_once<F: Framework>() {
    bounded(async {
        for row in presets::<F>() {
            let server = (row.serve)();
            let addr = server.addr();
            expect(&row, addr, &row.target, &row.forged, (401, "unauthorized")).await;
            for (target, request) in &row.refused {
                expect(&row, addr, target, request, (401, "unauthorized")).await;
            }
            assert_eq!(server.started(), 0, "{}: a refused delivery ran", row.name);
            expect(&row, addr, &row.target, &row.valid, (200, "processed")).await;
            expect(&row, addr, &row.target, &row.valid, (200, "duplicate")).await;
            row.check(&server.recorder);
        }
    })
    .await;
}

/// Every preset's delivery through an inbox over HTTP, each row on a backend of its own that
/// `fresh` makes: refused as inline, the genuine one accepted, its copy a duplicate, before and
/// after the worker runs the handler once with the id, kind and body the inline path gives.
/// The workers are stopped together at the end (a stop waits for a take to look again).
async fn through_inboxes<F: Framework, B: Future<Output = Backend>>(fresh: impl Fn() -> B) {
    let mut done = Vec::new();
    for row in presets::<F>() {
        let queued = (row.serve_inbox)(fresh().await);
        let addr = queued.running.addr;
        expect(&row, addr, &row.target, &row.forged, (401, "unauthorized")).await;
        for (target, request) in &row.refused {
            expect(&row, addr, target, request, (401, "unauthorized")).await;
        }
        expect(&row, addr, &row.target, &row.valid, (200, "accepted")).await;
        expect(&row, addr, &row.target, &row.valid, (200, "duplicate")).await;
        let deadline = tokio::time::Instant::now() + STEP;
        while queued.recorder.runs() == 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        expect(&row, addr, &row.target, &row.valid, (200, "duplicate")).await;
        row.check(&queued.recorder);
        queued.stop.send(()).unwrap();
        done.push((row.name, queued.worker, queued.running));
    }
    for (name, worker, _running) in done {
        let report = worker.await.unwrap();
        assert_eq!(report.completed, 1, "{name}: {report:?}");
    }
}

/// [`through_inboxes`] on memory inboxes.
pub async fn every_preset_through_the_memory_inbox<F: Framework>() {
    bounded(through_inboxes::<F, _>(|| async { Backend::Memory })).await;
}

/// [`through_inboxes`] on `PostgresInbox`es.
pub async fn every_preset_through_the_postgres_inbox<F: Framework>() {
    bounded(through_inboxes::<F, _>(postgres)).await;
}

/// [`through_inboxes`] on `RedisInbox`es.
pub async fn every_preset_through_the_redis_inbox<F: Framework>() {
    bounded(through_inboxes::<F, _>(redis)).await;
}
