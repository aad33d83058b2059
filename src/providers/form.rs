//! `application/x-www-form-urlencoded` bodies (Twilio, Slack's slash commands and
//! interactivity), read once for every sender with `form_urlencoded`, the reader the `url`
//! crate (and so most of the Rust HTTP stack) uses.
//!
//! `+` is a space, `%XX` a byte; repeated names are all kept, in the body's order; empty pairs
//! are skipped. [`params`] is lenient as the senders' SDKs are when they compute what was
//! signed (an escape that is not two hex digits stays as written, bytes that are not UTF-8
//! become U+FFFD); [`checked`] refuses both, for reading a verified body into the user's type
//! (a clear 422, never a panic).

use std::borrow::Cow;

/// A parameter's decoded name and value.
pub(crate) type Param<'b> = (Cow<'b, str>, Cow<'b, str>);

/// The body's parameters, decoded, in the body's order; a malformed escape stays as written.
pub(crate) fn params(body: &[u8]) -> Vec<Param<'_>> {
    form_urlencoded::parse(body).collect()
}

/// [`params`], refusing an escape that is not `%` and two hex digits, and a name or value
/// that does not decode to UTF-8.
pub(crate) fn checked(body: &[u8]) -> Result<Vec<Param<'_>>, &'static str> {
    // `&`, `=` and `+` are neither hex digits nor part of a multi-byte UTF-8 sequence, so
    // checking the whole body checks every name and value in it.
    let mut escapes = body.split(|b| *b == b'%').skip(1);
    let escapes_ok = escapes.all(|after| {
        after
            .get(..2)
            .is_some_and(|two| two.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_ok {
        return Err("form body: bad percent-encoding");
    }
    // The pairs as `form_urlencoded` splits them, each name and value decoded once and
    // checked to be UTF-8 (the separators are ASCII, so this is the whole body's check).
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |b| *b == b'=');
            let name = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            Ok((decode_strict(name)?, decode_strict(value)?))
        })
        .collect()
}

/// A name or value with `+` as a space and `%XX` as a byte, refused unless UTF-8.
fn decode_strict(raw: &[u8]) -> Result<Cow<'_, str>, &'static str> {
    const NOT_UTF8: &str = "form body: not UTF-8";
    if !raw.contains(&b'+') {
        return percent_encoding::percent_decode(raw)
            .decode_utf8()
            .map_err(|_| NOT_UTF8);
    }
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let decoded = match Cow::from(percent_encoding::percent_decode(&spaced)) {
        Cow::Owned(bytes) => bytes,
        // Nothing to decode: the spaced copy is the value.
        Cow::Borrowed(_) => spaced,
    };
    String::from_utf8(decoded)
        .map(Cow::Owned)
        .map_err(|_| NOT_UTF8)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{checked, params};

    #[test]
    fn decodes_as_the_senders_encode() {
        let got = params(b"a=1&b=x+y%21&&c&a=2&bad=%G1%&e=%E2%82%AC");
        let got: Vec<(&str, &str)> = got.iter().map(|(n, v)| (&n[..], &v[..])).collect();
        assert_eq!(
            got,
            [
                ("a", "1"),
                ("b", "x y!"),
                ("c", ""),
                ("a", "2"),
                ("bad", "%G1%"),
                ("e", "\u{20ac}"),
            ]
        );
    }

    #[test]
    fn checked_refuses_a_bad_escape_or_text_that_is_not_utf8() {
        assert!(checked(b"a=%2").is_err());
        assert!(checked(b"a=%G1").is_err());
        assert!(checked(b"a%=1").is_err());
        assert_eq!(checked(b"a=%E2%82").err(), Some("form body: not UTF-8"));
        assert_eq!(
            checked(b"a=%E2&b=%82%AC").err(),
            Some("form body: not UTF-8")
        );
        assert_eq!(checked(b"a=%21+b&e=%E2%82%AC").unwrap().len(), 2);
    }

    proptest! {
        /// Bodies of separators, escapes and multi-byte text: `checked` accepts exactly the
        /// bodies whose escapes are well formed and whose decoded bytes are UTF-8, and then
        /// reads what `params` reads.
        #[test]
        fn checked_is_params_on_well_formed_utf8(
            body in proptest::collection::vec(
                proptest::sample::select(b"a=&+%2E8FgC3A9\xC3\xA9\xE2".to_vec()), 0..48)
        ) {
            let escapes_ok = body.split(|b| *b == b'%').skip(1).all(|after| {
                after.get(..2).is_some_and(|two| two.iter().all(u8::is_ascii_hexdigit))
            });
            let utf8 = percent_encoding::percent_decode(&body).decode_utf8().is_ok();
            match checked(&body) {
                Ok(read) => {
                    prop_assert!(escapes_ok && utf8);
                    prop_assert_eq!(read, params(&body));
                }
                Err(_) => prop_assert!(!(escapes_ok && utf8)),
            }
        }

        /// Any bytes: no panic, and every pair of the body is a parameter.
        #[test]
        fn any_body_reads_without_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let read = params(&body);
            let pairs = body.split(|b| *b == b'&').filter(|pair| !pair.is_empty()).count();
            prop_assert_eq!(read.len(), pairs);
            if let Ok(checked) = checked(&body) {
                prop_assert_eq!(checked, read);
            }
        }
    }
}
