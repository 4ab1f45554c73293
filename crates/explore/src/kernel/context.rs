//! CPU contexts: which context (task, softirq, hardirq) runs on a CPU,
//! its pc, and the CPU's interrupt and bottom-half flags.
//!
//! Source: include/linux/preempt.h (in_interrupt(): hardirq, softirq or
//! bottom halves disabled), include/linux/irqflags.h.

use crate::machine::Machine;
use crate::state::*;

/// Which context runs on a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CpuContext {
    Task = 0,
    Soft = 1,
    Hard = 2,
}

impl Machine<'_> {
    /// The state index of the pc of the context running on CPU `t`.
    #[inline]
    pub(crate) fn pcx(&self, s: &[i64], t: usize) -> usize {
        let c = self.layout.cpu[t];
        if c == NONE || !self.layout.is_host(t) {
            return self.layout.thread_base[t];
        }
        if s[c + HARD] != 0 {
            c + HARD_PC
        } else if s[c + SOFT] != 0 {
            c + SOFT_PC
        } else {
            self.layout.thread_base[t]
        }
    }

    /// The pcs of CPU `t`'s contexts: its task, and the softirq and
    /// hardirq handlers running (u32::MAX where none).
    pub(crate) fn context_pcs(&self, s: &[i64], t: usize) -> [u32; 3] {
        let task = s[self.layout.thread_base[t]] as u32;
        let c = self.layout.cpu[t];
        if c == NONE || !self.layout.is_host(t) {
            return [task, u32::MAX, u32::MAX];
        }
        let soft = if s[c + SOFT] != 0 { s[c + SOFT_PC] as u32 } else { u32::MAX };
        let hard = if s[c + HARD] != 0 { s[c + HARD_PC] as u32 } else { u32::MAX };
        [task, soft, hard]
    }

    pub(crate) fn ctx(&self, s: &[i64], t: usize) -> CpuContext {
        let c = self.layout.cpu[t];
        if c == NONE || !self.layout.is_host(t) {
            CpuContext::Task
        } else if s[c + HARD] != 0 {
            CpuContext::Hard
        } else if s[c + SOFT] != 0 {
            CpuContext::Soft
        } else {
            CpuContext::Task
        }
    }

    pub(crate) fn irqs_off(&self, s: &[i64], t: usize) -> bool {
        let c = self.layout.cpu[t];
        c != NONE && s[c + IRQ_OFF] != 0
    }

    pub(super) fn bh_off(&self, s: &[i64], t: usize) -> bool {
        let c = self.layout.cpu[t];
        c != NONE && s[c + BH] != 0
    }
}
