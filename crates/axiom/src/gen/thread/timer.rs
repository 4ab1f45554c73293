//! The timer softirq under the LKMM: a CPU's `run_timer_softirq()` runs
//! while timers are queued on it, and before the scenario ends.
//!
//! Sources: kernel/time/timer.c (`run_timer_softirq()` -> `__run_timers()`
//! takes `base->lock`, runs the expired timers' callbacks in softirq
//! context; `timer_delete_sync()` waits while `base->running_timer` is the
//! timer), the prelude's C of both (crates/ir/prelude/sched.h:
//! `__run_timers()` reads `base->nr` under `base->lock` and runs the first
//! queued timer, holding its `running` lock), and the SC explorer, which
//! lets the softirq run only while `nr` is non-zero (the handler's gate,
//! `kvet_ir::Handler::gate`) and before the scenario ends.
//!
//! The handler is an ordinary softirq of its CPU (see [`super::handlers`]:
//! its events in that CPU's program order, where interrupts and bottom
//! halves are on) whose own code decides, under `base->lock`, whether a
//! timer is queued.  What the gate becomes:
//! * A run that finds no timer (reads `nr` = 0 and writes nothing) is
//!   kept only where it says something: right before the path ends, or
//!   before a step where the task may wait forever (a lock, a sleep, a
//!   completion, a seqcount, an IPI, a loop head).  Elsewhere it only adds
//!   lock events that the explorer's gate never makes: the path is
//!   dropped (the same path without that run exists).
//! * A path ends, or waits forever, with the softirq able to run only
//!   right after such an empty run, whose read of `nr` must then read a
//!   co-last write ([`super::AwaitKind::Idle`]): no timer is left queued
//!   that the softirq would run.  Without it the path is not final (the
//!   variant with the run exists).
//! * At most `unroll + 1` runs that find a timer per path, then one more
//!   that must find none; a path needing more is cut at the unrolling
//!   bound (the check is then incomplete, never wrong).

use super::{GenError, St, Walker};
use crate::exec::EventKind;
use kvet_ir::{HandlerKind, Instr};

impl Walker<'_> {
    /// The most runs of a gated softirq that find a timer, per path.
    pub(super) fn gate_cap(&self) -> u32 {
        self.lim.unroll + 1
    }

    /// May a gated softirq of this thread run in `st` (its CPU state lets
    /// a softirq run)?  The cap is not looked at.
    fn gated_may_run(&self, st: &St) -> bool {
        !st.irq_off
            && st.bh == 0
            && !st.ctx.iter().any(|f| self.th.handlers[f.h].kind != HandlerKind::Softirq)
            && self.th.handlers.iter().any(|h| h.gate.is_some())
    }

    /// Is the step at `pc` one where the task may wait forever (or end)?
    fn may_wait_at(&self, pc: u32) -> bool {
        let Some(step) = self.th.body.steps.get(pc as usize) else { return true };
        self.loop_heads.contains(&pc)
            || matches!(
                step.instr,
                Instr::Exit
                    | Instr::Lock { .. }
                    | Instr::Schedule
                    | Instr::WaitCompletion { .. }
                    | Instr::SeqBegin { .. }
                    | Instr::SmpCall { .. }
                    | Instr::RcuBarrier
            )
    }

    /// The return of a gated softirq run that began with `at` events and
    /// went back to `ret`: `Ok(false)` if the path ends here (a pointless
    /// empty run, or one run too many).
    pub(super) fn gate_return(&mut self, st: &mut St, h: usize, at: usize, ret: u32) -> Result<bool, GenError> {
        let Some(gate) = self.th.handlers[h].gate else { return Ok(true) };
        let evs = || st.evs.range(at, usize::MAX);
        let wrote = evs().any(|e| e.kind == EventKind::Write);
        let n = st.evs.len() - at.min(st.evs.len());
        let read = evs().rev().position(|e| e.kind == EventKind::Read && e.cell == Some(gate) && e.val == Some(0));
        let read = read.map(|k| n - 1 - k);
        st.gate_idle = None;
        match read {
            Some(r) if !wrote => {
                if !self.may_wait_at(ret) {
                    return Ok(false);
                }
                st.gate_idle = Some(((at + r) as u16, st.evs.len()));
            }
            _ if st.fired.get(h).copied().unwrap_or(0) > self.gate_cap() => {
                self.too_far(st);
                return Ok(false);
            }
            _ => {}
        }
        Ok(true)
    }

    /// Is a run of gated softirq `h` pointless in `st`: one more than the
    /// cap allows, or right after an empty run?
    pub(super) fn gate_blocks(&self, st: &St, h: usize) -> bool {
        self.th.handlers[h].gate.is_some()
            && (st.fired.get(h).copied().unwrap_or(0) > self.gate_cap()
                || st.gate_idle.is_some_and(|(_, n)| n == st.evs.len()))
    }

    /// A path ending (`upto` = its length) or waiting forever (`upto` =
    /// its wait's first read): `None` if it cannot, as a gated softirq
    /// could still run; else the empty run's read of `nr` that must be
    /// co-last, if one is needed.
    pub(super) fn gate_end(&self, st: &St, upto: usize) -> Option<Option<u16>> {
        if !self.gated_may_run(st) {
            return Some(None);
        }
        let (r, n) = st.gate_idle?;
        // (a range past the end is empty, as `[T]::get` gives none)
        let end = if upto.max(n) > st.evs.len() { n } else { upto.max(n) };
        let mut between = st.evs.range(n, end);
        between.all(|e| e.kind == EventKind::Fence).then_some(Some(r))
    }
}
