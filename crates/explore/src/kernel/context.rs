//! CPU contexts: which context (task, softirq, hardirq) runs on a CPU,
//! its pc, the CPU's interrupt and bottom-half flags, and the
//! `preempt_count()` word that in_interrupt() and friends read.
//!
//! Source: include/linux/preempt.h (the preempt_count bits; in_interrupt():
//! hardirq, softirq or bottom halves disabled), include/linux/irqflags.h,
//! kernel/softirq.c (`__do_softirq` serves with `SOFTIRQ_OFFSET`,
//! `__local_bh_disable_ip` adds `SOFTIRQ_DISABLE_OFFSET`).

use crate::machine::Machine;
use crate::state::*;
use kvet_ir::{ContextQuery, LockTy};

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
    #[inline]
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

    #[inline]
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

    /// The kernel's `preempt_count()` word for the context running on
    /// CPU `t` (include/linux/preempt.h, with CONFIG_PREEMPT_COUNT):
    /// the preempt_disable() nesting plus one per spinlock or rwlock
    /// held on the CPU (spin_lock() is a preempt_disable()),
    /// `SOFTIRQ_OFFSET` while a softirq handler runs (under a hardirq
    /// too), `SOFTIRQ_DISABLE_OFFSET` per local_bh_disable() and
    /// `HARDIRQ_OFFSET` in a hardirq handler.
    pub(crate) fn preempt_word(&self, s: &[i64], t: usize) -> i64 {
        const SOFTIRQ_OFFSET: i64 = 0x100;
        const SOFTIRQ_DISABLE_OFFSET: i64 = 0x200;
        const HARDIRQ_OFFSET: i64 = 0x1_0000;
        let held =
            self.held(s, t, CpuContext::Task) | self.held(s, t, CpuContext::Soft) | self.held(s, t, CpuContext::Hard);
        let locks = (0..self.lock_list.len())
            .filter(|&k| held & (1 << k) != 0 && matches!(self.lock_list[k].1, LockTy::Spin | LockTy::Rw))
            .count() as i64;
        let mut w = (self.preempt_count(s, t) + locks).min(0xff);
        let c = self.layout.cpu[t];
        if c != NONE {
            // the CPU's bottom-half count includes the softirq being
            // served (irq.rs raises it when one fires);
            // the handlers of a CPU belong to its `P<n>`: another task
            // runs there only while none does
            let serving = self.layout.is_host(t) && s[c + SOFT] != 0;
            let disabled = s[c + BH] - serving as i64;
            w += (disabled * SOFTIRQ_DISABLE_OFFSET).min(0xfe00);
            if serving {
                w += SOFTIRQ_OFFSET;
            }
            if self.layout.is_host(t) && s[c + HARD] != 0 {
                w += HARDIRQ_OFFSET;
            }
        }
        w
    }

    /// in_interrupt() and the other context macros, for CPU `t`.
    pub(crate) fn in_context(&self, s: &[i64], t: usize, q: ContextQuery) -> i64 {
        q.eval(self.preempt_word(s, t), self.irqs_off(s, t))
    }
}
