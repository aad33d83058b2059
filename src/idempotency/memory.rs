//! The embedded store: claims kept in this process's memory.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

use super::{Claim, IdempotencyStore, Lease, StoreError, deadline};
use crate::MessageId;
use crate::clock::{Clock, SystemClock};

/// How many records a [`MemoryStore`] holds at most unless told otherwise: 100 000.
///
/// A record takes a few hundred bytes with its key, so the default stays within a few tens
/// of MiB.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Shards are added for every this many records of capacity, up to [`MAX_SHARDS`].
const RECORDS_PER_SHARD: usize = 1024;
const MAX_SHARDS: usize = 64;
/// A full shard evicts completed records by batches of `capacity / EVICTION_BATCH_DIVISOR`
/// (at least one), so that the scan it takes is paid once per batch of insertions.
const EVICTION_BATCH_DIVISOR: usize = 8;
/// A shard sweeps its expired records after as many insertions as it holds records, and at
/// least this many.
const MIN_INSERTS_BETWEEN_SWEEPS: usize = 64;

/// The embedded [`IdempotencyStore`]: claims kept in this process's memory.
///
/// Right for a single instance (and for tests); several instances need a shared store. The
/// records are lost when the process exits, which at worst lets a retry arriving after a
/// restart be processed again.
///
/// - Cheap to clone: clones share the same records.
/// - Concurrent: the records are split over up to 64 shards, each behind a
///   [`std::sync::Mutex`] held only for the few map operations of one call. No call awaits
///   anything, so no lock is ever held across an await, and no async runtime is needed.
/// - Bounded: a record that has expired (lease or retention over) is dropped when its id is
///   next touched, and each shard sweeps out all its expired records every so often (after
///   as many insertions as it holds records). The store also holds at most
///   [`capacity`](MemoryStore::capacity) records ([`DEFAULT_CAPACITY`] unless set), split
///   evenly over the shards (so a shard can be full a little before the whole store is).
///   When a new id lands in a full shard, the shard first drops its
///   expired records, then, if still full, evicts the completed records closest to the end
///   of their retention (a batch of one eighth of the shard at a time). An in-progress
///   record is never evicted while its lease runs: if the shard holds nothing else, the claim
///   fails with [`StoreError::Full`] (503), and the sender retries later. Evicting a completed
///   record early means a retry of that event is processed again: the store's real
///   deduplication window is the lesser of the retention and about
///   `capacity / new ids per second`. Size the capacity for the new ids you receive within the
///   retention (the longest retry delay you must cover, at your peak rate), and watch
///   [`early_evictions`](MemoryStore::early_evictions): above zero, ids were forgotten early.
/// - Testable: time comes from a [`Clock`] ([`SystemClock`] unless set), so lease and
///   retention expiry can be driven by a [`ManualClock`](crate::clock::ManualClock).
///
/// ```
/// use std::sync::Arc;
/// use webhook_receiver::clock::ManualClock;
/// use webhook_receiver::idempotency::MemoryStore;
///
/// let clock = ManualClock::at_unix(1_700_000_000);
/// let store = MemoryStore::builder()
///     .capacity(10_000)
///     .clock(Arc::new(clock.clone()))
///     .build();
/// assert_eq!(store.capacity(), 10_000);
/// assert!(store.is_empty());
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// A power-of-two number of shards, picked by the key's hash.
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    clock: Arc<dyn Clock>,
    capacity: usize,
}

struct Shard {
    records: HashMap<MessageId, Record>,
    capacity: usize,
    inserts_since_sweep: usize,
    /// Records dropped to make room for a new id: expired ones, then completed ones.
    evictions: u64,
    /// Of those, completed records whose retention had not run out.
    early_evictions: u64,
}

#[derive(Clone, Copy)]
struct Record {
    state: State,
    digest: Option<[u8; 32]>,
}

/// Deadlines are kept as unix nanoseconds: comparing them is what sweeps and evictions do
/// most.
#[derive(Clone, Copy)]
enum State {
    InProgress {
        token: u128,
        until: i128,
    },
    /// The token of the lease that completed it: completing again with that lease (a retry
    /// whose reply was lost) succeeds and changes nothing. Free: the enum is as large as its
    /// in-progress variant anyway.
    Completed {
        token: u128,
        until: i128,
    },
}

impl Record {
    fn is_live(&self, now: i128) -> bool {
        let until = match self.state {
            State::InProgress { until, .. } | State::Completed { until, .. } => until,
        };
        now < until
    }

    /// Whether `lease` owns this record right now.
    fn is_owned_by(&self, lease: &Lease, now: i128) -> bool {
        matches!(self.state, State::InProgress { token, until } if token == lease.token() && now < until)
    }
}

impl MemoryStore {
    /// A store of [`DEFAULT_CAPACITY`] records on the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A store of at most `capacity` records (at least 1) on the system clock.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self::builder().capacity(capacity).build()
    }

    /// A builder, to set the capacity and the clock.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder {
            capacity: DEFAULT_CAPACITY,
            clock: Arc::new(SystemClock),
        }
    }

    /// The most records the store holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// The records held now, including expired ones not yet evicted (never more than
    /// [`capacity`](MemoryStore::capacity)).
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|shard| lock(shard).records.len())
            .sum()
    }

    /// How many records were dropped to make room for a new id in a full shard, since the
    /// store was built: expired records first, then completed records closest to the end of
    /// their retention (see [`early_evictions`](MemoryStore::early_evictions)).
    #[must_use]
    pub fn evictions(&self) -> u64 {
        self.inner.shards.iter().map(|s| lock(s).evictions).sum()
    }

    /// How many completed records were evicted before their retention ran out, since the store
    /// was built. Each is a message id the store no longer recognises: a retry of it would be
    /// processed again. Anything above zero means the store is too small for the traffic: its
    /// real deduplication window is then about `capacity / new ids per second`, not the
    /// retention (100,000 records at 23,000 new ids per second remember an id for about four
    /// seconds). Raise the [`capacity`](MemoryStoreBuilder::capacity) to at least the new ids
    /// of your busiest retention period, or use a shared store.
    #[must_use]
    pub fn early_evictions(&self) -> u64 {
        self.inner
            .shards
            .iter()
            .map(|s| lock(s).early_evictions)
            .sum()
    }

    /// Whether the store holds no record at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner
            .shards
            .iter()
            .all(|shard| lock(shard).records.is_empty())
    }

    fn shard(&self, id: &MessageId) -> MutexGuard<'_, Shard> {
        let shards = &self.inner.shards;
        // The number of shards is a power of two, so the mask keeps the index in bounds.
        let index = (self.inner.hasher.hash_one(id.key()) as usize) & (shards.len() - 1);
        #[allow(clippy::indexing_slicing)]
        let shard = &shards[index];
        lock(shard)
    }

    fn claim_now(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let mut shard = self.shard(id);
        let now = self.inner.clock.now();
        shard.claim(id, digest, lease, now)
    }

    fn complete_now(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        let mut shard = self.shard(lease.id());
        let now = self.inner.clock.now();
        let now_nanos = now.unix_timestamp_nanos();
        match shard.records.get_mut(lease.id()) {
            Some(record) if record.is_owned_by(lease, now_nanos) => {
                record.state = State::Completed {
                    token: lease.token(),
                    until: deadline(now, retention).unix_timestamp_nanos(),
                };
                Ok(())
            }
            Some(record)
                if record.is_live(now_nanos)
                    && matches!(record.state, State::Completed { token, .. } if token == lease.token()) =>
            {
                Ok(())
            }
            _ => Err(StoreError::LeaseLost),
        }
    }

    fn release_now(&self, lease: &Lease) -> Result<(), StoreError> {
        let mut shard = self.shard(lease.id());
        let now = self.inner.clock.now().unix_timestamp_nanos();
        match shard.records.get(lease.id()) {
            Some(record) if record.is_owned_by(lease, now) => {
                shard.records.remove(lease.id());
                Ok(())
            }
            _ => Err(StoreError::LeaseLost),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.inner.capacity)
            .field("shards", &self.inner.shards.len())
            .field("clock", &self.inner.clock)
            .finish_non_exhaustive()
    }
}

impl IdempotencyStore for MemoryStore {
    async fn claim_with_digest(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.claim_now(id, digest, lease)
    }

    async fn complete(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        self.complete_now(lease, retention)
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.release_now(lease)
    }
}

/// Builds a [`MemoryStore`] with a capacity and a clock other than the defaults.
#[derive(Debug, Clone)]
#[must_use]
pub struct MemoryStoreBuilder {
    capacity: usize,
    clock: Arc<dyn Clock>,
}

impl MemoryStoreBuilder {
    /// The most records the store holds (at least 1): [`DEFAULT_CAPACITY`] unless set.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Where the store reads the time: [`SystemClock`] unless set.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store.
    pub fn build(self) -> MemoryStore {
        let capacity = self.capacity.max(1);
        let wanted = (capacity / RECORDS_PER_SHARD).clamp(1, MAX_SHARDS);
        // The largest power of two not above `wanted`, so a mask picks the shard.
        let count = 1_usize << wanted.ilog2();
        let shards = (0..count)
            .map(|index| {
                // Spread the remainder over the first shards: the sum is exactly `capacity`.
                let share = capacity / count + usize::from(index < capacity % count);
                Mutex::new(Shard {
                    records: HashMap::new(),
                    capacity: share,
                    inserts_since_sweep: 0,
                    evictions: 0,
                    early_evictions: 0,
                })
            })
            .collect();
        MemoryStore {
            inner: Arc::new(Inner {
                shards,
                hasher: RandomState::new(),
                clock: self.clock,
                capacity,
            }),
        }
    }
}

/// Locks a shard. A panic while a shard was locked cannot leave it inconsistent (every record
/// is changed in one step, and any subset of the records is a valid shard), so a poisoned
/// lock is used as is.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shard {
    fn claim(
        &mut self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let fresh = |id: &MessageId| {
            let lease = Lease::new(id.clone(), deadline(now, lease));
            let record = Record {
                state: State::InProgress {
                    token: lease.token(),
                    until: lease.expires_at().unix_timestamp_nanos(),
                },
                digest,
            };
            (lease, record)
        };

        let now_nanos = now.unix_timestamp_nanos();
        if let Some(record) = self.records.get_mut(id) {
            if record.is_live(now_nanos) {
                if matches!((record.digest, digest), (Some(theirs), Some(ours)) if theirs != ours) {
                    return Ok(Claim::Conflict);
                }
                return Ok(match record.state {
                    State::InProgress { until, .. } => Claim::InProgress {
                        retry_after: nanos_between(now_nanos, until),
                    },
                    State::Completed { .. } => Claim::Completed,
                });
            }
            // Expired: a crashed worker's claim or a forgotten completion. Take it over.
            let (lease, fresh_record) = fresh(id);
            *record = fresh_record;
            return Ok(Claim::Acquired(lease));
        }

        if self.records.len() >= self.capacity {
            self.make_room(now_nanos);
            if self.records.len() >= self.capacity {
                return Err(StoreError::Full);
            }
        } else {
            self.inserts_since_sweep += 1;
            if self.inserts_since_sweep >= self.records.len().max(MIN_INSERTS_BETWEEN_SWEEPS) {
                self.sweep(now_nanos);
            }
        }
        let (lease, record) = fresh(id);
        self.records.insert(id.clone(), record);
        Ok(Claim::Acquired(lease))
    }

    /// Drops every expired record.
    fn sweep(&mut self, now: i128) {
        self.records.retain(|_, record| record.is_live(now));
        self.inserts_since_sweep = 0;
    }

    /// Drops the expired records, then, if the shard is still full, the completed records
    /// closest to the end of their retention, a batch at a time. In-progress records stay.
    ///
    /// Two passes over the shard's table, which touch the records but not their keys.
    fn make_room(&mut self, now: i128) {
        let mut completed: Vec<i128> = Vec::new();
        let before = self.records.len();
        self.records.retain(|_, record| {
            let live = record.is_live(now);
            if let (true, State::Completed { until, .. }) = (live, record.state) {
                completed.push(until);
            }
            live
        });
        self.inserts_since_sweep = 0;
        self.evictions += (before - self.records.len()) as u64;
        if self.records.len() < self.capacity {
            return;
        }
        let batch = (self.capacity / EVICTION_BATCH_DIVISOR)
            .max(1)
            .min(completed.len());
        if batch == 0 {
            return;
        }
        // The `batch`-th earliest retention deadline: `batch - 1 < completed.len()`.
        let (_, &mut threshold, _) = completed.select_nth_unstable(batch - 1);
        let mut left = batch;
        self.records.retain(|_, record| match record.state {
            State::Completed { until, .. } if left > 0 && until <= threshold => {
                left -= 1;
                false
            }
            _ => true,
        });
        let early = (batch - left) as u64;
        self.evictions += early;
        self.early_evictions += early;
    }
}

/// The time from `now` to `later` (unix nanoseconds), zero when `later` is not later.
fn nanos_between(now: i128, later: i128) -> Duration {
    let nanos = later.saturating_sub(now).max(0);
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, subsec)
}
