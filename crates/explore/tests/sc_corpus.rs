//! The SC explorer against herd7 run with `sc-kernel.cat` (the LKMM plus
//! one total order), file by file from `../shared/litmus/herd7-sc-verdicts.tsv`:
//! same verdict and same outcome (state) count. And SC soundness against
//! the LKMM: every test herd7 says is Never under the LKMM is Never
//! under SC too.

use kvet_explore::{explore, Options};
use std::path::PathBuf;

fn shared() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/litmus"))
}

struct Row {
    file: String,
    verdict: String,
    states: Option<u64>,
}

fn rows(tsv: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(shared().join(tsv)).expect("oracle TSV");
    kvet_syntax::herd_verdicts(&text)
        .into_iter()
        .filter(|f| f.decided())
        .map(|f| Row { states: f.states.parse().ok(), file: f.file, verdict: f.verdict })
        .collect()
}

/// (verdict, number of outcomes) of one file under the SC explorer,
/// computed once per file for all tests of this binary.
fn sc_verdict(file: &str) -> Result<(String, u64), String> {
    type Cache = std::collections::HashMap<String, Result<(String, u64), String>>;
    static CACHE: std::sync::Mutex<Option<Cache>> = std::sync::Mutex::new(None);
    if let Some(r) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(Default::default).get(file) {
        return r.clone();
    }
    let r = sc_verdict_uncached(file);
    CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(Default::default)
        .insert(file.to_string(), r.clone());
    r
}

fn sc_verdict_uncached(file: &str) -> Result<(String, u64), String> {
    let src = std::fs::read_to_string(shared().join(file)).map_err(|e| e.to_string())?;
    let prog =
        kvet_ir::compile(&src).map_err(|e| format!("{}: {}", e.message, kvet_syntax::line_col(&src, e.span.lo).0))?;
    let opts = Options { max_states: 20_000_000, ..Options::default() };
    let ex = explore(&prog, &opts);
    if !ex.complete {
        return Err(format!("incomplete after {} states", ex.states));
    }
    // herd7 reads a test without a final condition as `exists true`.
    let c = prog.quant.as_ref().map_or(kvet_ir::Cond::True, |(_, c)| c.clone());
    let pos = ex.outcomes.keys().filter(|o| c.eval(o)).count();
    let n = ex.outcomes.len();
    let v = kvet_ir::Observation::of(pos as u64, (n - pos) as u64);
    Ok((v.to_string(), n as u64))
}

/// Files where sequential consistency with the kernel's operational RCU
/// (synchronize_rcu()/synchronize_srcu() wait for every reader section
/// that began before them) is stronger than `sc-kernel.cat`, whose RCU
/// guarantee is the LKMM's axiomatic one (Documentation/RCU: a cycle with
/// more read-side critical sections than grace periods is allowed, and
/// plain racy accesses get no RCU ordering). kvet's outcome sets are the
/// operational ones, a subset of herd7's; each difference is an outcome
/// that would need a reader to span a whole grace period.
const OPERATIONAL_RCU_STRONGER: &[&str] = &[
    "paulmck-manual/demo/C-Figure8.litmus",
    "paulmck-manual/demo/C-LB+rl-deref-o-rul+o-sync-o+rl-o-o-rlu.litmus",
    "paulmck-manual/kernel/C-srcu-observed-4.litmus",
    "paulmck-manual/plain/C-S-rcunoderef-1.litmus",
];

#[test]
fn sc_outcomes_match_herd7_sc() {
    let rows = rows("herd7-sc-verdicts.tsv");
    assert!(rows.len() > 800);
    let mut bad = Vec::new();
    for r in &rows {
        match sc_verdict(&r.file) {
            Ok((v, n)) if OPERATIONAL_RCU_STRONGER.contains(&r.file.as_str()) => {
                // a strict subset of herd7's outcomes, never a new one
                if Some(n) >= r.states || (r.verdict == "Never" && v != "Never") {
                    bad.push(format!("{}: kvet {v} {n} states, herd7-sc {} {:?}", r.file, r.verdict, r.states));
                }
            }
            Ok((v, n)) => {
                if v != r.verdict || Some(n) != r.states {
                    bad.push(format!("{}: kvet {v} {n} states, herd7-sc {} {:?}", r.file, r.verdict, r.states));
                }
            }
            Err(e) => bad.push(format!("{}: {e}", r.file)),
        }
    }
    for b in &bad {
        eprintln!("{b}");
    }
    eprintln!("{} of {} files differ", bad.len(), rows.len());
    assert!(bad.is_empty());
}

#[test]
fn lkmm_never_is_sc_never() {
    let rows = rows("herd7-verdicts.tsv");
    let mut unsound = Vec::new();
    let mut sc_never_lkmm_sometimes = 0;
    for r in &rows {
        let Ok((v, _)) = sc_verdict(&r.file) else { continue };
        if r.verdict == "Never" && v != "Never" {
            unsound.push(format!("{}: LKMM Never, SC {v}", r.file));
        }
        if r.verdict == "Sometimes" && v == "Never" {
            sc_never_lkmm_sometimes += 1;
        }
    }
    eprintln!("LKMM-Sometimes tests that are SC-Never: {sc_never_lkmm_sometimes}");
    for u in &unsound {
        eprintln!("{u}");
    }
    assert!(unsound.is_empty());
}
