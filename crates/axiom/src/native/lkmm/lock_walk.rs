//! The lock locations' coherence orders of one read-from, generated
//! write by write: a prefix that already makes the execution inconsistent
//! is dropped with every order that extends it.
//!
//! Source: `lock.cat` (the lock read-from of each `spin_lock()` is the
//! initial write or unlock immediately co-before its lock write; `co` is
//! closed with the critical sections), herd's `cos-opt.cat` (the orders of
//! a location are the linearisations of `cobase` on its writes, an RMW's
//! write right after its source) and `linux-kernel.cat` (`acyclic hb`,
//! `acyclic pb`, `irreflexive rb`, `plain-coherence`), with the
//! monotonicity argument of [`super::partial`] and [`super::vis`]: those
//! relations only grow with `rf` and `co`.
//!
//! When the generator leaves a lock location's order to the model (more
//! interleavings of its critical sections than it splits a combination
//! into, `gen/lock_order.rs`), the orders are many: eight critical
//! sections in chains of 1, 1, 3 and 3 are 1,120 of them, and building
//! each (with its per-location check) and its co-free relations cost
//! seconds per read-from on a workqueue scenario.  But the read-from of
//! the critical sections' own reads already orders most of them.  A
//! *prefix* of a location's order (its first `d` writes, in order) fixes,
//! in every order extending it:
//! * the `co` edges among the placed writes, and from each placed write to
//!   every write not placed yet (they all come later);
//! * the lock read-from of each placed lock write: the unlock (or initial
//!   write) immediately before it, the same in every extension, since
//!   nothing is inserted before a placed write.
//!
//! Those edges, with the orders of the lock locations chosen before and
//! lock.cat's closure with the critical sections, are subsets of every
//! extension's, so `G = hb | ([prop ; strong-fence] ; [Marked])` (and,
//! with plain accesses or grace periods, `rb` and the `plain-coherence`
//! terms, [`NativeLkmm::rejects_part`]) computed on them are subsets of
//! every extension's: if `G` is cyclic (or a check fails), every extension
//! is rejected and the subtree is skipped.  The orders are generated as
//! [`crate::bits::linearisations_imm`] does, and each complete one passes
//! the same filters as before (the given `co`, [`NativeLkmm::loc_ok`]), so
//! the orders that survive are evaluated as before: verdicts, counts and
//! flags are those of the plain enumeration
//! ([`NativeLkmm::without_co_bounds`] turns the prefix checks off).

use super::{NativeLkmm, Ops, Pre};
use crate::bits::{Rel, Row};

/// How many complete orders the walk builds for one unit of work.
const ORDERS_PER_UNIT: u64 = crate::bits::ORDERS_PER_UNIT as u64;

/// One lock location's writes, and what orders them.
pub(super) struct LockClass<R: Row> {
    /// Its writes (`W | LKW`), the initial one among them.
    nodes: Vec<usize>,
    /// Per event: its `cobase` predecessors among the writes.
    preds: Vec<R>,
    /// Per event: the write that must come right after it (an RMW's write
    /// after its source), if any.
    next: Vec<Option<usize>>,
    /// The events of the location (for [`NativeLkmm::loc_ok`]).
    locev: R,
}

impl<R: Row> LockClass<R> {
    /// The location whose writes are `class`, ordered by `cobase`, with
    /// the pairs `imm` of writes that must be adjacent, and whose events
    /// are `locev`.
    pub(super) fn new(n: usize, class: &R, cobase: &Rel<R>, imm: &[(usize, usize)], locev: &R) -> Self {
        let nodes: Vec<usize> = class.iter().collect();
        let preds = crate::bits::preds_within(n, class, cobase);
        let next = (0..n).map(|a| imm.iter().find(|(x, y)| *x == a && class.contains(*y)).map(|(_, y)| *y)).collect();
        LockClass { nodes, preds, next, locev: locev.clone() }
    }
}

/// The walk over the lock locations' orders of one read-from.
pub(super) struct LockWalk<'a, 's, R: Row> {
    pub(super) model: &'a NativeLkmm,
    pub(super) o: &'a Ops<'a, R>,
    pub(super) p: &'a Pre<R>,
    /// The read-from without the lock read-from.
    pub(super) rf: &'a Rel<R>,
    pub(super) classes: Vec<LockClass<R>>,
    /// Called with each union of one order per location that no prefix
    /// rejects; `true` stops the walk.
    pub(super) leaf: &'s mut dyn FnMut(&Rel<R>) -> bool,
    /// Check the prefixes (off: the plain enumeration).
    pub(super) prune: bool,
    /// The execution has plain accesses or grace periods: the prefixes
    /// are also checked against `irreflexive rb` and `plain-coherence`
    /// ([`NativeLkmm::rejects_part`]).
    pub(super) bounded: bool,
    /// Complete orders built so far, and leaves reached.
    pub(super) built: u64,
    pub(super) leaves: u64,
}

impl<R: Row> LockWalk<'_, '_, R> {
    /// Walk every combination; `true` if the deadline or the work bound
    /// stopped the walk.
    pub(super) fn run(&mut self) -> bool {
        let n = self.o.b.n;
        self.rec(0, &Rel::empty(n), &mut R::zeros(n), &mut Vec::new())
    }

    /// Extend the order `order` (its writes `placed`) of location `j`, with
    /// the orders `co` of the locations before `j` chosen.
    fn rec(&mut self, j: usize, co: &Rel<R>, placed: &mut R, order: &mut Vec<usize>) -> bool {
        let n = self.o.b.n;
        let Some(cl) = self.classes.get(j) else {
            // (the first combination costs what an evaluation's own
            // units count; each further one an evaluation's)
            self.leaves += 1;
            if self.leaves > 1 && crate::deadline::passed_by(crate::deadline::eval_units(n)) {
                return true;
            }
            return (self.leaf)(co);
        };
        let total = cl.nodes.len();
        if order.len() == total {
            return self.complete(j, co, order);
        }
        let forced = order.last().and_then(|&l| cl.next[l]);
        let cands: Vec<usize> = cl
            .nodes
            .iter()
            .copied()
            .filter(|&x| !placed.contains(x) && cl.preds[x].is_subset(placed) && forced.is_none_or(|f| f == x))
            .collect();
        // (a child with one write left to place has one completion, whose
        // own checks cost what the prefix's would)
        let check = self.prune && cands.len() > 1 && total - order.len() > 2;
        for x in cands {
            placed.insert(x);
            order.push(x);
            let stop = match check.then(|| self.prefix_rejects(j, order, co)) {
                Some(None) => true, // the deadline or the work bound
                Some(Some(true)) => false,
                _ => self.rec(j, co, placed, order),
            };
            order.pop();
            placed.remove(x);
            if stop {
                return true;
            }
        }
        false
    }

    /// A complete order `order` of location `j`: through the filters of
    /// `with_rf` (the given `co`, `coherence` and `atomic` on the
    /// location), then on to the next location.
    fn complete(&mut self, j: usize, co: &Rel<R>, order: &[usize]) -> bool {
        let (m, o, p) = (self.model, self.o, self.p);
        let n = o.b.n;
        self.built += 1;
        if self.built.is_multiple_of(ORDERS_PER_UNIT) && crate::deadline::passed() {
            return true;
        }
        let mut x = Rel::empty(n);
        for (i, &a) in order.iter().enumerate() {
            for &b in &order[i + 1..] {
                x.insert(a, b);
            }
        }
        let cl = &self.classes[j];
        if let Some(given) = &o.b.co {
            let mut class = R::zeros(n);
            for &e in &cl.nodes {
                class.insert(e);
            }
            if x != given.restrict(&class, &class) {
                return false;
            }
        }
        if !m.loc_ok(o, p, self.rf, &x, &cl.locev) {
            return false;
        }
        let mut co2 = co.clone();
        co2.union_with(&x);
        self.rec(j + 1, &co2, &mut R::zeros(n), &mut Vec::new())
    }

    /// Is every order of location `j` starting with `prefix` rejected
    /// (with the orders `co` of the locations before it)?  Spends the units
    /// of an evaluation ([`crate::deadline::eval_units`]); `None` when the
    /// deadline has passed or the work bound is spent.
    fn prefix_rejects(&self, j: usize, prefix: &[usize], co: &Rel<R>) -> Option<bool> {
        let (m, o, p) = (self.model, self.o, self.p);
        let n = o.b.n;
        if crate::deadline::passed_by(crate::deadline::eval_units(n)) {
            return None;
        }
        // the placed writes in order: their lock read-from
        let mut chain = co.clone();
        for (i, &a) in prefix.iter().enumerate() {
            for &b in &prefix[i + 1..] {
                chain.insert(a, b);
            }
        }
        let lrf = m.lock_rf(o, p, self.rf, &chain);
        // and before every write not placed yet
        let mut later = R::zeros(n);
        for &e in &self.classes[j].nodes {
            later.insert(e);
        }
        for &e in prefix {
            later.remove(e);
        }
        for &e in prefix {
            chain.row_mut(e).union_with(&later);
        }
        let cf = m.co_free(o, p, lrf);
        let rejected = if self.bounded {
            // with plain accesses or grace periods: also `irreflexive rb`
            // and `plain-coherence`, on the same lower bounds
            m.rejects_part(o, p, &cf, &chain, &Rel::empty(n))
        } else {
            let co_closed = m.lock_co(p, &chain);
            let (mut g, tail_sf) = m.g_base(o, p, &cf);
            let invrf = cf.rf.inverse();
            for (x, row) in m.g_part(o, p, &cf, &tail_sf, &invrf, &co_closed) {
                g.row_mut(x).union_with(&row);
            }
            !g.is_acyclic()
        };
        crate::deadline::count(|c| {
            c.prefixes += 1;
            c.prefixes_rejected += u64::from(rejected);
        });
        Some(rejected)
    }
}
