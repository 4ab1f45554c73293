//! The exact reductions of check mode's per-thread path walk
//! (`gen/thread.rs`) change nothing but the work: with them and without
//! them ([`GenOptions::exhaustive`]) the counts, states and findings are
//! the same, and they do drop paths.
//!
//! Read coherence: a thread that has read a write other than the initial
//! one of a location cannot read the initial write (co-first) there any
//! more, so a later read of the initial value is kept only when another
//! thread writes that value too.  Coherence successors: after the
//! thread's last access to a location, a read takes only values the
//! other threads' writes can make from it (bit changes of their atomic
//! RMWs, values of their other writes).  (Every example scenario is also
//! compared with and without it, by `shortcuts.rs`.)

use kvet_axiom::gen::{run, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;

fn check(src: &str, exhaustive: bool) -> LitmusResult {
    let prog = kvet_ir::compile(src).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, exhaustive, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    assert!(!r.deadlocks_partial && !r.toofar, "complete");
    r
}

fn kinds(r: &LitmusResult) -> Vec<&'static str> {
    let mut k: Vec<&'static str> = r.findings.iter().map(|f| f.kind.name()).collect();
    k.sort_unstable();
    k
}

/// The same answer with and without the reductions; the paths of all
/// threads with them and without them.
fn same(src: &str) -> (LitmusResult, u64, u64) {
    let fast = check(src, false);
    let slow = check(src, true);
    assert_eq!(
        (fast.pos, fast.neg, &fast.outcomes, &fast.flags, &fast.deadlocks, kinds(&fast)),
        (slow.pos, slow.neg, &slow.outcomes, &slow.flags, &slow.deadlocks, kinds(&slow)),
        "{src}"
    );
    assert!(fast.candidates <= slow.candidates && fast.paths <= slow.paths);
    let (a, b) = (fast.paths, slow.paths);
    (fast, a, b)
}

/// CoRR: after reading 1 the thread cannot read the initial 0 again.
#[test]
fn a_read_after_a_newer_one_skips_the_initial_value() {
    let src = "C corr\n{}\n\
P0(int *x) { int r1; int r2; r1 = READ_ONCE(*x); r2 = READ_ONCE(*x); }\n\
P1(int *x) { WRITE_ONCE(*x, 1); }\n\
exists (0:r1=1 /\\ 0:r2=0)\n";
    let (r, fast, slow) = same(src);
    assert_eq!(r.pos, 0);
    assert!(fast < slow, "the path reading 1 then 0 is gone: {fast} vs {slow} paths");
}

/// The same for the read of an RMW (a successful or failed cmpxchg).
#[test]
fn an_rmw_after_a_newer_read_skips_the_initial_value() {
    let src = "C corr-rmw\n{}\n\
P0(int *x) { int r1; int r2; r1 = READ_ONCE(*x); r2 = cmpxchg(x, 0, 2); }\n\
P1(int *x) { WRITE_ONCE(*x, 1); }\n\
exists (0:r1=1 /\\ 0:r2=0)\n";
    let (r, fast, slow) = same(src);
    assert_eq!(r.pos, 0);
    assert!(fast < slow, "{fast} vs {slow} paths");
}

/// Another thread writes the initial value again: reading 1 then 0 is
/// allowed and stays.
#[test]
fn the_initial_value_written_again_stays_readable() {
    let src = "C corr-again\n{}\n\
P0(int *x) { int r1; int r2; r1 = READ_ONCE(*x); r2 = READ_ONCE(*x); }\n\
P1(int *x) { WRITE_ONCE(*x, 1); WRITE_ONCE(*x, 0); }\n\
exists (0:r1=1 /\\ 0:r2=0)\n";
    let (r, _, _) = same(src);
    assert!(r.pos > 0, "1 then 0 is allowed");
}

/// The thread's own write: after it the reads see it or later writes,
/// whatever was read before.
#[test]
fn own_writes_are_unaffected() {
    let src = "C corr-own\n{}\n\
P0(int *x) { int r1; int r2; r1 = READ_ONCE(*x); WRITE_ONCE(*x, 0); r2 = READ_ONCE(*x); }\n\
P1(int *x) { WRITE_ONCE(*x, 1); }\n\
exists (0:r1=1 /\\ 0:r2=0)\n";
    let (r, _, _) = same(src);
    assert!(r.pos > 0, "r2 reads P0's own 0");
}

/// Coherence successors (`gen/thread/flips.rs`): after the thread's own
/// successful test_and_set_bit_lock() of bit 0, which no other thread
/// clears, a later read of the word sees bit 0 set, whatever the other
/// thread does to bit 1; the paths reading it clear are gone.
#[test]
fn a_bit_lock_nobody_else_clears_stays_set() {
    let src = "C bit-lock\n{}\n\
P0(unsigned long *w) { int r1; int r2; int r3; r1 = test_and_set_bit_lock(0, w); r2 = test_bit(0, w); r3 = test_bit(1, w); }\n\
P1(unsigned long *w) { set_bit(1, w); clear_bit(1, w); set_bit(2, w); }\n\
exists (0:r1=0 /\\ 0:r2=0)\n";
    let (r, fast, slow) = same(src);
    assert_eq!(r.pos, 0);
    assert!(r.neg > 0);
    assert!(fast < slow, "{fast} vs {slow} paths");
}

/// A read after a read: bit 1, which only P1 sets and nobody clears,
/// stays set once seen set.
#[test]
fn a_bit_seen_set_that_nobody_clears_stays_set() {
    let src = "C bit-corr\n{}\n\
P0(unsigned long *w) { int r1; int r2; r1 = test_bit(1, w); r2 = test_bit(1, w); }\n\
P1(unsigned long *w) { set_bit(1, w); set_bit(3, w); }\n\
exists (0:r1=1 /\\ 0:r2=0)\n";
    let (r, fast, slow) = same(src);
    assert_eq!(r.pos, 0);
    assert!(fast < slow, "{fast} vs {slow} paths");
}

/// A plain store by the other thread brings any value it stores, and an
/// RMW's transitions change the bits they change: both stay readable.
#[test]
fn stores_and_clears_of_other_threads_stay_readable() {
    let src = "C bit-store\n{}\n\
P0(unsigned long *w) { int r1; int r2; r1 = test_and_set_bit_lock(0, w); r2 = test_bit(0, w); }\n\
P1(unsigned long *w) { WRITE_ONCE(*w, 4); }\n\
exists (0:r1=0 /\\ 0:r2=0)\n";
    let (r, _, _) = same(src);
    assert!(r.pos > 0, "P1's store of 4 clears bit 0");
    let src = "C bit-clear\n{}\n\
P0(unsigned long *w) { int r1; int r2; r1 = test_and_set_bit_lock(0, w); r2 = test_bit(0, w); }\n\
P1(unsigned long *w) { int r; r = test_and_set_bit(1, w); clear_bit_unlock(0, w); }\n\
exists (0:r1=0 /\\ 0:r2=0)\n";
    let (r, _, _) = same(src);
    assert!(r.pos > 0, "P1's clear_bit_unlock() clears bit 0");
}

/// Coherence successors of the initial write (`gen/thread/flips.rs`): a
/// thread's first read of a location takes only values the other
/// threads' writes can make from the initial one.  P1 sets bit 1 of
/// whatever it finds, P0's own store of 4 included; P0's first read
/// cannot see 6, which P1 makes only from P0's later store (CoRW).
#[test]
fn a_first_read_takes_values_reachable_from_the_initial_one() {
    let src = "C first-read\n{w=1}\n\
P0(unsigned long *w) { int r1; r1 = READ_ONCE(*w); WRITE_ONCE(*w, 4); }\n\
P1(unsigned long *w) { set_bit(1, w); }\n\
exists (0:r1=6)\n";
    let (r, fast, slow) = same(src);
    assert_eq!(r.pos, 0);
    assert!(r.neg > 0);
    assert!(fast < slow, "{fast} vs {slow} paths");
}

/// Held bits (`gen/thread/flips.rs`): P1 takes and releases bit 0 as a
/// lock too (so it clears bit 0, which the coherence successors alone
/// allow); while P0 holds bit 0 its reads see it set.
#[test]
fn a_held_bit_lock_reads_set() {
    let src = "C held-bit\n{}\n\
P0(unsigned long *w) { int r1; int r2 = 1; r1 = test_and_set_bit_lock(0, w); if (!r1) r2 = test_bit(0, w); }\n\
P1(unsigned long *w) { int r; r = test_and_set_bit_lock(0, w); if (!r) clear_bit_unlock(0, w); }\n\
exists (0:r1=0 /\\ 0:r2=0)\n";
    let (r, fast, slow) = same(src);
    assert_eq!(r.pos, 0);
    assert!(r.neg > 0);
    assert!(fast < slow, "{fast} vs {slow} paths");
}

/// A holder's plain write-back of the word (`__clear_bit()` of another
/// bit, seed 002's `__ClearPageIsolated()`) keeps bit 0 set and the rule
/// on; the other thread's bit 7 may be lost (the seed's bug).
#[test]
fn a_holders_plain_write_back_keeps_the_bit() {
    let src = "C held-bit-plain\n{w=4}\n\
P0(unsigned long *w) { int r1; int r2 = 1; r1 = test_and_set_bit_lock(0, w); if (!r1) { __clear_bit(2, w); r2 = test_bit(0, w); } }\n\
P1(unsigned long *w) { int r; r = test_and_set_bit_lock(0, w); if (!r) clear_bit_unlock(0, w); }\n\
exists (0:r1=0 /\\ 0:r2=0)\n";
    let (r, fast, slow) = same(src);
    assert_eq!(r.pos, 0);
    assert!(fast < slow, "{fast} vs {slow} paths");
    let lost = "C held-bit-lost\n{w=4}\n\
P0(unsigned long *w) { int r1; r1 = test_and_set_bit_lock(0, w); if (!r1) { __clear_bit(2, w); clear_bit_unlock(0, w); } }\n\
P1(unsigned long *w) { set_bit(7, w); }\n\
exists (w=0)\n";
    let (r, _, _) = same(lost);
    assert!(r.pos > 0, "P0's write-back may wipe P1's bit 7");
}

/// Adversarial: a thread that clears a bit it does not hold (a plain
/// `clear_bit()`, or a `set_bit()` that found the bit set and so acquired
/// nothing before its `clear_bit()`), or a plain store of 0 by a thread
/// that never took it: the holder may read the bit clear, and does.
#[test]
fn a_bit_cleared_by_a_non_holder_stays_readable_clear() {
    for p1 in [
        "clear_bit(0, w);",
        "set_bit(0, w); clear_bit(0, w);",
        "WRITE_ONCE(*w, 0);",
        "int r; r = test_and_set_bit_lock(1, w); clear_bit_unlock(0, w);",
    ] {
        let src = format!(
            "C non-holder\n{{}}\n\
P0(unsigned long *w) {{ int r1; int r2 = 1; r1 = test_and_set_bit_lock(0, w); if (!r1) {{ r2 = test_bit(0, w); }} }}\n\
P1(unsigned long *w) {{ {p1} }}\n\
exists (0:r1=0 /\\ 0:r2=0)\n"
        );
        let (r, _, _) = same(&src);
        assert!(r.pos > 0, "{p1}: P1 clears bit 0 while P0 holds it");
    }
}
