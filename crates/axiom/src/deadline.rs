//! The time bound inside one model evaluation. The generator checks its
//! `max_seconds` between candidates, but one candidate of a large
//! scenario can have millions of coherence orders: the native model
//! looks at this deadline while it enumerates them and stops early, and
//! the generator, seeing the deadline passed after the call, discards the
//! partial verdicts and reports a timeout. So a stopped evaluation never
//! becomes a verdict.

use std::cell::Cell;
use std::time::Instant;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Set (or clear) the deadline of the model evaluations on this thread.
pub(crate) fn set(d: Option<Instant>) {
    DEADLINE.with(|c| c.set(d));
}

/// Has this thread's deadline passed?
pub(crate) fn passed() -> bool {
    DEADLINE.with(|c| c.get()).is_some_and(|d| Instant::now() > d)
}
