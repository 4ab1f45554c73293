//! The kernel execution model on top of the SC machine: CPU contexts
//! (task, softirq, hardirq) with interrupt flags, interrupt handlers and
//! IPIs, the lock family (spinlocks, queued rwlocks, mutexes, rwsems, bit
//! spinlocks), sleeping and wake-up, object lifetimes, data races and
//! lockdep's irq-state and lock-order checks.
//!
//! Sources: kernel/locking/qrwlock.c (a waiting writer blocks new
//! task-context readers; interrupt-context readers only wait for an active
//! writer), kernel/smp.c (csd_lock_wait: the sender spins until every
//! target ran the function; a CPU with interrupts off never does),
//! kernel/sched/core.c (try_to_wake_up: a wake-up whose state mask does not
//! match the task's state changes nothing), kernel/locking/lockdep.c
//! (mark_held_locks on hardirq enable; usage-bit conflicts; the dependency
//! graph and check_noncircular).

use crate::machine::{Detail, Machine, Status, Tracer, Wait};
use crate::state::*;
use crate::{Violation, ViolationKind};
use kvet_ir::*;

/// Lock word layout: exclusive holder (cpu + 1) in bits 0..8, its
/// context in bits 8..10, reader count from bit 16, waiting writer
/// (cpu + 1) from bit 32.
const HOLDER: i64 = 0xff;
const CTX_SHIFT: u32 = 8;
const READER: i64 = 1 << 16;
const READERS: i64 = 0xffff << 16;
const WAITER_SHIFT: u32 = 32;
const WAITER: i64 = 0xff << WAITER_SHIFT;

use crate::lockdep::{self, HARDIRQ_ON, IN_HARDIRQ, IN_SOFTIRQ, SOFTIRQ_ON};

/// MAX_SCHEDULE_TIMEOUT (include/linux/sched.h): LONG_MAX.
const MAX_SCHEDULE_TIMEOUT: i64 = i64::MAX;

/// `flags` value of local_irq_save() with interrupts on (X86_EFLAGS_IF).
const IF_FLAG: i64 = 0x200;

/// Which context runs on a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    Task = 0,
    Soft = 1,
    Hard = 2,
}

impl Machine<'_> {
    /// The state index of the pc of the context running on CPU `t`.
    #[inline]
    pub(crate) fn pcx(&self, s: &[i64], t: usize) -> usize {
        let c = self.layout.cpu[t];
        if c == NONE || !self.layout.is_host(t) {
            return self.layout.thread_base[t];
        }
        if s[c + HARD] != 0 {
            c + HARD_PC
        } else if s[c + SOFT] != 0 {
            c + SOFT_PC
        } else {
            self.layout.thread_base[t]
        }
    }

    /// The pcs of CPU `t`'s contexts: its task, and the softirq and
    /// hardirq handlers running (u32::MAX where none).
    pub(crate) fn context_pcs(&self, s: &[i64], t: usize) -> [u32; 3] {
        let task = s[self.layout.thread_base[t]] as u32;
        let c = self.layout.cpu[t];
        if c == NONE || !self.layout.is_host(t) {
            return [task, u32::MAX, u32::MAX];
        }
        let soft = if s[c + SOFT] != 0 { s[c + SOFT_PC] as u32 } else { u32::MAX };
        let hard = if s[c + HARD] != 0 { s[c + HARD_PC] as u32 } else { u32::MAX };
        [task, soft, hard]
    }

    pub(crate) fn ctx(&self, s: &[i64], t: usize) -> Ctx {
        let c = self.layout.cpu[t];
        if c == NONE || !self.layout.is_host(t) {
            Ctx::Task
        } else if s[c + HARD] != 0 {
            Ctx::Hard
        } else if s[c + SOFT] != 0 {
            Ctx::Soft
        } else {
            Ctx::Task
        }
    }

    pub(crate) fn irqs_off(&self, s: &[i64], t: usize) -> bool {
        let c = self.layout.cpu[t];
        c != NONE && s[c + IRQ_OFF] != 0
    }

    fn bh_off(&self, s: &[i64], t: usize) -> bool {
        let c = self.layout.cpu[t];
        c != NONE && s[c + BH] != 0
    }

    // ------------------------------------------------------------------
    // locks
    // ------------------------------------------------------------------

    /// The CPU holding the lock word at `cell` exclusively.
    pub fn holder(&self, s: &[i64], cell: u32) -> Option<usize> {
        let v = s[cell as usize] & HOLDER;
        (v > 0).then(|| (v - 1) as usize)
    }

    pub(crate) fn can_acquire(&self, s: &[i64], t: usize, c: u32, kind: LockKind) -> bool {
        let v = s[c as usize];
        let free = v & HOLDER == 0;
        let waiter = (v & WAITER) >> WAITER_SHIFT;
        match kind {
            LockKind::Spin | LockKind::Mutex => v == 0,
            LockKind::Write | LockKind::SemWrite => free && v & READERS == 0 && (waiter == 0 || waiter == t as i64 + 1),
            // queued rwlock (queued_read_lock_slowpath): a reader passes a
            // waiting writer exactly when in_interrupt(): in a hardirq or a
            // softirq, or with bottom halves disabled in task context
            LockKind::Read => free && (waiter == 0 || self.ctx(s, t) != Ctx::Task || self.bh_off(s, t)),
            LockKind::SemRead => free && waiter == 0,
            LockKind::Bit(nr) => v & (1 << nr) == 0,
        }
    }

    /// Status of a Lock instruction: a writer that finds readers first
    /// queues (one step), then waits.
    pub(crate) fn lock_status(&self, s: &[i64], t: usize, c: u32, kind: LockKind) -> Status {
        if self.can_acquire(s, t, c, kind) {
            return Status::Enabled;
        }
        let v = s[c as usize];
        if matches!(kind, LockKind::Write | LockKind::SemWrite) && v & HOLDER == 0 && v & WAITER == 0 {
            return Status::Enabled; // the queueing step
        }
        Status::Blocked(Wait::Lock(c, kind))
    }

    pub(crate) fn acquire<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        c: usize,
        kind: LockKind,
        tr: &mut T,
    ) -> bool {
        if !self.can_acquire(s, t, c as u32, kind) {
            // a writer queues behind the readers
            s[c] |= (t as i64 + 1) << WAITER_SHIFT;
            return false;
        }
        let ctx = self.ctx(s, t) as i64;
        match kind {
            LockKind::Spin | LockKind::Mutex => s[c] = (t as i64 + 1) | ctx << CTX_SHIFT,
            LockKind::Write | LockKind::SemWrite => {
                s[c] = (s[c] & !(HOLDER | WAITER | 3 << CTX_SHIFT)) | (t as i64 + 1) | ctx << CTX_SHIFT
            }
            LockKind::Read | LockKind::SemRead => {
                s[c] += READER;
                if let Some(k) = self.class(c) {
                    let rh = self.layout.rheld[t];
                    if rh != NONE {
                        s[rh] |= 1 << k;
                    }
                }
            }
            LockKind::Bit(nr) => s[c] |= 1 << nr,
        }
        self.lockdep_acquire(s, t, pc, c, kind, tr);
        true
    }

    pub(crate) fn release<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, c: usize, kind: LockKind, tr: &mut T) {
        let v = s[c];
        let name = self.prog.cell_name(c as u32);
        let verb = match kind {
            LockKind::Spin => "spin_unlock",
            LockKind::Read => "read_unlock",
            LockKind::Write => "write_unlock",
            LockKind::Mutex => "mutex_unlock",
            LockKind::SemRead => "up_read",
            LockKind::SemWrite => "up_write",
            LockKind::Bit(_) => "bit_spin_unlock",
        };
        let misuse = |msg: String, tr: &mut T| tr.warn(self.violation(ViolationKind::LockMisuse, t, pc, msg));
        match kind {
            LockKind::Spin | LockKind::Mutex | LockKind::Write | LockKind::SemWrite => {
                let h = v & HOLDER;
                if h != t as i64 + 1 {
                    let msg = if h == 0 {
                        format!("{verb} of {name}, which is not held (unbalanced or double unlock)")
                    } else {
                        format!("{} releases {name}, which is held by {}", self.who(t), self.who((h - 1) as usize))
                    };
                    misuse(msg, tr);
                }
                // the kernel's unlock stores "unlocked" regardless
                s[c] = v & !(HOLDER | 3 << CTX_SHIFT);
                if matches!(kind, LockKind::Spin | LockKind::Mutex) {
                    s[c] = 0;
                }
            }
            LockKind::Read | LockKind::SemRead => {
                if v & READERS == 0 {
                    misuse(format!("{verb} of {name}, which no reader holds"), tr);
                } else {
                    s[c] -= READER;
                }
                if let Some(k) = self.class(c) {
                    let rh = self.layout.rheld[t];
                    if rh != NONE {
                        s[rh] &= !(1 << k);
                    }
                }
            }
            LockKind::Bit(nr) => {
                if v & (1 << nr) == 0 {
                    misuse(format!("{verb} of bit {nr} of {name}, which is not set"), tr);
                }
                s[c] &= !(1 << nr);
            }
        }
    }

    fn class(&self, c: usize) -> Option<usize> {
        let k = *self.lock_class.get(c)?;
        (k != u16::MAX).then_some(k as usize)
    }

    /// Lock classes held by CPU `t` in context `ctx` (exclusively or,
    /// in task context, for reading), as a bit set.
    fn held(&self, s: &[i64], t: usize, ctx: Ctx) -> u64 {
        let mut set = 0u64;
        for (k, &(c, _)) in self.lock_list.iter().enumerate() {
            let v = s[c as usize];
            if v & HOLDER == t as i64 + 1 && (v >> CTX_SHIFT) & 3 == ctx as i64 {
                set |= 1 << k;
            }
        }
        let rh = self.layout.rheld[t];
        if ctx == Ctx::Task && rh != NONE {
            set |= s[rh] as u64;
        }
        set
    }

    fn lockdep_acquire<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, c: usize, kind: LockKind, tr: &mut T) {
        let Some(k) = self.class(c) else { return };
        let lb = self.layout.lockdep;
        if lb == NONE {
            return;
        }
        let ctx = self.ctx(s, t);
        // rwsem readers sleep and are never taken in interrupts: their
        // read usage cannot conflict
        if kind != LockKind::SemRead {
            let mut u = 0;
            match ctx {
                Ctx::Hard => u |= IN_HARDIRQ,
                Ctx::Soft => u |= IN_SOFTIRQ,
                Ctx::Task => {}
            }
            if ctx != Ctx::Hard && !self.irqs_off(s, t) {
                u |= HARDIRQ_ON;
                if ctx == Ctx::Task && !self.bh_off(s, t) {
                    u |= SOFTIRQ_ON;
                }
            }
            if kind == LockKind::Read {
                u = lockdep::read_form(u);
            }
            self.lockdep_usage(s, t, pc, k, u, tr);
        }
        // the dependency graph: every lock held in this context -> k
        let held = self.held(s, t, ctx) & !(1 << k);
        let n = self.lock_list.len();
        for j in 0..n {
            if held & (1 << j) == 0 {
                continue;
            }
            if let Some(path) = self.chain(s, k, j) {
                let (a, b) = (self.class_name(j), self.class_name(k));
                let chain: Vec<String> = path.iter().map(|&c| self.class_name(c)).collect();
                let chain = chain.join(" -> ");
                let msg = format!(
                    "possible circular locking dependency: {} takes {b} while holding {a}, but {chain} was taken in that order before",
                    self.who(t)
                );
                tr.warn(self.violation(ViolationKind::LockOrder, t, pc, msg));
            }
            let bit = j * n + k;
            s[lb + n + bit / 64] |= 1 << (bit % 64);
        }
    }

    /// A shortest path of recorded lock-order edges `from -> ... -> to`
    /// (the lock classes, both ends included), if there is one.
    fn chain(&self, s: &[i64], from: usize, to: usize) -> Option<Vec<usize>> {
        let n = self.lock_list.len();
        let lb = self.layout.lockdep + n;
        let edge = |a: usize, b: usize| {
            let bit = a * n + b;
            s[lb + bit / 64] & (1 << (bit % 64)) != 0
        };
        // breadth-first, so the chain printed is a shortest one
        let mut prev = vec![usize::MAX; n];
        let mut seen = 1u64 << from;
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(a) = queue.pop_front() {
            if a == to {
                let mut path = vec![to];
                let mut c = to;
                while c != from {
                    c = prev[c];
                    path.push(c);
                }
                path.reverse();
                return Some(path);
            }
            for (b, pb) in prev.iter_mut().enumerate() {
                if seen & (1 << b) == 0 && edge(a, b) {
                    seen |= 1 << b;
                    *pb = a;
                    queue.push_back(b);
                }
            }
        }
        None
    }

    fn class_name(&self, k: usize) -> String {
        self.prog.cell_name(self.lock_list[k].0)
    }

    fn lockdep_usage<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, k: usize, add: i64, tr: &mut T) {
        let lb = self.layout.lockdep;
        let old = s[lb + k];
        let u = old | add;
        s[lb + k] = u;
        if u == old {
            return;
        }
        if let Some(pair) = lockdep::conflict(u, u & !old) {
            // the "held with interrupts on" side is new: this CPU holds it
            // so now; else its handler takes it now and the holder was
            // earlier
            let host = self.layout.host[t];
            let holder =
                if (u & !old) & pair.1 != 0 { lockdep::Holder::Now(host) } else { lockdep::Holder::Earlier(host) };
            let msg = lockdep::message(pair, &self.class_name(k), holder);
            tr.warn(self.violation(ViolationKind::Lockdep, t, pc, msg));
        }
    }

    /// Interrupts were just enabled on CPU `t`: every lock it holds is
    /// now held with interrupts on (lockdep's mark_held_locks).
    fn irqs_enabled<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) {
        if self.layout.lockdep == NONE {
            return;
        }
        let ctx = self.ctx(s, t);
        if ctx == Ctx::Hard {
            return;
        }
        // held exclusively: HARDIRQ-ON-W; read-held rwlocks: HARDIRQ-ON-R
        let held = self.held(s, t, ctx);
        let cb = self.layout.cpu[t];
        let reads = if ctx == Ctx::Task && cb != NONE { s[cb + RHELD] as u64 } else { 0 };
        for k in 0..self.lock_list.len() {
            if held & (1 << k) == 0 {
                continue;
            }
            match self.lock_list[k].1 {
                LockTy::Rw if reads & (1 << k) != 0 => {
                    self.lockdep_usage(s, t, pc, k, lockdep::read_form(HARDIRQ_ON), tr)
                }
                LockTy::Rwsem if reads & (1 << k) != 0 => {}
                _ => self.lockdep_usage(s, t, pc, k, HARDIRQ_ON, tr),
            }
        }
    }

    // ------------------------------------------------------------------
    // statuses and steps of the kernel-model instructions
    // ------------------------------------------------------------------

    pub(crate) fn kernel_status(&self, s: &[i64], t: usize, i: &Instr) -> Status {
        match *i {
            Instr::SmpCall { .. } => {
                let cb = self.layout.cpu[t];
                let wait = s[cb + IPI_WAIT];
                if wait != 0 {
                    let left = self.ipi_unanswered(s, t, wait as u64);
                    return if left == 0 { Status::Enabled } else { Status::Blocked(Wait::Ipi(left)) };
                }
                let busy = self.ipi_targets(s, t, i) & self.ipi_busy(s);
                if busy == 0 {
                    Status::Enabled
                } else {
                    Status::Blocked(Wait::Ipi(busy))
                }
            }
            Instr::Schedule => match self.prog.threads[t].task {
                Some(task) if s[task as usize] != 0 => Status::Blocked(Wait::Sleep),
                _ => Status::Enabled,
            },
            // the timer may fire at any point: only an endless timeout sleeps
            Instr::ScheduleTimeout { timeout, .. } => match self.prog.threads[t].task {
                Some(task) if s[task as usize] != 0 && self.val(s, t, timeout) == MAX_SCHEDULE_TIMEOUT => {
                    Status::Blocked(Wait::Sleep)
                }
                _ => Status::Enabled,
            },
            Instr::WaitCompletion { addr } => match self.cell(s, t, addr) {
                Some(c) if s[c as usize] == 0 => Status::Blocked(Wait::Completion(c)),
                _ => Status::Enabled,
            },
            Instr::SeqBegin { addr, .. } => match self.cell(s, t, addr) {
                Some(c) if s[c as usize] & 1 == 1 => Status::Blocked(Wait::Seq(c)),
                _ => Status::Enabled,
            },
            Instr::RcuBarrier if self.rcu_pending(s) => Status::Blocked(Wait::RcuBarrier),
            _ => Status::Enabled,
        }
    }

    fn cell(&self, s: &[i64], t: usize, addr: Opd) -> Option<u32> {
        let v = match addr {
            Opd::Imm(v) => v,
            Opd::Reg(r) => s[self.layout.reg_base[t] + r as usize],
        };
        ptr_cell(v).filter(|&c| (c as usize) < self.layout.ncells)
    }

    fn ipi_targets(&self, s: &[i64], t: usize, i: &Instr) -> u64 {
        let Instr::SmpCall { mask, include_self, .. } = *i else { return 0 };
        let m = match mask {
            Opd::Imm(v) => v,
            Opd::Reg(r) => s[self.layout.reg_base[t] + r as usize],
        } as u64;
        // only the CPUs of the `P<n>` have IPI handlers
        let all = if self.layout.ncpus >= 64 { u64::MAX } else { (1u64 << self.layout.ncpus) - 1 };
        let mut m = m & all;
        if !include_self {
            m &= !(1 << t);
        }
        m
    }

    fn ipi_busy(&self, s: &[i64]) -> u64 {
        (0..self.layout.nthreads).filter(|&u| s[self.layout.cpu[u] + IPI_PEND] != 0).fold(0, |m, u| m | 1 << u)
    }

    /// Targets in `mask` that still have this sender's IPI pending.
    fn ipi_unanswered(&self, s: &[i64], t: usize, mask: u64) -> u64 {
        (0..self.layout.nthreads)
            .filter(|&u| mask & (1 << u) != 0)
            .filter(|&u| {
                let cb = self.layout.cpu[u];
                s[cb + IPI_PEND] != 0 && s[cb + IPI_FROM] == t as i64 + 1
            })
            .fold(0, |m, u| m | 1 << u)
    }

    /// Execute a kernel-model instruction at `pc`; `base` is the pc slot.
    /// Sets the next pc; returns whether the thread moved on (and so its
    /// local code must run).
    pub(crate) fn kernel_step<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        base: usize,
        tr: &mut T,
    ) -> Result<bool, Violation> {
        let cb = self.layout.cpu[t];
        let mut next = pc + 1;
        let mut detail = Detail::None;
        match *self.instr_at(t, pc) {
            Instr::IrqDisable => s[cb + IRQ_OFF] = 1,
            Instr::IrqEnable => {
                s[cb + IRQ_OFF] = 0;
                self.irqs_enabled(s, t, pc, tr);
            }
            Instr::IrqSave { dst } => {
                let v = if s[cb + IRQ_OFF] == 0 { IF_FLAG } else { 0 };
                s[self.layout.reg_base[t] + dst as usize] = v;
                s[cb + IRQ_OFF] = 1;
            }
            Instr::IrqRestore { src } => {
                let v = self.val(s, t, src);
                let off = (v & IF_FLAG == 0) as i64;
                let was = s[cb + IRQ_OFF];
                s[cb + IRQ_OFF] = off;
                if was == 1 && off == 0 {
                    self.irqs_enabled(s, t, pc, tr);
                }
            }
            Instr::IrqsDisabled { dst } => {
                let v = s[cb + IRQ_OFF];
                s[self.layout.reg_base[t] + dst as usize] = v;
                detail = Detail::Value(v);
            }
            Instr::BhDisable => s[cb + BH] += 1,
            Instr::BhEnable => {
                if s[cb + BH] == 0 {
                    tr.warn(self.violation(
                        ViolationKind::LockMisuse,
                        t,
                        pc,
                        "local_bh_enable() without local_bh_disable()".into(),
                    ));
                } else {
                    s[cb + BH] -= 1;
                }
            }
            ref i @ Instr::SmpCall { func, info, wait, .. } => {
                if s[cb + IPI_WAIT] != 0 {
                    s[cb + IPI_WAIT] = 0; // everyone answered
                    detail = Detail::GpEnd;
                } else {
                    let targets = self.ipi_targets(s, t, i);
                    let info = self.val(s, t, info);
                    for u in 0..self.layout.nthreads {
                        if targets & (1 << u) != 0 {
                            let ub = self.layout.cpu[u];
                            s[ub + IPI_PEND] = func as i64 + 1;
                            s[ub + IPI_INFO] = info;
                            s[ub + IPI_FROM] = t as i64 + 1;
                        }
                    }
                    if wait && targets != 0 {
                        s[cb + IPI_WAIT] = targets as i64;
                        next = pc;
                        detail = Detail::GpStart;
                    }
                }
            }
            Instr::Schedule => {}
            Instr::ScheduleTimeout { dst, timeout } => {
                let to = self.val(s, t, timeout);
                let left = match self.prog.threads[t].task {
                    Some(task) if to != MAX_SCHEDULE_TIMEOUT => {
                        let task = task as usize;
                        if to <= 0 || s[task] != 0 {
                            // process_timeout(): the timer wakes the task
                            s[task] = 0;
                            0
                        } else {
                            to
                        }
                    }
                    _ => to,
                };
                s[self.layout.reg_base[t] + dst as usize] = left;
                detail = Detail::Value(left);
            }
            Instr::WaitCompletionTimeout { dst, addr } => {
                let c = self.mem(s, t, pc, addr)?;
                let got = s[c] > 0;
                if got && s[c] < 1 << 30 {
                    s[c] -= 1;
                }
                s[self.layout.reg_base[t] + dst as usize] = got as i64;
                detail = Detail::Value(got as i64);
            }
            Instr::WakeUp { dst, task, mask } => {
                let c = self.mem(s, t, pc, task)?;
                let m = self.val(s, t, mask);
                let ok = s[c] & m != 0;
                if ok {
                    s[c] = 0;
                }
                if let Some(d) = dst {
                    s[self.layout.reg_base[t] + d as usize] = ok as i64;
                }
                detail = Detail::Value(ok as i64);
            }
            Instr::TaskExit => {
                if let Some(task) = self.prog.threads[t].task {
                    let task = task as usize;
                    s[task] = 0x80; // TASK_DEAD
                    s[task + 1] -= 1; // the task's own reference
                    if s[task + 1] == 0 {
                        // release_task(): the last reference goes through
                        // call_rcu(delayed_put_task_struct)
                        if let Some(st) = self.status_cell(task) {
                            self.free_after_grace_period(s, t, pc, st, tr)?;
                        }
                    }
                }
            }
            Instr::Alloc { dst, pool, zero } => detail = self.alloc(s, t, pc, dst, pool as usize, zero)?,
            Instr::CacheAlloc { dst, cache, zero } => {
                let v = self.val(s, t, cache);
                let pool = ptr_cell(v).filter(|&c| (c as usize) < self.layout.ncells).map(|c| s[c as usize] - 1);
                match pool {
                    Some(k)
                        if (0..self.prog.pools.len() as i64).contains(&k)
                            && self
                                .prog
                                .object_of(ptr_cell(v).unwrap_or(0))
                                .is_some_and(|o| o.kind == ObjKind::Static) =>
                    {
                        detail = self.alloc(s, t, pc, dst, k as usize, zero)?;
                    }
                    _ => {
                        let msg = format!(
                            "kmem_cache_alloc from {}, which is not a kmem_cache",
                            self.prog.show_val(v, false)
                        );
                        return Err(self.violation(ViolationKind::BadAccess, t, pc, msg));
                    }
                }
            }
            Instr::Free { addr } => {
                let v = self.val(s, t, addr);
                if v != 0 {
                    let o = ptr_cell(v).and_then(|c| self.prog.object_of(c));
                    match o {
                        Some(o)
                            if o.base as i64 == (v & (PTR_TAG - 1))
                                && matches!(o.kind, ObjKind::Heap(_) | ObjKind::Task(_)) =>
                        {
                            let st = o.status.map_or(0, |x| x as usize);
                            if s[st] == LIVE {
                                s[st] = freed_status(t as u32, pc);
                            } else {
                                let msg = match freed_by(s[st]) {
                                    Some((ft, fpc)) => format!(
                                        "double free of {}: already freed by {} in `{}`",
                                        o.name,
                                        self.who(ft as usize),
                                        self.text(ft, fpc)
                                    ),
                                    None => format!("free of {}, which is not allocated", o.name),
                                };
                                return Err(self.violation(ViolationKind::DoubleFree, t, pc, msg));
                            }
                        }
                        _ => {
                            let msg = format!(
                                "kfree of {}, which is not the start of an allocated object",
                                self.prog.show_val(v, false)
                            );
                            return Err(self.violation(ViolationKind::BadAccess, t, pc, msg));
                        }
                    }
                }
            }
            Instr::FreeRcu { addr } => {
                let v = self.val(s, t, addr);
                if v != 0 {
                    let o = ptr_cell(v)
                        .and_then(|c| self.prog.object_of(c))
                        .filter(|o| matches!(o.kind, ObjKind::Heap(_) | ObjKind::Task(_)));
                    let Some(st) = o.and_then(|o| o.status) else {
                        let msg =
                            format!("kfree_rcu of {}, which is not an allocated object", self.prog.show_val(v, false));
                        return Err(self.violation(ViolationKind::BadAccess, t, pc, msg));
                    };
                    self.free_after_grace_period(s, t, pc, st as usize, tr)?;
                }
            }
            Instr::CallRcu { head, func } => {
                let v = self.val(s, t, head);
                self.call_rcu(s, t, pc, v, func)?;
            }
            Instr::RcuBarrier | Instr::TaskStart => {}
            Instr::PreemptDisable | Instr::PreemptEnable | Instr::PreemptCount { .. } => {
                detail = self.preempt_step(s, t, pc, tr)
            }
            Instr::KthreadCreate { dst, thread, data, task, data_cell } => {
                detail = self.kthread_create(s, t, pc, dst, thread, data, task, data_cell)?
            }
            Instr::ScopeEnter { obj } => {
                let o = &self.prog.objects[obj as usize];
                if let Some(st) = o.status {
                    s[st as usize] = LIVE;
                }
                s[o.base as usize..(o.base + o.size) as usize].fill(0);
            }
            Instr::ScopeExit { obj } => {
                if let Some(st) = self.prog.objects[obj as usize].status {
                    s[st as usize] = freed_status(t as u32, pc);
                }
            }
            Instr::SeqBegin { dst, addr } => {
                let c = self.mem(s, t, pc, addr)?;
                let v = s[c];
                s[self.layout.reg_base[t] + dst as usize] = v;
                detail = Detail::Value(v);
            }
            Instr::WaitCompletion { addr } => {
                let c = self.mem(s, t, pc, addr)?;
                if s[c] < 1 << 30 {
                    s[c] -= 1;
                }
            }
            _ => return Ok(false),
        }
        if T::ON {
            tr.exec(t, pc, detail);
        }
        s[base] = next as i64;
        Ok(next != pc)
    }

    /// Allocate from pool `pool`: the lowest free slot, so that freed
    /// memory is handed out again.
    fn alloc(&self, s: &mut [i64], t: usize, pc: u32, dst: u16, pool: usize, zero: bool) -> Result<Detail, Violation> {
        let p = &self.prog.pools[pool];
        let slot = p
            .slots
            .iter()
            .map(|&o| &self.prog.objects[o as usize])
            .find(|o| o.status.is_some_and(|st| s[st as usize] != LIVE));
        let Some(o) = slot else {
            let msg = format!("the allocation pool {} ({}-cell objects) is exhausted ({} slots): more allocations than allocation sites", p.name, p.size, p.slots.len());
            return Err(self.violation(ViolationKind::Bound, t, pc, msg));
        };
        if let Some(st) = o.status {
            s[st as usize] = LIVE;
        }
        if zero {
            s[o.base as usize..(o.base + o.size) as usize].fill(0);
        }
        s[self.layout.reg_base[t] + dst as usize] = ptr_to(o.base);
        Ok(Detail::Value(ptr_to(o.base)))
    }

    /// Queue RCU work (a slot's tag and payload, see `Layout::rcu_cb`)
    /// behind the work already pending, waiting for the readers running
    /// now; a bound finding when every slot is taken.
    fn queue_rcu(&self, s: &mut [i64], t: usize, pc: u32, tag: i64, payload: i64) -> Result<(), Violation> {
        let n = self.layout.nthreads;
        let size = 2 + n;
        let Some(k) = (0..RCU_SLOTS).find(|k| s[self.layout.rcu_cb + k * size] == 0) else {
            return Err(self.violation(
                ViolationKind::Bound,
                t,
                pc,
                format!("more than {RCU_SLOTS} RCU callbacks pending at once"),
            ));
        };
        let b = self.layout.rcu_cb + k * size;
        s[b] = tag;
        s[b + 1] = payload;
        // the readers the grace period waits for: each one's section
        // generation, or -1
        for j in 0..n {
            s[b + 2 + j] = if self.layout.rcu_nest(s, j) > 0 { self.layout.rcu_gen(s, j) } else { -1 };
        }
        Ok(())
    }

    /// Remove slot `k`, moving the later ones up (queue order is kept and
    /// the encoding stays canonical).
    fn dequeue_rcu(&self, s: &mut [i64], k: usize) {
        let size = 2 + self.layout.nthreads;
        let b = self.layout.rcu_cb;
        s.copy_within(b + (k + 1) * size..b + RCU_SLOTS * size, b + k * size);
        s[b + (RCU_SLOTS - 1) * size..b + RCU_SLOTS * size].fill(0);
    }

    /// kfree_rcu()-style freeing: the object (its status cell `st`) dies
    /// once every reader now inside an RCU read-side critical section has
    /// left it — at the earliest such moment, which exposes every access
    /// that the kernel's callback could race with.
    fn free_after_grace_period<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        st: usize,
        tr: &mut T,
    ) -> Result<(), Violation> {
        let marker = freed_status(t as u32, pc);
        let no_readers = (0..self.layout.nthreads).all(|j| self.layout.rcu_nest(s, j) == 0);
        if no_readers || self.layout.rcu_cb == NONE {
            self.complete_free(s, t, pc, st, marker, tr);
            return Ok(());
        }
        self.queue_rcu(s, t, pc, st as i64 + 1, marker)
    }

    /// call_rcu(head, func) on CPU `t`.
    fn call_rcu(&self, s: &mut [i64], t: usize, pc: u32, head: i64, func: u32) -> Result<(), Violation> {
        self.queue_rcu(s, t, pc, -(1 + func as i64 * 64 + self.rcu_cpu(t) as i64), head)
    }

    fn complete_free<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, st: usize, marker: i64, tr: &mut T) {
        if s[st] != LIVE {
            tr.warn(self.violation(
                ViolationKind::DoubleFree,
                t,
                pc,
                "an RCU-deferred free of an object already freed".into(),
            ));
        }
        s[st] = marker;
    }

    /// After a reader leaves its critical section: complete every pending
    /// free whose grace period is now over, and mark such callbacks ready.
    pub(crate) fn rcu_callbacks<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) {
        if self.layout.rcu_cb == NONE {
            return;
        }
        let n = self.layout.nthreads;
        let size = 2 + n;
        let mut k = 0;
        while k < RCU_SLOTS {
            let b = self.layout.rcu_cb + k * size;
            let tag = s[b];
            if tag == 0 {
                break;
            }
            let over = (0..n).all(|j| {
                let g = s[b + 2 + j];
                g < 0 || self.layout.rcu_nest(s, j) == 0 || self.layout.rcu_gen(s, j) != g
            });
            if over && tag > 0 {
                let (st, marker) = ((tag - 1) as usize, s[b + 1]);
                self.dequeue_rcu(s, k);
                self.complete_free(s, t, pc, st, marker, tr);
                continue;
            }
            if over {
                s[b + 2..b + 2 + n].fill(-1);
            }
            k += 1;
        }
    }

    /// The oldest RCU callback queued on CPU `t`, if it is ready to run:
    /// (slot, callback function index).
    fn ready_callback(&self, s: &[i64], t: usize) -> Option<(usize, u32)> {
        if self.layout.rcu_cb == NONE {
            return None;
        }
        let n = self.layout.nthreads;
        let size = 2 + n;
        for k in 0..RCU_SLOTS {
            let b = self.layout.rcu_cb + k * size;
            let tag = s[b];
            if tag == 0 {
                return None;
            }
            if tag < 0 {
                let code = -tag - 1;
                if (code % 64) as usize == t {
                    let ready = s[b + 2..b + 2 + n].iter().all(|&g| g < 0);
                    return ready.then_some((k, (code / 64) as u32));
                }
            }
        }
        None
    }

    /// Is any call_rcu() callback still to run?
    pub fn rcu_pending(&self, s: &[i64]) -> bool {
        self.layout.rcu_cb != NONE && (0..RCU_SLOTS).any(|k| s[self.layout.rcu_cb + k * (2 + self.layout.nthreads)] < 0)
    }

    /// The queued callbacks that can never run in a final state, and why.
    pub(crate) fn stranded_callbacks(&self, s: &[i64]) -> Vec<String> {
        let mut out = self.stranded_timers(s);
        if self.layout.rcu_cb == NONE {
            return out;
        }
        let size = 2 + self.layout.nthreads;
        for k in 0..RCU_SLOTS {
            let b = self.layout.rcu_cb + k * size;
            if s[b] >= 0 {
                continue;
            }
            let code = -s[b] - 1;
            let (func, cpu) = ((code / 64) as usize, (code % 64) as usize);
            let name = self.prog.rcu_funcs.get(func).map_or("?", |f| f.as_str());
            let cb = self.layout.cpu[cpu];
            let why = if s[b + 2..b + size].iter().any(|&g| g >= 0) {
                "its grace period never ends"
            } else if s[cb + IRQ_OFF] != 0 {
                "interrupts stay disabled there"
            } else {
                "bottom halves stay disabled there"
            };
            out.push(format!("RCU callback {name}() queued on CPU{cpu} never runs: {why}"));
        }
        out
    }

    fn val(&self, s: &[i64], t: usize, o: Opd) -> i64 {
        match o {
            Opd::Imm(v) => v,
            Opd::Reg(r) => s[self.layout.reg_base[t] + r as usize],
        }
    }

    pub(crate) fn text(&self, t: u32, pc: u32) -> String {
        self.prog
            .threads
            .get(t as usize)
            .and_then(|th| th.body.steps.get(pc as usize))
            .map_or_else(String::new, |st| st.text.clone())
    }

    pub(crate) fn status_cell(&self, c: usize) -> Option<usize> {
        let st = *self.status_of.get(c)?;
        (st != u32::MAX).then_some(st as usize)
    }

    /// The lifetime check of a memory access to `c`.
    pub(crate) fn check_alive(&self, s: &[i64], t: usize, pc: u32, c: usize) -> Result<(), Violation> {
        let Some(st) = self.status_cell(c) else { return Ok(()) };
        let v = s[st];
        if v == LIVE {
            return Ok(());
        }
        let o = self.prog.object_of(c as u32);
        // SLAB_TYPESAFE_BY_RCU: the memory stays an object of this cache
        // until every RCU reader that may hold it is gone
        if let Some(ObjKind::Heap(k)) = o.map(|o| o.kind) {
            if self.prog.pools[k as usize].typesafe_rcu && self.layout.rcu_nest(s, t) > 0 {
                return Ok(());
            }
        }
        let name = self.prog.cell_name(c as u32);
        let (kind, msg) = match (o.map(|o| o.kind), freed_by(v)) {
            (Some(ObjKind::Local(owner)), Some((ft, fpc))) => (
                ViolationKind::UseAfterScope,
                format!(
                    "use-after-scope: {} accesses {name}, a local of {} whose scope ended at `{}`",
                    self.who(t),
                    self.prog.threads.get(owner as usize).map_or(String::new(), |th| th.body.name.clone()),
                    self.text(ft, fpc)
                ),
            ),
            (_, Some((ft, fpc))) => {
                let what = if ft as usize == t { "itself".to_string() } else { self.who(ft as usize) };
                (
                    ViolationKind::UseAfterFree,
                    format!(
                        "use-after-free: {} accesses {name}, freed by {what} in `{}`",
                        self.who(t),
                        self.text(ft, fpc)
                    ),
                )
            }
            _ => (ViolationKind::BadAccess, format!("access to {name}, which is not allocated")),
        };
        Err(self.violation(kind, t, pc, msg))
    }

    /// Does task `t` hold a spinlock or rwlock (which disables preemption)?
    pub(crate) fn holds_spinlock(&self, s: &[i64], t: usize) -> bool {
        let held = self.held(s, t, Ctx::Task);
        (0..self.lock_list.len())
            .any(|k| held & (1 << k) != 0 && matches!(self.lock_list[k].1, LockTy::Spin | LockTy::Rw))
    }

    /// A kernel assertion (lockdep_assert_*(), might_sleep()) on CPU `t`:
    /// the finding it gives when it fails, in the kernel's words.
    pub(crate) fn kernel_check(
        &self,
        s: &[i64],
        t: usize,
        pc: u32,
        check: KernelCheck,
        addr: i64,
    ) -> Option<Violation> {
        let text = self.text(t as u32, pc);
        let cb = self.layout.cpu[t];
        let ctx = self.ctx(s, t);
        let lock = || ptr_cell(addr).filter(|&c| (c as usize) < self.layout.ncells);
        // lockdep_is_held(): held on this CPU (an interrupt handler shares
        // the interrupted task's held locks, as in lockdep), for writing
        // (the holder field) or reading (its read-held classes)
        let holds = |write: bool, read: bool| -> bool {
            let Some(c) = lock() else { return false };
            let v = s[c as usize];
            let w = v & HOLDER == t as i64 + 1;
            // read-held classes: rwlocks and rwsems only
            let bit = match self.class(c as usize) {
                Some(k) if matches!(self.lock_list[k].1, LockTy::Rw | LockTy::Rwsem) => 1u64 << k,
                _ => 0,
            };
            let r = cb != NONE && s[cb + RHELD] as u64 & bit != 0;
            (write && w) || (read && r)
        };
        let name = || lock().map_or_else(|| "a lock".to_string(), |c| self.prog.cell_name(c));
        let fail = match check {
            KernelCheck::Held => (!holds(true, true)).then(|| format!("CPU{t} does not hold {}", name())),
            KernelCheck::HeldWrite => {
                (!holds(true, false)).then(|| format!("CPU{t} does not hold {} for writing", name()))
            }
            KernelCheck::HeldRead => {
                (!holds(false, true)).then(|| format!("CPU{t} does not hold {} for reading", name()))
            }
            KernelCheck::NotHeld => holds(true, true).then(|| format!("CPU{t} holds {}", name())),
            KernelCheck::IrqsDisabled => {
                (ctx != Ctx::Hard && !self.irqs_off(s, t)).then(|| format!("interrupts are enabled on CPU{t}"))
            }
            KernelCheck::IrqsEnabled => {
                (ctx == Ctx::Hard || self.irqs_off(s, t)).then(|| format!("interrupts are disabled on CPU{t}"))
            }
            KernelCheck::InSoftirq => (ctx != Ctx::Soft).then(|| format!("CPU{t} is not in a softirq")),
            KernelCheck::InHardirq => (ctx != Ctx::Hard).then(|| format!("CPU{t} is not in a hardirq handler")),
            KernelCheck::MightSleep => {
                let why = self.atomic_reason(s, t)?;
                let msg =
                    format!("BUG: sleeping function called from invalid context: `{text}` on {} {why}", self.who(t));
                return Some(self.violation(ViolationKind::SleepInAtomic, t, pc, msg));
            }
        }?;
        Some(self.violation(ViolationKind::Warning, t, pc, format!("WARNING: `{text}` fails: {fail}")))
    }

    /// Why CPU `t` may not sleep now, if it may not.
    fn atomic_reason(&self, s: &[i64], t: usize) -> Option<String> {
        let ctx = self.ctx(s, t);
        Some(if ctx == Ctx::Hard {
            "in hardirq context".to_string()
        } else if ctx == Ctx::Soft {
            "in softirq context".to_string()
        } else if self.irqs_off(s, t) {
            "with interrupts disabled".to_string()
        } else if let Some(k) = (0..self.lock_list.len()).find(|&k| {
            self.held(s, t, Ctx::Task) & (1 << k) != 0 && matches!(self.lock_list[k].1, LockTy::Spin | LockTy::Rw)
        }) {
            format!("holding spinlock {}", self.class_name(k))
        } else if self.preempt_count(s, t) > 0 {
            "with preemption disabled".to_string()
        } else if self.layout.rcu_nest(s, t) > 0 {
            "inside an RCU read-side critical section".to_string()
        } else {
            return None;
        })
    }

    /// Checks made when a context arrives at an instruction that may
    /// sleep: sleeping in atomic context is a bug.
    pub(crate) fn arrive<T: Tracer>(&self, s: &[i64], t: usize, pc: u32, tr: &mut T) {
        let what = match self.instr_at(t, pc) {
            Instr::Schedule => "schedule()",
            Instr::ScheduleTimeout { .. } => "schedule_timeout()",
            Instr::WaitCompletionTimeout { .. } => "wait_for_completion_timeout()",
            Instr::WaitCompletion { .. } => "wait_for_completion()",
            Instr::RcuBarrier => "rcu_barrier()",
            Instr::Lock { kind, .. } if kind.sleeps() => kind.verb(),
            _ => return,
        };
        let Some(why) = self.atomic_reason(s, t) else { return };
        let msg = format!("BUG: scheduling while atomic: {} calls {what} {why}", self.who(t));
        tr.warn(self.violation(ViolationKind::SleepInAtomic, t, pc, msg));
    }

    // ------------------------------------------------------------------
    // interrupts and IPIs
    // ------------------------------------------------------------------

    /// May handler `h` of CPU `t` start now?
    pub fn can_fire(&self, s: &[i64], t: usize, h: usize) -> bool {
        let cb = self.layout.cpu[t];
        if cb == NONE || s[cb + IRQ_OFF] != 0 || s[cb + HARD] != 0 {
            return false;
        }
        let hd = &self.prog.threads[t].handlers[h];
        match hd.kind {
            HandlerKind::Hardirq => (s[cb + FIRED + h] as u32) < hd.times,
            HandlerKind::Softirq => {
                s[cb + SOFT] == 0
                    && s[cb + BH] == 0
                    && hd.gate.map_or((s[cb + FIRED + h] as u32) < hd.times, |g| s[g as usize] != 0)
            }
            HandlerKind::Ipi => s[cb + IPI_PEND] == hd.ipi.map_or(0, |i| i as i64 + 1),
            HandlerKind::RcuCallback => {
                s[cb + SOFT] == 0
                    && s[cb + BH] == 0
                    && self.ready_callback(s, t).is_some_and(|(_, f)| Some(f) == hd.ipi)
            }
        }
    }

    /// Start handler `h` on CPU `t`: it runs before the interrupted
    /// context continues.
    pub fn fire<T: Tracer>(&self, s: &mut [i64], t: usize, h: usize, tr: &mut T) -> Result<(), Violation> {
        let cb = self.layout.cpu[t];
        let hd = &self.prog.threads[t].handlers[h];
        match hd.kind {
            HandlerKind::Softirq => {
                s[cb + SOFT] = h as i64 + 1;
                s[cb + SOFT_PC] = hd.entry as i64;
                s[cb + BH] += 1;
                if hd.gate.is_none() {
                    s[cb + FIRED + h] += 1;
                }
            }
            HandlerKind::RcuCallback => {
                let (k, _) = self.ready_callback(s, t).expect("fire() follows can_fire()");
                let head = s[self.layout.rcu_cb + k * (2 + self.layout.nthreads) + 1];
                self.dequeue_rcu(s, k);
                s[cb + SOFT] = h as i64 + 1;
                s[cb + SOFT_PC] = hd.entry as i64;
                s[cb + BH] += 1;
                if let Some(r) = hd.arg {
                    s[self.layout.reg_base[t] + r as usize] = head;
                }
            }
            _ => {
                s[cb + HARD] = h as i64 + 1;
                s[cb + HARD_PC] = hd.entry as i64;
                s[cb + IRQ_OFF] = 1;
                if hd.kind == HandlerKind::Hardirq {
                    s[cb + FIRED + h] += 1;
                } else if let Some(r) = hd.arg {
                    s[self.layout.reg_base[t] + r as usize] = s[cb + IPI_INFO];
                }
            }
        }
        if T::ON {
            tr.exec(t, hd.entry, Detail::Fire(h as u32));
        }
        self.run_local(s, t, tr)
    }

    /// The handler running on CPU `t` returns.
    pub(crate) fn irq_return<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) {
        let cb = self.layout.cpu[t];
        if T::ON {
            tr.exec(t, pc, Detail::None);
        }
        let h = if s[cb + HARD] != 0 { s[cb + HARD] - 1 } else { s[cb + SOFT] - 1 } as usize;
        let hd = &self.prog.threads[t].handlers[h];
        match hd.kind {
            HandlerKind::Softirq | HandlerKind::RcuCallback => {
                s[cb + SOFT] = 0;
                s[cb + SOFT_PC] = 0;
                s[cb + BH] -= 1;
            }
            kind => {
                s[cb + HARD] = 0;
                s[cb + HARD_PC] = 0;
                s[cb + IRQ_OFF] = 0;
                if kind == HandlerKind::Ipi {
                    s[cb + IPI_PEND] = 0;
                    s[cb + IPI_INFO] = 0;
                    s[cb + IPI_FROM] = 0;
                }
            }
        }
        // the handler's registers are dead now
        for &r in self.handler_regs[t][h].iter() {
            s[self.layout.reg_base[t] + r as usize] = 0;
        }
    }

    /// Data race: the next steps of CPUs `t` and `u` access the same cell,
    /// one writes, and one is a plain access (KCSAN's definition).
    pub(crate) fn race(&self, s: &[i64], t: usize, u: usize) -> Option<Violation> {
        let (pt, pu) = (self.pc(s, t), self.pc(s, u));
        let (at, wt, plt) = self.instr_at(t, pt).access()?;
        let (au, wu, plu) = self.instr_at(u, pu).access()?;
        if !(wt || wu) || !(plt || plu) {
            return None;
        }
        let (ct, cu) = (self.cell(s, t, at)?, self.cell(s, u, au)?);
        if ct != cu {
            return None;
        }
        let desc =
            |w: bool, p: bool| format!("{} {}", if p { "plain" } else { "marked" }, if w { "write" } else { "read" });
        let msg = format!(
            "data race on {}: {} `{}` ({}) and {} `{}` ({}) can run back to back",
            self.prog.cell_name(ct),
            self.who(t),
            self.text(t as u32, pt),
            desc(wt, plt),
            self.who(u),
            self.text(u as u32, pu),
            desc(wu, plu)
        );
        Some(Violation { kind: ViolationKind::DataRace, thread: t as u32, pc: pt, message: msg, path: Vec::new() })
    }
}
