//! Bytes as a litmus test: the LKMM engine (generator and native model)
//! must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Some(p) = common::lower(src) {
            common::lkmm(&p);
        }
    }
});
