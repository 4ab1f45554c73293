//! The SC transition relation: which threads may move in a state, and what
//! one step of a thread does. A step executes one shared instruction, then
//! the thread's local code up to its next shared instruction, and finally
//! clears registers that are dead there so that equal futures hash equal.
//!
//! Lock words hold 0 when free and `holder + 1` when held. RCU follows the
//! kernel's contract (Documentation/RCU/whatisRCU.rst): synchronize_rcu()
//! returns only after every read-side critical section that was running
//! when it was called has ended.

use crate::state::*;
use crate::{Violation, ViolationKind};
use kvet_ir::LockTy;
use kvet_ir::*;

mod grace_period;

/// Bound on local instructions run in one step (a local infinite loop).
const LOCAL_FUEL: u32 = 1_000_000;

/// What a thread's next step would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Enabled,
    /// Waiting: on a lock (with its cell), or for a grace period.
    Blocked(Wait),
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    Lock(u32, LockKind),
    GracePeriod,
    /// smp_call_function*(): the CPUs (mask) whose answer it waits for,
    /// or whose IPI slot is busy.
    Ipi(u64),
    /// Asleep in schedule() (or wait_for_completion on the cell).
    Sleep,
    Completion(u32),
    /// read_seqbegin() spinning while a writer is active.
    Seq(u32),
    /// rcu_barrier(): asleep until every queued RCU callback has run.
    RcuBarrier,
    /// Runnable, but another task (or a handler) has the CPU of this
    /// `P<n>` (crate::sched).
    Cpu(u32),
}

impl Wait {
    /// Is the task asleep (off its CPU) rather than spinning on it?
    pub fn sleeps(self) -> bool {
        match self {
            Wait::Lock(_, k) => k.sleeps(),
            Wait::Sleep | Wait::Completion(_) | Wait::RcuBarrier | Wait::GracePeriod => true,
            Wait::Ipi(_) | Wait::Seq(_) | Wait::Cpu(_) => false,
        }
    }
}

/// Receives what a step does: executed instructions (for traces, only
/// when `ON`) and non-fatal findings (WARN_ON, unlock misuse), after
/// which the step carries on as the kernel would.
pub trait Tracer {
    const ON: bool;
    fn exec(&mut self, thread: usize, pc: u32, detail: Detail);
    fn warn(&mut self, v: Violation);
    /// The memory cell the next `exec` (a load or store) accesses; only
    /// called when `ON`.
    fn access(&mut self, _cell: usize) {}
}

/// Extra facts about an executed instruction, for trace rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Nothing beyond the instruction itself.
    None,
    /// A value read or written.
    Value(Val),
    /// An RMW: old and new value.
    Rmw(Val, Val),
    /// synchronize_rcu started waiting.
    GpStart,
    /// synchronize_rcu finished.
    GpEnd,
    /// Handler `h` of the CPU starts (an interrupt or an IPI).
    Fire(u32),
    /// The instruction failed: the schedule's violation happens here.
    Fault,
}

/// The search's tracer: no trace rows, but it keeps non-fatal findings.
#[derive(Default)]
pub struct NoTrace {
    pub warnings: Vec<Violation>,
}

impl Tracer for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn exec(&mut self, _: usize, _: u32, _: Detail) {}
    #[cold]
    fn warn(&mut self, v: Violation) {
        self.warnings.push(v);
    }
}

/// Static facts the machine needs, precomputed per program.
pub struct Machine<'p> {
    pub prog: &'p Program,
    pub layout: Layout,
    /// For each thread, for each pc: register slots to clear when the
    /// thread stops there (their registers are dead).
    dead: Vec<Vec<Box<[u16]>>>,
    /// The lock classes (static lock cells), with their types.
    pub(crate) lock_list: Vec<(u32, LockTy)>,
    /// Per memory cell: its lock class, or u16::MAX.
    pub(crate) lock_class: Vec<u16>,
    /// Per memory cell: the lifetime status cell of its object, or u32::MAX.
    pub(crate) status_of: Vec<u32>,
    /// Per thread, per handler: the register slots to clear when it
    /// returns.
    pub(crate) handler_regs: Vec<Vec<Box<[u16]>>>,
    /// The program has plain accesses (data races are possible).
    pub(crate) has_plain: bool,
    /// Per thread, per pc: whether the instruction there can block.
    gate: Vec<Box<[u8]>>,
    /// Per thread, per pc: the lock cell of a `GATE_SPIN` or `GATE_MUTEX`
    /// instruction.
    gate_cell: Vec<Box<[u32]>>,
    /// Per thread: its status is its own (`own_status`): it has a CPU of
    /// its own (no `curr` cell) and is no kworker (whose sleep may be
    /// idleness). `status` then skips the scheduler's and the kworker's
    /// rules, which could not apply.
    own_only: Vec<bool>,
    /// Some thread has interrupt handlers (IPIs, RCU callbacks, ...).
    pub(crate) has_handlers: bool,
    /// The cells named `jiffies` (poll.rs: a loop reading one is no
    /// hang), by `Program::cell_name`'s rule: the name the first object
    /// holding the cell gives it.
    pub(crate) jiffies: Vec<u32>,
    /// Per memory cell, what the symmetric search (symmetry.rs) assumes
    /// of it: `WATCH_UNTOUCHED` no step touches it (pid and tgid),
    /// `WATCH_LOCK` it may hold a lock word (the symmetry renames its
    /// holder; taking a lock anywhere else breaks the assumption),
    /// `WATCH_OWNED` it is in a class thread's block (`watch_bin`). Empty
    /// when nothing is watched; `watched` records that a step broke one.
    watch: Vec<u8>,
    pub(crate) watched: std::cell::Cell<bool>,
}

const WATCH_UNTOUCHED: u8 = 1;
const WATCH_LOCK: u8 = 2;
const WATCH_OWNED: u8 = 4;

const GATE_FREE: u8 = 0;
const GATE_DONE: u8 = 1;
const GATE_WAIT: u8 = 2;
/// spin_lock() or mutex_lock() of a lock cell named in the instruction
/// (`gate_cell`): it can go exactly when the lock word is 0 (`lock_status`
/// with `can_acquire` of those kinds), else it waits for that lock.
const GATE_SPIN: u8 = 3;
const GATE_MUTEX: u8 = 4;

impl<'p> Machine<'p> {
    pub fn new(prog: &'p Program) -> Machine<'p> {
        let layout = Layout::new(prog);
        let dead = layout.regs.iter().map(|a| a.dead.clone()).collect();
        let lock_list = crate::state::lock_classes(prog);
        let mut lock_class = vec![u16::MAX; prog.ncells as usize];
        for (k, &(c, _)) in lock_list.iter().enumerate() {
            lock_class[c as usize] = k as u16;
        }
        let mut status_of = vec![u32::MAX; prog.ncells as usize];
        for o in &prog.objects {
            if let Some(st) = o.status {
                status_of[o.base as usize..(o.base + o.size) as usize].fill(st);
            }
        }
        let handler_regs = layout.regs.iter().map(|a| a.handler.clone()).collect();
        let has_plain = prog.threads.iter().any(|t| t.body.steps.iter().any(|s| s.instr.access().is_some_and(|a| a.2)));
        let gate = prog
            .threads
            .iter()
            .map(|t| {
                t.body
                    .steps
                    .iter()
                    .map(|st| match st.instr {
                        Instr::Exit => GATE_DONE,
                        Instr::Lock { addr: Opd::Imm(v), kind: k @ (LockKind::Spin | LockKind::Mutex) }
                            if ptr_cell(v).is_some_and(|c| (c as usize) < layout.ncells) =>
                        {
                            if k == LockKind::Spin {
                                GATE_SPIN
                            } else {
                                GATE_MUTEX
                            }
                        }
                        Instr::Lock { .. }
                        | Instr::SyncRcu
                        | Instr::SyncSrcu { .. }
                        | Instr::SmpCall { .. }
                        | Instr::Schedule
                        | Instr::ScheduleTimeout { .. }
                        | Instr::PoolGate
                        | Instr::WaitCompletion { .. }
                        | Instr::RcuBarrier
                        | Instr::TaskStart
                        | Instr::SeqBegin { .. } => GATE_WAIT,
                        _ => GATE_FREE,
                    })
                    .collect()
            })
            .collect();
        let gate_cell = prog
            .threads
            .iter()
            .map(|t| {
                t.body
                    .steps
                    .iter()
                    .map(|st| match st.instr {
                        Instr::Lock { addr: Opd::Imm(v), .. } => ptr_cell(v).unwrap_or(0),
                        _ => 0,
                    })
                    .collect()
            })
            .collect();
        let own_only = (0..prog.threads.len())
            .map(|t| layout.curr[t] == NONE && prog.threads[t].origin != TaskOrigin::Kworker)
            .collect();
        let has_handlers = prog.threads.iter().any(|t| !t.handlers.is_empty());
        let mut named = vec![false; layout.ncells];
        let mut jiffies = Vec::new();
        for o in &prog.objects {
            for c in o.base..(o.base + o.size).min(layout.ncells as u32) {
                if !std::mem::replace(&mut named[c as usize], true) && o.cell_names[(c - o.base) as usize] == "jiffies"
                {
                    jiffies.push(c);
                }
            }
        }
        Machine {
            prog,
            own_only,
            has_handlers,
            jiffies,
            layout,
            dead,
            lock_list,
            lock_class,
            status_of,
            handler_regs,
            has_plain,
            gate,
            gate_cell,
            watch: Vec::new(),
            watched: std::cell::Cell::new(false),
        }
    }

    /// The initial state: every thread has run its local prefix.
    pub fn initial<T: Tracer>(&self, tr: &mut T) -> Result<Vec<i64>, Violation> {
        let mut s = self.layout.initial(self.prog);
        for t in 0..self.layout.nthreads {
            self.run_local(&mut s, t, tr)?;
        }
        Ok(s)
    }

    #[inline]
    fn instr(&self, t: usize, pc: u32) -> &Instr {
        &self.prog.threads[t].body.steps[pc as usize].instr
    }

    #[inline]
    pub(crate) fn instr_at(&self, t: usize, pc: u32) -> &Instr {
        self.instr(t, pc)
    }

    #[inline]
    fn reg(&self, s: &[i64], t: usize, o: Opd) -> i64 {
        match o {
            Opd::Imm(v) => v,
            Opd::Reg(r) => s[self.layout.reg(t, r)],
        }
    }

    #[inline]
    fn set_reg(&self, s: &mut [i64], t: usize, r: Reg, v: i64) {
        s[self.layout.reg(t, r)] = v;
    }

    /// The pc of the context that runs on CPU `t` now.
    #[inline]
    pub fn pc(&self, s: &[i64], t: usize) -> u32 {
        s[self.pcx(s, t)] as u32
    }

    /// May thread `t` move?
    #[inline]
    pub fn status(&self, s: &[i64], t: usize) -> Status {
        if self.own_only[t] {
            return self.own_status(s, t);
        }
        let st = if self.layout.curr[t] != NONE { self.sched_status(s, t) } else { self.own_status(s, t) };
        if st == Status::Blocked(Wait::Sleep)
            && self.prog.threads[t].origin == TaskOrigin::Kworker
            && self.kworker_idles(t, self.pc(s, t))
        {
            return Status::Done; // an idle kworker
        }
        st
    }

    /// Is kworker `t`, asleep at `pc`, idle: asleep in its own pool loop's
    /// `schedule()` (the prelude's `__kworker_loop*`, as `worker_thread()`
    /// in kernel/workqueue.c), rather than inside a work function? A
    /// kworker that sleeps forever inside a work function is a hung task.
    fn kworker_idles(&self, t: usize, pc: u32) -> bool {
        let body = &self.prog.threads[t].body;
        let Some(step) = body.steps.get(pc as usize) else { return false };
        step.call != kvet_ir::NO_CALL
            && body.calls.get(step.call as usize).is_some_and(|c| c.prelude && c.func.starts_with("__kworker_loop"))
    }

    /// What thread `t`'s next step would do, ignoring whether its CPU
    /// is free for it.
    #[inline]
    pub(crate) fn own_status(&self, s: &[i64], t: usize) -> Status {
        let pc = self.pc(s, t);
        match self.gate[t][pc as usize] {
            GATE_FREE => Status::Enabled,
            GATE_DONE => Status::Done,
            g @ (GATE_SPIN | GATE_MUTEX) => {
                let c = self.gate_cell[t][pc as usize];
                if s[c as usize] == 0 {
                    Status::Enabled
                } else {
                    Status::Blocked(Wait::Lock(c, if g == GATE_SPIN { LockKind::Spin } else { LockKind::Mutex }))
                }
            }
            _ => self.wait_status(s, t, pc),
        }
    }

    /// `own_status` of an instruction that can block.
    #[inline(never)]
    fn wait_status(&self, s: &[i64], t: usize, pc: u32) -> Status {
        match self.instr(t, pc) {
            Instr::Exit => Status::Done,
            Instr::Lock { addr, kind } => match self.cell_of(s, t, *addr) {
                Some(c) => self.lock_status(s, t, c, *kind),
                None => Status::Enabled,
            },
            i @ (Instr::SmpCall { .. }
            | Instr::Schedule
            | Instr::ScheduleTimeout { .. }
            | Instr::WaitCompletion { .. }
            | Instr::SeqBegin { .. }
            | Instr::RcuBarrier) => self.kernel_status(s, t, i),
            Instr::TaskStart => self.task_start_status(s, t),
            Instr::PoolGate => self.pool_gate_status(s, t),
            Instr::SyncRcu | Instr::SyncSrcu { .. } if s[self.layout.gp[t]] != 0 => {
                if self.grace_period_over(s, t) {
                    Status::Enabled
                } else {
                    Status::Blocked(Wait::GracePeriod)
                }
            }
            _ => Status::Enabled,
        }
    }

    fn cell_of(&self, s: &[i64], t: usize, addr: Opd) -> Option<u32> {
        let v = self.reg(s, t, addr);
        ptr_cell(v).filter(|&c| (c as usize) < self.layout.ncells)
    }

    /// Execute one step of thread `t` (which must be enabled).
    pub fn step<T: Tracer>(&self, s: &mut [i64], t: usize, tr: &mut T) -> Result<(), Violation> {
        if self.layout.curr[t] == NONE {
            return self.step_inner(s, t, tr);
        }
        self.sched_step(s, t, tr)
    }

    pub(crate) fn step_inner<T: Tracer>(&self, s: &mut [i64], t: usize, tr: &mut T) -> Result<(), Violation> {
        let base = self.pcx(s, t);
        let pc = s[base] as u32;
        let mut next = pc + 1;
        match *self.instr(t, pc) {
            Instr::Load { dst, addr, .. } => {
                let c = self.mem(s, t, pc, addr)?;
                let v = s[c];
                self.set_reg(s, t, dst, v);
                if T::ON {
                    tr.access(c);
                    tr.exec(t, pc, Detail::Value(v));
                }
            }
            Instr::Store { addr, val, .. } => {
                let c = self.mem(s, t, pc, addr)?;
                let v = self.reg(s, t, val);
                s[c] = v;
                if T::ON {
                    tr.access(c);
                    tr.exec(t, pc, Detail::Value(v));
                }
            }
            Instr::Rmw { dst, addr, op, a, b, ret, .. } => {
                let c = self.mem(s, t, pc, addr)?;
                let old = s[c];
                let a = self.reg(s, t, a);
                let b = self.reg(s, t, b);
                let (new, wrote) = match op {
                    RmwOp::Op(bop) => {
                        self.watch_bin(bop, old, a);
                        (eval_bin(bop, old, a).unwrap_or(old), true)
                    }
                    RmwOp::Xchg => (a, true),
                    RmwOp::Cmpxchg => {
                        if old == b {
                            (a, true)
                        } else {
                            (old, false)
                        }
                    }
                    RmwOp::AddUnless => {
                        if old != b {
                            (old.wrapping_add(a), true)
                        } else {
                            (old, false)
                        }
                    }
                };
                s[c] = new;
                if let Some(d) = dst {
                    let r = match ret {
                        RmwRet::None | RmwRet::Old => old,
                        RmwRet::New => new,
                        RmwRet::NewIsZero => (new == 0) as i64,
                        RmwRet::NewIsNeg => (new < 0) as i64,
                        RmwRet::Changed => wrote as i64,
                        RmwRet::OldBit => ((old & a) != 0) as i64,
                        RmwRet::NegByte => ((new & 0x80) != 0) as i64,
                    };
                    self.set_reg(s, t, d, r);
                }
                if T::ON {
                    tr.exec(t, pc, Detail::Rmw(old, new));
                }
            }
            Instr::Lock { addr, kind } => {
                let c = self.mem(s, t, pc, addr)?;
                let got = self.acquire(s, t, pc, c, kind, tr);
                if T::ON {
                    tr.exec(t, pc, if got { Detail::None } else { Detail::GpStart });
                }
                if !got {
                    next = pc; // a writer queued behind readers
                }
            }
            Instr::Unlock { addr, kind } => {
                let c = self.mem(s, t, pc, addr)?;
                self.release(s, t, pc, c, kind, tr);
                if T::ON {
                    tr.exec(t, pc, Detail::None);
                }
            }
            Instr::Trylock { dst, addr, kind } => {
                let c = self.mem(s, t, pc, addr)?;
                let ok = self.can_acquire(s, t, c as u32, kind);
                if ok {
                    self.acquire(s, t, pc, c, kind, tr);
                }
                self.set_reg(s, t, dst, ok as i64);
                if T::ON {
                    tr.exec(t, pc, Detail::Value(ok as i64));
                }
            }
            Instr::IsLocked { dst, addr } => {
                let c = self.mem(s, t, pc, addr)?;
                let v = (s[c] != 0) as i64;
                self.set_reg(s, t, dst, v);
                if T::ON {
                    tr.exec(t, pc, Detail::Value(v));
                }
            }
            Instr::RcuLock => {
                s[self.layout.rcu[t]] += 1;
                if T::ON {
                    tr.exec(t, pc, Detail::None);
                }
            }
            Instr::RcuUnlock => self.rcu_unlock(s, t, pc, tr),
            Instr::SrcuLock { dst, ss } => self.srcu_lock(s, t, pc, dst, ss, tr)?,
            Instr::SrcuUnlock { ss, idx } => self.srcu_unlock(s, t, pc, ss, idx, tr)?,
            Instr::SyncRcu | Instr::SyncSrcu { .. } => {
                if self.synchronize(s, t, pc, tr)? {
                    next = pc; // stay: the wait completes in a later step
                }
            }
            Instr::Exit => return Ok(()),
            Instr::IrqReturn => {
                self.irq_return(s, t, pc, tr);
                return Ok(());
            }
            _ => {
                if !self.kernel_step(s, t, pc, base, tr)? {
                    return Ok(());
                }
                next = s[base] as u32;
            }
        }
        s[base] = next as i64;
        if next != pc {
            self.run_local(s, t, tr)?;
        }
        Ok(())
    }

    pub(crate) fn mem(&self, s: &[i64], t: usize, pc: u32, addr: Opd) -> Result<usize, Violation> {
        let v = self.reg(s, t, addr);
        match ptr_cell(v) {
            Some(c) if (c as usize) < self.layout.ncells => {
                if !self.watch.is_empty() && self.watch[c as usize] & WATCH_UNTOUCHED != 0 {
                    self.watched.set(true);
                }
                self.check_alive(s, t, pc, c as usize)?;
                Ok(c as usize)
            }
            _ => {
                let msg = if v == 0 {
                    "NULL pointer dereference".to_string()
                } else {
                    format!("access through an invalid pointer value {v}")
                };
                Err(self.violation(
                    if v == 0 { ViolationKind::NullDeref } else { ViolationKind::BadAccess },
                    t,
                    pc,
                    msg,
                ))
            }
        }
    }

    /// Watch `untouched` (a step that touches one sets `watched`),
    /// `locks` (a lock taken in any other cell sets it) and `owned` (the
    /// class threads' blocks: `watch_bin`).
    pub(crate) fn watch(&mut self, untouched: &[u32], locks: &[usize], owned: &[usize]) {
        self.watch = vec![0; self.layout.ncells];
        for &c in owned {
            self.watch[c] |= WATCH_OWNED;
        }
        for &c in untouched {
            self.watch[c as usize] |= WATCH_UNTOUCHED;
        }
        for &c in locks {
            self.watch[c] |= WATCH_LOCK;
        }
    }

    /// `a op b` where an operand may point into a class thread's block:
    /// the symmetry renames such pointers by moving them to another
    /// block, which keeps equality, offsets within the block and adding
    /// an integer, but not an order, a difference of two of them, or bit
    /// and arithmetic operations (hashing a pointer, tagging its low
    /// bits). Any of those breaks it (`watched`).
    #[inline]
    pub(crate) fn watch_bin(&self, op: BinOp, a: i64, b: i64) {
        if self.watch.is_empty() {
            return;
        }
        let owned = |v: i64| {
            v >> 40 == 1 && self.watch.get((v & (PTR_TAG - 1)) as usize).is_some_and(|&w| w & WATCH_OWNED != 0)
        };
        let (pa, pb) = (owned(a), owned(b));
        if !(pa || pb) {
            return;
        }
        // an integer added to or subtracted from a pointer
        let int = |v: i64| v >> 40 != 1;
        let ok = match op {
            BinOp::Eq | BinOp::Ne => true,
            BinOp::Add => int(a) || int(b),
            BinOp::Sub => int(b),
            _ => false,
        };
        if !ok {
            self.watched.set(true);
        }
    }

    /// Taking a lock word at `c`: does the symmetry rename it?
    #[inline]
    pub(crate) fn watch_lock(&self, c: usize) {
        if !self.watch.is_empty() && self.watch[c] & WATCH_LOCK == 0 {
            self.watched.set(true);
        }
    }

    pub(crate) fn violation(&self, kind: ViolationKind, t: usize, pc: u32, message: String) -> Violation {
        Violation { kind, thread: t as u32, pc, message, path: Vec::new() }
    }

    /// Run thread `t`'s local instructions until a shared one or exit.
    pub fn run_local<T: Tracer>(&self, s: &mut [i64], t: usize, tr: &mut T) -> Result<(), Violation> {
        let base = self.pcx(s, t);
        let mut pc = s[base] as u32;
        let mut fuel = LOCAL_FUEL;
        loop {
            let ins = self.instr(t, pc);
            match *ins {
                Instr::Mov(r, o) => {
                    let v = self.reg(s, t, o);
                    self.set_reg(s, t, r, v);
                    pc += 1;
                }
                Instr::Un(r, op, o) => {
                    let x = self.reg(s, t, o);
                    if !self.watch.is_empty() && !matches!(op, UnOp::Not | UnOp::Sext(42..) | UnOp::Zext(42..)) {
                        self.watch_bin(BinOp::Mul, x, 1);
                    }
                    let v = eval_un(op, x);
                    self.set_reg(s, t, r, v);
                    pc += 1;
                }
                Instr::Bin(r, op, a, b) => {
                    let (a, b) = (self.reg(s, t, a), self.reg(s, t, b));
                    self.watch_bin(op, a, b);
                    match eval_bin(op, a, b) {
                        Some(v) => self.set_reg(s, t, r, v),
                        None => {
                            s[base] = pc as i64;
                            return Err(self.violation(ViolationKind::Assertion, t, pc, "division by zero".into()));
                        }
                    }
                    pc += 1;
                }
                Instr::Jump(l) => {
                    if l <= pc {
                        fuel = fuel.saturating_sub(1);
                    }
                    pc = l;
                }
                Instr::Branch(c, a, b) => {
                    let l = if self.reg(s, t, c) != 0 { a } else { b };
                    if l <= pc {
                        fuel = fuel.saturating_sub(1);
                    }
                    pc = l;
                }
                Instr::Assert(c, kind, ref msg) => {
                    if T::ON {
                        tr.exec(t, pc, Detail::Value(self.reg(s, t, c)));
                    }
                    if self.reg(s, t, c) == 0 {
                        let k = match kind {
                            AssertKind::Assert => ViolationKind::Assertion,
                            AssertKind::Bug => ViolationKind::Bug,
                            AssertKind::Warn => ViolationKind::Warning,
                            AssertKind::Ubsan => ViolationKind::Ubsan,
                        };
                        let v = self.violation(k, t, pc, msg.clone());
                        if matches!(kind, AssertKind::Warn | AssertKind::Ubsan) {
                            // WARN_ON() reports and carries on.
                            tr.warn(v);
                        } else {
                            s[base] = pc as i64;
                            return Err(v);
                        }
                    }
                    pc += 1;
                }
                Instr::Check(check, addr) => {
                    if T::ON {
                        tr.exec(t, pc, Detail::None);
                    }
                    let a = self.reg(s, t, addr);
                    if let Some(v) = self.kernel_check(s, t, pc, check, a) {
                        tr.warn(v);
                    }
                    pc += 1;
                }
                Instr::InContext { dst, query } => {
                    let v = self.in_context(s, t, query);
                    self.set_reg(s, t, dst, v);
                    if T::ON {
                        tr.exec(t, pc, Detail::Value(v));
                    }
                    pc += 1;
                }
                Instr::Fence(_) => {
                    if T::ON {
                        tr.exec(t, pc, Detail::None);
                    }
                    pc += 1;
                }
                // without preemption a pool's kworkers never interleave
                // inside an item: the gate is no step (crate::pool)
                Instr::PoolGate if !self.prog.preempt => pc += 1,
                Instr::Bound(ref msg) => {
                    s[base] = pc as i64;
                    return Err(self.violation(ViolationKind::Bound, t, pc, msg.clone()));
                }
                Instr::Exit => {
                    s[base] = pc as i64;
                    self.clear_dead(s, t, pc);
                    return Ok(());
                }
                _ => {
                    s[base] = pc as i64;
                    self.clear_dead(s, t, pc);
                    self.arrive(s, t, pc, tr);
                    return Ok(());
                }
            }
            if fuel == 0 {
                s[base] = pc as i64;
                let msg = format!("a loop without shared accesses ran {LOCAL_FUEL} iterations: it does not terminate");
                return Err(self.violation(ViolationKind::Bound, t, pc, msg));
            }
        }
    }

    /// In a final state: a lock or RCU read-side section some task left
    /// held when it exited (lockdep: "lock held when returning to user space").
    pub fn exit_problem(&self, s: &[i64]) -> Option<Violation> {
        for t in 0..self.layout.nthreads {
            for (k, &(c, _)) in self.lock_list.iter().enumerate() {
                let read = self.layout.rheld[t] != crate::state::NONE && s[self.layout.rheld[t]] & (1 << k) != 0;
                if self.holder(s, c) == Some(t) || read {
                    let msg =
                        format!("{} exits with {} still held", self.prog.threads[t].body.name, self.prog.cell_name(c));
                    return Some(self.violation(ViolationKind::LockMisuse, t, self.pc(s, t), msg));
                }
            }
        }
        for t in 0..self.layout.nthreads {
            if self.layout.rcu_nest(s, t) > 0 {
                let msg = format!(
                    "{} exits inside an RCU read-side critical section (rcu_read_lock() without rcu_read_unlock())",
                    self.prog.threads[t].body.name
                );
                return Some(self.violation(ViolationKind::LockMisuse, t, self.pc(s, t), msg));
            }
        }
        None
    }

    #[inline]
    fn clear_dead(&self, s: &mut [i64], t: usize, pc: u32) {
        let rb = self.layout.reg_base[t];
        for &r in self.dead[t][pc as usize].iter() {
            s[rb + r as usize] = 0;
        }
    }

    /// Apply a move (see `search`): a step of CPU `mv % n`'s running
    /// context, or the start of its handler `mv / n - 1`.
    pub fn apply<T: Tracer>(&self, s: &mut [i64], mv: u32, tr: &mut T) -> Result<(), Violation> {
        let n = self.layout.nthreads as u32;
        let (t, k) = ((mv % n) as usize, mv / n);
        if k == 0 {
            self.step(s, t, tr)
        } else {
            self.fire(s, t, (k - 1) as usize, tr)
        }
    }

    /// Is the move possible in state `s`?
    pub fn can_apply(&self, s: &[i64], mv: u32) -> bool {
        let n = self.layout.nthreads as u32;
        let (t, k) = ((mv % n) as usize, mv / n);
        if t >= self.layout.nthreads {
            return false;
        }
        if k == 0 {
            self.status(s, t) == Status::Enabled
        } else {
            ((k - 1) as usize) < self.prog.threads[t].handlers.len() && self.can_fire(s, t, (k - 1) as usize)
        }
    }

    /// `~exists c` claims no final state satisfies c, `forall c` that
    /// every one does: a final state (its observed values) against the
    /// claim is a finding.
    pub fn condition_problem(&self, obs: &[Val]) -> Option<Violation> {
        let (q, c) = self.prog.quant.as_ref()?;
        let bad = match q {
            Quant::NotExists => c.eval(obs),
            Quant::Forall => !c.eval(obs),
            Quant::Exists => false,
        };
        if !bad {
            return None;
        }
        let shown: Vec<String> = self.prog.observed[..self.prog.ndisplay]
            .iter()
            .zip(obs)
            .map(|(o, v)| format!("{}={}", self.prog.observed_name(o), self.prog.show_val(*v, true)))
            .collect();
        let msg =
            format!("the final state {} contradicts the final condition `{}`", shown.join(" "), self.prog.cond_text);
        Some(Violation { kind: ViolationKind::Condition, thread: 0, pc: 0, message: msg, path: Vec::new() })
    }

    /// In state `s`, does every possible move leave the state unchanged
    /// (CPUs spinning on values nobody can change)? Returns the message.
    pub fn livelock(&self, s: &[i64]) -> Option<String> {
        let n = self.layout.nthreads;
        let mut scratch = s.to_vec();
        let mut spinners = Vec::new();
        let mut any = false;
        for t in 0..n {
            let moves = std::iter::once(t as u32)
                .chain((0..self.prog.threads[t].handlers.len()).map(|h| (t + n * (1 + h)) as u32));
            for mv in moves {
                if !self.can_apply(s, mv) {
                    continue;
                }
                any = true;
                scratch.copy_from_slice(s);
                let mut sink = NoTrace::default();
                if self.apply(&mut scratch, mv, &mut sink).is_err() || scratch != s {
                    return None;
                }
                if mv as usize == t {
                    spinners.push(format!("{} spins at `{}`", self.who(t), self.text(t as u32, self.pc(s, t))));
                }
            }
        }
        (any && (0..n).any(|t| self.status(s, t) != Status::Done)).then(|| {
            let mut msg = format!(
                "{}: nothing it waits for can change any more (a polling loop no other CPU will end)",
                spinners.join(", ")
            );
            if (0..n).any(|t| matches!(self.status(s, t), Status::Blocked(_))) {
                msg.push_str("; ");
                msg.push_str(&crate::stuck::stuck_message(self, s).1);
            }
            msg
        })
    }

    /// Some IPI is still to be answered.
    pub fn ipi_pending(&self, s: &[i64]) -> bool {
        self.layout.cpu.iter().any(|&c| c != NONE && s[c + IPI_PEND] != 0)
    }

    /// The values of the observed locations in a final state.
    pub fn observe(&self, s: &[i64], out: &mut Vec<Val>) {
        out.clear();
        for o in &self.prog.observed {
            out.push(match o {
                Observed::Reg { thread, reg, .. } => s[self.layout.reg(*thread as usize, *reg)],
                Observed::Cell { cell, .. } => s[*cell as usize],
            });
        }
    }
}
