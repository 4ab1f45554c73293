//! BUG_ON/assert in a litmus test do not change what the LKMM allows: a
//! task that would die inside an RCU read-side section keeps the RCU
//! guarantee in LKMM mode (the explorer reports the BUG itself).

use kvet_axiom::gen::{run, GenOptions};
use kvet_axiom::native::NativeLkmm;

#[test]
fn bug_on_inside_rcu_reader_keeps_the_guarantee() {
    let src = "C rcu-bug\n{ int x = 1; int *gp = &x; int y = 1; }\n\
P0(void) { int *p; int r0; rcu_read_lock(); p = rcu_dereference(gp); r0 = READ_ONCE(*p); BUG_ON(r0 == 0); rcu_read_unlock(); }\n\
P1(void) { rcu_assign_pointer(gp, &y); synchronize_rcu(); WRITE_ONCE(x, 0); }\n\
exists (0:r0=0)\n";
    let prog = kvet_ir::compile(src).expect("compiles");
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &GenOptions::default()).expect("decided");
    assert_eq!((r.pos, r.flags.len()), (0, 0), "{:?}", r.flags);
}

/// The deadlock pass: an AB-BA pair is found, ordered locking is not,
/// and neither changes herd's counts.
#[test]
fn deadlock_pass() {
    let abba = "C abba\n{}\n\
P0(spinlock_t *a, spinlock_t *b) { spin_lock(a); spin_lock(b); spin_unlock(b); spin_unlock(a); }\n\
P1(spinlock_t *a, spinlock_t *b) { spin_lock(b); spin_lock(a); spin_unlock(a); spin_unlock(b); }\n\
exists (0:r0=0)\n";
    let ordered = abba.replace(
        "spin_lock(b); spin_lock(a); spin_unlock(a); spin_unlock(b);",
        "spin_lock(a); spin_lock(b); spin_unlock(b); spin_unlock(a);",
    );
    let m = NativeLkmm::new().allowed_only();
    let on = GenOptions { deadlocks: true, ..Default::default() };
    for (src, want) in [
        (abba, vec!["CPU0 waits for b (held by CPU1), CPU1 waits for a (held by CPU0)".to_string()]),
        (ordered.as_str(), vec![]),
    ] {
        let prog = kvet_ir::compile(src).expect("compiles");
        let with = run(&prog, &m, &on).expect("decided");
        let without = run(&prog, &m, &GenOptions::default()).expect("decided");
        assert_eq!(with.deadlocks, want);
        assert!(without.deadlocks.is_empty());
        assert_eq!((with.pos, with.neg, with.outcomes), (without.pos, without.neg, without.outcomes));
    }
}
