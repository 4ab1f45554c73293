//! The search: breadth-first by default (counterexamples are shortest),
//! depth-first on request. States live in flat arenas; each stored state
//! gets an id, and a parent table (`parent id`, `move`) turns any id back
//! into the schedule that reached it, which replay re-executes. A move is
//! a step of a CPU's running context, or the start of one of its handlers
//! (an interrupt or an IPI): `cpu + ncpus * (0 | 1 + handler)`.
//!
//! The expansion of a state (its findings, outcome, ample set and
//! successors) is step.rs's, the one the parallel search of kvet-dist
//! uses too; this file holds the order of the search, the visited set
//! and parent table, the cycle proviso and the bounds.

use crate::frontier::{Frontier, RAW_LEVEL_BYTES};
use crate::step::{Ample, Scratch, Stepper, Visit};
use crate::visited::{FpTable, VisitedSet};
use crate::{Exploration, Options, SearchOrder, StopReason, Violation, ViolationKind};
use kvet_ir::{Program, Val};
use std::collections::BTreeMap;
use std::time::Instant;

/// One sequential search in progress: the successor function, the
/// visited set and parent table, and what was found so far.
struct Explorer<'s, 'p, 'o> {
    st: &'s Stepper<'p>,
    /// The expansion's working memory (the state's moves, the successors
    /// computed).
    sc: Scratch,
    opts: &'s Options,
    visited: FpTable,
    parent: Vec<u32>,
    via: Vec<u16>,
    /// Per stored state: for how many states of its one-move chain the
    /// polling-loop check is known to find nothing (`Scratch::poll_clear_next`
    /// of its parent, if it is the successor by the parent's one move).
    poll_clear: Vec<u8>,
    res: Exploration,
    start: Instant,
    /// Bytes that do not grow with the search: the working copies of the
    /// state vector (the program's memory, registers and contexts).
    fixed_bytes: usize,
    /// Bytes of the frontier arrays not passed to `store` (the BFS
    /// level being expanded).
    held_bytes: usize,
    /// States waiting to be expanded (the BFS level's rest and the next
    /// level, or the DFS stack), for progress reports.
    frontier: usize,
    observer: Option<&'o mut dyn FnMut(&Progress)>,
    /// Breadth-first under partial-order reduction: the fingerprints of
    /// the next level's states are kept (the BFS cycle proviso accepts
    /// an ample successor found there; without reduction nothing asks).
    bfs: bool,
    next_level: FpTable,
    /// The fingerprints of the successors of the state being expanded
    /// (those in `sc`).
    fps: Vec<u128>,
    /// The moves of an ample set the proviso refused, with their
    /// successors' fingerprints: the full expansion that follows
    /// computes the same successors and takes their fingerprints from
    /// here rather than hashing them again.
    known: Vec<(u32, u128)>,
}

/// The schedule that reached state `id`.
fn path_of(parent: &[u32], via: &[u16], mut id: u32) -> Vec<u32> {
    let mut p = Vec::new();
    while id != 0 {
        p.push(via[id as usize] as u32);
        id = parent[id as usize];
    }
    p.reverse();
    p
}

/// What the sequential search does with what an expansion of state `id`
/// meets: the first finding of each kind, with its schedule; the outcome
/// counted; each successor's fingerprint, whose visited-table slot is
/// prefetched while the next successors are computed.
struct Meet<'a, 'p> {
    res: &'a mut Exploration,
    parent: &'a [u32],
    via: &'a [u16],
    id: u32,
    st: &'a Stepper<'p>,
    visited: &'a FpTable,
    fps: &'a mut Vec<u128>,
    known: &'a [(u32, u128)],
    stop_at_first: bool,
}

impl Visit for Meet<'_, '_> {
    fn finding(&mut self, mut v: Violation, extra: Option<u32>) {
        if self.known(v.kind) {
            return;
        }
        v.path = path_of(self.parent, self.via, self.id);
        v.path.extend(extra);
        self.res.violations.push(v);
    }

    fn outcome(&mut self, obs: &[Val]) {
        *self.res.outcomes.entry(obs.to_vec()).or_insert(0) += 1;
    }

    #[inline]
    fn successor(&mut self, mv: u32, s: &[i64]) {
        // (a move's successor is a function of the state and the move)
        let fp = match self.known.iter().find(|&&(m, _)| m == mv) {
            Some(&(_, fp)) => fp,
            None => self.st.fingerprint(s),
        };
        self.visited.prefetch(fp);
        self.fps.push(fp);
    }

    fn known(&self, kind: ViolationKind) -> bool {
        self.res.violations.iter().any(|x| x.kind == kind)
    }

    fn stop(&self) -> bool {
        self.stop_at_first && self.res.violations.iter().any(|v| v.kind.is_bug())
    }
}

/// How far a search has come, for a progress display (the engine does no
/// I/O: `explore_with` hands this to the caller every few thousand
/// states).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Distinct states stored so far.
    pub states: u64,
    /// Transitions taken so far.
    pub transitions: u64,
    /// BFS level (or DFS stack depth).
    pub depth: u64,
    /// States waiting to be expanded.
    pub frontier: u64,
    /// Bytes of the visited set and parent table.
    pub memory: u64,
    /// Wall time since the search started, in seconds.
    pub elapsed_secs: f64,
}

impl<'p> Explorer<'_, 'p, '_> {
    /// The visitor of an expansion of state `id`.
    fn meet(&mut self, id: u32) -> (Meet<'_, 'p>, &mut Scratch) {
        let meet = Meet {
            res: &mut self.res,
            parent: &self.parent,
            via: &self.via,
            id,
            st: self.st,
            visited: &self.visited,
            fps: &mut self.fps,
            known: &self.known,
            stop_at_first: self.opts.stop_at_first,
        };
        (meet, &mut self.sc)
    }

    /// Look at a stored state: record its outcome if every task is done,
    /// report a deadlock or hang if nothing can move, look for data races,
    /// and collect its moves. Returns whether it has any.
    fn classify(&mut self, s: &[i64], id: u32) -> bool {
        let st = self.st;
        self.sc.set_poll_clear(self.poll_clear[id as usize]);
        let (mut meet, sc) = self.meet(id);
        st.classify(s, sc, &mut meet)
    }

    /// Stop at the state, time or memory bound. `frontier` is the bytes
    /// held by the arrays the new state was pushed to.
    fn out_of_budget(&mut self, frontier: usize) -> bool {
        if self.res.states >= self.opts.max_states {
            self.res.stopped = Some(StopReason::States(self.opts.max_states));
            return true;
        }
        if self.res.states.is_multiple_of(4096) {
            let memory = self.memory_bytes(frontier) as u64;
            if let Some(obs) = self.observer.as_mut() {
                let p = Progress {
                    states: self.res.states,
                    transitions: self.res.transitions,
                    depth: self.res.depth,
                    frontier: self.frontier as u64,
                    memory,
                    elapsed_secs: self.start.elapsed().as_secs_f64(),
                };
                obs(&p);
            }
            if let Some(limit) = self.opts.max_seconds {
                if self.start.elapsed().as_secs_f64() > limit {
                    self.res.stopped = Some(StopReason::Time(limit));
                    return true;
                }
            }
        }
        self.over_memory(frontier)
    }

    /// Bytes the search holds now, by capacity.
    fn memory_bytes(&self, frontier: usize) -> usize {
        self.visited.bytes()
            + self.next_level.bytes()
            + self.sc.succ_bytes()
            + self.parent.capacity() * 4
            + self.via.capacity() * 2
            + self.poll_clear.capacity()
            + self.held_bytes
            + frontier
            + self.fixed_bytes
            + self.st.por_cut_bytes()
    }

    /// The memory bound, checked at every stored state: everything the
    /// search holds, by capacity, with the visited table counted at its
    /// peak if the next insertion makes it grow (old and new table both
    /// live while it rehashes), so that the bound holds before it is
    /// crossed rather than after.
    fn over_memory(&mut self, frontier: usize) -> bool {
        let bytes = self.memory_bytes(frontier) - self.visited.bytes() + self.visited.peak_bytes();
        self.res.peak_bytes = self.res.peak_bytes.max(bytes as u64);
        if bytes as u64 > self.opts.max_memory {
            self.res.stopped = Some(StopReason::Memory(self.opts.max_memory));
            return true;
        }
        false
    }

    /// Try the reduced expansion: the moves of the ample CPU, each
    /// successor without a finding, and (the cycle proviso) none of them
    /// on an earlier level than the next (BFS: seen before this level's
    /// expansion began; DFS: seen at all). None if it was not taken;
    /// if it was (the state needs no other successor), whether the
    /// search must stop at a bound. The set's successors are all
    /// computed (up to a step that fails) and their table slots
    /// prefetched before the proviso looks them up in order; the
    /// transitions counted are the same as if it had stopped computing
    /// at the first refused one.
    fn try_ample(&mut self, s: &[i64], id: u32, out: &mut Frontier) -> Option<bool> {
        self.fps.clear();
        self.known.clear();
        let st = self.st;
        let failed = match st.ample(s, &mut self.sc) {
            Ample::None => return None,
            Ample::Set { failed } => failed,
        };
        let n = self.sc.ample_len();
        for k in 0..n {
            let fp = st.fingerprint(self.sc.ample_succ(k));
            self.visited.prefetch(fp);
            if self.bfs {
                self.next_level.prefetch(fp);
            }
            self.fps.push(fp);
        }
        for k in 0..n {
            let fp = self.fps[k];
            if self.visited.contains(fp) && !(self.bfs && self.next_level.contains(fp)) {
                // the cycle proviso refuses the set at move k
                self.res.transitions += 1 + k as u64;
                self.remember_ample(n);
                return None;
            }
        }
        if let Some(at) = failed {
            // the full expansion reports a failed step
            self.res.transitions += 1 + at as u64;
            self.remember_ample(n);
            return None;
        }
        self.res.transitions += n as u64;
        Some(self.store(id, out, true))
    }

    /// Keep the fingerprints of the first `n` successors of a refused
    /// ample set for the full expansion (`known`).
    fn remember_ample(&mut self, n: usize) {
        self.known.clear();
        self.known.extend(self.sc.ample_moves()[..n].iter().zip(&self.fps[..n]).map(|(&mv, &fp)| (mv, fp)));
    }

    /// Store the successors computed in `sc` (their fingerprints in
    /// `fps`; their moves the ample set's, or the full expansion's) that
    /// are new, as children of `id`. True if the search must stop at a
    /// bound.
    fn store(&mut self, id: u32, out: &mut Frontier, ample: bool) -> bool {
        for k in 0..self.fps.len() {
            let fp = self.fps[k];
            if !self.visited.insert(fp) {
                continue;
            }
            if self.bfs {
                self.next_level.insert(fp);
            }
            let nid = self.parent.len() as u32;
            let mv = if ample { self.sc.ample_moves()[k] } else { self.sc.succ_moves()[k] };
            self.parent.push(id);
            self.via.push(mv as u16);
            // (non-zero only for a state of one move, whose successor this is)
            self.poll_clear.push(self.sc.poll_clear_next());
            self.res.states += 1;
            out.push(self.sc.succ(k), nid);
            if self.out_of_budget(out.bytes()) {
                return true;
            }
        }
        false
    }

    /// Expand state `s` (id `id`) fully: apply every move (in reverse
    /// order under DFS, so that the first is explored first), report
    /// what each finds, then store the new successors in `out`. The
    /// successors are all computed before any is looked up, so that the
    /// visited-table slots of all of them are prefetched while the others
    /// are computed. False if the search must stop.
    fn expand(&mut self, s: &[i64], id: u32, out: &mut Frontier, reverse: bool) -> bool {
        self.fps.clear();
        let st = self.st;
        let (mut meet, sc) = self.meet(id);
        let e = st.expand_all(s, sc, reverse, &mut meet);
        self.known.clear();
        self.res.transitions += e.transitions;
        // the successors computed before a stop are stored too, as they
        // were found
        let stop = self.store(id, out, false);
        !(stop || e.stopped)
    }

    /// Record the frontier's size if it is the largest yet: its encoded
    /// bytes, and per state those with its id and offset.
    fn peak_frontier(&mut self, f: &Frontier) {
        let b = f.encoded_len() as u64;
        if b > self.res.frontier_peak_bytes && !f.is_empty() {
            self.res.frontier_peak_bytes = b;
            self.res.frontier_state_bytes = b / f.len() as u64 + 12;
        }
    }

    fn stop_now(&self) -> bool {
        self.opts.stop_at_first && self.res.violations.iter().any(|v| v.kind.is_bug())
    }
}

/// Explore all interleavings of `prog`.
pub fn explore(prog: &Program, opts: &Options) -> Exploration {
    explore_inner(prog, opts, None)
}

/// `explore`, handing the search's progress to `observer` every 4096
/// states (the caller draws it; the search and its result are the same).
pub fn explore_with(prog: &Program, opts: &Options, observer: &mut dyn FnMut(&Progress)) -> Exploration {
    explore_inner(prog, opts, Some(observer))
}

/// The search `opts` asks for. Under symmetry, a program whose
/// interchangeable threads own objects is searched in the block layout
/// of symmetry/relocate.rs (the same program, its objects placed
/// otherwise; its schedules are the same moves), and if a step touched a
/// task's pid or tgid, which the symmetry assumes unread, the search runs
/// again without symmetry.
fn explore_inner(prog: &Program, opts: &Options, mut observer: Option<&mut dyn FnMut(&Progress)>) -> Exploration {
    if !opts.symmetry {
        return search_once(prog, opts, observer).0;
    }
    let moved = crate::symmetry::prepare(prog);
    let (res, broken) = match observer.as_mut() {
        Some(obs) => search_once(moved.as_ref().unwrap_or(prog), opts, Some(&mut **obs)),
        None => search_once(moved.as_ref().unwrap_or(prog), opts, None),
    };
    if !broken {
        return res;
    }
    let plain = Options { symmetry: false, ..opts.clone() };
    search_once(prog, &plain, observer).0
}

/// One search, and whether its symmetry was broken (`Stepper::symmetry_broken`).
fn search_once(prog: &Program, opts: &Options, observer: Option<&mut dyn FnMut(&Progress)>) -> (Exploration, bool) {
    let st = Stepper::with_options_rerun(prog, opts);
    let mut cx = Explorer {
        st: &st,
        sc: Scratch::default(),
        opts,
        visited: FpTable::default(),
        parent: vec![0],
        via: vec![0],
        poll_clear: vec![0],
        res: Exploration { outcomes: BTreeMap::new(), ..Exploration::default() },
        start: Instant::now(),
        fixed_bytes: 0,
        held_bytes: 0,
        frontier: 1,
        observer,
        bfs: opts.order == SearchOrder::Bfs && st.reduces(),
        next_level: FpTable::default(),
        fps: Vec::new(),
        known: Vec::new(),
    };
    cx.res.symmetric = st.symmetric();
    let (warnings, init) = st.initial();
    // warnings of the local code before every thread's first step
    for w in warnings {
        cx.meet(0).0.finding(w, None);
    }
    let init = match init {
        Ok(s) => s,
        Err(v) => {
            cx.meet(0).0.finding(v, None);
            cx.res.complete = true;
            return (cx.res, st.symmetry_broken());
        }
    };
    let fp = st.fingerprint(&init);
    cx.visited.insert(fp);
    cx.res.states = 1;
    // the initial state, the scratch copy and the state being expanded
    cx.fixed_bytes = init.len() * 8 * 3 + st.por_bytes();
    cx.res.frontier_state_bytes = init.len() as u64 * 8 + 12;
    cx.res.state_bytes = init.len() as u64 * 8;
    if cx.over_memory(0) {
        cx.res.complete = false;
        cx.res.frontier = 1;
        return (cx.res, st.symmetry_broken());
    }
    match opts.order {
        SearchOrder::Bfs => bfs(&mut cx, init),
        SearchOrder::Dfs => dfs(&mut cx, init),
    }
    cx.res.complete = cx.res.stopped.is_none() && !cx.stop_now();
    cx.res.stored_bytes =
        (cx.visited.bytes() + cx.parent.capacity() * 4 + cx.via.capacity() * 2 + cx.poll_clear.capacity()) as u64;
    let broken = st.symmetry_broken();
    (cx.res, broken)
}

fn bfs(cx: &mut Explorer, init: Vec<i64>) {
    let mut cur = Frontier::default();
    cur.push(&init, 0);
    let mut next = Frontier::default();
    next.set_raw(init.len());
    let mut s = init;
    while !cur.is_empty() {
        for k in 0..cur.len() {
            let id = cur.id(k);
            cur.prefetch(k + 1);
            cx.frontier = cur.len() - k + next.len();
            let s = cur.view(k, &mut s);
            if !cx.classify(s, id) {
                continue;
            }
            // on a stop, the states of this level not yet expanded and
            // the next level are the frontier left
            let left = (cur.len() - k - 1) as u64;
            if let Some(stop) = cx.try_ample(s, id, &mut next) {
                if stop {
                    cx.res.frontier = left + next.len() as u64;
                    return;
                }
                continue;
            }
            if !cx.expand(s, id, &mut next, false) {
                cx.res.frontier = left + next.len() as u64;
                return;
            }
            if cx.stop_now() {
                return;
            }
        }
        cx.peak_frontier(&next);
        std::mem::swap(&mut cur, &mut next);
        next.clear();
        // the next level in plain words while the levels are small
        next.set_raw(if cur.len() * s.len() * 8 < RAW_LEVEL_BYTES { s.len() } else { 0 });
        cx.next_level.clear();
        cx.held_bytes = cur.bytes();
        cx.res.depth += 1;
    }
}

fn dfs(cx: &mut Explorer, init: Vec<i64>) {
    let mut stack = Frontier::default();
    stack.push(&init, 0);
    let mut s = init;
    while let Some(id) = stack.pop(&mut s) {
        cx.frontier = stack.len();
        if !cx.classify(&s, id) {
            continue;
        }
        if let Some(stop) = cx.try_ample(&s, id, &mut stack) {
            if stop {
                cx.res.frontier = stack.len() as u64;
                return;
            }
            continue;
        }
        // push in reverse so the first move is explored first
        if !cx.expand(&s, id, &mut stack, true) {
            cx.res.frontier = stack.len() as u64;
            return;
        }
        cx.res.depth = cx.res.depth.max(stack.len() as u64);
        cx.peak_frontier(&stack);
    }
}
