//! Reading a request body under the provider's limit and a deadline, once for every
//! framework: an adapter only says how to pull the next chunk from its body type.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;

use crate::provider::check_body_limit;
use crate::{Error, Headers};

/// How long the extractors wait for the whole body, from the moment they start reading it; a
/// body still incomplete then is refused with 408 ([`Error::BodyReadTimeout`]), so the sender
/// retries. The default ([`BodyTimeout::DEFAULT`], 30 seconds) holds unless you register
/// another: in actix-web's app data (`App::app_data(BodyTimeout(..))`), in axum as a request
/// extension (`Router::layer(Extension(BodyTimeout(..)))`).
///
/// ```
/// use std::time::Duration;
/// use webhook_receiver::integrations::BodyTimeout;
///
/// let timeout = BodyTimeout(Duration::from_secs(10));
/// assert!(timeout < BodyTimeout::default());
/// ```
///
/// The deadline covers the whole body, so a client that trickles it a byte at a time is cut
/// off as surely as one that sends nothing. Neither framework bounds the body by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BodyTimeout(pub Duration);

impl BodyTimeout {
    /// 30 seconds: the time Palenca waits for an answer, and far more than any sender needs to
    /// upload a body under the default 1 MiB limit.
    pub const DEFAULT: Self = Self(Duration::from_secs(30));
}

impl Default for BodyTimeout {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a framework's body stream stopped short.
pub(crate) enum ChunkError {
    /// A body-limiting layer in front of the extractor refused more bytes.
    TooLarge,
    /// The transport failed: the client went away, broke the chunked encoding, sent fewer
    /// bytes than announced.
    Unreadable(Box<dyn std::error::Error + Send + Sync>),
}

/// A framework's request body, one data chunk at a time (trailers and empty chunks may be
/// skipped by returning the next data chunk instead).
pub(crate) trait Chunks: Unpin {
    /// The next data chunk, `None` at the end.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, ChunkError>>>;

    /// A lower bound on the body's length that the body itself knows (beyond
    /// `Content-Length`), or 0.
    fn size_hint(&self) -> u64 {
        0
    }
}

/// Reads the whole body within `timeout` (measured by `sleep`, a timer of the framework's
/// runtime), refusing one over `limit` without reading it: by its declared length first, then
/// chunk by chunk, so at most `limit` bytes plus one chunk are ever held.
///
/// The timer is made only when the body is not already there (the first poll of a chunk is
/// pending), so a body that arrived with its head costs no timer.
pub(crate) async fn read_body<C, S, F>(
    headers: &(impl Headers + ?Sized),
    chunks: C,
    limit: usize,
    timeout: BodyTimeout,
    sleep: S,
) -> Result<Bytes, Error>
where
    C: Chunks,
    S: FnOnce(Duration) -> F,
    F: Future<Output = ()>,
{
    let timer = async move { sleep(timeout.0).await };
    match within(read_all(headers, chunks, limit), timer).await {
        Some(result) => result,
        None => Err(Error::BodyReadTimeout { after: timeout.0 }),
    }
}

/// `future`'s output, or `None` when `timer` finishes first. `timer` is first polled only
/// after `future` was pending once.
async fn within<T>(future: impl Future<Output = T>, timer: impl Future<Output = ()>) -> Option<T> {
    let mut future = pin!(future);
    let mut timer = pin!(timer);
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await
}

async fn read_all<C: Chunks>(
    headers: &(impl Headers + ?Sized),
    mut chunks: C,
    limit: usize,
) -> Result<Bytes, Error> {
    let declared = headers
        .get("content-length")
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let announced = declared.unwrap_or(0).max(chunks.size_hint());
    if announced > limit as u64 {
        return Err(Error::BodyTooLarge {
            limit,
            actual: usize::try_from(announced).unwrap_or(usize::MAX),
        });
    }
    // `announced <= limit` here, so the conversion cannot fail.
    let expected = usize::try_from(announced).unwrap_or(limit);

    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    let mut read: usize = 0;
    while let Some(chunk) = poll_fn(|cx| chunks.poll_chunk(cx)).await {
        let chunk = chunk.map_err(|err| match err {
            ChunkError::TooLarge => Error::BodyTooLarge {
                limit,
                actual: read.saturating_add(1),
            },
            ChunkError::Unreadable(source) => Error::BodyUnreadable(source),
        })?;
        if chunk.is_empty() {
            continue;
        }
        read = read.saturating_add(chunk.len());
        check_body_limit(limit, read)?;
        match first.take() {
            // A body in one chunk (the usual case) is passed on without a copy.
            None if rest.is_empty() => first = Some(chunk),
            None => rest.extend_from_slice(&chunk),
            Some(head) => {
                rest.reserve(expected.max(read).min(limit));
                rest.extend_from_slice(&head);
                rest.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(rest)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::collections::VecDeque;
    use std::future::pending;

    use super::*;

    /// Chunks from a list; `Pending` entries stand for a client that has not sent more yet.
    struct Script(VecDeque<Poll<Option<Result<Bytes, ChunkError>>>>);

    impl Chunks for Script {
        fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, ChunkError>>> {
            match self.0.pop_front() {
                Some(Poll::Pending) => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Some(ready) => ready,
                None => Poll::Ready(None),
            }
        }
    }

    fn data(text: &'static str) -> Poll<Option<Result<Bytes, ChunkError>>> {
        Poll::Ready(Some(Ok(Bytes::from_static(text.as_bytes()))))
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }

    fn read(script: Script, headers: &[(&str, &str)], timer_fires: bool) -> Result<Bytes, Error> {
        block_on(read_body(
            headers,
            script,
            8,
            BodyTimeout::DEFAULT,
            |_| async move {
                if !timer_fires {
                    pending::<()>().await;
                }
            },
        ))
    }

    #[test]
    fn chunks_are_joined_and_a_single_chunk_is_not_copied() {
        let one = Bytes::from_static(b"{}");
        let body = read(
            Script([Poll::Ready(Some(Ok(one.clone())))].into()),
            &[],
            false,
        )
        .unwrap();
        assert_eq!(
            body.as_ptr(),
            one.as_ptr(),
            "one chunk is passed on as it is"
        );
        let script = Script([data("{\"a\""), Poll::Pending, data(":1}")].into());
        assert_eq!(read(script, &[], false).unwrap(), &b"{\"a\":1}"[..]);
    }

    #[test]
    fn an_announced_or_streamed_excess_is_refused() {
        let announced = read(Script([].into()), &[("content-length", "9")], false);
        assert!(matches!(
            announced,
            Err(Error::BodyTooLarge { actual: 9, .. })
        ));
        let streamed = read(Script([data("12345"), data("6789")].into()), &[], false);
        assert!(matches!(
            streamed,
            Err(Error::BodyTooLarge { actual: 9, .. })
        ));
        let layer = read(
            Script([Poll::Ready(Some(Err(ChunkError::TooLarge)))].into()),
            &[],
            false,
        );
        assert!(matches!(layer, Err(Error::BodyTooLarge { .. })));
    }

    #[test]
    fn a_transport_failure_is_unreadable_with_its_source() {
        let failed: Box<dyn std::error::Error + Send + Sync> = "connection reset".into();
        let script = Script(
            [
                data("{"),
                Poll::Ready(Some(Err(ChunkError::Unreadable(failed)))),
            ]
            .into(),
        );
        match read(script, &[], false) {
            Err(err @ Error::BodyUnreadable(_)) => {
                assert_eq!(err.status(), 400);
                let source = std::error::Error::source(&err).unwrap();
                assert_eq!(source.to_string(), "connection reset");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_timer_starts_only_when_the_body_is_late_and_cuts_it_off() {
        // A body that is all there never polls the timer, even one that would fire at once.
        assert!(read(Script([data("{}")].into()), &[], true).is_ok());
        let late = read(
            Script([data("{"), Poll::Pending, data("}")].into()),
            &[],
            true,
        );
        assert!(
            matches!(late, Err(Error::BodyReadTimeout { .. })),
            "{late:?}"
        );
    }
}
