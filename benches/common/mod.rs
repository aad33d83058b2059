//! Payload building shared by the benches.

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
