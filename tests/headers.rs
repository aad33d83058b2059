//! The framework-agnostic header lookup: every supported container, any case.

#![allow(clippy::indexing_slicing)] // helpers index the slots they just filled

use std::collections::{BTreeMap, HashMap};

use webhook_receiver::Headers;

fn check(headers: &impl Headers) {
    assert_eq!(headers.get("x-signature"), Some(&b"abc"[..]));
    assert_eq!(headers.get("X-SIGNATURE"), Some(&b"abc"[..]));
    assert_eq!(headers.get("x-other"), None);
    check_get_each_agrees(headers, &["x-signature", "X-Other", "X-SIGNATURE"]);
}

/// `get_each` answers exactly what `get` answers name by name, through the trait's default
/// and every override, and leaves the slots beyond `names` alone.
fn check_get_each_agrees(headers: &impl Headers, names: &[&str]) {
    let sentinel: &[u8] = b"untouched";
    let mut out = vec![Some(sentinel); names.len() + 2];
    headers.get_each(names, &mut out);
    let expected: Vec<_> = names.iter().map(|n| headers.get(n)).collect();
    assert_eq!(out[..names.len()], expected[..]);
    assert_eq!(out[names.len()..], [Some(sentinel), Some(sentinel)]);
    // A shorter `out` is filled as far as it goes.
    let mut short = [Some(sentinel); 1];
    headers.get_each(names, &mut short);
    assert_eq!(short[0], expected[0]);
}

/// A header container that implements only `get`: `get_each` is the trait's default.
struct OnlyGet(Vec<(&'static str, &'static str)>);

impl Headers for OnlyGet {
    fn get(&self, name: &str) -> Option<&[u8]> {
        Headers::get(self.0.as_slice(), name)
    }
}

#[test]
fn get_each_default_and_overrides_agree_with_get() {
    let pairs = vec![
        ("X-Signature", "abc"),
        ("content-type", "application/json"),
        ("x-signature", "second"),
        ("Webhook-Id", "msg_1"),
    ];
    let names = [
        "webhook-id",
        "x-signature",
        "x-missing",
        "CONTENT-TYPE",
        "webhook-id",
    ];
    check_get_each_agrees(&OnlyGet(pairs.clone()), &names);
    check_get_each_agrees(&pairs, &names);
    check_get_each_agrees(&pairs.as_slice(), &names);
    check_get_each_agrees(&[("X-Signature", "abc"), ("x-signature", "second")], &names);
    let mut out = [None; 2];
    pairs.get_each(&["x-signature", "X-SIGNATURE"], &mut out);
    assert_eq!(
        out,
        [Some(&b"abc"[..]), Some(&b"abc"[..])],
        "first value wins"
    );
}

#[test]
fn slices_vecs_and_arrays_of_pairs() {
    check(&[("X-Signature", "abc")]);
    check(&vec![("x-signature".to_owned(), "abc".to_owned())]);
    check(&vec![("X-Signature", b"abc".to_vec())]);
    let pairs = [("content-type", "application/json"), ("x-SIGNATURE", "abc")];
    check(&&pairs[..]);
}

#[test]
fn first_value_wins() {
    let pairs = [("x-signature", "abc"), ("X-Signature", "second")];
    check(&pairs);
}

#[test]
fn maps() {
    let mut hash = HashMap::new();
    hash.insert("X-Signature".to_owned(), "abc".to_owned());
    check(&hash);
    let mut tree = BTreeMap::new();
    tree.insert("x-signature", "abc");
    check(&tree);
}

#[cfg(feature = "http")]
#[test]
fn http_header_map() {
    let mut map = http::HeaderMap::new();
    map.insert("x-signature", http::HeaderValue::from_static("abc"));
    check(&map);
    // Values need not be UTF-8.
    map.insert("x-binary", http::HeaderValue::from_bytes(b"\xfa").unwrap());
    assert_eq!(Headers::get(&map, "X-Binary"), Some(&b"\xfa"[..]));
}

#[cfg(feature = "http")]
#[test]
fn http_header_map_get_each_in_one_pass_and_by_lookup() {
    let names = ["x-signature", "X-Binary", "x-missing", "x-dup"];
    // Few headers: one pass over them. Many: hashed lookups. Both agree with `get`, and the
    // first of several values wins.
    for extra in [0, 5, 40] {
        let mut map = http::HeaderMap::new();
        for i in 0..extra {
            map.insert(
                http::HeaderName::try_from(format!("x-filler-{i}")).unwrap(),
                http::HeaderValue::from_static("filler"),
            );
        }
        map.insert("x-signature", http::HeaderValue::from_static("abc"));
        map.append("x-dup", http::HeaderValue::from_static("first"));
        map.append("x-dup", http::HeaderValue::from_static("second"));
        map.insert("x-binary", http::HeaderValue::from_bytes(b"\xfa").unwrap());
        check_get_each_agrees(&map, &names);
        let mut out = [None; 4];
        map.get_each(&names, &mut out);
        assert_eq!(
            out,
            [
                Some(&b"abc"[..]),
                Some(&b"\xfa"[..]),
                None,
                Some(&b"first"[..])
            ]
        );
    }
}

#[cfg(all(feature = "http", feature = "testing"))]
#[test]
fn signed_requests_convert_to_http_requests_that_verify() {
    use webhook_receiver::providers::palenca::Palenca;
    use webhook_receiver::verify::HmacScheme;
    use webhook_receiver::{Provider, Secret, testing};

    let palenca = Palenca::new(HmacScheme::new("x-sig", Secret::new("k").unwrap()).unwrap());
    let request = testing::palenca::login_success()
        .signed_with(&palenca)
        .to_http_request();
    assert_eq!(request.method(), http::Method::POST);
    assert!(
        palenca
            .verify_and_parse(request.headers(), request.body())
            .is_ok()
    );
}
