//! The encodings signatures and keys arrive in, decoded in one place for every scheme: hex and
//! base64 MACs, base64 signatures and keys, and the prefixes written before them.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::Error;

/// The length of an HMAC-SHA256 tag.
pub(crate) const MAC_LEN: usize = 32;

/// The length of an HMAC-SHA1 tag (Twilio, Intercom).
pub(crate) const SHA1_MAC_LEN: usize = 20;

/// How the signature bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// 64 hex digits, either case.
    #[default]
    Hex,
    /// Standard base64 (`+/`), padded or not.
    Base64,
    /// Either of the above, told apart by length (64 hex digits or 43-44 base64 characters):
    /// for senders whose documentation does not say.
    HexOrBase64,
    /// Hex in lower case only: for senders whose own SDKs compare the signature's text byte
    /// for byte (GitHub, Linear), so that what this crate accepts is what they accept.
    LowerHex,
}

/// Standard base64 (`+/`) with or without its `=` padding: senders differ, and the bytes are
/// the same either way.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64, padded or not, into a new vector (keys read at start-up).
pub(crate) fn base64_to_vec(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

/// Decodes base64, padded or not, into `buf` (a signature of variable length); refuses input
/// longer than `buf` can hold before decoding it.
#[cfg(feature = "public-key")]
pub(crate) fn base64_into<'b>(text: &str, buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::MalformedSignature { reason: "empty" });
    }
    // Base64 carries 3 bytes in 4 characters.
    if text.len() > buf.len().div_ceil(3) * 4 {
        return Err(Error::MalformedSignature {
            reason: "longer than any supported signature",
        });
    }
    let n = BASE64.decode_slice(text, buf).map_err(|e| match e {
        base64::DecodeSliceError::OutputSliceTooSmall => Error::MalformedSignature {
            reason: "longer than any supported signature",
        },
        base64::DecodeSliceError::DecodeError(_) => Error::MalformedSignature {
            reason: "not base64",
        },
    })?;
    buf.get(..n).ok_or(Error::MalformedSignature {
        reason: "not base64",
    })
}

/// Decodes base64 (padded or not) that must hold exactly one MAC of `N` bytes, onto the stack.
pub(crate) fn base64_mac<const N: usize>(value: &str, out: &mut [u8; N]) -> Result<(), Error> {
    let reason = lengths::<N>().base64;
    // N bytes are ceil(4N/3) characters unpadded, 4*ceil(N/3) padded; anything else cannot
    // be a MAC (32 bytes: 43 or 44; 20 bytes: 27 or 28).
    if !((4 * N).div_ceil(3)..=N.div_ceil(3) * 4).contains(&value.len()) {
        return Err(Error::MalformedSignature { reason });
    }
    // Room for the longest MAC (32 bytes, 44 characters: at most 33 decoded bytes).
    let mut buf = [0u8; 48];
    let n = BASE64
        .decode_slice(value, &mut buf)
        .map_err(|_| Error::MalformedSignature {
            reason: "not base64",
        })?;
    let decoded = buf
        .get(..n)
        .filter(|d| d.len() == N)
        .ok_or(Error::MalformedSignature { reason })?;
    out.copy_from_slice(decoded);
    Ok(())
}

/// What a MAC of `N` bytes that is not one is called, per encoding.
struct Lengths {
    hex: &'static str,
    base64: &'static str,
}

const fn lengths<const N: usize>() -> Lengths {
    match N {
        SHA1_MAC_LEN => Lengths {
            hex: "not 20 bytes of hex",
            base64: "not 20 bytes of base64",
        },
        _ => Lengths {
            hex: "not 32 bytes of hex",
            base64: "not 32 bytes of base64",
        },
    }
}

/// Decodes an HMAC-SHA256 MAC written in `encoding` onto the stack.
pub(crate) fn mac(value: &str, encoding: SignatureEncoding) -> Result<[u8; MAC_LEN], Error> {
    mac_of::<MAC_LEN>(value, encoding)
}

/// The value of each hex digit (either case), 0xFF for any other byte.
#[allow(clippy::indexing_slicing)] // ASCII digits and letters index a 256-entry table
const HEX_DIGITS: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

fn digit(byte: u8) -> u8 {
    HEX_DIGITS.get(usize::from(byte)).copied().unwrap_or(0xFF)
}

/// Decodes `2 * out.len()` hex digits into `out` with one table look-up per digit (the `hex`
/// crate branches on each): a signature is decoded on every delivery. `None` when the length
/// is not twice `out`'s or a byte is not a hex digit.
fn decode_hex(digits: &[u8], out: &mut [u8]) -> Option<()> {
    if digits.len() != 2 * out.len() {
        return None;
    }
    let mut bad = 0u8;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = match pair {
            [high, low] => (digit(*high), digit(*low)),
            _ => return None,
        };
        bad |= (high | low) & 0xF0;
        *byte = high << 4 | low;
    }
    (bad == 0).then_some(())
}

/// Decodes a MAC of `N` bytes written in `encoding` onto the stack.
pub(crate) fn mac_of<const N: usize>(
    value: &str,
    encoding: SignatureEncoding,
) -> Result<[u8; N], Error> {
    if value.is_empty() {
        return Err(Error::MalformedSignature { reason: "empty" });
    }
    let encoding = match encoding {
        SignatureEncoding::HexOrBase64 if value.len() == 2 * N => SignatureEncoding::Hex,
        SignatureEncoding::HexOrBase64 => SignatureEncoding::Base64,
        other => other,
    };
    let mut out = [0u8; N];
    match encoding {
        SignatureEncoding::Hex | SignatureEncoding::LowerHex => {
            if value.len() != 2 * N {
                return Err(Error::MalformedSignature {
                    reason: lengths::<N>().hex,
                });
            }
            if encoding == SignatureEncoding::LowerHex
                && value.bytes().any(|b| b.is_ascii_uppercase())
            {
                return Err(Error::MalformedSignature {
                    reason: "not lower-case hex",
                });
            }
            decode_hex(value.as_bytes(), &mut out)
                .ok_or(Error::MalformedSignature { reason: "not hex" })?;
        }
        _ => base64_mac(value, &mut out)?,
    }
    Ok(out)
}

/// `value` without `prefix` (such as `sha256=`), compared without regard to ASCII case;
/// `None` when it does not start with it.
pub(crate) fn strip_prefix_ignore_case<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| value.get(prefix.len()..))
        .flatten()
}

/// A MAC written as a sender would: hex, or base64 where that is the fixed encoding.
#[cfg(feature = "testing")]
pub(crate) fn encode_mac(mac: &[u8], encoding: SignatureEncoding) -> String {
    match encoding {
        SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(mac),
        SignatureEncoding::Hex | SignatureEncoding::HexOrBase64 | SignatureEncoding::LowerHex => {
            hex::encode(mac)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    /// The table decoder agrees with the `hex` crate on every pair of bytes.
    #[test]
    fn hex_decoding_agrees_with_the_hex_crate() {
        for high in 0..=255u8 {
            for low in 0..=255u8 {
                let mut ours = [0u8; 1];
                let mut theirs = [0u8; 1];
                let ok = super::decode_hex(&[high, low], &mut ours).is_some();
                let expected = hex::decode_to_slice([high, low], &mut theirs).is_ok();
                assert_eq!(ok, expected, "{high} {low}");
                if ok {
                    assert_eq!(ours, theirs);
                }
            }
        }
        assert!(super::decode_hex(b"abc", &mut [0u8; 1]).is_none());
    }

    use super::*;

    #[test]
    fn base64_is_read_padded_or_not_and_nothing_else() {
        assert_eq!(base64_to_vec("aGk=").unwrap(), b"hi");
        assert_eq!(base64_to_vec("aGk").unwrap(), b"hi");
        assert!(base64_to_vec("aGk==").is_none());
        assert!(
            base64_to_vec("a-_k").is_none(),
            "URL-safe alphabet is not standard base64"
        );
    }

    #[test]
    fn sha1_macs_are_20_bytes_in_either_encoding() {
        let mac = [0xabu8; SHA1_MAC_LEN];
        let hex = hex::encode(mac);
        let b64 = encode_mac_b64(&mac);
        assert_eq!(
            mac_of::<SHA1_MAC_LEN>(&hex, SignatureEncoding::Hex).unwrap(),
            mac
        );
        assert_eq!(
            mac_of::<SHA1_MAC_LEN>(&b64, SignatureEncoding::Base64).unwrap(),
            mac
        );
        assert_eq!(
            mac_of::<SHA1_MAC_LEN>(b64.trim_end_matches('='), SignatureEncoding::Base64).unwrap(),
            mac
        );
        // A SHA-256 MAC is not a SHA-1 MAC, nor the other way round.
        assert!(mac_of::<SHA1_MAC_LEN>(&"ab".repeat(32), SignatureEncoding::Hex).is_err());
        assert!(super::mac(&hex, SignatureEncoding::Hex).is_err());
        assert!(super::mac(&b64, SignatureEncoding::Base64).is_err());
    }

    #[test]
    fn lower_hex_refuses_upper_case() {
        let lower = "ab".repeat(32);
        assert!(mac(&lower, SignatureEncoding::LowerHex).is_ok());
        assert!(mac(&lower.to_uppercase(), SignatureEncoding::LowerHex).is_err());
        assert!(mac(&lower.to_uppercase(), SignatureEncoding::Hex).is_ok());
    }

    fn encode_mac_b64(mac: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(mac)
    }

    #[test]
    fn a_prefix_is_stripped_whatever_its_case() {
        assert_eq!(strip_prefix_ignore_case("SHA256=ab", "sha256="), Some("ab"));
        assert_eq!(strip_prefix_ignore_case("sha1=ab", "sha256="), None);
        assert_eq!(strip_prefix_ignore_case("sha", "sha256="), None);
    }
}
