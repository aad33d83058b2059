//! The one rejection type of both frameworks' extractors.

use std::error::Error as StdError;
use std::fmt;

use crate::{Error, WebhookResponse};

/// Why an extractor refused a request, answered with its [`WebhookResponse`] (status,
/// `Retry-After` where set, and a short body that names the condition only). The same type
/// under axum (`IntoResponse`) and actix-web (`ResponseError`).
///
/// Mostly an [`Error`] of the delivery. The one other case is a server mistake: the provider
/// or receiver is missing from actix-web's app data, answered 500 (the sender retries once you
/// fix the wiring) and described by `Display` for your logs.
///
/// ```
/// use webhook_receiver::Error;
/// use webhook_receiver::integrations::WebhookRejection;
///
/// let rejection = WebhookRejection::from(Error::InvalidSignature);
/// assert_eq!(rejection.status(), 401);
/// assert_eq!(rejection.body_text(), "unauthorized");
/// assert!(rejection.error().is_some_and(Error::is_authentication));
/// ```
#[derive(Debug)]
pub struct WebhookRejection {
    reason: Reason,
}

#[derive(Debug)]
enum Reason {
    Delivery(Error),
    #[cfg_attr(not(feature = "actix-web"), allow(dead_code))]
    NotConfigured {
        missing: &'static str,
    },
}

impl WebhookRejection {
    /// The wiring lacks `T` (a provider or receiver the extractor looks up).
    #[cfg_attr(not(feature = "actix-web"), allow(dead_code))]
    pub(crate) fn not_configured<T>() -> Self {
        #[cfg(feature = "tracing")]
        tracing::error!(
            target: "webhook_receiver",
            missing = std::any::type_name::<T>(),
            "the extractor's state is not registered with the app: answered 500"
        );
        Self {
            reason: Reason::NotConfigured {
                missing: std::any::type_name::<T>(),
            },
        }
    }

    /// What the response is made of.
    #[must_use]
    pub fn response(&self) -> WebhookResponse {
        match &self.reason {
            Reason::Delivery(error) => WebhookResponse::from_error(error),
            Reason::NotConfigured { .. } => WebhookResponse::new(500, "internal server error"),
        }
    }

    /// The response status.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.response().status()
    }

    /// The response body: a short text naming the condition.
    #[must_use]
    pub fn body_text(&self) -> &'static str {
        self.response().body()
    }

    /// Why the delivery was refused, for logs; `None` when the server is misconfigured (see
    /// `Display`).
    #[must_use]
    pub fn error(&self) -> Option<&Error> {
        match &self.reason {
            Reason::Delivery(error) => Some(error),
            Reason::NotConfigured { .. } => None,
        }
    }

    /// The underlying error; `None` when the server is misconfigured.
    #[must_use]
    pub fn into_error(self) -> Option<Error> {
        match self.reason {
            Reason::Delivery(error) => Some(error),
            Reason::NotConfigured { .. } => None,
        }
    }
}

impl From<Error> for WebhookRejection {
    fn from(error: Error) -> Self {
        Self {
            reason: Reason::Delivery(error),
        }
    }
}

/// The error's own message, for logs (the response carries only
/// [`body_text`](WebhookRejection::body_text)).
impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Delivery(error) => fmt::Display::fmt(error, f),
            Reason::NotConfigured { missing } => write!(
                f,
                "no `{missing}` in the app data: register it with `App::app_data` \
                 (wrapped in `web::Data` or not)"
            ),
        }
    }
}

/// The delivery's [`Error`] is the source.
impl StdError for WebhookRejection {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.reason {
            Reason::Delivery(error) => Some(error),
            Reason::NotConfigured { .. } => None,
        }
    }
}
