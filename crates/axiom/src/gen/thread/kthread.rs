//! kthreads under the LKMM: `kthread_create()` and the start of the
//! created thread.
//!
//! Sources: kernel/kthread.c (`__kthread_create_on_node()` hands the
//! request to kthreadd under `kthread_create_lock` and waits for the
//! new thread on a completion; `kthread()` then sleeps until the
//! creator's `wake_up_process()`), the prelude's kthread part
//! (crates/ir/prelude/sched.h: `__kthread_start()`, `kthread_stop()`,
//! `kthread_park()` are C on top of completions, bitops and
//! `schedule()`/`wake_up_process()`, modelled in [`super::kernel`]) and
//! the SC explorer's `Machine::kthread_create` and `task_start_status`
//! (crates/explore/src/sched.rs).
//!
//! * `kthread_create()`: the new task_struct's fields as the explorer
//!   sets them (`__state` = TASK_UNINTERRUPTIBLE, one reference in
//!   `usage`, the `data` argument in its `struct kthread`: marked
//!   stores), then the task comes to life: an RMW on the task_struct's
//!   hidden status cell reading "not created" (0) and writing `LIVE` with
//!   release ordering (`xchg_release()`: `R{once}`, `W{release}`) (the creator's stores before the creation reach
//!   the thread through kthread_create_lock and the creation completion).
//!   An RMW reading anything else is a second creation of the same kthread: the
//!   explorer's *bound reached*; the path is cut at the bound.
//! * The created thread's first step (`TaskStart`): an acquiring await
//!   on the status cell until it reads `LIVE`, so every event of the
//!   thread comes after the creation.  A path reading "not created" ends
//!   there as a complete path ([`AwaitKind::Idle`]) whose read must be
//!   co-last: the thread is never created in that execution, which the
//!   explorer counts as finished too.  After the start, `__kthread_start()`
//!   sleeps in `schedule()` until `wake_up_process()` (try_to_wake_up():
//!   a full barrier before its store of TASK_RUNNING, read by the
//!   acquiring await of `schedule()`).

use super::{AwaitKind, Deps, GenError, St, TEv, Walker};
use crate::exec::{EventKind, Tag, TagSet};
use kvet_ir::{ptr_to, Opd, Reg, Val, LIVE};

/// TASK_UNINTERRUPTIBLE (include/linux/sched.h): a created kthread's state.
const TASK_UNINTERRUPTIBLE: Val = 2;

fn ev(kind: EventKind, cell: u32, val: Val, tags: TagSet, atomic: bool) -> TEv {
    TEv { kind, cell: Some(cell), val: Some(val), tags, atomic, addr: Deps::NONE, data: Deps::NONE, ctrl: Deps::NONE }
}

impl Walker<'_> {
    /// The hidden status cell of the object holding `cell`.
    fn status_of(&self, cell: u32) -> Option<u32> {
        self.prog.objects.iter().find(|o| cell >= o.base && cell < o.base + o.size).and_then(|o| o.status)
    }

    /// A kthread's first step: wait until it is created.  The path ends
    /// here (its continuations are on `stack`).
    pub(super) fn task_start(&mut self, st: &St, stack: &mut Vec<St>, pc: u32) -> Result<(), GenError> {
        let Some(sc) = self.th.task.and_then(|t| self.status_of(t)) else {
            return Err(
                self.err(pc, "not supported by the LKMM engine: the start of a task without a task_struct".into())
            );
        };
        let acq = TagSet::of(&[Tag::ACQUIRE]);
        self.await_read(st, stack, pc, sc, Deps::NONE, acq, AwaitKind::Idle, |v| v == LIVE, None, None)
    }

    /// kthread_create(): returns `false` when the path ends here.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn kthread_create(
        &mut self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: Reg,
        data: Opd,
        task: u32,
        data_cell: u32,
    ) -> Result<bool, GenError> {
        let Some(sc) = self.status_of(task) else {
            return Err(self.err(
                pc,
                "not supported by the LKMM engine: kthread_create() of a thread without a task_struct".into(),
            ));
        };
        let once = TagSet::of(&[Tag::ONCE]);
        let (dv, dt): (Val, Deps) = (self.val(st, data), self.taint(st, data));
        self.push(st, pc, ev(EventKind::Write, task, TASK_UNINTERRUPTIBLE, once, false))?;
        self.push(st, pc, ev(EventKind::Write, task + 1, 1, once, false))?;
        let mut w = ev(EventKind::Write, data_cell, dv, once, false);
        w.data = dt;
        self.push(st, pc, w)?;
        let rel = TagSet::of(&[Tag::RELEASE]);
        for old in self.values(st, sc) {
            let mut s2 = st.clone();
            let r = self.push(&mut s2, pc, ev(EventKind::Read, sc, old, once, true))?;
            if old != 0 {
                // created a second time: the explorer's bound
                self.too_far(&s2);
                continue;
            }
            let w = self.push(&mut s2, pc, ev(EventKind::Write, sc, LIVE, rel, true))?;
            s2.rmw.push((r as u16, w as u16));
            self.set(&mut s2, dst, ptr_to(task), Deps::NONE);
            s2.pc = pc + 1;
            stack.push(s2);
        }
        Ok(false)
    }
}
