//! The search: breadth-first by default (counterexamples are shortest),
//! depth-first on request. States live in flat arenas; each stored state
//! gets an id, and a parent table (`parent id`, `thread`) turns any id
//! back into the schedule that reached it, which replay re-executes.

use crate::machine::{Machine, NoTrace, Status, Wait};
use crate::por::Por;
use crate::visited::{fingerprint, FpTable, VisitedSet};
use crate::{Exploration, Options, SearchOrder, StopReason, Violation, ViolationKind};
use kvet_ir::{Program, Val};
use std::collections::BTreeMap;
use std::time::Instant;

struct Ctx<'m, 'p> {
    m: &'m Machine<'p>,
    por: Option<Por>,
    opts: &'m Options,
    visited: FpTable,
    parent: Vec<u32>,
    via: Vec<u8>,
    res: Exploration,
    obs: Vec<Val>,
    /// Status of each thread in the state being expanded.
    stat: Vec<Status>,
    start: Instant,
}

impl Ctx<'_, '_> {
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

    /// Look at a stored state: final? deadlocked? Returns the enabled threads' count.
    fn classify(&mut self, s: &[i64], id: u32) -> bool {
        let m = self.m;
        let n = m.layout.nthreads;
        let mut any_enabled = false;
        let mut all_done = true;
        self.stat.clear();
        self.stat.extend((0..n).map(|t| m.status(s, t)));
        for t in 0..n {
            match self.stat[t] {
                Status::Enabled => {
                    any_enabled = true;
                    all_done = false;
                }
                Status::Blocked(_) => all_done = false,
                Status::Done => {}
            }
        }
        if all_done {
            if let Some(v) = m.exit_problem(s) {
                self.report(v, id, None);
            }
            m.observe(s, &mut self.obs);
            let keep = m.prog.filter.as_ref().is_none_or(|f| f.eval(&self.obs));
            if keep {
                self.obs.truncate(m.prog.ndisplay);
                *self.res.outcomes.entry(self.obs.clone()).or_insert(0) += 1;
            }
            return false;
        }
        if !any_enabled {
            let msg = deadlock_message(m, s);
            let v = Violation { kind: ViolationKind::Deadlock, thread: 0, pc: 0, message: msg, path: Vec::new() };
            self.report(v, id, None);
            return false;
        }
        true
    }

    fn out_of_budget(&mut self) -> bool {
        if self.res.states >= self.opts.max_states {
            self.res.stopped = Some(StopReason::States(self.opts.max_states));
            return true;
        }
        if self.res.states.is_multiple_of(4096) {
            if let Some(limit) = self.opts.max_seconds {
                if self.start.elapsed().as_secs_f64() > limit {
                    self.res.stopped = Some(StopReason::Time(limit));
                    return true;
                }
            }
            let bytes = self.visited.bytes() + self.parent.len() * 5;
            if bytes as u64 > self.opts.max_memory {
                self.res.stopped = Some(StopReason::Memory(self.opts.max_memory));
                return true;
            }
        }
        false
    }

    /// A thread whose next step may be explored alone (see `por`).
    fn ample(&self, s: &[i64]) -> Option<usize> {
        let por = self.por.as_ref()?;
        let m = self.m;
        let n = m.layout.nthreads;
        (0..n).find(|&t| {
            self.stat[t] == Status::Enabled
                && por.independent(t, m.pc(s, t), (0..n).filter(|&u| u != t && self.stat[u] != Status::Done).map(|u| (u, m.pc(s, u))))
        })
    }

    /// Try the reduced expansion: true if the ample successor was new
    /// (then the state needs no other successor).
    fn try_ample(&mut self, s: &[i64], id: u32, scratch: &mut [i64], sink: &mut NoTrace, out: &mut Vec<i64>, out_ids: &mut Vec<u32>) -> bool {
        let Some(t) = self.ample(s) else { return false };
        scratch.copy_from_slice(s);
        self.res.transitions += 1;
        let r = self.m.step(scratch, t, sink);
        if r.is_err() || !sink.warnings.is_empty() {
            sink.warnings.clear();
            return false; // the full expansion reports it
        }
        if !self.visited.insert(fingerprint(scratch)) {
            return false; // cycle proviso
        }
        let nid = self.parent.len() as u32;
        self.parent.push(id);
        self.via.push(t as u8);
        self.res.states += 1;
        out.extend_from_slice(scratch);
        out_ids.push(nid);
        true
    }

    fn stop_now(&self) -> bool {
        self.opts.stop_at_first && self.res.violations.iter().any(|v| v.kind.is_bug())
    }
}

/// Explore all interleavings of `prog`.
pub fn explore(prog: &Program, opts: &Options) -> Exploration {
    let m = Machine::new(prog);
    let mut cx = Ctx {
        m: &m,
        por: opts.reduce.then(|| Por::new(prog)),
        opts,
        visited: FpTable::default(),
        parent: vec![0],
        via: vec![0],
        res: Exploration { outcomes: BTreeMap::new(), ..Exploration::default() },
        obs: Vec::new(),
        stat: Vec::new(),
        start: Instant::now(),
    };
    let init = match m.initial(&mut NoTrace::default()) {
        Ok(s) => s,
        Err(v) => {
            cx.report(v, 0, None);
            cx.res.complete = true;
            return cx.res;
        }
    };
    cx.visited.insert(fingerprint(&init));
    cx.res.states = 1;
    match opts.order {
        SearchOrder::Bfs => bfs(&mut cx, init),
        SearchOrder::Dfs => dfs(&mut cx, init),
    }
    cx.res.complete = cx.res.stopped.is_none() && !cx.stop_now();
    cx.res
}

fn bfs(cx: &mut Ctx, init: Vec<i64>) {
    let len = init.len();
    let n = cx.m.layout.nthreads;
    let mut cur: Vec<i64> = init;
    let mut cur_ids: Vec<u32> = vec![0];
    let mut next: Vec<i64> = Vec::new();
    let mut next_ids: Vec<u32> = Vec::new();
    let mut scratch = vec![0i64; len];
    let mut sink = NoTrace::default();
    while !cur_ids.is_empty() {
        for (k, &id) in cur_ids.iter().enumerate() {
            let s = &cur[k * len..(k + 1) * len];
            if !cx.classify(s, id) {
                continue;
            }
            if cx.try_ample(s, id, &mut scratch, &mut sink, &mut next, &mut next_ids) {
                if cx.out_of_budget() {
                    return;
                }
                continue;
            }
            for t in 0..n {
                if cx.stat[t] != Status::Enabled {
                    continue;
                }
                scratch.copy_from_slice(s);
                cx.res.transitions += 1;
                let r = cx.m.step(&mut scratch, t, &mut sink);
                for w in sink.warnings.drain(..) {
                    cx.report(w, id, Some(t as u32));
                }
                if let Err(v) = r {
                    cx.report(v, id, Some(t as u32));
                    if cx.stop_now() {
                        return;
                    }
                    continue;
                }
                if cx.visited.insert(fingerprint(&scratch)) {
                    let nid = cx.parent.len() as u32;
                    cx.parent.push(id);
                    cx.via.push(t as u8);
                    cx.res.states += 1;
                    next.extend_from_slice(&scratch);
                    next_ids.push(nid);
                    if cx.out_of_budget() {
                        return;
                    }
                }
            }
            if cx.stop_now() {
                return;
            }
        }
        std::mem::swap(&mut cur, &mut next);
        std::mem::swap(&mut cur_ids, &mut next_ids);
        next.clear();
        next_ids.clear();
        cx.res.depth += 1;
    }
}

fn dfs(cx: &mut Ctx, init: Vec<i64>) {
    let len = init.len();
    let n = cx.m.layout.nthreads;
    let mut stack: Vec<i64> = init;
    let mut ids: Vec<u32> = vec![0];
    let mut scratch = vec![0i64; len];
    let mut s = vec![0i64; len];
    let mut sink = NoTrace::default();
    while let Some(id) = ids.pop() {
        let top = ids.len();
        s.copy_from_slice(&stack[top * len..(top + 1) * len]);
        stack.truncate(top * len);
        if !cx.classify(&s, id) {
            continue;
        }
        if cx.try_ample(&s, id, &mut scratch, &mut sink, &mut stack, &mut ids) {
            if cx.out_of_budget() {
                return;
            }
            continue;
        }
        // push in reverse so thread 0 is explored first
        for t in (0..n).rev() {
            if cx.stat[t] != Status::Enabled {
                continue;
            }
            scratch.copy_from_slice(&s);
            cx.res.transitions += 1;
            let r = cx.m.step(&mut scratch, t, &mut sink);
            for w in sink.warnings.drain(..) {
                cx.report(w, id, Some(t as u32));
            }
            if let Err(v) = r {
                cx.report(v, id, Some(t as u32));
                if cx.stop_now() {
                    return;
                }
                continue;
            }
            if cx.visited.insert(fingerprint(&scratch)) {
                let nid = cx.parent.len() as u32;
                cx.parent.push(id);
                cx.via.push(t as u8);
                cx.res.states += 1;
                stack.extend_from_slice(&scratch);
                ids.push(nid);
                if cx.out_of_budget() {
                    return;
                }
            }
        }
        cx.res.depth = cx.res.depth.max(ids.len() as u64);
    }
}

/// "CPU0 waits for b (held by CPU1), CPU1 waits for a (held by CPU0)"
pub(crate) fn deadlock_message(m: &Machine, s: &[i64]) -> String {
    let mut parts = Vec::new();
    for t in 0..m.layout.nthreads {
        match m.status(s, t) {
            Status::Blocked(Wait::Lock(c)) => {
                let name = m.prog.cell_name(c);
                match m.holder(s, c) {
                    Some(h) if h == t => parts.push(format!("CPU{t} waits for {name}, which it already holds")),
                    Some(h) if m.status(s, h) == Status::Done => {
                        parts.push(format!("CPU{t} waits for {name} (held by CPU{h}, which has exited)"))
                    }
                    Some(h) => parts.push(format!("CPU{t} waits for {name} (held by CPU{h})")),
                    None => parts.push(format!("CPU{t} waits for {name}")),
                }
            }
            Status::Blocked(Wait::GracePeriod) => {
                parts.push(format!("CPU{t} waits for a grace period that readers never end"));
            }
            _ => {}
        }
    }
    parts.join(", ")
}
