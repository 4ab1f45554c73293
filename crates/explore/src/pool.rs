//! Concurrency management of a per-CPU worker pool under preemption: a
//! kworker takes work only while no other kworker of its pool runs.
//!
//! Source: kernel/workqueue.c. A per-CPU pool counts its running workers
//! in `nr_running`; a worker leaves idle and takes items only when
//! `need_more_worker()` (work pending and `nr_running == 0`), and its
//! `worker_clr_flags(WORKER_PREP)` raises `nr_running` under the pool
//! lock, so a second awake worker goes back to sleep. Only a worker that
//! sleeps (`wq_worker_sleeping()` from `sched_submit_work()`, which runs
//! for a task that is not TASK_RUNNING: schedule(), a mutex, a
//! completion) lowers `nr_running` and lets another take an item;
//! `wq_worker_running()` raises it again when it wakes. Preemption is
//! no sleep: a preempted worker keeps its pool's `nr_running`, so
//! another worker of the pool does not start an item in the middle of
//! it (the CPU's other tasks may).
//!
//! The prelude's per-CPU pool loop (`__kworker_loop_on`) starts each
//! round with `__kvet_pool_gate()` ([`Instr::PoolGate`]), before it looks
//! at the worklist. A kworker is *running* from the step after its gate
//! until it is back at its gate or asleep (in schedule(), on a mutex or
//! a completion, or in a timed sleep such as msleep() before its timer
//! fires): the gate waits while another
//! kworker of its CPU is running. That one status check stands for
//! `nr_running` and need_more_worker(); a waiting kworker counts as idle
//! (it would be asleep in worker_thread()).
//!
//! Without preemption the gate is a local no-op (Machine::run_local): a
//! kworker keeps its CPU inside an item until it sleeps or calls
//! schedule(), so the state space of a scenario without `--preempt`
//! does not change.

use crate::machine::{Machine, Status, Wait};
use kvet_ir::*;

impl Machine<'_> {
    /// The status of kworker `t` at its pool gate: asleep while another
    /// kworker of its CPU is running an item.
    pub(crate) fn pool_gate_status(&self, s: &[i64], t: usize) -> Status {
        let h = self.layout.host[t];
        let busy = (0..self.layout.nthreads).any(|u| {
            u != t
                && self.layout.host[u] == h
                && self.prog.threads[u].origin == TaskOrigin::Kworker
                && self.pool_worker_running(s, u)
        });
        if busy {
            Status::Blocked(Wait::Sleep)
        } else {
            Status::Enabled
        }
    }

    /// Does kworker `u` count in its pool's `nr_running`: past its gate
    /// and not asleep (a preempted or spinning kworker still counts)?
    fn pool_worker_running(&self, s: &[i64], u: usize) -> bool {
        // (a timed sleep is always ready, but the worker sleeps in it)
        if matches!(self.instr_at(u, self.pc(s, u)), Instr::PoolGate) || self.timed_sleep(s, u) {
            return false;
        }
        match self.own_status(s, u) {
            Status::Done => false,
            Status::Blocked(w) => !w.sleeps(),
            Status::Enabled => true,
        }
    }
}
