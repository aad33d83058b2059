//! Authentication schemes, one file each, shared by every provider that uses them.
//!
//! - [`HmacScheme`]: HMAC-SHA256 of the raw body in a header, hex or base64, with an optional
//!   prefix such as `sha256=` (Palenca and Munity when the account signs); or of bytes signed
//!   around or inside the body, with [`HmacScheme::verify_parts`] (receeve's signed field, a
//!   sender of your own that signs `{timestamp}.{body}`).
//!   [`MacAlgorithm::Sha1`] makes it HMAC-SHA1, for the senders that still sign with it
//!   (Twilio, Intercom).
//! - [`TokenScheme`]: a shared token in a header, compared in constant time.
//!
//! Each scheme checks every key of its [`Keyring`](crate::Keyring), so secrets rotate without
//! downtime, and compares in constant time through the MAC crate or `subtle`, never with `==`.

pub(crate) mod encoding;
pub(crate) mod hmac;
mod token;
pub(crate) mod work;

pub use self::encoding::SignatureEncoding;
pub use self::hmac::{HmacScheme, MacAlgorithm};
pub use self::token::TokenScheme;

use crate::{Error, Headers, Verified};

/// How a provider without a signature scheme of its own authenticates deliveries: the user
/// chooses, because the provider's documentation does not say.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Authentication {
    /// HMAC-SHA256 of the raw body, in a header the user names.
    Hmac(HmacScheme),
    /// A shared token, in a header the user names.
    Token(TokenScheme),
}

impl Authentication {
    /// Authenticates the raw body.
    ///
    /// # Errors
    /// As [`HmacScheme::verify`] or [`TokenScheme::verify`].
    pub fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        match self {
            Authentication::Hmac(scheme) => scheme.verify(headers, body),
            Authentication::Token(scheme) => scheme.verify(headers, body),
        }
    }
}

impl From<HmacScheme> for Authentication {
    fn from(scheme: HmacScheme) -> Self {
        Authentication::Hmac(scheme)
    }
}

impl From<TokenScheme> for Authentication {
    fn from(scheme: TokenScheme) -> Self {
        Authentication::Token(scheme)
    }
}

/// A header name as lookups expect it: trimmed, lower case, a valid HTTP token.
pub(crate) fn header_name(name: &str) -> Result<String, crate::ConfigError> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return Err(crate::ConfigError::new(format!(
            "`{name}` is not a valid header name"
        )));
    }
    Ok(name.to_ascii_lowercase())
}
pub(crate) mod standard;
pub use self::standard::StandardScheme;
#[cfg(feature = "public-key")]
pub(crate) mod public_key;
#[cfg(all(feature = "public-key", feature = "testing"))]
pub use self::public_key::PrivateKey;
#[cfg(feature = "public-key")]
pub use self::public_key::{KeyAlgorithm, PublicKey, PublicKeyScheme};
