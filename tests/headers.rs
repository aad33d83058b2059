//! The framework-agnostic header lookup: every supported container, any case.

use std::collections::{BTreeMap, HashMap};

use webhook_receiver::Headers;

fn check(headers: &impl Headers) {
    assert_eq!(headers.get("x-signature"), Some(&b"abc"[..]));
    assert_eq!(headers.get("X-SIGNATURE"), Some(&b"abc"[..]));
    assert_eq!(headers.get("x-other"), None);
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
