//! The embedded store: claims kept in this process's memory.

use std::cmp::{Ordering, Reverse};
use std::collections::hash_map::Entry;
use std::collections::hash_map::RandomState;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

use super::{Claim, IdempotencyStore, Lease, StoreError, deadline};
use crate::MessageId;
use crate::clock::{Clock, SystemClock};

/// How many records a [`MemoryStore`] holds at most unless told otherwise: 100 000.
///
/// A record takes about 400 bytes of the process's memory with its key (its slot of the
/// table, its place in the eviction queue, the id's text, and the allocator's overhead): a
/// full default store took about 40 MiB in the axum example under load.
const DEFAULT_CAPACITY: usize = 100_000;

/// Shards are added for every this many records of capacity, up to [`MAX_SHARDS`].
const RECORDS_PER_SHARD: usize = 1024;
const MAX_SHARDS: usize = 64;
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
///   [`capacity`](MemoryStore::capacity) records ([`DEFAULT_CAPACITY`](MemoryStore::DEFAULT_CAPACITY) unless set), split
///   evenly over the shards (so a shard can be full a little before the whole store is).
///   When a new id lands in a full shard, the shard first drops its
///   completed records whose retention has run out, or if there are none, evicts the one
///   completed record closest to the end of its retention: a full shard stays full, and pays
///   the same small cost per new id whatever its size (the completions are kept in the order
///   of their deadlines, so no eviction scans the shard). An in-progress
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
    /// `webhook_receiver_memory_store_evictions_total` (feature `metrics`).
    meters: crate::observe::Evictions,
}

struct Shard {
    records: Records,
    capacity: usize,
    /// The completed records by the end of their retention: the order in which a full shard
    /// evicts. An entry whose record has since changed (taken over, swept) is stale and
    /// skipped when it surfaces; sweeps drop the stale ones.
    expiries: Expiries,
    inserts_since_sweep: usize,
    /// Records dropped to make room for a new id: expired ones, then completed ones.
    evictions: u64,
    /// Of those, completed records whose retention had not run out.
    early_evictions: u64,
}

/// What a shard keeps of an id, laid out so that a slot of the table (the [`Key`] and this)
/// fills one 64-byte cache line: a full store is mostly cold memory, and each claim of a new
/// id touches two slots (its own and the one it evicts).
struct Record {
    /// The end of the lease (in progress) or of the retention (completed), in unix
    /// nanoseconds ([`nanos`]).
    until: i64,
    /// The owner token of the lease that claimed the record, or completed it (completing
    /// again with that lease, a retry whose reply was lost, succeeds and changes nothing).
    /// Two halves rather than a `u128`, whose 16-byte alignment would pad the slot.
    token: [u64; 2],
    /// Boxed: digests are checked only where asked for, and 32 bytes inline would push the
    /// slot past a cache line for everybody.
    digest: Option<Box<[u8; 32]>>,
    completed: bool,
}

impl Record {
    fn is_live(&self, now: i128) -> bool {
        live(self.until, now)
    }

    /// Whether `lease` owns this record right now.
    fn is_owned_by(&self, lease: &Lease, now: i128) -> bool {
        !self.completed && self.token == token_halves(lease.token()) && self.is_live(now)
    }

    /// Whether `lease` completed this record, which is still live.
    fn is_completed_by(&self, lease: &Lease, now: i128) -> bool {
        self.completed && self.token == token_halves(lease.token()) && self.is_live(now)
    }
}

/// Whether a deadline kept as [`nanos`] is still to come at `now` (unix nanoseconds, as the
/// clock gives them). The deadlines [`nanos`] saturates (the year 2262 and later) never come:
/// past 2262 the clock and every deadline would otherwise collapse to one value, and every
/// record be taken for expired.
fn live(until: i64, now: i128) -> bool {
    until == i64::MAX || now < i128::from(until)
}

fn token_halves(token: u128) -> [u64; 2] {
    // Truncations meant: the low and the high half.
    #[allow(clippy::cast_possible_truncation)]
    [token as u64, (token >> 64) as u64]
}

/// A deadline as unix nanoseconds, saturated to what an `i64` holds (the years 1677 to 2262):
/// one past 2262 never comes ([`live`]); one before 1677 is always to come while the clock
/// reads a time before it, as the clock's own time is compared unsaturated.
fn nanos(at: OffsetDateTime) -> i64 {
    let nanos = at.unix_timestamp_nanos();
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

impl MemoryStore {
    /// How many records a store holds unless set: 100,000.
    pub const DEFAULT_CAPACITY: usize = DEFAULT_CAPACITY;
}

impl MemoryStore {
    /// A store of [`DEFAULT_CAPACITY`](MemoryStore::DEFAULT_CAPACITY) records on the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::builder().build()
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

    /// The shard of `id`, locked, and the key of its record there.
    fn shard(&self, id: &MessageId) -> (MutexGuard<'_, Shard>, Key) {
        let shards = &self.inner.shards;
        let hash = self.inner.hasher.hash_one(id.key());
        // Bits the shard's table does not use (it takes the lowest for the slot and the top
        // seven as tags). The number of shards is a power of two, so the mask keeps the index
        // in bounds.
        let index = ((hash >> 32) as usize) & (shards.len() - 1);
        #[allow(clippy::indexing_slicing)]
        let shard = &shards[index];
        let key = Key {
            hash,
            id: id.shared_key(),
        };
        (lock(shard), key)
    }

    pub(crate) fn claim_now(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let (mut shard, key) = self.shard(id);
        let now = self.inner.clock.now();
        let before = (shard.evictions, shard.early_evictions);
        let claim = shard.claim(id, key, digest, lease, now);
        let evicted = shard.evictions - before.0;
        if evicted > 0 {
            let early = shard.early_evictions - before.1;
            drop(shard);
            self.inner.meters.evicted(evicted, early);
        }
        claim
    }

    fn complete_now(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        let (mut shard, key) = self.shard(lease.id());
        let now = self.inner.clock.now();
        let now_nanos = now.unix_timestamp_nanos();
        let shard = &mut *shard;
        match shard.records.get_mut(&key) {
            Some(record) if record.is_owned_by(lease, now_nanos) => {
                let until = nanos(deadline(now, retention));
                record.until = until;
                record.completed = true;
                shard.expiries.push(Expiry { until, key });
                Ok(())
            }
            Some(record) if record.is_completed_by(lease, now_nanos) => Ok(()),
            _ => Err(StoreError::LeaseLost),
        }
    }

    fn release_now(&self, lease: &Lease) -> Result<(), StoreError> {
        let (mut shard, key) = self.shard(lease.id());
        let now = self.inner.clock.now_unix_nanos();
        match shard.records.get(&key) {
            Some(record) if record.is_owned_by(lease, now) => {
                shard.records.remove(&key);
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

impl crate::__private::Sealed for MemoryStore {}

impl IdempotencyStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn is_in_process(&self) -> bool {
        true
    }

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
    /// The most records the store holds (at least 1): [`DEFAULT_CAPACITY`](MemoryStore::DEFAULT_CAPACITY) unless set.
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
                    records: Records::default(),
                    expiries: Expiries::default(),
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
                meters: crate::observe::Evictions::default(),
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
        key: Key,
        digest: Option<[u8; 32]>,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let fresh = || {
            let lease = Lease::new(id.clone(), deadline(now, lease));
            let record = Record {
                until: nanos(lease.expires_at()),
                token: token_halves(lease.token()),
                digest: digest.map(Box::new),
                completed: false,
            };
            (lease, record)
        };

        let now_nanos = now.unix_timestamp_nanos();
        let len = self.records.len();
        match self.records.entry(key) {
            Entry::Occupied(mut slot) => {
                let record = slot.get_mut();
                if record.is_live(now_nanos) {
                    if matches!((&record.digest, digest), (Some(theirs), Some(ours)) if **theirs != ours)
                    {
                        return Ok(Claim::Conflict);
                    }
                    return Ok(if record.completed {
                        Claim::Completed
                    } else {
                        Claim::InProgress {
                            retry_after: nanos_between(now_nanos, record.until),
                        }
                    });
                }
                let (lease, fresh_record) = fresh();
                *record = fresh_record;
                Ok(Claim::Acquired(lease))
            }
            Entry::Vacant(slot) if len < self.capacity => {
                let (lease, record) = fresh();
                slot.insert(record);
                self.inserts_since_sweep += 1;
                if self.inserts_since_sweep >= len.max(MIN_INSERTS_BETWEEN_SWEEPS) {
                    self.sweep(now_nanos);
                }
                Ok(Claim::Acquired(lease))
            }
            Entry::Vacant(slot) => {
                let key = slot.key().clone();
                let (lease, record) = fresh();
                slot.insert(record);
                self.make_room(now_nanos);
                if self.records.len() > self.capacity {
                    self.records.remove(&key);
                    return Err(StoreError::Full);
                }
                Ok(Claim::Acquired(lease))
            }
        }
    }

    fn sweep(&mut self, now: i128) {
        self.records.retain(|_, record| record.is_live(now));
        let records = &self.records;
        self.expiries.retain(|expiry| expiry.is_current(records));
        self.inserts_since_sweep = 0;
    }

    /// Makes room for one record in a full shard (called with the new record already in, so
    /// one over the capacity; it is in progress, so never evicted here): drops the completed records whose
    /// retention has run out, or if there are none, evicts the one closest to the end of its
    /// retention. Each costs a pop of `expiries` and one removal from the table, so a full
    /// shard pays the same per insertion whatever its size. In-progress records are not in
    /// `expiries` and stay; when nothing else is left, a sweep drops the expired ones.
    fn make_room(&mut self, now: i128) {
        let mut evicted = 0_u64;
        let mut early = 0_u64;
        while let Some(until) = self.expiries.earliest() {
            if evicted > 0 && live(until, now) {
                break;
            }
            let Some(expiry) = self.expiries.pop() else {
                break;
            };
            // One probe: the record is looked at and removed through the same entry.
            let Entry::Occupied(slot) = self.records.entry(expiry.key) else {
                continue;
            };
            let record = slot.get();
            if !(record.completed && record.until == until) {
                continue;
            }
            slot.remove();
            evicted += 1;
            if live(until, now) {
                // Still within its retention: the shard forgets it early.
                early += 1;
                break;
            }
        }
        self.evictions += evicted;
        self.early_evictions += early;
        if evicted == 0 {
            let before = self.records.len();
            self.sweep(now);
            self.evictions += (before - self.records.len()) as u64;
        }
    }
}

/// The time from `now` to `later` (unix nanoseconds), zero when `later` is not later.
/// A record's key: the id with its hash, computed once per call (it picks the shard, and the
/// slot in the shard's table) and kept with the record, so that neither evictions nor the
/// table's growth hash an id again.
#[derive(Clone)]
struct Key {
    hash: u64,
    /// The id's key (`provider:id`), shared with the [`MessageId`]s of the calls.
    id: Arc<str>,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        // The record's key and its expiry's (and a lease's, from the claim) share one
        // allocation: comparing the pointers spares reading cold memory.
        self.hash == other.hash && (Arc::ptr_eq(&self.id, &other.id) || self.id == other.id)
    }
}

impl Eq for Key {}

/// Hands the table the hash a [`Key`] carries (already keyed by the store's `RandomState`).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `Key`; any input still gets a usable hash.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Records = HashMap<Key, Record, BuildHasherDefault<KeyHasher>>;

/// The completed records of a shard in the order of the end of their retention. Completions
/// with one retention (the usual case: one per `Receiver`) come in the order of their
/// deadlines and go to the back of a queue, read front to back in memory order; a deadline
/// earlier than the queue's last goes to a heap. The earliest is at the front of one of them.
#[derive(Default)]
struct Expiries {
    in_order: VecDeque<Expiry>,
    out_of_order: BinaryHeap<Reverse<Expiry>>,
}

impl Expiries {
    fn push(&mut self, expiry: Expiry) {
        if self
            .in_order
            .back()
            .is_none_or(|last| last.until <= expiry.until)
        {
            self.in_order.push_back(expiry);
        } else {
            self.out_of_order.push(Reverse(expiry));
        }
    }

    /// The earliest end of retention held.
    fn earliest(&self) -> Option<i64> {
        let queued = self.in_order.front().map(|expiry| expiry.until);
        let heaped = self.out_of_order.peek().map(|Reverse(expiry)| expiry.until);
        match (queued, heaped) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn pop(&mut self) -> Option<Expiry> {
        let queued = self.in_order.front().map(|expiry| expiry.until);
        let heaped = self.out_of_order.peek().map(|Reverse(expiry)| expiry.until);
        match (queued, heaped) {
            (Some(a), Some(b)) if b < a => self.out_of_order.pop().map(|Reverse(e)| e),
            (Some(_), _) => self.in_order.pop_front(),
            (None, _) => self.out_of_order.pop().map(|Reverse(e)| e),
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&Expiry) -> bool) {
        self.in_order.retain(|expiry| keep(expiry));
        self.out_of_order.retain(|Reverse(expiry)| keep(expiry));
    }
}

/// When a completed record's retention ends; ordered by that time only.
struct Expiry {
    until: i64,
    key: Key,
}

impl Expiry {
    /// Whether the record is still the completion this entry was made for.
    fn is_current(&self, records: &Records) -> bool {
        records
            .get(&self.key)
            .is_some_and(|record| record.completed && record.until == self.until)
    }
}

impl PartialEq for Expiry {
    fn eq(&self, other: &Self) -> bool {
        self.until == other.until
    }
}

impl Eq for Expiry {}

impl PartialOrd for Expiry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Expiry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.until.cmp(&other.until)
    }
}

fn nanos_between(now: i128, later: i64) -> Duration {
    let nanos = i128::from(later).saturating_sub(now).max(0);
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, subsec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn now_or_never<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("the memory store never waits"),
        }
    }

    #[test]
    fn a_slot_of_the_table_fits_a_cache_line() {
        assert!(std::mem::size_of::<(Key, Record)>() <= 64);
        assert!(std::mem::size_of::<Expiry>() <= 32);
    }

    #[test]
    fn deadlines_beyond_what_nanoseconds_hold_never_come() {
        let clock = ManualClock::at_unix(1_700_000_000);
        let store = MemoryStore::builder()
            .clock(Arc::new(clock.clone()))
            .build();
        let id = MessageId::new("test", "forever");
        let Ok(Claim::Acquired(lease)) =
            now_or_never(store.claim_with_digest(&id, None, Duration::MAX))
        else {
            panic!("the first claim acquires");
        };
        now_or_never(store.complete(&lease, Duration::MAX)).unwrap();
        clock.advance(time::Duration::days(200 * 365));
        assert_eq!(
            now_or_never(store.claim_with_digest(&id, None, Duration::from_secs(1))),
            Ok(Claim::Completed)
        );
        // Completing again with the lease that completed it changes nothing.
        now_or_never(store.complete(&lease, Duration::from_secs(1))).unwrap();
        assert_eq!(nanos(OffsetDateTime::UNIX_EPOCH), 0);
        assert_eq!(
            nanos(time::PrimitiveDateTime::MAX.assume_utc()),
            i64::MAX,
            "saturated, not wrapped"
        );
        assert_eq!(nanos(time::PrimitiveDateTime::MIN.assume_utc()), i64::MIN);
    }

    /// A clock that stands still at one moment, anywhere `OffsetDateTime` reaches.
    #[derive(Debug)]
    struct At(OffsetDateTime);

    impl Clock for At {
        fn now(&self) -> OffsetDateTime {
            self.0
        }
    }

    /// Beyond the years unix nanoseconds hold in an `i64` (1677 to 2262), deadlines and the
    /// time collapse to one value: a record must not then be taken for expired.
    #[test]
    fn a_clock_beyond_what_nanoseconds_hold_still_deduplicates() {
        let moments = [
            time::PrimitiveDateTime::MAX.assume_utc(),
            OffsetDateTime::from_unix_timestamp(16_725_225_600).unwrap(), // 2500-01-01
            OffsetDateTime::from_unix_timestamp(9_223_372_036).unwrap(),  // 2262, the limit
            OffsetDateTime::from_unix_timestamp(-11_676_096_000).unwrap(), // 1600-01-01
            time::PrimitiveDateTime::MIN.assume_utc(),
        ];
        for now in moments {
            let store = MemoryStore::builder().clock(Arc::new(At(now))).build();
            let id = MessageId::new("test", "edge");
            let lease = Duration::from_secs(60);
            let Ok(Claim::Acquired(first)) =
                now_or_never(store.claim_with_digest(&id, None, lease))
            else {
                panic!("the first claim acquires at {now}");
            };
            assert!(
                matches!(
                    now_or_never(store.claim_with_digest(&id, None, lease)),
                    Ok(Claim::InProgress { .. })
                ),
                "a second copy while the first runs, at {now}"
            );
            now_or_never(store.complete(&first, Duration::from_secs(3600))).unwrap();
            now_or_never(store.complete(&first, Duration::from_secs(3600))).unwrap();
            assert_eq!(
                now_or_never(store.claim_with_digest(&id, None, lease)),
                Ok(Claim::Completed),
                "a retry after completion, at {now}"
            );
        }
    }

    #[test]
    fn a_digest_that_differs_is_a_conflict() {
        let store = MemoryStore::new();
        let id = MessageId::new("test", "digest");
        let Ok(Claim::Acquired(lease)) =
            now_or_never(store.claim_with_digest(&id, Some([1; 32]), Duration::from_secs(60)))
        else {
            panic!("the first claim acquires");
        };
        now_or_never(store.complete(&lease, Duration::from_secs(60))).unwrap();
        assert_eq!(
            now_or_never(store.claim_with_digest(&id, Some([2; 32]), Duration::from_secs(60))),
            Ok(Claim::Conflict)
        );
        assert_eq!(
            now_or_never(store.claim_with_digest(&id, Some([1; 32]), Duration::from_secs(60))),
            Ok(Claim::Completed)
        );
    }
}
