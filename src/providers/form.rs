//! `application/x-www-form-urlencoded` bodies (Twilio, Slack's slash commands and
//! interactivity), read once for every sender.
//!
//! Written here rather than taken from a crate: the well-kept readers (`form_urlencoded`) would
//! add two crates to the default build, which the quickstart's budget of 60 does not have room
//! for, and the reader is small. `+` is a space, `%XX` a byte; repeated names are all kept, in
//! the body's order. [`params`] is lenient as the senders' SDKs are when they compute what was
//! signed (an escape that is not two hex digits stays as written); [`checked`] refuses such an
//! escape, for reading a verified body into the user's type (a clear 422, never a panic).

use std::borrow::Cow;

/// A parameter's decoded name and value, as bytes.
pub(crate) type Param<'b> = (Cow<'b, [u8]>, Cow<'b, [u8]>);

/// The body's parameters, decoded, in the body's order (empty pairs skipped); a malformed
/// escape stays as written.
pub(crate) fn params(body: &[u8]) -> Vec<Param<'_>> {
    pairs(body)
        .map(|(name, value)| (decode(name), decode(value)))
        .collect()
}

/// [`params`], refusing an escape that is not `%` and two hex digits.
pub(crate) fn checked(body: &[u8]) -> Result<Vec<Param<'_>>, &'static str> {
    let check = |text: &[u8]| {
        let mut escapes = text.split(|b| *b == b'%').skip(1);
        match escapes.all(|after| {
            after
                .get(..2)
                .is_some_and(|two| two.iter().all(u8::is_ascii_hexdigit))
        }) {
            true => Ok(()),
            false => Err("form body: bad percent-encoding"),
        }
    };
    pairs(body)
        .map(|(name, value)| {
            check(name)?;
            check(value)?;
            Ok((decode(name), decode(value)))
        })
        .collect()
}

fn pairs(body: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            let name = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            (name, value)
        })
}

fn decode(text: &[u8]) -> Cow<'_, [u8]> {
    if !text.iter().any(|b| matches!(b, b'+' | b'%')) {
        return Cow::Borrowed(text);
    }
    let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let pair = (
                    text.get(i + 1).copied().and_then(hex),
                    text.get(i + 2).copied().and_then(hex),
                );
                if let (Some(high), Some(low)) = pair {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                out.push(b);
            }
            _ => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{checked, params};

    #[test]
    fn decodes_as_the_senders_encode() {
        let got = params(b"a=1&b=x+y%21&&c&a=2&bad=%G1%");
        let got: Vec<(&[u8], &[u8])> = got.iter().map(|(n, v)| (&n[..], &v[..])).collect();
        assert_eq!(
            got,
            [
                (&b"a"[..], &b"1"[..]),
                (b"b", b"x y!"),
                (b"c", b""),
                (b"a", b"2"),
                (b"bad", b"%G1%"),
            ]
        );
    }

    #[test]
    fn checked_refuses_a_bad_escape() {
        assert!(checked(b"a=%2").is_err());
        assert!(checked(b"a=%G1").is_err());
        assert!(checked(b"a%=1").is_err());
        assert_eq!(checked(b"a=%21+b").unwrap().len(), 1);
    }

    proptest! {
        /// Any bytes: no panic, and every pair of the body is a parameter.
        #[test]
        fn any_body_reads_without_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let read = params(&body);
            let pairs = body.split(|b| *b == b'&').filter(|pair| !pair.is_empty()).count();
            prop_assert_eq!(read.len(), pairs);
        }
    }
}
