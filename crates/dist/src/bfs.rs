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
//! Bounds stop the search cleanly, with what it covered:
//! - The state bound stops where the sequential search stops: at the
//!   state that reaches it, in the sequential order (the next level's
//!   `k`th state by path). A level's transitions and outcomes are kept
//!   per expanded state until the level ends; if the bound falls inside
//!   it, only those of the states up to that state's parent count, and
//!   the findings after that parent are dropped, so that states,
//!   transitions, depth, frontier, outcomes and findings are the
//!   sequential search's (`Search::cut`).
//! - The time bound, and the memory bound (per process: the sum of its
//!   workers' tables), are checked at the end of each level with one
//!   gather of every worker's counts, and inside a level every 256
//!   expanded states by each worker (the memory bound then against the
//!   worker's share of it): a worker past it expands no more of the
//!   level, the exchanges of the level still run, and the search stops
//!   with the states stored and, as its frontier, the states left
//!   unexpanded and the next level's.

use crate::net::Net;
use crate::wire::{get_violation, put_fp, put_i, put_state, put_u, put_violation, Rd};
use kvet_explore::{
    Ample, Exploration, Ignore, Options, Progress, Scratch, Stepper, StopReason, Violation, ViolationKind, Visit,
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
    /// The outcomes of this level, with the index of the state that has
    /// each (kept apart until the level is committed).
    outcomes: &'a mut Vec<(usize, Vec<Val>)>,
    out: &'a mut [Vec<u8>],
    /// Per destination, the parent whose path its batch last carried.
    last: &'a mut [Last],
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

impl Visit for Sink<'_, '_> {
    fn finding(&mut self, v: Violation, extra: Option<u32>) {
        record(self.best, self.st, self.level + 1, self.path, self.seq, v, extra);
        self.seq += 1;
    }

    fn outcome(&mut self, o: &[Val]) {
        self.outcomes.push((self.parent, o.to_vec()));
    }

    fn successor(&mut self, mv: u32, s: &[i64]) {
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

impl Sink<'_, '_> {
    /// Offer the successors of an ample set in order: those this worker
    /// owns are decided here (the first old one refuses the set), the
    /// others are sent to their owners with a question. Every successor
    /// offered is one of the full expansion's too, so the offers of a
    /// refused set change nothing. Returns the index of the first move
    /// whose step failed or whose successor is old here (`total` if
    /// none), and whether some owner was asked.
    fn offer_ample(&mut self, sc: &Scratch, failed: Option<usize>) -> (usize, bool) {
        let total = sc.ample_moves().len();
        let mut bound = failed.unwrap_or(total);
        let mut asked = false;
        for k in 0..sc.ample_len() {
            let succ = sc.ample_succ(k);
            let fp = self.st.fingerprint(succ);
            let key = self.st.order_key(sc.ample_moves()[k]);
            if owner(fp, self.out.len()) != self.me {
                send(self.out, self.last, self.parent, fp, Some((self.parent, k)), self.path, key, succ);
                asked = true;
                continue;
            }
            self.buf.clear();
            self.buf.extend_from_slice(self.path);
            self.buf.push(key);
            if !offer(self.visited, self.next, fp, self.buf, succ) {
                bound = k;
                break;
            }
        }
        (bound, asked)
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

/// Per destination batch, the parent whose path it last carried, and
/// that path.
#[derive(Clone)]
struct Last {
    parent: usize,
    path: Vec<u16>,
}

impl Last {
    /// One per destination, for a superstep's new batches.
    fn fresh(peers: usize) -> Vec<Last> {
        vec![Last { parent: usize::MAX, path: Vec::new() }; peers]
    }
}

/// Append a successor to its owner's batch: when the batch's last
/// successor had another parent, the parent's path first (tag 2, the
/// length of the prefix it shares with the batch's previous path, and
/// the rest of its move keys: successors of one parent share the path,
/// and the parents a level expands in turn share most of it); then a tag (0,
/// or 1, the parent's index and the move's place in the ample set for an
/// ample candidate), the move's key, the state's fingerprint and its
/// words. The fingerprint lets the owner drop a state it already holds
/// without decoding or hashing it: most successors are such duplicates.
#[allow(clippy::too_many_arguments)]
fn send(
    out: &mut [Vec<u8>],
    last: &mut [Last],
    parent: usize,
    fp: u128,
    cand: Option<(usize, usize)>,
    path: &[u16],
    key: u16,
    s: &[i64],
) {
    let w = owner(fp, out.len());
    let b = &mut out[w];
    let l = &mut last[w];
    if l.parent != parent {
        l.parent = parent;
        let shared = l.path.iter().zip(path).take_while(|(a, b)| a == b).count();
        put_u(b, 2);
        put_u(b, shared as u64);
        for &k in &path[shared..] {
            put_u(b, k as u64);
        }
        l.path.clear();
        l.path.extend_from_slice(path);
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
    put_fp(b, fp);
    put_state(b, s);
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

    /// Empty, keeping the buffers' capacity.
    fn clear(&mut self) {
        self.states.clear();
        self.paths.clear();
        self.index.clear();
    }

    /// The path of state `i`, whose paths are `pl` moves long.
    fn path(&self, i: usize, pl: usize) -> &[u16] {
        &self.paths[i * pl..(i + 1) * pl]
    }
}

/// What the expansion of one level adds to the counts, kept apart until
/// the level is committed: a state bound reached inside the level keeps
/// only the part the sequential search covers before it stops.
struct Tally {
    /// Transitions, per expanded state (its index in the level).
    trans: Vec<u64>,
    /// Outcomes, with the index of the final state that has each.
    outcomes: Vec<(usize, Vec<Val>)>,
    /// The states of the level expanded: all of them, or fewer when this
    /// worker stopped inside the level at the time or memory bound.
    expanded: usize,
}

/// What one worker returns: the merged result (the same on every worker)
/// and its own traffic.
pub(crate) struct Outcome {
    pub ex: Exploration,
    pub bytes_out: u64,
    pub bytes_remote: u64,
    pub supersteps: u64,
}

/// One worker's search: its shard of the visited set, the part of the
/// level being expanded that it owns, and what it has found.
struct Search<'n, 'w, 's, 'p> {
    net: &'n mut Net<'w>,
    st: &'s Stepper<'p>,
    opts: &'s Options,
    start: Instant,
    me: usize,
    peers: usize,
    width: usize,
    sc: Scratch,
    best: Best,
    outcomes: BTreeMap<Vec<Val>, u64>,
    transitions: u64,
    visited: FxHashSet<u128>,
    /// The level being expanded (its states' paths are `level` long).
    cur: Level,
    /// The buffers of the level before `cur`, cleared, reused for the
    /// next level: a level's vectors then grow without copying once the
    /// search has reached its widest level.
    spare: Level,
    level: u32,
    /// States stored by every worker, up to the level being expanded.
    states: u64,
    path_buf: Vec<u16>,
    state_buf: Vec<i64>,
}

/// Every worker's counts at the end of a level (one gather).
struct Counts {
    /// States of the next level, all workers.
    new: u64,
    transitions: u64,
    /// The largest process's memory.
    memory: u64,
    over_time: bool,
    bug: bool,
    /// States of the level left unexpanded (a worker stopped inside it).
    unexpanded: u64,
}

/// Run the search on this worker.
pub(crate) fn run(
    net: &mut Net,
    st: &Stepper,
    opts: &Options,
    start: Instant,
    progress: Option<&Sender<Progress>>,
) -> Outcome {
    let me = net.index;
    let mut best: Best = BTreeMap::new();
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
            return finish(net, ex, best, BTreeMap::new(), 0);
        }
    };
    let peers = net.peers;
    let mut s = Search {
        net,
        st,
        opts,
        start,
        me,
        peers,
        width: init.len(),
        sc: Scratch::default(),
        best,
        outcomes: BTreeMap::new(),
        transitions: 0,
        visited: FxHashSet::default(),
        cur: Level::default(),
        spare: Level::default(),
        level: 0,
        states: 1,
        path_buf: Vec::new(),
        state_buf: vec![0; init.len()],
    };
    let fp0 = st.fingerprint(&init);
    if owner(fp0, peers) == me {
        s.visited.insert(fp0);
        s.cur.states = init;
    }
    let ex = s.levels(progress);
    finish(s.net, ex, s.best, s.outcomes, s.transitions)
}

impl Search<'_, '_, '_, '_> {
    /// The level loop: expand, settle the ample sets, store the next
    /// level, gather the counts and check the bounds.
    fn levels(&mut self, progress: Option<&Sender<Progress>>) -> Exploration {
        let mut depth = 0u64;
        let mut stopped = None;
        let mut frontier = 0u64;
        let mut stop_first = false;
        loop {
            let mut next = std::mem::take(&mut self.spare);
            let ncur = self.cur.states.len() / self.width;
            let mut tally = Tally { trans: vec![0; ncur], outcomes: Vec::new(), expanded: ncur };
            let (pending, replies) = self.expand_level(&mut next, &mut tally);
            if self.opts.reduce {
                self.settle(pending, replies, &mut next, &mut tally);
            }
            let next = self.store(next);
            let c = self.gather(&next, &tally);
            if c.new == 0 && c.unexpanded == 0 {
                self.commit(tally);
                depth += 1;
                self.report_progress(progress, depth, &c);
                break;
            }
            let k = self.opts.max_states.saturating_sub(self.states).max(1);
            if c.unexpanded == 0 && c.new >= k {
                // the sequential search stops at the state that reaches the bound
                frontier = self.cut(&next, tally, k);
                self.states += k;
                stopped = Some(StopReason::States(self.opts.max_states));
                break;
            }
            self.commit(tally);
            self.states += c.new;
            if c.unexpanded > 0 {
                // a worker stopped inside the level: what was covered
                frontier = c.unexpanded + c.new;
                stopped = Some(if c.over_time {
                    StopReason::Time(self.opts.max_seconds.unwrap_or(0.0))
                } else {
                    StopReason::Memory(self.opts.max_memory)
                });
                break;
            }
            depth += 1;
            self.report_progress(progress, depth, &c);
            if c.over_time {
                stopped = Some(StopReason::Time(self.opts.max_seconds.unwrap_or(0.0)));
            } else if c.memory > self.opts.max_memory {
                stopped = Some(StopReason::Memory(self.opts.max_memory));
            } else if self.opts.stop_at_first && c.bug {
                stop_first = true;
                break;
            }
            if stopped.is_some() {
                frontier = c.new;
                break;
            }
            self.spare = std::mem::replace(&mut self.cur, next);
            self.spare.clear();
            self.level += 1;
        }
        Exploration {
            states: self.states,
            transitions: self.transitions,
            depth,
            complete: stopped.is_none() && !stop_first,
            stopped,
            frontier,
            symmetric: self.st.symmetric(),
            ..Exploration::default()
        }
    }

    fn report_progress(&self, progress: Option<&Sender<Progress>>, depth: u64, c: &Counts) {
        if let Some(tx) = progress {
            let _ = tx.send(Progress {
                states: self.states,
                transitions: c.transitions,
                depth,
                frontier: c.new,
                memory: c.memory,
                elapsed_secs: self.start.elapsed().as_secs_f64(),
            });
        }
    }

    /// The bytes this worker holds (its visited shard, the level being
    /// expanded and the next one, the expansion's buffers).
    fn bytes(&self, next: &Level) -> usize {
        self.visited.capacity() * 17 + self.cur.bytes() + next.bytes() + self.sc.bytes()
    }

    /// Whether this worker must stop inside the level: past the time
    /// bound, or holding more than its share of the process's memory
    /// bound.
    fn over_budget(&self, next: &Level) -> bool {
        let time = self.opts.max_seconds.is_some_and(|t| self.start.elapsed().as_secs_f64() > t);
        time || self.bytes(next) as u64 > self.opts.max_memory / self.net.threads as u64
    }

    /// Expand this worker's part of the level (the first superstep):
    /// every state's findings and outcome, its ample set or every move;
    /// successors go to their owners. Returns the ample sets waiting for
    /// other owners' answers, by state index, and this worker's answers
    /// to the others' questions.
    fn expand_level(&mut self, next: &mut Level, tally: &mut Tally) -> (FxHashMap<usize, Pending>, Vec<Vec<u8>>) {
        let (st, width, pl) = (self.st, self.width, self.level as usize);
        let ncur = tally.trans.len();
        let mut out: Vec<Vec<u8>> = vec![Vec::new(); self.peers];
        let mut last = Last::fresh(self.peers);
        let mut pending: FxHashMap<usize, Pending> = FxHashMap::default();
        for i in 0..ncur {
            if i % 256 == 255 && self.over_budget(next) {
                tally.expanded = i;
                break;
            }
            let s = &self.cur.states[i * width..(i + 1) * width];
            let path = self.cur.path(i, pl);
            let mut sink = Sink {
                st,
                best: &mut self.best,
                outcomes: &mut tally.outcomes,
                out: &mut out,
                last: &mut last,
                parent: i,
                level: self.level,
                path,
                seq: 0,
                me: self.me,
                visited: &self.visited,
                next,
                buf: &mut self.path_buf,
            };
            if !st.classify(s, &mut self.sc, &mut sink) {
                continue;
            }
            if let Ample::Set { failed } = st.ample(s, &mut self.sc) {
                let total = self.sc.ample_moves().len();
                let (bound, asked) = sink.offer_ample(&self.sc, failed);
                let refused = bound < total;
                if asked {
                    // decided (and the transitions counted) on the answers
                    let p = Pending { seq: sink.seq, bound, total, expanded: refused, first_old: usize::MAX };
                    pending.insert(i, p);
                    if !refused {
                        continue;
                    }
                } else if !refused {
                    tally.trans[i] += total as u64;
                    continue;
                } else {
                    tally.trans[i] += 1 + bound as u64;
                }
            }
            tally.trans[i] += st.expand(s, &mut self.sc, &mut sink);
        }
        let got = self.net.exchange(out);
        let mut replies: Vec<Vec<u8>> = vec![Vec::new(); self.peers];
        for (src, buf) in got.iter().enumerate() {
            receive(buf, pl + 1, &mut self.path_buf, &mut self.state_buf, &self.visited, next, &mut replies[src]);
        }
        (pending, replies)
    }

    /// Settle the ample sets whose successors other workers own (the
    /// second and third supersteps, under reduction): send the answers,
    /// count each set's transitions as the sequential search does (it
    /// stops computing a set's successors at the first failed or old
    /// one), and expand fully the sets an owner refused.
    fn settle(
        &mut self,
        mut pending: FxHashMap<usize, Pending>,
        replies: Vec<Vec<u8>>,
        next: &mut Level,
        tally: &mut Tally,
    ) {
        let (st, width, pl) = (self.st, self.width, self.level as usize);
        let answers = self.net.exchange(replies);
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
        let mut refused: Vec<usize> = Vec::new();
        for (&i, p) in &pending {
            let stop = p.bound.min(p.first_old);
            if stop < p.total {
                tally.trans[i] += 1 + stop as u64;
                if !p.expanded {
                    refused.push(i);
                }
            } else {
                tally.trans[i] += p.total as u64;
            }
        }
        refused.sort_unstable();
        let mut out: Vec<Vec<u8>> = vec![Vec::new(); self.peers];
        let mut last = Last::fresh(self.peers);
        for i in refused {
            let s = &self.cur.states[i * width..(i + 1) * width];
            // its findings and outcome were recorded with the candidate
            st.classify(s, &mut self.sc, &mut Ignore);
            let mut sink = Sink {
                st,
                best: &mut self.best,
                outcomes: &mut tally.outcomes,
                out: &mut out,
                last: &mut last,
                parent: i,
                level: self.level,
                path: self.cur.path(i, pl),
                seq: pending[&i].seq,
                me: self.me,
                visited: &self.visited,
                next,
                buf: &mut self.path_buf,
            };
            tally.trans[i] += st.expand(s, &mut self.sc, &mut sink);
        }
        let got = self.net.exchange(out);
        let mut none = Vec::new();
        for buf in &got {
            receive(buf, pl + 1, &mut self.path_buf, &mut self.state_buf, &self.visited, next, &mut none);
        }
    }

    /// The next level, its states now stored. It stays in the order its
    /// states arrived: no answer depends on the order in which a level is
    /// expanded (the smallest path kept per state, the findings' places,
    /// the sums), except where the state bound falls inside a level,
    /// which [`Self::cut`] orders by path itself.
    fn store(&mut self, mut next: Level) -> Level {
        self.visited.reserve(next.index.len());
        self.visited.extend(next.index.keys().copied());
        next.index.clear();
        next
    }

    /// One gather of every worker's counts at the end of a level.
    fn gather(&mut self, next: &Level, tally: &Tally) -> Counts {
        let bytes = self.visited.capacity() * 17 + next.bytes() + self.sc.bytes();
        let over_time = self.opts.max_seconds.is_some_and(|t| self.start.elapsed().as_secs_f64() > t);
        let has_bug = self.best.keys().any(|k| k.is_bug());
        let mut mine = Vec::new();
        put_u(&mut mine, (next.states.len() / self.width) as u64);
        put_u(&mut mine, self.transitions + tally.trans.iter().sum::<u64>());
        put_u(&mut mine, bytes as u64);
        put_u(&mut mine, over_time as u64);
        put_u(&mut mine, has_bug as u64);
        put_u(&mut mine, (tally.trans.len() - tally.expanded) as u64);
        let all = self.net.all_gather(mine);
        let mut c = Counts { new: 0, transitions: 0, memory: 0, over_time: false, bug: false, unexpanded: 0 };
        let mut per_process: BTreeMap<usize, u64> = BTreeMap::new();
        for (w, b) in all.iter().enumerate() {
            let mut r = Rd::new(b);
            c.new += r.u();
            c.transitions += r.u();
            *per_process.entry(self.net.process_of(w)).or_insert(0) += r.u();
            c.over_time |= r.u() != 0;
            c.bug |= r.u() != 0;
            c.unexpanded += r.u();
        }
        c.memory = per_process.values().copied().max().unwrap_or(0);
        c
    }

    /// Add a whole level's counts.
    fn commit(&mut self, tally: Tally) {
        self.transitions += tally.trans.iter().sum::<u64>();
        for (_, o) in tally.outcomes {
            *self.outcomes.entry(o).or_insert(0) += 1;
        }
    }

    /// The state bound is reached inside this level, at its `k`th new
    /// state in the sequential order: the sequential search stores it
    /// while expanding its parent `p` (the state whose path is its
    /// path's prefix), having counted every transition, outcome and
    /// finding of the states up to `p`, and stops there. Keep exactly
    /// that, and return the frontier it leaves: the states of this level
    /// after `p`, and the `k` stored.
    fn cut(&mut self, next: &Level, tally: Tally, k: u64) -> u64 {
        let (pl, npl) = (self.level as usize, self.level as usize + 1);
        let n = next.states.len() / self.width;
        let take = (k as usize).min(n);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_unstable_by(|&a, &b| next.path(a, npl).cmp(next.path(b, npl)));
        let mut mine = Vec::new();
        put_u(&mut mine, take as u64);
        for &j in &order[..take] {
            for &key in next.path(j, npl) {
                put_u(&mut mine, key as u64);
            }
        }
        let mut paths: Vec<Vec<u16>> = Vec::new();
        for b in self.net.all_gather(mine) {
            let mut r = Rd::new(&b);
            for _ in 0..r.u() {
                paths.push((0..npl).map(|_| r.u() as u16).collect());
            }
        }
        paths.sort_unstable();
        let p = paths[k as usize - 1][..pl].to_vec();
        // the states of this level up to `p` (the level is not in path order)
        let upto: Vec<bool> = (0..tally.trans.len()).map(|i| self.cur.path(i, pl) <= &p[..]).collect();
        self.transitions += tally.trans.iter().zip(&upto).filter(|(_, u)| **u).map(|(t, _)| t).sum::<u64>();
        for (i, o) in tally.outcomes {
            if upto[i] {
                *self.outcomes.entry(o).or_insert(0) += 1;
            }
        }
        let level = self.level + 1;
        self.best.retain(|_, f| (f.level, f.path.as_slice()) <= (level, &p[..]));
        let mut left = Vec::new();
        put_u(&mut left, upto.iter().filter(|u| !**u).count() as u64);
        let after: u64 = self.net.all_gather(left).iter().map(|b| Rd::new(b).u()).sum();
        after + k
    }
}

/// Take one batch of successors: a state already stored (at this level
/// or before) is dropped, and an ample candidate for it refused; a new
/// one joins the next level with the smallest path it was reached by.
/// A successor that cannot change the next level (stored before, or held
/// with a path no larger) is skipped undecoded.
#[allow(clippy::too_many_arguments)]
fn receive(
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
            // (a batch's first path shares nothing with the one before)
            let shared = r.u() as usize;
            path.truncate(shared);
            path.extend((shared..pl - 1).map(|_| r.u() as u16));
            tag = r.u();
        }
        let cand = if tag == 1 { Some((r.u(), r.u())) } else { None };
        path.truncate(pl - 1);
        path.push(r.u() as u16);
        let fp = r.fp();
        let new = if visited.contains(&fp) {
            r.skip_state(state.len());
            false
        } else if next.index.get(&fp).is_some_and(|&j| next.path(j as usize, pl) <= &path[..]) {
            r.skip_state(state.len());
            true
        } else {
            r.state(state);
            offer(visited, next, fp, path, state)
        };
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
