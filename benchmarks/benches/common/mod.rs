//! Payload building, and the typed event the benches parse, shared by the benches.

use serde::Deserialize;

/// The body sizes every bench measures, with their labels.
pub(crate) const SIZES: [(usize, &str); 4] = [
    (200, "200B"),
    (1024, "1KiB"),
    (16 * 1024, "16KiB"),
    (256 * 1024, "256KiB"),
];

/// About `approx` bytes of realistic filler: order lines, as an unknown field or a data model
/// would carry them.
pub(crate) fn lines(approx: usize) -> String {
    let mut out = String::from("[");
    let mut i = 0;
    while out.len() + 70 < approx {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"sku":"SKU-{i:06}","qty":{},"note":"standard delivery"}}"#,
            i % 7 + 1
        ));
        i += 1;
    }
    out.push(']');
    out
}

/// An invoice line: the filler [`lines`] makes.
#[allow(dead_code)]
#[derive(Deserialize)]
pub(crate) struct Line {
    sku: String,
    qty: u32,
    note: String,
}

/// The `data` of an `invoice.paid` event.
#[allow(dead_code)]
#[derive(Deserialize)]
pub(crate) struct InvoiceData {
    id: String,
    amount: i64,
    lines: Vec<Line>,
}

/// A user's own event type, as a Standard Webhooks receiver would declare it, with owned
/// strings.
#[allow(dead_code)]
#[derive(Deserialize)]
pub(crate) struct InvoicePaid {
    #[serde(rename = "type")]
    kind: String,
    data: InvoiceData,
}

#[allow(dead_code)] // json_paths reads no headers
/// The `http::HeaderMap` a framework would hand over for a signed request's headers.
pub(crate) fn http_headers(pairs: &[(String, String)]) -> http::HeaderMap {
    pairs
        .iter()
        .filter_map(|(k, v)| {
            let name = http::HeaderName::from_bytes(k.as_bytes()).ok()?;
            Some((name, http::HeaderValue::from_str(v).ok()?))
        })
        .collect()
}
