//! The slab allocator as LKMM events: kmalloc/kzalloc, kmem_cache_alloc
//! and kfree of pool slots (used by `kvet check --model lkmm`).
//!
//! Sources: mm/slub.c (`slab_alloc_node()`, `do_slab_free()`),
//! include/linux/slab.h (SLAB_TYPESAFE_BY_RCU), and the explorer's pools
//! (crates/explore/src/kernel/lifetime.rs): a pool has one slot per
//! allocation site, allocation takes the lowest free slot, so freed
//! memory is handed out again.
//!
//! * Each slot's hidden status cell (`Object::status`: 0 never allocated,
//!   [`LIVE`], or the freeing step) is the allocator's per-object state.
//!   `kfree()` writes [`super::POISON`] to the object's cells (a read of it is a
//!   use after free) and then releases the slot: a `W{release}` of its
//!   status (SLUB's freelist push is a `cmpxchg` that orders the caller's
//!   earlier accesses before the object's reuse).
//! * An allocation looks at the slots in order: a slot whose status it
//!   reads as live (`R{once}`) is skipped; the slot it takes is an
//!   acquiring RMW on the status (reads "free", writes [`LIVE`]), so two
//!   allocations never get the same slot and the new owner's accesses
//!   come after the old owner's (hb through the free's release).  When
//!   every slot reads as live, the path is cut at the model's bound (the
//!   explorer's "pool exhausted").
//! * `kzalloc()` of a slot that was freed writes 0 to its cells (the
//!   memset, plain stores); a never-allocated slot already holds 0, as
//!   in the explorer, so no event.  `kmalloc()` (no zeroing) of a freed
//!   slot hands out its old contents, which the poison replaced: it writes
//!   [`super::STALE`] to its cells instead (tagged as the zeroing), and a
//!   read of that value is cut like a path at the unrolling bound (an
//!   allowed execution containing it makes the check incomplete).
//! * `kmem_cache_alloc(cache)`: the cache descriptor is a constant of the
//!   program (written by `kmem_cache_create()` at compile time), so it is
//!   read from the initial memory, without an event.
//! * SLAB_TYPESAFE_BY_RCU caches (include/linux/slab.h; mm/slub.c's
//!   `calculate_sizes()` keeps such a cache's free pointer outside the
//!   object, and the slab's pages go back to the page allocator only
//!   after a grace period): a freed object stays an object of its type
//!   and keeps its contents until it is handed out again.  So its free
//!   writes no poison (only the slot's release), a reader sees the old
//!   contents or the new owner's as coherence allows, `kmem_cache_alloc()`
//!   of a freed slot hands out its old contents (no event) and
//!   `kmem_cache_zalloc()`'s memset is a marked store of 0 (not an
//!   allocator write: a race with it is the new owner's, not a free's).
//!   Inside an RCU read-side section any access to such an object is
//!   legal (the explorer's rule too); outside one, an access first reads
//!   the slot's status (an `R{once}` of the hidden status cell, with the
//!   access's address dependencies: [`Walker::typesafe_guard`]).  Reading
//!   it freed is not decided: the status is no memory of the kernel, and
//!   the LKMM lets a reader that is causally after the slot's reuse (its
//!   `atomic_inc_not_zero()` read the new owner's refcount) still read
//!   the older, freed status when nothing orders the allocation before
//!   the new owner's stores; such a read is no use after free (the object
//!   was live when it was accessed).  The path is cut as at the unrolling
//!   bound: an allowed execution containing it makes the check
//!   incomplete, never "ok" and never a false use-after-free.

/// Allocation is modelled under the LKMM.  Measured on the 9 files that
/// allocate (`kvet check --model both`, release build): typesafe-by-rcu
/// gives its BUG and -fixed is ok (20 and 47 executions, under 0.01 s;
/// before, both were `not checked`); the seven others stop at a bound
/// (timeout): work-freed-while-queued at the path-memory bound (2.7 s,
/// 0.58 GB), -fixed, ordered-wq{,-fixed} and seed 003 buggy{,-while} at
/// the work budget (3 to 9 s, 0.15 to 0.51 GB), seed 003 fixed (whose
/// kmalloc() of a freed page was refused before the old contents became
/// a cut path) at the path-memory bound.  No verdict is wrong; none
/// gives its SC finding yet (engine speed).
///
/// A race with the free (an access not ordered before it, which the
/// kworker's late `p->events++` in work-freed-while-queued is) is a
/// use-after-free: the poison and the reused slot's zeroing carry
/// [`Tag::FREE`], and the native model flags races with them
/// `free-race`, not `data-race` (with `KVET_LKMM_UNROLL=1`,
/// work-freed-while-queued gives use-after-free alone, 160 executions,
/// 12 s; before, use-after-free and a data race).
pub(super) const MODELLED: bool = true;

use super::{Deps, GenError, St, TEv, Walker};
use crate::exec::{EventKind, Execution, Tag, TagSet};
use kvet_ir::{freed_by, freed_status, ptr_cell, ptr_to, ObjKind, Opd, Program, LIVE};

impl Walker<'_> {
    /// kmalloc()/kzalloc() from pool `pool` into `dst`: every way the
    /// allocation may go is pushed on `stack` (continuing at `pc + 1`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn alloc(
        &mut self,
        st: &St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: u16,
        pool: usize,
        zero: bool,
    ) -> Result<(), GenError> {
        let slots = self.prog.pools[pool].slots.clone();
        // (state, next slot to look at)
        let mut work = vec![(st.clone(), 0usize)];
        while let Some((s, k)) = work.pop() {
            let Some(&obj) = slots.get(k) else {
                self.too_far(&s);
                continue;
            };
            let o = &self.prog.objects[obj as usize];
            let Some(sc) = o.status else {
                return Err(self.err(pc, "not supported by the LKMM engine: a pool slot without a status".into()));
            };
            for &v in self.values(&s, sc).iter().rev() {
                let mut s2 = s.clone();
                if v == LIVE {
                    self.push(&mut s2, pc, slot_ev(EventKind::Read, sc, v, Tag::ONCE, false))?;
                    work.push((s2, k + 1));
                    continue;
                }
                let r = self.push(&mut s2, pc, slot_ev(EventKind::Read, sc, v, Tag::ACQUIRE, true))?;
                let w = self.push(&mut s2, pc, slot_ev(EventKind::Write, sc, LIVE, Tag::ACQUIRE, true))?;
                s2.rmw.push((r as u16, w as u16));
                let typesafe = self.prog.pools[pool].typesafe_rcu;
                // (kmalloc() of a freed typesafe slot: its old contents, no event)
                if v != 0 && (zero || !typesafe) {
                    for off in 0..o.size {
                        if o.lock_cells.iter().any(|(c, _)| *c == off) {
                            continue;
                        }
                        // (kzalloc()'s memset, or kmalloc()'s old contents)
                        let val = if zero { 0 } else { super::STALE };
                        let mut e = slot_ev(EventKind::Write, o.base + off, val, Tag::ONCE, false);
                        if !typesafe {
                            e.tags = TagSet::of(&[Tag::FREE]);
                        }
                        self.push(&mut s2, pc, e)?;
                    }
                }
                self.set(&mut s2, dst, ptr_to(o.base), Deps::NONE);
                s2.pc = pc + 1;
                stack.push(s2);
            }
        }
        Ok(())
    }

    /// kmem_cache_alloc(cache): the pool the constant descriptor at
    /// `cache` names.  `None`: not a cache (the explorer's bad access;
    /// the path is cut, as for an access to no cell).
    pub(super) fn cache_pool(&self, st: &St, cache: Opd) -> Option<usize> {
        let c = ptr_cell(self.val(st, cache)).filter(|c| *c < self.prog.ncells)?;
        let o = self.prog.object_of(c)?;
        if o.kind != ObjKind::Static {
            return None;
        }
        let k = self.prog.init_mem.get(c as usize).copied()? - 1;
        (0..self.prog.pools.len() as i64).contains(&k).then_some(k as usize)
    }

    /// The end of kfree() of a pool slot: release the slot to the
    /// allocator (after the poison).
    pub(super) fn release_slot(&self, st: &mut St, pc: u32, obj: usize) -> Result<(), GenError> {
        let o = &self.prog.objects[obj];
        if let (ObjKind::Heap(_), Some(sc)) = (o.kind, o.status) {
            let v = freed_status(self.th.index, pc);
            self.push(st, pc, slot_ev(EventKind::Write, sc, v, Tag::RELEASE, false))?;
        }
        Ok(())
    }

    /// A read of contents kvet does not model (see the module's doc): the
    /// path is cut as at the unrolling bound, so an allowed execution
    /// containing it makes the check incomplete, never wrong.
    pub(super) fn cut_unmodelled(&self, st: &St) {
        if let Err(e) = self.stop_prefix(st, None, None) {
            self.deferred.borrow_mut().get_or_insert(e);
            return;
        }
        if let Some(t) = self.prefixes.borrow_mut().last_mut() {
            t.fault_stop = false;
            t.bound = true;
        }
    }

    /// Is `obj` a slot of a SLAB_TYPESAFE_BY_RCU cache?
    pub(super) fn typesafe_obj(&self, obj: usize) -> bool {
        self.prog.objects.get(obj).is_some_and(|o| self.typesafe_kind(o.kind))
    }

    /// Is an object of kind `k` a slot of a SLAB_TYPESAFE_BY_RCU cache?
    fn typesafe_kind(&self, k: ObjKind) -> bool {
        matches!(k, ObjKind::Heap(p) if self.prog.pools.get(p as usize).is_some_and(|p| p.typesafe_rcu))
    }

    /// The lifetime check of an access to `cell` (address dependencies
    /// `at`) of a SLAB_TYPESAFE_BY_RCU object outside an RCU read-side
    /// section, in check mode: a read of the slot's status, one path per
    /// value it may read.  A path reading it freed is cut as at the
    /// unrolling bound (the module's doc says why it is not a use after
    /// free); the others go on.  `None`: no check
    /// (the path goes on in `st` as it is); `Some(paths)`: the paths that
    /// go on (`st` is left empty).
    pub(super) fn typesafe_guard(
        &self,
        st: &mut St,
        pc: u32,
        cell: u32,
        at: Deps,
    ) -> Result<Option<Vec<St>>, GenError> {
        if !self.lim.kernel || st.rcu > 0 {
            return Ok(None);
        }
        let Some(o) = self.prog.object_of(cell) else {
            return Ok(None);
        };
        let Some(sc) = o.status.filter(|_| self.typesafe_kind(o.kind)) else {
            return Ok(None);
        };
        let mut goes_on = Vec::new();
        for v in self.values(st, sc) {
            let mut s2 = st.clone();
            let mut e = slot_ev(EventKind::Read, sc, v, Tag::ONCE, false);
            e.addr = at;
            self.push(&mut s2, pc, e)?;
            if freed_by(v).is_none() {
                goes_on.push(s2);
                continue;
            }
            if self.lim.blocked {
                self.cut_unmodelled(&s2);
            }
        }
        *st = St::empty();
        Ok(Some(goes_on))
    }
}

/// An event of the allocator on `cell`.
fn slot_ev(kind: EventKind, cell: u32, val: i64, tag: Tag, atomic: bool) -> TEv {
    TEv {
        kind,
        cell: Some(cell),
        val: Some(val),
        tags: TagSet::of(&[tag]),
        atomic,
        addr: Deps::NONE,
        data: Deps::NONE,
        ctrl: Deps::NONE,
    }
}

/// Where a race with the allocator happens, from the model's race pairs
/// ([`crate::Model::free_races`]) of the execution `ex` built from the
/// paths `chosen`: the thread and step of the first pair's access (its
/// event that the allocator did not write) and the finding's words,
/// naming the free (or the reuse's zeroing) it races with.  `None` when
/// the model names no pair.
pub(crate) fn free_race_site(
    prog: &Program,
    ex: &Execution,
    chosen: &[&super::Trace],
    pairs: &[(usize, usize)],
) -> Option<(u32, u32, String)> {
    let &(a, b) = pairs.first()?;
    let is_free = |e: usize| ex.events().get(e).is_some_and(|ev| ev.tags.has(Tag::FREE));
    let (acc, fr) = if is_free(a) && !is_free(b) { (b, a) } else { (a, b) };
    // (thread, step, cell) of event `e`: its thread's n-th event is the
    // n-th of that thread's path
    let site = |e: usize| -> Option<(u32, u32, Option<u32>)> {
        let t = ex.events().get(e)?.thread?;
        let nth = ex.events()[..e].iter().filter(|x| x.thread == Some(t)).count();
        let tr = chosen.get(t as usize)?;
        Some((t, *tr.pcs.get(nth)?, tr.evs.get(nth).and_then(|v| v.cell)))
    };
    let (t, pc, cell) = site(acc)?;
    let (ft, fpc, _) = site(fr)?;
    let text = |t: u32, pc: u32| {
        let s = prog.threads.get(t as usize).and_then(|th| th.body.steps.get(pc as usize));
        s.map_or(String::new(), |s| s.text.clone())
    };
    let what = cell.map_or_else(|| "its object".to_string(), |c| prog.cell_name(c));
    let msg = format!(
        "CPU{t}'s `{}` accesses {what} racing with CPU{ft}'s `{}`: happens-before does not order it before the \
         free (the free's poison and the access form a data race under linux-kernel.cat)",
        text(t, pc),
        text(ft, fpc)
    );
    Some((t, pc, msg))
}
