//! The relations of `linux-kernel.cat` that do not depend on the coherence
//! order (`co`), split by what they do depend on: the events alone
//! ([`CoStatic`], computed once per set of events, with [`Pre`]) or also
//! the read-from ([`CoFree`], computed per read-from from the former).
//!
//! Source: `tools/memory-model/linux-kernel.cat` (`acq-po`, `po-rel`,
//! `po-unlock-lock-po`, the fences `mb`, `gp`, `strong-fence`,
//! `nonrw-fence`, `fence`, `barrier`, `rwdep`, `ppo` without its `co`
//! term, `rmw-sequence`, `cumul-fence`, `prop` after its first step,
//! `pre-race`) and `lock.cat`'s sets.  Every definition is the one
//! [`NativeLkmm::co_free`] evaluated in a single pass before; a union
//! `A | B` where `A` depends on the events only is computed as `A` once
//! plus `B` per read-from, which gives the same relation.  The only
//! read-from dependent parts are `rfe`, `rfi`, `po-unlock-lock-po`'s
//! `rf` step (and the `mb` term of `smp_mb__after_unlock_lock()` built on
//! it), `ppo`'s `dep ; rfi` term and what `rmw-sequence`, `cumul-fence`
//! and `prop` build on them.

use super::{inter, minus, union, NativeLkmm, Ops, Pre};
use crate::bits::{Rel, Row};
use crate::exec::Tag;

/// What [`NativeLkmm::co_free`] computes once per read-from.
pub(super) struct CoFree<R: Row> {
    pub rf: Rel<R>,
    pub rfe: Rel<R>,
    pub w3: R,
    pub rmb_f: Rel<R>,
    pub r4rmb: R,
    pub po_opt: Rel<R>,
    pub strong_fence: Rel<R>,
    pub nonrw_fence: Rel<R>,
    pub fence: Rel<R>,
    pub barrier: Rel<R>,
    /// ppo without `overwrite & int`.
    pub ppo: Rel<R>,
    pub rmw_sequence: Rel<R>,
    pub cumul_star: Rel<R>,
    pub rfe_opt: Rel<R>,
    /// `[_] ; cumul-fence* ; [Marked] ; rfe? ; [Marked]`.
    pub prop_tail: Rel<R>,
    /// `pre-race` (`ext & ((Plain * M) | ((M \ IW) * Plain))`).
    pub pre_race: Rel<R>,
}

/// The parts of [`CoFree`] fixed by the events (and by [`Pre`]).
pub(super) struct CoStatic<R: Row> {
    w3: R,
    m3: R,
    r4rmb: R,
    rmb_f: Rel<R>,
    po_opt: Rel<R>,
    po_rel: Rel<R>,
    acq_po: Rel<R>,
    wmb: Rel<R>,
    rmb: Rel<R>,
    /// `mb` without the `po-unlock-lock-po` term.
    mb: Rel<R>,
    gp: Rel<R>,
    /// `po ; [UL] ; po ; [LKR] ; po` (the `po` half of
    /// `po-unlock-lock-po`), when there are both unlocks and lock reads.
    pulp_po: Option<Rel<R>>,
    /// `po ; [UL]` and `[LKR] ; po` for the `rf` half.
    po_ul: Rel<R>,
    lkr_po: Rel<R>,
    /// `smp_mb__after_unlock_lock()` events, if any.
    after_ul: Option<R>,
    barrier: Rel<R>,
    /// `([Marked] ; (strong-fence | po-rel | wmb | po-unlock-lock-po) ;
    /// [Marked])*` on the read-from independent parts of those fences (a
    /// subset of `cumul-fence`), when `strong-fence` is one of them.
    cumul_static_star: Option<Rel<R>>,
    /// `ppo` without `overwrite & int`, `dep ; rfi`, `fence & int` and
    /// `po-unlock-lock-po & int`.
    ppo: Rel<R>,
    /// `dep ; [Marked]` (for `ppo`'s `[Marked] ; rfi` term).
    dep_m: Rel<R>,
    pre_race: Rel<R>,
}

impl<R: Row> CoStatic<R> {
    /// An empty placeholder (replaced before any use).
    pub(super) fn empty(n: usize) -> Self {
        let e = Rel::empty(n);
        let z = R::zeros(n);
        CoStatic {
            w3: z.clone(),
            m3: z.clone(),
            r4rmb: z,
            rmb_f: e.clone(),
            po_opt: e.clone(),
            po_rel: e.clone(),
            acq_po: e.clone(),
            wmb: e.clone(),
            rmb: e.clone(),
            mb: e.clone(),
            gp: e.clone(),
            pulp_po: None,
            po_ul: e.clone(),
            lkr_po: e.clone(),
            after_ul: None,
            barrier: e.clone(),
            cumul_static_star: None,
            ppo: e.clone(),
            dep_m: e.clone(),
            pre_race: e,
        }
    }
}

impl NativeLkmm {
    /// The read-from independent relations, for [`Pre::st`].
    pub(super) fn co_static<R: Row>(&self, o: &Ops<R>, p: &Pre<R>) -> CoStatic<R> {
        let b = o.b;
        let w3 = union(&p.w2, &b.ul);
        let m3 = union(&p.r2, &w3);
        let acq_po = o.rr(&p.acquire, &b.po, &m3);
        let po_rel = o.rr(&m3, &b.po, &p.release);
        let locks = !b.ul.is_empty() && !b.lkr.is_empty();
        let po_ul = if locks { b.po.restrict(&b.all, &b.ul) } else { Rel::empty(b.n) };
        let lkr_po = if locks { b.po.restrict(&b.lkr, &b.all) } else { Rel::empty(b.n) };
        let pulp_po = locks.then(|| o.seq(&[&po_ul, &b.po.restrict(&b.all, &b.lkr), &b.po]));
        let r4rmb = minus(&p.r2, &p.noreturn);
        let rmb_f = o.fencerel(&b.tag(Tag::RMB));
        let rmb = rmb_f.restrict(&r4rmb, &r4rmb);
        let wmb = o.fencerel(&b.tag(Tag::WMB)).restrict(&w3, &w3);
        let po_opt = b.po.opt();
        let mb = self.mb_static(o, p, &m3, &w3, &po_opt);
        let after_ul = Some(b.tag(Tag::AFTER_UNLOCK_LOCK)).filter(|s| locks && !s.is_empty());
        let sync = union(&b.tag(Tag::SYNC_RCU), &b.tag(Tag::SYNC_SRCU));
        let gp = b.po.restrict(&b.all, &sync).seq(&po_opt);
        let barrier = barrier(o, p);
        let dep = p.addr.union(&p.data);
        let mut rwdep = dep.union(&p.ctrl);
        rwdep.restrict_ran(&w3);
        let mut ppo = p.addr.clone();
        ppo.restrict_ran(&p.r2);
        ppo.union_with(&rwdep);
        ppo.union_with(&p.addr.restrict(&b.all, &p.plain).seq(&wmb));
        let dep_m = dep.restrict(&b.all, &p.marked);
        let cumul_static_star = after_ul.is_none().then(|| {
            let mut s = mb.union(&gp);
            s.union_with(&po_rel);
            s.union_with(&wmb);
            if let Some(pp) = &pulp_po {
                s.union_with(pp);
            }
            s.restrict(&p.marked, &p.marked).star()
        });
        let mut pre_race = o.cart(&p.plain, &m3);
        pre_race.union_with(&o.cart(&minus(&m3, &b.iw), &p.plain));
        pre_race.inter_with(&b.ext);
        CoStatic {
            w3,
            m3,
            r4rmb,
            rmb_f,
            po_opt,
            po_rel,
            acq_po,
            wmb,
            rmb,
            mb,
            gp,
            pulp_po,
            po_ul,
            lkr_po,
            after_ul,
            barrier,
            cumul_static_star,
            ppo,
            dep_m,
            pre_race,
        }
    }

    /// linux-kernel.cat's `mb` without its `po-unlock-lock-po` term.
    fn mb_static<R: Row>(&self, o: &Ops<R>, p: &Pre<R>, m3: &R, w3: &R, po_opt: &Rel<R>) -> Rel<R> {
        let b = o.b;
        let mut mb = o.fencerel(&p.mb).restrict(m3, m3);
        mb.union_with(&o.rr(m3, &b.po, &inter(&p.mb, &p.r2)));
        mb.union_with(&o.rr(&inter(&p.mb, w3), &b.po, m3));
        mb.union_with(
            &o.fencerel(&b.tag(Tag::BEFORE_ATOMIC)).restrict(m3, &b.atomic).seq(&po_opt.restrict(&b.all, m3)),
        );
        mb.union_with(&po_opt.restrict(m3, &b.atomic).seq(&o.fencerel(&b.tag(Tag::AFTER_ATOMIC)).restrict(&b.all, m3)));
        mb.union_with(&po_opt.restrict(m3, &b.lkw).seq(&o.fencerel(&b.tag(Tag::AFTER_SPINLOCK)).restrict(&b.all, m3)));
        mb.union_with(
            &po_opt
                .restrict(m3, &b.tag(Tag::SRCU_UNLOCK))
                .seq(&o.fencerel(&b.tag(Tag::AFTER_SRCU_READ_UNLOCK)).restrict(&b.all, m3)),
        );
        mb
    }

    /// The relations of linux-kernel.cat that depend on `rf` but not on
    /// the coherence order, from the read-from independent ones of
    /// [`Pre::st`].
    pub(super) fn co_free<R: Row>(&self, o: &Ops<R>, p: &Pre<R>, rf: Rel<R>) -> CoFree<R> {
        let b = o.b;
        let n = b.n;
        let st = &p.st;
        let rfe = rf.inter(&b.ext);
        let rfi = rf.inter(&b.int);
        // po-unlock-lock-po = po ; [UL] ; (po | rf) ; [LKR] ; po
        let pulp = match &st.pulp_po {
            None => Rel::empty(n),
            Some(pp) => {
                let mut x = st.po_ul.seq(&rf.restrict(&b.ul, &b.lkr)).seq(&st.lkr_po);
                x.union_with(pp);
                x
            }
        };
        let mut strong_fence = st.mb.clone();
        if let Some(aul) = &st.after_ul {
            strong_fence.union_with(&pulp.restrict(&st.m3, aul).seq(&b.po.restrict(&b.all, &st.m3)));
        }
        strong_fence.union_with(&st.gp);
        let mut nonrw_fence = strong_fence.union(&st.po_rel);
        nonrw_fence.union_with(&st.acq_po);
        let mut fence = nonrw_fence.union(&st.wmb);
        fence.union_with(&st.rmb);
        let mut ppo = st.ppo.clone();
        ppo.union_with(&st.dep_m.seq(&rfi));
        ppo.union_with(&fence.inter(&b.int));
        ppo.union_with(&pulp.inter(&b.int));
        let rfe_m = rfe.restrict(&b.all, &p.marked);
        // rmw-sequence = (rf ; rmw)*
        let rf_rmw_plus = rf.seq(&p.rmw).plus();
        let mut rmw_sequence = rf_rmw_plus.clone();
        rmw_sequence.add_id();
        // cumul-fence = [Marked] ; (rfe[Marked]? ; (strong-fence | po-rel)
        //   | wmb | po-unlock-lock-po) ; [Marked] ; rmw-sequence
        let sf_rel = strong_fence.union(&st.po_rel);
        let mut cf_inner = rfe_m.seq(&sf_rel);
        cf_inner.union_with(&sf_rel);
        cf_inner.union_with(&st.wmb);
        cf_inner.union_with(&pulp);
        let cf_m = cf_inner.restrict(&p.marked, &p.marked);
        let mut cumul_fence = cf_m.seq(&rf_rmw_plus);
        cumul_fence.union_with(&cf_m);
        let cumul_star = match &st.cumul_static_star {
            Some(s) => Rel::star_over(s, &cumul_fence),
            None => cumul_fence.star(),
        };
        let rfe_opt = rfe.opt();
        // prop = (overwrite & ext)? ; cumul-fence* ; rfe? (marked ends):
        // the part after the first step does not depend on co.
        let cs_m = cumul_star.restrict(&b.all, &p.marked);
        let mut prop_tail = cs_m.seq(&rfe_m);
        prop_tail.union_with(&cs_m);
        CoFree {
            pre_race: st.pre_race.clone(),
            rf,
            rfe,
            w3: st.w3.clone(),
            rmb_f: st.rmb_f.clone(),
            r4rmb: st.r4rmb.clone(),
            po_opt: st.po_opt.clone(),
            strong_fence,
            nonrw_fence,
            fence,
            barrier: st.barrier.clone(),
            ppo,
            rmw_sequence,
            cumul_star,
            rfe_opt,
            prop_tail,
        }
    }
}

/// linux-kernel.cat's `barrier` (read-from independent).
fn barrier<R: Row>(o: &Ops<R>, p: &Pre<R>) -> Rel<R> {
    let b = o.b;
    let mut bset = R::zeros(b.n);
    for t in [
        Tag::BARRIER,
        Tag::RMB,
        Tag::WMB,
        Tag::SYNC_RCU,
        Tag::SYNC_SRCU,
        Tag::BEFORE_ATOMIC,
        Tag::AFTER_ATOMIC,
        Tag::RCU_LOCK,
        Tag::RCU_UNLOCK,
        Tag::SRCU_LOCK,
        Tag::SRCU_UNLOCK,
    ] {
        bset.union_with(&b.tag(t));
    }
    for s in [&p.mb, &p.acquire, &p.release] {
        bset.union_with(s);
    }
    let mut barrier = o.fencerel(&bset);
    barrier.union_with(&b.po.restrict(&b.all, &p.release));
    barrier.union_with(&b.po.restrict(&p.acquire, &b.all));
    barrier
}
