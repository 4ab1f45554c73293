//! The coherence-order dependent half of `linux-kernel.cat` for one
//! read-from: `hb`, `pb`, `rb` and, with plain accesses, the visibility
//! relations `ww-vis`, `wr-vis`, `rw-xbstar` that `plain-coherence` and
//! the `data-race` flag are made of.
//!
//! Source: `tools/memory-model/linux-kernel.cat` (the part after
//! `with co from generate_cos(cobase)`: `overwrite`, `ppo`, `prop`, `hb`,
//! `pb`, `rcu-link`, `rcu-order`, `rb`, `xb`, `vis`, the `*-bounded`
//! relations, `ww-vis`, `wr-vis`, `rw-xbstar`, `pre-race`, `*-incoh`,
//! `*-race`) and lock.cat's closure of `co` with the critical sections.
//!
//! [`NativeLkmm::co_rels`] evaluates them for one coherence order (the
//! leaf evaluation of [`NativeLkmm::with_co`]), and on any relation in
//! place of a coherence order: every definition is a union, sequence,
//! intersection or difference with a relation fixed by the read-from, or
//! a closure (the `rcu-order` fixpoint is a least fixpoint of such an
//! operator) of `co` and `fr = rf^-1 ; co`, so each result is monotone in
//! `co`.  Evaluated on a subset of every completion's `co` (the orders
//! of the locations decided so far) it gives lower bounds of the
//! completions' relations; on a superset (those orders plus every
//! candidate order of the undecided locations) upper bounds.  See
//! [`super::co_search`] for how the search uses them.

use super::{inter, minus, CoFree, NativeLkmm, Ops, Pre};
use crate::bits::{Rel, Row};
use crate::exec::Tag;

/// What [`NativeLkmm::co_rels`] computes for one `co`.
pub(super) struct CoRels<R: Row> {
    /// `co` closed with lock.cat's critical sections.
    pub co: Rel<R>,
    /// `fr = rf^-1 ; co`.
    pub fr: Rel<R>,
    /// `irreflexive rb` holds.
    pub rb_ok: bool,
    /// With plain accesses: the visibility relations.
    pub vis: Option<Vis<R>>,
}

/// `ww-vis`, `wr-vis` and `rw-xbstar` of linux-kernel.cat.
pub(super) struct Vis<R: Row> {
    pub ww_vis: Rel<R>,
    pub wr_vis: Rel<R>,
    pub rw_xbstar: Rel<R>,
}

impl<R: Row> Vis<R> {
    /// `plain-coherence` fails (`wr-incoh | rw-incoh | ww-incoh` is not
    /// empty) for the coherence order `co` (closed) and `fr`, with these
    /// visibility relations.  Monotone in `co`, `fr` and `self`.
    pub fn incoherent(&self, cf: &CoFree<R>, co: &Rel<R>, fr: &Rel<R>) -> bool {
        let wr_incoh = cf.pre_race.inter(&cf.rf).inter(&self.rw_xbstar.inverse());
        !wr_incoh.is_empty() || self.incoherent_co(cf, co, fr)
    }

    /// The terms of `plain-coherence` that depend on `co`
    /// (`rw-incoh`, `ww-incoh`), for a part `co` of a coherence order and
    /// its `fr`: true only if every order containing it fails.
    pub fn incoherent_co(&self, cf: &CoFree<R>, co: &Rel<R>, fr: &Rel<R>) -> bool {
        let pr = &cf.pre_race;
        !pr.inter(fr).inter(&self.wr_vis.inverse()).is_empty() || !pr.inter(co).inter(&self.ww_vis.inverse()).is_empty()
    }

    /// The `data-race` flag: `ww-race | wr-race | rw-race` is not empty
    /// for the order `co` (closed) and `fr`, with these visibility
    /// relations.  Monotone in `co` and `fr`, antitone in `self`: with
    /// `co`/`fr` upper bounds and `self` computed on a lower bound it is
    /// an upper bound (false: no completion is flagged).
    pub fn racy(&self, o: &Ops<R>, p: &Pre<R>, cf: &CoFree<R>, co: &Rel<R>, fr: &Rel<R>) -> bool {
        let pr = &cf.pre_race;
        let rw_xbstar_inv = self.rw_xbstar.inverse();
        let wr_race = pr.inter(&co.opt().seq(&cf.rf)).diff(&self.wr_vis).diff(&rw_xbstar_inv);
        if !wr_race.is_empty() {
            return true;
        }
        let rw_race = pr.inter(fr).diff(&self.rw_xbstar);
        if !rw_race.is_empty() {
            return true;
        }
        let mut ww_nonrace = self.ww_vis.inter(&o.cart(&p.marked, &cf.w3).union(&self.rw_xbstar));
        ww_nonrace.inter_with(&o.cart(&cf.w3, &p.marked).union(&self.wr_vis));
        !pr.inter(co).diff(&ww_nonrace).is_empty()
    }
}

impl<R: Row> Vis<R> {
    /// `ww-race | wr-race | rw-race` as a relation (what [`Vis::racy`]
    /// tests for emptiness), for the closed order `co` and `fr`.
    pub fn races(&self, o: &Ops<R>, p: &Pre<R>, cf: &CoFree<R>, co: &Rel<R>, fr: &Rel<R>) -> Rel<R> {
        let pr = &cf.pre_race;
        let mut races = pr.inter(&co.opt().seq(&cf.rf)).diff(&self.wr_vis).diff(&self.rw_xbstar.inverse());
        races.union_with(&pr.inter(fr).diff(&self.rw_xbstar));
        let mut ww_nonrace = self.ww_vis.inter(&o.cart(&p.marked, &cf.w3).union(&self.rw_xbstar));
        ww_nonrace.inter_with(&o.cart(&cf.w3, &p.marked).union(&self.wr_vis));
        races.union_with(&pr.inter(co).diff(&ww_nonrace));
        races
    }
}

impl NativeLkmm {
    /// lock.cat, after cos-opt.cat: `co` closed with the critical
    /// sections.
    pub(super) fn lock_co<R: Row>(&self, p: &Pre<R>, co0: &Rel<R>) -> Rel<R> {
        let mut co = co0.clone();
        if !p.critical.is_empty() {
            co.union_with(&p.critical);
            co.union_with(&p.critical.inverse().seq(co0));
            co.close();
        }
        co
    }

    /// The `mixed-accesses` flag's bit (co-free).
    pub(super) fn mixed_flag<R: Row>(&self, p: &Pre<R>, cf: &CoFree<R>) -> u32 {
        let plain_w = inter(&p.plain, &cf.w3);
        let pl_nb = p.po_loc.diff(&cf.barrier);
        let mixed = pl_nb.restrict(&plain_w, &p.marked).union(&pl_nb.restrict(&p.marked, &plain_w));
        if mixed.is_empty() {
            0
        } else {
            1 << (super::Flag::MixedAccesses as u8)
        }
    }

    /// linux-kernel.cat from `overwrite` on, for the closed order `co`
    /// and `fr`: the checks `acyclic hb`, `acyclic pb`, `irreflexive rb`,
    /// and (`want_vis`) the visibility relations.  `early`: stop at the
    /// first failed check (`None`), as a rejecting evaluation does.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn co_rels<R: Row>(
        &self,
        o: &Ops<R>,
        p: &Pre<R>,
        cf: &CoFree<R>,
        co: Rel<R>,
        fr: Rel<R>,
        want_vis: bool,
        early: bool,
    ) -> Option<CoRels<R>> {
        let b = o.b;
        let n = b.n;
        let (po_opt, strong_fence, nonrw_fence, fence) = (&cf.po_opt, &cf.strong_fence, &cf.nonrw_fence, &cf.fence);
        let (rmb_f, r4rmb, rmw_sequence, cumul_star, rfe_opt, rfe) =
            (&cf.rmb_f, &cf.r4rmb, &cf.rmw_sequence, &cf.cumul_star, &cf.rfe_opt, &cf.rfe);
        let overwrite = co.union(&fr);
        let mut ppo = cf.ppo.clone();
        ppo.union_with(&overwrite.inter(&b.int));
        let mut prop = overwrite.inter(&b.ext).opt();
        prop.restrict_dom(&p.marked);
        let prop = prop.seq(&cf.prop_tail);
        let mut hb_inner = ppo;
        hb_inner.union_with(rfe);
        hb_inner.union_with(&prop.diff(&b.id).inter(&b.int));
        let hb = hb_inner.restrict(&p.marked, &p.marked);
        if !hb.is_acyclic() && early {
            return None;
        }
        let hb_star = hb.star();
        let mut pb = o.seq(&[&prop, strong_fence, &hb_star]);
        pb.restrict_ran(&p.marked);
        if !pb.is_acyclic() && early {
            return None;
        }
        let pb_star = pb.star();
        // RCU
        let rcu_gp = o.id(&b.tag(Tag::SYNC_RCU));
        let srcu_gp = o.id(&b.tag(Tag::SYNC_SRCU));
        let no_gp = rcu_gp.is_empty() && srcu_gp.is_empty();
        // Without grace periods every disjunct of rcu-order is empty.
        let rcu_fence = if no_gp {
            Rel::empty(n)
        } else {
            let rcu_rscsi = p.rcu_rscs.inverse();
            let srcu_rscsi = p.srcu_rscs.inverse();
            let rcu_link = o.seq(&[po_opt, &hb_star, &pb_star, &prop, &b.po]);
            let mut base = rcu_gp.union(&srcu_gp);
            base.union_with(&o.seq(&[&rcu_gp, &rcu_link, &rcu_rscsi]));
            base.union_with(&o.seq(&[&srcu_gp, &rcu_link, &srcu_rscsi]).inter(&b.loc));
            base.union_with(&o.seq(&[&rcu_rscsi, &rcu_link, &rcu_gp]));
            base.union_with(&o.seq(&[&srcu_rscsi, &rcu_link, &srcu_gp]).inter(&b.loc));
            let gl = rcu_gp.seq(&rcu_link);
            let sgl = srcu_gp.seq(&rcu_link);
            let rl = rcu_rscsi.seq(&rcu_link);
            let srl = srcu_rscsi.seq(&rcu_link);
            let l_rcu_rscsi = rcu_link.seq(&rcu_rscsi);
            let l_srcu_rscsi = rcu_link.seq(&srcu_rscsi);
            let l_rcu_gp = rcu_link.seq(&rcu_gp);
            let l_srcu_gp = rcu_link.seq(&srcu_gp);
            let mut cur = Rel::empty(n);
            let rcu_order = loop {
                let mut next = base.clone();
                if !cur.is_empty() {
                    next.union_with(&o.seq(&[&gl, &cur, &l_rcu_rscsi]));
                    next.union_with(&o.seq(&[&sgl, &cur, &l_srcu_rscsi]).inter(&b.loc));
                    next.union_with(&o.seq(&[&rl, &cur, &l_rcu_gp]));
                    next.union_with(&o.seq(&[&srl, &cur, &l_srcu_gp]).inter(&b.loc));
                    next.union_with(&o.seq(&[&cur, &rcu_link, &cur]));
                }
                if next.is_subset(&cur) {
                    break cur;
                }
                cur = next;
            };
            o.seq(&[&b.po, &rcu_order, po_opt])
        };
        let fence = fence.union(&rcu_fence);
        let strong_fence = strong_fence.union(&rcu_fence);
        let mut rb = if no_gp { Rel::empty(n) } else { o.seq(&[&prop, &rcu_fence, &hb_star, &pb_star]) };
        rb.restrict_ran(&p.marked);
        let rb_ok = rb.is_irreflexive();
        if !rb_ok && early {
            return None;
        }
        if !want_vis {
            return Some(CoRels { co, fr, rb_ok, vis: None });
        }
        let mut xb = hb.union(&pb);
        xb.union_with(&rb);
        let xbstar = xb.star();
        let mut vis_tail = strong_fence.restrict(&b.all, &p.marked).seq(&xbstar);
        vis_tail.union_with(&xbstar.inter(&b.int));
        let vis = o.seq(&[cumul_star, &rfe_opt.restrict(&b.all, &p.marked), &vis_tail]);
        let w_pre_bounded = p.addr.union(&fence).opt();
        let w_pre_bounded = w_pre_bounded.restrict(&p.marked, &b.all);
        let not_noreturn = minus(&b.all, &p.noreturn);
        let mut rpb = p.addr.union(nonrw_fence);
        rpb.union_with(&rmb_f.restrict(r4rmb, &not_noreturn));
        let r_pre_bounded = rpb.opt().restrict(&p.marked, &b.all);
        let w_post_bounded = fence.opt().restrict(&b.all, &p.marked).seq(rmw_sequence);
        let mut rpo = nonrw_fence.clone();
        rpo.union_with(&rmb_f.restrict(&not_noreturn, r4rmb));
        let mut r_post_bounded = rpo.opt();
        r_post_bounded.restrict_ran(&p.marked);
        let sf_xb = strong_fence.seq(&xbstar);
        let wpb_vis = w_post_bounded.seq(&vis);
        let mut ww_vis = fence.union(&sf_xb.seq(&w_pre_bounded));
        ww_vis.union_with(&wpb_vis.seq(&w_pre_bounded));
        let mut wr_vis = fence.union(&sf_xb.seq(&r_pre_bounded));
        wr_vis.union_with(&wpb_vis.seq(&r_pre_bounded));
        let rw_xbstar = fence.union(&o.seq(&[&r_post_bounded, &xbstar, &w_pre_bounded]));
        Some(CoRels { co, fr, rb_ok, vis: Some(Vis { ww_vis, wr_vis, rw_xbstar }) })
    }
}
