//! HMAC-SHA256 of chosen bytes, carried hex or base64 in a header.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use hmac::{KeyInit, Mac};

use crate::headers::text;
use crate::{ConfigError, Error, Headers, Keyring, Verified};

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const MAC_LEN: usize = 32;

/// How the signature bytes are written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// 64 hex digits, either case.
    #[default]
    Hex,
    /// Standard base64 (`+/`), padded or not.
    Base64,
    /// Either of the above, told apart by length (64 hex digits or 43-44 base64 characters):
    /// for senders whose documentation does not say.
    HexOrBase64,
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

/// HMAC-SHA256 keys ready for use: the key schedule is computed once at start-up and cloned
/// per check.
#[derive(Clone)]
pub(crate) struct MacKeys {
    pub(crate) keys: Arc<[HmacSha256]>,
}

impl MacKeys {
    pub(crate) fn new(keyring: &Keyring) -> Self {
        let keys = keyring
            .secrets()
            .iter()
            // HMAC accepts keys of any length, so this never fails; an empty key is already
            // refused by `Secret::new`.
            .filter_map(|s| HmacSha256::new_from_slice(s.expose()).ok())
            .collect();
        Self { keys }
    }

    /// No key: nothing verifies (a Standard Webhooks scheme that checks only `v1a`).
    #[cfg(feature = "public-key")]
    pub(crate) fn empty() -> Self {
        Self { keys: Arc::new([]) }
    }

    /// Whether any key's MAC over the concatenated `parts` equals `signature`, compared in
    /// constant time by `verify_slice`.
    pub(crate) fn verify(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        self.keys.iter().any(|key| {
            let mut mac = key.clone();
            for part in parts {
                mac.update(part);
            }
            mac.verify_slice(signature).is_ok()
        })
    }

    /// Every key's MAC over the concatenated `parts`, to compare several candidate signatures
    /// against without hashing again. Up to four keys stay on the stack.
    pub(crate) fn tags(&self, parts: &[&[u8]]) -> Tags {
        let tag = |key: &HmacSha256| -> [u8; MAC_LEN] {
            let mut mac = key.clone();
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

    /// The primary key's MAC over the concatenated `parts`.
    pub(crate) fn sign(&self, parts: &[&[u8]]) -> [u8; MAC_LEN] {
        let mut out = [0u8; MAC_LEN];
        if let Some(key) = self.keys.first() {
            let mut mac = key.clone();
            for part in parts {
                mac.update(part);
            }
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// HMAC-SHA256 of the raw body, sent in a header whose name, encoding and optional prefix the
/// user configures.
///
/// Every key of the keyring is tried; comparison is constant-time. The signature is decoded
/// onto the stack: verification allocates nothing.
///
/// ```
/// use webhook_receiver::{Secret, verify::{HmacScheme, SignatureEncoding}};
/// let scheme = HmacScheme::new("X-Signature", Secret::new("key").unwrap())
///     .unwrap()
///     .encoding(SignatureEncoding::Hex)
///     .prefix("sha256=");
/// let body = b"{}";
/// let header = scheme.sign(body);
/// assert!(header.starts_with("sha256="));
/// assert!(scheme.verify(&[("x-signature", header.as_str())], body).is_ok());
/// assert!(scheme.verify(&[("x-signature", "sha256=00")], body).is_err());
/// ```
#[derive(Clone)]
pub struct HmacScheme {
    header: Cow<'static, str>,
    encoding: SignatureEncoding,
    prefix: Option<Cow<'static, str>>,
    keys: MacKeys,
}

impl HmacScheme {
    /// A scheme reading hex signatures from `header`, checked against every key of `keys`.
    ///
    /// # Errors
    /// [`ConfigError`] when `header` is not a valid header name.
    pub fn new(header: &str, keys: impl Into<Keyring>) -> Result<Self, ConfigError> {
        Ok(Self {
            header: Cow::Owned(super::header_name(header)?),
            encoding: SignatureEncoding::Hex,
            prefix: None,
            keys: MacKeys::new(&keys.into()),
        })
    }

    /// Sets how the signature is encoded (default hex).
    #[must_use]
    pub fn encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Requires the header value to start with `prefix` (such as `sha256=`), compared without
    /// regard to ASCII case.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = (!prefix.is_empty()).then(|| Cow::Owned(prefix.to_owned()));
        self
    }

    /// The header the signature is read from (lower case).
    #[must_use]
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Authenticates `body` against the signature header.
    ///
    /// # Errors
    /// [`Error::MissingSignature`] when the header is absent,
    /// [`Error::MalformedSignature`] when it is empty, lacks the prefix, or is not a 32-byte
    /// MAC in the configured encoding, [`Error::InvalidSignature`] when no key matches.
    pub fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let value = headers
            .get(&self.header)
            .ok_or_else(|| Error::MissingSignature {
                location: self.header.clone(),
            })?;
        let value = text(value).ok_or(Error::MalformedSignature {
            reason: "not UTF-8",
        })?;
        let value = match &self.prefix {
            None => value,
            Some(prefix) => {
                strip_prefix_ignore_case(value, prefix).ok_or(Error::MalformedSignature {
                    reason: "missing the configured prefix",
                })?
            }
        };
        let signature = decode_mac(value, self.encoding)?;
        self.check(&[body], &signature)?;
        Ok(Verified::new(body))
    }

    /// Checks `signature` (already decoded) against the MAC of the concatenated `parts`.
    pub(crate) fn check(&self, parts: &[&[u8]], signature: &[u8]) -> Result<(), Error> {
        if self.keys.verify(parts, signature) {
            Ok(())
        } else {
            Err(Error::InvalidSignature)
        }
    }

    /// The header value a genuine sender would attach to `body`, made with the primary secret:
    /// prefix (if any) and the MAC in the configured encoding (hex for
    /// [`SignatureEncoding::HexOrBase64`]).
    #[must_use]
    pub fn sign(&self, body: &[u8]) -> String {
        let mac = self.keys.sign(&[body]);
        let encoded = match self.encoding {
            SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(mac),
            SignatureEncoding::Hex | SignatureEncoding::HexOrBase64 => hex::encode(mac),
        };
        match &self.prefix {
            Some(prefix) => format!("{prefix}{encoded}"),
            None => encoded,
        }
    }
}

impl std::fmt::Debug for HmacScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HmacScheme")
            .field("header", &self.header)
            .field("encoding", &self.encoding)
            .field("prefix", &self.prefix)
            .field("keys", &self.keys.len())
            .finish()
    }
}

fn strip_prefix_ignore_case<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| value.get(prefix.len()..))
        .flatten()
}

/// Decodes a 32-byte MAC onto the stack.
pub(crate) fn decode_mac(value: &str, encoding: SignatureEncoding) -> Result<[u8; MAC_LEN], Error> {
    if value.is_empty() {
        return Err(Error::MalformedSignature { reason: "empty" });
    }
    let encoding = match encoding {
        SignatureEncoding::HexOrBase64 if value.len() == 2 * MAC_LEN => SignatureEncoding::Hex,
        SignatureEncoding::HexOrBase64 => SignatureEncoding::Base64,
        other => other,
    };
    let mut out = [0u8; MAC_LEN];
    match encoding {
        SignatureEncoding::Hex => {
            if value.len() != 2 * MAC_LEN {
                return Err(Error::MalformedSignature {
                    reason: "not 32 bytes of hex",
                });
            }
            hex::decode_to_slice(value, &mut out)
                .map_err(|_| Error::MalformedSignature { reason: "not hex" })?;
        }
        _ => decode_base64_mac(value, &mut out)?,
    }
    Ok(out)
}

/// Decodes base64 (padded or not) that must hold exactly 32 bytes.
pub(crate) fn decode_base64_mac(value: &str, out: &mut [u8; MAC_LEN]) -> Result<(), Error> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    // 32 bytes are 43 characters unpadded, 44 padded; anything else cannot be a MAC.
    if !(43..=44).contains(&value.len()) {
        return Err(Error::MalformedSignature {
            reason: "not 32 bytes of base64",
        });
    }
    let mut buf = [0u8; 36];
    let n = LENIENT
        .decode_slice(value, &mut buf)
        .map_err(|_| Error::MalformedSignature {
            reason: "not base64",
        })?;
    let decoded = buf
        .get(..n)
        .filter(|d| d.len() == MAC_LEN)
        .ok_or(Error::MalformedSignature {
            reason: "not 32 bytes of base64",
        })?;
    out.copy_from_slice(decoded);
    Ok(())
}
