//! Cheap necessary conditions for pruning partial executions.
//!
//! Source: the `coherence` (`acyclic po-loc | rf | co | fr`) and `atomic`
//! (`empty rmw & (fre ; coe)`) checks of `linux-kernel.cat`.  Both are
//! monotone in `rf` and `co`: if they fail on a partial assignment (a subset
//! of the final `rf`, and a subset of the final coherence order given with
//! [`Execution::set_co`]), every completion fails them too, so the generator
//! can stop extending it.  Lock events are ignored (their read-from is
//! computed by the model), which keeps the test sound.

use crate::bits::Row;
use crate::exec::{Base, Execution};

/// Result of [`partial_check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partial {
    /// `acyclic po-loc | rf | co | fr` holds on the known edges.
    pub coherent: bool,
    /// `empty rmw & (fre ; coe)` holds on the known edges.
    pub atomic: bool,
}

impl Partial {
    /// Both conditions hold.
    pub fn ok(self) -> bool {
        self.coherent && self.atomic
    }
}

/// Evaluate the coherence and atomicity conditions on the `rf` edges and
/// the (possibly partial) coherence order of `ex`.  Pairs `IW -> w` of
/// the same location are implied in `co` (as herd's `co0` does).
pub fn partial_check(ex: &Execution) -> Partial {
    crate::dispatch_rows!(ex.len(), run(ex))
}

fn run<R: Row>(ex: &Execution) -> Partial {
    let b = Base::<R>::new(ex);
    let mut co = b.co.clone().unwrap_or_else(|| crate::bits::Rel::empty(b.n));
    let mut w = b.w.clone();
    w.diff_with(&b.iw);
    co.union_with(&b.loc.restrict(&b.iw, &w));
    co.close();
    let fr = b.rf.inverse().seq(&co).diff(&b.id);
    let mut g = b.po.inter(&b.loc);
    g.union_with(&b.rf);
    g.union_with(&co);
    g.union_with(&fr);
    let coherent = g.is_acyclic();
    let fre = fr.inter(&b.ext);
    let coe = co.inter(&b.ext);
    let atomic = b.rmw.inter(&fre.seq(&coe)).is_empty();
    Partial { coherent, atomic }
}
