//! The search over candidate executions: one path per thread, then the
//! read-from relation, then the final writes, then the model.
//!
//! Sources: herd7's `herd/mem.ml` (`calculate_rf_with_cnstrnts`: each read
//! reads from any write of its location with the value it was given;
//! initial writes for every location; the final writes `FW`, one per
//! location the final state observes, co-last) and `herd/top_herd.ml`
//! (`model_kont`: an allowed alternative counts as positive or negative
//! according to the condition, its final state joins the states, its flags
//! are reported; the filter and `-through` drop executions first).
//!
//! Pruning: a read only reads from writes of its value; a partial `rf` is
//! abandoned as soon as the coherence base of `cos-opt.cat` (`cobase`:
//! `co0 | ww | rw | wr | rr` on one location) is cyclic or an RMW's
//! atomicity is broken, which every model built on `linux-kernel.cat`,
//! `sc.cat` or `sc-kernel.cat` rejects anyway (`ConsCo`, `coherence`,
//! `atomic`).
//!
//! Deadlocks (beyond herd7, whose `lock.cat` silently drops executions
//! in which a `spin_lock()` is never granted): with
//! [`GenOptions::deadlocks`], a second pass runs over combinations in
//! which some threads stop just before a `spin_lock()` (the prefixes of
//! [`ThreadPaths::blocked`]) and the others complete; when each stopped
//! thread waits for a lock that some thread holds at its end and the
//! model allows one execution of the combination, the wait cycle (or the
//! exited holder) is a deadlock.  This is complete for the LKMM within the
//! unrolling bound, which an SC search is not: every SC execution is an
//! LKMM one, but the LKMM lets two lock holders both miss each other's
//! write (store buffering inside critical sections) and then each take
//! the other's lock, a deadlock no interleaving reaches.

use super::check::{Finding, FindingKind};
use super::loc_memo::{LocMemo, PEv};
use super::round_memo::RoundMemo;
use super::snapshot::{Fixpoint, Snapshots};
use super::symmetry::{self, Perm};
use super::thread::{self, AwaitKind, Domains, FaultKind, Limits, Masks, ThreadPaths, Trace, SYM, SYMX};
use super::{Derivs, GenError, GenOptions, LitmusResult, Sites, Witness};
use crate::exec::{Event, EventKind, Execution, LocId};
use crate::{Model, Verdict};
use kvet_ir::{Cond, Observed, Program, Quant, Val};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::time::Instant;

const NONE: usize = usize::MAX;

/// A partial read-from is checked by the model ([`Model::partial_ok`])
/// only when the reads still to choose have at least this many
/// combinations of sources: below it, evaluating the few candidates costs
/// less than the check (measured on the wait-queue examples: 16 saves a
/// third of the time, 4 and 64 less).
const PARTIAL_MIN_SUBTREE: u64 = 16;

/// Per-location data of one combination of paths.
#[derive(Default, Clone)]
struct Loc {
    /// Write events (global ids), the initial write first.
    writes: Vec<usize>,
    /// `ww`: po-loc between writes, as local adjacency rows.
    ww: Vec<u64>,
    /// Reads of the location (indices into `Leaf::reads`).
    reads: Vec<usize>,
    /// Too many writes for the bit-matrix pruning.
    wide: bool,
}

/// What a path writes and what its reads need from other threads.
#[derive(Default)]
struct TInfo {
    writes: Vec<(u32, Val)>,
    needs: Vec<(u32, Val)>,
    /// `writes` and `needs` as dense ids of their (cell, value) pairs
    /// (numbered once per search, so that `combine` counts in arrays).
    write_ids: Vec<u32>,
    need_ids: Vec<u32>,
}

/// One read of a combination.
#[derive(Clone)]
struct Rd {
    ev: usize,
    cell: u32,
    /// Candidate sources (global ids).
    cands: Vec<usize>,
    /// Local indices of writes po-after / po-before it in its thread.
    after_w: u64,
    before_w: u64,
    /// Reads of the same location po-after it (indices into reads).
    after_r: Vec<usize>,
    /// Local index of the write of its RMW, if any.
    rmw_w: Option<usize>,
}

/// The search state.
pub struct Search<'a> {
    prog: &'a Program,
    model: &'a dyn Model,
    opts: &'a GenOptions,
    paths: Vec<ThreadPaths>,
    start: Instant,
    ex: Execution,
    loc_of_cell: Vec<LocId>,
    /// Observed memory cells (deduplicated).
    obs_cells: Vec<u32>,
    states: FxHashSet<Vec<Val>>,
    res: LitmusResult,
    flags: BTreeSet<String>,
    /// The model's verdicts of the current candidate, each with its
    /// multiplicity ([`Model::check_counted_into`]).
    verdicts: Vec<(Verdict, u64)>,
    stop: bool,
    ticks: u64,
    /// The order in which threads are given a path.
    order: Vec<usize>,
    /// The deadlock pass is running (see [`Search::deadlock_pass`]).
    dl_mode: bool,
    /// The current combination of paths is decided: stop its rf search.
    leaf_done: bool,
    /// Deadlocks found (descriptions).
    dl_found: BTreeSet<String>,
    /// The deadlocks the current combination of paths stands for.
    dl_cores: Vec<String>,
    /// Deadlock pass: the threads of the combination that wait forever
    /// (an await) while holding a lock a blocked thread waits for; their
    /// wait is part of the deadlock, not a hang of its own.
    dl_stuck_holders: Vec<usize>,
    /// First event of each thread in `ex` (current combination).
    bases: Vec<usize>,
    /// Check mode: what was found, and the keys of what was found.
    findings: Vec<Finding>,
    found: FxHashSet<(FindingKind, u32, u32)>,
    /// The model's per-combination data for [`Model::partial_ok`].
    pcache: crate::PartialCache,
    /// The test's symmetries (identity first), where they apply (see
    /// [`super::symmetry`]).
    sym: Option<Vec<Perm>>,
    /// The symmetries whose images of the current combination are its
    /// distinct combinations (the identity among them).
    sym_imgs: Vec<usize>,
    /// The path index chosen at each level of [`Search::combine`].
    combo_idx: Vec<usize>,
    /// The symmetries that fix the current combination (identity first).
    sym_stab: Vec<usize>,
    /// For each non-identity symmetry of `sym_stab`: its index, its map
    /// of the combination's events (global ids) and of its reads.
    rf_sym: Vec<(usize, Vec<usize>, Vec<usize>)>,
    /// The symmetries of `sym_stab` whose images of the current rf are
    /// its distinct images (the identity first).
    rf_imgs: Vec<usize>,
    /// Locations of path combinations found without a coherent rf (see
    /// [`super::loc_memo`]).
    memo: LocMemo,
    /// Combinations skipped by `memo` since the last unit of work.
    memo_skips: u32,
}

/// Most values one location may take before the generator gives up.
const MAX_DOMAIN: usize = 256;

impl<'a> Search<'a> {
    /// Enumerate the paths of every thread.
    pub fn new(prog: &'a Program, model: &'a dyn Model, opts: &'a GenOptions) -> Result<Self, GenError> {
        let t_start = Instant::now();
        crate::budget::set_limit(opts.max_memory);
        let lim = Limits {
            unroll: opts.unroll,
            max_traces: opts.max_traces,
            blocked: false,
            kernel: opts.kernel,
            deadline: opts.max_seconds.map(|t| t_start + std::time::Duration::from_secs_f64(t)),
            exhaustive: opts.exhaustive,
        };
        let n = prog.ncells as usize;
        let (conc, prev, snaps) = value_domains(prog, opts, lim)?;
        let mut paths: Vec<ThreadPaths> = Vec::with_capacity(prog.threads.len());
        let final_lim = Limits { blocked: opts.deadlocks && !opts.through.lets_invalid_through(), ..lim };
        for (t, th) in prog.threads.iter().enumerate() {
            let oth = prev.as_ref().map(|p| others(p, t, n));
            paths.push(thread::paths_with(prog, th, &conc, None, final_lim, (oth.as_ref(), snaps.as_ref()), None)?);
        }
        let (ex, loc_of_cell) = locations(prog);
        let obs_cells = observed_cells(prog);
        // symmetry needs only the final state of an image execution
        let sym = if opts.kernel
            || opts.exhaustive
            || opts.keep_witness
            || opts.speedcheck
            || opts.speedcheck_discard
            || prog.filter.is_some()
        {
            None
        } else {
            symmetry::find(prog, &paths)
        };
        let res = LitmusResult {
            toofar: paths.iter().any(|p| p.toofar),
            paths: paths.iter().map(|p| (p.traces.len() + p.blocked.len()) as u64).sum(),
            ..Default::default()
        };
        Ok(Search {
            prog,
            model,
            opts,
            paths,
            start: t_start,
            ex,
            loc_of_cell,
            obs_cells,
            states: FxHashSet::default(),
            res,
            flags: BTreeSet::new(),
            verdicts: Vec::new(),
            stop: false,
            ticks: 0,
            order: Vec::new(),
            dl_mode: false,
            leaf_done: false,
            dl_found: BTreeSet::new(),
            dl_cores: Vec::new(),
            dl_stuck_holders: Vec::new(),
            bases: Vec::new(),
            findings: Vec::new(),
            found: FxHashSet::default(),
            pcache: crate::PartialCache::default(),
            sym,
            sym_imgs: Vec::new(),
            combo_idx: Vec::new(),
            sym_stab: Vec::new(),
            rf_sym: Vec::new(),
            rf_imgs: Vec::new(),
            memo: LocMemo::default(),
            memo_skips: 0,
        })
    }

    /// Run the whole search.
    pub fn run(mut self) -> Result<LitmusResult, GenError> {
        crate::deadline::set_phase(crate::deadline::Phase::Candidates);
        if self.paths.iter().all(|p| !p.traces.is_empty()) {
            let paths = std::mem::take(&mut self.paths);
            let r = self.search_paths(&paths);
            self.paths = paths;
            r?;
        }
        if self.opts.deadlocks
            && !self.opts.through.lets_invalid_through()
            && self.paths.iter().any(|p| !p.blocked.is_empty())
        {
            match self.deadlock_pass() {
                Ok(()) => {}
                Err(GenError::Timeout) => self.res.deadlocks_partial = true,
                Err(e) => return Err(e),
            }
        }
        let mut res = self.res;
        res.outcomes = self.states.into_iter().collect();
        res.flags = self.flags.into_iter().collect();
        res.deadlocks = self.dl_found.into_iter().collect();
        res.findings = self.findings;
        Ok(res)
    }

    /// The deadlock pass: every thread runs one of its complete paths or
    /// one of its prefixes blocked at a `spin_lock()`, at least one is
    /// blocked, and each blocked thread waits for a lock some thread holds
    /// at its end.  Such a combination is a deadlock iff the model allows
    /// one of its executions: the events of the blocked threads stop
    /// before their `spin_lock()`, so this is an ordinary execution of
    /// the program in which those threads never get further, checked by
    /// the same model as the others.
    fn deadlock_pass(&mut self) -> Result<(), GenError> {
        let mut lists: Vec<ThreadPaths> = self
            .paths
            .iter()
            .map(|p| ThreadPaths {
                // (a complete path with a handler still to fire is no
                // partner of a thread waiting forever: it fires first)
                traces: p.traces.iter().filter(|t| !t.unfired).chain(&p.blocked).cloned().collect(),
                ..Default::default()
            })
            .collect();
        if !self.opts.exhaustive {
            super::holders::drop_holderless(&mut lists);
        }
        self.dl_mode = true;
        self.stop = false;
        let r = self.search_paths(&lists);
        self.dl_mode = false;
        r
    }

    /// Enumerate the combinations of paths (one from each `paths[t].traces`).
    fn search_paths(&mut self, paths: &[ThreadPaths]) -> Result<(), GenError> {
        let nt = paths.len();
        if paths.iter().any(|p| p.traces.is_empty()) {
            return Ok(());
        }
        // Per path: the (cell, value) pairs it writes, and those its reads
        // need from elsewhere (neither the initial value nor an earlier
        // write of the same path).
        let mut infos: Vec<Vec<TInfo>> = Vec::with_capacity(nt);
        let mut may_write: Vec<FxHashSet<(u32, Val)>> = vec![FxHashSet::default(); nt];
        for (t, p) in paths.iter().enumerate() {
            let mut v = Vec::with_capacity(p.traces.len());
            for tr in &p.traces {
                let mut info = TInfo::default();
                for e in &tr.evs {
                    let (Some(c), Some(val)) = (e.cell, e.val) else {
                        continue;
                    };
                    match e.kind {
                        EventKind::Write => {
                            if !info.writes.contains(&(c, val)) {
                                info.writes.push((c, val));
                            }
                            may_write[t].insert((c, val));
                        }
                        EventKind::Read => {
                            let init = self.prog.init_mem.get(c as usize).copied().unwrap_or(0) == val;
                            if !init && !info.writes.contains(&(c, val)) && !info.needs.contains(&(c, val)) {
                                info.needs.push((c, val));
                            }
                        }
                        _ => {}
                    }
                }
                v.push(info);
            }
            infos.push(v);
        }
        // Threads with few paths first: the last levels, where the reads
        // must find their values among the writes chosen so far, prune most.
        let mut order: Vec<usize> = (0..nt).collect();
        order.sort_by_key(|&t| (paths[t].traces.len(), t));
        self.order = order;
        // dense ids of the (cell, value) pairs written or needed
        let mut ids: FxHashMap<(u32, Val), u32> = FxHashMap::default();
        for info in infos.iter_mut().flatten() {
            for w in &info.writes {
                let n = ids.len() as u32;
                info.write_ids.push(*ids.entry(*w).or_insert(n));
            }
            for r in &info.needs {
                let n = ids.len() as u32;
                info.need_ids.push(*ids.entry(*r).or_insert(n));
            }
        }
        // later[l]: what the threads chosen at levels >= l may write
        let mut later: Vec<Vec<bool>> = vec![vec![false; ids.len()]; nt + 1];
        for l in (0..nt).rev() {
            let mut s = later[l + 1].clone();
            for w in &may_write[self.order[l]] {
                s[ids[w] as usize] = true;
            }
            later[l] = s;
        }
        if !self.opts.exhaustive {
            self.memo.set_paths(paths);
            self.memo.set_order(&self.order);
        }
        let mut chosen: Vec<&Trace> = Vec::with_capacity(nt);
        let mut avail = vec![0u32; ids.len()];
        let mut pending = Vec::new();
        self.combine(paths, &infos, &later, &mut avail, &mut pending, &mut chosen)
    }

    #[allow(clippy::too_many_arguments)]
    fn combine<'p>(
        &mut self,
        paths: &'p [ThreadPaths],
        infos: &[Vec<TInfo>],
        later: &[Vec<bool>],
        avail: &mut [u32],
        pending: &mut Vec<u32>,
        chosen: &mut Vec<&'p Trace>,
    ) -> Result<(), GenError> {
        if self.stop {
            return Ok(());
        }
        let level = chosen.len();
        if level == paths.len() {
            // back to thread order
            let mut by_thread: Vec<&Trace> = chosen.clone();
            for (lvl, &t) in self.order.iter().enumerate() {
                by_thread[t] = chosen[lvl];
            }
            if !self.dl_mode && self.sym.is_some() && !self.orbit() {
                return Ok(());
            }
            return self.leaf(&by_thread);
        }
        let t = self.order[level];
        // The deadlock pass only needs combinations holding a stopped
        // prefix that may still show something new (see
        // `deadlock_cores`): skip the others before their rf.
        let restrict = self.dl_mode
            && !self.opts.exhaustive
            && !chosen.iter().enumerate().any(|(l, tr)| self.stopped_fresh(self.order[l], tr))
            && !self.order[level + 1..].iter().any(|&u| paths[u].traces.iter().any(|tr| self.stopped_fresh(u, tr)));
        for (k, tr) in paths[t].traces.iter().enumerate() {
            if restrict && !self.stopped_fresh(t, tr) {
                continue;
            }
            let info = &infos[t][k];
            for &w in &info.write_ids {
                avail[w as usize] += 1;
            }
            let mark = pending.len();
            pending.extend_from_slice(&info.need_ids);
            // Every read chosen so far needs a possible source: a chosen
            // write or one a later thread may make.
            let ok = pending.iter().all(|&rv| avail[rv as usize] > 0 || later[level + 1][rv as usize]);
            if ok && !self.filter_excludes(chosen, tr) && self.closed_coherent(level, k)? {
                chosen.push(tr);
                self.combo_idx.push(k);
                let r = self.combine(paths, infos, later, avail, pending, chosen);
                self.combo_idx.pop();
                chosen.pop();
                r?;
            }
            pending.truncate(mark);
            for &w in &info.write_ids {
                avail[w as usize] -= 1;
            }
            if self.stop {
                break;
            }
        }
        Ok(())
    }

    /// Outside [`GenOptions::exhaustive`]: are the locations that level
    /// `level` closes (accessed by no path of a later level) coherent with
    /// path `k` at this level and the paths chosen before (see
    /// [`LocMemo::closed_coherent`])?  A subtree dropped here is every
    /// combination `leaf` would drop on the same key; it costs what one
    /// such combination did (a unit of work per 64).  Since every location
    /// of a combination is closed at some level, `leaf` needs no memo
    /// check of its own.
    fn closed_coherent(&mut self, level: usize, k: usize) -> Result<bool, GenError> {
        if self.opts.exhaustive {
            return Ok(true);
        }
        let mut chosen: Vec<(usize, usize)> = (0..level).map(|l| (self.order[l], self.combo_idx[l])).collect();
        chosen.push((self.order[level], k));
        let atomicity = !self.opts.through.lets_invalid_through();
        let prog = self.prog;
        let init = |c: u32| prog.init_mem.get(c as usize).copied().unwrap_or(0);
        if self.memo.closed_coherent(level, &chosen, |c, projs| projection_coherent(projs, init(c), atomicity)) {
            return Ok(true);
        }
        self.memo_skips += 1;
        if self.memo_skips.is_multiple_of(64) {
            self.tick()?;
        }
        Ok(false)
    }

    /// Symmetry: is the current combination of paths the least of its
    /// orbit?  If so, `sym_imgs` gets one symmetry per distinct
    /// combination of the orbit.
    fn orbit(&mut self) -> bool {
        let Some(sym) = &self.sym else { return true };
        let mut combo = vec![0; self.combo_idx.len()];
        for (lvl, &t) in self.order.iter().enumerate() {
            combo[t] = self.combo_idx[lvl];
        }
        let mut seen: Vec<Vec<usize>> = Vec::with_capacity(sym.len());
        self.sym_imgs.clear();
        self.sym_stab.clear();
        for (g, p) in sym.iter().enumerate() {
            let img = p.combo(&combo);
            if img < combo {
                return false;
            }
            if img == combo {
                self.sym_stab.push(g);
            }
            if !seen.contains(&img) {
                seen.push(img);
                self.sym_imgs.push(g);
            }
        }
        true
    }

    /// Litmus mode: does the `filter` clause fail on every completion of
    /// the combination `chosen` (by level) plus `tr` (the next level)?
    /// Only the registers of the threads chosen so far are known (memory
    /// and the other threads' registers are not), so the filter is
    /// evaluated in three-valued logic.  Such combinations are dropped
    /// before their rf: `check` drops every execution of theirs after the
    /// model anyway, before it counts, records a state, a flag or a
    /// witness.  (Not in check mode, whose findings come before the
    /// filter, nor in the deadlock pass, which ignores it.)
    fn filter_excludes(&self, chosen: &[&Trace], tr: &Trace) -> bool {
        let Some(f) = &self.prog.filter else { return false };
        if self.opts.kernel || self.dl_mode || self.opts.exhaustive {
            return false;
        }
        let known = |thread: usize| -> Option<&Trace> {
            match self.order.iter().position(|&t| t == thread) {
                Some(l) if l < chosen.len() => Some(chosen[l]),
                Some(l) if l == chosen.len() => Some(tr),
                _ => None,
            }
        };
        let vals: Vec<Option<Val>> = self
            .prog
            .observed
            .iter()
            .map(|o| match o {
                Observed::Reg { thread, reg, .. } => {
                    known(*thread as usize).map(|t| t.regs.get(*reg as usize).copied().unwrap_or(0))
                }
                Observed::Cell { .. } => None,
            })
            .collect();
        peval(f, &vals) == Some(false)
    }

    /// For the deadlock pass: may `tr`, thread `t`'s trace, still make a
    /// combination show something not found yet?  A prefix blocked at a
    /// lock may (its deadlock cores depend on the other threads); a
    /// prefix stopped at an await or a fault may if its finding is new,
    /// one cut at the unrolling bound if no allowed execution went past
    /// it yet, and any path with a failed check not found yet (beside a
    /// thread that waits forever, a complete path's assertion shows only
    /// here); a complete path does not otherwise.  Exactly the traces
    /// that make [`Search::deadlock_cores`] look further.
    fn stopped_fresh(&self, t: usize, tr: &Trace) -> bool {
        let t = t as u32;
        if tr.blocked.is_some() {
            return true;
        }
        if let Some(aw) = &tr.awaits {
            if !self.found.contains(&(FindingKind::Hang, t, aw.pc)) {
                return true;
            }
        }
        // (a failed check not found yet, on a stopped prefix or on a
        // complete path: the main pass never combines a path with a thread
        // that waits forever)
        if tr.faults.iter().any(|f| !self.found.contains(&(finding_kind(f.kind), t, f.pc))) {
            return true;
        }
        tr.bound && !self.res.toofar
    }

    /// For the deadlock pass: does this combination stand for a deadlock
    /// not found yet?  Each blocked thread waits for the thread holding
    /// its lock at its end (`false` if nobody does: it would take it).
    /// Following the waits from a blocked thread ends in a cycle of
    /// blocked threads or at a thread that has exited holding the lock;
    /// each such cycle or exited holder is one deadlock, described as the
    /// explorer does.  Sets `dl_cores`.
    fn deadlock_cores(&mut self, chosen: &[&Trace]) -> bool {
        let n = chosen.len();
        self.dl_stuck_holders.clear();
        // (an idle kworker's path is complete: it stops nothing)
        let waits = |t: &Trace| t.awaits.as_ref().is_some_and(|a| a.kind != AwaitKind::Idle);
        if chosen.iter().all(|t| t.blocked.is_none() && !waits(t) && !t.fault_stop && !t.bound) {
            return false;
        }
        // Awaits and reads of freed memory need no partner; something new?
        let mut fresh = false;
        for (t, tr) in chosen.iter().enumerate() {
            if let Some(aw) = tr.awaits.as_ref().filter(|a| a.kind != AwaitKind::Idle) {
                fresh |= !self.found.contains(&(await_finding_kind(aw.kind), t as u32, aw.pc));
            }
            // (a failed check of any chosen path, complete or not: the
            // main pass never combines a path with a thread that waits
            // forever, so this is the only place it shows)
            fresh |= tr.faults.iter().any(|f| !self.found.contains(&(finding_kind(f.kind), t as u32, f.pc)));
            fresh |= tr.bound && !self.res.toofar;
        }
        let cut = chosen.iter().any(|t| t.bound || t.fault_stop);
        // waits[t] = (lock, holder)
        let mut waits: Vec<Option<(u32, usize)>> = vec![None; n];
        for (t, tr) in chosen.iter().enumerate() {
            let Some(c) = tr.blocked else { continue };
            match (0..n).find(|&u| chosen[u].held.contains(&c)) {
                // a holder cut at the unrolling bound, or stopped after
                // reading freed memory, would go on: no deadlock
                Some(u) if chosen[u].bound || chosen[u].fault_stop => return false,
                // a holder that waits, while another thread would go on,
                // may still be woken: no deadlock known
                Some(u) if cut && chosen[u].awaits.as_ref().is_some_and(|a| a.kind != AwaitKind::Idle) => return false,
                Some(u) => waits[t] = Some((c, u)),
                None => return false,
            }
        }
        let name = |c: u32| self.prog.cell_name(c);
        let mut cores = Vec::new();
        let mut stuck_holders = Vec::new();
        for t in 0..n {
            if waits[t].is_none() {
                continue;
            }
            let who = |x: usize| self.prog.who(x);
            // (a task waiting for its CPU's run lock waits to run, see
            // thread/cpu_share.rs)
            let waits_in = |x: usize, c: u32| match thread::is_run_lock(self.prog, c) {
                true => format!("{} waits to run on its CPU", who(x)),
                false => format!("{} waits in spin_lock({})", who(x), name(c)),
            };
            let waits_for = |x: usize, c: u32| match thread::is_run_lock(self.prog, c) {
                true => format!("{} waits to run on its CPU", who(x)),
                false => format!("{} waits for {}", who(x), name(c)),
            };
            let mut path = vec![t];
            let mut cur = t;
            let core = loop {
                let (c, u) = waits[cur].expect("blocked");
                if waits[u].is_none() {
                    // the holder is not blocked on a lock: it has exited,
                    // or it waits forever itself (as the SC explorer
                    // says, the two stuck CPUs are one deadlock)
                    let why = match chosen[u].awaits.as_ref().map(|a| a.kind) {
                        None => "which has exited".to_string(),
                        // (a process's complete path may carry the reads
                        // that say no IPI is left for it: thread/ipi.rs)
                        Some(AwaitKind::Idle)
                            if self.prog.threads.get(u).is_some_and(|th| th.origin == kvet_ir::TaskOrigin::Proc) =>
                        {
                            "which has exited".to_string()
                        }
                        Some(AwaitKind::Idle) => "which has gone idle".to_string(),
                        Some(AwaitKind::Lock) => "which waits forever for a reader-writer lock".to_string(),
                        Some(AwaitKind::Ipi) => thread::ipi_wait_words(self.prog, chosen[u]),
                        Some(AwaitKind::Spin) => "which spins forever in a polling loop".to_string(),
                        Some(AwaitKind::Sleep) => "which sleeps forever".to_string(),
                        Some(AwaitKind::Completion) => "which waits forever in wait_for_completion()".to_string(),
                        Some(AwaitKind::Seqcount) => "which waits forever in read_seqbegin()".to_string(),
                    };
                    let stuck = chosen[u].awaits.as_ref().is_some_and(|a| a.kind != AwaitKind::Idle);
                    if stuck && !stuck_holders.contains(&u) {
                        stuck_holders.push(u);
                    }
                    break format!("{} (held by {}, {why})", waits_in(cur, c), who(u));
                }
                if let Some(k) = path.iter().position(|&x| x == u) {
                    let mut cyc: Vec<usize> = path[k..].to_vec();
                    cyc.sort_unstable();
                    if cyc.len() == 1 {
                        break format!("{}, which {} itself holds", waits_in(u, c), who(u));
                    }
                    let parts: Vec<String> = cyc
                        .iter()
                        .map(|&x| {
                            let (c, h) = waits[x].expect("blocked");
                            format!("{} (held by {})", waits_for(x, c), who(h))
                        })
                        .collect();
                    break parts.join(", ");
                }
                path.push(u);
                cur = u;
            };
            if !cores.contains(&core) {
                cores.push(core);
            }
        }
        if !fresh && cores.iter().all(|c| self.dl_found.contains(c)) {
            return false;
        }
        self.dl_cores = cores;
        self.dl_stuck_holders = stuck_holders;
        true
    }

    /// Check mode: the findings an allowed execution of `chosen` shows
    /// (those not found yet).
    fn record_findings(&mut self, chosen: &[&Trace]) {
        let mut new: Vec<(FindingKind, u32, u32, String)> = Vec::new();
        // A thread cut at the unrolling bound, or stopped after reading
        // freed memory, would go on: what an await reads is co-last only
        // among the writes of the prefixes, so no await of this
        // combination is known to last forever (an execution cut at the
        // bound counts as gone too far instead; a fault is its own finding).
        let cut = chosen.iter().any(|t| t.bound || t.fault_stop);
        if self.dl_mode && chosen.iter().any(|t| t.bound) {
            self.res.toofar = true; // an allowed execution goes past the bound
        }
        // (a CPU an IPI's sender waits for is part of the sender's deadlock)
        let ipi_waited = if self.dl_mode { super::thread::waited_for(self.prog, chosen) } else { Vec::new() };
        for (t, tr) in chosen.iter().enumerate() {
            let t = t as u32;
            for f in &tr.faults {
                new.push((finding_kind(f.kind), t, f.pc, f.message.clone()));
            }
            if let Some(aw) = tr.awaits.as_ref().filter(|_| !cut) {
                if self.dl_mode && !self.dl_stuck_holders.contains(&(t as usize)) && !ipi_waited.contains(&(t as usize))
                {
                    let msg = match aw.kind {
                        // an idle kworker is done, not hung
                        AwaitKind::Idle => continue,
                        AwaitKind::Sleep => "sleeps forever: in this allowed execution nothing sets its state back to TASK_RUNNING",
                        AwaitKind::Spin => "spins forever: the last values its loop reads (co-last, so visible for good) never let it exit",
                        AwaitKind::Completion => "waits forever in wait_for_completion(): nothing completes it",
                        AwaitKind::Seqcount => "waits forever in read_seqbegin(): the count stays odd",
                        AwaitKind::Lock => "waits forever for an rwlock: the last value of its lock word it reads (co-last) never lets it in",
                        AwaitKind::Ipi => "waits forever in csd_lock_wait(): a CPU it sent an IPI to never runs it (the call stays pending: co-last)",
                    };
                    new.push((await_finding_kind(aw.kind), t, aw.pc, format!("{} {msg}", self.prog.who(t as usize))));
                }
            }
        }
        if self.dl_mode {
            for core in &self.dl_cores {
                if !self.dl_found.contains(core) {
                    let cpu = core
                        .trim_start_matches("CPU")
                        .split(|c: char| !c.is_ascii_digit())
                        .next()
                        .and_then(|d| d.parse().ok())
                        .unwrap_or(0);
                    let pc = u32::MAX - self.findings.len() as u32;
                    new.push((FindingKind::Deadlock, cpu, pc, core.clone()));
                }
            }
        }
        if self.verdicts.iter().any(|(v, _)| v.allowed && v.has_flag("data-race")) {
            new.push((FindingKind::DataRace, 0, 0, "linux-kernel.cat flags a data race: two accesses to one location, at least one a plain write (or both plain), not ordered by happens-before".into()));
        }
        if self.verdicts.iter().any(|(v, _)| v.allowed && v.has_flag("free-race")) {
            new.push(self.free_race_finding(chosen));
        }
        let mut pending = Vec::new();
        for (kind, t, pc, msg) in new {
            let key = if kind == FindingKind::DataRace { (kind, 0, 0) } else { (kind, t, pc) };
            if self.found.insert(key) {
                pending.push((kind, t, pc, msg));
            }
        }
        if pending.is_empty() {
            return;
        }
        let pcs: Vec<Vec<u32>> = chosen.iter().map(|t| t.pcs.clone()).collect();
        let stopped: Vec<Option<String>> = chosen
            .iter()
            .map(|t| {
                if let Some(c) = t.blocked {
                    Some(format!("waits for {} forever", self.prog.cell_name(c)))
                } else if let Some(aw) = &t.awaits {
                    Some(match aw.kind {
                        AwaitKind::Sleep => "sleeps forever".to_string(),
                        AwaitKind::Spin => "spins forever".to_string(),
                        AwaitKind::Completion | AwaitKind::Seqcount => "waits forever".to_string(),
                        AwaitKind::Idle => "done (an idle kworker, or a kthread never created)".to_string(),
                        AwaitKind::Lock => "waits for an rwlock forever".to_string(),
                        AwaitKind::Ipi => "waits for an IPI's answer forever".to_string(),
                    })
                } else if t.fault_stop {
                    Some(match t.faults.last().map(|f| f.kind) {
                        Some(FaultKind::NullDeref) => "stops: it dereferenced NULL".to_string(),
                        _ => "stops: it read freed memory".to_string(),
                    })
                } else {
                    None
                }
            })
            .collect();
        for (kind, cpu, pc, message) in pending {
            self.findings.push(Finding {
                kind,
                cpu,
                pc,
                message,
                exec: self.ex.clone(),
                pcs: pcs.clone(),
                stopped: stopped.clone(),
            });
        }
    }

    /// The use-after-free of a `free-race` flag, at the racing access's
    /// thread and step when the model names the race (see
    /// [`super::thread::free_race_site`]).
    fn free_race_finding(&self, chosen: &[&Trace]) -> (FindingKind, u32, u32, String) {
        let pairs = self.model.free_races(&self.ex);
        match super::thread::free_race_site(self.prog, &self.ex, chosen, &pairs) {
            Some((t, pc, msg)) => (FindingKind::UseAfterFree, t, pc, msg),
            None => (FindingKind::UseAfterFree, 0, u32::MAX, "an access races with the free of its object: happens-before does not order it before the free (the free's poison and the access form a data race under linux-kernel.cat)".into()),
        }
    }

    fn tick(&mut self) -> Result<(), GenError> {
        self.ticks += 1;
        // one unit of work per leaf (the work bound is deterministic)
        if crate::deadline::passed() {
            return Err(GenError::Timeout);
        }
        if self.ticks & 255 == 0 {
            if let Some(s) = self.opts.max_seconds {
                if self.start.elapsed().as_secs_f64() > s {
                    return Err(GenError::Timeout);
                }
            }
        }
        Ok(())
    }

    /// One combination of paths: build the events, then enumerate rf.
    fn leaf(&mut self, chosen: &[&Trace]) -> Result<(), GenError> {
        self.leaf_done = false;
        crate::deadline::count(|c| c.combos += 1);
        // Combinations dropped before their events are built cost one
        // unit of work per 64: in the deadlock pass, nothing new to show
        // (those with a location found incoherent on the paths'
        // projections were dropped by `combine`, see `closed_coherent`).
        if self.dl_mode && !self.deadlock_cores(chosen) {
            self.memo_skips += 1;
            if self.memo_skips.is_multiple_of(64) {
                self.tick()?;
            }
            return Ok(());
        }
        self.tick()?;
        crate::deadline::count(|c| c.built += 1);
        let mut used = vec![false; self.prog.ncells as usize];
        let (iw, base) = self.build_events(chosen, &mut used);
        let (locs, local, reads) = self.collect_reads(chosen, &used, &iw, &base);
        if reads.iter().any(|r| r.cands.is_empty()) {
            // A read with no source of its value: its location has no
            // coherent rf (outside `exhaustive`, `loc_memo` has already
            // dropped the combination).
            crate::deadline::count(|c| c.no_source += 1);
            return Ok(());
        }
        // Visit reads location by location so that each one is checked early.
        let mut order: Vec<usize> = (0..reads.len()).collect();
        order.sort_by_key(|&i| (reads[i].cell, reads[i].cands.len(), reads[i].ev));
        let mut rf = vec![NONE; reads.len()];
        let wdata = self.data_sources(&reads);
        self.rf_symmetries(&iw, &base, &reads);
        self.bases = base;
        let co_last = if self.opts.exhaustive { FxHashMap::default() } else { self.await_reads(chosen, &reads) };
        let ctx = RfInputs {
            atomicity: !self.opts.through.lets_invalid_through(),
            wdata: &wdata,
            reads: &reads,
            locs: &locs,
            local: &local,
            co_last: &co_last,
        };
        // lock orders first (see `lock_order`): one read-from enumeration
        // per choice of the lock locations' orders
        let lock_choices = if self.lock_orders_first() {
            let run_locs: Vec<LocId> = if self.prog.preempt || self.prog.threads.iter().any(|t| t.task.is_some()) {
                (0..self.prog.ncells)
                    .filter(|&c| super::thread::is_run_lock(self.prog, c))
                    .map(|c| self.loc_of_cell[c as usize])
                    .collect()
            } else {
                Vec::new()
            };
            match super::lock_order::choices(&self.ex, &run_locs) {
                Some(c) => c,
                None => return Ok(()), // lock.cat rejects every execution
            }
        } else {
            Vec::new()
        };
        if lock_choices.is_empty() {
            return self.rf_under_lock_order(&ctx, &order, &mut rf, chosen, false);
        }
        let several = lock_choices.len() > 1;
        for choice in lock_choices {
            crate::deadline::count(|c| c.lock_choices += 1);
            self.ex.set_lock_order(choice);
            self.rf_under_lock_order(&ctx, &order, &mut rf, chosen, several)?;
            if self.stop || self.leaf_done {
                break;
            }
        }
        self.ex.set_lock_order(Vec::new());
        Ok(())
    }

    /// Split each combination of paths by its lock orders
    /// ([`super::lock_order`])?  Only for a model that honours a fixed lock
    /// order, outside [`GenOptions::exhaustive`] and `-through`.
    fn lock_orders_first(&self) -> bool {
        self.model.fixes_lock_orders() && !self.opts.exhaustive && !self.opts.through.lets_invalid_through()
    }

    /// The read-from enumeration of the current combination under the
    /// lock order fixed on `self.ex` (if any).  Before any read is chosen,
    /// a partial check: in check mode when some read has a single
    /// candidate source (it reads from it in every completion), and for
    /// each of `several` choices of lock orders (one check drops a choice
    /// that no read-from completes).
    fn rf_under_lock_order(
        &mut self,
        ctx: &RfInputs,
        order: &[usize],
        rf: &mut Vec<usize>,
        chosen: &[&Trace],
        several: bool,
    ) -> Result<(), GenError> {
        if !self.opts.exhaustive
            && (several || (self.opts.kernel && ctx.reads.iter().any(|r| r.cands.len() == 1)))
            && self.partial_worth(ctx, order, None)
            && !self.partial_ok(ctx, order, None, rf)?
        {
            return Ok(());
        }
        self.rf_dfs(ctx, order, 0, rf, chosen)
    }

    /// The reads that [`Search::finals`] requires to read co-last writes
    /// (those of each await of `chosen`), per location: `rf_dfs` drops a
    /// partial read-from as soon as one of them reads a write that has a
    /// successor in its location's coherence base, or two of them read
    /// different writes of one location.  Exact: the coherence base only
    /// grows with the read-from, and `finals` rejects every completion
    /// with either (see [`RfInputs::co_last_ok`]).
    fn await_reads(&self, chosen: &[&Trace], reads: &[Rd]) -> FxHashMap<u32, Vec<usize>> {
        let mut out: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
        if !(self.dl_mode || chosen.iter().any(|t| t.awaits.is_some())) {
            return out;
        }
        let mut ridx = FxHashMap::default();
        for (i, r) in reads.iter().enumerate() {
            ridx.insert(r.ev, i);
        }
        for (t, tr) in chosen.iter().enumerate() {
            let Some(aw) = &tr.awaits else { continue };
            for &ri in &aw.reads {
                if let Some(&k) = ridx.get(&(self.bases[t] + ri as usize)) {
                    out.entry(reads[k].cell).or_default().push(k);
                }
            }
        }
        out
    }

    /// Symmetry: the event and read maps of the symmetries that fix the
    /// current combination (`rf_sym`), so that only the least rf of each
    /// of their orbits is evaluated.
    fn rf_symmetries(&mut self, iw: &[usize], base: &[usize], reads: &[Rd]) {
        self.rf_sym.clear();
        self.rf_imgs.clear();
        self.rf_imgs.push(0);
        let Some(sym) = &self.sym else { return };
        if self.dl_mode || self.sym_stab.len() < 2 {
            return;
        }
        let n = self.ex.len();
        let mut ridx = vec![NONE; n];
        for (i, r) in reads.iter().enumerate() {
            ridx[r.ev] = i;
        }
        for &g in &self.sym_stab[1..] {
            let p = &sym[g];
            let mut emap = vec![NONE; n];
            for (c, &w) in iw.iter().enumerate() {
                if w != NONE {
                    emap[w] = iw[p.map_cell(c as u32) as usize];
                }
            }
            for (t, &b) in base.iter().enumerate() {
                let end = base.get(t + 1).copied().unwrap_or(n);
                let b2 = base[p.threads[t]];
                for j in 0..end - b {
                    emap[b + j] = b2 + j;
                }
            }
            let rmap: Vec<usize> = reads.iter().map(|r| ridx[emap[r.ev]]).collect();
            if emap.contains(&NONE) || rmap.contains(&NONE) {
                // (cannot happen: the combination is fixed by the symmetry)
                self.rf_sym.clear();
                return;
            }
            self.rf_sym.push((g, emap, rmap));
        }
    }

    /// Symmetry: is `rf` the least of its images under the symmetries
    /// fixing the combination?  If so, `rf_imgs` gets one symmetry per
    /// distinct image.
    fn rf_canonical(&mut self, rf: &[usize]) -> bool {
        if self.rf_sym.is_empty() {
            return true;
        }
        self.rf_imgs.truncate(1);
        let mut seen: Vec<Vec<usize>> = Vec::new();
        let mut img = vec![NONE; rf.len()];
        for (g, emap, rmap) in &self.rf_sym {
            for (i, &w) in rf.iter().enumerate() {
                img[rmap[i]] = emap[w];
            }
            match img.as_slice().cmp(rf) {
                Ordering::Less => return false,
                Ordering::Equal => {}
                Ordering::Greater => {
                    if !seen.contains(&img) {
                        seen.push(img.clone());
                        self.rf_imgs.push(*g);
                    }
                }
            }
        }
        true
    }

    /// The events of one combination of paths in `self.ex`: an initial
    /// write for every cell a path touches or the final state observes,
    /// then each thread's events with their rmw and dependency edges.
    /// Returns the initial write of each cell (or `NONE`) and the first
    /// event of each thread.
    fn build_events(&mut self, chosen: &[&Trace], used: &mut [bool]) -> (Vec<usize>, Vec<usize>) {
        let prog = self.prog;
        let ncells = prog.ncells as usize;
        for tr in chosen {
            for e in &tr.evs {
                if let Some(c) = e.cell {
                    used[c as usize] = true;
                }
            }
        }
        for &c in &self.obs_cells {
            used[c as usize] = true;
        }
        self.pcache.clear();
        let ex = &mut self.ex;
        ex.clear_events();
        let mut iw = vec![NONE; ncells];
        for c in 0..ncells {
            if used[c] {
                iw[c] = ex.init_write(self.loc_of_cell[c], prog.init_mem.get(c).copied().unwrap_or(0));
            }
        }
        let mut base: Vec<usize> = Vec::with_capacity(chosen.len());
        for (t, tr) in chosen.iter().enumerate() {
            let b = ex.len();
            base.push(b);
            for e in &tr.evs {
                ex.add_event(Event {
                    thread: Some(t as u32),
                    kind: e.kind,
                    loc: e.cell.map(|c| self.loc_of_cell[c as usize]),
                    value: e.val,
                    tags: e.tags,
                    atomic: e.atomic,
                });
            }
            for &(r, w) in &tr.rmw {
                ex.add_rmw(b + r as usize, b + w as usize);
            }
            for (j, e) in tr.evs.iter().enumerate() {
                for (deps, k) in [(e.addr, 0), (e.data, 1), (e.ctrl, 2)] {
                    for i in deps.iter() {
                        match k {
                            0 => ex.add_addr(b + i, b + j),
                            1 => ex.add_data(b + i, b + j),
                            _ => ex.add_ctrl(b + i, b + j),
                        }
                    }
                }
            }
        }
        (iw, base)
    }

    /// Per location: its writes (the initial one first) and `ww` rows;
    /// the local index of each write; and every read with its candidate
    /// sources (the writes of its value that coherence does not exclude:
    /// no po-later write of its own thread).
    #[allow(clippy::type_complexity)]
    fn collect_reads(
        &self,
        chosen: &[&Trace],
        used: &[bool],
        iw: &[usize],
        base: &[usize],
    ) -> (FxHashMap<u32, Loc>, Vec<usize>, Vec<Rd>) {
        let prog = self.prog;
        let ncells = prog.ncells as usize;
        let ex = &self.ex;
        // Per-location write lists and reads.
        let mut locs: FxHashMap<u32, Loc> = FxHashMap::default();
        let mut local = vec![NONE; ex.len()];
        for c in 0..ncells {
            if used[c] {
                let l = locs.entry(c as u32).or_default();
                local[iw[c]] = l.writes.len();
                l.writes.push(iw[c]);
            }
        }
        for (t, tr) in chosen.iter().enumerate() {
            for (j, e) in tr.evs.iter().enumerate() {
                if e.kind == EventKind::Write {
                    let l = locs.get_mut(&e.cell.unwrap_or(0)).expect("used cell");
                    local[base[t] + j] = l.writes.len();
                    l.writes.push(base[t] + j);
                }
            }
        }
        for l in locs.values_mut() {
            l.wide = l.writes.len() > 64;
            l.ww = vec![0; l.writes.len()];
        }
        let mut reads: Vec<Rd> = Vec::new();
        for (t, tr) in chosen.iter().enumerate() {
            let b = base[t];
            for (j, e) in tr.evs.iter().enumerate() {
                let Some(c) = e.cell else { continue };
                match e.kind {
                    EventKind::Write => {
                        let l = locs.get_mut(&c).expect("used cell");
                        if l.wide {
                            continue;
                        }
                        let me = local[b + j];
                        for (k, e2) in tr.evs.iter().enumerate().skip(j + 1) {
                            if e2.kind == EventKind::Write && e2.cell == Some(c) {
                                l.ww[me] |= 1 << local[b + k];
                            }
                        }
                    }
                    EventKind::Read => {
                        let v = e.val.unwrap_or(0);
                        let mut cands = Vec::new();
                        if prog.init_mem.get(c as usize).copied().unwrap_or(0) == v {
                            cands.push(iw[c as usize]);
                        }
                        let mut after_w = 0u64;
                        let mut before_w = 0u64;
                        for (t2, tr2) in chosen.iter().enumerate() {
                            for (k, w) in tr2.evs.iter().enumerate() {
                                if w.kind != EventKind::Write || w.cell != Some(c) {
                                    continue;
                                }
                                let g = base[t2] + k;
                                if t2 == t && k > j {
                                    if local[g] < 64 {
                                        after_w |= 1 << local[g];
                                    }
                                    continue; // reading from a po-later write breaks coherence
                                }
                                if t2 == t && local[g] < 64 {
                                    before_w |= 1 << local[g];
                                }
                                if w.val == Some(v) {
                                    cands.push(g);
                                }
                            }
                        }
                        let rmw_w = tr.rmw.iter().find(|(r, _)| *r as usize == j).map(|(_, w)| local[b + *w as usize]);
                        let idx = reads.len();
                        reads.push(Rd { ev: b + j, cell: c, cands, after_w, before_w, after_r: Vec::new(), rmw_w });
                        locs.get_mut(&c).expect("used cell").reads.push(idx);
                    }
                    _ => {}
                }
            }
        }
        // po-after reads of the same location (reads are in po order per thread).
        for i in 0..reads.len() {
            for k in i + 1..reads.len() {
                if reads[k].cell == reads[i].cell && ex.event(reads[k].ev).thread == ex.event(reads[i].ev).thread {
                    reads[i].after_r.push(k);
                }
            }
        }
        (locs, local, reads)
    }

    /// For each write whose value is computed from reads (`data`), those
    /// reads (indices into `reads`).
    fn data_sources(&self, reads: &[Rd]) -> FxHashMap<usize, Vec<usize>> {
        let mut wdata: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut ridx = FxHashMap::default();
        for (i, r) in reads.iter().enumerate() {
            ridx.insert(r.ev, i);
        }
        for &(a, b) in self.ex.data() {
            if self.ex.event(b).kind == EventKind::Write {
                if let Some(&i) = ridx.get(&a) {
                    wdata.entry(b).or_default().push(i);
                }
            }
        }
        wdata
    }

    fn rf_dfs(
        &mut self,
        cx: &RfInputs,
        order: &[usize],
        k: usize,
        rf: &mut Vec<usize>,
        chosen: &[&Trace],
    ) -> Result<(), GenError> {
        if self.stop || self.leaf_done {
            return Ok(());
        }
        if k == order.len() {
            return self.finals(cx, rf, chosen);
        }
        let i = order[k];
        let rd = &cx.reads[i];
        // (a check at the last read would only precede the model's)
        let check = self.partial_worth(cx, order, Some(k));
        // Outside `exhaustive`, a read with a single candidate source had
        // its edge in every partial check of this combination already
        // (see `partial_ok`): the check after choosing it would see the
        // events, lock order and read-from edges of the last check made,
        // which passed, and give its answer again.
        let model_check = check && (self.opts.exhaustive || rd.cands.len() > 1);
        for &w in &rd.cands {
            rf[i] = w;
            if cx.cobase(rd.cell, rf).is_some_and(|adj| cx.co_last_ok(rd.cell, rf, &adj))
                && (!check || self.opts.exhaustive || cx.location_completes(order, k, rf))
                && (!model_check || self.partial_ok(cx, order, Some(k), rf)?)
            {
                self.rf_dfs(cx, order, k + 1, rf, chosen)?;
                if self.stop || self.leaf_done {
                    break;
                }
            }
        }
        rf[i] = NONE;
        Ok(())
    }

    /// Is the partial check worth it after choosing the source of
    /// `order[k]` (`None`: before any): do the reads left have at least
    /// [`PARTIAL_MIN_SUBTREE`] combinations of candidate sources?
    fn partial_worth(&self, cx: &RfInputs, order: &[usize], k: Option<usize>) -> bool {
        let mut est = 1u64;
        for &j in &order[k.map_or(0, |k| k + 1)..] {
            est = est.saturating_mul(cx.reads[j].cands.len() as u64);
            if est >= PARTIAL_MIN_SUBTREE {
                return true;
            }
        }
        false
    }

    /// Can the reads `order[..=k]` (`None`: none), reading from their
    /// `rf` sources, be part of an allowed execution?  The model's
    /// monotone check ([`Model::partial_ok`]) on the partial read-from: a
    /// cycle of happens-before or propagation among the events built so
    /// far stays in every completion.  Outside [`GenOptions::exhaustive`]
    /// the reads not chosen yet that have a single candidate source are
    /// given it too: every completion has that edge, so the partial
    /// read-from is still a subset of every completion's and the check
    /// stays exact, with more edges to find a cycle in.  Spends one unit
    /// of work.
    fn partial_ok(&mut self, cx: &RfInputs, order: &[usize], k: Option<usize>, rf: &[usize]) -> Result<bool, GenError> {
        crate::deadline::set_phase(crate::deadline::Phase::Partial);
        let t = self.tick();
        if t.is_err() {
            crate::deadline::set_phase(crate::deadline::Phase::Candidates);
        }
        t?;
        self.ex.clear_rf();
        self.ex.clear_finals();
        let chosen = k.map_or(0, |k| k + 1);
        for &i in &order[..chosen] {
            self.ex.add_rf(rf[i], cx.reads[i].ev);
        }
        if !self.opts.exhaustive {
            for &i in &order[chosen..] {
                if let [w] = cx.reads[i].cands[..] {
                    self.ex.add_rf(w, cx.reads[i].ev);
                }
            }
        }
        let ok = self.model.partial_ok(&self.ex, &mut self.pcache);
        crate::deadline::set_phase(crate::deadline::Phase::Candidates);
        crate::deadline::count(|c| {
            c.partial += 1;
            c.partial_rejected += u64::from(!ok);
        });
        Ok(ok)
    }

    /// Full rf: choose the final write of each observed location, then run
    /// the model.
    fn finals(&mut self, cx: &RfInputs, rf: &[usize], chosen: &[&Trace]) -> Result<(), GenError> {
        if !self.rf_canonical(rf) {
            return Ok(());
        }
        self.tick()?;
        crate::deadline::count(|c| c.rf_leaves += 1);
        if !cx.wdata.is_empty() && !cx.values_solvable(rf, &self.ex) {
            return Ok(());
        }
        self.ex.clear_rf();
        for (i, r) in cx.reads.iter().enumerate() {
            self.ex.add_rf(rf[i], r.ev);
        }
        // Candidates for FW: writes with no cobase successor.
        let mut fw_choices: Vec<Vec<usize>> = Vec::with_capacity(self.obs_cells.len());
        for &c in &self.obs_cells {
            let l = &cx.locs[&c];
            let mut v = Vec::new();
            match cx.cobase(c, rf) {
                Some(adj) if !l.wide => {
                    for (k, &g) in l.writes.iter().enumerate() {
                        if adj[k] == 0 {
                            v.push(g);
                        }
                    }
                }
                _ => v.extend(l.writes.iter().copied().skip(usize::from(l.writes.len() > 1))),
            }
            if v.is_empty() {
                return Ok(());
            }
            fw_choices.push(v);
        }
        // A thread waiting forever reads co-last writes (a later write
        // would eventually be visible to it): those are final.  (In the
        // main pass, only an idle kworker's complete path has an await.)
        let mut forced: Vec<(u32, usize)> = Vec::new();
        if self.dl_mode || chosen.iter().any(|t| t.awaits.is_some()) {
            for (t, tr) in chosen.iter().enumerate() {
                let Some(aw) = &tr.awaits else { continue };
                for &ri in &aw.reads {
                    let gid = self.bases[t] + ri as usize;
                    let Some(k) = cx.reads.iter().position(|r| r.ev == gid) else {
                        continue;
                    };
                    let (w, c) = (rf[k], cx.reads[k].cell);
                    if let Some(adj) = cx.cobase(c, rf) {
                        if !cx.locs[&c].wide && adj[cx.local[w]] != 0 {
                            return Ok(()); // a co-later write exists
                        }
                    }
                    match forced.iter().find(|f| f.0 == c) {
                        Some(f) if f.1 != w => return Ok(()),
                        Some(_) => {}
                        None => forced.push((c, w)),
                    }
                }
            }
            for &(c, w) in &forced {
                if let Some(k) = self.obs_cells.iter().position(|x| *x == c) {
                    if !fw_choices[k].contains(&w) {
                        return Ok(());
                    }
                    fw_choices[k] = vec![w];
                }
            }
            forced.retain(|(c, _)| !self.obs_cells.contains(c));
        }
        let mut idx = vec![0usize; fw_choices.len()];
        loop {
            self.ex.clear_finals();
            for (k, ch) in fw_choices.iter().enumerate() {
                self.ex.add_final(ch[idx[k]]);
            }
            for &(_, w) in &forced {
                self.ex.add_final(w);
            }
            self.check(&fw_choices, &idx, chosen)?;
            if self.stop || self.leaf_done {
                return Ok(());
            }
            let mut k = 0;
            loop {
                if k == idx.len() {
                    return Ok(());
                }
                idx[k] += 1;
                if idx[k] < fw_choices[k].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }

    /// The observed values of the candidate (final writes `idx` among
    /// `fw_choices`, the threads' paths `chosen`).
    fn outcome(&self, fw_choices: &[Vec<usize>], idx: &[usize], chosen: &[&Trace]) -> Vec<Val> {
        self.prog
            .observed
            .iter()
            .map(|o| match o {
                Observed::Reg { thread, reg, .. } => {
                    chosen.get(*thread as usize).and_then(|t| t.regs.get(*reg as usize)).copied().unwrap_or(0)
                }
                Observed::Cell { cell, .. } => {
                    let k = self.obs_cells.iter().position(|c| c == cell).expect("observed cell");
                    self.ex.event(fw_choices[k][idx[k]]).value.unwrap_or(0)
                }
            })
            .collect()
    }

    fn check(&mut self, fw_choices: &[Vec<usize>], idx: &[usize], chosen: &[&Trace]) -> Result<(), GenError> {
        // herd's -speedcheck true|fast: a candidate whose final state
        // cannot settle the condition (exists, ~exists: one that does not
        // satisfy it; forall: one that does) is discarded before the model
        if self.opts.speedcheck_discard && !self.opts.kernel && !self.dl_mode {
            if let Some((q, c)) = &self.prog.quant {
                if c.eval(&self.outcome(fw_choices, idx, chosen)) == (*q == Quant::Forall) {
                    return Ok(());
                }
            }
        }
        let images = if self.sym.is_some() && !self.dl_mode {
            self.sym_imgs.len().max(1) * self.rf_imgs.len().max(1)
        } else {
            1
        };
        self.res.candidates += images as u64;
        self.verdicts.clear();
        let deadline = self.opts.max_seconds.map(|t| self.start + std::time::Duration::from_secs_f64(t));
        crate::deadline::set(deadline);
        crate::deadline::set_phase(crate::deadline::Phase::Model);
        let before = crate::deadline::counters().orders;
        let r = self.model.check_counted_into(&self.ex, &mut self.verdicts);
        let n = self.ex.len() as u64;
        let allowed = self.verdicts.iter().any(|(v, _)| v.allowed);
        crate::deadline::count(|c| {
            c.evals += 1;
            c.allowed_evals += u64::from(allowed);
            c.max_orders = c.max_orders.max(c.orders - before);
            c.max_events = c.max_events.max(n);
        });
        crate::deadline::set_phase(crate::deadline::Phase::Candidates);
        crate::deadline::set(None);
        if crate::budget::exceeded() {
            // a cut enumeration of coherence orders is no verdict
            return Err(GenError::TooLarge(crate::native::lkmm::too_many_orders()));
        }
        r.map_err(|e| GenError::Model(e.to_string()))?;
        // an evaluation cut short by the deadline or the work budget is
        // no verdict
        if crate::deadline::work_exhausted() || deadline.is_some_and(|d| Instant::now() > d) {
            return Err(GenError::Timeout);
        }
        if !self.verdicts.iter().any(|(v, _)| v.allowed) {
            return Ok(());
        }
        if self.opts.kernel {
            self.record_findings(chosen);
        }
        if self.dl_mode {
            // One allowed execution in which the blocked threads stop:
            // the deadlocks of this combination are reachable.
            self.dl_found.extend(self.dl_cores.drain(..));
            self.leaf_done = true;
            return Ok(());
        }
        // The outcome of this candidate, and under symmetry those of its
        // images (one per distinct combination of the orbit).
        let vals = self.outcome(fw_choices, idx, chosen);
        match (&self.sym, images > 1) {
            (Some(sym), true) => {
                let mut imgs: Vec<Vec<Val>> = Vec::with_capacity(images);
                for &h in &self.rf_imgs {
                    let v = if h == 0 { vals.clone() } else { sym[h].image(&vals) };
                    imgs.extend(self.sym_imgs.iter().map(|&g| sym[g].image(&v)));
                }
                for v in &imgs {
                    self.count(v);
                }
            }
            _ => self.count(&vals),
        }
        Ok(())
    }

    /// Count the allowed alternatives (`self.verdicts`) of one candidate
    /// whose final state is `vals`.
    fn count(&mut self, vals: &[Val]) {
        let prog = self.prog;
        if let Some(f) = &prog.filter {
            if !f.eval(vals) {
                return;
            }
        }
        let (quant, cond) = match &prog.quant {
            Some((q, c)) => (*q, c.clone()),
            None => (Quant::Exists, Cond::True),
        };
        let ok = cond.eval(vals);
        let verdicts = std::mem::take(&mut self.verdicts);
        // every alternative of this candidate has the same final state
        let mut state_seen = false;
        for (v, k) in verdicts.iter().filter(|(v, _)| v.allowed) {
            let k = *k;
            if let Some(tf) = &self.opts.through_flag {
                if !v.has_flag(tf) {
                    continue;
                }
            }
            if ok {
                self.res.pos += k;
            } else {
                self.res.neg += k;
            }
            for f in &v.flags {
                if !self.flags.contains(&**f) {
                    self.flags.insert(f.to_string());
                }
            }
            if !state_seen {
                state_seen = true;
                if !self.states.contains(&vals[..prog.ndisplay]) {
                    self.states.insert(vals[..prog.ndisplay].to_vec());
                }
            }
            if self.opts.keep_witness {
                let better = match &self.res.witness {
                    None => true,
                    Some(w) => !w.satisfies && ok,
                };
                if better {
                    self.res.witness = Some(Witness { exec: self.ex.clone(), outcome: vals.to_vec(), satisfies: ok });
                }
            }
            if self.opts.speedcheck && ok != (quant == Quant::Forall) {
                self.stop = true;
            }
        }
        self.verdicts = verdicts;
    }
}

/// The values each location may hold (the domains of the reads), and
/// in check mode what each thread writes: a fixpoint over the values the
/// paths write, see the module doc of [`super`].
#[allow(clippy::type_complexity)]
fn value_domains(
    prog: &Program,
    opts: &GenOptions,
    lim: Limits,
) -> Result<(Domains, Option<Vec<thread::Wrote>>, Option<Snapshots>), GenError> {
    // (check mode's lock snapshots, see [`super::snapshot`]: if the rounds
    // stop short of a fixpoint with them, they are run again without)
    if opts.kernel && !opts.exhaustive {
        if let Some(r) = value_rounds(prog, opts, lim, true)? {
            return Ok(r);
        }
    }
    value_rounds(prog, opts, lim, false)?.ok_or_else(|| GenError::TooLarge("the value rounds did not end".into()))
}

/// The rounds of [`value_domains`], with the lock snapshots if `snap`;
/// `None` if they stop short of a fixpoint with snapshots.
#[allow(clippy::type_complexity)]
fn value_rounds(
    prog: &Program,
    opts: &GenOptions,
    lim: Limits,
    snap: bool,
) -> Result<Option<(Domains, Option<Vec<thread::Wrote>>, Option<Snapshots>)>, GenError> {
    let n = prog.ncells as usize;
    let init = |c: usize| prog.init_mem.get(c).copied().unwrap_or(0);
    let init_u32 = |c: u32| init(c as usize);
    // Values each location may hold: a fixpoint over the values written,
    // every read may also take an unsolved value ([`SYM`]) so that the
    // constants of every branch are found; bounded by the longest chain
    // of writes one execution can hold.
    let mut conc: Domains = (0..n).map(|c| vec![init(c)]).collect();
    let mut masks: Masks = (0..n).map(|_| vec![Derivs::FREE]).collect();
    let mut rounds = 0usize;
    let mut bound = usize::MAX;
    let mut bound_early = false;
    // first site of each thread, once known (sites = writes of a path)
    let mut bases: Option<Vec<u32>> = None;
    // check mode: the sites each thread was given (its `bases` range)
    let mut ranges: Vec<u32> = Vec::new();
    // check mode: what each thread wrote in the previous round
    let mut prev: Option<Vec<thread::Wrote>> = None;
    // Litmus mode keeps 64 sites, numbered by position on a path: the
    // counts herd7 gives were matched so.  Kernel scenarios make far more
    // writes, and a fixpoint that tracks no site lets a counter's values
    // grow by one per round.
    let cap = if opts.kernel { Sites::CAP } else { 64 };
    // check mode: each thread's write sites (kept across rounds and restarts)
    let keys: Vec<thread::SiteKeys> = prog.threads.iter().map(|_| Default::default()).collect();
    // each thread's last round walk (see [`RoundMemo`])
    let mut memo: Vec<Option<RoundMemo>> = prog.threads.iter().map(|_| None).collect();
    // the lock snapshots' fixpoint and its generation (for the memo)
    let mut snaps = Fixpoint::default();
    let mut snap_gen = 0u64;
    loop {
        let mut with_sym: Domains = conc.clone();
        let mut sym_masks: Masks = masks.clone();
        // (check mode: no unsolved values, which stand for values
        // justified only by themselves through a cycle: out of thin air)
        for (d, m) in with_sym.iter_mut().zip(sym_masks.iter_mut()) {
            if !opts.kernel && !d.contains(&SYM) {
                d.push(SYM);
                m.push(Derivs::FREE);
            }
        }
        let tables = if snap { snaps.tables().map(|t| (t, snap_gen)) } else { None };
        let all = round_walks(
            prog,
            (&with_sym, &sym_masks),
            bases.as_deref(),
            prev.as_deref(),
            lim,
            &keys,
            (tables, &mut memo),
        )?;
        let snap_changed = snap && snaps.update(init_u32, &all.iter().map(|p| &p.snap).collect::<Vec<_>>());
        if snap_changed {
            snap_gen += 1;
        }

        // sites each thread used: check mode's keys met so far, litmus
        // mode's most writes on a path
        let used: Vec<usize> = if opts.kernel {
            keys.iter().map(|k| k.borrow().len()).collect()
        } else {
            all.iter().map(|p| p.max_writes as usize).collect()
        };
        if opts.kernel && bases.is_some() && site_overflow(&used, &ranges) {
            // Check mode: a path of this round made more writes than the
            // sites its thread was given (counted on the first round's
            // complete paths), so its sites overlap the next thread's and
            // a value could be dropped as a cycle that is none.  Start
            // again with ranges from every explored prefix (they only
            // grow, and past `cap` sites in all none are tracked).
            let maxw: Vec<usize> = used.iter().zip(&ranges).map(|(u, r)| (*u).max(*r as usize)).collect();
            let (b, r) = site_bases(&maxw, cap);
            bases = b;
            ranges = r;
            conc = (0..n).map(|c| vec![init(c)]).collect();
            masks = (0..n).map(|_| vec![Derivs::FREE]).collect();
            prev = None;
            rounds = 0;
            snaps.restart(init_u32, prog.threads.len());
            snap_gen += 1;
            continue;
        }
        if snap && all.iter().any(|p| p.retrack) {
            // A walk met a cell newly read under a lock and stopped (see
            // [`ThreadPaths::retrack`]): the tables now track it (its
            // lock's states start again), so the round is walked again.
            // Cells only join, so this happens finitely often.
            if !snap_changed {
                return Ok(None);
            }
            continue;
        }
        // (a thread without a complete path yet, its reads' values
        // still missing, says nothing of its writes: the bound is set
        // again once every thread has one)
        if bound == usize::MAX || (bound_early && all.iter().all(|p| p.complete > 0)) {
            bound_early = all.iter().any(|p| p.complete == 0);
            let maxw: Vec<usize> = all.iter().map(|p| p.complete_writes).collect();
            let first = bound == usize::MAX;
            bound = 2 + maxw.iter().sum::<usize>();
            if first {
                let sized = if opts.kernel { &used } else { &maxw };
                let (b, r) = site_bases(sized, cap);
                bases = b;
                ranges = r;
            }
        }
        let (next, next_masks) = next_domains(n, &init, &all, opts.kernel)?;
        rounds += 1;
        // (check mode: the walks prune with what the other threads wrote
        // in the previous round, so a fixpoint needs that unchanged too)
        let mut same_prev = true;
        if opts.kernel {
            let now: Vec<thread::Wrote> =
                all.iter().map(|p| thread::Wrote { vals: p.written.clone(), flips: p.flips.clone() }).collect();
            same_prev = prev.as_ref().is_some_and(|p| p.iter().zip(&now).all(|(a, b)| a.same_as(b)));
            prev = Some(now);
        }
        if next == conc && next_masks == masks && !snap_changed && same_prev {
            break;
        }
        // Check mode stops short of the fixpoint only when that is
        // provably complete (an "ok" must mean ok): the domains `conc` of
        // this round hold every value of depth < `rounds` (the depth of a
        // write: one more than the deepest value read po-before it), and a
        // write of depth `rounds` would need a chain of `rounds` writes of
        // depths 1..rounds, each on a prefix explored this round, so at
        // most `max_writes` of them per thread.  Litmus mode keeps herd's
        // bound (its counts must be herd7's).
        let sound = !opts.kernel || rounds > all.iter().map(|p| p.max_writes as usize).sum::<usize>();
        if rounds > bound && sound {
            if snap {
                return Ok(None);
            }
            break;
        }
        conc = next;
        masks = next_masks;
    }
    Ok(Some((conc, prev, snaps.tables().filter(|_| snap).cloned())))
}

/// The domains (and their masks) the values a round's walks wrote make:
/// each location's initial value and every value written there, with its
/// known derivations (see [`Derivs`]).
fn next_domains(
    n: usize,
    init: &dyn Fn(usize) -> Val,
    all: &[ThreadPaths],
    kernel: bool,
) -> Result<(Domains, Masks), GenError> {
    let mut found: FxHashMap<(u32, Val), Derivs> = FxHashMap::default();
    for c in 0..n {
        found.insert((c as u32, init(c)), Derivs::FREE);
    }
    for p in all {
        for &(c, v, m) in &p.written {
            if v == SYMX {
                continue; // nothing can read it
            }
            let e = found.entry((c, v)).or_insert(Derivs::CYCLE);
            e.merge(&m);
            if !kernel {
                *e = e.collapse();
            }
        }
    }
    let mut next: Domains = vec![Vec::new(); n];
    let mut next_masks: Masks = vec![Vec::new(); n];
    let mut keys: Vec<(u32, Val)> = found.keys().copied().collect();
    keys.sort_unstable();
    for (c, v) in keys {
        next[c as usize].push(v);
        next_masks[c as usize].push(found[&(c, v)]);
    }
    for d in &next {
        if d.len() > MAX_DOMAIN {
            return Err(GenError::TooLarge(format!("a location may take more than {MAX_DOMAIN} values")));
        }
    }
    Ok((next, next_masks))
}

/// One round of the value fixpoint: every thread's walk with the
/// domains `dom` (and their masks), counting paths only (see
/// [`thread::round_paths`]); a thread whose inputs are those of its last
/// walk is not walked again (see [`RoundMemo`]).
#[allow(clippy::type_complexity)]
fn round_walks(
    prog: &Program,
    (dom, masks): (&Domains, &Masks),
    bases: Option<&[u32]>,
    prev: Option<&[thread::Wrote]>,
    lim: Limits,
    keys: &[thread::SiteKeys],
    (snap, memo): (Option<(&Snapshots, u64)>, &mut [Option<RoundMemo>]),
) -> Result<Vec<ThreadPaths>, GenError> {
    let gen = snap.map_or(0, |s| s.1);
    let n = prog.ncells as usize;
    let mut all = Vec::with_capacity(prog.threads.len());
    for (t, th) in prog.threads.iter().enumerate() {
        let sites = bases.map(|b| (masks, b[t]));
        let oth = prev.map(|p| others(p, t, n));
        let reused = memo[t].as_ref().and_then(|m| m.reuse(dom, sites, oth.as_ref(), gen));
        let out = match reused {
            Some(out) => out,
            None => {
                let tables = snap.map(|s| s.0);
                let out = thread::round_paths(prog, th, dom, sites, lim, (oth.as_ref(), tables), Some(&keys[t]))?;
                memo[t] = Some(RoundMemo::new(dom, sites, oth.as_ref(), gen, out.clone()));
                out
            }
        };
        all.push(out);
    }
    Ok(all)
}

/// `c` in three-valued (Kleene) logic: `None` where it depends on the
/// values that are `None`.
fn peval(c: &Cond, vals: &[Option<Val>]) -> Option<bool> {
    match c {
        Cond::True => Some(true),
        Cond::False => Some(false),
        Cond::Not(a) => peval(a, vals).map(|b| !b),
        Cond::And(a, b) => match (peval(a, vals), peval(b, vals)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Cond::Or(a, b) => match (peval(a, vals), peval(b, vals)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Cond::Implies(a, b) => match (peval(a, vals), peval(b, vals)) {
            (Some(false), _) | (_, Some(true)) => Some(true),
            (Some(true), Some(false)) => Some(false),
            _ => None,
        },
        Cond::Eq { idx, value, negated } => vals[*idx].map(|v| (v == *value) != *negated),
        Cond::EqLoc { a, b, negated } => match (vals[*a], vals[*b]) {
            (Some(x), Some(y)) => Some((x == y) != *negated),
            _ => None,
        },
    }
}

/// The first site of each thread when each thread `t` has `maxw[t]`
/// sites (at most `cap` sites in all: else none are tracked), and the
/// ranges given.
fn site_bases(maxw: &[usize], cap: u32) -> (Option<Vec<u32>>, Vec<u32>) {
    if maxw.iter().sum::<usize>() > cap as usize {
        return (None, Vec::new());
    }
    let mut b = Vec::with_capacity(maxw.len());
    let mut acc = 0u32;
    for w in maxw {
        b.push(acc);
        acc += *w as u32;
    }
    (Some(b), maxw.iter().map(|w| *w as u32).collect())
}

/// Did a thread (other than the last, whose sites overlap nobody's) use
/// more sites than its range?
fn site_overflow(used: &[usize], ranges: &[u32]) -> bool {
    let last = used.len().saturating_sub(1);
    used.iter().zip(ranges).take(last).any(|(u, r)| *u > *r as usize)
}

/// The execution's locations, one per cell name (a cell whose name is
/// taken gets `name#cell`), and the location of each cell.
fn locations(prog: &Program) -> (Execution, Vec<LocId>) {
    let n = prog.ncells as usize;
    let mut ex = Execution::new();
    let mut loc_of_cell = Vec::with_capacity(n);
    let mut seen: FxHashMap<String, LocId> = FxHashMap::default();
    for c in 0..prog.ncells {
        let name = prog.cell_name(c);
        let id = match seen.get(&name) {
            Some(i) => *i,
            None => {
                let unique = if seen.contains_key(&name) { format!("{name}#{c}") } else { name.clone() };
                let i = ex.location(&unique);
                seen.insert(name, i);
                i
            }
        };
        loc_of_cell.push(id);
    }
    (ex, loc_of_cell)
}

/// The observed memory cells of the final state (deduplicated).
fn observed_cells(prog: &Program) -> Vec<u32> {
    let mut obs_cells = Vec::new();
    for o in &prog.observed {
        if let Observed::Cell { cell, .. } = o {
            if !obs_cells.contains(cell) {
                obs_cells.push(*cell);
            }
        }
    }
    obs_cells
}

/// Per cell, the values threads other than `t` write there (sorted).
fn others(written: &[thread::Wrote], t: usize, ncells: usize) -> thread::Others {
    thread::others(written, t, ncells)
}

/// Has one location, accessed by each thread as its projection `projs`
/// says (see [`super::loc_memo`]) and starting at `init`, a choice of
/// sources for its reads that its coherence base (with RMW atomicity)
/// accepts?  The same reads, candidate sources and coherence base that
/// [`Search::collect_reads`] builds for the location from the events of
/// the combination, built from the projections alone (write `0` is the
/// initial one; event ids are the writes' local indices), decided by
/// [`RfInputs::incoherent_location`].
fn projection_coherent(projs: &[&[PEv]], init: Val, atomicity: bool) -> bool {
    // local index of each write, per thread and position
    let mut wid: Vec<Vec<usize>> = Vec::with_capacity(projs.len());
    let mut nw = 1;
    for p in projs {
        wid.push(
            p.iter()
                .map(|e| {
                    if e.0 {
                        nw += 1;
                        nw - 1
                    } else {
                        NONE
                    }
                })
                .collect(),
        );
    }
    let wide = nw > 64;
    let mut loc = Loc { writes: (0..nw).collect(), ww: vec![0; nw], reads: Vec::new(), wide };
    let mut reads: Vec<Rd> = Vec::new();
    for (t, p) in projs.iter().enumerate() {
        let first = reads.len();
        for (j, e) in p.iter().enumerate() {
            if e.0 {
                if !wide {
                    for (k, e2) in p.iter().enumerate().skip(j + 1) {
                        if e2.0 {
                            loc.ww[wid[t][j]] |= 1 << wid[t][k];
                        }
                    }
                }
                continue;
            }
            let v = e.1.unwrap_or(0);
            let mut cands = Vec::new();
            if init == v {
                cands.push(0);
            }
            let (mut after_w, mut before_w) = (0u64, 0u64);
            for (t2, p2) in projs.iter().enumerate() {
                for (k, w) in p2.iter().enumerate().filter(|(_, w)| w.0) {
                    let g = wid[t2][k];
                    if t2 == t && k > j {
                        if g < 64 {
                            after_w |= 1 << g;
                        }
                        continue;
                    }
                    if t2 == t && g < 64 {
                        before_w |= 1 << g;
                    }
                    if w.1 == Some(v) {
                        cands.push(g);
                    }
                }
            }
            let rmw_w = (e.2 != u16::MAX).then(|| wid[t][e.2 as usize]);
            let i = reads.len();
            loc.reads.push(i);
            reads.push(Rd { ev: i, cell: 0, cands, after_w, before_w, after_r: Vec::new(), rmw_w });
        }
        // po-after reads of the location in the same thread
        for i in first..reads.len() {
            reads[i].after_r = (i + 1..reads.len()).collect();
        }
    }
    if reads.iter().any(|r| r.cands.is_empty()) {
        return false;
    }
    // (the most constrained reads first, as `leaf` orders them)
    let mut order: Vec<usize> = (0..reads.len()).collect();
    order.sort_by_key(|&i| (reads[i].cands.len(), i));
    let mut locs = FxHashMap::default();
    locs.insert(0, loc);
    let local: Vec<usize> = (0..nw).collect();
    let (wdata, co_last) = (FxHashMap::default(), FxHashMap::default());
    let ctx = RfInputs { atomicity, wdata: &wdata, reads: &reads, locs: &locs, local: &local, co_last: &co_last };
    let mut rf = vec![NONE; reads.len()];
    ctx.incoherent_location(&order, &mut rf).is_none()
}

/// What the read-from enumeration of one path combination works from:
/// the reads, the locations and the data flow between them.
struct RfInputs<'a> {
    /// Prune the rf that break an RMW's atomicity (not under `-through`).
    atomicity: bool,
    /// For each read (index), the reads whose values the value of each
    /// write feeds on: write gid -> read indices.
    wdata: &'a FxHashMap<usize, Vec<usize>>,
    reads: &'a [Rd],
    locs: &'a FxHashMap<u32, Loc>,
    local: &'a [usize],
    /// The reads of a thread waiting forever (its await's), which read
    /// co-last writes ([`Search::finals`]): per location, their indices.
    co_last: &'a FxHashMap<u32, Vec<usize>>,
}

impl RfInputs<'_> {
    /// A location with no choice of sources for its reads that its
    /// coherence base (with RMW atomicity) accepts, if there is one.  [`Self::cobase`] of
    /// a location depends on the sources of that location's reads only,
    /// so if one location has none, no rf of the combination passes the
    /// search's own per-location check: the combination is skipped before
    /// any partial model check is spent on the other locations.  Exact:
    /// it rejects only combinations [`Search::rf_dfs`] would reject after
    /// enumerating them.  `order` visits the reads location by location;
    /// `rf` is all `NONE` and is left so.
    fn incoherent_location(&self, order: &[usize], rf: &mut [usize]) -> Option<u32> {
        let mut start = 0;
        while start < order.len() {
            let cell = self.reads[order[start]].cell;
            let end =
                order[start..].iter().position(|&i| self.reads[i].cell != cell).map_or(order.len(), |p| start + p);
            let ok = self.location_dfs(&order[start..end], 0, rf);
            for &i in &order[start..end] {
                rf[i] = NONE;
            }
            if !ok {
                return Some(cell);
            }
            start = end;
        }
        None
    }

    /// Before a partial model check after choosing the source of
    /// `order[k]`: do the reads of its location still to choose (they
    /// follow it in `order`) have sources that keep the location's
    /// coherence base acyclic?  If not, every completion fails
    /// [`Self::cobase`] later in [`Search::rf_dfs`]: the check would be
    /// spent on a dead subtree.  Leaves those reads' `rf` at `NONE`.
    fn location_completes(&self, order: &[usize], k: usize, rf: &mut [usize]) -> bool {
        let cell = self.reads[order[k]].cell;
        let end = order[k + 1..].iter().position(|&i| self.reads[i].cell != cell).map_or(order.len(), |p| k + 1 + p);
        if end == k + 1 {
            return true;
        }
        let ok = self.location_dfs(&order[k + 1..end], 0, rf);
        for &i in &order[k + 1..end] {
            rf[i] = NONE;
        }
        ok
    }

    /// Some sources for the reads `reads[k..]` (all of one location) that
    /// keep its coherence base acyclic?
    fn location_dfs(&self, reads: &[usize], k: usize, rf: &mut [usize]) -> bool {
        let Some(&i) = reads.get(k) else {
            return true;
        };
        let cell = self.reads[i].cell;
        if !self.locs[&cell].wide {
            // the closed coherence base of the sources chosen so far, grown
            // edge by edge below
            return match self.cobase(cell, rf) {
                Some(adj) => self.location_dfs_closed(reads, k, rf, &adj),
                None => false,
            };
        }
        let rd = &self.reads[i];
        for &w in &rd.cands {
            rf[i] = w;
            if self.cobase(rd.cell, rf).is_some() && self.location_dfs(reads, k + 1, rf) {
                return true;
            }
        }
        rf[i] = NONE;
        false
    }

    /// [`Self::location_dfs`] on a location of at most 64 writes, given
    /// `adj`, the closed coherence base of the sources chosen so far
    /// without atomicity: each choice adds its read's edges to a copy and
    /// closes it incrementally ([`Self::add_read_edges`]), a cycle drops
    /// the choice, and a complete choice is checked by [`Self::cobase`]
    /// itself (with atomicity).  The edges added are among those `cobase`
    /// builds, so a cycle found here is one of `cobase`'s: the answer is
    /// the same.
    fn location_dfs_closed(&self, reads: &[usize], k: usize, rf: &mut [usize], adj: &[u64]) -> bool {
        let Some(&i) = reads.get(k) else {
            return self.cobase(self.reads[reads[0]].cell, rf).is_some();
        };
        let mut a = adj.to_vec();
        for &w in &self.reads[i].cands {
            rf[i] = w;
            a.copy_from_slice(adj);
            if self.add_read_edges(i, rf, &mut a) && self.location_dfs_closed(reads, k + 1, rf, &a) {
                return true;
            }
        }
        rf[i] = NONE;
        false
    }

    /// Add to the closed relation `adj` the coherence-base edges that read
    /// `i` reading from `rf[i]` adds to [`Self::cobase`] (`rw`, `wr`, and
    /// `rr` with the reads of its location and thread that have a source),
    /// keeping it closed; `false` if one closes a cycle.
    fn add_read_edges(&self, i: usize, rf: &[usize], adj: &mut [u64]) -> bool {
        let r = &self.reads[i];
        let w = rf[i];
        let lw = self.local[w];
        let add = |adj: &mut [u64], a: usize, b: usize| -> bool {
            if a == b || adj[b] >> a & 1 == 1 {
                return false;
            }
            let nb = adj[b] | 1 << b;
            for (x, row) in adj.iter_mut().enumerate() {
                if x == a || *row >> a & 1 == 1 {
                    *row |= nb;
                }
            }
            true
        };
        let mut aw = r.after_w & !(1 << lw);
        while aw != 0 {
            let b = aw.trailing_zeros() as usize;
            aw &= aw - 1;
            if !add(adj, lw, b) {
                return false;
            }
        }
        let mut bw = r.before_w & !(1 << lw);
        while bw != 0 {
            let b = bw.trailing_zeros() as usize;
            bw &= bw - 1;
            if !add(adj, b, lw) {
                return false;
            }
        }
        for &r2 in &r.after_r {
            let w2 = rf[r2];
            if w2 != NONE && w2 != w && !add(adj, lw, self.local[w2]) {
                return false;
            }
        }
        for &r0 in &self.locs[&r.cell].reads {
            let w0 = rf[r0];
            if w0 != NONE && w0 != w && self.reads[r0].after_r.contains(&i) && !add(adj, self.local[w0], lw) {
                return false;
            }
        }
        true
    }

    /// Do the await reads of location `c` chosen so far (see
    /// [`Search::await_reads`]) read one write with no successor in `adj`,
    /// the location's closed coherence base?
    fn co_last_ok(&self, c: u32, rf: &[usize], adj: &[u64]) -> bool {
        let Some(rs) = self.co_last.get(&c) else { return true };
        let mut src = NONE;
        for &k in rs {
            let w = rf[k];
            if w == NONE {
                continue;
            }
            if src != NONE && src != w {
                return false;
            }
            src = w;
            if !self.locs[&c].wide && adj[self.local[w]] != 0 {
                return false;
            }
        }
        true
    }

    /// herd solves the value of a read unless it depends on itself through
    /// rf and data flow: such reads must carry [`SYM`], the others not.
    fn values_solvable(&self, rf: &[usize], ex: &Execution) -> bool {
        let n = self.reads.len();
        let succ = |i: usize| self.wdata.get(&rf[i]).map(|v| v.as_slice()).unwrap_or(&[]);
        for i in 0..n {
            if ex.event(self.reads[i].ev).value == Some(SYM) {
                continue;
            }
            // does i reach itself?
            let mut seen = vec![false; n];
            let mut stack: Vec<usize> = succ(i).to_vec();
            while let Some(k) = stack.pop() {
                if k == i {
                    return false;
                }
                if !seen[k] {
                    seen[k] = true;
                    stack.extend_from_slice(succ(k));
                }
            }
        }
        true
    }

    /// The transitively closed coherence base of location `c` under the
    /// (partial) rf, or `None` if it is cyclic or breaks an RMW.
    fn cobase(&self, c: u32, rf: &[usize]) -> Option<Vec<u64>> {
        let l = &self.locs[&c];
        if l.wide {
            return Some(Vec::new());
        }
        let n = l.writes.len();
        let mut adj = l.ww.clone();
        // co0: the initial write first
        adj[0] |= (if n == 64 { u64::MAX } else { (1u64 << n) - 1 }) & !1;
        for &ri in &l.reads {
            let w = rf[ri];
            if w == NONE {
                continue;
            }
            let r = &self.reads[ri];
            let lw = self.local[w];
            let bit = 1u64 << lw;
            // rw: w -> writes po-after the read
            adj[lw] |= r.after_w & !bit;
            // wr: writes po-before the read -> w
            let mut bw = r.before_w & !bit;
            while bw != 0 {
                let k = bw.trailing_zeros() as usize;
                bw &= bw - 1;
                adj[k] |= bit;
            }
            // rr
            for &r2 in &r.after_r {
                let w2 = rf[r2];
                if w2 != NONE && w2 != w {
                    adj[lw] |= 1 << self.local[w2];
                }
            }
        }
        // transitive closure
        for k in 0..n {
            let kb = 1u64 << k;
            let row = adj[k];
            for a in adj.iter_mut() {
                if *a & kb != 0 {
                    *a |= row;
                }
            }
        }
        for (i, a) in adj.iter().enumerate() {
            if a >> i & 1 == 1 {
                return None;
            }
        }
        if !self.atomicity {
            return Some(adj);
        }
        // atomicity: two RMWs cannot read from the same write, and nothing
        // is co-between the source of an RMW read and its write
        let mut srcs = 0u64;
        for &ri in &l.reads {
            let (w, r) = (rf[ri], &self.reads[ri]);
            if r.rmw_w.is_some() && w != NONE {
                let bit = 1u64 << self.local[w];
                if srcs & bit != 0 {
                    return None;
                }
                srcs |= bit;
            }
        }
        for &ri in &l.reads {
            let (w, r) = (rf[ri], &self.reads[ri]);
            if let (Some(wp), true) = (r.rmw_w, w != NONE) {
                let mut mid = adj[self.local[w]];
                while mid != 0 {
                    let k = mid.trailing_zeros() as usize;
                    mid &= mid - 1;
                    if adj[k] >> wp & 1 == 1 {
                        return None;
                    }
                }
            }
        }
        Some(adj)
    }
}

/// The finding a path waiting forever is: a deadlock when it waits for a
/// lock or for an IPI's answer (another CPU holds it up), else a hang.
fn await_finding_kind(k: AwaitKind) -> FindingKind {
    if matches!(k, AwaitKind::Lock | AwaitKind::Ipi) {
        FindingKind::Deadlock
    } else {
        FindingKind::Hang
    }
}

/// The finding a failed check on a path is.
fn finding_kind(k: FaultKind) -> FindingKind {
    match k {
        FaultKind::UseAfterFree => FindingKind::UseAfterFree,
        FaultKind::NullDeref => FindingKind::NullDeref,
        FaultKind::Assert(kvet_ir::AssertKind::Bug) => FindingKind::Bug,
        FaultKind::Assert(kvet_ir::AssertKind::Warn) => FindingKind::Warning,
        FaultKind::Assert(kvet_ir::AssertKind::Assert) => FindingKind::Assertion,
        FaultKind::Assert(kvet_ir::AssertKind::Ubsan) => FindingKind::Ubsan,
    }
}
