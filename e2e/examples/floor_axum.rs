//! The floor of `scripts/load_axum.sh` (`FLOOR=1`): the routes and server of `bare_axum`, but
//! with handlers that do by hand the security work `axum_receiver` has the crate do, as a
//! careful person would write it without the crate. What `axum_receiver` achieves as a share of
//! this is the cost of the crate itself, judged against the work rather than against a route
//! that does nothing.
//!
//! **Not an example to copy.** It does only what the load scenarios exercise, and lacks what the
//! crate adds: replay windows, base64 signatures and key rotation, the comparison of a `payload`
//! that differs from the signed text only in layout, typed events, lenient ids (numbers read as
//! strings), leases and retention (a claim here is held until it completes, records are never
//! forgotten but by eviction), shared stores, metrics and `webhook.receive` spans.
//!
//! | route | work per request |
//! |---|---|
//! | `POST /webhooks/receeve` | the envelope read with `serde_json` (borrowing), the hex signature checked with HMAC-SHA256 of `payloadAsString` (`verify_slice`), the unsigned `payload` compared with the signed text, the message parsed from the signed text (RFC 3339 timestamp, `details` kept as a map), processed once per `messageId` |
//! | `POST /webhooks/munity` | `X-Munity-Token` compared in constant time, the envelope parsed, processed once per SHA-256 of the body |
//!
//! Ids are recorded in an in-memory store of 64 shards (each a `Mutex<HashMap>`), 100,000
//! records in all as the crate's `MemoryStore` by default, a full shard evicting its oldest
//! completed record. A new id answers `200 processed` after its handler ran (which logs at
//! `INFO`, as the example's handlers do), a completed one `200 duplicate`, one being processed
//! `409`.
//!
//! ```text
//! PORT=3002 RECEEVE_SECRET=receeve-example-secret MUNITY_TOKEN=munity-example-token \
//!   RUST_LOG=warn cargo run --release -p webhook-receiver-e2e --example floor_axum
//! ```
//!
//! Listens on 127.0.0.1, port `PORT` (default 3002); `RUST_LOG` as for `axum_receiver`
//! (default `info`). A missing or blank `RECEEVE_SECRET` or `MUNITY_TOKEN` stops it at start-up
//! with exit code 2.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use tracing::{info, warn};

const DEFAULT_PORT: u16 = 3002;
/// The header name agreed with Munity (as in `axum_receiver`).
const MUNITY_TOKEN_HEADER: &str = "x-munity-token";
/// Records held at most, over all shards: the crate's `MemoryStore` default.
const CAPACITY: usize = 100_000;
const SHARDS: usize = 64;

/// Why a handler could not process an event: the sender gets a 500 and retries.
type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// What the routes share, built once at start-up.
struct Floor {
    /// The receeve key, its HMAC key schedule computed once; cloned per request.
    receeve_key: Hmac<Sha256>,
    munity_token: Box<[u8]>,
    store: Store,
}

// ---------------------------------------------------------------------------------------------
// receeve

/// A receeve delivery's body: the unsigned `payload` as written, the signature, and the signed
/// text (borrowed from the body unless it holds escapes, as `payloadAsString` always does).
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "borrowed_text")]
    signature: Option<Cow<'a, str>>,
    #[serde(
        rename = "payloadAsString",
        borrow,
        default,
        deserialize_with = "borrowed_text"
    )]
    payload_as_string: Option<Cow<'a, str>>,
}

/// An optional string, borrowed from the body where it has no escapes (serde borrows a `Cow`
/// only as a field of its own, not inside an `Option`).
fn borrowed_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'de>>::deserialize(d)?.map(|Text(text)| text))
}

/// The signed message: what the handler needs, `details` kept whole as the crate keeps the
/// fields of a message type it does not type.
#[derive(Deserialize)]
struct Message {
    #[serde(rename = "messageId")]
    message_id: String,
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
    #[serde(default)]
    user: Option<User>,
    details: serde_json::Map<String, serde_json::Value>,
}

/// Who triggered a receeve event.
#[derive(Deserialize)]
#[allow(dead_code)] // read as the crate reads it; the handler does not look
struct User {
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "poolId", default)]
    pool_id: Option<String>,
    #[serde(default)]
    originator: Option<String>,
}

/// The receeve route: authenticate, parse, process once.
async fn receeve_webhook(State(floor): State<Arc<Floor>>, body: Bytes) -> Response {
    let message = match verify_receeve(&floor.receeve_key, &body) {
        Ok(message) => message,
        Err(refusal) => return refusal.into_response(),
    };
    let key = format!("receeve:{}", message.message_id);
    floor.process_once(key, on_receeve(&message)).await
}

/// The signed message of a genuine delivery, or the refusal to answer.
fn verify_receeve(key: &Hmac<Sha256>, body: &[u8]) -> Result<Message, Refusal> {
    let envelope: Envelope<'_> =
        serde_json::from_slice(body).map_err(|_| Refusal::BAD_REQUEST("malformed envelope"))?;
    let (Some(signed), Some(signature)) = (&envelope.payload_as_string, &envelope.signature) else {
        return Err(Refusal::UNAUTHORIZED("missing signature or signed text"));
    };
    let mut tag = [0u8; 32];
    hex::decode_to_slice(signature.as_bytes(), &mut tag)
        .map_err(|_| Refusal::UNAUTHORIZED("signature is not 64 hex digits"))?;
    let mut mac = key.clone();
    mac.update(signed.as_bytes());
    mac.verify_slice(&tag)
        .map_err(|_| Refusal::UNAUTHORIZED("wrong signature"))?;
    // The unsigned copy must say what was signed: the same text, white space around it aside
    // (`RawValue` drops it). The crate also accepts the same JSON laid out differently.
    let trimmed = signed.trim_matches([' ', '\t', '\n', '\r']);
    if envelope
        .payload
        .is_some_and(|payload| payload.get() != trimmed)
    {
        return Err(Refusal::BAD_REQUEST("payload differs from the signed text"));
    }
    serde_json::from_str(signed).map_err(|_| Refusal::UNPROCESSABLE("unexpected message"))
}

/// The receeve handler: what `axum_receiver`'s logs.
async fn on_receeve(message: &Message) -> Result<(), HandlerError> {
    let kind = message
        .details
        .get("messageType")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    info!(id = %message.message_id, message_type = %kind, "receeve message");
    std::hint::black_box((&message.timestamp, &message.user));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Munity

/// The fields of a Munity envelope; the event's payload kept as raw JSON.
#[derive(Deserialize)]
#[allow(dead_code)] // read as the crate reads it; the handler does not look at every field
struct MunityWebhook {
    workspace_id: String,
    #[serde(default)]
    customer_id: Option<String>,
    event: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    payload: Option<Box<RawValue>>,
}

/// The Munity route: authenticate, parse, process once per body.
async fn munity_webhook(
    State(floor): State<Arc<Floor>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = headers
        .get(MUNITY_TOKEN_HEADER)
        .map(|value| value.as_bytes())
        .unwrap_or_default();
    // Constant time for tokens of the configured length (the length itself may show).
    if !bool::from(token.ct_eq(&floor.munity_token)) {
        return Refusal::UNAUTHORIZED("wrong or missing token").into_response();
    }
    let webhook: MunityWebhook = match serde_json::from_slice(&body) {
        Ok(webhook) => webhook,
        Err(err) if err.is_data() => {
            return Refusal::UNPROCESSABLE("unexpected envelope").into_response();
        }
        Err(_) => return Refusal::BAD_REQUEST("malformed JSON").into_response(),
    };
    // Munity sends no id: identical retries share the body's digest.
    let mut digest = [0u8; 64];
    if hex::encode_to_slice(Sha256::digest(&body), &mut digest).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let id = String::from_utf8_lossy(&digest);
    let key = format!("munity:{id}");
    floor.process_once(key, on_munity(&id, &webhook)).await
}

/// The Munity handler: what `axum_receiver`'s logs.
async fn on_munity(id: &str, webhook: &MunityWebhook) -> Result<(), HandlerError> {
    info!(
        id = %id,
        event = webhook.event,
        workspace = %webhook.workspace_id,
        "munity event"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Answers

/// A refused request: its status, and the reason logged (never sent).
struct Refusal {
    status: StatusCode,
    reason: &'static str,
}

#[allow(non_snake_case)] // read like the status codes they stand for
impl Refusal {
    fn BAD_REQUEST(reason: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            reason,
        }
    }
    fn UNAUTHORIZED(reason: &'static str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            reason,
        }
    }
    fn UNPROCESSABLE(reason: &'static str) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            reason,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        warn!(
            status = self.status.as_u16(),
            reason = self.reason,
            "request refused"
        );
        let text = self.status.canonical_reason().unwrap_or("refused");
        (self.status, text).into_response()
    }
}

impl Floor {
    /// Runs `handler` unless `key` was processed already or is being processed now.
    async fn process_once(
        &self,
        key: String,
        handler: impl Future<Output = Result<(), HandlerError>>,
    ) -> Response {
        match self.store.claim(&key) {
            Claim::New => {}
            Claim::Completed => return (StatusCode::OK, "duplicate").into_response(),
            Claim::InProgress => {
                return (
                    StatusCode::CONFLICT,
                    [(header::RETRY_AFTER, "1")],
                    "in progress",
                )
                    .into_response();
            }
            Claim::Full => {
                warn!("every record of the id's shard is in progress");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "1")],
                    "busy",
                )
                    .into_response();
            }
        }
        match handler.await {
            Ok(()) => {
                self.store.complete(key);
                (StatusCode::OK, "processed").into_response()
            }
            Err(error) => {
                // Forgotten, so that the sender's retry runs the handler again.
                self.store.release(&key);
                warn!(%error, "handler failed; the sender will retry");
                (StatusCode::INTERNAL_SERVER_ERROR, "handler failed").into_response()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The store

/// Ids seen, over [`SHARDS`] shards picked by the key's hash, each locked only for a few map
/// operations (never across an await).
struct Store {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
}

#[derive(Default)]
struct Shard {
    records: HashMap<String, Record>,
    /// The completed records' keys, oldest first: the order in which a full shard evicts.
    completed: VecDeque<String>,
}

#[derive(Clone, Copy)]
enum Record {
    InProgress,
    Completed,
}

/// What a claim found.
enum Claim {
    /// A new id, now in progress: run the handler, then complete it.
    New,
    Completed,
    InProgress,
    /// The shard is full of records in progress.
    Full,
}

impl Store {
    const SHARD_CAPACITY: usize = CAPACITY / SHARDS;

    fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, key: &str) -> MutexGuard<'_, Shard> {
        let index = self.hasher.hash_one(key) as usize % self.shards.len();
        // The remainder keeps the index in bounds. No holder leaves a shard half-changed, so
        // a lock poisoned by a panic elsewhere is used as it is.
        #[allow(clippy::indexing_slicing)]
        let shard = &self.shards[index];
        shard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn claim(&self, key: &str) -> Claim {
        let mut shard = self.shard(key);
        match shard.records.get(key) {
            Some(Record::Completed) => return Claim::Completed,
            Some(Record::InProgress) => return Claim::InProgress,
            None => {}
        }
        if shard.records.len() >= Self::SHARD_CAPACITY {
            let Some(oldest) = shard.completed.pop_front() else {
                return Claim::Full;
            };
            shard.records.remove(&oldest);
        }
        shard.records.insert(key.to_owned(), Record::InProgress);
        Claim::New
    }

    fn complete(&self, key: String) {
        let mut shard = self.shard(&key);
        if let Some(record) = shard.records.get_mut(&key) {
            *record = Record::Completed;
            shard.completed.push_back(key);
        }
    }

    fn release(&self, key: &str) {
        let mut shard = self.shard(key);
        if let Some(Record::InProgress) = shard.records.get(key) {
            shard.records.remove(key);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Start-up

/// The variable's value, or a message naming it when it is unset or blank.
fn env_secret(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| format!("set {name} (the secret agreed with the sender)"))
}

fn configure() -> Result<(Floor, u16), String> {
    let receeve = env_secret("RECEEVE_SECRET")?;
    let munity = env_secret("MUNITY_TOKEN")?;
    let port = webhook_receiver_e2e::env_or("PORT", DEFAULT_PORT, "a port number")?;
    let receeve_key = Hmac::<Sha256>::new_from_slice(receeve.as_bytes())
        .map_err(|err| format!("RECEEVE_SECRET: {err}"))?;
    let floor = Floor {
        receeve_key,
        munity_token: munity.into_bytes().into_boxed_slice(),
        store: Store::new(),
    };
    Ok((floor, port))
}

#[tokio::main]
async fn main() -> ExitCode {
    webhook_receiver_e2e::log_from_env();
    let (floor, port) = match configure() {
        Ok(configured) => configured,
        Err(message) => {
            eprintln!("floor_axum: {message}");
            return ExitCode::from(2);
        }
    };
    let app = Router::new()
        .route("/webhooks/receeve", post(receeve_webhook))
        .route("/webhooks/munity", post(munity_webhook))
        .with_state(Arc::new(floor))
        .layer(webhook_receiver_e2e::request_spans());
    webhook_receiver_e2e::serve_baseline("floor_axum", port, app).await
}
