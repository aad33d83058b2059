//! A future combinator the worker runtime and the shipped server share.

use std::future::Future;
use std::task::Poll;

/// Polls `work` until it finishes, unless `stop` finishes first (`None`); `work` is polled
/// first, so work that is done is never reported as stopped.
pub(crate) async fn done_or<T>(
    work: impl Future<Output = T>,
    stop: impl Future<Output = ()>,
) -> Option<T> {
    let mut stop = std::pin::pin!(stop);
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(done));
        }
        stop.as_mut().poll(cx).map(|()| None)
    })
    .await
}
