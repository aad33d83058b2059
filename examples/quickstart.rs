//! A self-contained tour: sign the fixtures of every provider as a real sender would, verify
//! and parse them, then show what happens to a forged signature, a tampered body, a forged
//! receeve `payload`, an oversized body and an unknown event.
//!
//! ```text
//! cargo run --example quickstart --features testing
//! ```

use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::providers::standard::StandardWebhooks;
use webhook_receiver::testing::{self, SignedRequest, Signer};
use webhook_receiver::verify::{HmacScheme, SignatureEncoding, TokenScheme};
use webhook_receiver::{ConfigError, Error, Provider, Secret};

fn main() -> Result<(), ConfigError> {
    // Built once at start-up. The header names are yours to agree with each sender: Palenca and
    // Munity do not publish one.
    let palenca = Palenca::new(
        HmacScheme::new("x-palenca-signature", Secret::new("palenca-private-key")?)?
            .encoding(SignatureEncoding::Hex)
            .prefix("sha256="),
    );
    let receeve = Receeve::hmac(Secret::new("receeve-shared-key")?);
    let munity = Munity::new(TokenScheme::new(
        "x-munity-token",
        Secret::new("munity-url-token")?,
    )?);

    println!("{:<46} {:<7} outcome", "delivery", "status");
    println!("{}", "-".repeat(110));

    for fixture in testing::palenca::all() {
        let request = fixture.signed_with(&palenca);
        row(fixture.name(), &palenca, &request, |e| {
            format!("{} user {}", e.action, e.user_id)
        });
    }
    for fixture in testing::receeve::all() {
        let request = fixture.signed_with(&receeve);
        row(fixture.name(), &receeve, &request, |m| {
            format!("{} ({})", m.details.message_type(), m.message_id)
        });
    }
    for fixture in testing::munity::all() {
        let request = fixture.signed_with(&munity);
        row(fixture.name(), &munity, &request, |w| {
            format!("{} in {}", w.event.name(), w.workspace_id)
        });
    }

    // Any Standard Webhooks sender (Svix and others); the event type is yours.
    let standard: StandardWebhooks =
        StandardWebhooks::from_whsec(testing::standard::EXAMPLE_SECRET)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let request = testing::standard::sign(
        &standard,
        "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        now,
        testing::standard::example(),
    );
    row("standard/example (signed now)", &standard, &request, |e| {
        format!("user {}", e["username"])
    });

    println!("{}", "-".repeat(110));
    let replayed = testing::standard::sign(
        &standard,
        "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        now - 600,
        testing::standard::example(),
    );
    row(
        "standard: replayed 10 minutes later",
        &standard,
        &replayed,
        |e| e.to_string(),
    );
    let genuine = testing::palenca::login_success().signed_with(&palenca);

    let forged = genuine.clone().with_header(
        "x-palenca-signature",
        &format!("sha256={}", "ab".repeat(32)),
    );
    row("forged signature", &palenca, &forged, |e| {
        e.action.to_string()
    });

    let empty = genuine
        .clone()
        .with_header("x-palenca-signature", "sha256=");
    row("empty signature (`sha256=`)", &palenca, &empty, |e| {
        e.action.to_string()
    });

    let tampered_body =
        String::from_utf8_lossy(genuine.body()).replace("login.success", "login.error");
    let tampered = genuine.clone().with_body(tampered_body);
    row("tampered body", &palenca, &tampered, |e| {
        e.action.to_string()
    });

    let receeve_genuine = testing::receeve::claim_created().signed_with(&receeve);
    let forged_payload = String::from_utf8_lossy(receeve_genuine.body()).replacen(
        "\"amount\": 501",
        "\"amount\": 1",
        1,
    );
    let forged_payload = receeve_genuine.with_body(forged_payload);
    row(
        "receeve: forged `payload`, genuine signature",
        &receeve,
        &forged_payload,
        |m| m.message_id.clone(),
    );

    let oversized = palenca.clone().with_body_limit(64);
    row("body over the limit (64 B)", &oversized, &genuine, |e| {
        e.action.to_string()
    });

    let unknown = palenca.sign(
        br#"{"user_id":"d1c9b98b-3190-479e-99db-04060ff3997f","webhook_action":"payout.sent"}"#,
    );
    row("unknown event name", &palenca, &unknown, |e| {
        format!("{} (known: {})", e.action, e.action.is_known())
    });

    let wrong_token = testing::munity::webhook_test()
        .signed_with(&munity)
        .with_header("x-munity-token", "guess");
    row("munity: wrong token", &munity, &wrong_token, |w| {
        w.event.name().to_owned()
    });
    Ok(())
}

fn row<P: Provider>(
    name: &str,
    provider: &P,
    request: &SignedRequest,
    describe: impl Fn(&P::Event) -> String,
) {
    match provider.verify_and_parse(request.headers(), request.body()) {
        Ok(delivery) => println!(
            "{name:<46} {:<7} accepted: {} [id {}]",
            200,
            describe(&delivery.event),
            short(delivery.id.as_str())
        ),
        Err(err) => println!("{name:<46} {:<7} rejected: {}", err.status(), explain(&err)),
    }
}

fn explain(err: &Error) -> String {
    err.to_string()
}

fn short(id: &str) -> String {
    let mut short: String = id.chars().take(20).collect();
    if short.len() < id.len() {
        short.push('…');
    }
    short
}
