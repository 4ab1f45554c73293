//! Property test of the LKMM check's model of tasks sharing a CPU
//! (crates/axiom/src/gen/thread/cpu_share.rs): on random scenarios where
//! a `TASK(0)` shares CPU 0 with `P0` (and sometimes a `TASK(1)` CPU 1
//! with `P1`), every kind of finding the SC explorer gives, and every SC
//! outcome of the final condition, is also an LKMM one.  The explorer
//! runs the tasks of a CPU as kernel/sched/core.c does; an LKMM model of
//! the CPU's switches that is too strong would lose them.

use kvet_axiom::gen::{run, GenError, GenOptions};
use kvet_axiom::native::NativeLkmm;
use std::collections::BTreeSet;

/// xorshift64* from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const VARS: [&str; 2] = ["x", "y"];

/// One statement of a body (`r0`/`r1` are the body's registers).
fn stmt(g: &mut Rng, out: &mut String, depth: u32) {
    let v = VARS[g.below(2) as usize];
    let r = if g.below(2) == 0 { "r0" } else { "r1" };
    match g.below(if depth > 0 { 8 } else { 10 }) {
        0 | 1 => out.push_str(&format!("\tWRITE_ONCE({v}, {});\n", 1 + g.below(2))),
        2 | 3 => out.push_str(&format!("\t{r} = READ_ONCE({v});\n")),
        4 => out.push_str("\tsmp_mb();\n"),
        5 => out.push_str("\tcond_resched();\n"),
        6 => out.push_str("\tcomplete(&c);\n"),
        7 => out.push_str(&format!("\t{v} = {r} + 1;\n")),
        8 => {
            out.push_str("\tspin_lock(&l);\n");
            stmt(g, out, depth + 1);
            out.push_str("\tspin_unlock(&l);\n");
        }
        _ => {
            out.push_str("\tmutex_lock(&m);\n");
            stmt(g, out, depth + 1);
            out.push_str("\tmutex_unlock(&m);\n");
        }
    }
}

fn body(g: &mut Rng, head: &str, wait: bool) -> String {
    let mut out = format!("{head}\n{{\n\tint r0 = 0;\n\tint r1 = 0;\n");
    let n = 1 + g.below(3);
    for i in 0..n {
        if wait && i == n / 2 {
            out.push_str("\twait_for_completion(&c);\n");
        }
        stmt(g, &mut out, 0);
    }
    if g.below(2) == 0 {
        out.push_str(&format!("\tassert(r0 != {} || r1 != {});\n", g.below(3), g.below(3)));
    }
    out.push_str("}\n");
    out
}

fn scenario(seed: u64) -> String {
    let mut g = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut s =
        String::from("C shared-cpu\n{}\nint x;\nint y;\nspinlock_t l;\nDEFINE_MUTEX(m);\nDECLARE_COMPLETION(c);\n");
    let waiter = g.below(4);
    s.push_str(&body(&mut g, "P0(void)", waiter == 0));
    s.push_str(&body(&mut g, "TASK(0) void other(void)", waiter == 1));
    if g.below(2) == 0 {
        s.push_str(&body(&mut g, "P1(void)", waiter == 2));
        if g.below(2) == 0 {
            s.push_str(&body(&mut g, "TASK(1) void other1(void)", waiter == 3));
        }
    }
    s.push_str(&format!("exists (x={} /\\ y={})\n", g.below(3), g.below(3)));
    s
}

#[test]
fn sc_findings_and_outcomes_of_shared_cpus_are_lkmm_ones() {
    let cases: u64 = std::env::var("KVET_PROP_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
    let (mut compared, mut skipped) = (0, 0);
    let mut bad = Vec::new();
    for seed in 0..cases {
        let src = scenario(seed);
        let prog = kvet_ir::compile(&src).unwrap_or_else(|e| panic!("seed {seed}: {}\n{src}", e.message));
        let opts = kvet_explore::Options { max_states: 50_000, max_memory: 256 << 20, ..Default::default() };
        let ex = kvet_explore::explore(&prog, &opts);
        if !ex.complete || ex.violations.iter().any(|v| v.kind == kvet_explore::ViolationKind::Bound) {
            skipped += 1;
            continue;
        }
        let gopts = GenOptions { deadlocks: true, kernel: true, max_work: Some(20_000), ..Default::default() };
        let r = match run(&prog, &NativeLkmm::new().allowed_only(), &gopts) {
            Ok(r) if !r.deadlocks_partial && !r.toofar => r,
            Ok(_) | Err(GenError::Timeout) | Err(GenError::TooLarge(_)) => {
                skipped += 1;
                continue;
            }
            Err(e) => panic!("seed {seed}: {e}\n{src}"),
        };
        compared += 1;
        let lk: BTreeSet<String> = r.findings.iter().map(|f| f.kind.name().to_lowercase()).collect();
        for v in ex.violations.iter().filter(|v| v.kind.is_bug()) {
            let k = v.kind.name().to_lowercase();
            if !lk.contains(&k) {
                bad.push(format!("seed {seed}: SC finds {k} ({}), the LKMM does not ({lk:?})\n{src}", v.message));
            }
        }
        let lko: BTreeSet<Vec<i64>> = r.outcomes.iter().cloned().collect();
        for o in ex.outcomes.keys() {
            let o: Vec<i64> = o[..prog.ndisplay.min(o.len())].to_vec();
            if !lko.contains(&o) {
                bad.push(format!("seed {seed}: SC outcome {o:?} is not an LKMM one ({lko:?})\n{src}"));
            }
        }
    }
    eprintln!("shared CPUs: {cases} cases, {compared} compared, {skipped} past a bound");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared * 2 >= cases as usize, "too few compared: {compared} of {cases}");
}
