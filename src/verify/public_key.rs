//! Public-key signatures over SHA-256: RSA PKCS#1 v1.5 and ECDSA P-256 (feature `public-key`).
//!
//! Used where a sender signs with a private key and publishes the public key as PEM (receeve's
//! documented Node sample: `crypto.createVerify("SHA256")` over `payloadAsString`, base64
//! signature). The algorithm is read from the key at start-up; nothing in a request chooses it.
//!
//! The feature builds on the crate's minimum Rust version (1.88), above the `rsa` crate's 1.87.

use std::fmt;
use std::sync::Arc;

use p256::pkcs8::DecodePublicKey as _;
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::signature::hazmat::PrehashVerifier as _;
use rsa::traits::PublicKeyParts as _;
use sha2::{Digest as _, Sha256};

use crate::{ConfigError, Error, Verified};

/// The longest signature accepted: an RSA signature is as long as the modulus, and the `rsa`
/// crate accepts moduli up to 8192 bits. ECDSA P-256 DER signatures are at most 72 bytes.
const MAX_SIGNATURE_LEN: usize = 8192 / 8;

/// The signature algorithm a [`PublicKey`] verifies, fixed by the key's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
pub enum KeyAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`RS256`).
    RsaPkcs1v15Sha256,
    /// ECDSA on P-256 with SHA-256 (`ES256`), signature in ASN.1 DER.
    EcdsaP256Sha256,
}

enum Key {
    Rsa(rsa::pkcs1v15::VerifyingKey<Sha256>),
    P256(p256::ecdsa::VerifyingKey),
}

/// A sender's public key: RSA (PKCS#1 v1.5 signatures) or ECDSA P-256, both with SHA-256.
///
/// Read once at start-up from PEM; cheap to clone. Public keys are not secret, but `Debug`
/// prints only the algorithm and size.
///
/// ```
/// use webhook_receiver::verify::{KeyAlgorithm, PublicKey};
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETAez7YIPSDrX7yDEUWiVI6u/XXH9
/// 9bFgmOEn57el/PHctJ9sC0egWs5mplME/2ktUcQ4qS9B5j9KAmKuJbJhvg==
/// -----END PUBLIC KEY-----";
/// let key = PublicKey::from_pem(pem).unwrap();
/// assert_eq!(key.algorithm(), KeyAlgorithm::EcdsaP256Sha256);
/// assert!(PublicKey::from_pem("not a key").is_err());
/// ```
#[derive(Clone)]
#[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
pub struct PublicKey {
    key: Arc<Key>,
}

impl PublicKey {
    /// Reads a public key from PEM: SPKI (`-----BEGIN PUBLIC KEY-----`, RSA or EC P-256) or
    /// PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`). Surrounding white space is ignored.
    ///
    /// # Errors
    /// [`ConfigError`] when the text is not PEM, holds a private key or a certificate rather
    /// than a public key, or holds a key of another type (P-384, Ed25519, DSA, ...).
    pub fn from_pem(pem: &str) -> Result<Self, ConfigError> {
        let pem = pem.trim();
        let key = match pem_label(pem) {
            Some("PUBLIC KEY") => {
                if let Ok(key) = rsa::PublicKey::from_public_key_pem(pem) {
                    Key::Rsa(rsa::pkcs1v15::VerifyingKey::new(key))
                } else if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
                    Key::P256(key)
                } else {
                    return Err(ConfigError::new(
                        "public key is neither RSA nor ECDSA P-256, or is malformed",
                    ));
                }
            }
            Some("RSA PUBLIC KEY") => {
                let key = rsa::PublicKey::from_pkcs1_pem(pem)
                    .map_err(|_| ConfigError::new("malformed PKCS#1 RSA public key"))?;
                Key::Rsa(rsa::pkcs1v15::VerifyingKey::new(key))
            }
            Some(label) if label.contains("PRIVATE KEY") => {
                return Err(ConfigError::new(
                    "this is a private key: configure the sender's public key",
                ));
            }
            Some("CERTIFICATE") => {
                return Err(ConfigError::new(
                    "this is a certificate: extract its public key (`openssl x509 -pubkey -noout`)",
                ));
            }
            _ => {
                return Err(ConfigError::new(
                    "not a PEM public key (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`)",
                ));
            }
        };
        Ok(Self { key: Arc::new(key) })
    }

    /// Reads a public key from DER-encoded SubjectPublicKeyInfo (what a PEM `PUBLIC KEY`
    /// block holds, without the armour): RSA or EC P-256. SendGrid shows its key as the base64
    /// of these bytes.
    ///
    /// # Errors
    /// [`ConfigError`] when the bytes are not such a key.
    pub fn from_der(der: &[u8]) -> Result<Self, ConfigError> {
        let key = if let Ok(key) = rsa::PublicKey::from_public_key_der(der) {
            Key::Rsa(rsa::pkcs1v15::VerifyingKey::new(key))
        } else if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            Key::P256(key)
        } else {
            return Err(ConfigError::new(
                "not a DER SubjectPublicKeyInfo of an RSA or ECDSA P-256 key",
            ));
        };
        Ok(Self { key: Arc::new(key) })
    }

    /// The algorithm signatures are checked with.
    #[must_use]
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &*self.key {
            Key::Rsa(_) => KeyAlgorithm::RsaPkcs1v15Sha256,
            Key::P256(_) => KeyAlgorithm::EcdsaP256Sha256,
        }
    }

    /// The key size in bits (the modulus for RSA, 256 for P-256).
    #[must_use]
    pub fn bits(&self) -> usize {
        match &*self.key {
            Key::Rsa(key) => key.as_ref().size() * 8,
            Key::P256(_) => 256,
        }
    }

    /// Whether `signature` is this key's signature of the message whose SHA-256 is `digest`.
    fn verifies(&self, digest: &[u8], signature: &[u8]) -> bool {
        match &*self.key {
            Key::Rsa(key) => rsa::pkcs1v15::Signature::try_from(signature)
                .is_ok_and(|signature| key.verify_prehash(digest, &signature).is_ok()),
            Key::P256(key) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|signature| key.verify_prehash(digest, &signature).is_ok()),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("bits", &self.bits())
            .finish()
    }
}

/// Verification of base64 signatures made with a sender's private key: RSA PKCS#1 v1.5 or
/// ECDSA P-256 (DER), both over SHA-256, the algorithm fixed by each configured key.
///
/// Holds one or several keys so the sender's key can be rotated without downtime: add the new
/// public key beside the old one and deploy, let the sender switch, then remove the old key. A
/// signature is accepted when any key verifies it.
///
/// ```
/// use webhook_receiver::verify::{PublicKey, PublicKeyScheme};
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETAez7YIPSDrX7yDEUWiVI6u/XXH9
/// 9bFgmOEn57el/PHctJ9sC0egWs5mplME/2ktUcQ4qS9B5j9KAmKuJbJhvg==
/// -----END PUBLIC KEY-----";
/// let scheme = PublicKeyScheme::new(PublicKey::from_pem(pem).unwrap());
/// let message = b"{\"messageId\":\"1\"}";
/// let signature = "MEYCIQCSie8zuptKaAlP59AuYzpu3JGHAg3niIlMjxXNGtphtgIhAOtvhQ+bc6e0rn0VIjA/d8ZDLStdZfAUYprPDbe4DeS3";
/// assert!(scheme.verify_parts(&[], message, signature).is_ok());
/// assert!(scheme.verify_parts(&[], b"{\"messageId\":\"2\"}", signature).is_err());
/// ```
#[derive(Clone)]
#[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
pub struct PublicKeyScheme {
    keys: Arc<[PublicKey]>,
}

impl PublicKeyScheme {
    /// A scheme accepting signatures made with `key`'s private key.
    #[must_use]
    pub fn new(key: PublicKey) -> Self {
        Self {
            keys: Arc::from([key]),
        }
    }

    /// A scheme with one key read from PEM, as [`PublicKey::from_pem`].
    ///
    /// # Errors
    /// As [`PublicKey::from_pem`].
    pub fn from_pem(pem: &str) -> Result<Self, ConfigError> {
        PublicKey::from_pem(pem).map(Self::new)
    }

    /// A scheme accepting any of `keys`.
    ///
    /// # Errors
    /// [`ConfigError`] when `keys` is empty.
    pub fn from_keys(keys: impl IntoIterator<Item = PublicKey>) -> Result<Self, ConfigError> {
        let keys: Arc<[PublicKey]> = keys.into_iter().collect();
        if keys.is_empty() {
            return Err(ConfigError::new("no public key configured"));
        }
        Ok(Self { keys })
    }

    /// Also accepts signatures made with `key`'s private key (rotation).
    #[must_use]
    pub fn with(self, key: PublicKey) -> Self {
        let mut keys = self.keys.to_vec();
        keys.push(key);
        Self { keys: keys.into() }
    }

    /// The accepted keys, in the order given.
    #[must_use]
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// Authenticates `payload` signed together with `context`: checks that `signature_base64`
    /// is a signature, by one of the keys, of the `context` parts followed by `payload`, and
    /// hands back `payload` as [`Verified`] (as
    /// [`HmacScheme::verify_parts`](super::HmacScheme::verify_parts)).
    ///
    /// The signature is standard base64 (padding optional, surrounding white space ignored),
    /// decoded onto the stack. The message is hashed once, whatever the number of keys.
    ///
    /// # Errors
    /// [`Error::MalformedSignature`] when the signature is empty, not base64, or longer than
    /// any supported key's signature; [`Error::InvalidSignature`] when no key verifies it
    /// (including bytes that are not a signature of the key's type at all).
    pub fn verify_parts<'a>(
        &self,
        context: &[&[u8]],
        payload: &'a [u8],
        signature_base64: &str,
    ) -> Result<Verified<'a>, Error> {
        let mut buf = [0u8; MAX_SIGNATURE_LEN];
        let signature = super::encoding::base64_into(signature_base64, &mut buf)?;
        let mut hash = Sha256::new();
        for part in context.iter().chain([&payload]) {
            super::work::hashed(part.len());
            hash.update(part);
        }
        let digest = hash.finalize();
        if self.keys.iter().any(|key| key.verifies(&digest, signature)) {
            Ok(Verified::new(payload))
        } else {
            Err(Error::InvalidSignature)
        }
    }
}

impl From<PublicKey> for PublicKeyScheme {
    fn from(key: PublicKey) -> Self {
        Self::new(key)
    }
}

impl fmt::Debug for PublicKeyScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKeyScheme")
            .field("keys", &self.keys)
            .finish()
    }
}

/// Ed25519 (RFC 8032), the one home of the algorithm: Standard Webhooks `v1a` entries and
/// Discord interactions. Keys are checked to be valid points when read; verification is
/// strict (`verify_strict`: no small-order keys, no non-canonical signatures).
pub(crate) mod ed25519 {
    use crate::ConfigError;

    /// An Ed25519 public key from its 32 bytes.
    pub(crate) fn key(bytes: &[u8]) -> Result<ed25519_dalek::VerifyingKey, ConfigError> {
        let bytes = <[u8; 32]>::try_from(bytes)
            .map_err(|_| ConfigError::new("an ed25519 public key is 32 bytes"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| ConfigError::new("not a valid ed25519 public key"))
    }

    /// Whether any of `keys` signed `message` with `signature`: one pass over the message per
    /// key (ed25519 hashes it with the signature's own `R`, so nothing is shared).
    pub(crate) fn verifies(
        keys: &[ed25519_dalek::VerifyingKey],
        message: &[u8],
        signature: &[u8; 64],
    ) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        keys.iter().any(|key| {
            super::super::work::hashed(message.len());
            key.verify_strict(message, &signature).is_ok()
        })
    }
}

/// The label of the first PEM block (`PUBLIC KEY`, `RSA PUBLIC KEY`, ...).
fn pem_label(pem: &str) -> Option<&str> {
    pem.strip_prefix("-----BEGIN ")?
        .split_once("-----")
        .map(|(label, _)| label)
}

#[cfg(feature = "testing")]
pub use self::signing::PrivateKey;

#[cfg(feature = "testing")]
mod signing {
    use std::fmt;
    use std::sync::Arc;

    use base64::Engine as _;
    use p256::pkcs8::DecodePrivateKey as _;
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::signature::{Keypair as _, SignatureEncoding as _, Signer as _};
    use sha2::Sha256;

    use super::{Key, PublicKey};
    use crate::ConfigError;

    enum SigningKey {
        Rsa(rsa::pkcs1v15::SigningKey<Sha256>),
        P256(p256::ecdsa::SigningKey),
    }

    /// A private key that signs as a public-key sender would (testing kit only): RSA PKCS#1
    /// v1.5 or ECDSA P-256 (DER), both over SHA-256, base64.
    ///
    /// RSA PKCS#1 v1.5 signatures are deterministic, so they equal `openssl dgst -sha256
    /// -sign` byte for byte; ECDSA signatures here are deterministic too (RFC 6979), where
    /// OpenSSL's are random: both verify. `Debug` prints `PrivateKey([redacted])`.
    #[derive(Clone)]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "public-key", feature = "testing"))))]
    pub struct PrivateKey {
        key: Arc<SigningKey>,
    }

    impl PrivateKey {
        /// Reads a private key from PEM: PKCS#8 (`-----BEGIN PRIVATE KEY-----`, RSA or EC
        /// P-256), PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
        ///
        /// # Errors
        /// [`ConfigError`] when the text is not such a key (an encrypted key, another key
        /// type, a public key).
        pub fn from_pem(pem: &str) -> Result<Self, ConfigError> {
            let pem = pem.trim();
            let malformed = |_| ConfigError::new("not an RSA or ECDSA P-256 private key");
            let key = match super::pem_label(pem) {
                Some("PRIVATE KEY") => {
                    if let Ok(key) = rsa::PrivateKey::from_pkcs8_pem(pem) {
                        SigningKey::Rsa(rsa::pkcs1v15::SigningKey::new(key))
                    } else {
                        let key =
                            p256::ecdsa::SigningKey::from_pkcs8_pem(pem).map_err(malformed)?;
                        SigningKey::P256(key)
                    }
                }
                Some("RSA PRIVATE KEY") => {
                    let key = rsa::PrivateKey::from_pkcs1_pem(pem)
                        .map_err(|_| ConfigError::new("malformed PKCS#1 RSA private key"))?;
                    SigningKey::Rsa(rsa::pkcs1v15::SigningKey::new(key))
                }
                Some("EC PRIVATE KEY") => {
                    let key = p256::SecretKey::from_sec1_pem(pem)
                        .map_err(|_| ConfigError::new("not a SEC1 P-256 private key"))?;
                    SigningKey::P256(key.into())
                }
                _ => {
                    return Err(ConfigError::new(
                        "not a PEM private key (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`)",
                    ));
                }
            };
            Ok(Self { key: Arc::new(key) })
        }

        /// The base64 signature of `message`, as the sender would send it.
        ///
        /// # Panics
        /// Never for a key [`from_pem`](Self::from_pem) accepted (signing fails only for RSA
        /// moduli too short to hold a SHA-256 digest, which the `rsa` crate refuses to load).
        #[must_use]
        pub fn sign(&self, message: &[u8]) -> String {
            let bytes = match &*self.key {
                SigningKey::Rsa(key) => key.sign(message).to_vec(),
                SigningKey::P256(key) => {
                    let signature: p256::ecdsa::Signature = key.sign(message);
                    signature.to_der().as_bytes().to_vec()
                }
            };
            base64::engine::general_purpose::STANDARD.encode(bytes)
        }

        /// The matching public key, for the receiver's side of a test.
        #[must_use]
        pub fn public_key(&self) -> PublicKey {
            let key = match &*self.key {
                SigningKey::Rsa(key) => Key::Rsa(key.verifying_key()),
                SigningKey::P256(key) => Key::P256(*key.verifying_key()),
            };
            PublicKey { key: Arc::new(key) }
        }
    }

    impl PublicKey {
        /// An ECDSA P-256 key as base64 of its DER SubjectPublicKeyInfo (how SendGrid shows
        /// its key); empty for an RSA key, which no sender shows this way.
        #[must_use]
        pub(crate) fn to_der_base64(&self) -> String {
            // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (65 bytes) }:
            // the fixed header before an uncompressed P-256 point.
            const P256_SPKI_HEADER: [u8; 26] = [
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
            ];
            match &*self.key {
                Key::Rsa(_) => String::new(),
                Key::P256(key) => {
                    let point = key.to_sec1_point(false);
                    base64::engine::general_purpose::STANDARD
                        .encode([&P256_SPKI_HEADER[..], point.as_bytes()].concat())
                }
            }
        }
    }

    impl fmt::Debug for PrivateKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("PrivateKey([redacted])")
        }
    }
}
