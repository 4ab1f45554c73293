//! The seed scenarios scaled to N CPUs, written once for the benchmarks
//! and tests that measure or compare searches on growing state spaces
//! (crates/cli/benches/seeds.rs, crates/cli/tests/symmetry.rs,
//! crates/dist/tests/same.rs, crates/dist/benches/scale.rs). Each is the
//! shape of a bug report in /work/shared/seeds, with the number of CPUs
//! as the knob:
//! - seed 002 (mm/filemap.c's page lock, `lock_page`/`unlock_page` with
//!   the PG_waiters bit): CPU 0 holds the page lock and clears
//!   PG_isolated, non-atomically in the buggy form (`__clear_bit`, a lost
//!   update of the flags word) and atomically in the fixed one; N waiters
//!   lock and unlock the page.
//! - seed 004 (mm/page-writeback.c and mm/truncate.c under
//!   `lock_page_memcg`): N CPUs run the truncate path, which takes the
//!   memcg lock with interrupts saved and then the tree lock; each CPU's
//!   writeback interrupt takes the memcg lock too. The buggy form takes
//!   the tree lock with `spin_lock_irq`/`spin_unlock_irq`, whose unlock
//!   enables interrupts inside the memcg critical section (the interrupt
//!   then deadlocks on the memcg lock); the fixed form saves and restores
//!   the flags. Its CPUs are interchangeable (symmetry reduction applies).

/// Seed 002 scaled: CPU 0 holds the page lock and clears PG_isolated
/// (atomically when `fixed`), `n` waiters lock and unlock the page.
pub fn seed002(n: usize, fixed: bool) -> String {
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

/// Seed 004 scaled: `n` CPUs run the truncate path under the memcg lock;
/// each CPU's writeback interrupt takes the memcg lock too (the tree lock
/// taken with its flags saved when `fixed`).
pub fn seed004(n: usize, fixed: bool) -> String {
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
