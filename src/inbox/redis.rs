use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{Script, ScriptInvocation, ServerErrorKind, Value};
use time::OffsetDateTime;

use super::{
    Backend, DeadLetter, DeadLetterFilter, Enqueued, InboxBackend, InboxStats, Job, StoreError,
    StoredDelivery,
};
use crate::MessageId;
use crate::clock::{Clock, SystemClock};
use crate::idempotency::RedisStore;

/// The key prefix unless set with [`RedisInbox::with_prefix`].
const DEFAULT_PREFIX: &str = "webhook-receiver:inbox:";

/// The consumer group every worker reads through.
const GROUP: &str = "workers";

/// The longest a blocking read waits before the taker looks again (for retries that came due
/// and deliveries of dead workers to take over).
const MAX_BLOCK: Duration = Duration::from_millis(500);

/// How many records one call of the purge script drops at most: a call of 500 held the server
/// 1.5 to 2.3 ms on average on a busy 2-core machine (`scripts/purge_load.sh`).
const PURGE_BATCH: usize = 500;

/// How many dead letters one round trip of a listing reads (their fields but the payload).
const LETTERS_PAGE: usize = 200;

/// The fields of a dead letter a listing reads to apply its filter: all but the payload.
const LETTER_FIELDS: [&str; 10] = [
    "provider", "key", "vid", "vts", "vkind", "recv", "headers", "attempts", "error", "fin",
];

/// How long a consumer with nothing pending must have been idle before a take removes it from
/// the group (`XGROUP DELCONSUMER`). A live taker reads (and so shows activity) at least every
/// [`MAX_BLOCK`], and a consumer with a delivery in progress has it pending: what is removed is
/// a consumer of a process that stopped, or that no longer takes. Removing one loses nothing
/// (nothing is pending for it), and a process that takes again is added back by its next read.
const STALE_CONSUMER: Duration = Duration::from_secs(2);

/// How many connections of enqueues that wait for replicas are kept for reuse (see
/// [`RedisInbox::with_replicas`]); more are opened for a burst and closed after it.
const MAX_IDLE_WAITERS: usize = 32;

/// The longest retry delay the inbox records (100 years, in ms); a later due time is that.
const MAX_DELAY_MS: i64 = 100 * 365 * 24 * 3600 * 1000;

/// Creates the group if needed (an error that it exists is ignored), records the delivery
/// unless its id is held, and queues it. Answers 1 when recorded, 0 for a duplicate, 2 for
/// the id held with another payload.
///
/// KEYS: delivery, stream, `providers`, `sync`. ARGV: provider, key, payload, verified id,
/// verified timestamp, received at, headers, `1` when the inbox waits for replicas (see
/// [`RedisInbox::with_replicas`]): then an id found held increments `sync`, a write that the
/// replication stream carries after the held delivery, so that the `WAIT` after the script
/// covers the delivery too. Without it, from Redis 7.2 on, a script that writes nothing leaves
/// the connection's replication offset at its own last write, and `WAIT` would answer for
/// that older write only: a retry arriving on another connection (another receiving process)
/// would be answered `200 duplicate` as soon as a lagging replica acknowledged that. (Up to
/// Redis 7.0 every command moved the connection's offset to the server's, so the marker only
/// costs a write there.) The last argument is the event type named beside the signed bytes.
const ENQUEUE: &str = r"
local held = redis.call('HGET', KEYS[1], 'payload')
if held then
  if ARGV[8] == '1' then redis.call('INCR', KEYS[4]) end
  if held == ARGV[3] then return 0 end
  return 2
end
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], 'workers', '0', 'MKSTREAM')
redis.call('HSET', KEYS[1], 'provider', ARGV[1], 'key', ARGV[2], 'payload', ARGV[3],
  'vid', ARGV[4], 'vts', ARGV[5], 'recv', ARGV[6], 'headers', ARGV[7], 'status', 'w',
  'attempts', 0, 'vkind', ARGV[9])
local entry = redis.call('XADD', KEYS[2], '*', 'key', ARGV[2])
redis.call('HSET', KEYS[1], 'entry', entry)
redis.call('SADD', KEYS[3], ARGV[1])
return 1
";

/// The start of every script that reads the time: `now_ms()` is the Redis server's clock
/// (`TIME`), in unix milliseconds. Every time the inbox keeps (the end of a hold, a retry's due
/// time, when a delivery completed or died) is read here, on the server, so workers whose
/// clocks differ agree on them; the clients send durations only. (A script that reads `TIME`
/// and then writes is replicated by its effects: the default from Redis 5, the only way from
/// Redis 7.)
const NOW: &str = r"
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
";

/// Marks the delivery of stream entry `entry` taken with `token` until `expires`, if the entry
/// is still the delivery's (else drops the stale entry) and the delivery is waiting or its
/// hold ran out by `now`. Answers the delivery's fields, or nil.
const MARK: &str = r"
local function mark(stream, entry, key, token, prefix, held, now, expires)
  local d = prefix .. 'd:' .. (key or '')
  if key == nil or redis.call('HGET', d, 'entry') ~= entry then
    redis.call('XACK', stream, 'workers', entry)
    redis.call('XDEL', stream, entry)
    return nil
  end
  local status = redis.call('HGET', d, 'status')
  if status == 't' then
    local deadline = redis.call('ZSCORE', held, key)
    if deadline and tonumber(deadline) > now then return nil end
  elseif status ~= 'w' then
    return nil
  end
  redis.call('HINCRBY', d, 'attempts', 1)
  redis.call('HSET', d, 'status', 't', 'token', token)
  redis.call('ZADD', held, expires, key)
  return redis.call('HGETALL', d)
end
";

/// Moves retries that came due into the stream, then takes over a delivery whose holder's
/// visibility ran out, or else reads the next new entry (without blocking: a take from a busy
/// queue is one round trip), or else takes over an entry read but never marked by a taker that
/// died between its blocking read and the mark (idle for longer than this taker's visibility;
/// looked for only when there is nothing new, so under a steady load it waits for a lull).
/// With nothing to take, it removes up to 100 consumers of other processes that have nothing
/// pending and have been idle for longer than ARGV[5] ms (see [`STALE_CONSUMER`]).
///
/// KEYS: stream, retries, holds. ARGV: consumer, visibility (ms), prefix, token, idle time
/// of a stale consumer (ms). Answers
/// `{'job', fields}`, `{'again'}` after dropping a stale entry, or `{'wait', ms}` with how
/// long until the next retry comes due or hold runs out (`{'wait'}` when there is none).
const PREPARE: &str = r"
local now = now_ms()
local expires = now + tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
for _, key in ipairs(due) do
  redis.call('ZREM', KEYS[2], key)
  local d = ARGV[3] .. 'd:' .. key
  if redis.call('HGET', d, 'status') == 'w' then
    pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], 'workers', '0', 'MKSTREAM')
    local entry = redis.call('XADD', KEYS[1], '*', 'key', key)
    redis.call('HSET', d, 'entry', entry)
  end
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1)
for _, key in ipairs(expired) do
  local entry = redis.call('HGET', ARGV[3] .. 'd:' .. key, 'entry')
  if entry then
    redis.call('XCLAIM', KEYS[1], 'workers', ARGV[1], 0, entry, 'JUSTID')
    local fields = mark(KEYS[1], entry, key, ARGV[4], ARGV[3], KEYS[3], now, expires)
    if fields then return {'job', fields} end
  else
    redis.call('ZREM', KEYS[3], key)
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local ok, read = pcall(redis.call, 'XREADGROUP', 'GROUP', 'workers', ARGV[1], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
  local entry = ok and read and read[1] and read[1][2][1]
  if entry then
    local key
    for i = 1, #entry[2], 2 do if entry[2][i] == 'key' then key = entry[2][i + 1] end end
    local fields = mark(KEYS[1], entry[1], key, ARGV[4], ARGV[3], KEYS[3], now, expires)
    if fields then return {'job', fields} end
    return {'again'}
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local claimed = redis.call('XAUTOCLAIM', KEYS[1], 'workers', ARGV[1], ARGV[2], '0-0', 'COUNT', 1)
  for _, item in ipairs(claimed[2]) do
    if item and item[2] then
      local key
      for i = 1, #item[2], 2 do if item[2][i] == 'key' then key = item[2][i + 1] end end
      local fields = mark(KEYS[1], item[1], key, ARGV[4], ARGV[3], KEYS[3], now, expires)
      if fields then return {'job', fields} end
    end
  end
  local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], 'workers')
  local dropped = 0
  for _, consumer in ipairs(ok and consumers or {}) do
    local name, pending, idle
    for i = 1, #consumer, 2 do
      if consumer[i] == 'name' then name = consumer[i + 1]
      elseif consumer[i] == 'pending' then pending = consumer[i + 1]
      elseif consumer[i] == 'idle' then idle = consumer[i + 1] end
    end
    if name ~= ARGV[1] and pending == 0 and idle and idle > tonumber(ARGV[5]) and dropped < 100 then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], 'workers', name)
      dropped = dropped + 1
    end
  end
end
local next = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local hold = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if hold[2] and (not next[2] or tonumber(hold[2]) < tonumber(next[2])) then next = hold end
if not next[2] then return {'wait'} end
return {'wait', math.max(0, tonumber(next[2]) - now)}
";

/// Marks an entry a blocking read handed over. KEYS: stream, holds. ARGV: entry, token, key,
/// prefix, visibility (ms).
const TAKE_READ: &str = r"
local now = now_ms()
local fields = mark(KEYS[1], ARGV[1], ARGV[3], ARGV[2], ARGV[4], KEYS[2], now, now + tonumber(ARGV[5]))
if fields then return {'job', fields} end
return {'stale'}
";

/// The start of every script that acts on a taken job (KEYS[1] its delivery, ARGV[1] its
/// token): the job must still hold it. The other keys and arguments are the script's own; the
/// last key is the provider's holds, the last argument the delivery's key.
const HELD: &str = r"
if redis.call('HGET', KEYS[1], 'status') ~= 't' or redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
  return 0
end
local entry = redis.call('HGET', KEYS[1], 'entry')
";

/// KEYS: delivery, stream, holds. ARGV: token, consumer, visibility (ms), key.
const EXTEND: &str = r"
redis.call('XCLAIM', KEYS[2], 'workers', ARGV[2], 0, entry, 'JUSTID')
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[3]), ARGV[4])
return 1
";

/// KEYS: delivery, stream, `done`, holds. ARGV: token, key.
const COMPLETE: &str = r"
local now = now_ms()
redis.call('XACK', KEYS[2], 'workers', entry)
redis.call('XDEL', KEYS[2], entry)
redis.call('HSET', KEYS[1], 'status', 'c', 'fin', now)
redis.call('HDEL', KEYS[1], 'token', 'entry', 'error')
redis.call('ZADD', KEYS[3], now, ARGV[2])
redis.call('ZREM', KEYS[#KEYS], ARGV[#ARGV])
return 1
";

/// KEYS: delivery, stream, retries, holds. ARGV: token, delay (ms), error, key.
const RETRY: &str = r"
redis.call('XACK', KEYS[2], 'workers', entry)
redis.call('XDEL', KEYS[2], entry)
redis.call('HSET', KEYS[1], 'status', 'w', 'error', ARGV[3])
redis.call('HDEL', KEYS[1], 'token', 'entry')
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[2]), ARGV[4])
redis.call('ZREM', KEYS[#KEYS], ARGV[#ARGV])
return 1
";

/// KEYS: delivery, stream, holds. ARGV: token, key.
const RELEASE: &str = r"
redis.call('XACK', KEYS[2], 'workers', entry)
redis.call('XDEL', KEYS[2], entry)
redis.call('HINCRBY', KEYS[1], 'attempts', -1)
redis.call('HSET', KEYS[1], 'status', 'w')
redis.call('HDEL', KEYS[1], 'token')
local again = redis.call('XADD', KEYS[2], '*', 'key', ARGV[2])
redis.call('HSET', KEYS[1], 'entry', again)
redis.call('ZREM', KEYS[#KEYS], ARGV[#ARGV])
return 1
";

/// KEYS: delivery, stream, `dead`, holds. ARGV: token, error, key.
const DEAD: &str = r"
local now = now_ms()
redis.call('XACK', KEYS[2], 'workers', entry)
redis.call('XDEL', KEYS[2], entry)
redis.call('HSET', KEYS[1], 'status', 'x', 'fin', now, 'error', ARGV[2])
redis.call('HDEL', KEYS[1], 'token', 'entry')
redis.call('ZADD', KEYS[3], now, ARGV[3])
redis.call('ZREM', KEYS[#KEYS], ARGV[#ARGV])
return 1
";

/// Queues a dead (ARGV[2] = 'x') or completed ('c') delivery again with a fresh count.
/// KEYS: delivery, stream, `dead` or `done`. ARGV: key, status.
const REQUEUE: &str = r"
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'w', 'attempts', 0)
redis.call('HDEL', KEYS[1], 'fin', 'error')
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], 'workers', '0', 'MKSTREAM')
local entry = redis.call('XADD', KEYS[2], '*', 'key', ARGV[1])
redis.call('HSET', KEYS[1], 'entry', entry)
return 1
";

/// Drops at most ARGV[3] completed records and dead letters (in that order) that finished
/// before ARGV[1] (server ms), the oldest first; answers how many. KEYS: `done`, `dead`. ARGV:
/// cutoff, prefix, batch. Called again until it drops fewer than the batch: a script blocks
/// the server while it runs, and one that has written cannot be killed.
const PURGE: &str = r"
local budget = tonumber(ARGV[3])
local count = 0
for i = 1, 2 do
  if count >= budget then break end
  local keys = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[1], 'LIMIT', 0, budget - count)
  for _, key in ipairs(keys) do
    redis.call('UNLINK', ARGV[2] .. 'd:' .. key)
  end
  -- The keys read are the set's lowest ranks.
  if #keys > 0 then redis.call('ZREMRANGEBYRANK', KEYS[i], 0, #keys - 1) end
  count = count + #keys
end
return count
";

struct Scripts {
    enqueue: Script,
    prepare: Script,
    take_read: Script,
    extend: Script,
    complete: Script,
    retry: Script,
    release: Script,
    dead: Script,
    requeue: Script,
    purge: Script,
}

/// An inbox backend ([`InboxBackend`]) on Redis Streams, durable as far as the server is (see
/// [`RedisInbox::connect`]). Cheap to clone: clones share the connections.
///
/// One stream and consumer group (`workers`) per provider. Every write is a Lua script, atomic
/// on the server: `enqueue` (the claim of the id and the `XADD` in one), a take's look for
/// work and its mark, `extend`, `complete`, `retry`, `release`, `dead_letter`, and each
/// letter's `requeue` and `replay`; `purge` is one script call per batch of at most 500
/// records, so that other clients are served between them. `stats` and `dead_letters` only
/// read: the dead letters 200 at a time without their payloads, the filter and the limit
/// applied as they come, then the payloads of the letters answered.
///
/// A take looks for work in one script: retries that came due move into the stream, a
/// delivery whose hold ran out is taken over, or the next new entry is read; with nothing
/// there, the taker waits in a blocking read (`XREADGROUP ... BLOCK`, at most 500 ms at a
/// time) on a connection of its own, whose response timeout (5 s on top of the block) outlasts
/// the block: waiting neither holds up the other calls nor ends in a client-side timeout. An
/// entry that a taker read but never marked (it died in between) is claimed with `XAUTOCLAIM`
/// once idle for the visibility timeout, when there is nothing new.
///
/// **Time is the server's**: the scripts read Redis' `TIME` for the end of a hold, a retry's
/// due time and when a delivery completed or died, and the clients send durations only, so
/// workers whose clocks differ agree on them. This host's clock (see
/// [`with_clock`](RedisInbox::with_clock)) only turns the times callers pass into durations:
/// a retry's due time into a delay, `purge`'s `before` into an age. A dead letter's `died_at`
/// is the server's time; the delivery's `received_at` is the receiving host's.
///
/// **Consumers**: a process reads as one consumer, whatever the number of inboxes it builds
/// (its id and a random number). When a take finds nothing to do, it removes the consumers of
/// other processes that have nothing pending and have been idle for over 2 s: a consumer that
/// died holding entries is removed once they have been taken over.
///
/// **Provider names** must not contain `:` (keys and message ids are separated by it):
/// `enqueue` (so `Inbox::receive`) and `take` refuse such a provider with
/// [`StoreError::Misconfigured`].
///
/// Keys, under the prefix (`webhook-receiver:inbox:` unless set with
/// [`RedisInbox::with_prefix`]); every time is the server's, in unix milliseconds:
///
/// | key | type | holds |
/// |---|---|---|
/// | `d:<message id key>` | hash | the stored delivery (`provider`, `key`, `payload`, `vid`, `vts`, `vkind`, `recv`, `headers`), its state (`status`: `w` waiting, `t` taken, `c` completed, `x` dead), `attempts`, the take's `token` and stream `entry`, the last `error`, when it finished (`fin`) |
/// | `s:<provider>` | stream, group `workers` | one entry per delivery due now or taken |
/// | `t:<provider>` | sorted set | the deliveries taken, by when their hold runs out |
/// | `z:<provider>` | sorted set | deliveries waiting for a retry, by due time |
/// | `done`, `dead` | sorted sets | completed and dead deliveries, by when they finished |
/// | `providers` | set | the providers seen, for `stats` |
/// | `sync` | string (a counter) | with [`with_replicas`](RedisInbox::with_replicas) only: incremented by an enqueue that finds its id held, a write for the `WAIT` after it to cover |
///
/// The scripts touch the delivery hashes by name, so the inbox needs a single Redis server
/// (not Redis Cluster), Redis 6.2 or later (`XAUTOCLAIM`).
#[derive(Clone)]
pub struct RedisInbox {
    manager: ConnectionManager,
    client: redis::Client,
    /// Connections for blocking reads, reused between takes.
    readers: Arc<Mutex<Vec<MultiplexedConnection>>>,
    prefix: Arc<str>,
    /// This process's consumer name in the groups ([`process_consumer`]).
    consumer: Arc<str>,
    scripts: Arc<Scripts>,
    /// Turns the times callers pass into durations (see [`RedisInbox::with_clock`]).
    clock: Arc<dyn Clock>,
    /// The replicas an enqueue waits for, if any (see [`RedisInbox::with_replicas`]).
    replicas: Option<ReplicaWait>,
    /// Connections for enqueues that wait for replicas, one enqueue at a time on each.
    waiters: Arc<Mutex<Vec<MultiplexedConnection>>>,
}

/// What [`RedisInbox::with_replicas`] set: how many replicas must acknowledge a delivery, and
/// how long an enqueue waits for them.
#[derive(Clone, Copy, Debug)]
struct ReplicaWait {
    replicas: usize,
    timeout: Duration,
}

impl std::fmt::Debug for RedisInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisInbox")
            .field("prefix", &self.prefix)
            .field("consumer", &self.consumer)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

fn unavailable(error: &redis::RedisError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// This process's consumer name in the groups, the same for every `RedisInbox` in it (its id
/// and a random number, drawn once): the consumers of a group are as many as the processes
/// taking from it, not one more for every inbox built. Which consumer an entry is pending for
/// decides nothing but when it may be claimed; every take is told apart by its token.
fn process_consumer() -> Arc<str> {
    static NAME: OnceLock<Arc<str>> = OnceLock::new();
    Arc::clone(NAME.get_or_init(|| {
        Arc::from(format!(
            "{}-{:032x}",
            std::process::id(),
            crate::idempotency::new_owner_token()
        ))
    }))
}

/// A provider name the inbox's keys can take, or the error that says why not.
fn check_provider(provider: &str) -> Result<(), StoreError> {
    if provider.contains(':') {
        return Err(StoreError::Misconfigured(format!(
            "RedisInbox cannot hold deliveries of a provider named {provider:?}: its keys and \
             message ids are separated by ':' (a MessageId turns the provider's ':' into '_', \
             the inbox's keys would not); name the provider without ':'"
        )));
    }
    Ok(())
}

/// A duration in whole milliseconds, saturating.
fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn ms_to_time(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl RedisInbox {
    /// The key prefix unless set with [`with_prefix`](Self::with_prefix):
    /// `webhook-receiver:inbox:`.
    pub const DEFAULT_PREFIX: &'static str = DEFAULT_PREFIX;
}

impl RedisInbox {
    /// Connects to `url`, then checks that the server keeps what the inbox writes across a
    /// restart and never evicts it (as [`RedisStore::check_durability`]): a delivery answered
    /// `200 accepted` must not vanish.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the server cannot be reached,
    /// [`StoreError::Misconfigured`] when it could lose deliveries.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let inbox = Self::connect_unchecked(url).await?;
        RedisStore::new(inbox.manager.clone())
            .check_durability()
            .await?;
        Ok(inbox)
    }

    /// [`connect`](RedisInbox::connect) without the durability check.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the server cannot be reached.
    pub async fn connect_unchecked(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|error| unavailable(&error))?;
        let manager = ConnectionManager::new_with_config(
            client.clone(),
            crate::idempotency::redis::manager_config(),
        )
        .await
        .map_err(|error| unavailable(&error))?;
        Ok(Self {
            manager,
            client,
            readers: Arc::default(),
            prefix: Arc::from(DEFAULT_PREFIX),
            consumer: process_consumer(),
            clock: Arc::new(SystemClock),
            replicas: None,
            waiters: Arc::default(),
            scripts: Arc::new(Scripts {
                enqueue: Script::new(ENQUEUE),
                prepare: Script::new(&format!("{NOW}{MARK}{PREPARE}")),
                take_read: Script::new(&format!("{NOW}{MARK}{TAKE_READ}")),
                extend: Script::new(&format!("{NOW}{HELD}{EXTEND}")),
                complete: Script::new(&format!("{NOW}{HELD}{COMPLETE}")),
                retry: Script::new(&format!("{NOW}{HELD}{RETRY}")),
                release: Script::new(&format!("{HELD}{RELEASE}")),
                dead: Script::new(&format!("{NOW}{HELD}{DEAD}")),
                requeue: Script::new(REQUEUE),
                purge: Script::new(PURGE),
            }),
        })
    }

    /// The same inbox with its keys under `prefix`: to share one Redis database between
    /// applications or environments.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Arc::from(prefix.into());
        self
    }

    /// The same inbox with `clock` ([`SystemClock`](crate::clock::SystemClock) unless set)
    /// for the one thing it reads this host's time for: turning the times callers pass (the
    /// due time of [`retry`](Backend::retry), the `before` of
    /// [`purge`](super::Inbox::purge)) into durations from now. Every time the inbox keeps is
    /// the Redis server's (`TIME`, read in its scripts): hosts whose clocks differ agree on
    /// when a hold runs out, when a retry is due and how old a completion is.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same inbox answering a delivery `200` only once `replicas` replicas of the Redis
    /// primary hold it: every enqueue runs `WAIT replicas timeout` right after its script, on
    /// the connection that ran the script, and when fewer replicas acknowledged within
    /// `timeout` the enqueue fails with [`StoreError::Unavailable`], which
    /// [`Inbox::receive`](super::Inbox::receive) answers `503`. `replicas` 0 turns the wait off
    /// (the default); a `timeout` under 1 ms is 1 ms (`WAIT` with 0 would block forever).
    ///
    /// Without it, replication is asynchronous: a replica promoted after a failover lacks the
    /// deliveries it had not received yet, although their senders were answered `200
    /// accepted`.
    ///
    /// **What a 503 means.** The delivery *is* recorded and queued on the primary (nothing is
    /// rolled back; a worker may process it), only not yet acknowledged by enough replicas.
    /// The sender retries; its retry finds the id held and waits for the replicas just as a
    /// new delivery does (the script writes a marker, so that the `WAIT` covers the held
    /// delivery, which the replication stream carries before it): it is answered `200
    /// duplicate` once `replicas` replicas hold the delivery, and `503` again until then. So a
    /// `200` of either kind always means the delivery reached `replicas` replicas; a `503`
    /// costs a retry, and a delivery the sender gives up on may still be processed. The same
    /// holds for an id held with other bytes (a `422` with
    /// [`check_digest`](super::InboxBuilder::check_digest), a `200 duplicate` without).
    ///
    /// **What it does not guarantee.** `WAIT` counts the replicas that received the writes (in
    /// memory: whether a replica keeps them across its own restart is its persistence), and it
    /// does not make Redis strongly consistent: a failover picks the replica to promote on a
    /// best-effort basis (Sentinel takes, after the configured priorities, the replica with
    /// the most of the stream among those it can reach), so promoting one that did not
    /// acknowledge, while those that did are unreachable or lower in priority, still loses the
    /// delivery; so does losing the primary and every replica that acknowledged.
    ///
    /// **Only the enqueue waits**: it is what the sender was promised. Completions, retries,
    /// dead letters, holds, requeues, replays and purges are replicated asynchronously; a
    /// failover that loses one sets the delivery back to its state before it: a completed
    /// delivery runs again (at least once, as after a crash), a dead letter is tried again,
    /// a requeue or replay has to be made again, a purged record comes back.
    ///
    /// **Connections.** `WAIT` blocks the connection it is sent on until the replicas answer
    /// or the timeout passes, so the enqueues that wait do not use the connection the inbox's
    /// other calls share (a stalled replica would hold up every take and completion behind
    /// them): each runs its script and `WAIT` as one pipeline on a connection of its own,
    /// taken from a pool that keeps up to 32 of them idle for reuse (a burst opens more, closed
    /// after it). Each answer may take `timeout` on top of the usual response timeout. Choose
    /// `timeout` well within the sender's own timeout (Palenca waits 30 s).
    ///
    /// Redis 7.2's `WAITAOF` (an acknowledgement that the write is on the disk of the primary
    /// or of replicas) is not used. With `appendfsync everysec`, a crash of the primary's host
    /// after which the primary comes back from its own files (no failover) loses about the
    /// last second of deliveries whatever the replicas acknowledged, and its replicas
    /// resynchronize from it, dropping them too; promote a replica instead, or use
    /// `appendfsync always`, which closes that window.
    #[must_use]
    pub fn with_replicas(mut self, replicas: usize, timeout: Duration) -> Self {
        self.replicas = (replicas > 0).then_some(ReplicaWait {
            replicas,
            timeout: timeout.max(Duration::from_millis(1)),
        });
        // Pooled connections answer within the timeout they were opened with.
        self.waiters = Arc::default();
        self
    }

    /// Milliseconds from this host's now until `at` (negative for a time past), saturating.
    fn ms_from_now(&self, at: OffsetDateTime) -> i64 {
        let nanos = at
            .unix_timestamp_nanos()
            .saturating_sub(self.clock.now_unix_nanos());
        i64::try_from(nanos / 1_000_000).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
    }

    /// The Redis server's time, in unix milliseconds.
    async fn server_now_ms(&self) -> Result<i64, StoreError> {
        let (seconds, micros): (i64, i64) = redis::cmd("TIME")
            .query_async(&mut self.manager.clone())
            .await
            .map_err(|error| unavailable(&error))?;
        Ok(seconds.saturating_mul(1000).saturating_add(micros / 1000))
    }

    fn delivery_key(&self, id: &MessageId) -> String {
        format!("{}d:{}", self.prefix, id.key())
    }

    fn stream(&self, provider: &str) -> String {
        format!("{}s:{provider}", self.prefix)
    }

    fn delayed(&self, provider: &str) -> String {
        format!("{}z:{provider}", self.prefix)
    }

    fn holds(&self, provider: &str) -> String {
        format!("{}t:{provider}", self.prefix)
    }

    fn set(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    async fn reader(&self) -> Result<MultiplexedConnection, StoreError> {
        let pooled = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match pooled {
            Some(connection) => Ok(connection),
            // A blocking read waits up to `MAX_BLOCK` for its answer: the response timeout
            // leaves it that much on top of the store's.
            None => self
                .client
                .get_multiplexed_async_connection_with_config(
                    &redis::AsyncConnectionConfig::new()
                        .set_connection_timeout(Some(RedisStore::CONNECT_TIMEOUT))
                        .set_response_timeout(Some(RedisStore::RESPONSE_TIMEOUT + MAX_BLOCK)),
                )
                .await
                .map_err(|error| unavailable(&error)),
        }
    }

    fn give_back(&self, connection: MultiplexedConnection) {
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(connection);
    }

    /// A connection for an enqueue that waits for replicas, and whether it was pooled (it
    /// may have been closed by the server since).
    async fn waiter(&self, wait: ReplicaWait) -> Result<(MultiplexedConnection, bool), StoreError> {
        let pooled = self
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(connection) = pooled {
            return Ok((connection, true));
        }
        // `WAIT` answers after up to the timeout: the response timeout leaves it that much on
        // top of the store's.
        self.client
            .get_multiplexed_async_connection_with_config(
                &redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(RedisStore::CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RedisStore::RESPONSE_TIMEOUT + wait.timeout)),
            )
            .await
            .map(|connection| (connection, false))
            .map_err(|error| unavailable(&error))
    }

    fn give_back_waiter(&self, connection: MultiplexedConnection) {
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if waiters.len() < MAX_IDLE_WAITERS {
            waiters.push(connection);
        }
    }

    /// Runs the enqueue script, then `WAIT`, on a connection of their own in one round trip
    /// (see [`with_replicas`](Self::with_replicas)); answers the script's answer once
    /// `wait.replicas` replicas acknowledged.
    ///
    /// `WAIT` waits until that many replicas have acknowledged the replication offset the
    /// server recorded for *this connection* (Redis keeps it per client: from 7.2, the
    /// server's offset after the connection's last command that was replicated; up to 7.0,
    /// after its last command of any kind). The script's writes are replicated as one
    /// `MULTI`/`EXEC` when it ends, and a replica that acknowledged an offset has everything
    /// the stream carried before it. On a connection shared with other callers that offset
    /// could only be later than the script's (another caller's write in between), which still
    /// covers it; the dangers of a shared connection are elsewhere: `WAIT` blocks it for
    /// everyone behind it, and the shared `ConnectionManager` reconnects between two calls
    /// without telling, so a `WAIT` sent apart from its script could land on a fresh
    /// connection that has written nothing and be answered at once by any connected replica,
    /// acknowledged or not. Here the script and `WAIT` are one pipeline on one connection used
    /// by one enqueue at a time: a connection that breaks fails them both.
    async fn enqueue_replicated(
        &self,
        invocation: &ScriptInvocation<'_>,
        wait: ReplicaWait,
    ) -> Result<i64, StoreError> {
        let mut pipeline = redis::pipe();
        pipeline
            .ignore_errors()
            .invoke_script(invocation)
            .cmd("WAIT")
            .arg(wait.replicas)
            .arg(duration_ms(wait.timeout).max(1));
        let mut loaded = false;
        let mut reconnected = false;
        loop {
            let (mut connection, pooled) = self.waiter(wait).await?;
            let answers: Vec<Value> = match pipeline.query_async(&mut connection).await {
                Ok(answers) => answers,
                // A pooled connection the server closed meanwhile (a restart, an idle
                // timeout): once more on a new one. Running the script twice is safe: the
                // second finds the id held, and waits for it as well.
                Err(error)
                    if pooled
                        && !reconnected
                        && (error.is_io_error() || error.is_connection_dropped()) =>
                {
                    reconnected = true;
                    continue;
                }
                Err(error) => return Err(unavailable(&error)),
            };
            let mut answers = answers.into_iter();
            match (answers.next(), answers.next()) {
                (Some(Value::Int(added)), Some(Value::Int(acknowledged))) => {
                    self.give_back_waiter(connection);
                    if usize::try_from(acknowledged).unwrap_or(0) >= wait.replicas {
                        return Ok(added);
                    }
                    return Err(StoreError::Unavailable(format!(
                        "the delivery is recorded on the Redis primary, but {acknowledged} of the \
                         {} replicas required acknowledged it within {} ms (WAIT); a retry is \
                         answered once they do",
                        wait.replicas,
                        duration_ms(wait.timeout)
                    )));
                }
                // The server does not know the script (it restarted, or its script cache was
                // flushed): load it, then both again. The `WAIT` that followed the failed
                // script answered for nothing of ours.
                (Some(Value::ServerError(error)), _)
                    if !loaded && error.kind() == Some(ServerErrorKind::NoScript) =>
                {
                    invocation
                        .load_async(&mut connection)
                        .await
                        .map_err(|error| unavailable(&error))?;
                    self.give_back_waiter(connection);
                    loaded = true;
                }
                (Some(Value::ServerError(error)), _) | (_, Some(Value::ServerError(error))) => {
                    self.give_back_waiter(connection);
                    return Err(StoreError::Unavailable(error.to_string()));
                }
                _ => {
                    return Err(StoreError::Unavailable(
                        "Redis answered an enqueue and its WAIT with something unexpected"
                            .to_owned(),
                    ));
                }
            }
        }
    }

    /// Runs one of the scripts that act on a taken job; `false` when the job no longer holds
    /// its delivery.
    async fn held(
        &self,
        script: &Script,
        job: &Job,
        keys: &[String],
        args: &[String],
    ) -> Result<(), StoreError> {
        let mut invocation = script.prepare_invoke();
        invocation.key(self.delivery_key(&job.delivery.id));
        for key in keys {
            invocation.key(key);
        }
        invocation.arg(format!("{:032x}", job.token));
        for arg in args {
            invocation.arg(arg);
        }
        let held: i64 = invocation
            .invoke_async(&mut self.manager.clone())
            .await
            .map_err(|error| unavailable(&error))?;
        if held == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost)
        }
    }

    /// The job in a script's `{'job', fields}` answer.
    fn job(&self, fields: Value) -> Result<Option<Job>, StoreError> {
        let mut fields = Fields::read(fields);
        let Some(delivery) = fields.delivery() else {
            return Err(StoreError::Unavailable(
                "a delivery record in Redis is incomplete".to_owned(),
            ));
        };
        let token = fields
            .text("token")
            .and_then(|token| u128::from_str_radix(&token, 16).ok())
            .unwrap_or_default();
        let attempts = fields
            .text("attempts")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        Ok(Some(Job::new(delivery, attempts, token)))
    }

    /// The first `limit` dead letters `filter` means, oldest death first, without their
    /// payloads (empty): read page by page (the letters' fields, not their payloads), the
    /// filter and the limit applied as they come. Ids given are looked up, not scanned for.
    /// A letter requeued or purged meanwhile may be missed or answered.
    async fn scan_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let mut connection = self.manager.clone();
        let dead = self.set("dead");
        let mut letters = Vec::new();
        if limit == 0 {
            return Ok(letters);
        }
        if let Some(ids) = &filter.ids {
            let mut scores = redis::pipe();
            for id in ids {
                scores.cmd("ZSCORE").arg(&dead).arg(id.key());
            }
            let scores: Vec<Option<f64>> = scores
                .query_async(&mut connection)
                .await
                .map_err(|error| unavailable(&error))?;
            let mut keys: Vec<(f64, &str)> = ids
                .iter()
                .zip(scores)
                .filter_map(|(id, score)| Some((score?, id.key())))
                .collect();
            keys.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
            keys.dedup_by(|a, b| a.1 == b.1);
            for page in keys.chunks(LETTERS_PAGE) {
                let page: Vec<&str> = page.iter().map(|(_, key)| *key).collect();
                self.letters_page(&mut connection, &page, filter, limit, &mut letters)
                    .await?;
                if letters.len() >= limit {
                    break;
                }
            }
            return Ok(letters);
        }
        // The letters are by time of death: those that died before `died_before` are the
        // first ranks.
        let end: usize = match filter.died_before {
            Some(time) => {
                let nanos = time.unix_timestamp_nanos();
                let cutoff =
                    nanos.div_euclid(1_000_000) + i128::from(nanos.rem_euclid(1_000_000) > 0);
                redis::cmd("ZCOUNT")
                    .arg(&dead)
                    .arg("-inf")
                    .arg(format!("({cutoff}"))
                    .query_async(&mut connection)
                    .await
            }
            None => {
                redis::cmd("ZCARD")
                    .arg(&dead)
                    .query_async(&mut connection)
                    .await
            }
        }
        .map_err(|error| unavailable(&error))?;
        let mut start = 0;
        while start < end && letters.len() < limit {
            let stop = (start + LETTERS_PAGE).min(end) - 1;
            let keys: Vec<String> = redis::cmd("ZRANGE")
                .arg(&dead)
                .arg(start)
                .arg(stop)
                .query_async(&mut connection)
                .await
                .map_err(|error| unavailable(&error))?;
            if keys.is_empty() {
                break;
            }
            start += keys.len();
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            self.letters_page(&mut connection, &keys, filter, limit, &mut letters)
                .await?;
        }
        Ok(letters)
    }

    /// Reads the letters of `keys` (one round trip, their fields but the payload) and keeps
    /// those `filter` means, up to `limit` letters in all.
    async fn letters_page(
        &self,
        connection: &mut ConnectionManager,
        keys: &[&str],
        filter: &DeadLetterFilter,
        limit: usize,
        letters: &mut Vec<DeadLetter>,
    ) -> Result<(), StoreError> {
        let mut reads = redis::pipe();
        for key in keys {
            reads
                .cmd("HMGET")
                .arg(format!("{}d:{key}", self.prefix))
                .arg(&LETTER_FIELDS[..]);
        }
        let pages: Vec<Vec<Option<Vec<u8>>>> = reads
            .query_async(connection)
            .await
            .map_err(|error| unavailable(&error))?;
        for values in pages {
            let mut fields = Fields(
                LETTER_FIELDS
                    .iter()
                    .zip(values)
                    .filter_map(|(name, value)| Some(((*name).to_owned(), value?)))
                    .collect(),
            );
            fields.0.push(("payload".to_owned(), Vec::new()));
            // A letter requeued or purged since the page was read has no fields.
            let Some(letter) = fields.letter() else {
                continue;
            };
            if filter.matches(&letter) {
                letters.push(letter);
                if letters.len() >= limit {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Reads the payloads of `letters`, a page per round trip; drops those gone meanwhile
    /// (requeued or purged).
    async fn load_payloads(&self, letters: &mut Vec<DeadLetter>) -> Result<(), StoreError> {
        let mut connection = self.manager.clone();
        let mut loaded = Vec::with_capacity(letters.len());
        for page in letters.chunks(LETTERS_PAGE) {
            let mut reads = redis::pipe();
            for letter in page {
                reads
                    .cmd("HGET")
                    .arg(self.delivery_key(&letter.delivery.id))
                    .arg("payload");
            }
            let payloads: Vec<Option<Vec<u8>>> = reads
                .query_async(&mut connection)
                .await
                .map_err(|error| unavailable(&error))?;
            loaded.extend(payloads);
        }
        let mut payloads = loaded.into_iter();
        letters.retain_mut(|letter| match payloads.next().flatten() {
            Some(payload) => {
                letter.delivery.payload = payload;
                true
            }
            None => false,
        });
        Ok(())
    }
}

/// A delivery hash as a script answers it (`HGETALL`: field, value, field, value, ...).
struct Fields(Vec<(String, Vec<u8>)>);

impl Fields {
    /// The fields of `value`, whose bytes are moved, not copied (a payload can be large).
    fn read(value: Value) -> Self {
        let items = match value {
            Value::Array(items) => items,
            _ => Vec::new(),
        };
        let bytes = |value: Value| match value {
            Value::BulkString(bytes) => bytes,
            Value::SimpleString(text) => text.into_bytes(),
            Value::Int(n) => n.to_string().into_bytes(),
            _ => Vec::new(),
        };
        let mut fields = Vec::with_capacity(items.len() / 2);
        let mut items = items.into_iter();
        while let (Some(name), Some(value)) = (items.next(), items.next()) {
            let name = String::from_utf8(bytes(name))
                .unwrap_or_else(|name| String::from_utf8_lossy(name.as_bytes()).into_owned());
            fields.push((name, bytes(value)));
        }
        Self(fields)
    }

    fn raw(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_slice())
    }

    fn text(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|value| String::from_utf8_lossy(value).into_owned())
    }

    fn time(&self, name: &str) -> Option<OffsetDateTime> {
        let nanos: i128 = self.text(name)?.parse().ok()?;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
    }

    /// The dead letter these fields describe; its payload is moved out of the fields.
    fn letter(&mut self) -> Option<DeadLetter> {
        let delivery = self.delivery()?;
        Some(DeadLetter {
            delivery,
            attempts: self
                .text("attempts")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            error: self.text("error").unwrap_or_default(),
            died_at: ms_to_time(self.text("fin").and_then(|n| n.parse().ok()).unwrap_or(0)),
        })
    }

    /// The delivery; its payload is moved out of the fields.
    fn delivery(&mut self) -> Option<StoredDelivery> {
        let provider = self.text("provider")?;
        let key = self.text("key")?;
        let id = key.strip_prefix(&format!("{provider}:"))?;
        let headers: Vec<(String, String)> =
            serde_json::from_slice(self.raw("headers").unwrap_or(b"[]")).unwrap_or_default();
        let id = MessageId::new(&provider, id);
        let verified_id = self.text("vid").filter(|id| !id.is_empty());
        let verified_timestamp = self.time("vts");
        let verified_kind = self.text("vkind").filter(|kind| !kind.is_empty());
        let received_at = self.time("recv").unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let payload = self
            .0
            .iter_mut()
            .find(|(field, _)| field == "payload")
            .map(|(_, value)| std::mem::take(value))?;
        Some(StoredDelivery {
            id,
            provider,
            payload,
            verified_id,
            verified_timestamp,
            verified_kind,
            received_at,
            headers,
        })
    }
}

impl crate::__private::Sealed for RedisInbox {}

impl InboxBackend for RedisInbox {}

impl Backend for RedisInbox {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn enqueue(&self, delivery: StoredDelivery) -> Result<Enqueued, StoreError> {
        check_provider(&delivery.provider)?;
        let headers = serde_json::to_string(&delivery.headers).unwrap_or_else(|_| "[]".into());
        let mut invocation = self.scripts.enqueue.prepare_invoke();
        invocation
            .key(self.delivery_key(&delivery.id))
            .key(self.stream(&delivery.provider))
            .key(self.set("providers"))
            .key(self.set("sync"))
            .arg(&delivery.provider)
            .arg(delivery.id.key())
            .arg(delivery.payload.as_slice())
            .arg(delivery.verified_id.as_deref().unwrap_or(""))
            .arg(
                delivery
                    .verified_timestamp
                    .map(|time| time.unix_timestamp_nanos().to_string())
                    .unwrap_or_default(),
            )
            .arg(delivery.received_at.unix_timestamp_nanos().to_string())
            .arg(headers)
            .arg(if self.replicas.is_some() { "1" } else { "0" })
            .arg(delivery.verified_kind.as_deref().unwrap_or(""));
        let added: i64 = match self.replicas {
            None => invocation
                .invoke_async(&mut self.manager.clone())
                .await
                .map_err(|error| unavailable(&error))?,
            Some(wait) => self.enqueue_replicated(&invocation, wait).await?,
        };
        Ok(match added {
            1 => Enqueued::Accepted,
            2 => Enqueued::Conflict,
            _ => Enqueued::Duplicate,
        })
    }

    async fn take(
        &self,
        provider: &str,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Job>, StoreError> {
        check_provider(provider)?;
        let give_up = tokio::time::Instant::now() + wait;
        let stream = self.stream(provider);
        let visibility_ms = duration_ms(visibility).max(1);
        loop {
            let token = format!("{:032x}", crate::idempotency::new_owner_token());
            let mut answer: Value = self
                .scripts
                .prepare
                .key(&stream)
                .key(self.delayed(provider))
                .key(self.holds(provider))
                .arg(&*self.consumer)
                .arg(visibility_ms)
                .arg(&*self.prefix)
                .arg(&token)
                .arg(duration_ms(STALE_CONSUMER))
                .invoke_async(&mut self.manager.clone())
                .await
                .map_err(|error| unavailable(&error))?;
            let (kind, rest) = match &mut answer {
                Value::Array(items) => (items.first().map(text_of), items.get_mut(1)),
                _ => (None, None),
            };
            match kind.as_deref() {
                Some("job") => {
                    let fields =
                        rest.map_or(Value::Nil, |fields| std::mem::replace(fields, Value::Nil));
                    return self.job(fields);
                }
                // A stale entry was dropped: look again at once.
                Some("again") => continue,
                _ => {}
            }
            // How long until a retry comes due or a hold runs out, by the server's clock.
            let next_due = rest
                .map(|due| text_of(due))
                .and_then(|ms| ms.parse::<u64>().ok());
            let now = tokio::time::Instant::now();
            if now >= give_up {
                return Ok(None);
            }
            let mut block = (give_up - now).min(MAX_BLOCK);
            if let Some(ahead) = next_due {
                block = block.min(Duration::from_millis(ahead.max(1)));
            }
            let exists: bool = redis::cmd("EXISTS")
                .arg(&stream)
                .query_async(&mut self.manager.clone())
                .await
                .map_err(|error| unavailable(&error))?;
            if !exists {
                tokio::time::sleep(block).await;
                continue;
            }
            let mut reader = self.reader().await?;
            let read: Result<Value, _> = redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg(GROUP)
                .arg(&*self.consumer)
                .arg("COUNT")
                .arg(1)
                .arg("BLOCK")
                .arg(block.as_millis().max(1).to_string())
                .arg("STREAMS")
                .arg(&stream)
                .arg(">")
                .query_async(&mut reader)
                .await;
            let read = match read {
                Ok(read) => {
                    self.give_back(reader);
                    read
                }
                Err(error) if matches!(error.kind(), redis::ErrorKind::Server(_)) => {
                    // No group yet (an empty stream left by a purge): look again.
                    self.give_back(reader);
                    tokio::time::sleep(block).await;
                    continue;
                }
                Err(error) => return Err(unavailable(&error)),
            };
            let Some((entry, key)) = first_entry(&read) else {
                continue;
            };
            let answer: Value = self
                .scripts
                .take_read
                .key(&stream)
                .key(self.holds(provider))
                .arg(&entry)
                .arg(&token)
                .arg(&key)
                .arg(&*self.prefix)
                .arg(visibility_ms)
                .invoke_async(&mut self.manager.clone())
                .await
                .map_err(|error| unavailable(&error))?;
            if let Value::Array(mut items) = answer
                && items.first().map(text_of).as_deref() == Some("job")
                && items.len() > 1
            {
                return self.job(items.swap_remove(1));
            }
        }
    }

    async fn extend(&self, job: &Job, visibility: Duration) -> Result<(), StoreError> {
        self.held(
            &self.scripts.extend,
            job,
            &[
                self.stream(&job.delivery.provider),
                self.holds(&job.delivery.provider),
            ],
            &[
                self.consumer.to_string(),
                duration_ms(visibility).max(1).to_string(),
                job.delivery.id.key().to_owned(),
            ],
        )
        .await
    }

    async fn complete(&self, job: &Job) -> Result<(), StoreError> {
        self.held(
            &self.scripts.complete,
            job,
            &[
                self.stream(&job.delivery.provider),
                self.set("done"),
                self.holds(&job.delivery.provider),
            ],
            &[job.delivery.id.key().to_owned()],
        )
        .await
    }

    async fn retry(&self, job: &Job, error: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        // A due time in this host's clock, sent as a delay: the script adds it to the
        // server's time.
        let delay_ms = self.ms_from_now(at).clamp(0, MAX_DELAY_MS);
        self.held(
            &self.scripts.retry,
            job,
            &[
                self.stream(&job.delivery.provider),
                self.delayed(&job.delivery.provider),
                self.holds(&job.delivery.provider),
            ],
            &[
                delay_ms.to_string(),
                error.to_owned(),
                job.delivery.id.key().to_owned(),
            ],
        )
        .await
    }

    async fn release(&self, job: &Job) -> Result<(), StoreError> {
        self.held(
            &self.scripts.release,
            job,
            &[
                self.stream(&job.delivery.provider),
                self.holds(&job.delivery.provider),
            ],
            &[job.delivery.id.key().to_owned()],
        )
        .await
    }

    async fn dead_letter(&self, job: &Job, error: &str) -> Result<(), StoreError> {
        self.held(
            &self.scripts.dead,
            job,
            &[
                self.stream(&job.delivery.provider),
                self.set("dead"),
                self.holds(&job.delivery.provider),
            ],
            &[error.to_owned(), job.delivery.id.key().to_owned()],
        )
        .await
    }

    async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let mut letters = self.scan_letters(filter, limit).await?;
        self.load_payloads(&mut letters).await?;
        Ok(letters)
    }

    async fn requeue(&self, filter: &DeadLetterFilter) -> Result<usize, StoreError> {
        let mut count = 0;
        // The letters meant, without their payloads, then one script each.
        for letter in self.scan_letters(filter, usize::MAX).await? {
            let requeued: i64 = self
                .scripts
                .requeue
                .key(self.delivery_key(&letter.delivery.id))
                .key(self.stream(&letter.delivery.provider))
                .key(self.set("dead"))
                .arg(letter.delivery.id.key())
                .arg("x")
                .invoke_async(&mut self.manager.clone())
                .await
                .map_err(|error| unavailable(&error))?;
            count += usize::try_from(requeued).unwrap_or(0);
        }
        Ok(count)
    }

    async fn replay(&self, id: &MessageId) -> Result<bool, StoreError> {
        let provider = id.provider();
        let replayed: i64 = self
            .scripts
            .requeue
            .key(self.delivery_key(id))
            .key(self.stream(provider))
            .key(self.set("done"))
            .arg(id.key())
            .arg("c")
            .invoke_async(&mut self.manager.clone())
            .await
            .map_err(|error| unavailable(&error))?;
        Ok(replayed == 1)
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        // `before` in this host's clock is an age; the cutoff is that age by the server's
        // clock, and never later than the call (what finishes meanwhile is kept).
        let server_now = self.server_now_ms().await?;
        let before_ms = server_now
            .saturating_add(self.ms_from_now(before))
            .min(server_now.saturating_add(1));
        // In batches, the oldest first, until one comes back short: the records before a fixed
        // cutoff are finitely many, so this ends.
        let mut total = 0;
        loop {
            let purged: usize = self
                .scripts
                .purge
                .key(self.set("done"))
                .key(self.set("dead"))
                .arg(before_ms)
                .arg(&*self.prefix)
                .arg(PURGE_BATCH)
                .invoke_async(&mut self.manager.clone())
                .await
                .map_err(|error| unavailable(&error))?;
            total += purged;
            if purged < PURGE_BATCH {
                return Ok(total);
            }
        }
    }

    async fn stats(&self) -> Result<InboxStats, StoreError> {
        let mut connection = self.manager.clone();
        let providers: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.set("providers"))
            .query_async(&mut connection)
            .await
            .map_err(|error| unavailable(&error))?;
        let mut stats = InboxStats::default();
        for provider in providers {
            let length: usize = redis::cmd("XLEN")
                .arg(self.stream(&provider))
                .query_async(&mut connection)
                .await
                .map_err(|error| unavailable(&error))?;
            // No group yet (nothing was ever queued for the provider) is nothing pending.
            let pending = match redis::cmd("XPENDING")
                .arg(self.stream(&provider))
                .arg(GROUP)
                .query_async::<Value>(&mut connection)
                .await
            {
                Ok(Value::Array(summary)) => summary.first().map_or(0, int),
                _ => 0,
            };
            let delayed: usize = redis::cmd("ZCARD")
                .arg(self.delayed(&provider))
                .query_async(&mut connection)
                .await
                .map_err(|error| unavailable(&error))?;
            stats.in_flight += pending;
            stats.pending += length.saturating_sub(pending) + delayed;
        }
        stats.dead = redis::cmd("ZCARD")
            .arg(self.set("dead"))
            .query_async(&mut connection)
            .await
            .map_err(|error| unavailable(&error))?;
        stats.completed = redis::cmd("ZCARD")
            .arg(self.set("done"))
            .query_async(&mut connection)
            .await
            .map_err(|error| unavailable(&error))?;
        Ok(stats)
    }
}

/// A reply item as text (empty for what is not a string).
fn text_of(value: &Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(text) => text.clone(),
        Value::Int(n) => n.to_string(),
        _ => String::new(),
    }
}

fn int(value: &Value) -> usize {
    match value {
        Value::Int(n) => usize::try_from(*n).unwrap_or(0),
        _ => 0,
    }
}

/// The first entry of an `XREADGROUP` reply: its id and the delivery key it names.
fn first_entry(read: &Value) -> Option<(String, String)> {
    // [[stream, [[id, [field, value, ...]], ...]]] (RESP2) or a map in RESP3.
    let streams = match read {
        Value::Array(streams) => streams.first()?,
        Value::Map(pairs) => return first_of_entries(&pairs.first()?.1),
        _ => return None,
    };
    match streams {
        Value::Array(pair) => first_of_entries(pair.get(1)?),
        _ => None,
    }
}

fn first_of_entries(entries: &Value) -> Option<(String, String)> {
    let Value::Array(entries) = entries else {
        return None;
    };
    let Value::Array(entry) = entries.first()? else {
        return None;
    };
    let id = match entry.first()? {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(text) => text.clone(),
        _ => return None,
    };
    let fields = Fields::read(entry.get(1)?.clone());
    Some((id, fields.text("key")?))
}
