//! Property tests of the candidate-execution generator on random small
//! litmus tests (source text):
//! * the native LKMM and the cat interpreter running linux-kernel.cfg give
//!   the same states, counts and flags;
//! * every outcome of the SC explorer is an LKMM outcome;
//! * without RCU, the native sc-kernel model gives exactly the explorer's
//!   outcomes (the explorer's RCU is operational and stronger than
//!   sc-kernel.cat's for a few tests).

mod common;

use kvet_axiom::gen::{run, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{CatModel, Model};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

fn lkmm_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/lkmm"))
}

fn interp() -> &'static CatModel {
    static M: OnceLock<CatModel> = OnceLock::new();
    M.get_or_init(|| {
        common::read_cfg(&lkmm_dir().join("linux-kernel.cfg"), &[lkmm_dir().join("herd-libdir")]).expect("LKMM")
    })
}

/// Build a litmus test from a tape of choices; returns (source, uses RCU).
fn build(tape: &[u8]) -> (String, bool) {
    let mut t = tape.iter().copied().cycle();
    let mut next = |m: u8| t.next().unwrap_or(0) % m;
    let nthreads = 2 + next(2) as usize;
    let mut src = String::from("C random\n\n{}\n\n");
    let mut rcu = false;
    let mut regs: Vec<(usize, String)> = Vec::new();
    for p in 0..nthreads {
        src.push_str(&format!("P{p}(int *x, int *y, spinlock_t *l)\n{{\n"));
        let nops = 1 + next(4) as usize;
        let mut mine: Vec<String> = Vec::new();
        for k in 0..nops {
            let loc = if next(2) == 0 { "x" } else { "y" };
            let v = 1 + next(2);
            let r = format!("r{k}");
            let line = match next(14) {
                0 => format!("WRITE_ONCE(*{loc}, {v});"),
                1 => format!("int {r} = READ_ONCE(*{loc});"),
                2 => format!("smp_store_release({loc}, {v});"),
                3 => format!("int {r} = smp_load_acquire({loc});"),
                4 => ["smp_mb();", "smp_wmb();", "smp_rmb();"][next(3) as usize].to_string(),
                5 => format!("int {r} = {}({loc}, {v});", ["xchg", "xchg_relaxed", "xchg_acquire"][next(3) as usize]),
                6 => format!("atomic_inc({loc});"),
                7 => format!("int {r} = cmpxchg({loc}, 0, {v});"),
                8 => format!("spin_lock(l);\n\tWRITE_ONCE(*{loc}, {v});\n\tspin_unlock(l);"),
                9 => {
                    rcu = true;
                    format!("rcu_read_lock();\n\tint {r} = READ_ONCE(*{loc});\n\trcu_read_unlock();")
                }
                10 => {
                    rcu = true;
                    "synchronize_rcu();".to_string()
                }
                11 => match mine.last() {
                    Some(prev) => format!("if ({prev} == 1)\n\t\tWRITE_ONCE(*{loc}, {v});"),
                    None => format!("*{loc} = {v};"),
                },
                12 => format!("int {r} = *{loc};"),
                _ => match mine.last() {
                    Some(prev) => format!("WRITE_ONCE(*{loc}, {prev});"),
                    None => format!("WRITE_ONCE(*{loc}, {v});"),
                },
            };
            if line.contains(&format!("int {r} ")) {
                mine.push(r.clone());
                regs.push((p, r));
            }
            src.push('\t');
            src.push_str(&line);
            src.push('\n');
        }
        src.push_str("}\n\n");
    }
    let mut atoms = vec![format!("x={}", next(3))];
    for (p, r) in regs.iter().take(2) {
        atoms.push(format!("{p}:{r}={}", next(3)));
    }
    src.push_str(&format!("exists ({})\n", atoms.join(" /\\ ")));
    (src, rcu)
}

fn states(r: &LitmusResult) -> BTreeSet<Vec<i64>> {
    r.outcomes.iter().cloned().collect()
}

fn gen(prog: &kvet_ir::Program, m: &dyn Model) -> LitmusResult {
    run(prog, m, &GenOptions::default()).expect("generator")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn generator_models_and_explorer_agree(tape in proptest::collection::vec(any::<u8>(), 64)) {
        let (src, rcu) = build(&tape);
        let prog = kvet_ir::compile(&src).map_err(|e| TestCaseError::fail(format!("{}\n{src}", e.message)))?;
        let native = gen(&prog, &NativeLkmm::new().allowed_only());
        let interp = gen(&prog, interp());
        prop_assert_eq!(states(&native), states(&interp), "states\n{}", src);
        prop_assert_eq!((native.pos, native.neg), (interp.pos, interp.neg), "counts\n{}", src);
        prop_assert_eq!(&native.flags, &interp.flags, "flags\n{}", src);
        let ex = kvet_explore::explore(&prog, &kvet_explore::Options { reduce: false, ..Default::default() });
        let sc_outcomes: BTreeSet<Vec<i64>> = ex.outcomes.keys().cloned().collect();
        let lk = states(&native);
        prop_assert!(sc_outcomes.is_subset(&lk), "SC outcome not LKMM\nSC {:?}\nLKMM {:?}\n{}", sc_outcomes, lk, src);
        if !rcu {
            let sck = states(&gen(&prog, &NativeLkmm::sc().allowed_only()));
            prop_assert_eq!(sck, sc_outcomes, "sc-kernel vs explorer\n{}", src);
        }
    }
}
