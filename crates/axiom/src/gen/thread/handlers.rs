//! Interrupt and softirq handlers under the LKMM: a handler's events are
//! in the interrupted CPU's program order at the point where it fires.
//!
//! Sources: the SC explorer's firing rules (crates/explore/src/kernel/
//! irq.rs, `can_fire`/`fire`/`irq_return`; docs/language.md §8.1),
//! kernel/softirq.c (a softirq runs with bottom halves disabled, never
//! while they are off or inside another handler), kernel/irq/handle.c (a
//! hardirq runs with interrupts off), and Dartagnan's interrupt
//! extension of the LKMM (`lkmm-interrupts.cat`, hernanponcedeleon/Dat3M
//! pull request #878), whose basic choice kvet follows: a handler's
//! events are inserted in the program order of the thread it interrupts,
//! so the LKMM orders them with that CPU's events exactly as it orders
//! the CPU's own accesses (po, and the fences and locks around them).
//!
//! What the path enumeration does (check mode only):
//! * At each step boundary of the interrupted context where the handler
//!   may fire (interrupts on; for a softirq also bottom halves on and not
//!   already in a softirq; not inside a hardirq), and it has fired fewer
//!   times than declared, a path is forked that runs the handler to its
//!   `IrqReturn` and then goes on where it was interrupted.  Firing at two
//!   boundaries with no event between them, where the same handlers may
//!   fire, gives the same events, so one fork per such gap and set of
//!   handlers is enough.
//! * The handler runs with its own registers (zero at each start: its
//!   return puts the register file back as it was, as the explorer
//!   clears a handler's registers at its return), interrupts off (hardirq) or
//!   bottom halves off (softirq), and no control dependency from the
//!   interrupted code (fewer dependencies: more executions, never fewer).
//! * As in the explorer, a handler may fire at most its declared number
//!   of times: a path ending with a handler still able to fire is a final
//!   state (for outcomes and the checks of complete executions), but a
//!   thread does not wait forever while a handler may still fire on its
//!   CPU or on another: a prefix stopped at a lock or an await with a
//!   handler still able to fire is not kept, and such a complete path
//!   ([`super::Trace::unfired`]) is no partner of the deadlock pass (the
//!   variants with the handler fired, at the end or earlier, are).
//! * A handler that takes a lock its CPU holds spins forever: the
//!   blocked prefix's holder is the same thread, a 1-cycle of the
//!   deadlock search ("CPU0 waits in spin_lock(l), which CPU0 itself
//!   holds").
//!
//! IPI functions fire the same way, once per pending call they read (see
//! [`super::ipi`]).
//!
//! Refused (located "not checked"): RCU callbacks, the
//! timer softirq (a gated softirq), and handlers of a CPU that further
//! tasks share (a handler there stops whichever task runs, which one
//! thread's program order cannot say).

use super::{Deps, GenError, St, Walker};
use kvet_ir::{HandlerKind, Program, Thread, Val};

/// A running handler: what its return restores.
#[derive(Clone, Debug)]
pub(super) struct Frame {
    /// The interrupted step.
    ret: u32,
    /// Index into the thread's handlers.
    pub(super) h: usize,
    regs: Vec<Val>,
    taint: Vec<Deps>,
    irq_off: bool,
    scopes: Vec<(u32, Deps)>,
    ctrl: Deps,
    loops: Vec<(u32, u32)>,
    heads: Vec<(u32, usize, std::rc::Rc<[Val]>)>,
    /// An IPI function of a synchronous call: the csd flag its return
    /// releases (see [`super::ipi`]).
    csd: Option<u32>,
    /// The events before the handler started.
    evs_at: usize,
}

/// Why the handlers of `th` cannot be modelled, if they cannot.
pub(super) fn refusal(prog: &Program, th: &Thread, kernel: bool) -> Option<(usize, &'static str)> {
    for (i, h) in th.handlers.iter().enumerate() {
        let why = match h.kind {
            _ if !kernel => "in a litmus test (herd7 has no interrupts)",
            _ if th.handlers.len() > 64 => "more than 64 handlers on one CPU",
            // (started by their call_rcu() itself, see [`super::kernel`])
            HandlerKind::RcuCallback if th.handlers.iter().all(|h| h.kind == HandlerKind::RcuCallback) => continue,
            HandlerKind::RcuCallback => "RCU callbacks beside other handlers on one CPU are not modelled yet",
            _ if prog.threads.iter().any(|u| u.index != th.index && u.cpu == th.index) => {
                "its CPU runs further tasks (a handler there may interrupt any of them)"
            }
            _ => continue,
        };
        return Some((i, why));
    }
    None
}

impl Walker<'_> {
    /// May handler `h` start in `st`?
    fn can_fire(&self, st: &St, h: usize) -> bool {
        let hd = &self.th.handlers[h];
        if st.irq_off || st.fired.get(h).copied().unwrap_or(0) >= hd.times {
            return false;
        }
        if st.ctx.iter().any(|f| self.th.handlers[f.h].kind == HandlerKind::Hardirq) {
            return false;
        }
        match hd.kind {
            HandlerKind::Hardirq => true,
            HandlerKind::Softirq => st.bh == 0 && !self.gate_blocks(st, h),
            HandlerKind::Ipi | HandlerKind::RcuCallback => false,
        }
    }

    /// May some handler still fire in `st`?  Then a path may not end (or
    /// wait forever) here: the handler fires first.
    pub(super) fn must_fire(&self, st: &St) -> bool {
        // (the timer softirq's gate is looked at by the path's end: see
        // [`super::timer`])
        (0..self.th.handlers.len()).any(|h| self.th.handlers[h].gate.is_none() && self.can_fire(st, h))
    }

    /// At a step boundary: fork one path per handler that may fire here,
    /// unless this gap between events was offered already.
    pub(super) fn offer_handlers(&self, st: &mut St, stack: &mut Vec<St>) {
        if self.th.handlers.is_empty() {
            return;
        }
        // (the handlers that may fire are part of the mark: one that
        // becomes able to fire later in the same gap is offered there)
        let may: u64 = (0..self.th.handlers.len().min(64))
            .filter(|&h| self.can_fire(st, h) || self.ipi_may_fire(st, h))
            .fold(0, |m, h| m | 1 << h);
        if may == 0 {
            return;
        }
        let mark = (st.evs.len(), st.fired.iter().sum::<u32>(), may);
        if st.offered == Some(mark) {
            return;
        }
        for h in 0..self.th.handlers.len().min(64) {
            if may >> h & 1 == 0 {
                continue;
            }
            if self.th.handlers[h].kind == HandlerKind::Ipi {
                if let Err(e) = self.fire_ipis(st, h, stack) {
                    self.deferred.borrow_mut().get_or_insert(e);
                }
                continue;
            }
            let mut s2 = st.clone();
            self.enter(&mut s2, h);
            stack.push(s2);
        }
        st.offered = Some(mark);
    }

    /// Start handler `h` in `st`.
    pub(super) fn enter(&self, st: &mut St, h: usize) {
        let hd = &self.th.handlers[h];
        // (the handler's own registers are zero here: the return below
        // puts back the values they had before, zero, as the explorer
        // clears them; the interrupted context's it does not touch)
        st.ctx.push(Frame {
            ret: st.pc,
            h,
            regs: st.regs.clone(),
            taint: st.taint.clone(),
            irq_off: st.irq_off,
            scopes: std::mem::take(&mut st.scopes),
            ctrl: std::mem::replace(&mut st.ctrl, Deps::NONE),
            loops: std::mem::take(&mut st.loops),
            heads: std::mem::take(&mut st.heads),
            csd: None,
            evs_at: st.evs.len(),
        });
        if st.fired.len() < self.th.handlers.len() {
            st.fired.resize(self.th.handlers.len(), 0);
        }
        st.fired[h] += 1;
        match hd.kind {
            // (an RCU callback runs in the RCU softirq)
            HandlerKind::Softirq | HandlerKind::RcuCallback => st.bh += 1,
            _ => st.irq_off = true,
        }
        st.pc = hd.entry;
    }

    /// The running handler returns: the interrupted context goes on
    /// (`Ok(false)`: the path ends here, see [`super::timer`]).
    pub(super) fn irq_return(&mut self, st: &mut St, pc: u32) -> Result<bool, GenError> {
        let Some(f) = st.ctx.pop() else {
            return Err(self.err(pc, "not supported by the LKMM engine: a handler's return outside a handler".into()));
        };
        if matches!(self.th.handlers[f.h].kind, HandlerKind::Softirq | HandlerKind::RcuCallback) {
            st.bh = st.bh.saturating_sub(1);
        }
        if let Some(flag) = f.csd {
            self.csd_unlock(st, pc, flag)?;
        }
        st.pc = f.ret;
        st.regs = f.regs;
        st.taint = f.taint;
        st.irq_off = f.irq_off;
        st.scopes = f.scopes;
        st.ctrl = f.ctrl;
        st.loops = f.loops;
        st.heads = f.heads;
        self.gate_return(st, f.h, f.evs_at, f.ret)
    }

    /// The running IPI function answers a synchronous call: its return
    /// releases `flag`.
    pub(super) fn set_csd(&self, st: &mut St, flag: u32) {
        if let Some(f) = st.ctx.last_mut() {
            f.csd = Some(flag);
        }
    }
}
