//! Iterative deepening of check mode's loop-unrolling bound (herd's
//! `-unroll`). A check that finds nothing, but in which an allowed
//! execution runs a loop past the bound (herd's "too far" marker), is
//! only incomplete; run again with the bound one higher, it covers every
//! execution the shallower run covered and the longer ones. So the
//! deeper run's findings include the shallower run's, and a deeper run
//! that completes without the marker is a full answer.
//!
//! The deeper runs share what is left of the check's bound (work or
//! time); a deeper run that stops at it leaves the shallower answer,
//! incomplete. With findings, the answer is already a bug report and is
//! not deepened.

use super::{run, GenError, GenOptions, LitmusResult};
use crate::Model;
use kvet_ir::Program;
use std::time::Instant;

/// The answer of [`run_deepening`]: the last complete run and its bound.
#[derive(Clone, Debug)]
pub struct Deepened {
    /// The run's result.
    pub result: LitmusResult,
    /// The unrolling bound it ran with.
    pub unroll: u32,
}

/// The check found nothing, and an allowed execution went past the
/// unrolling bound.
fn incomplete(r: &LitmusResult) -> bool {
    r.findings.is_empty() && r.toofar && !r.deadlocks_partial
}

/// Run the generator with `opts` (its bounds for the whole check), then,
/// while the answer is incomplete by the unrolling bound only, again
/// with the bound one higher, up to `max_unroll`. `deeper_work` is the
/// deeper runs' budget in all when `opts` bounds neither work nor time.
/// The first run's error is returned; a deeper run's error leaves the
/// shallower answer.
pub fn run_deepening(
    prog: &Program,
    model: &dyn Model,
    opts: &GenOptions,
    max_unroll: u32,
    deeper_work: u64,
) -> Result<Deepened, GenError> {
    let t0 = Instant::now();
    let mut o = opts.clone();
    let mut best = Deepened { result: run(prog, model, &o)?, unroll: o.unroll };
    while incomplete(&best.result) && o.unroll < max_unroll {
        let spent: u64 = crate::deadline::spent().iter().sum();
        o.max_work = match (o.max_work, opts.max_seconds) {
            (Some(w), _) => Some(w.saturating_sub(spent)),
            (None, None) => Some(deeper_work),
            (None, Some(_)) => None,
        };
        let used = t0.elapsed().as_secs_f64();
        if o.max_work == Some(0) || opts.max_seconds.is_some_and(|t| used >= t) {
            break;
        }
        o.max_seconds = opts.max_seconds.map(|t| t - used);
        o.unroll += 1;
        match run(prog, model, &o) {
            Ok(r) if !r.deadlocks_partial => best = Deepened { result: r, unroll: o.unroll },
            _ => break,
        }
    }
    Ok(best)
}
