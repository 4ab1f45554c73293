//! Tasks sharing a CPU (check mode): a hidden run lock per such CPU,
//! held by the task that has the CPU.
//!
//! Sources: kernel/sched/core.c.  Without preemption (CONFIG_PREEMPT_NONE,
//! the default) a task keeps its CPU until it calls into the scheduler:
//! `schedule()` (a sleep, a timed sleep, a contended mutex or rwsem,
//! `synchronize_rcu()`, a completion that is not done yet) or
//! `cond_resched()` when a switch is due, or it exits.  With
//! CONFIG_PREEMPT (`Preempt=yes`) it may also lose its CPU between any
//! two steps where it is preemptible: `preempt_count()` zero (no
//! preempt_disable(), spinlock or bottom-half disable), interrupts on,
//! not in a handler (include/linux/preempt.h; `preempt_schedule_irq()`
//! on the return from an interrupt, `preempt_schedule()` at
//! preempt_enable()).  Either way the switch is `__schedule()`, which
//! takes the run queue's lock and then `smp_mb__after_spinlock()`, so
//! everything the outgoing task did is ordered, by a full barrier,
//! before everything the incoming one does.  linux-kernel.cat has no
//! notion of a CPU's scheduler; this module gives the LKMM check those
//! facts as a lock:
//!
//! * every task of a shared CPU takes the CPU's run lock (`LKR`, `LKW` of a
//!   hidden cell, then `F[mb]`) before its first step (a kthread after its
//!   creation) and after each switch, and releases it (`UL`) where it
//!   enters the scheduler and at its end;
//! * so the tasks' runs between switches are critical sections of one
//!   lock: lock.cat orders them totally, the release and the acquire plus
//!   the full fence order each run before the next (at least as strongly as
//!   the kernel's barrier: nothing is forbidden that the kernel allows,
//!   since the kernel's switch is a full barrier and runs of one CPU do not
//!   overlap), and which task runs next is the lock order, enumerated by
//!   the generator like any other (`gen/lock_order.rs`);
//! * where the kernel may or may not switch (`cond_resched()`, a mutex or
//!   rwsem taken uncontended or after sleeping, a completion already done
//!   or waited for), the path splits: one continuation keeps the CPU and
//!   adds nothing (the kernel adds no barrier then), the other switches;
//!   a task waiting for a contended sleeping lock waits without its CPU;
//! * with preemption on, the path also splits before each step that may
//!   access memory while the task is preemptible ([`Walker::offer_preemption`]).
//!   A preemption between two steps that access no memory is the same
//!   execution as one before the next step that does, so these split
//!   points give every execution a preemption can make; the steps that
//!   choose their own switch (a sleep, cond_resched(), a completion wait,
//!   a sleeping lock) are not split again;
//! * a task that spins (a spinlock, a polling loop, a seqcount, an IPI
//!   answer) keeps the run lock, so a task of the same CPU that the spinner
//!   waits for never runs: a deadlock, as in the explorer.  With
//!   preemption on, a task that waits forever in a preemptible polling
//!   loop is switched out, so its CPU's other tasks run on.
//!
//! A hang or deadlock the kernel's scheduler rules out (a task waiting
//! for a task of its own CPU that cannot run) then needs the run lock's
//! holder to wait forever, which is exactly the explorer's rule.
//! Handlers on such CPUs are refused ([`super::handlers::refusal`]).

use super::{cell_event, St, Walker};
use crate::exec::{EventKind, Tag};
use crate::gen::GenError;
use kvet_ir::{Instr, LockTy, Program};

/// The name of the hidden run-lock objects.
const RUN_OBJ: &str = "<run queue>";

/// The CPUs (by their `P<n>` thread) that further tasks share.
fn shared(prog: &Program) -> Vec<u32> {
    prog.shared_cpus().into_iter().map(|(c, _)| c).collect()
}

/// `prog` with a hidden run-lock cell per shared CPU appended after its
/// own cells (`CPU0's run queue`), or `None` if no CPU is shared.
pub(crate) fn with_run_locks(prog: &Program) -> Option<Program> {
    let cpus = shared(prog);
    if cpus.is_empty() {
        return None;
    }
    let mut p = prog.clone();
    for c in cpus {
        p.push_hidden(RUN_OBJ, vec![format!("CPU{c}'s run queue")], vec![(0, LockTy::Spin)]);
    }
    Some(p)
}

/// Is `cell` a run lock (see [`with_run_locks`])?
pub(crate) fn is_run_lock(prog: &Program, cell: u32) -> bool {
    prog.object_of(cell).is_some_and(|o| o.name == RUN_OBJ)
}

/// The run-lock cell of thread `t`'s CPU, if that CPU is shared.
pub(super) fn run_lock(prog: &Program, t: usize) -> Option<u32> {
    let cpu = prog.threads.get(t)?.cpu;
    let k = shared(prog).iter().position(|&c| c == cpu)?;
    prog.objects.iter().filter(|o| o.name == RUN_OBJ).nth(k).map(|o| o.base)
}

impl Walker<'_> {
    /// Before the step at `pc` of a path off its CPU: take the CPU (the
    /// run lock, then the switch's full fence).  A kthread's first step
    /// (its creation) comes first.  `false` if the path ends here.
    pub(super) fn cpu_take(&self, st: &mut St, pc: u32) -> Result<bool, GenError> {
        let Some(cell) = self.runlock else {
            return Ok(true);
        };
        if matches!(self.th.body.steps.get(pc as usize).map(|s| &s.instr), Some(Instr::TaskStart)) {
            return Ok(true);
        }
        if self.lim.blocked {
            // the task may never get its CPU back (its holder spins)
            self.stop_prefix(st, Some(cell), None)?;
        }
        st.off_cpu = false;
        self.acquire(st, pc, cell, super::Deps::NONE)?;
        self.fence(st, pc, Tag::MB)?;
        Ok(true)
    }

    /// The task enters the scheduler at `pc` and leaves its CPU: the run
    /// lock's release; the path takes the CPU again before its next step.
    pub(super) fn cpu_release(&self, st: &mut St, pc: u32) -> Result<(), GenError> {
        let Some(cell) = self.runlock else {
            return Ok(());
        };
        if st.off_cpu {
            return Ok(());
        }
        if let Some(i) = st.held.iter().rposition(|c| *c == cell) {
            st.held.remove(i);
        }
        self.push(st, pc, cell_event(EventKind::Unlock, cell, super::Deps::NONE))?;
        st.off_cpu = true;
        Ok(())
    }

    /// The task enters `__schedule()` and leaves its CPU: its full fence,
    /// then the release (nothing if the CPU is not shared or the task is
    /// off it already).
    pub(super) fn cpu_switch(&self, st: &mut St, pc: u32) -> Result<(), GenError> {
        if self.runlock.is_none() || st.off_cpu {
            return Ok(());
        }
        self.fence(st, pc, Tag::MB)?;
        self.cpu_release(st, pc)
    }

    /// With preemption on, before the step `instr` at `pc` of a task of a
    /// shared CPU that is preemptible there: the continuation that is
    /// preempted first (it leaves the CPU and takes it again before the
    /// step) is pushed on `stack` (see the module doc).
    pub(super) fn offer_preemption(
        &self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        instr: &Instr,
    ) -> Result<(), GenError> {
        if std::mem::take(&mut st.preempted) || !self.prog.preempt || !may_access(instr) {
            return Ok(());
        }
        if !self.preemptible(st) {
            return Ok(());
        }
        if let Some(mut s2) = self.cpu_switch_copy(st, pc)? {
            s2.preempted = true;
            stack.push(s2);
        }
        Ok(())
    }

    /// May the kernel preempt this path here: preemption on, a task of a
    /// shared CPU that has it, preempt_count() zero, interrupts on?
    pub(super) fn preemptible(&self, st: &St) -> bool {
        self.prog.preempt
            && self.runlock.is_some()
            && !st.off_cpu
            && st.ctx.is_empty()
            && !st.irq_off
            && self.preempt_word(st) == 0
    }

    /// Where the kernel may switch or not (see the module doc): the
    /// switching continuation of `st`, or `None` if the CPU is not shared.
    pub(super) fn cpu_switch_copy(&self, st: &St, pc: u32) -> Result<Option<St>, GenError> {
        if self.runlock.is_none() || st.off_cpu {
            return Ok(None);
        }
        let mut s2 = st.clone();
        self.cpu_switch(&mut s2, pc)?;
        Ok(Some(s2))
    }
}

/// May `instr` access memory, without choosing its own switch (see the
/// module doc)?  A preemption before a step that does not is the same as
/// one before the next step that does.  The interleaving points
/// ([`Instr::is_shared`]) but those that only change the task's own
/// context or choose their own switch.
fn may_access(instr: &Instr) -> bool {
    instr.is_shared()
        && !matches!(instr, Instr::Lock { kind, .. } if kind.sleeps())
        && !matches!(
            instr,
            Instr::IrqReturn
                | Instr::RcuLock
                | Instr::RcuUnlock
                | Instr::SyncRcu
                | Instr::IrqDisable
                | Instr::IrqEnable
                | Instr::IrqSave { .. }
                | Instr::IrqRestore { .. }
                | Instr::IrqsDisabled { .. }
                | Instr::BhDisable
                | Instr::BhEnable
                | Instr::Schedule
                | Instr::WaitCompletion { .. }
                | Instr::Yield
                | Instr::PoolGate
                | Instr::TaskStart
                | Instr::PreemptDisable
                | Instr::PreemptEnable
                | Instr::PreemptCount { .. }
                | Instr::ScheduleTimeout { .. }
                | Instr::WaitCompletionTimeout { .. }
        )
}
