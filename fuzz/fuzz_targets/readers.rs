//! What the mainstream presets read, fed hostile bytes: the signature headers (Stripe's
//! `t=..,v1=..` list, Paddle's `ts=..;h1=..`, Slack's and Zoom's `v0=` with their timestamp
//! headers, GitHub's `sha256=` and Intercom's `sha1=`, the base64 of Shopify, Square and
//! Twilio), the URLs Twilio and Square sign (the configured URL, and the request target
//! Twilio's is combined with), and any body each preset signs (form bodies: Twilio, Slack).
//! Nothing may panic, a refusal is a clear 4xx, a header is accepted only when it carries the
//! genuine MAC of what it states, and a delivery signed as the sender signs it is accepted.
//!
//! Shared by the fuzz target `preset_readers` and the replay of its seeds in
//! `tests/fuzz_inputs.rs`.
//!
//! An input is one selector byte (which reader, modulo [`READERS`]), then the reader's values:
//! up to three parts separated by newlines (header values, a URL, a body), or for the signed
//! bodies, the whole rest.

use std::sync::{Arc, LazyLock};

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
use webhook_receiver::providers::{
    github, intercom, paddle, shopify, slack, square, stripe, twilio, zoom,
};
use webhook_receiver::testing::{SignedRequest, Signer};
use webhook_receiver::verify::HmacScheme;
use webhook_receiver::{Error, Provider, REQUEST_TARGET, Secret};

/// The fixed "now" of every preset with a window, in unix seconds.
pub const NOW: i64 = 1_700_000_000;
/// How many readers the selector byte picks from.
pub const READERS: u8 = 21;
/// The genuine body the header readers are tried on: every preset finds its id and type.
const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid","event_id":"e1","event_type":"t","event":"meeting.started","topic":"ping","data":{}}"#;
/// The signature header Shopify sends (the first of the two names the preset reads).
const SHOPIFY_SIGNATURE: &str = {
    let [first, _] = shopify::SIGNATURE_HEADERS;
    first
};
/// The origin Twilio's and Square's URLs start with.
const PUBLIC: &str = "https://hooks.example.test";

struct Presets {
    stripe: Stripe,
    paddle: Paddle,
    linear: Linear,
    slack: Slack,
    zoom: Zoom,
    github: GitHub,
    intercom: Intercom,
    shopify: Shopify,
    square: Square,
    twilio: Twilio,
}

fn key(name: &str) -> Secret {
    Secret::new(format!("{name}-fuzz-key")).expect("a non-empty secret")
}

static PRESETS: LazyLock<Presets> = LazyLock::new(|| {
    let clock = Arc::new(ManualClock::at_unix(NOW));
    Presets {
        stripe: Stripe::new(key("stripe")).clock(clock.clone()),
        paddle: Paddle::new(key("paddle")).clock(clock.clone()),
        linear: Linear::new(key("linear")).clock(clock.clone()),
        slack: Slack::new(key("slack")).clock(clock.clone()),
        zoom: Zoom::new(key("zoom")).clock(clock),
        github: GitHub::new(key("github")),
        intercom: Intercom::new(key("intercom")),
        shopify: Shopify::new(key("shopify")),
        square: Square::new(key("square"), &format!("{PUBLIC}/square")).expect("a valid URL"),
        twilio: Twilio::new(key("twilio"), &format!("{PUBLIC}/twilio")).expect("a valid URL"),
    }
});

/// Runs the reader `data` selects on the rest of it: whether the hostile values were
/// accepted (the signature or URL as genuine, the form read).
pub fn check(data: &[u8]) -> bool {
    let Some((&selector, rest)) = data.split_first() else {
        return false;
    };
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let mut part = || parts.next().unwrap_or_default();
    let (a, b, c) = (part(), part(), part());
    let p = &*PRESETS;
    let (github, intercom) = (github::SIGNATURE_HEADER, intercom::SIGNATURE_HEADER);
    let (square, twilio) = (square::SIGNATURE_HEADER, twilio::SIGNATURE_HEADER);
    match selector % READERS {
        0 => listed(
            &p.stripe,
            stripe::SIGNATURE_HEADER,
            ',',
            ("t", "v1", "."),
            a,
        ),
        1 => listed(
            &p.paddle,
            paddle::SIGNATURE_HEADER,
            ';',
            ("ts", "h1", ":"),
            a,
        ),
        2 => v0(
            &p.slack,
            (slack::SIGNATURE_HEADER, slack::TIMESTAMP_HEADER),
            a,
            b,
        ),
        3 => v0(
            &p.zoom,
            (zoom::SIGNATURE_HEADER, zoom::TIMESTAMP_HEADER),
            a,
            b,
        ),
        // GitHub's verifier compares the text byte for byte, and the preset documents that it
        // does too; Intercom's documentation names no case, and the preset reads either.
        4 => replaced(&p.github, &p.github.sign(BODY), (github, a), exact),
        5 => replaced(&p.intercom, &p.intercom.sign(BODY), (intercom, a), any_case),
        6 => replaced(
            &p.shopify,
            &p.shopify.sign(BODY),
            (SHOPIFY_SIGNATURE, a),
            unpadded,
        ),
        7 => replaced(&p.square, &p.square.sign(BODY), (square, a), unpadded),
        8 => replaced(&p.twilio, &p.twilio.sign(b), (twilio, a), unpadded),
        9 => request_target(a, b),
        10 => configured_url(a, b, c),
        // The whole rest, a body signed as each sender signs it.
        11 => signed(&p.twilio, &p.twilio.sign(rest)),
        12 => signed(&p.slack, &p.slack.sign(rest)),
        13 => signed(&p.github, &p.github.sign(rest)),
        14 => signed(&p.shopify, &p.shopify.sign(rest)),
        15 => signed(&p.linear, &p.linear.sign(rest)),
        16 => signed(&p.square, &p.square.sign(rest)),
        17 => signed(&p.intercom, &p.intercom.sign(rest)),
        18 => signed(&p.stripe, &p.stripe.sign(rest)),
        19 => signed(&p.paddle, &p.paddle.sign(rest)),
        _ => signed(&p.zoom, &p.zoom.sign(rest)),
    }
}

/// Whether `provider` accepts `headers` and `body`; a refusal must be a clear 4xx.
fn verifies<P: Provider>(provider: &P, headers: &[(String, Vec<u8>)], body: &[u8]) -> bool {
    match provider.verify(headers, body) {
        Ok(_) => true,
        Err(error) => {
            clear(&error);
            false
        }
    }
}

/// A refusal a sender understands, with a message that renders.
fn clear(error: &Error) {
    let status = error.status();
    assert!(
        matches!(status, 400 | 401 | 413 | 422),
        "unexpected status {status} for {error:?}"
    );
    let _ = error.to_string();
}

/// The lower-case hex HMAC-SHA256 of `parts` under `name`'s fuzz key.
fn hmac_hex(name: &str, parts: &[&[u8]]) -> String {
    HmacScheme::in_body(key(name)).sign(&parts.concat())
}

/// `request`'s headers, as bytes.
fn owned(request: &SignedRequest) -> Vec<(String, Vec<u8>)> {
    request
        .headers()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect()
}

/// `genuine`'s headers with `name` set to the fuzzed `value`.
fn with_value(genuine: &SignedRequest, name: &str, value: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut headers = owned(genuine);
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    headers.push((name.to_owned(), value.to_vec()));
    headers
}

/// A signature list (Stripe, Paddle): accepted only when an entry `sig` carries the MAC of
/// the first `ts` entry's text, `sep` and the body.
fn listed<P: Provider>(
    provider: &P,
    header: &str,
    delimiter: char,
    (ts, sig, sep): (&str, &str, &str),
    value: &[u8],
) -> bool {
    let headers = [(header.to_owned(), value.to_vec())];
    if !verifies(provider, &headers, BODY) {
        return false;
    }
    let text = std::str::from_utf8(value).expect("an accepted header is UTF-8");
    let entries = || {
        text.split(delimiter)
            .filter_map(|entry| entry.trim().split_once('='))
    };
    let stamp = entries()
        .find_map(|(k, v)| (k == ts).then_some(v))
        .expect("an accepted list has a timestamp");
    let seconds: i64 = stamp.parse().expect("an accepted timestamp is a number");
    assert!((seconds - NOW).abs() <= 300, "outside any window: {text:?}");
    let genuine = hmac_hex(provider.name(), &[stamp.as_bytes(), sep.as_bytes(), BODY]);
    assert!(
        entries().any(|(k, v)| k == sig && v == genuine),
        "accepted {text:?} without the genuine {sig}={genuine}"
    );
    true
}

/// Slack's and Zoom's `v0=` signature and timestamp headers: accepted only with the MAC of
/// `v0:{timestamp as sent}:{body}`, the timestamp in the window.
fn v0<P: Provider>(
    provider: &P,
    (signature, timestamp): (&str, &str),
    sig: &[u8],
    ts: &[u8],
) -> bool {
    let headers = [
        (signature.to_owned(), sig.to_vec()),
        (timestamp.to_owned(), ts.to_vec()),
    ];
    if !verifies(provider, &headers, BODY) {
        return false;
    }
    let ts = std::str::from_utf8(ts).expect("UTF-8").trim();
    let seconds: i64 = ts.parse().expect("an accepted timestamp is a number");
    assert!((seconds - NOW).abs() <= 300, "outside the window: {ts:?}");
    let genuine = hmac_hex(provider.name(), &[b"v0:", ts.as_bytes(), b":", BODY]);
    let sig = std::str::from_utf8(sig).expect("UTF-8").trim();
    assert_eq!(sig, format!("v0={genuine}"), "accepted another signature");
    true
}

fn exact(value: &str, genuine: &str) -> bool {
    value == genuine
}

fn any_case(value: &str, genuine: &str) -> bool {
    value.eq_ignore_ascii_case(genuine)
}

fn unpadded(value: &str, genuine: &str) -> bool {
    value.trim_end_matches('=') == genuine.trim_end_matches('=')
}

/// A genuine delivery with its signature header replaced by `value`: accepted only when the
/// value is the `same` as the genuine one.
fn replaced<P: Provider>(
    provider: &P,
    genuine: &SignedRequest,
    (header, value): (&str, &[u8]),
    same: fn(&str, &str) -> bool,
) -> bool {
    let headers = with_value(genuine, header, value);
    if !verifies(provider, &headers, genuine.body()) {
        return false;
    }
    let expected = genuine.header(header).expect("the signer sets it");
    let value = std::str::from_utf8(value).expect("UTF-8").trim();
    assert!(same(value, expected), "accepted {value:?} for {expected:?}");
    true
}

/// Whether `body` is read as JSON by Twilio (first non-blank byte `{` or `[`).
fn is_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Twilio called `{PUBLIC}{target}` and signed that URL: the provider, configured with
/// `{PUBLIC}/twilio`, accepts the delivery when the adapter hands it `target` (unless a
/// `bodySHA256` the target carries is not the JSON body's digest), and never when it hands
/// another target.
fn request_target(target: &[u8], body: &[u8]) -> bool {
    let Ok(target) = std::str::from_utf8(target) else {
        return false;
    };
    if !target.starts_with('/') || target.trim() != target {
        return false;
    }
    let Ok(caller) = Twilio::<()>::new(key("twilio"), &format!("{PUBLIC}{target}")) else {
        return false;
    };
    let request = caller.sign(body);
    let mut headers = with_value(&request, REQUEST_TARGET, target.as_bytes());
    let accepted = verifies(&PRESETS.twilio, &headers, body);
    if !(is_json(body) && target.contains("bodySHA256")) {
        assert!(accepted, "a genuine delivery to {target:?} was refused");
    }
    headers.retain(|(name, _)| name != REQUEST_TARGET);
    headers.push((REQUEST_TARGET.to_owned(), format!("{target}x").into_bytes()));
    assert!(
        !verifies(&PRESETS.twilio, &headers, body),
        "accepted a delivery signed for {target:?} at {target:?}x"
    );
    accepted
}

/// Any configured URL: a provider built from it accepts what its own signer signs (Twilio:
/// unless a `bodySHA256` in it is not the JSON body's digest), with or without a request
/// target handed over; Square refuses a signature over the URL with one byte more.
fn configured_url(url: &[u8], body: &[u8], target: &[u8]) -> bool {
    let Ok(url) = std::str::from_utf8(url) else {
        return false;
    };
    let mut accepted = false;
    if let Ok(twilio) = Twilio::<()>::new(key("twilio"), url) {
        let request = twilio.sign(body);
        let mut headers = owned(&request);
        accepted = verifies(&twilio, &headers, body);
        if !(is_json(body) && url.contains("bodySHA256")) {
            assert!(accepted, "a genuine delivery to {url:?} was refused");
        }
        headers.push((REQUEST_TARGET.to_owned(), target.to_vec()));
        verifies(&twilio, &headers, body);
    }
    if let Ok(square) = Square::<()>::new(key("square"), url) {
        let request = square.sign(body);
        let headers = owned(&request);
        assert!(verifies(&square, &headers, body), "refused at {url:?}");
        let longer = Square::<()>::new(key("square"), &format!("{url}/")).expect("still valid");
        let request = longer.sign(body);
        let headers = owned(&request);
        assert!(!verifies(&square, &headers, body), "{url:?}/ accepted");
    }
    accepted
}

/// A delivery signed as the sender signs it: verified, then read into the preset's event or
/// refused with 400 or 422 (not JSON, a bad escape in a form, text that is not UTF-8, no
/// id), never a panic; the unverified path agrees on the id.
fn signed<P: Provider>(provider: &P, request: &SignedRequest) -> bool {
    let (headers, body) = (request.headers(), request.body());
    let verified = provider.verify_and_parse(headers, body);
    let unverified = webhook_receiver::dangerous::parse_unverified(provider, headers, body);
    match (verified, unverified) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.id, b.id, "the two paths disagree on the id");
            true
        }
        (Ok(_), Err(error)) => panic!("verified, but the unverified path failed: {error:?}"),
        (Err(error), _) => {
            clear(&error);
            assert!(
                matches!(error.status(), 400 | 422),
                "a genuine delivery was refused: {error:?}"
            );
            false
        }
    }
}
