//! Any backend behind one type, so that an [`Inbox`](super::Inbox), its [`Worker`](super::Worker)
//! and the extractors that name them do not carry the backend in their type.
//!
//! Each call's future is boxed: one allocation per operation, beside an enqueue or a take that
//! does far more (a network round trip on the shared backends; on the memory inbox, a lock,
//! a copy of the delivery and a wake-up).

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::{
    Backend, DeadLetter, DeadLetterFilter, Enqueued, InboxBackend, InboxStats, Job, StoredDelivery,
};
use crate::MessageId;
use crate::idempotency::StoreError;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`InboxBackend`] with boxed futures: what a backend of any type offers behind a pointer.
trait DynInbox: Send + Sync {
    fn enqueue(&self, delivery: StoredDelivery) -> BoxFuture<'_, Result<Enqueued, StoreError>>;
    fn take<'a>(
        &'a self,
        provider: &'a str,
        visibility: Duration,
        wait: Duration,
    ) -> BoxFuture<'a, Result<Option<Job>, StoreError>>;
    fn extend<'a>(
        &'a self,
        job: &'a Job,
        visibility: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn complete<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), StoreError>>;
    fn retry<'a>(
        &'a self,
        job: &'a Job,
        error: &'a str,
        at: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn release<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), StoreError>>;
    fn dead_letter<'a>(
        &'a self,
        job: &'a Job,
        error: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn dead_letters<'a>(
        &'a self,
        filter: &'a DeadLetterFilter,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, StoreError>>;
    fn requeue<'a>(
        &'a self,
        filter: &'a DeadLetterFilter,
    ) -> BoxFuture<'a, Result<usize, StoreError>>;
    fn replay<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<bool, StoreError>>;
    fn purge(&self, before: OffsetDateTime) -> BoxFuture<'_, Result<usize, StoreError>>;
    fn stats(&self) -> BoxFuture<'_, Result<InboxStats, StoreError>>;
    fn name(&self) -> &'static str;
    fn as_any(&self) -> &dyn Any;
}

impl<B: InboxBackend> DynInbox for B {
    fn enqueue(&self, delivery: StoredDelivery) -> BoxFuture<'_, Result<Enqueued, StoreError>> {
        Box::pin(Backend::enqueue(self, delivery))
    }

    fn take<'a>(
        &'a self,
        provider: &'a str,
        visibility: Duration,
        wait: Duration,
    ) -> BoxFuture<'a, Result<Option<Job>, StoreError>> {
        Box::pin(Backend::take(self, provider, visibility, wait))
    }

    fn extend<'a>(
        &'a self,
        job: &'a Job,
        visibility: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Backend::extend(self, job, visibility))
    }

    fn complete<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Backend::complete(self, job))
    }

    fn retry<'a>(
        &'a self,
        job: &'a Job,
        error: &'a str,
        at: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Backend::retry(self, job, error, at))
    }

    fn release<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Backend::release(self, job))
    }

    fn dead_letter<'a>(
        &'a self,
        job: &'a Job,
        error: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Backend::dead_letter(self, job, error))
    }

    fn dead_letters<'a>(
        &'a self,
        filter: &'a DeadLetterFilter,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, StoreError>> {
        Box::pin(Backend::dead_letters(self, filter, limit))
    }

    fn requeue<'a>(
        &'a self,
        filter: &'a DeadLetterFilter,
    ) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(Backend::requeue(self, filter))
    }

    fn replay<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(Backend::replay(self, id))
    }

    fn purge(&self, before: OffsetDateTime) -> BoxFuture<'_, Result<usize, StoreError>> {
        Box::pin(Backend::purge(self, before))
    }

    fn stats(&self) -> BoxFuture<'_, Result<InboxStats, StoreError>> {
        Box::pin(Backend::stats(self))
    }

    fn name(&self) -> &'static str {
        Backend::name(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A backend of any type, shared by the clones of an inbox.
#[derive(Clone)]
pub(crate) struct AnyInbox(Arc<dyn DynInbox>);

impl AnyInbox {
    pub(crate) fn new<B: InboxBackend>(backend: B) -> Self {
        Self(Arc::new(backend))
    }

    /// The backend as its own type, when it is a `B`.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn downcast_ref<B: InboxBackend>(&self) -> Option<&B> {
        self.0.as_any().downcast_ref::<B>()
    }
}

impl InboxBackend for AnyInbox {}

impl Backend for AnyInbox {
    async fn enqueue(&self, delivery: StoredDelivery) -> Result<Enqueued, StoreError> {
        self.0.enqueue(delivery).await
    }

    async fn take(
        &self,
        provider: &str,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Job>, StoreError> {
        self.0.take(provider, visibility, wait).await
    }

    async fn extend(&self, job: &Job, visibility: Duration) -> Result<(), StoreError> {
        self.0.extend(job, visibility).await
    }

    async fn complete(&self, job: &Job) -> Result<(), StoreError> {
        self.0.complete(job).await
    }

    async fn retry(&self, job: &Job, error: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.0.retry(job, error, at).await
    }

    async fn release(&self, job: &Job) -> Result<(), StoreError> {
        self.0.release(job).await
    }

    async fn dead_letter(&self, job: &Job, error: &str) -> Result<(), StoreError> {
        self.0.dead_letter(job, error).await
    }

    async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        self.0.dead_letters(filter, limit).await
    }

    async fn requeue(&self, filter: &DeadLetterFilter) -> Result<usize, StoreError> {
        self.0.requeue(filter).await
    }

    async fn replay(&self, id: &MessageId) -> Result<bool, StoreError> {
        self.0.replay(id).await
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        self.0.purge(before).await
    }

    async fn stats(&self) -> Result<InboxStats, StoreError> {
        self.0.stats().await
    }

    fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl std::fmt::Debug for AnyInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Backend").field(&self.0.name()).finish()
    }
}

impl crate::__private::Sealed for AnyInbox {}
