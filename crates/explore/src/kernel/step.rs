//! Statuses (enabled or blocked) and steps of the kernel-model
//! instructions: interrupt flags, IPIs, sleeping, timed sleeps, wake-ups,
//! allocation and freeing, RCU deferral, scopes, seqcounts, completions.
//!
//! Sources: kernel/sched/core.c (try_to_wake_up: a wake-up whose state mask
//! does not match the task's state changes nothing), kernel/time/timer.c
//! (schedule_timeout, process_timeout), kernel/sched/completion.c,
//! include/linux/irqflags.h.

use crate::machine::{Detail, Machine, Status, Tracer, Wait};
use crate::state::*;
use crate::{Violation, ViolationKind};
use kvet_ir::*;

/// MAX_SCHEDULE_TIMEOUT (include/linux/sched.h): LONG_MAX.
const MAX_SCHEDULE_TIMEOUT: i64 = i64::MAX;

/// `flags` value of local_irq_save() with interrupts on (X86_EFLAGS_IF).
const IF_FLAG: i64 = 0x200;

impl Machine<'_> {
    pub(crate) fn kernel_status(&self, s: &[i64], t: usize, i: &Instr) -> Status {
        match *i {
            Instr::SmpCall { .. } => {
                let cb = self.layout.cpu[t];
                let wait = s[cb + IPI_WAIT];
                if wait != 0 {
                    let left = self.ipi_unanswered(s, t, wait as u64);
                    return if left == 0 { Status::Enabled } else { Status::Blocked(Wait::Ipi(left)) };
                }
                let busy = self.ipi_targets(s, t, i) & self.ipi_busy(s);
                if busy == 0 {
                    Status::Enabled
                } else {
                    Status::Blocked(Wait::Ipi(busy))
                }
            }
            Instr::Schedule => match self.prog.threads[t].task {
                Some(task) if s[task as usize] != 0 => Status::Blocked(Wait::Sleep),
                _ => Status::Enabled,
            },
            // the timer may fire at any point: only an endless timeout sleeps
            Instr::ScheduleTimeout { timeout, .. } => match self.prog.threads[t].task {
                Some(task) if s[task as usize] != 0 && self.val(s, t, timeout) == MAX_SCHEDULE_TIMEOUT => {
                    Status::Blocked(Wait::Sleep)
                }
                _ => Status::Enabled,
            },
            Instr::WaitCompletion { addr } => match self.cell(s, t, addr) {
                Some(c) if s[c as usize] == 0 => Status::Blocked(Wait::Completion(c)),
                _ => Status::Enabled,
            },
            Instr::SeqBegin { addr, .. } => match self.cell(s, t, addr) {
                Some(c) if s[c as usize] & 1 == 1 => Status::Blocked(Wait::Seq(c)),
                _ => Status::Enabled,
            },
            Instr::RcuBarrier if self.rcu_pending(s) => Status::Blocked(Wait::RcuBarrier),
            _ => Status::Enabled,
        }
    }

    pub(crate) fn cell(&self, s: &[i64], t: usize, addr: Opd) -> Option<u32> {
        let v = match addr {
            Opd::Imm(v) => v,
            Opd::Reg(r) => s[self.layout.reg(t, r)],
        };
        ptr_cell(v).filter(|&c| (c as usize) < self.layout.ncells)
    }

    pub(super) fn val(&self, s: &[i64], t: usize, o: Opd) -> i64 {
        match o {
            Opd::Imm(v) => v,
            Opd::Reg(r) => s[self.layout.reg(t, r)],
        }
    }

    pub(crate) fn text(&self, t: u32, pc: u32) -> String {
        self.prog
            .threads
            .get(t as usize)
            .and_then(|th| th.body.steps.get(pc as usize))
            .map_or_else(String::new, |st| st.text.clone())
    }

    /// Execute a kernel-model instruction at `pc`; `base` is the pc slot.
    /// Sets the next pc; returns whether the thread moved on (and so its
    /// local code must run).
    pub(crate) fn kernel_step<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        base: usize,
        tr: &mut T,
    ) -> Result<bool, Violation> {
        let cb = self.layout.cpu[t];
        let mut next = pc + 1;
        let mut detail = Detail::None;
        match *self.instr_at(t, pc) {
            Instr::IrqDisable => s[cb + IRQ_OFF] = 1,
            Instr::IrqEnable => {
                s[cb + IRQ_OFF] = 0;
                self.irqs_enabled(s, t, pc, tr);
            }
            Instr::IrqSave { dst } => {
                let v = if s[cb + IRQ_OFF] == 0 { IF_FLAG } else { 0 };
                s[self.layout.reg(t, dst)] = v;
                s[cb + IRQ_OFF] = 1;
            }
            Instr::IrqRestore { src } => {
                let v = self.val(s, t, src);
                let off = (v & IF_FLAG == 0) as i64;
                let was = s[cb + IRQ_OFF];
                s[cb + IRQ_OFF] = off;
                if was == 1 && off == 0 {
                    self.irqs_enabled(s, t, pc, tr);
                }
            }
            Instr::IrqsDisabled { dst } => {
                let v = s[cb + IRQ_OFF];
                s[self.layout.reg(t, dst)] = v;
                detail = Detail::Value(v);
            }
            Instr::BhDisable => s[cb + BH] += 1,
            Instr::BhEnable => {
                if s[cb + BH] == 0 {
                    tr.warn(self.violation(
                        ViolationKind::LockMisuse,
                        t,
                        pc,
                        "local_bh_enable() without local_bh_disable()".into(),
                    ));
                } else {
                    s[cb + BH] -= 1;
                }
            }
            ref i @ Instr::SmpCall { .. } => (next, detail) = self.smp_call(s, t, pc, i),
            Instr::Schedule => {}
            Instr::ScheduleTimeout { dst, timeout } => {
                let to = self.val(s, t, timeout);
                let left = match self.prog.threads[t].task {
                    Some(task) if to != MAX_SCHEDULE_TIMEOUT => {
                        let task = task as usize;
                        if to <= 0 || s[task] != 0 {
                            // process_timeout(): the timer wakes the task
                            s[task] = 0;
                            0
                        } else {
                            to
                        }
                    }
                    _ => to,
                };
                s[self.layout.reg(t, dst)] = left;
                detail = Detail::Value(left);
            }
            Instr::WaitCompletionTimeout { dst, addr } => {
                let c = self.mem(s, t, pc, addr)?;
                let got = s[c] > 0;
                if got && s[c] < 1 << 30 {
                    s[c] -= 1;
                }
                s[self.layout.reg(t, dst)] = got as i64;
                detail = Detail::Value(got as i64);
            }
            Instr::WakeUp { dst, task, mask } => {
                let c = self.mem(s, t, pc, task)?;
                let m = self.val(s, t, mask);
                let ok = s[c] & m != 0;
                if ok {
                    s[c] = 0;
                }
                if let Some(d) = dst {
                    s[self.layout.reg(t, d)] = ok as i64;
                }
                detail = Detail::Value(ok as i64);
            }
            Instr::TaskExit => self.task_exit(s, t, pc, tr)?,
            Instr::Alloc { dst, pool, zero } => detail = self.alloc(s, t, pc, dst, pool as usize, zero)?,
            Instr::CacheAlloc { dst, cache, zero } => detail = self.cache_alloc(s, t, pc, dst, cache, zero)?,
            Instr::Free { addr } => self.free(s, t, pc, addr)?,
            Instr::FreeRcu { addr } => self.free_rcu(s, t, pc, addr, tr)?,
            Instr::CallRcu { head, func } => {
                let v = self.val(s, t, head);
                self.call_rcu(s, t, pc, v, func)?;
            }
            Instr::RcuBarrier | Instr::TaskStart | Instr::Yield | Instr::PoolGate => {}
            Instr::PreemptDisable | Instr::PreemptEnable | Instr::PreemptCount { .. } => {
                detail = self.preempt_step(s, t, pc, tr)
            }
            Instr::KthreadCreate { dst, thread, data, task, data_cell } => {
                detail = self.kthread_create(s, t, pc, dst, thread, data, task, data_cell)?
            }
            Instr::ScopeEnter { obj } => {
                let o = &self.prog.objects[obj as usize];
                if let Some(st) = o.status {
                    s[st as usize] = LIVE;
                }
                s[o.base as usize..(o.base + o.size) as usize].fill(0);
            }
            Instr::ScopeExit { obj } => {
                if let Some(st) = self.prog.objects[obj as usize].status {
                    s[st as usize] = freed_status(t as u32, pc);
                }
            }
            Instr::SeqBegin { dst, addr } => {
                let c = self.mem(s, t, pc, addr)?;
                let v = s[c];
                s[self.layout.reg(t, dst)] = v;
                detail = Detail::Value(v);
            }
            Instr::WaitCompletion { addr } => {
                let c = self.mem(s, t, pc, addr)?;
                if s[c] < 1 << 30 {
                    s[c] -= 1;
                }
            }
            _ => return Ok(false),
        }
        if T::ON {
            tr.exec(t, pc, detail);
        }
        s[base] = next as i64;
        Ok(next != pc)
    }
}
