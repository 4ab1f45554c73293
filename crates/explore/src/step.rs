//! The successor expansion, written once for every search: the
//! sequential search of search.rs (breadth- and depth-first) and the
//! searches that live outside this crate (the parallel and distributed
//! search of `kvet-dist`, swarm search). It holds the initial state, the
//! classification of a state (its outcome, its findings, its moves), the
//! reduced expansion (por.rs: every move of one CPU, each successor
//! offered to the caller, which applies its cycle proviso), the full
//! expansion (every move, its findings and successor), the polling-loop
//! check (poll.rs), and the move order that the breadth-first searches
//! use to break ties between discoverers.
//!
//! What a search does with what an expansion meets is its own: a
//! [`Visit`] receives the findings, the outcome and the successors, in
//! the sequential search's order. The per-kind deduplication of findings
//! ("the first of each kind") is the visitor's: it may say which kinds it
//! already has (`Visit::known`), and the expansion then skips the checks
//! that could only find those (the condition, the polling loops, the
//! livelock). Fingerprints are the search's (`Stepper::fingerprint`:
//! under symmetry, the orbit's).

use crate::machine::{Machine, NoTrace, Status};
use crate::por::Por;
use crate::{Violation, ViolationKind};
use kvet_ir::{Program, Val};

/// Where an expansion's findings, outcome and successors go, in the
/// sequential search's order.
pub trait Visit {
    /// A finding; `extra` is the move that leads from the expanded state
    /// to it (None: the state itself has it).
    fn finding(&mut self, v: Violation, extra: Option<u32>);
    /// The expanded state is final and passes the filter: the values of
    /// the displayed locations.
    fn outcome(&mut self, obs: &[Val]);
    /// A successor by move `mv`.
    fn successor(&mut self, mv: u32, s: &[i64]);
    /// Whether a finding of `kind` would be dropped (the visitor keeps
    /// the first of each kind and has one): the expansion may skip the
    /// checks that can only find that kind.
    fn known(&self, _kind: ViolationKind) -> bool {
        false
    }
    /// Whether the search stops now (at its first bug): checked after a
    /// step that fails, and the full expansion then stops there.
    fn stop(&self) -> bool {
        false
    }
}

/// A visitor that keeps nothing (to collect a state's moves again).
pub struct Ignore;

impl Visit for Ignore {
    fn finding(&mut self, _v: Violation, _extra: Option<u32>) {}
    fn outcome(&mut self, _obs: &[Val]) {}
    fn successor(&mut self, _mv: u32, _s: &[i64]) {}
}

/// What the reduced expansion did with the ample set it tried
/// (`Stepper::try_ample`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tried {
    /// No CPU's moves may be explored alone.
    None,
    /// The set is refused at its move number `at`: that move's step
    /// fails or warns (`failed`; the full expansion reports it), or the
    /// caller refused its successor (the cycle proviso). `1 + at`
    /// successors were computed.
    Refused {
        /// The move at which the set was refused.
        at: usize,
        /// Whether that move's step failed or warned.
        failed: bool,
    },
    /// Every successor was computed and accepted.
    Taken,
}

/// What a full expansion did (`Stepper::expand_all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expanded {
    /// Steps applied (one per move tried).
    pub transitions: u64,
    /// The visitor stopped the expansion (`Visit::stop`) after a failed
    /// step: the moves after it were not tried, nor the livelock check.
    pub stopped: bool,
}

/// The reduced expansion of a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ample {
    /// No CPU's moves may be explored alone.
    None,
    /// Every move of one CPU may be explored alone (por.rs): its moves
    /// are `Scratch::ample_moves`, and the successors of the first
    /// `Scratch::ample_len` of them are computed, in order
    /// (`Scratch::ample_succ`). `failed`: the step of that move fails
    /// or warns (the full expansion reports it), so the set is refused.
    /// Otherwise it is taken unless one of the successors was stored at
    /// the expanded state's level or before (the cycle proviso).
    ///
    /// The sequential search counts one transition per successor it
    /// computes, and stops computing at the first failed or old one:
    /// `1 + k` transitions for a set refused at move `k`, all of them
    /// for a set taken.
    Set {
        /// The index of the first move whose step fails or warns, if any.
        failed: Option<usize>,
    },
}

/// Working memory of expansions, one per searching thread.
#[derive(Default)]
pub struct Scratch {
    moves: Vec<u32>,
    stat: Vec<Status>,
    obs: Vec<Val>,
    sink: NoTrace,
    /// The moves of the last ample set.
    amp_moves: Vec<u32>,
    /// The successors computed by the last reduced or full expansion,
    /// `width` words each, and their moves.
    succ: Vec<i64>,
    succ_moves: Vec<u32>,
    width: usize,
    /// The polling-loop check's buffers.
    poll: crate::poll::PollScratch,
    /// Per thread, the shared access of its next step (data races).
    acc: Vec<Option<(u32, bool, bool)>>,
    /// Set by the caller before `classify` (`set_poll_clear`), used up by
    /// it: the polling-loop check of the state is known to find nothing.
    poll_in: u8,
    /// After `classify` (`poll_clear_next`).
    poll_out: u8,
}

impl Scratch {
    /// Tell the next `classify` what `poll_clear_next` said when the
    /// state's parent was classified, if the state is that parent's
    /// successor by its one move (else 0): the polling-loop check of the
    /// state then runs only if it is 0.
    pub fn set_poll_clear(&mut self, k: u8) {
        self.poll_in = k;
    }

    /// After `classify`: for how many states of the chain from this one's
    /// successor by its one move (that successor, then its successor by
    /// its one move, ...) the polling-loop check is known to find nothing
    /// (poll.rs `polls_forever`); 0 if unknown or the state has several
    /// moves. A search that keeps it per stored state hands it, less one,
    /// down the chain (`set_poll_clear`).
    pub fn poll_clear_next(&self) -> u8 {
        self.poll_out
    }

    /// The moves of the last classified state, in expansion order.
    pub fn moves(&self) -> &[u32] {
        &self.moves
    }

    /// The moves of the last ample set, in expansion order.
    pub fn ample_moves(&self) -> &[u32] {
        &self.amp_moves
    }

    /// How many of the last ample set's successors were computed.
    pub fn ample_len(&self) -> usize {
        self.succ_len()
    }

    /// The successor by the last ample set's move number `k`.
    pub fn ample_succ(&self, k: usize) -> &[i64] {
        self.succ(k)
    }

    /// How many successors the last reduced or full expansion computed
    /// (a full expansion: one per move whose step did not fail, in
    /// `succ_moves` order).
    pub fn succ_len(&self) -> usize {
        self.succ.len() / self.width.max(1)
    }

    /// The last expansion's successor number `k`.
    pub fn succ(&self, k: usize) -> &[i64] {
        &self.succ[k * self.width..(k + 1) * self.width]
    }

    /// The moves of the last full expansion's successors.
    pub fn succ_moves(&self) -> &[u32] {
        &self.succ_moves
    }

    /// Bytes of the successor buffer.
    pub fn succ_bytes(&self) -> usize {
        self.succ.capacity() * 8
    }

    /// Bytes of its buffers.
    pub fn bytes(&self) -> usize {
        self.succ.capacity() * 8 + self.moves.capacity() * 4 + self.obs.capacity() * 8
    }
}

/// The successor function of one program.
pub struct Stepper<'p> {
    m: Machine<'p>,
    /// The reduction's tables (their scratch and cached futures are
    /// mutable; a Stepper belongs to one worker).
    por: Option<std::cell::RefCell<Por>>,
    /// Per thread, per pc: its loop (poll.rs `loop_pcs`).
    loops: Vec<Vec<u32>>,
    /// The pcs where several CPUs may poll together (poll.rs).
    quiet_loops: Vec<Vec<bool>>,
    /// The most handlers any thread has (for the move order key).
    hmax: usize,
    /// Symmetry over interchangeable CPUs (symmetry.rs), when asked for
    /// and the program has it (its scratch is mutable, as `por`'s).
    sym: Option<std::cell::RefCell<crate::symmetry::Symmetry>>,
}

impl<'p> Stepper<'p> {
    /// `reduce`: partial-order reduction, as `Options::reduce`.
    pub fn new(prog: &'p Program, reduce: bool) -> Stepper<'p> {
        let hmax = prog.threads.iter().map(|t| t.handlers.len()).max().unwrap_or(0);
        Stepper {
            m: Machine::new(prog),
            por: reduce.then(|| std::cell::RefCell::new(Por::new(prog))),
            loops: crate::poll::loop_pcs(prog),
            quiet_loops: crate::poll::lock_free_loop_pcs(prog),
            hmax,
            sym: None,
        }
    }

    /// The successor function of the search that `opts` asks for
    /// (partial-order reduction, symmetry). A caller that does not rerun
    /// a search whose symmetry broke (`symmetry_broken`: kvet-dist's
    /// searches) gets symmetry only where nothing can break it: classes
    /// without own objects, in a program without heap objects whose every
    /// lock instruction names a declared lock cell.
    pub fn with_options(prog: &'p Program, opts: &crate::Options) -> Stepper<'p> {
        Stepper::build(prog, opts, false)
    }

    /// `with_options` for a search that reruns without symmetry when it
    /// broke (search.rs): symmetry wherever it applies.
    pub(crate) fn with_options_rerun(prog: &'p Program, opts: &crate::Options) -> Stepper<'p> {
        Stepper::build(prog, opts, true)
    }

    fn build(prog: &'p Program, opts: &crate::Options, rerun: bool) -> Stepper<'p> {
        let mut st = Stepper::new(prog, opts.reduce);
        if opts.symmetry {
            if let Some((sym, ids)) = crate::symmetry::Symmetry::new(prog, &st.m.layout) {
                let owned = sym.owned_cells();
                if rerun || (ids.is_empty() && owned.is_empty() && static_locks(prog, sym.lock_cells())) {
                    // the guards of the blocks are never touched either
                    // (the fingerprint leaves them out)
                    let untouched: Vec<u32> = ids.iter().copied().chain(sym.guard_cells()).collect();
                    st.m.watch(&untouched, sym.lock_cells(), &owned);
                    st.sym = Some(std::cell::RefCell::new(sym));
                }
            }
        }
        st
    }

    /// Whether a step broke what the symmetry assumes: it touched a
    /// task's pid or tgid, took a lock whose word the symmetry does not
    /// rename, or computed with a pointer into a thread's own objects in
    /// a way renaming does not keep (`Machine::watch_bin`). The symmetric
    /// search's answer is then not to be trusted, and the search must run
    /// again without symmetry.
    pub fn symmetry_broken(&self) -> bool {
        self.m.watched.get()
    }

    /// Whether the visited set keeps one state per orbit of
    /// interchangeable CPUs (`Exploration::symmetric`).
    pub fn symmetric(&self) -> bool {
        self.sym.is_some()
    }

    /// The fingerprint the visited set keeps for `s`: its own, or under
    /// symmetry its orbit's canonical member's (search.rs `fp`).
    #[inline]
    pub fn fingerprint(&self, s: &[i64]) -> u128 {
        match &self.sym {
            Some(sym) => sym.borrow_mut().fingerprint(s),
            // (all words: gathering the ones that may differ costs more
            // than hashing the few constant ones)
            None => crate::visited::fingerprint(s),
        }
    }

    /// Whether the expansion tries ample sets (partial-order reduction).
    pub fn reduces(&self) -> bool {
        self.por.is_some()
    }

    /// Bytes of the reduction's fixed tables (none without reduction).
    pub(crate) fn por_bytes(&self) -> usize {
        self.por.as_ref().map_or(0, |p| p.borrow().bytes())
    }

    /// Bytes of the reduction's cached cuts, which grow with the search.
    pub(crate) fn por_cut_bytes(&self) -> usize {
        self.por.as_ref().map_or(0, |p| p.borrow().cut_bytes())
    }

    /// The program this stepper runs.
    pub fn program(&self) -> &'p Program {
        self.m.prog
    }

    /// The initial state (or the finding that stops the program before
    /// any step), and the warnings of the local code before every
    /// thread's first step.
    pub fn initial(&self) -> (Vec<Violation>, Result<Vec<i64>, Violation>) {
        let mut first = NoTrace::default();
        let init = self.m.initial(&mut first);
        (first.warnings, init)
    }

    /// Whether every move's order key fits in 16 bits.
    pub fn keys_fit(&self) -> bool {
        self.m.layout.nthreads * (1 + self.hmax) <= u16::MAX as usize
    }

    /// The position of move `mv` in the expansion order: threads first,
    /// then the handlers, by CPU and then by handler. The sequential
    /// breadth-first search stores the successors of a level in the
    /// lexicographic order of their discoverer's path of keys.
    pub fn order_key(&self, mv: u32) -> u16 {
        let n = self.m.layout.nthreads;
        let mv = mv as usize;
        if mv < n {
            return mv as u16;
        }
        let (t, h) = (mv % n, mv / n - 1);
        (n + t * self.hmax + h) as u16
    }

    /// The move whose order key is `k`.
    pub fn move_of_key(&self, k: u16) -> u32 {
        let n = self.m.layout.nthreads;
        let k = k as usize;
        if k < n {
            return k as u32;
        }
        let (t, h) = ((k - n) / self.hmax, (k - n) % self.hmax);
        (t + n * (1 + h)) as u32
    }

    /// Look at a state: its outcome if every task is done, a deadlock or
    /// hang if nothing can move, a polling loop, data races; collect its
    /// moves in `sc`. Returns whether it has any.
    pub fn classify<V: Visit + ?Sized>(&self, s: &[i64], sc: &mut Scratch, v: &mut V) -> bool {
        let m = &self.m;
        let n = m.layout.nthreads;
        sc.stat.clear();
        sc.stat.extend((0..n).map(|t| m.status(s, t)));
        sc.moves.clear();
        let mut all_done = true;
        for t in 0..n {
            match sc.stat[t] {
                Status::Enabled => {
                    all_done = false;
                    sc.moves.push(t as u32);
                }
                Status::Blocked(_) => all_done = false,
                Status::Done => {}
            }
        }
        for t in 0..n {
            for h in 0..m.prog.threads[t].handlers.len() {
                if m.can_fire(s, t, h) {
                    sc.moves.push((t + n * (1 + h)) as u32);
                }
            }
        }
        if all_done && !m.ipi_pending(s) && !m.rcu_pending(s) && !m.timers_pending(s) {
            self.final_state(s, sc, v);
        }
        self.polling(s, sc, v);
        if sc.moves.is_empty() {
            if !all_done || m.rcu_pending(s) || m.timers_pending(s) {
                let (kind, msg) = crate::stuck::stuck_message(m, s);
                v.finding(Violation { kind, thread: 0, pc: 0, message: msg, path: Vec::new() }, None);
            }
            return false;
        }
        if m.has_plain && !v.known(ViolationKind::DataRace) {
            self.races(s, sc, v);
        }
        true
    }

    /// Data races between the next steps of the enabled CPUs (each CPU's
    /// access found once, then compared pairwise; the message is made
    /// only for a pair that races).
    fn races<V: Visit + ?Sized>(&self, s: &[i64], sc: &mut Scratch, v: &mut V) {
        let m = &self.m;
        let n = m.layout.nthreads;
        sc.acc.clear();
        sc.acc.extend((0..n).map(|t| if sc.stat[t] == Status::Enabled { m.next_access(s, t) } else { None }));
        for t in 0..n {
            let Some((ct, wt, pt)) = sc.acc[t] else { continue };
            for u in t + 1..n {
                let Some((cu, wu, pu)) = sc.acc[u] else { continue };
                if ct == cu && (wt || wu) && (pt || pu) && !m.same_cpu(t, u) {
                    if let Some(r) = m.race(s, t, u) {
                        v.finding(r, None);
                    }
                }
            }
        }
    }

    /// A final state: what is left undone at exit, the condition, the
    /// outcome (if it passes the filter).
    fn final_state<V: Visit + ?Sized>(&self, s: &[i64], sc: &mut Scratch, v: &mut V) {
        let m = &self.m;
        if let Some(x) = m.exit_problem(s) {
            v.finding(x, None);
        }
        m.observe(s, &mut sc.obs);
        if m.prog.filter.as_ref().is_none_or(|f| f.eval(&sc.obs)) {
            if !v.known(ViolationKind::Condition) {
                if let Some(x) = m.condition_problem(&sc.obs) {
                    v.finding(x, None);
                }
            }
            sc.obs.truncate(m.prog.ndisplay);
            v.outcome(&sc.obs);
        }
    }

    /// A CPU that can only poll, alone, for ever; several that can only
    /// poll, for ever (poll.rs). Skipped when the visitor has both kinds
    /// such a loop can be.
    fn polling<V: Visit + ?Sized>(&self, s: &[i64], sc: &mut Scratch, v: &mut V) {
        let m = &self.m;
        let n = m.layout.nthreads;
        let known = std::mem::take(&mut sc.poll_in);
        sc.poll_out = 0;
        if v.known(ViolationKind::Deadlock) && v.known(ViolationKind::Hang) {
            return;
        }
        let polls = if sc.moves.len() == 1 && (sc.moves[0] as usize) < n {
            if known > 0 {
                // a predecessor's run showed that this state's ends
                // without a finding (poll.rs `polls_forever`)
                sc.poll_out = known - 1;
                None
            } else {
                let r = m.polls_forever(s, sc.moves[0] as usize, &self.loops, &mut sc.poll);
                sc.poll_out = sc.poll.clear;
                r
            }
        } else if sc.moves.len() > 1
            && sc.moves.iter().all(|&u| (u as usize) < n && self.quiet_loops[u as usize][m.pc(s, u as usize) as usize])
        {
            m.pollers_forever(s, &sc.moves, &self.quiet_loops, &mut sc.poll)
        } else {
            None
        };
        if let Some((kind, msg)) = polls {
            let x = Violation {
                kind,
                thread: sc.moves[0],
                pc: m.pc(s, sc.moves[0] as usize),
                message: msg,
                path: Vec::new(),
            };
            v.finding(x, None);
        }
    }

    /// The first CPU of the state last classified in `sc` whose moves may
    /// be explored alone (por.rs): it runs one task, its running context
    /// can step, and nothing another CPU's contexts or handlers may still
    /// do conflicts with its moves.
    fn ample_cpu(&self, s: &[i64], sc: &Scratch) -> Option<usize> {
        let mut por = self.por.as_ref()?.borrow_mut();
        let m = &self.m;
        (0..m.layout.nthreads)
            .find(|&t| sc.stat[t] == Status::Enabled && m.layout.curr[t] == crate::state::NONE && por.ample_ok(m, s, t))
    }

    /// The reduced expansion of the state last classified in `sc`: the
    /// moves of the first CPU whose moves may be explored alone, their
    /// successors computed in order into `sc` (`succ`), each offered to
    /// `accept` (the caller's cycle proviso), until a step that fails or
    /// warns or a successor `accept` refuses.
    pub fn try_ample(&self, s: &[i64], sc: &mut Scratch, mut accept: impl FnMut(usize, &[i64]) -> bool) -> Tried {
        let Some(t) = self.ample_cpu(s, sc) else { return Tried::None };
        let n = self.m.layout.nthreads;
        let len = s.len();
        sc.amp_moves.clear();
        sc.amp_moves.extend(sc.moves.iter().copied().filter(|&mv| mv as usize % n == t));
        sc.succ.clear();
        sc.width = len;
        for k in 0..sc.amp_moves.len() {
            sc.succ.extend_from_slice(s);
            let next = &mut sc.succ[k * len..];
            let r = self.m.apply(next, sc.amp_moves[k], &mut sc.sink);
            if r.is_err() || !sc.sink.warnings.is_empty() {
                sc.sink.warnings.clear();
                sc.succ.truncate(k * len);
                return Tried::Refused { at: k, failed: true };
            }
            if !accept(k, &sc.succ[k * len..]) {
                return Tried::Refused { at: k, failed: false };
            }
        }
        Tried::Taken
    }

    /// The reduced expansion without a proviso: every successor of the
    /// ample set computed, until the first step that fails or warns (the
    /// caller then applies its proviso to `Scratch::ample_succ`).
    pub fn ample(&self, s: &[i64], sc: &mut Scratch) -> Ample {
        match self.try_ample(s, sc, |_, _| true) {
            Tried::None => Ample::None,
            Tried::Refused { at, .. } => Ample::Set { failed: Some(at) },
            Tried::Taken => Ample::Set { failed: None },
        }
    }

    /// Every move of the state last classified in `sc`, in order (in
    /// reverse with `reverse`: a depth-first search pushes them so that
    /// the first is explored first): each one's findings, then its
    /// successor (unless the step failed), which stays in `sc` (`succ`,
    /// `succ_moves`); then the polling-loop finding if no move changed
    /// the state. The expansion stops after a failed step if the visitor
    /// says so (`Visit::stop`).
    pub fn expand_all<V: Visit + ?Sized>(&self, s: &[i64], sc: &mut Scratch, reverse: bool, v: &mut V) -> Expanded {
        let m = &self.m;
        let len = s.len();
        sc.succ.clear();
        sc.succ_moves.clear();
        sc.width = len;
        let mut progress = false;
        let mut transitions = 0;
        let nm = sc.moves.len();
        for i in 0..nm {
            let mv = sc.moves[if reverse { nm - 1 - i } else { i }];
            let k = sc.succ_moves.len();
            sc.succ.extend_from_slice(s);
            let next = &mut sc.succ[k * len..];
            transitions += 1;
            let r = m.apply(next, mv, &mut sc.sink);
            progress |= r.is_err() || next[..] != s[..];
            for w in sc.sink.warnings.drain(..) {
                v.finding(w, Some(mv));
            }
            match r {
                Err(x) => {
                    sc.succ.truncate(k * len);
                    v.finding(x, Some(mv));
                    if v.stop() {
                        return Expanded { transitions, stopped: true };
                    }
                }
                Ok(()) => {
                    sc.succ_moves.push(mv);
                    v.successor(mv, &sc.succ[k * len..]);
                }
            }
        }
        if !progress {
            self.livelock(s, v);
        }
        Expanded { transitions, stopped: false }
    }

    /// Every move of this state led back to it: the CPUs that can move
    /// only poll. With a CPU waiting (for a lock, ...) that is a deadlock,
    /// otherwise a hang (poll.rs).
    fn livelock<V: Visit + ?Sized>(&self, s: &[i64], v: &mut V) {
        let m = &self.m;
        let waits = (0..m.layout.nthreads).any(|t| matches!(m.status(s, t), Status::Blocked(_)));
        let kind = if waits { ViolationKind::Deadlock } else { ViolationKind::Hang };
        if v.known(kind) {
            return;
        }
        if let Some(msg) = m.livelock(s) {
            v.finding(Violation { kind, thread: 0, pc: 0, message: msg, path: Vec::new() }, None);
        }
    }

    /// `expand_all` in order, never stopped: returns the transitions.
    pub fn expand<V: Visit + ?Sized>(&self, s: &[i64], sc: &mut Scratch, v: &mut V) -> u64 {
        self.expand_all(s, sc, false, v).transitions
    }
}

/// No heap objects, and every lock instruction (bit spinlocks apart)
/// names one of `locks` directly: no lock word lies where the symmetry
/// does not rename it.
fn static_locks(p: &Program, locks: &[usize]) -> bool {
    use kvet_ir::{Instr, LockKind, Opd};
    let named =
        |a: &Opd| matches!(a, Opd::Imm(v) if kvet_ir::ptr_cell(*v).is_some_and(|c| locks.contains(&(c as usize))));
    p.pools.is_empty()
        && p.threads.iter().flat_map(|t| &t.body.steps).all(|s| match &s.instr {
            Instr::Lock { addr, kind } | Instr::Unlock { addr, kind } | Instr::Trylock { addr, kind, .. } => {
                matches!(kind, LockKind::Bit(_)) || named(addr)
            }
            _ => true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The polling-loop check's memo (`Scratch::poll_clear_next`) is
    /// exact: on every example's states (breadth-first, the first few
    /// thousand of each), when the check of a state says the checks of
    /// the next `k` states of its one-move chain find nothing, each of
    /// those states has one move of the same CPU and its own check
    /// (run in full) finds nothing.
    #[test]
    fn poll_memo_skips_only_checks_that_find_nothing() {
        let all = crate::example_files(&["kvet", "litmus"]);
        assert!(all.len() > 20);
        let mut skipped = 0;
        for f in &all {
            let Ok(p) = kvet_ir::compile(&std::fs::read_to_string(f).unwrap()) else { continue };
            let st = Stepper::new(&p, false);
            let Ok(init) = st.initial().1 else { continue };
            let mut sc = Scratch::default();
            let mut seen = std::collections::HashSet::new();
            let mut queue = std::collections::VecDeque::from([init]);
            while let Some(s) = queue.pop_front() {
                if seen.len() > 3000 || !seen.insert(s.clone()) {
                    continue;
                }
                if !st.classify(&s, &mut sc, &mut Ignore) {
                    continue;
                }
                let k = sc.poll_clear_next();
                let moves = sc.moves().to_vec();
                if k > 0 {
                    assert_eq!(moves.len(), 1, "{f:?}");
                    let t = moves[0] as usize;
                    let mut cur = s.clone();
                    for j in 1..=k {
                        let mut sink = NoTrace::default();
                        st.m.apply(&mut cur, t as u32, &mut sink).expect("a step of the run");
                        let mut csc = Scratch::default();
                        st.classify(&cur, &mut csc, &mut Ignore);
                        assert_eq!(csc.moves(), &[t as u32], "{f:?}: state {j} of the chain");
                        let mut ps = crate::poll::PollScratch::default();
                        assert!(st.m.polls_forever(&cur, t, &st.loops, &mut ps).is_none(), "{f:?}: state {j}");
                        skipped += 1;
                    }
                }
                for &mv in &moves {
                    let mut next = s.clone();
                    if st.m.apply(&mut next, mv, &mut NoTrace::default()).is_ok() {
                        queue.push_back(next);
                    }
                }
            }
        }
        assert!(skipped > 100, "the memo is used ({skipped} checks)");
    }
}
