//! Errors that application code logs the obvious way (`{err}`, `{err:?}`, the `source` chain)
//! never carry body content: a parser message that quotes the body stays behind an explicit
//! accessor.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use webhook_receiver::testing::Signer;
use webhook_receiver::{Error, Provider};

const CARD: &str = "4111 1111 1111 1111";

/// Every way a logger prints an error: `Display`, `Debug`, pretty `Debug`, and each error of
/// the `source` chain (what `anyhow`'s `{:#}` and `{:?}` print).
fn everything_logged(err: &Error) -> String {
    let mut text = format!("{err}\n{err:?}\n{err:#?}\n");
    let mut source = std::error::Error::source(err);
    while let Some(next) = source {
        text.push_str(&format!("{next}\n{next:?}\n"));
        source = next.source();
    }
    text
}

fn rejections() -> Vec<Error> {
    let receeve = receeve();
    let claim = |field: &str, value: &str| {
        format!(
            r#"{{"details":{{"messageType":"event.claim.created.v1","claimRef":"C-1","amount":501,"currency":"EUR",{field}:{value}}},"messageId":"m-1","timestamp":"2021-10-14T15:33:16.848Z"}}"#
        )
    };
    let receeve_bodies = [
        // A string where a number is documented: serde quotes the string.
        claim("\"amount\"", &format!("\"{CARD}\"")).replacen("\"amount\":501,", "", 1),
        // A date that is not one: the crate's own reader once quoted it.
        claim("\"dueDate\"", &format!("\"{CARD}\"")),
        // An unknown message type where a known one's shape is wrong.
        format!(r#"{{"details":{{"messageType":"{CARD}"}},"messageId":7,"timestamp":"x"}}"#),
        // The timestamp itself.
        format!(r#"{{"details":{{"messageType":"x"}},"messageId":"m","timestamp":"{CARD}"}}"#),
    ];
    let mut errors: Vec<Error> = receeve_bodies
        .iter()
        .map(|text| {
            receeve
                .verify_and_parse(&[("a", "b")], &receeve.signed_body(text))
                .unwrap_err()
        })
        .collect();

    let palenca = palenca();
    for body in [
        format!(r#"{{"webhook_action":"user.created","user_id":"{CARD}"}}"#),
        format!(
            r#"{{"webhook_action":["{CARD}"],"user_id":"d1c9b98b-3190-479e-99db-04060ff3997f"}}"#
        ),
    ] {
        let request = palenca.sign(body.as_bytes());
        errors.push(
            palenca
                .verify_and_parse(request.headers(), request.body())
                .unwrap_err(),
        );
    }

    let munity = munity();
    let body = format!(
        r#"{{"workspace_id":"w","event":"webhook_test","payload":{{"test":"{CARD}"}},"customer_id":{{"{CARD}":1}}}}"#
    );
    let request = munity.sign(body.as_bytes());
    errors.push(
        munity
            .verify_and_parse(request.headers(), request.body())
            .unwrap_err(),
    );
    errors
}

#[test]
fn logged_errors_never_quote_the_body() {
    let errors = rejections();
    assert_eq!(errors.len(), 7);
    for err in &errors {
        assert!(
            matches!(
                err,
                Error::UnexpectedPayload(_) | Error::MalformedPayload(_)
            ),
            "{err:?}"
        );
        let logged = everything_logged(err);
        assert!(!logged.contains("4111"), "the body leaked into: {logged}");
        assert!(!logged.contains("1111"), "the body leaked into: {logged}");
    }
}

#[test]
fn the_position_is_in_the_message_and_the_detail_behind_an_accessor() {
    let errors = rejections();
    let Error::UnexpectedPayload(json) = &errors[0] else {
        panic!("{:?}", errors[0]);
    };
    let text = errors[0].to_string();
    assert!(
        text.contains(&format!("line {} column {}", json.line(), json.column())),
        "{text}"
    );
    assert!(json.line() >= 1 && json.column() >= 1);
    // The parser's own words, asked for by name: they may quote the body.
    assert!(
        json.parser_message().contains(CARD),
        "{}",
        json.parser_message()
    );
}

#[test]
fn a_missing_documented_field_is_named() {
    let receeve = receeve();
    let body = receeve.signed_body(
        r#"{"details":{"messageType":"event.claim.created.v1"},"timestamp":"2021-10-14T15:33:16.848Z"}"#,
    );
    let err = receeve.verify_and_parse(&[("a", "b")], &body).unwrap_err();
    assert!(
        err.to_string().contains("missing field `claimRef`"),
        "{err}"
    );
}
