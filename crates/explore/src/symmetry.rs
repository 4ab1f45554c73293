//! Symmetry reduction over interchangeable CPUs (Emerson and Sistla,
//! "Symmetry and model checking", FMSD 1996; Ip and Dill, "Better
//! verification through symmetry", FMSD 1996).
//!
//! When every thread is a `P<n>` on its own CPU running the same code
//! with the same handlers (instruction for instruction: code that uses
//! its CPU number, per-CPU data or a task_struct differs, and is not
//! taken as symmetric), any permutation of the CPUs maps a reachable
//! state to a reachable state with the same findings up to the CPU names.
//! The visited set then stores the fingerprint of a canonical member of
//! each state's orbit: the per-thread blocks of the state vector sorted,
//! and the thread numbers that memory holds (a lock word's holder and
//! queued writer) renamed to match. The search keeps expanding the
//! actual states it reached, so every schedule it records, and every
//! printed trace, is a real one; the canonical form is only hashed.
//!
//! Only programs whose state names threads nowhere else qualify: no
//! task_structs, heap objects, locals with an address, RCU, IPIs,
//! preempt counts or shared CPUs, no observed registers, and every lock
//! instruction on a static lock cell.

use crate::state::{Layout, NONE};
use crate::visited::fingerprint;
use kvet_ir::{HandlerKind, Instr, LockKind, ObjKind, Observed, Opd, Program, TaskOrigin};

pub(crate) struct Symmetry {
    n: usize,
    /// First word of thread 0's block and the length of one block.
    start: usize,
    block: usize,
    /// Cells holding lock words (holder and queued writer are thread
    /// numbers + 1).
    locks: Vec<usize>,
    buf: Vec<i64>,
    order: Vec<usize>,
    rank: Vec<i64>,
}

impl Symmetry {
    /// The symmetry of the program's CPUs, if they are interchangeable in
    /// the sense above.
    pub(crate) fn new(p: &Program, l: &Layout) -> Option<Symmetry> {
        let n = p.threads.len();
        if n < 2 {
            return None;
        }
        let t0 = &p.threads[0];
        let same = p.threads.iter().all(|t| {
            t.origin == TaskOrigin::Proc
                && t.nregs == t0.nregs
                && t.init_regs == t0.init_regs
                && t.task.is_none()
                && t.body.steps.len() == t0.body.steps.len()
                && t.body.steps.iter().zip(&t0.body.steps).all(|(a, b)| a.instr == b.instr)
                && t.handlers.len() == t0.handlers.len()
                && t.handlers.iter().zip(&t0.handlers).all(|(a, b)| {
                    a.kind == b.kind && a.entry == b.entry && a.times == b.times && a.arg == b.arg && a.gate.is_none()
                })
                && t.handlers.iter().all(|h| matches!(h.kind, HandlerKind::Hardirq | HandlerKind::Softirq))
        });
        if !same {
            return None;
        }
        if (0..n)
            .any(|t| l.host[t] != t || l.curr[t] != NONE || l.pcount[t] != NONE || l.rcu[t] != NONE || l.gp[t] != NONE)
            || l.rcu_cb != NONE
        {
            return None;
        }
        if p.objects.iter().any(|o| !matches!(o.kind, ObjKind::Static)) {
            return None;
        }
        if p.observed.iter().any(|o| matches!(o, Observed::Reg { .. })) {
            return None;
        }
        let locks: Vec<usize> = crate::state::lock_classes(p).iter().map(|&(c, _)| c as usize).collect();
        let lock_ok = |a: &Opd, kind: Option<LockKind>| {
            matches!(kind, Some(LockKind::Bit(_)))
                || matches!(a, Opd::Imm(v) if kvet_ir::ptr_cell(*v).is_some_and(|c| locks.contains(&(c as usize))))
        };
        for st in &t0.body.steps {
            let ok = match &st.instr {
                Instr::Lock { addr, kind } | Instr::Unlock { addr, kind } | Instr::Trylock { addr, kind, .. } => {
                    lock_ok(addr, Some(*kind))
                }
                Instr::IsLocked { addr, .. } => lock_ok(addr, None),
                Instr::SmpCall { .. }
                | Instr::WakeUp { .. }
                | Instr::Schedule
                | Instr::ScheduleTimeout { .. }
                | Instr::TaskExit
                | Instr::TaskStart
                | Instr::KthreadCreate { .. }
                | Instr::Alloc { .. }
                | Instr::CacheAlloc { .. }
                | Instr::Free { .. }
                | Instr::FreeRcu { .. }
                | Instr::CallRcu { .. }
                | Instr::RcuBarrier
                | Instr::SrcuLock { .. }
                | Instr::SrcuUnlock { .. }
                | Instr::SyncSrcu { .. } => false,
                _ => true,
            };
            if !ok {
                return None;
            }
        }
        // the blocks: contiguous, of one length, in thread order
        let start = l.thread_base[0];
        let block = l.reg_base[0] + l.nslots(0) - start;
        if (0..n)
            .any(|t| l.thread_base[t] != start + t * block || l.reg_base[t] + l.nslots(t) != start + (t + 1) * block)
        {
            return None;
        }
        Some(Symmetry { n, start, block, locks, buf: vec![0; l.len], order: (0..n).collect(), rank: vec![0; n] })
    }

    /// The fingerprint of the canonical member of `s`'s orbit.
    pub(crate) fn fingerprint(&mut self, s: &[i64]) -> u128 {
        let (start, block) = (self.start, self.block);
        let blk = |t: usize| &s[start + t * block..start + (t + 1) * block];
        self.order.sort_by(|&a, &b| blk(a).cmp(blk(b)).then(a.cmp(&b)));
        self.buf.copy_from_slice(s);
        for (k, &t) in self.order.iter().enumerate() {
            self.rank[t] = k as i64;
            self.buf[start + k * block..start + (k + 1) * block].copy_from_slice(blk(t));
        }
        let n = self.n as i64;
        let rename = |x: i64| if (1..=n).contains(&x) { self.rank[(x - 1) as usize] + 1 } else { x };
        for &c in &self.locks {
            let v = s[c];
            let holder = rename(v & 0xff);
            let waiter = rename((v >> 32) & 0xff);
            self.buf[c] = (v & !0xff & !(0xff << 32)) | holder | (waiter << 32);
        }
        let fp = fingerprint(&self.buf);
        // keep the order sorted by thread for the next call's stable start
        self.order.sort_unstable();
        fp
    }
}
