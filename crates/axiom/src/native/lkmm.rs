//! The Linux-kernel memory model compiled by hand into bit-matrix code.
//!
//! Source: `linux-kernel.bell`, `lock.cat`, `linux-kernel.cat` (and
//! `sc-kernel.cat` for the SC variant) of the LKMM as distributed with the
//! Linux kernel (tools/memory-model), run by herd7 together with herd's
//! `stdlib.cat`, `cross.cat` and `cos-opt.cat`.  Every definition below is
//! the cat definition of the same name, evaluated in the same order and with
//! the same shadowing as herd does (e.g. the bell's `carry-dep` uses the
//! base `rfi`, `r-pre-bounded` uses the `nonrw-fence` defined before RCU).
//!
//! Alternatives are enumerated like the cat files do: first the read-from of
//! failed trylocks (`with rfe-lf from ...`), then of `spin_is_locked()`
//! returning false (`with rf-ru from ...`), then the coherence orders
//! (`with co from generate_cos(cobase)`).

use crate::bits::{linearisations, linearisations_imm, Rel, Row};
use crate::cat::CatError;
use crate::exec::{Base, Execution, Tag};
use crate::{Model, Verdict};
use co_free::{CoFree, CoStatic};
use co_search::Part;
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// While [`Model::free_races`] evaluates an execution on this thread:
    /// the race pairs with an allocator write that [`free_race_flags`]
    /// meets (kvet's check mode locates its use-after-free with them).
    static FREE_RACES: RefCell<Option<Vec<(usize, usize)>>> = const { RefCell::new(None) };
    /// The last execution [`NativeLkmm::run`] evaluated on this thread,
    /// with what it computed that the next one may reuse ([`Reuse`]).
    static LAST_RUN: RefCell<Option<Box<dyn std::any::Any>>> = const { RefCell::new(None) };
}

/// What one evaluation leaves for the next.  A generator evaluates the
/// read-from candidates of one combination of paths in a row; they have
/// the same events and fixed relations ([`Execution::same_shape`]), so the
/// base relations are only given the new read-from, final writes and
/// coherence order ([`Base::set_candidate`]).  [`Pre`] reads the read-from
/// only through `rfi` (the bell's `carry-dep`) and the final writes (lock.cat's
/// `LockFinal`), besides the model's `lkmmv2` and `-through` settings: it
/// is kept for the next candidate with the same ones.  With SRCU events it
/// is always computed again (`carry-srcu-data` reads all of `rf`, and the
/// value match reads the values).
struct Reuse<R: Row> {
    /// The last execution (for its shape).
    ex: Execution,
    base: Base<R>,
    /// `lkmmv2`, `fails()`, the internal read-from and the final writes
    /// `pre` was computed with.
    key: Option<PreKey>,
    pre: Result<Pre<R>, ()>,
}

type PreKey = (bool, bool, Vec<(usize, usize)>, Vec<usize>);

mod co_free;
mod co_search;
mod lock_walk;
mod partial;
mod vis;

/// Flags the LKMM can raise.
const FLAGS: &[&str] = &[
    "unmatched-rcu-lock",
    "unmatched-rcu-unlock",
    "unmatched-srcu-lock",
    "unmatched-srcu-unlock",
    "multiple-srcu-matches",
    "invalid-sleep",
    "srcu-bad-value-match",
    "this-model-requires-variant-higher-than-lkmmv1",
    "mixed-lock-accesses",
    "unpaired-LKW",
    "unpaired-LKR",
    "lock-final",
    "unmatched-unlock",
    "mixed-accesses",
    "data-race",
    "free-race",
];

#[derive(Clone, Copy)]
#[repr(u8)]
enum Flag {
    UnmatchedRcuLock,
    UnmatchedRcuUnlock,
    UnmatchedSrcuLock,
    UnmatchedSrcuUnlock,
    MultipleSrcuMatches,
    InvalidSleep,
    SrcuBadValueMatch,
    RequiresV2,
    MixedLockAccesses,
    UnpairedLkw,
    UnpairedLkr,
    LockFinal,
    UnmatchedUnlock,
    MixedAccesses,
    DataRace,
    /// kvet's check mode: a race (as `data-race`) one of whose accesses
    /// is a write of the allocator (`Tag::FREE`): an access not ordered
    /// before the free of its object, a use after free (see
    /// [`crate::gen::check`]).  Such races do not raise `data-race`.
    FreeRace,
}

/// The LKMM (`linux-kernel.cfg`) or the LKMM plus SC (`sc-kernel.cfg`) as a
/// native [`Model`].
#[derive(Clone, Debug)]
pub struct NativeLkmm {
    sc: bool,
    lkmmv2: bool,
    allowed_only: bool,
    /// herd's `-through invalid|all`: failed checks do not reject.
    through: bool,
    /// The coherence-order search uses the bounds of [`co_search`].
    co_bounds: bool,
    /// The partial check also checks `rb` and `plain-coherence`, and the
    /// single-order lock locations alone first ([`partial`]).
    partial_bounds: bool,
    names: Vec<Arc<str>>,
}

impl Default for NativeLkmm {
    fn default() -> Self {
        Self::new()
    }
}

/// Everything computed before the first enumeration (stdlib, bell and the
/// first half of lock.cat).
struct Pre<R: Row> {
    flags: u32,
    rmw: Rel<R>,
    rcu_rscs: Rel<R>,
    srcu_rscs: Rel<R>,
    marked: R,
    plain: R,
    /// The allocator's writes (`Tag::FREE`: a free's poison, a reused
    /// slot's zeroing; check mode only, empty in litmus tests).
    freed: R,
    addr: Rel<R>,
    ctrl: Rel<R>,
    data: Rel<R>,
    noreturn: R,
    lk_rmw: Rel<R>,
    r2: R,
    w2: R,
    release: R,
    acquire: R,
    mb: R,
    critical: Rel<R>,
    unmatched_lkw: R,
    rfi_lf: Rel<R>,
    po_loc: Rel<R>,
    /// The relations of linux-kernel.cat fixed by the events and the
    /// above (see [`co_free`]).
    st: CoStatic<R>,
}

/// The flags of a non-empty race relation `races`: `data-race` for a
/// race between two accesses of the program, `free-race` for a race with
/// a write of the allocator ([`Pre::freed`]): an access that
/// happens-before does not order before the free (the zeroing of the
/// reused slot comes after the free through the slot's release and
/// acquire, so a race with it is one with the free too).
fn free_race_flags<R: Row>(o: &Ops<R>, p: &Pre<R>, mut races: Rel<R>) -> u32 {
    if p.freed.is_empty() {
        return 1 << (Flag::DataRace as u8);
    }
    let b = o.b;
    let with_free = races.restrict(&p.freed, &b.all).union(&races.restrict(&b.all, &p.freed));
    FREE_RACES.with(|c| {
        if let Some(v) = c.borrow_mut().as_mut() {
            for e in with_free.pairs() {
                if !v.contains(&e) {
                    v.push(e);
                }
            }
        }
    });
    races.diff_with(&with_free);
    let mut flags = 0;
    if !races.is_empty() {
        flags |= 1 << (Flag::DataRace as u8);
    }
    if !with_free.is_empty() {
        flags |= 1 << (Flag::FreeRace as u8);
    }
    flags
}

/// The generator's fixed orders of lock writes ([`Execution::lock_order`]):
/// the chain of each order (its consecutive pairs) and the lock writes
/// they cover; `None` if nothing is fixed.  Adding the chains to `cobase`
/// leaves exactly the coherence orders agreeing with them.
fn lock_chain<R: Row>(ex: &Execution, n: usize) -> Option<(Rel<R>, R)> {
    if ex.lock_order().is_empty() {
        return None;
    }
    let mut chain = Rel::empty(n);
    let mut covered = R::zeros(n);
    for seq in ex.lock_order() {
        for &e in seq.iter().filter(|e| **e < n) {
            covered.insert(e);
        }
        for w in seq.windows(2).filter(|w| w[0] < n && w[1] < n) {
            chain.insert(w[0], w[1]);
        }
    }
    Some((chain, covered))
}

fn set_of<R: Row>(n: usize, it: impl Iterator<Item = usize>) -> R {
    let mut s = R::zeros(n);
    for i in it {
        s.insert(i);
    }
    s
}

/// Set union `a | b` (cat's `|` on sets).
fn union<R: Row>(a: &R, b: &R) -> R {
    let mut x = a.clone();
    x.union_with(b);
    x
}
/// Set difference `a \ b` (cat's `\`).
fn minus<R: Row>(a: &R, b: &R) -> R {
    let mut x = a.clone();
    x.diff_with(b);
    x
}
/// Set intersection `a & b` (cat's `&`).
fn inter<R: Row>(a: &R, b: &R) -> R {
    let mut x = a.clone();
    x.inter_with(b);
    x
}

struct Ops<'a, R: Row> {
    b: &'a Base<R>,
    n: usize,
}

impl<R: Row> Ops<'_, R> {
    /// `[s]`
    fn id(&self, s: &R) -> Rel<R> {
        Rel::id_on(self.n, s)
    }
    /// `[a] ; r ; [b]`
    fn rr(&self, a: &R, r: &Rel<R>, b: &R) -> Rel<R> {
        r.restrict(a, b)
    }
    /// `fencerel(s) = (po & (_ * s)) ; po`
    fn fencerel(&self, s: &R) -> Rel<R> {
        let mut p = self.b.po.clone();
        p.restrict_ran(s);
        p.seq(&self.b.po)
    }
    fn cart(&self, a: &R, b: &R) -> Rel<R> {
        Rel::cartesian(self.n, a, b)
    }
    fn seq(&self, rs: &[&Rel<R>]) -> Rel<R> {
        let mut acc = rs[0].clone();
        for r in &rs[1..] {
            acc = acc.seq(r);
        }
        acc
    }
}

impl NativeLkmm {
    /// The LKMM (`linux-kernel.cat` with `linux-kernel.bell`, variant
    /// `lkmmv2`).
    pub fn new() -> Self {
        NativeLkmm {
            sc: false,
            lkmmv2: true,
            allowed_only: false,
            through: false,
            co_bounds: true,
            partial_bounds: true,
            names: FLAGS.iter().map(|s| Arc::from(*s)).collect(),
        }
    }
    /// `sc-kernel.cat`: the LKMM plus `acyclic po | rf | co | fr as sc`.
    pub fn sc() -> Self {
        NativeLkmm { sc: true, ..Self::new() }
    }
    /// Set whether variant `lkmmv2` is active (it is by default, as in
    /// `linux-kernel.cfg`).
    pub fn with_lkmmv2(mut self, on: bool) -> Self {
        self.lkmmv2 = on;
        self
    }

    /// Report the allowed alternatives only: coherence orders that break
    /// the atomicity of an RMW (`empty rmw & (fre ; coe)`) are not
    /// enumerated at all, and no verdict is given for rejected
    /// alternatives.  The allowed verdicts (and so herd's counts, states
    /// and flags) are unchanged; this is what a generator wants.
    pub fn allowed_only(mut self) -> Self {
        self.allowed_only = true;
        self
    }

    /// herd's `-through` ([`crate::Through`]): with `invalid` or `all`,
    /// the checks (`acyclic`, `irreflexive`, `empty`) no longer reject;
    /// the flags are still computed and a coherence order must still
    /// exist.
    pub fn through(mut self, t: crate::Through) -> Self {
        self.through = t.lets_invalid_through();
        self
    }

    /// Turn off the bounds of the coherence-order search ([`co_search`]):
    /// every order that survives the `hb`/`pb` pruning is evaluated on its
    /// own.  The verdicts, with their multiplicities, are the same; for the
    /// tests that show it.
    pub fn without_co_bounds(mut self) -> Self {
        self.co_bounds = false;
        self
    }

    /// Turn off the bounds of the partial check ([`Model::partial_ok`],
    /// [`partial`]): it checks `hb` and `pb` only, each combination of
    /// lock orders on its own.  The verdicts, with their multiplicities,
    /// are the same (fewer candidates reach the model with them); for the
    /// tests that show it.
    pub fn without_partial_bounds(mut self) -> Self {
        self.partial_bounds = false;
        self
    }

    /// A failed check: reject, unless `-through` lets it pass.
    fn fails(&self) -> bool {
        !self.through
    }

    /// Drop the alternatives that fail a check before evaluating them.
    fn prune(&self) -> bool {
        self.allowed_only && !self.through
    }

    fn verdict(&self, allowed: bool, flags: u32) -> Verdict {
        let mut f: Vec<Arc<str>> = Vec::new();
        if allowed {
            for (k, name) in self.names.iter().enumerate() {
                if flags >> k & 1 == 1 {
                    f.push(name.clone());
                }
            }
            f.sort();
        }
        Verdict { allowed, flags: f }
    }

    /// Evaluate `ex`, calling `sink` once per alternative.
    /// (A cut enumeration of coherence orders, [`crate::budget`], leaves
    /// [`crate::budget::exceeded`] set and gives only part of the verdicts:
    /// [`Model::check_into`] turns it into an error.)
    pub fn check_with(&self, ex: &Execution, sink: &mut dyn FnMut(Verdict)) {
        self.check_counted(ex, &mut |v, k| {
            for _ in 0..k {
                sink(v.clone());
            }
        })
    }

    /// As [`Self::check_with`], each verdict given once with the number of
    /// alternatives giving it (alike allowed alternatives are counted
    /// without being evaluated one by one, see [`co_search`]).
    pub fn check_counted(&self, ex: &Execution, sink: &mut dyn FnMut(Verdict, u64)) {
        crate::budget::reset();
        crate::dispatch_rows!(ex.len(), self.run(ex, sink))
    }

    fn run<R: Row>(&self, ex: &Execution, sink: &mut dyn FnMut(Verdict, u64)) {
        let mut slot = LAST_RUN.with(|c| c.borrow_mut().take());
        match slot.as_mut().and_then(|r| r.downcast_mut::<Reuse<R>>()) {
            Some(r) if r.ex.same_shape(ex) => r.base.set_candidate(ex),
            _ => slot = None,
        }
        let mut slot = slot.unwrap_or_else(|| {
            let base = Base::<R>::new(ex);
            Box::new(Reuse { ex: ex.clone(), base, key: None, pre: Err(()) })
        });
        if let Some(r) = slot.downcast_mut::<Reuse<R>>() {
            self.run_reusing(ex, r, sink);
        }
        LAST_RUN.with(|c| *c.borrow_mut() = Some(slot));
    }

    /// [`Self::run`] with the base relations of `ex` in `r`, and its
    /// [`Pre`] if `r` holds it for the same key.
    fn run_reusing<R: Row>(&self, ex: &Execution, r: &mut Reuse<R>, sink: &mut dyn FnMut(Verdict, u64)) {
        let Reuse { base: b, key, pre, .. } = r;
        let b = &*b;
        let o = Ops { b, n: b.n };
        let srcu = !b.tag(Tag::SRCU_LOCK).is_empty() || !b.tag(Tag::SRCU_UNLOCK).is_empty();
        let want = (!srcu).then(|| {
            let int = |a: usize, c: usize| ex.event(a).thread.is_some() && ex.event(a).thread == ex.event(c).thread;
            let rfi: Vec<(usize, usize)> = ex.rf().iter().copied().filter(|&(a, c)| int(a, c)).collect();
            (self.lkmmv2, self.fails(), rfi, ex.finals().to_vec())
        });
        if want.is_none() || *key != want {
            *pre = self.pre(ex, &o);
            *key = want;
        }
        let pre = match pre {
            Ok(p) => &*p,
            Err(()) => {
                sink(self.verdict(false, 0), 1);
                return;
            }
        };
        let n = b.n;
        // ---- with rfe-lf from cross(all-possible-rfe-lf)
        let lf = union(&b.lf, &b.rl);
        let lf_ext = minus(&lf, &pre.rfi_lf.range());
        let mut choices: Vec<(usize, Vec<usize>)> = Vec::new();
        for e in lf_ext.iter() {
            let mut c = Vec::new();
            for w in b.lkw.iter() {
                if b.loc.contains(w, e) && b.ext.contains(w, e) {
                    c.push(w);
                }
            }
            choices.push((e, c));
        }
        // ---- with rf-ru from cross(all-possible-rf-ru)
        let ul_po_ul = o.seq(&[&o.id(&b.ul), &pre.po_loc, &o.id(&b.ul), &pre.po_loc]);
        let ul_iw = union(&b.ul, &b.iw);
        for e in b.ru.iter() {
            let mut c = Vec::new();
            for w in 0..n {
                let internal = b.ul.contains(w) && pre.po_loc.contains(w, e) && !ul_po_ul.contains(w, e);
                let external = ul_iw.contains(w) && b.loc.contains(w, e) && b.ext.contains(w, e);
                if internal || external {
                    c.push(w);
                }
            }
            choices.push((e, c));
        }
        if choices.iter().any(|(_, c)| c.is_empty()) {
            return;
        }
        let mut idx = vec![0usize; choices.len()];
        loop {
            let mut rf = b.rf.clone();
            rf.union_with(&pre.rfi_lf);
            for (k, (e, c)) in choices.iter().enumerate() {
                rf.insert(c[idx[k]], *e);
            }
            self.with_rf(ex, &o, pre, &rf, sink);
            if !crate::bits::next_index(&mut idx, |k| choices[k].1.len()) {
                return;
            }
        }
    }

    /// stdlib.cat, linux-kernel.bell and lock.cat up to the first `with`.
    /// `Err` when a check fails.
    fn pre<R: Row>(&self, _ex: &Execution, o: &Ops<R>) -> Result<Pre<R>, ()> {
        let b = o.b;
        let n = b.n;
        let mut flags = 0u32;
        let mut flag = |f: Flag, cond: bool| {
            if cond {
                flags |= 1 << (f as u8);
            }
        };
        // stdlib.cat
        let po_loc = b.po.inter(&b.loc);
        let rfi0 = b.rf.inter(&b.int);
        // rmw = amo | lxsx, amo = [Exp & R & X]; (same-instance \ id) & loc; [Exp & W & X]
        let mut si = b.same_instance.diff(&b.id);
        si.inter_with(&b.loc);
        let rmw = si.restrict(&inter(&b.r, &b.atomic), &inter(&b.w, &b.atomic));
        // linux-kernel.bell
        let failed_rmw = minus(&b.atomic, &union(&rmw.domain(), &rmw.range()));
        let acquire = minus(&minus(&b.tag(Tag::ACQUIRE), &b.w), &failed_rmw);
        let release = minus(&minus(&b.tag(Tag::RELEASE), &b.r), &failed_rmw);
        let mb = minus(&b.tag(Tag::MB), &failed_rmw);
        let noreturn = minus(&b.tag(Tag::NORETURN), &b.w);
        let rcu_lock = b.tag(Tag::RCU_LOCK);
        let rcu_unlock = b.tag(Tag::RCU_UNLOCK);
        let srcu_lock = b.tag(Tag::SRCU_LOCK);
        let srcu_unlock = b.tag(Tag::SRCU_UNLOCK);
        let sync_srcu = b.tag(Tag::SYNC_SRCU);
        let rcu_rscs = rcu_rscs(o, &rcu_lock, &rcu_unlock);
        flag(Flag::UnmatchedRcuLock, !minus(&rcu_lock, &rcu_rscs.domain()).is_empty());
        flag(Flag::UnmatchedRcuUnlock, !minus(&rcu_unlock, &rcu_rscs.range()).is_empty());
        let not_su = minus(&b.all, &srcu_unlock);
        let carry_srcu_data = o.rr(&b.all, &b.data, &not_su).seq(&b.rf).star();
        let mut srcu_rscs = o.seq(&[&o.id(&srcu_lock), &carry_srcu_data, &b.data, &o.id(&srcu_unlock)]);
        srcu_rscs.inter_with(&b.loc);
        flag(Flag::UnmatchedSrcuLock, !minus(&srcu_lock, &srcu_rscs.domain()).is_empty());
        flag(Flag::UnmatchedSrcuUnlock, !minus(&srcu_unlock, &srcu_rscs.range()).is_empty());
        flag(Flag::MultipleSrcuMatches, !srcu_rscs.inverse().seq(&srcu_rscs).diff(&b.id).is_empty());
        let po_sync_srcu_po = o.rr(&b.all, &b.po, &sync_srcu).seq(&b.po);
        flag(Flag::InvalidSleep, !rcu_rscs.inter(&po_sync_srcu_po).is_empty());
        let bad_value = srcu_rscs.pairs().any(|(x, y)| {
            let (vx, vy) = (_ex.event(x).value, _ex.event(y).value);
            !matches!((vx, vy), (Some(a), Some(c)) if a == c)
        });
        flag(Flag::SrcuBadValueMatch, bad_value);
        let mut marked = minus(&b.all, &b.m);
        for s in [
            &b.iw,
            &b.tag(Tag::ONCE),
            &b.tag(Tag::RELEASE),
            &b.tag(Tag::ACQUIRE),
            &b.tag(Tag::MB),
            &b.atomic,
            &b.lkr,
            &b.lkw,
            &b.ul,
            &b.lf,
            &b.rl,
            &b.ru,
            &srcu_lock,
            &srcu_unlock,
        ] {
            marked.union_with(s);
        }
        let plain = minus(&b.m, &marked);
        let freed = inter(&b.w, &b.tag(Tag::FREE));
        let carry_dep = o.rr(&b.all, &b.data, &not_su).seq(&rfi0).star();
        let addr = carry_dep.seq(&b.addr);
        let ctrl = carry_dep.seq(&b.ctrl);
        let data = carry_dep.seq(&b.data);
        flag(Flag::RequiresV2, !self.lkmmv2 && n > 0);
        // lock.cat
        let lf = union(&b.lf, &b.rl);
        let mut all_locks = union(&union(&b.lkr, &b.lkw), &union(&b.ul, &lf));
        for s in [&b.ru, &srcu_lock, &srcu_unlock, &sync_srcu] {
            all_locks.union_with(s);
        }
        let m_not = minus(&minus(&b.m, &b.iw), &all_locks);
        flag(Flag::MixedLockAccesses, !o.rr(&m_not, &b.loc, &all_locks).is_empty());
        let lk_rmw = o.rr(&b.lkr, &po_loc, &b.lkw).diff(&b.po.seq(&b.po));
        let mut rmw2 = rmw.clone();
        rmw2.union_with(&lk_rmw);
        flag(Flag::UnpairedLkw, !minus(&b.lkw, &lk_rmw.range()).is_empty());
        flag(Flag::UnpairedLkr, !minus(&b.lkr, &lk_rmw.domain()).is_empty());
        let pl_ul_pl = o.seq(&[&po_loc, &o.id(&b.ul), &po_loc]);
        if !o.rr(&b.lkw, &po_loc, &b.lkr).diff(&pl_ul_pl).is_empty() && self.fails() {
            return Err(()); // lock-nest
        }
        if !o.rr(&b.lkw, &po_loc, &b.ru).diff(&pl_ul_pl).is_empty() && self.fails() {
            return Err(()); // nested-is-locked
        }
        flag(Flag::LockFinal, !o.rr(&b.fw, &b.loc, &all_locks).is_empty());
        let r2 = union(&union(&b.r, &b.lkr), &union(&lf, &b.ru));
        let w2 = union(&b.w, &b.lkw);
        let release2 = union(&release, &b.ul);
        let acquire2 = union(&acquire, &b.lkr);
        let lkw_ul = union(&b.lkw, &b.ul);
        let critical = o.rr(&b.lkw, &po_loc, &b.ul).diff(&o.seq(&[&po_loc, &o.id(&lkw_ul), &po_loc]));
        flag(Flag::UnmatchedUnlock, !minus(&b.ul, &critical.range()).is_empty());
        let unmatched_lkw = minus(&b.lkw, &critical.domain());
        if !o.rr(&unmatched_lkw, &b.loc, &unmatched_lkw).diff(&b.id).is_empty() && self.fails() {
            return Err(()); // unmatched-locks
        }
        let rfi_lf = o.rr(&b.lkw, &po_loc, &lf).diff(&o.seq(&[&o.id(&b.lkw), &po_loc, &o.id(&b.ul), &po_loc]));
        let mut pre = Pre {
            flags,
            rmw: rmw2,
            rcu_rscs,
            srcu_rscs,
            marked,
            plain,
            freed,
            addr,
            ctrl,
            data,
            noreturn,
            lk_rmw,
            r2,
            w2,
            release: release2,
            acquire: acquire2,
            mb,
            critical,
            unmatched_lkw,
            rfi_lf,
            po_loc,
            st: CoStatic::empty(n),
        };
        pre.st = self.co_static(o, &pre);
        Ok(pre)
    }

    /// cos-opt.cat: cobase, ConsCo, then the coherence orders.
    fn with_rf<R: Row>(&self, ex: &Execution, o: &Ops<R>, p: &Pre<R>, rf: &Rel<R>, sink: &mut dyn FnMut(Verdict, u64)) {
        let b = o.b;
        let n = b.n;
        // co0 (stdlib, base W) | lock.cat additions
        let w_niw = minus(&b.w, &b.iw);
        let w_nfw = minus(&b.w, &b.fw);
        let mut co0 = o.cart(&b.iw, &w_niw);
        co0.union_with(&o.cart(&w_nfw, &b.fw));
        co0.inter_with(&b.loc);
        co0.union_with(&o.rr(&b.iw, &b.loc, &b.lkw));
        co0.union_with(&o.rr(&b.lkw, &b.loc, &p.unmatched_lkw).diff(&o.id(&p.unmatched_lkw)));
        let invrf = rf.inverse();
        let ww = p.po_loc.restrict(&p.w2, &p.w2);
        let rw = rf.seq(&p.po_loc.restrict(&p.r2, &p.w2));
        let wr = p.po_loc.restrict(&p.w2, &p.r2).seq(&invrf).diff(&b.id);
        let rr = rf.seq(&p.po_loc.restrict(&p.r2, &p.r2)).seq(&invrf).diff(&b.id);
        let rmwco = rf.restrict(&p.w2, &inter(&p.r2, &p.w2));
        let mut cobase = co0;
        for r in [&ww, &rw, &wr, &rr, &rmwco] {
            cobase.union_with(r);
        }
        if !cobase.is_acyclic() {
            // ConsCo; let through, generate_cos(cobase) has no order anyway
            if self.fails() {
                sink(self.verdict(false, 0), 1);
            }
            return;
        }
        // the generator's fixed lock orders (`Execution::lock_order`): only
        // the linearisations agreeing with them (see `gen/lock_order.rs`)
        let cobase = match lock_chain::<R>(ex, n) {
            Some((chain, _)) => cobase.union(&chain),
            None => cobase,
        };
        // generate_cos(cobase): per-location linearisations of W, crossed.
        let mut classes: Vec<R> = Vec::new();
        for e in p.w2.iter() {
            let l = ex.event(e).loc;
            match classes.iter_mut().find(|c| c.first().is_some_and(|f| ex.event(f).loc == l)) {
                Some(c) => c.insert(e),
                None => classes.push(set_of(n, std::iter::once(e))),
            }
        }
        // An RMW's write immediately follows the write its read reads from.
        let mut imm: Vec<(usize, usize)> = Vec::new();
        if self.prune() {
            for (r, w) in p.rmw.pairs() {
                if !b.r.contains(r) {
                    continue;
                }
                for w0 in 0..n {
                    if rf.contains(w0, r) {
                        if imm.iter().any(|(a, _)| *a == w0) {
                            return; // two RMWs read from one write
                        }
                        imm.push((w0, w));
                    }
                }
            }
        }
        // Without lock events, a linearisation of cobase (with each RMW's
        // write right after its source) already satisfies `coherence` and
        // `atomic`: ordering each write by its place in co and each read
        // just after its source, every edge of po-loc | rf | co | fr goes
        // forward (po-loc by ww/rw/wr/rr, fr by co), except po-loc between
        // two reads of one source, which cannot close a cycle alone; and
        // nothing comes between an RMW's source and its write.  With lock
        // events, rf also follows co (lock.cat), and `loc_ok` checks it.
        let no_locks = [&b.lkr, &b.lkw, &b.ul, &b.lf, &b.rl, &b.ru].iter().all(|s| s.is_empty());
        // (the lock locations' orders of the pruned search are generated
        // by its walk, `co_search::LockWalk`)
        let lazy = self.prune() && !p.lk_rmw.is_empty();
        let lockev = union(&b.lkw, &b.ul);
        let mut orders: Vec<Vec<Rel<R>>> = Vec::with_capacity(classes.len());
        for c in &classes {
            if lazy && c.intersects(&lockev) {
                orders.push(Vec::new());
                continue;
            }
            let mut os =
                if imm.is_empty() { linearisations(n, c, &cobase) } else { linearisations_imm(n, c, &cobase, &imm) };
            if let Some(given) = &b.co {
                let g = given.restrict(c, c);
                os.retain(|x| *x == g);
            }
            if self.prune() && !no_locks {
                // coherence and atomicity hold location by location: drop
                // the orders of this location that break them
                let first = c.first().expect("non-empty class");
                let locev = b.loc.row(first).clone();
                os.retain(|x| self.loc_ok(o, p, rf, x, &locev));
            }
            if os.is_empty() {
                return;
            }
            orders.push(os);
        }
        let cached = if p.lk_rmw.is_empty() { Some(self.co_free(o, p, rf.clone())) } else { None };
        if let Some(cf) = &cached {
            let no_gp = b.tag(Tag::SYNC_RCU).is_empty() && b.tag(Tag::SYNC_SRCU).is_empty();
            if self.prune() && !self.sc && no_gp && p.critical.is_empty() && p.plain.is_empty() {
                self.count_orders(o, p, cf, &orders, sink);
                return;
            }
        }
        if self.prune() {
            // skip the partial choices that already make hb or pb cyclic
            self.search_orders(o, p, rf, &classes, &orders, cached.as_ref(), (&cobase, &imm), sink);
            return;
        }
        let mut memo: Vec<CoFree<R>> = Vec::new();
        let mut idx = vec![0usize; orders.len()];
        loop {
            let mut co = Rel::empty(n);
            for (k, os) in orders.iter().enumerate() {
                co.union_with(&os[idx[k]]);
            }
            let v = self.with_co(o, p, rf, &co, cached.as_ref(), &mut memo);
            if v.allowed || !self.allowed_only {
                sink(v, 1);
            }
            // past the generator's deadline: stop; it discards this
            // evaluation and reports a timeout (crate::deadline)
            if crate::deadline::passed() {
                return;
            }
            let mut k = 0;
            loop {
                if k == idx.len() {
                    return;
                }
                idx[k] += 1;
                if idx[k] < orders[k].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }

    /// The allowed coherence orders of one `rf`, without evaluating each
    /// one: the fast path of [`Self::with_rf`] for the common case (only
    /// allowed verdicts wanted, no SC, no grace period, no lock critical
    /// section, no plain access), where every location's orders already
    /// passed `coherence` and `atomic` ([`Self::loc_ok`]) and the only
    /// checks left are `acyclic hb` and `acyclic pb` (`rb` is empty without
    /// grace periods, `plain-coherence` and the data-race flag vacuous
    /// without plain accesses, the flags those of [`Pre`]).
    ///
    /// Two facts make it cheap.  (1) `hb` and `pb` are both acyclic iff
    /// `G = hb | ([prop ; strong-fence] ; [Marked])` is: a `pb` step is a
    /// `prop ; strong-fence` step then `hb*` ending in a marked event, so a
    /// cycle of `G` (which needs a `prop ; strong-fence` step when `hb` is
    /// acyclic) is a cycle of `pb` and conversely.  (2) `co` enters `G` only
    /// through `overwrite = co | fr`, in `ppo` (`overwrite & int`) and in
    /// the first step of `prop` (`[Marked] ; (overwrite & ext)?`); every
    /// operation on it distributes over unions, and `overwrite` is the union
    /// over the locations of `co_l | rf^-1 ; co_l`.  So `G(co)` is a fixed
    /// part `G0` plus one part per location and order, computed once, and
    /// the allowed orders are the choices whose union with `G0` is acyclic:
    /// a search over the locations that stops when a partial union is
    /// cyclic (adding edges keeps the cycle) and counts a whole subtree
    /// when even the union with every remaining part is acyclic.
    fn count_orders<R: Row>(
        &self,
        o: &Ops<R>,
        p: &Pre<R>,
        cf: &CoFree<R>,
        orders: &[Vec<Rel<R>>],
        sink: &mut dyn FnMut(Verdict, u64),
    ) {
        let n = o.b.n;
        let invrf = cf.rf.inverse();
        let (g0, tail_sf) = self.g_base(o, p, cf);
        // A part is a union over the rows of its order and of `fr`, each
        // row's edges a union over its `overwrite` targets: so the union of
        // the parts of a location's orders is the part of the union of its
        // orders, one `g_part` instead of one per order.  The parts
        // themselves are only computed for the locations the search
        // reaches (when the union with every remaining part is cyclic).
        let k = orders.len();
        let mut suffix: Vec<Rel<R>> = vec![Rel::empty(n); k + 1];
        for l in (0..k).rev() {
            let mut s = suffix[l + 1].clone();
            let mut all_co = Rel::empty(n);
            for co_l in &orders[l] {
                all_co.union_with(co_l);
            }
            for (x, row) in self.g_part(o, p, cf, &tail_sf, &invrf, &all_co) {
                s.row_mut(x).union_with(&row);
            }
            suffix[l] = s;
        }
        let v = self.verdict(true, p.flags);
        struct Cx<'a, 'b, R: Row> {
            me: &'a NativeLkmm,
            o: &'a Ops<'b, R>,
            p: &'a Pre<R>,
            cf: &'a CoFree<R>,
            tail_sf: &'a Rel<R>,
            invrf: &'a Rel<R>,
            orders: &'a [Vec<Rel<R>>],
            parts: Vec<Option<Vec<Part<R>>>>,
            suffix: &'a [Rel<R>],
            v: &'a Verdict,
        }
        fn rec<R: Row>(cx: &mut Cx<'_, '_, R>, l: usize, cur: &Rel<R>, sink: &mut dyn FnMut(Verdict, u64)) {
            let mut all = cur.clone();
            all.union_with(&cx.suffix[l]);
            if all.is_acyclic() {
                let count = cx.orders[l..].iter().fold(1u64, |a, os| a.saturating_mul(os.len() as u64));
                sink(cx.v.clone(), count);
                return;
            }
            if l == cx.orders.len() {
                return;
            }
            if cx.parts[l].is_none() {
                let ps = cx.orders[l]
                    .iter()
                    .map(|co_l| cx.me.g_part(cx.o, cx.p, cx.cf, cx.tail_sf, cx.invrf, co_l))
                    .collect();
                cx.parts[l] = Some(ps);
            }
            let nparts = cx.orders[l].len();
            for i in 0..nparts {
                let mut next = cur.clone();
                for (x, row) in &cx.parts[l].as_ref().expect("computed above")[i] {
                    next.row_mut(*x).union_with(row);
                }
                if next.is_acyclic() {
                    rec(cx, l + 1, &next, sink);
                }
            }
        }
        let mut cx = Cx {
            me: self,
            o,
            p,
            cf,
            tail_sf: &tail_sf,
            invrf: &invrf,
            orders,
            parts: vec![None; k],
            suffix: &suffix,
            v: &v,
        };
        rec(&mut cx, 0, &g0, sink);
    }

    /// The `coherence` and `atomic` checks of linux-kernel.cat restricted to
    /// the events `locev` of one location, for the coherence order `co_c`
    /// of that location (all the relations involved relate events of one
    /// location, so the checks hold iff they hold location by location).
    fn loc_ok<R: Row>(&self, o: &Ops<R>, p: &Pre<R>, rf0: &Rel<R>, co_c: &Rel<R>, locev: &R) -> bool {
        let b = o.b;
        let mut co = co_c.clone();
        if !p.critical.is_empty() {
            let crit = p.critical.restrict(locev, locev);
            if !crit.is_empty() {
                co.union_with(&crit);
                co.union_with(&crit.inverse().seq(co_c));
                co.close();
            }
        }
        let mut rf = rf0.restrict(locev, locev);
        if !p.lk_rmw.is_empty() {
            let mut ss = co.diff(&co.seq(&co));
            ss.restrict_dom(&union(&b.iw, &b.ul));
            rf.union_with(&ss.seq(&p.lk_rmw.inverse()));
        }
        let fr = rf.inverse().seq(&co);
        let mut g = p.po_loc.restrict(locev, locev);
        g.union_with(&rf);
        g.union_with(&co);
        g.union_with(&fr);
        if !g.is_acyclic() {
            return false;
        }
        let fre = fr.inter(&b.ext);
        let coe = co.inter(&b.ext);
        p.rmw.inter(&fre.seq(&coe)).is_empty()
    }

    /// The rest of lock.cat and linux-kernel.cat for one coherence order.
    fn with_co<R: Row>(
        &self,
        o: &Ops<R>,
        p: &Pre<R>,
        rf0: &Rel<R>,
        co0: &Rel<R>,
        cached: Option<&CoFree<R>>,
        memo: &mut Vec<CoFree<R>>,
    ) -> Verdict {
        let b = o.b;
        crate::deadline::count(|c| c.leaves += 1);
        let mut flags = p.flags;
        let no = |s: &Self| s.verdict(false, 0);
        // lock.cat, after cos-opt.cat
        let co = self.lock_co(p, co0);
        let cf = match cached {
            Some(c) => c,
            None => {
                // the read-from of lock events follows co: reuse the
                // relations of an earlier alternative with the same rf
                let mut rf = rf0.clone();
                if !p.lk_rmw.is_empty() {
                    let mut ss = co.diff(&co.seq(&co));
                    ss.restrict_dom(&union(&b.iw, &b.ul));
                    rf.union_with(&ss.seq(&p.lk_rmw.inverse()));
                }
                self.memo_co_free(o, p, memo, rf)
            }
        };
        let rf = &cf.rf;
        let fr = rf.inverse().seq(&co);
        // coherence and atomic first: they are cheap and reject most
        // coherence orders (the checks are a conjunction, so their order
        // does not change the verdict)
        // (in allowed-only mode every location's order already passed them)
        if !self.prune() {
            let mut com = rf.union(&co);
            com.union_with(&fr);
            if !p.po_loc.union(&com).is_acyclic() && self.fails() {
                return no(self);
            }
            let (fre, coe) = (fr.inter(&b.ext), co.inter(&b.ext));
            if !p.rmw.inter(&fre.seq(&coe)).is_empty() && self.fails() {
                return no(self);
            }
        }
        // linux-kernel.cat
        let Some(v) = self.co_rels(o, p, cf, co, fr, !p.plain.is_empty(), self.fails()) else {
            return no(self);
        };
        // Plain accesses and data races (vacuous without plain accesses)
        if p.plain.is_empty() {
            return self.sc_check(&b.po, rf, &v.co, &v.fr, flags);
        }
        flags |= self.mixed_flag(p, cf);
        let vis = v.vis.as_ref().expect("computed with plain accesses");
        if vis.incoherent(cf, &v.co, &v.fr) && self.fails() {
            return no(self);
        }
        if vis.racy(o, p, cf, &v.co, &v.fr) {
            flags |= free_race_flags(o, p, vis.races(o, p, cf, &v.co, &v.fr));
        }
        self.sc_check(&b.po, rf, &v.co, &v.fr, flags)
    }

    /// sc-kernel.cat's `acyclic po | rf | co | fr` (for the SC variant),
    /// then the verdict.
    fn sc_check<R: Row>(&self, po: &Rel<R>, rf: &Rel<R>, co: &Rel<R>, fr: &Rel<R>, flags: u32) -> Verdict {
        if self.sc {
            let mut sc = po.clone();
            sc.union_with(rf);
            sc.union_with(co);
            sc.union_with(fr);
            if !sc.is_acyclic() && self.fails() {
                return self.verdict(false, 0);
            }
        }
        self.verdict(true, flags)
    }
}

impl Model for NativeLkmm {
    fn fixes_lock_orders(&self) -> bool {
        // (under -through the generator must not rely on lock.cat's checks
        // rejecting a combination, see gen/lock_order.rs)
        !self.through
    }

    fn partial_ok(&self, ex: &Execution, cache: &mut crate::PartialCache) -> bool {
        NativeLkmm::partial_ok(self, ex, cache)
    }

    fn check_into(&self, ex: &Execution, out: &mut Vec<Verdict>) -> Result<(), CatError> {
        self.check_with(ex, &mut |v| out.push(v));
        budget_error()
    }

    fn check_counted_into(&self, ex: &Execution, out: &mut Vec<(Verdict, u64)>) -> Result<(), CatError> {
        self.check_counted(ex, &mut |v, k| out.push((v, k)));
        budget_error()
    }

    /// Evaluates `ex` once more, keeping the race pairs of the
    /// `free-race` flag (pairs met in rejected alternatives too: only a
    /// location for a flag the allowed ones raise).
    fn free_races(&self, ex: &Execution) -> Vec<(usize, usize)> {
        FREE_RACES.with(|c| *c.borrow_mut() = Some(Vec::new()));
        self.check_counted(ex, &mut |_, _| {});
        FREE_RACES.with(|c| c.borrow_mut().take()).unwrap_or_default()
    }
}

/// A cut enumeration ([`crate::budget::exceeded`]) as an error.
fn budget_error() -> Result<(), CatError> {
    if crate::budget::exceeded() {
        return Err(CatError {
            kind: crate::cat::ErrorKind::Eval,
            file: "linux-kernel.cat (native)".into(),
            span: 0..0,
            line: 0,
            col: 0,
            msg: too_many_orders(),
        });
    }
    Ok(())
}

/// The message of a coherence-order enumeration cut by [`crate::budget`].
pub fn too_many_orders() -> String {
    format!(
        "too many coherence orders: one execution's exceed {} MiB (a location written by too many events)",
        crate::budget::limit() >> 20
    )
}

/// linux-kernel.bell's `rcu-rscs`: the matching of `rcu_read_lock()` and
/// `rcu_read_unlock()` events, by herd's fixpoint iteration of the
/// `let rec`.
fn rcu_rscs<R: Row>(o: &Ops<R>, rcu_lock: &R, rcu_unlock: &R) -> Rel<R> {
    let (b, n) = (o.b, o.b.n);
    if rcu_lock.is_empty() && rcu_unlock.is_empty() {
        return Rel::empty(n);
    }
    let z = R::zeros(n);
    let ze = Rel::<R>::empty(n);
    let mut old = (z.clone(), z.clone(), z.clone(), ze.clone(), ze.clone(), ze.clone());
    let mut matched = ze.clone();
    for _ in 0..(n + 4) * 4 {
        let ul = minus(rcu_lock, &matched.domain());
        let uu = minus(rcu_unlock, &matched.range());
        let um = union(&ul, &uu);
        let upo = o.rr(&um, &b.po, &um);
        let ultu = o.rr(&ul, &b.po, &uu);
        let mut m2 = ultu.diff(&upo.seq(&upo));
        m2.union_with(&matched);
        let stable = ul.is_subset(&old.0)
            && uu.is_subset(&old.1)
            && um.is_subset(&old.2)
            && upo.is_subset(&old.3)
            && ultu.is_subset(&old.4)
            && m2.is_subset(&old.5);
        matched = m2.clone();
        old = (ul, uu, um, upo, ultu, m2);
        if stable {
            break;
        }
    }
    matched
}
