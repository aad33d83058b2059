//! The mainstream presets' readers with hostile bytes: signature headers, the URLs Twilio and
//! Square sign, form bodies (see `readers.rs`, whose checks the seed replay in
//! `tests/fuzz_inputs.rs` runs too).
#![no_main]

mod readers;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    readers::check(data);
});
