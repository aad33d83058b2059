//! SendGrid Event Webhook batches signed as SendGrid signs them (feature `public-key`).

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::providers::sendgrid::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::testing::{SignedRequest, Signer};
use crate::verify::PrivateKey;

/// A P-256 private key signing batches as SendGrid does: the base64 DER signature of the
/// timestamp (now on the signer's clock) followed by the body. The receiver holds only the
/// public key, so signing needs this second value (as receeve's `KeySigner`).
#[derive(Debug, Clone)]
pub struct KeySigner {
    key: PrivateKey,
    clock: Arc<dyn Clock>,
}

impl KeySigner {
    /// A signer with `key` (an ECDSA P-256 key), on the system clock.
    #[must_use]
    pub fn new(key: PrivateKey) -> Self {
        Self {
            key,
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets the clock the timestamps are read from.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The public key as SendGrid shows it (base64 of DER SubjectPublicKeyInfo): what
    /// `SendGrid::new` takes.
    #[must_use]
    pub fn public_key_base64(&self) -> String {
        self.key.public_key().to_der_base64()
    }

    /// The request SendGrid would send for `body` at `timestamp` (unix seconds).
    #[must_use]
    pub fn sign_at(&self, timestamp: i64, body: &[u8]) -> SignedRequest {
        let ts = timestamp.to_string();
        let signature = self.key.sign(&[ts.as_bytes(), body].concat());
        SignedRequest::new(
            vec![
                (SIGNATURE_HEADER.to_owned(), signature),
                (TIMESTAMP_HEADER.to_owned(), ts),
                ("content-type".to_owned(), "application/json".to_owned()),
            ],
            body.to_vec(),
        )
    }
}

impl Signer for KeySigner {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        let now = i64::try_from(self.clock.now_unix_nanos() / 1_000_000_000).unwrap_or(i64::MAX);
        self.sign_at(now, content)
    }
}
