//! Counterexample traces: re-executing a schedule (a list of thread
//! choices) with a recording tracer, and the replay tokens that carry a
//! schedule between runs.

use crate::machine::{Detail, Machine, Status, Tracer};
use crate::Violation;
use kvet_ir::Program;

/// One row of a trace: an instruction some thread executed (or waits on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRow {
    /// The thread (CPU or task) that executed it.
    pub thread: u32,
    /// The instruction's index in that thread's body.
    pub pc: u32,
    /// The value it read or wrote, or what else happened (a handler firing, a grace period).
    pub detail: Detail,
    /// The thread is blocked here (deadlock rows).
    pub waits: bool,
    /// The memory cell a load or store accessed.
    pub cell: Option<u32>,
    /// The snapshot (`TraceRecord::states`) after the move this row is part of.
    pub at: u32,
}

/// What the machine looks like after a move, for reports that show the
/// state at a selected step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Every memory cell's value.
    pub mem: Vec<i64>,
    /// Locks held exclusively: (lock cell, holding CPU).
    pub holders: Vec<(u32, u32)>,
    /// CPUs blocked on a lock: (CPU, lock cell).
    pub waiters: Vec<(u32, u32)>,
}

/// The recorded run of a schedule: every executed instruction, the finding it ends in and the state
/// after each move.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceRecord {
    /// The executed instructions in order.
    pub rows: Vec<TraceRow>,
    /// The violation the schedule ends in, if any.
    pub violation: Option<Violation>,
    /// The state after the initial step (index 0) and after each move of
    /// the schedule (index k + 1).
    pub states: Vec<Snapshot>,
}

struct Rec(Vec<TraceRow>, Option<Violation>, Option<u32>, u32);

impl Tracer for Rec {
    const ON: bool = true;
    fn exec(&mut self, thread: usize, pc: u32, detail: Detail) {
        let cell = self.2.take();
        self.0.push(TraceRow { thread: thread as u32, pc, detail, waits: false, cell, at: self.3 });
    }
    fn warn(&mut self, v: Violation) {
        self.1 = Some(v);
    }
    fn access(&mut self, cell: usize) {
        self.2 = Some(cell as u32);
    }
}

fn snapshot(m: &Machine, s: &[i64]) -> Snapshot {
    let mem = s[..m.layout.ncells].to_vec();
    let holders = m.lock_list.iter().filter_map(|&(c, _)| m.holder(s, c).map(|t| (c, t as u32))).collect();
    let waiters = (0..m.layout.nthreads)
        .filter_map(|t| match m.status(s, t) {
            Status::Blocked(crate::machine::Wait::Lock(c, _)) => Some((t as u32, c)),
            _ => None,
        })
        .collect();
    Snapshot { mem, holders, waiters }
}

/// Errors of replay: the schedule does not fit the program.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The token is not of the form `kv1.<program id>.<moves>`.
    #[error("replay token is malformed")]
    Malformed,
    /// The token's program fingerprint (`.0`) is not this program's (`.1`).
    #[error("replay token was made for another program (fingerprint {0}, this one is {1})")]
    OtherProgram(String, String),
    /// Step `.0` of the schedule is move `.1`, described by `.2`, which
    /// the program cannot make at that point.
    #[error("step {0} of the schedule is move {1} ({2}), which cannot happen there")]
    Disabled(usize, u32, String),
    /// The token needs preemption, which this program does not allow.
    #[error("replay token was made with preemption on (`Preempt=yes` or `--preempt`), this program has it off")]
    NeedsPreempt,
}

/// Re-run `path` from the initial state, recording every instruction.
pub fn replay(prog: &Program, path: &[u32]) -> Result<TraceRecord, ReplayError> {
    let m = Machine::new(prog);
    let mut rec = Rec(Vec::new(), None, None, 0);
    let mut s = match m.initial(&mut rec) {
        Ok(s) => s,
        Err(v) => return Ok(TraceRecord { rows: rec.0, violation: Some(v), states: Vec::new() }),
    };
    let mut states = vec![snapshot(&m, &s)];
    // lock cell -> the last CPU that held it with interrupts enabled, to
    // name it in lockdep's IN-HARDIRQ/HARDIRQ-ON report (the search's
    // state keeps no such record)
    let mut irq_on_taker: Vec<(usize, u32)> = Vec::new();
    for (i, &t) in path.iter().enumerate() {
        rec.1 = None;
        rec.3 = i as u32 + 1;
        if !m.can_apply(&s, t) {
            return Err(ReplayError::Disabled(i, t, describe_move(prog, t)));
        }
        let n = m.layout.nthreads.max(1) as u32;
        let pre = (t / n == 0).then(|| {
            let th = (t % n) as usize;
            let pc = m.pc(&s, th);
            (th, pc, s.clone())
        });
        let applied = m.apply(&mut s, t, &mut rec);
        if let (Some(v), Some((th, pc, pre))) = (rec.1.as_mut(), &pre) {
            const EARLIER: &str =
                "was also held with interrupts enabled earlier in the trace: an interrupt on the holder's CPU";
            if v.kind == crate::ViolationKind::Lockdep && v.message.contains(EARLIER) {
                if let kvet_ir::Instr::Lock { addr, .. } = *m.instr_at(*th, *pc) {
                    let who = m
                        .mem(pre, *th, *pc, addr)
                        .ok()
                        .and_then(|c| irq_on_taker.iter().find(|&&(x, _)| x == c))
                        .map(|&(_, u)| u);
                    if let Some(u) = who {
                        v.message = v.message.replace(
                            EARLIER,
                            &format!("was also held with interrupts enabled on CPU{u}: an interrupt on CPU{u}"),
                        );
                    }
                }
            }
        }
        // which CPU holds which lock with interrupts enabled after it
        for &(c, _) in &m.lock_list {
            if let Some(u) = m.holder(&s, c) {
                if m.ctx(&s, u) != crate::kernel::CpuContext::Hard && !m.irqs_off(&s, u) {
                    irq_on_taker.retain(|&(x, _)| x != c as usize);
                    irq_on_taker.push((c as usize, u as u32));
                }
            }
        }
        if let Err(mut v) = applied {
            rec.0.push(TraceRow {
                thread: v.thread,
                pc: v.pc,
                detail: Detail::Fault,
                waits: false,
                cell: None,
                at: i as u32 + 1,
            });
            states.push(snapshot(&m, &s));
            v.path = path.to_vec();
            return Ok(TraceRecord { rows: rec.0, violation: Some(v), states });
        }
        states.push(snapshot(&m, &s));
    }
    let at = states.len() as u32 - 1;
    // A non-fatal finding (WARN_ON, unlock misuse) in the last step ends
    // the schedule that was recorded for it.
    let with_path = |mut v: Violation| {
        v.path = path.to_vec();
        v
    };
    if let Some(v) = rec.1.take() {
        return Ok(TraceRecord { rows: rec.0, violation: Some(with_path(v)), states });
    }
    // A final state with a lock still held, or a deadlock: show what
    // every blocked thread waits on.
    let n = m.layout.nthreads;
    let any_move = (0..n).any(|t| {
        m.status(&s, t) == Status::Enabled || (0..m.prog.threads[t].handlers.len()).any(|h| m.can_fire(&s, t, h))
    });
    let all_done = (0..n).all(|t| m.status(&s, t) == Status::Done);
    let mut violation = None;
    if all_done {
        violation = m.exit_problem(&s).map(with_path).or_else(|| {
            let mut obs = Vec::new();
            m.observe(&s, &mut obs);
            m.condition_problem(&obs).map(with_path)
        });
    } else if let Some(message) = m.livelock(&s) {
        for t in 0..n {
            if m.status(&s, t) == Status::Enabled {
                rec.0.push(TraceRow {
                    thread: t as u32,
                    pc: m.pc(&s, t),
                    detail: Detail::None,
                    waits: true,
                    cell: None,
                    at,
                });
            }
        }
        violation =
            Some(Violation { kind: crate::ViolationKind::Livelock, thread: 0, pc: 0, message, path: path.to_vec() });
    } else if !any_move {
        for t in 0..n {
            if let Status::Blocked(_) = m.status(&s, t) {
                rec.0.push(TraceRow {
                    thread: t as u32,
                    pc: m.pc(&s, t),
                    detail: Detail::None,
                    waits: true,
                    cell: None,
                    at,
                });
            }
        }
        let (kind, message) = crate::search::stuck_message(&m, &s);
        violation = Some(Violation { kind, thread: 0, pc: 0, message, path: path.to_vec() });
    }
    Ok(TraceRecord { rows: rec.0, violation, states })
}

/// A move in words: `a step of CPU1`, `CPU0 starting timer_irq()`, or why
/// it names nothing in this program.
pub fn describe_move(prog: &Program, mv: u32) -> String {
    let n = prog.threads.len().max(1) as u32;
    let (t, k) = (mv % n, mv / n);
    let Some(th) = prog.threads.get(t as usize) else {
        return format!("CPU{t}, which this program does not have");
    };
    if k == 0 {
        return format!("a step of CPU{t}");
    }
    match th.handlers.get(k as usize - 1) {
        Some(h) => format!("CPU{t} starting {}()", h.name),
        None => {
            format!("CPU{t} starting handler {}, which CPU{t} does not have ({} handler(s))", k - 1, th.handlers.len())
        }
    }
}

/// A short fingerprint of a program, so tokens are not replayed on
/// another one.
pub fn program_id(prog: &Program) -> String {
    let text = format!("{:?}", prog.threads);
    format!("{:08x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()) as u32)
}

/// The program-id suffix of a token made with preemption on (the
/// scenario's `Preempt=yes` line or `kvet check --preempt`).
const PREEMPT_MARK: &str = "+preempt";

/// Was this token made with preemption on? The caller turns it on in the
/// program before it replays the token (a schedule with preemption moves
/// is no schedule of the program without them).
pub fn token_preempts(tok: &str) -> bool {
    tok.trim().strip_prefix("kv1.").and_then(|r| r.split_once('.')).is_some_and(|(id, _)| id.ends_with(PREEMPT_MARK))
}

/// `kv1.<program id>[+preempt].<schedule>`: the schedule is its moves in
/// base 36, separated by `-`, with runs written `<move>*<count>`.
pub fn encode_token(prog: &Program, path: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < path.len() {
        let mut j = i;
        while j < path.len() && path[j] == path[i] {
            j += 1;
        }
        let d = base36(path[i]);
        parts.push(if j - i > 2 { format!("{d}*{}", j - i) } else { vec![d; j - i].join("-") });
        i = j;
    }
    let mark = if prog.preempt { PREEMPT_MARK } else { "" };
    format!("kv1.{}{mark}.{}", program_id(prog), parts.join("-"))
}

fn base36(mut v: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(std::char::from_digit(v % 36, 36).unwrap_or('0'));
        v /= 36;
        if v == 0 {
            break;
        }
    }
    s.iter().rev().collect()
}

/// The schedule (thread choices) a replay token carries, after checking it was made for `prog`.
pub fn decode_token(prog: &Program, tok: &str) -> Result<Vec<u32>, ReplayError> {
    let rest = tok.trim().strip_prefix("kv1.").ok_or(ReplayError::Malformed)?;
    let (id, sched) = rest.split_once('.').ok_or(ReplayError::Malformed)?;
    let id = match id.strip_suffix(PREEMPT_MARK) {
        Some(_) if !prog.preempt => return Err(ReplayError::NeedsPreempt),
        Some(id) => id,
        None => id,
    };
    let mine = program_id(prog);
    if id != mine {
        return Err(ReplayError::OtherProgram(id.to_string(), mine));
    }
    let mut out = Vec::new();
    // The empty schedule is the initial state; otherwise every part
    // is a move (`-1` or `a--b` is no schedule kvet prints).
    let parts: Vec<&str> = if sched.is_empty() { Vec::new() } else { sched.split('-').collect() };
    if parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'*')) {
        return Err(ReplayError::Malformed);
    }
    for part in parts {
        let (mv, count) = match part.split_once('*') {
            Some((m, c)) => (m, c.parse::<usize>().map_err(|_| ReplayError::Malformed)?),
            None => (part, 1),
        };
        let mv = u32::from_str_radix(mv, 36).map_err(|_| ReplayError::Malformed)?;
        if count > 1 << 24 || out.len() + count > 1 << 26 {
            return Err(ReplayError::Malformed);
        }
        out.extend(std::iter::repeat_n(mv, count));
    }
    Ok(out)
}
