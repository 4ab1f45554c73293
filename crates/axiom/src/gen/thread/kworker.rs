//! Idle kworkers under the LKMM: a kworker asleep in its own pool loop's
//! `schedule()`, waiting for work that never comes, is done, not hung.
//!
//! Sources: kernel/workqueue.c (`worker_thread()`: an idle worker sleeps
//! in `schedule()` until work is queued and `wake_up_worker()` wakes it),
//! the prelude's `__kworker_loop*` (crates/ir/prelude/sched.h), and the SC
//! explorer's `Machine::kworker_idles` (crates/explore/src/machine.rs),
//! which counts such a sleeper as finished.
//!
//! Under the LKMM the sleep is an await on the read of the task's state
//! (see [`super::kernel`]).  For an idle kworker the path that reads a
//! state other than TASK_RUNNING ends there as a *complete* path, whose
//! await read must read a co-last write: no wake-up comes after it, so
//! the worker stays asleep for good and the execution is final with it
//! idle (the search enforces the co-last read as for every await).  A
//! path whose sleep a later wake-up ends is not final: it goes on, as in
//! the explorer.  A kworker asleep inside a work function is a hung task
//! like any other sleeper.

use super::{Await, GenError, St, Trace, Walker};
use crate::exec::Tag;
use kvet_ir::{TaskOrigin, NO_CALL};

impl Walker<'_> {
    /// Is `schedule()` at `pc` an idle kworker's sleep: this thread is a
    /// kworker and the step belongs to its own pool loop (the prelude's
    /// `__kworker_loop*`), not to a work function?
    pub(super) fn kworker_idles(&self, pc: u32) -> bool {
        let body = &self.th.body;
        let Some(step) = body.steps.get(pc as usize) else { return false };
        self.th.origin == TaskOrigin::Kworker
            && step.call != NO_CALL
            && body.calls.get(step.call as usize).is_some_and(|c| c.prelude && c.func.starts_with("__kworker_loop"))
    }

    /// The path of an idle kworker ends here, asleep for good: a complete
    /// path carrying its [`super::AwaitKind::Idle`] await (RCU read-side
    /// sections still open are closed at its end, as for stopped
    /// prefixes).
    pub(super) fn finish_idle(&mut self, st: &St, aw: Await) -> Result<(), GenError> {
        // (an idle path was never counted against the path bytes)
        if !self.complete_path(st, false)? {
            return Ok(());
        }
        let mut tr = Trace {
            evs: st.evs.to_vec(),
            rmw: st.rmw.clone(),
            regs: st.regs.clone(),
            held: st.held.clone(),
            blocked: None,
            pcs: st.pcs.to_vec(),
            awaits: Some(aw),
            fault_stop: false,
            bound: false,
            faults: st.faults.clone(),
            unfired: false,
        };
        let pc = st.pcs.last().copied().unwrap_or(0);
        for _ in 0..st.rcu {
            tr.evs.push(super::kernel::fence(Tag::RCU_UNLOCK));
            tr.pcs.push(pc);
        }
        self.out.traces.push(tr);
        Ok(())
    }
}
