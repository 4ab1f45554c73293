//! Bytes as a cat model: parsing and checking it must never panic
//! (includes resolve to nothing).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        let _ = kvet_axiom::CatModel::from_source("fuzz.cat", src, &|_| Some(String::new()));
    }
});
