//! Partial-order reduction keeps every finding: on random scenarios from
//! the structure-aware generator (`kvet-scenario-gen`: interrupt
//! handlers, locks, pointers, heap objects, loops), and on random
//! programs of interchangeable CPUs with interrupt handlers, locks and
//! on-stack objects, the reduced search (BFS and DFS) finds exactly the
//! kinds of finding and the final outcomes of the unreduced one, and
//! each of its traces replays; so does the search with symmetry, also on
//! random programs whose tasks P1..PN are interchangeable beside a P0
//! that differs, and use `current`, wait queues, on-stack objects and
//! heap pointers (symmetry then renames their task_structs and locals).

use arbitrary::Unstructured;
use kvet_explore::{explore, Exploration, Options, SearchOrder};
use kvet_scenario_gen::{scenario, Limits};
use proptest::prelude::*;

fn kinds(e: &Exploration) -> Vec<kvet_explore::ViolationKind> {
    let mut k: Vec<_> = e.violations.iter().map(|v| v.kind).collect();
    k.sort();
    k
}

/// Compare the reduced searches with the unreduced one where all three
/// complete within the bound.
fn same_findings(prog: &kvet_ir::Program, src: &str) {
    let bound = Options { max_states: 20_000, max_memory: 256 << 20, ..Options::default() };
    let full = explore(prog, &Options { reduce: false, ..bound.clone() });
    if !full.complete {
        return;
    }
    for order in [SearchOrder::Bfs, SearchOrder::Dfs] {
        let red = explore(prog, &Options { order, ..bound.clone() });
        assert!(red.complete, "the reduced search stopped where the full one did not ({order:?})\n{src}");
        assert_eq!(kinds(&red), kinds(&full), "reduction changed the findings ({order:?})\n{src}");
        assert_eq!(
            red.outcomes.keys().collect::<Vec<_>>(),
            full.outcomes.keys().collect::<Vec<_>>(),
            "reduction changed the outcomes ({order:?})\n{src}"
        );
        assert!(red.states <= full.states, "reduction grew the state space ({order:?})\n{src}");
        for v in &red.violations {
            assert!(kvet_explore::replay(prog, &v.path).is_ok(), "replay failed for {:?}\n{src}", v.kind);
        }
    }
}

/// Symmetry (where the CPUs are interchangeable) keeps the findings and
/// outcomes too, with and without reduction, breadth- and depth-first,
/// and its traces replay to their findings.
fn same_with_symmetry(prog: &kvet_ir::Program, src: &str) {
    let bound = Options { max_states: 20_000, max_memory: 256 << 20, ..Options::default() };
    for (reduce, order) in [(true, SearchOrder::Bfs), (false, SearchOrder::Bfs), (true, SearchOrder::Dfs)] {
        let opts = Options { reduce, order, ..bound.clone() };
        let plain = explore(prog, &opts);
        if !plain.complete {
            continue;
        }
        let sym = explore(prog, &Options { symmetry: true, ..opts });
        let how = format!("reduce={reduce} {order:?}");
        assert!(sym.complete, "the symmetric search stopped ({how})\n{src}");
        assert_eq!(kinds(&sym), kinds(&plain), "symmetry changed the findings ({how})\n{src}");
        assert_eq!(
            sym.outcomes.keys().collect::<Vec<_>>(),
            plain.outcomes.keys().collect::<Vec<_>>(),
            "symmetry changed the outcomes ({how})\n{src}"
        );
        for v in &sym.violations {
            // a real schedule: every move of it is possible (replay may stop
            // earlier, at a warning the path passes)
            assert!(kvet_explore::replay(prog, &v.path).is_ok(), "replay failed for {:?} ({how})\n{src}", v.kind);
        }
    }
}

fn generated(bytes: &[u8]) {
    let Ok(src) = scenario(&mut Unstructured::new(bytes), Limits::default()) else { return };
    let Ok(prog) = kvet_ir::compile(&src) else { return };
    same_findings(&prog, &src);
}

/// One statement of a CPU's code (or of its interrupt handler).
fn stmt(k: u8, v: u8) -> String {
    let x = ["x", "y", "z"][(v % 3) as usize];
    match k % 14 {
        0 => format!("WRITE_ONCE({x}, {});", v % 3),
        1 => format!("r = READ_ONCE({x});"),
        2 => "spin_lock(&a);".into(),
        3 => "spin_unlock(&a);".into(),
        4 => "spin_lock_irqsave(&b, flags);".into(),
        5 => "spin_unlock_irqrestore(&b, flags);".into(),
        6 => "local_irq_disable();".into(),
        7 => "local_irq_enable();".into(),
        8 => format!("{x} = r + 1;"),
        9 => format!("BUG_ON(READ_ONCE({x}) == 2);"),
        10 => "s.v = r; s.p = &s; r = s.v + 1;".into(),
        11 => format!("p = &s; WRITE_ONCE(gp, p); r = READ_ONCE({x});"),
        12 => "q = READ_ONCE(gp); if (q) r = READ_ONCE(q->v);".into(),
        _ => format!("smp_store_release(&{x}, r);"),
    }
}

/// A program of `n` CPUs running the same code, each with the same
/// interrupt handler (the shape of the scaled seeds).
fn interchangeable(n: usize, body: &[(u8, u8)], handler: &[(u8, u8)]) -> String {
    let mut s = String::from(
        "C gen\n{}\nstruct st { int v; struct st *p; };\nspinlock_t a;\nspinlock_t b;\nint x;\nint y;\nint z;\nstruct st *gp;\n",
    );
    let code = |stmts: &[(u8, u8)]| stmts.iter().map(|&(k, v)| format!("\t{}\n", stmt(k, v))).collect::<String>();
    for i in 0..n {
        s.push_str(&format!(
            "P{i}(void)\n{{\n\tint r = 0;\n\tunsigned long flags;\n\tstruct st s;\n\tstruct st *p;\n\tstruct st *q;\n{}}}\n",
            code(body)
        ));
        if !handler.is_empty() {
            s.push_str(&format!(
                "IRQ({i}) void h{i}(void)\n{{\n\tint r = 0;\n\tunsigned long flags;\n\tstruct st s;\n\tstruct st *p;\n\tstruct st *q;\n{}}}\n",
                code(handler)
            ));
        }
    }
    s
}

/// One statement of a task that uses `current`, a wait queue, an
/// on-stack wait entry and object, and heap objects.
fn task_stmt(k: u8, v: u8) -> String {
    let x = ["x", "y"][(v % 2) as usize];
    match k % 16 {
        0 => "WRITE_ONCE(gt, current);".into(),
        1 => "me = READ_ONCE(gt); if (me) wake_up_process(me);".into(),
        2 => "h = kmalloc(sizeof(*h), GFP_KERNEL); if (h) { h->v = 1; h->p = &s; WRITE_ONCE(gp, h); }".into(),
        3 => "q = READ_ONCE(gp); if (q) r = READ_ONCE(q->v);".into(),
        4 => "spin_lock(&a);".into(),
        5 => "spin_unlock(&a);".into(),
        6 => "if (list_empty(&wait.entry)) add_wait_queue(&wq, &wait);".into(),
        7 => "remove_wait_queue(&wq, &wait);".into(),
        8 => "wake_up(&wq);".into(),
        9 => format!("WRITE_ONCE({x}, r + 1);"),
        10 => format!("BUG_ON(READ_ONCE({x}) == 3);"),
        11 => "s.v = r; WRITE_ONCE(gs, &s);".into(),
        12 => "q = READ_ONCE(gs); if (q) r = READ_ONCE(q->v);".into(),
        13 => {
            "set_current_state(TASK_INTERRUPTIBLE); if (!READ_ONCE(x)) schedule(); __set_current_state(TASK_RUNNING);"
                .into()
        }
        14 => "q = xchg(&gp, NULL); if (q) kfree(q);".into(),
        _ => format!("r = READ_ONCE({x}); if (r) WRITE_ONCE({x}, 0);"),
    }
}

/// A program of a P0 with its own code and `n` tasks running the same
/// code (the shape of the scaled seed 002).
fn interchangeable_tasks(n: usize, p0: &[(u8, u8)], body: &[(u8, u8)]) -> String {
    let mut s = String::from(
        "C gen\n{}\nstruct st { int v; struct st *p; };\nspinlock_t a;\nint x;\nint y;\nstruct st *gp;\nstruct st *gs;\nstruct task_struct *gt;\nDECLARE_WAIT_QUEUE_HEAD(wq);\n",
    );
    let code = |stmts: &[(u8, u8)]| stmts.iter().map(|&(k, v)| format!("\t{}\n", task_stmt(k, v))).collect::<String>();
    for i in 0..=n {
        s.push_str(&format!(
            "P{i}(void)\n{{\n\tint r = 0;\n\tstruct st s;\n\tstruct st *h;\n\tstruct st *q;\n\tstruct task_struct *me;\n\tDEFINE_WAIT(wait);\n{}}}\n",
            code(if i == 0 { p0 } else { body })
        ));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn reduction_keeps_findings_on_generated_scenarios(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        generated(&bytes);
    }

    #[test]
    fn reduction_keeps_findings_on_interchangeable_cpus(
        n in 2usize..4,
        body in proptest::collection::vec((any::<u8>(), any::<u8>()), 1..6),
        handler in proptest::collection::vec((any::<u8>(), any::<u8>()), 0..4),
    ) {
        let src = interchangeable(n, &body, &handler);
        let Ok(prog) = kvet_ir::compile(&src) else { return Ok(()) };
        same_findings(&prog, &src);
        same_with_symmetry(&prog, &src);
    }

    #[test]
    fn symmetry_keeps_findings_on_interchangeable_tasks(
        n in 2usize..4,
        p0 in proptest::collection::vec((any::<u8>(), any::<u8>()), 0..3),
        body in proptest::collection::vec((any::<u8>(), any::<u8>()), 1..5),
    ) {
        let src = interchangeable_tasks(n, &p0, &body);
        let prog = kvet_ir::compile(&src).unwrap_or_else(|e| panic!("{}\n{src}", e.message));
        same_with_symmetry(&prog, &src);
    }
}
