//! Property test over the structure-aware scenario generator
//! (`kvet-scenario-gen`, the same generator the cargo-fuzz targets in
//! `fuzz/` use): every generated scenario is either refused with an error
//! whose span lies in the file, or lowered and then explored (bounded) by
//! the SC explorer and run by the LKMM engine, without a panic.

use arbitrary::Unstructured;
use kvet_scenario_gen::{scenario, Limits};
use proptest::prelude::*;

fn check_one(bytes: &[u8]) {
    let Ok(src) = scenario(&mut Unstructured::new(bytes), Limits::default()) else { return };
    let pre = kvet_ir::PRELUDE;
    let prog = match kvet_syntax::parse_with_prelude(pre, &src).and_then(|f| kvet_ir::lower(&f, &src, pre)) {
        Ok(p) => p,
        Err(e) => {
            // located: in the file (or the prelude), and rendered with it
            let lo = e.span.lo;
            assert!(
                lo as usize <= src.len() || lo >= kvet_syntax::PRELUDE_BASE,
                "span {lo} beyond the file for\n{src}"
            );
            let text = kvet_report::render_error("gen.kvet", &src, pre, &e, false);
            assert!(text.contains("gen.kvet:") || text.contains("<kvet prelude>"), "unlocated error {text} for\n{src}");
            return;
        }
    };
    let opts = kvet_explore::Options { max_states: 3000, max_memory: 256 << 20, ..Default::default() };
    let ex = kvet_explore::explore(&prog, &opts);
    // every finding replays to the same kind
    for v in &ex.violations {
        let tr = kvet_explore::replay(&prog, &v.path);
        assert!(tr.is_ok(), "replay failed for {:?} in\n{src}", v.kind);
    }
    // The LKMM engine on generated scenarios, bounded in time and in the
    // memory of its coherence orders (kvet_axiom::budget): a location
    // written by dozens of CPUs is a TooLarge error, not an abort.
    // KVET_GEN_LKMM=0 skips it.
    if std::env::var_os("KVET_GEN_LKMM").is_none_or(|v| v != "0") {
        if std::env::var_os("KVET_GEN_PRINT").is_some() {
            eprintln!("=====\n{src}");
        }
        let model = kvet_axiom::native::NativeLkmm::new();
        let gopts = kvet_axiom::gen::GenOptions {
            max_seconds: Some(0.5),
            max_traces: 1 << 12,
            max_memory: Some(64 << 20),
            ..Default::default()
        };
        let _ = kvet_axiom::gen::run(&prog, &model, &gopts);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn generated_scenarios_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        check_one(&bytes);
    }
}
