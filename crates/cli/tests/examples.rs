//! Every scenario under `examples/` states its expected verdict in its
//! header (`Expect: ok`, `Expect: deadlock`, ...); kvet must give exactly
//! that. Adding an example means adding a file.
//!
//! Per model: `Expect:` is what the SC explorer finds (reduced and
//! unreduced alike).  `Expect-lkmm:` is what `kvet check --model lkmm`
//! finds, when it differs: more kinds (weak-memory-only findings), or
//! `not checked` for a scenario using a construct the LKMM engine does
//! not model yet.  Without it, the LKMM must find exactly `Expect:`.
//! Whenever the LKMM checks a scenario, it finds every kind SC finds
//! among those it checks ([`LKMM_KINDS`]: not yet lockdep's rules,
//! sleeping in atomic context or lock misuse).  `timeout` is the LKMM
//! engine stopping at [`LKMM_WORK`]: a scenario too large for it yet.

use kvet_explore::{explore, Options};
use std::path::PathBuf;

/// The first-found bug kind, or "ok".
fn verdict(src: &str) -> String {
    let prog = kvet_ir::compile(src)
        .unwrap_or_else(|e| panic!("{} at {:?}", e.message, kvet_syntax::line_col(src, e.span.lo)));
    sc_verdict(&prog)
}

/// The kinds of finding the LKMM engine checks.
const LKMM_KINDS: &[&str] = &["assertion failure", "bug", "warning", "use-after-free", "data race", "deadlock", "hang"];

/// Work bound of the LKMM engine per example: `kvet check`'s default
/// under `--model both` (deterministic, unlike a time bound).
const LKMM_WORK: u64 = 10_000;

/// The LKMM's finding kinds, "ok", "not checked" or "timeout".
fn lkmm_verdict(src: &str) -> String {
    let prog = kvet_ir::compile(src).expect("compiles");
    let model = kvet_axiom::native::NativeLkmm::new().allowed_only();
    let opts =
        kvet_axiom::gen::GenOptions { deadlocks: true, kernel: true, max_work: Some(LKMM_WORK), ..Default::default() };
    // as `kvet check` does: an incomplete check runs again deeper, up to
    // its MAX_UNROLL (6), within the same work bound
    match kvet_axiom::gen::run_deepening(&prog, &model, &opts, 6, 0).map(|d| d.result) {
        Ok(r) if r.deadlocks_partial => "timeout".to_string(),
        Ok(r) => {
            let mut kinds: Vec<String> = r.findings.iter().map(|f| f.kind.name().to_lowercase()).collect();
            kinds.sort();
            kinds.dedup();
            if kinds.is_empty() {
                if r.toofar {
                    "incomplete".to_string()
                } else {
                    "ok".to_string()
                }
            } else {
                kinds.join(", ")
            }
        }
        Err(kvet_axiom::gen::GenError::Construct { .. }) => "not checked".to_string(),
        // stopped at a bound: work, or the size of the path enumeration
        Err(kvet_axiom::gen::GenError::Timeout | kvet_axiom::gen::GenError::TooLarge(_)) => "timeout".to_string(),
        Err(e) => format!("error: {e}"),
    }
}

fn header(src: &str, key: &str) -> Option<String> {
    let line = src.lines().find(|l| l.contains(key))?;
    let raw = line.split(key).nth(1)?.trim().trim_end_matches("*)").trim().to_lowercase();
    let mut kinds: Vec<&str> = raw.split(',').map(str::trim).collect();
    kinds.sort();
    Some(kinds.join(", "))
}

fn sc_verdict(prog: &kvet_ir::Program) -> String {
    let ex = explore(prog, &Options::default());
    assert!(ex.complete, "search incomplete");
    // partial-order reduction must not change what is found, nor the outcomes
    let full = explore(prog, &Options { reduce: false, ..Options::default() });
    let names = |e: &kvet_explore::Exploration| {
        let mut k: Vec<_> = e.violations.iter().map(|v| v.kind).collect();
        k.sort();
        k
    };
    assert_eq!(names(&ex), names(&full), "reduction changed the findings");
    assert_eq!(
        ex.outcomes.keys().collect::<Vec<_>>(),
        full.outcomes.keys().collect::<Vec<_>>(),
        "reduction changed the outcomes"
    );
    let mut kinds: Vec<_> =
        ex.violations.iter().filter(|v| v.kind.is_bug()).map(|v| v.kind.name().to_lowercase()).collect();
    kinds.sort();
    kinds.dedup();
    if kinds.is_empty() {
        "ok".to_string()
    } else {
        kinds.join(", ")
    }
}

#[test]
fn examples_give_their_expected_verdicts() {
    let all = kvet::walk(&PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")), &["kvet"]).unwrap();
    assert!(!all.is_empty());
    let mut bad = Vec::new();
    for f in &all {
        let src = std::fs::read_to_string(f).unwrap();
        // `Expect: kind[, kind...]`: exactly the kinds found, in any order
        let Some(want) = header(&src, "Expect:") else {
            bad.push(format!("{}: no `Expect:` line in the header", f.display()));
            continue;
        };
        let got = verdict(&src);
        if got != want {
            bad.push(format!("{}: expected {want}, kvet says {got}", f.display()));
        }
        let want_lkmm = header(&src, "Expect-lkmm:").unwrap_or_else(|| want.clone());
        let got_lkmm = lkmm_verdict(&src);
        if got_lkmm != want_lkmm {
            bad.push(format!("{}: expected {want_lkmm} under the LKMM, kvet says {got_lkmm}", f.display()));
        }
        if !matches!(got_lkmm.as_str(), "not checked" | "timeout") && got != "ok" {
            for k in got.split(", ").filter(|k| LKMM_KINDS.contains(k)) {
                if !got_lkmm.split(", ").any(|x| x == k) {
                    bad.push(format!("{}: SC finds {k}, the LKMM does not", f.display()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
