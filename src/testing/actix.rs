//! actix-web test requests from signed fixtures (features `testing` and `actix-web`):
//! [`SignedRequest::to_actix_request`].
//!
//! ```
//! use actix_web::{App, HttpResponse, test, web};
//! use webhook_receiver::integrations::VerifiedWebhook;
//! use webhook_receiver::providers::receeve::Receeve;
//! use webhook_receiver::{Secret, testing};
//!
//! async fn receeve_webhook(webhook: VerifiedWebhook<Receeve>) -> HttpResponse {
//!     HttpResponse::Ok().body(webhook.0.id.to_string())
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let receeve = Receeve::hmac(Secret::new("shared-key").unwrap());
//! let signed = testing::receeve::claim_created().signed_with(&receeve);
//! let app = test::init_service(
//!     App::new()
//!         .app_data(web::Data::new(receeve))
//!         .route("/webhooks/receeve", web::post().to(receeve_webhook)),
//! )
//! .await;
//!
//! let request = signed.to_actix_request().uri("/webhooks/receeve").to_request();
//! let body = test::call_and_read_body(&app, request).await;
//! assert_eq!(body, "receeve:09feeb6f-350a-430a-a040-cd1c558cbc91");
//!
//! // A forged signature is refused before the handler runs.
//! let forged = signed.with_body(r#"{"payloadAsString":"{}","signature":"00"}"#);
//! let response = test::call_service(&app, forged.to_actix_request().uri("/webhooks/receeve").to_request()).await;
//! assert_eq!(response.status(), 401);
//! # });
//! ```

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::test::TestRequest;

use super::SignedRequest;

impl SignedRequest {
    /// The request as an actix-web `TestRequest`: `POST /` with these headers (in order,
    /// repeated names kept) and this body, with a `Content-Length` that matches it. Set the
    /// path with `.uri(...)`, then `.to_request()` for `actix_web::test::call_service`.
    ///
    /// A header whose name or value cannot be sent over HTTP is left out, as a client would
    /// refuse to send it.
    #[cfg_attr(docsrs, doc(cfg(feature = "actix-web")))]
    #[must_use]
    pub fn to_actix_request(&self) -> TestRequest {
        let mut request = TestRequest::post();
        for (name, value) in self.headers() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                request = request.append_header((name, value));
            }
        }
        request.set_payload(self.body().to_vec())
    }
}
