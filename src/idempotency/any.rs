//! Any store behind one type, so that a [`Receiver`](crate::Receiver) and the extractors that
//! name it do not carry the store in their type: moving from the memory store to PostgreSQL
//! changes the line that builds the receiver, not every handler's signature.
//!
//! The embedded [`MemoryStore`] is kept as it is (its calls are direct, nothing is boxed on the
//! hot path it serves); any other store's futures are boxed, one allocation per call, next to
//! a network round trip.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::{Claim, IdempotencyStore, Lease, MemoryStore, StoreError};
use crate::MessageId;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`IdempotencyStore`] with boxed futures: what a store of any type offers behind a pointer.
pub(crate) trait DynStore: Send + Sync {
    fn claim_with_digest<'a>(
        &'a self,
        id: &'a MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>>;
    fn complete<'a>(
        &'a self,
        lease: &'a Lease,
        retention: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), StoreError>>;
    fn name(&self) -> &'static str;
    fn is_in_process(&self) -> bool;
}

impl<S: IdempotencyStore> DynStore for S {
    fn claim_with_digest<'a>(
        &'a self,
        id: &'a MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(IdempotencyStore::claim_with_digest(self, id, digest, lease))
    }

    fn complete<'a>(
        &'a self,
        lease: &'a Lease,
        retention: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(IdempotencyStore::complete(self, lease, retention))
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(IdempotencyStore::release(self, lease))
    }

    fn name(&self) -> &'static str {
        IdempotencyStore::name(self)
    }

    fn is_in_process(&self) -> bool {
        IdempotencyStore::is_in_process(self)
    }
}

/// A store of any type: the memory store as it is, any other behind a pointer.
#[derive(Clone)]
pub(crate) enum AnyStore {
    Memory(MemoryStore),
    Other(Arc<dyn DynStore>),
}

impl AnyStore {
    pub(crate) fn new<S: IdempotencyStore + 'static>(store: S) -> Self {
        if let Some(memory) = (&store as &dyn Any).downcast_ref::<MemoryStore>() {
            // A memory store is a handle to shared state: the clone is the same store.
            return AnyStore::Memory(memory.clone());
        }
        AnyStore::Other(Arc::new(store))
    }
}

impl std::fmt::Debug for AnyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnyStore::Memory(memory) => memory.fmt(f),
            AnyStore::Other(store) => f.debug_tuple("Store").field(&store.name()).finish(),
        }
    }
}

impl crate::__private::Sealed for AnyStore {}

impl IdempotencyStore for AnyStore {
    async fn claim_with_digest(
        &self,
        id: &MessageId,
        digest: Option<[u8; 32]>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        match self {
            AnyStore::Memory(memory) => {
                IdempotencyStore::claim_with_digest(memory, id, digest, lease).await
            }
            AnyStore::Other(store) => store.claim_with_digest(id, digest, lease).await,
        }
    }

    async fn complete(&self, lease: &Lease, retention: Duration) -> Result<(), StoreError> {
        match self {
            AnyStore::Memory(memory) => IdempotencyStore::complete(memory, lease, retention).await,
            AnyStore::Other(store) => store.complete(lease, retention).await,
        }
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        match self {
            AnyStore::Memory(memory) => IdempotencyStore::release(memory, lease).await,
            AnyStore::Other(store) => store.release(lease).await,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            AnyStore::Memory(memory) => IdempotencyStore::name(memory),
            AnyStore::Other(store) => store.name(),
        }
    }

    fn is_in_process(&self) -> bool {
        match self {
            AnyStore::Memory(memory) => IdempotencyStore::is_in_process(memory),
            AnyStore::Other(store) => store.is_in_process(),
        }
    }
}
