//! The parallel search gives the sequential search's answers: states,
//! transitions, depth, outcomes, findings with their traces, on every
//! example and seed scenario, with 1, 2 and 4 worker threads.

use kvet_explore::{Exploration, Options};
use kvet_scenario_gen::scaled::seed004;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "kvet" || e == "litmus") {
            out.push(p);
        }
    }
}

pub fn scenarios() -> Vec<(String, Arc<kvet_ir::Program>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut v = Vec::new();
    files(&root, &mut v);
    v.into_iter()
        .filter_map(|p| {
            let src = std::fs::read_to_string(&p).unwrap();
            let file = kvet_syntax::parse_with_prelude(kvet_ir::PRELUDE, &src).ok()?;
            let prog = kvet_ir::lower(&file, &src, kvet_ir::PRELUDE).ok()?;
            Some((p.strip_prefix(&root).unwrap().display().to_string(), Arc::new(prog)))
        })
        .collect()
}

/// Everything the output depends on.
fn summary(e: &Exploration) -> String {
    format!(
        "states {} transitions {} depth {} complete {} stopped {:?} frontier {}\noutcomes {:?}\nviolations {:#?}",
        e.states, e.transitions, e.depth, e.complete, e.stopped, e.frontier, e.outcomes, e.violations
    )
}

fn par(prog: &Arc<kvet_ir::Program>, opts: &Options, workers: usize) -> Exploration {
    kvet_dist::explore(prog.clone(), opts, &kvet_dist::Config::threads(workers), None).unwrap().0
}

#[test]
fn same_as_sequential_without_reduction() {
    let opts = Options { reduce: false, max_states: 3_000_000, ..Options::default() };
    for (name, prog) in scenarios() {
        let seq = kvet_explore::explore(&prog, &opts);
        if seq.states > 200_000 {
            continue; // bench/counter-6: a benchmark, not a test
        }
        let seq = summary(&seq);
        for w in [1, 2, 4] {
            let p = summary(&par(&prog, &opts, w));
            assert_eq!(seq, p, "{name} with {w} workers");
        }
    }
}

#[test]
#[ignore]
fn sizes() {
    for (name, prog) in scenarios() {
        for reduce in [false, true] {
            let opts = Options { reduce, max_states: 2_000_000, ..Options::default() };
            let t = std::time::Instant::now();
            let e = kvet_explore::explore(&prog, &opts);
            let t1 = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            let p = par(&prog, &opts, 1);
            let t2 = t.elapsed().as_secs_f64();
            eprintln!(
                "{name} reduce={reduce}: states {} depth {} seq {t1:.3}s par1 {t2:.3}s same {}",
                e.states,
                e.depth,
                summary(&e) == summary(&p)
            );
            if summary(&e) != summary(&p) {
                let (a, b) = (summary(&e), summary(&p));
                for (x, y) in a.lines().zip(b.lines()) {
                    if x != y {
                        eprintln!("   seq: {x}\n   par: {y}");
                        break;
                    }
                }
            }
        }
    }
}

fn verdicts(e: &Exploration) -> String {
    let mut kinds: Vec<_> = e.violations.iter().map(|v| v.kind.name()).collect();
    kinds.sort();
    format!("{kinds:?} {:?}", e.outcomes.keys().collect::<Vec<_>>())
}

/// The level-based proviso keeps every verdict: the kinds found and the
/// outcome set are those of the unreduced search.
#[test]
fn reduction_keeps_verdicts() {
    for (name, prog) in scenarios() {
        let full = Options { reduce: false, max_states: 3_000_000, ..Options::default() };
        let want = verdicts(&kvet_explore::explore(&prog, &full));
        let got = verdicts(&par(&prog, &Options::default(), 2));
        assert_eq!(want, got, "{name}");
    }
}

/// The sequential search's cycle proviso is level-based too (an ample
/// set is taken unless a successor was stored at the expanded state's
/// level or before), so the reduced searches agree as well: multi-move
/// ample sets (every move of one CPU), with their successors owned by
/// several workers.
#[test]
fn same_as_sequential_with_reduction() {
    let opts = Options::default();
    for (name, prog) in scenarios() {
        let seq = summary(&kvet_explore::explore(&prog, &opts));
        for w in [1, 2, 4] {
            assert_eq!(seq, summary(&par(&prog, &opts, w)), "{name} with {w} workers");
        }
    }
}

/// Symmetry reduction too: the visited set keeps one state per orbit, and
/// the state kept is the first discoverer's, under reduction or not.
#[test]
fn same_as_sequential_with_symmetry() {
    let mut all = scenarios();
    for n in [2, 3] {
        for fixed in [false, true] {
            let prog = kvet_ir::compile(&seed004(n, fixed)).unwrap();
            all.push((format!("seed004-{n} fixed={fixed}"), Arc::new(prog)));
        }
    }
    let mut n = 0;
    for reduce in [false, true] {
        let opts = Options { reduce, symmetry: true, max_states: 3_000_000, ..Options::default() };
        for (name, prog) in all.iter() {
            let seq = kvet_explore::explore(prog, &opts);
            if !seq.symmetric || seq.states > 200_000 {
                continue;
            }
            n += 1;
            let seq = summary(&seq);
            for w in [1, 2, 4] {
                assert_eq!(seq, summary(&par(prog, &opts, w)), "{name} with {w} workers, reduce={reduce}");
            }
        }
    }
    assert!(n > 0, "no symmetric scenario");
}

/// A state bound reached inside a level stops the parallel search where
/// the sequential search stops, at the state that reaches it: the same
/// states, transitions, depth, frontier, outcomes and findings, with and
/// without reduction, for bounds at several places of every example's
/// and seed's search (and on the scaled seed 004, whose levels are wide).
#[test]
fn state_bound_stops_at_the_sequential_state() {
    let mut all = scenarios();
    for fixed in [false, true] {
        all.push((format!("seed004-3 fixed={fixed}"), Arc::new(kvet_ir::compile(&seed004(3, fixed)).unwrap())));
    }
    let mut cut = 0;
    for reduce in [false, true] {
        for (name, prog) in &all {
            let full = Options { reduce, max_states: 3_000_000, ..Options::default() };
            let seq = kvet_explore::explore(prog, &full);
            if seq.states > 20_000 || seq.states < 4 {
                continue;
            }
            for bound in [2, seq.states / 3, seq.states / 2 + 1, seq.states - 1] {
                let opts = Options { max_states: bound, ..full.clone() };
                let seq = kvet_explore::explore(prog, &opts);
                cut += seq.stopped.is_some() as u32;
                let seq = summary(&seq);
                for w in [2, 4] {
                    assert_eq!(
                        seq,
                        summary(&par(prog, &opts, w)),
                        "{name} with {w} workers, bound {bound}, reduce={reduce}"
                    );
                }
            }
        }
    }
    assert!(cut > 50, "only {cut} bounded searches stopped");
}

/// The time bound, reached inside a level, stops every worker cleanly
/// with what was covered: not complete, the reason, and the states
/// stored so far (never more than the complete search's).
#[test]
fn time_bound_stops_cleanly() {
    let prog = Arc::new(kvet_ir::compile(&seed004(4, true)).unwrap());
    let full = Options { reduce: false, max_states: 3_000_000, ..Options::default() };
    let all = kvet_explore::explore(&prog, &full).states;
    let opts = Options { max_seconds: Some(0.0), ..full };
    for w in [2, 4] {
        let e = par(&prog, &opts, w);
        assert!(!e.complete, "{w} workers");
        assert_eq!(e.stopped, Some(kvet_explore::StopReason::Time(0.0)), "{w} workers");
        assert!(e.states >= 1 && e.states < all && e.frontier > 0, "{w} workers: {}", summary(&e));
    }
}
