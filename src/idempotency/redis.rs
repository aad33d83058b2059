use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use time::OffsetDateTime;

use super::{Claim, IdempotencyStore, Lease, StoreError, deadline};
use crate::MessageId;

/// The key prefix unless set with [`RedisStore::with_prefix`].
const DEFAULT_PREFIX: &str = "webhook-receiver:";

/// How long [`RedisStore::connect`] waits for each connection attempt: 5 s.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a store made by [`RedisStore::connect`] waits for each answer: 5 s.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How many times a store made by [`RedisStore::connect`] retries a connection, with an
/// exponential backoff from 100 ms, before a call fails.
const CONNECT_RETRIES: usize = 3;

/// The longest lease or retention sent to Redis, in ms (about 10 000 years): longer ones are
/// capped, so that Redis never refuses an expiry as out of range.
const MAX_TTL_MS: u64 = 10_000 * 365 * 24 * 60 * 60 * 1000;

/// Claim: `KEYS[1]` the record, `ARGV[1]` the token, `ARGV[2]` the lease in ms, `ARGV[3]` the
/// digest or `""`. Answers `{0, seconds, microseconds}` (acquired, the server's time),
/// `{1}` (conflict), `{2, pttl}` (in progress) or `{3}` (completed).
const CLAIM: &str = r"
local key = KEYS[1]
local record = redis.call('HMGET', key, 's', 'd')
local state, digest = record[1], record[2]
if not state then
  local now = redis.call('TIME')
  redis.call('DEL', key)
  if ARGV[3] == '' then
    redis.call('HSET', key, 's', 'p', 't', ARGV[1])
  else
    redis.call('HSET', key, 's', 'p', 't', ARGV[1], 'd', ARGV[3])
  end
  redis.call('PEXPIRE', key, ARGV[2])
  return {0, tonumber(now[1]), tonumber(now[2])}
end
if digest and ARGV[3] ~= '' and digest ~= ARGV[3] then
  return {1}
end
if state == 'p' then
  return {2, redis.call('PTTL', key)}
end
return {3}
";

/// Complete: `KEYS[1]` the record, `ARGV[1]` the token, `ARGV[2]` the retention in ms.
/// Answers 1 when done, 0 when the lease is lost.
const COMPLETE: &str = r"
local key = KEYS[1]
local record = redis.call('HMGET', key, 's', 't')
if record[1] == 'p' and record[2] == ARGV[1] then
  redis.call('HSET', key, 's', 'c')
  redis.call('PEXPIRE', key, ARGV[2])
  return 1
end
if record[1] == 'c' and record[2] == ARGV[1] then
  return 1
end
return 0
";

/// Release: `KEYS[1]` the record, `ARGV[1]` the token. Answers 1 when done, 0 when the lease
/// is lost.
const RELEASE: &str = r"
local key = KEYS[1]
local record = redis.call('HMGET', key, 's', 't')
if record[1] == 'p' and record[2] == ARGV[1] then
  redis.call('DEL', key)
  return 1
end
return 0
";

struct Scripts {
    claim: Script,
    complete: Script,
    release: Script,
}

/// An [`IdempotencyStore`] in Redis: one Lua script per operation, deadlines kept as key
/// TTLs on the server's clock, for receivers running as several instances (the key layout
/// and the scripts below).
///
/// Cheap to clone: clones share the connection (a [`ConnectionManager`], which multiplexes
/// concurrent calls over one connection and reconnects by itself).
///
/// # Key layout
///
/// One key per message id: the store's prefix (`webhook-receiver:` unless set with
/// [`RedisStore::with_prefix`]) followed by [`MessageId::key`], which is already namespaced
/// by provider (`webhook-receiver:receeve:09feeb6f-...`). The key is a hash:
///
/// | field | value |
/// |---|---|
/// | `s` | `p` while in progress, `c` once completed |
/// | `t` | the owner token of the lease that claimed (and completed) the id, 32 lowercase hex digits |
/// | `d` | the body digest, 64 lowercase hex digits (only when the claim carried one) |
///
/// # The clock: the server's, through TTLs
///
/// Deadlines are never computed by a receiver: they are the key's TTL, set with `PEXPIRE`
/// by the scripts below and enforced by Redis on its own clock. An in-progress key lives for
/// the lease, a completed key for the retention; when it expires Redis deletes it, and an
/// expired key is exactly an absent one. Instances whose clocks disagree therefore still
/// agree on who owns an id, and Redis itself bounds the memory the store uses: no sweeping,
/// no key left without a TTL. Size Redis for the ids received within a retention.
///
/// # A Redis that remembers
///
/// A completed id is only as durable as the server: a Redis without its append-only file
/// forgets every completion on a restart, and one allowed to evict keys forgets them under
/// memory pressure; either way retries are processed again. [`RedisStore::connect`] checks
/// both (`appendonly yes`; `maxmemory-policy noeviction` or no `maxmemory`) and refuses a
/// server that fails them, with a [`StoreError::Misconfigured`] that says what to change;
/// [`RedisStore::connect_unchecked`] skips the check.
///
/// [`Lease::expires_at`] is the server's `TIME` at the claim plus the lease, so it shows
/// the deadline Redis enforces (converted with the server's clock, not this process's).
///
/// # The scripts
///
/// Each operation is one Lua script (run with `EVALSHA`, loaded by the `redis` crate on
/// first use or after a server restart), so it is atomic with no read-then-write race. Each
/// touches one key, so it also runs on Redis Cluster.
///
/// - **claim** (key; token, lease in ms, digest or empty): if the key has no state (absent
///   or expired), store `s=p`, the token and the digest, `PEXPIRE` it by the lease, and
///   answer acquired with the server's `TIME`. Otherwise, if both the record and the claim
///   carry a digest and they differ, answer conflict; else, in progress, answer in progress
///   with the key's `PTTL` (the `retry_after`); else answer completed.
/// - **complete** (key; token, retention in ms): only if the key is in progress and its
///   token is the lease's, set `s=c` and `PEXPIRE` it by the retention; if it is already
///   completed with the lease's token (a retry whose first reply was lost), answer done;
///   else nothing changes and the call fails with [`StoreError::LeaseLost`].
/// - **release** (key; token): only if the key is in progress and its token is the
///   lease's, `DEL` it; else [`StoreError::LeaseLost`].
///
/// Durations are sent in whole milliseconds, rounded up, and capped at about 10 000 years.
///
/// # Failures
///
/// A connection or script failure is [`StoreError::Unavailable`] (503: the sender retries
/// later), never a panic. The messages never contain the URL or its password. The
/// [`ConnectionManager`] reconnects by itself after a failure. If the reply to a claim is
/// lost after Redis ran it, the id stays in progress until its lease runs out, like a
/// crashed worker's claim; a lost reply to a complete leaves the id in progress likewise
/// (the handler may then run again after the lease).
///
/// # Example
///
/// ```no_run
/// use webhook_receiver::idempotency::RedisStore;
/// use webhook_receiver::providers::receeve::Receeve;
/// use webhook_receiver::{Receiver, Secret};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379/")
///     .await?
///     .with_prefix("billing:webhooks:");
/// let receiver = Receiver::builder(Receeve::hmac(Secret::new("shared-key")?))
///     .store(store)
///     .build();
/// # let _ = receiver;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    manager: ConnectionManager,
    prefix: Arc<str>,
    scripts: Arc<Scripts>,
}

impl RedisStore {
    /// The key prefix unless set with [`with_prefix`](Self::with_prefix): `webhook-receiver:`.
    pub const DEFAULT_PREFIX: &'static str = DEFAULT_PREFIX;
    /// How long [`connect`](Self::connect) waits for each connection attempt: 5 s.
    pub const CONNECT_TIMEOUT: Duration = CONNECT_TIMEOUT;
    /// How long a store made by [`connect`](Self::connect) waits for each answer: 5 s.
    pub const RESPONSE_TIMEOUT: Duration = RESPONSE_TIMEOUT;
}

impl RedisStore {
    /// Connects to the Redis server at `url` (`redis://[:password@]host:port/db`, or
    /// `rediss://` if the `redis` crate is built with TLS).
    ///
    /// Each connection attempt times out after [`CONNECT_TIMEOUT`](RedisStore::CONNECT_TIMEOUT), each answer after
    /// [`RESPONSE_TIMEOUT`](RedisStore::RESPONSE_TIMEOUT), and a lost connection is retried 3 times with a short backoff
    /// before a call fails; an unreachable server is therefore an error within seconds, not a
    /// hang. For other settings, build the [`ConnectionManager`] yourself and use
    /// [`RedisStore::new`].
    ///
    /// Then checks that the server remembers what the store writes
    /// ([`check_durability`](RedisStore::check_durability)) and refuses it otherwise; a server
    /// you deliberately run without persistence (a test, a cache you accept to lose) is
    /// [`connect_unchecked`](RedisStore::connect_unchecked).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the URL does not parse or the server cannot be
    /// reached (the message never contains the URL); [`StoreError::Misconfigured`] when the
    /// server could forget completed ids.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect_unchecked(url).await?;
        store.check_durability().await?;
        Ok(store)
    }

    /// [`connect`](RedisStore::connect) without the durability check: completed ids are lost
    /// if the server restarts without persistence or evicts the store's keys, and retries of
    /// those events are processed again.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the URL does not parse or the server cannot be
    /// reached.
    pub async fn connect_unchecked(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|error| unavailable(&error, url))?;
        let manager = ConnectionManager::new_with_config(client, manager_config())
            .await
            .map_err(|error| unavailable(&error, url))?;
        Ok(Self::new(manager))
    }

    /// Checks that the server keeps completed ids across a restart and never evicts them:
    ///
    /// - `appendonly yes`: the append-only file is the persistence that keeps every
    ///   completion (with `appendfsync everysec`, the default, a crash of the server loses at
    ///   most the last second). RDB snapshots alone (`save`) lose everything since the last
    ///   snapshot, so they are not enough.
    /// - no eviction of the store's keys: `maxmemory 0` (no limit), or
    ///   `maxmemory-policy noeviction` (a full Redis then refuses writes, and claims answer
    ///   503 until there is room). Every key of the store has a TTL, so `volatile-*` policies
    ///   evict them as readily as `allkeys-*` ones.
    ///
    /// # Errors
    ///
    /// [`StoreError::Misconfigured`] naming what to change, also when the server does not
    /// answer `CONFIG GET` (some managed services disable it: check the settings there, then
    /// use [`connect_unchecked`](RedisStore::connect_unchecked) or [`new`](RedisStore::new));
    /// [`StoreError::Unavailable`] when it cannot be reached.
    pub async fn check_durability(&self) -> Result<(), StoreError> {
        let setting = |name: &'static str| {
            let mut connection = self.manager.clone();
            async move {
                let reply: Vec<String> = redis::cmd("CONFIG")
                    .arg("GET")
                    .arg(name)
                    .query_async(&mut connection)
                    .await
                    .map_err(|error| {
                        if error.is_io_error() || error.is_timeout() {
                            StoreError::Unavailable(format!("cannot read `{name}`: {error}"))
                        } else {
                            StoreError::Misconfigured(format!(
                                "cannot read the server's `{name}` setting (CONFIG GET: \
                                 {error}); check persistence and eviction yourself, then use \
                                 `RedisStore::connect_unchecked`"
                            ))
                        }
                    })?;
                Ok::<_, StoreError>(reply.get(1).cloned().unwrap_or_default())
            }
        };
        let appendonly = setting("appendonly").await?;
        let maxmemory = setting("maxmemory").await?;
        let policy = setting("maxmemory-policy").await?;
        if !appendonly.eq_ignore_ascii_case("yes") {
            return Err(StoreError::Misconfigured(
                "Redis runs without its append-only file (`appendonly no`): completed message \
                 ids would be lost on a restart (RDB snapshots keep only what came before the \
                 last one), and retries of those events processed again. Set `appendonly yes` \
                 (`CONFIG SET appendonly yes`, and in redis.conf), or use \
                 `RedisStore::connect_unchecked` to accept the loss"
                    .into(),
            ));
        }
        if maxmemory.trim() != "0" && !policy.eq_ignore_ascii_case("noeviction") {
            return Err(StoreError::Misconfigured(format!(
                "Redis may evict this store's keys under memory pressure (`maxmemory {maxmemory}` \
                 with `maxmemory-policy {policy}`; every key of the store has a TTL, so \
                 `volatile-*` policies evict them too), and retries of those events would be \
                 processed again. Set `maxmemory-policy noeviction` (or `maxmemory 0`), or use \
                 `RedisStore::connect_unchecked` to accept it"
            )));
        }
        Ok(())
    }

    /// A store over a connection you configured, with the [`DEFAULT_PREFIX`](RedisStore::DEFAULT_PREFIX). No
    /// durability check is made: call [`check_durability`](RedisStore::check_durability).
    #[must_use]
    pub fn new(manager: ConnectionManager) -> Self {
        Self {
            manager,
            prefix: Arc::from(DEFAULT_PREFIX),
            scripts: Arc::new(Scripts {
                claim: Script::new(CLAIM),
                complete: Script::new(COMPLETE),
                release: Script::new(RELEASE),
            }),
        }
    }

    /// The same store with keys named `prefix` + [`MessageId::key`]: to share one Redis
    /// database between applications or environments.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Arc::from(prefix.into());
        self
    }

    /// The key prefix ([`DEFAULT_PREFIX`](RedisStore::DEFAULT_PREFIX) unless set).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The Redis key holding the record of `id`: the prefix followed by [`MessageId::key`].
    #[must_use]
    pub fn key(&self, id: &MessageId) -> String {
        let mut key = String::with_capacity(self.prefix.len() + id.key().len());
        key.push_str(&self.prefix);
        key.push_str(id.key());
        key
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The connection settings of every connection the crate opens to Redis (the store's and the
/// inbox's): each attempt and each answer bounded, a lost connection retried a few times.
pub(crate) fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(CONNECT_RETRIES)
}

impl crate::__private::Sealed for RedisStore {}

impl IdempotencyStore for RedisStore {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn claim_with_digest(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        // The token is drawn here and recorded by the script; the deadline is replaced by
        // the server's once the script answers.
        let provisional = Lease::new(id.clone(), deadline(OffsetDateTime::now_utc(), lease));
        let lease_ms = ttl_ms(lease);
        let digest = digest.map(hex::encode).unwrap_or_default();
        let mut connection = self.manager.clone();
        let reply: Vec<i64> = self
            .scripts
            .claim
            .key(self.key(id))
            .arg(token_hex(provisional.token()))
            .arg(lease_ms)
            .arg(digest)
            .invoke_async(&mut connection)
            .await
            .map_err(|error| unavailable(&error, ""))?;
        match reply.as_slice() {
            [0, seconds, micros] => {
                let now = server_time(*seconds, *micros)?;
                let expires_at = deadline(now, Duration::from_millis(lease_ms));
                Ok(Claim::Acquired(Lease::from_parts(
                    id.clone(),
                    provisional.token(),
                    expires_at,
                )))
            }
            [1] => Ok(Claim::Conflict),
            [2, pttl] => Ok(Claim::InProgress {
                retry_after: Duration::from_millis(u64::try_from(*pttl).unwrap_or(0)),
            }),
            [3] => Ok(Claim::Completed),
            _ => Err(StoreError::Unavailable(
                "unexpected reply from the claim script".to_owned(),
            )),
        }
    }

    async fn complete(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        super::retry_transient(lease, || self.complete_once(lease, retention)).await
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        super::retry_transient(lease, || self.release_once(lease)).await
    }
}

impl RedisStore {
    async fn complete_once(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        let mut connection = self.manager.clone();
        let done: i64 = self
            .scripts
            .complete
            .key(self.key(lease.id()))
            .arg(token_hex(lease.token()))
            .arg(ttl_ms(retention))
            .invoke_async(&mut connection)
            .await
            .map_err(|error| unavailable(&error, ""))?;
        if done == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost)
        }
    }

    async fn release_once(&self, lease: &Lease) -> Result<(), StoreError> {
        let mut connection = self.manager.clone();
        let done: i64 = self
            .scripts
            .release
            .key(self.key(lease.id()))
            .arg(token_hex(lease.token()))
            .invoke_async(&mut connection)
            .await
            .map_err(|error| unavailable(&error, ""))?;
        if done == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost)
        }
    }
}

/// The owner token as Redis stores it: 32 lowercase hex digits.
fn token_hex(token: u128) -> String {
    format!("{token:032x}")
}

/// `duration` in whole milliseconds, rounded up, capped at [`MAX_TTL_MS`].
fn ttl_ms(duration: Duration) -> u64 {
    let millis = duration.as_nanos().div_ceil(1_000_000);
    u64::try_from(millis).unwrap_or(u64::MAX).min(MAX_TTL_MS)
}

/// The server's `TIME` (seconds and microseconds) as a date.
fn server_time(seconds: i64, micros: i64) -> Result<OffsetDateTime, StoreError> {
    let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(micros) * 1_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|_| StoreError::Unavailable("the Redis server's clock is out of range".into()))
}

/// A Redis failure as [`StoreError::Unavailable`], with every trace of `url` (and of the
/// credentials in it) removed from the message.
fn unavailable(error: &redis::RedisError, url: &str) -> StoreError {
    let mut message = error.to_string();
    if !url.is_empty() {
        message = message.replace(url, "<redis url>");
        // `scheme://user:password@host`: hide the user information, whatever the error shows.
        let userinfo = url
            .split_once("://")
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|authority| authority.rsplit_once('@'))
            .map(|(userinfo, _)| userinfo);
        if let Some(userinfo) = userinfo.filter(|userinfo| !userinfo.is_empty()) {
            message = message.replace(userinfo, "<credentials>");
            if let Some((_, password)) = userinfo.split_once(':')
                && !password.is_empty()
            {
                message = message.replace(password, "<credentials>");
            }
        }
    }
    StoreError::Unavailable(format!("redis: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_hex_digits() {
        assert_eq!(token_hex(0), "0".repeat(32));
        assert_eq!(token_hex(u128::MAX), "f".repeat(32));
        assert_eq!(token_hex(0xab), format!("{}ab", "0".repeat(30)));
    }

    #[test]
    fn durations_round_up_and_are_capped() {
        assert_eq!(ttl_ms(Duration::ZERO), 0);
        assert_eq!(ttl_ms(Duration::from_micros(1)), 1);
        assert_eq!(ttl_ms(Duration::from_millis(300)), 300);
        assert_eq!(ttl_ms(Duration::MAX), MAX_TTL_MS);
    }

    #[test]
    fn server_time_is_converted() {
        let now = server_time(1_700_000_000, 250_000).unwrap();
        assert_eq!(now.unix_timestamp(), 1_700_000_000);
        assert_eq!(now.millisecond(), 250);
    }

    #[test]
    fn messages_hide_the_url_and_its_password() {
        let url = "redis://admin:s3cret@cache.internal:6379/0";
        let error = redis::RedisError::from((
            redis::ErrorKind::Io,
            "failed",
            format!("{url} admin:s3cret s3cret"),
        ));
        let StoreError::Unavailable(message) = unavailable(&error, url) else {
            panic!("not Unavailable");
        };
        assert!(!message.contains("s3cret"), "{message}");
        assert!(!message.contains("cache.internal"), "{message}");
    }
}
