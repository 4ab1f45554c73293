//! The search: breadth-first by default (counterexamples are shortest),
//! depth-first on request. States live in flat arenas; each stored state
//! gets an id, and a parent table (`parent id`, `move`) turns any id back
//! into the schedule that reached it, which replay re-executes. A move is
//! a step of a CPU's running context, or the start of one of its handlers
//! (an interrupt or an IPI): `cpu + ncpus * (0 | 1 + handler)`.

use crate::frontier::Frontier;
use crate::machine::{Machine, NoTrace, Status, Wait};
use crate::por::Por;
use crate::visited::{fingerprint, FpTable, VisitedSet};
use crate::{Exploration, Options, SearchOrder, StopReason, Violation, ViolationKind};
use kvet_ir::{Program, Val};
use std::collections::BTreeMap;
use std::time::Instant;

/// One sequential search in progress: the machine, the visited set and
/// parent table, the scratch state and what was found so far.
struct Explorer<'m, 'p, 'o> {
    m: &'m Machine<'p>,
    por: Option<Por>,
    opts: &'m Options,
    visited: FpTable,
    parent: Vec<u32>,
    via: Vec<u16>,
    /// The moves possible in the state being expanded.
    moves: Vec<u32>,
    res: Exploration,
    obs: Vec<Val>,
    /// Status of each thread in the state being expanded.
    stat: Vec<Status>,
    start: Instant,
    /// Bytes that do not grow with the search: the working copies of the
    /// state vector (the program's memory, registers and contexts).
    fixed_bytes: usize,
    /// Bytes of the frontier arrays not passed to `successor` (the BFS
    /// level being expanded).
    held_bytes: usize,
    /// Per thread, per pc: on a loop (poll.rs).
    loops: Vec<Vec<bool>>,
    /// Polling-loop findings already reported: bit 0 deadlock, bit 1 hang.
    polled: u8,
    /// States waiting to be expanded (the BFS level's rest and the next
    /// level, or the DFS stack), for progress reports.
    frontier: usize,
    observer: Option<&'o mut dyn FnMut(&Progress)>,
    /// Breadth-first: the fingerprints of the next level's states (the
    /// BFS cycle proviso accepts an ample successor found there).
    bfs: bool,
    next_level: FpTable,
    /// The ample set being tried: its moves, successors and fingerprints.
    amp_moves: Vec<u32>,
    amp_states: Vec<i64>,
    amp_fps: Vec<u128>,
    /// Symmetry over interchangeable CPUs (symmetry.rs), when asked for
    /// and the program has it.
    sym: Option<crate::symmetry::Symmetry>,
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

impl Explorer<'_, '_, '_> {
    fn path(&self, mut id: u32) -> Vec<u32> {
        let mut p = Vec::new();
        while id != 0 {
            p.push(self.via[id as usize] as u32);
            id = self.parent[id as usize];
        }
        p.reverse();
        p
    }

    fn report(&mut self, mut v: Violation, id: u32, extra: Option<u32>) {
        if self.res.violations.iter().any(|x| x.kind == v.kind) {
            return;
        }
        v.path = self.path(id);
        if let Some(t) = extra {
            v.path.push(t);
        }
        self.res.violations.push(v);
    }

    /// Look at a stored state: record its outcome if every task is done,
    /// report a deadlock or hang if nothing can move, look for data races,
    /// and collect its moves. Returns whether it has any.
    fn classify(&mut self, s: &[i64], id: u32) -> bool {
        let m = self.m;
        let n = m.layout.nthreads;
        self.stat.clear();
        self.stat.extend((0..n).map(|t| m.status(s, t)));
        self.moves.clear();
        let mut all_done = true;
        for t in 0..n {
            match self.stat[t] {
                Status::Enabled => {
                    all_done = false;
                    self.moves.push(t as u32);
                }
                Status::Blocked(_) => all_done = false,
                Status::Done => {}
            }
        }
        for t in 0..n {
            for h in 0..m.prog.threads[t].handlers.len() {
                if m.can_fire(s, t, h) {
                    self.moves.push((t + n * (1 + h)) as u32);
                }
            }
        }
        if all_done && !m.ipi_pending(s) && !m.rcu_pending(s) && !m.timers_pending(s) {
            if let Some(v) = m.exit_problem(s) {
                self.report(v, id, None);
            }
            m.observe(s, &mut self.obs);
            let keep = m.prog.filter.as_ref().is_none_or(|f| f.eval(&self.obs));
            if keep {
                if !self.res.violations.iter().any(|v| v.kind == ViolationKind::Condition) {
                    if let Some(v) = m.condition_problem(&self.obs) {
                        self.report(v, id, None);
                    }
                }
                self.obs.truncate(m.prog.ndisplay);
                *self.res.outcomes.entry(self.obs.clone()).or_insert(0) += 1;
            }
        }
        // a CPU that can only poll, alone, for ever (poll.rs)
        if self.moves.len() == 1 && (self.moves[0] as usize) < n && self.polled != 3 {
            if let Some((kind, msg)) = m.polls_forever(s, self.moves[0] as usize, &self.loops) {
                self.polled |= if kind == ViolationKind::Deadlock { 1 } else { 2 };
                let v = Violation {
                    kind,
                    thread: self.moves[0],
                    pc: m.pc(s, self.moves[0] as usize),
                    message: msg,
                    path: Vec::new(),
                };
                self.report(v, id, None);
            }
        } else if self.moves.len() > 1
            && self.polled != 3
            && self.moves.iter().all(|&u| (u as usize) < n && self.loops[u as usize][m.pc(s, u as usize) as usize])
        {
            // several CPUs that can only poll, for ever (poll.rs)
            if let Some((kind, msg)) = m.pollers_forever(s, &self.loops) {
                self.polled |= if kind == ViolationKind::Deadlock { 1 } else { 2 };
                let v = Violation {
                    kind,
                    thread: self.moves[0],
                    pc: m.pc(s, self.moves[0] as usize),
                    message: msg,
                    path: Vec::new(),
                };
                self.report(v, id, None);
            }
        }
        if self.moves.is_empty() {
            if !all_done || m.rcu_pending(s) || m.timers_pending(s) {
                let (kind, msg) = stuck_message(m, s);
                let v = Violation { kind, thread: 0, pc: 0, message: msg, path: Vec::new() };
                self.report(v, id, None);
            }
            return false;
        }
        if m.has_plain {
            for t in 0..n {
                for u in t + 1..n {
                    if self.stat[t] == Status::Enabled && self.stat[u] == Status::Enabled && !m.same_cpu(t, u) {
                        if let Some(v) = m.race(s, t, u) {
                            self.report(v, id, None);
                        }
                    }
                }
            }
        }
        true
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
            + self.amp_states.capacity() * 8
            + self.parent.capacity() * 4
            + self.via.capacity() * 2
            + self.held_bytes
            + frontier
            + self.fixed_bytes
            + self.por.as_ref().map_or(0, |p| p.cut_bytes())
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

    /// A CPU whose moves may be explored alone (see `por`): it runs one
    /// task, its running context can step, and nothing another CPU's
    /// contexts or handlers may still do conflicts with its moves.
    fn ample(&mut self, s: &[i64]) -> Option<usize> {
        let mut por = self.por.take()?;
        let m = self.m;
        let n = m.layout.nthreads;
        let found = (0..n).find(|&t| {
            self.stat[t] == Status::Enabled && m.layout.curr[t] == crate::state::NONE && por.ample_ok(m, s, t)
        });
        self.por = Some(por);
        found
    }

    /// Try the reduced expansion: the moves of the ample CPU, each
    /// successor without a finding, and (the cycle proviso) none of them
    /// on an earlier level than the next (BFS: seen before this level's
    /// expansion began; DFS: seen at all). None if it was not taken;
    /// if it was (the state needs no other successor), whether the
    /// search must stop at a bound.
    #[allow(clippy::too_many_arguments)]
    fn try_ample(
        &mut self,
        s: &[i64],
        id: u32,
        scratch: &mut [i64],
        sink: &mut NoTrace,
        out: &mut Frontier,
    ) -> Option<bool> {
        let t = self.ample(s)?;
        let n = self.m.layout.nthreads;
        let len = s.len();
        self.amp_moves.clear();
        self.amp_moves.extend(self.moves.iter().copied().filter(|&mv| mv as usize % n == t));
        self.amp_states.clear();
        self.amp_fps.clear();
        for k in 0..self.amp_moves.len() {
            scratch.copy_from_slice(s);
            self.res.transitions += 1;
            let r = self.m.apply(scratch, self.amp_moves[k], sink);
            if r.is_err() || !sink.warnings.is_empty() {
                sink.warnings.clear();
                return None; // the full expansion reports it
            }
            let fp = self.fp(scratch);
            if self.visited.contains(fp) && !(self.bfs && self.next_level.contains(fp)) {
                return None; // cycle proviso
            }
            self.amp_states.extend_from_slice(scratch);
            self.amp_fps.push(fp);
        }
        let states = std::mem::take(&mut self.amp_states);
        let stop = self.store(&states, len, id, out);
        self.amp_states = states;
        Some(stop)
    }

    /// Store the successors computed in `states` (`len` words each; their
    /// fingerprints and moves in `amp_fps`/`amp_moves`) that are new, as
    /// children of `id`. True if the search must stop at a bound.
    fn store(&mut self, states: &[i64], len: usize, id: u32, out: &mut Frontier) -> bool {
        for k in 0..self.amp_fps.len() {
            let fp = self.amp_fps[k];
            if !self.visited.insert(fp) {
                continue;
            }
            if self.bfs {
                self.next_level.insert(fp);
            }
            let nid = self.parent.len() as u32;
            self.parent.push(id);
            self.via.push(self.amp_moves[k] as u16);
            self.res.states += 1;
            out.push(&states[k * len..(k + 1) * len], nid);
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
    /// are computed. None if the search must stop; else whether some
    /// move changed the state.
    fn expand(&mut self, s: &[i64], id: u32, sink: &mut NoTrace, out: &mut Frontier, reverse: bool) -> Option<bool> {
        let len = s.len();
        let mut states = std::mem::take(&mut self.amp_states);
        states.clear();
        self.amp_fps.clear();
        self.amp_moves.clear();
        let mut progress = false;
        let mut stop = false;
        let nm = self.moves.len();
        for i in 0..nm {
            let mv = self.moves[if reverse { nm - 1 - i } else { i }];
            states.extend_from_slice(s);
            let k = self.amp_fps.len();
            let sc = &mut states[k * len..(k + 1) * len];
            self.res.transitions += 1;
            let r = self.m.apply(sc, mv, sink);
            progress |= r.is_err() || sc[..] != s[..];
            for w in sink.warnings.drain(..) {
                self.report(w, id, Some(mv));
            }
            if let Err(v) = r {
                self.report(v, id, Some(mv));
                states.truncate(k * len);
                if self.stop_now() {
                    stop = true;
                    break;
                }
                continue;
            }
            let fp = self.fp(&states[k * len..(k + 1) * len]);
            self.visited.prefetch(fp);
            self.amp_fps.push(fp);
            self.amp_moves.push(mv);
        }
        // the successors computed before a stop are stored too, as they
        // were found
        stop |= self.store(&states, len, id, out);
        self.amp_states = states;
        (!stop).then_some(progress)
    }

    /// Every move of this state led back to it: the CPUs that can move
    /// only poll. With a CPU waiting (for a lock, ...) that is a deadlock,
    /// otherwise a hang (poll.rs).
    fn livelock(&mut self, s: &[i64], id: u32) {
        let m = self.m;
        let waits = (0..m.layout.nthreads).any(|t| matches!(m.status(s, t), Status::Blocked(_)));
        let kind = if waits { ViolationKind::Deadlock } else { ViolationKind::Hang };
        if self.res.violations.iter().any(|v| v.kind == kind) {
            return;
        }
        if let Some(msg) = self.m.livelock(s) {
            self.report(Violation { kind, thread: 0, pc: 0, message: msg, path: Vec::new() }, id, None);
        }
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

    /// The fingerprint the visited set keeps for `s`: its own, or under
    /// symmetry its orbit's canonical member's.
    #[inline]
    fn fp(&mut self, s: &[i64]) -> u128 {
        match self.sym.as_mut() {
            Some(sym) => sym.fingerprint(s),
            None => fingerprint(s),
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

fn explore_inner<'a>(
    prog: &'a Program,
    opts: &'a Options,
    observer: Option<&'a mut dyn FnMut(&Progress)>,
) -> Exploration {
    let m = Machine::new(prog);
    let mut cx = Explorer {
        m: &m,
        por: opts.reduce.then(|| Por::new(prog)),
        opts,
        visited: FpTable::default(),
        parent: vec![0],
        via: vec![0],
        moves: Vec::new(),
        res: Exploration { outcomes: BTreeMap::new(), ..Exploration::default() },
        obs: Vec::new(),
        stat: Vec::new(),
        start: Instant::now(),
        fixed_bytes: 0,
        held_bytes: 0,
        loops: crate::poll::loop_pcs(prog),
        polled: 0,
        frontier: 1,
        observer,
        bfs: opts.order == SearchOrder::Bfs,
        next_level: FpTable::default(),
        amp_moves: Vec::new(),
        amp_states: Vec::new(),
        amp_fps: Vec::new(),
        sym: if opts.symmetry { crate::symmetry::Symmetry::new(prog, &m.layout) } else { None },
    };
    cx.res.symmetric = cx.sym.is_some();
    let mut first = NoTrace::default();
    let init = m.initial(&mut first);
    // warnings of the local code before every thread's first step
    for w in std::mem::take(&mut first.warnings) {
        cx.report(w, 0, None);
    }
    let init = match init {
        Ok(s) => s,
        Err(v) => {
            cx.report(v, 0, None);
            cx.res.complete = true;
            return cx.res;
        }
    };
    let fp = cx.fp(&init);
    cx.visited.insert(fp);
    cx.res.states = 1;
    // the initial state, the scratch copy and the state being expanded
    cx.fixed_bytes = init.len() * 8 * 3 + cx.por.as_ref().map_or(0, Por::bytes);
    cx.res.frontier_state_bytes = init.len() as u64 * 8 + 12;
    cx.res.state_bytes = init.len() as u64 * 8;
    if cx.over_memory(0) {
        cx.res.complete = false;
        cx.res.frontier = 1;
        return cx.res;
    }
    match opts.order {
        SearchOrder::Bfs => bfs(&mut cx, init),
        SearchOrder::Dfs => dfs(&mut cx, init),
    }
    cx.res.complete = cx.res.stopped.is_none() && !cx.stop_now();
    cx.res.stored_bytes = (cx.visited.bytes() + cx.parent.capacity() * 4 + cx.via.capacity() * 2) as u64;
    cx.res
}

fn bfs(cx: &mut Explorer, init: Vec<i64>) {
    let len = init.len();
    let mut cur = Frontier::default();
    cur.push(&init, 0);
    let mut next = Frontier::default();
    let mut scratch = vec![0i64; len];
    let mut s = init;
    let mut sink = NoTrace::default();
    while !cur.is_empty() {
        for k in 0..cur.len() {
            let id = cur.id(k);
            cx.frontier = cur.len() - k + next.len();
            cur.get(k, &mut s);
            if !cx.classify(&s, id) {
                continue;
            }
            // on a stop, the states of this level not yet expanded and
            // the next level are the frontier left
            let left = (cur.len() - k - 1) as u64;
            if let Some(stop) = cx.try_ample(&s, id, &mut scratch, &mut sink, &mut next) {
                if stop {
                    cx.res.frontier = left + next.len() as u64;
                    return;
                }
                continue;
            }
            let Some(progress) = cx.expand(&s, id, &mut sink, &mut next, false) else {
                cx.res.frontier = left + next.len() as u64;
                return;
            };
            if !progress {
                cx.livelock(&s, id);
            }
            if cx.stop_now() {
                return;
            }
        }
        cx.peak_frontier(&next);
        std::mem::swap(&mut cur, &mut next);
        next.clear();
        cx.next_level.clear();
        cx.held_bytes = cur.bytes();
        cx.res.depth += 1;
    }
}

fn dfs(cx: &mut Explorer, init: Vec<i64>) {
    let len = init.len();
    let mut stack = Frontier::default();
    stack.push(&init, 0);
    let mut scratch = vec![0i64; len];
    let mut s = init;
    let mut sink = NoTrace::default();
    while let Some(id) = stack.pop(&mut s) {
        cx.frontier = stack.len();
        if !cx.classify(&s, id) {
            continue;
        }
        if let Some(stop) = cx.try_ample(&s, id, &mut scratch, &mut sink, &mut stack) {
            if stop {
                cx.res.frontier = stack.len() as u64;
                return;
            }
            continue;
        }
        // push in reverse so the first move is explored first
        let Some(progress) = cx.expand(&s, id, &mut sink, &mut stack, true) else {
            cx.res.frontier = stack.len() as u64;
            return;
        };
        if !progress {
            cx.livelock(&s, id);
        }
        cx.res.depth = cx.res.depth.max(stack.len() as u64);
        cx.peak_frontier(&stack);
    }
}

/// Why nothing can move: a hang if every waiting task sleeps (nobody
/// will wake it), else a deadlock naming each CPU's wait:
/// "CPU0 waits for b (held by CPU1), CPU1 waits for a (held by CPU0)".
pub(crate) fn stuck_message(m: &Machine, s: &[i64]) -> (ViolationKind, String) {
    let mut parts = Vec::new();
    let mut sleepers = Vec::new();
    let mut spinners = 0;
    let ctx = |t: usize| match m.ctx(s, t) {
        crate::kernel::CpuContext::Hard => " (in a hardirq handler)",
        crate::kernel::CpuContext::Soft => " (in a softirq handler)",
        crate::kernel::CpuContext::Task => "",
    };
    for t in 0..m.layout.nthreads {
        let Status::Blocked(w) = m.status(s, t) else { continue };
        let who = format!("{}{}", m.who(t), ctx(t));
        match w {
            Wait::Lock(c, kind) => {
                spinners += 1;
                let name = m.prog.cell_name(c);
                let verb = kind.verb();
                let v = s[c as usize];
                let readers = (v >> 16) & 0xffff;
                match m.holder(s, c) {
                    Some(h) if h == t => {
                        parts.push(format!("{who} waits in {verb}({name}), which {} itself holds", m.who(t)))
                    }
                    Some(h) if m.status(s, h) == Status::Done => {
                        parts.push(format!("{who} waits in {verb}({name}) (held by {}, which has exited)", m.who(h)))
                    }
                    Some(h) => parts.push(format!("{who} waits for {name} (held by {})", m.who(h))),
                    None if readers > 0 => parts.push(format!("{who} waits in {verb}({name}) for {readers} reader(s)")),
                    None if (v >> 32) & 0xff != 0 => parts.push(format!(
                        "{who} waits in {verb}({name}) behind a queued writer (CPU{})",
                        ((v >> 32) & 0xff) - 1
                    )),
                    None => parts.push(format!("{who} waits for {name}")),
                }
            }
            Wait::GracePeriod => {
                spinners += 1;
                parts.push(format!("{who} waits for a grace period that readers never end"));
            }
            Wait::Ipi(mask) => {
                spinners += 1;
                let cpus: Vec<String> = (0..64).filter(|u| mask & (1 << u) != 0).map(|u| format!("CPU{u}")).collect();
                parts.push(format!("{who} waits for {} to answer its IPI (interrupts off there)", cpus.join(" and ")));
            }
            Wait::Seq(c) => {
                spinners += 1;
                parts.push(format!(
                    "{who} spins in read_seqbegin({}) while a writer never finishes",
                    m.prog.cell_name(c)
                ));
            }
            Wait::Sleep => {
                sleepers.push(format!("{who} sleeps forever in schedule() at `{}`", m.text(t as u32, m.pc(s, t))))
            }
            Wait::Completion(c) => {
                sleepers.push(format!("{who} sleeps forever in wait_for_completion({})", m.prog.cell_name(c)))
            }
            Wait::RcuBarrier => sleepers.push(format!("{who} sleeps forever in rcu_barrier()")),
            Wait::Cpu(c) => parts.push(format!("{who} is runnable but never gets CPU{c}")),
        }
    }
    let stranded = m.stranded_callbacks(s);
    if spinners == 0 && !sleepers.is_empty() {
        let mut msg = format!("{}: nobody is left to wake it (a lost wake-up)", sleepers.join(", "));
        for x in stranded {
            msg.push_str("; ");
            msg.push_str(&x);
        }
        return (ViolationKind::Hang, msg);
    }
    if spinners == 0 && !stranded.is_empty() {
        return (ViolationKind::Hang, stranded.join(", "));
    }
    parts.extend(sleepers);
    parts.extend(stranded);
    (ViolationKind::Deadlock, parts.join(", "))
}
