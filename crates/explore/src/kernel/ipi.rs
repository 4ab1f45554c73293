//! IPIs: smp_call_function*() posting a call to its targets, and which of
//! them still have a call pending.
//!
//! Source: kernel/smp.c (csd_lock_wait: the sender spins until every
//! target ran the function; a CPU with interrupts off never does).

use crate::machine::{Detail, Machine};
use crate::state::*;
use kvet_ir::*;

impl Machine<'_> {
    pub(super) fn ipi_targets(&self, s: &[i64], t: usize, i: &Instr) -> u64 {
        let Instr::SmpCall { mask, include_self, .. } = *i else { return 0 };
        let m = match mask {
            Opd::Imm(v) => v,
            Opd::Reg(r) => s[self.layout.reg_base[t] + r as usize],
        } as u64;
        // only the CPUs of the `P<n>` have IPI handlers
        let all = if self.layout.ncpus >= 64 { u64::MAX } else { (1u64 << self.layout.ncpus) - 1 };
        let mut m = m & all;
        if !include_self {
            m &= !(1 << t);
        }
        m
    }

    pub(super) fn ipi_busy(&self, s: &[i64]) -> u64 {
        (0..self.layout.nthreads).filter(|&u| s[self.layout.cpu[u] + IPI_PEND] != 0).fold(0, |m, u| m | 1 << u)
    }

    /// Targets in `mask` that still have this sender's IPI pending.
    pub(super) fn ipi_unanswered(&self, s: &[i64], t: usize, mask: u64) -> u64 {
        (0..self.layout.nthreads)
            .filter(|&u| mask & (1 << u) != 0)
            .filter(|&u| {
                let cb = self.layout.cpu[u];
                s[cb + IPI_PEND] != 0 && s[cb + IPI_FROM] == t as i64 + 1
            })
            .fold(0, |m, u| m | 1 << u)
    }

    /// smp_call_function*() on CPU `t`: post the call to every target, and
    /// with `wait` stay until each answered (csd_lock_wait). Returns the
    /// next pc and the trace detail.
    pub(super) fn smp_call(&self, s: &mut [i64], t: usize, pc: u32, i: &Instr) -> (u32, Detail) {
        let Instr::SmpCall { func, info, wait, .. } = *i else { return (pc + 1, Detail::None) };
        let cb = self.layout.cpu[t];
        let mut next = pc + 1;
        let mut detail = Detail::None;
        if s[cb + IPI_WAIT] != 0 {
            s[cb + IPI_WAIT] = 0; // everyone answered
            detail = Detail::GpEnd;
        } else {
            let targets = self.ipi_targets(s, t, i);
            let info = self.val(s, t, info);
            for u in 0..self.layout.nthreads {
                if targets & (1 << u) != 0 {
                    let ub = self.layout.cpu[u];
                    s[ub + IPI_PEND] = func as i64 + 1;
                    s[ub + IPI_INFO] = info;
                    s[ub + IPI_FROM] = t as i64 + 1;
                }
            }
            if wait && targets != 0 {
                s[cb + IPI_WAIT] = targets as i64;
                next = pc;
                detail = Detail::GpStart;
            }
        }
        (next, detail)
    }
}
