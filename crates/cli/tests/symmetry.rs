//! Symmetry reduction (kvet_explore's `Options::symmetry`) keeps every
//! finding and outcome, and its traces are real: on every example and
//! seed, on the scaled seed 004 (N CPUs each with a writeback
//! interrupt) and on the scaled seed 002 (N waiters on a page lock, each
//! with its task_struct and on-stack wait entry, beside a CPU 0 that
//! differs), the search with symmetry finds exactly the kinds of finding
//! and the outcomes of the search without, and each of its traces
//! replays; its state counts are pinned.

use kvet_explore::{explore, replay, Exploration, Options, ViolationKind};
use kvet_scenario_gen::scaled::{seed002, seed004};
use std::path::PathBuf;

fn kinds(e: &Exploration) -> Vec<ViolationKind> {
    let mut k: Vec<_> = e.violations.iter().map(|v| v.kind).collect();
    k.sort();
    k
}

/// Compare; true if symmetry applied.
fn same(prog: &kvet_ir::Program, name: &str) -> bool {
    let bound = Options { max_states: 2_000_000, max_seconds: Some(60.0), ..Options::default() };
    let plain = explore(prog, &bound);
    let sym = explore(prog, &Options { symmetry: true, ..bound });
    if !plain.complete {
        return sym.symmetric;
    }
    assert!(sym.complete, "{name}: the symmetric search stopped");
    assert_eq!(kinds(&sym), kinds(&plain), "{name}: symmetry changed the findings");
    assert_eq!(
        sym.outcomes.keys().collect::<Vec<_>>(),
        plain.outcomes.keys().collect::<Vec<_>>(),
        "{name}: symmetry changed the outcomes"
    );
    assert!(sym.states <= plain.states, "{name}");
    for v in &sym.violations {
        // a real schedule: every move of it is possible (replay may stop
        // earlier, at a warning the path passes)
        assert!(replay(prog, &v.path).is_ok(), "{name}: {:?} does not replay", v.kind);
    }
    sym.symmetric
}

#[test]
fn examples_and_seeds_same_findings_with_symmetry() {
    let examples = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"));
    let all = kvet::walk(&examples, &["kvet", "litmus"]).unwrap();
    assert!(!all.is_empty());
    for f in &all {
        let src = std::fs::read_to_string(f).unwrap();
        let Ok(prog) = kvet_ir::compile(&src) else { continue };
        // (most examples use per-CPU data or task_structs: then symmetry
        // does not apply and both searches are the same)
        same(&prog, &f.display().to_string());
    }
}

#[test]
fn scaled_seed004_same_findings_with_symmetry() {
    for fixed in [false, true] {
        for n in 2..=5 {
            let prog = kvet_ir::compile(&seed004(n, fixed)).unwrap();
            assert!(same(&prog, &format!("seed004 fixed={fixed} N={n}")), "seed004 N={n} is symmetric");
        }
    }
    // and where the plain search is out of reach, it completes
    let prog = kvet_ir::compile(&seed004(8, true)).unwrap();
    let sym = explore(&prog, &Options { symmetry: true, ..Options::default() });
    assert!(sym.complete && sym.violations.is_empty());
}

#[test]
fn scaled_seed002_same_findings_with_symmetry() {
    // the waiters P1..PN are interchangeable (P0 differs): their
    // task_structs and wait entries are renamed with them
    let mut counts = Vec::new();
    for fixed in [false, true] {
        for n in 2..=3 {
            let prog = kvet_ir::compile(&seed002(n, fixed)).unwrap();
            assert!(same(&prog, &format!("seed002 fixed={fixed} N={n}")), "seed002 N={n} is symmetric");
            let sym = explore(&prog, &Options { symmetry: true, ..Options::default() });
            counts.push(sym.states);
        }
    }
    assert_eq!(counts, [4551, 31155, 4254, 28496]);
}

/// Tasks whose pid differs (t + 1) are interchangeable only while no step
/// reads it: a search that reads one runs again without symmetry, and
/// finds what the plain search finds (here only P2, pid 3, trips the
/// BUG_ON).
#[test]
fn reading_a_pid_turns_symmetry_off() {
    let mut src = String::from("C pid\n{}\nint x;\nP0(void)\n{\n\tWRITE_ONCE(x, 0);\n}\n");
    for i in 1..=2 {
        src.push_str(&format!(
            "P{i}(void)\n{{\n\tint r = task_pid_nr(current);\n\tBUG_ON(r == 3);\n\tWRITE_ONCE(x, r);\n}}\n"
        ));
    }
    let prog = kvet_ir::compile(&src).unwrap();
    let plain = explore(&prog, &Options::default());
    let sym = explore(&prog, &Options { symmetry: true, ..Options::default() });
    assert_eq!(kinds(&plain), [ViolationKind::Bug]);
    assert_eq!(kinds(&sym), kinds(&plain));
    assert!(!sym.symmetric, "the pid read must turn symmetry off");
    assert_eq!(sym.states, plain.states);
    // the same tasks without the pid are symmetric
    let same_code = src.replace("task_pid_nr(current)", "READ_ONCE(current->__state)").replace("r == 3", "r == 7");
    let prog = kvet_ir::compile(&same_code).unwrap();
    assert!(explore(&prog, &Options { symmetry: true, ..Options::default() }).symmetric);
}

/// A lock in a heap object (its word names its holder, in a cell the
/// symmetry does not know as a lock) turns symmetry off too.
#[test]
fn a_heap_lock_turns_symmetry_off() {
    let mut src = String::from(
        "C heaplock\n{}\nstruct obj { spinlock_t l; int v; };\nstruct obj *go;\nP0(void)\n{\n\tstruct obj *o = kzalloc(sizeof(*o), GFP_KERNEL);\n\tif (o) {\n\t\tspin_lock_init(&o->l);\n\t\tsmp_store_release(&go, o);\n\t}\n}\n",
    );
    for i in 1..=2 {
        src.push_str(&format!(
            "P{i}(void)\n{{\n\tstruct obj *o = smp_load_acquire(&go);\n\tif (o) {{\n\t\tspin_lock(&o->l);\n\t\tWRITE_ONCE(o->v, READ_ONCE(o->v) + 1);\n\t\tspin_unlock(&o->l);\n\t}}\n}}\n"
        ));
    }
    let prog = kvet_ir::compile(&src).unwrap();
    let plain = explore(&prog, &Options::default());
    let sym = explore(&prog, &Options { symmetry: true, ..Options::default() });
    assert!(plain.complete && sym.complete);
    assert_eq!(kinds(&sym), kinds(&plain));
    assert!(!sym.symmetric, "the heap lock must turn symmetry off");
    assert_eq!(sym.states, plain.states);
}

/// Ordering two tasks by their addresses depends on where their
/// task_structs lie, which the renaming changes: it turns symmetry off.
#[test]
fn ordering_task_pointers_turns_symmetry_off() {
    let mut src = String::from("C order\n{}\nint x;\nstruct task_struct *gt;\nP0(void)\n{\n\tWRITE_ONCE(x, 0);\n}\n");
    for i in 1..=2 {
        src.push_str(&format!(
            "P{i}(void)\n{{\n\tstruct task_struct *o = xchg(&gt, current);\n\tif (o && o < current)\n\t\tWRITE_ONCE(x, 1);\n\tBUG_ON(READ_ONCE(x) == 1);\n}}\n"
        ));
    }
    let prog = kvet_ir::compile(&src).unwrap();
    let plain = explore(&prog, &Options::default());
    let sym = explore(&prog, &Options { symmetry: true, ..Options::default() });
    assert_eq!(kinds(&plain), [ViolationKind::Bug]);
    assert_eq!(kinds(&sym), kinds(&plain));
    assert!(!sym.symmetric, "the pointer order must turn symmetry off");
    // equality of the same pointers keeps it
    let eq = src.replace("o < current", "o != current");
    let prog = kvet_ir::compile(&eq).unwrap();
    assert!(explore(&prog, &Options { symmetry: true, ..Options::default() }).symmetric);
}
