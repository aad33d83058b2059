//! The one framework-agnostic header lookup.

use std::collections::{BTreeMap, HashMap};

/// Read access to a request's headers, whatever framework received it.
///
/// Lookups are case-insensitive: senders and proxies change the case of header names. Where a
/// header occurs more than once, the first value counts. Values are bytes because a header
/// need not be UTF-8; schemes check what they read.
///
/// Implemented for `http::HeaderMap` (feature `http`), slices, arrays and `Vec`s of
/// `(name, value)` pairs, and `HashMap`/`BTreeMap` from names to values.
///
/// ```
/// use webhook_receiver::Headers;
/// let headers = [("Webhook-Id", "msg_1"), ("content-type", "application/json")];
/// assert_eq!(headers.get("webhook-id"), Some(&b"msg_1"[..]));
/// assert_eq!(headers.get("x-missing"), None);
/// ```
pub trait Headers {
    /// The first value of the header `name`, compared without regard to ASCII case.
    fn get(&self, name: &str) -> Option<&[u8]>;
}

impl<H: Headers + ?Sized> Headers for &H {
    fn get(&self, name: &str) -> Option<&[u8]> {
        (**self).get(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for [(K, V)] {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> Headers for [(K, V); N] {
    fn get(&self, name: &str) -> Option<&[u8]> {
        Headers::get(self.as_slice(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(K, V)> {
    fn get(&self, name: &str) -> Option<&[u8]> {
        Headers::get(self.as_slice(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, S> Headers for HashMap<K, V, S> {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for BTreeMap<K, V> {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
impl Headers for http::HeaderMap {
    fn get(&self, name: &str) -> Option<&[u8]> {
        // `HeaderMap::get` with a `&str` normalises the name's case itself.
        http::HeaderMap::get(self, name).map(http::HeaderValue::as_bytes)
    }
}

/// The header's value as trimmed UTF-8 text, or `None` when it is not UTF-8.
pub(crate) fn text(value: &[u8]) -> Option<&str> {
    std::str::from_utf8(value).ok().map(str::trim)
}
