mod common;
use common::*;
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::Model;
#[test]
fn timing() {
    let m = lkmm();
    let nm = NativeLkmm::new();
    for ex in [sb(None), lock_mp(1, 0, true), rcu_gp(1, 0, true)] {
        let t = std::time::Instant::now();
        for _ in 0..100 { m.check(&ex).unwrap(); }
        let a = t.elapsed() / 100;
        let t = std::time::Instant::now();
        for _ in 0..10000 { nm.check(&ex).unwrap(); }
        let b = t.elapsed() / 10000;
        eprintln!("interp {a:?} native {b:?}");
    }
}
