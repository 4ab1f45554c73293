//! The search: breadth-first by default (counterexamples are shortest),
//! depth-first on request. States live in flat arenas; each stored state
//! gets an id, and a parent table (`parent id`, `move`) turns any id back
//! into the schedule that reached it, which replay re-executes. A move is
//! a step of a CPU's running context, or the start of one of its handlers
//! (an interrupt or an IPI): `cpu + ncpus * (0 | 1 + handler)`.

use crate::machine::{Machine, NoTrace, Status, Wait};
use crate::por::Por;
use crate::visited::{fingerprint, FpTable, VisitedSet};
use crate::{Exploration, Options, SearchOrder, StopReason, Violation, ViolationKind};
use kvet_ir::{Program, Val};
use std::collections::BTreeMap;
use std::time::Instant;

/// What happened to one successor: stored as new, already seen (or a
/// finding), or the search must stop. The flag says whether the move
/// changed the state.
enum Succ {
    Stored(bool),
    Seen(bool),
    Stop,
}

struct Ctx<'m, 'p, 'o> {
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
}

/// How far a search has come, for a progress display (the engine does no
/// I/O: `explore_with` hands this to the caller every few thousand
/// states).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    pub states: u64,
    pub transitions: u64,
    /// BFS level (or DFS stack depth).
    pub depth: u64,
    /// States waiting to be expanded.
    pub frontier: u64,
    /// Bytes of the visited set and parent table.
    pub memory: u64,
    pub elapsed_secs: f64,
}

impl Ctx<'_, '_, '_> {
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
            + self.parent.capacity() * 4
            + self.via.capacity() * 2
            + self.held_bytes
            + frontier
            + self.fixed_bytes
    }

    /// The memory bound, checked at every stored state: everything the
    /// search holds, by capacity, with the visited table counted at its
    /// peak if the next insertion makes it grow (old and new table both
    /// live while it rehashes), so that the bound holds before it is
    /// crossed rather than after.
    fn over_memory(&mut self, frontier: usize) -> bool {
        let bytes = self.memory_bytes(frontier) - self.visited.bytes() + self.visited.peak_bytes();
        if bytes as u64 > self.opts.max_memory {
            self.res.stopped = Some(StopReason::Memory(self.opts.max_memory));
            return true;
        }
        false
    }

    /// A thread whose next step may be explored alone (see `por`): no
    /// interrupt can start on its CPU now, and the step touches nothing
    /// another CPU's contexts or handlers may still touch.
    fn ample(&self, s: &[i64]) -> Option<usize> {
        let por = self.por.as_ref()?;
        let m = self.m;
        let n = m.layout.nthreads;
        (0..n).find(|&t| {
            self.stat[t] == Status::Enabled
                && m.layout.curr[t] == crate::state::NONE
                && !self.moves.iter().any(|&mv| mv as usize % n == t && mv as usize >= n)
                && por.independent(
                    t,
                    m.pc(s, t),
                    (0..n)
                        .filter(|&u| u != t)
                        .map(|u| (u, m.context_pcs(s, u), !m.prog.threads[u].handlers.is_empty())),
                )
        })
    }

    /// Try the reduced expansion: true if the ample successor was new
    /// (then the state needs no other successor).
    fn try_ample(
        &mut self,
        s: &[i64],
        id: u32,
        scratch: &mut [i64],
        sink: &mut NoTrace,
        out: &mut Vec<i64>,
        out_ids: &mut Vec<u32>,
    ) -> bool {
        let Some(t) = self.ample(s) else { return false };
        scratch.copy_from_slice(s);
        self.res.transitions += 1;
        let r = self.m.apply(scratch, t as u32, sink);
        if r.is_err() || !sink.warnings.is_empty() {
            sink.warnings.clear();
            return false; // the full expansion reports it
        }
        if !self.visited.insert(fingerprint(scratch)) {
            return false; // cycle proviso
        }
        let nid = self.parent.len() as u32;
        self.parent.push(id);
        self.via.push(t as u16);
        self.res.states += 1;
        out.extend_from_slice(scratch);
        out_ids.push(nid);
        true
    }

    /// Apply move `mv` to state `s` (id `id`) in `scratch`, report what
    /// it finds, and store the successor in `out` if it is new.
    #[allow(clippy::too_many_arguments)]
    fn successor(
        &mut self,
        s: &[i64],
        id: u32,
        mv: u32,
        scratch: &mut [i64],
        sink: &mut NoTrace,
        out: &mut Vec<i64>,
        out_ids: &mut Vec<u32>,
    ) -> Succ {
        scratch.copy_from_slice(s);
        self.res.transitions += 1;
        let r = self.m.apply(scratch, mv, sink);
        let progress = r.is_err() || scratch[..] != s[..];
        for w in sink.warnings.drain(..) {
            self.report(w, id, Some(mv));
        }
        if let Err(v) = r {
            self.report(v, id, Some(mv));
            return if self.stop_now() { Succ::Stop } else { Succ::Seen(progress) };
        }
        if !self.visited.insert(fingerprint(scratch)) {
            return Succ::Seen(progress);
        }
        let nid = self.parent.len() as u32;
        self.parent.push(id);
        self.via.push(mv as u16);
        self.res.states += 1;
        out.extend_from_slice(scratch);
        out_ids.push(nid);
        if self.out_of_budget(frontier_bytes(out, out_ids)) {
            return Succ::Stop;
        }
        Succ::Stored(progress)
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

    fn stop_now(&self) -> bool {
        self.opts.stop_at_first && self.res.violations.iter().any(|v| v.kind.is_bug())
    }
}

/// Bytes held by a frontier's state words and ids, by capacity.
fn frontier_bytes(words: &Vec<i64>, ids: &Vec<u32>) -> usize {
    words.capacity() * 8 + ids.capacity() * 4
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
    let mut cx = Ctx {
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
    };
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
    cx.visited.insert(fingerprint(&init));
    cx.res.states = 1;
    // the initial state, the scratch copy and the state being expanded
    cx.fixed_bytes = init.len() * 8 * 3;
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
    cx.res
}

fn bfs(cx: &mut Ctx, init: Vec<i64>) {
    let len = init.len();
    let mut cur: Vec<i64> = init;
    let mut cur_ids: Vec<u32> = vec![0];
    let mut next: Vec<i64> = Vec::new();
    let mut next_ids: Vec<u32> = Vec::new();
    let mut scratch = vec![0i64; len];
    let mut sink = NoTrace::default();
    while !cur_ids.is_empty() {
        for (k, &id) in cur_ids.iter().enumerate() {
            cx.frontier = cur_ids.len() - k + next_ids.len();
            let s = &cur[k * len..(k + 1) * len];
            if !cx.classify(s, id) {
                continue;
            }
            // on a stop, the states of this level not yet expanded and
            // the next level are the frontier left
            let left = (cur_ids.len() - k - 1) as u64;
            if cx.try_ample(s, id, &mut scratch, &mut sink, &mut next, &mut next_ids) {
                if cx.out_of_budget(frontier_bytes(&next, &next_ids)) {
                    cx.res.frontier = left + next_ids.len() as u64;
                    return;
                }
                continue;
            }
            let mut progress = false;
            for mi in 0..cx.moves.len() {
                let mv = cx.moves[mi];
                match cx.successor(s, id, mv, &mut scratch, &mut sink, &mut next, &mut next_ids) {
                    Succ::Stop => {
                        cx.res.frontier = left + next_ids.len() as u64;
                        return;
                    }
                    Succ::Stored(p) | Succ::Seen(p) => progress |= p,
                }
            }
            if !progress {
                cx.livelock(s, id);
            }
            if cx.stop_now() {
                return;
            }
        }
        std::mem::swap(&mut cur, &mut next);
        std::mem::swap(&mut cur_ids, &mut next_ids);
        next.clear();
        next_ids.clear();
        cx.held_bytes = frontier_bytes(&cur, &cur_ids);
        cx.res.depth += 1;
    }
}

fn dfs(cx: &mut Ctx, init: Vec<i64>) {
    let len = init.len();
    let mut stack: Vec<i64> = init;
    let mut ids: Vec<u32> = vec![0];
    let mut scratch = vec![0i64; len];
    let mut s = vec![0i64; len];
    let mut sink = NoTrace::default();
    while let Some(id) = ids.pop() {
        cx.frontier = ids.len();
        let top = ids.len();
        s.copy_from_slice(&stack[top * len..(top + 1) * len]);
        stack.truncate(top * len);
        if !cx.classify(&s, id) {
            continue;
        }
        if cx.try_ample(&s, id, &mut scratch, &mut sink, &mut stack, &mut ids) {
            if cx.out_of_budget(frontier_bytes(&stack, &ids)) {
                cx.res.frontier = ids.len() as u64;
                return;
            }
            continue;
        }
        // push in reverse so the first move is explored first
        let mut progress = false;
        for mi in (0..cx.moves.len()).rev() {
            let mv = cx.moves[mi];
            match cx.successor(&s, id, mv, &mut scratch, &mut sink, &mut stack, &mut ids) {
                Succ::Stop => {
                    cx.res.frontier = ids.len() as u64;
                    return;
                }
                Succ::Stored(p) | Succ::Seen(p) => progress |= p,
            }
        }
        if !progress {
            cx.livelock(&s, id);
        }
        cx.res.depth = cx.res.depth.max(ids.len() as u64);
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
        crate::kernel::Ctx::Hard => " (in a hardirq handler)",
        crate::kernel::Ctx::Soft => " (in a softirq handler)",
        crate::kernel::Ctx::Task => "",
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
