//! The report layer: it owns all formatting. Diagnostics with the source
//! line underlined, herd7's output block, CPU-column counterexample
//! traces in the style of kernel mailing-list race diagrams, the
//! `--json` form of every result, SARIF 2.1.0 and the HTML report.

#![warn(missing_docs)]

mod checked;
mod diag;
mod dot;
mod herd;
mod html;
mod json;
mod lkmm_repair;
mod lkmm_trace;
mod sarif;
mod summary;
mod trace;

pub use checked::{CheckedFile, Finding};
pub use diag::render_error;
pub use dot::execution_dot;
pub use herd::{axiomatic_block, deadlock_lines, hash_line, herd_block, speedcheck_observation, Counts};
pub use html::{esc, html_report};
pub use json::{check_json, CheckJson, ViolationJson};
pub use lkmm_repair::{fix_words, recheck_words, render_repairs, repairs_json, RepairJson};
pub use lkmm_trace::{display_order, lkmm_finding_json, lkmm_rows, render_lkmm_trace, LkmmFindingJson};
pub use sarif::{rule_id, sarif_log, PRELUDE_URI};
pub use summary::{condition_summary, explore_summary, stop_text};
pub use trace::{
    level_rows, render_trace, render_trace_with, trace_rows, verdict_line, wrap, LevelRow, RowText, TraceLevel,
    TraceStyle,
};
