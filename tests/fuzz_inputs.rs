//! Property-based fuzzing of every provider: arbitrary bodies and header values, signed or not,
//! never panic, and every error maps to a 4xx status. Signed mutations of genuine deliveries
//! exercise the parsers behind verification, where a crash would be reachable by anyone who
//! holds a key (or by a sender with a bug).
//!
//! The mainstream presets' readers (signature headers, signed URLs, form bodies) are checked
//! here with the fuzz target `preset_readers`'s own code: every seed under
//! `fuzz/seeds/preset_readers/`, and arbitrary inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "../fuzz/fuzz_targets/readers.rs"]
#[allow(unreachable_pub)]
mod readers;

use common::*;
use proptest::prelude::*;
use webhook_receiver::providers::standard::StandardWebhooks;
use webhook_receiver::testing::{self, Signer};
use webhook_receiver::{Error, Provider};

fn standard() -> StandardWebhooks {
    StandardWebhooks::from_whsec(testing::standard::EXAMPLE_SECRET)
        .unwrap()
        .namespace("fuzz")
}

fn assert_client_error(result: Result<impl std::fmt::Debug, Error>) -> Result<(), TestCaseError> {
    if let Err(err) = result {
        let status = err.status();
        prop_assert!((400..500).contains(&status), "{err:?} gave {status}");
    }
    Ok(())
}

/// JSON-ish bytes: mostly structural characters and fragments of real field names, so the
/// parsers get deep into their state machines rather than failing on the first byte.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "null",
        "true",
        "1",
        "-0.5e3",
        "\"None\"",
        "\"webhook_action\"",
        "\"data\"",
        "\"user_id\"",
        "\"d1c9b98b-3190-479e-99db-04060ff3997f\"",
        "\"payload\"",
        "\"payloadAsString\"",
        "\"signature\"",
        "\"details\"",
        "\"messageType\"",
        "\"event.claim.created.v1\"",
        "\"messageId\"",
        "\"timestamp\"",
        "\"2021-10-14T15:33:16.848Z\"",
        "\"workspace_id\"",
        "\"event\"",
        "\"integration_installed\"",
        "\"id\"",
        "\\u0000",
        "\\\"",
        "\u{fffd}",
    ]);
    prop::collection::vec(atoms, 0..64).prop_map(|parts| parts.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn unsigned_arbitrary_input_is_a_client_error(
        body in prop::collection::vec(any::<u8>(), 0..512),
        header in "[ -~]{0,80}",
    ) {
        let headers = [
            ("x-palenca-signature", header.as_str()),
            ("x-munity-signature", header.as_str()),
            ("webhook-id", header.as_str()),
            ("webhook-timestamp", header.as_str()),
            ("webhook-signature", header.as_str()),
        ];
        assert_client_error(palenca().verify_and_parse(&headers, &body))?;
        assert_client_error(munity().verify_and_parse(&headers, &body))?;
        assert_client_error(receeve().verify_and_parse(&headers, &body))?;
        assert_client_error(standard().verify_and_parse(&headers, &body))?;
        prop_assert!(palenca().verify_and_parse(&headers, &body).is_err());
    }

    #[test]
    fn signed_json_like_input_never_panics(body in jsonish()) {
        let palenca = palenca();
        let request = palenca.sign(&body);
        assert_client_error(palenca.verify_and_parse(request.headers(), request.body()))?;

        let munity = munity();
        let request = munity.sign(&body);
        assert_client_error(munity.verify_and_parse(request.headers(), request.body()))?;

        // receeve signs `payloadAsString`: the arbitrary text goes there.
        let receeve = receeve();
        let request = receeve.sign(&body);
        assert_client_error(receeve.verify_and_parse(request.headers(), request.body()))?;
        // ... and as the whole envelope.
        assert_client_error(receeve.verify_and_parse(request.headers(), &body))?;

        let standard = standard();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let request = testing::standard::sign(&standard, "msg_fuzz", now, body.clone());
        assert_client_error(standard.verify_and_parse(request.headers(), request.body()))?;
    }

    /// Genuine fixtures with one JSON token replaced, then signed: valid signatures over
    /// content the sender never documented.
    #[test]
    fn signed_mutations_of_genuine_deliveries_never_panic(
        which in 0usize..17,
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(vec!["null", "0", "\"\"", "[]", "{}", "\"None\"", "true", "-1", "1e999", "\"\\ud800\""]),
    ) {
        let fixtures: Vec<_> = testing::palenca::all()
            .into_iter()
            .chain(testing::receeve::all())
            .chain(testing::munity::all())
            .collect();
        let fixture = &fixtures[which % fixtures.len()];
        let text = fixture.content();
        // Replace the value after a randomly chosen colon.
        let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i).collect();
        prop_assume!(!colons.is_empty());
        let colon = colons[at.index(colons.len())];
        let rest = &text[colon + 1..];
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        let mutated = format!("{}:{replacement}{}", &text[..colon], &rest[end..]);
        let body = mutated.as_bytes();
        let (p, r, m) = (palenca(), receeve(), munity());
        let request = p.sign(body);
        assert_client_error(p.verify_and_parse(request.headers(), request.body()))?;
        let request = r.sign(body);
        assert_client_error(r.verify_and_parse(request.headers(), request.body()))?;
        let request = m.sign(body);
        assert_client_error(m.verify_and_parse(request.headers(), request.body()))?;
    }
}

/// Every seed of the fuzz target `preset_readers` passes its checks, those named `genuine`
/// (a sender's own signature, URL or form) are accepted, and every reader has a seed.
#[test]
fn the_preset_readers_seeds_pass_their_checks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/preset_readers");
    let mut readers_seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let seed = std::fs::read(&path).unwrap();
        let accepted = readers::check(&seed);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(accepted || !name.contains("genuine"), "{name} was refused");
        if let Some(selector) = seed.first() {
            readers_seen.insert(selector % readers::READERS);
        }
    }
    assert_eq!(
        readers_seen.len(),
        usize::from(readers::READERS),
        "{readers_seen:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The same readers on arbitrary parts: printable text with the characters the header
    /// lists, URLs and forms are made of, so that most inputs get past the first byte.
    #[test]
    fn the_preset_readers_take_any_input(
        selector in any::<u8>(),
        parts in prop::collection::vec("[ -~]{0,60}", 0..4),
    ) {
        let mut data = vec![selector];
        data.extend_from_slice(parts.join("\n").as_bytes());
        readers::check(&data);
    }
}
