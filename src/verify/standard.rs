//! [Standard Webhooks](https://www.standardwebhooks.com/) verification (Svix and the senders
//! built on it): see [`StandardScheme`].

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::encoding::base64_mac;
use super::hmac::MacKeys;
use crate::clock::{Clock, SystemClock, check_tolerance};
use crate::headers::text;
use crate::{ConfigError, Error, Headers, Keyring, Secret, Verified};

const WHSEC_PREFIX: &str = "whsec_";

/// The names of the three headers of one header set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderNames {
    pub(crate) id: &'static str,
    pub(crate) timestamp: &'static str,
    pub(crate) signature: &'static str,
}

impl HeaderNames {
    /// The specification's names.
    pub(crate) const WEBHOOK: Self = Self {
        id: "webhook-id",
        timestamp: "webhook-timestamp",
        signature: "webhook-signature",
    };

    /// The names Svix sends.
    pub(crate) const SVIX: Self = Self {
        id: "svix-id",
        timestamp: "svix-timestamp",
        signature: "svix-signature",
    };

    /// The set a delivery uses, with the raw values of its three headers: `webhook-` when
    /// any of its headers is present, else `svix-` when any of those is, else `webhook-` (so
    /// errors name the specification's headers). One [`Headers::get_each`] for the usual
    /// delivery, a second only when no `webhook-` header is there.
    pub(crate) fn read<H: Headers + ?Sized>(headers: &H) -> (Self, HeaderValues<'_>) {
        let webhook = HeaderValues::read(headers, Self::WEBHOOK);
        if webhook.any() {
            return (Self::WEBHOOK, webhook);
        }
        let svix = HeaderValues::read(headers, Self::SVIX);
        if svix.any() {
            return (Self::SVIX, svix);
        }
        (Self::WEBHOOK, webhook)
    }
}

/// The raw values of the three headers of one set, as found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderValues<'h> {
    id: Option<&'h [u8]>,
    timestamp: Option<&'h [u8]>,
    signature: Option<&'h [u8]>,
}

impl<'h> HeaderValues<'h> {
    fn read<H: Headers + ?Sized>(headers: &'h H, names: HeaderNames) -> Self {
        let mut found = [None; 3];
        headers.get_each(&[names.id, names.timestamp, names.signature], &mut found);
        let [id, timestamp, signature] = found;
        Self {
            id,
            timestamp,
            signature,
        }
    }

    fn any(&self) -> bool {
        self.id.is_some() || self.timestamp.is_some() || self.signature.is_some()
    }
}

/// [Standard Webhooks](https://www.standardwebhooks.com/) (Svix) verification: `v1`
/// HMAC-SHA256 signatures over `{id}.{timestamp}.{body}`, with a replay window on the
/// timestamp.
///
/// # The scheme
///
/// A delivery carries three headers (Svix also sends them as `svix-id`, `svix-timestamp` and
/// `svix-signature`; the `webhook-` set is used when any of its headers is present, the
/// `svix-` set otherwise). Header names match in any case.
///
/// | header | content |
/// |---|---|
/// | `webhook-id` | the message id, stable across retries: the deduplication key |
/// | `webhook-timestamp` | when the attempt was sent, in unix seconds |
/// | `webhook-signature` | a space-separated list of `v1,<base64>` entries |
///
/// Each `v1` entry is the base64 of HMAC-SHA256 over `{id}.{timestamp}.{raw body}`, keyed with
/// the bytes of the secret (the sender shows it as `whsec_` + base64 of those bytes). A
/// delivery is accepted when any well-formed `v1` entry matches any key of the [`Keyring`] and
/// its timestamp lies within the tolerance of the [`Clock`] (300 s in either direction by
/// default). An empty entry (`v1,`) never matches anything. The base64 may leave out its
/// `=` padding (it decodes to the same MAC); any other difference, such as non-zero trailing
/// bits, makes the entry malformed.
///
/// `v1a` entries (asymmetric ed25519 over the same content) are verified when the scheme has
/// an ed25519 public key ([`StandardScheme::with_ed25519_key`], [`StandardScheme::from_whpk`],
/// feature `public-key`) and skipped otherwise. Entries of other versions are skipped. A list
/// with no entry the scheme can check is rejected as having no supported signature version
/// ([`Error::MalformedSignature`]).
///
/// # What one delivery can cost
///
/// A long list cannot multiply the hashing of a large body:
/// - each key's `v1` MAC is computed once however many `v1` entries the header lists; each
///   further entry costs a 32-byte constant-time comparison;
/// - an ed25519 check hashes the whole content again with the signature's own `R`, so nothing
///   can be shared between `v1a` entries. Repeated entries are checked once, and only the
///   first [`MAX_V1A_ENTRIES`](Self::MAX_V1A_ENTRIES) distinct ones are checked at all (a
///   sender lists one per active key, two or three during a rotation); later ones are
///   skipped.
///
/// So a delivery costs at most `v1 keys + MAX_V1A_ENTRIES x ed25519 keys` passes over
/// `{id}.{timestamp}.{body}`, whatever its signature header holds.
///
/// Built once at start-up and cheap to clone. Verification of `v1` entries allocates nothing
/// on the heap: the id is borrowed from the headers, the signed content is fed to the MAC in
/// parts, and signatures are decoded onto the stack. Comparison is constant-time (`subtle`,
/// every key's MAC compared).
///
/// # Rotating a secret without downtime
///
/// 1. Add the new secret to the keyring, beside the old one, and deploy: both are accepted.
/// 2. Switch the sender to the new secret.
/// 3. Once no delivery signed with the old secret can still arrive (mind the sender's retry
///    schedule), remove the old secret and deploy.
///
/// ```
/// use webhook_receiver::Keyring;
/// use webhook_receiver::verify::StandardScheme;
///
/// # fn main() -> Result<(), webhook_receiver::ConfigError> {
/// let keys = Keyring::new(StandardScheme::parse_secret("whsec_bmV3LXNlY3JldC1ieXRlcw==")?)
///     .with(StandardScheme::parse_secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")?);
/// let scheme = StandardScheme::new(keys);
/// # let _ = scheme;
/// # Ok(())
/// # }
/// ```
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use webhook_receiver::clock::ManualClock;
/// use webhook_receiver::verify::StandardScheme;
///
/// let scheme = StandardScheme::from_whsec("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
///     .unwrap()
///     .clock(Arc::new(ManualClock::at_unix(1_649_367_553)));
/// let body = br#"{"email":"test@example.com","username":"test_user"}"#;
/// let signature = scheme.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, body);
/// assert_eq!(signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
///
/// let headers = [
///     ("webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
///     ("webhook-timestamp", "1649367553"),
///     ("webhook-signature", signature.as_str()),
/// ];
/// let verified = scheme.verify(&headers, body).unwrap();
/// assert_eq!(verified.id(), Some("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"));
///
/// // The empty signature that once verified anything in a popular library:
/// let forged = [
///     ("webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
///     ("webhook-timestamp", "1649367553"),
///     ("webhook-signature", "v1,"),
/// ];
/// assert!(scheme.verify(&forged, body).is_err());
/// ```
#[derive(Clone)]
pub struct StandardScheme {
    pub(crate) keys: MacKeys,
    /// Public keys for `v1a` (ed25519) entries; empty: `v1a` entries are skipped.
    #[cfg(feature = "public-key")]
    ed25519: Arc<[ed25519_dalek::VerifyingKey]>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
}

impl StandardScheme {
    /// The default replay window: 5 minutes either side of now, as the specification
    /// requires.
    pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

    /// How many distinct `v1a` entries of one signature header are checked, at most: each
    /// costs an ed25519 verification (a pass over the signed content) per public key. A sender
    /// lists one entry per active key; later entries are skipped, and repeats are checked
    /// once.
    pub const MAX_V1A_ENTRIES: usize = 4;

    /// A scheme checking every key of `keys`, with the default tolerance
    /// ([`DEFAULT_TOLERANCE`](Self::DEFAULT_TOLERANCE)) and the system clock.
    ///
    /// `keys` are the raw key bytes; for `whsec_` secrets use [`from_whsec`](Self::from_whsec)
    /// or [`parse_secret`](Self::parse_secret).
    #[must_use]
    pub fn new(keys: impl Into<Keyring>) -> Self {
        Self {
            keys: MacKeys::new(&keys.into()),
            #[cfg(feature = "public-key")]
            ed25519: Arc::new([]),
            tolerance: Self::DEFAULT_TOLERANCE,
            clock: Arc::new(SystemClock),
        }
    }

    /// A scheme for a sender that signs only asymmetrically (`v1a`, ed25519), with its public
    /// key as the sender shows it: `whpk_` + base64 of the 32 key bytes (the prefix may be left
    /// out). `v1` entries then never match.
    ///
    /// # Errors
    /// [`ConfigError`] when the key is not 32 bytes of base64 or not a valid ed25519 point.
    #[cfg(feature = "public-key")]
    #[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
    pub fn from_whpk(public_key: &str) -> Result<Self, ConfigError> {
        let mut scheme = Self {
            keys: MacKeys::empty(),
            ed25519: Arc::new([]),
            tolerance: Self::DEFAULT_TOLERANCE,
            clock: Arc::new(SystemClock),
        };
        scheme = scheme.with_ed25519_key(public_key)?;
        Ok(scheme)
    }

    /// Also accepts `v1a` (ed25519) entries signed by the key whose public half is
    /// `public_key` (`whpk_` + base64 of 32 bytes; the prefix may be left out). Call it again
    /// to accept several keys (rotation). Without any such key, `v1a` entries are skipped.
    ///
    /// # Errors
    /// [`ConfigError`] when the key is not 32 bytes of base64 or not a valid ed25519 point.
    #[cfg(feature = "public-key")]
    #[cfg_attr(docsrs, doc(cfg(feature = "public-key")))]
    pub fn with_ed25519_key(mut self, public_key: &str) -> Result<Self, ConfigError> {
        let text = public_key.trim();
        let text = text.strip_prefix("whpk_").unwrap_or(text);
        let bytes = super::encoding::base64_to_vec(text)
            .filter(|b| b.len() == 32)
            .ok_or_else(|| ConfigError::new("ed25519 public key is not 32 bytes of base64"))?;
        let key = super::public_key::ed25519::key(&bytes)?;
        let mut keys = self.ed25519.to_vec();
        keys.push(key);
        self.ed25519 = keys.into();
        Ok(self)
    }

    /// A scheme with one secret given as the sender shows it: `whsec_` + base64 (the prefix
    /// may be left out).
    ///
    /// # Errors
    /// [`ConfigError`] when the secret is empty or not base64.
    pub fn from_whsec(secret: &str) -> Result<Self, ConfigError> {
        Ok(Self::new(Self::parse_secret(secret)?))
    }

    /// Decodes a `whsec_` secret (the prefix may be left out) into its key bytes, to build a
    /// [`Keyring`] of several.
    ///
    /// # Errors
    /// [`ConfigError`] when the secret is empty or not base64.
    pub fn parse_secret(secret: &str) -> Result<Secret, ConfigError> {
        let secret = secret.trim();
        let encoded = secret.strip_prefix(WHSEC_PREFIX).unwrap_or(secret);
        let bytes = super::encoding::base64_to_vec(encoded)
            .ok_or_else(|| ConfigError::new("secret is not `whsec_` followed by base64"))?;
        Secret::new(bytes)
    }

    /// Sets the replay window: timestamps further than `tolerance` from now, in either
    /// direction, are rejected. Default [`DEFAULT_TOLERANCE`](Self::DEFAULT_TOLERANCE) (300 s).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Sets where "now" comes from (default [`SystemClock`]); tests inject a
    /// [`ManualClock`](crate::clock::ManualClock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// "Now" on the scheme's clock, in unix seconds: the timestamp a signer of the testing
    /// kit stamps a delivery with.
    #[cfg(feature = "testing")]
    pub(crate) fn now_unix(&self) -> i64 {
        i64::try_from(self.clock.now_unix_nanos() / 1_000_000_000).unwrap_or(i64::MAX)
    }

    /// Authenticates a delivery: its id, timestamp (within the tolerance) and raw `body`
    /// against the signature list. The returned [`Verified`] carries the body, the id and the
    /// timestamp.
    ///
    /// The checks run in this order: id header, timestamp header and window (a cheap
    /// rejection of replays before any hashing), signature list, MACs.
    ///
    /// # Errors
    /// - [`Error::MissingHeader`] without an id header, [`Error::MalformedHeader`] when it is
    ///   empty or not UTF-8;
    /// - [`Error::MissingTimestamp`], [`Error::MalformedTimestamp`] (not unix seconds),
    ///   [`Error::TimestampOutOfTolerance`];
    /// - [`Error::MissingSignature`] without a signature header;
    ///   [`Error::MalformedSignature`] when it is empty or holds no well-formed `v1` entry
    ///   (an empty `v1,`, bad base64, not 32 bytes, only unknown versions);
    ///   [`Error::InvalidSignature`] when well-formed `v1` entries are present but none
    ///   matches any key.
    pub fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let (id, timestamp) = self.check(headers, body)?;
        Ok(Verified::new(body).with_id(id).with_timestamp(timestamp))
    }

    /// [`verify`](Self::verify) without allocating: returns the id (borrowed from the
    /// headers) and the timestamp.
    pub(crate) fn check<'h, H: Headers + ?Sized>(
        &self,
        headers: &'h H,
        body: &[u8],
    ) -> Result<(&'h str, OffsetDateTime), Error> {
        let (names, values) = HeaderNames::read(headers);
        let id = read_id(values.id, names)?;
        let (timestamp_text, timestamp) = read_timestamp(values.timestamp)?;
        check_tolerance(
            i128::from(timestamp.unix_timestamp()) * 1_000_000_000,
            self.clock.as_ref(),
            self.tolerance,
        )?;
        let list = values.signature.ok_or(Error::MissingSignature {
            location: Cow::Borrowed(names.signature),
        })?;
        let list = text(list).ok_or(Error::MalformedSignature {
            reason: "not UTF-8",
        })?;
        self.check_list(
            list,
            &[id.as_bytes(), b".", timestamp_text.as_bytes(), b".", body],
        )?;
        Ok((id, timestamp))
    }

    /// Checks the signature list against the MAC of the concatenated `parts`, in one pass
    /// over the list: the MACs are computed (once per key) at the first well-formed `v1`
    /// entry, so a list without one is rejected without hashing the body, and each further
    /// entry costs a constant-time comparison.
    fn check_list(&self, list: &str, parts: &[&[u8]]) -> Result<(), Error> {
        let mut tags = None;
        let mut usable = false;
        let mut first_problem = None;
        #[cfg(feature = "public-key")]
        let mut message: Option<Vec<u8>> = None;
        #[cfg(feature = "public-key")]
        let mut checked_v1a = DistinctV1a::default();
        for entry in entries(list) {
            match entry {
                Entry::V1(Ok(signature)) => {
                    usable = true;
                    let tags = tags.get_or_insert_with(|| self.keys.tags(parts));
                    if tags.matches(&signature) {
                        return Ok(());
                    }
                }
                Entry::V1(Err(reason)) => {
                    first_problem.get_or_insert(reason);
                }
                #[cfg(feature = "public-key")]
                Entry::V1a(result) if !self.ed25519.is_empty() => match result {
                    Ok(signature) => {
                        usable = true;
                        // Each ed25519 check hashes the whole message again (with the
                        // signature's own R), so no work can be shared between entries:
                        // repeats are dropped and only the first few distinct entries count.
                        if !checked_v1a.admit(signature) {
                            continue;
                        }
                        // ed25519 signs the whole message at once, so only this path joins
                        // the parts (once per request).
                        let message = message.get_or_insert_with(|| parts.concat());
                        if super::public_key::ed25519::verifies(&self.ed25519, message, &signature)
                        {
                            return Ok(());
                        }
                    }
                    Err(reason) => {
                        first_problem.get_or_insert(reason);
                    }
                },
                _ => {}
            }
        }
        if usable {
            return Err(Error::InvalidSignature);
        }
        let reason = match first_problem {
            Some(reason) => reason,
            None if list.is_empty() => "empty",
            None => "no supported signature version",
        };
        Err(Error::MalformedSignature { reason })
    }
}

impl AsRef<StandardScheme> for StandardScheme {
    fn as_ref(&self) -> &StandardScheme {
        self
    }
}

impl std::fmt::Debug for StandardScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut f = f.debug_struct("StandardScheme");
        f.field("keys", &self.keys.len());
        #[cfg(feature = "public-key")]
        f.field("ed25519_keys", &self.ed25519.len());
        f.field("tolerance", &self.tolerance)
            .field("clock", &self.clock)
            .finish()
    }
}

/// The id header's value (found by [`HeaderNames::read`]): non-empty UTF-8.
pub(crate) fn read_id(value: Option<&[u8]>, names: HeaderNames) -> Result<&str, Error> {
    let header = Cow::Borrowed(names.id);
    let value = value.ok_or_else(|| Error::MissingHeader {
        header: header.clone(),
    })?;
    match text(value) {
        None => Err(Error::MalformedHeader {
            header,
            reason: "not UTF-8",
        }),
        Some("") => Err(Error::MalformedHeader {
            header,
            reason: "empty",
        }),
        Some(id) => Ok(id),
    }
}

/// The timestamp header's text as sent (it is part of the signed content) and its value.
pub(crate) fn read_timestamp(value: Option<&[u8]>) -> Result<(&str, OffsetDateTime), Error> {
    let value = value.ok_or(Error::MissingTimestamp)?;
    let text = text(value).ok_or(Error::MalformedTimestamp)?;
    Ok((text, parse_unix_seconds(text)?))
}

/// Unix seconds: ASCII digits only (no sign, no fraction, no exponent).
fn parse_unix_seconds(text: &str) -> Result<OffsetDateTime, Error> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::MalformedTimestamp);
    }
    let seconds: i64 = text.parse().map_err(|_| Error::MalformedTimestamp)?;
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| Error::MalformedTimestamp)
}

/// The distinct `v1a` signatures seen so far in a list, up to
/// [`StandardScheme::MAX_V1A_ENTRIES`], on the stack.
#[cfg(feature = "public-key")]
struct DistinctV1a {
    seen: [[u8; 64]; StandardScheme::MAX_V1A_ENTRIES],
    len: usize,
}

#[cfg(feature = "public-key")]
impl Default for DistinctV1a {
    fn default() -> Self {
        Self {
            seen: [[0; 64]; StandardScheme::MAX_V1A_ENTRIES],
            len: 0,
        }
    }
}

#[cfg(feature = "public-key")]
impl DistinctV1a {
    /// Whether `signature` is to be checked: new, and within the cap. Signatures are public
    /// (they are in the request), so an ordinary comparison is fine here.
    fn admit(&mut self, signature: [u8; 64]) -> bool {
        let seen = self.seen.get(..self.len).unwrap_or_default();
        if seen.contains(&signature) {
            return false;
        }
        match self.seen.get_mut(self.len) {
            Some(slot) => {
                *slot = signature;
                self.len += 1;
                true
            }
            None => false,
        }
    }
}

/// One entry of the signature list.
enum Entry {
    /// A `v1` entry: its MAC decoded onto the stack, or why it cannot be one.
    V1(Result<[u8; 32], &'static str>),
    /// A `v1a` entry: its ed25519 signature, or why it cannot be one.
    #[cfg(feature = "public-key")]
    V1a(Result<[u8; 64], &'static str>),
    /// Another version (a future `v2`; `v1a` without the `public-key` feature) or not
    /// `version,signature` at all: skipped.
    Unsupported,
}

/// The entries of a signature list, separated by white space.
fn entries(list: &str) -> impl Iterator<Item = Entry> + '_ {
    list.split_ascii_whitespace()
        .map(|entry| match entry.split_once(',') {
            Some(("v1", "")) => Entry::V1(Err("empty v1 signature")),
            Some(("v1", encoded)) => {
                let mut mac = [0u8; 32];
                Entry::V1(match base64_mac(encoded, &mut mac) {
                    Ok(()) => Ok(mac),
                    Err(Error::MalformedSignature { reason }) => Err(reason),
                    Err(_) => Err("not 32 bytes of base64"),
                })
            }
            #[cfg(feature = "public-key")]
            Some(("v1a", encoded)) => Entry::V1a(
                super::encoding::base64_to_vec(encoded)
                    .and_then(|b| <[u8; 64]>::try_from(b).ok())
                    .ok_or("not 64 bytes of base64"),
            ),
            _ => Entry::Unsupported,
        })
}

/// The id and timestamp a delivery claims, read without any check, for
/// [`dangerous::parse_unverified`](crate::dangerous::parse_unverified): absent or unreadable
/// headers give `None`.
pub(crate) fn read_unverified<H: Headers + ?Sized>(
    headers: &H,
) -> (Option<&str>, Option<OffsetDateTime>) {
    let (names, values) = HeaderNames::read(headers);
    let id = read_id(values.id, names).ok();
    let timestamp = read_timestamp(values.timestamp).ok().map(|(_, t)| t);
    (id, timestamp)
}
