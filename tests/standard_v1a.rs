//! Standard Webhooks `v1a` entries: ed25519 signatures, verified when a public key is
//! configured (feature `public-key`), skipped otherwise.
//!
//! Known answer made with the OpenSSL command line from `tests/fixtures/keys/ed25519-private.pem`:
//!
//! ```text
//! openssl pkey -in ed25519-private.pem -pubout -outform DER | tail -c 32 | base64   # the whpk_ key
//! printf '%s' 'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk.1649367553.{"email":"test@example.com","username":"test_user"}' > m
//! openssl pkeyutl -sign -inkey ed25519-private.pem -rawin -in m | base64 -w0        # the signature
//! ```
#![cfg(all(feature = "public-key", feature = "testing"))]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use webhook_receiver::Error;
use webhook_receiver::clock::ManualClock;
use webhook_receiver::testing::standard::{
    EXAMPLE_ID, EXAMPLE_SECRET, EXAMPLE_SIGNATURE, EXAMPLE_TIMESTAMP, example,
};
use webhook_receiver::verify::StandardScheme;

const WHPK: &str = "whpk_gMzMVp5Z0SJHrlTotxlGbN0XnjnMtHSlc1U2rqxNRi4=";
const V1A: &str =
    "v1a,EoasrAVQe/hlC24iEIVYX0YIDrUWumD3gRw3ZaHMGYBwLqvFfvK3xzMFv2WbGSM8yrs/064kZdUYHSfyrFROAw==";

fn headers(signature: &str) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", EXAMPLE_ID.to_owned()),
        ("webhook-timestamp", EXAMPLE_TIMESTAMP.to_string()),
        ("webhook-signature", signature.to_owned()),
    ]
}

fn at_example_time(scheme: StandardScheme) -> StandardScheme {
    scheme.clock(Arc::new(ManualClock::at_unix(EXAMPLE_TIMESTAMP)))
}

#[test]
fn openssl_ed25519_signature_verifies_with_the_public_key() {
    let scheme = at_example_time(StandardScheme::from_whpk(WHPK).unwrap());
    let h = headers(V1A);
    assert!(scheme.verify(&h, example()).is_ok());
    // A v1 entry means nothing to an asymmetric-only scheme.
    let h = headers(EXAMPLE_SIGNATURE);
    assert!(matches!(
        scheme.verify(&h, example()),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn tampering_and_malformed_v1a_entries_are_rejected() {
    let scheme = at_example_time(StandardScheme::from_whpk(WHPK).unwrap());
    let h = headers(V1A);
    let mut body = example().to_vec();
    for at in 0..body.len() {
        body[at] ^= 0x20;
        assert!(
            matches!(scheme.verify(&h, &body), Err(Error::InvalidSignature)),
            "byte {at}"
        );
        body[at] ^= 0x20;
    }
    for bad in ["v1a,", "v1a,AAAA", "v1a,!!!!"] {
        let h = headers(bad);
        assert!(
            matches!(
                scheme.verify(&h, example()),
                Err(Error::MalformedSignature { .. })
            ),
            "{bad}"
        );
    }
    let zeros = format!("v1a,{}", "A".repeat(86) + "==");
    let h = headers(&zeros);
    assert!(scheme.verify(&h, example()).is_err());
}

#[test]
fn v1a_entries_are_skipped_without_a_key_and_mixed_lists_work() {
    // HMAC only: a v1a entry is skipped, a list of only v1a entries has no supported entry.
    let hmac_only = at_example_time(StandardScheme::from_whsec(EXAMPLE_SECRET).unwrap());
    let h = headers(V1A);
    assert!(matches!(
        hmac_only.verify(&h, example()),
        Err(Error::MalformedSignature { .. })
    ));
    let mixed = format!("{V1A} {EXAMPLE_SIGNATURE}");
    let h = headers(&mixed);
    assert!(hmac_only.verify(&h, example()).is_ok());

    // Both kinds of key: either entry alone verifies.
    let both = at_example_time(
        StandardScheme::from_whsec(EXAMPLE_SECRET)
            .unwrap()
            .with_ed25519_key(WHPK)
            .unwrap(),
    );
    for list in [V1A, EXAMPLE_SIGNATURE, mixed.as_str()] {
        let h = headers(list);
        assert!(both.verify(&h, example()).is_ok(), "{list}");
    }
}

#[test]
fn bad_public_keys_fail_at_start_up() {
    assert!(StandardScheme::from_whpk("whpk_").is_err());
    assert!(StandardScheme::from_whpk("whpk_AAAA").is_err());
    assert!(StandardScheme::from_whpk("not base64 at all").is_err());
    assert!(!format!("{:?}", StandardScheme::from_whpk(WHPK).unwrap()).contains("gMzMVp5"));
}
