//! A shared token in a header, compared in constant time.

use std::borrow::Cow;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::headers::text;
use crate::{ConfigError, Error, Headers, Keyring, Verified};

/// Authentication by a secret token that the sender puts in a header (for senders that do not
/// sign, such as Munity, where you choose the header).
///
/// The presented token is hashed with SHA-256 and compared with the digest of each configured
/// token in constant time (`subtle`), so neither the token's content nor its length leaks
/// through timing. Note that a token authenticates the sender but not the body: prefer an HMAC
/// scheme where the sender offers one.
///
/// ```
/// use webhook_receiver::{Secret, verify::TokenScheme};
/// let scheme = TokenScheme::new("Authorization", Secret::new("t0ken").unwrap())
///     .unwrap()
///     .prefix("Bearer ");
/// assert!(scheme.verify(&[("authorization", "Bearer t0ken")], b"{}").is_ok());
/// assert!(scheme.verify(&[("authorization", "Bearer nope")], b"{}").is_err());
/// ```
#[derive(Clone)]
pub struct TokenScheme {
    header: Cow<'static, str>,
    pub(crate) prefix: Option<Cow<'static, str>>,
    digests: Arc<[[u8; 32]]>,
    /// The token the testing kit signs with; production builds keep only the digests.
    #[cfg(feature = "testing")]
    pub(crate) primary: crate::Secret,
}

impl TokenScheme {
    /// A scheme accepting any token of `tokens` in `header`.
    ///
    /// # Errors
    /// [`ConfigError`] when `header` is not a valid header name, or a token is not UTF-8
    /// text (header values are text).
    pub fn new(header: &str, tokens: impl Into<Keyring>) -> Result<Self, ConfigError> {
        let tokens = tokens.into();
        let mut digests = Vec::with_capacity(tokens.len());
        for token in tokens.secrets() {
            let token = std::str::from_utf8(token.expose())
                .map_err(|_| ConfigError::new("token is not UTF-8 text"))?;
            if token.trim() != token {
                return Err(ConfigError::new(
                    "token has leading or trailing white space, which HTTP strips",
                ));
            }
            digests.push(Sha256::digest(token.as_bytes()).into());
        }
        #[cfg(feature = "testing")]
        let primary = tokens
            .secrets()
            .first()
            .cloned()
            .ok_or_else(|| ConfigError::new("keyring has no secret"))?;
        Ok(Self {
            header: Cow::Owned(super::header_name(header)?),
            prefix: None,
            digests: digests.into(),
            #[cfg(feature = "testing")]
            primary,
        })
    }

    /// Requires the header value to start with `prefix` (such as `Bearer `), compared without
    /// regard to ASCII case.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = (!prefix.is_empty()).then(|| Cow::Owned(prefix.to_owned()));
        self
    }

    /// The header the token is read from (lower case).
    #[must_use]
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Authenticates the sender by the token header; the body is passed on as verified.
    ///
    /// # Errors
    /// [`Error::MissingToken`] when the header is absent, [`Error::InvalidToken`] when it
    /// matches no configured token (including a missing prefix or an empty value).
    pub fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let value = headers
            .get(&self.header)
            .ok_or_else(|| Error::MissingToken {
                header: self.header.clone(),
            })?;
        let value = text(value).ok_or(Error::InvalidToken)?;
        let token = match &self.prefix {
            None => Some(value),
            Some(prefix) => value
                .get(..prefix.len())
                .filter(|head| head.eq_ignore_ascii_case(prefix))
                .and_then(|_| value.get(prefix.len()..)),
        }
        .ok_or(Error::InvalidToken)?;
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Compare against every digest without stopping early.
        let matched = self
            .digests
            .iter()
            .fold(subtle::Choice::from(0), |acc, d| acc | d.ct_eq(&presented));
        if bool::from(matched) && !token.is_empty() {
            Ok(Verified::new(body))
        } else {
            Err(Error::InvalidToken)
        }
    }
}

impl std::fmt::Debug for TokenScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenScheme")
            .field("header", &self.header)
            .field("prefix", &self.prefix)
            .field("tokens", &self.digests.len())
            .finish()
    }
}
