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
    /// What the search did since it last started ([`counters`]).
    static COUNTERS: Cell<Counters> = const { Cell::new(Counters::ZERO) };
}

/// What one run of the generator did, beside the units it spent: where
/// the candidate and model phases' time goes ([`counters`]; printed by
/// the `lkmm_work` example).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Combinations of paths reaching the leaf of the combination search.
    pub combos: u64,
    /// Of those, the ones whose events were built.
    pub built: u64,
    /// Built combinations with a read that has no candidate source.
    pub no_source: u64,
    /// Choices of lock orders tried (one rf enumeration each).
    pub lock_choices: u64,
    /// Partial model checks, and how many of them rejected.
    pub partial: u64,
    /// Partial checks that rejected.
    pub partial_rejected: u64,
    /// Complete read-froms reached.
    pub rf_leaves: u64,
    /// Model evaluations (one per choice of final writes).
    pub evals: u64,
    /// Model evaluations with an allowed alternative.
    pub allowed_evals: u64,
    /// Coherence orders built by the model's linearisations.
    pub orders: u64,
    /// The most orders one evaluation built.
    pub max_orders: u64,
    /// Coherence orders built by the partial checks' linearisations.
    pub partial_orders: u64,
    /// Complete coherence orders evaluated (`with_co`).
    pub leaves: u64,
    /// The most events of an evaluated execution.
    pub max_events: u64,
    /// Combinations of the lock locations' orders evaluated by the model.
    pub lock_leaves: u64,
    /// Prefixes of a lock location's order checked by the model, and
    /// how many of them rejected.
    pub prefixes: u64,
    /// Prefix checks that rejected.
    pub prefixes_rejected: u64,
}

impl Counters {
    const ZERO: Counters = Counters {
        combos: 0,
        built: 0,
        no_source: 0,
        lock_choices: 0,
        partial: 0,
        partial_rejected: 0,
        rf_leaves: 0,
        evals: 0,
        allowed_evals: 0,
        orders: 0,
        max_orders: 0,
        partial_orders: 0,
        leaves: 0,
        max_events: 0,
        lock_leaves: 0,
        prefixes: 0,
        prefixes_rejected: 0,
    };
}

/// The [`Counters`] of this thread's search since the generator last
/// started ([`crate::gen::run`]).
pub fn counters() -> Counters {
    COUNTERS.with(|c| c.get())
}

/// Update this thread's [`Counters`].
pub(crate) fn count(f: impl FnOnce(&mut Counters)) {
    COUNTERS.with(|c| {
        let mut k = c.get();
        f(&mut k);
        c.set(k);
    });
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
    COUNTERS.with(|c| c.set(Counters::ZERO));
}

/// Spend `units` units of work; true if the budget is (now) exhausted.
fn spend(units: u64) -> bool {
    let p = PHASE.with(|c| c.get()) as usize;
    SPENT.with(|c| {
        let mut a = c.get();
        a[p] += units;
        c.set(a);
    });
    WORK.with(|c| match c.get() {
        None => false,
        Some(n) if n > 0 && n >= units => {
            c.set(Some(n - units));
            false
        }
        Some(_) => {
            c.set(Some(0));
            true
        }
    })
}

/// The units of work one evaluation of the model's relations over `n`
/// events costs: one up to about 200 events (the size of the examples
/// that complete), then in proportion to `n² · ⌈n/64⌉` (a relation
/// operation's word operations), so that a bounded run reaches its bound
/// in about the same time whatever the size of its executions (348
/// events: 5 units).
pub(crate) fn eval_units(n: usize) -> u64 {
    let n = n as u64;
    (n * n * n.div_ceil(64) / EVAL_UNIT_WORDS).max(1)
}

/// The word operations of one relation operation that cost one unit
/// ([`eval_units`]): 2^17, about those of 200 events (4 words a row).
const EVAL_UNIT_WORDS: u64 = 1 << 17;

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
    passed_by(1)
}

/// [`passed`], spending `units` units of work (an evaluation of a size
/// that [`eval_units`] weighs).
pub(crate) fn passed_by(units: u64) -> bool {
    spend(units) || DEADLINE.with(|c| c.get()).is_some_and(|d| Instant::now() > d)
}
