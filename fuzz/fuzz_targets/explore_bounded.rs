//! Bytes as a scenario: a bounded SC search must never panic, and every
//! finding must replay.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Some(p) = common::lower(src) {
            common::explore_bounded(&p);
        }
    }
});
