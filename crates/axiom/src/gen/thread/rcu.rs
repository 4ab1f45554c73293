//! RCU and SRCU on one path.
//!
//! Sources: linux-kernel.def: `rcu_read_lock()`, `rcu_read_unlock()` and
//! `synchronize_rcu()` are fences `F[rcu-lock]`, `F[rcu-unlock]` and
//! `F[sync-rcu]`; `srcu_read_lock(s)` is `R[srcu-lock]` of `s`,
//! `srcu_read_unlock(s, i)` is `W[srcu-unlock]` of `s` with value `i`, and
//! `synchronize_srcu(s)` is herd's `SRCU` event `[sync-srcu]` on `s`.
//! The path also counts its RCU read-side nesting (check mode uses it).

use super::{cell_event, St, TEv, Walker};
use crate::exec::{EventKind, Tag, TagSet};
use crate::gen::GenError;
use kvet_ir::{Opd, Reg};

impl Walker<'_> {
    /// `rcu_read_lock()`, `rcu_read_unlock()` or `synchronize_rcu()` (`tag`).
    pub(super) fn rcu_fence(&self, st: &mut St, pc: u32, tag: Tag) -> Result<(), GenError> {
        if tag == Tag::RCU_LOCK {
            st.rcu += 1;
        } else if tag == Tag::RCU_UNLOCK {
            st.rcu = st.rcu.saturating_sub(1);
        }
        self.fence(st, pc, tag)?;
        Ok(())
    }

    /// `dst = srcu_read_lock(ss)`; `false` if the path ends here.
    pub(super) fn srcu_lock(
        &self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: Reg,
        ss: Opd,
    ) -> Result<bool, GenError> {
        let Some(cell) = self.cell_or_fault(st, pc, ss)? else {
            return Ok(false);
        };
        st.pc += 1;
        self.read(st, stack, pc, cell, ss, TagSet::of(&[Tag::SRCU_LOCK]), dst)
    }

    /// `srcu_read_unlock(ss, idx)`; `false` if the path ends here.
    pub(super) fn srcu_unlock(&self, st: &mut St, pc: u32, ss: Opd, idx: Opd) -> Result<bool, GenError> {
        let Some(cell) = self.cell_or_fault(st, pc, ss)? else {
            return Ok(false);
        };
        let at = self.taint(st, ss);
        let (v, vt) = (self.val(st, idx), self.taint(st, idx));
        let w = TEv {
            val: Some(v),
            tags: TagSet::of(&[Tag::SRCU_UNLOCK]),
            data: vt,
            ..cell_event(EventKind::Write, cell, at)
        };
        self.push(st, pc, w)?;
        st.pc += 1;
        Ok(true)
    }

    /// `synchronize_srcu(ss)`; `false` if the path ends here.
    pub(super) fn sync_srcu(&self, st: &mut St, pc: u32, ss: Opd) -> Result<bool, GenError> {
        let Some(cell) = self.cell_or_fault(st, pc, ss)? else {
            return Ok(false);
        };
        let at = self.taint(st, ss);
        let ev = TEv { tags: TagSet::of(&[Tag::SYNC_SRCU]), ..cell_event(EventKind::Srcu, cell, at) };
        self.push(st, pc, ev)?;
        st.pc += 1;
        Ok(true)
    }
}
