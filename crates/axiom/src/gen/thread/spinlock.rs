//! Spinlocks on one path: `spin_lock()`, `spin_unlock()`,
//! `spin_trylock()` and `spin_is_locked()` (reader/writer locks are in
//! [`super::rwlock`]).
//!
//! Sources: linux-kernel.def and herd7's `herd/CSem.ml`: `spin_lock` is
//! `LKR` then `LKW`; `spin_unlock` is `UL`; `spin_trylock` is `LKR`/`LKW`
//! returning 1 or `LF` returning 0; `spin_is_locked` is `RL` returning 1
//! or `RU` returning 0 (herd's `altT`).  lock.cat then orders the lock
//! sections.  In check mode a lock its own CPU already holds (a handler
//! interrupted the holder) spins forever: the path ends.

use super::{cell_event, exclusive, kind_name, Deps, St, Walker};
use crate::exec::EventKind;
use crate::gen::GenError;
use kvet_ir::{LockKind, Opd, Reg};

impl Walker<'_> {
    /// The cell of a spinlock operation, refusing the lock kinds this
    /// module does not model; `None` if the path ends (bad address).
    fn spinlock_cell(&self, st: &mut St, pc: u32, addr: Opd, kind: LockKind) -> Result<Option<u32>, GenError> {
        if !exclusive(kind) {
            return Err(self.err(pc, format!("not supported by the LKMM engine: {}", kind_name(kind))));
        }
        self.cell_or_fault(st, pc, addr)
    }

    /// `spin_lock()`; `false` if the path ends here.
    pub(super) fn spin_lock(&self, st: &mut St, pc: u32, addr: Opd, kind: LockKind) -> Result<bool, GenError> {
        let Some(cell) = self.spinlock_cell(st, pc, addr, kind)? else {
            return Ok(false);
        };
        let at = self.taint(st, addr);
        // (a sleeping lock's task that keeps its CPU took it uncontended:
        // waiting for it is the continuation off the CPU, see
        // [`super::cpu_share`])
        let keeps_cpu = kind.sleeps() && self.runlock.is_some() && !st.off_cpu;
        if self.lim.blocked && !keeps_cpu {
            // The thread may wait here forever.
            self.stop_prefix(st, Some(cell), None)?;
        }
        if self.lim.kernel && st.held.contains(&cell) {
            // its own CPU holds it (a handler interrupted the holder):
            // it spins forever
            return Ok(false);
        }
        self.acquire(st, pc, cell, at)?;
        st.pc += 1;
        Ok(true)
    }

    /// `spin_unlock()`; `false` if the path ends here.
    pub(super) fn spin_unlock(&self, st: &mut St, pc: u32, addr: Opd, kind: LockKind) -> Result<bool, GenError> {
        let Some(cell) = self.spinlock_cell(st, pc, addr, kind)? else {
            return Ok(false);
        };
        let at = self.taint(st, addr);
        if let Some(i) = st.held.iter().rposition(|c| *c == cell) {
            st.held.remove(i);
        }
        self.push(st, pc, cell_event(EventKind::Unlock, cell, at))?;
        st.pc += 1;
        Ok(true)
    }

    /// `spin_trylock()` into `dst`: the failing path is pushed on `stack`,
    /// the succeeding one continues; `false` if the path ends here.
    pub(super) fn spin_trylock(
        &self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: Reg,
        (addr, kind): (Opd, LockKind),
    ) -> Result<bool, GenError> {
        let Some(cell) = self.spinlock_cell(st, pc, addr, kind)? else {
            return Ok(false);
        };
        let at = self.taint(st, addr);
        st.pc += 1;
        let mut fail = st.clone();
        self.push(&mut fail, pc, cell_event(EventKind::LockFail, cell, at))?;
        self.set(&mut fail, dst, 0, Deps::NONE);
        stack.push(fail);
        self.acquire(st, pc, cell, at)?;
        self.set(st, dst, 1, Deps::NONE);
        Ok(true)
    }

    /// `spin_is_locked()` into `dst`: the unlocked answer is pushed on
    /// `stack`, the locked one continues; `false` if the path ends here.
    pub(super) fn spin_is_locked(
        &self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: Reg,
        addr: Opd,
    ) -> Result<bool, GenError> {
        let Some(cell) = self.cell_or_fault(st, pc, addr)? else {
            return Ok(false);
        };
        let at = self.taint(st, addr);
        st.pc += 1;
        let mut un = st.clone();
        self.push(&mut un, pc, cell_event(EventKind::ReadUnlocked, cell, at))?;
        self.set(&mut un, dst, 0, Deps::NONE);
        stack.push(un);
        self.push(st, pc, cell_event(EventKind::ReadLocked, cell, at))?;
        self.set(st, dst, 1, Deps::NONE);
        Ok(true)
    }
}
