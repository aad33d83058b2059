//! Intercom: no official SDK verifies its notifications (sdk-vectors/README.md), so the vectors
//! here are built from the documented algorithm (`X-Hub-Signature: sha1=<hex HMAC-SHA1 of the
//! body>`), with MACs computed independently by Python's `hmac` module:
//!
//! ```text
//! python3 -c 'import hmac,hashlib; key=b"test-intercom-client-secret"; body=open("b","rb").read();
//!   print(hmac.new(key, body, hashlib.sha1).hexdigest())'          # 7289aa96...ee4d78b5
//! (the same with key b"another-secret")                            # dba1070e...69898a89
//! python3 -c 'import hmac,hashlib; print(hmac.new(b"key",
//!   b"The quick brown fox jumps over the lazy dog", hashlib.sha1).hexdigest())'  # de7c9b85...9c1db4d9
//! ```
//!
//! where `b` holds [`BODY`] byte for byte.

use proptest::prelude::*;
use webhook_receiver::providers::intercom::Intercom;
use webhook_receiver::testing::Signer as _;
use webhook_receiver::verify::{HmacScheme, MacAlgorithm};
use webhook_receiver::{Error, Keyring, MessageId, Provider, Secret};

const SECRET: &str = "test-intercom-client-secret";
const BODY: &str = r#"{"type":"notification_event","app_id":"abc123","data":{"type":"notification_event_data","item":{"type":"ping","message":"something something interzen"}},"links":{},"id":"notif_0001","topic":"ping","delivery_status":null,"delivery_attempts":1,"delivered_at":0,"first_sent_at":1767225600,"created_at":1767225600,"self":null}"#;
const PYTHON_MAC: &str = "7289aa962508973a4cce16c14770fb63ee4d78b5";
const PYTHON_MAC_OTHER_SECRET: &str = "dba1070edcc800e631d5840369210e5589698a89";

#[allow(clippy::unwrap_used, clippy::expect_used)]
fn intercom(secret: &str) -> Intercom {
    Intercom::new(Secret::new(secret).unwrap())
}

fn headers(signature: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/json".to_owned()),
        ("X-Hub-Signature", signature.to_owned()),
    ]
}

#[test]
fn hmac_sha1_agrees_with_pythons_hmac_module() {
    let scheme = HmacScheme::new("x-sig", Secret::new("key").unwrap())
        .unwrap()
        .algorithm(MacAlgorithm::Sha1);
    assert_eq!(
        scheme.sign(b"The quick brown fox jumps over the lazy dog"),
        "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    );
    assert_eq!(
        intercom(SECRET).scheme().sign(BODY.as_bytes()),
        format!("sha1={PYTHON_MAC}")
    );
}

#[test]
fn documented_vectors() {
    let intercom = intercom(SECRET);
    let verdict = |signature: &str, body: &str| {
        intercom
            .verify_and_parse(&headers(signature), body.as_bytes())
            .map(drop)
    };
    let genuine = format!("sha1={PYTHON_MAC}");
    assert!(verdict(&genuine, BODY).is_ok());
    // Documented choice: hex and prefix in either case (no SDK compares the text).
    assert!(verdict(&genuine.to_uppercase(), BODY).is_ok());
    assert!(matches!(
        verdict(&genuine, &BODY.replace("interzen", "interZen")),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        verdict(&format!("sha1={PYTHON_MAC_OTHER_SECRET}"), BODY),
        Err(Error::InvalidSignature)
    ));
    assert!(matches!(
        verdict(PYTHON_MAC, BODY),
        Err(Error::MalformedSignature { .. })
    ));
    assert!(matches!(
        verdict(&format!("sha256={PYTHON_MAC}"), BODY),
        Err(Error::MalformedSignature { .. })
    ));
    // A SHA-256-sized MAC is not a SHA-1 MAC.
    assert!(matches!(
        verdict(&format!("sha1={PYTHON_MAC}{}", "0".repeat(24)), BODY),
        Err(Error::MalformedSignature { .. })
    ));
    assert!(matches!(
        intercom.verify_and_parse(&[("content-type", "application/json")], BODY.as_bytes()),
        Err(Error::MissingSignature { .. })
    ));
}

#[test]
fn id_kind_and_timestamp_come_from_the_body() {
    let intercom = intercom(SECRET);
    let delivery = intercom
        .verify_and_parse(&headers(&format!("sha1={PYTHON_MAC}")), BODY.as_bytes())
        .unwrap();
    assert_eq!(delivery.id, MessageId::new("intercom", "notif_0001"));
    assert_eq!(delivery.event.kind, "ping");
    assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), 1_767_225_600);
    let request = intercom.sign(br#"{"topic":"ping"}"#);
    assert!(matches!(
        intercom.verify_and_parse(request.headers(), request.body()),
        Err(Error::UnexpectedPayload(_))
    ));
}

#[test]
fn the_testing_signer_and_rotation() {
    let intercom = intercom(SECRET);
    let request = intercom.sign(BODY.as_bytes());
    assert_eq!(
        request.header("x-hub-signature"),
        Some(format!("sha1={PYTHON_MAC}").as_str())
    );
    let both: Intercom =
        Intercom::new(Keyring::new(Secret::new("new").unwrap()).with(Secret::new(SECRET).unwrap()));
    assert!(
        both.verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
    assert!(matches!(
        self::intercom("another-secret").verify_and_parse(request.headers(), request.body()),
        Err(Error::InvalidSignature)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn flipping_any_byte_of_body_or_signature_is_refused(
        body in proptest::collection::vec(any::<u8>(), 1..256),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        in_signature in any::<bool>(),
    ) {
        let intercom = intercom("k");
        let request = intercom.sign(&body);
        let (headers, body) = if in_signature {
            // The MAC's hex digits, flipped so that they do not merely change case.
            let mut signature = request.header("x-hub-signature").unwrap().as_bytes().to_vec();
            let i = "sha1=".len() + at.index(signature.len() - "sha1=".len());
            let bit = if bit == 5 { 0 } else { bit };
            signature[i] ^= 1 << bit;
            let signature = String::from_utf8_lossy(&signature).into_owned();
            (request.clone().with_header("x-hub-signature", &signature), body)
        } else {
            let mut body = body;
            let i = at.index(body.len());
            body[i] ^= 1 << bit;
            (request.clone(), body)
        };
        prop_assert!(intercom.verify(headers.headers(), &body).is_err());
    }
}
