//! Model-based test of `MemoryStore`: random sequences of claims, completions, releases and
//! clock moves over a few ids and a few owners, run against the store and against a plain
//! state machine written from the documented contract. Every answer must agree.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use proptest::prelude::*;
use webhook_receiver::MessageId;
use webhook_receiver::clock::ManualClock;
use webhook_receiver::idempotency::{Claim, IdempotencyStore, Lease, MemoryStore, StoreError};

const START: i64 = 1_700_000_000;
const IDS: u8 = 3;
const OWNERS: usize = 3;

/// Durations in milliseconds, drawn from small sets so that deadlines are often hit exactly.
#[derive(Debug, Clone)]
enum Op {
    Claim {
        id: u8,
        owner: usize,
        digest: Option<u8>,
        lease: u64,
    },
    Complete {
        owner: usize,
        retention: u64,
    },
    Release {
        owner: usize,
    },
    Advance {
        by: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..IDS, 0..OWNERS, prop::option::of(0..2_u8), prop::sample::select(vec![0_u64, 1_000, 2_000, 3_000]))
            .prop_map(|(id, owner, digest, lease)| Op::Claim { id, owner, digest, lease }),
        2 => (0..OWNERS, prop::sample::select(vec![0_u64, 1_000, 2_500, 5_000]))
            .prop_map(|(owner, retention)| Op::Complete { owner, retention }),
        1 => (0..OWNERS).prop_map(|owner| Op::Release { owner }),
        2 => prop::sample::select(vec![0_u64, 500, 1_000, 1_500, 2_000])
            .prop_map(|by| Op::Advance { by }),
    ]
}

/// The answers the model gives, and what the store's answers are compared as.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Acquired,
    InProgress(Duration),
    Completed,
    Conflict,
}

#[derive(Debug, Clone, Copy)]
enum State {
    InProgress { token: u64, until: u64 },
    Completed { token: u64, until: u64 },
}

#[derive(Debug, Clone, Copy)]
struct Record {
    state: State,
    digest: Option<u8>,
}

/// The contract as a plain state machine; time in milliseconds since the start.
#[derive(Debug, Default)]
struct Model {
    now: u64,
    next_token: u64,
    records: HashMap<u8, Record>,
}

impl Model {
    /// The live record of `id`: an expired record is as good as absent.
    fn live(&self, id: u8) -> Option<Record> {
        self.records.get(&id).copied().filter(|record| {
            let until = match record.state {
                State::InProgress { until, .. } | State::Completed { until, .. } => until,
            };
            self.now < until
        })
    }

    fn claim(&mut self, id: u8, digest: Option<u8>, lease: u64) -> (Answer, Option<u64>) {
        if let Some(record) = self.live(id) {
            if let (Some(theirs), Some(ours)) = (record.digest, digest)
                && theirs != ours
            {
                return (Answer::Conflict, None);
            }
            return match record.state {
                State::InProgress { until, .. } => (
                    Answer::InProgress(Duration::from_millis(until - self.now)),
                    None,
                ),
                State::Completed { .. } => (Answer::Completed, None),
            };
        }
        self.next_token += 1;
        let token = self.next_token;
        self.records.insert(
            id,
            Record {
                state: State::InProgress {
                    token,
                    until: self.now + lease,
                },
                digest,
            },
        );
        (Answer::Acquired, Some(token))
    }

    fn owns(&self, id: u8, token: u64) -> bool {
        matches!(
            self.live(id),
            Some(Record { state: State::InProgress { token: current, .. }, .. }) if current == token
        )
    }

    fn complete(&mut self, id: u8, token: u64, retention: u64) -> Result<(), StoreError> {
        // Completing again with the lease that completed the id changes nothing.
        if matches!(
            self.live(id),
            Some(Record { state: State::Completed { token: done, .. }, .. }) if done == token
        ) {
            return Ok(());
        }
        if !self.owns(id, token) {
            return Err(StoreError::LeaseLost);
        }
        let now = self.now;
        if let Some(record) = self.records.get_mut(&id) {
            record.state = State::Completed {
                token,
                until: now + retention,
            };
        }
        Ok(())
    }

    fn release(&mut self, id: u8, token: u64) -> Result<(), StoreError> {
        if !self.owns(id, token) {
            return Err(StoreError::LeaseLost);
        }
        self.records.remove(&id);
        Ok(())
    }

    fn live_count(&self) -> usize {
        (0..IDS).filter(|id| self.live(*id).is_some()).count()
    }
}

/// A lease the test holds, with the model's token for it.
struct Held {
    id: u8,
    token: u64,
    lease: Lease,
}

/// The memory store answers without waiting: one poll must finish the call.
fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

fn message_id(id: u8) -> MessageId {
    MessageId::new("model", &id.to_string())
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let clock = ManualClock::at_unix(START);
    let store = MemoryStore::builder()
        .clock(Arc::new(clock.clone()))
        .build();
    let mut model = Model::default();
    let mut held: Vec<Option<Held>> = (0..OWNERS).map(|_| None).collect();

    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Claim {
                id,
                owner,
                digest,
                lease,
            } => {
                let (expected, token) = model.claim(id, digest, lease);
                let claim = now_or_never(store.claim_with_digest(
                    &message_id(id),
                    digest.map(|d| [d; 32]),
                    Duration::from_millis(lease),
                ))
                .map_err(|error| TestCaseError::fail(format!("step {step}: {error}")))?;
                let answer = match claim {
                    Claim::Acquired(granted) => {
                        let expires = START as i128 * 1_000_000_000
                            + i128::from(model.now + lease) * 1_000_000;
                        prop_assert_eq!(granted.expires_at().unix_timestamp_nanos(), expires);
                        prop_assert_eq!(granted.id(), &message_id(id));
                        if let (Some(token), Some(slot)) = (token, held.get_mut(owner)) {
                            *slot = Some(Held {
                                id,
                                token,
                                lease: granted,
                            });
                        }
                        Answer::Acquired
                    }
                    Claim::InProgress { retry_after } => Answer::InProgress(retry_after),
                    Claim::Completed => Answer::Completed,
                    Claim::Conflict => Answer::Conflict,
                    other => panic!("unknown claim answer {other:?}"),
                };
                prop_assert_eq!(answer, expected, "step {}: {:?}", step, op);
            }
            Op::Complete { owner, retention } => {
                if let Some(Some(held)) = held.get(owner) {
                    let expected = model.complete(held.id, held.token, retention);
                    let actual =
                        now_or_never(store.complete(&held.lease, Duration::from_millis(retention)));
                    prop_assert_eq!(actual, expected, "step {}: {:?}", step, op);
                }
            }
            Op::Release { owner } => {
                if let Some(Some(held)) = held.get(owner) {
                    let expected = model.release(held.id, held.token);
                    let actual = now_or_never(store.release(&held.lease));
                    prop_assert_eq!(actual, expected, "step {}: {:?}", step, op);
                }
            }
            Op::Advance { by } => {
                model.now += by;
                clock.advance(time::Duration::milliseconds(i64::try_from(by).unwrap()));
            }
        }
        // Expired records may linger until evicted, but live ones are always there.
        let len = store.len();
        prop_assert!(len >= model.live_count(), "step {}: len {}", step, len);
        prop_assert!(len <= usize::from(IDS), "step {}: len {}", step, len);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn memory_store_agrees_with_the_model(ops in prop::collection::vec(op(), 1..80)) {
        run(&ops)?;
    }
}
