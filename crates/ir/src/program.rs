//! The lowered program: what both engines consume.
//!
//! Every process becomes a [`Body`]: a flat array of [`Instr`]s indexed by
//! a program counter. Helper functions are inlined at lowering time, so a
//! body is self-contained and uses registers from one per-thread register
//! file. Instructions are either *local* (register arithmetic, branches,
//! no-op fences, assertions) or *shared* (one memory or synchronization
//! action). The explorer's interleaving points are exactly the shared
//! instructions: a step runs one shared instruction, then the local code
//! up to the next shared one.
//!
//! Values are `i64`. Pointers are tagged values (see [`Val`]) that carry a
//! memory cell index, so the same word can be printed as `&x` in traces
//! and as `x` in herd7 outcomes.

use kvet_syntax::Span;

/// A register index in its thread's register file.
pub type Reg = u16;

/// A value. Plain integers are themselves; a pointer to memory cell `c` is
/// `PTR_TAG | c`; a pointer to function `f` is `FN_TAG | f`; NULL is 0.
pub type Val = i64;

/// The tag of a data pointer value: `PTR_TAG | cell`.
pub const PTR_TAG: i64 = 1 << 40;
/// The tag of a function pointer value: `FN_TAG | function index`.
pub const FN_TAG: i64 = 1 << 41;
const TAG_MASK: i64 = PTR_TAG | FN_TAG;

/// The memory cell a pointer value points to, if it is a data pointer.
#[inline]
pub fn ptr_cell(v: Val) -> Option<u32> {
    if v & TAG_MASK == PTR_TAG {
        Some((v & (PTR_TAG - 1)) as u32)
    } else {
        None
    }
}

/// The pointer value to memory cell `cell`.
#[inline]
pub fn ptr_to(cell: u32) -> Val {
    PTR_TAG | cell as i64
}

/// Is `v` a data or function pointer value (a tag and nothing above it)?
#[inline]
pub fn is_pointer(v: Val) -> bool {
    v & TAG_MASK != 0 && v >> 42 == 0
}

/// The function a function-pointer value designates.
#[inline]
pub fn fn_index(v: Val) -> Option<u32> {
    if v & TAG_MASK == FN_TAG {
        Some((v & (FN_TAG - 1)) as u32)
    } else {
        None
    }
}

/// A source of a value: a register or an immediate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opd {
    /// The value in this register.
    Reg(Reg),
    /// This constant.
    Imm(Val),
}

/// A binary operator on 64-bit values; [`crate::eval_bin`] defines each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `a + b`, wrapping.
    Add,
    /// `a - b`, wrapping.
    Sub,
    /// `a * b`, wrapping.
    Mul,
    /// `a / b`, signed, rounding toward zero; division by zero has no value.
    Div,
    /// `a % b`, signed (the sign of `a`).
    Rem,
    /// `a << b`, wrapping.
    Shl,
    /// `a >> b`, a logical shift of the 64-bit word (of an unsigned value).
    Shr,
    /// `a >> b`, an arithmetic shift (of a signed value, as GCC defines it).
    Sar,
    /// Bitwise `a & b`.
    And,
    /// Bitwise `a | b`.
    Or,
    /// Bitwise `a ^ b`.
    Xor,
    /// `a & ~b` (atomic_andnot)
    AndNot,
    /// `a == b` (1 or 0).
    Eq,
    /// `a != b` (1 or 0).
    Ne,
    /// `a < b`, signed (1 or 0).
    Lt,
    /// `a <= b`, signed (1 or 0).
    Le,
    /// `a > b`, signed (1 or 0).
    Gt,
    /// `a >= b`, signed (1 or 0).
    Ge,
    /// Unsigned forms (the operands as u64): C's division, remainder and
    /// comparisons in an unsigned type, and pointer comparisons.
    DivU,
    /// `a % b` on the operands as u64.
    RemU,
    /// `a < b` on the operands as u64.
    LtU,
    /// `a <= b` on the operands as u64.
    LeU,
    /// `a > b` on the operands as u64.
    GtU,
    /// `a >= b` on the operands as u64.
    GeU,
}

/// A unary operator on 64-bit values; [`crate::eval_un`] defines each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-a`, wrapping.
    Neg,
    /// Logical `!a`: 1 if `a` is 0, else 0.
    Not,
    /// Bitwise `~a`.
    BitNot,
    /// Sign-extend the low N bits: the conversion to an N-bit signed type.
    /// A pointer value is kept (see [`crate::eval_un`]).
    Sext(u8),
    /// Keep the low N bits: the conversion to an N-bit unsigned type.
    /// A pointer value is kept (see [`crate::eval_un`]).
    Zext(u8),
}

/// The memory-ordering annotation of an access, as in linux-kernel.def.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// A plain C access (`*x = 1`, `r = *x`).
    Plain,
    /// READ_ONCE / WRITE_ONCE / relaxed atomics / rcu_dereference.
    Once,
    /// An acquire load (smp_load_acquire, `_acquire` atomics): later accesses stay after it.
    Acquire,
    /// A release store (smp_store_release, `_release` atomics): earlier accesses stay before it.
    Release,
    /// Fully ordered (value-returning atomics, xchg, cmpxchg).
    Mb,
    /// Non-value-returning RMW (atomic_inc, ...): `NORETURN` in the LKMM.
    NoReturn,
}

/// A fence or fence-like marker, as linux-kernel.def names them; under SC only a trace line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FenceKind {
    /// smp_mb(): orders everything before it against everything after.
    Mb,
    /// smp_rmb(): orders earlier loads against later loads.
    Rmb,
    /// smp_wmb(): orders earlier stores against later stores.
    Wmb,
    /// barrier(): a compiler barrier only.
    Barrier,
    /// smp_mb__before_atomic(): a full fence with the value-less RMW after it.
    BeforeAtomic,
    /// smp_mb__after_atomic(): a full fence with the value-less RMW before it.
    AfterAtomic,
    /// smp_mb__after_spinlock(): a full fence after the lock acquisition before it.
    AfterSpinlock,
    /// smp_mb__after_unlock_lock(): an unlock followed by a lock act as a full fence.
    AfterUnlockLock,
    /// smp_mb__after_srcu_read_unlock(): a full fence after srcu_read_unlock().
    AfterSrcuReadUnlock,
    /// The rcu_read_lock() event of the LKMM.
    RcuLock,
    /// The rcu_read_unlock() event of the LKMM.
    RcuUnlock,
}

/// What a read-modify-write does to the old value `old` with operand `v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RmwOp {
    /// `new = old op v`
    Op(BinOp),
    /// `new = v` (xchg)
    Xchg,
    /// `if old == cmp { new = v }` (cmpxchg); the second operand is `cmp`.
    Cmpxchg,
    /// `if old != u { new = old + v }` (atomic_add_unless); second operand is `u`.
    AddUnless,
}

/// What an RMW returns into its destination register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RmwRet {
    /// Nothing (`dst` is unused): atomic_inc() and the other value-less RMWs.
    None,
    /// The old value (fetch_ forms, xchg, cmpxchg).
    Old,
    /// The new value (`_return` forms).
    New,
    /// `new == 0` (dec_and_test, sub_and_test, inc_and_test)
    NewIsZero,
    /// `new < 0` (add_negative)
    NewIsNeg,
    /// `old != new` i.e. whether the operation happened (add_unless)
    Changed,
    /// bit `v` of old was set (test_and_set_bit ...); operand is a mask.
    OldBit,
    /// bit 7 of the new value is set (clear_bit_unlock_is_negative_byte)
    NegByte,
}

/// Which lock a lock or unlock instruction takes, with the rules of its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// spinlock_t, raw_spinlock_t
    Spin,
    /// rwlock_t taken for reading (queued rwlock rules)
    Read,
    /// rwlock_t taken for writing
    Write,
    /// struct mutex (a sleeping lock)
    Mutex,
    /// rw_semaphore taken by down_read (sleeping, shared).
    SemRead,
    /// rw_semaphore taken by down_write (sleeping, exclusive).
    SemWrite,
    /// bit_spin_lock(nr, addr): bit `nr` of the word is the lock
    Bit(u8),
}

impl LockKind {
    /// Waiting for it sleeps (the task is off the CPU) rather than spins.
    pub fn sleeps(self) -> bool {
        matches!(self, LockKind::Mutex | LockKind::SemRead | LockKind::SemWrite)
    }

    /// The kernel name of the acquire primitive, for messages.
    pub fn verb(self) -> &'static str {
        match self {
            LockKind::Spin => "spin_lock",
            LockKind::Read => "read_lock",
            LockKind::Write => "write_lock",
            LockKind::Mutex => "mutex_lock",
            LockKind::SemRead => "down_read",
            LockKind::SemWrite => "down_write",
            LockKind::Bit(_) => "bit_spin_lock",
        }
    }
}

/// Which interrupt-like context a handler body runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandlerKind {
    /// A hard interrupt handler: runs when the CPU has interrupts enabled.
    Hardirq,
    /// A softirq handler: runs when the CPU has interrupts and bottom halves enabled.
    Softirq,
    /// The function of an IPI (smp_call_function*), run as a hardirq.
    Ipi,
    /// An RCU callback (call_rcu): run as a softirq on the CPU that
    /// queued it, after a grace period (kernel/rcu/tree.c, rcu_core()).
    RcuCallback,
}

/// A handler body inside a thread's code: interrupt handlers declared for
/// the thread's CPU, and the IPI functions any CPU may send it.
#[derive(Clone, Debug, PartialEq)]
pub struct Handler {
    /// The handler's function name, for traces.
    pub name: String,
    /// The context the handler runs in.
    pub kind: HandlerKind,
    /// First pc of the handler's code in the thread's body.
    pub entry: u32,
    /// How many times it may fire (IPIs: unbounded, driven by senders).
    pub times: u32,
    /// Register receiving the IPI's `info` argument (the `rcu_head`
    /// pointer for an RCU callback).
    pub arg: Option<Reg>,
    /// Index among the program's IPI functions (IPIs) or RCU callback
    /// functions (RCU callbacks).
    pub ipi: Option<u32>,
    /// A softirq that may run whenever this cell is non-zero (the timer
    /// softirq: while timers are queued on its CPU), however often.
    pub gate: Option<u32>,
}

/// A kernel assertion about the running CPU's own state, checked where it
/// stands (a local instruction: no other CPU can change the answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelCheck {
    /// lockdep_assert_held(l): this CPU holds the lock (any mode).
    Held,
    /// lockdep_assert_held_write(l): this CPU holds the lock for writing.
    HeldWrite,
    /// lockdep_assert_held_read(l): this CPU holds the lock for reading.
    HeldRead,
    /// lockdep_assert_not_held(l).
    NotHeld,
    /// lockdep_assert_irqs_disabled(): this CPU has interrupts disabled.
    IrqsDisabled,
    /// lockdep_assert_irqs_enabled(): this CPU has interrupts enabled.
    IrqsEnabled,
    /// lockdep_assert_in_softirq(): this CPU is running a softirq handler.
    InSoftirq,
    /// lockdep_assert_in_irq(): this CPU is running a hardirq handler.
    InHardirq,
    /// might_sleep(): sleeping must be allowed here.
    MightSleep,
}

/// A question about the running context, answered from the kernel's
/// `preempt_count()` word (include/linux/preempt.h): preemption depth in
/// bits 0-7 (preempt_disable() nesting plus one per spinlock or rwlock
/// held, as with CONFIG_PREEMPT_COUNT), `SOFTIRQ_OFFSET` (0x100) while a
/// softirq is served, `SOFTIRQ_DISABLE_OFFSET` (0x200) per
/// local_bh_disable(), `HARDIRQ_OFFSET` (0x10000) in a hardirq handler;
/// kvet has no NMIs. Each query gives the kernel macro's value (a masked
/// word, or 0/1 for the negated and compared ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContextQuery {
    /// in_nmi(): `preempt_count() & NMI_MASK`.
    Nmi,
    /// in_hardirq(), in_irq(): `preempt_count() & HARDIRQ_MASK`.
    Hardirq,
    /// in_serving_softirq(): `preempt_count() & SOFTIRQ_OFFSET`.
    ServingSoftirq,
    /// in_softirq(): `preempt_count() & SOFTIRQ_MASK` (serving a softirq
    /// or bottom halves disabled).
    Softirq,
    /// in_interrupt(): `preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK)`.
    Interrupt,
    /// in_task(): `!(preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET))`.
    Task,
    /// in_atomic(): `preempt_count() != 0`.
    Atomic,
    /// preemptible(): `preempt_count() == 0 && !irqs_disabled()`.
    Preemptible,
}

impl ContextQuery {
    /// The kernel macro's name.
    pub fn name(self) -> &'static str {
        match self {
            ContextQuery::Nmi => "in_nmi",
            ContextQuery::Hardirq => "in_hardirq",
            ContextQuery::ServingSoftirq => "in_serving_softirq",
            ContextQuery::Softirq => "in_softirq",
            ContextQuery::Interrupt => "in_interrupt",
            ContextQuery::Task => "in_task",
            ContextQuery::Atomic => "in_atomic",
            ContextQuery::Preemptible => "preemptible",
        }
    }

    /// The macro's value for a `preempt_count()` word and the CPU's
    /// interrupt flag (include/linux/preempt.h, without PREEMPT_RT).
    pub fn eval(self, word: i64, irqs_off: bool) -> i64 {
        const SOFTIRQ_OFFSET: i64 = 0x100;
        const SOFTIRQ_MASK: i64 = 0xff00;
        const HARDIRQ_MASK: i64 = 0xf_0000;
        const NMI_MASK: i64 = 0xf0_0000;
        match self {
            ContextQuery::Nmi => word & NMI_MASK,
            ContextQuery::Hardirq => word & HARDIRQ_MASK,
            ContextQuery::ServingSoftirq => word & SOFTIRQ_OFFSET,
            ContextQuery::Softirq => word & SOFTIRQ_MASK,
            ContextQuery::Interrupt => word & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK),
            ContextQuery::Task => (word & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET) == 0) as i64,
            ContextQuery::Atomic => (word != 0) as i64,
            ContextQuery::Preemptible => (word == 0 && !irqs_off) as i64,
        }
    }
}

/// What kind of check fails when an assertion does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssertKind {
    /// BUG_ON(c) / BUG(): the task dies.
    Bug,
    /// WARN_ON(c) / WARN_ON_ONCE(c): reported, execution goes on.
    Warn,
    /// assert(c): the scenario's own claim.
    Assert,
    /// An undefined-behaviour check, as UBSAN reports it (a shift by the
    /// type's width or more): reported, execution goes on.
    Ubsan,
}

/// One IR instruction: local ones (registers, control flow, checks) or shared ones (one memory or
/// synchronization action, an interleaving point).
#[derive(Clone, Debug, PartialEq)]
pub enum Instr {
    // ---- local instructions ----
    /// `dst = src`.
    Mov(Reg, Opd),
    /// `dst = op a`.
    Un(Reg, UnOp, Opd),
    /// `dst = a op b` (a division by zero fails as an assertion).
    Bin(Reg, BinOp, Opd, Opd),
    /// Continue at this pc.
    Jump(u32),
    /// Jump to the first target when the operand is non-zero, else the second.
    Branch(Opd, u32, u32),
    /// Fails (a verdict) when the operand is zero. The message is the
    /// source text of the claim.
    Assert(Opd, AssertKind, String),
    /// A fence: no effect under SC, an event for the LKMM, a trace line.
    Fence(FenceKind),
    /// A kernel assertion (lockdep_assert_*(), might_sleep()) on the lock
    /// at `addr` (ignored by the checks that name no lock); reported in
    /// the kernel's words when it fails, and execution goes on.
    Check(KernelCheck, Opd),
    /// Stops the path: a bound of the model was reached (e.g. recursion).
    Bound(String),
    /// End of the body.
    Exit,
    /// End of a handler body: the interrupted context resumes.
    IrqReturn,
    // ---- shared instructions (interleaving points) ----
    /// A load of the cell at `addr` into `dst`.
    Load {
        /// The register that receives the value.
        dst: Reg,
        /// The address read (a pointer value).
        addr: Opd,
        /// The load's ordering annotation.
        ord: Order,
    },
    /// A store of `val` into the cell at `addr`.
    Store {
        /// The address written (a pointer value).
        addr: Opd,
        /// The value written.
        val: Opd,
        /// The store's ordering annotation.
        ord: Order,
    },
    /// `dst <- ret(old, new)` where `new = op(old, a, b)`, atomically.
    Rmw {
        /// The register that receives `ret`, if the value is used.
        dst: Option<Reg>,
        /// The address of the atomic cell.
        addr: Opd,
        /// How the new value follows from the old one.
        op: RmwOp,
        /// The first operand (the value added, stored or exchanged).
        a: Opd,
        /// The second operand (cmpxchg's expected value, add_unless's `u`).
        b: Opd,
        /// What the RMW returns.
        ret: RmwRet,
        /// The RMW's ordering annotation.
        ord: Order,
    },
    /// spin_lock: blocked while the lock is held.
    Lock {
        /// The lock's address.
        addr: Opd,
        /// The lock's kind and mode.
        kind: LockKind,
    },
    /// spin_unlock and the other releases: frees the lock (or one reader's share).
    Unlock {
        /// The lock's address.
        addr: Opd,
        /// The lock's kind and mode, as taken.
        kind: LockKind,
    },
    /// spin_trylock: `dst = 1` and the lock is taken if free, else `dst = 0`.
    Trylock {
        /// 1 if the lock was taken, else 0.
        dst: Reg,
        /// The lock's address.
        addr: Opd,
        /// The lock's kind and mode.
        kind: LockKind,
    },
    /// spin_is_locked
    IsLocked {
        /// 1 if the lock is held, else 0.
        dst: Reg,
        /// The lock's address.
        addr: Opd,
    },
    /// rcu_read_lock(): enters a read-side critical section (a fence event
    /// for the LKMM too).
    RcuLock,
    /// rcu_read_unlock(): leaves the innermost read-side critical section.
    RcuUnlock,
    /// synchronize_rcu: blocked until every read-side critical section
    /// that was running when it started has ended.
    SyncRcu,
    /// srcu_read_lock(ss): `dst` gets the index to pass to unlock.
    SrcuLock {
        /// The register that receives the reader index.
        dst: Reg,
        /// The srcu_struct's address.
        ss: Opd,
    },
    /// srcu_read_unlock(ss, idx): leaves the SRCU read-side section `idx` names.
    SrcuUnlock {
        /// The srcu_struct's address.
        ss: Opd,
        /// The index srcu_read_lock() returned.
        idx: Opd,
    },
    /// synchronize_srcu(ss): blocked until every SRCU reader of `ss` that was running when it
    /// started has left.
    SyncSrcu {
        /// The srcu_struct's address.
        ss: Opd,
    },
    // ---- the kernel execution model (shared: they change what can run) ----
    /// local_irq_disable()
    IrqDisable,
    /// local_irq_enable()
    IrqEnable,
    /// local_irq_save(flags): `dst` = the current state, then disable.
    IrqSave {
        /// The register that receives the flags (X86_EFLAGS_IF when interrupts were on).
        dst: Reg,
    },
    /// local_irq_restore(flags): put back exactly the saved state.
    IrqRestore {
        /// The flags local_irq_save() returned.
        src: Opd,
    },
    /// irqs_disabled()
    IrqsDisabled {
        /// 1 if this CPU has interrupts disabled, else 0.
        dst: Reg,
    },
    /// local_bh_disable(): softirqs stay off this CPU until the matching
    /// local_bh_enable().
    BhDisable,
    /// local_bh_enable(): undoes one local_bh_disable().
    BhEnable,
    /// smp_call_function_many() and friends: run IPI function `func` with
    /// `info` on every CPU in `mask` (bit n = CPU n; the sender itself is
    /// excluded unless `include_self`), waiting for all if `wait`.
    SmpCall {
        /// The target CPUs, one bit per CPU.
        mask: Opd,
        /// The IPI function: an index into [`Program::ipi_funcs`].
        func: u32,
        /// The argument passed to the IPI function.
        info: Opd,
        /// Whether the sender waits until every target ran the function.
        wait: bool,
        /// Whether the sender's own CPU is among the targets.
        include_self: bool,
    },
    /// schedule(): sleeps until the task's state is TASK_RUNNING.
    Schedule,
    /// try_to_wake_up(task, mask): if task->state & mask, make it
    /// TASK_RUNNING; `dst` = whether it did.
    WakeUp {
        /// The register that receives 1 if the task was woken, else 0.
        dst: Option<Reg>,
        /// The task_struct's address.
        task: Opd,
        /// The task states that may be woken (TASK_NORMAL, TASK_INTERRUPTIBLE, ...).
        mask: Opd,
    },
    /// The task's exit: drop its own reference to its task_struct.
    TaskExit,
    /// kmalloc/kzalloc from pool `pool`; `dst` = the object or NULL.
    Alloc {
        /// The register that receives the object's address, or NULL.
        dst: Reg,
        /// The pool: an index into [`Program::pools`].
        pool: u32,
        /// kzalloc(): the object is zeroed.
        zero: bool,
    },
    /// kmem_cache_alloc(cache): like `Alloc`, from the pool that the
    /// cache descriptor at `cache` names (its cell holds pool + 1).
    CacheAlloc {
        /// The register that receives the object's address.
        dst: Reg,
        /// The address of the kmem_cache descriptor.
        cache: Opd,
        /// kmem_cache_zalloc(): the object is zeroed.
        zero: bool,
    },
    /// kfree(addr) (NULL is a no-op).
    Free {
        /// The object's address (its first cell).
        addr: Opd,
    },
    /// kfree_rcu(addr): free once every RCU reader running now has left
    /// its read-side critical section.
    FreeRcu {
        /// The object's address (its first cell).
        addr: Opd,
    },
    /// call_rcu(head, func): queue RCU callback `func` (an index into
    /// `Program::rcu_funcs`) with argument `head`; it runs as a softirq on
    /// this CPU once every RCU reader running now has left its
    /// read-side critical section.
    CallRcu {
        /// The address of the `rcu_head` passed to the callback.
        head: Opd,
        /// The callback: an index into [`Program::rcu_funcs`].
        func: u32,
    },
    /// rcu_barrier(): wait until every queued RCU callback has run.
    RcuBarrier,
    /// An address-taken local comes into scope (zeroed).
    ScopeEnter {
        /// The local's object: an index into [`Program::objects`].
        obj: u32,
    },
    /// An address-taken local goes out of scope: later accesses are use-after-scope.
    ScopeExit {
        /// The local's object: an index into [`Program::objects`].
        obj: u32,
    },
    /// read_seqbegin: waits while the count is odd, `dst` = the count.
    SeqBegin {
        /// The register that receives the sequence count.
        dst: Reg,
        /// The seqcount's address.
        addr: Opd,
    },
    /// wait_for_completion: sleeps until `done` > 0, then takes one.
    WaitCompletion {
        /// The completion's `done` count address.
        addr: Opd,
    },
    // ---- tasks (crate::sched) ----
    /// cond_resched(): a point where the scheduler may run another task of
    /// this CPU; the task stays runnable whatever its state
    /// (preempt_schedule_common() -> __schedule(SM_PREEMPT) does not
    /// dequeue it).
    Yield,
    /// The first step of a kthread's body: the thread does not exist
    /// until kthread_create() made it (its task_struct is allocated).
    TaskStart,
    /// kthread_create(): create thread `thread` (its task_struct comes to
    /// life, sleeping in TASK_UNINTERRUPTIBLE, with `data` in its
    /// `struct kthread`); `dst` = its task_struct.
    /// `task` is the thread's task_struct cell and `data_cell` the
    /// kthread's `data` cell.
    KthreadCreate {
        /// The register that receives the new task_struct's address.
        dst: Reg,
        /// The kthread: an index into [`Program::threads`].
        thread: u32,
        /// The `data` argument, passed to the thread function.
        data: Opd,
        /// The first cell of the thread's task_struct.
        task: u32,
        /// The cell holding the kthread's `data`.
        data_cell: u32,
    },
    /// The top of a per-CPU pool's kworker loop, before it looks at the
    /// worklist (kernel/workqueue.c's concurrency management: a worker
    /// of a per-CPU pool takes an item only while no other worker of the
    /// pool runs, need_more_worker()). With preemption on, it waits while
    /// another kworker of its CPU is past this point and not asleep; with
    /// preemption off it is a local no-op (crates/explore/src/pool.rs).
    PoolGate,
    /// preempt_disable(): raises the task's preempt count.
    PreemptDisable,
    /// preempt_enable(): undoes one preempt_disable().
    PreemptEnable,
    /// preempt_count(): `dst` = the task's preempt count.
    PreemptCount {
        /// The register that receives the count.
        dst: Reg,
    },
    /// schedule_timeout(timeout) (kernel/time/sleep_timeout.c): sleeps like
    /// schedule() but its timer may fire at any point: if the task is
    /// still not TASK_RUNNING at this step, the timer wakes it and `dst` =
    /// 0; if it was woken, `dst` = the time left (`timeout`). A timeout of
    /// MAX_SCHEDULE_TIMEOUT is a plain schedule().
    ScheduleTimeout {
        /// The register that receives the jiffies left (0 once timed out).
        dst: Reg,
        /// The timeout in jiffies.
        timeout: Opd,
    },
    /// in_interrupt(), in_softirq(), in_task() and the other context
    /// macros of include/linux/preempt.h: `dst` = the macro's value for
    /// the running context. A local instruction: only the CPU's own
    /// contexts change the answer (like [`Instr::Check`]).
    InContext {
        /// The register that receives the value.
        dst: Reg,
        /// Which macro.
        query: ContextQuery,
    },
    /// wait_for_completion_timeout: takes one `done` and `dst` = 1 if
    /// there is one at this step, else times out with `dst` = 0.
    WaitCompletionTimeout {
        /// The register that receives 1 if the completion was taken, 0 if timed out.
        dst: Reg,
        /// The completion's `done` count address.
        addr: Opd,
    },
}

impl Instr {
    /// Is this an interleaving point?
    pub fn is_shared(&self) -> bool {
        !matches!(
            self,
            Instr::Mov(..)
                | Instr::Un(..)
                | Instr::Bin(..)
                | Instr::Jump(_)
                | Instr::Branch(..)
                | Instr::Assert(..)
                | Instr::Fence(_)
                | Instr::Check(..)
                | Instr::InContext { .. }
                | Instr::Bound(_)
                | Instr::Exit
        )
    }

    /// The memory access this instruction makes, if it is a load, store
    /// or RMW: (address operand, writes?, plain?).
    pub fn access(&self) -> Option<(Opd, bool, bool)> {
        match self {
            Instr::Load { addr, ord, .. } => Some((*addr, false, *ord == Order::Plain)),
            Instr::Store { addr, ord, .. } => Some((*addr, true, *ord == Order::Plain)),
            Instr::Rmw { addr, ord, .. } => Some((*addr, true, *ord == Order::Plain)),
            _ => None,
        }
    }
}

/// One instruction with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The instruction.
    pub instr: Instr,
    /// Where in the source it comes from.
    pub span: Span,
    /// The primitive or statement text shown in traces, e.g.
    /// `spin_lock(&a)` or `r0 = READ_ONCE(*x)`. Empty for glue code.
    pub text: String,
    /// The innermost inlined call this step belongs to: an index into
    /// its body's `calls`, or [`NO_CALL`] for the process's (or
    /// handler's) own code. Only traces read it.
    pub call: u32,
}

/// `Step::call` and `CallSite::parent` of top-level code.
pub const NO_CALL: u32 = u32::MAX;

/// One inlined call of a helper or prelude function, as written at its
/// call site: traces use it to show a call as one step at the level of
/// the scenario's code.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSite {
    /// The call this one is inside, or [`NO_CALL`].
    pub parent: u32,
    /// The call expression (`list_add(&wait->entry, &q->head)`).
    pub span: Span,
    /// The call expression's source text, for traces.
    pub text: String,
    /// The function called.
    pub func: String,
    /// The function is defined in the prelude.
    pub prelude: bool,
}

/// The code of one thread (or handler).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Body {
    /// The thread's name as traces show it (`P0`, or the task's name).
    pub name: String,
    /// The instructions, indexed by pc.
    pub steps: Vec<Step>,
    /// The inlined calls the steps point into (`Step::call`).
    pub calls: Vec<CallSite>,
}

impl Body {
    /// The chain of calls step `pc` is inside, outermost first.
    pub fn call_chain(&self, pc: u32) -> Vec<u32> {
        let mut v = Vec::new();
        let mut c = self.steps.get(pc as usize).map_or(NO_CALL, |s| s.call);
        while c != NO_CALL && v.len() < 256 {
            v.push(c);
            c = self.calls.get(c as usize).map_or(NO_CALL, |k| k.parent);
        }
        v.reverse();
        v
    }

    /// The call that step `pc` shows as at the level of the scenario's
    /// code: the outermost prelude call below the last call into the
    /// scenario's own code (a callback such as a wake function called
    /// from the prelude is the scenario's code again), or [`NO_CALL`]
    /// when the step is itself scenario code.
    pub fn scenario_call(&self, pc: u32) -> u32 {
        let chain = self.call_chain(pc);
        let start = chain.iter().rposition(|&c| !self.calls[c as usize].prelude).map_or(0, |i| i + 1);
        chain.get(start).copied().unwrap_or(NO_CALL)
    }
}

/// A thread: a task. A litmus process `P<n>` is the task pinned to CPU n;
/// `TASK()` declarations and kthreads are further tasks (crate::sched).
#[derive(Clone, Debug, PartialEq)]
pub struct Thread {
    /// The thread's number: its index in [`Program::threads`].
    pub index: u32,
    /// The thread whose CPU this task runs on: itself for `P<n>` and for
    /// tasks that are not pinned (each runs on a CPU of its own), `n`
    /// for a task pinned to CPU n. Interrupt handlers belong to the
    /// `P<n>` of their CPU.
    pub cpu: u32,
    /// How the task came to be.
    pub origin: TaskOrigin,
    /// The thread's code, followed by its handler bodies.
    pub body: Body,
    /// Number of registers in this thread's register file.
    pub nregs: u16,
    /// Initial register values (herd's `0:r1=...` and parameter bindings).
    pub init_regs: Vec<(Reg, Val)>,
    /// Register names, for outcomes and traces: (name, register).
    pub reg_names: Vec<(String, Reg)>,
    /// Interrupt handlers and IPI functions this CPU may run.
    pub handlers: Vec<Handler>,
    /// The first cell of this task's task_struct (`current`), if the
    /// program uses tasks.
    pub task: Option<u32>,
}

/// Where a thread comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskOrigin {
    /// A litmus process `P<n>`.
    Proc,
    /// A `TASK(cpu)` or `TASK()` declaration: runnable from the start.
    Declared,
    /// The kthread of a kthread_create()/kthread_run() call naming this
    /// function: it exists once created.
    Kthread(String),
    /// The kworker that runs work items (prelude/sched.h): asleep with
    /// nothing to do, it does not keep a scenario from ending.
    Kworker,
}

/// What kind of memory an object is, which decides its lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjKind {
    /// A global: lives for the whole run.
    Static,
    /// A task's task_struct: dies when its last reference is dropped.
    Task(u32),
    /// A slot of an allocation pool (kmalloc and friends).
    Heap(u32),
    /// An address-taken local of a thread: dies when its scope ends.
    Local(u32),
}

/// A pool of same-sized heap slots; allocation takes the lowest free one,
/// so freed memory is handed out again.
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    /// `kmalloc-N` for kmalloc's pools, the cache's name for a kmem_cache.
    pub name: String,
    /// Cells per object.
    pub size: u32,
    /// A SLAB_TYPESAFE_BY_RCU cache: a freed object stays an object of
    /// the same type while RCU readers may still hold it.
    pub typesafe_rcu: bool,
    /// Object indices of the slots.
    pub slots: Vec<u32>,
}

/// A named memory object: a global variable or struct instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The object's name (the global's, or the allocator's for heap slots).
    pub name: String,
    /// First cell and number of cells.
    pub base: u32,
    /// Number of cells.
    pub size: u32,
    /// Cell-level names for each cell of the object (`s.f`, `a[1]`).
    pub cell_names: Vec<String>,
    /// Which cells hold locks, by offset, with the lock type.
    pub lock_cells: Vec<(u32, crate::types::LockTy)>,
    /// Which memory the object is, deciding its lifetime.
    pub kind: ObjKind,
    /// The hidden cell holding the object's lifetime status (dynamic
    /// objects only): 1 live, 0 never allocated, negative = freed at
    /// `-(1 + thread + 256 * pc)`.
    pub status: Option<u32>,
}

/// Lifetime status values of dynamic objects.
pub const LIVE: Val = 1;

/// The status a free by thread `t` at `pc` leaves.
pub fn freed_status(t: u32, pc: u32) -> Val {
    -(1 + t as Val + 256 * pc as Val)
}

/// Who freed an object, from its status: (thread, pc).
pub fn freed_by(status: Val) -> Option<(u32, u32)> {
    (status < 0).then(|| {
        let v = -status - 1;
        ((v % 256) as u32, (v / 256) as u32)
    })
}

/// A location observed in the final condition or `locations` clause.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Observed {
    /// Register `reg` of thread `thread`, printed `thread:name`.
    Reg {
        /// The thread (its index).
        thread: u32,
        /// The register in that thread's file.
        reg: Reg,
        /// The register's name in the source.
        name: String,
    },
    /// Memory cell, printed by name.
    Cell {
        /// The cell's index.
        cell: u32,
        /// The cell's display name (`x`, `s.f`, `a[1]`).
        name: String,
    },
}

/// The final condition, over the observed locations (indices into
/// [`Program::observed`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// Always true.
    True,
    /// Always false.
    False,
    /// Negation.
    Not(Box<Cond>),
    /// Conjunction.
    And(Box<Cond>, Box<Cond>),
    /// Disjunction.
    Or(Box<Cond>, Box<Cond>),
    /// `a ==> b`.
    Implies(Box<Cond>, Box<Cond>),
    /// observed[idx] == value (or != when negated)
    Eq {
        /// The observed location: an index into [`Program::observed`].
        idx: usize,
        /// The value compared with.
        value: Val,
        /// The comparison is `!=`.
        negated: bool,
    },
    /// observed[a] == observed[b] (or !=)
    EqLoc {
        /// The first observed location.
        a: usize,
        /// The second observed location.
        b: usize,
        /// The comparison is `!=`.
        negated: bool,
    },
}

impl Cond {
    /// Whether the condition holds for these values of the observed locations.
    pub fn eval(&self, vals: &[Val]) -> bool {
        match self {
            Cond::True => true,
            Cond::False => false,
            Cond::Not(c) => !c.eval(vals),
            Cond::And(a, b) => a.eval(vals) && b.eval(vals),
            Cond::Or(a, b) => a.eval(vals) || b.eval(vals),
            Cond::Implies(a, b) => !a.eval(vals) || b.eval(vals),
            Cond::Eq { idx, value, negated } => (vals[*idx] == *value) != *negated,
            Cond::EqLoc { a, b, negated } => (vals[*a] == vals[*b]) != *negated,
        }
    }
}

/// The quantifier of herd7's final clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    /// `exists`: some final state satisfies the condition.
    Exists,
    /// `~exists`: no final state satisfies it.
    NotExists,
    /// `forall`: every final state satisfies it.
    Forall,
}

/// The whole lowered test or scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The test's name, from its first line.
    pub name: String,
    /// Total number of memory cells.
    pub ncells: u32,
    /// Initial memory.
    pub init_mem: Vec<Val>,
    /// Every memory object (globals, task_structs, heap slots, address-taken locals).
    pub objects: Vec<Object>,
    /// The threads: the `P<n>` processes first, then the further tasks.
    pub threads: Vec<Thread>,
    /// Names of functions whose address is taken (for printing FN_TAG values).
    pub fn_names: Vec<String>,
    /// The allocation pools, indexed by `Instr::Alloc::pool`.
    pub pools: Vec<Pool>,
    /// The IPI functions (indices used by `Instr::SmpCall`).
    pub ipi_funcs: Vec<String>,
    /// The RCU callback functions (indices used by `Instr::CallRcu`).
    pub rcu_funcs: Vec<String>,
    /// What the outcome lists: the condition's and `locations`' locations,
    /// in herd7's display order.
    pub observed: Vec<Observed>,
    /// The first `ndisplay` observed locations are displayed (herd7's
    /// outcome); the rest are read only by the filter.
    pub ndisplay: usize,
    /// The `filter` clause: final states that fail it are not outcomes.
    pub filter: Option<Cond>,
    /// The final clause's quantifier and condition.
    pub quant: Option<(Quant, Cond)>,
    /// Span of the final clause's condition, for reports.
    pub cond_text: String,
    /// Tasks may be preempted wherever preemption is enabled
    /// (CONFIG_PREEMPT): the scenario's `Preempt=yes` info line, or
    /// `kvet check --preempt`.
    pub preempt: bool,
}

impl Program {
    /// A placeholder (used while lowering restarts).
    pub(crate) fn empty() -> Program {
        Program {
            name: String::new(),
            ncells: 0,
            init_mem: Vec::new(),
            objects: Vec::new(),
            threads: Vec::new(),
            fn_names: Vec::new(),
            pools: Vec::new(),
            ipi_funcs: Vec::new(),
            rcu_funcs: Vec::new(),
            observed: Vec::new(),
            ndisplay: 0,
            filter: None,
            quant: None,
            cond_text: String::new(),
            preempt: false,
        }
    }

    /// How messages name thread `t`: `CPU<n>` for a `P<n>`, else the
    /// task's name and, when it shares a CPU, where it runs
    /// (`poller (on CPU0)`), as the explorer's messages do.
    pub fn who(&self, t: usize) -> String {
        match self.threads.get(t) {
            Some(th) if th.origin != TaskOrigin::Proc && th.cpu as usize != t => {
                format!("{} (on CPU{})", th.body.name, th.cpu)
            }
            Some(th) if th.origin != TaskOrigin::Proc => th.body.name.clone(),
            _ => format!("CPU{t}"),
        }
    }

    /// The heading of thread `t`'s column in a trace: `CPU<n>` for a
    /// `P<n>`, else the task's name and, when it shares a CPU, its CPU
    /// (`poller@CPU0`).
    pub fn column(&self, t: usize) -> String {
        match self.threads.get(t) {
            Some(th) if th.origin != TaskOrigin::Proc && th.cpu as usize != t => {
                format!("{}@CPU{}", th.body.name, th.cpu)
            }
            _ => self.who(t),
        }
    }

    /// The groups of threads that share a CPU (each with at least two
    /// threads, the CPU's own first), by CPU.
    pub fn shared_cpus(&self) -> Vec<(u32, Vec<usize>)> {
        let mut out: Vec<(u32, Vec<usize>)> = Vec::new();
        for (t, th) in self.threads.iter().enumerate() {
            if th.cpu as usize != t {
                match out.iter_mut().find(|(c, _)| *c == th.cpu) {
                    Some((_, g)) => g.push(t),
                    None => out.push((th.cpu, vec![th.cpu as usize, t])),
                }
            }
        }
        out
    }

    /// Append a hidden static object of zeroed cells after the program's
    /// own (an engine's bookkeeping: a rwlock's writer lock, an IPI's csd,
    /// a CPU's run lock); returns its first cell.
    pub fn push_hidden(
        &mut self,
        name: &str,
        cell_names: Vec<String>,
        lock_cells: Vec<(u32, crate::types::LockTy)>,
    ) -> u32 {
        self.init_mem.resize(self.ncells as usize, 0);
        let base = self.ncells;
        let size = cell_names.len() as u32;
        self.ncells += size;
        self.init_mem.resize(self.ncells as usize, 0);
        self.objects.push(Object {
            name: name.to_string(),
            base,
            size,
            cell_names,
            lock_cells,
            kind: ObjKind::Static,
            status: None,
        });
        base
    }

    /// The object holding a cell, if any.
    pub fn object_of(&self, cell: u32) -> Option<&Object> {
        self.objects.iter().find(|o| cell >= o.base && cell < o.base + o.size)
    }

    /// The display name of a memory cell (`x`, `s.f`, `a[1]`).
    pub fn cell_name(&self, cell: u32) -> String {
        for o in &self.objects {
            if cell >= o.base && cell < o.base + o.size {
                return o.cell_names[(cell - o.base) as usize].clone();
            }
        }
        format!("cell{cell}")
    }

    /// How a value prints: integers as themselves, pointers as `&name`
    /// (or herd7 style `name` when `herd` is set).
    pub fn show_val(&self, v: Val, herd: bool) -> String {
        if let Some(c) = ptr_cell(v) {
            let n = self.cell_name(c);
            if herd {
                n
            } else {
                format!("&{n}")
            }
        } else if let Some(f) = fn_index(v) {
            self.fn_names.get(f as usize).cloned().unwrap_or_else(|| format!("fn{f}"))
        } else {
            v.to_string()
        }
    }

    /// The herd7 display name of an observed location.
    pub fn observed_name(&self, o: &Observed) -> String {
        match o {
            Observed::Reg { thread, name, .. } => format!("{thread}:{name}"),
            Observed::Cell { name, .. } => name.clone(),
        }
    }
}
