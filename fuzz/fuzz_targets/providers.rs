//! The providers every target runs, configured as a user would, and the split of a fuzz input
//! into headers and a body.
#![allow(dead_code)] // each target uses part of it

use webhook_receiver::providers::github::GitHub;
use webhook_receiver::providers::intercom::Intercom;
use webhook_receiver::providers::linear::Linear;
use webhook_receiver::providers::munity::Munity;
use webhook_receiver::providers::paddle::Paddle;
use webhook_receiver::providers::palenca::Palenca;
use webhook_receiver::providers::receeve::Receeve;
use webhook_receiver::providers::shopify::Shopify;
use webhook_receiver::providers::slack::Slack;
use webhook_receiver::providers::square::Square;
use webhook_receiver::providers::standard::StandardWebhooks;
use webhook_receiver::providers::stripe::Stripe;
use webhook_receiver::providers::twilio::Twilio;
use webhook_receiver::providers::zoom::Zoom;
use webhook_receiver::verify::{HmacScheme, SignatureEncoding, StandardScheme, TokenScheme};
use webhook_receiver::{Error, Secret};

/// The fixed "now" of the Standard Webhooks receivers, in unix seconds.
pub const NOW: i64 = 1_700_000_000;

pub struct Providers {
    pub palenca: Palenca,
    pub palenca_token: Palenca,
    pub receeve: Receeve,
    pub munity: Munity,
    pub munity_token: Munity,
    pub standard: StandardWebhooks,
    pub github: GitHub,
    pub shopify: Shopify,
    pub linear: Linear,
    pub square: Square,
    pub twilio: Twilio,
    pub intercom: Intercom,
    pub stripe: Stripe,
    pub slack: Slack,
    pub paddle: Paddle,
    pub zoom: Zoom,
}

fn secret(text: &str) -> Secret {
    Secret::new(text).expect("a non-empty secret")
}

impl Providers {
    pub fn new() -> Self {
        let clock = std::sync::Arc::new(webhook_receiver::clock::ManualClock::at_unix(NOW));
        Self {
            palenca: Palenca::new(
                HmacScheme::new("x-signature", secret("palenca-fuzz-key"))
                    .expect("a valid header name")
                    .prefix("sha256="),
            ),
            palenca_token: Palenca::new(
                TokenScheme::new("x-token", secret("palenca-fuzz-token")).expect("a valid name"),
            ),
            receeve: Receeve::hmac(secret("receeve-fuzz-key")),
            munity: Munity::new(
                HmacScheme::new("x-signature", secret("munity-fuzz-key"))
                    .expect("a valid header name")
                    .encoding(SignatureEncoding::Base64),
            ),
            munity_token: Munity::new(
                TokenScheme::new("x-token", secret("munity-fuzz-token")).expect("a valid name"),
            ),
            standard: StandardWebhooks::new(
                StandardScheme::from_whsec("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
                    .expect("a valid whsec secret")
                    .clock(clock),
            ),
            github: GitHub::new(secret("github-fuzz-key")),
            shopify: Shopify::new(secret("shopify-fuzz-key")),
            linear: Linear::new(secret("linear-fuzz-key")),
            square: Square::new(secret("square-fuzz-key"), "https://example.com/square")
                .expect("a valid URL"),
            twilio: Twilio::new(secret("twilio-fuzz-token"), "https://example.com/twilio")
                .expect("a valid URL"),
            intercom: Intercom::new(secret("intercom-fuzz-key")),
            stripe: Stripe::new(secret("whsec_stripe-fuzz-key")),
            slack: Slack::new(secret("slack-fuzz-key")),
            paddle: Paddle::new(secret("paddle-fuzz-key")),
            zoom: Zoom::new(secret("zoom-fuzz-key")),
        }
    }
}

/// Splits `data` at its first NUL: before it, `name:value` header lines; after it, the body.
/// Without a NUL, all of `data` is the body.
pub fn split(data: &[u8]) -> (Vec<(String, Vec<u8>)>, &[u8]) {
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return (Vec::new(), data);
    };
    let (head, body) = data.split_at(nul);
    let headers = head
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let (name, value) = line.split_at(colon);
            Some((
                String::from_utf8_lossy(name).into_owned(),
                value[1..].to_vec(),
            ))
        })
        .collect();
    (headers, &body[1..])
}

/// What every error must be: a status a sender understands, and a message that renders.
pub fn check_error(error: &Error) {
    let status = error.status();
    assert!(
        matches!(status, 400 | 401 | 408 | 409 | 413 | 415 | 422 | 500 | 503),
        "unexpected status {status} for {error:?}"
    );
    let _ = error.to_string();
}
