//! The SC explorer's summary on a verdict line: states, time, the final
//! condition's Observation over the outcomes (herd7's words, see
//! `kvet_ir::Observation`), and, for a search stopped at a bound, which
//! bound and how much it covered (a partial search decides nothing).

use kvet_explore::{Exploration, StopReason};
use kvet_ir::{Observation, Program};

/// `states N  T.TTTs` then the condition summary and the stop text.
pub fn explore_summary(p: &Program, ex: &Exploration, seconds: f64) -> String {
    format!("states {}  {seconds:.3}s{}{}", ex.states, condition_summary(p, ex), stop_text(ex))
}

/// `  exists: Sometimes (1 of 4 outcomes)` for files with a final
/// condition; a partial search says what it saw instead.
pub fn condition_summary(p: &Program, ex: &Exploration) -> String {
    let Some((q, c)) = &p.quant else { return String::new() };
    let pos = ex.outcomes.keys().filter(|o| c.eval(o)).count();
    let n = ex.outcomes.len();
    if !ex.complete {
        // a partial search decides nothing: say what it saw
        return format!("  condition undecided ({pos} of {n} outcomes seen so far satisfy it)");
    }
    let obs = Observation::of(pos as u64, (n - pos) as u64);
    format!("  {q}: {obs} ({pos} of {n} outcomes)")
}

/// ` (stopped at the state bound N: coverage is partial: ...)` for a
/// search stopped at a bound, else empty.
pub fn stop_text(ex: &Exploration) -> String {
    let bound = match ex.stopped {
        None => return String::new(),
        Some(StopReason::States(n)) => format!("the state bound {n}"),
        Some(StopReason::Time(t)) => format!("the time bound {t}s"),
        Some(StopReason::Memory(m)) => format!("the memory bound ({} MiB for the search)", m >> 20),
    };
    let left = ex.frontier as f64 / ex.states.max(1) as f64 * 100.0;
    format!(
        " (stopped at {bound}: coverage is partial: {} states to depth {}, {} of them ({left:.1}%) not yet expanded)",
        ex.states, ex.depth, ex.frontier
    )
}
