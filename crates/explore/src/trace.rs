//! Counterexample traces: re-executing a schedule (a list of thread
//! choices) with a recording tracer, and the replay tokens that carry a
//! schedule between runs.

use crate::machine::{Detail, Machine, Status, Tracer};
use crate::{Violation, ViolationKind};
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
        if t as usize >= m.layout.nthreads || m.status(&s, t as usize) != Status::Enabled {
            return Err(ReplayError::Disabled(i, t));
        }
        if let Err(mut v) = m.step(&mut s, t as usize, &mut rec) {
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
    let any_enabled = (0..n).any(|t| m.status(&s, t) == Status::Enabled);
    let all_done = (0..n).all(|t| m.status(&s, t) == Status::Done);
    let mut violation = None;
    if all_done {
        violation = m.exit_problem(&s).map(with_path);
    } else if !any_enabled {
        for t in 0..n {
            if let Status::Blocked(_) = m.status(&s, t) {
                rec.0.push(TraceRow { thread: t as u32, pc: m.pc(&s, t), detail: Detail::None, waits: true });
            }
        }
        violation = Some(Violation {
            kind: ViolationKind::Deadlock,
            thread: 0,
            pc: 0,
            message: crate::search::deadlock_message(&m, &s),
            path: path.to_vec(),
        });
    }
    Ok(Trace { rows: rec.0, violation })
}

/// A short fingerprint of a program, so tokens are not replayed on
/// another one.
pub fn program_id(prog: &Program) -> String {
    let text = format!("{:?}", prog.threads);
    format!("{:08x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()) as u32)
}

/// `kv1.<program id>.<schedule>`: the schedule is one base-36 digit per
/// step, with runs written `<digit>*<count>.`
pub fn encode_token(prog: &Program, path: &[u32]) -> String {
    let mut s = format!("kv1.{}.", program_id(prog));
    let mut i = 0;
    while i < path.len() {
        let d = std::char::from_digit(path[i].min(35), 36).unwrap_or('z');
        let mut j = i;
        while j < path.len() && path[j] == path[i] {
            j += 1;
        }
        if j - i > 3 {
            s.push(d);
            s.push('*');
            s.push_str(&(j - i).to_string());
            s.push('.');
        } else {
            for _ in i..j {
                s.push(d);
            }
        }
        i = j;
    }
    s
}

pub fn decode_token(prog: &Program, tok: &str) -> Result<Vec<u32>, ReplayError> {
    let rest = tok.trim().strip_prefix("kv1.").ok_or(ReplayError::Malformed)?;
    let (id, sched) = rest.split_once('.').ok_or(ReplayError::Malformed)?;
    let mine = program_id(prog);
    if id != mine {
        return Err(ReplayError::OtherProgram(id.to_string(), mine));
    }
    let mut out = Vec::new();
    let b = sched.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let d = (b[i] as char).to_digit(36).ok_or(ReplayError::Malformed)?;
        if b.get(i + 1) == Some(&b'*') {
            let end = sched[i + 2..].find('.').ok_or(ReplayError::Malformed)? + i + 2;
            let n: usize = sched[i + 2..end].parse().map_err(|_| ReplayError::Malformed)?;
            if n > 1 << 24 {
                return Err(ReplayError::Malformed);
            }
            out.extend(std::iter::repeat_n(d, n));
            i = end + 1;
        } else {
            out.push(d);
            i += 1;
        }
    }
    Ok(out)
}
