//! kvet's explicit-state explorer: every interleaving of a lowered
//! program under sequential consistency, with state hashing so loops and
//! cycles terminate, checks for assertion failures, deadlocks and lock
//! misuse, the litmus outcome set, and replayable counterexamples.
//!
//! The engine does no I/O: results are plain data for the report layer.

#![warn(missing_docs)]

pub mod frontier;
mod hugepages;
mod kernel;
mod liveness;
mod lockdep;
mod machine;
mod poll;
mod pool;
mod por;
mod sched;
mod search;
mod state;
mod step;
mod stuck;
mod symmetry;
mod trace;
mod visited;

/// The example scenarios under examples/ whose extension is one of
/// `exts`, sorted: the corpus of the unit tests that run over every example.
#[cfg(test)]
pub(crate) fn example_files(exts: &[&str]) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, exts: &[&str], out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, exts, out);
            } else if p.extension().and_then(|x| x.to_str()).is_some_and(|x| exts.contains(&x)) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")), exts, &mut out);
    out.sort();
    out
}

use kvet_ir::Val;
use std::collections::BTreeMap;

pub use machine::Detail;
pub use search::{explore, explore_with, Progress};
pub use step::{Ample, Expanded, Ignore, Scratch, Stepper, Tried, Visit};
pub use trace::{
    decode_token, describe_move, encode_token, replay, token_preempts, ReplayError, Snapshot, TraceRecord, TraceRow,
};
pub use visited::{fingerprint, FpTable, VisitedSet};

/// The order in which stored states are expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchOrder {
    /// Breadth-first: level by level, so the first trace to each finding is a shortest one.
    Bfs,
    /// Depth-first: one schedule to its end before the next (less frontier memory).
    Dfs,
}

/// Search bounds and strategy.
#[derive(Clone, Debug)]
pub struct Options {
    /// Breadth- or depth-first expansion.
    pub order: SearchOrder,
    /// Stop after storing this many distinct states (a bound, reported as such).
    pub max_states: u64,
    /// Stop after this much wall time, if set (a bound, reported as such).
    pub max_seconds: Option<f64>,
    /// Bytes the visited set and parent table may use.
    pub max_memory: u64,
    /// Stop at the first bug (not at the first bound warning).
    pub stop_at_first: bool,
    /// Partial-order reduction (static ample sets). Preserves final
    /// outcomes, deadlocks and every thread's checks; changes state counts.
    pub reduce: bool,
    /// Symmetry reduction over interchangeable CPUs (symmetry.rs): the
    /// visited set keeps one state per orbit. Applied only where the
    /// program's CPUs run the same code and the state names them nowhere
    /// else; preserves the kinds of finding and the outcomes, changes
    /// state counts; traces stay real.
    pub symmetry: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            order: SearchOrder::Bfs,
            max_states: 50_000_000,
            max_seconds: None,
            max_memory: 8 << 30,
            stop_at_first: false,
            reduce: true,
            symmetry: false,
        }
    }
}

/// The kind of a finding; each has its own name in the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViolationKind {
    /// assert() failed, or a division by zero.
    Assertion,
    /// BUG_ON() / BUG()
    Bug,
    /// WARN_ON()
    Warning,
    /// Every thread that has not finished is blocked, or waits on itself (a lock it holds,
    /// synchronize_rcu() in a read-side section).
    Deadlock,
    /// Unbalanced locking: an unlock of a lock not held, or an rcu_read_unlock(),
    /// srcu_read_unlock(), local_bh_enable() or preempt_enable() without its lock.
    LockMisuse,
    /// A load or store through a NULL pointer.
    NullDeref,
    /// An access to memory that is not an allocated object, or an operand of the wrong kind (a
    /// kmem_cache that is none, an SRCU primitive on something else).
    BadAccess,
    /// A task asleep forever: nobody will wake it (a lost wake-up).
    Hang,
    /// An access to a heap object after it was freed.
    UseAfterFree,
    /// An access to a local after the scope that declared it ended.
    UseAfterScope,
    /// kfree() of an object already freed.
    DoubleFree,
    /// schedule() or a sleeping lock in atomic context.
    SleepInAtomic,
    /// Two conflicting accesses, one plain, that can run back to back.
    DataRace,
    /// lockdep: inconsistent irq-state usage of a lock.
    Lockdep,
    /// lockdep: a lock-order inversion.
    LockOrder,
    /// A final state contradicts the `~exists` or `forall` clause.
    Condition,
    /// Every CPU that can still move only spins in place: nothing it
    /// waits for can change (a soft lockup).
    Livelock,
    /// Undefined behaviour as UBSAN reports it (a shift out of bounds).
    Ubsan,
    /// A bound of the model was reached; not a bug, but coverage is partial.
    Bound,
}

impl ViolationKind {
    /// The finding's name as the reports print it.
    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::Assertion => "assertion failure",
            ViolationKind::Bug => "BUG",
            ViolationKind::Warning => "WARNING",
            ViolationKind::Deadlock => "deadlock",
            ViolationKind::LockMisuse => "lock misuse",
            ViolationKind::NullDeref => "NULL dereference",
            ViolationKind::BadAccess => "invalid access",
            ViolationKind::Hang => "hang",
            ViolationKind::UseAfterFree => "use-after-free",
            ViolationKind::UseAfterScope => "use-after-scope",
            ViolationKind::DoubleFree => "double free",
            ViolationKind::SleepInAtomic => "sleeping in atomic context",
            ViolationKind::DataRace => "data race",
            ViolationKind::Lockdep => "inconsistent lock state",
            ViolationKind::LockOrder => "lock-order inversion",
            ViolationKind::Condition => "condition violated",
            ViolationKind::Livelock => "livelock",
            ViolationKind::Ubsan => "UBSAN",
            ViolationKind::Bound => "bound reached",
        }
    }

    /// Whether this is a bug (every kind but [`ViolationKind::Bound`]).
    pub fn is_bug(self) -> bool {
        self != ViolationKind::Bound
    }
}

/// A finding with the schedule that reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// What went wrong.
    pub kind: ViolationKind,
    /// The thread that failed (for deadlocks: 0).
    pub thread: u32,
    /// The instruction of `thread` where it happens.
    pub pc: u32,
    /// The explanation the reports print, with the names of the cells and threads involved.
    pub message: String,
    /// The thread choices from the initial state.
    pub path: Vec<u32>,
}

/// Why a search stopped before covering the whole state space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StopReason {
    /// The state bound ([`Options::max_states`]) was reached at this many states.
    States(u64),
    /// The time bound ([`Options::max_seconds`]) was reached after this many seconds.
    Time(f64),
    /// The memory bound ([`Options::max_memory`]) was reached at this many bytes.
    Memory(u64),
}

/// What a search found.
#[derive(Clone, Debug, Default)]
pub struct Exploration {
    /// Distinct states stored.
    pub states: u64,
    /// Transitions taken (steps from a stored state, including those to states already seen).
    pub transitions: u64,
    /// BFS levels (or DFS maximum depth).
    pub depth: u64,
    /// Final outcomes (values of the observed locations) that pass the
    /// filter, with how many distinct final states give each.
    pub outcomes: BTreeMap<Vec<Val>, u64>,
    /// The first violation of each kind (the shortest, under BFS).
    pub violations: Vec<Violation>,
    /// The whole state space was covered.
    pub complete: bool,
    /// Why the search stopped early, when it did (`complete` is then false).
    pub stopped: Option<StopReason>,
    /// When stopped at a bound: the states stored but not yet expanded.
    pub frontier: u64,
    /// The most bytes the search held at once (as its memory bound
    /// counts them), and the part of it that grows with the stored
    /// states (visited set, parent table).
    pub peak_bytes: u64,
    /// The part of `peak_bytes` that grows with the stored states (visited set, parent table).
    pub stored_bytes: u64,
    /// Bytes per state in the frontier at its largest (encoded state,
    /// id and offset); before any level is done, those of one unencoded
    /// state vector.
    pub frontier_state_bytes: u64,
    /// The most bytes the encoded states of the frontier took at once (a
    /// BFS level, or the DFS stack), without ids and offsets.
    pub frontier_peak_bytes: u64,
    /// Bytes of one state vector, unencoded.
    pub state_bytes: u64,
    /// Symmetry reduction was applied.
    pub symmetric: bool,
}
