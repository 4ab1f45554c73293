//! `kvet check --model lkmm`: the kernel checks of a scenario under the
//! Linux-kernel memory model, on the candidate executions of
//! [`super::search`].
//!
//! Sources: `tools/memory-model/linux-kernel.cat` (which executions are
//! allowed, and its `data-race` flag), GenMC's await/spin-assume and
//! blocked-execution semantics (Kokologiannakis et al., "Deciding
//! Hardware/Software Reachability", PLDI'21; "Model checking for weakly
//! consistent libraries", PLDI'19), and the kernel primitives of
//! [`super::thread`].
//!
//! What each check means here:
//! * hang: an allowed execution in which a task waits forever: its await
//!   (`schedule()`, `wait_for_completion()`, `read_seqbegin()`, a polling
//!   loop) reads co-last values that do not let it go on, while every
//!   other thread has finished or waits too;
//! * deadlock: the lock waits of [`super::search`];
//! * assertion, BUG, warning: an allowed execution whose path fails the
//!   check;
//! * use-after-free: an allowed execution in which a read returns the
//!   poison a free (or the end of a scope) wrote, or in which an access
//!   is not ordered before the free by happens-before: it races (as
//!   linux-kernel.cat's `data-race` defines races) with the poison's
//!   marked stores, which the native model flags `free-race` instead of
//!   `data-race`;
//! * data race: an allowed execution carrying linux-kernel.cat's
//!   `data-race` flag.

use crate::exec::Execution;

/// The kind of one finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// An `assert()` or the final condition failed.
    Assertion,
    /// A `BUG_ON()`/`BUG()` fired.
    Bug,
    /// A `WARN_ON()` fired.
    Warning,
    /// A read returned the poison of a free (or of a scope's end).
    UseAfterFree,
    /// linux-kernel.cat's `data-race` flag.
    DataRace,
    /// Tasks wait for each other's locks forever.
    Deadlock,
    /// A task waits forever for something nothing will do.
    Hang,
    /// A shift out of bounds (UBSAN's shift-out-of-bounds).
    Ubsan,
    /// An access through NULL.
    NullDeref,
}

impl FindingKind {
    /// The explorer's name of the same kind (`kvet_explore::ViolationKind::name`).
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Assertion => "assertion failure",
            FindingKind::Bug => "BUG",
            FindingKind::Warning => "warning",
            FindingKind::UseAfterFree => "use-after-free",
            FindingKind::DataRace => "data race",
            FindingKind::Deadlock => "deadlock",
            FindingKind::Hang => "hang",
            FindingKind::Ubsan => "UBSAN",
            FindingKind::NullDeref => "NULL dereference",
        }
    }
}

/// One finding with the allowed execution that shows it.
#[derive(Clone, Debug)]
pub struct Finding {
    /// What kind of finding.
    pub kind: FindingKind,
    /// The thread it is about.
    pub cpu: u32,
    /// The step it is about.
    pub pc: u32,
    /// What happened, in the kernel's words.
    pub message: String,
    /// The allowed execution (events, rf, dependencies).
    pub exec: Execution,
    /// Per thread, the step of each of its events in `exec` (in po order).
    pub pcs: Vec<Vec<u32>>,
    /// Per thread: where it stopped, if it did not finish.
    pub stopped: Vec<Option<String>>,
}
