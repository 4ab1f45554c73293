//! The memory bound inside one model evaluation: the coherence orders a
//! model enumerates (herd's `generate_cos`, `linearisations`) are built
//! in memory, and a location written by dozens of CPUs has astronomically
//! many.  [`crate::bits::linearisations`] charges each order it builds to
//! this thread's budget and stops when it is spent; the caller (the
//! generator, the cat interpreter) sees [`exceeded`] and reports a typed
//! "too large" error instead of a verdict, so a cut enumeration never
//! becomes one.  Like [`crate::deadline`], a thread-local, so that the
//! [`crate::Model`] interface stays as it is.

use std::cell::Cell;

/// The budget when none is set: 256 MiB of coherence orders per evaluation.
pub const DEFAULT_BYTES: u64 = 256 << 20;

thread_local! {
    static LIMIT: Cell<u64> = const { Cell::new(DEFAULT_BYTES) };
    static LEFT: Cell<u64> = const { Cell::new(DEFAULT_BYTES) };
    static OVER: Cell<bool> = const { Cell::new(false) };
}

/// Set this thread's budget per evaluation (`None`: [`DEFAULT_BYTES`]).
pub fn set_limit(bytes: Option<u64>) {
    let b = bytes.unwrap_or(DEFAULT_BYTES);
    LIMIT.with(|c| c.set(b));
    reset();
}

/// Start an evaluation: the whole budget is available again.
pub fn reset() {
    let b = LIMIT.with(|c| c.get());
    LEFT.with(|c| c.set(b));
    OVER.with(|c| c.set(false));
}

/// The budget per evaluation, in bytes.
pub fn limit() -> u64 {
    LIMIT.with(|c| c.get())
}

/// Take `bytes` from the budget; `false` (and [`exceeded`] from now on)
/// if it is spent.
pub(crate) fn charge(bytes: u64) -> bool {
    let left = LEFT.with(|c| c.get());
    if bytes > left || OVER.with(|c| c.get()) {
        OVER.with(|c| c.set(true));
        return false;
    }
    LEFT.with(|c| c.set(left - bytes));
    true
}

/// Did an enumeration stop because the budget was spent (since the last
/// [`reset`])?
pub fn exceeded() -> bool {
    OVER.with(|c| c.get())
}
