//! The testing kit: fixture payloads for every documented provider example, and signers that
//! produce exactly the headers and body a real sender would send, so you can test your own
//! handlers without a sender.
//!
//! ```
//! use webhook_receiver::{Provider, Secret, testing};
//! use webhook_receiver::providers::receeve::Receeve;
//!
//! let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
//! let request = testing::receeve::claim_created().signed_with(&receeve);
//! let delivery = receeve.verify_and_parse(request.headers(), request.body()).unwrap();
//! assert_eq!(delivery.id.as_str(), "09feeb6f-350a-430a-a040-cd1c558cbc91");
//! ```
//!
//! Fixtures are the providers' own documentation examples where they publish one (kept
//! verbatim, whitespace included), and realistic payloads of the documented shape otherwise.
//! They live as JSON files under `tests/fixtures/<provider>/` in the crate's repository.

use crate::providers::munity::Munity;
use crate::providers::palenca::Palenca;
use crate::providers::receeve::Receeve;

/// What a genuine sender would send: headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl SignedRequest {
    /// A request from its headers and body.
    #[must_use]
    pub fn new(headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Self { headers, body }
    }

    /// The headers, in the order a sender would send them.
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The raw body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The first value of header `name` (any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The same request with header `name` set to `value` (replacing any of that name): for
    /// testing how a handler treats a forged or malformed header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same request without header `name`.
    #[must_use]
    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self
    }

    /// The same headers with another body: for testing a tampered delivery.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The request as an `http::Request` (`POST /`), ready for a `tower` service's `oneshot`.
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    #[must_use]
    pub fn to_http_request(&self) -> http::Request<Vec<u8>> {
        let mut request = http::Request::new(self.body.clone());
        *request.method_mut() = http::Method::POST;
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                request.headers_mut().append(name, value);
            }
        }
        request
    }
}

/// Something that can sign a payload the way a real sender of one provider does.
///
/// Implemented by each provider: the provider you verify with also signs, with its primary
/// secret, so a test needs no second copy of the configuration.
pub trait Signer {
    /// The request a genuine sender would send for `content`: for receeve, `content` is the
    /// `payload` object's JSON text (the signer wraps it in the envelope); for the others it is
    /// the body.
    fn sign(&self, content: &[u8]) -> SignedRequest;
}

const JSON: (&str, &str) = ("content-type", "application/json");

fn json_request(extra: Option<(String, String)>, body: Vec<u8>) -> SignedRequest {
    let mut headers = vec![(JSON.0.to_owned(), JSON.1.to_owned())];
    headers.extend(extra);
    SignedRequest::new(headers, body)
}

impl Signer for Palenca {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        json_request(Some(self.authentication().sign(content)), content.to_vec())
    }
}

impl Signer for Munity {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        json_request(Some(self.authentication().sign(content)), content.to_vec())
    }
}

impl Signer for Receeve {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        let payload = String::from_utf8_lossy(content);
        json_request(None, self.signed_body(&payload))
    }
}

/// A provider payload: the body (for receeve, the `payload` object) before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    name: &'static str,
    content: String,
}

impl Fixture {
    /// A fixture from any content, for payloads of your own.
    #[must_use]
    pub fn new(name: &'static str, content: impl Into<String>) -> Self {
        Self {
            name,
            content: content.into(),
        }
    }

    /// The fixture's name (`"palenca/login_success"`, ...).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The content that gets signed.
    #[must_use]
    pub fn content(&self) -> &str {
        &self.content
    }

    /// The request a genuine sender configured like `signer` would send.
    #[must_use]
    pub fn signed_with<S: Signer + ?Sized>(&self, signer: &S) -> SignedRequest {
        signer.sign(self.content.as_bytes())
    }

    /// The same fixture with every occurrence of `from` replaced by `to`: for variations such
    /// as another message id.
    #[must_use]
    pub fn replace(mut self, from: &str, to: &str) -> Self {
        self.content = self.content.replace(from, to);
        self
    }
}

macro_rules! fixtures {
    ($provider:literal: $( $(#[$meta:meta])* $name:ident ),+ $(,)?) => {
        $(
            $(#[$meta])*
            #[must_use]
            pub fn $name() -> $crate::testing::Fixture {
                $crate::testing::Fixture::new(
                    concat!($provider, "/", stringify!($name)),
                    include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/tests/fixtures/",
                        $provider,
                        "/",
                        stringify!($name),
                        ".json"
                    )),
                )
            }
        )+

        /// Every fixture of this provider.
        #[must_use]
        pub fn all() -> Vec<$crate::testing::Fixture> {
            vec![$($name()),+]
        }
    };
}

/// Palenca fixtures: the three body shapes.
pub mod palenca {
    fixtures! { "palenca":
        /// Palenca's webhooks page example, verbatim: the legacy flat shape.
        account_created_flat,
        /// Palenca's gig tutorial's first example, verbatim: the envelope with
        /// `external_id: "None"` and `status_details: "pending_for_data"`.
        login_created,
        /// Palenca's gig tutorial's second example, verbatim: `status_details: null`.
        login_success,
        /// The older envelope shape (`data` without `external_id`/`status_details`).
        account_connected_envelope,
        /// The current envelope with `webhook_id` (the message id) and a reason code.
        login_error,
    }
}

/// receeve fixtures: `payload` objects, which the signer wraps in the envelope.
pub mod receeve {
    /// Signs receeve envelopes with a private key, as a public-key sender does (feature
    /// `public-key`): the counterpart of `Receeve::public_key`.
    #[cfg(feature = "public-key")]
    #[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
    #[derive(Debug, Clone)]
    pub struct KeySigner(crate::verify::PrivateKey);

    #[cfg(feature = "public-key")]
    impl KeySigner {
        /// A signer with `key`.
        #[must_use]
        pub fn new(key: crate::verify::PrivateKey) -> Self {
            Self(key)
        }
    }

    #[cfg(feature = "public-key")]
    impl super::Signer for KeySigner {
        fn sign(&self, content: &[u8]) -> super::SignedRequest {
            let payload = String::from_utf8_lossy(content);
            let signature = self.0.sign(payload.as_bytes());
            super::json_request(None, super::signing::receeve_envelope(&payload, &signature))
        }
    }

    fixtures! { "receeve":
        /// receeve's "Webhooks in Detail" example, verbatim.
        claim_created,
        /// `event.claimDebtPayment.processing.v1` with the documented fields.
        claim_debt_payment_processing,
        /// `event.accountAmountTotalFees.updated.v1` with the documented fields.
        account_amount_total_fees_updated,
        /// `event.strategy.paused.v1`, a type without published fields.
        strategy_paused,
    }

    /// A message of any type with the given `details` fields (a JSON object's inner text,
    /// e.g. `"\"claimRef\":\"C-1\""`), id and timestamp.
    #[must_use]
    pub fn message(message_type: &str, details: &str, message_id: &str) -> super::Fixture {
        let sep = if details.is_empty() { "" } else { "," };
        super::Fixture::new(
            "receeve/message",
            format!(
                r#"{{"details":{{"messageType":{}{sep}{details}}},"messageId":{},"timestamp":"2021-10-14T15:33:16.848Z"}}"#,
                serde_json::Value::from(message_type),
                serde_json::Value::from(message_id),
            ),
        )
    }
}

/// Munity fixtures: one for each of the eight documented events.
pub mod munity {
    fixtures! { "munity":
        /// `webhook_test`.
        webhook_test,
        /// `integration_new_data_model`.
        integration_new_data_model,
        /// `integration_updated_data_model`.
        integration_updated_data_model,
        /// `integration_deleted_data_model`.
        integration_deleted_data_model,
        /// `integration_installed`.
        integration_installed,
        /// `integration_import_done`.
        integration_import_done,
        /// `integration_cannot_refresh_oauth_token`.
        integration_cannot_refresh_oauth_token,
        /// `integration_oauth_token_fixed`.
        integration_oauth_token_fixed,
    }
}

#[cfg(feature = "public-key")]
#[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
pub mod discord;
pub mod github;
pub mod intercom;
pub mod linear;
pub mod paddle;
#[cfg(feature = "public-key")]
#[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
pub mod sendgrid;
pub mod shopify;
/// Standard Webhooks signing and the specification's example.
mod signing;
pub mod slack;
pub mod square;
pub mod standard;
pub mod stripe;
pub mod twilio;
pub mod zoom;

#[cfg(feature = "actix-web")]
pub mod actix;
