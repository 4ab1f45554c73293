//! Property tests of issue 8 ("Done when"), on the library functions
//! `kvet check` and `kvet litmus` use:
//!
//! - on random scenarios (kvet-scenario-gen, as generated.rs), every kind
//!   of finding SC finds that the LKMM engine checks, and every SC outcome
//!   of the final condition, is also an LKMM one (SC ⊆ LKMM); inputs where
//!   either side stops at its bound, or the LKMM does not model a
//!   construct, are skipped and counted;
//! - on every C litmus test of ../shared/litmus, check mode (`kvet check
//!   --model lkmm`: kernel checks on) gives the same outcome set and the
//!   same counts for the condition as `kvet litmus`; tests past the work
//!   bound are skipped and counted.

use arbitrary::Unstructured;
use kvet_axiom::gen::{run, GenError, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use kvet_scenario_gen::{scenario, Limits};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// `kvet check --model both`'s deterministic LKMM work bound.
const WORK: u64 = 10_000;

/// A small deterministic generator of input bytes (xorshift64*).
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

fn check_mode(prog: &kvet_ir::Program) -> Result<LitmusResult, GenError> {
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(WORK), ..Default::default() };
    run(prog, &NativeLkmm::new().allowed_only(), &opts)
}

/// The kinds the LKMM engine checks (kvet_axiom's `FindingKind` names).
const LKMM_KINDS: &[&str] = &[
    "assertion failure",
    "bug",
    "warning",
    "use-after-free",
    "data race",
    "deadlock",
    "hang",
    "ubsan",
    "null dereference",
];

#[derive(Default, Debug)]
struct Tally {
    compared: usize,
    refused: usize,
    sc_bound: usize,
    lkmm_bound: usize,
    not_checked: usize,
}

#[test]
fn random_scenarios_sc_findings_and_outcomes_are_lkmm_ones() {
    let cases: u64 = std::env::var("KVET_PROP_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let mut t = Tally::default();
    let mut bad = Vec::new();
    for seed in 0..cases {
        let data = bytes(seed, 1500);
        let lim = Limits { max_cpus: 3, max_stmts: 6, max_depth: 4 };
        let Ok(src) = scenario(&mut Unstructured::new(&data), lim) else {
            t.refused += 1;
            continue;
        };
        let Ok(prog) = kvet_ir::compile(&src) else {
            t.refused += 1;
            continue;
        };
        let opts = kvet_explore::Options { max_states: 20_000, max_memory: 256 << 20, ..Default::default() };
        let ex = kvet_explore::explore(&prog, &opts);
        if !ex.complete || ex.violations.iter().any(|v| v.kind == kvet_explore::ViolationKind::Bound) {
            t.sc_bound += 1;
            continue;
        }
        let r = match check_mode(&prog) {
            Ok(r) if r.deadlocks_partial || r.toofar => {
                t.lkmm_bound += 1;
                continue;
            }
            Ok(r) => r,
            Err(GenError::Construct { .. }) => {
                t.not_checked += 1;
                continue;
            }
            Err(_) => {
                t.lkmm_bound += 1;
                continue;
            }
        };
        t.compared += 1;
        let lk: BTreeSet<String> = r.findings.iter().map(|f| f.kind.name().to_lowercase()).collect();
        for v in ex.violations.iter().filter(|v| v.kind.is_bug()) {
            let k = v.kind.name().to_lowercase();
            if LKMM_KINDS.contains(&k.as_str()) && !lk.contains(&k) {
                bad.push(format!("seed {seed}: SC finds {k}, the LKMM does not ({lk:?})\n{src}"));
            }
        }
        if prog.quant.is_some() {
            let lko: BTreeSet<Vec<i64>> = r.outcomes.iter().cloned().collect();
            for o in ex.outcomes.keys() {
                let o: Vec<i64> = o[..prog.ndisplay.min(o.len())].to_vec();
                if !lko.contains(&o) {
                    bad.push(format!("seed {seed}: SC outcome {o:?} is not an LKMM one ({lko:?})\n{src}"));
                }
            }
        }
    }
    eprintln!("random scenarios: {cases} cases, {t:?}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(t.compared >= 20, "too few compared: {t:?}");
}

fn litmus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/litmus"))
}

/// Known disagreements, with the reason (reported to the lead; in
/// kvet-axiom's gen/search.rs): check mode gives reads no unsolved value
/// (`thread::SYM`, a value justified only through a cycle, out of thin
/// air), while `kvet litmus` does, as herd does; so the executions where
/// a value comes out of thin air (which linux-kernel.cat allows for these
/// tests, and herd7 counts) are missing from check mode.
const KNOWN: &[&str] = &[
    "paulmck-manual/kernel/crypto-control-data.litmus",
    "paulmck-manual/oota/C-AS-OOTA-1.litmus",
    "paulmck-manual/oota/C-JO-OOTA-1.litmus",
    "paulmck-manual/oota/C-JO-OOTA-2.litmus",
    "paulmck-manual/oota/C-JO-OOTA-3.litmus",
    "paulmck-manual/oota/C-JO-OOTA-6.litmus",
    "paulmck-manual/plain/C-OOTA.litmus",
];

/// The outcome set and the counts of the condition.
fn summary(r: &LitmusResult) -> String {
    format!("{} {} {:?}", r.pos, r.neg, r.outcomes)
}

#[test]
fn corpus_check_mode_gives_litmus_outcomes() {
    let files = kvet::walk(&litmus_dir(), &["litmus"]).unwrap();
    let only = std::env::var("KVET_ONLY").ok();
    let mut compared = 0;
    let mut skipped = 0;
    let mut not_c = 0;
    let mut known_n = 0;
    let mut bad = Vec::new();
    for f in &files {
        if only.as_ref().is_some_and(|o| !f.display().to_string().contains(o.as_str())) {
            continue;
        }
        let Ok(src) = std::fs::read_to_string(f) else { continue };
        if !src.trim_start().starts_with("C ") {
            not_c += 1;
            continue;
        }
        let Ok(prog) = kvet_ir::compile(&src) else {
            not_c += 1;
            continue;
        };
        let lit = run(
            &prog,
            &NativeLkmm::new().allowed_only(),
            &GenOptions { deadlocks: true, max_work: Some(WORK), ..Default::default() },
        );
        let chk = check_mode(&prog);
        match (lit, chk) {
            (Ok(a), Ok(b)) if !a.deadlocks_partial && !b.deadlocks_partial => {
                compared += 1;
                let known = KNOWN.iter().any(|k| f.ends_with(k));
                let same = summary(&a) == summary(&b) && a.toofar == b.toofar;
                if known {
                    // still a difference: when it goes away, drop it from KNOWN
                    assert!(!same, "{} agrees now: remove it from KNOWN", f.display());
                    known_n += 1;
                } else if !same {
                    bad.push(format!(
                        "{}: kvet litmus {} (toofar {}), kvet check --model lkmm {} (toofar {})",
                        f.display(),
                        summary(&a),
                        a.toofar,
                        summary(&b),
                        b.toofar
                    ));
                }
            }
            _ => skipped += 1,
        }
    }
    eprintln!(
        "litmus corpus: {compared} compared ({known_n} known to differ), {skipped} skipped at the work bound ({WORK}) or refused by check mode, {not_c} not C or not compiled"
    );
    assert!(bad.is_empty(), "{} mismatches:\n{}", bad.len(), bad.join("\n"));
}
