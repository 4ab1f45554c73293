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
//!   slot would read its old contents, which the poison replaced: that
//!   path is refused with a located "not checked".
//! * `kmem_cache_alloc(cache)`: the cache descriptor is a constant of the
//!   program (written by `kmem_cache_create()` at compile time), so it is
//!   read from the initial memory, without an event.
//! * A read of a freed SLAB_TYPESAFE_BY_RCU object inside an RCU
//!   read-side section is legal (the memory stays an object of its type)
//!   but its value (the old contents) is not modelled: refused.

#[allow(unused_imports)]
/// Allocation is refused under the LKMM for now (a located "not
/// checked").  Switched on, measured on the 9 files that allocate
/// (`kvet check`, release build, `--model both` budget):
/// work-freed-while-queued, ordered-wq{,-fixed}, seed 003 buggy and
/// buggy-while stop at the work budget (timeout; work-freed-while-queued
/// at 3.8 GB and ordered-wq at 3.2 GB of RSS before the budget stops
/// them: the budget does not bound memory); work-freed-while-queued-fixed
/// is refused (P1's path has more than 128 events), typesafe-by-rcu{,-fixed}
/// (atomic_inc_not_zero() of a freed SLAB_TYPESAFE_BY_RCU object) and
/// seed 003 fixed (kmalloc() of a freed slot without zeroing) too.  No
/// file gives a wrong verdict, but none gives its SC finding either,
/// and the memory is too much for the test suite, so it stays off.
///
/// The weak-memory-only data race seen on work-freed-while-queued
/// (reproduced with `KVET_LKMM_UNROLL=1`: use-after-free and data race,
/// 106 executions, 13.6 s): the kworker runs the freed item, and its
/// plain `p->events++` (and the list and bit accesses of the item) are
/// not ordered after `kfree(p)`, whose poison stores are marked writes
/// to the same cells, so linux-kernel.cat's `data-race` flag holds
/// between the free and the late access.  That is the use-after-free
/// itself (issue 8's definition: an access not ordered before the free),
/// seen by the race flag; the explorer reports it as the use-after-free
/// only.  A race whose one side is a free's poison store should be
/// reported as the use-after-free (or not twice): a reporting fix in the
/// check, to make before this is switched on.  The hang was not
/// reproduced (the full run stops at the budget).
pub(super) const MODELLED: bool = false;

use super::{Deps, GenError, St, TEv, Walker};
use crate::exec::{EventKind, Tag, TagSet};
use kvet_ir::{freed_status, ptr_cell, ptr_to, ObjKind, Opd, LIVE};

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
                if v != 0 && !zero {
                    return Err(self.err(
                        pc,
                        "not supported by the LKMM engine: kmalloc() of a freed slot without zeroing (its old \
                         contents are not modelled)"
                            .into(),
                    ));
                }
                let r = self.push(&mut s2, pc, slot_ev(EventKind::Read, sc, v, Tag::ACQUIRE, true))?;
                let w = self.push(&mut s2, pc, slot_ev(EventKind::Write, sc, LIVE, Tag::ACQUIRE, true))?;
                s2.rmw.push((r as u16, w as u16));
                if v != 0 {
                    for off in 0..o.size {
                        if o.lock_cells.iter().any(|(c, _)| *c == off) {
                            continue;
                        }
                        let mut e = slot_ev(EventKind::Write, o.base + off, 0, Tag::ONCE, false);
                        e.tags = TagSet::EMPTY;
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

    /// Is a read of freed `cell` legal here: an object of a
    /// SLAB_TYPESAFE_BY_RCU cache read inside an RCU read-side section?
    pub(super) fn typesafe_read(&self, st: &St, cell: u32) -> bool {
        match self.prog.object_of(cell).map(|o| o.kind) {
            Some(ObjKind::Heap(k)) => self.prog.pools[k as usize].typesafe_rcu && st.rcu > 0,
            _ => false,
        }
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
