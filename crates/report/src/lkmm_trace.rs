//! Traces of the findings of `kvet check --model lkmm`: one allowed LKMM
//! execution as CPU columns, in an order consistent with it (program
//! order and reads-from: every read comes after the write it reads
//! from), with each read's value and, under the trace, the weak steps: a
//! read that returns an older value although another CPU's write to the
//! same location is already shown above it.
//!
//! Source of the semantics: `kvet_axiom::gen::check` (the execution and
//! the steps of its events).

use kvet_axiom::gen::check::Finding;
use kvet_axiom::{EventKind, Execution};
use kvet_ir::Program;
use kvet_syntax::{line_col, PRELUDE_BASE};
use std::fmt::Write;

use crate::RowText;

fn line_of(src: &str, prelude: &str, lo: u32) -> String {
    if lo >= PRELUDE_BASE {
        format!("prelude:{}", line_col(prelude, lo - PRELUDE_BASE).0)
    } else {
        line_col(src, lo).0.to_string()
    }
}

/// The order in which the trace shows the events of `ex`: a topological
/// order of po, rf, the order of the critical sections of each lock
/// ([`lock_order`]) and fr from initial values ([`display_graph`]), taking among the ready events the one of the lowest
/// CPU (po ∪ rf may be cyclic under the LKMM: then the lowest CPU's next
/// event goes first).
pub fn display_order(ex: &Execution) -> Vec<usize> {
    let n = ex.len();
    let evs = ex.events();
    let succ = display_graph(ex, true);
    let mut preds = vec![0usize; n];
    for s in succ.iter().flatten() {
        preds[*s] += 1;
    }
    let mut done = vec![false; n];
    let mut out = Vec::new();
    let todo: Vec<usize> = (0..n).filter(|&i| evs[i].thread.is_some()).collect();
    while out.len() < todo.len() {
        let pick = todo
            .iter()
            .copied()
            .filter(|&i| !done[i] && preds[i] == 0)
            .min_by_key(|&i| (evs[i].thread, i))
            .or_else(|| todo.iter().copied().filter(|&i| !done[i]).min_by_key(|&i| (evs[i].thread, i)));
        let Some(i) = pick else { break };
        done[i] = true;
        out.push(i);
        for &s in &succ[i] {
            preds[s] = preds[s].saturating_sub(1);
        }
    }
    out
}

/// The edges the trace's order follows, per event: program order,
/// reads-from between CPUs, the order of each lock's critical sections,
/// and (`with_fr`) from-reads out of initial values where they close no
/// cycle.
fn display_graph(ex: &Execution, with_fr: bool) -> Vec<Vec<usize>> {
    let evs = ex.events();
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); ex.len()];
    let mut last: Vec<Option<usize>> = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        let Some(t) = e.thread else { continue };
        let t = t as usize;
        if last.len() <= t {
            last.resize(t + 1, None);
        }
        if let Some(p) = last[t] {
            succ[p].push(i);
        }
        last[t] = Some(i);
    }
    for &(w, r) in ex.rf() {
        if evs[w].thread.is_some() && evs[w].thread != evs[r].thread {
            succ[w].push(r);
        }
    }
    for (u, l) in lock_order(ex, &succ) {
        succ[u].push(l);
    }
    // a read of a location's initial value comes before the other CPUs'
    // writes to it (it is first in coherence order: fr), wherever the
    // edges so far allow, so that a read is shown stale only when
    // the execution forces it
    let src = |r: usize| ex.rf().iter().find(|(_, x)| *x == r).map(|(w, _)| *w);
    for r in (0..evs.len()).filter(|_| with_fr) {
        if evs[r].kind != EventKind::Read || evs[r].thread.is_none() || src(r).is_some_and(|w| !evs[w].is_init()) {
            continue;
        }
        for w2 in 0..evs.len() {
            let other_write = evs[w2].kind == EventKind::Write && evs[w2].thread.is_some();
            if other_write && evs[w2].thread != evs[r].thread && evs[w2].loc == evs[r].loc && !reach(&succ, w2)[r] {
                succ[r].push(w2);
            }
        }
    }
    succ
}

/// The events `from` reaches in `succ`.
fn reach(succ: &[Vec<usize>], from: usize) -> Vec<bool> {
    let mut seen = vec![false; succ.len()];
    let mut stack = vec![from];
    while let Some(x) = stack.pop() {
        if !std::mem::replace(&mut seen[x], true) {
            stack.extend(succ[x].iter().copied());
        }
    }
    seen
}

/// One critical section: a thread's lock acquisition (its LKR, or LKW)
/// and its release (the next UL of that lock in the thread's program
/// order, if it has one), with the events in between.
struct Section {
    loc: Option<kvet_axiom::LocId>,
    thread: Option<u32>,
    start: usize,
    end: Option<usize>,
}

/// Edges that show the critical sections of each spinlock one after the
/// other: the UL of a section, then the lock of the next. The execution
/// holds no lock order (lock.cat derives an LKR's source from `co`), so
/// the sections are ordered as po ∪ rf (`succ`) forces: a section that
/// an event of another section reaches comes after it (under lock.cat
/// an UL releases and an LKR acquires, so a section that sees another's
/// effects follows it), ties by CPU. Sections that reach each other keep
/// no edge between them (the trace then shows them as po ∪ rf allow).
fn lock_order(ex: &Execution, succ: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let evs = ex.events();
    let mut secs: Vec<Section> = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        let opens = matches!(e.kind, EventKind::LockRead)
            || (e.kind == EventKind::LockWrite && (i == 0 || evs[i - 1].kind != EventKind::LockRead));
        if e.thread.is_none() || !opens {
            continue;
        }
        let end = (i + 1..evs.len())
            .find(|&j| evs[j].thread == e.thread && evs[j].loc == e.loc && evs[j].kind == EventKind::Unlock);
        secs.push(Section { loc: e.loc, thread: e.thread, start: i, end });
    }
    if secs.len() < 2 {
        return Vec::new();
    }
    let within = |s: &Section, j: usize| evs[j].thread == s.thread && j >= s.start && s.end.is_none_or(|e| j <= e);
    let reached: Vec<Vec<bool>> = secs.iter().map(|s| reach(succ, s.start)).collect();
    let before = |a: usize, b: usize| (0..evs.len()).any(|j| reached[a][j] && within(&secs[b], j));
    let mut edges = Vec::new();
    let mut locs: Vec<_> = secs.iter().map(|s| s.loc).collect();
    locs.sort();
    locs.dedup();
    for l in locs {
        let mut left: Vec<usize> = (0..secs.len()).filter(|&k| secs[k].loc == l).collect();
        let mut prev: Option<usize> = None;
        while !left.is_empty() {
            // the first section (by CPU) that no other left one must precede
            let free = |k: usize| left.iter().all(|&o| o == k || !before(o, k) || before(k, o));
            let pos = left.iter().position(|&k| free(k)).unwrap_or(0);
            let k = left.remove(pos);
            if let Some(u) = prev.and_then(|p| secs[p].end) {
                if !before(k, prev.unwrap_or(k)) {
                    edges.push((u, secs[k].start));
                }
            }
            prev = Some(k);
        }
    }
    edges
}

/// A store-buffering shape behind the stale read `r` (which missed the
/// write `w`): a read `r2` of `w`'s CPU, after `w` in its program order,
/// that is shown before a write `w3` of `r`'s CPU to its location, `w3`
/// before `r` in program order, and does not read from `w3`. Returns
/// (`r2`, `w3`).
fn store_buffering(ex: &Execution, g: &[Vec<usize>], r: usize, w: usize, pos: &[usize]) -> Option<(usize, usize)> {
    let evs = ex.events();
    let (t, u) = (evs[r].thread?, evs[w].thread?);
    let src = |x: usize| ex.rf().iter().find(|(_, y)| *y == x).map(|(w, _)| *w);
    (w + 1..evs.len()).filter(|&j| evs[j].thread == Some(u) && evs[j].kind == EventKind::Read).find_map(|r2| {
        let after_r2 = reach(g, r2);
        (0..r)
            .filter(|&k| evs[k].thread == Some(t) && evs[k].kind == EventKind::Write && evs[k].loc == evs[r2].loc)
            .find(|&w3| src(r2) != Some(w3) && pos[r2] < pos[w3] && !after_r2[w3])
            .map(|w3| (r2, w3))
    })
}

/// A message-passing shape behind the stale read `r` (which missed the
/// write `w`): an earlier read `r1` of `r`'s CPU that reads from a write
/// `w1` of `w`'s CPU made after `w` in its program order. Returns
/// (`r1`, `w1`).
fn message_passing(ex: &Execution, r: usize, w: usize) -> Option<(usize, usize)> {
    let evs = ex.events();
    let (t, u) = (evs[r].thread?, evs[w].thread?);
    ex.rf()
        .iter()
        .copied()
        .map(|(w1, r1)| (r1, w1))
        .filter(|&(r1, w1)| {
            r1 < r && evs[r1].thread == Some(t) && w1 > w && evs[w1].thread == Some(u) && evs[r1].loc != evs[r].loc
        })
        .max_by_key(|&(r1, _)| r1)
}

/// Rows of a finding's trace, and the notes on its weak steps.
pub fn lkmm_rows(p: &Program, f: &Finding, src: &str, prelude: &str) -> (Vec<RowText>, Vec<String>) {
    let ex = &f.exec;
    let evs = ex.events();
    // (thread, pc) of each event
    let mut at: Vec<Option<(u32, u32)>> = vec![None; ex.len()];
    let mut k: Vec<usize> = vec![0; p.threads.len()];
    for (i, e) in evs.iter().enumerate() {
        if let Some(t) = e.thread {
            let t = t as usize;
            if let Some(pc) = f.pcs.get(t).and_then(|v| v.get(k[t])) {
                at[i] = Some((t as u32, *pc));
            }
            k[t] += 1;
        }
    }
    let text_of = |t: u32, pc: u32| -> (String, String) {
        let st = &p.threads[t as usize].body.steps[pc as usize];
        let text = if st.text.is_empty() { crate::trace::snippet(src, prelude, st.span) } else { st.text.clone() };
        (text, line_of(src, prelude, st.span.lo))
    };
    let rf_of = |r: usize| ex.rf().iter().find(|(_, x)| *x == r).map(|(w, _)| *w);
    let order = display_order(ex);
    let graph = display_graph(ex, true);
    let causal = display_graph(ex, false);
    let pos: Vec<usize> = {
        let mut v = vec![usize::MAX; ex.len()];
        for (k, &i) in order.iter().enumerate() {
            v[i] = k;
        }
        v
    };
    let mut rows: Vec<RowText> = Vec::new();
    let mut notes = Vec::new();
    let mut last_key: Option<(u32, u32)> = None;
    for &i in &order {
        let Some((t, pc)) = at[i] else { continue };
        let e = &evs[i];
        let (text, line) = text_of(t, pc);
        let mut ann = String::new();
        if e.kind == EventKind::Read {
            let v = e.value.unwrap_or(0);
            if v == kvet_axiom::gen::POISON {
                ann = "  -> freed memory".into();
            } else {
                let _ = write!(ann, "  -> {}", p.show_val(v, false));
            }
            // a weak step: another CPU's write to the same location is
            // shown above, but this read returns an older value
            if let Some(w) = rf_of(i) {
                // (when the read reads its own CPU's write, the other
                // CPU's write must follow that one in the trace's graph:
                // whether a write merely shown later comes after it in
                // coherence order, the execution does not say)
                let own = evs[w].thread == e.thread;
                let after_w = own.then(|| reach(&graph, w));
                let stale = order[..pos[i]].iter().copied().find(|&w2| {
                    w2 != w
                        && evs[w2].kind == EventKind::Write
                        && evs[w2].loc == e.loc
                        && evs[w2].thread.is_some()
                        && evs[w2].thread != e.thread
                        && (evs[w].thread.is_none() || pos[w] < pos[w2])
                        && after_w.as_ref().is_none_or(|a| a[w2])
                });
                if let Some(w2) = stale {
                    ann.push_str("  (stale)");
                    if let Some((u, upc)) = at[w2] {
                        let (wt, wl) = text_of(u, upc);
                        let loc =
                            ex.locations().get(e.loc.map(|l| l as usize).unwrap_or(0)).cloned().unwrap_or_default();
                        let val = p.show_val(e.value.unwrap_or(0), false);
                        let (who_t, who_u) = (p.who(t as usize), p.who(u as usize));
                        let head = format!(
                            "[{line}] {who_t} reads {loc} = {val}: {who_u}'s {wt} [{wl}] is not yet visible to it"
                        );
                        // store buffering: the writer's own later load
                        // missed this CPU's earlier store
                        let sb =
                            store_buffering(ex, &causal, i, w2, &pos).and_then(|(r2, w3)| Some((at[r2]?, at[w3]?)));
                        let mp = message_passing(ex, i, w2).and_then(|(r1, w1)| Some((at[r1]?, at[w1]?)));
                        notes.push(match (sb, mp) {
                            (Some(((_, rpc), (_, wpc))), _) => {
                                let ((rt, rl), (w3t, w3l)) = (text_of(u, rpc), text_of(t, wpc));
                                format!(
                                    "{head}, and {who_u}'s {rt} [{rl}] did not see {who_t}'s {w3t} [{w3l}]: nothing orders {who_u}'s store [{wl}] before its later load [{rl}] (store buffering)"
                                )
                            }
                            (None, Some(((_, rpc), (_, wpc)))) => {
                                let ((rt, rl), (w1t, w1l)) = (text_of(t, rpc), text_of(u, wpc));
                                format!(
                                    "{head}, although its {rt} [{rl}] saw {who_u}'s later {w1t} [{w1l}] (message passing): the two stores and the two loads must each be ordered (a release and an acquire, or smp_wmb() and smp_rmb())"
                                )
                            }
                            (None, None) => format!("{head}; nothing orders that store before this load"),
                        });
                    }
                }
            }
        }
        // one row per step: a step's several events (a lock's two, a
        // fence and a read) print once
        if last_key == Some((t, pc)) && ann.is_empty() {
            continue;
        }
        if last_key == Some((t, pc)) {
            if let Some(r) = rows.last_mut() {
                r.text = format!("{text}{ann}");
                continue;
            }
        }
        last_key = Some((t, pc));
        // a primitive lowered to several steps (set_current_state(): the
        // store, then the fence) prints once
        if ann.is_empty() && rows.last().is_some_and(|r| r.cpu == t && r.line == line && r.text.starts_with(&text)) {
            continue;
        }
        rows.push(RowText { cpu: t, text: format!("{text}{ann}"), line });
    }
    for (t, s) in f.stopped.iter().enumerate() {
        if let Some(s) = s {
            let line = rows.iter().rev().find(|r| r.cpu == t as u32).map(|r| r.line.clone()).unwrap_or_default();
            rows.push(RowText { cpu: t as u32, text: format!("...{s}"), line });
        }
    }
    (rows, notes)
}

/// The full rendering of one LKMM finding: the CPU columns, the notes on
/// weak steps, and the finding's line.
pub fn render_lkmm_trace(p: &Program, f: &Finding, src: &str, prelude: &str) -> String {
    let (rows, notes) = lkmm_rows(p, f, src, prelude);
    let ncpu = p.threads.len();
    let textw = rows.iter().map(|r| r.text.chars().count()).max().unwrap_or(4).clamp(12, 56);
    let linew = rows.iter().map(|r| r.line.len() + 2).max().unwrap_or(4);
    let colw = textw + 2 + linew + 2;
    let mut out = String::new();
    let mut head = String::new();
    for c in 0..ncpu {
        let _ = write!(head, "{:<colw$}", p.column(c));
    }
    let _ = writeln!(out, "{}", head.trim_end());
    for r in &rows {
        let mut line = " ".repeat(colw * r.cpu as usize);
        let text: String = r.text.chars().take(textw).collect();
        let _ = write!(line, "{text:<textw$}  [{}]", r.line);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for n in &notes {
        let _ = writeln!(out, "weak: {n}");
    }
    let _ = writeln!(out, "{}: {}", f.kind.name().to_uppercase(), f.message);
    out
}

/// The `--json` form of one LKMM finding (`model` is `lkmm`).
#[derive(serde::Serialize, Debug)]
pub struct LkmmFindingJson {
    /// The finding's kind.
    pub kind: String,
    /// `lkmm`.
    pub model: &'static str,
    /// Found only under the LKMM (SC did not find this kind).
    pub weak_memory_only: bool,
    /// The CPU it happened on.
    pub cpu: u32,
    /// Its message.
    pub message: String,
    /// The execution as a po+rf-consistent order of rows.
    pub trace: Vec<crate::trace::RowJson>,
    /// The reads that take a stale value (what SC could not do).
    pub weak_steps: Vec<String>,
    /// The repairs found (weak-memory-only findings): each a barrier or a
    /// stronger access (or a pair) that forbids every failing execution,
    /// re-checked; empty when none was found or none was searched.
    pub repair: Vec<crate::RepairJson>,
}

/// Build the JSON form of an LKMM finding.
pub fn lkmm_finding_json(p: &Program, f: &Finding, weak_only: bool, src: &str, prelude: &str) -> LkmmFindingJson {
    let (rows, notes) = lkmm_rows(p, f, src, prelude);
    LkmmFindingJson {
        kind: f.kind.name().to_string(),
        model: "lkmm",
        weak_memory_only: weak_only,
        cpu: f.cpu,
        message: f.message.clone(),
        trace: rows.into_iter().map(|r| crate::trace::RowJson { cpu: r.cpu, text: r.text, line: r.line }).collect(),
        weak_steps: notes,
        repair: Vec::new(),
    }
}
