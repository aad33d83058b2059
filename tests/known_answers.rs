//! Known-answer signatures computed outside the crate.
//!
//! Each expected value was computed over the fixture file's exact bytes (trailing newline
//! included) with both of
//!
//! ```text
//! openssl dgst -sha256 -hmac palenca-test-key tests/fixtures/palenca/account_created_flat.json
//! python3 -c 'import hmac,hashlib,sys; print(hmac.new(b"palenca-test-key", open(sys.argv[1],"rb").read(), hashlib.sha256).hexdigest())' tests/fixtures/palenca/account_created_flat.json
//! ```
//!
//! (and likewise for the other files and keys; base64 with `base64.b64encode(... .digest())`).

mod common;

use common::*;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::testing;
use webhook_receiver::verify::{HmacScheme, SignatureEncoding};
use webhook_receiver::{MessageId, Provider};

const PALENCA_FLAT_HMAC: &str = "17a9882df64706792d53e23fce420e35316e828ed41821add4fa15fabc069ced";
const PALENCA_FLAT_SHA256: &str =
    "44e102f9ba88098f258d603483eff64793a8ed5387589598385641db5ec483c8";
const MUNITY_TEST_HMAC: &str = "ca228fddbac70965c4b776aedea5292802873cb4b0b01fce28cd4a196a7b9f8c";
const RECEEVE_CLAIM_HEX: &str = "40376c36760959a0d65ecc9f3841785c0b15d942dca125a8816663be703cf9b6";
const RECEEVE_CLAIM_BASE64: &str = "QDdsNnYJWaDWXsyfOEF4XAsV2ULcoSWogWZjvnA8+bY=";

#[test]
fn palenca_hmac_matches_openssl() {
    let body = testing::palenca::account_created_flat();
    let palenca = palenca();
    let headers = [(PALENCA_HEADER, format!("sha256={PALENCA_FLAT_HMAC}"))];
    let delivery = palenca
        .verify_and_parse(&headers, body.content().as_bytes())
        .unwrap();
    assert_eq!(
        delivery.id,
        MessageId::new("palenca", &format!("sha256:{PALENCA_FLAT_SHA256}"))
    );
    // Upper-case hex is the same signature.
    let upper = [(
        PALENCA_HEADER,
        format!("sha256={}", PALENCA_FLAT_HMAC.to_uppercase()),
    )];
    assert!(
        palenca
            .verify_and_parse(&upper, body.content().as_bytes())
            .is_ok()
    );
}

#[test]
fn munity_hmac_matches_python() {
    let body = testing::munity::webhook_test();
    let munity = webhook_receiver::providers::munity::Munity::new(
        HmacScheme::new("x-sig", secret(MUNITY_KEY))
            .unwrap()
            .encoding(SignatureEncoding::Hex),
    );
    assert!(
        munity
            .verify_and_parse(&[("X-Sig", MUNITY_TEST_HMAC)], body.content().as_bytes())
            .is_ok()
    );
}

#[test]
fn receeve_hmac_of_payload_as_string_matches_python_hex_and_base64() {
    let payload = testing::receeve::claim_created();
    for signature in [RECEEVE_CLAIM_HEX, RECEEVE_CLAIM_BASE64] {
        // Build the envelope by hand, as receeve would, with the externally computed signature.
        let body = format!(
            r#"{{"payload":{},"signature":"{signature}","payloadAsString":{}}}"#,
            payload.content(),
            serde_json::Value::from(payload.content()),
        );
        let receeve = Receeve::hmac(secret(RECEEVE_KEY));
        let no_headers: [(&str, &str); 0] = [];
        let delivery = receeve
            .verify_and_parse(&no_headers, body.as_bytes())
            .unwrap();
        assert_eq!(delivery.id.as_str(), "09feeb6f-350a-430a-a040-cd1c558cbc91");
    }
}

#[test]
fn the_crate_signs_what_openssl_computes() {
    let palenca = palenca();
    let scheme = match palenca.authentication() {
        webhook_receiver::verify::Authentication::Hmac(scheme) => scheme,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        scheme.sign(
            testing::palenca::account_created_flat()
                .content()
                .as_bytes()
        ),
        format!("sha256={PALENCA_FLAT_HMAC}")
    );
}

#[test]
fn verify_parts_checks_bytes_signed_inside_the_body_without_a_header() {
    // receeve's known answer, checked the header-free way a sender that signs inside the body
    // needs: the signed bytes and the signature text, with any prefix and white space.
    let payload = testing::receeve::claim_created();
    let signed = payload.content().as_bytes();
    let scheme = HmacScheme::in_body(secret(RECEEVE_KEY)).encoding(SignatureEncoding::HexOrBase64);
    assert_eq!(scheme.header(), None);
    for signature in [RECEEVE_CLAIM_HEX, RECEEVE_CLAIM_BASE64] {
        assert!(
            scheme.verify_parts(&[], signed, signature).is_ok(),
            "{signature}"
        );
        assert!(
            scheme
                .verify_parts(&[], signed, &format!(" {signature}\n"))
                .is_ok()
        );
    }
    let prefixed = scheme.clone().prefix("sha256=");
    assert!(
        prefixed
            .verify_parts(&[], signed, &format!("SHA256={RECEEVE_CLAIM_HEX}"))
            .is_ok()
    );
    assert!(matches!(
        prefixed.verify_parts(&[], signed, RECEEVE_CLAIM_HEX),
        Err(webhook_receiver::Error::MalformedSignature { .. })
    ));
    assert!(matches!(
        scheme.verify_parts(&[], b"tampered", RECEEVE_CLAIM_HEX),
        Err(webhook_receiver::Error::InvalidSignature)
    ));
    // A header-free scheme has no header to read a signature from.
    assert!(matches!(
        scheme.verify(&[("signature", RECEEVE_CLAIM_HEX)], signed),
        Err(webhook_receiver::Error::MissingSignature { .. })
    ));
}
