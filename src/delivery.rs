//! What a verified delivery turns into.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// A verified, parsed webhook delivery.
///
/// Only [`Provider::verify_and_parse`](crate::Provider::verify_and_parse) makes one from a
/// request, after the signature or token checked out; the
/// [`dangerous`](crate::dangerous) module makes one without verification, for replays and
/// tests.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivery<E> {
    /// The key to deduplicate on: identical retries of one event share it.
    pub id: MessageId,
    /// The typed event.
    pub event: E,
    /// When the sender says the event happened or was sent, where the provider says so.
    pub timestamp: Option<OffsetDateTime>,
}

impl<E> Delivery<E> {
    /// A delivery from its parts; for tests and for providers implemented outside the crate.
    #[must_use]
    pub fn new(id: MessageId, event: E, timestamp: Option<OffsetDateTime>) -> Self {
        Self {
            id,
            event,
            timestamp,
        }
    }

    /// Replaces the event, keeping the id and timestamp.
    pub fn map<F, T>(self, f: F) -> Delivery<T>
    where
        F: FnOnce(E) -> T,
    {
        Delivery {
            id: self.id,
            event: f(self.event),
            timestamp: self.timestamp,
        }
    }
}

/// The identity of one event, namespaced by the provider that sent it.
///
/// It is the provider's own delivery id where it has one (receeve `messageId`, Standard
/// Webhooks `webhook-id`, Palenca `data.webhook_id`); otherwise `sha256:` + the hex digest of
/// the verified body, which identical retries share. [`MessageId::key`] is
/// `"{provider}:{id}"`, so two providers' ids never collide in one idempotency store.
///
/// ```
/// use webhook_receiver::MessageId;
/// let id = MessageId::new("receeve", "09feeb6f-350a-430a-a040-cd1c558cbc91");
/// assert_eq!(id.provider(), "receeve");
/// assert_eq!(id.as_str(), "09feeb6f-350a-430a-a040-cd1c558cbc91");
/// assert_eq!(id.key(), "receeve:09feeb6f-350a-430a-a040-cd1c558cbc91");
/// let digest = MessageId::digest("munity", b"{}");
/// assert!(digest.as_str().starts_with("sha256:"));
/// // A `:` in the namespace would make keys ambiguous: it becomes `_`.
/// let odd = MessageId::new("my:app", "a:b");
/// assert_eq!((odd.provider(), odd.as_str(), odd.key()), ("my_app", "a:b", "my_app:a:b"));
/// ```
///
/// Ids compare, hash and order by [`key`](MessageId::key) alone.
#[derive(Clone)]
pub struct MessageId {
    /// `"{provider}:{id}"`; shared so that clones (one per store call) do not copy.
    key: Arc<str>,
    provider_len: usize,
    /// Made by [`MessageId::digest`]: the id is `sha256:` + the hex of the content's digest.
    /// (A flag, not the 32 bytes: idempotency stores keep many ids, so every byte counts.)
    is_content_digest: bool,
}

impl PartialEq for MessageId {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for MessageId {}

impl std::hash::Hash for MessageId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for MessageId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MessageId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl MessageId {
    /// A provider's own id. `provider` names the namespace (`"palenca"`, `"receeve"`,
    /// `"munity"`, `"standard"` or a name of your own); it must not contain `:`, which is
    /// replaced by `_` so the key stays unambiguous.
    #[must_use]
    pub fn new(provider: &str, id: &str) -> Self {
        Self::joined(provider, &[id])
    }

    /// `"{provider}:"` followed by `id`'s parts.
    fn joined(provider: &str, id: &[&str]) -> Self {
        /// Keys up to this size are put together on the stack, so that the key costs one
        /// allocation (the `Arc`'s) rather than two (a `String`'s, then the `Arc`'s).
        const ON_STACK: usize = 128;
        let len = provider.len() + 1 + id.iter().map(|part| part.len()).sum::<usize>();
        let key: Arc<str> = if len <= ON_STACK {
            let mut buffer = [0u8; ON_STACK];
            let mut free = buffer.as_mut_slice();
            for part in [provider, ":"].into_iter().chain(id.iter().copied()) {
                let (head, tail) = std::mem::take(&mut free).split_at_mut(part.len());
                head.copy_from_slice(part.as_bytes());
                free = tail;
            }
            // `:` is one byte, as `_` is: replacing it keeps the text UTF-8 and its length.
            buffer
                .iter_mut()
                .take(provider.len())
                .filter(|b| **b == b':')
                .for_each(|b| *b = b'_');
            match buffer.get(..len).map(std::str::from_utf8) {
                Some(Ok(key)) => Arc::from(key),
                // Not reached: the parts are UTF-8 and fit.
                _ => Self::joined_string(provider, id).into(),
            }
        } else {
            Self::joined_string(provider, id).into()
        };
        Self {
            key,
            provider_len: provider.len(),
            is_content_digest: false,
        }
    }

    /// The key of [`joined`](Self::joined) in a `String`.
    fn joined_string(provider: &str, id: &[&str]) -> String {
        let len = id.iter().map(|part| part.len()).sum::<usize>();
        let mut key = String::with_capacity(provider.len() + 1 + len);
        key.extend(provider.chars().map(|c| if c == ':' { '_' } else { c }));
        key.push(':');
        id.iter().for_each(|part| key.push_str(part));
        key
    }

    /// The id of a delivery that carries none of its own: `sha256:` + the hex SHA-256 of the
    /// verified bytes.
    #[must_use]
    pub fn digest(provider: &str, verified: &[u8]) -> Self {
        let digest = Sha256::digest(verified);
        let mut hex = [0u8; 64];
        // 32 bytes always fit 64 hex digits, which are ASCII: neither step can fail.
        let hex = hex::encode_to_slice(digest, &mut hex)
            .ok()
            .and_then(|()| std::str::from_utf8(&hex).ok())
            .unwrap_or_default();
        Self {
            is_content_digest: true,
            ..Self::joined(provider, &["sha256:", hex])
        }
    }

    /// The SHA-256 of the verified content when this id was made from it
    /// ([`MessageId::digest`]), `None` for a provider's own id. An id that is the content's
    /// digest already identifies the content: the optional body-digest check of the
    /// idempotency step reuses it instead of hashing the body again.
    ///
    /// ```
    /// use webhook_receiver::MessageId;
    /// assert!(MessageId::digest("munity", b"{}").content_digest().is_some());
    /// assert!(MessageId::new("receeve", "09feeb6f").content_digest().is_none());
    /// ```
    #[must_use]
    pub fn content_digest(&self) -> Option<[u8; 32]> {
        if !self.is_content_digest {
            return None;
        }
        let hex = self.as_str().strip_prefix("sha256:")?;
        let mut digest = [0u8; 32];
        hex::decode_to_slice(hex, &mut digest).ok()?;
        Some(digest)
    }

    /// The provider namespace.
    #[must_use]
    pub fn provider(&self) -> &str {
        self.key.get(..self.provider_len).unwrap_or_default()
    }

    /// The id within the provider's namespace.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.key.get(self.provider_len + 1..).unwrap_or_default()
    }

    /// The namespaced key, `"{provider}:{id}"`: what idempotency stores key on.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key's shared allocation, for a store that keeps it without copying it.
    pub(crate) fn shared_key(&self) -> Arc<str> {
        Arc::clone(&self.key)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MessageId").field(&self.key()).finish()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}
