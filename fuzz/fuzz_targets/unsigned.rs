//! Arbitrary headers and bodies, never signed: every provider must refuse them with a clear
//! error (never accept, never panic), and reading them unverified must not panic either.
#![no_main]

mod providers;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use webhook_receiver::{Provider, dangerous};

static PROVIDERS: LazyLock<providers::Providers> = LazyLock::new(providers::Providers::new);

fn refuse<P: Provider>(provider: &P, headers: &[(String, Vec<u8>)], body: &[u8])
where
    P::Event: std::fmt::Debug,
{
    match provider.verify_and_parse(headers, body) {
        Ok(delivery) => panic!("accepted an unsigned delivery: {delivery:?}"),
        Err(error) => providers::check_error(&error),
    }
    if let Err(error) = dangerous::parse_unverified(provider, headers, body) {
        providers::check_error(&error);
    }
}

fuzz_target!(|data: &[u8]| {
    let (headers, body) = providers::split(data);
    let p = &*PROVIDERS;
    refuse(&p.palenca, &headers, body);
    refuse(&p.palenca_token, &headers, body);
    refuse(&p.receeve, &headers, body);
    refuse(&p.munity, &headers, body);
    refuse(&p.munity_token, &headers, body);
    refuse(&p.standard, &headers, body);
    refuse(&p.github, &headers, body);
    refuse(&p.shopify, &headers, body);
    refuse(&p.linear, &headers, body);
    refuse(&p.square, &headers, body);
    refuse(&p.twilio, &headers, body);
    refuse(&p.intercom, &headers, body);
    refuse(&p.stripe, &headers, body);
    refuse(&p.slack, &headers, body);
    refuse(&p.paddle, &headers, body);
    refuse(&p.zoom, &headers, body);
});
