//! Whether two JSON texts say exactly the same thing, for a sender that puts an unsigned copy
//! of its signed text beside it (receeve's `payload` beside `payloadAsString`).
//!
//! Equality of parsed values (`serde_json::Value`) is not enough: a duplicate key keeps its
//! last value there, while other readers keep the first, and numbers collapse to `u64`/`f64`,
//! so `501`, `501.0` and `5.01e2` (or two integers past 2^53) compare equal. A reader of the
//! raw body that does not happen to agree with `serde_json` would then see values nobody
//! signed. Here the two texts are read into trees in which:
//! - a duplicate key at any depth makes the text unusable (never "equal");
//! - a number is its text exactly as written;
//! - a string is its decoded value (`"\u0041"` is `"A"`: every conforming reader agrees);
//! - the members of an object may come in any order, white space is free.
//!
//! Reading is iterative (no recursion on hostile nesting) and bounded like `serde_json`: at
//! most 128 levels.

use std::collections::BTreeMap;

use json_event_parser::{JsonEvent, SliceJsonParser};

/// The nesting `serde_json` accepts; deeper texts are refused here too.
const MAX_DEPTH: usize = 128;

#[derive(Debug, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    /// The number's text as written.
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(BTreeMap<String, Node>),
}

/// A container being filled: an array, or an object with the key of the member whose value
/// comes next.
enum Open {
    Array(Vec<Node>),
    Object(BTreeMap<String, Node>, Option<String>),
}

/// Whether `a` and `b` are both readable without a duplicate key and hold the same tree.
pub(crate) fn same_json(a: &[u8], b: &[u8]) -> bool {
    match (tree(a), tree(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The tree of a JSON text; `None` when it is not JSON, nests too deeply, or repeats a key in
/// any object.
fn tree(text: &[u8]) -> Option<Node> {
    let mut parser = SliceJsonParser::new(text);
    // The depth is bounded here, on the stack of open containers.
    let mut stack: Vec<Open> = Vec::new();
    let mut done: Option<Node> = None;
    loop {
        let event = parser.parse_next().ok()?;
        let node = match event {
            JsonEvent::Eof => return done.filter(|_| stack.is_empty()),
            JsonEvent::StartArray | JsonEvent::StartObject => {
                if stack.len() >= MAX_DEPTH {
                    return None;
                }
                stack.push(if event == JsonEvent::StartArray {
                    Open::Array(Vec::new())
                } else {
                    Open::Object(BTreeMap::new(), None)
                });
                continue;
            }
            JsonEvent::ObjectKey(key) => {
                let Some(Open::Object(members, next)) = stack.last_mut() else {
                    return None;
                };
                if members.contains_key(key.as_ref()) {
                    return None;
                }
                *next = Some(key.into_owned());
                continue;
            }
            JsonEvent::EndArray => match stack.pop()? {
                Open::Array(items) => Node::Array(items),
                Open::Object(..) => return None,
            },
            JsonEvent::EndObject => match stack.pop()? {
                Open::Object(members, None) => Node::Object(members),
                _ => return None,
            },
            JsonEvent::Null => Node::Null,
            JsonEvent::Boolean(value) => Node::Bool(value),
            JsonEvent::Number(text) => Node::Number(text.into_owned()),
            JsonEvent::String(text) => Node::String(text.into_owned()),
        };
        match stack.last_mut() {
            None if done.is_none() => done = Some(node),
            None => return None,
            Some(Open::Array(items)) => items.push(node),
            Some(Open::Object(members, next)) => {
                members.insert(next.take()?, node);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_json;

    fn same(a: &str, b: &str) -> bool {
        same_json(a.as_bytes(), b.as_bytes())
    }

    #[test]
    fn layout_order_and_escapes_do_not_matter() {
        assert!(same(
            r#"{"a":1,"b":[true,null,"x"]}"#,
            r#"{ "b" : [ true , null , "x" ] , "a" : 1 }"#
        ));
        assert!(same(r#"{"a":"A\/é"}"#, r#"{"\u0061":"\u0041/\u00e9"}"#));
    }

    #[test]
    fn duplicates_and_number_spellings_are_never_equal() {
        assert!(!same(r#"{"a":1,"a":1}"#, r#"{"a":1}"#));
        assert!(!same(r#"{"x":{"a":1,"a":1}}"#, r#"{"x":{"a":1,"a":1}}"#));
        assert!(!same(r#"{"a":501}"#, r#"{"a":501.0}"#));
        assert!(!same(r#"{"a":501}"#, r#"{"a":5.01e2}"#));
        assert!(!same(
            r#"{"a":9007199254740993}"#,
            r#"{"a":9007199254740992}"#
        ));
        assert!(!same(r#"{"a":1}"#, r#"{"a":1} x"#));
        assert!(!same(r#"{"a":1}"#, r#"{"a":1}{"a":1}"#));
        assert!(!same(r#"[1]"#, r#"[1,]"#));
    }

    #[test]
    fn nesting_is_bounded_without_recursion() {
        let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(same(&deep(128), &deep(128)));
        assert!(!same(&deep(129), &deep(129)));
        assert!(!same(&deep(100_000), &deep(100_000)));
    }
}
