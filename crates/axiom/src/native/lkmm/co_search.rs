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
//! chosen first, and `G0` is computed for each of their choices (with
//! the lock locations' orders closed with the critical sections, as the
//! leaves see them).
//!
//! With plain accesses or grace periods, `linux-kernel.cat` has checks
//! beyond `hb` and `pb` (`plain-coherence`, `irreflexive rb`) and a flag
//! (`data-race`); [`super::vis`] computes their relations for any `co`,
//! monotonically.  The search uses them as bounds (the soundness argument
//! is in [`Dfs`]):
//! * a candidate order of one location is dropped before the search when
//!   it fails a check together with the lock orders and the edges common
//!   to every candidate order of each location (a part of every leaf that
//!   contains it); those edges alone are checked first, and the locations
//!   are filtered fewest orders first, stopping at the first left with
//!   none (no leaf exists then: the verdict is the same);
//! * a subtree is skipped when its chosen orders (plus those common
//!   edges) already fail a check, and a child when its order, with its
//!   parent's lower bounds, fails `plain-coherence`;
//! * a subtree in which every leaf passes those checks and none can be
//!   flagged a data race is counted on `G`, as
//!   [`NativeLkmm::count_orders`] does, and reported as one verdict with
//!   that multiplicity ([`crate::Model::check_counted_into`]).
//!
//! So only rejected orders are skipped and alike allowed ones counted
//! together: counts, states and flags are those of the plain enumeration
//! ([`NativeLkmm::without_co_bounds`] turns the bounds off to show it).

use super::lock_walk::{LockClass, LockWalk};
use super::{union, CoFree, NativeLkmm, Ops, Pre};
use crate::bits::{Rel, Row};
use crate::exec::Tag;
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
    /// location class, its candidate orders; the lock locations' are
    /// generated from `cobase` and `imm` by [`LockWalk`]), skipping the
    /// partial choices that already make `G` cyclic.  Only for [`Self::prune`] mode (the
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
        (cobase, imm): (&Rel<R>, &[(usize, usize)]),
        sink: &mut dyn FnMut(Verdict, u64),
    ) {
        let b = o.b;
        let n = b.n;
        let lockev = union(&b.lkw, &b.ul);
        // the classes whose order decides the lock read-from
        let is_lock: Vec<bool> = classes.iter().map(|c| cached.is_none() && c.intersects(&lockev)).collect();
        let lock_ks: Vec<usize> = (0..classes.len()).filter(|&k| is_lock[k]).collect();
        let rest: Vec<usize> = (0..classes.len()).filter(|&k| !is_lock[k]).collect();
        let mut memo: Vec<CoFree<R>> = Vec::new();
        let mut leaf =
            |co_lock: &Rel<R>| -> bool { self.lock_leaf(o, p, rf, &rest, orders, cached, &mut memo, co_lock, sink) };
        let lock_classes = lock_ks
            .iter()
            .map(|&k| {
                let first = classes[k].first().expect("non-empty class");
                LockClass::new(n, &classes[k], cobase, imm, b.loc.row(first))
            })
            .collect();
        let mut walk = LockWalk {
            model: self,
            o,
            p,
            rf,
            classes: lock_classes,
            leaf: &mut leaf,
            prune: self.co_bounds,
            bounded: self.bounded(o, p),
            built: 0,
            leaves: 0,
        };
        walk.run();
    }

    /// One combination of the lock locations' orders (`co_lock`) of
    /// [`Self::search_orders`]: the search over the other locations'
    /// orders.  `true` when the deadline or the work bound stopped it.
    #[allow(clippy::too_many_arguments)]
    fn lock_leaf<R: Row>(
        &self,
        o: &Ops<R>,
        p: &Pre<R>,
        rf: &Rel<R>,
        rest: &[usize],
        orders: &[Vec<Rel<R>>],
        cached: Option<&CoFree<R>>,
        memo: &mut Vec<CoFree<R>>,
        co_lock: &Rel<R>,
        sink: &mut dyn FnMut(Verdict, u64),
    ) -> bool {
        let n = o.b.n;
        crate::deadline::count(|c| c.lock_leaves += 1);
        let cf: &CoFree<R> = match cached {
            Some(c) => c,
            None => {
                let lrf = self.lock_rf(o, p, rf, co_lock);
                self.memo_co_free(o, p, memo, lrf)
            }
        };
        let (mut g, tail_sf) = self.g_base(o, p, cf);
        let invrf = cf.rf.inverse();
        // the lock locations' part of `co` as the leaves see it:
        // closed with the critical sections (lock.cat), which only
        // relate events of the lock locations
        let co_lock_closed = self.lock_co(p, co_lock);
        for (x, row) in self.g_part(o, p, cf, &tail_sf, &invrf, &co_lock_closed) {
            g.row_mut(x).union_with(&row);
        }
        // per level of the search, the candidate orders of its
        // location, less those that a lower bound already rejects
        let mut lvl: Vec<Vec<Rel<R>>> = rest.iter().map(|&k| orders[k].clone()).collect();
        let on = self.co_bounds && self.bounded(o, p);
        if g.is_acyclic() && on {
            let total = lvl.iter().fold(1u64, |a, os| a.saturating_mul(os.len() as u64));
            if total >= NODE_MIN {
                // the edges every candidate order of its level has
                let mut forced = co_lock.clone();
                for os in &lvl {
                    forced.union_with(&common(n, os));
                }
                // (a check of one order costs about an evaluation, see
                // `eval_units`: charged even when every order is rejected
                // and no evaluation follows, or a lock walk with many
                // leaves would run unbounded)
                let units = crate::deadline::eval_units(n);
                // The forced edges alone first: they are in every leaf's
                // `co`, so a check they fail rejects every leaf (one
                // check instead of one per order of every level).
                if crate::deadline::passed_by(units) {
                    return true;
                }
                if self.rejects_part(o, p, cf, &forced, &Rel::empty(n)) {
                    lvl.clear();
                    lvl.push(Vec::new());
                }
                // Then the levels with the fewest orders first, stopping
                // at the first that has none left: no leaf exists, so the
                // other levels need no check (the verdict, "no allowed
                // leaf", is the same whatever they hold).
                let mut ks: Vec<usize> = (0..lvl.len()).filter(|&k| lvl[k].len() > 1).collect();
                ks.sort_by_key(|&k| (lvl[k].len(), k));
                for k in ks {
                    if crate::deadline::passed_by(units * lvl[k].len() as u64) {
                        return true;
                    }
                    lvl[k].retain(|co_j| !self.rejects_part(o, p, cf, &forced, co_j));
                    if lvl[k].is_empty() {
                        break;
                    }
                }
            }
        }
        if g.is_acyclic() && lvl.iter().all(|os| !os.is_empty()) {
            let parts: Vec<Vec<Part<R>>> = lvl
                .iter()
                .map(|os| os.iter().map(|co_l| self.g_part(o, p, cf, &tail_sf, &invrf, co_l)).collect())
                .collect();
            let exact_g = cached.is_none() || p.critical.is_empty();
            let bounds = Bounds::new(self, o, p, cf, on, &lvl, &parts, exact_g);
            let mut search = Dfs { model: self, o, p, cf, orders: &lvl, parts: &parts, bounds, sink, stop: false };
            search.rec(0, &g, co_lock);
            return search.stop;
        }
        crate::deadline::passed()
    }

    /// Are there checks beyond `hb` and `pb` for the bounds of [`Dfs`]
    /// to look at (plain accesses, grace periods), outside the SC variant?
    pub(super) fn bounded<R: Row>(&self, o: &Ops<R>, p: &Pre<R>) -> bool {
        let b = o.b;
        let no_gp = b.tag(Tag::SYNC_RCU).is_empty() && b.tag(Tag::SYNC_SRCU).is_empty();
        !self.sc && (!p.plain.is_empty() || !no_gp)
    }

    /// Does every coherence order containing `co_lock | co_j` fail a
    /// check of `linux-kernel.cat` (evaluated on that part alone, a lower
    /// bound of every such order's relations, see [`super::vis`])?
    pub(super) fn rejects_part<R: Row>(
        &self,
        o: &Ops<R>,
        p: &Pre<R>,
        cf: &CoFree<R>,
        co_lock: &Rel<R>,
        co_j: &Rel<R>,
    ) -> bool {
        let co = self.lock_co(p, &co_lock.union(co_j));
        let fr = cf.rf.inverse().seq(&co);
        match self.co_rels(o, p, cf, co, fr, !p.plain.is_empty(), true) {
            None => true,
            Some(r) => r.vis.is_some_and(|v| v.incoherent(cf, &r.co, &r.fr)),
        }
    }

    /// The read-from with lock.cat's lock read-from added: each lock read
    /// reads from the initial write or unlock immediately co-before its
    /// lock write (`co0` holds at least the lock locations' orders).
    /// The co-free relations of read-from `rf`, from `memo` (the last 64
    /// distinct ones: the alternatives of one read-from that agree on
    /// the lock read-from share them) or computed and remembered.
    pub(super) fn memo_co_free<'m, R: Row>(
        &self,
        o: &Ops<R>,
        p: &Pre<R>,
        memo: &'m mut Vec<CoFree<R>>,
        rf: Rel<R>,
    ) -> &'m CoFree<R> {
        let k = match memo.iter().position(|c| c.rf.rows() == rf.rows()) {
            Some(k) => k,
            None => {
                if memo.len() >= 64 {
                    memo.remove(0);
                }
                memo.push(self.co_free(o, p, rf));
                memo.len() - 1
            }
        };
        &memo[k]
    }

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

/// The subtrees of the search small enough to enumerate without bounds
/// (fewer completions than this).
const NODE_MIN: u64 = 8;

/// What the bounds of a node need, fixed for one [`Dfs`].
struct Bounds<R: Row> {
    /// Bounds are worth computing: plain accesses or grace periods (the
    /// only checks beyond `hb`/`pb`), and not the SC variant.
    on: bool,
    /// `G` (the fixed part plus the parts of the chosen orders) is
    /// exactly `hb | [prop ; strong-fence] ; [Marked]` of the leaves, so
    /// a subtree can be counted on it: the lock locations' orders are
    /// all decided (with their critical sections) before the search.
    exact_g: bool,
    /// Per level: the union of every candidate order of the locations
    /// from that level on, the union of their `G` parts, and the number
    /// of completions (saturating).
    suffix_co: Vec<Rel<R>>,
    suffix_g: Vec<Rel<R>>,
    /// Per level: the union over the levels from that one on of the
    /// edges common to all their candidate orders (in every leaf).
    suffix_forced: Vec<Rel<R>>,
    sizes: Vec<u64>,
    /// The flags of every allowed leaf of a uniform subtree.
    flags: u32,
}

impl<R: Row> Bounds<R> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        m: &NativeLkmm,
        o: &Ops<R>,
        p: &Pre<R>,
        cf: &CoFree<R>,
        on: bool,
        orders: &[Vec<Rel<R>>],
        parts: &[Vec<Part<R>>],
        exact_g: bool,
    ) -> Self {
        let n = o.b.n;
        let k = orders.len();
        let mut suffix_co: Vec<Rel<R>> = vec![Rel::empty(n); k + 1];
        let mut suffix_g: Vec<Rel<R>> = vec![Rel::empty(n); k + 1];
        let mut sizes = vec![1u64; k + 1];
        let mut suffix_forced: Vec<Rel<R>> = vec![Rel::empty(n); k + 1];
        if on {
            for l in (0..k).rev() {
                let mut f = suffix_forced[l + 1].clone();
                f.union_with(&common(n, &orders[l]));
                suffix_forced[l] = f;
                let mut c = suffix_co[l + 1].clone();
                let mut g = suffix_g[l + 1].clone();
                for (co_l, part) in orders[l].iter().zip(&parts[l]) {
                    c.union_with(co_l);
                    for (x, row) in part {
                        g.row_mut(*x).union_with(row);
                    }
                }
                suffix_co[l] = c;
                suffix_g[l] = g;
                sizes[l] = sizes[l + 1].saturating_mul(orders[l].len() as u64);
            }
        }
        let flags = if p.plain.is_empty() { p.flags } else { p.flags | m.mixed_flag(p, cf) };
        Bounds { on, exact_g, suffix_co, suffix_g, suffix_forced, sizes, flags }
    }
}

/// The depth-first search over the non-lock locations' orders.
///
/// At a node whose subtree is large ([`NODE_MIN`]) and when checks
/// beyond `hb`/`pb` exist (plain accesses, grace periods), the relations
/// of [`super::vis`] are evaluated twice, on the chosen orders `P` (with
/// the lock locations': lower bounds of every leaf's, each leaf's `co`
/// containing `P`) and on `U`, `P` plus every candidate order of the
/// undecided locations (upper bounds):
/// * `hb`/`pb` cyclic or `rb` reflexive on `P`, or `plain-coherence`
///   failing on `P` (`pre-race & co_P & ww-vis_P^-1` etc.: each term
///   monotone in `co`), reject every leaf: the subtree is skipped;
/// * the children are filtered by the same `plain-coherence` terms with
///   the node's lower bounds and the child's order alone;
/// * when `rb` is irreflexive and `plain-coherence` holds on `U`, and no
///   race is possible (the race terms with `co`/`fr` of `U` and the
///   `*-vis`/`rw-xbstar` of `P`: `ww-race ⊆ (pre-race & co_U) \
///   ww-nonrace_P` and so on, since `co`, `fr` only grow and the
///   non-race relations only shrink from a leaf to those bounds), every
///   leaf is allowed iff its `hb` and `pb` are acyclic, i.e. iff `G` is
///   (see [`NativeLkmm::count_orders`]), with the same flags: the leaves
///   with acyclic `G` are counted as `count_orders` does and given as one
///   verdict with that multiplicity.  Only when `G` is exact
///   ([`Bounds::exact_g`]).
///
/// So the verdicts given are those of the leaves' evaluations, with the
/// rejected leaves skipped: counts, flags and states stay exact.
struct Dfs<'a, 's, R: Row> {
    model: &'a NativeLkmm,
    o: &'a Ops<'a, R>,
    p: &'a Pre<R>,
    cf: &'a CoFree<R>,
    /// Per level, the candidate orders of its location.
    orders: &'a [Vec<Rel<R>>],
    parts: &'a [Vec<Part<R>>],
    bounds: Bounds<R>,
    sink: &'s mut dyn FnMut(Verdict, u64),
    /// The deadline passed: stop.
    stop: bool,
}

/// What the bounds say about a subtree.
enum Node<R: Row> {
    /// Every leaf is rejected.
    Rejected,
    /// Every leaf with acyclic `G` is allowed, with the same flags.
    Uniform,
    /// Undecided; the lower bounds of `ww-vis` and `wr-vis`, if any.
    Open(Option<super::vis::Vis<R>>),
}

impl<R: Row> Dfs<'_, '_, R> {
    fn rec(&mut self, l: usize, g: &Rel<R>, co: &Rel<R>) {
        if l == self.orders.len() {
            let mut none = Vec::new();
            let v = self.model.with_co(self.o, self.p, &self.cf.rf, co, Some(self.cf), &mut none);
            if v.allowed {
                (self.sink)(v, 1);
            }
            self.stop = crate::deadline::passed_by(crate::deadline::eval_units(self.o.n));
            return;
        }
        let mut lower = None;
        if self.bounds.on && self.bounds.sizes[l] >= NODE_MIN {
            if crate::deadline::passed_by(crate::deadline::eval_units(self.o.n)) {
                self.stop = true;
                return;
            }
            match self.node(l, co) {
                Node::Rejected => return,
                Node::Uniform => {
                    let count = self.count(l, g);
                    if count > 0 {
                        (self.sink)(self.model.verdict(true, self.bounds.flags), count);
                    }
                    return;
                }
                Node::Open(v) => lower = v,
            }
        }
        for (j, part) in self.parts[l].iter().enumerate() {
            let co_j = &self.orders[l][j];
            if let Some(v) = &lower {
                // plain-coherence with the node's lower bounds and this
                // location's order alone (a subset of every leaf's)
                let fr_j = self.cf.rf.inverse().seq(co_j);
                if v.incoherent_co(self.cf, co_j, &fr_j) {
                    continue;
                }
            }
            let mut next = g.clone();
            for (x, row) in part {
                next.row_mut(*x).union_with(row);
            }
            if next.is_acyclic() {
                let mut co2 = co.clone();
                co2.union_with(co_j);
                self.rec(l + 1, &next, &co2);
            } else if crate::deadline::passed() {
                self.stop = true;
            }
            if self.stop {
                return;
            }
        }
    }

    /// The bounds of the subtree below level `l` with the orders `co`
    /// chosen (see [`Dfs`]).
    fn node(&self, l: usize, co: &Rel<R>) -> Node<R> {
        let (m, o, p, cf) = (self.model, self.o, self.p, self.cf);
        let want_vis = !p.plain.is_empty();
        let invrf = cf.rf.inverse();
        let co_p = m.lock_co(p, &co.union(&self.bounds.suffix_forced[l]));
        let fr_p = invrf.seq(&co_p);
        let Some(lo) = m.co_rels(o, p, cf, co_p, fr_p, want_vis, true) else {
            return Node::Rejected;
        };
        if let Some(v) = &lo.vis {
            if v.incoherent(cf, &lo.co, &lo.fr) {
                return Node::Rejected;
            }
        }
        if !self.bounds.exact_g {
            return Node::Open(lo.vis);
        }
        let mut co_u = co.clone();
        co_u.union_with(&self.bounds.suffix_co[l]);
        let co_u = m.lock_co(p, &co_u);
        let fr_u = invrf.seq(&co_u);
        let up = m.co_rels(o, p, cf, co_u, fr_u, want_vis, false).expect("not stopped early");
        let uniform = up.rb_ok
            && match (&up.vis, &lo.vis) {
                (Some(vu), Some(vl)) => !vu.incoherent(cf, &up.co, &up.fr) && !vl.racy(o, p, cf, &up.co, &up.fr),
                _ => true,
            };
        if uniform {
            Node::Uniform
        } else {
            Node::Open(lo.vis)
        }
    }

    /// The leaves below level `l` (with `G` so far `cur`) whose `G` is
    /// acyclic, counted as [`NativeLkmm::count_orders`] does.
    fn count(&self, l: usize, cur: &Rel<R>) -> u64 {
        let mut all = cur.clone();
        all.union_with(&self.bounds.suffix_g[l]);
        if all.is_acyclic() {
            return self.bounds.sizes[l];
        }
        if l == self.orders.len() {
            return 0;
        }
        let mut total = 0u64;
        for part in &self.parts[l] {
            let mut next = cur.clone();
            for (x, row) in part {
                next.row_mut(*x).union_with(row);
            }
            if next.is_acyclic() {
                total = total.saturating_add(self.count(l + 1, &next));
            }
        }
        total
    }
}

/// The edges common to all the orders `os` (none if there are none).
fn common<R: Row>(n: usize, os: &[Rel<R>]) -> Rel<R> {
    let mut it = os.iter();
    let Some(first) = it.next() else { return Rel::empty(n) };
    let mut c = first.clone();
    for o in it {
        c.inter_with(o);
    }
    c
}
