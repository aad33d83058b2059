//! The reverse of `sdk-vectors/`: deliveries signed by the testing kit's signers, for the
//! senders' own SDKs to verify.
//!
//! For each of the twelve presets this builds a set of cases (several bodies, non-ASCII and
//! empty ones among them, form bodies with repeated names, URLs with a query and a port, headers
//! with several signatures, and a few deliveries that must fail), each signed by
//! `webhook_receiver::testing` and each with the verdict a verifier must give (`expect`; where an
//! SDK documentedly decides otherwise, its check script lists the case and the reason). The
//! tests below check the crate's own verdicts. With `WEBHOOK_RECEIVER_SIGNED_FOR_SDKS=<dir>`
//! set, it also writes `<dir>/<sender>.json`, which `sdk-vectors/check_*.py|mjs` run through
//! each sender's official SDK (`sdk-vectors/interop.sh` does both; see sdk-vectors/README.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use serde_json::{Value, json};
use webhook_receiver::clock::ManualClock;
use webhook_receiver::providers::github::GitHub;
use webhook_receiver::providers::intercom::Intercom;
use webhook_receiver::providers::linear::Linear;
use webhook_receiver::providers::paddle::Paddle;
use webhook_receiver::providers::shopify::Shopify;
use webhook_receiver::providers::slack::Slack;
use webhook_receiver::providers::square::Square;
use webhook_receiver::providers::stripe::Stripe;
use webhook_receiver::providers::twilio::Twilio;
use webhook_receiver::providers::zoom::Zoom;
use webhook_receiver::testing::{self, SignedRequest, Signer as _};
use webhook_receiver::{Provider, Secret};

/// The directory the cases are written to, when set.
const OUT_VAR: &str = "WEBHOOK_RECEIVER_SIGNED_FOR_SDKS";
/// 2026-01-01T00:00:00Z: the signers' clock, and the verifiers' (frozen) clock.
const NOW: i64 = 1_767_225_600;

/// One delivery, the verdict every verifier must give, and the crate's own verdict.
struct Case {
    name: String,
    url: Option<String>,
    headers: Vec<(String, String)>,
    body: String,
    expect: bool,
    note: String,
    crate_verdict: Result<(), String>,
}

/// The cases of one sender, with what its verifiers need (secret or key, URL).
struct Sender {
    sender: &'static str,
    signer: &'static str,
    material: Value,
    cases: Vec<Case>,
}

impl Sender {
    fn new(sender: &'static str, signer: &'static str, material: Value) -> Self {
        Self {
            sender,
            signer,
            material,
            cases: Vec::new(),
        }
    }

    /// Adds `request` as case `name` with the verdict every verifier must give, and the verdict
    /// of `provider` (signature and window only: `Provider::verify`, not the parse).
    fn add<P: Provider>(
        &mut self,
        provider: &P,
        name: &str,
        request: &SignedRequest,
        verdict: Verdict,
    ) {
        self.push(provider, None, name, request, verdict);
    }

    /// As [`Sender::add`], for a sender that signs the URL it calls (Twilio, Square): `url`.
    fn add_at<P: Provider>(
        &mut self,
        provider: &P,
        url: &str,
        name: &str,
        request: &SignedRequest,
        verdict: Verdict,
    ) {
        self.push(provider, Some(url), name, request, verdict);
    }

    fn push<P: Provider>(
        &mut self,
        provider: &P,
        url: Option<&str>,
        name: &str,
        request: &SignedRequest,
        (expect, note): Verdict,
    ) {
        let crate_verdict = provider
            .verify(request.headers(), request.body())
            .map(drop)
            .map_err(|e| e.to_string());
        self.cases.push(Case {
            name: name.to_owned(),
            url: url.map(str::to_owned),
            headers: request.headers().to_vec(),
            body: String::from_utf8(request.body().to_vec()).expect("text bodies only"),
            expect,
            note: note.to_owned(),
            crate_verdict,
        });
    }

    fn to_json(&self) -> Value {
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|c| {
                let mut case = json!({ "name": c.name });
                if let Some(url) = &c.url {
                    case["url"] = json!(url);
                }
                case["headers"] = json!(c.headers);
                case["body"] = json!(c.body);
                case["now"] = json!(NOW);
                case["expect"] = json!(c.expect);
                case["note"] = json!(c.note);
                case
            })
            .collect();
        let mut doc = json!({
            "sender": self.sender,
            "signed_by": format!("webhook-receiver {} {}", env!("CARGO_PKG_VERSION"), self.signer),
        });
        for (key, value) in self.material.as_object().into_iter().flatten() {
            doc[key] = value.clone();
        }
        doc["cases"] = json!(cases);
        doc
    }
}

/// The verdict every verifier must give, and why.
type Verdict = (bool, &'static str);

/// Every verifier must accept the case.
fn ok(note: &'static str) -> Verdict {
    (true, note)
}

/// Every verifier must refuse the case.
fn bad(note: &'static str) -> Verdict {
    (false, note)
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at_unix(NOW))
}

fn secret(s: &str) -> Secret {
    Secret::new(s).unwrap()
}

/// `request` with its body replaced by `body`: a delivery tampered with after signing.
fn tampered(request: &SignedRequest, body: &str) -> SignedRequest {
    request.clone().with_body(body)
}

/// The value of `key=` in a signature header of `sep`-separated `key=value` entries.
fn entry<'a>(request: &'a SignedRequest, header: &str, sep: char, key: &str) -> &'a str {
    request
        .header(header)
        .unwrap()
        .split(sep)
        .find_map(|part| part.strip_prefix(key))
        .unwrap()
}

const JSON_ASCII: &str = r#"{"id":"evt_interop_0001","type":"ping","data":{"n":1,"ok":true}}"#;
const JSON_NON_ASCII: &str = r#"{"id":"evt_interop_0002","type":"customer.updated","data":{"name":"Zoë Ørsted","city":"Zürich","note":"naïve café ✓ 日本語 🎉"}}"#;
const JSON_PRETTY: &str = "{\n  \"id\": \"evt_interop_0003\",\n  \"type\": \"pretty.printed\",\n  \"data\": {\n    \"list\": [1, 2, 3],\n    \"text\": \"tab\\tand \\\"quotes\\\"\"\n  }\n}\n";

fn github() -> Sender {
    let key = "interop-github-secret";
    let gh: GitHub = GitHub::new(secret(key));
    let mut s = Sender::new("github", "testing::github::sign", json!({ "secret": key }));
    let push = testing::github::sign(&gh, "push", JSON_ASCII);
    s.add(&gh, "push_ascii", &push, ok("compact JSON"));
    let issues = testing::github::sign(&gh, "issues", JSON_NON_ASCII);
    s.add(&gh, "issues_non_ascii", &issues, ok("UTF-8 body"));
    let ping = testing::github::sign(&gh, "ping", JSON_PRETTY);
    s.add(&gh, "ping_pretty", &ping, ok("newlines, escapes"));
    let empty = testing::github::sign(&gh, "ping", "");
    s.add(&gh, "empty_body", &empty, ok("the HMAC of no bytes"));
    let forged = tampered(&issues, &JSON_NON_ASCII.replace("Zoë", "Zoe"));
    s.add(
        &gh,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    let other: GitHub = GitHub::new(secret("another-github-secret"));
    let wrong = testing::github::sign(&other, "push", JSON_ASCII);
    s.add(
        &gh,
        "other_secret",
        &wrong,
        bad("signed with another secret"),
    );
    s
}

fn stripe() -> Sender {
    let key = "whsec_interop_c2lnbmVkLWJ5LXRoZS1jcmF0ZQ";
    let stripe: Stripe = Stripe::new(secret(key)).clock(clock());
    let old: Stripe = Stripe::new(secret("whsec_interop_old_secret")).clock(clock());
    let mut s = Sender::new(
        "stripe",
        "testing::stripe::sign and Signer::sign",
        json!({ "secret": key }),
    );
    let now = stripe.sign(JSON_ASCII.as_bytes());
    s.add(&stripe, "signed_now", &now, ok("Signer::sign, t = now"));
    let ten = testing::stripe::sign(&stripe, NOW - 10, JSON_NON_ASCII.as_bytes());
    s.add(&stripe, "non_ascii_10s_old", &ten, ok("t = now - 10"));
    let pretty = testing::stripe::sign(&stripe, NOW - 299, JSON_PRETTY.as_bytes());
    s.add(
        &stripe,
        "pretty_299s_old",
        &pretty,
        ok("inside the 300 s window"),
    );
    let empty = testing::stripe::sign(&stripe, NOW - 1, b"");
    s.add(
        &stripe,
        "empty_body",
        &empty,
        ok("the signature of \"<t>.\""),
    );
    // Rotation: Stripe sends one v1 per active secret.
    let t = NOW - 5;
    let new_v1 = testing::stripe::sign(&stripe, t, JSON_ASCII.as_bytes());
    let old_v1 = testing::stripe::sign(&old, t, JSON_ASCII.as_bytes());
    let (new_v1, old_v1) = (
        entry(&new_v1, "stripe-signature", ',', "v1="),
        entry(&old_v1, "stripe-signature", ',', "v1="),
    );
    for (name, header) in [
        (
            "two_v1_second_matches",
            format!("t={t},v1={old_v1},v1={new_v1}"),
        ),
        (
            "two_v1_first_matches",
            format!("t={t},v1={new_v1},v1={old_v1}"),
        ),
    ] {
        let request = testing::stripe::sign(&stripe, t, JSON_ASCII.as_bytes())
            .with_header("Stripe-Signature", &header);
        s.add(
            &stripe,
            name,
            &request,
            ok("two v1 entries, one per secret"),
        );
    }
    let stale = testing::stripe::sign(&stripe, NOW - 301, JSON_ASCII.as_bytes());
    s.add(&stripe, "expired_301s", &stale, bad("older than 300 s"));
    let forged = tampered(&ten, &JSON_NON_ASCII.replace("Zürich", "Zurich"));
    s.add(
        &stripe,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    s
}

fn shopify() -> Sender {
    let key = "interop-shopify-client-secret";
    let shopify: Shopify = Shopify::new(secret(key));
    let mut s = Sender::new(
        "shopify",
        "testing::shopify::sign",
        json!({ "secret": key }),
    );
    let order = testing::shopify::sign(&shopify, "orders/create", JSON_NON_ASCII);
    s.add(&shopify, "order_non_ascii", &order, ok("UTF-8 body"));
    let product = testing::shopify::sign(&shopify, "products/update", JSON_ASCII);
    s.add(&shopify, "product_ascii", &product, ok("compact JSON"));
    let pretty = testing::shopify::sign(&shopify, "app/uninstalled", JSON_PRETTY);
    s.add(&shopify, "pretty", &pretty, ok("newlines, escapes"));
    let empty = testing::shopify::sign(&shopify, "orders/create", "");
    s.add(&shopify, "empty_body", &empty, ok("the HMAC of no bytes"));
    let forged = tampered(&order, &JSON_NON_ASCII.replace("café", "cafe"));
    s.add(
        &shopify,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    s
}

fn slack() -> Sender {
    let key = "interop0slack0signing0secret0000";
    let slack: Slack = Slack::new(secret(key)).clock(clock());
    let mut s = Sender::new(
        "slack",
        "testing::slack::sign and Signer::sign",
        json!({ "secret": key }),
    );
    let event = r#"{"token":"unused","team_id":"T0001","api_app_id":"A0001","type":"event_callback","event_id":"Ev0INTEROP","event":{"type":"app_mention","text":"<@U0APP> héllo ✓","channel":"C0001"}}"#;
    let events = slack.sign(event.as_bytes());
    s.add(
        &slack,
        "events_api_json",
        &events,
        ok("Signer::sign, ts = now"),
    );
    let slash = "token=unused&team_id=T0001&channel_id=C0001&user_id=U0001&command=%2Fweather&text=94070+%26+more+%C3%A9t%C3%A9&response_url=https%3A%2F%2Fhooks.example.test%2Fcommands%2F1&trigger_id=1.2.3";
    let command = testing::slack::sign(&slack, NOW - 3, slash.as_bytes());
    s.add(
        &slack,
        "slash_command_form",
        &command,
        ok("form body, + and %XX"),
    );
    let payload = "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U0001%22%7D%2C%22actions%22%3A%5B%7B%22value%22%3A%22oui+%E2%9C%93%22%7D%5D%7D";
    let interact = testing::slack::sign(&slack, NOW - 299, payload.as_bytes());
    s.add(
        &slack,
        "interactivity_payload_form",
        &interact,
        ok("payload= form, 299 s old"),
    );
    let empty = testing::slack::sign(&slack, NOW, b"");
    s.add(
        &slack,
        "empty_body",
        &empty,
        ok("the signature of \"v0:<ts>:\""),
    );
    let stale = testing::slack::sign(&slack, NOW - 301, event.as_bytes());
    s.add(&slack, "expired_301s", &stale, bad("older than 300 s"));
    let forged = tampered(&command, &slash.replace("94070", "94071"));
    s.add(
        &slack,
        "tampered_body",
        &forged,
        bad("form changed after signing"),
    );
    s
}

fn zoom() -> Sender {
    let key = "interop-zoom-secret-token";
    let zoom: Zoom = Zoom::new(secret(key)).clock(clock());
    let mut s = Sender::new(
        "zoom",
        "testing::zoom::sign and Signer::sign",
        json!({ "secret": key }),
    );
    let started = r#"{"event":"meeting.started","event_ts":1767225599000,"payload":{"account_id":"AAAA","object":{"id":"1234567890","topic":"Réunion ✓ 会議"}}}"#;
    let request = zoom.sign(started.as_bytes());
    s.add(
        &zoom,
        "meeting_started_non_ascii",
        &request,
        ok("Signer::sign, ts = now"),
    );
    let validation = r#"{"event":"endpoint.url_validation","event_ts":1767225600000,"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}"#;
    let url = testing::zoom::sign(&zoom, NOW - 1, validation.as_bytes());
    s.add(&zoom, "url_validation", &url, ok("compact JSON"));
    let ended = r#"{"event":"meeting.ended","event_ts":1767225540000,"payload":{"account_id":"AAAA","object":{"id":"1234567890"}}}"#;
    let ended = testing::zoom::sign(&zoom, NOW - 60, ended.as_bytes());
    s.add(&zoom, "ascii_60s_old", &ended, ok("compact JSON"));
    let pretty = testing::zoom::sign(&zoom, NOW, JSON_PRETTY.as_bytes());
    s.add(
        &zoom,
        "pretty_signed_raw",
        &pretty,
        ok("signed over the raw bytes"),
    );
    let empty = testing::zoom::sign(&zoom, NOW, b"");
    s.add(
        &zoom,
        "empty_body",
        &empty,
        ok("the signature of \"v0:<ts>:\""),
    );
    let forged = tampered(&request, &started.replace("1234567890", "1234567891"));
    s.add(
        &zoom,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    s
}

#[cfg(feature = "public-key")]
fn discord() -> Sender {
    use webhook_receiver::providers::discord::Discord;
    use webhook_receiver::testing::discord::KeySigner;
    let signer = KeySigner::from_seed(*b"webhook-receiver interop discord").clock(clock());
    let discord: Discord = Discord::new(&signer.public_key_hex())
        .unwrap()
        .clock(clock());
    let mut s = Sender::new(
        "discord",
        "testing::discord::KeySigner",
        json!({ "public_key": signer.public_key_hex() }),
    );
    let ping = r#"{"id":"1300000000000000001","application_id":"1200000000000000000","type":1,"token":"t","version":1}"#;
    let request = signer.sign(ping.as_bytes());
    s.add(&discord, "ping", &request, ok("Signer::sign, ts = now"));
    let command = r#"{"id":"1300000000000000002","type":2,"data":{"name":"greet","options":[{"name":"who","type":3,"value":"Zoë 🎉"}]}}"#;
    let cmd = signer.sign_at(NOW - 5, command.as_bytes());
    s.add(&discord, "command_non_ascii", &cmd, ok("UTF-8 body"));
    let pretty = signer.sign_at(NOW - 5, JSON_PRETTY.as_bytes());
    s.add(&discord, "pretty", &pretty, ok("newlines, escapes"));
    let empty = signer.sign_at(NOW, b"");
    s.add(
        &discord,
        "empty_body",
        &empty,
        ok("a signature of the timestamp alone"),
    );
    let forged = tampered(&cmd, &command.replace("greet", "greeT"));
    s.add(
        &discord,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    let other = KeySigner::from_seed([7; 32]).sign_at(NOW, ping.as_bytes());
    s.add(
        &discord,
        "other_key",
        &other,
        bad("signed with another key"),
    );
    s
}

#[cfg(feature = "public-key")]
fn sendgrid() -> Sender {
    use webhook_receiver::providers::sendgrid::SendGrid;
    use webhook_receiver::testing::sendgrid::KeySigner;
    use webhook_receiver::verify::PrivateKey;
    let key = PrivateKey::from_pem(include_str!("fixtures/keys/ec-private.pem")).unwrap();
    let signer = KeySigner::new(key).clock(clock());
    let sendgrid: SendGrid = SendGrid::new(&signer.public_key_base64())
        .unwrap()
        .clock(clock());
    let mut s = Sender::new(
        "sendgrid",
        "testing::sendgrid::KeySigner",
        json!({ "public_key": signer.public_key_base64() }),
    );
    let one = r#"[{"email":"a@example.com","timestamp":1767225540,"event":"delivered","sg_event_id":"sg_interop_1","sg_message_id":"m1.filter"}]"#;
    let request = signer.sign(one.as_bytes());
    s.add(
        &sendgrid,
        "one_event",
        &request,
        ok("Signer::sign, ts = now"),
    );
    let many = "[{\"email\":\"b@example.com\",\"event\":\"open\",\"sg_event_id\":\"sg_interop_2\",\"category\":[\"naïve\",\"日本\"]},\n {\"email\":\"c@example.com\",\"event\":\"bounce\",\"sg_event_id\":\"sg_interop_3\",\"reason\":\"550 ✗\"}]\r\n";
    let batch = signer.sign_at(NOW - 30, many.as_bytes());
    s.add(
        &sendgrid,
        "batch_non_ascii_crlf",
        &batch,
        ok("two events, CRLF"),
    );
    let empty = signer.sign_at(NOW, b"");
    s.add(
        &sendgrid,
        "empty_body",
        &empty,
        ok("a signature of the timestamp alone"),
    );
    let forged = tampered(&batch, &many.replace("550", "551"));
    s.add(
        &sendgrid,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    s
}

fn twilio() -> Sender {
    let token = "interop0twilio0auth0token0000000";
    let url = "https://hooks.example.test:8443/twilio/sms?tenant=acme&lang=en";
    let plain = "https://hooks.example.test/twilio/status";
    let twilio: Twilio = Twilio::new(secret(token), url).unwrap();
    let status: Twilio = Twilio::new(secret(token), plain).unwrap();
    let mut s = Sender::new("twilio", "Signer for Twilio", json!({ "secret": token }));
    let sms = "ToCountry=US&Body=H%C3%A9llo+%26+bye%2B%E2%9C%93&From=%2B14158675310&To=%2B18005550100&MessageSid=SM0001&AccountSid=AC0001&ToCity=&NumMedia=2&MediaUrl0=https%3A%2F%2Fmedia.example.test%2F1&MediaUrl1=https%3A%2F%2Fmedia.example.test%2F2";
    let request = twilio.sign(sms.as_bytes());
    s.add_at(
        &twilio,
        url,
        "sms_port_and_query",
        &request,
        ok("URL with :8443 and a query; a blank value"),
    );
    let tags =
        "Tag=zeta&CallSid=CA0001&Tag=alpha&CallStatus=completed&Tag=m%C3%BC&AccountSid=AC0001";
    let repeated = status.sign(tags.as_bytes());
    s.add_at(
        &status,
        plain,
        "repeated_names",
        &repeated,
        ok("Tag three times, distinct values"),
    );
    let same = "NumMedia=0&MessageSid=SM0002&NumMedia=0";
    let dup = status.sign(same.as_bytes());
    s.add_at(
        &status,
        plain,
        "repeated_name_same_value",
        &dup,
        ok("NumMedia=0 twice: signed once, as the SDKs sign each name's values as a set"),
    );
    let empty = twilio.sign(b"");
    s.add_at(
        &twilio,
        url,
        "empty_form",
        &empty,
        ok("no parameters: the URL alone"),
    );
    let body = r#"{"sid":"SM0003","status":"delivered","note":"naïve ✓"}"#;
    let json_request = status.sign(body.as_bytes());
    let called = format!("{plain}?bodySHA256={}", hex_sha256(body.as_bytes()));
    s.add_at(
        &status,
        &called,
        "json_body_sha256",
        &json_request,
        ok("JSON body; bodySHA256 in the URL called"),
    );
    let forged = tampered(&request, &sms.replace("bye", "bye%21"));
    s.add_at(
        &twilio,
        url,
        "tampered_param",
        &forged,
        bad("a parameter changed after signing"),
    );
    let moved = status.sign(tags.as_bytes());
    s.add_at(
        &twilio,
        url,
        "other_url",
        &moved,
        bad("signed for another URL"),
    );
    s
}

/// The hex SHA-256 Twilio puts in `bodySHA256`: the URL Twilio calls for a JSON body.
fn hex_sha256(body: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(body))
}

fn linear() -> Sender {
    let key = "lin_wh_interop_0123456789abcdef";
    let linear: Linear = Linear::new(secret(key)).clock(clock());
    let mut s = Sender::new("linear", "testing::linear::sign", json!({ "secret": key }));
    let issue = r#"{"action":"create","type":"Issue","data":{"id":"issue-1","title":"Crème brûlée ✓ 日本"},"webhookId":"wh-1"}"#;
    let request = testing::linear::sign(&linear, issue.as_bytes());
    s.add(
        &linear,
        "issue_non_ascii",
        &request,
        ok("webhookTimestamp added (ms)"),
    );
    let comment = r#"{"action":"update","type":"Comment","data":{"id":"c-1","body":"LGTM"}}"#;
    let c = testing::linear::sign(&linear, comment.as_bytes());
    s.add(&linear, "comment_ascii", &c, ok("compact JSON"));
    let pretty = testing::linear::sign(&linear, JSON_PRETTY.as_bytes());
    s.add(&linear, "pretty", &pretty, ok("newlines, escapes"));
    let empty_object = testing::linear::sign(&linear, b"{}");
    s.add(
        &linear,
        "empty_object",
        &empty_object,
        ok("{} plus the timestamp"),
    );
    let stale = format!(
        r#"{{"action":"remove","type":"Issue","webhookTimestamp":{}}}"#,
        (NOW - 61) * 1000
    );
    let old = testing::linear::sign(&linear, stale.as_bytes());
    s.add(
        &linear,
        "timestamp_61s_old",
        &old,
        bad("outside the 60 s window"),
    );
    let empty = testing::linear::sign(&linear, b"");
    s.add(
        &linear,
        "empty_body",
        &empty,
        bad("no webhookTimestamp to check"),
    );
    let text = String::from_utf8(request.body().to_vec()).unwrap();
    let forged = tampered(&request, &text.replace("Issue", "Issu3"));
    s.add(
        &linear,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    s
}

fn paddle() -> Sender {
    let key = "pdl_ntfset_01interop000000000000000000_aW50ZXJvcA";
    let paddle: Paddle = Paddle::new(secret(key)).clock(clock());
    let old: Paddle =
        Paddle::new(secret("pdl_ntfset_01old00000000000000000000000_b2xk")).clock(clock());
    let mut s = Sender::new(
        "paddle",
        "testing::paddle::sign and Signer::sign",
        json!({ "secret": key }),
    );
    let txn = r#"{"event_id":"evt_01interop1","event_type":"transaction.completed","data":{"id":"txn_1","customer":"Jürgen ✓"}}"#;
    let request = paddle.sign(txn.as_bytes());
    s.add(
        &paddle,
        "non_ascii_now",
        &request,
        ok("Signer::sign, ts = now"),
    );
    let ascii = testing::paddle::sign(&paddle, NOW - 3, JSON_ASCII.as_bytes());
    s.add(&paddle, "ascii_3s_old", &ascii, ok("inside Paddle's 5 s"));
    let pretty = testing::paddle::sign(&paddle, NOW - 1, JSON_PRETTY.as_bytes());
    s.add(&paddle, "pretty", &pretty, ok("newlines, escapes"));
    let empty = testing::paddle::sign(&paddle, NOW, b"");
    s.add(
        &paddle,
        "empty_body",
        &empty,
        ok("the signature of \"<ts>:\""),
    );
    let t = NOW - 2;
    let h_new = testing::paddle::sign(&paddle, t, txn.as_bytes());
    let h_old = testing::paddle::sign(&old, t, txn.as_bytes());
    let (h_new, h_old) = (
        entry(&h_new, "paddle-signature", ';', "h1="),
        entry(&h_old, "paddle-signature", ';', "h1="),
    );
    for (name, header) in [
        (
            "two_h1_second_matches",
            format!("ts={t};h1={h_old};h1={h_new}"),
        ),
        (
            "two_h1_first_matches",
            format!("ts={t};h1={h_new};h1={h_old}"),
        ),
    ] {
        let request = testing::paddle::sign(&paddle, t, txn.as_bytes())
            .with_header("Paddle-Signature", &header);
        s.add(
            &paddle,
            name,
            &request,
            ok("two h1 entries, one per secret"),
        );
    }
    let stale = testing::paddle::sign(&paddle, NOW - 31, txn.as_bytes());
    s.add(&paddle, "expired_31s", &stale, bad("outside every window"));
    let forged = tampered(&request, &txn.replace("txn_1", "txn_2"));
    s.add(
        &paddle,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    s
}

fn square() -> Sender {
    let key = "interop-square-signature-key";
    let url = "https://hooks.example.test:8443/square/webhook?tenant=acme&v=2";
    let square: Square = Square::new(secret(key), url).unwrap();
    let mut s = Sender::new(
        "square",
        "Signer for Square",
        json!({ "secret": key, "notification_url": url }),
    );
    let payment = r#"{"merchant_id":"ML1","type":"payment.updated","event_id":"e-1","data":{"id":"P1","object":{"note":"Amélie ✓ 日本"}}}"#;
    let request = square.sign(payment.as_bytes());
    s.add_at(
        &square,
        url,
        "payment_non_ascii",
        &request,
        ok("URL with a port and a query"),
    );
    let ascii = square.sign(JSON_ASCII.as_bytes());
    s.add_at(&square, url, "ascii", &ascii, ok("compact JSON"));
    let pretty = square.sign(JSON_PRETTY.as_bytes());
    s.add_at(&square, url, "pretty", &pretty, ok("newlines, escapes"));
    let empty = square.sign(b"");
    s.add_at(
        &square,
        url,
        "empty_body",
        &empty,
        ok("the HMAC of the URL alone"),
    );
    let forged = tampered(&request, &payment.replace("e-1", "e-2"));
    s.add_at(
        &square,
        url,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    let other: Square =
        Square::new(secret(key), "https://hooks.example.test/square/webhook").unwrap();
    let moved = other.sign(JSON_ASCII.as_bytes());
    s.add_at(
        &square,
        url,
        "other_url",
        &moved,
        bad("signed for the URL without port and query"),
    );
    s
}

fn intercom() -> Sender {
    let key = "interop-intercom-client-secret";
    let intercom: Intercom = Intercom::new(secret(key));
    let mut s = Sender::new("intercom", "Signer for Intercom", json!({ "secret": key }));
    let ping = r#"{"type":"notification_event","topic":"ping","id":"notif_interop_1","data":{"item":{"message":"héllo ✓"}}}"#;
    let request = intercom.sign(ping.as_bytes());
    s.add(&intercom, "ping_non_ascii", &request, ok("UTF-8 body"));
    let ascii = intercom.sign(JSON_ASCII.as_bytes());
    s.add(&intercom, "ascii", &ascii, ok("compact JSON"));
    let pretty = intercom.sign(JSON_PRETTY.as_bytes());
    s.add(&intercom, "pretty", &pretty, ok("newlines, escapes"));
    let empty = intercom.sign(b"");
    s.add(&intercom, "empty_body", &empty, ok("the HMAC of no bytes"));
    let forged = tampered(&request, &ping.replace("ping", "pong"));
    s.add(
        &intercom,
        "tampered_body",
        &forged,
        bad("body changed after signing"),
    );
    s
}

fn senders() -> Vec<Sender> {
    let mut all = vec![
        github(),
        stripe(),
        shopify(),
        slack(),
        zoom(),
        twilio(),
        linear(),
        paddle(),
        square(),
        intercom(),
    ];
    all.extend(public_key_senders());
    all
}

/// Discord and SendGrid, whose signers need feature `public-key`.
#[cfg(feature = "public-key")]
fn public_key_senders() -> Vec<Sender> {
    vec![discord(), sendgrid()]
}

#[cfg(not(feature = "public-key"))]
fn public_key_senders() -> Vec<Sender> {
    Vec::new()
}

#[test]
fn the_crate_gives_every_signed_case_its_expected_verdict() {
    let mut failures = Vec::new();
    let mut count = 0;
    for sender in senders() {
        assert!(sender.cases.iter().any(|c| c.expect), "{}", sender.sender);
        assert!(sender.cases.iter().any(|c| !c.expect), "{}", sender.sender);
        for case in &sender.cases {
            count += 1;
            if case.crate_verdict.is_ok() != case.expect {
                failures.push(format!(
                    "{}/{}: expected {}, the crate says {:?}",
                    sender.sender,
                    case.name,
                    if case.expect { "accept" } else { "reject" },
                    case.crate_verdict
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(count >= 60, "{count} cases");
}

/// The JSON the SDK checks read: every case with its delivery and verdict, the key material;
/// with `WEBHOOK_RECEIVER_SIGNED_FOR_SDKS=<dir>` set, written to `<dir>/<sender>.json` (needs
/// feature `public-key` for Discord and SendGrid).
#[test]
fn the_signed_cases_serialise_for_the_sdks_and_are_written_when_asked() {
    let senders = senders();
    let docs: Vec<(&str, Value)> = senders.iter().map(|s| (s.sender, s.to_json())).collect();
    for ((name, doc), sender) in docs.iter().zip(&senders) {
        assert_eq!(doc["sender"], *name);
        assert!(
            doc["secret"].is_string() || doc["public_key"].is_string(),
            "{name}: no key material"
        );
        let cases = doc["cases"].as_array().unwrap();
        assert_eq!(cases.len(), sender.cases.len());
        for (json, case) in cases.iter().zip(&sender.cases) {
            assert_eq!(json["body"], case.body.as_str(), "{name}/{}", case.name);
            assert_eq!(json["expect"], case.expect, "{name}/{}", case.name);
            let headers: Vec<(String, String)> =
                serde_json::from_value(json["headers"].clone()).unwrap();
            assert_eq!(headers, case.headers, "{name}/{}", case.name);
        }
    }
    let Some(dir) = std::env::var_os(OUT_VAR).filter(|d| !d.is_empty()) else {
        return;
    };
    assert_eq!(
        docs.len(),
        12,
        "{OUT_VAR} needs all twelve senders: run with feature public-key (Discord, SendGrid)"
    );
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, doc) in &docs {
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(doc).unwrap() + "\n").unwrap();
        println!("wrote {}", path.display());
    }
}
