//! The generator's exact shortcuts change nothing but the work: with and
//! without them ([`GenOptions::exhaustive`]) the counts, states, flags,
//! deadlocks and findings are the same.  The shortcuts: the `filter`
//! clause checked on the registers of a partial combination of paths,
//! the deadlock pass skipping the combinations with nothing new to
//! show, and each location's coherence checked alone before the partial
//! model checks, memoised per projection of the paths on the location
//! and decided on those projections before the events are built
//! (`gen/loc_memo.rs`), and no partial check after choosing a read's only
//! candidate source.
//!
//! Inputs: every C test of the corpus (`shared/litmus`) that has a
//! `filter` clause, takes a lock or makes an RMW, in litmus mode with the
//! deadlock search; every example scenario in check mode; random litmus tests
//! with locks in both modes.

mod common;
use common::files;
use kvet_axiom::gen::{run, GenOptions};
use kvet_axiom::native::NativeLkmm;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// What must not change, or `None` when either run stopped at a bound.
fn summary(prog: &kvet_ir::Program, kernel: bool, exhaustive: bool) -> Option<String> {
    let opts = GenOptions {
        deadlocks: true,
        kernel,
        exhaustive,
        max_work: Some(if kernel { 3_000 } else { 10_000 }),
        ..Default::default()
    };
    common::run_summary(run(prog, &NativeLkmm::new().allowed_only(), &opts), false)
}

fn compare(prog: &kvet_ir::Program, kernel: bool, what: &str) -> Result<bool, String> {
    let (Some(fast), Some(slow)) = (summary(prog, kernel, false), summary(prog, kernel, true)) else {
        return Ok(false);
    };
    if fast != slow {
        return Err(format!("{what} (kernel {kernel}):\n with shortcuts {fast}\n without       {slow}"));
    }
    Ok(true)
}

/// Compare every file under `dir` ending in `ext` whose source `keep`
/// accepts; the number compared, and the differences.
fn compare_dir(dir: &Path, ext: &str, kernel: bool, keep: impl Fn(&str) -> bool) -> (usize, Vec<String>) {
    let mut all = Vec::new();
    files(dir, ext, &mut all);
    let (mut compared, mut bad) = (0, Vec::new());
    for f in all {
        let src = std::fs::read_to_string(&f).expect("read");
        if !keep(&src) {
            continue;
        }
        let Ok(prog) = kvet_ir::compile(&src) else { continue };
        match compare(&prog, kernel, &f.display().to_string()) {
            Ok(true) => compared += 1,
            Ok(false) => {}
            Err(e) => bad.push(e),
        }
    }
    (compared, bad)
}

#[test]
fn corpus_tests_with_a_filter_or_a_lock() {
    let (compared, bad) = compare_dir(&root().join("../shared/litmus"), "litmus", false, |src| {
        src.starts_with("C ") && (src.contains("\nfilter") || src.contains("spin_lock"))
    });
    println!("compared {compared} corpus tests");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared >= 20, "only {compared} compared");
}

#[test]
fn corpus_tests_with_an_rmw() {
    let (compared, bad) = compare_dir(&root().join("../shared/litmus"), "litmus", false, |src| {
        src.starts_with("C ") && (src.contains("xchg") || src.contains("atomic_"))
    });
    println!("compared {compared} corpus tests");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared >= 20, "only {compared} compared");
}

#[test]
fn example_scenarios_in_check_mode() {
    let (compared, bad) = compare_dir(&root().join("examples"), "kvet", true, |_| true);
    println!("compared {compared} examples");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared >= 10, "only {compared} compared");
}

/// A random litmus test of 2 or 3 threads over two locks and two
/// variables, with a filter on the first registers.
fn build(tape: &[u8]) -> String {
    let mut t = tape.iter().copied().cycle();
    let mut next = |m: u8| t.next().unwrap_or(0) % m;
    let nthreads = 2 + next(2) as usize;
    let mut src = String::from("C random\n\n{}\n\n");
    let mut regs = Vec::new();
    for p in 0..nthreads {
        src.push_str(&format!("P{p}(int *x, int *y, spinlock_t *a, spinlock_t *b)\n{{\n\tint r0; int r1;\n"));
        let mut held: Vec<&str> = Vec::new();
        let mut nr = 0;
        for _ in 0..(2 + next(4)) {
            let loc = if next(2) == 0 { "x" } else { "y" };
            match next(7) {
                0 | 1 if nr < 2 => {
                    src.push_str(&format!("\tr{nr} = READ_ONCE(*{loc});\n"));
                    regs.push((p, nr));
                    nr += 1;
                }
                2 => src.push_str(&format!("\tWRITE_ONCE(*{loc}, {});\n", 1 + next(2))),
                3 => src.push_str("\tsmp_mb();\n"),
                4 | 5 => {
                    let l = if next(2) == 0 { "a" } else { "b" };
                    if !held.contains(&l) {
                        src.push_str(&format!("\tspin_lock({l});\n"));
                        held.push(l);
                    }
                }
                _ => {
                    if let Some(l) = held.pop() {
                        src.push_str(&format!("\tspin_unlock({l});\n"));
                    }
                }
            }
        }
        if next(3) != 0 {
            while let Some(l) = held.pop() {
                src.push_str(&format!("\tspin_unlock({l});\n"));
            }
        }
        src.push_str("}\n\n");
    }
    if let Some(&(p, r)) = regs.first() {
        src.push_str(&format!("filter ({p}:r{r}={})\n", next(2)));
    }
    let cond: Vec<String> = regs.iter().skip(1).map(|(p, r)| format!("{p}:r{r}=0")).collect();
    src.push_str(&format!("exists ({})\n", if cond.is_empty() { "x=0".to_string() } else { cond.join(" /\\ ") }));
    src
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn random_tests_with_locks(tape in proptest::collection::vec(any::<u8>(), 64)) {
        let src = build(&tape);
        let prog = kvet_ir::compile(&src).map_err(|e| TestCaseError::fail(format!("{}\n{src}", e.message)))?;
        for kernel in [false, true] {
            compare(&prog, kernel, &src).map_err(TestCaseError::fail)?;
        }
    }
}
