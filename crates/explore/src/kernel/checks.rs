//! The kernel's own assertions, checked on every explored path:
//! lockdep_assert_*(), might_sleep(), and sleeping in atomic context.
//!
//! Source: include/linux/lockdep.h, kernel/sched/core.c (__might_sleep,
//! schedule_debug's "scheduling while atomic").

use super::locks::HOLDER;
use crate::machine::{Machine, Tracer};
use crate::state::*;
use crate::{Violation, ViolationKind};
use kvet_ir::*;

use super::CpuContext;

impl Machine<'_> {
    /// A kernel assertion (lockdep_assert_*(), might_sleep()) on CPU `t`:
    /// the finding it gives when it fails, in the kernel's words.
    pub(crate) fn kernel_check(
        &self,
        s: &[i64],
        t: usize,
        pc: u32,
        check: KernelCheck,
        addr: i64,
    ) -> Option<Violation> {
        let text = self.text(t as u32, pc);
        let cb = self.layout.cpu[t];
        let ctx = self.ctx(s, t);
        let lock = || ptr_cell(addr).filter(|&c| (c as usize) < self.layout.ncells);
        // lockdep_is_held(): held on this CPU (an interrupt handler shares
        // the interrupted task's held locks, as in lockdep), for writing
        // (the holder field) or reading (its read-held classes)
        let holds = |write: bool, read: bool| -> bool {
            let Some(c) = lock() else { return false };
            let v = s[c as usize];
            let w = v & HOLDER == t as i64 + 1;
            // read-held classes: rwlocks and rwsems only
            let bit = match self.class(c as usize) {
                Some(k) if matches!(self.lock_list[k].1, LockTy::Rw | LockTy::Rwsem) => 1u64 << k,
                _ => 0,
            };
            let r = cb != NONE && s[cb + RHELD] as u64 & bit != 0;
            (write && w) || (read && r)
        };
        let name = || lock().map_or_else(|| "a lock".to_string(), |c| self.prog.cell_name(c));
        let fail = match check {
            KernelCheck::Held => (!holds(true, true)).then(|| format!("CPU{t} does not hold {}", name())),
            KernelCheck::HeldWrite => {
                (!holds(true, false)).then(|| format!("CPU{t} does not hold {} for writing", name()))
            }
            KernelCheck::HeldRead => {
                (!holds(false, true)).then(|| format!("CPU{t} does not hold {} for reading", name()))
            }
            KernelCheck::NotHeld => holds(true, true).then(|| format!("CPU{t} holds {}", name())),
            KernelCheck::IrqsDisabled => {
                (ctx != CpuContext::Hard && !self.irqs_off(s, t)).then(|| format!("interrupts are enabled on CPU{t}"))
            }
            KernelCheck::IrqsEnabled => {
                (ctx == CpuContext::Hard || self.irqs_off(s, t)).then(|| format!("interrupts are disabled on CPU{t}"))
            }
            KernelCheck::InSoftirq => (ctx != CpuContext::Soft).then(|| format!("CPU{t} is not in a softirq")),
            KernelCheck::InHardirq => (ctx != CpuContext::Hard).then(|| format!("CPU{t} is not in a hardirq handler")),
            KernelCheck::MightSleep => {
                let why = self.atomic_reason(s, t)?;
                let msg =
                    format!("BUG: sleeping function called from invalid context: `{text}` on {} {why}", self.who(t));
                return Some(self.violation(ViolationKind::SleepInAtomic, t, pc, msg));
            }
        }?;
        Some(self.violation(ViolationKind::Warning, t, pc, format!("WARNING: `{text}` fails: {fail}")))
    }

    /// Why CPU `t` may not sleep now, if it may not.
    pub(super) fn atomic_reason(&self, s: &[i64], t: usize) -> Option<String> {
        let ctx = self.ctx(s, t);
        Some(if ctx == CpuContext::Hard {
            "in hardirq context".to_string()
        } else if ctx == CpuContext::Soft {
            "in softirq context".to_string()
        } else if self.irqs_off(s, t) {
            "with interrupts disabled".to_string()
        } else if let Some(k) = (0..self.lock_list.len()).find(|&k| {
            self.held(s, t, CpuContext::Task) & (1 << k) != 0
                && matches!(self.lock_list[k].1, LockTy::Spin | LockTy::Rw)
        }) {
            format!("holding spinlock {}", self.class_name(k))
        } else if self.preempt_count(s, t) > 0 {
            "with preemption disabled".to_string()
        } else if self.layout.rcu_nest(s, t) > 0 {
            "inside an RCU read-side critical section".to_string()
        } else {
            return None;
        })
    }

    /// Checks made when a context arrives at an instruction that may
    /// sleep: sleeping in atomic context is a bug.
    pub(crate) fn arrive<T: Tracer>(&self, s: &[i64], t: usize, pc: u32, tr: &mut T) {
        let what = match self.instr_at(t, pc) {
            Instr::Schedule => "schedule()",
            Instr::ScheduleTimeout { .. } => "schedule_timeout()",
            Instr::WaitCompletionTimeout { .. } => "wait_for_completion_timeout()",
            Instr::WaitCompletion { .. } => "wait_for_completion()",
            Instr::RcuBarrier => "rcu_barrier()",
            Instr::Lock { kind, .. } if kind.sleeps() => kind.verb(),
            _ => return,
        };
        let Some(why) = self.atomic_reason(s, t) else { return };
        let msg = format!("BUG: scheduling while atomic: {} calls {what} {why}", self.who(t));
        tr.warn(self.violation(ViolationKind::SleepInAtomic, t, pc, msg));
    }
}
