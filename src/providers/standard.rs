//! Any [Standard Webhooks](https://www.standardwebhooks.com/) sender: Svix and the many
//! services that send through it or follow the same specification.
//!
//! The specification fixes how a delivery is signed, not what it carries, so the event type is
//! yours: [`StandardWebhooks<T>`] parses the verified body into any
//! `T: DeserializeOwned` (default [`serde_json::Value`]).
//!
//! **Authentication.** [`StandardScheme`]: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`,
//! sent as a space-separated list of `v1,<base64>` entries in `webhook-signature` (or the
//! `svix-` headers); secrets are `whsec_` + base64; timestamps more than 5 minutes from now
//! (configurable) are rejected as replays.
//!
//! **Rotating a secret without downtime.** Build the scheme from a [`Keyring`](crate::Keyring)
//! holding the new secret beside the old one and deploy; switch the sender to the new secret;
//! once no delivery signed with the old one can still arrive, remove it and deploy again.
//! Every entry of the signature list is checked against every key.
//!
//! **Message id.** `webhook-id`, which the sender keeps across retries of one message:
//! [`Delivery::id`](crate::Delivery::id) is `MessageId::new("standard", webhook-id)` (the
//! namespace is configurable with [`StandardWebhooks::namespace`]).
//! [`Delivery::timestamp`](crate::Delivery::timestamp) is `webhook-timestamp`.
//!
//! ```
//! use std::sync::Arc;
//! use webhook_receiver::clock::ManualClock;
//! use webhook_receiver::providers::standard::StandardWebhooks;
//! use webhook_receiver::verify::StandardScheme;
//! use webhook_receiver::Provider;
//!
//! #[derive(serde::Deserialize)]
//! struct Signup {
//!     email: String,
//! }
//!
//! let scheme = StandardScheme::from_whsec("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
//!     .unwrap()
//!     .clock(Arc::new(ManualClock::at_unix(1_649_367_553)));
//! let provider = StandardWebhooks::<Signup>::new(scheme);
//!
//! let body = br#"{"email":"test@example.com","username":"test_user"}"#;
//! let headers = [
//!     ("webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
//!     ("webhook-timestamp", "1649367553"),
//!     ("webhook-signature", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="),
//! ];
//! let delivery = provider.verify_and_parse(&headers, body).unwrap();
//! assert_eq!(delivery.event.email, "test@example.com");
//! assert_eq!(delivery.id.key(), "standard:msg_27UH4WbU6Z5A5EzD8u03UvzRbpk");
//! assert_eq!(delivery.timestamp.unwrap().unix_timestamp(), 1_649_367_553);
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::verify::StandardScheme;
use crate::{
    ConfigError, DEFAULT_BODY_LIMIT, Delivery, Error, Headers, MessageId, Provider, Verified,
};

/// The default namespace of Standard Webhooks message ids.
pub const NAME: &str = "standard";

/// Receives deliveries from a Standard Webhooks sender and parses them into `T` (default
/// [`serde_json::Value`]). Build once at start-up; clone freely (the state is shared).
///
/// `T` only names the event type: the receiver is `Send + Sync + Clone` whatever `T` is.
///
/// ```
/// use webhook_receiver::providers::standard::StandardWebhooks;
///
/// // Untyped events, a namespace of their own in the idempotency store.
/// let provider: StandardWebhooks =
///     StandardWebhooks::from_whsec("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
///         .unwrap()
///         .namespace("svix-acme");
/// # let _ = provider;
/// ```
pub struct StandardWebhooks<T = serde_json::Value> {
    inner: Arc<Inner>,
    event: PhantomData<fn() -> T>,
}

#[derive(Clone)]
struct Inner {
    scheme: StandardScheme,
    name: &'static str,
    body_limit: usize,
}

impl<T> StandardWebhooks<T> {
    /// A receiver authenticating deliveries with `scheme`, namespace `"standard"`, body limit
    /// [`DEFAULT_BODY_LIMIT`].
    #[must_use]
    pub fn new(scheme: StandardScheme) -> Self {
        Self {
            inner: Arc::new(Inner {
                scheme,
                name: NAME,
                body_limit: DEFAULT_BODY_LIMIT,
            }),
            event: PhantomData,
        }
    }

    /// A receiver for one `whsec_` secret, with the defaults of [`StandardScheme`].
    ///
    /// # Errors
    /// [`ConfigError`] when the secret is empty or not base64.
    pub fn from_whsec(secret: &str) -> Result<Self, ConfigError> {
        Ok(Self::new(StandardScheme::from_whsec(secret)?))
    }

    /// Sets the namespace of the message ids (default `"standard"`): give each sender its own
    /// when several share one idempotency store.
    #[must_use]
    pub fn namespace(mut self, name: &'static str) -> Self {
        Arc::make_mut(&mut self.inner).name = name;
        self
    }

    /// Sets the largest accepted body in bytes (default 1 MiB).
    #[must_use]
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        Arc::make_mut(&mut self.inner).body_limit = limit;
        self
    }

    /// How deliveries are authenticated; its [`sign`](StandardScheme::sign) makes the
    /// signature a genuine sender would send.
    #[must_use]
    pub fn scheme(&self) -> &StandardScheme {
        &self.inner.scheme
    }
}

impl<T> Clone for StandardWebhooks<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            event: PhantomData,
        }
    }
}

impl<T> AsRef<StandardScheme> for StandardWebhooks<T> {
    fn as_ref(&self) -> &StandardScheme {
        &self.inner.scheme
    }
}

impl<T> fmt::Debug for StandardWebhooks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandardWebhooks")
            .field("namespace", &self.inner.name)
            .field("body_limit", &self.inner.body_limit)
            .field("scheme", &self.inner.scheme)
            .finish()
    }
}

impl<T: DeserializeOwned + Send + Sync> Provider for StandardWebhooks<T> {
    type Event = T;

    fn name(&self) -> &'static str {
        self.inner.name
    }

    fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        self.inner.scheme.verify(headers, body)
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<T>, Error> {
        let event = verified.json()?;
        let id = match verified.id() {
            Some(id) => MessageId::new(self.name(), id),
            None => MessageId::digest(self.name(), verified.payload()),
        };
        Ok(Delivery::new(id, event, verified.timestamp()))
    }

    /// The body, with the id and timestamp the headers claim where they are readable; nothing
    /// is checked (no signature, no tolerance).
    fn extract_unverified<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<crate::dangerous::Unverified<'a>, Error> {
        let (id, timestamp) = crate::verify::standard::read_unverified(headers);
        let mut extracted = crate::dangerous::Unverified::new(body);
        if let Some(id) = id {
            extracted = extracted.with_id(id);
        }
        if let Some(timestamp) = timestamp {
            extracted = extracted.with_timestamp(timestamp);
        }
        Ok(extracted)
    }
}
