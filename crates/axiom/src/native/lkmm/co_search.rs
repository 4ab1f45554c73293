//! Pruned search over the coherence orders of one read-from, for the
//! general case of the native LKMM (locks, plain accesses, grace periods).
//!
//! Source: `linux-kernel.cat` (`acyclic hb`, `acyclic pb`) and herd's
//! `cos-opt.cat` (`with co from generate_cos(cobase)`); the method is the
//! one of [`NativeLkmm::count_orders`], which only covers the case without
//! locks, plain accesses and grace periods.
//!
//! `hb` and `pb` are both acyclic iff `G = hb | ([prop ; strong-fence] ;
//! [Marked])` is, and `co` enters `G` only through `overwrite = co | fr`,
//! monotonically: a union over the locations of one part per location
//! and order, over a fixed part `G0` that depends on the read-from only.
//! So a partial choice of orders (some locations) whose parts make `G0`
//! cyclic can be dropped with every completion of it: every full order
//! extending it (and lock.cat's closure of it with the critical sections,
//! which only adds `co` edges) makes `hb` or `pb` cyclic, and the model
//! rejects it.  The full check ([`NativeLkmm::with_co`]) runs on the
//! orders that survive, so verdicts, counts and flags are those of the
//! plain enumeration; only rejected alternatives are skipped.
//!
//! With lock events, the read-from of a `spin_lock()`'s lock read follows
//! the lock location's coherence order (lock.cat): the lock locations are
//! chosen first, and `G0` is computed for each of their choices.

use super::{union, CoFree, NativeLkmm, Ops, Pre};
use crate::bits::{Rel, Row};
use crate::Verdict;

/// The `G` edges one location's order adds: its non-empty rows.
pub(super) type Part<R> = Vec<(usize, R)>;

impl NativeLkmm {
    /// `G0` (the part of `G` that does not depend on `co`) and
    /// `[_] ; prop-tail ; strong-fence ; [Marked]`.
    pub(super) fn g_base<R: Row>(&self, o: &Ops<R>, p: &Pre<R>, cf: &CoFree<R>) -> (Rel<R>, Rel<R>) {
        let b = o.b;
        let m = &p.marked;
        let mut tail_sf = cf.prop_tail.seq(&cf.strong_fence);
        tail_sf.restrict_ran(m);
        let mut prop0 = cf.prop_tail.clone();
        prop0.restrict_dom(m);
        let mut hb0 = cf.ppo.union(&cf.rfe);
        let mut pi = prop0;
        pi.remove_id();
        pi.inter_with(&b.int);
        hb0.union_with(&pi);
        let mut g0 = hb0.restrict(m, m);
        let mut x0 = tail_sf.clone();
        x0.restrict_dom(m);
        g0.union_with(&x0);
        (g0, tail_sf)
    }

    /// The part of `G` that the order `co_l` of one location adds (`invrf`
    /// is `rf^-1`): only the events of the location (its writes, and the
    /// reads reading from them) start an `overwrite` edge.
    pub(super) fn g_part<R: Row>(
        &self,
        o: &Ops<R>,
        p: &Pre<R>,
        cf: &CoFree<R>,
        tail_sf: &Rel<R>,
        invrf: &Rel<R>,
        co_l: &Rel<R>,
    ) -> Part<R> {
        let b = o.b;
        let n = b.n;
        let m = &p.marked;
        let mut rows: Part<R> = Vec::new();
        let mut add = |x: usize, ovw: &R| {
            if ovw.is_empty() || !m.contains(x) {
                return;
            }
            // [Marked] ; (overwrite & int) ; [Marked]
            let mut g = ovw.clone();
            g.inter_with(b.int.row(x));
            g.inter_with(m);
            let mut ext = ovw.clone();
            ext.inter_with(b.ext.row(x));
            let mut pl = R::zeros(n);
            for y in ext.iter() {
                pl.union_with(cf.prop_tail.row(y));
                // prop ; strong-fence, ranging over marked
                g.union_with(tail_sf.row(y));
            }
            // ((prop \ id) & int), marked at both ends
            pl.inter_with(b.int.row(x));
            pl.inter_with(m);
            pl.remove(x);
            g.union_with(&pl);
            if !g.is_empty() {
                rows.push((x, g));
            }
        };
        for w in 0..n {
            let row = co_l.row(w);
            if !row.is_empty() {
                add(w, row);
            }
        }
        // fr = rf^-1 ; co
        for r in 0..n {
            for s in invrf.row(r).iter() {
                let row = co_l.row(s);
                if !row.is_empty() {
                    add(r, row);
                }
            }
        }
        rows
    }

    /// Evaluate every coherence order of one read-from (`orders`: per
    /// location class, its candidate orders), skipping the partial choices
    /// that already make `G` cyclic.  Only for [`Self::prune`] mode (the
    /// skipped orders are rejected ones, and rejected verdicts are not
    /// reported there).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn search_orders<R: Row>(
        &self,
        o: &Ops<R>,
        p: &Pre<R>,
        rf: &Rel<R>,
        classes: &[R],
        orders: &[Vec<Rel<R>>],
        cached: Option<&CoFree<R>>,
        sink: &mut dyn FnMut(Verdict),
    ) {
        let b = o.b;
        let n = b.n;
        let lockev = union(&b.lkw, &b.ul);
        // the classes whose order decides the lock read-from
        let is_lock: Vec<bool> = classes.iter().map(|c| cached.is_none() && c.intersects(&lockev)).collect();
        let lock_ks: Vec<usize> = (0..classes.len()).filter(|&k| is_lock[k]).collect();
        let rest: Vec<usize> = (0..classes.len()).filter(|&k| !is_lock[k]).collect();
        let mut memo: Vec<CoFree<R>> = Vec::new();
        let mut idx = vec![0usize; lock_ks.len()];
        loop {
            let mut co_lock = Rel::empty(n);
            for (j, &k) in lock_ks.iter().enumerate() {
                co_lock.union_with(&orders[k][idx[j]]);
            }
            let cf: &CoFree<R> = match cached {
                Some(c) => c,
                None => {
                    let lrf = self.lock_rf(o, p, rf, &co_lock);
                    let k = match memo.iter().position(|c| c.rf.rows() == lrf.rows()) {
                        Some(k) => k,
                        None => {
                            if memo.len() >= 64 {
                                memo.remove(0);
                            }
                            memo.push(self.co_free(o, p, lrf));
                            memo.len() - 1
                        }
                    };
                    &memo[k]
                }
            };
            let (mut g, tail_sf) = self.g_base(o, p, cf);
            let invrf = cf.rf.inverse();
            for (j, &k) in lock_ks.iter().enumerate() {
                for (x, row) in self.g_part(o, p, cf, &tail_sf, &invrf, &orders[k][idx[j]]) {
                    g.row_mut(x).union_with(&row);
                }
            }
            if g.is_acyclic() {
                let parts: Vec<Vec<Part<R>>> = rest
                    .iter()
                    .map(|&k| orders[k].iter().map(|co_l| self.g_part(o, p, cf, &tail_sf, &invrf, co_l)).collect())
                    .collect();
                let mut search = Dfs { model: self, o, p, cf, rest: &rest, orders, parts: &parts, sink, stop: false };
                search.rec(0, &g, &co_lock);
                if search.stop {
                    return;
                }
            } else if crate::deadline::passed() {
                return;
            }
            let mut k = 0;
            loop {
                if k == idx.len() {
                    return;
                }
                idx[k] += 1;
                if idx[k] < orders[lock_ks[k]].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }

    /// The read-from with lock.cat's lock read-from added: each lock read
    /// reads from the initial write or unlock immediately co-before its
    /// lock write (`co0` holds at least the lock locations' orders).
    pub(super) fn lock_rf<R: Row>(&self, o: &Ops<R>, p: &Pre<R>, rf0: &Rel<R>, co0: &Rel<R>) -> Rel<R> {
        let b = o.b;
        let mut rf = rf0.clone();
        if p.lk_rmw.is_empty() {
            return rf;
        }
        let mut co = co0.clone();
        if !p.critical.is_empty() {
            co.union_with(&p.critical);
            co.union_with(&p.critical.inverse().seq(co0));
            co.close();
        }
        let mut ss = co.diff(&co.seq(&co));
        ss.restrict_dom(&union(&b.iw, &b.ul));
        rf.union_with(&ss.seq(&p.lk_rmw.inverse()));
        rf
    }
}

/// The depth-first search over the non-lock locations' orders.
struct Dfs<'a, 's, R: Row> {
    model: &'a NativeLkmm,
    o: &'a Ops<'a, R>,
    p: &'a Pre<R>,
    cf: &'a CoFree<R>,
    rest: &'a [usize],
    orders: &'a [Vec<Rel<R>>],
    parts: &'a [Vec<Part<R>>],
    sink: &'s mut dyn FnMut(Verdict),
    /// The deadline passed: stop.
    stop: bool,
}

impl<R: Row> Dfs<'_, '_, R> {
    fn rec(&mut self, l: usize, g: &Rel<R>, co: &Rel<R>) {
        if l == self.rest.len() {
            let mut none = Vec::new();
            let v = self.model.with_co(self.o, self.p, &self.cf.rf, co, Some(self.cf), &mut none);
            if v.allowed {
                (self.sink)(v);
            }
            self.stop = crate::deadline::passed();
            return;
        }
        let k = self.rest[l];
        for (j, part) in self.parts[l].iter().enumerate() {
            let mut next = g.clone();
            for (x, row) in part {
                next.row_mut(*x).union_with(row);
            }
            if next.is_acyclic() {
                let mut co2 = co.clone();
                co2.union_with(&self.orders[k][j]);
                self.rec(l + 1, &next, &co2);
            } else if crate::deadline::passed() {
                self.stop = true;
            }
            if self.stop {
                return;
            }
        }
    }
}
