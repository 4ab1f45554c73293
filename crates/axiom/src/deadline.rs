//! The time bound inside one model evaluation. The generator checks its
//! `max_seconds` between candidates, but one candidate of a large
//! scenario can have millions of coherence orders: the native model
//! looks at this deadline while it enumerates them and stops early, and
//! the generator, seeing the deadline passed after the call, discards the
//! partial verdicts and reports a timeout. So a stopped evaluation never
//! becomes a verdict.
//!
//! Beside the wall-clock deadline there is a work budget: every check of
//! the bound spends one unit, at the same points of the same search in
//! every run. A search stopped by it stops at the same point whatever
//! the machine's load, so its answer is deterministic (the default bound
//! of `kvet check --model both` is this one).

use std::cell::Cell;
use std::time::Instant;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Units of work left, if the work is bounded.
    static WORK: Cell<Option<u64>> = const { Cell::new(None) };
    /// The phase the units spent now are charged to.
    static PHASE: Cell<Phase> = const { Cell::new(Phase::Paths) };
    /// Units spent per phase since the last [`set_work`].
    static SPENT: Cell<[u64; 4]> = const { Cell::new([0; 4]) };
}

/// What a unit of work is spent on (for [`spent`]: where a search's
/// budget goes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Per-thread path enumeration (1024 interpreted steps a unit).
    Paths = 0,
    /// Combinations of paths and full read-from candidates.
    Candidates = 1,
    /// The model's partial checks of a partial read-from.
    Partial = 2,
    /// The model's evaluations (coherence orders).
    Model = 3,
}

/// Charge the units spent from now on to `p`.
pub(crate) fn set_phase(p: Phase) {
    PHASE.with(|c| c.set(p));
}

/// Units of work spent per [`Phase`] (indexed by `Phase as usize`) on
/// this thread since the generator last started ([`crate::gen::run`]).
pub fn spent() -> [u64; 4] {
    SPENT.with(|c| c.get())
}

/// Set (or clear) the work budget of the searches on this thread.
pub(crate) fn set_work(w: Option<u64>) {
    WORK.with(|c| c.set(w));
}

/// Start counting the units spent per phase from zero ([`spent`]).
pub(crate) fn reset_spent() {
    SPENT.with(|c| c.set([0; 4]));
}

/// Spend one unit of work; true if the budget is (now) exhausted.
fn spend() -> bool {
    let p = PHASE.with(|c| c.get()) as usize;
    SPENT.with(|c| {
        let mut a = c.get();
        a[p] += 1;
        c.set(a);
    });
    WORK.with(|c| match c.get() {
        None => false,
        Some(0) => true,
        Some(n) => {
            c.set(Some(n - 1));
            false
        }
    })
}

/// Is the work budget exhausted (without spending)?
pub(crate) fn work_exhausted() -> bool {
    WORK.with(|c| c.get()) == Some(0)
}

/// Set (or clear) the deadline of the model evaluations on this thread.
pub(crate) fn set(d: Option<Instant>) {
    DEADLINE.with(|c| c.set(d));
}

/// Has this thread's wall-clock deadline passed?  Spends no work: for
/// enumerations inside one evaluation whose cost the work budget does not
/// count ([`crate::bits::linearisations`]); the caller sees the deadline
/// passed after the evaluation and discards its partial verdicts.
pub(crate) fn time_passed() -> bool {
    DEADLINE.with(|c| c.get()).is_some_and(|d| Instant::now() > d)
}

/// Has this thread's deadline passed, or its work budget run out? Each
/// call spends one unit of work.
pub(crate) fn passed() -> bool {
    spend() || DEADLINE.with(|c| c.get()).is_some_and(|d| Instant::now() > d)
}
