//! kvet's explicit-state explorer: every interleaving of a lowered
//! program under sequential consistency, with state hashing so loops and
//! cycles terminate, checks for assertion failures, deadlocks and lock
//! misuse, the litmus outcome set, and replayable counterexamples.
//!
//! The engine does no I/O: results are plain data for the report layer.

pub mod frontier;
mod kernel;
mod liveness;
mod lockdep;
mod machine;
mod poll;
mod por;
mod sched;
mod search;
mod state;
mod step;
mod symmetry;
mod trace;
mod visited;

use kvet_ir::Val;
use std::collections::BTreeMap;

pub use machine::Detail;
pub use search::{explore, explore_with, Progress};
pub use step::{Ample, Event, Scratch, Stepper};
pub use trace::{
    decode_token, describe_move, encode_token, replay, token_preempts, ReplayError, Snapshot, Trace, TraceRow,
};
pub use visited::{fingerprint, FpTable, VisitedSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchOrder {
    Bfs,
    Dfs,
}

/// Search bounds and strategy.
#[derive(Clone, Debug)]
pub struct Options {
    pub order: SearchOrder,
    pub max_states: u64,
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
    Deadlock,
    LockMisuse,
    NullDeref,
    BadAccess,
    /// A task asleep forever: nobody will wake it (a lost wake-up).
    Hang,
    UseAfterFree,
    UseAfterScope,
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

    pub fn is_bug(self) -> bool {
        self != ViolationKind::Bound
    }
}

/// A finding with the schedule that reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// The thread that failed (for deadlocks: 0).
    pub thread: u32,
    pub pc: u32,
    pub message: String,
    /// The thread choices from the initial state.
    pub path: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StopReason {
    States(u64),
    Time(f64),
    Memory(u64),
}

/// What a search found.
#[derive(Clone, Debug, Default)]
pub struct Exploration {
    /// Distinct states stored.
    pub states: u64,
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
    pub stopped: Option<StopReason>,
    /// When stopped at a bound: the states stored but not yet expanded.
    pub frontier: u64,
    /// The most bytes the search held at once (as its memory bound
    /// counts them), and the part of it that grows with the stored
    /// states (visited set, parent table).
    pub peak_bytes: u64,
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
