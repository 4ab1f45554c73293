//! Counterexample traces: re-executing a schedule (a list of thread
//! choices) with a recording tracer, and the replay tokens that carry a
//! schedule between runs.

use crate::machine::{Detail, Machine, Status, Tracer};
use crate::Violation;
use kvet_ir::Program;

/// One row of a trace: an instruction some thread executed (or waits on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRow {
    pub thread: u32,
    pub pc: u32,
    pub detail: Detail,
    /// The thread is blocked here (deadlock rows).
    pub waits: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    pub rows: Vec<TraceRow>,
    /// The violation the schedule ends in, if any.
    pub violation: Option<Violation>,
}

struct Rec(Vec<TraceRow>, Option<Violation>);

impl Tracer for Rec {
    const ON: bool = true;
    fn exec(&mut self, thread: usize, pc: u32, detail: Detail) {
        self.0.push(TraceRow { thread: thread as u32, pc, detail, waits: false });
    }
    fn warn(&mut self, v: Violation) {
        self.1 = Some(v);
    }
}

/// Errors of replay: the schedule does not fit the program.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("replay token is malformed")]
    Malformed,
    #[error("replay token was made for another program (fingerprint {0}, this one is {1})")]
    OtherProgram(String, String),
    #[error("step {0} of the schedule moves CPU{1}, which cannot move there")]
    Disabled(usize, u32),
}

/// Re-run `path` from the initial state, recording every instruction.
pub fn replay(prog: &Program, path: &[u32]) -> Result<Trace, ReplayError> {
    let m = Machine::new(prog);
    let mut rec = Rec(Vec::new(), None);
    let mut s = match m.initial(&mut rec) {
        Ok(s) => s,
        Err(v) => return Ok(Trace { rows: rec.0, violation: Some(v) }),
    };
    for (i, &t) in path.iter().enumerate() {
        rec.1 = None;
        if !m.can_apply(&s, t) {
            return Err(ReplayError::Disabled(i, t % m.layout.nthreads.max(1) as u32));
        }
        if let Err(mut v) = m.apply(&mut s, t, &mut rec) {
            rec.0.push(TraceRow { thread: v.thread, pc: v.pc, detail: Detail::Fault, waits: false });
            v.path = path.to_vec();
            return Ok(Trace { rows: rec.0, violation: Some(v) });
        }
    }
    // A non-fatal finding (WARN_ON, unlock misuse) in the last step ends
    // the schedule that was recorded for it.
    let with_path = |mut v: Violation| {
        v.path = path.to_vec();
        v
    };
    if let Some(v) = rec.1.take() {
        return Ok(Trace { rows: rec.0, violation: Some(with_path(v)) });
    }
    // A final state with a lock still held, or a deadlock: show what
    // every blocked thread waits on.
    let n = m.layout.nthreads;
    let any_move = (0..n).any(|t| m.status(&s, t) == Status::Enabled || (0..m.prog.threads[t].handlers.len()).any(|h| m.can_fire(&s, t, h)));
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
                rec.0.push(TraceRow { thread: t as u32, pc: m.pc(&s, t), detail: Detail::None, waits: true });
            }
        }
        violation = Some(Violation { kind: crate::ViolationKind::Livelock, thread: 0, pc: 0, message, path: path.to_vec() });
    } else if !any_move {
        for t in 0..n {
            if let Status::Blocked(_) = m.status(&s, t) {
                rec.0.push(TraceRow { thread: t as u32, pc: m.pc(&s, t), detail: Detail::None, waits: true });
            }
        }
        let (kind, message) = crate::search::stuck_message(&m, &s);
        violation = Some(Violation { kind, thread: 0, pc: 0, message, path: path.to_vec() });
    }
    Ok(Trace { rows: rec.0, violation })
}

/// A short fingerprint of a program, so tokens are not replayed on
/// another one.
pub fn program_id(prog: &Program) -> String {
    let text = format!("{:?}", prog.threads);
    format!("{:08x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()) as u32)
}

/// `kv1.<program id>.<schedule>`: the schedule is its moves in base 36,
/// separated by `-`, with runs written `<move>*<count>`.
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
    format!("kv1.{}.{}", program_id(prog), parts.join("-"))
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

pub fn decode_token(prog: &Program, tok: &str) -> Result<Vec<u32>, ReplayError> {
    let rest = tok.trim().strip_prefix("kv1.").ok_or(ReplayError::Malformed)?;
    let (id, sched) = rest.split_once('.').ok_or(ReplayError::Malformed)?;
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
