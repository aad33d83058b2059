//! receeve with public-key signatures (its Node sample's variant): envelopes signed with a
//! private key verify against the PEM public key; OpenSSL's signature of the same text too.
#![cfg(all(feature = "public-key", feature = "testing"))]
#![allow(clippy::unwrap_used)]

use webhook_receiver::providers::receeve::{Details, Receeve};
use webhook_receiver::testing::{self, receeve::KeySigner};
use webhook_receiver::verify::{PrivateKey, PublicKey, PublicKeyScheme};
use webhook_receiver::{Error, Provider};

fn key(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn receiver(public: &[&str]) -> Receeve {
    let keys = public
        .iter()
        .map(|name| PublicKey::from_pem(&key(name)).unwrap());
    Receeve::public_key(PublicKeyScheme::from_keys(keys).unwrap())
}

#[test]
fn rsa_and_ecdsa_signed_envelopes_verify_and_parse() {
    for (private, public) in [
        ("rsa-private.pem", "rsa-public.pem"),
        ("ec-private.pem", "ec-public.pem"),
        ("rsa-private.pem", "rsa-public-pkcs1.pem"),
    ] {
        let receeve = receiver(&[public]);
        let signer = KeySigner::new(PrivateKey::from_pem(&key(private)).unwrap());
        let request = testing::receeve::claim_created().signed_with(&signer);
        let delivery = receeve
            .verify_and_parse(request.headers(), request.body())
            .unwrap();
        assert!(
            matches!(delivery.event.details, Details::ClaimCreated(_)),
            "{public}"
        );
    }
}

#[test]
fn openssl_signature_of_payload_as_string_verifies() {
    // message.txt is a payloadAsString; message.rsa.sig.b64 is
    // `openssl dgst -sha256 -sign rsa-private.pem message.txt | base64 -w0`.
    let signed = key("message.txt");
    let signature = key("message.rsa.sig.b64");
    let body = format!(
        r#"{{"signature":{},"payloadAsString":{}}}"#,
        serde_json::Value::from(signature.trim()),
        serde_json::Value::from(signed.as_str()),
    );
    let receeve = receiver(&["rsa-public.pem"]);
    let no_headers: [(&str, &str); 0] = [];
    let verified = receeve.verify(&no_headers, body.as_bytes());
    assert!(verified.is_ok(), "{verified:?}");
}

#[test]
fn wrong_key_forged_payload_and_rotation() {
    let signer = KeySigner::new(PrivateKey::from_pem(&key("rsa-next-private.pem")).unwrap());
    let request = testing::receeve::claim_created().signed_with(&signer);

    let old_only = receiver(&["rsa-public.pem"]);
    assert!(matches!(
        old_only.verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
    let rotating = receiver(&["rsa-public.pem", "rsa-next-public.pem"]);
    assert!(
        rotating
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );

    let forged =
        String::from_utf8_lossy(request.body()).replacen("\"amount\": 501", "\"amount\": 1", 1);
    let err = rotating
        .verify_and_parse(request.headers(), forged.as_bytes())
        .unwrap_err();
    assert!(matches!(err, Error::PayloadMismatch { .. }), "{err:?}");

    // A public-key receiver cannot sign for itself: its own envelope does not verify.
    let unsigned = testing::receeve::claim_created().signed_with(&rotating);
    assert!(
        rotating
            .verify_and_parse(unsigned.headers(), unsigned.body())
            .is_err()
    );
    assert!(!format!("{rotating:?}").contains("BEGIN"));
}
