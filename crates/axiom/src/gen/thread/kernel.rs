//! The kernel execution model's instructions as LKMM events: sleeping and
//! waking, completions, seqcount readers, polling loops, object
//! lifetimes and interrupt flags (used by `kvet check --model lkmm`).
//!
//! Sources: `tools/memory-model/linux-kernel.def` and today's kernel:
//!
//! * `schedule()` (kernel/sched/core.c, `__schedule()`): the runqueue lock
//!   and `smp_mb__after_spinlock()` come before the read of
//!   `prev->__state`, so an `F{mb}`; then the task waits until it reads
//!   TASK_RUNNING (0): an await on that read, which acquires (the
//!   wake-up's runqueue-lock and `p->on_cpu` hand-over).  A path whose
//!   await reads a co-last value other than TASK_RUNNING is a sleeper
//!   that nothing wakes ([`Await`]), unless it is an idle kworker in its
//!   pool loop, which is done (see [`super::kworker`]).
//! * `try_to_wake_up()` (same file): `raw_spin_lock_irqsave(&p->pi_lock)`
//!   then `smp_mb__after_spinlock()` (an `F{mb}`), `READ_ONCE(p->__state)`,
//!   and, if it matches the mask, `WRITE_ONCE(p->__state, TASK_RUNNING)`
//!   under a control dependency.
//! * `wait_for_completion()` (kernel/sched/completion.c): under the wait
//!   queue's lock, waits for `done > 0` then takes one: an acquiring RMW,
//!   or an await on the read of `done` = 0.
//! * `read_seqbegin()` (include/linux/seqlock.h): `READ_ONCE` of the count
//!   until it is even, then `smp_rmb()`.
//! * Polling loops (`while (!READ_ONCE(x)) cpu_relax();`): GenMC's
//!   spin-assume.  An iteration that makes no write, no lock or RMW, and
//!   ends with the registers it started with is cut; in an execution, the
//!   loop then exits in an iteration that reads the values that let it
//!   exit.  Fairness assumption: a store eventually becomes visible to
//!   every CPU, so a loop spins forever only if its last iteration reads
//!   co-last writes (an [`Await`] of kind `Spin`).
//! * Lifetimes: `kfree()`, the end of a local's scope and the last
//!   reference to an exited task write [`POISON`] (marked) to every cell
//!   of the object; a read of it is a use after free.  The task's last
//!   reference is dropped after a grace period (`delayed_put_task_struct`
//!   is an RCU callback): an `F{sync-rcu}` before the poison.
//! * `local_irq_*()`, `local_bh_*()`: no event; they decide where a
//!   handler may fire (see [`super::handlers`]).
//! * `preempt_disable()`/`preempt_enable()`: `barrier()` (preemption is
//!   off in check mode: include/linux/preempt.h without
//!   CONFIG_PREEMPT_COUNT); refused with `Preempt=yes`, where they keep
//!   the other tasks of the CPU out (not an LKMM notion).

use super::is_freed;
use super::{is_sym, Await, AwaitKind, Deps, Fault, FaultKind, GenError, St, TEv, Trace, Walker, POISON, SYMX};
use crate::exec::{EventKind, Tag, TagSet};
use kvet_ir::{ptr_cell, Instr, ObjKind, Val};

/// TASK_DEAD (include/linux/sched.h), as the explorer writes it at exit.
const TASK_DEAD: Val = 0x80;
/// MAX_SCHEDULE_TIMEOUT (include/linux/sched.h): LONG_MAX.
const MAX_SCHEDULE_TIMEOUT: Val = i64::MAX;

impl Walker<'_> {
    /// Record a prefix that stops here: blocked at a lock, at an await, or
    /// (neither) after a read of freed memory.  In check mode the RCU
    /// read-side critical sections still open are closed at its end, so
    /// that stopping does not void their guarantee.
    pub(super) fn stop_prefix(&self, st: &St, lock: Option<u32>, awaits: Option<Await>) -> Result<(), GenError> {
        if (lock.is_some() || awaits.is_some()) && self.must_fire(st) {
            return Ok(()); // a handler fires first (see [`super::handlers`])
        }
        // (a CPU waiting with interrupts on answers every IPI: see [`super::ipi`])
        let waits = self.lim.kernel && (lock.is_some() || awaits.is_some());
        let (st, awaits) = if waits {
            match self.ipi_wait_stop(st, awaits)? {
                Some(x) => x,
                None => return Ok(()),
            }
        } else {
            (std::borrow::Cow::Borrowed(st), awaits)
        };
        let st = &*st;
        let mut pre = self.prefixes.borrow_mut();
        if pre.len() >= self.lim.max_traces {
            return Err(GenError::TooLarge(format!(
                "thread P{} has more than {} blocked prefixes",
                self.th.index, self.lim.max_traces
            )));
        }
        self.store_path(st)?;
        let fault_stop = lock.is_none() && awaits.is_none();
        let mut tr = Trace {
            evs: st.evs.to_vec(),
            rmw: st.rmw.clone(),
            regs: st.regs.clone(),
            held: st.held.clone(),
            blocked: lock,
            pcs: st.pcs.to_vec(),
            awaits,
            fault_stop,
            bound: false,
            faults: st.faults.clone(),
            unfired: false,
        };
        if self.lim.kernel {
            let pc = st.pcs.last().copied().unwrap_or(0);
            for _ in 0..st.rcu {
                tr.evs.push(fence(Tag::RCU_UNLOCK));
                tr.pcs.push(pc);
            }
        }
        pre.push(tr);
        Ok(())
    }

    /// A path goes past the unrolling bound.  For litmus tests, herd's
    /// "too far" mark; in check mode, a prefix: the check is incomplete
    /// only if an allowed execution contains it.
    pub(super) fn too_far(&mut self, st: &St) {
        if !self.lim.kernel {
            self.out.toofar = true;
            return;
        }
        if !self.lim.blocked {
            return;
        }
        match self.stop_prefix(st, None, None) {
            Ok(()) => {
                if let Some(t) = self.prefixes.borrow_mut().last_mut() {
                    t.fault_stop = false;
                    t.bound = true;
                }
            }
            Err(e) => {
                self.deferred.borrow_mut().get_or_insert(e);
            }
        }
    }

    /// A read of `cell` returned [`POISON`]: a use after free.  The path
    /// cannot go on (it would use garbage); in check mode it is kept as a
    /// stopped prefix carrying the fault.
    pub(super) fn freed_read(&self, mut st: St, pc: u32, cell: u32) -> Result<(), GenError> {
        if !self.lim.kernel || !self.lim.blocked {
            return Ok(());
        }
        // a slot kmalloc() handed out again without zeroing: its old
        // contents (see [`super::alloc`])
        if st.evs.last().and_then(|e| e.val) == Some(super::STALE) {
            self.cut_unmodelled(&st);
            return Ok(());
        }
        let at = st.evs.len().saturating_sub(1) as u16;
        st.faults.push(Fault {
            pc,
            at,
            kind: FaultKind::UseAfterFree,
            message: format!("reads {} after it was freed", self.prog.cell_name(cell)),
        });
        self.stop_prefix(&st, None, None)
    }

    /// An access through `addr`, whose value designates no cell. Through
    /// NULL, in check mode, the path is kept as a stopped prefix carrying
    /// a NULL dereference (the thread oopses there, as the explorer says);
    /// otherwise, and for litmus tests, the path is cut.
    pub(super) fn bad_address(&self, mut st: St, pc: u32, addr: kvet_ir::Opd) -> Result<(), GenError> {
        if !self.lim.kernel || !self.lim.blocked || self.val(&st, addr) != 0 {
            return Ok(());
        }
        let at = st.evs.len() as u16;
        st.faults.push(Fault { pc, at, kind: FaultKind::NullDeref, message: "NULL pointer dereference".into() });
        self.stop_prefix(&st, None, None)
    }

    /// A division by zero at `pc`: in check mode, as in the explorer, an
    /// assertion failure where the thread stops (the path is kept as a
    /// stopped prefix carrying it); otherwise, and for litmus tests, the
    /// path does not exist.
    pub(super) fn division_by_zero(&self, mut st: St, pc: u32) -> Result<(), GenError> {
        if !self.lim.kernel || !self.lim.blocked {
            return Ok(());
        }
        let at = st.evs.len() as u16;
        st.faults.push(Fault {
            pc,
            at,
            kind: FaultKind::Assert(kvet_ir::AssertKind::Assert),
            message: "division by zero".into(),
        });
        self.stop_prefix(&st, None, None)
    }

    /// Spin-assume: is the iteration that jumps back to `head` free of
    /// side effects, ending with the registers it started with?  Then
    /// the path is cut here, and kept as an await prefix.
    pub(super) fn spins(&self, st: &St, head: u32) -> bool {
        let Some((_, n, regs)) = st.heads.iter().find(|h| h.0 == head) else {
            return false;
        };
        let evs = || st.evs.range(*n, usize::MAX);
        let pure = evs()
            .all(|e| (e.kind == EventKind::Read && !e.atomic && e.val != Some(SYMX)) || e.kind == EventKind::Fence);
        if !pure || !evs().any(|e| e.kind == EventKind::Read) || **regs != *st.regs {
            return false;
        }
        if self.lim.blocked {
            let reads = (*n..st.evs.len()).filter(|&i| st.evs[i].kind == EventKind::Read).map(|i| i as u16).collect();
            let aw = Await { reads, pc: head, kind: AwaitKind::Spin };
            // (an error here is the prefix bound; the path is cut anyway)
            if let Err(e) = self.stop_prefix(st, None, Some(aw)) {
                self.deferred.borrow_mut().get_or_insert(e);
            }
        }
        true
    }

    /// Push a fence event with `tag` (every fence the generator emits).
    pub(super) fn fence(&self, st: &mut St, pc: u32, tag: Tag) -> Result<usize, GenError> {
        self.push(st, pc, fence(tag))
    }

    fn ev(kind: EventKind, cell: u32, val: Val, tags: TagSet, atomic: bool, addr: Deps) -> TEv {
        TEv { kind, cell: Some(cell), val: Some(val), tags, atomic, addr, data: Deps::NONE, ctrl: Deps::NONE }
    }

    /// An await on a read of `cell`: one continuation (pushed on `stack`,
    /// at `pc + 1`) per value that satisfies `ok`, one await prefix per
    /// value that does not (for [`AwaitKind::Idle`], one complete path,
    /// see [`super::kworker`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn await_read(
        &mut self,
        st: &St,
        stack: &mut Vec<St>,
        pc: u32,
        cell: u32,
        at: Deps,
        tags: TagSet,
        kind: AwaitKind,
        ok: impl Fn(Val) -> bool,
        dst: Option<u16>,
        after: Option<Tag>,
    ) -> Result<(), GenError> {
        for &v in self.values(st, cell).iter().rev() {
            let mut s2 = st.clone();
            let e = self.push(&mut s2, pc, Self::ev(EventKind::Read, cell, v, tags, false, at))?;
            if is_freed(v) {
                self.freed_read(s2, pc, cell)?;
                continue;
            }
            if is_sym(v) || ok(v) {
                if let Some(d) = dst {
                    self.set(&mut s2, d, v, Deps::bit(e));
                }
                if let Some(t) = after {
                    self.fence(&mut s2, pc, t)?;
                }
                s2.pc = pc + 1;
                stack.push(s2);
            } else if kind == AwaitKind::Idle {
                self.finish_idle(&s2, Await { reads: vec![e as u16], pc, kind })?;
            } else if self.lim.blocked {
                let aw = Await { reads: vec![e as u16], pc, kind };
                // a preemptible task that waits forever is switched out
                // (see [`super::cpu_share`])
                if self.preemptible(&s2) {
                    self.cpu_switch(&mut s2, pc)?;
                }
                self.stop_prefix(&s2, None, Some(aw))?;
            }
        }
        Ok(())
    }

    /// schedule_timeout(timeout) (kernel/time/sleep_timeout.c): schedule()
    /// with a timer whose process_timeout() wakes the task.  An endless
    /// timeout (MAX_SCHEDULE_TIMEOUT) is schedule(), returning it.  Else
    /// the wait always ends: after the full barrier of `__schedule()`, an
    /// acquiring read of the task's state; read as TASK_RUNNING (woken),
    /// `dst` = the timeout (the time left, as in the explorer); any other
    /// value, or a timeout of 0 or less, and the timer fires: its
    /// try_to_wake_up() stores TASK_RUNNING (`W[once]`) and `dst` = 0.
    /// `Ok(false)`: the continuations are on `stack`.
    fn schedule_timeout(
        &mut self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: u16,
        timeout: kvet_ir::Opd,
    ) -> Result<bool, GenError> {
        let Some(task) = self.th.task else {
            return Err(self.err(pc, "not supported by the LKMM engine: schedule_timeout() outside a task".into()));
        };
        let to = self.val(st, timeout);
        self.fence(st, pc, Tag::MB)?;
        self.cpu_release(st, pc)?;
        let acq = TagSet::of(&[Tag::ACQUIRE]);
        if to == MAX_SCHEDULE_TIMEOUT {
            self.set(st, dst, to, Deps::NONE);
            self.await_read(st, stack, pc, task, Deps::NONE, acq, AwaitKind::Sleep, |v| v == 0, None, None)?;
            return Ok(false);
        }
        let vals = if to <= 0 { vec![] } else { self.values(st, task) };
        let mut timed_out = to <= 0;
        for &v in vals.iter().rev() {
            let mut s2 = st.clone();
            let e = self.push(&mut s2, pc, Self::ev(EventKind::Read, task, v, acq, false, Deps::NONE))?;
            if is_freed(v) {
                self.freed_read(s2, pc, task)?;
                continue;
            }
            if v == 0 || is_sym(v) {
                self.set(&mut s2, dst, to, Deps::bit(e));
                s2.pc = pc + 1;
                stack.push(s2);
            } else {
                timed_out = true;
            }
        }
        if timed_out {
            // (the read that saw the task asleep, if any, is left out: the
            // timer's wake-up does not depend on it)
            let mut s2 = st.clone();
            self.push(&mut s2, pc, Self::ev(EventKind::Write, task, 0, TagSet::of(&[Tag::ONCE]), false, Deps::NONE))?;
            self.set(&mut s2, dst, 0, Deps::NONE);
            s2.pc = pc + 1;
            stack.push(s2);
        }
        Ok(false)
    }

    /// Write [`POISON`] to every cell of the object holding `cell`
    /// (not its lock cells).
    fn poison(&self, st: &mut St, pc: u32, obj: usize) -> Result<(), GenError> {
        let o = &self.prog.objects[obj];
        for off in 0..o.size {
            if o.lock_cells.iter().any(|(k, _)| *k == off) {
                continue;
            }
            self.push(
                st,
                pc,
                Self::ev(
                    EventKind::Write,
                    o.base + off,
                    POISON,
                    TagSet::of(&[Tag::ONCE, Tag::FREE]),
                    false,
                    Deps::NONE,
                ),
            )?;
        }
        Ok(())
    }

    fn obj_index(&self, cell: u32) -> Option<usize> {
        self.prog.objects.iter().position(|o| cell >= o.base && cell < o.base + o.size)
    }

    /// do_exit(): the task's state becomes TASK_DEAD, then it drops its
    /// reference (a fully ordered `atomic_dec`); the last one frees the
    /// task after a grace period (`delayed_put_task_struct()`).
    fn task_exit(&mut self, st: &mut St, stack: &mut Vec<St>, pc: u32) -> Result<bool, GenError> {
        let Some(task) = self.th.task else {
            st.pc += 1;
            return Ok(true);
        };
        let once = TagSet::of(&[Tag::ONCE]);
        self.push(st, pc, Self::ev(EventKind::Write, task, TASK_DEAD, once, false, Deps::NONE))?;
        let usage = task + 1;
        let mb = TagSet::of(&[Tag::MB]);
        let olds = self.values(st, usage);
        for (k, &old) in olds.iter().enumerate().rev() {
            // (the last value takes the path itself, the others a copy)
            let mut s2 = if k == 0 { super::take(st) } else { st.clone() };
            let r = self.push(&mut s2, pc, Self::ev(EventKind::Read, usage, old, mb, true, Deps::NONE))?;
            if is_freed(old) {
                self.freed_read(s2, pc, usage)?;
                continue;
            }
            let new = if is_sym(old) { SYMX } else { old - 1 };
            let mut w = Self::ev(EventKind::Write, usage, new, mb, true, Deps::NONE);
            w.data = Deps::bit(r);
            let w = self.push(&mut s2, pc, w)?;
            s2.rmw.push((r as u16, w as u16));
            if new == 0 {
                // release_task() -> call_rcu(delayed_put_task_struct)
                self.fence(&mut s2, pc, Tag::SYNC_RCU)?;
                if let Some(o) = self.obj_index(task) {
                    self.poison(&mut s2, pc, o)?;
                }
            }
            s2.pc = pc + 1;
            stack.push(s2);
        }
        Ok(false)
    }

    /// try_to_wake_up(): `F[mb]`, the read of the task's state, and if it
    /// matches the mask the store of TASK_RUNNING under a control
    /// dependency; `dst` receives whether it woke the task.
    fn wake_up(
        &mut self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: Option<kvet_ir::Reg>,
        task: &kvet_ir::Opd,
        mask: &kvet_ir::Opd,
    ) -> Result<bool, GenError> {
        let Some(cell) = self.cell(st, *task) else {
            return Ok(false);
        };
        let at = self.taint(st, *task);
        let m = self.val(st, *mask);
        self.fence(st, pc, Tag::MB)?;
        let once = TagSet::of(&[Tag::ONCE]);
        for &v in self.values(st, cell).iter().rev() {
            let mut s2 = st.clone();
            let r = self.push(&mut s2, pc, Self::ev(EventKind::Read, cell, v, once, false, at))?;
            if is_freed(v) {
                self.freed_read(s2, pc, cell)?;
                continue;
            }
            s2.pc = pc + 1;
            let matches: &[bool] = if is_sym(v) || is_sym(m) {
                &[true, false]
            } else if v & m != 0 {
                &[true]
            } else {
                &[false]
            };
            for &woke in matches {
                let mut s3 = s2.clone();
                if woke {
                    let saved = s3.ctrl;
                    s3.ctrl |= Deps::bit(r);
                    self.push(&mut s3, pc, Self::ev(EventKind::Write, cell, 0, once, false, at))?;
                    s3.ctrl = saved;
                }
                if let Some(d) = dst {
                    self.set(&mut s3, d, woke as Val, Deps::bit(r));
                }
                stack.push(s3);
            }
        }
        Ok(false)
    }

    /// wait_for_completion(): an acquiring RMW that takes one of `done`,
    /// or an await on its read of 0.  With `timeout`
    /// (wait_for_completion_timeout(), kernel/sched/completion.c): the
    /// read of 0 ends the wait instead (its timer fired), the register
    /// gets 0 there and 1 when the completion was taken, as in the
    /// explorer.
    fn wait_completion(
        &mut self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        addr: &kvet_ir::Opd,
        timeout: Option<u16>,
    ) -> Result<bool, GenError> {
        let Some(cell) = self.cell(st, *addr) else {
            return Ok(false);
        };
        let at = self.taint(st, *addr);
        let acq = TagSet::of(&[Tag::ACQUIRE]);
        // on a CPU that tasks share: the wait that sleeps, off the CPU
        // (this one keeps it and must find the completion done, see
        // [`super::cpu_share`])
        if let Some(mut s2) = self.cpu_switch_copy(st, pc)? {
            self.wait_completion(&mut s2, stack, pc, addr, timeout)?;
        }
        let keeps_cpu = self.runlock.is_some() && !st.off_cpu;

        for &old in self.values(st, cell).iter().rev() {
            let mut s2 = st.clone();
            let r = self.push(&mut s2, pc, Self::ev(EventKind::Read, cell, old, acq, true, at))?;
            if is_freed(old) {
                self.freed_read(s2, pc, cell)?;
                continue;
            }
            if old == 0 {
                if keeps_cpu {
                    continue;
                }
                if let Some(d) = timeout {
                    // wait_for_completion_timeout(): the timer ends the
                    // wait, 0 back (the read takes nothing: no write)
                    s2.evs[r].atomic = false;
                    self.set(&mut s2, d, 0, Deps::bit(r));
                    s2.pc = pc + 1;
                    stack.push(s2);
                } else if self.lim.blocked {
                    let aw = Await { reads: vec![r as u16], pc, kind: AwaitKind::Completion };
                    // the await reads plainly: no RMW without its write
                    s2.evs[r].atomic = false;
                    self.stop_prefix(&s2, None, Some(aw))?;
                }
                continue;
            }
            let new = if is_sym(old) {
                SYMX
            } else if old >= 1 << 30 {
                old // complete_all(): UINT_MAX stays
            } else {
                old - 1
            };
            let mut w = Self::ev(EventKind::Write, cell, new, acq, true, at);
            w.data = Deps::bit(r);
            let w = self.push(&mut s2, pc, w)?;
            s2.rmw.push((r as u16, w as u16));
            if let Some(d) = timeout {
                self.set(&mut s2, d, 1, Deps::bit(r));
            }
            s2.pc = pc + 1;
            stack.push(s2);
        }
        Ok(false)
    }

    /// kfree(): the poison (none for a SLAB_TYPESAFE_BY_RCU object), then
    /// the slot's release; `Ok(false)` when the
    /// pointer is not an object's (the path ends).
    fn free(&mut self, st: &mut St, pc: u32, addr: &kvet_ir::Opd) -> Result<bool, GenError> {
        let v = self.val(st, *addr);
        if v != 0 {
            let Some(c) = ptr_cell(v).filter(|c| *c < self.prog.ncells) else {
                return Ok(false);
            };
            let Some(o) = self.obj_index(c) else {
                return Ok(false);
            };
            if self.prog.objects[o].kind == ObjKind::Static {
                return Err(self.err(pc, "not supported by the LKMM engine: kfree() of a static object".into()));
            }
            // (a SLAB_TYPESAFE_BY_RCU object keeps its contents: see
            // [`super::alloc`])
            if !self.typesafe_obj(o) {
                self.poison(st, pc, o)?;
            }
            self.release_slot(st, pc, o)?;
        }
        Ok(true)
    }

    /// kfree_rcu(p) as its thread's last action: no instruction that
    /// makes an event can follow it (and the CPU has no handlers, which
    /// could fire after it).  The grace period then starts at the call,
    /// and the free (poison, slot release) runs after it on this CPU: as
    /// the task's delayed put at exit, an `F{sync-rcu}` (linux-kernel.def's
    /// synchronize_rcu()) then the free, in this thread's po.  Anywhere
    /// else it is refused: the fence would order the caller's later
    /// events after the grace period, which kfree_rcu() does not wait for.
    fn free_rcu(&mut self, st: &mut St, pc: u32, addr: &kvet_ir::Opd) -> Result<bool, GenError> {
        if !self.th.handlers.is_empty() || !self.nothing_after(pc) {
            return Err(self.err(
                pc,
                "not supported by the LKMM engine: kfree_rcu() before further accesses of its thread, or on a CPU \
                 with handlers (only as the thread's last action is the grace period's place in program order \
                 exact)"
                    .into(),
            ));
        }
        if self.val(st, *addr) != 0 {
            self.fence(st, pc, Tag::SYNC_RCU)?;
            if !self.free(st, pc, addr)? {
                return Ok(false);
            }
        }
        st.pc += 1;
        Ok(true)
    }

    /// call_rcu(head, func) as its thread's last action (as
    /// [`Self::free_rcu`]; the CPU has no handlers but RCU callbacks): the
    /// grace period starts at the call, then the callback runs on this
    /// CPU in softirq context with `head` as its argument: an
    /// `F{sync-rcu}`, then the callback's body entered as a handler, in
    /// the thread's po.  Anywhere else refused, for the same reason.
    fn call_rcu(&mut self, st: &mut St, pc: u32, head: kvet_ir::Opd, func: u32) -> Result<bool, GenError> {
        let cb =
            self.th.handlers.iter().position(|h| h.kind == kvet_ir::HandlerKind::RcuCallback && h.ipi == Some(func));
        let (Some(h), true) = (cb, self.nothing_after(pc)) else {
            return Err(self.err(
                pc,
                "not supported by the LKMM engine: call_rcu() before further accesses of its thread (only as the \
                 thread's last action is the grace period's place in program order exact)"
                    .into(),
            ));
        };
        let (v, t) = (self.val(st, head), self.taint(st, head));
        self.fence(st, pc, Tag::SYNC_RCU)?;
        st.pc += 1;
        self.enter(st, h);
        if let Some(arg) = self.th.handlers[h].arg {
            self.set(st, arg, v, t);
        }
        Ok(true)
    }

    /// Does no instruction that makes an event follow `pc` on any path?
    fn nothing_after(&self, pc: u32) -> bool {
        let steps = &self.th.body.steps;
        let mut seen = vec![false; steps.len()];
        let mut todo = vec![pc as usize + 1];
        while let Some(i) = todo.pop() {
            let Some(step) = steps.get(i) else { continue };
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            match &step.instr {
                Instr::Jump(t) => todo.push(*t as usize),
                Instr::Branch(_, t, f) => todo.extend([*t as usize, *f as usize]),
                Instr::Exit | Instr::Bound(_) => {}
                Instr::Mov(..) | Instr::Un(..) | Instr::Bin(..) | Instr::Assert(..) | Instr::Check(..) => {
                    todo.push(i + 1)
                }
                Instr::InContext { .. } => todo.push(i + 1),
                _ => return false,
            }
        }
        true
    }

    /// A scope's local comes to life: entered again (a loop), it is
    /// zeroed again (plain stores).
    fn scope_enter(&mut self, st: &mut St, pc: u32, obj: u32) -> Result<(), GenError> {
        if st.entered.contains(&obj) {
            let o = &self.prog.objects[obj as usize];
            for off in 0..o.size {
                let c = o.base + off;
                self.push(st, pc, Self::ev(EventKind::Write, c, 0, TagSet::EMPTY, false, Deps::NONE))?;
            }
        } else {
            st.entered.push(obj);
        }
        Ok(())
    }

    /// read_seqbegin(): an await (READ_ONCE, then smp_rmb()) for an even
    /// count.
    fn seq_begin(
        &mut self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: kvet_ir::Reg,
        addr: kvet_ir::Opd,
    ) -> Result<bool, GenError> {
        let Some(cell) = self.cell(st, addr) else {
            return Ok(false);
        };
        let at = self.taint(st, addr);
        let once = TagSet::of(&[Tag::ONCE]);
        self.await_read(st, stack, pc, cell, at, once, AwaitKind::Seqcount, |v| v & 1 == 0, Some(dst), Some(Tag::RMB))?;
        Ok(false)
    }

    /// One instruction of the kernel execution model.  `Ok(true)`: the
    /// path goes on in `st`; `Ok(false)`: it ends here (its continuations,
    /// if any, are on `stack`).
    pub(super) fn kernel_instr(
        &mut self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        instr: &Instr,
    ) -> Result<bool, GenError> {
        match instr {
            Instr::IrqDisable => st.irq_off = true,
            Instr::BhDisable => st.bh += 1,
            Instr::IrqEnable => st.irq_off = false,
            Instr::BhEnable => st.bh = st.bh.saturating_sub(1),
            Instr::IrqReturn => return self.irq_return(st, pc),
            Instr::IrqSave { dst } => {
                let v = st.irq_off as Val;
                self.set(st, *dst, v, Deps::NONE);
                st.irq_off = true;
            }
            Instr::IrqRestore { src } => st.irq_off = self.val(st, *src) != 0,
            Instr::IrqsDisabled { dst } => {
                let v = st.irq_off as Val;
                self.set(st, *dst, v, Deps::NONE);
            }
            Instr::Schedule => {
                let Some(task) = self.th.task else {
                    return Err(self.err(pc, "not supported by the LKMM engine: schedule() outside a task".into()));
                };
                self.fence(st, pc, Tag::MB)?;
                self.cpu_release(st, pc)?;
                let tags = TagSet::of(&[Tag::ACQUIRE]);
                // an idle kworker's sleep in its pool loop is no hang
                let kind = if self.kworker_idles(pc) { AwaitKind::Idle } else { AwaitKind::Sleep };
                self.await_read(st, stack, pc, task, Deps::NONE, tags, kind, |v| v == 0, None, None)?;
                return Ok(false);
            }
            Instr::ScheduleTimeout { dst, timeout } => return self.schedule_timeout(st, stack, pc, *dst, *timeout),
            // cond_resched(): no ordering is promised (it reschedules only
            // when needed), and the task never sleeps in it; on a CPU that
            // tasks share, the switch is the other continuation
            Instr::Yield => {
                if let Some(mut s2) = self.cpu_switch_copy(st, pc)? {
                    s2.pc = pc + 1;
                    stack.push(s2);
                }
            }
            // without preemption a pool's kworkers never interleave: the
            // pool gate never waits
            Instr::PoolGate if !self.prog.preempt => {}
            Instr::PoolGate => {
                return Err(self.err(
                    pc,
                    "not supported by the LKMM engine: a worker pool's concurrency management with preemption on"
                        .into(),
                ));
            }
            Instr::WakeUp { dst, task, mask } => return self.wake_up(st, stack, pc, *dst, task, mask),
            Instr::TaskExit => return self.task_exit(st, stack, pc),
            Instr::SmpCall { .. } => {
                let st0 = st.clone();
                self.smp_call(&st0, stack, pc, instr)?;
                return Ok(false);
            }
            Instr::Free { addr } => {
                if !self.free(st, pc, addr)? {
                    return Ok(false);
                }
            }
            Instr::FreeRcu { addr } => return self.free_rcu(st, pc, addr),
            Instr::CallRcu { head, func } => return self.call_rcu(st, pc, *head, *func),
            Instr::Alloc { .. } | Instr::CacheAlloc { .. } if !super::alloc::MODELLED => {
                let name = unmodelled_name(instr);
                return Err(self.err(pc, format!("not supported by the LKMM engine: {name}")));
            }
            Instr::Alloc { dst, pool, zero } => {
                let st0 = st.clone();
                self.alloc(&st0, stack, pc, *dst, *pool as usize, *zero)?;
                return Ok(false);
            }
            Instr::CacheAlloc { dst, cache, zero } => {
                let Some(pool) = self.cache_pool(st, *cache) else {
                    return Ok(false);
                };
                let st0 = st.clone();
                self.alloc(&st0, stack, pc, *dst, pool, *zero)?;
                return Ok(false);
            }
            // preempt_disable()/preempt_enable() are barrier()
            // (include/linux/preempt.h); with preemption on, the count
            // keeps the CPU's other tasks out (see [`super::cpu_share`])
            Instr::PreemptDisable => {
                st.preempt += 1;
                self.fence(st, pc, Tag::BARRIER)?;
            }
            Instr::PreemptEnable => {
                st.preempt = st.preempt.saturating_sub(1);
                self.fence(st, pc, Tag::BARRIER)?;
            }
            Instr::PreemptCount { dst } => {
                let v = st.preempt as Val;
                self.set(st, *dst, v, Deps::NONE);
            }
            Instr::InContext { dst, query } => {
                let v = self.in_context(st, *query);
                self.set(st, *dst, v, Deps::NONE);
            }
            Instr::TaskStart => {
                let st0 = st.clone();
                self.task_start(&st0, stack, pc)?;
                return Ok(false);
            }
            Instr::KthreadCreate { dst, thread: _, data, task, data_cell } => {
                return self.kthread_create(st, stack, pc, *dst, *data, *task, *data_cell);
            }
            Instr::ScopeEnter { obj } => self.scope_enter(st, pc, *obj)?,
            Instr::ScopeExit { obj } => self.poison(st, pc, *obj as usize)?,
            Instr::SeqBegin { dst, addr } => return self.seq_begin(st, stack, pc, *dst, *addr),
            Instr::WaitCompletion { addr } => return self.wait_completion(st, stack, pc, addr, None),
            Instr::WaitCompletionTimeout { dst, addr } => {
                return self.wait_completion(st, stack, pc, addr, Some(*dst));
            }
            other => {
                let name = unmodelled_name(other);
                return Err(self.err(pc, format!("not supported by the LKMM engine: {name}")));
            }
        }
        st.pc += 1;
        Ok(true)
    }
}

pub(super) fn fence(tag: Tag) -> TEv {
    TEv {
        kind: EventKind::Fence,
        cell: None,
        val: None,
        tags: TagSet::of(&[tag]),
        atomic: false,
        addr: Deps::NONE,
        data: Deps::NONE,
        ctrl: Deps::NONE,
    }
}

/// The name an instruction the generator does not model is refused with
/// (the instructions [`Walker::exec`] and [`Walker::kernel_instr`] handle
/// are named for completeness: the match stays exhaustive).
fn unmodelled_name(i: &Instr) -> &'static str {
    match i {
        Instr::Mov(..) => "Mov",
        Instr::Un(..) => "Un",
        Instr::Bin(..) => "Bin",
        Instr::Jump(_) => "Jump",
        Instr::Branch(..) => "Branch",
        Instr::Assert(..) => "Assert",
        Instr::Fence(_) => "Fence",
        Instr::Check(..) => "Check",
        Instr::Bound(_) => "Bound",
        Instr::Exit => "Exit",
        Instr::IrqReturn => "IrqReturn",
        Instr::Load { .. } => "Load",
        Instr::Store { .. } => "Store",
        Instr::Rmw { .. } => "Rmw",
        Instr::Lock { .. } => "Lock",
        Instr::Unlock { .. } => "Unlock",
        Instr::Trylock { .. } => "Trylock",
        Instr::IsLocked { .. } => "IsLocked",
        Instr::RcuLock => "RcuLock",
        Instr::RcuUnlock => "RcuUnlock",
        Instr::SyncRcu => "SyncRcu",
        Instr::SrcuLock { .. } => "SrcuLock",
        Instr::SrcuUnlock { .. } => "SrcuUnlock",
        Instr::SyncSrcu { .. } => "SyncSrcu",
        Instr::IrqDisable => "IrqDisable",
        Instr::IrqEnable => "IrqEnable",
        Instr::IrqSave { .. } => "IrqSave",
        Instr::IrqRestore { .. } => "IrqRestore",
        Instr::IrqsDisabled { .. } => "IrqsDisabled",
        Instr::BhDisable => "BhDisable",
        Instr::BhEnable => "BhEnable",
        Instr::SmpCall { .. } => "SmpCall",
        Instr::Schedule => "Schedule",
        Instr::WakeUp { .. } => "WakeUp",
        Instr::TaskExit => "TaskExit",
        Instr::Alloc { .. } => "Alloc",
        Instr::CacheAlloc { .. } => "CacheAlloc",
        Instr::Free { .. } => "Free",
        Instr::FreeRcu { .. } => "FreeRcu",
        Instr::CallRcu { .. } => "CallRcu",
        Instr::RcuBarrier => "RcuBarrier",
        Instr::ScopeEnter { .. } => "ScopeEnter",
        Instr::ScopeExit { .. } => "ScopeExit",
        Instr::SeqBegin { .. } => "SeqBegin",
        Instr::WaitCompletion { .. } => "WaitCompletion",
        Instr::Yield => "Yield",
        Instr::PoolGate => "PoolGate",
        Instr::TaskStart => "TaskStart",
        Instr::KthreadCreate { .. } => "KthreadCreate",
        Instr::PreemptDisable => "PreemptDisable",
        Instr::PreemptEnable => "PreemptEnable",
        Instr::PreemptCount { .. } => "PreemptCount",
        Instr::InContext { query, .. } => query.name(),
        Instr::ScheduleTimeout { .. } => "ScheduleTimeout",
        Instr::WaitCompletionTimeout { .. } => "WaitCompletionTimeout",
    }
}
