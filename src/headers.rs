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

    /// Several lookups at once: sets `out[i]` to the first value of the header `names[i]`
    /// (or `None`), compared without regard to ASCII case. Slots of `out` beyond
    /// `names.len()` are left as they are.
    ///
    /// The default calls [`get`](Self::get) for each name. Implementations where one pass over
    /// the headers is cheaper than several lookups override it: `http::HeaderMap` hashes and
    /// normalises the name on every `get`, while a request carries only a handful of headers.
    ///
    /// ```
    /// use webhook_receiver::Headers;
    /// let headers = [("Webhook-Id", "msg_1"), ("webhook-timestamp", "1700000000")];
    /// let mut out = [None; 3];
    /// headers.get_each(&["webhook-id", "webhook-timestamp", "webhook-signature"], &mut out);
    /// assert_eq!(out, [Some(&b"msg_1"[..]), Some(&b"1700000000"[..]), None]);
    /// ```
    fn get_each<'h>(&'h self, names: &[&str], out: &mut [Option<&'h [u8]>]) {
        for (name, slot) in names.iter().zip(out.iter_mut()) {
            *slot = self.get(name);
        }
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn get(&self, name: &str) -> Option<&[u8]> {
        (**self).get(name)
    }

    fn get_each<'h>(&'h self, names: &[&str], out: &mut [Option<&'h [u8]>]) {
        (**self).get_each(names, out);
    }
}

/// [`Headers::get_each`] in one pass over `(name, value)` pairs in request order: the first
/// value of each wanted name wins, and the pass stops once every name is found.
pub(crate) fn get_each_in_one_pass<'h>(
    pairs: impl Iterator<Item = (&'h str, &'h [u8])>,
    names: &[&str],
    out: &mut [Option<&'h [u8]>],
) {
    let n = names.len().min(out.len());
    let (Some(names), Some(out)) = (names.get(..n), out.get_mut(..n)) else {
        return;
    };
    out.fill(None);
    let mut missing = n;
    for (name, value) in pairs {
        // Lengths first: most headers differ from every wanted name in length alone.
        for (wanted, slot) in names.iter().zip(out.iter_mut()) {
            if name.len() == wanted.len() && slot.is_none() && name.eq_ignore_ascii_case(wanted) {
                *slot = Some(value);
                missing -= 1;
            }
        }
        if missing == 0 {
            return;
        }
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for [(K, V)] {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    fn get_each<'h>(&'h self, names: &[&str], out: &mut [Option<&'h [u8]>]) {
        get_each_in_one_pass(
            self.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
            names,
            out,
        );
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> Headers for [(K, V); N] {
    fn get(&self, name: &str) -> Option<&[u8]> {
        Headers::get(self.as_slice(), name)
    }

    fn get_each<'h>(&'h self, names: &[&str], out: &mut [Option<&'h [u8]>]) {
        Headers::get_each(self.as_slice(), names, out);
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(K, V)> {
    fn get(&self, name: &str) -> Option<&[u8]> {
        Headers::get(self.as_slice(), name)
    }

    fn get_each<'h>(&'h self, names: &[&str], out: &mut [Option<&'h [u8]>]) {
        Headers::get_each(self.as_slice(), names, out);
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

    /// One pass over the headers when there are few (a webhook delivery carries about ten;
    /// one pass beats three lookups there, see the `headers` group of
    /// `benchmarks/benches/verify.rs` and `docs/performance.md`); hashed lookups beyond `ONE_PASS_MAX` (24) values, so a request with many
    /// headers costs no more than `get`s.
    fn get_each<'h>(&'h self, names: &[&str], out: &mut [Option<&'h [u8]>]) {
        if self.len() > ONE_PASS_MAX {
            for (name, slot) in names.iter().zip(out.iter_mut()) {
                *slot = Headers::get(self, name);
            }
            return;
        }
        get_each_in_one_pass(
            self.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
            names,
            out,
        );
    }
}

/// Up to this many header values, [`Headers::get_each`] on an `http::HeaderMap` walks them
/// once instead of hashing each name.
#[cfg(feature = "http")]
const ONE_PASS_MAX: usize = 24;

/// The header's value as trimmed UTF-8 text, or `None` when it is not UTF-8.
pub(crate) fn text(value: &[u8]) -> Option<&str> {
    std::str::from_utf8(value).ok().map(str::trim)
}

/// The name under which the framework adapters answer the request's target (its path and
/// query, as received) through [`Headers`]: the HTTP/2 pseudo-header `:path`, a name no
/// HTTP/1.1 header can have (`:` is not a token character, and `http::HeaderMap` refuses it),
/// so no sender can set it. Providers whose sender signs the URL it called (Twilio) read it;
/// behind a proxy that rewrites the path, it is the rewritten one.
pub const REQUEST_TARGET: &str = ":path";

/// A request's headers with its target (path and query) answered as [`REQUEST_TARGET`].
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) struct WithTarget<'h, H: ?Sized> {
    pub(crate) headers: &'h H,
    pub(crate) target: &'h str,
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
impl<H: Headers + ?Sized> Headers for WithTarget<'_, H> {
    fn get(&self, name: &str) -> Option<&[u8]> {
        if name == REQUEST_TARGET {
            return Some(self.target.as_bytes());
        }
        self.headers.get(name)
    }

    fn get_each<'s>(&'s self, names: &[&str], out: &mut [Option<&'s [u8]>]) {
        self.headers.get_each(names, out);
        for (name, slot) in names.iter().zip(out.iter_mut()) {
            if *name == REQUEST_TARGET {
                *slot = Some(self.target.as_bytes());
            }
        }
    }
}
