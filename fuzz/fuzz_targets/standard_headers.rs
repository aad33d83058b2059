//! Standard Webhooks with hostile header values around one genuine body: a delivery may be
//! accepted only when its signature list carries the genuine signature for the id and
//! timestamp it states (base64 padding optional), and the timestamp lies in the window.
#![no_main]

mod providers;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use webhook_receiver::Provider;

static PROVIDERS: LazyLock<providers::Providers> = LazyLock::new(providers::Providers::new);

const BODY: &[u8] = br#"{"type":"invoice.paid","data":{"id":"in_1"}}"#;

fuzz_target!(|data: &[u8]| {
    // Three header values separated by newlines: id, timestamp, signature list. A fourth
    // part, when present, picks the `svix-` names.
    let mut parts = data.splitn(4, |&b| b == b'\n');
    let id = parts.next().unwrap_or_default();
    let timestamp = parts.next().unwrap_or_default();
    let list = parts.next().unwrap_or_default();
    let prefix = if parts.next().is_some() {
        "svix"
    } else {
        "webhook"
    };
    let headers = [
        (format!("{prefix}-id"), id.to_vec()),
        (format!("{prefix}-timestamp"), timestamp.to_vec()),
        (format!("{prefix}-signature"), list.to_vec()),
    ];
    let standard = &PROVIDERS.standard;
    match standard.verify_and_parse(&headers[..], BODY) {
        Ok(delivery) => {
            let id = std::str::from_utf8(id)
                .expect("an accepted id is UTF-8")
                .trim();
            let timestamp = std::str::from_utf8(timestamp).expect("UTF-8").trim();
            let seconds: i64 = timestamp
                .parse()
                .expect("an accepted timestamp is a number");
            assert!(
                (seconds - providers::NOW).abs() <= 300,
                "outside the window"
            );
            // The signed content holds the timestamp's text, so only its canonical form can
            // carry a signature made from the number.
            assert_eq!(timestamp, seconds.to_string());
            // Base64 padding is optional (the same MAC bytes), nothing else may differ.
            let genuine = standard.scheme().sign(id, seconds, BODY);
            let genuine = genuine.trim_end_matches('=');
            let list = String::from_utf8_lossy(list);
            let list = list.trim(); // as every header value is read
            assert!(
                list.split_ascii_whitespace()
                    .any(|entry| entry.trim_end_matches('=') == genuine),
                "accepted {delivery:?} without the genuine signature {genuine} in {list:?}"
            );
        }
        Err(error) => providers::check_error(&error),
    }
});
