//! Reuse of one thread's walk between the rounds of the value fixpoint
//! (`value_domains` in [`super::search`]).
//!
//! A round's walk ([`super::thread::round_paths`]) is a function of the
//! program, the limits, the thread's first write site and its site keys
//! (which a walk with the same inputs meets again, all already known),
//! and of the domains, masks and other threads' values and bit changes
//! ([`super::thread::Others`]) of the cells it
//! looks up ([`ThreadPaths::consulted`]): everything else it reads is the
//! same in every round.  A thread whose inputs are the same on those
//! cells as at its last walk would be walked again with the same
//! result, so the result is reused.  The cells looked up come from
//! the walk itself: a cell the last walk never read cannot change it
//! (a new value of a cell it read may make it read new cells, but that
//! value is then a changed input).  The lock snapshots
//! ([`super::snapshot`]) are an input as a whole: a walk is reused only
//! with the same generation of them.

use super::thread::{Domains, Flips, Masks, Others, ThreadPaths};
use super::Derivs;
use kvet_ir::Val;

/// What a walk saw of one cell: its domain, its masks (when sites are
/// tracked) and the values other threads write there with how they change
/// it (check mode).
type CellInputs = (Option<Vec<Val>>, Option<Vec<Derivs>>, Option<(Vec<Val>, Flips)>);

/// One thread's last round walk and the inputs it depended on.
pub(super) struct RoundMemo {
    base: Option<u32>,
    /// The generation of the lock snapshots it walked with (see
    /// [`super::snapshot::Fixpoint`]).
    snap_gen: u64,
    /// Whether it walked with the other threads' values: without them
    /// (the first round of the value fixpoint, and after a restart) a
    /// walk prunes nothing by coherence and records no out-write for
    /// the lock snapshots, whatever cells it looks up.
    with_other: bool,
    inputs: Vec<CellInputs>,
    out: ThreadPaths,
}

fn cell_inputs(c: u32, dom: &Domains, sites: Option<(&Masks, u32)>, other: Option<&Others>) -> CellInputs {
    let c = c as usize;
    (
        dom.get(c).cloned(),
        sites.and_then(|(m, _)| m.get(c).cloned()),
        other.and_then(|o| Some((o.get(c)?.clone(), o.flips.get(c)?.clone()))),
    )
}

impl RoundMemo {
    /// Remember the walk `out` made with these inputs.
    pub(super) fn new(
        dom: &Domains,
        sites: Option<(&Masks, u32)>,
        other: Option<&Others>,
        snap_gen: u64,
        out: ThreadPaths,
    ) -> Self {
        let inputs = out.consulted.iter().map(|c| cell_inputs(*c, dom, sites, other)).collect();
        RoundMemo { base: sites.map(|s| s.1), snap_gen, with_other: other.is_some(), inputs, out }
    }

    /// The remembered walk, if these inputs are the same as its own on
    /// every cell it looked up.
    pub(super) fn reuse(
        &self,
        dom: &Domains,
        sites: Option<(&Masks, u32)>,
        other: Option<&Others>,
        snap_gen: u64,
    ) -> Option<ThreadPaths> {
        if self.base != sites.map(|s| s.1) || self.snap_gen != snap_gen || self.with_other != other.is_some() {
            return None;
        }
        let same = self.out.consulted.iter().zip(&self.inputs).all(|(c, inp)| {
            let c = *c as usize;
            dom.get(c) == inp.0.as_ref()
                && sites.and_then(|(m, _)| m.get(c)) == inp.1.as_ref()
                && other.and_then(|o| Some((o.get(c)?, o.flips.get(c)?))) == inp.2.as_ref().map(|(v, f)| (v, f))
        });
        same.then(|| self.out.clone())
    }
}
