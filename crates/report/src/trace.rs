//! CPU-column traces: one column per CPU, one row per step in time order,
//! each with its source line, as in the race diagrams of kernel mails:
//!
//! ```text
//! CPU0                              CPU1
//! spin_lock(&a)            [12]
//!                                   spin_lock(&b)            [20]
//! spin_lock(&b)  ...waits  [13]
//! ```
//!
//! By default a trace is at the level of the scenario's code: a call into
//! the prelude (`list_add(&wait->entry, &q->head)`) is one row, written as
//! at its call site; its inner steps appear only where another CPU runs
//! in the middle of it or the finding points into it (they are then
//! indented under the call). [`TraceLevel::Full`] shows every step.

use kvet_explore::{Detail, TraceRecord};
use kvet_ir::{Instr, Program, NO_CALL};
use kvet_syntax::{line_col, PRELUDE_BASE};
use std::fmt::Write;

/// One printable row: which CPU, the text, and the source line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowText {
    /// The CPU column.
    pub cpu: u32,
    /// The step's text.
    pub text: String,
    /// `12`, or `prelude:40` for code in the prelude.
    pub line: String,
}

/// How much of a trace to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceLevel {
    /// The scenario's code: prelude calls as one row each.
    #[default]
    Scenario,
    /// Every step, inside the prelude too.
    Full,
}

/// How to lay a trace out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceStyle {
    /// Scenario level or every step.
    pub level: TraceLevel,
    /// The width to fit (a terminal's); `None`: columns of at most 64
    /// characters of text. Text longer than its column wraps between
    /// tokens, never inside one.
    pub width: Option<usize>,
}

/// One row of a trace at a chosen level, with what the HTML report needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelRow {
    /// The CPU column.
    pub cpu: u32,
    /// The statement (or call) without the value suffix.
    pub base: String,
    /// ` -> 1`, `  ...waits`, `  <-- here`: what happened.
    pub suffix: String,
    /// `12`, or `prelude:40`.
    pub line: String,
    /// Byte offset of the statement in its text (the scenario, or the
    /// prelude when `line` starts with `prelude:`).
    pub offset: u32,
    /// An inner step of a call shown above it (a prelude internal).
    pub inner: bool,
    /// The call this row stands for, collapsed (no inner rows shown).
    pub collapsed: bool,
    /// Index of the last trace row (`TraceRecord::rows`) this row covers.
    pub last: usize,
    /// The trace rows this row stands for (a collapsed call: all of its
    /// steps).
    pub covers: Vec<usize>,
}

impl LevelRow {
    /// The row of trace row `i` alone, on `cpu`: its text
    /// (statement, suffix, line, offset) and whether it is an inner step
    /// of a call shown above it.
    fn step(i: usize, cpu: u32, (base, suffix, line, offset): (String, String, String, u32), inner: bool) -> LevelRow {
        LevelRow { cpu, base, suffix, line, offset, inner, collapsed: false, last: i, covers: vec![i] }
    }

    /// The row as printed: the statement and what happened.
    pub fn text(&self) -> String {
        format!("{}{}", self.base, self.suffix)
    }
}

fn line_of(src: &str, prelude: &str, lo: u32) -> String {
    if lo >= PRELUDE_BASE {
        format!("prelude:{}", line_col(prelude, lo - PRELUDE_BASE).0)
    } else {
        line_col(src, lo).0.to_string()
    }
}

/// The source text at a span, whitespace folded (for steps without text).
pub(crate) fn snippet(src: &str, prelude: &str, span: kvet_syntax::Span) -> String {
    let (text, lo, hi) = if span.lo >= PRELUDE_BASE {
        (prelude, (span.lo - PRELUDE_BASE) as usize, span.hi.saturating_sub(PRELUDE_BASE) as usize)
    } else {
        (src, span.lo as usize, span.hi as usize)
    };
    let s = text.get(lo..hi.min(text.len())).unwrap_or("");
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every step of a trace: (base text, suffix, line, offset), `None` for
/// rows that print nothing.
fn full_rows(p: &Program, tr: &TraceRecord, src: &str, prelude: &str) -> Vec<Option<(String, String, String, u32)>> {
    let mut out = Vec::new();
    for r in &tr.rows {
        let th = &p.threads[r.thread as usize];
        let Some(step) = th.body.steps.get(r.pc as usize) else {
            out.push(None);
            continue;
        };
        let mut text = if step.text.is_empty() { snippet(src, prelude, step.span) } else { step.text.clone() };
        let mut suffix = String::new();
        if let Detail::Fire(h) = r.detail {
            let hd = &th.handlers[h as usize];
            text = match hd.kind {
                kvet_ir::HandlerKind::Ipi => format!("<IPI> {}()", hd.name),
                kvet_ir::HandlerKind::Softirq => format!("<softirq> {}()", hd.name),
                kvet_ir::HandlerKind::RcuCallback => format!("<RCU callback> {}()", hd.name),
                kvet_ir::HandlerKind::Hardirq => format!("<interrupt> {}()", hd.name),
            };
        } else if r.waits {
            suffix.push_str("  ...waits");
        } else {
            match (&step.instr, &r.detail) {
                (Instr::Load { .. } | Instr::Trylock { .. } | Instr::IsLocked { .. }, Detail::Value(v)) => {
                    let _ = write!(suffix, "  -> {}", p.show_val(*v, false));
                }
                (Instr::Rmw { .. }, Detail::Rmw(old, new)) => {
                    let _ = write!(suffix, "  ({} -> {})", p.show_val(*old, false), p.show_val(*new, false));
                }
                (Instr::Assert(..), Detail::Value(v)) if *v == 0 => suffix.push_str("  FAILS"),
                (Instr::Assert(..), Detail::Fault) => {
                    out.push(None);
                    continue;
                }
                (_, Detail::Fault) => suffix.push_str("  <-- here"),
                (Instr::Assert(..), Detail::Value(_)) => {
                    out.push(None);
                    continue;
                }
                (Instr::Lock { .. }, Detail::GpStart) => suffix.push_str("  ...queues behind readers"),
                (Instr::SmpCall { .. }, Detail::GpStart) => suffix.push_str("  ...sends IPIs, waits"),
                (Instr::SmpCall { .. }, Detail::GpEnd) => suffix.push_str("  all CPUs answered"),
                (Instr::WakeUp { .. }, Detail::Value(v)) => {
                    suffix.push_str(if *v != 0 { "  (wakes it)" } else { "  (already running: no-op)" })
                }
                (Instr::Alloc { .. }, Detail::Value(v)) => {
                    let _ = write!(suffix, "  -> {}", p.show_val(*v, false));
                }
                (_, Detail::GpStart) => suffix.push_str("  begins"),
                (_, Detail::GpEnd) => suffix.push_str("  returns"),
                _ => {}
            }
        }
        out.push(Some((text, suffix, line_of(src, prelude, step.span.lo), step.span.lo)));
    }
    out
}

/// The rows of a trace, every step, as text (the `--json` trace).
pub fn trace_rows(p: &Program, tr: &TraceRecord, src: &str, prelude: &str) -> Vec<RowText> {
    level_rows(p, tr, src, prelude, TraceLevel::Full)
        .into_iter()
        .map(|r| RowText { cpu: r.cpu, text: r.text(), line: r.line })
        .collect()
}

/// A run of one CPU's trace rows inside one prelude call instance.
struct Group {
    cpu: u32,
    call: u32,
    first_pc: u32,
    rows: Vec<usize>,
}

/// The rows of a trace at `level`.
pub fn level_rows(p: &Program, tr: &TraceRecord, src: &str, prelude: &str, level: TraceLevel) -> Vec<LevelRow> {
    let full = full_rows(p, tr, src, prelude);
    if level == TraceLevel::Full {
        return full_level_rows(tr, full);
    }
    let mut rows: Vec<LevelRow> = Vec::new();
    let n = tr.rows.len();
    let (groups, group_of) = call_groups(p, tr);
    // rows that are no event at the scenario's level: a local's lifetime
    // starting, a CPU's stores to its own stack objects (initialising
    // them), a scope ending (unless the finding is about scopes), a
    // barrier (a no-op in an interleaving)
    let scopes_matter = tr.violation.as_ref().is_some_and(|v| v.kind == kvet_explore::ViolationKind::UseAfterScope);
    let points = |i: usize| tr.rows[i].waits || tr.rows[i].detail == Detail::Fault || i + 1 == n;
    let quiet: Vec<bool> = (0..n)
        .map(|i| {
            let r = &tr.rows[i];
            if points(i) || r.waits {
                return false;
            }
            let step = &p.threads[r.thread as usize].body.steps[r.pc as usize];
            match step.instr {
                // a barrier orders nothing under SC, where traces run
                Instr::Fence(_) => true,
                Instr::ScopeEnter { .. } => true,
                Instr::ScopeExit { .. } => !scopes_matter,
                Instr::Store { .. } => {
                    r.cell.and_then(|c| p.object_of(c)).is_some_and(|o| o.kind == kvet_ir::ObjKind::Local(r.thread))
                }
                _ => false,
            }
        })
        .collect();
    // another CPU runs between trace rows a and b (a < b) of one CPU
    let between = |a: usize, b: usize| (a + 1..b).any(|j| tr.rows[j].thread != tr.rows[a].thread);
    // a group is shown expanded when another CPU runs inside it, or the
    // finding points into it (a fault, a wait, the last row); of its inner
    // steps, those next to where another CPU runs and those the finding
    // points at are shown
    let mut show_inner = vec![false; n];
    let mut expanded = vec![false; groups.len()];
    for (g, grp) in groups.iter().enumerate() {
        let rs = &grp.rows;
        for (k, &i) in rs.iter().enumerate() {
            let before = k > 0 && between(rs[k - 1], i);
            let after = k + 1 < rs.len() && between(i, rs[k + 1]);
            if points(i) || ((before || after) && !quiet[i]) {
                show_inner[i] = true;
                expanded[g] = true;
            }
        }
    }
    for (i, r) in tr.rows.iter().enumerate() {
        let g = group_of[i];
        if g == usize::MAX {
            if quiet[i] {
                continue;
            }
            let Some((base, suffix, line, offset)) = full[i].clone() else { continue };
            push_merged(&mut rows, LevelRow::step(i, r.thread, (base, suffix, line, offset), false));
            continue;
        }
        let grp = &groups[g];
        if grp.rows[0] == i && !grp.rows.iter().all(|&j| quiet[j]) {
            let site = &p.threads[grp.cpu as usize].body.calls[grp.call as usize];
            let head = LevelRow {
                cpu: grp.cpu,
                base: site.text.clone(),
                suffix: String::new(),
                line: line_of(src, prelude, site.span.lo),
                offset: site.span.lo,
                inner: false,
                collapsed: !expanded[g],
                last: *grp.rows.last().unwrap_or(&i),
                covers: if expanded[g] { Vec::new() } else { grp.rows.clone() },
            };
            push_merged(&mut rows, head);
        }
        if show_inner[i] {
            if let Some((base, suffix, line, offset)) = full[i].clone() {
                push_merged(&mut rows, LevelRow::step(i, r.thread, (base, suffix, line, offset), true));
            }
        }
    }
    rows
}

/// Every step of a trace as a row (`--trace full`), a primitive that
/// lowers to several steps printed once.
fn full_level_rows(tr: &TraceRecord, full: Vec<Option<(String, String, String, u32)>>) -> Vec<LevelRow> {
    let mut rows: Vec<LevelRow> = Vec::new();
    for (i, f) in full.into_iter().enumerate() {
        let Some((base, suffix, line, offset)) = f else { continue };
        let r = &tr.rows[i];
        // One primitive that lowers to several steps (spin_lock_irqsave:
        // save the flags, then take the lock) prints once.
        if let Some(last) = rows.last() {
            if last.cpu == r.thread
                && last.line == line
                && last.base == base
                && last.suffix.is_empty()
                && suffix.is_empty()
                && r.detail == Detail::None
            {
                continue;
            }
        }
        rows.push(LevelRow::step(i, r.thread, (base, suffix, line, offset), false));
    }
    rows
}

/// Each CPU's consecutive rows grouped by the prelude call they are
/// inside, and each row's group (`usize::MAX` for none).
fn call_groups(p: &Program, tr: &TraceRecord) -> (Vec<Group>, Vec<usize>) {
    let n = tr.rows.len();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of = vec![usize::MAX; n];
    let mut open: Vec<Option<usize>> = vec![None; p.threads.len()];
    for (i, r) in tr.rows.iter().enumerate() {
        let body = &p.threads[r.thread as usize].body;
        let call = if matches!(r.detail, Detail::Fire(_)) { NO_CALL } else { body.scenario_call(r.pc) };
        let cpu = r.thread as usize;
        if call == NO_CALL {
            open[cpu] = None;
            continue;
        }
        let g = match open[cpu] {
            Some(g) if groups[g].call == call && r.pc > groups[g].first_pc => g,
            _ => {
                groups.push(Group { cpu: r.thread, call, first_pc: r.pc, rows: Vec::new() });
                groups.len() - 1
            }
        };
        groups[g].rows.push(i);
        group_of[i] = g;
        open[cpu] = Some(g);
    }
    (groups, group_of)
}

/// Push a row, folding it into the previous one when it is the same
/// statement of the same CPU (a statement with two loads prints once,
/// with both values).
fn push_merged(rows: &mut Vec<LevelRow>, row: LevelRow) {
    if let Some(last) = rows.last_mut() {
        if last.cpu == row.cpu && last.line == row.line && last.base == row.base && last.inner == row.inner {
            let (a, b) = (last.suffix.trim_start(), row.suffix.trim_start());
            let mergeable = |s: &str| s.is_empty() || s.starts_with("-> ");
            if mergeable(a) && mergeable(b) {
                // `-> v1, v2`, each value once
                if !b.is_empty() && !a[3.min(a.len())..].split(", ").any(|v| v == &b[3..]) {
                    last.suffix =
                        if a.is_empty() { row.suffix.clone() } else { format!("{}, {}", last.suffix, &b[3..]) };
                }
                last.collapsed &= row.collapsed;
                last.last = row.last;
                last.covers.extend(row.covers);
                return;
            }
        }
    }
    rows.push(row);
}

/// Split `text` into pieces of at most `w` characters at spaces (after
/// commas and operators); a token longer than `w` stays whole.
pub fn wrap(text: &str, w: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for tok in text.split(' ') {
        let need = if cur.is_empty() { tok.chars().count() } else { cur.chars().count() + 1 + tok.chars().count() };
        if need > w && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            cur.push_str("  ");
            cur.push_str(tok);
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(tok);
        }
    }
    out.push(cur);
    out
}

/// The CPU-column rendering at the scenario's level (without the verdict:
/// see [`verdict_line`]).
pub fn render_trace(p: &Program, tr: &TraceRecord, src: &str, prelude: &str) -> String {
    render_trace_with(p, tr, src, prelude, TraceStyle::default())
}

/// The CPU-column rendering in a given style. Each CPU's column is as
/// wide as its widest row (at most the style's width share); longer rows
/// wrap between tokens.
pub fn render_trace_with(p: &Program, tr: &TraceRecord, src: &str, prelude: &str, style: TraceStyle) -> String {
    let rows = level_rows(p, tr, src, prelude, style.level);
    // a row's suffix (` -> v`, `(1 -> 2)`) wraps as one piece
    let texts: Vec<String> = rows.iter().map(|r| format!("{}{}", r.base, r.suffix.replace(' ', "\u{a0}"))).collect();
    let ncpu = p.threads.len().max(1);
    let linew = rows.iter().map(|r| r.line.len() + 2).max().unwrap_or(4);
    let cap = match style.width {
        Some(w) => (w / ncpu).saturating_sub(linew + 4).max(24),
        None => 72,
    };
    // a `P<n>` is its CPU's column; other tasks show their name
    let names: Vec<String> = (0..ncpu).map(|c| p.column(c)).collect();
    let mut textw: Vec<usize> =
        names.iter().map(|n| 12usize.max(n.chars().count().saturating_sub(linew + 3))).collect();
    for (r, t) in rows.iter().zip(&texts) {
        let w = &mut textw[(r.cpu as usize).min(ncpu - 1)];
        *w = (*w).max((t.chars().count() + 2 * r.inner as usize).min(cap));
    }
    let colw: Vec<usize> = textw.iter().map(|w| w + 2 + linew + 2).collect();
    let start: Vec<usize> = (0..ncpu).map(|c| colw[..c].iter().sum()).collect();
    let mut out = String::new();
    let mut head = String::new();
    for (c, &w) in colw.iter().enumerate() {
        let _ = write!(head, "{:<w$}", names[c]);
    }
    let _ = writeln!(out, "{}", head.trim_end());
    for (r, text) in rows.iter().zip(&texts) {
        let c = (r.cpu as usize).min(ncpu - 1);
        let inner = if r.inner { 2 } else { 0 };
        let indent = " ".repeat(start[c] + inner);
        for (k, piece) in wrap(text, textw[c] - inner).iter().enumerate() {
            let mut line = indent.clone();
            if k == 0 {
                let pad = (textw[c] - inner).max(piece.chars().count());
                let _ = write!(line, "{piece:<pad$}  [{}]", r.line);
            } else {
                line.push_str(piece);
            }
            let _ = writeln!(out, "{}", line.trim_end().replace('\u{a0}', " "));
        }
    }
    out
}

/// The verdict line a trace ends in (`USE-AFTER-FREE: ...`), if any.
pub fn verdict_line(tr: &TraceRecord) -> Option<String> {
    tr.violation.as_ref().map(|v| format!("{}: {}", v.kind.name().to_uppercase(), v.message))
}

/// One trace row in `--json`.
#[derive(serde::Serialize, Debug)]
pub struct RowJson {
    /// The CPU column.
    pub cpu: u32,
    /// The step's text.
    pub text: String,
    /// `12`, or `prelude:40`.
    pub line: String,
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_never_cuts_a_token() {
        let w = wrap("clear_bit_unlock_is_negative_byte(PG_locked, &page->flags)", 48);
        assert_eq!(w, vec!["clear_bit_unlock_is_negative_byte(PG_locked,", "  &page->flags)"]);
        let long = wrap("a_very_long_token_without_any_space_at_all_and_more", 10);
        assert_eq!(long, vec!["a_very_long_token_without_any_space_at_all_and_more"]);
    }
}
