//! Candidate-execution generator: from a lowered [`kvet_ir::Program`] to
//! herd7's result for a memory model (states, positive/negative counts,
//! flags).
//!
//! Sources: herd7's driver (`herd/top_herd.ml`: which executions count,
//! how flags are collected, `-unroll` and the "too far" marker), its event
//! structures for C (`herd/CSem.ml`, `herd/mem.ml`: per-thread paths, the
//! read-from enumeration, the final writes `FW`) and
//! `tools/memory-model/linux-kernel.def` for what each primitive becomes.
//!
//! The pipeline:
//! 1. [`thread`]: every path of every thread, the value of each read being
//!    guessed from the values its location can hold: a fixpoint over the
//!    values written on any path (reads may also take an unsolved value,
//!    so that the constants of every branch are found), where a value
//!    may not be derived through the same write site twice ([`Derivs`]:
//!    a few minimal site sets per value; check mode names a site by its
//!    step and occurrence, litmus mode by its position on the path),
//!    bounded by the number of write sites.  Values depending on themselves through `rf`
//!    and data flow are herd's unsolved values (`thread::SYM`): kept
//!    through plain copies, dropped through operations, as herd does.
//! 2. [`search`]: one path per thread, then the order of each lock
//!    location's lock writes ([`lock_order`], for a model that honours a
//!    fixed one), then `rf` (each read from a write of the same location
//!    and value) with early coherence pruning, then the co-last write of
//!    each observed location, then the model, which enumerates the
//!    coherence orders (agreeing with the lock orders) like herd does.  Every allowed
//!    alternative is one of herd's executions.

pub mod check;
mod deepen;
mod deps;
mod holders;
mod loc_memo;
mod lock_order;
mod pvec;
mod round_memo;
mod search;
mod sites;
mod snapshot;
mod symmetry;
mod thread;

pub use deepen::{run_deepening, Deepened};
pub use sites::{Derivs, Sites};
pub use thread::{POISON, SYM, SYMX};

use crate::Model;
use kvet_ir::{ptr_cell, Program, Val};
use std::cmp::Ordering;
use thiserror::Error;

/// Options of [`run`].
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// Loop unrolling bound (herd's `-unroll`, 2 by default).
    pub unroll: u32,
    /// Most paths per thread.
    pub max_traces: usize,
    /// A deterministic bound on the search's work (units are checks of
    /// the bound: path steps, candidates, coherence orders), as
    /// `max_seconds` but independent of the machine's speed and load.
    pub max_work: Option<u64>,
    /// Stop after this many seconds.
    pub max_seconds: Option<f64>,
    /// Keep one execution for display ([`LitmusResult::witness`]).
    pub keep_witness: bool,
    /// Stop at the first allowed execution satisfying the condition
    /// (herd's `-speedcheck fast`).
    pub speedcheck: bool,
    /// herd's `-speedcheck true|fast`: discard the candidates whose final
    /// state cannot settle the condition (for `exists` and `~exists` the
    /// ones that do not satisfy it, for `forall` the ones that do), so
    /// that the counts are of the others only (herd's `top_herd.ml`:
    /// "we have discarded all negative states").
    pub speedcheck_discard: bool,
    /// Count only the executions carrying this flag (herd's `-through`).
    pub through_flag: Option<String>,
    /// herd's `-through`: the model lets the executions failing its
    /// checks through, so the generator must not prune them either (it
    /// keeps the RMWs whose atomicity is broken).  Give the model the same
    /// setting ([`crate::native::NativeLkmm::through`],
    /// [`crate::CatModel::set_through`]).  No deadlock search then.
    pub through: crate::Through,
    /// Look for lock deadlocks ([`LitmusResult::deadlocks`]); herd's
    /// block is unchanged.
    pub deadlocks: bool,
    /// The memory one model evaluation may spend on coherence orders, in
    /// bytes ([`crate::budget`]; `None`: its default, 256 MiB).  Past it the
    /// generator stops with [`GenError::TooLarge`].
    pub max_memory: Option<u64>,
    /// Check mode (`kvet check --model lkmm`): collect the kernel
    /// findings of [`check`] in [`LitmusResult::findings`] (set
    /// `deadlocks` too).  Off for litmus tests.
    pub kernel: bool,
    /// Turn off the search's exact shortcuts (the `filter` clause checked
    /// on the registers of a partial combination of paths; in the
    /// deadlock pass, the combinations holding no stopped prefix with
    /// something new to show and the prefixes blocked at a lock nobody
    /// else may hold; the per-location memo and its coherence check on the
    /// paths' projections; the single-source reads' edges in the partial
    /// model checks, and no check after choosing such a read; the split of each combination
    /// by its lock orders; the early checks of the reads an await needs
    /// co-last), for the tests that show they change no count, state,
    /// flag or finding.
    pub exhaustive: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            unroll: 2,
            max_traces: 1 << 20,
            max_seconds: None,
            max_work: None,
            keep_witness: false,
            speedcheck: false,
            speedcheck_discard: false,
            through_flag: None,
            through: crate::Through::None,
            deadlocks: false,
            max_memory: None,
            kernel: false,
            exhaustive: false,
        }
    }
}

/// Why generation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GenError {
    /// The program uses something the LKMM engine cannot express.
    #[error("{0}")]
    Unsupported(String),
    /// A construct of the scenario that the LKMM engine does not model,
    /// with where it is (thread, pc of its step, source span).
    #[error("{what}")]
    Construct {
        /// What it is, e.g. ``not supported by the LKMM engine: RcuBarrier (`rcu_barrier()`)``.
        what: String,
        /// The construct alone, e.g. `rcu_barrier()`.
        name: String,
        /// The thread whose code holds it.
        thread: u32,
        /// The pc of its step.
        pc: u32,
        /// Where it is in the source.
        span: kvet_syntax::Span,
    },
    /// A bound was exceeded.
    #[error("{0}")]
    TooLarge(String),
    /// The time bound was reached.
    #[error("time limit reached")]
    Timeout,
    /// The model failed.
    #[error("model error: {0}")]
    Model(String),
}

/// One execution kept for display.
#[derive(Clone, Debug)]
pub struct Witness {
    /// The execution (events, rf, dependencies, final writes).
    pub exec: crate::Execution,
    /// Its outcome (all observed locations).
    pub outcome: Vec<Val>,
    /// Does it satisfy the final condition?
    pub satisfies: bool,
}

/// What herd prints for one test, plus what kvet adds.
#[derive(Clone, Debug, Default)]
pub struct LitmusResult {
    /// Distinct displayed final states, sorted as herd prints them.
    pub outcomes: Vec<Vec<Val>>,
    /// Allowed executions satisfying the condition.
    pub pos: u64,
    /// Allowed executions not satisfying it.
    pub neg: u64,
    /// Flags raised by allowed executions, sorted.
    pub flags: Vec<String>,
    /// Some path exceeded the unrolling bound (herd prints `Loop`).
    pub toofar: bool,
    /// The lock deadlocks the model allows (with [`GenOptions::deadlocks`];
    /// herd silently drops them): one description per distinct wait
    /// cycle, or per lock held by a thread that has exited, sorted.  See
    /// [`search`] for the method.
    pub deadlocks: Vec<String>,
    /// The deadlock search hit the time bound: `deadlocks` may be partial.
    pub deadlocks_partial: bool,
    /// Candidate executions handed to the model.
    pub candidates: u64,
    /// The paths of every thread that the search combines: complete ones
    /// and stopped prefixes (see [`thread`]).
    pub paths: u64,
    /// One allowed execution (satisfying the condition if any does).
    pub witness: Option<Witness>,
    /// Check mode: the findings, each with its allowed execution, in the
    /// order found.
    pub findings: Vec<check::Finding>,
}

/// Order of two values as herd sorts states: integers first (by value),
/// then addresses by name.
pub fn cmp_val(prog: &Program, a: Val, b: Val) -> Ordering {
    match (ptr_cell(a), ptr_cell(b)) {
        (None, None) => a.cmp(&b),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => prog.cell_name(x).cmp(&prog.cell_name(y)),
    }
}

/// Run the generator and the model on a program.
pub fn run(prog: &Program, model: &dyn Model, opts: &GenOptions) -> Result<LitmusResult, GenError> {
    crate::deadline::set_work(opts.max_work);
    crate::deadline::set_phase(crate::deadline::Phase::Paths);
    crate::deadline::reset_spent();
    // check mode: the hidden writer-lock cells of the rwlocks (see
    // thread/rwlock.rs), appended after the program's own cells
    let ext = if opts.kernel { thread::with_rwlock_cells(prog) } else { None };
    let prog = ext.as_ref().unwrap_or(prog);
    // and the IPIs' hidden csd cells (thread/ipi.rs)
    let ext2 = if opts.kernel { thread::with_ipi_cells(prog) } else { None };
    let prog = ext2.as_ref().unwrap_or(prog);
    // and the run locks of CPUs that tasks share (thread/cpu_share.rs)
    let ext3 = if opts.kernel { thread::with_run_locks(prog) } else { None };
    let prog = ext3.as_ref().unwrap_or(prog);
    let r = search::Search::new(prog, model, opts).and_then(|s| s.run());
    crate::deadline::set_work(None);
    let mut r = r?;
    r.outcomes.sort_by(|a, b| {
        for (x, y) in a.iter().zip(b) {
            let o = cmp_val(prog, *x, *y);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    Ok(r)
}
