//! Structure-aware: libFuzzer's bytes drive `kvet-scenario-gen`, which
//! writes scenarios with gotos, handlers, deep nesting and odd CPU
//! counts; the whole pipeline must never panic on them.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok(src) = kvet_scenario_gen::scenario(&mut u, kvet_scenario_gen::Limits::default()) {
        if let Some(p) = common::lower(&src) {
            common::explore_bounded(&p);
            // The LKMM engine's coherence orders are bounded in memory
            // (kvet_axiom::budget, issue 15). KVET_FUZZ_LKMM=0 skips it.
            if std::env::var_os("KVET_FUZZ_LKMM").is_none_or(|v| v != "0") {
                common::lkmm(&p);
            }
        }
    }
});
