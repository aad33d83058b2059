//! A newcomer's first hour, end to end: the README's `main` is this crate's binary
//! `readme_main` (the test first checks that the two are the same text), run as the README
//! says (`RECEEVE_SECRET` in the environment, port 3000 on 127.0.0.1), sent a delivery that is
//! not signed (401, as the README's `curl` shows), then a signed one (200 processed) and the
//! same again (200 duplicate). Bounded: three requests, the server waited for at most 60 s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use webhook_receiver::Secret;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::testing;

const README: &str = include_str!("../../README.md");
const BINARY_SOURCE: &str = include_str!("../src/bin/readme_main.rs");
const SECRET: &str = "readme-secret";

/// The first `rust,no_run` block of the README.
fn readme_main() -> &'static str {
    let start = README
        .find("```rust,no_run\n")
        .expect("the README has its main")
        + 15;
    let end = start + README[start..].find("```").unwrap();
    &README[start..end]
}

#[test]
fn the_binary_is_the_readme_main_verbatim() {
    let body: String = BINARY_SOURCE
        .lines()
        .skip_while(|line| line.starts_with("//!") || line.is_empty())
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(
        body,
        readme_main(),
        "copy the README's main into src/bin/readme_main.rs"
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_readme_main_answers_as_the_readme_says() {
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", 3000))
            .await
            .is_err(),
        "something else listens on 127.0.0.1:3000, the README's port"
    );
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_readme_main"))
            .env("RECEEVE_SECRET", SECRET)
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", 3000))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = "http://127.0.0.1:3000/webhooks/receeve";

    // The README's curl: not signed.
    let unsigned = client
        .post(url)
        .header("content-type", "application/json")
        .body(r#"{"payloadAsString":"{\"messageId\":\"m-1\"}"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);

    let receeve = Receeve::hmac(Secret::new(SECRET).unwrap());
    let request = testing::receeve::claim_created().signed_with(&receeve);
    for expected in ["processed", "duplicate"] {
        let mut sent = client.post(url);
        for (name, value) in request.headers() {
            sent = sent.header(name.as_str(), value.as_str());
        }
        let answer = sent.body(request.body().to_vec()).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.text().await.unwrap(), expected);
    }
    drop(server);
}
