//! The bounds of the native LKMM's coherence-order search (`native/lkmm/
//! co_search.rs`: orders and subtrees that a lower bound of
//! `plain-coherence`, `hb`, `pb` or `rb` already rejects are skipped,
//! subtrees whose every leaf is allowed alike are counted) change nothing
//! but the work: with and without them
//! ([`NativeLkmm::without_co_bounds`]) the counts, states, flags,
//! deadlocks and findings are the same.
//!
//! Inputs: every C test of the corpus (`shared/litmus`) with a plain
//! access or a grace period (where the bounds apply), in litmus mode;
//! every example scenario in check mode; small tests in which plain
//! writes of two threads to several locations have many orders, most
//! rejected by `plain-coherence` (the case of a free's poison against an
//! object's plain initialisation).

mod common;
use common::files;
use kvet_axiom::gen::{run, GenOptions};
use kvet_axiom::native::NativeLkmm;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// What must not change, or `None` when the run stopped at a bound.
fn summary(prog: &kvet_ir::Program, kernel: bool, bounds: bool, work: u64) -> Option<String> {
    let opts = GenOptions { deadlocks: true, kernel, max_work: Some(work), ..Default::default() };
    let m =
        if bounds { NativeLkmm::new().allowed_only() } else { NativeLkmm::new().allowed_only().without_co_bounds() };
    common::run_summary(run(prog, &m, &opts), true)
}

/// `Ok(true)` if both runs completed and agree.
fn compare(prog: &kvet_ir::Program, kernel: bool, work: u64, what: &str) -> Result<bool, String> {
    let (Some(with), Some(without)) = (summary(prog, kernel, true, work), summary(prog, kernel, false, work)) else {
        return Ok(false);
    };
    if with != without {
        return Err(format!("{what} (kernel {kernel}):\n with bounds    {with}\n without bounds {without}"));
    }
    Ok(true)
}

fn compare_dir(dir: &Path, ext: &str, kernel: bool, work: u64, keep: impl Fn(&str) -> bool) -> (usize, Vec<String>) {
    let mut all = Vec::new();
    files(dir, ext, &mut all);
    let (mut compared, mut bad) = (0, Vec::new());
    for f in all {
        let src = std::fs::read_to_string(&f).expect("read");
        if !keep(&src) {
            continue;
        }
        let Ok(prog) = kvet_ir::compile(&src) else { continue };
        match compare(&prog, kernel, work, &f.display().to_string()) {
            Ok(true) => compared += 1,
            Ok(false) => {}
            Err(e) => bad.push(e),
        }
    }
    (compared, bad)
}

/// A C test has a plain access if some line of a thread body assigns
/// or reads through a pointer without a marked primitive.
fn plain_or_gp(src: &str) -> bool {
    src.starts_with("C ")
        && (src.contains("synchronize_rcu")
            || src.contains("synchronize_srcu")
            || src.lines().any(|l| {
                let t = l.trim_start();
                t.starts_with('*') && t.contains('=') || t.contains("= *")
            }))
}

#[test]
fn corpus_tests_with_plain_accesses_or_grace_periods() {
    let (compared, bad) = compare_dir(&root().join("../shared/litmus"), "litmus", false, 10_000, plain_or_gp);
    println!("compared {compared} corpus tests");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared >= 20, "only {compared} compared");
}

#[test]
fn example_scenarios_in_check_mode() {
    let (compared, bad) = compare_dir(&root().join("examples"), "kvet", true, 3_000, |_| true);
    println!("compared {compared} examples");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared >= 10, "only {compared} compared");
}

/// P0 initialises `k` fields plainly and publishes the object; P1 takes
/// it and overwrites every field (marked or plain): each field has two
/// orders, and the one putting P1's write first is rejected by
/// `plain-coherence` (P0's write is visible to P1's, `ww-incoh`) when
/// the publication orders them, or is a data race when it does not.
fn publish(k: usize, release: bool, marked: bool) -> String {
    let fields: Vec<String> = (0..k).map(|i| format!("f{i}")).collect();
    let params = fields.iter().map(|f| format!("int *{f}")).collect::<Vec<_>>().join(", ");
    let mut src = format!("C publish\n\n{{}}\n\nP0({params}, int *flag)\n{{\n");
    for f in &fields {
        src.push_str(&format!("\t*{f} = 1;\n"));
    }
    src.push_str(if release { "\tsmp_store_release(flag, 1);\n}\n\n" } else { "\tWRITE_ONCE(*flag, 1);\n}\n\n" });
    src.push_str(&format!("P1({params}, int *flag)\n{{\n\tint r0;\n\n"));
    src.push_str(if release { "\tr0 = smp_load_acquire(flag);\n" } else { "\tr0 = READ_ONCE(*flag);\n" });
    src.push_str("\tif (r0) {\n");
    for f in &fields {
        if marked {
            src.push_str(&format!("\t\tWRITE_ONCE(*{f}, 2);\n"));
        } else {
            src.push_str(&format!("\t\t*{f} = 2;\n"));
        }
    }
    src.push_str("\t}\n}\n\nexists (1:r0=1 /\\ f0=1)\n");
    src
}

#[test]
fn published_objects_overwritten_by_another_thread() {
    let mut compared = 0;
    for k in [1, 3, 5] {
        for release in [false, true] {
            for marked in [false, true] {
                let src = publish(k, release, marked);
                let prog = kvet_ir::compile(&src).unwrap_or_else(|e| panic!("{}\n{src}", e.message));
                for kernel in [false, true] {
                    match compare(&prog, kernel, 1_000_000, &src) {
                        Ok(true) => compared += 1,
                        Ok(false) => panic!("stopped at the bound:\n{src}"),
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }
    }
    assert_eq!(compared, 24);
}
