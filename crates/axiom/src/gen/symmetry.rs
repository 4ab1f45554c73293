//! Symmetry of a litmus test: permutations of its threads, with a
//! renaming of its memory cells, that map every thread's paths onto the
//! image thread's paths, event for event.
//!
//! Every axiomatic model (linux-kernel.cat and any cat model, which can
//! name neither a thread nor a location) gives the same verdicts to an
//! execution and to its image under such a permutation: the image has the
//! same events, po, dependencies, rmw, rf and co up to renaming.  So the
//! executions of a combination of paths and those of its image are in
//! bijection, and the image execution's final state is the original's,
//! with the observed registers and cells permuted (and pointer values
//! renamed).  The generator then enumerates one combination per orbit
//! (the lexicographically least) and counts each of its allowed
//! executions once per distinct combination of the orbit, with that
//! image's final state: the states, the positive and negative counts and
//! the flags are exactly those of the full enumeration (herd7's counts,
//! `herd/top_herd.ml`, stay exact).  This is the classic symmetry
//! reduction of model checking (Clarke, Emerson, Sistla; Ip and Dill),
//! applied to the combinations of paths only, so orbit sizes are exact.
//!
//! Used only where the image of an execution needs nothing but its final
//! state: litmus mode, no `filter` (the filter's early check prunes one
//! combination, not its orbit), no witness kept, no `-speedcheck` (the
//! stopping point depends on the order).

use super::thread::{ThreadPaths, Trace};
use kvet_ir::{fn_index, is_pointer, ptr_cell, ptr_to, Observed, Program, Val};
use rustc_hash::FxHashMap;

/// Most threads whose permutations are searched (8! = 40320 at most, cut
/// early by the trace shapes).
const MAX_THREADS: usize = 8;

/// One symmetry: a thread permutation with its cell renaming.
#[derive(Clone, Debug)]
pub struct Perm {
    /// Thread `t` maps to `threads[t]`.
    pub threads: Vec<usize>,
    /// Cell renaming (cells not listed map to themselves).
    cells: FxHashMap<u32, u32>,
    /// The image state's observed value `j` is the original's `obs[j]`.
    obs: Vec<usize>,
}

impl Perm {
    /// The image of cell `c`.
    pub fn map_cell(&self, c: u32) -> u32 {
        self.cells.get(&c).copied().unwrap_or(c)
    }

    fn map_val(&self, v: Val) -> Val {
        match ptr_cell(v) {
            Some(c) if is_pointer(v) => ptr_to(self.map_cell(c)),
            _ => v,
        }
    }

    /// The final state of the image execution.
    pub fn image(&self, vals: &[Val]) -> Vec<Val> {
        self.obs.iter().map(|&k| self.map_val(vals[k])).collect()
    }

    /// The image of a combination of paths (trace index per thread).
    pub fn combo(&self, combo: &[usize]) -> Vec<usize> {
        let mut out = vec![0; combo.len()];
        for (t, &k) in combo.iter().enumerate() {
            out[self.threads[t]] = k;
        }
        out
    }
}

/// The symmetries of `prog` given its threads' paths (identity first), or
/// `None` when only the identity is found.
pub fn find(prog: &Program, paths: &[ThreadPaths]) -> Option<Vec<Perm>> {
    let nt = paths.len();
    if !(2..=MAX_THREADS).contains(&nt) {
        return None;
    }
    let mut found = Vec::new();
    let mut pi = vec![usize::MAX; nt];
    let mut used = vec![false; nt];
    let mut m = Map::default();
    search(prog, paths, 0, &mut pi, &mut used, &mut m, &mut found);
    if found.len() <= 1 {
        return None;
    }
    // identity first
    found.sort_by_key(|p: &Perm| p.threads.iter().enumerate().any(|(t, &u)| t != u));
    Some(found)
}

/// A partial injective cell renaming.
#[derive(Clone, Default)]
struct Map {
    fwd: FxHashMap<u32, u32>,
    bwd: FxHashMap<u32, u32>,
}

impl Map {
    fn bind(&mut self, a: u32, b: u32) -> bool {
        match (self.fwd.get(&a), self.bwd.get(&b)) {
            (Some(&x), _) if x != b => false,
            (_, Some(&y)) if y != a => false,
            _ => {
                self.fwd.insert(a, b);
                self.bwd.insert(b, a);
                true
            }
        }
    }

    fn bind_val(&mut self, a: Val, b: Val) -> bool {
        if is_pointer(a) || is_pointer(b) {
            if let (Some(x), Some(y)) = (ptr_cell(a), ptr_cell(b)) {
                return is_pointer(a) && is_pointer(b) && self.bind(x, y);
            }
            return fn_index(a).is_some() && a == b;
        }
        a == b
    }

    fn bind_cell(&mut self, a: Option<u32>, b: Option<u32>) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(x), Some(y)) => self.bind(x, y),
            _ => false,
        }
    }
}

fn search(
    prog: &Program,
    paths: &[ThreadPaths],
    t: usize,
    pi: &mut [usize],
    used: &mut [bool],
    m: &mut Map,
    found: &mut Vec<Perm>,
) {
    let nt = paths.len();
    if t == nt {
        if let Some(p) = complete(prog, pi, m) {
            found.push(p);
        }
        return;
    }
    for u in 0..nt {
        if used[u] {
            continue;
        }
        let mut m2 = m.clone();
        if !threads_match(&paths[t], &paths[u], &mut m2) {
            continue;
        }
        used[u] = true;
        pi[t] = u;
        search(prog, paths, t + 1, pi, used, &mut m2, found);
        used[u] = false;
        pi[t] = usize::MAX;
    }
}

/// Do `a`'s paths map onto `b`'s, one for one in order, under an
/// extension of `m`?
fn threads_match(a: &ThreadPaths, b: &ThreadPaths, m: &mut Map) -> bool {
    a.traces.len() == b.traces.len()
        && a.toofar == b.toofar
        && a.traces.iter().zip(&b.traces).all(|(x, y)| traces_match(x, y, m))
}

fn traces_match(a: &Trace, b: &Trace, m: &mut Map) -> bool {
    // check-mode parts must be absent (symmetry is used in litmus mode)
    if a.evs.len() != b.evs.len()
        || a.rmw != b.rmw
        || a.regs.len() != b.regs.len()
        || a.blocked.is_some()
        || b.blocked.is_some()
        || a.awaits.is_some()
        || b.awaits.is_some()
        || a.fault_stop
        || b.fault_stop
        || a.bound
        || b.bound
        || !a.faults.is_empty()
        || !b.faults.is_empty()
        || a.unfired
        || b.unfired
        || a.held.len() != b.held.len()
    {
        return false;
    }
    for (x, y) in a.evs.iter().zip(&b.evs) {
        if x.kind != y.kind
            || x.tags != y.tags
            || x.atomic != y.atomic
            || x.addr != y.addr
            || x.data != y.data
            || x.ctrl != y.ctrl
            || x.val.is_some() != y.val.is_some()
            || !m.bind_cell(x.cell, y.cell)
        {
            return false;
        }
        if let (Some(v), Some(w)) = (x.val, y.val) {
            if !m.bind_val(v, w) {
                return false;
            }
        }
    }
    a.regs.iter().zip(&b.regs).all(|(&v, &w)| m.bind_val(v, w))
        && a.held.iter().zip(&b.held).all(|(&x, &y)| m.bind(x, y))
}

/// The permutation `pi` with the renaming `m`, if the initial memory and
/// the observed locations are invariant under it.
fn complete(prog: &Program, pi: &[usize], m: &Map) -> Option<Perm> {
    let mut cells = FxHashMap::default();
    for (&a, &b) in &m.fwd {
        if a != b {
            cells.insert(a, b);
        }
    }
    // m is injective, and its image lies in the cells the traces touch,
    // which are its domain: a permutation of them
    if m.fwd.values().any(|b| !m.fwd.contains_key(b)) {
        return None;
    }
    let mut p = Perm { threads: pi.to_vec(), cells, obs: Vec::new() };
    for c in 0..prog.ncells {
        let init = |c: u32| prog.init_mem.get(c as usize).copied().unwrap_or(0);
        if init(p.map_cell(c)) != p.map_val(init(c)) {
            return None;
        }
    }
    // two cells of one name share a location of the execution: keep away
    let mut names: Vec<String> = m.fwd.keys().map(|&c| prog.cell_name(c)).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let image = |o: &Observed| -> (u8, u32, u32) {
        match o {
            Observed::Reg { thread, reg, .. } => (0, pi[*thread as usize] as u32, u32::from(*reg)),
            Observed::Cell { cell, .. } => (1, p.map_cell(*cell), 0),
        }
    };
    let key = |o: &Observed| -> (u8, u32, u32) {
        match o {
            Observed::Reg { thread, reg, .. } => (0, *thread, u32::from(*reg)),
            Observed::Cell { cell, .. } => (1, *cell, 0),
        }
    };
    let n = prog.observed.len();
    let mut obs = vec![usize::MAX; n];
    for (k, o) in prog.observed.iter().enumerate() {
        let img = image(o);
        let j = prog.observed.iter().position(|x| key(x) == img)?;
        // displayed values stay displayed
        if (k < prog.ndisplay) != (j < prog.ndisplay) {
            return None;
        }
        if obs[j] == usize::MAX {
            obs[j] = k;
        }
    }
    // positions that are duplicates of others take their twin's source
    let filled = obs.clone();
    for (j, o) in prog.observed.iter().enumerate() {
        if obs[j] == usize::MAX {
            let kj = key(o);
            let twin = (0..n).find(|&i| filled[i] != usize::MAX && key(&prog.observed[i]) == kj)?;
            obs[j] = filled[twin];
        }
    }
    p.obs = obs;
    Some(p)
}
