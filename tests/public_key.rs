//! Public-key signatures (RSA PKCS#1 v1.5 and ECDSA P-256 over SHA-256): known answers made by
//! `openssl dgst -sha256 -sign` (see `tests/fixtures/keys/README.md`), tampering, rotation,
//! malformed signatures and keys, and the testing kit's signer.
#![cfg(feature = "public-key")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use webhook_receiver::Error;
use webhook_receiver::verify::{KeyAlgorithm, PublicKey, PublicKeyScheme};

const RSA_PUBLIC: &str = include_str!("fixtures/keys/rsa-public.pem");
const RSA_PUBLIC_PKCS1: &str = include_str!("fixtures/keys/rsa-public-pkcs1.pem");
const RSA_PRIVATE: &str = include_str!("fixtures/keys/rsa-private.pem");
const RSA_PRIVATE_PKCS1: &str = include_str!("fixtures/keys/rsa-private-pkcs1.pem");
const RSA_NEXT_PUBLIC: &str = include_str!("fixtures/keys/rsa-next-public.pem");
const EC_PUBLIC: &str = include_str!("fixtures/keys/ec-public.pem");
const EC_PRIVATE: &str = include_str!("fixtures/keys/ec-private.pem");
const EC_PRIVATE_SEC1: &str = include_str!("fixtures/keys/ec-private-sec1.pem");
const P384_PUBLIC: &str = include_str!("fixtures/keys/p384-public.pem");
const ED25519_PUBLIC: &str = include_str!("fixtures/keys/ed25519-public.pem");
const ED25519_PRIVATE: &str = include_str!("fixtures/keys/ed25519-private.pem");

const MESSAGE: &[u8] = include_bytes!("fixtures/keys/message.txt");
const RSA_SIGNATURE: &str = include_str!("fixtures/keys/message.rsa.sig.b64");
const RSA_NEXT_SIGNATURE: &str = include_str!("fixtures/keys/message.rsa-next.sig.b64");
const EC_SIGNATURE: &str = include_str!("fixtures/keys/message.ec.sig.b64");

fn scheme(pem: &str) -> PublicKeyScheme {
    PublicKeyScheme::from_pem(pem).unwrap()
}

fn key(pem: &str) -> PublicKey {
    PublicKey::from_pem(pem).unwrap()
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, Error>) {
    match result {
        Err(Error::InvalidSignature) => {}
        other => panic!("expected InvalidSignature, got {other:?}"),
    }
}

fn assert_malformed<T: std::fmt::Debug>(result: Result<T, Error>) {
    match result {
        Err(Error::MalformedSignature { .. }) => {}
        other => panic!("expected MalformedSignature, got {other:?}"),
    }
}

// --- known answers -----------------------------------------------------------------------------

#[test]
fn an_openssl_rsa_signature_verifies_with_the_spki_key() {
    scheme(RSA_PUBLIC)
        .verify_parts(&[], MESSAGE, RSA_SIGNATURE)
        .unwrap();
}

#[test]
fn an_openssl_rsa_signature_verifies_with_the_pkcs1_key() {
    scheme(RSA_PUBLIC_PKCS1)
        .verify_parts(&[], MESSAGE, RSA_SIGNATURE)
        .unwrap();
}

#[test]
fn an_openssl_rsa_3072_signature_verifies() {
    scheme(RSA_NEXT_PUBLIC)
        .verify_parts(&[], MESSAGE, RSA_NEXT_SIGNATURE)
        .unwrap();
}

#[test]
fn an_openssl_ecdsa_p256_der_signature_verifies() {
    scheme(EC_PUBLIC)
        .verify_parts(&[], MESSAGE, EC_SIGNATURE)
        .unwrap();
}

#[test]
fn the_algorithm_is_read_from_the_key() {
    assert_eq!(key(RSA_PUBLIC).algorithm(), KeyAlgorithm::RsaPkcs1v15Sha256);
    assert_eq!(key(RSA_PUBLIC).bits(), 2048);
    assert_eq!(
        key(RSA_PUBLIC_PKCS1).algorithm(),
        KeyAlgorithm::RsaPkcs1v15Sha256
    );
    assert_eq!(key(RSA_NEXT_PUBLIC).bits(), 3072);
    assert_eq!(key(EC_PUBLIC).algorithm(), KeyAlgorithm::EcdsaP256Sha256);
    assert_eq!(key(EC_PUBLIC).bits(), 256);
}

#[test]
fn padding_and_surrounding_white_space_are_optional() {
    let unpadded = EC_SIGNATURE.trim().trim_end_matches('=');
    scheme(EC_PUBLIC)
        .verify_parts(&[], MESSAGE, unpadded)
        .unwrap();
    let spaced = format!("  {}\n", RSA_SIGNATURE.trim());
    scheme(RSA_PUBLIC)
        .verify_parts(&[], MESSAGE, &spaced)
        .unwrap();
}

#[test]
fn keys_read_with_crlf_line_ends_and_surrounding_white_space() {
    let crlf = RSA_PUBLIC.replace('\n', "\r\n");
    scheme(&crlf)
        .verify_parts(&[], MESSAGE, RSA_SIGNATURE)
        .unwrap();
    let padded = format!("\n\n  {EC_PUBLIC}\n ");
    scheme(&padded)
        .verify_parts(&[], MESSAGE, EC_SIGNATURE)
        .unwrap();
}

// --- tampering -------------------------------------------------------------------------------

fn flipped_message(i: usize) -> Vec<u8> {
    let mut message = MESSAGE.to_vec();
    message[i] ^= 0x01;
    message
}

#[test]
fn changing_any_byte_of_the_message_is_rejected() {
    let rsa = scheme(RSA_PUBLIC);
    let ec = scheme(EC_PUBLIC);
    for i in 0..MESSAGE.len() {
        let message = flipped_message(i);
        assert_invalid(rsa.verify_parts(&[], &message, RSA_SIGNATURE));
        assert_invalid(ec.verify_parts(&[], &message, EC_SIGNATURE));
    }
    assert_invalid(rsa.verify_parts(&[], &MESSAGE[1..], RSA_SIGNATURE));
    assert_invalid(ec.verify_parts(&[], b"", EC_SIGNATURE));
}

#[test]
fn changing_any_byte_of_the_signature_is_rejected() {
    for (scheme, signature) in [
        (scheme(RSA_PUBLIC), RSA_SIGNATURE),
        (scheme(EC_PUBLIC), EC_SIGNATURE),
    ] {
        let bytes = STANDARD.decode(signature.trim()).unwrap();
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            assert_invalid(scheme.verify_parts(&[], MESSAGE, &STANDARD.encode(&changed)));
        }
        // Truncated, extended, or a prefix alone.
        let short = STANDARD.encode(&bytes[..bytes.len() - 1]);
        assert_invalid(scheme.verify_parts(&[], MESSAGE, &short));
        let mut long = bytes.clone();
        long.push(0);
        assert_invalid(scheme.verify_parts(&[], MESSAGE, &STANDARD.encode(&long)));
        assert_invalid(scheme.verify_parts(&[], MESSAGE, &STANDARD.encode(&bytes[..1])));
    }
}

#[test]
fn a_signature_by_another_key_is_rejected() {
    assert_invalid(scheme(RSA_PUBLIC).verify_parts(&[], MESSAGE, RSA_NEXT_SIGNATURE));
    assert_invalid(scheme(RSA_PUBLIC).verify_parts(&[], MESSAGE, EC_SIGNATURE));
    assert_invalid(scheme(EC_PUBLIC).verify_parts(&[], MESSAGE, RSA_SIGNATURE));
}

#[test]
fn an_ecdsa_signature_in_raw_form_is_not_der_and_is_rejected() {
    // 64 bytes of r || s are not the DER the scheme is documented to take.
    let raw = STANDARD.encode([0x42u8; 64]);
    assert_invalid(scheme(EC_PUBLIC).verify_parts(&[], MESSAGE, &raw));
}

// --- rotation --------------------------------------------------------------------------------

#[test]
fn several_keys_accept_each_others_signatures_and_nothing_else() {
    let rotating = PublicKeyScheme::new(key(RSA_NEXT_PUBLIC)).with(key(RSA_PUBLIC));
    rotating.verify_parts(&[], MESSAGE, RSA_SIGNATURE).unwrap();
    rotating
        .verify_parts(&[], MESSAGE, RSA_NEXT_SIGNATURE)
        .unwrap();
    assert_invalid(rotating.verify_parts(&[], MESSAGE, EC_SIGNATURE));
    assert_eq!(rotating.keys().len(), 2);

    let mixed = PublicKeyScheme::from_keys([key(RSA_PUBLIC), key(EC_PUBLIC)]).unwrap();
    mixed.verify_parts(&[], MESSAGE, RSA_SIGNATURE).unwrap();
    mixed.verify_parts(&[], MESSAGE, EC_SIGNATURE).unwrap();
    assert_invalid(mixed.verify_parts(&[], MESSAGE, RSA_NEXT_SIGNATURE));
}

#[test]
fn a_scheme_without_keys_is_a_configuration_error() {
    assert!(PublicKeyScheme::from_keys(Vec::new()).is_err());
}

// --- malformed signatures --------------------------------------------------------------------

#[test]
fn malformed_signatures_are_malformed() {
    let scheme = scheme(RSA_PUBLIC);
    let url_safe = RSA_SIGNATURE.trim().replace('+', "-").replace('/', "_");
    let over_long = STANDARD.encode(vec![1u8; 2000]);
    for signature in [
        "",
        "   ",
        "not base64!",
        "%%%%",
        url_safe.as_str(),
        over_long.as_str(),
    ] {
        let result = scheme.verify_parts(&[], MESSAGE, signature);
        assert_malformed(result);
    }
    // The URL-safe variant really did change the text.
    assert_ne!(url_safe, RSA_SIGNATURE.trim());
}

#[test]
fn every_rejection_is_an_authentication_failure() {
    let scheme = scheme(EC_PUBLIC);
    for signature in ["", "!!", RSA_SIGNATURE] {
        let err = scheme.verify_parts(&[], MESSAGE, signature).unwrap_err();
        assert_eq!(err.status(), 401, "{err:?}");
    }
}

// --- malformed keys --------------------------------------------------------------------------

#[test]
fn malformed_pem_is_a_configuration_error() {
    let truncated = &RSA_PUBLIC[..RSA_PUBLIC.len() / 2];
    let corrupted = RSA_PUBLIC.replacen("MII", "MI!", 1);
    let no_footer = RSA_PUBLIC.replace("-----END PUBLIC KEY-----", "");
    let wrong_label = RSA_PUBLIC.replace("PUBLIC KEY", "RSA PUBLIC KEY");
    let certificate =
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
    for pem in [
        "",
        "   ",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        truncated,
        corrupted.as_str(),
        no_footer.as_str(),
        wrong_label.as_str(),
        certificate,
    ] {
        assert!(PublicKey::from_pem(pem).is_err(), "accepted {pem:?}");
        assert!(PublicKeyScheme::from_pem(pem).is_err());
    }
}

#[test]
fn private_keys_are_refused_as_public_keys() {
    for pem in [RSA_PRIVATE, RSA_PRIVATE_PKCS1, EC_PRIVATE, EC_PRIVATE_SEC1] {
        let err = PublicKey::from_pem(pem).unwrap_err();
        assert!(err.reason().contains("private key"), "{err}");
        // The message never repeats the key material.
        assert!(!err.to_string().contains("MII"), "{err}");
    }
}

#[test]
fn unsupported_key_types_are_configuration_errors() {
    for pem in [P384_PUBLIC, ED25519_PUBLIC] {
        assert!(PublicKey::from_pem(pem).is_err());
    }
}

// --- guarantees ------------------------------------------------------------------------------

#[test]
fn keys_and_schemes_are_send_sync_and_clone() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<PublicKey>();
    assert_send_sync_clone::<PublicKeyScheme>();
}

#[test]
fn debug_shows_the_algorithms_only() {
    let scheme = PublicKeyScheme::new(key(RSA_PUBLIC)).with(key(EC_PUBLIC));
    let shown = format!("{scheme:?}");
    assert!(shown.contains("RsaPkcs1v15Sha256"), "{shown}");
    assert!(shown.contains("EcdsaP256Sha256"), "{shown}");
    assert!(!shown.contains("MII"), "{shown}");
}

// --- the testing kit's signer ------------------------------------------------------------------

#[cfg(feature = "testing")]
mod signer {
    use super::*;
    use webhook_receiver::verify::PrivateKey;

    #[test]
    fn rsa_signatures_equal_openssls_byte_for_byte() {
        for pem in [RSA_PRIVATE, RSA_PRIVATE_PKCS1] {
            let signer = PrivateKey::from_pem(pem).unwrap();
            assert_eq!(signer.sign(MESSAGE), RSA_SIGNATURE.trim());
        }
    }

    #[test]
    fn ecdsa_signatures_verify_and_are_deterministic() {
        let signer = PrivateKey::from_pem(EC_PRIVATE).unwrap();
        let signature = signer.sign(MESSAGE);
        scheme(EC_PUBLIC)
            .verify_parts(&[], MESSAGE, &signature)
            .unwrap();
        assert_eq!(signer.sign(MESSAGE), signature);
        // The same key in SEC1 form signs identically.
        let sec1 = PrivateKey::from_pem(EC_PRIVATE_SEC1).unwrap();
        assert_eq!(sec1.sign(MESSAGE), signature);
    }

    #[test]
    fn the_signers_public_key_verifies_its_signatures() {
        for pem in [RSA_PRIVATE, EC_PRIVATE] {
            let signer = PrivateKey::from_pem(pem).unwrap();
            let scheme = PublicKeyScheme::new(signer.public_key());
            let signature = signer.sign(b"payloadAsString");
            scheme
                .verify_parts(&[], b"payloadAsString", &signature)
                .unwrap();
            assert_invalid(scheme.verify_parts(&[], b"payloadAsStrinG", &signature));
        }
        assert_eq!(
            PrivateKey::from_pem(EC_PRIVATE)
                .unwrap()
                .public_key()
                .algorithm(),
            KeyAlgorithm::EcdsaP256Sha256
        );
    }

    #[test]
    fn unsupported_or_public_keys_cannot_sign() {
        for pem in ["", "junk", ED25519_PRIVATE, RSA_PUBLIC, EC_PUBLIC] {
            assert!(PrivateKey::from_pem(pem).is_err(), "{pem}");
        }
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let signer = PrivateKey::from_pem(RSA_PRIVATE).unwrap();
        assert_eq!(format!("{signer:?}"), "PrivateKey([redacted])");
    }

    #[test]
    fn signers_are_send_sync_and_clone() {
        fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync_clone::<PrivateKey>();
    }
}
