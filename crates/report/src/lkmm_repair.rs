//! The words of a weak-memory finding's repair (kvet-axiom's `repair`
//! search): which barrier or stronger access forbids every failing
//! execution, where, and what the re-check found.  One line per repair:
//!
//! `repair: an smp_mb() after WRITE_ONCE(done, 1) [44] and before
//! READ_ONCE(sleeper) [47] (CPU1) forbids every failing execution
//! (re-checked: lkmm ok)`

use kvet_axiom::repair::{Fix, FixKind, Repair, RepairSearch};
use kvet_ir::{Program, NO_CALL};
use kvet_syntax::{line_col, PRELUDE_BASE};

/// The scenario-level text and line of step `pc` of thread `t`.
fn step_words(p: &Program, t: u32, pc: u32, src: &str, prelude: &str) -> (String, String) {
    let b = &p.threads[t as usize].body;
    let Some(st) = b.steps.get(pc as usize) else { return (String::new(), String::new()) };
    let c = b.scenario_call(pc);
    let (text, lo) = match b.calls.get(c as usize) {
        Some(k) if c != NO_CALL => (k.text.clone(), k.span.lo),
        _ => (
            if st.text.is_empty() { crate::trace::snippet(src, prelude, st.span) } else { st.text.clone() },
            st.span.lo,
        ),
    };
    let line = if lo >= PRELUDE_BASE {
        format!("prelude:{}", line_col(prelude, lo - PRELUDE_BASE).0)
    } else {
        line_col(src, lo).0.to_string()
    };
    (text, line)
}

/// One edit in words, e.g. `an smp_mb() after WRITE_ONCE(done, 1) [44]
/// and before READ_ONCE(sleeper) [47] (CPU1)`.
pub fn fix_words(p: &Program, f: &Fix, src: &str, prelude: &str) -> String {
    let (text, line) = step_words(p, f.thread, f.pc, src, prelude);
    let cpu = p.column(f.thread as usize);
    match f.kind {
        FixKind::Mb => match f.after {
            Some(a) => {
                let (at, al) = step_words(p, f.thread, a, src, prelude);
                format!("an smp_mb() after {at} [{al}] and before {text} [{line}] ({cpu})")
            }
            None => format!("an smp_mb() before {text} [{line}] ({cpu})"),
        },
        FixKind::AfterAtomic => format!("an smp_mb__after_atomic() after {text} [{line}] ({cpu})"),
        FixKind::BeforeAtomic => format!("an smp_mb__before_atomic() before {text} [{line}] ({cpu})"),
        FixKind::Acquire => format!("{text} [{line}] as {} ({cpu})", strong_access(&text, "acquire")),
        FixKind::Release => format!("{text} [{line}] as {} ({cpu})", strong_access(&text, "release")),
    }
}

/// The kernel's name for an access made acquire or release (`how`):
/// `atomic_read()` becomes `atomic_read_acquire()`, `atomic_set()`
/// `atomic_set_release()` (include/linux/atomic/atomic-instrumented.h),
/// anything else `smp_load_acquire()` / `smp_store_release()`.
fn strong_access(text: &str, how: &str) -> String {
    for f in ["atomic_read", "atomic_set", "atomic64_read", "atomic64_set", "atomic_long_read", "atomic_long_set"] {
        if text.starts_with(&format!("{f}(")) {
            return format!("{f}_{how}()");
        }
    }
    if how == "acquire" {
        "smp_load_acquire()".into()
    } else {
        "smp_store_release()".into()
    }
}

/// What the re-check of a repair found: `lkmm ok`, or the kinds left.
pub fn recheck_words(r: &Repair) -> String {
    if r.left.is_empty() {
        "lkmm ok".to_string()
    } else {
        format!("lkmm: {} only, as before", r.left.join(", "))
    }
}

/// The repair lines of one finding (each starting `repair: `).
pub fn render_repairs(p: &Program, s: &RepairSearch, src: &str, prelude: &str) -> String {
    let mut out = String::new();
    for r in &s.repairs {
        let fixes: Vec<String> = r.fixes.iter().map(|f| fix_words(p, f, src, prelude)).collect();
        let verb = if fixes.len() == 1 { "forbids" } else { "forbid" };
        out.push_str(&format!(
            "repair: {} {verb} every failing execution (re-checked: {})\n",
            fixes.join(", with "),
            recheck_words(r)
        ));
    }
    if s.repairs.is_empty() {
        let why = if s.bounded { " within the bound" } else { "" };
        out.push_str(&format!(
            "repair: no single barrier or stronger access, nor a release/acquire pair or a pair of smp_mb(), forbids every failing execution ({} re-checks{why})\n",
            s.tried
        ));
    }
    out
}

/// The `--json` form of one repair.
#[derive(serde::Serialize, Debug)]
pub struct RepairJson {
    /// Each edit in words.
    pub fixes: Vec<String>,
    /// What the re-check found (`lkmm ok`, or the kinds left).
    pub rechecked: String,
}

/// The `--json` form of a repair search: one entry per repair found.
pub fn repairs_json(p: &Program, s: &RepairSearch, src: &str, prelude: &str) -> Vec<RepairJson> {
    s.repairs
        .iter()
        .map(|r| RepairJson {
            fixes: r.fixes.iter().map(|f| fix_words(p, f, src, prelude)).collect(),
            rechecked: recheck_words(r),
        })
        .collect()
}
