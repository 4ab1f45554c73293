//! Object lifetimes: allocation from the pools, and the use-after-free,
//! use-after-scope and not-allocated checks on every memory access.
//!
//! Source: mm/slab_common.c (kmalloc/kfree), SLAB_TYPESAFE_BY_RCU in
//! include/linux/slab.h.

use crate::machine::{Detail, Machine};
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
        s[self.layout.reg(t, dst)] = ptr_to(o.base);
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
}
