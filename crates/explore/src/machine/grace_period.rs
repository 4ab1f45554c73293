//! RCU and SRCU on the SC machine: read-side critical sections (a nesting
//! count and a generation per task for RCU, two reader slots per task in
//! each srcu_struct for SRCU) and grace periods — synchronize_rcu() and
//! synchronize_srcu() snapshot the readers running when they start and
//! return once each of them has left its section.
//!
//! Sources: Documentation/RCU/whatisRCU.rst, kernel/rcu/srcutree.c
//! (srcu_read_lock/srcu_read_unlock: the index names the reader slot).

use super::{Detail, Machine, Tracer};
use crate::{Violation, ViolationKind};
use kvet_ir::*;

impl Machine<'_> {
    /// Whether the grace period thread `t` waits for is over.
    pub(super) fn grace_period_over(&self, s: &[i64], t: usize) -> bool {
        let n = self.layout.nthreads;
        if matches!(self.instr(t, self.pc(s, t)), Instr::SyncSrcu { .. }) {
            // every reader slot seen running has moved on
            let first = (s[self.layout.gp[t]] - 1) as usize + 1;
            return (0..2 * n)
                .all(|k| s[self.layout.gp[t] + 1 + k] < 0 || s[first + k] != s[self.layout.gp[t] + 1 + k]);
        }
        (0..n).all(|j| {
            let snap = s[self.layout.gp[t] + 1 + j];
            snap < 0 || self.layout.rcu_nest(s, j) == 0 || self.layout.rcu_gen(s, j) != snap
        })
    }

    /// The cell of reader slot `j` of the srcu_struct at `c`.
    fn srcu_slot(&self, c: usize, t: usize, pc: u32, j: usize) -> Result<usize, Violation> {
        let k = c + 1 + j;
        if c + 2 * self.layout.nthreads >= self.layout.ncells {
            let msg = "SRCU primitive applied to something that is not a struct srcu_struct".to_string();
            return Err(self.violation(ViolationKind::BadAccess, t, pc, msg));
        }
        Ok(k)
    }

    /// rcu_read_unlock() of thread `t`: the end of its outermost section
    /// starts a new generation and may end pending RCU work.
    pub(super) fn rcu_unlock<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) {
        if s[self.layout.rcu[t]] == 0 {
            tr.warn(self.violation(
                ViolationKind::LockMisuse,
                t,
                pc,
                "rcu_read_unlock() without a matching rcu_read_lock()".into(),
            ));
        } else {
            s[self.layout.rcu[t]] -= 1;
            if s[self.layout.rcu[t]] == 0 {
                s[self.layout.rcu[t] + 1] += 1;
                self.rcu_callbacks(s, t, pc, tr);
            }
        }
        if T::ON {
            tr.exec(t, pc, Detail::None);
        }
    }

    /// srcu_read_lock(ss) of thread `t` into register `dst`.
    pub(super) fn srcu_lock<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        dst: u16,
        ss: Opd,
        tr: &mut T,
    ) -> Result<(), Violation> {
        // srcu_struct cells: [value, 2 reader slots per task]. A
        // slot is odd while its reader section runs; each lock and
        // unlock adds one, so a slot's value names one section.
        let c = self.mem(s, t, pc, ss)?;
        let first = self.srcu_slot(c, t, pc, 2 * t)?;
        let Some(k) = (0..2).find(|k| s[first + k] % 2 == 0) else {
            let msg = "more than two nested srcu_read_lock() of one srcu_struct in one task".to_string();
            return Err(self.violation(ViolationKind::Bound, t, pc, msg));
        };
        s[first + k] += 1;
        let idx = (2 * t + k) as i64;
        self.set_reg(s, t, dst, idx);
        if T::ON {
            tr.exec(t, pc, Detail::Value(idx));
        }
        Ok(())
    }

    /// srcu_read_unlock(ss, idx) of thread `t`.
    pub(super) fn srcu_unlock<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        ss: Opd,
        idx: Opd,
        tr: &mut T,
    ) -> Result<(), Violation> {
        let c = self.mem(s, t, pc, ss)?;
        let idx = self.reg(s, t, idx);
        let slot = if (0..2 * self.layout.nthreads as i64).contains(&idx) {
            Some(self.srcu_slot(c, t, pc, idx as usize)?)
        } else {
            None
        };
        match slot {
            Some(k) if s[k] % 2 == 1 => s[k] += 1,
            _ => {
                let msg = format!("srcu_read_unlock() with index {idx}, which no running srcu_read_lock() returned");
                tr.warn(self.violation(ViolationKind::LockMisuse, t, pc, msg));
            }
        }
        if T::ON {
            tr.exec(t, pc, Detail::None);
        }
        Ok(())
    }

    /// synchronize_rcu() or synchronize_srcu() of thread `t`: its first
    /// step snapshots the running readers, its second (once they are gone)
    /// ends the grace period. Returns whether the thread stays to wait.
    pub(super) fn synchronize<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        tr: &mut T,
    ) -> Result<bool, Violation> {
        let srcu = match *self.instr(t, pc) {
            Instr::SyncSrcu { ss } => Some(self.mem(s, t, pc, ss)? as i64),
            _ => None,
        };
        if s[self.layout.gp[t]] == 0 {
            // Start: snapshot the readers now inside a critical section.
            if srcu.is_none() && self.layout.rcu_nest(s, t) > 0 {
                let msg = "synchronize_rcu() inside an RCU read-side critical section: it waits for itself".to_string();
                return Err(self.violation(ViolationKind::Deadlock, t, pc, msg));
            }
            let mut any = false;
            match srcu {
                None => {
                    for j in 0..self.layout.nthreads {
                        let snap =
                            if j != t && self.layout.rcu_nest(s, j) > 0 { self.layout.rcu_gen(s, j) } else { -1 };
                        any |= snap >= 0;
                        s[self.layout.gp[t] + 1 + j] = snap;
                    }
                }
                Some(c) => {
                    let first = self.srcu_slot(c as usize, t, pc, 0)?;
                    for k in 0..2 * self.layout.nthreads {
                        let v = s[first + k];
                        let snap = if v % 2 == 1 { v } else { -1 };
                        any |= snap >= 0;
                        s[self.layout.gp[t] + 1 + k] = snap;
                    }
                }
            }
            if T::ON {
                tr.exec(t, pc, Detail::GpStart);
            }
            if any {
                s[self.layout.gp[t]] = srcu.map_or(1, |c| c + 1);
                return Ok(true); // stay: the wait completes in a later step
            } else {
                let g = self.layout.gp[t];
                s[g + 1..g + 1 + self.layout.nsnap[t]].fill(0);
                if T::ON {
                    tr.exec(t, pc, Detail::GpEnd);
                }
            }
        } else {
            s[self.layout.gp[t]] = 0;
            let g = self.layout.gp[t];
            s[g + 1..g + 1 + self.layout.nsnap[t]].fill(0);
            if T::ON {
                tr.exec(t, pc, Detail::GpEnd);
            }
        }
        Ok(false)
    }
}
