//! Twilio webhooks (Messaging and Voice status callbacks, incoming messages and calls).
//!
//! **What is signed.** `X-Twilio-Signature`: the base64 HMAC-SHA1, under the account's auth
//! token, of the **full URL Twilio called** followed, for a form body
//! (`application/x-www-form-urlencoded`), by every POST parameter's name and value,
//! concatenated, sorted by name (byte order; repeated names by value). For a JSON body Twilio
//! signs the URL alone, after adding `bodySHA256=<hex SHA-256 of the body>` to its query: the
//! provider computes that parameter from the body it received, so a changed body fails the
//! signature. Deliveries whose `X-Twilio-Webhooks-Signature-Settings` names `HMAC_SHA256`
//! (Twilio's newer SharedKey signing) are HMAC-SHA256 under a shared key you add with
//! [`Twilio::shared_key`]; without one they are refused. A body whose first non-blank byte is
//! `{` or `[` is read as JSON, any other as a form: Twilio's parameter names never start so.
//!
//! **The URL.** The provider is built with the public URL Twilio calls ([`Twilio::new`]),
//! exactly as configured in Twilio: behind a proxy the request's `Host` is not that URL, so the
//! scheme, host and port always come from configuration. The path and query come from the
//! request when the framework adapters hand them over ([`REQUEST_TARGET`](crate::REQUEST_TARGET):
//! `integrations::axum` and `integrations::actix` do), so that a query Twilio adds (a
//! callback's own parameters, `bodySHA256` for a JSON body, whose value is then checked
//! against the body) is verified as sent; without them (a `Receiver` called with headers
//! only), the configured URL is used whole, query string included, and `bodySHA256` is
//! computed from the body. A proxy that rewrites the path breaks the first way: call the
//! `Receiver` with the headers only and configure the full public URL. Twilio's SDKs (`twilio` for
//! Python and Node) accept the URL with and without the port; this provider does so for the
//! **default** port of the scheme (`:443` for https, `:80` for http) in either direction. The
//! SDKs also strip any other port (a request on `:8443` passes with a signature over the URL
//! without it); this provider does not: configure `:8443` if Twilio calls `:8443`.
//!
//! **Repeated parameters.** Each name's values are signed as a set, as both SDKs sign them: a
//! parameter repeated with the same value matches a signature over one occurrence. The repeat
//! changes nothing a handler sees (`T` reads the first value of each name); a repeated name
//! with another value is signed, so one Twilio did not sign is refused.
//!
//! **Message id.** `I-Twilio-Idempotency-Token`, which Twilio documents as the same on every
//! retry of one webhook: [`Delivery::id`](crate::Delivery::id) is `MessageId::new("twilio",
//! token)`; without the header, the SHA-256 of the body (`MessageId::digest`), which a retry of
//! the same parameters shares. The token header is not signed; a captured delivery replayed
//! under another token is processed again (key effects on `MessageSid`/`CallSid` and the
//! status). **Event type:** empty: Twilio names none (the body's `MessageStatus`,
//! `CallStatus`, ... say what happened).
//!
//! **Body.** A form is handed to `T` as a JSON object of its parameters (each name's first value,
//! as text): `{"MessageSid": "SM...", "Body": "Hello"}`. A JSON body is handed over as it is.
//!
//! **Window.** None: Twilio signs no timestamp.
//!
//! **Rotation.** Twilio lets you promote a secondary auth token: build the provider from a
//! [`Keyring`] holding both tokens during the change.
//!
//! **What breaks verification.** A proxy that rewrites the URL (scheme, host, path, query
//! order), a query parameter Twilio sends that is missing from the configured URL, a
//! non-default port not configured, and for JSON bodies any change to the body's bytes.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use webhook_receiver::providers::twilio::Twilio;
//! use webhook_receiver::testing::Signer as _;
//! use webhook_receiver::{Provider, Secret};
//!
//! let twilio: Twilio = Twilio::new(
//!     Secret::new("12345678901234567890123456789012").unwrap(),
//!     "https://example.com/twilio/sms",
//! )
//! .unwrap();
//! let request = twilio.sign(b"MessageSid=SM1&MessageStatus=delivered&Body=Hi+there");
//! let delivery = twilio.verify_and_parse(request.headers(), request.body()).unwrap();
//! let params: serde_json::Value = delivery.event.body.parse().unwrap();
//! assert_eq!(params["Body"], "Hi there");
//! assert_eq!(delivery.event.kind, "");
//! # }
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use sha2::Digest as _;

use super::preset::preset;
use super::read::{self, optional_header};
use super::square::check_url;
use super::{Event, RawJson};
use crate::headers::text;
use crate::verify::{HmacScheme, MacAlgorithm, SignatureEncoding};
use crate::{ConfigError, Delivery, Error, Headers, Keyring, MessageId, Provider, Verified};

/// The namespace of Twilio message ids.
pub const NAME: &str = "twilio";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// The header naming the SharedKey algorithm.
pub const SETTINGS_HEADER: &str = "x-twilio-webhooks-signature-settings";
/// The retry-stable id of one webhook.
pub const IDEMPOTENCY_HEADER: &str = "i-twilio-idempotency-token";

preset! {
    /// Receives Twilio webhooks, parsing the body into `T` (default [`RawJson`]). Build once at
    /// start-up; clone freely.
    pub struct Twilio(HmacScheme, Urls) [scheme];
}

/// What Twilio signs with besides the auth-token scheme: the URL it calls (as configured, and
/// with the scheme's default port toggled), and the SharedKey scheme where configured.
#[derive(Clone, Debug)]
struct Urls {
    shared: Option<HmacScheme>,
    url: Box<str>,
    /// The same URL with the scheme's default port toggled, where it has none or that one.
    other_port: Option<Box<str>>,
}

/// `url`'s scheme and authority (`https://host[:port]`), without path, query or fragment.
fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

/// The value of the query parameter `bodySHA256` of `url`, if it has one.
fn body_sha256_param(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("bodySHA256="))
}

/// `url` with its scheme's default port removed if present, added if absent; `None` when it
/// names another port.
fn toggle_default_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let port = match scheme.to_ascii_lowercase().as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(bare) = authority.strip_suffix(port) {
        return Some(format!("{scheme}://{bare}{tail}"));
    }
    // A port other than the default (not a `]` of an IPv6 literal before the colon).
    if host
        .rfind(':')
        .is_some_and(|i| host.rfind(']').is_none_or(|j| i > j))
    {
        return None;
    }
    Some(format!("{scheme}://{authority}{port}{tail}"))
}

impl<T> Twilio<T> {
    /// A receiver for the account's auth token(s) (primary and secondary during a change) and
    /// the public URL Twilio calls, exactly as configured in Twilio.
    ///
    /// # Errors
    /// [`ConfigError`] when `url` does not start with `https://` or `http://`, or holds white
    /// space.
    pub fn new(auth_tokens: impl Into<Keyring>, url: &str) -> Result<Self, ConfigError> {
        let url = check_url(url)?;
        let scheme = HmacScheme::in_body(auth_tokens)
            .algorithm(MacAlgorithm::Sha1)
            .encoding(SignatureEncoding::Base64);
        let urls = Urls {
            shared: None,
            other_port: toggle_default_port(&url).map(String::into_boxed_str),
            url,
        };
        Ok(Self::with_state(scheme, None, urls))
    }

    /// Also accepts SharedKey deliveries (`X-Twilio-Webhooks-Signature-Settings:
    /// ...algorithm=HMAC_SHA256`): HMAC-SHA256 of the same content under `keys`.
    #[must_use]
    pub fn shared_key(mut self, keys: impl Into<Keyring>) -> Self {
        Arc::make_mut(&mut self.inner).extra.shared =
            Some(HmacScheme::in_body(keys).encoding(SignatureEncoding::Base64));
        self
    }

    /// The URL Twilio calls, as configured.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.inner.extra.url
    }

    /// The SharedKey scheme, if configured.
    #[must_use]
    pub fn shared_scheme(&self) -> Option<&HmacScheme> {
        self.inner.extra.shared.as_ref()
    }
}

/// Whether `body` is read as JSON (first non-blank byte `{` or `[`) rather than as a form.
pub(crate) fn is_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// The lower-case hex SHA-256 of `body`, on the stack (`hex::encode` builds its `String` a
/// character at a time: it cost a JSON delivery's verification about 0.25x of its floor).
fn body_sha256_hex(body: &[u8]) -> [u8; 64] {
    let mut digest = [0u8; 64];
    // 32 bytes are 64 hex digits: this cannot fail.
    hex::encode_to_slice(sha2::Sha256::digest(body), &mut digest).unwrap_or_default();
    digest
}

/// What Twilio signs after the URL for `body`, as parts to concatenate: for JSON, the
/// `bodySHA256` query parameter; for a form, the sorted names and values. `url` is the URL
/// the parts follow (it decides `?` or `&`).
pub(crate) fn signed_parts<'b>(url: &str, body: &'b [u8]) -> Vec<Cow<'b, [u8]>> {
    if is_json(body) {
        if body_sha256_param(url).is_some() {
            // The URL as called carries it already (its value is checked against the body).
            return Vec::new();
        }
        let sep: &[u8] = if url.contains('?') { b"&" } else { b"?" };
        let digest = body_sha256_hex(body);
        return vec![Cow::Owned([sep, b"bodySHA256=", &digest].concat())];
    }
    let mut params = super::form::params(body);
    params.sort();
    // A parameter repeated with the same value is signed once, as Twilio's SDKs sign each
    // name's values as a set.
    params.dedup();
    let bytes = |text: Cow<'b, str>| match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    };
    params
        .into_iter()
        .flat_map(|(name, value)| [bytes(name), bytes(value)])
        .collect()
}

/// The JSON object `T` reads for a form's parameters: each name's first value, as text, the
/// names in byte order (as a `serde_json::Map` orders them), written straight from the
/// parameters rather than through a `Map` of owned strings.
fn form_object(mut params: Vec<super::form::Param<'_>>) -> Vec<u8> {
    // A stable sort: a repeated name's first value stays first, and `dedup_by` keeps it.
    params.sort_by(|a, b| a.0.cmp(&b.0));
    params.dedup_by(|later, earlier| later.0 == earlier.0);
    let size: usize = params.iter().map(|(n, v)| n.len() + v.len() + 6).sum();
    let mut text = Vec::with_capacity(size + 2);
    text.push(b'{');
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        write_json_string(&mut text, name);
        text.push(b':');
        write_json_string(&mut text, value);
    }
    text.push(b'}');
    text
}

/// `text` as a JSON string, escaped as `serde_json` escapes it.
fn write_json_string(out: &mut Vec<u8>, text: &str) {
    // Writing a `&str` into a `Vec` cannot fail.
    serde_json::to_writer(&mut *out, text).unwrap_or_default();
}

impl<T: DeserializeOwned + Send + Sync + 'static> Provider for Twilio<T> {
    type Event = Event<T>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn body_limit(&self) -> usize {
        self.inner.settings.body_limit
    }

    fn verify<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<Verified<'a>, Error> {
        let signature = read::signature(&[(SIGNATURE_HEADER, headers.get(SIGNATURE_HEADER))])?;
        let shared_key = headers
            .get(SETTINGS_HEADER)
            .and_then(text)
            .is_some_and(|settings| {
                settings
                    .split(',')
                    .any(|setting| setting.trim().eq_ignore_ascii_case("algorithm=HMAC_SHA256"))
            });
        let scheme = if shared_key {
            self.inner
                .extra
                .shared
                .as_ref()
                .ok_or(Error::InvalidSignature)?
        } else {
            &self.inner.scheme
        };
        // The URL Twilio called: the configured one's scheme and host with the request's path
        // and query where the framework adapters hand them over (`REQUEST_TARGET`), else the
        // configured URL whole.
        let called = headers
            .get(crate::REQUEST_TARGET)
            .and_then(text)
            .filter(|target| target.starts_with('/'))
            .map(|target| format!("{}{target}", origin(&self.inner.extra.url)));
        let (url, other_port): (&str, Option<Cow<'_, str>>) = match &called {
            Some(url) => (url, toggle_default_port(url).map(Cow::Owned)),
            None => (
                &self.inner.extra.url,
                self.inner.extra.other_port.as_deref().map(Cow::Borrowed),
            ),
        };
        if let Some(claimed) = body_sha256_param(url).filter(|_| is_json(body))
            && !claimed
                .as_bytes()
                .eq_ignore_ascii_case(&body_sha256_hex(body))
        {
            return Err(Error::InvalidSignature);
        }
        let after_url = signed_parts(url, body);
        let mut parts: Vec<&[u8]> = Vec::with_capacity(after_url.len() + 1);
        let mut result = Err(Error::InvalidSignature);
        for url in std::iter::once(url).chain(other_port.as_deref()) {
            parts.clear();
            parts.push(url.as_bytes());
            parts.extend(after_url.iter().map(|part| part.as_ref()));
            result = scheme.verify_parts(&parts, b"", signature).map(drop);
            if !matches!(result, Err(Error::InvalidSignature)) {
                break;
            }
        }
        result?;
        let verified = Verified::new(body);
        Ok(match optional_header(headers, &[IDEMPOTENCY_HEADER])? {
            Some(token) => verified.with_id(token),
            None => verified,
        })
    }

    fn parse(&self, verified: Verified<'_>) -> Result<Delivery<Event<T>>, Error> {
        let body: T = if is_json(verified.payload()) {
            verified.json()?
        } else {
            let params = super::form::checked(verified.payload())
                .map_err(|message| Error::MalformedPayload(crate::JsonError::custom(message)))?;
            crate::json::parse_json(&form_object(params))?
        };
        let id = match verified.id() {
            Some(token) => MessageId::new(NAME, token),
            None => MessageId::digest(NAME, verified.payload()),
        };
        Ok(Delivery::new(id, Event::new("", body), None))
    }

    /// The body, with the idempotency token where sent; nothing is checked.
    fn extract_unverified<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        body: &'a [u8],
    ) -> Result<crate::dangerous::Unverified<'a>, Error> {
        let extracted = crate::dangerous::Unverified::new(body);
        Ok(match optional_header(headers, &[IDEMPOTENCY_HEADER])? {
            Some(token) => extracted.with_id(token),
            None => extracted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{form_object, toggle_default_port};

    /// The `bodySHA256` of the URL called is the body's: another body's digest, signed with
    /// the URL, is refused.
    #[cfg(feature = "testing")]
    #[test]
    fn the_body_sha256_called_is_checked_against_the_body() {
        use crate::testing::Signer as _;
        use crate::{Error, Provider as _, Secret};
        let body = br#"{"sid":"SM1"}"#;
        let receiver: super::Twilio = super::Twilio::new(
            Secret::new("12345678901234567890123456789012").unwrap(),
            "https://example.com/t",
        )
        .unwrap();
        let called = |digest_of: &[u8]| {
            let hex = String::from_utf8(super::body_sha256_hex(digest_of).to_vec()).unwrap();
            format!("/t?bodySHA256={hex}")
        };
        let verify = |target: String| {
            let sender: super::Twilio = super::Twilio::new(
                Secret::new("12345678901234567890123456789012").unwrap(),
                &format!("https://example.com{target}"),
            )
            .unwrap();
            let request = sender.sign(body);
            let mut headers = request.headers().to_vec();
            headers.push((crate::REQUEST_TARGET.to_owned(), target));
            receiver.verify(&headers, body).map(drop)
        };
        assert!(verify(called(body)).is_ok());
        assert!(matches!(
            verify(called(b"{}")),
            Err(Error::InvalidSignature)
        ));
    }

    #[test]
    fn a_form_is_the_object_a_map_of_its_first_values_makes() {
        let body: &[u8] = b"b=2&a=%22q%22+%5C&b=3&c&%E2%82%AC=%0A&A=x";
        let mut object = serde_json::Map::new();
        for (name, value) in crate::providers::form::params(body) {
            object
                .entry(name)
                .or_insert_with(|| value.into_owned().into());
        }
        let by_map = serde_json::Value::Object(object).to_string();
        let written = form_object(crate::providers::form::params(body));
        assert_eq!(String::from_utf8(written).unwrap(), by_map);
        assert_eq!(form_object(Vec::new()), b"{}");
    }

    #[test]
    fn the_default_port_is_toggled_and_no_other() {
        let toggle = |url| toggle_default_port(url);
        assert_eq!(
            toggle("https://a.test/x?q=1").as_deref(),
            Some("https://a.test:443/x?q=1")
        );
        assert_eq!(
            toggle("https://a.test:443/x").as_deref(),
            Some("https://a.test/x")
        );
        assert_eq!(toggle("http://a.test").as_deref(), Some("http://a.test:80"));
        assert_eq!(
            toggle("http://a.test:80/").as_deref(),
            Some("http://a.test/")
        );
        assert_eq!(toggle("https://a.test:8443/x"), None);
        assert_eq!(
            toggle("https://[::1]/x").as_deref(),
            Some("https://[::1]:443/x")
        );
        assert_eq!(toggle("https://[::1]:8443/x"), None);
    }
}
