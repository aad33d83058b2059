//! Signing as the senders do: the other side of every scheme, for tests only. The library's
//! own builds never sign anything, so this code is compiled with the `testing` kit alone.

use crate::providers::receeve::Receeve;
use crate::verify::encoding::{SignatureEncoding, encode_mac};
use crate::verify::hmac::Keys;
use crate::verify::{Authentication, HmacScheme, StandardScheme, TokenScheme};

impl<M: hmac::Mac + Clone> Keys<M> {
    /// The primary key's MAC over the concatenated `parts` (zeros without a key).
    pub(crate) fn sign(&self, parts: &[&[u8]]) -> Vec<u8> {
        self.keys.first().map_or_else(
            || hmac::digest::Output::<M>::default().to_vec(),
            |key| {
                let mut mac = key.clone();
                for part in parts {
                    mac.update(part);
                }
                mac.finalize().into_bytes().to_vec()
            },
        )
    }
}

impl HmacScheme {
    /// The signature a genuine sender would send for `signed` (the header value, or for an
    /// [`in_body`](HmacScheme::in_body) scheme the signature field), made with the primary
    /// secret: prefix (if any) and the MAC in the configured encoding (hex for
    /// [`SignatureEncoding::HexOrBase64`]).
    #[must_use]
    pub fn sign(&self, signed: &[u8]) -> String {
        self.sign_parts(&[signed])
    }

    /// As [`sign`](HmacScheme::sign), over the concatenation of `parts`.
    pub(crate) fn sign_parts(&self, parts: &[&[u8]]) -> String {
        let encoded = match &self.sha1 {
            None => encode_mac(&self.keys.sign(parts), self.encoding),
            Some(sha1) => encode_mac(&sha1.sign(parts), self.encoding),
        };
        match &self.prefix {
            Some(prefix) => format!("{prefix}{encoded}"),
            None => encoded,
        }
    }
}

impl TokenScheme {
    /// The header value a genuine sender would send: prefix and primary token.
    #[must_use]
    pub fn sign(&self) -> String {
        let token = String::from_utf8_lossy(self.primary.expose());
        match &self.prefix {
            Some(prefix) => format!("{prefix}{token}"),
            None => token.into_owned(),
        }
    }
}

impl Authentication {
    /// The header name and value a genuine sender would attach to `body`, using the primary
    /// secret.
    #[must_use]
    pub fn sign(&self, body: &[u8]) -> (String, String) {
        match self {
            Authentication::Hmac(scheme) => (
                scheme.header().unwrap_or_default().to_owned(),
                scheme.sign(body),
            ),
            Authentication::Token(scheme) => (scheme.header().to_owned(), scheme.sign()),
        }
    }
}

impl StandardScheme {
    /// The `v1,<base64>` signature a genuine sender would put in `webhook-signature` for this
    /// id, timestamp (unix seconds) and body, made with the primary secret.
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let timestamp = timestamp.to_string();
        let mac = self
            .keys
            .sign(&[id.as_bytes(), b".", timestamp.as_bytes(), b".", body]);
        format!("v1,{}", encode_mac(&mac, SignatureEncoding::Base64))
    }
}

impl Receeve {
    /// The body a genuine sender would post for `payload` (the JSON text of the `payload`
    /// object): the envelope with `payload`, `signature` (HMAC with the primary key, hex unless
    /// the encoding is fixed to base64) and `payloadAsString`.
    ///
    /// A public-key receiver holds no private key, so its envelope carries an empty signature
    /// that will not verify: sign with `testing::receeve::KeySigner` instead.
    #[must_use]
    pub fn signed_body(&self, payload: &str) -> Vec<u8> {
        let signature = self
            .hmac_scheme()
            .map(|scheme| scheme.sign(payload.as_bytes()))
            .unwrap_or_default();
        receeve_envelope(payload, &signature)
    }
}

/// The envelope receeve posts for `payload` with `signature`. `payload` must be JSON text;
/// where it is not, the body carries only `payloadAsString` (which verification then rejects as
/// not JSON after the signature).
pub(crate) fn receeve_envelope(payload: &str, signature: &str) -> Vec<u8> {
    use serde_json::value::RawValue;
    let quoted = serde_json::Value::String(payload.to_owned()).to_string();
    let object = serde_json::from_str::<&RawValue>(payload)
        .map(RawValue::get)
        .unwrap_or("null");
    let signature = serde_json::Value::String(signature.to_owned()).to_string();
    format!(r#"{{"payload":{object},"signature":{signature},"payloadAsString":{quoted}}}"#)
        .into_bytes()
}
