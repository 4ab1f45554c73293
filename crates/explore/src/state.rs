//! The explorer's state vector: one flat `[i64]` per global state, with a
//! fixed layout computed once per program, so that states are copied with
//! `copy_from_slice`, hashed in one pass and stored in flat arenas.
//!
//! Layout: memory cells first, then one block per thread holding its pc,
//! then only what that thread's code can use: RCU reader state
//! (`rcu_nest`, `rcu_gen`) if it calls rcu_read_lock(), grace-period wait
//! state (`gp_wait`, a snapshot of readers) if it calls
//! synchronize_rcu()/synchronize_srcu(), and its register slots (the
//! register allocation of `crate::liveness`: registers never live at
//! once share a slot). SRCU reader
//! state lives in the srcu_struct's own cells. Small states hash and copy
//! fast, which is most of the explorer's speed.

use kvet_ir::{HandlerKind, Instr, LockKind, Program};

pub(crate) const NONE: usize = usize::MAX;

// The CPU block of the kernel execution model (only when the program uses
// interrupts, IPIs or interrupt flags): the running handler contexts, the
// interrupt and bottom-half state, the IPI slot, read-held locks, and how
// often each declared handler has fired.
pub(crate) const HARD: usize = 0;
pub(crate) const SOFT: usize = 1;
pub(crate) const HARD_PC: usize = 2;
pub(crate) const SOFT_PC: usize = 3;
pub(crate) const IRQ_OFF: usize = 4;
pub(crate) const BH: usize = 5;
pub(crate) const IPI_PEND: usize = 6;
pub(crate) const IPI_INFO: usize = 7;
pub(crate) const IPI_FROM: usize = 8;
pub(crate) const IPI_WAIT: usize = 9;
pub(crate) const RHELD: usize = 10;
pub(crate) const FIRED: usize = 11;

/// How many RCU-deferred frees may be pending at once.
pub(crate) const RCU_SLOTS: usize = 6;

#[derive(Clone, Debug)]
pub struct Layout {
    pub ncells: usize,
    pub nthreads: usize,
    /// Index of each thread's pc.
    pub thread_base: Vec<usize>,
    /// Index of `rcu_nest` (`rcu_gen` follows), or NONE.
    pub rcu: Vec<usize>,
    /// Index of `gp_wait` (the snapshot follows), or NONE.
    pub gp: Vec<usize>,
    /// Snapshot length per thread.
    pub nsnap: Vec<usize>,
    /// Start of each thread's register slots.
    pub reg_base: Vec<usize>,
    /// Per thread: its register allocation (`crate::liveness`), which
    /// gives registers slots after `reg_base`.
    pub regs: Vec<crate::liveness::RegAlloc>,
    /// Per thread, per register: the index of its slot in the state
    /// vector (`usize::MAX` for a register nothing mentions).
    reg_ix: Vec<Box<[usize]>>,
    /// Start of each CPU's kernel-model block, or NONE.
    pub cpu: Vec<usize>,
    /// Start of lockdep's state (usage per lock class, then the
    /// dependency matrix), or NONE.
    pub lockdep: usize,
    /// Start of the pending RCU work, in queue order (kept compact):
    /// RCU_SLOTS slots of [tag, payload, reader snapshot per thread
    /// (-1 = not waited for)], or NONE. A deferred free has tag = status
    /// cell + 1 and payload = the freed-status marker; a call_rcu()
    /// callback has tag = -(1 + func * 64 + cpu) and payload = its
    /// `rcu_head` pointer, and is ready once every snapshot entry is -1.
    /// An empty slot has tag 0. NONE when no work can wait: no
    /// call_rcu(), and no RCU reader that a deferred free would wait for.
    pub rcu_cb: usize,
    /// The scheduler (crate::sched): per thread, the thread whose CPU it
    /// runs on; the index of that CPU's `curr` cell (one more than the
    /// running task, 0 when the CPU is free), or NONE when the CPU has one task;
    /// and where the task's read-held lock set is, or NONE.
    pub host: Vec<usize>,
    pub curr: Vec<usize>,
    pub rheld: Vec<usize>,
    /// Per thread, its preempt count, or NONE when its code never
    /// changes it.
    pub pcount: Vec<usize>,
    /// The number of CPUs with interrupt handlers: the `P<n>`.
    pub ncpus: usize,
    pub len: usize,
    /// The runs `[start, end)` of words that may differ between two
    /// reachable states, in order (`constant_words`; all of `0..len` when
    /// none is constant): the symmetric fingerprint, which copies the
    /// state anyway, hashes only these.
    pub(crate) hashed: Vec<(usize, usize)>,
}

impl Layout {
    pub fn new(p: &Program) -> Layout {
        let ncells = p.ncells as usize;
        let n = p.threads.len();
        let host: Vec<usize> = p.threads.iter().map(|t| t.cpu as usize).collect();
        let ncpus = p.threads.iter().filter(|t| t.origin == kvet_ir::TaskOrigin::Proc).count();
        let mut l = Layout {
            ncells,
            nthreads: n,
            thread_base: vec![],
            rcu: vec![],
            gp: vec![],
            nsnap: vec![],
            reg_base: vec![],
            regs: vec![],
            reg_ix: vec![],
            cpu: vec![],
            lockdep: NONE,
            rcu_cb: NONE,
            host,
            curr: vec![NONE; n],
            rheld: vec![NONE; n],
            pcount: vec![NONE; n],
            ncpus,
            len: 0,
            hashed: Vec::new(),
        };
        let mut off = ncells;
        let kernel = uses_kernel_model(p);
        for t in &p.threads {
            let has = |f: &dyn Fn(&Instr) -> bool| t.body.steps.iter().any(|s| f(&s.instr));
            l.thread_base.push(off);
            off += 1;
            if has(&|i| matches!(i, Instr::RcuLock | Instr::RcuUnlock)) {
                l.rcu.push(off);
                off += 2;
            } else {
                l.rcu.push(NONE);
            }
            let snap = if has(&|i| matches!(i, Instr::SyncSrcu { .. })) {
                2 * n
            } else if has(&|i| matches!(i, Instr::SyncRcu)) {
                n
            } else {
                0
            };
            if snap > 0 {
                l.gp.push(off);
                off += 1 + snap;
            } else {
                l.gp.push(NONE);
            }
            l.nsnap.push(snap);
            let h = t.cpu as usize;
            if kernel && h != l.cpu.len() && h < l.cpu.len() {
                // a task pinned to another task's CPU shares its CPU
                // block, with a read-held lock set of its own
                l.cpu.push(l.cpu[h]);
                l.rheld[l.cpu.len() - 1] = off;
                off += 1;
            } else if kernel {
                l.rheld[l.cpu.len()] = off + RHELD;
                l.cpu.push(off);
                off += FIRED
                    + t.handlers
                        .iter()
                        .filter(|h| !matches!(h.kind, HandlerKind::Ipi | HandlerKind::RcuCallback))
                        .count();
            } else {
                l.cpu.push(NONE);
            }
            let alloc = crate::liveness::allocate(t, p);
            l.reg_base.push(off);
            l.reg_ix
                .push(alloc.slot.iter().map(|&k| if k == u32::MAX { usize::MAX } else { off + k as usize }).collect());
            off += alloc.nslots;
            l.regs.push(alloc);
        }
        let classes = lock_classes(p);
        let nlocks = classes.len();
        if nlocks > 0 && (kernel || p.quant.is_none()) {
            l.lockdep = off;
            // usage words, then the dependency matrices (one per kind)
            off += nlocks + (nlocks * nlocks).div_ceil(64) * crate::kernel::dep_kinds(&classes);
        }
        // RCU work waits in the queue only behind a reader (a free with no
        // reader running completes at once) or as a call_rcu() callback:
        // without both, the slots would stay empty in every state
        let any = |f: &dyn Fn(&Instr) -> bool| p.threads.iter().any(|t| t.body.steps.iter().any(|s| f(&s.instr)));
        let readers = l.rcu.iter().any(|&r| r != NONE);
        if (readers && any(&|i| matches!(i, Instr::FreeRcu { .. } | Instr::TaskExit)))
            || any(&|i| matches!(i, Instr::CallRcu { .. }))
        {
            l.rcu_cb = off;
            off += RCU_SLOTS * (2 + n);
        }
        for (t, th) in p.threads.iter().enumerate() {
            if th
                .body
                .steps
                .iter()
                .any(|s| matches!(s.instr, Instr::PreemptDisable | Instr::PreemptEnable | Instr::PreemptCount { .. }))
            {
                l.pcount[t] = off;
                off += 1;
            }
        }
        // one `curr` cell per CPU that several tasks share
        for h in 0..n {
            if (0..n).any(|t| t != h && l.host[t] == h) {
                for t in (0..n).filter(|&t| l.host[t] == h) {
                    l.curr[t] = off;
                }
                off += 1;
            }
        }
        l.len = off;
        l.hashed = runs(&l.constant_words(p));
        l
    }

    /// The words that hold 0 in every reachable state, because no step of
    /// this program writes them: the CPU-block words of kinds of handler,
    /// interrupt or lock the program has none of (kernel/irq.rs writes
    /// HARD and HARD_PC only when a hardirq or IPI handler fires, SOFT and
    /// SOFT_PC only for a softirq or RCU callback, BH also for
    /// local_bh_disable(); kernel/ipi.rs the IPI words only for
    /// smp_call_function*(); kernel/locks.rs the read-held sets only for
    /// read locks). At N = 3, 32 of seed 002's 44 CPU words.
    fn constant_words(&self, p: &Program) -> Vec<bool> {
        let mut fixed = vec![false; self.len];
        let handler = |f: &dyn Fn(HandlerKind) -> bool| p.threads.iter().any(|t| t.handlers.iter().any(|h| f(h.kind)));
        let instr = |f: &dyn Fn(&Instr) -> bool| p.threads.iter().any(|t| t.body.steps.iter().any(|s| f(&s.instr)));
        let hard = handler(&|k| matches!(k, HandlerKind::Hardirq | HandlerKind::Ipi));
        let soft = handler(&|k| matches!(k, HandlerKind::Softirq | HandlerKind::RcuCallback));
        let ipi = instr(&|i| matches!(i, Instr::SmpCall { .. }));
        let bh = soft || instr(&|i| matches!(i, Instr::BhDisable | Instr::BhEnable));
        let read = |k: &LockKind| matches!(k, LockKind::Read | LockKind::SemRead);
        let rlock = instr(&|i| match i {
            Instr::Lock { kind, .. } | Instr::Unlock { kind, .. } | Instr::Trylock { kind, .. } => read(kind),
            _ => false,
        });
        let mut zero = [false; FIRED];
        zero[HARD] = !hard;
        zero[HARD_PC] = !hard;
        zero[SOFT] = !soft;
        zero[SOFT_PC] = !soft;
        zero[BH] = !bh;
        for w in [IPI_PEND, IPI_INFO, IPI_FROM, IPI_WAIT] {
            zero[w] = !ipi;
        }
        zero[RHELD] = !rlock;
        for (t, &c) in self.cpu.iter().enumerate() {
            if c == NONE {
                continue;
            }
            for (w, &z) in zero.iter().enumerate() {
                fixed[c + w] |= z;
            }
            if !rlock && self.rheld[t] != NONE {
                fixed[self.rheld[t]] = true;
            }
        }
        fixed
    }

    /// Does thread `t` run on a CPU of its own (or is it that CPU's
    /// `P<n>`, which hosts the handlers)?
    #[inline]
    pub fn is_host(&self, t: usize) -> bool {
        self.host[t] == t
    }

    /// The index of thread `t`'s register `r` in the state vector.
    #[inline]
    pub fn reg(&self, t: usize, r: kvet_ir::Reg) -> usize {
        self.reg_ix[t][r as usize]
    }

    /// The number of register slots of thread `t` (they start at
    /// `reg_base[t]`).
    #[inline]
    pub fn nslots(&self, t: usize) -> usize {
        self.regs[t].nslots
    }

    #[inline]
    pub fn rcu_nest(&self, s: &[i64], t: usize) -> i64 {
        let i = self.rcu[t];
        if i == NONE {
            0
        } else {
            s[i]
        }
    }

    #[inline]
    pub fn rcu_gen(&self, s: &[i64], t: usize) -> i64 {
        let i = self.rcu[t];
        if i == NONE {
            0
        } else {
            s[i + 1]
        }
    }

    /// The initial state vector, before any local code has run.
    pub fn initial(&self, p: &Program) -> Vec<i64> {
        let mut s = vec![0i64; self.len];
        s[..self.ncells].copy_from_slice(&p.init_mem);
        for (t, th) in p.threads.iter().enumerate() {
            for &(r, v) in &th.init_regs {
                s[self.reg(t, r)] = v;
            }
        }
        s
    }
}

/// The runs `[start, end)` of the words not marked `fixed`.
pub(crate) fn runs(fixed: &[bool]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &f) in fixed.iter().enumerate() {
        if f {
            continue;
        }
        match out.last_mut() {
            Some(r) if r.1 == i => r.1 = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

/// Does the program need CPU blocks: handlers, IPIs, interrupt flags,
/// bottom halves or the lock kinds whose rules depend on the context?
pub(crate) fn uses_kernel_model(p: &Program) -> bool {
    p.threads.iter().any(|t| {
        !t.handlers.is_empty()
            || t.body.steps.iter().any(|s| {
                matches!(
                    s.instr,
                    Instr::IrqDisable
                        | Instr::IrqEnable
                        | Instr::IrqSave { .. }
                        | Instr::IrqRestore { .. }
                        | Instr::IrqsDisabled { .. }
                        | Instr::BhDisable
                        | Instr::BhEnable
                        | Instr::SmpCall { .. }
                        | Instr::Lock { kind: LockKind::Read | LockKind::SemRead, .. }
                )
            })
    })
}

/// The lock classes lockdep tracks: the lock cells of named objects
/// (at most 64).
pub(crate) fn lock_classes(p: &Program) -> Vec<(u32, kvet_ir::LockTy)> {
    let mut v = Vec::new();
    for o in &p.objects {
        for &(c, k) in &o.lock_cells {
            v.push((o.base + c, k));
        }
    }
    v.truncate(64);
    v
}
