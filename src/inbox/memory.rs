//! The in-process inbox: for tests and single-process development. Not durable.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{
    Backend, DeadLetter, DeadLetterFilter, Enqueued, InboxBackend, InboxStats, Job, StoreError,
    StoredDelivery,
};
use crate::MessageId;
use crate::idempotency::new_owner_token;

/// An inbox backend ([`InboxBackend`]) in this process's memory.
///
/// **Not durable:** when the process exits, every delivery not yet processed is lost,
/// although its sender was answered `200 accepted`, and so are the completed ids (a retry
/// after a restart is processed again). Right for tests, and for development in one process;
/// production needs a backend on a database.
///
/// Cheap to clone (clones share the deliveries). Takers wait on a notification, not by
/// polling. Nothing is dropped on its own: completed records and dead letters stay until
/// [`purge`](super::Inbox::purge), so size the memory for the ids you must recognise.
#[derive(Clone, Default)]
pub struct MemoryInbox {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    /// Woken whenever a delivery becomes due now: takers waiting on it look again.
    arrivals: Notify,
}

#[derive(Default)]
struct State {
    entries: HashMap<MessageId, Entry>,
    /// The waiting deliveries of each provider, by the time they are due, then by arrival.
    due: HashMap<String, BTreeMap<Slot, MessageId>>,
    /// The deliveries taken, by the end of their visibility (on the monotonic clock: a wall
    /// clock that jumps neither ends a hold early nor stretches it).
    taken: BTreeMap<Hold, MessageId>,
    sequence: u64,
}

/// A time (unix nanoseconds) and a sequence number, unique per use.
type Slot = (i128, u64);

/// The end of a hold on the monotonic clock, and a sequence number, unique per use.
type Hold = (Instant, u64);

struct Entry {
    delivery: StoredDelivery,
    /// Attempts started so far.
    attempts: u32,
    last_error: Option<String>,
    status: Status,
}

enum Status {
    Waiting,
    Taken { token: u128, until: Hold },
    Completed(OffsetDateTime),
    Dead(OffsetDateTime),
}

impl MemoryInbox {
    /// An empty inbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change below is made in one step under the lock: a panic elsewhere cannot
        // leave the state half-changed, so a poisoned lock is used as is.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes a taken job's entry if the job still holds it.
    fn with_taken<R>(
        &self,
        job: &Job,
        change: impl FnOnce(&mut State, MessageId, Hold) -> R,
    ) -> Result<R, StoreError> {
        let mut state = self.lock();
        let id = job.delivery.id.clone();
        let until = match state.entries.get(&id).map(|entry| &entry.status) {
            Some(Status::Taken { token, until }) if *token == job.token => *until,
            _ => return Err(StoreError::LeaseLost),
        };
        state.taken.remove(&until);
        Ok(change(&mut state, id, until))
    }
}

impl std::fmt::Debug for MemoryInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryInbox")
            .field("deliveries", &state.entries.len())
            .finish_non_exhaustive()
    }
}

fn nanos(time: OffsetDateTime) -> i128 {
    time.unix_timestamp_nanos()
}

/// The end of a hold of `visibility` from now, on the monotonic clock.
fn hold_until(visibility: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(visibility)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 60 * 60))
}

impl State {
    fn slot(&mut self, time: OffsetDateTime) -> Slot {
        self.sequence += 1;
        (nanos(time), self.sequence)
    }

    fn hold(&mut self, until: Instant) -> Hold {
        self.sequence += 1;
        (until, self.sequence)
    }

    /// Queues the entry of `id` (which must exist) for `at`.
    fn wait(&mut self, id: MessageId, at: OffsetDateTime) {
        let slot = self.slot(at);
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.status = Status::Waiting;
            self.due
                .entry(entry.delivery.provider.clone())
                .or_default()
                .insert(slot, id);
        }
    }

    /// Takes the deliveries whose visibility ran out back into their queues, due at once.
    fn expire_taken(&mut self, now: OffsetDateTime) {
        let monotonic = Instant::now();
        while let Some((&until, _)) = self.taken.first_key_value() {
            if until.0 > monotonic {
                break;
            }
            if let Some((_, id)) = self.taken.pop_first() {
                self.wait(id, now);
            }
        }
    }

    /// The earliest time anything changes on its own for `provider`'s takers, on the
    /// monotonic clock (`now` is the wall clock's reading for the due times).
    fn next_change(&self, provider: &str, now: OffsetDateTime) -> Option<Instant> {
        let due = self
            .due
            .get(provider)
            .and_then(|queue| queue.first_key_value())
            .map(|(slot, _)| {
                let ahead = u64::try_from((slot.0 - nanos(now)).max(0)).unwrap_or(u64::MAX);
                Instant::now() + Duration::from_nanos(ahead)
            });
        let visible = self.taken.first_key_value().map(|(hold, _)| hold.0);
        match (due, visible) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn take_due(
        &mut self,
        provider: &str,
        now: OffsetDateTime,
        visibility: Duration,
    ) -> Option<Job> {
        let queue = self.due.get_mut(provider)?;
        let (&slot, _) = queue.first_key_value()?;
        if slot.0 > nanos(now) {
            return None;
        }
        let (_, id) = queue.pop_first()?;
        let until = self.hold(hold_until(visibility));
        let token = new_owner_token();
        let entry = self.entries.get_mut(&id)?;
        entry.attempts += 1;
        entry.status = Status::Taken { token, until };
        let job = Job::new(entry.delivery.clone(), entry.attempts, token);
        self.taken.insert(until, id);
        Some(job)
    }

    fn letter(entry: &Entry) -> Option<DeadLetter> {
        match entry.status {
            Status::Dead(died_at) => Some(DeadLetter {
                delivery: entry.delivery.clone(),
                attempts: entry.attempts,
                error: entry.last_error.clone().unwrap_or_default(),
                died_at,
            }),
            _ => None,
        }
    }

    fn matching_dead(&self, filter: &DeadLetterFilter) -> Vec<DeadLetter> {
        let mut letters: Vec<DeadLetter> = self
            .entries
            .values()
            .filter_map(Self::letter)
            .filter(|letter| filter.matches(letter))
            .collect();
        letters.sort_by_key(|letter| letter.died_at);
        letters
    }
}

impl crate::__private::Sealed for MemoryInbox {}

impl InboxBackend for MemoryInbox {}

impl Backend for MemoryInbox {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn enqueue(&self, delivery: StoredDelivery) -> Result<Enqueued, StoreError> {
        let mut state = self.lock();
        if let Some(held) = state.entries.get(&delivery.id) {
            return Ok(if held.delivery.payload == delivery.payload {
                Enqueued::Duplicate
            } else {
                Enqueued::Conflict
            });
        }
        let id = delivery.id.clone();
        let now = OffsetDateTime::now_utc();
        state.entries.insert(
            id.clone(),
            Entry {
                delivery,
                attempts: 0,
                last_error: None,
                status: Status::Waiting,
            },
        );
        state.wait(id, now);
        drop(state);
        self.inner.arrivals.notify_waiters();
        Ok(Enqueued::Accepted)
    }

    async fn take(
        &self,
        provider: &str,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Job>, StoreError> {
        let give_up = tokio::time::Instant::now() + wait;
        loop {
            // Listen before looking, so that an arrival between the look and the wait wakes
            // this taker.
            let arrival = self.inner.arrivals.notified();
            let mut arrival = std::pin::pin!(arrival);
            arrival.as_mut().enable();
            let next = {
                let mut state = self.lock();
                let now = OffsetDateTime::now_utc();
                state.expire_taken(now);
                if let Some(job) = state.take_due(provider, now, visibility) {
                    return Ok(Some(job));
                }
                state.next_change(provider, now)
            };
            let now = tokio::time::Instant::now();
            if now >= give_up {
                return Ok(None);
            }
            let until = next.map_or(give_up, |next| next.min(give_up));
            let _ = tokio::time::timeout_at(until, arrival).await;
        }
    }

    async fn extend(&self, job: &Job, visibility: Duration) -> Result<(), StoreError> {
        self.with_taken(job, |state, id, _| {
            let until = state.hold(hold_until(visibility));
            if let Some(entry) = state.entries.get_mut(&id) {
                entry.status = Status::Taken {
                    token: job.token,
                    until,
                };
            }
            state.taken.insert(until, id);
        })
    }

    async fn complete(&self, job: &Job) -> Result<(), StoreError> {
        self.with_taken(job, |state, id, _| {
            if let Some(entry) = state.entries.get_mut(&id) {
                entry.status = Status::Completed(OffsetDateTime::now_utc());
                entry.last_error = None;
            }
        })
    }

    async fn retry(&self, job: &Job, error: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.with_taken(job, |state, id, _| {
            if let Some(entry) = state.entries.get_mut(&id) {
                entry.last_error = Some(error.to_owned());
            }
            state.wait(id, at);
        })?;
        self.inner.arrivals.notify_waiters();
        Ok(())
    }

    async fn release(&self, job: &Job) -> Result<(), StoreError> {
        self.with_taken(job, |state, id, _| {
            if let Some(entry) = state.entries.get_mut(&id) {
                entry.attempts = entry.attempts.saturating_sub(1);
            }
            state.wait(id, OffsetDateTime::now_utc());
        })?;
        self.inner.arrivals.notify_waiters();
        Ok(())
    }

    async fn dead_letter(&self, job: &Job, error: &str) -> Result<(), StoreError> {
        self.with_taken(job, |state, id, _| {
            if let Some(entry) = state.entries.get_mut(&id) {
                entry.last_error = Some(error.to_owned());
                entry.status = Status::Dead(OffsetDateTime::now_utc());
            }
        })
    }

    async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let mut letters = self.lock().matching_dead(filter);
        letters.truncate(limit);
        Ok(letters)
    }

    async fn requeue(&self, filter: &DeadLetterFilter) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let ids: Vec<MessageId> = state
            .matching_dead(filter)
            .into_iter()
            .map(|letter| letter.delivery.id)
            .collect();
        let now = OffsetDateTime::now_utc();
        for id in &ids {
            if let Some(entry) = state.entries.get_mut(id) {
                entry.attempts = 0;
            }
            state.wait(id.clone(), now);
        }
        drop(state);
        if !ids.is_empty() {
            self.inner.arrivals.notify_waiters();
        }
        Ok(ids.len())
    }

    async fn replay(&self, id: &MessageId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        match state.entries.get_mut(id) {
            Some(entry) if matches!(entry.status, Status::Completed(_)) => {
                entry.attempts = 0;
            }
            _ => return Ok(false),
        }
        state.wait(id.clone(), OffsetDateTime::now_utc());
        drop(state);
        self.inner.arrivals.notify_waiters();
        Ok(true)
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let count = state.entries.len();
        state.entries.retain(|_, entry| match entry.status {
            Status::Completed(at) | Status::Dead(at) => at >= before,
            Status::Waiting | Status::Taken { .. } => true,
        });
        Ok(count - state.entries.len())
    }

    async fn stats(&self) -> Result<InboxStats, StoreError> {
        let state = self.lock();
        let mut stats = InboxStats::default();
        for entry in state.entries.values() {
            match entry.status {
                Status::Waiting => stats.pending += 1,
                Status::Taken { .. } => stats.in_flight += 1,
                Status::Completed(_) => stats.completed += 1,
                Status::Dead(_) => stats.dead += 1,
            }
        }
        Ok(stats)
    }
}
