//! Bytes as a scenario: parse and lower must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        let _ = common::lower(src);
    }
});
