//! How many bytes verification fed to a hash, counted per thread in the crate's own tests so
//! that a property test can bound the work one request costs (no timing involved). Outside
//! `cfg(test)` the count compiles to nothing.

#[cfg(test)]
use std::cell::Cell;

#[cfg(test)]
thread_local! {
    static HASHED: Cell<u64> = const { Cell::new(0) };
}

/// Records that `len` bytes of signed content were hashed once (one key, one entry).
#[inline(always)]
pub(crate) fn hashed(len: usize) {
    #[cfg(test)]
    HASHED.with(|n| n.set(n.get() + len as u64));
    #[cfg(not(test))]
    let _ = len;
}

/// Runs `f` and returns its result with the bytes it hashed on this thread.
#[cfg(test)]
pub(crate) fn measure<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = HASHED.with(Cell::get);
    let result = f();
    (result, HASHED.with(Cell::get) - before)
}

/// The work one request can cause, bounded for every reader of a signature list or an
/// envelope: whatever the headers and body hold, verification hashes at most the documented
/// number of passes over the signed content.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use proptest::prelude::*;

    use super::measure;
    use crate::providers::receeve::Receeve;
    use crate::verify::{HmacScheme, StandardScheme};
    use crate::{Keyring, Provider, Secret};

    const ID: &str = "msg_2Lh9KRb0pzN4LePd3XiA0dCrKgr";

    fn keyring(n: usize) -> Keyring {
        let mut keys = Keyring::new(Secret::new("key-0").unwrap());
        for i in 1..n {
            keys = keys.with(Secret::new(format!("key-{i}")).unwrap());
        }
        keys
    }

    fn standard_headers(timestamp: i64, list: &str) -> Vec<(&'static str, String)> {
        vec![
            ("webhook-id", ID.to_owned()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", list.to_owned()),
        ]
    }

    /// `{id}.{timestamp}.{body}`: what a Standard Webhooks pass hashes.
    fn signed_len(timestamp: i64, body: &[u8]) -> u64 {
        (ID.len() + 2 + timestamp.to_string().len() + body.len()) as u64
    }

    /// One entry of a hostile signature list.
    #[derive(Debug, Clone)]
    enum Piece {
        /// A genuine `v1` entry, or a copy of one.
        GenuineV1,
        /// A well-formed `v1` entry of random bytes.
        RandomV1([u8; 32]),
        /// A genuine `v1a` entry (copies of it are the cheapest amplifier).
        #[cfg_attr(not(feature = "public-key"), allow(dead_code))]
        GenuineV1a,
        /// A well-formed `v1a` entry of random bytes: a distinct signature to check.
        RandomV1a(Vec<u8>),
        /// Garbage, an empty entry, another version.
        Other(String),
    }

    fn piece() -> impl Strategy<Value = Piece> {
        prop_oneof![
            Just(Piece::GenuineV1),
            any::<[u8; 32]>().prop_map(Piece::RandomV1),
            Just(Piece::GenuineV1a),
            proptest::collection::vec(any::<u8>(), 64).prop_map(Piece::RandomV1a),
            "(v1,|v1a,|v2,|v1a,AAAA|,|[a-z0-9+/=,]{0,12})".prop_map(Piece::Other),
        ]
    }

    #[cfg(feature = "public-key")]
    fn ed25519_key(seed: u8) -> (ed25519_dalek::SigningKey, String) {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let public = format!("whpk_{}", BASE64.encode(signing.verifying_key().as_bytes()));
        (signing, public)
    }

    /// A scheme with `hmac_keys` secrets and `ed_keys` ed25519 keys, the genuine `v1` and
    /// `v1a` entries for `body`, and the scheme's bound in passes.
    fn standard(
        hmac_keys: usize,
        ed_keys: usize,
        timestamp: i64,
        body: &[u8],
    ) -> (StandardScheme, String, String, u64) {
        #[cfg_attr(not(feature = "public-key"), allow(unused_mut))]
        let mut scheme = StandardScheme::new(keyring(hmac_keys)).clock(std::sync::Arc::new(
            crate::clock::ManualClock::at_unix(timestamp),
        ));
        let v1 = scheme.sign(ID, timestamp, body);
        #[cfg_attr(not(feature = "public-key"), allow(unused_mut))]
        let mut v1a = String::from("v1a,");
        #[cfg_attr(not(feature = "public-key"), allow(unused_mut))]
        let mut passes = hmac_keys as u64;
        #[cfg(feature = "public-key")]
        {
            use ed25519_dalek::Signer as _;
            for seed in 0..ed_keys {
                let (signing, public) = ed25519_key(seed as u8 + 1);
                scheme = scheme.with_ed25519_key(&public).unwrap();
                if seed == 0 {
                    let message = [ID, ".", &timestamp.to_string(), "."].concat();
                    let mut message = message.into_bytes();
                    message.extend_from_slice(body);
                    v1a.push_str(&BASE64.encode(signing.sign(&message).to_bytes()));
                }
            }
            passes += (StandardScheme::MAX_V1A_ENTRIES * ed_keys) as u64;
        }
        #[cfg(not(feature = "public-key"))]
        let _ = ed_keys;
        (scheme, v1, v1a, passes)
    }

    fn render(pieces: &[Piece], v1: &str, v1a: &str) -> String {
        let entries: Vec<String> = pieces
            .iter()
            .map(|piece| match piece {
                Piece::GenuineV1 => v1.to_owned(),
                Piece::RandomV1(mac) => format!("v1,{}", BASE64.encode(mac)),
                Piece::GenuineV1a => v1a.to_owned(),
                Piece::RandomV1a(sig) => format!("v1a,{}", BASE64.encode(sig)),
                Piece::Other(text) => text.clone(),
            })
            .collect();
        entries.join(" ")
    }

    /// The reviewed attack: thousands of copies of one syntactically valid `v1a` entry (any
    /// real signature will do, no key needed) once cost one ed25519 verification each.
    #[cfg(feature = "public-key")]
    #[test]
    fn repeated_v1a_entries_cost_one_check() {
        let body = vec![b'x'; 64 * 1024];
        let timestamp = 1_700_000_000;
        let (scheme, _, v1a, _) = standard(1, 1, timestamp, &body);
        // A genuine signature of another message: valid base64 of 64 bytes, matches nothing.
        let (_, _, other_v1a, _) = standard(1, 1, timestamp, b"another body");
        assert_ne!(v1a, other_v1a);
        let list = vec![other_v1a.as_str(); 4_000].join(" ");
        let headers = standard_headers(timestamp, &list);
        let (result, hashed) = measure(|| scheme.verify(&headers, &body));
        assert!(matches!(result, Err(crate::Error::InvalidSignature)));
        assert_eq!(
            hashed,
            signed_len(timestamp, &body),
            "one check for 4,000 copies"
        );
    }

    /// Thousands of distinct entries: only the first few are checked.
    #[cfg(feature = "public-key")]
    #[test]
    fn distinct_v1a_entries_are_capped() {
        let body = vec![b'x'; 64 * 1024];
        let timestamp = 1_700_000_000;
        let (scheme, _, v1a, _) = standard(1, 2, timestamp, &body);
        let list: Vec<String> = (0..4_000u32)
            .map(|i| {
                let mut signature = [0u8; 64];
                signature[..4].copy_from_slice(&i.to_be_bytes());
                format!("v1a,{}", BASE64.encode(signature))
            })
            .collect();
        let headers = standard_headers(timestamp, &list.join(" "));
        let (result, hashed) = measure(|| scheme.verify(&headers, &body));
        assert!(matches!(result, Err(crate::Error::InvalidSignature)));
        let cap = (StandardScheme::MAX_V1A_ENTRIES * 2) as u64;
        assert_eq!(hashed, cap * signed_len(timestamp, &body));
        // The genuine entry among the first few still verifies.
        let list = format!("{} {v1a}", list[..3].join(" "));
        let headers = standard_headers(timestamp, &list);
        assert!(scheme.verify(&headers, &body).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Standard Webhooks: at most `v1 keys + MAX_V1A_ENTRIES x ed25519 keys` passes.
        #[test]
        fn standard_lists_hash_within_their_bound(
            hmac_keys in 1usize..4,
            ed_keys in 0usize..3,
            body in proptest::collection::vec(any::<u8>(), 0..2048),
            pieces in proptest::collection::vec(piece(), 0..300),
        ) {
            let timestamp = 1_700_000_000;
            let (scheme, v1, v1a, passes) = standard(hmac_keys, ed_keys, timestamp, &body);
            let headers = standard_headers(timestamp, &render(&pieces, &v1, &v1a));
            let (_, hashed) = measure(|| scheme.verify(&headers, &body));
            prop_assert!(hashed <= passes * signed_len(timestamp, &body),
                "{hashed} bytes hashed, bound {passes} passes");
        }

        /// A signature header of any content: one pass per key.
        #[test]
        fn hmac_headers_hash_within_their_bound(
            keys in 1usize..5,
            body in proptest::collection::vec(any::<u8>(), 0..2048),
            header in "[ -~]{0,400}",
        ) {
            let scheme = HmacScheme::new("x-signature", keyring(keys)).unwrap().prefix("sha256=");
            let genuine = scheme.sign(&body);
            for value in [header.as_str(), genuine.as_str(), &format!("{genuine} {header}")] {
                let headers = [("x-signature", value)];
                let (_, hashed) = measure(|| scheme.verify(&headers, &body));
                prop_assert!(hashed <= keys as u64 * body.len() as u64);
            }
        }

        /// receeve's envelope: one pass per key over `payloadAsString`, however the envelope
        /// repeats its fields.
        #[test]
        fn receeve_envelopes_hash_within_their_bound(
            keys in 1usize..5,
            signed in "[ -~]{0,600}",
            copies in 1usize..20,
        ) {
            let receeve = Receeve::hmac(keyring(keys));
            let genuine = receeve.signed_body(&signed);
            let text = serde_json::to_string(&signed).unwrap();
            let repeated = format!(
                "{{{}}}",
                vec![format!("\"payloadAsString\":{text},\"signature\":\"00\"") ; copies].join(",")
            );
            for body in [genuine, repeated.into_bytes()] {
                let (_, hashed) = measure(|| receeve.verify(&[("content-type", "application/json")], &body));
                prop_assert!(hashed <= keys as u64 * signed.len() as u64);
            }
        }
    }
}
