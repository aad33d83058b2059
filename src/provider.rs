//! The `Provider` trait and the one call that every integration goes through.

use std::borrow::Cow;

use time::OffsetDateTime;

use crate::{Delivery, Error, Headers};

/// The default body limit: 1 MiB. Larger bodies are [`Error::BodyTooLarge`] (413) before any
/// hashing.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Bytes whose authenticity has been checked, ready to be parsed.
///
/// Only the verification schemes of this crate (and the explicitly named
/// [`dangerous`](crate::dangerous) module, inside the crate) can make one, so a
/// [`Provider::parse`] that takes it cannot be handed unverified input by mistake.
///
/// `payload` is what the signature covered and what must be parsed: the raw body for most
/// schemes, the text of receeve's `payloadAsString` for receeve.
///
/// No public path makes one from plain bytes: these do not compile.
///
/// ```compile_fail,E0624
/// // Its constructor is private to the crate.
/// let verified = webhook_receiver::Verified::new(&b"{}"[..]);
/// ```
///
/// ```compile_fail,E0451
/// // Its fields are private.
/// let verified = webhook_receiver::Verified { payload: std::borrow::Cow::Borrowed(&b"{}"[..]), id: None, timestamp: None };
/// ```
///
/// ```compile_fail,E0277
/// // What `dangerous` reads without checking does not turn into it.
/// use webhook_receiver::{Verified, dangerous::Unverified};
/// let verified: Verified<'_> = Unverified::new(&b"{}"[..]).into();
/// ```
///
/// ```compile_fail,E0308
/// // A provider's `parse` takes nothing else.
/// use webhook_receiver::{Provider, Secret, dangerous::Unverified, providers::receeve::Receeve};
/// let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
/// let _ = receeve.parse(Unverified::new(&b"{}"[..]));
/// ```
///
/// ```compile_fail,E0308
/// // What a provider reads without checking is not one (this once compiled).
/// use webhook_receiver::{Provider, Verified};
/// fn forge<'a, P: Provider>(provider: &P, body: &'a [u8]) -> Verified<'a> {
///     let headers: &'static [(&'static str, &'static str)] = &[];
///     provider.extract_unverified(headers, body).unwrap()
/// }
/// ```
///
/// ```compile_fail,E0599
/// // Nor is there a default or a conversion from bytes.
/// let verified = webhook_receiver::Verified::default();
/// ```
#[derive(Debug, Clone)]
pub struct Verified<'a> {
    payload: Cow<'a, [u8]>,
    id: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    timestamp: Option<OffsetDateTime>,
}

impl<'a> Verified<'a> {
    pub(crate) fn new(payload: impl Into<Cow<'a, [u8]>>) -> Self {
        Self {
            payload: payload.into(),
            id: None,
            kind: None,
            timestamp: None,
        }
    }

    /// Attaches a delivery id that the verification covered (Standard Webhooks' `webhook-id`
    /// is part of the signed content), or that the provider sends beside the signed bytes.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<Cow<'a, str>>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Attaches the event's type as the sender names it beside the signed bytes (GitHub's
    /// `X-GitHub-Event`, Shopify's `X-Shopify-Topic`), for a `parse` that sees the payload only.
    #[must_use]
    pub fn with_kind(mut self, kind: impl Into<Cow<'a, str>>) -> Self {
        self.kind = Some(kind.into());
        self
    }

    /// Attaches the delivery's timestamp.
    #[must_use]
    pub fn with_timestamp(mut self, timestamp: OffsetDateTime) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// The verified bytes to parse.
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The delivery id attached during verification, if any.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The delivery timestamp attached during verification, if any.
    #[must_use]
    pub fn timestamp(&self) -> Option<OffsetDateTime> {
        self.timestamp
    }

    /// The event type attached during verification, if any.
    #[must_use]
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    /// Parses the verified bytes as JSON into `T`, for a [`Provider::parse`]: a failure is
    /// [`Error::MalformedPayload`] (400, not JSON) or [`Error::UnexpectedPayload`] (422, valid
    /// JSON of the wrong shape). Only verified bytes are parsed this way; `serde_json`'s
    /// nesting limit (128 levels) makes deep nesting an error, not a stack overflow.
    ///
    /// # Errors
    /// As above.
    pub fn json<'de, T: serde::Deserialize<'de>>(&'de self) -> Result<T, Error> {
        crate::json::parse_json(&self.payload)
    }
}

/// A webhook sender: how its deliveries are authenticated, identified and parsed.
///
/// The crate ships [`Palenca`](crate::providers::palenca::Palenca),
/// [`Receeve`](crate::providers::receeve::Receeve) and
/// [`Munity`](crate::providers::munity::Munity). Implement it for a sender we do not ship with
/// the schemes in [`verify`](crate::verify), and the integrations, idempotency layer and
/// testing kit work with it unchanged.
///
/// A provider value is built once at start-up (building validates its secrets), is cheap to
/// clone and is shared by every request.
///
/// ```
/// use webhook_receiver::{Delivery, Error, Headers, MessageId, Provider, Secret, Verified};
/// use webhook_receiver::verify::HmacScheme;
///
/// #[derive(Clone)]
/// struct Acme { auth: HmacScheme }
///
/// #[derive(serde::Deserialize)]
/// struct AcmeEvent { kind: String }
///
/// impl Provider for Acme {
///     type Event = AcmeEvent;
///     fn name(&self) -> &'static str { "acme" }
///     fn verify<'a, H: Headers + ?Sized>(&self, headers: &H, body: &'a [u8]) -> Result<Verified<'a>, Error> {
///         self.auth.verify(headers, body)
///     }
///     fn parse(&self, verified: Verified<'_>) -> Result<Delivery<AcmeEvent>, Error> {
///         let event = verified.json()?;
///         Ok(Delivery::new(MessageId::digest(self.name(), verified.payload()), event, None))
///     }
/// }
///
/// let acme = Acme { auth: HmacScheme::new("x-acme-signature", Secret::new("k").unwrap()).unwrap() };
/// let body = br#"{"kind":"ping"}"#;
/// let signature = acme.auth.sign(body);
/// let delivery = acme.verify_and_parse(&[("X-Acme-Signature", signature)], body).unwrap();
/// assert_eq!(delivery.event.kind, "ping");
/// ```
pub trait Provider: Send + Sync {
    /// The typed event a delivery carries.
    type Event;

    /// The namespace of this provider's [`MessageId`](crate::MessageId)s (`"palenca"`, ...).
    fn name(&self) -> &'static str;

    /// The largest body accepted, in bytes. Default [`DEFAULT_BODY_LIMIT`].
    fn body_limit(&self) -> usize {
        DEFAULT_BODY_LIMIT
    }

    /// Authenticates a delivery from its headers and raw body bytes. The result may borrow
    /// from both (an id read from a header), so that verification need not allocate.
    ///
    /// # Errors
    /// The authentication variants of [`Error`] (status 401), or
    /// [`Error::MalformedPayload`] where the signed content must first be read out of the
    /// body (receeve).
    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error>;

    /// Turns verified bytes into a typed delivery.
    ///
    /// # Errors
    /// [`Error::MalformedPayload`] (400) or [`Error::UnexpectedPayload`] (422), or a
    /// provider-specific check on the parsed content (a timestamp outside the tolerance).
    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Self::Event>, Error>;

    /// What [`verify`](Provider::verify) would hand to [`parse`](Provider::parse), read
    /// without checking any signature or token, for
    /// [`dangerous::parse_unverified`](crate::dangerous::parse_unverified) (replays of stored
    /// deliveries, tests). An [`Unverified`](dangerous::Unverified) never becomes a
    /// [`Verified`] outside this crate, so an implementation cannot turn unsigned bytes into
    /// something `parse` accepts.
    ///
    /// The default hands over the whole body. Override it where the signed content is carried
    /// inside the body, or where the id and timestamp come from headers.
    ///
    /// # Errors
    /// Where the signed content cannot be found ([`Error::MissingSignedPayload`],
    /// [`Error::MalformedPayload`]).
    fn extract_unverified<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<dangerous::Unverified<'a>, Error> {
        let _ = headers;
        Ok(dangerous::Unverified::new(body))
    }

    /// The one call: checks the body limit, authenticates the delivery against the raw bytes
    /// ([`verify`](Provider::verify)), and only then parses it into a typed [`Delivery`]
    /// ([`parse`](Provider::parse)).
    ///
    /// Synchronous and free of I/O: run it in any framework, a queue consumer or a CLI.
    ///
    /// # Errors
    /// [`Error::BodyTooLarge`] first, then whatever [`Provider::verify`] and
    /// [`Provider::parse`] report. [`Error::status`] gives the HTTP answer.
    fn verify_and_parse<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Delivery<Self::Event>, Error>
    where
        Self: Sized,
    {
        verify_and_parse(self, headers, body)
    }
}

/// [`Provider::verify_and_parse`].
fn verify_and_parse<P: Provider, H: Headers + ?Sized>(
    provider: &P,
    headers: &H,
    body: &[u8],
) -> Result<Delivery<P::Event>, Error> {
    check_body_limit(provider.body_limit(), body.len())?;
    let verified = provider.verify(headers, body)?;
    provider.parse(verified)
}

/// [`Error::BodyTooLarge`] when `len` exceeds `limit`. Integrations call it while streaming.
pub(crate) fn check_body_limit(limit: usize, len: usize) -> Result<(), Error> {
    if len > limit {
        return Err(Error::BodyTooLarge { limit, actual: len });
    }
    Ok(())
}

/// Parsing without verification, for replays of stored deliveries and for tests.
///
/// Everything here skips authentication. Never call it on a request that came from the
/// network: anyone can forge such a body.
pub mod dangerous {
    use std::borrow::Cow;

    use time::OffsetDateTime;

    use super::Verified;
    use crate::{Delivery, Error, Headers, Provider};

    /// What a delivery claims, read without any check: the bytes a provider would parse, and
    /// the id and timestamp it carries. Made by [`Provider::extract_unverified`]; only
    /// [`parse_unverified`] hands it to [`Provider::parse`], inside this crate. It never
    /// becomes a [`Verified`] in application code (it holds one, out of reach).
    #[derive(Debug, Clone)]
    pub struct Unverified<'a>(Verified<'a>);

    impl<'a> Unverified<'a> {
        /// The bytes a provider would parse after verification.
        #[must_use]
        pub fn new(payload: impl Into<Cow<'a, [u8]>>) -> Self {
            Self(Verified::new(payload))
        }

        /// The delivery id the delivery claims.
        #[must_use]
        pub fn with_id(self, id: impl Into<Cow<'a, str>>) -> Self {
            Self(self.0.with_id(id))
        }

        /// The timestamp the delivery claims.
        #[must_use]
        pub fn with_timestamp(self, timestamp: OffsetDateTime) -> Self {
            Self(self.0.with_timestamp(timestamp))
        }

        /// The event type the delivery claims.
        #[must_use]
        pub fn with_kind(self, kind: impl Into<Cow<'a, str>>) -> Self {
            Self(self.0.with_kind(kind))
        }

        /// The bytes read.
        #[must_use]
        pub fn payload(&self) -> &[u8] {
            self.0.payload()
        }
    }

    /// Parses a delivery **without verifying its signature or token**.
    ///
    /// The body limit still applies. No replay window is checked, for any provider (Standard
    /// Webhooks' tolerance, receeve's opt-in window): a stored delivery replayed days later is
    /// still read. For receeve the event is read from `payloadAsString`, as after
    /// verification.
    ///
    /// # Errors
    /// [`Error::BodyTooLarge`], and the parse errors of [`Provider::parse`].
    pub fn parse_unverified<P: Provider, H: Headers + ?Sized>(
        provider: &P,
        headers: &H,
        body: &[u8],
    ) -> Result<Delivery<P::Event>, Error> {
        super::check_body_limit(provider.body_limit(), body.len())?;
        let extracted = provider.extract_unverified(headers, body)?;
        provider.parse(extracted.0)
    }
}
