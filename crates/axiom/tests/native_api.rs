//! Native-model API: fixed coherence orders, row-size dispatch (u16, u32,
//! u64, wide), and the partial-execution pruning check.

mod common;
use common::*;
use kvet_axiom::native::prune::partial_check;
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{Execution, Model, Tag, Verdict};

/// Two threads each writing x (no final write given): two coherence orders.
fn two_writers() -> (Execution, usize, usize) {
    let mut e = Execution::new();
    let x = e.location("x");
    let ix = e.init_write(x, 0);
    let a = e.write(0, x, 1, ONCE);
    let r = e.read(0, x, 2, ONCE);
    let b = e.write(1, x, 2, ONCE);
    e.add_rf(b, r);
    let _ = ix;
    (e, a, b)
}

#[test]
fn given_co_selects_one_alternative() {
    let (mut e, a, b) = two_writers();
    // The read of b after a forces a before b (cos-opt.cat's obsco).
    assert_eq!(verdicts(&lkmm(), &e).len(), 1);
    e.set_co(Some(vec![(0, b), (b, a)]));
    assert!(verdicts(&NativeLkmm::new(), &e).is_empty());
    // Without the read, both orders are alternatives.
    let mut e = Execution::new();
    let x = e.location("x");
    let ix = e.init_write(x, 0);
    let a = e.write(0, x, 1, ONCE);
    let b = e.write(1, x, 2, ONCE);
    let all = verdicts(&lkmm(), &e);
    assert_eq!(all, verdicts(&NativeLkmm::new(), &e));
    assert_eq!(all.len(), 2);
    for co in [vec![(ix, a), (a, b)], vec![(ix, b), (b, a)]] {
        e.set_co(Some(co));
        let v = verdicts(&NativeLkmm::new(), &e);
        assert_eq!(v.len(), 1);
        assert!(v[0].allowed);
    }
    // Not a linear extension of co0 (init write not first): no alternative.
    e.set_co(Some(vec![(a, ix), (ix, b)]));
    assert!(verdicts(&NativeLkmm::new(), &e).is_empty());
}

/// `k` copies of MP+wmb+rmb on distinct locations (6k + 4k events).
fn many_mp(k: usize, forbidden_outcome: bool) -> Execution {
    let mut e = Execution::new();
    for i in 0..k {
        let x = e.location(&format!("x{i}"));
        let y = e.location(&format!("y{i}"));
        let ix = e.init_write(x, 0);
        let _iy = e.init_write(y, 0);
        let t0 = 2 * i as u32;
        let wx = e.write(t0, x, 1, ONCE);
        e.fence(t0, &[Tag::WMB]);
        let wy = e.write(t0, y, 1, ONCE);
        let ry = e.read(t0 + 1, y, 1, ONCE);
        e.fence(t0 + 1, &[Tag::RMB]);
        let rx = e.read(t0 + 1, x, if forbidden_outcome { 0 } else { 1 }, ONCE);
        e.add_rf(wy, ry);
        e.add_rf(if forbidden_outcome { ix } else { wx }, rx);
        e.add_final(wx);
        e.add_final(wy);
    }
    e
}

#[test]
fn all_row_sizes_agree() {
    let interp = lkmm();
    let native = NativeLkmm::new();
    for k in [1, 2, 4, 7, 8] {
        for bad in [false, true] {
            let e = many_mp(k, bad);
            let a = verdicts(&interp, &e);
            let b = verdicts(&native, &e);
            assert_eq!(a, b, "k={k} n={}", e.len());
            assert_eq!(a.iter().any(|v| v.allowed), !bad, "k={k}");
        }
    }
}

#[test]
fn partial_pruning() {
    let (mut e, a, b) = two_writers();
    assert!(partial_check(&e).ok());
    e.set_co(Some(vec![(b, a)]));
    let p = partial_check(&e);
    assert!(!p.coherent);
    e.set_co(Some(vec![(a, b)]));
    assert!(partial_check(&e).ok());
    // atomicity: an RMW whose read is overwritten externally before its write.
    let mut e = Execution::new();
    let x = e.location("x");
    let ix = e.init_write(x, 0);
    let (r, w) = e.rmw_op(0, x, 0, 1, ONCE);
    let w2 = e.write(1, x, 5, ONCE);
    e.add_rf(ix, r);
    e.set_co(Some(vec![(ix, w2), (w2, w)]));
    let p = partial_check(&e);
    assert!(p.coherent && !p.atomic);
    assert!(NativeLkmm::new().check(&e).unwrap().iter().all(|v| !v.allowed || e.co().is_none()));
}

/// Issue 15: twelve CPUs writing one location have 12! coherence orders;
/// with a small budget the native model stops and says so (an error, not
/// a partial verdict list, and no unbounded allocation).
#[test]
fn coherence_orders_respect_the_memory_budget() {
    let mut e = Execution::new();
    let x = e.location("x");
    e.init_write(x, 0);
    for t in 0..12u32 {
        e.write(t, x, t as i64 + 1, ONCE);
    }
    kvet_axiom::budget::set_limit(Some(1 << 20));
    let mut out = Vec::new();
    let r = NativeLkmm::new().check_into(&e, &mut out);
    assert!(kvet_axiom::budget::exceeded());
    let err = r.expect_err("a cut enumeration is an error");
    assert!(err.msg.contains("too many coherence orders"), "{}", err.msg);
    kvet_axiom::budget::set_limit(None);
}

/// Load buffering through `x` and `y` whose first thread passes its read
/// on through a plain `z`: with `R z` reading the thread's own `W z`
/// (`rfi`), the bell's `carry-dep` makes the chain a dependency and the
/// cycle is forbidden; with `R z` reading a third thread's plain `W z`
/// (no `hb` for plain accesses) it is allowed.  The two
/// candidates have the same events, so the native model reuses its base
/// relations and the first part of the model between them
/// (`Execution::same_shape`): the verdicts must still be each one's own,
/// in any order and with either model setting.
fn lb_through_z(internal: bool) -> Execution {
    let mut e = Execution::new();
    let (x, y, z) = (e.location("x"), e.location("y"), e.location("z"));
    let ix = e.init_write(x, 0);
    let _iy = e.init_write(y, 0);
    let _iz = e.init_write(z, 0);
    let a = e.read(0, x, 1, ONCE);
    let wz = e.write(0, z, 1, &[]);
    let rz = e.read(0, z, if internal { 1 } else { 2 }, &[]);
    let wy = e.write(0, y, 1, ONCE);
    let c = e.read(1, y, 1, ONCE);
    let wx = e.write(1, x, 1, ONCE);
    let wz2 = e.write(2, z, 2, &[]);
    e.add_data(a, wz);
    e.add_data(rz, wy);
    e.add_data(c, wx);
    e.add_rf(wx, a);
    e.add_rf(if internal { wz } else { wz2 }, rz);
    e.add_rf(wy, c);
    let _ = ix;
    e
}

#[test]
fn reuse_between_candidates_is_exact() {
    let models =
        [NativeLkmm::new(), NativeLkmm::new().allowed_only(), NativeLkmm::new().through(kvet_axiom::Through::All)];
    let fresh = |m: &NativeLkmm, e: &Execution| {
        let _ = verdicts(m, &Execution::new()); // another shape: nothing reused
        verdicts(m, e)
    };
    let (fwd, back) = (lb_through_z(true), lb_through_z(false));
    assert!(!fresh(&NativeLkmm::new(), &fwd).iter().any(|v| v.allowed));
    assert!(fresh(&NativeLkmm::new(), &back).iter().any(|v| v.allowed));
    let want: Vec<Vec<Vec<Verdict>>> =
        models.iter().map(|m| [&fwd, &back].iter().map(|e| fresh(m, e)).collect()).collect();
    for round in 0..3 {
        for (mi, m) in models.iter().enumerate() {
            for (ei, e) in [&fwd, &back, &fwd].iter().enumerate() {
                let k = ei % 2;
                assert_eq!(verdicts(m, e), want[mi][k], "round {round}, model {mi}, candidate {ei}");
            }
        }
    }
}
