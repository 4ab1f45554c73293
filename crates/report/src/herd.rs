//! herd7's output block, line for line as herd/top_herd.ml prints it:
//! Test, States, Ok|No, Witnesses, Positive/Negative, Flag lines,
//! Condition, Observation, Time, Hash. (For `~exists` the witness counts
//! are swapped, as herd7 does; the Observation counts are not.)
//! Conditions print as herd's `ConstrGen` does: `not (...)`, `/\`, `\/`,
//! `=>`. The block's last line, `Hash=<md5>` (herd's lib/CTestHash.ml: a
//! digest of the info, the initial state with its types, the code as
//! herd's C dumper prints it and the observed locations), is computed
//! from the source by `kvet_syntax::herd_hash`, since the IR no longer
//! has the text, and printed by [`hash_line`] after [`herd_block`].

use kvet_axiom::gen::{self, LitmusResult};
use kvet_ir::{Cond, Observation, Observed, Program, Quant, Val};
use std::fmt::Write;

/// Executions that satisfy / do not satisfy the proposition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Executions satisfying the proposition.
    pub pos: u64,
    /// Executions not satisfying it.
    pub neg: u64,
}

impl Counts {
    /// herd7's Observation of these counts.
    pub fn observation(self) -> Observation {
        Observation::of(self.pos, self.neg)
    }
}

fn loc_name(p: &Program, o: &Observed) -> String {
    match o {
        Observed::Reg { .. } => p.observed_name(o),
        Observed::Cell { name, .. } => format!("[{name}]"),
    }
}

fn cond_text(p: &Program, c: &Cond, top: bool) -> String {
    // herd7 prints /\ and \/ chains flat, parenthesising mixed nesting.
    fn chain<'c>(c: &'c Cond, and: bool, out: &mut Vec<&'c Cond>) {
        match (c, and) {
            (Cond::And(a, b), true) | (Cond::Or(a, b), false) => {
                chain(a, and, out);
                chain(b, and, out);
            }
            _ => out.push(c),
        }
    }
    let s = match c {
        Cond::True => "true".to_string(),
        Cond::False => "false".to_string(),
        Cond::Not(a) => format!("not ({})", cond_text(p, a, true)),
        Cond::And(..) | Cond::Or(..) => {
            let and = matches!(c, Cond::And(..));
            let mut parts = Vec::new();
            chain(c, and, &mut parts);
            let sep = if and { " /\\ " } else { " \\/ " };
            parts.iter().map(|x| cond_text(p, x, false)).collect::<Vec<_>>().join(sep)
        }
        Cond::Implies(a, b) => format!("{} => {}", cond_text(p, a, false), cond_text(p, b, false)),
        Cond::Eq { idx, value, negated } => {
            let atom = format!("{}={}", loc_name(p, &p.observed[*idx]), show(p, *value));
            return if *negated { format!("not ({atom})") } else { atom };
        }
        Cond::EqLoc { a, b, negated } => {
            let atom = format!("{}={}", loc_name(p, &p.observed[*a]), loc_name(p, &p.observed[*b]));
            return if *negated { format!("not ({atom})") } else { atom };
        }
    };
    if top || matches!(c, Cond::Not(_) | Cond::True | Cond::False) {
        s
    } else {
        format!("({s})")
    }
}

/// How herd7 prints a value: integers, addresses by the location's name;
/// a value herd's solver leaves unsolved (the generator's
/// [`gen::SYM`] and [`gen::SYMX`]) prints as `?`.
fn show(p: &Program, v: Val) -> String {
    if v == gen::SYM || v == gen::SYMX {
        "?".to_string()
    } else {
        p.show_val(v, true)
    }
}

/// herd7's "Test ... / States / ... / Time" block.
pub fn herd_block(p: &Program, outcomes: &[Vec<Val>], counts: Counts, flags: &[String], seconds: f64) -> String {
    let mut o = String::new();
    let (q, cond) = match &p.quant {
        Some((q, c)) => (*q, c.clone()),
        None => (Quant::Exists, Cond::True),
    };
    let kind = match q {
        Quant::Exists => "Allowed",
        Quant::NotExists => "Forbidden",
        Quant::Forall => "Required",
    };
    let _ = writeln!(o, "Test {} {kind}", p.name);
    let _ = writeln!(o, "States {}", outcomes.len());
    for st in outcomes {
        let mut line = String::new();
        for (i, ob) in p.observed[..p.ndisplay].iter().enumerate() {
            let _ = write!(line, "{}={}; ", loc_name(p, ob), show(p, st[i]));
        }
        let _ = writeln!(o, "{}", line.trim_end());
    }
    let ok = match q {
        Quant::Exists => counts.pos > 0,
        Quant::NotExists => counts.pos == 0,
        Quant::Forall => counts.neg == 0,
    };
    let _ = writeln!(o, "{}", if ok { "Ok" } else { "No" });
    let (wp, wn) = match q {
        Quant::NotExists => (counts.neg, counts.pos),
        _ => (counts.pos, counts.neg),
    };
    let _ = writeln!(o, "Witnesses");
    let _ = writeln!(o, "Positive: {wp} Negative: {wn}");
    for f in flags {
        let _ = writeln!(o, "Flag {f}");
    }
    let _ = writeln!(o, "Condition {q} ({})", cond_text(p, &cond, true));
    let obs = counts.observation();
    let _ = writeln!(o, "Observation {} {obs} {} {}", p.name, counts.pos, counts.neg);
    let _ = writeln!(o, "Time {} {seconds:.2}", p.name);
    o
}

/// `block` with herd's Observation under `-speedcheck true|fast`
/// (top_herd.ml): the executions that cannot settle the condition were
/// discarded, so `exists`/`~exists` say Never or Sometimes (never
/// Always: the negative ones are unknown), `forall` Always or Sometimes.
pub fn speedcheck_observation(p: &Program, block: &str, pos: u64, neg: u64) -> String {
    let q = p.quant.as_ref().map_or(Quant::Exists, |(q, _)| *q);
    let obs = match q {
        Quant::Forall if neg == 0 => "Always",
        Quant::Forall => "Sometimes",
        _ if pos == 0 => "Never",
        _ => "Sometimes",
    };
    let old = format!("Observation {} {} {pos} {neg}\n", p.name, Counts { pos, neg }.observation());
    block.replacen(&old, &format!("Observation {} {obs} {pos} {neg}\n", p.name), 1)
}

/// herd7's block for a result of the axiomatic engine: with `Loop`
/// before `Ok`/`No` when a path ran past the unrolling bound (herd's
/// "too far" marker, top_herd.ml).
pub fn axiomatic_block(p: &Program, r: &LitmusResult, seconds: f64) -> String {
    let counts = Counts { pos: r.pos, neg: r.neg };
    let block = herd_block(p, &r.outcomes, counts, &r.flags, seconds);
    if r.toofar {
        block.replacen("\nOk\n", "\nLoop Ok\n", 1).replacen("\nNo\n", "\nLoop No\n", 1)
    } else {
        block
    }
}

/// kvet's lines after herd's block: one `Deadlock TEST ...` per lock
/// deadlock the model allows (herd's lock.cat drops those executions
/// silently), and one saying the deadlock search stopped at the time
/// limit.
pub fn deadlock_lines(p: &Program, r: &LitmusResult) -> Vec<String> {
    let mut lines: Vec<String> = r.deadlocks.iter().map(|d| format!("Deadlock {} {d}", p.name)).collect();
    if r.deadlocks_partial {
        lines.push(format!("Deadlock {} search stopped at the time limit: more deadlocks may exist", p.name));
    }
    lines
}

/// The line that ends herd7's block, after the Time line: `Hash=<hex>`,
/// with the hash of the test from `kvet_syntax::herd_hash`.
pub fn hash_line(hash: &str) -> String {
    format!("Hash={hash}\n")
}
