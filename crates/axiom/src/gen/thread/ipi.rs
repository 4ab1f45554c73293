//! IPIs under the LKMM: `smp_call_function*()` posting a call to other
//! CPUs, which run it as a hardirq, and the sender's wait for them.
//!
//! Source: kernel/smp.c.  A call is a `call_single_data` (csd) whose
//! `u_flags` carry `CSD_FLAG_LOCK` while it is in use:
//! `smp_call_function_many_cond()` takes each target's csd with
//! `csd_lock()` (`csd_lock_wait()`, an `smp_cond_load_acquire()` until the
//! flag is clear, then the flag set and `smp_wmb()`), fills in `func` and
//! `info`, and queues it with `llist_add()` (a fully ordered `cmpxchg`);
//! with `wait` it then spins in `csd_lock_wait()` on each target.  The
//! target's `__flush_smp_call_function_queue()` takes the queue with
//! `llist_del_all()` (a fully ordered `xchg`), reads `func`/`info`, and
//! releases the csd with `csd_unlock()` (`smp_store_release()` of the
//! flag): after `func(info)` for a synchronous call, before it for an
//! asynchronous one.
//!
//! kvet's events, on two hidden cells per (sender, target) pair appended
//! after the program's own ([`with_ipi_cells`]: `csd[P1->P0]` holds the
//! flag, `csd[P1->P0].info` the argument):
//! * sender, per target in CPU order: `R{acquire}` of the flag, an await
//!   until it reads 0 (a previous asynchronous call still pending); the
//!   `W{once}` of `info`; `F{mb}`; the `W{once}` of the flag with the
//!   pending call ([`pending`]: the function and whether the sender
//!   waits).  After the last, `F{mb}` (the `llist_add()`s' ordering); with
//!   `wait`, per target an await on `R{acquire}` of its flag until it
//!   reads 0 (`csd_lock_wait()`): waiting forever is a deadlock
//!   ([`super::AwaitKind::Ipi`]), as in the SC explorer.
//! * target: the IPI function runs as a hardirq at a point of its CPU's
//!   program order where it has interrupts enabled (see
//!   [`super::handlers`]), once per pending call it reads: `F{mb}`, the
//!   `R{once}` of the flag reading that call, `F{mb}` (the `xchg`'s
//!   ordering), the `R{once}` of `info` (the function's argument); then `W{release}`
//!   of 0 to the flag, after the function's events for a synchronous call,
//!   before them for an asynchronous one.  A read of the pending value
//!   can be paired with one write only: the target's own clearing write
//!   comes after it in coherence.
//! * A CPU with interrupts enabled answers every call: a path that ends,
//!   or stops waiting, with interrupts on carries a co-last `R{once}` of 0
//!   from each sender's flag (an [`super::AwaitKind::Idle`] await, or the
//!   stopped await's own reads): no call is left pending for it.  With
//!   interrupts off it answers nothing, which is seed 001's deadlock.
//!
//! Refused (located "not checked"): a call that includes the sender's own
//! CPU (`on_each_cpu()`, which runs `func` locally with interrupts off)
//! and a target mask the path does not know.

use super::{is_sym, Await, AwaitKind, Deps, GenError, St, TEv, Walker};
use crate::exec::{EventKind, Tag, TagSet};
use kvet_ir::{HandlerKind, Instr, Program, Val};

/// A prefix that may stop to wait: its state (with the reads appended)
/// and its await.
type WaitStop<'s> = Option<(std::borrow::Cow<'s, St>, Option<Await>)>;

/// The name of the hidden csd objects.
const CSD_OBJ: &str = "__kvet_csd";

/// One (sender, target) pair's hidden cells.
#[derive(Clone, Copy, Debug)]
pub(super) struct Csd {
    sender: u32,
    target: u32,
    flag: u32,
    info: u32,
}

/// The pending value of a flag: the IPI function's index and whether the
/// sender waits (never 0, the free flag).
fn pending(func: u32, wait: bool) -> Val {
    (func as Val + 1) * 2 + wait as Val
}

/// The threads that send IPIs, and those that have IPI functions (the
/// CPUs of the processes).
fn pairs(prog: &Program) -> Vec<(u32, u32)> {
    let senders = prog.threads.iter().filter(|t| t.body.steps.iter().any(|s| matches!(s.instr, Instr::SmpCall { .. })));
    let targets: Vec<u32> = prog
        .threads
        .iter()
        .filter(|t| t.handlers.iter().any(|h| h.kind == HandlerKind::Ipi))
        .map(|t| t.index)
        .collect();
    senders.flat_map(|s| targets.iter().filter(|t| **t != s.index).map(|t| (s.index, *t))).collect()
}

/// `prog` with two hidden cells per (sender, target) pair appended after
/// its own (see the module's doc), or `None` when nothing sends an IPI.
pub(crate) fn with_ipi_cells(prog: &Program) -> Option<Program> {
    let pairs = pairs(prog);
    if pairs.is_empty() {
        return None;
    }
    let mut p = prog.clone();
    for (s, t) in pairs {
        let name = format!("csd[P{s}->P{t}]");
        p.push_hidden(CSD_OBJ, vec![name.clone(), format!("{name}.info")], Vec::new());
    }
    Some(p)
}

/// One thread's view of the IPIs: the hidden csd cells of the program,
/// and how often each of its handlers may run as an IPI function.
#[derive(Debug, Default)]
pub(super) struct Table {
    csds: Vec<Csd>,
    bounds: Vec<u32>,
}

/// The IPI table of thread `th` of `prog` (see [`with_ipi_cells`]).
pub(super) fn table(prog: &Program, th: &kvet_ir::Thread, unroll: u32) -> Table {
    let hidden = prog.objects.iter().filter(|o| o.name == CSD_OBJ).map(|o| o.base);
    let csds = pairs(prog)
        .into_iter()
        .zip(hidden)
        .map(|((sender, target), flag)| Csd { sender, target, flag, info: flag + 1 })
        .collect();
    let bounds = th
        .handlers
        .iter()
        .map(|h| if h.kind == HandlerKind::Ipi { bound(prog, th.index, h.ipi.unwrap_or(0), unroll) } else { 0 })
        .collect();
    Table { csds, bounds }
}

/// How often IPI function `func` may run on `target` in one path: every
/// `smp_call_function*()` site of another thread naming it, each as often
/// as the unrolling bound lets a step run in one loop.
fn bound(prog: &Program, target: u32, func: u32, unroll: u32) -> u32 {
    let sites = prog
        .threads
        .iter()
        .filter(|t| t.index != target)
        .flat_map(|t| t.body.steps.iter())
        .filter(|s| matches!(s.instr, Instr::SmpCall { func: f, .. } if f == func))
        .count() as u32;
    sites.saturating_mul(unroll + 1)
}

fn ev(kind: EventKind, cell: u32, val: Val, tag: Tag, data: Deps) -> TEv {
    TEv {
        kind,
        cell: Some(cell),
        val: Some(val),
        tags: TagSet::of(&[tag]),
        atomic: false,
        addr: Deps::NONE,
        data,
        ctrl: Deps::NONE,
    }
}

/// The sender's progress through one `smp_call_function*()`.
#[derive(Clone, Copy)]
enum Stage {
    /// csd_lock() of the `k`-th target.
    Lock(usize),
    /// csd_lock_wait() of the `k`-th target.
    Wait(usize),
}

impl Walker<'_> {
    /// `smp_call_function*()` at `pc` (see the module's doc): every way it
    /// may go is pushed on `stack`, continuing at `pc + 1`.
    pub(super) fn smp_call(&mut self, st: &St, stack: &mut Vec<St>, pc: u32, instr: &Instr) -> Result<(), GenError> {
        let Instr::SmpCall { mask, func, info, wait, include_self } = *instr else {
            return Ok(());
        };
        let me = self.th.index;
        let m = self.val(st, mask);
        let why = if include_self && !is_sym(m) && me < 64 && (m as u64) >> me & 1 == 1 {
            "a call that runs on the sender's CPU too"
        } else if is_sym(m) {
            "an unknown target mask"
        } else if wait && self.ipi.csds.iter().any(|c| c.target == me) {
            "a CPU waiting for IPI answers while other CPUs may send it IPIs"
        } else {
            ""
        };
        if !why.is_empty() {
            return Err(self.err(pc, format!("not supported by the LKMM engine: IPIs: {why}")));
        }
        let targets: Vec<Csd> = self
            .ipi
            .csds
            .iter()
            .filter(|c| c.sender == me && c.target < 64 && (m as u64) >> c.target & 1 == 1)
            .copied()
            .collect();
        let (iv, it) = (self.val(st, info), self.taint(st, info));
        let mut work = vec![(st.clone(), Stage::Lock(0))];
        while let Some((mut s, stage)) = work.pop() {
            match stage {
                Stage::Lock(k) if k == targets.len() => {
                    if !targets.is_empty() {
                        self.fence(&mut s, pc, Tag::MB)?;
                    }
                    work.push((s, Stage::Wait(0)));
                }
                Stage::Lock(k) => {
                    let c = targets[k];
                    for mut s2 in self.csd_wait(&s, pc, c.flag)? {
                        self.push(&mut s2, pc, ev(EventKind::Write, c.info, iv, Tag::ONCE, it))?;
                        self.fence(&mut s2, pc, Tag::MB)?;
                        self.push(
                            &mut s2,
                            pc,
                            ev(EventKind::Write, c.flag, pending(func, wait), Tag::ONCE, Deps::NONE),
                        )?;
                        work.push((s2, Stage::Lock(k + 1)));
                    }
                }
                Stage::Wait(k) if !wait || k == targets.len() => {
                    s.pc = pc + 1;
                    stack.push(s);
                }
                Stage::Wait(k) => {
                    for s2 in self.csd_wait(&s, pc, targets[k].flag)? {
                        work.push((s2, Stage::Wait(k + 1)));
                    }
                }
            }
        }
        Ok(())
    }

    /// csd_lock_wait(): `R{acquire}` of `flag`; the paths reading it free
    /// are returned, the others stop waiting (an [`AwaitKind::Ipi`]).
    fn csd_wait(&self, st: &St, pc: u32, flag: u32) -> Result<Vec<St>, GenError> {
        let mut out = Vec::new();
        for v in self.values(st, flag) {
            let mut s2 = st.clone();
            let e = self.push(&mut s2, pc, ev(EventKind::Read, flag, v, Tag::ACQUIRE, Deps::NONE))?;
            if v == 0 || is_sym(v) {
                out.push(s2);
            } else if self.lim.blocked {
                let aw = Await { reads: vec![e as u16], pc, kind: AwaitKind::Ipi };
                self.stop_prefix(&s2, None, Some(aw))?;
            }
        }
        Ok(out)
    }

    /// May IPI function `h` start in `st`: interrupts on, not inside a
    /// hardirq, and fewer runs than calls can reach this CPU?
    pub(super) fn ipi_may_fire(&self, st: &St, h: usize) -> bool {
        let hd = &self.th.handlers[h];
        hd.kind == HandlerKind::Ipi
            && !st.irq_off
            && !st.ctx.iter().any(|f| self.th.handlers[f.h].kind != HandlerKind::Softirq)
            && st.fired.get(h).copied().unwrap_or(0) < self.ipi.bounds.get(h).copied().unwrap_or(0)
    }

    /// Fork one path per pending call of IPI function `h` this CPU may
    /// read from a sender's flag: the function runs from there.
    pub(super) fn fire_ipis(&self, st: &St, h: usize, stack: &mut Vec<St>) -> Result<(), GenError> {
        let hd = &self.th.handlers[h];
        let func = hd.ipi.unwrap_or(0);
        let csds: Vec<Csd> = self.ipi.csds.iter().filter(|c| c.target == self.th.index).copied().collect();
        // (its entry events belong to its first step, for the trace)
        let pc = hd.entry;
        for c in csds {
            for v in self.values(st, c.flag) {
                if v != pending(func, false) && v != pending(func, true) {
                    continue;
                }
                let mut s2 = st.clone();
                self.enter(&mut s2, h);
                self.fence(&mut s2, pc, Tag::MB)?;
                self.push(&mut s2, pc, ev(EventKind::Read, c.flag, v, Tag::ONCE, Deps::NONE))?;
                self.fence(&mut s2, pc, Tag::MB)?;
                for iv in self.values(&s2, c.info) {
                    let mut s3 = s2.clone();
                    let e = self.push(&mut s3, pc, ev(EventKind::Read, c.info, iv, Tag::ONCE, Deps::NONE))?;
                    if let Some(r) = hd.arg {
                        self.set(&mut s3, r, iv, Deps::bit(e));
                    }
                    if v == pending(func, true) {
                        self.set_csd(&mut s3, c.flag);
                    } else {
                        self.push(&mut s3, pc, ev(EventKind::Write, c.flag, 0, Tag::RELEASE, Deps::NONE))?;
                    }
                    stack.push(s3);
                }
            }
        }
        Ok(())
    }

    /// csd_unlock() of a synchronous call at the IPI function's return.
    pub(super) fn csd_unlock(&self, st: &mut St, pc: u32, flag: u32) -> Result<(), GenError> {
        self.push(st, pc, ev(EventKind::Write, flag, 0, Tag::RELEASE, Deps::NONE)).map(|_| ())
    }

    /// A path ending, or stopping to wait, on a CPU with interrupts on:
    /// the co-last reads of 0 from each sender's flag that say no call is
    /// left for it (see the module's doc).  `Ok(None)`: no such reads are
    /// needed; `Ok(Some(None))`: the path cannot end here (a flag is never
    /// free for it).
    #[allow(clippy::type_complexity)]
    pub(super) fn ipi_idle(&self, st: &mut St) -> Result<Option<Option<Vec<u16>>>, GenError> {
        let me = self.th.index;
        if st.irq_off
            || st.ctx.iter().any(|f| self.th.handlers[f.h].kind != HandlerKind::Softirq)
            || !self.ipi.csds.iter().any(|c| c.target == me)
        {
            return Ok(None);
        }
        // (the step it ends or waits at, for the trace)
        let pc = if (st.pc as usize) < self.th.body.steps.len() { st.pc } else { st.pcs.last().copied().unwrap_or(0) };
        let mut reads = Vec::new();
        for c in self.ipi.csds.iter().filter(|c| c.target == me) {
            if !self.values(st, c.flag).contains(&0) {
                return Ok(Some(None));
            }
            reads.push(self.push(st, pc, ev(EventKind::Read, c.flag, 0, Tag::ONCE, Deps::NONE))? as u16);
        }
        Ok(Some(Some(reads)))
    }
}

impl Walker<'_> {
    /// A complete path's end: `None` if it cannot end here (a call would
    /// stay pending for ever), else the [`AwaitKind::Idle`] await of its
    /// co-last flag reads, if it needs one.
    pub(super) fn ipi_answered(&self, st: &mut St) -> Result<Option<Option<Await>>, GenError> {
        // (and no timer left for the timer softirq: see [`super::timer`])
        let Some(gate) = self.gate_end(st, st.evs.len()) else { return Ok(None) };
        let mut reads: Vec<u16> = gate.into_iter().collect();
        match self.ipi_idle(st)? {
            None => {}
            Some(None) => return Ok(None),
            Some(Some(r)) => reads.extend(r),
        }
        if reads.is_empty() {
            return Ok(Some(None));
        }
        let pc = st.pcs.last().copied().unwrap_or(0);
        Ok(Some(Some(Await { reads, pc, kind: AwaitKind::Idle })))
    }

    /// A prefix stopping to wait (at a lock, `awaits` `None`, or at an
    /// await) with interrupts on: the state with the flag reads appended
    /// and the await carrying them; `None` if it cannot wait here.
    pub(super) fn ipi_wait_stop<'s>(&self, st: &'s St, awaits: Option<Await>) -> Result<WaitStop<'s>, GenError> {
        // (and no timer left for the timer softirq: see [`super::timer`])
        let upto = awaits.as_ref().and_then(|a| a.reads.first()).map_or(st.evs.len(), |r| *r as usize);
        let Some(gate) = self.gate_end(st, upto) else { return Ok(None) };
        let mut reads: Vec<u16> = gate.into_iter().collect();
        let mut st = std::borrow::Cow::Borrowed(st);
        if self.ipi.csds.iter().any(|c| c.target == self.th.index) {
            let mut s2 = st.clone().into_owned();
            match self.ipi_idle(&mut s2)? {
                None => {}
                Some(None) => return Ok(None),
                Some(Some(r)) => {
                    reads.extend(r);
                    st = std::borrow::Cow::Owned(s2);
                }
            }
        }
        if reads.is_empty() {
            return Ok(Some((st, awaits)));
        }
        let aw = match awaits {
            Some(mut a) => {
                a.reads.extend(reads);
                a
            }
            None => Await { reads, pc: st.pc, kind: AwaitKind::Idle },
        };
        Ok(Some((st, Some(aw))))
    }
}

/// The threads of one stuck execution (`chosen`, one trace per thread)
/// that another one waits for in csd_lock_wait() and that wait forever
/// themselves: as in the SC explorer, the two are one deadlock (the
/// sender's), not also a hang of the target.
pub(crate) fn waited_for(prog: &Program, chosen: &[&super::Trace]) -> Vec<usize> {
    let flags = flag_targets(prog);
    let stuck = |t: &super::Trace| t.blocked.is_some() || t.awaits.as_ref().is_some_and(|a| a.kind != AwaitKind::Idle);
    let mut out = Vec::new();
    for tr in chosen {
        let Some(aw) = tr.awaits.as_ref().filter(|a| a.kind == AwaitKind::Ipi) else { continue };
        for &r in &aw.reads {
            let cell = tr.evs.get(r as usize).and_then(|e| e.cell);
            if let Some(&(_, u)) = flags.iter().find(|(f, _)| Some(*f) == cell) {
                if chosen.get(u as usize).is_some_and(|t| stuck(t)) && !out.contains(&(u as usize)) {
                    out.push(u as usize);
                }
            }
        }
    }
    out
}

/// The CPUs whose flags `flag` cells are, per flag cell: (flag, target).
fn flag_targets(prog: &Program) -> Vec<(u32, u32)> {
    prog.objects
        .iter()
        .filter(|o| o.name == CSD_OBJ)
        .map(|o| o.base)
        .zip(pairs(prog))
        .map(|(flag, (_, target))| (flag, target))
        .collect()
}

/// How a lock holder waiting in csd_lock_wait() is described: "which
/// waits forever for CPU0 to answer its IPI".
pub(crate) fn ipi_wait_words(prog: &Program, tr: &super::Trace) -> String {
    let flags = flag_targets(prog);
    let target = tr.awaits.as_ref().and_then(|a| {
        let cell = a.reads.first().and_then(|r| tr.evs.get(*r as usize)).and_then(|e| e.cell);
        flags.iter().find(|(f, _)| Some(*f) == cell).map(|(_, t)| *t)
    });
    match target {
        Some(t) => format!("which waits forever for CPU{t} to answer its IPI"),
        None => "which waits forever for an IPI's answer".to_string(),
    }
}
