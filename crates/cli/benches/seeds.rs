//! The seed scenarios as a benchmark (`cargo bench -p kvet --bench seeds`):
//! for each BUGGY seed, the time to its first counterexample and the
//! trace length; for each FIXED seed, the time for full verification and
//! its state count; and two scaled scenarios: seed 002 with N waiters on
//! a page lock (N = 1..4) and seed 004 with N CPUs, each with a writeback
//! interrupt (N = 1..8). Prints a table; timing is measured here, never
//! asserted in tests.

use kvet_explore::{explore, Options};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn compile(src: &str) -> kvet_ir::Program {
    kvet_ir::compile(src).unwrap_or_else(|e| panic!("{} at {:?}", e.message, kvet_syntax::line_col(src, e.span.lo)))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "kvet") {
            out.push(p);
        }
    }
}

/// Median of three runs (one if it takes over a second): (seconds, exploration).
fn run(p: &kvet_ir::Program, opts: &Options) -> (f64, kvet_explore::Exploration) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        if times.iter().any(|&t: &f64| t > 1.0) {
            break;
        }
        let t0 = Instant::now();
        let ex = explore(p, opts);
        times.push(t0.elapsed().as_secs_f64());
        last = Some(ex);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times[times.len() / 2], last.unwrap_or_default())
}

/// Seed 002 scaled: CPU0 holds the page lock and clears PG_isolated
/// (atomically when `fixed`), N waiters lock and unlock the page.
fn seed002(n: usize, fixed: bool) -> String {
    let clear = if fixed { "clear_bit" } else { "__clear_bit" };
    let mut s = format!(
        "C seed002-{n}\n{{}}\n#define PG_locked 0\n#define PG_waiters 7\n#define PG_isolated 18\nstruct page pg;\nDECLARE_WAIT_QUEUE_HEAD(page_wq);\n\
static void lock_page(struct page *page)\n{{\n\tDEFINE_WAIT(wait);\n\tfor (;;) {{\n\t\tspin_lock_irq(&page_wq.lock);\n\t\tset_bit(PG_waiters, &page->flags);\n\
\t\tif (!test_and_set_bit_lock(PG_locked, &page->flags)) {{\n\t\t\tspin_unlock_irq(&page_wq.lock);\n\t\t\tbreak;\n\t\t}}\n\
\t\tif (list_empty(&wait.entry))\n\t\t\t__add_wait_queue_entry_tail(&page_wq, &wait);\n\t\tset_current_state(TASK_UNINTERRUPTIBLE);\n\t\tspin_unlock_irq(&page_wq.lock);\n\t\tschedule();\n\t}}\n\tfinish_wait(&page_wq, &wait);\n}}\n\
static void unlock_page(struct page *page)\n{{\n\tif (clear_bit_unlock_is_negative_byte(PG_locked, &page->flags)) {{\n\t\tspin_lock_irq(&page_wq.lock);\n\t\t__wake_up_common(&page_wq, TASK_NORMAL, 0, 0, NULL);\n\
\t\tif (list_empty(&page_wq.head))\n\t\t\tclear_bit(PG_waiters, &page->flags);\n\t\tspin_unlock_irq(&page_wq.lock);\n\t}}\n}}\n\
P0(void)\n{{\n\tlock_page(&pg);\n\t{clear}(PG_isolated, &pg.flags);\n\tunlock_page(&pg);\n}}\n"
    );
    for i in 1..=n {
        s.push_str(&format!("P{i}(void)\n{{\n\tlock_page(&pg);\n\tunlock_page(&pg);\n}}\n"));
    }
    s
}

/// Seed 004 scaled: N CPUs run the truncate path under lock_page_memcg;
/// each CPU's writeback interrupt takes the memcg lock too.
fn seed004(n: usize, fixed: bool) -> String {
    let (begin, end) = if fixed {
        ("spin_lock_irqsave(&tree_lock, cookie_flags)", "spin_unlock_irqrestore(&tree_lock, cookie_flags)")
    } else {
        ("spin_lock_irq(&tree_lock)", "spin_unlock_irq(&tree_lock)")
    };
    let mut s = format!("C seed004-{n}\n{{}}\nspinlock_t memcg_lock;\nspinlock_t tree_lock;\nint dirty;\n");
    for i in 0..n {
        s.push_str(&format!(
            "P{i}(void)\n{{\n\tunsigned long flags, cookie_flags;\n\tspin_lock_irqsave(&memcg_lock, flags);\n\t{begin};\n\tWRITE_ONCE(dirty, 0);\n\t{end};\n\tspin_unlock_irqrestore(&memcg_lock, flags);\n}}\n\
IRQ({i}) void end_page_writeback{i}(void)\n{{\n\tunsigned long flags;\n\tspin_lock_irqsave(&memcg_lock, flags);\n\tWRITE_ONCE(dirty, 1);\n\tspin_unlock_irqrestore(&memcg_lock, flags);\n}}\n"
        ));
    }
    s
}

fn main() {
    // bounded, so that the scaled scenarios stop cleanly where they explode
    let bound = Options { max_states: 5_000_000, max_seconds: Some(60.0), max_memory: 6 << 30, ..Options::default() };
    let first = Options { stop_at_first: true, ..bound.clone() };
    let full = bound;
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seeds"));
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    println!("{:<52} {:>10} {:>10} {:>8}  finding", "seed scenario", "states", "seconds", "trace");
    for f in &all {
        let src = std::fs::read_to_string(f).unwrap_or_default();
        let p = compile(&src);
        let buggy = !src.to_lowercase().contains("expect: ok");
        let (secs, ex) = run(&p, if buggy { &first } else { &full });
        let (len, kind) = match ex.violations.iter().find(|v| v.kind.is_bug()) {
            Some(v) => (v.path.len().to_string(), v.kind.name()),
            None => ("-".into(), "none"),
        };
        let name = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        println!("{name:<52} {:>10} {secs:>10.4} {len:>8}  {kind}", ex.states);
        if buggy {
            // every finding of the full search, with its trace length
            let (fsecs, fex) = run(&p, &full);
            let all: Vec<String> =
                fex.violations.iter().map(|v| format!("{} (trace {})", v.kind.name(), v.path.len())).collect();
            println!("{:<52} {:>10} {fsecs:>10.4}           full search: {}", "", fex.states, all.join(", "));
        }
    }
    println!();
    for fixed in [false, true] {
        for n in 1..=4 {
            let p = compile(&seed002(n, fixed));
            let (secs, ex) = run(&p, if fixed { &full } else { &first });
            let kinds: Vec<&str> = ex.violations.iter().map(|v| v.kind.name()).collect();
            let stop = ex.stopped.map(|s| format!("  STOPPED at {s:?}")).unwrap_or_default();
            println!(
                "seed002 {} waiters={n:<2} states {:>9}  {secs:>8.4}s  {}{stop}",
                if fixed { "fixed" } else { "buggy" },
                ex.states,
                kinds.join(", ")
            );
        }
    }
    println!();
    for fixed in [false, true] {
        for n in 1..=8 {
            let p = compile(&seed004(n, fixed));
            let (secs, ex) = run(&p, if fixed { &full } else { &first });
            let kinds: Vec<&str> = ex.violations.iter().map(|v| v.kind.name()).collect();
            let stop = ex.stopped.map(|s| format!("  STOPPED at {s:?}")).unwrap_or_default();
            println!(
                "seed004 {} cpus={n:<2} states {:>9}  {secs:>8.4}s  {}{stop}",
                if fixed { "fixed" } else { "buggy" },
                ex.states,
                kinds.join(", ")
            );
        }
    }
}
