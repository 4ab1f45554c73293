//! The generator's symmetry reduction (`gen/symmetry.rs`) is exact: with
//! it and without it ([`GenOptions::exhaustive`]) the positive and
//! negative counts, the states and the flags are the same.
//!
//! Inputs: the C tests of the corpus (`shared/litmus`) without a filter
//! whose name repeats a thread's part (`C-SB+o-o+o-o`: threads alike up
//! to their locations), and random tests whose threads are one body
//! rotated over the variables (`x0, x1`, `x1, x2`, ...), with pointers,
//! RMWs and an asymmetric condition, sometimes with one thread changed.

mod common;
use common::files;
use kvet_axiom::gen::{run, GenError, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use proptest::prelude::*;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// (`candidates`: compare the number of candidates too.  Not for tests
/// with locks: outside `exhaustive` the generator hands the model one
/// candidate per choice of lock orders, `gen/lock_order.rs`, whose
/// verdicts together are those of the whole candidate.)
fn summary(prog: &kvet_ir::Program, exhaustive: bool, candidates: bool) -> Option<String> {
    let opts = GenOptions { exhaustive, max_work: Some(20_000), ..Default::default() };
    let r: Result<LitmusResult, GenError> = run(prog, &NativeLkmm::new(), &opts);
    let r = match r {
        Ok(r) => r,
        Err(GenError::Timeout | GenError::TooLarge(_)) => return None,
        Err(e) => return Some(format!("error {e}")),
    };
    let mut outcomes = r.outcomes.clone();
    outcomes.sort();
    let cands = if candidates { r.candidates.to_string() } else { "-".to_string() };
    Some(format!(
        "pos {} neg {} toofar {} candidates {cands} states {:?} flags {:?}",
        r.pos, r.neg, r.toofar, outcomes, r.flags
    ))
}

fn compare(prog: &kvet_ir::Program, what: &str, candidates: bool) -> Result<bool, String> {
    let (Some(fast), Some(slow)) = (summary(prog, false, candidates), summary(prog, true, candidates)) else {
        return Ok(false);
    };
    if fast != slow {
        return Err(format!("{what}:\n with symmetry {fast}\n without      {slow}"));
    }
    Ok(true)
}

#[test]
fn corpus_tests_with_alike_threads() {
    let mut all = Vec::new();
    files(&root().join("../shared/litmus"), "litmus", &mut all);
    let (mut compared, mut bad) = (0, Vec::new());
    for f in all {
        let name = f.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let parts: Vec<&str> = name.split('+').skip(1).map(|p| p.split('-').next().unwrap_or(p)).collect();
        let mut sorted = parts.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if parts.len() < 2 || sorted.len() == parts.len() {
            continue;
        }
        let src = std::fs::read_to_string(&f).expect("read");
        if !src.starts_with("C ") || src.contains("\nfilter") {
            continue;
        }
        let Ok(prog) = kvet_ir::compile(&src) else { continue };
        let locks = src.contains("spin_");
        match compare(&prog, &f.display().to_string(), !locks) {
            Ok(true) => compared += 1,
            Ok(false) => {}
            Err(e) => bad.push(e),
        }
    }
    println!("compared {compared} corpus tests");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared >= 50, "only {compared} compared");
}

/// `n` threads running one random body over `(x{i}, x{i+1 mod n}, l)`,
/// the last one changed when `odd`; a condition on some registers.
fn build(tape: &[u8]) -> String {
    let mut t = tape.iter().copied().cycle();
    let mut next = |m: u8| t.next().unwrap_or(0) % m;
    let n = 2 + next(2) as usize;
    let odd = next(4) == 0;
    let mut body = Vec::new();
    let mut nr = 0;
    for _ in 0..(2 + next(3)) {
        let loc = if next(2) == 0 { "@A" } else { "@B" };
        match next(9) {
            0 | 1 if nr < 2 => {
                body.push(format!("\tr{nr} = READ_ONCE(*{loc});"));
                nr += 1;
            }
            2 if nr < 2 => {
                body.push(format!("\tr{nr} = xchg_acquire(l, {});", 1 + next(2)));
                nr += 1;
            }
            3 if nr < 2 => {
                body.push(format!("\tr{nr} = cmpxchg(l, 0, 1);"));
                nr += 1;
            }
            4 => body.push("\tsmp_store_release(l, 0);".to_string()),
            5 => body.push("\tsmp_mb();".to_string()),
            6 => body.push(format!("\tWRITE_ONCE(*@P, {loc});")),
            _ => body.push(format!("\tWRITE_ONCE(*{loc}, {});", 1 + next(2))),
        }
    }
    let mut src = String::from("C random\n\n{\n");
    for i in 0..n {
        src.push_str(&format!("\tint *p{i}=x{i};\n"));
    }
    src.push_str("}\n\n");
    for i in 0..n {
        let (a, b) = (i, (i + 1) % n);
        src.push_str(&format!("P{i}(int *l, int *x{a}, int *x{b}, int **p{a})\n{{\n\tint r0; int r1;\n"));
        for line in &body {
            let line = line.replace("@A", &format!("x{a}")).replace("@B", &format!("x{b}"));
            let line = line.replace("@P", &format!("p{a}"));
            src.push_str(&line);
            src.push('\n');
        }
        if odd && i == n - 1 {
            src.push_str(&format!("\tWRITE_ONCE(*x{a}, 3);\n"));
        }
        src.push_str("}\n\n");
    }
    let mut cond = Vec::new();
    for i in 0..n {
        for r in 0..nr {
            if next(2) == 0 {
                cond.push(format!("{i}:r{r}={}", next(2)));
            }
        }
    }
    if next(2) == 0 {
        cond.push(format!("x0={}", next(3)));
    }
    let mut locs: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
    locs.extend((0..n).map(|i| format!("p{i}")));
    src.push_str(&format!("locations [{}]\n", locs.join("; ")));
    src.push_str(&format!("exists ({})\n", if cond.is_empty() { "l=0".to_string() } else { cond.join(" /\\ ") }));
    src
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn random_rotated_tests(tape in proptest::collection::vec(any::<u8>(), 64)) {
        let src = build(&tape);
        let prog = kvet_ir::compile(&src).map_err(|e| TestCaseError::fail(format!("{}\n{src}", e.message)))?;
        compare(&prog, &src, true).map_err(TestCaseError::fail)?;
    }
}
