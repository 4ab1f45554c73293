//! The scheduler: several tasks on one CPU, and kthread creation.
//!
//! Each CPU that several tasks share has a `curr` cell: one more than the
//! index of the running task, or 0 when the CPU is free. Without preemption (kernel/sched/core.c
//! with CONFIG_PREEMPT_NONE) a task keeps its CPU from its first step until
//! it calls schedule() (which always lets the scheduler pick again, even
//! when the caller stays runnable: __schedule() picks among the runnable
//! tasks), sleeps (in schedule(), a completion, a sleeping lock,
//! rcu_barrier(), a grace period, or a timed sleep until its timer
//! fires), or exits. Then any runnable task of
//! that CPU may take it. A CPU whose tasks all sleep is idle; its
//! interrupt handlers still run (they belong to its `P<n>`). A task
//! that spins keeps its CPU, so spinning on a lock whose holder is
//! switched out on the same CPU is a deadlock, as in the kernel.
//!
//! A kthread (crates/ir/src/sched.rs) does not exist before its
//! kthread_create(): until then its first step, `TaskStart`, counts as
//! finished (it neither moves nor blocks the end of the scenario).

use crate::machine::{Detail, Machine, Status, Tracer, Wait};
use crate::state::NONE;
use crate::{Violation, ViolationKind};
use kvet_ir::*;

impl Machine<'_> {
    /// The status of thread `t` on a CPU it shares with other tasks.
    pub(crate) fn sched_status(&self, s: &[i64], t: usize) -> Status {
        let own = self.own_status(s, t);
        let h = self.layout.host[t];
        if h == t && self.ctx(s, t) != crate::kernel::CpuContext::Task {
            return own; // a handler runs: it is the CPU's, not a task's
        }
        if h != t && self.ctx(s, h) != crate::kernel::CpuContext::Task {
            // an interrupt handler holds the CPU
            return if own == Status::Enabled { Status::Blocked(Wait::Cpu(h as u32)) } else { own };
        }
        let c = s[self.layout.curr[t]];
        let mine = c == t as i64 + 1;
        let free = c == 0 || (!mine && self.yields(s, (c - 1) as usize));
        match own {
            Status::Enabled if mine || free => Status::Enabled,
            Status::Enabled => Status::Blocked(Wait::Cpu(h as u32)),
            // the scheduler may pick a task that will spin (on a lock, a
            // seqcount, an IPI answer): switching it in is a step of its own
            Status::Blocked(w) if free && !w.sleeps() => Status::Enabled,
            _ => own,
        }
    }

    /// Does task `t` let another task have its CPU: is it finished, asleep
    /// (also in a timed sleep before its timer fires), or about to call
    /// schedule()?
    pub(crate) fn yields(&self, s: &[i64], t: usize) -> bool {
        match self.own_status(s, t) {
            Status::Done => true,
            Status::Blocked(w) => w.sleeps(),
            Status::Enabled => {
                matches!(self.instr_at(t, self.pc(s, t)), Instr::Schedule | Instr::Yield | Instr::TaskStart)
                    || self.timed_sleep(s, t)
                    || (self.prog.preempt && self.preemptible(s, t))
            }
        }
    }

    /// Is task `t` asleep in a timed sleep whose timer has not fired yet:
    /// schedule_timeout() (msleep(), schedule_timeout_*()) with the task
    /// not TASK_RUNNING, or wait_for_completion_timeout() on a completion
    /// not done? Its step is always ready (the timer may fire at any
    /// point), but until then it sleeps in schedule() and its CPU runs
    /// other tasks (kernel/time/sleep_timeout.c: schedule_timeout() calls
    /// schedule()).
    pub(crate) fn timed_sleep(&self, s: &[i64], t: usize) -> bool {
        match *self.instr_at(t, self.pc(s, t)) {
            Instr::ScheduleTimeout { .. } => self.prog.threads[t].task.is_some_and(|task| s[task as usize] != 0),
            Instr::WaitCompletionTimeout { addr, .. } => self.cell(s, t, addr).is_some_and(|c| s[c as usize] == 0),
            _ => false,
        }
    }

    /// With CONFIG_PREEMPT: may task `t` be preempted now? Not in an
    /// interrupt handler, with interrupts or bottom halves off, with a
    /// spinlock or rwlock held (spin_lock() disables preemption) or
    /// with its preempt count raised. RCU readers may be preempted
    /// (CONFIG_PREEMPT_RCU).
    pub(crate) fn preemptible(&self, s: &[i64], t: usize) -> bool {
        if self.ctx(s, t) != crate::kernel::CpuContext::Task || self.preempt_count(s, t) > 0 {
            return false;
        }
        let cb = self.layout.cpu[t];
        if cb != NONE && (s[cb + crate::state::IRQ_OFF] != 0 || s[cb + crate::state::BH] != 0) {
            return false;
        }
        !self.holds_spinlock(s, t)
    }

    /// The task's preempt count (preempt_disable() nesting).
    pub(crate) fn preempt_count(&self, s: &[i64], t: usize) -> i64 {
        let i = self.layout.pcount[t];
        if i == NONE {
            0
        } else {
            s[i]
        }
    }

    /// preempt_disable(), preempt_enable(), preempt_count().
    pub(crate) fn preempt_step<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) -> Detail {
        let i = self.layout.pcount[t];
        match *self.instr_at(t, pc) {
            Instr::PreemptDisable => s[i] += 1,
            Instr::PreemptEnable => {
                if s[i] == 0 {
                    tr.warn(self.violation(
                        ViolationKind::LockMisuse,
                        t,
                        pc,
                        "preempt_enable() without preempt_disable()".into(),
                    ));
                } else {
                    s[i] -= 1;
                }
            }
            Instr::PreemptCount { dst } => {
                s[self.layout.reg(t, dst)] = s[i];
                return Detail::Value(s[i]);
            }
            _ => {}
        }
        Detail::None
    }

    /// A step of thread `t` on a shared CPU: it takes the CPU (a context
    /// switch if another task had it), and gives it up when it yields.
    pub(crate) fn sched_step<T: Tracer>(&self, s: &mut [i64], t: usize, tr: &mut T) -> Result<(), Violation> {
        let task_ctx = self.ctx(s, t) == crate::kernel::CpuContext::Task;
        let cur = self.layout.curr[t];
        if task_ctx {
            s[cur] = t as i64 + 1;
            if self.own_status(s, t) != Status::Enabled {
                return Ok(()); // switched in, to spin
            }
        }
        let r = self.step_inner(s, t, tr);
        if task_ctx && r.is_ok() && self.ctx(s, t) == crate::kernel::CpuContext::Task && self.yields(s, t) {
            s[cur] = 0;
        }
        r
    }

    /// Two tasks of one CPU never run at the same time: without
    /// preemption their steps are ordered by a context switch.
    pub(crate) fn same_cpu(&self, t: usize, u: usize) -> bool {
        !self.prog.preempt && self.layout.curr[t] != NONE && self.layout.host[t] == self.layout.host[u]
    }

    /// The CPU whose RCU callbacks a call_rcu() of thread `t` joins: its
    /// own, if it is a `P<n>`'s, else CPU 0.
    pub(crate) fn rcu_cpu(&self, t: usize) -> usize {
        let h = self.layout.host[t];
        if h < self.layout.ncpus {
            h
        } else {
            0
        }
    }

    /// A kthread's first step may run once kthread_create() made it.
    pub(crate) fn task_start_status(&self, s: &[i64], t: usize) -> Status {
        let alive =
            self.prog.threads[t].task.and_then(|c| self.status_cell(c as usize)).is_some_and(|st| s[st] == LIVE);
        if alive {
            Status::Enabled
        } else {
            Status::Done
        }
    }

    /// kthread_create(): the new thread's task_struct comes to life with
    /// one reference, asleep in TASK_UNINTERRUPTIBLE, holding `data`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn kthread_create(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        dst: Reg,
        thread: u32,
        data: Opd,
        task: u32,
        data_cell: u32,
    ) -> Result<Detail, Violation> {
        let Some(st) = self.status_cell(task as usize) else {
            return Err(self.violation(
                ViolationKind::BadAccess,
                t,
                pc,
                "kthread_create() of a thread without a task_struct".into(),
            ));
        };
        if s[st] != 0 {
            let name = &self.prog.threads[thread as usize].body.name;
            let msg =
                format!("kthread `{name}` is created a second time: kvet has one kthread per thread function and CPU");
            return Err(self.violation(ViolationKind::Bound, t, pc, msg));
        }
        let v = match data {
            Opd::Imm(v) => v,
            Opd::Reg(r) => s[self.layout.reg(t, r)],
        };
        s[st] = LIVE;
        s[task as usize] = 2; // TASK_UNINTERRUPTIBLE
        s[task as usize + 1] = 1; // the task's own reference
        s[data_cell as usize] = v;
        let p = ptr_to(task);
        s[self.layout.reg(t, dst)] = p;
        Ok(Detail::Value(p))
    }

    /// Is a timer still queued (a gated softirq still to run)? Like RCU
    /// callbacks, queued timers fire before the scenario ends.
    pub fn timers_pending(&self, s: &[i64]) -> bool {
        (0..self.layout.ncpus)
            .any(|t| self.prog.threads[t].handlers.iter().any(|h| h.gate.is_some_and(|g| s[g as usize] != 0)))
    }

    /// The queued timers that can never fire in a final state.
    pub(crate) fn stranded_timers(&self, s: &[i64]) -> Vec<String> {
        let mut out = Vec::new();
        for t in 0..self.layout.ncpus {
            for h in &self.prog.threads[t].handlers {
                if h.gate.is_some_and(|g| s[g as usize] != 0) {
                    let cb = self.layout.cpu[t];
                    let why = if cb != NONE && s[cb + crate::state::IRQ_OFF] != 0 {
                        "interrupts stay disabled there"
                    } else {
                        "bottom halves stay disabled there"
                    };
                    out.push(format!("a timer queued on CPU{t} never fires: {why}"));
                }
            }
        }
        out
    }

    /// How messages name thread `t`: `CPU<n>` for a `P<n>`, else the
    /// task's name and where it runs.
    pub fn who(&self, t: usize) -> String {
        let th = &self.prog.threads[t];
        if th.origin == TaskOrigin::Proc {
            return format!("CPU{t}");
        }
        if self.layout.host[t] == t {
            th.body.name.clone()
        } else {
            format!("{} (on CPU{})", th.body.name, self.layout.host[t])
        }
    }
}
