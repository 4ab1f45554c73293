//! Object lifetimes: allocation from the pools and kmem_caches, kfree, a
//! task's exit, and the use-after-free, use-after-scope and not-allocated
//! checks on every memory access.
//!
//! Source: mm/slab_common.c (kmalloc/kfree), SLAB_TYPESAFE_BY_RCU in
//! include/linux/slab.h.

use crate::machine::{Detail, Machine, Tracer};
use crate::{Violation, ViolationKind};
use kvet_ir::*;

impl Machine<'_> {
    /// Allocate from pool `pool`: the lowest free slot, so that freed
    /// memory is handed out again.
    pub(super) fn alloc(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        dst: u16,
        pool: usize,
        zero: bool,
    ) -> Result<Detail, Violation> {
        let p = &self.prog.pools[pool];
        let slot = p
            .slots
            .iter()
            .map(|&o| &self.prog.objects[o as usize])
            .find(|o| o.status.is_some_and(|st| s[st as usize] != LIVE));
        let Some(o) = slot else {
            let msg = format!("the allocation pool {} ({}-cell objects) is exhausted ({} slots): more allocations than allocation sites", p.name, p.size, p.slots.len());
            return Err(self.violation(ViolationKind::Bound, t, pc, msg));
        };
        if let Some(st) = o.status {
            s[st as usize] = LIVE;
        }
        if zero {
            s[o.base as usize..(o.base + o.size) as usize].fill(0);
        }
        s[self.layout.reg_base[t] + dst as usize] = ptr_to(o.base);
        Ok(Detail::Value(ptr_to(o.base)))
    }

    pub(crate) fn status_cell(&self, c: usize) -> Option<usize> {
        let st = *self.status_of.get(c)?;
        (st != u32::MAX).then_some(st as usize)
    }

    /// The lifetime check of a memory access to `c`.
    pub(crate) fn check_alive(&self, s: &[i64], t: usize, pc: u32, c: usize) -> Result<(), Violation> {
        let Some(st) = self.status_cell(c) else { return Ok(()) };
        let v = s[st];
        if v == LIVE {
            return Ok(());
        }
        let o = self.prog.object_of(c as u32);
        // SLAB_TYPESAFE_BY_RCU: the memory stays an object of this cache
        // until every RCU reader that may hold it is gone
        if let Some(ObjKind::Heap(k)) = o.map(|o| o.kind) {
            if self.prog.pools[k as usize].typesafe_rcu && self.layout.rcu_nest(s, t) > 0 {
                return Ok(());
            }
        }
        let name = self.prog.cell_name(c as u32);
        let (kind, msg) = match (o.map(|o| o.kind), freed_by(v)) {
            (Some(ObjKind::Local(owner)), Some((ft, fpc))) => (
                ViolationKind::UseAfterScope,
                format!(
                    "use-after-scope: {} accesses {name}, a local of {} whose scope ended at `{}`",
                    self.who(t),
                    self.prog.threads.get(owner as usize).map_or(String::new(), |th| th.body.name.clone()),
                    self.text(ft, fpc)
                ),
            ),
            (_, Some((ft, fpc))) => {
                let what = if ft as usize == t { "itself".to_string() } else { self.who(ft as usize) };
                (
                    ViolationKind::UseAfterFree,
                    format!(
                        "use-after-free: {} accesses {name}, freed by {what} in `{}`",
                        self.who(t),
                        self.text(ft, fpc)
                    ),
                )
            }
            _ => (ViolationKind::BadAccess, format!("access to {name}, which is not allocated")),
        };
        Err(self.violation(kind, t, pc, msg))
    }

    /// do_exit() of thread `t`: its task_struct is dead and drops its own
    /// reference; the last one is released after a grace period
    /// (release_task -> call_rcu(delayed_put_task_struct)).
    pub(super) fn task_exit<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) -> Result<(), Violation> {
        if let Some(task) = self.prog.threads[t].task {
            let task = task as usize;
            s[task] = 0x80; // TASK_DEAD
            s[task + 1] -= 1; // the task's own reference
            if s[task + 1] == 0 {
                // release_task(): the last reference goes through
                // call_rcu(delayed_put_task_struct)
                if let Some(st) = self.status_cell(task) {
                    self.free_after_grace_period(s, t, pc, st, tr)?;
                }
            }
        }
        Ok(())
    }

    /// kmem_cache_alloc(cache): allocate from the pool the cache's static
    /// descriptor names; anything else is a bad access.
    pub(super) fn cache_alloc(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        dst: u16,
        cache: Opd,
        zero: bool,
    ) -> Result<Detail, Violation> {
        let v = self.val(s, t, cache);
        let pool = ptr_cell(v).filter(|&c| (c as usize) < self.layout.ncells).map(|c| s[c as usize] - 1);
        match pool {
            Some(k)
                if (0..self.prog.pools.len() as i64).contains(&k)
                    && self.prog.object_of(ptr_cell(v).unwrap_or(0)).is_some_and(|o| o.kind == ObjKind::Static) =>
            {
                self.alloc(s, t, pc, dst, k as usize, zero)
            }
            _ => {
                let msg = format!("kmem_cache_alloc from {}, which is not a kmem_cache", self.prog.show_val(v, false));
                Err(self.violation(ViolationKind::BadAccess, t, pc, msg))
            }
        }
    }

    /// kfree(addr): the start of a live heap object or task_struct dies;
    /// a second free is a double free, anything else a bad access.
    pub(super) fn free(&self, s: &mut [i64], t: usize, pc: u32, addr: Opd) -> Result<(), Violation> {
        let v = self.val(s, t, addr);
        if v != 0 {
            let o = ptr_cell(v).and_then(|c| self.prog.object_of(c));
            match o {
                Some(o)
                    if o.base as i64 == (v & (PTR_TAG - 1))
                        && matches!(o.kind, ObjKind::Heap(_) | ObjKind::Task(_)) =>
                {
                    let st = o.status.map_or(0, |x| x as usize);
                    if s[st] == LIVE {
                        s[st] = freed_status(t as u32, pc);
                    } else {
                        let msg = match freed_by(s[st]) {
                            Some((ft, fpc)) => format!(
                                "double free of {}: already freed by {} in `{}`",
                                o.name,
                                self.who(ft as usize),
                                self.text(ft, fpc)
                            ),
                            None => format!("free of {}, which is not allocated", o.name),
                        };
                        return Err(self.violation(ViolationKind::DoubleFree, t, pc, msg));
                    }
                }
                _ => {
                    let msg = format!(
                        "kfree of {}, which is not the start of an allocated object",
                        self.prog.show_val(v, false)
                    );
                    return Err(self.violation(ViolationKind::BadAccess, t, pc, msg));
                }
            }
        }
        Ok(())
    }
}
