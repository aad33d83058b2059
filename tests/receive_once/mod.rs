//! A chosen message id through a real `Receiver`, for the store tests: a shared token
//! authenticates the delivery, and the id is what the test names (headers `x-provider` and
//! `x-id`), so that a test drives the claim, the handler and the completion of one id exactly
//! as a sender's delivery would, on the store it is testing.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use webhook_receiver::idempotency::IdempotencyStore;
use webhook_receiver::verify::TokenScheme;
use webhook_receiver::{
    Delivery, Error, Headers, MessageId, Provider, Received, Receiver, Secret, Verified,
};

/// The sender of the store tests.
#[derive(Clone, Debug)]
pub struct Chosen(TokenScheme);

impl Chosen {
    pub fn new() -> Self {
        Self(TokenScheme::new("x-token", Secret::new("store-tests").unwrap()).unwrap())
    }
}

fn header<'h, H: Headers + ?Sized>(headers: &'h H, name: &'static str) -> Result<&'h str, Error> {
    headers
        .get(name)
        .and_then(|value| std::str::from_utf8(value).ok())
        .ok_or(Error::MissingHeader {
            header: Cow::Borrowed(name),
        })
}

impl Provider for Chosen {
    type Event = ();

    fn name(&self) -> &'static str {
        "chosen"
    }

    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let verified = self.0.verify(headers, body)?;
        let id = format!(
            "{}\n{}",
            header(headers, "x-provider")?,
            header(headers, "x-id")?
        );
        Ok(verified.with_id(id))
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<()>, Error> {
        let (provider, id) =
            verified
                .id()
                .and_then(|id| id.split_once('\n'))
                .ok_or(Error::MissingHeader {
                    header: Cow::Borrowed("x-id"),
                })?;
        Ok(Delivery::new(MessageId::new(provider, id), (), None))
    }
}

/// One delivery of `id` (body `{}`) through a receiver on `store` with `lease`.
pub async fn process_once<S, F, Fut, T, E>(
    store: &S,
    id: &MessageId,
    lease: Duration,
    handler: F,
) -> Received<T, E>
where
    S: IdempotencyStore + Clone + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    process_once_with_body(store, id, lease, None, handler).await
}

/// [`process_once`] with `body`, on a receiver that compares body digests when there is one.
pub async fn process_once_with_body<S, F, Fut, T, E>(
    store: &S,
    id: &MessageId,
    lease: Duration,
    body: Option<&[u8]>,
    handler: F,
) -> Received<T, E>
where
    S: IdempotencyStore + Clone + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let receiver = Receiver::builder(Chosen::new())
        .store(store.clone())
        .lease(lease)
        .check_digest(body.is_some())
        // The store's own wait, uncapped, so that the tests see what the store answered.
        .retry_after_cap(Duration::MAX)
        .build();
    let headers = [
        ("x-token", "store-tests"),
        ("x-provider", id.provider()),
        ("x-id", id.as_str()),
    ];
    receiver
        .receive(&headers, body.unwrap_or(b"{}"), |_delivery| handler())
        .await
}
