//! The candidate-execution reductions of check mode change nothing but the
//! work: each scenario below exercises one of them, and its counts,
//! states, flags, deadlocks and findings are the same with the search's
//! exact shortcuts on and off ([`GenOptions::exhaustive`]), while the
//! work with them on is smaller.
//!
//! The reductions: the deadlock pass drops the prefixes blocked at a lock
//! nobody else can hold (`gen/holders.rs`); a combination with a read
//! that has no source of its value marks its location dead in the
//! per-location memo (`gen/loc_memo.rs`); the partial model checks give
//! the reads with a single candidate source that source before they are
//! chosen (`gen/search.rs`, `Search::partial_ok`); each combination's
//! read-from is enumerated once per choice of its lock locations' orders
//! (`gen/lock_order.rs`); the reads of a waiting thread that must read
//! co-last writes are checked as soon as they are chosen.

mod common;
use kvet_axiom::deadline::spent;
use kvet_axiom::gen::{run, GenOptions};
use kvet_axiom::native::NativeLkmm;

/// The summary (as `shortcuts.rs` compares it) and the work of a
/// check-mode run past its paths (the path walk's own reductions, such as
/// the lock snapshots, are compared in path_reductions.rs and
/// lock_snapshots.rs; their fixpoint may cost a tiny program a few more
/// path units).
fn summary(src: &str, exhaustive: bool) -> (String, u64) {
    summary_in(src, true, exhaustive)
}

/// The summary and the work past the paths of a run in check mode
/// (`kernel`) or litmus mode (with the deadlock search).
fn summary_in(src: &str, kernel: bool, exhaustive: bool) -> (String, u64) {
    let prog = kvet_ir::compile(src).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel, exhaustive, ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts);
    let work = spent()[1..].iter().sum();
    (common::run_summary(r, false).expect("decided"), work)
}

/// Same answer with and without the shortcuts, and less work with them;
/// the answer.
fn same_and_cheaper(src: &str) -> String {
    let (fast, fast_work) = summary(src, false);
    let (slow, slow_work) = summary(src, true);
    assert_eq!(fast, slow, "with shortcuts / without");
    assert!(fast_work < slow_work, "work {fast_work} with shortcuts, {slow_work} without");
    fast
}

/// Same answer with and without the shortcuts.  (On the two-thread
/// programs below the per-location coherence search on the paths'
/// projections, `loc_memo::closed_coherent`, costs a few candidate units more
/// than the shortcuts save, so only the answers are compared.)
fn same_answer(src: &str) -> String {
    let (fast, _) = summary(src, false);
    let (slow, _) = summary(src, true);
    assert_eq!(fast, slow, "with shortcuts / without");
    fast
}

/// Locks that nobody holds at the end of a path: every prefix blocked at
/// `spin_lock()` is dropped before the deadlock pass combines it.
#[test]
fn blocked_prefixes_without_a_holder() {
    let src = "C no-holder\n{}\n\
spinlock_t a;\nint x;\nint y;\n\
P0(void) { spin_lock(&a); WRITE_ONCE(x, 1); spin_unlock(&a); WRITE_ONCE(y, 1); }\n\
P1(void) { int r0; int r1; r1 = READ_ONCE(y); spin_lock(&a); r0 = READ_ONCE(x); spin_unlock(&a); BUG_ON(r1 == 1 && r0 == 0); }\n";
    let s = same_answer(src);
    assert!(s.contains("deadlocks [] findings []"), "{s}");
}

/// The AB-BA pair keeps its deadlock: the holders' fixpoint keeps the
/// prefixes blocked at a lock the other thread's prefix holds.
#[test]
fn blocked_prefixes_with_a_holder_stay() {
    let src = "C abba\n{}\n\
spinlock_t a;\nspinlock_t b;\nspinlock_t c;\nint x;\n\
P0(void) { spin_lock(&c); spin_unlock(&c); spin_lock(&a); spin_lock(&b); x = 1; spin_unlock(&b); spin_unlock(&a); }\n\
P1(void) { spin_lock(&c); spin_unlock(&c); spin_lock(&b); spin_lock(&a); x = 2; spin_unlock(&a); spin_unlock(&b); }\n";
    let s = same_answer(src);
    assert!(s.contains("CPU0 waits for b (held by CPU1), CPU1 waits for a (held by CPU0)"), "{s}");
}

/// The rcuwait sleeper of examples/kernel/set-current-state.kvet
/// (schedule(), try_to_wake_up() with its pi_lock, RCU): reads without a
/// source, single-source reads and lock waits in one scenario; the
/// weak-memory hang of the buggy version is found alike and the fixed
/// one is ok alike.
#[test]
fn rcuwait_sleeper() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/kernel/");
    let read = |f: &str| std::fs::read_to_string(format!("{dir}{f}")).expect("example");
    let s = same_and_cheaper(&read("set-current-state.kvet"));
    assert!(s.contains("\"hang 0 "), "{s}");
    let s = same_and_cheaper(&read("set-current-state-fixed.kvet"));
    assert!(s.contains("findings []"), "{s}");
}

/// Lock orders first: three threads take one lock three times, so each
/// combination of paths has several lock orders; the counts of every
/// final state (litmus mode) and the findings (check mode) are the same
/// with the combinations split by lock order and without.
#[test]
fn lock_orders_first() {
    let src = "C three-sections\n{}\n\
spinlock_t a;\nint x;\nint y;\n\
P0(void) { int r0; spin_lock(&a); r0 = READ_ONCE(x); WRITE_ONCE(x, r0 + 1); spin_unlock(&a); WRITE_ONCE(y, 1); }\n\
P1(void) { int r0; spin_lock(&a); r0 = READ_ONCE(x); WRITE_ONCE(x, r0 + 1); spin_unlock(&a); }\n\
P2(void) { int r0; int r1; int r2; r2 = READ_ONCE(y); spin_lock(&a); r0 = READ_ONCE(x); spin_unlock(&a); \
spin_lock(&a); r1 = READ_ONCE(x); spin_unlock(&a); BUG_ON(r1 < r0); }\n\
exists (x=2 /\\ 2:r2=1 /\\ 2:r0=0)\n";
    for kernel in [false, true] {
        let (fast, fast_work) = summary_in(src, kernel, false);
        let (slow, slow_work) = summary_in(src, kernel, true);
        println!("kernel {kernel}: work {fast_work} split, {slow_work} not");
        assert_eq!(fast, slow, "kernel {kernel}: split by lock order / not");
        assert!(fast.contains("findings []"), "{fast}");
    }
}

/// Trylocks and spin_is_locked(): the read-from of a failed trylock and
/// of an unlocked answer is still the model's choice under each lock
/// order; a holder that never unlocks is last in its lock's order (the
/// deadlock pass's blocked prefixes meet it).
#[test]
fn lock_orders_with_trylocks_and_holders() {
    let src = "C trylock-orders\n{}\n\
spinlock_t a;\nspinlock_t b;\nint x;\n\
P0(void) { spin_lock(&a); WRITE_ONCE(x, 1); spin_unlock(&a); spin_lock(&b); spin_lock(&a); spin_unlock(&a); spin_unlock(&b); }\n\
P1(void) { int r0; int r1; r0 = spin_trylock(&a); if (r0) { r1 = READ_ONCE(x); spin_unlock(&a); } }\n\
P2(void) { int r2; r2 = spin_is_locked(&a); spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }\n\
exists (1:r0=1 /\\ 1:r1=0)\n";
    for kernel in [false, true] {
        let (fast, _) = summary_in(src, kernel, false);
        let (slow, _) = summary_in(src, kernel, true);
        assert_eq!(fast, slow, "kernel {kernel}: split by lock order / not");
        assert!(fast.contains("CPU0 waits for a (held by CPU2), CPU2 waits for b (held by CPU0)"), "{fast}");
    }
}

/// A location closed early (`loc_memo::closed_coherent`): `x` is accessed
/// by the threads of the first two levels only (P1 with one path, P0 with
/// four), so P0's incoherent path (it reads 2, then the initial 0) is
/// dropped with all of P2's eight paths at once, at the level that closes
/// `x`, instead of combination by combination; the answer is the same,
/// the work smaller, in litmus mode and in check mode.
#[test]
fn locations_closed_before_the_last_level() {
    let src = "C closed-early\n{}\n\
int x;\nint y;\n\
P0(void) { int r0; int r1; r0 = READ_ONCE(x); r1 = READ_ONCE(x); }\n\
P1(void) { WRITE_ONCE(x, 2); WRITE_ONCE(y, 1); }\n\
P2(void) { int r2; int r3; int r4; r2 = READ_ONCE(y); r3 = READ_ONCE(y); r4 = READ_ONCE(y); }\n\
exists (0:r0=2 /\\ 0:r1=0)\n";
    for kernel in [false, true] {
        let (fast, fast_work) = summary_in(src, kernel, false);
        let (slow, slow_work) = summary_in(src, kernel, true);
        assert_eq!(fast, slow, "kernel {kernel}: with shortcuts / without");
        assert!(fast_work < slow_work, "kernel {kernel}: work {fast_work} with shortcuts, {slow_work} without");
    }
}

/// Tasks sharing a CPU with preemption on (`thread/cpu_share.rs`): every
/// preemptible access may be preceded by a switch, and the lock orders in
/// which such a switch hands the CPU straight back to the same task are
/// dropped (`lock_order.rs`): the same outcomes, flags, deadlocks and
/// findings as every order (fewer executions: a dropped one has the
/// outcome of its twin without the switch), for a read-modify-write split
/// by a preemption, one made atomic by preempt_disable(), and a message
/// passed between the tasks.
#[test]
fn preemption_switching_straight_back() {
    // (the summary without its execution counts)
    let outcomes = |src: &str, exhaustive: bool| {
        let (s, work) = summary(src, exhaustive);
        (s.split_once(" toofar").map(|(_, rest)| rest.to_string()).unwrap_or(s), work)
    };
    let check = |src: &str| {
        let (fast, fast_work) = outcomes(src, false);
        let (slow, slow_work) = outcomes(src, true);
        assert_eq!(fast, slow, "with shortcuts / without");
        assert!(fast_work < slow_work, "work {fast_work} with shortcuts, {slow_work} without");
        fast
    };
    let update = |body: &str| {
        format!(
            "C update\nPreempt=yes\n{{}}\nint x;\nP0(void)\n{{\n{body}}}\nTASK(0) void other(void)\n{{\n{body}}}\nexists (x=1)\n"
        )
    };
    let plain = "\tint r = READ_ONCE(x);\n\tWRITE_ONCE(x, r + 1);\n";
    assert_eq!(check(&update(plain)), " false states [[1], [2]] flags [] deadlocks [] findings []");
    let guarded = "\tpreempt_disable();\n\tint r = READ_ONCE(x);\n\tWRITE_ONCE(x, r + 1);\n\tpreempt_enable();\n";
    assert_eq!(check(&update(guarded)), " false states [[2]] flags [] deadlocks [] findings []");
    let mp = "C mp\nPreempt=yes\n{}\nint x;\nint y;\nint a;\nint b;\nP0(void)\n{\n\tWRITE_ONCE(x, 1);\n\tWRITE_ONCE(y, 1);\n}\n\
              TASK(0) void other(void)\n{\n\tint r1 = READ_ONCE(y);\n\tint r2 = READ_ONCE(x);\n\tWRITE_ONCE(a, r1);\n\tWRITE_ONCE(b, r2);\n}\n\
              exists (a=1 /\\ b=0)\n";
    assert_eq!(check(mp), " false states [[0, 0], [0, 1], [1, 1]] flags [] deadlocks [] findings []");
}

/// A plain write to a lock word (spin_lock_init() racing with the lock's
/// users, which the kernel forbids and lockdep reports): lock orders first
/// and the partial checks fix only the order of the lock writes, and a
/// lock read may read from the plain write between two of them; the
/// answers are those of the full enumeration.
#[test]
fn a_plain_write_to_a_lock_word() {
    let src = "C lockinit\n{}\nP0(spinlock_t *l, int *x)\n{\n\tspin_lock(l);\n\tWRITE_ONCE(*x, 1);\n\tspin_unlock(l);\n}\n\
               P1(spinlock_t *l)\n{\n\tspin_lock_init(l);\n}\n\
               P2(spinlock_t *l, int *x)\n{\n\tint r0;\n\tspin_lock(l);\n\tr0 = READ_ONCE(*x);\n\tspin_unlock(l);\n}\n\
               P3(spinlock_t *l, int *x)\n{\n\tint r0;\n\tspin_lock(l);\n\tr0 = READ_ONCE(*x);\n\tWRITE_ONCE(*x, 2);\n\tspin_unlock(l);\n}\n\
               exists (2:r0=0 /\\ 3:r0=1)\n";
    let check_mode = same_answer(src);
    let (fast, _) = summary_in(src, false, false);
    let (slow, _) = summary_in(src, false, true);
    assert_eq!(fast, slow, "litmus mode, with shortcuts / without");
    assert!(check_mode.contains("states"), "{check_mode}");
}
