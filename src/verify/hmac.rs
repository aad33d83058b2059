//! HMAC-SHA256 (or, for the senders that still use it, HMAC-SHA1) of chosen bytes, carried hex
//! or base64 in a header.

use std::borrow::Cow;
use std::sync::Arc;

use hmac::{KeyInit, Mac};

use super::encoding::{self, MAC_LEN, SHA1_MAC_LEN, SignatureEncoding, strip_prefix_ignore_case};
use crate::headers::text;
use crate::{ConfigError, Error, Headers, Keyring, Verified};

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;
pub(crate) type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// The hash function under an [`HmacScheme`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MacAlgorithm {
    /// HMAC-SHA256, 32-byte MACs: the default.
    #[default]
    Sha256,
    /// HMAC-SHA1, 20-byte MACs: only for senders that still sign with it (Twilio's
    /// `X-Twilio-Signature`, Intercom's `X-Hub-Signature`). HMAC-SHA1 is not broken the way
    /// SHA-1's collision resistance is (HMAC needs neither collision nor second-preimage
    /// resistance), but never choose it for a sender that offers SHA-256.
    Sha1,
}

const FEW_KEYS: usize = 4;

/// The MACs of one message under every key of a keyring.
pub(crate) enum Tags {
    /// One key (the usual keyring outside a rotation): no array to fill.
    One([u8; MAC_LEN]),
    Few([[u8; MAC_LEN]; FEW_KEYS], usize),
    Many(Vec<[u8; MAC_LEN]>),
}

impl Tags {
    /// Whether `signature` equals any of the MACs. Each comparison is constant-time
    /// (`subtle`), and every MAC is compared: the answer does not depend on which key matched.
    pub(crate) fn matches(&self, signature: &[u8; MAC_LEN]) -> bool {
        use subtle::ConstantTimeEq as _;
        let tags: &[[u8; MAC_LEN]] = match self {
            Tags::One(one) => std::slice::from_ref(one),
            Tags::Few(few, n) => few.get(..*n).unwrap_or_default(),
            Tags::Many(many) => many,
        };
        let matched = tags.iter().fold(subtle::Choice::from(0), |acc, tag| {
            acc | tag.ct_eq(signature)
        });
        bool::from(matched)
    }
}

/// HMAC keys ready for use: the key schedule is computed once at start-up and cloned per
/// check. [`MacKeys`] for SHA-256; [`Sha1Keys`] for the senders that still sign with SHA-1 (a
/// scheme holds them only when built for it, so the SHA-256 path is untouched).
pub(crate) struct Keys<M> {
    pub(crate) keys: Arc<[M]>,
}

/// HMAC-SHA256 keys.
pub(crate) type MacKeys = Keys<HmacSha256>;
/// HMAC-SHA1 keys.
pub(crate) type Sha1Keys = Keys<HmacSha1>;

impl<M> Clone for Keys<M> {
    fn clone(&self) -> Self {
        Self {
            keys: Arc::clone(&self.keys),
        }
    }
}

impl<M: Mac + KeyInit + Clone> Keys<M> {
    pub(crate) fn new(keyring: &Keyring) -> Self {
        let keys = keyring
            .secrets()
            .iter()
            // HMAC accepts keys of any length, so this never fails; an empty key is already
            // refused by `Secret::new`.
            .filter_map(|s| M::new_from_slice(s.expose()).ok())
            .collect();
        Self { keys }
    }

    /// Whether any key's MAC over the `context` parts followed by `payload` equals
    /// `signature`, compared in constant time by `verify_slice`.
    pub(crate) fn verify(&self, context: &[&[u8]], payload: &[u8], signature: &[u8]) -> bool {
        self.keys.iter().any(|key| {
            let mut mac = key.clone();
            for part in context.iter().chain([&payload]) {
                super::work::hashed(part.len());
                mac.update(part);
            }
            mac.verify_slice(signature).is_ok()
        })
    }
}

impl MacKeys {
    /// No key: nothing verifies (a Standard Webhooks scheme that checks only `v1a`).
    #[cfg(feature = "public-key")]
    pub(crate) fn empty() -> Self {
        Self { keys: Arc::new([]) }
    }

    /// Every key's MAC over the concatenated `parts`, to compare several candidate signatures
    /// against without hashing again. Up to four keys stay on the stack.
    pub(crate) fn tags(&self, parts: &[&[u8]]) -> Tags {
        let tag = |key: &HmacSha256| -> [u8; MAC_LEN] {
            let mut mac = key.clone();
            super::work::hashed(parts.iter().map(|p| p.len()).sum());
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().into()
        };
        if let [key] = &*self.keys {
            Tags::One(tag(key))
        } else if self.keys.len() <= FEW_KEYS {
            let mut few = [[0u8; MAC_LEN]; FEW_KEYS];
            for (slot, key) in few.iter_mut().zip(self.keys.iter()) {
                *slot = tag(key);
            }
            Tags::Few(few, self.keys.len())
        } else {
            Tags::Many(self.keys.iter().map(tag).collect())
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// HMAC-SHA256 of chosen bytes: the raw body with the signature in a header whose name,
/// encoding and optional prefix the user configures ([`new`](HmacScheme::new),
/// [`verify`](HmacScheme::verify)), or any content a sender signs around or inside the body,
/// with the signature wherever the sender puts it ([`in_body`](HmacScheme::in_body),
/// [`verify_parts`](HmacScheme::verify_parts): `{timestamp}.{body}`, `v0:{timestamp}:{body}`,
/// a signed field of the body).
///
/// Every key of the keyring is tried; comparison is constant-time. The signature is decoded
/// onto the stack: verification allocates nothing.
///
/// HMAC-SHA256 unless [`algorithm`](HmacScheme::algorithm) says [`MacAlgorithm::Sha1`], for
/// the senders that still sign with it.
///
/// ```
/// use webhook_receiver::{Secret, verify::{HmacScheme, SignatureEncoding}};
/// let scheme = HmacScheme::new("X-Signature", Secret::new("key").unwrap())
///     .unwrap()
///     .encoding(SignatureEncoding::Hex)
///     .prefix("sha256=");
/// let body = b"{}";
/// # #[cfg(feature = "testing")] {
/// let header = scheme.sign(body);
/// assert!(header.starts_with("sha256="));
/// assert!(scheme.verify(&[("x-signature", header.as_str())], body).is_ok());
/// # }
/// assert!(scheme.verify(&[("x-signature", "sha256=00")], body).is_err());
/// ```
#[derive(Clone)]
pub struct HmacScheme {
    /// `None` for a scheme of signatures carried in the body.
    header: Option<Cow<'static, str>>,
    pub(crate) encoding: SignatureEncoding,
    pub(crate) prefix: Option<Cow<'static, str>>,
    pub(crate) keys: MacKeys,
    /// `Some` for an HMAC-SHA1 scheme: then these keys verify and `keys` is unused.
    pub(crate) sha1: Option<Sha1Keys>,
    /// The secrets, to build the keys of another algorithm ([`HmacScheme::algorithm`]).
    keyring: Keyring,
}

impl HmacScheme {
    /// A scheme reading hex signatures from `header`, checked against every key of `keys`.
    ///
    /// # Errors
    /// [`ConfigError`] when `header` is not a valid header name.
    pub fn new(header: &str, keys: impl Into<Keyring>) -> Result<Self, ConfigError> {
        Ok(Self {
            header: Some(Cow::Owned(super::header_name(header)?)),
            ..Self::in_body(keys)
        })
    }

    /// A scheme for senders that sign bytes inside the body and carry the signature there too
    /// (receeve's `payloadAsString` and `signature`): the caller finds both and hands them to
    /// [`verify_parts`](HmacScheme::verify_parts). Hex signatures unless
    /// [`encoding`](HmacScheme::encoding) says otherwise; such a scheme has no
    /// [`header`](HmacScheme::header), and its [`verify`](HmacScheme::verify) answers
    /// [`Error::MissingSignature`].
    ///
    /// ```
    /// use webhook_receiver::{Error, Secret, verify::{HmacScheme, SignatureEncoding}};
    /// let scheme = HmacScheme::in_body(Secret::new("key").unwrap()).encoding(SignatureEncoding::HexOrBase64);
    /// // A well-formed MAC, but not one this key makes.
    /// let mac = "a9d5aa3a8a8bd4d1a51e6e0baa8a8e1bb2ff6abd0ab4b1cef4d1bd1ba9a37b2c";
    /// assert!(matches!(scheme.verify_parts(&[], b"{}", mac), Err(Error::InvalidSignature)));
    /// assert!(matches!(scheme.verify_parts(&[], b"{}", ""), Err(Error::MalformedSignature { .. })));
    /// ```
    #[must_use]
    pub fn in_body(keys: impl Into<Keyring>) -> Self {
        let keyring = keys.into();
        Self {
            header: None,
            encoding: SignatureEncoding::Hex,
            prefix: None,
            keys: MacKeys::new(&keyring),
            sha1: None,
            keyring,
        }
    }

    /// A scheme reading the signature from a header this crate names (lower case, a valid
    /// header name: the presets' own constants), so that building it cannot fail.
    pub(crate) fn for_header(header: &'static str, keys: impl Into<Keyring>) -> Self {
        debug_assert_eq!(super::header_name(header).ok().as_deref(), Some(header));
        Self {
            header: Some(Cow::Borrowed(header)),
            ..Self::in_body(keys)
        }
    }

    /// Sets the hash function (default [`MacAlgorithm::Sha256`]).
    ///
    /// ```
    /// use webhook_receiver::{Secret, verify::{HmacScheme, MacAlgorithm}};
    /// // Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`.
    /// let scheme = HmacScheme::new("x-hub-signature", Secret::new("client-secret").unwrap())
    ///     .unwrap()
    ///     .algorithm(MacAlgorithm::Sha1)
    ///     .prefix("sha1=");
    /// # #[cfg(feature = "testing")] {
    /// let header = scheme.sign(b"{}");
    /// assert_eq!(header.len(), "sha1=".len() + 40);
    /// assert!(scheme.verify(&[("X-Hub-Signature", header.as_str())], b"{}").is_ok());
    /// # }
    /// ```
    #[must_use]
    pub fn algorithm(mut self, algorithm: MacAlgorithm) -> Self {
        self.sha1 = match algorithm {
            MacAlgorithm::Sha1 => Some(Sha1Keys::new(&self.keyring)),
            MacAlgorithm::Sha256 => None,
        };
        self
    }

    /// The hash function.
    #[must_use]
    pub fn mac_algorithm(&self) -> MacAlgorithm {
        match self.sha1 {
            Some(_) => MacAlgorithm::Sha1,
            None => MacAlgorithm::Sha256,
        }
    }

    /// Sets how the signature is encoded (default hex).
    #[must_use]
    pub fn encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Requires the signature to start with `prefix` (such as `sha256=`), compared without
    /// regard to ASCII case.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = (!prefix.is_empty()).then(|| Cow::Owned(prefix.to_owned()));
        self
    }

    /// The header the signature is read from (lower case); `None` for an
    /// [`in_body`](HmacScheme::in_body) scheme.
    #[must_use]
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    /// Authenticates `body` against the signature header.
    ///
    /// # Errors
    /// [`Error::MissingSignature`] when the header is absent (always, for an
    /// [`in_body`](HmacScheme::in_body) scheme), and the errors of
    /// [`verify_parts`](HmacScheme::verify_parts).
    pub fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let missing = || Error::MissingSignature {
            location: self
                .header
                .clone()
                .unwrap_or(Cow::Borrowed("signature header")),
        };
        let header = self.header.as_deref().ok_or_else(missing)?;
        let value = headers.get(header).ok_or_else(missing)?;
        let value = text(value).ok_or(Error::MalformedSignature {
            reason: "not UTF-8",
        })?;
        self.verify_parts(&[], body, value)
    }

    /// Authenticates `payload` signed together with `context`: checks that `signature` (as the
    /// sender wrote it: prefix, then the MAC in the configured encoding; white space around it
    /// is ignored) is the HMAC, under one of the keys, of the `context` parts followed by
    /// `payload`, and hands back `payload` as [`Verified`]. No header is read: the caller
    /// finds the signature and the context (a timestamp header, a version tag) where its
    /// sender puts them. This is how a provider of your own verifies a scheme this crate does
    /// not name:
    ///
    /// | sender signs | `context` | `payload` |
    /// |---|---|---|
    /// | `{timestamp}.{body}` | `[timestamp, b"."]` | the body |
    /// | `v0:{timestamp}:{body}` | `[b"v0:", timestamp, b":"]` | the body |
    /// | a field of the body | `[]` | the field's bytes |
    ///
    /// The MAC always covers `payload`, so what comes back is exactly what was signed; bytes
    /// outside `payload` (the context) are authenticated too, but are not parsed.
    ///
    /// ```
    /// use webhook_receiver::{Secret, verify::{HmacScheme, SignatureEncoding}};
    /// let scheme = HmacScheme::in_body(Secret::new("key").unwrap()).prefix("v0=");
    /// let (timestamp, body) = (b"1700000000", br#"{"type":"ping"}"#);
    /// # #[cfg(feature = "testing")] {
    /// let signature = scheme.sign(&[&b"v0:"[..], timestamp, b":", body].concat());
    /// let verified = scheme.verify_parts(&[b"v0:", timestamp, b":"], body, &signature).unwrap();
    /// assert_eq!(verified.payload(), body);
    /// // The same signature over another timestamp does not verify.
    /// assert!(scheme.verify_parts(&[b"v0:", b"1700000001", b":"], body, &signature).is_err());
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::MalformedSignature`] when `signature` is empty, lacks the prefix, or is not a
    /// MAC of the algorithm's length (32 bytes, 20 for SHA-1) in the configured encoding,
    /// [`Error::InvalidSignature`] when no key matches.
    pub fn verify_parts<'a>(
        &self,
        context: &[&[u8]],
        payload: &'a [u8],
        signature: &str,
    ) -> Result<Verified<'a>, Error> {
        let value = signature.trim();
        let value = match &self.prefix {
            None => value,
            Some(prefix) => {
                strip_prefix_ignore_case(value, prefix).ok_or(Error::MalformedSignature {
                    reason: "missing the configured prefix",
                })?
            }
        };
        let matched = match &self.sha1 {
            None => {
                let mac = encoding::mac(value, self.encoding)?;
                self.keys.verify(context, payload, &mac)
            }
            Some(sha1) => {
                let mac = encoding::mac_of::<SHA1_MAC_LEN>(value, self.encoding)?;
                sha1.verify(context, payload, &mac)
            }
        };
        if matched {
            Ok(Verified::new(payload))
        } else {
            Err(Error::InvalidSignature)
        }
    }
}

impl std::fmt::Debug for HmacScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HmacScheme")
            .field("header", &self.header)
            .field("encoding", &self.encoding)
            .field("prefix", &self.prefix)
            .field("algorithm", &self.mac_algorithm())
            .field("keys", &self.keys.len())
            .finish()
    }
}
