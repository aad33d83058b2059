//! How provider JSON is read: [`parse_json`] (every provider's entry point, which classifies
//! failures as 400 or 422), the enums of documented wire strings that keep unknown values
//! (`wire_enum!`), and the field readers for payloads looser than their documentation.

pub(crate) mod lenient;
pub(crate) mod object;
mod raw;
pub(crate) mod same;
mod wire_enum;

pub use raw::RawJson;

pub(crate) use wire_enum::wire_enum;

use crate::Error;

/// Parses verified JSON bytes into `T`, classifying failures as
/// [`Error::MalformedPayload`] (400) or [`Error::UnexpectedPayload`] (422).
///
/// # Errors
/// As above. `serde_json`'s nesting limit (128 levels) turns deeply nested input into
/// [`Error::MalformedPayload`] rather than a stack overflow.
pub(crate) fn parse_json<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(Error::from_json)
}

/// [`parse_json`] for a document the provider documents as an object: anything else that is
/// valid JSON (an array, a string, a number) is [`Error::UnexpectedPayload`] (422), even where
/// serde would read a struct from an array's elements in order; invalid JSON stays
/// [`Error::MalformedPayload`] (400). The check is one look at the first byte.
pub(crate) fn parse_json_object<'de, T: serde::Deserialize<'de>>(
    bytes: &'de [u8],
) -> Result<T, Error> {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first == Some(&b'{') {
        return parse_json(bytes);
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(Error::from_json)?;
    Err(Error::UnexpectedPayload(crate::error::JsonError::custom(
        "expected a JSON object",
    )))
}

/// The text of a JSON string token as serde_json wrote it in a `RawValue` (quotes included,
/// its escapes already checked by the parser): borrowed when it has no escape, otherwise
/// unescaped into a buffer of the token's size, one allocation where serde_json's own
/// reading grows a scratch buffer and then copies it out. `None` for what it does not read
/// (not a string, a lone surrogate): the caller lets serde_json read or refuse it.
pub(crate) fn string_text(token: &str) -> Option<std::borrow::Cow<'_, str>> {
    let inner = token.strip_prefix('"')?.strip_suffix('"')?;
    let next_escape = |text: &str| next_backslash(text.as_bytes());
    let Some(first) = next_escape(inner) else {
        return Some(std::borrow::Cow::Borrowed(inner));
    };
    let mut text = String::with_capacity(inner.len());
    let (plain, mut rest) = inner.split_at(first);
    text.push_str(plain);
    while let Some(escape) = rest.strip_prefix('\\') {
        let (c, after) = unescape_one(escape)?;
        text.push(c);
        let (plain, next) = after.split_at(next_escape(after).unwrap_or(after.len()));
        text.push_str(plain);
        rest = next;
    }
    Some(std::borrow::Cow::Owned(text))
}

/// Where the first `\` of `bytes` is. Escapes come every few characters in a JSON text written
/// as a string (each `\"`), too often for a call to a vectorised search to pay: eight bytes
/// are looked at a time in a word instead.
fn next_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // A zero byte where a backslash was; the lowest flagged byte is always a true one.
        let x = u64::from_le_bytes(word) ^ BACKSLASHES;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    tail.iter().position(|&b| b == b'\\').map(|i| at + i)
}

/// The character of one escape (`escape` follows its backslash) and what comes after it.
fn unescape_one(escape: &str) -> Option<(char, &str)> {
    let after = escape.get(1..)?;
    let c = match *escape.as_bytes().first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let (high, after) = hex4(after)?;
            return match high {
                0xD800..=0xDBFF => {
                    let (low, after) = hex4(after.strip_prefix("\\u")?)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return None;
                    }
                    let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?;
                    Some((c, after))
                }
                _ => Some((char::from_u32(high)?, after)),
            };
        }
        _ => return None,
    };
    Some((c, after))
}

/// Four hex digits and what follows them.
fn hex4(text: &str) -> Option<(u32, &str)> {
    let (digits, after) = (text.get(..4)?, text.get(4..)?);
    let mut value = 0;
    for digit in digits.bytes() {
        value = value * 16 + char::from(digit).to_digit(16)?;
    }
    Some((value, after))
}

#[cfg(test)]
mod tests {
    use super::string_text;

    /// What serde_json reads from the same token, `None` where it refuses it.
    fn serde_reads(token: &str) -> Option<String> {
        serde_json::from_str::<String>(token).ok()
    }

    #[test]
    fn string_text_reads_as_serde_json_does() {
        let tokens = [
            r#""""#,
            r#""plain text, no escape""#,
            r#""{\"messageId\":\"m-1\",\"amount\":501}""#,
            r#""\\ \/ \b \f \n \r \t \"""#,
            r#""caf\u00e9 \u20ac \u0000 end""#,
            r#""\ud83d\ude00 and \uD83D\uDE00""#,
            r#""\\\\\\""#,
            r#""tail \\""#,
            "\"é ü ✓ 😀 \\\" raw non-ASCII\"",
        ];
        // Escapes at every offset of the words the search reads.
        let shifted = (0..20).flat_map(|n| {
            let pad = "x".repeat(n);
            [
                format!(r#""{pad}\"{pad}\u00e9{pad}\\""#),
                format!(r#""{pad}é\n\t{pad}""#),
            ]
        });
        for token in tokens.into_iter().map(str::to_owned).chain(shifted) {
            let token = token.as_str();
            let read = string_text(token).map(std::borrow::Cow::into_owned);
            assert_eq!(read, serde_reads(token), "{token}");
            assert!(read.is_some(), "{token}");
        }
    }

    #[test]
    fn next_backslash_finds_the_first() {
        for len in 0..40 {
            for at in 0..len {
                let mut bytes = vec![b'a'; len];
                bytes[at] = b'\\';
                // Bytes that differ from a backslash by one bit, and one after it.
                bytes.iter_mut().take(at).for_each(|b| *b = 0x5d);
                if at + 1 < len {
                    bytes[at + 1] = b'\\';
                }
                assert_eq!(super::next_backslash(&bytes), Some(at), "{len} {at}");
            }
            assert_eq!(super::next_backslash(&vec![0xdc; len]), None);
        }
    }

    #[test]
    fn string_text_leaves_what_it_does_not_read_to_serde_json() {
        // Lone surrogates (serde_json refuses them), a high surrogate followed by something
        // else than a low one, and what is not a string token at all.
        for token in [
            r#""\ud800""#,
            r#""\udc00 x""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
            "null",
            "12",
            r#"{"a":1}"#,
        ] {
            assert_eq!(string_text(token), None, "{token}");
        }
    }
}
