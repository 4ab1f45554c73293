//! Per-thread event traces: every control-flow path of one lowered thread
//! body, with the value of each read guessed from a finite domain.
//!
//! Sources: herd7's C front end (`herd/CSem.ml`, `herd/CAction.ml`) and
//! `tools/memory-model/linux-kernel.def`.  What each primitive becomes:
//!
//! * `READ_ONCE`/`WRITE_ONCE` etc.: one `R`/`W` carrying the annotation of
//!   the `.def` (`{ONCE}`, `{ACQUIRE}`, `{RELEASE}`); plain C accesses carry
//!   none.
//! * value-returning RMWs (`xchg{O}`, `cmpxchg{O}`, `atomic_*_return{O}`,
//!   `atomic_fetch_*{O}`): an `R{O}`/`W{O}` pair, both atomic, linked by
//!   `rmw`; a failed `cmpxchg` or `atomic_add_unless` is a lone atomic `R{O}`
//!   (the bell's `FailedRMW`); `atomic_inc` and friends carry `{NORETURN}`.
//! * `spin_lock`: `LKR` then `LKW`; `spin_unlock`: `UL`; `spin_trylock`:
//!   `LKR`/`LKW` returning 1 or `LF` returning 0; `spin_is_locked`: `RL`
//!   returning 1 or `RU` returning 0 (herd's `altT`).
//! * fences, `rcu_read_lock()`/`rcu_read_unlock()`/`synchronize_rcu()`:
//!   one `F` with the tag of the `.def`; `srcu_read_lock(s)`: `R{srcu-lock}`
//!   of `s`; `srcu_read_unlock(s, i)`: `W{srcu-unlock}` of `s` with value
//!   `i`; `synchronize_srcu(s)`: herd's `SRCU` event `{sync-srcu}` on `s`.
//!
//! Dependencies are tracked through registers as herd's event structures
//! do: `addr` from the reads an address is computed from, `data` from the
//! reads a stored value is computed from (including the read of the same
//! RMW when the new value is computed from the old one), `ctrl` from the
//! reads a branch condition is computed from to every event of the two
//! branches (herd's `choiceT`): up to the join point of the branch, its
//! immediate post-dominator in the control-flow graph of the body.
//!
//! Loops are unrolled: a path taking a backward jump to the same target
//! more than `unroll` times is cut and marked as gone too far (herd's
//! `-unroll`).
//!
//! Check mode walks only the paths some coherent execution can hold (see
//! [`Walker::values`]): a read takes this thread's own last write to the
//! location (the initial value before the first), or a value another
//! thread writes there; and once the path has read a value other than
//! the initial one (so from a write other than the initial write), a
//! later read of the location takes the initial value only if another
//! thread writes that value too.  Soundness: the initial write is
//! co-first, so a read `r2` po-after a read `r1` of a non-initial write
//! `w` that read the initial write `i` would make `r1 ->rf^-1 w`,
//! `i ->co w`, `r2 ->fr w` with `r1 ->po-loc r2`: the cycle
//! `r1 ->po-loc r2 ->fr w ->rf r1` that linux-kernel.cat's `coherence`
//! axiom (`acyclic po-loc | com`) forbids, so no allowed execution holds
//! such a path, and dropping it (with all its continuations) drops no
//! allowed execution, finding or value.  Events are in po order on a
//! path (a handler's events too: they are in its CPU's po where it
//! fires).  Beyond that, a read takes only the values the other threads'
//! writes can make from the path's last access to the location, or from
//! the initial write before its first (its coherence successors, see
//! [`flips`]: a bit this thread set and nobody else clears stays set),
//! and a bit the path holds (it turned it on with an RMW) reads set where
//! every thread clears that bit only while holding it (see [`flips`]).
//! Off with [`Limits::exhaustive`] (tests/path_reductions.rs).

use super::{Derivs, GenError};

mod access;
mod alloc;
mod context;
mod cpu_share;
mod derivs;
mod flips;
mod handlers;
mod ipi;
mod kernel;
mod kthread;
mod kworker;
mod rcu;
mod rwlock;
mod spinlock;
mod timer;
use crate::exec::{EventKind, Tag, TagSet};
pub(crate) use alloc::free_race_site;
pub(crate) use cpu_share::{is_run_lock, with_run_locks};
pub(crate) use flips::{others, Flips, Holds, Others, Wrote};
pub(crate) use ipi::{ipi_wait_words, waited_for, with_ipi_cells};
use kvet_ir::{ptr_cell, FenceKind, Instr, LockKind, Opd, Order, Program, Thread, Val};
pub(crate) use rwlock::with_rwlock_cells;

/// A value herd's equation solver leaves unsolved: the value of a read
/// that depends on itself through a cycle of `rf` and data flow (herd
/// keeps such candidates with their residual constraints).  Arithmetic
/// on it gives it back; a branch on it may go either way.
pub const SYM: Val = i64::MIN + 0x5EED;
/// A value computed by an operation from an unsolved one: herd cannot
/// solve an equation through it, so nothing may read it.
pub const SYMX: Val = i64::MIN + 0x5EEE;

fn is_sym(v: Val) -> bool {
    v == SYM || v == SYMX
}

pub use super::deps::{Deps, MAX_TRACE_EVENTS};
use super::pvec::PVec;
use super::snapshot::{SnapCx, SnapOut, SnapPath, Snapshots};

/// One event of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TEv {
    pub kind: EventKind,
    pub cell: Option<u32>,
    pub val: Option<Val>,
    pub tags: TagSet,
    pub atomic: bool,
    pub addr: Deps,
    pub data: Deps,
    pub ctrl: Deps,
}

/// What a prefix stopped at an await waits for (see [`kernel`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Await {
    /// The reads (indices into the trace's events) that must all read
    /// co-last writes for the thread to wait forever.
    pub reads: Vec<u16>,
    /// The step it waits in.
    pub pc: u32,
    pub kind: AwaitKind,
}

/// Which kind of wait an [`Await`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwaitKind {
    /// schedule(): the task's state is not TASK_RUNNING.
    Sleep,
    /// A polling loop whose iteration has no side effect (spin-assume).
    Spin,
    /// wait_for_completion(): `done` is 0.
    Completion,
    /// read_seqbegin(): the count is odd.
    Seqcount,
    /// read_lock()/write_lock(): the rwlock's word does not let it in
    /// (see [`rwlock`]); waiting forever is a deadlock.
    Lock,
    /// csd_lock_wait(): a target CPU has not answered this CPU's IPI
    /// (see [`ipi`]); waiting forever is a deadlock.
    Ipi,
    /// A wait that ends the thread without being a hang, as in the SC
    /// explorer: an idle kworker's `schedule()` in its pool loop (no work
    /// left, see [`kworker`]), a kthread's start when it is never created
    /// (see [`kthread`]).  Its path is a complete one
    /// ([`ThreadPaths::traces`]) whose await read must read a co-last
    /// write.
    Idle,
}

/// A check that fails on a path (check mode, [`Limits::kernel`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The step where it fails.
    pub pc: u32,
    /// How many events of the trace come before it.
    pub at: u16,
    pub kind: FaultKind,
    pub message: String,
}

/// What kind of check a [`Fault`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// BUG_ON / WARN_ON / assert.
    Assert(kvet_ir::AssertKind),
    /// A read of freed (or out-of-scope) memory: it reads [`POISON`].
    UseAfterFree,
    /// An access through NULL: the thread oopses there.
    NullDeref,
}

/// The value a free (or the end of a scope) writes to every cell of the
/// object (check mode): reading it is a use after free.
pub const POISON: Val = i64::MIN + 0xDEAD;

/// The value `kmalloc()` without zeroing writes to the cells of a freed
/// slot it hands out again (check mode, see [`alloc`]): their old
/// contents, which the poison replaced and kvet does not model.
pub const STALE: Val = i64::MIN + 0x57A1;

/// Does a read of `v` stop the path: freed memory, or a reused slot's
/// old contents?
fn is_freed(v: Val) -> bool {
    v == POISON || v == STALE
}

/// One complete path of a thread, or (with [`Limits::blocked`]) the
/// prefix of a path up to a `spin_lock()` that waits forever, an await
/// that may never be satisfied, or a read of freed memory.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub evs: Vec<TEv>,
    /// `rmw` pairs (indices into `evs`).
    pub rmw: Vec<(u16, u16)>,
    /// Final register file.
    pub regs: Vec<Val>,
    /// Locks still held when the thread ends (or blocks).
    pub held: Vec<u32>,
    /// For a blocked prefix: the lock its next `spin_lock()` waits for.
    pub blocked: Option<u32>,
    /// The step each event comes from.
    pub pcs: Vec<u32>,
    /// For a prefix stopped at an await: what it waits for (on a
    /// complete path: the [`AwaitKind::Idle`] sleep it ends in).
    pub awaits: Option<Await>,
    /// A prefix stopped by its last fault (a read of freed memory).
    pub fault_stop: bool,
    /// Check mode: a prefix cut at the unrolling bound (an allowed
    /// execution containing it makes the check incomplete).
    pub bound: bool,
    /// The checks failing along the path (check mode).
    pub faults: Vec<Fault>,
    /// A complete path at whose end a handler may still fire: a final
    /// state for outcomes and for the checks of complete executions, as
    /// in the explorer, but not a partner of the deadlock pass, where a
    /// thread that waits forever needs the handler to have fired (see
    /// [`handlers`]).
    pub unfired: bool,
}

/// Outcome of enumerating one thread's paths.
#[derive(Clone, Debug, Default)]
pub struct ThreadPaths {
    pub traces: Vec<Trace>,
    /// Prefixes blocked at a `spin_lock()` (only with [`Limits::blocked`]).
    pub blocked: Vec<Trace>,
    /// Every (cell, value) some path writes, including paths cut later.
    pub written: Vec<(u32, Val, Derivs)>,
    /// Check mode: per cell, how its writes change it (see [`flips`]).
    pub flips: Vec<(u32, Flips)>,
    /// Some path went past the unrolling bound (or hit a `Bound`).
    pub toofar: bool,
    /// The most writes any explored path prefix made (complete, stopped
    /// or cut): the value fixpoint's sound round bound counts these.
    pub max_writes: u32,
    /// The complete paths found (stored in `traces` or, in a value round
    /// of [`round_paths`], only counted).
    pub complete: usize,
    /// The most writes a complete path makes.
    pub complete_writes: usize,
    /// The cells whose domain (in `dom`, its masks, `other`) the walk
    /// looked up, sorted: the walk depends on nothing else that changes
    /// between the value rounds but the lock snapshots (see
    /// [`round_paths`]).
    pub consulted: Vec<u32>,
    /// Check mode: what the walk found for the lock snapshots' fixpoint
    /// (see [`super::snapshot`]).
    pub snap: SnapOut,
    /// A round walk ([`round_paths`]) with lock snapshots read a cell
    /// under a lock that does not track it yet, and stopped there: the
    /// rest of its result is partial, and the round is walked again once
    /// the cell is tracked (see [`super::snapshot::Fixpoint::update`]).
    pub retrack: bool,
}

#[derive(Clone)]
struct St {
    pc: u32,
    regs: Vec<Val>,
    taint: Vec<Deps>,
    ctrl: Deps,
    evs: PVec<TEv>,
    rmw: Vec<(u16, u16)>,
    loops: Vec<(u32, u32)>,
    held: Vec<u32>,
    /// Open conditionals: (join pc, condition's reads).
    scopes: Vec<(u32, Deps)>,
    /// Per event: the sites its value goes through (see [`Masks`]), as
    /// an id of [`Walker::derivs`] (a [`Derivs`] is hundreds of bytes).
    rmask: PVec<u32>,
    /// Writes so far on this path.
    nwrites: u32,
    /// Per step that wrote on this path, by step: how many writes it made (the
    /// occurrence of a site key, see [`SiteKeys`]).
    wrote_at: Vec<(u32, u32)>,
    /// The step of each event.
    pcs: PVec<u32>,
    /// Failed checks so far.
    faults: Vec<Fault>,
    /// Interrupts disabled (local_irq_disable and friends).
    irq_off: bool,
    /// Objects whose scope has been entered on this path.
    entered: Vec<u32>,
    /// rcu_read_lock() nesting.
    rcu: u32,
    /// preempt_disable() nesting (preempt_count()).
    preempt: u32,
    /// Per loop head: events and registers at the last arrival.
    heads: Vec<(u32, usize, std::rc::Rc<[Val]>)>,
    /// This path's last write to each cell it wrote (check mode), by cell.
    own: Vec<(u32, Val)>,
    /// The handlers running, innermost last (see [`handlers`]).
    ctx: Vec<handlers::Frame>,
    /// How often each handler has fired.
    fired: Vec<u32>,
    /// Bottom halves disabled (local_bh_disable() nesting, and a running
    /// softirq).
    bh: u32,
    /// rwlocks read-held (see [`context`]).
    rd: u32,
    /// The (events, firings, handlers that may fire) mark of the last
    /// boundary where handlers were offered.
    offered: Option<(usize, u32, u64)>,
    /// Check mode: the cells this path has read a value other than the
    /// initial one from (see [`Walker::values`]: it cannot read the
    /// initial write after that).
    past_init: Vec<u32>,
    /// Check mode: the value of this path's last access to each cell it
    /// accessed, by cell (see [`flips`]).
    last: Vec<(u32, Val)>,
    /// The last empty run of a gated softirq: its read of the gate and
    /// the events when it returned (see [`timer`]).
    gate_idle: Option<(u16, usize)>,
    /// A task of a shared CPU that is not on it (see [`cpu_share`]): it
    /// takes the CPU before its next step.
    off_cpu: bool,
    /// With preemption on: this path was just preempted before the step
    /// it is at (see [`cpu_share`]), so it does not split there again.
    preempted: bool,
    /// Check mode: per tracked lock, the path's view of its snapshots
    /// (see [`super::snapshot`]).
    snap: std::rc::Rc<Vec<SnapPath>>,
    /// Check mode: the bits of each cell this path holds (see [`flips`]).
    holds: Holds,
}

/// Read-value domains per memory cell (sorted, duplicate-free; litmus
/// mode's rounds append [`SYM`] to those without it).
pub type Domains = Vec<Vec<Val>>;

/// Where value `v` (not [`SYM`]) is in domain `dom`.
fn dom_index(dom: &[Val], v: Val) -> Option<usize> {
    let sorted = match dom.split_last() {
        Some((&last, rest)) if is_sym(last) => rest,
        _ => dom,
    };
    sorted.binary_search(&v).ok()
}

/// For each value of [`Domains`] (same shape), the write sites of its
/// known derivations ([`Derivs`]: a few minimal site sets; merging them
/// by intersection only keeps more values).  A site is a write of a
/// thread's path (see [`SiteKeys`]); one execution uses each site at most
/// once along a chain of values, so a write whose value needs its own
/// site in every known derivation is skipped when collecting values (a
/// cycle: herd's unsolved values, see [`SYM`]).
pub type Masks = Vec<Vec<Derivs>>;

/// Check mode's write sites of one thread: the `i`-th key is the thread's
/// site `i`, a write named by its step and by how many writes of that
/// step come before it on the path.  One path holds each key at most once,
/// like the `k`-th write of a path, but unlike that position the key of a
/// write stays the same on every path that makes it, so the intersection
/// of a value's derivations on different paths keeps it: a counter
/// decremented once per execution is not decremented again by itself.
/// Litmus mode numbers sites by position (the counts herd7 gives).
pub type SiteKeys = std::cell::RefCell<Vec<(u32, u32)>>;

fn order_tag(o: Order) -> TagSet {
    match o {
        Order::Plain => TagSet::EMPTY,
        Order::Once => TagSet::of(&[Tag::ONCE]),
        Order::Acquire => TagSet::of(&[Tag::ACQUIRE]),
        Order::Release => TagSet::of(&[Tag::RELEASE]),
        Order::Mb => TagSet::of(&[Tag::MB]),
        Order::NoReturn => TagSet::of(&[Tag::NORETURN]),
    }
}

fn fence_tag(k: FenceKind) -> Tag {
    match k {
        FenceKind::Mb => Tag::MB,
        FenceKind::Rmb => Tag::RMB,
        FenceKind::Wmb => Tag::WMB,
        FenceKind::Barrier => Tag::BARRIER,
        FenceKind::BeforeAtomic => Tag::BEFORE_ATOMIC,
        FenceKind::AfterAtomic => Tag::AFTER_ATOMIC,
        FenceKind::AfterSpinlock => Tag::AFTER_SPINLOCK,
        FenceKind::AfterUnlockLock => Tag::AFTER_UNLOCK_LOCK,
        FenceKind::AfterSrcuReadUnlock => Tag::AFTER_SRCU_READ_UNLOCK,
        FenceKind::RcuLock => Tag::RCU_LOCK,
        FenceKind::RcuUnlock => Tag::RCU_UNLOCK,
    }
}

/// Limits of the enumeration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub unroll: u32,
    pub max_traces: usize,
    /// Also collect the prefixes blocked at each `spin_lock()`
    /// ([`ThreadPaths::blocked`]), for the deadlock search.
    pub blocked: bool,
    /// Check mode (`kvet check --model lkmm`): record failing assertions
    /// and reads of freed memory, and cut side-effect-free polling-loop
    /// iterations into awaits (spin-assume).  Off for litmus tests, whose
    /// counts must be herd7's.
    pub kernel: bool,
    /// Give up with [`GenError::Timeout`] after this instant.
    pub deadline: Option<std::time::Instant>,
    /// Turn off the exact reductions of the path walk (check mode's read
    /// coherence, see [`Walker::values`]), for the tests that show they
    /// change no finding ([`super::GenOptions::exhaustive`]).
    pub exhaustive: bool,
}

pub(super) struct Walker<'a> {
    /// Immediate post-dominator of each branch (`u32::MAX`: the exit).
    ipdom: Vec<u32>,
    /// The run lock of this thread's CPU, when tasks share it (see
    /// [`cpu_share`]).
    runlock: Option<u32>,
    prog: &'a Program,
    th: &'a Thread,
    dom: &'a Domains,
    lim: Limits,
    out: ThreadPaths,
    written: std::cell::RefCell<Vec<(u32, Val, Derivs)>>,
    /// What `written` holds, to add each entry once.
    written_set: std::cell::RefCell<rustc_hash::FxHashSet<(u32, Val, u32)>>,
    /// `site_keys` indexed: key -> site number (kept up to date with it).
    key_ix: std::cell::RefCell<rustc_hash::FxHashMap<(u32, u32), u32>>,
    /// See [`ThreadPaths::max_writes`].
    max_writes: std::cell::Cell<u32>,
    /// Value masks and this thread's first site, when sites are tracked.
    sites: Option<(&'a Masks, u32)>,
    /// Check mode: this thread's write sites, as (step, occurrence on the
    /// path) keys in the order first met (see [`SiteKeys`]).
    site_keys: Option<&'a SiteKeys>,
    /// Targets of backward jumps.
    loop_heads: Vec<u32>,
    /// Check mode: per cell, the values other threads write there and
    /// how they change it.
    other: Option<&'a Others>,
    /// Check mode: per cell, how this walk's writes change it.
    flips: std::cell::RefCell<rustc_hash::FxHashMap<u32, Flips>>,
    /// The derivations of the paths' event values (see [`St::rmask`]).
    derivs: derivs::DerivIds,
    /// The id of each (cell, domain index)'s derivations in `derivs`.
    read_ids: std::cell::RefCell<rustc_hash::FxHashMap<(u32, usize), u32>>,
    /// Stopped prefixes, in the order found ([`ThreadPaths::blocked`]).
    prefixes: std::cell::RefCell<Vec<Trace>>,
    /// An error found where none can be returned.
    deferred: std::cell::RefCell<Option<GenError>>,
    /// Check mode: the most readers an rwlock may have (see [`rwlock`]).
    max_readers: Val,
    /// Check mode: per rwlock cell, its writer-lock cell (see [`rwlock`]).
    wlocks: Vec<(u32, u32)>,
    /// Check mode: the bytes of the paths and prefixes stored so far, and
    /// their bound (see [`MAX_PATH_BYTES`]).
    stored: std::cell::Cell<(u64, u64)>,
    /// Check mode: the IPIs' hidden cells and bounds (see [`ipi`]).
    ipi: ipi::Table,
    /// Store the paths in [`ThreadPaths::traces`]; a value round
    /// ([`round_paths`]) only counts them.
    keep: bool,
    /// The cells looked up so far (a bit per cell, see
    /// [`ThreadPaths::consulted`]).
    consulted: std::cell::RefCell<Vec<u64>>,
    /// Check mode: the lock snapshots this walk prunes with.
    snap: Option<SnapCx<'a>>,
    /// Check mode (not exhaustive): record the cells read under each lock.
    snap_collect: bool,
    /// See [`ThreadPaths::snap`].
    snap_out: std::cell::RefCell<SnapOut>,
    /// See [`ThreadPaths::retrack`].
    out_retrack: std::cell::Cell<bool>,
}

/// Check mode: the most bytes one thread's stored paths and prefixes may
/// take (less if `--max-memory`'s budget is smaller): long kernel threads
/// (a task's exit runs hundreds of events) with many paths would
/// otherwise fill the machine before the work bound stops the search.
/// Past it the generator stops with [`GenError::TooLarge`], never a
/// verdict.
pub const MAX_PATH_BYTES: u64 = 512 << 20;

impl Walker<'_> {
    fn val(&self, st: &St, o: Opd) -> Val {
        match o {
            Opd::Imm(v) => v,
            Opd::Reg(r) => st.regs.get(r as usize).copied().unwrap_or(0),
        }
    }
    fn taint(&self, st: &St, o: Opd) -> Deps {
        match o {
            Opd::Imm(_) => Deps::NONE,
            Opd::Reg(r) => st.taint.get(r as usize).copied().unwrap_or_default(),
        }
    }
    fn set(&self, st: &mut St, r: u16, v: Val, t: Deps) {
        let r = r as usize;
        if r >= st.regs.len() {
            st.regs.resize(r + 1, 0);
            st.taint.resize(r + 1, Deps::NONE);
        }
        st.regs[r] = v;
        st.taint[r] = t;
    }

    fn err(&self, pc: u32, what: String) -> GenError {
        let step = self.th.body.steps.get(pc as usize);
        let text = step.map(|s| s.text.clone()).unwrap_or_default();
        let span = step.map(|s| s.span).unwrap_or_default();
        let short = what.trim_start_matches("not supported by the LKMM engine: ").to_string();
        let name = if text.is_empty() { short } else { text.clone() };
        GenError::Construct {
            what: if text.is_empty() { what } else { format!("{what} (`{text}`)") },
            name,
            thread: self.th.index,
            pc,
            span,
        }
    }

    /// The cell an address operand designates; `Err` (path cut) otherwise.
    fn cell(&self, st: &St, o: Opd) -> Option<u32> {
        let v = self.val(st, o);
        ptr_cell(v).filter(|c| *c < self.prog.ncells)
    }

    /// Append an event (its `ctrl` is the open conditionals').
    /// A read of `cell` into `dst`: one path per value the location can
    /// hold; the first value continues in `st`, the others are pushed.
    #[allow(clippy::too_many_arguments)]
    fn read(
        &self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        cell: u32,
        addr: Opd,
        tags: TagSet,
        dst: u16,
    ) -> Result<bool, GenError> {
        let at = self.taint(st, addr);
        let ev = |v| TEv {
            kind: EventKind::Read,
            cell: Some(cell),
            val: Some(v),
            tags,
            atomic: false,
            addr: at,
            data: Deps::NONE,
            ctrl: Deps::NONE,
        };
        let vals = self.values(st, cell);
        let Some((&first, rest)) = vals.split_first() else {
            return Ok(false);
        };
        for &v in rest.iter().rev() {
            let mut s2 = st.clone();
            let e = self.push(&mut s2, pc, ev(v))?;
            if is_freed(v) {
                self.freed_read(s2, pc, cell)?;
                continue;
            }
            self.set(&mut s2, dst, v, Deps::bit(e));
            stack.push(s2);
        }
        let e = self.push(st, pc, ev(first))?;
        if is_freed(first) {
            self.freed_read(st.clone(), pc, cell)?;
            return Ok(false);
        }
        self.set(st, dst, first, Deps::bit(e));
        Ok(true)
    }

    /// The values a read of `cell` may return on this path: every value
    /// of its domain, or in check mode only those coherence allows (see
    /// [`paths_with`]).
    fn values(&self, st: &St, cell: u32) -> Vec<Val> {
        self.consult(cell);
        let dom = &self.dom[cell as usize];
        let Some(other) = self.other else {
            return dom.clone();
        };
        let base = match st.own.binary_search_by_key(&cell, |o| o.0).ok().map(|i| &st.own[i]) {
            Some(o) => o.1,
            None => self.prog.init_mem.get(cell as usize).copied().unwrap_or(0),
        };
        let oth = &other[cell as usize];
        // (read coherence: after reading a write other than the initial
        // one, the initial write, co-first, is gone; its value stays
        // only if some other thread writes it too)
        let init_gone = !self.lim.exhaustive
            && st.own.binary_search_by_key(&cell, |o| o.0).is_err()
            && st.past_init.contains(&cell);
        let base_ok = |v: Val| v == base && !init_gone;
        let mut vals: Vec<Val> =
            dom.iter().copied().filter(|v| base_ok(*v) || is_sym(*v) || oth.binary_search(v).is_ok()).collect();
        if self.snap_collect {
            let mut out = self.snap_out.borrow_mut();
            for &l in &st.held {
                if !self.snap.as_ref().is_some_and(|cx| cx.tracks_under(l, cell)) {
                    out.read_in.insert((l, cell));
                }
                // (a round walk that meets a cell its tables do not track
                // yet under a lock stops: the round is walked again with
                // the cell tracked, see [`ThreadPaths::retrack`])
                if !self.keep && self.snap.as_ref().is_some_and(|cx| cx.joins(l, cell)) {
                    self.out_retrack.set(true);
                }
            }
        }
        if let Some(cx) = &self.snap {
            cx.filter(&st.snap, cell, self.own_value(st, cell), &mut vals);
        }
        // (coherence successors of the path's last access, or of the
        // initial write before its first, see [`flips`])
        if !self.lim.exhaustive {
            let f = &other.flips[cell as usize];
            let last = match st.last.binary_search_by_key(&cell, |o| o.0) {
                Ok(i) => Some(st.last[i].1),
                // (an unsolved last access is kept too, so this is the first)
                Err(_) => Some(self.prog.init_mem.get(cell as usize).copied().unwrap_or(0)),
            };
            if let Some(last) = last.filter(|l| !is_sym(*l)) {
                vals.retain(|u| is_sym(*u) || f.reachable(last, *u));
            }
            // (a disciplined bit the path holds reads set, see [`flips`])
            let held = st.holds.of(cell) & !f.wild;
            if held != 0 {
                vals.retain(|u| is_sym(*u) || (*u as u64) & held == held);
            }
        }
        vals
    }

    /// This path's last write to `cell` (check mode).
    fn own_value(&self, st: &St, cell: u32) -> Option<Val> {
        st.own.binary_search_by_key(&cell, |o| o.0).ok().map(|i| st.own[i].1)
    }

    /// Keep the path's lock snapshots (see [`super::snapshot`]) up to date
    /// with event `ev` it is about to append.
    fn snap_event(&self, st: &mut St, pc: u32, ev: &TEv) {
        let (Some(cx), Some(c)) = (&self.snap, ev.cell) else { return };
        // (the paths share their snapshot views until one changes)
        fn mut_snap(st: &mut St) -> &mut Vec<SnapPath> {
            std::rc::Rc::make_mut(&mut st.snap)
        }
        match (ev.kind, ev.val) {
            (EventKind::LockWrite, _) if cx.is_lock(c) => cx.enter(mut_snap(st), c, pc),
            (EventKind::Unlock, _) if cx.is_lock(c) => cx.exit(mut_snap(st), c, &mut self.snap_out.borrow_mut()),
            (EventKind::Write, Some(v)) if cx.tracks(c) => {
                cx.write(mut_snap(st), c, v, &mut self.snap_out.borrow_mut())
            }
            (EventKind::Read, Some(v)) if cx.tracks(c) => {
                let own = self.own_value(st, c);
                if cx.would_narrow(&st.snap, c) {
                    cx.narrow(mut_snap(st), c, v, own)
                }
            }
            _ => {}
        }
    }

    /// A successful spin_lock(): the lock-read and lock-write events of
    /// linux-kernel.def's LKR/LKW, and the lock is held from here on.
    fn acquire(&self, st: &mut St, pc: u32, cell: u32, at: Deps) -> Result<(), GenError> {
        st.held.push(cell);
        self.push(st, pc, cell_event(EventKind::LockRead, cell, at))?;
        self.push(st, pc, cell_event(EventKind::LockWrite, cell, at))?;
        Ok(())
    }

    /// The site number (from the thread's first) of the write `st` is
    /// about to make at step `pc`.
    fn site_index(&self, st: &St, pc: u32) -> u32 {
        let Some(keys) = self.site_keys else {
            return st.nwrites;
        };
        let occ = st.wrote_at.binary_search_by_key(&pc, |w| w.0).map_or(0, |i| st.wrote_at[i].1);
        let mut keys = keys.borrow_mut();
        let mut ix = self.key_ix.borrow_mut();
        // (another walk of this thread, an earlier round, may have added keys)
        for (i, k) in keys.iter().enumerate().skip(ix.len()) {
            ix.insert(*k, i as u32);
        }
        match ix.get(&(pc, occ)) {
            Some(&i) => i,
            None => {
                keys.push((pc, occ));
                ix.insert((pc, occ), keys.len() as u32 - 1);
                keys.len() as u32 - 1
            }
        }
    }

    fn push(&self, st: &mut St, pc: u32, ev: TEv) -> Result<usize, GenError> {
        if st.evs.len() >= MAX_TRACE_EVENTS {
            return Err(
                self.err(pc, format!("thread P{} has more than {MAX_TRACE_EVENTS} events on one path", self.th.index))
            );
        }
        let mut mask = derivs::FREE;
        // (unsolved values stand for cycles: they carry no sites)
        if let (Some((masks, base)), Some(c), Some(v)) = (self.sites, ev.cell, ev.val.filter(|v| !is_sym(*v))) {
            match ev.kind {
                EventKind::Read => {
                    self.consult(c);
                    if let Some(k) = dom_index(&self.dom[c as usize], v) {
                        let mut ids = self.read_ids.borrow_mut();
                        mask = *ids.entry((c, k)).or_insert_with(|| self.derivs.intern(masks[c as usize][k]));
                    }
                }
                EventKind::Write => {
                    for i in ev.data.iter() {
                        mask = self.derivs.join(mask, st.rmask.get(i).copied().unwrap_or(derivs::FREE));
                    }
                    let site = base + self.site_index(st, pc);
                    // (a cycle if every derivation needs this site: not recorded)
                    mask = self.derivs.through(mask, site);
                }
                _ => {}
            }
        }
        self.snap_event(st, pc, &ev);
        if let (EventKind::Write, Some(c), Some(v)) = (ev.kind, ev.cell, ev.val) {
            if self.other.is_some() {
                match st.own.binary_search_by_key(&c, |o| o.0) {
                    Ok(i) => st.own[i].1 = v,
                    Err(i) => st.own.insert(i, (c, v)),
                }
            }
            // (recorded in every check-mode walk, a round's memo reused or not)
            if self.lim.kernel {
                self.note_flip(st, &ev, c, v);
            }
            st.nwrites += 1;
            match st.wrote_at.binary_search_by_key(&pc, |w| w.0) {
                Ok(i) => st.wrote_at[i].1 += 1,
                Err(i) => st.wrote_at.insert(i, (pc, 1)),
            }
            self.max_writes.set(self.max_writes.get().max(st.nwrites));
            self.note_written((c, v, mask));
        }
        if let (EventKind::Read, Some(c), Some(v), true) = (ev.kind, ev.cell, ev.val, self.other.is_some()) {
            if !is_sym(v) && v != self.prog.init_mem.get(c as usize).copied().unwrap_or(0) && !st.past_init.contains(&c)
            {
                st.past_init.push(c);
            }
        }
        if let (EventKind::Read | EventKind::Write, Some(c), Some(v), true) =
            (ev.kind, ev.cell, ev.val, self.other.is_some())
        {
            // (an unsolved value stays, as a mark that the cell was
            // accessed: it constrains nothing)
            match st.last.binary_search_by_key(&c, |o| o.0) {
                Ok(i) => st.last[i].1 = v,
                Err(i) => st.last.insert(i, (c, v)),
            }
        }
        self.push_event(st, pc, ev, mask);
        Ok(st.evs.len() - 1)
    }

    /// Jump to `t` from `pc`, counting backward jumps; `false` if too far
    /// (or, in check mode, cut as a spinning iteration).
    fn jump(&mut self, st: &mut St, pc: u32, t: u32) -> bool {
        if t <= pc && self.lim.kernel && self.spins(st, t) {
            return false;
        }
        if t <= pc {
            match st.loops.iter_mut().find(|(x, _)| *x == t) {
                Some((_, n)) => {
                    *n += 1;
                    if *n > self.lim.unroll {
                        self.too_far(st);
                        return false;
                    }
                }
                None => {
                    if self.lim.unroll == 0 {
                        self.too_far(st);
                        return false;
                    }
                    st.loops.push((t, 1));
                }
            }
        }
        st.pc = t;
        true
    }

    /// Count a path of `st`'s size against [`MAX_PATH_BYTES`] (check
    /// mode).
    fn store_path(&self, st: &St) -> Result<(), GenError> {
        let (used, max) = self.stored.get();
        if max == 0 {
            return Ok(());
        }
        let bytes = (st.evs.len() * std::mem::size_of::<TEv>()
            + st.pcs.len() * 4
            + st.regs.len() * 8
            + std::mem::size_of::<Trace>()) as u64;
        let used = used + bytes;
        self.stored.set((used, max));
        if used > max {
            return Err(GenError::TooLarge(format!(
                "the paths of thread P{} take more than {} MiB",
                self.th.index,
                max >> 20
            )));
        }
        Ok(())
    }

    /// Record a write's (cell, value, derivations) once, unless its
    /// derivations are a cycle: a value round stores no path, and its
    /// millions of paths write the same few values.
    fn note_written(&self, (c, v, id): (u32, Val, u32)) {
        if self.written_set.borrow_mut().insert((c, v, id)) {
            let d = self.derivs.get(id);
            if !d.is_cycle() {
                self.written.borrow_mut().push((c, v, d));
            }
        }
    }

    /// Note how the write `ev` of `v` to `c` that `st` is about to append
    /// changes `c` (see [`flips`]): an atomic RMW's write (right after its
    /// read) by its transition, any other write by the value it stores;
    /// and the bits it leaves clear outside the path's holding of them
    /// ([`Flips::wild`]), the path's held bits following it.
    fn note_flip(&self, st: &mut St, ev: &TEv, c: u32, v: Val) {
        let prev = st.evs.len().checked_sub(1).map(|i| &st.evs[i]);
        let old = prev
            .filter(|r| ev.atomic && r.atomic && r.kind == EventKind::Read && r.cell == Some(c))
            .and_then(|r| r.val);
        let wild = st.holds.write(c, old, v, is_sym(v) || old.is_some_and(is_sym));
        let mut flips = self.flips.borrow_mut();
        let f = flips.entry(c).or_default();
        f.wild |= wild;
        match old {
            _ if is_sym(v) => {
                f.set = u64::MAX;
                f.clr = u64::MAX;
            }
            Some(o) if is_sym(o) => {
                f.set = u64::MAX;
                f.clr = u64::MAX;
            }
            Some(o) => f.transition(o, v),
            None => f.store(v),
        }
    }

    /// Append `ev`, whose value's derivations are `mask` (an id of
    /// [`Walker::derivs`]), to the path: the last part of [`Self::push`].
    fn push_event(&self, st: &mut St, pc: u32, mut ev: TEv, mask: u32) {
        ev.ctrl = st.ctrl;
        st.evs.push(ev);
        st.rmask.push(mask);
        st.pcs.push(pc);
    }

    /// Note that the walk looked up the domain of `cell`.
    fn consult(&self, cell: u32) {
        let mut bits = self.consulted.borrow_mut();
        let (w, b) = (cell as usize / 64, cell % 64);
        if bits.len() <= w {
            bits.resize(w + 1, 0);
        }
        bits[w] |= 1 << b;
    }

    /// Count a complete path `st` (and its writes) against
    /// [`Limits::max_traces`]; `true` if it is to be stored (then counted
    /// against [`MAX_PATH_BYTES`] too, if `bytes`).
    fn complete_path(&mut self, st: &St, bytes: bool) -> Result<bool, GenError> {
        if self.out.complete >= self.lim.max_traces {
            return Err(GenError::TooLarge(format!(
                "thread P{} has more than {} paths",
                self.th.index, self.lim.max_traces
            )));
        }
        self.out.complete += 1;
        let writes = st.evs.iter().filter(|e| e.kind == EventKind::Write).count();
        self.out.complete_writes = self.out.complete_writes.max(writes);
        if !self.keep {
            return Ok(false);
        }
        if bytes {
            self.store_path(st)?;
        }
        Ok(true)
    }

    fn finish(&mut self, mut st: St) -> Result<(), GenError> {
        let Some(awaits) = self.ipi_answered(&mut st)? else { return Ok(()) };
        // (a task of a shared CPU leaves it as it ends)
        let pc = st.pcs.last().copied().unwrap_or(0);
        self.cpu_release(&mut st, pc)?;
        let unfired = self.must_fire(&st);
        if !self.complete_path(&st, true)? {
            return Ok(());
        }
        self.out.traces.push(Trace {
            evs: st.evs.to_vec(),
            rmw: st.rmw,
            regs: st.regs,
            held: st.held,
            blocked: None,
            pcs: st.pcs.to_vec(),
            awaits,
            fault_stop: false,
            bound: false,
            faults: st.faults,
            unfired,
        });
        Ok(())
    }

    fn run(&mut self, init: St) -> Result<(), GenError> {
        let mut stack = vec![init];
        // The bound is checked (and one unit of work spent) every 1024
        // interpreted steps, not every 1024 paths: kernel scenarios have
        // paths of hundreds of steps, and counting paths let a bounded
        // run go on for tens of seconds.
        let mut steps = 0u32;
        let th = self.th;
        'paths: while let Some(mut st) = stack.pop() {
            loop {
                if self.out_retrack.get() {
                    return Ok(());
                }
                steps = steps.wrapping_add(1);
                if steps & 1023 == 0
                    && (crate::deadline::passed() || self.lim.deadline.is_some_and(|d| std::time::Instant::now() > d))
                {
                    return Err(GenError::Timeout);
                }
                let pc = st.pc;
                if st.scopes.iter().any(|(j, _)| *j == pc) {
                    st.scopes.retain(|(j, _)| *j != pc);
                    st.ctrl = st.scopes.iter().fold(Deps::NONE, |a, (_, d)| a | *d);
                }
                if st.off_cpu && !self.cpu_take(&mut st, pc)? {
                    continue 'paths;
                }
                if self.lim.kernel {
                    self.offer_handlers(&mut st, &mut stack);
                }
                let Some(step) = th.body.steps.get(pc as usize) else {
                    self.finish(st)?;
                    continue 'paths;
                };
                if self.lim.kernel && self.loop_heads.contains(&pc) {
                    st.heads.retain(|h| h.0 != pc);
                    st.heads.push((pc, st.evs.len(), st.regs.as_slice().into()));
                }
                self.offer_preemption(&mut st, &mut stack, pc, &step.instr)?;
                if !self.exec(&mut st, &mut stack, pc, &step.instr)? {
                    continue 'paths;
                }
            }
        }
        Ok(())
    }

    /// Interpret one instruction at `pc` on the path `st`, pushing the
    /// other branches it opens on `stack`; `false` if the path ends here
    /// (taken, or cut).
    fn exec(&mut self, st: &mut St, stack: &mut Vec<St>, pc: u32, instr: &Instr) -> Result<bool, GenError> {
        match instr {
            Instr::Mov(r, a) => {
                let (v, t) = (self.val(st, *a), self.taint(st, *a));
                self.set(st, *r, v, t);
            }
            Instr::Un(r, op, a) => {
                let x = self.val(st, *a);
                // a conversion keeps a symbolic read value: the
                // values a location holds are of its type already
                let v = match op {
                    _ if !is_sym(x) => kvet_ir::eval_un(*op, x),
                    kvet_ir::UnOp::Sext(_) | kvet_ir::UnOp::Zext(_) => x,
                    _ => SYMX,
                };
                let t = self.taint(st, *a);
                self.set(st, *r, v, t);
            }
            Instr::Bin(r, op, a, b) => {
                let t = self.taint(st, *a) | self.taint(st, *b);
                let (x, y) = (self.val(st, *a), self.val(st, *b));
                let Some(v) = (if is_sym(x) || is_sym(y) { Some(SYMX) } else { kvet_ir::eval_bin(*op, x, y) }) else {
                    // division by zero: a finding in check mode,
                    // else this path does not exist
                    self.division_by_zero(take(st), pc)?;
                    return Ok(false);
                };
                self.set(st, *r, v, t);
            }
            Instr::Jump(t) => return Ok(self.jump(st, pc, *t)),
            Instr::Branch(c, t, f) => return Ok(self.branch(st, stack, pc, *c, *t, *f)),
            Instr::Check(..) => {
                // lockdep and KCSAN assertions are checked by the
                // SC explorer only (docs/language.md §7.1)
            }
            Instr::Assert(c, kind, msg) => {
                // herd7 has no BUG_ON/assert: the memory model's
                // outcomes do not depend on them, so they do not
                // cut the path here (a task dying inside an RCU
                // read-side section would otherwise void the RCU
                // guarantee). Check mode records failing ones.
                if self.lim.kernel && self.val(st, *c) == 0 {
                    let at = st.evs.len() as u16;
                    st.faults.push(Fault { pc, at, kind: FaultKind::Assert(*kind), message: msg.clone() });
                }
            }
            Instr::Fence(k) => {
                self.fence(st, pc, fence_tag(*k))?;
            }
            Instr::Bound(_) => {
                self.too_far(st);
                return Ok(false);
            }
            Instr::Exit => {
                self.finish(take(st))?;
                return Ok(false);
            }
            Instr::Load { dst, addr, ord } => return self.load(st, stack, pc, *dst, *addr, *ord),
            Instr::Store { addr, val, ord } => return self.store(st, stack, pc, *addr, *val, *ord),
            Instr::Rmw { dst, addr, op, a, b, ret, ord } => {
                let Some(cell) = self.cell_or_fault(st, pc, *addr)? else {
                    return Ok(false);
                };
                let rmw = access::Rmw {
                    cell,
                    at: self.taint(st, *addr),
                    op: *op,
                    va: self.val(st, *a),
                    ta: self.taint(st, *a),
                    vb: self.val(st, *b),
                    ret: *ret,
                    dst: *dst,
                    tags: order_tag(*ord),
                };
                self.rmw(st, stack, pc, &rmw)?;
                return Ok(false);
            }
            Instr::Lock { addr, kind } if self.lim.kernel && rw(*kind) => {
                self.rwlock_lock(st, stack, pc, *addr, *kind, None)?;
                return Ok(false);
            }
            Instr::Unlock { addr, kind } if self.lim.kernel && rw(*kind) => {
                self.rwlock_unlock(st, stack, pc, *addr, *kind)?;
                return Ok(false);
            }
            Instr::Trylock { dst, addr, kind } if self.lim.kernel && rw(*kind) => {
                self.rwlock_lock(st, stack, pc, *addr, *kind, Some(*dst))?;
                return Ok(false);
            }
            Instr::Lock { addr, kind } => {
                // a sleeping lock on a CPU that tasks share: contended, the
                // task waits for it without its CPU (see [`cpu_share`])
                if kind.sleeps() {
                    if let Some(mut s2) = self.cpu_switch_copy(st, pc)? {
                        if self.spin_lock(&mut s2, pc, *addr, *kind)? {
                            stack.push(s2);
                        }
                    }
                }
                return self.spin_lock(st, pc, *addr, *kind);
            }
            Instr::Unlock { addr, kind } => return self.spin_unlock(st, pc, *addr, *kind),
            Instr::Trylock { dst, addr, kind } => return self.spin_trylock(st, stack, pc, *dst, (*addr, *kind)),
            Instr::IsLocked { dst, addr } => return self.spin_is_locked(st, stack, pc, *dst, *addr),
            Instr::RcuLock => self.rcu_fence(st, pc, Tag::RCU_LOCK)?,
            Instr::RcuUnlock => self.rcu_fence(st, pc, Tag::RCU_UNLOCK)?,
            Instr::SyncRcu => {
                // (it sleeps until the grace period ends)
                self.cpu_switch(st, pc)?;
                self.rcu_fence(st, pc, Tag::SYNC_RCU)?
            }
            Instr::SrcuLock { dst, ss } => return self.srcu_lock(st, stack, pc, *dst, *ss),
            Instr::SrcuUnlock { ss, idx } => return self.srcu_unlock(st, pc, *ss, *idx),
            Instr::SyncSrcu { ss } => return self.sync_srcu(st, pc, *ss),
            other => return self.kernel_instr(st, stack, pc, other),
        }
        st.pc += 1;
        Ok(true)
    }

    /// A conditional branch: both ways when the condition is an unsolved
    /// value; the condition's dependencies are control dependencies of
    /// every event up to the branch's join point.
    fn branch(&mut self, st: &mut St, stack: &mut Vec<St>, pc: u32, c: Opd, t: u32, f: u32) -> bool {
        let d = self.taint(st, c);
        if !d.is_empty() {
            st.scopes.push((self.ipdom[pc as usize], d));
            st.ctrl |= d;
        }
        let cv = self.val(st, c);
        if is_sym(cv) {
            let mut other = st.clone();
            if self.jump(&mut other, pc, f) {
                stack.push(other);
            }
        }
        self.jump(st, pc, if cv != 0 { t } else { f })
    }

    /// The cell an address operand designates; otherwise the path ends
    /// with a bad-address finding (check mode) and `None`.
    fn cell_or_fault(&self, st: &mut St, pc: u32, addr: Opd) -> Result<Option<u32>, GenError> {
        let c = self.cell(st, addr);
        if c.is_none() {
            self.bad_address(take(st), pc, addr)?;
        }
        Ok(c)
    }
}

/// The path state out of `st`, which is left empty (the path ends).
fn take(st: &mut St) -> St {
    std::mem::replace(st, St::empty())
}

fn kind_name(k: LockKind) -> String {
    format!("{k:?} locks")
}

/// Lock kinds the LKMM's lock events model: exclusive ones.  A mutex and
/// a writer's rw_semaphore are a lock with acquire/release semantics and
/// mutual exclusion like a spinlock (kernel/locking/mutex.c,
/// rwsem.c); shared (reader) locks and bit locks are not modelled.
fn exclusive(k: LockKind) -> bool {
    matches!(k, LockKind::Spin | LockKind::Mutex | LockKind::SemWrite)
}

/// The rwlock_t kinds, modelled in check mode as the kernel's queued
/// rwlock (see [`rwlock`]).
fn rw(k: LockKind) -> bool {
    rwlock::MODELLED && matches!(k, LockKind::Read | LockKind::Write)
}

impl St {
    fn empty() -> St {
        St {
            pc: 0,
            regs: Vec::new(),
            taint: Vec::new(),
            ctrl: Deps::NONE,
            evs: PVec::new(),
            rmw: Vec::new(),
            loops: Vec::new(),
            held: Vec::new(),
            scopes: Vec::new(),
            rmask: PVec::new(),
            wrote_at: Vec::new(),
            nwrites: 0,
            pcs: PVec::new(),
            faults: Vec::new(),
            irq_off: false,
            entered: Vec::new(),
            rcu: 0,
            preempt: 0,
            heads: Vec::new(),
            own: Vec::new(),
            ctx: Vec::new(),
            fired: Vec::new(),
            bh: 0,
            rd: 0,
            offered: None,
            off_cpu: false,
            preempted: false,
            past_init: Vec::new(),
            last: Vec::new(),
            gate_idle: None,
            snap: Default::default(),
            holds: Holds::default(),
        }
    }
}

/// Enumerate every path of thread `th` with reads taking values in `dom`;
/// `sites` (the masks of `dom` and the thread's first site) enables the
/// site check on the values collected in [`ThreadPaths::written`].  In
/// check mode a read of a location takes only the
/// values coherence lets it read: this thread's own last write to it
/// (or the initial value before its first one) and the values `other`
/// threads write there (`other`, per cell, sorted), and the sites of
/// its writes are `site_keys` (see [`SiteKeys`]).  A read of an
/// earlier own write, or of the initial value after one, has no
/// coherent rf: those paths would never give an execution.
pub fn paths_with(
    prog: &Program,
    th: &Thread,
    dom: &Domains,
    sites: Option<(&Masks, u32)>,
    lim: Limits,
    (other, snap): (Option<&Others>, Option<&Snapshots>),
    site_keys: Option<&SiteKeys>,
) -> Result<ThreadPaths, GenError> {
    walk(prog, th, dom, sites, lim, (other, snap), site_keys, true)
}

/// [`paths_with`] for a round of the value fixpoint: the same walk, but
/// the paths are only counted ([`ThreadPaths::complete`],
/// [`ThreadPaths::complete_writes`]), not stored (`traces` stays empty),
/// so a round takes no memory per path and is not bound by
/// [`MAX_PATH_BYTES`]; what it writes, its most writes and its sites are
/// those of [`paths_with`].  The walk is a function of the domains (and
/// masks, and `other` values) of the cells in [`ThreadPaths::consulted`],
/// of `sites`' first site and of `site_keys` (which a walk with the same
/// inputs leaves as they are): a round may reuse the result of an
/// earlier one whose inputs are the same on those cells.
pub fn round_paths(
    prog: &Program,
    th: &Thread,
    dom: &Domains,
    sites: Option<(&Masks, u32)>,
    lim: Limits,
    (other, snap): (Option<&Others>, Option<&Snapshots>),
    site_keys: Option<&SiteKeys>,
) -> Result<ThreadPaths, GenError> {
    walk(prog, th, dom, sites, lim, (other, snap), site_keys, false)
}

/// The walk of [`paths_with`]; `keep`: store the complete paths.
#[allow(clippy::too_many_arguments)]
fn walk(
    prog: &Program,
    th: &Thread,
    dom: &Domains,
    sites: Option<(&Masks, u32)>,
    lim: Limits,
    (other, snap): (Option<&Others>, Option<&Snapshots>),
    site_keys: Option<&SiteKeys>,
    keep: bool,
) -> Result<ThreadPaths, GenError> {
    let n = th.nregs as usize;
    let mut st = St::empty();
    st.regs = vec![0; n];
    st.taint = vec![Deps::NONE; n];
    for &(r, v) in &th.init_regs {
        if (r as usize) < n {
            st.regs[r as usize] = v;
        }
    }
    if let Some((i, why)) = handlers::refusal(prog, th, lim.kernel) {
        // Not modelled: refuse rather than drop the handler.
        let h = &th.handlers[i];
        let step = th.body.steps.get(h.entry as usize);
        let what =
            format!("not supported by the LKMM engine: the {:?} handler {}() of P{} ({why})", h.kind, h.name, th.index)
                .replace("Hardirq", "interrupt")
                .replace("Softirq", "softirq")
                .replace("Ipi", "IPI")
                .replace("RcuCallback", "RCU callback");
        return Err(GenError::Construct {
            name: format!("{}()", h.name),
            what,
            thread: th.index,
            pc: h.entry,
            span: step.map(|s| s.span).unwrap_or_default(),
        });
    }
    let loop_heads = th
        .body
        .steps
        .iter()
        .enumerate()
        .flat_map(|(pc, s)| match s.instr {
            Instr::Jump(t) if t as usize <= pc => vec![t],
            Instr::Branch(_, a, b) => [a, b].into_iter().filter(|t| *t as usize <= pc).collect(),
            _ => vec![],
        })
        .collect();
    let runlock = if lim.kernel { cpu_share::run_lock(prog, th.index as usize) } else { None };
    if runlock.is_some() {
        st.off_cpu = true;
    }
    // (lock snapshots: check mode's exact reduction, see [`super::snapshot`])
    let snap_on = lim.kernel && !lim.exhaustive;
    let position = prog.threads.iter().position(|x| std::ptr::eq(x, th)).unwrap_or(th.index as usize) as u32;
    // (the thread's own last writes, `St::own`, are kept only with `other`)
    let snap = snap.filter(|_| snap_on && other.is_some()).map(|tables| SnapCx::new(tables, position));
    if let Some(cx) = &snap {
        st.snap = std::rc::Rc::new(cx.start());
    }
    let mut w = Walker {
        runlock,
        other: other.filter(|_| lim.kernel),
        loop_heads,
        prefixes: Default::default(),
        deferred: Default::default(),
        ipdom: ipdoms(th),
        prog,
        th,
        dom,
        lim,
        out: ThreadPaths::default(),
        written: Default::default(),
        max_writes: Default::default(),
        sites,
        site_keys: site_keys.filter(|_| lim.kernel),
        max_readers: if lim.kernel { rwlock::max_readers(prog, lim.unroll) } else { 0 },
        wlocks: if lim.kernel { rwlock::writer_locks(prog) } else { Vec::new() },
        stored: std::cell::Cell::new((0, if lim.kernel { crate::budget::limit().min(MAX_PATH_BYTES) } else { 0 })),
        ipi: if lim.kernel { ipi::table(prog, th, lim.unroll) } else { Default::default() },
        keep,
        consulted: Default::default(),
        written_set: Default::default(),
        key_ix: Default::default(),
        snap,
        snap_collect: snap_on,
        snap_out: Default::default(),
        out_retrack: Default::default(),
        flips: Default::default(),
        derivs: Default::default(),
        read_ids: Default::default(),
    };
    w.run(st)?;
    if let Some(e) = w.deferred.take() {
        return Err(e);
    }
    w.out.blocked = w.prefixes.take();
    let mut written = w.written.into_inner();
    written.sort_unstable();
    written.dedup();
    w.out.written = written;
    let mut flips: Vec<(u32, Flips)> = w.flips.take().into_iter().collect();
    flips.sort_unstable_by_key(|f| f.0);
    w.out.flips = flips;
    w.out.max_writes = w.max_writes.get();
    let bits = w.consulted.into_inner();
    w.out.consulted = (0..bits.len() as u32 * 64).filter(|c| bits[*c as usize / 64] >> (c % 64) & 1 == 1).collect();
    w.out.snap = w.snap_out.take();
    w.out.retrack = w.out_retrack.get();
    Ok(w.out)
}

/// Immediate post-dominators of the branches of a body (`u32::MAX` for
/// the exit); other instructions get `u32::MAX`.
fn ipdoms(th: &Thread) -> Vec<u32> {
    let steps = &th.body.steps;
    let n = steps.len();
    let words = (n + 1).div_ceil(64);
    let exit = n; // virtual exit node
    let succ = |pc: usize| -> Vec<usize> {
        let next = |x: usize| if x >= n { exit } else { x };
        match &steps[pc].instr {
            Instr::Jump(t) => vec![next(*t as usize)],
            Instr::Branch(_, t, f) => vec![next(*t as usize), next(*f as usize)],
            Instr::Exit | Instr::Bound(_) => vec![exit],
            _ => vec![next(pc + 1)],
        }
    };
    let succs: Vec<Vec<usize>> = (0..n).map(succ).collect();
    // pdom sets as bit rows; start from "everything" except at the exit.
    let mut pd = vec![vec![u64::MAX; words]; n + 1];
    pd[exit] = vec![0; words];
    pd[exit][exit / 64] |= 1 << (exit % 64);
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            let mut row = vec![u64::MAX; words];
            for &s in &succs[pc] {
                for (a, b) in row.iter_mut().zip(&pd[s]) {
                    *a &= *b;
                }
            }
            row[pc / 64] |= 1 << (pc % 64);
            if row != pd[pc] {
                pd[pc] = row;
                changed = true;
            }
        }
    }
    let count = |r: &Vec<u64>| r.iter().map(|w| w.count_ones()).sum::<u32>();
    let mut out = vec![u32::MAX; n];
    for pc in 0..n {
        if !matches!(steps[pc].instr, Instr::Branch(..)) {
            continue;
        }
        let target = count(&pd[pc]) - 1;
        for d in 0..n {
            if d != pc && pd[pc][d / 64] >> (d % 64) & 1 == 1 && count(&pd[d]) == target {
                out[pc] = d as u32;
                break;
            }
        }
    }
    out
}

/// A value-less event on `cell` (a lock event, herd's `SRCU` event)
/// whose address depends on `at`; the others are built from it.
fn cell_event(kind: EventKind, cell: u32, at: Deps) -> TEv {
    TEv {
        kind,
        cell: Some(cell),
        val: None,
        tags: TagSet::EMPTY,
        atomic: false,
        addr: at,
        data: Deps::NONE,
        ctrl: Deps::NONE,
    }
}
