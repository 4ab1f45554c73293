//! Waits written as polling loops (`while (!READ_ONCE(x)) cpu_relax();`,
//! a del_timer_sync()-style retry loop, smp_cond_load_acquire()): a CPU
//! that loops forever re-reading memory that nothing will change again is
//! stuck, as a CPU spinning in spin_lock() is.
//!
//! The check is fair and sound: in a state where exactly one CPU can move
//! (every other CPU is blocked or has finished, and no handler can fire),
//! its future is forced. If running it alone brings the state back to
//! exactly where it was, without any other CPU or handler becoming able
//! to move on the way, it loops forever and nobody else ever moves: a
//! deadlock when some CPU waits (on a lock it holds, in a grace period,
//! ...), a hang when every other CPU has finished. Only pcs inside a cycle
//! of the thread's control-flow graph are checked, and the solo run is
//! bounded ([`MAX_POLL_STEPS`] steps per iteration of the loop). Several
//! CPUs that can all only poll are stuck the same way when each one's
//! loop, run alone, comes back to the state while changing nothing but
//! its own pc and registers (so no other poller can see a change)
//! (`pollers_forever`). A loop
//! that reads `jiffies` is not reported: time stops only at kvet's bound
//! (crates/ir/src/time.rs), and in the kernel it goes on.

use crate::machine::{Machine, NoTrace, Status};
use crate::ViolationKind;
use kvet_ir::*;

/// Scratch buffers of `pollers_forever`, one set per search thread (in
/// the expansion's `step::Scratch`).
#[derive(Default)]
pub(crate) struct PollScratch {
    cur: Vec<i64>,
    seen: Vec<(u32, u32)>,
    /// The pcs a lone poller's run passed, in order (`polls_forever`).
    pcs: Vec<u32>,
    /// After `polls_forever` on a state `s`: for how many states of its
    /// run after `s` (its successor `s1`, then `s1`'s, ...) the check is
    /// known to find nothing (see there).
    pub(crate) clear: u8,
}

/// The longest loop iteration (in steps) that is recognised.
pub(crate) const MAX_POLL_STEPS: usize = 64;

/// Per thread, per pc: the strongly connected component of the
/// control-flow graph that the pc lies on a cycle of, or [`NO_LOOP`]. A
/// thread's pc moves only along the graph's edges (a step runs one shared
/// instruction, which goes on to the next pc or stays where it is, then
/// local code along jumps and branches), so a run that leaves the
/// component of the pc it started at never comes back to that pc
/// (`polls_forever` stops there).
pub(crate) fn loop_pcs(p: &Program) -> Vec<Vec<u32>> {
    p.threads.iter().map(|th| cycle_components(&th.body.steps, &|_: &Instr| false)).collect()
}

/// Not on a cycle (`loop_pcs`).
pub(crate) const NO_LOOP: u32 = u32::MAX;

/// Per thread, per pc: the pc lies on a cycle of the control-flow graph
/// that passes no lock or unlock. Only such pcs can be where several
/// pollers spin (`pollers_forever`): a lock that is taken, or released,
/// changes the lock word, so a loop iteration through one never comes
/// back while changing nothing but the CPU's own pc and registers (and a
/// lock that cannot be taken blocks its CPU, which then does not move).
/// A lone poller's loop may take and drop a lock (it is run alone, and
/// must only come back to the same state), so it uses [`loop_pcs`].
pub(crate) fn lock_free_loop_pcs(p: &Program) -> Vec<Vec<bool>> {
    cycle_pcs(p, |i| matches!(i, Instr::Lock { .. } | Instr::Unlock { .. }))
}

/// Per thread, per pc: the pc lies on a cycle that passes no instruction
/// for which `cut` holds: its strongly connected component of the
/// control-flow graph (edges out of a `cut` instruction removed) has
/// another pc or an edge to itself (Tarjan's algorithm, iterative, linear
/// in the body's size).
fn cycle_pcs(p: &Program, cut: impl Fn(&Instr) -> bool) -> Vec<Vec<bool>> {
    p.threads.iter().map(|th| on_cycle(&th.body.steps, &cut)).collect()
}

/// The control-flow successors of `pc` in `steps` (none out of a `cut`
/// instruction), at most two, and only those inside the body.
fn cfg_succ(steps: &[Step], pc: usize, cut: &impl Fn(&Instr) -> bool) -> [usize; 2] {
    let n = steps.len();
    let (a, b) = match steps[pc].instr {
        _ if cut(&steps[pc].instr) => (NO_PC, NO_PC),
        Instr::Jump(l) => (l as usize, NO_PC),
        Instr::Branch(_, a, b) => (a as usize, b as usize),
        Instr::Exit | Instr::Bound(_) | Instr::IrqReturn => (NO_PC, NO_PC),
        _ => (pc + 1, NO_PC),
    };
    [if a < n { a } else { NO_PC }, if b < n { b } else { NO_PC }]
}

const NO_PC: usize = usize::MAX;

/// Per pc of `steps`: whether it lies on a cycle of the control-flow
/// graph without `cut` instructions' out-edges.
fn on_cycle(steps: &[Step], cut: &impl Fn(&Instr) -> bool) -> Vec<bool> {
    cycle_components(steps, cut).into_iter().map(|c| c != NO_LOOP).collect()
}

/// Per pc of `steps`: the number of its strongly connected component of
/// the control-flow graph without `cut` instructions' out-edges if the
/// pc lies on a cycle of it, else [`NO_LOOP`].
fn cycle_components(steps: &[Step], cut: &impl Fn(&Instr) -> bool) -> Vec<u32> {
    let n = steps.len();
    let mut index = vec![NO_PC; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out = vec![NO_LOOP; n];
    let mut self_loop = vec![false; n];
    let mut ncomp = 0u32;
    let mut next = 0;
    // the depth-first path: (pc, successors tried so far)
    let mut path: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != NO_PC {
            continue;
        }
        path.push((root, 0));
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut k)) = path.last_mut() {
            let succ = cfg_succ(steps, v, cut);
            if *k < 2 {
                let w = succ[*k];
                *k += 1;
                if w == NO_PC {
                    continue;
                }
                if w == v {
                    self_loop[v] = true;
                }
                if index[w] == NO_PC {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    path.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            path.pop();
            if let Some(&(u, _)) = path.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                // v roots a component: pop it
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 || self_loop[v] {
                    for w in comp {
                        out[w] = ncomp;
                    }
                    ncomp += 1;
                }
            }
        }
    }
    out
}

impl Machine<'_> {
    /// Only CPU `t` can move in `s` (no other CPU, no handler).
    fn sole_mover(&self, s: &[i64], t: usize) -> bool {
        let n = self.layout.nthreads;
        (0..n).all(|u| u == t || self.status(s, u) != Status::Enabled)
            && self.status(s, t) == Status::Enabled
            && (!self.has_handlers
                || (0..n).all(|u| (0..self.prog.threads[u].handlers.len()).all(|h| !self.can_fire(s, u, h))))
    }

    /// Is CPU `t`'s next step a load of `jiffies` (a cell of
    /// `Machine::jiffies`)?
    fn reads_jiffies(&self, s: &[i64], t: usize) -> bool {
        if self.jiffies.is_empty() {
            return false;
        }
        match self.instr_at(t, self.pc(s, t)) {
            Instr::Load { addr: Opd::Imm(a), .. } => ptr_cell(*a).is_some_and(|c| self.jiffies.contains(&c)),
            _ => false,
        }
    }

    /// CPU `t`, the only one that can move in `s` (its one move, which
    /// the caller checked), loops back to `s` for ever: the finding, naming the loop and the other CPUs' waits.
    /// (Called on every state with one move, in a loop: the run works in
    /// the caller's scratch buffers and collects pcs, whose texts are
    /// looked up only for the message.)
    pub(crate) fn polls_forever(
        &self,
        s: &[i64],
        t: usize,
        loops: &[Vec<u32>],
        sc: &mut PollScratch,
    ) -> Option<(ViolationKind, String)> {
        let base = self.layout.thread_base[t];
        let pc = self.pc(s, t);
        // only the task's own code (not a handler) in a loop
        let comp = loops[t].get(pc as usize).copied().unwrap_or(NO_LOOP);
        sc.clear = 0;
        if self.pcx(s, t) != base || comp == NO_LOOP {
            return None;
        }
        // (the caller's state has the one move `t`: it is the sole mover)
        debug_assert!(self.sole_mover(s, t));
        let PollScratch { cur, pcs, clear, .. } = sc;
        cur.clear();
        cur.extend_from_slice(s);
        pcs.clear();
        let mut sink = NoTrace::default();
        // The run s = s0, s1, s2, ... is a function of `s`, and whether it
        // ends (without a finding) at a state sk (k >= 1) is a function of
        // sk: of its next step (it reads jiffies, fails or warns), its pc
        // (out of the loop's component) or its moves (t is not the sole
        // mover). A run that ends at sk with sk != s passed s1 .. s(k-1)
        // without coming back to any of them (it would then go round for
        // ever and never reach sk), and they are in the loop's component
        // with the sole mover t: the check of any of them, whose run goes
        // on as this one does, also ends at sk and finds nothing. So when
        // this run ends at sk in iteration k (sk's step, or the state
        // after it), the checks of s1 .. sk find nothing: `clear` = k
        // (the search skips them, step.rs).
        *clear = 0;
        for k in 0..MAX_POLL_STEPS {
            pcs.push(self.pc(cur, t));
            if self.reads_jiffies(cur, t) {
                // time stopped at kvet's bound (crates/ir/src/time.rs): in
                // the kernel it goes on, so this is no finding
                *clear = k as u8;
                return None;
            }
            if self.apply(cur, t as u32, &mut sink).is_err() || !sink.warnings.is_empty() {
                *clear = k as u8;
                return None;
            }
            if cur[..] == s[..] {
                break;
            }
            // out of the loop's component: the task's pc (which only its
            // own steps move, along the graph's edges) never comes back
            // to `pc`, so the run never comes back to `s` (`loop_pcs`)
            if loops[t].get(cur[base] as usize) != Some(&comp) || !self.sole_mover(cur, t) {
                *clear = k as u8;
                return None;
            }
        }
        if cur[..] != s[..] {
            return None;
        }
        let mut texts: Vec<String> = Vec::new();
        for &at in pcs.iter() {
            let text = self.text(t as u32, at);
            if !text.is_empty() && !texts.contains(&text) {
                texts.push(text);
            }
        }
        let waits = (0..self.layout.nthreads).any(|u| matches!(self.status(s, u), Status::Blocked(_)));
        let mut msg = format!(
            "CPU{t} polls in a loop (`{}`) that nothing will end: no other CPU can change what it reads",
            texts.join("`, `")
        );
        if waits {
            msg.push_str("; ");
            msg.push_str(&crate::stuck::stuck_message(self, s).1);
            Some((ViolationKind::Deadlock, msg))
        } else {
            Some((ViolationKind::Hang, msg))
        }
    }

    /// Several CPUs can move in `s`, all polling: each one's loop, run
    /// alone, comes back to `s` while changing nothing but its own pc and
    /// registers on the way. Then no interleaving of them changes what any
    /// of them reads, and none ever leaves its loop: the finding, as for a
    /// lone poller. (Stricter than the lone case, which may change memory
    /// inside an iteration: here another poller could see it.)
    pub(crate) fn pollers_forever(
        &self,
        s: &[i64],
        movers: &[u32],
        loops: &[Vec<bool>],
        sc: &mut PollScratch,
    ) -> Option<(ViolationKind, String)> {
        // called on every state where all movers sit on loop pcs
        // (`movers`: the state's moves, every one a step of a thread, so
        // no handler can fire): the checks that usually fail come first,
        // and the solo runs work in the caller's scratch buffers (nothing
        // is allocated per call; the loop texts are looked up only for
        // the message)
        let PollScratch { cur, seen, .. } = sc;
        if movers.len() < 2 {
            return None;
        }
        for &t in movers {
            let t = t as usize;
            let pc = self.pc(s, t);
            if self.pcx(s, t) != self.layout.thread_base[t] || !loops[t].get(pc as usize).copied().unwrap_or(false) {
                return None;
            }
        }
        seen.clear();
        let mut sink = NoTrace::default();
        for &t in movers {
            let t = t as usize;
            let regs = self.layout.reg_base[t]..self.layout.reg_base[t] + self.layout.nslots(t);
            let own = |i: usize| i == self.layout.thread_base[t] || regs.contains(&i);
            cur.clear();
            cur.extend_from_slice(s);
            let mut back = false;
            for _ in 0..MAX_POLL_STEPS {
                seen.push((t as u32, self.pc(cur, t)));
                if self.reads_jiffies(cur, t) {
                    return None;
                }
                if self.apply(cur, t as u32, &mut sink).is_err() || !sink.warnings.is_empty() {
                    return None;
                }
                if cur[..] == s[..] {
                    back = true;
                    break;
                }
                if cur.iter().zip(s).enumerate().any(|(i, (a, b))| a != b && !own(i)) {
                    return None;
                }
                if self.status(cur, t) != Status::Enabled {
                    return None;
                }
            }
            if !back {
                return None;
            }
        }
        let movers: Vec<usize> = movers.iter().map(|&t| t as usize).collect();
        Some(self.pollers_message(s, &movers, seen))
    }

    /// The finding of `pollers_forever`: the pollers `movers`, the texts
    /// of the pcs their loops went through (`seen`), and a deadlock when
    /// some CPU waits, else a hang.
    fn pollers_message(&self, s: &[i64], movers: &[usize], seen: &[(u32, u32)]) -> (ViolationKind, String) {
        let n = self.layout.nthreads;
        let mut texts: Vec<String> = Vec::new();
        for &(t, pc) in seen {
            let text = self.text(t, pc);
            if !text.is_empty() && !texts.contains(&text) {
                texts.push(text);
            }
        }
        let who: Vec<String> = movers.iter().map(|&t| self.who(t)).collect();
        let mut msg = format!(
            "{} poll in loops (`{}`) that nothing will end: none of them changes what the others read",
            who.join(" and "),
            texts.join("`, `")
        );
        // as for a lone poller (and the search's all-moves-return check):
        // a deadlock when some CPU waits in a blocking primitive, else a hang
        let waits = (0..n).any(|u| matches!(self.status(s, u), Status::Blocked(_)));
        if waits {
            msg.push_str("; ");
            msg.push_str(&crate::stuck::stuck_message(self, s).1);
            (ViolationKind::Deadlock, msg)
        } else {
            (ViolationKind::Hang, msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: pc is on a cycle iff it is reachable from one of
    /// its successors.
    fn on_cycle_naive(steps: &[Step], cut: &impl Fn(&Instr) -> bool) -> Vec<bool> {
        let n = steps.len();
        (0..n)
            .map(|pc| {
                let mut seen = vec![false; n];
                let mut stack: Vec<usize> = cfg_succ(steps, pc, cut).into_iter().filter(|&x| x < n).collect();
                while let Some(x) = stack.pop() {
                    if x == pc {
                        return true;
                    }
                    if !std::mem::replace(&mut seen[x], true) {
                        stack.extend(cfg_succ(steps, x, cut).into_iter().filter(|&y| y < n));
                    }
                }
                false
            })
            .collect()
    }

    /// The pcs reachable from `pc` in at least zero steps.
    fn reach_naive(steps: &[Step], pc: usize) -> Vec<bool> {
        let n = steps.len();
        let mut seen = vec![false; n];
        let mut stack = vec![pc];
        while let Some(x) = stack.pop() {
            if x < n && !std::mem::replace(&mut seen[x], true) {
                stack.extend(cfg_succ(steps, x, &|_: &Instr| false).into_iter().filter(|&y| y < n));
            }
        }
        seen
    }

    /// Tarjan's components give the same cycle pcs as the definition, on
    /// every example's threads and handlers, with and without lock cuts.
    #[test]
    fn cycle_pcs_match_the_definition() {
        let all = crate::example_files(&["kvet", "litmus"]);
        assert!(all.len() > 20);
        let lock = |i: &Instr| matches!(i, Instr::Lock { .. } | Instr::Unlock { .. });
        for f in &all {
            let Ok(p) = kvet_ir::compile(&std::fs::read_to_string(f).unwrap()) else { continue };
            for th in &p.threads {
                let steps = &th.body.steps;
                assert_eq!(on_cycle(steps, &|_: &Instr| false), on_cycle_naive(steps, &|_: &Instr| false), "{f:?}");
                assert_eq!(on_cycle(steps, &lock), on_cycle_naive(steps, &lock), "{f:?}");
                // two pcs on cycles share a component exactly when each
                // reaches the other
                let comp = cycle_components(steps, &|_: &Instr| false);
                let on: Vec<usize> = (0..steps.len()).filter(|&pc| comp[pc] != NO_LOOP).take(40).collect();
                for &a in &on {
                    let ra = reach_naive(steps, a);
                    for &b in &on {
                        let mutual = ra[b] && reach_naive(steps, b)[a];
                        assert_eq!(comp[a] == comp[b], mutual, "{f:?}: pcs {a} and {b}");
                    }
                }
            }
        }
    }
}
