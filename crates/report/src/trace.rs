//! CPU-column traces: one column per CPU, one row per step in time order,
//! each with its source line, as in the race diagrams of kernel mails:
//!
//! ```text
//! CPU0                              CPU1
//! spin_lock(&a)            [12]
//!                                   spin_lock(&b)            [20]
//! spin_lock(&b)  ...waits  [13]
//! ```

use kvet_explore::{Detail, Trace};
use kvet_ir::{Instr, Program};
use kvet_syntax::{line_col, PRELUDE_BASE};
use std::fmt::Write;

/// One printable row: which CPU, the text, and the source line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowText {
    pub cpu: u32,
    pub text: String,
    /// `12`, or `prelude:40` for code in the prelude.
    pub line: String,
}

fn line_of(src: &str, prelude: &str, lo: u32) -> String {
    if lo >= PRELUDE_BASE {
        format!("prelude:{}", line_col(prelude, lo - PRELUDE_BASE).0)
    } else {
        line_col(src, lo).0.to_string()
    }
}

/// The rows of a trace, as text.
pub fn trace_rows(p: &Program, tr: &Trace, src: &str, prelude: &str) -> Vec<RowText> {
    let mut rows = Vec::new();
    for r in &tr.rows {
        let th = &p.threads[r.thread as usize];
        let Some(step) = th.body.steps.get(r.pc as usize) else { continue };
        let mut text = if step.text.is_empty() { format!("{:?}", step.instr) } else { step.text.clone() };
        if let Detail::Fire(h) = r.detail {
            let hd = &th.handlers[h as usize];
            text = match hd.kind {
                kvet_ir::HandlerKind::Ipi => format!("<IPI> {}()", hd.name),
                kvet_ir::HandlerKind::Softirq => format!("<softirq> {}()", hd.name),
                kvet_ir::HandlerKind::RcuCallback => format!("<RCU callback> {}()", hd.name),
                kvet_ir::HandlerKind::Hardirq => format!("<interrupt> {}()", hd.name),
            };
        } else if r.waits {
            text.push_str("  ...waits");
        } else {
            match (&step.instr, &r.detail) {
                (Instr::Load { .. } | Instr::Trylock { .. } | Instr::IsLocked { .. }, Detail::Value(v)) => {
                    let _ = write!(text, "  -> {}", p.show_val(*v, false));
                }
                (Instr::Rmw { .. }, Detail::Rmw(old, new)) => {
                    let _ = write!(text, "  ({} -> {})", p.show_val(*old, false), p.show_val(*new, false));
                }
                (Instr::Assert(..), Detail::Value(v)) if *v == 0 => text.push_str("  FAILS"),
                (Instr::Assert(..), Detail::Fault) => continue,
                (_, Detail::Fault) => text.push_str("  <-- here"),
                (Instr::Assert(..), Detail::Value(_)) => continue,
                (Instr::Lock { .. }, Detail::GpStart) => text.push_str("  ...queues behind readers"),
                (Instr::SmpCall { .. }, Detail::GpStart) => text.push_str("  ...sends IPIs, waits"),
                (Instr::SmpCall { .. }, Detail::GpEnd) => text.push_str("  all CPUs answered"),
                (Instr::WakeUp { .. }, Detail::Value(v)) => text.push_str(if *v != 0 { "  (wakes it)" } else { "  (already running: no-op)" }),
                (Instr::Alloc { .. }, Detail::Value(v)) => {
                    let _ = write!(text, "  -> {}", p.show_val(*v, false));
                }
                (_, Detail::GpStart) => text.push_str("  begins"),
                (_, Detail::GpEnd) => text.push_str("  returns"),
                _ => {}
            }
        }
        // One primitive that lowers to several steps (spin_lock_irqsave:
        // save the flags, then take the lock) prints once.
        let line = line_of(src, prelude, step.span.lo);
        if let Some(last) = rows.last() {
            let last: &RowText = last;
            if last.cpu == r.thread && last.line == line && last.text == text && r.detail == Detail::None {
                continue;
            }
        }
        rows.push(RowText { cpu: r.thread, text, line });
    }
    rows
}

/// The full CPU-column rendering, ending with the verdict line.
pub fn render_trace(p: &Program, tr: &Trace, src: &str, prelude: &str) -> String {
    let rows = trace_rows(p, tr, src, prelude);
    let ncpu = p.threads.len();
    let textw = rows.iter().map(|r| r.text.chars().count()).max().unwrap_or(4).clamp(12, 48);
    let linew = rows.iter().map(|r| r.line.len() + 2).max().unwrap_or(4);
    let colw = textw + 2 + linew + 2;
    let mut out = String::new();
    let mut head = String::new();
    for c in 0..ncpu {
        // a `P<n>` is its CPU's column; other tasks show their name
        let th = &p.threads[c];
        let name = match th.origin {
            kvet_ir::TaskOrigin::Proc => format!("CPU{c}"),
            _ if th.cpu as usize != c => format!("{}@CPU{}", th.body.name, th.cpu),
            _ => th.body.name.clone(),
        };
        let _ = write!(head, "{:<colw$}", name);
    }
    let _ = writeln!(out, "{}", head.trim_end());
    for r in &rows {
        let mut line = " ".repeat(colw * r.cpu as usize);
        let text: String = r.text.chars().take(textw).collect();
        let _ = write!(line, "{text:<textw$}  [{}]", r.line);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if let Some(v) = &tr.violation {
        let _ = writeln!(out, "{}: {}", v.kind.name().to_uppercase(), v.message);
    }
    out
}

#[derive(serde::Serialize, Debug)]
pub struct RowJson {
    pub cpu: u32,
    pub text: String,
    pub line: String,
}
