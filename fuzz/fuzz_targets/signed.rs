//! Arbitrary bodies signed the way each genuine sender signs them: verification must pass, and
//! parsing must give a typed event or a clear error, never a panic. The unverified path must
//! parse the same bodies to the same message ids.
#![no_main]

mod providers;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use webhook_receiver::testing::{SignedRequest, Signer};
use webhook_receiver::{Error, Provider, dangerous};

static PROVIDERS: LazyLock<providers::Providers> = LazyLock::new(providers::Providers::new);

fn genuine<P: Provider>(provider: &P, request: &SignedRequest) {
    let (headers, body) = (request.headers(), request.body());
    let verified = provider.verify_and_parse(headers, body);
    let unverified = dangerous::parse_unverified(provider, headers, body);
    match (&verified, &unverified) {
        (Ok(a), Ok(b)) => assert_eq!(a.id, b.id, "the two paths disagree on the id"),
        (Ok(_), Err(e)) => panic!("verified but the unverified path failed: {e:?}"),
        (Err(e), _) => {
            providers::check_error(e);
            assert!(
                !matches!(e, Error::InvalidSignature | Error::InvalidToken),
                "a genuine signature was refused: {e:?}"
            );
        }
    }
}

fuzz_target!(|body: &[u8]| {
    let p = &*PROVIDERS;
    genuine(&p.palenca, &p.palenca.sign(body));
    genuine(&p.palenca_token, &p.palenca_token.sign(body));
    genuine(&p.munity, &p.munity.sign(body));
    genuine(&p.munity_token, &p.munity_token.sign(body));
    // receeve signs the text of its `payload` object and wraps it in the envelope.
    genuine(&p.receeve, &p.receeve.sign(body));
    let standard =
        webhook_receiver::testing::standard::sign(&p.standard, "msg_fuzz", providers::NOW, body);
    genuine(&p.standard, &standard);
});
