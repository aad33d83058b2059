//! A future that is not cancelled by being dropped: it runs in place, in the request's own
//! task, and only if the request is dropped before it is done (the sender hung up, a timeout
//! layer gave up) is the rest of it handed to the runtime as a task of its own.
//!
//! Spawning every delivery up front gives the same guarantee but costs a task, a cross-thread
//! wake-up and a join on every request, the common case being the one in which nothing is
//! dropped; this costs one allocation.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::sync::Notify;

/// How many pipelines run detached in this process now, and who waits for none to be left (a
/// server draining on shutdown: `integrations::axum::serve`).
static DETACHED: AtomicUsize = AtomicUsize::new(0);
static NONE_DETACHED: Notify = Notify::const_new();

/// Counts a detached pipeline from its spawn to its end (or its panic).
struct Running;

impl Running {
    fn start() -> Self {
        DETACHED.fetch_add(1, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if DETACHED.fetch_sub(1, Ordering::SeqCst) == 1 {
            NONE_DETACHED.notify_waiters();
        }
    }
}

/// How many pipelines run detached now.
pub(crate) fn running() -> usize {
    DETACHED.load(Ordering::SeqCst)
}

/// Completes once no pipeline runs detached.
pub(crate) async fn none_running() {
    loop {
        let notified = NONE_DETACHED.notified();
        let mut notified = std::pin::pin!(notified);
        notified.as_mut().enable();
        if running() == 0 {
            return;
        }
        notified.await;
    }
}

/// Runs `F` in place; when dropped unfinished, spawns the rest on the current tokio runtime
/// (and drops it only if there is no runtime left to run it on).
pub(crate) struct DetachOnDrop<F: Future + Send + 'static> {
    /// `None` once finished, and while being polled: a future that panics is then dropped
    /// with the unwinding, never handed to the runtime to be polled again.
    future: Option<Pin<Box<F>>>,
}

impl<F: Future + Send + 'static> DetachOnDrop<F> {
    pub(crate) fn new(future: F) -> Self {
        Self {
            future: Some(Box::pin(future)),
        }
    }
}

impl<F: Future + Send + 'static> Future for DetachOnDrop<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // `Self` is `Unpin` (the future is boxed), so the field can be taken out.
        let Some(mut future) = self.future.take() else {
            // Polled after completion, which the `Future` contract leaves open: never ready.
            return Poll::Pending;
        };
        match future.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(output),
            Poll::Pending => {
                self.future = Some(future);
                Poll::Pending
            }
        }
    }
}

impl<F: Future + Send + 'static> Drop for DetachOnDrop<F> {
    fn drop(&mut self) {
        let Some(future) = self.future.take() else {
            return;
        };
        // No runtime (it is gone or going): the work cannot go on, as with any task at shutdown.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // Counted until it ends, panics included (the guard drops while unwinding).
            let running = Running::start();
            drop(runtime.spawn(async move {
                // The sender is gone: nobody reads the outcome.
                let _ = future.await;
                drop(running);
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn runs_in_place_and_finishes_when_dropped() {
        let steps = Arc::new(AtomicUsize::new(0));
        let work = |steps: Arc<AtomicUsize>| async move {
            steps.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            steps.fetch_add(1, Ordering::SeqCst);
            7
        };
        assert_eq!(DetachOnDrop::new(work(steps.clone())).await, 7);
        assert_eq!(steps.load(Ordering::SeqCst), 2);

        // Dropped halfway (a timeout, as when hyper drops the request): the rest still runs.
        let dropped = tokio::time::timeout(
            Duration::from_millis(10),
            DetachOnDrop::new(work(steps.clone())),
        )
        .await;
        assert!(dropped.is_err());
        assert_eq!(steps.load(Ordering::SeqCst), 3);
        for _ in 0..100 {
            if steps.load(Ordering::SeqCst) == 4 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the dropped work did not finish");
    }

    /// Counts its polls and panics in each, as a handler with a bug.
    struct Panics(Arc<AtomicUsize>);

    impl Future for Panics {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            panic!("handler bug");
        }
    }

    #[tokio::test]
    async fn a_panic_is_not_polled_again() {
        let polls = Arc::new(AtomicUsize::new(0));
        let outcome = tokio::spawn(DetachOnDrop::new(Panics(polls.clone()))).await;
        assert!(outcome.unwrap_err().is_panic());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(polls.load(Ordering::SeqCst), 1);
    }
}
