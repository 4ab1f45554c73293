//! The bounds of the native LKMM's partial check (`native/lkmm/
//! partial.rs`: a lock order whose known edges already break `rb` or
//! `plain-coherence` is rejected, and the single-order lock locations are
//! checked alone before the combinations of the others) change nothing
//! but the work: with and without them
//! ([`NativeLkmm::without_partial_bounds`]) the counts, states, flags,
//! deadlocks and findings are the same.  (Not the number of candidates
//! evaluated: what the bounds reject never reaches the model.)
//!
//! Inputs: plain counters updated under a lock by several threads (whose
//! lock orders the generator fixes, most of them rejected by
//! `plain-coherence` once a critical section reads an older value), in
//! litmus and check mode, with and without the generator's shortcuts
//! (`exhaustive`: the lock orders are left to the partial check, which
//! then tries their combinations); every example scenario in check mode.

mod common;
use common::files;
use kvet_axiom::gen::{run, GenOptions};
use kvet_axiom::native::NativeLkmm;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// What must not change, or `None` when the run stopped at a bound;
/// with the partial checks that rejected.
fn summary(prog: &kvet_ir::Program, kernel: bool, exhaustive: bool, bounds: bool, work: u64) -> (Option<String>, u64) {
    let opts = GenOptions { deadlocks: true, kernel, exhaustive, max_work: Some(work), ..Default::default() };
    let m = if bounds {
        NativeLkmm::new().allowed_only()
    } else {
        NativeLkmm::new().allowed_only().without_partial_bounds()
    };
    let s = common::run_summary(run(prog, &m, &opts), false);
    (s, kvet_axiom::deadline::counters().partial_rejected)
}

/// `Ok(Some((rejected with, rejected without)))` if both runs completed
/// and agree.
fn compare(
    prog: &kvet_ir::Program,
    kernel: bool,
    exhaustive: bool,
    work: u64,
    what: &str,
) -> Result<Option<(u64, u64)>, String> {
    let (with, rw) = summary(prog, kernel, exhaustive, true, work);
    let (without, ro) = summary(prog, kernel, exhaustive, false, work);
    let (Some(with), Some(without)) = (with, without) else {
        return Ok(None);
    };
    if with != without {
        return Err(format!(
            "{what} (kernel {kernel}, exhaustive {exhaustive}):\n with bounds    {with}\n without bounds {without}"
        ));
    }
    Ok(Some((rw, ro)))
}

/// `threads` threads, each adding one to a plain counter `sections`
/// times, each time under the lock; the last thread reads it under the
/// lock too (and, with `marked`, publishes a flag after its sections).
fn locked_counter(threads: usize, sections: usize, marked: bool) -> String {
    let mut src = String::from("C locked-counter\n\n{}\n\n");
    for t in 0..threads {
        src.push_str(&format!("P{t}(spinlock_t *l, int *x, int *f)\n{{\n\tint r0;\n\n"));
        for _ in 0..sections {
            src.push_str("\tspin_lock(l);\n\tr0 = *x;\n\t*x = r0 + 1;\n\tspin_unlock(l);\n");
        }
        if marked && t == 0 {
            src.push_str("\tWRITE_ONCE(*f, 1);\n");
        }
        src.push_str("}\n\n");
    }
    let last = threads;
    src.push_str(&format!("P{last}(spinlock_t *l, int *x, int *f)\n{{\n\tint r0;\n\tint r1;\n\n"));
    if marked {
        src.push_str("\tr1 = READ_ONCE(*f);\n");
    }
    src.push_str("\tspin_lock(l);\n\tr0 = *x;\n\tspin_unlock(l);\n}\n\n");
    src.push_str(&format!("exists ({last}:r0=1)\n"));
    src
}

#[test]
fn locked_plain_counters() {
    let (mut compared, mut rejected_with, mut rejected_without) = (0, 0, 0);
    for (threads, sections) in [(2, 1), (2, 2), (3, 1)] {
        {
            for marked in [false, true] {
                let src = locked_counter(threads, sections, marked);
                let prog = kvet_ir::compile(&src).unwrap_or_else(|e| panic!("{}\n{src}", e.message));
                for kernel in [false, true] {
                    for exhaustive in [false, true] {
                        match compare(&prog, kernel, exhaustive, 1_000_000, &src) {
                            Ok(Some((rw, ro))) => {
                                compared += 1;
                                rejected_with += rw;
                                rejected_without += ro;
                            }
                            Ok(None) => panic!("stopped at the bound:\n{src}"),
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            }
        }
    }
    assert_eq!(compared, 24);
    // (these are small: the examples below are where the bounds reject
    // most, e.g. the wait-queue and seed 000 scenarios)
    println!("partial checks rejected: {rejected_with} with the bounds, {rejected_without} without");
}

#[test]
fn example_scenarios_in_check_mode() {
    let mut all = Vec::new();
    files(&root().join("examples"), "kvet", &mut all);
    let (mut compared, mut bad) = (0, Vec::new());
    for f in all {
        let src = std::fs::read_to_string(&f).expect("read");
        let Ok(prog) = kvet_ir::compile(&src) else { continue };
        match compare(&prog, true, false, 3_000, &f.display().to_string()) {
            Ok(Some(_)) => compared += 1,
            Ok(None) => {}
            Err(e) => bad.push(e),
        }
    }
    println!("compared {compared} examples");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared >= 10, "only {compared} compared");
}
