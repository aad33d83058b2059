//! Discord interactions signed as Discord signs them (feature `public-key`).

use std::sync::Arc;

use ed25519_dalek::Signer as _;

use crate::clock::{Clock, SystemClock};
use crate::providers::discord::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::testing::{SignedRequest, Signer};

/// An application's Ed25519 private key, signing interactions as Discord does: the hex
/// signature of the timestamp (now on the signer's clock) followed by the body. The receiver
/// holds only the public key, so signing needs this second value (as receeve's `KeySigner`).
/// `Debug` prints no key.
#[derive(Clone)]
pub struct KeySigner {
    key: ed25519_dalek::SigningKey,
    clock: Arc<dyn Clock>,
}

impl KeySigner {
    /// The key whose 32-byte seed is `seed`, on the system clock.
    #[must_use]
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets the clock the timestamps are read from.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The public key in hex, as the developer portal shows it: what `Discord::new` takes.
    #[must_use]
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// The request Discord would send for `body` at `timestamp` (unix seconds).
    #[must_use]
    pub fn sign_at(&self, timestamp: i64, body: &[u8]) -> SignedRequest {
        let ts = timestamp.to_string();
        let signature = self.key.sign(&[ts.as_bytes(), body].concat());
        SignedRequest::new(
            vec![
                (
                    SIGNATURE_HEADER.to_owned(),
                    hex::encode(signature.to_bytes()),
                ),
                (TIMESTAMP_HEADER.to_owned(), ts),
                ("content-type".to_owned(), "application/json".to_owned()),
            ],
            body.to_vec(),
        )
    }
}

impl std::fmt::Debug for KeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySigner([redacted])")
    }
}

impl Signer for KeySigner {
    fn sign(&self, content: &[u8]) -> SignedRequest {
        let now = i64::try_from(self.clock.now_unix_nanos() / 1_000_000_000).unwrap_or(i64::MAX);
        self.sign_at(now, content)
    }
}
