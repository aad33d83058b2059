//! Tampering: any changed byte of a signed body or its signature is rejected, malformed
//! signatures each get their own error, and keyrings rotate.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use proptest::prelude::*;
use webhook_receiver::testing::{SignedRequest, Signer};
use webhook_receiver::{Error, Keyring, Provider};

fn flip(bytes: &[u8], at: usize, mask: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= mask;
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every position of the body and of the signature, each with a random non-zero mask.
    #[test]
    fn flipping_any_byte_of_body_or_signature_is_rejected(
        body in proptest::collection::vec(any::<u8>(), 0..48),
        mask in 1u8..=255,
    ) {
        let palenca = palenca();
        let request = palenca.sign(&body);
        prop_assert!(palenca.verify(request.headers(), request.body()).is_ok());
        for at in 0..body.len() {
            let tampered = flip(&body, at, mask);
            prop_assert!(matches!(
                palenca.verify(request.headers(), &tampered),
                Err(Error::InvalidSignature)
            ));
        }
        let signature = request.header(PALENCA_HEADER).unwrap().as_bytes().to_vec();
        for at in 0..signature.len() {
            let tampered = flip(&signature, at, mask);
            // Hex digits and the `sha256=` prefix are read without regard to case: flipping
            // a letter's case (mask 0x20) writes the same MAC and must still verify.
            let same_mac = tampered.eq_ignore_ascii_case(&signature);
            let headers = [(PALENCA_HEADER, tampered)];
            prop_assert_eq!(palenca.verify(&headers, request.body()).is_ok(), same_mac);
        }
    }

    /// The same for receeve, whose signed bytes sit inside the JSON envelope.
    #[test]
    fn flipping_any_byte_of_a_receeve_envelope_never_passes_altered_content(
        amount in 0u32..100_000,
        mask in 1u8..=255,
    ) {
        let receeve = receeve();
        let payload = format!(r#"{{"details":{{"messageType":"event.claim.created.v1","claimRef":"C","amount":{amount},"currency":"EUR"}},"messageId":"m","timestamp":"2021-10-14T15:33:16.848Z"}}"#);
        let request = receeve.sign(payload.as_bytes());
        let genuine = receeve.verify_and_parse(request.headers(), request.body()).unwrap();
        for at in 0..request.body().len() {
            let tampered = flip(request.body(), at, mask);
            if let Ok(delivery) = receeve.verify_and_parse(request.headers(), &tampered) {
                // Only changes outside the signed content may pass (white space in the
                // envelope, an equivalent escape): the event must be the genuine one.
                prop_assert_eq!(&delivery, &genuine);
            }
        }
    }
}

fn reject(request: &SignedRequest, signature: &str) -> Error {
    let request = request.clone().with_header(PALENCA_HEADER, signature);
    palenca()
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err()
}

#[test]
fn malformed_signatures_each_have_their_error() {
    let request = palenca().sign(b"{}");
    let good = request.header(PALENCA_HEADER).unwrap().to_owned();
    let hex = good.strip_prefix("sha256=").unwrap();

    let malformed = |e: &Error| matches!(e, Error::MalformedSignature { .. });
    let err = reject(&request, "");
    assert!(malformed(&err), "empty: {err:?}");
    let err = reject(&request, "sha256=");
    assert!(malformed(&err), "prefix only: {err:?}");
    let err = reject(&request, hex);
    assert!(malformed(&err), "missing prefix: {err:?}");
    let err = reject(&request, &format!("sha256={}", &hex[..62]));
    assert!(malformed(&err), "truncated: {err:?}");
    let err = reject(&request, &format!("sha256={hex}00"));
    assert!(malformed(&err), "over-long: {err:?}");
    let err = reject(&request, &format!("sha256={}zz", &hex[..62]));
    assert!(malformed(&err), "not hex: {err:?}");
    let base64 = base64_of_hex(hex);
    let err = reject(&request, &format!("sha256={base64}"));
    assert!(malformed(&err), "wrong encoding: {err:?}");
    let err = reject(&request, &format!("sha256={}", "0".repeat(64)));
    assert!(matches!(err, Error::InvalidSignature), "zero MAC: {err:?}");
    for err in [reject(&request, ""), reject(&request, &"0".repeat(64))] {
        assert_eq!(err.status(), 401);
        assert!(
            !err.to_string().contains(hex),
            "errors never echo the expected signature"
        );
    }

    let missing = request.clone().without_header(PALENCA_HEADER);
    let err = palenca()
        .verify_and_parse(missing.headers(), missing.body())
        .unwrap_err();
    assert!(matches!(err, Error::MissingSignature { .. }), "{err:?}");

    let wrong_key = palenca_with(secret("another-key"));
    let err = wrong_key
        .verify_and_parse(request.headers(), request.body())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSignature), "{err:?}");
}

fn base64_of_hex(hex: &str) -> String {
    use base64::Engine as _;
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn header_names_match_in_any_case() {
    let palenca = palenca();
    let request = palenca.sign(b"{}");
    let value = request.header(PALENCA_HEADER).unwrap();
    for name in [
        "X-PALENCA-SIGNATURE",
        "X-Palenca-Signature",
        "x-palenca-signature",
    ] {
        assert!(palenca.verify(&[(name, value)], b"{}").is_ok(), "{name}");
    }
}

#[test]
fn keyring_of_old_and_new_accepts_both_and_rejects_a_third() {
    let old = palenca_with(secret("old-key"));
    let new = palenca_with(secret("new-key"));
    let third = palenca_with(secret("third-key"));
    let rotating = palenca_with(Keyring::new(secret("new-key")).with(secret("old-key")));
    let body = b"{\"webhook_action\":\"user.created\"}";
    for (signer, accepted) in [(&old, true), (&new, true), (&third, false)] {
        let request = signer.sign(body);
        assert_eq!(
            rotating.verify(request.headers(), request.body()).is_ok(),
            accepted
        );
    }
    // The rotating receiver signs (in tests) with its primary, the first secret.
    let request = rotating.sign(body);
    assert!(new.verify(request.headers(), request.body()).is_ok());

    let receeve_rotating = receeve_with(Keyring::new(secret("new")).with(secret("old")));
    for (key, accepted) in [("old", true), ("new", true), ("third", false)] {
        let request = receeve_with(secret(key)).sign(br#"{"details":{"messageType":"x"},"messageId":"m","timestamp":"2021-10-14T15:33:16.848Z"}"#);
        assert_eq!(
            receeve_rotating
                .verify_and_parse(request.headers(), request.body())
                .is_ok(),
            accepted,
            "{key}"
        );
    }
}

#[test]
fn empty_secrets_and_bad_header_names_fail_at_start_up() {
    assert!(webhook_receiver::Secret::new("").is_err());
    assert!(webhook_receiver::Secret::from_hex("zz").is_err());
    assert!(webhook_receiver::Secret::from_base64("***").is_err());
    assert!(webhook_receiver::Keyring::from_secrets(Vec::new()).is_err());
    assert!(webhook_receiver::verify::HmacScheme::new("", secret("k")).is_err());
    assert!(webhook_receiver::verify::HmacScheme::new("x sig", secret("k")).is_err());
    assert!(webhook_receiver::verify::TokenScheme::new("x-token", secret(" padded ")).is_err());
}
