//! The monotone part of `linux-kernel.cat` on a partial execution: can
//! any completion of a partial read-from be allowed?
//!
//! Source: `linux-kernel.cat` (`acyclic hb`, `acyclic pb`), herd's
//! `cos-opt.cat` (`cobase`, whose transitive closure every generated
//! coherence order contains) and the incremental consistency checks of
//! herd's solver and of GenMC (a partial graph that is already
//! inconsistent has no consistent extension).
//!
//! Every relation that `hb` and `pb` are built from is a union,
//! sequence, intersection with a fixed set, or closure of `rf`, `co`,
//! `fr = rf^-1 ; co` and relations fixed by the events: monotone in `rf`
//! and `co`.  A partial read-from (some reads given their source) and the
//! coherence edges it already forces (`cobase` of the known edges, closed)
//! are subsets of those of every completion, and lock.cat only adds edges
//! (the lock read-from, the critical sections' `co`).  So if `G = hb |
//! ([prop ; strong-fence] ; [Marked])` (acyclic iff `hb` and `pb` are, see
//! [`super::co_search`]) is already cyclic on the known edges, or `cobase`
//! is, no completion is allowed and the generator can drop the partial
//! read-from with all its completions.  The checks that only reject
//! (`-through` off), and the allowed-only mode, make this sound: only
//! rejected executions are skipped, so counts, states and flags stay.
//!
//! The lock read-from follows the lock locations' coherence orders, which
//! the read-from does not give: the check tries each order (up to
//! [`MAX_LOCK_ORDERS`] combinations) for one that admits the partial
//! read-from.  When the generator has fixed the order of a location's lock
//! writes ([`Execution::lock_order`], `gen/lock_order.rs`), every
//! completion it stands for has that order: the check uses it alone (and
//! fails if the known coherence edges contradict it).  When some location
//! has several orders, the locations with one order are checked alone
//! first (a subset of every combination's edges): if that is rejected, no
//! combination needs trying.
//!
//! With plain accesses or grace periods, a lock order whose `G` is
//! acyclic is also checked against `irreflexive rb` and `plain-coherence`
//! on the same lower bounds (monotone too, see [`super::vis`]): on the
//! timer examples most lock-order choices break `plain-coherence` (a read
//! in a later critical section of a plain write's location reading an
//! older value) and are dropped before their read-from is enumerated.
//! Both are off with [`NativeLkmm::without_partial_bounds`].

use super::{inter, minus, set_of, NativeLkmm, Ops, Pre};
use crate::bits::{linearisations_at_most, Rel, Row};
use crate::exec::{Base, Execution};
use crate::PartialCache;

/// Most combinations of lock orders a partial check tries.
const MAX_LOCK_ORDERS: usize = 64;

/// What a partial check keeps per set of events: the base relations,
/// [`Pre`] (without any read-from) and the parts of `cobase` that do not
/// depend on the read-from.
struct PerEvents<R: Row> {
    b: Base<R>,
    p: Pre<R>,
    cob: CobaseParts<R>,
}

/// cos-opt.cat's `cobase` split by its dependence on `rf`: `co0` (with
/// lock.cat's additions) and `ww` are fixed by the events, the other
/// terms compose `rf` with fixed restrictions of `po-loc`.
struct CobaseParts<R: Row> {
    /// `co0 | ww` without the final writes.
    fixed: Rel<R>,
    /// `po-loc` restricted to `R2 * W2`, `W2 * R2` and `R2 * R2`.
    rw: Rel<R>,
    wr: Rel<R>,
    rr: Rel<R>,
    /// `W2` and `R2 & W2` (the ends of `rmwco`).
    w2: R,
    r2w2: R,
}

impl<R: Row> CobaseParts<R> {
    fn new(o: &Ops<R>, p: &Pre<R>) -> Self {
        let b = o.b;
        let w_niw = minus(&b.w, &b.iw);
        let mut fixed = o.cart(&b.iw, &w_niw);
        fixed.inter_with(&b.loc);
        fixed.union_with(&o.rr(&b.iw, &b.loc, &b.lkw));
        fixed.union_with(&o.rr(&b.lkw, &b.loc, &p.unmatched_lkw).diff(&o.id(&p.unmatched_lkw)));
        fixed.union_with(&p.po_loc.restrict(&p.w2, &p.w2));
        CobaseParts {
            fixed,
            rw: p.po_loc.restrict(&p.r2, &p.w2),
            wr: p.po_loc.restrict(&p.w2, &p.r2),
            rr: p.po_loc.restrict(&p.r2, &p.r2),
            w2: p.w2.clone(),
            r2w2: inter(&p.r2, &p.w2),
        }
    }

    /// `cobase` for the read-from `rf` (without the final writes).
    fn cobase(&self, b: &Base<R>, rf: &Rel<R>) -> Rel<R> {
        let mut co = self.fixed.clone();
        if rf.is_empty() {
            return co;
        }
        let invrf = rf.inverse();
        co.union_with(&rf.seq(&self.rw));
        let mut wr = self.wr.seq(&invrf);
        wr.union_with(&rf.seq(&self.rr).seq(&invrf));
        wr.diff_with(&b.id);
        co.union_with(&wr);
        co.union_with(&rf.restrict(&self.w2, &self.r2w2));
        co
    }
}

impl NativeLkmm {
    /// With plain accesses or grace periods (the checks of
    /// linux-kernel.cat beyond `hb` and `pb`), and the bounds on
    /// ([`NativeLkmm::without_partial_bounds`]): does `co` (the known
    /// coherence edges with the lock orders tried, a subset of every
    /// completion's `co`) with the partial read-from of `cf` already fail
    /// `irreflexive rb` or `plain-coherence`?  Every relation those
    /// checks are made of is monotone in `rf` and `co` (see [`super::vis`];
    /// `rf` enters through [`super::CoFree`], whose relations are unions,
    /// sequences and closures of it, and `Pre` computed without the
    /// read-from is a lower bound of the real one), and lock.cat's
    /// closure of `co` with the critical sections only adds edges: a
    /// failure here is a failure of every completion.
    fn partial_vis_rejects<R: Row>(&self, o: &Ops<R>, p: &Pre<R>, cf: &super::CoFree<R>, co: &Rel<R>) -> bool {
        if !self.partial_bounds || !self.bounded(o, p) {
            return false;
        }
        let co = self.lock_co(p, co);
        let fr = cf.rf.inverse().seq(&co);
        match self.co_rels(o, p, cf, co, fr, !p.plain.is_empty(), true) {
            None => true,
            Some(r) => r.vis.is_some_and(|v| v.incoherent(cf, &r.co, &r.fr)),
        }
    }

    /// Is some completion of the partial read-from of `ex` (no final
    /// writes, no coherence order given) possibly allowed?  `false` only
    /// when every completion is rejected.  Always `true` when this model
    /// reports rejected alternatives or lets them through.
    ///
    /// `cache` keeps what depends on the events only (the base relations
    /// and [`Pre`] computed without any read-from, a lower bound of the
    /// real one: `carry-dep` only grows with `rfi`); the caller clears it
    /// whenever the events change.
    pub fn partial_ok(&self, ex: &Execution, cache: &mut PartialCache) -> bool {
        if !self.prune() || self.sc {
            return true;
        }
        crate::dispatch_rows!(ex.len(), self.partial_run(ex, cache))
    }

    fn partial_run<R: Row>(&self, ex: &Execution, cache: &mut PartialCache) -> bool {
        if cache.slot().as_ref().is_none_or(|c| !c.is::<Option<PerEvents<R>>>()) {
            let mut b = Base::<R>::new(ex);
            b.rf = Rel::empty(b.n);
            let o = Ops { b: &b, n: b.n };
            let pc = self.pre(ex, &o).ok().map(|p| {
                let cob = CobaseParts::new(&o, &p);
                (p, cob)
            });
            let fixed = pc.map(|(p, cob)| PerEvents { b, p, cob });
            *cache.slot_mut() = Some(Box::new(fixed));
        }
        let Some(Some(PerEvents { b, p, cob })) =
            cache.slot().as_ref().and_then(|c| c.downcast_ref::<Option<PerEvents<R>>>())
        else {
            return false; // a check failed that no read-from repairs
        };
        let o = Ops { b, n: b.n };
        let mut rf = Rel::empty(b.n);
        for &(w, r) in ex.rf() {
            rf.insert(w, r);
        }
        // cobase on the known edges (as in `with_rf`, without the final
        // writes, which are not chosen yet)
        let mut co = cob.cobase(b, &rf);
        if !co.is_acyclic() {
            return false;
        }
        co.close();
        // The lock read-from follows the lock locations' coherence order,
        // which no read-from choice gives: try each order of each lock
        // location (few: a linear extension of the lock writes' program
        // order), as `search_orders` does.  Too many: no lock read-from
        // (fewer edges, still a lower bound).
        let mut classes: Vec<R> = Vec::new();
        for e in b.lkw.iter() {
            match classes.iter_mut().find(|c| c.first().is_some_and(|f| b.loc.contains(f, e))) {
                Some(c) => c.insert(e),
                None => classes.push(set_of(b.n, std::iter::once(e))),
            }
        }
        // (the generator's fixed orders, `Execution::lock_order`: one
        // order for the locations they cover, if `co` agrees with it)
        let fixed = super::lock_chain::<R>(ex, b.n);
        let is_fixed = |c: &R| fixed.as_ref().is_some_and(|(_, cov)| c.first().is_some_and(|f| cov.contains(f)));
        let fixed_order = |c: &R| -> Vec<Rel<R>> {
            let mut total = fixed.as_ref().map_or_else(|| Rel::empty(b.n), |(chain, _)| chain.restrict(c, c));
            total.close();
            if co.restrict(c, c).is_subset(&total) {
                vec![total]
            } else {
                Vec::new()
            }
        };
        // (at most MAX_LOCK_ORDERS combinations: the enumeration of the
        // unfixed locations stops as soon as they would be more)
        crate::budget::reset();
        let before = crate::deadline::counters().orders;
        let mut orders: Vec<Vec<Rel<R>>> = Vec::with_capacity(classes.len());
        let mut combos = 1usize;
        let mut too_many = false;
        for c in &classes {
            let os = if is_fixed(c) {
                fixed_order(c)
            } else if too_many {
                Vec::new()
            } else {
                match linearisations_at_most(b.n, c, &co, MAX_LOCK_ORDERS / combos.max(1)) {
                    Some(os) => os,
                    None => {
                        too_many = true;
                        Vec::new()
                    }
                }
            };
            combos = combos.saturating_mul(os.len());
            orders.push(os);
        }
        crate::deadline::count(|k| {
            k.partial_orders += k.orders - before;
            k.orders = before;
        });
        if too_many {
            // (the fixed orders alone still give their locations' lock
            // read-from: it depends on each location's order only)
            let mut k = 0;
            orders.retain(|_| {
                k += 1;
                is_fixed(&classes[k - 1])
            });
        }
        crate::budget::reset();
        if orders.iter().any(|os| os.is_empty()) {
            return false; // no lock order at all
        }
        // Does the lock order `co_lock` (with the known edges) admit the
        // partial read-from?
        let admits = |co_lock: &Rel<R>| -> bool {
            let mut co_all = co.clone();
            co_all.union_with(co_lock);
            let lrf = if orders.is_empty() { rf.clone() } else { self.lock_rf(&o, p, &rf, co_lock) };
            let linv = lrf.inverse();
            let cf = self.co_free(&o, p, lrf);
            let (mut g, tail_sf) = self.g_base(&o, p, &cf);
            for (x, row) in self.g_part(&o, p, &cf, &tail_sf, &linv, &co_all) {
                g.row_mut(x).union_with(&row);
            }
            g.is_acyclic() && !self.partial_vis_rejects(&o, p, &cf, &co_all)
        };
        let several = orders.iter().any(|os| os.len() > 1);
        if several && self.partial_bounds {
            // First the locations with a single order alone: the others'
            // edges common to all their orders are in `co` already, and
            // their lock read-from is left out, so this is a subset of
            // every combination's edges (the lock read-from of a location
            // depends on its own order only).  If it is rejected, every
            // combination is: one check instead of one per combination.
            let mut co_lock = Rel::empty(b.n);
            for os in orders.iter().filter(|os| os.len() == 1) {
                co_lock.union_with(&os[0]);
            }
            if !admits(&co_lock) {
                return false;
            }
        }
        let mut idx = vec![0usize; orders.len()];
        let mut tried = u64::from(several && self.partial_bounds);
        loop {
            // (each combination after the first costs the units of an
            // evaluation; past the work bound or the deadline, the check
            // says "maybe" and the generator's next unit stops it)
            tried += 1;
            if tried > 1 && crate::deadline::passed_by(crate::deadline::eval_units(b.n)) {
                return true;
            }
            let mut co_lock = Rel::empty(b.n);
            for (k, os) in orders.iter().enumerate() {
                co_lock.union_with(&os[idx[k]]);
            }
            if admits(&co_lock) {
                return true;
            }
            if !crate::bits::next_index(&mut idx, |k| orders[k].len()) {
                return false;
            }
        }
    }
}
