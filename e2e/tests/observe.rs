//! The crate's spans, events and metrics (features `tracing` and `metrics`, on through this
//! package's `observe` feature): each test installs, for its own thread only, a recording
//! metrics recorder (metrics-util's `DebuggingRecorder`) and a subscriber that keeps every
//! span and event, runs deliveries on a current-thread runtime, and asserts the exact names
//! and labels. Everything captured is then scanned for the secrets, the signatures, the
//! token and a marker in the bodies: none may appear.
#![cfg(feature = "observe")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use webhook_receiver::idempotency::MemoryStore;
use webhook_receiver::idempotency::{Claim, IdempotencyStore, Lease, StoreError};
use webhook_receiver::inbox::{Inbox, MemoryInbox, RetryPolicy, Worker};
use webhook_receiver::observe::{metric, span};
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::standard::StandardWebhooks;
use webhook_receiver::testing::standard::sign;
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{MessageId, Received, Receiver, Secret};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOKEN: &str = "munity-t0ken-never-logged";
/// In every body: never in what is logged.
const MARKER: &str = "s3cr3t-body-marker";

// ---------------------------------------------------------------------------------------
// Capture

/// A span when it closed, or an event, with every field as text.
#[derive(Debug, Clone)]
enum Captured {
    Span {
        name: String,
        fields: BTreeMap<String, String>,
    },
    Event {
        level: tracing::Level,
        target: String,
        fields: BTreeMap<String, String>,
        /// The names of the spans it happened in, innermost first.
        scope: Vec<String>,
    },
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields(BTreeMap::new());
        attrs.record(&mut fields);
        ctx.span(id).unwrap().extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let mut extensions = span.extensions_mut();
        values.record(extensions.get_mut::<Fields>().unwrap());
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        let scope = ctx
            .event_scope(event)
            .map(|scope| scope.map(|span| span.name().to_owned()).collect())
            .unwrap_or_default();
        self.0.lock().unwrap().push(Captured::Event {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields: fields.0,
            scope,
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).unwrap();
        let fields = span.extensions().get::<Fields>().unwrap().0.clone();
        self.0.lock().unwrap().push(Captured::Span {
            name: span.name().to_owned(),
            fields,
        });
    }
}

/// One metric series: its name, its labels (sorted) and its value.
type Series = (String, Vec<(String, String)>, DebugValue);

/// What one test observed.
struct Observed {
    metrics: Vec<Series>,
    captured: Vec<Captured>,
}

/// Runs `test` on a current-thread runtime with the recorder and the subscriber installed
/// for this thread only.
fn observe(test: impl AsyncFnOnce()) -> Observed {
    let recorder = DebuggingRecorder::new();
    let snapshotter: Snapshotter = recorder.snapshotter();
    let capture = Capture::default();
    {
        let _metrics = metrics::set_default_local_recorder(&recorder);
        let _tracing =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(test());
    }
    let metrics = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            (key.name().to_owned(), labels, value)
        })
        .collect();
    let captured = capture.0.lock().unwrap().clone();
    Observed { metrics, captured }
}

impl Observed {
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        let mut wanted: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        wanted.sort();
        self.metrics
            .iter()
            .find(|(n, l, _)| n == name && *l == wanted)
            .map(|(_, _, value)| value)
    }

    /// A counter's value (0 when it was never registered).
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.value(name, labels) {
            Some(DebugValue::Counter(n)) => *n,
            None => 0,
            Some(other) => panic!("{name} is not a counter: {other:?}"),
        }
    }

    /// How many values a histogram received.
    fn samples(&self, name: &str, labels: &[(&str, &str)]) -> usize {
        match self.value(name, labels) {
            Some(DebugValue::Histogram(values)) => values.len(),
            None => 0,
            Some(other) => panic!("{name} is not a histogram: {other:?}"),
        }
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        match self.value(name, labels) {
            Some(DebugValue::Gauge(value)) => Some(value.into_inner()),
            None => None,
            Some(other) => panic!("{name} is not a gauge: {other:?}"),
        }
    }

    /// Every series of `name`, as `label=value,...` strings (for failure messages and for
    /// checking that no other label set appeared).
    fn series(&self, name: &str) -> Vec<String> {
        self.metrics
            .iter()
            .filter(|(n, _, _)| n == name)
            .map(|(_, labels, value)| {
                let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{} {value:?}", labels.join(","))
            })
            .collect()
    }

    fn spans(&self, name: &str) -> Vec<&BTreeMap<String, String>> {
        self.captured
            .iter()
            .filter_map(|c| match c {
                Captured::Span { name: n, fields } if n == name => Some(fields),
                _ => None,
            })
            .collect()
    }

    /// The receive or process span of message `id` that ended with `outcome`.
    fn span_of(&self, name: &str, id: &str, outcome: &str) -> &BTreeMap<String, String> {
        let spans = self.spans(name);
        spans
            .iter()
            .copied()
            .find(|f| {
                f.get(span::MESSAGE_ID).map(String::as_str) == Some(id)
                    && f.get(span::OUTCOME).map(String::as_str) == Some(outcome)
            })
            .unwrap_or_else(|| panic!("no {name} span of {id} with outcome {outcome}: {spans:#?}"))
    }

    fn events(
        &self,
        level: tracing::Level,
        message: &str,
    ) -> Vec<(&BTreeMap<String, String>, &[String])> {
        self.captured
            .iter()
            .filter_map(|c| match c {
                Captured::Event {
                    level: l,
                    target,
                    fields,
                    scope,
                } if *l == level
                    && target == "webhook_receiver"
                    && fields.get("message").is_some_and(|m| m.contains(message)) =>
                {
                    Some((fields, scope.as_slice()))
                }
                _ => None,
            })
            .collect()
    }

    /// No secret, signature, token or body bytes in anything captured.
    fn assert_nothing_secret(&self, secrets: &[&str]) {
        let text = format!("{:?}", self.captured);
        for secret in secrets.iter().chain([&MARKER]) {
            assert!(!secret.is_empty());
            assert!(
                !text.contains(secret),
                "`{secret}` appears in what was logged: {text}"
            );
        }
    }
}

fn fields<'a>(
    pairs: &'a BTreeMap<String, String>,
    names: &[&str],
) -> Vec<(&'a str, Option<&'a str>)> {
    names
        .iter()
        .map(|name| {
            let key = pairs.get_key_value(*name).map(|(k, _)| k.as_str());
            (key.unwrap_or(""), pairs.get(*name).map(String::as_str))
        })
        .collect()
}

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn standard() -> StandardWebhooks {
    StandardWebhooks::from_whsec(SECRET).unwrap()
}

fn body(n: u32) -> Vec<u8> {
    format!(r#"{{"type":"user.created","n":{n},"note":"{MARKER}"}}"#).into_bytes()
}

fn munity_body(state: &str) -> Vec<u8> {
    format!(
        r#"{{"workspace_id":"w","event":"webhook_test","state":"{state}","payload":{{"test":true,"note":"{MARKER}"}}}}"#
    )
    .into_bytes()
}

fn munity() -> Munity {
    Munity::new(TokenScheme::new("x-munity-token", Secret::new(TOKEN).unwrap()).unwrap())
}

/// A `MemoryStore` under a name of its own (not in-process, so its calls are timed) that
/// fails the calls it is told to, as a store that cannot be reached.
struct TestStore {
    inner: MemoryStore,
    name: &'static str,
    fail_claims: bool,
    fail_completions: bool,
}

impl TestStore {
    fn named(name: &'static str) -> Self {
        Self {
            inner: MemoryStore::new(),
            name,
            fail_claims: false,
            fail_completions: false,
        }
    }

    fn unreachable() -> Self {
        Self {
            fail_claims: true,
            fail_completions: true,
            ..Self::named("unreachable")
        }
    }

    fn forgetful() -> Self {
        Self {
            fail_completions: true,
            ..Self::named("forgetful")
        }
    }
}

fn refused() -> StoreError {
    StoreError::Unavailable("connection refused".to_owned())
}

// Not part of the API: the crate's own tests may stand in for a store (see `__private`).
impl webhook_receiver::__private::Sealed for TestStore {}

impl IdempotencyStore for TestStore {
    async fn claim_with_digest(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        if self.fail_claims {
            return Err(refused());
        }
        self.inner.claim_with_digest(id, digest, lease).await
    }

    async fn complete(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        if self.fail_completions {
            return Err(refused());
        }
        self.inner.complete(lease, retention).await
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.inner.release(lease).await
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

// ---------------------------------------------------------------------------------------
// The inline receiver

#[test]
fn the_receiver_counts_and_spans_every_outcome_and_rejection() {
    let provider = standard();
    let mut signatures = Vec::new();
    let observed = observe(async || {
        let receiver = Receiver::builder(standard().with_body_limit(4096))
            .store(TestStore::named("wrapped"))
            .build();
        let ok = |_delivery| async { Ok::<_, &str>(()) };

        // Processed, then its duplicate.
        let first = sign(&provider, "msg_1", now(), body(1));
        signatures.push(first.header("webhook-signature").unwrap().to_owned());
        let r = receiver.receive(first.headers(), first.body(), ok).await;
        assert_eq!(r.response().status(), 200);
        let r = receiver.receive(first.headers(), first.body(), ok).await;
        assert!(
            matches!(
                r,
                Received::Processed(_)
                    | Received::ProcessedUnrecorded { .. }
                    | Received::Duplicate
                    | Received::InProgress { .. }
                    | Received::Conflict
                    | Received::HandlerFailed { .. }
                    | Received::StoreFailed(_)
            ) && !r.ran_handler()
        );

        // In progress: the second copy comes while the first one's handler waits.
        let second = sign(&provider, "msg_2", now(), body(2));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let held = receiver.receive(second.headers(), second.body(), |_delivery| async {
            released.await.unwrap();
            Ok::<_, &str>(())
        });
        let copy = async {
            let answer = receiver.receive(second.headers(), second.body(), ok).await;
            release.send(()).unwrap();
            answer
        };
        let (held, copy) = tokio::join!(held, copy);
        assert_eq!(
            (held.response().status(), copy.response().status()),
            (200, 409)
        );

        // The handler fails.
        let third = sign(&provider, "msg_3", now(), body(3));
        let r = receiver
            .receive(third.headers(), third.body(), |_delivery| async {
                Err::<(), _>("the database said no")
            })
            .await;
        assert_eq!(r.response().status(), 500);

        // Rejections, one of each class.
        let tampered = first.clone().with_body(body(99));
        let unsigned = first.clone().without_header("webhook-signature");
        let stale = sign(&provider, "msg_4", now() - 3600, body(4));
        let not_json = sign(&provider, "msg_5", now(), format!("{{\"{MARKER}\""));
        let too_large = sign(&provider, "msg_6", now(), vec![b' '; 5000]);
        for (request, status) in [
            (&tampered, 401),
            (&unsigned, 401),
            (&stale, 401),
            (&not_json, 400),
            (&too_large, 413),
        ] {
            let r = receiver
                .receive(request.headers(), request.body(), ok)
                .await;
            assert_eq!(r.response().status(), status, "{r:?}");
        }
        for request in [&second, &third, &stale, &not_json] {
            signatures.push(request.header("webhook-signature").unwrap().to_owned());
        }
    });

    let deliveries = |outcome| {
        observed.counter(
            metric::DELIVERIES,
            &[("provider", "standard"), ("outcome", outcome)],
        )
    };
    assert_eq!(
        [
            deliveries("processed"),
            deliveries("duplicate"),
            deliveries("in_progress"),
            deliveries("handler_failed"),
            deliveries("rejected"),
            deliveries("store_failed"),
        ],
        [2, 1, 1, 1, 5, 0],
        "{:#?}",
        observed.series(metric::DELIVERIES)
    );
    for reason in [
        "invalid_signature",
        "missing_signature",
        "timestamp_out_of_tolerance",
        "malformed_payload",
        "body_too_large",
    ] {
        assert_eq!(
            observed.counter(
                metric::REJECTIONS,
                &[("provider", "standard"), ("reason", reason)]
            ),
            1,
            "{reason}: {:#?}",
            observed.series(metric::REJECTIONS)
        );
    }
    assert_eq!(observed.series(metric::REJECTIONS).len(), 5);
    let handler = |result| {
        observed.samples(
            metric::HANDLER_DURATION,
            &[("provider", "standard"), ("result", result)],
        )
    };
    assert_eq!((handler("ok"), handler("error")), (2, 1));
    let op = |operation| {
        observed.samples(
            metric::STORE_DURATION,
            &[("store", "wrapped"), ("operation", operation)],
        )
    };
    assert_eq!((op("claim"), op("complete"), op("release")), (5, 2, 1));
    assert!(observed.series(metric::STORE_ERRORS).is_empty());

    // One span per delivery, with its fields.
    let spans = observed.spans(span::RECEIVE);
    assert_eq!(spans.len(), 10, "{spans:#?}");
    assert!(spans.iter().all(
        |f| f.get(span::PROVIDER).map(String::as_str) == Some("standard")
            && f.get(span::OPERATION).map(String::as_str) == Some("receive")
    ));
    let processed = observed.span_of(span::RECEIVE, "msg_1", "processed");
    assert_eq!(processed.get(span::STATUS).map(String::as_str), Some("200"));
    for phase in [
        "webhook.verify_us",
        "webhook.parse_us",
        "webhook.claim_us",
        "webhook.handler_us",
        "webhook.complete_us",
    ] {
        assert!(processed.contains_key(phase), "{phase}: {processed:#?}");
    }
    assert!(!processed.contains_key(span::ERROR_TYPE));
    let duplicate = observed.span_of(span::RECEIVE, "msg_1", "duplicate");
    assert!(!duplicate.contains_key("webhook.handler_us"));
    observed.span_of(span::RECEIVE, "msg_2", "in_progress");
    let failed = observed.span_of(span::RECEIVE, "msg_3", "handler_failed");
    assert_eq!(
        fields(
            failed,
            &[span::STATUS, span::ERROR_TYPE, "otel.status_code"]
        ),
        [
            (span::STATUS, Some("500")),
            (span::ERROR_TYPE, Some("handler")),
            ("otel.status_code", Some("ERROR"))
        ]
    );
    let rejected: Vec<_> = spans
        .iter()
        .filter(|f| f.get(span::OUTCOME).map(String::as_str) == Some("rejected"))
        .map(|f| {
            (
                f.get(span::ERROR_TYPE).cloned().unwrap_or_default(),
                f.get(span::STATUS).cloned().unwrap_or_default(),
                f.contains_key("otel.status_code"),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            ("invalid_signature".to_owned(), "401".to_owned(), false),
            ("missing_signature".to_owned(), "401".to_owned(), false),
            (
                "timestamp_out_of_tolerance".to_owned(),
                "401".to_owned(),
                false
            ),
            ("malformed_payload".to_owned(), "400".to_owned(), false),
            ("body_too_large".to_owned(), "413".to_owned(), false),
        ]
    );

    // The reasons are logged at INFO, inside the delivery's span; the failure at WARN.
    let rejections = observed.events(tracing::Level::INFO, "webhook rejected");
    assert_eq!(rejections.len(), 5);
    for (fields, scope) in &rejections {
        assert_eq!(scope.first().map(String::as_str), Some(span::RECEIVE));
        assert_eq!(fields.get("provider").map(String::as_str), Some("standard"));
        assert!(fields.contains_key("reason") && fields.contains_key("detail"));
    }
    // The handler's own words reach the warning (its `Display`), so a failure is not
    // invisible in the logs.
    let failures = observed.events(tracing::Level::WARN, "webhook handler failed");
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].0.get("error").map(String::as_str),
        Some("the database said no")
    );

    let mut secrets = vec![SECRET, SECRET.trim_start_matches("whsec_")];
    secrets.extend(signatures.iter().map(String::as_str));
    for signature in &signatures {
        // The base64 of the HMAC alone, without `v1,`.
        secrets.push(signature.trim_start_matches("v1,"));
    }
    observed.assert_nothing_secret(&secrets);
}

#[test]
fn a_store_failure_is_counted_by_store_operation_and_error_and_logged_at_error() {
    let observed = observe(async || {
        let receiver = Receiver::builder(munity())
            .store(TestStore::unreachable())
            .build();
        let r = receiver
            .receive(
                &[("x-munity-token", TOKEN)],
                &munity_body("s"),
                |_d| async { Ok::<_, Infallible>(()) },
            )
            .await;
        assert_eq!(r.response().status(), 503);
        // A token that does not match, and a payload of the wrong shape.
        let r = receiver
            .receive(
                &[("x-munity-token", "not-it")],
                &munity_body("t"),
                |_d| async { Ok::<_, Infallible>(()) },
            )
            .await;
        assert_eq!(r.response().status(), 401);
        // serde_json quotes the offending string in its message ("invalid type: string ..."),
        // which must not reach the logs.
        let wrong_shape = format!(
            r#"{{"workspace_id":"w","event":"integration_new_data_model","payload":"{MARKER}"}}"#
        );
        let r = receiver
            .receive(
                &[("x-munity-token", TOKEN)],
                wrong_shape.as_bytes(),
                |_d| async { Ok::<_, Infallible>(()) },
            )
            .await;
        assert_eq!(r.response().status(), 422, "{r:?}");
    });
    assert_eq!(
        observed.counter(
            metric::DELIVERIES,
            &[("provider", "munity"), ("outcome", "store_failed")]
        ),
        1
    );
    assert_eq!(
        observed.counter(
            metric::STORE_ERRORS,
            &[
                ("store", "unreachable"),
                ("operation", "claim"),
                ("error", "unavailable")
            ]
        ),
        1,
        "{:#?}",
        observed.series(metric::STORE_ERRORS)
    );
    assert_eq!(
        observed.samples(
            metric::STORE_DURATION,
            &[("store", "unreachable"), ("operation", "claim")]
        ),
        1
    );
    for reason in ["invalid_token", "unexpected_payload"] {
        assert_eq!(
            observed.counter(
                metric::REJECTIONS,
                &[("provider", "munity"), ("reason", reason)]
            ),
            1,
            "{:#?}",
            observed.series(metric::REJECTIONS)
        );
    }
    let errors = observed.events(tracing::Level::ERROR, "store call failed");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].0.get("error").map(String::as_str),
        Some("idempotency store unavailable: connection refused")
    );
    let failed = observed
        .spans(span::RECEIVE)
        .into_iter()
        .find(|f| f.get(span::OUTCOME).map(String::as_str) == Some("store_failed"))
        .unwrap();
    assert_eq!(
        fields(
            failed,
            &[span::STATUS, span::ERROR_TYPE, "otel.status_code"]
        ),
        [
            (span::STATUS, Some("503")),
            (span::ERROR_TYPE, Some("unavailable")),
            ("otel.status_code", Some("ERROR"))
        ]
    );
    observed.assert_nothing_secret(&[TOKEN]);
}

#[test]
fn a_full_memory_store_counts_its_early_evictions() {
    let mut counts = (0, 0);
    let observed = observe(async || {
        let store = MemoryStore::builder().capacity(64).build();
        let receiver = Receiver::builder(munity()).store(store.clone()).build();
        for n in 0..300 {
            let r = receiver
                .receive(
                    &[("x-munity-token", TOKEN)],
                    &munity_body(&n.to_string()),
                    |_d| async { Ok::<_, Infallible>(()) },
                )
                .await;
            assert_eq!(r.response().status(), 200);
        }
        counts = (store.evictions(), store.early_evictions());
    });
    assert!(counts.1 > 0, "the store evicted nothing early: {counts:?}");
    assert_eq!(
        (
            observed.counter(metric::MEMORY_EVICTIONS, &[("early", "true")]),
            observed.counter(metric::MEMORY_EVICTIONS, &[("early", "false")]),
        ),
        (counts.1, counts.0 - counts.1),
        "{:#?}",
        observed.series(metric::MEMORY_EVICTIONS)
    );
    // The in-process store's calls are not timed (they cost about what timing them would).
    assert!(observed.series(metric::STORE_DURATION).is_empty());
    assert_eq!(
        observed.samples(
            metric::HANDLER_DURATION,
            &[("provider", "munity"), ("result", "ok")]
        ),
        300
    );
}

// ---------------------------------------------------------------------------------------
// The inbox

#[test]
fn inbox_workers_count_attempts_retries_and_dead_letters_and_sample_the_inbox() {
    let observed = observe(async || {
        let inbox = Inbox::builder(munity(), MemoryInbox::new()).build();
        let headers = [("x-munity-token", TOKEN)];
        for state in ["good", "bad", "good"] {
            inbox.receive(&headers, &munity_body(state)).await;
        }
        let worker = Worker::builder(inbox.clone())
            .concurrency(2)
            .retry(
                RetryPolicy::attempts(2)
                    .backoff(Duration::from_millis(1), Duration::from_millis(1)),
            )
            .stats_interval(Duration::from_millis(100))
            .build();
        let done = async {
            for _ in 0..500 {
                let stats = inbox.stats().await.unwrap();
                if stats.completed == 1 && stats.dead == 1 {
                    // Long enough for the sampler to see the end.
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the deliveries were not worked off");
        };
        let report = worker
            .run(
                |delivery: webhook_receiver::Delivery<
                    webhook_receiver::providers::munity::Webhook,
                >| async move {
                    if delivery.event.state.as_deref() == Some("bad") {
                        Err(format!("cannot book it ({})", delivery.id.as_str().len()))
                    } else {
                        Ok(())
                    }
                },
                done,
            )
            .await;
        assert_eq!(
            (report.completed, report.retried, report.dead_lettered),
            (1, 1, 1)
        );
    });
    let deliveries = |outcome| {
        observed.counter(
            metric::DELIVERIES,
            &[("provider", "munity"), ("outcome", outcome)],
        )
    };
    assert_eq!((deliveries("enqueued"), deliveries("duplicate")), (2, 1));
    assert_eq!(
        observed.samples(
            metric::STORE_DURATION,
            &[("store", "memory"), ("operation", "enqueue")]
        ),
        3
    );
    let attempts = |outcome| {
        observed.counter(
            metric::INBOX_ATTEMPTS,
            &[("provider", "munity"), ("outcome", outcome)],
        )
    };
    assert_eq!(
        (
            attempts("completed"),
            attempts("retried"),
            attempts("dead_lettered")
        ),
        (1, 1, 1),
        "{:#?}",
        observed.series(metric::INBOX_ATTEMPTS)
    );
    let handler = |result| {
        observed.samples(
            metric::HANDLER_DURATION,
            &[("provider", "munity"), ("result", result)],
        )
    };
    assert_eq!((handler("ok"), handler("error")), (1, 2));
    let op = |operation| {
        observed.samples(
            metric::STORE_DURATION,
            &[("store", "memory"), ("operation", operation)],
        )
    };
    assert_eq!((op("complete"), op("retry"), op("dead_letter")), (1, 1, 1));
    let state = |state| {
        observed.gauge(
            metric::INBOX_DELIVERIES,
            &[("inbox", "memory"), ("state", state)],
        )
    };
    assert_eq!(
        (
            state("pending"),
            state("in_flight"),
            state("dead"),
            state("completed")
        ),
        (Some(0.0), Some(0.0), Some(1.0), Some(1.0)),
        "{:#?}",
        observed.series(metric::INBOX_DELIVERIES)
    );
    assert_eq!(
        observed.gauge(metric::INBOX_RUNNING, &[("provider", "munity")]),
        Some(0.0)
    );

    // One span per attempt; the retry and the dead letter logged inside theirs.
    let spans = observed.spans(span::PROCESS);
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let outcomes: Vec<_> = spans
        .iter()
        .map(|f| {
            (
                f.get(span::OUTCOME).cloned().unwrap_or_default(),
                f.get("webhook.attempt").cloned().unwrap_or_default(),
                f.get(span::ERROR_TYPE).cloned(),
            )
        })
        .collect();
    for expected in [
        ("completed".to_owned(), "1".to_owned(), None),
        (
            "retried".to_owned(),
            "1".to_owned(),
            Some("handler".to_owned()),
        ),
        (
            "dead_lettered".to_owned(),
            "2".to_owned(),
            Some("handler".to_owned()),
        ),
    ] {
        assert!(outcomes.contains(&expected), "{expected:?} in {outcomes:?}");
    }
    assert!(spans.iter().all(|f| f.contains_key("webhook.handler_us")
        && f.get(span::OPERATION).map(String::as_str) == Some("process")));
    let retried = observed.events(tracing::Level::WARN, "retried later");
    assert_eq!(retried.len(), 1);
    assert_eq!(
        retried[0].1.first().map(String::as_str),
        Some(span::PROCESS)
    );
    assert_eq!(
        observed
            .events(tracing::Level::ERROR, "moved to the dead letters")
            .len(),
        1
    );
    observed.assert_nothing_secret(&[TOKEN]);
}

// ---------------------------------------------------------------------------------------
// The extractors

#[test]
fn extractors_count_bodies_they_could_not_read_and_verify_only_deliveries() {
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt as _;
    use webhook_receiver::integrations::{VerifiedWebhook, axum::Webhook};

    let observed = observe(async || {
        let app = Router::new()
            .route(
                "/once",
                post(|webhook: Webhook<Munity>| async move {
                    webhook.run(|_d| async { Ok::<_, Infallible>(()) }).await
                })
                .with_state(Receiver::builder(munity().with_body_limit(256)).build()),
            )
            .route(
                "/verified",
                post(|VerifiedWebhook(_d): VerifiedWebhook<Munity>| async { "ok" })
                    .with_state(munity()),
            );
        let request = |path: &str, body: Vec<u8>| {
            axum::http::Request::post(path)
                .header("x-munity-token", TOKEN)
                .header("content-length", body.len())
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let big = app
            .clone()
            .oneshot(request("/once", vec![b' '; 1000]))
            .await
            .unwrap();
        assert_eq!(big.status(), 413);
        let verified = app
            .oneshot(request("/verified", munity_body("v")))
            .await
            .unwrap();
        assert_eq!(verified.status(), 200);
    });
    assert_eq!(
        observed.counter(
            metric::REJECTIONS,
            &[("provider", "munity"), ("reason", "body_too_large")]
        ),
        1
    );
    let deliveries = |outcome| {
        observed.counter(
            metric::DELIVERIES,
            &[("provider", "munity"), ("outcome", outcome)],
        )
    };
    assert_eq!((deliveries("rejected"), deliveries("verified")), (1, 1));
    let outcomes: Vec<_> = observed
        .spans(span::RECEIVE)
        .iter()
        .map(|f| {
            (
                f.get(span::OUTCOME).cloned().unwrap_or_default(),
                f.get(span::STATUS).cloned(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("rejected".to_owned(), Some("413".to_owned())),
            ("verified".to_owned(), None)
        ]
    );
    observed.assert_nothing_secret(&[TOKEN]);
}

// ---------------------------------------------------------------------------------------
// The shared stores (the PostgreSQL and Redis that `scripts/services.sh` starts)

#[test]
fn the_shared_stores_and_inboxes_are_labelled_and_timed() {
    use webhook_receiver::idempotency::PostgresStore;
    use webhook_receiver::idempotency::RedisStore;
    use webhook_receiver::inbox::PostgresInbox;

    let postgres = std::env::var("WEBHOOK_RECEIVER_TEST_POSTGRES").unwrap_or_else(|_| {
        "host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test".to_owned()
    });
    let redis = std::env::var("WEBHOOK_RECEIVER_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let unique = format!("obs_{}_{}", std::process::id(), nanos % 1_000_000_000);
    let headers = [("x-munity-token", TOKEN)];
    let observed = observe(async || {
        let on_postgres = Receiver::builder(munity())
            .store(
                PostgresStore::connect_with_table(&postgres, &unique)
                    .await
                    .expect("PostgreSQL from scripts/services.sh"),
            )
            .build();
        let on_redis = Receiver::builder(munity())
            .store(
                RedisStore::connect(&redis)
                    .await
                    .expect("Redis from scripts/services.sh"),
            )
            .build();
        let ok = |_d| async { Ok::<_, Infallible>(()) };
        for (n, body) in [
            munity_body(&format!("{unique}-pg")),
            munity_body(&format!("{unique}-redis")),
        ]
        .iter()
        .enumerate()
        {
            for _ in 0..2 {
                let status = if n == 0 {
                    on_postgres
                        .receive(&headers, body, ok)
                        .await
                        .response()
                        .status()
                } else {
                    on_redis
                        .receive(&headers, body, ok)
                        .await
                        .response()
                        .status()
                };
                assert_eq!(status, 200);
            }
        }
        let inbox = Inbox::builder(
            munity(),
            PostgresInbox::connect_with_table(&postgres, &format!("{unique}_inbox"))
                .await
                .expect("PostgreSQL from scripts/services.sh"),
        )
        .build();
        let received = inbox
            .receive(&headers, &munity_body(&format!("{unique}-inbox")))
            .await;
        assert_eq!(received.response().status(), 200);
    });
    for store in ["postgres", "redis"] {
        let op = |operation| {
            observed.samples(
                metric::STORE_DURATION,
                &[("store", store), ("operation", operation)],
            )
        };
        assert_eq!(
            (op("claim"), op("complete")),
            (2, 1),
            "{store}: {:#?}",
            observed.series(metric::STORE_DURATION)
        );
    }
    assert_eq!(
        observed.samples(
            metric::STORE_DURATION,
            &[("store", "postgres"), ("operation", "enqueue")]
        ),
        1
    );
    let deliveries = |outcome| {
        observed.counter(
            metric::DELIVERIES,
            &[("provider", "munity"), ("outcome", outcome)],
        )
    };
    assert_eq!(
        (
            deliveries("processed"),
            deliveries("duplicate"),
            deliveries("enqueued")
        ),
        (2, 2, 1)
    );
    assert!(observed.series(metric::STORE_ERRORS).is_empty());
    observed.assert_nothing_secret(&[TOKEN]);
}

#[test]
fn an_unrecorded_completion_and_a_conflicting_duplicate_are_counted_and_warned() {
    let provider = standard();
    let observed = observe(async || {
        let ok = |_delivery| async { Ok::<_, Infallible>(()) };
        let forgetful = Receiver::builder(standard())
            .store(TestStore::forgetful())
            .build();
        let first = sign(&provider, "msg_u", now(), body(1));
        let r = forgetful.receive(first.headers(), first.body(), ok).await;
        assert_eq!(r.response().status(), 200);

        let checking = Receiver::builder(standard()).check_digest(true).build();
        let original = sign(&provider, "msg_c", now(), body(1));
        let reused = sign(&provider, "msg_c", now(), body(2));
        assert_eq!(
            checking
                .receive(original.headers(), original.body(), ok)
                .await
                .response()
                .status(),
            200
        );
        assert_eq!(
            checking
                .receive(reused.headers(), reused.body(), ok)
                .await
                .response()
                .status(),
            422
        );
    });
    let deliveries = |outcome| {
        observed.counter(
            metric::DELIVERIES,
            &[("provider", "standard"), ("outcome", outcome)],
        )
    };
    assert_eq!(
        (
            deliveries("processed_unrecorded"),
            deliveries("processed"),
            deliveries("conflict")
        ),
        (1, 1, 1),
        "{:#?}",
        observed.series(metric::DELIVERIES)
    );
    assert_eq!(
        observed.counter(
            metric::STORE_ERRORS,
            &[
                ("store", "forgetful"),
                ("operation", "complete"),
                ("error", "unavailable")
            ]
        ),
        1
    );
    let unrecorded = observed.span_of(span::RECEIVE, "msg_u", "processed_unrecorded");
    assert_eq!(
        fields(unrecorded, &[span::STATUS, span::ERROR_TYPE]),
        [
            (span::STATUS, Some("200")),
            (span::ERROR_TYPE, Some("unavailable"))
        ]
    );
    let conflict = observed.span_of(span::RECEIVE, "msg_c", "conflict");
    assert_eq!(conflict.get(span::STATUS).map(String::as_str), Some("422"));
    assert_eq!(
        observed
            .events(tracing::Level::WARN, "completion was not recorded")
            .len(),
        1
    );
    assert_eq!(
        observed
            .events(tracing::Level::WARN, "two different bodies")
            .len(),
        1
    );
}
