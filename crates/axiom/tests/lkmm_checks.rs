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
