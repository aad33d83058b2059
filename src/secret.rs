//! Secrets that never print, and keyrings of several for rotation.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::ConfigError;

/// Key material shared with a sender: an HMAC key or a shared token.
///
/// Its `Debug` prints `Secret([redacted])`; it has no `Display` and no `Serialize`, so it
/// cannot end up in a log line or an error by accident. Cloning is cheap (the bytes are
/// shared), and the bytes are wiped (`zeroize`) when the last clone is dropped. The keyed HMAC
/// states built from a secret are wiped on drop too.
///
/// ```
/// use webhook_receiver::Secret;
/// let secret = Secret::new("s3cr3t").unwrap();
/// assert_eq!(format!("{secret:?}"), "Secret([redacted])");
/// assert!(Secret::new("").is_err());
/// ```
#[derive(Clone)]
pub struct Secret(Arc<Zeroizing<Vec<u8>>>);

impl Secret {
    /// A secret from raw bytes (or text: `&str` and `String` convert).
    ///
    /// # Errors
    /// [`ConfigError`] when the secret is empty: an empty key would authenticate anyone who
    /// knows the scheme.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.is_empty() {
            return Err(ConfigError::new("secret is empty"));
        }
        Ok(Self(Arc::new(bytes)))
    }

    /// A secret given as hex text (either case).
    ///
    /// # Errors
    /// [`ConfigError`] when the text is empty or not hex.
    pub fn from_hex(text: &str) -> Result<Self, ConfigError> {
        let bytes =
            hex::decode(text.trim()).map_err(|_| ConfigError::new("secret is not valid hex"))?;
        Self::new(bytes)
    }

    /// A secret given as standard base64 text (with or without padding).
    ///
    /// # Errors
    /// [`ConfigError`] when the text is empty or not base64.
    pub fn from_base64(text: &str) -> Result<Self, ConfigError> {
        let bytes = crate::verify::encoding::base64_to_vec(text.trim())
            .ok_or_else(|| ConfigError::new("secret is not valid base64"))?;
        Self::new(bytes)
    }

    /// The key bytes. Crate-private so that no public path hands them out.
    pub(crate) fn expose(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// One or more secrets accepted at the same time, so a sender's key can be rotated without
/// downtime: add the new secret, let the sender switch, then drop the old one.
///
/// A keyring is never empty. The first secret is the *primary*: it is the one the testing kit
/// signs with.
///
/// ```
/// use webhook_receiver::{Keyring, Secret};
/// let keys = Keyring::new(Secret::new("new-key").unwrap()).with(Secret::new("old-key").unwrap());
/// assert_eq!(keys.len(), 2);
/// assert_eq!(format!("{keys:?}"), "Keyring { secrets: 2 }");
/// ```
#[derive(Clone)]
pub struct Keyring {
    secrets: Vec<Secret>,
}

impl Keyring {
    /// A keyring with one secret.
    #[must_use]
    pub fn new(primary: Secret) -> Self {
        Self {
            secrets: vec![primary],
        }
    }

    /// Adds another accepted secret.
    #[must_use]
    pub fn with(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// A keyring from a list of secrets; the first is the primary.
    ///
    /// # Errors
    /// [`ConfigError`] when the list is empty.
    pub fn from_secrets(secrets: impl IntoIterator<Item = Secret>) -> Result<Self, ConfigError> {
        let secrets: Vec<Secret> = secrets.into_iter().collect();
        if secrets.is_empty() {
            return Err(ConfigError::new("keyring has no secret"));
        }
        Ok(Self { secrets })
    }

    /// How many secrets are accepted.
    #[must_use]
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Always `false`: a keyring holds at least one secret.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The secrets, primary first.
    pub(crate) fn secrets(&self) -> &[Secret] {
        &self.secrets
    }
}

impl From<Secret> for Keyring {
    fn from(secret: Secret) -> Self {
        Self::new(secret)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    /// Compiles only while key material is wiped on drop: the secret's bytes, and the SHA-256
    /// states an HMAC key is turned into (the inner and outer pad states of `hmac::HmacCore`
    /// are `Sha256VarCore`s; they wipe themselves with `sha2`'s feature `zeroize`).
    #[test]
    fn key_material_is_wiped_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<zeroize::Zeroizing<Vec<u8>>>();
        wiped_on_drop::<sha2::block_api::Sha256VarCore>();
    }
}
