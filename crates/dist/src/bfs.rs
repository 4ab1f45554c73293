//! The level-synchronous, hash-partitioned breadth-first search (Stern
//! and Dill's parallel Murφ; DiVinE; PREACH): each worker owns the states
//! whose fingerprint hashes to it (`owner`), keeps their visited shard and
//! expands the part of each level it owns; successors travel to their
//! owner in batches (net.rs), in the compact encoding of wire.rs.
//!
//! Same answers as the sequential search (kvet-explore's search.rs):
//! - The sequential BFS stores a level's states in the order in which
//!   their first discoverer met them: the lexicographic order of (the
//!   parent's rank in its level, the move's place in the parent's
//!   expansion). Ranks being themselves that order one level up, a
//!   state's rank order is the lexicographic order of its path of move
//!   keys from the initial state (`Stepper::order_key`). Each frontier
//!   state carries that path (2 bytes per level); the owner keeps, for a
//!   state discovered several times in a level, the smallest path, which
//!   is the sequential search's first discoverer, and so its trace.
//! - A finding's place in the sequential order is (level, path of the
//!   state being expanded, its rank within that expansion); each worker
//!   keeps the first of each kind and the final gather takes the
//!   smallest, then lists them in that order, as search.rs's `report`.
//! - Partial-order reduction's cycle proviso is the level-based one, as
//!   the sequential search's: an ample set (every move of one CPU) is
//!   taken unless one of its successors was stored at the expanded
//!   state's level or before (it may be new or already in the next
//!   level), or one of its steps fails or warns. The successors go to
//!   their owners with a question (those this worker owns are decided
//!   here); a level is three supersteps (ample sets and full expansions;
//!   the owners' answers; the full expansions of the refused sets that
//!   waited for them). The transitions counted are the sequential
//!   search's, which stops computing a set's successors at the first
//!   failed or old one. Without reduction a level is one superstep.
//! - Counts (states, transitions, outcomes) are sums, independent of
//!   who expands what.
//!
//! Bounds are checked at the end of each level, with one gather of every
//! worker's counts: the state bound, the time bound, and the memory bound
//! per process (the sum of its workers' tables). A stopped search says
//! what it covered (states stored, the level left unexpanded).

use crate::net::Net;
use crate::wire::{get_violation, put_i, put_u, put_violation, Rd};
use kvet_explore::{
    Ample, Event, Exploration, Options, Progress, Scratch, Stepper, StopReason, Violation, ViolationKind,
};
use kvet_ir::Val;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// The worker that owns a state.
pub(crate) fn owner(fp: u128, peers: usize) -> usize {
    (((fp >> 64) as u64) % peers as u64) as usize
}

/// The first finding of one kind that a worker met, with its place in
/// the sequential order: `level` (0 for the initial state's warnings,
/// else the expanded state's level + 1), the expanded state's path of
/// move keys, and its rank within the expansion.
#[derive(Clone)]
struct Found {
    level: u32,
    path: Vec<u16>,
    seq: u32,
    v: Violation,
}

impl Found {
    fn before(&self, level: u32, path: &[u16], seq: u32) -> bool {
        (self.level, self.path.as_slice(), self.seq) < (level, path, seq)
    }
}

type Best = BTreeMap<ViolationKind, Found>;

fn record(best: &mut Best, st: &Stepper, level: u32, path: &[u16], seq: u32, mut v: Violation, extra: Option<u32>) {
    if best.get(&v.kind).is_some_and(|f| f.before(level, path, seq)) {
        return;
    }
    v.path = path.iter().map(|&k| st.move_of_key(k)).chain(extra).collect();
    best.insert(v.kind, Found { level, path: path.to_vec(), seq, v });
}

/// Where one expansion's events go.
struct Sink<'a, 'p> {
    st: &'a Stepper<'p>,
    best: &'a mut Best,
    outcomes: &'a mut BTreeMap<Vec<Val>, u64>,
    out: &'a mut [Vec<u8>],
    /// Per destination, the parent whose path its batch last carried.
    last: &'a mut [usize],
    parent: usize,
    level: u32,
    path: &'a [u16],
    seq: u32,
    /// Successors this worker owns skip the wire.
    me: usize,
    visited: &'a FxHashSet<u128>,
    next: &'a mut Level,
    buf: &'a mut Vec<u16>,
}

impl Sink<'_, '_> {
    fn on(&mut self, e: Event) {
        match e {
            Event::Finding(v, extra) => {
                record(self.best, self.st, self.level + 1, self.path, self.seq, v, extra);
                self.seq += 1;
            }
            Event::Outcome(o) => *self.outcomes.entry(o.to_vec()).or_insert(0) += 1,
            Event::Successor(mv, s) => {
                self.seq += 1;
                let fp = self.st.fingerprint(s);
                let key = self.st.order_key(mv);
                if owner(fp, self.out.len()) == self.me {
                    self.buf.clear();
                    self.buf.extend_from_slice(self.path);
                    self.buf.push(key);
                    offer(self.visited, self.next, fp, self.buf, s);
                } else {
                    send(self.out, self.last, self.parent, fp, None, self.path, key, s);
                }
            }
        }
    }
}

/// A successor reaches its owner: a state already stored (at this level
/// or before) is dropped; a new one joins the next level with the
/// smallest path it was reached by, and that path's state (under
/// symmetry, states of one orbit share the fingerprint: the sequential
/// search keeps the first one it met). Returns whether it was new.
fn offer(visited: &FxHashSet<u128>, next: &mut Level, fp: u128, path: &[u16], state: &[i64]) -> bool {
    if visited.contains(&fp) {
        return false;
    }
    let pl = path.len();
    match next.index.get(&fp) {
        Some(&j) => {
            let j = j as usize;
            let old = &mut next.paths[j * pl..(j + 1) * pl];
            if path < &old[..] {
                old.copy_from_slice(path);
                let w = state.len();
                next.states[j * w..(j + 1) * w].copy_from_slice(state);
            }
        }
        None => {
            next.index.insert(fp, (next.states.len() / state.len().max(1)) as u32);
            next.states.extend_from_slice(state);
            next.paths.extend_from_slice(path);
        }
    }
    true
}

/// Append a successor to its owner's batch: when the batch's last
/// successor had another parent, the parent's path first (tag 2 and the
/// path's move keys: successors of one parent share it); then a tag (0,
/// or 1, the parent's index and the move's place in the ample set for an
/// ample candidate), the move's key and the state's words.
#[allow(clippy::too_many_arguments)]
fn send(
    out: &mut [Vec<u8>],
    last: &mut [usize],
    parent: usize,
    fp: u128,
    cand: Option<(usize, usize)>,
    path: &[u16],
    key: u16,
    s: &[i64],
) {
    let w = owner(fp, out.len());
    let b = &mut out[w];
    if last[w] != parent {
        last[w] = parent;
        put_u(b, 2);
        for &k in path {
            put_u(b, k as u64);
        }
    }
    match cand {
        None => put_u(b, 0),
        Some((i, k)) => {
            put_u(b, 1);
            put_u(b, i as u64);
            put_u(b, k as u64);
        }
    }
    put_u(b, key as u64);
    for &x in s {
        put_i(b, x);
    }
}

/// An ample set some of whose successors other workers own: its place
/// in the sequential search's first-found order of findings (`seq`), the
/// first of its moves that fails or whose successor this worker found
/// old (`bound`, or `total` if none), its size, whether it was refused
/// and fully expanded already, and the first move whose successor an
/// owner answered old.
struct Pending {
    seq: u32,
    bound: usize,
    total: usize,
    expanded: bool,
    first_old: usize,
}

/// The states of one level that this worker owns, with their paths.
#[derive(Default)]
struct Level {
    states: Vec<i64>,
    paths: Vec<u16>,
    index: FxHashMap<u128, u32>,
}

impl Level {
    fn bytes(&self) -> usize {
        self.states.capacity() * 8 + self.paths.capacity() * 2 + self.index.capacity() * 24
    }
}

/// What one worker returns: the merged result (the same on every worker)
/// and its own traffic.
pub(crate) struct Outcome {
    pub ex: Exploration,
    pub bytes_out: u64,
    pub bytes_remote: u64,
    pub supersteps: u64,
}

/// Run the search on this worker.
pub(crate) fn run(
    net: &mut Net,
    st: &Stepper,
    opts: &Options,
    start: Instant,
    progress: Option<&Sender<Progress>>,
) -> Outcome {
    let peers = net.peers;
    let me = net.index;
    let mut best: Best = BTreeMap::new();
    let mut outcomes: BTreeMap<Vec<Val>, u64> = BTreeMap::new();
    let mut transitions = 0u64;
    let mut sc = Scratch::default();
    let (warns, init) = st.initial();
    let nwarn = warns.len() as u32;
    if me == 0 {
        for (k, w) in warns.into_iter().enumerate() {
            record(&mut best, st, 0, &[], k as u32, w, None);
        }
    }
    let init = match init {
        Ok(s) => s,
        Err(v) => {
            if me == 0 {
                record(&mut best, st, 0, &[], nwarn, v, None);
            }
            let ex = Exploration { complete: true, symmetric: st.symmetric(), ..Exploration::default() };
            return finish(net, st, ex, best, outcomes, 0);
        }
    };
    let width = init.len();
    let mut visited: FxHashSet<u128> = FxHashSet::default();
    let mut cur = Level::default();
    let fp0 = st.fingerprint(&init);
    if owner(fp0, peers) == me {
        visited.insert(fp0);
        cur.states = init;
    }
    let mut states = 1u64;
    let mut depth = 0u64;
    let mut level = 0u32;
    let mut stopped = None;
    let mut frontier = 0u64;
    let mut stop_first = false;
    let mut path_buf: Vec<u16> = Vec::new();
    let mut state_buf: Vec<i64> = vec![0; width];
    loop {
        let pl = level as usize;
        let ncur = cur.states.len() / width;
        let mut next = Level::default();
        let mut out: Vec<Vec<u8>> = vec![Vec::new(); peers];
        let mut last: Vec<usize> = vec![usize::MAX; peers];
        // the ample sets waiting for their owners' answers, by index
        let mut pending: FxHashMap<usize, Pending> = FxHashMap::default();
        for i in 0..ncur {
            let s = &cur.states[i * width..(i + 1) * width];
            let path = &cur.paths[i * pl..(i + 1) * pl];
            let mut sink = Sink {
                st,
                best: &mut best,
                outcomes: &mut outcomes,
                out: &mut out,
                last: &mut last,
                parent: i,
                level,
                path,
                seq: 0,
                me,
                visited: &visited,
                next: &mut next,
                buf: &mut path_buf,
            };
            if !st.classify(s, &mut sc, &mut |e| sink.on(e)) {
                continue;
            }
            if let Ample::Set { failed } = st.ample(s, &mut sc) {
                // Offer the successors in order: those this worker owns
                // are decided here (the first old one refuses the set),
                // the others are sent with a question. Every successor
                // offered is one of the full expansion's too, so the
                // offers of a refused set change nothing.
                let total = sc.ample_moves().len();
                let mut bound = failed.unwrap_or(total);
                let mut asked = false;
                for k in 0..sc.ample_len() {
                    let succ = sc.ample_succ(k);
                    let fp = st.fingerprint(succ);
                    let key = st.order_key(sc.ample_moves()[k]);
                    if owner(fp, peers) != me {
                        send(sink.out, sink.last, i, fp, Some((i, k)), path, key, succ);
                        asked = true;
                        continue;
                    }
                    sink.buf.clear();
                    sink.buf.extend_from_slice(path);
                    sink.buf.push(key);
                    if !offer(sink.visited, sink.next, fp, sink.buf, succ) {
                        bound = k;
                        break;
                    }
                }
                let refused = bound < total;
                if asked {
                    // decided (and the transitions counted) on the answers
                    pending
                        .insert(i, Pending { seq: sink.seq, bound, total, expanded: refused, first_old: usize::MAX });
                    if !refused {
                        continue;
                    }
                } else if !refused {
                    transitions += total as u64;
                    continue;
                } else {
                    transitions += 1 + bound as u64;
                }
            }
            transitions += st.expand(s, &mut sc, &mut |e| sink.on(e));
        }
        let got = net.exchange(out);
        let mut replies: Vec<Vec<u8>> = vec![Vec::new(); peers];
        for (src, buf) in got.iter().enumerate() {
            receive(st, buf, pl + 1, &mut path_buf, &mut state_buf, &visited, &mut next, &mut replies[src]);
        }
        if opts.reduce {
            let answers = net.exchange(replies);
            let mut out: Vec<Vec<u8>> = vec![Vec::new(); peers];
            let mut last: Vec<usize> = vec![usize::MAX; peers];
            for buf in &answers {
                let mut r = Rd::new(buf);
                while !r.done() {
                    let (i, k, new) = (r.u() as usize, r.u() as usize, r.u() != 0);
                    if let Some(p) = pending.get_mut(&i) {
                        if !new {
                            p.first_old = p.first_old.min(k);
                        }
                    }
                }
            }
            // the sequential search stops computing an ample set's
            // successors at the first failed or old one
            let mut refused: Vec<usize> = Vec::new();
            for (&i, p) in &pending {
                let stop = p.bound.min(p.first_old);
                if stop < p.total {
                    transitions += 1 + stop as u64;
                    if !p.expanded {
                        refused.push(i);
                    }
                } else {
                    transitions += p.total as u64;
                }
            }
            refused.sort_unstable();
            for i in refused {
                let s = &cur.states[i * width..(i + 1) * width];
                let path = &cur.paths[i * pl..(i + 1) * pl];
                // its findings and outcome were recorded with the candidate
                st.classify(s, &mut sc, &mut |_| {});
                let mut sink = Sink {
                    st,
                    best: &mut best,
                    outcomes: &mut outcomes,
                    out: &mut out,
                    last: &mut last,
                    parent: i,
                    level,
                    path,
                    seq: pending[&i].seq,
                    me,
                    visited: &visited,
                    next: &mut next,
                    buf: &mut path_buf,
                };
                transitions += st.expand(s, &mut sc, &mut |e| sink.on(e));
            }
            let got = net.exchange(out);
            let mut none = Vec::new();
            for buf in &got {
                receive(st, buf, pl + 1, &mut path_buf, &mut state_buf, &visited, &mut next, &mut none);
            }
        }
        // commit the next level, in path order
        let n_new = next.index.len();
        let mut order: Vec<u32> = next
            .index
            .drain()
            .map(|(fp, j)| {
                visited.insert(fp);
                j
            })
            .collect();
        let npl = pl + 1;
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            next.paths[a * npl..(a + 1) * npl].cmp(&next.paths[b * npl..(b + 1) * npl])
        });
        let mut nl = Level {
            states: Vec::with_capacity(n_new * width),
            paths: Vec::with_capacity(n_new * npl),
            index: FxHashMap::default(),
        };
        for &j in &order {
            let j = j as usize;
            nl.states.extend_from_slice(&next.states[j * width..(j + 1) * width]);
            nl.paths.extend_from_slice(&next.paths[j * npl..(j + 1) * npl]);
        }
        drop(next);
        cur = nl;
        depth += 1;
        // one gather of every worker's counts
        let bytes = visited.capacity() * 17 + cur.bytes() + sc.bytes();
        let over_time = opts.max_seconds.is_some_and(|t| start.elapsed().as_secs_f64() > t);
        let has_bug = best.keys().any(|k| k.is_bug());
        let mut mine = Vec::new();
        put_u(&mut mine, n_new as u64);
        put_u(&mut mine, transitions);
        put_u(&mut mine, bytes as u64);
        put_u(&mut mine, over_time as u64);
        put_u(&mut mine, has_bug as u64);
        let all = net.all_gather(mine);
        let mut new_total = 0u64;
        let mut trans_total = 0u64;
        let mut per_process: BTreeMap<usize, u64> = BTreeMap::new();
        let mut any_time = false;
        let mut any_bug = false;
        for (w, b) in all.iter().enumerate() {
            let mut r = Rd::new(b);
            new_total += r.u();
            trans_total += r.u();
            *per_process.entry(net.process_of(w)).or_insert(0) += r.u();
            any_time |= r.u() != 0;
            any_bug |= r.u() != 0;
        }
        states += new_total;
        let memory = per_process.values().copied().max().unwrap_or(0);
        if let Some(tx) = progress {
            let _ = tx.send(Progress {
                states,
                transitions: trans_total,
                depth,
                frontier: new_total,
                memory,
                elapsed_secs: start.elapsed().as_secs_f64(),
            });
        }
        if new_total == 0 {
            break;
        }
        if states >= opts.max_states {
            stopped = Some(StopReason::States(opts.max_states));
        } else if any_time {
            stopped = Some(StopReason::Time(opts.max_seconds.unwrap_or(0.0)));
        } else if memory > opts.max_memory {
            stopped = Some(StopReason::Memory(opts.max_memory));
        } else if opts.stop_at_first && any_bug {
            stop_first = true;
            break;
        }
        if stopped.is_some() {
            frontier = new_total;
            break;
        }
        level += 1;
    }
    let ex = Exploration {
        states,
        transitions,
        depth,
        complete: stopped.is_none() && !stop_first,
        stopped,
        frontier,
        symmetric: st.symmetric(),
        ..Exploration::default()
    };
    finish(net, st, ex, best, outcomes, transitions)
}

/// Take one batch of successors: a state already stored (at this level
/// or before) is dropped, and an ample candidate for it refused; a new
/// one joins the next level with the smallest path it was reached by.
#[allow(clippy::too_many_arguments)]
fn receive(
    st: &Stepper,
    buf: &[u8],
    pl: usize,
    path: &mut Vec<u16>,
    state: &mut [i64],
    visited: &FxHashSet<u128>,
    next: &mut Level,
    reply: &mut Vec<u8>,
) {
    let mut r = Rd::new(buf);
    while !r.done() {
        let mut tag = r.u();
        if tag == 2 {
            path.clear();
            path.extend((0..pl - 1).map(|_| r.u() as u16));
            tag = r.u();
        }
        let cand = if tag == 1 { Some((r.u(), r.u())) } else { None };
        path.truncate(pl - 1);
        path.push(r.u() as u16);
        for x in state.iter_mut() {
            *x = r.i();
        }
        let fp = st.fingerprint(state);
        let new = offer(visited, next, fp, path, state);
        if let Some((i, k)) = cand {
            put_u(reply, i);
            put_u(reply, k);
            put_u(reply, new as u64);
        }
    }
}

/// Gather every worker's findings, outcomes and transitions; every
/// worker merges them the same way.
fn finish(
    net: &mut Net,
    _st: &Stepper,
    mut ex: Exploration,
    best: Best,
    outcomes: BTreeMap<Vec<Val>, u64>,
    transitions: u64,
) -> Outcome {
    let mut mine = Vec::new();
    put_u(&mut mine, transitions);
    put_u(&mut mine, outcomes.len() as u64);
    for (o, n) in &outcomes {
        put_u(&mut mine, o.len() as u64);
        for &x in o {
            put_i(&mut mine, x);
        }
        put_u(&mut mine, *n);
    }
    put_u(&mut mine, best.len() as u64);
    for f in best.values() {
        put_u(&mut mine, f.level as u64);
        put_u(&mut mine, f.path.len() as u64);
        for &k in &f.path {
            put_u(&mut mine, k as u64);
        }
        put_u(&mut mine, f.seq as u64);
        put_violation(&mut mine, &f.v);
    }
    let all = net.all_gather(mine);
    let mut merged: Best = BTreeMap::new();
    ex.transitions = 0;
    for b in &all {
        let mut r = Rd::new(b);
        ex.transitions += r.u();
        for _ in 0..r.u() {
            let n = r.u() as usize;
            let o: Vec<Val> = (0..n).map(|_| r.i()).collect();
            *ex.outcomes.entry(o).or_insert(0) += r.u();
        }
        for _ in 0..r.u() {
            let level = r.u() as u32;
            let n = r.u() as usize;
            let path: Vec<u16> = (0..n).map(|_| r.u() as u16).collect();
            let seq = r.u() as u32;
            let v = get_violation(&mut r);
            if merged.get(&v.kind).is_some_and(|f| f.before(level, &path, seq)) {
                continue;
            }
            merged.insert(v.kind, Found { level, path, seq, v });
        }
    }
    let mut found: Vec<Found> = merged.into_values().collect();
    found.sort_by(|a, b| (a.level, &a.path, a.seq).cmp(&(b.level, &b.path, b.seq)));
    ex.violations = found.into_iter().map(|f| f.v).collect();
    Outcome { ex, bytes_out: net.bytes_out, bytes_remote: net.bytes_remote, supersteps: net.supersteps }
}
