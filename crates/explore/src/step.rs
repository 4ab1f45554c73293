//! The successor function as an API, for searches that live outside this
//! crate (the parallel and distributed search of `kvet-dist`, swarm
//! search): the initial state, the expansion of one state into its
//! findings, its outcome and its successors, in exactly the order in which
//! the sequential breadth-first search (search.rs) meets them, and the
//! move order that search uses to break ties between discoverers.
//!
//! One expansion is the sequential search's `classify` followed by either
//! the ample successor (por.rs) or every move, then the polling-loop
//! check (poll.rs). The per-kind deduplication of findings ("the first of
//! each kind") is left to the caller: here every finding is emitted, in
//! order, and the caller keeps the first one of each kind in its global
//! order. The code mirrors search.rs's `CpuContext::classify`, `CpuContext::ample`,
//! `CpuContext::successor` and `CpuContext::livelock`; the distributed tests compare the
//! two searches' results on every example and seed, so a change to one
//! that the other does not follow fails them.

use crate::machine::{Machine, NoTrace, Status};
use crate::por::Por;
use crate::{Violation, ViolationKind};
use kvet_ir::{Program, Val};

/// What an expansion meets, in the sequential search's order.
#[derive(Debug)]
pub enum Event<'a> {
    /// A finding; `extra` is the move that leads from the expanded state
    /// to it (None: the state itself has it).
    Finding(Violation, Option<u32>),
    /// The expanded state is final and passes the filter: the values of
    /// the displayed locations.
    Outcome(&'a [Val]),
    /// A successor by move `mv`.
    Successor(u32, &'a [i64]),
}

/// The reduced expansion of a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ample {
    /// No thread's next step may be explored alone.
    None,
    /// One may, but its step fails or warns: the full expansion reports
    /// it (the attempt counts as one transition).
    Refused,
    /// Move `mv` may be explored alone; its successor is in the scratch
    /// (`Scratch::succ`). It is taken unless the successor was stored at
    /// the expanded state's level or before (the cycle proviso).
    Candidate(u32),
}

/// Working memory of expansions, one per searching thread.
#[derive(Default)]
pub struct Scratch {
    moves: Vec<u32>,
    stat: Vec<Status>,
    obs: Vec<Val>,
    sink: NoTrace,
    /// The successor of the last ample candidate.
    pub succ: Vec<i64>,
}

impl Scratch {
    /// The moves of the last classified state, in expansion order.
    pub fn moves(&self) -> &[u32] {
        &self.moves
    }
}

/// The successor function of one program.
pub struct Stepper<'p> {
    m: Machine<'p>,
    /// The reduction's tables (their scratch and cached futures are
    /// mutable; a Stepper belongs to one worker).
    por: Option<std::cell::RefCell<Por>>,
    loops: Vec<Vec<bool>>,
    /// The most handlers any thread has (for the move order key).
    hmax: usize,
}

impl<'p> Stepper<'p> {
    /// `reduce`: partial-order reduction, as `Options::reduce`.
    pub fn new(prog: &'p Program, reduce: bool) -> Stepper<'p> {
        let hmax = prog.threads.iter().map(|t| t.handlers.len()).max().unwrap_or(0);
        Stepper {
            m: Machine::new(prog),
            por: reduce.then(|| std::cell::RefCell::new(Por::new(prog))),
            loops: crate::poll::loop_pcs(prog),
            hmax,
        }
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
    /// moves in `sc`. Returns whether it has any (search.rs `classify`).
    pub fn classify(&self, s: &[i64], sc: &mut Scratch, emit: &mut dyn FnMut(Event)) -> bool {
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
            if let Some(v) = m.exit_problem(s) {
                emit(Event::Finding(v, None));
            }
            m.observe(s, &mut sc.obs);
            let keep = m.prog.filter.as_ref().is_none_or(|f| f.eval(&sc.obs));
            if keep {
                if let Some(v) = m.condition_problem(&sc.obs) {
                    emit(Event::Finding(v, None));
                }
                sc.obs.truncate(m.prog.ndisplay);
                emit(Event::Outcome(&sc.obs));
            }
        }
        // a CPU that can only poll, alone, for ever; several that can only
        // poll, for ever (poll.rs)
        let polls = if sc.moves.len() == 1 && (sc.moves[0] as usize) < n {
            m.polls_forever(s, sc.moves[0] as usize, &self.loops)
        } else if sc.moves.len() > 1
            && sc.moves.iter().all(|&u| (u as usize) < n && self.loops[u as usize][m.pc(s, u as usize) as usize])
        {
            m.pollers_forever(s, &self.loops)
        } else {
            None
        };
        if let Some((kind, msg)) = polls {
            let v = Violation {
                kind,
                thread: sc.moves[0],
                pc: m.pc(s, sc.moves[0] as usize),
                message: msg,
                path: Vec::new(),
            };
            emit(Event::Finding(v, None));
        }
        if sc.moves.is_empty() {
            if !all_done || m.rcu_pending(s) || m.timers_pending(s) {
                let (kind, msg) = crate::search::stuck_message(m, s);
                emit(Event::Finding(Violation { kind, thread: 0, pc: 0, message: msg, path: Vec::new() }, None));
            }
            return false;
        }
        if m.has_plain {
            for t in 0..n {
                for u in t + 1..n {
                    if sc.stat[t] == Status::Enabled && sc.stat[u] == Status::Enabled && !m.same_cpu(t, u) {
                        if let Some(v) = m.race(s, t, u) {
                            emit(Event::Finding(v, None));
                        }
                    }
                }
            }
        }
        true
    }

    /// The reduced expansion of the state last classified in `sc`
    /// (search.rs `ample` and `try_ample`).
    pub fn ample(&self, s: &[i64], sc: &mut Scratch) -> Ample {
        let Some(por) = self.por.as_ref() else { return Ample::None };
        let mut por = por.borrow_mut();
        let m = &self.m;
        let n = m.layout.nthreads;
        // One ample move only: a CPU whose handlers cannot start now, so
        // that its one step is all its moves (por.rs's ample sets are
        // every move of one CPU; the multi-move case is left to the full
        // expansion here, which is sound and the same for every worker
        // count, but may store more states than the sequential search).
        let found = (0..n).find(|&t| {
            sc.stat[t] == Status::Enabled
                && m.layout.curr[t] == crate::state::NONE
                && !sc.moves.iter().any(|&mv| mv as usize % n == t && mv as usize >= n)
                && por.ample_ok(m, s, t)
        });
        let Some(t) = found else { return Ample::None };
        sc.succ.clear();
        sc.succ.extend_from_slice(s);
        let r = m.apply(&mut sc.succ, t as u32, &mut sc.sink);
        if r.is_err() || !sc.sink.warnings.is_empty() {
            sc.sink.warnings.clear();
            return Ample::Refused;
        }
        Ample::Candidate(t as u32)
    }

    /// Every move of the state last classified in `sc`, in order: each
    /// one's findings, then its successor (unless the step failed), then
    /// the polling-loop finding if no move changed the state (search.rs
    /// `successor` and `livelock`). Returns the transitions taken.
    pub fn expand(&self, s: &[i64], sc: &mut Scratch, emit: &mut dyn FnMut(Event)) -> u64 {
        let m = &self.m;
        let mut next = vec![0i64; s.len()];
        let mut progress = false;
        for i in 0..sc.moves.len() {
            let mv = sc.moves[i];
            next.copy_from_slice(s);
            let r = m.apply(&mut next, mv, &mut sc.sink);
            progress |= r.is_err() || next[..] != s[..];
            for w in sc.sink.warnings.drain(..) {
                emit(Event::Finding(w, Some(mv)));
            }
            match r {
                Err(v) => emit(Event::Finding(v, Some(mv))),
                Ok(()) => emit(Event::Successor(mv, &next)),
            }
        }
        if !progress {
            let waits = (0..m.layout.nthreads).any(|t| matches!(m.status(s, t), Status::Blocked(_)));
            let kind = if waits { ViolationKind::Deadlock } else { ViolationKind::Hang };
            if let Some(msg) = m.livelock(s) {
                emit(Event::Finding(Violation { kind, thread: 0, pc: 0, message: msg, path: Vec::new() }, None));
            }
        }
        sc.moves.len() as u64
    }
}
