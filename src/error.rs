//! The one error type of a delivery that cannot be accepted, and the start-up error of a
//! misconfigured provider.

use std::borrow::Cow;

/// Why a delivery was not accepted.
///
/// Every variant maps to the HTTP status a receiver should answer with through
/// [`Error::status`]: the sender then knows whether retrying can help. Messages name the
/// condition only: a signature failure never echoes the expected signature, no variant
/// carries a secret, and no text of the error (`Display`, `Debug`, its `source` chain) quotes
/// the body, so logging `{err}` or `{err:?}` is safe. A JSON parser's own message, which can
/// quote the body, is only given when asked for by name ([`JsonError::parser_message`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The body is larger than the provider's limit; it was rejected before any hashing.
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: usize,
        /// The body's length, or the length at which reading stopped.
        actual: usize,
    },
    /// The signature is absent.
    MissingSignature {
        /// Where it was looked for: a header name (lower case) or a body field.
        location: Cow<'static, str>,
    },
    /// The signature is present but cannot be a signature of this scheme: wrong encoding,
    /// wrong length, missing prefix, empty, or no entry of a known version.
    MalformedSignature {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signature is well-formed but no configured key produced it.
    InvalidSignature,
    /// The header that should carry the shared token is absent.
    MissingToken {
        /// The header that was looked up (lower case).
        header: Cow<'static, str>,
    },
    /// The shared token does not match any configured token.
    InvalidToken,
    /// A header the scheme needs (other than the signature) is absent.
    MissingHeader {
        /// The header that was looked up (lower case).
        header: Cow<'static, str>,
    },
    /// A header the scheme needs is present but unusable (not UTF-8, empty, or of the wrong
    /// form).
    MalformedHeader {
        /// The header (lower case).
        header: Cow<'static, str>,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The delivery's timestamp is missing where the scheme needs one.
    MissingTimestamp,
    /// The delivery's timestamp cannot be read.
    MalformedTimestamp,
    /// The delivery's timestamp is further from now than the configured tolerance (a replay,
    /// or a badly skewed clock).
    TimestampOutOfTolerance {
        /// Signed distance in seconds: positive when the timestamp is in the future.
        skew_seconds: i64,
        /// The configured tolerance in seconds.
        tolerance_seconds: u64,
    },
    /// The body lacks the field that carries the signed content (receeve's
    /// `payloadAsString`), so nothing in it can be verified.
    MissingSignedPayload {
        /// The field's name as sent on the wire.
        field: &'static str,
    },
    /// The body carries an unsigned copy of the signed content that disagrees with it
    /// (receeve's `payload` object beside `payloadAsString`): a forged copy next to a genuine
    /// signature.
    PayloadMismatch {
        /// The field that disagrees.
        field: &'static str,
    },
    /// The body is not well-formed JSON (syntax error, not UTF-8, truncated, nested too
    /// deeply). [`JsonError`] says where; its text never quotes the body.
    MalformedPayload(JsonError),
    /// The body is well-formed JSON but not of the shape the provider documents (a required
    /// field is missing or of the wrong type). [`JsonError`] says where and, for a missing
    /// field, which; its text never quotes the body.
    UnexpectedPayload(JsonError),
    /// The body could not be read to its end: the client went away, broke the chunked
    /// encoding, or sent fewer bytes than it announced (a framework integration's error). The
    /// transport's error is the [`source`](std::error::Error::source).
    BodyUnreadable(Box<dyn std::error::Error + Send + Sync>),
    /// The client did not send the whole body in time (a framework integration's read
    /// timeout): the sender should retry.
    BodyReadTimeout {
        /// The timeout that ran out.
        after: std::time::Duration,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::BodyTooLarge { limit, actual } => {
                write!(
                    f,
                    "body of {actual} bytes exceeds the limit of {limit} bytes"
                )
            }
            Error::MissingSignature { location } => write!(f, "missing signature (`{location}`)"),
            Error::MalformedSignature { reason } => write!(f, "malformed signature: {reason}"),
            Error::InvalidSignature => f.write_str("signature does not match"),
            Error::MissingToken { header } => write!(f, "missing token header `{header}`"),
            Error::InvalidToken => f.write_str("token does not match"),
            Error::MissingHeader { header } => write!(f, "missing header `{header}`"),
            Error::MalformedHeader { header, reason } => {
                write!(f, "malformed header `{header}`: {reason}")
            }
            Error::MissingTimestamp => f.write_str("missing timestamp"),
            Error::MalformedTimestamp => f.write_str("malformed timestamp"),
            Error::TimestampOutOfTolerance {
                skew_seconds,
                tolerance_seconds,
            } => write!(
                f,
                "timestamp is {skew_seconds} s from now, outside the tolerance of \
                 {tolerance_seconds} s"
            ),
            Error::MissingSignedPayload { field } => write!(f, "missing signed field `{field}`"),
            Error::PayloadMismatch { field } => {
                write!(f, "unsigned `{field}` disagrees with the signed content")
            }
            Error::MalformedPayload(json) => write!(f, "malformed payload: {json}"),
            Error::UnexpectedPayload(json) => write!(f, "unexpected payload shape: {json}"),
            Error::BodyUnreadable(error) => {
                write!(f, "the request body could not be read: {error}")
            }
            Error::BodyReadTimeout { after } => write!(
                f,
                "the request body was not received within {} ms",
                after.as_millis()
            ),
        }
    }
}

/// The transport's error of [`Error::BodyUnreadable`] is the source; nothing else has one (a
/// JSON parser's error is kept out of the chain: it can quote the body).
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::BodyUnreadable(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}

impl Error {
    /// The one table behind [`status`](Error::status) and [`body_text`](Error::body_text).
    fn answer(&self) -> (u16, &'static str) {
        const UNAUTHORIZED: (u16, &str) = (401, "unauthorized");
        match self {
            Error::BodyTooLarge { .. } => (413, "payload too large"),
            Error::MissingSignature { .. }
            | Error::MalformedSignature { .. }
            | Error::InvalidSignature
            | Error::MissingToken { .. }
            | Error::InvalidToken
            | Error::MissingHeader { .. }
            | Error::MalformedHeader { .. }
            | Error::MissingTimestamp
            | Error::MalformedTimestamp
            | Error::TimestampOutOfTolerance { .. }
            | Error::MissingSignedPayload { .. }
            | Error::PayloadMismatch { .. } => UNAUTHORIZED,
            Error::MalformedPayload(_) => (400, "malformed payload"),
            Error::BodyUnreadable(_) => (400, "unreadable body"),
            Error::UnexpectedPayload(_) => (422, "unexpected payload"),
            Error::BodyReadTimeout { .. } => (408, "request timeout"),
        }
    }

    /// The HTTP status a receiver should answer with (the table is on
    /// [`body_text`](Error::body_text)).
    ///
    /// ```
    /// use webhook_receiver::Error;
    /// assert_eq!(Error::InvalidSignature.status(), 401);
    /// assert_eq!(Error::BodyTooLarge { limit: 10, actual: 11 }.status(), 413);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        self.answer().0
    }

    /// A short plain-text body for the answer: it names the condition and leaks nothing (no
    /// signature, no secret, no parser message). [`Display`](std::fmt::Display) is the long
    /// form, for logs.
    ///
    /// | status | body | meaning | variants |
    /// |---|---|---|---|
    /// | 400 | `malformed payload` | not JSON, not UTF-8, nested too deeply | [`MalformedPayload`](Error::MalformedPayload) |
    /// | 400 | `unreadable body` | the body could not be read to its end | [`BodyUnreadable`](Error::BodyUnreadable) |
    /// | 401 | `unauthorized` | it cannot be authenticated | signature, token, header, timestamp and signed-content variants |
    /// | 408 | `request timeout` | the body did not arrive in time | [`BodyReadTimeout`](Error::BodyReadTimeout) |
    /// | 413 | `payload too large` | the body is too large | [`BodyTooLarge`](Error::BodyTooLarge) |
    /// | 422 | `unexpected payload` | valid JSON of the wrong shape | [`UnexpectedPayload`](Error::UnexpectedPayload) |
    ///
    /// ```
    /// use webhook_receiver::Error;
    /// assert_eq!(Error::InvalidSignature.body_text(), "unauthorized");
    /// ```
    #[must_use]
    pub fn body_text(&self) -> &'static str {
        self.answer().1
    }

    /// The variant's name in snake case (`invalid_signature`, `body_too_large`, ...): a small
    /// fixed set, safe to log and to use as a metrics label (it carries no part of the
    /// request). The `reason` label of `webhook_receiver_rejections_total` and the
    /// `error.type` of a rejected `webhook.receive` span (see [`observe`](crate::observe)).
    ///
    /// ```
    /// use webhook_receiver::Error;
    /// assert_eq!(Error::InvalidSignature.kind(), "invalid_signature");
    /// assert_eq!(Error::BodyTooLarge { limit: 10, actual: 11 }.kind(), "body_too_large");
    /// ```
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::MissingSignature { .. } => "missing_signature",
            Error::MalformedSignature { .. } => "malformed_signature",
            Error::InvalidSignature => "invalid_signature",
            Error::MissingToken { .. } => "missing_token",
            Error::InvalidToken => "invalid_token",
            Error::MissingHeader { .. } => "missing_header",
            Error::MalformedHeader { .. } => "malformed_header",
            Error::MissingTimestamp => "missing_timestamp",
            Error::MalformedTimestamp => "malformed_timestamp",
            Error::TimestampOutOfTolerance { .. } => "timestamp_out_of_tolerance",
            Error::MissingSignedPayload { .. } => "missing_signed_payload",
            Error::PayloadMismatch { .. } => "payload_mismatch",
            Error::MalformedPayload(_) => "malformed_payload",
            Error::UnexpectedPayload(_) => "unexpected_payload",
            Error::BodyUnreadable(_) => "body_unreadable",
            Error::BodyReadTimeout { .. } => "body_read_timeout",
        }
    }

    /// Whether the delivery failed authentication (status 401): the caller should log it as a
    /// possible attack rather than a sender bug.
    #[must_use]
    pub fn is_authentication(&self) -> bool {
        self.status() == 401
    }

    /// Classifies a `serde_json` failure on verified bytes: syntax problems are 400, a
    /// well-formed document of the wrong shape is 422.
    pub(crate) fn from_json(err: serde_json::Error) -> Self {
        use serde_json::error::Category;
        match err.classify() {
            Category::Data => Error::UnexpectedPayload(JsonError::new(err)),
            // A number too large for its field (`1e400` where a number is expected) is valid
            // JSON of the wrong shape, though serde_json files it under syntax.
            Category::Syntax if err.to_string().starts_with("number out of range") => {
                Error::UnexpectedPayload(JsonError::new(err))
            }
            Category::Syntax | Category::Eof | Category::Io => {
                Error::MalformedPayload(JsonError::new(err))
            }
        }
    }
}

/// Where a JSON text could not be read, and why in words that never quote it.
///
/// `serde_json`'s messages can quote the body (`invalid type: string "4111 1111 1111 1111",
/// expected u64`), and bodies carry personal data. This type's `Display` and `Debug` say only
/// the kind of problem, the line and the column, and the name of a missing or repeated field
/// (a name from the crate's own types); it has no `source`. The parser's message is
/// [`parser_message`](JsonError::parser_message), for a developer who asks for it by name.
///
/// ```
/// use webhook_receiver::{Error, Provider, Secret, providers::receeve::Receeve};
/// let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
/// let body = receeve.signed_body(r#"{"details":{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":"4111 1111 1111 1111","currency":"EUR"},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z"}"#);
/// let err = receeve.verify_and_parse(&[("a", "b")], &body).unwrap_err();
/// assert!(err.to_string().starts_with("unexpected payload shape: a value of the wrong type or form at line 1 column "));
/// assert!(!format!("{err} {err:?}").contains("4111"));
/// let Error::UnexpectedPayload(json) = &err else { unreachable!() };
/// assert!(json.parser_message().contains("4111"));
/// ```
pub struct JsonError {
    inner: serde_json::Error,
    /// The crate's own words for the problem, where it found it itself.
    own: Option<&'static str>,
}

impl JsonError {
    pub(crate) fn new(inner: serde_json::Error) -> Self {
        Self { inner, own: None }
    }

    /// A problem the crate found itself (a document that is valid JSON but not the object
    /// the provider documents), in its own words.
    pub(crate) fn custom(message: &'static str) -> Self {
        Self {
            inner: <serde_json::Error as serde::de::Error>::custom(message),
            own: Some(message),
        }
    }

    /// A documented field that is absent.
    pub(crate) fn missing_field(field: &'static str) -> Self {
        Self::new(<serde_json::Error as serde::de::Error>::missing_field(
            field,
        ))
    }

    /// The line (from 1) where reading stopped; 0 where no position is known.
    #[must_use]
    pub fn line(&self) -> usize {
        self.inner.line()
    }

    /// The column (from 1) where reading stopped; 0 where no position is known.
    #[must_use]
    pub fn column(&self) -> usize {
        self.inner.column()
    }

    /// The JSON parser's own message. **It can quote the body** (`invalid type: string
    /// "..."`): show it to a developer, do not send it to logs that must not hold personal
    /// data.
    #[must_use]
    pub fn parser_message(&self) -> String {
        self.inner.to_string()
    }

    /// The kind of problem, in words that quote nothing from the body.
    fn what(&self) -> std::borrow::Cow<'static, str> {
        use serde_json::error::Category;
        if let Some(own) = self.own {
            return own.into();
        }
        match self.inner.classify() {
            Category::Eof => "the JSON text ends early".into(),
            Category::Io => "the JSON text could not be read".into(),
            Category::Syntax if self.message().starts_with("number out of range") => {
                "number out of range".into()
            }
            Category::Syntax => "not valid JSON".into(),
            Category::Data => {
                let message = self.message();
                // serde's missing- and duplicate-field errors name a field of the crate's own
                // types (`&'static str`), never text from the body.
                let named = ["missing field `", "duplicate field `"]
                    .iter()
                    .any(|prefix| {
                        message
                            .strip_prefix(prefix)
                            .and_then(|rest| rest.strip_suffix('`'))
                            .is_some_and(|name| {
                                name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                            })
                    });
                if named {
                    message.into()
                } else {
                    "a value of the wrong type or form".into()
                }
            }
        }
    }

    /// serde_json's message without its position suffix.
    fn message(&self) -> String {
        let text = self.inner.to_string();
        let suffix = format!(" at line {} column {}", self.line(), self.column());
        match text.strip_suffix(&suffix) {
            Some(message) => message.to_owned(),
            None => text,
        }
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what())?;
        if self.line() > 0 {
            write!(f, " at line {} column {}", self.line(), self.column())?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonError")
            .field("what", &self.what())
            .field("line", &self.line())
            .field("column", &self.column())
            .finish()
    }
}

impl std::error::Error for JsonError {}

/// A provider or scheme could not be built from the given configuration: an empty secret, a
/// secret that is not valid `whsec_`/hex/base64, an empty header name, a malformed key.
///
/// Raised at start-up, never per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    reason: Cow<'static, str>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid webhook configuration: {}", self.reason)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    pub(crate) fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// What is wrong with the configuration.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }
}
